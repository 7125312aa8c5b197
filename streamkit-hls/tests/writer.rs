//! Exact output of the playlist writer: live windows with parts, VOD with
//! byte ranges, EVENT, multivariant playlists, and the derived values
//! (EXT-X-VERSION, EXT-X-TARGETDURATION, BANDWIDTH).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::Duration;

use streamkit_hls::playlist::{
    AttributeList, AttributeValue, BitRates, ByteRange, FrameRate, Key, KeyMethod, Map,
    MediaPlaylist, MediaSegment, MultivariantPlaylist, Part, PartInf, PartialSegment, PlaylistType,
    PreloadHint, ProgramDateTime, Rendition, RenditionReport, Resolution, ServerControl, Skip, Tag,
    VariantStream, WriteError,
};

const SECOND: Duration = Duration::from_secs(1);
const HALF: Duration = Duration::from_millis(500);
/// 2026-11-25T20:00:00Z.
const START_MS: i64 = 1_795_636_800_000;

fn parts(msn: u64, count: usize) -> Vec<Part> {
    (0..count)
        .map(|i| Part {
            independent: i == 0,
            ..Part::new(HALF, format!("seg{msn}.{i}.m4s"))
        })
        .collect()
}

/// A live low-latency rendition after 8 segments, its window slid to 6.
fn live_window() -> MediaPlaylist {
    let mut playlist = MediaPlaylist {
        target_duration: 2,
        media_sequence: 118,
        independent_segments: true,
        server_control: Some(ServerControl {
            can_block_reload: true,
            can_skip_until: Some(12 * SECOND),
            part_hold_back: Some(3 * HALF),
            ..Default::default()
        }),
        part_inf: Some(PartInf::new(HALF)),
        ..Default::default()
    };
    let mut at = ProgramDateTime::from_unix_millis(START_MS);
    for msn in 118..126u64 {
        let duration = if msn == 123 {
            Duration::from_millis(2400)
        } else {
            2 * SECOND
        };
        let mut segment = MediaSegment::new(duration, format!("seg{msn}.m4s"));
        segment.program_date_time = Some(at);
        segment.map = (msn == 118).then(|| Map::new("init.mp4"));
        segment.discontinuity = msn == 119;
        if msn >= 124 {
            segment.parts = parts(msn, 4);
        }
        at = at.add(duration);
        playlist.segments.push(segment);
        playlist.slide_window(6);
    }
    playlist.partial_segment = Some(PartialSegment {
        program_date_time: Some(at),
        parts: parts(126, 2),
        ..Default::default()
    });
    playlist
        .preload_hints
        .push(PreloadHint::part("seg126.2.m4s"));
    playlist.rendition_reports.push(RenditionReport {
        uri: "../audio/index.m3u8".into(),
        last_msn: Some(126),
        last_part: Some(1),
        other_attributes: AttributeList::new(),
    });
    playlist
}

const LIVE_WINDOW: &str = r#"#EXTM3U
#EXT-X-VERSION:6
#EXT-X-TARGETDURATION:2
#EXT-X-MEDIA-SEQUENCE:120
#EXT-X-DISCONTINUITY-SEQUENCE:1
#EXT-X-INDEPENDENT-SEGMENTS
#EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES,CAN-SKIP-UNTIL=12.000,PART-HOLD-BACK=1.500
#EXT-X-PART-INF:PART-TARGET=0.500
#EXT-X-MAP:URI="init.mp4"
#EXT-X-PROGRAM-DATE-TIME:2026-11-25T20:00:04.000Z
#EXTINF:2.000,
seg120.m4s
#EXT-X-PROGRAM-DATE-TIME:2026-11-25T20:00:06.000Z
#EXTINF:2.000,
seg121.m4s
#EXT-X-PROGRAM-DATE-TIME:2026-11-25T20:00:08.000Z
#EXTINF:2.000,
seg122.m4s
#EXT-X-PROGRAM-DATE-TIME:2026-11-25T20:00:10.000Z
#EXTINF:2.400,
seg123.m4s
#EXT-X-PROGRAM-DATE-TIME:2026-11-25T20:00:12.400Z
#EXT-X-PART:DURATION=0.500,URI="seg124.0.m4s",INDEPENDENT=YES
#EXT-X-PART:DURATION=0.500,URI="seg124.1.m4s"
#EXT-X-PART:DURATION=0.500,URI="seg124.2.m4s"
#EXT-X-PART:DURATION=0.500,URI="seg124.3.m4s"
#EXTINF:2.000,
seg124.m4s
#EXT-X-PROGRAM-DATE-TIME:2026-11-25T20:00:14.400Z
#EXT-X-PART:DURATION=0.500,URI="seg125.0.m4s",INDEPENDENT=YES
#EXT-X-PART:DURATION=0.500,URI="seg125.1.m4s"
#EXT-X-PART:DURATION=0.500,URI="seg125.2.m4s"
#EXT-X-PART:DURATION=0.500,URI="seg125.3.m4s"
#EXTINF:2.000,
seg125.m4s
#EXT-X-PROGRAM-DATE-TIME:2026-11-25T20:00:16.400Z
#EXT-X-PART:DURATION=0.500,URI="seg126.0.m4s",INDEPENDENT=YES
#EXT-X-PART:DURATION=0.500,URI="seg126.1.m4s"
#EXT-X-PRELOAD-HINT:TYPE=PART,URI="seg126.2.m4s"
#EXT-X-RENDITION-REPORT:URI="../audio/index.m3u8",LAST-MSN=126,LAST-PART=1
"#;

