//! The HLS packager: samples in, segments, parts and playlists out.
//!
//! A [`Packager`] is a Sans-IO state machine. The caller pushes the
//! interleaved samples of a presentation ([`Packager::push`]; from an MP4
//! file, [`Packager::for_mp4`] gives the tracks and their edit-list shifts)
//! and, after each push, drains [`Packager::poll`] until it returns `None`.
//! The events say what to store or serve: init segments, parts, segments,
//! updated media playlists, the multivariant playlist, and resources that
//! left a live window. [`Packager::finish`] ends the stream (VOD playlists
//! are complete only then). Nothing is written anywhere by the packager.
//!
//! # Renditions
//!
//! With [`RenditionLayout::PerTrack`] every track is its own rendition: the
//! video rendition is the variant stream and each audio track an
//! `EXT-X-MEDIA` rendition of the `audio` group; every rendition is one
//! track, as CMAF wants and as DASH can reference the same files. With
//! [`RenditionLayout::Muxed`] all tracks share one rendition (one variant,
//! no `EXT-X-MEDIA`), which every player reads, MPEG-TS players most of all.
//! [`RenditionLayout::default_for`] picks per-track for fMP4 and muxed for
//! MPEG-TS. All renditions are cut at the same places: one segmenter on the
//! reference track (the first video track) decides the segment and part
//! boundaries, so media sequence numbers and part indices agree between
//! renditions (which rendition reports rely on).
//!
//! # Names
//!
//! Every resource is named by a relative path `<rendition>/<file>`, with
//! the defaults of [`Naming`]:
//!
//! | resource | name |
//! |---|---|
//! | multivariant playlist | `master.m3u8` |
//! | media playlist | `<rendition>/index.m3u8` |
//! | init segment (fMP4) | `<rendition>/init.mp4` |
//! | segment `n` | `<rendition>/seg-<n>.m4s` (fMP4), `<rendition>/seg-<n>.ts` |
//! | part `p` of segment `n` | `<rendition>/seg-<n>.<p>.m4s`, `.ts` |
//!
//! Renditions are named `video`, `audio` (`audio2`, ... for more audio
//! tracks) or, muxed, `main`. URIs in the playlists are relative to the
//! playlist that holds them. A segment is the concatenation of its parts'
//! bytes (one `moof` + `mdat` per part in fMP4, or one per segment without
//! parts), so the same files serve HLS and DASH.
//!
//! # Timing
//!
//! Segment and part durations come from the segmenter (the reference
//! track's decode times). For fMP4, edit-list shifts go into the init
//! segment; for MPEG-TS they are added to each sample's times, so audio and
//! video keep the alignment the source file gives them.
//!
//! ```
//! use bytes::Bytes;
//! use streamkit_core::mp4::Mp4File;
//! use streamkit_core::time::{MediaTime, Timescale};
//! use streamkit_hls::packager::{Packager, PackagerConfig, PackagerEvent, SegmentFormat};
//!
//! let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/fixtures/h264_aac.mp4");
//! let file = Mp4File::parse(Bytes::from(std::fs::read(path)?))?;
//! let config = PackagerConfig::vod(SegmentFormat::Fmp4, MediaTime::new(2, Timescale::SECONDS));
//! let mut packager = Packager::for_mp4(&file, config)?;
//! let mut names = Vec::new();
//! for sample in file.samples() {
//!     packager.push(sample)?;
//!     while let Some(event) = packager.poll() {
//!         if let PackagerEvent::Segment(s) = event {
//!             names.push(s.resource.name);
//!         }
//!     }
//! }
//! packager.finish()?;
//! while let Some(event) = packager.poll() {
//!     if let PackagerEvent::Segment(s) = event {
//!         names.push(s.resource.name);
//!     }
//! }
//! assert_eq!(names.len(), 10); // 5 segments, video and audio
//! assert_eq!(names[0], "video/seg-0.m4s");
//! assert_eq!(names[1], "audio/seg-0.m4s");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::collections::VecDeque;
use std::time::Duration;

use bytes::Bytes;
use streamkit_core::buffer::BufferList;
use streamkit_core::codec::MediaKind;
use streamkit_core::fmp4::{Fmp4Error, FragmentWriter, init_segment_with_shifts};
use streamkit_core::mp4::Mp4File;
use streamkit_core::sample::PresentationShift;
use streamkit_core::sample::Sample;
use streamkit_core::segment::{
    DroppedSample, Part as SegmenterPart, Segment as SegmenterSegment, SegmentError, SegmentEvent,
    Segmenter, SegmenterConfig,
};
use streamkit_core::time::{MediaTime, Rounding, Timescale};
use streamkit_core::track::Track;
use streamkit_core::ts::{TsError, TsMuxer};

use crate::playlist::{
    BitRates, FrameRate, Map, MediaPlaylist, MediaSegment, MultivariantPlaylist, Part, PartInf,
    PartialSegment, PlaylistType, PreloadHint, ProgramDateTime, Rendition as MediaRendition,
    RenditionReport, Resolution, ServerControl, VariantStream,
};

