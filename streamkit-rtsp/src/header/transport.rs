//! The `Transport` header (RFC 2326 section 12.39): every parameter, any
//! order, several comma-separated specs.

use std::fmt;

use crate::error::HeaderError;

/// The lower transport of a spec.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LowerTransport {
    /// UDP (`RTP/AVP` or `RTP/AVP/UDP`).
    Udp,
    /// TCP: interleaved in the RTSP connection (`RTP/AVP/TCP`).
    Tcp,
}

/// `unicast` or `multicast`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Cast {
    /// `unicast`
    Unicast,
    /// `multicast`
    Multicast,
}

/// A `mode=` value.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TransportMode {
    /// `PLAY` (the default).
    Play,
    /// `RECORD`
    Record,
    /// Another token.
    Other(String),
}

/// `port[-port]`: RTP's and, usually, RTCP's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PortRange {
    /// The first port (RTP).
    pub rtp: u16,
    /// The second port (RTCP), when given.
    pub rtcp: Option<u16>,
}

impl PortRange {
    /// RTP on `rtp`, RTCP on `rtp + 1`.
    #[must_use]
    pub fn pair(rtp: u16) -> PortRange {
        PortRange {
            rtp,
            rtcp: rtp.checked_add(1),
        }
    }

    fn parse(v: &str) -> Option<PortRange> {
        let (a, b) = match v.split_once('-') {
            Some((a, b)) => (a, Some(b)),
            None => (v, None),
        };
        Some(PortRange {
            rtp: a.trim().parse().ok()?,
            rtcp: match b {
                Some(b) => Some(b.trim().parse().ok()?),
                None => None,
            },
        })
    }
}

impl fmt::Display for PortRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.rtp)?;
        if let Some(r) = self.rtcp {
            write!(f, "-{r}")?;
        }
        Ok(())
    }
}

/// One address of RFC 7826's `dest_addr` or `src_addr`: `host[:port]`
/// or `:port` (the host then is the RTSP peer's).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TransportAddress {
    /// The host (an IP address or a name; IPv6 without brackets), when
    /// given.
    pub host: Option<String>,
    /// The port, when given.
    pub port: Option<u16>,
}

impl TransportAddress {
    /// `:port` (no host).
    #[must_use]
    pub fn port(port: u16) -> TransportAddress {
        TransportAddress {
            host: None,
            port: Some(port),
        }
    }

    /// `host:port`.
    #[must_use]
    pub fn at(host: &str, port: u16) -> TransportAddress {
        TransportAddress {
            host: Some(host.to_owned()),
            port: Some(port),
        }
    }

    /// Parses the text inside the quotes.
    fn parse(v: &str) -> Option<TransportAddress> {
        let v = v.trim();
        if v.is_empty() || v.contains(['"', ' ', ';', ',', '/']) {
            return None;
        }
        let port = |p: &str| p.parse::<u16>().ok();
        if let Some(inner) = v.strip_prefix('[') {
            let (host, rest) = inner.split_once(']')?;
            let port = match rest {
                "" => None,
                r => Some(port(r.strip_prefix(':')?)?),
            };
            return Some(TransportAddress {
                host: Some(host.to_owned()).filter(|h| !h.is_empty()),
                port,
            });
        }
        match v.rsplit_once(':') {
            // A bare IPv6 address: no port.
            Some((host, _)) if host.contains(':') => Some(TransportAddress {
                host: Some(v.to_owned()),
                port: None,
            }),
            Some((host, p)) => Some(TransportAddress {
                host: Some(host.to_owned()).filter(|h| !h.is_empty()),
                port: Some(port(p)?),
            }),
            None => Some(TransportAddress {
                host: Some(v.to_owned()),
                port: None,
            }),
        }
    }

    /// Parses `"a"/"b"...` (spaces around `/` tolerated).
    fn parse_list(v: &str) -> Option<Vec<TransportAddress>> {
        let mut out = Vec::new();
        for part in v.split('/') {
            let inner = part.trim().strip_prefix('"')?.strip_suffix('"')?;
            out.push(TransportAddress::parse(inner)?);
            if out.len() > 16 {
                return None;
            }
        }
        Some(out)
    }
}

