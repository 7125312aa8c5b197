//! What a [`Package`](super::Package)(super::Package) made and keeps: its renditions, the
//! records of its segments and parts, and views of its resources.

use crate::buffer::BufferList;
use crate::clock::UnixTime;
use crate::codec::MediaKind;
use crate::segment::DroppedSample;
use crate::time::MediaTime;
use crate::track::Track;

use super::{Container, ResourceKind};

/// A resource the package made: its name, content type and bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resource {
    /// Relative name (see [`Naming`](super::Naming)).
    pub name: String,
    /// HTTP content type.
    pub content_type: &'static str,
    /// The bytes, as shared buffers.
    pub body: BufferList,
}

/// What [`Package::poll_event`](super::Package::poll_event) reports.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum PackageEvent {
    /// A rendition's init segment (CMAF; all come first, from
    /// [`Package::new`](super::Package::new)).
    Init {
        /// The rendition's index.
        rendition: usize,
        /// The init segment.
        resource: Resource,
    },
    /// A part is complete (only with [`PackageConfig::part_target`](super::PackageConfig::part_target)).
    Part {
        /// The rendition's index.
        rendition: usize,
        /// The segment's sequence number.
        sequence: u64,
        /// The part's index within the segment.
        index: u32,
        /// The part.
        resource: Resource,
    },
    /// A segment of a rendition is complete (not reported for a rendition
    /// that has no sample in it).
    Segment {
        /// The rendition's index.
        rendition: usize,
        /// The segment's sequence number.
        sequence: u64,
        /// The segment: the concatenation of its parts.
        resource: Resource,
    },
    /// A resource left the store ([`Retention::Window`](super::Retention::Window)): it may be
    /// deleted.
    Removed {
        /// Its name.
        name: String,
    },
    /// A sample was left out: a video sample before the stream's first
    /// keyframe, which no segment can start with.
    SampleDropped(DroppedSample),
    /// [`Package::finish`](super::Package::finish) was called: the store is complete.
    Finished,
}

/// A rendition, as the package made it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendition {
    /// Its name (the directory of its resources).
    pub name: String,
    /// Its container.
    pub container: Container,
    /// Its tracks, in the order given.
    pub tracks: Vec<Track>,
    /// Video when it holds video, else audio.
    pub kind: MediaKind,
    /// The content type of its segments and parts.
    pub content_type: &'static str,
    /// Its init segment (CMAF), for its current codec configuration.
    pub init: Option<Resource>,
    /// The version of [`Rendition::init`]: 0 at first, one more at each
    /// change of the rendition's codec configuration (MPEG-TS renditions
    /// count too, though they have no init segment).
    pub init_version: u32,
    /// Init segments of earlier configurations that a kept segment (or the
    /// open one) still uses, oldest first. One leaves when the last segment
    /// that uses it leaves the store.
    pub earlier_inits: Vec<InitVersion>,
    pub(super) video_frames: u64,
    pub(super) video_ticks: u64,
}

impl Rendition {
    /// The init segment of version `version`, while the store keeps it.
    #[must_use]
    pub fn init_of_version(&self, version: u32) -> Option<&Resource> {
        if version == self.init_version {
            return self.init.as_ref();
        }
        self.earlier_inits
            .iter()
            .find(|e| e.version == version)
            .map(|e| &e.init)
    }

    /// The tracks as init segment version `version` describes them, while
    /// the store keeps it.
    #[must_use]
    pub fn tracks_of_version(&self, version: u32) -> Option<&[Track]> {
        if version == self.init_version {
            return Some(&self.tracks);
        }
        self.earlier_inits
            .iter()
            .find(|e| e.version == version)
            .map(|e| e.tracks.as_slice())
    }

    /// The track that describes the rendition: its first video track, else
    /// its first track.
    #[must_use]
    pub fn main_track(&self) -> &Track {
        self.tracks
            .iter()
            .find(|t| t.kind() == MediaKind::Video)
            .unwrap_or(&self.tracks[0])
    }

    /// The frame rate measured from the video samples so far, as
    /// `(frames, seconds)` scaled to integers: `frames / seconds` is the
    /// rate; `None` without video.
    #[must_use]
    pub fn measured_frame_rate(&self) -> Option<(u64, u64)> {
        let ts = self
            .tracks
            .iter()
            .find(|t| t.kind() == MediaKind::Video)?
            .timescale;
        (self.video_ticks > 0).then(|| {
            (
                self.video_frames.saturating_mul(u64::from(ts.hz())),
                self.video_ticks,
            )
        })
    }
}

/// An earlier init segment of a rendition and the tracks it describes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InitVersion {
    /// Its version ([`Rendition::init_version`] when it was current).
    pub version: u32,
    /// The rendition's tracks in that configuration.
    pub tracks: Vec<Track>,
    /// The init segment.
    pub init: Resource,
}

/// Where a codec configuration change took effect: the first segment of
/// the new configuration ([`Package::change_track`](super::Package::change_track)).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConfigurationStart {
    /// How many changes took effect up to this one (1 for the first).
    pub number: u64,
    /// The sequence number of its first segment.
    pub sequence: u64,
    /// That segment's start, on the reference timescale.
    pub start: MediaTime,
}

