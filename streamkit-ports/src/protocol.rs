//! Facts about the streaming protocols: how each delivers media, on which
//! ports and schemes, how late, defined where, and whether it is still in
//! use.
//!
//! ```
//! use streamkit_ports::{protocol, Delivery, ProtocolId, Status};
//!
//! let hls = ProtocolId::Hls.facts();
//! assert_eq!(hls.delivery, Delivery::HttpSegmentPull);
//! assert_eq!(hls.implemented_by, Some("streamkit-hls"));
//!
//! let mms = protocol("mms").unwrap();
//! assert_eq!(mms.status, Status::Deprecated { since: Some(2003) });
//! println!("{mms}");
//! ```

use std::fmt;

use crate::transport::Transports;

/// The streaming protocols this crate has facts about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum ProtocolId {
    /// HTTP Live Streaming.
    Hls,
    /// MPEG Dynamic Adaptive Streaming over HTTP.
    Dash,
    /// Real-Time Messaging Protocol.
    Rtmp,
    /// RTMP tunnelled through HTTP (and through HTTPS as `rtmpts`).
    Rtmpt,
    /// RTMP over TLS.
    Rtmps,
    /// RTMP with Adobe's own encryption.
    Rtmpe,
    /// RTMPE tunnelled through HTTP.
    Rtmpte,
    /// Adobe HTTP Dynamic Streaming.
    Hds,
    /// Microsoft Smooth Streaming.
    SmoothStreaming,
    /// Windows Media HTTP Streaming Protocol (MMSH).
    MsWmsp,
    /// Microsoft Media Server protocol.
    Mms,
    /// Real Time Streaming Protocol.
    Rtsp,
    /// Real-time Transport Protocol.
    Rtp,
    /// RTP Control Protocol.
    Rtcp,
    /// MPEG transport stream carried in UDP datagrams.
    MpegTsUdp,
    /// Secure Reliable Transport.
    Srt,
    /// Web Real-Time Communication.
    WebRtc,
}

impl ProtocolId {
    /// The facts about this protocol.
    #[must_use]
    pub fn facts(self) -> &'static StreamingProtocol {
        // PROTOCOLS is in declaration order; a unit test checks it.
        match PROTOCOLS.get(self as usize) {
            Some(p) => p,
            None => &PROTOCOLS[0],
        }
    }
}

/// How a protocol gets media from the server to the client.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Delivery {
    /// The client fetches a manifest and then short media segments with
    /// HTTP GET requests (pull).
    HttpSegmentPull,
    /// One long-lived HTTP response carries the stream.
    HttpStreamedResponse,
    /// Protocol messages tunnelled in a series of HTTP requests and
    /// responses that the client keeps polling.
    HttpTunnel,
    /// A persistent connection carries multiplexed media and control
    /// messages in both directions.
    MessageStream,
    /// A control channel sets up the session; media travels separately,
    /// usually as packets over UDP, or interleaved on the control connection.
    ControlChannelPlusMedia,
    /// The sender pushes packets as they are produced; the receiver
    /// requests nothing per packet.
    PushedPackets,
    /// Reports about a media flow sent beside it, not media itself.
    SideChannelReports,
}

impl fmt::Display for Delivery {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Delivery::HttpSegmentPull => "HTTP pull of a manifest and segments",
            Delivery::HttpStreamedResponse => "one streamed HTTP response",
            Delivery::HttpTunnel => "messages tunnelled through polled HTTP requests",
            Delivery::MessageStream => "multiplexed messages on one persistent connection",
            Delivery::ControlChannelPlusMedia => {
                "control channel plus separate media flows (UDP or interleaved)"
            }
            Delivery::PushedPackets => "pushed packets",
            Delivery::SideChannelReports => "reports beside the media flow",
        })
    }
}

/// Typical glass-to-glass latency, in broad classes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum LatencyClass {
    /// Under one second.
    SubSecond,
    /// One to about five seconds.
    Low,
    /// Five to thirty seconds or more: segment-based delivery with default
    /// settings.
    Standard,
}

