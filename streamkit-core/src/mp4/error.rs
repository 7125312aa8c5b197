//! Errors of MP4 input, with the box path, byte offset, track and sample.

use core::fmt;

use crate::codec::CodecError;

/// The deepest box nesting the reader follows. ISO BMFF files nest about
/// nine deep (`moov/trak/mdia/minf/stbl/stsd/avc1/avcC`); anything deeper is
/// refused with [`Mp4Error::TooDeep`].
pub const MAX_BOX_DEPTH: usize = 12;

/// A four-character code: a box type, handler type or sample entry type.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FourCc(pub [u8; 4]);

impl FourCc {
    /// The code's four bytes.
    #[must_use]
    pub const fn bytes(self) -> [u8; 4] {
        self.0
    }
}

impl fmt::Display for FourCc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for &b in &self.0 {
            if b.is_ascii_graphic() || b == b' ' {
                write!(f, "{}", char::from(b))?;
            } else {
                write!(f, "\\x{b:02x}")?;
            }
        }
        Ok(())
    }
}

impl fmt::Debug for FourCc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "FourCc(\"{self}\")")
    }
}

/// Where a box sits: the types of the boxes from the top of the file down to
/// it, shown as `moov/trak/mdia/minf/stbl/stsz`. The root (the file itself)
/// is the empty path, shown as `(file)`.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct BoxPath {
    types: [FourCc; MAX_BOX_DEPTH],
    len: u8,
}

impl BoxPath {
    /// The file itself: no box yet.
    pub const ROOT: BoxPath = BoxPath {
        types: [FourCc([0; 4]); MAX_BOX_DEPTH],
        len: 0,
    };

    /// The path of a child box of type `kind`; `None` past
    /// [`MAX_BOX_DEPTH`].
    #[must_use]
    pub fn child(&self, kind: FourCc) -> Option<BoxPath> {
        let mut next = *self;
        let slot = next.types.get_mut(usize::from(self.len))?;
        *slot = kind;
        next.len = self.len.checked_add(1)?;
        Some(next)
    }

    /// The box types from the outermost to this box.
    #[must_use]
    pub fn types(&self) -> &[FourCc] {
        self.types.get(..usize::from(self.len)).unwrap_or(&[])
    }

    /// The type of the innermost box, if any.
    #[must_use]
    pub fn last(&self) -> Option<FourCc> {
        self.types().last().copied()
    }
}

impl fmt::Display for BoxPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.len == 0 {
            return f.write_str("(file)");
        }
        for (i, t) in self.types().iter().enumerate() {
            if i > 0 {
                f.write_str("/")?;
            }
            write!(f, "{t}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for BoxPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "BoxPath(\"{self}\")")
    }
}