/// The timing of one part of a segment, on the reference timescale.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PartRecord {
    /// The part's index within its segment.
    pub index: u32,
    /// Its start (decode time of the reference track).
    pub start: MediaTime,
    /// Its duration.
    pub duration: MediaTime,
    /// `true` when it starts with a keyframe of the reference track.
    pub independent: bool,
}

/// One part of a rendition's segment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenditionPart {
    /// The part's index within its segment (the segmenter's: a rendition
    /// that had no sample in an earlier part skips that index).
    pub index: u32,
    /// Its duration on the reference timescale, including the parts before
    /// it in which this rendition had no sample.
    pub duration: MediaTime,
    /// `true` when decoding can start at it (video: it starts with a
    /// keyframe; audio: always).
    pub independent: bool,
    /// Its bytes.
    pub body: BufferList,
}

/// What one rendition holds of one segment.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RenditionSegment {
    /// Its parts, in order (one, without low latency).
    pub parts: Vec<RenditionPart>,
    /// Its size in bytes.
    pub bytes: u64,
    /// CMAF: the first track's `tfdt` (decode time, in that track's
    /// timescale) and decode duration, once it has a sample.
    pub decode_time: Option<(u64, u64)>,
    /// How many samples it holds.
    pub sample_count: usize,
    /// The version of the rendition's init segment that describes its
    /// samples ([`Rendition::init_of_version`]).
    pub init_version: u32,
}

impl RenditionSegment {
    /// `true` when the rendition has no sample in the segment (so far).
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.parts.is_empty()
    }

    /// The segment's bytes: its parts' buffers, in order (no copy).
    #[must_use]
    pub fn body(&self) -> BufferList {
        let mut body =
            BufferList::with_capacity(self.parts.iter().map(|p| p.body.buffers().len()).sum());
        for p in &self.parts {
            body.append(p.body.clone());
        }
        body
    }
}

/// A complete segment: its timing and what each rendition holds of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SegmentRecord {
    /// Its sequence number (HLS media sequence number, DASH `$Number$`).
    pub sequence: u64,
    /// Its start, on the reference timescale.
    pub start: MediaTime,
    /// Its duration, on the reference timescale.
    pub duration: MediaTime,
    /// `true` when it starts with a keyframe of the reference track.
    pub independent: bool,
    /// `true` when it follows a discontinuity
    /// ([`Package::mark_discontinuity`](super::Package::mark_discontinuity)).
    pub discontinuity: bool,
    /// The wall-clock time of its start, when the package has a wall
    /// clock ([`Package::set_wall_clock`](super::Package::set_wall_clock)).
    pub wall_clock: Option<UnixTime>,
    /// Its parts' timing.
    pub parts: Vec<PartRecord>,
    /// Per rendition, in rendition order.
    pub renditions: Vec<RenditionSegment>,
}

/// The segment being made: the parts complete so far.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenSegment {
    /// Its sequence number.
    pub sequence: u64,
    /// Its start, on the reference timescale.
    pub start: MediaTime,
    /// `true` when it follows a discontinuity.
    pub discontinuity: bool,
    /// The wall-clock time of its start, when known.
    pub wall_clock: Option<UnixTime>,
    /// The complete parts' timing.
    pub parts: Vec<PartRecord>,
    /// Per rendition, the complete parts.
    pub renditions: Vec<RenditionSegment>,
    /// Duration of parts each rendition had no sample in, since its last
    /// part (reference ticks).
    pub(super) carried: Vec<i64>,
}

/// The chunks of a resource: one for an init segment or a part, one per
/// part for a segment.
#[derive(Debug, Clone, Copy)]
pub enum Chunks<'a> {
    /// A single buffer list.
    One(&'a BufferList),
    /// A segment's parts.
    Parts(&'a [RenditionPart]),
}

impl<'a> Chunks<'a> {
    /// How many chunks there are (so far).
    #[must_use]
    pub fn len(&self) -> usize {
        match self {
            Chunks::One(_) => 1,
            Chunks::Parts(p) => p.len(),
        }
    }

    /// `true` when there is none yet.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Chunk `index`.
    #[must_use]
    pub fn get(&self, index: usize) -> Option<&'a BufferList> {
        match self {
            Chunks::One(b) => (index == 0).then_some(*b),
            Chunks::Parts(p) => p.get(index).map(|p| &p.body),
        }
    }

    /// Every chunk's buffers, in order (no copy).
    #[must_use]
    pub fn body(&self) -> BufferList {
        match self {
            Chunks::One(b) => (*b).clone(),
            Chunks::Parts(parts) => {
                let mut body = BufferList::new();
                for p in *parts {
                    body.append(p.body.clone());
                }
                body
            }
        }
    }
}

/// A resource in the store, looked up by name.
#[derive(Debug, Clone, Copy)]
pub struct ResourceView<'a> {
    /// The rendition's index.
    pub rendition: usize,
    /// What it is.
    pub kind: ResourceKind,
    /// Its content type.
    pub content_type: &'static str,
    /// Its chunks so far.
    pub chunks: Chunks<'a>,
    /// `false` for a segment still being made: more chunks will come.
    pub complete: bool,
}