impl fmt::Display for LatencyClass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            LatencyClass::SubSecond => "sub-second",
            LatencyClass::Low => "low (1-5 s)",
            LatencyClass::Standard => "standard (5-30 s)",
        })
    }
}

/// Whether a protocol is still the one to choose.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Status {
    /// In active use and development.
    Current,
    /// Still found in the field but no longer chosen for new work.
    Legacy {
        /// The year it became legacy, where known.
        since: Option<u16>,
    },
    /// Withdrawn or superseded by its own vendor or standards body.
    Deprecated {
        /// The year of deprecation, where known.
        since: Option<u16>,
    },
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (word, since) = match self {
            Status::Current => return f.write_str("current"),
            Status::Legacy { since } => ("legacy", since),
            Status::Deprecated { since } => ("deprecated", since),
        };
        f.write_str(word)?;
        match since {
            Some(year) => write!(f, " since {year}"),
            None => Ok(()),
        }
    }
}

/// What is known about one streaming protocol.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct StreamingProtocol {
    /// Which protocol.
    pub id: ProtocolId,
    /// Its usual short name (`RTMPS`).
    pub name: &'static str,
    /// Its full name.
    pub full_name: &'static str,
    /// The transports it runs over.
    pub transports: Transports,
    /// Its default ports; empty when it has none.
    pub default_ports: &'static [u16],
    /// The URL schemes that select it (see [`scheme()`](crate::scheme())).
    pub schemes: &'static [&'static str],
    /// How media reaches the client.
    pub delivery: Delivery,
    /// Whether it carries live streams.
    pub live: bool,
    /// Whether it serves on-demand content.
    pub on_demand: bool,
    /// Typical latency with common settings.
    pub typical_latency: LatencyClass,
    /// The lowest latency its low-latency modes reach.
    pub lowest_latency: LatencyClass,
    /// The defining standard or specification.
    pub standard: &'static str,
    /// Whether it is still the one to choose.
    pub status: Status,
    /// The streamkit crate that implements it, if any yet.
    pub implemented_by: Option<&'static str>,
    /// A note on what matters most about it.
    pub note: &'static str,
}

impl StreamingProtocol {
    /// Whether `name` is its short name, one of its schemes, or its full
    /// name, ignoring ASCII case.
    #[must_use]
    pub fn is_named(&self, name: &str) -> bool {
        self.name.eq_ignore_ascii_case(name)
            || self.full_name.eq_ignore_ascii_case(name)
            || self.schemes.iter().any(|s| s.eq_ignore_ascii_case(name))
    }
}

impl fmt::Display for StreamingProtocol {
    /// A multi-line summary.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{} ({})", self.name, self.full_name)?;
        write!(f, "  transports:    {}", self.transports)?;
        writeln!(f)?;
        f.write_str("  default ports: ")?;
        if self.default_ports.is_empty() {
            f.write_str("none")?;
        }
        for (i, p) in self.default_ports.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{p}")?;
        }
        writeln!(f)?;
        f.write_str("  URL schemes:   ")?;
        if self.schemes.is_empty() {
            f.write_str("none")?;
        }
        for (i, s) in self.schemes.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{s}://")?;
        }
        writeln!(f)?;
        writeln!(f, "  delivery:      {}", self.delivery)?;
        let scope = match (self.live, self.on_demand) {
            (true, true) => "live and on demand",
            (true, false) => "live",
            (false, true) => "on demand",
            (false, false) => "neither live nor on demand (control only)",
        };
        writeln!(f, "  content:       {scope}")?;
        write!(f, "  latency:       typically {}", self.typical_latency)?;
        if self.lowest_latency != self.typical_latency {
            write!(f, ", down to {} in low-latency mode", self.lowest_latency)?;
        }
        writeln!(f)?;
        writeln!(f, "  standard:      {}", self.standard)?;
        writeln!(f, "  status:        {}", self.status)?;
        writeln!(
            f,
            "  streamkit:     {}",
            self.implemented_by.unwrap_or("not implemented yet")
        )?;
        write!(f, "  note:          {}", self.note)
    }
}

