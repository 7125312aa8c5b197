//! DASH over a packaging store: the MPD of a [`Package`]'s CMAF
//! renditions, static (on demand) or dynamic (live, low-latency).
//!
//! A [`Presentation`] writes no media: the [`Package`] cut and muxed the
//! segments, and keeps them; the presentation reads the package's records
//! and writes the MPD that addresses them, as of the package's current
//! state. The segments are the package's own files, so one set of CMAF
//! files serves HLS and DASH.
//!
//! # The MPD
//!
//! - One AdaptationSet per rendition, one Representation each (`@id` is the
//!   rendition's name); CMAF renditions only (MPEG-TS renditions are
//!   HLS's). `@bandwidth` is the peak of the listed segments.
//! - Addressing: a SegmentTemplate with `$RepresentationID$/init.mp4` and
//!   `$RepresentationID$/seg-$Number$.m4s` (the package's [names]) over a
//!   SegmentTimeline of each representation's own fragment decode times
//!   (`tfdt`), in its track's timescale; `@startNumber` is the first listed
//!   segment's sequence number. Segments of any length (the keyframes of a
//!   real encoder, AAC frame boundaries) are listed as they are. A
//!   rendition that has no sample in the first or last listed segments is
//!   listed from its first to its last segment with samples; a segment
//!   without samples between two with samples keeps its number (`$Number$`
//!   cannot skip one) and is missing from the store.
//! - A codec configuration that changed mid-stream
//!   ([`Package::change_track`]: a new SPS, another resolution) starts a
//!   new Period at the first segment of the new configuration (`@id` the
//!   change's number, `@start` that segment's start); its Representations
//!   describe the new configuration and name the init segment version
//!   their segments use (`$RepresentationID$/init-1.mp4`; a rendition the
//!   change did not touch keeps its init segment), with a
//!   `@presentationTimeOffset` of the Period's start, so media time stays
//!   presentation time. A live MPD is multi-period while both
//!   configurations are in the time-shift window; the old Period leaves
//!   with its last segment. In low latency the segment after a change is
//!   listed only once it opened, in its own Period. (ffmpeg 5.1's DASH
//!   demuxer plays one Period of a live MPD; dash.js follows the
//!   Periods.)
//! - Static ([`PresentationKind::Vod`]): `@mediaPresentationDuration` is
//!   the sum of the segments' durations; the package must be finished.
//! - Dynamic ([`PresentationKind::Live`]): `@availabilityStartTime` is the
//!   wall-clock time of media time zero (the package's wall clock, which
//!   must be set: [`Package::set_wall_clock`]); `@publishTime` the caller's
//!   wall-clock `now`; the segments that end within
//!   `@timeShiftBufferDepth` of the newest one are listed. With low latency,
//!   the segment being made is listed too (from the moment the one before
//!   it is complete), with the target duration as its duration (the next
//!   MPD gives its real one), `@availabilityTimeOffset`
//!   lets a client ask for it once its first chunk exists, and an origin
//!   sends it chunk by chunk (`@availabilityTimeComplete="false"`), with a
//!   ServiceDescription, a ProducerReferenceTime and UTCTiming. A
//!   SegmentTimeline lists only the segments made so far, so a client
//!   learns of each new segment from an MPD update: with low latency
//!   `@minimumUpdatePeriod` is at most the part target, so that a client
//!   playing at the target latency has the next segment's address before
//!   it needs its first part.
//!
//! [names]: streamkit_core::package::Naming
//!
//! ```
//! use bytes::Bytes;
//! use streamkit_core::mp4::Mp4File;
//! use streamkit_core::package::{Package, PackageConfig};
//! use streamkit_core::clock::UnixTime;
//! use streamkit_core::time::{MediaTime, Timescale};
//! use streamkit_dash::presentation::{Presentation, PresentationConfig};
//!
//! let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/fixtures/h264_aac.mp4");
//! let file = Mp4File::parse(Bytes::from(std::fs::read(path)?))?;
//! let mut package = Package::for_mp4(&file, PackageConfig::new(MediaTime::new(2, Timescale::SECONDS)))?;
//! for sample in file.samples() {
//!     package.push(sample)?;
//! }
//! package.finish()?;
//! let dash = Presentation::new(&package, PresentationConfig::vod())?;
//! let text = dash.write(&package, UnixTime::EPOCH)?;
//! assert!(text.contains(r#"type="static""#));
//! assert!(text.contains(r#"media="$RepresentationID$/seg-$Number$.m4s""#));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::time::Duration;

use streamkit_core::clock::UnixTime;
use streamkit_core::package::{Container, OpenSegment, Package, ResourceKind, SegmentRecord};
use streamkit_core::time::MediaTime;

