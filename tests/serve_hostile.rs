//! examples/serve against clients that misbehave, with a normal client
//! beside them:
//!
//! - clients that ask for large responses and never read are dropped once
//!   they have taken no byte for the send timeout, and the normal client is
//!   answered meanwhile;
//! - 256 such clients (every slot of the default `--max-connections`) with
//!   a send timeout longer than the test's hang guard: the reserved slots
//!   are never theirs, so the normal client is answered anyway, and exactly
//!   the connections over the stalled share are dropped;
//! - a storm of 404s (as ffmpeg's LL-DASH reader made one) writes a
//!   bounded log: the first in full, the rest in one summary line per
//!   window; a request that succeeds writes no line at the default level;
//! - `--bind localhost:0` resolves the name and serves.
//!
//! No assertion bounds a time: each waits for an outcome, under a generous
//! hang guard.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may fail loudly
#![allow(clippy::disallowed_methods)] // tests measure real time

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::Command;
use std::time::{Duration, Instant};

#[path = "serve_support/server.rs"]
mod server;
use server::{Server, parse_response, serve_binary};

/// The segment the misbehaving clients ask for, again and again.
const SEGMENT: &str = "/vod/h264_aac/ts/main/seg-0.ts";
/// Requests each misbehaving client sends in one go (HTTP/1.1
/// pipelining): far more than socket buffers hold.
const PIPELINED: usize = 48;

/// A client that asks for [`SEGMENT`] [`PIPELINED`] times and never reads:
/// its receive buffer is made as small as the system allows, so the
/// server's writes stall at once instead of filling kernel buffers.
fn client_that_never_reads(runtime: &tokio::runtime::Runtime, addr: SocketAddr) -> TcpStream {
    let stream = runtime.block_on(async {
        let socket = tokio::net::TcpSocket::new_v4().unwrap();
        socket.set_recv_buffer_size(4096).unwrap();
        let stream = socket.connect(addr).await.expect("connect");
        stream.into_std().unwrap()
    });
    stream.set_nonblocking(false).unwrap();
    let request = format!("GET {SEGMENT} HTTP/1.1\r\nHost: x\r\n\r\n").repeat(PIPELINED);
    (&stream).write_all(request.as_bytes()).expect("send");
    stream
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .build()
        .unwrap()
}

