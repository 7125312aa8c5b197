//! The alignment on a virtual clock: when samples leave, and the exact
//! offsets the sender reports give.
#![allow(clippy::unwrap_used, clippy::panic)] // tests may fail loudly

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use bytes::Bytes;
use proptest::prelude::*;
use streamkit_core::clock::NtpTimestamp;
use streamkit_core::sample::Sample;
use streamkit_core::time::{MediaTime, Timescale};

use super::events::{AlignedBy, ServerEvent};
use super::record::Recorded;
use super::sync::{Alignment, MAX_WAITING, Out, TrackClock, sender_report_offset};

const VIDEO: u32 = 1;
const AUDIO: u32 = 2;
const WAIT: Duration = Duration::from_secs(5);

fn hz(id: u32) -> Timescale {
    if id == VIDEO {
        Timescale::VIDEO_90KHZ
    } else {
        Timescale::new(44_100).unwrap()
    }
}

/// NTP time `seconds` + `fraction` / 2^32 s into some day of 2023.
fn ntp(seconds: u32, fraction: u32) -> NtpTimestamp {
    NtpTimestamp::new(3_900_000_000 + seconds, fraction)
}

fn clock(id: u32, origin: Option<u32>, sender_report: Option<(NtpTimestamp, u32)>) -> TrackClock {
    TrackClock {
        id,
        timescale: hz(id),
        origin,
        sender_report,
    }
}

fn sample(id: u32, dts: i64) -> Recorded {
    Recorded::Sample(Sample {
        track_id: id,
        dts,
        composition_offset: 0,
        duration: 1,
        timescale: hz(id),
        keyframe: true,
        data: Bytes::new(),
    })
}

/// A video and an audio track, the wait 5 s; its queues.
struct Fixture {
    alignment: Alignment,
    samples: VecDeque<Recorded>,
    events: VecDeque<ServerEvent>,
    t0: Instant,
}

impl Fixture {
    fn new() -> Fixture {
        Fixture::of(&[(VIDEO, true), (AUDIO, false)])
    }

    fn of(tracks: &[(u32, bool)]) -> Fixture {
        #[allow(clippy::disallowed_methods)] // a virtual clock's origin
        let t0 = Instant::now();
        Fixture {
            alignment: Alignment::new(tracks, WAIT),
            samples: VecDeque::new(),
            events: VecDeque::new(),
            t0,
        }
    }

    fn push(&mut self, at: Duration, id: u32, dts: i64) {
        let mut out = Out {
            samples: &mut self.samples,
            events: &mut self.events,
        };
        self.alignment
            .push(self.t0 + at, id, sample(id, dts), &mut out);
    }

    fn update(&mut self, at: Duration, clocks: &[TrackClock]) {
        self.update_or_end(at, clocks, false);
    }

    fn update_or_end(&mut self, at: Duration, clocks: &[TrackClock], end: bool) {
        let mut out = Out {
            samples: &mut self.samples,
            events: &mut self.events,
        };
        self.alignment.update(self.t0 + at, clocks, end, &mut out);
    }

    /// (track, dts) of the samples out so far.
    fn out(&mut self) -> Vec<(u32, i64)> {
        self.samples
            .drain(..)
            .map(|r| match r {
                Recorded::Sample(s) => (s.track_id, s.dts),
                Recorded::TrackChanged(t) => panic!("{t:?}"),
            })
            .collect()
    }

    fn events(&mut self) -> Vec<ServerEvent> {
        self.events.drain(..).collect()
    }
}

fn aligned(track_id: u32, ticks: i64, by: AlignedBy) -> ServerEvent {
    ServerEvent::TrackAligned {
        track_id,
        reference: VIDEO,
        offset: MediaTime::new(ticks, hz(track_id)),
        by,
    }
}

/// ffmpeg's RTSP muxer: both reports link the same NTP instant to each
/// track's base timestamp; the audio's first frame (the AAC priming
/// frame) is at it, the video's first picture 1024 / 44,100 s later,
/// 2,090 ticks of 90 kHz as ffmpeg rounds it.
fn ffmpeg_clocks(reports: bool) -> [TrackClock; 2] {
    let at = ntp(10, 0);
    [
        clock(VIDEO, Some(1000 + 2090), reports.then_some((at, 1000))),
        clock(AUDIO, Some(5000), reports.then_some((at, 5000))),
    ]
}

