//! The IANA Service Name and Transport Protocol Port Number Registry, in
//! the CSV form IANA publishes (`service-names-port-numbers.csv`).
//!
//! Fields borrow from the input unless a quoted field holds a doubled quote
//! (`""`), which has to be unescaped. Quoted fields may hold commas and line
//! breaks; blank service names (unassigned or reserved ports), blank ports
//! (names registered without a port) and ranges (`6000-6063`) are read as
//! IANA writes them. Port 0, which IANA lists as reserved, is an error here
//! like any port outside 1-65535; lenient mode skips such rows.
//!
//! ```
//! use streamkit_ports::{parse_iana_csv, write_iana_csv, Mode, Transport};
//!
//! let csv = "Service Name,Port Number,Transport Protocol,Description,Assignee,Contact,\
//! Registration Date,Modification Date,Reference,Service Code,Unauthorized Use Reported,\
//! Assignment Notes\n\
//! x11,6000-6063,tcp,\"X Window System, displays 0-63\",,,,,,,,\n\
//! ,6064,tcp,Unassigned,,,,,,,,\n";
//! let parsed = parse_iana_csv(csv, Mode::Strict)?;
//! let x11 = &parsed.records[0];
//! assert_eq!(x11.service_name, "x11");
//! assert_eq!(x11.ports.unwrap().last(), 6063);
//! assert_eq!(x11.transport, Some(Transport::Tcp));
//! assert_eq!(x11.description, "X Window System, displays 0-63");
//! assert_eq!(parsed.records[1].service_name, "");
//!
//! let mut out = String::new();
//! write_iana_csv(&parsed.records, &mut out);
//! assert_eq!(parse_iana_csv(&out, Mode::Strict)?.records, parsed.records);
//! # Ok::<(), streamkit_ports::ParseError>(())
//! ```

use std::borrow::Cow;

use crate::parse::{
    MAX_LINE_BYTES, Mode, ParseError, ParseErrorKind, Parsed, at, locate, parse_ports,
    parse_transport,
};
use crate::service::{Registration, Service};
use crate::transport::{PortRange, Transport, Transports};

/// The registry's column names, in order.
pub const IANA_HEADER: [&str; 12] = [
    "Service Name",
    "Port Number",
    "Transport Protocol",
    "Description",
    "Assignee",
    "Contact",
    "Registration Date",
    "Modification Date",
    "Reference",
    "Service Code",
    "Unauthorized Use Reported",
    "Assignment Notes",
];

/// One row of the IANA registry.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct IanaRecord<'a> {
    /// The service name; empty for unassigned and reserved ports.
    pub service_name: Cow<'a, str>,
    /// The port or range; `None` for a name registered without a port.
    pub ports: Option<PortRange>,
    /// The transport; `None` exactly when `ports` is.
    pub transport: Option<Transport>,
    /// Description.
    pub description: Cow<'a, str>,
    /// Assignee (as IANA's `[Name]` references).
    pub assignee: Cow<'a, str>,
    /// Contact.
    pub contact: Cow<'a, str>,
    /// Registration date (`YYYY-MM-DD`), as written.
    pub registration_date: Cow<'a, str>,
    /// Modification date (`YYYY-MM-DD`), as written.
    pub modification_date: Cow<'a, str>,
    /// Reference (`[RFC7826]`), as written.
    pub reference: Cow<'a, str>,
    /// Service code.
    pub service_code: Cow<'a, str>,
    /// Unauthorized use reported.
    pub unauthorized_use_reported: Cow<'a, str>,
    /// Assignment notes.
    pub assignment_notes: Cow<'a, str>,
}

impl IanaRecord<'_> {
    /// The service this row assigns, for a [`Registry`](crate::Registry);
    /// `None` for rows that assign no service at a port (blank name, or no
    /// port).
    #[must_use]
    pub fn to_service(&self) -> Option<Service> {
        let (Some(ports), Some(transport)) = (self.ports, self.transport) else {
            return None;
        };
        if self.service_name.is_empty() {
            return None;
        }
        Some(
            Service::new(
                self.service_name.to_ascii_lowercase(),
                ports,
                Transports::only(transport),
                Registration::Iana,
            )
            .with_description(self.description.clone().into_owned())
            .with_reference(self.reference.clone().into_owned()),
        )
    }
}

