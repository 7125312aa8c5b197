//! Services: what runs on a port, and the static table of well-known ones.
//!
//! The table is a `static` array sorted by port, checked at compile time;
//! [`services_at`] binary-searches it and [`service`] binary-searches a name
//! index that is also built at compile time, so neither allocates.
//!
//! ```
//! use streamkit_ports::{service, services_at, Registration, Transport};
//!
//! let ftp = services_at(21, Transport::Tcp).next().unwrap();
//! assert_eq!(ftp.name(), "ftp");
//! assert_eq!(ftp.registration(), Registration::Iana);
//!
//! // Names and aliases, ignoring ASCII case.
//! assert_eq!(service("RTMP").unwrap().name(), "macromedia-fcs");
//! assert!(service("no-such-service").is_none());
//! ```

use std::borrow::Cow;
use std::fmt;

use crate::transport::{PortRange, Transport, Transports};

/// Who stands behind a service's port assignment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Registration {
    /// Assigned in the IANA Service Name and Transport Protocol Port Number
    /// Registry (RFC 6335).
    Iana,
    /// Widely used by convention, not assigned by IANA (unofficial).
    Convention,
    /// Read from a local `/etc/services` file; its origin is not known.
    Local,
}

impl fmt::Display for Registration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Registration::Iana => "IANA-registered",
            Registration::Convention => "convention, not IANA-registered",
            Registration::Local => "local services file",
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Aliases {
    Static(&'static [&'static str]),
    Owned(Vec<String>),
}

impl Aliases {
    fn iter(&self) -> impl Iterator<Item = &str> {
        let (fixed, owned): (&[&str], &[String]) = match self {
            Aliases::Static(a) => (a, &[]),
            Aliases::Owned(v) => (&[], v),
        };
        fixed
            .iter()
            .copied()
            .chain(owned.iter().map(String::as_str))
    }
}

/// A service: a name, the port or range it is assigned, and on which
/// transports.
///
/// Build one with [`Service::new`] (and the `with_*` methods) to add it to a
/// [`Registry`](crate::Registry); the static table holds the well-known ones.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Service {
    name: Cow<'static, str>,
    aliases: Aliases,
    ports: PortRange,
    transports: Transports,
    description: Cow<'static, str>,
    reference: Cow<'static, str>,
    registration: Registration,
}

impl Service {
    /// A service with no aliases, description or reference.
    #[must_use]
    pub fn new(
        name: impl Into<Cow<'static, str>>,
        ports: PortRange,
        transports: Transports,
        registration: Registration,
    ) -> Service {
        Service {
            name: name.into(),
            aliases: Aliases::Owned(Vec::new()),
            ports,
            transports,
            description: Cow::Borrowed(""),
            reference: Cow::Borrowed(""),
            registration,
        }
    }

    /// Replaces the aliases.
    #[must_use]
    pub fn with_aliases(mut self, aliases: Vec<String>) -> Service {
        self.aliases = Aliases::Owned(aliases);
        self
    }

    /// Replaces the description.
    #[must_use]
    pub fn with_description(mut self, description: impl Into<Cow<'static, str>>) -> Service {
        self.description = description.into();
        self
    }

    /// Replaces the reference (RFC or specification).
    #[must_use]
    pub fn with_reference(mut self, reference: impl Into<Cow<'static, str>>) -> Service {
        self.reference = reference.into();
        self
    }

