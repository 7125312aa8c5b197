//! The packaging store: samples in, renditions of segments and parts out,
//! kept for the manifests and origins that serve them.
//!
//! A [`Package`] is the one place where a presentation is cut and muxed.
//! It owns one [`Segmenter`] (so every rendition is cut at the same
//! places), one muxer per rendition (CMAF fragments, or MPEG-TS), the
//! renditions' names, and the store of what it made: init segments, and
//! for each retained segment its parts, per rendition. HLS playlists, DASH
//! MPDs (and later Smooth and HDS manifests) are written *over* a package:
//! they read its renditions and records ([`Package::renditions`],
//! [`Package::segments`], [`Package::open_segment`]) and never mux
//! anything themselves; origins answer requests from
//! [`Package::resource`].
//!
//! # Contract
//!
//! - Input: [`Package::push`] one sample at a time (interleaved across
//!   tracks, decode order per track), [`Package::finish`] at the end of the
//!   stream (a second call does nothing). Between pushes, the caller may
//!   [`Package::mark_discontinuity`] and [`Package::set_wall_clock`].
//! - Output: after each call, [`Package::poll_event`] until `None`. Events
//!   name what changed (an init segment, a part, a complete segment, what
//!   left the window, a dropped sample, the end); each carries its bytes as
//!   a [`BufferList`] of shared `Bytes` (the samples' own buffers: nothing
//!   is copied unless [`PackageConfig::coalesce_below`] asks for it), so a
//!   program that writes files needs nothing else. Draining is optional for
//!   a program that only reads the store: the store is updated by the call
//!   itself.
//! - The store: [`Package::version`] changes whenever the store does, so a
//!   manifest writer can cache what it renders.
//!
//! The package reads no clock and does no I/O. Time enters only as the
//! samples' own media times, and wall-clock time only through
//! [`Package::set_wall_clock`].
//!
//! # Renditions
//!
//! [`PackageConfig::renditions`] lists them ([`RenditionSpec`]); when it is
//! empty, every track is its own CMAF rendition named `video`, `audio`,
//! `video2`, `audio2`, ... ([`RenditionSpec::cmaf_per_track`]), as CMAF and
//! DASH want. A muxed rendition carries several tracks in one stream (the
//! usual MPEG-TS rendition: [`RenditionSpec::muxed`]). A track may appear
//! in several renditions of different containers (CMAF per track for
//! HLS fMP4 and DASH, plus one muxed MPEG-TS rendition), cut at the same
//! places, with the same sequence numbers.
//!
//! # Names and timing
//!
//! See [`Naming`]. Segment and part times are [`MediaTime`]s on the
//! reference track's timescale (the first video track, else the first
//! track), as the [`Segmenter`] gives them. A rendition that has no sample
//! in a part lists no part there, and the part's time goes to its next
//! part; a rendition with no sample in a whole segment has an empty
//! [`RenditionSegment`] for it (HLS writes a gap), which is normal input
//! (a long GOP, audio that outlasts the video). CMAF init segments carry
//! the tracks' edit-list shifts; MPEG-TS adds them to each sample's times.
//!
//! The AAC priming frame the shift skips (1 024 samples of encoder delay)
//! stays in both: it is what the decoder needs to decode the next frame
//! right, so no rendition drops it, whole frame or not. MPEG-TS has no
//! edit list, so it presents before the first picture and players decode
//! and play it. In CMAF the edit runs to the end of the media
//! (`segment_duration` 0: a package's tracks have no known end while it is
//! made); what players do with it through HLS and DASH is told at
//! [`PresentationShift`].
//!
//! ```
//! use bytes::Bytes;
//! use streamkit_core::mp4::Mp4File;
//! use streamkit_core::package::{Package, PackageConfig, PackageEvent};
//! use streamkit_core::time::{MediaTime, Timescale};
//!
//! let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/fixtures/h264_aac.mp4");
//! let file = Mp4File::parse(Bytes::from(std::fs::read(path)?))?;
//! let config = PackageConfig::new(MediaTime::new(2, Timescale::SECONDS));
//! let mut package = Package::for_mp4(&file, config)?;
//! let mut names = Vec::new();
//! for sample in file.samples() {
//!     package.push(sample)?;
//!     while let Some(event) = package.poll_event() {
//!         if let PackageEvent::Segment { resource, .. } = event {
//!             names.push(resource.name);
//!         }
//!     }
//! }
//! package.finish()?;
//! while let Some(event) = package.poll_event() {
//!     if let PackageEvent::Segment { resource, .. } = event {
//!         names.push(resource.name);
//!     }
//! }
//! assert_eq!(names.len(), 10); // 5 segments, video and audio
//! assert_eq!(names[..2], ["video/seg-0.m4s", "audio/seg-0.m4s"]);
//! assert_eq!(package.segments().len(), 5);
//! let seg = package.resource("video/seg-3.m4s").ok_or("no segment 3")?;
//! assert!(seg.complete);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod config;
mod error;
mod naming;
mod record;
mod writer;

