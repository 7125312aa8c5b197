//! The examples of RFC 7826 (RTSP 2.0) sections 13.3, 13.4, 13.6, 14
//! and 18.29, with CRLF line ends and the RFC's folded lines folded as it
//! prints them: each message parses, fed one byte at a time, to what the
//! RFC says it means, and the typed headers written back give the RFC's
//! values byte for byte (a folded value as one line, its fold one space
//! where the RFC's syntax has whitespace there, none where it has none).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may fail loudly

use std::time::Duration;

use streamkit_rtsp::header::{
    AcceptRanges, LowerTransport, MediaProperties, MediaProperty, NptTime, Range, RangeUnit,
    RtpInfoHeader, SeekStyle, SessionHeader, Transport, TransportAddress, TransportMode,
};
use streamkit_rtsp::message::{
    Frame, Message, MessageReader, Method, ReaderConfig, Request, Response, Version,
};

/// The RFC's lines joined with CRLF and an empty line after them.
fn message(head: &[&str]) -> Vec<u8> {
    let mut out = String::new();
    for line in head {
        out.push_str(line);
        out.push_str("\r\n");
    }
    out.push_str("\r\n");
    out.into_bytes()
}

/// Reads exactly one message from `bytes`, fed one byte at a time.
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
    m
}

fn request(bytes: &[u8]) -> Request {
    match read_one(bytes) {
        Message::Request(r) => r,
        Message::Response(r) => panic!("a request, not {r:?}"),
    }
}

fn response(bytes: &[u8]) -> Response {
    match read_one(bytes) {
        Message::Response(r) => r,
        Message::Request(r) => panic!("a response, not {r:?}"),
    }
}

/// A header value as one line: every run of whitespace one space, then
/// none after `;` or `/` (where the RFC's syntax has no whitespace and
/// only its folding put some).
fn unfold(value: &str) -> String {
    value
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .replace("/ \"", "/\"")
        .replace("; ", ";")
}

