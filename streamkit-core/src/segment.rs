//! Segment and part boundaries: where an HLS or DASH stream is cut.
//!
//! A [`Segmenter`] takes the interleaved samples of several tracks, one
//! [`Sample`] at a time, and splits that sequence into segments, and each
//! segment into parts (the partial segments of low-latency HLS, the chunks
//! of low-latency DASH). It never reorders, duplicates or loses a sample:
//! the concatenation of the samples of every [`Part`] it emits is exactly
//! the sequence that was pushed, minus the samples it reports as
//! [`SegmentEvent::Dropped`].
//!
//! # Rules
//!
//! Time is measured on one **reference track** (the video track of an A/V
//! stream; the audio track of an audio-only one), in that track's timescale.
//! Every cut happens just before a sample, so a segment is a run of
//! consecutive input samples.
//!
//! - **Segments.** A new segment starts at a keyframe of the reference
//!   track once the current segment spans at least the target duration
//!   (keyframe decode time minus segment start). Every audio frame is a
//!   keyframe, so an audio-only stream cuts at the first frame at or past
//!   the target duration.
//! - **Parts** (when [`SegmenterConfig::part_target`] is set). A new part
//!   starts at a reference sample that would take the current part past the
//!   part target (the sample's end minus the part start exceeds the target),
//!   so parts stay within the target unless a single sample is longer. A
//!   segment boundary is also a part boundary. A part whose first reference
//!   sample is a keyframe is *independent*.
//! - **Forced cuts** (bounded memory). A stream that never brings a keyframe
//!   would grow one segment forever; instead, any sample (of any track)
//!   whose decode time lies [`SegmenterConfig::max_duration`] or more past
//!   the segment start starts a new segment there. Such a segment is not
//!   independent (unless its first reference sample happens to be a
//!   keyframe). In addition a segment holds at most
//!   [`SegmenterConfig::max_segment_samples`] samples: beyond that,
//!   [`Segmenter::push`] returns [`SegmentError::SegmentFull`] (this only
//!   happens when one track lags far behind the others).
//! - **Start without a keyframe.** Reference-track samples before the
//!   reference track's first keyframe cannot be decoded: they are dropped,
//!   and each is reported as [`SegmentEvent::Dropped`]. Samples of other
//!   tracks are never dropped; those that come before the first reference
//!   keyframe open the first segment.
//! - **Bad input** is rejected with a typed [`SegmentError`] and leaves the
//!   segmenter unchanged (the caller may skip the sample and go on): a decode
//!   time that does not increase within a track, a zero duration, a
//!   timescale that changes within a track (or differs from the configured
//!   reference timescale), too many tracks, or a push after
//!   [`Segmenter::finish`].
//!
//! # Times
//!
//! Segment and part times are [`MediaTime`]s on the reference timescale. A
//! segment starts at the decode time of the sample that opened it (the first
//! segment: at its first reference sample, if it has one); its duration is
//! the next segment's start minus its own start, so durations add up exactly.
//! The last segment (at [`Segmenter::finish`]) ends at the end
//! (`dts + duration`) of its last reference sample (or, without one, of its
//! last sample). Samples of other tracks are placed on the reference clock
//! by rounding to the nearest reference tick.
//!
//! # Driving it
//!
//! After each [`Segmenter::push`] (and after [`Segmenter::finish`]), call
//! [`Segmenter::poll`] until it returns `None`. A [`SegmentEvent::Part`]
//! carries its samples; a [`SegmentEvent::Segment`] follows the last part
//! of each segment and summarizes it. A part is known to be complete only
//! when the sample after it arrives (or at `finish`).
//!
//! ```
//! use bytes::Bytes;
//! use streamkit_core::sample::Sample;
//! use streamkit_core::segment::{SegmentEvent, Segmenter, SegmenterConfig};
//! use streamkit_core::time::{MediaTime, Timescale};
//!
//! let ts = Timescale::VIDEO_90KHZ;
//! let config = SegmenterConfig::new(1, ts, MediaTime::new(2, Timescale::SECONDS));
//! let mut segmenter = Segmenter::new(config)?;
//! let mut durations = Vec::new();
//! // 5 s of 30 fps video with a keyframe every second.
//! for i in 0..150i64 {
//!     segmenter.push(Sample {
//!         track_id: 1,
//!         dts: i * 3_000,
//!         composition_offset: 0,
//!         duration: 3_000,
//!         timescale: ts,
//!         keyframe: i % 30 == 0,
//!         data: Bytes::from_static(b"frame"),
//!     })?;
//!     while let Some(event) = segmenter.poll() {
//!         if let SegmentEvent::Segment(s) = event {
//!             durations.push(s.duration.ticks());
//!         }
//!     }
//! }
//! segmenter.finish();
//! while let Some(event) = segmenter.poll() {
//!     if let SegmentEvent::Segment(s) = event {
//!         durations.push(s.duration.ticks());
//!     }
//! }
//! assert_eq!(durations, [180_000, 180_000, 90_000]);
//! # Ok::<(), streamkit_core::segment::SegmentError>(())
//! ```

