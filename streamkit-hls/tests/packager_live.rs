//! Live, EVENT and low-latency HLS over the packaging store, checked
//! against the package's own events: a segment is exactly the
//! concatenation of its parts, the window lists the last segments while
//! the package reports each one that leaves (with its parts), independent
//! parts are those that start with a keyframe, the multivariant BANDWIDTH
//! is measured from the segments, and bad configurations are refused.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use bytes::Bytes;
use streamkit_core::clock::UnixTime;
use streamkit_core::mp4::Mp4File;
use streamkit_core::package::{
    Container, Package, PackageConfig, PackageError, PackageEvent, RenditionSpec,
};
use streamkit_core::time::{MediaTime, Timescale};
use streamkit_hls::playlist::{BitRates, MediaPlaylist, PlaylistType};
use streamkit_hls::presentation::{
    PlaylistKind, Presentation, PresentationConfig, PresentationError,
};

fn file() -> Mp4File {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../tests/fixtures/h264_aac.mp4"
    );
    Mp4File::parse(Bytes::from(std::fs::read(path).unwrap())).unwrap()
}

/// Packages the fixture, looped `loops` times (loop `k` shifted by
/// `k * 10 s`, audio frames past 10 s left out); `each` sees the package
/// after every push, with the events that push made.
fn run(
    config: PackageConfig,
    loops: i64,
    mut each: impl FnMut(&Package, Vec<PackageEvent>),
) -> Package {
    let file = file();
    let mut package = Package::for_mp4(&file, config).unwrap();
    for k in 0..loops {
        for mut s in file
            .samples()
            .filter(|s| s.end_dts() <= 10 * i64::from(s.timescale.hz()))
        {
            s.dts += k * 10 * i64::from(s.timescale.hz());
            package.push(s).unwrap();
            let events = std::iter::from_fn(|| package.poll_event()).collect();
            each(&package, events);
        }
    }
    package.finish().unwrap();
    let events = std::iter::from_fn(|| package.poll_event()).collect();
    each(&package, events);
    package
}

fn two_seconds() -> MediaTime {
    MediaTime::new(2, Timescale::SECONDS)
}

fn half_second() -> MediaTime {
    MediaTime::new(500, Timescale::MILLIS)
}

#[test]
fn segments_are_their_parts_concatenated() {
    let (tracks, _) = file().tracks_and_shifts();
    for container in [Container::MpegTs, Container::Cmaf] {
        for muxed in [true, false] {
            let renditions = if muxed {
                vec![RenditionSpec::muxed("main", container, &tracks)]
            } else {
                RenditionSpec::cmaf_per_track(&tracks)
                    .into_iter()
                    .map(|r| RenditionSpec { container, ..r })
                    .collect()
            };
            let config = PackageConfig::new(two_seconds())
                .with_part_target(half_second())
                .with_window(5)
                .with_renditions(renditions);
            let mut parts: BTreeMap<(usize, u64), Vec<u8>> = BTreeMap::new();
            let mut checked = 0;
            run(config, 2, |_, events| {
                for e in events {
                    match e {
                        PackageEvent::Part {
                            rendition,
                            sequence,
                            resource,
                            ..
                        } => parts
                            .entry((rendition, sequence))
                            .or_default()
                            .extend_from_slice(&resource.body.to_bytes()),
                        PackageEvent::Segment {
                            rendition,
                            sequence,
                            resource,
                        } => {
                            let joined = parts.remove(&(rendition, sequence)).unwrap();
                            assert_eq!(resource.body.to_bytes(), joined, "{}", resource.name);
                            checked += 1;
                        }
                        _ => {}
                    }
                }
            });
            let renditions = if muxed { 1 } else { 2 };
            // 20 s with a keyframe every 2 s: 10 segments per rendition.
            assert_eq!(checked, 10 * renditions, "{container:?} muxed={muxed}");
        }
    }
}

