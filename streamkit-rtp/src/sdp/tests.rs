//! The SDP parser and writer against RFC 8866's example, every line type,
//! lenient input and exact errors.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may fail loudly

use super::*;

/// The example of RFC 8866 section 5.
const RFC8866_EXAMPLE: &str = "v=0\r\n\
    o=jdoe 3724394400 3724394405 IN IP4 198.51.100.1\r\n\
    s=Call to John Smith\r\n\
    i=SDP Offer #1\r\n\
    u=http://www.jdoe.example.com/home.html\r\n\
    e=Jane Doe <jane@jdoe.example.com>\r\n\
    p=+1 617 555-6011\r\n\
    c=IN IP4 198.51.100.1\r\n\
    t=0 0\r\n\
    m=audio 49170 RTP/AVP 0\r\n\
    m=audio 49180 RTP/AVP 0\r\n\
    m=video 51372 RTP/AVP 99\r\n\
    c=IN IP6 2001:db8::2\r\n\
    a=rtpmap:99 h263-1998/90000\r\n";

#[test]
fn rfc8866_example_parses_and_writes_back() {
    let sd = SessionDescription::parse(RFC8866_EXAMPLE).unwrap();
    assert_eq!(sd.version, 0);
    assert_eq!(sd.origin.username, "jdoe");
    assert_eq!(sd.origin.session_id, "3724394400");
    assert_eq!(sd.origin.session_version, "3724394405");
    assert_eq!(sd.origin.unicast_address, "198.51.100.1");
    assert_eq!(sd.session_name, "Call to John Smith");
    assert_eq!(sd.information.as_deref(), Some("SDP Offer #1"));
    assert_eq!(
        sd.uri.as_deref(),
        Some("http://www.jdoe.example.com/home.html")
    );
    assert_eq!(sd.emails, ["Jane Doe <jane@jdoe.example.com>"]);
    assert_eq!(sd.phones, ["+1 617 555-6011"]);
    assert_eq!(sd.connection.as_ref().unwrap().address, "198.51.100.1");
    assert_eq!(sd.times.len(), 1);
    assert_eq!(sd.media.len(), 3);
    assert_eq!(sd.media[0].media, "audio");
    assert_eq!(sd.media[0].port, 49170);
    assert_eq!(sd.media[0].formats, ["0"]);
    assert_eq!(sd.media[1].port, 49180);
    let v = &sd.media[2];
    assert_eq!((v.media.as_str(), v.port), ("video", 51372));
    assert_eq!(v.connections[0].addr_type, "IP6");
    assert_eq!(v.connections[0].address, "2001:db8::2");
    let map = v.attributes.rtpmap(99).unwrap().unwrap();
    assert_eq!(map.encoding_name, "h263-1998");
    assert_eq!(map.clock_rate, 90_000);
    assert_eq!(sd.write().unwrap(), RFC8866_EXAMPLE);
}

#[test]
fn every_line_type() {
    let text = "v=0\n\
        o=- 1 2 IN IP4 10.0.0.1\n\
        s=All\n\
        i=info\n\
        u=rtsp://example.com/x\n\
        e=a@example.com\n\
        e=b@example.com\n\
        p=+1 555\n\
        c=IN IP4 224.2.17.12/127\n\
        b=CT:1000\n\
        b=AS:500\n\
        t=2873397496 2873404696\n\
        r=604800 3600 0 90000\n\
        r=7d 1h 0 25h\n\
        t=0 0\n\
        z=2882844526 -1h 2898848070 0\n\
        k=prompt\n\
        a=recvonly\n\
        a=tool:x\n\
        m=audio 49230/2 RTP/AVP 96 97\n\
        i=the audio\n\
        c=IN IP4 10.0.0.2\n\
        c=IN IP4 10.0.0.3\n\
        b=AS:64\n\
        k=clear:abc\n\
        a=rtpmap:96 L8/8000\n\
        a=sendonly\n";
    let sd = SessionDescription::parse(text).unwrap();
    assert_eq!(sd.emails.len(), 2);
    assert_eq!(sd.bandwidths[1].bw_type, "AS");
    assert_eq!(sd.bandwidths[1].bandwidth, 500);
    assert_eq!(sd.times.len(), 2);
    assert_eq!(sd.times[0].start, 2_873_397_496);
    assert_eq!(sd.times[0].repeats, ["604800 3600 0 90000", "7d 1h 0 25h"]);
    assert_eq!(
        sd.time_zones.as_deref(),
        Some("2882844526 -1h 2898848070 0")
    );
    assert_eq!(sd.key.as_deref(), Some("prompt"));
    assert_eq!(sd.attributes.direction(), Some(Direction::RecvOnly));
    let m = &sd.media[0];
    assert_eq!(m.num_ports, Some(2));
    assert_eq!(m.formats, ["96", "97"]);
    assert_eq!(m.information.as_deref(), Some("the audio"));
    assert_eq!(m.connections.len(), 2);
    assert_eq!(m.key.as_deref(), Some("clear:abc"));
    assert_eq!(m.attributes.direction(), Some(Direction::SendOnly));
    let written = sd.write().unwrap();
    assert_eq!(written, text.replace('\n', "\r\n"));
    assert_eq!(SessionDescription::parse(&written).unwrap(), sd);
}

