//! Picture loss indications (payload-specific feedback, packet type 206,
//! format 1, RFC 4585 section 6.3.1).

use bytes::BufMut;

use super::{FMT_PLI, feedback_ssrcs, malformed};
use crate::error::{ParseError, WriteError};

/// A picture loss indication (payload-specific feedback, packet type 206,
/// format 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PictureLossIndication {
    /// The SSRC of the packet's sender.
    pub sender_ssrc: u32,
    /// The SSRC of the media source whose picture was lost.
    pub media_ssrc: u32,
}

impl PictureLossIndication {
    /// The body after the header; `base` is its offset in the datagram.
    pub(super) fn parse_body(
        body: &[u8],
        base: usize,
    ) -> Result<PictureLossIndication, ParseError> {
        let (sender_ssrc, media_ssrc) = feedback_ssrcs(body, base)?;
        if body.len() > 8 {
            return Err(malformed(
                base + 8,
                "picture loss indication with feedback control information",
            ));
        }
        Ok(PictureLossIndication {
            sender_ssrc,
            media_ssrc,
        })
    }

    /// The header's format field and the packet's length.
    pub(super) fn layout(&self) -> Result<(u8, usize), WriteError> {
        Ok((FMT_PLI, 12))
    }

    pub(super) fn put_body(&self, buf: &mut impl BufMut) {
        buf.put_u32(self.sender_ssrc);
        buf.put_u32(self.media_ssrc);
    }
}
