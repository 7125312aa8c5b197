//! examples/serve's RTSP over HTTP (the QuickTime tunnel) on its HTTP
//! port, judged by real clients: the built example binary is started on
//! 127.0.0.1 port 0, and then
//!
//! - ffmpeg (`-rtsp_transport http`) plays `rtsp://HTTPADDR/vod/NAME` and
//!   decodes exactly the fixture's frames, the video frames' checksums
//!   equal to those of the file itself;
//! - GStreamer (`rtspsrc location=rtsph://HTTPADDR/vod/NAME`) decodes
//!   every video and audio frame;
//! - a plain client whose POST body holds more than the 32767 bytes its
//!   `Content-Length` announces, each request encoded on its own with its
//!   own padding, cut at odd places and broken by line ends, gets every
//!   answer in order on its GET, then a DESCRIBE's SDP;
//! - a POST with no GET waiting is refused (404), a second GET with a
//!   cookie that waits already (409), a GET past the 64 waiting (503), a
//!   cookie over the bound (400), and a GET whose POST never comes is
//!   closed after the wait, while plain HTTP on the same port goes on;
//! - a POST body that is not base64 ends its session: the GET closes
//!   after the answers to the requests before it.
//!
//! The only time bounds are hang guards a loaded machine does not reach.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may fail loudly
#![allow(clippy::disallowed_methods)] // measures that a wait is not cut short

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::Command;
use std::time::{Duration, Instant};

use bytes::BytesMut;
use streamkit::rtsp::message::{Frame, Message, MessageReader, ReaderConfig};
use streamkit::rtsp::tunnel::{encode_base64, write_get_request, write_post_request};

#[path = "serve_support/framecrc.rs"]
mod framecrc;
#[path = "serve_support/server.rs"]
mod server;
use framecrc::{count, framecrc, video_crcs};
use server::Server;

/// From tests/fixtures/manifest.tsv: h264_aac.mp4.
const VIDEO_FRAMES: usize = 300;
const AUDIO_FRAMES: usize = 432;
const FIXTURE: &str = "tests/fixtures/h264_aac.mp4";

/// A hang guard on every socket read.
const GUARD: Duration = Duration::from_secs(60);

fn start() -> Server {
    Server::start_with(&[FIXTURE])
}

#[test]
fn ffmpeg_plays_vod_through_the_http_tunnel_to_the_source_frames() {
    let server = start();
    let (source, _) = framecrc(&[], FIXTURE, &[]);
    let url = format!("rtsp://{}/vod/h264_aac", server.addr);
    let (frames, stderr) = framecrc(&["-rtsp_transport", "http"], &url, &[]);
    assert_eq!(stderr, "");
    assert_eq!(count(&frames, 0), VIDEO_FRAMES);
    assert_eq!(count(&frames, 1), AUDIO_FRAMES);
    assert_eq!(video_crcs(&frames), video_crcs(&source));
}

#[test]
fn gstreamer_plays_vod_over_rtsph_to_every_frame() {
    let server = start();
    let url = format!("rtsph://{}/vod/h264_aac", server.addr);
    let out = Command::new("/usr/bin/python3")
        .arg("tests/serve_support/gst_count.py")
        .args([&url, "tcp"])
        .output()
        .expect("run GStreamer");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout} {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        stdout.trim(),
        format!("video={VIDEO_FRAMES} audio={AUDIO_FRAMES}")
    );
}

/// Connects to `server`'s HTTP port with a read hang guard.
fn connect(server: &Server) -> TcpStream {
    let s = TcpStream::connect(server.addr).unwrap();
    s.set_read_timeout(Some(GUARD)).unwrap();
    s
}

/// Reads an HTTP response head from `s`; returns it and the bytes after.
fn read_head(s: &mut TcpStream) -> (String, Vec<u8>) {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8(buf[..end + 4].to_vec()).unwrap();
            return (head, buf[end + 4..].to_vec());
        }
        let n = s.read(&mut chunk).unwrap();
        assert!(n > 0, "closed before the head: {buf:?}");
        buf.extend_from_slice(&chunk[..n]);
    }
}

/// Opens a tunnel's GET for `cookie`; returns its connection and what
/// came after the answer head.
fn open_get(server: &Server, cookie: &str) -> (TcpStream, Vec<u8>) {
    let mut get = connect(server);
    let mut head = BytesMut::new();
    write_get_request(&mut head, "/vod/h264_aac", &server.addr.to_string(), cookie).unwrap();
    get.write_all(&head).unwrap();
    let (answer, rest) = read_head(&mut get);
    assert!(answer.starts_with("HTTP/1.0 200 OK\r\n"), "{answer}");
    assert!(
        answer.contains("\r\nContent-Type: application/x-rtsp-tunnelled\r\n"),
        "{answer}"
    );
    assert!(
        !answer.to_ascii_lowercase().contains("content-length"),
        "{answer}"
    );
    (get, rest)
}

