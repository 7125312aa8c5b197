//! The reader: lenient where the meaning is clear, typed errors with line
//! numbers where it is not, and Playlist Delta Updates made and merged.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::Duration;

use streamkit_hls::playlist::{
    AttributeValue, DeltaError, MediaPlaylist, MediaSegment, MultivariantPlaylist, ParseError,
    Part, PartialSegment, Playlist, PreloadHintType, SkipRequest, Tag, parse_playlist,
};

#[test]
fn lenient_input_reads_as_its_meaning() {
    // A byte order mark, a comment before #EXTM3U, CRLF line ends, blank
    // lines, spaces after commas, attributes out of order, unknown tags and
    // attributes, a quoted enumerated value and an EXTINF without a comma.
    let text = "\u{feff}# made by hand\r\n\r\n#EXTM3U\r\n#EXT-X-VERSION:7\r\n\
        #EXT-X-TARGETDURATION:6\r\n\r\n#EXT-X-START:TIME-OFFSET=-12.5\r\n\
        #EXT-X-SERVER-CONTROL:PART-HOLD-BACK=3, CAN-BLOCK-RELOAD=YES, X-VENDOR=\"v\"\r\n\
        #EXT-X-PART-INF:PART-TARGET=1\r\n\
        #EXT-X-CUE-OUT:30\r\n\
        #EXT-X-PART:URI=\"p0.mp4\",DURATION=1,INDEPENDENT=YES\r\n\
        #EXTINF:6\r\n  a.mp4  \r\n\
        # a comment between segments\r\n\
        #EXT-X-CUE-IN\r\n\
        #EXT-X-PRELOAD-HINT:URI=\"b.mp4\",TYPE=\"MAP\",BYTERANGE-START=100,BYTERANGE-LENGTH=20\r\n";
    let Playlist::Media(p) = parse_playlist(text.as_bytes()).unwrap() else {
        panic!("media playlist expected");
    };
    assert_eq!(p.version, Some(7));
    assert_eq!(
        p.other_tags,
        [Tag::new("EXT-X-START", Some("TIME-OFFSET=-12.5".into()))]
    );
    let sc = p.server_control.as_ref().unwrap();
    assert!(sc.can_block_reload);
    assert_eq!(sc.part_hold_back, Some(Duration::from_secs(3)));
    assert_eq!(
        sc.other_attributes.get("X-VENDOR"),
        Some(&AttributeValue::QuotedString("v".into()))
    );
    assert_eq!(
        p.part_inf.as_ref().unwrap().part_target,
        Duration::from_secs(1)
    );
    let segment = &p.segments[0];
    assert_eq!(segment.uri, "a.mp4");
    assert_eq!(segment.duration, Duration::from_secs(6));
    assert_eq!(segment.title, "");
    assert_eq!(
        segment.other_tags,
        [Tag::new("EXT-X-CUE-OUT", Some("30".into()))]
    );
    assert_eq!(segment.parts.len(), 1);
    assert!(segment.parts[0].independent);
    // The cue-in after the last segment waits in the segment in progress.
    assert_eq!(
        p.partial_segment.as_ref().unwrap().other_tags,
        [Tag::new("EXT-X-CUE-IN", None)]
    );
    let hint = &p.preload_hints[0];
    assert_eq!(hint.hint_type, PreloadHintType::Map);
    assert_eq!(
        (hint.byte_range_start, hint.byte_range_length),
        (Some(100), Some(20))
    );
    // Written back strictly, and read again to the same value.
    let written = p.to_m3u8().unwrap();
    assert!(!written.contains('\r') && !written.contains("\n\n"));
    assert!(written.ends_with('\n') && !written.ends_with("\n\n"));
    assert_eq!(MediaPlaylist::parse(written.as_bytes()).unwrap(), p);
}

#[test]
fn a_playlist_with_no_kind_specific_tag_is_an_empty_media_playlist() {
    let Playlist::Media(p) = parse_playlist(b"#EXTM3U\n").unwrap() else {
        panic!()
    };
    assert_eq!(p, MediaPlaylist::default());
    assert_eq!(
        p.to_m3u8().unwrap(),
        "#EXTM3U\n#EXT-X-TARGETDURATION:0\n#EXT-X-MEDIA-SEQUENCE:0\n"
    );
}

