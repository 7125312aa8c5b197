//! The segmenter's cutting rules, its bad-input handling, and the property
//! that it never loses, duplicates or reorders a sample.

// Test helpers outside #[test] functions unwrap and panic on purpose.
#![allow(clippy::unwrap_used, clippy::panic)]

use bytes::Bytes;
use proptest::prelude::*;
use streamkit_core::mp4::Mp4File;
use streamkit_core::sample::Sample;
use streamkit_core::segment::{
    DropReason, DroppedSample, Part, Segment, SegmentError, SegmentEvent, Segmenter,
    SegmenterConfig,
};
use streamkit_core::time::{MediaTime, Timescale};
use streamkit_core::track::Track;

const V: Timescale = Timescale::VIDEO_90KHZ;
const A: Timescale = Timescale::AUDIO_48KHZ;

fn sample(track_id: u32, timescale: Timescale, dts: i64, duration: u32, keyframe: bool) -> Sample {
    Sample {
        track_id,
        dts,
        composition_offset: 0,
        duration,
        timescale,
        keyframe,
        data: Bytes::from(format!("{track_id}:{dts}")),
    }
}

fn secs(s: i64) -> MediaTime {
    MediaTime::new(s, Timescale::SECONDS)
}

fn millis(ms: i64) -> MediaTime {
    MediaTime::new(ms, Timescale::MILLIS)
}

#[derive(Default)]
struct Collected {
    parts: Vec<Part>,
    segments: Vec<Segment>,
    dropped: Vec<DroppedSample>,
}

fn drain(seg: &mut Segmenter, out: &mut Collected) {
    while let Some(ev) = seg.poll() {
        match ev {
            SegmentEvent::Part(p) => out.parts.push(p),
            SegmentEvent::Segment(s) => out.segments.push(s),
            SegmentEvent::Dropped(d) => out.dropped.push(d),
            other => panic!("unexpected event {other:?}"),
        }
    }
}

fn run(config: SegmenterConfig, samples: &[Sample]) -> Collected {
    let mut seg = Segmenter::new(config).unwrap();
    let mut out = Collected::default();
    for s in samples {
        seg.push(s.clone()).unwrap();
        drain(&mut seg, &mut out);
    }
    seg.finish();
    drain(&mut seg, &mut out);
    out
}

/// 30 fps video (3000 ticks at 90 kHz), a keyframe every `gop` frames.
fn video(frames: i64, gop: i64) -> Vec<Sample> {
    (0..frames)
        .map(|i| sample(1, V, i * 3_000, 3_000, i % gop == 0))
        .collect()
}

/// AAC frames of 1024 ticks at 48 kHz.
fn audio(track: u32, frames: i64) -> Vec<Sample> {
    (0..frames)
        .map(|i| sample(track, A, i * 1_024, 1_024, true))
        .collect()
}

/// Interleaves by decode time (seconds as exact fractions), ties in the
/// order of the lists.
fn interleave(a: Vec<Sample>, b: Vec<Sample>) -> Vec<Sample> {
    let mut out = Vec::with_capacity(a.len() + b.len());
    let (mut i, mut j) = (0, 0);
    while i < a.len() || j < b.len() {
        let take_a = match (a.get(i), b.get(j)) {
            (Some(x), Some(y)) => x.decode_time() <= y.decode_time(),
            (Some(_), None) => true,
            _ => false,
        };
        if take_a {
            out.push(a[i].clone());
            i += 1;
        } else {
            out.push(b[j].clone());
            j += 1;
        }
    }
    out
}

fn all_samples(c: &Collected) -> Vec<Sample> {
    c.parts.iter().flat_map(|p| p.samples.clone()).collect()
}