/// Content type of playlists.
pub const CONTENT_TYPE_PLAYLIST: &str = "application/vnd.apple.mpegurl";
/// Content type of MPEG-TS segments.
pub const CONTENT_TYPE_TS: &str = "video/mp2t";
/// Content type of fMP4 segments and init segments with video.
pub const CONTENT_TYPE_MP4_VIDEO: &str = "video/mp4";
/// Content type of fMP4 segments and init segments of audio only.
pub const CONTENT_TYPE_MP4_AUDIO: &str = "audio/mp4";

/// The most tracks a packager takes.
pub const MAX_TRACKS: usize = 16;

/// Why a packager could not be built or refused input.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PackagerError {
    /// The configuration cannot work.
    #[error("packager configuration: {reason}")]
    InvalidConfig {
        /// What is wrong.
        reason: &'static str,
    },
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
    /// A sample after [`Packager::finish`].
    #[error("packager: sample of track {track_id} pushed after the end of the stream")]
    Finished {
        /// The sample's track.
        track_id: u32,
    },
    /// The segmenter refused a sample.
    #[error(transparent)]
    Segment(#[from] SegmentError),
    /// The fMP4 writer failed.
    #[error("rendition {rendition}: {source}")]
    Fmp4 {
        /// The rendition's name.
        rendition: String,
        /// What the writer said.
        source: Fmp4Error,
    },
    /// The MPEG-TS muxer failed.
    #[error("rendition {rendition}: {source}")]
    Ts {
        /// The rendition's name.
        rendition: String,
        /// What the muxer said.
        source: TsError,
    },
}

/// The container of segments.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SegmentFormat {
    /// MPEG-TS segments (`.ts`).
    Ts,
    /// Fragmented MP4 / CMAF segments (`.m4s`) with an init segment.
    Fmp4,
}

impl SegmentFormat {
    /// The file extension of segments and parts, without the dot.
    #[must_use]
    pub fn extension(self) -> &'static str {
        match self {
            SegmentFormat::Ts => "ts",
            SegmentFormat::Fmp4 => "m4s",
        }
    }
}

/// What kind of playlist the packager keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PlaylistKind {
    /// Video on demand: playlists are complete at [`Packager::finish`]
    /// (EXT-X-PLAYLIST-TYPE:VOD, EXT-X-ENDLIST); no playlist event before.
    Vod,
    /// An event: segments are only added (EXT-X-PLAYLIST-TYPE:EVENT).
    Event,
    /// Live with a sliding window of `window` segments: older segments (and
    /// their parts) leave the playlist and are reported as
    /// [`PackagerEvent::Removed`], EXT-X-MEDIA-SEQUENCE advances.
    ///
    /// EXT-X-TARGETDURATION is the target duration rounded up to whole
    /// seconds; a segment that runs longer (a keyframe later than the
    /// target) raises it, since every EXTINF must round to at most it. Keep
    /// keyframes on the target's grid so that it never changes.
    Live {
        /// How many complete segments the playlist lists (at least 3).
        window: usize,
    },
}

/// How tracks map to renditions. See the [module documentation](self).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RenditionLayout {
    /// All tracks in one rendition.
    Muxed,
    /// One rendition per track.
    PerTrack,
}

impl RenditionLayout {
    /// Per-track for fMP4, muxed for MPEG-TS.
    #[must_use]
    pub fn default_for(format: SegmentFormat) -> RenditionLayout {
        match format {
            SegmentFormat::Fmp4 => RenditionLayout::PerTrack,
            SegmentFormat::Ts => RenditionLayout::Muxed,
        }
    }
}

/// Resource names. See the [module documentation](self) for the scheme.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Naming {
    /// The multivariant playlist.
    pub multivariant: String,
    /// Each rendition's media playlist, inside the rendition's directory.
    pub media_playlist: String,
    /// Each rendition's init segment (fMP4).
    pub init: String,
    /// Segment file names start with this, then the media sequence number.
    pub segment_prefix: String,
    /// The rendition of all tracks ([`RenditionLayout::Muxed`]).
    pub muxed_rendition: String,
    /// The video rendition (a number follows from the second on).
    pub video_rendition: String,
    /// The audio rendition (a number follows from the second on).
    pub audio_rendition: String,
}

impl Default for Naming {
    fn default() -> Self {
        Naming {
            multivariant: "master.m3u8".into(),
            media_playlist: "index.m3u8".into(),
            init: "init.mp4".into(),
            segment_prefix: "seg-".into(),
            muxed_rendition: "main".into(),
            video_rendition: "video".into(),
            audio_rendition: "audio".into(),
        }
    }
}

/// How a [`Packager`] packages.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct PackagerConfig {
    /// MPEG-TS or fMP4.
    pub format: SegmentFormat,
    /// Segments last at least this long (they are cut at the next keyframe).
    pub target_duration: MediaTime,
    /// Low-latency parts of at most this duration; `None`: no parts.
    pub part_target: Option<MediaTime>,
    /// VOD, EVENT or live window.
    pub kind: PlaylistKind,
    /// Renditions: muxed or one per track.
    pub layout: RenditionLayout,
    /// Resource names.
    pub naming: Naming,
    /// The wall-clock time (Unix milliseconds) of decode time zero on the
    /// reference track; when set, every segment gets an
    /// EXT-X-PROGRAM-DATE-TIME. The packager reads no clock: the caller
    /// says when the stream started.
    pub program_date_time: Option<i64>,
}

