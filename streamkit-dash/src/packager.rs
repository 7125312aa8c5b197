//! The VOD packager: samples in, init segments, fMP4 media segments and a
//! static MPD out.
//!
//! A [`VodPackager`] is a Sans-IO state machine. The caller pushes the
//! interleaved samples of a presentation ([`VodPackager::push`]) and, after
//! each push, drains [`VodPackager::poll`] until it returns `None`;
//! [`VodPackager::finish`] ends the presentation, after which `poll` gives
//! the last segments and the MPD. Nothing is written anywhere by the
//! packager: each event carries a relative name, a content type and the
//! bytes (the samples' own buffers, not copied).
//!
//! Every track is its own rendition (one AdaptationSet with one
//! Representation each, as CMAF wants), cut at the same places by one
//! [`Segmenter`] on the reference track (the first video track). Each
//! segment is one `moof` + `mdat` per rendition; the MPD addresses them with
//! a SegmentTemplate over a SegmentTimeline of the fragments' own decode
//! times, in each track's timescale, and edit-list shifts go into the init
//! segments.
//!
//! # Names
//!
//! [`Naming`] gives every name; the defaults are those of streamkit-hls's
//! packager, so one set of CMAF files serves both manifests:
//!
//! | resource | default name |
//! |---|---|
//! | MPD | `manifest.mpd` |
//! | init segment | `<rendition>/init.mp4` |
//! | segment `n` (from 0) | `<rendition>/seg-<n>.m4s` |
//!
//! Renditions are named `video`, `audio`, then `video2`, `audio2`, ...;
//! the Representation `@id` is the rendition name, and the MPD's templates
//! are `$RepresentationID$/init.mp4` and `$RepresentationID$/seg-$Number$.m4s`
//! with `@startNumber` 0.
//!
//! ```
//! use bytes::Bytes;
//! use streamkit_core::mp4::Mp4File;
//! use streamkit_core::time::{MediaTime, Timescale};
//! use streamkit_dash::packager::{VodEvent, VodPackager, VodPackagerConfig};
//!
//! let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/fixtures/h264_aac.mp4");
//! let file = Mp4File::parse(Bytes::from(std::fs::read(path)?))?;
//! let config = VodPackagerConfig::new(MediaTime::new(2, Timescale::SECONDS));
//! let mut packager = VodPackager::for_mp4(&file, config)?;
//! let mut names = Vec::new();
//! for sample in file.samples() {
//!     packager.push(sample)?;
//!     while let Some(event) = packager.poll() {
//!         names.push(event.name().to_owned());
//!     }
//! }
//! packager.finish()?;
//! while let Some(event) = packager.poll() {
//!     names.push(event.name().to_owned());
//! }
//! assert_eq!(&names[..4], ["video/init.mp4", "audio/init.mp4", "video/seg-0.m4s", "audio/seg-0.m4s"]);
//! assert_eq!(names.len(), 2 + 10 + 1);
//! assert_eq!(names[12], "manifest.mpd");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::collections::VecDeque;
use std::time::Duration;

use streamkit_core::buffer::BufferList;
use streamkit_core::codec::MediaKind;
use streamkit_core::fmp4::{Fmp4Error, FragmentWriter, init_segment_with_shifts};
use streamkit_core::mp4::Mp4File;
use streamkit_core::sample::PresentationShift;
use streamkit_core::sample::Sample;
use streamkit_core::segment::{SegmentError, SegmentEvent, Segmenter, SegmenterConfig};
use streamkit_core::time::MediaTime;
use streamkit_core::track::Track;

use crate::error::DashError;
use crate::mpd::{self, Profile, StaticPresentation};

/// Content type of an MPD.
pub const CONTENT_TYPE_MPD: &str = "application/dash+xml";
/// Content type of video init and media segments.
pub const CONTENT_TYPE_MP4_VIDEO: &str = "video/mp4";
/// Content type of audio init and media segments.
pub const CONTENT_TYPE_MP4_AUDIO: &str = "audio/mp4";
/// The most tracks a packager takes.
pub const MAX_TRACKS: usize = 16;

