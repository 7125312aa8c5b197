//! What the RTMP tests share: examples/serve started with its RTMP (and
//! RTMPS) listeners on port 0, the Enhanced-RTMP-capable static ffmpeg
//! that `scripts/test` installs, timelines of frame timestamps as
//! ffprobe and ffmpeg report them, and a blocking driver for
//! streamkit-rtmp's client session over a std TCP socket.
//!
//! Written to move into `tests/support/` as it is; names only `bytes`,
//! `streamkit` and the shared support module.
#![allow(
    dead_code,
    unreachable_pub,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::disallowed_methods // tests wait for children and sockets
)]

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use streamkit::rtmp::client::{ClientEvent, ClientSession};

use crate::support::{Guard, TempDir, example_binary, workspace_root};

/// Generous bound for anything a loaded machine does in a few seconds.
pub const HANG_GUARD: Duration = Duration::from_secs(120);

/// examples/serve with RTMP on.
pub struct Serve {
    pub guard: Guard,
    pub http: SocketAddr,
    pub rtmp: SocketAddr,
    pub rtmps: Option<SocketAddr>,
    pub rtsp: SocketAddr,
    pub dir: TempDir,
}

impl Serve {
    /// Starts serve on 127.0.0.1 port 0 (HTTP and RTMP) with `extra`
    /// options, and reads the addresses it prints.
    pub fn start(extra: &[&str]) -> Serve {
        let dir = TempDir::new("rtmp-serve");
        let mut cmd = Command::new(example_binary("serve"));
        cmd.args(["--bind", "127.0.0.1:0", "--rtmp-bind", "127.0.0.1:0"])
            .args(["--rtsp-bind", "127.0.0.1:0"])
            .args(extra);
        let mut guard = Guard::spawn_logged(&mut cmd, dir.path(), "serve");
        let out = dir.path().join("serve.stdout");
        let start = Instant::now();
        let text = loop {
            let text = std::fs::read_to_string(&out).unwrap_or_default();
            if text.contains("press Ctrl-C") {
                break text;
            }
            if let Some(status) = guard.try_status() {
                panic!("serve exited ({status}): {}", guard.stderr());
            }
            assert!(start.elapsed() < HANG_GUARD, "serve did not start");
            std::thread::sleep(Duration::from_millis(20));
        };
        let after = |prefix: &str| -> Option<SocketAddr> {
            let at = text.find(prefix)? + prefix.len();
            let rest = &text[at..];
            let end = rest.find(['/', ' ', '\n']).unwrap_or(rest.len());
            Some(rest[..end].parse().unwrap())
        };
        Serve {
            http: after("listening on http://").expect("HTTP address"),
            rtmp: after("rtmp on rtmp://").expect("RTMP address"),
            rtmps: after("rtmps on rtmps://"),
            rtsp: after("rtsp on rtsp://").expect("RTSP address"),
            guard,
            dir,
        }
    }

    /// `rtmp://ADDR/PATH`.
    pub fn rtmp_url(&self, path: &str) -> String {
        format!("rtmp://{}/{path}", self.rtmp)
    }

    /// `rtsp://ADDR/PATH`.
    pub fn rtsp_url(&self, path: &str) -> String {
        format!("rtsp://{}/{path}", self.rtsp)
    }

    /// `http://ADDR/PATH`.
    pub fn http_url(&self, path: &str) -> String {
        format!("http://{}/{path}", self.http)
    }

    /// `/streams.json`.
    pub fn streams_json(&self) -> String {
        http_get(self.http, "/streams.json")
    }

