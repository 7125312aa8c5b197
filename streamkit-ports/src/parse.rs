//! What the two registry-file parsers share: errors with line and column,
//! strict and lenient modes, the line-length bound and port parsing.

use std::fmt;

use crate::transport::{PortRange, Transport};

/// The longest line (or, in CSV, record) the parsers accept, in bytes.
///
/// The longest record in the IANA registry is a few kilobytes; anything this
/// long is not a registry file.
pub const MAX_LINE_BYTES: usize = 64 * 1024;

/// Whether a parser stops at the first error or keeps going.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Mode {
    /// Return the first error.
    #[default]
    Strict,
    /// Skip bad lines, collect their errors in [`Parsed::errors`] and keep
    /// parsing.
    Lenient,
}

/// The records a parser read, and in lenient mode the errors it skipped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Parsed<T> {
    /// The well-formed records, in input order.
    pub records: Vec<T>,
    /// One error per skipped line or record, in input order; always empty in
    /// strict mode.
    pub errors: Vec<ParseError>,
}

/// A malformed registry file: what is wrong and where.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}, column {column}: {kind}")]
pub struct ParseError {
    /// 1-based line number.
    pub line: usize,
    /// 1-based column, counted in bytes from the start of the line.
    pub column: usize,
    /// What is wrong.
    pub kind: ParseErrorKind,
}

/// What is wrong with a line of a registry file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ParseErrorKind {
    /// A port number of 0 or above 65535 (the value saturates at `u32::MAX`).
    #[error("port {value} is out of range 1-65535")]
    PortOutOfRange {
        /// The number as written.
        value: u32,
    },
    /// A port that is not a decimal number or range.
    #[error("port is not a decimal number or range")]
    InvalidPort,
    /// A range whose last port is below its first.
    #[error("port range {first}-{last} is reversed")]
    ReversedRange {
        /// The first port as written.
        first: u16,
        /// The last port as written.
        last: u16,
    },
    /// A transport other than tcp, udp, sctp or dccp.
    #[error("unknown transport {name:?} (expected tcp, udp, sctp or dccp)")]
    UnknownTransport {
        /// The transport as written, cut to 32 bytes.
        name: String,
    },
    /// A required field is absent or empty.
    #[error("missing field: {field}")]
    MissingField {
        /// The field's name.
        field: &'static str,
    },
    /// More fields than the format has.
    #[error("too many fields (expected {expected})")]
    TooManyFields {
        /// How many fields the format has.
        expected: usize,
    },
    /// The CSV header is not the IANA registry's.
    #[error("not the IANA registry header")]
    BadHeader,
    /// A quoted CSV field runs to the end of the input.
    #[error("quoted field is never closed")]
    UnterminatedQuote,
    /// Something other than a comma or line end follows a closing quote.
    #[error("unexpected character after a closing quote")]
    CharacterAfterQuote,
    /// Bytes that are not UTF-8.
    #[error("invalid UTF-8")]
    InvalidUtf8,
    /// A line or record longer than [`MAX_LINE_BYTES`].
    #[error("line longer than {limit} bytes")]
    LineTooLong {
        /// The limit.
        limit: usize,
    },
}

/// Finds the line and column of absolute byte `offset`, given that
/// `line_start` (at or before `offset`) begins line `line`.
pub(crate) fn locate(
    input: &[u8],
    line_start: usize,
    line: usize,
    offset: usize,
) -> (usize, usize) {
    let stretch = input.get(line_start..offset).unwrap_or_default();
    let newlines = stretch.iter().filter(|&&b| b == b'\n').count();
    let last_start = match stretch.iter().rposition(|&b| b == b'\n') {
        Some(i) => line_start + i + 1,
        None => line_start,
    };
    (line + newlines, offset.saturating_sub(last_start) + 1)
}

/// An error at a known line and column.
pub(crate) fn at(line: usize, column: usize, kind: ParseErrorKind) -> ParseError {
    ParseError { line, column, kind }
}

/// Parses `80` or `6000-6063`. `column` is where `text` starts; errors point
/// at the offending number.
pub(crate) fn parse_ports(text: &str, line: usize, column: usize) -> Result<PortRange, ParseError> {
    let (first_text, last_text) = match text.split_once('-') {
        Some((a, b)) => (a, Some(b)),
        None => (text, None),
    };
    let first = parse_port(first_text, line, column)?;
    let Some(last_text) = last_text else {
        return PortRange::single(first).ok_or(at(
            line,
            column,
            ParseErrorKind::PortOutOfRange { value: 0 },
        ));
    };
    let last_column = column + first_text.len() + 1;
    let last = parse_port(last_text, line, last_column)?;
    PortRange::new(first, last).ok_or(at(
        line,
        column,
        ParseErrorKind::ReversedRange { first, last },
    ))
}

