//! One question, everything the static tables know: a port number, a
//! service name, a URL scheme or a protocol name.
//!
//! ```
//! use streamkit_ports::lookup;
//!
//! let answer = lookup("rtmps").unwrap();
//! assert_eq!(answer.scheme().unwrap().default_port, Some(443));
//! assert_eq!(answer.protocols()[0].name, "RTMPS");
//! println!("{answer}");
//!
//! assert!(lookup("no-such-thing").is_none());
//! ```

use std::fmt;

use crate::protocol::{self, ProtocolId, StreamingProtocol};
use crate::scheme::{self, UrlScheme};
use crate::service::{self, SERVICES, Service};

/// What the static tables know about a query; see [`lookup`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lookup {
    services: Vec<&'static Service>,
    scheme: Option<&'static UrlScheme>,
    protocols: Vec<&'static StreamingProtocol>,
}

impl Lookup {
    /// Services at the port, or with the name.
    #[must_use]
    pub fn services(&self) -> &[&'static Service] {
        &self.services
    }

    /// The URL scheme of that name.
    #[must_use]
    pub fn scheme(&self) -> Option<&'static UrlScheme> {
        self.scheme
    }

    /// Streaming protocols with that default port, name or scheme.
    #[must_use]
    pub fn protocols(&self) -> &[&'static StreamingProtocol] {
        &self.protocols
    }

    fn add_protocol(&mut self, p: &'static StreamingProtocol) {
        if !self.protocols.iter().any(|q| q.id == p.id) {
            self.protocols.push(p);
        }
    }
}

/// Answers `query`: a port number (`21`), a service name or alias (`ssh`,
/// `rtmp`), a URL scheme (`rtmps`, also written `rtmps://` or `rtmps:`) or a
/// protocol name (`HLS`, `MPEG-DASH`), ASCII case ignored. `None` when
/// nothing matches.
#[must_use]
pub fn lookup(query: &str) -> Option<Lookup> {
    let query = query.trim();
    let mut answer = Lookup {
        services: Vec::new(),
        scheme: None,
        protocols: Vec::new(),
    };
    if !query.is_empty() && query.bytes().all(|b| b.is_ascii_digit()) {
        let port = query.parse::<u16>().ok()?;
        answer.services = SERVICES
            .iter()
            .filter(|s| s.ports().contains(port))
            .collect();
        for p in protocol::protocols_on_port(port) {
            answer.add_protocol(p);
        }
    } else {
        let name = query
            .strip_suffix("://")
            .or_else(|| query.strip_suffix(':'))
            .unwrap_or(query);
        answer.services = service::services_named(name).collect();
        answer.scheme = scheme::scheme(name);
        if let Some(id) = answer.scheme.and_then(|s| s.protocol) {
            answer.add_protocol(ProtocolId::facts(id));
        }
        for p in protocol::protocols_named(name) {
            answer.add_protocol(p);
        }
    }
    let empty =
        answer.services.is_empty() && answer.scheme.is_none() && answer.protocols.is_empty();
    (!empty).then_some(answer)
}

impl fmt::Display for Lookup {
    /// Sections for services, the scheme and protocol facts; empty sections
    /// are left out.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut first = true;
        let mut section = |f: &mut fmt::Formatter<'_>, title: &str| {
            if !first {
                writeln!(f)?;
            }
            first = false;
            writeln!(f, "{title}:")
        };
        if !self.services.is_empty() {
            section(f, "Services")?;
            for s in &self.services {
                writeln!(f, "  {s}")?;
            }
        }
        if let Some(s) = self.scheme {
            section(f, "URL scheme")?;
            writeln!(f, "  {s}")?;
        }
        if !self.protocols.is_empty() {
            section(f, "Streaming protocols")?;
            for p in &self.protocols {
                for line in p.to_string().lines() {
                    writeln!(f, "  {line}")?;
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(l: &Lookup) -> Vec<&str> {
        l.services().iter().map(|s| s.name()).collect()
    }

    #[test]
    fn by_port() {
        let l = lookup("21").unwrap();
        assert_eq!(names(&l), ["ftp"]);
        assert!(l.scheme().is_none() && l.protocols().is_empty());
        let l = lookup("1935").unwrap();
        assert_eq!(names(&l), ["macromedia-fcs"]);
        let p: Vec<_> = l.protocols().iter().map(|p| p.name).collect();
        assert_eq!(p, ["RTMP", "RTMPE"]);
        assert_eq!(names(&lookup("6001").unwrap()), ["x11"]);
        assert!(lookup("0").is_none());
        assert!(lookup("65536").is_none());
        assert!(lookup("2").is_none());
    }

    #[test]
    fn by_name_scheme_and_protocol() {
        let l = lookup("rtsp").unwrap();
        assert_eq!(names(&l), ["rtsp"]);
        assert_eq!(l.scheme().unwrap().default_port, Some(554));
        assert_eq!(l.protocols()[0].id, ProtocolId::Rtsp);
        assert_eq!(l.protocols().len(), 1);
        let l = lookup("RTMPS://").unwrap();
        assert_eq!(names(&l), ["rtmps"]);
        assert_eq!(l.protocols()[0].id, ProtocolId::Rtmps);
        let l = lookup("HLS").unwrap();
        assert!(l.services().is_empty() && l.scheme().is_none());
        assert_eq!(l.protocols()[0].id, ProtocolId::Hls);
        assert!(lookup("").is_none());
        assert!(lookup("nonsense").is_none());
    }

    #[test]
    fn display_of_a_port() {
        assert_eq!(
            lookup("465").unwrap().to_string(),
            "Services:\n  submissions 465/tcp (aliases: smtps) — Message submission (SMTP) over \
             implicit TLS [RFC 8314; IANA-registered]\n"
        );
    }
}