#[test]
fn six_segment_live_window_with_parts_renders_exactly() {
    let playlist = live_window();
    assert_eq!(playlist.segments.len(), 6);
    assert_eq!(playlist.to_m3u8().unwrap(), LIVE_WINDOW);
    assert_eq!(playlist.next_media_sequence(), 126);
    // And it reads back as the same value.
    let mut expected = playlist.clone();
    expected.version = Some(6);
    assert_eq!(
        MediaPlaylist::parse(LIVE_WINDOW.as_bytes()).unwrap(),
        expected
    );
    let bytes = playlist.to_bytes().unwrap();
    assert_eq!(&bytes[..], LIVE_WINDOW.as_bytes());
}

#[test]
fn sliding_window_counts_sequences_and_carries_map_and_key() {
    let mut playlist = MediaPlaylist::default();
    for n in 0..5u64 {
        let mut s = MediaSegment::new(SECOND, format!("s{n}.ts"));
        s.discontinuity = n == 1 || n == 2;
        if n == 0 {
            s.map = Some(Map::new("init0.mp4"));
            s.keys.push(Key {
                method: KeyMethod::Aes128,
                uri: Some("k0".into()),
                iv: None,
                key_format: None,
                key_format_versions: None,
                other_attributes: AttributeList::new(),
            });
        }
        playlist.segments.push(s);
    }
    playlist.slide_window(10);
    assert_eq!(playlist.segments.len(), 5);
    playlist.slide_window(2);
    assert_eq!(playlist.media_sequence, 3);
    assert_eq!(playlist.discontinuity_sequence, 2);
    assert_eq!(playlist.segments[0].uri, "s3.ts");
    assert_eq!(playlist.segments[0].map, Some(Map::new("init0.mp4")));
    assert_eq!(playlist.segments[0].keys[0].uri.as_deref(), Some("k0"));
    assert!(playlist.segments[1].map.is_none());
    playlist.slide_window(0);
    assert_eq!(playlist.media_sequence, 5);
    assert!(playlist.segments.is_empty());
}

#[test]
fn single_file_vod_with_byte_ranges() {
    let mut playlist = MediaPlaylist {
        playlist_type: Some(PlaylistType::Vod),
        end_list: true,
        ..Default::default()
    };
    let mut map = Map::new("movie.mp4");
    map.byte_range = Some(ByteRange {
        length: 1200,
        offset: Some(0),
    });
    let sizes = [(6_006, 75_232u64), (6_006, 82_112), (2_002, 31_000)];
    let mut offset = 1200;
    for (i, (ms, len)) in sizes.into_iter().enumerate() {
        let mut s = MediaSegment::new(Duration::from_millis(ms), "movie.mp4");
        s.byte_range = Some(ByteRange {
            length: len,
            offset: Some(offset),
        });
        if i == 0 {
            s.map = Some(map.clone());
        }
        offset += len;
        playlist.segments.push(s);
    }
    assert_eq!(playlist.required_version(), 6);
    assert_eq!(
        playlist.to_m3u8().unwrap(),
        r#"#EXTM3U
#EXT-X-VERSION:6
#EXT-X-TARGETDURATION:6
#EXT-X-MEDIA-SEQUENCE:0
#EXT-X-PLAYLIST-TYPE:VOD
#EXT-X-MAP:URI="movie.mp4",BYTERANGE="1200@0"
#EXTINF:6.006,
#EXT-X-BYTERANGE:75232@1200
movie.mp4
#EXTINF:6.006,
#EXT-X-BYTERANGE:82112@76432
movie.mp4
#EXTINF:2.002,
#EXT-X-BYTERANGE:31000@158544
movie.mp4
#EXT-X-ENDLIST
"#
    );
    // Without the init section (MPEG-TS): version 4 for the byte ranges.
    for s in &mut playlist.segments {
        s.map = None;
    }
    assert_eq!(playlist.required_version(), 4);
}

