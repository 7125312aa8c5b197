//! Media segments: `moof` (with `mfhd`, and per track `traf` with `tfhd`,
//! `tfdt` and `trun`) followed by `mdat`, plus the optional `styp`.

use bytes::Bytes;

use super::Fmp4Error;
use super::boxes::{
    box_header_len, put_box_header, put_i32, put_u32, put_u64, write_box, write_full_box,
};
use crate::buffer::BufferList;
use crate::sample::Sample;
use crate::time::Timescale;
use crate::track::Track;

/// `sample_flags` of a sync sample: `sample_depends_on = 2` (depends on no
/// other sample), `sample_is_non_sync_sample = 0`.
pub const SYNC_SAMPLE_FLAGS: u32 = 0x0200_0000;
/// `sample_flags` of a non-sync sample: `sample_depends_on = 1` (depends on
/// others), `sample_is_non_sync_sample = 1`.
pub const NON_SYNC_SAMPLE_FLAGS: u32 = 0x0101_0000;

// tfhd flags (ISO/IEC 14496-12, 8.8.7.1).
const TFHD_DEFAULT_SAMPLE_DURATION: u32 = 0x00_0008;
const TFHD_DEFAULT_SAMPLE_FLAGS: u32 = 0x00_0020;
const TFHD_DEFAULT_BASE_IS_MOOF: u32 = 0x02_0000;
// trun flags (8.8.8.1).
const TRUN_DATA_OFFSET: u32 = 0x00_0001;
const TRUN_FIRST_SAMPLE_FLAGS: u32 = 0x00_0004;
const TRUN_SAMPLE_DURATION: u32 = 0x00_0100;
const TRUN_SAMPLE_SIZE: u32 = 0x00_0200;
const TRUN_SAMPLE_FLAGS: u32 = 0x00_0400;
const TRUN_SAMPLE_COMPOSITION_OFFSET: u32 = 0x00_0800;

/// The `sample_flags` for a sample: [`SYNC_SAMPLE_FLAGS`] for a keyframe,
/// [`NON_SYNC_SAMPLE_FLAGS`] otherwise.
#[must_use]
pub fn sample_flags(keyframe: bool) -> u32 {
    if keyframe {
        SYNC_SAMPLE_FLAGS
    } else {
        NON_SYNC_SAMPLE_FLAGS
    }
}

/// An `styp` box: a media segment's brands (ISO/IEC 14496-12, 8.16.2).
///
/// [`SEGMENT_BRANDS`] suits a CMAF segment that DASH and HLS serve;
/// [`CHUNK_BRANDS`] a low-latency CMAF chunk.
///
/// ```
/// use streamkit_core::fmp4::{styp, SEGMENT_BRANDS};
///
/// let b = styp(SEGMENT_BRANDS);
/// assert_eq!(&b[..], b"\0\0\0\x18stypmsdh\0\0\0\0msdhcmfs");
/// ```
#[must_use]
pub fn styp(brands: &[[u8; 4]]) -> Bytes {
    let mut buf = Vec::with_capacity(16 + 4 * brands.len());
    write_box(&mut buf, b"styp", |buf| {
        let major = brands.first().copied().unwrap_or(*b"msdh");
        buf.extend_from_slice(&major);
        put_u32(buf, 0);
        for b in brands {
            buf.extend_from_slice(b);
        }
    });
    Bytes::from(buf)
}

/// Brands of a media segment: major `msdh` (DASH media segment), compatible
/// `msdh` and `cmfs` (CMAF segment).
pub const SEGMENT_BRANDS: &[[u8; 4]] = &[*b"msdh", *b"cmfs"];
/// Brands of a low-latency chunk: major `msdh`, compatible `msdh` and
/// `cmfl` (CMAF chunk).
pub const CHUNK_BRANDS: &[[u8; 4]] = &[*b"msdh", *b"cmfl"];