    const fn fixed(
        name: &'static str,
        aliases: &'static [&'static str],
        ports: PortRange,
        transports: Transports,
        registration: Registration,
        description: &'static str,
        reference: &'static str,
    ) -> Service {
        Service {
            name: Cow::Borrowed(name),
            aliases: Aliases::Static(aliases),
            ports,
            transports,
            description: Cow::Borrowed(description),
            reference: Cow::Borrowed(reference),
            registration,
        }
    }

    /// The service name (lower case in the static table).
    #[must_use]
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Other names the service is known by.
    pub fn aliases(&self) -> impl Iterator<Item = &str> {
        self.aliases.iter()
    }

    /// Whether `name` is the service's name or one of its aliases, ignoring
    /// ASCII case.
    #[must_use]
    pub fn is_named(&self, name: &str) -> bool {
        self.name.eq_ignore_ascii_case(name) || self.aliases().any(|a| a.eq_ignore_ascii_case(name))
    }

    /// The port or port range.
    #[must_use]
    pub fn ports(&self) -> PortRange {
        self.ports
    }

    /// The transports the port is assigned on.
    #[must_use]
    pub fn transports(&self) -> Transports {
        self.transports
    }

    /// Whether the service is at `port` over `transport`.
    #[must_use]
    pub fn serves(&self, port: u16, transport: Transport) -> bool {
        self.ports.contains(port) && self.transports.contains(transport)
    }

    /// A short description.
    #[must_use]
    pub fn description(&self) -> &str {
        &self.description
    }

    /// The defining RFC or specification, if one is recorded.
    #[must_use]
    pub fn reference(&self) -> Option<&str> {
        (!self.reference.is_empty()).then_some(&*self.reference)
    }

    /// IANA assignment, convention, or local file.
    #[must_use]
    pub fn registration(&self) -> Registration {
        self.registration
    }

    pub(crate) fn transports_mut(&mut self) -> &mut Transports {
        &mut self.transports
    }
}

impl fmt::Display for Service {
    /// `rtsp 554/tcp/udp (aliases: ...) — description [RFC 7826; IANA-registered]`
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}/{}", self.name, self.ports, self.transports)?;
        let mut aliases = self.aliases().peekable();
        if aliases.peek().is_some() {
            f.write_str(" (aliases:")?;
            for a in aliases {
                write!(f, " {a}")?;
            }
            f.write_str(")")?;
        }
        if !self.description.is_empty() {
            write!(f, " — {}", self.description)?;
        }
        f.write_str(" [")?;
        if let Some(r) = self.reference() {
            write!(f, "{r}; ")?;
        }
        write!(f, "{}]", self.registration)
    }
}

use Registration::{Convention, Iana};
const TCP: Transports = Transports::TCP;
const UDP: Transports = Transports::UDP;
const TCP_UDP: Transports = Transports::TCP_UDP;
const TCP_UDP_SCTP: Transports = Transports::TCP_UDP_SCTP;
const TCP_UDP_DCCP: Transports = Transports::TCP_UDP_DCCP;

const fn one(port: u16) -> PortRange {
    PortRange::from_static(port, port)
}

