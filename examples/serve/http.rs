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
//! or cut off if that takes longer than [`Limits::drain_timeout`]). Only `GET` and `HEAD`; request bodies are
//! never read.

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
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;
use tokio::sync::{Semaphore, watch};
use tokio::task::JoinSet;

use crate::catalog::Catalog;
use crate::mount::{Buffers, DashAnswer, ResponseBody};
use crate::rtp::RtpEndpoint;

/// The page at `/`.
const INDEX_HTML: &str = include_str!("web/index.html");

/// The longest request path served; longer ones are refused with 400.
pub(crate) const MAX_PATH: usize = 256;

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
        }
    }
}

/// Serves `catalog` on `listener` until `stop` resolves, then lets the
/// requests in flight finish (up to the drain timeout).
pub(crate) async fn serve(
    listener: TcpListener,
    catalog: Arc<Catalog>,
    rtp: Arc<RtpEndpoint>,
    limits: Limits,
    stop: impl Future<Output = ()>,
) {
    let permits = Arc::new(Semaphore::new(limits.max_connections));
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
                    tracing::warn!("accept: {e}");
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
        let mut shutdown_rx = shutdown_rx.clone();
        connections.spawn(async move {
            let _permit = permit;
            let service = service_fn(move |request| {
                let catalog = catalog.clone();
                let rtp = rtp.clone();
                async move { Ok::<_, Infallible>(respond(catalog, rtp, request, peer).await) }
            });
            let connection = http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(limits.header_timeout)
                .max_buf_size(limits.max_head_bytes)
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
                Some(Err(e)) => tracing::debug!(%peer, "connection: {e}"),
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

/// Why a request path is refused before any lookup.
fn check_path(path: &str) -> Result<(), &'static str> {
    if path.len() > MAX_PATH {
        return Err("path too long");
    }
    if !path.starts_with('/') {
        return Err("not an absolute path");
    }
    // Every name the catalog holds is in this alphabet: percent-encoding,
    // backslashes, control characters and the like never name anything.
    if !path
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'/' | b'.' | b'_' | b'-'))
    {
        return Err("character outside the names served");
    }
    if path.contains("//") || path.split('/').any(|s| s == "." || s == "..") {
        return Err("empty, . or .. path segment");
    }
    Ok(())
}

async fn respond(
    catalog: Arc<Catalog>,
    rtp: Arc<RtpEndpoint>,
    request: Request<Incoming>,
    peer: SocketAddr,
) -> Response<ResponseBody> {
    let started = Instant::now();
    let path = request.uri().path();
    let response = route(
        &catalog,
        &rtp,
        request.method(),
        path,
        request.uri().query(),
    )
    .await;
    let bytes = response.body().size_hint().exact().unwrap_or(0);
    // The path is logged only when it passed the check: it is then plain
    // ASCII of bounded length.
    let shown = if check_path(path).is_ok() {
        path
    } else {
        "(refused path)"
    };
    tracing::info!(
        %peer,
        method = %request.method(),
        path = shown,
        status = response.status().as_u16(),
        bytes,
        micros = started.elapsed().as_micros() as u64,
        "request"
    );
    response
}

async fn route(
    catalog: &Catalog,
    rtp: &RtpEndpoint,
    method: &Method,
    path: &str,
    query: Option<&str>,
) -> Response<ResponseBody> {
    if method != Method::GET && method != Method::HEAD {
        let mut r = text(StatusCode::METHOD_NOT_ALLOWED, "only GET and HEAD\n");
        r.headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static("GET, HEAD"));
        return r;
    }
    if let Err(why) = check_path(path) {
        return text(StatusCode::BAD_REQUEST, why);
    }
    match path {
        "/" => {
            return body(
                StatusCode::OK,
                "text/html; charset=utf-8",
                Bytes::from_static(INDEX_HTML.as_bytes()),
            );
        }
        "/streams.json" => {
            return body(
                StatusCode::OK,
                "application/json",
                catalog.streams_json.clone(),
            );
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
            Ok(sdp) => body(StatusCode::OK, "application/sdp", sdp),
            Err((status, why)) => body(
                status,
                "text/plain; charset=utf-8",
                Bytes::from(format!("{why}\n")),
            ),
        };
    }
    if let Some((content_type, document)) = catalog.document(path) {
        let mut r = body(StatusCode::OK, content_type, document.clone());
        r.headers_mut().insert(
            header::ACCESS_CONTROL_ALLOW_ORIGIN,
            HeaderValue::from_static("*"),
        );
        return r;
    }
    if let Some(mount) = catalog.dash_mount_for(path) {
        let (answer, body) = match mount.answer(path, query.unwrap_or("")) {
            DashAnswer::Full(r, b) => (r, ResponseBody::Buffers(b)),
            DashAnswer::Chunked(r, c) => (r, ResponseBody::Chunked(c)),
        };
        return with_headers(
            body,
            answer.status,
            answer.content_type,
            answer.cache_control,
        );
    }
    let Some(mount) = catalog.mount_for(path) else {
        return text(StatusCode::NOT_FOUND, "no such stream\n");
    };
    let answer = mount.answer(path, query.unwrap_or("")).await;
    let cache_control = answer.cache_control.clone();
    let (status, content_type) = (answer.status, answer.content_type);
    let body = ResponseBody::Buffers(mount.body(path, answer));
    with_headers(body, status, content_type, &cache_control)
}

/// An origin's answer as an HTTP response.
fn with_headers(
    body: ResponseBody,
    status: u16,
    content_type: Option<&'static str>,
    cache_control: &str,
) -> Response<ResponseBody> {
    let mut r = Response::new(body);
    *r.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let headers = r.headers_mut();
    if let Some(content_type) = content_type {
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    }
    if let Ok(cache) = HeaderValue::from_str(cache_control) {
        headers.insert(header::CACHE_CONTROL, cache);
    }
    // Players on other origins (a test page, hls.js demos) may fetch.
    headers.insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    r
}

fn text(status: StatusCode, message: &'static str) -> Response<ResponseBody> {
    body(
        status,
        "text/plain; charset=utf-8",
        Bytes::from_static(message.as_bytes()),
    )
}

fn body(status: StatusCode, content_type: &'static str, bytes: Bytes) -> Response<ResponseBody> {
    let mut r = Response::new(ResponseBody::Buffers(Buffers::new([bytes])));
    *r.status_mut() = status;
    r.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    r
}

#[cfg(test)]
mod tests {
    use super::check_path;

    #[test]
    fn paths_outside_the_names_are_refused() {
        for bad in [
            "/vod/../Cargo.toml",
            "/vod/x/%2e%2e/Cargo.toml",
            "/vod//etc/passwd",
            "/vod/x/./master.m3u8",
            "/vod/x\\master.m3u8",
            "relative",
            "/vod/x/master.m3u8\0",
        ] {
            assert!(check_path(bad).is_err(), "{bad:?} passed");
        }
        assert!(check_path(&format!("/{}", "a".repeat(super::MAX_PATH))).is_err());
        for good in [
            "/",
            "/vod/h264_aac/master.m3u8",
            "/vod/a-b/ts/main/seg-0.ts",
        ] {
            assert_eq!(check_path(good), Ok(()), "{good}");
        }
    }
}