    /// Waits until `/streams.json` lists live stream `name`; fails at once
    /// when `publisher` exited first.
    pub fn wait_listed(&self, name: &str, publisher: &mut Guard) {
        let start = Instant::now();
        let needle = format!("\"name\":\"{name}\"");
        while !self.streams_json().contains(&needle) {
            if let Some(status) = publisher.try_status() {
                panic!(
                    "the publisher exited ({status}) before {name} was listed: {}",
                    publisher.stderr()
                );
            }
            assert!(start.elapsed() < HANG_GUARD, "{name} was never listed");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// serve's log so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("serve.stderr")).unwrap_or_default()
    }
}

/// A GET on `addr`: the body of a 2xx answer (panics otherwise).
pub fn http_get(addr: SocketAddr, target: &str) -> String {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(HANG_GUARD)).unwrap();
    write!(
        s,
        "GET {target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut response = Vec::new();
    s.read_to_end(&mut response).unwrap();
    let text = String::from_utf8_lossy(&response).into_owned();
    let status = text.split(' ').nth(1).unwrap_or_default();
    assert!(status.starts_with('2'), "GET {target}: {text}");
    let body = text.find("\r\n\r\n").map_or(0, |i| i + 4);
    text[body..].to_owned()
}

/// The static ffmpeg of PyPI's `imageio-ffmpeg` (a release that
/// publishes and reads Enhanced RTMP: `hvc1`, `Opus`), which
/// `scripts/test` installs into `target/tools/` and names in
/// `STREAMKIT_ENHANCED_FFMPEG`.
pub fn enhanced_ffmpeg() -> PathBuf {
    if let Some(p) = std::env::var_os("STREAMKIT_ENHANCED_FFMPEG") {
        return PathBuf::from(p);
    }
    let dir = workspace_root().join("target/tools");
    let found = std::fs::read_dir(&dir).ok().and_then(|entries| {
        entries
            .flatten()
            .filter(|e| {
                e.file_name()
                    .to_string_lossy()
                    .starts_with("imageio-ffmpeg-")
            })
            .find_map(|e| {
                let bin = e.path().join("imageio_ffmpeg/binaries");
                std::fs::read_dir(bin).ok()?.flatten().find_map(|f| {
                    f.file_name()
                        .to_string_lossy()
                        .starts_with("ffmpeg-")
                        .then(|| f.path())
                })
            })
    });
    found.unwrap_or_else(|| {
        panic!(
            "the static ffmpeg of imageio-ffmpeg is not installed in {}: scripts/test installs it (python3 -m pip install --target target/tools/imageio-ffmpeg-VERSION imageio-ffmpeg==VERSION)",
            dir.display()
        )
    })
}

/// Decode times are not needed: presentation times in milliseconds of a
/// file's (or URL's) first video stream's packets, in decode order, as
/// ffprobe reports them.
pub fn video_pts_ms(input: &str) -> Vec<i64> {
    let out = Command::new("ffprobe")
        .args(["-v", "error", "-select_streams", "v:0", "-show_entries"])
        .args(["packet=pts_time", "-of", "csv=p=0", input])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "ffprobe {input}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    parse_seconds(&String::from_utf8_lossy(&out.stdout))
}

/// The same with `ffmpeg` (for files Debian's ffprobe cannot read, such
/// as Enhanced RTMP FLV): packet presentation times of the first video
/// stream from `-f framecrc`, in milliseconds.
pub fn video_pts_ms_with(ffmpeg: &Path, input: &str) -> Vec<i64> {
    let out = Command::new(ffmpeg)
        .args(["-v", "error", "-i", input, "-map", "0:v:0", "-c", "copy"])
        .args(["-copyts", "-f", "framecrc", "-"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{} framecrc {input}: {}",
        ffmpeg.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    // "#tb 0: 1/1000" then "0,  dts,  pts, duration, size, crc".
    let tb = text
        .lines()
        .find_map(|l| l.strip_prefix("#tb 0: "))
        .map(|t| {
            let (n, d) = t.trim().split_once('/').unwrap();
            (n.parse::<i64>().unwrap(), d.parse::<i64>().unwrap())
        })
        .expect("a time base");
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| {
            let f: Vec<&str> = l.split(',').map(str::trim).collect();
            let pts: i64 = f.get(2)?.parse().ok()?;
            Some((pts * tb.0 * 1000 + tb.1 / 2).div_euclid(tb.1))
        })
        .collect()
}

fn parse_seconds(text: &str) -> Vec<i64> {
    text.lines()
        .filter_map(|l| l.trim().trim_end_matches(',').parse::<f64>().ok())
        .map(|s| (s * 1000.0).round() as i64)
        .collect()
}

/// `played` is a run of `reference` (contiguous, in order), the same
/// timestamps to the millisecond, shifted by `offset`; at least
/// `min_frames` long. Returns where in `reference` it starts.
pub fn assert_run_of(
    played: &[i64],
    reference: &[i64],
    offset: i64,
    min_frames: usize,
    what: &str,
) -> usize {
    assert!(
        played.len() >= min_frames,
        "{what}: {} frames, fewer than {min_frames}",
        played.len()
    );
    let first = played[0] - offset;
    let start = reference
        .iter()
        .enumerate()
        .filter(|(_, t)| **t == first)
        .map(|(i, _)| i)
        .find(|&i| {
            reference[i..]
                .iter()
                .zip(played)
                .all(|(r, p)| (*p - offset - *r).abs() <= 1)
        })
        .unwrap_or_else(|| {
            panic!(
                "{what}: the frame times {:?}... are no run of the source's {:?}...",
                &played[..played.len().min(12)],
                &reference[..reference.len().min(12)]
            )
        });
    assert!(
        reference.len() - start >= played.len(),
        "{what}: {} frames played, only {} in the source from there",
        played.len(),
        reference.len() - start
    );
    start
}

/// `ffmpeg -i input -f null -` (every frame decoded) succeeds without an
/// error line; returns the number of video frames decoded.
pub fn decodes(ffmpeg: &Path, input: &str) -> usize {
    let out = Command::new(ffmpeg)
        .args([
            "-v", "error", "-i", input, "-map", "0:v:0", "-f", "framemd5", "-",
        ])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() && err.trim().is_empty(),
        "decoding {input}: {err}"
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| !l.starts_with('#'))
        .count()
}

/// Connects to `addr`, trying again while nothing listens there yet (a
/// server in another process still starting); no probe connection is
/// made, so a server that accepts once (`ffmpeg -listen 1`) gets this
/// one.
pub fn connect_when_listening(addr: SocketAddr) -> TcpStream {
    let start = Instant::now();
    loop {
        match TcpStream::connect(addr) {
            Ok(s) => {
                s.set_nodelay(true).unwrap();
                return s;
            }
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionRefused => {
                assert!(start.elapsed() < HANG_GUARD, "nothing listens on {addr}");
                std::thread::sleep(Duration::from_millis(20));
            }
            Err(e) => panic!("connect {addr}: {e}"),
        }
    }
}

/// Drives a client session over a blocking TCP socket: writes what it
/// queues, reads what arrives (on a reader thread), hands each event to
/// `on_event` (which may send), until `on_event` says stop, the session
/// closes, or the socket ends.
pub fn drive_client(
    addr: SocketAddr,
    session: &mut ClientSession,
    mut on_event: impl FnMut(&mut ClientSession, ClientEvent) -> bool,
) {
    let mut socket = connect_when_listening(addr);
    let mut reader = socket.try_clone().unwrap();
    let (tx, rx) = mpsc::channel::<Vec<u8>>();
    std::thread::spawn(move || {
        let mut buf = vec![0u8; 65_536];
        while let Ok(n) = reader.read(&mut buf) {
            if n == 0 || tx.send(buf[..n].to_vec()).is_err() {
                break;
            }
        }
    });
    let start = Instant::now();
    loop {
        while let Some(b) = session.poll_transmit() {
            if socket.write_all(&b).is_err() {
                return;
            }
        }
        if session.is_closed() {
            return;
        }
        assert!(start.elapsed() < HANG_GUARD, "the RTMP client session hung");
        match rx.recv_timeout(Duration::from_millis(200)) {
            Ok(data) => {
                let now = Instant::now();
                session.handle_input(now, &data).unwrap();
                while let Some(e) = session.poll_event() {
                    if !on_event(session, e) {
                        while let Some(b) = session.poll_transmit() {
                            let _ = socket.write_all(&b);
                        }
                        let _ = socket.shutdown(std::net::Shutdown::Write);
                        return;
                    }
                }
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {}
            Err(mpsc::RecvTimeoutError::Disconnected) => return,
        }
    }
}
