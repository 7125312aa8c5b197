#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may fail loudly

use std::time::{Duration, Instant};

use bytes::Bytes;
use streamkit_core::clock::{UnixTime, WallClock};
use streamkit_core::codec::CodecConfig;
use streamkit_core::codec::opus::OpusConfig;
use streamkit_core::sample::Sample;
use streamkit_core::time::Timescale;
use streamkit_core::track::Track;

use super::*;
use crate::auth::{Authorization, DigestAlgorithm, digest_response};
use crate::message::{Message, MessageReader, Method, ReaderConfig};

const URL: &str = "rtsp://cam.example:8554/live";

const OPUS_SDP: &str = "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=x\r\nt=0 0\r\na=control:*\r\n\
m=audio 0 RTP/AVP 97\r\na=rtpmap:97 opus/48000/2\r\na=control:trackID=1\r\n";

fn random() -> Box<dyn RandomSource + Send> {
    Box::new(|b: &mut [u8]| b.fill(0xab))
}

/// The requests `client` wrote.
fn requests(client: &mut ClientSession, now: Instant) -> Vec<Request> {
    let mut reader = MessageReader::new(ReaderConfig::default());
    while let Some(t) = client.poll_transmit(now) {
        if let ClientTransmit::Stream(b) = t {
            reader.push(&b);
        }
    }
    let mut out = Vec::new();
    while let Ok(Some(f)) = reader.poll_frame() {
        if let Frame::Message(Message::Request(r)) = f {
            out.push(r);
        }
    }
    out
}

fn events(client: &mut ClientSession) -> Vec<ClientEvent> {
    std::iter::from_fn(|| client.poll_event()).collect()
}

fn answer(cseq: u32, status: &str, headers: &[&str], body: &str) -> Vec<u8> {
    let mut s = format!("RTSP/1.0 {status}\r\nCSeq: {cseq}\r\n");
    for h in headers {
        s.push_str(h);
        s.push_str("\r\n");
    }
    if !body.is_empty() {
        s.push_str(&format!("Content-Length: {}\r\n", body.len()));
    }
    s.push_str("\r\n");
    s.push_str(body);
    s.into_bytes()
}

/// A client through OPTIONS (with `public`), DESCRIBE (Opus), SETUP
/// (`transport` answered) and PLAY.
fn playing(config: ClientConfig, public: &str, transport: &str) -> (ClientSession, Instant) {
    let t0 = origin();
    let mut c = ClientSession::play(t0, config, random());
    let mut cseq = 0;
    let mut step = |c: &mut ClientSession, status: &str, headers: &[&str], body: &str| {
        let reqs = requests(c, t0);
        assert_eq!(reqs.len(), 1, "{reqs:?}");
        cseq += 1;
        assert_eq!(reqs[0].cseq(), Some(cseq));
        c.handle_bytes(t0, &answer(cseq, status, headers, body));
        reqs.into_iter().next().unwrap()
    };
    step(&mut c, "200 OK", &[public], "");
    step(
        &mut c,
        "200 OK",
        &[
            "Content-Type: application/sdp",
            "Content-Base: rtsp://cam.example:8554/live/",
        ],
        OPUS_SDP,
    );
    step(&mut c, "200 OK", &["Session: s1;timeout=20", transport], "");
    let play = step(
        &mut c,
        "200 OK",
        &["Session: s1", "RTP-Info: url=trackID=1;seq=5;rtptime=4800"],
        "",
    );
    assert_eq!(play.method, Method::Play);
    assert_eq!(play.uri, "rtsp://cam.example:8554/live/");
    (c, t0)
}

fn opus_rtp(seq: u16, ts: u32) -> Vec<u8> {
    let mut p = vec![0x80, 0x80 | 97];
    p.extend_from_slice(&seq.to_be_bytes());
    p.extend_from_slice(&ts.to_be_bytes());
    p.extend_from_slice(&0x1234_5678u32.to_be_bytes());
    p.extend_from_slice(&[0xfc, 1, 2, 3]);
    p
}

