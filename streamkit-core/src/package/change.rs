//! Codec configurations that change mid-stream:
//! [`Package::change_track`] and what it sets in motion.

use core::mem::discriminant;

use super::{Container, Package, PackageError, PackageEvent, ResourceKind};
use crate::buffer::BufferList;
use crate::fmp4::init_segment_with_shifts;
use crate::sample::{PresentationShift, Sample};
use crate::segment::{DropReason, DroppedSample};
use crate::track::Track;

use super::record::{InitVersion, Resource};

impl Package {
    /// Takes a new codec configuration of track `track.id` mid-stream (a new
    /// SPS: an encoder that changes resolution or profile, a camera
    /// switching day and night profiles). What follows:
    ///
    /// - The next segment starts at the next keyframe of the reference track
    ///   (the first video track), however short the open segment is, and
    ///   follows a discontinuity in **every** rendition (the segment records
    ///   carry one flag, so HLS's discontinuity sequence stays aligned across
    ///   renditions).
    /// - Each rendition that carries a changed track gets a new init segment
    ///   version ([`Rendition::init_version`], named `init-<v>.mp4` by
    ///   [`Naming`](super::Naming)); its segments from the change on say so
    ///   ([`RenditionSegment::init_version`]). Renditions whose tracks did not
    ///   change (audio, when the video's SPS changed) keep their init segment.
    ///   MPEG-TS renditions carry the new parameter sets in-band, with the same
    ///   PIDs, and count a version too.
    /// - Samples of a changed track between the change and the segment that
    ///   starts the new configuration are left out and reported
    ///   ([`PackageEvent::SampleDropped`] with
    ///   [`DropReason::BeforeNewConfiguration`]): the old init segment does not
    ///   describe them, and a video frame there depends on frames of the old
    ///   configuration.
    /// - An earlier init segment stays in the store while a kept segment uses
    ///   it, and leaves it ([`PackageEvent::Removed`]) with the last one.
    ///
    /// What is not handled: a track whose codec itself changes (H.264 to
    /// H.265, AAC to Opus) or whose clock changes. Players cannot switch
    /// decoders within one HLS variant or DASH representation, and MPEG-TS
    /// would need a new program; [`PackageError::UnsupportedTrackChange`] says
    /// so, and the caller starts a new package.
    ///
    /// [`Rendition::init_version`]: super::Rendition::init_version
    /// [`RenditionSegment::init_version`]: super::RenditionSegment::init_version
    /// [`PackageEvent::SampleDropped`]: super::PackageEvent::SampleDropped
    /// [`PackageEvent::Removed`]: super::PackageEvent::Removed
    ///
    /// # Errors
    ///
    /// [`PackageError::UnknownTrack`] for a track the package does not
    /// carry, [`PackageError::Finished`] after [`Package::finish`], and
    /// [`PackageError::UnsupportedTrackChange`] for a change of codec or
    /// clock. The package is unchanged then.
    pub fn change_track(&mut self, track: Track) -> Result<(), PackageError> {
        if self.finished {
            return Err(PackageError::Finished { track_id: track.id });
        }
        let Some(current) = self.current_track(track.id).cloned() else {
            return Err(PackageError::UnknownTrack {
                track_id: track.id,
                dts: 0,
            });
        };
        let unsupported = |reason| PackageError::UnsupportedTrackChange {
            track_id: track.id,
            from: current.codec_string(),
            to: track.codec_string(),
            reason,
        };
        if discriminant(&current.codec) != discriminant(&track.codec) {
            return Err(unsupported("the codec itself changed"));
        }
        if current.timescale != track.timescale {
            return Err(unsupported("the track's clock changed"));
        }
        let newest = self
            .changes
            .pending
            .iter()
            .rev()
            .chain(
                self.changes
                    .ready
                    .iter()
                    .rev()
                    .flat_map(|(_, b)| b.iter().rev()),
            )
            .find(|t| t.id == track.id)
            .unwrap_or(&current);
        if *newest == track {
            return Ok(());
        }
        self.changes.pending.retain(|t| t.id != track.id);
        self.changes.pending.push(track);
        self.segmenter.cut_at_next_keyframe();
        Ok(())
    }

    /// The track as the renditions describe it now.
    fn current_track(&self, id: u32) -> Option<&Track> {
        self.renditions
            .iter()
            .flat_map(|r| r.tracks.iter())
            .find(|t| t.id == id)
    }

