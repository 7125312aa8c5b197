//! AAC over RTP: RFC 3640 `mpeg4-generic` in `AAC-hbr` mode.
//!
//! Each RTP payload starts with the AU-headers-length (16 bits, counting
//! bits), then one AU header per access unit (an AAC raw frame), then the
//! frames themselves. In AAC-hbr an AU header is a 13-bit AU-size and a
//! 3-bit AU-Index (AU-Index-delta after the first), both zero for frames in
//! order.
//!
//! - [`AacPacketizer`] puts consecutive frames in one packet while they fit
//!   the MTU (up to a configured count, [`MAX_FRAMES_PER_PACKET`] at most),
//!   and splits a frame larger than the MTU over several packets, one
//!   fragment each, every fragment's AU-size being the whole frame's and the
//!   marker bit set on the last one only. Frames travel as [`Bytes`] slices
//!   of the input; only the AU headers are written, inline in the
//!   [`AacPayload`], so nothing is allocated per packet.
//! - [`AacDepacketizer`] takes packets in sequence order and gives the
//!   frames back as slices of the packets, reassembles fragmented frames
//!   (one copy, forced by the format), and reports lost packets and the
//!   frames they broke ([`AacLoss`]): a frame missing any fragment is
//!   dropped, never delivered in part. It reads any AU header layout
//!   without interleaving ([`AuHeaderLayout`], from the SDP `fmtp`).
//!
//! The RTP clock is the AAC sampling frequency. A packet's timestamp is its
//! first frame's; the frames after it follow at one frame duration each
//! (1024 samples, or 960 with the frameLengthFlag).
//!
//! ```
//! use bytes::Bytes;
//! use streamkit_core::time::{RtpTimestamp, SequenceNumber};
//! use streamkit_rtp::packet::{RtpHeader, RtpPacket};
//! use streamkit_rtp::payload::aac::{AacDepacketized, AacDepacketizer, AacPacketizer, AuHeaderLayout};
//!
//! let frames: Vec<Bytes> = (0..3u8).map(|i| Bytes::from(vec![i; 300])).collect();
//! // Up to 4 frames per packet, payloads of at most 700 bytes: two packets.
//! let mut packetizer = AacPacketizer::new(700, 1024)?.with_frames_per_packet(4)?;
//! let mut depacketizer = AacDepacketizer::new(AuHeaderLayout::AAC_HBR, 1024);
//! let mut received = Vec::new();
//! let mut seq = SequenceNumber::new(100);
//! let mut send = |payload: streamkit_rtp::payload::aac::AacPayload,
//!                 depacketizer: &mut AacDepacketizer| -> Result<(), Box<dyn std::error::Error>> {
//!     let header = RtpHeader {
//!         marker: payload.marker(),
//!         payload_type: 97,
//!         sequence_number: seq,
//!         timestamp: payload.timestamp(),
//!         ..RtpHeader::default()
//!     };
//!     seq = seq.next();
//!     let mut datagram = Vec::new();
//!     header.write_header(&mut datagram)?;
//!     payload.write_to(&mut datagram)?;
//!     depacketizer.push(&RtpPacket::parse(Bytes::from(datagram))?)?;
//!     Ok(())
//! };
//! for (i, frame) in frames.iter().enumerate() {
//!     packetizer.push(RtpTimestamp::new(1024 * i as u32), frame.clone())?;
//!     while let Some(payload) = packetizer.poll_payload() {
//!         send(payload, &mut depacketizer)?;
//!         while let Some(AacDepacketized::Frame(f)) = depacketizer.poll_frame() {
//!             received.push(f);
//!         }
//!     }
//! }
//! packetizer.finish()?;
//! while let Some(payload) = packetizer.poll_payload() {
//!     send(payload, &mut depacketizer)?;
//!     while let Some(AacDepacketized::Frame(f)) = depacketizer.poll_frame() {
//!         received.push(f);
//!     }
//! }
//! assert_eq!(received.len(), 3);
//! assert_eq!(received[2].timestamp, RtpTimestamp::new(2048));
//! assert!(received.iter().zip(&frames).all(|(r, f)| r.data == *f));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use core::fmt;

use bytes::{BufMut, Bytes, BytesMut};
use streamkit_core::time::{RtpTimestamp, SequenceNumber};

use crate::error::PayloadError;
use crate::error::WriteError;
use crate::packet::RtpPacket;
use crate::sdp::Fmtp;

