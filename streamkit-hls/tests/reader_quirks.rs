//! Playlists that bend RFC 8216 the way packagers in the wild do, one test
//! per quirk: what the reader makes of each (the value, and the warning
//! it reports, with its line), where it refuses (the error, with its
//! position), and what the writer then writes (declared EXT-X-VERSION and
//! EXT-X-TARGETDURATION kept when valid, raised and reported when not).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::Duration;

use streamkit_hls::playlist::{
    ByteRange, Deviation, FrameRate, Map, MediaPlaylist, MediaSegment, MultivariantPlaylist,
    ParseError, ParseWarning, Playlist, Resolution, WriteAdjustment, parse_playlist,
    parse_playlist_with_warnings,
};

fn media(text: &str) -> (MediaPlaylist, Vec<ParseWarning>) {
    MediaPlaylist::parse_with_warnings(text.as_bytes()).unwrap()
}

fn multivariant(text: &str) -> (MultivariantPlaylist, Vec<ParseWarning>) {
    MultivariantPlaylist::parse_with_warnings(text.as_bytes()).unwrap()
}

fn warning(line: usize, deviation: Deviation) -> ParseWarning {
    ParseWarning { line, deviation }
}

const IV: u128 = 0x0123_4567_89AB_CDEF_0123_4567_89AB_CDEF;

fn key_playlist(iv: &str) -> String {
    format!(
        "#EXTM3U\n#EXT-X-TARGETDURATION:4\n#EXT-X-KEY:METHOD=AES-128,URI=\"k.bin\",IV={iv}\n#EXTINF:4.000,\na.ts\n"
    )
}

#[test]
fn leading_comma_in_an_attribute_list() {
    let (p, warnings) = multivariant(
        "#EXTM3U\n#EXT-X-STREAM-INF:,BANDWIDTH=1280000,CODECS=\"avc1.4d401f\"\nlow.m3u8\n",
    );
    assert_eq!(p.variants.len(), 1);
    assert_eq!(p.variants[0].bandwidth, 1_280_000);
    assert_eq!(p.variants[0].codecs, ["avc1.4d401f"]);
    assert!(p.variants[0].other_attributes.is_empty());
    assert_eq!(
        warnings,
        [warning(
            2,
            Deviation::EmptyAttribute {
                tag: "EXT-X-STREAM-INF",
                column: 19
            }
        )]
    );
    // Two commas in a row inside a media playlist tag: the same.
    let (p, warnings) = media(
        "#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXT-X-MAP:URI=\"init.mp4\",,BYTERANGE=\"720@0\"\n#EXTINF:2.000,\na.m4s\n",
    );
    let map = p.segments[0].map.as_ref().unwrap();
    assert_eq!(map.uri, "init.mp4");
    assert_eq!(
        map.byte_range,
        Some(ByteRange {
            length: 720,
            offset: Some(0)
        })
    );
    assert_eq!(
        warnings,
        [warning(
            3,
            Deviation::EmptyAttribute {
                tag: "EXT-X-MAP",
                column: 27
            }
        )]
    );
    // Written back strictly.
    assert!(
        p.to_m3u8()
            .unwrap()
            .contains("#EXT-X-MAP:URI=\"init.mp4\",BYTERANGE=\"720@0\"\n")
    );
}

#[test]
fn iv_in_quotes() {
    let (p, warnings) = media(&key_playlist("\"0x0123456789ABCDEF0123456789ABCDEF\""));
    assert_eq!(p.segments[0].keys[0].iv, Some(IV));
    assert_eq!(
        warnings,
        [warning(
            3,
            Deviation::QuotedValue {
                tag: "EXT-X-KEY",
                attribute: "IV"
            }
        )]
    );
    assert!(
        p.to_m3u8()
            .unwrap()
            .contains(",IV=0x0123456789ABCDEF0123456789ABCDEF\n")
    );
}