#[test]
fn sender_reports_before_the_first_packets_align_at_once() {
    let mut f = Fixture::new();
    let z = Duration::ZERO;
    // The reports came before any packet; the audio's first frame comes
    // first: it waits for the video's zero.
    f.push(z, AUDIO, 0);
    let [video, audio] = ffmpeg_clocks(true);
    f.update(z, &[clock(VIDEO, None, video.sender_report), audio]);
    assert_eq!(f.out(), []);
    assert_eq!(f.alignment.poll_timeout(), Some(f.t0 + WAIT));
    f.push(z, VIDEO, -6000);
    f.push(z, AUDIO, 1024);
    f.update(z, &[video, audio]);
    // -2,090 / 90,000 s is -1,024.1 audio ticks: -1,024. In time order.
    assert_eq!(
        f.events(),
        [
            aligned(VIDEO, 0, AlignedBy::Reference),
            aligned(AUDIO, -1024, AlignedBy::SenderReports)
        ]
    );
    assert_eq!(f.out(), [(VIDEO, -6000), (AUDIO, -1024), (AUDIO, 0)]);
    assert_eq!(f.alignment.poll_timeout(), None);
    // From now on at once, shifted.
    f.push(z, AUDIO, 2048);
    f.push(z, VIDEO, -3000);
    assert_eq!(f.out(), [(AUDIO, 1024), (VIDEO, -3000)]);
}

#[test]
fn samples_wait_for_reports_that_come_after_the_first_packets() {
    let mut f = Fixture::new();
    let [video, audio] = ffmpeg_clocks(true);
    let (no_video, no_audio) = (
        clock(VIDEO, video.origin, None),
        clock(AUDIO, audio.origin, None),
    );
    let ms = Duration::from_millis;
    f.push(ms(0), AUDIO, 0);
    f.push(ms(10), VIDEO, 0);
    f.update(ms(10), &[no_video, no_audio]);
    f.push(ms(1000), AUDIO, 1024);
    f.push(ms(1500), VIDEO, 3000);
    // The video's report at 1.5 s, the audio's at 2.5 s: until then
    // nothing leaves.
    f.update(ms(1500), &[video, no_audio]);
    assert_eq!((f.out(), f.events()), (vec![], vec![]));
    f.update(ms(2500), &[video, audio]);
    assert_eq!(
        f.events(),
        [
            aligned(VIDEO, 0, AlignedBy::Reference),
            aligned(AUDIO, -1024, AlignedBy::SenderReports)
        ]
    );
    assert_eq!(
        f.out(),
        [(AUDIO, -1024), (VIDEO, 0), (AUDIO, 0), (VIDEO, 3000)]
    );
    // A later report that puts the audio 100 ticks elsewhere (a drifting
    // sender) moves nothing: it was aligned.
    let drifted = clock(AUDIO, audio.origin, Some((ntp(10, 0), 5100)));
    assert_eq!(sender_report_offset(&drifted, &video), Some(-1124));
    f.update(ms(7500), &[video, drifted]);
    f.push(ms(7500), AUDIO, 2048);
    assert_eq!((f.out(), f.events()), (vec![(AUDIO, 1024)], vec![]));
}

#[test]
fn a_track_without_a_report_is_aligned_by_its_first_packet_when_the_wait_ends() {
    let mut f = Fixture::new();
    let [video, audio] = ffmpeg_clocks(true);
    let no_audio = clock(AUDIO, audio.origin, None);
    f.push(Duration::ZERO, VIDEO, 0);
    f.push(Duration::ZERO, AUDIO, 0);
    f.update(Duration::ZERO, &[video, no_audio]);
    f.push(Duration::from_secs(1), AUDIO, 1024);
    // A nanosecond before the wait ends: still waiting.
    f.update(WAIT - Duration::from_nanos(1), &[video, no_audio]);
    assert_eq!((f.out(), f.events()), (vec![], vec![]));
    assert_eq!(f.alignment.poll_timeout(), Some(f.t0 + WAIT));
    f.update(WAIT, &[video, no_audio]);
    assert_eq!(
        f.events(),
        [
            aligned(VIDEO, 0, AlignedBy::Reference),
            aligned(AUDIO, 0, AlignedBy::FirstPackets)
        ]
    );
    assert_eq!(f.out(), [(VIDEO, 0), (AUDIO, 0), (AUDIO, 1024)]);
    // Its report comes later: said once, and the timeline stays.
    f.update(WAIT + Duration::from_secs(1), &[video, audio]);
    f.update(WAIT + Duration::from_secs(6), &[video, audio]);
    assert_eq!(
        f.events(),
        [ServerEvent::LateSenderReport {
            track_id: AUDIO,
            offset: MediaTime::new(0, hz(AUDIO)),
            by_sender_reports: MediaTime::new(-1024, hz(AUDIO)),
        }]
    );
    f.push(WAIT + Duration::from_secs(6), AUDIO, 2048);
    assert_eq!(f.out(), [(AUDIO, 2048)]);
}