/// The most frames one packet from [`AacPacketizer`] carries.
pub const MAX_FRAMES_PER_PACKET: usize = 16;

/// The largest frame AAC-hbr describes: a 13-bit AU-size.
pub const MAX_AAC_HBR_FRAME: usize = (1 << 13) - 1;

/// The smallest MTU (payload budget) [`AacPacketizer`] takes: the
/// AU-headers-length, one AU header and one byte of frame data.
pub const MIN_MTU: usize = 5;

/// One RTP payload from [`AacPacketizer`]: the AU-headers-length and AU
/// headers written inline, then the frames (or the fragment of one) as
/// slices of the input.
#[derive(Clone)]
pub struct AacPayload {
    timestamp: RtpTimestamp,
    marker: bool,
    fragment: bool,
    header: [u8; 2 + 2 * MAX_FRAMES_PER_PACKET],
    frames: [Bytes; MAX_FRAMES_PER_PACKET],
    frame_count: u8,
    len: usize,
}

impl AacPayload {
    fn new(timestamp: RtpTimestamp) -> AacPayload {
        AacPayload {
            timestamp,
            marker: true,
            fragment: false,
            header: [0; 2 + 2 * MAX_FRAMES_PER_PACKET],
            frames: [const { Bytes::new() }; MAX_FRAMES_PER_PACKET],
            frame_count: 0,
            len: 2,
        }
    }

    /// Adds an AU header for `au_size` and the bytes `data` (the whole
    /// frame, or a fragment of it). The caller keeps the count within
    /// [`MAX_FRAMES_PER_PACKET`] and `au_size` within 13 bits.
    fn add(&mut self, au_size: usize, data: Bytes) {
        let i = usize::from(self.frame_count);
        let header_at = 2 + 2 * i;
        if let (Some(slot), Some(h)) = (
            self.frames.get_mut(i),
            self.header.get_mut(header_at..header_at + 2),
        ) {
            // 13-bit AU-size, 3-bit AU-Index / AU-Index-delta of 0.
            h.copy_from_slice(&((au_size as u16) << 3).to_be_bytes());
            self.len += 2 + data.len();
            *slot = data;
            self.frame_count += 1;
            let bits = 16 * u16::from(self.frame_count);
            if let Some(l) = self.header.get_mut(..2) {
                l.copy_from_slice(&bits.to_be_bytes());
            }
        }
    }

    /// The RTP timestamp: the first frame's.
    #[must_use]
    pub fn timestamp(&self) -> RtpTimestamp {
        self.timestamp
    }

    /// The marker bit: set when the payload holds whole frames or the last
    /// fragment of one (RFC 3640 section 3.2.1).
    #[must_use]
    pub fn marker(&self) -> bool {
        self.marker
    }

    /// `true` when the payload carries a fragment of a frame larger than
    /// the MTU.
    #[must_use]
    pub fn is_fragment(&self) -> bool {
        self.fragment
    }

    /// The AU-headers-length and the AU headers.
    #[must_use]
    pub fn header(&self) -> &[u8] {
        let n = 2 + 2 * usize::from(self.frame_count);
        self.header.get(..n).unwrap_or(&self.header)
    }

    /// The frames (or the one fragment) carried, as slices of the input.
    #[must_use]
    pub fn frames(&self) -> &[Bytes] {
        self.frames
            .get(..usize::from(self.frame_count))
            .unwrap_or(&[])
    }

    /// The payload's length in bytes.
    #[must_use]
    pub fn len(&self) -> usize {
        self.len
    }

    /// `true` when the payload has no bytes (never, for a packetizer's
    /// output).
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The payload as its byte chunks in order (the headers, then each
    /// frame), for a vectored write.
    pub fn chunks(&self) -> impl Iterator<Item = &[u8]> + '_ {
        core::iter::once(self.header()).chain(self.frames().iter().map(|f| &f[..]))
    }

    /// Appends the payload to `buf`, returning the bytes written.
    ///
    /// # Errors
    ///
    /// [`WriteError::InsufficientSize`] when `buf` cannot take the payload.
    pub fn write_to(&self, buf: &mut impl BufMut) -> Result<usize, WriteError> {
        super::write_chunks(self.chunks(), self.len, buf)
    }

    /// The payload in one new buffer (a copy: for tests and simple callers).
    #[must_use]
    pub fn to_bytes(&self) -> Bytes {
        super::chunks_to_bytes(self.chunks(), self.len)
    }
}

