//! URL schemes: the default port and transports behind `rtsp://`, `rtmps://`
//! and the rest.
//!
//! ```
//! use streamkit_ports::{scheme, Transports};
//!
//! let rtmps = scheme("rtmps").unwrap();
//! assert_eq!(rtmps.default_port, Some(443));
//! assert_eq!(rtmps.transports, Transports::TCP);
//!
//! // No IANA port and no single convention: honest `None`.
//! assert_eq!(scheme("SRT").unwrap().default_port, None);
//! assert!(scheme("gopher+video").is_none());
//! ```

use std::fmt;

use crate::protocol::ProtocolId;
use crate::service::name_key;
use crate::transport::Transports;

/// What a URL scheme implies: where to connect when the URL names no port,
/// and over which transports.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct UrlScheme {
    /// The scheme, lower case, without `:` or `//`.
    pub name: &'static str,
    /// The port a URL without one means; `None` when no port is registered
    /// or conventional enough to assume.
    pub default_port: Option<u16>,
    /// The transports the scheme runs over.
    pub transports: Transports,
    /// The streaming protocol the scheme selects, if it is one this crate
    /// describes.
    pub protocol: Option<ProtocolId>,
    /// What the scheme means.
    pub description: &'static str,
    /// Where the scheme (or, for unregistered schemes, its usage) is defined.
    pub reference: &'static str,
}

impl fmt::Display for UrlScheme {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}://", self.name)?;
        match self.default_port {
            Some(p) => write!(f, " default port {p}/{}", self.transports)?,
            None => write!(f, " no default port, over {}", self.transports)?,
        }
        write!(f, " — {} [{}]", self.description, self.reference)
    }
}

const TCP: Transports = Transports::TCP;
const UDP: Transports = Transports::UDP;

const fn s(
    name: &'static str,
    default_port: Option<u16>,
    transports: Transports,
    protocol: Option<ProtocolId>,
    description: &'static str,
    reference: &'static str,
) -> UrlScheme {
    UrlScheme {
        name,
        default_port,
        transports,
        protocol,
        description,
        reference,
    }
}

use ProtocolId as P;

/// Every scheme this crate knows, sorted by name.
#[rustfmt::skip]
pub static SCHEMES: [UrlScheme; 23] = [
    s("ftp", Some(21), TCP, None, "File Transfer Protocol (control connection)", "RFC 1738, RFC 959"),
    s("http", Some(80), TCP, None, "Hypertext Transfer Protocol; HLS, DASH, HDS and Smooth Streaming ride on it", "RFC 9110"),
    s("https", Some(443), Transports::TCP_UDP, None, "HTTP over TLS (tcp) or HTTP/3 over QUIC (udp)", "RFC 9110, RFC 9114"),
    s("mms", Some(1755), Transports::TCP_UDP, Some(P::Mms), "Microsoft Media Server, data over UDP or TCP", "[MS-MMSP]"),
    s("mmsh", Some(80), TCP, Some(P::MsWmsp), "MMS over HTTP: Windows Media HTTP Streaming Protocol", "[MS-WMSP]"),
    s("mmst", Some(1755), TCP, Some(P::Mms), "Microsoft Media Server over TCP", "[MS-MMSP]"),
    s("mmsu", Some(1755), UDP, Some(P::Mms), "Microsoft Media Server with UDP data", "[MS-MMSP]"),
    s("rtmp", Some(1935), TCP, Some(P::Rtmp), "Real-Time Messaging Protocol", "Adobe RTMP Specification 1.0"),
    s("rtmpe", Some(1935), TCP, Some(P::Rtmpe), "RTMP with Adobe's proprietary encryption", "Adobe Flash Media Server documentation"),
    s("rtmps", Some(443), TCP, Some(P::Rtmps), "RTMP over TLS", "Adobe Flash Media Server documentation"),
    s("rtmpt", Some(80), TCP, Some(P::Rtmpt), "RTMP tunnelled through HTTP", "Adobe Flash Media Server documentation"),
    s("rtmpte", Some(80), TCP, Some(P::Rtmpte), "Encrypted RTMP (RTMPE) tunnelled through HTTP", "Adobe Flash Media Server documentation"),
    s("rtmpts", Some(443), TCP, Some(P::Rtmpt), "RTMP tunnelled through HTTPS", "Adobe Flash Media Server documentation"),
    s("rtp", None, UDP, Some(P::Rtp), "Raw RTP to a host and port (tools' convention; RFC 3551 suggests 5004)", "RFC 3550 (no registered scheme)"),
    s("rtsp", Some(554), TCP, Some(P::Rtsp), "Real Time Streaming Protocol", "RFC 7826, RFC 2326"),
    s("rtsps", Some(322), TCP, Some(P::Rtsp), "RTSP over TLS", "RFC 7826"),
    s("rtspu", Some(554), UDP, Some(P::Rtsp), "RTSP 1.0 over UDP; dropped by RTSP 2.0", "RFC 2326"),
    s("sftp", Some(22), TCP, None, "SSH File Transfer Protocol, inside SSH", "draft-ietf-secsh-scp-sftp-ssh-uri"),
    s("srt", None, UDP, Some(P::Srt), "Secure Reliable Transport; no IANA port, the caller must name one", "draft-sharabayko-srt"),
    s("ssh", Some(22), TCP, None, "Secure Shell", "draft-ietf-secsh-scp-sftp-ssh-uri"),
    s("udp", None, UDP, Some(P::MpegTsUdp), "Raw UDP datagrams, usually MPEG-TS (tools' convention)", "ISO/IEC 13818-1 (no registered scheme)"),
    s("ws", Some(80), TCP, None, "WebSocket", "RFC 6455"),
    s("wss", Some(443), TCP, None, "WebSocket over TLS", "RFC 6455"),
];

