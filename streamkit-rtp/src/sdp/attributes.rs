//! `a=` lines: the ordered list and typed views of the common attributes.

use super::{Connection, SdpError};
use core::fmt;

/// One `a=` line: `a=<name>` (a flag) or `a=<name>:<value>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attribute {
    /// The attribute name.
    pub name: String,
    /// The value after the first `:`, if there is one (it may be empty).
    pub value: Option<String>,
}

impl Attribute {
    /// An attribute with the given name and value.
    #[must_use]
    pub fn new(name: &str, value: Option<&str>) -> Attribute {
        Attribute {
            name: name.to_owned(),
            value: value.map(str::to_owned),
        }
    }
}

/// The `a=` lines of a session or media section, in order.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Attributes(Vec<Attribute>);

/// `a=rtpmap:<payload type> <encoding name>/<clock rate>[/<parameters>]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RtpMap {
    /// RTP payload type.
    pub payload_type: u8,
    /// Encoding name as written (`H264`, `MPEG4-GENERIC`, `opus`, ...).
    pub encoding_name: String,
    /// RTP clock rate in Hz.
    pub clock_rate: u32,
    /// Encoding parameters: the channel count for audio.
    pub encoding_params: Option<String>,
}

impl RtpMap {
    /// Parses the value of an `rtpmap` attribute.
    pub fn parse(value: &str) -> Result<RtpMap, SdpError> {
        let err = |what| SdpError::Attribute {
            name: "rtpmap",
            what,
        };
        let (pt, rest) = value.split_once(' ').ok_or(err(
            "expected `<payload type> <encoding name>/<clock rate>`",
        ))?;
        let payload_type = parse_payload_type(pt).ok_or(err("payload type is not 0..=127"))?;
        let mut parts = rest.trim_start().splitn(3, '/');
        let encoding_name = parts.next().unwrap_or("");
        if encoding_name.is_empty() || encoding_name.contains(' ') {
            return Err(err("expected an encoding name"));
        }
        let clock_rate = parts
            .next()
            .filter(|c| c.bytes().all(|b| b.is_ascii_digit()))
            .and_then(|c| c.parse::<u32>().ok())
            .filter(|&c| c > 0)
            .ok_or(err("expected a non-zero clock rate"))?;
        let encoding_params = parts.next().map(str::to_owned);
        if encoding_params.as_deref() == Some("") {
            return Err(err("empty encoding parameters"));
        }
        Ok(RtpMap {
            payload_type,
            encoding_name: encoding_name.to_owned(),
            clock_rate,
            encoding_params,
        })
    }

    /// The channel count from the encoding parameters (1 when absent, as
    /// RFC 8866 section 6.6 says for audio).
    pub fn channels(&self) -> Result<u32, SdpError> {
        match &self.encoding_params {
            None => Ok(1),
            Some(p) => p
                .parse::<u32>()
                .ok()
                .filter(|&c| c > 0)
                .ok_or(SdpError::Attribute {
                    name: "rtpmap",
                    what: "encoding parameters are not a channel count",
                }),
        }
    }
}

impl fmt::Display for RtpMap {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {}/{}",
            self.payload_type, self.encoding_name, self.clock_rate
        )?;
        if let Some(p) = &self.encoding_params {
            write!(f, "/{p}")?;
        }
        Ok(())
    }
}

fn parse_payload_type(s: &str) -> Option<u8> {
    if s.is_empty() || s.len() > 3 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse::<u8>().ok().filter(|&p| p <= 127)
}

/// `a=fmtp:<format> <parameters>`: format-specific parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fmtp {
    /// The format (RTP payload type) this applies to.
    pub format: String,
    /// The parameter text, as written.
    pub parameters: String,
}

impl Fmtp {
    /// Parses the value of an `fmtp` attribute.
    pub fn parse(value: &str) -> Result<Fmtp, SdpError> {
        let (format, parameters) = value.split_once(' ').ok_or(SdpError::Attribute {
            name: "fmtp",
            what: "expected `<format> <parameters>`",
        })?;
        if format.is_empty() {
            return Err(SdpError::Attribute {
                name: "fmtp",
                what: "expected a format",
            });
        }
        Ok(Fmtp {
            format: format.to_owned(),
            parameters: parameters.trim_start().to_owned(),
        })
    }

    /// `key=value` pairs separated by `;` (spaces around them ignored);
    /// a part without `=` gives an empty value.
    pub fn params(&self) -> impl Iterator<Item = (&str, &str)> {
        self.parameters
            .split(';')
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .map(|p| match p.split_once('=') {
                Some((k, v)) => (k.trim(), v.trim()),
                None => (p, ""),
            })
    }

