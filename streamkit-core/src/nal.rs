//! NAL unit streams: Annex-B and length-prefixed.
//!
//! H.264 and H.265 bitstreams come in two framings:
//!
//! - **Annex-B** (ITU-T H.264 Annex B, MPEG-TS, raw `.h264` files): each NAL
//!   unit follows a start code `00 00 01` or `00 00 00 01`.
//!   [`AnnexBUnits`] (over [`Bytes`]) and [`AnnexBSlices`] (over `&[u8]`)
//!   iterate the units without copying them.
//! - **Length-prefixed** (MP4 samples, `avcC` / `hvcC` streams): each NAL
//!   unit follows its length as a 1-, 2- or 4-byte big-endian integer
//!   ([`NalLengthSize`]). [`LengthPrefixedUnits`] and
//!   [`LengthPrefixedSlices`] iterate them, with an error on truncation.
//!
//! [`annex_b_to_length_prefixed`] and [`length_prefixed_to_annex_b`] convert
//! between the two into the caller's [`BufMut`]. [`rbsp_from_ebsp`] removes
//! the emulation-prevention bytes (`00 00 03` -> `00 00`) that parameter-set
//! parsing needs gone, without copying when there is nothing to remove.
//! [`H264NalHeader`] and [`H265NalHeader`] read the NAL unit headers.
//!
//! ```
//! use bytes::Bytes;
//! use streamkit_core::nal::{AnnexBUnits, H264NalHeader, NalLengthSize};
//! use streamkit_core::nal::{annex_b_to_length_prefixed, length_prefixed_to_annex_b};
//!
//! let stream = Bytes::from_static(&[0, 0, 0, 1, 0x67, 0x42, 0, 0, 1, 0x68, 0xce, 0, 0, 1, 0x65, 0x88]);
//! let units: Vec<Bytes> = AnnexBUnits::new(stream.clone()).collect();
//! assert_eq!(units.len(), 3);
//! assert_eq!(H264NalHeader::parse(units[0][0]).nal_unit_type, H264NalHeader::SPS);
//!
//! let mut mp4 = Vec::new();
//! annex_b_to_length_prefixed(&stream, NalLengthSize::Four, &mut mp4)?;
//! assert_eq!(&mp4[..6], &[0, 0, 0, 2, 0x67, 0x42]);
//!
//! let mut back = Vec::new();
//! length_prefixed_to_annex_b(&mp4, NalLengthSize::Four, &mut back)?;
//! assert_eq!(back, [0, 0, 0, 1, 0x67, 0x42, 0, 0, 0, 1, 0x68, 0xce, 0, 0, 0, 1, 0x65, 0x88]);
//! # Ok::<(), streamkit_core::nal::NalError>(())
//! ```

use std::borrow::Cow;

use bytes::{BufMut, Bytes};
use memchr::memmem::Finder;

/// Why a NAL unit stream could not be iterated or converted.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum NalError {
    /// A length prefix, or the NAL unit it announces, runs past the end of
    /// the input.
    #[error("length-prefixed NAL unit at byte {offset}: {needed} byte(s) needed, {available} left")]
    Truncated {
        /// Byte offset of the length prefix.
        offset: usize,
        /// Bytes the prefix (or prefix plus unit) needs.
        needed: usize,
        /// Bytes left from `offset`.
        available: usize,
    },
    /// A NAL unit is too long for the length prefix size.
    #[error("NAL unit at byte {offset} is {len} bytes, more than a {size}-byte length can carry")]
    UnitTooLong {
        /// Byte offset of the unit in the input.
        offset: usize,
        /// The unit's length.
        len: usize,
        /// The prefix size in bytes.
        size: u8,
    },
    /// The output buffer has no room for the next write.
    #[error("output buffer full: {needed} byte(s) needed, {remaining} left")]
    OutputFull {
        /// Bytes the next write needs.
        needed: usize,
        /// Room left in the output.
        remaining: usize,
    },
    /// An Annex-B stream has data before its first start code.
    #[error("Annex-B stream: non-zero byte at {offset} before the first start code")]
    MissingStartCode {
        /// Byte offset of the first non-zero byte.
        offset: usize,
    },
}

