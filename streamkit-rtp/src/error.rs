//! Errors of the packet layer: parsing RTP packets, RTP header extensions
//! and RTCP packets ([`ParseError`]), and writing them ([`WriteError`]).
//!
//! Every parse error names the byte offset, counted from the start of the
//! datagram handed to the parser, where the problem was found, so a capture
//! can be inspected at that position.
//!
//! ```
//! use bytes::Bytes;
//! use streamkit_rtp::error::ParseError;
//! use streamkit_rtp::packet::RtpPacket;
//!
//! // Version 1 instead of 2.
//! let err = RtpPacket::parse(Bytes::from_static(&[0x40; 12])).unwrap_err();
//! assert_eq!(err, ParseError::BadVersion { offset: 0, version: 1 });
//! ```

/// Why a datagram is not a valid RTP packet, header extension or RTCP
/// packet, and where.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ParseError {
    /// The datagram ended early: `needed` bytes were needed at `offset`.
    #[error("datagram too short: {needed} bytes needed at byte {offset}")]
    TooShort {
        /// Where the missing field starts.
        offset: usize,
        /// How many bytes the field needs from `offset`.
        needed: usize,
    },
    /// The version field (the two top bits of the first byte) is not 2.
    #[error("version {version} at byte {offset}, expected 2")]
    BadVersion {
        /// The byte holding the version.
        offset: usize,
        /// The version found.
        version: u8,
    },
    /// The P bit is set but the padding count (the last byte) is zero.
    #[error("padding bit set but the padding count at byte {offset} is zero")]
    PaddingZero {
        /// The byte holding the padding count.
        offset: usize,
    },
    /// The padding count (the last byte) claims more bytes than the packet
    /// has after its header.
    #[error(
        "padding of {padding} bytes at byte {offset} exceeds the {available} bytes after the header"
    )]
    PaddingTooLong {
        /// The byte holding the padding count.
        offset: usize,
        /// The padding count.
        padding: u8,
        /// The bytes available for payload and padding.
        available: usize,
    },
    /// The CSRC count says more CSRCs than the datagram holds.
    #[error("{count} CSRCs announced at byte {offset} run past the end of the datagram")]
    CsrcPastEnd {
        /// The byte holding the CSRC count.
        offset: usize,
        /// The CSRC count.
        count: u8,
    },
    /// The RTP header extension's length runs past the end of the datagram.
    #[error("header extension of {length_words} words at byte {offset} runs past the end")]
    ExtensionPastEnd {
        /// The byte where the extension header (profile) starts.
        offset: usize,
        /// The extension length in 32-bit words.
        length_words: u16,
    },
    /// An RFC 8285 extension element's length runs past the extension block.
    #[error(
        "header extension element id {id} of {length} bytes at byte {offset} runs past the extension"
    )]
    ExtensionElementPastEnd {
        /// The byte where the element's header starts.
        offset: usize,
        /// The element id.
        id: u8,
        /// The element's data length.
        length: usize,
    },
    /// An RTCP packet's length field runs past the end of the compound
    /// datagram.
    #[error(
        "RTCP packet of {length_words}+1 words at byte {offset} runs past the end of the compound ({available} bytes left)"
    )]
    RtcpLengthPastEnd {
        /// The byte where the RTCP packet starts.
        offset: usize,
        /// The length field (32-bit words minus one).
        length_words: u16,
        /// The bytes left in the datagram from `offset`.
        available: usize,
    },
    /// The datagram holds no RTCP packet at all.
    #[error("empty RTCP compound packet")]
    RtcpEmpty,
    /// An RTCP packet body is inconsistent with its header (its count needs
    /// more bytes than its length gives, an SDES item list is not
    /// terminated, ...).
    #[error("malformed RTCP packet at byte {offset}: {what}")]
    RtcpMalformed {
        /// Where the inconsistent field starts.
        offset: usize,
        /// What is wrong.
        what: &'static str,
    },
}

/// Why a packet could not be written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum WriteError {
    /// The caller's buffer is too small: the packet needs `required` bytes.
    #[error("buffer too small: {required} bytes required")]
    InsufficientSize {
        /// The bytes the whole packet needs.
        required: usize,
    },
    /// A list has more entries than its count field can say.
    #[error("too many {what}: {count}, at most {max}")]
    TooMany {
        /// What was counted.
        what: &'static str,
        /// How many were given.
        count: usize,
        /// The most the field can say.
        max: usize,
    },
    /// A field or element is longer than its length field can say.
    #[error("{what} too long: {len} bytes, at most {max}")]
    TooLong {
        /// What was too long.
        what: &'static str,
        /// Its length.
        len: usize,
        /// The most the field can say.
        max: usize,
    },
    /// A value is outside its field's range (a payload type above 127, an
    /// extension element id the form cannot carry, ...).
    #[error("invalid {what}")]
    Invalid {
        /// What is invalid.
        what: &'static str,
    },
}
