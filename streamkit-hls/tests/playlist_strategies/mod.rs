//! Strategies that generate playlists of every shape the model holds
//! (low-latency tags, keys, maps, byte ranges, date-times, unknown tags and
//! attributes), shared by the property tests.
// Each test crate uses some of them.
#![allow(dead_code)]

use std::time::Duration;

use proptest::collection::vec;
use proptest::option;
use proptest::prelude::*;
use streamkit_hls::playlist::{
    AttributeList, AttributeValue, ByteRange, ClosedCaptions, FrameRate, IFrameStream, Key,
    KeyMethod, Map, MediaPlaylist, MediaSegment, MediaType, MultivariantPlaylist, Part, PartInf,
    PartialSegment, PlaylistType, PreloadHint, PreloadHintType, ProgramDateTime, Rendition,
    RenditionReport, Resolution, ServerControl, Skip, Tag, VariantStream,
};

pub(crate) fn duration() -> impl Strategy<Value = Duration> {
    (0u64..200, 0u32..1_000_000_000).prop_map(|(s, n)| Duration::new(s, n))
}

pub(crate) fn uri() -> impl Strategy<Value = String> {
    "[a-z0-9][a-zA-Z0-9/._?=&-]{0,20}"
}

pub(crate) fn quoted_text() -> impl Strategy<Value = String> {
    "[A-Za-z0-9 ,._/:=-]{0,16}"
}

pub(crate) fn attribute_value() -> impl Strategy<Value = AttributeValue> {
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

pub(crate) fn unknown_attributes() -> impl Strategy<Value = AttributeList> {
    vec(("X-[A-Z]{1,6}", attribute_value()), 0..3).prop_map(|pairs| {
        let mut list = AttributeList::new();
        for (name, value) in pairs {
            list.push(name, value);
        }
        list
    })
}

pub(crate) fn byte_range() -> impl Strategy<Value = ByteRange> {
    (any::<u64>(), option::of(any::<u64>()))
        .prop_map(|(length, offset)| ByteRange { length, offset })
}

pub(crate) fn program_date_time() -> impl Strategy<Value = ProgramDateTime> {
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

pub(crate) fn key() -> impl Strategy<Value = Key> {
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

pub(crate) fn map() -> impl Strategy<Value = Map> {
    (uri(), option::of(byte_range()), unknown_attributes()).prop_map(
        |(uri, byte_range, other_attributes)| Map {
            uri,
            byte_range,
            other_attributes,
        },
    )
}

pub(crate) fn part() -> impl Strategy<Value = Part> {
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

pub(crate) fn segment_tag() -> impl Strategy<Value = Tag> {
    (
        "EXT-X-VND-[A-Z]{1,5}",
        option::of("[A-Za-z0-9=,\"._-]{0,12}"),
    )
        .prop_map(|(name, value)| Tag::new(name, value))
}

pub(crate) fn segment() -> impl Strategy<Value = MediaSegment> {
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

pub(crate) fn partial_segment() -> impl Strategy<Value = Option<PartialSegment>> {
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

pub(crate) fn server_control() -> impl Strategy<Value = ServerControl> {
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

pub(crate) fn preload_hint() -> impl Strategy<Value = PreloadHint> {
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

pub(crate) fn rendition_report() -> impl Strategy<Value = RenditionReport> {
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

pub(crate) fn skip() -> impl Strategy<Value = Skip> {
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

pub(crate) fn playlist_tag() -> impl Strategy<Value = Tag> {
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

pub(crate) fn media_playlist() -> impl Strategy<Value = MediaPlaylist> {
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

pub(crate) fn codecs() -> impl Strategy<Value = Vec<String>> {
    vec("[a-z0-9]{1,4}\\.[0-9A-F.]{1,8}", 0..3)
}

pub(crate) fn variant() -> impl Strategy<Value = VariantStream> {
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

pub(crate) fn i_frame_stream() -> impl Strategy<Value = IFrameStream> {
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

pub(crate) fn rendition() -> impl Strategy<Value = Rendition> {
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

pub(crate) fn multivariant_playlist() -> impl Strategy<Value = MultivariantPlaylist> {
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
