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

use bytes::{BufMut, Bytes};
use streamkit_core::time::RtpTimestamp;

use crate::error::PayloadError;
use crate::error::WriteError;

mod depacketizer;

pub use depacketizer::{AacDepacketized, AacDepacketizer, AacFrame, AacLoss, AuHeaderLayout};

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
