//! A streamkit-hls `Origin` under a path prefix, shared by the connection
//! tasks: requests go in, responses come out now or, for low-latency HLS
//! blocking requests, when the origin releases them.
//!
//! The origin decides everything (which names exist, what is held, for how
//! long, the status and caching of every answer); this module only keeps
//! the channel each held request waits on, and tells the origin when a
//! client goes away.

use std::collections::HashMap;
use std::collections::VecDeque;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use hyper::body::{Body, Frame, SizeHint};
use streamkit::core::fmp4::BufferList;
use streamkit::dash::live::LiveEvent;
use streamkit::dash::origin::{self as dash, ChunkEvent};
use streamkit::hls::origin::{CACHE_NO_STORE, Handled, Origin, Request, RequestId, Response};
use streamkit::hls::packager::PackagerEvent;
use tokio::sync::{mpsc, oneshot};

/// An origin and the requests waiting on it.
pub(crate) struct OriginState {
    origin: Origin,
    waiting: HashMap<RequestId, oneshot::Sender<Response>>,
}

impl OriginState {
    /// Takes in a packager event at `now` and answers what it releases.
    pub(crate) fn handle_event(&mut self, event: PackagerEvent, now: Duration) {
        self.origin.handle_event(event, now);
        self.release();
    }

    /// When a held request times out next (origin time).
    pub(crate) fn next_timeout(&self) -> Option<Duration> {
        self.origin.poll_timeout()
    }

    /// Lets held requests whose time is up get their `503`.
    pub(crate) fn handle_timeout(&mut self, now: Duration) {
        if self.origin.poll_timeout().is_some_and(|t| t <= now) {
            self.origin.handle_timeout(now);
            self.release();
        }
    }

    fn release(&mut self) {
        while let Some((id, response)) = self.origin.poll_released() {
            if let Some(tx) = self.waiting.remove(&id) {
                // The client may have gone; then nobody listens.
                let _ = tx.send(response);
            }
        }
    }
}

/// An origin mounted at `prefix` (`/vod/NAME/`, `/live/NAME/`).
pub(crate) struct Mount {
    pub(crate) prefix: String,
    state: Mutex<OriginState>,
    /// The clock the origin's `now` counts from.
    epoch: Instant,
}

impl Mount {
    pub(crate) fn new(prefix: String, origin: Origin, epoch: Instant) -> Arc<Mount> {
        Arc::new(Mount {
            prefix,
            state: Mutex::new(OriginState {
                origin,
                waiting: HashMap::new(),
            }),
            epoch,
        })
    }

    /// The origin's clock: time since the server's epoch.
    pub(crate) fn now(&self) -> Duration {
        self.epoch.elapsed()
    }

    /// Runs `f` on the origin (held briefly: no await inside).
    pub(crate) fn with<T>(&self, f: impl FnOnce(&mut OriginState) -> T) -> T {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        f(&mut state)
    }

    /// The body of the resource at `name` (relative to the prefix), if the
    /// origin answers it at once with 200.
    pub(crate) fn body_now(&self, name: &str) -> Option<Bytes> {
        let path = format!("{}{name}", self.prefix);
        let now = self.now();
        self.with(
            |s| match s.origin.handle_request(&Request::new(&path, ""), now) {
                Handled::Response(r) if r.status == 200 => Some(r.body.to_bytes()),
                Handled::Response(_) => None,
                Handled::Held(id) => {
                    s.origin.cancel(id);
                    None
                }
            },
        )
    }

    /// Answers `path?query`, waiting as long as the origin holds it.
    pub(crate) async fn answer(self: &Arc<Mount>, path: &str, query: &str) -> Response {
        let now = self.now();
        let (id, rx) =
            match self.with(
                |s| match s.origin.handle_request(&Request::new(path, query), now) {
                    Handled::Response(r) => Err(r),
                    Handled::Held(id) => {
                        let (tx, rx) = oneshot::channel();
                        s.waiting.insert(id, tx);
                        Ok((id, rx))
                    }
                },
            ) {
                Ok(held) => held,
                Err(response) => return response,
            };
        // If the client goes away first, this future is dropped: forget
        // the request.
        let guard = Forget {
            mount: self.clone(),
            id,
        };
        let response = rx.await;
        drop(guard);
        match response {
            Ok(r) => r,
            // The origin dropped it without an answer (it cannot, but a
            // reply is still owed).
            Err(_) => service_unavailable(),
        }
    }
}

