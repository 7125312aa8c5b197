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
use streamkit_core::time::{RtpTimestamp, SequenceNumber};

use crate::error::{ParseError, WriteError};

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

/// One reception report block (RFC 3550 section 6.4.1), in SR and RR.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct ReportBlock {
    /// The source this block reports on.
    pub ssrc: u32,
    /// Fraction of packets lost since the previous report, in 1/256.
    pub fraction_lost: u8,
    /// Cumulative packets lost, a signed 24-bit value; written clamped to
    /// -8 388 608 ..= 8 388 607 (RFC 3550 appendix A.3).
    pub cumulative_lost: i32,
    /// Extended highest sequence number received (cycles in the high 16
    /// bits).
    pub extended_highest_sequence: u32,
    /// Interarrival jitter, in timestamp units.
    pub jitter: u32,
    /// LSR: the middle 32 bits of the last SR's NTP time, 0 if none.
    pub last_sender_report: u32,
    /// DLSR: delay since that SR, in units of 1/65536 s.
    pub delay_since_last_sender_report: u32,
}

/// The smallest and largest cumulative loss a report block carries.
const CUMULATIVE_LOST_MIN: i32 = -0x80_0000;
const CUMULATIVE_LOST_MAX: i32 = 0x7F_FFFF;

impl ReportBlock {
    /// Length of a report block on the wire.
    pub const LEN: usize = 24;

    fn parse(b: &[u8; 24]) -> ReportBlock {
        let word = |i: usize| u32::from_be_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]]);
        let lost = word(4) & 0x00FF_FFFF;
        // Sign-extend the 24-bit value.
        let cumulative_lost = ((lost << 8) as i32) >> 8;
        ReportBlock {
            ssrc: word(0),
            fraction_lost: b[4],
            cumulative_lost,
            extended_highest_sequence: word(8),
            jitter: word(12),
            last_sender_report: word(16),
            delay_since_last_sender_report: word(20),
        }
    }

    fn put(&self, buf: &mut impl BufMut) {
        buf.put_u32(self.ssrc);
        let lost = self
            .cumulative_lost
            .clamp(CUMULATIVE_LOST_MIN, CUMULATIVE_LOST_MAX) as u32
            & 0x00FF_FFFF;
        buf.put_u32((u32::from(self.fraction_lost) << 24) | lost);
        buf.put_u32(self.extended_highest_sequence);
        buf.put_u32(self.jitter);
        buf.put_u32(self.last_sender_report);
        buf.put_u32(self.delay_since_last_sender_report);
    }
}

/// A sender report (SR, packet type 200).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SenderReport {
    /// The sender's SSRC.
    pub ssrc: u32,
    /// Wall-clock time of the report.
    pub ntp_time: NtpTimestamp,
    /// The RTP timestamp of the same instant.
    pub rtp_timestamp: RtpTimestamp,
    /// Packets sent since the start.
    pub packet_count: u32,
    /// Payload octets sent since the start.
    pub octet_count: u32,
    /// Reception reports (at most 31).
    pub reports: Vec<ReportBlock>,
    /// Profile-specific extension after the report blocks (a multiple of 4
    /// bytes), usually empty.
    pub profile_extension: Bytes,
}

/// A receiver report (RR, packet type 201).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ReceiverReport {
    /// The reporter's SSRC.
    pub ssrc: u32,
    /// Reception reports (at most 31).
    pub reports: Vec<ReportBlock>,
    /// Profile-specific extension after the report blocks (a multiple of 4
    /// bytes), usually empty.
    pub profile_extension: Bytes,
}

/// The type of an SDES item (RFC 3550 section 6.5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SdesType {
    /// 1: canonical end-point identifier (`user@host`).
    Cname,
    /// 2: user name.
    Name,
    /// 3: e-mail address.
    Email,
    /// 4: phone number.
    Phone,
    /// 5: geographic location.
    Location,
    /// 6: application or tool name.
    Tool,
    /// 7: notice or status.
    Note,
    /// 8: private extension: a prefix length, prefix and value.
    Private,
    /// Any other non-zero type, kept as is.
    Other(u8),
}