/// A field as found: its bytes (inside the quotes when quoted) and whether
/// it holds doubled quotes.
#[derive(Clone, Copy)]
struct RawField {
    start: usize,
    end: usize,
    escaped: bool,
}

/// The columns a row may have; one more is remembered to report it.
const MAX_FIELDS: usize = IANA_HEADER.len() + 1;

struct Scanner<'a> {
    input: &'a [u8],
    pos: usize,
    line: usize,
}

/// How a record scan ended.
enum Scan {
    /// A record, starting at this offset and line.
    Record { start: usize, line: usize },
    /// A syntax error; the scanner has moved past it.
    Error(ParseError),
    /// End of input.
    End,
}

impl Scanner<'_> {
    fn byte(&self, i: usize) -> Option<u8> {
        self.input.get(i).copied()
    }

    /// Moves to `to`, counting the line breaks passed.
    fn advance(&mut self, to: usize) {
        let to = to.min(self.input.len());
        let passed = self.input.get(self.pos..to).unwrap_or_default();
        self.line += passed.iter().filter(|&&b| b == b'\n').count();
        self.pos = to;
    }

    /// Moves past the next line break at or after `from` (or to the end).
    fn skip_line(&mut self, from: usize) {
        let rest = self.input.get(from..).unwrap_or_default();
        let to = match rest.iter().position(|&b| b == b'\n') {
            Some(i) => from + i + 1,
            None => self.input.len(),
        };
        self.advance(to);
    }

    fn error(&self, start: usize, line: usize, offset: usize, kind: ParseErrorKind) -> ParseError {
        let (line, column) = locate(self.input, start, line, offset);
        at(line, column, kind)
    }

    fn too_long(&mut self, start: usize, line: usize, offset: usize) -> Scan {
        let error = self.error(
            start,
            line,
            start,
            ParseErrorKind::LineTooLong {
                limit: MAX_LINE_BYTES,
            },
        );
        self.skip_line(offset);
        Scan::Error(error)
    }

    fn record(&mut self, fields: &mut Vec<RawField>) -> Scan {
        fields.clear();
        // Blank lines between records are skipped.
        loop {
            match (self.byte(self.pos), self.byte(self.pos + 1)) {
                (None, _) => return Scan::End,
                (Some(b'\n'), _) => self.advance(self.pos + 1),
                (Some(b'\r'), Some(b'\n')) => self.advance(self.pos + 2),
                _ => break,
            }
        }
        let (start, line) = (self.pos, self.line);
        let limit = start.saturating_add(MAX_LINE_BYTES);
        // Searches look no further than one byte past the limit, so a long
        // record costs at most MAX_LINE_BYTES of scanning, however the input
        // continues.
        let window = limit.saturating_add(1).min(self.input.len());
        let mut pos = start;
        loop {
            let field = if self.byte(pos) == Some(b'"') {
                let content = pos + 1;
                let mut i = content;
                let mut escaped = false;
                loop {
                    let rest = self.input.get(i..window).unwrap_or_default();
                    let Some(q) = rest.iter().position(|&b| b == b'"').map(|q| i + q) else {
                        let error = self.error(start, line, pos, ParseErrorKind::UnterminatedQuote);
                        if window < self.input.len() {
                            return self.too_long(start, line, limit);
                        }
                        self.advance(self.input.len());
                        return Scan::Error(error);
                    };
                    if q > limit {
                        return self.too_long(start, line, limit);
                    }
                    if self.byte(q + 1) == Some(b'"') {
                        escaped = true;
                        i = q + 2;
                    } else {
                        pos = q + 1;
                        break RawField {
                            start: content,
                            end: q,
                            escaped,
                        };
                    }
                }
            } else {
                let rest = self.input.get(pos..window).unwrap_or_default();
                let stop = rest
                    .iter()
                    .position(|&b| b == b',' || b == b'\n')
                    .map_or(window, |i| pos + i);
                if stop > limit {
                    return self.too_long(start, line, limit);
                }
                let mut end = stop;
                if self.byte(stop) == Some(b'\n') && end > pos && self.byte(end - 1) == Some(b'\r')
                {
                    end -= 1;
                }
                let field = RawField {
                    start: pos,
                    end,
                    escaped: false,
                };
                pos = end;
                field
            };
            if fields.len() < MAX_FIELDS {
                fields.push(field);
            }
            match (self.byte(pos), self.byte(pos + 1)) {
                (Some(b','), _) => pos += 1,
                (None, _) => {
                    self.advance(pos);
                    return Scan::Record { start, line };
                }
                (Some(b'\n'), _) => {
                    self.advance(pos + 1);
                    return Scan::Record { start, line };
                }
                (Some(b'\r'), Some(b'\n')) => {
                    self.advance(pos + 2);
                    return Scan::Record { start, line };
                }
                _ => {
                    let error = self.error(start, line, pos, ParseErrorKind::CharacterAfterQuote);
                    self.skip_line(pos);
                    return Scan::Error(error);
                }
            }
        }
    }
}