use std::collections::VecDeque;

pub use config::{Container, PackageConfig, RenditionSpec, Retention};
pub use error::PackageError;
pub use naming::{Naming, ResourceKind};
pub use record::{
    Chunks, OpenSegment, PackageEvent, PartRecord, Rendition, RenditionPart, RenditionSegment,
    Resource, ResourceView, SegmentRecord,
};

use crate::buffer::BufferList;
use crate::clock::UnixTime;
use crate::codec::MediaKind;
use crate::fmp4::init_segment_with_shifts;
use crate::mp4::Mp4File;
use crate::sample::{PresentationShift, Sample};
use crate::segment::{
    Part as SegmenterPart, Segment as SegmenterSegment, SegmentEvent, Segmenter, SegmenterConfig,
};
use crate::time::{MediaTime, Rounding, Timescale};
use crate::track::Track;
use writer::RenditionWriter;

/// Content type of CMAF segments and init segments that hold video.
pub const CONTENT_TYPE_MP4_VIDEO: &str = "video/mp4";
/// Content type of CMAF segments and init segments of audio only.
pub const CONTENT_TYPE_MP4_AUDIO: &str = "audio/mp4";
/// Content type of MPEG-TS segments.
pub const CONTENT_TYPE_TS: &str = "video/mp2t";

/// The most tracks a package takes.
pub const MAX_TRACKS: usize = 16;
/// The most renditions a package makes.
pub const MAX_RENDITIONS: usize = 32;

/// The packaging store; see the [module documentation](self).
#[derive(Debug)]
pub struct Package {
    config: PackageConfig,
    segmenter: Segmenter,
    renditions: Vec<Rendition>,
    writers: Vec<RenditionWriter>,
    reference_timescale: Timescale,
    segments: VecDeque<SegmentRecord>,
    open: Option<OpenSegment>,
    next_discontinuity: bool,
    wall_clock: Option<(MediaTime, UnixTime)>,
    events: VecDeque<PackageEvent>,
    version: u64,
    finished: bool,
    removed_segments: u64,
    removed_discontinuities: u64,
}

