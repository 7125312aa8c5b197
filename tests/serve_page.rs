//! examples/serve's page in a real browser: headless Chromium (Debian's
//! package, driven by playwright-core from tests/mse) opens `/`, and with
//! the page's own play buttons plays HLS VOD (fMP4 and MPEG-TS, the
//! browser's native player), DASH VOD (the page's Media Source Extensions
//! player) and the live channel as LL-HLS and as LL-DASH. Each must advance at least 5 s with
//! no media or page error, at the fixture's picture size, with the row
//! showing the fixture's codecs and resolution; the live one shows its
//! latency, and (LL-DASH) its first picture is within two target
//! durations of the live edge. A screenshot of the page is saved in the target directory.
//!
//! The page also lists the RTSP URLs with serve's bound RTSP port:
//! `rtsp://HOST:PORT/vod/NAME` for each file, `rtsp://HOST:PORT/live/NAME`
//! for each live stream (the file's live channel and a stream ffmpeg
//! publishes with ANNOUNCE + RECORD).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may fail loudly

use std::path::Path;
use std::process::{Command, Stdio};

#[path = "serve_support/server.rs"]
mod server;
use server::Server;

/// A number or string field of one line of page.mjs's report.
fn field<'a>(line: &'a str, name: &str) -> &'a str {
    let key = format!("\"{name}\":");
    let start = line
        .find(&key)
        .unwrap_or_else(|| panic!("no {name} in {line}"))
        + key.len();
    let rest = &line[start..];
    let end = if let Some(quoted) = rest.strip_prefix('"') {
        1 + quoted.find('"').expect("closing quote") + 1
    } else {
        rest.find([',', '}']).expect("end of number")
    };
    rest[..end].trim_matches('"')
}

#[test]
fn chromium_plays_every_stream_from_the_page() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    assert!(
        root.join("tests/mse/node_modules/playwright-core").exists(),
        "tests/mse/node_modules is missing: run `npm ci` in tests/mse (scripts/test does)"
    );
    let server = Server::start();
    let page = format!("http://{}/", server.addr);
    let exe = std::env::current_exe().unwrap();
    let screenshot = exe
        .parent()
        .and_then(Path::parent)
        .unwrap()
        .join("serve-page.png");
    let kinds = [
        "HLS fMP4",
        "HLS MPEG-TS",
        "DASH",
        "LL-HLS live",
        "LL-DASH live",
    ];
    let out = Command::new("node")
        .arg(root.join("tests/serve_support/page.mjs"))
        .arg(&page)
        .arg(&screenshot)
        .args(kinds)
        .output()
        .unwrap_or_else(|e| panic!("node is needed (scripts/test installs it): {e}"));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "page.mjs failed: {stderr}\n{stdout}");
    let reports: Vec<&str> = stdout.lines().collect();
    assert_eq!(reports.len(), kinds.len(), "{stdout}");
    for (kind, report) in kinds.iter().zip(&reports) {
        assert_eq!(field(report, "kind"), *kind);
        assert!(report.contains(r#""errors":[]"#), "{kind}: {report}");
        assert!(report.contains(r#""page_errors":[]"#), "{kind}: {report}");
        let start: f64 = field(report, "start").parse().unwrap();
        let end: f64 = field(report, "end").parse().unwrap();
        assert!(end - start >= 5.0 - 1e-3, "{kind}: {start} -> {end}");
        assert_eq!(field(report, "width"), "320", "{kind}");
        assert_eq!(field(report, "height"), "240", "{kind}");
        assert!(
            report.contains(r#""avc1.64000d,mp4a.40.2","320x240""#),
            "{kind}: the row's codecs and resolution: {report}"
        );
        if kind.contains("live") {
            // Playback starts at once: the first picture shown is within
            // two target durations (4 s) of the live edge, in media time.
            // Chromium's native HLS player exposes no live edge (no
            // seekable range, no start date): the page's DASH player is
            // measured here, and LL-HLS's start on a simulated clock in
            // streamkit-hls/tests/live_join.rs.
            if kind.contains("DASH") {
                let lag: f64 = field(report, "edge_lag").parse().unwrap_or_else(|_| {
                    panic!("{kind}: no live edge known at the start: {report}")
                });
                eprintln!("{kind}: started {lag:.2} s behind the live edge");
                assert!(
                    (0.0..=4.0).contains(&lag),
                    "{kind}: started {lag} s behind the live edge"
                );
            }
            assert!(
                field(report, "status").contains("latency ") && !report.contains("not known"),
                "{kind}: no latency shown: {report}"
            );
        }
    }
    assert!(screenshot.exists());
    println!("screenshot: {}", screenshot.display());
}

#[test]
fn the_page_lists_the_rtsp_urls_of_every_file_and_live_stream() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    assert!(
        root.join("tests/mse/node_modules/playwright-core").exists(),
        "tests/mse/node_modules is missing: run `npm ci` in tests/mse (scripts/test does)"
    );
    let server = Server::start();
    // A live stream of its own: ffmpeg publishes the fixture over RTSP.
    let mut publisher = Command::new("ffmpeg")
        .args(["-nostdin", "-v", "error", "-re", "-stream_loop", "-1", "-i"])
        .arg(root.join("tests/fixtures/h264_aac.mp4"))
        .args(["-c", "copy", "-f", "rtsp", "-rtsp_transport", "tcp"])
        .arg(format!("{}/live/cam", server.rtsp))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start ffmpeg");
    // Polling, not hoping: the loop ends on the list naming the stream or
    // on the publisher's exit.
    loop {
        let (status, body) = server.get("/streams.json");
        if status == 200 && String::from_utf8_lossy(&body).contains(r#""name":"cam""#) {
            break;
        }
        assert!(
            publisher.try_wait().unwrap().is_none(),
            "ffmpeg stopped before publishing"
        );
        #[allow(clippy::disallowed_methods)]
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    // The file's five entry points, its RTP and two RTSP rows; the
    // published stream's two entry points and its RTSP row.
    let out = Command::new("node")
        .arg(root.join("tests/serve_support/page_rows.mjs"))
        .arg(format!("http://{}/", server.addr))
        .arg("11")
        .output()
        .unwrap_or_else(|e| panic!("node is needed (scripts/test installs it): {e}"));
    publisher.kill().unwrap();
    publisher.wait().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "page_rows.mjs failed: {}\n{stdout}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rtsp = &server.rtsp;
    let rows: Vec<&str> = stdout.lines().filter(|l| l.contains(r#","RTSP"#)).collect();
    assert_eq!(
        rows,
        [
            format!(r#"["h264_aac","RTSP","ffplay {rtsp}/vod/h264_aac"]"#),
            format!(r#"["h264_aac","RTSP live","ffplay {rtsp}/live/h264_aac"]"#),
            format!(r#"["cam","RTSP live","ffplay {rtsp}/live/cam"]"#),
        ],
        "{stdout}"
    );
}