#[test]
fn event_playlist_and_declared_version_and_target_duration() {
    let mut playlist = MediaPlaylist {
        playlist_type: Some(PlaylistType::Event),
        version: Some(7),
        target_duration: 4,
        ..Default::default()
    };
    playlist
        .segments
        .push(MediaSegment::new(Duration::from_millis(5499), "a.ts"));
    let mut titled = MediaSegment::new(Duration::from_millis(3000), "b.ts");
    titled.title = "Sample artist - Sample title".into();
    playlist.segments.push(titled);
    // 5.499 rounds to 5, above the configured 4: 5 is written. The declared
    // version 7 is above the required 3 and kept.
    assert_eq!(
        playlist.to_m3u8().unwrap(),
        "#EXTM3U\n#EXT-X-VERSION:7\n#EXT-X-TARGETDURATION:5\n#EXT-X-MEDIA-SEQUENCE:0\n\
         #EXT-X-PLAYLIST-TYPE:EVENT\n#EXTINF:5.499,\na.ts\n\
         #EXTINF:3.000,Sample artist - Sample title\nb.ts\n"
    );
    playlist.segments[0].duration = Duration::from_millis(5500);
    assert_eq!(playlist.written_target_duration(), 6, "halves round up");
    playlist.target_duration = 10;
    assert_eq!(playlist.written_target_duration(), 10);
}

fn key(method: KeyMethod) -> Key {
    Key {
        method,
        uri: Some("https://keys.example/k".into()),
        iv: None,
        key_format: None,
        key_format_versions: None,
        other_attributes: AttributeList::new(),
    }
}