/// What one `traf` of a written fragment holds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TrackRun {
    /// The track.
    pub track_id: u32,
    /// The track's clock.
    pub timescale: Timescale,
    /// Number of samples.
    pub sample_count: u32,
    /// Decode time of the first sample (the `tfdt` value).
    pub base_media_decode_time: u64,
    /// Decode time after the last sample: `base_media_decode_time` plus the
    /// durations written in the `trun`.
    pub end_decode_time: u64,
    /// The smallest presentation time of the run's samples.
    pub earliest_presentation_time: i64,
    /// The largest presentation end time (`pts + duration`) of the run's
    /// samples.
    pub end_presentation_time: i64,
    /// `true` when the first sample is a sync sample (a keyframe).
    pub starts_with_sync_sample: bool,
    /// Presentation time of the first sync sample, if any.
    pub first_sync_presentation_time: Option<i64>,
    /// Bytes of media data in the `mdat`.
    pub data_len: u64,
}

impl TrackRun {
    /// The run's decode duration in ticks.
    #[must_use]
    pub fn duration(&self) -> u64 {
        self.end_decode_time - self.base_media_decode_time
    }
}

/// One written fragment: `moof` + `mdat` (a CMAF fragment, or a chunk of a
/// low-latency segment).
#[derive(Clone, Debug, PartialEq, Eq)]
#[must_use]
pub struct Fragment {
    /// The bytes: the `moof` and `mdat` header as one small buffer, then the
    /// samples' own data.
    pub bytes: BufferList,
    /// The `mfhd` sequence number.
    pub sequence_number: u32,
    /// One entry per `traf`, in `moof` order (the order of the tracks given
    /// to [`FragmentWriter::new`]; tracks without samples are left out).
    pub runs: Vec<TrackRun>,
}

/// Per-track state carried from one fragment to the next.
#[derive(Clone, Debug)]
struct TrackState {
    track_id: u32,
    timescale: Timescale,
    /// Decode time and index of the last sample written.
    last: Option<(i64, u64)>,
}

/// Writes the fragments of one or more tracks: each call to
/// [`FragmentWriter::write_fragment`] gives one `moof` + `mdat` with the next
/// sequence number, one `traf` per track that has samples.
///
/// # Rules for the input
///
/// - Decode times increase strictly per track, within and across fragments,
///   and are not negative (the `tfdt` is unsigned): otherwise
///   [`Fmp4Error::NonMonotonicDecodeTime`] or [`Fmp4Error::NegativeDecodeTime`].
/// - The first sample of every track must be a sync sample (for video, a
///   keyframe): otherwise [`Fmp4Error::MissingLeadingKeyframe`]. The writer
///   does not drop samples on its own: a caller joining a live stream drops
///   video samples until the first keyframe. Later fragments may start
///   anywhere (a low-latency chunk usually does not start with a
///   keyframe); [`TrackRun::starts_with_sync_sample`] says whether one does.
/// - Every sample has a non-zero duration ([`Fmp4Error::ZeroDuration`]).
/// - Within a fragment, the duration written for each sample but the last of
///   its track is the distance to the next sample's decode time, so the
///   decode timeline is exactly the input's; the last sample keeps its own
///   duration.
///
/// A failed call writes nothing and leaves the writer as it was.
///
/// ```
/// use bytes::Bytes;
/// use streamkit_core::fmp4::FragmentWriter;
/// use streamkit_core::sample::Sample;
/// use streamkit_core::time::Timescale;
///
/// let mut writer = FragmentWriter::with_tracks([(1, Timescale::AUDIO_48KHZ)]);
/// let samples: Vec<Sample> = (0..3)
///     .map(|i| Sample {
///         track_id: 1,
///         dts: i * 960,
///         composition_offset: 0,
///         duration: 960,
///         timescale: Timescale::AUDIO_48KHZ,
///         keyframe: true,
///         data: Bytes::from_static(&[0xfc, 0xff, 0xfe]),
///     })
///     .collect();
/// let fragment = writer.write_fragment(&samples)?;
/// assert_eq!(fragment.sequence_number, 1);
/// assert_eq!(fragment.runs[0].duration(), 2_880);
/// // The moof + mdat header, then each sample's own buffer.
/// assert_eq!(fragment.bytes.buffers().len(), 4);
/// # Ok::<(), streamkit_core::fmp4::Fmp4Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct FragmentWriter {
    tracks: Vec<TrackState>,
    next_sequence_number: u32,
}