impl fmt::Debug for AacPayload {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AacPayload")
            .field("timestamp", &self.timestamp)
            .field("marker", &self.marker)
            .field("fragment", &self.fragment)
            .field(
                "frame_lens",
                &self.frames().iter().map(Bytes::len).collect::<Vec<_>>(),
            )
            .field("len", &self.len)
            .finish()
    }
}

/// A frame being cut into fragments.
#[derive(Debug, Clone)]
struct Fragmenting {
    timestamp: RtpTimestamp,
    frame: Bytes,
    offset: usize,
}

/// AAC frames into RFC 3640 AAC-hbr payloads; see the [module docs](self).
///
/// Push one frame with [`push`](AacPacketizer::push), then take payloads
/// with [`poll_payload`](AacPacketizer::poll_payload) until `None`. Frames
/// wait in the packet being filled until it holds the configured number of
/// frames, the next frame does not fit or does not follow in time (its
/// timestamp is not the previous one's plus the frame duration), or
/// [`flush`](AacPacketizer::flush) is called (at the end of the stream, or
/// whenever the caller wants no frame held back).
#[derive(Debug, Clone)]
pub struct AacPacketizer {
    mtu: usize,
    frames_per_packet: usize,
    frame_duration: u32,
    ready: Option<AacPayload>,
    fragmenting: Option<Fragmenting>,
    filling: Option<AacPayload>,
    filling_full: bool,
    next_timestamp: RtpTimestamp,
}

impl AacPacketizer {
    /// A packetizer writing payloads of at most `mtu` bytes, for frames of
    /// `frame_duration` RTP ticks (1024, or 960 with the frameLengthFlag:
    /// [`AacConfig::frame_length`](streamkit_core::codec::aac::AacConfig::frame_length)),
    /// one frame per packet.
    ///
    /// # Errors
    ///
    /// [`PayloadError::MtuTooSmall`] below [`MIN_MTU`].
    pub fn new(mtu: usize, frame_duration: u32) -> Result<AacPacketizer, PayloadError> {
        if mtu < MIN_MTU {
            return Err(PayloadError::MtuTooSmall { mtu, min: MIN_MTU });
        }
        Ok(AacPacketizer {
            mtu,
            frames_per_packet: 1,
            frame_duration,
            ready: None,
            fragmenting: None,
            filling: None,
            filling_full: false,
            next_timestamp: RtpTimestamp::new(0),
        })
    }

    /// Puts up to `frames` consecutive frames in one packet (when they fit
    /// the MTU). More frames per packet cost fewer packets and add latency:
    /// a frame may wait for `frames - 1` more.
    ///
    /// # Errors
    ///
    /// [`PayloadError::FramesPerPacket`] outside
    /// `1..=`[`MAX_FRAMES_PER_PACKET`].
    pub fn with_frames_per_packet(mut self, frames: usize) -> Result<AacPacketizer, PayloadError> {
        if !(1..=MAX_FRAMES_PER_PACKET).contains(&frames) {
            return Err(PayloadError::FramesPerPacket {
                frames,
                max: MAX_FRAMES_PER_PACKET,
            });
        }
        self.frames_per_packet = frames;
        Ok(self)
    }

    /// The payload budget.
    #[must_use]
    pub fn mtu(&self) -> usize {
        self.mtu
    }

    /// The most frames per packet.
    #[must_use]
    pub fn frames_per_packet(&self) -> usize {
        self.frames_per_packet
    }

    /// Takes one frame (an AAC raw data block, as in an MP4 sample) with
    /// its RTP timestamp.
    ///
    /// # Errors
    ///
    /// [`PayloadError::Pending`] when payloads are still to be polled,
    /// [`PayloadError::EmptyFrame`] and
    /// [`PayloadError::FrameTooLarge`] for frames AAC-hbr cannot
    /// carry. A refused frame leaves the packetizer as it was.
    pub fn push(&mut self, timestamp: RtpTimestamp, frame: Bytes) -> Result<(), PayloadError> {
        if self.ready.is_some() || self.fragmenting.is_some() || self.filling_full {
            return Err(PayloadError::Pending {
                pending: self.pending(),
            });
        }
        if frame.is_empty() {
            return Err(PayloadError::EmptyFrame {
                timestamp: timestamp.0,
            });
        }
        if frame.len() > MAX_AAC_HBR_FRAME {
            return Err(PayloadError::FrameTooLarge {
                len: frame.len(),
                max: MAX_AAC_HBR_FRAME,
                timestamp: timestamp.0,
            });
        }
        if let Some(filling) = &self.filling
            && (timestamp != self.next_timestamp || filling.len + 2 + frame.len() > self.mtu)
        {
            self.ready = self.filling.take();
        }
        self.next_timestamp = RtpTimestamp::new(timestamp.0.wrapping_add(self.frame_duration));
        if 4 + frame.len() > self.mtu {
            self.fragmenting = Some(Fragmenting {
                timestamp,
                frame,
                offset: 0,
            });
            return Ok(());
        }
        let filling = self
            .filling
            .get_or_insert_with(|| AacPayload::new(timestamp));
        filling.add(frame.len(), frame);
        self.filling_full = usize::from(filling.frame_count) >= self.frames_per_packet
            || filling.len + 3 > self.mtu;
        Ok(())
    }

