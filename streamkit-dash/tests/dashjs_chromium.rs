//! dash.js (the npm package pinned in tests/mse/package.json) in headless
//! Chromium plays our VOD MPD to the end and our live MPD for 10 s without
//! a stall: `tests/mse/dashjs.mjs` (Debian `chromium`, driven by
//! `playwright-core`) loads the MPD from a loopback server in this test and
//! reports `waiting` events after the start, the positions reached and
//! every error.
//!
//! Needs `chromium`, `node` and `tests/mse/node_modules` (`npm ci` in
//! tests/mse); scripts/test installs them. The test fails, saying what is
//! missing, when they are not there.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod live_server;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use streamkit_core::time::{MediaTime, Timescale};
use streamkit_dash::live::LivePackagerConfig;
use streamkit_dash::mpd::UTC_TIMING_HTTP_ISO;

use live_server::LiveServer;

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
    let server = LiveServer::start_vod(Duration::from_secs(90));
    let url = format!("http://127.0.0.1:{}/vod/manifest.mpd", server.port);
    let json = dashjs(&url, "vod", 40);
    let log = server.live.lock().unwrap().log.clone();
    drop(server);
    assert_eq!(field(&json, "started"), "true", "{json}");
    assert_eq!(field(&json, "ended"), "true", "{json}\n{log:?}");
    assert_eq!(field(&json, "stalls"), "[]", "{json}");
    assert_eq!(field(&json, "errors"), "[]", "{json}");
    assert_eq!(field(&json, "pageErrors"), "[]", "{json}");
    let end: f64 = field(&json, "currentTime").parse().unwrap();
    assert!((end - 10.0).abs() < 0.1, "{json}");
    assert!(log.iter().all(|(_, s)| *s == 200), "{log:?}");
}

fn dashjs_plays_live(low_latency: bool) {
    let server = LiveServer::start(
        Duration::from_secs(20),
        Duration::from_secs(90),
        |port, ast| {
            let config = LivePackagerConfig::new(MediaTime::new(2, Timescale::SECONDS), ast)
                .with_utc_timing(
                    UTC_TIMING_HTTP_ISO,
                    &format!("http://127.0.0.1:{port}/live/time"),
                );
            if low_latency {
                config.with_low_latency(
                    MediaTime::new(500, Timescale::MILLIS),
                    Duration::from_secs(2),
                )
            } else {
                config
            }
        },
    );
    let url = format!("http://127.0.0.1:{}/live/manifest.mpd", server.port);
    let json = dashjs(&url, "live", 10);
    let log = server.live.lock().unwrap().log.clone();
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
    // It fetched the time for UTCTiming and video segments in order.
    assert!(
        log.iter().any(|(p, s)| p == "/live/time" && *s == 200),
        "{log:?}"
    );
    let numbers: Vec<u64> = log
        .iter()
        .filter(|(_, s)| *s == 200)
        .filter_map(|(p, _)| p.strip_prefix("/live/video/seg-")?.strip_suffix(".m4s"))
        .map(|n| n.parse().unwrap())
        .collect();
    assert!(numbers.len() >= 5, "{log:?}");
    assert!(numbers.windows(2).all(|w| w[1] == w[0] + 1), "{log:?}");
}

#[test]
fn dashjs_plays_the_live_mpd_for_10_s_without_a_stall() {
    dashjs_plays_live(false);
}

#[test]
fn dashjs_plays_the_low_latency_live_mpd_for_10_s_without_a_stall() {
    dashjs_plays_live(true);
}