#[test]
fn without_the_reference_s_report_every_track_is_aligned_by_its_first_packet() {
    let mut f = Fixture::new();
    let [video, audio] = ffmpeg_clocks(true);
    let no_video = clock(VIDEO, video.origin, None);
    f.push(Duration::ZERO, AUDIO, 0);
    f.push(Duration::ZERO, VIDEO, 0);
    f.update(WAIT, &[no_video, audio]);
    assert_eq!(
        f.events(),
        [
            aligned(VIDEO, 0, AlignedBy::Reference),
            aligned(AUDIO, 0, AlignedBy::FirstPackets)
        ]
    );
    assert_eq!(f.out(), [(VIDEO, 0), (AUDIO, 0)]);
}

#[test]
fn rtp_timestamps_that_wrap_between_report_and_first_packet() {
    // The video's first picture 512 ticks before its report, across the
    // wrap; the audio's first frame 32 ticks after its report, across it
    // the other way; both reports at the same instant.
    let at = ntp(20, 1 << 31);
    let video = clock(VIDEO, Some(0xFFFF_FF00), Some((at, 0x0000_0100)));
    let audio = clock(AUDIO, Some(0x0000_0010), Some((at, 0xFFFF_FFF0)));
    // (32 / 44,100 + 512 / 90,000) s = 282.88 audio ticks.
    assert_eq!(sender_report_offset(&audio, &video), Some(283));
    // The same instants, the audio's report 1.5 s after the video's.
    let later = clock(
        AUDIO,
        Some(0x0000_0010),
        Some((ntp(22, 0), 0xFFFF_FFF0_u32.wrapping_add(66_150))),
    );
    assert_eq!(sender_report_offset(&later, &video), Some(283));
    let mut f = Fixture::new();
    f.push(Duration::ZERO, AUDIO, 0);
    f.push(Duration::ZERO, VIDEO, 0);
    f.update(Duration::ZERO, &[video, later]);
    assert_eq!(
        f.events(),
        [
            aligned(VIDEO, 0, AlignedBy::Reference),
            aligned(AUDIO, 283, AlignedBy::SenderReports)
        ]
    );
    assert_eq!(f.out(), [(VIDEO, 0), (AUDIO, 283)]);
}

#[test]
fn a_track_whose_first_packet_comes_after_the_decision_is_aligned_when_it_comes() {
    let mut f = Fixture::new();
    let [video, audio] = ffmpeg_clocks(true);
    f.push(Duration::ZERO, VIDEO, 0);
    f.update(WAIT, &[video, clock(AUDIO, None, None)]);
    assert_eq!(f.events(), [aligned(VIDEO, 0, AlignedBy::Reference)]);
    assert_eq!(f.out(), [(VIDEO, 0)]);
    // The audio's first frame and report after it.
    f.push(WAIT + Duration::from_secs(1), AUDIO, 0);
    f.update(WAIT + Duration::from_secs(1), &[video, audio]);
    assert_eq!(
        f.events(),
        [aligned(AUDIO, -1024, AlignedBy::SenderReports)]
    );
    assert_eq!(f.out(), [(AUDIO, -1024)]);
}

#[test]
fn one_track_needs_no_alignment() {
    let mut f = Fixture::of(&[(AUDIO, false)]);
    f.push(Duration::ZERO, AUDIO, 0);
    assert_eq!(f.out(), [(AUDIO, 0)]);
    f.update(Duration::ZERO, &[clock(AUDIO, Some(5), None)]);
    assert_eq!(f.events(), []);
    assert_eq!(f.alignment.poll_timeout(), None);
}