    /// Releases the packet being filled, so the next
    /// [`poll_payload`](AacPacketizer::poll_payload) gives it.
    pub fn flush(&mut self) {
        if self.filling.is_some() {
            self.filling_full = true;
        }
    }

    /// No more frames come: releases the packet being filled, as
    /// [`flush`](AacPacketizer::flush) does, so polling gives every
    /// payload. A second call does nothing; frames pushed afterwards start
    /// new packets.
    ///
    /// # Errors
    ///
    /// None; the `Result` is the contract every producer shares.
    pub fn finish(&mut self) -> Result<(), PayloadError> {
        self.flush();
        Ok(())
    }

    /// Bytes of frames pushed and not yet handed out in payloads.
    fn pending(&self) -> usize {
        let ready = self.ready.as_ref().map_or(0, |p| p.len);
        let fragment = self
            .fragmenting
            .as_ref()
            .map_or(0, |f| f.frame.len() - f.offset);
        let filling = self.filling.as_ref().map_or(0, |p| p.len);
        ready + fragment + filling
    }

    /// The next payload, or `None` when every complete one was given.
    #[must_use]
    pub fn poll_payload(&mut self) -> Option<AacPayload> {
        if let Some(ready) = self.ready.take() {
            return Some(ready);
        }
        if let Some(frag) = &mut self.fragmenting {
            let room = self.mtu - 4;
            let end = frag.frame.len().min(frag.offset + room);
            let mut payload = AacPayload::new(frag.timestamp);
            payload.fragment = true;
            payload.add(frag.frame.len(), frag.frame.slice(frag.offset..end));
            payload.marker = end == frag.frame.len();
            frag.offset = end;
            if payload.marker {
                self.fragmenting = None;
            }
            return Some(payload);
        }
        if self.filling_full {
            self.filling_full = false;
            return self.filling.take();
        }
        None
    }
}

/// The layout of RFC 3640 AU headers, from the SDP `fmtp` parameters
/// `sizelength`, `indexlength` and `indexdeltalength`.
///
/// [`AacDepacketizer`] reads any layout with those three fields; the
/// optional fields (CTS and DTS deltas, random access and stream state
/// flags, auxiliary data) are refused by [`from_fmtp`](AuHeaderLayout::from_fmtp),
/// as AAC does not use them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct AuHeaderLayout {
    size_length: u8,
    index_length: u8,
    index_delta_length: u8,
}

impl AuHeaderLayout {
    /// AAC-hbr: 13-bit AU-size, 3-bit AU-Index and AU-Index-delta.
    pub const AAC_HBR: AuHeaderLayout = AuHeaderLayout {
        size_length: 13,
        index_length: 3,
        index_delta_length: 3,
    };

    /// AAC-lbr: 6-bit AU-size, 2-bit AU-Index and AU-Index-delta.
    pub const AAC_LBR: AuHeaderLayout = AuHeaderLayout {
        size_length: 6,
        index_length: 2,
        index_delta_length: 2,
    };

    /// A layout of the given field widths in bits.
    ///
    /// # Errors
    ///
    /// [`PayloadError::Parameter`] when `size_length` is not 1 to 16
    /// or an index width is above 8.
    pub fn new(
        size_length: u8,
        index_length: u8,
        index_delta_length: u8,
    ) -> Result<AuHeaderLayout, PayloadError> {
        if !(1..=16).contains(&size_length) {
            return Err(PayloadError::FmtpParameter {
                name: "sizelength",
                what: "must be 1 to 16",
            });
        }
        if index_length > 8 {
            return Err(PayloadError::FmtpParameter {
                name: "indexlength",
                what: "must be at most 8",
            });
        }
        if index_delta_length > 8 {
            return Err(PayloadError::FmtpParameter {
                name: "indexdeltalength",
                what: "must be at most 8",
            });
        }
        Ok(AuHeaderLayout {
            size_length,
            index_length,
            index_delta_length,
        })
    }

