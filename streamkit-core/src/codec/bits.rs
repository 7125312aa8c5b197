//! Bit-level reading and writing: fixed-width fields, exp-Golomb codes
//! (H.264 / H.265 `ue(v)` and `se(v)`), with bound checks on every read.
//!
//! [`BitReader`] reads an RBSP (a NAL unit payload with its
//! emulation-prevention bytes already removed, see
//! [`crate::nal::rbsp_from_ebsp`]) most significant bit first. Every read
//! names the field it reads, so that running out of bits or meeting an
//! over-long exp-Golomb code gives a [`CodecError`] saying which field and
//! at which bit. It never panics.
//!
//! ```
//! use streamkit_core::codec::bits::{BitReader, BitWriter};
//!
//! let mut w = BitWriter::new();
//! w.write_bits(0b101, 3);
//! w.write_ue(7);
//! w.write_se(-2);
//! let bytes = w.finish();
//!
//! let mut r = BitReader::new(&bytes, "example");
//! assert_eq!(r.read_bits(3, "three bits")?, 0b101);
//! assert_eq!(r.read_ue("ue")?, 7);
//! assert_eq!(r.read_se("se")?, -2);
//! # Ok::<(), streamkit_core::codec::CodecError>(())
//! ```

use super::CodecError;

/// Reads bits most significant first from a byte slice, with bound checks.
#[derive(Clone, Debug)]
pub struct BitReader<'a> {
    data: &'a [u8],
    /// Position in bits from the start of `data`.
    pos: usize,
    structure: &'static str,
}

impl<'a> BitReader<'a> {
    /// A reader at the first bit of `data`; `structure` names what is read,
    /// for error messages (`"H.264 SPS"`).
    #[must_use]
    pub fn new(data: &'a [u8], structure: &'static str) -> Self {
        BitReader {
            data,
            pos: 0,
            structure,
        }
    }

    /// Bits read so far.
    #[must_use]
    pub fn bit_position(&self) -> usize {
        self.pos
    }

    /// Bits not yet read.
    #[must_use]
    pub fn bits_left(&self) -> usize {
        (self.data.len() * 8).saturating_sub(self.pos)
    }

    /// `true` when the position is on a byte boundary.
    #[must_use]
    pub fn is_byte_aligned(&self) -> bool {
        self.pos.is_multiple_of(8)
    }

    fn end_of_bits(&self, field: &'static str) -> CodecError {
        CodecError::EndOfBits {
            structure: self.structure,
            field,
            bit_offset: self.pos,
        }
    }

    /// An [`CodecError::InvalidValue`] for `field`, read ending at the
    /// current position and starting at `start_bit`.
    #[must_use]
    pub fn invalid(
        &self,
        field: &'static str,
        start_bit: usize,
        value: u64,
        reason: &'static str,
    ) -> CodecError {
        CodecError::InvalidValue {
            structure: self.structure,
            field,
            bit_offset: start_bit,
            value,
            reason,
        }
    }

    /// One bit as a flag.
    pub fn read_flag(&mut self, field: &'static str) -> Result<bool, CodecError> {
        let byte = self
            .data
            .get(self.pos / 8)
            .ok_or_else(|| self.end_of_bits(field))?;
        let bit = (byte >> (7 - (self.pos % 8))) & 1;
        self.pos += 1;
        Ok(bit == 1)
    }

    /// `n` bits (at most 64) as an unsigned integer, most significant first.
    pub fn read_bits(&mut self, n: u32, field: &'static str) -> Result<u64, CodecError> {
        if n > 64 {
            return Err(self.invalid(field, self.pos, u64::from(n), "at most 64 bits per read"));
        }
        if (n as usize) > self.bits_left() {
            return Err(self.end_of_bits(field));
        }
        let mut v: u64 = 0;
        let mut left = n;
        while left > 0 {
            // In bounds: bits_left() was checked above.
            let byte = self.data.get(self.pos / 8).copied().unwrap_or(0);
            let used = (self.pos % 8) as u32;
            let avail = 8 - used;
            let take = avail.min(left);
            let chunk = (u64::from(byte) >> (avail - take)) & ((1u64 << take) - 1);
            v = (v << take) | chunk;
            left -= take;
            self.pos += take as usize;
        }
        Ok(v)
    }

