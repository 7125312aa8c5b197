//! HLS packaging throughput: the largest fixture, parsed from its bytes,
//! through streamkit-hls's packager to every segment, init segment and
//! playlist (VOD, 2 s segments), events drained and dropped. Throughput in
//! input file bytes.
//!
//! - `fmp4`: one track per rendition, fMP4 segments as buffer lists
//!   (sample payloads not copied).
//! - `fmp4_ll`: the same with 500 ms low-latency parts, as a live EVENT
//!   (a playlist per batch of parts).
//! - `ts`: one muxed rendition, MPEG-TS segments (payloads copied once into
//!   188-byte packets).
//!
//! Run: `cargo bench --bench hls_package`

// A bench that cannot read its fixture or package it has nothing to measure.
#![allow(clippy::expect_used)]

use std::hint::black_box;
use std::path::PathBuf;
use std::time::Duration;

use bytes::Bytes;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use streamkit::core::mp4::Mp4File;
use streamkit::core::time::{MediaTime, Timescale};
use streamkit::hls::packager::{Packager, PackagerConfig, PlaylistKind, SegmentFormat};

/// The largest fixture (scripts/make-fixtures.sh): 10 s of H.264 and AAC.
const FIXTURE: &str = "h264_aac.mp4";

fn package(data: &Bytes, config: &PackagerConfig) -> u64 {
    let file = Mp4File::parse(data.clone()).expect("fixture parses");
    let mut packager = Packager::for_mp4(&file, config.clone()).expect("packager");
    let mut events = 0u64;
    for sample in file.samples() {
        packager.push(sample).expect("push");
        while let Some(e) = packager.poll() {
            black_box(&e);
            events += 1;
        }
    }
    packager.finish().expect("finish");
    while let Some(e) = packager.poll() {
        black_box(&e);
        events += 1;
    }
    events
}

fn hls_package(c: &mut Criterion) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(FIXTURE);
    let data = Bytes::from(std::fs::read(&path).expect("fixture present"));
    let two = MediaTime::new(2, Timescale::SECONDS);
    let configs = [
        ("fmp4", PackagerConfig::vod(SegmentFormat::Fmp4, two)),
        (
            "fmp4_ll",
            PackagerConfig::vod(SegmentFormat::Fmp4, two)
                .with_kind(PlaylistKind::Event)
                .with_part_target(MediaTime::new(500, Timescale::MILLIS)),
        ),
        ("ts", PackagerConfig::vod(SegmentFormat::Ts, two)),
    ];
    let mut group = c.benchmark_group("hls_package");
    group
        .measurement_time(Duration::from_secs(3))
        .warm_up_time(Duration::from_secs(1))
        .sample_size(30);
    group.throughput(Throughput::Bytes(data.len() as u64));
    for (name, config) in &configs {
        group.bench_function(format!("h264_aac/{name}"), |b| {
            b.iter(|| package(&data, config));
        });
    }
    group.finish();
}

criterion_group!(benches, hls_package);
criterion_main!(benches);
