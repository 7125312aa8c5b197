//! When to connect again after a session ends: exponential backoff with
//! jitter, on the caller's clock.

use std::time::{Duration, Instant};

/// How [`Reconnect`] spaces its attempts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct ReconnectConfig {
    /// The wait after the first failure.
    pub initial: Duration,
    /// The longest wait.
    pub max: Duration,
    /// A session that played this long resets the wait to `initial`.
    pub healthy_after: Duration,
}

impl Default for ReconnectConfig {
    fn default() -> ReconnectConfig {
        ReconnectConfig {
            initial: Duration::from_millis(500),
            max: Duration::from_secs(30),
            healthy_after: Duration::from_secs(10),
        }
    }
}

/// The reconnect policy of one source (a camera `serve` pulls): call
/// [`connected`](Reconnect::connected) when a session starts playing,
/// [`failed`](Reconnect::failed) when a connection attempt fails or a
/// session ends, and connect again at [`poll_timeout`](Reconnect::poll_timeout).
/// The wait doubles after each failure up to [`ReconnectConfig::max`]; a
/// session that played for [`ReconnectConfig::healthy_after`] starts the
/// count again. Each wait is shortened by up to a quarter by the caller's
/// random value, so that many sources that failed together (a switch
/// rebooting) do not all return in the same instant.
#[derive(Debug, Clone)]
pub struct Reconnect {
    config: ReconnectConfig,
    failures: u32,
    playing_since: Option<Instant>,
    next: Option<Instant>,
}

impl Reconnect {
    /// A policy that connects at once.
    #[must_use]
    pub fn new(config: ReconnectConfig) -> Reconnect {
        Reconnect {
            config,
            failures: 0,
            playing_since: None,
            next: None,
        }
    }

    /// A session started playing at `now`.
    pub fn connected(&mut self, now: Instant) {
        self.playing_since = Some(now);
        self.next = None;
    }

    /// The attempt failed, or the session ended, at `now`; `random` is any
    /// value from the caller's random source. Returns the wait chosen.
    pub fn failed(&mut self, now: Instant, random: u32) -> Duration {
        if let Some(since) = self.playing_since.take()
            && now.saturating_duration_since(since) >= self.config.healthy_after
        {
            self.failures = 0;
        }
        let doubled = self
            .config
            .initial
            .saturating_mul(1u32 << self.failures.min(20));
        let wait = doubled.min(self.config.max);
        // Up to a quarter less, by the random value (none for a wait too
        // long to scale).
        let jitter = (wait / 4)
            .checked_mul(random % 1024)
            .map_or(Duration::ZERO, |d| d / 1024);
        let wait = wait.saturating_sub(jitter);
        self.failures = self.failures.saturating_add(1);
        // A wait past what the clock can hold is never.
        self.next = now.checked_add(wait);
        wait
    }

    /// Failures since the last healthy session.
    #[must_use]
    pub fn failures(&self) -> u32 {
        self.failures
    }

    /// When to connect again (`None`: now, or while playing, or never for
    /// a configured wait past what `Instant` holds).
    #[must_use]
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.next
    }
}