    /// The layout an `fmtp` line describes (`sizelength`, `indexlength`,
    /// `indexdeltalength`, names without regard to case).
    ///
    /// ```
    /// use streamkit_rtp::payload::aac::AuHeaderLayout;
    /// use streamkit_rtp::sdp::Fmtp;
    ///
    /// let fmtp = Fmtp::parse("97 streamtype=5; profile-level-id=1; mode=AAC-hbr; \
    ///     sizelength=13; indexlength=3; indexdeltalength=3; config=1210")?;
    /// assert_eq!(AuHeaderLayout::from_fmtp(&fmtp)?, AuHeaderLayout::AAC_HBR);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    ///
    /// [`PayloadError::Parameter`] when `sizelength` is missing or a
    /// value is not a number in range; [`PayloadError::Unsupported`]
    /// for a non-zero `ctsdeltalength`, `dtsdeltalength`,
    /// `randomaccessindication`, `streamstateindication`,
    /// `auxiliarydatasizelength` or a `constantsize`.
    pub fn from_fmtp(fmtp: &Fmtp) -> Result<AuHeaderLayout, PayloadError> {
        let mut size = None;
        let mut index = 0u8;
        let mut delta = 0u8;
        for (key, value) in fmtp.params() {
            let number = |name: &'static str| {
                value
                    .trim()
                    .parse::<u8>()
                    .map_err(|_| PayloadError::FmtpParameter {
                        name,
                        what: "not a number from 0 to 255",
                    })
            };
            let key = key.trim().to_ascii_lowercase();
            match key.as_str() {
                "sizelength" => size = Some(number("sizelength")?),
                "indexlength" => index = number("indexlength")?,
                "indexdeltalength" => delta = number("indexdeltalength")?,
                "constantsize" => {
                    return Err(PayloadError::UnsupportedFmtpParameter {
                        name: "constantsize",
                    });
                }
                "ctsdeltalength"
                | "dtsdeltalength"
                | "randomaccessindication"
                | "streamstateindication"
                | "auxiliarydatasizelength" => {
                    let name = match key.as_str() {
                        "ctsdeltalength" => "ctsdeltalength",
                        "dtsdeltalength" => "dtsdeltalength",
                        "randomaccessindication" => "randomaccessindication",
                        "streamstateindication" => "streamstateindication",
                        _ => "auxiliarydatasizelength",
                    };
                    if number(name)? != 0 {
                        return Err(PayloadError::UnsupportedFmtpParameter { name });
                    }
                }
                _ => {}
            }
        }
        let size = size.ok_or(PayloadError::FmtpParameter {
            name: "sizelength",
            what: "missing",
        })?;
        AuHeaderLayout::new(size, index, delta)
    }

    /// The AU-size width in bits.
    #[must_use]
    pub fn size_length(&self) -> u8 {
        self.size_length
    }

    /// The AU-Index width in bits (first AU header).
    #[must_use]
    pub fn index_length(&self) -> u8 {
        self.index_length
    }

    /// The AU-Index-delta width in bits (later AU headers).
    #[must_use]
    pub fn index_delta_length(&self) -> u8 {
        self.index_delta_length
    }

    /// The largest frame the AU-size field describes.
    #[must_use]
    pub fn max_frame_size(&self) -> usize {
        (1usize << self.size_length) - 1
    }

    fn first_bits(&self) -> usize {
        usize::from(self.size_length) + usize::from(self.index_length)
    }

    fn later_bits(&self) -> usize {
        usize::from(self.size_length) + usize::from(self.index_delta_length)
    }
}

/// Reads `width` (at most 16) bits at bit `pos` of `data`, most significant
/// first; `None` past the end.
fn read_bits(data: &[u8], pos: usize, width: u8) -> Option<u32> {
    let mut value = 0u32;
    for bit in pos..pos + usize::from(width) {
        let byte = *data.get(bit / 8)?;
        value = value << 1 | u32::from(byte >> (7 - bit % 8) & 1);
    }
    Some(value)
}

