//! What the lenient reader found outside RFC 8866, and what it did with it.

use core::fmt;

/// One place where a description read by [`SessionDescription::parse`]
/// departs from RFC 8866, and what the reader made of it.
///
/// The lenient reader collects them, in line order, in
/// [`SessionDescription::warnings`]; [`SessionDescription::parse_strict`]
/// returns an error at the first instead.
///
/// [`SessionDescription::parse`]: super::SessionDescription::parse
/// [`SessionDescription::parse_strict`]: super::SessionDescription::parse_strict
/// [`SessionDescription::warnings`]: super::SessionDescription::warnings
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SdpWarning {
    /// The 1-based line the deviation is on (blank lines count). For a
    /// required line that is missing, the line where the session part
    /// ended: the first `m=` line, or the line after the last.
    pub line: usize,
    /// What departs from RFC 8866.
    pub deviation: Deviation,
    /// What the reader did about it.
    pub resolution: Resolution,
}

/// What the lenient reader did with a deviation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Resolution {
    /// The model holds the value as the sender wrote it, and
    /// [`write`](super::SessionDescription::write) writes it again as it
    /// is (a hex session id, an unknown address type, an `rtpmap` for a
    /// payload type `m=` does not list): reading the output warns again.
    Kept,
    /// The model holds the value in its RFC 8866 form (a line put back in
    /// its place, `IP` read as `IN`, a default for a missing field or
    /// line, a character that is not UTF-8 replaced by U+FFFD): the writer
    /// writes RFC 8866.
    Corrected,
    /// The line (or a field of it) is not in the model.
    Dropped,
}

/// How a description departs from RFC 8866.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Deviation {
    /// The line holds bytes that are not UTF-8 (a session name in a
    /// legacy code page): they are replaced by U+FFFD.
    NotUtf8,
    /// The text ends in NUL bytes (a C string's terminator sent along).
    TrailingNul,
    /// The line is not `<type>=<value>` with a lowercase type letter.
    NotALine {
        /// The line as it was.
        text: String,
    },
    /// The type letter is not one RFC 8866 defines.
    UnknownType {
        /// The type letter.
        kind: char,
    },
    /// A required line (`v=`, `o=`, `s=` or `t=`) is missing. The reader
    /// puts in `v=0`, `o=- 0 0 IN IP4 0.0.0.0`, an empty session name
    /// (written `s= `) or `t=0 0`.
    Missing {
        /// The missing line's type letter.
        kind: char,
    },
    /// The line is not where RFC 8866 section 5 puts it (session: `v o s i
    /// u e p c b t r z k a`; media: `i c b k a`; `v=` first, `r=` right
    /// after its `t=`). The model keeps it, and the writer writes it in its
    /// place.
    OutOfOrder {
        /// The type letter.
        kind: char,
    },
    /// A session-level line (`v o s u e p t r z`) inside a media section:
    /// read as the session's.
    SessionLineInMedia {
        /// The type letter.
        kind: char,
    },
    /// A line RFC 8866 allows once per session or media section (`v o s i
    /// u c z k`; `i k` in a media section) appears again: the first is
    /// kept.
    Repeated {
        /// The type letter.
        kind: char,
        /// The value of the line dropped.
        value: String,
    },
    /// The value does not follow the line's grammar (an empty text, a NUL
    /// or CR inside, a bandwidth that is not a number, an `r=` that is not
    /// repeat times, ...).
    Unreadable {
        /// The type letter.
        kind: char,
        /// What was expected.
        what: &'static str,
    },
    /// An `m=` line that does not read (no port, no protocol, a port that
    /// is not a number): the whole media section is dropped.
    UnreadableMedia {
        /// What was expected.
        what: &'static str,
        /// The lines dropped with it, the `m=` line included.
        lines: usize,
    },
    /// `v=` with a version other than 0.
    Version {
        /// The version read.
        found: u32,
    },
    /// A line with more or fewer fields than its grammar (`o=` has six,
    /// `c=` three, `t=` two). The fields whose place is clear are kept
    /// (the network and address types found by their values), the missing
    /// ones filled in, the extra ones dropped.
    FieldCount {
        /// The type letter.
        kind: char,
        /// The fields found.
        found: usize,
        /// The fields the grammar has.
        expected: usize,
    },
    /// `o=` with an empty username: read as `-`, RFC 8866's "no user".
    EmptyUsername,
    /// `o=` session id or version that is not decimal digits (hex, a
    /// decimal point): kept as written.
    NotNumeric {
        /// `sess-id` or `sess-version`.
        field: &'static str,
        /// The value.
        value: String,
    },
    /// A network type other than `IN` (`IP` or `in` are read as `IN`;
    /// anything else is kept).
    NetworkType {
        /// `o` or `c`.
        kind: char,
        /// The network type found.
        found: String,
    },
    /// An address type other than `IP4` or `IP6` (`ip4`, `IPV4` and the
    /// like are read as `IP4` / `IP6`; anything else is kept).
    AddressType {
        /// `o` or `c`.
        kind: char,
        /// The address type found.
        found: String,
    },
    /// An `m=` line without a format.
    NoFormat,
    /// An `rtpmap` or `fmtp` for a payload type the media section's `m=`
    /// line does not list: kept (the typed accessors find it).
    UnlistedFormat {
        /// `rtpmap` or `fmtp`.
        attribute: &'static str,
        /// The format named.
        format: String,
    },
}

