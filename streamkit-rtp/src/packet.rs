//! RTP packets (RFC 3550 section 5.1): a validated view of a received
//! datagram, and a header description that writes packets.
//!
//! [`RtpPacket::parse`] checks a datagram once — version 2, the CSRC list,
//! the extension block and the padding all fit — and keeps the `Bytes` with
//! the offsets it found, so every accessor afterwards is infallible and
//! [`RtpPacket::payload`] is a slice of the datagram, not a copy. Parsing
//! allocates nothing.
//!
//! [`RtpHeader`] describes the header of a packet to send. It writes the
//! header and a payload into the caller's [`BufMut`] ([`RtpHeader::write`])
//! or `&mut [u8]` ([`RtpHeader::write_into`], answering
//! [`WriteError::InsufficientSize`] when it does not fit), or builds an
//! [`RtpDatagram`]: the header in a stack buffer beside the payload `Bytes`,
//! ready for a vectored send, so the payload is never copied before the
//! socket.
//!
//! Sequence numbers and timestamps use core's wrap-aware
//! [`SequenceNumber`] and [`RtpTimestamp`]; their `.0` field (or `new`)
//! converts from and to the plain `u16` / `u32` of the wire. SSRCs and CSRCs
//! are plain `u32`.
//!
//! ```
//! use bytes::Bytes;
//! use streamkit_core::time::{RtpTimestamp, SequenceNumber};
//! use streamkit_rtp::packet::{RtpHeader, RtpPacket};
//!
//! let header = RtpHeader {
//!     marker: true,
//!     payload_type: 96,
//!     sequence_number: SequenceNumber::new(65_535),
//!     timestamp: RtpTimestamp::new(3_000),
//!     ssrc: 0xdead_beef,
//!     ..RtpHeader::default()
//! };
//! let datagram = header.datagram(Bytes::from_static(b"frame"))?;
//! assert_eq!(datagram.header().len(), 12);
//!
//! let mut wire = Vec::new();
//! datagram.write_to(&mut wire)?;
//! let packet = RtpPacket::parse(Bytes::from(wire))?;
//! assert!(packet.marker());
//! assert_eq!(packet.sequence_number(), SequenceNumber::new(65_535));
//! assert_eq!(packet.ssrc(), 0xdead_beef);
//! assert_eq!(&packet.payload()[..], b"frame");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use core::fmt;
use std::io::IoSlice;

use bytes::{Buf, BufMut, Bytes};
use streamkit_core::time::{RtpTimestamp, SequenceNumber};

use crate::error::{ParseError, WriteError};
use crate::extension::{ExtensionBlock, ExtensionForm, HeaderExtension};

/// The RTP version this crate speaks.
pub const RTP_VERSION: u8 = 2;

/// The length of the fixed RTP header, without CSRCs and extension.
pub const FIXED_HEADER_LEN: usize = 12;

/// The most CSRCs a packet carries (the CC field is 4 bits).
pub const MAX_CSRCS: usize = 15;

/// The largest header (fixed part, CSRCs and extension block) an
/// [`RtpDatagram`] holds in its stack buffer.
pub const MAX_DATAGRAM_HEADER_LEN: usize = 256;

/// A validated RTP packet: the datagram `Bytes` and where its payload
/// starts and ends.
///
/// Cloning is cheap (a reference-count increment). The view is 40 bytes:
/// the `Bytes`, the header length and the padding length; everything else
/// is read from the datagram when asked.
#[derive(Clone, PartialEq, Eq)]
pub struct RtpPacket {
    data: Bytes,
    /// Where the payload starts: the header length, at most
    /// 12 + 60 + 4 + 4 × 65535 bytes, so it fits a `u32`.
    payload_start: u32,
    /// The padding bytes at the end (including the count byte), 0 without.
    padding: u8,
}

/// Reads a big-endian `u16` at `at`; the caller checked the bound.
#[inline]
fn be16(data: &[u8], at: usize) -> u16 {
    match data.get(at..).and_then(<[u8]>::first_chunk::<2>) {
        Some(bytes) => u16::from_be_bytes(*bytes),
        None => 0,
    }
}

