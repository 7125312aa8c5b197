//! Properties: write then read gives the same playlist, for generated media
//! playlists (low-latency tags, keys, maps, byte ranges, date-times, unknown
//! tags and attributes) and multivariant playlists; arbitrary text never
//! panics the reader, and whatever it reads writes to a fixed point; a
//! delta update merged into its full playlist gives the full playlist.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::Duration;

use proptest::collection::vec;
use proptest::option;
use proptest::prelude::*;
use streamkit_hls::playlist::{
    AttributeList, AttributeValue, ByteRange, ClosedCaptions, FrameRate, IFrameStream, Key,
    KeyMethod, Map, MediaPlaylist, MediaSegment, MediaType, MultivariantPlaylist, Part, PartInf,
    PartialSegment, Playlist, PlaylistType, PreloadHint, PreloadHintType, ProgramDateTime,
    Rendition, RenditionReport, Resolution, ServerControl, Skip, SkipRequest, Tag, VariantStream,
    parse_playlist,
};

fn duration() -> impl Strategy<Value = Duration> {
    (0u64..200, 0u32..1_000_000_000).prop_map(|(s, n)| Duration::new(s, n))
}

fn uri() -> impl Strategy<Value = String> {
    "[a-z0-9][a-zA-Z0-9/._?=&-]{0,20}"
}

fn quoted_text() -> impl Strategy<Value = String> {
    "[A-Za-z0-9 ,._/:=-]{0,16}"
}

fn attribute_value() -> impl Strategy<Value = AttributeValue> {
    prop_oneof![
        quoted_text().prop_map(AttributeValue::QuotedString),
        vec(any::<u8>(), 1..9).prop_map(AttributeValue::Hexadecimal),
        any::<u64>().prop_map(AttributeValue::DecimalInteger),
        (any::<bool>(), 0u32..100_000, "[0-9]{1,4}").prop_map(|(neg, w, f)| {
            AttributeValue::DecimalFloat(format!("{}{w}.{f}", if neg { "-" } else { "" }))
        }),
        (any::<u64>(), any::<u64>())
            .prop_map(|(width, height)| AttributeValue::Resolution(Resolution { width, height })),
        "[A-Z][A-Z0-9-]{0,8}".prop_map(AttributeValue::Enumerated),
    ]
}

fn unknown_attributes() -> impl Strategy<Value = AttributeList> {
    vec(("X-[A-Z]{1,6}", attribute_value()), 0..3).prop_map(|pairs| {
        let mut list = AttributeList::new();
        for (name, value) in pairs {
            list.push(name, value);
        }
        list
    })
}

fn byte_range() -> impl Strategy<Value = ByteRange> {
    (any::<u64>(), option::of(any::<u64>()))
        .prop_map(|(length, offset)| ByteRange { length, offset })
}

fn program_date_time() -> impl Strategy<Value = ProgramDateTime> {
    (
        -62_000_000_000i64..253_000_000_000,
        prop_oneof![
            (0u32..1000).prop_map(|ms| ms * 1_000_000),
            0u32..1_000_000_000
        ],
        -1439i16..1440,
    )
        .prop_map(|(unix_seconds, nanos, offset_minutes)| ProgramDateTime {
            unix_seconds,
            nanos,
            offset_minutes,
        })
}

fn key() -> impl Strategy<Value = Key> {
    (
        prop_oneof![
            Just(KeyMethod::None),
            Just(KeyMethod::Aes128),
            Just(KeyMethod::SampleAes),
            Just(KeyMethod::Other("SAMPLE-AES-CTR".into())),
        ],
        option::of(uri()),
        option::of(any::<u128>()),
        option::of(quoted_text()),
        option::of("[0-9/]{1,5}"),
        unknown_attributes(),
    )
        .prop_map(
            |(method, uri, iv, key_format, key_format_versions, other_attributes)| Key {
                method,
                uri,
                iv,
                key_format,
                key_format_versions,
                other_attributes,
            },
        )
}