/// One AAC frame put back together from RTP packets.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct AacFrame {
    /// The frame's RTP timestamp (the packet's plus its place times the
    /// frame duration).
    pub timestamp: RtpTimestamp,
    /// The raw AAC frame: a slice of the packet, or the fragments joined.
    pub data: Bytes,
    /// The sequence number of the (last) packet that carried it.
    pub sequence_number: SequenceNumber,
}

impl fmt::Debug for AacFrame {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AacFrame")
            .field("timestamp", &self.timestamp)
            .field("len", &self.data.len())
            .field("sequence_number", &self.sequence_number)
            .finish()
    }
}

/// Packets lost before a packet, or a fragmented frame dropped because a
/// fragment was missing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct AacLoss {
    /// Packets missing by sequence number (0 when the loss was seen inside
    /// the packets: a fragmented frame that ended short, or whose first
    /// fragment was missing).
    pub lost_packets: u16,
    /// The packet that showed the loss.
    pub sequence_number: SequenceNumber,
    /// Frames with fragments received that were dropped because of it.
    pub dropped_frames: u32,
}

/// What [`AacDepacketizer::poll_frame`] gives.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum AacDepacketized {
    /// A whole frame.
    Frame(AacFrame),
    /// Packets or fragments were lost.
    Loss(AacLoss),
}

/// A frame being reassembled from fragments.
#[derive(Debug, Clone)]
struct Reassembly {
    timestamp: RtpTimestamp,
    size: usize,
    data: BytesMut,
}

/// The whole frames of the last packet still to be polled.
#[derive(Debug, Clone)]
struct PacketFrames {
    payload: Bytes,
    /// Bit position of the next AU header, from the start of the headers
    /// (after the AU-headers-length).
    header_bit: usize,
    /// Byte offset of the next frame in `payload`.
    data_offset: usize,
    remaining: usize,
    timestamp: RtpTimestamp,
    sequence_number: SequenceNumber,
}

/// RFC 3640 payloads back into AAC frames; see the [module docs](self).
///
/// Push each packet in sequence order (from the jitter buffer) with
/// [`push`](AacDepacketizer::push), then [`poll_frame`](AacDepacketizer::poll_frame)
/// until `None` before the next push. A gap in the sequence numbers is
/// reported as an [`AacLoss`] (and drops a frame being reassembled); a
/// fragmented frame is delivered only when all its bytes arrived.
#[derive(Debug, Clone)]
pub struct AacDepacketizer {
    layout: AuHeaderLayout,
    frame_duration: u32,
    last_sequence_number: Option<SequenceNumber>,
    loss: Option<AacLoss>,
    reassembled: Option<AacFrame>,
    reassembly: Option<Reassembly>,
    /// The timestamp and AU-size of a fragmented frame dropped at a gap:
    /// its later fragments are passed over without a second report.
    discard: Option<(RtpTimestamp, usize)>,
    frames: Option<PacketFrames>,
}

impl AacDepacketizer {
    /// A depacketizer for AU headers of `layout`, frames of
    /// `frame_duration` RTP ticks (1024 or 960).
    #[must_use]
    pub fn new(layout: AuHeaderLayout, frame_duration: u32) -> AacDepacketizer {
        AacDepacketizer {
            layout,
            frame_duration,
            last_sequence_number: None,
            loss: None,
            reassembled: None,
            reassembly: None,
            discard: None,
            frames: None,
        }
    }

    /// The AU header layout.
    #[must_use]
    pub fn layout(&self) -> AuHeaderLayout {
        self.layout
    }

    /// The stream ended: a fragmented frame still missing fragments is
    /// dropped and reported as a loss at the next
    /// [`poll_frame`](AacDepacketizer::poll_frame). A second call does
    /// nothing.
    ///
    /// # Errors
    ///
    /// None; the `Result` is the contract every producer shares.
    pub fn finish(&mut self) -> Result<(), PayloadError> {
        if let Some(seq) = self.last_sequence_number {
            self.drop_reassembly(seq);
        }
        self.discard = None;
        Ok(())
    }

    /// Checks the depacketizer's internal invariants (for fuzzing and
    /// tests); panics when one is broken.
    #[doc(hidden)]
    pub fn check_invariants(&self) {
        if let Some(r) = &self.reassembly {
            assert!(r.data.len() < r.size, "a reassembled frame was kept whole");
            assert!(
                r.size <= self.layout.max_frame_size(),
                "AU-size above the layout's"
            );
        }
        if let Some(f) = &self.frames {
            assert!(f.remaining > 0, "an empty frame list is kept");
            assert!(
                f.data_offset <= f.payload.len(),
                "frame offset past the payload"
            );
        }
    }

