//! Session descriptions in the shapes cameras, NVRs, phone apps, encoders
//! and servers send, one file per quirk in `tests/sdp_quirks/` (written for
//! these tests in those devices' layouts, not captured from them). Each
//! reads leniently with exactly the warnings named here and the values the
//! sender meant; the strict reader refuses exactly those with a warning;
//! and the description writes RFC 8866 that reads back the same (only the
//! values kept as written warn again).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may fail loudly

use std::path::PathBuf;

use streamkit_core::codec::CodecConfig;
use streamkit_rtp::sdp::codec::codec_from_media;
use streamkit_rtp::sdp::{
    Deviation, Resolution, SdpError, SdpWarning, SessionDescription, TimeDescription,
};

/// Every file in `tests/sdp_quirks/`; each has its test below.
const QUIRKS: &[&str] = &[
    "attributes_before_connection_and_time",
    "attributes_before_session_name",
    "connection_address_type_spelling",
    "connection_missing_address_type",
    "connection_unknown_address_type",
    "ffmpeg_rtsp",
    "gstreamer_rtsp_server",
    "origin_decimal_point_session_id",
    "origin_empty_username",
    "origin_extra_fields",
    "origin_hex_session_id",
    "origin_ip_network_type",
    "origin_missing_fields",
    "repeat_time_empty",
    "repeat_times",
    "rtpmap_for_unlisted_payload_type",
    "session_name_after_connection",
    "session_name_missing",
    "session_name_not_utf8",
    "time_line_in_media_section",
    "time_line_missing",
    "trailing_nul",
    "version_after_origin",
    "version_missing",
];

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/sdp_quirks")
}