impl SdesType {
    /// The type for the item type octet `v` (`None` for 0, which ends an
    /// item list).
    #[must_use]
    pub const fn from_u8(v: u8) -> Option<SdesType> {
        Some(match v {
            0 => return None,
            1 => SdesType::Cname,
            2 => SdesType::Name,
            3 => SdesType::Email,
            4 => SdesType::Phone,
            5 => SdesType::Location,
            6 => SdesType::Tool,
            7 => SdesType::Note,
            8 => SdesType::Private,
            other => SdesType::Other(other),
        })
    }

    /// The item type octet.
    #[must_use]
    pub const fn to_u8(self) -> u8 {
        match self {
            SdesType::Cname => 1,
            SdesType::Name => 2,
            SdesType::Email => 3,
            SdesType::Phone => 4,
            SdesType::Location => 5,
            SdesType::Tool => 6,
            SdesType::Note => 7,
            SdesType::Private => 8,
            SdesType::Other(v) => v,
        }
    }
}

/// One SDES item: its type and value (at most 255 bytes, UTF-8 text for
/// the standard types).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SdesItem {
    /// The item type.
    pub kind: SdesType,
    /// The value; for [`SdesType::Private`] the prefix length, prefix and
    /// value (see [`SdesItem::private_parts`]).
    pub value: Bytes,
}

impl SdesItem {
    /// A CNAME item.
    #[must_use]
    pub fn cname(cname: &str) -> SdesItem {
        SdesItem {
            kind: SdesType::Cname,
            value: Bytes::copy_from_slice(cname.as_bytes()),
        }
    }

    /// A PRIV item from its prefix and value; `None` when the prefix is
    /// longer than 255 bytes.
    #[must_use]
    pub fn private(prefix: &[u8], value: &[u8]) -> Option<SdesItem> {
        let len = u8::try_from(prefix.len()).ok()?;
        let mut v = Vec::with_capacity(1 + prefix.len() + value.len());
        v.push(len);
        v.extend_from_slice(prefix);
        v.extend_from_slice(value);
        Some(SdesItem {
            kind: SdesType::Private,
            value: Bytes::from(v),
        })
    }

    /// For a PRIV item, its prefix and value; `None` for other types or
    /// when the prefix length runs past the item.
    #[must_use]
    pub fn private_parts(&self) -> Option<(Bytes, Bytes)> {
        if self.kind != SdesType::Private {
            return None;
        }
        let (&len, _) = self.value.split_first()?;
        let end = 1 + usize::from(len);
        if end > self.value.len() {
            return None;
        }
        Some((self.value.slice(1..end), self.value.slice(end..)))
    }
}

/// One SDES chunk: a source and its items.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SdesChunk {
    /// The SSRC or CSRC described.
    pub source: u32,
    /// The items, in order.
    pub items: Vec<SdesItem>,
}

impl SdesChunk {
    /// The first CNAME item's value.
    #[must_use]
    pub fn cname(&self) -> Option<&Bytes> {
        self.items
            .iter()
            .find(|i| i.kind == SdesType::Cname)
            .map(|i| &i.value)
    }

    fn wire_len(&self) -> usize {
        let items: usize = self.items.iter().map(|i| 2 + i.value.len()).sum();
        // SSRC, items, at least one null octet, padded to 32 bits.
        (4 + items + 1).div_ceil(4) * 4
    }
}

/// A source description (SDES, packet type 202).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct SourceDescription {
    /// The chunks (at most 31).
    pub chunks: Vec<SdesChunk>,
}

/// A goodbye (BYE, packet type 203).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct Goodbye {
    /// The sources leaving (at most 31).
    pub sources: Vec<u32>,
    /// Why they leave (at most 255 bytes), if said.
    pub reason: Option<Bytes>,
}

/// An application-defined packet (APP, packet type 204).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct App {
    /// The 5-bit subtype.
    pub subtype: u8,
    /// The sender's SSRC.
    pub ssrc: u32,
    /// The four ASCII characters naming the application.
    pub name: [u8; 4],
    /// Application data (a multiple of 4 bytes).
    pub data: Bytes,
}