impl PackagerConfig {
    /// A VOD configuration: `format`, segments of at least
    /// `target_duration`, the format's default layout, default names.
    #[must_use]
    pub fn vod(format: SegmentFormat, target_duration: MediaTime) -> PackagerConfig {
        PackagerConfig {
            format,
            target_duration,
            part_target: None,
            kind: PlaylistKind::Vod,
            layout: RenditionLayout::default_for(format),
            naming: Naming::default(),
            program_date_time: None,
        }
    }

    /// A live configuration with a window of `window` segments.
    #[must_use]
    pub fn live(
        format: SegmentFormat,
        target_duration: MediaTime,
        window: usize,
    ) -> PackagerConfig {
        PackagerConfig {
            kind: PlaylistKind::Live { window },
            ..PackagerConfig::vod(format, target_duration)
        }
    }

    /// The same configuration with low-latency parts of at most `part_target`.
    #[must_use]
    pub fn with_part_target(mut self, part_target: MediaTime) -> PackagerConfig {
        self.part_target = Some(part_target);
        self
    }

    /// The same configuration with another playlist kind.
    #[must_use]
    pub fn with_kind(mut self, kind: PlaylistKind) -> PackagerConfig {
        self.kind = kind;
        self
    }

    /// The same configuration with another rendition layout.
    #[must_use]
    pub fn with_layout(mut self, layout: RenditionLayout) -> PackagerConfig {
        self.layout = layout;
        self
    }

    /// The same configuration with EXT-X-PROGRAM-DATE-TIME on every
    /// segment, decode time zero being `unix_millis`.
    #[must_use]
    pub fn with_program_date_time(mut self, unix_millis: i64) -> PackagerConfig {
        self.program_date_time = Some(unix_millis);
        self
    }

    /// The same configuration with other names.
    #[must_use]
    pub fn with_naming(mut self, naming: Naming) -> PackagerConfig {
        self.naming = naming;
        self
    }
}

/// A named resource the packager produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resource {
    /// Index of the rendition (in [`Packager::renditions`]).
    pub rendition: usize,
    /// Its name: a relative path, `<rendition>/<file>`.
    pub name: String,
    /// Its HTTP content type.
    pub content_type: &'static str,
    /// Its bytes, as buffers to write or send in order.
    pub body: BufferList,
}

/// A complete part (low-latency HLS).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartReady {
    /// The part's bytes and name.
    pub resource: Resource,
    /// The media sequence number of its segment.
    pub segment_sequence: u64,
    /// Its index within the segment, from 0.
    pub index: u32,
    /// Its duration.
    pub duration: Duration,
    /// `true` when it starts with a keyframe (INDEPENDENT=YES).
    pub independent: bool,
}

/// A complete segment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SegmentReady {
    /// The segment's bytes (the concatenation of its parts) and name.
    pub resource: Resource,
    /// Its media sequence number.
    pub sequence: u64,
    /// Its duration.
    pub duration: Duration,
}

/// What a [`Packager`] reports.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum PackagerEvent {
    /// A rendition's init segment (fMP4), before any of its segments.
    InitSegment(Resource),
    /// A part is complete (only with a part target).
    Part(PartReady),
    /// A segment is complete.
    Segment(SegmentReady),
    /// A rendition's media playlist changed (live and EVENT: after every
    /// batch of new parts and segments; VOD: once, at the end).
    MediaPlaylist {
        /// Index of the rendition.
        rendition: usize,
        /// The playlist's name.
        name: String,
        /// The playlist.
        playlist: Box<MediaPlaylist>,
    },
    /// The multivariant playlist changed (its bit rates are measured from
    /// the segments so far; final at [`Packager::finish`]).
    MultivariantPlaylist {
        /// The playlist's name.
        name: String,
        /// The playlist.
        playlist: Box<MultivariantPlaylist>,
    },
    /// A sample was left out: a video sample before the stream's first
    /// keyframe, which no segment can start with.
    SampleDropped(DroppedSample),
    /// A segment or part left the live window: it may be deleted.
    Removed {
        /// Index of the rendition.
        rendition: usize,
        /// The resource's name.
        name: String,
    },
}

/// One rendition, as the packager describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenditionInfo {
    /// Its name (the directory of its resources).
    pub name: String,
    /// The name of its media playlist.
    pub playlist_name: String,
    /// Its tracks.
    pub tracks: Vec<Track>,
    /// Video (the rendition holds video) or audio.
    pub kind: MediaKind,
}

#[derive(Debug)]
enum Muxer {
    Ts(Box<TsMuxer>),
    Fmp4(FragmentWriter),
}

#[derive(Debug)]
struct RenditionState {
    info: RenditionInfo,
    muxer: Muxer,
    /// Per track, for MPEG-TS: the edit-list shift and the
    /// composition-to-decode shift.
    shifts: Vec<(u32, i64, u32)>,
    init: Option<Bytes>,
    playlist: MediaPlaylist,
    /// The current segment's bytes so far.
    pending: BufferList,
    /// Duration of parts that had no sample of this rendition, added to its
    /// next part.
    carried: Duration,
    /// `(bytes, duration)` of the listed segments (all for VOD and EVENT).
    sizes: VecDeque<(u64, Duration)>,
    video_frames: u64,
    video_ticks: u64,
    video_timescale: Option<Timescale>,
    /// Parts of listed segments, oldest first, for removal.
    listed_parts: VecDeque<(u64, Vec<String>)>,
    dirty: bool,
}