use std::collections::VecDeque;

use crate::codec::MediaKind;
use crate::sample::Sample;
use crate::time::{MediaTime, Rounding, Timescale};
use crate::track::Track;

/// The most tracks a [`Segmenter`] follows; a sample of one more track is
/// rejected with [`SegmentError::TooManyTracks`].
pub const MAX_TRACKS: usize = 64;

/// Why a [`Segmenter`] could not be built or rejected a sample.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SegmentError {
    /// The configuration cannot work (for example a zero target duration).
    #[error("segmenter configuration: {reason}")]
    InvalidConfig {
        /// What is wrong.
        reason: &'static str,
    },
    /// A sample's decode time is not after the previous one of its track.
    #[error("track {track_id}: decode time {dts} does not follow the previous {previous_dts}")]
    NonMonotonicDts {
        /// The sample's track.
        track_id: u32,
        /// The sample's decode time.
        dts: i64,
        /// The track's previous decode time.
        previous_dts: i64,
    },
    /// A sample has a duration of zero.
    #[error("track {track_id}: sample at decode time {dts} has a zero duration")]
    ZeroDuration {
        /// The sample's track.
        track_id: u32,
        /// The sample's decode time.
        dts: i64,
    },
    /// A sample's timescale differs from its track's (the reference track's
    /// timescale is the configured one).
    #[error(
        "track {track_id}: sample at decode time {dts} has timescale {found}, expected {expected}"
    )]
    TimescaleChanged {
        /// The sample's track.
        track_id: u32,
        /// The sample's decode time.
        dts: i64,
        /// The track's timescale.
        expected: Timescale,
        /// The sample's timescale.
        found: Timescale,
    },
    /// A sample belongs to a track beyond the first [`MAX_TRACKS`].
    #[error("track {track_id}: more than {limit} tracks")]
    TooManyTracks {
        /// The sample's track.
        track_id: u32,
        /// The limit.
        limit: usize,
    },
    /// The current segment already holds
    /// [`SegmenterConfig::max_segment_samples`] samples.
    #[error(
        "track {track_id}: sample at decode time {dts} would exceed {limit} samples in one segment"
    )]
    SegmentFull {
        /// The sample's track.
        track_id: u32,
        /// The sample's decode time.
        dts: i64,
        /// The limit.
        limit: usize,
    },
    /// [`Segmenter::finish`] was called already.
    #[error("track {track_id}: sample at decode time {dts} pushed after the end of the stream")]
    Finished {
        /// The sample's track.
        track_id: u32,
        /// The sample's decode time.
        dts: i64,
    },
}

/// How a [`Segmenter`] cuts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct SegmenterConfig {
    /// The track whose decode time and keyframes decide the cuts.
    pub reference_track: u32,
    /// The reference track's timescale; segment and part times use it.
    pub reference_timescale: Timescale,
    /// A segment spans at least this long before it is cut at a keyframe.
    pub target_duration: MediaTime,
    /// Parts stay within this duration; `None`: one part per segment.
    pub part_target: Option<MediaTime>,
    /// A segment without a keyframe is cut when it reaches this duration.
    pub max_duration: MediaTime,
    /// The most samples one segment holds.
    pub max_segment_samples: usize,
}