/// One generic NACK entry (RFC 4585 section 6.2.1): a lost packet id and a
/// bitmask of the 16 following packets also lost.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct NackPair {
    /// PID: the sequence number of a lost packet.
    pub packet_id: SequenceNumber,
    /// BLP: bit `i` set means packet `packet_id + i + 1` is lost too.
    pub lost_bitmask: u16,
}

impl NackPair {
    /// The lost sequence numbers this entry names, in order.
    pub fn lost(&self) -> impl Iterator<Item = SequenceNumber> + use<> {
        let pid = self.packet_id;
        let blp = self.lost_bitmask;
        core::iter::once(pid).chain(
            (0..16u16)
                .filter(move |i| blp & (1 << i) != 0)
                .map(move |i| SequenceNumber(pid.0.wrapping_add(i + 1))),
        )
    }
}

/// A generic NACK (transport-layer feedback, packet type 205, format 1).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct GenericNack {
    /// The SSRC of the packet's sender.
    pub sender_ssrc: u32,
    /// The SSRC of the media source the losses are in.
    pub media_ssrc: u32,
    /// The entries.
    pub pairs: Vec<NackPair>,
}

impl GenericNack {
    /// A NACK naming `lost` sequence numbers, packed into as few entries as
    /// their order allows: each number within 16 after the current entry's
    /// PID sets a bit, any other starts a new entry. Pass them ascending
    /// (wrap-aware) for the tightest packing.
    #[must_use]
    pub fn from_lost(sender_ssrc: u32, media_ssrc: u32, lost: &[SequenceNumber]) -> GenericNack {
        let mut pairs: Vec<NackPair> = Vec::new();
        for &seq in lost {
            if let Some(last) = pairs.last_mut() {
                let d = seq.0.wrapping_sub(last.packet_id.0);
                if d == 0 {
                    continue;
                }
                if (1..=16).contains(&d) {
                    last.lost_bitmask |= 1 << (d - 1);
                    continue;
                }
            }
            pairs.push(NackPair {
                packet_id: seq,
                lost_bitmask: 0,
            });
        }
        GenericNack {
            sender_ssrc,
            media_ssrc,
            pairs,
        }
    }

    /// Every lost sequence number named, entry by entry.
    pub fn lost_sequence_numbers(&self) -> impl Iterator<Item = SequenceNumber> + '_ {
        self.pairs.iter().flat_map(NackPair::lost)
    }
}

/// A picture loss indication (payload-specific feedback, packet type 206,
/// format 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PictureLossIndication {
    /// The SSRC of the packet's sender.
    pub sender_ssrc: u32,
    /// The SSRC of the media source whose picture was lost.
    pub media_ssrc: u32,
}

/// One FIR entry (RFC 5104 section 4.3.1.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct FirEntry {
    /// The media sender asked for a decoder refresh point.
    pub ssrc: u32,
    /// The command sequence number, incremented per new request.
    pub sequence_number: u8,
}

/// A full intra request (payload-specific feedback, packet type 206,
/// format 4, RFC 5104).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct FullIntraRequest {
    /// The SSRC of the packet's sender.
    pub sender_ssrc: u32,
    /// The media source field (0 by RFC 5104; the targets are in `entries`).
    pub media_ssrc: u32,
    /// The requests.
    pub entries: Vec<FirEntry>,
}

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

/// The 4-byte header common to every RTCP packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RtcpHeader {
    /// The P bit.
    pub padding: bool,
    /// The 5-bit count (reports, chunks, sources) or feedback format.
    pub count: u8,
    /// The packet type.
    pub packet_type: u8,
    /// The length in 32-bit words minus one.
    pub length_words: u16,
}

impl RtcpHeader {
    /// The whole packet's length in bytes, header included.
    #[must_use]
    pub const fn packet_len(&self) -> usize {
        (self.length_words as usize + 1) * 4
    }