use crate::error::DashError;
use crate::mpd::{
    self, DynamicPresentation, LowLatency, MPD, Profile, StaticPresentation, UTC_TIMING_HTTP_ISO,
    UtcTimingSource,
};

/// Content type of an MPD.
pub const CONTENT_TYPE_MPD: &str = "application/dash+xml";

/// Live timing of a dynamic presentation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiveTiming {
    /// `@timeShiftBufferDepth`: how far behind the live edge segments are
    /// listed.
    pub time_shift_buffer_depth: Duration,
    /// `@minimumUpdatePeriod`; with low latency, at most the package's
    /// part target (see the [module documentation](self)).
    pub minimum_update_period: Duration,
    /// `@suggestedPresentationDelay`.
    pub suggested_presentation_delay: Duration,
    /// Low latency: the target latency (`Latency@target`; `@min` is half
    /// of it, `@max` twice), when the segments are sent chunk by chunk.
    /// Needs the package's part target.
    pub low_latency: Option<Duration>,
}

/// Static or dynamic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PresentationKind {
    /// On demand: a static MPD over every segment of a finished package.
    Vod,
    /// Live: a dynamic MPD over the recent segments.
    Live(LiveTiming),
}

/// Which renditions a presentation lists.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum RenditionSelection {
    /// Every CMAF rendition.
    Cmaf,
    /// These CMAF renditions, by name, in this order.
    Named(Vec<String>),
}

/// How a [`Presentation`] writes.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct PresentationConfig {
    /// Static or dynamic.
    pub kind: PresentationKind,
    /// The MPD's name (`manifest.mpd`).
    pub manifest: String,
    /// Which renditions.
    pub renditions: RenditionSelection,
    /// `@minBufferTime`; `None`: the package's target duration.
    pub min_buffer_time: Option<Duration>,
    /// UTCTiming elements of a dynamic MPD (a client needs one to play
    /// without reaching out to a default time server).
    pub utc_timing: Vec<UtcTimingSource>,
}

impl PresentationConfig {
    /// A static MPD `manifest.mpd` of every CMAF rendition.
    #[must_use]
    pub fn vod() -> PresentationConfig {
        PresentationConfig {
            kind: PresentationKind::Vod,
            manifest: "manifest.mpd".into(),
            renditions: RenditionSelection::Cmaf,
            min_buffer_time: None,
            utc_timing: Vec::new(),
        }
    }

    /// A dynamic MPD `manifest.mpd` of every CMAF rendition for segments of
    /// about `segment`: a time-shift window of six segments, an update
    /// period of one, a presentation delay of three, UTCTiming
    /// `urn:mpeg:dash:utc:http-iso:2014` at `time` (relative to the MPD).
    #[must_use]
    pub fn live(segment: Duration) -> PresentationConfig {
        PresentationConfig {
            kind: PresentationKind::Live(LiveTiming {
                time_shift_buffer_depth: segment * 6,
                minimum_update_period: segment,
                suggested_presentation_delay: segment * 3,
                low_latency: None,
            }),
            utc_timing: vec![UtcTimingSource {
                scheme: UTC_TIMING_HTTP_ISO.to_owned(),
                value: "time".to_owned(),
            }],
            ..PresentationConfig::vod()
        }
    }

    /// The same, low-latency with `target_latency` (a live presentation;
    /// the presentation delay becomes the target latency).
    #[must_use]
    pub fn with_low_latency(mut self, target_latency: Duration) -> PresentationConfig {
        if let PresentationKind::Live(live) = &mut self.kind {
            live.low_latency = Some(target_latency);
            live.suggested_presentation_delay = target_latency;
        }
        self
    }

    /// The same with one UTCTiming element of `scheme` at `url`.
    #[must_use]
    pub fn with_utc_timing(mut self, scheme: &str, url: &str) -> PresentationConfig {
        self.utc_timing = vec![UtcTimingSource {
            scheme: scheme.to_owned(),
            value: url.to_owned(),
        }];
        self
    }

    /// The same listing only the renditions named.
    #[must_use]
    pub fn with_renditions_named<S: Into<String>>(
        mut self,
        names: impl IntoIterator<Item = S>,
    ) -> PresentationConfig {
        self.renditions = RenditionSelection::Named(names.into_iter().map(Into::into).collect());
        self
    }

    /// The same with the MPD at `name`.
    #[must_use]
    pub fn with_manifest(mut self, name: impl Into<String>) -> PresentationConfig {
        self.manifest = name.into();
        self
    }
}

