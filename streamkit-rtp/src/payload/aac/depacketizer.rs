//! RFC 3640 payloads back into AAC frames: the AU header layout and the
//! depacketizer.

use core::fmt;

use bytes::{Bytes, BytesMut};
use streamkit_core::time::{RtpTimestamp, SequenceNumber};

use crate::error::PayloadError;
use crate::packet::RtpPacket;
use crate::sdp::Fmtp;

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
    /// [`PayloadError::FmtpParameter`] when `size_length` is not 1 to 16
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
    /// [`PayloadError::FmtpParameter`] when `sizelength` is missing or a
    /// value is not a number in range; [`PayloadError::UnsupportedFmtpParameter`]
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

impl AacLoss {
    /// Adds a loss to the one `slot` holds (or starts it): counts summed
    /// (saturating), the sequence number the latest packet's.
    pub(crate) fn add(
        slot: &mut Option<AacLoss>,
        lost_packets: u16,
        sequence_number: SequenceNumber,
        dropped: u32,
    ) {
        let loss = slot.get_or_insert(AacLoss {
            lost_packets: 0,
            sequence_number,
            dropped_frames: 0,
        });
        loss.lost_packets = loss.lost_packets.saturating_add(lost_packets);
        loss.dropped_frames = loss.dropped_frames.saturating_add(dropped);
        loss.sequence_number = sequence_number;
    }
}

/// What [`AacDepacketizer::poll_frame`] gives.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum AacDepacketized {
    /// A whole frame.
    Frame(AacFrame),
    /// Packets or fragments were lost.
    Loss(AacLoss),
    /// The stream's AudioSpecificConfig changed in band (MP4A-LATM with
    /// `cpresent=1`): the frames after this are on the new one. Never
    /// from `mpeg4-generic`.
    Config(streamkit_core::codec::aac::AacConfig),
}

/// A frame being reassembled from fragments.
#[derive(Debug, Clone)]
struct Reassembly {
    timestamp: RtpTimestamp,
    size: usize,
    data: BytesMut,
}

