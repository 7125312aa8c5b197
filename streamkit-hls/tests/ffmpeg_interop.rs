//! Real tools as judges: ffmpeg packages a fixture as HLS (MPEG-TS and fMP4,
//! one file per segment and single-file with byte ranges); we read its
//! playlist, write our own for the same segments, and ffprobe and
//! GStreamer's HLS demuxer decode every video frame of the source through
//! ours, through ours with low-latency tags added, and through a
//! multivariant playlist whose BANDWIDTH we measure and whose CODECS come
//! from streamkit-core.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use bytes::Bytes;
use streamkit_core::mp4::Mp4File;
use streamkit_hls::playlist::{
    BitRates, ByteRange, MediaPlaylist, MultivariantPlaylist, Part, PartInf, PlaylistType,
    RenditionReport, Resolution, ServerControl, VariantStream,
};

/// The fixture: 10 s, 300 video frames (320x240, a keyframe every 2 s) and
/// AAC audio.
const FIXTURE: &str = "h264_aac.mp4";
const VIDEO_FRAMES: u64 = 300;

fn fixture() -> PathBuf {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/fixtures")
        .join(FIXTURE);
    assert!(
        p.exists(),
        "fixture {} is missing (scripts/make-fixtures.sh)",
        p.display()
    );
    p
}