impl SegmenterConfig {
    /// Segments of at least `target_duration` on `reference_track`, no
    /// parts, forced cuts at three times the target, at most 1 000 000
    /// samples per segment.
    #[must_use]
    pub fn new(
        reference_track: u32,
        reference_timescale: Timescale,
        target_duration: MediaTime,
    ) -> SegmenterConfig {
        SegmenterConfig {
            reference_track,
            reference_timescale,
            target_duration,
            part_target: None,
            max_duration: MediaTime::new(
                target_duration.ticks().saturating_mul(3),
                target_duration.timescale(),
            ),
            max_segment_samples: 1_000_000,
        }
    }

    /// [`SegmenterConfig::new`] with the first video track of `tracks` as
    /// the reference (the first track, when none is video); `None` when
    /// `tracks` is empty.
    #[must_use]
    pub fn for_tracks(tracks: &[Track], target_duration: MediaTime) -> Option<SegmenterConfig> {
        let reference = tracks
            .iter()
            .find(|t| t.kind() == MediaKind::Video)
            .or(tracks.first())?;
        Some(SegmenterConfig::new(
            reference.id,
            reference.timescale,
            target_duration,
        ))
    }

    /// The same configuration with parts of at most `part_target`.
    #[must_use]
    pub fn with_part_target(mut self, part_target: MediaTime) -> SegmenterConfig {
        self.part_target = Some(part_target);
        self
    }

    /// The same configuration with forced cuts at `max_duration`.
    #[must_use]
    pub fn with_max_duration(mut self, max_duration: MediaTime) -> SegmenterConfig {
        self.max_duration = max_duration;
        self
    }

    /// The same configuration with at most `max` samples per segment.
    #[must_use]
    pub fn with_max_segment_samples(mut self, max: usize) -> SegmenterConfig {
        self.max_segment_samples = max;
        self
    }
}

/// The timing of one part of a segment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PartTiming {
    /// The part's index within its segment, from 0.
    pub index: u32,
    /// Decode time of the part's start, on the reference timescale.
    pub start: MediaTime,
    /// The part's duration, on the reference timescale.
    pub duration: MediaTime,
    /// `true` when the part's first reference sample is a keyframe (or it
    /// has none).
    pub independent: bool,
    /// How many samples the part holds.
    pub sample_count: usize,
}

/// A complete part: its timing and its samples, in input order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Part {
    /// The sequence number of the segment the part belongs to.
    pub segment_sequence: u64,
    /// The part's timing.
    pub timing: PartTiming,
    /// The samples, in the order they were pushed.
    pub samples: Vec<Sample>,
}

/// A complete segment (emitted after its last [`Part`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Segment {
    /// The segment's sequence number, from 0.
    pub sequence: u64,
    /// Decode time of the segment's start, on the reference timescale.
    pub start: MediaTime,
    /// The segment's duration, on the reference timescale.
    pub duration: MediaTime,
    /// `true` when the segment's first reference sample is a keyframe (or it
    /// has none); `false` after a forced cut.
    pub independent: bool,
    /// Its parts, in order.
    pub parts: Vec<PartTiming>,
    /// How many samples the segment holds.
    pub sample_count: usize,
}

/// Why a sample was dropped.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DropReason {
    /// A reference-track sample before the reference track's first keyframe.
    BeforeFirstKeyframe,
    /// A sample of a track whose codec configuration changed, before the
    /// segment that starts the new configuration (at the next keyframe of
    /// the reference track): the old init segment does not describe it,
    /// and a frame that depends on frames of the old configuration cannot
    /// be decoded with the new one.
    BeforeNewConfiguration,
}

/// A sample the segmenter did not place in any segment.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct DroppedSample {
    /// The sample's track.
    pub track_id: u32,
    /// The sample's decode time, in its track's timescale.
    pub dts: i64,
    /// Why.
    pub reason: DropReason,
}

/// What a [`Segmenter`] reports.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum SegmentEvent {
    /// A part is complete.
    Part(Part),
    /// A segment is complete; its parts were emitted before.
    Segment(Segment),
    /// A sample was dropped.
    Dropped(DroppedSample),
}