    /// The value of parameter `key`, matched without regard to ASCII case
    /// (parameter names are case-insensitive in RFC 6184, 7798 and 3640).
    #[must_use]
    pub fn get(&self, key: &str) -> Option<&str> {
        self.params()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v)
    }
}

impl fmt::Display for Fmtp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.format, self.parameters)
    }
}

/// The media direction attributes (RFC 8866 section 6.7).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Direction {
    /// `a=sendrecv`.
    SendRecv,
    /// `a=sendonly`.
    SendOnly,
    /// `a=recvonly`.
    RecvOnly,
    /// `a=inactive`.
    Inactive,
}

impl Direction {
    /// The attribute name.
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Direction::SendRecv => "sendrecv",
            Direction::SendOnly => "sendonly",
            Direction::RecvOnly => "recvonly",
            Direction::Inactive => "inactive",
        }
    }
}

/// `a=ssrc:<ssrc-id> <attribute>[:<value>]` (RFC 5576).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SsrcAttribute {
    /// The synchronization source.
    pub ssrc: u32,
    /// The source attribute name (`cname`, `msid`, ...).
    pub attribute: String,
    /// Its value.
    pub value: Option<String>,
}

impl SsrcAttribute {
    /// Parses the value of an `ssrc` attribute.
    pub fn parse(value: &str) -> Result<SsrcAttribute, SdpError> {
        let err = |what| SdpError::Attribute { name: "ssrc", what };
        let (id, rest) = value
            .split_once(' ')
            .ok_or(err("expected `<ssrc-id> <attribute>[:<value>]`"))?;
        let ssrc = id
            .parse::<u32>()
            .ok()
            .filter(|_| id.bytes().all(|b| b.is_ascii_digit()))
            .ok_or(err("ssrc-id is not a 32-bit decimal number"))?;
        let (attribute, v) = match rest.split_once(':') {
            Some((a, v)) => (a, Some(v.to_owned())),
            None => (rest, None),
        };
        if attribute.is_empty() {
            return Err(err("expected a source attribute name"));
        }
        Ok(SsrcAttribute {
            ssrc,
            attribute: attribute.to_owned(),
            value: v,
        })
    }
}

/// `a=framerate:<frame rate>`: a decimal number kept exactly as the
/// fraction `numerator / denominator` (the denominator a power of ten).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FrameRate {
    /// The digits without the decimal point (`2997` for `29.97`).
    pub numerator: u64,
    /// Ten to the number of fraction digits (`100` for `29.97`).
    pub denominator: u64,
}

impl FrameRate {
    /// Parses `30`, `29.97`, `12.5`.
    pub fn parse(value: &str) -> Result<FrameRate, SdpError> {
        let err = SdpError::Attribute {
            name: "framerate",
            what: "expected a decimal number such as 30 or 29.97",
        };
        let (int, frac) = value.split_once('.').unwrap_or((value, ""));
        if int.is_empty()
            || frac.len() > 9
            || !int.bytes().chain(frac.bytes()).all(|b| b.is_ascii_digit())
        {
            return Err(err);
        }
        let denominator = 10u64.pow(frac.len() as u32);
        let numerator = int
            .parse::<u64>()
            .ok()
            .and_then(|i| i.checked_mul(denominator))
            .and_then(|i| i.checked_add(frac.parse::<u64>().unwrap_or(0)))
            .ok_or(err)?;
        Ok(FrameRate {
            numerator,
            denominator,
        })
    }
}

/// `a=rtcp:<port> [<nettype> <addrtype> <connection-address>]` (RFC 3605).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RtcpAttribute {
    /// The RTCP port.
    pub port: u16,
    /// The RTCP address, when it differs from the media's.
    pub connection: Option<Connection>,
}

impl RtcpAttribute {
    /// Parses the value of an `rtcp` attribute.
    pub fn parse(value: &str) -> Result<RtcpAttribute, SdpError> {
        let err = |what| SdpError::Attribute { name: "rtcp", what };
        let mut fields = value.split(' ').filter(|f| !f.is_empty());
        let port = fields
            .next()
            .filter(|p| p.bytes().all(|b| b.is_ascii_digit()))
            .and_then(|p| p.parse::<u16>().ok())
            .ok_or(err("expected a port number"))?;
        let rest: Vec<&str> = fields.by_ref().take(4).collect();
        let connection = match rest.as_slice() {
            [] => None,
            [n, a, c] => Some(Connection {
                net_type: (*n).to_owned(),
                addr_type: (*a).to_owned(),
                address: (*c).to_owned(),
            }),
            _ => {
                return Err(err(
                    "expected `<nettype> <addrtype> <address>` after the port",
                ));
            }
        };
        Ok(RtcpAttribute { port, connection })
    }
}