/// Cuts the padding off a datagram: out of line, since padded packets are
/// rare and `Bytes::truncate` may have to convert a `Vec`-backed buffer.
#[cold]
#[inline(never)]
fn truncate_cold(mut data: Bytes, len: usize) -> Bytes {
    data.truncate(len);
    data
}

impl RtpPacket {
    /// Validates `datagram` as an RTP packet.
    ///
    /// The datagram is taken by value and kept as it is: parsing touches no
    /// reference count and allocates nothing.
    ///
    /// # Errors
    ///
    /// - [`ParseError::TooShort`] when it is shorter than the fixed header,
    ///   or the extension header does not fit;
    /// - [`ParseError::BadVersion`] when the version is not 2;
    /// - [`ParseError::CsrcPastEnd`] when the CSRC list does not fit;
    /// - [`ParseError::ExtensionPastEnd`] when the extension block does not
    ///   fit;
    /// - [`ParseError::PaddingZero`] / [`ParseError::PaddingTooLong`] when the
    ///   P bit is set and the padding count is zero or longer than what
    ///   follows the header.
    #[inline]
    pub fn parse(datagram: Bytes) -> Result<RtpPacket, ParseError> {
        let d: &[u8] = &datagram;
        let len = d.len();
        // One bound check covers the whole fixed header.
        let Some(&[first, ..]) = d.first_chunk::<FIXED_HEADER_LEN>() else {
            return Err(ParseError::TooShort {
                offset: 0,
                needed: FIXED_HEADER_LEN,
            });
        };
        let version = first >> 6;
        if version != RTP_VERSION {
            return Err(ParseError::BadVersion { offset: 0, version });
        }
        let count = first & 0x0F;
        let mut header_end = FIXED_HEADER_LEN + 4 * usize::from(count);
        if first & 0x10 != 0 {
            // The extension header: profile and length in words.
            let Some(&[_, _, hi, lo]) = d.get(header_end..).and_then(<[u8]>::first_chunk::<4>)
            else {
                return Err(if header_end > len {
                    ParseError::CsrcPastEnd { offset: 0, count }
                } else {
                    ParseError::TooShort {
                        offset: header_end,
                        needed: 4,
                    }
                });
            };
            let length_words = u16::from_be_bytes([hi, lo]);
            let end = header_end + 4 + 4 * usize::from(length_words);
            if end > len {
                return Err(ParseError::ExtensionPastEnd {
                    offset: header_end,
                    length_words,
                });
            }
            header_end = end;
        } else if header_end > len {
            return Err(ParseError::CsrcPastEnd { offset: 0, count });
        }
        let mut padding = 0;
        if first & 0x20 != 0 {
            let offset = len - 1;
            padding = d.last().copied().unwrap_or(0);
            if padding == 0 {
                return Err(ParseError::PaddingZero { offset });
            }
            let available = len - header_end;
            if usize::from(padding) > available {
                return Err(ParseError::PaddingTooLong {
                    offset,
                    padding,
                    available,
                });
            }
        }
        Ok(RtpPacket {
            data: datagram,
            // At most 12 + 60 + 4 + 4 * 65535: always fits.
            payload_start: header_end as u32,
            padding,
        })
    }

    /// The fixed header, read with one bound check (which parsing made
    /// sure holds).
    #[inline]
    fn fixed(&self) -> [u8; FIXED_HEADER_LEN] {
        self.data
            .first_chunk::<FIXED_HEADER_LEN>()
            .copied()
            .unwrap_or([0; FIXED_HEADER_LEN])
    }

    #[inline]
    fn first(&self) -> u8 {
        self.fixed()[0]
    }

    #[inline]
    fn payload_start(&self) -> usize {
        self.payload_start as usize
    }

    #[inline]
    fn payload_end(&self) -> usize {
        self.data.len() - usize::from(self.padding)
    }

    /// The whole datagram.
    #[must_use]
    #[inline]
    pub fn as_bytes(&self) -> &Bytes {
        &self.data
    }

