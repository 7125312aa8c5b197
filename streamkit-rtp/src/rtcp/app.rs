//! Application-defined packets (APP, packet type 204, RFC 3550 section
//! 6.7).

use bytes::{BufMut, Bytes};

use super::{be32, malformed, multiple_of_4};
use crate::error::{ParseError, WriteError};

/// An application-defined packet (APP, packet type 204).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct App {
    /// The 5-bit subtype.
    pub subtype: u8,
    /// The sender's SSRC.
    pub ssrc: u32,
    /// The four ASCII characters naming the application.
    pub name: [u8; 4],
    /// Application data (a multiple of 4 bytes).
    pub data: Bytes,
}

impl App {
    /// The body after the header (`subtype` from the count field); `base`
    /// is its offset in the datagram.
    pub(super) fn parse_body(
        body_bytes: &Bytes,
        subtype: u8,
        base: usize,
    ) -> Result<App, ParseError> {
        let body = &body_bytes[..];
        let Some(&[n0, n1, n2, n3]) = body.get(4..8) else {
            return Err(malformed(base, "APP packet shorter than SSRC and name"));
        };
        Ok(App {
            subtype,
            ssrc: be32(body, 0),
            name: [n0, n1, n2, n3],
            data: body_bytes.slice(8..),
        })
    }

    /// The header's count field (the subtype) and the packet's length.
    pub(super) fn layout(&self) -> Result<(u8, usize), WriteError> {
        if self.subtype > 31 {
            return Err(WriteError::Invalid {
                what: "APP subtype (must be 0 to 31)",
            });
        }
        multiple_of_4("APP data length (must be a multiple of 4)", self.data.len())?;
        Ok((self.subtype, 12 + self.data.len()))
    }

    pub(super) fn put_body(&self, buf: &mut impl BufMut) {
        buf.put_u32(self.ssrc);
        buf.put_slice(&self.name);
        buf.put_slice(&self.data);
    }
}
