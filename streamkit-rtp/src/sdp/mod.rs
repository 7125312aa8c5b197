//! SDP (RFC 8866): parse and write whole session descriptions.
//!
//! [`SessionDescription::parse`] reads every line type (`v o s i u e p c b t
//! r z k a m`) in the order RFC 8866 section 5 gives, with several media
//! sections. It is lenient where real senders differ (lines end in CRLF or a
//! bare LF, trailing spaces and tabs are ignored, blank lines are skipped)
//! and strict about structure: a missing or misplaced line, or a field that
//! does not parse, gives an [`SdpError`] naming the line and column.
//! [`SessionDescription::write`] writes the canonical form with CRLF line
//! ends, after checking that no field would break the syntax.
//!
//! Attributes stay in their order as `(name, Option<value>)`
//! ([`Attribute`]); [`Attributes`] has typed accessors for `rtpmap`, `fmtp`,
//! `control`, `rtcp-mux`, the direction attributes, `ssrc`, `framerate` and
//! `rtcp`. The [`codec`] module builds media sections from core's codec
//! configuration and turns them back into it.
//!
//! ```
//! use streamkit_rtp::sdp::{Direction, SessionDescription};
//!
//! let text = "v=0\r\no=- 0 0 IN IP4 127.0.0.1\r\ns=No Name\r\n\
//!             c=IN IP4 127.0.0.1\r\nt=0 0\r\na=tool:libavformat\r\n\
//!             m=video 5004 RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\n\
//!             a=fmtp:96 packetization-mode=1\r\n";
//! let sdp = SessionDescription::parse(text)?;
//! let video = &sdp.media[0];
//! assert_eq!(video.port, 5004);
//! let rtpmap = video.attributes.rtpmap(96)?.expect("rtpmap");
//! assert_eq!((rtpmap.encoding_name.as_str(), rtpmap.clock_rate), ("H264", 90_000));
//! assert_eq!(video.attributes.fmtp(96)?.expect("fmtp").get("packetization-mode"), Some("1"));
//! assert_eq!(video.attributes.direction(), None);
//! assert_eq!(sdp.write()?, text);
//! # Ok::<(), streamkit_rtp::sdp::SdpError>(())
//! ```

mod attributes;
pub mod base64;
pub mod codec;

pub use attributes::{
    Attribute, Attributes, Direction, Fmtp, FrameRate, RtcpAttribute, RtpMap, SsrcAttribute,
};

pub use crate::error::SdpError;

use core::fmt::Write as _;

/// `o=`: the originator and session identifier.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    /// The user's login, or `-`.
    pub username: String,
    /// Session id (a numeric string).
    pub session_id: String,
    /// Session version (a numeric string).
    pub session_version: String,
    /// Network type, `IN`.
    pub net_type: String,
    /// Address type, `IP4` or `IP6`.
    pub addr_type: String,
    /// The originating host's address or name.
    pub unicast_address: String,
}

/// `c=`: connection data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Connection {
    /// Network type, `IN`.
    pub net_type: String,
    /// Address type, `IP4` or `IP6`.
    pub addr_type: String,
    /// The address, with `/ttl` and `/count` suffixes for multicast.
    pub address: String,
}

/// `b=`: a bandwidth line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bandwidth {
    /// The modifier: `CT`, `AS`, `RS`, `RR`, `TIAS`, ...
    pub bw_type: String,
    /// The value (kilobits per second for `CT` and `AS`).
    pub bandwidth: u64,
}

/// `t=` with its `r=` lines: when the session is active.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimeDescription {
    /// Start time (NTP seconds), 0 for unbounded.
    pub start: u64,
    /// Stop time (NTP seconds), 0 for unbounded.
    pub stop: u64,
    /// `r=` lines, as written (`<interval> <duration> <offsets>...`).
    pub repeats: Vec<String>,
}

/// `m=` and the lines that follow it: one media description.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaDescription {
    /// Media type: `audio`, `video`, `text`, `application`, `message`.
    pub media: String,
    /// Transport port.
    pub port: u16,
    /// The `/<number of ports>` suffix, if present.
    pub num_ports: Option<u16>,
    /// Transport protocol: `RTP/AVP`, `RTP/SAVPF`, `UDP`, ...
    pub protocol: String,
    /// Media formats: RTP payload type numbers for the RTP profiles.
    pub formats: Vec<String>,
    /// `i=`: media title.
    pub information: Option<String>,
    /// `c=` lines.
    pub connections: Vec<Connection>,
    /// `b=` lines.
    pub bandwidths: Vec<Bandwidth>,
    /// `k=` (obsolete, kept as written).
    pub key: Option<String>,
    /// `a=` lines, in order.
    pub attributes: Attributes,
}

