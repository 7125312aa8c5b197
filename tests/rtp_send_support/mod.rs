//! What the rtp_send tests share: the example's binary, free ports, the
//! fixtures' samples, child processes killed on drop.
#![allow(
    dead_code,
    unreachable_pub,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::disallowed_methods // tests measure real time and sleep
)]

use std::net::UdpSocket;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use bytes::Bytes;
use streamkit::core::codec::MediaKind;
use streamkit::core::mp4::Mp4File;

/// The repository's `tests/fixtures/<name>`.
pub fn fixture(name: &str) -> PathBuf {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name);
    assert!(p.exists(), "fixture {} is missing", p.display());
    p
}

/// Fails with a clear message when `tool` is not installed.
pub fn require(tool: &str) {
    let flag = if tool.starts_with("gst-") {
        "--version"
    } else {
        "-version"
    };
    let ok = Command::new(tool)
        .arg(flag)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    assert!(
        ok,
        "{tool} is not installed: scripts/test installs it (apt-get install ffmpeg gstreamer1.0-tools gstreamer1.0-plugins-good gstreamer1.0-libav)"
    );
}

/// A scratch directory removed on drop.
pub struct TempDir(pub PathBuf);

impl TempDir {
    /// A new directory under the system's temporary directory.
    pub fn new(tag: &str) -> TempDir {
        let dir = std::env::temp_dir().join(format!("streamkit-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A child process killed (and reaped) on drop.
pub struct Guard(pub Child);

impl Guard {
    /// Starts `cmd` with stdin closed, stdout and stderr to files in `dir`.
    pub fn spawn(cmd: &mut Command, dir: &Path, tag: &str) -> Guard {
        let out = std::fs::File::create(dir.join(format!("{tag}.stdout"))).unwrap();
        let err = std::fs::File::create(dir.join(format!("{tag}.stderr"))).unwrap();
        let child = cmd
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {cmd:?}: {e}"));
        Guard(child)
    }

    /// Sends SIGINT (the way to stop ffmpeg and `gst-launch-1.0 -e`
    /// cleanly: they finish their outputs).
    pub fn interrupt(&mut self) {
        let status = Command::new("kill")
            .args(["-INT", &self.0.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success(), "kill -INT {}: {status}", self.0.id());
    }

    /// Waits for the child to exit, at most `limit`; its exit status.
    pub fn wait(&mut self, limit: Duration) -> std::process::ExitStatus {
        let start = Instant::now();
        loop {
            if let Some(status) = self.0.try_wait().unwrap() {
                return status;
            }
            assert!(
                start.elapsed() < limit,
                "subprocess did not finish within {limit:?}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Guard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// An even port `p` on 127.0.0.1 with `p` to `p + 3` free (video RTP and
/// RTCP, audio RTP and RTCP).
pub fn free_ports() -> u16 {
    for _ in 0..200 {
        let first = UdpSocket::bind("127.0.0.1:0").unwrap();
        let p = first.local_addr().unwrap().port();
        if p & 1 == 1 || p > u16::MAX - 4 {
            continue;
        }
        let rest: Vec<_> = (1..4)
            .map(|i| UdpSocket::bind(("127.0.0.1", p + i)))
            .collect();
        if rest.iter().all(Result::is_ok) {
            return p;
        }
    }
    panic!("no four free consecutive UDP ports on 127.0.0.1");
}

/// Waits until something else has bound `port` (a receiver is ready).
pub fn wait_bound(port: u16, limit: Duration) {
    let start = Instant::now();
    while UdpSocket::bind(("127.0.0.1", port)).is_ok() {
        assert!(
            start.elapsed() < limit,
            "the receiver did not bind port {port} within {limit:?}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The rtp_send example's binary, beside this test's binary
/// (`target/<profile>/examples/`); built with cargo when missing.
pub fn example_binary() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    // target/<profile>/deps/<test> -> target/<profile>
    let profile_dir = exe.parent().and_then(Path::parent).unwrap().to_path_buf();
    let bin = profile_dir
        .join("examples")
        .join(format!("rtp_send{}", std::env::consts::EXE_SUFFIX));
    if !bin.exists() {
        let target_dir = profile_dir.parent().unwrap();
        let mut cmd = Command::new(env!("CARGO"));
        cmd.args(["build", "--example", "rtp_send", "--target-dir"])
            .arg(target_dir)
            .current_dir(env!("CARGO_MANIFEST_DIR"));
        if profile_dir.file_name().is_some_and(|n| n == "release") {
            cmd.arg("--release");
        }
        let status = cmd.status().unwrap();
        assert!(status.success(), "cargo build --example rtp_send: {status}");
    }
    assert!(bin.exists(), "{} is missing", bin.display());
    bin
}

/// Runs the example with `args` to completion (at most `limit`).
pub fn run_example(args: &[String], dir: &Path, tag: &str, limit: Duration) {
    let mut child = Guard::spawn(Command::new(example_binary()).args(args), dir, tag);
    let status = child.wait(limit);
    let err = std::fs::read_to_string(dir.join(format!("{tag}.stderr"))).unwrap_or_default();
    assert!(status.success(), "rtp_send {args:?}: {status}\n{err}");
}

/// The samples of the fixture's first track of `kind`, in order.
pub fn samples(name: &str, kind: MediaKind) -> Vec<Bytes> {
    let file = Mp4File::parse(Bytes::from(std::fs::read(fixture(name)).unwrap())).unwrap();
    let track = file
        .tracks()
        .iter()
        .find(|t| t.codec().is_some_and(|c| c.kind() == kind))
        .expect("track");
    file.track_samples(track.id())
        .unwrap()
        .map(|s| s.data)
        .collect()
}

/// `(size, md5)` of each packet of one stream in an ffmpeg `framemd5`
/// listing.
pub fn framemd5(text: &str) -> Vec<(usize, String)> {
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| {
            let f: Vec<&str> = l.split(',').map(str::trim).collect();
            (f[4].parse().unwrap(), f[5].to_owned())
        })
        .collect()
}