#[test]
fn live_window_slides_and_the_package_reports_what_leaves() {
    // The playlist lists 4 segments; the package keeps 4 too, so what it
    // still holds is exactly what the final playlist lists.
    let config = PackageConfig::new(two_seconds())
        .with_part_target(half_second())
        .with_window(4);
    let mut produced: BTreeSet<String> = BTreeSet::new();
    let mut removed: Vec<String> = Vec::new();
    let mut hls: Option<Presentation> = None;
    let mut last: Option<MediaPlaylist> = None;
    run(config, 3, |package, events| {
        let hls = hls.get_or_insert_with(|| {
            Presentation::new(package, PresentationConfig::live(4)).unwrap()
        });
        for e in events {
            match e {
                PackageEvent::Part {
                    rendition: 0,
                    resource,
                    ..
                }
                | PackageEvent::Segment {
                    rendition: 0,
                    resource,
                    ..
                } => {
                    produced.insert(resource.name);
                }
                PackageEvent::Removed { name } if name.starts_with("video/") => {
                    assert!(produced.remove(&name), "{name} removed twice or never made");
                    removed.push(name);
                }
                _ => {}
            }
        }
        let playlist = hls.media_playlist(package, 0).unwrap();
        assert!(playlist.segments.len() <= 4);
        last = Some(playlist);
    });
    let last = last.unwrap();
    assert!(last.end_list);
    assert_eq!(last.playlist_type, None);
    // 30 s: 15 segments, the last 4 listed.
    assert_eq!(last.media_sequence, 11);
    assert_eq!(last.segments.len(), 4);
    for n in 0..11 {
        assert!(removed.contains(&format!("video/seg-{n}.m4s")), "seg-{n}");
    }
    // What is still held is what the final playlist lists, no more.
    let listed: BTreeSet<String> = last
        .segments
        .iter()
        .flat_map(|s| {
            std::iter::once(format!("video/{}", s.uri))
                .chain(s.parts.iter().map(|p| format!("video/{}", p.uri)))
        })
        .collect();
    let parts_left: BTreeSet<String> = produced
        .iter()
        .filter(|n| !listed.contains(*n))
        .cloned()
        .collect();
    // Parts of the older listed segments are no longer listed but still
    // held with their segment (they are its bytes).
    assert!(
        parts_left.iter().all(|n| n.matches('.').count() == 2),
        "{parts_left:?}"
    );
    assert!(listed.is_subset(&produced));
    // The EXT-X-MAP moved with the window.
    assert!(last.segments[0].map.is_some());
}

#[test]
fn event_playlists_only_grow() {
    let (tracks, _) = file().tracks_and_shifts();
    let config = PackageConfig::new(two_seconds()).with_renditions(vec![RenditionSpec::muxed(
        "main",
        Container::MpegTs,
        &tracks,
    )]);
    let mut lengths = Vec::new();
    let mut hls: Option<Presentation> = None;
    run(config, 1, |package, events| {
        assert!(
            !events
                .iter()
                .any(|e| matches!(e, PackageEvent::Removed { .. }))
        );
        let hls = hls.get_or_insert_with(|| {
            Presentation::new(
                package,
                PresentationConfig::vod().with_kind(PlaylistKind::Event),
            )
            .unwrap()
        });
        let playlist = hls.media_playlist(package, 0).unwrap();
        assert_eq!(playlist.playlist_type, Some(PlaylistType::Event));
        assert_eq!(playlist.media_sequence, 0);
        if lengths.last() != Some(&playlist.segments.len()) {
            lengths.push(playlist.segments.len());
        }
    });
    assert_eq!(lengths, [0, 1, 2, 3, 4, 5]);
}

#[test]
fn independent_parts_start_with_a_keyframe() {
    let file = file();
    let (tracks, _) = file.tracks_and_shifts();
    let config = PackageConfig::new(two_seconds())
        .with_part_target(half_second())
        .with_window(5)
        .with_renditions(vec![RenditionSpec::muxed(
            "main",
            Container::MpegTs,
            &tracks,
        )]);
    let mut package = Package::for_mp4(&file, config).unwrap();
    let mut keyframe_at_part_start = Vec::new();
    let mut independent = Vec::new();
    let mut next_is_start = true;
    let part_independence = |package: &Package, sequence: u64, index: u32| {
        let parts = match package.segment(sequence) {
            Some(s) => &s.renditions[0].parts,
            None => &package.open_segment().unwrap().renditions[0].parts,
        };
        parts.iter().find(|p| p.index == index).unwrap().independent
    };
    for s in file.samples() {
        let video = s.track_id == 1;
        let keyframe = s.keyframe;
        if video && next_is_start {
            keyframe_at_part_start.push(keyframe);
            next_is_start = false;
        }
        package.push(s).unwrap();
        while let Some(e) = package.poll_event() {
            if let PackageEvent::Part {
                sequence, index, ..
            } = e
            {
                independent.push(part_independence(&package, sequence, index));
                // The sample just pushed opened the next part; if it was
                // video, it was that part's first video sample.
                if video {
                    keyframe_at_part_start.push(keyframe);
                } else {
                    next_is_start = true;
                }
            }
        }
    }
    package.finish().unwrap();
    while let Some(e) = package.poll_event() {
        if let PackageEvent::Part {
            sequence, index, ..
        } = e
        {
            independent.push(part_independence(&package, sequence, index));
        }
    }
    assert_eq!(independent.len(), 20);
    assert_eq!(independent, keyframe_at_part_start[..20]);
    assert_eq!(independent.iter().filter(|i| **i).count(), 5);
}