fn map() -> impl Strategy<Value = Map> {
    (uri(), option::of(byte_range()), unknown_attributes()).prop_map(
        |(uri, byte_range, other_attributes)| Map {
            uri,
            byte_range,
            other_attributes,
        },
    )
}

fn part() -> impl Strategy<Value = Part> {
    (
        duration(),
        uri(),
        any::<bool>(),
        option::of(byte_range()),
        any::<bool>(),
        unknown_attributes(),
    )
        .prop_map(
            |(duration, uri, independent, byte_range, gap, other_attributes)| Part {
                duration,
                uri,
                independent,
                byte_range,
                gap,
                other_attributes,
            },
        )
}

fn segment_tag() -> impl Strategy<Value = Tag> {
    (
        "EXT-X-VND-[A-Z]{1,5}",
        option::of("[A-Za-z0-9=,\"._-]{0,12}"),
    )
        .prop_map(|(name, value)| Tag::new(name, value))
}

fn segment() -> impl Strategy<Value = MediaSegment> {
    (
        (
            duration(),
            "[A-Za-z0-9 ,._-]{0,12}",
            uri(),
            option::of(byte_range()),
        ),
        (
            any::<bool>(),
            vec(key(), 0..2),
            option::of(map()),
            option::of(program_date_time()),
        ),
        (
            any::<bool>(),
            option::of(any::<u64>()),
            vec(part(), 0..3),
            vec(segment_tag(), 0..2),
        ),
    )
        .prop_map(
            |(
                (duration, title, uri, byte_range),
                (discontinuity, keys, map, program_date_time),
                (gap, bitrate, parts, other_tags),
            )| MediaSegment {
                duration,
                title: title.trim_end().to_owned(),
                uri,
                byte_range,
                discontinuity,
                keys,
                map,
                program_date_time,
                gap,
                bitrate,
                parts,
                other_tags,
            },
        )
}

fn partial_segment() -> impl Strategy<Value = Option<PartialSegment>> {
    (
        any::<bool>(),
        vec(key(), 0..2),
        option::of(map()),
        option::of(program_date_time()),
        vec(part(), 0..4),
        vec(segment_tag(), 0..2),
    )
        .prop_map(
            |(discontinuity, keys, map, program_date_time, parts, other_tags)| {
                let p = PartialSegment {
                    discontinuity,
                    keys,
                    map,
                    program_date_time,
                    parts,
                    other_tags,
                };
                (p != PartialSegment::default()).then_some(p)
            },
        )
}

fn server_control() -> impl Strategy<Value = ServerControl> {
    (
        any::<bool>(),
        option::of(duration()),
        any::<bool>(),
        option::of(duration()),
        option::of(duration()),
        unknown_attributes(),
    )
        .prop_map(
            |(
                can_block_reload,
                can_skip_until,
                can_skip_dateranges,
                hold_back,
                part_hold_back,
                other_attributes,
            )| ServerControl {
                can_block_reload,
                can_skip_until,
                can_skip_dateranges,
                hold_back,
                part_hold_back,
                other_attributes,
            },
        )
}

fn preload_hint() -> impl Strategy<Value = PreloadHint> {
    (
        prop_oneof![
            Just(PreloadHintType::Part),
            Just(PreloadHintType::Map),
            Just(PreloadHintType::Other("X-NEXT".into())),
        ],
        uri(),
        option::of(any::<u64>()),
        option::of(any::<u64>()),
        unknown_attributes(),
    )
        .prop_map(
            |(hint_type, uri, byte_range_start, byte_range_length, other_attributes)| PreloadHint {
                hint_type,
                uri,
                byte_range_start,
                byte_range_length,
                other_attributes,
            },
        )
}

fn rendition_report() -> impl Strategy<Value = RenditionReport> {
    (
        uri(),
        option::of(any::<u64>()),
        option::of(any::<u64>()),
        unknown_attributes(),
    )
        .prop_map(
            |(uri, last_msn, last_part, other_attributes)| RenditionReport {
                uri,
                last_msn,
                last_part,
                other_attributes,
            },
        )
}