#[test]
fn iv_with_a_stray_quote() {
    let (p, warnings) = media(&key_playlist("0x0123456789ABCDEF0123456789ABCDEF\""));
    assert_eq!(p.segments[0].keys[0].iv, Some(IV));
    assert_eq!(
        warnings,
        [warning(
            3,
            Deviation::StrayQuote {
                tag: "EXT-X-KEY",
                attribute: "IV"
            }
        )]
    );
    // A stray quote before the value opens a quoted string that does not
    // close: where the value ends is not clear, so it is an error there.
    let err = MediaPlaylist::parse(key_playlist("\"0x0123456789ABCDEF0123456789ABCDEF").as_bytes())
        .unwrap_err();
    assert_eq!(
        err,
        ParseError::AttributeList {
            line: 3,
            tag: "EXT-X-KEY",
            column: 42,
            reason: "quoted string without closing quote"
        }
    );
}

#[test]
fn iv_without_0x() {
    let (p, warnings) = media(&key_playlist("0123456789abcdef0123456789ABCDEF"));
    assert_eq!(p.segments[0].keys[0].iv, Some(IV));
    assert_eq!(
        warnings,
        [warning(
            3,
            Deviation::HexWithoutPrefix {
                tag: "EXT-X-KEY",
                attribute: "IV"
            }
        )]
    );
    // Fewer than 32 digits without 0x could be decimal or hexadecimal
    // (players disagree): an error.
    for iv in ["1234", "ABCDEF", "0123456789ABCDEF0123456789ABCDE"] {
        assert_eq!(
            MediaPlaylist::parse(key_playlist(iv).as_bytes()).unwrap_err(),
            ParseError::InvalidAttribute {
                line: 3,
                tag: "EXT-X-KEY",
                attribute: "IV",
                reason: "not a 128-bit hexadecimal-sequence"
            },
            "IV={iv}"
        );
    }
    // More than 128 bits with 0x: an error too.
    assert_eq!(
        MediaPlaylist::parse(key_playlist("0x00112233445566778899AABBCCDDEEFF00").as_bytes())
            .unwrap_err(),
        ParseError::InvalidAttribute {
            line: 3,
            tag: "EXT-X-KEY",
            attribute: "IV",
            reason: "not a 128-bit hexadecimal-sequence"
        }
    );
}

#[test]
fn extinf_then_a_comment_or_blank_lines_before_the_uri() {
    // RFC 8216 section 4.1: blank lines and comments are ignored, so this
    // is no deviation and gets no warning.
    let text = "#EXTM3U\n#EXT-X-TARGETDURATION:6\n#EXTINF:6.000,first\n# encoder: x\n\nfirst.ts\n\
                #EXTINF:5.500,\n\n\n  \nsecond.ts\n#EXT-X-ENDLIST\n";
    let (p, warnings) = media(text);
    assert_eq!(warnings, []);
    let mut first = MediaSegment::new(Duration::from_secs(6), "first.ts");
    first.title = "first".into();
    let second = MediaSegment::new(Duration::from_millis(5_500), "second.ts");
    assert_eq!(p.segments, [first, second]);
    assert!(p.end_list);
    // A comment that only looks like a URI is still a comment.
    let (p, _) = media("#EXTM3U\n#EXT-X-TARGETDURATION:6\n#EXTINF:6,\n#old.ts\nnew.ts\n");
    assert_eq!(p.segments[0].uri, "new.ts");
    // But an EXTINF whose URI never comes, because another EXTINF follows,
    // lost its segment: an error naming the first one.
    assert_eq!(
        MediaPlaylist::parse(b"#EXTM3U\n#EXT-X-TARGETDURATION:6\n#EXTINF:6,\n\n#EXTINF:6,\nb.ts\n")
            .unwrap_err(),
        ParseError::MissingUri {
            line: 3,
            tag: "EXTINF"
        }
    );
}

