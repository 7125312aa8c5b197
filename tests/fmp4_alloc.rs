//! Zero-copy proof for fMP4 muxing: with vectored output the muxer
//! allocates only box headers and buffer lists, never the media bytes.
//!
//! The same samples are muxed twice, once with the fixture's payloads and
//! once with every payload replaced by a slice 64 KiB long; the bytes the
//! muxer allocates must be exactly the same, and small per sample.
// Test helpers: a failure is a test failure.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use bytes::{Bytes, BytesMut};
use streamkit::core::fmp4::{FragmentWriter, fragment_samples, init_segment};
use streamkit::core::mp4::Mp4File;
use streamkit::core::sample::PresentationShift;
use streamkit::core::sample::Sample;
use streamkit::core::time::{MediaTime, Timescale};
use streamkit::core::track::Track;

/// The largest fixture, demuxed.
fn fixture() -> (Vec<Track>, Vec<Sample>) {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/h264_aac.mp4");
    let file = Mp4File::parse(Bytes::from(std::fs::read(path).unwrap())).unwrap();
    let tracks = file
        .tracks()
        .iter()
        .map(|t| Track::new(t.id(), t.timescale(), t.codec().unwrap().clone()))
        .collect();
    (tracks, file.samples().collect())
}

/// The same samples with payloads of `len` bytes each, all slices of one
/// buffer (as a demuxer hands them out).
fn with_payload_len(samples: &[Sample], len: usize) -> Vec<Sample> {
    let mut big = BytesMut::zeroed(len * samples.len());
    big[0] = 1;
    let big = big.freeze();
    samples
        .iter()
        .enumerate()
        .map(|(i, s)| Sample {
            data: big.slice(i * len..(i + 1) * len),
            ..s.clone()
        })
        .collect()
}

/// Splits samples into runs of 30 (one fragment each).
fn fragments(samples: &[Sample]) -> Vec<Vec<Sample>> {
    samples.chunks(30).map(<[Sample]>::to_vec).collect()
}

/// Muxes every fragment with vectored output; returns (bytes allocated,
/// allocation count, output length).
fn measure_fragments(tracks: &[Track], fragments: &[Vec<Sample>]) -> (u64, u64, u64) {
    let mut out_len = 0;
    let info = allocation_counter::measure(|| {
        let mut writer = FragmentWriter::new(tracks);
        for f in fragments {
            let fragment = writer.write_fragment(f).unwrap();
            out_len += fragment.bytes.len();
        }
    });
    (info.bytes_total, info.count_total, out_len)
}

#[test]
fn fragment_writer_copies_no_media_bytes() {
    let (tracks, samples) = fixture();
    let media: u64 = samples.iter().map(|s| s.data.len() as u64).sum();
    let n = samples.len() as u64;

    let (bytes, count, out_len) = measure_fragments(&tracks, &fragments(&samples));
    println!(
        "fragments: {bytes} bytes in {count} allocations for {n} samples, {media} media bytes"
    );
    assert!(out_len > media, "the output holds every media byte");
    // Headers and buffer lists only: well under 100 bytes per sample
    // (the payloads average over 300 bytes here).
    assert!(bytes < 100 * n, "{bytes} bytes allocated for {n} samples");
    assert!(
        bytes < media / 3,
        "{bytes} bytes allocated for {media} media bytes"
    );

    // 64 KiB payloads: 48 MiB of media, and not one more byte allocated.
    let big = with_payload_len(&samples, 64 * 1024);
    let (big_bytes, big_count, big_out_len) = measure_fragments(&tracks, &fragments(&big));
    assert!(big_out_len > 64 * 1024 * n);
    assert_eq!(big_bytes, bytes, "allocation grew with the payload size");
    assert_eq!(big_count, count);

    // Init segments are small and allocated once.
    let init = allocation_counter::measure(|| {
        let _ = init_segment(&tracks).unwrap();
    });
    assert!(init.bytes_total < 4096, "{}", init.bytes_total);
}

#[test]
fn whole_file_conversion_copies_no_media_bytes() {
    let (tracks, samples) = fixture();
    let shifts: [PresentationShift; 0] = [];
    let two_seconds = MediaTime::new(2, Timescale::SECONDS);
    let measure = |samples: &[Sample]| {
        allocation_counter::measure(|| {
            let out = fragment_samples(&tracks, &shifts, samples, two_seconds).unwrap();
            assert_eq!(out.segments.len(), 5);
        })
        .bytes_total
    };
    let small = measure(&samples);
    println!(
        "whole file: {small} bytes allocated for {} samples",
        samples.len()
    );
    let big = measure(&with_payload_len(&samples, 64 * 1024));
    assert_eq!(big, small, "allocation grew with the payload size");
    // The conversion keeps one reordered copy of the `Sample` structs (not
    // their payloads), the buffer lists and the headers: a few hundred bytes
    // per sample whatever the payload size.
    assert!(
        small < 250 * samples.len() as u64,
        "{small} bytes allocated"
    );
}
