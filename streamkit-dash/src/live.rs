//! The live packager: samples in, init segments, chunked CMAF segments and
//! dynamic MPDs out, with a sliding time-shift window.
//!
//! A [`LivePackager`] is a Sans-IO state machine. The caller pushes the
//! interleaved samples of a live source with the wall-clock `now`
//! ([`LivePackager::push`]) and drains [`LivePackager::poll`] until it
//! returns `None` after every push. The events feed an
//! [`Origin`](crate::origin::Origin) (or any other store).
//!
//! # Timing
//!
//! Media time zero is presented at the caller's
//! `availability_start_time`. Segments are addressed by a SegmentTemplate
//! with `$Number$` and a constant `@duration` (on the reference track's
//! timescale): segment `first_number + k` covers `[k·d, (k+1)·d)` in
//! presentation time. The segmenter cuts at the reference track's
//! keyframes, so the source's keyframes must fall at multiples of the
//! segment duration (a constant GOP; decode times may run a constant
//! B-frame delay of less than half a segment ahead, as the first segment
//! shows); a segment of another length or place is refused with
//! [`LiveError::IrregularSegment`].
//!
//! Segment `k` becomes available at `availabilityStartTime + (k+1)·d`, or,
//! with low latency, `availabilityTimeOffset = d - part` earlier: as soon as
//! its first chunk is complete ([`LiveEvent::SegmentStarted`] carries that
//! time). With low latency every part of the segmenter is written as one
//! CMAF chunk (`moof` + `mdat`) per rendition the moment it is complete
//! ([`LiveEvent::Chunk`]); without, each segment is one chunk.
//!
//! # Window
//!
//! When a segment completes, segments ending more than
//! `timeShiftBufferDepth` plus one segment before the newest segment's end
//! are evicted ([`LiveEvent::Removed`]), so what a store keeps is bounded.
//! Every completed segment also brings a new MPD ([`LiveEvent::Manifest`])
//! whose `@publishTime` is the `now` of that push.
//!
//! ```
//! use core::time::Duration;
//! use bytes::Bytes;
//! use streamkit_core::mp4::Mp4File;
//! use streamkit_core::time::{MediaTime, Timescale};
//! use streamkit_dash::live::{LiveEvent, LivePackager, LivePackagerConfig};
//!
//! let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/fixtures/h264_aac.mp4");
//! let file = Mp4File::parse(Bytes::from(std::fs::read(path)?))?;
//! let start = Duration::from_secs(1_700_000_000);
//! let config = LivePackagerConfig::new(MediaTime::new(2, Timescale::SECONDS), start)
//!     .with_low_latency(MediaTime::new(500, Timescale::MILLIS), Duration::from_secs(2));
//! let mut packager = LivePackager::for_mp4(&file, config)?;
//! let (mut chunks, mut manifests) = (0, 0);
//! for sample in file.samples().filter(|s| s.dts < 4 * i64::from(s.timescale.hz())) {
//!     let now = start + MediaTime::new(sample.dts, sample.timescale).to_duration().unwrap_or_default();
//!     packager.push(sample, now)?;
//!     while let Some(event) = packager.poll() {
//!         match event {
//!             LiveEvent::Chunk { .. } => chunks += 1,
//!             LiveEvent::Manifest { text, .. } => {
//!                 assert!(text.contains(r#"type="dynamic""#));
//!                 manifests += 1;
//!             }
//!             _ => {}
//!         }
//!     }
//! }
//! // Segment 0 complete (four 0.5 s chunks per rendition), segment 1 open.
//! assert_eq!(manifests, 1);
//! assert!(chunks >= 2 * 4 + 2);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::collections::VecDeque;
use std::time::Duration;

use streamkit_core::buffer::BufferList;
use streamkit_core::fmp4::FragmentWriter;
use streamkit_core::mp4::Mp4File;
use streamkit_core::sample::PresentationShift;
use streamkit_core::sample::Sample;
use streamkit_core::segment::{Part, SegmentEvent, Segmenter, SegmenterConfig};
use streamkit_core::time::{MediaTime, Rounding, Timescale};
use streamkit_core::track::Track;

use crate::error::DashError;
use crate::mpd::{self, DynamicPresentation, LowLatency, UTC_TIMING_HTTP_ISO, UtcTimingSource};
use crate::packager::{MAX_TRACKS, Naming, PackagerError, Resource, content_type, rendition_inits};

