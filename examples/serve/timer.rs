//! A connection's timers (hyper's header read timeout, the send timeout),
//! on one tokio timer per use that is armed again only when it must fire
//! earlier than it is armed for, or when it fired before the deadline now
//! wanted.
//!
//! hyper sets its header read timer on every request and drops it once
//! the head is read, and a response larger than the socket buffer stalls
//! its writes for a moment every time; each arming and each drop of a
//! tokio timer locks the runtime's timer wheel and may wake the worker
//! parked in `epoll_wait` (an `eventfd` write) to look at its next
//! deadline. Under load both workers met on that lock per request
//! (`perf`: `parking_lot` spinning into `sched_yield` from
//! `Handle::reregister` and `clear_entry`). Here a deadline that moves
//! later costs nothing: the timer fires at the old one, finds the deadline
//! not reached and is armed again, at most once per timeout period.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

/// A tokio timer armed lazily for the deadlines it is polled with.
pub(crate) struct LazyTimer {
    sleep: Pin<Box<tokio::time::Sleep>>,
    /// When `sleep` fires; `None` once it has fired (or before it is
    /// first armed).
    armed: Option<Instant>,
}

impl LazyTimer {
    /// A timer not armed yet (nothing is registered with the runtime).
    pub(crate) fn new() -> LazyTimer {
        LazyTimer {
            sleep: Box::pin(tokio::time::sleep(Duration::ZERO)),
            armed: None,
        }
    }

    /// Ready once `deadline` has passed; until then the task is woken at
    /// or before it.
    pub(crate) fn poll_until(&mut self, cx: &mut Context<'_>, deadline: Instant) -> Poll<()> {
        loop {
            if Instant::now() >= deadline {
                return Poll::Ready(());
            }
            if self.armed.is_none_or(|at| at > deadline) {
                self.sleep
                    .as_mut()
                    .reset(tokio::time::Instant::from_std(deadline));
                self.armed = Some(deadline);
            }
            if self.sleep.as_mut().poll(cx).is_pending() {
                return Poll::Pending;
            }
            self.armed = None;
        }
    }
}

/// hyper's timer for one connection: its sleeps share one [`LazyTimer`],
/// so setting, resetting and dropping them touches no runtime state.
#[derive(Clone)]
pub(crate) struct ConnectionTimer {
    timer: Arc<Mutex<LazyTimer>>,
}

impl ConnectionTimer {
    pub(crate) fn new() -> ConnectionTimer {
        ConnectionTimer {
            timer: Arc::new(Mutex::new(LazyTimer::new())),
        }
    }
}

impl hyper::rt::Timer for ConnectionTimer {
    fn sleep(&self, duration: Duration) -> Pin<Box<dyn hyper::rt::Sleep>> {
        self.sleep_until(Instant::now() + duration)
    }

    fn sleep_until(&self, deadline: Instant) -> Pin<Box<dyn hyper::rt::Sleep>> {
        Box::pin(ConnectionSleep {
            timer: self.timer.clone(),
            deadline,
        })
    }
}

/// A sleep of a [`ConnectionTimer`].
struct ConnectionSleep {
    timer: Arc<Mutex<LazyTimer>>,
    deadline: Instant,
}

impl Future for ConnectionSleep {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        self.timer
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .poll_until(cx, self.deadline)
    }
}

impl hyper::rt::Sleep for ConnectionSleep {}

#[cfg(test)]
mod tests {
    use super::*;
    use std::task::Waker;

    /// A deadline moved later does not re-arm the timer; one moved earlier
    /// does; a timer that fired early is armed again for the deadline.
    #[tokio::test]
    async fn armed_again_only_when_it_must_fire_earlier_or_fired_early() {
        let mut timer = LazyTimer::new();
        let mut cx = Context::from_waker(Waker::noop());
        let start = Instant::now();
        let ten = start + Duration::from_secs(10);
        assert!(timer.poll_until(&mut cx, ten).is_pending());
        assert_eq!(timer.armed, Some(ten));
        // Later: left as it is.
        let twelve = start + Duration::from_secs(12);
        assert!(timer.poll_until(&mut cx, twelve).is_pending());
        assert_eq!(timer.armed, Some(ten));
        // Earlier: armed for it.
        let five = start + Duration::from_secs(5);
        assert!(timer.poll_until(&mut cx, five).is_pending());
        assert_eq!(timer.armed, Some(five));
    }
}
