//! The example playlists of RFC 8216 section 8 and the low-latency examples
//! of draft-pantos-hls-rfc8216bis: each parses to exactly the values it
//! states, and survives write then parse.
//!
//! The RFC breaks long EXT-X-MEDIA lines with a trailing `\` for the page;
//! the texts here have those lines joined, as the RFC says to read them.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::Duration;

use streamkit_hls::playlist::{
    ClosedCaptions, KeyMethod, MediaPlaylist, MediaType, MultivariantPlaylist, Playlist,
    PreloadHintType, ProgramDateTime, parse_playlist,
};

fn media(text: &str) -> MediaPlaylist {
    match parse_playlist(text.as_bytes()).expect("parses") {
        Playlist::Media(m) => m,
        Playlist::Multivariant(_) => panic!("expected a media playlist"),
    }
}

fn multivariant(text: &str) -> MultivariantPlaylist {
    match parse_playlist(text.as_bytes()).expect("parses") {
        Playlist::Multivariant(m) => m,
        Playlist::Media(_) => panic!("expected a multivariant playlist"),
    }
}

/// Write, then read back: the same value, and writing that gives the same
/// text again.
fn assert_media_round_trip(playlist: &MediaPlaylist) {
    let text = playlist.to_m3u8().expect("writes");
    let back = MediaPlaylist::parse(text.as_bytes()).expect("reads its own output");
    let mut expected = playlist.clone();
    let required = playlist.required_version();
    expected.version = match playlist.version {
        None if required == 1 => None,
        declared => Some(declared.unwrap_or(1).max(required)),
    };
    expected.target_duration = playlist.written_target_duration();
    assert_eq!(back, expected, "written:\n{text}");
    assert_eq!(back.to_m3u8().unwrap(), text);
}

fn assert_multivariant_round_trip(playlist: &MultivariantPlaylist) {
    let text = playlist.to_m3u8().expect("writes");
    let back = MultivariantPlaylist::parse(text.as_bytes()).expect("reads its own output");
    assert_eq!(&back, playlist, "written:\n{text}");
    assert_eq!(back.to_m3u8().unwrap(), text);
}

/// RFC 8216 section 8.1, Simple Media Playlist.
const SIMPLE_MEDIA: &str = "#EXTM3U
#EXT-X-TARGETDURATION:10
#EXT-X-VERSION:3
#EXTINF:9.009,
http://media.example.com/first.ts
#EXTINF:9.009,
http://media.example.com/second.ts
#EXTINF:3.003,
http://media.example.com/third.ts
#EXT-X-ENDLIST
";

/// RFC 8216 section 8.2, Live Media Playlist Using HTTPS.
const LIVE_HTTPS: &str = "#EXTM3U
#EXT-X-VERSION:3
#EXT-X-TARGETDURATION:8
#EXT-X-MEDIA-SEQUENCE:2680

#EXTINF:7.975,
https://priv.example.com/fileSequence2680.ts
#EXTINF:7.941,
https://priv.example.com/fileSequence2681.ts
#EXTINF:7.975,
https://priv.example.com/fileSequence2682.ts
";

/// RFC 8216 section 8.3, Playlist with Encrypted Media Segments.
const ENCRYPTED: &str = r#"#EXTM3U
#EXT-X-VERSION:3
#EXT-X-MEDIA-SEQUENCE:7794
#EXT-X-TARGETDURATION:15

#EXT-X-KEY:METHOD=AES-128,URI="https://priv.example.com/key.php?r=52"

#EXTINF:2.833,
http://media.example.com/fileSequence52-A.ts
#EXTINF:15.0,
http://media.example.com/fileSequence52-B.ts
#EXTINF:13.333,
http://media.example.com/fileSequence52-C.ts

#EXT-X-KEY:METHOD=AES-128,URI="https://priv.example.com/key.php?r=53"

