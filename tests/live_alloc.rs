//! Fan-out of a live broadcast allocates nothing per subscriber per sample
//! once it runs: pushing a sample and handing it to every subscriber costs
//! a queue slot (reused) and a `Bytes` handle clone per subscriber, never a
//! heap allocation, whatever the number of subscribers.
// Test helpers: a failure is a test failure.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
#![allow(clippy::disallowed_methods)] // the origin of a virtual clock

use std::time::{Duration, Instant};

use bytes::Bytes;
use streamkit::core::codec::CodecConfig;
use streamkit::core::codec::aac::AacConfig;
use streamkit::core::live::{Broadcast, BroadcastConfig, Delivery, SubscriberId};
use streamkit::core::sample::Sample;
use streamkit::core::time::Timescale;
use streamkit::core::track::Track;

fn track() -> Track {
    Track::new(
        1,
        Timescale::AUDIO_48KHZ,
        CodecConfig::Aac(AacConfig::new(2, 48_000, 2).unwrap()),
    )
}

fn frame(payload: &Bytes, n: i64) -> Sample {
    Sample {
        track_id: 1,
        dts: n * 1_024,
        composition_offset: 0,
        duration: 1_024,
        timescale: Timescale::AUDIO_48KHZ,
        keyframe: true,
        data: payload.clone(),
    }
}

/// Pushes `samples` samples and drains every subscriber after each.
fn run(b: &mut Broadcast, viewers: &[SubscriberId], from: i64, samples: i64, payload: &Bytes) {
    let now = Instant::now();
    for n in from..from + samples {
        b.push(
            now + Duration::from_millis(n as u64 * 21),
            frame(payload, n),
        )
        .unwrap();
        for &v in viewers {
            while let Some(d) = b.poll_delivery(v) {
                assert!(matches!(d, Delivery::Sample(_) | Delivery::Start { .. }));
                drop(d);
            }
        }
    }
}

#[test]
fn steady_fan_out_allocates_nothing_per_subscriber_per_sample() {
    let payload = Bytes::from(vec![0x21; 300]);
    for subscribers in [1usize, 100, 1_000] {
        let now = Instant::now();
        let mut b = Broadcast::new(now, vec![track()], BroadcastConfig::default()).unwrap();
        let viewers: Vec<SubscriberId> = (0..subscribers).map(|_| b.subscribe()).collect();
        // Warm up: the queue grows to its working size, every subscriber
        // has started.
        run(&mut b, &viewers, 0, 2_000, &payload);
        let info = allocation_counter::measure(|| {
            run(&mut b, &viewers, 2_000, 1_000, &payload);
        });
        // The queue may grow a little more while the window fills; never
        // per subscriber or per sample.
        assert!(
            info.count_total <= 4,
            "{subscribers} subscribers: {} allocations for 1000 samples",
            info.count_total
        );
    }
}

#[test]
fn an_idle_subscriber_costs_a_small_fixed_amount_of_memory() {
    let payload = Bytes::from(vec![0x21; 300]);
    let now = Instant::now();
    let mut b = Broadcast::new(now, vec![track()], BroadcastConfig::default()).unwrap();
    run(&mut b, &[], 0, 100, &payload);
    let mut viewers = Vec::with_capacity(10_000);
    let info = allocation_counter::measure(|| {
        for _ in 0..10_000 {
            viewers.push(b.subscribe());
        }
    });
    // What stays allocated (the slots vector grows by doubling: its slack
    // is part of the cost).
    let per_subscriber = info.bytes_current / 10_000;
    eprintln!("{per_subscriber} bytes kept per idle subscriber");
    // The subscriber's slot (its cursor, state and a shared handle to the
    // tracks): no per-subscriber queue, no copy of the stream.
    assert!(
        per_subscriber <= 256,
        "{per_subscriber} bytes per idle subscriber"
    );
    assert_eq!(b.subscriber_count(), 10_000);
}