impl Attributes {
    /// No attributes.
    #[must_use]
    pub const fn new() -> Attributes {
        Attributes(Vec::new())
    }

    /// Appends an attribute.
    pub fn push(&mut self, a: Attribute) {
        self.0.push(a);
    }

    /// Appends `a=<name>:<value>`.
    pub fn push_value(&mut self, name: &str, value: &str) {
        self.0.push(Attribute::new(name, Some(value)));
    }

    /// Appends the flag `a=<name>`.
    pub fn push_flag(&mut self, name: &str) {
        self.0.push(Attribute::new(name, None));
    }

    /// The attributes in order.
    pub fn iter(&self) -> impl Iterator<Item = &Attribute> {
        self.0.iter()
    }

    /// How many there are.
    #[must_use]
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// `true` when there are none.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The attributes as a slice.
    #[must_use]
    pub fn as_slice(&self) -> &[Attribute] {
        &self.0
    }

    /// The value of the first attribute named `name` (`Some(None)` for a
    /// flag), or `None` when absent.
    #[must_use]
    pub fn get(&self, name: &str) -> Option<Option<&str>> {
        self.0
            .iter()
            .find(|a| a.name == name)
            .map(|a| a.value.as_deref())
    }

    /// `true` when a flag or value attribute named `name` is present.
    #[must_use]
    pub fn has(&self, name: &str) -> bool {
        self.0.iter().any(|a| a.name == name)
    }

    /// Values of every attribute named `name`, in order.
    pub fn values<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.0
            .iter()
            .filter(move |a| a.name == name)
            .filter_map(|a| a.value.as_deref())
    }

    /// Every `rtpmap`, parsed.
    pub fn rtpmaps(&self) -> impl Iterator<Item = Result<RtpMap, SdpError>> + '_ {
        self.values("rtpmap").map(RtpMap::parse)
    }

    /// The `rtpmap` for payload type `pt`, if present.
    pub fn rtpmap(&self, pt: u8) -> Result<Option<RtpMap>, SdpError> {
        let key = pt.to_string();
        self.values("rtpmap")
            .find(|v| v.split(' ').next() == Some(key.as_str()))
            .map(RtpMap::parse)
            .transpose()
    }

    /// The `fmtp` for format `pt`, if present.
    pub fn fmtp(&self, pt: u8) -> Result<Option<Fmtp>, SdpError> {
        let key = pt.to_string();
        self.values("fmtp")
            .find(|v| v.split(' ').next() == Some(key.as_str()))
            .map(Fmtp::parse)
            .transpose()
    }

    /// The `control` URL (RTSP, RFC 7826 appendix D.1).
    #[must_use]
    pub fn control(&self) -> Option<&str> {
        self.values("control").next()
    }

    /// `true` when `a=rtcp-mux` is present (RFC 5761).
    #[must_use]
    pub fn rtcp_mux(&self) -> bool {
        self.has("rtcp-mux")
    }

    /// The last direction attribute, if any (callers fall back to the
    /// session level, then to [`Direction::SendRecv`]).
    #[must_use]
    pub fn direction(&self) -> Option<Direction> {
        self.0.iter().rev().find_map(|a| match a.name.as_str() {
            "sendrecv" => Some(Direction::SendRecv),
            "sendonly" => Some(Direction::SendOnly),
            "recvonly" => Some(Direction::RecvOnly),
            "inactive" => Some(Direction::Inactive),
            _ => None,
        })
    }

    /// Every `ssrc` attribute, parsed.
    pub fn ssrcs(&self) -> impl Iterator<Item = Result<SsrcAttribute, SdpError>> + '_ {
        self.values("ssrc").map(SsrcAttribute::parse)
    }

    /// The `framerate`, if present.
    pub fn framerate(&self) -> Result<Option<FrameRate>, SdpError> {
        self.values("framerate")
            .next()
            .map(FrameRate::parse)
            .transpose()
    }

    /// The `rtcp` attribute, if present.
    pub fn rtcp(&self) -> Result<Option<RtcpAttribute>, SdpError> {
        self.values("rtcp")
            .next()
            .map(RtcpAttribute::parse)
            .transpose()
    }
}