#EXTINF:15.0,
http://media.example.com/fileSequence53-A.ts
"#;

/// RFC 8216 section 8.4, Master Playlist.
const MASTER: &str = r#"#EXTM3U
#EXT-X-STREAM-INF:BANDWIDTH=1280000,AVERAGE-BANDWIDTH=1000000
http://example.com/low.m3u8
#EXT-X-STREAM-INF:BANDWIDTH=2560000,AVERAGE-BANDWIDTH=2000000
http://example.com/mid.m3u8
#EXT-X-STREAM-INF:BANDWIDTH=7680000,AVERAGE-BANDWIDTH=6000000
http://example.com/hi.m3u8
#EXT-X-STREAM-INF:BANDWIDTH=65000,CODECS="mp4a.40.5"
http://example.com/audio-only.m3u8
"#;

/// RFC 8216 section 8.5, Master Playlist with I-Frames.
const MASTER_I_FRAMES: &str = r#"#EXTM3U
#EXT-X-STREAM-INF:BANDWIDTH=1280000
low/audio-video.m3u8
#EXT-X-I-FRAME-STREAM-INF:BANDWIDTH=86000,URI="low/iframe.m3u8"
#EXT-X-STREAM-INF:BANDWIDTH=2560000
mid/audio-video.m3u8
#EXT-X-I-FRAME-STREAM-INF:BANDWIDTH=150000,URI="mid/iframe.m3u8"
#EXT-X-STREAM-INF:BANDWIDTH=7680000
hi/audio-video.m3u8
#EXT-X-I-FRAME-STREAM-INF:BANDWIDTH=550000,URI="hi/iframe.m3u8"
#EXT-X-STREAM-INF:BANDWIDTH=65000,CODECS="mp4a.40.5"
audio-only.m3u8
"#;

/// RFC 8216 section 8.6, Master Playlist with Alternative Audio (CODECS
/// condensed to "..." in the RFC itself).
const MASTER_ALTERNATIVE_AUDIO: &str = r#"#EXTM3U
#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="aac",NAME="English",DEFAULT=YES,AUTOSELECT=YES,LANGUAGE="en",URI="main/english-audio.m3u8"
#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="aac",NAME="Deutsch",DEFAULT=NO,AUTOSELECT=YES,LANGUAGE="de",URI="main/german-audio.m3u8"
#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="aac",NAME="Commentary",DEFAULT=NO,AUTOSELECT=NO,LANGUAGE="en",URI="commentary/audio-only.m3u8"
#EXT-X-STREAM-INF:BANDWIDTH=1280000,CODECS="...",AUDIO="aac"
low/video-only.m3u8
#EXT-X-STREAM-INF:BANDWIDTH=2560000,CODECS="...",AUDIO="aac"
mid/video-only.m3u8
#EXT-X-STREAM-INF:BANDWIDTH=7680000,CODECS="...",AUDIO="aac"
hi/video-only.m3u8
#EXT-X-STREAM-INF:BANDWIDTH=65000,CODECS="mp4a.40.5",AUDIO="aac"
main/english-audio.m3u8
"#;

/// RFC 8216 section 8.7, Master Playlist with Alternative Video.
const MASTER_ALTERNATIVE_VIDEO: &str = r#"#EXTM3U
#EXT-X-MEDIA:TYPE=VIDEO,GROUP-ID="low",NAME="Main",DEFAULT=YES,URI="low/main/audio-video.m3u8"
#EXT-X-MEDIA:TYPE=VIDEO,GROUP-ID="low",NAME="Centerfield",DEFAULT=NO,URI="low/centerfield/audio-video.m3u8"
#EXT-X-MEDIA:TYPE=VIDEO,GROUP-ID="low",NAME="Dugout",DEFAULT=NO,URI="low/dugout/audio-video.m3u8"

#EXT-X-STREAM-INF:BANDWIDTH=1280000,CODECS="...",VIDEO="low"
low/main/audio-video.m3u8

