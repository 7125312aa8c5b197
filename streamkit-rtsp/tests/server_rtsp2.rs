//! The server session speaking RTSP 2.0 (RFC 7826), driven on a virtual
//! clock: each request in, every answer out, time moved to the
//! connection's own `poll_timeout`. Version negotiation per request and
//! per session, the methods 2.0 removed, Require, pipelined SETUPs,
//! `dest_addr`/`src_addr`, Media-Properties of a file and of a live
//! stream, Seek-Style, the PLAY answer's Range and RTP-Info, PAUSE's
//! Range, PLAY in Play state, keep-alive by GET_PARAMETER, the session
//! timeout, and PLAY_NOTIFY end-of-stream after the last packet.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may fail loudly

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use bytes::Bytes;
use streamkit_core::clock::{UnixTime, WallClock};
use streamkit_core::codec::{CodecConfig, opus::OpusConfig};
use streamkit_core::sample::Sample;
use streamkit_core::time::Timescale;
use streamkit_core::track::Track;
use streamkit_rtp::sender::TransmitKind;
use streamkit_rtsp::auth::OpenPolicy;
use streamkit_rtsp::header::{
    MediaProperties, PortRange, RtpInfoHeader, SeekStyle, SessionHeader, Transport,
};
use streamkit_rtsp::message::{Frame, Message, MessageReader, ReaderConfig, Request, Response};
use streamkit_rtsp::server::{
    Presentation, ServerConfig, ServerConnection, ServerEvent, ServerTransmit, SessionEnd,
};

/// One client's connection on a virtual clock.
struct Harness {
    conn: ServerConnection,
    now: Instant,
    /// What the stream carried, read back.
    reader: MessageReader,
    /// RTP and RTCP datagrams sent (to, bytes).
    datagrams: Vec<(SocketAddr, Vec<u8>)>,
    /// The server port each datagram left from, in the same order.
    kinds: Vec<TransmitKind>,
    /// Interleaved packets (channel, bytes).
    interleaved: Vec<(u8, Vec<u8>)>,
    /// Requests the server sent (PLAY_NOTIFY).
    notifications: Vec<Request>,
    /// The events the harness does not answer itself.
    events: Vec<ServerEvent>,
}

const PEER: &str = "127.0.0.1:50000";

fn opus() -> Track {
    Track::new(
        1,
        Timescale::AUDIO_48KHZ,
        CodecConfig::Opus(OpusConfig::stereo(312, 48_000)),
    )
}

/// Twenty ms Opus packet `n`.
fn sample(n: i64) -> Sample {
    Sample {
        track_id: 1,
        dts: 960 * n,
        composition_offset: 0,
        duration: 960,
        timescale: Timescale::AUDIO_48KHZ,
        keyframe: true,
        data: Bytes::from_static(&[0xfc, 1, 2]),
    }
}

impl Harness {
    fn new() -> Harness {
        #[allow(clippy::disallowed_methods)] // a virtual clock's origin
        let now = Instant::now();
        let mut config = ServerConfig::new(WallClock::new(
            now,
            UnixTime::from_unix_millis(1_700_000_000_000),
        ));
        config.udp_ports = Some(PortRange::pair(6970));
        config.session_timeout = Duration::from_secs(60);
        let mut counter = 0u8;
        let random = move |b: &mut [u8]| {
            for x in b.iter_mut() {
                counter = counter.wrapping_add(1);
                *x = counter;
            }
        };
        let conn = ServerConnection::new(
            now,
            config,
            PEER.parse().unwrap(),
            Box::new(random),
            Box::new(OpenPolicy),
        );
        Harness {
            conn,
            now,
            reader: MessageReader::new(ReaderConfig::default()),
            datagrams: Vec::new(),
            kinds: Vec::new(),
            interleaved: Vec::new(),
            notifications: Vec::new(),
            events: Vec::new(),
        }
    }

