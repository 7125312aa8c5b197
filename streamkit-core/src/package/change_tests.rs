//! A codec configuration that changes mid-stream: exact expectations on a
//! simulated stream, and a property over any sequence of samples and
//! changes.

use bytes::Bytes;
use proptest::prelude::*;

use super::*;
use crate::codec::CodecConfig;
use crate::codec::aac::AacConfig;
use crate::segment::DropReason;

fn seconds(s: i64) -> MediaTime {
    MediaTime::new(s, Timescale::SECONDS)
}

fn millis(ms: i64) -> MediaTime {
    MediaTime::new(ms, Timescale::MILLIS)
}

const V: u32 = 1;
const A: u32 = 2;

/// The fixture's H.264 track (320x240, High) as track `V` at 90 kHz, with
/// `level_idc` set to `level` (the mark of one configuration).
fn video(level: u8) -> Track {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../tests/fixtures/h264_aac.mp4"
    );
    let file = Mp4File::parse(Bytes::from(std::fs::read(path).unwrap())).unwrap();
    let mut t = file.tracks()[0].to_track().unwrap();
    t.id = V;
    t.timescale = Timescale::VIDEO_90KHZ;
    if let CodecConfig::H264(avc) = &mut t.codec {
        avc.level_idc = level;
    }
    t
}

fn audio(channels: u8) -> Track {
    Track::new(
        A,
        Timescale::AUDIO_48KHZ,
        CodecConfig::Aac(AacConfig::new(2, 48_000, channels).unwrap()),
    )
}

/// 30 fps frame `n`, a keyframe every `gop`; its bytes are `mark`.
fn frame(n: i64, gop: i64, mark: u8) -> Sample {
    Sample {
        track_id: V,
        dts: n * 3_000,
        composition_offset: 0,
        duration: 3_000,
        timescale: Timescale::VIDEO_90KHZ,
        keyframe: n % gop == 0,
        // One length-prefixed NAL unit (IDR or not), ending with `mark`.
        data: Bytes::from(vec![
            0,
            0,
            0,
            4,
            if n % gop == 0 { 0x65 } else { 0x41 },
            mark,
            mark,
            mark,
        ]),
    }
}

fn aac(n: i64, mark: u8) -> Sample {
    Sample {
        track_id: A,
        dts: n * 1_024,
        composition_offset: 0,
        duration: 1_024,
        timescale: Timescale::AUDIO_48KHZ,
        keyframe: true,
        data: Bytes::from(vec![mark; 12]),
    }
}

/// Pushes video frames `from..to` (and the audio frames up to their end).
fn push_until(p: &mut Package, from: i64, to: i64, mark: u8, audio_next: &mut i64) {
    for n in from..to {
        p.push(frame(n, 30, mark)).unwrap();
        while *audio_next * 1_024 * 90_000 < (n + 1) * 3_000 * 48_000 {
            p.push(aac(*audio_next, 2)).unwrap();
            *audio_next += 1;
        }
    }
}

fn drain(p: &mut Package) -> Vec<PackageEvent> {
    core::iter::from_fn(|| p.poll_event()).collect()
}

/// The samples of rendition `r`'s segment `s`, read back through the init
/// segment its record names, with the `level_idc` (video) or channel
/// count (audio) that init segment declares.
fn read_back(p: &Package, r: usize, s: &SegmentRecord) -> (u8, Vec<Sample>) {
    let rs = &s.renditions[r];
    let init = p.renditions()[r]
        .init_of_version(rs.init_version)
        .expect("the init segment of a kept segment is kept");
    let mut bytes = init.body.to_bytes().to_vec();
    bytes.extend_from_slice(&rs.body().to_bytes());
    let file = Mp4File::parse(Bytes::from(bytes)).unwrap();
    let mark = match file.tracks()[0].to_track().unwrap().codec {
        CodecConfig::H264(avc) => avc.level_idc,
        CodecConfig::Aac(aac) => aac.channel_configuration,
        _ => unreachable!(),
    };
    (mark, file.samples().collect())
}

