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
use streamkit::core::buffer::BufferList;
use streamkit::dash::live::LiveEvent;
use streamkit::dash::origin::{self as dash, ChunkEvent};
use streamkit::hls::origin::{
    CACHE_IMMUTABLE, CACHE_NO_STORE, Handled, Origin, Request, RequestId, Response,
};
use streamkit::hls::packager::PackagerEvent;
use tokio::sync::{mpsc, oneshot};

/// An origin and the requests waiting on it.
pub(crate) struct OriginState {
    origin: Origin,
    waiting: HashMap<RequestId, oneshot::Sender<Response>>,
    gathered: GatheredCache,
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
                gathered: GatheredCache::default(),
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

    /// The response body of the origin's answer to `path`: immutable
    /// resources are gathered once and then shared.
    pub(crate) fn body(&self, path: &str, response: Response) -> Buffers {
        let immutable = response.status == 200 && response.cache_control == CACHE_IMMUTABLE;
        self.with(|s| s.gathered.body(path, immutable, response.body))
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

/// A response body from the origin's buffers, in order, as [`gather`]
/// made them: a few frames of shared [`Bytes`] handles.
pub(crate) struct Buffers {
    buffers: Arc<[Bytes]>,
    next: usize,
    remaining: u64,
}

/// Buffers shorter than this are copied into a shared chunk.
const COALESCE_BELOW: usize = 16 * 1024;

/// The origin's buffers with runs of small ones (fMP4 box headers, short
/// samples) copied into chunks of at least [`COALESCE_BELOW`] bytes, so
/// that a segment of sixty buffers is a few frames for hyper to write,
/// not sixty. Buffers of [`COALESCE_BELOW`] bytes or more stay as they are
/// (no copy).
fn gather(buffers: impl IntoIterator<Item = Bytes>) -> Arc<[Bytes]> {
    let mut out = Vec::new();
    let mut small = BytesMut::new();
    for b in buffers {
        if b.len() >= COALESCE_BELOW {
            if !small.is_empty() {
                out.push(small.split().freeze());
            }
            out.push(b);
        } else if !b.is_empty() {
            small.extend_from_slice(&b);
            if small.len() >= COALESCE_BELOW {
                out.push(small.split().freeze());
            }
        }
    }
    if !small.is_empty() {
        out.push(small.freeze());
    }
    out.into()
}

impl Buffers {
    /// A body of `buffers`, gathered now (for answers made once, such as
    /// playlists and error texts).
    pub(crate) fn new(buffers: impl IntoIterator<Item = Bytes>) -> Buffers {
        Buffers::shared(gather(buffers))
    }

    /// A body of buffers gathered before: only their handles are cloned.
    fn shared(buffers: Arc<[Bytes]>) -> Buffers {
        let remaining = buffers.iter().map(|b| b.len() as u64).sum();
        Buffers {
            buffers,
            next: 0,
            remaining,
        }
    }
}

/// Bytes of gathered bodies a mount keeps at most; past it the oldest
/// entries go first.
const GATHERED_LIMIT: u64 = 64 * 1024 * 1024;

/// The gathered form of a mount's immutable resources (segments, parts,
/// init segments), keyed by path, so that a request clones handles instead
/// of copying the small buffers again. Only answers the origin gives with
/// `200` and its immutable Cache-Control are kept or served from here: the
/// origin still decides, per request, whether a name exists.
#[derive(Default)]
pub(crate) struct GatheredCache {
    entries: HashMap<String, Arc<[Bytes]>>,
    /// Paths in the order they came in, for eviction.
    order: VecDeque<String>,
    /// Bytes of all the entries.
    held: u64,
}

impl GatheredCache {
    /// The body for the origin's answer to `path`.
    fn body(&mut self, path: &str, immutable: bool, body: BufferList) -> Buffers {
        if !immutable {
            return Buffers::new(body.into_buffers());
        }
        let len = body.len();
        if let Some(found) = self.entries.get(path) {
            let found = Buffers::shared(found.clone());
            // The same name always has the same bytes; the length check
            // only guards against a name reused by a new origin state.
            if found.remaining == len {
                return found;
            }
            self.remove(path);
        }
        let gathered = gather(body.into_buffers());
        if len <= GATHERED_LIMIT {
            while self.held + len > GATHERED_LIMIT {
                let Some(oldest) = self.order.pop_front() else {
                    break;
                };
                if let Some(e) = self.entries.remove(&oldest) {
                    self.held -= e.iter().map(|b| b.len() as u64).sum::<u64>();
                }
            }
            self.entries.insert(path.to_owned(), gathered.clone());
            self.order.push_back(path.to_owned());
            self.held += len;
        }
        Buffers::shared(gathered)
    }

    fn remove(&mut self, path: &str) {
        if let Some(e) = self.entries.remove(path) {
            self.held -= e.iter().map(|b| b.len() as u64).sum::<u64>();
            self.order.retain(|p| p != path);
        }
    }
}

impl Body for Buffers {
    type Data = Bytes;
    type Error = std::io::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        _: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        let this = self.get_mut();
        Poll::Ready(this.buffers.get(this.next).map(|b| {
            this.next += 1;
            this.remaining -= b.len() as u64;
            Ok(Frame::data(b.clone()))
        }))
    }

    fn is_end_stream(&self) -> bool {
        self.next >= self.buffers.len()
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
    gathered: GatheredCache,
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
    Full(dash::Response, Buffers),
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
                gathered: GatheredCache::default(),
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
                dash::Body::Full(body) => {
                    let immutable =
                        response.status == 200 && response.cache_control == dash::CACHE_IMMUTABLE;
                    let body = s.gathered.body(path, immutable, body);
                    DashAnswer::Full(response, body)
                }
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

#[cfg(test)]
mod tests {
    use super::{Buffers, COALESCE_BELOW, GatheredCache};
    use bytes::Bytes;
    use streamkit::core::buffer::BufferList;

    fn list() -> BufferList {
        let mut list = BufferList::new();
        for i in 0..40u8 {
            list.push(Bytes::from(vec![i; 1000]));
        }
        list.push(Bytes::from(vec![0xaa; COALESCE_BELOW]));
        list.push(Bytes::from_static(b"tail"));
        list
    }

    fn frames(b: &Buffers) -> Vec<Bytes> {
        b.buffers[b.next..].to_vec()
    }

    #[test]
    fn an_immutable_body_is_gathered_once_and_then_shared() {
        let mut cache = GatheredCache::default();
        let first = cache.body("/vod/a/seg-1.m4s", true, list());
        let second = cache.body("/vod/a/seg-1.m4s", true, list());
        let (first, second) = (frames(&first), frames(&second));
        assert_eq!(first.concat(), list().to_bytes());
        // 17 000 + 17 000 + 6 000 small bytes, the large buffer, the tail.
        assert_eq!(first.len(), 5);
        assert_eq!(first.len(), second.len());
        for (a, b) in first.iter().zip(&second) {
            assert_eq!(a.as_ptr(), b.as_ptr());
            assert_eq!(a.len(), b.len());
        }
        assert_eq!(cache.entries.len(), 1);
    }

    #[test]
    fn a_mutable_body_is_gathered_per_request_and_not_kept() {
        let mut cache = GatheredCache::default();
        let first = frames(&cache.body("/live/a/index.m3u8", false, list()));
        let second = frames(&cache.body("/live/a/index.m3u8", false, list()));
        assert_eq!(first.concat(), second.concat());
        assert_ne!(first[0].as_ptr(), second[0].as_ptr());
        assert!(cache.entries.is_empty());
    }
}