impl<'a> IntoIterator for &'a Attributes {
    type Item = &'a Attribute;
    type IntoIter = core::slice::Iter<'a, Attribute>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

impl FromIterator<Attribute> for Attributes {
    fn from_iter<I: IntoIterator<Item = Attribute>>(iter: I) -> Self {
        Attributes(iter.into_iter().collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attrs(lines: &[(&str, Option<&str>)]) -> Attributes {
        lines.iter().map(|(n, v)| Attribute::new(n, *v)).collect()
    }

    #[test]
    fn rtpmap() {
        let a = attrs(&[
            ("rtpmap", Some("96 H264/90000")),
            ("rtpmap", Some("97 MPEG4-GENERIC/44100/2")),
            ("rtpmap", Some("111 opus/48000/2")),
        ]);
        let m = a.rtpmap(97).unwrap().unwrap();
        assert_eq!(m.payload_type, 97);
        assert_eq!(m.encoding_name, "MPEG4-GENERIC");
        assert_eq!(m.clock_rate, 44_100);
        assert_eq!(m.channels().unwrap(), 2);
        assert_eq!(m.to_string(), "97 MPEG4-GENERIC/44100/2");
        assert_eq!(a.rtpmap(96).unwrap().unwrap().channels().unwrap(), 1);
        assert_eq!(a.rtpmap(98).unwrap(), None);
        assert_eq!(a.rtpmaps().count(), 3);
        for bad in [
            "96",
            "200 x/1",
            "96 H264",
            "96 H264/0",
            "96 H264/x",
            "96 H264/1/",
        ] {
            assert!(RtpMap::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn fmtp_parameters() {
        let f = Fmtp::parse(
            "96 packetization-mode=1; sprop-parameter-sets=Z0LAHtkDxWhAAAADAEAAAAwDxYuS,aMuMsg==; profile-level-id=42C01E",
        )
        .unwrap();
        assert_eq!(f.format, "96");
        assert_eq!(f.get("PACKETIZATION-MODE"), Some("1"));
        assert_eq!(
            f.get("sprop-parameter-sets"),
            Some("Z0LAHtkDxWhAAAADAEAAAAwDxYuS,aMuMsg==")
        );
        assert_eq!(f.get("profile-level-id"), Some("42C01E"));
        assert_eq!(f.params().count(), 3);
        assert_eq!(
            Fmtp::parse("101 0-15").unwrap().params().next(),
            Some(("0-15", ""))
        );
        assert!(Fmtp::parse("96").is_err());
    }

    #[test]
    fn flags_direction_control_ssrc_framerate_rtcp() {
        let a = attrs(&[
            ("control", Some("streamid=0")),
            ("rtcp-mux", None),
            ("sendonly", None),
            ("ssrc", Some("314159 cname:user@example.com")),
            ("ssrc", Some("314159 label")),
            ("framerate", Some("29.97")),
            ("rtcp", Some("53020 IN IP4 126.16.64.4")),
        ]);
        assert_eq!(a.control(), Some("streamid=0"));
        assert!(a.rtcp_mux());
        assert_eq!(a.direction(), Some(Direction::SendOnly));
        let s: Vec<_> = a.ssrcs().collect::<Result<_, _>>().unwrap();
        assert_eq!(s[0].ssrc, 314_159);
        assert_eq!(s[0].attribute, "cname");
        assert_eq!(s[0].value.as_deref(), Some("user@example.com"));
        assert_eq!(s[1].value, None);
        assert_eq!(
            a.framerate().unwrap(),
            Some(FrameRate {
                numerator: 2997,
                denominator: 100
            })
        );
        let r = a.rtcp().unwrap().unwrap();
        assert_eq!(r.port, 53020);
        assert_eq!(r.connection.unwrap().address, "126.16.64.4");
        assert_eq!(RtcpAttribute::parse("9").unwrap().connection, None);
        assert!(RtcpAttribute::parse("9 IN IP4").is_err());
        assert!(RtcpAttribute::parse("70000").is_err());
        assert!(FrameRate::parse("30.").is_ok());
        assert!(FrameRate::parse(".5").is_err());
        assert!(FrameRate::parse("99999999999999999999").is_err());
        assert!(SsrcAttribute::parse("4294967296 cname:x").is_err());
        assert!(SsrcAttribute::parse("+1 cname:x").is_err());
        assert_eq!(attrs(&[]).direction(), None);
    }
}
