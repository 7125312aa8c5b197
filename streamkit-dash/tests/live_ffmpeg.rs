//! ffmpeg plays our live MPD from a loopback server: the live packager,
//! driven by a real-time source on the system clock (ffmpeg places itself
//! in a live presentation by the system clock), behind the origin; `ffmpeg
//! -i http://127.0.0.1:PORT/live/manifest.mpd -t 5 -f null -` must read
//! without an error, and fetch the video segments in order.
//!
//! The source has been live for 20 s when ffmpeg joins, longer than the
//! 12 s `@timeShiftBufferDepth`: ffmpeg 5.1's DASH reader computes the
//! oldest available segment number in unsigned arithmetic
//! (`((now - availabilityStartTime) - timeShiftBufferDepth) * timescale /
//! duration`), which wraps while a presentation is younger than its
//! time-shift buffer; every segment then looks too old and it fetches the
//! same one again and again. Spec-valid young presentations trip it; an
//! older one does not.
//!
//! The low-latency MPD is not played here: ffmpeg 5.1 ignores
//! `@availabilityTimeOffset` and, at the live edge, takes a `404` for a
//! segment whose time has not come as a missing segment and moves on to
//! the next number (`Failed to open fragment of playlist`), so with a
//! presentation delay shorter than what it reads (`-t 5` against the 2 s
//! target latency) it runs ahead of the producer, skipping.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod live_server;

use std::process::Command;
use std::time::Duration;

use streamkit_core::time::{MediaTime, Timescale};
use streamkit_dash::live::LivePackagerConfig;
use streamkit_dash::mpd::UTC_TIMING_HTTP_ISO;

use live_server::LiveServer;

fn ffmpeg_plays() {
    let probe = Command::new("ffmpeg").arg("-version").output();
    assert!(
        probe.is_ok_and(|o| o.status.success()),
        "ffmpeg is required for this test (scripts/test installs it)"
    );
    let server = LiveServer::start(
        Duration::from_secs(20),
        Duration::from_secs(60),
        |port, ast| {
            LivePackagerConfig::new(MediaTime::new(2, Timescale::SECONDS), ast).with_utc_timing(
                UTC_TIMING_HTTP_ISO,
                &format!("http://127.0.0.1:{port}/live/time"),
            )
        },
    );
    let out = Command::new("ffmpeg")
        .args(["-nostdin", "-v", "error", "-i"])
        .arg(format!(
            "http://127.0.0.1:{}/live/manifest.mpd",
            server.port
        ))
        .args(["-t", "5", "-f", "null", "-"])
        .output()
        .unwrap();
    let log = server.live.lock().unwrap().log.clone();
    drop(server);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() && stderr.is_empty(),
        "ffmpeg: {stderr}\nrequests: {log:?}"
    );
    let numbers: Vec<u64> = log
        .iter()
        .filter(|(_, status)| *status == 200)
        .filter_map(|(p, _)| p.strip_prefix("/live/video/seg-")?.strip_suffix(".m4s"))
        .map(|n| n.parse().unwrap())
        .collect();
    assert!(numbers.len() >= 2, "{log:?}");
    assert!(numbers.windows(2).all(|w| w[1] == w[0] + 1), "{log:?}");
    assert!(log.iter().all(|(_, status)| *status == 200), "{log:?}");
}

#[test]
fn ffmpeg_plays_the_live_mpd() {
    ffmpeg_plays();
}