/// The size of the big-endian length that precedes each NAL unit in a
/// length-prefixed stream (`lengthSizeMinusOne + 1` in `avcC` / `hvcC`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum NalLengthSize {
    /// One byte: units up to 255 bytes.
    One,
    /// Two bytes: units up to 65 535 bytes.
    Two,
    /// Four bytes: the usual choice.
    #[default]
    Four,
}

impl NalLengthSize {
    /// The size for `bytes` (1, 2 or 4); `None` for any other.
    #[must_use]
    pub const fn from_bytes(bytes: u8) -> Option<NalLengthSize> {
        match bytes {
            1 => Some(NalLengthSize::One),
            2 => Some(NalLengthSize::Two),
            4 => Some(NalLengthSize::Four),
            _ => None,
        }
    }

    /// The size in bytes: 1, 2 or 4.
    #[must_use]
    pub const fn bytes(self) -> u8 {
        match self {
            NalLengthSize::One => 1,
            NalLengthSize::Two => 2,
            NalLengthSize::Four => 4,
        }
    }

    /// The largest unit length the prefix can carry.
    #[must_use]
    pub const fn max_unit_len(self) -> usize {
        match self {
            NalLengthSize::One => 0xff,
            NalLengthSize::Two => 0xffff,
            NalLengthSize::Four => 0xffff_ffff,
        }
    }

    fn read(self, b: &[u8]) -> usize {
        b.iter().fold(0usize, |acc, &x| (acc << 8) | usize::from(x))
    }
}

/// The three bytes every start code ends with.
const START_CODE: &[u8; 3] = &[0, 0, 1];

/// A SIMD substring searcher for [`START_CODE`], built once per iterator.
fn start_code_finder() -> Finder<'static> {
    Finder::new(START_CODE)
}

/// Finds the next start code (`00 00 01`) at or after `from`: returns the
/// offset of its first zero byte.
#[inline]
fn find_start_code(finder: &Finder<'static>, data: &[u8], from: usize) -> Option<usize> {
    finder.find(data.get(from..)?).map(|i| from + i)
}

/// The range of the next NAL unit at or after `pos` (which is just past a
/// start code, or anywhere before the first): `(start, end, next_pos)`.
#[inline]
fn next_annex_b(
    finder: &Finder<'static>,
    data: &[u8],
    pos: usize,
    started: bool,
) -> Option<(usize, usize, usize)> {
    let mut pos = pos;
    let mut started = started;
    loop {
        if !started {
            let sc = find_start_code(finder, data, pos)?;
            pos = sc + 3;
            started = true;
        }
        if pos >= data.len() {
            return None;
        }
        let (mut end, next) = match find_start_code(finder, data, pos) {
            Some(sc) => (sc, sc + 3),
            None => (data.len(), data.len()),
        };
        // Zero bytes before a start code belong to it (the fourth byte of
        // a 4-byte start code, trailing_zero_8bits): no NAL unit ends in 00.
        while end > pos && data.get(end - 1) == Some(&0) {
            end -= 1;
        }
        if end > pos {
            return Some((pos, end, next));
        }
        // An empty unit (two start codes in a row): skip it.
        pos = next;
    }
}

/// Iterates the NAL units of an Annex-B stream as slices of a `&[u8]`.
///
/// Bytes before the first start code are not a NAL unit and are skipped;
/// empty units are skipped; zero bytes at the end of a unit (they belong to
/// the next start code or are trailing padding) are not part of the unit.
#[derive(Clone, Debug)]
pub struct AnnexBSlices<'a> {
    data: &'a [u8],
    pos: usize,
    started: bool,
    finder: Finder<'static>,
}