impl MediaDescription {
    /// A media section with no lines beyond `m=`.
    #[must_use]
    pub fn new(media: &str, port: u16, protocol: &str, formats: Vec<String>) -> MediaDescription {
        MediaDescription {
            media: media.to_owned(),
            port,
            num_ports: None,
            protocol: protocol.to_owned(),
            formats,
            information: None,
            connections: Vec::new(),
            bandwidths: Vec::new(),
            key: None,
            attributes: Attributes::default(),
        }
    }
}

/// A whole SDP session description (RFC 8866 section 5).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionDescription {
    /// `v=`: protocol version, 0.
    pub version: u32,
    /// `o=`.
    pub origin: Origin,
    /// `s=`: session name (written as a single space when empty).
    pub session_name: String,
    /// `i=`: session information.
    pub information: Option<String>,
    /// `u=`: URI of description.
    pub uri: Option<String>,
    /// `e=` lines.
    pub emails: Vec<String>,
    /// `p=` lines.
    pub phones: Vec<String>,
    /// `c=`: session-level connection data.
    pub connection: Option<Connection>,
    /// `b=` lines.
    pub bandwidths: Vec<Bandwidth>,
    /// One or more `t=` lines, each with its `r=` lines.
    pub times: Vec<TimeDescription>,
    /// `z=`: time zone adjustments, as written.
    pub time_zones: Option<String>,
    /// `k=` (obsolete, kept as written).
    pub key: Option<String>,
    /// Session-level `a=` lines, in order.
    pub attributes: Attributes,
    /// Media descriptions, in order.
    pub media: Vec<MediaDescription>,
}

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
    /// A minimal description: `v=0`, the given origin, session name and one
    /// `t=0 0`, no media.
    #[must_use]
    pub fn new(origin: Origin, session_name: &str) -> SessionDescription {
        SessionDescription {
            version: 0,
            origin,
            session_name: session_name.to_owned(),
            information: None,
            uri: None,
            emails: Vec::new(),
            phones: Vec::new(),
            connection: None,
            bandwidths: Vec::new(),
            times: vec![TimeDescription {
                start: 0,
                stop: 0,
                repeats: Vec::new(),
            }],
            time_zones: None,
            key: None,
            attributes: Attributes::default(),
            media: Vec::new(),
        }
    }

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

    /// Writes the description with CRLF line ends, in the order of RFC 8866
    /// section 5. An empty session name is written as `s= `.
    pub fn write(&self) -> Result<String, SdpError> {
        let mut out = String::new();
        self.write_to(&mut out)?;
        Ok(out)
    }

    /// Appends the written description to `out` (see [`write`]); on error
    /// `out` may hold part of it.
    ///
    /// [`write`]: SessionDescription::write
    pub fn write_to(&self, out: &mut String) -> Result<(), SdpError> {
        if self.times.is_empty() {
            return Err(SdpError::Unwritable {
                field: "t=",
                what: "a description needs at least one time description",
            });
        }
        line(out, 'v', &[Field::Num(u64::from(self.version))])?;
        let o = &self.origin;
        line(
            out,
            'o',
            &[
                Field::Token("o= username", &o.username),
                Field::Token("o= sess-id", &o.session_id),
                Field::Token("o= sess-version", &o.session_version),
                Field::Token("o= nettype", &o.net_type),
                Field::Token("o= addrtype", &o.addr_type),
                Field::Token("o= unicast-address", &o.unicast_address),
            ],
        )?;
        if self.session_name.is_empty() {
            out.push_str("s= \r\n");
        } else {
            line(out, 's', &[Field::Text("s=", &self.session_name)])?;
        }
        if let Some(i) = &self.information {
            line(out, 'i', &[Field::Text("i=", i)])?;
        }
        if let Some(u) = &self.uri {
            line(out, 'u', &[Field::Text("u=", u)])?;
        }
        for e in &self.emails {
            line(out, 'e', &[Field::Text("e=", e)])?;
        }
        for p in &self.phones {
            line(out, 'p', &[Field::Text("p=", p)])?;
        }
        if let Some(c) = &self.connection {
            write_connection(out, c)?;
        }
        for b in &self.bandwidths {
            write_bandwidth(out, b)?;
        }
        for t in &self.times {
            line(out, 't', &[Field::Num(t.start), Field::Num(t.stop)])?;
            for r in &t.repeats {
                line(out, 'r', &[Field::Text("r=", r)])?;
            }
        }
        if let Some(z) = &self.time_zones {
            line(out, 'z', &[Field::Text("z=", z)])?;
        }
        if let Some(k) = &self.key {
            line(out, 'k', &[Field::Text("k=", k)])?;
        }
        for a in self.attributes.iter() {
            write_attribute(out, a)?;
        }
        for m in &self.media {
            write_media(out, m)?;
        }
        Ok(())
    }
}

