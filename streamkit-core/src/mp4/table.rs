//! Sample tables (`stts`, `ctts`, `stss`, `stsc`, `stsz`/`stz2`,
//! `stco`/`co64`), kept as slices of the file and walked by a cursor: no
//! allocation per sample, and no allocation sized by a count in the file.

use bytes::Bytes;

use super::boxes::{FieldReader, Mp4Box};
use super::error::{BoxPath, FourCc, Mp4Error};

/// A table of fixed-size big-endian entries, as a slice of the file.
#[derive(Clone, Debug)]
pub(crate) struct Table {
    entries: Bytes,
    count: u32,
    entry_size: usize,
}

impl Table {
    /// Reads `count` entries of `entry_size` bytes at the reader's position,
    /// after checking they are all present.
    fn read(
        file: &Bytes,
        r: &mut FieldReader<'_>,
        count: u32,
        entry_size: usize,
    ) -> Result<Table, Mp4Error> {
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
        r.skip(len, "table entries")?;
        let entries = slice_of(file, offset, len).ok_or(Mp4Error::Truncated {
            path: r.path(),
            offset,
            field: "table entries",
            needed: len as u64,
            available: 0,
        })?;
        Ok(Table {
            entries,
            count,
            entry_size,
        })
    }

    pub(crate) fn count(&self) -> u32 {
        self.count
    }

    fn u32(&self, i: u32, at: usize) -> Option<u32> {
        let start = (i as usize).checked_mul(self.entry_size)?.checked_add(at)?;
        let b = self.entries.get(start..start.checked_add(4)?)?;
        Some(u32::from_be_bytes(<[u8; 4]>::try_from(b).ok()?))
    }

    fn u64(&self, i: u32, at: usize) -> Option<u64> {
        let start = (i as usize).checked_mul(self.entry_size)?.checked_add(at)?;
        let b = self.entries.get(start..start.checked_add(8)?)?;
        Some(u64::from_be_bytes(<[u8; 8]>::try_from(b).ok()?))
    }
}

/// `file[offset..offset + len]` as a shared slice, or `None` outside.
pub(crate) fn slice_of(file: &Bytes, offset: u64, len: usize) -> Option<Bytes> {
    let start = usize::try_from(offset).ok()?;
    let end = start.checked_add(len)?;
    (end <= file.len()).then(|| file.slice(start..end))
}

/// Sample sizes: one size for all, a 32-bit table (`stsz`) or a compact
/// table of 4-, 8- or 16-bit fields (`stz2`).
#[derive(Clone, Debug)]
enum SampleSizes {
    Fixed(u32),
    Table(Table),
    Compact { entries: Bytes, field_size: u8 },
}

impl SampleSizes {
    fn get(&self, i: u32) -> Option<u32> {
        match self {
            SampleSizes::Fixed(s) => Some(*s),
            SampleSizes::Table(t) => t.u32(i, 0),
            SampleSizes::Compact {
                entries,
                field_size,
            } => {
                let i = i as usize;
                match field_size {
                    4 => {
                        let b = *entries.get(i / 2)?;
                        Some(u32::from(if i.is_multiple_of(2) {
                            b >> 4
                        } else {
                            b & 0x0f
                        }))
                    }
                    8 => entries.get(i).map(|&b| u32::from(b)),
                    _ => {
                        let b =
                            entries.get(i.checked_mul(2)?..i.checked_mul(2)?.checked_add(2)?)?;
                        Some(u32::from(u16::from_be_bytes([*b.first()?, *b.get(1)?])))
                    }
                }
            }
        }
    }
}

/// Everything needed to find, time and flag each sample of one track.
#[derive(Clone, Debug)]
pub(crate) struct SampleTables {
    track_id: u32,
    sample_count: u32,
    stbl: BoxPath,
    stts: Table,
    ctts: Option<Table>,
    stss: Option<Table>,
    stsc: Table,
    sizes: SampleSizes,
    chunks: Table,
    chunk_offset_64: bool,
}

