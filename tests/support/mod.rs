//! What the tests that run examples and real clients share: fixtures and
//! tools, scratch directories, child processes that are killed when
//! dropped (an example binary or a client such as ffmpeg or GStreamer),
//! UDP ports bound in the process that uses them, and the fixtures'
//! samples.
//!
//! Included with `mod support;` by the workspace's tests and with
//! `#[path = "../../tests/support/mod.rs"] mod support;` by a member
//! crate's, so it names only `bytes` and `streamkit_core`.
#![allow(
    dead_code,
    unreachable_pub,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::disallowed_methods // tests measure real time and wait for children
)]

use std::net::UdpSocket;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

pub mod rtsp;

use bytes::Bytes;
use streamkit_core::codec::MediaKind;
use streamkit_core::mp4::Mp4File;

/// The workspace root (this crate's directory or its parent).
pub fn workspace_root() -> PathBuf {
    let here = Path::new(env!("CARGO_MANIFEST_DIR"));
    if here.join("tests/fixtures").exists() {
        here.to_path_buf()
    } else {
        here.parent().unwrap().to_path_buf()
    }
}

/// The repository's `tests/fixtures/<name>`.
pub fn fixture(name: &str) -> PathBuf {
    let p = workspace_root().join("tests/fixtures").join(name);
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
        "{tool} is not installed: scripts/test installs it (apt-get install ffmpeg gstreamer1.0-tools gstreamer1.0-plugins-good gstreamer1.0-plugins-bad gstreamer1.0-libav)"
    );
}

/// A scratch directory removed on drop, unique to the process and call.
pub struct TempDir(pub PathBuf);