fn parse_port(text: &str, line: usize, column: usize) -> Result<u16, ParseError> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(at(line, column, ParseErrorKind::InvalidPort));
    }
    let value = text.bytes().fold(0u32, |acc, b| {
        acc.saturating_mul(10).saturating_add(u32::from(b - b'0'))
    });
    match u16::try_from(value) {
        Ok(port) if port != 0 => Ok(port),
        _ => Err(at(line, column, ParseErrorKind::PortOutOfRange { value })),
    }
}

/// Parses a transport name; errors name it (cut short).
pub(crate) fn parse_transport(
    text: &str,
    line: usize,
    column: usize,
) -> Result<Transport, ParseError> {
    Transport::from_name(text).ok_or_else(|| {
        let mut end = text.len().min(32);
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        at(
            line,
            column,
            ParseErrorKind::UnknownTransport {
                name: text.get(..end).unwrap_or_default().to_owned(),
            },
        )
    })
}

/// Checks one line of UTF-8; the error points at the first bad byte.
pub(crate) fn utf8_at(bytes: &[u8], line: usize, column: usize) -> Result<&str, ParseError> {
    std::str::from_utf8(bytes)
        .map_err(|e| at(line, column + e.valid_up_to(), ParseErrorKind::InvalidUtf8))
}

impl<T> Parsed<T> {
    pub(crate) fn new() -> Self {
        Parsed {
            records: Vec::new(),
            errors: Vec::new(),
        }
    }

    /// Records `error`: in strict mode hands it back to stop the parse.
    pub(crate) fn fail(&mut self, mode: Mode, error: ParseError) -> Result<(), ParseError> {
        match mode {
            Mode::Strict => Err(error),
            Mode::Lenient => {
                self.errors.push(error);
                Ok(())
            }
        }
    }
}

impl fmt::Display for Mode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Mode::Strict => "strict",
            Mode::Lenient => "lenient",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ports() {
        assert_eq!(
            parse_ports("80", 1, 1).unwrap(),
            PortRange::single(80).unwrap()
        );
        assert_eq!(
            parse_ports("6000-6063", 1, 1).unwrap(),
            PortRange::new(6000, 6063).unwrap()
        );
        let err = |t: &str| parse_ports(t, 3, 10).unwrap_err();
        assert_eq!(
            err("0"),
            at(3, 10, ParseErrorKind::PortOutOfRange { value: 0 })
        );
        assert_eq!(
            err("65536"),
            at(3, 10, ParseErrorKind::PortOutOfRange { value: 65536 })
        );
        assert_eq!(
            err("99999999999999"),
            at(3, 10, ParseErrorKind::PortOutOfRange { value: u32::MAX })
        );
        assert_eq!(err("70-65536").column, 13);
        assert_eq!(
            err("6063-6000"),
            at(
                3,
                10,
                ParseErrorKind::ReversedRange {
                    first: 6063,
                    last: 6000
                }
            )
        );
        assert_eq!(err("").kind, ParseErrorKind::InvalidPort);
        assert_eq!(err("8a").kind, ParseErrorKind::InvalidPort);
        assert_eq!(err("-5").kind, ParseErrorKind::InvalidPort);
        assert_eq!(err("5-").kind, ParseErrorKind::InvalidPort);
        assert_eq!(err("+5").kind, ParseErrorKind::InvalidPort);
    }

    #[test]
    fn locate_counts_lines_and_columns() {
        let input = b"ab\ncde\nf";
        assert_eq!(locate(input, 0, 1, 0), (1, 1));
        assert_eq!(locate(input, 0, 1, 4), (2, 2));
        assert_eq!(locate(input, 3, 2, 7), (3, 1));
    }

    #[test]
    fn display() {
        let e = at(
            4,
            7,
            ParseErrorKind::UnknownTransport { name: "ddp".into() },
        );
        assert_eq!(
            e.to_string(),
            "line 4, column 7: unknown transport \"ddp\" (expected tcp, udp, sctp or dccp)"
        );
    }
}