fn sub(path: BoxPath, kind: &[u8; 4]) -> BoxPath {
    path.child(FourCc(*kind)).unwrap_or(path)
}

impl SampleTables {
    /// Reads the tables of the `stbl` box. Only checks that each table's
    /// entries are present; [`SampleTables::validate`] checks that they
    /// agree with each other and with the file.
    pub(crate) fn parse(
        file: &Bytes,
        stbl: &Mp4Box<'_>,
        track_id: u32,
    ) -> Result<SampleTables, Mp4Error> {
        let mut stts = None;
        let mut ctts = None;
        let mut stss = None;
        let mut stsc = None;
        let mut sizes = None;
        let mut chunks = None;
        for b in stbl.children() {
            let b = b?;
            let slot_taken = match &b.kind.0 {
                b"stts" => stts.replace(counted_table(file, &b, 8)?).is_some(),
                b"ctts" => ctts.replace(counted_table(file, &b, 8)?).is_some(),
                b"stss" => stss.replace(counted_table(file, &b, 4)?).is_some(),
                b"stsc" => stsc.replace(counted_table(file, &b, 12)?).is_some(),
                b"stco" => chunks
                    .replace((counted_table(file, &b, 4)?, false))
                    .is_some(),
                b"co64" => chunks
                    .replace((counted_table(file, &b, 8)?, true))
                    .is_some(),
                b"stsz" => sizes.replace(parse_stsz(file, &b)?).is_some(),
                b"stz2" => sizes.replace(parse_stz2(file, &b)?).is_some(),
                _ => false,
            };
            if slot_taken {
                return Err(Mp4Error::DuplicateBox {
                    path: b.path,
                    offset: b.offset,
                });
            }
        }
        let missing = |kind: &[u8; 4]| Mp4Error::MissingBox {
            path: sub(stbl.path, kind),
        };
        let (sample_count, sizes) = sizes.ok_or_else(|| missing(b"stsz"))?;
        let (chunks, chunk_offset_64) = chunks.ok_or_else(|| missing(b"stco"))?;
        Ok(SampleTables {
            track_id,
            sample_count,
            stbl: stbl.path,
            stts: stts.ok_or_else(|| missing(b"stts"))?,
            ctts,
            stss,
            stsc: stsc.ok_or_else(|| missing(b"stsc"))?,
            sizes,
            chunks,
            chunk_offset_64,
        })
    }

    /// Number of samples (from `stsz`/`stz2`).
    pub(crate) fn sample_count(&self) -> u32 {
        self.sample_count
    }

    /// Number of sync samples, or `None` when every sample is one (no
    /// `stss`).
    pub(crate) fn sync_sample_count(&self) -> Option<u32> {
        self.stss.as_ref().map(Table::count)
    }

    /// Walks every sample once: afterwards a [`SampleCursor`] over these
    /// tables cannot fail on a file of `file_len` bytes. Returns the
    /// smallest composition offset (0 without samples).
    pub(crate) fn validate(&self, file_len: u64) -> Result<i32, Mp4Error> {
        let mut c = SampleCursor::default();
        let mut min = i32::MAX;
        while let Some(s) = c.next(self, file_len)? {
            min = min.min(s.composition_offset);
        }
        Ok(if min == i32::MAX { 0 } else { min })
    }

    /// As [`SampleTables::validate`] for a file cut short: the tables keep
    /// the samples before the first one not wholly in the file (the count
    /// becomes theirs); any other problem is still an error.
    pub(crate) fn validate_present(&mut self, file_len: u64) -> Result<i32, Mp4Error> {
        let mut c = SampleCursor::default();
        let mut min = i32::MAX;
        let mut present = 0;
        loop {
            match c.next(self, file_len) {
                Ok(Some(s)) => {
                    min = min.min(s.composition_offset);
                    present += 1;
                }
                Ok(None) => break,
                Err(Mp4Error::SampleOutOfFile { .. }) => break,
                Err(e) => return Err(e),
            }
        }
        self.sample_count = present;
        Ok(if min == i32::MAX { 0 } else { min })
    }

