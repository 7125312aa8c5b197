//! The examples of RFC 2326's sections 10, 12 and 14, with CRLF line
//! ends: each parses to what the RFC says it means, fed one byte at a
//! time, and writing the parsed message gives the same bytes back. Where
//! the RFC's `Content-Length` values do not match its own bodies (they
//! were counted with other line ends), the length here is the body's.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may fail loudly

use std::time::Duration;

use bytes::BytesMut;
use streamkit_rtsp::header::{
    Cast, LowerTransport, NptTime, PortRange, Range, RtpInfoHeader, SessionHeader, Transport,
    TransportMode, public_methods,
};
use streamkit_rtsp::message::{Frame, Message, MessageReader, Method, ReaderConfig};

/// The RFC's lines joined with CRLF, an empty line after the head and
/// `body` (its lines CRLF-ended too) after it, with a `Content-Length`
/// when there is a body.
fn message(head: &[&str], body: &[&str]) -> Vec<u8> {
    let body: String = body.iter().map(|l| format!("{l}\r\n")).collect();
    let mut out = String::new();
    for line in head {
        out.push_str(line);
        out.push_str("\r\n");
    }
    if !body.is_empty() {
        out.push_str(&format!("Content-Length: {}\r\n", body.len()));
    }
    out.push_str("\r\n");
    out.push_str(&body);
    out.into_bytes()
}

/// Reads exactly one message from `bytes`, fed one byte at a time (the
/// worst chunking), and checks it writes back to the same bytes.
fn read_one(bytes: &[u8]) -> Message {
    let mut reader = MessageReader::new(ReaderConfig::default());
    let mut got = Vec::new();
    for b in bytes {
        reader.push(std::slice::from_ref(b));
        while let Some(frame) = reader.poll_frame().unwrap() {
            got.push(frame);
        }
    }
    assert_eq!(reader.buffered(), 0, "nothing left over");
    assert_eq!(got.len(), 1, "{got:?}");
    let Some(Frame::Message(m)) = got.pop() else {
        panic!("a message");
    };
    let mut out = BytesMut::new();
    m.write_to(&mut out);
    assert_eq!(
        String::from_utf8_lossy(&out),
        String::from_utf8_lossy(bytes),
        "written back byte for byte"
    );
    m
}

fn request(bytes: &[u8]) -> streamkit_rtsp::message::Request {
    match read_one(bytes) {
        Message::Request(r) => r,
        Message::Response(r) => panic!("a request, not {r:?}"),
    }
}

fn response(bytes: &[u8]) -> streamkit_rtsp::message::Response {
    match read_one(bytes) {
        Message::Response(r) => r,
        Message::Request(r) => panic!("a response, not {r:?}"),
    }
}

#[test]
fn options_section_10_1() {
    let r = request(&message(
        &[
            "OPTIONS * RTSP/1.0",
            "CSeq: 1",
            "Require: implicit-play",
            "Proxy-Require: gzipped-messages",
        ],
        &[],
    ));
    assert_eq!(
        (&r.method, r.uri.as_str(), r.cseq()),
        (&Method::Options, "*", Some(1))
    );
    assert_eq!(r.headers.get("require"), Some("implicit-play"));
    assert_eq!(r.headers.get("PROXY-REQUIRE"), Some("gzipped-messages"));

    let r = response(&message(
        &[
            "RTSP/1.0 200 OK",
            "CSeq: 1",
            "Public: DESCRIBE, SETUP, TEARDOWN, PLAY, PAUSE",
        ],
        &[],
    ));
    assert_eq!(
        (r.status, r.reason.as_str(), r.cseq()),
        (200, "OK", Some(1))
    );
    assert_eq!(
        public_methods(r.headers.get("Public").unwrap()),
        [
            Method::Describe,
            Method::Setup,
            Method::Teardown,
            Method::Play,
            Method::Pause
        ]
    );
}