#[test]
fn video_cuts_at_keyframes_after_the_target() {
    // GOP 1 s, target 2 s, 5 s: segments of 2, 2 and 1 s.
    let input = video(150, 30);
    let out = run(SegmenterConfig::new(1, V, secs(2)), &input);
    let starts: Vec<i64> = out.segments.iter().map(|s| s.start.ticks()).collect();
    let durations: Vec<i64> = out.segments.iter().map(|s| s.duration.ticks()).collect();
    assert_eq!(starts, [0, 180_000, 360_000]);
    assert_eq!(durations, [180_000, 180_000, 90_000]);
    assert_eq!(
        out.segments.iter().map(|s| s.sequence).collect::<Vec<_>>(),
        [0, 1, 2]
    );
    assert!(out.segments.iter().all(|s| s.independent));
    assert!(out.segments.iter().all(|s| s.duration.timescale() == V));
    assert_eq!(
        out.segments
            .iter()
            .map(|s| s.sample_count)
            .collect::<Vec<_>>(),
        [60, 60, 30]
    );
    // No parts configured: one part per segment.
    assert_eq!(out.parts.len(), 3);
    assert_eq!(all_samples(&out), input);
}

#[test]
fn long_gop_makes_longer_segments() {
    // GOP 1.5 s (45 frames), target 2 s: cuts at 3 s and 6 s.
    let input = video(240, 45);
    let out = run(SegmenterConfig::new(1, V, secs(2)), &input);
    let durations: Vec<i64> = out.segments.iter().map(|s| s.duration.ticks()).collect();
    assert_eq!(durations, [270_000, 270_000, 180_000]);
}

#[test]
fn audio_only_cuts_at_the_target() {
    // 1024-tick frames at 48 kHz, target 2 s = 96 000 ticks: the first frame
    // at or past it is frame 94 (96 256).
    let input = audio(2, 200);
    let out = run(SegmenterConfig::new(2, A, secs(2)), &input);
    let starts: Vec<i64> = out.segments.iter().map(|s| s.start.ticks()).collect();
    assert_eq!(starts, [0, 96_256, 192_512]);
    let durations: Vec<i64> = out.segments.iter().map(|s| s.duration.ticks()).collect();
    assert_eq!(durations, [96_256, 96_256, 200 * 1_024 - 192_512]);
    assert_eq!(all_samples(&out), input);
}

#[test]
fn parts_stay_within_the_part_target() {
    // Target 2 s, parts of at most 333 ms (29 970 ticks): 9 frames (27 000
    // ticks) each, since a tenth frame would end at 30 000 ticks, past the
    // part target. Keyframe every 18 frames (600 ms), so the first cut at or
    // past 2 s is frame 72 (2.4 s): eight parts of 9 frames.
    let input = interleave(video(150, 18), audio(2, 235));
    let config = SegmenterConfig::new(1, V, secs(2)).with_part_target(millis(333));
    let out = run(config, &input);
    assert_eq!(all_samples(&out), input);
    let first = &out.segments[0];
    assert_eq!(first.duration.ticks(), 216_000);
    let part_durations: Vec<i64> = first.parts.iter().map(|p| p.duration.ticks()).collect();
    assert_eq!(part_durations, [27_000; 8]);
    let independent: Vec<bool> = first.parts.iter().map(|p| p.independent).collect();
    // Keyframes at frames 0, 18, 36, 54: the starts of parts 0, 2, 4, 6.
    assert_eq!(
        independent,
        [true, false, true, false, true, false, true, false]
    );
    let part_starts: Vec<i64> = first.parts.iter().map(|p| p.start.ticks()).collect();
    assert_eq!(
        part_starts,
        [
            0, 27_000, 54_000, 81_000, 108_000, 135_000, 162_000, 189_000
        ]
    );
    assert_eq!(
        first.parts.iter().map(|p| p.index).collect::<Vec<_>>(),
        [0, 1, 2, 3, 4, 5, 6, 7]
    );
    // Second segment: frames 72..144 (cut at the keyframe at 144, 4.8 s);
    // parts of 9 frames again.
    assert_eq!(out.segments[1].start.ticks(), 216_000);
    assert_eq!(out.segments[1].duration.ticks(), 216_000);
    // Last: frames 144..150, one part of 6 frames.
    assert_eq!(out.segments[2].parts.len(), 1);
    assert_eq!(out.segments[2].duration.ticks(), 18_000);
    // Part events carry the same timings, in order, before their segment.
    let timings: Vec<_> = out
        .parts
        .iter()
        .filter(|p| p.segment_sequence == 0)
        .map(|p| p.timing)
        .collect();
    assert_eq!(timings, first.parts);
    for seg in &out.segments {
        let sum: i64 = seg.parts.iter().map(|p| p.duration.ticks()).sum();
        assert_eq!(sum, seg.duration.ticks());
        assert_eq!(
            seg.parts.iter().map(|p| p.sample_count).sum::<usize>(),
            seg.sample_count
        );
    }
}