    /// Drains every output; the answers in order.
    fn drain(&mut self) -> Vec<Response> {
        let mut answers = Vec::new();
        while let Some(t) = self.conn.poll_transmit(self.now) {
            match t {
                ServerTransmit::Stream(bytes) => self.reader.push(&bytes),
                ServerTransmit::Interleaved { header, packet } => {
                    self.interleaved.push((header[1], packet.to_vec()));
                }
                ServerTransmit::Datagram { to, packet, kind } => {
                    self.datagrams.push((to, packet.to_vec()));
                    self.kinds.push(kind);
                }
            }
        }
        while let Some(frame) = self.reader.poll_frame().unwrap() {
            match frame {
                Frame::Message(Message::Response(r)) => answers.push(r),
                Frame::Message(Message::Request(r)) => self.notifications.push(r),
                Frame::Interleaved { .. } => panic!("interleaved data in a Stream transmit"),
            }
        }
        answers
    }

    /// Sends a request (`RTSP/2.0` unless `version` says otherwise) and
    /// answers what the connection asks: `/vod/a` is a 1 s Opus file,
    /// `/live/a` a live Opus stream; a PLAY pushes `samples` first.
    fn request(&mut self, text: &str) -> Response {
        self.conn.handle_bytes(self.now, text.as_bytes());
        while let Some(event) = self.conn.poll_event() {
            match event {
                ServerEvent::Describe { request, path } => {
                    let duration = path.starts_with("/vod/").then_some(Duration::from_secs(1));
                    self.conn
                        .accept_describe(
                            self.now,
                            request,
                            Presentation::new(vec![opus()], duration),
                        )
                        .unwrap();
                }
                ServerEvent::Play {
                    request,
                    start,
                    seek_style,
                    ..
                } => {
                    assert_eq!(seek_style, self.expected_style(text));
                    let at = match start {
                        Some(streamkit_rtsp::header::NptTime::At(t)) => t,
                        _ => Duration::ZERO,
                    };
                    let first = (at.as_millis() / 20) as i64;
                    for n in first..50 {
                        self.conn.push_sample(&sample(n)).unwrap();
                    }
                    self.conn.finish_media();
                    let start = text.contains("/vod/").then_some(at);
                    self.conn.accept_play(self.now, request, start).unwrap();
                }
                other => self.events.push(other),
            }
        }
        let mut answers = self.drain();
        assert_eq!(answers.len(), 1, "one answer to {text}: {answers:?}");
        answers.pop().unwrap()
    }

    fn expected_style(&self, text: &str) -> SeekStyle {
        if text.starts_with("PLAY")
            && text.contains("RTSP/2.0")
            && text.contains("Seek-Style: Next")
        {
            SeekStyle::Next
        } else {
            SeekStyle::Rap
        }
    }

    /// Moves the clock to each wake-up the connection asks for, up to
    /// `until`, running its timers and draining its output.
    fn run_until(&mut self, until: Instant) {
        loop {
            let _ = self.drain();
            let Some(wake) = self.conn.poll_timeout() else {
                break;
            };
            if wake > until {
                break;
            }
            self.now = self.now.max(wake);
            self.conn.handle_timeout(self.now);
        }
        self.now = self.now.max(until);
        let _ = self.drain();
    }
}

fn session_of(r: &Response) -> String {
    SessionHeader::parse(r.headers.get("session").unwrap())
        .unwrap()
        .id
}

