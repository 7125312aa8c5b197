use bytes::Bytes;

use super::*;
use crate::codec::CodecConfig;
use crate::codec::aac::AacConfig;

fn fixture() -> Mp4File {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../tests/fixtures/h264_aac.mp4"
    );
    Mp4File::parse(Bytes::from(std::fs::read(path).unwrap())).unwrap()
}

fn seconds(s: i64) -> MediaTime {
    MediaTime::new(s, Timescale::SECONDS)
}

fn millis(ms: i64) -> MediaTime {
    MediaTime::new(ms, Timescale::MILLIS)
}

fn run(package: &mut Package, file: &Mp4File) -> Vec<PackageEvent> {
    let mut events = Vec::new();
    while let Some(e) = package.poll_event() {
        events.push(e);
    }
    for s in file.samples() {
        package.push(s).unwrap();
        while let Some(e) = package.poll_event() {
            events.push(e);
        }
    }
    package.finish().unwrap();
    while let Some(e) = package.poll_event() {
        events.push(e);
    }
    events
}

#[test]
fn per_track_cmaf_renditions_hold_every_sample_once() {
    let file = fixture();
    let mut package = Package::for_mp4(&file, PackageConfig::new(seconds(2))).unwrap();
    let events = run(&mut package, &file);
    let names: Vec<&str> = package
        .renditions()
        .iter()
        .map(|r| r.name.as_str())
        .collect();
    assert_eq!(names, ["video", "audio"]);
    assert!(
        matches!(&events[0], PackageEvent::Init { rendition: 0, resource } if resource.name == "video/init.mp4")
    );
    assert!(
        matches!(&events[1], PackageEvent::Init { rendition: 1, resource } if resource.name == "audio/init.mp4")
    );
    assert_eq!(events.last(), Some(&PackageEvent::Finished));
    assert_eq!(package.segments().len(), 5);
    // Every video sample (300) and audio frame (432) is in exactly one segment.
    let counts: Vec<usize> = (0..2)
        .map(|r| {
            package
                .segments()
                .iter()
                .map(|s| s.renditions[r].sample_count)
                .sum()
        })
        .collect();
    assert_eq!(counts, [300, 432]);
    // Sequence numbers count from 0 and durations add up on the reference clock.
    let mut next = package.segments()[0].start;
    for (i, s) in package.segments().iter().enumerate() {
        assert_eq!(s.sequence, i as u64);
        assert_eq!(s.start, next);
        assert!(s.independent);
        next = s.start.checked_add(s.duration).unwrap();
    }
    assert!(package.resource("video/seg-5.m4s").is_none());
    assert!(
        package.resource("video/seg-0.0.m4s").is_none(),
        "no part resources without parts"
    );
    assert!(package.is_finished());
    // A second finish is a no-op.
    package.finish().unwrap();
    assert_eq!(package.poll_event(), None);
    assert!(matches!(
        package.push(file.samples().next().unwrap()),
        Err(PackageError::Finished { track_id: 1 })
    ));
}