/// A normal client: one GET, read to the end (a hang guard of `guard`).
fn normal_get(addr: SocketAddr, target: &str, guard: Duration) -> (u16, Vec<u8>) {
    let mut s = TcpStream::connect(addr).expect("connect");
    s.set_read_timeout(Some(guard)).unwrap();
    let request = format!("GET {target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    s.write_all(request.as_bytes()).unwrap();
    let mut response = Vec::new();
    s.read_to_end(&mut response)
        .unwrap_or_else(|e| panic!("{target}: no answer within the hang guard {guard:?}: {e}"));
    parse_response(&response)
}

fn count(lines: &[String], needle: &str) -> usize {
    lines.iter().filter(|l| l.contains(needle)).count()
}

#[test]
fn clients_that_never_read_are_dropped_after_the_send_timeout() {
    let server = Server::start_logged(&["--send-timeout", "2", "--log", "debug"]);
    let log = server.log.clone().unwrap();
    let (status, segment) = normal_get(server.addr, SEGMENT, Duration::from_secs(60));
    assert_eq!(status, 200);
    let runtime = runtime();
    let stalled: Vec<TcpStream> = (0..4)
        .map(|_| client_that_never_reads(&runtime, server.addr))
        .collect();
    // A normal client beside them is answered, with the same bytes.
    let (status, body) = normal_get(server.addr, SEGMENT, Duration::from_secs(60));
    assert_eq!(status, 200);
    assert_eq!(body, segment);
    // Each is dropped once it has taken no byte for 2 s.
    log.wait_for(Duration::from_secs(120), "four send timeouts", |lines| {
        count(lines, "(send timeout)") >= 4
    });
    let lines = log.lines();
    assert_eq!(count(&lines, "(send timeout)"), 4, "{lines:#?}");
    assert_eq!(count(&lines, "keep slots for new clients"), 0);
    // The first is told at info, the others (repeats) only at debug.
    let info = lines
        .iter()
        .filter(|l| l.contains(" INFO ") && l.contains("(send timeout)"))
        .count();
    assert_eq!(info, 1, "{lines:#?}");
    // Their answers were cut short: what the socket buffers held, then
    // the end of the connection, well before all of them.
    let whole = PIPELINED * segment.len();
    for mut s in stalled {
        s.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
        let mut got = Vec::new();
        // A reset (ECONNRESET) is as good an end as a FIN here.
        let _ = s.read_to_end(&mut got);
        assert!(
            got.len() < whole,
            "a dropped client got {} of {whole} bytes",
            got.len()
        );
    }
}

#[test]
fn clients_that_never_read_never_take_the_reserved_slots() {
    // Every slot of the default 256 taken by a client that never reads,
    // and a send timeout far beyond the hang guard: only the reserve can
    // let the normal client in.
    let server = Server::start_logged(&["--send-timeout", "600", "--log", "debug"]);
    let log = server.log.clone().unwrap();
    let (status, segment) = normal_get(server.addr, SEGMENT, Duration::from_secs(60));
    assert_eq!(status, 200);
    let runtime = runtime();
    let stalled: Vec<TcpStream> = (0..256)
        .map(|_| client_that_never_reads(&runtime, server.addr))
        .collect();
    let (status, body) = normal_get(server.addr, SEGMENT, Duration::from_secs(120));
    assert_eq!(status, 200, "the normal client beside 256 stalled ones");
    assert_eq!(body, segment);
    // The stalled share is 256 - 32 (the default reserve is an eighth):
    // the 32 stalled connections over it were dropped, no other.
    log.wait_for(Duration::from_secs(60), "32 drops", |lines| {
        count(lines, "keep slots for new clients") >= 32
    });
    let lines = log.lines();
    assert_eq!(count(&lines, "keep slots for new clients"), 32);
    assert_eq!(count(&lines, "(send timeout)"), 0);
    drop(stalled);
}

#[test]
fn a_404_storm_writes_a_bounded_log() {
    let server = Server::start_logged(&[]);
    let log = server.log.clone().unwrap();
    let started = Instant::now();
    // A request that succeeds: no line at the default level.
    assert_eq!(server.get("/vod/h264_aac/master.m3u8").0, 200);
    // 2,000 requests for segments that will never exist, on one
    // keep-alive connection, as fast as the server answers.
    const STORM: usize = 2_000;
    let mut s = TcpStream::connect(server.addr).unwrap();
    s.set_nodelay(true).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
    let mut pending = Vec::new();
    let mut buf = vec![0u8; 16 * 1024];
    for i in 0..STORM {
        // One write per request (write! would make several, and Nagle's
        // algorithm would hold all but the first for the server's ACK).
        let request = format!(
            "GET /live/h264_aac/video/seg-{}.m4s HTTP/1.1\r\nHost: x\r\n\r\n",
            1_000_000 + i
        );
        s.write_all(request.as_bytes()).unwrap();
        // Each 404 has an empty body: read until its head is complete.
        loop {
            if let Some(end) = pending.windows(4).position(|w| w == b"\r\n\r\n") {
                let head = String::from_utf8_lossy(&pending[..end]).to_string();
                assert!(head.starts_with("HTTP/1.1 404"), "{head}");
                pending.drain(..end + 4);
                break;
            }
            let n = s.read(&mut buf).expect("an answer");
            assert!(n > 0, "closed after {i} requests");
            pending.extend_from_slice(&buf[..n]);
        }
    }
    drop(s);
    // Stop the server: it tells what it counted and not yet told.
    let pid = server.child.id().to_string();
    assert!(
        Command::new("kill")
            .args(["-INT", &pid])
            .status()
            .unwrap()
            .success()
    );
    log.wait_for(Duration::from_secs(60), "the server stopping", |lines| {
        count(lines, "stopped") > 0
    });
    let elapsed = started.elapsed();
    let lines = log.lines();
    // Every 404 is accounted for: logged in full, or counted in a summary.
    let full = lines
        .iter()
        .filter(|l| l.contains("request") && l.contains("status=404"))
        .count();
    let summarised: usize = lines
        .iter()
        .filter(|l| l.contains("more 404s for /live/h264_aac/video/"))
        .map(|l| {
            let at = l.find(" more 404s").unwrap();
            let number = l[..at].rsplit(' ').next().unwrap();
            number.parse::<usize>().unwrap()
        })
        .sum();
    assert_eq!(full + summarised, STORM, "{lines:#?}");
    // At most one full line and one summary per window of 10 s (however
    // long the storm took on this machine), and no line for the 200.
    let windows = elapsed.as_secs() as usize / 10 + 1;
    // (Not every line with "404" in it: a timestamp may hold those digits.)
    let about_404 = lines
        .iter()
        .filter(|l| l.contains("status=404") || l.contains(" more 404s "))
        .count();
    assert!(
        about_404 <= 2 * windows,
        "{about_404} lines about 404s in {elapsed:?}: {lines:#?}"
    );
    assert_eq!(count(&lines, "master.m3u8"), 0, "{lines:#?}");
}

#[test]
fn bind_resolves_a_name() {
    let server = Server::start_with(&["--bind", "localhost:0"]);
    assert!(server.addr.ip().is_loopback(), "{}", server.addr);
    assert_eq!(server.get("/vod/h264_aac/master.m3u8").0, 200);
    // Without a port, or with a name that does not resolve: a one-line
    // reason naming the option, and a failure.
    for bad in ["localhost", "no-such-host.invalid:8080"] {
        let out = Command::new(serve_binary())
            .args(["--bind", bad])
            .output()
            .unwrap();
        assert!(!out.status.success(), "--bind {bad}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr
                .lines()
                .any(|l| l.starts_with(&format!("serve: --bind {bad}: "))),
            "--bind {bad}: {stderr}"
        );
    }
}