    fn add_loss(&mut self, lost_packets: u16, sequence_number: SequenceNumber, dropped: u32) {
        let loss = self.loss.get_or_insert(AacLoss {
            lost_packets: 0,
            sequence_number,
            dropped_frames: 0,
        });
        loss.lost_packets = loss.lost_packets.saturating_add(lost_packets);
        loss.dropped_frames = loss.dropped_frames.saturating_add(dropped);
        loss.sequence_number = sequence_number;
    }

    fn drop_reassembly(&mut self, sequence_number: SequenceNumber) {
        if self.reassembly.take().is_some() {
            self.add_loss(0, sequence_number, 1);
        }
    }

    /// Takes the next packet.
    ///
    /// # Errors
    ///
    /// [`PayloadError::OutputPending`] (the packet is not taken) when
    /// output is still to be polled; [`PayloadError::OutOfOrder`]
    /// (ignored) for a packet not after the last; for a malformed or
    /// interleaved payload the packet is dropped, along with a frame being
    /// reassembled (reported as a loss to poll).
    pub fn push(&mut self, packet: &RtpPacket) -> Result<(), PayloadError> {
        if self.loss.is_some() || self.reassembled.is_some() || self.frames.is_some() {
            return Err(PayloadError::OutputPending);
        }
        let seq = packet.sequence_number();
        if let Some(last) = self.last_sequence_number {
            let ahead = seq.0.wrapping_sub(last.0);
            if ahead == 0 || ahead >= 0x8000 {
                return Err(PayloadError::OutOfOrder {
                    sequence_number: seq.0,
                    last: last.0,
                });
            }
            if ahead > 1 {
                let dropped = self.reassembly.take();
                if let Some(r) = &dropped {
                    self.discard = Some((r.timestamp, r.size));
                }
                self.add_loss(ahead - 1, seq, u32::from(dropped.is_some()));
            }
        }
        self.last_sequence_number = Some(seq);
        let result = self.take_payload(packet, seq);
        if result.is_err() {
            self.drop_reassembly(seq);
        }
        result
    }

    fn take_payload(
        &mut self,
        packet: &RtpPacket,
        seq: SequenceNumber,
    ) -> Result<(), PayloadError> {
        let malformed = |what, offset| PayloadError::Malformed {
            what,
            sequence_number: Some(seq.0),
            offset,
        };
        let payload = packet.payload();
        let Some(&[hi, lo]) = payload.first_chunk::<2>() else {
            return Err(malformed("shorter than the AU-headers-length", 0));
        };
        let header_bits = usize::from(u16::from_be_bytes([hi, lo]));
        let headers = payload.get(2..).unwrap_or(&[]);
        let data_start = 2 + header_bits.div_ceil(8);
        if data_start > payload.len() {
            return Err(malformed("AU headers run past the end of the payload", 0));
        }
        let layout = self.layout;
        let (first, later) = (layout.first_bits(), layout.later_bits());
        if header_bits < first || (later == 0 && header_bits != first) {
            return Err(malformed(
                "AU-headers-length does not fit the AU header layout",
                0,
            ));
        }
        if later > 0 && (header_bits - first) % later != 0 {
            return Err(malformed(
                "AU-headers-length does not fit the AU header layout",
                0,
            ));
        }
        let count = 1 + (header_bits - first).checked_div(later).unwrap_or(0);
        // Check every header: indexes 0, sizes adding up to the data.
        let mut pos = 0;
        let mut total = 0usize;
        let mut first_size = 0usize;
        for i in 0..count {
            let size = read_bits(headers, pos, layout.size_length)
                .ok_or(malformed("AU headers run past the end of the payload", 2))?;
            let index_width = if i == 0 {
                layout.index_length
            } else {
                layout.index_delta_length
            };
            let index = read_bits(headers, pos + usize::from(layout.size_length), index_width)
                .ok_or(malformed("AU headers run past the end of the payload", 2))?;
            if index != 0 {
                return Err(PayloadError::Interleaved {
                    index,
                    sequence_number: seq.0,
                });
            }
            if size == 0 {
                return Err(malformed("AU-size of 0", 2 + pos / 8));
            }
            if i == 0 {
                first_size = size as usize;
            }
            total += size as usize;
            pos += usize::from(layout.size_length) + usize::from(index_width);
        }
        let data_len = payload.len() - data_start;
        let timestamp = packet.timestamp();

        if count == 1 && (first_size > data_len || self.reassembly.is_some()) {
            return self.take_fragment(packet, seq, first_size, data_start);
        }
        // Whole frames: a frame being reassembled never got its end.
        self.discard = None;
        self.drop_reassembly(seq);
        if total != data_len {
            return Err(malformed(
                "AU sizes do not add up to the data after the AU headers",
                data_start,
            ));
        }
        self.frames = Some(PacketFrames {
            payload,
            header_bit: 0,
            data_offset: data_start,
            remaining: count,
            timestamp,
            sequence_number: seq,
        });
        Ok(())
    }

