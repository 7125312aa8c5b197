//! Opus over RTP (RFC 7587): one Opus packet per RTP packet, on a 48 kHz
//! RTP clock whatever the encoder's input rate.
//!
//! - [`OpusPacketizer`] checks each Opus packet's table-of-contents (TOC)
//!   byte and frame count (RFC 6716 section 3, [`packet_duration`]) and
//!   returns it as an [`OpusPayload`] that shares the input's buffer.
//!   It sets the marker bit on the first packet of a talkspurt: the first
//!   packet, and any packet whose timestamp is not the previous packet's
//!   plus its duration (the sender stopped sending during silence, DTX).
//!   RFC 7587 makes the marker optional for receivers, who must not rely on
//!   it.
//! - [`OpusDepacketizer`] takes packets in sequence order and gives each
//!   Opus packet back (a slice of the RTP packet), reporting sequence
//!   number gaps as [`OpusLoss`] so the decoder can conceal them.
//!
//! ```
//! use bytes::Bytes;
//! use streamkit_core::time::RtpTimestamp;
//! use streamkit_rtp::packet::{RtpHeader, RtpPacket};
//! use streamkit_rtp::payload::opus::{OpusDepacketized, OpusDepacketizer, OpusPacketizer};
//!
//! let mut packetizer = OpusPacketizer::new(1200)?;
//! let mut depacketizer = OpusDepacketizer::new();
//! // TOC 0xfc: CELT fullband 20 ms, stereo, one frame.
//! let opus = Bytes::from_static(&[0xfc, 0xff, 0xfe]);
//! packetizer.push(RtpTimestamp::new(960), opus.clone())?;
//! let payload = packetizer.poll_payload().expect("one payload per packet");
//! assert!(packetizer.poll_payload().is_none());
//! assert!(payload.marker()); // first packet of the stream
//! assert_eq!(payload.duration(), 960);
//! let header = RtpHeader {
//!     marker: payload.marker(),
//!     payload_type: 111,
//!     timestamp: payload.timestamp(),
//!     ..RtpHeader::default()
//! };
//! let datagram = header.datagram(payload.data().clone())?;
//! let mut wire = Vec::new();
//! datagram.write_to(&mut wire)?;
//! depacketizer.push(&RtpPacket::parse(Bytes::from(wire))?)?;
//! match depacketizer.poll_packet() {
//!     Some(OpusDepacketized::Packet(p)) => assert_eq!(p.data, opus),
//!     other => panic!("{other:?}"),
//! }
//! assert!(depacketizer.poll_packet().is_none());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use core::fmt;

use bytes::Bytes;
use streamkit_core::time::{RtpTimestamp, SequenceNumber, Timescale};

use crate::error::PayloadError;
use crate::packet::RtpPacket;

/// The RTP clock of Opus: 48 kHz (RFC 7587 section 4.1).
pub const OPUS_CLOCK: Timescale = Timescale::AUDIO_48KHZ;

/// The longest Opus packet: 120 ms, in 48 kHz ticks.
pub const MAX_PACKET_DURATION: u32 = 5_760;

/// The duration of one frame of TOC configuration `config` (0 to 31), in
/// 48 kHz ticks (RFC 6716 section 3.1, table 2).
fn frame_duration(config: u8) -> u32 {
    match config {
        // SILK NB/MB/WB: 10, 20, 40, 60 ms.
        0..=11 => [480, 960, 1_920, 2_880][usize::from(config % 4)],
        // Hybrid SWB/FB: 10, 20 ms.
        12..=15 => [480, 960][usize::from(config % 2)],
        // CELT: 2.5, 5, 10, 20 ms.
        _ => [120, 240, 480, 960][usize::from(config % 4)],
    }
}

