//! examples/serve's RTSPS (RTSP over TLS, `--rtsps-bind` with
//! `--tls-cert`/`--tls-key`), judged by real clients. A self-signed
//! certificate is made at test time with openssl; the built example
//! binary is started on 127.0.0.1 port 0, and then
//!
//! - ffmpeg plays `rtsps://ADDR/vod/NAME` and decodes exactly the
//!   fixture's frames, the video frames' checksums equal to those of the
//!   file itself;
//! - GStreamer (rtspsrc, `tls-validation-flags=0`) decodes every video and
//!   audio frame over interleaved TCP, and finds no stream when it may
//!   only use UDP;
//! - a plain TLS client (openssl s_client) gets 461 for a SETUP asking
//!   UDP, and 200 for the same track over interleaved TCP;
//! - the start-up lines, /streams.json and the page list the rtsps://
//!   URLs beside the rtsp:// ones.
//!
//! The only time bounds are hang guards a loaded machine does not reach.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may fail loudly

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};

#[path = "serve_support/framecrc.rs"]
mod framecrc;
#[path = "serve_support/server.rs"]
mod server;
use framecrc::{count, framecrc, video_crcs};
mod support;
use server::Server;
use support::TempDir;

/// From tests/fixtures/manifest.tsv: h264_aac.mp4.
const VIDEO_FRAMES: usize = 300;
const AUDIO_FRAMES: usize = 432;
const FIXTURE: &str = "tests/fixtures/h264_aac.mp4";

/// serve with RTSPS on port 0 and a certificate made now; the directory
/// holding it lives as long as the server.
fn start() -> (Server, TempDir, String) {
    let certs = TempDir::new("rtsps-cert");
    let (cert, key) = (certs.path().join("cert.pem"), certs.path().join("key.pem"));
    let out = Command::new("openssl")
        .args([
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
        ])
        .args(["-subj", "/CN=localhost", "-keyout"])
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .output()
        .expect("run openssl");
    assert!(
        out.status.success(),
        "openssl: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let server = Server::start_with(&[
        FIXTURE,
        "--rtsps-bind",
        "127.0.0.1:0",
        "--rtmps-bind",
        "127.0.0.1:0",
        "--tls-cert",
        cert.to_str().unwrap(),
        "--tls-key",
        key.to_str().unwrap(),
    ]);
    let rtsps = server
        .rtsps
        .clone()
        .expect("serve printed its RTSPS address");
    (server, certs, rtsps)
}

#[test]
fn ffmpeg_plays_vod_over_rtsps_to_the_source_frames() {
    let (server, _certs, rtsps) = start();
    let (source, _) = framecrc(&[], FIXTURE, &[]);
    let (frames, stderr) = framecrc(&[], &format!("{rtsps}/vod/h264_aac"), &[]);
    assert_eq!(stderr, "");
    assert_eq!(count(&frames, 0), VIDEO_FRAMES);
    assert_eq!(count(&frames, 1), AUDIO_FRAMES);
    assert_eq!(video_crcs(&frames), video_crcs(&source));
    // The start-up lines and the page's list name the RTSPS URLs.
    for path in ["vod/h264_aac", "live/h264_aac"] {
        let url = format!("{rtsps}/{path}");
        assert!(
            server.lines.iter().any(|l| l.contains(&url)),
            "{url} in {:?}",
            server.lines
        );
    }
    let (status, json) = server.get("/streams.json");
    assert_eq!(status, 200);
    let json = String::from_utf8(json).unwrap();
    assert!(
        json.contains(&format!(r#""{rtsps}/vod/h264_aac""#)),
        "{json}"
    );
    assert!(
        json.contains(&format!(r#""{}/vod/h264_aac""#, server.rtsp)),
        "{json}"
    );
}

/// GStreamer's counts of `url` with `protocols`, certificate checks off;
/// `None` when the pipeline fails.
fn gstreamer(url: &str, protocols: &str) -> Option<String> {
    let out = Command::new("/usr/bin/python3")
        .arg("tests/serve_support/gst_count.py")
        .args([url, protocols, "tls-validation-flags=0"])
        .output()
        .expect("run GStreamer");
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

#[test]
fn gstreamer_plays_vod_over_rtsps_to_every_frame_and_never_over_udp() {
    let (_server, _certs, rtsps) = start();
    let url = format!("{rtsps}/vod/h264_aac");
    assert_eq!(
        gstreamer(&url, "tcp").as_deref(),
        Some(format!("video={VIDEO_FRAMES} audio={AUDIO_FRAMES}").as_str())
    );
    assert_eq!(gstreamer(&url, "udp"), None, "UDP only: no stream");
}

#[test]
fn a_udp_setup_over_rtsps_gets_461_and_interleaved_gets_200() {
    let (_server, _certs, rtsps) = start();
    let addr = rtsps.trim_start_matches("rtsps://").to_owned();
    let url = format!("{rtsps}/vod/h264_aac");
    let mut client = Command::new("openssl")
        .args(["s_client", "-quiet", "-connect", &addr])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("run openssl s_client");
    let mut stdin = client.stdin.take().unwrap();
    let mut lines = BufReader::new(client.stdout.take().unwrap()).lines();
    // The status line of the next answer.
    let mut status = move || -> String {
        for line in lines.by_ref() {
            let line = line.expect("openssl's output");
            if line.starts_with("RTSP/1.0 ") {
                return line.trim_end().to_owned();
            }
        }
        panic!("the TLS connection ended before an answer");
    };
    let mut send = |request: String| stdin.write_all(request.as_bytes()).unwrap();
    send(format!(
        "DESCRIBE {url} RTSP/1.0\r\nCSeq: 1\r\nAccept: application/sdp\r\n\r\n"
    ));
    assert_eq!(status(), "RTSP/1.0 200 OK");
    send(format!(
        "SETUP {url}/trackID=1 RTSP/1.0\r\nCSeq: 2\r\nTransport: RTP/AVP;unicast;client_port=50000-50001\r\n\r\n"
    ));
    assert_eq!(status(), "RTSP/1.0 461 Unsupported transport");
    send(format!(
        "SETUP {url}/trackID=1 RTSP/1.0\r\nCSeq: 3\r\nTransport: RTP/AVP/TCP;unicast;interleaved=0-1\r\n\r\n"
    ));
    assert_eq!(status(), "RTSP/1.0 200 OK");
    let _ = client.kill();
    let _ = client.wait();
}

#[test]
fn the_page_lists_the_rtsps_urls_beside_the_rtsp_ones() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    assert!(
        root.join("tests/mse/node_modules/playwright-core").exists(),
        "tests/mse/node_modules is missing: run `npm ci` in tests/mse (scripts/test does)"
    );
    let (server, _certs, rtsps) = start();
    // The file's five entry points, its RTP row, two RTSP and two RTSPS
    // rows.
    let out = Command::new("node")
        .arg(root.join("tests/serve_support/page_rows.mjs"))
        .arg(format!("http://{}/", server.addr))
        .arg("10")
        .output()
        .unwrap_or_else(|e| panic!("node is needed (scripts/test installs it): {e}"));
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
            format!(r#"["h264_aac","RTSPS","ffplay {rtsps}/vod/h264_aac"]"#),
            format!(r#"["h264_aac","RTSPS live","ffplay {rtsps}/live/h264_aac"]"#),
        ],
        "{stdout}"
    );
}