/// Parses the IANA registry CSV. The first record must be the header
/// ([`IANA_HEADER`], ASCII case ignored); blank lines are skipped; both
/// `\n` and `\r\n` end a record.
///
/// # Errors
///
/// In [`Mode::Strict`], the first malformed row. In [`Mode::Lenient`] only
/// when nothing could be read at all is there an `Err`; bad rows are
/// skipped and their errors collected instead.
pub fn parse_iana_csv(text: &str, mode: Mode) -> Result<Parsed<IanaRecord<'_>>, ParseError> {
    parse_iana_csv_bytes(text.as_bytes(), mode)
}

/// [`parse_iana_csv`] for bytes that may not be UTF-8: a field that is not
/// is an [`InvalidUtf8`](ParseErrorKind::InvalidUtf8) error naming the line
/// and column of its first bad byte.
///
/// # Errors
///
/// As [`parse_iana_csv`].
pub fn parse_iana_csv_bytes(
    input: &[u8],
    mode: Mode,
) -> Result<Parsed<IanaRecord<'_>>, ParseError> {
    let mut scanner = Scanner {
        input,
        pos: 0,
        line: 1,
    };
    let mut parsed = Parsed::new();
    let mut fields = Vec::with_capacity(MAX_FIELDS);
    let mut header_seen = false;
    loop {
        let (start, line) = match scanner.record(&mut fields) {
            Scan::End => break,
            Scan::Error(error) => {
                header_seen = true;
                parsed.fail(mode, error)?;
                continue;
            }
            Scan::Record { start, line } => (start, line),
        };
        let row = Row {
            input,
            start,
            line,
            fields: &fields,
        };
        if !header_seen {
            header_seen = true;
            if let Err(error) = row.check_header() {
                parsed.fail(mode, error)?;
            }
            continue;
        }
        match row.record() {
            Ok(record) => parsed.records.push(record),
            Err(error) => parsed.fail(mode, error)?,
        }
    }
    if !header_seen {
        let error = at(1, 1, ParseErrorKind::MissingField { field: "header" });
        parsed.fail(mode, error)?;
    }
    Ok(parsed)
}

struct Row<'a, 'f> {
    input: &'a [u8],
    start: usize,
    line: usize,
    fields: &'f [RawField],
}

