//! The HTTP/1.1 layer: accepts connections, bounds them, maps a request's
//! path to a catalog resource and logs each request.
//!
//! Bounds: request heads of at most [`Limits::max_head_bytes`] (hyper
//! answers larger ones with an error and closes), a head must arrive within
//! [`Limits::header_timeout`] (a stalled client is dropped, and never holds
//! anything another connection waits for: each connection is its own task),
//! at most [`Limits::max_connections`] connections at once (further ones
//! wait in the listen backlog), each open for at most
//! [`Limits::connection_lifetime`] (then closed after its request in flight,
//! or cut off if that takes longer than [`Limits::drain_timeout`]). A
//! response whose client takes no byte for [`Limits::send_timeout`] is
//! dropped, and connections that stop reading never hold more than all but
//! [`Limits::reserved_connections`] of the slots (see [`crate::send`]).
//! Only `GET` and `HEAD`; request bodies are never read. The first
//! request head of each connection is read here first (within the header
//! timeout and the head bound): a half of an RTSP-over-HTTP tunnel goes to
//! [`crate::tunnel`], anything else on to hyper, which reads those bytes
//! again.
//!
//! Each request is logged at `debug`; answers of 400 and more, and dropped
//! connections, at `info`, repeated ones summarised (see [`crate::log`]).

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use hyper::body::{Body, Incoming};
use hyper::header::{self, HeaderValue};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::sync::{Semaphore, watch};
use tokio::task::JoinSet;

use streamkit::origin::{
    Body as OriginBody, Method as OriginMethod, Output, PathPolicy, Request as OriginRequest,
    Response as OriginResponse,
};

use crate::catalog::Catalog;
use crate::log::{self, Kind};
use crate::mount::{Answered, Buffers, Chunks, Pending, ResponseBody};
use crate::rtp::RtpEndpoint;
use crate::send::{Dropped, GuardedStream, StalledShare};
use crate::timer::ConnectionTimer;
use crate::tunnel::{Rewind, Sniffed, Tunnels};

/// The page at `/`.
const INDEX_HTML: &str = include_str!("web/index.html");

/// How many bytes of a response hyper queues (as references to the
/// body's buffers, not copies) before it writes them out. hyper's
/// `max_buf_size` bounds both this and the request head; heads have their
/// own bound, [`Limits::max_head_bytes`] (`max_header_size`), so this one
/// only sizes the writes: 16 KiB made about 29 `writev` calls per 630 kB
/// segment, a quarter MiB a few, and the server's CPU per byte sent fell
/// by a third (BENCHMARKS.md). A full body is now one piece of data
/// ([`crate::mount::Slices`]) that hyper queues whole, handing up to 64
/// of its slices to each vectored write.
const WRITE_QUEUE_BYTES: usize = 256 * 1024;

/// The longest request target served; longer ones are refused with 414.
pub(crate) const MAX_TARGET: usize = 1024;

/// The path rules of every request (the origins' own): bounded, no
/// traversal, no percent-encoding or control bytes.
fn policy() -> PathPolicy {
    PathPolicy::new(MAX_TARGET)
}

/// The server's bounds.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Limits {
    pub(crate) header_timeout: Duration,
    pub(crate) max_head_bytes: usize,
    pub(crate) max_connections: usize,
    /// The most LL-HLS requests each live origin holds at once (more get 503).
    pub(crate) max_held: usize,
    /// A connection is closed after this long, once its request in flight
    /// is answered (a client that reads too slowly cannot hold it longer).
    pub(crate) connection_lifetime: Duration,
    /// How long a graceful shutdown waits for requests in flight.
    pub(crate) drain_timeout: Duration,
    /// A response whose client takes no byte for this long is dropped.
    pub(crate) send_timeout: Duration,
    /// Slots that connections whose clients stopped reading never take:
    /// kept for new clients.
    pub(crate) reserved_connections: usize,
}

impl Limits {
    /// The reserve for `max_connections`: an eighth, at least one when
    /// there are two slots or more.
    pub(crate) fn default_reserve(max_connections: usize) -> usize {
        (max_connections / 8).max(usize::from(max_connections > 1))
    }
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            header_timeout: Duration::from_secs(10),
            max_head_bytes: 16 * 1024,
            max_connections: 256,
            max_held: 1_000,
            connection_lifetime: Duration::from_secs(600),
            drain_timeout: Duration::from_secs(5),
            send_timeout: Duration::from_secs(5),
            reserved_connections: Limits::default_reserve(256),
        }
    }
}