impl FragmentWriter {
    /// A writer for `tracks`, whose `traf`s it writes in this order; the
    /// first sequence number is 1.
    #[must_use]
    pub fn new(tracks: &[Track]) -> FragmentWriter {
        FragmentWriter::with_tracks(tracks.iter().map(|t| (t.id, t.timescale)))
    }

    /// A writer for tracks given as `(track_id, timescale)` pairs.
    #[must_use]
    pub fn with_tracks(tracks: impl IntoIterator<Item = (u32, Timescale)>) -> FragmentWriter {
        FragmentWriter {
            tracks: tracks
                .into_iter()
                .map(|(track_id, timescale)| TrackState {
                    track_id,
                    timescale,
                    last: None,
                })
                .collect(),
            next_sequence_number: 1,
        }
    }

    /// The sequence number the next fragment gets.
    #[must_use]
    pub fn next_sequence_number(&self) -> u32 {
        self.next_sequence_number
    }

    /// Sets the sequence number of the next fragment (for example to resume a
    /// live stream).
    pub fn set_next_sequence_number(&mut self, sequence_number: u32) {
        self.next_sequence_number = sequence_number;
    }

    /// Writes one fragment holding `samples` (interleaved samples of any of
    /// the writer's tracks, in decode order per track).
    ///
    /// # Errors
    ///
    /// [`Fmp4Error::EmptyFragment`] for no samples,
    /// [`Fmp4Error::UnknownTrack`], [`Fmp4Error::TimescaleMismatch`], and the
    /// errors the type's rules list; each names the track and the sample.
    pub fn write_fragment(&mut self, samples: &[Sample]) -> Result<Fragment, Fmp4Error> {
        if samples.is_empty() {
            return Err(Fmp4Error::EmptyFragment);
        }
        // Validate everything first, so that a failure changes nothing.
        for s in samples {
            let Some(t) = self.tracks.iter().find(|t| t.track_id == s.track_id) else {
                return Err(Fmp4Error::UnknownTrack {
                    track_id: s.track_id,
                });
            };
            if s.timescale != t.timescale {
                return Err(Fmp4Error::TimescaleMismatch {
                    track_id: s.track_id,
                    expected: t.timescale.hz(),
                    found: s.timescale.hz(),
                });
            }
        }
        let mut runs = Vec::new();
        let mut total_data: u64 = 0;
        for t in &self.tracks {
            if let Some(run) = validate_run(t, samples)? {
                total_data += run.data_len;
                runs.push(run);
            }
        }

        let sequence_number = self.next_sequence_number;
        let mut head = Vec::with_capacity(64 + 48 * runs.len() + 16 * samples.len());
        let mut data_offset_positions = Vec::with_capacity(runs.len());
        write_box(&mut head, b"moof", |buf| {
            write_full_box(buf, b"mfhd", 0, 0, |buf| put_u32(buf, sequence_number));
            for run in &runs {
                let pos = write_traf(buf, run, samples);
                data_offset_positions.push(pos);
            }
        });
        let moof_len = head.len() as u64;
        let mut data_start = moof_len + box_header_len(total_data);
        for (run, pos) in runs.iter().zip(&data_offset_positions) {
            let offset = i32::try_from(data_start).map_err(|_| Fmp4Error::TooLarge {
                what: "trun data_offset",
                value: data_start,
            })?;
            head[*pos..*pos + 4].copy_from_slice(&offset.to_be_bytes());
            data_start += run.data_len;
        }
        put_box_header(&mut head, b"mdat", total_data);

        let mut bytes = BufferList::with_capacity(samples.len() + 1);
        bytes.push(Bytes::from(head));
        for run in &runs {
            for s in samples.iter().filter(|s| s.track_id == run.track_id) {
                bytes.push(s.data.clone());
            }
        }

        // Commit the state.
        for t in &mut self.tracks {
            let first = t.last.map_or(0, |(_, i)| i + 1);
            let id = t.track_id;
            for (index, s) in (first..).zip(samples.iter().filter(|s| s.track_id == id)) {
                t.last = Some((s.dts, index));
            }
        }
        self.next_sequence_number = self.next_sequence_number.wrapping_add(1);
        Ok(Fragment {
            bytes,
            sequence_number,
            runs,
        })
    }
}

