//! RTP payload formats: access units into RTP payloads and back.
//!
//! - [`h264`]: H.264 (RFC 6184), packetization modes 0 and 1: single NAL
//!   unit packets, STAP-A aggregation, FU-A fragmentation.
//! - [`h265`]: H.265 (RFC 7798) without DONL: single NAL unit packets,
//!   aggregation packets, fragmentation units.
//! - [`aac`]: AAC (RFC 3640 `mpeg4-generic`, AAC-hbr): several frames per
//!   packet, fragments of frames larger than the MTU.
//! - [`latm`]: AAC in MP4A-LATM (RFC 6416 section 6): the StreamMuxConfig
//!   of the SDP or in band, one or more frames per AudioMuxElement,
//!   elements fragmented over packets.
//! - [`opus`]: Opus (RFC 7587): one Opus packet per RTP packet.
//!
//! Both sides are Sans-IO state machines of the same shape:
//!
//! - A **packetizer** takes one access unit (a core
//!   [`Sample`](streamkit_core::sample::Sample)'s length-prefixed NAL units)
//!   with [`push`](h264::H264Packetizer::push), then gives its payloads with
//!   `poll_payload` until `None`. Each [`RtpPayload`] is a few inline header
//!   bytes plus [`Bytes`] slices of the sample: NAL data are never copied
//!   and no heap memory is allocated per packet. `poll_payload_ref` gives
//!   the same payload as an [`RtpPayloadRef`] borrowed from the packetizer
//!   (no reference counting at all), for writing out at once. The caller wraps each
//!   payload in an RTP header ([`RtpHeader`](crate::packet::RtpHeader)) with
//!   the payload's marker bit and timestamp.
//! - A **depacketizer** takes RTP packets in sequence order (from the jitter
//!   buffer) with `push`, then gives [`Depacketized`] events with
//!   `poll_access_unit` (AAC: `poll_frame`, Opus: `poll_packet`) until
//!   `None`: whole access units in the caller's chosen [`NalForm`], losses
//!   (with whether a keyframe request is due) and parameter-set changes. At
//!   the end of the stream `finish()` gives what is held (an access unit
//!   whose marker bit never came).
//! - [`Packetizer`] and [`Depacketizer`] are both over every codec (enum
//!   dispatch), made from a core track or an SDP media section.
//!
//! The packetizers share the contract too: `push`, `poll_payload` until
//! `None`, `finish()` at the end (AAC releases the frames it holds for
//! aggregation) and poll once more.
//!
//! ```
//! use bytes::Bytes;
//! use streamkit_core::nal::NalLengthSize;
//! use streamkit_core::time::RtpTimestamp;
//! use streamkit_rtp::packet::{RtpHeader, RtpPacket};
//! use streamkit_rtp::payload::{Depacketized, NalForm};
//! use streamkit_rtp::payload::h264::{H264Depacketizer, H264Packetizer};
//!
//! // One access unit: an IDR slice of 3000 bytes, 4-byte length prefixes.
//! let mut au = vec![0, 0, 0x0b, 0xb8, 0x65];
//! au.extend(std::iter::repeat_n(0xab, 2999));
//! let au = Bytes::from(au);
//!
//! let mut packetizer = H264Packetizer::new(1200, NalLengthSize::Four)?;
//! let mut depacketizer = H264Depacketizer::new(NalForm::LengthPrefixed(NalLengthSize::Four));
//! packetizer.push(RtpTimestamp::new(90_000), au.clone())?;
//! let mut seq = 1u16;
//! while let Some(payload) = packetizer.poll_payload() {
//!     let header = RtpHeader {
//!         marker: payload.marker(),
//!         payload_type: 96,
//!         sequence_number: streamkit_core::time::SequenceNumber::new(seq),
//!         timestamp: payload.timestamp(),
//!         ..RtpHeader::default()
//!     };
//!     let mut datagram = Vec::new();
//!     header.write_header(&mut datagram)?;
//!     payload.write_to(&mut datagram)?;
//!     depacketizer.push(&RtpPacket::parse(Bytes::from(datagram))?)?;
//!     seq += 1;
//! }
//! // Three FU-A packets make one access unit again.
//! assert_eq!(seq, 4);
//! match depacketizer.poll_access_unit() {
//!     Some(Depacketized::AccessUnit(unit)) => {
//!         assert!(unit.keyframe);
//!         assert_eq!(unit.data, au);
//!     }
//!     other => panic!("{other:?}"),
//! }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use core::fmt;

use bytes::{BufMut, Bytes};
use streamkit_core::nal::{AnnexBUnits, LengthPrefixedUnits, NalLengthSize};
use streamkit_core::time::{RtpTimestamp, SequenceNumber};

use crate::error::WriteError;

