//! How a [`Package`](super::Package)(super::Package) cuts, muxes, names and keeps.

use crate::codec::MediaKind;
use crate::time::MediaTime;
use crate::track::Track;

use super::Naming;

/// The container of a rendition's segments.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Container {
    /// Fragmented MP4 / CMAF (`.m4s`) with an init segment.
    Cmaf,
    /// MPEG-TS (`.ts`), self-initializing.
    MpegTs,
}

/// One rendition to make: its name (a directory, such as `video` or
/// `ts/main`), its container and the tracks it carries.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RenditionSpec {
    /// The rendition's name: one or more path components.
    pub name: String,
    /// CMAF or MPEG-TS.
    pub container: Container,
    /// The tracks it carries, in this order.
    pub track_ids: Vec<u32>,
}

impl RenditionSpec {
    /// One CMAF rendition per track: `video`, `audio`, then `video2`,
    /// `audio2`, ... for further tracks of a kind.
    #[must_use]
    pub fn cmaf_per_track(tracks: &[Track]) -> Vec<RenditionSpec> {
        let (mut videos, mut audios) = (0usize, 0usize);
        tracks
            .iter()
            .map(|t| {
                let (count, base) = match t.kind() {
                    MediaKind::Video => (&mut videos, "video"),
                    _ => (&mut audios, "audio"),
                };
                *count += 1;
                let name = if *count == 1 {
                    base.to_owned()
                } else {
                    format!("{base}{count}")
                };
                RenditionSpec {
                    name,
                    container: Container::Cmaf,
                    track_ids: vec![t.id],
                }
            })
            .collect()
    }

    /// One rendition named `name` that carries every track of `tracks`.
    #[must_use]
    pub fn muxed(name: impl Into<String>, container: Container, tracks: &[Track]) -> RenditionSpec {
        RenditionSpec {
            name: name.into(),
            container,
            track_ids: tracks.iter().map(|t| t.id).collect(),
        }
    }
}

/// How long the package keeps what it made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Retention {
    /// Everything (video on demand, events).
    All,
    /// The last `segments` complete segments (a live window: what a
    /// playlist lists plus what clients that just read it may still ask
    /// for); older ones are dropped and reported as
    /// [`PackageEvent::Removed`](super::PackageEvent::Removed).
    Window {
        /// How many complete segments are kept (at least 1).
        segments: usize,
    },
}

/// How a [`Package`](super::Package) cuts, muxes, names and keeps.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct PackageConfig {
    /// Segments last at least this long (they are cut at the next keyframe
    /// of the reference track).
    pub target_duration: MediaTime,
    /// Parts of at most this long (low-latency HLS parts, low-latency DASH
    /// chunks); `None`: one part per segment, and no part resources.
    pub part_target: Option<MediaTime>,
    /// A segment without a keyframe is cut when it reaches this long;
    /// `None`: three target durations.
    pub max_duration: Option<MediaTime>,
    /// The renditions; empty: one CMAF rendition per track.
    pub renditions: Vec<RenditionSpec>,
    /// What is kept.
    pub retention: Retention,
    /// Resource names.
    pub naming: Naming,
    /// When set, runs of buffers shorter than this in a part (box headers,
    /// short audio frames) are copied once into shared chunks when the
    /// part is made, so that a segment is a few buffers to write instead of
    /// one per sample. Larger buffers are never copied.
    pub coalesce_below: Option<usize>,
}

impl PackageConfig {
    /// Segments of at least `target_duration`, no parts, one CMAF rendition
    /// per track, everything kept, default names, no coalescing.
    #[must_use]
    pub fn new(target_duration: MediaTime) -> PackageConfig {
        PackageConfig {
            target_duration,
            part_target: None,
            max_duration: None,
            renditions: Vec::new(),
            retention: Retention::All,
            naming: Naming::default(),
            coalesce_below: None,
        }
    }

    /// The same with parts of at most `part_target`.
    #[must_use]
    pub fn with_part_target(mut self, part_target: MediaTime) -> PackageConfig {
        self.part_target = Some(part_target);
        self
    }

    /// The same with these renditions.
    #[must_use]
    pub fn with_renditions(mut self, renditions: Vec<RenditionSpec>) -> PackageConfig {
        self.renditions = renditions;
        self
    }

    /// The same keeping only the last `segments` complete segments.
    #[must_use]
    pub fn with_window(mut self, segments: usize) -> PackageConfig {
        self.retention = Retention::Window { segments };
        self
    }

    /// The same with other names.
    #[must_use]
    pub fn with_naming(mut self, naming: Naming) -> PackageConfig {
        self.naming = naming;
        self
    }

    /// The same with forced cuts at `max_duration`.
    #[must_use]
    pub fn with_max_duration(mut self, max_duration: MediaTime) -> PackageConfig {
        self.max_duration = Some(max_duration);
        self
    }

    /// The same coalescing buffers shorter than `bytes`.
    #[must_use]
    pub fn with_coalescing(mut self, bytes: usize) -> PackageConfig {
        self.coalesce_below = Some(bytes);
        self
    }
}