#[test]
fn i_frame_media_playlist() {
    // The shape of RFC 8216 section 4.3.3.6's I-frame playlists: byte
    // ranges into the segments of the full playlist.
    let text = "#EXTM3U\n#EXT-X-VERSION:4\n#EXT-X-TARGETDURATION:10\n#EXT-X-MEDIA-SEQUENCE:0\n\
                #EXT-X-PLAYLIST-TYPE:VOD\n#EXT-X-I-FRAMES-ONLY\n\
                #EXTINF:4.120,\n#EXT-X-BYTERANGE:9400@376\nsegment1.ts\n\
                #EXTINF:3.560,\n#EXT-X-BYTERANGE:7144@47000\nsegment1.ts\n\
                #EXTINF:3.240,\n#EXT-X-BYTERANGE:10340@1880\nsegment2.ts\n#EXT-X-ENDLIST\n";
    let (p, warnings) = media(text);
    assert_eq!(warnings, []);
    assert!(p.i_frames_only);
    assert_eq!(p.required_version(), 4);
    let ranges: Vec<_> = p.segments.iter().map(|s| s.byte_range.unwrap()).collect();
    assert_eq!(
        ranges,
        [
            ByteRange {
                length: 9400,
                offset: Some(376)
            },
            ByteRange {
                length: 7144,
                offset: Some(47000)
            },
            ByteRange {
                length: 10340,
                offset: Some(1880)
            }
        ]
    );
    assert_eq!(p.segments[1].duration, Duration::from_millis(3_560));
    assert_eq!(p.write_adjustments(), []);
    assert_eq!(p.to_m3u8().unwrap(), text);

    // An fMP4 I-frame playlist needs version 5 for its EXT-X-MAP (not 6,
    // as without I-FRAMES-ONLY); declaring 3 is below that.
    let text = "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:2\n#EXT-X-I-FRAMES-ONLY\n\
                #EXT-X-MAP:URI=\"init.mp4\"\n#EXTINF:2.000,\n#EXT-X-BYTERANGE:5000@0\nv.mp4\n";
    let (p, warnings) = media(text);
    assert_eq!(p.segments[0].map, Some(Map::new("init.mp4")));
    assert_eq!(
        warnings,
        [warning(
            2,
            Deviation::VersionBelowFeatures {
                declared: 3,
                required: 5
            }
        )]
    );
    assert_eq!(
        p.write_adjustments(),
        [WriteAdjustment::VersionRaised {
            declared: 3,
            written: 5
        }]
    );
    assert!(
        p.to_m3u8()
            .unwrap()
            .starts_with("#EXTM3U\n#EXT-X-VERSION:5\n")
    );
    // EXT-X-I-FRAMES-ONLY belongs to media playlists only.
    assert_eq!(
        parse_playlist(b"#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1\nv.m3u8\n#EXT-X-I-FRAMES-ONLY\n")
            .unwrap_err(),
        ParseError::MixedPlaylist {
            line: 4,
            tag: "EXT-X-I-FRAMES-ONLY",
            playlist: "multivariant"
        }
    );
}

#[test]
fn i_frame_stream_inf_as_typed_values() {
    let text = "#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1280000,CODECS=\"avc1.4d401f,mp4a.40.2\"\nlow/av.m3u8\n\
        #EXT-X-I-FRAME-STREAM-INF:BANDWIDTH=86000,AVERAGE-BANDWIDTH=80000,CODECS=\"avc1.4d401f\",RESOLUTION=640x360,HDCP-LEVEL=NONE,VIDEO=\"v\",URI=\"low/iframe.m3u8\",VIDEO-RANGE=SDR\n";
    let (p, warnings) = multivariant(text);
    assert_eq!(warnings, []);
    let s = &p.i_frame_streams[0];
    assert_eq!(s.uri, "low/iframe.m3u8");
    assert_eq!(s.bandwidth, 86_000);
    assert_eq!(s.average_bandwidth, Some(80_000));
    assert_eq!(s.codecs, ["avc1.4d401f"]);
    assert_eq!(
        s.resolution,
        Some(Resolution {
            width: 640,
            height: 360
        })
    );
    assert_eq!(s.hdcp_level.as_deref(), Some("NONE"));
    assert_eq!(s.video.as_deref(), Some("v"));
    assert_eq!(
        s.other_attributes
            .get("VIDEO-RANGE")
            .unwrap()
            .as_enumerated(),
        Some("SDR")
    );
    assert_eq!(
        MultivariantPlaylist::parse(p.to_m3u8().unwrap().as_bytes()).unwrap(),
        p
    );
    // Without its URI attribute the stream is not usable: an error.
    assert_eq!(
        MultivariantPlaylist::parse(b"#EXTM3U\n#EXT-X-I-FRAME-STREAM-INF:BANDWIDTH=86000\n")
            .unwrap_err(),
        ParseError::InvalidAttribute {
            line: 2,
            tag: "EXT-X-I-FRAME-STREAM-INF",
            attribute: "URI",
            reason: "missing"
        }
    );
}