impl Package {
    /// A package for `tracks` with their edit-list `shifts`
    /// ([`PresentationShift`], as [`Mp4File`] input reports them). The
    /// init segments are ready at once.
    ///
    /// # Errors
    ///
    /// [`PackageError::TrackCount`], [`PackageError::InvalidRendition`] (an
    /// unknown or repeated track, no track, a bad name, two renditions of
    /// one name), [`PackageError::InvalidName`],
    /// [`PackageError::InvalidConfig`], the segmenter's configuration
    /// errors, and the muxers' errors for tracks they cannot carry.
    pub fn new(
        tracks: &[Track],
        shifts: &[PresentationShift],
        config: PackageConfig,
    ) -> Result<Package, PackageError> {
        if tracks.is_empty() || tracks.len() > MAX_TRACKS {
            return Err(PackageError::TrackCount {
                count: tracks.len(),
            });
        }
        config.naming.check()?;
        if let Retention::Window { segments: 0 } = config.retention {
            return Err(PackageError::InvalidConfig {
                reason: "a window keeps at least one segment",
            });
        }
        let specs = if config.renditions.is_empty() {
            RenditionSpec::cmaf_per_track(tracks)
        } else {
            config.renditions.clone()
        };
        if specs.len() > MAX_RENDITIONS {
            return Err(PackageError::InvalidConfig {
                reason: "more than 32 renditions",
            });
        }
        let mut seg_config = SegmenterConfig::for_tracks(tracks, config.target_duration).ok_or(
            PackageError::TrackCount {
                count: tracks.len(),
            },
        )?;
        if let Some(p) = config.part_target {
            seg_config = seg_config.with_part_target(p);
        }
        if let Some(m) = config.max_duration {
            seg_config = seg_config.with_max_duration(m);
        }
        let reference_timescale = seg_config.reference_timescale;
        let segmenter = Segmenter::new(seg_config)?;
        let mut renditions = Vec::with_capacity(specs.len());
        let mut writers = Vec::with_capacity(specs.len());
        let mut events = VecDeque::new();
        for spec in &specs {
            let rendition = build_rendition(spec, tracks, shifts, &config.naming, &renditions)?;
            writers.push(RenditionWriter::new(
                &spec.name,
                spec.container,
                &rendition.tracks,
                shifts,
            )?);
            if let Some(init) = &rendition.init {
                events.push_back(PackageEvent::Init {
                    rendition: renditions.len(),
                    resource: init.clone(),
                });
            }
            renditions.push(rendition);
        }
        Ok(Package {
            config,
            segmenter,
            renditions,
            writers,
            reference_timescale,
            segments: VecDeque::new(),
            open: None,
            next_discontinuity: false,
            wall_clock: None,
            events,
            version: 0,
            finished: false,
            removed_segments: 0,
            removed_discontinuities: 0,
        })
    }

    /// A package for the supported tracks of an MP4 file, with their
    /// edit-list and composition shifts. Push `file.samples()` into it.
    ///
    /// # Errors
    ///
    /// Those of [`Package::new`].
    pub fn for_mp4(file: &Mp4File, config: PackageConfig) -> Result<Package, PackageError> {
        let (tracks, shifts) = file.tracks_and_shifts();
        let mut package = Package::new(&tracks, &shifts, config)?;
        for t in file.tracks().iter().filter(|t| t.is_supported()) {
            package.set_composition_to_dts_shift(t.id(), t.composition_to_dts_shift());
        }
        Ok(package)
    }

    /// For MPEG-TS renditions: ticks to subtract from the decode times of
    /// `track_id`'s samples (and add to their composition offsets), so that
    /// samples with negative composition offsets (`ctts` version 1) decode
    /// no later than they present, as MPEG-TS requires
    /// ([`crate::mp4::Mp4Track::composition_to_dts_shift`]).
    /// [`Package::for_mp4`] sets it; CMAF carries negative offsets as they
    /// are.
    pub fn set_composition_to_dts_shift(&mut self, track_id: u32, ticks: u32) {
        for (r, w) in self.renditions.iter().zip(&mut self.writers) {
            if r.tracks.iter().any(|t| t.id == track_id) {
                w.set_composition_to_dts_shift(track_id, ticks);
            }
        }
    }

    /// The configuration.
    #[must_use]
    pub fn config(&self) -> &PackageConfig {
        &self.config
    }

    /// The renditions, in index order.
    #[must_use]
    pub fn renditions(&self) -> &[Rendition] {
        &self.renditions
    }

    /// The index of the rendition named `name`.
    #[must_use]
    pub fn rendition_index(&self, name: &str) -> Option<usize> {
        self.renditions.iter().position(|r| r.name == name)
    }

