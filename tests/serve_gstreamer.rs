//! GStreamer plays what examples/serve serves: `playbin` and `playbin3`
//! (hlsdemux/hlsdemux2, dashdemux/dashdemux2, by URI as a player opens
//! it) on the live LL-HLS channel, the VOD HLS (fMP4 and MPEG-TS) and the
//! VOD MPD. `tests/gst/play.py` plays each into clock-synced fakesinks
//! until the wanted media time of video and of audio was decoded and must
//! report no error and no warning, with every video frame of that span
//! decoded (30 a second) and the audio running beside it.
//!
//! Live LL-HLS once got 4 s of video in 25 s with repeated buffering while
//! the audio ran on: the check that both kinds span the 10 s asked for,
//! with every picture, is what says it plays now.
//!
//! Frame counts, played to the end as fast as it decodes, for every
//! fixture: from every VOD form GStreamer decodes every picture of the
//! source and every audio frame of it, the first included: the AAC
//! priming frame (the 1024 samples the edit list skips) and the Opus
//! frame that holds the 312-sample pre-skip, all of them whole (in
//! MPEG-TS, Opus's control header makes opusdec drop the pre-skip). From
//! the MP4 file itself qtdemux applies the edit list: for `h264_aac.mp4`
//! 431 buffers, the priming frame clipped to one sample (GStreamer rounds
//! the edit's 1024/44100 s down to whole nanoseconds) and the last frame,
//! which the edit ends 680 samples into, left out. So every form gives
//! one audio frame more than the file; that is asserted exactly, and
//! nothing the server writes removes it in GStreamer 1.22:
//!
//! - hlsdemux/hlsdemux2 and dashdemux/dashdemux2 hand each fragment to
//!   qtdemux under the time segment they compute from the playlist or
//!   MPD, and qtdemux then applies no edit list: not with
//!   `segment_duration` 0 (what serve writes), not with the track's real
//!   duration, not with `mvhd`/`mehd` durations (all tried on copies of
//!   serve's segments). qtdemux does apply it to a standalone fragmented
//!   file (0 trims the start; the real duration trims both ends, which
//!   is what `fmp4::fragment_file` writes for audio:
//!   streamkit-core/tests/fmp4_gstreamer.rs).
//! - dashdemux honours DASH's `@presentationTimeOffset` (1024 on the audio
//!   clips the priming frame to one sample), but serve writes none: the
//!   init segment's edit list already presents the priming frame at -1024
//!   ticks for players that apply it (ffmpeg does, for both HLS fMP4 and
//!   DASH), and an offset on top would shift their audio twice.
//! - MPEG-TS has no edit list.
//!
//! Needs GStreamer (plugins good/bad/libav) and python3-gi; scripts/test
//! installs them.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may fail loudly

#[path = "gst/play.rs"]
mod gst;
#[path = "serve_support/server.rs"]
mod server;
use gst::{number, object, play, play_to_end};
use server::Server;

/// `seconds` of `url` played by `element`: no error or warning, both kinds
/// spanning the time asked for, every picture of the video span decoded.
/// Returns the JSON line.
fn plays(url: &str, element: &str, seconds: u32) -> String {
    let json = play(url, element, seconds, 120);
    assert!(json.contains(r#""errors": []"#), "{json}");
    assert!(json.contains(r#""warnings": []"#), "{json}");
    for kind in ["video", "audio"] {
        let seen = object(&json, kind);
        let span = number(seen, "span");
        assert!(span >= f64::from(seconds), "{kind}: {json}");
        if kind == "video" {
            // 30 pictures a second, each lasting 1/30 s: span * 30 of them.
            let frames = number(seen, "buffers");
            assert!(frames >= (span * 30.0).round() - 1.0, "{json}");
        }
    }
    json
}

fn url_of(server: &Server, path: &str) -> String {
    server
        .urls
        .iter()
        .find(|u| u.ends_with(path))
        .unwrap_or_else(|| panic!("{path} among {:?}", server.urls))
        .clone()
}

fn live_hls(element: &str) {
    let server = Server::start();
    plays(&url_of(&server, "/live/h264_aac/master.m3u8"), element, 10);
}

#[test]
fn gstreamer_playbin_plays_the_live_ll_hls_channel() {
    live_hls("playbin");
}

#[test]
fn gstreamer_playbin3_plays_the_live_ll_hls_channel() {
    live_hls("playbin3");
}

#[test]
fn gstreamer_playbin3_plays_every_vod_form() {
    let server = Server::start();
    for path in [
        "/vod/h264_aac/master.m3u8",
        "/vod/h264_aac/ts/master.m3u8",
        "/vod/h264_aac/manifest.mpd",
    ] {
        plays(&url_of(&server, path), "playbin3", 4);
    }
}

#[test]
fn gstreamer_playbin_plays_every_vod_form() {
    let server = Server::start();
    for path in [
        "/vod/h264_aac/master.m3u8",
        "/vod/h264_aac/ts/master.m3u8",
        "/vod/h264_aac/manifest.mpd",
    ] {
        plays(&url_of(&server, path), "playbin", 4);
    }
}

/// The decoded video frames, audio frames and audio samples of all of
/// `uri`, played by `element` to its end with no error or warning.
fn frame_counts(uri: &str, element: &str) -> (f64, f64, f64) {
    let json = play_to_end(uri, element, 120);
    assert!(json.contains(r#""errors": []"#), "{json}");
    assert!(json.contains(r#""warnings": []"#), "{json}");
    assert!(json.contains(r#""eos": true"#), "{json}");
    let (video, audio) = (object(&json, "video"), object(&json, "audio"));
    (
        number(video, "buffers"),
        number(audio, "buffers"),
        number(audio, "samples"),
    )
}

#[test]
fn gstreamer_decodes_every_frame_of_every_vod_form() {
    let fixture = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/h264_aac.mp4");
    // The file: qtdemux applies its edit list (see the top of this file).
    let (video, audio, _) = frame_counts(&format!("file://{fixture}"), "playbin3");
    assert_eq!((video, audio), (300.0, 431.0), "GStreamer on the file");
    // Fixture, pictures, audio frames, samples per audio frame, the
    // pre-skip opusdec drops in MPEG-TS (tests/fixtures/manifest.tsv).
    let fixtures = [
        ("h264_aac", 300.0, 432.0, 1024.0, 0.0),
        ("h264_opus", 180.0, 301.0, 960.0, 312.0),
        ("h265_aac", 180.0, 260.0, 1024.0, 0.0),
    ];
    let paths: Vec<String> = fixtures
        .iter()
        .map(|f| format!("{}/tests/fixtures/{}.mp4", env!("CARGO_MANIFEST_DIR"), f.0))
        .collect();
    let args: Vec<&str> = paths.iter().map(String::as_str).collect();
    let server = Server::start_with(&args);
    for (name, pictures, frames, frame_len, pre_skip) in fixtures {
        for element in ["playbin", "playbin3"] {
            for form in ["master.m3u8", "ts/master.m3u8", "manifest.mpd"] {
                let path = format!("/vod/{name}/{form}");
                let (v, a, samples) = frame_counts(&url_of(&server, &path), element);
                assert_eq!(v, pictures, "{element} {path}: pictures");
                assert_eq!(a, frames, "{element} {path}: audio frames");
                let trimmed = if form.starts_with("ts/") {
                    pre_skip
                } else {
                    0.0
                };
                assert_eq!(
                    samples,
                    frames * frame_len - trimmed,
                    "{element} {path}: samples"
                );
            }
        }
    }
}
