//! Generic NACKs (transport-layer feedback, packet type 205, format 1,
//! RFC 4585 section 6.2.1).

use bytes::BufMut;
use streamkit_core::time::SequenceNumber;

use super::{FMT_NACK, be32, feedback_ssrcs};
use crate::error::{ParseError, WriteError};

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

impl GenericNack {
    /// The body after the header; `base` is its offset in the datagram.
    pub(super) fn parse_body(body: &[u8], base: usize) -> Result<GenericNack, ParseError> {
        let (sender_ssrc, media_ssrc) = feedback_ssrcs(body, base)?;
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
        Ok(GenericNack {
            sender_ssrc,
            media_ssrc,
            pairs,
        })
    }

    /// The header's format field and the packet's length.
    pub(super) fn layout(&self) -> Result<(u8, usize), WriteError> {
        Ok((FMT_NACK, 12 + 4 * self.pairs.len()))
    }

    pub(super) fn put_body(&self, buf: &mut impl BufMut) {
        buf.put_u32(self.sender_ssrc);
        buf.put_u32(self.media_ssrc);
        for p in &self.pairs {
            buf.put_u16(p.packet_id.0);
            buf.put_u16(p.lost_bitmask);
        }
    }
}
