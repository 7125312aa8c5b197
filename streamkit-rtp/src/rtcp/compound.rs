//! Compound RTCP datagrams (RFC 3550 section 6.1): walking, validating,
//! parsing and writing the packets of one datagram.

use bytes::{BufMut, Bytes};

use super::{RtcpHeader, RtcpPacket};
use crate::error::{ParseError, WriteError};

/// Iterator over the packets of an RTCP compound datagram.
///
/// Each header is checked before its packet is parsed; an error in a
/// header ends the iteration (the framing is lost), an error in a body is
/// yielded and the iteration goes on with the next packet.
#[derive(Debug, Clone)]
pub struct CompoundPackets {
    datagram: Bytes,
    offset: usize,
    done: bool,
}

impl CompoundPackets {
    /// The packets of `datagram`.
    #[must_use]
    pub fn new(datagram: Bytes) -> CompoundPackets {
        CompoundPackets {
            datagram,
            offset: 0,
            done: false,
        }
    }

    /// Where the next packet starts.
    #[must_use]
    pub fn offset(&self) -> usize {
        self.offset
    }
}

impl Iterator for CompoundPackets {
    type Item = Result<RtcpPacket, ParseError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done || self.offset >= self.datagram.len() {
            return None;
        }
        let at = self.offset;
        match RtcpHeader::parse(&self.datagram, at) {
            Err(e) => {
                self.done = true;
                Some(Err(e))
            }
            Ok(header) => {
                self.offset = at + header.packet_len();
                Some(RtcpPacket::parse_at(&self.datagram, at).map(|(p, _)| p))
            }
        }
    }
}

/// Checks every packet header of a compound datagram (version, length
/// within the datagram); returns the number of packets.
///
/// # Errors
///
/// [`ParseError::RtcpEmpty`] for an empty datagram, and the first header
/// error, as [`RtcpHeader::parse`].
pub fn validate_compound(datagram: &[u8]) -> Result<usize, ParseError> {
    if datagram.is_empty() {
        return Err(ParseError::RtcpEmpty);
    }
    let mut offset = 0;
    let mut n = 0;
    while offset < datagram.len() {
        offset += RtcpHeader::parse(datagram, offset)?.packet_len();
        n += 1;
    }
    Ok(n)
}

/// Parses a whole compound datagram (reduced-size compounds included).
///
/// # Errors
///
/// The first error found: header errors before any body is parsed (as
/// [`validate_compound`]), then body errors in order.
pub fn parse_compound(datagram: Bytes) -> Result<Vec<RtcpPacket>, ParseError> {
    let n = validate_compound(&datagram)?;
    let mut packets = Vec::with_capacity(n);
    for p in CompoundPackets::new(datagram) {
        packets.push(p?);
    }
    Ok(packets)
}

/// Writes `packets` one after another as a compound; returns the bytes
/// written.
///
/// # Errors
///
/// As [`RtcpPacket::write`]; on `InsufficientSize` (with the whole
/// compound's length) nothing is written.
pub fn write_compound(packets: &[RtcpPacket], buf: &mut impl BufMut) -> Result<usize, WriteError> {
    let mut required = 0;
    for p in packets {
        required += p.encoded_len()?;
    }
    if buf.remaining_mut() < required {
        return Err(WriteError::InsufficientSize { required });
    }
    for p in packets {
        p.write(buf)?;
    }
    Ok(required)
}