impl<'a> Row<'a, '_> {
    fn error_at(&self, offset: usize, kind: ParseErrorKind) -> ParseError {
        let (line, column) = locate(self.input, self.start, self.line, offset);
        at(line, column, kind)
    }

    fn text(&self, field: RawField) -> Result<Cow<'a, str>, ParseError> {
        let bytes = self.input.get(field.start..field.end).unwrap_or_default();
        let text = std::str::from_utf8(bytes).map_err(|e| {
            self.error_at(field.start + e.valid_up_to(), ParseErrorKind::InvalidUtf8)
        })?;
        Ok(if field.escaped {
            Cow::Owned(text.replace("\"\"", "\""))
        } else {
            Cow::Borrowed(text)
        })
    }

    fn check_count(&self) -> Result<(), ParseError> {
        if let Some(extra) = self.fields.get(IANA_HEADER.len()) {
            return Err(self.error_at(
                extra.start,
                ParseErrorKind::TooManyFields {
                    expected: IANA_HEADER.len(),
                },
            ));
        }
        if let (Some(field), Some(last)) = (IANA_HEADER.get(self.fields.len()), self.fields.last())
        {
            return Err(self.error_at(last.end, ParseErrorKind::MissingField { field }));
        }
        Ok(())
    }

    fn check_header(&self) -> Result<(), ParseError> {
        self.check_count()?;
        for (field, name) in self.fields.iter().zip(IANA_HEADER) {
            if !self.text(*field)?.eq_ignore_ascii_case(name) {
                return Err(self.error_at(field.start, ParseErrorKind::BadHeader));
            }
        }
        Ok(())
    }

    fn record(&self) -> Result<IanaRecord<'a>, ParseError> {
        self.check_count()?;
        let field = |i: usize| {
            self.fields.get(i).copied().unwrap_or(RawField {
                start: self.start,
                end: self.start,
                escaped: false,
            })
        };
        let text = |i: usize| self.text(field(i));
        let service_name = text(0)?;
        let port_text = text(1)?;
        let transport_text = text(2)?;
        let column = |i: usize| locate(self.input, self.start, self.line, field(i).start);
        let (ports, transport) = match (port_text.is_empty(), transport_text.is_empty()) {
            (true, true) => {
                if service_name.is_empty() {
                    return Err(self.error_at(
                        field(0).start,
                        ParseErrorKind::MissingField {
                            field: IANA_HEADER[0],
                        },
                    ));
                }
                (None, None)
            }
            (false, true) => {
                return Err(self.error_at(
                    field(2).start,
                    ParseErrorKind::MissingField {
                        field: IANA_HEADER[2],
                    },
                ));
            }
            (true, false) => {
                return Err(self.error_at(
                    field(1).start,
                    ParseErrorKind::MissingField {
                        field: IANA_HEADER[1],
                    },
                ));
            }
            (false, false) => {
                let (line, col) = column(1);
                let ports = parse_ports(&port_text, line, col)?;
                let (line, col) = column(2);
                let transport = parse_transport(&transport_text, line, col)?;
                (Some(ports), Some(transport))
            }
        };
        Ok(IanaRecord {
            service_name,
            ports,
            transport,
            description: text(3)?,
            assignee: text(4)?,
            contact: text(5)?,
            registration_date: text(6)?,
            modification_date: text(7)?,
            reference: text(8)?,
            service_code: text(9)?,
            unauthorized_use_reported: text(10)?,
            assignment_notes: text(11)?,
        })
    }
}

fn push_field(out: &mut String, text: &str) {
    if text.contains([',', '"', '\n', '\r']) {
        out.push('"');
        out.push_str(&text.replace('"', "\"\""));
        out.push('"');
    } else {
        out.push_str(text);
    }
}