    /// Reads and checks the header of the packet at `offset` in `datagram`;
    /// returns it with the packet's length.
    ///
    /// # Errors
    ///
    /// [`ParseError::TooShort`], [`ParseError::BadVersion`] or
    /// [`ParseError::RtcpLengthPastEnd`].
    pub fn parse(datagram: &[u8], offset: usize) -> Result<RtcpHeader, ParseError> {
        let rest = datagram.get(offset..).unwrap_or(&[]);
        let Some(&[b0, b1, l0, l1]) = rest.first_chunk::<4>() else {
            return Err(ParseError::TooShort { offset, needed: 4 });
        };
        let version = b0 >> 6;
        if version != 2 {
            return Err(ParseError::BadVersion { offset, version });
        }
        let header = RtcpHeader {
            padding: b0 & 0x20 != 0,
            count: b0 & 0x1F,
            packet_type: b1,
            length_words: u16::from_be_bytes([l0, l1]),
        };
        if header.packet_len() > rest.len() {
            return Err(ParseError::RtcpLengthPastEnd {
                offset,
                length_words: header.length_words,
                available: rest.len(),
            });
        }
        Ok(header)
    }

    fn put(&self, buf: &mut impl BufMut) {
        buf.put_u8(0x80 | if self.padding { 0x20 } else { 0 } | (self.count & 0x1F));
        buf.put_u8(self.packet_type);
        buf.put_u16(self.length_words);
    }
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

/// Parses `n` report blocks from `body` at `at`; `base` is the body's
/// offset in the datagram.
fn parse_reports(
    body: &[u8],
    at: usize,
    n: usize,
    base: usize,
) -> Result<Vec<ReportBlock>, ParseError> {
    let end = at + n * ReportBlock::LEN;
    let Some(region) = body.get(at..end) else {
        return Err(malformed(
            base + at,
            "report count needs more bytes than the packet length gives",
        ));
    };
    Ok(region
        .chunks_exact(ReportBlock::LEN)
        .filter_map(|c| c.first_chunk::<24>().map(ReportBlock::parse))
        .collect())
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
                if body.len() < 24 {
                    return Err(malformed(
                        base,
                        "sender report shorter than its sender info",
                    ));
                }
                let reports = parse_reports(body, 24, count, base)?;
                let ext = 24 + count * ReportBlock::LEN;
                RtcpPacket::SenderReport(SenderReport {
                    ssrc: be32(body, 0),
                    ntp_time: NtpTimestamp(
                        (u64::from(be32(body, 4)) << 32) | u64::from(be32(body, 8)),
                    ),
                    rtp_timestamp: RtpTimestamp(be32(body, 12)),
                    packet_count: be32(body, 16),
                    octet_count: be32(body, 20),
                    reports,
                    profile_extension: body_bytes.slice(ext..),
                })
            }
            (PT_RR, _) => {
                if body.len() < 4 {
                    return Err(malformed(base, "receiver report without SSRC"));
                }
                let reports = parse_reports(body, 4, count, base)?;
                let ext = 4 + count * ReportBlock::LEN;
                RtcpPacket::ReceiverReport(ReceiverReport {
                    ssrc: be32(body, 0),
                    reports,
                    profile_extension: body_bytes.slice(ext..),
                })
            }
            (PT_SDES, _) => RtcpPacket::SourceDescription(parse_sdes(&body_bytes, count, base)?),
            (PT_BYE, _) => {
                let list_end = 4 * count;
                if body.len() < list_end {
                    return Err(malformed(
                        base,
                        "BYE source count needs more bytes than the packet length gives",
                    ));
                }
                let sources = (0..count).map(|i| be32(body, 4 * i)).collect();
                let reason = match body.get(list_end) {
                    None => None,
                    Some(&n) => {
                        let end = list_end + 1 + usize::from(n);
                        if end > body.len() {
                            return Err(malformed(
                                base + list_end,
                                "BYE reason runs past the packet",
                            ));
                        }
                        Some(body_bytes.slice(list_end + 1..end))
                    }
                };
                RtcpPacket::Goodbye(Goodbye { sources, reason })
            }
            (PT_APP, subtype) => {
                let Some(&[n0, n1, n2, n3]) = body.get(4..8) else {
                    return Err(malformed(base, "APP packet shorter than SSRC and name"));
                };
                RtcpPacket::App(App {
                    subtype,
                    ssrc: be32(body, 0),
                    name: [n0, n1, n2, n3],
                    data: body_bytes.slice(8..),
                })
            }
            (PT_RTPFB, FMT_NACK) => {
                if body.len() < 8 {
                    return Err(malformed(
                        base,
                        "feedback packet shorter than its two SSRCs",
                    ));
                }
                let pairs = body
                    .get(8..)
                    .unwrap_or(&[])
                    .chunks_exact(4)
                    .map(|c| {
                        let w = be32(c, 0);
                        NackPair {
                            packet_id: SequenceNumber((w >> 16) as u16),
                            lost_bitmask: w as u16,
                        }
                    })
                    .collect();
                RtcpPacket::GenericNack(GenericNack {
                    sender_ssrc: be32(body, 0),
                    media_ssrc: be32(body, 4),
                    pairs,
                })
            }
            (PT_PSFB, FMT_PLI) => {
                if body.len() < 8 {
                    return Err(malformed(
                        base,
                        "feedback packet shorter than its two SSRCs",
                    ));
                }
                if body.len() > 8 {
                    return Err(malformed(
                        base + 8,
                        "picture loss indication with feedback control information",
                    ));
                }
                RtcpPacket::PictureLossIndication(PictureLossIndication {
                    sender_ssrc: be32(body, 0),
                    media_ssrc: be32(body, 4),
                })
            }
            (PT_PSFB, FMT_FIR) => {
                if body.len() < 8 {
                    return Err(malformed(
                        base,
                        "feedback packet shorter than its two SSRCs",
                    ));
                }
                let fci = body.get(8..).unwrap_or(&[]);
                if fci.len() % 8 != 0 {
                    return Err(malformed(
                        base + 8,
                        "FIR entries are not a multiple of 8 bytes",
                    ));
                }
                let entries = fci
                    .chunks_exact(8)
                    .map(|c| FirEntry {
                        ssrc: be32(c, 0),
                        sequence_number: c.get(4).copied().unwrap_or(0),
                    })
                    .collect();
                RtcpPacket::FullIntraRequest(FullIntraRequest {
                    sender_ssrc: be32(body, 0),
                    media_ssrc: be32(body, 4),
                    entries,
                })
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
        let (c, len) = match self {
            RtcpPacket::SenderReport(sr) => {
                multiple_of_4(
                    "SR profile extension length (must be a multiple of 4)",
                    sr.profile_extension.len(),
                )?;
                (
                    count("report blocks", sr.reports.len())?,
                    28 + ReportBlock::LEN * sr.reports.len() + sr.profile_extension.len(),
                )
            }
            RtcpPacket::ReceiverReport(rr) => {
                multiple_of_4(
                    "RR profile extension length (must be a multiple of 4)",
                    rr.profile_extension.len(),
                )?;
                (
                    count("report blocks", rr.reports.len())?,
                    8 + ReportBlock::LEN * rr.reports.len() + rr.profile_extension.len(),
                )
            }
            RtcpPacket::SourceDescription(sdes) => {
                for item in sdes.chunks.iter().flat_map(|c| &c.items) {
                    if item.value.len() > 255 {
                        return Err(WriteError::TooLong {
                            what: "SDES item",
                            len: item.value.len(),
                            max: 255,
                        });
                    }
                }
                (
                    count("SDES chunks", sdes.chunks.len())?,
                    4 + sdes.chunks.iter().map(SdesChunk::wire_len).sum::<usize>(),
                )
            }
            RtcpPacket::Goodbye(bye) => {
                let reason = match &bye.reason {
                    Some(r) if r.len() > 255 => {
                        return Err(WriteError::TooLong {
                            what: "BYE reason",
                            len: r.len(),
                            max: 255,
                        });
                    }
                    Some(r) => (1 + r.len()).div_ceil(4) * 4,
                    None => 0,
                };
                (
                    count("BYE sources", bye.sources.len())?,
                    4 + 4 * bye.sources.len() + reason,
                )
            }
            RtcpPacket::App(app) => {
                if app.subtype > 31 {
                    return Err(WriteError::Invalid {
                        what: "APP subtype (must be 0 to 31)",
                    });
                }
                multiple_of_4("APP data length (must be a multiple of 4)", app.data.len())?;
                (app.subtype, 12 + app.data.len())
            }
            RtcpPacket::GenericNack(nack) => (FMT_NACK, 12 + 4 * nack.pairs.len()),
            RtcpPacket::PictureLossIndication(_) => (FMT_PLI, 12),
            RtcpPacket::FullIntraRequest(fir) => (FMT_FIR, 12 + 8 * fir.entries.len()),
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
            RtcpPacket::SenderReport(sr) => {
                buf.put_u32(sr.ssrc);
                buf.put_u64(sr.ntp_time.0);
                buf.put_u32(sr.rtp_timestamp.0);
                buf.put_u32(sr.packet_count);
                buf.put_u32(sr.octet_count);
                for r in &sr.reports {
                    r.put(buf);
                }
                buf.put_slice(&sr.profile_extension);
            }
            RtcpPacket::ReceiverReport(rr) => {
                buf.put_u32(rr.ssrc);
                for r in &rr.reports {
                    r.put(buf);
                }
                buf.put_slice(&rr.profile_extension);
            }
            RtcpPacket::SourceDescription(sdes) => {
                for chunk in &sdes.chunks {
                    buf.put_u32(chunk.source);
                    let mut written = 4;
                    for item in &chunk.items {
                        buf.put_u8(item.kind.to_u8());
                        buf.put_u8(item.value.len() as u8);
                        buf.put_slice(&item.value);
                        written += 2 + item.value.len();
                    }
                    buf.put_bytes(0, chunk.wire_len() - written);
                }
            }
            RtcpPacket::Goodbye(bye) => {
                for &s in &bye.sources {
                    buf.put_u32(s);
                }
                if let Some(reason) = &bye.reason {
                    buf.put_u8(reason.len() as u8);
                    buf.put_slice(reason);
                    let used = 1 + reason.len();
                    buf.put_bytes(0, used.div_ceil(4) * 4 - used);
                }
            }
            RtcpPacket::App(app) => {
                buf.put_u32(app.ssrc);
                buf.put_slice(&app.name);
                buf.put_slice(&app.data);
            }
            RtcpPacket::GenericNack(nack) => {
                buf.put_u32(nack.sender_ssrc);
                buf.put_u32(nack.media_ssrc);
                for p in &nack.pairs {
                    buf.put_u16(p.packet_id.0);
                    buf.put_u16(p.lost_bitmask);
                }
            }
            RtcpPacket::PictureLossIndication(pli) => {
                buf.put_u32(pli.sender_ssrc);
                buf.put_u32(pli.media_ssrc);
            }
            RtcpPacket::FullIntraRequest(fir) => {
                buf.put_u32(fir.sender_ssrc);
                buf.put_u32(fir.media_ssrc);
                for e in &fir.entries {
                    buf.put_u32(e.ssrc);
                    buf.put_u8(e.sequence_number);
                    buf.put_bytes(0, 3);
                }
            }
            RtcpPacket::Unknown(_) => {}
        }
    }
}

