//! Whole-file conversion: an MP4 to one fragmented MP4 with a `sidx`
//! index, as DASH's on-demand profile serves it by byte ranges.

use core::ops::Range;

use bytes::Bytes;

use super::{
    Fmp4Error, FragmentWriter, SegmentIndex, SubsegmentReference, init::init_segment_with_edits,
};
use crate::buffer::BufferList;
use crate::codec::MediaKind;
use crate::mp4::Mp4File;
use crate::sample::PresentationShift;
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
    /// ticks of [`FragmentedFile::timescale`], on the presentation
    /// timeline (the track's [`PresentationShift`] applied).
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

/// Converts a whole MP4 file into one fragmented MP4 with a `sidx`, cutting
/// segments of about `segment_duration` at video keyframes (see
/// [`fragment_samples`]).
///
/// Every track with a codec the demuxer models is kept, with its edit list
/// carried over as a [`PresentationShift`] when it has the common shape
/// ([`crate::mp4::Mp4Track::presentation_shift`]), an audio track's edit
/// as long as the source's (or, when that says 0, as what the samples
/// present), so the encoder's padding at the end is trimmed too; a track
/// whose edit list is more complex keeps its media timeline. Tracks without a supported
/// codec are left out. The file's samples are not copied: the result's
/// `mdat` payloads are slices of `file`'s buffer.
///
/// ```
/// use bytes::Bytes;
/// use streamkit_core::fmp4::fragment_file;
/// use streamkit_core::mp4::Mp4File;
/// use streamkit_core::time::{MediaTime, Timescale};
///
/// let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/fixtures/h264_aac.mp4");
/// let file = Mp4File::parse(Bytes::from(std::fs::read(path)?))?;
/// let out = fragment_file(&file, MediaTime::new(2, Timescale::SECONDS))?;
/// assert_eq!(out.segments.len(), 5); // a keyframe every 2 s, 10 s long
/// assert_eq!(out.init_range.start, 0);
/// assert_eq!(out.index_range.start, out.init_range.end);
/// assert_eq!(out.segments[0].byte_range.start, out.index_range.end);
/// assert_eq!(out.segments[4].byte_range.end, out.bytes.len());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Errors
///
/// Those of [`fragment_samples`].
pub fn fragment_file(
    file: &Mp4File,
    segment_duration: MediaTime,
) -> Result<FragmentedFile, Fmp4Error> {
    let (tracks, shifts) = file.tracks_and_shifts();
    let samples: Vec<Sample> = file.samples().collect();
    // The source's own edit lengths where it gives them (they also trim
    // the encoder's padding at the end), else what the samples present.
    let mut durations = presented_durations(&tracks, &shifts, &samples);
    for d in &mut durations {
        if let Some(ticks) = file
            .tracks()
            .iter()
            .find(|t| t.id() == d.0)
            .and_then(|t| source_edit_duration(t, file.movie_timescale()))
        {
            d.1 = ticks;
        }
    }
    fragment(&tracks, &shifts, &durations, &samples, segment_duration)
}

/// The length, in ticks of the track, of the one edit that plays `track`'s
/// media (after any empty edits), when the edit list has that shape and
/// the length is not 0.
fn source_edit_duration(track: &crate::mp4::Mp4Track, movie: Timescale) -> Option<u64> {
    track.presentation_shift()?;
    let edit = track.edits().iter().find(|e| e.media_time.is_some())?;
    let ticks = MediaTime::new(i64::try_from(edit.segment_duration).ok()?, movie)
        .checked_rescale(track.timescale(), Rounding::Up)?
        .ticks();
    u64::try_from(ticks).ok().filter(|&t| t > 0)
}

