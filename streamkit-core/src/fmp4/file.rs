//! Whole-file conversion: an MP4 to one fragmented MP4 with a `sidx`
//! index, as DASH's on-demand profile serves it by byte ranges.

use core::ops::Range;

use bytes::Bytes;

use super::{
    BufferList, Fmp4Error, FragmentWriter, SegmentIndex, SubsegmentReference, init_segment,
};
use crate::codec::MediaKind;
use crate::sample::Sample;
use crate::time::{MediaTime, Rounding, Timescale};
use crate::track::Track;

/// One subsegment (one `moof` + `mdat`) of a [`FragmentedFile`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SegmentRange {
    /// Byte range in the file, end exclusive (an HTTP `Range` of
    /// `start..=end - 1`).
    pub byte_range: Range<u64>,
    /// Earliest presentation time of the reference track's samples, in
    /// ticks of [`FragmentedFile::timescale`].
    pub earliest_presentation_time: i64,
    /// Presentation duration in ticks of [`FragmentedFile::timescale`] (the
    /// `sidx` subsegment duration).
    pub duration: u64,
    /// Number of samples of all tracks.
    pub sample_count: usize,
}

/// A fragmented MP4 file with its index: `ftyp` + `moov`, `sidx`, then one
/// `moof` + `mdat` per segment.
#[derive(Clone, Debug, PartialEq, Eq)]
#[must_use]
pub struct FragmentedFile {
    /// The whole file: box headers, and the samples' own buffers.
    pub bytes: BufferList,
    /// The init segment (`ftyp` + `moov`); `bytes` starts with it.
    pub init: Bytes,
    /// Byte range of the init segment (DASH `Initialization@range`).
    pub init_range: Range<u64>,
    /// Byte range of the `sidx` box (DASH `SegmentBase@indexRange`).
    pub index_range: Range<u64>,
    /// The subsegments in order.
    pub segments: Vec<SegmentRange>,
    /// The track whose times the index gives (the first video track, else
    /// the first track).
    pub reference_track_id: u32,
    /// That track's timescale.
    pub timescale: Timescale,
}

/// Fragments `samples` (interleaved, in decode order per track) of `tracks`
/// into one file with a `sidx`.
///
/// Segments are cut at keyframes of the reference track (the first video
/// track, else the first track): a new segment starts at the first keyframe
/// at least `segment_duration` after the current segment's start. Samples of
/// the other tracks go to the segment whose decode-time span holds their
/// decode time (audio before the first cut goes to the first segment).
///
/// # Errors
///
/// Those of [`init_segment`] and [`FragmentWriter::write_fragment`], and
/// [`Fmp4Error::EmptyFragment`] when no sample belongs to the reference
/// track.
pub fn fragment_samples(
    tracks: &[Track],
    samples: &[Sample],
    segment_duration: MediaTime,
) -> Result<FragmentedFile, Fmp4Error> {
    let init = init_segment(tracks)?;
    let reference = tracks
        .iter()
        .find(|t| t.codec.kind() == MediaKind::Video)
        .or(tracks.first())
        .ok_or(Fmp4Error::NoTracks)?;
    let ref_id = reference.id;
    let timescale = reference.timescale;
    let target = segment_duration
        .rescale(timescale, Rounding::Up)
        .ticks()
        .max(1);

    // Cut points: decode times of the keyframes that start segments.
    let mut cuts: Vec<MediaTime> = Vec::new();
    for s in samples.iter().filter(|s| s.track_id == ref_id) {
        let due = cuts
            .last()
            .is_none_or(|c| s.keyframe && s.dts.saturating_sub(c.ticks()) >= target);
        if due {
            cuts.push(MediaTime::new(s.dts, timescale));
        }
    }
    if cuts.is_empty() {
        return Err(Fmp4Error::EmptyFragment);
    }
    let mut buckets: Vec<Vec<Sample>> = vec![Vec::new(); cuts.len()];
    for s in samples {
        let t = s.decode_time();
        let i = cuts[1..].partition_point(|c| *c <= t);
        buckets[i].push(s.clone());
    }

    let mut writer = FragmentWriter::new(tracks);
    let mut fragments = Vec::with_capacity(buckets.len());
    for bucket in buckets.iter().filter(|b| !b.is_empty()) {
        fragments.push(writer.write_fragment(bucket)?);
    }

    // Times of the reference track's run in each fragment.
    let times: Vec<(i64, i64, bool, Option<i64>)> = fragments
        .iter()
        .map(|f| {
            f.runs
                .iter()
                .find(|r| r.track_id == ref_id)
                .map(|r| {
                    (
                        r.earliest_presentation_time,
                        r.end_presentation_time,
                        r.starts_with_sync_sample,
                        r.first_sync_presentation_time,
                    )
                })
                .ok_or(Fmp4Error::EmptyFragment)
        })
        .collect::<Result<_, _>>()?;
    let mut references = Vec::with_capacity(fragments.len());
    let mut segments = Vec::with_capacity(fragments.len());
    for (i, (f, &(ept, end, sync, sync_pts))) in fragments.iter().zip(&times).enumerate() {
        let next = times.get(i + 1).map_or(end, |t| t.0);
        let duration = u64::try_from(next.saturating_sub(ept)).unwrap_or(0);
        let referenced_size = u32::try_from(f.bytes.len()).map_err(|_| Fmp4Error::TooLarge {
            what: "sidx referenced_size",
            value: f.bytes.len(),
        })?;
        let subsegment_duration = u32::try_from(duration).map_err(|_| Fmp4Error::TooLarge {
            what: "sidx subsegment_duration",
            value: duration,
        })?;
        references.push(SubsegmentReference {
            referenced_size,
            subsegment_duration,
            starts_with_sap: sync,
            // Type 1: the SAP is the earliest presented sample; type 2: a
            // closed GOP whose first decoded picture is presented later.
            sap_type: match sync_pts {
                Some(p) if sync && p == ept => 1,
                Some(_) if sync => 2,
                _ => 0,
            },
            sap_delta_time: 0,
        });
        segments.push((
            ept,
            duration,
            f.runs.iter().map(|r| r.sample_count as usize).sum(),
        ));
    }
    let first_ept = times.first().map_or(0, |t| t.0);
    let sidx = SegmentIndex {
        reference_id: ref_id,
        timescale: timescale.hz(),
        earliest_presentation_time: u64::try_from(first_ept).map_err(|_| {
            Fmp4Error::NegativePresentationTime {
                track_id: ref_id,
                pts: first_ept,
            }
        })?,
        first_offset: 0,
        references,
    }
    .to_bytes()?;

    let init_len = init.len() as u64;
    let index_end = init_len + sidx.len() as u64;
    let mut bytes = BufferList::with_capacity(2 + samples.len() + fragments.len());
    bytes.push(init.clone());
    bytes.push(sidx);
    let mut offset = index_end;
    let mut ranges = Vec::with_capacity(fragments.len());
    for (f, (ept, duration, sample_count)) in fragments.into_iter().zip(segments) {
        let end = offset + f.bytes.len();
        ranges.push(SegmentRange {
            byte_range: offset..end,
            earliest_presentation_time: ept,
            duration,
            sample_count,
        });
        offset = end;
        bytes.append(f.bytes);
    }
    Ok(FragmentedFile {
        bytes,
        init,
        init_range: 0..init_len,
        index_range: init_len..index_end,
        segments: ranges,
        reference_track_id: ref_id,
        timescale,
    })
}