#[test]
fn the_session_s_end_or_a_full_wait_decides() {
    let [video, audio] = ffmpeg_clocks(false);
    let mut f = Fixture::new();
    f.push(Duration::ZERO, AUDIO, 0);
    f.push(Duration::ZERO, VIDEO, 0);
    f.update_or_end(Duration::from_secs(1), &[video, audio], true);
    assert_eq!(f.out(), [(VIDEO, 0), (AUDIO, 0)]);

    let mut f = Fixture::new();
    for i in 0..MAX_WAITING - 1 {
        f.push(Duration::ZERO, AUDIO, 1024 * i as i64);
    }
    f.update(Duration::from_secs(1), &[video, audio]);
    assert_eq!(f.out().len(), 0);
    f.push(Duration::ZERO, VIDEO, 0);
    f.update(Duration::from_secs(1), &[video, audio]);
    assert_eq!(f.out().len(), MAX_WAITING);
}

#[test]
fn without_tracks_samples_leave_as_they_are() {
    // Before a RECORD (a recorder flushing after PAUSE, say).
    let mut f = Fixture::of(&[]);
    f.push(Duration::ZERO, VIDEO, 5);
    f.push(Duration::ZERO, AUDIO, 7);
    let [video, audio] = ffmpeg_clocks(true);
    f.update(Duration::ZERO, &[video, audio]);
    assert_eq!(f.out(), [(VIDEO, 5), (AUDIO, 7)]);
    assert_eq!(f.events(), []);
}

/// One step of a publisher: a sample of a track, or a report of its.
#[derive(Debug, Clone)]
enum Step {
    Sample(bool),
    Report(bool, i32),
}

proptest! {
    /// Whatever order samples and reports come in (reports before or
    /// after the first packets, drifting ones after the decision, none),
    /// each track's samples leave once each, in order, all moved by one
    /// offset: the timeline never moves once samples are out.
    #[test]
    fn a_track_s_offset_never_changes(
        steps in proptest::collection::vec(
            prop_oneof![
                any::<bool>().prop_map(Step::Sample),
                (any::<bool>(), -5000i32..5000).prop_map(|(v, d)| Step::Report(v, d)),
            ],
            0..200,
        ),
        wait_ms in 0u64..3000,
    ) {
        let mut f = Fixture::new();
        f.alignment = Alignment::new(&[(VIDEO, true), (AUDIO, false)], Duration::from_millis(wait_ms));
        let mut clocks = [clock(VIDEO, None, None), clock(AUDIO, None, None)];
        let mut next = [0i64, 0];
        let mut sent: [Vec<i64>; 2] = [Vec::new(), Vec::new()];
        let mut out: [Vec<i64>; 2] = [Vec::new(), Vec::new()];
        for (i, step) in steps.iter().enumerate() {
            let at = Duration::from_millis(40 * i as u64);
            match *step {
                Step::Sample(video) => {
                    let k = usize::from(!video);
                    let id = [VIDEO, AUDIO][k];
                    clocks[k].origin.get_or_insert(if video { 1000 } else { 5000 });
                    f.push(at, id, next[k]);
                    sent[k].push(next[k]);
                    next[k] += if video { 3000 } else { 1024 };
                }
                Step::Report(video, drift) => {
                    let k = usize::from(!video);
                    let base = if video { 1000u32 } else { 5000 };
                    clocks[k].sender_report =
                        Some((ntp(10, 0), base.wrapping_add_signed(drift)));
                }
            }
            f.update(at, &clocks);
            for (id, dts) in f.out() {
                out[usize::from(id == AUDIO)].push(dts);
            }
        }
        f.update_or_end(Duration::from_secs(3600), &clocks, true);
        for (id, dts) in f.out() {
            out[usize::from(id == AUDIO)].push(dts);
        }
        for k in 0..2 {
            prop_assert_eq!(out[k].len(), sent[k].len());
            if let (Some(o), Some(s)) = (out[k].first(), sent[k].first()) {
                let offset = o - s;
                let moved: Vec<i64> = sent[k].iter().map(|s| s + offset).collect();
                prop_assert_eq!(&out[k], &moved);
            }
        }
        // The reference never moves.
        if let (Some(o), Some(s)) = (out[0].first(), sent[0].first()) {
            prop_assert_eq!(o, s);
        }
    }
}
