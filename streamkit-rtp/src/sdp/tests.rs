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
    let e = |t: &str| SessionDescription::parse_strict(t).unwrap_err();
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
        SessionDescription::parse_bytes_strict(b"v=0\no=\xff"),
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

/// The lenient read's warnings as `(line, deviation, resolution)`.
fn warnings(text: &str) -> Vec<(usize, Deviation, Resolution)> {
    let sd = SessionDescription::parse(text).unwrap();
    assert!(
        SessionDescription::parse_strict(text).is_err() || sd.warnings.is_empty(),
        "strict read what warns"
    );
    // Whatever was read writes, and reads back the same.
    let back = SessionDescription::parse(&sd.write().unwrap()).unwrap();
    assert_eq!(back.media, sd.media);
    assert_eq!(back.origin, sd.origin);
    sd.warnings
        .into_iter()
        .map(|w| (w.line, w.deviation, w.resolution))
        .collect()
}

const HEAD: &str = "v=0\no=- 1 1 IN IP4 h\ns=x\nt=0 0\n";

#[test]
fn lines_that_do_not_belong_are_dropped_with_a_warning() {
    use Resolution::*;
    assert_eq!(
        warnings(&format!("{HEAD}y=vendor\nContent-Length: 0\ns=again\n")),
        [
            (5, Deviation::UnknownType { kind: 'y' }, Dropped),
            (
                6,
                Deviation::NotALine {
                    text: "Content-Length: 0".into()
                },
                Dropped
            ),
            (
                7,
                Deviation::Repeated {
                    kind: 's',
                    value: "again".into()
                },
                Dropped
            ),
        ]
    );
    // A media section whose m= does not read goes whole; the next stays.
    let text =
        format!("{HEAD}m=video x RTP/AVP 96\na=rtpmap:96 H264/90000\nbogus\nm=audio 0 RTP/AVP 0\n");
    assert_eq!(
        warnings(&text),
        [
            (
                5,
                Deviation::UnreadableMedia {
                    what: "expected a port number",
                    lines: 3
                },
                Dropped
            ),
            (
                7,
                Deviation::NotALine {
                    text: "bogus".into()
                },
                Dropped
            ),
        ]
    );
    let sd = SessionDescription::parse(&text).unwrap();
    assert_eq!(sd.media.len(), 1);
    assert_eq!(sd.media[0].media, "audio");
    // In a media section: i= and k= once; an empty i= goes.
    assert_eq!(
        warnings(&format!("{HEAD}m=audio 0 RTP/AVP 0\ni=a\ni=b\ni=\n")),
        [
            (
                7,
                Deviation::Repeated {
                    kind: 'i',
                    value: "b".into()
                },
                Dropped
            ),
            (
                8,
                Deviation::Repeated {
                    kind: 'i',
                    value: String::new()
                },
                Dropped
            ),
        ]
    );
}

#[test]
fn values_that_do_not_read() {
    use Resolution::*;
    let unreadable = |kind, what| Deviation::Unreadable { kind, what };
    assert_eq!(
        warnings(&format!(
            "{HEAD}b=AS:lots\nb=:5\nz=soon\nk=no key\na=:x\na=na me\nm=audio 0 RTP/AVP 0\nk=\nc=IN IP4\n"
        )),
        [
            (
                5,
                unreadable('b', "expected a bandwidth in decimal digits"),
                Dropped
            ),
            (
                6,
                unreadable('b', "expected a bandwidth type token"),
                Dropped
            ),
            (
                7,
                unreadable('z', "expected `<adjustment time> <offset>` pairs"),
                Dropped
            ),
            (
                8,
                unreadable('k', "expected `<method>` or `<method>:<key>`"),
                Dropped
            ),
            (9, unreadable('a', "expected an attribute name"), Dropped),
            (
                10,
                unreadable('a', "attribute names have no spaces"),
                Dropped
            ),
            (12, unreadable('k', "an empty value"), Dropped),
            (
                13,
                Deviation::FieldCount {
                    kind: 'c',
                    found: 2,
                    expected: 3
                },
                Dropped
            ),
        ]
    );
    // v=: another version is kept, an unreadable one is read as 0.
    assert_eq!(
        warnings("v=1\no=- 1 1 IN IP4 h\ns=x\nt=0 0\n"),
        [(1, Deviation::Version { found: 1 }, Kept)]
    );
    assert_eq!(
        warnings("v=zero\no=- 1 1 IN IP4 h\ns=x\nt=0 0\n"),
        [(1, unreadable('v', "expected a version number"), Corrected)]
    );
    // t=: one field is a start time; a time that is not a number goes.
    let text = "v=0\no=- 1 1 IN IP4 h\ns=x\nt=3034423619\nt=now 0\n";
    assert_eq!(
        warnings(text),
        [
            (
                4,
                Deviation::FieldCount {
                    kind: 't',
                    found: 1,
                    expected: 2
                },
                Corrected
            ),
            (
                5,
                unreadable('t', "expected a start time in decimal"),
                Dropped
            ),
        ]
    );
    assert_eq!(
        SessionDescription::parse(text).unwrap().times[0].start,
        3_034_423_619
    );
    // A NUL or a bare CR inside a line, and r= that is not repeat times.
    assert_eq!(
        warnings(&format!("{HEAD}r=weekly\ni=a\0b\nu=x\ry\n")),
        [
            (
                5,
                unreadable(
                    'r',
                    "expected `<repeat interval> <active duration> <offset>...`"
                ),
                Dropped
            ),
            (6, unreadable('i', "a NUL or CR inside the line"), Dropped),
            (7, unreadable('u', "a NUL or CR inside the line"), Dropped),
        ]
    );
}