    fn take_fragment(
        &mut self,
        packet: &RtpPacket,
        seq: SequenceNumber,
        size: usize,
        data_start: usize,
    ) -> Result<(), PayloadError> {
        let payload = packet.payload_bytes();
        let data = payload.get(data_start..).unwrap_or(&[]);
        let timestamp = packet.timestamp();
        if self.discard.take() == Some((timestamp, size)) && size > data.len() {
            // The rest of a frame already dropped and reported at the gap.
            self.discard = Some((timestamp, size));
            return Ok(());
        }
        if let Some(r) = &self.reassembly
            && (r.timestamp != timestamp || r.size != size)
        {
            // A new frame starts: the one in progress never ended.
            self.drop_reassembly(seq);
        }
        if self.reassembly.is_none() && size <= data.len() {
            // After a dropped reassembly, a whole frame in one packet.
            if size != data.len() {
                return Err(PayloadError::Malformed {
                    what: "AU sizes do not add up to the data after the AU headers",
                    sequence_number: Some(seq.0),
                    offset: data_start,
                });
            }
            self.frames = Some(PacketFrames {
                payload: packet.payload(),
                header_bit: 0,
                data_offset: data_start,
                remaining: 1,
                timestamp,
                sequence_number: seq,
            });
            return Ok(());
        }
        let r = self.reassembly.get_or_insert_with(|| Reassembly {
            timestamp,
            size,
            data: BytesMut::with_capacity(size),
        });
        if r.data.len() + data.len() > size {
            self.drop_reassembly(seq);
            return Err(PayloadError::Malformed {
                what: "fragments exceed the AU-size",
                sequence_number: Some(seq.0),
                offset: data_start,
            });
        }
        r.data.extend_from_slice(data);
        if r.data.len() == size {
            if let Some(r) = self.reassembly.take() {
                self.reassembled = Some(AacFrame {
                    timestamp: r.timestamp,
                    data: r.data.freeze(),
                    sequence_number: seq,
                });
            }
        } else if packet.marker() {
            // The last fragment came, and the frame is short: its first
            // fragments were lost.
            self.drop_reassembly(seq);
        }
        Ok(())
    }

    /// The next frame or loss report, or `None` when the packets pushed so
    /// far gave everything they hold.
    #[must_use]
    pub fn poll_frame(&mut self) -> Option<AacDepacketized> {
        if let Some(loss) = self.loss.take() {
            return Some(AacDepacketized::Loss(loss));
        }
        if let Some(frame) = self.reassembled.take() {
            return Some(AacDepacketized::Frame(frame));
        }
        let layout = self.layout;
        let frames = self.frames.as_mut()?;
        let headers = frames.payload.get(2..).unwrap_or(&[]);
        let size = read_bits(headers, frames.header_bit, layout.size_length).unwrap_or(0) as usize;
        let index_width = if frames.header_bit == 0 {
            layout.index_length
        } else {
            layout.index_delta_length
        };
        frames.header_bit += usize::from(layout.size_length) + usize::from(index_width);
        let end = (frames.data_offset + size).min(frames.payload.len());
        let frame = AacFrame {
            timestamp: frames.timestamp,
            data: frames.payload.slice(frames.data_offset..end),
            sequence_number: frames.sequence_number,
        };
        frames.data_offset = end;
        frames.timestamp = RtpTimestamp::new(frames.timestamp.0.wrapping_add(self.frame_duration));
        frames.remaining -= 1;
        if frames.remaining == 0 {
            self.frames = None;
        }
        Some(AacDepacketized::Frame(frame))
    }
}
