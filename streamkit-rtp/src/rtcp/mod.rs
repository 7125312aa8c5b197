//! RTCP packets (RFC 3550 section 6, RFC 4585, RFC 5104, RFC 5506).
//!
//! An RTCP datagram is a compound of packets, each with a 4-byte header
//! (version 2, padding bit, a 5-bit count or format, the packet type, and
//! its length in 32-bit words minus one). [`CompoundPackets`] walks the
//! packets of a datagram, checking that each length stays inside it, and
//! parses each into an [`RtcpPacket`]:
//!
//! | type | format | packet |
//! |------|--------|--------|
//! | 200 SR | | [`SenderReport`], with its report blocks and profile extension |
//! | 201 RR | | [`ReceiverReport`] |
//! | 202 SDES | | [`SourceDescription`]: chunks of CNAME, NAME, EMAIL, PHONE, LOC, TOOL, NOTE, PRIV items |
//! | 203 BYE | | [`Goodbye`], with its optional reason |
//! | 204 APP | | [`App`] |
//! | 205 RTPFB | 1 | [`GenericNack`] (RFC 4585) |
//! | 206 PSFB | 1 | [`PictureLossIndication`] (RFC 4585) |
//! | 206 PSFB | 4 | [`FullIntraRequest`] (RFC 5104) |
//!
//! Any other type or format is kept whole as an [`UnknownPacket`], not
//! rejected. A compound need not start with SR or RR: reduced-size RTCP (RFC
//! 5506) is accepted. Error offsets count from the start of the datagram.
//!
//! Every packet writes itself ([`RtcpPacket::write`] into a [`BufMut`],
//! [`RtcpPacket::write_into`] into `&mut [u8]`), and [`write_compound`]
//! writes a list. Report blocks, SDES chunks and the like are owned `Vec`s
//! whose length is bounded by their 5-bit count fields; text and data fields
//! are `Bytes` slices of the datagram.
//!
//! ```
//! use bytes::Bytes;
//! use streamkit_core::time::RtpTimestamp;
//! use streamkit_rtp::rtcp::{
//!     parse_compound, write_compound, NtpTimestamp, RtcpPacket, SdesChunk, SdesItem,
//!     SenderReport, SourceDescription,
//! };
//!
//! let sr = SenderReport {
//!     ssrc: 0x1111_2222,
//!     ntp_time: NtpTimestamp::new(3_900_000_000, 0x8000_0000),
//!     rtp_timestamp: RtpTimestamp::new(90_000),
//!     packet_count: 10,
//!     octet_count: 12_000,
//!     reports: vec![],
//!     profile_extension: Bytes::new(),
//! };
//! let sdes = SourceDescription {
//!     chunks: vec![SdesChunk {
//!         source: 0x1111_2222,
//!         items: vec![SdesItem::cname("user@host")],
//!     }],
//! };
//! let packets = [RtcpPacket::SenderReport(sr.clone()), RtcpPacket::SourceDescription(sdes)];
//! let mut wire = Vec::new();
//! write_compound(&packets, &mut wire)?;
//!
//! let parsed = parse_compound(Bytes::from(wire))?;
//! assert_eq!(parsed, packets);
//! // 3 900 000 000 s = 0xE875_4700: LSR keeps 0x4700 and the fraction's top half.
//! assert_eq!(sr.ntp_time.middle_32(), 0x4700_8000);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use bytes::{BufMut, Bytes};

use crate::error::{ParseError, WriteError};

mod app;
mod compound;
mod fir;
mod goodbye;
mod header;
mod nack;
mod pli;
mod receiver_report;
mod report_block;
mod sdes;
mod sender_report;

pub use app::App;
pub use compound::{CompoundPackets, parse_compound, validate_compound, write_compound};
pub use fir::{FirEntry, FullIntraRequest};
pub use goodbye::Goodbye;
pub use header::RtcpHeader;
pub use nack::{GenericNack, NackPair};
pub use pli::PictureLossIndication;
pub use receiver_report::ReceiverReport;
pub use report_block::ReportBlock;
pub use sdes::{SdesChunk, SdesItem, SdesType, SourceDescription};
pub use sender_report::SenderReport;

/// Packet type of a sender report.
pub const PT_SR: u8 = 200;
/// Packet type of a receiver report.
pub const PT_RR: u8 = 201;
/// Packet type of a source description.
pub const PT_SDES: u8 = 202;
/// Packet type of a goodbye.
pub const PT_BYE: u8 = 203;
/// Packet type of an application-defined packet.
pub const PT_APP: u8 = 204;
/// Packet type of transport-layer feedback (RFC 4585).
pub const PT_RTPFB: u8 = 205;
/// Packet type of payload-specific feedback (RFC 4585).
pub const PT_PSFB: u8 = 206;

/// Transport-layer feedback format of a generic NACK.
pub const FMT_NACK: u8 = 1;
/// Payload-specific feedback format of a picture loss indication.
pub const FMT_PLI: u8 = 1;
/// Payload-specific feedback format of a full intra request.
pub const FMT_FIR: u8 = 4;