#EXT-X-MEDIA:TYPE=VIDEO,GROUP-ID="mid",NAME="Main",DEFAULT=YES,URI="mid/main/audio-video.m3u8"
#EXT-X-MEDIA:TYPE=VIDEO,GROUP-ID="mid",NAME="Centerfield",DEFAULT=NO,URI="mid/centerfield/audio-video.m3u8"
#EXT-X-MEDIA:TYPE=VIDEO,GROUP-ID="mid",NAME="Dugout",DEFAULT=NO,URI="mid/dugout/audio-video.m3u8"

#EXT-X-STREAM-INF:BANDWIDTH=2560000,CODECS="...",VIDEO="mid"
mid/main/audio-video.m3u8

#EXT-X-MEDIA:TYPE=VIDEO,GROUP-ID="hi",NAME="Main",DEFAULT=YES,URI="hi/main/audio-video.m3u8"
#EXT-X-MEDIA:TYPE=VIDEO,GROUP-ID="hi",NAME="Centerfield",DEFAULT=NO,URI="hi/centerfield/audio-video.m3u8"
#EXT-X-MEDIA:TYPE=VIDEO,GROUP-ID="hi",NAME="Dugout",DEFAULT=NO,URI="hi/dugout/audio-video.m3u8"

#EXT-X-STREAM-INF:BANDWIDTH=7680000,CODECS="...",VIDEO="hi"
hi/main/audio-video.m3u8
"#;

/// draft-pantos-hls-rfc8216bis, the Low-Latency Playlist example (a
/// response to `_HLS_msn=273&_HLS_part=2`), with its comment line and the
/// blank lines before the rendition reports as the draft lays them out.
const LOW_LATENCY: &str = r#"#EXTM3U
# This Playlist is a response to: GET https://example.com/2M/waitForMSN.php?_HLS_msn=273&_HLS_part=2
#EXT-X-TARGETDURATION:4
#EXT-X-VERSION:6
#EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES,PART-HOLD-BACK=1.0,CAN-SKIP-UNTIL=12.0
#EXT-X-PART-INF:PART-TARGET=0.33334
#EXT-X-MEDIA-SEQUENCE:266
#EXT-X-PROGRAM-DATE-TIME:2019-02-14T02:13:36.106Z
#EXT-X-MAP:URI="init.mp4"
#EXTINF:4.00008,
fileSequence266.mp4
#EXTINF:4.00008,
fileSequence267.mp4
#EXTINF:4.00008,
fileSequence268.mp4
#EXTINF:4.00008,
fileSequence269.mp4
#EXTINF:4.00008,
fileSequence270.mp4
#EXT-X-PART:DURATION=0.33334,URI="filePart271.0.mp4"
#EXT-X-PART:DURATION=0.33334,URI="filePart271.1.mp4"
#EXT-X-PART:DURATION=0.33334,URI="filePart271.2.mp4"
#EXT-X-PART:DURATION=0.33334,URI="filePart271.3.mp4"
#EXT-X-PART:DURATION=0.33334,URI="filePart271.4.mp4",INDEPENDENT=YES
#EXT-X-PART:DURATION=0.33334,URI="filePart271.5.mp4"
#EXT-X-PART:DURATION=0.33334,URI="filePart271.6.mp4"
#EXT-X-PART:DURATION=0.33334,URI="filePart271.7.mp4"
#EXT-X-PART:DURATION=0.33334,URI="filePart271.8.mp4",INDEPENDENT=YES
#EXT-X-PART:DURATION=0.33334,URI="filePart271.9.mp4"
#EXT-X-PART:DURATION=0.33334,URI="filePart271.10.mp4"
#EXT-X-PART:DURATION=0.33334,URI="filePart271.11.mp4"
#EXTINF:4.00008,
fileSequence271.mp4
#EXT-X-PROGRAM-DATE-TIME:2019-02-14T02:14:00.106Z
#EXT-X-PART:DURATION=0.33334,URI="filePart272.a.mp4"
#EXT-X-PART:DURATION=0.33334,URI="filePart272.b.mp4"
#EXT-X-PART:DURATION=0.33334,URI="filePart272.c.mp4"
#EXT-X-PART:DURATION=0.33334,URI="filePart272.d.mp4"
#EXT-X-PART:DURATION=0.33334,URI="filePart272.e.mp4"
#EXT-X-PART:DURATION=0.33334,URI="filePart272.f.mp4",INDEPENDENT=YES
#EXT-X-PART:DURATION=0.33334,URI="filePart272.g.mp4"
#EXT-X-PART:DURATION=0.33334,URI="filePart272.h.mp4"
#EXT-X-PART:DURATION=0.33334,URI="filePart272.i.mp4"
#EXT-X-PART:DURATION=0.33334,URI="filePart272.j.mp4"
#EXT-X-PART:DURATION=0.33334,URI="filePart272.k.mp4"
#EXT-X-PART:DURATION=0.33334,URI="filePart272.l.mp4"
#EXTINF:4.00008,
fileSequence272.mp4
#EXT-X-PART:DURATION=0.33334,URI="filePart273.0.mp4",INDEPENDENT=YES
#EXT-X-PART:DURATION=0.33334,URI="filePart273.1.mp4"
#EXT-X-PART:DURATION=0.33334,URI="filePart273.2.mp4"
#EXT-X-PRELOAD-HINT:TYPE=PART,URI="filePart273.3.mp4"