pub mod aac;
mod format;
pub mod h264;
pub mod h265;
mod h26x;
pub mod latm;
pub mod opus;

/// The most NAL units one aggregation packet (STAP-A, H.265 AP) carries.
pub const MAX_AGGREGATED_UNITS: usize = 8;

static EMPTY: Bytes = Bytes::new();

/// The default limit on a depacketized access unit: 8 MiB.
pub const DEFAULT_MAX_ACCESS_UNIT: usize = 8 << 20;

/// Appends `chunks`, `len` bytes in all, to `buf`, returning `len`; refuses
/// with [`WriteError::InsufficientSize`] before writing anything when `buf`
/// cannot take them.
#[inline]
pub(crate) fn write_chunks<'c>(
    chunks: impl Iterator<Item = &'c [u8]>,
    len: usize,
    buf: &mut impl BufMut,
) -> Result<usize, WriteError> {
    if buf.remaining_mut() < len {
        return Err(WriteError::InsufficientSize { required: len });
    }
    for chunk in chunks {
        buf.put_slice(chunk);
    }
    Ok(len)
}

/// `chunks`, `len` bytes in all, copied into one new buffer.
pub(crate) fn chunks_to_bytes<'c>(chunks: impl Iterator<Item = &'c [u8]>, len: usize) -> Bytes {
    let mut v = Vec::with_capacity(len);
    for chunk in chunks {
        v.extend_from_slice(chunk);
    }
    Bytes::from(v)
}

/// One RTP payload from a packetizer: a payload header of at most three
/// bytes written inline, then one or more NAL unit slices of the input
/// (each after a two-byte size in an aggregation packet).
///
/// Nothing here is allocated: the slices share the sample's buffer. Write it
/// after an RTP header with [`write_to`](RtpPayload::write_to), or send it
/// with a vectored write over [`chunks`](RtpPayload::chunks).
#[derive(Clone)]
pub struct RtpPayload {
    timestamp: RtpTimestamp,
    marker: bool,
    header: [u8; 3],
    header_len: u8,
    aggregated: bool,
    sizes: [[u8; 2]; MAX_AGGREGATED_UNITS],
    units: [Option<Bytes>; MAX_AGGREGATED_UNITS],
    unit_count: u8,
    len: usize,
}

impl RtpPayload {
    fn new(timestamp: RtpTimestamp, header: &[u8], aggregated: bool) -> RtpPayload {
        let mut h = [0u8; 3];
        let n = header.len().min(3);
        h[..n].copy_from_slice(&header[..n]);
        RtpPayload {
            timestamp,
            marker: false,
            header: h,
            header_len: n as u8,
            aggregated,
            sizes: [[0; 2]; MAX_AGGREGATED_UNITS],
            units: [const { None }; MAX_AGGREGATED_UNITS],
            unit_count: 0,
            len: n,
        }
    }

    /// Adds a unit; the caller keeps the count within
    /// [`MAX_AGGREGATED_UNITS`] and sizes within 16 bits when aggregating.
    fn add(&mut self, unit: Bytes) {
        let i = usize::from(self.unit_count);
        if let (Some(size), Some(slot)) = (self.sizes.get_mut(i), self.units.get_mut(i)) {
            if self.aggregated {
                *size = (unit.len() as u16).to_be_bytes();
                self.len += 2;
            }
            self.len += unit.len();
            *slot = Some(unit);
            self.unit_count += 1;
        }
    }

    /// The RTP timestamp of the access unit this payload belongs to.
    #[must_use]
    #[inline]
    pub fn timestamp(&self) -> RtpTimestamp {
        self.timestamp
    }

    /// The marker bit: set on the last payload of an access unit.
    #[must_use]
    #[inline]
    pub fn marker(&self) -> bool {
        self.marker
    }

    /// The payload header written before the units: empty for a single NAL
    /// unit packet, the aggregation header (1 byte STAP-A, 2 bytes AP) or
    /// the fragmentation unit's headers (2 bytes FU-A, 3 bytes H.265 FU).
    #[must_use]
    #[inline]
    pub fn header(&self) -> &[u8] {
        &self.header[..usize::from(self.header_len)]
    }

    /// `true` for an aggregation packet (STAP-A, H.265 AP).
    #[must_use]
    #[inline]
    pub fn is_aggregation(&self) -> bool {
        self.aggregated
    }

