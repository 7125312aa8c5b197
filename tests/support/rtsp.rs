//! What the RTSP client tests share: GStreamer's RTSP server as the judge
//! (tests/gst/rtsp_server.py), and the `rtsp_pull` example's run and
//! output.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use super::{Guard, example_binary, fixture, require, workspace_root};

/// GStreamer's RTSP server on 127.0.0.1 serving fixture `name` at
/// `rtsp://127.0.0.1:PORT/test` (Digest only, with `credentials`), on
/// `port` (0: the system's choice), and its port once it listens. Its
/// output goes to `<tag>.stdout` and `<tag>.stderr` in `dir`.
pub fn gst_rtsp_server(
    dir: &Path,
    name: &str,
    credentials: Option<(&str, &str)>,
    port: u16,
    tag: &str,
) -> (Guard, u16) {
    require("gst-launch-1.0");
    let mut cmd = Command::new("/usr/bin/python3");
    cmd.arg(workspace_root().join("tests/gst/rtsp_server.py"))
        .arg(fixture(name))
        .env("RTSP_PORT", port.to_string());
    if let Some((u, p)) = credentials {
        cmd.args([u, p]);
    }
    let mut server = Guard::spawn_logged(&mut cmd, dir, tag);
    let start = Instant::now();
    let out = dir.join(format!("{tag}.stdout"));
    loop {
        let text = std::fs::read_to_string(&out).unwrap_or_default();
        if let Some(port) = text
            .lines()
            .find_map(|l| l.strip_prefix("PORT "))
            .and_then(|p| p.trim().parse().ok())
        {
            return (server, port);
        }
        if let Some(status) = server.try_status() {
            panic!("the RTSP server exited ({status}): {}", server.stderr());
        }
        // A hang guard, not a timing claim.
        assert!(
            start.elapsed() < Duration::from_secs(120),
            "the RTSP server did not start"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// What rtsp_pull printed and how it exited.
pub struct Pulled {
    pub success: bool,
    pub stdout: String,
    pub stderr: String,
}

/// Runs the `rtsp_pull` example with `args` until it exits (a hang guard
/// of two minutes); its output in `dir` under `tag`.
pub fn pull(dir: &Path, args: &[&str], tag: &str) -> Pulled {
    let mut child = Guard::spawn_logged(
        Command::new(example_binary("rtsp_pull")).args(args),
        dir,
        tag,
    );
    let status = child.wait(Duration::from_secs(120));
    Pulled {
        success: status.success(),
        stdout: std::fs::read_to_string(dir.join(format!("{tag}.stdout"))).unwrap(),
        stderr: child.stderr(),
    }
}

/// FNV-1a 64 over `data` (as rtsp_pull prints it).
pub fn fnv(data: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in data {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

/// A plain RTSP server that only redirects: it takes one connection,
/// reads one request and answers it with a 302 to `location`. Its port,
/// and its thread (joined once the client is done).
pub fn redirector(location: String) -> (u16, std::thread::JoinHandle<()>) {
    use std::io::{BufRead, BufReader, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let thread = std::thread::spawn(move || {
        let (stream, _) = listener.accept().unwrap();
        let mut reader = BufReader::new(stream.try_clone().unwrap());
        let mut cseq = String::new();
        let mut line = String::new();
        while reader.read_line(&mut line).unwrap() > 0 && line != "\r\n" {
            if let Some(v) = line.strip_prefix("CSeq:") {
                cseq = v.trim().to_owned();
            }
            line.clear();
        }
        let mut stream = stream;
        write!(
            stream,
            "RTSP/1.0 302 Moved Temporarily\r\nCSeq: {cseq}\r\nLocation: {location}\r\n\r\n"
        )
        .unwrap();
    });
    (port, thread)
}