#[test]
fn keep_alive_prefers_set_parameter_at_half_the_timeout() {
    let (mut c, t0) = playing(
        ClientConfig::new(URL),
        "Public: OPTIONS, DESCRIBE, SETUP, PLAY, GET_PARAMETER, SET_PARAMETER",
        "Transport: RTP/AVP/TCP;unicast;interleaved=0-1",
    );
    let evs = events(&mut c);
    assert!(
        matches!(evs.last(), Some(ClientEvent::Playing { .. })),
        "{evs:?}"
    );
    // The receiver's timers come and go; the keep-alive at 10 s.
    let (t, reqs) = next_request(&mut c, t0);
    assert_eq!(t, t0 + Duration::from_secs(10));
    assert_eq!(reqs.len(), 1);
    assert_eq!(reqs[0].method, Method::SetParameter);
    assert_eq!(reqs[0].headers.get("session"), Some("s1"));
    c.handle_bytes(t, &answer(5, "200 OK", &[], ""));
    let (next, _) = next_request(&mut c, t);
    assert_eq!(next, t + Duration::from_secs(10));
}

/// Runs the timers until `c` writes a request: when, and what.
fn next_request(c: &mut ClientSession, from: Instant) -> (Instant, Vec<Request>) {
    let mut now = from;
    for _ in 0..1000 {
        now = c.poll_timeout().unwrap().max(now);
        c.handle_timeout(now);
        let reqs = requests(c, now);
        if !reqs.is_empty() {
            return (now, reqs);
        }
    }
    panic!("no request")
}

#[test]
fn keep_alive_falls_back_to_get_parameter_then_options() {
    let (mut c, t0) = playing(
        ClientConfig::new(URL),
        "Public: OPTIONS, DESCRIBE, SETUP, PLAY, GET_PARAMETER",
        "Transport: RTP/AVP/TCP;unicast;interleaved=0-1",
    );
    let t = t0 + Duration::from_secs(10);
    c.handle_timeout(t);
    assert_eq!(requests(&mut c, t)[0].method, Method::GetParameter);
    let (mut c, t0) = playing(
        ClientConfig::new(URL),
        "Public: DESCRIBE, SETUP, PLAY",
        "Transport: RTP/AVP/TCP;unicast;interleaved=0-1",
    );
    let t = t0 + Duration::from_secs(10);
    c.handle_timeout(t);
    let reqs = requests(&mut c, t);
    assert_eq!(reqs[0].method, Method::Options);
    assert_eq!(reqs[0].uri, URL);
}

#[test]
fn udp_routes_by_port_and_reports_go_to_the_servers_rtcp_port() {
    let mut config = ClientConfig::new(URL);
    config.transport = ClientTransport::Udp {
        ports: vec![50_000],
    };
    let (mut c, t0) = playing(
        config,
        "Public: OPTIONS",
        "Transport: RTP/AVP;unicast;client_port=50000-50001;server_port=6970-6971;ssrc=12345678",
    );
    let evs = events(&mut c);
    assert!(evs.contains(&ClientEvent::SetUp {
        track_id: 1,
        transport: TrackTransport::Udp {
            client_rtp: 50_000,
            server_rtp: Some(6970),
            server_rtcp: Some(6971),
        },
        session: "s1".into(),
    }));
    // Opus at rtptime 4800 is time zero; 960 ticks a packet.
    for i in 0..3u16 {
        let p = opus_rtp(5 + i, 4800 + 960 * u32::from(i));
        assert!(c.handle_datagram(t0, 50_000, Bytes::from(p)));
    }
    assert!(!c.handle_datagram(t0, 40_000, Bytes::from_static(b"x")));
    c.teardown(t0);
    let reqs = requests(&mut c, t0);
    assert_eq!(reqs[0].method, Method::Teardown);
    c.handle_bytes(t0, &answer(5, "200 OK", &[], ""));
    let samples: Vec<(i64, u32)> = events(&mut c)
        .into_iter()
        .filter_map(|e| match e {
            ClientEvent::Sample(s) => Some((s.dts, s.duration)),
            _ => None,
        })
        .collect();
    assert_eq!(samples, [(0, 960), (960, 960), (1920, 960)]);
    assert!(c.is_ended());

    // Receiver reports leave the RTCP port for the server's.
    let mut config = ClientConfig::new(URL);
    config.transport = ClientTransport::Udp {
        ports: vec![50_000],
    };
    let (mut c, t0) = playing(
        config,
        "Public: OPTIONS",
        "Transport: RTP/AVP;unicast;client_port=50000-50001;server_port=6970-6971",
    );
    assert!(c.handle_datagram(t0, 50_000, Bytes::from(opus_rtp(5, 4800))));
    let mut now = t0;
    let mut report = None;
    for _ in 0..100 {
        now = c.poll_timeout().unwrap().max(now);
        c.handle_timeout(now);
        while let Some(t) = c.poll_transmit(now) {
            if let ClientTransmit::Datagram {
                local_port,
                server_port,
                packet,
            } = t
            {
                report = Some((local_port, server_port, packet[1]));
            }
        }
        if report.is_some() {
            break;
        }
    }
    assert_eq!(report, Some((50_001, 6971, 201)), "a receiver report");
}