/// The HLS packager. See the [module documentation](self).
#[derive(Debug)]
pub struct Packager {
    config: PackagerConfig,
    segmenter: Segmenter,
    renditions: Vec<RenditionState>,
    /// Rendition index of each track id.
    track_rendition: Vec<(u32, usize)>,
    events: VecDeque<PackagerEvent>,
    target_seconds: u64,
    finished: bool,
}

fn to_duration(t: MediaTime) -> Duration {
    t.to_duration().unwrap_or_default()
}

fn rendition_name(base: &str, n: usize) -> String {
    if n == 0 {
        base.to_owned()
    } else {
        format!("{base}{}", n + 1)
    }
}

impl Packager {
    /// A packager for `tracks`; `shifts` are their edit-list shifts
    /// ([`PresentationShift`], as [`Mp4File`] input reports them).
    ///
    /// # Errors
    /// [`PackagerError::TrackCount`], [`PackagerError::InvalidConfig`] (a
    /// part target above the target duration, a live window under 3), and
    /// the muxers' errors for tracks they cannot carry.
    pub fn new(
        tracks: &[Track],
        shifts: &[PresentationShift],
        config: PackagerConfig,
    ) -> Result<Packager, PackagerError> {
        if tracks.is_empty() || tracks.len() > MAX_TRACKS {
            return Err(PackagerError::TrackCount {
                count: tracks.len(),
            });
        }
        if matches!(config.kind, PlaylistKind::Live { window } if window < 3) {
            return Err(PackagerError::InvalidConfig {
                reason: "a live window holds at least 3 segments",
            });
        }
        let mut seg_config = SegmenterConfig::for_tracks(tracks, config.target_duration).ok_or(
            PackagerError::TrackCount {
                count: tracks.len(),
            },
        )?;
        if let Some(p) = config.part_target {
            seg_config = seg_config.with_part_target(p);
        }
        let segmenter = Segmenter::new(seg_config)?;
        let target_seconds = u64::try_from(
            config
                .target_duration
                .rescale(Timescale::SECONDS, Rounding::Up)
                .ticks(),
        )
        .unwrap_or(1)
        .max(1);

        // Group tracks into renditions.
        let mut groups: Vec<(String, Vec<Track>)> = Vec::new();
        match config.layout {
            RenditionLayout::Muxed => {
                groups.push((config.naming.muxed_rendition.clone(), tracks.to_vec()));
            }
            RenditionLayout::PerTrack => {
                let (mut videos, mut audios) = (0, 0);
                for t in tracks {
                    let name = match t.kind() {
                        MediaKind::Video => {
                            videos += 1;
                            rendition_name(&config.naming.video_rendition, videos - 1)
                        }
                        _ => {
                            audios += 1;
                            rendition_name(&config.naming.audio_rendition, audios - 1)
                        }
                    };
                    groups.push((name, vec![t.clone()]));
                }
            }
        }
        let mut renditions = Vec::with_capacity(groups.len());
        let mut track_rendition = Vec::with_capacity(tracks.len());
        for (index, (name, group)) in groups.into_iter().enumerate() {
            for t in &group {
                track_rendition.push((t.id, index));
            }
            renditions.push(RenditionState::new(
                name,
                group,
                shifts,
                &config,
                target_seconds,
            )?);
        }
        let mut packager = Packager {
            config,
            segmenter,
            renditions,
            track_rendition,
            events: VecDeque::new(),
            target_seconds,
            finished: false,
        };
        for (index, r) in packager.renditions.iter().enumerate() {
            if let Some(init) = &r.init {
                packager
                    .events
                    .push_back(PackagerEvent::InitSegment(Resource {
                        rendition: index,
                        name: format!("{}/{}", r.info.name, packager.config.naming.init),
                        content_type: r.mp4_content_type(),
                        body: BufferList::from(init.clone()),
                    }));
            }
        }
        Ok(packager)
    }

    /// A packager for the supported tracks of an MP4 file, with their
    /// edit-list shifts. Push `file.samples()` into it.
    ///
    /// # Errors
    /// Those of [`Packager::new`].
    pub fn for_mp4(file: &Mp4File, config: PackagerConfig) -> Result<Packager, PackagerError> {
        let (tracks, shifts) = file.tracks_and_shifts();
        let mut packager = Packager::new(&tracks, &shifts, config)?;
        for t in file.tracks().iter().filter(|t| t.is_supported()) {
            packager.set_composition_to_dts_shift(t.id(), t.composition_to_dts_shift());
        }
        Ok(packager)
    }

