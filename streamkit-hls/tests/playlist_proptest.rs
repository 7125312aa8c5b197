//! Properties: write then read gives the same playlist, for generated media
//! playlists (low-latency tags, keys, maps, byte ranges, date-times, unknown
//! tags and attributes) and multivariant playlists; arbitrary text never
//! panics the reader, and whatever it reads writes to a fixed point; a
//! delta update merged into its full playlist gives the full playlist.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod playlist_strategies;

use std::time::Duration;

use proptest::collection::vec;
use proptest::prelude::*;
use streamkit_hls::playlist::{
    MediaPlaylist, MediaSegment, MultivariantPlaylist, Playlist, SkipRequest, Tag, parse_playlist,
};

use playlist_strategies::{media_playlist, multivariant_playlist};

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