#[rustfmt::skip]
const TABLE_ARRAY: [Service; 64] = [
    Service::fixed("ftp-data", &[], one(20), TCP_UDP_SCTP, Iana, "File Transfer Protocol, default data connection (active mode)", "RFC 959"),
    Service::fixed("ftp", &[], one(21), TCP_UDP_SCTP, Iana, "File Transfer Protocol, control connection (not SFTP, which runs inside SSH on port 22)", "RFC 959"),
    Service::fixed("ssh", &[], one(22), TCP_UDP_SCTP, Iana, "Secure Shell; SFTP and SCP run inside it as SSH subsystems", "RFC 4251"),
    Service::fixed("sftp", &[], one(22), TCP, Convention, "SSH File Transfer Protocol, an SSH subsystem on the SSH port", "draft-ietf-secsh-filexfer"),
    Service::fixed("telnet", &[], one(23), Transports::TCP_UDP, Iana, "Telnet", "RFC 854"),
    Service::fixed("smtp", &["mail"], one(25), TCP_UDP, Iana, "Simple Mail Transfer Protocol, relay between mail servers", "RFC 5321"),
    Service::fixed("domain", &["dns"], one(53), TCP_UDP, Iana, "Domain Name System", "RFC 1035"),
    Service::fixed("bootps", &["dhcps"], one(67), TCP_UDP, Iana, "BOOTP and DHCP server", "RFC 2131"),
    Service::fixed("bootpc", &["dhcpc"], one(68), TCP_UDP, Iana, "BOOTP and DHCP client", "RFC 2131"),
    Service::fixed("tftp", &[], one(69), TCP_UDP, Iana, "Trivial File Transfer Protocol", "RFC 1350"),
    Service::fixed("http", &["www", "www-http"], one(80), TCP_UDP_SCTP, Iana, "Hypertext Transfer Protocol", "RFC 9110"),
    Service::fixed("rtmpt", &[], one(80), TCP, Convention, "RTMP tunnelled through HTTP", "Adobe RTMP Specification 1.0"),
    Service::fixed("mmsh", &[], one(80), TCP, Convention, "Windows Media HTTP Streaming Protocol", "[MS-WMSP]"),
    Service::fixed("kerberos", &["kerberos5"], one(88), TCP_UDP, Iana, "Kerberos network authentication", "RFC 4120"),
    Service::fixed("pop3", &["pop-3"], one(110), TCP_UDP, Iana, "Post Office Protocol version 3", "RFC 1939"),
    Service::fixed("nntp", &[], one(119), TCP_UDP, Iana, "Network News Transfer Protocol", "RFC 3977"),
    Service::fixed("ntp", &[], one(123), TCP_UDP, Iana, "Network Time Protocol", "RFC 5905"),
    Service::fixed("imap", &["imap2"], one(143), TCP_UDP, Iana, "Internet Message Access Protocol", "RFC 9051"),
    Service::fixed("snmp", &[], one(161), TCP_UDP, Iana, "Simple Network Management Protocol", "RFC 3411"),
    Service::fixed("snmptrap", &["snmp-trap"], one(162), TCP_UDP, Iana, "SNMP notifications (traps)", "RFC 3411"),
    Service::fixed("irc", &[], one(194), TCP_UDP, Iana, "Internet Relay Chat", "RFC 1459"),
    Service::fixed("rtsps", &[], one(322), TCP_UDP, Iana, "Real Time Streaming Protocol over TLS", "RFC 7826"),
    Service::fixed("ldap", &[], one(389), TCP_UDP, Iana, "Lightweight Directory Access Protocol", "RFC 4511"),
    Service::fixed("https", &[], one(443), TCP_UDP_SCTP, Iana, "HTTP over TLS; HTTP/3 runs over QUIC on UDP", "RFC 9110, RFC 9114"),
    Service::fixed("rtmps", &[], one(443), TCP, Convention, "RTMP over TLS, as ingest services accept it", "Adobe RTMP Specification 1.0"),
    Service::fixed("submissions", &["smtps"], one(465), TCP, Iana, "Message submission (SMTP) over implicit TLS", "RFC 8314"),
    Service::fixed("syslog", &[], one(514), UDP, Iana, "Syslog over UDP", "RFC 5426"),
    Service::fixed("rtsp", &[], one(554), TCP_UDP, Iana, "Real Time Streaming Protocol", "RFC 7826"),
    Service::fixed("nntps", &["snntp"], one(563), TCP_UDP, Iana, "NNTP over TLS", "RFC 4642"),
    Service::fixed("submission", &[], one(587), TCP_UDP, Iana, "Message submission (SMTP), upgraded with STARTTLS", "RFC 6409"),
    Service::fixed("ldaps", &[], one(636), TCP_UDP, Iana, "LDAP over TLS", ""),
    Service::fixed("domain-s", &[], one(853), TCP_UDP, Iana, "DNS over TLS (tcp) and over DTLS (udp)", "RFC 7858, RFC 8094"),
    Service::fixed("ftps-data", &[], one(989), TCP_UDP, Iana, "FTP over implicit TLS, data connection", ""),
    Service::fixed("ftps", &[], one(990), TCP_UDP, Iana, "FTP over implicit TLS, control connection", ""),
    Service::fixed("imaps", &[], one(993), TCP_UDP, Iana, "IMAP over implicit TLS", "RFC 8314"),
    Service::fixed("pop3s", &[], one(995), TCP_UDP, Iana, "POP3 over implicit TLS", "RFC 8314"),
    Service::fixed("ms-streaming", &["mms", "wms"], one(1755), TCP_UDP, Iana, "Microsoft Media Server streaming (MMS)", "[MS-MMSP]"),
    Service::fixed("mqtt", &[], one(1883), TCP_UDP, Iana, "MQTT publish/subscribe messaging", "OASIS MQTT Version 5.0"),
    Service::fixed("ssdp", &[], one(1900), TCP_UDP, Iana, "Simple Service Discovery Protocol (UPnP)", "UPnP Device Architecture"),
    Service::fixed("macromedia-fcs", &["rtmp"], one(1935), TCP_UDP, Iana, "Macromedia Flash Communications Server; the RTMP port", "Adobe RTMP Specification 1.0"),
    Service::fixed("mysql", &[], one(3306), TCP_UDP, Iana, "MySQL database server", ""),
    Service::fixed("ms-wbt-server", &["rdp"], one(3389), TCP_UDP, Iana, "Remote Desktop Protocol", "[MS-RDPBCGR]"),
    Service::fixed("stun", &[], one(3478), TCP_UDP, Iana, "Session Traversal Utilities for NAT", "RFC 8489"),
    Service::fixed("turn", &[], one(3478), TCP_UDP, Iana, "Traversal Using Relays around NAT", "RFC 8656"),
    Service::fixed("avt-profile-1", &["rtp"], one(5004), TCP_UDP_DCCP, Iana, "RTP media data, the RTP/AVP default port", "RFC 3551"),
    Service::fixed("avt-profile-2", &["rtcp"], one(5005), TCP_UDP_DCCP, Iana, "RTP control protocol (RTCP) beside port 5004", "RFC 3551"),
    Service::fixed("sip", &[], one(5060), TCP_UDP_SCTP, Iana, "Session Initiation Protocol", "RFC 3261"),
    Service::fixed("sips", &["sip-tls"], one(5061), TCP_UDP_SCTP, Iana, "Session Initiation Protocol over TLS", "RFC 3261"),
    Service::fixed("stuns", &[], one(5349), TCP_UDP, Iana, "STUN over TLS or DTLS", "RFC 8489"),
    Service::fixed("turns", &[], one(5349), TCP_UDP, Iana, "TURN over TLS or DTLS", "RFC 8656"),
    Service::fixed("mdns", &[], one(5353), TCP_UDP, Iana, "Multicast DNS", "RFC 6762"),
    Service::fixed("postgresql", &["postgres"], one(5432), TCP_UDP, Iana, "PostgreSQL database server", ""),
    Service::fixed("rfb", &["vnc"], one(5900), TCP_UDP, Iana, "Remote Framebuffer protocol (VNC)", "RFC 6143"),
    Service::fixed("x11", &[], PortRange::from_static(6000, 6063), TCP_UDP, Iana, "X Window System, displays 0 to 63", ""),
    Service::fixed("redis", &[], one(6379), TCP, Iana, "Redis key-value store", ""),
    Service::fixed("syslog-tls", &[], one(6514), TCP_UDP_DCCP, Iana, "Syslog over TLS (tcp) and DTLS (udp, dccp)", "RFC 5425, RFC 6012"),
    Service::fixed("ircs-u", &[], one(6697), TCP, Iana, "Internet Relay Chat over TLS", "RFC 7194"),
    Service::fixed("http-alt", &["webcache"], one(8080), TCP_UDP, Iana, "HTTP alternate; by convention a second web server, proxy or development server", "RFC 9110"),
    Service::fixed("pcsync-https", &[], one(8443), TCP_UDP, Iana, "PCsync HTTPS", ""),
    Service::fixed("https-alt", &[], one(8443), TCP, Convention, "Alternate HTTPS port of many servers and appliances", "RFC 9110"),
    Service::fixed("rtsp-alt", &[], one(8554), TCP_UDP, Iana, "RTSP alternate; the default of many RTSP servers that run unprivileged", "RFC 7826"),
    Service::fixed("secure-mqtt", &["mqtts"], one(8883), TCP_UDP, Iana, "MQTT over TLS", "OASIS MQTT Version 5.0"),
    Service::fixed("cslistener", &[], one(9000), TCP_UDP, Iana, "CSlistener", ""),
    Service::fixed("php-fpm", &[], one(9000), TCP, Convention, "PHP FastCGI Process Manager, its default listen address", ""),
];