    /// `n` bits (at most 8) as a `u8`.
    pub fn read_u8(&mut self, n: u32, field: &'static str) -> Result<u8, CodecError> {
        if n > 8 {
            return Err(self.invalid(field, self.pos, u64::from(n), "at most 8 bits for a u8"));
        }
        Ok(self.read_bits(n, field)? as u8)
    }

    /// `n` bits (at most 32) as a `u32`.
    pub fn read_u32(&mut self, n: u32, field: &'static str) -> Result<u32, CodecError> {
        if n > 32 {
            return Err(self.invalid(field, self.pos, u64::from(n), "at most 32 bits for a u32"));
        }
        Ok(self.read_bits(n, field)? as u32)
    }

    /// Skips `n` bits.
    pub fn skip_bits(&mut self, n: usize, field: &'static str) -> Result<(), CodecError> {
        if n > self.bits_left() {
            return Err(self.end_of_bits(field));
        }
        self.pos += n;
        Ok(())
    }

    /// An unsigned exp-Golomb code, `ue(v)`: at most 31 leading zero bits,
    /// so the value is at most `2^32 - 2`.
    pub fn read_ue(&mut self, field: &'static str) -> Result<u32, CodecError> {
        let start = self.pos;
        let mut zeros = 0u32;
        while !self.read_flag(field).map_err(|_| CodecError::EndOfBits {
            structure: self.structure,
            field,
            bit_offset: start,
        })? {
            zeros += 1;
            if zeros > 31 {
                return Err(self.invalid(
                    field,
                    start,
                    u64::from(zeros),
                    "exp-Golomb code longer than 32 bits",
                ));
            }
        }
        let suffix = self
            .read_bits(zeros, field)
            .map_err(|_| CodecError::EndOfBits {
                structure: self.structure,
                field,
                bit_offset: start,
            })?;
        // zeros <= 31: (2^31 - 1) + (2^31 - 1) fits in u32.
        Ok(((1u64 << zeros) - 1 + suffix) as u32)
    }

    /// `ue(v)` that must not exceed `max` (an `InvalidValue` error
    /// otherwise).
    pub fn read_ue_max(&mut self, max: u32, field: &'static str) -> Result<u32, CodecError> {
        let start = self.pos;
        let v = self.read_ue(field)?;
        if v > max {
            return Err(self.invalid(field, start, u64::from(v), "above the specified maximum"));
        }
        Ok(v)
    }

    /// A signed exp-Golomb code, `se(v)`.
    pub fn read_se(&mut self, field: &'static str) -> Result<i32, CodecError> {
        let k = i64::from(self.read_ue(field)?);
        // k <= 2^32 - 2, so both results lie within i32.
        let v = if k % 2 == 1 { (k + 1) / 2 } else { -(k / 2) };
        Ok(v as i32)
    }

    /// `true` when more data precede the RBSP trailing bits (H.264 7.2
    /// `more_rbsp_data()`): some `1` bit follows the next `1` bit.
    #[must_use]
    pub fn more_rbsp_data(&self) -> bool {
        let total = self.data.len() * 8;
        // Position of the last 1 bit (the rbsp_stop_one_bit).
        let last_one = self
            .data
            .iter()
            .rposition(|&b| b != 0)
            .map(|i| i * 8 + 7 - self.data.get(i).map_or(0, |b| b.trailing_zeros() as usize));
        match last_one {
            Some(stop) => self.pos < stop && self.pos < total,
            None => false,
        }
    }
}

/// Writes bits most significant first into a growing buffer.
#[derive(Clone, Debug, Default)]
pub struct BitWriter {
    bytes: Vec<u8>,
    bits: usize,
}

impl BitWriter {
    /// An empty writer.
    #[must_use]
    pub fn new() -> Self {
        BitWriter::default()
    }

    /// Bits written so far.
    #[must_use]
    pub fn bit_len(&self) -> usize {
        self.bits
    }

    /// One bit.
    pub fn write_flag(&mut self, bit: bool) {
        if self.bits.is_multiple_of(8) {
            self.bytes.push(0);
        }
        if bit && let Some(last) = self.bytes.last_mut() {
            *last |= 1 << (7 - (self.bits % 8));
        }
        self.bits += 1;
    }

