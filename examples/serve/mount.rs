//! A streamkit-origin `Origin` mounted under a path prefix and shared by
//! the connection tasks: requests go in; answers, held answers and chunked
//! bodies come out through one channel per pending request.
//!
//! The origin decides everything (which names exist, what is held and for
//! how long, ranges, caching, CORS); this module only keeps the channel
//! each pending request's output goes to, tells the origin when a client
//! goes away, and wakes the origin at its timeouts.

use std::collections::HashMap;
use std::io::IoSlice;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};
use std::time::Instant;

use bytes::{Buf, Bytes};
use hyper::body::{Frame, SizeHint};
use streamkit::core::buffer::BufferList;
use streamkit::origin::{Answer, Body, Origin, Output, PackageSite, Request, RequestId, Response};
use tokio::sync::{Notify, mpsc};

/// Buffers shorter than this are coalesced into shared chunks by the
/// packages, so a response is a few writes, not one per box header.
pub(crate) const COALESCE_BELOW: usize = 16 * 1024;

/// An origin and the pending requests waiting on it.
pub(crate) struct MountState {
    origin: Origin<PackageSite>,
    waiting: HashMap<RequestId, mpsc::UnboundedSender<Output>>,
}

impl MountState {
    /// Sends every output to the connection that waits for it.
    fn dispatch(&mut self) {
        while let Some(out) = self.origin.poll_output() {
            let id = out.id();
            let last = match &out {
                Output::Response { response, .. } => !matches!(response.body, Body::Chunked),
                Output::End { .. } | Output::Abort { .. } => true,
                _ => false,
            };
            let delivered = self.waiting.get(&id).is_some_and(|tx| tx.send(out).is_ok());
            if last || !delivered {
                self.waiting.remove(&id);
                if !delivered {
                    self.origin.cancel(id);
                }
            }
        }
    }
}

/// An origin mounted at its base path (`/vod/NAME/`, `/live/NAME/`).
pub(crate) struct Mount {
    state: Mutex<MountState>,
    /// Woken when the origin's next timeout may have moved earlier.
    timeouts: Notify,
}

/// What a request gets: the whole answer now, or a receiver of its
/// outputs.
#[allow(clippy::large_enum_variant)] // moved once per request; boxing would allocate
pub(crate) enum Answered {
    Now(Response),
    Later(Pending),
}

/// A pending request: its outputs, and the guard that cancels it when the
/// client goes away.
pub(crate) struct Pending {
    pub(crate) outputs: mpsc::UnboundedReceiver<Output>,
    _cancel: Cancel,
}

impl Mount {
    pub(crate) fn new(origin: Origin<PackageSite>) -> Arc<Mount> {
        Arc::new(Mount {
            state: Mutex::new(MountState {
                origin,
                waiting: HashMap::new(),
            }),
            timeouts: Notify::new(),
        })
    }

    /// Runs `f` on the state (held briefly: no await inside).
    pub(crate) fn with<T>(&self, f: impl FnOnce(&mut MountState) -> T) -> T {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        f(&mut state)
    }

    /// Changes the site (pushes into its package) at `now`, then lets the
    /// held requests and open streams see the change.
    pub(crate) fn change<T>(&self, now: Instant, f: impl FnOnce(&mut PackageSite) -> T) -> T {
        let out = self.with(|s| {
            let out = s.origin.change_site(now, f);
            s.dispatch();
            out
        });
        self.timeouts.notify_one();
        out
    }

    /// Answers `request` at `now`.
    pub(crate) fn answer(self: &Arc<Mount>, now: Instant, request: &Request<'_>) -> Answered {
        let answered = self.with(|s| match s.origin.handle_request(now, request) {
            Answer::Response(r) => Answered::Now(r),
            Answer::Pending(id) => {
                let (tx, rx) = mpsc::unbounded_channel();
                s.waiting.insert(id, tx);
                // The answer may be queued already.
                s.dispatch();
                Answered::Later(Pending {
                    outputs: rx,
                    _cancel: Cancel {
                        mount: self.clone(),
                        id,
                    },
                })
            }
        });
        if matches!(answered, Answered::Later(_)) {
            self.timeouts.notify_one();
        }
        answered
    }

    /// Answers the held requests whose time is up, forever: sleeps until
    /// the origin's next timeout (or until a change may have brought it
    /// earlier).
    pub(crate) async fn run_timeouts(self: Arc<Mount>) {
        loop {
            let next = self.with(|s| s.origin.poll_timeout());
            match next {
                Some(at) => {
                    let sleep = tokio::time::sleep_until(tokio::time::Instant::from_std(at));
                    tokio::select! {
                        () = sleep => {
                            self.with(|s| {
                                s.origin.handle_timeout(Instant::now());
                                s.dispatch();
                            });
                        }
                        () = self.timeouts.notified() => {}
                    }
                }
                None => self.timeouts.notified().await,
            }
        }
    }
}