/// Checks one track's samples in `samples` against the rules, and sums up
/// the run; `None` when the track has no sample here.
fn validate_run(t: &TrackState, samples: &[Sample]) -> Result<Option<TrackRun>, Fmp4Error> {
    let mut iter = samples
        .iter()
        .filter(|s| s.track_id == t.track_id)
        .peekable();
    let Some(first) = iter.peek() else {
        return Ok(None);
    };
    let track_id = t.track_id;
    let mut index = t.last.map_or(0, |(_, i)| i + 1);
    if t.last.is_none() && !first.keyframe {
        return Err(Fmp4Error::MissingLeadingKeyframe { track_id });
    }
    if first.dts < 0 {
        return Err(Fmp4Error::NegativeDecodeTime {
            track_id,
            sample_index: index,
            dts: first.dts,
        });
    }
    let base = first.dts as u64;
    let mut run = TrackRun {
        track_id,
        timescale: t.timescale,
        sample_count: 0,
        base_media_decode_time: base,
        end_decode_time: base,
        earliest_presentation_time: i64::MAX,
        end_presentation_time: i64::MIN,
        starts_with_sync_sample: first.keyframe,
        first_sync_presentation_time: None,
        data_len: 0,
    };
    let mut previous = t.last.map(|(dts, _)| dts);
    while let Some(s) = iter.next() {
        if let Some(p) = previous
            && s.dts <= p
        {
            return Err(Fmp4Error::NonMonotonicDecodeTime {
                track_id,
                sample_index: index,
                dts: s.dts,
                previous_dts: p,
            });
        }
        if s.duration == 0 {
            return Err(Fmp4Error::ZeroDuration {
                track_id,
                sample_index: index,
            });
        }
        let duration = match iter.peek() {
            Some(next) => written_duration(s, next, track_id, index + 1)?,
            None => s.duration,
        };
        let size = u32::try_from(s.data.len()).map_err(|_| Fmp4Error::TooLarge {
            what: "sample size",
            value: s.data.len() as u64,
        })?;
        run.sample_count = run.sample_count.checked_add(1).ok_or(Fmp4Error::TooLarge {
            what: "trun sample_count",
            value: u64::from(u32::MAX) + 1,
        })?;
        run.end_decode_time += u64::from(duration);
        run.data_len += u64::from(size);
        let pts = s.pts();
        run.earliest_presentation_time = run.earliest_presentation_time.min(pts);
        run.end_presentation_time = run
            .end_presentation_time
            .max(pts.saturating_add(i64::from(duration)));
        if s.keyframe && run.first_sync_presentation_time.is_none() {
            run.first_sync_presentation_time = Some(pts);
        }
        previous = Some(s.dts);
        index += 1;
    }
    Ok(Some(run))
}

/// The duration written for `s`, followed in the same run by `next`: the
/// decode-time distance between them.
fn written_duration(
    s: &Sample,
    next: &Sample,
    track_id: u32,
    next_index: u64,
) -> Result<u32, Fmp4Error> {
    let delta = next.dts.saturating_sub(s.dts);
    if delta <= 0 {
        return Err(Fmp4Error::NonMonotonicDecodeTime {
            track_id,
            sample_index: next_index,
            dts: next.dts,
            previous_dts: s.dts,
        });
    }
    u32::try_from(delta).map_err(|_| Fmp4Error::TooLarge {
        what: "sample duration",
        value: delta as u64,
    })
}