#[test]
fn every_part_starts_with_a_video_sample_in_av_streams() {
    let input = interleave(video(90, 30), audio(2, 140));
    let config = SegmenterConfig::new(1, V, secs(1)).with_part_target(millis(500));
    let out = run(config, &input);
    for p in &out.parts {
        assert_eq!(p.samples[0].track_id, 1, "part {:?}", p.timing);
        // Every segment starts with a video keyframe.
        if p.timing.index == 0 {
            assert!(p.samples[0].keyframe);
        }
    }
}

#[test]
fn samples_before_the_first_keyframe_are_dropped_and_reported() {
    // Video starts at frame 0 but the first keyframe is frame 3; the audio
    // that comes before it is kept.
    let mut v = video(60, 30);
    for s in &mut v[..3] {
        s.keyframe = false;
    }
    v[3].keyframe = true;
    let input = interleave(v, audio(2, 90));
    let out = run(SegmenterConfig::new(1, V, millis(500)), &input);
    assert_eq!(
        out.dropped,
        [0, 3_000, 6_000].map(|dts| DroppedSample {
            track_id: 1,
            dts,
            reason: DropReason::BeforeFirstKeyframe
        })
    );
    let kept: Vec<Sample> = input
        .iter()
        .filter(|s| !(s.track_id == 1 && s.dts < 9_000))
        .cloned()
        .collect();
    assert_eq!(all_samples(&out), kept);
    // The first segment starts at the first keyframe, though audio opened it.
    assert_eq!(out.segments[0].start, MediaTime::new(9_000, V));
    assert_eq!(out.segments[0].duration, MediaTime::new(90_000 - 9_000, V));
    assert_eq!(out.parts[0].samples[0].track_id, 2);
}

#[test]
fn no_keyframe_forces_a_cut_at_the_max_duration() {
    // Only the first frame is a keyframe; target 1 s, max 2 s.
    let input = video(150, 1_000);
    let config = SegmenterConfig::new(1, V, secs(1)).with_max_duration(secs(2));
    let out = run(config, &input);
    let durations: Vec<i64> = out.segments.iter().map(|s| s.duration.ticks()).collect();
    assert_eq!(durations, [180_000, 180_000, 90_000]);
    let independent: Vec<bool> = out.segments.iter().map(|s| s.independent).collect();
    assert_eq!(independent, [true, false, false]);
    assert_eq!(all_samples(&out), input);
}

#[test]
fn a_stalled_video_track_cannot_hold_audio_forever() {
    // Video stops after 1 s; audio goes on for 10 s: forced cuts every 3 s
    // (the default max, three times the 1 s target) on the audio.
    let input = interleave(video(30, 30), audio(2, 469));
    let out = run(SegmenterConfig::new(1, V, secs(1)), &input);
    assert_eq!(all_samples(&out), input);
    let starts: Vec<i64> = out.segments.iter().map(|s| s.start.ticks()).collect();
    // Audio frame k starts at k*1024/48000 s; the first at or past 3 s is
    // k = 141 (3.008 s = 270 720 ticks of 90 kHz), then 282 (6.016 s),
    // 423 (9.024 s).
    assert_eq!(starts, [0, 270_720, 541_440, 812_160]);
    let last = out.segments.last().unwrap();
    // Without video, the last segment ends at its last audio frame's end:
    // 469 * 1024 / 48000 s = 10.0053 s = 900 480 ticks.
    assert_eq!(last.start.ticks() + last.duration.ticks(), 900_480);
}