fn parse_sdes(
    body_bytes: &Bytes,
    count: usize,
    base: usize,
) -> Result<SourceDescription, ParseError> {
    let body = &body_bytes[..];
    let mut chunks = Vec::with_capacity(count.min(body.len() / 8));
    let mut pos = 0usize;
    for _ in 0..count {
        if pos + 4 > body.len() {
            return Err(malformed(
                base + pos,
                "SDES chunk count needs more bytes than the packet length gives",
            ));
        }
        let source = be32(body, pos);
        pos += 4;
        let mut items = Vec::new();
        loop {
            let Some(&kind) = body.get(pos) else {
                return Err(malformed(
                    base + pos,
                    "SDES item list not terminated by a null octet",
                ));
            };
            let Some(kind) = SdesType::from_u8(kind) else {
                // End of the item list: skip the null octets up to the next
                // 32-bit boundary.
                pos = (pos + 1).div_ceil(4) * 4;
                break;
            };
            let Some(&len) = body.get(pos + 1) else {
                return Err(malformed(base + pos, "SDES item without its length"));
            };
            let end = pos + 2 + usize::from(len);
            if end > body.len() {
                return Err(malformed(base + pos, "SDES item runs past the packet"));
            }
            items.push(SdesItem {
                kind,
                value: body_bytes.slice(pos + 2..end),
            });
            pos = end;
        }
        chunks.push(SdesChunk { source, items });
    }
    if pos < body.len() {
        return Err(malformed(base + pos, "bytes after the last SDES chunk"));
    }
    Ok(SourceDescription { chunks })
}

