//! MPEG-TS output judged by GStreamer's demuxer, parsers and decoders (a
//! second, independent implementation beside FFmpeg): every fixture muxed
//! whole decodes with no warning from the demuxer, parsers or decoders, to
//! exactly the source's number of video frames and audio samples (1 024 per
//! AAC frame; 960 per Opus packet less the pre-skip that the Opus control
//! header tells the decoder to trim), and to the very pictures and audio
//! samples GStreamer decodes from the source MP4.

// Test code: a failed read or parse is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::HashMap;
use std::path::PathBuf;
use std::process::Command;

use bytes::Bytes;
use streamkit_core::mp4::Mp4File;
use streamkit_core::sample::Sample;
use streamkit_core::track::Track;
use streamkit_core::ts::TsMuxer;

/// Fixture, video parser and decoder, audio parser and decoder, video
/// frames, decoded audio samples per channel.
const FIXTURES: [(&str, &str, &str, u64, u64); 4] = [
    (
        "h264_aac.mp4",
        "h264parse ! avdec_h264",
        "aacparse ! avdec_aac",
        300,
        432 * 1_024,
    ),
    (
        "h264_aac_moov_end.mp4",
        "h264parse ! avdec_h264",
        "aacparse ! avdec_aac",
        200,
        376 * 1_024,
    ),
    (
        "h265_aac.mp4",
        "h265parse ! avdec_h265",
        "aacparse ! avdec_aac",
        180,
        260 * 1_024,
    ),
    (
        "h264_opus.mp4",
        "h264parse ! avdec_h264",
        "opusparse ! opusdec",
        180,
        301 * 960 - 312,
    ),
];

/// The debug categories whose warnings fail the test.
const WATCHED: &str = "tsdemux:2,mpegtsbase:2,mpegtspacketizer:2,h264parse:2,h265parse:2,\
                       aacparse:2,opusparse:2,opusdec:2,libav:2";

/// The tracks and samples on the presentation timeline, decode times moved
/// back by `compositionToDTSShift` (see ts_ffprobe.rs).
fn demux(name: &str) -> (Vec<Track>, Vec<Sample>) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/fixtures")
        .join(name);
    let file = Mp4File::parse(Bytes::from(std::fs::read(&path).unwrap())).unwrap();
    let tracks: Vec<Track> = file.tracks().iter().filter_map(|t| t.to_track()).collect();
    let shifts: HashMap<u32, (i64, u32)> = file
        .tracks()
        .iter()
        .map(|t| {
            (
                t.id(),
                (
                    t.presentation_shift().unwrap(),
                    t.composition_to_dts_shift(),
                ),
            )
        })
        .collect();
    let samples = file
        .samples()
        .map(|mut s| {
            let (shift, to_dts) = shifts[&s.track_id];
            s.dts += shift - i64::from(to_dts);
            s.composition_offset += i32::try_from(to_dts).unwrap();
            s
        })
        .collect();
    (tracks, samples)
}

/// Runs a `gst-launch-1.0` pipeline with warnings of the [`WATCHED`]
/// categories logged; returns the log.
fn launch(pipeline: &str) -> String {
    let out = Command::new("gst-launch-1.0")
        .arg("-q")
        .args(pipeline.split_whitespace())
        .env("GST_DEBUG", WATCHED)
        .env("GST_DEBUG_NO_COLOR", "1")
        .output()
        .unwrap_or_else(|e| {
            panic!("gst-launch-1.0 is needed for this test (scripts/test installs it): {e}")
        });
    let log =
        String::from_utf8_lossy(&out.stderr).into_owned() + &String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{pipeline}: {log}");
    log
}

/// Decodes `input` through `demuxer` to raw I420 pictures and 32-bit float
/// audio (no dithering, so the same frames decode to the same bytes).
fn decode(
    input: &std::path::Path,
    demuxer: &str,
    video: &str,
    audio: &str,
) -> (Vec<u8>, Vec<u8>, String) {
    let video_out = input.with_extension("video.raw");
    let audio_out = input.with_extension("audio.raw");
    let log = launch(&format!(
        "filesrc location={} ! {demuxer} name=d \
         d. ! queue ! {video} ! videoconvert ! video/x-raw,format=I420 ! filesink location={} \
         d. ! queue ! {audio} ! audioconvert dithering=none \
           ! audio/x-raw,format=F32LE ! filesink location={}",
        input.display(),
        video_out.display(),
        audio_out.display()
    ));
    let v = std::fs::read(&video_out).unwrap();
    let a = std::fs::read(&audio_out).unwrap();
    let _ = std::fs::remove_file(&video_out);
    let _ = std::fs::remove_file(&audio_out);
    (v, a, log)
}

#[test]
fn gstreamer_decodes_every_frame_and_sample() {
    for (name, video, audio, frames, audio_samples) in FIXTURES {
        let (tracks, samples) = demux(name);
        let mut muxer = TsMuxer::new(&tracks).unwrap();
        let mut ts = Vec::new();
        muxer.begin_segment(&mut ts).unwrap();
        for s in &samples {
            muxer.write_sample(s, &mut ts).unwrap();
        }
        let input = std::env::temp_dir().join(format!(
            "streamkit-ts-gst-{}-{}.ts",
            std::process::id(),
            name.trim_end_matches(".mp4")
        ));
        std::fs::write(&input, &ts).unwrap();
        let (ts_video, ts_audio, log) = decode(&input, "tsdemux", video, audio);
        let _ = std::fs::remove_file(&input);
        let complaints: Vec<&str> = log
            .lines()
            .filter(|l| l.contains(" WARN ") || l.contains(" ERROR "))
            .collect();
        assert!(complaints.is_empty(), "{name}: {complaints:#?}");

        // Every picture (320x240 I420), and every audio sample.
        let picture = 320 * 240 * 3 / 2;
        assert_eq!(
            ts_video.len() as u64,
            frames * picture,
            "{name}: video frames"
        );
        let channels = u64::from(tracks[1].codec.channels().unwrap());
        assert_eq!(
            ts_audio.len() as u64,
            audio_samples * channels * 4,
            "{name}: audio samples"
        );

        // The same decoders fed from the source MP4: the pictures are the
        // same, byte for byte; the audio is the same run of samples, less
        // what the MP4's edit list trims (at most one frame at each end).
        let source = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../tests/fixtures")
            .join(name);
        let (mp4_video, mp4_audio, _) = decode(&source, "qtdemux", video, audio);
        assert!(ts_video == mp4_video, "{name}: decoded pictures differ");
        let frame_bytes = if audio.starts_with("opus") {
            960
        } else {
            1_024
        } * channels as usize
            * 4;
        let slack = ts_audio.len().checked_sub(mp4_audio.len()).unwrap();
        assert!(slack <= 2 * frame_bytes, "{name}: {slack} bytes more");
        let at = (0..=slack)
            .step_by(4)
            .find(|&i| ts_audio[i..i + mp4_audio.len()] == mp4_audio[..]);
        let at = at.unwrap_or_else(|| panic!("{name}: source audio not within ours"));
        assert!(
            at <= frame_bytes && slack - at <= frame_bytes,
            "{name}: at {at}"
        );
    }
}