#[test]
fn bandwidth_is_measured_from_the_segments() {
    let mut sizes: BTreeMap<usize, Vec<(u64, Duration)>> = BTreeMap::new();
    let package = run(PackageConfig::new(two_seconds()), 1, |package, events| {
        for e in events {
            if let PackageEvent::Segment {
                rendition,
                sequence,
                resource,
            } = e
            {
                let d = package.segment(sequence).unwrap().duration;
                sizes
                    .entry(rendition)
                    .or_default()
                    .push((resource.body.len(), d.to_duration().unwrap()));
            }
        }
    });
    let master = Presentation::new(&package, PresentationConfig::vod())
        .unwrap()
        .multivariant_playlist(&package);
    let video = BitRates::measure(sizes[&0].iter().copied(), 2);
    let audio = BitRates::measure(sizes[&1].iter().copied(), 2);
    let v = &master.variants[0];
    assert_eq!(v.bandwidth, video.peak + audio.peak);
    assert_eq!(v.average_bandwidth, Some(video.average + audio.average));
    assert_eq!(v.codecs, ["avc1.64000d", "mp4a.40.2"]);
    assert_eq!(v.resolution.unwrap().to_string(), "320x240");
    assert_eq!(v.frame_rate.unwrap().millis, 30_000);
    assert_eq!(v.audio.as_deref(), Some("audio"));
    assert_eq!(
        master.renditions[0].uri.as_deref(),
        Some("audio/index.m3u8")
    );
}

#[test]
fn bad_configurations_are_refused() {
    let file = file();
    let package = Package::for_mp4(&file, PackageConfig::new(two_seconds())).unwrap();
    assert!(matches!(
        Presentation::new(&package, PresentationConfig::live(2)),
        Err(PresentationError::InvalidConfig { .. })
    ));
    assert!(matches!(
        Presentation::new(
            &package,
            PresentationConfig::vod().with_renditions(
                streamkit_hls::presentation::RenditionSelection::Named(vec!["nope".into()])
            )
        ),
        Err(PresentationError::UnknownRendition { .. })
    ));
    let part =
        PackageConfig::new(two_seconds()).with_part_target(MediaTime::new(3, Timescale::SECONDS));
    assert!(matches!(
        Package::for_mp4(&file, part),
        Err(PackageError::Segment(_))
    ));
    let mut p = Package::for_mp4(&file, PackageConfig::new(two_seconds())).unwrap();
    let mut s = file.samples().next().unwrap();
    s.track_id = 9;
    assert!(matches!(
        p.push(s),
        Err(PackageError::UnknownTrack { track_id: 9, .. })
    ));
    p.finish().unwrap();
    let s = file.samples().next().unwrap();
    assert!(matches!(p.push(s), Err(PackageError::Finished { .. })));
}

#[test]
fn video_before_the_first_keyframe_is_reported_dropped() {
    let file = file();
    let mut package = Package::for_mp4(&file, PackageConfig::new(two_seconds())).unwrap();
    let mut dropped = Vec::new();
    let mut video_segments = 0;
    // Join the stream one frame late: the next keyframe is frame 60.
    for s in file.samples().filter(|s| !(s.track_id == 1 && s.dts == 0)) {
        package.push(s).unwrap();
        while let Some(e) = package.poll_event() {
            match e {
                PackageEvent::SampleDropped(d) => dropped.push((d.track_id, d.dts)),
                PackageEvent::Segment { rendition: 0, .. } => video_segments += 1,
                _ => {}
            }
        }
    }
    package.finish().unwrap();
    while let Some(e) = package.poll_event() {
        if let PackageEvent::Segment { rendition: 0, .. } = e {
            video_segments += 1;
        }
    }
    assert_eq!(dropped.len(), 59);
    assert!(dropped.iter().all(|(t, _)| *t == 1));
    assert_eq!(dropped[0].1, 512);
    // The first segment starts at the keyframe: 4 segments remain.
    assert_eq!(video_segments, 4);
}

#[test]
fn program_date_time_follows_the_media_clock() {
    let start = 1_700_000_000_000;
    let config = PackageConfig::new(two_seconds()).with_window(4);
    let file = file();
    let mut package = Package::for_mp4(&file, config).unwrap();
    package.set_wall_clock(
        MediaTime::zero(package.reference_timescale()),
        UnixTime::from_unix_millis(start),
    );
    for k in 0..2 {
        for mut s in file
            .samples()
            .filter(|s| s.end_dts() <= 10 * i64::from(s.timescale.hz()))
        {
            s.dts += k * 10 * i64::from(s.timescale.hz());
            package.push(s).unwrap();
        }
    }
    package.finish().unwrap();
    let hls = Presentation::new(&package, PresentationConfig::live(4)).unwrap();
    let last = hls.media_playlist(&package, 1).unwrap();
    assert_eq!(last.media_sequence, 6);
    for (i, s) in last.segments.iter().enumerate() {
        let n = last.media_sequence + i as u64;
        let expected =
            streamkit_hls::playlist::ProgramDateTime::from_unix_millis(start + 2_000 * n as i64);
        assert_eq!(s.program_date_time, Some(expected), "segment {n}");
    }
    assert!(
        last.to_m3u8()
            .unwrap()
            .contains("#EXT-X-PROGRAM-DATE-TIME:2023-11-14T22:13:32.000Z\n")
    );
}