#[test]
fn lenient_line_ends_and_trailing_space() {
    let text = "v=0 \r\no=- 0 0 IN IP4 127.0.0.1\t\n\ns=x\r\nt=0 0\n\nm=video 0 RTP/AVP 96  \r\na=control:streamid=0 \n";
    let sd = SessionDescription::parse(text).unwrap();
    assert_eq!(sd.media[0].formats, ["96"]);
    assert_eq!(sd.media[0].attributes.control(), Some("streamid=0"));
}

#[test]
fn errors_name_line_and_column() {
    let e = |t: &str| SessionDescription::parse(t).unwrap_err();
    assert_eq!(
        e("v=0\r\no=- 0 0 IN IP4\r\n"),
        SdpError::Syntax {
            line: 2,
            column: 15,
            what: "expected `<username> <sess-id> <sess-version> <nettype> <addrtype> <unicast-address>`"
        }
    );
    assert_eq!(
        e("v=0\no=- 0 0 IN IP4 h\ns=x\nt=0 zero\n"),
        SdpError::Syntax {
            line: 4,
            column: 5,
            what: "expected a stop time in decimal"
        }
    );
    assert_eq!(
        e("v=0\no=- 0 0 IN IP4 h\ns=x\nt=0 0\nm=video 70000 RTP/AVP 96\n"),
        SdpError::Syntax {
            line: 5,
            column: 9,
            what: "port above 65535"
        }
    );
    assert!(matches!(
        e("o=- 0 0 IN IP4 h\nv=0\n"),
        SdpError::Order {
            line: 1,
            kind: 'o',
            ..
        }
    ));
    assert!(matches!(
        e("v=0\no=- 0 0 IN IP4 h\ns=x\nc=IN IP4 h\ni=late\nt=0 0\n"),
        SdpError::Order {
            line: 5,
            kind: 'i',
            ..
        }
    ));
    assert!(matches!(
        e("v=0\no=- 0 0 IN IP4 h\ns=x\nt=0 0\nm=audio 1 RTP/AVP 0\na=x\nc=IN IP4 h\n"),
        SdpError::Order {
            line: 7,
            kind: 'c',
            ..
        }
    ));
    assert!(matches!(
        e("v=0\no=- 0 0 IN IP4 h\ns=x\nt=0 0\nx=1\n"),
        SdpError::Order {
            line: 5,
            kind: 'x',
            ..
        }
    ));
    assert_eq!(
        e("v=0\no=- 0 0 IN IP4 h\ns=x\n"),
        SdpError::Missing { kind: 't' }
    );
    assert!(matches!(
        e("v=0\no=- 0 0 IN IP4 h\ns=x\nt=0 0\nm=audio 1 RTP/AVP 0\nV=1\n"),
        SdpError::Syntax {
            line: 6,
            column: 1,
            ..
        }
    ));
    assert!(matches!(
        SessionDescription::parse_bytes(b"v=0\no=\xff"),
        Err(SdpError::NotUtf8 { offset: 6 })
    ));
}

#[test]
fn writer_rejects_fields_that_break_the_syntax() {
    let mut sd = SessionDescription::parse("v=0\no=- 0 0 IN IP4 h\ns=x\nt=0 0\n").unwrap();
    sd.information = Some("two\r\nlines".into());
    assert!(matches!(
        sd.write(),
        Err(SdpError::Unwritable { field: "i=", .. })
    ));
    sd.information = None;
    sd.origin.username = "a b".into();
    assert!(matches!(
        sd.write(),
        Err(SdpError::Unwritable {
            field: "o= username",
            ..
        })
    ));
    sd.origin.username = "-".into();
    sd.session_name = String::new();
    assert_eq!(
        sd.write().unwrap(),
        "v=0\r\no=- 0 0 IN IP4 h\r\ns= \r\nt=0 0\r\n"
    );
}
