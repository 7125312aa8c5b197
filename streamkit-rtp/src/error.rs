//! The crate's errors, one enum per layer:
//!
//! | error | layer |
//! |-------|-------|
//! | [`ParseError`] | parsing RTP packets, header extensions and RTCP packets |
//! | [`WriteError`] | writing them |
//! | [`SdpError`] | reading and writing SDP, and mapping media sections to codecs |
//! | [`PayloadError`] | the payload formats: packetizers and depacketizers of every codec |
//! | [`SessionError`] | the RTP sessions and the media sender |
//!
//! Each variant says what was wrong and where (a byte offset, a packet's
//! sequence number, an SDP line and column, a track id), so the cause can
//! be found in a capture or a file.
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

/// What went wrong reading or writing SDP.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SdpError {
    /// The text is not UTF-8.
    #[error("SDP is not UTF-8 at byte offset {offset}")]
    NotUtf8 {
        /// Byte offset of the first invalid byte.
        offset: usize,
    },
    /// A line or field does not follow the grammar.
    #[error("SDP line {line}, column {column}: {what}")]
    Syntax {
        /// 1-based line number.
        line: usize,
        /// 1-based column (in characters) where the problem starts.
        column: usize,
        /// What was expected.
        what: &'static str,
    },
    /// A line type appears where the order rules do not allow it.
    #[error("SDP line {line}: `{kind}=` is not allowed here: {what}")]
    Order {
        /// 1-based line number.
        line: usize,
        /// The line type letter.
        kind: char,
        /// Which lines were allowed.
        what: &'static str,
    },
    /// The description ended before a required line.
    #[error("SDP ends without a required `{kind}=` line")]
    Missing {
        /// The missing line type letter.
        kind: char,
    },
    /// An attribute value does not follow its grammar.
    #[error("SDP attribute `a={name}`: {what}")]
    Attribute {
        /// The attribute name.
        name: &'static str,
        /// What was expected.
        what: &'static str,
    },
    /// A field cannot be written without breaking the syntax (it contains
    /// CR, LF or NUL, or a space where the grammar allows a single token).
    #[error("SDP field {field} cannot be written: {what}")]
    Unwritable {
        /// The field.
        field: &'static str,
        /// Why.
        what: &'static str,
    },
    /// The strict reader ([`SessionDescription::parse_strict`]) met a
    /// deviation from RFC 8866 that the lenient reader would have read
    /// with this warning.
    ///
    /// [`SessionDescription::parse_strict`]: crate::sdp::SessionDescription::parse_strict
    #[error("strict SDP: {warning}")]
    Deviation {
        /// The deviation, its line, and what the lenient reader does.
        warning: crate::sdp::SdpWarning,
    },
    /// The text holds no `v=` or `o=` line: it is not a session
    /// description, however leniently read.
    #[error("not a session description: no `v=` or `o=` line")]
    NotSdp,
    /// Base64 text does not decode.
    #[error("base64 at byte offset {offset}: {what}")]
    Base64 {
        /// Byte offset in the base64 text.
        offset: usize,
        /// What was wrong.
        what: &'static str,
    },
    /// A media section does not describe a codec this crate maps, or its
    /// parameters are incomplete or inconsistent.
    #[error("SDP codec: {what}")]
    Codec {
        /// What was wrong.
        what: &'static str,
    },
    /// A codec's configuration in the media section does not parse.
    #[error("SDP codec {encoding}: {error}")]
    CodecConfig {
        /// The encoding name.
        encoding: &'static str,
        /// What was wrong, with the field and where.
        error: streamkit_core::codec::CodecError,
    },
}

