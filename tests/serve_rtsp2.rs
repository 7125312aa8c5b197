//! examples/serve over RTSP 2.0 (RFC 7826), with real clients:
//!
//! - GStreamer (rtspsrc with `default-rtsp-version=2-0`, decodebin)
//!   plays `rtsp://ADDR/vod/NAME` over TCP and over UDP and decodes every
//!   video and audio frame; a small TCP proxy between it and serve keeps
//!   both directions, and every request and every answer on it is
//!   `RTSP/2.0` (the SETUPs pipelined, the answers with 2.0's
//!   Media-Properties and RTP-Info, the end of the file told by
//!   PLAY_NOTIFY);
//! - GStreamer plays `rtsp://ADDR/live/NAME` as 2.0 with no error until it
//!   decoded 30 video and 30 audio frames;
//! - a plain 2.0 client sees the negotiation itself: 505 for RTSP/1.1,
//!   OPTIONS without ANNOUNCE and RECORD, 501 for them, pipelined SETUPs
//!   in one session, `dest_addr` UDP answered with `src_addr`, the PLAY
//!   answer's RTP-Info SSRC and seq those of the first packets, and
//!   PLAY_NOTIFY end-of-stream after the last one, all `RTSP/2.0`;
//! - a PLAY from 3.5 s starts at the keyframe at 2 s by Seek-Style RAP
//!   (the default, and what First-Prior gets) and at 4 s by Next.
//!
//! Nothing here has an upper time bound: each client runs until it ends.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may fail loudly

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::Command;
use std::sync::{Arc, Mutex};

use bytes::{Bytes, BytesMut};
use streamkit::rtsp::header::{MediaProperties, RtpInfoHeader, SessionHeader, Transport};
use streamkit::rtsp::message::{
    Frame, Message, MessageReader, Method, ReaderConfig, Request, Response, Version,
};

#[path = "serve_support/server.rs"]
mod server;
use server::Server;

/// From tests/fixtures/manifest.tsv: h264_aac.mp4.
const VIDEO_FRAMES: usize = 300;
const AUDIO_FRAMES: usize = 432;
const FIXTURE: &str = "tests/fixtures/h264_aac.mp4";
/// rtspsrc's GstRTSPVersion value of RTSP 2.0.
const GST_RTSP_2_0: &str = "32";
/// The fixture's longest track (audio: 10.02322 s), the presentation's
/// npt end.
const NPT: &str = "npt=0-10.02322";

/// A TCP proxy in front of `target` that keeps what each direction
/// carried, over every connection it accepted.
struct Proxy {
    addr: std::net::SocketAddr,
    to_server: Arc<Mutex<Vec<u8>>>,
    to_client: Arc<Mutex<Vec<u8>>>,
}

fn pump(mut from: TcpStream, mut to: TcpStream, log: Arc<Mutex<Vec<u8>>>) {
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = match from.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        log.lock().unwrap().extend_from_slice(&buf[..n]);
        if to.write_all(&buf[..n]).is_err() {
            break;
        }
    }
    let _ = to.shutdown(std::net::Shutdown::Write);
}

impl Proxy {
    fn start(target: &str) -> Proxy {
        let target = target.trim_start_matches("rtsp://").to_owned();
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let to_server = Arc::new(Mutex::new(Vec::new()));
        let to_client = Arc::new(Mutex::new(Vec::new()));
        let (a, b) = (to_server.clone(), to_client.clone());
        std::thread::spawn(move || {
            for client in listener.incoming() {
                let Ok(client) = client else { break };
                let upstream = TcpStream::connect(&target).unwrap();
                let (c2, u2) = (client.try_clone().unwrap(), upstream.try_clone().unwrap());
                let (a, b) = (a.clone(), b.clone());
                std::thread::spawn(move || pump(client, upstream, a));
                std::thread::spawn(move || pump(u2, c2, b));
            }
        });
        Proxy {
            addr,
            to_server,
            to_client,
        }
    }

    /// The messages one direction carried (interleaved frames skipped).
    fn messages(log: &Arc<Mutex<Vec<u8>>>) -> Vec<Message> {
        let mut reader = MessageReader::new(ReaderConfig::default());
        reader.push(&log.lock().unwrap());
        let mut out = Vec::new();
        while let Some(frame) = reader.poll_frame().unwrap() {
            if let Frame::Message(m) = frame {
                out.push(m);
            }
        }
        out
    }
}

fn version(m: &Message) -> Version {
    match m {
        Message::Request(r) => r.version,
        Message::Response(r) => r.version,
    }
}

