//! Goodbyes (BYE, packet type 203, RFC 3550 section 6.6).

use bytes::{BufMut, Bytes};

use super::{be32, count, malformed};
use crate::error::{ParseError, WriteError};

/// A goodbye (BYE, packet type 203).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct Goodbye {
    /// The sources leaving (at most 31).
    pub sources: Vec<u32>,
    /// Why they leave (at most 255 bytes), if said.
    pub reason: Option<Bytes>,
}

impl Goodbye {
    /// The body after the header (`count` sources); `base` is its offset in
    /// the datagram.
    pub(super) fn parse_body(
        body_bytes: &Bytes,
        count: usize,
        base: usize,
    ) -> Result<Goodbye, ParseError> {
        let body = &body_bytes[..];
        let list_end = 4 * count;
        if body.len() < list_end {
            return Err(malformed(
                base,
                "BYE source count needs more bytes than the packet length gives",
            ));
        }
        let sources = (0..count).map(|i| be32(body, 4 * i)).collect();
        let reason = match body.get(list_end) {
            None => None,
            Some(&n) => {
                let end = list_end + 1 + usize::from(n);
                if end > body.len() {
                    return Err(malformed(
                        base + list_end,
                        "BYE reason runs past the packet",
                    ));
                }
                Some(body_bytes.slice(list_end + 1..end))
            }
        };
        Ok(Goodbye { sources, reason })
    }

    /// The header's count field and the packet's length.
    pub(super) fn layout(&self) -> Result<(u8, usize), WriteError> {
        let reason = match &self.reason {
            Some(r) if r.len() > 255 => {
                return Err(WriteError::TooLong {
                    what: "BYE reason",
                    len: r.len(),
                    max: 255,
                });
            }
            Some(r) => (1 + r.len()).div_ceil(4) * 4,
            None => 0,
        };
        Ok((
            count("BYE sources", self.sources.len())?,
            4 + 4 * self.sources.len() + reason,
        ))
    }

    pub(super) fn put_body(&self, buf: &mut impl BufMut) {
        for &s in &self.sources {
            buf.put_u32(s);
        }
        if let Some(reason) = &self.reason {
            buf.put_u8(reason.len() as u8);
            buf.put_slice(reason);
            let used = 1 + reason.len();
            buf.put_bytes(0, used.div_ceil(4) * 4 - used);
        }
    }
}
