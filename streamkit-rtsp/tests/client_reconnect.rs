//! The reconnect policy on a virtual clock: the wait doubles from 500 ms
//! up to 30 s, a quarter of it at most taken off by the caller's random
//! value; a session that played 10 s starts the count again, a shorter
//! one does not; `poll_timeout` is the failure's time plus the wait.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may fail loudly

use std::time::{Duration, Instant};

use streamkit_rtsp::client::{Reconnect, ReconnectConfig};

#[allow(clippy::disallowed_methods)] // the virtual clock's origin
fn origin() -> Instant {
    Instant::now()
}

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

#[test]
fn waits_double_up_to_the_cap() {
    let t0 = origin();
    let mut r = Reconnect::new(ReconnectConfig::default());
    assert_eq!(r.poll_timeout(), None, "the first attempt is at once");
    let mut now = t0;
    let mut waits = Vec::new();
    for _ in 0..10 {
        let wait = r.failed(now, 0);
        assert_eq!(r.poll_timeout(), Some(now + wait));
        waits.push(wait.as_millis());
        now += wait;
    }
    assert_eq!(
        waits,
        [
            500, 1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000, 30_000, 30_000
        ]
    );
    assert_eq!(r.failures(), 10);
}

#[test]
fn the_random_value_takes_off_at_most_a_quarter() {
    let t0 = origin();
    let mut r = Reconnect::new(ReconnectConfig::default());
    // 500 ms: a quarter is 125 ms, 1023/1024 of it 124.877 ms.
    assert_eq!(r.failed(t0, 1023), ms(500) - ms(125) * 1023 / 1024);
    // Only the low ten bits count: 1024 is 0.
    assert_eq!(r.failed(t0, 1024), ms(1_000));
    assert_eq!(r.failed(t0, 512), ms(2_000) - ms(500) / 2);
}

#[test]
fn a_healthy_session_starts_the_count_again_and_a_short_one_does_not() {
    let t0 = origin();
    let mut r = Reconnect::new(ReconnectConfig::default());
    assert_eq!(r.failed(t0, 0), ms(500));
    assert_eq!(r.failed(t0, 0), ms(1_000));
    // Played 9.999 s: not healthy, the count goes on.
    r.connected(t0 + ms(2_000));
    assert_eq!(r.poll_timeout(), None, "playing: nothing to wait for");
    assert_eq!(r.failed(t0 + ms(11_999), 0), ms(2_000));
    // Played 10 s: healthy, back to the first wait.
    r.connected(t0 + ms(20_000));
    assert_eq!(r.failed(t0 + ms(30_000), 0), ms(500));
    assert_eq!(r.failures(), 1);
    assert_eq!(r.poll_timeout(), Some(t0 + ms(30_500)));
}

#[test]
fn the_configuration_is_followed() {
    let t0 = origin();
    let mut config = ReconnectConfig::default();
    config.initial = ms(100);
    config.max = ms(250);
    config.healthy_after = ms(1);
    let mut r = Reconnect::new(config);
    let waits: Vec<_> = (0..4).map(|_| r.failed(t0, 0)).collect();
    assert_eq!(waits, [ms(100), ms(200), ms(250), ms(250)]);
    r.connected(t0);
    assert_eq!(r.failed(t0 + ms(1), 0), ms(100));
}

#[test]
fn a_wait_too_long_for_the_clock_is_no_panic() {
    let t0 = origin();
    let mut config = ReconnectConfig::default();
    config.initial = Duration::MAX;
    config.max = Duration::MAX;
    let mut r = Reconnect::new(config);
    assert_eq!(r.failed(t0, 1023), Duration::MAX);
    assert_eq!(r.poll_timeout(), None);
    assert_eq!(r.failed(t0, 7), Duration::MAX);
}