#[test]
fn describe_section_10_2() {
    let r = request(&message(
        &[
            "DESCRIBE rtsp://server.example.com/fizzle/foo RTSP/1.0",
            "CSeq: 312",
            "Accept: application/sdp, application/rtsl, application/mheg",
        ],
        &[],
    ));
    assert_eq!(r.method, Method::Describe);
    assert_eq!(r.uri, "rtsp://server.example.com/fizzle/foo");
    assert_eq!(r.cseq(), Some(312));

    let sdp = [
        "v=0",
        "o=mhandley 2890844526 2890842807 IN IP4 126.16.64.4",
        "s=SDP Seminar",
        "i=A Seminar on the session description protocol",
        "u=http://www.cs.ucl.ac.uk/staff/M.Handley/sdp.03.ps",
        "e=mjh@isi.edu (Mark Handley)",
        "c=IN IP4 224.2.17.12/127",
        "t=2873397496 2873404696",
        "a=recvonly",
        "m=audio 3456 RTP/AVP 0",
        "m=video 2232 RTP/AVP 31",
        "m=whiteboard 32416 UDP WB",
        "a=orient:portrait",
    ];
    let r = response(&message(
        &[
            "RTSP/1.0 200 OK",
            "CSeq: 312",
            "Date: 23 Jan 1997 15:35:06 GMT",
            "Content-Type: application/sdp",
        ],
        &sdp,
    ));
    assert_eq!(r.cseq(), Some(312));
    assert_eq!(r.headers.get("Content-Type"), Some("application/sdp"));
    let body = std::str::from_utf8(&r.body).unwrap();
    assert_eq!(body.lines().collect::<Vec<_>>(), sdp);
}

#[test]
fn setup_section_10_4() {
    let r = request(&message(
        &[
            "SETUP rtsp://example.com/foo/bar/baz.rm RTSP/1.0",
            "CSeq: 302",
            "Transport: RTP/AVP;unicast;client_port=4588-4589",
        ],
        &[],
    ));
    assert_eq!(r.method, Method::Setup);
    let t = Transport::parse(r.headers.get("Transport").unwrap()).unwrap();
    assert_eq!(t.specs.len(), 1);
    let spec = &t.specs[0];
    assert_eq!(spec.profile, "RTP/AVP");
    assert_eq!(spec.lower, LowerTransport::Udp);
    assert_eq!(spec.cast, Some(Cast::Unicast));
    assert_eq!(spec.client_port, Some(PortRange::pair(4588)));
    assert_eq!(spec.server_port, None);

    let r = response(&message(
        &[
            "RTSP/1.0 200 OK",
            "CSeq: 302",
            "Date: 23 Jan 1997 15:35:06 GMT",
            "Session: 47112344",
            "Transport: RTP/AVP;unicast;client_port=4588-4589;server_port=6256-6257",
        ],
        &[],
    ));
    let session = SessionHeader::parse(r.headers.get("Session").unwrap()).unwrap();
    assert_eq!((session.id.as_str(), session.timeout), ("47112344", None));
    let t = Transport::parse(r.headers.get("Transport").unwrap()).unwrap();
    assert_eq!(t.specs[0].client_port, Some(PortRange::pair(4588)));
    assert_eq!(t.specs[0].server_port, Some(PortRange::pair(6256)));
}

#[test]
fn play_section_10_5() {
    // npt ranges, one after the other, on one session.
    for (cseq, uri, range, start, end) in [
        (
            "833",
            "rtsp://audio.example.com/audio",
            "npt=10-15",
            Duration::from_secs(10),
            Some(Duration::from_secs(15)),
        ),
        (
            "834",
            "rtsp://audio.example.com/audio",
            "npt=20-25",
            Duration::from_secs(20),
            Some(Duration::from_secs(25)),
        ),
        (
            "835",
            "rtsp://audio.example.com/audio",
            "npt=30-",
            Duration::from_secs(30),
            None,
        ),
    ] {
        let r = request(&message(
            &[
                &format!("PLAY {uri} RTSP/1.0"),
                &format!("CSeq: {cseq}"),
                "Session: 12345678",
                &format!("Range: {range}"),
            ],
            &[],
        ));
        assert_eq!(r.method, Method::Play);
        let parsed = Range::parse(r.headers.get("Range").unwrap()).unwrap();
        assert_eq!(parsed.npt_start(), Some(NptTime::At(start)), "{range}");
        match parsed {
            Range::Npt { end: e, .. } => assert_eq!(e, end.map(NptTime::At), "{range}"),
            other => panic!("{range}: {other:?}"),
        }
    }

    // SMPTE with a wall-clock `time=` for when to start.
    let r = request(&message(
        &[
            "PLAY rtsp://audio.example.com/twister.en RTSP/1.0",
            "CSeq: 833",
            "Session: 12345678",
            "Range: smpte=0:10:20-;time=19970123T153600Z",
        ],
        &[],
    ));
    let parsed = Range::parse(r.headers.get("Range").unwrap()).unwrap();
    assert!(matches!(parsed, Range::Smpte { .. }), "{parsed:?}");
    assert_eq!(parsed.npt_start(), None);

    // An absolute clock range.
    let r = request(&message(
        &[
            "PLAY rtsp://audio.example.com/meeting.en RTSP/1.0",
            "CSeq: 835",
            "Session: 12345678",
            "Range: clock=19961108T142300Z-19961108T143520Z",
        ],
        &[],
    ));
    let parsed = Range::parse(r.headers.get("Range").unwrap()).unwrap();
    assert!(matches!(parsed, Range::Clock { .. }), "{parsed:?}");

    let r = response(&message(
        &[
            "RTSP/1.0 200 OK",
            "CSeq: 833",
            "Date: 23 Jan 1997 15:35:06 GMT",
            "Range: smpte=0:10:22-;time=19970123T153600Z",
        ],
        &[],
    ));
    assert_eq!(r.cseq(), Some(833));
}