    /// The reference track's timescale: the clock of segment and part
    /// times.
    #[must_use]
    pub fn reference_timescale(&self) -> Timescale {
        self.reference_timescale
    }

    /// The complete segments kept, oldest first.
    #[must_use]
    pub fn segments(&self) -> &VecDeque<SegmentRecord> {
        &self.segments
    }

    /// The segment being made, once its first part is complete.
    #[must_use]
    pub fn open_segment(&self) -> Option<&OpenSegment> {
        self.open.as_ref()
    }

    /// The sequence number the next complete segment will have.
    #[must_use]
    pub fn next_sequence(&self) -> u64 {
        self.segments
            .back()
            .map_or(self.removed_segments, |s| s.sequence + 1)
    }

    /// How many discontinuities come before segment `sequence` (HLS's
    /// `EXT-X-DISCONTINUITY-SEQUENCE` of a playlist that starts there),
    /// counting those of segments that left the store.
    #[must_use]
    pub fn discontinuities_before(&self, sequence: u64) -> u64 {
        self.removed_discontinuities
            + self
                .segments
                .iter()
                .take_while(|s| s.sequence < sequence)
                .filter(|s| s.discontinuity)
                .count() as u64
    }

    /// `true` after [`Package::finish`].
    #[must_use]
    pub fn is_finished(&self) -> bool {
        self.finished
    }

    /// A number that changes whenever the store changes.
    #[must_use]
    pub fn version(&self) -> u64 {
        self.version
    }

    /// Says that the next segment follows a discontinuity (a new source, an
    /// encoder restart): HLS writes `EXT-X-DISCONTINUITY` before it. The
    /// segment starts at the next keyframe of the reference track.
    pub fn mark_discontinuity(&mut self) {
        self.next_discontinuity = true;
    }

    /// Links media time to the wall clock: `media` (on any timescale, a
    /// decode time of the reference track's clock) was captured at `unix`.
    /// Segments made from now on carry their wall-clock start.
    pub fn set_wall_clock(&mut self, media: MediaTime, unix: UnixTime) {
        self.wall_clock = Some((media, unix));
    }

    /// The wall-clock time of `media` on the reference clock, when the
    /// package has a wall clock.
    #[must_use]
    pub fn wall_clock_of(&self, media: MediaTime) -> Option<UnixTime> {
        let (anchor, unix) = self.wall_clock?;
        if media >= anchor {
            let d = media.checked_sub(anchor)?.to_duration()?;
            unix.checked_add(d)
        } else {
            let d = anchor.checked_sub(media)?.to_duration()?;
            unix.checked_sub(d)
        }
    }

    /// Takes what a live broadcast delivered to this package's subscriber
    /// ([`crate::live::Delivery`]): samples are pushed, a discontinuity or
    /// a skip marks the next segment as one, a wall-clock link is set, the
    /// end finishes the package.
    ///
    /// # Errors
    ///
    /// Those of [`Package::push`] and [`Package::finish`], and
    /// [`PackageError::TrackChanged`] for a codec configuration that
    /// changed mid-stream: the renditions' init segments would no longer
    /// describe the samples, so the caller starts a new package (a new
    /// presentation) for what follows.
    pub fn push_delivery(&mut self, delivery: crate::live::Delivery) -> Result<(), PackageError> {
        use crate::live::Delivery;
        match delivery {
            Delivery::Start { wall_clock, .. } => {
                if let Some((media, unix)) = wall_clock {
                    self.set_wall_clock(media, unix);
                }
                Ok(())
            }
            Delivery::Sample(sample) => self.push(sample),
            Delivery::Discontinuity | Delivery::Skipped { .. } => {
                self.mark_discontinuity();
                Ok(())
            }
            Delivery::WallClock { media, unix } => {
                self.set_wall_clock(media, unix);
                Ok(())
            }
            Delivery::TrackChanged(track) => {
                let same = self
                    .renditions
                    .iter()
                    .flat_map(|r| r.tracks.iter())
                    .any(|t| *t == track);
                if same {
                    Ok(())
                } else {
                    Err(PackageError::TrackChanged { track_id: track.id })
                }
            }
            Delivery::Ended => self.finish(),
        }
    }