    /// The NAL units (or, in a fragmentation unit, the fragment) carried, as
    /// slices of the input.
    pub fn units(&self) -> impl ExactSizeIterator<Item = &Bytes> + '_ {
        self.units[..usize::from(self.unit_count)]
            .iter()
            .map(|u| u.as_ref().unwrap_or(&EMPTY))
    }

    /// The payload's length in bytes.
    #[must_use]
    #[inline]
    pub fn len(&self) -> usize {
        self.len
    }

    /// `true` when the payload has no bytes (never, for a packetizer's
    /// output).
    #[must_use]
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The two-byte sizes written before each unit of an aggregation
    /// packet (none otherwise).
    #[must_use]
    pub fn aggregation_sizes(&self) -> &[[u8; 2]] {
        if self.aggregated {
            self.sizes
                .get(..usize::from(self.unit_count))
                .unwrap_or(&[])
        } else {
            &[]
        }
    }

    /// The payload as its byte chunks in order (header, then for each unit
    /// its size in an aggregation packet and its bytes), for a vectored
    /// write.
    pub fn chunks(&self) -> impl Iterator<Item = &[u8]> + '_ {
        let sizes: &[[u8; 2]] = if self.aggregated {
            &self.sizes[..usize::from(self.unit_count)]
        } else {
            &[]
        };
        core::iter::once(self.header()).chain(self.units().enumerate().flat_map(
            move |(i, unit)| {
                let size: &[u8] = sizes.get(i).map_or(&[], |s| &s[..]);
                [size, &unit[..]]
            },
        ))
    }

    /// Appends the payload to `buf`, returning the bytes written.
    ///
    /// # Errors
    ///
    /// [`WriteError::InsufficientSize`] when `buf` cannot take the payload.
    #[inline]
    pub fn write_to(&self, buf: &mut impl BufMut) -> Result<usize, WriteError> {
        write_chunks(self.chunks(), self.len, buf)
    }

    /// The payload in one new buffer (a copy: for tests and simple callers).
    #[must_use]
    pub fn to_bytes(&self) -> Bytes {
        chunks_to_bytes(self.chunks(), self.len)
    }
}

impl fmt::Debug for RtpPayload {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RtpPayload")
            .field("timestamp", &self.timestamp)
            .field("marker", &self.marker)
            .field("header", &self.header())
            .field("aggregated", &self.aggregated)
            .field(
                "unit_lens",
                &self.units().map(Bytes::len).collect::<Vec<_>>(),
            )
            .field("len", &self.len)
            .finish()
    }
}

/// One RTP payload from a packetizer, borrowed from it: the same payload as
/// [`RtpPayload`] without touching the buffers' reference counts, valid
/// until the next poll. The fastest way to write payloads out at once.
#[derive(Clone, Copy)]
pub struct RtpPayloadRef<'a> {
    descriptor: h26x::Descriptor,
    packetizer: &'a h26x::Packetizer,
}

impl<'a> RtpPayloadRef<'a> {
    pub(crate) fn new(
        descriptor: h26x::Descriptor,
        packetizer: &'a h26x::Packetizer,
    ) -> RtpPayloadRef<'a> {
        RtpPayloadRef {
            descriptor,
            packetizer,
        }
    }

    /// The RTP timestamp of the access unit this payload belongs to.
    #[must_use]
    #[inline]
    pub fn timestamp(&self) -> RtpTimestamp {
        self.descriptor.timestamp
    }

    /// The marker bit: set on the last payload of an access unit.
    #[must_use]
    #[inline]
    pub fn marker(&self) -> bool {
        self.descriptor.marker
    }

    /// The payload header, as [`RtpPayload::header`].
    #[must_use]
    #[inline]
    pub fn header(&self) -> &[u8] {
        let n = usize::from(self.descriptor.header_len);
        self.descriptor.header.get(..n).unwrap_or_default()
    }

    /// `true` for an aggregation packet (STAP-A, H.265 AP).
    #[must_use]
    #[inline]
    pub fn is_aggregation(&self) -> bool {
        self.descriptor.aggregated
    }

    /// The payload's length in bytes.
    #[must_use]
    #[inline]
    pub fn len(&self) -> usize {
        self.descriptor.len
    }

    /// `true` when the payload has no bytes (never, for a packetizer's
    /// output).
    #[must_use]
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.descriptor.len == 0
    }

    /// The NAL units (or the fragment) carried.
    pub fn units(&self) -> impl ExactSizeIterator<Item = &'a [u8]> + '_ {
        let p = self.packetizer;
        self.descriptor.units(p).map(move |u| p.resolve(u))
    }

    /// The payload as its byte chunks in order, as [`RtpPayload::chunks`].
    pub fn chunks(&self) -> impl Iterator<Item = &[u8]> + '_ {
        let sizes: &[[u8; 2]] = if self.descriptor.aggregated {
            self.descriptor
                .sizes
                .get(..usize::from(self.descriptor.count))
                .unwrap_or_default()
        } else {
            &[]
        };
        core::iter::once(self.header()).chain(self.units().enumerate().flat_map(
            move |(i, unit)| {
                let size: &[u8] = sizes.get(i).map_or(&[], |s| &s[..]);
                [size, unit]
            },
        ))
    }

    /// Appends the payload to `buf`, returning the bytes written.
    ///
    /// # Errors
    ///
    /// [`WriteError::InsufficientSize`] when `buf` cannot take the payload.
    #[inline]
    pub fn write_to(&self, buf: &mut impl BufMut) -> Result<usize, WriteError> {
        let len = self.descriptor.len;
        if buf.remaining_mut() < len {
            return Err(WriteError::InsufficientSize { required: len });
        }
        buf.put_slice(self.header());
        let sizes = &self.descriptor.sizes;
        for (i, u) in self.descriptor.units(self.packetizer).enumerate() {
            if self.descriptor.aggregated
                && let Some(size) = sizes.get(i)
            {
                buf.put_slice(size);
            }
            buf.put_slice(self.packetizer.resolve(u));
        }
        Ok(len)
    }

    /// The same payload holding `Bytes` slices (reference counts taken), to
    /// keep past the next poll.
    #[must_use]
    pub fn to_payload(&self) -> RtpPayload {
        self.packetizer.payload_of(&self.descriptor)
    }
}