const TABLE: &[Service; 64] = &TABLE_ARRAY;

/// Every service in the static table, sorted by port.
pub static SERVICES: [Service; TABLE.len()] = TABLE_ARRAY;

const fn table_is_sorted(table: &[Service]) -> bool {
    let mut i = 0;
    while i < table.len() {
        if table[i].ports.first() == 0 || table[i].ports.last() < table[i].ports.first() {
            return false;
        }
        i += 1;
    }
    let mut i = 1;
    while i < table.len() {
        if table[i - 1].ports.first() > table[i].ports.first() {
            return false;
        }
        i += 1;
    }
    true
}
const _: () = assert!(
    table_is_sorted(TABLE),
    "static table: ranges must be valid and sorted by port"
);

/// The widest range in the table: a lookup only has to look this far back.
const MAX_SPAN: u16 = {
    let mut max = 0;
    let mut i = 0;
    while i < TABLE.len() {
        let span = TABLE[i].ports.last() - TABLE[i].ports.first();
        if span > max {
            max = span;
        }
        i += 1;
    }
    max
};

#[allow(clippy::ptr_arg)] // matches on the `Cow` itself, in a const fn
const fn static_str(c: &Cow<'static, str>) -> &'static str {
    match c {
        Cow::Borrowed(s) => s,
        Cow::Owned(_) => "",
    }
}

const fn static_aliases(a: &Aliases) -> &'static [&'static str] {
    match a {
        Aliases::Static(s) => s,
        Aliases::Owned(_) => &[],
    }
}