    /// For MPEG-TS output: ticks to subtract from the decode times of
    /// `track_id`'s samples (and add to their composition offsets), so that
    /// samples with negative composition offsets (`ctts` version 1) decode
    /// no later than they present, as MPEG-TS requires
    /// ([`streamkit_core::mp4::Mp4Track::composition_to_dts_shift`]).
    /// [`Packager::for_mp4`] sets it; fMP4 output carries negative offsets
    /// as they are and ignores it.
    pub fn set_composition_to_dts_shift(&mut self, track_id: u32, ticks: u32) {
        for r in &mut self.renditions {
            if !r.info.tracks.iter().any(|t| t.id == track_id) {
                continue;
            }
            match r.shifts.iter_mut().find(|(t, _, _)| *t == track_id) {
                Some(entry) => entry.2 = ticks,
                None => r.shifts.push((track_id, 0, ticks)),
            }
        }
    }

    /// The configuration.
    #[must_use]
    pub fn config(&self) -> &PackagerConfig {
        &self.config
    }

    /// The renditions, in index order.
    pub fn renditions(&self) -> impl ExactSizeIterator<Item = &RenditionInfo> {
        self.renditions.iter().map(|r| &r.info)
    }

    /// The current media playlist of rendition `index`.
    #[must_use]
    pub fn media_playlist(&self, index: usize) -> Option<&MediaPlaylist> {
        self.renditions.get(index).map(|r| &r.playlist)
    }

    /// Pushes one sample (interleaved with the other tracks' samples, in
    /// decode order per track). Drain [`Packager::poll`] afterwards.
    ///
    /// # Errors
    /// [`PackagerError::UnknownTrack`], [`PackagerError::Finished`], the
    /// segmenter's errors (the sample is then ignored and the packager
    /// unchanged), and the muxers' errors.
    pub fn push(&mut self, sample: Sample) -> Result<(), PackagerError> {
        if self.finished {
            return Err(PackagerError::Finished {
                track_id: sample.track_id,
            });
        }
        if !self
            .track_rendition
            .iter()
            .any(|(t, _)| *t == sample.track_id)
        {
            return Err(PackagerError::UnknownTrack {
                track_id: sample.track_id,
                dts: sample.dts,
            });
        }
        self.segmenter.push(sample)?;
        self.drain_segmenter()
    }

    /// Ends the stream: the last segment is cut, playlists get
    /// EXT-X-ENDLIST, and the final playlists are reported. Drain
    /// [`Packager::poll`] afterwards.
    ///
    /// # Errors
    /// The muxers' errors.
    pub fn finish(&mut self) -> Result<(), PackagerError> {
        if self.finished {
            return Ok(());
        }
        self.finished = true;
        self.segmenter.finish();
        self.drain_segmenter()?;
        for r in &mut self.renditions {
            r.playlist.end_list = true;
            r.playlist.preload_hints.clear();
            r.playlist.partial_segment = None;
            r.dirty = true;
        }
        self.emit_playlists();
        Ok(())
    }

    /// The next event, if any.
    #[must_use]
    pub fn poll(&mut self) -> Option<PackagerEvent> {
        self.events.pop_front()
    }

    fn drain_segmenter(&mut self) -> Result<(), PackagerError> {
        let mut any = false;
        while let Some(event) = self.segmenter.poll() {
            match event {
                SegmentEvent::Part(part) => {
                    self.on_part(part)?;
                    any = true;
                }
                SegmentEvent::Segment(segment) => {
                    self.on_segment(&segment);
                    any = true;
                }
                SegmentEvent::Dropped(dropped) => {
                    self.events.push_back(PackagerEvent::SampleDropped(dropped));
                }
                _ => {}
            }
        }
        if any && self.config.kind != PlaylistKind::Vod {
            self.emit_playlists();
        }
        Ok(())
    }

    fn rendition_of(&self, track_id: u32) -> Option<usize> {
        self.track_rendition
            .iter()
            .find(|(t, _)| *t == track_id)
            .map(|(_, r)| *r)
    }

    fn on_part(&mut self, part: SegmenterPart) -> Result<(), PackagerError> {
        let seq = part.segment_sequence;
        let index = part.timing.index;
        let duration = to_duration(part.timing.duration);
        let low_latency = self.config.part_target.is_some();
        let ext = self.config.format.extension();
        let single = self.renditions.len() == 1;
        for r in 0..self.renditions.len() {
            let samples: Vec<Sample>;
            let slice: &[Sample] = if single {
                &part.samples
            } else {
                samples = part
                    .samples
                    .iter()
                    .filter(|s| self.rendition_of(s.track_id) == Some(r))
                    .cloned()
                    .collect();
                &samples
            };
            let state = &mut self.renditions[r];
            if slice.is_empty() {
                state.carried += duration;
                continue;
            }
            let body = state.write(slice, index == 0 || state.pending.is_empty())?;
            state.count_video(slice);
            state.pending.append(body.clone());
            let part_duration = duration + std::mem::take(&mut state.carried);
            let independent = if state.info.kind == MediaKind::Video {
                part.timing.independent
            } else {
                true
            };
            if low_latency {
                let name = format!(
                    "{}/{}{seq}.{index}.{ext}",
                    state.info.name, self.config.naming.segment_prefix
                );
                let file = format!("{}{seq}.{index}.{ext}", self.config.naming.segment_prefix);
                let partial = state
                    .playlist
                    .partial_segment
                    .get_or_insert_with(PartialSegment::default);
                partial.parts.push(Part {
                    independent,
                    ..Part::new(part_duration, file)
                });
                let next = format!(
                    "{}{seq}.{}.{ext}",
                    self.config.naming.segment_prefix,
                    index + 1
                );
                state.playlist.preload_hints = vec![PreloadHint::part(next)];
                state.dirty = true;
                self.events.push_back(PackagerEvent::Part(PartReady {
                    resource: Resource {
                        rendition: r,
                        name,
                        content_type: state.content_type(self.config.format),
                        body,
                    },
                    segment_sequence: seq,
                    index,
                    duration: part_duration,
                    independent,
                }));
            }
        }
        Ok(())
    }