/// Fragments `samples` (interleaved, in decode order per track) of `tracks`
/// into one file with a `sidx`; `shifts` go into the init segment's edit
/// lists (see [`init_segment_with_shifts`](super::init_segment_with_shifts)),
/// an audio track's edit lasting what the track presents (from its
/// `media_time` to the end of its last sample), since the whole track is
/// known: GStreamer's qtdemux ends the track there; ffmpeg applies the
/// shift either way.
///
/// Segments are cut at keyframes of the reference track (the first video
/// track, else the first track): a new segment starts at the first keyframe
/// at least `segment_duration` after the current segment's start. Samples of
/// the other tracks go to the segment whose decode-time span holds their
/// decode time (audio before the first cut goes to the first segment).
///
/// # Errors
///
/// Those of [`init_segment_with_shifts`](super::init_segment_with_shifts) and
/// [`FragmentWriter::write_fragment`], and
/// [`Fmp4Error::EmptyFragment`] when no sample belongs to the reference
/// track.
pub fn fragment_samples(
    tracks: &[Track],
    shifts: &[PresentationShift],
    samples: &[Sample],
    segment_duration: MediaTime,
) -> Result<FragmentedFile, Fmp4Error> {
    let durations = presented_durations(tracks, shifts, samples);
    fragment(tracks, shifts, &durations, samples, segment_duration)
}

/// [`fragment_samples`] with the edits' lengths given (`(track_id, ticks)`).
fn fragment(
    tracks: &[Track],
    shifts: &[PresentationShift],
    durations: &[(u32, u64)],
    samples: &[Sample],
    segment_duration: MediaTime,
) -> Result<FragmentedFile, Fmp4Error> {
    let init = init_segment_with_edits(tracks, shifts, durations)?;
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
    // The samples in segment order (a stable sort keeps each track's decode
    // order), then one fragment per run of equal segment index.
    let segment_of = |s: &Sample| cuts[1..].partition_point(|c| *c <= s.decode_time());
    let mut ordered = samples.to_vec();
    ordered.sort_by_key(segment_of);
    let mut writer = FragmentWriter::new(tracks);
    let mut fragments = Vec::with_capacity(cuts.len());
    for run in ordered.chunk_by(|a, b| segment_of(a) == segment_of(b)) {
        fragments.push(writer.write_fragment(run)?);
    }

    // Times of the reference track's run in each fragment, on the
    // presentation timeline (the edit list's shift applied), as ffmpeg's
    // reader and writer count the sidx earliest presentation time.
    let shift = shifts
        .iter()
        .filter(|s| s.track_id == ref_id)
        .map(|s| s.ticks)
        .next_back()
        .unwrap_or(0);
    let times: Vec<(i64, i64, bool, Option<i64>)> = fragments
        .iter()
        .map(|f| {
            f.runs
                .iter()
                .find(|r| r.track_id == ref_id)
                .map(|r| {
                    (
                        r.earliest_presentation_time.saturating_add(shift),
                        r.end_presentation_time.saturating_add(shift),
                        r.starts_with_sync_sample,
                        r.first_sync_presentation_time
                            .map(|p| p.saturating_add(shift)),
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

/// For each shifted track, the ticks its presentation lasts: from the
/// edit's `media_time` (the shift negated, or 0 after an empty edit) to
/// the end of its last-presented sample.
///
/// Audio tracks only: the end their edit trims is the encoder's padding,
/// which GStreamer's qtdemux then leaves out. A video edit keeps running to
/// the end of the media: given a length, qtdemux dropped the last picture
/// of every fixture, however long the edit.
fn presented_durations(
    tracks: &[Track],
    shifts: &[PresentationShift],
    samples: &[Sample],
) -> Vec<(u32, u64)> {
    let audio = |id: u32| {
        tracks
            .iter()
            .any(|t| t.id == id && t.codec.kind() == MediaKind::Audio)
    };
    shifts
        .iter()
        .filter(|s| s.ticks != 0 && audio(s.track_id))
        .filter_map(|shift| {
            let end = samples
                .iter()
                .filter(|s| s.track_id == shift.track_id)
                .map(|s| s.pts().saturating_add(i64::from(s.duration)))
                .max()?;
            let start = shift.ticks.saturating_neg().max(0);
            let ticks = u64::try_from(end.saturating_sub(start)).ok()?;
            (ticks > 0).then_some((shift.track_id, ticks))
        })
        .collect()
}