#[test]
fn pause_teardown_and_record_sections_10_6_10_7_10_11() {
    for (line, method, cseq) in [
        (
            "PAUSE rtsp://example.com/fizzle/foo RTSP/1.0",
            Method::Pause,
            834,
        ),
        (
            "TEARDOWN rtsp://example.com/fizzle/foo RTSP/1.0",
            Method::Teardown,
            892,
        ),
        (
            "RECORD rtsp://example.com/meeting/audio.en RTSP/1.0",
            Method::Record,
            954,
        ),
    ] {
        let cseq_line = format!("CSeq: {cseq}");
        let mut head = vec![line, cseq_line.as_str(), "Session: 12345678"];
        if method == Method::Record {
            head.push("Conference: 128.16.64.19/32492374");
        }
        let r = request(&message(&head, &[]));
        assert_eq!((&r.method, r.cseq()), (&method, Some(cseq)));
        assert_eq!(r.headers.get("Session"), Some("12345678"));
    }
    let r = response(&message(&["RTSP/1.0 200 OK", "CSeq: 892"], &[]));
    assert_eq!((r.status, r.cseq()), (200, Some(892)));
}

#[test]
fn get_and_set_parameter_sections_10_8_10_9() {
    let r = request(&message(
        &[
            "GET_PARAMETER rtsp://example.com/fizzle/foo RTSP/1.0",
            "CSeq: 431",
            "Content-Type: text/parameters",
            "Session: 12345678",
        ],
        &["packets_received", "jitter"],
    ));
    assert_eq!(r.method, Method::GetParameter);
    assert_eq!(&r.body[..], b"packets_received\r\njitter\r\n");

    let r = response(&message(
        &[
            "RTSP/1.0 200 OK",
            "CSeq: 431",
            "Content-Type: text/parameters",
        ],
        &["packets_received: 10", "jitter: 0.3838"],
    ));
    assert_eq!(&r.body[..], b"packets_received: 10\r\njitter: 0.3838\r\n");

    let r = request(&message(
        &[
            "SET_PARAMETER rtsp://example.com/fizzle/foo RTSP/1.0",
            "CSeq: 421",
            "Content-type: text/parameters",
        ],
        &["barparam: barstuff"],
    ));
    assert_eq!(r.method, Method::SetParameter);
    assert_eq!(r.headers.get("content-type"), Some("text/parameters"));

    let r = response(&message(
        &[
            "RTSP/1.0 451 Invalid Parameter",
            "CSeq: 421",
            "Content-type: text/parameters",
        ],
        &["barparam: barstuff"],
    ));
    assert_eq!((r.status, r.reason.as_str()), (451, "Invalid Parameter"));
}

#[test]
fn announce_section_10_3() {
    let sdp = [
        "v=0",
        "o=camera1 3080117314 3080118787 IN IP4 195.27.192.36",
        "s=IETF Meeting, Munich - 1",
        "i=The thirty-ninth IETF meeting will be held in Munich, Germany",
        "u=http://www.ietf.org/meetings/Munich.html",
        "e=IETF Channel 1 <ietf39-mbone@uni-koeln.de>",
        "p=IETF Channel 1 +49-172-2312 451",
        "c=IN IP4 224.0.1.11/127",
        "t=3080271600 3080703600",
        "a=tool:sdr v2.4a6",
        "a=type:test",
        "m=audio 21010 RTP/AVP 5",
        "c=IN IP4 224.0.1.11/127",
        "a=ptime:40",
        "m=video 61010 RTP/AVP 31",
        "c=IN IP4 224.0.1.12/127",
    ];
    let r = request(&message(
        &[
            "ANNOUNCE rtsp://server.example.com/fizzle/foo RTSP/1.0",
            "CSeq: 312",
            "Date: 23 Jan 1997 15:35:06 GMT",
            "Session: 47112344",
            "Content-Type: application/sdp",
        ],
        &sdp,
    ));
    assert_eq!(r.method, Method::Announce);
    assert_eq!(
        std::str::from_utf8(&r.body).unwrap().lines().count(),
        sdp.len()
    );
}