/// The most entries a 5-bit count field says (report blocks, SDES chunks,
/// BYE sources).
pub const MAX_COUNT: usize = 31;

/// `true` when `datagram` looks like RTCP rather than RTP when both share a
/// port (RFC 5761 section 4): its second byte, the RTCP packet type, is 192
/// to 223.
#[must_use]
pub fn looks_like_rtcp(datagram: &[u8]) -> bool {
    matches!(datagram.get(1), Some(192..=223))
}

/// The 64-bit NTP timestamp of sender reports (RFC 3550 section 4), the
/// wire form of a wall-clock time (streamkit-core's clock module).
pub use streamkit_core::clock::NtpTimestamp;

/// A packet of a type or format this module does not model, kept whole.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct UnknownPacket {
    /// The packet type.
    pub packet_type: u8,
    /// The 5-bit count or format field.
    pub count: u8,
    /// The whole packet, header and padding included.
    pub bytes: Bytes,
}

/// One RTCP packet.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RtcpPacket {
    /// SR.
    SenderReport(SenderReport),
    /// RR.
    ReceiverReport(ReceiverReport),
    /// SDES.
    SourceDescription(SourceDescription),
    /// BYE.
    Goodbye(Goodbye),
    /// APP.
    App(App),
    /// Generic NACK.
    GenericNack(GenericNack),
    /// PLI.
    PictureLossIndication(PictureLossIndication),
    /// FIR.
    FullIntraRequest(FullIntraRequest),
    /// Any other type or format.
    Unknown(UnknownPacket),
}

/// Reads a big-endian `u32` at `at` of a bound-checked slice.
fn be32(data: &[u8], at: usize) -> u32 {
    match data.get(at..at + 4) {
        Some(&[a, b, c, d]) => u32::from_be_bytes([a, b, c, d]),
        _ => 0,
    }
}

fn malformed(offset: usize, what: &'static str) -> ParseError {
    ParseError::RtcpMalformed { offset, what }
}

/// The sender and media SSRCs every feedback packet (RFC 4585 section
/// 6.1) starts with.
fn feedback_ssrcs(body: &[u8], base: usize) -> Result<(u32, u32), ParseError> {
    if body.len() < 8 {
        return Err(malformed(
            base,
            "feedback packet shorter than its two SSRCs",
        ));
    }
    Ok((be32(body, 0), be32(body, 4)))
}

/// A 5-bit count field for `n` entries.
fn count(what: &'static str, n: usize) -> Result<u8, WriteError> {
    if n > MAX_COUNT {
        return Err(WriteError::TooMany {
            what,
            count: n,
            max: MAX_COUNT,
        });
    }
    Ok(n as u8)
}

fn multiple_of_4(what: &'static str, len: usize) -> Result<(), WriteError> {
    if !len.is_multiple_of(4) {
        return Err(WriteError::Invalid { what });
    }
    Ok(())
}

impl RtcpPacket {
    /// Parses the packet at `offset` in `datagram`; returns it and its
    /// length (padding included).
    ///
    /// # Errors
    ///
    /// Header errors as [`RtcpHeader::parse`], [`ParseError::PaddingZero`] /
    /// [`ParseError::PaddingTooLong`], and [`ParseError::RtcpMalformed`] when
    /// the body does not match its type.
    pub fn parse_at(datagram: &Bytes, offset: usize) -> Result<(RtcpPacket, usize), ParseError> {
        let header = RtcpHeader::parse(datagram, offset)?;
        let len = header.packet_len();
        let mut body_end = offset + len;
        if header.padding {
            let pad_at = body_end - 1;
            let padding = datagram.get(pad_at).copied().unwrap_or(0);
            if padding == 0 {
                return Err(ParseError::PaddingZero { offset: pad_at });
            }
            let available = len - 4;
            if usize::from(padding) > available {
                return Err(ParseError::PaddingTooLong {
                    offset: pad_at,
                    padding,
                    available,
                });
            }
            body_end -= usize::from(padding);
        }
        let base = offset + 4;
        let body_bytes = datagram.slice(base..body_end);
        let body = &body_bytes[..];
        let count = usize::from(header.count);
        let packet = match (header.packet_type, header.count) {
            (PT_SR, _) => {
                RtcpPacket::SenderReport(SenderReport::parse_body(&body_bytes, count, base)?)
            }
            (PT_RR, _) => {
                RtcpPacket::ReceiverReport(ReceiverReport::parse_body(&body_bytes, count, base)?)
            }
            (PT_SDES, _) => RtcpPacket::SourceDescription(SourceDescription::parse_body(
                &body_bytes,
                count,
                base,
            )?),
            (PT_BYE, _) => RtcpPacket::Goodbye(Goodbye::parse_body(&body_bytes, count, base)?),
            (PT_APP, subtype) => RtcpPacket::App(App::parse_body(&body_bytes, subtype, base)?),
            (PT_RTPFB, FMT_NACK) => RtcpPacket::GenericNack(GenericNack::parse_body(body, base)?),
            (PT_PSFB, FMT_PLI) => {
                RtcpPacket::PictureLossIndication(PictureLossIndication::parse_body(body, base)?)
            }
            (PT_PSFB, FMT_FIR) => {
                RtcpPacket::FullIntraRequest(FullIntraRequest::parse_body(body, base)?)
            }
            (packet_type, count) => RtcpPacket::Unknown(UnknownPacket {
                packet_type,
                count,
                bytes: datagram.slice(offset..offset + len),
            }),
        };
        Ok((packet, len))
    }