#[test]
fn segments_are_their_parts_concatenated_and_parts_are_resources() {
    let file = fixture();
    let config = PackageConfig::new(seconds(2)).with_part_target(millis(500));
    let mut package = Package::for_mp4(&file, config).unwrap();
    let events = run(&mut package, &file);
    let mut parts: Vec<(usize, u64, Bytes)> = Vec::new();
    let mut segments = 0;
    for e in &events {
        match e {
            PackageEvent::Part {
                rendition,
                sequence,
                index,
                resource,
            } => {
                let view = package.resource(&resource.name).unwrap();
                assert_eq!(
                    view.kind,
                    ResourceKind::Part {
                        sequence: *sequence,
                        index: *index
                    }
                );
                assert_eq!(view.chunks.body().to_bytes(), resource.body.to_bytes());
                parts.push((*rendition, *sequence, resource.body.to_bytes()));
            }
            PackageEvent::Segment {
                rendition,
                sequence,
                resource,
            } => {
                segments += 1;
                let joined: Vec<u8> = parts
                    .iter()
                    .filter(|(r, s, _)| r == rendition && s == sequence)
                    .flat_map(|(_, _, b)| b.iter().copied())
                    .collect();
                assert_eq!(resource.body.to_bytes(), joined, "{}", resource.name);
                let view = package.resource(&resource.name).unwrap();
                assert!(view.complete);
                assert_eq!(view.chunks.body().to_bytes(), joined);
            }
            _ => {}
        }
    }
    assert_eq!(segments, 10);
    // Part durations of each rendition add up to its segment's duration.
    for s in package.segments() {
        assert_eq!(s.parts.len(), s.renditions[0].parts.len());
        for rs in &s.renditions {
            let sum: i64 = rs.parts.iter().map(|p| p.duration.ticks()).sum();
            assert_eq!(
                MediaTime::new(sum, package.reference_timescale()),
                s.duration
            );
        }
        assert!(s.renditions[0].parts[0].independent);
    }
}

#[test]
fn the_open_segment_grows_part_by_part() {
    let file = fixture();
    let config = PackageConfig::new(seconds(2)).with_part_target(millis(500));
    let mut package = Package::for_mp4(&file, config).unwrap();
    let mut seen_growing = false;
    for s in file.samples() {
        package.push(s).unwrap();
        while package.poll_event().is_some() {}
        if let Some(open) = package.open_segment() {
            let name = format!("video/seg-{}.m4s", open.sequence);
            let view = package.resource(&name).unwrap();
            assert!(!view.complete);
            assert_eq!(view.chunks.len(), open.renditions[0].parts.len());
            seen_growing |= view.chunks.len() >= 2;
        }
    }
    assert!(seen_growing);
}

#[test]
fn a_window_keeps_the_last_segments_and_reports_what_leaves() {
    let file = fixture();
    let config = PackageConfig::new(seconds(2))
        .with_part_target(millis(500))
        .with_window(2);
    let mut package = Package::for_mp4(&file, config).unwrap();
    let events = run(&mut package, &file);
    let kept: Vec<u64> = package.segments().iter().map(|s| s.sequence).collect();
    assert_eq!(kept, [3, 4]);
    assert_eq!(package.next_sequence(), 5);
    let removed: Vec<&str> = events
        .iter()
        .filter_map(|e| match e {
            PackageEvent::Removed { name } => Some(name.as_str()),
            _ => None,
        })
        .collect();
    for seq in 0..3 {
        assert!(removed.contains(&format!("video/seg-{seq}.m4s").as_str()));
        assert!(removed.contains(&format!("audio/seg-{seq}.m4s").as_str()));
        assert!(removed.contains(&format!("video/seg-{seq}.0.m4s").as_str()));
        assert!(package.resource(&format!("video/seg-{seq}.m4s")).is_none());
    }
    assert!(!removed.iter().any(|n| n.contains("seg-3")));
    assert!(package.resource("video/seg-3.m4s").is_some());
    assert!(package.resource("video/init.mp4").is_some());
}

#[test]
fn cmaf_and_ts_renditions_are_cut_alike() {
    let file = fixture();
    let (tracks, _) = file.tracks_and_shifts();
    let mut specs = RenditionSpec::cmaf_per_track(&tracks);
    specs.push(RenditionSpec::muxed("ts/main", Container::MpegTs, &tracks));
    let config = PackageConfig::new(seconds(2)).with_renditions(specs);
    let mut package = Package::for_mp4(&file, config).unwrap();
    let events = run(&mut package, &file);
    let inits = events
        .iter()
        .filter(|e| matches!(e, PackageEvent::Init { .. }))
        .count();
    assert_eq!(inits, 2, "MPEG-TS has no init segment");
    let ts = package.rendition_index("ts/main").unwrap();
    assert_eq!(package.renditions()[ts].content_type, CONTENT_TYPE_TS);
    for s in package.segments() {
        assert_eq!(
            s.renditions[ts].sample_count,
            s.renditions[0].sample_count + s.renditions[1].sample_count
        );
        let name = format!("ts/main/seg-{}.ts", s.sequence);
        let bytes = package.resource(&name).unwrap().chunks.body().to_bytes();
        assert_eq!(bytes.len() % 188, 0);
        assert_eq!(bytes[0], 0x47);
    }
    assert!(package.resource("ts/main/init.mp4").is_none());
}

