//! Fragmented MP4 input (ISO/IEC 14496-12 8.8): the samples of `moof`
//! boxes. Each track fragment (`traf`) resolves its defaults (`trex` in
//! `moov/mvex`, then `tfhd`), its base data offset (explicit, the `moof`
//! with `default-base-is-moof`, or the end of the previous track
//! fragment's data) and its decode time (`tfdt`, or where the track's
//! previous samples ended); each track run (`trun`) is kept as a slice of
//! the file and walked by a cursor, like the sample tables of `moov`.
//!
//! `sidx`, `styp`, `mfra`, `emsg` and `prft` are not needed to read the
//! samples and are skipped, so an init segment followed by media segments
//! (an HLS fMP4 or DASH rendition, concatenated) reads as one file.

use bytes::Bytes;

use super::Mp4Track;
use super::boxes::{FieldReader, Mp4Box};
use super::error::Mp4Error;
use super::table::{SampleCursor, SampleRef, slice_of};

/// `sample_is_non_sync_sample` in the sample flags.
const NON_SYNC: u32 = 0x0001_0000;

/// The defaults of one track's samples in fragments.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct SampleDefaults {
    pub(crate) duration: u32,
    pub(crate) size: u32,
    pub(crate) flags: u32,
}

/// A track's `trex`: its defaults for every fragment.
pub(crate) fn parse_trex(trex: &Mp4Box<'_>) -> Result<(u32, SampleDefaults), Mp4Error> {
    let mut r = trex.fields();
    r.version_flags()?;
    let track_id = r.u32("track_ID")?;
    r.skip(4, "default_sample_description_index")?;
    Ok((
        track_id,
        SampleDefaults {
            duration: r.u32("default_sample_duration")?,
            size: r.u32("default_sample_size")?,
            flags: r.u32("default_sample_flags")?,
        },
    ))
}

/// One track run, its defaults resolved.
#[derive(Clone, Debug)]
pub(crate) struct TrackRun {
    /// The run's per-sample entries, as a slice of the file.
    entries: Bytes,
    sample_count: u32,
    /// `tr_flags`.
    flags: u32,
    first_sample_flags: Option<u32>,
    /// Where the first sample's data is in the file.
    data_offset: u64,
    /// The first sample's decode time.
    base_dts: i64,
    defaults: SampleDefaults,
    entry_size: usize,
}

impl TrackRun {
    fn has(&self, flag: u32) -> bool {
        self.flags & flag != 0
    }

    fn field(&self, i: u32, at: usize) -> Option<u32> {
        let start = (i as usize).checked_mul(self.entry_size)?.checked_add(at)?;
        let b = self.entries.get(start..start.checked_add(4)?)?;
        Some(u32::from_be_bytes(<[u8; 4]>::try_from(b).ok()?))
    }

    /// Duration, size, flags and composition offset of sample `i`.
    fn sample(&self, i: u32) -> (u32, u32, u32, i32) {
        let mut at = 0;
        let mut next = |present: bool| {
            if present {
                at += 4;
                Some(at - 4)
            } else {
                None
            }
        };
        let duration = next(self.has(0x100)).and_then(|a| self.field(i, a));
        let size = next(self.has(0x200)).and_then(|a| self.field(i, a));
        let flags = next(self.has(0x400)).and_then(|a| self.field(i, a));
        let offset = next(self.has(0x800)).and_then(|a| self.field(i, a));
        let flags = match (i, self.first_sample_flags) {
            (0, Some(f)) if !self.has(0x400) => f,
            _ => flags.unwrap_or(self.defaults.flags),
        };
        (
            duration.unwrap_or(self.defaults.duration),
            size.unwrap_or(self.defaults.size),
            flags,
            // Version 0 offsets are unsigned by the standard; writers put
            // negative ones there too, so both versions read as signed.
            offset.map_or(0, |o| o as i32),
        )
    }
}