    /// Takes one sample (interleaved across tracks, in decode order per
    /// track). Drain [`Package::poll_event`] afterwards.
    ///
    /// # Errors
    ///
    /// [`PackageError::UnknownTrack`], [`PackageError::Finished`], the
    /// segmenter's errors (the sample is then not taken and the package is
    /// unchanged) and the muxers' errors.
    pub fn push(&mut self, sample: Sample) -> Result<(), PackageError> {
        if self.finished {
            return Err(PackageError::Finished {
                track_id: sample.track_id,
            });
        }
        if !self
            .renditions
            .iter()
            .any(|r| r.tracks.iter().any(|t| t.id == sample.track_id))
        {
            return Err(PackageError::UnknownTrack {
                track_id: sample.track_id,
                dts: sample.dts,
            });
        }
        self.segmenter.push(sample)?;
        self.drain_segmenter()
    }

    /// Ends the stream: the last segment is cut and
    /// [`PackageEvent::Finished`] reported. A second call does nothing.
    ///
    /// # Errors
    ///
    /// The muxers' errors.
    pub fn finish(&mut self) -> Result<(), PackageError> {
        if self.finished {
            return Ok(());
        }
        self.finished = true;
        self.segmenter.finish();
        self.drain_segmenter()?;
        self.events.push_back(PackageEvent::Finished);
        self.version += 1;
        Ok(())
    }

    /// The next event, or `None` until the next call.
    #[must_use]
    pub fn poll_event(&mut self) -> Option<PackageEvent> {
        self.events.pop_front()
    }

