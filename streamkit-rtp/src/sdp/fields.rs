//! Reading the value of each line type. A value that departs from its
//! grammar goes through [`Reader::deviate`]: kept, corrected or dropped
//! with a warning when lenient, an error when strict.

use super::grammar::{
    address_type_like, canonical_address_type, is_digits, is_token, network_type_like, text_breaker,
};
use super::parse::Reader;
use super::*;

/// One line's value, with its line number.
pub(super) struct Line<'a> {
    pub(super) number: usize,
    pub(super) value: &'a str,
}

impl Line<'_> {
    /// Error at `column_in_value` (0-based, in bytes of the value; the value
    /// starts at column 3).
    pub(super) fn error(&self, column_in_value: usize, what: &'static str) -> SdpError {
        let chars = self
            .value
            .get(..column_in_value)
            .map_or(column_in_value, |s| s.chars().count());
        SdpError::Syntax {
            line: self.number,
            column: chars + 3,
            what,
        }
    }

    /// Splits the value on runs of spaces, each token with its byte offset.
    fn fields(&self) -> impl Iterator<Item = (usize, &str)> {
        let base = self.value.as_ptr() as usize;
        self.value
            .split(' ')
            .filter(|s| !s.is_empty())
            .map(move |s| (s.as_ptr() as usize - base, s))
    }

    /// The error for a line of `fields` fields where the grammar has `n`:
    /// at the first extra field, or at the end when some are missing.
    fn count_error(&self, fields: &[(usize, &str)], n: usize, what: &'static str) -> SdpError {
        match fields.get(n) {
            Some(&(offset, _)) => self.error(offset, what),
            None => self.error(self.value.len(), what),
        }
    }

    /// The error at the first field that is not a token, if any.
    fn control_error(&self, fields: &[(usize, &str)]) -> Option<SdpError> {
        fields
            .iter()
            .find(|(_, f)| !is_token(f))
            .map(|&(offset, _)| self.error(offset, "a control character in a field"))
    }
}

fn parse_u64(line: &Line<'_>, offset: usize, s: &str, what: &'static str) -> Result<u64, SdpError> {
    if !is_digits(s) {
        return Err(line.error(offset, what));
    }
    s.parse().map_err(|_| line.error(offset, what))
}

/// A line whose value does not read: dropped (or `resolution`) with the
/// syntax error's words as the warning's, `error` when strict.
fn unreadable(
    r: &mut Reader,
    line: &Line<'_>,
    kind: char,
    resolution: Resolution,
    error: SdpError,
) -> Result<(), SdpError> {
    let what = match &error {
        SdpError::Syntax { what, .. } => what,
        _ => "does not read",
    };
    r.deviate(
        line.number,
        Deviation::Unreadable { kind, what },
        resolution,
        Some(error),
    )
}

/// `v=`: unreadable is read as 0.
pub(super) fn version(r: &mut Reader, line: &Line<'_>) -> Result<u32, SdpError> {
    let read = parse_u64(line, 0, line.value, "expected a version number")
        .and_then(|v| u32::try_from(v).map_err(|_| line.error(0, "version above 2^32 - 1")));
    match read {
        Ok(found) => {
            if found != 0 {
                r.deviate(
                    line.number,
                    Deviation::Version { found },
                    Resolution::Kept,
                    None,
                )?;
            }
            Ok(found)
        }
        Err(e) => {
            unreadable(r, line, 'v', Resolution::Corrected, e)?;
            Ok(0)
        }
    }
}

/// A text line (`s i u e p r z k`): no NUL or CR, not empty (but `s=`,
/// whose empty value is RFC 8866's `s= `).
pub(super) fn text(
    r: &mut Reader,
    line: &Line<'_>,
    kind: char,
    resolution: Resolution,
) -> Result<Option<String>, SdpError> {
    if let Some(at) = text_breaker(line.value) {
        r.deviate(
            line.number,
            Deviation::Unreadable {
                kind,
                what: "a NUL or CR inside the line",
            },
            resolution,
            Some(line.error(at, "a NUL or CR inside the line")),
        )?;
        return Ok(None);
    }
    if line.value.is_empty() && kind != 's' {
        r.deviate(
            line.number,
            Deviation::Unreadable {
                kind,
                what: "an empty value",
            },
            resolution,
            None,
        )?;
        return Ok(None);
    }
    Ok(Some(line.value.to_owned()))
}

fn default_address(addr_type: &str) -> &'static str {
    if canonical_address_type(addr_type) == Some("IP6") {
        "::"
    } else {
        "0.0.0.0"
    }
}