/// Writes `records` as IANA registry CSV, header first, one record per
/// line (`\n`), quoting fields that hold commas, quotes or line breaks.
/// [`parse_iana_csv`] reads back exactly the records written, provided each
/// is one the parser accepts (a name or a port; port and transport
/// together).
pub fn write_iana_csv<'r, 'a: 'r>(
    records: impl IntoIterator<Item = &'r IanaRecord<'a>>,
    out: &mut String,
) {
    out.push_str(&IANA_HEADER.join(","));
    out.push('\n');
    for r in records {
        push_field(out, &r.service_name);
        out.push(',');
        if let Some(ports) = r.ports {
            out.push_str(&ports.to_string());
        }
        out.push(',');
        if let Some(t) = r.transport {
            out.push_str(t.as_str());
        }
        for text in [
            &r.description,
            &r.assignee,
            &r.contact,
            &r.registration_date,
            &r.modification_date,
            &r.reference,
            &r.service_code,
            &r.unauthorized_use_reported,
            &r.assignment_notes,
        ] {
            out.push(',');
            push_field(out, text);
        }
        out.push('\n');
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header() -> String {
        IANA_HEADER.join(",") + "\r\n"
    }

    fn strict(body: &str) -> Result<Vec<IanaRecord<'_>>, ParseError> {
        parse_iana_csv(body, Mode::Strict).map(|p| p.records)
    }

    #[test]
    fn quoted_fields_with_commas_newlines_and_quotes() {
        let text = header()
            + "rtsp,554,tcp,Real Time Streaming Protocol (RTSP),[Rob_Lanphier],[Rob_Lanphier],,2017-05-18,\"[RFC7826][RFC2326]\",,,\r\n"
            + "sips,5061,tcp,\"SIP-TLS, \"\"secure\"\"\nsecond line\",,,,,[RFC3261],,,\r\n"
            + ",6000-6063,udp,\"X Window System\",,,,,,,,\r\n"
            + "name-only,,,Registered without a port,,,,,,,,\r\n";
        let records = strict(&text).unwrap();
        assert_eq!(records.len(), 4);
        assert_eq!(records[0].reference, "[RFC7826][RFC2326]");
        assert!(matches!(records[0].reference, Cow::Borrowed(_)));
        assert_eq!(records[0].modification_date, "2017-05-18");
        assert_eq!(records[1].description, "SIP-TLS, \"secure\"\nsecond line");
        assert_eq!(records[1].reference, "[RFC3261]");
        assert_eq!(records[2].service_name, "");
        assert_eq!(records[2].ports, PortRange::new(6000, 6063));
        assert_eq!(records[2].transport, Some(Transport::Udp));
        assert_eq!(records[3].ports, None);
        assert_eq!(records[3].transport, None);
        assert_eq!(records[0].to_service().unwrap().name(), "rtsp");
        assert!(records[2].to_service().is_none());
        assert!(records[3].to_service().is_none());
    }

    #[test]
    fn errors_name_line_and_column() {
        let err = |row: &str| strict(&(header() + row)).unwrap_err();
        let e = err("ftp,0,tcp,,,,,,,,,\n");
        assert_eq!((e.line, e.column), (2, 5));
        assert_eq!(e.kind, ParseErrorKind::PortOutOfRange { value: 0 });
        let e = err("a,70000,tcp,,,,,,,,,\n");
        assert_eq!(e.kind, ParseErrorKind::PortOutOfRange { value: 70000 });
        let e = err("a,10-5,tcp,,,,,,,,,\n");
        assert_eq!(e.kind, ParseErrorKind::ReversedRange { first: 10, last: 5 });
        let e = err("a,1,ddp,,,,,,,,,\n");
        assert_eq!((e.line, e.column), (2, 5));
        assert_eq!(
            e.kind,
            ParseErrorKind::UnknownTransport { name: "ddp".into() }
        );
        let e = err("a,1,tcp,desc\n");
        assert_eq!((e.line, e.column), (2, 13));
        assert_eq!(e.kind, ParseErrorKind::MissingField { field: "Assignee" });
        let e = err("a,1,tcp,,,,,,,,,,extra\n");
        assert_eq!((e.line, e.column), (2, 18));
        assert_eq!(e.kind, ParseErrorKind::TooManyFields { expected: 12 });
        let e = err("a,1,,,,,,,,,,\n");
        assert_eq!(
            e.kind,
            ParseErrorKind::MissingField {
                field: "Transport Protocol"
            }
        );
        let e = err(",,tcp,,,,,,,,,\n");
        assert_eq!(
            e.kind,
            ParseErrorKind::MissingField {
                field: "Port Number"
            }
        );
        let e = err(",,,,,,,,,,,\n");
        assert_eq!(
            e.kind,
            ParseErrorKind::MissingField {
                field: "Service Name"
            }
        );
        let e = err("a,1,tcp,\"open\n\nnever closed,,,,,,,,\n");
        assert_eq!((e.line, e.column), (2, 9));
        assert_eq!(e.kind, ParseErrorKind::UnterminatedQuote);
        let e = err("a,1,tcp,\"x\"y,,,,,,,,\n");
        assert_eq!((e.line, e.column), (2, 12));
        assert_eq!(e.kind, ParseErrorKind::CharacterAfterQuote);
        // An error after a multi-line quoted field counts its lines.
        let e = err("a,1,tcp,\"one\ntwo\",,,,,,,,\nb,1,xtp,,,,,,,,,\n");
        assert_eq!((e.line, e.column), (4, 5));
    }

    #[test]
    fn header_is_required() {
        let e = strict("a,1,tcp,,,,,,,,,\n").unwrap_err();
        assert_eq!((e.line, e.kind), (1, ParseErrorKind::BadHeader));
        let e = strict("").unwrap_err();
        assert_eq!(e.kind, ParseErrorKind::MissingField { field: "header" });
        assert_eq!(strict(&header()).unwrap(), []);
    }

    #[test]
    fn invalid_utf8_is_located() {
        let mut bytes = header().into_bytes();
        bytes.extend_from_slice(b"ok,1,tcp,,,,,,,,,\nbad,2,tcp,caf\xe9,,,,,,,,\n");
        let e = parse_iana_csv_bytes(&bytes, Mode::Strict).unwrap_err();
        assert_eq!(
            (e.line, e.column, e.kind.clone()),
            (3, 14, ParseErrorKind::InvalidUtf8)
        );
        let p = parse_iana_csv_bytes(&bytes, Mode::Lenient).unwrap();
        assert_eq!(p.records.len(), 1);
        assert_eq!(p.errors, [e]);
    }

    #[test]
    fn lenient_mode_collects_and_continues() {
        let text = header()
            + "a,0,tcp,,,,,,,,,\n"
            + "b,1,tcp,,,,,,,,,\n"
            + "c,1,tcp,\"x\"y,,,,,,,,\n"
            + "d,2,tcp,,,,,,,,,\n"
            + "e,3-1,udp,,,,,,,,,\n"
            + "f,4,udp,,,,,,,,,\n";
        let p = parse_iana_csv(&text, Mode::Lenient).unwrap();
        let names: Vec<_> = p.records.iter().map(|r| &*r.service_name).collect();
        assert_eq!(names, ["b", "d", "f"]);
        let lines: Vec<_> = p.errors.iter().map(|e| e.line).collect();
        assert_eq!(lines, [2, 4, 6]);
        assert!(strict(&text).is_err());
    }

    #[test]
    fn a_ten_megabyte_line_is_an_error_not_a_hang() {
        let mut text = header();
        text.push_str("big,1,tcp,");
        text.push_str(&"x".repeat(10 * 1024 * 1024));
        text.push_str(",,,,,,,,\nafter,2,tcp,,,,,,,,,\n");
        let e = strict(&text).unwrap_err();
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
        let p = parse_iana_csv(&text, Mode::Lenient).unwrap();
        assert_eq!(p.errors, [e]);
        assert_eq!(p.records.len(), 1);
        assert_eq!(p.records[0].service_name, "after");
        // Many long lines that each open a quote: every one is an error of
        // its own, found without scanning the rest of the input each time.
        let line = format!("\"{}\n", "z".repeat(70_000));
        let text = header() + &line.repeat(150) + "\"";
        let p = parse_iana_csv(&text, Mode::Lenient).unwrap();
        assert_eq!(p.errors.len(), 151);
        assert!(
            p.errors[..150]
                .iter()
                .enumerate()
                .all(|(i, e)| e.line == i + 2
                    && e.kind
                        == ParseErrorKind::LineTooLong {
                            limit: MAX_LINE_BYTES
                        })
        );
        assert_eq!(
            (p.errors[150].line, p.errors[150].kind.clone()),
            (152, ParseErrorKind::UnterminatedQuote)
        );
        // The same inside an unclosed quote.
        let text = header() + "big,1,tcp,\"" + &"y".repeat(10 * 1024 * 1024);
        let e = strict(&text).unwrap_err();
        assert_eq!(
            e.kind,
            ParseErrorKind::LineTooLong {
                limit: MAX_LINE_BYTES
            }
        );
    }
}