#[test]
fn errors_say_what_and_on_which_line() {
    let cases: &[(&[u8], ParseError)] = &[
        (b"", ParseError::MissingHeader { line: 0 }),
        (
            b"#comment\nfoo.ts\n#EXTM3U\n",
            ParseError::MissingHeader { line: 2 },
        ),
        (b"#EXTM3U\n\xff\n", ParseError::NotUtf8 { offset: 8 }),
        (
            b"#EXTM3U\n#EXT-X-TARGETDURATION:4\n#EXTINF:abc,\nx.ts\n",
            ParseError::InvalidTag {
                line: 3,
                tag: "EXTINF",
                reason: "duration is not a non-negative decimal number",
            },
        ),
        (
            b"#EXTM3U\n#EXT-X-TARGETDURATION:-4\n",
            ParseError::InvalidTag {
                line: 2,
                tag: "EXT-X-TARGETDURATION",
                reason: "not a decimal-integer",
            },
        ),
        (
            b"#EXTM3U\n#EXTINF:4,\n\n#EXT-X-ENDLIST\n",
            ParseError::MissingUri {
                line: 2,
                tag: "EXTINF",
            },
        ),
        (
            b"#EXTM3U\n#EXT-X-TARGETDURATION:4\nx.ts\n",
            ParseError::UnexpectedUri {
                line: 3,
                expected: "EXTINF",
            },
        ),
        (
            b"#EXTM3U\n#EXTINF:4,\nx.ts\n#EXT-X-STREAM-INF:BANDWIDTH=1\ny.m3u8\n",
            ParseError::MixedPlaylist {
                line: 4,
                tag: "EXT-X-STREAM-INF",
                playlist: "media",
            },
        ),
        (
            b"#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1\ny.m3u8\n#EXTINF:4,\nx.ts\n",
            ParseError::MixedPlaylist {
                line: 4,
                tag: "EXTINF",
                playlist: "multivariant",
            },
        ),
        (
            b"#EXTM3U\n#EXT-X-PART:DURATION=1,URI=\"p.mp4\n",
            ParseError::AttributeList {
                line: 2,
                tag: "EXT-X-PART",
                column: 28,
                reason: "quoted string without closing quote",
            },
        ),
        (
            b"#EXTM3U\n#EXT-X-PART:DURATION=1\n",
            ParseError::InvalidAttribute {
                line: 2,
                tag: "EXT-X-PART",
                attribute: "URI",
                reason: "missing",
            },
        ),
        (
            b"#EXTM3U\n#EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=MAYBE\n",
            ParseError::InvalidAttribute {
                line: 2,
                tag: "EXT-X-SERVER-CONTROL",
                attribute: "CAN-BLOCK-RELOAD",
                reason: "neither YES nor NO",
            },
        ),
        (
            b"#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1\n#EXT-X-STREAM-INF:BANDWIDTH=2\nb.m3u8\n",
            ParseError::MissingUri {
                line: 2,
                tag: "EXT-X-STREAM-INF",
            },
        ),
        (
            b"#EXTM3U\n#EXT-X-MEDIA:TYPE=AUDIO,NAME=\"x\"\n",
            ParseError::InvalidAttribute {
                line: 2,
                tag: "EXT-X-MEDIA",
                attribute: "GROUP-ID",
                reason: "missing",
            },
        ),
        (
            b"#EXTM3U\n#EXTINF:4,\nx.ts\n#EXT-X-SKIP:SKIPPED-SEGMENTS=1\n",
            ParseError::InvalidTag {
                line: 4,
                tag: "EXT-X-SKIP",
                reason: "after a media segment (it replaces the first ones)",
            },
        ),
        (
            b"#EXTM3U\n#EXT-X-PROGRAM-DATE-TIME:yesterday\n",
            ParseError::InvalidTag {
                line: 2,
                tag: "EXT-X-PROGRAM-DATE-TIME",
                reason: "not an RFC 3339 date-time",
            },
        ),
    ];
    for (input, expected) in cases {
        assert_eq!(
            parse_playlist(input).as_ref().err(),
            Some(expected),
            "input: {:?}",
            String::from_utf8_lossy(input)
        );
    }
    // The message names the line.
    let err = parse_playlist(b"#EXTM3U\n#EXT-X-PART:DURATION=1\n").unwrap_err();
    assert_eq!(
        err.to_string(),
        "line 2: EXT-X-PART: attribute URI: missing"
    );
}

#[test]
fn multivariant_unknowns_survive() {
    let text = "#EXTM3U\n#EXT-X-SESSION-DATA:DATA-ID=\"com.example.title\",VALUE=\"x\"\n\
        #EXT-X-CONTENT-STEERING:SERVER-URI=\"/steer\"\n\
        #EXT-X-STREAM-INF:PROGRAM-ID=1,BANDWIDTH=300000,RESOLUTION=\"1x1\",CLOSED-CAPTIONS=NONE,SCORE=1.5\n\
        low.m3u8\n";
    let p = MultivariantPlaylist::parse(text.as_bytes()).unwrap();
    assert_eq!(p.other_tags.len(), 2);
    let v = &p.variants[0];
    assert_eq!(v.resolution.map(|r| (r.width, r.height)), Some((1, 1)));
    assert_eq!(
        v.other_attributes.get("PROGRAM-ID"),
        Some(&AttributeValue::DecimalInteger(1))
    );
    assert_eq!(
        v.other_attributes.get("SCORE"),
        Some(&AttributeValue::DecimalFloat("1.5".into()))
    );
    let written = p.to_m3u8().unwrap();
    assert_eq!(
        written,
        "#EXTM3U\n#EXT-X-SESSION-DATA:DATA-ID=\"com.example.title\",VALUE=\"x\"\n\
         #EXT-X-CONTENT-STEERING:SERVER-URI=\"/steer\"\n\
         #EXT-X-STREAM-INF:BANDWIDTH=300000,RESOLUTION=1x1,CLOSED-CAPTIONS=NONE,PROGRAM-ID=1,SCORE=1.5\n\
         low.m3u8\n"
    );
    assert_eq!(MultivariantPlaylist::parse(written.as_bytes()).unwrap(), p);
}