    /// The packet type on the wire.
    #[must_use]
    pub fn packet_type(&self) -> u8 {
        match self {
            RtcpPacket::SenderReport(_) => PT_SR,
            RtcpPacket::ReceiverReport(_) => PT_RR,
            RtcpPacket::SourceDescription(_) => PT_SDES,
            RtcpPacket::Goodbye(_) => PT_BYE,
            RtcpPacket::App(_) => PT_APP,
            RtcpPacket::GenericNack(_) => PT_RTPFB,
            RtcpPacket::PictureLossIndication(_) | RtcpPacket::FullIntraRequest(_) => PT_PSFB,
            RtcpPacket::Unknown(u) => u.packet_type,
        }
    }

    /// Validates the packet for writing; returns its header count field
    /// and its length in bytes.
    fn layout(&self) -> Result<(u8, usize), WriteError> {
        let (c, len) = match self {
            RtcpPacket::SenderReport(p) => p.layout()?,
            RtcpPacket::ReceiverReport(p) => p.layout()?,
            RtcpPacket::SourceDescription(p) => p.layout()?,
            RtcpPacket::Goodbye(p) => p.layout()?,
            RtcpPacket::App(p) => p.layout()?,
            RtcpPacket::GenericNack(p) => p.layout()?,
            RtcpPacket::PictureLossIndication(p) => p.layout()?,
            RtcpPacket::FullIntraRequest(p) => p.layout()?,
            RtcpPacket::Unknown(u) => {
                if u.bytes.len() < 4 {
                    return Err(WriteError::Invalid {
                        what: "unknown RTCP packet shorter than its header",
                    });
                }
                multiple_of_4(
                    "unknown RTCP packet length (must be a multiple of 4)",
                    u.bytes.len(),
                )?;
                (u.count, u.bytes.len())
            }
        };
        if len / 4 - 1 > usize::from(u16::MAX) {
            return Err(WriteError::TooLong {
                what: "RTCP packet",
                len,
                max: (usize::from(u16::MAX) + 1) * 4,
            });
        }
        Ok((c, len))
    }

    /// The packet's length on the wire.
    ///
    /// # Errors
    ///
    /// As [`write`](RtcpPacket::write), but never `InsufficientSize`.
    pub fn encoded_len(&self) -> Result<usize, WriteError> {
        Ok(self.layout()?.1)
    }

    /// Writes the packet (without padding; an [`UnknownPacket`] is written
    /// as kept); returns the bytes written.
    ///
    /// # Errors
    ///
    /// [`WriteError::TooMany`] for more than 31 report blocks, chunks or
    /// sources; [`WriteError::TooLong`] for an SDES item or BYE reason over
    /// 255 bytes or a packet over 256 KiB; [`WriteError::Invalid`] for
    /// extension or data not a multiple of 4 bytes or an APP subtype over
    /// 31; [`WriteError::InsufficientSize`] when `buf` has no room (nothing
    /// is written then).
    pub fn write(&self, buf: &mut impl BufMut) -> Result<usize, WriteError> {
        let (count, len) = self.layout()?;
        if buf.remaining_mut() < len {
            return Err(WriteError::InsufficientSize { required: len });
        }
        self.put(count, len, buf);
        Ok(len)
    }

    /// Writes the packet into the start of `out`; returns the bytes written.
    ///
    /// # Errors
    ///
    /// As [`write`](RtcpPacket::write).
    pub fn write_into(&self, out: &mut [u8]) -> Result<usize, WriteError> {
        let mut cursor = out;
        self.write(&mut cursor)
    }

    fn put(&self, count: u8, len: usize, buf: &mut impl BufMut) {
        if let RtcpPacket::Unknown(u) = self {
            buf.put_slice(&u.bytes);
            return;
        }
        RtcpHeader {
            padding: false,
            count,
            packet_type: self.packet_type(),
            length_words: (len / 4 - 1) as u16,
        }
        .put(buf);
        match self {
            RtcpPacket::SenderReport(p) => p.put_body(buf),
            RtcpPacket::ReceiverReport(p) => p.put_body(buf),
            RtcpPacket::SourceDescription(p) => p.put_body(buf),
            RtcpPacket::Goodbye(p) => p.put_body(buf),
            RtcpPacket::App(p) => p.put_body(buf),
            RtcpPacket::GenericNack(p) => p.put_body(buf),
            RtcpPacket::PictureLossIndication(p) => p.put_body(buf),
            RtcpPacket::FullIntraRequest(p) => p.put_body(buf),
            RtcpPacket::Unknown(_) => {}
        }
    }
}