fn skip() -> impl Strategy<Value = Skip> {
    (
        any::<u64>(),
        option::of(vec("[a-z0-9-]{1,6}", 0..3)),
        unknown_attributes(),
    )
        .prop_map(
            |(skipped_segments, recently_removed_dateranges, other_attributes)| Skip {
                skipped_segments,
                recently_removed_dateranges,
                other_attributes,
            },
        )
}

fn playlist_tag() -> impl Strategy<Value = Tag> {
    prop_oneof![
        Just(Tag::new(
            "EXT-X-START",
            Some("TIME-OFFSET=-4.5,PRECISE=YES".into())
        )),
        Just(Tag::new("EXT-X-ALLOW-CACHE", Some("NO".into()))),
        Just(Tag::new(
            "EXT-X-DEFINE",
            Some("NAME=\"host\",VALUE=\"example.com\"".into())
        )),
    ]
}

fn media_playlist() -> impl Strategy<Value = MediaPlaylist> {
    (
        (
            any::<u64>(),
            any::<u64>(),
            option::of(prop_oneof![
                Just(PlaylistType::Vod),
                Just(PlaylistType::Event)
            ]),
            any::<bool>(),
            any::<bool>(),
            any::<bool>(),
        ),
        (
            option::of(server_control()),
            option::of((duration(), unknown_attributes())),
            option::of(skip()),
        ),
        (
            vec(segment(), 0..6),
            partial_segment(),
            vec(preload_hint(), 0..2),
            vec(rendition_report(), 0..3),
            vec(playlist_tag(), 0..2),
        ),
        (0u64..3, 0u64..3, any::<bool>()),
    )
        .prop_map(
            |(
                (
                    media_sequence,
                    discontinuity_sequence,
                    playlist_type,
                    end_list,
                    i_frames_only,
                    independent_segments,
                ),
                (server_control, part_inf, skip),
                (segments, partial_segment, preload_hints, rendition_reports, other_tags),
                (extra_target, extra_version, declare_version),
            )| {
                let mut p = MediaPlaylist {
                    version: None,
                    target_duration: 0,
                    media_sequence,
                    discontinuity_sequence,
                    playlist_type,
                    end_list,
                    i_frames_only,
                    independent_segments,
                    server_control,
                    part_inf: part_inf.map(|(part_target, other_attributes)| PartInf {
                        part_target,
                        other_attributes,
                    }),
                    skip,
                    segments,
                    partial_segment,
                    preload_hints,
                    rendition_reports,
                    other_tags,
                };
                p.target_duration = p.written_target_duration() + extra_target;
                let required = p.required_version();
                if declare_version || required > 1 {
                    p.version = Some(required + extra_version);
                }
                p
            },
        )
}

fn codecs() -> impl Strategy<Value = Vec<String>> {
    vec("[a-z0-9]{1,4}\\.[0-9A-F.]{1,8}", 0..3)
}

fn variant() -> impl Strategy<Value = VariantStream> {
    (
        (uri(), any::<u64>(), option::of(any::<u64>()), codecs()),
        (
            option::of((any::<u64>(), any::<u64>())),
            option::of(0u64..1_000_000_000),
            option::of(prop_oneof![
                Just("TYPE-0".to_owned()),
                Just("NONE".to_owned())
            ]),
        ),
        (
            option::of(quoted_text()),
            option::of(quoted_text()),
            option::of(quoted_text()),
            option::of(prop_oneof![
                quoted_text().prop_map(ClosedCaptions::Group),
                Just(ClosedCaptions::None)
            ]),
            unknown_attributes(),
        ),
    )
        .prop_map(
            |(
                (uri, bandwidth, average_bandwidth, codecs),
                (resolution, frame_rate, hdcp_level),
                (audio, video, subtitles, closed_captions, other_attributes),
            )| VariantStream {
                uri,
                bandwidth,
                average_bandwidth,
                codecs,
                resolution: resolution.map(|(width, height)| Resolution { width, height }),
                frame_rate: frame_rate.map(|millis| FrameRate { millis }),
                hdcp_level,
                audio,
                video,
                subtitles,
                closed_captions,
                other_attributes,
            },
        )
}