#[test]
fn order_warnings_name_the_lines_that_moved() {
    use Resolution::*;
    let moved = |line, kind| (line, Deviation::OutOfOrder { kind }, Corrected);
    // A block of attributes before t= moves, not t=.
    assert_eq!(
        warnings("v=0\no=- 1 1 IN IP4 h\ns=x\na=a\na=b\na=c\nc=IN IP4 h\nt=0 0\n"),
        [moved(4, 'a'), moved(5, 'a'), moved(6, 'a')]
    );
    // r= away from its t=; media lines out of order.
    assert_eq!(
        warnings(&format!(
            "{HEAD}a=x\nr=1d 1h 0\nm=audio 0 RTP/AVP 0\na=rtpmap:0 PCMU/8000\nc=IN IP4 h\nb=AS:1\n"
        )),
        [moved(6, 'r'), moved(8, 'a')]
    );
    let sd = SessionDescription::parse(&format!("{HEAD}a=x\nr=1d 1h 0\n")).unwrap();
    assert_eq!(sd.times[0].repeats, ["1d 1h 0"]);
    // r= before any t= has nothing to repeat.
    assert_eq!(
        warnings("v=0\no=- 1 1 IN IP4 h\ns=x\nr=1d 1h 0\nt=0 0\n"),
        [(
            4,
            Deviation::Unreadable {
                kind: 'r',
                what: "`r=` before any `t=` line"
            },
            Dropped
        )]
    );
}

#[test]
fn text_that_is_no_description_is_an_error_in_both_modes() {
    for text in [
        "",
        "\r\n\r\n",
        "hello",
        "HTTP/1.1 404 Not Found\r\n",
        "a=x\nm=video 0 RTP/AVP 96\n",
    ] {
        assert_eq!(
            SessionDescription::parse(text),
            Err(SdpError::NotSdp),
            "{text:?}"
        );
        assert!(SessionDescription::parse_strict(text).is_err(), "{text:?}");
    }
    // One o= line is enough to read around.
    let sd = SessionDescription::parse("o=- 1 1 IN IP4 h\n").unwrap();
    assert_eq!(sd.warnings.len(), 3);
    assert_eq!(
        sd.write().unwrap(),
        "v=0\r\no=- 1 1 IN IP4 h\r\ns= \r\nt=0 0\r\n"
    );
}

#[test]
fn origin_fields_found_by_their_values() {
    let origin = |value: &str| {
        let sd = SessionDescription::parse(&format!("v=0\no={value}\ns=x\nt=0 0\n")).unwrap();
        let o = sd.origin;
        [
            o.username,
            o.session_id,
            o.session_version,
            o.net_type,
            o.addr_type,
            o.unicast_address,
        ]
    };
    assert_eq!(
        origin("- 1 1 IN IP4 h 554"),
        ["-", "1", "1", "IN", "IP4", "h"]
    );
    assert_eq!(origin("1 1 IN IP4 h"), ["-", "1", "1", "IN", "IP4", "h"]);
    assert_eq!(
        origin("cam 7 IN IP6 ::1"),
        ["cam", "7", "0", "IN", "IP6", "::1"]
    );
    assert_eq!(origin("- 0 0 IN IP6"), ["-", "0", "0", "IN", "IP6", "::"]);
    assert_eq!(origin("- 1 1 in ipv4 h"), ["-", "1", "1", "IN", "IP4", "h"]);
    assert_eq!(
        origin("camera"),
        ["camera", "0", "0", "IN", "IP4", "0.0.0.0"]
    );
    // A control character: the default origin.
    assert_eq!(
        origin("-\t1 1 IN IP4 h"),
        ["-", "0", "0", "IN", "IP4", "0.0.0.0"]
    );
}

#[test]
fn writer_checks_repeat_zone_and_key_grammar() {
    let mut sd = SessionDescription::parse(HEAD).unwrap();
    sd.times[0].repeats.push(String::new());
    assert!(matches!(
        sd.write(),
        Err(SdpError::Unwritable { field: "r=", .. })
    ));
    sd.times[0].repeats = vec!["7d 1h".into()];
    assert!(matches!(
        sd.write(),
        Err(SdpError::Unwritable { field: "r=", .. })
    ));
    sd.times[0].repeats = vec!["7d 1h 0".into()];
    sd.time_zones = Some("soon".into());
    assert!(matches!(
        sd.write(),
        Err(SdpError::Unwritable { field: "z=", .. })
    ));
    sd.time_zones = Some("2882844526 -1h".into());
    sd.key = Some("clear:".into());
    assert!(matches!(
        sd.write(),
        Err(SdpError::Unwritable { field: "k=", .. })
    ));
    sd.key = Some("clear:x".into());
    assert_eq!(
        sd.write().unwrap(),
        "v=0\r\no=- 1 1 IN IP4 h\r\ns=x\r\nt=0 0\r\nr=7d 1h 0\r\nz=2882844526 -1h\r\nk=clear:x\r\n"
    );
}

#[test]
fn warnings_display_their_line_and_what_became_of_it() {
    let sd = SessionDescription::parse("v=0\no=- 0x1f 1 IP IP4 h\ns=x\nt=0 0\n").unwrap();
    let shown: Vec<String> = sd.warnings.iter().map(ToString::to_string).collect();
    assert_eq!(
        shown,
        [
            "SDP line 2: `o=` sess-id \"0x1f\" is not decimal digits; kept as written",
            "SDP line 2: `o=` network type \"IP\", not `IN`; read in RFC 8866 form",
        ]
    );
    let strict = SessionDescription::parse_strict("v=0\no=- 0x1f 1 IN IP4 h\ns=x\nt=0 0\n");
    assert_eq!(
        strict.unwrap_err().to_string(),
        "strict SDP: SDP line 2: `o=` sess-id \"0x1f\" is not decimal digits; kept as written"
    );
}
