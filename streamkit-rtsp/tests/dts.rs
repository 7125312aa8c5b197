//! Decode times from picture order counts, on the fixtures' B-frame
//! streams (x264 and x265 with B-frames, as ffmpeg wrote them into MP4):
//! given only each access unit's presentation time and NAL units, in
//! decode order, the derived decode times are the file's own, every one (or, where the
//! SPS allows more reordering than the stream uses, a frame earlier).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use bytes::Bytes;
use streamkit_core::codec::CodecConfig;
use streamkit_core::mp4::Mp4File;
use streamkit_core::nal::LengthPrefixedSlices;
use streamkit_rtsp::dts::DecodeTimeline;

fn fixture(name: &str) -> Mp4File {
    let path = format!("{}/../tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    Mp4File::parse(Bytes::from(std::fs::read(path).unwrap())).unwrap()
}

fn check(name: &str, expected_depth: usize, lag: i64) {
    let file = fixture(name);
    let (tracks, _) = file.tracks_and_shifts();
    let video = tracks
        .iter()
        .find(|t| matches!(t.codec, CodecConfig::H264(_) | CodecConfig::H265(_)))
        .unwrap();
    let size = match &video.codec {
        CodecConfig::H264(a) => a.nal_length_size,
        CodecConfig::H265(h) => h.nal_length_size,
        _ => unreachable!(),
    };
    let mut timeline = DecodeTimeline::for_codec(&video.codec);
    assert_eq!(timeline.reorder_depth(), expected_depth, "{name}");
    let samples: Vec<_> = file.samples().filter(|s| s.track_id == video.id).collect();
    assert!(
        samples.iter().any(|s| s.composition_offset != 0),
        "{name} has B-frames"
    );
    let mut out = Vec::new();
    for (i, s) in samples.iter().enumerate() {
        let nals: Vec<&[u8]> = LengthPrefixedSlices::new(&s.data, size)
            .map(|n| n.unwrap())
            .collect();
        timeline.push(s.pts(), i, nals);
        out.extend(std::iter::from_fn(|| timeline.poll()));
    }
    timeline.finish();
    out.extend(std::iter::from_fn(|| timeline.poll()));
    assert_eq!(out.len(), samples.len());
    for (i, (u, s)) in out.iter().zip(&samples).enumerate() {
        assert_eq!(u.unit, i, "{name}: decode order kept");
        if i > 0 {
            assert!(
                u.dts > out[i - 1].dts,
                "{name}: decode times increase at {i}"
            );
        }
        assert_eq!((u.pts, u.dts), (s.pts(), s.dts - lag), "{name}: sample {i}");
        assert!(
            u.dts <= u.pts,
            "{name}: sample {i} decoded after its presentation"
        );
    }
    assert_eq!(timeline.reorder_violations(), 0);
}

#[test]
fn h264_b_frames_get_the_files_decode_times() {
    check("h264_aac.mp4", 2, 0);
    // Its SPS allows two reordered frames where the stream uses one: the
    // decode times are two frames (1024 ticks) earlier than the file's (its
    // MP4 decode times start at its first presentation time),
    // which is as valid.
    check("h264_opus.mp4", 2, 1024);
}

#[test]
fn h265_b_frames_get_the_files_decode_times() {
    check("h265_aac.mp4", 2, 0);
}
