//! streamkit-rtsp's client publishing (the rtsp_push example: ANNOUNCE,
//! SETUP with mode=record, RECORD) into ffmpeg's RTSP listener
//! (`-rtsp_flags listen`), over TCP interleaved and UDP: ffmpeg's
//! `framecrc` of the stream copy counts every frame of
//! tests/fixtures/h264_aac.mp4 (300 video, 432 AAC).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may fail loudly
#![allow(clippy::disallowed_methods)] // tests measure real time and wait for children

mod support;

use std::net::TcpListener;
use std::process::Command;
use std::time::Duration;

use support::{Guard, TempDir, fixture, require, run_example};

/// A TCP port free now on 127.0.0.1, for ffmpeg to listen on.
fn free_tcp_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn ffmpeg_receives_the_publish(transport: &str, speed: &str) {
    require("ffmpeg");
    let dir = TempDir::new(&format!("rtsp-client-ffmpeg-{transport}"));
    let port = free_tcp_port();
    let url = format!("rtsp://127.0.0.1:{port}/live/x");
    let crc = dir.path().join("out.crc");
    let mut ffmpeg = Guard::spawn_logged(
        Command::new("ffmpeg")
            .args([
                "-y",
                "-hide_banner",
                "-loglevel",
                "error",
                "-rtsp_flags",
                "listen",
            ])
            .args(["-timeout", "60", "-i", &url, "-c", "copy", "-f", "framecrc"])
            .arg(&crc),
        dir.path(),
        "ffmpeg",
    );
    // rtsp_push connects again while ffmpeg is not listening yet.
    let file = fixture("h264_aac.mp4").display().to_string();
    let args: Vec<String> = ["--transport", transport, "--speed", speed, &file, &url]
        .iter()
        .map(|s| (*s).to_owned())
        .collect();
    run_example(
        "rtsp_push",
        &args,
        dir.path(),
        "push",
        Duration::from_secs(120),
    );
    ffmpeg.wait_success(Duration::from_secs(60));
    let text = std::fs::read_to_string(&crc).unwrap();
    let count = |stream: &str| text.lines().filter(|l| l.starts_with(stream)).count();
    assert_eq!((count("0,"), count("1,")), (300, 432), "{text}");
    let pushed = std::fs::read_to_string(dir.path().join("push.stdout")).unwrap();
    assert_eq!(pushed, "published 732 samples\nend teardown\n");
}

#[test]
fn ffmpeg_receives_a_record_over_tcp() {
    ffmpeg_receives_the_publish("tcp", "4");
}

#[test]
fn ffmpeg_receives_a_record_over_udp() {
    ffmpeg_receives_the_publish("udp", "2");
}