impl<'a> AnnexBSlices<'a> {
    /// Iterates the NAL units of `data`.
    #[must_use]
    pub fn new(data: &'a [u8]) -> Self {
        AnnexBSlices {
            data,
            pos: 0,
            started: false,
            finder: start_code_finder(),
        }
    }
}

impl<'a> Iterator for AnnexBSlices<'a> {
    type Item = &'a [u8];

    fn next(&mut self) -> Option<&'a [u8]> {
        let Some((start, end, next)) =
            next_annex_b(&self.finder, self.data, self.pos, self.started)
        else {
            self.pos = self.data.len();
            self.started = true;
            return None;
        };
        self.pos = next;
        self.started = true;
        self.data.get(start..end)
    }
}

impl core::iter::FusedIterator for AnnexBSlices<'_> {}

/// Iterates the NAL units of an Annex-B stream as [`Bytes`] slices sharing
/// the input's buffer (no copy). Same rules as [`AnnexBSlices`].
#[derive(Clone, Debug)]
pub struct AnnexBUnits {
    data: Bytes,
    pos: usize,
    started: bool,
    finder: Finder<'static>,
}

impl AnnexBUnits {
    /// Iterates the NAL units of `data`.
    #[must_use]
    pub fn new(data: Bytes) -> Self {
        AnnexBUnits {
            data,
            pos: 0,
            started: false,
            finder: start_code_finder(),
        }
    }
}

impl Iterator for AnnexBUnits {
    type Item = Bytes;

    fn next(&mut self) -> Option<Bytes> {
        let Some((start, end, next)) =
            next_annex_b(&self.finder, &self.data, self.pos, self.started)
        else {
            self.pos = self.data.len();
            self.started = true;
            return None;
        };
        self.pos = next;
        self.started = true;
        Some(self.data.slice(start..end))
    }
}

impl core::iter::FusedIterator for AnnexBUnits {}

/// The range of the next length-prefixed unit at `pos`.
fn next_length_prefixed(
    data: &[u8],
    pos: usize,
    size: NalLengthSize,
) -> Option<Result<(usize, usize), NalError>> {
    if pos >= data.len() {
        return None;
    }
    let n = usize::from(size.bytes());
    let available = data.len() - pos;
    let Some(prefix) = data.get(pos..pos + n) else {
        return Some(Err(NalError::Truncated {
            offset: pos,
            needed: n,
            available,
        }));
    };
    let len = size.read(prefix);
    let start = pos + n;
    match start.checked_add(len).filter(|&e| e <= data.len()) {
        Some(end) => Some(Ok((start, end))),
        None => Some(Err(NalError::Truncated {
            offset: pos,
            needed: n.saturating_add(len),
            available,
        })),
    }
}

/// Iterates the NAL units of a length-prefixed stream as slices of a
/// `&[u8]`; yields one error and stops if a prefix or unit is truncated.
/// Zero-length units are yielded as empty slices.
#[derive(Clone, Debug)]
pub struct LengthPrefixedSlices<'a> {
    data: &'a [u8],
    pos: usize,
    size: NalLengthSize,
}

impl<'a> LengthPrefixedSlices<'a> {
    /// Iterates the units of `data`, each preceded by a `size`-byte length.
    #[must_use]
    pub fn new(data: &'a [u8], size: NalLengthSize) -> Self {
        LengthPrefixedSlices { data, pos: 0, size }
    }
}

impl<'a> Iterator for LengthPrefixedSlices<'a> {
    type Item = Result<&'a [u8], NalError>;

    fn next(&mut self) -> Option<Self::Item> {
        match next_length_prefixed(self.data, self.pos, self.size)? {
            Ok((start, end)) => {
                self.pos = end;
                self.data.get(start..end).map(Ok)
            }
            Err(e) => {
                self.pos = self.data.len();
                Some(Err(e))
            }
        }
    }
}

impl core::iter::FusedIterator for LengthPrefixedSlices<'_> {}

/// Iterates the NAL units of a length-prefixed stream (an MP4 sample) as
/// [`Bytes`] slices sharing the input's buffer; yields one error and stops
/// if a prefix or unit is truncated.
#[derive(Clone, Debug)]
pub struct LengthPrefixedUnits {
    data: Bytes,
    pos: usize,
    size: NalLengthSize,
}

