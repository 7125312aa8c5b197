//! core::flv against ffmpeg, both ways: FLV files ffmpeg writes (Debian's
//! ffmpeg for H.264/AAC, the static ffmpeg for Enhanced RTMP HEVC and
//! Opus) demux to the fixtures' own samples, byte for byte; FLV files
//! our muxer writes decode in ffmpeg, every frame, at the fixtures'
//! times.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "rtmp_support/mod.rs"]
mod rtmp_support;
mod support;

use std::path::Path;
use std::process::Command;

use bytes::{Bytes, BytesMut};
use rtmp_support::{decodes, enhanced_ffmpeg, video_pts_ms_with};
use streamkit::core::codec::MediaKind;
use streamkit::core::flv::{FlvDemuxer, FlvEvent, FlvHeader, FlvMuxer, FlvTags, TagStyle};
use streamkit::core::mp4::Mp4File;
use streamkit::core::sample::Sample;
use streamkit::core::time::{Rounding, Timescale};
use support::{TempDir, fixture, require};

fn mp4(name: &str) -> Mp4File {
    Mp4File::parse(Bytes::from(std::fs::read(fixture(name)).unwrap())).unwrap()
}

/// The fixture's samples of `kind`, in decode order.
fn source(name: &str, kind: MediaKind) -> Vec<Sample> {
    let file = mp4(name);
    let id = file
        .tracks()
        .iter()
        .find(|t| t.codec().is_some_and(|c| c.kind() == kind))
        .unwrap()
        .id();
    file.track_samples(id).unwrap().collect()
}

fn demux(file: &Path) -> (Vec<streamkit::core::track::Track>, Vec<Sample>) {
    let data = Bytes::from(std::fs::read(file).unwrap());
    let mut demuxer = FlvDemuxer::new();
    for tag in FlvTags::new(data) {
        let tag = tag.unwrap();
        demuxer
            .push_tag(tag.tag_type, i64::from(tag.timestamp), &tag.body)
            .unwrap();
    }
    demuxer.finish();
    let mut tracks = Vec::new();
    let mut samples = Vec::new();
    while let Some(e) = demuxer.poll_event() {
        match e {
            FlvEvent::Track(t) => tracks.push(t),
            FlvEvent::Sample(s) => samples.push(s),
            FlvEvent::Unsupported(u) => panic!("{u:?}"),
            _ => {}
        }
    }
    (tracks, samples)
}

fn ffmpeg_to_flv(ffmpeg: &Path, name: &str, out: &Path) {
    let o = Command::new(ffmpeg)
        .args(["-v", "error", "-i"])
        .arg(fixture(name))
        .args(["-map", "0", "-c", "copy", "-f", "flv", "-y"])
        .arg(out)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
}

fn check_demux(ffmpeg: &Path, name: &str, codecs: [&str; 2]) {
    let dir = TempDir::new("flv-demux");
    let out = dir.path().join("ffmpeg.flv");
    ffmpeg_to_flv(ffmpeg, name, &out);
    let (tracks, samples) = demux(&out);
    let strings: Vec<String> = tracks.iter().map(|t| t.codec_string()).collect();
    assert!(
        strings[0].starts_with(codecs[0]) && strings[1].starts_with(codecs[1]),
        "{strings:?}"
    );
    for (kind, id) in [(MediaKind::Video, 1), (MediaKind::Audio, 2)] {
        let want = source(name, kind);
        let got: Vec<&Sample> = samples.iter().filter(|s| s.track_id == id).collect();
        assert_eq!(got.len(), want.len(), "{name} {kind}");
        for (g, w) in got.iter().zip(&want) {
            assert!(g.data == w.data, "{name} {kind}: bytes differ at {}", w.dts);
            assert_eq!(
                g.keyframe, w.keyframe,
                "{name} {kind} key frame at {}",
                w.dts
            );
        }
        // Times: ffmpeg's FLV times are the source's in milliseconds,
        // shifted so that none is negative.
        let ms = |s: &Sample| {
            s.presentation_time()
                .rescale(Timescale::MILLIS, Rounding::Nearest)
                .ticks()
        };
        let shift = ms(got[0]) - ms(&want[0]);
        for (g, w) in got.iter().zip(&want) {
            assert!(
                (ms(g) - ms(w) - shift).abs() <= 1,
                "{name} {kind}: time {} for {}",
                ms(g),
                ms(w)
            );
        }
    }
}

fn check_mux(ffmpeg: &Path, name: &str, style: TagStyle) {
    let file = mp4(name);
    let (tracks, _) = file.tracks_and_shifts();
    let samples: Vec<Sample> = file.samples().collect();
    let muxer = FlvMuxer::new(&tracks, style)
        .unwrap()
        .with_decode_delays(&FlvMuxer::decode_delays(&samples));
    let mut out = BytesMut::new();
    FlvHeader {
        audio: true,
        video: true,
    }
    .write(&mut out);
    for t in muxer.sequence_headers() {
        t.write_file_tag(&mut out).unwrap();
    }
    for s in &samples {
        muxer.tag(s).unwrap().write_file_tag(&mut out).unwrap();
    }
    let dir = TempDir::new("flv-mux");
    let path = dir.path().join("ours.flv");
    std::fs::write(&path, &out).unwrap();
    let path = path.to_str().unwrap();
    let video = source(name, MediaKind::Video);
    assert_eq!(
        decodes(ffmpeg, path),
        video.len(),
        "{name}: every frame decodes"
    );
    let ms = |s: &Sample| {
        s.presentation_time()
            .rescale(Timescale::MILLIS, Rounding::Nearest)
            .ticks()
    };
    let want: Vec<i64> = video.iter().map(ms).collect();
    let got = video_pts_ms_with(ffmpeg, path);
    // Shifted by the largest decode delay (0 unless negative composition
    // offsets): the same times otherwise, to the millisecond.
    let shift = got[0] - want[0];
    assert!((0..=40).contains(&shift), "{name}: shift {shift}");
    let got: Vec<i64> = got.iter().map(|t| t - shift).collect();
    assert_eq!(got, want, "{name}: frame times");
}

#[test]
fn ffmpeg_flv_demuxes_to_the_fixture_samples_and_ours_decodes_in_ffmpeg() {
    require("ffmpeg");
    let ffmpeg = Path::new("ffmpeg");
    check_demux(ffmpeg, "h264_aac.mp4", ["avc1", "mp4a"]);
    check_mux(ffmpeg, "h264_aac.mp4", TagStyle::Compatible);
}

#[test]
fn enhanced_rtmp_flv_both_ways_with_the_static_ffmpeg() {
    let ffmpeg9 = enhanced_ffmpeg();
    check_demux(&ffmpeg9, "h265_aac.mp4", ["hvc1", "mp4a"]);
    check_demux(&ffmpeg9, "h264_opus.mp4", ["avc1", "opus"]);
    for name in ["h265_aac.mp4", "h264_opus.mp4", "h264_aac.mp4"] {
        check_mux(&ffmpeg9, name, TagStyle::Enhanced);
    }
}