#[test]
fn a_rendition_without_samples_in_a_segment_is_normal_input() {
    // The second track starts 1.2 s late: the first segment has nothing of
    // it, which must not fail (a long GOP, or audio that outlasts the
    // video, does the same).
    let ts = Timescale::AUDIO_48KHZ;
    let aac = AacConfig::new(2, 48_000, 2).unwrap();
    let first = Track::new(1, ts, CodecConfig::Aac(aac.clone()));
    let second = Track::new(2, ts, CodecConfig::Aac(aac));
    let mut package = Package::new(&[first, second], &[], PackageConfig::new(seconds(1))).unwrap();
    let frame = Bytes::from_static(&[0x21, 0x10, 0x04]);
    let sample = |track_id, dts| Sample {
        track_id,
        dts,
        composition_offset: 0,
        duration: 1_024,
        timescale: ts,
        keyframe: true,
        data: frame.clone(),
    };
    let mut samples: Vec<Sample> = (0..141).map(|i| sample(1, i * 1_024)).collect();
    samples.extend((57..141).map(|i| sample(2, i * 1_024)));
    samples.sort_by_key(|s| (s.dts, s.track_id));
    let mut events = Vec::new();
    for s in samples {
        package.push(s).unwrap();
        while let Some(e) = package.poll_event() {
            events.push(e);
        }
    }
    package.finish().unwrap();
    while let Some(e) = package.poll_event() {
        events.push(e);
    }
    let names: Vec<&str> = package
        .renditions()
        .iter()
        .map(|r| r.name.as_str())
        .collect();
    assert_eq!(names, ["audio", "audio2"]);
    let first = &package.segments()[0];
    assert!(first.renditions[1].is_empty());
    assert!(!first.renditions[0].is_empty());
    assert!(package.resource("audio2/seg-0.m4s").is_none());
    assert!(!events.iter().any(|e| matches!(
        e,
        PackageEvent::Segment {
            rendition: 1,
            sequence: 0,
            ..
        }
    )));
    let totals: Vec<usize> = (0..2)
        .map(|r| {
            package
                .segments()
                .iter()
                .map(|s| s.renditions[r].sample_count)
                .sum()
        })
        .collect();
    assert_eq!(totals, [141, 84]);
}