/// Why the packager could not be built or refused input.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PackagerError {
    /// No tracks, or more than [`MAX_TRACKS`].
    #[error("packager: {count} tracks (1 to {MAX_TRACKS} supported)")]
    TrackCount {
        /// How many tracks were given.
        count: usize,
    },
    /// A sample names a track the packager was not built with.
    #[error("packager: sample at decode time {dts} of unknown track {track_id}")]
    UnknownTrack {
        /// The sample's track.
        track_id: u32,
        /// Its decode time.
        dts: i64,
    },
    /// A segment has no sample of a rendition's track: the renditions'
    /// `$Number$`s would no longer name the same time span.
    #[error("packager: segment {number} has no sample of rendition {rendition}")]
    EmptySegment {
        /// The rendition.
        rendition: String,
        /// The segment number.
        number: u64,
    },
    /// A push or finish after [`VodPackager::finish`].
    #[error("packager: the presentation is finished")]
    Finished,
    /// A name in [`Naming`] holds a `$`, which a template would misread.
    #[error("packager: name {name:?} holds a '$'")]
    InvalidName {
        /// The name.
        name: String,
    },
    /// The segmenter refused the sample.
    #[error(transparent)]
    Segment(#[from] SegmentError),
    /// The fMP4 writer refused the samples.
    #[error(transparent)]
    Fmp4(#[from] Fmp4Error),
    /// The MPD could not be built.
    #[error(transparent)]
    Mpd(#[from] DashError),
}

/// How the packager names what it makes (see the [module docs](self)).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Naming {
    /// The MPD.
    pub manifest: String,
    /// The init segment, within a rendition's directory.
    pub init: String,
    /// A segment's name before its number.
    pub segment_prefix: String,
    /// A segment's extension (after the number and a dot).
    pub segment_extension: String,
    /// The first segment's number.
    pub first_number: u64,
}

impl Default for Naming {
    fn default() -> Naming {
        Naming {
            manifest: "manifest.mpd".into(),
            init: "init.mp4".into(),
            segment_prefix: "seg-".into(),
            segment_extension: "m4s".into(),
            first_number: 0,
        }
    }
}

impl Naming {
    /// The name of `rendition`'s init segment.
    #[must_use]
    pub fn init_name(&self, rendition: &str) -> String {
        format!("{rendition}/{}", self.init)
    }

    /// The name of `rendition`'s segment `number`.
    #[must_use]
    pub fn segment_name(&self, rendition: &str, number: u64) -> String {
        format!(
            "{rendition}/{}{number}.{}",
            self.segment_prefix, self.segment_extension
        )
    }

    /// The `SegmentTemplate`'s `@initialization` and `@media` templates
    /// for these names (the representation id is the rendition's name).
    pub(crate) fn templates(&self) -> (String, String) {
        let init = format!("$RepresentationID$/{}", self.init);
        let media = format!(
            "$RepresentationID$/{}$Number$.{}",
            self.segment_prefix, self.segment_extension
        );
        (init, media)
    }

    /// [`PackagerError::InvalidName`] for a name that holds a `$`.
    pub(crate) fn check(&self) -> Result<(), PackagerError> {
        for name in [
            &self.manifest,
            &self.init,
            &self.segment_prefix,
            &self.segment_extension,
        ] {
            if name.contains('$') {
                return Err(PackagerError::InvalidName { name: name.clone() });
            }
        }
        Ok(())
    }
}

/// What the packager makes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VodPackagerConfig {
    /// Segments start at the first reference keyframe at least this long
    /// after the segment's start.
    pub target_duration: MediaTime,
    /// The MPD's `@minBufferTime`.
    pub min_buffer_time: Duration,
    /// Names of the resources.
    pub naming: Naming,
}