fn window(first: u64, count: u64, seconds: u64) -> MediaPlaylist {
    let mut p = MediaPlaylist {
        target_duration: seconds,
        media_sequence: first,
        ..Default::default()
    };
    for n in first..first + count {
        p.segments.push(MediaSegment::new(
            Duration::from_secs(seconds),
            format!("s{n}.mp4"),
        ));
    }
    p
}

#[test]
fn delta_update_skips_segments_older_than_the_boundary() {
    let full = window(100, 10, 4);
    // 40 s in all; a boundary of 24 s keeps the segments ending in the
    // last 24 s (the last 6) and skips the 4 that end at 24 s or earlier.
    let delta = full
        .delta_update(Duration::from_secs(24), &SkipRequest::Segments)
        .unwrap();
    assert_eq!(delta.skip.as_ref().unwrap().skipped_segments, 4);
    assert_eq!(delta.media_sequence, 100);
    assert_eq!(delta.segments[0].uri, "s104.mp4");
    assert_eq!(delta.next_media_sequence(), full.next_media_sequence());
    let text = delta.to_m3u8().unwrap();
    assert!(text.contains("#EXT-X-VERSION:9\n"));
    assert!(text.contains(
        "#EXT-X-MEDIA-SEQUENCE:100\n#EXT-X-SKIP:SKIPPED-SEGMENTS=4\n#EXTINF:4.000,\ns104.mp4\n"
    ));
    // Merged back, through text, it is the full playlist again.
    let read_back = MediaPlaylist::parse(text.as_bytes()).unwrap();
    let merged = full.apply_delta(&read_back).unwrap();
    assert_eq!(merged.segments, full.segments);
    // A boundary longer than the playlist skips nothing.
    let same = full
        .delta_update(Duration::from_secs(41), &SkipRequest::Segments)
        .unwrap();
    assert_eq!(same, full);
    // Parts of the segment in progress count toward the end.
    let mut live = window(0, 3, 4);
    live.partial_segment = Some(PartialSegment {
        parts: vec![
            Part::new(Duration::from_secs(2), "p0.mp4"),
            Part::new(Duration::from_secs(2), "p1.mp4"),
        ],
        ..Default::default()
    });
    let short = live
        .delta_update(Duration::from_secs(8), &SkipRequest::Segments)
        .unwrap();
    assert_eq!(short.skip.unwrap().skipped_segments, 2);
    assert_eq!(
        full.delta_update(Duration::ZERO, &SkipRequest::Segments)
            .unwrap()
            .delta_update(Duration::ZERO, &SkipRequest::Segments),
        Err(DeltaError::AlreadyDelta)
    );
}

#[test]
fn delta_update_keeps_or_skips_date_ranges_as_asked() {
    let mut full = window(0, 8, 2);
    let daterange = |id: &str| {
        Tag::new(
            "EXT-X-DATERANGE",
            Some(format!(
                "ID=\"{id}\",START-DATE=\"2026-11-25T20:00:00.000Z\",DURATION=30.0"
            )),
        )
    };
    full.segments[1].other_tags.push(daterange("ad-1"));
    full.segments[2].other_tags.push(daterange("ad-2"));
    // _HLS_skip=YES: the date ranges of the skipped segments stay.
    let yes = full
        .delta_update(Duration::from_secs(6), &SkipRequest::Segments)
        .unwrap();
    assert_eq!(yes.skip.as_ref().unwrap().skipped_segments, 5);
    assert_eq!(
        yes.segments[0].other_tags,
        [daterange("ad-1"), daterange("ad-2")]
    );
    assert_eq!(full.apply_delta(&yes).unwrap(), full);
    // _HLS_skip=v2: they go, and the removed ones are listed.
    let v2 = full
        .delta_update(
            Duration::from_secs(6),
            &SkipRequest::SegmentsAndDateRanges {
                recently_removed: vec!["ad-2".into()],
            },
        )
        .unwrap();
    assert!(v2.segments[0].other_tags.is_empty());
    assert_eq!(v2.required_version(), 10);
    let merged = full.apply_delta(&v2).unwrap();
    assert_eq!(merged.segments[1].other_tags, [daterange("ad-1")]);
    assert!(merged.segments[2].other_tags.is_empty(), "ad-2 was removed");
}

#[test]
fn merging_needs_the_skipped_segments() {
    let full = window(100, 10, 4);
    let delta = full
        .delta_update(Duration::from_secs(24), &SkipRequest::Segments)
        .unwrap();
    let too_new = window(102, 8, 4);
    assert_eq!(
        too_new.apply_delta(&delta),
        Err(DeltaError::MissingSegments {
            first: 100,
            end: 104,
            held_first: 102,
            held_end: 110
        })
    );
    // A delta without EXT-X-SKIP is already whole.
    assert_eq!(too_new.apply_delta(&full).unwrap(), full);
}