    /// The whole datagram, giving up the view.
    #[must_use]
    #[inline]
    pub fn into_bytes(self) -> Bytes {
        self.data
    }

    /// The P bit: the packet ends with padding.
    #[must_use]
    #[inline]
    pub fn has_padding(&self) -> bool {
        self.first() & 0x20 != 0
    }

    /// The number of padding bytes at the end (including the count byte),
    /// 0 without padding.
    #[must_use]
    #[inline]
    pub fn padding_len(&self) -> usize {
        usize::from(self.padding)
    }

    /// The X bit: the packet carries an extension block.
    #[must_use]
    #[inline]
    pub fn has_extension(&self) -> bool {
        self.first() & 0x10 != 0
    }

    /// The marker bit (its meaning is the payload format's: end of a video
    /// frame, start of a talkspurt).
    #[must_use]
    #[inline]
    pub fn marker(&self) -> bool {
        self.fixed()[1] & 0x80 != 0
    }

    /// The 7-bit payload type.
    #[must_use]
    #[inline]
    pub fn payload_type(&self) -> u8 {
        self.fixed()[1] & 0x7F
    }

    /// The sequence number.
    #[must_use]
    #[inline]
    pub fn sequence_number(&self) -> SequenceNumber {
        let f = self.fixed();
        SequenceNumber(u16::from_be_bytes([f[2], f[3]]))
    }

    /// The RTP timestamp.
    #[must_use]
    #[inline]
    pub fn timestamp(&self) -> RtpTimestamp {
        let f = self.fixed();
        RtpTimestamp(u32::from_be_bytes([f[4], f[5], f[6], f[7]]))
    }

    /// The synchronization source.
    #[must_use]
    #[inline]
    pub fn ssrc(&self) -> u32 {
        let f = self.fixed();
        u32::from_be_bytes([f[8], f[9], f[10], f[11]])
    }

    /// The number of CSRCs (0 to 15).
    #[must_use]
    #[inline]
    pub fn csrc_count(&self) -> usize {
        usize::from(self.first() & 0x0F)
    }

    /// The contributing sources.
    #[must_use]
    #[inline]
    pub fn csrcs(&self) -> Csrcs<'_> {
        let end = FIXED_HEADER_LEN + 4 * self.csrc_count();
        Csrcs {
            data: self.data.get(FIXED_HEADER_LEN..end).unwrap_or(&[]),
        }
    }

    /// The extension block, when the X bit is set.
    #[must_use]
    #[inline]
    pub fn extension(&self) -> Option<HeaderExtension<'_>> {
        if !self.has_extension() {
            return None;
        }
        let at = FIXED_HEADER_LEN + 4 * self.csrc_count();
        let data = self.data.get(at + 4..self.payload_start()).unwrap_or(&[]);
        Some(HeaderExtension::new(be16(&self.data, at), data, at + 4))
    }

    /// The header length: fixed part, CSRCs and extension block.
    #[must_use]
    #[inline]
    pub fn header_len(&self) -> usize {
        self.payload_start()
    }

    /// The header bytes.
    #[must_use]
    #[inline]
    pub fn header_bytes(&self) -> &[u8] {
        self.data.get(..self.payload_start()).unwrap_or(&[])
    }

    /// The payload, a slice of the datagram (no copy), without padding.
    #[must_use]
    #[inline]
    pub fn payload(&self) -> Bytes {
        self.data.slice(self.payload_start()..self.payload_end())
    }

    /// The payload, giving up the view: the datagram `Bytes` narrowed to
    /// the payload, without touching its reference count.
    #[must_use]
    #[inline]
    pub fn into_payload(self) -> Bytes {
        let (start, end) = (self.payload_start(), self.payload_end());
        let mut data = if self.padding == 0 {
            self.data
        } else {
            truncate_cold(self.data, end)
        };
        // Parsing made sure `start <= end <= len`; saying so here lets the
        // compiler drop `advance`'s panic path, which would otherwise keep
        // the `Bytes` in memory (and stall the store forwarding of its
        // move) instead of in registers.
        if start > data.len() {
            return Bytes::new();
        }
        data.advance(start);
        data
    }

    /// The payload bytes, borrowed.
    #[must_use]
    #[inline]
    pub fn payload_bytes(&self) -> &[u8] {
        self.data
            .get(self.payload_start()..self.payload_end())
            .unwrap_or(&[])
    }

    /// Where the payload starts in the datagram.
    #[must_use]
    #[inline]
    pub fn payload_offset(&self) -> usize {
        self.payload_start()
    }
}