const fn sorted(table: &[UrlScheme]) -> bool {
    let mut i = 1;
    while i < table.len() {
        let (a, b) = (table[i - 1].name.as_bytes(), table[i].name.as_bytes());
        let mut j = 0;
        loop {
            if j == a.len() || j == b.len() {
                if a.len() >= b.len() {
                    return false;
                }
                break;
            }
            if a[j] != b[j] {
                if a[j] > b[j] {
                    return false;
                }
                break;
            }
            j += 1;
        }
        i += 1;
    }
    true
}
const _: () = assert!(sorted(&SCHEMES), "SCHEMES must be sorted by name");

/// The packed names of [`SCHEMES`], in the same (sorted) order.
static SCHEME_KEYS: [u128; SCHEMES.len()] = {
    let mut keys = [0; SCHEMES.len()];
    let mut i = 0;
    while i < SCHEMES.len() {
        keys[i] = match name_key(SCHEMES[i].name) {
            Some(key) => key,
            None => panic!("scheme names must be at most 16 bytes"),
        };
        i += 1;
    }
    keys
};

/// What `scheme` (ASCII case ignored, without `:`) implies; `None` for a
/// scheme this crate does not know. Allocates nothing.
#[must_use]
pub fn scheme(scheme: &str) -> Option<&'static UrlScheme> {
    let key = name_key(scheme)?;
    SCHEME_KEYS
        .binary_search(&key)
        .ok()
        .and_then(|i| SCHEMES.get(i))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_ports() {
        let expect: [(&str, Option<u16>, Transports); 23] = [
            ("http", Some(80), TCP),
            ("https", Some(443), Transports::TCP_UDP),
            ("ws", Some(80), TCP),
            ("wss", Some(443), TCP),
            ("rtsp", Some(554), TCP),
            ("rtsps", Some(322), TCP),
            ("rtspu", Some(554), UDP),
            ("rtmp", Some(1935), TCP),
            ("rtmps", Some(443), TCP),
            ("rtmpt", Some(80), TCP),
            ("rtmpts", Some(443), TCP),
            ("rtmpe", Some(1935), TCP),
            ("rtmpte", Some(80), TCP),
            ("mms", Some(1755), Transports::TCP_UDP),
            ("mmsh", Some(80), TCP),
            ("mmst", Some(1755), TCP),
            ("mmsu", Some(1755), UDP),
            ("rtp", None, UDP),
            ("udp", None, UDP),
            ("srt", None, UDP),
            ("ftp", Some(21), TCP),
            ("sftp", Some(22), TCP),
            ("ssh", Some(22), TCP),
        ];
        for (name, port, transports) in expect {
            let s = scheme(name).unwrap();
            assert_eq!(
                (s.name, s.default_port, s.transports),
                (name, port, transports)
            );
            assert_eq!(scheme(&name.to_ascii_uppercase()), Some(s));
        }
    }

    #[test]
    fn unknown_schemes() {
        for name in [
            "",
            "h",
            "htt",
            "httpx",
            "rtmpz",
            "zzz",
            "rtsp:",
            "é",
            "rtsp\0",
            "\0",
            "http-but-much-longer",
        ] {
            assert_eq!(scheme(name), None, "{name}");
        }
    }

    #[test]
    fn every_scheme_is_found() {
        for s in &SCHEMES {
            assert_eq!(scheme(s.name), Some(s));
        }
    }
}
