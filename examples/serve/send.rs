//! Clients that stop reading: a connection's socket wrapped so that a
//! response whose client accepts no byte for the send timeout is dropped,
//! and so that stalled connections never hold every connection slot.
//!
//! A write that the socket cannot take (the client's window is full) starts
//! a stall; any byte taken ends it. A stall that lasts [`STALL_GRACE`]
//! counts against the [`StalledShare`]: at most `max_connections -
//! reserved` connections may be stalled at once, and a connection that
//! would go over is dropped at once, so the reserved slots stay free for
//! new clients however many connections stop reading. A stall that lasts
//! the send timeout drops the connection in any case. Reading and idle
//! keep-alive time are the header timeout's (hyper's), not this.

use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll, ready};
use std::time::{Duration, Instant};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;

use crate::timer::LazyTimer;

/// How long a write may wait before its connection counts as stalled.
pub(crate) const STALL_GRACE: Duration = Duration::from_secs(1);

/// The connections stalled at once, and their bound.
#[derive(Debug)]
pub(crate) struct StalledShare {
    stalled: AtomicUsize,
    max: usize,
}

impl StalledShare {
    /// At most `max` connections stalled at once.
    pub(crate) fn new(max: usize) -> Arc<StalledShare> {
        Arc::new(StalledShare {
            stalled: AtomicUsize::new(0),
            max,
        })
    }

    fn acquire(&self) -> bool {
        self.stalled
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                (n < self.max).then_some(n + 1)
            })
            .is_ok()
    }

    fn release(&self) {
        self.stalled.fetch_sub(1, Ordering::AcqRel);
    }
}

/// Why a connection was dropped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Dropped {
    /// No byte taken for the send timeout.
    SendTimeout(Duration),
    /// Stalled while the stalled share was full.
    OverStalledShare,
}

impl std::fmt::Display for Dropped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Dropped::SendTimeout(t) => {
                write!(f, "the client took no byte for {t:?} (send timeout)")
            }
            Dropped::OverStalledShare => f.write_str(
                "the client stopped reading while stalled connections hold their share \
                 of the slots; dropped to keep slots for new clients",
            ),
        }
    }
}

impl std::error::Error for Dropped {}

impl Dropped {
    /// The error hyper gets.
    fn error(self) -> io::Error {
        let kind = match self {
            Dropped::SendTimeout(_) => io::ErrorKind::TimedOut,
            Dropped::OverStalledShare => io::ErrorKind::Other,
        };
        io::Error::new(kind, self)
    }

    /// Finds the cause in an error hyper reports.
    pub(crate) fn of(error: &(dyn std::error::Error + 'static)) -> Option<Dropped> {
        let mut source = Some(error);
        while let Some(e) = source {
            if let Some(d) = e
                .downcast_ref::<io::Error>()
                .and_then(|io| io.get_ref())
                .and_then(|inner| inner.downcast_ref::<Dropped>())
            {
                return Some(*d);
            }
            source = e.source();
        }
        None
    }
}

/// A connection's socket with the send timeout and the stalled share.
pub(crate) struct GuardedStream {
    stream: TcpStream,
    timeout: Duration,
    share: Arc<StalledShare>,
    /// When the current stall began.
    stalled_since: Option<Instant>,
    /// Whether this stall counts against the share.
    counted: bool,
    /// Wakes the connection at the stall's next step (armed again only
    /// when it must fire earlier: stalls start on most large responses).
    timer: LazyTimer,
}

impl GuardedStream {
    pub(crate) fn new(
        stream: TcpStream,
        timeout: Duration,
        share: Arc<StalledShare>,
    ) -> GuardedStream {
        GuardedStream {
            stream,
            timeout,
            share,
            stalled_since: None,
            counted: false,
            timer: LazyTimer::new(),
        }
    }

    fn progressed(&mut self) {
        self.stalled_since = None;
        if self.counted {
            self.counted = false;
            self.share.release();
        }
    }

