//! Transport protocols, sets of them, and port ranges.
//!
//! ```
//! use streamkit_ports::{PortRange, Transport, Transports};
//!
//! let rtsp = Transports::TCP.union(Transports::UDP);
//! assert!(rtsp.contains(Transport::Udp));
//! assert_eq!(rtsp.to_string(), "tcp/udp");
//!
//! let x11 = PortRange::new(6000, 6063).unwrap();
//! assert!(x11.contains(6010));
//! assert_eq!(x11.to_string(), "6000-6063");
//! ```

use core::fmt;

/// A transport protocol a port number is assigned under.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Transport {
    /// Transmission Control Protocol (RFC 9293).
    Tcp,
    /// User Datagram Protocol (RFC 768).
    Udp,
    /// Stream Control Transmission Protocol (RFC 9260).
    Sctp,
    /// Datagram Congestion Control Protocol (RFC 4340).
    Dccp,
}

impl Transport {
    /// Every transport, in registry order.
    pub const ALL: [Transport; 4] = [
        Transport::Tcp,
        Transport::Udp,
        Transport::Sctp,
        Transport::Dccp,
    ];

    /// The lower-case name the IANA registry and `/etc/services` use.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Transport::Tcp => "tcp",
            Transport::Udp => "udp",
            Transport::Sctp => "sctp",
            Transport::Dccp => "dccp",
        }
    }

    /// Parses a transport name, ignoring ASCII case; `None` for anything else.
    #[must_use]
    pub fn from_name(name: &str) -> Option<Transport> {
        Transport::ALL
            .into_iter()
            .find(|t| t.as_str().eq_ignore_ascii_case(name))
    }

    const fn bit(self) -> u8 {
        match self {
            Transport::Tcp => 1,
            Transport::Udp => 2,
            Transport::Sctp => 4,
            Transport::Dccp => 8,
        }
    }
}

impl fmt::Display for Transport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A set of [`Transport`]s, stored as bits so that it is `Copy` and `const`.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Transports(u8);

impl Transports {
    /// No transport.
    pub const NONE: Transports = Transports(0);
    /// TCP only.
    pub const TCP: Transports = Transports(1);
    /// UDP only.
    pub const UDP: Transports = Transports(2);
    /// SCTP only.
    pub const SCTP: Transports = Transports(4);
    /// DCCP only.
    pub const DCCP: Transports = Transports(8);
    /// TCP and UDP, the most common pair in the IANA registry.
    pub const TCP_UDP: Transports = Transports(1 | 2);
    /// TCP, UDP and SCTP.
    pub const TCP_UDP_SCTP: Transports = Transports(1 | 2 | 4);
    /// TCP, UDP and DCCP.
    pub const TCP_UDP_DCCP: Transports = Transports(1 | 2 | 8);

    /// The set holding just `transport`.
    #[must_use]
    pub const fn only(transport: Transport) -> Transports {
        Transports(transport.bit())
    }

    /// Both sets together.
    #[must_use]
    pub const fn union(self, other: Transports) -> Transports {
        Transports(self.0 | other.0)
    }

    /// This set without the transports in `other`.
    #[must_use]
    pub const fn difference(self, other: Transports) -> Transports {
        Transports(self.0 & !other.0)
    }

    /// Whether `transport` is in the set.
    #[must_use]
    pub const fn contains(self, transport: Transport) -> bool {
        self.0 & transport.bit() != 0
    }

    /// Whether the set is empty.
    #[must_use]
    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// Whether the two sets share a transport.
    #[must_use]
    pub const fn intersects(self, other: Transports) -> bool {
        self.0 & other.0 != 0
    }

    /// The transports in the set, in registry order (tcp, udp, sctp, dccp).
    pub fn iter(self) -> impl Iterator<Item = Transport> {
        Transport::ALL
            .into_iter()
            .filter(move |t| self.contains(*t))
    }
}

impl From<Transport> for Transports {
    fn from(transport: Transport) -> Self {
        Transports::only(transport)
    }
}

impl fmt::Display for Transports {
    /// Writes the transports joined by `/` (`tcp/udp`), or `none`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_empty() {
            return f.write_str("none");
        }
        for (i, t) in self.iter().enumerate() {
            if i > 0 {
                f.write_str("/")?;
            }
            f.write_str(t.as_str())?;
        }
        Ok(())
    }
}

impl fmt::Debug for Transports {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Transports({self})")
    }
}

/// An inclusive range of port numbers, `first..=last`, never containing 0.
///
/// Port 0 is reserved (RFC 6335 §6) and is never a service's port, so a
/// `PortRange` cannot be built around it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PortRange {
    first: u16,
    last: u16,
}

impl PortRange {
    /// The range holding one port; `None` for port 0.
    #[must_use]
    pub const fn single(port: u16) -> Option<PortRange> {
        PortRange::new(port, port)
    }

    /// The range `first..=last`; `None` when `first` is 0 or `last < first`.
    #[must_use]
    pub const fn new(first: u16, last: u16) -> Option<PortRange> {
        if first == 0 || last < first {
            None
        } else {
            Some(PortRange { first, last })
        }
    }

    /// For the static table, whose ranges a compile-time assertion checks.
    pub(crate) const fn from_static(first: u16, last: u16) -> PortRange {
        PortRange { first, last }
    }

    /// The first port of the range.
    #[must_use]
    pub const fn first(self) -> u16 {
        self.first
    }

    /// The last port of the range (equal to [`first`](Self::first) for a
    /// single port).
    #[must_use]
    pub const fn last(self) -> u16 {
        self.last
    }

    /// Whether the range holds exactly one port.
    #[must_use]
    pub const fn is_single(self) -> bool {
        self.first == self.last
    }

    /// Whether `port` lies in the range.
    #[must_use]
    pub const fn contains(self, port: u16) -> bool {
        self.first <= port && port <= self.last
    }
}

impl fmt::Display for PortRange {
    /// Writes `80` for a single port and `6000-6063` for a range, the form
    /// both registry formats use.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_single() {
            write!(f, "{}", self.first)
        } else {
            write!(f, "{}-{}", self.first, self.last)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transport_names_round_trip_case_insensitively() {
        for t in Transport::ALL {
            assert_eq!(Transport::from_name(t.as_str()), Some(t));
            assert_eq!(
                Transport::from_name(&t.as_str().to_ascii_uppercase()),
                Some(t)
            );
        }
        assert_eq!(Transport::from_name("ddp"), None);
        assert_eq!(Transport::from_name(""), None);
    }

    #[test]
    fn transport_sets() {
        let s = Transports::TCP_UDP_SCTP;
        assert_eq!(
            s.iter().collect::<Vec<_>>(),
            [Transport::Tcp, Transport::Udp, Transport::Sctp]
        );
        assert_eq!(s.difference(Transports::UDP).to_string(), "tcp/sctp");
        assert_eq!(Transports::NONE.to_string(), "none");
        assert!(!Transports::TCP.intersects(Transports::UDP));
        assert!(Transports::TCP_UDP.intersects(Transports::UDP));
    }

    #[test]
    fn port_ranges_reject_zero_and_reversed() {
        assert_eq!(PortRange::single(0), None);
        assert_eq!(PortRange::new(0, 5), None);
        assert_eq!(PortRange::new(6063, 6000), None);
        let r = PortRange::new(6000, 6063).unwrap();
        assert!(r.contains(6000) && r.contains(6063));
        assert!(!r.contains(5999) && !r.contains(6064));
        assert_eq!(PortRange::single(65535).unwrap().to_string(), "65535");
    }
}
