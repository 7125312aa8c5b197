//! Reading SDP: lines, their fields, and the order RFC 8866 section 5
//! gives them in.

use super::*;

/// One line, split into its type letter and value, with its position.
struct Line<'a> {
    number: usize,
    value: &'a str,
}

impl Line<'_> {
    /// Error at `column_in_value` (0-based, in bytes of the value; the value
    /// starts at column 3).
    fn error(&self, column_in_value: usize, what: &'static str) -> SdpError {
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

    /// Exactly `N` space-separated fields.
    fn exact_fields<const N: usize>(&self, what: &'static str) -> Result<[&str; N], SdpError> {
        let mut out = [""; N];
        let mut count = 0;
        for (offset, f) in self.fields() {
            let slot = out.get_mut(count).ok_or_else(|| self.error(offset, what))?;
            *slot = f;
            count += 1;
        }
        if count < N {
            return Err(self.error(self.value.len(), what));
        }
        Ok(out)
    }
}

fn parse_u64(line: &Line<'_>, offset: usize, s: &str, what: &'static str) -> Result<u64, SdpError> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(line.error(offset, what));
    }
    s.parse().map_err(|_| line.error(offset, what))
}

fn parse_connection(line: &Line<'_>) -> Result<Connection, SdpError> {
    let [net_type, addr_type, address] =
        line.exact_fields::<3>("expected `<nettype> <addrtype> <connection-address>`")?;
    Ok(Connection {
        net_type: net_type.to_owned(),
        addr_type: addr_type.to_owned(),
        address: address.to_owned(),
    })
}

fn parse_bandwidth(line: &Line<'_>) -> Result<Bandwidth, SdpError> {
    let (bw_type, value) = line
        .value
        .split_once(':')
        .ok_or_else(|| line.error(0, "expected `<bwtype>:<bandwidth>`"))?;
    if bw_type.is_empty() || bw_type.contains(' ') {
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

fn parse_attribute(line: &Line<'_>) -> Result<Attribute, SdpError> {
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
    Ok(Attribute::new(name, value))
}

fn parse_media(line: &Line<'_>) -> Result<MediaDescription, SdpError> {
    let mut fields = line.fields();
    let (_, media) = fields
        .next()
        .ok_or_else(|| line.error(0, "expected `<media> <port> <proto> <fmt> ...`"))?;
    let (port_offset, port_text) = fields
        .next()
        .ok_or_else(|| line.error(line.value.len(), "expected a port"))?;
    let (port, num_ports) = match port_text.split_once('/') {
        Some((p, n)) => (p, Some((n, port_offset + p.len() + 1))),
        None => (port_text, None),
    };
    let port = u16::try_from(parse_u64(
        line,
        port_offset,
        port,
        "expected a port number",
    )?)
    .map_err(|_| line.error(port_offset, "port above 65535"))?;
    let num_ports = match num_ports {
        Some((n, offset)) => Some(
            u16::try_from(parse_u64(line, offset, n, "expected a number of ports")?)
                .map_err(|_| line.error(offset, "number of ports above 65535"))?,
        ),
        None => None,
    };
    let (_, protocol) = fields
        .next()
        .ok_or_else(|| line.error(line.value.len(), "expected a transport protocol"))?;
    let formats = fields.map(|(_, f)| f.to_owned()).collect();
    let mut m = MediaDescription::new(media, port, protocol, formats);
    m.num_ports = num_ports;
    Ok(m)
}

/// Where the parser is in the order of RFC 8866 section 5; each state
/// allows the line types after it.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Stage {
    Start,
    Version,
    Origin,
    Name,
    Information,
    Uri,
    Email,
    Phone,
    Connection,
    Bandwidth,
    Time,
    Zone,
    Key,
    Attribute,
}

fn session_stage(kind: char) -> Option<Stage> {
    Some(match kind {
        'v' => Stage::Version,
        'o' => Stage::Origin,
        's' => Stage::Name,
        'i' => Stage::Information,
        'u' => Stage::Uri,
        'e' => Stage::Email,
        'p' => Stage::Phone,
        'c' => Stage::Connection,
        'b' => Stage::Bandwidth,
        't' | 'r' => Stage::Time,
        'z' => Stage::Zone,
        'k' => Stage::Key,
        'a' => Stage::Attribute,
        _ => return None,
    })
}

fn media_stage(kind: char) -> Option<u8> {
    Some(match kind {
        'i' => 1,
        'c' => 2,
        'b' => 3,
        'k' => 4,
        'a' => 5,
        _ => return None,
    })
}

fn split_lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    text.split('\n')
        .enumerate()
        .map(|(i, l)| (i + 1, l.trim_end_matches(['\r', ' ', '\t'])))
        .filter(|(_, l)| !l.is_empty())
}

impl SessionDescription {
    /// Parses SDP bytes, which must be UTF-8.
    pub fn parse_bytes(bytes: &[u8]) -> Result<SessionDescription, SdpError> {
        let text = core::str::from_utf8(bytes).map_err(|e| SdpError::NotUtf8 {
            offset: e.valid_up_to(),
        })?;
        SessionDescription::parse(text)
    }

