//! MP4A-LATM payloads back into AAC frames.

use std::collections::VecDeque;

use bytes::{Bytes, BytesMut};
use streamkit_core::codec::CodecError;
use streamkit_core::codec::bits::BitReader;
use streamkit_core::time::{RtpTimestamp, SequenceNumber};

use super::{LatmFormat, StreamMuxConfig};
use crate::error::PayloadError;
use crate::packet::RtpPacket;
use crate::payload::aac::{AacDepacketized, AacFrame, AacLoss};

/// The default limit on one AudioMuxElement (a frame and its length, or
/// the frames of its sub-frames), joined from fragments: 64 KiB, above
/// any AAC frame (6144 bits per channel).
pub const DEFAULT_MAX_ELEMENT: usize = 1 << 16;

/// The most frames one packet (or one element joined from fragments)
/// gives; a payload holding more is refused as malformed.
pub const MAX_FRAMES_PER_PACKET: usize = 1024;

const AME: &str = "LATM AudioMuxElement";

/// Fragments of an AudioMuxElement, joined until the packet with the
/// marker bit.
#[derive(Debug, Clone)]
struct Fragments {
    timestamp: RtpTimestamp,
    data: BytesMut,
    sequence_number: SequenceNumber,
}

/// MP4A-LATM payloads (RFC 6416 section 6) back into AAC frames; see the
/// [module docs](super).
///
/// Push each packet in sequence order (from the jitter buffer) with
/// [`push`](LatmDepacketizer::push), then [`poll_frame`](LatmDepacketizer::poll_frame)
/// until `None` before the next push. It gives the same events as the
/// `mpeg4-generic` [`AacDepacketizer`](crate::payload::aac::AacDepacketizer):
/// frames, losses, and (with `cpresent=1`) a
/// [`Config`](AacDepacketized::Config) when an in-band StreamMuxConfig
/// changes the AudioSpecificConfig.
///
/// A frame carried whole in one packet is a slice of that packet's
/// payload when the frames are byte-aligned (always with `cpresent=0`); a
/// frame after an in-band `useSameStreamMux` bit is not, and is copied. An
/// element fragmented over packets is joined in one buffer (of at most
/// [`with_max_element`](LatmDepacketizer::with_max_element) bytes) and its
/// frames are slices of it. A packet without the marker bit followed by one
/// of another timestamp is taken as a whole element when it parses as one
/// (from a sender that leaves the marker clear), delivered a packet late.
///
/// After lost packets, the fragments of the element they cut (of the same
/// timestamp) are passed over up to the marker bit, the element reported
/// dropped in an [`AacLoss`]. An element or payload that does not parse is
/// dropped whole, never delivered in part.
#[derive(Debug, Clone)]
pub struct LatmDepacketizer {
    config: StreamMuxConfig,
    config_present: bool,
    frame_duration: u32,
    max_element: usize,
    last_sequence_number: Option<SequenceNumber>,
    fragments: Option<Fragments>,
    /// The timestamp of an element dropped at a gap: its later fragments
    /// are passed over.
    discard: Option<RtpTimestamp>,
    loss: Option<AacLoss>,
    out: VecDeque<AacDepacketized>,
}

fn frame_duration(config: &StreamMuxConfig) -> u32 {
    config.aac().frame_length().unwrap_or(1024)
}

impl LatmDepacketizer {
    /// A depacketizer for the stream `format` describes.
    #[must_use]
    pub fn new(format: &LatmFormat) -> LatmDepacketizer {
        LatmDepacketizer::with_config(format.config.clone(), format.config_present)
    }

    /// A depacketizer for elements of `config`, each beginning with a
    /// `useSameStreamMux` bit (and maybe a new configuration) when
    /// `config_present` (`cpresent=1`).
    #[must_use]
    pub fn with_config(config: StreamMuxConfig, config_present: bool) -> LatmDepacketizer {
        LatmDepacketizer {
            frame_duration: frame_duration(&config),
            config,
            config_present,
            max_element: DEFAULT_MAX_ELEMENT,
            last_sequence_number: None,
            fragments: None,
            discard: None,
            loss: None,
            out: VecDeque::new(),
        }
    }

    /// Limits an element joined from fragments to `max` bytes (default
    /// [`DEFAULT_MAX_ELEMENT`]); a longer one is dropped.
    #[must_use]
    pub fn with_max_element(mut self, max: usize) -> LatmDepacketizer {
        self.max_element = max;
        self
    }

    /// The StreamMuxConfig in force (the last in band, with `cpresent=1`).
    #[must_use]
    pub fn config(&self) -> &StreamMuxConfig {
        &self.config
    }