#[test]
fn uri_line_repeating_an_i_frame_stream_or_rendition_uri() {
    // Some packagers write the URI attribute of EXT-X-MEDIA and
    // EXT-X-I-FRAME-STREAM-INF again on the next line.
    let text = "#EXTM3U\n#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID=\"a\",NAME=\"es\",URI=\"A1.m3u8\"\nA1.m3u8\n\
        #EXT-X-STREAM-INF:BANDWIDTH=395000,AUDIO=\"a\"\n01.m3u8\n\
        #EXT-X-I-FRAME-STREAM-INF:BANDWIDTH=394000,URI=\"01_iframe.m3u8\"\n# comment\n01_iframe.m3u8\n";
    let (p, warnings) = multivariant(text);
    assert_eq!(p.renditions[0].uri.as_deref(), Some("A1.m3u8"));
    assert_eq!(p.variants.len(), 1);
    assert_eq!(p.variants[0].uri, "01.m3u8");
    assert_eq!(p.i_frame_streams[0].uri, "01_iframe.m3u8");
    assert_eq!(
        warnings,
        [
            warning(3, Deviation::RepeatedUri { tag: "EXT-X-MEDIA" }),
            warning(
                8,
                Deviation::RepeatedUri {
                    tag: "EXT-X-I-FRAME-STREAM-INF"
                }
            )
        ]
    );
    // A URI line that names something else: which playlist is meant is not
    // clear, so it is an error there.
    assert_eq!(
        MultivariantPlaylist::parse(
            b"#EXTM3U\n#EXT-X-I-FRAME-STREAM-INF:BANDWIDTH=1,URI=\"i.m3u8\"\nother.m3u8\n"
        )
        .unwrap_err(),
        ParseError::UnexpectedUri {
            line: 3,
            expected: "EXT-X-STREAM-INF"
        }
    );
    // Not right after the tag: an error too.
    assert_eq!(
        MultivariantPlaylist::parse(
            b"#EXTM3U\n#EXT-X-I-FRAME-STREAM-INF:BANDWIDTH=1,URI=\"i.m3u8\"\n#EXT-X-INDEPENDENT-SEGMENTS\ni.m3u8\n"
        )
        .unwrap_err(),
        ParseError::UnexpectedUri {
            line: 4,
            expected: "EXT-X-STREAM-INF"
        }
    );
}

