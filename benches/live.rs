//! Live fan-out: one sample pushed into a broadcast and handed to every
//! subscriber (each drains its deliveries), for 1, 100 and 10 000
//! subscribers. Throughput in subscriber-samples, so criterion's time per
//! element is the cost per subscriber per sample. No peer is measured: no
//! Rust live fan-out library is a dependency of the workspace; the floor is
//! one `Bytes` handle clone per subscriber (an atomic increment), measured
//! in the same group as `bytes_clone`.
//!
//! Run: `cargo bench --bench live`
#![allow(clippy::expect_used)] // a bench that cannot build its input has nothing to measure
#![allow(clippy::disallowed_methods)] // the origin of a virtual clock

use std::hint::black_box;
use std::time::{Duration, Instant};

use bytes::Bytes;
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use streamkit::core::codec::CodecConfig;
use streamkit::core::codec::aac::AacConfig;
use streamkit::core::live::{Broadcast, BroadcastConfig, SubscriberId};
use streamkit::core::sample::Sample;
use streamkit::core::time::Timescale;
use streamkit::core::track::Track;

fn fan_out(c: &mut Criterion) {
    let track = Track::new(
        1,
        Timescale::AUDIO_48KHZ,
        CodecConfig::Aac(AacConfig::new(2, 48_000, 2).expect("config")),
    );
    let payload = Bytes::from(vec![0x21u8; 300]);
    let mut group = c.benchmark_group("live_fan_out");
    group
        .measurement_time(Duration::from_secs(3))
        .warm_up_time(Duration::from_secs(1));
    for subscribers in [1u64, 100, 10_000] {
        let now = Instant::now();
        let mut b = Broadcast::new(now, vec![track.clone()], BroadcastConfig::default())
            .expect("broadcast");
        let viewers: Vec<SubscriberId> = (0..subscribers).map(|_| b.subscribe()).collect();
        let mut n = 0i64;
        group.throughput(Throughput::Elements(subscribers));
        group.bench_function(BenchmarkId::new("push_and_drain", subscribers), |bench| {
            bench.iter(|| {
                let sample = Sample {
                    track_id: 1,
                    dts: n * 1_024,
                    composition_offset: 0,
                    duration: 1_024,
                    timescale: Timescale::AUDIO_48KHZ,
                    keyframe: true,
                    data: payload.clone(),
                };
                b.push(now + Duration::from_micros(n as u64 * 21_333), sample)
                    .expect("push");
                n += 1;
                for &v in &viewers {
                    while let Some(d) = b.poll_delivery(v) {
                        black_box(d);
                    }
                }
            });
        });
        group.throughput(Throughput::Elements(subscribers));
        group.bench_function(BenchmarkId::new("bytes_clone", subscribers), |bench| {
            bench.iter(|| {
                for _ in 0..subscribers {
                    black_box(payload.clone());
                }
            });
        });
    }
    group.finish();
}

criterion_group!(benches, fan_out);
criterion_main!(benches);