#[test]
fn bad_input_gets_typed_errors_and_changes_nothing() {
    let config = SegmenterConfig::new(1, V, secs(1)).with_max_segment_samples(3);
    let mut seg = Segmenter::new(config).unwrap();
    seg.push(sample(1, V, 0, 3_000, true)).unwrap();
    assert_eq!(
        seg.push(sample(1, V, 0, 3_000, false)),
        Err(SegmentError::NonMonotonicDts {
            track_id: 1,
            dts: 0,
            previous_dts: 0
        })
    );
    assert_eq!(
        seg.push(sample(2, A, 0, 0, true)),
        Err(SegmentError::ZeroDuration {
            track_id: 2,
            dts: 0
        })
    );
    assert_eq!(
        seg.push(sample(1, A, 3_000, 3_000, false)),
        Err(SegmentError::TimescaleChanged {
            track_id: 1,
            dts: 3_000,
            expected: V,
            found: A
        })
    );
    seg.push(sample(2, A, 0, 1_024, true)).unwrap();
    assert_eq!(
        seg.push(sample(2, V, 1_024, 1_024, true)),
        Err(SegmentError::TimescaleChanged {
            track_id: 2,
            dts: 1_024,
            expected: A,
            found: V
        })
    );
    seg.push(sample(1, V, 3_000, 3_000, false)).unwrap();
    assert_eq!(
        seg.push(sample(2, A, 1_024, 1_024, true)),
        Err(SegmentError::SegmentFull {
            track_id: 2,
            dts: 1_024,
            limit: 3
        })
    );
    // A keyframe past the target starts a new segment, so it fits.
    seg.push(sample(1, V, 90_000, 3_000, true)).unwrap();
    seg.finish();
    let mut out = Collected::default();
    drain(&mut seg, &mut out);
    assert_eq!(
        all_samples(&out),
        [
            sample(1, V, 0, 3_000, true),
            sample(2, A, 0, 1_024, true),
            sample(1, V, 3_000, 3_000, false),
            sample(1, V, 90_000, 3_000, true),
        ]
    );
    assert_eq!(
        seg.push(sample(1, V, 93_000, 3_000, false)),
        Err(SegmentError::Finished {
            track_id: 1,
            dts: 93_000
        })
    );
}

#[test]
fn too_many_tracks() {
    let mut seg = Segmenter::new(SegmenterConfig::new(1000, V, secs(1))).unwrap();
    for t in 0..64 {
        seg.push(sample(t, A, 0, 1, true)).unwrap();
    }
    assert_eq!(
        seg.push(sample(64, A, 0, 1, true)),
        Err(SegmentError::TooManyTracks {
            track_id: 64,
            limit: 64
        })
    );
}

#[test]
fn invalid_configurations() {
    let bad = [
        SegmenterConfig::new(1, V, secs(0)),
        SegmenterConfig::new(1, V, secs(2)).with_part_target(secs(3)),
        SegmenterConfig::new(1, V, secs(2)).with_part_target(millis(0)),
        SegmenterConfig::new(1, V, secs(2)).with_max_duration(secs(1)),
        SegmenterConfig::new(1, V, secs(2)).with_max_segment_samples(0),
        // Below half a tick of the reference clock.
        SegmenterConfig::new(1, Timescale::SECONDS, millis(400)),
    ];
    for config in bad {
        assert!(
            matches!(
                Segmenter::new(config),
                Err(SegmentError::InvalidConfig { .. })
            ),
            "{config:?}"
        );
    }
}

#[test]
fn empty_stream_emits_nothing() {
    let out = run(SegmenterConfig::new(1, V, secs(1)), &[]);
    assert!(out.parts.is_empty() && out.segments.is_empty());
}

#[test]
fn reference_track_from_tracks() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../tests/fixtures/h264_aac.mp4"
    );
    let file = Mp4File::parse(Bytes::from(std::fs::read(path).unwrap())).unwrap();
    let mut tracks: Vec<Track> = file.tracks().iter().filter_map(|t| t.to_track()).collect();
    tracks.reverse(); // audio first: the video track is still the reference
    let c = SegmenterConfig::for_tracks(&tracks, secs(2)).unwrap();
    assert_eq!(c.reference_track, 1);
    assert_eq!(c.reference_timescale, Timescale::new(15_360).unwrap());
    assert_eq!(c.target_duration, secs(2));
    assert_eq!(c.max_duration, secs(6));
    assert_eq!(c.part_target, None);
    let audio_only = SegmenterConfig::for_tracks(&tracks[..1], secs(2)).unwrap();
    assert_eq!(audio_only.reference_track, 2);
    assert_eq!(audio_only.reference_timescale, Timescale::AUDIO_44_1KHZ);
    assert_eq!(SegmenterConfig::for_tracks(&[], secs(2)), None);
}