    fn error(&self, sample: u32, kind: &[u8; 4], reason: &'static str) -> Mp4Error {
        Mp4Error::SampleTable {
            track_id: self.track_id,
            sample,
            path: sub(self.stbl, kind),
            reason,
        }
    }
}

fn counted_table(file: &Bytes, b: &Mp4Box<'_>, entry_size: usize) -> Result<Table, Mp4Error> {
    let mut r = b.fields();
    r.version_flags()?;
    let count = r.u32("entry_count")?;
    Table::read(file, &mut r, count, entry_size)
}

fn parse_stsz(file: &Bytes, b: &Mp4Box<'_>) -> Result<(u32, SampleSizes), Mp4Error> {
    let mut r = b.fields();
    r.version_flags()?;
    let size = r.u32("sample_size")?;
    let count_at = r.offset();
    let count = r.u32("sample_count")?;
    if size != 0 {
        // No table: bound the count by the bytes the samples would need.
        if u64::from(count) * u64::from(size) > file.len() as u64 {
            return Err(r.invalid(
                count_at,
                "sample_count",
                u64::from(count),
                "samples of the fixed sample_size would not fit in the file",
            ));
        }
        return Ok((count, SampleSizes::Fixed(size)));
    }
    Ok((
        count,
        SampleSizes::Table(Table::read(file, &mut r, count, 4)?),
    ))
}

fn parse_stz2(file: &Bytes, b: &Mp4Box<'_>) -> Result<(u32, SampleSizes), Mp4Error> {
    let mut r = b.fields();
    r.version_flags()?;
    r.skip(3, "reserved")?;
    let field_at = r.offset();
    let field_size = r.u8("field_size")?;
    if !matches!(field_size, 4 | 8 | 16) {
        return Err(r.invalid(
            field_at,
            "field_size",
            u64::from(field_size),
            "must be 4, 8 or 16",
        ));
    }
    let count = r.u32("sample_count")?;
    let offset = r.offset();
    let len = (u64::from(count) * u64::from(field_size)).div_ceil(8);
    if len > r.remaining() as u64 {
        return Err(Mp4Error::EntryCount {
            path: b.path,
            offset,
            entry_count: u64::from(count),
            entry_size: u64::from(field_size / 8).max(1),
            available: r.remaining() as u64,
        });
    }
    let entries = slice_of(file, offset, len as usize).ok_or(Mp4Error::Truncated {
        path: b.path,
        offset,
        field: "entry sizes",
        needed: len,
        available: r.remaining() as u64,
    })?;
    Ok((
        count,
        SampleSizes::Compact {
            entries,
            field_size,
        },
    ))
}

/// One sample as the tables describe it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct SampleRef {
    pub(crate) index: u32,
    pub(crate) dts: i64,
    pub(crate) composition_offset: i32,
    pub(crate) duration: u32,
    pub(crate) keyframe: bool,
    pub(crate) offset: u64,
    pub(crate) size: u32,
}

/// A position in a track's sample tables: the next sample, and where each
/// table stands.
#[derive(Clone, Debug, Default)]
pub(crate) struct SampleCursor {
    n: u32,
    dts: i64,
    stts_next: u32,
    stts_left: u32,
    stts_delta: u32,
    ctts_next: u32,
    ctts_left: u32,
    ctts_offset: i32,
    stss_next: u32,
    stsc_entry: u32,
    chunk_next: u32,
    chunk_left: u32,
    pos: u64,
}