/// Serves `catalog` on `listener` until `stop` resolves, then lets the
/// requests in flight finish (up to the drain timeout).
pub(crate) async fn serve(
    listener: TcpListener,
    catalog: Arc<Catalog>,
    rtp: Arc<RtpEndpoint>,
    tunnels: Arc<Tunnels>,
    limits: Limits,
    stop: impl Future<Output = ()>,
) {
    let permits = Arc::new(Semaphore::new(limits.max_connections));
    let stalled = StalledShare::new(
        limits
            .max_connections
            .saturating_sub(limits.reserved_connections),
    );
    let (shutdown, shutdown_rx) = watch::channel(false);
    let mut connections = JoinSet::new();
    tokio::pin!(stop);
    loop {
        let permit = tokio::select! {
            () = &mut stop => break,
            permit = permits.clone().acquire_owned() => match permit {
                Ok(p) => p,
                Err(_) => break,
            },
        };
        let (stream, peer) = tokio::select! {
            () = &mut stop => break,
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    // Out of descriptors, say: wait a little rather than
                    // spin, and say so once in a while.
                    if log::record(Instant::now(), Kind::connection("accept errors")) {
                        tracing::warn!("accept: {e}");
                    }
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        // Responses go out in more than one write (head, body chunks): with
        // Nagle's algorithm the last one would wait for the client's
        // delayed ACK, 40 ms per response.
        if let Err(e) = stream.set_nodelay(true) {
            tracing::debug!(%peer, "TCP_NODELAY: {e}");
        }
        while connections.try_join_next().is_some() {}
        let catalog = catalog.clone();
        let rtp = rtp.clone();
        let stream = GuardedStream::new(stream, limits.send_timeout, stalled.clone());
        let mut shutdown_rx = shutdown_rx.clone();
        let tunnels = tunnels.clone();
        connections.spawn(async move {
            let sniffed =
                crate::tunnel::sniff(stream, limits.max_head_bytes, limits.header_timeout).await;
            let stream = match sniffed {
                Sniffed::Http(stream, prefix) => Rewind::new(prefix, stream),
                Sniffed::Tunnel {
                    stream,
                    half,
                    cookie,
                    rest,
                } => {
                    tokio::select! {
                        () = tunnels.serve(stream, peer, half, cookie, rest, permit) => {}
                        _ = shutdown_rx.changed() => {}
                    }
                    return;
                }
                Sniffed::Refused(mut stream, status, why) => {
                    tracing::info!(%peer, status, "rtsp over http: {why}");
                    crate::tunnel::answer(&mut stream, status, &why).await;
                    return;
                }
                Sniffed::Closed => {
                    tracing::debug!(%peer, "connection: no request head");
                    return;
                }
            };
            let _permit = permit;
            let service = service_fn(move |request| {
                let catalog = catalog.clone();
                let rtp = rtp.clone();
                async move { Ok::<_, Infallible>(respond(catalog, rtp, request, peer).await) }
            });
            let connection = http1::Builder::new()
                .timer(ConnectionTimer::new())
                .header_read_timeout(limits.header_timeout)
                .max_buf_size(WRITE_QUEUE_BYTES)
                .max_header_size(limits.max_head_bytes)
                .serve_connection(TokioIo::new(stream), service);
            tokio::pin!(connection);
            let result = tokio::select! {
                r = connection.as_mut() => Some(r),
                _ = shutdown_rx.changed() => None,
                () = tokio::time::sleep(limits.connection_lifetime) => None,
            };
            // Server shutdown or the connection's time is up: finish the
            // request in flight, then close; a client too slow to take its
            // answer within the drain timeout is cut off.
            let result = match result {
                Some(r) => Some(r),
                None => {
                    connection.as_mut().graceful_shutdown();
                    tokio::time::timeout(limits.drain_timeout, connection)
                        .await
                        .ok()
                }
            };
            match result {
                Some(Err(e)) => match Dropped::of(&e) {
                    Some(why) => {
                        let kind = match why {
                            Dropped::SendTimeout(_) => "send timeouts",
                            Dropped::OverStalledShare => {
                                "connections dropped over the stalled share"
                            }
                        };
                        if log::record(Instant::now(), Kind::connection(kind)) {
                            tracing::info!(%peer, "connection dropped: {why}");
                        } else {
                            tracing::debug!(%peer, "connection dropped: {why}");
                        }
                    }
                    None => tracing::debug!(%peer, "connection: {e}"),
                },
                None => tracing::debug!(%peer, "connection cut off"),
                Some(Ok(())) => {}
            }
        });
    }
    drop(listener);
    let _ = shutdown.send(true);
    let drained = tokio::time::timeout(limits.drain_timeout, async {
        while connections.join_next().await.is_some() {}
    })
    .await;
    if drained.is_err() {
        tracing::warn!(
            "{} connections still open after {:?}; closing them",
            connections.len(),
            limits.drain_timeout
        );
        connections.shutdown().await;
    }
}

/// The path as it may be logged: the path policy says whether it is a
/// plain name (bounded, printable, no traversal).
fn loggable(path: &str) -> &str {
    if policy().parse(path).is_ok() {
        path
    } else {
        "(refused path)"
    }
}

async fn respond(
    catalog: Arc<Catalog>,
    rtp: Arc<RtpEndpoint>,
    request: Request<Incoming>,
    peer: SocketAddr,
) -> Response<ResponseBody> {
    let started = Instant::now();
    let path = request.uri().path().to_owned();
    // The query, when the whole target passes the path policy (bounded,
    // printable).
    let query = match (request.uri().path_and_query(), request.uri().query()) {
        (Some(target), Some(q)) if policy().parse(target.as_str()).is_ok() => q.to_owned(),
        (_, Some(_)) => "(refused query)".to_owned(),
        _ => String::new(),
    };
    let response = route(&catalog, &rtp, &request).await;
    let bytes = response.body().size_hint().exact().unwrap_or(0);
    let status = response.status().as_u16();
    let path = loggable(&path);
    let query = query.as_str();
    let micros = started.elapsed().as_micros() as u64;
    let method = request.method();
    if status >= 400 && log::record(Instant::now(), Kind::status(status, path)) {
        tracing::info!(%peer, %method, path, query, status, bytes, micros, "request");
    } else {
        tracing::debug!(%peer, %method, path, query, status, bytes, micros, "request");
    }
    response
}

async fn route(
    catalog: &Catalog,
    rtp: &RtpEndpoint,
    request: &Request<Incoming>,
) -> Response<ResponseBody> {
    let method = request.method();
    let path = request.uri().path();
    let query = request.uri().query();
    let target = request.uri().path_and_query().map_or(path, |p| p.as_str());
    if let Err(e) = policy().parse(target) {
        let status = StatusCode::from_u16(e.status()).unwrap_or(StatusCode::BAD_REQUEST);
        return body_response(
            status,
            "text/plain; charset=utf-8",
            Bytes::from(format!("{e}\n")),
        );
    }
    match path {
        "/" | "/streams.json" if method == Method::GET || method == Method::HEAD => {
            let (content_type, body) = if path == "/" {
                (
                    "text/html; charset=utf-8",
                    Bytes::from_static(INDEX_HTML.as_bytes()),
                )
            } else {
                ("application/json", Bytes::from(catalog.to_json()))
            };
            return body_response(StatusCode::OK, content_type, body);
        }
        _ => {}
    }
    if let Some(name) = RtpEndpoint::name_of(path) {
        // Starting a stream is a side effect: GET only.
        if method != Method::GET {
            let mut r = text(StatusCode::METHOD_NOT_ALLOWED, "only GET\n");
            r.headers_mut()
                .insert(header::ALLOW, HeaderValue::from_static("GET"));
            return r;
        }
        return match rtp.start(name, query).await {
            Ok(sdp) => body_response(StatusCode::OK, "application/sdp", sdp),
            Err((status, why)) => body_response(
                status,
                "text/plain; charset=utf-8",
                Bytes::from(format!("{why}\n")),
            ),
        };
    }
    let Some(mount) = catalog.mount_for(path) else {
        return text(StatusCode::NOT_FOUND, "no such stream\n");
    };
    let mut origin_request =
        OriginRequest::new(OriginMethod::from_token(method.as_str().as_bytes()), target);
    for (name, value) in request.headers() {
        origin_request.add_header(name.as_str(), value.as_bytes());
    }
    match mount.answer(Instant::now(), &origin_request) {
        Answered::Now(r) => to_hyper(r, None),
        Answered::Later(mut pending) => match pending.outputs.recv().await {
            Some(Output::Response { response, .. }) => to_hyper(response, Some(pending)),
            // The origin cannot drop a pending request without an answer;
            // a reply is still owed.
            _ => text(StatusCode::SERVICE_UNAVAILABLE, "no answer\n"),
        },
    }
}

/// An origin's response as an HTTP response; `pending` carries the
/// chunks of a chunked body.
fn to_hyper(response: OriginResponse, pending: Option<Pending>) -> Response<ResponseBody> {
    let body = match (&response.body, pending) {
        (OriginBody::Chunked, Some(p)) => ResponseBody::Chunked(Chunks::new(p)),
        (OriginBody::Full(list), _) => ResponseBody::Full(Buffers::new(list.clone())),
        _ => ResponseBody::bytes(Bytes::new()),
    };
    let mut r = Response::new(body);
    *r.status_mut() =
        StatusCode::from_u16(response.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let headers = r.headers_mut();
    for (name, value) in response.head_fields() {
        if let (Ok(name), Ok(value)) = (
            header::HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(value.as_str()),
        ) {
            headers.append(name, value);
        }
    }
    r
}

fn text(status: StatusCode, message: &'static str) -> Response<ResponseBody> {
    body_response(
        status,
        "text/plain; charset=utf-8",
        Bytes::from_static(message.as_bytes()),
    )
}

fn body_response(
    status: StatusCode,
    content_type: &'static str,
    bytes: Bytes,
) -> Response<ResponseBody> {
    let mut r = Response::new(ResponseBody::bytes(bytes));
    *r.status_mut() = status;
    r.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    r
}