/// Why the live packager could not be built or refused input.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum LiveError {
    /// The configuration is inconsistent.
    #[error("live packager: {reason}")]
    InvalidConfig {
        /// What is wrong.
        reason: &'static str,
    },
    /// A segment does not start at a multiple of the segment duration or
    /// does not last exactly one: `$Number$` addressing with a constant
    /// `@duration` would misplace it.
    #[error(
        "live packager: segment at {start} ticks lasts {duration} ticks, not the configured {expected}"
    )]
    IrregularSegment {
        /// Its start, reference ticks.
        start: i64,
        /// Its duration, reference ticks.
        duration: i64,
        /// The configured duration, reference ticks.
        expected: i64,
    },
    /// A segment has no sample of a rendition's track.
    #[error("live packager: segment {number} has no sample of rendition {rendition}")]
    EmptySegment {
        /// The rendition.
        rendition: String,
        /// The segment number.
        number: u64,
    },
    /// The packager refused the tracks, names or samples (as the VOD
    /// packager would).
    #[error(transparent)]
    Packager(#[from] PackagerError),
}

impl From<DashError> for LiveError {
    fn from(e: DashError) -> LiveError {
        LiveError::Packager(PackagerError::Mpd(e))
    }
}

/// Low-latency settings of a [`LivePackagerConfig`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LowLatencyConfig {
    /// Each part of the segmenter is one CMAF chunk of at most this long.
    pub part_duration: MediaTime,
    /// `ServiceDescription/Latency@target`; `@min` is half of it, `@max`
    /// twice.
    pub target_latency: Duration,
}

/// What the live packager makes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LivePackagerConfig {
    /// Every segment lasts exactly this long (the source's GOP or a
    /// multiple of it).
    pub segment_duration: MediaTime,
    /// Wall-clock time (since the Unix epoch) of media time zero:
    /// `@availabilityStartTime`.
    pub availability_start_time: Duration,
    /// `@timeShiftBufferDepth`: how far behind the live edge segments stay.
    pub time_shift_buffer_depth: Duration,
    /// `@minimumUpdatePeriod`.
    pub minimum_update_period: Duration,
    /// `@suggestedPresentationDelay`.
    pub suggested_presentation_delay: Duration,
    /// `@minBufferTime`.
    pub min_buffer_time: Duration,
    /// `UTCTiming` elements (a client needs one to play without reaching
    /// out to a default time server).
    pub utc_timing: Vec<UtcTimingSource>,
    /// Chunked low-latency segments, when set.
    pub low_latency: Option<LowLatencyConfig>,
    /// Names of the resources (as the VOD packager's).
    pub naming: Naming,
}

impl LivePackagerConfig {
    /// Segments of `segment_duration` from `availability_start_time`, a
    /// time-shift window of six segments, an MPD update period of one
    /// segment, a presentation delay of three segments, `@minBufferTime` of
    /// one segment, UTCTiming `urn:mpeg:dash:utc:http-iso:2014` at
    /// `/time` (see [`LivePackagerConfig::with_utc_timing`]), default names.
    #[must_use]
    pub fn new(segment_duration: MediaTime, availability_start_time: Duration) -> Self {
        let d = segment_duration
            .to_duration()
            .unwrap_or(Duration::from_secs(2));
        LivePackagerConfig {
            segment_duration,
            availability_start_time,
            time_shift_buffer_depth: d * 6,
            minimum_update_period: d,
            suggested_presentation_delay: d * 3,
            min_buffer_time: d,
            utc_timing: vec![UtcTimingSource {
                scheme: UTC_TIMING_HTTP_ISO.to_owned(),
                value: "/time".to_owned(),
            }],
            low_latency: None,
            naming: Naming::default(),
        }
    }

    /// The same with chunks of `part_duration` and a target latency; the
    /// presentation delay becomes the target latency.
    #[must_use]
    pub fn with_low_latency(mut self, part_duration: MediaTime, target_latency: Duration) -> Self {
        self.low_latency = Some(LowLatencyConfig {
            part_duration,
            target_latency,
        });
        self.suggested_presentation_delay = target_latency;
        self
    }

    /// The same with one UTCTiming element of `scheme` at `url`.
    #[must_use]
    pub fn with_utc_timing(mut self, scheme: &str, url: &str) -> Self {
        self.utc_timing = vec![UtcTimingSource {
            scheme: scheme.to_owned(),
            value: url.to_owned(),
        }];
        self
    }

    /// The same with a time-shift buffer of `depth`.
    #[must_use]
    pub fn with_time_shift_buffer_depth(mut self, depth: Duration) -> Self {
        self.time_shift_buffer_depth = depth;
        self
    }
}