/// Why a packetizer or depacketizer refused its configuration, an access
/// unit or a packet (H.264, H.265, AAC, Opus).
///
/// After a depacketizer's error the access unit or frame in progress is
/// dropped (and reported as a loss when it held data); the next packets are
/// taken as usual. A packetizer that refuses an access unit is left as it
/// was.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PayloadError {
    /// The payload size budget is below the smallest the format allows.
    #[error("MTU of {mtu} bytes is below the format's minimum of {min}")]
    MtuTooSmall {
        /// The budget given.
        mtu: usize,
        /// The smallest the format can use.
        min: usize,
    },
    /// An AAC frames-per-packet limit of 0 or above the most a packet
    /// carries.
    #[error("{frames} frames per packet is outside 1..={max}")]
    FramesPerPacket {
        /// The limit given.
        frames: usize,
        /// The largest limit allowed.
        max: usize,
    },
    /// Payloads of the previous access unit (or frame) are still to be
    /// polled: the push was refused.
    #[error("{pending} payload bytes of earlier access units are still to be polled")]
    Pending {
        /// Payload bytes (media and payload headers) not yet handed out.
        pending: usize,
    },
    /// Output of the previous packet is still to be polled: the packet was
    /// not taken.
    #[error("output of earlier packets is still to be polled")]
    OutputPending,
    /// A NAL unit length prefix runs past the end of the access unit.
    #[error("NAL unit length at byte {offset} runs past the end of the access unit")]
    Truncated {
        /// The byte of the length prefix.
        offset: usize,
    },
    /// A NAL unit is shorter than its header, or has a type the RTP format
    /// reserves for its own packets.
    #[error("invalid NAL unit at byte {offset}: {what}")]
    InvalidNalUnit {
        /// The byte of the unit's length prefix.
        offset: usize,
        /// What is wrong.
        what: &'static str,
    },
    /// Packetization mode 0 carries single NAL units only, and this one
    /// does not fit the MTU.
    #[error(
        "NAL unit of {len} bytes at byte {offset:?} exceeds the MTU of {mtu} in single NAL unit mode (offset None: a configured parameter set)"
    )]
    TooLargeForSingleNalUnit {
        /// The byte of the unit's length prefix (`None` for a configured
        /// parameter set).
        offset: Option<usize>,
        /// The unit's length.
        len: usize,
        /// The payload budget.
        mtu: usize,
    },
    /// An AAC frame with no bytes.
    #[error("empty AAC frame at RTP timestamp {timestamp}")]
    EmptyFrame {
        /// The frame's RTP timestamp.
        timestamp: u32,
    },
    /// An AAC frame too large for the 13-bit AU-size of AAC-hbr.
    #[error(
        "AAC frame of {len} bytes at RTP timestamp {timestamp} exceeds the AU-size limit of {max}"
    )]
    FrameTooLarge {
        /// The frame's length.
        len: usize,
        /// The largest frame AAC-hbr describes.
        max: usize,
        /// The frame's RTP timestamp.
        timestamp: u32,
    },
    /// An Opus packet longer than the MTU (RFC 7587 has no fragmentation).
    #[error("Opus packet of {len} bytes exceeds the MTU of {mtu}")]
    PacketTooLarge {
        /// The packet's length.
        len: usize,
        /// The payload budget.
        mtu: usize,
    },
    /// A payload inconsistent with its format (empty, an aggregation unit
    /// running past the end, a fragment without its start, AU sizes that
    /// do not add up, bytes that are not an Opus packet).
    #[error("malformed payload (packet seq {sequence_number:?}) at byte {offset}: {what}")]
    Malformed {
        /// What is wrong.
        what: &'static str,
        /// The RTP packet's sequence number, when it came from one.
        sequence_number: Option<u16>,
        /// Where in the payload (or the Opus packet).
        offset: usize,
    },
    /// A packet type or mode this depacketizer does not take (STAP-B,
    /// MTAP16/24, FU-B, interleaved mode, H.265 PACI or DONL).
    #[error("unsupported {what} (packet type {packet_type}) in packet seq {sequence_number}")]
    Unsupported {
        /// What it is.
        what: &'static str,
        /// The payload's NAL unit type (or the mode asked for).
        packet_type: u8,
        /// The packet's sequence number (0 for a configuration error).
        sequence_number: u16,
    },
    /// The access unit grew past the configured limit: it is dropped.
    #[error("access unit above {limit} bytes at packet seq {sequence_number}: dropped")]
    AccessUnitTooLarge {
        /// The configured limit.
        limit: usize,
        /// The packet that crossed it.
        sequence_number: u16,
    },
    /// Interleaved AAC (a non-zero AU-Index or AU-Index-delta), which the
    /// depacketizer does not reorder.
    #[error("interleaved AAC (AU index {index}) in packet seq {sequence_number} is not supported")]
    Interleaved {
        /// The index or index delta found.
        index: u32,
        /// The packet's sequence number.
        sequence_number: u16,
    },
    /// The packet is older than (or a duplicate of) the last one taken; it
    /// is ignored.
    #[error("packet seq {sequence_number} is not after the last one taken ({last})")]
    OutOfOrder {
        /// The packet's sequence number.
        sequence_number: u16,
        /// The last sequence number taken.
        last: u16,
    },
    /// An `fmtp` parameter is missing, not a number, or out of range.
    #[error("fmtp parameter {name}: {what}")]
    FmtpParameter {
        /// The parameter's name.
        name: &'static str,
        /// What is wrong.
        what: &'static str,
    },
    /// An `fmtp` parameter the depacketizer does not read is present and
    /// not 0.
    #[error("fmtp parameter {name} is not supported")]
    UnsupportedFmtpParameter {
        /// The parameter's name.
        name: &'static str,
    },
    /// The codec has no RTP payload format here (only H.264, H.265, AAC
    /// and Opus have).
    #[error("no RTP payload format for {codec}")]
    UnsupportedCodec {
        /// The codec's RFC 6381 string, or the SDP encoding name.
        codec: String,
    },
    /// The SDP media section does not describe a codec this crate maps.
    #[error("SDP media section: {0}")]
    Sdp(#[from] SdpError),
    /// An MP4A-LATM StreamMuxConfig (in the SDP or in band) or
    /// AudioMuxElement that does not parse, or uses a feature not read
    /// here.
    #[error("MP4A-LATM (packet seq {sequence_number:?}): {error}")]
    Latm {
        /// What the bitstream reader said, with the field and bit.
        error: streamkit_core::codec::CodecError,
        /// The RTP packet's sequence number (`None` for the SDP's
        /// configuration).
        sequence_number: Option<u16>,
    },
}