#[test]
fn quoted_numeric_attributes() {
    let text = "#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=\"1280000\",AVERAGE-BANDWIDTH=\"1000000\",RESOLUTION=\"1280x720\",FRAME-RATE=\"29.970\"\nv.m3u8\n";
    let (p, warnings) = multivariant(text);
    let v = &p.variants[0];
    assert_eq!(v.bandwidth, 1_280_000);
    assert_eq!(v.average_bandwidth, Some(1_000_000));
    assert_eq!(
        v.resolution,
        Some(Resolution {
            width: 1280,
            height: 720
        })
    );
    assert_eq!(v.frame_rate, FrameRate::parse("29.970"));
    let quoted = |attribute| {
        warning(
            2,
            Deviation::QuotedValue {
                tag: "EXT-X-STREAM-INF",
                attribute,
            },
        )
    };
    assert_eq!(
        warnings,
        [
            quoted("BANDWIDTH"),
            quoted("AVERAGE-BANDWIDTH"),
            quoted("RESOLUTION"),
            quoted("FRAME-RATE")
        ]
    );
    assert_eq!(
        p.to_m3u8().unwrap(),
        "#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1280000,AVERAGE-BANDWIDTH=1000000,RESOLUTION=1280x720,FRAME-RATE=29.970\nv.m3u8\n"
    );

    // The low-latency tags' numbers and an enumerated value in quotes.
    let text = "#EXTM3U\n#EXT-X-TARGETDURATION:4\n#EXT-X-PART-INF:PART-TARGET=\"1.0\"\n\
        #EXT-X-PART:DURATION=\"1.0\",URI=\"p0.mp4\",INDEPENDENT=\"YES\"\n#EXTINF:4.000,\ns0.mp4\n\
        #EXT-X-RENDITION-REPORT:URI=\"../a/l.m3u8\",LAST-MSN=\"5\",LAST-PART=\"2\"\n";
    let (p, warnings) = media(text);
    assert_eq!(
        p.part_inf.as_ref().unwrap().part_target,
        Duration::from_secs(1)
    );
    let part = &p.segments[0].parts[0];
    assert_eq!(
        (part.duration, part.independent),
        (Duration::from_secs(1), true)
    );
    let report = &p.rendition_reports[0];
    assert_eq!((report.last_msn, report.last_part), (Some(5), Some(2)));
    let at = |line, tag, attribute| warning(line, Deviation::QuotedValue { tag, attribute });
    assert_eq!(
        warnings,
        [
            at(3, "EXT-X-PART-INF", "PART-TARGET"),
            at(4, "EXT-X-PART", "DURATION"),
            at(4, "EXT-X-PART", "INDEPENDENT"),
            at(7, "EXT-X-RENDITION-REPORT", "LAST-MSN"),
            at(7, "EXT-X-RENDITION-REPORT", "LAST-PART")
        ]
    );

    // Quoted text that is no number: the meaning is not clear, an error.
    let err = parse_playlist(
        b"#EXTM3U\n#EXT-X-I-FRAME-STREAM-INF:BANDWIDTH=\"INVALIDBW\",URI=\"hi/iframe.m3u8\"\n",
    )
    .unwrap_err();
    assert_eq!(
        err,
        ParseError::InvalidAttribute {
            line: 2,
            tag: "EXT-X-I-FRAME-STREAM-INF",
            attribute: "BANDWIDTH",
            reason: "not a decimal-integer"
        }
    );
    assert_eq!(
        MediaPlaylist::parse(b"#EXTM3U\n#EXT-X-PART-INF:PART-TARGET=\"-1\"\n").unwrap_err(),
        ParseError::InvalidAttribute {
            line: 2,
            tag: "EXT-X-PART-INF",
            attribute: "PART-TARGET",
            reason: "not a non-negative decimal-floating-point"
        }
    );
}

#[test]
fn declared_target_duration_is_kept_when_valid() {
    // Declared above the longest EXTINF: kept, nothing to report.
    let (p, warnings) = media("#EXTM3U\n#EXT-X-TARGETDURATION:12\n#EXTINF:10.000,\na.ts\n");
    assert_eq!((p.target_duration, p.written_target_duration()), (12, 12));
    assert_eq!(warnings, []);
    assert_eq!(p.write_adjustments(), []);
    assert!(p.to_m3u8().unwrap().contains("#EXT-X-TARGETDURATION:12\n"));
    // 10.4 s rounds to 10: a declared 10 is valid.
    let (p, warnings) = media("#EXTM3U\n#EXT-X-TARGETDURATION:10\n#EXTINF:10.400,\na.ts\n");
    assert_eq!((warnings.len(), p.written_target_duration()), (0, 10));
}

#[test]
fn declared_target_duration_below_a_segment_is_raised_and_reported() {
    let (p, warnings) =
        media("#EXTM3U\n#EXT-X-TARGETDURATION:10\n#EXTINF:10.500,\na.ts\n#EXTINF:9.000,\nb.ts\n");
    assert_eq!(p.target_duration, 10);
    assert_eq!(
        warnings,
        [warning(
            2,
            Deviation::TargetDurationBelowSegment {
                declared: 10,
                longest: 11
            }
        )]
    );
    assert_eq!(
        p.write_adjustments(),
        [WriteAdjustment::TargetDurationRaised {
            declared: 10,
            written: 11
        }]
    );
    let written = p.to_m3u8().unwrap();
    assert!(written.contains("#EXT-X-TARGETDURATION:11\n"), "{written}");
    // What the writer wrote is valid: read back, it warns no more.
    let (again, warnings) = media(&written);
    assert_eq!((again.target_duration, warnings.len()), (11, 0));
}