impl fmt::Debug for RtpPacket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RtpPacket")
            .field("marker", &self.marker())
            .field("payload_type", &self.payload_type())
            .field("sequence_number", &self.sequence_number().0)
            .field("timestamp", &self.timestamp().0)
            .field("ssrc", &format_args!("{:#010x}", self.ssrc()))
            .field("csrc_count", &self.csrc_count())
            .field("extension", &self.extension().map(|e| e.profile()))
            .field("payload_len", &(self.payload_end() - self.payload_start()))
            .field("padding_len", &self.padding_len())
            .finish()
    }
}

/// Iterator over the CSRCs of an [`RtpPacket`].
#[derive(Debug, Clone)]
pub struct Csrcs<'a> {
    data: &'a [u8],
}

impl Iterator for Csrcs<'_> {
    type Item = u32;

    #[inline]
    fn next(&mut self) -> Option<u32> {
        let (head, rest) = self.data.split_first_chunk::<4>()?;
        self.data = rest;
        Some(u32::from_be_bytes(*head))
    }

    #[inline]
    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = self.data.len() / 4;
        (n, Some(n))
    }
}

impl ExactSizeIterator for Csrcs<'_> {}

/// The header of an RTP packet to write.
///
/// `Default` gives payload type 0, sequence number 0, timestamp 0, SSRC 0,
/// no marker, CSRCs, extension or padding; fill the rest with struct update
/// syntax.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct RtpHeader<'a> {
    /// The marker bit.
    pub marker: bool,
    /// The payload type (0 to 127).
    pub payload_type: u8,
    /// The sequence number.
    pub sequence_number: SequenceNumber,
    /// The RTP timestamp.
    pub timestamp: RtpTimestamp,
    /// The synchronization source.
    pub ssrc: u32,
    /// The contributing sources (at most 15).
    pub csrcs: &'a [u32],
    /// The extension block, if any.
    pub extension: Option<ExtensionBlock<'a>>,
    /// Padding bytes to append after the payload, the last one holding the
    /// count (RFC 3550 section 5.1); 0 for no padding (P bit clear).
    pub padding: u8,
}

/// A validated header layout: total header length and extension layout.
#[derive(Clone, Copy)]
struct Layout {
    header_len: usize,
    extension: Option<(Option<ExtensionForm>, usize)>,
}

impl<'a> RtpHeader<'a> {
    #[inline(always)]
    fn layout(&self) -> Result<Layout, WriteError> {
        if self.payload_type > 127 {
            return Err(WriteError::Invalid {
                what: "payload type (must be 0 to 127)",
            });
        }
        if self.csrcs.len() > MAX_CSRCS {
            return Err(WriteError::TooMany {
                what: "CSRCs",
                count: self.csrcs.len(),
                max: MAX_CSRCS,
            });
        }
        let mut header_len = FIXED_HEADER_LEN + 4 * self.csrcs.len();
        let extension = match &self.extension {
            Some(block) => {
                let layout = block.layout()?;
                header_len += 4 + layout.1;
                Some(layout)
            }
            None => None,
        };
        Ok(Layout {
            header_len,
            extension,
        })
    }