/// Why an MP4 file could not be read.
///
/// Every variant says where: the box path (`moov/trak/mdia/minf/stbl/stsz`),
/// the byte offset from the start of the file, and for sample-table problems
/// the track id and the (zero-based) sample number.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Mp4Error {
    /// The file holds no byte at all.
    #[error("the file is empty (0 bytes)")]
    Empty,
    /// The file does not start with a box: it is no MP4 (ISO BMFF) file.
    #[error(
        "not an MP4 (ISO BMFF) file: it starts with {found}, not a box header ({size} bytes of type ftyp, moov, mdat...)"
    )]
    NotIsoBmff {
        /// The type field of what would be the first box.
        found: FourCc,
        /// The size field of what would be the first box.
        size: u64,
    },
    /// The file ends inside a top-level box before any `moov`: it was cut
    /// short, and its `moov` (the index of every sample) was to come after.
    #[error(
        "cut short before its moov box: the file ends at byte {file_len}, inside the {kind} box at byte {offset} that is declared to end at byte {declared_end}; with no moov nothing can be read"
    )]
    CutBeforeMoov {
        /// The box the file ends in (`mdat`, usually).
        kind: FourCc,
        /// Byte offset of its header.
        offset: u64,
        /// Where the box says it ends.
        declared_end: u64,
        /// The file's length.
        file_len: u64,
    },
    /// A box declares more bytes than its parent (or the file) holds.
    #[error(
        "{path}: box at byte {offset} declares {size} bytes but only {available} remain in its parent"
    )]
    BoxOutOfBounds {
        /// The box.
        path: BoxPath,
        /// Byte offset of the box header.
        offset: u64,
        /// The size the header declares.
        size: u64,
        /// Bytes left in the parent from the box's start.
        available: u64,
    },
    /// A box declares a size smaller than its own header.
    #[error(
        "{path}: box at byte {offset} declares {size} bytes, less than its {header}-byte header"
    )]
    BoxTooSmall {
        /// The box.
        path: BoxPath,
        /// Byte offset of the box header.
        offset: u64,
        /// The size the header declares.
        size: u64,
        /// The header's own length.
        header: u64,
    },
    /// Boxes nest deeper than [`MAX_BOX_DEPTH`].
    #[error("{path}: box at byte {offset} nests deeper than {MAX_BOX_DEPTH} boxes")]
    TooDeep {
        /// The path down to the parent of the refused box.
        path: BoxPath,
        /// Byte offset of the refused box.
        offset: u64,
    },
    /// A box ends inside a field.
    #[error("{path}: truncated at byte {offset}: {field} needs {needed} byte(s), {available} left")]
    Truncated {
        /// The box being read (or the parent, for a box header).
        path: BoxPath,
        /// Byte offset of the field.
        offset: u64,
        /// The field being read.
        field: &'static str,
        /// Bytes the field needs.
        needed: u64,
        /// Bytes left in the box.
        available: u64,
    },
    /// A box the file needs is absent.
    #[error("{path}: missing")]
    MissingBox {
        /// The box that should be there.
        path: BoxPath,
    },
    /// An MPEG-4 descriptor the `esds` box needs is absent.
    #[error("{path}: no {descriptor} descriptor")]
    MissingDescriptor {
        /// The `esds` box.
        path: BoxPath,
        /// The descriptor (`DecoderConfigDescriptor`, `DecoderSpecificInfo`).
        descriptor: &'static str,
    },
    /// A box that may occur once occurs twice.
    #[error("{path}: a second box at byte {offset}, only one is allowed")]
    DuplicateBox {
        /// The repeated box.
        path: BoxPath,
        /// Byte offset of the second one.
        offset: u64,
    },
    /// A table's entry count needs more bytes than the box holds.
    #[error(
        "{path}: {entry_count} entries of {entry_size} bytes at byte {offset} do not fit in the {available} bytes left"
    )]
    EntryCount {
        /// The table box.
        path: BoxPath,
        /// Byte offset of the first entry.
        offset: u64,
        /// The count the box declares.
        entry_count: u64,
        /// Bytes per entry (for `stz2` with 4-bit fields, 1 per two entries).
        entry_size: u64,
        /// Bytes left in the box.
        available: u64,
    },
    /// A field holds a value the format forbids or this reader cannot use.
    #[error("{path}: {field} = {value} at byte {offset} is invalid: {reason}")]
    InvalidField {
        /// The box.
        path: BoxPath,
        /// Byte offset of the field.
        offset: u64,
        /// The field.
        field: &'static str,
        /// The value found.
        value: u64,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// Two tracks share one track id.
    #[error("moov/trak: track id {track_id} is used twice")]
    DuplicateTrackId {
        /// The repeated id.
        track_id: u32,
    },
    /// The sample tables of a track disagree with each other or with the
    /// file (a sample past the last chunk, time runs out, data outside the
    /// file).
    #[error("track {track_id}, sample {sample}: {path}: {reason}")]
    SampleTable {
        /// The track.
        track_id: u32,
        /// Zero-based sample number.
        sample: u32,
        /// The table that cannot serve the sample.
        path: BoxPath,
        /// What is wrong.
        reason: &'static str,
    },
    /// A sample's data lie (partly) outside the file.
    #[error(
        "track {track_id}, sample {sample}: data at bytes {offset}..{end} lie outside the file ({file_len} bytes)"
    )]
    SampleOutOfFile {
        /// The track.
        track_id: u32,
        /// Zero-based sample number.
        sample: u32,
        /// First byte of the sample.
        offset: u64,
        /// One past its last byte.
        end: u64,
        /// The file's length.
        file_len: u64,
    },
    /// A codec configuration box could not be parsed.
    #[error("{path}: codec configuration at byte {offset}: {source}")]
    Codec {
        /// The configuration box (`avcC`, `hvcC`, `esds`, `dOps`).
        path: BoxPath,
        /// Byte offset of its payload.
        offset: u64,
        /// What the codec parser found (boxed: keeps the error small).
        source: Box<CodecError>,
    },
}
