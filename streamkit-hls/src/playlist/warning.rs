//! What the reader accepted although RFC 8216 says otherwise
//! ([`ParseWarning`]), and what the writer writes differently from the
//! declared fields ([`WriteAdjustment`]).

use std::fmt;

/// One deviation from RFC 8216 that the reader accepted because its
/// meaning is clear, with the line it is on (numbered from 1).
///
/// Read them with [`parse_playlist_with_warnings`](super::parse_playlist_with_warnings),
/// [`MediaPlaylist::parse_with_warnings`](super::MediaPlaylist::parse_with_warnings)
/// or [`MultivariantPlaylist::parse_with_warnings`](super::MultivariantPlaylist::parse_with_warnings).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ParseWarning {
    /// The line of the tag (or URI) that deviates.
    pub line: usize,
    /// What deviates, and how it was read.
    pub deviation: Deviation,
}

/// How a playlist deviates from RFC 8216, and how the reader read it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Deviation {
    /// An attribute list with an empty entry: a leading comma
    /// (`#EXT-X-STREAM-INF:,BANDWIDTH=1`) or two commas in a row. The empty
    /// entry is skipped.
    EmptyAttribute {
        /// The tag.
        tag: &'static str,
        /// Column (1-based, in bytes) of the comma that ends the empty
        /// entry.
        column: usize,
    },
    /// A value that is written unquoted came in quotes
    /// (`BANDWIDTH="1280000"`, `TYPE="AUDIO"`, `RESOLUTION="1x1"`,
    /// `IV="0x…"`); read as the value inside the quotes.
    QuotedValue {
        /// The tag.
        tag: &'static str,
        /// The attribute.
        attribute: &'static str,
    },
    /// A value with a quote on one side only (`IV=0x…"`); read without
    /// it.
    StrayQuote {
        /// The tag.
        tag: &'static str,
        /// The attribute.
        attribute: &'static str,
    },
    /// A 128-bit hexadecimal-sequence written as 32 hexadecimal digits
    /// without `0x` (`IV=9A…`); read as hexadecimal, the only reading 32
    /// digits of an IV can have.
    HexWithoutPrefix {
        /// The tag.
        tag: &'static str,
        /// The attribute.
        attribute: &'static str,
    },
    /// A URI line right after an EXT-X-MEDIA or EXT-X-I-FRAME-STREAM-INF
    /// that repeats the tag's own URI attribute (those tags carry their URI
    /// as an attribute, and have no URI line). The line is skipped.
    RepeatedUri {
        /// The tag whose URI the line repeats.
        tag: &'static str,
    },
    /// EXT-X-TARGETDURATION is below the longest EXTINF rounded to the
    /// nearest second (RFC 8216 section 4.3.3.1 requires at least that);
    /// the writer writes `longest` (see
    /// [`MediaPlaylist::written_target_duration`](super::MediaPlaylist::written_target_duration)).
    TargetDurationBelowSegment {
        /// The declared value.
        declared: u64,
        /// The longest EXTINF, rounded.
        longest: u64,
    },
    /// A media playlist with segments and no EXT-X-TARGETDURATION (a
    /// required tag); the writer derives it from the segments. The line is
    /// that of the first EXTINF.
    MissingTargetDuration,
    /// EXT-X-VERSION is below what the playlist's features need; the
    /// writer writes `required` (see
    /// [`MediaPlaylist::required_version`](super::MediaPlaylist::required_version)).
    VersionBelowFeatures {
        /// The declared version.
        declared: u64,
        /// The lowest version the features need.
        required: u64,
    },
}

impl fmt::Display for ParseWarning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: ", self.line)?;
        match &self.deviation {
            Deviation::EmptyAttribute { tag, column } => {
                write!(f, "{tag}: empty attribute at column {column}, skipped")
            }
            Deviation::QuotedValue { tag, attribute } => {
                write!(f, "{tag}: {attribute} is quoted, read unquoted")
            }
            Deviation::StrayQuote { tag, attribute } => {
                write!(f, "{tag}: {attribute} has a stray quote, read without it")
            }
            Deviation::HexWithoutPrefix { tag, attribute } => {
                write!(f, "{tag}: {attribute} lacks 0x, read as hexadecimal")
            }
            Deviation::RepeatedUri { tag } => {
                write!(f, "URI line repeats the {tag} URI attribute, skipped")
            }
            Deviation::TargetDurationBelowSegment { declared, longest } => write!(
                f,
                "EXT-X-TARGETDURATION {declared} is below the longest EXTINF ({longest} s rounded)"
            ),
            Deviation::MissingTargetDuration => {
                f.write_str("media playlist without EXT-X-TARGETDURATION")
            }
            Deviation::VersionBelowFeatures { declared, required } => write!(
                f,
                "EXT-X-VERSION {declared} is below the {required} the playlist's features need"
            ),
        }
    }
}

/// A field the writer writes differently from the value the model
/// declares, because the declared value would make the playlist invalid.
/// [`MediaPlaylist::write_adjustments`](super::MediaPlaylist::write_adjustments)
/// and [`MultivariantPlaylist::write_adjustments`](super::MultivariantPlaylist::write_adjustments)
/// list them before writing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum WriteAdjustment {
    /// `target_duration` is below the longest EXTINF rounded; the writer
    /// writes the rounded longest EXTINF.
    TargetDurationRaised {
        /// The model's value.
        declared: u64,
        /// The value written.
        written: u64,
    },
    /// `version` is below what the features need; the writer writes the
    /// required version.
    VersionRaised {
        /// The model's value.
        declared: u64,
        /// The value written.
        written: u64,
    },
}

/// Where the readers collect warnings: the line being read and the list.
pub(crate) struct Warnings {
    pub(crate) list: Vec<ParseWarning>,
}

impl Warnings {
    pub(crate) fn new() -> Warnings {
        Warnings { list: Vec::new() }
    }

    pub(crate) fn push(&mut self, line: usize, deviation: Deviation) {
        self.list.push(ParseWarning { line, deviation });
    }

    /// The warnings by line (stable: those of one line stay in the order
    /// they were found).
    pub(crate) fn into_sorted(mut self) -> Vec<ParseWarning> {
        self.list.sort_by_key(|w| w.line);
        self.list
    }
}