#[test]
fn bad_renditions_and_names_are_refused() {
    let file = fixture();
    let (tracks, shifts) = file.tracks_and_shifts();
    let bad = |specs: Vec<RenditionSpec>| {
        Package::new(
            &tracks,
            &shifts,
            PackageConfig::new(seconds(2)).with_renditions(specs),
        )
        .unwrap_err()
    };
    let spec = |name: &str, ids: Vec<u32>| RenditionSpec {
        name: name.into(),
        container: Container::Cmaf,
        track_ids: ids,
    };
    assert!(matches!(
        bad(vec![spec("a", vec![])]),
        PackageError::InvalidRendition {
            reason: "no track",
            ..
        }
    ));
    assert!(matches!(
        bad(vec![spec("a", vec![9])]),
        PackageError::InvalidRendition { .. }
    ));
    assert!(matches!(
        bad(vec![spec("a", vec![1, 1])]),
        PackageError::InvalidRendition { .. }
    ));
    assert!(matches!(
        bad(vec![spec("a", vec![1]), spec("a", vec![2])]),
        PackageError::InvalidRendition { .. }
    ));
    assert!(matches!(
        bad(vec![spec("a", vec![1]), spec("a/b", vec![2])]),
        PackageError::InvalidRendition { .. }
    ));
    assert!(matches!(
        bad(vec![spec("../a", vec![1])]),
        PackageError::InvalidRendition { .. }
    ));
    let naming = Naming {
        segment_prefix: "$Number$".into(),
        ..Naming::default()
    };
    assert!(matches!(
        Package::new(
            &tracks,
            &shifts,
            PackageConfig::new(seconds(2)).with_naming(naming)
        ),
        Err(PackageError::InvalidName { .. })
    ));
    assert!(matches!(
        Package::new(
            &tracks,
            &shifts,
            PackageConfig::new(seconds(2)).with_window(0)
        ),
        Err(PackageError::InvalidConfig { .. })
    ));
    assert!(matches!(
        Package::new(&[], &[], PackageConfig::new(seconds(2))),
        Err(PackageError::TrackCount { count: 0 })
    ));
}

#[test]
fn unknown_tracks_are_refused_and_leave_the_package_unchanged() {
    let file = fixture();
    let mut package = Package::for_mp4(&file, PackageConfig::new(seconds(2))).unwrap();
    let mut sample = file.samples().next().unwrap();
    sample.track_id = 42;
    let version = package.version();
    assert!(matches!(
        package.push(sample),
        Err(PackageError::UnknownTrack { track_id: 42, .. })
    ));
    assert_eq!(package.version(), version);
}

#[test]
fn wall_clock_and_discontinuity_reach_the_records() {
    let file = fixture();
    let mut package = Package::for_mp4(&file, PackageConfig::new(seconds(2))).unwrap();
    let ts = package.reference_timescale();
    package.set_wall_clock(
        MediaTime::zero(ts),
        UnixTime::from_unix_millis(1_700_000_000_000),
    );
    let mut samples = file.samples();
    for s in samples.by_ref().take(200) {
        package.push(s).unwrap();
    }
    package.mark_discontinuity();
    for s in samples {
        package.push(s).unwrap();
    }
    package.finish().unwrap();
    let s0 = &package.segments()[0];
    let expected = package.wall_clock_of(s0.start).unwrap();
    assert_eq!(s0.wall_clock, Some(expected));
    let s1 = &package.segments()[1];
    let gap = s1
        .wall_clock
        .unwrap()
        .saturating_duration_since(s0.wall_clock.unwrap());
    assert_eq!(Some(gap), s0.duration.to_duration());
    assert_eq!(
        package
            .segments()
            .iter()
            .filter(|s| s.discontinuity)
            .count(),
        1
    );
    assert!(!s0.discontinuity);
}

#[test]
fn coalescing_copies_small_buffers_only() {
    let file = fixture();
    let config = PackageConfig::new(seconds(2)).with_coalescing(16 * 1024);
    let mut package = Package::for_mp4(&file, config).unwrap();
    run(&mut package, &file);
    let mut uncoalesced = Package::for_mp4(&file, PackageConfig::new(seconds(2))).unwrap();
    run(&mut uncoalesced, &file);
    for (a, b) in package.segments().iter().zip(uncoalesced.segments()) {
        for (ra, rb) in a.renditions.iter().zip(&b.renditions) {
            assert_eq!(ra.body().to_bytes(), rb.body().to_bytes());
            assert!(ra.body().buffers().len() <= rb.body().buffers().len());
            for buf in rb.body().buffers() {
                if buf.len() >= 16 * 1024 {
                    // A large sample stays the input's own buffer, not a copy.
                    assert!(
                        ra.body()
                            .buffers()
                            .iter()
                            .any(|o| o.as_ptr() == buf.as_ptr())
                    );
                }
            }
        }
    }
}
