//! The packager's live, EVENT and low-latency output, checked against its
//! own events: a segment is exactly the concatenation of its parts, the
//! window lists the last segments and reports each one that leaves (with
//! its parts), independent parts are those that start with a keyframe, the
//! multivariant BANDWIDTH is measured from the segments, and bad
//! configurations are refused.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use bytes::Bytes;
use streamkit_core::mp4::Mp4File;
use streamkit_core::time::{MediaTime, Timescale};
use streamkit_hls::packager::{
    Packager, PackagerConfig, PackagerError, PackagerEvent, PlaylistKind, RenditionLayout,
    SegmentFormat,
};
use streamkit_hls::playlist::{BitRates, MediaPlaylist, MultivariantPlaylist, PlaylistType};

fn file() -> Mp4File {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../tests/fixtures/h264_aac.mp4"
    );
    Mp4File::parse(Bytes::from(std::fs::read(path).unwrap())).unwrap()
}

/// Every event of packaging the fixture, looped `loops` times (loop `k`
/// shifted by `k * 10 s`, audio frames past 10 s left out).
fn run(config: PackagerConfig, loops: i64) -> Vec<PackagerEvent> {
    let file = file();
    let mut packager = Packager::for_mp4(&file, config).unwrap();
    let mut events = Vec::new();
    for k in 0..loops {
        for mut s in file
            .samples()
            .filter(|s| s.end_dts() <= 10 * i64::from(s.timescale.hz()))
        {
            s.dts += k * 10 * i64::from(s.timescale.hz());
            packager.push(s).unwrap();
            events.extend(std::iter::from_fn(|| packager.poll()));
        }
    }
    packager.finish().unwrap();
    events.extend(std::iter::from_fn(|| packager.poll()));
    events
}

fn two_seconds() -> MediaTime {
    MediaTime::new(2, Timescale::SECONDS)
}

fn half_second() -> MediaTime {
    MediaTime::new(500, Timescale::MILLIS)
}

#[test]
fn segments_are_their_parts_concatenated() {
    for format in [SegmentFormat::Ts, SegmentFormat::Fmp4] {
        for layout in [RenditionLayout::Muxed, RenditionLayout::PerTrack] {
            let config = PackagerConfig::live(format, two_seconds(), 5)
                .with_part_target(half_second())
                .with_layout(layout);
            let mut parts: BTreeMap<(usize, u64), Vec<u8>> = BTreeMap::new();
            let mut checked = 0;
            for e in run(config, 2) {
                match e {
                    PackagerEvent::Part(p) => parts
                        .entry((p.resource.rendition, p.segment_sequence))
                        .or_default()
                        .extend_from_slice(&p.resource.body.to_bytes()),
                    PackagerEvent::Segment(s) => {
                        let joined = parts.remove(&(s.resource.rendition, s.sequence)).unwrap();
                        assert_eq!(s.resource.body.to_bytes(), joined, "{}", s.resource.name);
                        checked += 1;
                    }
                    _ => {}
                }
            }
            let renditions = if layout == RenditionLayout::Muxed {
                1
            } else {
                2
            };
            // 20 s with a keyframe every 2 s: 10 segments per rendition.
            assert_eq!(checked, 10 * renditions, "{format:?} {layout:?}");
        }
    }
}

#[test]
fn live_window_slides_and_reports_what_leaves() {
    let config =
        PackagerConfig::live(SegmentFormat::Fmp4, two_seconds(), 4).with_part_target(half_second());
    let mut produced: BTreeSet<String> = BTreeSet::new();
    let mut removed: Vec<String> = Vec::new();
    let mut last: Option<MediaPlaylist> = None;
    for e in run(config, 3) {
        match e {
            PackagerEvent::Part(p) if p.resource.rendition == 0 => {
                produced.insert(p.resource.name);
            }
            PackagerEvent::Segment(s) if s.resource.rendition == 0 => {
                produced.insert(s.resource.name);
            }
            PackagerEvent::Removed { rendition: 0, name } => {
                assert!(produced.remove(&name), "{name} removed twice or never made");
                removed.push(name);
            }
            PackagerEvent::MediaPlaylist {
                rendition: 0,
                playlist,
                ..
            } => {
                assert!(playlist.segments.len() <= 4);
                last = Some(*playlist);
            }
            _ => {}
        }
    }
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
    assert_eq!(produced, listed);
    // The EXT-X-MAP moved with the window.
    assert!(last.segments[0].map.is_some());
}

#[test]
fn event_playlists_only_grow() {
    let config =
        PackagerConfig::vod(SegmentFormat::Ts, two_seconds()).with_kind(PlaylistKind::Event);
    let mut lengths = Vec::new();
    for e in run(config, 1) {
        match e {
            PackagerEvent::Removed { .. } => panic!("an EVENT playlist removes nothing"),
            PackagerEvent::MediaPlaylist { playlist, .. } => {
                assert_eq!(playlist.playlist_type, Some(PlaylistType::Event));
                assert_eq!(playlist.media_sequence, 0);
                lengths.push(playlist.segments.len());
            }
            _ => {}
        }
    }
    assert_eq!(lengths, [1, 2, 3, 4, 5, 5]);
}