/// A frame sent as fragments that each carry their own length in the
/// AU-size field (not the RFC 3640 form, but what some RTSP servers send),
/// the marker bit set on the last only.
///
/// A single AU whose AU-size equals its data, marker bit clear, is held
/// here: when the next packet has the same timestamp the two are fragments
/// of one frame, joined until the marker; when it has another, the held AU
/// was a whole frame (from a sender that leaves the marker clear).
#[derive(Debug, Clone)]
struct OwnSizeFragments {
    timestamp: RtpTimestamp,
    /// The first AU, a slice of its packet.
    first: Bytes,
    /// The fragments joined so far, once a second one came.
    joined: Option<BytesMut>,
    /// The sequence number of the first AU's packet.
    sequence_number: SequenceNumber,
    /// Packets were lost just before the first AU's: fragments joined to
    /// it may lack their start, so such a frame is dropped.
    after_gap: bool,
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

/// RFC 3640 payloads back into AAC frames; see the [module docs](super).
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
    /// A single AU held until the next packet says whether it is a whole
    /// frame or the first of fragments that carry their own sizes.
    held: Option<OwnSizeFragments>,
    /// The timestamp of an own-size fragmented frame dropped at a gap or
    /// for its size: its later fragments are passed over.
    held_discard: Option<RtpTimestamp>,
    /// Packets were lost just before the packet being taken.
    after_gap: bool,
    /// The sender was seen to fragment frames with each fragment's own
    /// size: after a gap, a lone marked AU may be a frame's last fragment.
    own_size_sender: bool,
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
            held: None,
            held_discard: None,
            after_gap: false,
            own_size_sender: false,
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
            if self.held.take().is_some() {
                // No later packet says whether it was whole.
                self.add_loss(0, seq, 1);
            }
        }
        self.discard = None;
        self.held_discard = None;
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
        if let Some(joined) = self.held.as_ref().and_then(|h| h.joined.as_ref()) {
            assert!(
                joined.len() <= self.layout.max_frame_size(),
                "joined fragments above the layout's AU-size"
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
        AacLoss::add(&mut self.loss, lost_packets, sequence_number, dropped);
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
        self.after_gap = false;
        if let Some(last) = self.last_sequence_number {
            let ahead = seq.0.wrapping_sub(last.0);
            if ahead == 0 || ahead >= 0x8000 {
                return Err(PayloadError::OutOfOrder {
                    sequence_number: seq.0,
                    last: last.0,
                });
            }
            if ahead > 1 {
                // One packet lost inside a frame being joined was that
                // frame's: this packet cannot have lost its start.
                self.after_gap = !(ahead == 2 && self.held.is_some());
                let dropped = self.reassembly.take();
                if let Some(r) = &dropped {
                    self.discard = Some((r.timestamp, r.size));
                }
                // A held AU may be the start of a frame whose next
                // fragments are lost: never delivered in part.
                let held = self.held.take();
                if let Some(h) = &held {
                    self.held_discard = Some(h.timestamp);
                }
                self.add_loss(
                    ahead - 1,
                    seq,
                    u32::from(dropped.is_some()) + u32::from(held.is_some()),
                );
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

        // One AU exactly as long as its data, outside an RFC 3640
        // reassembly: a whole frame, or a fragment carrying its own size.
        let own_size = count == 1 && first_size == data_len && self.reassembly.is_none();
        if let Some(held) = self.held.take() {
            if own_size && held.timestamp == timestamp {
                return self.join_fragment(held, &payload, data_start, seq, packet.marker());
            }
            // Another frame starts. A single held AU was a whole frame; a
            // joined one never got its last fragment.
            match held.joined {
                None => {
                    self.reassembled = Some(AacFrame {
                        timestamp: held.timestamp,
                        data: held.first,
                        sequence_number: held.sequence_number,
                    });
                }
                Some(_) => self.add_loss(0, seq, 1),
            }
        }
        if let Some(dropped) = self.held_discard.take()
            && own_size
            && dropped == timestamp
        {
            // The rest of an own-size fragmented frame already dropped.
            if !packet.marker() {
                self.held_discard = Some(dropped);
            }
            return Ok(());
        }
        if own_size && packet.marker() && self.after_gap && self.own_size_sender {
            // Whole, or the last fragment of a frame whose others were
            // all lost: never delivered in part, so dropped and said.
            self.discard = None;
            self.add_loss(0, seq, 1);
            return Ok(());
        }
        if own_size && !packet.marker() {
            self.discard = None;
            self.held = Some(OwnSizeFragments {
                timestamp,
                first: payload.slice(data_start..),
                joined: None,
                sequence_number: seq,
                after_gap: self.after_gap,
            });
            return Ok(());
        }

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

    /// The next fragment, of the same timestamp, of a frame sent as
    /// fragments that carry their own sizes; the marker bit ends it.
    fn join_fragment(
        &mut self,
        mut held: OwnSizeFragments,
        payload: &Bytes,
        data_start: usize,
        seq: SequenceNumber,
        marker: bool,
    ) -> Result<(), PayloadError> {
        self.own_size_sender = true;
        if held.after_gap {
            // The frame's first fragments may be among the packets lost.
            self.add_loss(0, seq, 1);
            if !marker {
                self.held_discard = Some(held.timestamp);
            }
            return Ok(());
        }
        let piece = payload.get(data_start..).unwrap_or(&[]);
        let so_far = held.joined.as_ref().map_or(held.first.len(), BytesMut::len);
        if so_far + piece.len() > self.layout.max_frame_size() {
            self.add_loss(0, seq, 1);
            if !marker {
                self.held_discard = Some(held.timestamp);
            }
            return Err(PayloadError::Malformed {
                what: "fragments exceed the largest AU-size",
                sequence_number: Some(seq.0),
                offset: data_start,
            });
        }
        let first = &held.first;
        let joined = held.joined.get_or_insert_with(|| {
            let mut joined = BytesMut::with_capacity(self.layout.max_frame_size());
            joined.extend_from_slice(first);
            joined
        });
        joined.extend_from_slice(piece);
        if marker {
            self.reassembled = Some(AacFrame {
                timestamp: held.timestamp,
                data: joined.split().freeze(),
                sequence_number: seq,
            });
        } else {
            self.held = Some(held);
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