/// Section 13.3: a SETUP offering UDP to the client's own address
/// (ports only) or TCP, and the answer with the addresses both ways.
#[test]
fn setup_with_dest_addr_and_src_addr() {
    let req = request(&message(&[
        "SETUP rtsp://example.com/foo/bar/baz.rm RTSP/2.0",
        "CSeq: 302",
        "Transport: RTP/AVP;unicast;dest_addr=\":4588\"/\":4589\",",
        "           RTP/AVP/TCP;unicast;interleaved=0-1",
        "Accept-Ranges: npt, clock",
        "User-Agent: PhonyClient/1.2",
    ]));
    assert_eq!(req.method, Method::Setup);
    assert_eq!(req.version, Version::Rtsp20);
    assert_eq!(req.cseq(), Some(302));
    let t = Transport::parse(req.headers.get("transport").unwrap()).unwrap();
    assert_eq!(t.specs.len(), 2);
    assert_eq!(t.specs[0].lower, LowerTransport::Udp);
    assert_eq!(
        t.specs[0].dest_addr,
        [TransportAddress::port(4588), TransportAddress::port(4589)]
    );
    assert_eq!(t.specs[1].lower, LowerTransport::Tcp);
    assert_eq!(t.specs[1].interleaved, Some((0, Some(1))));
    assert_eq!(
        t.to_string(),
        "RTP/AVP;unicast;dest_addr=\":4588\"/\":4589\",RTP/AVP/TCP;unicast;interleaved=0-1"
    );
    let ranges = AcceptRanges::parse(req.headers.get("accept-ranges").unwrap()).unwrap();
    assert_eq!(ranges.units, [RangeUnit::Npt, RangeUnit::Clock]);
    assert_eq!(ranges.to_string(), "npt, clock");

    let res = response(&message(&[
        "RTSP/2.0 200 OK",
        "CSeq: 302",
        "Date: Thu, 23 Jan 1997 15:35:06 GMT",
        "Server: PhonyServer/1.1",
        "Session: QKyjN8nt2WqbWw4tIYof52;timeout=60",
        "Transport: RTP/AVP;unicast;dest_addr=\"192.0.2.53:4588\"/",
        "           \"192.0.2.53:4589\"; src_addr=\"198.51.100.241:6256\"/",
        "           \"198.51.100.241:6257\"; ssrc=2A3F93ED",
        "Accept-Ranges: npt",
        "Media-Properties: Random-Access=3.2, Time-Progressing,",
        "                  Time-Duration=3600.0",
        "Media-Range: npt=0-2893.23",
    ]));
    assert_eq!(
        (res.version, res.status, res.reason.as_str()),
        (Version::Rtsp20, 200, "OK")
    );
    let session = SessionHeader::parse(res.headers.get("session").unwrap()).unwrap();
    assert_eq!(
        (session.id.as_str(), session.timeout),
        ("QKyjN8nt2WqbWw4tIYof52", Some(60))
    );
    assert_eq!(session.to_string(), "QKyjN8nt2WqbWw4tIYof52;timeout=60");
    let value = res.headers.get("transport").unwrap();
    let t = Transport::parse(value).unwrap();
    let spec = &t.specs[0];
    assert_eq!(
        spec.dest_addr,
        [
            TransportAddress::at("192.0.2.53", 4588),
            TransportAddress::at("192.0.2.53", 4589)
        ]
    );
    assert_eq!(
        spec.src_addr,
        [
            TransportAddress::at("198.51.100.241", 6256),
            TransportAddress::at("198.51.100.241", 6257)
        ]
    );
    assert_eq!(spec.ssrc, Some(0x2A3F_93ED));
    assert_eq!(t.to_string(), unfold(value));
    assert_eq!(
        t.to_string(),
        "RTP/AVP;unicast;dest_addr=\"192.0.2.53:4588\"/\"192.0.2.53:4589\";\
         src_addr=\"198.51.100.241:6256\"/\"198.51.100.241:6257\";ssrc=2A3F93ED"
    );
    let value = res.headers.get("media-properties").unwrap();
    let p = MediaProperties::parse(value).unwrap();
    assert_eq!(
        p.properties,
        [
            MediaProperty::RandomAccess(Some(Duration::from_millis(3200))),
            MediaProperty::TimeProgressing,
            MediaProperty::TimeDuration(Duration::from_secs(3600)),
        ]
    );
    assert_eq!(p.to_string(), unfold(value));
    assert_eq!(
        p.to_string(),
        "Random-Access=3.2, Time-Progressing, Time-Duration=3600.0"
    );
    let range = Range::parse(res.headers.get("media-range").unwrap()).unwrap();
    assert_eq!(
        range,
        Range::Npt {
            start: Some(NptTime::At(Duration::ZERO)),
            end: Some(NptTime::At(Duration::from_millis(2_893_230)))
        }
    );
    assert_eq!(range.to_string(), "npt=0-2893.230");
}

