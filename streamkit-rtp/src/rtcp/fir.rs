//! Full intra requests (payload-specific feedback, packet type 206, format
//! 4, RFC 5104 section 4.3.1).

use bytes::BufMut;

use super::{FMT_FIR, be32, feedback_ssrcs, malformed};
use crate::error::{ParseError, WriteError};

/// One FIR entry (RFC 5104 section 4.3.1.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct FirEntry {
    /// The media sender asked for a decoder refresh point.
    pub ssrc: u32,
    /// The command sequence number, incremented per new request.
    pub sequence_number: u8,
}

/// A full intra request (payload-specific feedback, packet type 206,
/// format 4, RFC 5104).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct FullIntraRequest {
    /// The SSRC of the packet's sender.
    pub sender_ssrc: u32,
    /// The media source field (0 by RFC 5104; the targets are in `entries`).
    pub media_ssrc: u32,
    /// The requests.
    pub entries: Vec<FirEntry>,
}

impl FullIntraRequest {
    /// The body after the header; `base` is its offset in the datagram.
    pub(super) fn parse_body(body: &[u8], base: usize) -> Result<FullIntraRequest, ParseError> {
        let (sender_ssrc, media_ssrc) = feedback_ssrcs(body, base)?;
        let fci = body.get(8..).unwrap_or(&[]);
        if fci.len() % 8 != 0 {
            return Err(malformed(
                base + 8,
                "FIR entries are not a multiple of 8 bytes",
            ));
        }
        let entries = fci
            .chunks_exact(8)
            .map(|c| FirEntry {
                ssrc: be32(c, 0),
                sequence_number: c.get(4).copied().unwrap_or(0),
            })
            .collect();
        Ok(FullIntraRequest {
            sender_ssrc,
            media_ssrc,
            entries,
        })
    }

    /// The header's format field and the packet's length.
    pub(super) fn layout(&self) -> Result<(u8, usize), WriteError> {
        Ok((FMT_FIR, 12 + 8 * self.entries.len()))
    }

    pub(super) fn put_body(&self, buf: &mut impl BufMut) {
        buf.put_u32(self.sender_ssrc);
        buf.put_u32(self.media_ssrc);
        for e in &self.entries {
            buf.put_u32(e.ssrc);
            buf.put_u8(e.sequence_number);
            buf.put_bytes(0, 3);
        }
    }
}