/// What [`LivePackager::poll`] gives.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum LiveEvent {
    /// A rendition's init segment (all come first, from
    /// [`LivePackager::new`]).
    Init(Resource),
    /// A media segment of a rendition begins; its chunks follow.
    SegmentStarted {
        /// The rendition's index.
        rendition: usize,
        /// `$Number$`.
        number: u64,
        /// The segment's name.
        name: String,
        /// Its content type.
        content_type: &'static str,
        /// When a client may request it (wall clock since the Unix epoch).
        available_at: Duration,
        /// Its nominal end (wall clock): `availabilityStartTime` plus the
        /// segment's end in media time.
        ends_at: Duration,
    },
    /// One CMAF chunk (`moof` + `mdat`) of the named segment.
    Chunk {
        /// The segment's name.
        name: String,
        /// The chunk's bytes (box headers and the samples' own buffers).
        bytes: BufferList,
    },
    /// The named segment has all its chunks.
    SegmentComplete {
        /// The segment's name.
        name: String,
    },
    /// The named segment left the time-shift window.
    Removed {
        /// The segment's name.
        name: String,
    },
    /// A new version of the MPD.
    Manifest {
        /// Its name.
        name: String,
        /// The XML.
        text: String,
    },
}

#[derive(Debug)]
struct Rendition {
    name: String,
    track: Track,
    writer: FragmentWriter,
    /// Bytes of the open segment so far.
    open_bytes: u64,
    open_chunks: usize,
    /// Largest segment so far, in bytes.
    peak_bytes: u64,
}

/// The live packager; see the [module documentation](self).
#[derive(Debug)]
pub struct LivePackager {
    config: LivePackagerConfig,
    renditions: Vec<Rendition>,
    segmenter: Segmenter,
    timescale: Timescale,
    /// Segment duration in reference ticks.
    duration: i64,
    /// Part duration in reference ticks (the segment's, without low
    /// latency).
    part: i64,
    /// Decode time minus presentation time of segment starts, reference
    /// ticks (from the first segment).
    offset: Option<i64>,
    /// Number of the open segment.
    open: Option<u64>,
    /// Completed segments still in the window, oldest first.
    window: VecDeque<u64>,
    events: VecDeque<LiveEvent>,
}

fn ticks(t: MediaTime, ts: Timescale, reason: &'static str) -> Result<i64, LiveError> {
    match t.checked_rescale(ts, Rounding::Nearest) {
        Some(v)
            if v.ticks() > 0 && v.checked_rescale(t.timescale(), Rounding::Nearest) == Some(t) =>
        {
            Ok(v.ticks())
        }
        _ => Err(LiveError::InvalidConfig { reason }),
    }
}

impl LivePackager {
    /// A packager for `tracks` (each one rendition), with their edit-list
    /// `shifts` for the init segments. The init segments are ready to poll
    /// at once.
    ///
    /// # Errors
    ///
    /// [`LiveError::InvalidConfig`] when the segment or part duration is not
    /// a positive whole number of reference ticks, or the part exceeds the
    /// segment; those of the VOD packager for tracks and names.
    pub fn new(
        tracks: &[Track],
        shifts: &[PresentationShift],
        config: LivePackagerConfig,
    ) -> Result<LivePackager, LiveError> {
        if tracks.is_empty() || tracks.len() > MAX_TRACKS {
            return Err(PackagerError::TrackCount {
                count: tracks.len(),
            }
            .into());
        }
        config.naming.check()?;
        let mut seg_config = SegmenterConfig::for_tracks(tracks, config.segment_duration).ok_or(
            PackagerError::TrackCount {
                count: tracks.len(),
            },
        )?;
        let timescale = seg_config.reference_timescale;
        let duration = ticks(
            config.segment_duration,
            timescale,
            "segment duration is not a positive whole number of reference ticks",
        )?;
        let part = match config.low_latency {
            Some(ll) => {
                let part = ticks(
                    ll.part_duration,
                    timescale,
                    "part duration is not a positive whole number of reference ticks",
                )?;
                if part > duration {
                    return Err(LiveError::InvalidConfig {
                        reason: "part duration exceeds the segment duration",
                    });
                }
                seg_config = seg_config.with_part_target(ll.part_duration);
                part
            }
            None => duration,
        };
        let segmenter = Segmenter::new(seg_config).map_err(PackagerError::from)?;
        let mut renditions: Vec<Rendition> = Vec::with_capacity(tracks.len());
        let mut events = VecDeque::new();
        let inits = rendition_inits(tracks, shifts, &config.naming)?;
        for (track, (name, init)) in tracks.iter().zip(inits) {
            events.push_back(LiveEvent::Init(init));
            renditions.push(Rendition {
                name,
                track: track.clone(),
                writer: FragmentWriter::new(core::slice::from_ref(track)),
                open_bytes: 0,
                open_chunks: 0,
                peak_bytes: 0,
            });
        }
        Ok(LivePackager {
            config,
            renditions,
            segmenter,
            timescale,
            duration,
            part,
            offset: None,
            open: None,
            window: VecDeque::new(),
            events,
        })
    }

