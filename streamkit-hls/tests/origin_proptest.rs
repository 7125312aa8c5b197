//! Arbitrary request targets never panic the origin, and it only ever
//! answers 200 with something it was given, 400, 404, or holds a request
//! that names a delivery directive or a hinted part.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeSet;
use std::time::Duration;

use bytes::Bytes;
use proptest::prelude::*;
use streamkit_core::mp4::Mp4File;
use streamkit_core::time::{MediaTime, Timescale};
use streamkit_hls::origin::{Handled, Origin, OriginConfig, Request};
use streamkit_hls::packager::{Packager, PackagerConfig, PackagerEvent, SegmentFormat};

/// An origin fed with 5 s of the fixture as live LL-HLS, and the names it
/// was given.
fn origin() -> (Origin, BTreeSet<String>) {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../tests/fixtures/h264_aac.mp4"
    );
    let file = Mp4File::parse(Bytes::from(std::fs::read(path).unwrap())).unwrap();
    let config = PackagerConfig::live(
        SegmentFormat::Fmp4,
        MediaTime::new(2, Timescale::SECONDS),
        4,
    )
    .with_part_target(MediaTime::new(500, Timescale::MILLIS));
    let mut packager = Packager::for_mp4(&file, config).unwrap();
    let mut origin = Origin::new(OriginConfig::default());
    let mut names = BTreeSet::new();
    for s in file.samples().take(250) {
        packager.push(s).unwrap();
        while let Some(e) = packager.poll() {
            match &e {
                PackagerEvent::InitSegment(r) => names.insert(r.name.clone()),
                PackagerEvent::Part(p) => names.insert(p.resource.name.clone()),
                PackagerEvent::Segment(s) => names.insert(s.resource.name.clone()),
                PackagerEvent::MediaPlaylist { name, .. }
                | PackagerEvent::MultivariantPlaylist { name, .. } => names.insert(name.clone()),
                _ => false,
            };
            origin.handle_event(e, Duration::from_secs(5));
        }
    }
    (origin, names)
}

fn target() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        Just("/".to_string()),
        Just("..".to_string()),
        Just(".".to_string()),
        Just("%2e".to_string()),
        Just("video".to_string()),
        Just("audio".to_string()),
        Just("index.m3u8".to_string()),
        Just("seg-1.m4s".to_string()),
        Just("seg-2.1.m4s".to_string()),
        Just("init.mp4".to_string()),
        Just("?".to_string()),
        Just("&".to_string()),
        Just("=".to_string()),
        Just("_HLS_msn".to_string()),
        Just("_HLS_part".to_string()),
        Just("_HLS_skip".to_string()),
        Just("YES".to_string()),
        Just("v2".to_string()),
        (0u64..8).prop_map(|n| n.to_string()),
        any::<String>(),
    ];
    proptest::collection::vec(piece, 0..16).prop_map(|p| p.concat())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn arbitrary_targets_never_panic(targets in proptest::collection::vec(target(), 1..8)) {
        let (mut origin, names) = origin();
        for t in &targets {
            let request = Request::from_target(t);
            match origin.handle_request(&request, Duration::from_secs(5)) {
                Handled::Response(r) => {
                    prop_assert!(matches!(r.status, 200 | 400 | 404), "{t:?}: {}", r.status);
                    if r.status == 200 {
                        let name = request.path.trim_start_matches('/');
                        prop_assert!(names.contains(name), "{t:?} served {name}");
                        prop_assert!(r.content_type.is_some());
                    }
                }
                Handled::Held(_) => {
                    prop_assert!(
                        request.query.contains("_HLS_msn") || request.path.ends_with(".m4s"),
                        "{t:?} held"
                    );
                }
            }
        }
        // Every held request is answered at its deadline.
        if let Some(deadline) = origin.poll_timeout() {
            origin.handle_timeout(deadline + Duration::from_secs(60));
            prop_assert_eq!(origin.held_count(), 0);
            while let Some((_, r)) = origin.poll_released() {
                prop_assert_eq!(r.status, 503);
            }
        }
    }
}