const TCP: Transports = Transports::TCP;
const UDP: Transports = Transports::UDP;

/// Facts for every [`ProtocolId`], in declaration order.
pub static PROTOCOLS: [StreamingProtocol; 17] = [
    StreamingProtocol {
        id: ProtocolId::Hls,
        name: "HLS",
        full_name: "HTTP Live Streaming",
        transports: TCP,
        default_ports: &[80, 443],
        schemes: &["http", "https"],
        delivery: Delivery::HttpSegmentPull,
        live: true,
        on_demand: true,
        typical_latency: LatencyClass::Standard,
        lowest_latency: LatencyClass::Low,
        standard: "RFC 8216 (2017); draft-pantos-hls-rfc8216bis adds Low-Latency HLS",
        status: Status::Current,
        implemented_by: Some("streamkit-hls"),
        note: "M3U8 playlists list MPEG-TS or fragmented-MP4 segments; the client picks a variant by bandwidth",
    },
    StreamingProtocol {
        id: ProtocolId::Dash,
        name: "MPEG-DASH",
        full_name: "Dynamic Adaptive Streaming over HTTP",
        transports: TCP,
        default_ports: &[80, 443],
        schemes: &["http", "https"],
        delivery: Delivery::HttpSegmentPull,
        live: true,
        on_demand: true,
        typical_latency: LatencyClass::Standard,
        lowest_latency: LatencyClass::Low,
        standard: "ISO/IEC 23009-1 (first edition 2012); DASH-IF low-latency guidelines",
        status: Status::Current,
        implemented_by: Some("streamkit-dash"),
        note: "an XML MPD describes periods, adaptation sets and representations of segmented media",
    },
    StreamingProtocol {
        id: ProtocolId::Rtmp,
        name: "RTMP",
        full_name: "Real-Time Messaging Protocol",
        transports: TCP,
        default_ports: &[1935],
        schemes: &["rtmp"],
        delivery: Delivery::MessageStream,
        live: true,
        on_demand: true,
        typical_latency: LatencyClass::Low,
        lowest_latency: LatencyClass::Low,
        standard: "Adobe RTMP Specification 1.0 (2012)",
        status: Status::Legacy { since: Some(2020) },
        implemented_by: None,
        note: "playback ended with Flash Player in 2020; still the common ingest protocol from encoders",
    },
    StreamingProtocol {
        id: ProtocolId::Rtmpt,
        name: "RTMPT",
        full_name: "RTMP tunnelled through HTTP",
        transports: TCP,
        default_ports: &[80, 443],
        schemes: &["rtmpt", "rtmpts"],
        delivery: Delivery::HttpTunnel,
        live: true,
        on_demand: true,
        typical_latency: LatencyClass::Low,
        lowest_latency: LatencyClass::Low,
        standard: "Adobe Flash Media Server documentation (no public specification)",
        status: Status::Legacy { since: Some(2020) },
        implemented_by: None,
        note: "RTMP messages in HTTP POST requests the client keeps polling, to pass firewalls; rtmpts does it over HTTPS on 443",
    },
    StreamingProtocol {
        id: ProtocolId::Rtmps,
        name: "RTMPS",
        full_name: "RTMP over TLS",
        transports: TCP,
        default_ports: &[443],
        schemes: &["rtmps"],
        delivery: Delivery::MessageStream,
        live: true,
        on_demand: true,
        typical_latency: LatencyClass::Low,
        lowest_latency: LatencyClass::Low,
        standard: "Adobe RTMP Specification 1.0 inside TLS",
        status: Status::Current,
        implemented_by: None,
        note: "the encrypted ingest large live platforms ask encoders for",
    },
    StreamingProtocol {
        id: ProtocolId::Rtmpe,
        name: "RTMPE",
        full_name: "Encrypted RTMP",
        transports: TCP,
        default_ports: &[1935],
        schemes: &["rtmpe"],
        delivery: Delivery::MessageStream,
        live: true,
        on_demand: true,
        typical_latency: LatencyClass::Low,
        lowest_latency: LatencyClass::Low,
        standard: "Adobe proprietary (no public specification)",
        status: Status::Deprecated { since: None },
        implemented_by: None,
        note: "a Diffie-Hellman handshake and RC4, not TLS; it gives no real protection, use RTMPS",
    },
    StreamingProtocol {
        id: ProtocolId::Rtmpte,
        name: "RTMPTE",
        full_name: "Encrypted RTMP tunnelled through HTTP",
        transports: TCP,
        default_ports: &[80],
        schemes: &["rtmpte"],
        delivery: Delivery::HttpTunnel,
        live: true,
        on_demand: true,
        typical_latency: LatencyClass::Low,
        lowest_latency: LatencyClass::Low,
        standard: "Adobe proprietary (no public specification)",
        status: Status::Deprecated { since: None },
        implemented_by: None,
        note: "RTMPE inside the RTMPT tunnel",
    },
    StreamingProtocol {
        id: ProtocolId::Hds,
        name: "HDS",
        full_name: "Adobe HTTP Dynamic Streaming",
        transports: TCP,
        default_ports: &[80, 443],
        schemes: &["http", "https"],
        delivery: Delivery::HttpSegmentPull,
        live: true,
        on_demand: true,
        typical_latency: LatencyClass::Standard,
        lowest_latency: LatencyClass::Standard,
        standard: "Adobe HTTP Dynamic Streaming specification (F4M manifest, F4F fragments)",
        status: Status::Legacy { since: Some(2020) },
        implemented_by: None,
        note: "played in Flash Player and AIR; ended with Flash in 2020",
    },
    StreamingProtocol {
        id: ProtocolId::SmoothStreaming,
        name: "Smooth Streaming",
        full_name: "Microsoft Smooth Streaming",
        transports: TCP,
        default_ports: &[80, 443],
        schemes: &["http", "https"],
        delivery: Delivery::HttpSegmentPull,
        live: true,
        on_demand: true,
        typical_latency: LatencyClass::Standard,
        lowest_latency: LatencyClass::Standard,
        standard: "[MS-SSTR] Smooth Streaming Protocol",
        status: Status::Legacy { since: None },
        implemented_by: None,
        note: "fragmented MP4 fetched by URLs built from an XML client manifest; superseded by MPEG-DASH",
    },
    StreamingProtocol {
        id: ProtocolId::MsWmsp,
        name: "MS-WMSP",
        full_name: "Windows Media HTTP Streaming Protocol (MMSH)",
        transports: TCP,
        default_ports: &[80],
        schemes: &["mmsh", "http"],
        delivery: Delivery::HttpStreamedResponse,
        live: true,
        on_demand: true,
        typical_latency: LatencyClass::Low,
        lowest_latency: LatencyClass::Low,
        standard: "[MS-WMSP]",
        status: Status::Legacy { since: None },
        implemented_by: None,
        note: "ASF data packets in one HTTP response; the fallback when MMS and RTSP are blocked",
    },
    StreamingProtocol {
        id: ProtocolId::Mms,
        name: "MMS",
        full_name: "Microsoft Media Server protocol",
        transports: Transports::TCP_UDP,
        default_ports: &[1755],
        schemes: &["mms", "mmst", "mmsu"],
        delivery: Delivery::ControlChannelPlusMedia,
        live: true,
        on_demand: true,
        typical_latency: LatencyClass::Low,
        lowest_latency: LatencyClass::Low,
        standard: "[MS-MMSP]",
        status: Status::Deprecated { since: Some(2003) },
        implemented_by: None,
        note: "deprecated for RTSP by Windows Media Services 9 Series; Windows Media Services 2008 dropped it",
    },
    StreamingProtocol {
        id: ProtocolId::Rtsp,
        name: "RTSP",
        full_name: "Real Time Streaming Protocol",
        transports: Transports::TCP_UDP,
        default_ports: &[554, 322],
        schemes: &["rtsp", "rtsps", "rtspu"],
        delivery: Delivery::ControlChannelPlusMedia,
        live: true,
        on_demand: true,
        typical_latency: LatencyClass::SubSecond,
        lowest_latency: LatencyClass::SubSecond,
        standard: "RFC 2326 (RTSP 1.0, 1998); RFC 7826 (RTSP 2.0, 2016)",
        status: Status::Current,
        implemented_by: None,
        note: "DESCRIBE, SETUP, PLAY steer RTP media; the protocol of IP cameras",
    },
    StreamingProtocol {
        id: ProtocolId::Rtp,
        name: "RTP",
        full_name: "Real-time Transport Protocol",
        transports: UDP.union(Transports::TCP),
        default_ports: &[5004],
        schemes: &["rtp"],
        delivery: Delivery::PushedPackets,
        live: true,
        on_demand: false,
        typical_latency: LatencyClass::SubSecond,
        lowest_latency: LatencyClass::SubSecond,
        standard: "RFC 3550 (2003), RFC 3551 (A/V profile); RFC 4571 frames it on TCP",
        status: Status::Current,
        implemented_by: Some("streamkit-rtp"),
        note: "sequence numbers and timestamps let the receiver reorder and time packets; ports are negotiated, usually by SDP",
    },
    StreamingProtocol {
        id: ProtocolId::Rtcp,
        name: "RTCP",
        full_name: "RTP Control Protocol",
        transports: UDP.union(Transports::TCP),
        default_ports: &[5005],
        schemes: &[],
        delivery: Delivery::SideChannelReports,
        live: false,
        on_demand: false,
        typical_latency: LatencyClass::SubSecond,
        lowest_latency: LatencyClass::SubSecond,
        standard: "RFC 3550 (2003); RFC 4585 feedback; RFC 5761 muxes it on the RTP port",
        status: Status::Current,
        implemented_by: Some("streamkit-rtp"),
        note: "sender and receiver reports (loss, jitter, clock mapping) on the RTP port plus one",
    },
    StreamingProtocol {
        id: ProtocolId::MpegTsUdp,
        name: "MPEG-TS over UDP",
        full_name: "MPEG-2 transport stream in UDP datagrams",
        transports: UDP,
        default_ports: &[],
        schemes: &["udp", "rtp"],
        delivery: Delivery::PushedPackets,
        live: true,
        on_demand: false,
        typical_latency: LatencyClass::SubSecond,
        lowest_latency: LatencyClass::SubSecond,
        standard: "ISO/IEC 13818-1",
        status: Status::Current,
        implemented_by: Some("streamkit-core"),
        note: "usually seven 188-byte TS packets per datagram, often multicast; no retransmission; \
               streamkit-core's ts module writes the packets, the caller sends the datagrams",
    },
    StreamingProtocol {
        id: ProtocolId::Srt,
        name: "SRT",
        full_name: "Secure Reliable Transport",
        transports: UDP,
        default_ports: &[],
        schemes: &["srt"],
        delivery: Delivery::PushedPackets,
        live: true,
        on_demand: false,
        typical_latency: LatencyClass::SubSecond,
        lowest_latency: LatencyClass::SubSecond,
        standard: "draft-sharabayko-srt (Haivision, open source since 2017)",
        status: Status::Current,
        implemented_by: None,
        note: "UDP with retransmission (ARQ) inside a fixed latency window and optional AES encryption; no IANA port",
    },
    StreamingProtocol {
        id: ProtocolId::WebRtc,
        name: "WebRTC",
        full_name: "Web Real-Time Communication",
        transports: UDP.union(Transports::TCP),
        default_ports: &[],
        schemes: &[],
        delivery: Delivery::PushedPackets,
        live: true,
        on_demand: false,
        typical_latency: LatencyClass::SubSecond,
        lowest_latency: LatencyClass::SubSecond,
        standard: "W3C WebRTC 1.0 (2021); RFC 8825 and the RFCs it lists (2021)",
        status: Status::Current,
        implemented_by: None,
        note: "SRTP over ICE-chosen UDP ports (TCP or TURN as fallback; STUN/TURN on 3478, 5349); signalling is left to the application",
    },
];