    fn on_segment(&mut self, segment: &SegmenterSegment) {
        let seq = segment.sequence;
        let duration = to_duration(segment.duration);
        let ext = self.config.format.extension();
        let prefix = self.config.naming.segment_prefix.clone();
        let kind = self.config.kind;
        let target = Duration::from_secs(self.target_seconds);
        for r in 0..self.renditions.len() {
            let state = &mut self.renditions[r];
            let file = format!("{prefix}{seq}.{ext}");
            let name = format!("{}/{file}", state.info.name);
            let body = std::mem::take(&mut state.pending);
            let mut media = MediaSegment::new(duration, file);
            if body.is_empty() {
                // No sample of this rendition in the whole segment.
                media.gap = true;
            }
            if let Some(epoch) = self.config.program_date_time {
                let offset = segment
                    .start
                    .rescale(Timescale::MILLIS, Rounding::Nearest)
                    .ticks();
                media.program_date_time = Some(ProgramDateTime::from_unix_millis(
                    epoch.saturating_add(offset),
                ));
            }
            if state.playlist.segments.is_empty() && state.init.is_some() {
                media.map = Some(Map::new(self.config.naming.init.clone()));
            }
            let partial = state.playlist.partial_segment.take();
            if let Some(p) = partial {
                let names = p
                    .parts
                    .iter()
                    .map(|part| format!("{}/{}", state.info.name, part.uri))
                    .collect();
                state.listed_parts.push_back((seq, names));
                media.parts = p.parts;
            }
            state.playlist.segments.push(media);
            state.sizes.push_back((body.len(), duration));
            let next = format!("{prefix}{}.0.{ext}", seq + 1);
            if self.config.part_target.is_some() {
                state.playlist.preload_hints = vec![PreloadHint::part(next)];
            }
            state.dirty = true;
            if !body.is_empty() {
                self.events.push_back(PackagerEvent::Segment(SegmentReady {
                    resource: Resource {
                        rendition: r,
                        name,
                        content_type: state.content_type(self.config.format),
                        body,
                    },
                    sequence: seq,
                    duration,
                }));
            }
            // Parts stay listed for three target durations from the end.
            state.trim_parts(3 * target, &mut self.events, r);
            if let PlaylistKind::Live { window } = kind {
                let excess = state.playlist.segments.len().saturating_sub(window);
                for dropped in state.playlist.segments.iter().take(excess) {
                    if !dropped.gap {
                        self.events.push_back(PackagerEvent::Removed {
                            rendition: r,
                            name: format!("{}/{}", state.info.name, dropped.uri),
                        });
                    }
                }
                for _ in 0..excess {
                    state.sizes.pop_front();
                }
                state.playlist.slide_window(window);
                let first = state.playlist.media_sequence;
                while state
                    .listed_parts
                    .front()
                    .is_some_and(|(seq, _)| *seq < first)
                {
                    if let Some((_, names)) = state.listed_parts.pop_front() {
                        for name in names {
                            self.events
                                .push_back(PackagerEvent::Removed { rendition: r, name });
                        }
                    }
                }
            }
        }
    }

    fn emit_playlists(&mut self) {
        let reports: Vec<RenditionReport> = if self.renditions.len() > 1
            && self.config.part_target.is_some()
            && self.config.kind != PlaylistKind::Vod
        {
            self.renditions
                .iter()
                .map(|r| {
                    let next = r.playlist.next_media_sequence();
                    let parts = r
                        .playlist
                        .partial_segment
                        .as_ref()
                        .map_or(0, |p| p.parts.len() as u64);
                    let (msn, part) = if parts > 0 {
                        (next, parts - 1)
                    } else {
                        let last = next.saturating_sub(1);
                        let last_parts = r.playlist.segments.last().map_or(0, |s| s.parts.len());
                        (last, (last_parts as u64).saturating_sub(1))
                    };
                    RenditionReport {
                        uri: format!("../{}/{}", r.info.name, self.config.naming.media_playlist),
                        last_msn: Some(msn),
                        last_part: Some(part),
                        other_attributes: Default::default(),
                    }
                })
                .collect()
        } else {
            Vec::new()
        };
        let mut any = false;
        for (index, r) in self.renditions.iter_mut().enumerate() {
            if !r.dirty {
                continue;
            }
            r.dirty = false;
            any = true;
            if !reports.is_empty() {
                r.playlist.rendition_reports = reports
                    .iter()
                    .enumerate()
                    .filter(|(i, _)| *i != index)
                    .map(|(_, rep)| rep.clone())
                    .collect();
            }
            self.events.push_back(PackagerEvent::MediaPlaylist {
                rendition: index,
                name: r.info.playlist_name.clone(),
                playlist: Box::new(r.playlist.clone()),
            });
        }
        if any
            && self
                .renditions
                .iter()
                .all(|r| !r.playlist.segments.is_empty())
        {
            self.events.push_back(PackagerEvent::MultivariantPlaylist {
                name: self.config.naming.multivariant.clone(),
                playlist: Box::new(self.multivariant_playlist()),
            });
        }
    }

