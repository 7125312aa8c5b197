//! What the tests that run ffmpeg and GStreamer share: finding the tools
//! and fixtures, even/odd UDP port pairs on loopback, and child processes
//! that are killed when dropped.
#![allow(
    dead_code,
    unreachable_pub,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

use std::net::UdpSocket;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The repository's `tests/fixtures/<name>`.
pub fn fixture(name: &str) -> PathBuf {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/fixtures")
        .join(name);
    assert!(
        p.exists(),
        "fixture {} is missing (scripts/make-fixtures.sh)",
        p.display()
    );
    p
}

/// Fails with a clear message when `tool` is not installed.
pub fn require(tool: &str) {
    let ok = Command::new(tool)
        .arg(if tool.starts_with("gst-") {
            "--version"
        } else {
            "-version"
        })
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    assert!(
        ok,
        "{tool} is not installed: scripts/test installs it (apt-get install ffmpeg gstreamer1.0-tools gstreamer1.0-plugins-good)"
    );
}

/// Two UDP sockets on 127.0.0.1: RTP on an even port, RTCP on the next.
pub struct PortPair {
    /// The RTP socket.
    pub rtp: UdpSocket,
    /// The RTCP socket (port + 1).
    pub rtcp: UdpSocket,
}

impl PortPair {
    /// Asks the OS for a port until it gives an even one whose successor is
    /// free too.
    pub fn bind() -> PortPair {
        for _ in 0..200 {
            let rtp = UdpSocket::bind("127.0.0.1:0").unwrap();
            let port = rtp.local_addr().unwrap().port();
            if !port.is_multiple_of(2) || port == u16::MAX {
                continue;
            }
            if let Ok(rtcp) = UdpSocket::bind(("127.0.0.1", port + 1)) {
                for s in [&rtp, &rtcp] {
                    s.set_nonblocking(true).unwrap();
                }
                return PortPair { rtp, rtcp };
            }
        }
        panic!("no even/odd UDP port pair on 127.0.0.1");
    }

    /// The RTP port.
    pub fn port(&self) -> u16 {
        self.rtp.local_addr().unwrap().port()
    }
}

/// A child process killed (and reaped) on drop.
pub struct Guard(pub Child);

impl Guard {
    /// Starts `cmd` with stdout discarded and stderr kept.
    pub fn spawn(cmd: &mut Command) -> Guard {
        let child = cmd
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {cmd:?}: {e}"));
        Guard(child)
    }

    /// `true` once the process has exited; panics when it failed.
    pub fn finished(&mut self) -> bool {
        match self.0.try_wait().unwrap() {
            None => false,
            Some(status) => {
                if !status.success() {
                    let mut err = String::new();
                    if let Some(mut e) = self.0.stderr.take() {
                        use std::io::Read;
                        let _ = e.read_to_string(&mut err);
                    }
                    panic!("{status}: {err}");
                }
                true
            }
        }
    }

    /// Waits for the process to end, at most `limit`.
    pub fn wait(&mut self, limit: Duration) {
        #[allow(clippy::disallowed_methods)] // tests measure real time
        let start = Instant::now();
        while !self.finished() {
            assert!(
                start.elapsed() < limit,
                "subprocess did not finish within {limit:?}"
            );
            #[allow(clippy::disallowed_methods)] // tests may sleep
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

impl Drop for Guard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Datagrams received on a port pair, with their arrival times.
#[derive(Default)]
pub struct Capture {
    /// RTP datagrams.
    pub rtp: Vec<(Instant, bytes::Bytes)>,
    /// RTCP datagrams.
    pub rtcp: Vec<(Instant, bytes::Bytes)>,
}

/// Receives on `pair` until the sockets are quiet and the child has
/// exited or `stop` says the stream is over, at most `limit`.
pub fn capture(
    pair: &PortPair,
    child: &mut Guard,
    limit: Duration,
    stop: impl Fn(&Capture) -> bool,
) -> Capture {
    #[allow(clippy::disallowed_methods)] // tests measure real time
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
                #[allow(clippy::disallowed_methods)] // arrival time on the real clock
                let now = Instant::now();
                list.push((now, bytes::Bytes::copy_from_slice(&buf[..n])));
                got = true;
            }
        }
        if !got {
            if stop(&cap) || child.finished() {
                return cap;
            }
            #[allow(clippy::disallowed_methods)] // tests may sleep
            std::thread::sleep(Duration::from_millis(1));
        }
    }
}