/// The duration of the Opus packet `packet`, in 48 kHz ticks, from its TOC
/// byte and frame count (RFC 6716 section 3.1 and 3.2).
///
/// Checks the rules of RFC 6716 section 3.4 that the TOC and frame count
/// decide: at least one byte (R1), code 1's equal halves (R3), code 2's
/// first frame length within the packet (R4), code 3's frame count of at
/// least one and at most 120 ms (R5); frame lengths inside code 3 packets
/// are left to the decoder.
///
/// ```
/// use streamkit_rtp::payload::opus::packet_duration;
///
/// assert_eq!(packet_duration(&[0xfc, 0x00]), Ok(960)); // CELT FB 20 ms
/// assert_eq!(packet_duration(&[0x59, 0x00, 0x00]), Ok(2 * 2_880)); // SILK WB 60 ms, code 1
/// assert!(packet_duration(&[]).is_err());
/// ```
///
/// # Errors
///
/// [`PayloadError::Malformed`] when a rule above is broken.
pub fn packet_duration(packet: &[u8]) -> Result<u32, PayloadError> {
    let malformed = |what, offset| PayloadError::Malformed {
        what,
        sequence_number: None,
        offset,
    };
    let Some(&toc) = packet.first() else {
        return Err(malformed("empty packet", 0));
    };
    let per_frame = frame_duration(toc >> 3);
    let frames = match toc & 3 {
        0 => 1,
        1 => {
            if !(packet.len() - 1).is_multiple_of(2) {
                return Err(malformed(
                    "code 1 packet with an odd number of frame bytes",
                    1,
                ));
            }
            2
        }
        2 => {
            let first = match packet.get(1..) {
                Some([a @ 0..=251, ..]) => (usize::from(*a), 1),
                Some([a, b, ..]) => (usize::from(*b) * 4 + usize::from(*a), 2),
                _ => return Err(malformed("code 2 packet without its frame length", 1)),
            };
            if first.0 > packet.len() - 1 - first.1 {
                return Err(malformed(
                    "code 2 packet's first frame runs past the end",
                    1,
                ));
            }
            2
        }
        _ => {
            let Some(&count) = packet.get(1) else {
                return Err(malformed("code 3 packet without its frame count", 1));
            };
            let m = u32::from(count & 0x3f);
            if m == 0 {
                return Err(malformed("code 3 packet with no frames", 1));
            }
            m
        }
    };
    let duration = per_frame * frames;
    if duration > MAX_PACKET_DURATION {
        return Err(malformed("packet longer than 120 ms", 1));
    }
    Ok(duration)
}

/// One RTP payload from [`OpusPacketizer`]: one Opus packet.
#[derive(Clone, PartialEq, Eq)]
pub struct OpusPayload {
    timestamp: RtpTimestamp,
    marker: bool,
    duration: u32,
    data: Bytes,
}

impl OpusPayload {
    /// The RTP timestamp (48 kHz clock).
    #[must_use]
    pub fn timestamp(&self) -> RtpTimestamp {
        self.timestamp
    }

    /// The marker bit: the first packet of a talkspurt.
    #[must_use]
    pub fn marker(&self) -> bool {
        self.marker
    }

    /// The packet's duration in 48 kHz ticks.
    #[must_use]
    pub fn duration(&self) -> u32 {
        self.duration
    }

    /// The Opus packet: the whole RTP payload, sharing the input's buffer.
    #[must_use]
    pub fn data(&self) -> &Bytes {
        &self.data
    }

    /// The Opus packet, giving up the payload.
    #[must_use]
    pub fn into_data(self) -> Bytes {
        self.data
    }
}

impl fmt::Debug for OpusPayload {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OpusPayload")
            .field("timestamp", &self.timestamp)
            .field("marker", &self.marker)
            .field("duration", &self.duration)
            .field("len", &self.data.len())
            .finish()
    }
}

/// Opus packets into RFC 7587 payloads; see the [module docs](self).
///
/// Push one Opus packet with [`push`](OpusPacketizer::push), then take its
/// payload with [`poll_payload`](OpusPacketizer::poll_payload) (until
/// `None`, as every packetizer).
#[derive(Debug, Clone)]
pub struct OpusPacketizer {
    mtu: usize,
    next_timestamp: Option<RtpTimestamp>,
    ready: Option<OpusPayload>,
}

impl OpusPacketizer {
    /// A packetizer for payloads of at most `mtu` bytes.
    ///
    /// # Errors
    ///
    /// [`PayloadError::MtuTooSmall`] for an MTU of 0.
    pub fn new(mtu: usize) -> Result<OpusPacketizer, PayloadError> {
        if mtu == 0 {
            return Err(PayloadError::MtuTooSmall { mtu, min: 1 });
        }
        Ok(OpusPacketizer {
            mtu,
            next_timestamp: None,
            ready: None,
        })
    }

    /// Takes the Opus packet `packet` at RTP timestamp `timestamp` (the
    /// packet's media time on the 48 kHz clock); its payload comes from
    /// [`poll_payload`](OpusPacketizer::poll_payload).
    ///
    /// # Errors
    ///
    /// [`PayloadError::Pending`] when the previous payload was not polled,
    /// [`PayloadError::PacketTooLarge`] above the MTU,
    /// [`PayloadError::Malformed`] when [`packet_duration`] refuses the
    /// packet. A refused packet leaves the packetizer as it was.
    pub fn push(&mut self, timestamp: RtpTimestamp, packet: Bytes) -> Result<(), PayloadError> {
        if let Some(ready) = &self.ready {
            return Err(PayloadError::Pending {
                pending: ready.data.len(),
            });
        }
        if packet.len() > self.mtu {
            return Err(PayloadError::PacketTooLarge {
                len: packet.len(),
                mtu: self.mtu,
            });
        }
        let duration = packet_duration(&packet)?;
        let marker = self.next_timestamp != Some(timestamp);
        self.next_timestamp = Some(RtpTimestamp::new(timestamp.0.wrapping_add(duration)));
        self.ready = Some(OpusPayload {
            timestamp,
            marker,
            duration,
            data: packet,
        });
        Ok(())
    }