#[test]
fn answers_speak_the_request_version_and_refuse_others() {
    let mut h = Harness::new();
    let r = h.request("OPTIONS * RTSP/2.0\r\nCSeq: 1\r\n\r\n");
    assert_eq!(r.version.as_str(), "RTSP/2.0");
    assert_eq!(
        r.headers.get("public"),
        Some("OPTIONS, DESCRIBE, SETUP, PLAY, PAUSE, TEARDOWN, GET_PARAMETER, SET_PARAMETER")
    );
    assert_eq!(
        r.headers.get("supported"),
        Some("play.basic, setup.rtp.rtcp.mux")
    );
    let r = h.request("OPTIONS * RTSP/1.0\r\nCSeq: 2\r\n\r\n");
    assert_eq!(r.version.as_str(), "RTSP/1.0");
    assert!(
        r.headers
            .get("public")
            .unwrap()
            .ends_with("ANNOUNCE, RECORD")
    );
    assert_eq!(r.headers.get("supported"), None);
    let r = h.request("OPTIONS * RTSP/1.1\r\nCSeq: 3\r\n\r\n");
    assert_eq!((r.version.as_str(), r.status), ("RTSP/1.0", 505));
    let r = h.request("OPTIONS * RTSP/3.0\r\nCSeq: 4\r\n\r\n");
    assert_eq!((r.version.as_str(), r.status), ("RTSP/2.0", 505));
    for method in ["ANNOUNCE", "RECORD"] {
        let r = h.request(&format!(
            "{method} rtsp://h/live/x RTSP/2.0\r\nCSeq: 5\r\n\r\n"
        ));
        assert_eq!(r.status, 501, "{method}");
        assert!(!r.headers.get("public").unwrap().contains("RECORD"));
    }
    let r = h.request("OPTIONS * RTSP/2.0\r\nCSeq: 6\r\nRequire: play.basic, x.y\r\n\r\n");
    assert_eq!(r.status, 551);
    assert_eq!(r.headers.get("unsupported"), Some("x.y"));
    let r = h.request("OPTIONS * RTSP/2.0\r\nCSeq: 7\r\nRequire: play.basic\r\n\r\n");
    assert_eq!(r.status, 200);
    // Proxy-Require asks proxies, not the server.
    let r = h.request("OPTIONS * RTSP/2.0\r\nCSeq: 8\r\nProxy-Require: x.y\r\n\r\n");
    assert_eq!(r.status, 200);
    // The connection still reads after all of them.
    assert!(!h.conn.is_closed());
}