fn service_unavailable() -> Response {
    Response {
        status: 503,
        content_type: None,
        cache_control: CACHE_NO_STORE.into(),
        body: BufferList::new(),
    }
}

struct Forget {
    mount: Arc<Mount>,
    id: RequestId,
}

impl Drop for Forget {
    fn drop(&mut self) {
        self.mount.with(|s| {
            if s.waiting.remove(&self.id).is_some() {
                s.origin.cancel(self.id);
            }
        });
    }
}

/// A response body from the origin's buffers, in order. Buffers of
/// [`COALESCE_BELOW`] bytes or more go out as they are (no copy); runs of
/// smaller ones (fMP4 box headers, short samples) are gathered into one
/// chunk, so that a segment of sixty buffers is a few frames for hyper to
/// write, not sixty.
pub(crate) struct Buffers {
    buffers: VecDeque<Bytes>,
    remaining: u64,
}

/// Buffers shorter than this are copied into a shared chunk.
const COALESCE_BELOW: usize = 16 * 1024;

impl Buffers {
    pub(crate) fn new(buffers: impl IntoIterator<Item = Bytes>) -> Buffers {
        let mut out = VecDeque::new();
        let mut small = BytesMut::new();
        for b in buffers {
            if b.len() >= COALESCE_BELOW {
                if !small.is_empty() {
                    out.push_back(small.split().freeze());
                }
                out.push_back(b);
            } else if !b.is_empty() {
                small.extend_from_slice(&b);
                if small.len() >= COALESCE_BELOW {
                    out.push_back(small.split().freeze());
                }
            }
        }
        if !small.is_empty() {
            out.push_back(small.freeze());
        }
        let remaining = out.iter().map(|b| b.len() as u64).sum();
        Buffers {
            buffers: out,
            remaining,
        }
    }
}

impl Body for Buffers {
    type Data = Bytes;
    type Error = std::io::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        _: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        Poll::Ready(self.buffers.pop_front().map(|b| {
            self.remaining -= b.len() as u64;
            Ok(Frame::data(b))
        }))
    }

    fn is_end_stream(&self) -> bool {
        self.buffers.is_empty()
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::with_exact(self.remaining)
    }
}

/// A streamkit-dash `Origin` for a live presentation, its chunked answers
/// in flight and the clock it counts on (wall-clock time since the Unix
/// epoch, as DASH's availability times are).
pub(crate) struct DashMount {
    pub(crate) prefix: String,
    state: Mutex<DashState>,
    /// Wall-clock time at the server's epoch.
    wall_at_epoch: Duration,
    epoch: Instant,
}

/// The DASH origin and the body channels of its chunked answers.
pub(crate) struct DashState {
    origin: dash::Origin,
    streams: HashMap<dash::StreamId, mpsc::UnboundedSender<Result<Bytes, std::io::Error>>>,
}

impl DashState {
    /// Takes in a live packager event at `now` (wall clock) and sends the
    /// chunks it makes ready.
    pub(crate) fn handle_event(&mut self, event: LiveEvent, now: Duration) {
        self.origin.handle_live_event(event, now);
        self.send_ready();
    }

    /// Aborts the chunked answers past their deadline.
    pub(crate) fn handle_timeout(&mut self, now: Duration) {
        if self.origin.poll_timeout().is_some_and(|t| t <= now) {
            self.origin.handle_timeout(now);
            self.send_ready();
        }
    }

    fn send_ready(&mut self) {
        while let Some(id) = self.origin.poll_ready() {
            self.drain(id);
        }
    }