    /// The resource named `name` (relative, as [`Naming`] makes names):
    /// an init segment, a kept segment (complete, or the open one with the
    /// parts made so far), or a part (with [`PackageConfig::part_target`]).
    #[must_use]
    pub fn resource(&self, name: &str) -> Option<ResourceView<'_>> {
        let (index, file) = self.split_name(name)?;
        let rendition = &self.renditions[index];
        let kind = self.config.naming.parse_file(rendition.container, file)?;
        let view = |chunks, complete| ResourceView {
            rendition: index,
            kind,
            content_type: rendition.content_type,
            chunks,
            complete,
        };
        match kind {
            ResourceKind::Init => rendition
                .init
                .as_ref()
                .map(|r| view(Chunks::One(&r.body), true)),
            ResourceKind::Segment { sequence } => {
                if let Some(seg) = self.segment(sequence) {
                    let r = &seg.renditions[index];
                    return (!r.is_empty()).then(|| view(Chunks::Parts(&r.parts), true));
                }
                let open = self.open.as_ref().filter(|o| o.sequence == sequence)?;
                Some(view(Chunks::Parts(&open.renditions[index].parts), false))
            }
            ResourceKind::Part {
                sequence,
                index: part,
            } => {
                self.config.part_target?;
                let parts = match self.segment(sequence) {
                    Some(seg) => &seg.renditions[index].parts,
                    None => {
                        &self
                            .open
                            .as_ref()
                            .filter(|o| o.sequence == sequence)?
                            .renditions[index]
                            .parts
                    }
                };
                parts
                    .iter()
                    .find(|p| p.index == part)
                    .map(|p| view(Chunks::One(&p.body), true))
            }
        }
    }

    /// Every resource in the store, in order: the init segments, then per
    /// kept complete segment each rendition's segment (and, with parts,
    /// its parts before it). The open segment is left out. A program that
    /// writes a finished package to files writes these.
    pub fn resources(&self) -> impl Iterator<Item = (String, ResourceView<'_>)> + '_ {
        let naming = &self.config.naming;
        let low_latency = self.config.part_target.is_some();
        let inits = self.renditions.iter().enumerate().filter_map(|(i, r)| {
            let init = r.init.as_ref()?;
            Some((
                init.name.clone(),
                ResourceView {
                    rendition: i,
                    kind: ResourceKind::Init,
                    content_type: r.content_type,
                    chunks: Chunks::One(&init.body),
                    complete: true,
                },
            ))
        });
        let media = self.segments.iter().flat_map(move |s| {
            self.renditions
                .iter()
                .enumerate()
                .filter(move |(i, _)| !s.renditions[*i].is_empty())
                .flat_map(move |(i, r)| {
                    let rs = &s.renditions[i];
                    let parts = rs.parts.iter().filter(move |_| low_latency).map(move |p| {
                        let kind = ResourceKind::Part {
                            sequence: s.sequence,
                            index: p.index,
                        };
                        (
                            naming.name(&r.name, r.container, kind),
                            ResourceView {
                                rendition: i,
                                kind,
                                content_type: r.content_type,
                                chunks: Chunks::One(&p.body),
                                complete: true,
                            },
                        )
                    });
                    let kind = ResourceKind::Segment {
                        sequence: s.sequence,
                    };
                    parts.chain(core::iter::once((
                        naming.name(&r.name, r.container, kind),
                        ResourceView {
                            rendition: i,
                            kind,
                            content_type: r.content_type,
                            chunks: Chunks::Parts(&rs.parts),
                            complete: true,
                        },
                    )))
                })
        });
        inits.chain(media)
    }

    /// The kept complete segment `sequence`.
    #[must_use]
    pub fn segment(&self, sequence: u64) -> Option<&SegmentRecord> {
        let first = self.segments.front()?.sequence;
        let i = usize::try_from(sequence.checked_sub(first)?).ok()?;
        self.segments.get(i)
    }

    /// The rendition a name belongs to, and the rest of the name.
    fn split_name<'n>(&self, name: &'n str) -> Option<(usize, &'n str)> {
        // The longest rendition name that prefixes `name` (so `ts/main`
        // wins over a rendition `ts`).
        self.renditions
            .iter()
            .enumerate()
            .filter_map(|(i, r)| {
                let rest = name.strip_prefix(r.name.as_str())?.strip_prefix('/')?;
                Some((i, r.name.len(), rest))
            })
            .max_by_key(|(_, len, _)| *len)
            .map(|(i, _, rest)| (i, rest))
    }

    fn drain_segmenter(&mut self) -> Result<(), PackageError> {
        let mut changed = false;
        while let Some(event) = self.segmenter.poll() {
            match event {
                SegmentEvent::Part(part) => {
                    self.on_part(part)?;
                    changed = true;
                }
                SegmentEvent::Segment(segment) => {
                    self.on_segment(&segment);
                    changed = true;
                }
                SegmentEvent::Dropped(dropped) => {
                    self.events.push_back(PackageEvent::SampleDropped(dropped));
                }
            }
        }
        if changed {
            self.version += 1;
        }
        Ok(())
    }

    fn on_part(&mut self, part: SegmenterPart) -> Result<(), PackageError> {
        let sequence = part.segment_sequence;
        if self.open.as_ref().is_none_or(|o| o.sequence != sequence) {
            let start = part.timing.start;
            let discontinuity = core::mem::take(&mut self.next_discontinuity);
            self.open = Some(OpenSegment {
                sequence,
                start,
                discontinuity,
                wall_clock: self.wall_clock_of(start),
                parts: Vec::new(),
                renditions: vec![RenditionSegment::default(); self.renditions.len()],
                carried: vec![0; self.renditions.len()],
            });
        }
        let low_latency = self.config.part_target.is_some();
        let timing = part.timing;
        let single = self.renditions.len() == 1;
        let mut made = Vec::new();
        {
            let Some(open) = self.open.as_mut() else {
                return Ok(());
            };
            open.parts.push(PartRecord {
                index: timing.index,
                start: timing.start,
                duration: timing.duration,
                independent: timing.independent,
            });
            for (r, rendition) in self.renditions.iter_mut().enumerate() {
                let filtered: Vec<Sample>;
                let samples: &[Sample] = if single {
                    &part.samples
                } else {
                    filtered = part
                        .samples
                        .iter()
                        .filter(|s| rendition.tracks.iter().any(|t| t.id == s.track_id))
                        .cloned()
                        .collect();
                    &filtered
                };
                let seg = &mut open.renditions[r];
                if samples.is_empty() {
                    open.carried[r] += timing.duration.ticks();
                    continue;
                }
                let (mut body, run) =
                    self.writers[r].write(&rendition.name, samples, seg.is_empty())?;
                if let Some(min) = self.config.coalesce_below {
                    body = body.coalesce(min);
                }
                if let Some(v) = rendition
                    .tracks
                    .iter()
                    .find(|t| t.kind() == MediaKind::Video)
                {
                    for s in samples.iter().filter(|s| s.track_id == v.id) {
                        rendition.video_frames += 1;
                        rendition.video_ticks += u64::from(s.duration);
                    }
                }
                let duration = MediaTime::new(
                    timing.duration.ticks() + core::mem::take(&mut open.carried[r]),
                    self.reference_timescale,
                );
                let independent = rendition.kind != MediaKind::Video || timing.independent;
                if let Some((tfdt, d)) = run {
                    seg.decode_time = Some(match seg.decode_time {
                        None => (tfdt, d),
                        Some((t0, _)) => (t0, (tfdt + d).saturating_sub(t0)),
                    });
                }
                seg.bytes += body.len();
                seg.sample_count += samples.len();
                seg.parts.push(RenditionPart {
                    index: timing.index,
                    duration,
                    independent,
                    body: body.clone(),
                });
                if low_latency {
                    made.push((r, body));
                }
            }
        }
        for (r, body) in made {
            let rendition = &self.renditions[r];
            let kind = ResourceKind::Part {
                sequence,
                index: timing.index,
            };
            self.events.push_back(PackageEvent::Part {
                rendition: r,
                sequence,
                index: timing.index,
                resource: Resource {
                    name: self
                        .config
                        .naming
                        .name(&rendition.name, rendition.container, kind),
                    content_type: rendition.content_type,
                    body,
                },
            });
        }
        Ok(())
    }

    fn on_segment(&mut self, segment: &SegmenterSegment) {
        let Some(open) = self.open.take() else {
            return;
        };
        let mut renditions = open.renditions;
        // Time a rendition had no sample in at the end of the segment goes
        // to its last part, so its parts add up to the segment.
        for (r, carried) in open.carried.iter().enumerate() {
            if let Some(last) = renditions[r].parts.last_mut() {
                last.duration =
                    MediaTime::new(last.duration.ticks() + carried, last.duration.timescale());
            }
        }
        let record = SegmentRecord {
            sequence: segment.sequence,
            start: segment.start,
            duration: segment.duration,
            independent: segment.independent,
            discontinuity: open.discontinuity,
            wall_clock: open.wall_clock,
            parts: open.parts,
            renditions: core::mem::take(&mut renditions),
        };
        for (r, rendition) in self.renditions.iter().enumerate() {
            let rs = &record.renditions[r];
            if rs.is_empty() {
                continue;
            }
            let kind = ResourceKind::Segment {
                sequence: record.sequence,
            };
            self.events.push_back(PackageEvent::Segment {
                rendition: r,
                sequence: record.sequence,
                resource: Resource {
                    name: self
                        .config
                        .naming
                        .name(&rendition.name, rendition.container, kind),
                    content_type: rendition.content_type,
                    body: rs.body(),
                },
            });
        }
        self.segments.push_back(record);
        if let Retention::Window { segments } = self.config.retention {
            while self.segments.len() > segments {
                let Some(old) = self.segments.pop_front() else {
                    break;
                };
                self.removed_segments = old.sequence + 1;
                self.removed_discontinuities += u64::from(old.discontinuity);
                self.report_removed(&old);
            }
        }
    }

    fn report_removed(&mut self, old: &SegmentRecord) {
        let low_latency = self.config.part_target.is_some();
        for (r, rendition) in self.renditions.iter().enumerate() {
            let rs = &old.renditions[r];
            if rs.is_empty() {
                continue;
            }
            if low_latency {
                for p in &rs.parts {
                    let kind = ResourceKind::Part {
                        sequence: old.sequence,
                        index: p.index,
                    };
                    self.events.push_back(PackageEvent::Removed {
                        name: self
                            .config
                            .naming
                            .name(&rendition.name, rendition.container, kind),
                    });
                }
            }
            let kind = ResourceKind::Segment {
                sequence: old.sequence,
            };
            self.events.push_back(PackageEvent::Removed {
                name: self
                    .config
                    .naming
                    .name(&rendition.name, rendition.container, kind),
            });
        }
    }
}

