//! RTSP over HTTP on the HTTP port: the QuickTime tunnel.
//!
//! A client (ffmpeg's `-rtsp_transport http`, GStreamer's `rtsph://`)
//! opens a GET whose answer carries the RTSP responses and interleaved
//! media, and a POST with the same
//! `x-sessioncookie` whose body is its requests in base64 (see
//! `streamkit::rtsp::tunnel`). The HTTP server reads each connection's
//! first request head itself ([`sniff`]); a tunnel half comes here, any
//! other request goes on to hyper with the bytes already read. A GET is
//! answered at once and waits for its POST; the two then make one RTSP
//! connection of the RTSP service (interleaved transport only).
//!
//! Bounds: at most [`MAX_WAITING`] GETs wait for their POST at once (more
//! get 503), each for at most [`POST_WAIT`]; a cookie already waiting is
//! refused (409); the POST body passes through a fixed buffer
//! ([`Base64Reader`]) into the RTSP connection, whose reader bounds each
//! message. The two connections keep their connection slots while the
//! session lasts; the POST's end (or a broken body) ends the session.

use std::collections::HashMap;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll, ready};
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use streamkit::rtsp::tunnel::{
    Base64Decoder, HeadStatus, TunnelError, TunnelHalf, parse_request_head, write_get_response,
};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::sync::{OwnedSemaphorePermit, oneshot};

use crate::rtsp::{Carrier, RtspService};
use crate::send::GuardedStream;

/// The most GETs waiting for their POST at once.
pub(crate) const MAX_WAITING: usize = 64;

/// How long a GET waits for its POST (clients send it at once, after the
/// GET's answer head).
pub(crate) const POST_WAIT: Duration = Duration::from_secs(15);

/// The POST body's read buffer.
const BODY_BUFFER: usize = 16 * 1024;

/// A POST half handed to its GET: its connection, the body bytes read
/// with its head, its connection slot.
struct PostHalf {
    stream: GuardedStream,
    body: Bytes,
    _permit: OwnedSemaphorePermit,
}

/// The GETs waiting for their POST, by cookie, and the RTSP service the
/// joined halves run on.
pub(crate) struct Tunnels {
    waiting: Mutex<HashMap<String, oneshot::Sender<PostHalf>>>,
    rtsp: Arc<RtspService>,
}

/// What the first request head of an HTTP connection is.
pub(crate) enum Sniffed {
    /// Plain HTTP (or a head hyper answers with an error): the bytes read
    /// so far, to be read again by hyper first.
    Http(GuardedStream, Bytes),
    /// A tunnel half, handled here.
    Tunnel {
        stream: GuardedStream,
        half: TunnelHalf,
        cookie: String,
        /// Bytes after the head (the start of a POST's body).
        rest: Bytes,
    },
    /// A tunnel head with a cookie that cannot be taken: answered with
    /// its status and closed.
    Refused(GuardedStream, u16, String),
    /// Nothing came within the header timeout, or the client left.
    Closed,
}

/// What the first head turned out to be.
enum Head {
    Http,
    Tunnel(TunnelHalf, String, usize),
    Refused(u16, String),
}

/// Reads the first request head of a connection (at most `max_head`
/// bytes, within `timeout`) and says what it is.
pub(crate) async fn sniff(
    mut stream: GuardedStream,
    max_head: usize,
    timeout: Duration,
) -> Sniffed {
    let mut buf = BytesMut::with_capacity(4096);
    let head = tokio::time::timeout(timeout, async {
        loop {
            match parse_request_head(&buf, max_head) {
                Ok(HeadStatus::Incomplete) => {}
                Ok(HeadStatus::Tunnel(r)) => {
                    return Head::Tunnel(r.half, r.cookie.to_owned(), r.head_len);
                }
                Err(e @ TunnelError::BadCookie { .. }) => {
                    return Head::Refused(e.status(), e.to_string());
                }
                // Plain HTTP, or a head over the bound or broken: hyper
                // answers it.
                _ => return Head::Http,
            }
            buf.reserve(4096);
            match stream.read_buf(&mut buf).await {
                Ok(0) | Err(_) => return Head::Http,
                Ok(_) => {}
            }
        }
    })
    .await;
    match head {
        Err(_) => Sniffed::Closed,
        Ok(Head::Http) if buf.is_empty() => Sniffed::Closed,
        Ok(Head::Http) => Sniffed::Http(stream, buf.freeze()),
        Ok(Head::Refused(status, why)) => Sniffed::Refused(stream, status, why),
        Ok(Head::Tunnel(half, cookie, head_len)) => {
            let rest = buf.split_off(head_len).freeze();
            Sniffed::Tunnel {
                stream,
                half,
                cookie,
                rest,
            }
        }
    }
}

impl Tunnels {
    pub(crate) fn new(rtsp: Arc<RtspService>) -> Tunnels {
        Tunnels {
            waiting: Mutex::new(HashMap::new()),
            rtsp,
        }
    }

    /// Serves a tunnel half on its connection until the session ends.
    pub(crate) async fn serve(
        &self,
        stream: GuardedStream,
        peer: SocketAddr,
        half: TunnelHalf,
        cookie: String,
        rest: Bytes,
        permit: OwnedSemaphorePermit,
    ) {
        match half {
            TunnelHalf::Get => self.get(stream, peer, cookie, permit).await,
            _ => self.post(stream, peer, cookie, rest, permit).await,
        }
    }

