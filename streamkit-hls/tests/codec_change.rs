//! A codec configuration that changes mid-stream, as HLS lists it: an
//! EXT-X-DISCONTINUITY before the first segment of the new configuration
//! in every rendition, a new EXT-X-MAP in the renditions whose init
//! segment changed, the same in the partial segment of LL-HLS, Playlist
//! Delta Updates that merge back to it, and the discontinuity sequence
//! once the change leaves the window.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::Duration;

use bytes::Bytes;
use streamkit_core::codec::CodecConfig;
use streamkit_core::mp4::Mp4File;
use streamkit_core::package::{Package, PackageConfig};
use streamkit_core::time::{MediaTime, Timescale};
use streamkit_hls::playlist::{MediaPlaylist, SkipRequest};
use streamkit_hls::presentation::{Presentation, PresentationConfig};

fn file() -> Mp4File {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../tests/fixtures/h264_aac.mp4"
    );
    Mp4File::parse(Bytes::from(std::fs::read(path).unwrap())).unwrap()
}

fn maps(p: &MediaPlaylist) -> Vec<(u64, bool, Option<String>)> {
    p.segments
        .iter()
        .enumerate()
        .map(|(i, s)| {
            (
                p.media_sequence + i as u64,
                s.discontinuity,
                s.map.as_ref().map(|m| m.uri.clone()),
            )
        })
        .collect()
}

fn text(p: &MediaPlaylist) -> String {
    let mut out = String::new();
    p.write_to(&mut out).unwrap();
    out
}

/// The fixture looped three times (2 s GOPs, 2 s segments, 500 ms parts,
/// a window of 6); from the second loop on (10 s) the video has another
/// configuration. `each` sees every state.
fn run(mut each: impl FnMut(&Package, &Presentation)) {
    let file = file();
    let config = PackageConfig::new(MediaTime::new(2, Timescale::SECONDS))
        .with_part_target(MediaTime::new(500, Timescale::MILLIS))
        .with_window(6);
    let mut package = Package::for_mp4(&file, config).unwrap();
    let hls = Presentation::new(&package, PresentationConfig::live(6)).unwrap();
    let mut changed = package.renditions()[0].tracks[0].clone();
    if let CodecConfig::H264(avc) = &mut changed.codec {
        avc.level_idc += 1;
    }
    for k in 0..3i64 {
        if k == 1 {
            package.change_track(changed.clone()).unwrap();
        }
        for mut s in file
            .samples()
            .filter(|s| s.end_dts() <= 10 * i64::from(s.timescale.hz()))
        {
            s.dts += k * 10 * i64::from(s.timescale.hz());
            package.push(s).unwrap();
            while package.poll_event().is_some() {}
            each(&package, &hls);
        }
    }
}

#[test]
fn the_new_configuration_follows_a_discontinuity_and_its_own_map() {
    let init = |s: &str| Some(s.to_owned());
    let mut seen_partial = false;
    let mut seen_listed = false;
    let mut seen_first = false;
    run(|package, hls| {
        let complete = package.segments().back().map(|s| s.sequence);
        let open = package.open_segment().map(|o| o.sequence);
        let video = hls.media_playlist(package, 0).unwrap();
        let audio = hls.media_playlist(package, 1).unwrap();
        if complete == Some(4) && open == Some(5) && !seen_partial {
            // The segment of the new configuration is being made: its
            // parts are listed after a discontinuity, with the new map.
            seen_partial = true;
            let partial = video.partial_segment.as_ref().unwrap();
            assert!(partial.discontinuity);
            assert_eq!(partial.map.as_ref().unwrap().uri, "init-1.mp4");
            let partial = audio.partial_segment.as_ref().unwrap();
            assert!(partial.discontinuity);
            assert_eq!(partial.map, None);
            let t = text(&video);
            assert!(
                t.contains("#EXT-X-DISCONTINUITY\n#EXT-X-MAP:URI=\"init-1.mp4\"\n#EXT-X-PART:"),
                "{t}"
            );
            assert!(t.contains("#EXT-X-PRELOAD-HINT:TYPE=PART,URI=\"seg-5."));
        }
        if complete == Some(7) && !seen_listed {
            seen_listed = true;
            assert_eq!(
                maps(&video),
                [
                    (2, false, init("init.mp4")),
                    (3, false, None),
                    (4, false, None),
                    (5, true, init("init-1.mp4")),
                    (6, false, None),
                    (7, false, None),
                ]
            );
            // Audio did not change: one map, the same discontinuity.
            assert_eq!(
                maps(&audio),
                [
                    (2, false, init("init.mp4")),
                    (3, false, None),
                    (4, false, None),
                    (5, true, None),
                    (6, false, None),
                    (7, false, None),
                ]
            );
            assert_eq!(video.discontinuity_sequence, 0);
            assert_eq!(audio.discontinuity_sequence, 0);
            // Both video init segments are served while both are listed.
            assert!(package.resource("video/init.mp4").is_some());
            assert!(package.resource("video/init-1.mp4").is_some());
            // A delta update that skips segment 5 and its map: a client
            // merges the skipped segments back with their tags, so the
            // map in force is the new one again.
            let delta = video
                .delta_update(Duration::from_secs(3), &SkipRequest::Segments)
                .unwrap();
            let skipped = delta.skip.as_ref().unwrap().skipped_segments;
            assert_eq!(skipped, 4);
            assert_eq!(delta.segments[0].map, None);
            let merged = video.apply_delta(&delta).unwrap();
            assert_eq!(maps(&merged), maps(&video));
        }
        if complete == Some(10) && !seen_first {
            // Segments 0 to 4 (the old configuration) left the package:
            // so did the old init segment; the discontinuity is counted.
            seen_first = true;
            assert_eq!(package.segments().front().unwrap().sequence, 5);
            assert!(package.resource("video/init.mp4").is_none());
            assert!(package.resource("audio/init.mp4").is_some());
            assert_eq!(
                maps(&video),
                [
                    (5, true, init("init-1.mp4")),
                    (6, false, None),
                    (7, false, None),
                    (8, false, None),
                    (9, false, None),
                    (10, false, None),
                ]
            );
            assert_eq!(video.discontinuity_sequence, 0);
        }
        if complete == Some(11) {
            let video = hls.media_playlist(package, 0).unwrap();
            assert_eq!(video.discontinuity_sequence, 1);
            assert_eq!(video.segments[0].map.as_ref().unwrap().uri, "init-1.mp4");
        }
    });
    assert!(seen_partial && seen_listed && seen_first);
}
