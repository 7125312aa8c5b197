//! examples/serve over real RTSP: the built example binary is started on
//! 127.0.0.1 port 0 (HTTP and RTSP), and then
//!
//! - ffmpeg plays `rtsp://ADDR/vod/NAME` over UDP and over interleaved TCP
//!   and decodes exactly the fixture's frames, the video frames' checksums
//!   equal to those of the file itself;
//! - GStreamer (rtspsrc, decodebin) plays it over UDP and over TCP and
//!   decodes every video and audio frame (over UDP rtpbin's lip sync
//!   delays the track whose packets lead their presentation most, and
//!   rtspsrc clips at the Range's end: the sender's audio leads by the
//!   video's B-frame lead, so nothing is delayed past it);
//! - ffmpeg plays `rtsp://ADDR/live/NAME` (the looped file) with no error;
//! - ffmpeg publishes the fixture with `-f rtsp` (ANNOUNCE + RECORD, over
//!   TCP and over UDP) to `rtsp://ADDR/live/KEY`, and ffprobe then decodes
//!   the republished stream from serve's LL-HLS URL and from its RTSP URL
//!   with no error;
//! - with `--publish-user`/`--publish-pass`, a publisher with the wrong
//!   password is refused and nothing is published, and one with the right
//!   ones publishes (Digest).
//!
//! Nothing here has an upper time bound: a publication is waited for
//! while its publisher runs.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may fail loudly
#![allow(clippy::disallowed_methods)] // polls a real server between tries

use std::process::{Child, Command, Stdio};

#[path = "serve_support/server.rs"]
mod server;
use server::Server;

/// From tests/fixtures/manifest.tsv: h264_aac.mp4.
const VIDEO_FRAMES: usize = 300;
const AUDIO_FRAMES: usize = 432;
const FIXTURE: &str = "tests/fixtures/h264_aac.mp4";

fn start(extra: &[&str]) -> Server {
    let mut args = vec![FIXTURE];
    args.extend_from_slice(extra);
    Server::start_with(&args)
}

/// ffmpeg's framecrc of `input` (after `before`): (stream, crc) per frame,
/// and its stderr.
fn framecrc(before: &[&str], input: &str, after: &[&str]) -> (Vec<(u32, String)>, String) {
    let out = Command::new("ffmpeg")
        .args(["-nostdin", "-v", "error"])
        .args(before)
        .args(["-i", input])
        .args(after)
        .args(["-f", "framecrc", "-"])
        .output()
        .expect("run ffmpeg");
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "ffmpeg {input}: {stderr}");
    let frames = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| !l.starts_with('#'))
        .map(|l| {
            let f: Vec<&str> = l.split(',').map(str::trim).collect();
            (f[0].parse().unwrap(), f[5].to_owned())
        })
        .collect();
    (frames, stderr)
}

fn count(frames: &[(u32, String)], stream: u32) -> usize {
    frames.iter().filter(|(s, _)| *s == stream).count()
}

fn video_crcs(frames: &[(u32, String)]) -> Vec<&str> {
    frames
        .iter()
        .filter(|(s, _)| *s == 0)
        .map(|(_, c)| c.as_str())
        .collect()
}

#[test]
fn ffmpeg_plays_vod_over_udp_and_tcp_to_the_source_frames() {
    let server = start(&[]);
    let (source, _) = framecrc(&[], FIXTURE, &[]);
    let url = format!("{}/vod/h264_aac", server.rtsp);
    for transport in ["udp", "tcp"] {
        let (frames, stderr) = framecrc(&["-rtsp_transport", transport], &url, &[]);
        assert_eq!(stderr, "", "{transport}");
        assert_eq!(count(&frames, 0), VIDEO_FRAMES, "{transport}");
        assert_eq!(count(&frames, 1), AUDIO_FRAMES, "{transport}");
        assert_eq!(video_crcs(&frames), video_crcs(&source), "{transport}");
    }
}

