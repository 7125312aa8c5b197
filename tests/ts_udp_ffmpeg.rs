//! examples/ts_udp on a real socket: the datagrams it sends over loopback
//! are seven transport packets each, leave at the stream's pace, and
//! ffmpeg decodes what arrives, every frame of the fixture, with no error.
//!
//! The example binary is the one `cargo test` (and scripts/test) builds
//! beside this test, in target/<profile>/examples/.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may fail loudly
#![allow(clippy::disallowed_methods)] // tests measure real time

use std::io::ErrorKind;
use std::net::UdpSocket;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const FIXTURE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/h264_aac.mp4");
/// From tests/fixtures/manifest.tsv.
const VIDEO_FRAMES: usize = 300;
const AUDIO_FRAMES: usize = 432;
const FIXTURE_SECONDS: f64 = 10.0;

fn example(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("test executable path");
    // target/<profile>/deps/<test> -> target/<profile>/examples/<name>
    let dir = exe
        .parent()
        .and_then(Path::parent)
        .expect("target/<profile>");
    let path = dir
        .join("examples")
        .join(format!("{name}{}", std::env::consts::EXE_SUFFIX));
    assert!(
        path.exists(),
        "{} is missing: build the examples first (cargo build --examples)",
        path.display()
    );
    path
}

struct Capture {
    datagrams: Vec<Vec<u8>>,
    first_to_last: Duration,
}

/// Receives datagrams until none came for `idle`, or `stop` says so.
fn capture(socket: &UdpSocket, idle: Duration, stop: impl Fn(&[Vec<u8>]) -> bool) -> Capture {
    socket.set_read_timeout(Some(idle)).expect("read timeout");
    let mut datagrams = Vec::new();
    let mut first = None;
    let mut last = Instant::now();
    let mut buf = vec![0u8; 65_536];
    loop {
        match socket.recv(&mut buf) {
            Ok(n) => {
                last = Instant::now();
                first.get_or_insert(last);
                datagrams.push(buf[..n].to_vec());
                if stop(&datagrams) {
                    break;
                }
            }
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => break,
            Err(e) => panic!("receiving: {e}"),
        }
    }
    Capture {
        first_to_last: first.map_or(Duration::ZERO, |f| last - f),
        datagrams,
    }
}

/// ffmpeg decodes the capture; returns (video pts list, audio frame count).
fn decode(datagrams: &[Vec<u8>], name: &str) -> (Vec<i64>, usize) {
    let path =
        std::env::temp_dir().join(format!("streamkit-ts-udp-{}-{name}.ts", std::process::id()));
    std::fs::write(&path, datagrams.concat()).expect("write capture");
    let out = Command::new("ffmpeg")
        .args(["-nostdin", "-v", "error", "-i"])
        .arg(&path)
        .args(["-f", "framecrc", "-"])
        .output()
        .unwrap_or_else(|e| {
            panic!("ffmpeg is needed for this test (scripts/test installs it): {e}")
        });
    let _ = std::fs::remove_file(&path);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "ffmpeg failed: {stderr}");
    assert!(stderr.trim().is_empty(), "ffmpeg reported errors: {stderr}");
    let stdout = String::from_utf8(out.stdout).expect("framecrc is text");
    let mut video = Vec::new();
    let mut audio = 0;
    for line in stdout.lines().filter(|l| !l.starts_with('#')) {
        let fields: Vec<&str> = line.split(',').map(str::trim).collect();
        match fields[0] {
            "0" => video.push(fields[2].parse().expect("pts")),
            "1" => audio += 1,
            other => panic!("unexpected stream {other}: {line}"),
        }
    }
    (video, audio)
}

fn check_datagrams(datagrams: &[Vec<u8>]) {
    let (last, full) = datagrams.split_last().expect("datagrams arrived");
    for (i, d) in full.iter().enumerate() {
        assert_eq!(d.len(), 7 * 188, "datagram {i} is not 7 TS packets");
    }
    assert!(!last.is_empty() && last.len() % 188 == 0 && last.len() <= 7 * 188);
    for d in datagrams {
        assert!(
            d.chunks(188).all(|p| p[0] == 0x47),
            "a packet lost its sync byte"
        );
    }
}

fn spawn(args: &[&str]) -> Child {
    Command::new(example("ts_udp"))
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start ts_udp")
}

#[test]
fn ffmpeg_decodes_every_frame_sent_at_the_stream_pace() {
    let socket = UdpSocket::bind("127.0.0.1:0").expect("bind");
    let dest = socket.local_addr().expect("addr").to_string();
    let speed = 10.0;
    let mut child = spawn(&["--input", FIXTURE, "--dest", &dest, "--speed", "10"]);
    let got = capture(&socket, Duration::from_secs(3), |_| false);
    let status = child.wait().expect("ts_udp exits");
    assert!(status.success(), "ts_udp failed");
    check_datagrams(&got.datagrams);
    // Paced: the last sample's decode time is 9.9 s into the file, so at
    // 10x the datagrams spread over about a second, not a burst.
    let expected = Duration::from_secs_f64(FIXTURE_SECONDS * 0.9 / speed);
    assert!(
        got.first_to_last >= expected,
        "datagrams came in {:?}, expected at least {expected:?}",
        got.first_to_last
    );
    let (video, audio) = decode(&got.datagrams, "once");
    assert_eq!(video.len(), VIDEO_FRAMES);
    assert_eq!(audio, AUDIO_FRAMES);
}

#[test]
fn looping_continues_the_timestamps() {
    let socket = UdpSocket::bind("127.0.0.1:0").expect("bind");
    let dest = socket.local_addr().expect("addr").to_string();
    let mut child = spawn(&[
        "--input", FIXTURE, "--dest", &dest, "--speed", "10", "--loop",
    ]);
    // A pass of the fixture is about 217 datagrams: take two and a half.
    let got = capture(&socket, Duration::from_secs(3), |d| d.len() >= 540);
    child.kill().expect("stop ts_udp");
    let _ = child.wait();
    assert_eq!(got.datagrams.len(), 540, "the loop stopped sending");
    let (video, _) = decode(&got.datagrams[..539], "loop");
    assert!(video.len() > 2 * VIDEO_FRAMES, "{} frames", video.len());
    assert!(
        video.windows(2).all(|w| w[0] < w[1]),
        "presentation times do not keep rising across the loop"
    );
}

#[test]
fn refuses_a_remote_destination_without_the_flag() {
    let out = Command::new(example("ts_udp"))
        .args(["--dest", "192.0.2.1:1234"])
        .output()
        .expect("run ts_udp");
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("not a loopback address"), "{stderr}");
}

#[test]
fn help_names_every_option() {
    let out = Command::new(example("ts_udp"))
        .arg("--help")
        .output()
        .expect("run ts_udp");
    assert!(out.status.success());
    let help = String::from_utf8_lossy(&out.stdout);
    for option in ["--input", "--dest", "--loop", "--speed", "--allow-remote"] {
        assert!(help.contains(option), "--help lacks {option}");
    }
}