    fn drain(&mut self, id: dash::StreamId) {
        while let Some(event) = self.origin.poll_chunk(id) {
            let Some(tx) = self.streams.get(&id) else {
                self.origin.cancel(id);
                return;
            };
            match event {
                ChunkEvent::Data(chunk) => {
                    if tx.send(Ok(chunk.to_bytes())).is_err() {
                        self.streams.remove(&id);
                        self.origin.cancel(id);
                        return;
                    }
                }
                ChunkEvent::End => {
                    self.streams.remove(&id);
                    return;
                }
                _ => {
                    // Abort (or anything new): the client must see the
                    // body cut short, not a complete one.
                    let _ = tx.send(Err(std::io::Error::other("segment aborted")));
                    self.streams.remove(&id);
                    return;
                }
            }
        }
    }
}

/// A DASH answer: the origin's whole body, or a chunked one fed by the
/// live pipeline.
pub(crate) enum DashAnswer {
    Full(dash::Response, BufferList),
    Chunked(dash::Response, ChunkedBody),
}

impl DashMount {
    pub(crate) fn new(
        prefix: String,
        origin: dash::Origin,
        epoch: Instant,
        wall_at_epoch: Duration,
    ) -> Arc<DashMount> {
        Arc::new(DashMount {
            prefix,
            state: Mutex::new(DashState {
                origin,
                streams: HashMap::new(),
            }),
            wall_at_epoch,
            epoch,
        })
    }

    /// The origin's clock: wall-clock time, advancing monotonically.
    pub(crate) fn now(&self) -> Duration {
        self.wall_at_epoch + self.epoch.elapsed()
    }

    pub(crate) fn with<T>(&self, f: impl FnOnce(&mut DashState) -> T) -> T {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        f(&mut state)
    }

    pub(crate) fn answer(self: &Arc<DashMount>, path: &str, query: &str) -> DashAnswer {
        let now = self.now();
        let target = if query.is_empty() {
            path.to_owned()
        } else {
            format!("{path}?{query}")
        };
        self.with(|s| {
            let response = s
                .origin
                .handle_request(&dash::Request::from_target(&target), now);
            match response.body.clone() {
                dash::Body::Full(body) => DashAnswer::Full(response, body),
                dash::Body::Chunked(id) => {
                    let (tx, rx) = mpsc::unbounded_channel();
                    s.streams.insert(id, tx);
                    // What is made already goes out at once.
                    s.drain(id);
                    DashAnswer::Chunked(
                        response,
                        ChunkedBody {
                            rx,
                            _forget: ForgetStream {
                                mount: self.clone(),
                                id,
                            },
                        },
                    )
                }
            }
        })
    }
}

struct ForgetStream {
    mount: Arc<DashMount>,
    id: dash::StreamId,
}

impl Drop for ForgetStream {
    fn drop(&mut self) {
        self.mount.with(|s| {
            if s.streams.remove(&self.id).is_some() {
                s.origin.cancel(self.id);
            }
        });
    }
}

/// A body of unknown length (chunked transfer coding): the CMAF chunks of
/// a live segment as the packager makes them.
pub(crate) struct ChunkedBody {
    rx: mpsc::UnboundedReceiver<Result<Bytes, std::io::Error>>,
    _forget: ForgetStream,
}

impl Body for ChunkedBody {
    type Data = Bytes;
    type Error = std::io::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        self.rx
            .poll_recv(cx)
            .map(|chunk| chunk.map(|c| c.map(Frame::data)))
    }
}

/// Every response body the server sends.
pub(crate) enum ResponseBody {
    Buffers(Buffers),
    Chunked(ChunkedBody),
}

impl Body for ResponseBody {
    type Data = Bytes;
    type Error = std::io::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        match self.get_mut() {
            ResponseBody::Buffers(b) => Pin::new(b).poll_frame(cx),
            ResponseBody::Chunked(c) => Pin::new(c).poll_frame(cx),
        }
    }

    fn is_end_stream(&self) -> bool {
        match self {
            ResponseBody::Buffers(b) => b.is_end_stream(),
            ResponseBody::Chunked(_) => false,
        }
    }

    fn size_hint(&self) -> SizeHint {
        match self {
            ResponseBody::Buffers(b) => b.size_hint(),
            ResponseBody::Chunked(_) => SizeHint::default(),
        }
    }
}