    /// The multivariant playlist as of now: CODECS, RESOLUTION and
    /// FRAME-RATE from the tracks (FRAME-RATE from the SPS, else measured),
    /// BANDWIDTH and AVERAGE-BANDWIDTH measured from the listed segments
    /// (video plus the largest audio rendition).
    #[must_use]
    pub fn multivariant_playlist(&self) -> MultivariantPlaylist {
        let target = self.target_seconds;
        let rates: Vec<BitRates> = self
            .renditions
            .iter()
            .map(|r| BitRates::measure(r.sizes.iter().copied(), target))
            .collect();
        let mut out = MultivariantPlaylist {
            independent_segments: true,
            ..Default::default()
        };
        let has_video = self
            .renditions
            .iter()
            .any(|r| r.info.kind == MediaKind::Video);
        let audio: Vec<usize> = (0..self.renditions.len())
            .filter(|&i| has_video && self.renditions[i].info.kind == MediaKind::Audio)
            .collect();
        let audio_rate = audio
            .iter()
            .map(|&i| rates[i])
            .fold(BitRates::default(), |a, b| BitRates {
                peak: a.peak.max(b.peak),
                average: a.average.max(b.average),
            });
        let audio_codecs: Vec<String> = audio
            .iter()
            .filter_map(|&i| self.renditions[i].info.tracks.first())
            .map(Track::codec_string)
            .fold(Vec::new(), |mut v, c| {
                if !v.contains(&c) {
                    v.push(c);
                }
                v
            });
        for (n, &i) in audio.iter().enumerate() {
            let r = &self.renditions[i];
            let mut rendition = MediaRendition::audio("audio", r.info.name.clone());
            rendition.default = n == 0;
            rendition.autoselect = true;
            rendition.language = r
                .info
                .tracks
                .first()
                .and_then(|t| t.language_str())
                .filter(|l| *l != "und")
                .map(str::to_owned);
            rendition.channels = r
                .info
                .tracks
                .first()
                .and_then(|t| t.codec.channels())
                .map(|c| c.to_string());
            rendition.uri = Some(r.info.playlist_name.clone());
            out.renditions.push(rendition);
        }
        for (i, r) in self.renditions.iter().enumerate() {
            if audio.contains(&i) {
                continue;
            }
            let mut rate = rates[i];
            let mut codecs: Vec<String> = r.info.tracks.iter().map(Track::codec_string).collect();
            if !audio.is_empty() {
                rate = rate + audio_rate;
                codecs.extend(audio_codecs.iter().cloned());
            }
            let mut variant = VariantStream::new(r.info.playlist_name.clone(), rate.peak);
            variant.average_bandwidth = Some(rate.average);
            variant.codecs = codecs;
            if let Some(video) = r.info.tracks.iter().find(|t| t.kind() == MediaKind::Video) {
                variant.resolution = video.codec.dimensions().map(|(w, h)| Resolution {
                    width: u64::from(w),
                    height: u64::from(h),
                });
                variant.frame_rate = video
                    .codec
                    .frame_rate()
                    .and_then(|f| FrameRate::from_ratio(u64::from(f.num), u64::from(f.den)))
                    .or_else(|| r.measured_frame_rate());
            }
            if !audio.is_empty() {
                variant.audio = Some("audio".into());
            }
            out.variants.push(variant);
        }
        out
    }
}

impl RenditionState {
    fn new(
        name: String,
        tracks: Vec<Track>,
        shifts: &[PresentationShift],
        config: &PackagerConfig,
        target_seconds: u64,
    ) -> Result<RenditionState, PackagerError> {
        let kind = if tracks.iter().any(|t| t.kind() == MediaKind::Video) {
            MediaKind::Video
        } else {
            MediaKind::Audio
        };
        let own_shifts: Vec<PresentationShift> = shifts
            .iter()
            .filter(|s| tracks.iter().any(|t| t.id == s.track_id))
            .copied()
            .collect();
        let (muxer, init) = match config.format {
            SegmentFormat::Ts => (
                Muxer::Ts(Box::new(TsMuxer::new(&tracks).map_err(|source| {
                    PackagerError::Ts {
                        rendition: name.clone(),
                        source,
                    }
                })?)),
                None,
            ),
            SegmentFormat::Fmp4 => (
                Muxer::Fmp4(FragmentWriter::new(&tracks)),
                Some(
                    init_segment_with_shifts(&tracks, &own_shifts).map_err(|source| {
                        PackagerError::Fmp4 {
                            rendition: name.clone(),
                            source,
                        }
                    })?,
                ),
            ),
        };
        let mut playlist = MediaPlaylist {
            target_duration: target_seconds,
            ..Default::default()
        };
        match config.kind {
            PlaylistKind::Vod => playlist.playlist_type = Some(PlaylistType::Vod),
            PlaylistKind::Event | PlaylistKind::Live { .. } => {
                if config.kind == PlaylistKind::Event {
                    playlist.playlist_type = Some(PlaylistType::Event);
                }
                playlist.server_control = Some(ServerControl {
                    can_block_reload: true,
                    can_skip_until: Some(Duration::from_secs(6 * target_seconds)),
                    part_hold_back: config.part_target.map(|p| 3 * to_duration(p)),
                    ..Default::default()
                });
            }
        }
        if let Some(p) = config.part_target {
            playlist.part_inf = Some(PartInf::new(to_duration(p)));
        }
        let video_timescale = tracks
            .iter()
            .find(|t| t.kind() == MediaKind::Video)
            .map(|t| t.timescale);
        Ok(RenditionState {
            info: RenditionInfo {
                playlist_name: format!("{name}/{}", config.naming.media_playlist),
                name,
                tracks,
                kind,
            },
            muxer,
            shifts: own_shifts
                .iter()
                .map(|s| (s.track_id, s.ticks, 0))
                .collect(),
            init,
            playlist,
            pending: BufferList::new(),
            carried: Duration::ZERO,
            sizes: VecDeque::new(),
            video_frames: 0,
            video_ticks: 0,
            video_timescale,
            listed_parts: VecDeque::new(),
            dirty: false,
        })
    }