    /// The low `n` bits of `value` (at most 64), most significant first.
    pub fn write_bits(&mut self, value: u64, n: u32) {
        for i in (0..n.min(64)).rev() {
            self.write_flag((value >> i) & 1 == 1);
        }
    }

    /// An unsigned exp-Golomb code; values up to `2^32 - 2`.
    pub fn write_ue(&mut self, value: u32) {
        let v = u64::from(value) + 1;
        let len = 64 - v.leading_zeros();
        self.write_bits(0, len - 1);
        self.write_bits(v, len);
    }

    /// A signed exp-Golomb code.
    pub fn write_se(&mut self, value: i32) {
        let v = i64::from(value);
        let k = if v > 0 { 2 * v - 1 } else { -2 * v };
        self.write_ue(k.min(i64::from(u32::MAX - 1)) as u32);
    }

    /// Copies bits `[from, to)` of `src` (bit offsets, most significant
    /// first); bits past the end of `src` are written as zeros.
    pub fn copy_bits(&mut self, src: &[u8], from: usize, to: usize) {
        for i in from..to {
            let bit = src
                .get(i / 8)
                .is_some_and(|b| (b >> (7 - (i % 8))) & 1 == 1);
            self.write_flag(bit);
        }
    }

    /// Writes the RBSP trailing bits: a `1` then zeros up to a byte
    /// boundary.
    pub fn write_rbsp_trailing_bits(&mut self) {
        self.write_flag(true);
        while !self.bits.is_multiple_of(8) {
            self.write_flag(false);
        }
    }

    /// The bytes written, the last one padded with zero bits.
    #[must_use]
    pub fn finish(self) -> Vec<u8> {
        self.bytes
    }
}

/// Reads byte-aligned big-endian fields with bound checks.
#[derive(Clone, Debug)]
pub(crate) struct ByteReader<'a> {
    data: &'a [u8],
    pos: usize,
    structure: &'static str,
}

impl<'a> ByteReader<'a> {
    pub(crate) fn new(data: &'a [u8], structure: &'static str) -> Self {
        ByteReader {
            data,
            pos: 0,
            structure,
        }
    }

    pub(crate) fn position(&self) -> usize {
        self.pos
    }

    pub(crate) fn remaining(&self) -> usize {
        self.data.len().saturating_sub(self.pos)
    }