fn i_frame_stream() -> impl Strategy<Value = IFrameStream> {
    (
        uri(),
        any::<u64>(),
        option::of(any::<u64>()),
        codecs(),
        option::of((any::<u64>(), any::<u64>())),
        option::of(quoted_text()),
        unknown_attributes(),
    )
        .prop_map(
            |(uri, bandwidth, average_bandwidth, codecs, resolution, video, other_attributes)| {
                IFrameStream {
                    uri,
                    bandwidth,
                    average_bandwidth,
                    codecs,
                    resolution: resolution.map(|(width, height)| Resolution { width, height }),
                    hdcp_level: None,
                    video,
                    other_attributes,
                }
            },
        )
}

fn rendition() -> impl Strategy<Value = Rendition> {
    (
        (
            prop_oneof![
                Just(MediaType::Audio),
                Just(MediaType::Video),
                Just(MediaType::Subtitles),
                Just(MediaType::ClosedCaptions)
            ],
            quoted_text(),
            quoted_text(),
            any::<bool>(),
            any::<bool>(),
            any::<bool>(),
        ),
        (
            option::of("[a-z]{2}(-[A-Z]{2})?"),
            option::of("[a-z]{2}"),
            option::of(prop_oneof!["CC[1-4]", "SERVICE[1-9]"]),
            option::of(quoted_text()),
            option::of("[0-9]{1,2}"),
            option::of(uri()),
            unknown_attributes(),
        ),
    )
        .prop_map(
            |(
                (media_type, group_id, name, default, autoselect, forced),
                (
                    language,
                    assoc_language,
                    instream_id,
                    characteristics,
                    channels,
                    uri,
                    other_attributes,
                ),
            )| Rendition {
                media_type,
                group_id,
                name,
                default,
                autoselect,
                forced,
                language,
                assoc_language,
                instream_id,
                characteristics,
                channels,
                uri,
                other_attributes,
            },
        )
}

fn multivariant_playlist() -> impl Strategy<Value = MultivariantPlaylist> {
    (
        any::<bool>(),
        vec(rendition(), 0..4),
        vec(variant(), 1..4),
        vec(i_frame_stream(), 0..3),
        vec(
            prop_oneof![
                Just(Tag::new(
                    "EXT-X-SESSION-DATA",
                    Some("DATA-ID=\"com.example.title\",VALUE=\"x\"".into())
                )),
                Just(Tag::new("EXT-X-START", Some("TIME-OFFSET=10".into()))),
                Just(Tag::new(
                    "EXT-X-DEFINE",
                    Some("NAME=\"a\",VALUE=\"b\"".into())
                )),
            ],
            0..3,
        ),
        (0u64..3, any::<bool>()),
    )
        .prop_map(
            |(
                independent_segments,
                renditions,
                variants,
                i_frame_streams,
                other_tags,
                (extra, declare),
            )| {
                let mut p = MultivariantPlaylist {
                    version: None,
                    independent_segments,
                    renditions,
                    variants,
                    i_frame_streams,
                    other_tags,
                };
                let required = p.required_version();
                if declare || required > 1 {
                    p.version = Some(required + extra);
                }
                p
            },
        )
}