/// The MPD of a package; see the [module documentation](self).
#[derive(Debug, Clone)]
pub struct Presentation {
    config: PresentationConfig,
    renditions: Vec<usize>,
}

impl Presentation {
    /// The presentation of `package`'s selected renditions.
    ///
    /// # Errors
    ///
    /// [`DashError::Rendition`] for a name the package lacks or an MPEG-TS
    /// rendition; [`DashError::Build`] when no rendition is selected, or
    /// low latency is asked of a package without parts.
    pub fn new(package: &Package, config: PresentationConfig) -> Result<Presentation, DashError> {
        let all = package.renditions();
        let renditions: Vec<usize> = match &config.renditions {
            RenditionSelection::Cmaf => (0..all.len())
                .filter(|&i| all[i].container == Container::Cmaf)
                .collect(),
            RenditionSelection::Named(names) => names
                .iter()
                .map(|n| match package.rendition_index(n) {
                    Some(i) if all[i].container == Container::Cmaf => Ok(i),
                    Some(_) => Err(DashError::Rendition {
                        rendition: n.clone(),
                        reason: "not a CMAF rendition",
                    }),
                    None => Err(DashError::Rendition {
                        rendition: n.clone(),
                        reason: "not in the package",
                    }),
                })
                .collect::<Result<_, _>>()?,
        };
        if renditions.is_empty() {
            return Err(DashError::Build {
                reason: "no CMAF rendition to list",
            });
        }
        if let PresentationKind::Live(live) = &config.kind
            && live.low_latency.is_some()
            && package.config().part_target.is_none()
        {
            return Err(DashError::Build {
                reason: "low latency needs a package with parts",
            });
        }
        Ok(Presentation { config, renditions })
    }

    /// The configuration.
    #[must_use]
    pub fn config(&self) -> &PresentationConfig {
        &self.config
    }

    /// The MPD's name.
    #[must_use]
    pub fn manifest_name(&self) -> &str {
        &self.config.manifest
    }

    /// The package rendition index of each listed rendition.
    #[must_use]
    pub fn renditions(&self) -> &[usize] {
        &self.renditions
    }

    /// `true` when `name` is a media segment of a listed rendition, and
    /// which.
    #[must_use]
    pub fn segment_of(&self, package: &Package, name: &str) -> Option<(usize, u64)> {
        self.renditions.iter().find_map(|&r| {
            let rendition = &package.renditions()[r];
            let file = name
                .strip_prefix(rendition.name.as_str())?
                .strip_prefix('/')?;
            match package
                .config()
                .naming
                .parse_file(rendition.container, file)?
            {
                ResourceKind::Segment { sequence } => Some((r, sequence)),
                _ => None,
            }
        })
    }