    #[inline]
    fn put_header(&self, layout: Layout, buf: &mut impl BufMut) {
        let first = (RTP_VERSION << 6)
            | if self.padding > 0 { 0x20 } else { 0 }
            | if self.extension.is_some() { 0x10 } else { 0 }
            | (self.csrcs.len() as u8 & 0x0F);
        let seq = self.sequence_number.0.to_be_bytes();
        let ts = self.timestamp.0.to_be_bytes();
        let ssrc = self.ssrc.to_be_bytes();
        let fixed: [u8; FIXED_HEADER_LEN] = [
            first,
            if self.marker { 0x80 } else { 0 } | (self.payload_type & 0x7F),
            seq[0],
            seq[1],
            ts[0],
            ts[1],
            ts[2],
            ts[3],
            ssrc[0],
            ssrc[1],
            ssrc[2],
            ssrc[3],
        ];
        buf.put_slice(&fixed);
        for &csrc in self.csrcs {
            buf.put_u32(csrc);
        }
        if let (Some(block), Some(ext_layout)) = (&self.extension, layout.extension) {
            block.put(ext_layout, buf);
        }
    }

    /// Writes the header into the start of `out`, which the caller sized
    /// from `layout`; returns the bytes written.
    #[inline(always)]
    fn encode_header(&self, layout: Layout, out: &mut [u8]) -> usize {
        let first = (RTP_VERSION << 6)
            | if self.padding > 0 { 0x20 } else { 0 }
            | if self.extension.is_some() { 0x10 } else { 0 }
            | (self.csrcs.len() as u8 & 0x0F);
        let seq = self.sequence_number.0.to_be_bytes();
        let ts = self.timestamp.0.to_be_bytes();
        let ssrc = self.ssrc.to_be_bytes();
        let Some((fixed, mut rest)) = out.split_first_chunk_mut::<FIXED_HEADER_LEN>() else {
            return 0;
        };
        *fixed = [
            first,
            if self.marker { 0x80 } else { 0 } | (self.payload_type & 0x7F),
            seq[0],
            seq[1],
            ts[0],
            ts[1],
            ts[2],
            ts[3],
            ssrc[0],
            ssrc[1],
            ssrc[2],
            ssrc[3],
        ];
        for &csrc in self.csrcs {
            let Some((word, tail)) = rest.split_first_chunk_mut::<4>() else {
                return 0;
            };
            *word = csrc.to_be_bytes();
            rest = tail;
        }
        if let (Some(block), Some(ext_layout)) = (&self.extension, layout.extension) {
            block.encode(ext_layout, rest);
        }
        layout.header_len
    }

    /// Writes the header into `buf` through a stack buffer (one `put_slice`)
    /// when it is small, field by field otherwise. The common headers (the
    /// fixed part with a few extension elements) go through a 32-byte
    /// buffer, so that little stack is zeroed per packet.
    #[inline]
    fn put_header_fast(&self, layout: Layout, buf: &mut impl BufMut) {
        if layout.header_len <= 32 {
            self.put_header_via::<32>(layout, buf);
        } else if layout.header_len <= 128 {
            self.put_header_via::<128>(layout, buf);
        } else {
            self.put_header(layout, buf);
        }
    }

    /// Encodes the header into an `N`-byte stack buffer, then puts it into
    /// `buf` with one `put_slice`; the caller checked that it fits.
    #[inline(always)]
    fn put_header_via<const N: usize>(&self, layout: Layout, buf: &mut impl BufMut) {
        let mut stack = [0u8; N];
        let n = self.encode_header(layout, &mut stack);
        buf.put_slice(stack.get(..n).unwrap_or(&[]));
    }

    #[inline]
    fn put_padding(&self, buf: &mut impl BufMut) {
        if self.padding > 0 {
            buf.put_bytes(0, usize::from(self.padding) - 1);
            buf.put_u8(self.padding);
        }
    }

    /// The header length (fixed part, CSRCs and extension block), without
    /// payload and padding.
    ///
    /// # Errors
    ///
    /// [`WriteError::Invalid`] for a payload type above 127 or a malformed
    /// extension block, [`WriteError::TooMany`] for more than 15 CSRCs,
    /// [`WriteError::TooLong`] for an oversized extension.
    #[inline]
    pub fn header_len(&self) -> Result<usize, WriteError> {
        Ok(self.layout()?.header_len)
    }

    /// The length of the whole packet with a payload of `payload_len` bytes
    /// and the padding.
    ///
    /// # Errors
    ///
    /// As [`header_len`](RtpHeader::header_len).
    #[inline]
    pub fn packet_len(&self, payload_len: usize) -> Result<usize, WriteError> {
        Ok(self.layout()?.header_len + payload_len + usize::from(self.padding))
    }