/// `text` (as our writer writes it) spelled the way lenient readers accept:
/// a leading comma in the attribute list of every typed tag, and the
/// first attribute in quotes when it is a number; with how many warnings
/// the reader should report for it.
fn quirky(text: &str) -> (String, usize) {
    const LISTS: &[&str] = &[
        "#EXT-X-KEY:",
        "#EXT-X-MAP:",
        "#EXT-X-PART:",
        "#EXT-X-PART-INF:",
        "#EXT-X-SERVER-CONTROL:",
        "#EXT-X-PRELOAD-HINT:",
        "#EXT-X-RENDITION-REPORT:",
        "#EXT-X-SKIP:",
        "#EXT-X-STREAM-INF:",
        "#EXT-X-I-FRAME-STREAM-INF:",
        "#EXT-X-MEDIA:",
    ];
    const NUMBERS: &[&str] = &[
        "BANDWIDTH=",
        "DURATION=",
        "PART-TARGET=",
        "SKIPPED-SEGMENTS=",
    ];
    let mut out = String::new();
    let mut warnings = 0;
    for line in text.lines() {
        match LISTS.iter().find(|t| line.starts_with(**t)) {
            Some(tag) => {
                let list = &line[tag.len()..];
                out.push_str(tag);
                out.push(',');
                warnings += 1;
                match NUMBERS.iter().find(|n| list.starts_with(**n)) {
                    Some(name) => {
                        let value = &list[name.len()..];
                        let end = value.find(',').unwrap_or(value.len());
                        out.push_str(name);
                        out.push('"');
                        out.push_str(&value[..end]);
                        out.push('"');
                        out.push_str(&value[end..]);
                        warnings += 1;
                    }
                    None => out.push_str(list),
                }
            }
            None => out.push_str(line),
        }
        out.push('\n');
    }
    (out, warnings)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn quirky_media_text_reads_as_the_strict_text(playlist in media_playlist()) {
        let strict = playlist.to_m3u8().unwrap();
        let (text, expected_warnings) = quirky(&strict);
        let (back, warnings) = MediaPlaylist::parse_with_warnings(text.as_bytes()).unwrap();
        prop_assert_eq!(&back, &playlist, "text:\n{}", text);
        prop_assert_eq!(warnings.len(), expected_warnings, "text:\n{}\n{:?}", text, warnings);
        prop_assert_eq!(back.to_m3u8().unwrap(), strict);
    }

    #[test]
    fn quirky_multivariant_text_reads_as_the_strict_text(playlist in multivariant_playlist()) {
        let strict = playlist.to_m3u8().unwrap();
        let (text, expected_warnings) = quirky(&strict);
        let (back, warnings) = MultivariantPlaylist::parse_with_warnings(text.as_bytes()).unwrap();
        prop_assert_eq!(&back, &playlist, "text:\n{}", text);
        prop_assert_eq!(warnings.len(), expected_warnings, "text:\n{}\n{:?}", text, warnings);
        prop_assert_eq!(back.to_m3u8().unwrap(), strict);
    }

    #[test]
    fn media_playlists_round_trip(playlist in media_playlist()) {
        let text = playlist.to_m3u8().unwrap();
        prop_assert!(text.ends_with('\n') && !text.contains("\n\n"));
        let back = match parse_playlist(text.as_bytes()) {
            Ok(Playlist::Media(m)) => m,
            other => panic!("not read back as a media playlist: {other:?}\n{text}"),
        };
        prop_assert_eq!(&back, &playlist, "text:\n{}", text);
    }

    #[test]
    fn multivariant_playlists_round_trip(playlist in multivariant_playlist()) {
        let text = playlist.to_m3u8().unwrap();
        let back = match parse_playlist(text.as_bytes()) {
            Ok(Playlist::Multivariant(m)) => m,
            other => panic!("not read back as a multivariant playlist: {other:?}\n{text}"),
        };
        prop_assert_eq!(&back, &playlist, "text:\n{}", text);
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in vec(any::<u8>(), 0..600)) {
        let _ = parse_playlist(&bytes);
    }

    #[test]
    fn playlist_like_text_never_panics_and_reads_to_a_fixed_point(
        lines in vec(
            prop_oneof![
                "#EXT[A-Z-]{0,12}(:[ -~]{0,24})?",
                prop_oneof![
                    Just("#EXTINF:"), Just("#EXT-X-PART:"), Just("#EXT-X-MAP:"),
                    Just("#EXT-X-KEY:"), Just("#EXT-X-STREAM-INF:"), Just("#EXT-X-MEDIA:"),
                    Just("#EXT-X-SERVER-CONTROL:"), Just("#EXT-X-PRELOAD-HINT:"),
                    Just("#EXT-X-SKIP:"), Just("#EXT-X-BYTERANGE:"), Just("#EXT-X-PROGRAM-DATE-TIME:"),
                    Just("#EXT-X-RENDITION-REPORT:"), Just("#EXT-X-PART-INF:"),
                    Just("#EXT-X-I-FRAME-STREAM-INF:"), Just("#EXT-X-VERSION:"),
                ].prop_flat_map(|tag| "[A-Z0-9=,\"@.x:-]{0,30}".prop_map(move |v| format!("{tag}{v}"))),
                "[a-z0-9./]{1,10}",
                "#[ -~]{0,10}",
                prop_oneof![
                    Just("#EXTINF:4.000,"), Just("#EXTINF:2.5,title"), Just("seg.ts"),
                    Just("#EXT-X-VERSION:3"), Just("#EXT-X-INDEPENDENT-SEGMENTS"),
                    Just("#EXT-X-TARGETDURATION:4"), Just("#EXT-X-ENDLIST"),
                    Just("#EXT-X-DISCONTINUITY"), Just("#EXT-X-GAP"), Just("#EXT-X-BITRATE:800"),
                    Just("#EXT-X-BYTERANGE:100@0"), Just("#EXT-X-MAP:URI=\"init.mp4\""),
                    Just("#EXT-X-KEY:METHOD=AES-128,URI=\"k\",IV=0x01"),
                    Just("#EXT-X-PROGRAM-DATE-TIME:2026-11-25T20:00:00.000+01:00"),
                    Just("#EXT-X-PART:DURATION=0.5,URI=\"p.mp4\",INDEPENDENT=YES"),
                    Just("#EXT-X-PRELOAD-HINT:TYPE=PART,URI=\"h.mp4\""),
                    Just("#EXT-X-RENDITION-REPORT:URI=\"r.m3u8\",LAST-MSN=3"),
                    Just("#EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES,X-A=0x00"),
                    Just("#EXT-X-PART-INF:PART-TARGET=0.5"), Just("#EXT-X-SKIP:SKIPPED-SEGMENTS=2"),
                    Just("#EXT-X-DATERANGE:ID=\"a\""), Just("#EXT-X-CUE-OUT:30"),
                    Just("#EXT-X-START:TIME-OFFSET=2"), Just("#EXT-X-DEFINE:NAME=\"x\""),
                    Just("#EXT-X-STREAM-INF:BANDWIDTH=1,CODECS=\"a.1, b.2\""), Just("v.m3u8"),
                    Just("#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID=\"g\",NAME=\"n\",DEFAULT=YES"),
                    Just("#EXT-X-I-FRAME-STREAM-INF:BANDWIDTH=2,URI=\"i.m3u8\""),
                    Just("#EXT-X-SESSION-DATA:DATA-ID=\"d\""),
                ].prop_map(str::to_owned),
                Just(String::new()),
            ],
            0..24,
        ),
    ) {
        let text = format!("#EXTM3U\n{}\n", lines.join("\n"));
        let Ok(playlist) = parse_playlist(text.as_bytes()) else { return Ok(()) };
        // Whatever was read and can be written reads back to what writes
        // the same text again.
        let written = match &playlist {
            Playlist::Media(m) => m.to_m3u8(),
            Playlist::Multivariant(m) => m.to_m3u8(),
        };
        if let Ok(written) = written {
            let again = parse_playlist(written.as_bytes()).unwrap();
            let rewritten = match &again {
                Playlist::Media(m) => m.to_m3u8().unwrap(),
                Playlist::Multivariant(m) => m.to_m3u8().unwrap(),
            };
            prop_assert_eq!(rewritten, written);
        }
    }

    #[test]
    fn valid_media_text_reads_and_writes_to_the_same_value(
        units in vec(prop_oneof![
            Just("#EXT-X-VERSION:3"), Just("#EXT-X-INDEPENDENT-SEGMENTS"),
            Just("#EXT-X-TARGETDURATION:4"), Just("#EXT-X-ENDLIST"),
            Just("#EXT-X-PLAYLIST-TYPE:EVENT"), Just("#EXT-X-MEDIA-SEQUENCE:7"),
            Just("#EXT-X-DISCONTINUITY-SEQUENCE:2"), Just("#EXT-X-I-FRAMES-ONLY"),
            Just("#EXT-X-SERVER-CONTROL:HOLD-BACK=6.0,X-A=0x00,CAN-SKIP-UNTIL=24"),
            Just("#EXT-X-PART-INF:PART-TARGET=0.33334"),
            Just("#EXT-X-START:TIME-OFFSET=-2.5"), Just("#EXT-X-DEFINE:NAME=\"x\",VALUE=\"y\""),
            Just("#EXT-X-DISCONTINUITY"), Just("#EXT-X-MAP:URI=\"init.mp4\",BYTERANGE=\"10@0\""),
            Just("#EXT-X-KEY:METHOD=SAMPLE-AES,URI=\"k\",IV=0xABC,KEYFORMAT=\"identity\""),
            Just("#EXT-X-KEY:METHOD=NONE"),
            Just("#EXT-X-PROGRAM-DATE-TIME:2026-11-25T20:00:00.123456+05:30"),
            Just("#EXT-X-DATERANGE:ID=\"a\",START-DATE=\"2026-11-25T20:00:00Z\""),
            Just("#EXT-X-CUE-OUT:30"), Just("#EXT-X-CUE-IN"),
            Just("#EXT-X-PART:DURATION=0.5,URI=\"p.mp4\",INDEPENDENT=YES,BYTERANGE=\"5@1\""),
            Just("#EXT-X-PART:GAP=YES,URI=\"q.mp4\",DURATION=1"),
            Just("#EXTINF:4.000,\nseg.ts"), Just("#EXTINF:9.009,A title, with commas\nhttp://e/x.ts"),
            Just("#EXT-X-GAP\n#EXT-X-BITRATE:800\n#EXTINF:2.5\n#EXT-X-BYTERANGE:100@0\nfile.ts"),
            Just("#EXT-X-PRELOAD-HINT:TYPE=PART,URI=\"h.mp4\",BYTERANGE-START=5"),
            Just("#EXT-X-RENDITION-REPORT:URI=\"r.m3u8\",LAST-MSN=3,LAST-PART=0"),
            Just("# a comment"), Just(""), Just("  "),
        ], 0..30),
        crlf in any::<bool>(),
    ) {
        let eol = if crlf { "\r\n" } else { "\n" };
        let text = format!("#EXTM3U{eol}{}{eol}", units.join(eol).replace('\n', eol));
        let playlist = match parse_playlist(text.as_bytes()) {
            Ok(Playlist::Media(m)) => m,
            other => panic!("{other:?}\n{text}"),
        };
        let written = playlist.to_m3u8().unwrap();
        let back = MediaPlaylist::parse(written.as_bytes()).unwrap();
        let mut expected = playlist.clone();
        let required = playlist.required_version();
        expected.version = match playlist.version {
            None if required == 1 => None,
            declared => Some(declared.unwrap_or(1).max(required)),
        };
        expected.target_duration = playlist.written_target_duration();
        prop_assert_eq!(&back, &expected, "written:\n{}", written);
        prop_assert_eq!(back.to_m3u8().unwrap(), written);
    }

    #[test]
    fn valid_multivariant_text_reads_and_writes_to_the_same_value(
        units in vec(prop_oneof![
            Just("#EXT-X-VERSION:7"), Just("#EXT-X-INDEPENDENT-SEGMENTS"),
            Just("#EXT-X-STREAM-INF:BANDWIDTH=1,CODECS=\"a.1, b.2\",FRAME-RATE=29.97\nv.m3u8"),
            Just("#EXT-X-STREAM-INF:RESOLUTION=1x2,BANDWIDTH=9,CLOSED-CAPTIONS=\"cc\",PROGRAM-ID=1\nw.m3u8"),
            Just("#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID=\"g\",NAME=\"n\",DEFAULT=YES,CHANNELS=\"2\""),
            Just("#EXT-X-MEDIA:NAME=\"c\",TYPE=CLOSED-CAPTIONS,GROUP-ID=\"cc\",INSTREAM-ID=\"CC1\""),
            Just("#EXT-X-I-FRAME-STREAM-INF:BANDWIDTH=2,URI=\"i.m3u8\",VIDEO=\"v\""),
            Just("#EXT-X-SESSION-DATA:DATA-ID=\"d\",VALUE=\"v\""),
            Just("#EXT-X-SESSION-KEY:METHOD=AES-128,URI=\"k\""),
            Just("#EXT-X-CONTENT-STEERING:SERVER-URI=\"s\""),
            Just("#EXT-X-START:TIME-OFFSET=1"), Just("# a comment"), Just(""),
        ], 1..20),
    ) {
        let text = format!("#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=5\nfirst.m3u8\n{}\n", units.join("\n"));
        let playlist = match parse_playlist(text.as_bytes()) {
            Ok(Playlist::Multivariant(m)) => m,
            other => panic!("{other:?}\n{text}"),
        };
        let written = playlist.to_m3u8().unwrap();
        let back = MultivariantPlaylist::parse(written.as_bytes()).unwrap();
        let mut expected = playlist.clone();
        let required = playlist.required_version();
        expected.version = match playlist.version {
            None if required == 1 => None,
            declared => Some(declared.unwrap_or(1).max(required)),
        };
        prop_assert_eq!(&back, &expected, "written:\n{}", written);
        prop_assert_eq!(back.to_m3u8().unwrap(), written);
    }

    #[test]
    fn delta_updates_merge_back_into_the_full_playlist(
        durations in vec(1u64..8000, 1..40),
        boundary_ms in 0u64..60_000,
        v2 in any::<bool>(),
    ) {
        let mut full = MediaPlaylist { media_sequence: 1000, ..Default::default() };
        for (i, ms) in durations.iter().enumerate() {
            let mut s = MediaSegment::new(Duration::from_millis(*ms), format!("s{i}.ts"));
            if i % 3 == 0 {
                s.other_tags.push(Tag::new("EXT-X-DATERANGE", Some(format!("ID=\"d{i}\""))));
            }
            full.segments.push(s);
        }
        let request = if v2 {
            SkipRequest::SegmentsAndDateRanges { recently_removed: Vec::new() }
        } else {
            SkipRequest::Segments
        };
        let boundary = Duration::from_millis(boundary_ms);
        let delta = full.delta_update(boundary, &request).unwrap();
        let skipped = delta.skip.as_ref().map_or(0, |s| s.skipped_segments) as usize;
        // Every skipped segment ends at least the boundary before the end;
        // the first kept one does not.
        let total = full.duration();
        let end_of = |n: usize| full.segments[..n].iter().map(|s| s.duration).sum::<Duration>();
        if skipped > 0 {
            prop_assert!(total - end_of(skipped) >= boundary);
        }
        if skipped < full.segments.len() {
            prop_assert!(total - end_of(skipped + 1) < boundary);
        }
        let text = delta.to_m3u8().unwrap();
        let read = MediaPlaylist::parse(text.as_bytes()).unwrap();
        let merged = full.apply_delta(&read).unwrap();
        prop_assert_eq!(merged.segments, full.segments);
    }
}