#[derive(Clone, Copy, Debug)]
struct TrackState {
    id: u32,
    timescale: Timescale,
    last_dts: i64,
}

#[derive(Debug)]
struct OpenPart {
    start: i64,
    /// `None` until the part has a reference sample.
    first_reference_keyframe: Option<bool>,
    samples: Vec<Sample>,
}

#[derive(Debug)]
struct OpenSegment {
    sequence: u64,
    start: i64,
    first_reference_keyframe: Option<bool>,
    /// Greatest end of a reference sample, and of any sample (reference
    /// ticks).
    reference_end: Option<i64>,
    any_end: i64,
    sample_count: usize,
    parts: Vec<PartTiming>,
    part: OpenPart,
}

enum Cut {
    None,
    Part,
    Segment,
}

/// Splits interleaved samples into segments and parts. See the
/// [module documentation](self) for the rules.
#[derive(Debug)]
pub struct Segmenter {
    config: SegmenterConfig,
    target: i64,
    part_target: Option<i64>,
    max: i64,
    tracks: Vec<TrackState>,
    seen_reference_keyframe: bool,
    next_sequence: u64,
    open: Option<OpenSegment>,
    events: VecDeque<SegmentEvent>,
    finished: bool,
    dropped: u64,
    /// [`Segmenter::cut_at_next_keyframe`] was called and no reference
    /// keyframe has started a segment since.
    cut_requested: bool,
}

fn reference_ticks(t: MediaTime, ts: Timescale, what: &'static str) -> Result<i64, SegmentError> {
    match t.checked_rescale(ts, Rounding::Nearest) {
        Some(v) if v.ticks() > 0 => Ok(v.ticks()),
        _ => Err(SegmentError::InvalidConfig { reason: what }),
    }
}

impl Segmenter {
    /// A segmenter for `config`; an error when a duration is not positive on
    /// the reference timescale, the part target exceeds the target, or the
    /// maximum is below the target.
    pub fn new(config: SegmenterConfig) -> Result<Segmenter, SegmentError> {
        let ts = config.reference_timescale;
        let target = reference_ticks(
            config.target_duration,
            ts,
            "target duration must be positive",
        )?;
        let max = reference_ticks(config.max_duration, ts, "max duration must be positive")?;
        if max < target {
            return Err(SegmentError::InvalidConfig {
                reason: "max duration is below the target duration",
            });
        }
        let part_target = match config.part_target {
            Some(p) => {
                let p = reference_ticks(p, ts, "part target must be positive")?;
                if p > target {
                    return Err(SegmentError::InvalidConfig {
                        reason: "part target exceeds the target duration",
                    });
                }
                Some(p)
            }
            None => None,
        };
        if config.max_segment_samples == 0 {
            return Err(SegmentError::InvalidConfig {
                reason: "max segment samples must be positive",
            });
        }
        Ok(Segmenter {
            config,
            target,
            part_target,
            max,
            tracks: Vec::new(),
            seen_reference_keyframe: false,
            next_sequence: 0,
            open: None,
            events: VecDeque::new(),
            finished: false,
            dropped: 0,
            cut_requested: false,
        })
    }

    /// The configuration.
    #[must_use]
    pub fn config(&self) -> &SegmenterConfig {
        &self.config
    }

    /// How many samples were dropped so far.
    #[must_use]
    pub fn dropped_samples(&self) -> u64 {
        self.dropped
    }

    /// Asks that the next keyframe of the reference track start a new
    /// segment, however short the open one is (a codec configuration
    /// changed: the new configuration starts a segment of its own).
    pub fn cut_at_next_keyframe(&mut self) {
        self.cut_requested = true;
    }

    /// `true` from [`Segmenter::cut_at_next_keyframe`] until a keyframe of
    /// the reference track starts a segment.
    #[must_use]
    pub fn is_cut_requested(&self) -> bool {
        self.cut_requested
    }

    /// The sequence number of the segment being filled, once a sample
    /// opened one.
    #[must_use]
    pub fn open_sequence(&self) -> Option<u64> {
        self.open.as_ref().map(|s| s.sequence)
    }

