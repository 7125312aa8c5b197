//! examples/serve pulling a camera: `--pull rtsp://127.0.0.1:PORT/test=cam`
//! of GStreamer's RTSP server (tests/gst/rtsp_server.py, which plays
//! tests/fixtures/h264_aac.mp4 to each client in real time, as a camera
//! sends), then
//!
//! - ffmpeg decodes the republished stream from serve's LL-HLS URL with no
//!   error, video and audio;
//! - the GStreamer server is killed and started again on the same port:
//!   serve connects again (its log says when), the stream goes on in the
//!   same playlist behind an `EXT-X-DISCONTINUITY`, and ffmpeg decodes it
//!   again with no error;
//! - a pull of a server that is not there is retried with growing waits
//!   while serve serves the rest;
//! - a camera behind Digest is pulled with the URL's credentials, which
//!   never reach the log.
//!
//! Nothing here has an upper time bound a loaded machine could break:
//! each wait is for a state, polled while the processes run, under a hang
//! guard of minutes.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may fail loudly
#![allow(clippy::disallowed_methods)] // polls real processes between tries

mod support;

use std::time::{Duration, Instant};

use support::rtsp::gst_rtsp_server;
use support::{TempDir, require};

#[path = "serve_support/framecrc.rs"]
mod framecrc;
#[path = "serve_support/server.rs"]
mod server;
use framecrc::{count, framecrc};
use server::Server;

/// The hang guard of every wait (not a timing claim).
const GUARD: Duration = Duration::from_secs(180);

/// Polls serve's video media playlist of `cam` until `done` holds for it.
fn wait_playlist(server: &Server, what: &str, done: impl Fn(&str) -> bool) -> String {
    let start = Instant::now();
    loop {
        let (status, body) = server.get("/live/cam/video/index.m3u8");
        let text = String::from_utf8_lossy(&body).into_owned();
        if status == 200 && done(&text) {
            return text;
        }
        assert!(
            start.elapsed() < GUARD,
            "{what}: never; last playlist ({status}):\n{text}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn serve_pulls_a_camera_and_goes_on_behind_a_discontinuity_when_it_returns() {
    require("ffmpeg");
    let dir = TempDir::new("serve-pull");
    let (camera, port) = gst_rtsp_server(dir.path(), "h264_aac.mp4", None, 0, "camera-1");
    let server = Server::start_logged(&["--pull", &format!("rtsp://127.0.0.1:{port}/test=cam")]);
    let log = server.log.as_ref().unwrap();
    log.wait_for(GUARD, "the pull playing", |lines| {
        lines
            .iter()
            .any(|l| l.contains("live/cam: pulling rtsp://127.0.0.1:"))
    });
    wait_playlist(&server, "a whole segment", |p| p.contains("#EXTINF"));
    let url = format!("http://{}/live/cam/master.m3u8", server.addr);
    let (frames, stderr) = framecrc(&[], &url, &["-t", "2"]);
    assert_eq!(stderr, "", "LL-HLS of the pulled camera");
    assert!(count(&frames, 0) > 0 && count(&frames, 1) > 0, "{frames:?}");

    // The camera goes away and comes back where it was.
    drop(camera);
    log.wait_for(GUARD, "the drop noticed", |lines| {
        lines
            .iter()
            .any(|l| l.contains("live/cam:") && l.contains("again in"))
    });
    let (_camera, again) = gst_rtsp_server(dir.path(), "h264_aac.mp4", None, port, "camera-2");
    assert_eq!(again, port);
    let playlist = wait_playlist(&server, "the discontinuity", |p| {
        p.split("#EXT-X-DISCONTINUITY")
            .nth(1)
            .is_some_and(|after| after.contains("#EXTINF"))
    });
    assert!(!playlist.contains("#EXT-X-ENDLIST"), "{playlist}");
    let pulls = log
        .lines()
        .iter()
        .filter(|l| l.contains("live/cam: pulling"))
        .count();
    assert!(pulls >= 2, "one pull per session: {:?}", log.lines());
    let (frames, stderr) = framecrc(&[], &url, &["-t", "2"]);
    assert_eq!(stderr, "", "LL-HLS after the camera came back");
    assert!(count(&frames, 0) > 0 && count(&frames, 1) > 0, "{frames:?}");
}

#[test]
fn a_camera_that_is_not_there_is_tried_again_with_growing_waits() {
    // A port nothing listens on: bound, then closed.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let server = Server::start_logged(&["--pull", &format!("rtsp://127.0.0.1:{port}/x=gone")]);
    let log = server.log.as_ref().unwrap();
    let tries = |lines: &[String]| {
        lines
            .iter()
            .filter(|l| l.contains("live/gone:") && l.contains("again in"))
            .cloned()
            .collect::<Vec<_>>()
    };
    log.wait_for(GUARD, "three tries", |lines| tries(lines).len() >= 3);
    // Waits of 500 ms, 1 s, 2 s, each up to a quarter shorter.
    let waits: Vec<f64> = tries(&log.lines())
        .iter()
        .take(3)
        .map(|l| {
            let w = l.rsplit("again in ").next().unwrap().trim();
            if let Some(ms) = w.strip_suffix("ms") {
                ms.parse::<f64>().unwrap() / 1000.0
            } else {
                w.strip_suffix('s').unwrap().parse::<f64>().unwrap()
            }
        })
        .collect();
    for (wait, full) in waits.iter().zip([0.5, 1.0, 2.0]) {
        assert!(*wait <= full && *wait >= full * 0.75, "{waits:?}");
    }
    // The files are served all the while.
    assert_eq!(server.get("/vod/h264_aac/master.m3u8").0, 200);
}

#[test]
fn a_camera_behind_digest_is_pulled_and_its_password_never_logged() {
    let dir = TempDir::new("serve-pull-digest");
    let (_camera, port) = gst_rtsp_server(
        dir.path(),
        "h264_aac.mp4",
        Some(("cam", "s3cret")),
        0,
        "camera",
    );
    let server = Server::start_logged(&[
        "--pull",
        &format!("rtsp://cam:s3cret@127.0.0.1:{port}/test=locked"),
    ]);
    let log = server.log.as_ref().unwrap();
    let shown = format!("live/locked: pulling rtsp://127.0.0.1:{port}/test");
    log.wait_for(GUARD, "the pull playing", |lines| {
        lines.iter().any(|l| l.contains(&shown))
    });
    let start = Instant::now();
    loop {
        let (status, body) = server.get("/live/locked/video/index.m3u8");
        if status == 200 && String::from_utf8_lossy(&body).contains("#EXTINF") {
            break;
        }
        assert!(start.elapsed() < GUARD, "no segment from the locked camera");
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(
        log.lines().iter().all(|l| !l.contains("s3cret")),
        "{:?}",
        log.lines()
    );
}