impl fmt::Display for TransportAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.host {
            Some(h) if h.contains(':') => write!(f, "[{h}]")?,
            Some(h) => f.write_str(h)?,
            None => {}
        }
        if let Some(p) = self.port {
            write!(f, ":{p}")?;
        }
        Ok(())
    }
}

fn write_addresses(
    f: &mut fmt::Formatter<'_>,
    name: &str,
    list: &[TransportAddress],
) -> fmt::Result {
    if list.is_empty() {
        return Ok(());
    }
    write!(f, ";{name}=")?;
    for (i, a) in list.iter().enumerate() {
        if i > 0 {
            f.write_str("/")?;
        }
        write!(f, "\"{a}\"")?;
    }
    Ok(())
}

/// One transport spec.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TransportSpec {
    /// `RTP/AVP` (the profile; `RTP/AVPF`, `RTP/SAVP` are kept as sent).
    pub profile: String,
    /// UDP or TCP.
    pub lower: LowerTransport,
    /// `unicast` or `multicast`, when said.
    pub cast: Option<Cast>,
    /// `destination=`
    pub destination: Option<String>,
    /// `source=`
    pub source: Option<String>,
    /// `dest_addr=` (RFC 7826): where the media goes, RTP's address then
    /// RTCP's.
    pub dest_addr: Vec<TransportAddress>,
    /// `src_addr=` (RFC 7826): where the media comes from, RTP's then
    /// RTCP's.
    pub src_addr: Vec<TransportAddress>,
    /// `interleaved=a[-b]`
    pub interleaved: Option<(u8, Option<u8>)>,
    /// `append`
    pub append: bool,
    /// `ttl=`
    pub ttl: Option<u8>,
    /// `layers=`
    pub layers: Option<u32>,
    /// `port=` (multicast)
    pub port: Option<PortRange>,
    /// `client_port=`
    pub client_port: Option<PortRange>,
    /// `server_port=`
    pub server_port: Option<PortRange>,
    /// `ssrc=` (8 hex digits; spaces after `=` tolerated)
    pub ssrc: Option<u32>,
    /// `mode=` (quotes optional)
    pub mode: Vec<TransportMode>,
    /// Parameters not listed above, `(name, value)`, in order.
    pub other: Vec<(String, Option<String>)>,
}

impl TransportSpec {
    /// An `RTP/AVP` spec of `lower` and nothing else.
    #[must_use]
    pub fn new(lower: LowerTransport) -> TransportSpec {
        TransportSpec {
            profile: "RTP/AVP".into(),
            lower,
            cast: None,
            destination: None,
            source: None,
            dest_addr: Vec::new(),
            src_addr: Vec::new(),
            interleaved: None,
            append: false,
            ttl: None,
            layers: None,
            port: None,
            client_port: None,
            server_port: None,
            ssrc: None,
            mode: Vec::new(),
            other: Vec::new(),
        }
    }

    /// `true` when the spec asks to record (`mode=record`).
    #[must_use]
    pub fn is_record(&self) -> bool {
        self.mode.contains(&TransportMode::Record)
    }