    /// The MPD as of the package's current state; `now` is the wall-clock
    /// time of this version (`@publishTime` of a dynamic MPD).
    ///
    /// # Errors
    ///
    /// [`DashError::Dynamic`] for a VOD presentation of an unfinished
    /// package, or a live one of a package without a wall clock;
    /// [`DashError::Build`] and [`DashError::TimeOverflow`] from the
    /// builders.
    pub fn mpd(&self, package: &Package, now: UnixTime) -> Result<MPD, DashError> {
        let listed = self.listed(package);
        let low_latency = match &self.config.kind {
            PresentationKind::Live(live) => live.low_latency,
            PresentationKind::Vod => None,
        };
        // In low latency, the segment being made is listed with the target
        // duration, from the moment the one before it is complete (before
        // its first part): a client learns of it from an MPD update, and the
        // sooner it does, the less it risks running dry at the boundary.
        // The next segment is not listed before it opens when a codec
        // configuration change waits for it: it will start a new Period.
        let upcoming = match (low_latency, package.open_segment()) {
            (None, _) => None,
            (Some(_), _) if package.is_finished() => None,
            (Some(_), Some(o)) => Some((o.sequence, Some(o))),
            (Some(_), None) if package.is_change_pending() => None,
            (Some(_), None) => Some((package.next_sequence(), None)),
        };
        // One Period per codec configuration (see the module documentation):
        // (its number, its start, the sequence numbers it lists).
        let starts = package.configuration_starts();
        let period_of = |sequence: u64| {
            starts
                .iter()
                .rev()
                .find(|c| c.sequence <= sequence)
                .map_or((0, MediaTime::zero(package.reference_timescale())), |c| {
                    (c.number, c.start)
                })
        };
        let mut plans: Vec<(u64, MediaTime, Vec<u64>)> = Vec::new();
        for sequence in listed
            .iter()
            .map(|s| s.sequence)
            .chain(upcoming.map(|u| u.0))
        {
            let (number, start) = period_of(sequence);
            match plans.last_mut() {
                Some(p) if p.0 == number => p.2.push(sequence),
                _ => plans.push((number, start, vec![sequence])),
            }
        }
        if plans.is_empty() {
            let (number, start) = period_of(package.next_sequence());
            plans.push((number, start, Vec::new()));
        }
        let live = matches!(self.config.kind, PresentationKind::Live(_));
        let mut periods = Vec::with_capacity(plans.len());
        for (number, start, sequences) in &plans {
            let period_start = start.to_duration().ok_or(DashError::TimeOverflow {
                what: "Period@start",
            })?;
            let in_period: Vec<&SegmentRecord> = listed
                .iter()
                .copied()
                .filter(|s| sequences.contains(&s.sequence))
                .collect();
            let upcoming = upcoming.filter(|u| sequences.contains(&u.0));
            let sets =
                self.adaptation_sets(package, &in_period, upcoming, *number, *start, live)?;
            periods.push(mpd::period(&number.to_string(), period_start, None, sets));
        }
        let min_buffer_time = self.config.min_buffer_time.unwrap_or_else(|| {
            package
                .config()
                .target_duration
                .to_duration()
                .unwrap_or(Duration::from_secs(2))
        });
        match &self.config.kind {
            PresentationKind::Vod => {
                if !package.is_finished() {
                    return Err(DashError::Dynamic {
                        reason: "a static MPD needs a finished package",
                    });
                }
                let mut duration = MediaTime::zero(package.reference_timescale());
                for s in package.segments() {
                    duration = duration
                        .checked_add(s.duration)
                        .ok_or(DashError::TimeOverflow {
                            what: "presentation duration",
                        })?;
                }
                let presentation = StaticPresentation {
                    duration: duration.to_duration().ok_or(DashError::TimeOverflow {
                        what: "presentation duration",
                    })?,
                    min_buffer_time,
                    profile: Profile::Live,
                };
                Ok(mpd::static_mpd(&presentation, periods))
            }
            PresentationKind::Live(live) => {
                let ast = package
                    .wall_clock_of(MediaTime::zero(package.reference_timescale()))
                    .ok_or(DashError::Dynamic {
                        reason: "a live presentation needs the package's wall clock",
                    })?;
                // A client learns of the next segment from an update; in
                // low latency it needs it within a part of its start.
                let minimum_update_period = match (low_latency, package.config().part_target) {
                    (Some(_), Some(part)) => {
                        part.to_duration().map_or(live.minimum_update_period, |p| {
                            live.minimum_update_period.min(p)
                        })
                    }
                    _ => live.minimum_update_period,
                };
                let presentation = DynamicPresentation {
                    availability_start_time: ast.since_epoch(),
                    publish_time: now.since_epoch(),
                    minimum_update_period,
                    time_shift_buffer_depth: live.time_shift_buffer_depth,
                    suggested_presentation_delay: live.suggested_presentation_delay,
                    min_buffer_time,
                    utc_timing: self.config.utc_timing.clone(),
                };
                let mut model = mpd::dynamic_mpd(&presentation, periods)?;
                if package.is_finished() {
                    // The stream ended: no more updates.
                    model.minimumUpdatePeriod = None;
                }
                if let (Some(target_latency), Some(part)) =
                    (low_latency, package.config().part_target)
                {
                    let segment = package.config().target_duration.as_secs_f64();
                    let part = part.as_secs_f64();
                    mpd::apply_low_latency(
                        &mut model,
                        &LowLatency {
                            target_latency,
                            min_latency: target_latency / 2,
                            max_latency: target_latency * 2,
                            availability_time_offset: (segment - part).max(0.0),
                            producer_reference: Some((0, ast.since_epoch())),
                        },
                    )?;
                }
                Ok(model)
            }
        }
    }