#[test]
fn pipelined_udp_setup_play_and_play_notify_at_the_end() {
    let mut h = Harness::new();
    let r = h.request("DESCRIBE rtsp://h/vod/a RTSP/2.0\r\nCSeq: 1\r\n\r\n");
    assert_eq!(r.status, 200);
    let r = h.request(
        "SETUP rtsp://h/vod/a/trackID=1 RTSP/2.0\r\nCSeq: 2\r\nPipelined-Requests: 77\r\n\
         Transport: RTP/AVP;unicast;dest_addr=\":5000\"/\":5001\"\r\n\r\n",
    );
    assert_eq!((r.version.as_str(), r.status), ("RTSP/2.0", 200), "{r:?}");
    assert_eq!(
        r.headers.get("transport"),
        Some(
            "RTP/AVP;unicast;dest_addr=\"127.0.0.1:5000\"/\"127.0.0.1:5001\";\
             src_addr=\":6970\"/\":6971\""
        )
    );
    assert_eq!(
        r.headers.get("media-properties"),
        Some(MediaProperties::on_demand().to_string().as_str())
    );
    assert_eq!(r.headers.get("accept-ranges"), Some("npt"));
    assert_eq!(r.headers.get("media-range"), Some("npt=0-1"));
    assert_eq!(r.headers.get("pipelined-requests"), Some("77"));
    let id = session_of(&r);
    assert_eq!(
        r.headers.get("session"),
        Some(format!("{id};timeout=60").as_str())
    );
    // Pipelined: no Session header, the same session by the id.
    let r = h.request(
        "PLAY rtsp://h/vod/a RTSP/2.0\r\nCSeq: 3\r\nPipelined-Requests: 77\r\nRange: npt=0.5-\r\n\
         Seek-Style: Next\r\n\r\n",
    );
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(session_of(&r), id);
    assert_eq!(r.headers.get("range"), Some("npt=0.500-1"));
    assert_eq!(r.headers.get("seek-style"), Some("Next"));
    let value = r.headers.get("rtp-info").unwrap();
    assert!(
        value.starts_with("url=\"rtsp://h/vod/a/trackID=1\" ssrc="),
        "{value}"
    );
    let info = RtpInfoHeader::parse(value).unwrap();
    let entry = &info.entries[0];
    assert!(h.notifications.is_empty());
    // The media goes to the dest_addr; at its end PLAY_NOTIFY follows.
    let end = h.now + Duration::from_secs(5);
    h.run_until(end);
    let rtp: Vec<&Vec<u8>> = h
        .datagrams
        .iter()
        .filter(|(to, _)| to.port() == 5000)
        .map(|(_, d)| d)
        .collect();
    assert_eq!(rtp.len(), 25, "the packets from 0.5 s on");
    assert_eq!(
        u16::from_be_bytes([rtp[0][2], rtp[0][3]]),
        entry.seq.unwrap()
    );
    assert_eq!(
        u32::from_be_bytes([rtp[0][8], rtp[0][9], rtp[0][10], rtp[0][11]]),
        entry.ssrc.unwrap()
    );
    assert!(h.datagrams.iter().any(|(to, _)| to.port() == 5001), "RTCP");
    assert_eq!(h.notifications.len(), 1, "{:?}", h.notifications);
    let n = &h.notifications[0];
    assert_eq!(n.method.as_str(), "PLAY_NOTIFY");
    assert_eq!(n.version.as_str(), "RTSP/2.0");
    assert_eq!(n.uri, "rtsp://h/vod/a");
    assert_eq!(n.headers.get("notify-reason"), Some("end-of-stream"));
    assert_eq!(
        n.headers.get("request-status"),
        Some("cseq=3 status=200 reason=\"OK\"")
    );
    assert_eq!(n.headers.get("range"), Some("npt=0.500-1"));
    assert_eq!(n.headers.get("session"), Some(id.as_str()));
    assert_eq!(n.cseq(), Some(1));
    // Once only.
    let later = h.now + Duration::from_secs(5);
    h.run_until(later);
    assert_eq!(h.notifications.len(), 1);
    // TEARDOWN ends it; its 2.0 answer names no session.
    let r = h.request(&format!(
        "TEARDOWN rtsp://h/vod/a RTSP/2.0\r\nCSeq: 4\r\nSession: {id}\r\n\r\n"
    ));
    assert_eq!((r.status, r.headers.get("session")), (200, None));
    assert_eq!(h.conn.session_id(), None);
}