impl LengthPrefixedUnits {
    /// Iterates the units of `data`, each preceded by a `size`-byte length.
    #[must_use]
    pub fn new(data: Bytes, size: NalLengthSize) -> Self {
        LengthPrefixedUnits { data, pos: 0, size }
    }
}

impl Iterator for LengthPrefixedUnits {
    type Item = Result<Bytes, NalError>;

    fn next(&mut self) -> Option<Self::Item> {
        match next_length_prefixed(&self.data, self.pos, self.size)? {
            Ok((start, end)) => {
                self.pos = end;
                Some(Ok(self.data.slice(start..end)))
            }
            Err(e) => {
                self.pos = self.data.len();
                Some(Err(e))
            }
        }
    }
}

impl core::iter::FusedIterator for LengthPrefixedUnits {}

fn ensure_room(out: &impl BufMut, needed: usize) -> Result<(), NalError> {
    let remaining = out.remaining_mut();
    if remaining < needed {
        return Err(NalError::OutputFull { needed, remaining });
    }
    Ok(())
}

/// Rewrites an Annex-B stream as length-prefixed NAL units into `out`;
/// returns the number of units written.
///
/// The stream must start with a start code (leading zero bytes are
/// allowed). On error, `out` holds the units written before the failing
/// one.
pub fn annex_b_to_length_prefixed(
    data: &[u8],
    size: NalLengthSize,
    out: &mut impl BufMut,
) -> Result<usize, NalError> {
    let finder = start_code_finder();
    let first_sc = find_start_code(&finder, data, 0).unwrap_or(data.len());
    if let Some(offset) = data
        .get(..first_sc)
        .and_then(|head| head.iter().position(|&b| b != 0))
    {
        return Err(NalError::MissingStartCode { offset });
    }
    let n = usize::from(size.bytes());
    let mut count = 0;
    let (mut pos, mut started) = (0, false);
    while let Some((start, end, next)) = next_annex_b(&finder, data, pos, started) {
        (pos, started) = (next, true);
        let unit = data.get(start..end).unwrap_or_default();
        if unit.len() > size.max_unit_len() {
            return Err(NalError::UnitTooLong {
                offset: start,
                len: unit.len(),
                size: size.bytes(),
            });
        }
        ensure_room(out, n + unit.len())?;
        out.put_uint(unit.len() as u64, n);
        out.put_slice(unit);
        count += 1;
    }
    Ok(count)
}

/// Rewrites a length-prefixed stream as Annex-B (4-byte start codes) into
/// `out`; returns the number of units written.
///
/// The whole input is checked before anything is written, so on a
/// truncation error `out` is untouched.
pub fn length_prefixed_to_annex_b(
    data: &[u8],
    size: NalLengthSize,
    out: &mut impl BufMut,
) -> Result<usize, NalError> {
    let mut total = 0usize;
    for unit in LengthPrefixedSlices::new(data, size) {
        total = total.saturating_add(4 + unit?.len());
    }
    ensure_room(out, total)?;
    let mut count = 0;
    for unit in LengthPrefixedSlices::new(data, size).flatten() {
        out.put_slice(&[0, 0, 0, 1]);
        out.put_slice(unit);
        count += 1;
    }
    Ok(count)
}

/// Removes emulation-prevention bytes: each `03` that follows `00 00` is
/// dropped, giving the RBSP that parameter-set parsers read. Borrows the
/// input when there is none to remove.
#[must_use]
pub fn rbsp_from_ebsp(ebsp: &[u8]) -> Cow<'_, [u8]> {
    let Some(first) = memchr::memmem::find(ebsp, &[0, 0, 3]) else {
        return Cow::Borrowed(ebsp);
    };
    let mut out = Vec::with_capacity(ebsp.len());
    out.extend_from_slice(ebsp.get(..first + 2).unwrap_or(ebsp));
    // The 03 at `first + 2` is dropped; counting starts afresh after it.
    let mut zeros = 0usize;
    for &b in ebsp.get(first + 3..).unwrap_or(&[]) {
        if zeros >= 2 && b == 3 {
            zeros = 0;
            continue;
        }
        out.push(b);
        zeros = if b == 0 { zeros + 1 } else { 0 };
    }
    Cow::Owned(out)
}