fn inferred_address_type(address: &str) -> &'static str {
    if address.contains(':') { "IP6" } else { "IP4" }
}

/// An origin from fields of the wrong count: the address type (found by
/// its value) anchors the network type before it and the address after
/// it; the fields before are the username, session id and version where
/// their place is clear. Without an address type, the fields in order.
fn origin_from_fields(fields: &[&str]) -> Origin {
    let get = |i: usize| fields.get(i).copied();
    let (username, session_id, session_version, net_type, addr_type, address) =
        match fields.iter().rposition(|f| address_type_like(f)) {
            Some(a) => {
                let (net_type, before) = match a.checked_sub(1).and_then(get) {
                    Some(n) if network_type_like(n) => (Some(n), a - 1),
                    _ => (None, a),
                };
                let (user, id, version) = match fields.get(..before).unwrap_or(&[]) {
                    [] => (None, None, None),
                    [x] if is_digits(x) => (None, Some(*x), None),
                    [x] => (Some(*x), None, None),
                    [x, y] if is_digits(x) => (None, Some(*x), Some(*y)),
                    [x, y] => (Some(*x), Some(*y), None),
                    [x, .., y, z] => (Some(*x), Some(*y), Some(*z)),
                };
                (user, id, version, net_type, get(a), get(a + 1))
            }
            None => (get(0), get(1), get(2), get(3), get(4), get(5)),
        };
    let addr_type = addr_type
        .map(str::to_owned)
        .unwrap_or_else(|| address.map_or("IP4", inferred_address_type).to_owned());
    Origin {
        username: username.unwrap_or("-").to_owned(),
        session_id: session_id.unwrap_or("0").to_owned(),
        session_version: session_version.unwrap_or("0").to_owned(),
        net_type: net_type.unwrap_or("IN").to_owned(),
        unicast_address: address.unwrap_or(default_address(&addr_type)).to_owned(),
        addr_type,
    }
}

/// The origin a reader puts in for a missing or unreadable `o=`.
fn default_origin() -> Origin {
    origin_from_fields(&[])
}

/// `IN`, or what a device wrote for it (corrected) or something else
/// (kept), with a warning.
fn network_type(
    r: &mut Reader,
    number: usize,
    kind: char,
    found: String,
) -> Result<String, SdpError> {
    if found == "IN" {
        return Ok(found);
    }
    let clear = network_type_like(&found);
    let resolution = if clear {
        Resolution::Corrected
    } else {
        Resolution::Kept
    };
    r.deviate(
        number,
        Deviation::NetworkType {
            kind,
            found: found.clone(),
        },
        resolution,
        None,
    )?;
    Ok(if clear { "IN".to_owned() } else { found })
}

/// `IP4` / `IP6`, or a spelling of them (corrected) or something else
/// (kept), with a warning.
fn address_type(
    r: &mut Reader,
    number: usize,
    kind: char,
    found: String,
) -> Result<String, SdpError> {
    if found == "IP4" || found == "IP6" {
        return Ok(found);
    }
    let canonical = canonical_address_type(&found);
    let resolution = if canonical.is_some() {
        Resolution::Corrected
    } else {
        Resolution::Kept
    };
    r.deviate(
        number,
        Deviation::AddressType {
            kind,
            found: found.clone(),
        },
        resolution,
        None,
    )?;
    Ok(canonical.map_or(found, str::to_owned))
}

/// `o=`: six fields; other counts, an empty username, non-numeric ids
/// and odd network or address types are read with warnings.
pub(super) fn origin(r: &mut Reader, line: &Line<'_>) -> Result<Origin, SdpError> {
    const WHAT: &str =
        "expected `<username> <sess-id> <sess-version> <nettype> <addrtype> <unicast-address>`";
    let number = line.number;
    let fields: Vec<(usize, &str)> = line.fields().collect();
    if let Some(e) = line.control_error(&fields) {
        unreadable(r, line, 'o', Resolution::Corrected, e)?;
        return Ok(default_origin());
    }
    let empty_username = line.value.starts_with(' ');
    let mut values: Vec<&str> = fields.iter().map(|&(_, f)| f).collect();
    if empty_username {
        values.insert(0, "");
    }
    let mut o = if let [
        username,
        session_id,
        session_version,
        net_type,
        addr_type,
        address,
    ] = values[..]
    {
        Origin {
            username: username.to_owned(),
            session_id: session_id.to_owned(),
            session_version: session_version.to_owned(),
            net_type: net_type.to_owned(),
            addr_type: addr_type.to_owned(),
            unicast_address: address.to_owned(),
        }
    } else {
        r.deviate(
            number,
            Deviation::FieldCount {
                kind: 'o',
                found: values.len(),
                expected: 6,
            },
            Resolution::Corrected,
            (fields.len() != 6).then(|| line.count_error(&fields, 6, WHAT)),
        )?;
        origin_from_fields(&values)
    };
    if o.username.is_empty() {
        r.deviate(
            number,
            Deviation::EmptyUsername,
            Resolution::Corrected,
            None,
        )?;
        o.username = "-".to_owned();
    }
    for (field, value) in [
        ("sess-id", &o.session_id),
        ("sess-version", &o.session_version),
    ] {
        if !is_digits(value) {
            r.deviate(
                number,
                Deviation::NotNumeric {
                    field,
                    value: value.clone(),
                },
                Resolution::Kept,
                None,
            )?;
        }
    }
    o.net_type = network_type(r, number, 'o', core::mem::take(&mut o.net_type))?;
    o.addr_type = address_type(r, number, 'o', core::mem::take(&mut o.addr_type))?;
    Ok(o)
}