/// Every track run of one track, in file order.
#[derive(Clone, Debug, Default)]
pub(crate) struct TrackFragments {
    pub(crate) runs: Vec<TrackRun>,
    pub(crate) sample_count: u32,
    pub(crate) sync_count: u32,
    pub(crate) min_composition_offset: i32,
    /// The decode time after the last sample.
    pub(crate) end_dts: i64,
    /// Samples the runs list that a file cut short lacks (from the first
    /// one not wholly in the file on; read with `cut`).
    pub(crate) missing: u32,
}

/// What reading the `moof` boxes needs to know of one track.
pub(crate) struct FragmentedTrack {
    pub(crate) track_id: u32,
    pub(crate) defaults: SampleDefaults,
    /// Where the track's `moov` samples end (decode time), for a first
    /// fragment without `tfdt`.
    pub(crate) start_dts: i64,
    /// Read the track's runs (a supported track) or only skip them.
    pub(crate) read: bool,
    pub(crate) fragments: TrackFragments,
}

/// Reads every `moof` among `top` (the file's top-level boxes) into the
/// tracks' runs, checking every sample lies in the file; `cut`: the file
/// is cut short, so each track keeps its samples before the first one not
/// wholly in it and counts the rest as missing.
pub(crate) fn read_fragments(
    file: &Bytes,
    moofs: &[Mp4Box<'_>],
    tracks: &mut [FragmentedTrack],
    cut: bool,
) -> Result<(), Mp4Error> {
    for moof in moofs {
        // Where the data of the next track fragment starts by default.
        let mut previous_end: Option<u64> = None;
        for traf in moof.children() {
            let traf = traf?;
            if traf.kind.0 != *b"traf" {
                continue;
            }
            previous_end = Some(read_traf(file, moof, &traf, previous_end, tracks, cut)?);
        }
    }
    for t in tracks.iter_mut() {
        if t.fragments.sample_count == 0 {
            t.fragments.min_composition_offset = 0;
        }
    }
    Ok(())
}

/// One track fragment; returns where its data ends.
fn read_traf(
    file: &Bytes,
    moof: &Mp4Box<'_>,
    traf: &Mp4Box<'_>,
    previous_end: Option<u64>,
    tracks: &mut [FragmentedTrack],
    cut: bool,
) -> Result<u64, Mp4Error> {
    let tfhd = traf.require(b"tfhd")?;
    let mut r = tfhd.fields();
    let (_, flags) = r.version_flags()?;
    let at = r.offset();
    let track_id = r.u32("track_ID")?;
    let Some(track) = tracks.iter_mut().find(|t| t.track_id == track_id) else {
        return Err(r.invalid(
            at,
            "track_ID",
            u64::from(track_id),
            "names no track of moov",
        ));
    };
    let base_data_offset = if flags & 0x01 != 0 {
        Some(r.u64("base_data_offset")?)
    } else {
        None
    };
    if flags & 0x02 != 0 {
        r.skip(4, "sample_description_index")?;
    }
    let mut defaults = track.defaults;
    if flags & 0x08 != 0 {
        defaults.duration = r.u32("default_sample_duration")?;
    }
    if flags & 0x10 != 0 {
        defaults.size = r.u32("default_sample_size")?;
    }
    if flags & 0x20 != 0 {
        defaults.flags = r.u32("default_sample_flags")?;
    }
    let base = base_data_offset.unwrap_or(if flags & 0x02_0000 != 0 {
        moof.offset
    } else {
        previous_end.unwrap_or(moof.offset)
    });

    let mut dts = match traf.child(b"tfdt")? {
        Some(tfdt) => {
            let mut r = tfdt.fields();
            let (version, _) = r.version_flags()?;
            let at = r.offset();
            let t = if version == 1 {
                r.u64("baseMediaDecodeTime")?
            } else {
                u64::from(r.u32("baseMediaDecodeTime")?)
            };
            i64::try_from(t).map_err(|_| r.invalid(at, "baseMediaDecodeTime", t, "past 2^63"))?
        }
        None if track.fragments.runs.is_empty() && track.fragments.sample_count == 0 => {
            track.start_dts
        }
        None => track.fragments.end_dts,
    };

    let mut data_end = base;
    for trun in traf.children() {
        let trun = trun?;
        if trun.kind.0 != *b"trun" {
            continue;
        }
        let mut run = parse_trun(file, &trun, base, data_end, dts, defaults)?;
        if track.fragments.missing > 0 {
            // Past this track's first missing sample: all missing.
            track.fragments.missing = track.fragments.missing.saturating_add(run.sample_count);
            continue;
        }
        // Walk it once: every sample in the file, the times and counts.
        let mut pos = run.data_offset;
        for i in 0..run.sample_count {
            let (duration, size, flags, offset) = run.sample(i);
            let end = pos.saturating_add(u64::from(size));
            if end > file.len() as u64 && cut {
                track.fragments.missing = run.sample_count - i;
                run.sample_count = i;
                break;
            }
            if end > file.len() as u64 {
                return Err(Mp4Error::SampleOutOfFile {
                    track_id,
                    sample: track.fragments.sample_count.saturating_add(i),
                    offset: pos,
                    end,
                    file_len: file.len() as u64,
                });
            }
            pos = end;
            dts = dts
                .checked_add(i64::from(duration))
                .ok_or(Mp4Error::SampleTable {
                    track_id,
                    sample: i,
                    path: trun.path,
                    reason: "decode time overflows",
                })?;
            if track.read {
                if flags & NON_SYNC == 0 {
                    track.fragments.sync_count += 1;
                }
                track.fragments.min_composition_offset =
                    track.fragments.min_composition_offset.min(offset);
            }
        }
        data_end = pos;
        track.fragments.sample_count = track
            .fragments
            .sample_count
            .checked_add(run.sample_count)
            .ok_or(Mp4Error::SampleTable {
            track_id,
            sample: u32::MAX,
            path: trun.path,
            reason: "more than 2^32 samples",
        })?;
        track.fragments.end_dts = dts;
        if track.read && run.sample_count > 0 {
            track.fragments.runs.push(run);
        }
    }
    Ok(data_end)
}

fn parse_trun(
    file: &Bytes,
    trun: &Mp4Box<'_>,
    base: u64,
    continues_at: u64,
    base_dts: i64,
    defaults: SampleDefaults,
) -> Result<TrackRun, Mp4Error> {
    let mut r = trun.fields();
    let (_, flags) = r.version_flags()?;
    let sample_count = r.u32("sample_count")?;
    let data_offset = if flags & 0x01 != 0 {
        let at = r.offset();
        let d = r.i32("data_offset")?;
        base.checked_add_signed(i64::from(d))
            .ok_or_else(|| r.invalid(at, "data_offset", d as u64, "before the file"))?
    } else {
        continues_at
    };
    let first_sample_flags = if flags & 0x04 != 0 {
        Some(r.u32("first_sample_flags")?)
    } else {
        None
    };
    let entry_size = [0x100, 0x200, 0x400, 0x800]
        .iter()
        .filter(|&&f| flags & f != 0)
        .count()
        * 4;
    let entries = take_entries(file, &mut r, sample_count, entry_size)?;
    Ok(TrackRun {
        entries,
        sample_count,
        flags,
        first_sample_flags,
        data_offset,
        base_dts,
        defaults,
        entry_size,
    })
}

fn take_entries(
    file: &Bytes,
    r: &mut FieldReader<'_>,
    count: u32,
    entry_size: usize,
) -> Result<Bytes, Mp4Error> {
    let offset = r.offset();
    let len = (count as usize)
        .checked_mul(entry_size)
        .filter(|&len| len <= r.remaining())
        .ok_or(Mp4Error::EntryCount {
            path: r.path(),
            offset,
            entry_count: u64::from(count),
            entry_size: entry_size as u64,
            available: r.remaining() as u64,
        })?;
    r.skip(len, "sample entries")?;
    slice_of(file, offset, len).ok_or(Mp4Error::Truncated {
        path: r.path(),
        offset,
        field: "sample entries",
        needed: len as u64,
        available: 0,
    })
}

/// A position in a track's runs.
#[derive(Clone, Debug, Default)]
pub(crate) struct RunCursor {
    run: usize,
    sample: u32,
    pos: u64,
    dts: i64,
    /// Samples given so far.
    given: u32,
}

impl RunCursor {
    /// The next sample (numbered from `first_index`), `None` after the
    /// last. The runs were checked when the file was read.
    pub(crate) fn next(&mut self, f: &TrackFragments, first_index: u32) -> Option<SampleRef> {
        loop {
            let run = f.runs.get(self.run)?;
            if self.sample == 0 {
                self.pos = run.data_offset;
                self.dts = run.base_dts;
            }
            if self.sample >= run.sample_count {
                self.run += 1;
                self.sample = 0;
                continue;
            }
            let (duration, size, flags, offset) = run.sample(self.sample);
            let index = first_index.saturating_add(self.given);
            self.given += 1;
            let s = SampleRef {
                index,
                dts: self.dts,
                composition_offset: offset,
                duration,
                keyframe: flags & NON_SYNC == 0,
                offset: self.pos,
                size,
            };
            self.pos = self.pos.saturating_add(u64::from(size));
            self.dts = self.dts.saturating_add(i64::from(duration));
            self.sample += 1;
            return Some(s);
        }
    }
}

/// Reads the `moof` boxes' samples into their tracks: counts, sync
/// samples, the composition shift and (when `mdhd` says 0, as in an
/// `empty_moov` header) the duration follow.
pub(super) fn attach_fragments(
    data: &Bytes,
    moofs: &[Mp4Box<'_>],
    tracks: &mut [Mp4Track],
    defaults: &[(u32, SampleDefaults)],
    cut: bool,
) -> Result<(), Mp4Error> {
    let mut fragmented: Vec<FragmentedTrack> = tracks
        .iter()
        .map(|t| {
            let end = t.tables.as_ref().map_or(0, |tables| {
                let mut c = SampleCursor::default();
                let mut end = 0;
                while let Ok(Some(s)) = c.next(tables, data.len() as u64) {
                    end = s.dts + i64::from(s.duration);
                }
                end
            });
            FragmentedTrack {
                track_id: t.id,
                defaults: defaults
                    .iter()
                    .find(|(id, _)| *id == t.id)
                    .map(|(_, d)| *d)
                    .unwrap_or_default(),
                start_dts: end,
                read: t.tables.is_some(),
                fragments: TrackFragments::default(),
            }
        })
        .collect();
    read_fragments(data, moofs, &mut fragmented, cut)?;
    for (t, f) in tracks.iter_mut().zip(fragmented) {
        let f = f.fragments;
        if !t.is_supported() {
            continue;
        }
        t.declared_samples = t
            .declared_samples
            .saturating_add(f.sample_count)
            .saturating_add(f.missing);
        if f.sample_count == 0 {
            continue;
        }
        let all_sync = f.sync_count == f.sample_count;
        t.sync_sample_count = match (t.sync_sample_count, all_sync) {
            (None, true) => None,
            (table, _) => Some(table.unwrap_or(t.table_sample_count) + f.sync_count),
        };
        t.sample_count = t.table_sample_count.saturating_add(f.sample_count);
        let shift = f
            .min_composition_offset
            .checked_neg()
            .map_or(0, |n| n.max(0).unsigned_abs());
        t.composition_to_dts_shift = t.composition_to_dts_shift.max(shift);
        if t.duration == 0 {
            t.duration = u64::try_from(f.end_dts).unwrap_or(0);
        }
        t.fragments = Some(Box::new(f));
    }
    Ok(())
}