#[test]
fn session_rules_keep_alive_and_timeout() {
    let mut h = Harness::new();
    let r = h.request(
        "SETUP rtsp://h/vod/a RTSP/2.0\r\nCSeq: 1\r\nTransport: RTP/AVP/TCP;unicast;interleaved=0-1\r\n\r\n",
    );
    assert_eq!(r.status, 200, "{r:?}");
    let id = session_of(&r);
    // 2.0 answers name the session only within it.
    let r = h.request("OPTIONS * RTSP/2.0\r\nCSeq: 2\r\n\r\n");
    assert_eq!(r.headers.get("session"), None);
    let r = h.request(&format!(
        "OPTIONS * RTSP/2.0\r\nCSeq: 2\r\nSession: {id}\r\n\r\n"
    ));
    assert_eq!(
        r.headers.get("session"),
        Some(format!("{id};timeout=60").as_str())
    );
    // PLAY, PAUSE, TEARDOWN name their session in 2.0.
    for m in ["PLAY", "PAUSE", "TEARDOWN"] {
        let r = h.request(&format!("{m} rtsp://h/vod/a RTSP/2.0\r\nCSeq: 2\r\n\r\n"));
        assert_eq!(r.status, 454, "{m}");
    }
    // A second session on the connection is not made.
    let r = h.request(
        "SETUP rtsp://h/vod/a RTSP/2.0\r\nCSeq: 3\r\nTransport: RTP/AVP/TCP;unicast\r\n\r\n",
    );
    assert_eq!(r.status, 459);
    // The session keeps its version.
    let r = h.request(&format!(
        "PLAY rtsp://h/vod/a RTSP/1.0\r\nCSeq: 4\r\nSession: {id}\r\n\r\n"
    ));
    assert_eq!((r.version.as_str(), r.status), ("RTSP/1.0", 505));
    // Keep-alive: GET_PARAMETER with the session, 50 s apart, twice.
    for cseq in [5, 6] {
        let at = h.now + Duration::from_secs(50);
        h.run_until(at);
        assert!(!h.conn.is_closed());
        let r = h.request(&format!(
            "GET_PARAMETER rtsp://h/vod/a RTSP/2.0\r\nCSeq: {cseq}\r\nSession: {id}\r\n\r\n"
        ));
        assert_eq!(r.status, 200);
    }
    // Then nothing: the session ends 60 s after the last request.
    let at = h.now + Duration::from_secs(59);
    h.run_until(at);
    assert!(!h.conn.is_closed());
    let at = h.now + Duration::from_secs(2);
    h.run_until(at);
    assert!(h.conn.is_closed());
    // (TEARDOWN's 2.0 answer names no session: see the PLAY_NOTIFY test.)
    let mut ended = false;
    while let Some(e) = h.conn.poll_event() {
        ended |= e
            == ServerEvent::SessionEnded {
                reason: SessionEnd::Timeout,
            };
    }
    assert!(ended);
}

#[test]
fn play_in_play_state_pause_range_and_live_properties() {
    let mut h = Harness::new();
    let r = h.request(
        "SETUP rtsp://h/vod/a RTSP/2.0\r\nCSeq: 1\r\nTransport: RTP/AVP/TCP;unicast;interleaved=6-7\r\n\r\n",
    );
    let id = session_of(&r);
    let r = h.request(&format!(
        "PLAY rtsp://h/vod/a RTSP/2.0\r\nCSeq: 2\r\nSession: {id}\r\n\r\n"
    ));
    assert_eq!(r.status, 200);
    assert_eq!(r.headers.get("range"), Some("npt=0-1"));
    // No Range in the request: no Seek-Style in the answer.
    assert_eq!(r.headers.get("seek-style"), None);
    let at = h.now + Duration::from_millis(300);
    h.run_until(at);
    assert!(h.interleaved.iter().any(|(c, _)| *c == 6));
    // A PLAY while playing, without Range, says where it plays and
    // changes nothing.
    let r = h.request(&format!(
        "PLAY rtsp://h/vod/a RTSP/2.0\r\nCSeq: 3\r\nSession: {id}\r\n\r\n"
    ));
    assert_eq!(r.status, 200);
    assert_eq!(r.headers.get("range"), Some("npt=0.300-1"));
    assert_eq!(r.headers.get("rtp-info"), None);
    let at = h.now + Duration::from_millis(100);
    h.run_until(at);
    let r = h.request(&format!(
        "PAUSE rtsp://h/vod/a RTSP/2.0\r\nCSeq: 4\r\nSession: {id}\r\n\r\n"
    ));
    assert_eq!(r.status, 200);
    assert_eq!(r.headers.get("range"), Some("npt=0.400-1"));
    assert_eq!(h.events.last(), Some(&ServerEvent::Paused));
    // PLAY resumes at the pause point (the event's start).
    let r = h.request(&format!(
        "PLAY rtsp://h/vod/a RTSP/2.0\r\nCSeq: 5\r\nSession: {id}\r\n\r\n"
    ));
    assert_eq!(r.headers.get("range"), Some("npt=0.400-1"));
    // Past the end the position stays at the end.
    let at = h.now + Duration::from_secs(5);
    h.run_until(at);
    let r = h.request(&format!(
        "PLAY rtsp://h/vod/a RTSP/2.0\r\nCSeq: 6\r\nSession: {id}\r\n\r\n"
    ));
    assert_eq!(r.headers.get("range"), Some("npt=1-1"));

    // A live stream: no seeking, said in SETUP and PLAY.
    let mut h = Harness::new();
    let r = h.request(
        "SETUP rtsp://h/live/a RTSP/2.0\r\nCSeq: 1\r\nTransport: RTP/AVP/TCP;unicast\r\n\r\n",
    );
    assert_eq!(r.status, 200);
    let p = MediaProperties::parse(r.headers.get("media-properties").unwrap()).unwrap();
    assert_eq!(p, MediaProperties::live());
    assert_eq!(r.headers.get("media-range"), None);
    let t = Transport::parse(r.headers.get("transport").unwrap()).unwrap();
    assert_eq!(t.specs[0].interleaved, Some((0, Some(1))));
    let id = session_of(&r);
    let r = h.request(&format!(
        "PLAY rtsp://h/live/a RTSP/2.0\r\nCSeq: 2\r\nSession: {id}\r\nRange: npt=5-\r\n\r\n"
    ));
    assert_eq!(r.status, 456);
    let r = h.request(&format!(
        "PLAY rtsp://h/live/a RTSP/2.0\r\nCSeq: 3\r\nSession: {id}\r\nRange: npt=now-\r\n\r\n"
    ));
    assert_eq!(r.status, 200);
    assert_eq!(r.headers.get("range"), Some("npt=now-"));
    assert_eq!(
        r.headers.get("media-properties"),
        Some("No-Seeking, Dynamic, Time-Progressing, Time-Duration=0.0")
    );
}