/// Inserts emulation-prevention bytes: after `00 00`, a byte `00` to `03`
/// gets an `03` before it, and an RBSP ending in `00 00` (a
/// `cabac_zero_word`) gets a final `03`. Borrows the input when nothing
/// needs inserting.
///
/// A valid RBSP ends in its stop bit, so never in a single `00`; such input
/// keeps its final `00`, which Annex-B framing would take for padding.
#[must_use]
pub fn ebsp_from_rbsp(rbsp: &[u8]) -> Cow<'_, [u8]> {
    let needs =
        rbsp.windows(3).any(|w| w[0] == 0 && w[1] == 0 && w[2] <= 3) || rbsp.ends_with(&[0, 0]);
    if !needs {
        return Cow::Borrowed(rbsp);
    }
    let mut out = Vec::with_capacity(rbsp.len() + rbsp.len() / 2 + 1);
    let mut zeros = 0usize;
    for &b in rbsp {
        if zeros >= 2 && b <= 3 {
            out.push(3);
            zeros = 0;
        }
        out.push(b);
        zeros = if b == 0 { zeros + 1 } else { 0 };
    }
    if zeros >= 2 {
        out.push(3);
    }
    Cow::Owned(out)
}

/// The one-byte H.264 NAL unit header (ITU-T H.264 7.3.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct H264NalHeader {
    /// `forbidden_zero_bit`: set means the unit is corrupt.
    pub forbidden_zero_bit: bool,
    /// `nal_ref_idc` (0 to 3): zero when no reference picture depends on it.
    pub nal_ref_idc: u8,
    /// `nal_unit_type` (0 to 31).
    pub nal_unit_type: u8,
}

impl H264NalHeader {
    /// Coded slice of a non-IDR picture.
    pub const NON_IDR_SLICE: u8 = 1;
    /// Coded slice of an IDR picture.
    pub const IDR_SLICE: u8 = 5;
    /// Supplemental enhancement information.
    pub const SEI: u8 = 6;
    /// Sequence parameter set.
    pub const SPS: u8 = 7;
    /// Picture parameter set.
    pub const PPS: u8 = 8;
    /// Access unit delimiter.
    pub const AUD: u8 = 9;
    /// End of sequence.
    pub const END_OF_SEQUENCE: u8 = 10;
    /// End of stream.
    pub const END_OF_STREAM: u8 = 11;
    /// Filler data.
    pub const FILLER: u8 = 12;
    /// Sequence parameter set extension.
    pub const SPS_EXT: u8 = 13;

    /// The header in the first byte of a NAL unit.
    #[must_use]
    pub const fn parse(first_byte: u8) -> H264NalHeader {
        H264NalHeader {
            forbidden_zero_bit: first_byte & 0x80 != 0,
            nal_ref_idc: (first_byte >> 5) & 3,
            nal_unit_type: first_byte & 0x1f,
        }
    }

    /// The header of `unit`; `None` when it is empty.
    #[must_use]
    pub fn of_unit(unit: &[u8]) -> Option<H264NalHeader> {
        unit.first().map(|&b| H264NalHeader::parse(b))
    }

    /// `true` for a slice of an IDR picture.
    #[must_use]
    pub const fn is_idr(self) -> bool {
        self.nal_unit_type == Self::IDR_SLICE
    }

    /// `true` for an SPS, PPS or SPS extension.
    #[must_use]
    pub const fn is_parameter_set(self) -> bool {
        matches!(self.nal_unit_type, Self::SPS | Self::PPS | Self::SPS_EXT)
    }