#[test]
fn digest_401_is_answered_once_and_a_second_is_an_error() {
    let t0 = origin();
    let mut config = ClientConfig::new("rtsp://user:pass@cam.example:8554/live");
    config.transport = ClientTransport::Tcp;
    let mut c = ClientSession::play(t0, config, random());
    let reqs = requests(&mut c, t0);
    assert_eq!(reqs[0].uri, URL, "credentials are not sent in the URL");
    assert_eq!(reqs[0].headers.get("authorization"), None);
    let challenge =
        r#"WWW-Authenticate: Digest realm="cam", nonce="n1", qop="auth", algorithm=MD5"#;
    c.handle_bytes(t0, &answer(1, "401 Unauthorized", &[challenge], ""));
    let reqs = requests(&mut c, t0);
    assert_eq!(reqs.len(), 1);
    assert_eq!(
        (reqs[0].method.clone(), reqs[0].cseq()),
        (Method::Options, Some(2))
    );
    let Ok(Authorization::Digest(d)) =
        Authorization::parse(reqs[0].headers.get("authorization").unwrap())
    else {
        panic!()
    };
    assert_eq!(
        d.qop,
        Some(("auth".into(), "00000001".into(), "abababababababab".into()))
    );
    let expected = digest_response(
        DigestAlgorithm::Md5,
        "user",
        "cam",
        "pass",
        "OPTIONS",
        URL,
        "n1",
        d.qop.as_ref(),
    );
    assert_eq!(d.response, expected);
    c.handle_bytes(t0, &answer(2, "200 OK", &["Public: DESCRIBE"], ""));
    // DESCRIBE carries the next nonce count unasked.
    let reqs = requests(&mut c, t0);
    let auth = reqs[0].headers.get("authorization").unwrap();
    assert!(auth.contains("nc=00000002"), "{auth}");
    // The same nonce refused again: wrong credentials, no loop.
    c.handle_bytes(t0, &answer(3, "401 Unauthorized", &[challenge], ""));
    assert!(requests(&mut c, t0).is_empty());
    let evs = events(&mut c);
    assert_eq!(
        evs.last(),
        Some(&ClientEvent::SessionEnded {
            reason: SessionEndReason::Failed(ClientError::Unauthorized {
                method: "DESCRIBE".into(),
                uri: URL.into(),
                what: "the credentials were refused",
            })
        })
    );
}