    /// Parses one spec; the protocol may come after parameters (some
    /// cameras put `ssrc=` first).
    ///
    /// # Errors
    ///
    /// [`HeaderError::Invalid`] without an `RTP/...` protocol or with a
    /// parameter whose value does not parse.
    pub fn parse(spec: &str) -> Result<TransportSpec, HeaderError> {
        let bad = |what| HeaderError::Invalid {
            header: "Transport",
            what,
        };
        let mut out = TransportSpec::new(LowerTransport::Udp);
        let mut protocol = None;
        for part in spec.split(';') {
            let part = part.trim();
            if part.is_empty() {
                continue;
            }
            if protocol.is_none() && part.to_ascii_uppercase().starts_with("RTP/") {
                let upper = part.to_ascii_uppercase();
                let (profile, lower) = match upper.rsplit_once('/') {
                    Some((p, "TCP")) => (p.to_owned(), LowerTransport::Tcp),
                    Some((p, "UDP")) => (p.to_owned(), LowerTransport::Udp),
                    _ => (upper.clone(), LowerTransport::Udp),
                };
                out.profile = profile;
                out.lower = lower;
                protocol = Some(());
                continue;
            }
            let (key, value) = match part.split_once('=') {
                Some((k, v)) => (k.trim(), Some(v.trim())),
                None => (part, None),
            };
            let lower_key = key.to_ascii_lowercase();
            let v = value.unwrap_or("");
            match lower_key.as_str() {
                "unicast" => out.cast = Some(Cast::Unicast),
                "multicast" => out.cast = Some(Cast::Multicast),
                "append" => out.append = true,
                "destination" => out.destination = value.map(str::to_owned),
                "source" => out.source = value.map(str::to_owned),
                "dest_addr" => {
                    out.dest_addr = TransportAddress::parse_list(v)
                        .ok_or(bad("dest_addr is not a list of quoted addresses"))?;
                }
                "src_addr" => {
                    out.src_addr = TransportAddress::parse_list(v)
                        .ok_or(bad("src_addr is not a list of quoted addresses"))?;
                }
                "interleaved" => {
                    let r = PortRange::parse(v).ok_or(bad("interleaved is not a-b"))?;
                    let a = u8::try_from(r.rtp).map_err(|_| bad("interleaved channel over 255"))?;
                    let b = match r.rtcp {
                        Some(b) => {
                            Some(u8::try_from(b).map_err(|_| bad("interleaved channel over 255"))?)
                        }
                        None => None,
                    };
                    out.interleaved = Some((a, b));
                }
                "ttl" => out.ttl = Some(v.parse().map_err(|_| bad("ttl is not 0-255"))?),
                "layers" => {
                    out.layers = Some(v.parse().map_err(|_| bad("layers is not a number"))?)
                }
                "port" => out.port = Some(PortRange::parse(v).ok_or(bad("port is not p-q"))?),
                "client_port" => {
                    out.client_port =
                        Some(PortRange::parse(v).ok_or(bad("client_port is not p-q"))?);
                }
                "server_port" => {
                    out.server_port =
                        Some(PortRange::parse(v).ok_or(bad("server_port is not p-q"))?);
                }
                "ssrc" => {
                    out.ssrc = Some(
                        u32::from_str_radix(v.trim(), 16).map_err(|_| bad("ssrc is not hex"))?,
                    );
                }
                "mode" => {
                    out.mode = v
                        .trim_matches('"')
                        .split(',')
                        .map(str::trim)
                        .filter(|m| !m.is_empty())
                        .map(|m| match m.to_ascii_uppercase().as_str() {
                            "PLAY" => TransportMode::Play,
                            "RECORD" | "RECEIVE" => TransportMode::Record,
                            _ => TransportMode::Other(m.to_owned()),
                        })
                        .collect();
                }
                _ => out.other.push((key.to_owned(), value.map(str::to_owned))),
            }
        }
        protocol.ok_or(bad("no RTP/... protocol"))?;
        Ok(out)
    }
}

