//! Annex-B NAL unit scanning throughput, on two inputs:
//!
//! - `annex_b_scan`: a few megabytes of Annex-B H.264-like stream made here:
//!   NAL units of realistic sizes (parameter sets, small and large slices)
//!   whose payloads are pseudo-random bytes (coded slice data is
//!   high-entropy), with emulation prevention applied so no start code
//!   appears inside a unit;
//! - `annex_b_scan_fixture`: the real x264 video of
//!   `tests/fixtures/h264_aac.mp4` (10 s, 320x240), its length-prefixed
//!   samples rewritten as Annex-B with the parameter sets before each
//!   keyframe.
//!
//! Peers in the same group:
//! - `streamkit AnnexBSlices` and `AnnexBUnits` (the library);
//! - `naive byte loop`: a byte-by-byte start-code scanner;
//! - `memchr memmem`: `memchr::memmem::find_iter` for `00 00 01`, which only
//!   finds start codes and does no unit bookkeeping.
//!
//! Run: `cargo bench --bench nal`.

// A missing fixture is a setup error the bench reports by panicking.
#![allow(clippy::expect_used)]

use std::hint::black_box;
use std::path::PathBuf;
use std::time::Duration;

use bytes::Bytes;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use streamkit::core::codec::CodecConfig;
use streamkit::core::mp4::Mp4File;
use streamkit::core::nal::{
    AnnexBSlices, AnnexBUnits, NalLengthSize, annex_b_to_length_prefixed, ebsp_from_rbsp,
    length_prefixed_to_annex_b,
};

/// xorshift64*: a fixed-seed generator, so every run scans the same bytes.
struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
}

/// About `target` bytes of Annex-B stream: per "frame" an AUD, sometimes
/// SPS + PPS, then one large or several small slices.
fn make_stream(target: usize) -> Vec<u8> {
    let mut rng = XorShift(0x9e37_79b9_7f4a_7c15);
    let mut out = Vec::with_capacity(target + 100_000);
    let mut frame = 0u32;
    let unit = |out: &mut Vec<u8>, header: u8, len: usize, rng: &mut XorShift| {
        out.extend_from_slice(&[0, 0, 0, 1]);
        let mut rbsp = Vec::with_capacity(len + 1);
        rbsp.push(header);
        while rbsp.len() < len {
            rbsp.extend_from_slice(&rng.next().to_le_bytes());
        }
        rbsp.truncate(len);
        rbsp.push(0x80); // rbsp_stop_one_bit
        out.extend_from_slice(&ebsp_from_rbsp(&rbsp));
    };
    while out.len() < target {
        unit(&mut out, 0x09, 1, &mut rng);
        if frame.is_multiple_of(60) {
            unit(&mut out, 0x67, 24, &mut rng);
            unit(&mut out, 0x68, 5, &mut rng);
            unit(&mut out, 0x65, 60_000, &mut rng);
        } else if frame.is_multiple_of(3) {
            unit(&mut out, 0x41, 12_000, &mut rng);
        } else {
            for _ in 0..4 {
                let len = 300 + (rng.next() % 1_500) as usize;
                unit(&mut out, 0x01, len, &mut rng);
            }
        }
        frame += 1;
    }
    out
}

/// Byte-by-byte scanner: the NAL units between start codes.
fn naive_units(data: &[u8]) -> (usize, usize) {
    let (mut count, mut total) = (0, 0);
    let mut start = None;
    let mut i = 0;
    while i + 2 < data.len() {
        if data[i] == 0 && data[i + 1] == 0 && data[i + 2] == 1 {
            if let Some(s) = start {
                let mut end = i;
                while end > s && data[end - 1] == 0 {
                    end -= 1;
                }
                count += 1;
                total += end - s;
            }
            i += 3;
            start = Some(i);
        } else {
            i += 1;
        }
    }
    if let Some(s) = start {
        count += 1;
        total += data.len() - s;
    }
    (count, total)
}

/// The fixture's H.264 track as one Annex-B stream.
fn fixture_stream() -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/h264_aac.mp4");
    let file = Mp4File::parse(Bytes::from(std::fs::read(&path).expect("fixture present")))
        .expect("fixture parses");
    let track = file
        .tracks()
        .iter()
        .find(|t| matches!(t.codec(), Some(CodecConfig::H264(_))))
        .expect("an H.264 track");
    let Some(CodecConfig::H264(avcc)) = track.codec() else {
        unreachable!("found above")
    };
    let mut out = Vec::new();
    for sample in file.track_samples(track.id()).expect("track exists") {
        if sample.keyframe {
            for ps in avcc.sps.iter().chain(&avcc.pps) {
                out.extend_from_slice(&[0, 0, 0, 1]);
                out.extend_from_slice(ps);
            }
        }
        length_prefixed_to_annex_b(&sample.data, avcc.nal_length_size, &mut out)
            .expect("well-formed sample");
    }
    out
}

fn scan(c: &mut Criterion) {
    scan_group(c, "annex_b_scan", make_stream(4 << 20));
    scan_group(c, "annex_b_scan_fixture", fixture_stream());
}

fn scan_group(c: &mut Criterion, name: &str, data: Vec<u8>) {
    let bytes = Bytes::from(data.clone());
    let expected = naive_units(&data);
    let ours = AnnexBSlices::new(&data).fold((0, 0), |(n, t), u| (n + 1, t + u.len()));
    assert_eq!(ours, expected, "scanners disagree");
    println!("{name}: {} bytes, {} NAL units", data.len(), ours.0);

    let mut group = c.benchmark_group(name);
    group.throughput(Throughput::Bytes(data.len() as u64));
    group.bench_function("streamkit AnnexBSlices", |b| {
        b.iter(|| AnnexBSlices::new(black_box(&data)).fold(0usize, |t, u| t + u.len()))
    });
    group.bench_function("streamkit AnnexBUnits (Bytes)", |b| {
        b.iter(|| AnnexBUnits::new(black_box(bytes.clone())).fold(0usize, |t, u| t + u.len()))
    });
    group.bench_function("naive byte loop", |b| {
        b.iter(|| naive_units(black_box(&data)))
    });
    group.bench_function("memchr memmem (start codes only)", |b| {
        b.iter(|| memchr::memmem::find_iter(black_box(&data), &[0, 0, 1]).count())
    });
    let mut out = Vec::with_capacity(data.len());
    group.bench_function("streamkit annex_b_to_length_prefixed", |b| {
        b.iter(|| {
            out.clear();
            annex_b_to_length_prefixed(black_box(&data), NalLengthSize::Four, &mut out)
        })
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .sample_size(20)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(2));
    targets = scan
}
criterion_main!(benches);
