//! rtp_send on a fragmented MP4 (ffmpeg `-movflags frag_keyframe+empty_moov`,
//! made here from a fixture): the moov's sample tables are empty and the
//! fragments are not read yet, so it must fail with a message naming that,
//! not exit 0 having sent nothing.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may fail loudly

mod support;

use std::process::Command;

use support::{TempDir, UdpPorts, example_binary, fixture, require};

#[test]
fn rtp_send_refuses_a_fragmented_mp4() {
    require("ffmpeg");
    let dir = TempDir::new("rtp-send-fragmented");
    let fragmented = dir.path().join("fragmented.mp4");
    let made = Command::new("ffmpeg")
        .args(["-v", "error", "-y", "-i"])
        .arg(fixture("h264_aac.mp4"))
        .args(["-c", "copy", "-movflags", "frag_keyframe+empty_moov"])
        .arg(&fragmented)
        .status()
        .unwrap();
    assert!(made.success(), "ffmpeg: {made}");
    // Ports bound here so that nothing else receives what might be sent.
    let ports = UdpPorts::bind(4);
    let out = Command::new(example_binary("rtp_send"))
        .arg("--input")
        .arg(&fragmented)
        .args(["--dest", &format!("127.0.0.1:{}", ports.first())])
        .arg("--sdp")
        .arg(dir.path().join("out.sdp"))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "stderr: {stderr}");
    assert!(
        stderr.contains("fragment"),
        "the message names fragments: {stderr}"
    );
    assert!(
        !dir.path().join("out.sdp").exists(),
        "no SDP for a stream that will not be sent"
    );
}