/// Writes one `traf`; returns the position of the `trun` data offset to
/// patch.
fn write_traf(buf: &mut Vec<u8>, run: &TrackRun, samples: &[Sample]) -> usize {
    let track_id = run.track_id;
    let track_samples = || samples.iter().filter(move |s| s.track_id == track_id);
    // Durations as written (distance to the next sample, the last its own).
    let durations = || {
        let mut it = track_samples().peekable();
        core::iter::from_fn(move || {
            let s = it.next()?;
            Some(match it.peek() {
                Some(n) => (n.dts - s.dts) as u32,
                None => s.duration,
            })
        })
    };
    let first_duration = durations().next().unwrap_or(0);
    let same_duration = durations().all(|d| d == first_duration);
    let first_flags = track_samples()
        .next()
        .map_or(0, |s| sample_flags(s.keyframe));
    let rest_flags = track_samples().nth(1).map(|s| sample_flags(s.keyframe));
    let rest_same = rest_flags.is_none_or(|f| {
        track_samples()
            .skip(1)
            .all(|s| sample_flags(s.keyframe) == f)
    });
    // Defaults: all flags alike -> tfhd default; all but the first alike ->
    // tfhd default plus trun first_sample_flags; else per sample.
    let (default_flags, first_sample_flags, per_sample_flags) = match rest_flags {
        None => (Some(first_flags), None, false),
        Some(f) if rest_same && f == first_flags => (Some(f), None, false),
        Some(f) if rest_same => (Some(f), Some(first_flags), false),
        Some(_) => (None, None, true),
    };
    let any_offset = track_samples().any(|s| s.composition_offset != 0);
    let negative_offset = track_samples().any(|s| s.composition_offset < 0);

    let mut data_offset_pos = 0;
    write_box(buf, b"traf", |buf| {
        let mut tfhd_flags = TFHD_DEFAULT_BASE_IS_MOOF;
        if same_duration {
            tfhd_flags |= TFHD_DEFAULT_SAMPLE_DURATION;
        }
        if default_flags.is_some() {
            tfhd_flags |= TFHD_DEFAULT_SAMPLE_FLAGS;
        }
        write_full_box(buf, b"tfhd", 0, tfhd_flags, |buf| {
            put_u32(buf, track_id);
            if same_duration {
                put_u32(buf, first_duration);
            }
            if let Some(f) = default_flags {
                put_u32(buf, f);
            }
        });
        write_full_box(buf, b"tfdt", 1, 0, |buf| {
            put_u64(buf, run.base_media_decode_time);
        });
        let mut trun_flags = TRUN_DATA_OFFSET | TRUN_SAMPLE_SIZE;
        if first_sample_flags.is_some() {
            trun_flags |= TRUN_FIRST_SAMPLE_FLAGS;
        }
        if !same_duration {
            trun_flags |= TRUN_SAMPLE_DURATION;
        }
        if per_sample_flags {
            trun_flags |= TRUN_SAMPLE_FLAGS;
        }
        if any_offset {
            trun_flags |= TRUN_SAMPLE_COMPOSITION_OFFSET;
        }
        let version = u8::from(negative_offset);
        write_full_box(buf, b"trun", version, trun_flags, |buf| {
            put_u32(buf, run.sample_count);
            data_offset_pos = buf.len();
            put_i32(buf, 0);
            if let Some(f) = first_sample_flags {
                put_u32(buf, f);
            }
            for (s, d) in track_samples().zip(durations()) {
                if !same_duration {
                    put_u32(buf, d);
                }
                put_u32(buf, s.data.len() as u32);
                if per_sample_flags {
                    put_u32(buf, sample_flags(s.keyframe));
                }
                if any_offset {
                    // Version 1 carries a signed offset, version 0 an
                    // unsigned one (all offsets are then >= 0).
                    put_i32(buf, s.composition_offset);
                }
            }
        });
    });
    data_offset_pos
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(track_id: u32, dts: i64, cto: i32, key: bool, data: &'static [u8]) -> Sample {
        Sample {
            track_id,
            dts,
            composition_offset: cto,
            duration: 512,
            timescale: Timescale::new(15_360).unwrap(),
            keyframe: key,
            data: Bytes::from_static(data),
        }
    }

    fn writer() -> FragmentWriter {
        FragmentWriter::with_tracks([
            (1, Timescale::new(15_360).unwrap()),
            (2, Timescale::new(15_360).unwrap()),
        ])
    }

    #[test]
    fn moof_bytes_with_negative_offsets() {
        let mut w = writer();
        let f = w
            .write_fragment(&[
                sample(1, 0, 1024, true, b"abc"),
                sample(1, 512, -512, false, b"de"),
            ])
            .unwrap();
        let expected: Vec<u8> = [
            &[0, 0, 0, 116][..],
            b"moof",
            // mfhd, sequence_number 1
            &[0, 0, 0, 16],
            b"mfhd",
            &[0, 0, 0, 0, 0, 0, 0, 1],
            &[0, 0, 0, 92],
            b"traf",
            // tfhd: default-base-is-moof, default duration 512, default
            // flags non-sync
            &[0, 0, 0, 24],
            b"tfhd",
            &[0, 2, 0, 0x28, 0, 0, 0, 1, 0, 0, 2, 0, 1, 1, 0, 0],
            // tfdt version 1, 0
            &[0, 0, 0, 20],
            b"tfdt",
            &[1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
            // trun version 1: data offset, first sample flags, size, offset
            &[0, 0, 0, 40],
            b"trun",
            &[1, 0, 0x0a, 0x05, 0, 0, 0, 2, 0, 0, 0, 124, 2, 0, 0, 0],
            &[0, 0, 0, 3, 0, 0, 4, 0],
            &[0, 0, 0, 2, 0xff, 0xff, 0xfe, 0],
            &[0, 0, 0, 13],
            b"mdat",
            b"abcde",
        ]
        .concat();
        assert_eq!(&f.bytes.to_bytes()[..], &expected[..]);
        assert_eq!(f.bytes.buffers().len(), 3);
        assert_eq!(f.bytes.len(), 129);
        assert_eq!(
            f.runs,
            vec![TrackRun {
                track_id: 1,
                timescale: Timescale::new(15_360).unwrap(),
                sample_count: 2,
                base_media_decode_time: 0,
                end_decode_time: 1024,
                earliest_presentation_time: 0,
                end_presentation_time: 1536,
                starts_with_sync_sample: true,
                first_sync_presentation_time: Some(1024),
                data_len: 5,
            }]
        );
    }

    #[test]
    fn two_trafs_per_sample_values_and_offsets() {
        let mut w = writer();
        w.set_next_sequence_number(7);
        let mut a = sample(2, 1000, 0, true, b"A");
        a.duration = 100;
        let mut b = sample(2, 1100, 0, true, b"BB");
        b.duration = 300;
        // Video with durations that differ (taken from the decode times) and
        // flags that vary after the first sample.
        let f = w
            .write_fragment(&[
                a,
                sample(1, 0, 0, true, b"v0"),
                b,
                sample(1, 512, 0, true, b"v1"),
                sample(1, 1000, 0, false, b"v2"),
            ])
            .unwrap();
        let bytes = f.bytes.to_bytes();
        assert_eq!(&bytes[20..24], &[0, 0, 0, 7]); // mfhd sequence_number
        // The first traf is track 1 (the writer's order), not track 2.
        let traf1 = 24;
        assert_eq!(&bytes[traf1 + 4..traf1 + 8], b"traf");
        // tfhd: only default-base-is-moof.
        assert_eq!(
            &bytes[traf1 + 8..traf1 + 24],
            b"\0\0\0\x10tfhd\0\x02\0\0\0\0\0\x01"
        );
        // trun version 0: data offset, duration, size, flags.
        let trun = traf1 + 8 + 16 + 20;
        assert_eq!(&bytes[trun + 4..trun + 12], b"trun\0\0\x07\x01");
        let body = &bytes[trun + 12..trun + 12 + 8 + 36];
        let moof_len = u32::from_be_bytes(bytes[0..4].try_into().unwrap());
        assert_eq!(&body[0..4], &[0, 0, 0, 3]);
        assert_eq!(
            u32::from_be_bytes(body[4..8].try_into().unwrap()),
            moof_len + 8
        );
        let words: Vec<u32> = body[8..]
            .chunks(4)
            .map(|c| u32::from_be_bytes(c.try_into().unwrap()))
            .collect();
        assert_eq!(
            words,
            [
                512,
                2,
                SYNC_SAMPLE_FLAGS,
                488,
                2,
                SYNC_SAMPLE_FLAGS,
                512,
                2,
                NON_SYNC_SAMPLE_FLAGS
            ]
        );
        // Track 2: the first duration is the decode-time distance (100), the
        // last its own (300); its data follows track 1's 6 bytes.
        let traf2 =
            traf1 + u32::from_be_bytes(bytes[traf1..traf1 + 4].try_into().unwrap()) as usize;
        let trun2 = traf2 + 8 + 20 + 20; // tfhd carries default flags
        assert_eq!(&bytes[trun2 + 4..trun2 + 12], b"trun\0\0\x03\x01");
        let body2 = &bytes[trun2 + 12..trun2 + 12 + 24];
        assert_eq!(
            u32::from_be_bytes(body2[4..8].try_into().unwrap()),
            moof_len + 8 + 6
        );
        assert_eq!(
            &body2[8..],
            &[0, 0, 0, 100, 0, 0, 0, 1, 0, 0, 1, 44, 0, 0, 0, 2]
        );
        assert_eq!(&bytes[moof_len as usize + 8..], b"v0v1v2ABB");
        assert_eq!(f.runs[1].duration(), 400);
        assert_eq!(w.next_sequence_number(), 8);
    }

    #[test]
    fn errors_name_track_and_sample_and_change_nothing() {
        let mut w = writer();
        assert_eq!(w.write_fragment(&[]), Err(Fmp4Error::EmptyFragment));
        assert_eq!(
            w.write_fragment(&[sample(1, 0, 0, false, b"x")]),
            Err(Fmp4Error::MissingLeadingKeyframe { track_id: 1 })
        );
        assert_eq!(
            w.write_fragment(&[sample(3, 0, 0, true, b"x")]),
            Err(Fmp4Error::UnknownTrack { track_id: 3 })
        );
        assert_eq!(
            w.write_fragment(&[sample(1, -1, 0, true, b"x")]),
            Err(Fmp4Error::NegativeDecodeTime {
                track_id: 1,
                sample_index: 0,
                dts: -1
            })
        );
        let mut zero = sample(1, 512, 0, false, b"x");
        zero.duration = 0;
        assert_eq!(
            w.write_fragment(&[sample(1, 0, 0, true, b"x"), zero]),
            Err(Fmp4Error::ZeroDuration {
                track_id: 1,
                sample_index: 1
            })
        );
        let mut other_clock = sample(1, 0, 0, true, b"x");
        other_clock.timescale = Timescale::VIDEO_90KHZ;
        assert_eq!(
            w.write_fragment(&[other_clock]),
            Err(Fmp4Error::TimescaleMismatch {
                track_id: 1,
                expected: 15_360,
                found: 90_000
            })
        );
        assert_eq!(w.next_sequence_number(), 1);

        // Within a fragment, then across fragments.
        assert_eq!(
            w.write_fragment(&[
                sample(1, 512, 0, true, b"x"),
                sample(1, 512, 0, false, b"y")
            ]),
            Err(Fmp4Error::NonMonotonicDecodeTime {
                track_id: 1,
                sample_index: 1,
                dts: 512,
                previous_dts: 512
            })
        );
        let _ = w
            .write_fragment(&[
                sample(1, 512, 0, true, b"x"),
                sample(1, 1024, 0, false, b"y"),
            ])
            .unwrap();
        assert_eq!(
            w.write_fragment(&[sample(1, 1000, 0, false, b"z")]),
            Err(Fmp4Error::NonMonotonicDecodeTime {
                track_id: 1,
                sample_index: 2,
                dts: 1000,
                previous_dts: 1024
            })
        );
        // A later fragment need not start with a keyframe (a low-latency
        // chunk), and counts samples on.
        let f = w
            .write_fragment(&[sample(1, 1536, 0, false, b"z")])
            .unwrap();
        assert_eq!(f.sequence_number, 2);
        assert!(!f.runs[0].starts_with_sync_sample);
    }

    #[test]
    fn styp_bytes() {
        assert_eq!(
            &styp(CHUNK_BRANDS)[..],
            b"\0\0\0\x18stypmsdh\0\0\0\0msdhcmfl"
        );
    }
}