    /// `true` when elements carry the `useSameStreamMux` bit (`cpresent=1`).
    #[must_use]
    pub fn config_present(&self) -> bool {
        self.config_present
    }

    fn add_loss(&mut self, lost_packets: u16, sequence_number: SequenceNumber, dropped: u32) {
        AacLoss::add(&mut self.loss, lost_packets, sequence_number, dropped);
    }

    /// Takes the next packet.
    ///
    /// # Errors
    ///
    /// [`PayloadError::OutputPending`] (the packet is not taken) when
    /// output is still to be polled; [`PayloadError::OutOfOrder`]
    /// (ignored) for a packet not after the last;
    /// [`PayloadError::Malformed`] for an empty payload,
    /// [`PayloadError::Latm`] for elements that do not parse and
    /// [`PayloadError::AccessUnitTooLarge`] for fragments above the
    /// element limit: the packet's frames (or the joined element's) are
    /// dropped, a joined element reported as a loss.
    pub fn push(&mut self, packet: &RtpPacket) -> Result<(), PayloadError> {
        if self.loss.is_some() || !self.out.is_empty() {
            return Err(PayloadError::OutputPending);
        }
        let seq = packet.sequence_number();
        let timestamp = packet.timestamp();
        if let Some(last) = self.last_sequence_number {
            let ahead = seq.0.wrapping_sub(last.0);
            if ahead == 0 || ahead >= 0x8000 {
                return Err(PayloadError::OutOfOrder {
                    sequence_number: seq.0,
                    last: last.0,
                });
            }
            if ahead > 1 {
                let dropped = self.fragments.take();
                if let Some(f) = &dropped {
                    self.discard = Some(f.timestamp);
                }
                self.add_loss(ahead - 1, seq, u32::from(dropped.is_some()));
            }
        }
        self.last_sequence_number = Some(seq);
        if let Some(dropped) = self.discard {
            if dropped == timestamp {
                // The rest of an element already dropped and reported.
                if packet.marker() {
                    self.discard = None;
                }
                return Ok(());
            }
            self.discard = None;
        }
        if let Some(f) = self.fragments.take_if(|f| f.timestamp != timestamp) {
            // The element never got its marker bit: whole if it parses.
            if self
                .parse(f.data.freeze(), f.timestamp, f.sequence_number)
                .is_err()
            {
                self.add_loss(0, seq, 1);
            }
        }
        let payload = packet.payload();
        if payload.is_empty() {
            return Err(PayloadError::Malformed {
                what: "empty MP4A-LATM payload",
                sequence_number: Some(seq.0),
                offset: 0,
            });
        }
        if !packet.marker() || self.fragments.is_some() {
            let joined = self.fragments.as_ref().map_or(0, |f| f.data.len());
            if joined + payload.len() > self.max_element {
                if self.fragments.take().is_some() {
                    self.add_loss(0, seq, 1);
                }
                if !packet.marker() {
                    self.discard = Some(timestamp);
                }
                return Err(PayloadError::AccessUnitTooLarge {
                    limit: self.max_element,
                    sequence_number: seq.0,
                });
            }
            let capacity = self
                .first_element_len(&payload)
                .unwrap_or(payload.len() * 2);
            let max = self.max_element;
            let f = self.fragments.get_or_insert_with(|| Fragments {
                timestamp,
                data: BytesMut::with_capacity(capacity.min(max)),
                sequence_number: seq,
            });
            f.data.extend_from_slice(&payload);
            f.sequence_number = seq;
            if !packet.marker() {
                return Ok(());
            }
            let Some(f) = self.fragments.take() else {
                return Ok(());
            };
            let result = self.parse(f.data.freeze(), f.timestamp, seq);
            if result.is_err() {
                self.add_loss(0, seq, 1);
            }
            return result;
        }
        self.parse(payload, timestamp, seq)
    }

    /// The length of the element starting `payload`, PayloadLengthInfo
    /// included, when it is one frame with nothing before it
    /// (`cpresent=0`): what a buffer joining its fragments needs.
    fn first_element_len(&self, payload: &[u8]) -> Option<usize> {
        if self.config_present || self.config.frames_per_element() != 1 {
            return None;
        }
        let header = payload.iter().position(|&b| b != 255)?;
        let frame = 255 * header + usize::from(*payload.get(header)?);
        Some(header + 1 + frame)
    }