enum Field<'a> {
    /// A single token: non-empty, no space, no control characters.
    Token(&'static str, &'a str),
    /// Free text: no CR, LF or NUL, no trailing space or tab, not empty.
    Text(&'static str, &'a str),
    Num(u64),
}

fn check_text(field: &'static str, s: &str) -> Result<(), SdpError> {
    if s.contains(['\r', '\n', '\0']) {
        return Err(SdpError::Unwritable {
            field,
            what: "contains CR, LF or NUL",
        });
    }
    if s.ends_with([' ', '\t']) {
        return Err(SdpError::Unwritable {
            field,
            what: "ends with a space or tab, which readers strip",
        });
    }
    Ok(())
}

fn check_token(field: &'static str, s: &str) -> Result<(), SdpError> {
    if s.is_empty() {
        return Err(SdpError::Unwritable {
            field,
            what: "is empty",
        });
    }
    if s.bytes().any(|b| b <= b' ' || b == 0x7f) {
        return Err(SdpError::Unwritable {
            field,
            what: "contains a space or control character",
        });
    }
    Ok(())
}

fn line(out: &mut String, kind: char, fields: &[Field<'_>]) -> Result<(), SdpError> {
    out.push(kind);
    out.push('=');
    for (i, f) in fields.iter().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        match f {
            Field::Token(name, s) => {
                check_token(name, s)?;
                out.push_str(s);
            }
            Field::Text(name, s) => {
                check_text(name, s)?;
                if s.is_empty() {
                    return Err(SdpError::Unwritable {
                        field: name,
                        what: "is empty",
                    });
                }
                out.push_str(s);
            }
            Field::Num(n) => {
                let _ = write!(out, "{n}");
            }
        }
    }
    out.push_str("\r\n");
    Ok(())
}

fn write_connection(out: &mut String, c: &Connection) -> Result<(), SdpError> {
    line(
        out,
        'c',
        &[
            Field::Token("c= nettype", &c.net_type),
            Field::Token("c= addrtype", &c.addr_type),
            Field::Token("c= connection-address", &c.address),
        ],
    )
}

fn write_bandwidth(out: &mut String, b: &Bandwidth) -> Result<(), SdpError> {
    check_token("b= bwtype", &b.bw_type)?;
    if b.bw_type.contains(':') {
        return Err(SdpError::Unwritable {
            field: "b= bwtype",
            what: "contains `:`",
        });
    }
    let _ = write!(out, "b={}:{}\r\n", b.bw_type, b.bandwidth);
    Ok(())
}

fn write_attribute(out: &mut String, a: &Attribute) -> Result<(), SdpError> {
    check_token("a= name", &a.name)?;
    if a.name.contains(':') {
        return Err(SdpError::Unwritable {
            field: "a= name",
            what: "contains `:`",
        });
    }
    out.push_str("a=");
    out.push_str(&a.name);
    if let Some(v) = &a.value {
        check_text("a= value", v)?;
        out.push(':');
        out.push_str(v);
    }
    out.push_str("\r\n");
    Ok(())
}