    async fn get(
        &self,
        mut stream: GuardedStream,
        peer: SocketAddr,
        cookie: String,
        _permit: OwnedSemaphorePermit,
    ) {
        let (tx, rx) = oneshot::channel();
        let refused = {
            let mut waiting = self.waiting.lock().unwrap_or_else(PoisonError::into_inner);
            if waiting.contains_key(&cookie) {
                Some((409, "a GET with this x-sessioncookie already waits"))
            } else if waiting.len() >= MAX_WAITING {
                Some((503, "too many tunnels wait for their POST"))
            } else {
                waiting.insert(cookie.clone(), tx);
                None
            }
        };
        if let Some((status, why)) = refused {
            tracing::info!(%peer, status, "rtsp over http: {why}");
            answer(&mut stream, status, why).await;
            return;
        }
        let mut head = BytesMut::new();
        let _ = write_get_response(&mut head, "streamkit serve");
        if stream.write_all(&head).await.is_err() || stream.flush().await.is_err() {
            self.forget(&cookie);
            return;
        }
        let post = tokio::time::timeout(POST_WAIT, rx).await;
        let post = match post {
            Ok(Ok(post)) => post,
            _ => {
                self.forget(&cookie);
                tracing::info!(%peer, "rtsp over http: no POST came within {POST_WAIT:?}");
                return;
            }
        };
        tracing::debug!(%peer, "rtsp over http: tunnel joined");
        let input = Base64Reader::new(post.stream, post.body);
        let started = Instant::now();
        let result = self
            .rtsp
            .serve(tokio::io::join(input, stream), peer, Carrier::Http)
            .await;
        let secs = started.elapsed().as_secs();
        match result {
            Ok(()) => tracing::debug!(%peer, secs, "rtsp over http: tunnel closed"),
            Err(e) => tracing::info!(%peer, secs, "rtsp over http: tunnel closed: {e}"),
        }
        drop(post._permit);
    }

    /// Removes `cookie`'s waiting GET.
    fn forget(&self, cookie: &str) {
        self.waiting
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(cookie);
    }

    async fn post(
        &self,
        mut stream: GuardedStream,
        peer: SocketAddr,
        cookie: String,
        body: Bytes,
        permit: OwnedSemaphorePermit,
    ) {
        let get = self
            .waiting
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&cookie);
        let Some(get) = get else {
            tracing::info!(%peer, "rtsp over http: a POST with no GET waiting for its cookie");
            answer(
                &mut stream,
                404,
                "no tunnel GET waits for this x-sessioncookie",
            )
            .await;
            return;
        };
        // The GET's task runs the session; a GET that gave up drops it.
        let _ = get.send(PostHalf {
            stream,
            body,
            _permit: permit,
        });
    }
}

/// Answers `status` with `why` as text and closes.
pub(crate) async fn answer(stream: &mut GuardedStream, status: u16, why: &str) {
    let reason = match status {
        400 => "Bad Request",
        404 => "Not Found",
        409 => "Conflict",
        431 => "Request Header Fields Too Large",
        _ => "Service Unavailable",
    };
    let text = format!(
        "HTTP/1.0 {status} {reason}\r\nContent-Type: text/plain; charset=utf-8\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{why}\n",
        why.len() + 1
    );
    let _ = stream.write_all(text.as_bytes()).await;
    let _ = stream.shutdown().await;
}

/// A tunnel's POST body, decoded: reads give the RTSP bytes. It holds a
/// fixed buffer of body text and the decoder's unfinished group, nothing
/// more; a body that is no base64 fails the read (`InvalidData`).
pub(crate) struct Base64Reader<S> {
    inner: S,
    raw: Box<[u8]>,
    start: usize,
    end: usize,
    decoder: Base64Decoder,
}

impl<S> Base64Reader<S> {
    /// Reads `inner` after `body`, the part of the body read already.
    pub(crate) fn new(inner: S, body: Bytes) -> Base64Reader<S> {
        let mut raw = vec![0u8; BODY_BUFFER.max(body.len())].into_boxed_slice();
        if let Some(dest) = raw.get_mut(..body.len()) {
            dest.copy_from_slice(&body);
        }
        Base64Reader {
            inner,
            raw,
            start: 0,
            end: body.len(),
            decoder: Base64Decoder::new(),
        }
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Base64Reader<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        loop {
            if this.start < this.end {
                let input = this.raw.get(this.start..this.end).unwrap_or_default();
                let out = buf.initialize_unfilled();
                let step = this
                    .decoder
                    .decode(input, out)
                    .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?;
                this.start += step.consumed;
                if step.written > 0 {
                    buf.advance(step.written);
                    return Poll::Ready(Ok(()));
                }
                if step.consumed == 0 {
                    // Less room than a group: the caller's buffer is
                    // under 3 bytes.
                    return Poll::Ready(Err(io::Error::new(
                        io::ErrorKind::InvalidInput,
                        "a read buffer under 3 bytes",
                    )));
                }
                continue;
            }
            let mut raw = ReadBuf::new(&mut this.raw);
            ready!(Pin::new(&mut this.inner).poll_read(cx, &mut raw))?;
            let n = raw.filled().len();
            if n == 0 {
                return Poll::Ready(Ok(()));
            }
            this.start = 0;
            this.end = n;
        }
    }
}

/// A connection whose first bytes were read already: reads give them
/// first, then the connection's; writes go to the connection.
pub(crate) struct Rewind {
    prefix: Bytes,
    inner: GuardedStream,
}

impl Rewind {
    pub(crate) fn new(prefix: Bytes, inner: GuardedStream) -> Rewind {
        Rewind { prefix, inner }
    }
}

impl AsyncRead for Rewind {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if !this.prefix.is_empty() {
            let n = this.prefix.len().min(buf.remaining());
            buf.put_slice(&this.prefix.split_to(n));
            return Poll::Ready(Ok(()));
        }
        Pin::new(&mut this.inner).poll_read(cx, buf)
    }
}

impl AsyncWrite for Rewind {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }
}
