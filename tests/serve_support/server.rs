//! Starts examples/serve (the binary `cargo test` builds beside the tests,
//! in target/<profile>/examples/) on 127.0.0.1:0, reads back the URLs it
//! prints, and speaks just enough HTTP/1.1 to test it; the server is
//! killed when the [`Server`] is dropped.
#![allow(dead_code)] // each test file uses its own part
#![allow(clippy::disallowed_methods)] // a hang guard reads the clock

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

pub(crate) const HEADER_TIMEOUT_SECS: u64 = 2;

pub(crate) struct Server {
    pub(crate) child: Child,
    pub(crate) addr: SocketAddr,
    pub(crate) urls: Vec<String>,
    /// Every line serve printed before "press Ctrl-C".
    pub(crate) lines: Vec<String>,
    /// `rtsp://ADDR` (no slash) where RTSP listens.
    pub(crate) rtsp: String,
    /// `rtsps://ADDR` (no slash) where RTSPS listens, when it does.
    pub(crate) rtsps: Option<String>,
    /// What serve wrote on stderr, when started with [`Server::start_logged`].
    pub(crate) log: Option<Log>,
}

/// The lines a process writes on stderr, as they come.
#[derive(Clone, Default)]
pub(crate) struct Log {
    lines: Arc<(Mutex<Vec<String>>, Condvar)>,
}

impl Log {
    /// Reads `stderr` into the log until it closes.
    pub(crate) fn capture(stderr: impl Read + Send + 'static) -> Log {
        let log = Log::default();
        let lines = log.lines.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                let (store, changed) = &*lines;
                store.lock().unwrap().push(line);
                changed.notify_all();
            }
        });
        log
    }

    /// Every line so far.
    pub(crate) fn lines(&self) -> Vec<String> {
        self.lines.0.lock().unwrap().clone()
    }

    /// Waits until `done` holds for the lines so far; panics after `guard`
    /// (a hang guard, not a timing claim).
    pub(crate) fn wait_for(&self, guard: Duration, what: &str, done: impl Fn(&[String]) -> bool) {
        let deadline = Instant::now() + guard;
        let (store, changed) = &*self.lines;
        let mut lines = store.lock().unwrap();
        while !done(&lines) {
            let left = deadline.saturating_duration_since(Instant::now());
            assert!(
                !left.is_zero(),
                "{what}: not seen in {guard:?}; the log:\n{}",
                lines.join("\n")
            );
            lines = changed.wait_timeout(lines, left).unwrap().0;
        }
    }
}

/// The examples/serve binary built beside the tests.
pub(crate) fn serve_binary() -> PathBuf {
    let exe = std::env::current_exe().expect("test executable path");
    let dir = exe
        .parent()
        .and_then(Path::parent)
        .expect("target/<profile>");
    let bin = dir
        .join("examples")
        .join(format!("serve{}", std::env::consts::EXE_SUFFIX));
    assert!(
        bin.exists(),
        "{} is missing: build the examples first (cargo build --examples)",
        bin.display()
    );
    bin
}

impl Server {
    pub(crate) fn start() -> Server {
        Server::start_with(&[])
    }

    pub(crate) fn start_with(extra: &[&str]) -> Server {
        Server::spawn(extra, false)
    }

    /// Started with `extra`, its stderr kept in [`Server::log`].
    pub(crate) fn start_logged(extra: &[&str]) -> Server {
        Server::spawn(extra, true)
    }

    fn spawn(extra: &[&str], logged: bool) -> Server {
        let mut command = Command::new(serve_binary());
        // A later --bind in `extra` wins.
        command
            .args(["--bind", "127.0.0.1:0", "--rtsp-bind", "127.0.0.1:0"])
            .args(["--rtmp-bind", "127.0.0.1:0"])
            .arg("--header-timeout")
            .arg(HEADER_TIMEOUT_SECS.to_string())
            .args(extra)
            .env_remove("RUST_LOG")
            .stdout(Stdio::piped())
            .stderr(if logged {
                Stdio::piped()
            } else {
                Stdio::null()
            });
        let mut child = command.spawn().expect("start serve");
        let log = logged.then(|| Log::capture(child.stderr.take().expect("stderr")));
        let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
        let mut urls = Vec::new();
        let mut addr = None;
        let mut printed = Vec::new();
        let mut rtsp = None;
        let mut rtsps = None;
        for line in lines.by_ref() {
            let line = line.expect("serve's stdout");
            printed.push(line.clone());
            if let Some(rest) = line.strip_prefix("serve: listening on http://") {
                addr = Some(rest.trim_end_matches('/').parse().expect("bound address"));
                continue;
            }
            if let Some(rest) = line.strip_prefix("serve: rtsp on ") {
                rtsp = Some(rest.trim_end_matches('/').to_owned());
                continue;
            }
            if let Some(rest) = line.strip_prefix("serve: rtsps on ") {
                rtsps = Some(rest.trim_end_matches('/').to_owned());
                continue;
            }
            urls.extend(
                line.split_whitespace()
                    .filter(|w| w.starts_with("http://"))
                    .map(str::to_owned),
            );
            if line.starts_with("press Ctrl-C") {
                break;
            }
        }
        // Keep reading stdout so the server never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines {});
        Server {
            child,
            addr: addr.unwrap_or_else(|| match &log {
                Some(log) => panic!(
                    "serve printed no address; stderr:\n{}",
                    log.lines().join("\n")
                ),
                None => panic!("serve printed no address"),
            }),
            urls,
            lines: printed,
            rtsp: rtsp.expect("serve printed its RTSP address"),
            rtsps,
            log,
        }
    }

    pub(crate) fn raw(&self, request: &[u8]) -> (u16, Vec<u8>) {
        raw(self.addr, request)
    }

    pub(crate) fn get(&self, target: &str) -> (u16, Vec<u8>) {
        get(self.addr, target)
    }
}

/// Sends `request` as is, returns (status, body), reading to the end.
pub(crate) fn raw(addr: SocketAddr, request: &[u8]) -> (u16, Vec<u8>) {
    let mut stream = TcpStream::connect(addr).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    stream.write_all(request).expect("send");
    let mut response = Vec::new();
    stream.read_to_end(&mut response).expect("response");
    parse_response(&response)
}

pub(crate) fn get(addr: SocketAddr, target: &str) -> (u16, Vec<u8>) {
    raw(
        addr,
        format!("GET {target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").as_bytes(),
    )
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub(crate) fn parse_response(response: &[u8]) -> (u16, Vec<u8>) {
    let head_end = response
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or_else(|| {
            panic!(
                "no response head in {:?}",
                String::from_utf8_lossy(response)
            )
        });
    let head = std::str::from_utf8(&response[..head_end]).expect("ASCII head");
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .expect("status code");
    (status, response[head_end + 4..].to_vec())
}