impl TempDir {
    /// A new directory under the system's temporary directory.
    pub fn new(tag: &str) -> TempDir {
        static COUNTER: AtomicU32 = AtomicU32::new(0);
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("streamkit-{tag}-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A child process killed (and reaped) on drop.
pub struct Guard {
    /// The process.
    pub child: Child,
    /// Where its stderr goes, when written to a file.
    stderr_file: Option<PathBuf>,
}

impl Guard {
    /// Starts `cmd` with stdin closed, stdout discarded and stderr piped
    /// (read it with [`Guard::stderr`] once it exited).
    pub fn spawn(cmd: &mut Command) -> Guard {
        let child = cmd
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {cmd:?}: {e}"));
        Guard {
            child,
            stderr_file: None,
        }
    }

    /// Starts `cmd` with stdin closed, stdout and stderr to `<tag>.stdout`
    /// and `<tag>.stderr` in `dir`.
    pub fn spawn_logged(cmd: &mut Command, dir: &Path, tag: &str) -> Guard {
        let out = std::fs::File::create(dir.join(format!("{tag}.stdout"))).unwrap();
        let err_path = dir.join(format!("{tag}.stderr"));
        let err = std::fs::File::create(&err_path).unwrap();
        let child = cmd
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {cmd:?}: {e}"));
        Guard {
            child,
            stderr_file: Some(err_path),
        }
    }

    /// What the process wrote to stderr (after it exited, for a piped one).
    pub fn stderr(&mut self) -> String {
        if let Some(path) = &self.stderr_file {
            return std::fs::read_to_string(path).unwrap_or_default();
        }
        let mut err = String::new();
        if let Some(mut e) = self.child.stderr.take() {
            use std::io::Read;
            let _ = e.read_to_string(&mut err);
        }
        err
    }

    /// Its exit status, once it exited.
    pub fn try_status(&mut self) -> Option<ExitStatus> {
        self.child.try_wait().unwrap()
    }

    /// Sends `signal` (`INT`, `TERM`).
    pub fn signal(&mut self, signal: &str) {
        let status = Command::new("kill")
            .arg(format!("-{signal}"))
            .arg(self.child.id().to_string())
            .status()
            .unwrap();
        assert!(
            status.success(),
            "kill -{signal} {}: {status}",
            self.child.id()
        );
    }

    /// Sends SIGINT (the way to stop ffmpeg and `gst-launch-1.0 -e`
    /// cleanly: they finish their outputs).
    pub fn interrupt(&mut self) {
        self.signal("INT");
    }

    /// Waits for the process to exit, at most `limit` (a bound a loaded
    /// machine does not reach); its exit status.
    pub fn wait(&mut self, limit: Duration) -> ExitStatus {
        let start = Instant::now();
        loop {
            if let Some(status) = self.try_status() {
                return status;
            }
            assert!(
                start.elapsed() < limit,
                "subprocess did not finish within {limit:?}"
            );
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// Waits for the process to exit, at most `limit`, and asserts that it
    /// succeeded (its stderr in the message).
    pub fn wait_success(&mut self, limit: Duration) {
        let status = self.wait(limit);
        assert!(status.success(), "{status}: {}", self.stderr());
    }
}

impl Drop for Guard {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// An example's binary, beside this test's binary
/// (`target/<profile>/examples/`); built with cargo when missing.
pub fn example_binary(name: &str) -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    // target/<profile>/deps/<test> -> target/<profile>
    let profile_dir = exe.parent().and_then(Path::parent).unwrap().to_path_buf();
    let bin = profile_dir
        .join("examples")
        .join(format!("{name}{}", std::env::consts::EXE_SUFFIX));
    if !bin.exists() {
        let target_dir = profile_dir.parent().unwrap();
        let mut cmd = Command::new(env!("CARGO"));
        cmd.args([
            "build",
            "-p",
            "streamkit",
            "--example",
            name,
            "--target-dir",
        ])
        .arg(target_dir)
        .current_dir(workspace_root());
        if profile_dir.file_name().is_some_and(|n| n == "release") {
            cmd.arg("--release");
        }
        let status = cmd.status().unwrap();
        assert!(status.success(), "cargo build --example {name}: {status}");
    }
    assert!(bin.exists(), "{} is missing", bin.display());
    bin
}

/// Runs example `name` with `args` to completion (at most `limit`),
/// asserting that it exits 0; its output logged in `dir` under `tag`.
pub fn run_example(name: &str, args: &[String], dir: &Path, tag: &str, limit: Duration) {
    let mut child = Guard::spawn_logged(Command::new(example_binary(name)).args(args), dir, tag);
    let status = child.wait(limit);
    assert!(
        status.success(),
        "{name} {args:?}: {status}\n{}",
        child.stderr()
    );
}

/// Sockets on 127.0.0.1 on `count` consecutive ports from an even one
/// (RTP on the even ports, RTCP on the odd), bound here and held by the
/// process that reads them, so no other process can take them.
pub struct UdpPorts {
    /// The sockets, port `first + i` at `i`.
    pub sockets: Vec<UdpSocket>,
}

impl UdpPorts {
    /// Asks the OS for a port until it gives an even one whose `count - 1`
    /// successors are free too.
    pub fn bind(count: u16) -> UdpPorts {
        for _ in 0..500 {
            let first = UdpSocket::bind("127.0.0.1:0").unwrap();
            let port = first.local_addr().unwrap().port();
            if !port.is_multiple_of(2) || port > u16::MAX - count {
                continue;
            }
            let rest: Result<Vec<UdpSocket>, _> = (1..count)
                .map(|i| UdpSocket::bind(("127.0.0.1", port + i)))
                .collect();
            if let Ok(rest) = rest {
                let mut sockets = vec![first];
                sockets.extend(rest);
                return UdpPorts { sockets };
            }
        }
        panic!("no {count} consecutive free UDP ports on 127.0.0.1");
    }

    /// The first (even) port.
    pub fn first(&self) -> u16 {
        self.sockets[0].local_addr().unwrap().port()
    }

    /// The socket of port `first + i`.
    pub fn socket(&self, i: usize) -> &UdpSocket {
        &self.sockets[i]
    }
}

/// Two UDP sockets on 127.0.0.1, non-blocking: RTP on an even port, RTCP
/// on the next.
pub struct PortPair {
    /// The RTP socket.
    pub rtp: UdpSocket,
    /// The RTCP socket (port + 1).
    pub rtcp: UdpSocket,
}

impl PortPair {
    /// An even/odd pair bound here.
    pub fn bind() -> PortPair {
        let mut ports = UdpPorts::bind(2);
        let rtcp = ports.sockets.pop().unwrap();
        let rtp = ports.sockets.pop().unwrap();
        for s in [&rtp, &rtcp] {
            s.set_nonblocking(true).unwrap();
        }
        PortPair { rtp, rtcp }
    }

    /// The RTP port.
    pub fn port(&self) -> u16 {
        self.rtp.local_addr().unwrap().port()
    }
}

/// An even port `p` with `p` to `p + count - 1` free now, for a receiver
/// in another process (ffmpeg, GStreamer) to bind: the ports are released
/// here, so wait with [`wait_bound`] until the receiver holds them.
pub fn free_ports_for_another_process(count: u16) -> u16 {
    UdpPorts::bind(count).first()
}

/// Waits until another process has bound UDP `port` on 127.0.0.1 (a
/// receiver is ready), at most `limit`; fails at once when `receiver`
/// exited first.
pub fn wait_bound(port: u16, limit: Duration, mut receiver: Option<&mut Guard>) {
    let start = Instant::now();
    while UdpSocket::bind(("127.0.0.1", port)).is_ok() {
        if let Some(r) = receiver.as_deref_mut()
            && let Some(status) = r.try_status()
        {
            panic!(
                "the receiver exited ({status}) before binding port {port}: {}",
                r.stderr()
            );
        }
        assert!(
            start.elapsed() < limit,
            "the receiver did not bind port {port} within {limit:?}"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Datagrams received on a port pair, with their arrival times.
#[derive(Default)]
pub struct Capture {
    /// RTP datagrams.
    pub rtp: Vec<(Instant, Bytes)>,
    /// RTCP datagrams.
    pub rtcp: Vec<(Instant, Bytes)>,
}

/// Receives on `pair` until the sockets are quiet and the child has
/// exited (successfully) or `stop` says the stream is over, at most
/// `limit`.
pub fn capture(
    pair: &PortPair,
    child: &mut Guard,
    limit: Duration,
    stop: impl Fn(&Capture) -> bool,
) -> Capture {
    let start = Instant::now();
    let mut cap = Capture::default();
    let mut buf = vec![0u8; 65_536];
    loop {
        assert!(start.elapsed() < limit, "no end of stream within {limit:?}");
        let mut got = false;
        // Drain both sockets before looking at the clock or the child, so a
        // burst never waits in the kernel's buffer longer than needed.
        for (socket, list) in [(&pair.rtp, &mut cap.rtp), (&pair.rtcp, &mut cap.rtcp)] {
            while let Ok(n) = socket.recv(&mut buf) {
                list.push((Instant::now(), Bytes::copy_from_slice(&buf[..n])));
                got = true;
            }
        }
        if !got {
            if stop(&cap) {
                return cap;
            }
            if let Some(status) = child.try_status() {
                assert!(status.success(), "{status}: {}", child.stderr());
                return cap;
            }
            std::thread::sleep(Duration::from_millis(1));
        }
    }
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