/// Runs tests/serve_support/gst_count.py on `url` over `transport` as
/// RTSP 2.0; its stdout (`video=N audio=M`).
fn gst_count(url: &str, transport: &str, stop_after: Option<usize>) -> String {
    let mut cmd = Command::new("/usr/bin/python3");
    cmd.arg("tests/serve_support/gst_count.py")
        .args([url, transport])
        .env("RTSP_VERSION", GST_RTSP_2_0);
    if let Some(n) = stop_after {
        cmd.env("STOP_AFTER_FRAMES", n.to_string());
    }
    let out = cmd.output().expect("run GStreamer");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{transport}: {stdout} {}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout.trim().to_owned()
}

/// Checks that every request of the client and everything the server
/// sent on the proxy was RTSP 2.0, and gives what each side sent. (The
/// client's own answer to a PLAY_NOTIFY is not checked: rtspsrc builds
/// it as `RTSP/1.0 200 OK` whatever the request's version.)
fn all_2_0(proxy: &Proxy, what: &str) -> (Vec<Message>, Vec<Message>) {
    let requests = Proxy::messages(&proxy.to_server);
    let answers = Proxy::messages(&proxy.to_client);
    assert!(requests.len() >= 5, "{what}: {requests:?}");
    assert!(answers.len() >= 5, "{what}: {answers:?}");
    for m in &requests {
        if let Message::Request(r) = m {
            assert_eq!(r.version, Version::Rtsp20, "{what}: {m:?}");
        }
    }
    for m in &answers {
        assert_eq!(version(m), Version::Rtsp20, "{what}: {m:?}");
    }
    (requests, answers)
}

/// The answers to the client's requests of `method`, by CSeq.
fn answers_to<'a>(
    requests: &'a [Message],
    answers: &'a [Message],
    method: Method,
) -> Vec<&'a Response> {
    let cseqs: Vec<u32> = requests
        .iter()
        .filter_map(|m| match m {
            Message::Request(r) if r.method == method => r.cseq(),
            _ => None,
        })
        .collect();
    answers
        .iter()
        .filter_map(|m| match m {
            Message::Response(r) if r.cseq().is_some_and(|c| cseqs.contains(&c)) => Some(r),
            _ => None,
        })
        .collect()
}

#[test]
fn gstreamer_plays_vod_as_rtsp2_over_tcp_and_udp_to_every_frame() {
    let server = Server::start_with(&[FIXTURE]);
    for transport in ["tcp", "udp"] {
        let proxy = Proxy::start(&server.rtsp);
        let url = format!("rtsp://{}/vod/h264_aac", proxy.addr);
        assert_eq!(
            gst_count(&url, transport, None),
            format!("video={VIDEO_FRAMES} audio={AUDIO_FRAMES}"),
            "{transport}"
        );
        let (requests, answers) = all_2_0(&proxy, transport);
        // rtspsrc pipelines its 2.0 SETUPs: none waits for the session id.
        let setup_requests: Vec<&Request> = requests
            .iter()
            .filter_map(|m| match m {
                Message::Request(r) if r.method == Method::Setup => Some(r),
                _ => None,
            })
            .collect();
        assert_eq!(setup_requests.len(), 2, "{transport}");
        for r in &setup_requests {
            assert!(
                r.headers.contains("pipelined-requests"),
                "{transport}: {r:?}"
            );
            assert!(!r.headers.contains("session"), "{transport}: {r:?}");
        }
        let setups = answers_to(&requests, &answers, Method::Setup);
        assert_eq!(setups.len(), 2, "{transport}: {answers:?}");
        let mut sessions = Vec::new();
        for r in &setups {
            assert_eq!(r.status, 200, "{transport}: {r:?}");
            assert_eq!(
                r.headers.get("media-properties"),
                Some("Random-Access, Immutable, Unlimited"),
                "{transport}"
            );
            assert_eq!(r.headers.get("accept-ranges"), Some("npt"), "{transport}");
            let t = Transport::parse(r.headers.get("transport").unwrap()).unwrap();
            if transport == "udp" {
                // Asked with 1.0's client_port, answered both ways.
                assert_eq!(t.specs[0].dest_addr.len(), 2, "{transport}: {t:?}");
                assert_eq!(t.specs[0].src_addr.len(), 2, "{transport}: {t:?}");
                assert!(t.specs[0].client_port.is_some() && t.specs[0].server_port.is_some());
            }
            sessions.push(
                SessionHeader::parse(r.headers.get("session").unwrap())
                    .unwrap()
                    .id,
            );
        }
        assert_eq!(sessions[0], sessions[1], "{transport}: one session");
        let plays = answers_to(&requests, &answers, Method::Play);
        assert_eq!(plays.len(), 1, "{transport}");
        let info = plays[0].headers.get("rtp-info").unwrap();
        assert!(info.starts_with("url=\""), "{transport}: {info}");
        let info = RtpInfoHeader::parse(info).unwrap();
        assert_eq!(info.entries.len(), 2, "{transport}");
        assert!(
            info.entries
                .iter()
                .all(|e| e.ssrc.is_some() && e.seq.is_some())
        );
        // The end of the file, told before the client left.
        let notify: Vec<&Request> = answers
            .iter()
            .filter_map(|m| match m {
                Message::Request(r) if r.method == Method::PlayNotify => Some(r),
                _ => None,
            })
            .collect();
        assert_eq!(notify.len(), 1, "{transport}: {answers:?}");
        assert_eq!(
            notify[0].headers.get("notify-reason"),
            Some("end-of-stream")
        );
    }
}