    /// Parses a whole session description.
    pub fn parse(text: &str) -> Result<SessionDescription, SdpError> {
        let mut stage = Stage::Start;
        let mut version = None;
        let mut origin = None;
        let mut session_name = None;
        let mut sd = SessionDescription::new(
            Origin {
                username: String::new(),
                session_id: String::new(),
                session_version: String::new(),
                net_type: String::new(),
                addr_type: String::new(),
                unicast_address: String::new(),
            },
            "",
        );
        sd.times.clear();
        let mut media_stage_now = 0u8;

        for (number, raw) in split_lines(text) {
            let mut chars = raw.chars();
            let kind = chars.next().unwrap_or(' ');
            if !kind.is_ascii_lowercase() || chars.next() != Some('=') {
                return Err(SdpError::Syntax {
                    line: number,
                    column: 1,
                    what: "expected `<type>=<value>` with a lowercase type letter",
                });
            }
            let line = Line {
                number,
                value: raw.get(2..).unwrap_or(""),
            };

            if let Some(m) = sd.media.last_mut() {
                // Inside a media section.
                if kind == 'm' {
                    sd.media.push(parse_media(&line)?);
                    media_stage_now = 0;
                    continue;
                }
                let s = media_stage(kind).ok_or(SdpError::Order {
                    line: number,
                    kind,
                    what: "a media section allows only i, c, b, k, a (in that order) and m",
                })?;
                let repeatable = matches!(kind, 'c' | 'b' | 'a');
                if s < media_stage_now || (s == media_stage_now && !repeatable) {
                    return Err(SdpError::Order {
                        line: number,
                        kind,
                        what: "media lines go in the order i, c, b, k, a; i and k once",
                    });
                }
                media_stage_now = s;
                match kind {
                    'i' => m.information = Some(line.value.to_owned()),
                    'c' => m.connections.push(parse_connection(&line)?),
                    'b' => m.bandwidths.push(parse_bandwidth(&line)?),
                    'k' => m.key = Some(line.value.to_owned()),
                    _ => m.attributes.push(parse_attribute(&line)?),
                }
                continue;
            }

            if kind == 'm' {
                if stage < Stage::Time {
                    return Err(SdpError::Order {
                        line: number,
                        kind,
                        what: "media sections follow v, o, s and at least one t",
                    });
                }
                sd.media.push(parse_media(&line)?);
                media_stage_now = 0;
                continue;
            }
            let s = session_stage(kind).ok_or(SdpError::Order {
                line: number,
                kind,
                what: "unknown line type",
            })?;
            let repeatable = matches!(kind, 'e' | 'p' | 'b' | 't' | 'r' | 'a');
            let in_order = match stage {
                Stage::Start => kind == 'v',
                Stage::Version => kind == 'o',
                Stage::Origin => kind == 's',
                Stage::Name | Stage::Information | Stage::Uri => {
                    s > stage && s <= Stage::Time && kind != 'r'
                }
                Stage::Email | Stage::Phone | Stage::Connection | Stage::Bandwidth => {
                    (s > stage || (s == stage && repeatable)) && s <= Stage::Time && kind != 'r'
                }
                Stage::Time | Stage::Zone | Stage::Key | Stage::Attribute => {
                    s > stage || (s == stage && repeatable)
                }
            };
            if !in_order {
                return Err(SdpError::Order {
                    line: number,
                    kind,
                    what: "session lines go in the order v, o, s, i, u, e, p, c, b, t (with r), z, k, a, m",
                });
            }
            stage = s;
            match kind {
                'v' => {
                    let v = parse_u64(&line, 0, line.value, "expected a version number")?;
                    version = Some(
                        u32::try_from(v).map_err(|_| line.error(0, "version above 2^32 - 1"))?,
                    );
                }
                'o' => {
                    let [username, session_id, session_version, net_type, addr_type, address] = line
                        .exact_fields::<6>(
                        "expected `<username> <sess-id> <sess-version> <nettype> <addrtype> <unicast-address>`",
                    )?;
                    origin = Some(Origin {
                        username: username.to_owned(),
                        session_id: session_id.to_owned(),
                        session_version: session_version.to_owned(),
                        net_type: net_type.to_owned(),
                        addr_type: addr_type.to_owned(),
                        unicast_address: address.to_owned(),
                    });
                }
                's' => session_name = Some(line.value.to_owned()),
                'i' => sd.information = Some(line.value.to_owned()),
                'u' => sd.uri = Some(line.value.to_owned()),
                'e' => sd.emails.push(line.value.to_owned()),
                'p' => sd.phones.push(line.value.to_owned()),
                'c' => sd.connection = Some(parse_connection(&line)?),
                'b' => sd.bandwidths.push(parse_bandwidth(&line)?),
                't' => {
                    let [start, stop] =
                        line.exact_fields::<2>("expected `<start-time> <stop-time>`")?;
                    let start = parse_u64(&line, 0, start, "expected a start time in decimal")?;
                    let stop_offset = line.fields().nth(1).map_or(0, |(o, _)| o);
                    let stop =
                        parse_u64(&line, stop_offset, stop, "expected a stop time in decimal")?;
                    sd.times.push(TimeDescription {
                        start,
                        stop,
                        repeats: Vec::new(),
                    });
                }
                'r' => {
                    let t = sd.times.last_mut().ok_or(SdpError::Order {
                        line: number,
                        kind,
                        what: "`r=` follows a `t=` line",
                    })?;
                    t.repeats.push(line.value.to_owned());
                }
                'z' => sd.time_zones = Some(line.value.to_owned()),
                'k' => sd.key = Some(line.value.to_owned()),
                _ => sd.attributes.push(parse_attribute(&line)?),
            }
        }

        sd.version = version.ok_or(SdpError::Missing { kind: 'v' })?;
        sd.origin = origin.ok_or(SdpError::Missing { kind: 'o' })?;
        sd.session_name = session_name.ok_or(SdpError::Missing { kind: 's' })?;
        if sd.times.is_empty() {
            return Err(SdpError::Missing { kind: 't' });
        }
        Ok(sd)
    }
}