/// A connection from fields of the wrong count, or `None` when there is
/// no address.
fn connection_from_fields(fields: &[&str]) -> Option<Connection> {
    let (net_type, addr_type, address) = match fields.iter().rposition(|f| address_type_like(f)) {
        Some(a) => {
            let net_type = a
                .checked_sub(1)
                .and_then(|n| fields.get(n))
                .filter(|n| network_type_like(n))
                .copied()
                .unwrap_or("IN");
            (net_type, *fields.get(a)?, *fields.get(a + 1)?)
        }
        None => match fields {
            [address] if !network_type_like(address) => {
                ("IN", inferred_address_type(address), *address)
            }
            [net_type, address] if network_type_like(net_type) => {
                (*net_type, inferred_address_type(address), *address)
            }
            [net_type, addr_type, address, ..] => (*net_type, *addr_type, *address),
            _ => return None,
        },
    };
    Some(Connection {
        net_type: net_type.to_owned(),
        addr_type: addr_type.to_owned(),
        address: address.to_owned(),
    })
}

/// `c=`: three fields; other counts and odd types are read with warnings,
/// a line with no address is dropped.
pub(super) fn connection(r: &mut Reader, line: &Line<'_>) -> Result<Option<Connection>, SdpError> {
    const WHAT: &str = "expected `<nettype> <addrtype> <connection-address>`";
    let fields: Vec<(usize, &str)> = line.fields().collect();
    if let Some(e) = line.control_error(&fields) {
        unreadable(r, line, 'c', Resolution::Dropped, e)?;
        return Ok(None);
    }
    let values: Vec<&str> = fields.iter().map(|&(_, f)| f).collect();
    let c = if let [net_type, addr_type, address] = values[..] {
        Some(Connection {
            net_type: net_type.to_owned(),
            addr_type: addr_type.to_owned(),
            address: address.to_owned(),
        })
    } else {
        let c = connection_from_fields(&values);
        r.deviate(
            line.number,
            Deviation::FieldCount {
                kind: 'c',
                found: values.len(),
                expected: 3,
            },
            if c.is_some() {
                Resolution::Corrected
            } else {
                Resolution::Dropped
            },
            Some(line.count_error(&fields, 3, WHAT)),
        )?;
        c
    };
    let Some(mut c) = c else { return Ok(None) };
    c.net_type = network_type(r, line.number, 'c', core::mem::take(&mut c.net_type))?;
    c.addr_type = address_type(r, line.number, 'c', core::mem::take(&mut c.addr_type))?;
    Ok(Some(c))
}

fn read_bandwidth(line: &Line<'_>) -> Result<Bandwidth, SdpError> {
    let (bw_type, value) = line
        .value
        .split_once(':')
        .ok_or_else(|| line.error(0, "expected `<bwtype>:<bandwidth>`"))?;
    if !is_token(bw_type) {
        return Err(line.error(0, "expected a bandwidth type token"));
    }
    let bandwidth = parse_u64(
        line,
        bw_type.len() + 1,
        value,
        "expected a bandwidth in decimal digits",
    )?;
    Ok(Bandwidth {
        bw_type: bw_type.to_owned(),
        bandwidth,
    })
}

/// `b=<bwtype>:<bandwidth>`; a line that does not read is dropped.
pub(super) fn bandwidth(r: &mut Reader, line: &Line<'_>) -> Result<Option<Bandwidth>, SdpError> {
    match read_bandwidth(line) {
        Ok(b) => Ok(Some(b)),
        Err(e) => unreadable(r, line, 'b', Resolution::Dropped, e).map(|()| None),
    }
}