    /// The payload of the packet pushed last, or `None` when it was given.
    #[must_use]
    pub fn poll_payload(&mut self) -> Option<OpusPayload> {
        self.ready.take()
    }

    /// No more packets come: a no-op (nothing is held back; a payload
    /// pushed last is still polled as usual). Here for the contract every
    /// producer shares.
    ///
    /// # Errors
    ///
    /// None.
    pub fn finish(&mut self) -> Result<(), PayloadError> {
        Ok(())
    }
}

/// One Opus packet taken from an RTP packet.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct OpusPacket {
    /// The RTP timestamp (48 kHz clock).
    pub timestamp: RtpTimestamp,
    /// The packet's duration in 48 kHz ticks.
    pub duration: u32,
    /// The Opus packet: the RTP payload, a slice of the datagram.
    pub data: Bytes,
    /// The RTP packet's sequence number.
    pub sequence_number: SequenceNumber,
    /// The RTP marker bit (start of a talkspurt, when the sender sets it).
    pub marker: bool,
}

impl fmt::Debug for OpusPacket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OpusPacket")
            .field("timestamp", &self.timestamp)
            .field("duration", &self.duration)
            .field("len", &self.data.len())
            .field("sequence_number", &self.sequence_number)
            .field("marker", &self.marker)
            .finish()
    }
}

/// Packets lost before a received one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct OpusLoss {
    /// Packets missing by sequence number.
    pub lost_packets: u16,
    /// The first packet after the gap.
    pub sequence_number: SequenceNumber,
}

/// What [`OpusDepacketizer::poll_packet`] gives.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum OpusDepacketized {
    /// One Opus packet.
    Packet(OpusPacket),
    /// Packets were lost before the next one.
    Loss(OpusLoss),
}

/// RFC 7587 payloads back into Opus packets; see the [module docs](self).
///
/// Push each RTP packet in sequence order with
/// [`push`](OpusDepacketizer::push), then [`poll_packet`](OpusDepacketizer::poll_packet)
/// until `None` before the next push.
#[derive(Debug, Clone, Default)]
pub struct OpusDepacketizer {
    last_sequence_number: Option<SequenceNumber>,
    loss: Option<OpusLoss>,
    packet: Option<OpusPacket>,
}

impl OpusDepacketizer {
    /// A depacketizer that has seen no packet.
    #[must_use]
    pub fn new() -> OpusDepacketizer {
        OpusDepacketizer::default()
    }

    /// The stream ended: a no-op (every Opus packet is whole in its RTP
    /// packet, so nothing is held back). Here for the contract every
    /// producer shares.
    ///
    /// # Errors
    ///
    /// None.
    pub fn finish(&mut self) -> Result<(), PayloadError> {
        Ok(())
    }

    /// Takes the next RTP packet.
    ///
    /// # Errors
    ///
    /// [`PayloadError::OutputPending`] (not taken) when output is still to be
    /// polled, [`PayloadError::OutOfOrder`] (ignored) for a packet not after
    /// the last, [`PayloadError::Malformed`] (dropped; a gap before it is
    /// still reported) when the payload is not an Opus packet.
    pub fn push(&mut self, packet: &RtpPacket) -> Result<(), PayloadError> {
        if self.loss.is_some() || self.packet.is_some() {
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
                self.loss = Some(OpusLoss {
                    lost_packets: ahead - 1,
                    sequence_number: seq,
                });
            }
        }
        self.last_sequence_number = Some(seq);
        let data = packet.payload();
        let duration = packet_duration(&data).map_err(|e| match e {
            PayloadError::Malformed { what, offset, .. } => PayloadError::Malformed {
                what,
                sequence_number: Some(seq.0),
                offset,
            },
            other => other,
        })?;
        self.packet = Some(OpusPacket {
            timestamp: packet.timestamp(),
            duration,
            data,
            sequence_number: seq,
            marker: packet.marker(),
        });
        Ok(())
    }

    /// The next loss report or Opus packet, or `None`.
    #[must_use]
    pub fn poll_packet(&mut self) -> Option<OpusDepacketized> {
        if let Some(loss) = self.loss.take() {
            return Some(OpusDepacketized::Loss(loss));
        }
        self.packet.take().map(OpusDepacketized::Packet)
    }
}