impl VodPackagerConfig {
    /// Segments of `target_duration`, `@minBufferTime` of the same, default
    /// names.
    #[must_use]
    pub fn new(target_duration: MediaTime) -> VodPackagerConfig {
        VodPackagerConfig {
            target_duration,
            min_buffer_time: target_duration
                .to_duration()
                .unwrap_or(Duration::from_secs(2)),
            naming: Naming::default(),
        }
    }

    /// The same configuration with other names.
    #[must_use]
    pub fn with_naming(mut self, naming: Naming) -> VodPackagerConfig {
        self.naming = naming;
        self
    }
}

/// A resource the packager made.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Resource {
    /// Relative name (see [`Naming`]).
    pub name: String,
    /// HTTP content type.
    pub content_type: &'static str,
    /// The bytes: box headers and the samples' own buffers.
    pub bytes: BufferList,
}

/// One media segment of one rendition.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SegmentReady {
    /// The rendition's index (in track order).
    pub rendition: usize,
    /// `$Number$`.
    pub number: u64,
    /// The fragment's decode time (`tfdt`, `$Time$`) in the track's
    /// timescale.
    pub time: u64,
    /// The file.
    pub resource: Resource,
}

/// What [`VodPackager::poll`] gives.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum VodEvent {
    /// A rendition's init segment (all come first, from
    /// [`VodPackager::new`]).
    Init(Resource),
    /// A media segment.
    Segment(SegmentReady),
    /// The MPD, after [`VodPackager::finish`].
    Manifest {
        /// Its name.
        name: String,
        /// The XML.
        text: String,
    },
}

impl VodEvent {
    /// The resource's name.
    #[must_use]
    pub fn name(&self) -> &str {
        match self {
            VodEvent::Init(r) => &r.name,
            VodEvent::Segment(s) => &s.resource.name,
            VodEvent::Manifest { name, .. } => name,
        }
    }
}

#[derive(Debug)]
struct Rendition {
    name: String,
    track: Track,
    writer: FragmentWriter,
    /// `(tfdt, duration of the last sample run, bytes)` per segment.
    segments: Vec<(u64, u64, u64)>,
}

/// The VOD packager; see the [module documentation](self).
#[derive(Debug)]
pub struct VodPackager {
    config: VodPackagerConfig,
    renditions: Vec<Rendition>,
    segmenter: Segmenter,
    open: Vec<Sample>,
    next_number: u64,
    reference_duration: MediaTime,
    events: VecDeque<VodEvent>,
    finished: bool,
}

/// The content type of `track`'s init and media segments.
pub(crate) fn content_type(track: &Track) -> &'static str {
    match track.kind() {
        MediaKind::Video => CONTENT_TYPE_MP4_VIDEO,
        _ => CONTENT_TYPE_MP4_AUDIO,
    }
}

/// One rendition per track, in track order: its name (`video`, `audio`,
/// then `video2`, `audio2`, ... for further tracks of a kind) and its init
/// segment, named by `naming`, with the edit lists `shifts` gives the track.
///
/// # Errors
///
/// The init segment writer's.
pub(crate) fn rendition_inits(
    tracks: &[Track],
    shifts: &[PresentationShift],
    naming: &Naming,
) -> Result<Vec<(String, Resource)>, PackagerError> {
    let mut out = Vec::with_capacity(tracks.len().min(MAX_TRACKS));
    let (mut videos, mut audios) = (0usize, 0usize);
    for track in tracks {
        let (count, base) = match track.kind() {
            MediaKind::Video => (&mut videos, "video"),
            _ => (&mut audios, "audio"),
        };
        *count += 1;
        let name = if *count == 1 {
            base.to_owned()
        } else {
            format!("{base}{count}")
        };
        let own: Vec<PresentationShift> = shifts
            .iter()
            .filter(|s| s.track_id == track.id)
            .copied()
            .collect();
        let mut bytes = BufferList::new();
        bytes.push(init_segment_with_shifts(
            core::slice::from_ref(track),
            &own,
        )?);
        let init = Resource {
            name: naming.init_name(&name),
            content_type: content_type(track),
            bytes,
        };
        out.push((name, init));
    }
    Ok(out)
}