    /// Takes one sample, in input order. On error the sample is not taken
    /// and the segmenter is unchanged.
    pub fn push(&mut self, sample: Sample) -> Result<(), SegmentError> {
        let track_id = sample.track_id;
        let dts = sample.dts;
        if self.finished {
            return Err(SegmentError::Finished { track_id, dts });
        }
        if sample.duration == 0 {
            return Err(SegmentError::ZeroDuration { track_id, dts });
        }
        let is_reference = track_id == self.config.reference_track;
        let track_index = self.check_track(&sample, is_reference)?;

        if is_reference && !self.seen_reference_keyframe && !sample.keyframe {
            self.commit_track(track_index, &sample);
            self.dropped += 1;
            self.events.push_back(SegmentEvent::Dropped(DroppedSample {
                track_id,
                dts,
                reason: DropReason::BeforeFirstKeyframe,
            }));
            return Ok(());
        }

        let time = self.to_reference(sample.decode_time());
        let end = self.to_reference(MediaTime::new(sample.end_dts(), sample.timescale));
        let cut = match &self.open {
            None => Cut::Segment,
            Some(seg) => self.decide(seg, &sample, is_reference, time, end),
        };
        if let (Cut::None | Cut::Part, Some(seg)) = (&cut, &self.open)
            && seg.sample_count >= self.config.max_segment_samples
        {
            return Err(SegmentError::SegmentFull {
                track_id,
                dts,
                limit: self.config.max_segment_samples,
            });
        }

        // Accepted: from here on nothing fails.
        self.commit_track(track_index, &sample);
        if is_reference {
            self.seen_reference_keyframe = true;
        }
        match cut {
            Cut::Segment => {
                if is_reference && sample.keyframe {
                    self.cut_requested = false;
                }
                self.close_segment(Some(time));
                self.open = Some(OpenSegment {
                    sequence: self.next_sequence,
                    start: time,
                    first_reference_keyframe: None,
                    reference_end: None,
                    any_end: end,
                    sample_count: 0,
                    parts: Vec::new(),
                    part: OpenPart {
                        start: time,
                        first_reference_keyframe: None,
                        samples: Vec::new(),
                    },
                });
                self.next_sequence = self.next_sequence.wrapping_add(1);
            }
            Cut::Part => {
                if let Some(seg) = &mut self.open {
                    let part = core::mem::replace(
                        &mut seg.part,
                        OpenPart {
                            start: time,
                            first_reference_keyframe: None,
                            samples: Vec::new(),
                        },
                    );
                    let ts = self.config.reference_timescale;
                    Self::emit_part(&mut self.events, seg, part, time, ts);
                }
            }
            Cut::None => {}
        }
        if let Some(seg) = &mut self.open {
            if is_reference {
                // The first segment starts at its first reference sample,
                // even when other tracks' samples opened it.
                if seg.first_reference_keyframe.is_none()
                    && seg.sequence == 0
                    && seg.parts.is_empty()
                {
                    seg.start = time;
                    seg.part.start = time;
                }
                seg.first_reference_keyframe.get_or_insert(sample.keyframe);
                seg.part
                    .first_reference_keyframe
                    .get_or_insert(sample.keyframe);
                seg.reference_end = Some(seg.reference_end.map_or(end, |e| e.max(end)));
            }
            seg.any_end = seg.any_end.max(end);
            seg.sample_count += 1;
            seg.part.samples.push(sample);
        }
        Ok(())
    }

    /// Ends the stream: the open part and segment are emitted. Later pushes
    /// fail with [`SegmentError::Finished`].
    pub fn finish(&mut self) {
        if !self.finished {
            self.finished = true;
            self.close_segment(None);
        }
    }

    /// The next event, or `None` when there is nothing to report until the
    /// next [`push`](Segmenter::push) or [`finish`](Segmenter::finish).
    #[must_use]
    pub fn poll(&mut self) -> Option<SegmentEvent> {
        self.events.pop_front()
    }