    /// A packager for the supported tracks of an MP4 file, with their
    /// edit-list shifts.
    ///
    /// # Errors
    ///
    /// Those of [`LivePackager::new`].
    pub fn for_mp4(file: &Mp4File, config: LivePackagerConfig) -> Result<LivePackager, LiveError> {
        let (tracks, shifts) = file.tracks_and_shifts();
        LivePackager::new(&tracks, &shifts, config)
    }

    /// The renditions' names, in track order.
    pub fn rendition_names(&self) -> impl ExactSizeIterator<Item = &str> {
        self.renditions.iter().map(|r| r.name.as_str())
    }

    /// How many completed segments per rendition the window holds.
    #[must_use]
    pub fn window_len(&self) -> usize {
        self.window.len()
    }

    /// Takes one sample (interleaved across tracks, in decode order per
    /// track) at wall-clock `now`; drain [`LivePackager::poll`] afterwards.
    ///
    /// # Errors
    ///
    /// [`PackagerError::UnknownTrack`] and the segmenter's and fMP4
    /// writer's errors (inside [`LiveError::Packager`]),
    /// [`LiveError::IrregularSegment`], [`LiveError::EmptySegment`].
    pub fn push(&mut self, sample: Sample, now: Duration) -> Result<(), LiveError> {
        if !self
            .renditions
            .iter()
            .any(|r| r.track.id == sample.track_id)
        {
            return Err(PackagerError::UnknownTrack {
                track_id: sample.track_id,
                dts: sample.dts,
            }
            .into());
        }
        self.segmenter.push(sample).map_err(PackagerError::from)?;
        while let Some(event) = self.segmenter.poll() {
            match event {
                SegmentEvent::Part(part) => self.part_complete(&part)?,
                SegmentEvent::Segment(segment) => {
                    if segment.duration.ticks() != self.duration {
                        return Err(LiveError::IrregularSegment {
                            start: segment.start.ticks(),
                            duration: segment.duration.ticks(),
                            expected: self.duration,
                        });
                    }
                    self.segment_complete(now)?;
                }
                // Video before the first keyframe cannot be decoded; the
                // segmenter drops it and says so.
                _ => {}
            }
        }
        Ok(())
    }

    /// The next event, or `None` until more input.
    #[must_use]
    pub fn poll(&mut self) -> Option<LiveEvent> {
        self.events.pop_front()
    }

    fn wall(&self, reference_ticks: i64) -> Result<Duration, LiveError> {
        let t = MediaTime::new(reference_ticks, self.timescale)
            .to_duration()
            .ok_or(DashError::TimeOverflow {
                what: "segment availability time",
            })?;
        Ok(self.config.availability_start_time.saturating_add(t))
    }

    fn part_complete(&mut self, part: &Part) -> Result<(), LiveError> {
        if part.timing.index == 0 {
            let decode_start = part.timing.start.ticks();
            // The first segment fixes how far decode time runs ahead of
            // presentation time (less than half a segment: the B-frame
            // delay the init segment's edit list takes back).
            let offset = *self.offset.get_or_insert_with(|| {
                let k = (decode_start + self.duration / 2).div_euclid(self.duration);
                decode_start - k * self.duration
            });
            let start = decode_start - offset;
            if start < 0 || start % self.duration != 0 {
                return Err(LiveError::IrregularSegment {
                    start: decode_start,
                    duration: part.timing.duration.ticks(),
                    expected: self.duration,
                });
            }
            let k = u64::try_from(start / self.duration).unwrap_or(0);
            let number = self.config.naming.first_number.saturating_add(k);
            self.open = Some(number);
            // Available once its first chunk is complete (low latency) or
            // once complete.
            let available_at = self.wall(start.saturating_add(self.part))?;
            let ends_at = self.wall(start.saturating_add(self.duration))?;
            for (i, r) in self.renditions.iter_mut().enumerate() {
                r.open_bytes = 0;
                r.open_chunks = 0;
                self.events.push_back(LiveEvent::SegmentStarted {
                    rendition: i,
                    number,
                    name: self.config.naming.segment_name(&r.name, number),
                    content_type: content_type(&r.track),
                    available_at,
                    ends_at,
                });
            }
        }
        let Some(number) = self.open else {
            return Ok(());
        };
        for r in &mut self.renditions {
            let samples: Vec<Sample> = part
                .samples
                .iter()
                .filter(|s| s.track_id == r.track.id)
                .cloned()
                .collect();
            if samples.is_empty() {
                continue;
            }
            let fragment = r
                .writer
                .write_fragment(&samples)
                .map_err(PackagerError::from)?;
            r.open_bytes = r.open_bytes.saturating_add(fragment.bytes.len());
            r.open_chunks += 1;
            self.events.push_back(LiveEvent::Chunk {
                name: self.config.naming.segment_name(&r.name, number),
                bytes: fragment.bytes,
            });
        }
        Ok(())
    }

