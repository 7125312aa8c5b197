//! The 4-byte header every RTCP packet starts with (RFC 3550 section 6.4.1).

use bytes::BufMut;

use crate::error::ParseError;

/// The 4-byte header common to every RTCP packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RtcpHeader {
    /// The P bit.
    pub padding: bool,
    /// The 5-bit count (reports, chunks, sources) or feedback format.
    pub count: u8,
    /// The packet type.
    pub packet_type: u8,
    /// The length in 32-bit words minus one.
    pub length_words: u16,
}

impl RtcpHeader {
    /// The whole packet's length in bytes, header included.
    #[must_use]
    pub const fn packet_len(&self) -> usize {
        (self.length_words as usize + 1) * 4
    }

    /// Reads and checks the header of the packet at `offset` in `datagram`;
    /// returns it with the packet's length.
    ///
    /// # Errors
    ///
    /// [`ParseError::TooShort`], [`ParseError::BadVersion`] or
    /// [`ParseError::RtcpLengthPastEnd`].
    pub fn parse(datagram: &[u8], offset: usize) -> Result<RtcpHeader, ParseError> {
        let rest = datagram.get(offset..).unwrap_or(&[]);
        let Some(&[b0, b1, l0, l1]) = rest.first_chunk::<4>() else {
            return Err(ParseError::TooShort { offset, needed: 4 });
        };
        let version = b0 >> 6;
        if version != 2 {
            return Err(ParseError::BadVersion { offset, version });
        }
        let header = RtcpHeader {
            padding: b0 & 0x20 != 0,
            count: b0 & 0x1F,
            packet_type: b1,
            length_words: u16::from_be_bytes([l0, l1]),
        };
        if header.packet_len() > rest.len() {
            return Err(ParseError::RtcpLengthPastEnd {
                offset,
                length_words: header.length_words,
                available: rest.len(),
            });
        }
        Ok(header)
    }

    pub(super) fn put(&self, buf: &mut impl BufMut) {
        buf.put_u8(0x80 | if self.padding { 0x20 } else { 0 } | (self.count & 0x1F));
        buf.put_u8(self.packet_type);
        buf.put_u16(self.length_words);
    }
}