/// Section 13.3's second answer: addresses both ways, mode, and a
/// dynamic presentation kept until a time.
#[test]
fn setup_answer_with_mode_and_time_limited() {
    let res = response(&message(&[
        "RTSP/2.0 200 OK",
        "CSeq: 302",
        "Date: Fri, 20 Dec 2013 10:20:32 +0000",
        "Session: rQi1hBrGlFdiYld241FxUO",
        "Transport: RTP/AVP;unicast;dest_addr=\"192.0.2.5:3456\"/",
        "\t\"192.0.2.5:3457\";src_addr=\"192.0.2.224:6256\"/",
        "\t\"192.0.2.224:6257\";mode=\"PLAY\"",
        "Accept-Ranges: npt",
        "Media-Properties: Random-Access=0.6, Dynamic,",
        "\tTime-Limited=20081128T165900",
    ]));
    let value = res.headers.get("transport").unwrap();
    let t = Transport::parse(value).unwrap();
    assert_eq!(t.specs[0].mode, [TransportMode::Play]);
    assert_eq!(
        t.specs[0].src_addr[1],
        TransportAddress::at("192.0.2.224", 6257)
    );
    assert_eq!(t.to_string(), unfold(value));
    let value = res.headers.get("media-properties").unwrap();
    let p = MediaProperties::parse(value).unwrap();
    assert_eq!(
        p.properties,
        [
            MediaProperty::RandomAccess(Some(Duration::from_millis(600))),
            MediaProperty::Dynamic,
            MediaProperty::TimeLimited("20081128T165900".into()),
        ]
    );
    assert!(p.is_seekable());
    assert_eq!(p.to_string(), unfold(value));
    assert_eq!(
        AcceptRanges::parse(res.headers.get("accept-ranges").unwrap())
            .unwrap()
            .to_string(),
        "npt"
    );
}

/// Section 13.4: a PLAY answer with the range played, the seek policy
/// used and RTSP 2.0's RTP-Info.
#[test]
fn play_answer_with_seek_style_and_rtp_info() {
    let res = response(&message(&[
        "RTSP/2.0 200 OK",
        "CSeq: 836",
        "Date: Thu, 23 Jan 1997 15:35:06 GMT",
        "Server: PhonyServer/1.0",
        "Range: npt=3.51-324.39",
        "Seek-Style: First-Prior",
        "Session: ULExwZCXh2pd0xuFgkgZJW",
        "RTP-Info: url=\"rtsp://example.com/audio\"",
        "  ssrc=0D12F123:seq=14783;rtptime=2345962545",
    ]));
    let range = Range::parse(res.headers.get("range").unwrap()).unwrap();
    assert_eq!(
        range,
        Range::Npt {
            start: Some(NptTime::At(Duration::from_millis(3510))),
            end: Some(NptTime::At(Duration::from_millis(324_390)))
        }
    );
    let style = SeekStyle::parse(res.headers.get("seek-style").unwrap()).unwrap();
    assert_eq!(style, SeekStyle::FirstPrior);
    assert_eq!(style.to_string(), "First-Prior");
    let value = res.headers.get("rtp-info").unwrap();
    let info = RtpInfoHeader::parse(value).unwrap();
    assert_eq!(info.entries.len(), 1);
    let e = &info.entries[0];
    assert_eq!(e.url, "rtsp://example.com/audio");
    assert_eq!(
        (e.ssrc, e.seq, e.rtptime),
        (Some(0x0D12_F123), Some(14783), Some(2_345_962_545))
    );
    assert_eq!(info.to_v2_string(), unfold(value));
    assert_eq!(
        info.to_v2_string(),
        "url=\"rtsp://example.com/audio\" ssrc=0D12F123:seq=14783;rtptime=2345962545"
    );
}

/// Section 13.6: a PAUSE answer says where the media paused.
#[test]
fn pause_answer_range() {
    let res = response(&message(&[
        "RTSP/2.0 200 OK",
        "CSeq: 834",
        "Date: Thu, 23 Jan 1997 15:35:06 GMT",
        "Session: OoOUPyUwt0VeY9fFRHuZ6L",
        "Range: npt=45.76-75.00",
    ]));
    let range = Range::parse(res.headers.get("range").unwrap()).unwrap();
    assert_eq!(
        range,
        Range::Npt {
            start: Some(NptTime::At(Duration::from_millis(45_760))),
            end: Some(NptTime::At(Duration::from_secs(75)))
        }
    );
}