#[test]
fn independent_parts_start_with_a_keyframe() {
    let file = file();
    let config =
        PackagerConfig::live(SegmentFormat::Ts, two_seconds(), 5).with_part_target(half_second());
    let mut packager = Packager::for_mp4(&file, config).unwrap();
    let mut keyframe_at_part_start = Vec::new();
    let mut independent = Vec::new();
    let mut next_is_start = true;
    for s in file.samples() {
        let video = s.track_id == 1;
        let keyframe = s.keyframe;
        if video && next_is_start {
            keyframe_at_part_start.push(keyframe);
            next_is_start = false;
        }
        packager.push(s).unwrap();
        while let Some(e) = packager.poll() {
            if let PackagerEvent::Part(p) = e {
                independent.push(p.independent);
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
    packager.finish().unwrap();
    while let Some(e) = packager.poll() {
        if let PackagerEvent::Part(p) = e {
            independent.push(p.independent);
        }
    }
    assert_eq!(independent.len(), 20);
    assert_eq!(independent, keyframe_at_part_start[..20]);
    assert_eq!(independent.iter().filter(|i| **i).count(), 5);
}

#[test]
fn bandwidth_is_measured_from_the_segments() {
    let config = PackagerConfig::vod(SegmentFormat::Fmp4, two_seconds());
    let mut sizes: BTreeMap<usize, Vec<(u64, Duration)>> = BTreeMap::new();
    let mut master: Option<MultivariantPlaylist> = None;
    for e in run(config, 1) {
        match e {
            PackagerEvent::Segment(s) => sizes
                .entry(s.resource.rendition)
                .or_default()
                .push((s.resource.body.len(), s.duration)),
            PackagerEvent::MultivariantPlaylist { playlist, .. } => master = Some(*playlist),
            _ => {}
        }
    }
    let master = master.unwrap();
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
    let window = PackagerConfig::live(SegmentFormat::Ts, two_seconds(), 2);
    assert!(matches!(
        Packager::for_mp4(&file, window),
        Err(PackagerError::InvalidConfig { .. })
    ));
    let part = PackagerConfig::live(SegmentFormat::Ts, two_seconds(), 5)
        .with_part_target(MediaTime::new(3, Timescale::SECONDS));
    assert!(matches!(
        Packager::for_mp4(&file, part),
        Err(PackagerError::Segment(_))
    ));
    assert!(matches!(
        Packager::new(
            &[],
            &[],
            PackagerConfig::vod(SegmentFormat::Ts, two_seconds())
        ),
        Err(PackagerError::TrackCount { count: 0 })
    ));
    let mut p =
        Packager::for_mp4(&file, PackagerConfig::vod(SegmentFormat::Ts, two_seconds())).unwrap();
    let mut s = file.samples().next().unwrap();
    s.track_id = 9;
    assert!(matches!(
        p.push(s),
        Err(PackagerError::UnknownTrack { track_id: 9, .. })
    ));
    p.finish().unwrap();
    let s = file.samples().next().unwrap();
    assert!(matches!(p.push(s), Err(PackagerError::Finished { .. })));
}

#[test]
fn video_before_the_first_keyframe_is_reported_dropped() {
    let file = file();
    let config = PackagerConfig::vod(SegmentFormat::Fmp4, two_seconds());
    let mut packager = Packager::for_mp4(&file, config).unwrap();
    let mut dropped = Vec::new();
    let mut video_segments = 0;
    // Join the stream one frame late: the next keyframe is frame 60.
    for s in file.samples().filter(|s| !(s.track_id == 1 && s.dts == 0)) {
        packager.push(s).unwrap();
        while let Some(e) = packager.poll() {
            match e {
                PackagerEvent::SampleDropped(d) => dropped.push((d.track_id, d.dts)),
                PackagerEvent::Segment(s) if s.resource.rendition == 0 => video_segments += 1,
                _ => {}
            }
        }
    }
    packager.finish().unwrap();
    while let Some(e) = packager.poll() {
        if let PackagerEvent::Segment(s) = e {
            video_segments += usize::from(s.resource.rendition == 0);
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
    let config =
        PackagerConfig::live(SegmentFormat::Fmp4, two_seconds(), 4).with_program_date_time(start);
    let mut last = None;
    for e in run(config, 2) {
        if let PackagerEvent::MediaPlaylist {
            rendition: 1,
            playlist,
            ..
        } = e
        {
            last = Some(*playlist);
        }
    }
    let last = last.unwrap();
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
