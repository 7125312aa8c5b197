//! MPEG-TS muxing allocates nothing per sample or per packet: with an output
//! buffer that has room, writing every sample of the largest fixture (and
//! the segment tables) makes no heap allocation at all; the only copy is the
//! one into the caller's buffer.

// Test code: a failed read or parse is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use bytes::Bytes;
use streamkit_core::mp4::Mp4File;
use streamkit_core::sample::Sample;
use streamkit_core::track::Track;
use streamkit_core::ts::{PACKET_SIZE, TsMuxer};

fn fixture() -> (Vec<Track>, Vec<Sample>) {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../tests/fixtures/h264_aac.mp4"
    );
    let file = Mp4File::parse(Bytes::from(std::fs::read(path).unwrap())).unwrap();
    let tracks = file.tracks().iter().filter_map(|t| t.to_track()).collect();
    (tracks, file.samples().collect())
}

#[test]
fn writing_samples_allocates_nothing() {
    let (tracks, samples) = fixture();
    let mut muxer = TsMuxer::new(&tracks).unwrap();
    let payload: usize = samples.iter().map(|s| s.data.len()).sum();
    // Room for the payload, four packets of headers per sample and the
    // tables: more than enough, so the Vec never grows.
    let mut out: Vec<u8> = Vec::with_capacity(2 * payload + samples.len() * 4 * PACKET_SIZE);
    let capacity = out.capacity();
    let mut written = 0;
    let info = allocation_counter::measure(|| {
        written += muxer.begin_segment(&mut out).unwrap();
        for s in &samples {
            written += muxer.write_sample(s, &mut out).unwrap();
        }
    });
    assert_eq!(out.capacity(), capacity, "the buffer had room");
    assert_eq!(written, out.len());
    assert!(out.len() > payload);
    assert_eq!(
        (info.count_total, info.bytes_total),
        (0, 0),
        "allocations while muxing {} samples",
        samples.len()
    );
}
