//! Arbitrary request targets never panic an HLS origin, and it only ever
//! answers 200 with something the package made or a playlist, 400, 404,
//! 414, or holds a request that names a delivery directive or a hinted
//! part.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use bytes::Bytes;
use proptest::prelude::*;
use streamkit_core::mp4::Mp4File;
use streamkit_core::package::{Package, PackageConfig};
use streamkit_core::time::{MediaTime, Timescale};
use streamkit_hls::origin::HlsView;
use streamkit_hls::presentation::{Presentation, PresentationConfig};
use streamkit_origin::{Answer, Origin, OriginConfig, Output, PackageSite, Request};

/// An origin over 5 s of the fixture as live LL-HLS, and the names it can
/// serve.
fn origin() -> (Origin<PackageSite>, BTreeSet<String>) {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../tests/fixtures/h264_aac.mp4"
    );
    let file = Mp4File::parse(Bytes::from(std::fs::read(path).unwrap())).unwrap();
    let config = PackageConfig::new(MediaTime::new(2, Timescale::SECONDS))
        .with_part_target(MediaTime::new(500, Timescale::MILLIS))
        .with_window(4);
    let mut package = Package::for_mp4(&file, config).unwrap();
    for s in file.samples().take(250) {
        package.push(s).unwrap();
    }
    let presentation = Presentation::new(&package, PresentationConfig::live(4)).unwrap();
    let mut names: BTreeSet<String> = package.resources().map(|(n, _)| n).collect();
    if let Some(open) = package.open_segment() {
        for r in ["video", "audio"] {
            names.insert(format!("{r}/seg-{}.m4s", open.sequence));
            for p in &open.parts {
                names.insert(format!("{r}/seg-{}.{}.m4s", open.sequence, p.index));
            }
        }
    }
    names.extend(
        presentation
            .playlists(&package)
            .unwrap()
            .into_iter()
            .map(|(n, _)| n),
    );
    let site = PackageSite::new(package, vec![Box::new(HlsView::new(presentation))]);
    (Origin::new(site, OriginConfig::default()).unwrap(), names)
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
        #[allow(clippy::disallowed_methods)] // the origin of a virtual clock
        let now = Instant::now();
        for t in &targets {
            let request = Request::get(t);
            let (path, query) = t.split_once('?').unwrap_or((t, ""));
            match origin.handle_request(now, &request) {
                Answer::Response(r) => {
                    prop_assert!(matches!(r.status, 200 | 400 | 404 | 414), "{t:?}: {}", r.status);
                    if r.status == 200 {
                        let name = path.trim_start_matches('/');
                        prop_assert!(names.contains(name), "{t:?} served {name}");
                        prop_assert!(r.content_type.is_some());
                    }
                }
                Answer::Pending(_) => {
                    prop_assert!(
                        query.contains("_HLS_msn") || path.ends_with(".m4s"),
                        "{t:?} held"
                    );
                }
            }
        }
        // Every held request is answered at its deadline (a held request
        // for the segment being made may stream: its chunks follow).
        while origin.poll_output().is_some() {}
        if let Some(deadline) = origin.poll_timeout() {
            origin.handle_timeout(deadline + Duration::from_secs(60));
            while let Some(out) = origin.poll_output() {
                if let Output::Response { response, .. } = out {
                    prop_assert!(matches!(response.status, 503 | 200), "{}", response.status);
                }
            }
            prop_assert_eq!(origin.held_count(), 0);
        }
    }
}