/// A random A/V stream: video with random keyframes and frame durations,
/// audio frames of 1024 ticks at 48 kHz, interleaved by decode time.
fn arb_stream() -> impl Strategy<Value = Vec<Sample>> {
    (
        proptest::collection::vec((any::<bool>(), 1u32..9_000, 0u8..8), 0..300),
        0usize..400,
        any::<bool>(),
    )
        .prop_map(|(frames, audio_frames, first_key)| {
            let mut dts = 0i64;
            let mut v = Vec::new();
            for (i, (key, dur, weight)) in frames.into_iter().enumerate() {
                // Keyframes about one in eight frames.
                let keyframe = (i == 0 && first_key) || (key && weight == 0);
                v.push(sample(1, V, dts, dur, keyframe));
                dts += i64::from(dur);
            }
            interleave(v, audio(2, audio_frames as i64))
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn never_loses_duplicates_or_reorders(
        input in arb_stream(),
        target_ms in 100i64..3_000,
        part_ms in proptest::option::of(20i64..1_000),
        max_factor in 1i64..4,
    ) {
        let mut config = SegmenterConfig::new(1, V, millis(target_ms))
            .with_max_duration(millis(target_ms * max_factor));
        if let Some(p) = part_ms {
            config = config.with_part_target(millis(p.min(target_ms)));
        }
        let out = run(config, &input);

        // Exactly the input, minus the reported drops (a prefix of video).
        let dropped: Vec<(u32, i64)> = out.dropped.iter().map(|d| (d.track_id, d.dts)).collect();
        let expected: Vec<Sample> = input
            .iter()
            .filter(|s| !dropped.contains(&(s.track_id, s.dts)))
            .cloned()
            .collect();
        prop_assert_eq!(all_samples(&out), expected);
        let first_key = input.iter().position(|s| s.track_id == 1 && s.keyframe);
        let video_before: usize = input
            .iter()
            .take(first_key.unwrap_or(input.len()))
            .filter(|s| s.track_id == 1)
            .count();
        prop_assert_eq!(dropped.len(), video_before);

        // Segments are consecutive, contiguous, and their parts add up.
        for (i, seg) in out.segments.iter().enumerate() {
            prop_assert_eq!(seg.sequence, i as u64);
            prop_assert!(seg.duration.ticks() >= 0);
            let sum: i64 = seg.parts.iter().map(|p| p.duration.ticks()).sum();
            prop_assert_eq!(sum, seg.duration.ticks());
            let mut t = seg.start.ticks();
            for (k, p) in seg.parts.iter().enumerate() {
                prop_assert_eq!(p.index as usize, k);
                prop_assert_eq!(p.start.ticks(), t);
                t += p.duration.ticks();
            }
            if let Some(next) = out.segments.get(i + 1) {
                prop_assert_eq!(seg.start.ticks() + seg.duration.ticks(), next.start.ticks());
                // Cut at a keyframe past the target, or forced at the max.
                let first_video = out.parts.iter()
                    .filter(|p| p.segment_sequence == next.sequence)
                    .flat_map(|p| p.samples.iter())
                    .find(|s| s.track_id == 1);
                let opened_by = &out.parts.iter()
                    .find(|p| p.segment_sequence == next.sequence)
                    .unwrap().samples[0];
                if opened_by.track_id == 1 && opened_by.keyframe {
                    prop_assert!(seg.duration.ticks() >= target_ms * 90);
                } else {
                    prop_assert!(seg.duration.ticks() >= target_ms * max_factor * 90);
                }
                prop_assert_eq!(next.independent, first_video.is_none_or(|s| s.keyframe));
            }
        }
        let parts_in_events: usize = out.parts.len();
        let parts_in_segments: usize = out.segments.iter().map(|s| s.parts.len()).sum();
        prop_assert_eq!(parts_in_events, parts_in_segments);
    }

    /// Any input: each push is taken or refused with an error, and a refused
    /// sample leaves no trace (a second segmenter fed only the taken samples
    /// reports exactly the same events).
    #[test]
    fn refused_samples_leave_no_trace(
        input in proptest::collection::vec(
            (0u32..3, 0usize..3, -2_000i64..6_000, 0u32..4_000, any::<bool>()), 0..300),
        target_ms in 1i64..2_000,
        max_samples in 1usize..50,
        finish_early in any::<bool>(),
    ) {
        let clocks = [V, A, Timescale::MILLIS];
        let config = SegmenterConfig::new(0, V, millis(target_ms))
            .with_part_target(millis((target_ms / 3).max(1)))
            .with_max_segment_samples(max_samples);
        let mut a = Segmenter::new(config).unwrap();
        let mut b = Segmenter::new(config).unwrap();
        let (mut out_a, mut out_b) = (Collected::default(), Collected::default());
        let mut dts = [0i64; 3];
        let mut taken = 0usize;
        for (i, (track, clock, step, duration, keyframe)) in input.iter().enumerate() {
            let t = *track as usize;
            dts[t] += step;
            let s = sample(*track, clocks[*clock], dts[t], *duration, *keyframe);
            if finish_early && i == input.len() / 2 {
                a.finish();
                b.finish();
            }
            if a.push(s.clone()).is_ok() {
                b.push(s).unwrap();
                taken += 1;
            }
            drain(&mut a, &mut out_a);
            drain(&mut b, &mut out_b);
        }
        a.finish();
        b.finish();
        drain(&mut a, &mut out_a);
        drain(&mut b, &mut out_b);
        prop_assert_eq!(&out_a.parts, &out_b.parts);
        prop_assert_eq!(&out_a.segments, &out_b.segments);
        prop_assert_eq!(&out_a.dropped, &out_b.dropped);
        prop_assert_eq!(all_samples(&out_a).len() + out_a.dropped.len(), taken);
        for seg in &out_a.segments {
            prop_assert!(seg.duration.ticks() >= 0);
            prop_assert!(seg.sample_count <= max_samples);
        }
    }
}

#[test]
fn a_requested_cut_starts_a_segment_at_the_next_keyframe_only() {
    // 30 fps, keyframes every 15 frames, a 4 s target: without the request
    // the first segment would run to frame 120.
    let mut seg = Segmenter::new(SegmenterConfig::new(1, V, secs(4))).unwrap();
    let mut out = Collected::default();
    for n in 0..20 {
        seg.push(sample(1, V, n * 3_000, 3_000, n % 15 == 0))
            .unwrap();
    }
    assert!(!seg.is_cut_requested());
    seg.cut_at_next_keyframe();
    assert!(seg.is_cut_requested());
    // Frames 20 to 29 are no keyframes: no cut, the request stands.
    for n in 20..30 {
        seg.push(sample(1, V, n * 3_000, 3_000, false)).unwrap();
    }
    assert!(seg.is_cut_requested());
    assert_eq!(seg.open_sequence(), Some(0));
    // Frame 30 is: segment 1 starts there, and the request is spent.
    for n in 30..130 {
        seg.push(sample(1, V, n * 3_000, 3_000, n % 15 == 0))
            .unwrap();
        if n == 30 {
            assert!(!seg.is_cut_requested());
            assert_eq!(seg.open_sequence(), Some(1));
        }
    }
    seg.finish();
    drain(&mut seg, &mut out);
    let starts: Vec<i64> = out.segments.iter().map(|s| s.start.ticks()).collect();
    // Then the 4 s target again: frame 30 + 120 = 150 is past the end.
    assert_eq!(starts, [0, 90_000]);
    assert_eq!(out.segments[0].sample_count, 30);
    assert_eq!(out.segments[1].sample_count, 100);
    assert!(out.segments.iter().all(|s| s.independent));
}