    /// Parses whole AudioMuxElements in `data` into frames (all or none),
    /// the first at `timestamp`.
    fn parse(
        &mut self,
        data: Bytes,
        timestamp: RtpTimestamp,
        seq: SequenceNumber,
    ) -> Result<(), PayloadError> {
        let queued = self.out.len();
        let saved = self.config_present.then(|| self.config.clone());
        let result = self.parse_elements(&data, timestamp, seq);
        if let Err(error) = result {
            self.out.truncate(queued);
            if let Some(config) = saved {
                self.frame_duration = frame_duration(&config);
                self.config = config;
            }
            return Err(PayloadError::Latm {
                error,
                sequence_number: Some(seq.0),
            });
        }
        Ok(())
    }

    fn parse_elements(
        &mut self,
        data: &Bytes,
        mut timestamp: RtpTimestamp,
        seq: SequenceNumber,
    ) -> Result<(), CodecError> {
        let mut r = BitReader::new(data, AME);
        let mut frames = 0usize;
        while r.bits_left() > 0 {
            let start = r.bit_position();
            if self.config_present && !r.read_flag("useSameStreamMux")? {
                let config = StreamMuxConfig::read(&mut r, data, false)?;
                if config.aac() != self.config.aac() {
                    frames += 1;
                    self.out
                        .push_back(AacDepacketized::Config(config.aac().clone()));
                }
                self.frame_duration = frame_duration(&config);
                self.config = config;
            }
            for _ in 0..self.config.frames_per_element() {
                let at = r.bit_position();
                let mut len = 0usize;
                loop {
                    let b = r.read_u8(8, "PayloadLengthInfo")?;
                    len += usize::from(b);
                    if b != 255 {
                        break;
                    }
                    if len > self.max_element {
                        return Err(r.invalid(
                            "PayloadLengthInfo",
                            at,
                            len as u64,
                            "above the element limit",
                        ));
                    }
                }
                if len == 0 {
                    return Err(r.invalid("PayloadLengthInfo", at, 0, "a frame of no bytes"));
                }
                if len * 8 > r.bits_left() {
                    return Err(r.invalid(
                        "PayloadLengthInfo",
                        at,
                        len as u64,
                        "the frame runs past the end of the payload",
                    ));
                }
                frames += 1;
                if frames > MAX_FRAMES_PER_PACKET {
                    return Err(r.invalid(
                        "PayloadMux",
                        at,
                        frames as u64,
                        "more frames (and configurations) in one payload than the depacketizer takes",
                    ));
                }
                let frame = if r.is_byte_aligned() {
                    let from = r.bit_position() / 8;
                    r.skip_bits(len * 8, "PayloadMux")?;
                    data.slice(from..from + len)
                } else {
                    let mut copy = Vec::with_capacity(len);
                    for _ in 0..len {
                        copy.push(r.read_u8(8, "PayloadMux")?);
                    }
                    Bytes::from(copy)
                };
                self.out.push_back(AacDepacketized::Frame(AacFrame {
                    timestamp,
                    data: frame,
                    sequence_number: seq,
                }));
                timestamp = RtpTimestamp::new(timestamp.0.wrapping_add(self.frame_duration));
            }
            let other = self.config.other_data_bits() as usize;
            r.skip_bits(other, "otherDataBit")?;
            let used = r.bit_position() - start;
            r.skip_bits((8 - used % 8) % 8, "byte_alignment")?;
        }
        Ok(())
    }

    /// The stream ended: an element whose marker bit never came is
    /// delivered when it parses whole, else reported as a loss at the next
    /// [`poll_frame`](LatmDepacketizer::poll_frame). A second call does
    /// nothing.
    ///
    /// # Errors
    ///
    /// None; the `Result` is the contract every producer shares.
    pub fn finish(&mut self) -> Result<(), PayloadError> {
        if let Some(f) = self.fragments.take()
            && self
                .parse(f.data.freeze(), f.timestamp, f.sequence_number)
                .is_err()
        {
            self.add_loss(0, f.sequence_number, 1);
        }
        self.discard = None;
        Ok(())
    }

    /// The next frame, configuration change or loss report, or `None` when
    /// the packets pushed so far gave everything they hold.
    #[must_use]
    pub fn poll_frame(&mut self) -> Option<AacDepacketized> {
        if let Some(loss) = self.loss.take() {
            return Some(AacDepacketized::Loss(loss));
        }
        self.out.pop_front()
    }

    /// Checks the depacketizer's internal invariants (for fuzzing and
    /// tests); panics when one is broken.
    #[doc(hidden)]
    pub fn check_invariants(&self) {
        if let Some(f) = &self.fragments {
            assert!(
                f.data.len() <= self.max_element,
                "joined fragments above the element limit"
            );
        }
        assert!(
            self.out.len() <= 2 * MAX_FRAMES_PER_PACKET + 2,
            "more output queued than two payloads give"
        );
        assert_eq!(
            self.frame_duration,
            frame_duration(&self.config),
            "frame duration of another configuration"
        );
    }
}