    fn segment_complete(&mut self, now: Duration) -> Result<(), LiveError> {
        let Some(number) = self.open.take() else {
            return Ok(());
        };
        for r in &mut self.renditions {
            if r.open_chunks == 0 {
                return Err(LiveError::EmptySegment {
                    rendition: r.name.clone(),
                    number,
                });
            }
            r.peak_bytes = r.peak_bytes.max(r.open_bytes);
            self.events.push_back(LiveEvent::SegmentComplete {
                name: self.config.naming.segment_name(&r.name, number),
            });
        }
        self.window.push_back(number);
        // Keep the segments that end within the time-shift buffer (plus one
        // segment of slack for clients at its edge).
        let depth = MediaTime::from_duration(
            self.config.time_shift_buffer_depth,
            self.timescale,
            Rounding::Up,
        )
        .map_or(i64::MAX, |t| t.ticks());
        let keep = u64::try_from(depth / self.duration)
            .unwrap_or(0)
            .saturating_add(2);
        while self.window.len() as u64 > keep {
            let Some(old) = self.window.pop_front() else {
                break;
            };
            for r in &self.renditions {
                self.events.push_back(LiveEvent::Removed {
                    name: self.config.naming.segment_name(&r.name, old),
                });
            }
        }
        let text = self.manifest(now)?;
        self.events.push_back(LiveEvent::Manifest {
            name: self.config.naming.manifest.clone(),
            text,
        });
        Ok(())
    }

    /// The MPD as of `now` (its `@publishTime`).
    fn manifest(&self, now: Duration) -> Result<String, LiveError> {
        let naming = &self.config.naming;
        let (init, media) = naming.templates();
        let ts = self.timescale.hz();
        let d = u64::try_from(self.duration).unwrap_or(1);
        let mut sets = Vec::with_capacity(self.renditions.len());
        for (i, r) in self.renditions.iter().enumerate() {
            let bandwidth = mpd::peak_bandwidth(&[(r.peak_bytes, d)], ts)
                .unwrap_or(1)
                .max(1);
            let mut rep = mpd::representation(&r.name, bandwidth, core::slice::from_ref(&r.track))?;
            rep.SegmentTemplate = Some(mpd::number_template(
                &init,
                &media,
                ts,
                d,
                naming.first_number,
            )?);
            let id = u32::try_from(i).unwrap_or(u32::MAX);
            sets.push(mpd::adaptation_set(id, vec![rep]));
        }
        let c = &self.config;
        let presentation = DynamicPresentation {
            availability_start_time: c.availability_start_time,
            publish_time: now,
            minimum_update_period: c.minimum_update_period,
            time_shift_buffer_depth: c.time_shift_buffer_depth,
            suggested_presentation_delay: c.suggested_presentation_delay,
            min_buffer_time: c.min_buffer_time,
            utc_timing: c.utc_timing.clone(),
        };
        let period = mpd::period("0", Duration::ZERO, None, sets);
        let mut model = mpd::dynamic_mpd(&presentation, vec![period])?;
        if let Some(ll) = c.low_latency {
            let segment = MediaTime::new(self.duration, self.timescale).as_secs_f64();
            let part = MediaTime::new(self.part, self.timescale).as_secs_f64();
            mpd::apply_low_latency(
                &mut model,
                &LowLatency {
                    target_latency: ll.target_latency,
                    min_latency: ll.target_latency / 2,
                    max_latency: ll.target_latency * 2,
                    availability_time_offset: segment - part,
                    producer_reference: Some((0, c.availability_start_time)),
                },
            )?;
        }
        Ok(mpd::write(&model)?)
    }
}