    fn check_track(&self, sample: &Sample, is_reference: bool) -> Result<usize, SegmentError> {
        let (track_id, dts) = (sample.track_id, sample.dts);
        if is_reference && sample.timescale != self.config.reference_timescale {
            return Err(SegmentError::TimescaleChanged {
                track_id,
                dts,
                expected: self.config.reference_timescale,
                found: sample.timescale,
            });
        }
        match self.tracks.iter().position(|t| t.id == track_id) {
            Some(i) => {
                let t = &self.tracks[i];
                if t.timescale != sample.timescale {
                    return Err(SegmentError::TimescaleChanged {
                        track_id,
                        dts,
                        expected: t.timescale,
                        found: sample.timescale,
                    });
                }
                if dts <= t.last_dts {
                    return Err(SegmentError::NonMonotonicDts {
                        track_id,
                        dts,
                        previous_dts: t.last_dts,
                    });
                }
                Ok(i)
            }
            None if self.tracks.len() >= MAX_TRACKS => Err(SegmentError::TooManyTracks {
                track_id,
                limit: MAX_TRACKS,
            }),
            None => Ok(self.tracks.len()),
        }
    }

    fn commit_track(&mut self, index: usize, sample: &Sample) {
        match self.tracks.get_mut(index) {
            Some(t) => t.last_dts = sample.dts,
            None => self.tracks.push(TrackState {
                id: sample.track_id,
                timescale: sample.timescale,
                last_dts: sample.dts,
            }),
        }
    }

    fn to_reference(&self, t: MediaTime) -> i64 {
        t.rescale(self.config.reference_timescale, Rounding::Nearest)
            .ticks()
    }

    fn decide(
        &self,
        seg: &OpenSegment,
        sample: &Sample,
        is_reference: bool,
        time: i64,
        end: i64,
    ) -> Cut {
        let elapsed = time.saturating_sub(seg.start);
        if is_reference
            && sample.keyframe
            && ((seg.first_reference_keyframe.is_some() && elapsed >= self.target)
                || self.cut_requested)
        {
            return Cut::Segment;
        }
        if elapsed >= self.max {
            return Cut::Segment;
        }
        if let Some(part_target) = self.part_target {
            let part = &seg.part;
            if is_reference
                && part.first_reference_keyframe.is_some()
                && time > part.start
                && end.saturating_sub(part.start) > part_target
            {
                return Cut::Part;
            }
        }
        Cut::None
    }

    fn emit_part(
        events: &mut VecDeque<SegmentEvent>,
        seg: &mut OpenSegment,
        part: OpenPart,
        end: i64,
        ts: Timescale,
    ) {
        let timing = PartTiming {
            index: u32::try_from(seg.parts.len()).unwrap_or(u32::MAX),
            start: MediaTime::new(part.start, ts),
            duration: MediaTime::new(end.saturating_sub(part.start), ts),
            independent: part.first_reference_keyframe.unwrap_or(true),
            sample_count: part.samples.len(),
        };
        seg.parts.push(timing);
        events.push_back(SegmentEvent::Part(Part {
            segment_sequence: seg.sequence,
            timing,
            samples: part.samples,
        }));
    }

    /// Emits the open segment, ending at `end` (the next segment's start),
    /// or at its last sample's end when `None`.
    fn close_segment(&mut self, end: Option<i64>) {
        let Some(mut seg) = self.open.take() else {
            return;
        };
        let ts = self.config.reference_timescale;
        let end =
            end.unwrap_or_else(|| seg.reference_end.unwrap_or(seg.any_end).max(seg.part.start));
        let part = core::mem::replace(
            &mut seg.part,
            OpenPart {
                start: end,
                first_reference_keyframe: None,
                samples: Vec::new(),
            },
        );
        Self::emit_part(&mut self.events, &mut seg, part, end, ts);
        self.events.push_back(SegmentEvent::Segment(Segment {
            sequence: seg.sequence,
            start: MediaTime::new(seg.start, ts),
            duration: MediaTime::new(end.saturating_sub(seg.start), ts),
            independent: seg.first_reference_keyframe.unwrap_or(true),
            parts: seg.parts,
            sample_count: seg.sample_count,
        }));
    }
}