    /// Writes the header only (the P bit set when `padding` is non-zero; the
    /// caller then appends payload and [`padding_tail`](RtpHeader::padding_tail)
    /// bytes); returns the bytes written.
    ///
    /// # Errors
    ///
    /// As [`header_len`](RtpHeader::header_len), and
    /// [`WriteError::InsufficientSize`] when `buf` has no room for it.
    #[inline]
    pub fn write_header(&self, buf: &mut impl BufMut) -> Result<usize, WriteError> {
        let layout = self.layout()?;
        if buf.remaining_mut() < layout.header_len {
            return Err(WriteError::InsufficientSize {
                required: layout.header_len,
            });
        }
        self.put_header_fast(layout, buf);
        Ok(layout.header_len)
    }

    /// Writes the header only into the start of `out` (see
    /// [`write_header`](RtpHeader::write_header)): the vectored path, where
    /// `out` is a small stack buffer sent beside the payload.
    ///
    /// # Errors
    ///
    /// As [`write_header`](RtpHeader::write_header).
    #[inline]
    pub fn write_header_into(&self, out: &mut [u8]) -> Result<usize, WriteError> {
        let layout = self.layout()?;
        let required = layout.header_len;
        let Some(out) = out.get_mut(..required) else {
            return Err(WriteError::InsufficientSize { required });
        };
        Ok(self.encode_header(layout, out))
    }

    /// Writes the whole packet: header, `payload` and padding; returns the
    /// bytes written.
    ///
    /// # Errors
    ///
    /// As [`header_len`](RtpHeader::header_len), and
    /// [`WriteError::InsufficientSize`] when `buf` has no room for the whole
    /// packet (nothing is written then).
    #[inline]
    pub fn write(&self, payload: &[u8], buf: &mut impl BufMut) -> Result<usize, WriteError> {
        let layout = self.layout()?;
        let required = layout.header_len + payload.len() + usize::from(self.padding);
        if buf.remaining_mut() < required {
            return Err(WriteError::InsufficientSize { required });
        }
        self.put_header_fast(layout, buf);
        buf.put_slice(payload);
        self.put_padding(buf);
        Ok(required)
    }

    /// Writes the whole packet into the start of `out`; returns the bytes
    /// written.
    ///
    /// # Errors
    ///
    /// As [`header_len`](RtpHeader::header_len), and
    /// [`WriteError::InsufficientSize`] with the packet's length when `out`
    /// is shorter (nothing is written then).
    #[inline]
    pub fn write_into(&self, payload: &[u8], out: &mut [u8]) -> Result<usize, WriteError> {
        let layout = self.layout()?;
        let header_len = layout.header_len;
        let padding = usize::from(self.padding);
        let required = header_len + payload.len() + padding;
        let Some(out) = out.get_mut(..required) else {
            return Err(WriteError::InsufficientSize { required });
        };
        let (header, rest) = out.split_at_mut(header_len);
        self.encode_header(layout, header);
        let (body, tail) = rest.split_at_mut(payload.len());
        body.copy_from_slice(payload);
        if let Some((count, zeros)) = tail.split_last_mut() {
            zeros.fill(0);
            *count = self.padding;
        }
        Ok(required)
    }

    /// The padding bytes that follow the payload: zeros, then the count.
    /// Empty when `padding` is 0.
    #[must_use]
    #[inline]
    pub fn padding_tail(&self) -> PaddingTail {
        PaddingTail {
            count: [self.padding],
        }
    }

