//! The `/etc/services` format: `name port/protocol [aliases...] [# comment]`.
//!
//! Fields are separated by spaces or tabs; `#` starts a comment that runs to
//! the end of the line; lines holding only a comment or blanks are skipped.
//! Besides single ports, a range such as `6000-6063/tcp` is read (glibc
//! itself reads only single ports).
//!
//! ```
//! use streamkit_ports::{parse_services, write_services, Mode, Transport};
//!
//! let text = "# Network services\nhttp\t80/tcp\twww\t# WorldWideWeb HTTP\nrtsp 554/udp\n";
//! let parsed = parse_services(text, Mode::Strict)?;
//! let http = &parsed.records[0];
//! assert_eq!((http.name, http.ports.first(), http.transport), ("http", 80, Transport::Tcp));
//! assert_eq!(http.aliases, ["www"]);
//! assert_eq!(http.comment, Some("WorldWideWeb HTTP"));
//!
//! let mut out = String::new();
//! write_services(&parsed.records, &mut out);
//! assert_eq!(parse_services(&out, Mode::Strict)?.records, parsed.records);
//! # Ok::<(), streamkit_ports::ParseError>(())
//! ```

use crate::ParseError;
use crate::parse::{
    MAX_LINE_BYTES, Mode, ParseErrorKind, Parsed, at, parse_ports, parse_transport, utf8_at,
};
use crate::service::{Registration, Service};
use crate::transport::{PortRange, Transport, Transports};

/// One line of a services file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServicesEntry<'a> {
    /// The official name.
    pub name: &'a str,
    /// The port (or range).
    pub ports: PortRange,
    /// The transport.
    pub transport: Transport,
    /// Other names.
    pub aliases: Vec<&'a str>,
    /// The comment after `#`, trimmed; `None` when the line has no `#`.
    pub comment: Option<&'a str>,
}

impl ServicesEntry<'_> {
    /// The service this line describes, for a [`Registry`](crate::Registry),
    /// marked [`Registration::Local`]; its comment becomes the description.
    #[must_use]
    pub fn to_service(&self) -> Service {
        Service::new(
            self.name.to_ascii_lowercase(),
            self.ports,
            Transports::only(self.transport),
            Registration::Local,
        )
        .with_aliases(
            self.aliases
                .iter()
                .map(|a| a.to_ascii_lowercase())
                .collect(),
        )
        .with_description(self.comment.unwrap_or_default().to_owned())
    }
}

/// Blanks separate words: spaces and tabs, and also a stray carriage
/// return, vertical tab or form feed, so that no word can hold a character
/// that a writer would turn into part of a line ending.
fn is_blank(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | 0x0b | 0x0c)
}

/// Splits on spaces and tabs, giving each word with its byte offset.
fn words(line: &str) -> impl Iterator<Item = (usize, &str)> {
    let bytes = line.as_bytes();
    let mut pos = 0;
    std::iter::from_fn(move || {
        while bytes.get(pos).is_some_and(|&b| is_blank(b)) {
            pos += 1;
        }
        if pos >= bytes.len() {
            return None;
        }
        let start = pos;
        while bytes.get(pos).is_some_and(|&b| !is_blank(b)) {
            pos += 1;
        }
        line.get(start..pos).map(|w| (start, w))
    })
}

/// Parses one line (without its line break); `Ok(None)` for a blank or
/// comment-only line.
fn parse_line(bytes: &[u8], line: usize) -> Result<Option<ServicesEntry<'_>>, ParseError> {
    if bytes.len() > MAX_LINE_BYTES {
        return Err(at(
            line,
            1,
            ParseErrorKind::LineTooLong {
                limit: MAX_LINE_BYTES,
            },
        ));
    }
    let text = utf8_at(bytes, line, 1)?;
    let (fields, comment) = match text.split_once('#') {
        Some((fields, comment)) => (
            fields,
            Some(comment.trim_matches(|c: char| u8::try_from(c).is_ok_and(is_blank))),
        ),
        None => (text, None),
    };
    let mut words = words(fields);
    let Some((at_name, name)) = words.next() else {
        return Ok(None);
    };
    let Some((at_port, port_proto)) = words.next() else {
        return Err(at(
            line,
            at_name + name.len() + 1,
            ParseErrorKind::MissingField {
                field: "port/protocol",
            },
        ));
    };
    let Some((port_text, proto_text)) = port_proto.split_once('/') else {
        return Err(at(
            line,
            at_port + port_proto.len() + 1,
            ParseErrorKind::MissingField { field: "protocol" },
        ));
    };
    let ports = parse_ports(port_text, line, at_port + 1)?;
    let transport = parse_transport(proto_text, line, at_port + port_text.len() + 2)?;
    Ok(Some(ServicesEntry {
        name,
        ports,
        transport,
        aliases: words.map(|(_, w)| w).collect(),
        comment,
    }))
}