#[test]
fn rtsp1_answers_keep_their_form() {
    let mut h = Harness::new();
    let r = h.request(
        "SETUP rtsp://h/vod/a RTSP/1.0\r\nCSeq: 1\r\nTransport: RTP/AVP;unicast;client_port=5000-5001\r\n\r\n",
    );
    assert_eq!((r.version.as_str(), r.status), ("RTSP/1.0", 200));
    assert_eq!(
        r.headers.get("transport"),
        Some("RTP/AVP;unicast;client_port=5000-5001;server_port=6970-6971")
    );
    assert_eq!(r.headers.get("media-properties"), None);
    let id = session_of(&r);
    let r = h.request(&format!(
        "PLAY rtsp://h/vod/a RTSP/1.0\r\nCSeq: 2\r\nSession: {id}\r\n\r\n"
    ));
    let value = r.headers.get("rtp-info").unwrap();
    assert!(
        value.starts_with("url=rtsp://h/vod/a/trackID=1;seq="),
        "{value}"
    );
    let end = h.now + Duration::from_secs(5);
    h.run_until(end);
    assert!(h.notifications.is_empty(), "no PLAY_NOTIFY in 1.0");
}

#[test]
fn a_2_0_client_asking_in_1_0_terms_gets_both() {
    let mut h = Harness::new();
    let r = h.request(
        "SETUP rtsp://h/vod/a RTSP/2.0\r\nCSeq: 1\r\nTransport: RTP/AVP;unicast;client_port=5000-5001\r\n\r\n",
    );
    assert_eq!(r.status, 200);
    assert_eq!(
        r.headers.get("transport"),
        Some(
            "RTP/AVP;unicast;dest_addr=\"127.0.0.1:5000\"/\"127.0.0.1:5001\";\
             src_addr=\":6970\"/\":6971\";client_port=5000-5001;server_port=6970-6971"
        )
    );
    // Another host is not a destination (no amplification).
    let mut h = Harness::new();
    let r = h.request(
        "SETUP rtsp://h/vod/a RTSP/2.0\r\nCSeq: 1\r\n\
         Transport: RTP/AVP;unicast;dest_addr=\"192.0.2.9:5000\"/\"192.0.2.9:5001\"\r\n\r\n",
    );
    assert_eq!(r.status, 461);
}