impl fmt::Display for TransportSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.profile)?;
        if self.lower == LowerTransport::Tcp {
            f.write_str("/TCP")?;
        }
        match self.cast {
            Some(Cast::Unicast) => f.write_str(";unicast")?,
            Some(Cast::Multicast) => f.write_str(";multicast")?,
            None => {}
        }
        if let Some(d) = &self.destination {
            write!(f, ";destination={d}")?;
        }
        if let Some(s) = &self.source {
            write!(f, ";source={s}")?;
        }
        write_addresses(f, "dest_addr", &self.dest_addr)?;
        write_addresses(f, "src_addr", &self.src_addr)?;
        if let Some((a, b)) = self.interleaved {
            write!(f, ";interleaved={a}")?;
            if let Some(b) = b {
                write!(f, "-{b}")?;
            }
        }
        if self.append {
            f.write_str(";append")?;
        }
        if let Some(t) = self.ttl {
            write!(f, ";ttl={t}")?;
        }
        if let Some(l) = self.layers {
            write!(f, ";layers={l}")?;
        }
        if let Some(p) = self.port {
            write!(f, ";port={p}")?;
        }
        if let Some(p) = self.client_port {
            write!(f, ";client_port={p}")?;
        }
        if let Some(p) = self.server_port {
            write!(f, ";server_port={p}")?;
        }
        if let Some(s) = self.ssrc {
            write!(f, ";ssrc={s:08X}")?;
        }
        if !self.mode.is_empty() {
            f.write_str(";mode=\"")?;
            for (i, m) in self.mode.iter().enumerate() {
                if i > 0 {
                    f.write_str(",")?;
                }
                f.write_str(match m {
                    TransportMode::Play => "PLAY",
                    TransportMode::Record => "RECORD",
                    TransportMode::Other(o) => o,
                })?;
            }
            f.write_str("\"")?;
        }
        for (k, v) in &self.other {
            write!(f, ";{k}")?;
            if let Some(v) = v {
                write!(f, "={v}")?;
            }
        }
        Ok(())
    }
}

/// The `Transport` header: the specs in the client's order of preference.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Transport {
    /// The specs.
    pub specs: Vec<TransportSpec>,
}

impl Transport {
    /// Parses comma-separated specs (a comma inside a quoted `mode=` list
    /// does not split).
    ///
    /// # Errors
    ///
    /// As [`TransportSpec::parse`], and for a header with no spec.
    pub fn parse(value: &str) -> Result<Transport, HeaderError> {
        let specs = super::split_params(value)
            .into_iter()
            .map(TransportSpec::parse)
            .collect::<Result<Vec<_>, _>>()?;
        if specs.is_empty() {
            return Err(HeaderError::Invalid {
                header: "Transport",
                what: "no transport spec",
            });
        }
        Ok(Transport { specs })
    }
}

impl fmt::Display for Transport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, s) in self.specs.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            write!(f, "{s}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn camera_orders_and_spaces() {
        // ssrc first, a space after `=`, mode unquoted, lower case.
        let t = Transport::parse(
            "ssrc= 1A2b3C4d;rtp/avp;unicast;client_port=5000-5001;server_port=6970-6971;mode=play",
        )
        .unwrap();
        let s = &t.specs[0];
        assert_eq!(s.ssrc, Some(0x1a2b_3c4d));
        assert_eq!(s.lower, LowerTransport::Udp);
        assert_eq!(
            s.client_port,
            Some(PortRange {
                rtp: 5000,
                rtcp: Some(5001)
            })
        );
        assert_eq!(s.server_port.map(|p| p.rtp), Some(6970));
        assert_eq!(s.mode, [TransportMode::Play]);
        assert_eq!(
            s.to_string(),
            "RTP/AVP;unicast;client_port=5000-5001;server_port=6970-6971;ssrc=1A2B3C4D;mode=\"PLAY\""
        );
        let t = Transport::parse("RTP/AVP/TCP;unicast;interleaved=2-3;mode=\"RECORD\"").unwrap();
        assert!(t.specs[0].is_record());
        assert_eq!(t.specs[0].interleaved, Some((2, Some(3))));
        let t = Transport::parse(
            "RTP/AVP/UDP;multicast;destination=224.2.0.1;port=3456-3457;ttl=16;x-foo=bar;append",
        )
        .unwrap();
        let s = &t.specs[0];
        assert_eq!(s.cast, Some(Cast::Multicast));
        assert_eq!(s.ttl, Some(16));
        assert_eq!(s.other, [("x-foo".to_owned(), Some("bar".to_owned()))]);
        assert!(s.append);
        assert_eq!(Transport::parse(&t.to_string()).unwrap(), t);
        for bad in [
            "",
            "unicast",
            "RTP/AVP;interleaved=300",
            "RTP/AVP;ttl=x",
            "RTP/AVP;ssrc=zz",
        ] {
            assert!(Transport::parse(bad).is_err(), "{bad}");
        }
    }
}