#EXT-X-RENDITION-REPORT:URI="../1M/waitForMSN.php",LAST-MSN=273,LAST-PART=2
#EXT-X-RENDITION-REPORT:URI="../4M/waitForMSN.php",LAST-MSN=273,LAST-PART=1
"#;

/// draft-pantos-hls-rfc8216bis, the Playlist Delta Update example that
/// follows it (a response to `_HLS_msn=273&_HLS_part=3&_HLS_skip=YES`).
const LOW_LATENCY_DELTA: &str = r#"#EXTM3U
# Following the example above, this Playlist is a response to: GET https://example.com/2M/waitForMSN.php?_HLS_msn=273&_HLS_part=3 &_HLS_skip=YES
#EXT-X-TARGETDURATION:4
#EXT-X-VERSION:9
#EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES,PART-HOLD-BACK=1.0,CAN-SKIP-UNTIL=12.0
#EXT-X-PART-INF:PART-TARGET=0.33334
#EXT-X-MEDIA-SEQUENCE:266
#EXT-X-SKIP:SKIPPED-SEGMENTS=3
#EXTINF:4.00008,
fileSequence269.mp4
#EXTINF:4.00008,
fileSequence270.mp4
#EXT-X-PART:DURATION=0.33334,URI="filePart271.0.mp4"
#EXT-X-PART:DURATION=0.33334,URI="filePart271.1.mp4"
#EXT-X-PART:DURATION=0.33334,URI="filePart271.2.mp4"
#EXT-X-PART:DURATION=0.33334,URI="filePart271.3.mp4"
#EXT-X-PART:DURATION=0.33334,URI="filePart271.4.mp4",INDEPENDENT=YES
#EXT-X-PART:DURATION=0.33334,URI="filePart271.5.mp4"
#EXT-X-PART:DURATION=0.33334,URI="filePart271.6.mp4"
#EXT-X-PART:DURATION=0.33334,URI="filePart271.7.mp4"
#EXT-X-PART:DURATION=0.33334,URI="filePart271.8.mp4",INDEPENDENT=YES
#EXT-X-PART:DURATION=0.33334,URI="filePart271.9.mp4"
#EXT-X-PART:DURATION=0.33334,URI="filePart271.10.mp4"
#EXT-X-PART:DURATION=0.33334,URI="filePart271.11.mp4"
#EXTINF:4.00008,
fileSequence271.mp4
#EXT-X-PROGRAM-DATE-TIME:2019-02-14T02:14:00.106Z
#EXT-X-PART:DURATION=0.33334,URI="filePart272.a.mp4"
#EXT-X-PART:DURATION=0.33334,URI="filePart272.b.mp4"
#EXT-X-PART:DURATION=0.33334,URI="filePart272.c.mp4"
#EXT-X-PART:DURATION=0.33334,URI="filePart272.d.mp4"
#EXT-X-PART:DURATION=0.33334,URI="filePart272.e.mp4"
#EXT-X-PART:DURATION=0.33334,URI="filePart272.f.mp4",INDEPENDENT=YES
#EXT-X-PART:DURATION=0.33334,URI="filePart272.g.mp4"
#EXT-X-PART:DURATION=0.33334,URI="filePart272.h.mp4"
#EXT-X-PART:DURATION=0.33334,URI="filePart272.i.mp4"
#EXT-X-PART:DURATION=0.33334,URI="filePart272.j.mp4"
#EXT-X-PART:DURATION=0.33334,URI="filePart272.k.mp4"
#EXT-X-PART:DURATION=0.33334,URI="filePart272.l.mp4"
#EXTINF:4.00008,
fileSequence272.mp4
#EXT-X-PART:DURATION=0.33334,URI="filePart273.0.mp4",INDEPENDENT=YES
#EXT-X-PART:DURATION=0.33334,URI="filePart273.1.mp4"
#EXT-X-PART:DURATION=0.33334,URI="filePart273.2.mp4"
#EXT-X-PART:DURATION=0.33334,URI="filePart273.3.mp4"
#EXT-X-PRELOAD-HINT:TYPE=PART,URI="filePart273.4.mp4"

