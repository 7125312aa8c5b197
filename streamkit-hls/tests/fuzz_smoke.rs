//! Runs the fuzz target of streamkit-hls (`streamkit_hls::fuzz`, called by
//! `fuzz/` at the repository root) over seeds: RFC 8216 and
//! draft-pantos-hls-rfc8216bis example playlists (media, encrypted,
//! multivariant, low-latency and its delta update), each also cut short,
//! and edge inputs. Cheap, so the target's checks run on every test run
//! and not only under libFuzzer.

#![allow(clippy::unwrap_used, clippy::panic)] // test code: a failure fails the test

use streamkit_hls::fuzz;
use streamkit_hls::playlist::{Playlist, SkipRequest, parse_playlist};

/// RFC 8216 section 8.2, Live Media Playlist Using HTTPS (with EXT-X-KEY).
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

/// RFC 8216 section 8.6, Master Playlist with Alternative Audio.
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

/// draft-pantos-hls-rfc8216bis, the low-latency example (parts of the
/// completed segments left out).
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
#EXTINF:4.00008,
fileSequence271.mp4
#EXT-X-PROGRAM-DATE-TIME:2019-02-14T02:14:00.106Z
#EXTINF:4.00008,
fileSequence272.mp4
#EXT-X-PART:DURATION=0.33334,URI="filePart273.0.mp4",INDEPENDENT=YES
#EXT-X-PART:DURATION=0.33334,URI="filePart273.1.mp4"
#EXT-X-PART:DURATION=0.33334,URI="filePart273.2.mp4"
#EXT-X-PRELOAD-HINT:TYPE=PART,URI="filePart273.3.mp4"


#EXT-X-RENDITION-REPORT:URI="../1M/waitForMSN.php",LAST-MSN=273,LAST-PART=2
#EXT-X-RENDITION-REPORT:URI="../4M/waitForMSN.php",LAST-MSN=273,LAST-PART=1
"#;

/// A Playlist Delta Update (EXT-X-SKIP).
const LOW_LATENCY_DELTA: &str = r#"#EXTM3U
#EXT-X-TARGETDURATION:4
#EXT-X-VERSION:9
#EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES,PART-HOLD-BACK=1.0,CAN-SKIP-UNTIL=12.0
#EXT-X-PART-INF:PART-TARGET=0.33334
#EXT-X-MEDIA-SEQUENCE:266
#EXT-X-SKIP:SKIPPED-SEGMENTS=3
#EXTINF:4.00008,
fileSequence269.mp4
#EXT-X-PART:DURATION=0.33334,URI="filePart270.0.mp4",INDEPENDENT=YES
#EXT-X-PRELOAD-HINT:TYPE=PART,URI="filePart270.1.mp4"
"#;

const EXAMPLES: [&str; 4] = [
    ENCRYPTED,
    MASTER_ALTERNATIVE_AUDIO,
    LOW_LATENCY,
    LOW_LATENCY_DELTA,
];

#[test]
fn examples_pass_the_target() {
    for text in EXAMPLES {
        // Each example reads, so the target reaches its round trips.
        assert!(parse_playlist(text.as_bytes()).is_ok(), "{text}");
        fuzz::playlist(text.as_bytes());
        for cut in [7, text.len() / 3, text.len() / 2, text.len() - 1] {
            fuzz::playlist(&text.as_bytes()[..cut]);
        }
        fuzz::playlist(text.replace('\n', "\r\n").as_bytes());
    }
}

#[test]
fn the_low_latency_example_has_a_delta_update_to_merge() {
    // The target's delta round trip skips segments older than half the
    // playlist's duration: 24 s here, so some are skipped.
    let Ok(Playlist::Media(full)) = parse_playlist(LOW_LATENCY.as_bytes()) else {
        panic!("not a media playlist");
    };
    assert_eq!(full.segments.len(), 7);
    let delta = full
        .delta_update(full.duration() / 2, &SkipRequest::Segments)
        .unwrap();
    assert_eq!(delta.skip.map(|s| s.skipped_segments), Some(3));
    fuzz::playlist(LOW_LATENCY.as_bytes());
}

#[test]
fn edge_inputs_pass_the_target() {
    let inputs: &[&[u8]] = &[
        b"",
        b"#EXTM3U",
        b"#EXTM3U\n#EXTINF:-1,\na\n",
        b"#EXTM3U\n#EXT-X-BYTERANGE:18446744073709551615@18446744073709551615\na\n",
        b"#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1\n",
        b"\xef\xbb\xbf#EXTM3U\n",
        b"\xff\xfe",
    ];
    for data in inputs {
        fuzz::playlist(data);
    }
}