#[test]
fn a_new_sps_starts_a_segment_at_the_next_keyframe_with_a_new_init() {
    let config = PackageConfig::new(seconds(4)).with_part_target(millis(500));
    let mut p = Package::new(&[video(30), audio(2)], &[], config).unwrap();
    let mut audio_next = 0;
    push_until(&mut p, 0, 45, 30, &mut audio_next);
    drain(&mut p);
    // The encoder changes its SPS at frame 45, which is no keyframe: the
    // frames up to the next keyframe (60) cannot be described by either
    // configuration's segment and are left out, reported.
    p.change_track(video(40)).unwrap();
    assert!(drain(&mut p).is_empty());
    assert!(p.is_change_pending());
    push_until(&mut p, 45, 200, 40, &mut audio_next);
    p.finish().unwrap();
    let events = drain(&mut p);
    let dropped: Vec<i64> = events
        .iter()
        .filter_map(|e| match e {
            PackageEvent::SampleDropped(d) => {
                assert_eq!(d.reason, DropReason::BeforeNewConfiguration);
                assert_eq!(d.track_id, V);
                Some(d.dts / 3_000)
            }
            _ => None,
        })
        .collect();
    assert_eq!(dropped, (45..60).collect::<Vec<_>>());
    let inits: Vec<&str> = events
        .iter()
        .filter_map(|e| match e {
            PackageEvent::Init { resource, .. } => Some(resource.name.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(inits, ["video/init-1.mp4"]);

    let segs = p.segments();
    let starts: Vec<i64> = segs.iter().map(|s| s.start.ticks()).collect();
    // Cut early at frame 60 (2 s), then every 4 s at a keyframe.
    assert_eq!(starts, [0, 180_000, 540_000]);
    let disc: Vec<bool> = segs.iter().map(|s| s.discontinuity).collect();
    assert_eq!(disc, [false, true, false]);
    let versions =
        |r: usize| -> Vec<u32> { segs.iter().map(|s| s.renditions[r].init_version).collect() };
    assert_eq!(versions(0), [0, 1, 1]);
    assert_eq!(
        versions(1),
        [0, 0, 0],
        "audio is not touched by a video SPS"
    );
    let counts: Vec<usize> = segs.iter().map(|s| s.renditions[0].sample_count).collect();
    assert_eq!(counts, [45, 120, 20]);
    assert!(segs[1].independent && segs[1].parts[0].independent);
    assert_eq!(p.discontinuities_before(2), 1);
    assert_eq!(
        p.configuration_starts().iter().copied().collect::<Vec<_>>(),
        [ConfigurationStart {
            number: 1,
            sequence: 1,
            start: MediaTime::new(180_000, Timescale::VIDEO_90KHZ)
        }]
    );
    assert!(!p.is_change_pending());
    assert_eq!(p.renditions()[0].init_version, 1);
    assert_eq!(p.renditions()[1].init_version, 0);
    // Both video init segments are served; audio has one.
    assert!(p.resource("video/init.mp4").is_some());
    assert!(p.resource("video/init-1.mp4").is_some());
    assert!(p.resource("audio/init-1.mp4").is_none());
    assert_eq!(
        p.resource("video/init-1.mp4").unwrap().kind,
        ResourceKind::Init { version: 1 }
    );
    // Every segment reads back through its own init segment, with the
    // configuration its samples were made with.
    for s in segs {
        let (level, samples) = read_back(&p, 0, s);
        assert!(
            samples.iter().all(|x| x.data.last() == Some(&level)),
            "segment {}",
            s.sequence
        );
    }
    assert_eq!(read_back(&p, 0, &segs[0]).0, 30);
    assert_eq!(read_back(&p, 0, &segs[1]).0, 40);
    let names: Vec<String> = p.resources().map(|(n, _)| n).take(3).collect();
    assert_eq!(
        names,
        ["video/init.mp4", "video/init-1.mp4", "audio/init.mp4"]
    );
}

#[test]
fn an_init_segment_leaves_with_the_last_segment_that_uses_it() {
    let config = PackageConfig::new(seconds(1)).with_window(2);
    let mut p = Package::new(&[video(30)], &[], config).unwrap();
    for n in 0..45 {
        p.push(frame(n, 30, 30)).unwrap();
    }
    p.change_track(video(31)).unwrap();
    for n in 45..150 {
        p.push(frame(n, 30, 31)).unwrap();
    }
    let events = drain(&mut p);
    let removed: Vec<&str> = events
        .iter()
        .filter_map(|e| match e {
            PackageEvent::Removed { name } => Some(name.as_str()),
            _ => None,
        })
        .collect();
    // Segments 0 (frames 0 to 29) and 1 (30 to 44, the old configuration)
    // left; the old init segment left with segment 1, the last that used
    // it. Segment 2 starts the new configuration at frame 60.
    assert_eq!(
        removed,
        ["video/seg-0.m4s", "video/seg-1.m4s", "video/init.mp4"]
    );
    assert!(p.resource("video/init.mp4").is_none());
    assert!(p.renditions()[0].earlier_inits.is_empty());
    let starts: Vec<u64> = p
        .configuration_starts()
        .iter()
        .map(|c| c.sequence)
        .collect();
    assert_eq!(starts, [2]);
    assert_eq!(p.segments()[0].sequence, 2);
    assert!(p.segments()[0].discontinuity);
    assert_eq!(p.discontinuities_before(3), 1);
}

#[test]
fn mpeg_ts_renditions_carry_the_new_parameter_sets_in_band() {
    let with_sps = |mark: u8| {
        let mut t = video(30);
        if let CodecConfig::H264(avc) = &mut t.codec {
            let mut sps = avc.sps[0].to_vec();
            sps.extend_from_slice(&[0xC0, 0xDE, mark]);
            avc.sps = vec![Bytes::from(sps)];
        }
        t
    };
    let tracks = [with_sps(1), audio(2)];
    let config = PackageConfig::new(seconds(4)).with_renditions(vec![RenditionSpec::muxed(
        "ts",
        Container::MpegTs,
        &tracks,
    )]);
    let mut p = Package::new(&tracks, &[], config).unwrap();
    let mut audio_next = 0;
    push_until(&mut p, 0, 30, 1, &mut audio_next);
    p.change_track(with_sps(2)).unwrap();
    push_until(&mut p, 30, 90, 2, &mut audio_next);
    p.finish().unwrap();
    let segs = p.segments();
    assert_eq!(segs.len(), 2);
    assert_eq!(
        segs.iter().map(|s| s.discontinuity).collect::<Vec<_>>(),
        [false, true]
    );
    assert_eq!(segs[1].renditions[0].init_version, 1);
    let has = |s: &SegmentRecord, mark: u8| {
        let b = s.renditions[0].body().to_bytes();
        b.windows(3).any(|w| w == [0xC0, 0xDE, mark])
    };
    assert!(has(&segs[0], 1) && !has(&segs[0], 2));
    assert!(has(&segs[1], 2) && !has(&segs[1], 1));
    // The TS demuxer reads the second segment as H.264 with the new SPS.
    let mut demuxer = crate::ts::TsDemuxer::new();
    demuxer
        .push(&segs[1].renditions[0].body().to_bytes())
        .unwrap();
    demuxer.finish().unwrap();
    let mut frames = 0;
    while let Some(e) = demuxer.poll_event() {
        if let crate::ts::TsEvent::Sample(s) = e
            && s.sample.track_id == 0x100
        {
            frames += 1;
        }
    }
    assert_eq!(frames, 60);
}

#[test]
fn a_change_of_codec_or_clock_is_refused_and_changes_nothing() {
    let mut p = Package::new(&[video(30), audio(2)], &[], PackageConfig::new(seconds(2))).unwrap();
    let mut as_audio = audio(2);
    as_audio.id = V;
    as_audio.timescale = Timescale::VIDEO_90KHZ;
    let err = p.change_track(as_audio).unwrap_err();
    assert!(
        matches!(&err, PackageError::UnsupportedTrackChange { track_id: V, from, to, .. }
            if from.starts_with("avc1.") && to == "mp4a.40.2"),
        "{err}"
    );
    let mut slower = video(31);
    slower.timescale = Timescale::MILLIS;
    assert!(matches!(
        p.change_track(slower),
        Err(PackageError::UnsupportedTrackChange { .. })
    ));
    let mut stranger = video(31);
    stranger.id = 9;
    assert!(matches!(
        p.change_track(stranger),
        Err(PackageError::UnknownTrack { track_id: 9, .. })
    ));
    // The same configuration again is no change; a change back before the
    // cut leaves nothing to do either.
    p.change_track(video(30)).unwrap();
    assert!(!p.segmenter.is_cut_requested());
    p.push(frame(0, 30, 30)).unwrap();
    p.change_track(video(31)).unwrap();
    p.change_track(video(30)).unwrap();
    for n in 1..61 {
        p.push(frame(n, 30, 30)).unwrap();
    }
    p.finish().unwrap();
    assert!(
        p.segments()
            .iter()
            .all(|s| s.renditions[0].init_version == 0)
    );
    assert!(p.segments().iter().all(|s| !s.discontinuity));
}

#[derive(Debug, Clone)]
enum Op {
    Video { keyframe: bool },
    Audio,
    ChangeVideo,
    ChangeAudio,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        6 => any::<bool>().prop_map(|k| Op::Video { keyframe: k }),
        4 => Just(Op::Audio),
        1 => Just(Op::ChangeVideo),
        1 => Just(Op::ChangeAudio),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Any sequence of samples and changes: every kept segment's samples
    /// read back through the init version its record names, and that init
    /// segment declares the configuration they were made with; a segment
    /// whose init version differs from the one before follows a
    /// discontinuity; every sample is in a segment or reported dropped.
    #[test]
    fn every_segment_is_described_by_its_init_version(
        ops in proptest::collection::vec(op(), 1..300),
        window in proptest::option::of(1usize..4),
    ) {
        let mut config = PackageConfig::new(millis(500)).with_part_target(millis(200));
        if let Some(w) = window {
            config = config.with_window(w);
        }
        let mut p = Package::new(&[video(30), audio(1)], &[], config).unwrap();
        let (mut level, mut channels) = (30u8, 1u8);
        let (mut vn, mut an) = (0i64, 0i64);
        let mut pushed = 0usize;
        let mut dropped = 0usize;
        for op in ops {
            match op {
                Op::Video { keyframe } => {
                    let gop = if keyframe { 1 } else { 1_000_000 };
                    p.push(frame(vn, gop, level)).unwrap();
                    vn += 1;
                    pushed += 1;
                }
                Op::Audio => {
                    p.push(aac(an, channels)).unwrap();
                    an += 1;
                    pushed += 1;
                }
                Op::ChangeVideo => {
                    level = if level == 60 { 30 } else { level + 1 };
                    p.change_track(video(level)).unwrap();
                }
                Op::ChangeAudio => {
                    channels = 3 - channels;
                    p.change_track(audio(channels)).unwrap();
                }
            }
            for e in drain(&mut p) {
                if let PackageEvent::SampleDropped(_) = e {
                    dropped += 1;
                }
            }
        }
        p.finish().unwrap();
        for e in drain(&mut p) {
            if let PackageEvent::SampleDropped(_) = e {
                dropped += 1;
            }
        }
        let mut previous: Option<&SegmentRecord> = None;
        let mut kept = 0;
        for s in p.segments() {
            for r in 0..2 {
                if s.renditions[r].is_empty() {
                    continue;
                }
                let (mark, samples) = read_back(&p, r, s);
                prop_assert_eq!(samples.len(), s.renditions[r].sample_count);
                kept += samples.len();
                for x in &samples {
                    prop_assert_eq!(x.data.last(), Some(&mark), "segment {} rendition {}", s.sequence, r);
                }
            }
            if let Some(prev) = previous {
                let changed = (0..2).any(|r| prev.renditions[r].init_version != s.renditions[r].init_version);
                if changed {
                    prop_assert!(s.discontinuity, "segment {}", s.sequence);
                }
            }
            previous = Some(s);
        }
        if window.is_none() {
            prop_assert_eq!(kept + dropped, pushed);
        }
    }
}

#[test]
fn the_ts_muxer_refuses_another_stream_type_and_unknown_tracks() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../tests/fixtures/h265_aac.mp4"
    );
    let file = Mp4File::parse(Bytes::from(std::fs::read(path).unwrap())).unwrap();
    let mut hevc = file.tracks()[0].to_track().unwrap();
    hevc.id = V;
    hevc.timescale = Timescale::VIDEO_90KHZ;
    let mut muxer = crate::ts::TsMuxer::new(&[video(30), audio(2)]).unwrap();
    assert!(matches!(
        muxer.update_track(&hevc),
        Err(crate::ts::TsError::UnsupportedCodec { track_id: V, .. })
    ));
    let mut stranger = video(31);
    stranger.id = 7;
    assert!(matches!(
        muxer.update_track(&stranger),
        Err(crate::ts::TsError::UnsupportedCodec { track_id: 7, .. })
    ));
    // The same codec with other parameter sets, and AAC of one channel.
    muxer.update_track(&video(31)).unwrap();
    muxer.update_track(&audio(1)).unwrap();
}
