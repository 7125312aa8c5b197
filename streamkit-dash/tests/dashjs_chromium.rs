//! dash.js (the npm package pinned in tests/mse/package.json) in headless
//! Chromium plays our VOD MPD to the end and our live MPDs for 10 s without
//! a stall: `tests/mse/dashjs.mjs` (Debian `chromium`, driven by
//! `playwright-core`) loads the MPD from a loopback server in this test (a
//! package on a `PackageSite` with a `DashView`, behind
//! `streamkit_origin::Origin`) and reports `waiting` events after the
//! start, the positions reached and every error.
//!
//! Live: the MPD of complete segments, the low-latency MPD (1.5 s target
//! latency, segments sent chunk by chunk), and the low-latency MPD of every
//! kind of input that plays as LL-HLS: audio only, video only, and H.264
//! with keyframes every 1, 2.5 and 4 s (clips made by
//! `scripts/make-live-clips.sh`). H.265 is left to the ffmpeg test
//! (`live_ffmpeg.rs`): Debian's Chromium has no H.265 decoder. The MPD
//! addresses segments by a SegmentTimeline of their real durations from
//! `@startNumber`, so the position follows the source's own clock and the
//! segment numbers come in order whatever the segment lengths.
//!
//! Chromium runs one at a time (a lock in this file), so that the two cores
//! of a CI machine are not shared by several real-time players.
//!
//! Needs `chromium`, `node` and `tests/mse/node_modules` (`npm ci` in
//! tests/mse); scripts/test installs them. The test fails, saying what is
//! missing, when they are not there.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod live_server;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;
use std::time::Duration;

use live_server::{LiveServer, LiveSetup, clip, fixture, segment_numbers};
use streamkit_core::mp4::Mp4File;

/// One Chromium at a time.
static CHROMIUM: Mutex<()> = Mutex::new(());

fn mse_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/mse")
}

/// Runs dashjs.mjs and returns its JSON line.
fn dashjs(url: &str, mode: &str, seconds: u32) -> String {
    let dir = mse_dir();
    assert!(
        Path::new("/usr/bin/chromium").exists() || std::env::var_os("CHROMIUM").is_some(),
        "chromium is required (scripts/test installs it)"
    );
    assert!(
        dir.join("node_modules/dashjs/package.json").exists(),
        "tests/mse/node_modules/dashjs is missing: run `npm ci` in tests/mse (scripts/test does)"
    );
    let out = Command::new("node")
        .arg(dir.join("dashjs.mjs"))
        .args([url, mode, &seconds.to_string()])
        .current_dir(&dir)
        .output()
        .expect("node is required (scripts/test installs it)");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "dashjs.mjs failed: {stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    eprintln!("dash.js {mode}: {}", stdout.trim());
    stdout.trim().to_owned()
}

/// The value of `"key":` in a flat JSON line, up to the next `,"` (or `}`).
fn field<'a>(json: &'a str, key: &str) -> &'a str {
    let pat = format!("\"{key}\":");
    let start = json.find(&pat).unwrap_or_else(|| panic!("{key} in {json}")) + pat.len();
    let rest = &json[start..];
    if rest.starts_with('[') {
        let end = rest.find(']').unwrap();
        &rest[..=end]
    } else {
        let end = rest.find([',', '}']).unwrap();
        &rest[..end]
    }
}

#[test]
fn dashjs_plays_the_vod_mpd_to_the_end() {
    let _one = CHROMIUM.lock().unwrap_or_else(|e| e.into_inner());
    let server = LiveServer::start_vod(Duration::from_secs(90));
    let json = dashjs(&server.url("/vod/manifest.mpd"), "vod", 40);
    let log = server.log();
    drop(server);
    assert_eq!(field(&json, "started"), "true", "{json}");
    assert_eq!(field(&json, "ended"), "true", "{json}\n{log:?}");
    assert_eq!(field(&json, "stalls"), "[]", "{json}");
    assert_eq!(field(&json, "errors"), "[]", "{json}");
    assert_eq!(field(&json, "pageErrors"), "[]", "{json}");
    let end: f64 = field(&json, "currentTime").parse().unwrap();
    assert!((end - 10.0).abs() < 0.1, "{json}");
    assert!(log.iter().all(|l| l.status == 200), "{log:?}");
}