    /// `true` for a coded slice (types 1 to 5).
    #[must_use]
    pub const fn is_slice(self) -> bool {
        matches!(self.nal_unit_type, 1..=5)
    }
}

/// The two-byte H.265 NAL unit header (ITU-T H.265 7.3.1.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct H265NalHeader {
    /// `forbidden_zero_bit`: set means the unit is corrupt.
    pub forbidden_zero_bit: bool,
    /// `nal_unit_type` (0 to 63).
    pub nal_unit_type: u8,
    /// `nuh_layer_id` (0 to 63): 0 for the base layer.
    pub nuh_layer_id: u8,
    /// `nuh_temporal_id_plus1` (1 to 7; 0 is forbidden).
    pub nuh_temporal_id_plus1: u8,
}

impl H265NalHeader {
    /// Lowest IRAP (random access point) type: BLA_W_LP.
    pub const BLA_W_LP: u8 = 16;
    /// IDR picture that may have leading pictures decodable (RADL).
    pub const IDR_W_RADL: u8 = 19;
    /// IDR picture without leading pictures.
    pub const IDR_N_LP: u8 = 20;
    /// Clean random access picture.
    pub const CRA_NUT: u8 = 21;
    /// Video parameter set.
    pub const VPS: u8 = 32;
    /// Sequence parameter set.
    pub const SPS: u8 = 33;
    /// Picture parameter set.
    pub const PPS: u8 = 34;
    /// Access unit delimiter.
    pub const AUD: u8 = 35;
    /// Prefix SEI.
    pub const PREFIX_SEI: u8 = 39;
    /// Suffix SEI.
    pub const SUFFIX_SEI: u8 = 40;

    /// The header in the first two bytes of a NAL unit.
    #[must_use]
    pub const fn parse(bytes: [u8; 2]) -> H265NalHeader {
        H265NalHeader {
            forbidden_zero_bit: bytes[0] & 0x80 != 0,
            nal_unit_type: (bytes[0] >> 1) & 0x3f,
            nuh_layer_id: ((bytes[0] & 1) << 5) | (bytes[1] >> 3),
            nuh_temporal_id_plus1: bytes[1] & 7,
        }
    }

    /// The header of `unit`; `None` when it is shorter than two bytes.
    #[must_use]
    pub fn of_unit(unit: &[u8]) -> Option<H265NalHeader> {
        match unit {
            [a, b, ..] => Some(H265NalHeader::parse([*a, *b])),
            _ => None,
        }
    }

    /// The two header bytes.
    #[must_use]
    pub const fn to_bytes(self) -> [u8; 2] {
        [
            ((self.forbidden_zero_bit as u8) << 7)
                | ((self.nal_unit_type & 0x3f) << 1)
                | ((self.nuh_layer_id >> 5) & 1),
            ((self.nuh_layer_id & 0x1f) << 3) | (self.nuh_temporal_id_plus1 & 7),
        ]
    }

    /// `TemporalId`: `nuh_temporal_id_plus1 - 1` (0 when the forbidden value
    /// 0 is found).
    #[must_use]
    pub const fn temporal_id(self) -> u8 {
        self.nuh_temporal_id_plus1.saturating_sub(1)
    }

    /// `true` for an intra random access point picture (types 16 to 23).
    #[must_use]
    pub const fn is_irap(self) -> bool {
        matches!(self.nal_unit_type, 16..=23)
    }