impl VodPackager {
    /// A packager for `tracks` (each one rendition), with their edit-list
    /// `shifts` for the init segments. The init segments are ready to poll
    /// at once.
    ///
    /// # Errors
    ///
    /// [`PackagerError::TrackCount`]; [`PackagerError::InvalidName`]; the
    /// segmenter's and the init segment writer's errors.
    pub fn new(
        tracks: &[Track],
        shifts: &[PresentationShift],
        config: VodPackagerConfig,
    ) -> Result<VodPackager, PackagerError> {
        if tracks.is_empty() || tracks.len() > MAX_TRACKS {
            return Err(PackagerError::TrackCount {
                count: tracks.len(),
            });
        }
        config.naming.check()?;
        let seg_config = SegmenterConfig::for_tracks(tracks, config.target_duration).ok_or(
            PackagerError::TrackCount {
                count: tracks.len(),
            },
        )?;
        let reference_timescale = seg_config.reference_timescale;
        let segmenter = Segmenter::new(seg_config)?;
        let mut renditions: Vec<Rendition> = Vec::with_capacity(tracks.len());
        let mut events = VecDeque::new();
        let inits = rendition_inits(tracks, shifts, &config.naming)?;
        for (track, (name, init)) in tracks.iter().zip(inits) {
            events.push_back(VodEvent::Init(init));
            renditions.push(Rendition {
                name,
                track: track.clone(),
                writer: FragmentWriter::new(core::slice::from_ref(track)),
                segments: Vec::new(),
            });
        }
        Ok(VodPackager {
            next_number: config.naming.first_number,
            config,
            renditions,
            segmenter,
            open: Vec::new(),
            reference_duration: MediaTime::zero(reference_timescale),
            events,
            finished: false,
        })
    }

    /// A packager for the supported tracks of an MP4 file, with their
    /// edit-list shifts.
    ///
    /// # Errors
    ///
    /// Those of [`VodPackager::new`].
    pub fn for_mp4(
        file: &Mp4File,
        config: VodPackagerConfig,
    ) -> Result<VodPackager, PackagerError> {
        let (tracks, shifts) = file.tracks_and_shifts();
        VodPackager::new(&tracks, &shifts, config)
    }

    /// The renditions' names, in track order.
    pub fn rendition_names(&self) -> impl ExactSizeIterator<Item = &str> {
        self.renditions.iter().map(|r| r.name.as_str())
    }

    /// Takes one sample (interleaved across tracks, in decode order per
    /// track). Drain [`VodPackager::poll`] afterwards.
    ///
    /// # Errors
    ///
    /// [`PackagerError::UnknownTrack`], [`PackagerError::Finished`], the
    /// segmenter's and fMP4 writer's errors, and
    /// [`PackagerError::EmptySegment`].
    pub fn push(&mut self, sample: Sample) -> Result<(), PackagerError> {
        if self.finished {
            return Err(PackagerError::Finished);
        }
        if !self
            .renditions
            .iter()
            .any(|r| r.track.id == sample.track_id)
        {
            return Err(PackagerError::UnknownTrack {
                track_id: sample.track_id,
                dts: sample.dts,
            });
        }
        self.segmenter.push(sample)?;
        self.drain()
    }

    /// Ends the presentation: the last segment and the MPD become ready.
    ///
    /// # Errors
    ///
    /// [`PackagerError::Finished`] when called twice; those of
    /// [`VodPackager::push`]; [`PackagerError::Mpd`] when the MPD cannot be
    /// built.
    pub fn finish(&mut self) -> Result<(), PackagerError> {
        if self.finished {
            return Err(PackagerError::Finished);
        }
        self.finished = true;
        self.segmenter.finish();
        self.drain()?;
        let text = self.manifest()?;
        self.events.push_back(VodEvent::Manifest {
            name: self.config.naming.manifest.clone(),
            text,
        });
        Ok(())
    }