fn bytes(name: &str) -> Vec<u8> {
    let path = dir().join(format!("{name}.sdp"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn warning(line: usize, deviation: Deviation, resolution: Resolution) -> SdpWarning {
    SdpWarning {
        line,
        deviation,
        resolution,
    }
}

fn without_warnings(sd: &SessionDescription) -> SessionDescription {
    SessionDescription {
        warnings: Vec::new(),
        ..sd.clone()
    }
}

/// Reads `name` leniently and checks what every quirk file must satisfy:
/// the warnings are `expected`; the strict reader fails exactly when there
/// is one; the writer writes it, and the output reads back the same, warns
/// only of the values kept as written, and writes the same bytes again.
fn read(name: &str, expected: &[SdpWarning]) -> (SessionDescription, String) {
    let input = bytes(name);
    let sd = SessionDescription::parse_bytes(&input).unwrap_or_else(|e| panic!("{name}: {e}"));
    assert_eq!(sd.warnings, expected, "{name}");
    let strict = SessionDescription::parse_bytes_strict(&input);
    if expected.is_empty() {
        assert_eq!(strict.as_ref(), Ok(&sd), "{name}: strict");
    } else {
        assert!(strict.is_err(), "{name}: strict read {strict:?}");
    }

    let written = sd.write().unwrap_or_else(|e| panic!("{name}: {e}"));
    assert!(written.ends_with("\r\n") && !written.replace("\r\n", "").contains(['\r', '\n']));
    let back = SessionDescription::parse(&written).unwrap();
    assert_eq!(without_warnings(&back), without_warnings(&sd), "{name}");
    let kept: Vec<&Deviation> = sd
        .warnings
        .iter()
        .filter(|w| w.resolution == Resolution::Kept)
        .map(|w| &w.deviation)
        .collect();
    let again: Vec<&Deviation> = back.warnings.iter().map(|w| &w.deviation).collect();
    assert_eq!(
        again, kept,
        "{name}: the output warns only of the kept values"
    );
    assert_eq!(
        SessionDescription::parse_strict(&written).is_ok(),
        kept.is_empty(),
        "{name}"
    );
    assert_eq!(back.write().unwrap(), written, "{name}: writing is stable");
    (sd, written)
}

#[test]
fn every_quirk_file_has_its_test() {
    let mut names: Vec<String> = std::fs::read_dir(dir())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter_map(|n| n.strip_suffix(".sdp").map(str::to_owned))
        .collect();
    names.sort();
    assert_eq!(names, QUIRKS);
}

#[test]
fn attributes_before_session_name() {
    let (sd, written) = read(
        "attributes_before_session_name",
        &[warning(
            3,
            Deviation::OutOfOrder { kind: 'a' },
            Resolution::Corrected,
        )],
    );
    assert_eq!(
        sd.attributes.control(),
        Some("rtsp://192.0.2.64:554/Streaming/Channels/101/")
    );
    assert_eq!(sd.session_name, "Media Presentation");
    assert_eq!(sd.emails, ["NONE"]);
    assert_eq!(sd.bandwidths[0].bandwidth, 5050);
    let video = &sd.media[0];
    assert_eq!(
        video.attributes.rtpmap(96).unwrap().unwrap().clock_rate,
        90_000
    );
    assert_eq!(
        video.attributes.control(),
        Some("rtsp://192.0.2.64:554/Streaming/Channels/101/trackID=1")
    );
    assert_eq!(video.attributes.len(), 7);
    // Written in its place: after t=.
    assert!(
        written.contains(
            "t=0 0\r\na=control:rtsp://192.0.2.64:554/Streaming/Channels/101/\r\nm=video"
        )
    );
}

#[test]
fn attributes_before_connection_and_time() {
    let (sd, _) = read(
        "attributes_before_connection_and_time",
        &(4..=7)
            .map(|line| {
                warning(
                    line,
                    Deviation::OutOfOrder { kind: 'a' },
                    Resolution::Corrected,
                )
            })
            .collect::<Vec<_>>(),
    );
    let names: Vec<&str> = sd.attributes.iter().map(|a| a.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "control",
            "packetization-supported",
            "rtppayload-supported",
            "range"
        ]
    );
    assert_eq!(sd.connection.as_ref().unwrap().address, "0.0.0.0");
    assert_eq!(sd.times.len(), 1);
    assert_eq!(sd.media.len(), 2);
    let audio = sd.media[1].attributes.rtpmap(8).unwrap().unwrap();
    assert_eq!(
        (audio.encoding_name.as_str(), audio.clock_rate),
        ("PCMA", 8000)
    );
}

#[test]
fn session_name_missing() {
    let (sd, written) = read(
        "session_name_missing",
        &[warning(
            5,
            Deviation::Missing { kind: 's' },
            Resolution::Corrected,
        )],
    );
    assert_eq!(sd.session_name, "");
    assert!(written.contains("o=- 1 1 IN IP4 192.0.2.5\r\ns= \r\nc=IN IP4 0.0.0.0\r\n"));
    // The phone's audio track is read through to its codec.
    let CodecConfig::Aac(aac) = codec_from_media(&sd.media[1], 97).unwrap() else {
        panic!("not AAC")
    };
    assert_eq!(
        (aac.sampling_frequency, aac.channel_configuration),
        (16_000, 1)
    );
}

#[test]
fn session_name_after_connection() {
    let (sd, written) = read(
        "session_name_after_connection",
        &[warning(
            3,
            Deviation::OutOfOrder { kind: 'c' },
            Resolution::Corrected,
        )],
    );
    assert_eq!(sd.session_name, "Session streamed with GStreamer");
    assert_eq!(sd.information.as_deref(), Some("rtsp-server"));
    assert_eq!(sd.connection.as_ref().unwrap().address, "0.0.0.0");
    assert!(written.contains("s=Session streamed with GStreamer\r\ni=rtsp-server\r\nc=IN IP4"));
    // The strict reader names the line that came too late.
    assert!(matches!(
        SessionDescription::parse_bytes_strict(&bytes("session_name_after_connection")),
        Err(SdpError::Order {
            line: 4,
            kind: 's',
            ..
        })
    ));
}

#[test]
fn time_line_missing() {
    let (sd, written) = read(
        "time_line_missing",
        &[warning(
            5,
            Deviation::Missing { kind: 't' },
            Resolution::Corrected,
        )],
    );
    assert_eq!(
        sd.times,
        [TimeDescription {
            start: 0,
            stop: 0,
            repeats: vec![]
        }]
    );
    assert!(written.contains("c=IN IP4 0.0.0.0\r\nt=0 0\r\nm=video"));
    assert_eq!(
        SessionDescription::parse_bytes_strict(&bytes("time_line_missing")),
        Err(SdpError::Missing { kind: 't' })
    );
}

#[test]
fn time_line_in_media_section() {
    let (sd, _) = read(
        "time_line_in_media_section",
        &[warning(
            6,
            Deviation::SessionLineInMedia { kind: 't' },
            Resolution::Corrected,
        )],
    );
    assert_eq!(sd.times.len(), 1);
    assert_eq!(sd.media[0].attributes.control(), Some("track0"));
    assert_eq!(sd.media[0].attributes.len(), 2);
}

#[test]
fn version_missing() {
    let (sd, written) = read(
        "version_missing",
        &[warning(
            11,
            Deviation::Missing { kind: 'v' },
            Resolution::Corrected,
        )],
    );
    assert_eq!(sd.version, 0);
    assert_eq!(sd.origin.session_id, "1288273862851");
    assert!(written.starts_with("v=0\r\no=- 1288273862851 1 IN IP4 192.0.2.7\r\n"));
    assert!(matches!(
        SessionDescription::parse_bytes_strict(&bytes("version_missing")),
        Err(SdpError::Order {
            line: 1,
            kind: 'o',
            ..
        })
    ));
}

#[test]
fn version_after_origin() {
    let (sd, written) = read(
        "version_after_origin",
        &[warning(
            2,
            Deviation::OutOfOrder { kind: 'v' },
            Resolution::Corrected,
        )],
    );
    assert_eq!(sd.version, 0);
    assert!(written.starts_with("v=0\r\no=- "));
}

#[test]
fn origin_hex_session_id() {
    let (sd, written) = read(
        "origin_hex_session_id",
        &[
            warning(
                2,
                Deviation::NotNumeric {
                    field: "sess-id",
                    value: "5A3B2C1D".into(),
                },
                Resolution::Kept,
            ),
            warning(
                2,
                Deviation::NotNumeric {
                    field: "sess-version",
                    value: "5A3B2C1E".into(),
                },
                Resolution::Kept,
            ),
        ],
    );
    assert_eq!(sd.origin.session_id, "5A3B2C1D");
    assert_eq!(sd.origin.session_version, "5A3B2C1E");
    assert!(written.contains("o=- 5A3B2C1D 5A3B2C1E IN IP4 0.0.0.0\r\n"));
}

#[test]
fn origin_decimal_point_session_id() {
    let (sd, _) = read(
        "origin_decimal_point_session_id",
        &[warning(
            2,
            Deviation::NotNumeric {
                field: "sess-id",
                value: "1712345678.123456".into(),
            },
            Resolution::Kept,
        )],
    );
    assert_eq!(sd.origin.session_id, "1712345678.123456");
    assert_eq!(sd.origin.session_version, "1");
}

#[test]
fn origin_ip_network_type() {
    let (sd, written) = read(
        "origin_ip_network_type",
        &[warning(
            2,
            Deviation::NetworkType {
                kind: 'o',
                found: "IP".into(),
            },
            Resolution::Corrected,
        )],
    );
    assert_eq!(sd.origin.net_type, "IN");
    assert!(written.contains("o=- 3 1 IN IP4 192.0.2.20\r\n"));
    let CodecConfig::Aac(aac) = codec_from_media(&sd.media[1], 97).unwrap() else {
        panic!("not AAC")
    };
    assert_eq!(aac.sampling_frequency, 16_000);
}

#[test]
fn origin_empty_username() {
    let (sd, written) = read(
        "origin_empty_username",
        &[warning(2, Deviation::EmptyUsername, Resolution::Corrected)],
    );
    assert_eq!(sd.origin.username, "-");
    assert_eq!(sd.origin.session_id, "1406106000");
    assert_eq!(sd.origin.unicast_address, "192.0.2.30");
    assert!(written.contains("o=- 1406106000 1 IN IP4 192.0.2.30\r\n"));
}

#[test]
fn origin_extra_fields() {
    let (sd, _) = read(
        "origin_extra_fields",
        &[warning(
            2,
            Deviation::FieldCount {
                kind: 'o',
                found: 7,
                expected: 6,
            },
            Resolution::Corrected,
        )],
    );
    let o = &sd.origin;
    assert_eq!(
        [
            &o.username,
            &o.session_id,
            &o.session_version,
            &o.net_type,
            &o.addr_type,
            &o.unicast_address
        ],
        ["IPC", "1", "1", "IN", "IP4", "192.0.2.40"]
    );
}

#[test]
fn origin_missing_fields() {
    let (sd, _) = read(
        "origin_missing_fields",
        &[warning(
            2,
            Deviation::FieldCount {
                kind: 'o',
                found: 5,
                expected: 6,
            },
            Resolution::Corrected,
        )],
    );
    let o = &sd.origin;
    assert_eq!(
        [
            &o.username,
            &o.session_id,
            &o.session_version,
            &o.unicast_address
        ],
        ["-", "1", "0", "192.0.2.50"]
    );
    // The strict reader's error names where the field is missing.
    assert_eq!(
        SessionDescription::parse_bytes_strict(&bytes("origin_missing_fields")),
        Err(SdpError::Syntax {
            line: 2,
            column: 24,
            what: "expected `<username> <sess-id> <sess-version> <nettype> <addrtype> <unicast-address>`"
        })
    );
}

#[test]
fn connection_address_type_spelling() {
    let (sd, written) = read(
        "connection_address_type_spelling",
        &[
            warning(
                4,
                Deviation::AddressType {
                    kind: 'c',
                    found: "IPV4".into(),
                },
                Resolution::Corrected,
            ),
            warning(
                7,
                Deviation::NetworkType {
                    kind: 'c',
                    found: "in".into(),
                },
                Resolution::Corrected,
            ),
            warning(
                7,
                Deviation::AddressType {
                    kind: 'c',
                    found: "ip4".into(),
                },
                Resolution::Corrected,
            ),
        ],
    );
    assert_eq!(sd.connection.as_ref().unwrap().addr_type, "IP4");
    assert_eq!(sd.media[0].connections[0].net_type, "IN");
    assert_eq!(written.matches("c=IN IP4 0.0.0.0\r\n").count(), 2);
}

#[test]
fn connection_unknown_address_type() {
    let (sd, written) = read(
        "connection_unknown_address_type",
        &[warning(
            4,
            Deviation::AddressType {
                kind: 'c',
                found: "ANY".into(),
            },
            Resolution::Kept,
        )],
    );
    assert_eq!(sd.connection.as_ref().unwrap().addr_type, "ANY");
    assert!(written.contains("c=IN ANY 0.0.0.0\r\n"));
}

#[test]
fn connection_missing_address_type() {
    let (sd, _) = read(
        "connection_missing_address_type",
        &[warning(
            4,
            Deviation::FieldCount {
                kind: 'c',
                found: 2,
                expected: 3,
            },
            Resolution::Corrected,
        )],
    );
    let c = sd.connection.as_ref().unwrap();
    assert_eq!(
        [&c.net_type, &c.addr_type, &c.address],
        ["IN", "IP4", "0.0.0.0"]
    );
}

#[test]
fn rtpmap_for_unlisted_payload_type() {
    let (sd, _) = read(
        "rtpmap_for_unlisted_payload_type",
        &[
            warning(
                9,
                Deviation::UnlistedFormat {
                    attribute: "fmtp",
                    format: "98".into(),
                },
                Resolution::Kept,
            ),
            warning(
                12,
                Deviation::UnlistedFormat {
                    attribute: "rtpmap",
                    format: "8".into(),
                },
                Resolution::Kept,
            ),
        ],
    );
    let audio = &sd.media[1];
    assert_eq!(audio.formats, ["0"]);
    // Kept, so a caller that trusts rtpmap over m= finds it.
    assert_eq!(
        audio.attributes.rtpmap(8).unwrap().unwrap().encoding_name,
        "PCMA"
    );
    assert_eq!(
        sd.media[0]
            .attributes
            .fmtp(98)
            .unwrap()
            .unwrap()
            .get("packetization-mode"),
        Some("1")
    );
}

#[test]
fn repeat_times() {
    let (sd, written) = read("repeat_times", &[]);
    assert_eq!(
        sd.times,
        [TimeDescription {
            start: 3_034_423_619,
            stop: 3_042_462_419,
            repeats: vec!["604800 3600 0 90000".into(), "7d 1h 0 25h".into()],
        }]
    );
    assert_eq!(
        sd.time_zones.as_deref(),
        Some("3034423619 -1h 3042462419 0")
    );
    assert_eq!(sd.key.as_deref(), Some("prompt"));
    assert_eq!(sd.media[1].key.as_deref(), Some("clear:seminar"));
    assert_eq!(
        written.as_bytes(),
        bytes("repeat_times"),
        "RFC 8866 in, the same out"
    );
}

#[test]
fn repeat_time_empty() {
    let (sd, written) = read(
        "repeat_time_empty",
        &[warning(
            5,
            Deviation::Unreadable {
                kind: 'r',
                what: "an empty value",
            },
            Resolution::Dropped,
        )],
    );
    assert!(sd.times[0].repeats.is_empty());
    assert!(written.contains("t=0 0\r\nm=audio 49170 RTP/AVP 0\r\n"));
}

#[test]
fn trailing_nul() {
    let (sd, _) = read(
        "trailing_nul",
        &[warning(7, Deviation::TrailingNul, Resolution::Dropped)],
    );
    assert_eq!(sd.media[0].attributes.control(), Some("track1"));
}

#[test]
fn session_name_not_utf8() {
    let (sd, _) = read(
        "session_name_not_utf8",
        &[warning(3, Deviation::NotUtf8, Resolution::Corrected)],
    );
    let input = bytes("session_name_not_utf8");
    // Bytes 34 to 37: C7 B0 (which happen to be UTF-8, U+01F0) C3 C5.
    assert_eq!(&input[32..34], b"s=");
    assert_eq!(sd.session_name, "\u{1F0}\u{FFFD}\u{FFFD}");
    assert_eq!(
        SessionDescription::parse_bytes_strict(&input),
        Err(SdpError::NotUtf8 { offset: 36 })
    );
}

#[test]
fn gstreamer_and_ffmpeg_shapes_read_without_a_warning() {
    let (gst, written) = read("gstreamer_rtsp_server", &[]);
    assert_eq!(written.as_bytes(), bytes("gstreamer_rtsp_server"));
    assert_eq!(gst.media[0].attributes.control(), Some("stream=0"));
    let CodecConfig::Aac(aac) = codec_from_media(&gst.media[1], 97).unwrap() else {
        panic!("not AAC")
    };
    assert_eq!(
        (aac.sampling_frequency, aac.channel_configuration),
        (48_000, 2)
    );

    let (ffmpeg, written) = read("ffmpeg_rtsp", &[]);
    let lf = String::from_utf8(bytes("ffmpeg_rtsp")).unwrap();
    assert_eq!(written, lf.replace('\n', "\r\n"));
    assert_eq!(ffmpeg.media[1].attributes.control(), Some("streamid=1"));
}