#EXT-X-RENDITION-REPORT:URI="../1M/waitForMSN.php",LAST-MSN=273,LAST-PART=3
#EXT-X-RENDITION-REPORT:URI="../4M/waitForMSN.php",LAST-MSN=273,LAST-PART=3
"#;

#[test]
fn simple_media_playlist() {
    let p = media(SIMPLE_MEDIA);
    assert_eq!(p.version, Some(3));
    assert_eq!(p.target_duration, 10);
    assert!(p.end_list);
    let uris: Vec<_> = p.segments.iter().map(|s| s.uri.as_str()).collect();
    assert_eq!(
        uris,
        [
            "http://media.example.com/first.ts",
            "http://media.example.com/second.ts",
            "http://media.example.com/third.ts"
        ]
    );
    let durations: Vec<_> = p.segments.iter().map(|s| s.duration).collect();
    assert_eq!(
        durations,
        [
            Duration::from_millis(9009),
            Duration::from_millis(9009),
            Duration::from_millis(3003)
        ]
    );
    assert_eq!(p.required_version(), 3);
    assert_media_round_trip(&p);
    // The RFC's target duration (10) is kept though 9 would do.
    assert!(
        p.to_m3u8()
            .unwrap()
            .contains("\n#EXT-X-TARGETDURATION:10\n")
    );
}

#[test]
fn live_media_playlist_using_https() {
    let p = media(LIVE_HTTPS);
    assert_eq!(p.media_sequence, 2680);
    assert_eq!(p.target_duration, 8);
    assert!(!p.end_list);
    assert_eq!(p.segments.len(), 3);
    assert_eq!(p.segments[1].duration, Duration::from_millis(7941));
    assert_eq!(
        p.segments[2].uri,
        "https://priv.example.com/fileSequence2682.ts"
    );
    assert_eq!(p.next_media_sequence(), 2683);
    assert_media_round_trip(&p);
}