    pub(crate) fn take(&mut self, n: usize, field: &'static str) -> Result<&'a [u8], CodecError> {
        let end = self.pos.checked_add(n).filter(|&e| e <= self.data.len());
        match end.and_then(|e| self.data.get(self.pos..e)) {
            Some(s) => {
                self.pos += n;
                Ok(s)
            }
            None => Err(CodecError::Truncated {
                structure: self.structure,
                field,
                offset: self.pos,
                needed: n,
                available: self.remaining(),
            }),
        }
    }

    pub(crate) fn array<const N: usize>(
        &mut self,
        field: &'static str,
    ) -> Result<[u8; N], CodecError> {
        let s = self.take(N, field)?;
        let mut a = [0u8; N];
        a.copy_from_slice(s);
        Ok(a)
    }

    pub(crate) fn u8(&mut self, field: &'static str) -> Result<u8, CodecError> {
        Ok(self.array::<1>(field)?[0])
    }

    pub(crate) fn u16(&mut self, field: &'static str) -> Result<u16, CodecError> {
        Ok(u16::from_be_bytes(self.array(field)?))
    }

    pub(crate) fn u32(&mut self, field: &'static str) -> Result<u32, CodecError> {
        Ok(u32::from_be_bytes(self.array(field)?))
    }

    pub(crate) fn invalid(
        &self,
        field: &'static str,
        offset: usize,
        value: u64,
        reason: &'static str,
    ) -> CodecError {
        CodecError::InvalidValue {
            structure: self.structure,
            field,
            bit_offset: offset * 8,
            value,
            reason,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn exp_golomb_vectors() {
        // H.264 table 9-2: 1 -> 0, 010 -> 1, 011 -> 2, 00100 -> 3.
        let data = [0b1010_0110, 0b0100_0000];
        let mut r = BitReader::new(&data, "test");
        assert_eq!(r.read_ue("a").unwrap(), 0);
        assert_eq!(r.read_ue("b").unwrap(), 1);
        assert_eq!(r.read_ue("c").unwrap(), 2);
        assert_eq!(r.read_ue("d").unwrap(), 3);
        assert_eq!(r.bit_position(), 1 + 3 + 3 + 5);
    }

    #[test]
    fn exp_golomb_too_long_is_an_error() {
        let data = [0u8; 8];
        let mut r = BitReader::new(&data, "test");
        assert_eq!(
            r.read_ue("x"),
            Err(CodecError::InvalidValue {
                structure: "test",
                field: "x",
                bit_offset: 0,
                value: 32,
                reason: "exp-Golomb code longer than 32 bits",
            })
        );
        // 31 zeros, a one, 31 ones: the largest value.
        let mut w = BitWriter::new();
        w.write_ue(u32::MAX - 1);
        let b = w.finish();
        assert_eq!(BitReader::new(&b, "t").read_ue("x").unwrap(), u32::MAX - 1);
    }

    #[test]
    fn end_of_bits_names_the_field() {
        let mut r = BitReader::new(&[0xff], "test");
        assert_eq!(r.read_bits(5, "a").unwrap(), 0x1f);
        assert_eq!(
            r.read_bits(4, "b"),
            Err(CodecError::EndOfBits {
                structure: "test",
                field: "b",
                bit_offset: 5
            })
        );
        assert_eq!(r.read_bits(3, "c").unwrap(), 7);
        assert!(r.read_flag("d").is_err());
    }

    #[test]
    fn more_rbsp_data_stops_at_trailing_bits() {
        // 1 bit of data "1", then the stop bit and alignment: 1100_0000.
        let data = [0b1100_0000];
        let mut r = BitReader::new(&data, "t");
        assert!(r.more_rbsp_data());
        r.read_flag("x").unwrap();
        assert!(!r.more_rbsp_data());
        assert!(!BitReader::new(&[0, 0], "t").more_rbsp_data());
    }

    #[test]
    fn narrow_reads_refuse_wide_fields() {
        let mut r = BitReader::new(&[0xff; 8], "t");
        assert!(matches!(
            r.read_u8(9, "x"),
            Err(CodecError::InvalidValue { value: 9, .. })
        ));
        assert!(r.read_u32(33, "x").is_err());
        assert_eq!(r.bit_position(), 0);
        assert_eq!(r.read_u32(32, "x").unwrap(), u32::MAX);
    }

    #[test]
    fn reads_64_bits() {
        let data = [0x80, 1, 2, 3, 4, 5, 6, 0xff, 0xaa];
        let mut r = BitReader::new(&data, "t");
        assert_eq!(r.read_bits(64, "x").unwrap(), 0x8001_0203_0405_06ff);
        assert_eq!(r.read_bits(8, "y").unwrap(), 0xaa);
    }

    proptest! {
        #[test]
        fn arbitrary_reads_never_panic(data in proptest::collection::vec(any::<u8>(), 0..16), ops in proptest::collection::vec((0u8..5, 0u32..70), 0..40)) {
            let mut r = BitReader::new(&data, "t");
            for (op, n) in ops {
                let _ = match op {
                    0 => r.read_bits(n, "x").map(|_| ()),
                    1 => r.read_ue("x").map(|_| ()),
                    2 => r.read_se("x").map(|_| ()),
                    3 => r.skip_bits(n as usize, "x"),
                    _ => r.read_flag("x").map(|_| ()),
                };
                let _ = r.more_rbsp_data();
                prop_assert!(r.bit_position() <= data.len() * 8);
            }
        }

        #[test]
        fn write_read_round_trip(values in proptest::collection::vec((any::<u64>(), 0u32..=64, any::<u32>(), any::<i32>()), 0..20)) {
            let mut w = BitWriter::new();
            for &(v, n, u, s) in &values {
                w.write_bits(v, n);
                w.write_ue(u.min(u32::MAX - 1));
                w.write_se(s.max(-i32::MAX));
            }
            let bytes = w.finish();
            let mut r = BitReader::new(&bytes, "t");
            for &(v, n, u, s) in &values {
                let mask = if n == 64 { u64::MAX } else { (1u64 << n) - 1 };
                prop_assert_eq!(r.read_bits(n, "v").unwrap(), v & mask);
                prop_assert_eq!(r.read_ue("u").unwrap(), u.min(u32::MAX - 1));
                prop_assert_eq!(r.read_se("s").unwrap(), s.max(-i32::MAX));
            }
        }
    }
}
