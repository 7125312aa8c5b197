//! The DASH presentation over a package: names from the caller reach the
//! files and the templates, every segment the MPD addresses is a file of
//! the package, and bad input is refused with a typed error.
#![allow(clippy::unwrap_used)] // test helpers outside #[test] fns

use bytes::Bytes;
use streamkit_core::clock::UnixTime;
use streamkit_core::mp4::Mp4File;
use streamkit_core::package::{Container, Naming, Package, PackageConfig, RenditionSpec};
use streamkit_core::time::{MediaTime, Timescale};
use streamkit_dash::DashError;
use streamkit_dash::presentation::{Presentation, PresentationConfig};
use streamkit_dash::resolve::resolve;

fn file() -> Mp4File {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../tests/fixtures/h264_aac.mp4"
    );
    Mp4File::parse(Bytes::from(std::fs::read(path).unwrap())).unwrap()
}

fn two_seconds() -> PackageConfig {
    PackageConfig::new(MediaTime::new(2, Timescale::SECONDS))
}

fn packaged(config: PackageConfig) -> Package {
    let file = file();
    let mut p = Package::for_mp4(&file, config).unwrap();
    for s in file.samples() {
        p.push(s).unwrap();
    }
    p.finish().unwrap();
    p
}

#[test]
fn caller_names_reach_files_and_templates() {
    let naming = Naming {
        init: "header.m4i".into(),
        segment_prefix: "chunk_".into(),
        cmaf_extension: "cmfv".into(),
        ..Naming::default()
    };
    let package = packaged(two_seconds().with_naming(naming));
    let names: Vec<String> = package.resources().map(|(n, _)| n).collect();
    assert_eq!(
        &names[..4],
        [
            "video/header.m4i",
            "audio/header.m4i",
            "video/chunk_0.cmfv",
            "audio/chunk_0.cmfv"
        ]
    );
    let dash = Presentation::new(
        &package,
        PresentationConfig::vod().with_manifest("stream.mpd"),
    )
    .unwrap();
    assert_eq!(dash.manifest_name(), "stream.mpd");
    let manifest = dash.write(&package, UnixTime::EPOCH).unwrap();
    assert!(
        manifest.contains(r#"media="$RepresentationID$/chunk_$Number$.cmfv" initialization="$RepresentationID$/header.m4i""#),
        "{manifest}"
    );
    assert!(manifest.contains(r#"startNumber="0""#), "{manifest}");
}

#[test]
fn every_addressed_segment_is_a_file_of_the_package() {
    let package = packaged(two_seconds());
    let dash = Presentation::new(&package, PresentationConfig::vod()).unwrap();
    let mpd = dash.mpd(&package, UnixTime::EPOCH).unwrap();
    let base = "http://o.example/vod/manifest.mpd";
    let mut count = 0;
    for set in 0..2 {
        let rep = resolve(&mpd, base, 0, set, 0, None).unwrap();
        let init = rep.initialization.as_ref().unwrap().url.clone();
        let name = init.strip_prefix("http://o.example/vod/").unwrap();
        assert!(package.resource(name).is_some(), "{name}");
        for seg in rep.segments() {
            let seg = seg.unwrap();
            let name = seg.url.strip_prefix("http://o.example/vod/").unwrap();
            let view = package
                .resource(name)
                .unwrap_or_else(|| panic!("{name} not in the package"));
            assert!(view.complete);
            count += 1;
        }
    }
    // Five segments per rendition, every one addressed.
    assert_eq!(count, 10);
}

#[test]
fn bad_input_is_refused() {
    let file = file();
    let (tracks, shifts) = file.tracks_and_shifts();
    let ts = RenditionSpec::muxed("ts", Container::MpegTs, &tracks);
    let package = Package::new(&tracks, &shifts, two_seconds().with_renditions(vec![ts])).unwrap();
    assert!(matches!(
        Presentation::new(&package, PresentationConfig::vod()),
        Err(DashError::Build { .. })
    ));
    assert!(matches!(
        Presentation::new(
            &package,
            PresentationConfig::vod().with_renditions_named(["ts"])
        ),
        Err(DashError::Rendition {
            reason: "not a CMAF rendition",
            ..
        })
    ));
    let package = Package::new(&tracks, &shifts, two_seconds()).unwrap();
    assert!(matches!(
        Presentation::new(
            &package,
            PresentationConfig::vod().with_renditions_named(["subtitles"])
        ),
        Err(DashError::Rendition {
            reason: "not in the package",
            ..
        })
    ));
    // A static MPD needs the whole presentation.
    let dash = Presentation::new(&package, PresentationConfig::vod()).unwrap();
    assert!(matches!(
        dash.mpd(&package, UnixTime::EPOCH),
        Err(DashError::Dynamic { .. })
    ));
    // Low latency needs parts.
    assert!(matches!(
        Presentation::new(
            &package,
            PresentationConfig::live(std::time::Duration::from_secs(2))
                .with_low_latency(std::time::Duration::from_secs(1))
        ),
        Err(DashError::Build { .. })
    ));
}

/// A Representation's `@startNumber` and the `(t, d)` of each segment of
/// its SegmentTimeline.
type Timeline = (u64, Vec<(u64, u64)>);

/// The video and audio timelines and `@minimumUpdatePeriod` of a live MPD.
fn live_timelines(
    dash: &Presentation,
    package: &Package,
) -> (Vec<Timeline>, Option<std::time::Duration>) {
    let mpd = dash
        .mpd(package, UnixTime::from_unix_millis(1_700_000_000_000))
        .unwrap();
    let sets = (0..2)
        .map(|set| {
            let template = mpd.periods[0].adaptations[set].representations[0]
                .SegmentTemplate
                .as_ref()
                .unwrap();
            // The timeline's segments, repeats expanded.
            let mut segments = Vec::new();
            let mut t = 0;
            for s in &template.SegmentTimeline.as_ref().unwrap().segments {
                t = s.t.unwrap_or(t);
                for _ in 0..=s.r.unwrap_or(0) {
                    segments.push((t, s.d));
                    t += s.d;
                }
            }
            (template.startNumber.unwrap(), segments)
        })
        .collect();
    (sets, mpd.minimumUpdatePeriod)
}

#[test]
fn low_latency_lists_the_next_segment_from_the_end_of_the_one_before() {
    use std::time::Duration;
    use streamkit_core::package::PackageEvent;
    let file = file();
    let config = two_seconds()
        .with_part_target(MediaTime::new(500, Timescale::MILLIS))
        .with_window(8);
    let mut package = Package::for_mp4(&file, config).unwrap();
    package.set_wall_clock(
        MediaTime::zero(package.reference_timescale()),
        UnixTime::from_unix_millis(1_700_000_000_000),
    );
    let live = PresentationConfig::live(Duration::from_secs(2));
    let ll = Presentation::new(
        &package,
        live.clone().with_low_latency(Duration::from_millis(1500)),
    )
    .unwrap();
    let plain = Presentation::new(&package, live).unwrap();
    let mut samples = file.samples();
    // Up to the end of segment 0 (the keyframe at 2 s): no segment is
    // being made yet.
    loop {
        package.push(samples.next().unwrap()).unwrap();
        let events: Vec<_> = std::iter::from_fn(|| package.poll_event()).collect();
        if events.iter().any(|e| {
            matches!(
                e,
                PackageEvent::Segment {
                    rendition: 1,
                    sequence: 0,
                    ..
                }
            )
        }) {
            break;
        }
    }
    assert!(package.open_segment().is_none());
    let (sets, update) = live_timelines(&ll, &package);
    let audio_end = package.segments()[0].renditions[1]
        .decode_time
        .map(|(t, d)| t + d)
        .unwrap();
    // Segment 1 is listed at once, at the target duration, where segment 0
    // ends: a client learns of it one part earlier than from its first part.
    assert_eq!(sets[0], (0, vec![(0, 30720), (30720, 30720)]));
    assert_eq!(sets[1].1.len(), 2);
    assert_eq!(sets[1].1[1], (audio_end, 88200));
    // A client learns of each new segment from an update: at most a part.
    assert_eq!(update, Some(Duration::from_millis(500)));
    // Without low latency: complete segments only, updates every segment.
    let (sets, update) = live_timelines(&plain, &package);
    assert_eq!(sets[0], (0, vec![(0, 30720)]));
    assert_eq!(update, Some(Duration::from_secs(2)));
    // Once its first part is made, it is listed where its samples start.
    while package.open_segment().is_none() {
        package.push(samples.next().unwrap()).unwrap();
        while package.poll_event().is_some() {}
    }
    let (sets, _) = live_timelines(&ll, &package);
    assert_eq!(sets[0], (0, vec![(0, 30720), (30720, 30720)]));
    assert_eq!(sets[1].1[1].0, audio_end);
    // The end of the stream: nothing more is made, nothing more listed.
    for s in samples {
        package.push(s).unwrap();
    }
    package.finish().unwrap();
    let (sets, _) = live_timelines(&ll, &package);
    let complete = package.segments().len();
    assert_eq!(sets[0].1.len(), complete.min(6));
    assert_eq!(sets[0].0 + sets[0].1.len() as u64, package.next_sequence());
}