#[test]
fn gstreamer_plays_vod_over_udp_and_tcp_to_every_frame() {
    let server = start(&[]);
    let url = format!("{}/vod/h264_aac", server.rtsp);
    for transport in ["udp", "tcp"] {
        let out = Command::new("/usr/bin/python3")
            .arg("tests/serve_support/gst_count.py")
            .args([&url, transport])
            .output()
            .expect("run GStreamer");
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "{transport}: {stdout} {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(
            stdout.trim(),
            format!("video={VIDEO_FRAMES} audio={AUDIO_FRAMES}"),
            "{transport}"
        );
    }
}

#[test]
fn ffmpeg_plays_the_live_channel_over_udp_and_tcp() {
    let server = start(&[]);
    let url = format!("{}/live/h264_aac", server.rtsp);
    for transport in ["udp", "tcp"] {
        let (frames, stderr) = framecrc(&["-rtsp_transport", transport], &url, &["-t", "2"]);
        assert_eq!(stderr, "", "{transport}");
        assert!(
            count(&frames, 0) > 0 && count(&frames, 1) > 0,
            "{transport}"
        );
    }
}

/// ffmpeg publishing the fixture, looped, at its own pace, to `url`.
fn publish(url: &str, transport: &str) -> Child {
    Command::new("ffmpeg")
        .args(["-nostdin", "-v", "error", "-re", "-stream_loop", "-1", "-i"])
        .arg(FIXTURE)
        .args([
            "-c",
            "copy",
            "-f",
            "rtsp",
            "-rtsp_transport",
            transport,
            url,
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start ffmpeg")
}

/// Waits while `publisher` runs until serve has a whole segment of
/// `/live/KEY/` (an `#EXTINF` in both LL-HLS media playlists); `false` if
/// the publisher ended first.
fn published(server: &Server, publisher: &mut Child, key: &str) -> bool {
    loop {
        let segmented = ["video", "audio"].iter().all(|m| {
            let (status, body) = server.get(&format!("/live/{key}/{m}/index.m3u8"));
            status == 200 && String::from_utf8_lossy(&body).contains("#EXTINF")
        });
        if segmented {
            return true;
        }
        if publisher.try_wait().expect("publisher status").is_some() {
            return false;
        }
        // Polling, not hoping: the loop ends on the server's answer or on
        // the publisher's exit, however long either takes.
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
}

#[test]
fn ffmpeg_publishes_with_record_and_the_stream_plays_on_hls_and_rtsp() {
    let server = start(&[]);
    let http = format!("http://{}", server.addr);
    for (transport, key) in [("tcp", "pub_tcp"), ("udp", "pub_udp")] {
        let mut publisher = publish(&format!("{}/live/{key}", server.rtsp), transport);
        assert!(published(&server, &mut publisher, key), "{transport}");
        let (frames, stderr) =
            framecrc(&[], &format!("{http}/live/{key}/master.m3u8"), &["-t", "2"]);
        assert_eq!(stderr, "", "{transport} HLS");
        assert!(
            count(&frames, 0) > 0 && count(&frames, 1) > 0,
            "{transport} HLS"
        );
        let (frames, stderr) = framecrc(
            &["-rtsp_transport", "tcp"],
            &format!("{}/live/{key}", server.rtsp),
            &["-t", "2"],
        );
        assert_eq!(stderr, "", "{transport} RTSP");
        assert!(count(&frames, 0) > 0, "{transport} RTSP");
        publisher.kill().unwrap();
        publisher.wait().unwrap();
    }
}

#[test]
fn digest_refuses_a_wrong_publisher_and_admits_the_right_one() {
    let server = start(&["--publish-user", "cam", "--publish-pass", "s3cret"]);
    let base = server.rtsp.strip_prefix("rtsp://").unwrap();
    let mut wrong = publish(&format!("rtsp://cam:nope@{base}/live/locked"), "tcp");
    let status = wrong.wait().unwrap();
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut wrong.stderr.take().unwrap(), &mut stderr).unwrap();
    assert!(!status.success());
    assert!(stderr.contains("401"), "{stderr}");
    assert_eq!(server.get("/live/locked/master.m3u8").0, 404);
    let mut right = publish(&format!("rtsp://cam:s3cret@{base}/live/locked"), "tcp");
    assert!(published(&server, &mut right, "locked"));
    right.kill().unwrap();
    right.wait().unwrap();
}
