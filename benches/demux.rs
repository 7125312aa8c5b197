//! MP4 demux: open the largest fixture (parse `moov`, check every sample
//! table) and iterate every sample of every track, interleaved by decode
//! time. Reported as samples per second and as file megabytes per second.
//!
//! The peer is the mp4 crate (mp4-rust), on the same input in the same
//! group: `Mp4Reader::read_header` then `read_sample` for every sample of
//! every track, track after track (it has no interleaved iterator; each
//! sample's bytes are read into a buffer of their own). Ours is measured
//! both ways: interleaved (`streamkit`) and track after track
//! (`streamkit-per-track`, the peer's order), each sample a slice of the
//! file.
//!
//! Run: `cargo bench --bench demux`

// A missing or broken fixture is a broken benchmark: stop loudly.
#![allow(clippy::expect_used)]

use std::hint::black_box;
use std::io::Cursor;
use std::path::PathBuf;
use std::time::Duration;

use bytes::Bytes;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use streamkit::core::mp4::Mp4File;

/// The largest fixture (scripts/make-fixtures.sh): 10 s of H.264 with
/// B-frames and AAC.
const FIXTURE: &str = "h264_aac.mp4";

fn demux(c: &mut Criterion) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(FIXTURE);
    let data = Bytes::from(std::fs::read(&path).expect("fixture present"));
    let samples = Mp4File::parse(data.clone())
        .expect("fixture parses")
        .samples()
        .count() as u64;

    let open_and_iterate = |data: &Bytes| {
        let file = Mp4File::parse(data.clone()).expect("fixture parses");
        let mut bytes = 0usize;
        for s in file.samples() {
            bytes += black_box(s).data.len();
        }
        bytes
    };

    let per_track = |data: &Bytes| {
        let file = Mp4File::parse(data.clone()).expect("fixture parses");
        let mut bytes = 0usize;
        for track in file.tracks() {
            for s in file.track_samples(track.id()).expect("supported track") {
                bytes += black_box(s).data.len();
            }
        }
        bytes
    };

    let peer = |data: &Bytes| {
        let mut reader = mp4::Mp4Reader::read_header(Cursor::new(data.clone()), data.len() as u64)
            .expect("fixture parses in the mp4 crate");
        let mut ids: Vec<u32> = reader.tracks().keys().copied().collect();
        ids.sort_unstable();
        let mut bytes = 0usize;
        for id in ids {
            let count = reader.sample_count(id).expect("track");
            for n in 1..=count {
                let s = reader.read_sample(id, n).expect("sample reads");
                bytes += black_box(s).map_or(0, |s| s.bytes.len());
            }
        }
        bytes
    };
    assert_eq!(open_and_iterate(&data), peer(&data), "both read every byte");
    assert_eq!(per_track(&data), peer(&data));

    let mut group = c.benchmark_group("mp4_demux");
    group
        .measurement_time(Duration::from_secs(3))
        .warm_up_time(Duration::from_secs(1))
        .sample_size(30);
    group.throughput(Throughput::Elements(samples));
    group.bench_function("samples/streamkit", |b| {
        b.iter(|| open_and_iterate(black_box(&data)))
    });
    group.bench_function("samples/streamkit-per-track", |b| {
        b.iter(|| per_track(black_box(&data)))
    });
    group.bench_function("samples/mp4", |b| b.iter(|| peer(black_box(&data))));
    group.throughput(Throughput::Bytes(data.len() as u64));
    group.bench_function("bytes/streamkit", |b| {
        b.iter(|| open_and_iterate(black_box(&data)))
    });
    group.bench_function("bytes/streamkit-per-track", |b| {
        b.iter(|| per_track(black_box(&data)))
    });
    group.bench_function("bytes/mp4", |b| b.iter(|| peer(black_box(&data))));
    group.finish();
}

criterion_group!(benches, demux);
criterion_main!(benches);
