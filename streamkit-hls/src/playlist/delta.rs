//! Playlist Delta Updates (draft-pantos-hls-rfc8216bis section 6.2.5.1):
//! make one from a full playlist with [`MediaPlaylist::delta_update`], and
//! rebuild the full playlist from the previous one and a delta with
//! [`MediaPlaylist::apply_delta`].
//!
//! ```
//! use std::time::Duration;
//! use streamkit_hls::playlist::{MediaPlaylist, MediaSegment, SkipRequest};
//!
//! let mut full = MediaPlaylist { target_duration: 2, media_sequence: 10, ..Default::default() };
//! for n in 10..30 {
//!     full.segments.push(MediaSegment::new(Duration::from_secs(2), format!("s{n}.mp4")));
//! }
//! // CAN-SKIP-UNTIL=12: segments that end 12 s or more before the end go.
//! let delta = full.delta_update(Duration::from_secs(12), &SkipRequest::Segments).unwrap();
//! assert_eq!(delta.skip.as_ref().map(|s| s.skipped_segments), Some(14));
//! assert_eq!(delta.segments.len(), 6);
//! assert_eq!(full.apply_delta(&delta).unwrap(), full);
//! ```

use std::time::Duration;

use super::error::DeltaError;
use super::media::MediaPlaylist;
use super::tags::{Skip, Tag};

/// What a client asked to skip (`_HLS_skip`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SkipRequest {
    /// `_HLS_skip=YES`: skip media segments; the EXT-X-DATERANGE tags of the
    /// skipped segments stay, right after EXT-X-SKIP.
    Segments,
    /// `_HLS_skip=v2` (CAN-SKIP-DATERANGES=YES): skip them too, and list the
    /// IDs of date ranges removed since in RECENTLY-REMOVED-DATERANGES.
    SegmentsAndDateRanges {
        /// IDs of EXT-X-DATERANGE tags recently removed from the playlist.
        recently_removed: Vec<String>,
    },
}

const DATERANGE: &str = "EXT-X-DATERANGE";

fn daterange_id(tag: &Tag) -> Option<String> {
    tag.attributes()?
        .get("ID")
        .and_then(|v| v.as_quoted())
        .map(str::to_owned)
}

impl MediaPlaylist {
    /// The Playlist Delta Update of this (full) playlist for the Skip
    /// Boundary `skip_boundary` (CAN-SKIP-UNTIL): every segment that ends at
    /// least `skip_boundary` before the end of the playlist (its last part
    /// included) is replaced by EXT-X-SKIP. When no segment is that old, the
    /// result is the playlist unchanged (no EXT-X-SKIP).
    ///
    /// # Errors
    /// [`DeltaError::AlreadyDelta`] when this playlist has EXT-X-SKIP.
    pub fn delta_update(
        &self,
        skip_boundary: Duration,
        request: &SkipRequest,
    ) -> Result<MediaPlaylist, DeltaError> {
        if self.skip.is_some() {
            return Err(DeltaError::AlreadyDelta);
        }
        let partial: Duration = self
            .partial_segment
            .iter()
            .flat_map(|p| p.parts.iter())
            .map(|p| p.duration)
            .sum();
        let mut remaining = self.duration() + partial;
        let mut skipped = 0;
        for segment in &self.segments {
            remaining = remaining.saturating_sub(segment.duration);
            if remaining < skip_boundary {
                break;
            }
            skipped += 1;
        }
        let mut delta = self.clone();
        if skipped == 0 {
            return Ok(delta);
        }
        let removed: Vec<_> = delta.segments.drain(..skipped).collect();
        let kept_dateranges: Vec<Tag> = match request {
            SkipRequest::Segments => removed
                .iter()
                .flat_map(|s| s.other_tags.iter())
                .filter(|t| t.name == DATERANGE)
                .cloned()
                .collect(),
            SkipRequest::SegmentsAndDateRanges { .. } => Vec::new(),
        };
        if !kept_dateranges.is_empty() {
            let target = match delta.segments.first_mut() {
                Some(first) => &mut first.other_tags,
                None => {
                    &mut delta
                        .partial_segment
                        .get_or_insert_with(Default::default)
                        .other_tags
                }
            };
            target.splice(0..0, kept_dateranges);
        }
        delta.skip = Some(Skip {
            skipped_segments: skipped as u64,
            recently_removed_dateranges: match request {
                SkipRequest::Segments => None,
                SkipRequest::SegmentsAndDateRanges { recently_removed } => {
                    Some(recently_removed.clone())
                }
            },
            other_attributes: Default::default(),
        });
        Ok(delta)
    }

    /// Rebuilds the full playlist from this previous playlist and a Playlist
    /// Delta Update of the same rendition: the skipped segments come from
    /// here (with their tags), date ranges named in
    /// RECENTLY-REMOVED-DATERANGES are dropped, and the rest is the delta's.
    /// A `delta` without EXT-X-SKIP is returned as it is.
    ///
    /// # Errors
    /// [`DeltaError::MissingSegments`] when this playlist does not hold every
    /// skipped segment.
    pub fn apply_delta(&self, delta: &MediaPlaylist) -> Result<MediaPlaylist, DeltaError> {
        let Some(skip) = &delta.skip else {
            return Ok(delta.clone());
        };
        let first = delta.media_sequence;
        let end = first.saturating_add(skip.skipped_segments);
        let held_first = self
            .media_sequence
            .saturating_add(self.skip.as_ref().map_or(0, |s| s.skipped_segments));
        let held_end = held_first.saturating_add(self.segments.len() as u64);
        let missing = DeltaError::MissingSegments {
            first,
            end,
            held_first,
            held_end,
        };
        if first < held_first || end > held_end {
            return Err(missing);
        }
        let from = usize::try_from(first - held_first).map_err(|_| missing.clone())?;
        let to = usize::try_from(end - held_first).map_err(|_| missing.clone())?;
        let mut restored = self.segments.get(from..to).ok_or(missing)?.to_vec();
        if let Some(removed_ids) = &skip.recently_removed_dateranges {
            for segment in &mut restored {
                segment.other_tags.retain(|t| {
                    t.name != DATERANGE
                        || daterange_id(t).is_none_or(|id| !removed_ids.contains(&id))
                });
            }
        }
        let restored_dateranges: Vec<&Tag> = restored
            .iter()
            .flat_map(|s| s.other_tags.iter())
            .filter(|t| t.name == DATERANGE)
            .collect();
        let mut merged = delta.clone();
        merged.skip = None;
        if !restored_dateranges.is_empty() {
            let head = match merged.segments.first_mut() {
                Some(first) => Some(&mut first.other_tags),
                None => merged.partial_segment.as_mut().map(|p| &mut p.other_tags),
            };
            if let Some(tags) = head {
                let n = restored_dateranges.len();
                let repeated =
                    tags.len() >= n && tags.iter().zip(&restored_dateranges).all(|(a, b)| a == *b);
                if repeated {
                    tags.drain(..n);
                }
            }
            if merged
                .partial_segment
                .as_ref()
                .is_some_and(|p| *p == Default::default())
            {
                merged.partial_segment = None;
            }
        }
        merged.segments.splice(0..0, restored);
        Ok(merged)
    }
}
