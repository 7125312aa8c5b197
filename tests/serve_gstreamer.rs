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

use std::path::Path;
use std::process::Command;

#[path = "serve_support/server.rs"]
mod server;
use server::Server;

/// The number after `"key": ` in `json` (a flat object).
fn number(json: &str, key: &str) -> f64 {
    let pat = format!("\"{key}\": ");
    let start = json.find(&pat).unwrap_or_else(|| panic!("{key} in {json}")) + pat.len();
    let rest = &json[start..];
    let end = rest.find([',', '}']).unwrap();
    rest[..end]
        .parse()
        .unwrap_or_else(|_| panic!("{key} in {json}"))
}

/// The object after `"key": ` in `json`.
fn object<'a>(json: &'a str, key: &str) -> &'a str {
    let pat = format!("\"{key}\": {{");
    let start = json.find(&pat).unwrap_or_else(|| panic!("{key} in {json}")) + pat.len() - 1;
    let end = start + json[start..].find('}').unwrap();
    &json[start..=end]
}

/// Runs tests/gst/play.py on `url` with `element` until `seconds` of video
/// and audio are decoded (a hang guard of two minutes), and returns its
/// JSON line.
fn play(url: &str, element: &str, seconds: u32) -> String {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/gst/play.py");
    // Debian's python3-gi belongs to the system interpreter.
    let python = if Path::new("/usr/bin/python3").exists() {
        "/usr/bin/python3"
    } else {
        "python3"
    };
    let out = Command::new(python)
        .arg(script)
        .args([url, element, &seconds.to_string(), "120", "video,audio"])
        .output()
        .expect("python3 is required (scripts/test installs it)");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "play.py {element}: {stdout}{} (needs python3-gi and GStreamer)",
        String::from_utf8_lossy(&out.stderr)
    );
    eprintln!("{element} {url}: {}", stdout.trim());
    stdout.trim().to_owned()
}

/// `seconds` of `url` played by `element`: no error or warning, both kinds
/// spanning the time asked for, every picture of the video span decoded.
/// Returns the JSON line.
fn plays(url: &str, element: &str, seconds: u32) -> String {
    let json = play(url, element, seconds);
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