    /// A write could not proceed: `Pending`, or the error that drops the
    /// connection.
    fn stalled(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<usize>> {
        let since = *self.stalled_since.get_or_insert_with(Instant::now);
        let grace = STALL_GRACE.min(self.timeout);
        loop {
            let stalled_for = Instant::now().saturating_duration_since(since);
            if stalled_for >= self.timeout {
                return Poll::Ready(Err(Dropped::SendTimeout(self.timeout).error()));
            }
            if !self.counted && stalled_for >= grace {
                if !self.share.acquire() {
                    return Poll::Ready(Err(Dropped::OverStalledShare.error()));
                }
                self.counted = true;
            }
            // The next step: counted after the grace, dropped at the
            // send timeout.
            let next = since + if self.counted { self.timeout } else { grace };
            if self.timer.poll_until(cx, next).is_pending() {
                return Poll::Pending;
            }
        }
    }

    fn after_write(
        &mut self,
        cx: &mut Context<'_>,
        result: Poll<io::Result<usize>>,
    ) -> Poll<io::Result<usize>> {
        match result {
            Poll::Ready(Ok(n)) => {
                if n > 0 {
                    self.progressed();
                }
                Poll::Ready(Ok(n))
            }
            Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
            Poll::Pending => self.stalled(cx),
        }
    }
}

#[cfg(target_os = "linux")]
impl GuardedStream {
    /// `sendfile(2)` of `len` bytes at `offset` of the store's file.
    fn send_file(
        &mut self,
        cx: &mut Context<'_>,
        store: &crate::zero_copy::Store,
        offset: u64,
        len: usize,
    ) -> Poll<io::Result<usize>> {
        use std::os::fd::AsRawFd;
        let socket = self.stream.as_raw_fd();
        let file = store.file().as_raw_fd();
        let Ok(start) = i64::try_from(offset) else {
            return Poll::Ready(Err(io::Error::other("offset past i64")));
        };
        loop {
            ready!(self.stream.poll_write_ready(cx))?;
            let mut at = start;
            let sent = self.stream.try_io(tokio::io::Interest::WRITABLE, || {
                nix::sys::sendfile::sendfile(socket, file, Some(&mut at), len)
                    .map_err(io::Error::from)
            });
            match sent {
                Ok(n) => return Poll::Ready(Ok(n)),
                // Readiness was cleared: the next poll waits for it.
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                Err(e) => return Poll::Ready(Err(e)),
            }
        }
    }
}

#[cfg(target_os = "linux")]
impl GuardedStream {
    /// Writes `bufs` (from memory) with `MSG_MORE`: the kernel holds what
    /// does not fill a packet for the write that follows, the body from
    /// the file, so a response's head and its body's first bytes share a
    /// packet (nginx's `tcp_nopush`), where `TCP_NODELAY` alone would send
    /// the head in a packet of its own.
    fn send_more(
        &mut self,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        use nix::libc::{MSG_MORE, MSG_NOSIGNAL};
        loop {
            ready!(self.stream.poll_write_ready(cx))?;
            let stream = &self.stream;
            let sent = stream.try_io(tokio::io::Interest::WRITABLE, || {
                socket2::SockRef::from(stream)
                    .send_vectored_with_flags(bufs, MSG_MORE | MSG_NOSIGNAL)
            });
            match sent {
                Ok(n) => return Poll::Ready(Ok(n)),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                Err(e) => return Poll::Ready(Err(e)),
            }
        }
    }
}

impl Drop for GuardedStream {
    fn drop(&mut self) {
        self.progressed();
    }
}

impl AsyncRead for GuardedStream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_read(cx, buf)
    }
}

impl AsyncWrite for GuardedStream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let result = Pin::new(&mut this.stream).poll_write(cx, buf);
        this.after_write(cx, result)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        // Recorded VOD buffers go out from the file (see zero_copy), the
        // rest (heads, playlists, live media) from memory.
        #[cfg(target_os = "linux")]
        if let Some(store) = crate::zero_copy::store() {
            let plain = store.plain_prefix(bufs);
            if plain == 0 {
                if let Some((offset, len)) = store.leading_run(bufs) {
                    let result = this.send_file(cx, store, offset, len);
                    return this.after_write(cx, result);
                }
            } else if plain < bufs.len() {
                // The head, then the body from the file.
                let result = this.send_more(cx, &bufs[..plain]);
                return this.after_write(cx, result);
            }
        }
        let result = Pin::new(&mut this.stream).poll_write_vectored(cx, bufs);
        this.after_write(cx, result)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        ready!(Pin::new(&mut this.stream).poll_shutdown(cx))?;
        Poll::Ready(Ok(()))
    }
}
