//! GStreamer's `playbin` (dashdemux) and `playbin3` (dashdemux2) play our
//! low-latency live MPD from a loopback server (a live package on a
//! `PackageSite` with a `DashView`, behind `streamkit_origin::Origin`):
//! `tests/gst/play.py` plays it into clock-synced fakesinks until 6 s of
//! video and of audio were decoded, and must report no error.
//!
//! Before the MPD declared only the namespaces it uses, its `<MPD>` start
//! tag ended past the first 512 bytes GStreamer's type finder reads, and
//! both took the document for plain `application/xml` ("missing a
//! plug-in"); this test is what they say now.
//!
//! The channel joined is 2 s old, with a time-shift buffer of two minutes,
//! so that its SegmentTimeline starts at time zero for the whole run: both
//! GStreamer DASH clients (1.22, and the code is the same today) place a
//! live client in a SegmentTimeline with `repeat_index = ((ts -
//! segment->start) + segments[0]->start) / segment->duration`
//! (`gst_mpd_client_stream_seek` in gstmpdclient.c, and its copy for
//! dashdemux2), which adds the first listed segment's start to the
//! position: once the window slides (the first listed segment no longer
//! starts at zero) they seek past the live edge and wait for segments that
//! do not exist yet, again at every MPD update. A channel older than its
//! time-shift buffer therefore does not play in GStreamer; dash.js and
//! ffmpeg follow it (`dashjs_chromium.rs`, `live_ffmpeg.rs`).
//!
//! Needs GStreamer with gstreamer1.0-plugins-bad (dashdemux), -good
//! (dashdemux2) and -libav, and python3-gi; scripts/test installs them.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "../../tests/gst/play.rs"]
mod gst;
mod live_server;

use std::time::Duration;

use gst::{number, object, play};
use live_server::{LiveServer, LiveSetup, fixture, segment_numbers};

fn gstreamer_plays_the_live_mpd(element: &str) {
    let setup = LiveSetup {
        preroll: Duration::from_secs(2),
        window: 64,
        time_shift_buffer_depth: Some(Duration::from_secs(120)),
        ..LiveSetup::low_latency()
    };
    let server = LiveServer::start_live(&fixture(), &setup);
    let json = play(&server.url("/live/manifest.mpd"), element, 6, 60);
    let log = server.log();
    drop(server);
    assert!(json.contains(r#""errors": []"#), "{json}\n{log:?}");
    for kind in ["video", "audio"] {
        let seen = object(&json, kind);
        let span = number(seen, "span");
        assert!(span >= 6.0, "{kind}: {json}\n{log:?}");
        if kind == "video" {
            // 30 frames a second, every one of them decoded.
            let frames = number(seen, "buffers");
            assert!(frames >= (span * 30.0).floor(), "{json}");
        }
    }
    let numbers = segment_numbers(&log, "/live/", "video");
    assert!(numbers.len() >= 3, "{log:?}");
    assert!(numbers.windows(2).all(|w| w[1] == w[0] + 1), "{log:?}");
    assert!(log.iter().all(|l| l.status == 200), "{log:?}");
}

#[test]
fn gstreamer_playbin_plays_the_live_mpd() {
    gstreamer_plays_the_live_mpd("playbin");
}

#[test]
fn gstreamer_playbin3_plays_the_live_mpd() {
    gstreamer_plays_the_live_mpd("playbin3");
}
