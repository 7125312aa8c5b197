//! rtp_send on a fragmented MP4 (ffmpeg `-movflags frag_keyframe+empty_moov`,
//! made here from a fixture: the moov's sample tables are empty, every
//! sample is in a fragment) sends what it sends for the progressive file:
//! as many RTP packets, and an SDP; on an MP4 without samples it
//! fails saying so, not exiting 0 having sent nothing.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may fail loudly

mod support;

use std::path::Path;
use std::process::{Command, Output};

use support::{TempDir, UdpPorts, example_binary, fixture, require};

fn ffmpeg_copy(input: &Path, movflags: &str, out: &Path) {
    let made = Command::new("ffmpeg")
        .args(["-v", "error", "-y", "-i"])
        .arg(input)
        .args(["-c", "copy", "-movflags", movflags])
        .arg(out)
        .status()
        .unwrap();
    assert!(made.success(), "ffmpeg: {made}");
}

/// rtp_send `input` at 20 times real time to ports bound here (so that
/// nothing else receives it), one AAC frame per packet: the fragmented
/// file's audio lacks the progressive one's priming edit, which moves
/// where frames would be aggregated, not which frames are sent.
fn send(input: &Path, sdp: &Path) -> Output {
    let ports = UdpPorts::bind(4);
    Command::new(example_binary("rtp_send"))
        .arg("--input")
        .arg(input)
        .args(["--dest", &format!("127.0.0.1:{}", ports.first())])
        .args(["--speed", "20", "--aac-frames", "1"])
        .arg("--sdp")
        .arg(sdp)
        .output()
        .unwrap()
}

/// The count in "sent N RTP packets".
fn packets_sent(out: &Output) -> u64 {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "stderr: {stderr}");
    stderr
        .split("sent ")
        .nth(1)
        .and_then(|rest| rest.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no packet count: {stderr}"))
}

#[test]
fn rtp_send_sends_a_fragmented_mp4_as_the_progressive_file() {
    require("ffmpeg");
    let dir = TempDir::new("rtp-send-fragmented");
    let progressive = fixture("h264_aac.mp4");
    let fragmented = dir.path().join("fragmented.mp4");
    ffmpeg_copy(&progressive, "frag_keyframe+empty_moov", &fragmented);
    let whole = packets_sent(&send(&progressive, &dir.path().join("a.sdp")));
    let frag = packets_sent(&send(&fragmented, &dir.path().join("b.sdp")));
    // 432 AAC frames, 300 video frames (some in several packets).
    assert!(whole >= 432 + 300, "{whole} packets");
    assert_eq!(frag, whole, "the fragmented file's packets");
    assert!(dir.path().join("b.sdp").exists());
}

#[test]
fn rtp_send_refuses_an_mp4_without_samples() {
    require("ffmpeg");
    let dir = TempDir::new("rtp-send-empty");
    // Only the first moof: `empty_moov` headers, then cut before any
    // fragment.
    let fragmented = dir.path().join("fragmented.mp4");
    ffmpeg_copy(
        &fixture("h264_aac.mp4"),
        "frag_keyframe+empty_moov",
        &fragmented,
    );
    let bytes = std::fs::read(&fragmented).unwrap();
    let moof = bytes.windows(4).position(|w| w == b"moof").unwrap() - 4;
    let headers_only = dir.path().join("headers.mp4");
    std::fs::write(&headers_only, &bytes[..moof]).unwrap();
    let sdp = dir.path().join("out.sdp");
    let out = send(&headers_only, &sdp);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "stderr: {stderr}");
    assert!(stderr.contains("holds no samples"), "{stderr}");
    assert!(!sdp.exists(), "no SDP for a stream that will not be sent");
}