impl fmt::Debug for RtpPayloadRef<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RtpPayloadRef")
            .field("timestamp", &self.descriptor.timestamp)
            .field("marker", &self.descriptor.marker)
            .field("header", &self.header())
            .field("aggregated", &self.descriptor.aggregated)
            .field("len", &self.descriptor.len)
            .finish()
    }
}

pub use crate::error::PayloadError;
pub use format::{
    DepacketizedUnit, Depacketizer, Packetizer, PacketizerConfig, Payload, PayloadPart,
    mp4_nal_form, rtp_clock_rate,
};

/// The form of a depacketized access unit's bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum NalForm {
    /// Each NAL unit after a 4-byte start code `00 00 00 01`.
    AnnexB,
    /// Each NAL unit after its length (as in MP4 samples).
    LengthPrefixed(NalLengthSize),
}

/// One access unit put back together from RTP packets.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct AccessUnit {
    /// The RTP timestamp of its packets.
    pub timestamp: RtpTimestamp,
    /// `true` when it holds an IDR slice (H.264) or an IRAP picture (H.265).
    pub keyframe: bool,
    /// The NAL units in [`form`](AccessUnit::form).
    pub data: Bytes,
    /// The form of `data`.
    pub form: NalForm,
    /// The sequence number of its first packet.
    pub first_sequence_number: SequenceNumber,
    /// The sequence number of its last packet.
    pub last_sequence_number: SequenceNumber,
}

impl AccessUnit {
    /// The NAL units, as slices of [`data`](AccessUnit::data) without their
    /// start codes or length prefixes.
    pub fn nal_units(&self) -> impl Iterator<Item = Bytes> + '_ {
        let (annex_b, prefixed) = match self.form {
            NalForm::AnnexB => (Some(AnnexBUnits::new(self.data.clone())), None),
            NalForm::LengthPrefixed(size) => (
                None,
                Some(LengthPrefixedUnits::new(self.data.clone(), size).map_while(Result::ok)),
            ),
        };
        annex_b
            .into_iter()
            .flatten()
            .chain(prefixed.into_iter().flatten())
    }
}

impl fmt::Debug for AccessUnit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AccessUnit")
            .field("timestamp", &self.timestamp)
            .field("keyframe", &self.keyframe)
            .field("len", &self.data.len())
            .field("form", &self.form)
            .field("first_sequence_number", &self.first_sequence_number)
            .field("last_sequence_number", &self.last_sequence_number)
            .finish()
    }
}

/// Data lost before or within access units: a sequence-number gap, or a
/// fragmented NAL unit whose end never came.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct Loss {
    /// Packets missing by sequence number (0 when the loss was seen inside
    /// the packets, e.g. a fragment start after an unfinished fragment).
    pub lost_packets: u16,
    /// The first sequence number after the gap (the packet that showed it).
    pub sequence_number: SequenceNumber,
    /// Access units with data received that were dropped because of it.
    pub dropped_access_units: u32,
    /// `true` when the receiver should ask for a keyframe (RTCP PLI): the
    /// first loss since the last keyframe was delivered. Later losses before
    /// that keyframe say `false`, as the request is already due.
    pub keyframe_request: bool,
}

/// What the H.264 and H.265 depacketizers' `poll_access_unit` gives.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Depacketized {
    /// A whole access unit.
    AccessUnit(AccessUnit),
    /// Packets or NAL units were lost; the access units they touched were
    /// dropped whole.
    Loss(Loss),
    /// The stream's parameter sets changed (or were seen for the first
    /// time): the NAL units of the sets now in force, one per type in
    /// type order (H.264 SPS, PPS; H.265 VPS, SPS, PPS). Sent before the
    /// access unit that carried them.
    ParameterSets(Vec<Bytes>),
}
