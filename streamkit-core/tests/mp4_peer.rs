//! The mp4 crate (mp4-rust) as a second reader of every fixture: the
//! sample table our zero-copy demuxer gives for each track (count, sizes,
//! decode times, durations, composition offsets, sync flags, and the bytes
//! themselves) equals the one the mp4 crate reads from the same file.

// Test code: a failed read or parse is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::Cursor;
use std::path::PathBuf;

use bytes::Bytes;
use streamkit_core::mp4::Mp4File;

/// Every MP4 fixture (scripts/make-fixtures.sh).
const FIXTURES: [&str; 4] = [
    "h264_aac.mp4",
    "h264_aac_moov_end.mp4",
    "h265_aac.mp4",
    "h264_opus.mp4",
];

/// One sample as both readers give it: size, decode time, duration,
/// composition offset, sync flag, bytes.
type Entry = (usize, i64, u32, i32, bool, Bytes);

fn ours(file: &Mp4File, track_id: u32) -> Vec<Entry> {
    file.track_samples(track_id)
        .unwrap_or_else(|| panic!("track {track_id} is supported"))
        .map(|s| {
            (
                s.data.len(),
                s.dts,
                s.duration,
                s.composition_offset,
                s.keyframe,
                s.data,
            )
        })
        .collect()
}

fn peers(data: &Bytes, track_id: u32) -> Result<Vec<Entry>, mp4::Error> {
    let mut reader = mp4::Mp4Reader::read_header(Cursor::new(data.clone()), data.len() as u64)?;
    let count = reader.sample_count(track_id)?;
    (1..=count)
        .map(|id| {
            let s = reader
                .read_sample(track_id, id)?
                .unwrap_or_else(|| panic!("mp4: track {track_id} has sample {id} of {count}"));
            Ok((
                s.bytes.len(),
                i64::try_from(s.start_time).unwrap(),
                s.duration,
                s.rendering_offset,
                s.is_sync,
                s.bytes,
            ))
        })
        .collect()
}

fn fixture(name: &str) -> Bytes {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/fixtures")
        .join(name);
    Bytes::from(std::fs::read(path).unwrap())
}

#[test]
fn every_fixture_reads_alike_in_the_mp4_crate() {
    for name in FIXTURES {
        let data = fixture(name);
        let file = Mp4File::parse(data.clone()).unwrap();
        let peer_tracks = mp4::Mp4Reader::read_header(Cursor::new(data.clone()), data.len() as u64)
            .unwrap()
            .tracks()
            .len();
        assert_eq!(file.tracks().len(), peer_tracks, "{name}: track count");
        assert_eq!(file.tracks().len(), 2, "{name}: video and audio");
        for track in file.tracks() {
            let id = track.id();
            let (a, b) = (ours(&file, id), peers(&data, id).unwrap());
            assert_eq!(a.len(), b.len(), "{name} track {id}: sample count");
            assert_eq!(a.len(), track.sample_count() as usize, "{name} track {id}");
            for (i, (x, y)) in a.iter().zip(&b).enumerate() {
                assert_eq!(
                    x, y,
                    "{name} track {id} sample {i}: (size, dts, duration, composition offset, sync, bytes)"
                );
            }
            // Not vacuous: every track has samples, video has sync and
            // other samples, the samples tile the track's time.
            assert!(!a.is_empty(), "{name} track {id}");
            let sync = a.iter().filter(|e| e.4).count();
            if track.visual_size().is_some() {
                assert!(
                    0 < sync && sync < a.len(),
                    "{name} track {id}: {sync} sync samples"
                );
            }
            for w in a.windows(2) {
                assert_eq!(
                    w[0].1 + i64::from(w[0].2),
                    w[1].1,
                    "{name} track {id}: contiguous decode times"
                );
            }
        }
    }
}