/// Parses a services file. Lines end with `\n` or `\r\n`.
///
/// # Errors
///
/// In [`Mode::Strict`], the first malformed line. In [`Mode::Lenient`],
/// never: bad lines are skipped and their errors collected.
pub fn parse_services(text: &str, mode: Mode) -> Result<Parsed<ServicesEntry<'_>>, ParseError> {
    parse_services_bytes(text.as_bytes(), mode)
}

/// [`parse_services`] for bytes that may not be UTF-8: a line that is not is
/// an [`InvalidUtf8`](ParseErrorKind::InvalidUtf8) error at its first bad
/// byte.
///
/// # Errors
///
/// As [`parse_services`].
pub fn parse_services_bytes(
    input: &[u8],
    mode: Mode,
) -> Result<Parsed<ServicesEntry<'_>>, ParseError> {
    let mut parsed = Parsed::new();
    let mut rest = input;
    let mut line = 0;
    while !rest.is_empty() {
        line += 1;
        let (mut bytes, next) = match rest.iter().position(|&b| b == b'\n') {
            Some(i) => (
                rest.get(..i).unwrap_or_default(),
                rest.get(i + 1..).unwrap_or_default(),
            ),
            None => (rest, &[][..]),
        };
        rest = next;
        if let Some(stripped) = bytes.strip_suffix(b"\r") {
            bytes = stripped;
        }
        match parse_line(bytes, line) {
            Ok(Some(entry)) => parsed.records.push(entry),
            Ok(None) => {}
            Err(error) => parsed.fail(mode, error)?,
        }
    }
    Ok(parsed)
}

/// Writes `entries` in the services format, one per line:
/// `name<TAB>port/proto[<TAB>alias...][<TAB># comment]`. [`parse_services`]
/// reads back exactly the entries written, provided names and aliases are
/// non-empty words without blanks or `#`, and comments are trimmed and hold
/// no line break.
pub fn write_services<'r, 'a: 'r>(
    entries: impl IntoIterator<Item = &'r ServicesEntry<'a>>,
    out: &mut String,
) {
    for e in entries {
        out.push_str(e.name);
        out.push('\t');
        out.push_str(&e.ports.to_string());
        out.push('/');
        out.push_str(e.transport.as_str());
        for a in &e.aliases {
            out.push('\t');
            out.push_str(a);
        }
        if let Some(comment) = e.comment {
            out.push_str("\t# ");
            out.push_str(comment);
        }
        out.push('\n');
    }
}

#[cfg(test)]
mod tests {
    /// Found by the `ports_services` fuzz target: a lone carriage return
    /// read as an alias came back, once written, as a CRLF line ending.
    #[test]
    fn carriage_return_is_a_blank_not_a_word() {
        for input in ["3\t1/tcp\t\r\t", "o\t4/udp \r\r"] {
            let parsed = parse_services(input, Mode::Strict).unwrap();
            assert!(parsed.records[0].aliases.is_empty(), "{input:?}");
            let mut written = String::new();
            write_services(&parsed.records, &mut written);
            let again = parse_services(&written, Mode::Strict).unwrap();
            assert_eq!(again.records, parsed.records);
        }
    }

    use super::*;

    fn err(text: &str) -> ParseError {
        parse_services(text, Mode::Strict).unwrap_err()
    }