#[test]
fn gstreamer_plays_the_live_channel_as_rtsp2() {
    let server = Server::start_with(&[FIXTURE]);
    for transport in ["tcp", "udp"] {
        let proxy = Proxy::start(&server.rtsp);
        let url = format!("rtsp://{}/live/h264_aac", proxy.addr);
        let counts = gst_count(&url, transport, Some(30));
        let (v, a) = counts
            .strip_prefix("video=")
            .and_then(|r| r.split_once(" audio="))
            .unwrap_or_else(|| panic!("{counts}"));
        let (v, a): (usize, usize) = (v.parse().unwrap(), a.parse().unwrap());
        assert!(v >= 30 && a >= 30, "{transport}: {counts}");
        let (requests, answers) = all_2_0(&proxy, transport);
        for r in answers_to(&requests, &answers, Method::Setup) {
            assert_eq!(r.status, 200, "{transport}: {r:?}");
            let p = MediaProperties::parse(r.headers.get("media-properties").unwrap()).unwrap();
            assert_eq!(p, MediaProperties::live(), "{transport}");
        }
        let plays = answers_to(&requests, &answers, Method::Play);
        assert_eq!(plays.len(), 1, "{transport}");
        assert_eq!(plays[0].status, 200);
        assert_eq!(plays[0].headers.get("range"), Some("npt=now-"));
    }
}

/// A plain RTSP client on one TCP connection, speaking `version`.
struct RawClient {
    stream: TcpStream,
    reader: MessageReader,
    cseq: u32,
    session: Option<String>,
}

impl RawClient {
    fn connect(rtsp: &str) -> RawClient {
        RawClient {
            stream: TcpStream::connect(rtsp.trim_start_matches("rtsp://")).unwrap(),
            reader: MessageReader::new(ReaderConfig::default()),
            cseq: 0,
            session: None,
        }
    }

    fn next_frame(&mut self) -> Frame {
        loop {
            if let Some(f) = self.reader.poll_frame().unwrap() {
                return f;
            }
            let mut buf = [0u8; 16 * 1024];
            let n = self.stream.read(&mut buf).unwrap();
            assert!(n > 0, "serve closed the connection");
            self.reader.push(&buf[..n]);
        }
    }

    /// Sends `method` (CSeq and, unless `no_session`, Session added) and
    /// returns the answer; interleaved frames before it go to `frames`.
    fn send(
        &mut self,
        version: Version,
        method: Method,
        uri: &str,
        headers: &[(&str, &str)],
        frames: &mut Vec<(u8, Bytes)>,
    ) -> Response {
        self.cseq += 1;
        let mut r = Request::new(method, uri);
        r.version = version;
        r.headers.append("CSeq", &self.cseq.to_string());
        let pipelined = headers.iter().any(|(n, _)| *n == "Pipelined-Requests");
        if let Some(s) = &self.session
            && !pipelined
        {
            r.headers.append("Session", s);
        }
        for (n, v) in headers {
            r.headers.append(n, v);
        }
        let mut out = BytesMut::new();
        r.write_to(&mut out);
        self.stream.write_all(&out).unwrap();
        loop {
            match self.next_frame() {
                Frame::Interleaved { channel, data } => frames.push((channel, data)),
                Frame::Message(Message::Response(answer)) => {
                    assert_eq!(answer.cseq(), Some(self.cseq));
                    if let Some(s) = answer.headers.get("Session") {
                        self.session = Some(SessionHeader::parse(s).unwrap().id);
                    }
                    return answer;
                }
                Frame::Message(Message::Request(r)) => panic!("a request from serve: {r:?}"),
            }
        }
    }
}