#[test]
fn version_follows_the_features_used() {
    let base = || {
        let mut p = MediaPlaylist::default();
        p.segments.push(MediaSegment::new(SECOND, "s.ts"));
        p
    };
    assert_eq!(MediaPlaylist::default().required_version(), 1);
    assert_eq!(base().required_version(), 3);

    let mut with_iv = MediaPlaylist::default();
    let mut partial = PartialSegment::default();
    partial.keys.push(Key {
        iv: Some(1),
        ..key(KeyMethod::Aes128)
    });
    with_iv.partial_segment = Some(partial);
    assert_eq!(with_iv.required_version(), 2);
    assert!(
        with_iv
            .to_m3u8()
            .unwrap()
            .contains("IV=0x00000000000000000000000000000001")
    );

    let mut p = base();
    p.segments[0].keys.push(key(KeyMethod::SampleAes));
    assert_eq!(p.required_version(), 5);
    let mut p = base();
    p.segments[0].keys.push(Key {
        key_format: Some("identity".into()),
        ..key(KeyMethod::Aes128)
    });
    assert_eq!(p.required_version(), 5);

    let mut p = base();
    p.i_frames_only = true;
    assert_eq!(p.required_version(), 4);
    p.segments[0].map = Some(Map::new("init.mp4"));
    assert_eq!(p.required_version(), 5);
    p.i_frames_only = false;
    assert_eq!(p.required_version(), 6);

    let mut p = base();
    p.other_tags.push(Tag::new(
        "EXT-X-DEFINE",
        Some(r#"NAME="a",VALUE="b""#.into()),
    ));
    assert_eq!(p.required_version(), 8);

    let mut p = base();
    p.skip = Some(Skip {
        skipped_segments: 2,
        ..Default::default()
    });
    assert_eq!(p.required_version(), 9);
    p.skip = Some(Skip {
        skipped_segments: 2,
        recently_removed_dateranges: Some(vec!["ad1".into(), "ad2".into()]),
        other_attributes: AttributeList::new(),
    });
    assert_eq!(p.required_version(), 10);
    assert!(
        p.to_m3u8()
            .unwrap()
            .contains("#EXT-X-SKIP:SKIPPED-SEGMENTS=2,RECENTLY-REMOVED-DATERANGES=\"ad1\tad2\"\n")
    );

    let mut m = MultivariantPlaylist::default();
    assert_eq!(m.required_version(), 1);
    m.renditions.push(Rendition {
        media_type: streamkit_hls::playlist::MediaType::ClosedCaptions,
        instream_id: Some("SERVICE3".into()),
        ..Rendition::audio("cc", "English")
    });
    assert_eq!(m.required_version(), 7);
}

#[test]
fn bit_rates_follow_rfc_8216_definitions() {
    // Target 4 s: runs of 2..=6 s count. Segment sizes in bytes.
    let segments = [
        (500_000u64, Duration::from_secs(4)), // 1.000 Mbit/s
        (250_000, Duration::from_secs(2)),    // 1.000 Mbit/s
        (1_000_000, Duration::from_secs(2)),  // 4.000 Mbit/s alone
        (100_000, Duration::from_secs(4)),    // 0.200 Mbit/s
    ];
    let rates = BitRates::measure(segments, 4);
    // Best run: segment 2 alone (2 s) = 4 Mbit/s.
    assert_eq!(rates.peak, 4_000_000);
    // 1 850 000 bytes over 12 s, rounded up.
    assert_eq!(rates.average, 1_233_334);
    // Runs longer than 1.5 target durations do not count; with no run in
    // range, each segment counts alone.
    let long = BitRates::measure([(1_000, Duration::from_secs(10))], 2);
    assert_eq!(
        long,
        BitRates {
            peak: 800,
            average: 800
        }
    );
    assert_eq!(BitRates::measure([], 2), BitRates::default());
    let sum = rates + long;
    assert_eq!(sum.peak, 4_000_800);
}

#[test]
fn multivariant_with_audio_renditions() {
    let video_rates = BitRates::measure(
        [
            (500_000u64, 2 * SECOND),
            (400_000, 2 * SECOND),
            (450_000, 2 * SECOND),
        ],
        2,
    );
    let audio_rates = BitRates::measure([(32_000u64, 2 * SECOND); 3], 2);
    let rates = video_rates + audio_rates;
    let mut english = Rendition::audio("aac", "English");
    english.default = true;
    english.autoselect = true;
    english.language = Some("en".into());
    english.channels = Some("2".into());
    english.uri = Some("audio/en.m3u8".into());
    let mut german = Rendition::audio("aac", "Deutsch");
    german.autoselect = true;
    german.language = Some("de".into());
    german.uri = Some("audio/de.m3u8".into());
    let mut variant = VariantStream::new("video/720p.m3u8", rates.peak);
    variant.average_bandwidth = Some(rates.average);
    variant.codecs = vec!["avc1.64001f".into(), "mp4a.40.2".into()];
    variant.resolution = Some(Resolution {
        width: 1280,
        height: 720,
    });
    variant.frame_rate = FrameRate::from_ratio(30_000, 1001);
    variant.audio = Some("aac".into());
    variant
        .other_attributes
        .push("VIDEO-RANGE", AttributeValue::Enumerated("SDR".into()));
    let playlist = MultivariantPlaylist {
        independent_segments: true,
        renditions: vec![english, german],
        variants: vec![variant],
        ..Default::default()
    };
    let text = playlist.to_m3u8().unwrap();
    assert_eq!(
        text,
        r#"#EXTM3U
#EXT-X-INDEPENDENT-SEGMENTS
#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="aac",NAME="English",DEFAULT=YES,AUTOSELECT=YES,LANGUAGE="en",CHANNELS="2",URI="audio/en.m3u8"
#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="aac",NAME="Deutsch",DEFAULT=NO,AUTOSELECT=YES,LANGUAGE="de",URI="audio/de.m3u8"
#EXT-X-STREAM-INF:BANDWIDTH=2128000,AVERAGE-BANDWIDTH=1928000,CODECS="avc1.64001f,mp4a.40.2",RESOLUTION=1280x720,FRAME-RATE=29.970,AUDIO="aac",VIDEO-RANGE=SDR
video/720p.m3u8
"#
    );
    assert_eq!(
        MultivariantPlaylist::parse(text.as_bytes()).unwrap(),
        playlist
    );
}

#[test]
fn text_that_would_not_read_back_is_refused() {
    let mut p = MediaPlaylist::default();
    p.segments
        .push(MediaSegment::new(SECOND, "a.ts\n#EXT-X-ENDLIST"));
    assert!(matches!(
        p.to_m3u8(),
        Err(WriteError::InvalidText {
            what: "segment URI",
            ..
        })
    ));
    let mut p = MediaPlaylist::default();
    let mut s = MediaSegment::new(SECOND, "a.ts");
    s.map = Some(Map::new("in\"it.mp4"));
    p.segments.push(s);
    assert!(matches!(
        p.to_m3u8(),
        Err(WriteError::InvalidText {
            what: "EXT-X-MAP",
            ..
        })
    ));
    let mut p = MediaPlaylist::default();
    let mut s = MediaSegment::new(SECOND, "a.ts");
    s.program_date_time = Some(ProgramDateTime {
        unix_seconds: i64::MAX,
        nanos: 0,
        offset_minutes: 0,
    });
    p.segments.push(s);
    assert_eq!(p.to_m3u8(), Err(WriteError::DateOutOfRange));
    let mut p = MediaPlaylist::default();
    let mut s = MediaSegment::new(SECOND, "a.ts");
    s.other_tags.push(Tag::new("EXTINF", Some("1,".into())));
    p.segments.push(s);
    assert!(p.to_m3u8().is_err(), "typed tags go through their fields");
    let mut m = MultivariantPlaylist::default();
    let mut v = VariantStream::new("v.m3u8", 1);
    v.codecs = vec!["a,b".into()];
    m.variants.push(v);
    assert!(matches!(
        m.to_m3u8(),
        Err(WriteError::InvalidText { what: "CODECS", .. })
    ));
}