impl SampleCursor {
    /// The next sample, `Ok(None)` after the last.
    pub(crate) fn next(
        &mut self,
        t: &SampleTables,
        file_len: u64,
    ) -> Result<Option<SampleRef>, Mp4Error> {
        let n = self.n;
        if n >= t.sample_count {
            return Ok(None);
        }

        // Decode time and duration: `stts` runs of (count, delta).
        while self.stts_left == 0 {
            let i = self.stts_next;
            if i >= t.stts.count() {
                return Err(t.error(n, b"stts", "time-to-sample runs end before the last sample"));
            }
            self.stts_left = t.stts.u32(i, 0).unwrap_or(0);
            self.stts_delta = t.stts.u32(i, 4).unwrap_or(0);
            self.stts_next = i + 1;
        }
        self.stts_left -= 1;
        let duration = self.stts_delta;
        let dts = self.dts;

        // Composition offsets: `ctts` runs of (count, offset). Version 0
        // offsets are unsigned by the standard, but writers put negative
        // values there too; like other readers, both versions are read as
        // signed.
        let composition_offset = match &t.ctts {
            None => 0,
            Some(ctts) => {
                while self.ctts_left == 0 {
                    let i = self.ctts_next;
                    if i >= ctts.count() {
                        return Err(t.error(
                            n,
                            b"ctts",
                            "composition offset runs end before the last sample",
                        ));
                    }
                    self.ctts_left = ctts.u32(i, 0).unwrap_or(0);
                    self.ctts_offset = ctts.u32(i, 4).unwrap_or(0) as i32;
                    self.ctts_next = i + 1;
                }
                self.ctts_left -= 1;
                self.ctts_offset
            }
        };

        // Sync samples: `stss` lists one-based sample numbers in increasing
        // order; without it every sample is a sync sample.
        let keyframe = match &t.stss {
            None => true,
            Some(stss) => {
                let number = n + 1;
                while self.stss_next < stss.count()
                    && stss.u32(self.stss_next, 0).unwrap_or(u32::MAX) < number
                {
                    self.stss_next += 1;
                }
                stss.u32(self.stss_next, 0) == Some(number)
            }
        };

        // Chunk: `stsc` runs of (first_chunk, samples_per_chunk, ...) over
        // the chunk offsets of `stco`/`co64`.
        while self.chunk_left == 0 {
            let chunk = self.chunk_next;
            let chunk_kind = if t.chunk_offset_64 { b"co64" } else { b"stco" };
            if chunk >= t.chunks.count() {
                return Err(t.error(n, chunk_kind, "sample lies beyond the last chunk"));
            }
            if self.stsc_entry == 0 && t.stsc.u32(0, 0) != Some(1) {
                return Err(t.error(n, b"stsc", "first entry does not start at chunk 1"));
            }
            let number = chunk + 1;
            while self.stsc_entry + 1 < t.stsc.count()
                && t.stsc.u32(self.stsc_entry + 1, 0).unwrap_or(u32::MAX) <= number
            {
                self.stsc_entry += 1;
            }
            self.chunk_left = t.stsc.u32(self.stsc_entry, 4).unwrap_or(0);
            self.pos = if t.chunk_offset_64 {
                t.chunks.u64(chunk, 0)
            } else {
                t.chunks.u32(chunk, 0).map(u64::from)
            }
            .unwrap_or(u64::MAX);
            self.chunk_next = number;
        }
        self.chunk_left -= 1;

        let size = t
            .sizes
            .get(n)
            .ok_or_else(|| t.error(n, b"stsz", "sample size table ends early"))?;
        let offset = self.pos;
        let end = offset.saturating_add(u64::from(size));
        if end > file_len {
            return Err(Mp4Error::SampleOutOfFile {
                track_id: t.track_id,
                sample: n,
                offset,
                end,
                file_len,
            });
        }
        self.pos = end;
        self.dts = dts
            .checked_add(i64::from(duration))
            .ok_or_else(|| t.error(n, b"stts", "decode time overflows"))?;
        self.n = n + 1;
        Ok(Some(SampleRef {
            index: n,
            dts,
            composition_offset,
            duration,
            keyframe,
            offset,
            size,
        }))
    }
}