/// Section 14: interleaved channels chosen by the server, and a file's
/// media properties.
#[test]
fn interleaved_setup_answer() {
    let req = request(&message(&[
        "SETUP rtsp://example.com/bar.file RTSP/2.0",
        "CSeq: 2",
        "Transport: RTP/AVP/TCP;unicast;interleaved=0-1",
        "Accept-Ranges: npt, smpte, clock",
        "User-Agent: PhonyClient/1.2",
    ]));
    let ranges = AcceptRanges::parse(req.headers.get("accept-ranges").unwrap()).unwrap();
    assert_eq!(
        ranges.units,
        [
            RangeUnit::Npt,
            RangeUnit::Smpte("smpte".into()),
            RangeUnit::Clock
        ]
    );
    assert_eq!(ranges.to_string(), "npt, smpte, clock");
    let res = response(&message(&[
        "RTSP/2.0 200 OK",
        "CSeq: 2",
        "Date: Thu, 05 Jun 1997 18:57:18 GMT",
        "Transport: RTP/AVP/TCP;unicast;interleaved=5-6",
        "Session: OccldOFFq23KwjYpAnBbUr",
        "Accept-Ranges: npt",
        "Media-Properties: Random-Access=0.2, Immutable, Unlimited",
    ]));
    let t = Transport::parse(res.headers.get("transport").unwrap()).unwrap();
    assert_eq!(t.specs[0].interleaved, Some((5, Some(6))));
    assert_eq!(t.to_string(), "RTP/AVP/TCP;unicast;interleaved=5-6");
    let value = res.headers.get("media-properties").unwrap();
    let p = MediaProperties::parse(value).unwrap();
    assert_eq!(
        p.properties,
        [
            MediaProperty::RandomAccess(Some(Duration::from_millis(200))),
            MediaProperty::Immutable,
            MediaProperty::Unlimited,
        ]
    );
    assert_eq!(p.to_string(), value);
}

/// Section 18.29's example: scales kept as the quoted list.
#[test]
fn media_properties_with_scales() {
    let value = "Random-Access=2.5, Unlimited, Immutable, \
                 Scales=\"-20, -10, -4, 0.5:1.5, 4, 8, 10, 15, 20\"";
    let p = MediaProperties::parse(value).unwrap();
    assert_eq!(
        p.properties,
        [
            MediaProperty::RandomAccess(Some(Duration::from_millis(2500))),
            MediaProperty::Unlimited,
            MediaProperty::Immutable,
            MediaProperty::Scales("-20, -10, -4, 0.5:1.5, 4, 8, 10, 15, 20".into()),
        ]
    );
    assert_eq!(p.to_string(), value);
}

/// Section 13.5: the client's answer to a PLAY_NOTIFY (the RFC's), and
/// an end-of-stream notification with the headers section 13.5.1 asks
/// for.
#[test]
fn play_notify_answer_and_request_line() {
    let res = response(&message(&[
        "RTSP/2.0 200 OK",
        "CSeq: 854",
        "User-Agent: PhonyClient/1.2",
        "Session: CDtUJfDQXJWtJ7Iqua2xOi",
    ]));
    assert_eq!(res.cseq(), Some(854));
    let req = request(&message(&[
        "PLAY_NOTIFY rtsp://example.com/fizzle/foo RTSP/2.0",
        "CSeq: 854",
        "Notify-Reason: end-of-stream",
        "Request-Status: cseq=853 status=200 reason=\"OK\"",
        "Session: CDtUJfDQXJWtJ7Iqua2xOi",
    ]));
    assert_eq!(req.method, Method::PlayNotify);
    let status =
        streamkit_rtsp::header::RequestStatus::parse(req.headers.get("request-status").unwrap())
            .unwrap();
    assert_eq!(
        (status.cseq, status.status, status.reason.as_str()),
        (853, 200, "OK")
    );
    assert_eq!(status.to_string(), "cseq=853 status=200 reason=\"OK\"");
    assert_eq!(
        streamkit_rtsp::header::NotifyReason::parse(req.headers.get("notify-reason").unwrap())
            .unwrap(),
        streamkit_rtsp::header::NotifyReason::EndOfStream
    );
}