/// Checks `spec` and makes its rendition (and init segment).
fn build_rendition(
    spec: &RenditionSpec,
    tracks: &[Track],
    shifts: &[PresentationShift],
    naming: &Naming,
    before: &[Rendition],
) -> Result<Rendition, PackageError> {
    let invalid = |reason| PackageError::InvalidRendition {
        rendition: spec.name.clone(),
        reason,
    };
    if !naming::plain_rendition(&spec.name) {
        return Err(invalid("the name is not a plain relative path"));
    }
    if before.iter().any(|r| {
        r.name == spec.name
            || r.name.starts_with(&format!("{}/", spec.name))
            || spec.name.starts_with(&format!("{}/", r.name))
    }) {
        return Err(invalid(
            "the name is taken, or nests with another rendition's",
        ));
    }
    if spec.track_ids.is_empty() {
        return Err(invalid("no track"));
    }
    let mut own = Vec::with_capacity(spec.track_ids.len());
    for id in &spec.track_ids {
        if own.iter().any(|t: &Track| t.id == *id) {
            return Err(invalid("a track is listed twice"));
        }
        let t = tracks
            .iter()
            .find(|t| t.id == *id)
            .ok_or_else(|| invalid("a track id is not among the package's tracks"))?;
        own.push(t.clone());
    }
    let kind = if own.iter().any(|t| t.kind() == MediaKind::Video) {
        MediaKind::Video
    } else {
        MediaKind::Audio
    };
    let content_type = match (spec.container, kind) {
        (Container::MpegTs, _) => CONTENT_TYPE_TS,
        (Container::Cmaf, MediaKind::Video) => CONTENT_TYPE_MP4_VIDEO,
        (Container::Cmaf, _) => CONTENT_TYPE_MP4_AUDIO,
    };
    let init = match spec.container {
        Container::MpegTs => None,
        Container::Cmaf => {
            let own_shifts: Vec<PresentationShift> = shifts
                .iter()
                .filter(|s| own.iter().any(|t| t.id == s.track_id))
                .copied()
                .collect();
            let bytes = init_segment_with_shifts(&own, &own_shifts).map_err(|source| {
                PackageError::Fmp4 {
                    rendition: spec.name.clone(),
                    source,
                }
            })?;
            Some(Resource {
                name: naming.name(&spec.name, Container::Cmaf, ResourceKind::Init),
                content_type,
                body: BufferList::from(bytes),
            })
        }
    };
    Ok(Rendition {
        name: spec.name.clone(),
        container: spec.container,
        tracks: own,
        kind,
        content_type,
        init,
        video_frames: 0,
        video_ticks: 0,
    })
}

/// Rounds `t` up to whole seconds (at least one): HLS's
/// `EXT-X-TARGETDURATION` of a target.
#[must_use]
pub fn whole_seconds_up(t: MediaTime) -> u64 {
    u64::try_from(t.rescale(Timescale::SECONDS, Rounding::Up).ticks())
        .unwrap_or(1)
        .max(1)
}

#[cfg(test)]
mod tests;
