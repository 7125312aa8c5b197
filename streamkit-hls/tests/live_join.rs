//! A live broadcast feeding LL-HLS, on a simulated clock: a packager that
//! joins mid-GOP has its first part, starting at the cached keyframe, one
//! frame after it joins; a publisher that reconnects shows as
//! EXT-X-DISCONTINUITY with the timeline continued; a subscriber that fell
//! behind resumes at a keyframe behind a discontinuity.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
#![allow(clippy::disallowed_methods)] // the origin of the simulated clock

use std::time::{Duration, Instant};

use bytes::Bytes;
use streamkit_core::clock::UnixTime;
use streamkit_core::live::{Broadcast, BroadcastConfig, SubscriberId};
use streamkit_core::mp4::Mp4File;
use streamkit_core::package::{Package, PackageConfig};
use streamkit_core::sample::Sample;
use streamkit_core::time::{MediaTime, Timescale};
use streamkit_core::track::Track;
use streamkit_hls::presentation::{Presentation, PresentationConfig};

/// The fixture's video track and its 300 frames (a keyframe every 2 s).
fn video() -> (Track, Vec<Sample>) {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../tests/fixtures/h264_aac.mp4"
    );
    let file = Mp4File::parse(Bytes::from(std::fs::read(path).unwrap())).unwrap();
    let track = file.tracks()[0].to_track().unwrap();
    let samples = file.track_samples(track.id).unwrap().collect();
    (track, samples)
}

fn at(t0: Instant, s: &Sample) -> Instant {
    t0 + MediaTime::new(s.dts, s.timescale).to_duration().unwrap()
}

fn live_package(track: &Track) -> Package {
    let config = PackageConfig::new(MediaTime::new(2, Timescale::SECONDS))
        .with_part_target(MediaTime::new(500, Timescale::MILLIS))
        .with_window(8);
    Package::new(core::slice::from_ref(track), &[], config).unwrap()
}

fn feed(b: &mut Broadcast, id: SubscriberId, package: &mut Package) {
    while let Some(d) = b.poll_delivery(id) {
        package.push_delivery(d).unwrap();
    }
}

#[test]
fn a_packager_joining_mid_gop_lists_an_independent_part_one_frame_later() {
    let (track, samples) = video();
    let t0 = Instant::now();
    let mut b = Broadcast::new(t0, vec![track.clone()], BroadcastConfig::default()).unwrap();
    // 2.5 s of stream: the newest keyframe is frame 60 (2 s).
    for s in &samples[..75] {
        b.push(at(t0, s), s.clone()).unwrap();
    }
    let joined = at(t0, &samples[74]);
    let id = b.subscribe();
    let mut package = live_package(&track);
    feed(&mut b, id, &mut package);
    // The GOP cache is frames 60..75: one full 500 ms part, complete at
    // the next frame.
    assert!(package.open_segment().is_none());
    let next = &samples[75];
    b.push(at(t0, next), next.clone()).unwrap();
    feed(&mut b, id, &mut package);
    let first_part_at = at(t0, next);
    let open = package.open_segment().unwrap();
    let part = &open.renditions[0].parts[0];
    assert!(part.independent, "the first part starts at a keyframe");
    assert_eq!(
        open.start,
        MediaTime::new(samples[60].dts, track.timescale),
        "the first segment starts at the cached keyframe"
    );
    // Time to the first part a new viewer can play: one frame after it
    // joined, on the simulated clock.
    let waited = first_part_at - joined;
    assert!(
        waited.abs_diff(Duration::from_secs(1) / 30) < Duration::from_micros(1),
        "{waited:?}"
    );
    let hls = Presentation::new(&package, PresentationConfig::live(6)).unwrap();
    let playlist = hls.media_playlist(&package, 0).unwrap().to_m3u8().unwrap();
    assert!(
        playlist.contains("#EXT-X-PART:DURATION=0.500,URI=\"seg-0.0.m4s\",INDEPENDENT=YES"),
        "{playlist}"
    );
}

#[test]
fn a_reconnecting_publisher_is_a_discontinuity_with_the_timeline_continued() {
    let (track, samples) = video();
    let t0 = Instant::now();
    let mut b = Broadcast::new(t0, vec![track.clone()], BroadcastConfig::default()).unwrap();
    b.set_wall_clock(
        MediaTime::zero(track.timescale),
        UnixTime::from_unix_millis(1_700_000_000_000),
    );
    let id = b.subscribe();
    let mut package = live_package(&track);
    for s in &samples[..120] {
        b.push(at(t0, s), s.clone()).unwrap();
        feed(&mut b, id, &mut package);
    }
    // The encoder comes back and starts its clock over from zero.
    let back = at(t0, &samples[119]) + Duration::from_secs(1);
    b.republish(back, vec![track.clone()]).unwrap();
    for s in &samples[..150] {
        b.push(back, s.clone()).unwrap();
        feed(&mut b, id, &mut package);
    }
    let hls = Presentation::new(&package, PresentationConfig::live(6)).unwrap();
    let playlist = hls.media_playlist(&package, 0).unwrap();
    let text = playlist.to_m3u8().unwrap();
    assert_eq!(
        playlist.segments.iter().filter(|s| s.discontinuity).count(),
        1,
        "{text}"
    );
    let d = playlist
        .segments
        .iter()
        .position(|s| s.discontinuity)
        .unwrap();
    assert!(d > 0);
    // The timeline went on: every segment starts where the last ended.
    let mut end = None;
    for s in package.segments() {
        if let Some(e) = end {
            assert_eq!(s.start, e);
        }
        end = s.start.checked_add(s.duration);
    }
    assert!(text.contains("#EXT-X-DISCONTINUITY\n"), "{text}");
}

#[test]
fn a_packager_that_fell_behind_resumes_at_a_keyframe_behind_a_discontinuity() {
    let (track, samples) = video();
    let t0 = Instant::now();
    // At most 2 s behind.
    let config = BroadcastConfig::default().with_max_lag(64 << 20, Duration::from_secs(2));
    let mut b = Broadcast::new(t0, vec![track.clone()], config).unwrap();
    let id = b.subscribe();
    let mut package = live_package(&track);
    for s in &samples[..60] {
        b.push(at(t0, s), s.clone()).unwrap();
        feed(&mut b, id, &mut package);
    }
    // It stops reading for 4 s of stream.
    for s in &samples[60..180] {
        b.push(at(t0, s), s.clone()).unwrap();
    }
    feed(&mut b, id, &mut package);
    for s in &samples[180..] {
        b.push(at(t0, s), s.clone()).unwrap();
        feed(&mut b, id, &mut package);
    }
    package.finish().unwrap();
    let segments = package.segments();
    let resumed = segments.iter().find(|s| s.discontinuity).unwrap();
    assert!(resumed.independent);
    // It went on at the keyframe at 4 s (frame 120): what it missed is
    // the gap, not garbage.
    assert_eq!(
        resumed.start,
        MediaTime::new(samples[120].dts, track.timescale)
    );
}