/// Errors of the RTP sessions and the media sender.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SessionError {
    /// A media time cannot be put on the RTP clock (it overflows).
    #[error("media time {ticks} ticks at {hz} Hz does not fit the RTP clock")]
    MediaTimeOverflow {
        /// The ticks given.
        ticks: i64,
        /// Their timescale.
        hz: u32,
    },
    /// An RTCP datagram did not parse.
    #[error("RTCP: {0}")]
    Rtcp(#[from] ParseError),
    /// A packet could not be written.
    #[error("write: {0}")]
    Write(#[from] WriteError),
    /// A track's packetizer refused its configuration or a sample.
    #[error("track {track_id}: {error}")]
    Payload {
        /// The track.
        track_id: u32,
        /// What the packetizer said.
        error: PayloadError,
    },
    /// A sample or datagram names a track the sender does not send.
    #[error("track {track_id} is not one of the sender's tracks")]
    UnknownTrack {
        /// The track id given.
        track_id: u32,
    },
    /// Two tracks have the same id.
    #[error("track id {track_id} appears twice")]
    DuplicateTrack {
        /// The repeated id.
        track_id: u32,
    },
    /// A sample decodes before the previous sample of its track.
    #[error("track {track_id}: sample at decode time {dts} after one at {previous}")]
    DecodeOrder {
        /// The track.
        track_id: u32,
        /// The sample's decode time (with the pass offset), in the track's ticks.
        dts: i64,
        /// The previous sample's.
        previous: i64,
    },
    /// Too many payloads are waiting to be sent: poll them first.
    #[error("{queued} payloads are waiting to be sent (at most {max})")]
    QueueFull {
        /// Payloads queued.
        queued: usize,
        /// The configured bound.
        max: usize,
    },
    /// The sender was finished or stopped: it takes no more samples.
    #[error("the sender was finished or stopped")]
    Finished,
    /// A further pass needs the tracks' durations, and none is known.
    #[error("no track states its duration, so a pass has no length")]
    UnknownDuration,
}