    /// The next event, or `None` until more input.
    #[must_use]
    pub fn poll(&mut self) -> Option<VodEvent> {
        self.events.pop_front()
    }

    fn drain(&mut self) -> Result<(), PackagerError> {
        while let Some(event) = self.segmenter.poll() {
            match event {
                SegmentEvent::Part(part) => self.open.extend(part.samples),
                SegmentEvent::Segment(segment) => {
                    self.reference_duration = self
                        .reference_duration
                        .checked_add(segment.duration)
                        .ok_or(DashError::TimeOverflow {
                            what: "presentation duration",
                        })?;
                    self.flush()?;
                }
                // Video before the first keyframe cannot be decoded; the
                // segmenter drops it and says so.
                _ => {}
            }
        }
        Ok(())
    }

    fn flush(&mut self) -> Result<(), PackagerError> {
        let number = self.next_number;
        let mut ready = Vec::with_capacity(self.renditions.len());
        for (i, r) in self.renditions.iter_mut().enumerate() {
            let samples: Vec<Sample> = self
                .open
                .iter()
                .filter(|s| s.track_id == r.track.id)
                .cloned()
                .collect();
            if samples.is_empty() {
                return Err(PackagerError::EmptySegment {
                    rendition: r.name.clone(),
                    number,
                });
            }
            let fragment = r.writer.write_fragment(&samples)?;
            let (time, duration) = fragment
                .runs
                .first()
                .map(|run| (run.base_media_decode_time, run.duration()))
                .unwrap_or_default();
            r.segments.push((time, duration, fragment.bytes.len()));
            ready.push(VodEvent::Segment(SegmentReady {
                rendition: i,
                number,
                time,
                resource: Resource {
                    name: self.config.naming.segment_name(&r.name, number),
                    content_type: content_type(&r.track),
                    bytes: fragment.bytes,
                },
            }));
        }
        self.events.extend(ready);
        self.open.clear();
        self.next_number = number.saturating_add(1);
        Ok(())
    }

    fn manifest(&self) -> Result<String, PackagerError> {
        let naming = &self.config.naming;
        let (init, media) = naming.templates();
        let mut sets = Vec::with_capacity(self.renditions.len());
        for (i, r) in self.renditions.iter().enumerate() {
            let Some(&(first, _, _)) = r.segments.first() else {
                continue;
            };
            // Durations from tfdt to tfdt, the last one its own.
            let durations: Vec<u64> = r
                .segments
                .windows(2)
                .map(|w| w[1].0.saturating_sub(w[0].0))
                .chain(r.segments.last().map(|l| l.1))
                .collect();
            let sizes: Vec<(u64, u64)> = r
                .segments
                .iter()
                .zip(&durations)
                .map(|(s, d)| (s.2, *d))
                .collect();
            let ts = r.track.timescale.hz();
            let bandwidth = mpd::peak_bandwidth(&sizes, ts).unwrap_or(1).max(1);
            let mut rep = mpd::representation(&r.name, bandwidth, core::slice::from_ref(&r.track))?;
            let mut template = mpd::timeline_template(&init, &media, ts, first, &durations)?;
            if naming.first_number != 1 {
                template.startNumber = Some(naming.first_number);
            }
            rep.SegmentTemplate = Some(template);
            let id = u32::try_from(i).unwrap_or(u32::MAX);
            sets.push(mpd::adaptation_set(id, vec![rep]));
        }
        let duration = self
            .reference_duration
            .to_duration()
            .ok_or(DashError::TimeOverflow {
                what: "presentation duration",
            })?;
        let presentation = StaticPresentation {
            duration,
            min_buffer_time: self.config.min_buffer_time,
            profile: Profile::Live,
        };
        let period = mpd::period("0", Duration::ZERO, None, sets);
        Ok(mpd::write(&mpd::static_mpd(&presentation, vec![period]))?)
    }
}