    /// The packet as header bytes (in a stack buffer), the payload `Bytes`
    /// and the padding, for a vectored send without copying the payload.
    ///
    /// # Errors
    ///
    /// As [`header_len`](RtpHeader::header_len), and
    /// [`WriteError::TooLong`] when the header exceeds
    /// [`MAX_DATAGRAM_HEADER_LEN`].
    #[inline]
    pub fn datagram(&self, payload: Bytes) -> Result<RtpDatagram, WriteError> {
        let layout = self.layout()?;
        if layout.header_len > MAX_DATAGRAM_HEADER_LEN {
            return Err(WriteError::TooLong {
                what: "RTP header for a vectored datagram",
                len: layout.header_len,
                max: MAX_DATAGRAM_HEADER_LEN,
            });
        }
        let mut header = [0u8; MAX_DATAGRAM_HEADER_LEN];
        self.encode_header(layout, &mut header);
        Ok(RtpDatagram {
            header,
            header_len: layout.header_len,
            payload,
            padding: self.padding_tail(),
        })
    }
}

/// Zero bytes, the source of padding slices.
static ZEROS: [u8; 255] = [0; 255];

/// The padding after an RTP payload: `count - 1` zero bytes, then `count`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PaddingTail {
    count: [u8; 1],
}

impl PaddingTail {
    /// The padding length (0 for none).
    #[must_use]
    #[inline]
    pub fn len(&self) -> usize {
        usize::from(self.count[0])
    }

    /// `true` without padding.
    #[must_use]
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.count[0] == 0
    }

    /// The zero bytes before the count (borrowed from a static buffer).
    #[must_use]
    #[inline]
    pub fn zeros(&self) -> &'static [u8] {
        ZEROS
            .get(..usize::from(self.count[0]).saturating_sub(1))
            .unwrap_or(&[])
    }

    /// The final count byte, or an empty slice without padding.
    #[must_use]
    #[inline]
    pub fn count_byte(&self) -> &[u8] {
        if self.count[0] == 0 { &[] } else { &self.count }
    }
}

/// An RTP packet ready for a vectored send: header bytes in a stack
/// buffer, the payload `Bytes` as given, and the padding.
#[derive(Clone)]
pub struct RtpDatagram {
    header: [u8; MAX_DATAGRAM_HEADER_LEN],
    header_len: usize,
    payload: Bytes,
    padding: PaddingTail,
}

impl RtpDatagram {
    /// The header bytes.
    #[must_use]
    #[inline]
    pub fn header(&self) -> &[u8] {
        self.header.get(..self.header_len).unwrap_or(&[])
    }

    /// The payload.
    #[must_use]
    #[inline]
    pub fn payload(&self) -> &Bytes {
        &self.payload
    }

    /// The padding.
    #[must_use]
    #[inline]
    pub fn padding(&self) -> PaddingTail {
        self.padding
    }

    /// The datagram length.
    #[must_use]
    #[inline]
    pub fn len(&self) -> usize {
        self.header_len + self.payload.len() + self.padding.len()
    }

    /// Always `false`: a datagram has at least its 12-byte header.
    #[must_use]
    #[inline]
    pub fn is_empty(&self) -> bool {
        false
    }

    /// The datagram as four slices in order: header, payload, padding
    /// zeros, padding count (the last two empty without padding).
    #[must_use]
    #[inline]
    pub fn slices(&self) -> [&[u8]; 4] {
        [
            self.header(),
            &self.payload,
            self.padding.zeros(),
            self.padding.count_byte(),
        ]
    }

    /// The datagram as [`IoSlice`]s for `send_vectored` / `sendmsg`.
    #[must_use]
    #[inline]
    pub fn io_slices(&self) -> [IoSlice<'_>; 4] {
        self.slices().map(IoSlice::new)
    }

    /// Copies the datagram into `buf`; returns the bytes written.
    ///
    /// # Errors
    ///
    /// [`WriteError::InsufficientSize`] when `buf` has no room for it.
    #[inline]
    pub fn write_to(&self, buf: &mut impl BufMut) -> Result<usize, WriteError> {
        let required = self.len();
        if buf.remaining_mut() < required {
            return Err(WriteError::InsufficientSize { required });
        }
        for s in self.slices() {
            buf.put_slice(s);
        }
        Ok(required)
    }
}

impl fmt::Debug for RtpDatagram {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RtpDatagram")
            .field("header", &self.header())
            .field("payload_len", &self.payload.len())
            .field("padding", &self.padding.len())
            .finish()
    }
}