#[test]
fn a_plain_rtsp2_client_negotiates_pipelines_and_is_told_the_end() {
    use Version::Rtsp20 as V2;
    let server = Server::start_with(&[FIXTURE]);
    let url = format!("{}/vod/h264_aac", server.rtsp);
    let mut c = RawClient::connect(&server.rtsp);
    let mut frames = Vec::new();

    // A version the server lacks: 505, in the nearest one it speaks.
    let r = c.send(
        Version::Other { major: 1, minor: 1 },
        Method::Options,
        &url,
        &[],
        &mut frames,
    );
    assert_eq!((r.version, r.status), (Version::Rtsp10, 505));

    let r = c.send(V2, Method::Options, &url, &[], &mut frames);
    assert_eq!((r.version, r.status), (V2, 200));
    assert_eq!(
        r.headers.get("public"),
        Some("OPTIONS, DESCRIBE, SETUP, PLAY, PAUSE, TEARDOWN, GET_PARAMETER, SET_PARAMETER")
    );
    assert_eq!(
        r.headers.get("supported"),
        Some("play.basic, setup.rtp.rtcp.mux")
    );
    let r = c.send(V2, Method::Announce, &url, &[], &mut frames);
    assert_eq!((r.version, r.status), (V2, 501));
    let r = c.send(
        V2,
        Method::Options,
        &url,
        &[("Require", "play.scale")],
        &mut frames,
    );
    assert_eq!(r.status, 551);
    assert_eq!(r.headers.get("unsupported"), Some("play.scale"));

    let r = c.send(V2, Method::Describe, &url, &[], &mut frames);
    assert_eq!((r.version, r.status), (V2, 200));

    // Video over UDP to the client's own address, by port only; audio
    // interleaved; both SETUPs pipelined (no Session header).
    let udp = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let port = udp.local_addr().unwrap().port();
    let transport = format!("RTP/AVP;unicast;dest_addr=\":{port}\"/\":{}\"", port + 1);
    let pipeline = [("Pipelined-Requests", "4711")];
    let video = c.send(
        V2,
        Method::Setup,
        &format!("{url}/trackID=1"),
        &[pipeline[0], ("Transport", &transport)],
        &mut frames,
    );
    assert_eq!((video.version, video.status), (V2, 200), "{video:?}");
    let t = Transport::parse(video.headers.get("transport").unwrap()).unwrap();
    assert_eq!(
        t.to_string(),
        format!(
            "RTP/AVP;unicast;dest_addr=\"127.0.0.1:{port}\"/\"127.0.0.1:{}\";src_addr=\":{}\"/\":{}\"",
            port + 1,
            t.specs[0].src_addr[0].port.unwrap(),
            t.specs[0].src_addr[0].port.unwrap() + 1
        )
    );
    assert_eq!(video.headers.get("pipelined-requests"), Some("4711"));
    assert_eq!(
        video.headers.get("media-properties"),
        Some("Random-Access, Immutable, Unlimited")
    );
    assert_eq!(video.headers.get("media-range"), Some(NPT));
    let session = c.session.clone().unwrap();
    let audio = c.send(
        V2,
        Method::Setup,
        &format!("{url}/trackID=2"),
        &[
            pipeline[0],
            ("Transport", "RTP/AVP/TCP;unicast;interleaved=4-5"),
        ],
        &mut frames,
    );
    assert_eq!(audio.status, 200, "{audio:?}");
    assert_eq!(c.session.as_deref(), Some(session.as_str()), "one session");
    // A SETUP outside the session (no Session, another pipeline) cannot
    // make a second one on this connection.
    let saved = c.session.take();
    let r = c.send(
        V2,
        Method::Setup,
        &format!("{url}/trackID=2"),
        &[("Transport", "RTP/AVP/TCP;unicast;interleaved=6-7")],
        &mut frames,
    );
    assert_eq!(r.status, 459);
    c.session = saved;
    // A 2.0 PLAY names its session.
    let mut bare = RawClient::connect(&server.rtsp);
    let r = bare.send(V2, Method::Play, &url, &[], &mut Vec::new());
    assert_eq!(r.status, 454);

    let play = c.send(V2, Method::Play, &url, &[("Range", "npt=0-")], &mut frames);
    assert_eq!((play.version, play.status), (V2, 200), "{play:?}");
    assert_eq!(play.headers.get("range"), Some(NPT));
    assert_eq!(play.headers.get("seek-style"), Some("RAP"));
    assert!(frames.is_empty(), "nothing before the PLAY answer");
    let info = RtpInfoHeader::parse(play.headers.get("rtp-info").unwrap()).unwrap();
    assert_eq!(info.entries.len(), 2);
    assert!(play.headers.get("rtp-info").unwrap().starts_with("url=\""));

    // The first video datagram and the first audio frame carry the
    // SSRCs and seqs RTP-Info gave.
    let mut datagram = [0u8; 2048];
    let n = udp.recv(&mut datagram).unwrap();
    assert!(n > 12);
    let seq = u16::from_be_bytes([datagram[2], datagram[3]]);
    let ssrc = u32::from_be_bytes([datagram[8], datagram[9], datagram[10], datagram[11]]);
    assert_eq!(
        (Some(ssrc), Some(seq)),
        (info.entries[0].ssrc, info.entries[0].seq)
    );
    let mut audio_packets = 0usize;
    let notify = loop {
        match c.next_frame() {
            Frame::Interleaved { channel: 4, data } => {
                if audio_packets == 0 {
                    let seq = u16::from_be_bytes([data[2], data[3]]);
                    let ssrc = u32::from_be_bytes([data[8], data[9], data[10], data[11]]);
                    assert_eq!(
                        (Some(ssrc), Some(seq)),
                        (info.entries[1].ssrc, info.entries[1].seq)
                    );
                }
                audio_packets += 1;
            }
            Frame::Interleaved { .. } => {}
            Frame::Message(Message::Request(r)) => break r,
            Frame::Message(Message::Response(r)) => panic!("an answer to nothing: {r:?}"),
        }
    };
    assert!(audio_packets > 0);
    assert_eq!((notify.method, notify.version), (Method::PlayNotify, V2));
    assert_eq!(notify.uri, url);
    assert_eq!(notify.headers.get("notify-reason"), Some("end-of-stream"));
    assert_eq!(
        notify.headers.get("request-status"),
        Some(format!("cseq={} status=200 reason=\"OK\"", c.cseq).as_str())
    );
    assert_eq!(notify.headers.get("range"), Some(NPT));
    assert_eq!(notify.headers.get("session"), Some(session.as_str()));

    // Keep-alive is GET_PARAMETER with the session; TEARDOWN ends it.
    let r = c.send(V2, Method::GetParameter, &url, &[], &mut frames);
    assert_eq!((r.version, r.status), (V2, 200));
    let r = c.send(V2, Method::Teardown, &url, &[], &mut frames);
    assert_eq!((r.version, r.status), (V2, 200));
}