    #[test]
    fn reads_the_debian_layout() {
        let text = "# Network services, Internet style\n\
                    \n\
                    tcpmux\t\t1/tcp\t\t\t\t# TCP port service multiplexer\n\
                    discard\t\t9/udp\t\tsink null\r\n\
                    kerberos\t88/tcp\t\tkerberos5 krb5 kerberos-sec\t# Kerberos v5\n\
                    x11\t6000-6063/tcp\n\
                    \t   # indented comment\n\
                    ssh 22/tcp#no space before the comment";
        let p = parse_services(text, Mode::Strict).unwrap();
        assert_eq!(p.records.len(), 5);
        assert_eq!(p.records[0].comment, Some("TCP port service multiplexer"));
        assert_eq!(p.records[1].aliases, ["sink", "null"]);
        assert_eq!(p.records[1].comment, None);
        assert_eq!(p.records[2].aliases, ["kerberos5", "krb5", "kerberos-sec"]);
        assert_eq!(p.records[3].ports, PortRange::new(6000, 6063).unwrap());
        assert_eq!(p.records[4].comment, Some("no space before the comment"));
        let service = p.records[2].to_service();
        assert!(service.is_named("krb5"));
        assert_eq!(service.registration(), Registration::Local);
        assert_eq!(service.description(), "Kerberos v5");
    }

    #[test]
    fn errors_name_line_and_column() {
        let e = err("ok 1/tcp\nrtmp\t\t1/ddp\t\t\t# Routing Table Maintenance Protocol\n");
        assert_eq!((e.line, e.column), (2, 9));
        assert_eq!(
            e.kind,
            ParseErrorKind::UnknownTransport { name: "ddp".into() }
        );
        let e = err("zero 0/tcp");
        assert_eq!(
            (e.line, e.column, e.kind),
            (1, 6, ParseErrorKind::PortOutOfRange { value: 0 })
        );
        let e = err("big 65536/udp");
        assert_eq!(e.kind, ParseErrorKind::PortOutOfRange { value: 65536 });
        let e = err("r 20-10/udp");
        assert_eq!(
            e.kind,
            ParseErrorKind::ReversedRange {
                first: 20,
                last: 10
            }
        );
        let e = err("  lonely   # no port");
        assert_eq!((e.line, e.column), (1, 9));
        assert_eq!(
            e.kind,
            ParseErrorKind::MissingField {
                field: "port/protocol"
            }
        );
        let e = err("noproto 80");
        assert_eq!(
            (e.column, e.kind),
            (11, ParseErrorKind::MissingField { field: "protocol" })
        );
        let e = err("a 80/");
        assert_eq!(
            e.kind,
            ParseErrorKind::UnknownTransport {
                name: String::new()
            }
        );
        let e = err("a x/tcp");
        assert_eq!((e.column, e.kind), (3, ParseErrorKind::InvalidPort));
        let e = parse_services_bytes(b"a 1/tcp\nb 2/tcp caf\xc3\x28", Mode::Strict).unwrap_err();
        assert_eq!(
            (e.line, e.column, e.kind),
            (2, 12, ParseErrorKind::InvalidUtf8)
        );
    }

    #[test]
    fn lenient_mode_collects_and_continues() {
        let text = "a 1/tcp\nb 0/tcp\nc 3/ddp\nd 4/udp\ne\n";
        let p = parse_services(text, Mode::Lenient).unwrap();
        let names: Vec<_> = p.records.iter().map(|e| e.name).collect();
        assert_eq!(names, ["a", "d"]);
        let lines: Vec<_> = p.errors.iter().map(|e| e.line).collect();
        assert_eq!(lines, [2, 3, 5]);
    }

    #[test]
    fn a_ten_megabyte_line_is_an_error() {
        let text = format!(
            "a 1/tcp\nb 2/tcp {}\nc 3/tcp\n",
            "x".repeat(10 * 1024 * 1024)
        );
        let e = err(&text);
        assert_eq!(
            (e.line, e.column, e.kind.clone()),
            (
                2,
                1,
                ParseErrorKind::LineTooLong {
                    limit: MAX_LINE_BYTES
                }
            )
        );
        let p = parse_services(&text, Mode::Lenient).unwrap();
        assert_eq!(p.records.len(), 2);
        assert_eq!(p.errors, [e]);
    }
}