#[test]
fn rtcp_mux_on_one_port_and_on_one_channel() {
    let mut h = Harness::new();
    let r = h.request(
        "SETUP rtsp://h/vod/a RTSP/2.0\r\nCSeq: 1\r\n\
         Transport: RTP/AVP;unicast;dest_addr=\":5000\";RTCP-mux\r\n\r\n",
    );
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(
        r.headers.get("transport"),
        Some("RTP/AVP;unicast;dest_addr=\"127.0.0.1:5000\";src_addr=\":6970\";RTCP-mux")
    );
    let id = session_of(&r);
    let r = h.request(&format!(
        "PLAY rtsp://h/vod/a RTSP/2.0\r\nCSeq: 2\r\nSession: {id}\r\n\r\n"
    ));
    assert_eq!(r.status, 200);
    let end = h.now + Duration::from_secs(5);
    h.run_until(end);
    // Everything to the one port, from the server's RTP port: 50 RTP
    // packets and the RTCP (sender reports, the BYE).
    assert!(h.datagrams.iter().all(|(to, _)| to.port() == 5000));
    assert!(h.kinds.iter().all(|k| *k == TransmitKind::Rtp));
    let rtcp = h
        .datagrams
        .iter()
        .filter(|(_, d)| (192..=223).contains(&d[1]))
        .count();
    assert!(rtcp >= 2, "a sender report and a BYE");
    assert_eq!(h.datagrams.len() - rtcp, 50);
    assert_eq!(h.notifications.len(), 1);
    // The client's RTCP comes from its RTP port; its port + 1 is nobody.
    let rr = Bytes::from_static(&[0x80, 201, 0, 1, 0, 0, 0, 9]);
    let client: SocketAddr = "127.0.0.1:5000".parse().unwrap();
    assert!(
        h.conn
            .handle_datagram(h.now, client, TransmitKind::Rtp, rr.clone())
    );
    let other: SocketAddr = "127.0.0.1:5001".parse().unwrap();
    assert!(!h.conn.handle_datagram(h.now, other, TransmitKind::Rtcp, rr));

    // Interleaved: one channel.
    let mut h = Harness::new();
    let r = h.request(
        "SETUP rtsp://h/vod/a RTSP/2.0\r\nCSeq: 1\r\n\
         Transport: RTP/AVP/TCP;unicast;interleaved=4;RTCP-mux\r\n\r\n",
    );
    assert_eq!(
        r.headers.get("transport"),
        Some("RTP/AVP/TCP;unicast;interleaved=4;RTCP-mux")
    );
    let id = session_of(&r);
    h.request(&format!(
        "PLAY rtsp://h/vod/a RTSP/2.0\r\nCSeq: 2\r\nSession: {id}\r\n\r\n"
    ));
    let end = h.now + Duration::from_secs(5);
    h.run_until(end);
    assert!(h.interleaved.iter().all(|(c, _)| *c == 4));
    let rtcp = h
        .interleaved
        .iter()
        .filter(|(_, d)| (192..=223).contains(&d[1]))
        .count();
    assert!(rtcp >= 2);
    assert_eq!(h.interleaved.len() - rtcp, 50);

    // RTSP 1.0 has no RTCP-mux: the usual pair.
    let mut h = Harness::new();
    let r = h.request(
        "SETUP rtsp://h/vod/a RTSP/1.0\r\nCSeq: 1\r\n\
         Transport: RTP/AVP/TCP;unicast;interleaved=4;RTCP-mux\r\n\r\n",
    );
    assert_eq!(
        r.headers.get("transport"),
        Some("RTP/AVP/TCP;unicast;interleaved=4-5")
    );
}
