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
mod parse;
#[cfg(test)]
mod tests;
mod write;

pub use attributes::{
    Attribute, Attributes, Direction, Fmtp, FrameRate, RtcpAttribute, RtpMap, SsrcAttribute,
};

pub use crate::error::SdpError;

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
}