#[test]
fn playlist_with_encrypted_segments() {
    let p = media(ENCRYPTED);
    assert_eq!(p.media_sequence, 7794);
    assert_eq!(p.segments.len(), 4);
    let first_key = &p.segments[0].keys[0];
    assert_eq!(first_key.method, KeyMethod::Aes128);
    assert_eq!(
        first_key.uri.as_deref(),
        Some("https://priv.example.com/key.php?r=52")
    );
    assert!(p.segments[1].keys.is_empty() && p.segments[2].keys.is_empty());
    assert_eq!(
        p.segments[3].keys[0].uri.as_deref(),
        Some("https://priv.example.com/key.php?r=53")
    );
    assert_eq!(p.segments[1].duration, Duration::from_secs(15));
    assert_media_round_trip(&p);
}

#[test]
fn master_playlist() {
    let p = multivariant(MASTER);
    assert_eq!(p.version, None);
    assert_eq!(p.variants.len(), 4);
    assert_eq!(p.variants[0].bandwidth, 1_280_000);
    assert_eq!(p.variants[0].average_bandwidth, Some(1_000_000));
    assert_eq!(p.variants[3].codecs, ["mp4a.40.5"]);
    assert_eq!(p.variants[3].uri, "http://example.com/audio-only.m3u8");
    assert_multivariant_round_trip(&p);
    // Nothing in it needs more than version 1: no EXT-X-VERSION is written.
    assert_eq!(p.to_m3u8().unwrap(), MASTER);
}

#[test]
fn master_playlist_with_i_frames() {
    let p = multivariant(MASTER_I_FRAMES);
    assert_eq!(p.variants.len(), 4);
    let i_frames: Vec<_> = p
        .i_frame_streams
        .iter()
        .map(|s| (s.bandwidth, s.uri.as_str()))
        .collect();
    assert_eq!(
        i_frames,
        [
            (86_000, "low/iframe.m3u8"),
            (150_000, "mid/iframe.m3u8"),
            (550_000, "hi/iframe.m3u8")
        ]
    );
    assert_multivariant_round_trip(&p);
}

#[test]
fn master_playlist_with_alternative_audio() {
    let p = multivariant(MASTER_ALTERNATIVE_AUDIO);
    assert_eq!(p.renditions.len(), 3);
    let english = &p.renditions[0];
    assert_eq!(english.media_type, MediaType::Audio);
    assert_eq!(english.group_id, "aac");
    assert_eq!(english.name, "English");
    assert!(english.default && english.autoselect);
    assert_eq!(english.language.as_deref(), Some("en"));
    assert_eq!(english.uri.as_deref(), Some("main/english-audio.m3u8"));
    assert!(!p.renditions[2].default && !p.renditions[2].autoselect);
    assert!(p.variants.iter().all(|v| v.audio.as_deref() == Some("aac")));
    assert_eq!(p.variants[0].codecs, ["..."]);
    assert_multivariant_round_trip(&p);
}

#[test]
fn master_playlist_with_alternative_video() {
    let p = multivariant(MASTER_ALTERNATIVE_VIDEO);
    assert_eq!(p.renditions.len(), 9);
    assert!(
        p.renditions
            .iter()
            .all(|r| r.media_type == MediaType::Video)
    );
    assert_eq!(
        p.renditions.iter().filter(|r| r.default).count(),
        3,
        "one DEFAULT=YES per group"
    );
    let groups: Vec<_> = p.variants.iter().map(|v| v.video.as_deref()).collect();
    assert_eq!(groups, [Some("low"), Some("mid"), Some("hi")]);
    assert_eq!(p.variants[2].closed_captions, None::<ClosedCaptions>);
    assert_multivariant_round_trip(&p);
}