#[test]
fn transport_and_rtp_info_sections_12_33_12_39_and_14_1() {
    // Two specs in order of preference; quoted modes.
    let t = Transport::parse(
        "RTP/AVP;multicast;ttl=127;mode=\"PLAY\", RTP/AVP;unicast;client_port=3456-3457;mode=\"PLAY\"",
    )
    .unwrap();
    assert_eq!(t.specs.len(), 2);
    assert_eq!(t.specs[0].cast, Some(Cast::Multicast));
    assert_eq!(t.specs[0].ttl, Some(127));
    assert_eq!(t.specs[0].mode, [TransportMode::Play]);
    assert_eq!(t.specs[1].cast, Some(Cast::Unicast));
    assert_eq!(t.specs[1].client_port, Some(PortRange::pair(3456)));

    // Section 14.1 writes the protocol in lower case.
    let r = request(&message(
        &[
            "SETUP rtsp://audio.example.com/twister/audio.en RTSP/1.0",
            "CSeq: 1",
            "Transport: rtp/avp/udp;unicast;client_port=3056-3057",
        ],
        &[],
    ));
    let t = Transport::parse(r.headers.get("Transport").unwrap()).unwrap();
    assert_eq!(t.specs[0].lower, LowerTransport::Udp);
    assert_eq!(t.specs[0].client_port, Some(PortRange::pair(3056)));
    let r = response(&message(
        &[
            "RTSP/1.0 200 OK",
            "CSeq: 1",
            "Session: 12345678",
            "Transport: RTP/AVP/UDP;unicast;client_port=3056-3057;server_port=5000-5001",
        ],
        &[],
    ));
    let t = Transport::parse(r.headers.get("Transport").unwrap()).unwrap();
    assert_eq!(t.specs[0].server_port, Some(PortRange::pair(5000)));

    // Interleaved over TCP (section 10.12).
    let t = Transport::parse("RTP/AVP/TCP;interleaved=0-1").unwrap();
    assert_eq!(t.specs[0].lower, LowerTransport::Tcp);
    assert_eq!(t.specs[0].interleaved, Some((0, Some(1))));

    // RTP-Info (section 12.33).
    let info = RtpInfoHeader::parse(
        "url=rtsp://foo.com/bar.avi/streamid=0;seq=45102, url=rtsp://foo.com/bar.avi/streamid=1;seq=30211",
    )
    .unwrap();
    assert_eq!(info.entries.len(), 2);
    assert_eq!(info.entries[0].url, "rtsp://foo.com/bar.avi/streamid=0");
    assert_eq!(info.entries[0].seq, Some(45102));
    assert_eq!(info.entries[1].url, "rtsp://foo.com/bar.avi/streamid=1");
    assert_eq!(info.entries[1].seq, Some(30211));
    assert_eq!(info.entries[1].rtptime, None);
}

#[test]
fn interleaved_data_section_10_12() {
    // An RTP packet and an RTCP packet on channels 0 and 1, between
    // messages, as the RFC's SETUP with `interleaved=0-1` sets up.
    let mut bytes = message(&["RTSP/1.0 200 OK", "CSeq: 3", "Session: 12345678"], &[]);
    bytes.extend_from_slice(b"$\x00\x00\x0c\x80\x60\x00\x01\x00\x00\x00\x00\xde\xad\xbe\xef");
    bytes.extend_from_slice(b"$\x01\x00\x04\x81\xcb\x00\x00");
    let mut reader = MessageReader::new(ReaderConfig::default());
    reader.push(&bytes);
    let Some(Frame::Message(Message::Response(r))) = reader.poll_frame().unwrap() else {
        panic!("the response first");
    };
    assert_eq!(r.cseq(), Some(3));
    assert_eq!(
        reader.poll_frame().unwrap(),
        Some(Frame::Interleaved {
            channel: 0,
            data: bytes::Bytes::from_static(b"\x80\x60\x00\x01\x00\x00\x00\x00\xde\xad\xbe\xef"),
        })
    );
    assert_eq!(
        reader.poll_frame().unwrap(),
        Some(Frame::Interleaved {
            channel: 1,
            data: bytes::Bytes::from_static(b"\x81\xcb\x00\x00"),
        })
    );
    assert_eq!(reader.poll_frame().unwrap(), None);
}
