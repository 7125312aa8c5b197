//! Receiver reports (RR, packet type 201, RFC 3550 section 6.4.2).

use bytes::{BufMut, Bytes};

use super::report_block::{ReportBlock, parse_reports};
use super::{be32, count, malformed, multiple_of_4};
use crate::error::{ParseError, WriteError};

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

impl ReceiverReport {
    /// The body after the header (`count` report blocks); `base` is its
    /// offset in the datagram.
    pub(super) fn parse_body(
        body_bytes: &Bytes,
        count: usize,
        base: usize,
    ) -> Result<ReceiverReport, ParseError> {
        let body = &body_bytes[..];
        if body.len() < 4 {
            return Err(malformed(base, "receiver report without SSRC"));
        }
        let reports = parse_reports(body, 4, count, base)?;
        let ext = 4 + count * ReportBlock::LEN;
        Ok(ReceiverReport {
            ssrc: be32(body, 0),
            reports,
            profile_extension: body_bytes.slice(ext..),
        })
    }

    /// The header's count field and the packet's length.
    pub(super) fn layout(&self) -> Result<(u8, usize), WriteError> {
        multiple_of_4(
            "RR profile extension length (must be a multiple of 4)",
            self.profile_extension.len(),
        )?;
        Ok((
            count("report blocks", self.reports.len())?,
            8 + ReportBlock::LEN * self.reports.len() + self.profile_extension.len(),
        ))
    }

    pub(super) fn put_body(&self, buf: &mut impl BufMut) {
        buf.put_u32(self.ssrc);
        for r in &self.reports {
            r.put(buf);
        }
        buf.put_slice(&self.profile_extension);
    }
}