#[test]
fn low_latency_playlist() {
    let p = media(LOW_LATENCY);
    assert_eq!(p.version, Some(6));
    assert_eq!(p.required_version(), 6, "EXT-X-MAP without I-frames only");
    let sc = p.server_control.as_ref().unwrap();
    assert!(sc.can_block_reload);
    assert_eq!(sc.part_hold_back, Some(Duration::from_secs(1)));
    assert_eq!(sc.can_skip_until, Some(Duration::from_secs(12)));
    assert_eq!(sc.hold_back, None);
    assert_eq!(
        p.part_inf.as_ref().unwrap().part_target,
        Duration::new(0, 333_340_000)
    );
    assert_eq!(p.media_sequence, 266);
    assert_eq!(p.segments.len(), 7);
    assert_eq!(p.segments[0].map.as_ref().unwrap().uri, "init.mp4");
    assert_eq!(
        p.segments[0].program_date_time,
        Some(ProgramDateTime::from_unix_millis(1_550_110_416_106))
    );
    assert_eq!(p.segments[0].duration, Duration::new(4, 80_000));
    let part_counts: Vec<_> = p.segments.iter().map(|s| s.parts.len()).collect();
    assert_eq!(part_counts, [0, 0, 0, 0, 0, 12, 12]);
    let independent: Vec<_> = p.segments[5]
        .parts
        .iter()
        .enumerate()
        .filter(|(_, part)| part.independent)
        .map(|(i, _)| i)
        .collect();
    assert_eq!(independent, [4, 8]);
    // The date-time after fileSequence271.mp4 belongs to segment 272.
    assert_eq!(
        p.segments[6].program_date_time,
        Some(ProgramDateTime::from_unix_millis(1_550_110_440_106))
    );
    assert_eq!(p.segments[6].parts[11].uri, "filePart272.l.mp4");
    let partial = p.partial_segment.as_ref().unwrap();
    let uris: Vec<_> = partial.parts.iter().map(|part| part.uri.as_str()).collect();
    assert_eq!(
        uris,
        [
            "filePart273.0.mp4",
            "filePart273.1.mp4",
            "filePart273.2.mp4"
        ]
    );
    assert!(partial.parts[0].independent);
    assert_eq!(p.preload_hints.len(), 1);
    assert_eq!(p.preload_hints[0].hint_type, PreloadHintType::Part);
    assert_eq!(p.preload_hints[0].uri, "filePart273.3.mp4");
    let reports: Vec<_> = p
        .rendition_reports
        .iter()
        .map(|r| (r.uri.as_str(), r.last_msn, r.last_part))
        .collect();
    assert_eq!(
        reports,
        [
            ("../1M/waitForMSN.php", Some(273), Some(2)),
            ("../4M/waitForMSN.php", Some(273), Some(1))
        ]
    );
    assert_eq!(p.next_media_sequence(), 273);
    assert_media_round_trip(&p);
}

#[test]
fn low_latency_delta_update_merges_into_the_full_segment_list() {
    let delta = media(LOW_LATENCY_DELTA);
    assert_eq!(delta.version, Some(9));
    assert_eq!(delta.required_version(), 9);
    assert_eq!(delta.skip.as_ref().unwrap().skipped_segments, 3);
    assert_eq!(delta.segments[0].uri, "fileSequence269.mp4");
    assert_media_round_trip(&delta);

    let previous = media(LOW_LATENCY);
    let merged = previous.apply_delta(&delta).unwrap();
    assert_eq!(merged.skip, None);
    let uris: Vec<_> = merged.segments.iter().map(|s| s.uri.as_str()).collect();
    assert_eq!(
        uris,
        (266..=272)
            .map(|n| format!("fileSequence{n}.mp4"))
            .collect::<Vec<_>>()
    );
    // The skipped segments come back with their tags (EXT-X-MAP and the
    // date-time of 266).
    assert_eq!(merged.segments[..3], previous.segments[..3]);
    assert_eq!(merged.segments[3..], delta.segments[..]);
    assert_eq!(merged.partial_segment.as_ref().unwrap().parts.len(), 4);
    assert_eq!(merged.preload_hints[0].uri, "filePart273.4.mp4");
}
