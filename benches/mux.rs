//! Muxing and segmenting the largest fixture, its samples demuxed once
//! outside the timed loop.
//!
//! - `ts_mux`: every sample to MPEG-TS packets (PAT/PMT, PES, 188-byte
//!   packets) in a reused `Vec`; throughput in sample payload bytes.
//! - `segmenter`: every sample through the segmenter (2 s segments, 500 ms
//!   parts), events drained; throughput in samples.
//! - `fmp4_mux`: every sample into fMP4 fragments (init segment, then one
//!   `moof` + `mdat` per 30 samples), as a vectored buffer list (`vectored`)
//!   and copied into one contiguous buffer (`contiguous`); and the whole
//!   file to one fragmented MP4 with a `sidx` (`whole_file_sidx`);
//!   throughput in sample payload bytes.
//!
//! Run: `cargo bench --bench mux`

// A bench that cannot read its fixture or mux it has nothing to measure.
#![allow(clippy::expect_used)]

use std::hint::black_box;
use std::path::PathBuf;
use std::time::Duration;

use bytes::Bytes;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use streamkit::core::fmp4::{FragmentWriter, fragment_samples, init_segment};
use streamkit::core::mp4::Mp4File;
use streamkit::core::sample::Sample;
use streamkit::core::segment::{Segmenter, SegmenterConfig};
use streamkit::core::time::{MediaTime, Timescale};
use streamkit::core::track::Track;
use streamkit::core::ts::TsMuxer;

/// The largest fixture (scripts/make-fixtures.sh): 10 s of H.264 with
/// B-frames and AAC.
const FIXTURE: &str = "h264_aac.mp4";

fn fixture() -> (Vec<Track>, Vec<Sample>) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(FIXTURE);
    let data = Bytes::from(std::fs::read(&path).expect("fixture present"));
    let file = Mp4File::parse(data).expect("fixture parses");
    let tracks = file.tracks().iter().filter_map(|t| t.to_track()).collect();
    (tracks, file.samples().collect())
}

fn ts_mux(c: &mut Criterion) {
    let (tracks, samples) = fixture();
    let payload: usize = samples.iter().map(|s| s.data.len()).sum();
    let mut out = Vec::with_capacity(2 * payload);

    let mut group = c.benchmark_group("ts_mux");
    group
        .measurement_time(Duration::from_secs(3))
        .warm_up_time(Duration::from_secs(1))
        .sample_size(30);
    group.throughput(Throughput::Bytes(payload as u64));
    group.bench_function("h264_aac/streamkit", |b| {
        b.iter(|| {
            out.clear();
            let mut muxer = TsMuxer::new(black_box(&tracks)).expect("tracks mux");
            muxer.begin_segment(&mut out).expect("room");
            for s in &samples {
                muxer
                    .write_sample(black_box(s), &mut out)
                    .expect("sample muxes");
            }
            out.len()
        })
    });
    group.finish();
}

fn segmenter(c: &mut Criterion) {
    let (tracks, samples) = fixture();
    let video = &tracks[0];
    let config = SegmenterConfig::new(
        video.id,
        video.timescale,
        MediaTime::new(2, Timescale::SECONDS),
    )
    .with_part_target(MediaTime::new(500, Timescale::MILLIS));

    let mut group = c.benchmark_group("segmenter");
    group
        .measurement_time(Duration::from_secs(2))
        .warm_up_time(Duration::from_secs(1))
        .sample_size(30);
    group.throughput(Throughput::Elements(samples.len() as u64));
    group.bench_function("h264_aac/streamkit", |b| {
        b.iter(|| {
            let mut segmenter = Segmenter::new(config).expect("valid config");
            let mut events = 0usize;
            for s in &samples {
                segmenter.push(black_box(s.clone())).expect("valid sample");
                while let Some(e) = segmenter.poll() {
                    black_box(e);
                    events += 1;
                }
            }
            segmenter.finish();
            while let Some(e) = segmenter.poll() {
                black_box(e);
                events += 1;
            }
            events
        })
    });
    group.finish();
}

fn fmp4_mux(c: &mut Criterion) {
    let (tracks, samples) = fixture();
    let payload: usize = samples.iter().map(|s| s.data.len()).sum();
    let fragments: Vec<&[Sample]> = samples.chunks(30).collect();
    let two_seconds = MediaTime::new(2, Timescale::SECONDS);

    let mut group = c.benchmark_group("fmp4_mux");
    group
        .measurement_time(Duration::from_secs(3))
        .warm_up_time(Duration::from_secs(1))
        .sample_size(30);
    group.throughput(Throughput::Bytes(payload as u64));
    group.bench_function("h264_aac/vectored", |b| {
        b.iter(|| {
            let mut len = init_segment(black_box(&tracks)).expect("tracks mux").len() as u64;
            let mut writer = FragmentWriter::new(&tracks);
            for f in &fragments {
                len += writer
                    .write_fragment(black_box(f))
                    .expect("fragment muxes")
                    .bytes
                    .len();
            }
            len
        })
    });
    group.bench_function("h264_aac/contiguous", |b| {
        b.iter(|| {
            let mut len = init_segment(black_box(&tracks)).expect("tracks mux").len();
            let mut writer = FragmentWriter::new(&tracks);
            for f in &fragments {
                let fragment = writer.write_fragment(black_box(f)).expect("fragment muxes");
                len += black_box(fragment.bytes.to_bytes()).len();
            }
            len
        })
    });
    group.bench_function("h264_aac/whole_file_sidx", |b| {
        b.iter(|| {
            fragment_samples(black_box(&tracks), &[], black_box(&samples), two_seconds)
                .expect("file muxes")
                .bytes
                .len()
        })
    });
    group.finish();
}

criterion_group!(benches, ts_mux, segmenter, fmp4_mux);
criterion_main!(benches);