/// Seek-Style: the fixture's keyframes are 2 s apart, so a PLAY from
/// 3.5 s starts at 2 s by RAP (the default) and at 4 s by Next, and the
/// answer says which.
#[test]
fn seek_style_next_starts_at_the_next_keyframe() {
    let server = Server::start_with(&[FIXTURE]);
    let url = format!("{}/vod/h264_aac", server.rtsp);
    for (style, range) in [
        (None, "npt=2-10.02322"),
        (Some("RAP"), "npt=2-10.02322"),
        (Some("Next"), "npt=4-10.02322"),
        // Offered as RAP: a decoder needs a random access point.
        (Some("First-Prior"), "npt=2-10.02322"),
    ] {
        let mut c = RawClient::connect(&server.rtsp);
        let mut frames = Vec::new();
        let r = c.send(Version::Rtsp20, Method::Describe, &url, &[], &mut frames);
        assert_eq!(r.status, 200);
        let r = c.send(
            Version::Rtsp20,
            Method::Setup,
            &format!("{url}/trackID=1"),
            &[("Transport", "RTP/AVP/TCP;unicast;interleaved=0-1")],
            &mut frames,
        );
        assert_eq!(r.status, 200);
        let mut headers = vec![("Range", "npt=3.5-")];
        if let Some(s) = style {
            headers.push(("Seek-Style", s));
        }
        let play = c.send(Version::Rtsp20, Method::Play, &url, &headers, &mut frames);
        assert_eq!(play.status, 200, "{style:?}");
        assert_eq!(play.headers.get("range"), Some(range), "{style:?}");
        let used = if style == Some("Next") { "Next" } else { "RAP" };
        assert_eq!(play.headers.get("seek-style"), Some(used), "{style:?}");
        let r = c.send(Version::Rtsp20, Method::Teardown, &url, &[], &mut frames);
        assert_eq!(r.status, 200);
    }
}