    /// `true` for a VPS, SPS or PPS.
    #[must_use]
    pub const fn is_parameter_set(self) -> bool {
        matches!(self.nal_unit_type, Self::VPS | Self::SPS | Self::PPS)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn units(data: &[u8]) -> Vec<&[u8]> {
        AnnexBSlices::new(data).collect()
    }

    #[test]
    fn annex_b_three_and_four_byte_start_codes() {
        let data = [
            0, 0, 0, 1, 0x67, 1, 2, // 4-byte start code
            0, 0, 1, 0x68, 3, // 3-byte
            0, 0, 0, 1, 0x65, 0, 0, 3, 1, 9, // unit containing 00 00 03
            0, 0, // trailing_zero_8bits
        ];
        assert_eq!(
            units(&data),
            [&[0x67, 1, 2][..], &[0x68, 3], &[0x65, 0, 0, 3, 1, 9]]
        );
        let b = Bytes::copy_from_slice(&data);
        let owned: Vec<Bytes> = AnnexBUnits::new(b.clone()).collect();
        assert_eq!(owned.len(), 3);
        // Zero-copy: each unit points into the input buffer.
        assert_eq!(owned[1].as_ptr(), b[10..].as_ptr());
    }

    #[test]
    fn annex_b_edges() {
        assert!(units(&[]).is_empty());
        assert!(units(&[0, 0, 1]).is_empty());
        assert!(units(&[0, 0, 0, 0]).is_empty());
        assert!(units(&[1, 2, 3]).is_empty());
        // Garbage before the first start code is skipped by the iterator
        // but refused by the converter.
        assert_eq!(units(&[9, 9, 0, 0, 1, 5]), [&[5][..]]);
        assert_eq!(
            annex_b_to_length_prefixed(&[0, 9, 0, 0, 1, 5], NalLengthSize::Four, &mut Vec::new()),
            Err(NalError::MissingStartCode { offset: 1 })
        );
        // Empty units between start codes are skipped.
        assert_eq!(units(&[0, 0, 1, 0, 0, 1, 0, 0, 0, 1, 7]), [&[7][..]]);
        // 01 bytes that are not start codes.
        assert_eq!(
            units(&[0, 0, 1, 1, 0, 1, 0, 0, 2, 1, 1]),
            [&[1, 0, 1, 0, 0, 2, 1, 1][..]]
        );
        // A start code at the very end.
        assert_eq!(units(&[0, 0, 1, 4, 0, 0, 1]), [&[4][..]]);
    }

    #[test]
    fn length_prefixed_sizes_and_truncation() {
        let two = [0, 2, 0xaa, 0xbb, 0, 0, 0, 1, 0xcc];
        let got: Vec<_> = LengthPrefixedSlices::new(&two, NalLengthSize::Two).collect();
        assert_eq!(got, [Ok(&[0xaa, 0xbb][..]), Ok(&[][..]), Ok(&[0xcc][..])]);
        let one = [1, 0xaa, 3, 1];
        let got: Vec<_> = LengthPrefixedSlices::new(&one, NalLengthSize::One).collect();
        assert_eq!(
            got,
            [
                Ok(&[0xaa][..]),
                Err(NalError::Truncated {
                    offset: 2,
                    needed: 4,
                    available: 2
                })
            ]
        );
        static FOUR: [u8; 3] = [0, 0, 0];
        let got: Vec<_> =
            LengthPrefixedUnits::new(Bytes::from_static(&FOUR), NalLengthSize::Four).collect();
        assert_eq!(
            got,
            [Err(NalError::Truncated {
                offset: 0,
                needed: 4,
                available: 3
            })]
        );
        let huge = [0xff, 0xff, 0xff, 0xff, 1];
        let mut it = LengthPrefixedSlices::new(&huge, NalLengthSize::Four);
        assert!(matches!(it.next(), Some(Err(NalError::Truncated { .. }))));
        assert_eq!(it.next(), None);
    }

    #[test]
    fn conversions() {
        let annex_b = [0, 0, 0, 1, 0x67, 1, 0, 0, 1, 0x68, 2, 2];
        let mut lp = Vec::new();
        assert_eq!(
            annex_b_to_length_prefixed(&annex_b, NalLengthSize::Two, &mut lp),
            Ok(2)
        );
        assert_eq!(lp, [0, 2, 0x67, 1, 0, 3, 0x68, 2, 2]);
        let mut back = Vec::new();
        assert_eq!(
            length_prefixed_to_annex_b(&lp, NalLengthSize::Two, &mut back),
            Ok(2)
        );
        assert_eq!(back, [0, 0, 0, 1, 0x67, 1, 0, 0, 0, 1, 0x68, 2, 2]);

        // Too long for a one-byte length.
        let mut long = vec![0, 0, 1];
        long.extend(std::iter::repeat_n(7u8, 256));
        assert_eq!(
            annex_b_to_length_prefixed(&long, NalLengthSize::One, &mut Vec::new()),
            Err(NalError::UnitTooLong {
                offset: 3,
                len: 256,
                size: 1
            })
        );
        // A fixed-size output that is too small.
        let mut small = [0u8; 5];
        let mut out = &mut small[..];
        assert_eq!(
            annex_b_to_length_prefixed(&annex_b, NalLengthSize::Four, &mut out),
            Err(NalError::OutputFull {
                needed: 6,
                remaining: 5
            })
        );
        let mut out = &mut small[..];
        assert_eq!(
            length_prefixed_to_annex_b(&lp, NalLengthSize::Two, &mut out),
            Err(NalError::OutputFull {
                needed: 13,
                remaining: 5
            })
        );
        // Truncated input: nothing is written.
        let mut untouched = Vec::new();
        assert!(length_prefixed_to_annex_b(&lp[..8], NalLengthSize::Two, &mut untouched).is_err());
        assert!(untouched.is_empty());
    }

    #[test]
    fn emulation_prevention() {
        let plain = [1u8, 2, 0, 0, 4];
        assert!(matches!(rbsp_from_ebsp(&plain), Cow::Borrowed(_)));
        assert!(matches!(ebsp_from_rbsp(&plain), Cow::Borrowed(_)));
        let ebsp = [0x42, 0, 0, 3, 0, 0, 3, 1, 0, 0, 3, 3, 0, 0, 3];
        let rbsp = rbsp_from_ebsp(&ebsp);
        assert_eq!(&*rbsp, &[0x42, 0, 0, 0, 0, 1, 0, 0, 3, 0, 0]);
        assert_eq!(&*ebsp_from_rbsp(&rbsp), &ebsp[..]);
        // 00 00 03 followed by a byte above 3 is kept as data by removal.
        assert_eq!(&*rbsp_from_ebsp(&[0, 0, 3, 0x10]), &[0, 0, 0x10]);
        // The byte after a removed 03 starts a new count: 00 00 03 03 is
        // 00 00 03.
        assert_eq!(&*rbsp_from_ebsp(&[0, 0, 3, 3]), &[0, 0, 3]);
        assert_eq!(&*rbsp_from_ebsp(&[0, 0, 3, 0, 0, 3, 1]), &[0, 0, 0, 0, 1]);
    }

    #[test]
    fn headers() {
        let h = H264NalHeader::parse(0x65);
        assert_eq!((h.nal_ref_idc, h.nal_unit_type), (3, 5));
        assert!(h.is_idr() && h.is_slice() && !h.is_parameter_set());
        assert!(H264NalHeader::parse(0x67).is_parameter_set());
        assert!(H264NalHeader::parse(0x80).forbidden_zero_bit);
        assert_eq!(H264NalHeader::of_unit(&[]), None);

        // 0x40 0x01: VPS, layer 0, TemporalId 0.
        let v = H265NalHeader::parse([0x40, 0x01]);
        assert_eq!(v.nal_unit_type, H265NalHeader::VPS);
        assert_eq!((v.nuh_layer_id, v.temporal_id()), (0, 0));
        assert!(v.is_parameter_set());
        // 0x26 0x01: IDR_W_RADL.
        assert!(H265NalHeader::parse([0x26, 0x01]).is_irap());
        let h = H265NalHeader {
            forbidden_zero_bit: false,
            nal_unit_type: 21,
            nuh_layer_id: 37,
            nuh_temporal_id_plus1: 3,
        };
        assert_eq!(H265NalHeader::parse(h.to_bytes()), h);
        assert_eq!(H265NalHeader::of_unit(&[0x40]), None);
    }
}
