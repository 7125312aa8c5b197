//! Sender reports (SR, packet type 200, RFC 3550 section 6.4.1).

use bytes::{BufMut, Bytes};
use streamkit_core::time::RtpTimestamp;

use super::report_block::{ReportBlock, parse_reports};
use super::{NtpTimestamp, be32, count, malformed, multiple_of_4};
use crate::error::{ParseError, WriteError};

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

impl SenderReport {
    /// The body after the header (`count` report blocks); `base` is its
    /// offset in the datagram.
    pub(super) fn parse_body(
        body_bytes: &Bytes,
        count: usize,
        base: usize,
    ) -> Result<SenderReport, ParseError> {
        let body = &body_bytes[..];
        if body.len() < 24 {
            return Err(malformed(
                base,
                "sender report shorter than its sender info",
            ));
        }
        let reports = parse_reports(body, 24, count, base)?;
        let ext = 24 + count * ReportBlock::LEN;
        Ok(SenderReport {
            ssrc: be32(body, 0),
            ntp_time: NtpTimestamp((u64::from(be32(body, 4)) << 32) | u64::from(be32(body, 8))),
            rtp_timestamp: RtpTimestamp(be32(body, 12)),
            packet_count: be32(body, 16),
            octet_count: be32(body, 20),
            reports,
            profile_extension: body_bytes.slice(ext..),
        })
    }

    /// The header's count field and the packet's length.
    pub(super) fn layout(&self) -> Result<(u8, usize), WriteError> {
        multiple_of_4(
            "SR profile extension length (must be a multiple of 4)",
            self.profile_extension.len(),
        )?;
        Ok((
            count("report blocks", self.reports.len())?,
            28 + ReportBlock::LEN * self.reports.len() + self.profile_extension.len(),
        ))
    }

    pub(super) fn put_body(&self, buf: &mut impl BufMut) {
        buf.put_u32(self.ssrc);
        buf.put_u64(self.ntp_time.0);
        buf.put_u32(self.rtp_timestamp.0);
        buf.put_u32(self.packet_count);
        buf.put_u32(self.octet_count);
        for r in &self.reports {
            r.put(buf);
        }
        buf.put_slice(&self.profile_extension);
    }
}
