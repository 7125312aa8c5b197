//! HLS packaging throughput: the largest fixture, parsed from its bytes,
//! through the packaging store (streamkit-core's Package) to every segment
//! and init segment, and streamkit-hls's presentation to every playlist
//! (VOD, 2 s segments), events drained and dropped. Throughput in input
//! file bytes.
//!
//! - `fmp4`: one track per rendition, fMP4 segments as buffer lists
//!   (sample payloads not copied).
//! - `fmp4_ll`: the same with 500 ms low-latency parts, as a live EVENT
//!   (every playlist made after each push that made a part).
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
use streamkit::core::package::{Container, Package, PackageConfig, PackageEvent, RenditionSpec};
use streamkit::core::time::{MediaTime, Timescale};
use streamkit::hls::presentation::{PlaylistKind, Presentation, PresentationConfig};

/// The largest fixture (scripts/make-fixtures.sh): 10 s of H.264 and AAC.
const FIXTURE: &str = "h264_aac.mp4";

/// What to package: the package's configuration (`ts`: one muxed MPEG-TS
/// rendition) and the playlists' kind.
#[derive(Clone, Copy)]
struct Setup {
    ts: bool,
    low_latency: bool,
}

fn package(data: &Bytes, setup: Setup) -> u64 {
    let file = Mp4File::parse(data.clone()).expect("fixture parses");
    let two = MediaTime::new(2, Timescale::SECONDS);
    let mut config = PackageConfig::new(two);
    if setup.low_latency {
        config = config.with_part_target(MediaTime::new(500, Timescale::MILLIS));
    }
    if setup.ts {
        let (tracks, _) = file.tracks_and_shifts();
        config = config.with_renditions(vec![RenditionSpec::muxed(
            "main",
            Container::MpegTs,
            &tracks,
        )]);
    }
    let mut package = Package::for_mp4(&file, config).expect("package");
    let kind = if setup.low_latency {
        PlaylistKind::Event
    } else {
        PlaylistKind::Vod
    };
    let hls = Presentation::new(&package, PresentationConfig::vod().with_kind(kind))
        .expect("presentation");
    let mut events = 0u64;
    for sample in file.samples() {
        package.push(sample).expect("push");
        let mut parts = false;
        while let Some(e) = package.poll_event() {
            parts |= matches!(e, PackageEvent::Part { .. });
            black_box(&e);
            events += 1;
        }
        if parts {
            for i in 0..hls.renditions().len() {
                black_box(
                    hls.media_playlist(&package, i)
                        .expect("rendition")
                        .to_bytes()
                        .expect("writes"),
                );
            }
        }
    }
    package.finish().expect("finish");
    while let Some(e) = package.poll_event() {
        black_box(&e);
        events += 1;
    }
    black_box(hls.playlists(&package).expect("playlists"));
    events
}

fn hls_package(c: &mut Criterion) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(FIXTURE);
    let data = Bytes::from(std::fs::read(&path).expect("fixture present"));
    let configs = [
        (
            "fmp4",
            Setup {
                ts: false,
                low_latency: false,
            },
        ),
        (
            "fmp4_ll",
            Setup {
                ts: false,
                low_latency: true,
            },
        ),
        (
            "ts",
            Setup {
                ts: true,
                low_latency: false,
            },
        ),
    ];
    let mut group = c.benchmark_group("hls_package");
    group
        .measurement_time(Duration::from_secs(3))
        .warm_up_time(Duration::from_secs(1))
        .sample_size(30);
    group.throughput(Throughput::Bytes(data.len() as u64));
    for (name, setup) in configs {
        group.bench_function(format!("h264_aac/{name}"), |b| {
            b.iter(|| package(&data, setup));
        });
    }
    group.finish();
}

criterion_group!(benches, hls_package);
criterion_main!(benches);