/// Plays the live channel of `file` for 10 s with dash.js; `main` is the
/// rendition whose segment numbers are checked.
fn dashjs_plays_live(file: &Mp4File, setup: &LiveSetup, main: &str) {
    let _one = CHROMIUM.lock().unwrap_or_else(|e| e.into_inner());
    let server = LiveServer::start_live(file, setup);
    let json = dashjs(&server.url("/live/manifest.mpd"), "live", 10);
    let edge = server.media_now();
    let log = server.log();
    // The longest segment: 10 s of play take at least 10 s / that.
    let longest = server.with_package(|p| {
        p.segments()
            .iter()
            .map(|s| s.duration.as_secs_f64())
            .fold(0.0, f64::max)
    });
    drop(server);
    assert_eq!(field(&json, "started"), "true", "{json}\n{log:?}");
    assert_eq!(field(&json, "stalls"), "[]", "{json}\n{log:?}");
    assert_eq!(field(&json, "errors"), "[]", "{json}\n{log:?}");
    assert_eq!(field(&json, "pageErrors"), "[]", "{json}");
    // Position advanced by the 10 s of wall time, within a second.
    let span = &json[json.find("{\"from\":").unwrap()..];
    let from: f64 = field(span, "from").parse().unwrap();
    let to: f64 = field(span, "to").parse().unwrap();
    assert!((to - from - 10.0).abs() < 1.0, "{json}");
    // Behind the live edge (nothing plays what is not made yet), within the
    // 12 s time-shift buffer.
    let edge = edge.as_secs_f64();
    assert!(
        to < edge && to > edge - 12.0,
        "at {to} with the edge at {edge}"
    );
    // It fetched the time for UTCTiming, and the segments in order, none
    // skipped (a low-latency client asks again for a segment it read while
    // it was being made: its duration in the MPD changed).
    assert!(
        log.iter()
            .any(|l| l.path == "/live/time" && l.status == 200),
        "{log:?}"
    );
    let mut numbers = segment_numbers(&log, "/live/", main);
    numbers.sort_unstable();
    numbers.dedup();
    assert!(numbers.len() as f64 >= (10.0 / longest).floor(), "{log:?}");
    assert!(numbers.windows(2).all(|w| w[1] == w[0] + 1), "{log:?}");
    assert!(log.iter().all(|l| l.status == 200), "{log:?}");
}

#[test]
fn dashjs_plays_the_live_mpd_for_10_s_without_a_stall() {
    dashjs_plays_live(&fixture(), &LiveSetup::complete_segments(), "video");
}

#[test]
fn dashjs_plays_the_low_latency_live_mpd_for_10_s_without_a_stall() {
    dashjs_plays_live(&fixture(), &LiveSetup::low_latency(), "video");
}

#[test]
fn dashjs_plays_audio_only_live() {
    dashjs_plays_live(&clip("audio_only"), &LiveSetup::low_latency(), "audio");
}

#[test]
fn dashjs_plays_video_only_live() {
    dashjs_plays_live(&clip("video_only"), &LiveSetup::low_latency(), "video");
}

#[test]
fn dashjs_plays_keyframes_every_second_live() {
    dashjs_plays_live(&clip("gop1"), &LiveSetup::low_latency(), "video");
}

#[test]
fn dashjs_plays_keyframes_every_2_5_s_live() {
    dashjs_plays_live(&clip("gop2_5"), &LiveSetup::low_latency(), "video");
}

#[test]
fn dashjs_plays_keyframes_every_4_s_live() {
    dashjs_plays_live(&clip("gop4"), &LiveSetup::low_latency(), "video");
}
