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
//! Needs GStreamer (plugins good/bad/libav) and python3-gi; scripts/test
//! installs them.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may fail loudly

#[path = "gst/play.rs"]
mod gst;
#[path = "serve_support/server.rs"]
mod server;
use gst::{number, object, play};
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