const NAME_COUNT: usize = {
    let mut n = 0;
    let mut i = 0;
    while i < TABLE.len() {
        n += 1 + static_aliases(&TABLE[i].aliases).len();
        i += 1;
    }
    n
};

/// `a < b`, byte-wise.
const fn str_less(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let mut i = 0;
    while i < a.len() && i < b.len() {
        if a[i] != b[i] {
            return a[i] < b[i];
        }
        i += 1;
    }
    a.len() < b.len()
}

/// `(name or alias, index into SERVICES)`, sorted by name; built at compile
/// time. A name used by several services keeps table (port) order.
static NAME_INDEX: [(&str, u16); NAME_COUNT] = {
    let mut index: [(&str, u16); NAME_COUNT] = [("", 0); NAME_COUNT];
    let mut n = 0;
    let mut i = 0;
    while i < TABLE.len() {
        index[n] = (static_str(&TABLE[i].name), i as u16);
        n += 1;
        let aliases = static_aliases(&TABLE[i].aliases);
        let mut j = 0;
        while j < aliases.len() {
            index[n] = (aliases[j], i as u16);
            n += 1;
            j += 1;
        }
        i += 1;
    }
    // Insertion sort: stable, so equal names stay in port order.
    let mut i = 1;
    while i < NAME_COUNT {
        let mut j = i;
        while j > 0 && str_less(index[j].0, index[j - 1].0) {
            let tmp = index[j];
            index[j] = index[j - 1];
            index[j - 1] = tmp;
            j -= 1;
        }
        i += 1;
    }
    index
};

/// Packs up to 16 bytes, ASCII-lower-cased, big-endian and zero-padded, so
/// that comparing keys compares the strings; `None` for longer strings and
/// for strings holding a NUL byte (which no name in the tables has).
pub(crate) const fn name_key(text: &str) -> Option<u128> {
    let bytes = text.as_bytes();
    if bytes.len() > 16 {
        return None;
    }
    let mut key: u128 = 0;
    let mut i = 0;
    while i < 16 {
        key <<= 8;
        if i < bytes.len() {
            if bytes[i] == 0 {
                return None;
            }
            key |= bytes[i].to_ascii_lowercase() as u128;
        }
        i += 1;
    }
    Some(key)
}

/// The keys of [`NAME_INDEX`], in the same order; a compile-time assertion
/// checks every name fits.
static NAME_KEYS: [u128; NAME_COUNT] = {
    let mut keys = [0; NAME_COUNT];
    let mut i = 0;
    while i < NAME_COUNT {
        keys[i] = match name_key(NAME_INDEX[i].0) {
            Some(key) => key,
            None => panic!("service names must be at most 16 bytes"),
        };
        i += 1;
    }
    keys
};

/// The first port of every entry of [`SERVICES`]: the compact array port
/// lookups search.
static FIRST_PORTS: [u16; TABLE.len()] = {
    let mut ports = [0; TABLE.len()];
    let mut i = 0;
    while i < TABLE.len() {
        ports[i] = TABLE[i].ports.first();
        i += 1;
    }
    ports
};