    fn mp4_content_type(&self) -> &'static str {
        match self.info.kind {
            MediaKind::Video => CONTENT_TYPE_MP4_VIDEO,
            _ => CONTENT_TYPE_MP4_AUDIO,
        }
    }

    fn content_type(&self, format: SegmentFormat) -> &'static str {
        match format {
            SegmentFormat::Ts => CONTENT_TYPE_TS,
            SegmentFormat::Fmp4 => self.mp4_content_type(),
        }
    }

    fn count_video(&mut self, samples: &[Sample]) {
        if let Some(ts) = self.video_timescale {
            for s in samples.iter().filter(|s| s.timescale == ts) {
                self.video_frames += 1;
                self.video_ticks += u64::from(s.duration);
            }
        }
    }

    fn measured_frame_rate(&self) -> Option<FrameRate> {
        let ts = self.video_timescale?;
        FrameRate::from_ratio(
            self.video_frames.checked_mul(u64::from(ts.hz()))?,
            self.video_ticks,
        )
    }

    fn write(
        &mut self,
        samples: &[Sample],
        segment_start: bool,
    ) -> Result<BufferList, PackagerError> {
        match &mut self.muxer {
            Muxer::Fmp4(writer) => {
                writer
                    .write_fragment(samples)
                    .map(|f| f.bytes)
                    .map_err(|source| PackagerError::Fmp4 {
                        rendition: self.info.name.clone(),
                        source,
                    })
            }
            Muxer::Ts(muxer) => {
                let estimate: usize = samples.iter().map(|s| s.data.len()).sum();
                let mut out = Vec::with_capacity(estimate + estimate / 20 + 4 * 188);
                let err = |source| PackagerError::Ts {
                    rendition: self.info.name.clone(),
                    source,
                };
                if segment_start {
                    muxer.begin_segment(&mut out).map_err(err)?;
                }
                for s in samples {
                    let (shift, cts_shift) = self
                        .shifts
                        .iter()
                        .find(|(t, _, _)| *t == s.track_id)
                        .map_or((0, 0), |(_, v, c)| (*v, *c));
                    if shift == 0 && cts_shift == 0 {
                        muxer.write_sample(s, &mut out).map_err(err)?;
                    } else {
                        let mut shifted = s.clone();
                        shifted.dts = shifted
                            .dts
                            .saturating_add(shift)
                            .saturating_sub(i64::from(cts_shift));
                        shifted.composition_offset = shifted
                            .composition_offset
                            .saturating_add(i32::try_from(cts_shift).unwrap_or(i32::MAX));
                        muxer.write_sample(&shifted, &mut out).map_err(err)?;
                    }
                }
                Ok(BufferList::from(Bytes::from(out)))
            }
        }
    }

    /// Drops the parts of segments that end three target durations or more
    /// before the end of the playlist.
    fn trim_parts(&mut self, keep: Duration, events: &mut VecDeque<PackagerEvent>, index: usize) {
        let mut remaining: Duration = self.playlist.segments.iter().map(|s| s.duration).sum();
        let len = self.playlist.segments.len();
        for i in 0..len {
            let d = self.playlist.segments[i].duration;
            remaining = remaining.saturating_sub(d);
            if remaining < keep {
                break;
            }
            let seg = &mut self.playlist.segments[i];
            if !seg.parts.is_empty() {
                seg.parts.clear();
            }
        }
        let first_with_parts = self
            .playlist
            .segments
            .iter()
            .position(|s| !s.parts.is_empty());
        let keep_from = first_with_parts
            .map(|p| self.playlist.media_sequence + p as u64)
            .unwrap_or(u64::MAX);
        while let Some((seq, _)) = self.listed_parts.front() {
            if *seq >= keep_from {
                break;
            }
            if let Some((_, names)) = self.listed_parts.pop_front() {
                for name in names {
                    events.push_back(PackagerEvent::Removed {
                        rendition: index,
                        name,
                    });
                }
            }
        }
    }
}
