//! SDP (RFC 8866): read whole session descriptions leniently or strictly,
//! write them strictly.
//!
//! # Reading
//!
//! [`SessionDescription::parse`] reads every line type (`v o s i u e p c b t
//! r z k a m`), with several media sections, and reads what cameras, NVRs,
//! phone apps and encoders send outside RFC 8866 wherever the meaning is
//! clear. It keeps what is there, attributes and media sections in their
//! order, and records each deviation as an [`SdpWarning`] in
//! [`SessionDescription::warnings`]: the line, the [`Deviation`], and its
//! [`Resolution`] (the value kept as written, corrected to its RFC 8866
//! form, or dropped):
//!
//! | what devices send | what the reader makes of it |
//! |---|---|
//! | lines out of order: `a=` before `s=`, `c=` or `t=`; `s=` after `c=`; `v=` not first; `r=` away from its `t=` | kept, written in RFC 8866 order; the warnings name the fewest lines that moved (every other line outweighs the `a=` lines) |
//! | no `v=`, `o=`, `s=` or `t=` | `v=0`, `o=- 0 0 IN IP4 0.0.0.0`, an empty name (written `s= `), `t=0 0` |
//! | a session line (`t=`, `s=`, ...) inside a media section | read as the session's |
//! | a line that may appear once appears again | the first kept |
//! | `o=` with five or seven fields | the address type (found by its value) anchors the network type and address; the fields before it are the username, id and version where their place is clear; the missing filled in, the extra dropped |
//! | `o=` with an empty username | `-` |
//! | `o=` with a hex or decimal-point session id or version | kept as written |
//! | `IP` or `in` for `IN`; `IPV4`, `ip4` for `IP4` (`o=` and `c=`) | corrected |
//! | another address type (`c=IN ANY ...`) | kept as written |
//! | `c=` with two fields (`c=IN 0.0.0.0`) | the address type from the address; without an address the line is dropped |
//! | `rtpmap`/`fmtp` for a payload type `m=` does not list; `m=` without a format | kept as written |
//! | a line that is not `<type>=<value>`, an unknown type letter, a value that does not follow its grammar (an empty `r=`, a bandwidth that is not a number, a NUL inside) | dropped |
//! | an `m=` line that does not read | the whole media section dropped |
//! | NUL bytes after the last line; bytes that are not UTF-8 ([`parse_bytes`](SessionDescription::parse_bytes)) | dropped; replaced by U+FFFD |
//!
//! Lines may end in CRLF or a bare LF; trailing spaces and tabs, runs of
//! spaces between fields and blank lines are taken without a warning (RFC
//! 8866 section 5 asks readers to take a bare LF). Text with no `v=` or
//! `o=` line at all is [`SdpError::NotSdp`].
//!
//! [`SessionDescription::parse_strict`] is for callers who want the error:
//! it refuses at the first deviation, naming the line (and, for a field
//! that does not parse, the column). The two readers are one: a text reads
//! strictly exactly when it reads leniently without a warning, and then to
//! the same description.
//!
//! # Writing
//!
//! [`SessionDescription::write`] writes the canonical form with CRLF line
//! ends in RFC 8866 order, after checking that every field keeps the
//! syntax (tokens without spaces, text without CR, LF or NUL, `r=`, `z=`
//! and `k=` in their grammar). Whatever the lenient reader accepts, the
//! writer writes, and the output reads back to the same description: the
//! structural deviations are gone (order, missing lines, spellings), and
//! only the values kept as written (a hex session id, an unknown address
//! type, an unlisted `rtpmap`) warn again, so a relay that must send RFC
//! 8866 checks for [`Resolution::Kept`].
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
//! assert!(sdp.warnings.is_empty());
//! let video = &sdp.media[0];
//! assert_eq!(video.port, 5004);
//! let rtpmap = video.attributes.rtpmap(96)?.expect("rtpmap");
//! assert_eq!((rtpmap.encoding_name.as_str(), rtpmap.clock_rate), ("H264", 90_000));
//! assert_eq!(video.attributes.fmtp(96)?.expect("fmtp").get("packetization-mode"), Some("1"));
//! assert_eq!(video.attributes.direction(), None);
//! assert_eq!(sdp.write()?, text);
//! # Ok::<(), streamkit_rtp::sdp::SdpError>(())
//! ```
//!
//! A camera's description with the aggregate control before `s=`, no
//! `t=`, and `IP` for `IN`:
//!
//! ```
//! use streamkit_rtp::sdp::{Deviation, Resolution, SdpError, SessionDescription};
//!
//! let camera = "v=0\r\no=- 1109162014 1 IP IP4 192.0.2.64\r\n\
//!               a=control:rtsp://192.0.2.64/ch1/\r\ns=Media Presentation\r\n\
//!               m=video 0 RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\n";
//! let sdp = SessionDescription::parse(camera)?;
//! assert_eq!(sdp.attributes.control(), Some("rtsp://192.0.2.64/ch1/"));
//! let found: Vec<(usize, Deviation, Resolution)> =
//!     sdp.warnings.iter().map(|w| (w.line, w.deviation.clone(), w.resolution)).collect();
//! assert_eq!(found, [
//!     (2, Deviation::NetworkType { kind: 'o', found: "IP".into() }, Resolution::Corrected),
//!     (3, Deviation::OutOfOrder { kind: 'a' }, Resolution::Corrected),
//!     (5, Deviation::Missing { kind: 't' }, Resolution::Corrected),
//! ]);
//! // Written in RFC 8866 form; the strict reader takes the output, not the input.
//! let out = sdp.write()?;
//! assert!(out.starts_with("v=0\r\no=- 1109162014 1 IN IP4 192.0.2.64\r\ns=Media Presentation\r\n\
//!                          t=0 0\r\na=control:rtsp://192.0.2.64/ch1/\r\nm=video"));
//! assert!(SessionDescription::parse_strict(&out).is_ok());
//! assert!(matches!(SessionDescription::parse_strict(camera), Err(SdpError::Deviation { .. })));
//! # Ok::<(), SdpError>(())
//! ```

mod attributes;
pub mod base64;
pub mod codec;
mod fields;
mod grammar;
mod parse;
#[cfg(test)]
mod tests;
mod warning;
mod write;

pub use attributes::{
    Attribute, Attributes, Direction, Fmtp, FrameRate, RtcpAttribute, RtpMap, SsrcAttribute,
};

pub use warning::{Deviation, Resolution, SdpWarning};

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
    /// What the lenient reader ([`parse`](SessionDescription::parse)) read
    /// past, in line order: each departure from RFC 8866 with its line and
    /// what became of it. Empty for a description read strictly or built
    /// in code; the writer does not look at it.
    pub warnings: Vec<SdpWarning>,
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
            warnings: Vec::new(),
        }
    }
}