/// Services in the static table at `port` over `transport`, in table order
/// (IANA assignments before conventions). Allocates nothing.
///
/// ```
/// use streamkit_ports::{services_at, Transport};
/// let names: Vec<&str> = services_at(3478, Transport::Udp).map(|s| s.name()).collect();
/// assert_eq!(names, ["stun", "turn"]);
/// assert_eq!(services_at(6010, Transport::Tcp).next().unwrap().name(), "x11");
/// assert!(services_at(554, Transport::Sctp).next().is_none());
/// ```
pub fn services_at(port: u16, transport: Transport) -> impl Iterator<Item = &'static Service> {
    let end = FIRST_PORTS.partition_point(|&first| first <= port);
    // Entries starting up to MAX_SPAN below `port` may reach it: a few at
    // most, so walk back rather than search again.
    let low = port.saturating_sub(MAX_SPAN);
    let mut start = end;
    while start > 0
        && FIRST_PORTS
            .get(start - 1)
            .is_some_and(|&first| first >= low)
    {
        start -= 1;
    }
    SERVICES
        .get(start..end)
        .unwrap_or_default()
        .iter()
        .filter(move |s| s.serves(port, transport))
}

/// Every service in the static table named or aliased `name`, ignoring ASCII
/// case, in port order.
pub fn services_named(name: &str) -> impl Iterator<Item = &'static Service> {
    let (start, end) = match name_key(name) {
        Some(key) => (
            NAME_KEYS.partition_point(|&k| k < key),
            NAME_KEYS.partition_point(|&k| k <= key),
        ),
        None => (0, 0),
    };
    NAME_INDEX
        .get(start..end)
        .unwrap_or_default()
        .iter()
        .filter_map(|(_, i)| SERVICES.get(usize::from(*i)))
}

/// The first service in the static table named or aliased `name`, ignoring
/// ASCII case; `None` when there is none. Allocates nothing.
#[must_use]
pub fn service(name: &str) -> Option<&'static Service> {
    services_named(name).next()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_lower_case_and_unique_per_port() {
        for s in &SERVICES {
            for n in std::iter::once(s.name()).chain(s.aliases()) {
                assert_eq!(n, n.to_ascii_lowercase(), "{n}");
                assert!(!n.is_empty() && !n.contains(char::is_whitespace));
            }
            assert!(!s.transports().is_empty(), "{}", s.name());
            assert!(!s.description().is_empty(), "{}", s.name());
        }
        // A name or alias points at one service only.
        for w in NAME_INDEX.windows(2) {
            assert_ne!(w[0].0, w[1].0, "duplicate name {}", w[0].0);
        }
        assert_eq!(NAME_INDEX.len(), NAME_COUNT);
    }

    #[test]
    fn every_entry_is_found_by_port_and_name() {
        for s in &SERVICES {
            for t in s.transports().iter() {
                for port in [s.ports().first(), s.ports().last()] {
                    assert!(
                        services_at(port, t).any(|f| std::ptr::eq(f, s)),
                        "{} at {port}/{t}",
                        s.name()
                    );
                }
            }
            assert!(std::ptr::eq(service(s.name()).unwrap(), s));
            for a in s.aliases() {
                assert!(std::ptr::eq(service(a).unwrap(), s), "{a}");
            }
        }
    }

    #[test]
    fn lookups_agree_with_a_linear_scan_on_every_port() {
        for port in 0..=u16::MAX {
            for t in Transport::ALL {
                let fast: Vec<_> = services_at(port, t).map(|s| s as *const Service).collect();
                let slow: Vec<_> = SERVICES
                    .iter()
                    .filter(|s| s.serves(port, t))
                    .map(|s| s as *const Service)
                    .collect();
                assert_eq!(fast, slow, "{port}/{t}");
            }
        }
    }

    #[test]
    fn name_lookup_ignores_case() {
        assert_eq!(service("HTTPS").unwrap().ports().first(), 443);
        assert_eq!(service("Www").unwrap().name(), "http");
        assert!(service("").is_none());
        assert!(service("htt").is_none());
        assert!(service("httpss").is_none());
        assert!(service("ftp\u{e9}").is_none());
        assert!(service("ftp\0").is_none());
        assert!(service("\0").is_none());
        assert!(service("macromedia-fcs-x-longer").is_none());
    }

    #[test]
    fn display() {
        assert_eq!(
            service("rtsp").unwrap().to_string(),
            "rtsp 554/tcp/udp — Real Time Streaming Protocol [RFC 7826; IANA-registered]"
        );
        assert_eq!(
            service("php-fpm").unwrap().to_string(),
            "php-fpm 9000/tcp — PHP FastCGI Process Manager, its default listen address \
             [convention, not IANA-registered]"
        );
    }
}