/// The protocol named `name`: its short name, full name or one of its URL
/// schemes, ASCII case ignored. Where a scheme belongs to several protocols
/// (`http`), the first in [`ProtocolId`] order wins; use
/// [`protocols_named`] for all of them.
#[must_use]
pub fn protocol(name: &str) -> Option<&'static StreamingProtocol> {
    protocols_named(name).next()
}

/// Every protocol named `name` (see [`protocol`]).
pub fn protocols_named(name: &str) -> impl Iterator<Item = &'static StreamingProtocol> {
    PROTOCOLS.iter().filter(move |p| p.is_named(name))
}

/// Every protocol with `port` among its default ports.
pub fn protocols_on_port(port: u16) -> impl Iterator<Item = &'static StreamingProtocol> {
    PROTOCOLS
        .iter()
        .filter(move |p| p.default_ports.contains(&port))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_in_declaration_order() {
        for (i, p) in PROTOCOLS.iter().enumerate() {
            assert_eq!(p.id as usize, i, "{}", p.name);
            assert!(std::ptr::eq(p.id.facts(), p));
        }
    }

    #[test]
    fn schemes_exist_and_agree() {
        for p in &PROTOCOLS {
            for s in p.schemes {
                let scheme = crate::scheme(s).unwrap_or_else(|| panic!("{s}"));
                if let Some(id) = scheme.protocol {
                    let owner = id.facts();
                    assert!(owner.schemes.contains(s), "{s} -> {}", owner.name);
                }
            }
        }
    }

    #[test]
    fn lookups() {
        assert_eq!(protocol("rtmps").unwrap().id, ProtocolId::Rtmps);
        assert_eq!(protocol("rtmpts").unwrap().id, ProtocolId::Rtmpt);
        assert_eq!(protocol("mmsh").unwrap().id, ProtocolId::MsWmsp);
        assert_eq!(protocol("mpeg-dash").unwrap().id, ProtocolId::Dash);
        assert_eq!(protocol("webrtc").unwrap().id, ProtocolId::WebRtc);
        assert!(protocol("gopher").is_none());
        let http: Vec<_> = protocols_named("http").map(|p| p.name).collect();
        assert_eq!(
            http,
            ["HLS", "MPEG-DASH", "HDS", "Smooth Streaming", "MS-WMSP"]
        );
        let on_1935: Vec<_> = protocols_on_port(1935).map(|p| p.name).collect();
        assert_eq!(on_1935, ["RTMP", "RTMPE"]);
    }

    #[test]
    fn display_summary() {
        let text = ProtocolId::Rtsp.facts().to_string();
        assert_eq!(
            text,
            "RTSP (Real Time Streaming Protocol)\n\
             \x20 transports:    tcp/udp\n\
             \x20 default ports: 554, 322\n\
             \x20 URL schemes:   rtsp://, rtsps://, rtspu://\n\
             \x20 delivery:      control channel plus separate media flows (UDP or interleaved)\n\
             \x20 content:       live and on demand\n\
             \x20 latency:       typically sub-second\n\
             \x20 standard:      RFC 2326 (RTSP 1.0, 1998); RFC 7826 (RTSP 2.0, 2016)\n\
             \x20 status:        current\n\
             \x20 streamkit:     not implemented yet\n\
             \x20 note:          DESCRIBE, SETUP, PLAY steer RTP media; the protocol of IP cameras"
        );
        assert_eq!(
            Status::Legacy { since: Some(2020) }.to_string(),
            "legacy since 2020"
        );
        assert_eq!(Status::Deprecated { since: None }.to_string(), "deprecated");
    }
}