#[test]
fn a_long_post_body_of_separately_padded_requests_is_answered_in_order() {
    let server = start();
    let cookie = "rawTunnel0001";
    let (mut get, rest) = open_get(&server, cookie);
    let mut post = connect(&server);
    let mut head = BytesMut::new();
    write_post_request(&mut head, "/vod/h264_aac", &server.addr.to_string(), cookie).unwrap();
    let url = format!("rtsp://{}/vod/h264_aac", server.addr);
    // Each request on its own, with its own padding; a line end after
    // every third (whitespace is skipped).
    const OPTIONS: u32 = 600;
    let mut body = BytesMut::new();
    for cseq in 1..=OPTIONS {
        let request = format!("OPTIONS {url} RTSP/1.0\r\nCSeq: {cseq}\r\n\r\n");
        encode_base64(request.as_bytes(), &mut body);
        if cseq % 3 == 0 {
            body.extend_from_slice(b"\r\n");
        }
    }
    let describe = format!(
        "DESCRIBE {url} RTSP/1.0\r\nCSeq: {}\r\nAccept: application/sdp\r\n\r\n",
        OPTIONS + 1
    );
    encode_base64(describe.as_bytes(), &mut body);
    assert!(body.len() > 32_767, "past the announced length");
    // The head and the start of the body in one write, then cuts that
    // fall inside groups and inside padding.
    let first = 5;
    let mut start = head.to_vec();
    start.extend_from_slice(&body[..first]);
    post.write_all(&start).unwrap();
    let mut at = first;
    let mut step = 1;
    while at < body.len() {
        let end = (at + step).min(body.len());
        post.write_all(&body[at..end]).unwrap();
        at = end;
        step = step * 7 % 1999 + 1;
    }
    // Every answer, in order, on the GET.
    let mut reader = MessageReader::new(ReaderConfig::default());
    reader.push(&rest);
    let mut chunk = vec![0u8; 65_536];
    let mut next = 1;
    while next <= OPTIONS + 1 {
        let frame = match reader.poll_frame().unwrap() {
            Some(f) => f,
            None => {
                let n = get.read(&mut chunk).unwrap();
                assert!(n > 0, "the GET closed before answer {next}");
                reader.push(&chunk[..n]);
                continue;
            }
        };
        let Frame::Message(Message::Response(r)) = frame else {
            panic!("not a response: {frame:?}");
        };
        assert_eq!((r.status, r.cseq()), (200, Some(next)), "{r:?}");
        if next == OPTIONS + 1 {
            assert_eq!(r.headers.get("Content-Type"), Some("application/sdp"));
            let sdp = String::from_utf8_lossy(&r.body);
            assert!(sdp.contains("m=video") && sdp.contains("m=audio"), "{sdp}");
        } else {
            assert!(
                r.headers.get("Public").unwrap().contains("DESCRIBE"),
                "{r:?}"
            );
        }
        next += 1;
    }
}

#[test]
fn stray_posts_duplicate_and_bad_cookies_are_refused_and_a_lone_get_times_out() {
    let server = start();
    let host = server.addr.to_string();
    // A POST whose GET never came.
    let mut head = BytesMut::new();
    write_post_request(&mut head, "/vod/h264_aac", &host, "nobodyWaits").unwrap();
    let (status, body) = server.raw(&head);
    assert_eq!(status, 404, "{}", String::from_utf8_lossy(&body));
    // A GET waiting for its POST, and a second one with its cookie.
    let waited = Instant::now();
    let (mut lone, rest) = open_get(&server, "waiting1");
    assert!(rest.is_empty());
    let mut head = BytesMut::new();
    write_get_request(&mut head, "/vod/h264_aac", &host, "waiting1").unwrap();
    let (status, _) = server.raw(&head);
    assert_eq!(status, 409);
    // The waiting GETs' bound: 64 at once, this one among them.
    let mut held = Vec::new();
    for n in 1..64 {
        held.push(open_get(&server, &format!("held{n}")).0);
    }
    let mut head = BytesMut::new();
    write_get_request(&mut head, "/vod/h264_aac", &host, "oneTooMany").unwrap();
    let (status, _) = server.raw(&head);
    assert_eq!(status, 503);
    // A cookie over the bound.
    let long = "k".repeat(200);
    let request = format!(
        "GET /vod/h264_aac HTTP/1.0\r\nx-sessioncookie: {long}\r\nAccept: application/x-rtsp-tunnelled\r\n\r\n"
    );
    let (status, body) = server.raw(request.as_bytes());
    assert_eq!(status, 400);
    assert!(String::from_utf8_lossy(&body).contains("x-sessioncookie"));
    // Plain HTTP on the same port is untouched.
    assert_eq!(server.get("/vod/h264_aac/master.m3u8").0, 200);
    // The lone GET is closed once its POST's wait (15 s) is over, not
    // before; nothing came on it.
    let mut after = Vec::new();
    lone.read_to_end(&mut after).unwrap();
    assert!(after.is_empty());
    assert!(
        waited.elapsed() >= Duration::from_secs(15),
        "{:?}",
        waited.elapsed()
    );
}

#[test]
fn a_post_body_that_is_not_base64_ends_the_session() {
    let server = start();
    let cookie = "brokenBody";
    let (mut get, rest) = open_get(&server, cookie);
    let mut post = connect(&server);
    let mut head = BytesMut::new();
    write_post_request(&mut head, "/vod/h264_aac", &server.addr.to_string(), cookie).unwrap();
    let request = format!(
        "OPTIONS rtsp://{}/vod/h264_aac RTSP/1.0\r\nCSeq: 1\r\n\r\n",
        server.addr
    );
    encode_base64(request.as_bytes(), &mut head);
    head.extend_from_slice(b"not*base64");
    post.write_all(&head).unwrap();
    // The answer to the request before the break, then the end.
    let mut all = rest;
    get.read_to_end(&mut all).unwrap();
    let mut reader = MessageReader::new(ReaderConfig::default());
    reader.push(&all);
    let Some(Frame::Message(Message::Response(r))) = reader.poll_frame().unwrap() else {
        panic!("an answer: {:?}", String::from_utf8_lossy(&all));
    };
    assert_eq!((r.status, r.cseq()), (200, Some(1)));
    assert_eq!(reader.poll_frame().unwrap(), None, "nothing after it");
}
