//! Errors of the playlist layer: reading (with line numbers), writing, and
//! delta updates.

/// Why a playlist could not be read. Lines are numbered from 1.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ParseError {
    /// The text is not UTF-8.
    #[error("playlist is not UTF-8 (invalid byte at offset {offset})")]
    NotUtf8 {
        /// Byte offset of the first invalid byte.
        offset: usize,
    },
    /// The first tag is not `#EXTM3U`.
    #[error("line {line}: playlist does not start with #EXTM3U")]
    MissingHeader {
        /// The first line that is not blank or a comment (0 for empty input).
        line: usize,
    },
    /// A tag's value is malformed.
    #[error("line {line}: {tag}: {reason}")]
    InvalidTag {
        /// Line of the tag.
        line: usize,
        /// Tag name (`EXTINF`, `EXT-X-TARGETDURATION`).
        tag: &'static str,
        /// What is wrong.
        reason: &'static str,
    },
    /// An attribute list is malformed.
    #[error("line {line}: {tag}: malformed attribute list at column {column}: {reason}")]
    AttributeList {
        /// Line of the tag.
        line: usize,
        /// Tag name.
        tag: &'static str,
        /// Column (1-based, in bytes) where reading failed.
        column: usize,
        /// What is wrong.
        reason: &'static str,
    },
    /// A required attribute is missing or has the wrong kind of value.
    #[error("line {line}: {tag}: attribute {attribute}: {reason}")]
    InvalidAttribute {
        /// Line of the tag.
        line: usize,
        /// Tag name.
        tag: &'static str,
        /// Attribute name.
        attribute: &'static str,
        /// What is wrong (`missing`, `not a decimal-integer`).
        reason: &'static str,
    },
    /// A tag of a multivariant playlist in a media playlist, or the reverse.
    #[error("line {line}: {tag} does not belong in a {playlist} playlist")]
    MixedPlaylist {
        /// Line of the tag.
        line: usize,
        /// Tag name.
        tag: &'static str,
        /// `media` or `multivariant`.
        playlist: &'static str,
    },
    /// A media segment's tags (EXTINF, ...) are not followed by its URI, or
    /// an EXT-X-STREAM-INF is not followed by its URI.
    #[error("line {line}: {tag} is not followed by a URI line")]
    MissingUri {
        /// Line of the tag that wants a URI.
        line: usize,
        /// Tag name.
        tag: &'static str,
    },
    /// A URI line where none belongs (no EXTINF or EXT-X-STREAM-INF before
    /// it).
    #[error("line {line}: URI line without {expected} before it")]
    UnexpectedUri {
        /// Line of the URI.
        line: usize,
        /// The tag that should come first.
        expected: &'static str,
    },
}

/// Why a playlist value could not be written: some text in it would not
/// read back as the same value (a URI with a line break, a quoted string
/// with a `"`, a tag name that is not one).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum WriteError {
    /// A text field cannot be written as it is.
    #[error("cannot write {what}: {reason}")]
    InvalidText {
        /// Which field (`segment URI`, `EXT-X-MEDIA NAME`).
        what: &'static str,
        /// Why (`contains a line break`).
        reason: &'static str,
    },
    /// A program date-time outside what RFC 3339 can write.
    #[error("cannot write EXT-X-PROGRAM-DATE-TIME: date out of range")]
    DateOutOfRange,
}

/// Why a delta update could not be made or merged.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DeltaError {
    /// A delta update was asked of a playlist that is already one.
    #[error("playlist already has EXT-X-SKIP")]
    AlreadyDelta,
    /// The previous playlist lacks segments the delta update skipped.
    #[error(
        "previous playlist does not hold the skipped segments {first}..{end} (it holds {held_first}..{held_end})"
    )]
    MissingSegments {
        /// First skipped media sequence number.
        first: u64,
        /// One past the last skipped media sequence number.
        end: u64,
        /// First media sequence number of the previous playlist.
        held_first: u64,
        /// One past its last.
        held_end: u64,
    },
}
