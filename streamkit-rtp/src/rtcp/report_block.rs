//! Reception report blocks (RFC 3550 section 6.4.1), the body of SR and RR
//! packets.

use bytes::BufMut;

use super::malformed;
use crate::error::ParseError;

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

    pub(super) fn parse(b: &[u8; 24]) -> ReportBlock {
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

    pub(super) fn put(&self, buf: &mut impl BufMut) {
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

/// Parses `n` report blocks from `body` at `at`; `base` is the body's
/// offset in the datagram.
pub(super) fn parse_reports(
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