    /// The AdaptationSets of one Period: the listed renditions over
    /// `listed` (and the `upcoming` segment), each described by the init
    /// segment version its segments name. Period `number` > 0 starts at
    /// `start`: its templates' `@presentationTimeOffset` is that time, so
    /// media time stays presentation time.
    fn adaptation_sets(
        &self,
        package: &Package,
        listed: &[&SegmentRecord],
        upcoming: Option<(u64, Option<&OpenSegment>)>,
        number: u64,
        start: MediaTime,
        live: bool,
    ) -> Result<Vec<mpd::AdaptationSet>, DashError> {
        let mut sets = Vec::with_capacity(self.renditions.len());
        let naming = &package.config().naming;
        let media = format!(
            "$RepresentationID$/{}$Number$.{}",
            naming.segment_prefix, naming.cmaf_extension
        );
        for (id, &r) in self.renditions.iter().enumerate() {
            let rendition = &package.renditions()[r];
            let ts = rendition.main_track().timescale;
            // (sequence, tfdt, duration, bytes) of the segments with samples.
            let mut entries: Vec<(u64, u64, u64, u64)> = listed
                .iter()
                .filter_map(|s| {
                    let rs = &s.renditions[r];
                    rs.decode_time.map(|(t, d)| (s.sequence, t, d, rs.bytes))
                })
                .collect();
            let version = listed
                .iter()
                .map(|s| s.renditions[r].init_version)
                .chain(upcoming.and_then(|(_, o)| o.map(|o| o.renditions[r].init_version)))
                .next()
                .unwrap_or(rendition.init_version);
            if let Some((sequence, open)) = upcoming {
                let made = open.map(|o| &o.renditions[r]);
                // Its own decode time once it has a sample, else where the
                // segment before it ends.
                let start = made
                    .and_then(|m| m.decode_time.map(|(t, _)| t))
                    .or_else(|| {
                        entries
                            .last()
                            .filter(|l| l.0 + 1 == sequence)
                            .map(|l| l.1.saturating_add(l.2))
                    });
                if let Some(start) = start {
                    let nominal = package
                        .config()
                        .target_duration
                        .rescale(ts, streamkit_core::time::Rounding::Nearest)
                        .ticks();
                    let nominal = u64::try_from(nominal).unwrap_or(1).max(1);
                    entries.push((sequence, start, nominal, made.map_or(0, |m| m.bytes)));
                }
            }
            let Some(&(first_sequence, first_time, _, _)) = entries.first() else {
                continue;
            };
            // Durations from tfdt to tfdt, the last one its own; a sequence
            // gap (a segment without samples) keeps its place in the
            // numbering by running the time on.
            let mut durations = Vec::with_capacity(entries.len());
            for w in entries.windows(2) {
                let gap = w[1].0.saturating_sub(w[0].0 + 1);
                durations.push(w[1].1.saturating_sub(w[0].1).saturating_sub(gap).max(1));
                // A segment without samples between two keeps its number
                // (it is not in the store) with one tick of time.
                durations.extend((0..gap).map(|_| 1));
            }
            if let Some(last) = entries.last() {
                durations.push(last.2.max(1));
            }
            let sizes: Vec<(u64, u64)> = entries.iter().map(|e| (e.3, e.2)).collect();
            let bandwidth = mpd::peak_bandwidth(&sizes, ts.hz()).unwrap_or(1).max(1);
            let tracks = rendition
                .tracks_of_version(version)
                .unwrap_or(&rendition.tracks);
            let mut rep = mpd::representation(&rendition.name, bandwidth, tracks)?;
            let init = format!(
                "$RepresentationID$/{}",
                naming.file(Container::Cmaf, ResourceKind::Init { version })
            );
            let mut template =
                mpd::timeline_template(&init, &media, ts.hz(), first_time, &durations)?;
            template.startNumber = Some(first_sequence);
            if number > 0 {
                let offset = start
                    .rescale(ts, streamkit_core::time::Rounding::Nearest)
                    .ticks();
                template.presentationTimeOffset = u64::try_from(offset).ok();
            } else if live {
                // Presentation time zero is media time zero: availability
                // times follow the package's wall clock.
                template.presentationTimeOffset = None;
            }
            rep.SegmentTemplate = Some(template);
            sets.push(mpd::adaptation_set(
                u32::try_from(id).unwrap_or(u32::MAX),
                vec![rep],
            ));
        }
        Ok(sets)
    }

    /// The MPD as XML; see [`Presentation::mpd`].
    ///
    /// # Errors
    ///
    /// Those of [`Presentation::mpd`] and [`mpd::write`].
    pub fn write(&self, package: &Package, now: UnixTime) -> Result<String, DashError> {
        mpd::write(&self.mpd(package, now)?)
    }

    /// The complete segments the MPD lists, oldest first.
    fn listed<'p>(&self, package: &'p Package) -> Vec<&'p SegmentRecord> {
        let segments = package.segments();
        match &self.config.kind {
            PresentationKind::Vod => segments.iter().collect(),
            PresentationKind::Live(live) => {
                let depth = live.time_shift_buffer_depth;
                let mut kept = 0usize;
                let mut total = Duration::ZERO;
                for s in segments.iter().rev() {
                    let d = s.duration.to_duration().unwrap_or_default();
                    if kept > 0 && total + d > depth {
                        break;
                    }
                    total += d;
                    kept += 1;
                }
                segments.iter().skip(segments.len() - kept).collect()
            }
        }
    }
}