    /// Before a push: `true` when `sample` waits for the segment of its
    /// track's new configuration and is left out (reported).
    pub(super) fn left_out_for_change(&mut self, sample: &Sample) -> bool {
        if self.changes.pending.is_empty()
            || !self.changes.pending.iter().any(|t| t.id == sample.track_id)
            || !self.segmenter.is_cut_requested()
        {
            return false;
        }
        let reference = self.segmenter.config().reference_track;
        if sample.track_id == reference && sample.keyframe {
            return false;
        }
        self.events
            .push_back(PackageEvent::SampleDropped(DroppedSample {
                track_id: sample.track_id,
                dts: sample.dts,
                reason: DropReason::BeforeNewConfiguration,
            }));
        true
    }

    /// After a push: once the segmenter cut at the keyframe, the pending
    /// changes belong to the segment it opened.
    pub(super) fn note_cut(&mut self) {
        if !self.changes.pending.is_empty() && !self.segmenter.is_cut_requested() {
            let pending = core::mem::take(&mut self.changes.pending);
            let at = self.segmenter.open_sequence().unwrap_or(0);
            self.changes.ready.push((at, pending));
        }
    }

    /// When segment `sequence` opens: applies the changes whose cut it is
    /// (or was). Returns `true` when one was applied (the segment follows a
    /// discontinuity).
    pub(super) fn apply_ready_changes(&mut self, sequence: u64) -> Result<bool, PackageError> {
        let mut any = false;
        while self
            .changes
            .ready
            .first()
            .is_some_and(|(at, _)| *at <= sequence)
        {
            let (_, batch) = self.changes.ready.remove(0);
            any |= self.apply_changes(&batch)?;
        }
        Ok(any)
    }

    /// Gives the renditions that carry a track of `batch` its new
    /// configuration, a new init version and a muxer that follows it.
    fn apply_changes(&mut self, batch: &[Track]) -> Result<bool, PackageError> {
        let mut any = false;
        for r in 0..self.renditions.len() {
            let rendition = &mut self.renditions[r];
            let previous_tracks = rendition.tracks.clone();
            let mut changed = false;
            for t in batch {
                if let Some(own) = rendition.tracks.iter_mut().find(|o| o.id == t.id)
                    && own != t
                {
                    *own = t.clone();
                    changed = true;
                }
            }
            if !changed {
                continue;
            }
            any = true;
            self.writers[r].update_tracks(&rendition.name, &rendition.tracks)?;
            let version = rendition.init_version + 1;
            if rendition.container == Container::Cmaf {
                let shifts: Vec<PresentationShift> = self
                    .shifts
                    .iter()
                    .filter(|s| rendition.tracks.iter().any(|t| t.id == s.track_id))
                    .copied()
                    .collect();
                let bytes =
                    init_segment_with_shifts(&rendition.tracks, &shifts).map_err(|source| {
                        PackageError::Fmp4 {
                            rendition: rendition.name.clone(),
                            source,
                        }
                    })?;
                let init = Resource {
                    name: self.config.naming.name(
                        &rendition.name,
                        Container::Cmaf,
                        ResourceKind::Init { version },
                    ),
                    content_type: rendition.content_type,
                    body: BufferList::from(bytes),
                };
                if let Some(old) = rendition.init.replace(init.clone()) {
                    rendition.earlier_inits.push(InitVersion {
                        version: rendition.init_version,
                        tracks: previous_tracks,
                        init: old,
                    });
                }
                self.events.push_back(PackageEvent::Init {
                    rendition: r,
                    resource: init,
                });
            }
            rendition.init_version = version;
        }
        Ok(any)
    }

    /// After segments left the store: earlier init segments no kept
    /// segment uses leave too.
    pub(super) fn remove_unused_inits(&mut self) {
        for r in 0..self.renditions.len() {
            if self.renditions[r].earlier_inits.is_empty() {
                continue;
            }
            let used = |v: u32| {
                self.segments
                    .iter()
                    .map(|s| &s.renditions[r])
                    .chain(self.open.iter().map(|o| &o.renditions[r]))
                    .any(|rs| rs.init_version == v)
            };
            let (keep, gone): (Vec<_>, Vec<_>) = self.renditions[r]
                .earlier_inits
                .drain(..)
                .partition(|e| used(e.version));
            self.renditions[r].earlier_inits = keep;
            for e in gone {
                self.events
                    .push_back(PackageEvent::Removed { name: e.init.name });
            }
        }
    }
}

impl TrackChanges {
    pub(super) fn is_pending(&self) -> bool {
        !self.pending.is_empty() || !self.ready.is_empty()
    }
}

/// Changes taken but not yet in a segment.
#[derive(Debug, Default)]
pub(super) struct TrackChanges {
    /// Waiting for the segmenter's cut at the next reference keyframe.
    pending: Vec<Track>,
    /// The segmenter cut: each batch starts with the segment of its
    /// sequence number, oldest first.
    ready: Vec<(u64, Vec<Track>)>,
}