#[test]
fn a_stale_nonce_is_retried_and_basic_without_credentials_fails() {
    let t0 = origin();
    let mut config = ClientConfig::new(URL);
    config.credentials = Some(Credentials::new("u", "p"));
    let mut c = ClientSession::play(t0, config, random());
    let _ = requests(&mut c, t0);
    c.handle_bytes(
        t0,
        &answer(
            1,
            "401 Unauthorized",
            &[r#"WWW-Authenticate: Digest realm="r", nonce="a""#],
            "",
        ),
    );
    let _ = requests(&mut c, t0);
    c.handle_bytes(
        t0,
        &answer(
            2,
            "401 Unauthorized",
            &[r#"WWW-Authenticate: Digest realm="r", nonce="b", stale=true"#],
            "",
        ),
    );
    let reqs = requests(&mut c, t0);
    assert_eq!(reqs.len(), 1);
    assert!(
        reqs[0]
            .headers
            .get("authorization")
            .unwrap()
            .contains("nonce=\"b\"")
    );

    let mut c = ClientSession::play(t0, ClientConfig::new(URL), random());
    let _ = requests(&mut c, t0);
    c.handle_bytes(
        t0,
        &answer(
            1,
            "401 Unauthorized",
            &[r#"WWW-Authenticate: Basic realm="r""#],
            "",
        ),
    );
    assert!(matches!(
        events(&mut c).last(),
        Some(ClientEvent::SessionEnded {
            reason: SessionEndReason::Failed(ClientError::Unauthorized {
                what: "no credentials",
                ..
            })
        })
    ));
}

#[test]
fn redirects_are_followed_up_to_the_bound() {
    let t0 = origin();
    let mut config = ClientConfig::new(URL);
    config.max_redirects = 1;
    let mut c = ClientSession::play(t0, config, random());
    let _ = requests(&mut c, t0);
    c.handle_bytes(
        t0,
        &answer(
            1,
            "302 Moved Temporarily",
            &["Location: rtsp://other.example/x"],
            "",
        ),
    );
    assert_eq!(
        events(&mut c),
        [ClientEvent::Redirect {
            url: "rtsp://other.example/x".into()
        }]
    );
    let reqs = requests(&mut c, t0);
    assert_eq!(
        (reqs[0].method.clone(), reqs[0].uri.as_str()),
        (Method::Options, "rtsp://other.example/x")
    );
    c.handle_bytes(
        t0,
        &answer(
            2,
            "301 Moved Permanently",
            &["Location: rtsp://third.example/y"],
            "",
        ),
    );
    assert_eq!(
        events(&mut c),
        [ClientEvent::SessionEnded {
            reason: SessionEndReason::Failed(ClientError::TooManyRedirects { max: 1 })
        }]
    );
}

#[test]
fn pause_resume_and_a_response_timeout() {
    let (mut c, t0) = playing(
        ClientConfig::new(URL),
        "Public: OPTIONS",
        "Transport: RTP/AVP/TCP;unicast;interleaved=0-1",
    );
    let _ = events(&mut c);
    c.pause(t0).unwrap();
    let reqs = requests(&mut c, t0);
    assert_eq!(reqs[0].method, Method::Pause);
    // Asked while PAUSE waits: sent after its answer.
    c.resume(t0).unwrap();
    assert!(requests(&mut c, t0).is_empty());
    c.handle_bytes(t0, &answer(5, "200 OK", &[], ""));
    assert_eq!(events(&mut c), [ClientEvent::Paused]);
    let reqs = requests(&mut c, t0);
    assert_eq!(reqs[0].method, Method::Play);
    assert_eq!(
        reqs[0].headers.get("range"),
        None,
        "resumes where it paused"
    );
    // No answer within the request timeout.
    let late = t0 + Duration::from_secs(10);
    c.handle_timeout(late - Duration::from_millis(1));
    assert!(!c.is_ended());
    c.handle_timeout(late);
    assert_eq!(
        events(&mut c),
        [ClientEvent::SessionEnded {
            reason: SessionEndReason::Failed(ClientError::ResponseTimeout {
                method: "PLAY".into()
            })
        }]
    );
    assert_eq!(c.poll_timeout(), None);
}

#[test]
fn record_announces_the_sdp_again_after_a_401_and_sends_interleaved_rtp() {
    let t0 = origin();
    let opus = Track::new(
        1,
        Timescale::AUDIO_48KHZ,
        CodecConfig::Opus(OpusConfig::stereo(312, 48_000)),
    );
    let mut config = ClientConfig::new(URL);
    config.credentials = Some(Credentials::new("u", "p"));
    let clock = WallClock::new(t0, UnixTime::from_unix_millis(1_700_000_000_000));
    let mut c = ClientSession::record(t0, config, vec![opus], clock, random());
    let _ = requests(&mut c, t0);
    c.handle_bytes(
        t0,
        &answer(
            1,
            "200 OK",
            &["Public: OPTIONS, ANNOUNCE, SETUP, RECORD"],
            "",
        ),
    );
    let announce = requests(&mut c, t0).remove(0);
    assert_eq!(announce.method, Method::Announce);
    assert_eq!(
        announce.headers.get("content-type"),
        Some("application/sdp")
    );
    let sdp = String::from_utf8(announce.body.to_vec()).unwrap();
    assert!(
        sdp.contains("a=rtpmap:97 opus/48000/2") && sdp.contains("a=control:trackID=1"),
        "{sdp}"
    );
    c.handle_bytes(
        t0,
        &answer(
            2,
            "401 Unauthorized",
            &[r#"WWW-Authenticate: Basic realm="r""#],
            "",
        ),
    );
    let again = requests(&mut c, t0).remove(0);
    assert_eq!(again.body, announce.body, "the 401 retry carries the SDP");
    assert_eq!(again.headers.get("authorization"), Some("Basic dTpw"));
    c.handle_bytes(t0, &answer(3, "200 OK", &[], ""));
    let setup = requests(&mut c, t0).remove(0);
    assert_eq!(setup.uri, format!("{URL}/trackID=1"));
    assert_eq!(
        setup.headers.get("transport"),
        Some("RTP/AVP/TCP;unicast;interleaved=0-1;mode=record")
    );
    c.handle_bytes(
        t0,
        &answer(
            4,
            "200 OK",
            &[
                "Session: p1",
                "Transport: RTP/AVP/TCP;unicast;interleaved=0-1;mode=record",
            ],
            "",
        ),
    );
    let record = requests(&mut c, t0).remove(0);
    assert_eq!(record.method, Method::Record);
    assert!(c.push_sample(&opus_sample(0)).is_err(), "not yet recording");
    c.handle_bytes(t0, &answer(5, "200 OK", &["Session: p1"], ""));
    assert!(events(&mut c).contains(&ClientEvent::Recording));
    for i in 0..3 {
        c.push_sample(&opus_sample(i)).unwrap();
    }
    let mut rtp = 0;
    while let Some(t) = c.poll_transmit(t0) {
        if let ClientTransmit::Interleaved { header, packet } = t
            && header[1] == 0
        {
            assert_eq!(packet[1] & 0x7f, 97);
            rtp += 1;
        }
    }
    assert_eq!(rtp, 3);
}

fn opus_sample(i: i64) -> Sample {
    Sample {
        track_id: 1,
        dts: 960 * i,
        composition_offset: 0,
        duration: 960,
        timescale: Timescale::AUDIO_48KHZ,
        keyframe: true,
        data: Bytes::from_static(&[0xfc, 1, 2]),
    }
}

#[test]
fn a_refused_describe_and_garbage_end_with_typed_errors() {
    let t0 = origin();
    let mut c = ClientSession::play(t0, ClientConfig::new(URL), random());
    let _ = requests(&mut c, t0);
    c.handle_bytes(t0, b"RTSP/1.0 200 OK\r\nCSeq: 1\r\n\r\nRTSP/1.0 200 OK\r\nCSeq: 2\r\nContent-Type: text/html\r\nContent-Length: 2\r\n\r\nhi");
    assert!(matches!(
        events(&mut c).last(),
        Some(ClientEvent::SessionEnded {
            reason: SessionEndReason::Failed(ClientError::Describe { .. })
        })
    ));
    let mut c = ClientSession::play(t0, ClientConfig::new(URL), random());
    c.handle_bytes(t0, b"HTTP/1.1 200 OK\r\n\r\n");
    assert!(matches!(
        events(&mut c).last(),
        Some(ClientEvent::SessionEnded {
            reason: SessionEndReason::Failed(ClientError::Parse(_))
        })
    ));
}

/// The virtual clock's origin.
#[allow(clippy::disallowed_methods)] // a virtual clock's origin
fn origin() -> Instant {
    Instant::now()
}

#[test]
fn a_fresh_nonce_for_a_retried_request_is_a_refusal() {
    // GStreamer's server sends a new nonce with every 401.
    let t0 = origin();
    let mut config = ClientConfig::new(URL);
    config.credentials = Some(Credentials::new("u", "wrong"));
    let mut c = ClientSession::play(t0, config, random());
    let _ = requests(&mut c, t0);
    let challenge = |n: &str| format!(r#"WWW-Authenticate: Digest realm="r", nonce="{n}""#);
    c.handle_bytes(t0, &answer(1, "401 Unauthorized", &[&challenge("a")], ""));
    assert_eq!(requests(&mut c, t0).len(), 1, "retried once");
    c.handle_bytes(t0, &answer(2, "401 Unauthorized", &[&challenge("b")], ""));
    assert!(requests(&mut c, t0).is_empty(), "not again");
    assert_eq!(
        events(&mut c),
        [ClientEvent::SessionEnded {
            reason: SessionEndReason::Failed(ClientError::Unauthorized {
                method: "OPTIONS".into(),
                uri: URL.into(),
                what: "the credentials were refused",
            })
        }]
    );
}

#[test]
fn an_odd_udp_port_is_refused_before_setup() {
    let t0 = origin();
    let mut config = ClientConfig::new(URL);
    config.transport = ClientTransport::Udp {
        ports: vec![50_001],
    };
    let mut c = ClientSession::play(t0, config, random());
    let _ = requests(&mut c, t0);
    c.handle_bytes(t0, &answer(1, "200 OK", &[], ""));
    let _ = requests(&mut c, t0);
    c.handle_bytes(
        t0,
        &answer(2, "200 OK", &["Content-Type: application/sdp"], OPUS_SDP),
    );
    assert!(requests(&mut c, t0).is_empty(), "no SETUP");
    assert_eq!(
        events(&mut c).last(),
        Some(&ClientEvent::SessionEnded {
            reason: SessionEndReason::Failed(ClientError::InvalidState {
                what: "no transport for the track (an even UDP port each)"
            })
        })
    );
}

#[test]
fn an_unanswered_keep_alive_is_given_up_and_the_session_goes_on() {
    let (mut c, t0) = playing(
        ClientConfig::new(URL),
        "Public: OPTIONS, GET_PARAMETER",
        "Transport: RTP/AVP/TCP;unicast;interleaved=0-1",
    );
    let _ = events(&mut c);
    let (t, reqs) = next_request(&mut c, t0);
    assert_eq!(reqs[0].method, Method::GetParameter);
    assert_eq!(reqs[0].cseq(), Some(5));
    // No answer: at the request timeout it is dropped, not fatal, and a
    // PAUSE asked meanwhile goes out then.
    c.pause(t).unwrap();
    assert!(requests(&mut c, t).is_empty());
    let late = t + Duration::from_secs(10);
    c.handle_timeout(late);
    assert!(!c.is_ended());
    let reqs = requests(&mut c, late);
    assert_eq!(
        (reqs[0].method.clone(), reqs[0].cseq()),
        (Method::Pause, Some(6))
    );
    // The keep-alive's late answer is ignored; the PAUSE's counts.
    c.handle_bytes(late, &answer(5, "200 OK", &[], ""));
    c.handle_bytes(late, &answer(6, "200 OK", &[], ""));
    assert_eq!(events(&mut c), [ClientEvent::Paused]);
}

#[test]
fn content_location_is_the_base_without_content_base() {
    let t0 = origin();
    let mut c = ClientSession::play(t0, ClientConfig::new(URL), random());
    let _ = requests(&mut c, t0);
    c.handle_bytes(t0, &answer(1, "200 OK", &[], ""));
    let _ = requests(&mut c, t0);
    // Two tracks: one relative control with a query, one absolute; the
    // session's control is absent (the base is the aggregate).
    let sdp = "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=x\r\nt=0 0\r\n\
m=audio 0 RTP/AVP 97\r\na=rtpmap:97 opus/48000/2\r\na=control:audio?ch=1\r\n\
m=audio 0 RTP/AVP 98\r\na=rtpmap:98 opus/48000/2\r\na=control:rtsp://other.example/abs\r\n";
    c.handle_bytes(
        t0,
        &answer(
            2,
            "200 OK",
            &[
                "Content-Type: application/sdp",
                "Content-Location: rtsp://cam.example:8554/moved/here",
            ],
            sdp,
        ),
    );
    let setup = requests(&mut c, t0).remove(0);
    assert_eq!(setup.uri, "rtsp://cam.example:8554/moved/here/audio?ch=1");
    c.handle_bytes(
        t0,
        &answer(
            3,
            "200 OK",
            &[
                "Session: s",
                "Transport: RTP/AVP/TCP;unicast;interleaved=0-1",
            ],
            "",
        ),
    );
    let setup = requests(&mut c, t0).remove(0);
    assert_eq!(setup.uri, "rtsp://other.example/abs");
    assert_eq!(
        setup.headers.get("transport"),
        Some("RTP/AVP/TCP;unicast;interleaved=2-3")
    );
    c.handle_bytes(
        t0,
        &answer(
            4,
            "200 OK",
            &[
                "Session: s",
                "Transport: RTP/AVP/TCP;unicast;interleaved=2-3",
            ],
            "",
        ),
    );
    let play = requests(&mut c, t0).remove(0);
    assert_eq!(play.uri, "rtsp://cam.example:8554/moved/here");
}