/// Iterator over the packets of an RTCP compound datagram.
///
/// Each header is checked before its packet is parsed; an error in a
/// header ends the iteration (the framing is lost), an error in a body is
/// yielded and the iteration goes on with the next packet.
#[derive(Debug, Clone)]
pub struct CompoundPackets {
    datagram: Bytes,
    offset: usize,
    done: bool,
}

impl CompoundPackets {
    /// The packets of `datagram`.
    #[must_use]
    pub fn new(datagram: Bytes) -> CompoundPackets {
        CompoundPackets {
            datagram,
            offset: 0,
            done: false,
        }
    }

    /// Where the next packet starts.
    #[must_use]
    pub fn offset(&self) -> usize {
        self.offset
    }
}

impl Iterator for CompoundPackets {
    type Item = Result<RtcpPacket, ParseError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done || self.offset >= self.datagram.len() {
            return None;
        }
        let at = self.offset;
        match RtcpHeader::parse(&self.datagram, at) {
            Err(e) => {
                self.done = true;
                Some(Err(e))
            }
            Ok(header) => {
                self.offset = at + header.packet_len();
                Some(RtcpPacket::parse_at(&self.datagram, at).map(|(p, _)| p))
            }
        }
    }
}

/// Checks every packet header of a compound datagram (version, length
/// within the datagram); returns the number of packets.
///
/// # Errors
///
/// [`ParseError::RtcpEmpty`] for an empty datagram, and the first header
/// error, as [`RtcpHeader::parse`].
pub fn validate_compound(datagram: &[u8]) -> Result<usize, ParseError> {
    if datagram.is_empty() {
        return Err(ParseError::RtcpEmpty);
    }
    let mut offset = 0;
    let mut n = 0;
    while offset < datagram.len() {
        offset += RtcpHeader::parse(datagram, offset)?.packet_len();
        n += 1;
    }
    Ok(n)
}

/// Parses a whole compound datagram (reduced-size compounds included).
///
/// # Errors
///
/// The first error found: header errors before any body is parsed (as
/// [`validate_compound`]), then body errors in order.
pub fn parse_compound(datagram: Bytes) -> Result<Vec<RtcpPacket>, ParseError> {
    let n = validate_compound(&datagram)?;
    let mut packets = Vec::with_capacity(n);
    for p in CompoundPackets::new(datagram) {
        packets.push(p?);
    }
    Ok(packets)
}

/// Writes `packets` one after another as a compound; returns the bytes
/// written.
///
/// # Errors
///
/// As [`RtcpPacket::write`]; on `InsufficientSize` (with the whole
/// compound's length) nothing is written.
pub fn write_compound(packets: &[RtcpPacket], buf: &mut impl BufMut) -> Result<usize, WriteError> {
    let mut required = 0;
    for p in packets {
        required += p.encoded_len()?;
    }
    if buf.remaining_mut() < required {
        return Err(WriteError::InsufficientSize { required });
    }
    for p in packets {
        p.write(buf)?;
    }
    Ok(required)
}