#[test]
fn missing_target_duration_is_derived_and_reported() {
    let (p, warnings) = media("#EXTM3U\n#EXT-X-MEDIA-SEQUENCE:3\n#EXTINF:5.600,\na.ts\n");
    assert_eq!(p.target_duration, 0);
    assert_eq!(warnings, [warning(3, Deviation::MissingTargetDuration)]);
    // 0 asks the writer to derive it: not an adjustment of a declared value.
    assert_eq!(p.write_adjustments(), []);
    assert!(p.to_m3u8().unwrap().contains("#EXT-X-TARGETDURATION:6\n"));
    // Without segments there is nothing to warn of.
    assert_eq!(media("#EXTM3U\n#EXT-X-ENDLIST\n").1, []);
}

#[test]
fn declared_version_is_kept_when_valid_and_raised_when_not() {
    // Version 7 declared, 3 needed: 7 is written.
    let (p, warnings) =
        media("#EXTM3U\n#EXT-X-VERSION:7\n#EXT-X-TARGETDURATION:4\n#EXTINF:4.000,\na.ts\n");
    assert_eq!((p.required_version(), warnings.len()), (3, 0));
    assert_eq!(p.write_adjustments(), []);
    assert!(p.to_m3u8().unwrap().contains("#EXT-X-VERSION:7\n"));
    // Version 3 declared with EXT-X-MAP (6 needed).
    let (p, warnings) = media(
        "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:4\n#EXT-X-MAP:URI=\"i.mp4\"\n#EXTINF:4.000,\na.m4s\n",
    );
    assert_eq!(
        warnings,
        [warning(
            2,
            Deviation::VersionBelowFeatures {
                declared: 3,
                required: 6
            }
        )]
    );
    assert_eq!(
        p.write_adjustments(),
        [WriteAdjustment::VersionRaised {
            declared: 3,
            written: 6
        }]
    );
    assert!(p.to_m3u8().unwrap().contains("#EXT-X-VERSION:6\n"));
    // No version declared: derived on write, no warning, no adjustment.
    let (p, warnings) = media("#EXTM3U\n#EXT-X-TARGETDURATION:4\n#EXTINF:4.000,\na.ts\n");
    assert_eq!((p.version, warnings.len()), (None, 0));
    assert_eq!(p.write_adjustments(), []);
    assert!(p.to_m3u8().unwrap().contains("#EXT-X-VERSION:3\n"));
    // A multivariant playlist: INSTREAM-ID SERVICE needs 7.
    let (p, warnings) = multivariant(
        "#EXTM3U\n#EXT-X-VERSION:4\n#EXT-X-MEDIA:TYPE=CLOSED-CAPTIONS,GROUP-ID=\"cc\",NAME=\"s1\",INSTREAM-ID=\"SERVICE1\"\n",
    );
    assert_eq!(
        warnings,
        [warning(
            2,
            Deviation::VersionBelowFeatures {
                declared: 4,
                required: 7
            }
        )]
    );
    assert_eq!(
        p.write_adjustments(),
        [WriteAdjustment::VersionRaised {
            declared: 4,
            written: 7
        }]
    );
}

#[test]
fn warnings_come_in_line_order_from_either_kind() {
    let (p, warnings) = parse_playlist_with_warnings(
        b"#EXTM3U\n#EXT-X-VERSION:2\n#EXT-X-TARGETDURATION:1\n#EXT-X-MAP:,URI=\"i.mp4\"\n#EXTINF:4.000,\na.m4s\n",
    )
    .unwrap();
    assert!(matches!(p, Playlist::Media(_)));
    assert_eq!(
        warnings.iter().map(|w| w.line).collect::<Vec<_>>(),
        [2, 3, 4]
    );
    assert_eq!(
        warnings[2].to_string(),
        "line 4: EXT-X-MAP: empty attribute at column 12, skipped"
    );
}