fn write_media(out: &mut String, m: &MediaDescription) -> Result<(), SdpError> {
    check_token("m= media", &m.media)?;
    check_token("m= proto", &m.protocol)?;
    let _ = write!(out, "m={} {}", m.media, m.port);
    if let Some(n) = m.num_ports {
        let _ = write!(out, "/{n}");
    }
    out.push(' ');
    out.push_str(&m.protocol);
    for f in &m.formats {
        check_token("m= fmt", f)?;
        out.push(' ');
        out.push_str(f);
    }
    out.push_str("\r\n");
    if let Some(i) = &m.information {
        line(out, 'i', &[Field::Text("i=", i)])?;
    }
    for c in &m.connections {
        write_connection(out, c)?;
    }
    for b in &m.bandwidths {
        write_bandwidth(out, b)?;
    }
    if let Some(k) = &m.key {
        line(out, 'k', &[Field::Text("k=", k)])?;
    }
    for a in m.attributes.iter() {
        write_attribute(out, a)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The example of RFC 8866 section 5.
    const RFC8866_EXAMPLE: &str = "v=0\r\n\
        o=jdoe 3724394400 3724394405 IN IP4 198.51.100.1\r\n\
        s=Call to John Smith\r\n\
        i=SDP Offer #1\r\n\
        u=http://www.jdoe.example.com/home.html\r\n\
        e=Jane Doe <jane@jdoe.example.com>\r\n\
        p=+1 617 555-6011\r\n\
        c=IN IP4 198.51.100.1\r\n\
        t=0 0\r\n\
        m=audio 49170 RTP/AVP 0\r\n\
        m=audio 49180 RTP/AVP 0\r\n\
        m=video 51372 RTP/AVP 99\r\n\
        c=IN IP6 2001:db8::2\r\n\
        a=rtpmap:99 h263-1998/90000\r\n";

    #[test]
    fn rfc8866_example_parses_and_writes_back() {
        let sd = SessionDescription::parse(RFC8866_EXAMPLE).unwrap();
        assert_eq!(sd.version, 0);
        assert_eq!(sd.origin.username, "jdoe");
        assert_eq!(sd.origin.session_id, "3724394400");
        assert_eq!(sd.origin.session_version, "3724394405");
        assert_eq!(sd.origin.unicast_address, "198.51.100.1");
        assert_eq!(sd.session_name, "Call to John Smith");
        assert_eq!(sd.information.as_deref(), Some("SDP Offer #1"));
        assert_eq!(
            sd.uri.as_deref(),
            Some("http://www.jdoe.example.com/home.html")
        );
        assert_eq!(sd.emails, ["Jane Doe <jane@jdoe.example.com>"]);
        assert_eq!(sd.phones, ["+1 617 555-6011"]);
        assert_eq!(sd.connection.as_ref().unwrap().address, "198.51.100.1");
        assert_eq!(sd.times.len(), 1);
        assert_eq!(sd.media.len(), 3);
        assert_eq!(sd.media[0].media, "audio");
        assert_eq!(sd.media[0].port, 49170);
        assert_eq!(sd.media[0].formats, ["0"]);
        assert_eq!(sd.media[1].port, 49180);
        let v = &sd.media[2];
        assert_eq!((v.media.as_str(), v.port), ("video", 51372));
        assert_eq!(v.connections[0].addr_type, "IP6");
        assert_eq!(v.connections[0].address, "2001:db8::2");
        let map = v.attributes.rtpmap(99).unwrap().unwrap();
        assert_eq!(map.encoding_name, "h263-1998");
        assert_eq!(map.clock_rate, 90_000);
        assert_eq!(sd.write().unwrap(), RFC8866_EXAMPLE);
    }

    #[test]
    fn every_line_type() {
        let text = "v=0\n\
            o=- 1 2 IN IP4 10.0.0.1\n\
            s=All\n\
            i=info\n\
            u=rtsp://example.com/x\n\
            e=a@example.com\n\
            e=b@example.com\n\
            p=+1 555\n\
            c=IN IP4 224.2.17.12/127\n\
            b=CT:1000\n\
            b=AS:500\n\
            t=2873397496 2873404696\n\
            r=604800 3600 0 90000\n\
            r=7d 1h 0 25h\n\
            t=0 0\n\
            z=2882844526 -1h 2898848070 0\n\
            k=prompt\n\
            a=recvonly\n\
            a=tool:x\n\
            m=audio 49230/2 RTP/AVP 96 97\n\
            i=the audio\n\
            c=IN IP4 10.0.0.2\n\
            c=IN IP4 10.0.0.3\n\
            b=AS:64\n\
            k=clear:abc\n\
            a=rtpmap:96 L8/8000\n\
            a=sendonly\n";
        let sd = SessionDescription::parse(text).unwrap();
        assert_eq!(sd.emails.len(), 2);
        assert_eq!(sd.bandwidths[1].bw_type, "AS");
        assert_eq!(sd.bandwidths[1].bandwidth, 500);
        assert_eq!(sd.times.len(), 2);
        assert_eq!(sd.times[0].start, 2_873_397_496);
        assert_eq!(sd.times[0].repeats, ["604800 3600 0 90000", "7d 1h 0 25h"]);
        assert_eq!(
            sd.time_zones.as_deref(),
            Some("2882844526 -1h 2898848070 0")
        );
        assert_eq!(sd.key.as_deref(), Some("prompt"));
        assert_eq!(sd.attributes.direction(), Some(Direction::RecvOnly));
        let m = &sd.media[0];
        assert_eq!(m.num_ports, Some(2));
        assert_eq!(m.formats, ["96", "97"]);
        assert_eq!(m.information.as_deref(), Some("the audio"));
        assert_eq!(m.connections.len(), 2);
        assert_eq!(m.key.as_deref(), Some("clear:abc"));
        assert_eq!(m.attributes.direction(), Some(Direction::SendOnly));
        let written = sd.write().unwrap();
        assert_eq!(written, text.replace('\n', "\r\n"));
        assert_eq!(SessionDescription::parse(&written).unwrap(), sd);
    }

    #[test]
    fn lenient_line_ends_and_trailing_space() {
        let text = "v=0 \r\no=- 0 0 IN IP4 127.0.0.1\t\n\ns=x\r\nt=0 0\n\nm=video 0 RTP/AVP 96  \r\na=control:streamid=0 \n";
        let sd = SessionDescription::parse(text).unwrap();
        assert_eq!(sd.media[0].formats, ["96"]);
        assert_eq!(sd.media[0].attributes.control(), Some("streamid=0"));
    }

    #[test]
    fn errors_name_line_and_column() {
        let e = |t: &str| SessionDescription::parse(t).unwrap_err();
        assert_eq!(
            e("v=0\r\no=- 0 0 IN IP4\r\n"),
            SdpError::Syntax {
                line: 2,
                column: 15,
                what: "expected `<username> <sess-id> <sess-version> <nettype> <addrtype> <unicast-address>`"
            }
        );
        assert_eq!(
            e("v=0\no=- 0 0 IN IP4 h\ns=x\nt=0 zero\n"),
            SdpError::Syntax {
                line: 4,
                column: 5,
                what: "expected a stop time in decimal"
            }
        );
        assert_eq!(
            e("v=0\no=- 0 0 IN IP4 h\ns=x\nt=0 0\nm=video 70000 RTP/AVP 96\n"),
            SdpError::Syntax {
                line: 5,
                column: 9,
                what: "port above 65535"
            }
        );
        assert!(matches!(
            e("o=- 0 0 IN IP4 h\nv=0\n"),
            SdpError::Order {
                line: 1,
                kind: 'o',
                ..
            }
        ));
        assert!(matches!(
            e("v=0\no=- 0 0 IN IP4 h\ns=x\nc=IN IP4 h\ni=late\nt=0 0\n"),
            SdpError::Order {
                line: 5,
                kind: 'i',
                ..
            }
        ));
        assert!(matches!(
            e("v=0\no=- 0 0 IN IP4 h\ns=x\nt=0 0\nm=audio 1 RTP/AVP 0\na=x\nc=IN IP4 h\n"),
            SdpError::Order {
                line: 7,
                kind: 'c',
                ..
            }
        ));
        assert!(matches!(
            e("v=0\no=- 0 0 IN IP4 h\ns=x\nt=0 0\nx=1\n"),
            SdpError::Order {
                line: 5,
                kind: 'x',
                ..
            }
        ));
        assert_eq!(
            e("v=0\no=- 0 0 IN IP4 h\ns=x\n"),
            SdpError::Missing { kind: 't' }
        );
        assert!(matches!(
            e("v=0\no=- 0 0 IN IP4 h\ns=x\nt=0 0\nm=audio 1 RTP/AVP 0\nV=1\n"),
            SdpError::Syntax {
                line: 6,
                column: 1,
                ..
            }
        ));
        assert!(matches!(
            SessionDescription::parse_bytes(b"v=0\no=\xff"),
            Err(SdpError::NotUtf8 { offset: 6 })
        ));
    }

    #[test]
    fn writer_rejects_fields_that_break_the_syntax() {
        let mut sd = SessionDescription::parse("v=0\no=- 0 0 IN IP4 h\ns=x\nt=0 0\n").unwrap();
        sd.information = Some("two\r\nlines".into());
        assert!(matches!(
            sd.write(),
            Err(SdpError::Unwritable { field: "i=", .. })
        ));
        sd.information = None;
        sd.origin.username = "a b".into();
        assert!(matches!(
            sd.write(),
            Err(SdpError::Unwritable {
                field: "o= username",
                ..
            })
        ));
        sd.origin.username = "-".into();
        sd.session_name = String::new();
        assert_eq!(
            sd.write().unwrap(),
            "v=0\r\no=- 0 0 IN IP4 h\r\ns= \r\nt=0 0\r\n"
        );
    }
}