fn run(command: &mut Command) -> String {
    let tool = command.get_program().to_string_lossy().into_owned();
    let output = command
        .output()
        .unwrap_or_else(|e| panic!("{tool} could not run ({e}); it is installed by scripts/test"));
    assert!(
        output.status.success(),
        "{tool} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

/// ffmpeg's HLS muxer on the fixture, stream copy, into a fresh directory.
fn ffmpeg_hls(name: &str, extra: &[&str]) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("streamkit-hls-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    run(Command::new("ffmpeg")
        .args(["-hide_banner", "-loglevel", "error", "-y", "-i"])
        .arg(fixture())
        .args([
            "-c",
            "copy",
            "-f",
            "hls",
            "-hls_time",
            "2",
            "-hls_playlist_type",
            "vod",
        ])
        .args(extra)
        .arg(dir.join("ffmpeg.m3u8")));
    dir
}

/// Video frames ffprobe decodes through a playlist.
fn probe_video_frames(playlist: &Path) -> u64 {
    let out = run(Command::new("ffprobe")
        .args(["-v", "error", "-count_frames", "-select_streams", "v:0"])
        .args(["-show_entries", "stream=nb_read_frames", "-of", "csv=p=0"])
        .arg(playlist));
    out.lines()
        .find(|l| !l.trim().is_empty())
        .and_then(|l| l.trim().parse().ok())
        .unwrap_or_else(|| panic!("no frame count in ffprobe output {out:?}"))
}

/// Video frames GStreamer's playbin (hlsdemux) hands its video sink
/// through a playlist, to the end of the stream.
fn gstreamer_video_frames(playlist: &Path) -> u64 {
    let uri = format!("uri=file://{}", playlist.canonicalize().unwrap().display());
    let out = run(Command::new("gst-launch-1.0")
        .args(["-v", "playbin"])
        .arg(uri)
        .arg("video-sink=fakesink name=vsink sync=false silent=false")
        .arg("audio-sink=fakesink sync=false"));
    out.lines()
        .filter(|l| l.contains("(vsink:sink)") && l.contains("chain"))
        .count() as u64
}

/// Reads ffmpeg's playlist, checks what it must hold, writes ours beside it
/// and lets ffprobe decode through ours.
fn check(name: &str, extra: &[&str], fmp4: bool, single_file: bool) -> (PathBuf, MediaPlaylist) {
    let dir = ffmpeg_hls(name, extra);
    let text = std::fs::read(dir.join("ffmpeg.m3u8")).unwrap();
    let playlist = MediaPlaylist::parse(&text).unwrap();
    assert_eq!(playlist.playlist_type, Some(PlaylistType::Vod));
    assert!(playlist.end_list);
    assert_eq!(playlist.segments.len(), 5, "a keyframe every 2 s over 10 s");
    let total = playlist.duration();
    assert!(
        total.abs_diff(Duration::from_secs(10)) < Duration::from_millis(50),
        "{total:?}"
    );
    assert_eq!(playlist.segments[0].map.is_some(), fmp4);
    assert!(playlist.segments[1..].iter().all(|s| s.map.is_none()));
    if single_file {
        let mut next = playlist.segments[0]
            .byte_range
            .and_then(|r| r.offset)
            .unwrap();
        for s in &playlist.segments {
            let range = s.byte_range.unwrap();
            assert_eq!(range.offset, Some(next), "ranges follow each other");
            next += range.length;
        }
        assert!(playlist.required_version() >= 4);
    }
    let ours = playlist.to_m3u8().unwrap();
    let expected_version = if fmp4 {
        6
    } else if single_file {
        4
    } else {
        3
    };
    assert_eq!(playlist.required_version(), expected_version);
    assert!(ours.contains("#EXTINF:2.000,\n"), "{ours}");
    std::fs::write(dir.join("ours.m3u8"), &ours).unwrap();
    assert_eq!(probe_video_frames(&dir.join("ours.m3u8")), VIDEO_FRAMES);
    assert_eq!(gstreamer_video_frames(&dir.join("ours.m3u8")), VIDEO_FRAMES);
    (dir, playlist)
}

#[test]
fn ts_segments_through_our_playlist() {
    let (dir, _) = check("ts", &[], false, false);
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn fmp4_segments_through_our_playlist() {
    let (dir, _) = check(
        "fmp4",
        &[
            "-hls_segment_type",
            "fmp4",
            "-hls_fmp4_init_filename",
            "init.mp4",
        ],
        true,
        false,
    );
    let _ = std::fs::remove_dir_all(dir);
}

/// The fMP4 playlist with low-latency tags added: each segment is also
/// listed as one independent part (a byte range of its file), with
/// EXT-X-SERVER-CONTROL, EXT-X-PART-INF and a rendition report. Players
/// that do not do low latency must play it as before.
#[test]
fn fmp4_with_low_latency_tags_through_our_playlist() {
    let (dir, mut playlist) = check(
        "fmp4-ll",
        &[
            "-hls_segment_type",
            "fmp4",
            "-hls_fmp4_init_filename",
            "init.mp4",
        ],
        true,
        false,
    );
    let mut longest = Duration::ZERO;
    for s in &mut playlist.segments {
        let len = std::fs::metadata(dir.join(&s.uri)).unwrap().len();
        let mut part = Part::new(s.duration, s.uri.clone());
        part.independent = true;
        part.byte_range = Some(ByteRange {
            length: len,
            offset: Some(0),
        });
        s.parts.push(part);
        longest = longest.max(s.duration);
    }
    playlist.server_control = Some(ServerControl {
        can_block_reload: true,
        part_hold_back: Some(3 * longest),
        ..Default::default()
    });
    playlist.part_inf = Some(PartInf::new(longest));
    playlist.rendition_reports.push(RenditionReport {
        uri: "../audio/ours.m3u8".into(),
        last_msn: Some(4),
        last_part: Some(0),
        other_attributes: Default::default(),
    });
    let text = playlist.to_m3u8().unwrap();
    assert_eq!(text.matches("#EXT-X-PART:").count(), 5);
    std::fs::write(dir.join("ll.m3u8"), &text).unwrap();
    assert_eq!(probe_video_frames(&dir.join("ll.m3u8")), VIDEO_FRAMES);
    assert_eq!(gstreamer_video_frames(&dir.join("ll.m3u8")), VIDEO_FRAMES);
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn single_file_ts_with_byte_ranges_through_our_playlist() {
    let (dir, _) = check("single-ts", &["-hls_flags", "single_file"], false, true);
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn single_file_fmp4_with_byte_ranges_through_our_playlist() {
    let (dir, _) = check(
        "single-fmp4",
        &["-hls_flags", "single_file", "-hls_segment_type", "fmp4"],
        true,
        true,
    );
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn multivariant_playlist_with_measured_bandwidth_and_core_codecs() {
    let (dir, playlist) = check("multivariant", &[], false, false);
    // Bit rates from the real segment sizes.
    let sizes = playlist.segments.iter().map(|s| {
        let len = std::fs::metadata(dir.join(&s.uri)).unwrap().len();
        (len, s.duration)
    });
    let rates = BitRates::measure(sizes, playlist.written_target_duration());
    assert!(rates.peak >= rates.average && rates.average > 0);
    // CODECS from the source's own codec configuration.
    let file = Mp4File::parse(Bytes::from(std::fs::read(fixture()).unwrap())).unwrap();
    let codecs: Vec<String> = file
        .tracks()
        .iter()
        .filter_map(|t| t.codec())
        .map(|c| c.codec_string())
        .collect();
    assert_eq!(codecs.len(), 2);
    assert!(
        codecs[0].starts_with("avc1.") && codecs[1] == "mp4a.40.2",
        "{codecs:?}"
    );
    let mut variant = VariantStream::new("ours.m3u8", rates.peak);
    variant.average_bandwidth = Some(rates.average);
    variant.codecs = codecs;
    variant.resolution = Some(Resolution {
        width: 320,
        height: 240,
    });
    let master = MultivariantPlaylist {
        independent_segments: true,
        variants: vec![variant],
        ..Default::default()
    };
    let text = master.to_m3u8().unwrap();
    std::fs::write(dir.join("master.m3u8"), &text).unwrap();
    assert_eq!(probe_video_frames(&dir.join("master.m3u8")), VIDEO_FRAMES);
    assert_eq!(
        gstreamer_video_frames(&dir.join("master.m3u8")),
        VIDEO_FRAMES
    );
    let _ = std::fs::remove_dir_all(dir);
}