struct Cancel {
    mount: Arc<Mount>,
    id: RequestId,
}

impl Drop for Cancel {
    fn drop(&mut self) {
        self.mount.with(|s| {
            if s.waiting.remove(&self.id).is_some() {
                s.origin.cancel(self.id);
            }
        });
    }
}

/// A run of the origin's buffers as one piece of response data: hyper
/// queues it as one buffer and hands all of its slices to one vectored
/// write (`chunks_vectored`), where a frame per buffer would be flushed
/// every 16 buffers (hyper's queue bound) and so take several writes (or
/// `sendfile`s, see [`crate::zero_copy`]) per segment. The buffers are the
/// origin's own `Bytes`, never copied.
pub(crate) struct Slices {
    /// The buffers, none empty.
    buffers: Vec<Bytes>,
    /// The first one not written yet.
    at: usize,
    remaining: usize,
}

impl Slices {
    /// `buffers` as one piece of data (empty ones left out).
    pub(crate) fn new(mut buffers: Vec<Bytes>) -> Slices {
        buffers.retain(|b| !b.is_empty());
        let remaining = buffers.iter().map(Bytes::len).sum();
        Slices {
            buffers,
            at: 0,
            remaining,
        }
    }
}

impl Buf for Slices {
    fn remaining(&self) -> usize {
        self.remaining
    }

    fn chunk(&self) -> &[u8] {
        self.buffers.get(self.at).map_or(&[], |b| &b[..])
    }

    fn advance(&mut self, mut cnt: usize) {
        while cnt > 0 {
            let Some(b) = self.buffers.get_mut(self.at) else {
                break;
            };
            let n = cnt.min(b.len());
            b.advance(n);
            self.remaining -= n;
            cnt -= n;
            if b.is_empty() {
                self.at += 1;
            }
        }
    }

    fn chunks_vectored<'a>(&'a self, dst: &mut [IoSlice<'a>]) -> usize {
        let mut n = 0;
        for (slot, b) in dst
            .iter_mut()
            .zip(&self.buffers[self.at.min(self.buffers.len())..])
        {
            *slot = IoSlice::new(b);
            n += 1;
        }
        n
    }
}

/// A full body: the origin's buffers, all in one frame.
pub(crate) struct Buffers {
    data: Option<Slices>,
}

impl Buffers {
    pub(crate) fn new(list: BufferList) -> Buffers {
        let data = Slices::new(list.into_buffers());
        Buffers {
            data: (data.remaining > 0).then_some(data),
        }
    }
}

/// A chunked body: the chunks of a pending request as the origin sends
/// them; an abort ends the body with an error, so the client sees it cut
/// short.
pub(crate) struct Chunks {
    pending: Pending,
    done: bool,
}

impl Chunks {
    pub(crate) fn new(pending: Pending) -> Chunks {
        Chunks {
            pending,
            done: false,
        }
    }
}

/// Every response body the server sends.
pub(crate) enum ResponseBody {
    Full(Buffers),
    Chunked(Chunks),
}

impl ResponseBody {
    pub(crate) fn bytes(bytes: Bytes) -> ResponseBody {
        ResponseBody::Full(Buffers::new(BufferList::from(bytes)))
    }
}

impl hyper::body::Body for ResponseBody {
    type Data = Slices;
    type Error = std::io::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Slices>, Self::Error>>> {
        match self.get_mut() {
            ResponseBody::Full(b) => Poll::Ready(b.data.take().map(|data| Ok(Frame::data(data)))),
            ResponseBody::Chunked(c) => loop {
                if c.done {
                    return Poll::Ready(None);
                }
                match c.pending.outputs.poll_recv(cx) {
                    Poll::Pending => return Poll::Pending,
                    Poll::Ready(Some(Output::Chunk { chunk, .. })) => {
                        let data = Slices::new(chunk.into_buffers());
                        if data.remaining > 0 {
                            return Poll::Ready(Some(Ok(Frame::data(data))));
                        }
                    }
                    Poll::Ready(Some(Output::End { .. })) => {
                        c.done = true;
                        return Poll::Ready(None);
                    }
                    Poll::Ready(Some(Output::Response { .. })) => {}
                    // An abort, or the origin went away.
                    Poll::Ready(_) => {
                        c.done = true;
                        return Poll::Ready(Some(Err(std::io::Error::other("body cut short"))));
                    }
                }
            },
        }
    }

    fn is_end_stream(&self) -> bool {
        match self {
            ResponseBody::Full(b) => b.data.is_none(),
            ResponseBody::Chunked(c) => c.done,
        }
    }

    fn size_hint(&self) -> SizeHint {
        match self {
            ResponseBody::Full(b) => {
                SizeHint::with_exact(b.data.as_ref().map_or(0, |d| d.remaining as u64))
            }
            ResponseBody::Chunked(_) => SizeHint::default(),
        }
    }
}