impl fmt::Display for Deviation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Deviation::NotUtf8 => write!(f, "bytes that are not UTF-8"),
            Deviation::TrailingNul => write!(f, "NUL bytes after the last line"),
            Deviation::NotALine { text } => write!(f, "not `<type>=<value>`: {text:?}"),
            Deviation::UnknownType { kind } => write!(f, "unknown line type `{kind}=`"),
            Deviation::Missing { kind } => write!(f, "no `{kind}=` line"),
            Deviation::OutOfOrder { kind } => write!(f, "`{kind}=` out of RFC 8866 order"),
            Deviation::SessionLineInMedia { kind } => {
                write!(f, "session-level `{kind}=` inside a media section")
            }
            Deviation::Repeated { kind, value } => {
                write!(f, "a second `{kind}=` line ({value:?})")
            }
            Deviation::Unreadable { kind, what } => write!(f, "`{kind}=`: {what}"),
            Deviation::UnreadableMedia { what, lines } => {
                write!(f, "`m=`: {what} (a media section of {lines} lines)")
            }
            Deviation::Version { found } => write!(f, "`v={found}`, not `v=0`"),
            Deviation::FieldCount {
                kind,
                found,
                expected,
            } => write!(f, "`{kind}=` with {found} fields, not {expected}"),
            Deviation::EmptyUsername => write!(f, "`o=` with an empty username"),
            Deviation::NotNumeric { field, value } => {
                write!(f, "`o=` {field} {value:?} is not decimal digits")
            }
            Deviation::NetworkType { kind, found } => {
                write!(f, "`{kind}=` network type {found:?}, not `IN`")
            }
            Deviation::AddressType { kind, found } => {
                write!(f, "`{kind}=` address type {found:?}, not `IP4` or `IP6`")
            }
            Deviation::NoFormat => write!(f, "`m=` without a format"),
            Deviation::UnlistedFormat { attribute, format } => write!(
                f,
                "`a={attribute}` for format {format:?}, which `m=` does not list"
            ),
        }
    }
}

impl fmt::Display for Resolution {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Resolution::Kept => "kept as written",
            Resolution::Corrected => "read in RFC 8866 form",
            Resolution::Dropped => "dropped",
        })
    }
}

impl fmt::Display for SdpWarning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "SDP line {}: {}; {}",
            self.line, self.deviation, self.resolution
        )
    }
}