/// `t=<start> <stop>`: a missing stop time is read as 0 and extra fields
/// dropped, with a warning; times that are not numbers drop the line.
pub(super) fn time(r: &mut Reader, line: &Line<'_>) -> Result<Option<TimeDescription>, SdpError> {
    const WHAT: &str = "expected `<start-time> <stop-time>`";
    let fields: Vec<(usize, &str)> = line.fields().collect();
    let read = |i: usize, what| match fields.get(i) {
        Some(&(offset, f)) => parse_u64(line, offset, f, what),
        None => Ok(0),
    };
    let times = match fields.first() {
        Some(_) => read(0, "expected a start time in decimal")
            .and_then(|start| Ok((start, read(1, "expected a stop time in decimal")?))),
        None => Err(line.error(0, WHAT)),
    };
    let (start, stop) = match times {
        Ok(t) => t,
        Err(e) => {
            unreadable(r, line, 't', Resolution::Dropped, e)?;
            return Ok(None);
        }
    };
    if fields.len() != 2 {
        r.deviate(
            line.number,
            Deviation::FieldCount {
                kind: 't',
                found: fields.len(),
                expected: 2,
            },
            Resolution::Corrected,
            Some(line.count_error(&fields, 2, WHAT)),
        )?;
    }
    Ok(Some(TimeDescription {
        start,
        stop,
        repeats: Vec::new(),
    }))
}

fn read_attribute(line: &Line<'_>) -> Result<Attribute, SdpError> {
    let (name, value) = match line.value.split_once(':') {
        Some((n, v)) => (n, Some(v)),
        None => (line.value, None),
    };
    if name.is_empty() {
        return Err(line.error(0, "expected an attribute name"));
    }
    if let Some(bad) = name.find([' ', '\t']) {
        return Err(line.error(bad, "attribute names have no spaces"));
    }
    if !is_token(name) {
        return Err(line.error(0, "a control character in the attribute name"));
    }
    if let Some(at) = value.and_then(text_breaker) {
        return Err(line.error(name.len() + 1 + at, "a NUL or CR inside the line"));
    }
    Ok(Attribute::new(name, value))
}

/// `a=<name>[:<value>]`; a line that does not read is dropped.
pub(super) fn attribute(r: &mut Reader, line: &Line<'_>) -> Result<Option<Attribute>, SdpError> {
    match read_attribute(line) {
        Ok(a) => Ok(Some(a)),
        Err(e) => unreadable(r, line, 'a', Resolution::Dropped, e).map(|()| None),
    }
}

/// `m=<media> <port>[/<number>] <proto> <fmt>...`, or what was expected
/// and the error.
pub(super) fn media(line: &Line<'_>) -> Result<MediaDescription, (&'static str, SdpError)> {
    let fail = |offset: usize, what: &'static str| (what, line.error(offset, what));
    let fields: Vec<(usize, &str)> = line.fields().collect();
    if let Some(&(offset, _)) = fields.iter().find(|(_, f)| !is_token(f)) {
        return Err(fail(offset, "a control character in a field"));
    }
    let mut fields = fields.into_iter();
    let (_, media) = fields
        .next()
        .ok_or_else(|| fail(0, "expected `<media> <port> <proto> <fmt> ...`"))?;
    let (port_offset, port_text) = fields
        .next()
        .ok_or_else(|| fail(line.value.len(), "expected a port"))?;
    let (port, num_ports) = match port_text.split_once('/') {
        Some((p, n)) => (p, Some((n, port_offset + p.len() + 1))),
        None => (port_text, None),
    };
    let number = |text: &str, offset: usize, what: &'static str, above: &'static str| {
        let n = parse_u64(line, offset, text, what).map_err(|e| (what, e))?;
        u16::try_from(n).map_err(|_| fail(offset, above))
    };
    let port = number(
        port,
        port_offset,
        "expected a port number",
        "port above 65535",
    )?;
    let num_ports = match num_ports {
        Some((n, offset)) => Some(number(
            n,
            offset,
            "expected a number of ports",
            "number of ports above 65535",
        )?),
        None => None,
    };
    let (_, protocol) = fields
        .next()
        .ok_or_else(|| fail(line.value.len(), "expected a transport protocol"))?;
    let formats = fields.map(|(_, f)| f.to_owned()).collect();
    let mut m = MediaDescription::new(media, port, protocol, formats);
    m.num_ports = num_ports;
    Ok(m)
}
