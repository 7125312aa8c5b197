//! RTSP messages (RFC 2326 section 6 and 7, with RFC 7826's syntax where
//! it is a superset): requests, responses, their headers, and the
//! `$`-framed interleaved binary data that shares a TCP stream with them.
//!
//! [`MessageReader`] takes bytes in whatever chunks they arrive and gives
//! whole [`Frame`]s (or, with [`MessageReader::poll_frame_ref`],
//! [`FrameRef`]s whose interleaved payload is lent until the next call);
//! [`parse_frame`] is the one-shot form over a buffer
//! (complete, incomplete or invalid with the byte position). The writer
//! is [`Request::write_to`], [`Response::write_to`] and
//! [`write_interleaved`].
//!
//! ```
//! use bytes::{Bytes, BytesMut};
//! use streamkit_rtsp::message::{Frame, Message, MessageReader, Method, ReaderConfig};
//!
//! let mut reader = MessageReader::new(ReaderConfig::default());
//! // A request in two pieces, then interleaved RTP on channel 0.
//! reader.push(b"OPTIONS rtsp://cam/ RTSP/1.0\r\nCSe");
//! assert_eq!(reader.poll_frame()?, None);
//! reader.push(b"q: 1 \r\n\r\n$\x00\x00\x03abc");
//! let Some(Frame::Message(Message::Request(request))) = reader.poll_frame()? else { panic!() };
//! assert_eq!(request.method, Method::Options);
//! assert_eq!(request.headers.get("cseq"), Some("1"));
//! let Some(Frame::Interleaved { channel, data }) = reader.poll_frame()? else { panic!() };
//! assert_eq!((channel, &data[..]), (0, &b"abc"[..]));
//!
//! let mut out = BytesMut::new();
//! request.write_to(&mut out);
//! assert_eq!(&out[..], b"OPTIONS rtsp://cam/ RTSP/1.0\r\nCSeq: 1\r\n\r\n");
//! # Ok::<(), streamkit_rtsp::error::ParseError>(())
//! ```

mod parse;
mod write;

use std::fmt;
use std::ops::Range;

use bytes::Bytes;

pub use parse::{MessageReader, Parsed, ReaderConfig, parse_frame};
pub use write::write_interleaved;

/// An RTSP method (RFC 2326 section 10), or another token.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Method {
    /// `OPTIONS`
    Options,
    /// `DESCRIBE`
    Describe,
    /// `ANNOUNCE`
    Announce,
    /// `SETUP`
    Setup,
    /// `PLAY`
    Play,
    /// `PAUSE`
    Pause,
    /// `TEARDOWN`
    Teardown,
    /// `GET_PARAMETER`
    GetParameter,
    /// `SET_PARAMETER`
    SetParameter,
    /// `RECORD`
    Record,
    /// `REDIRECT`
    Redirect,
    /// `PLAY_NOTIFY` (RFC 7826 section 13.5; server to client).
    PlayNotify,
    /// Any other token.
    Extension(String),
}

impl Method {
    /// The method of token `name` (case-sensitive, as RFC 2326 says).
    #[must_use]
    pub fn from_token(name: &str) -> Method {
        match name {
            "OPTIONS" => Method::Options,
            "DESCRIBE" => Method::Describe,
            "ANNOUNCE" => Method::Announce,
            "SETUP" => Method::Setup,
            "PLAY" => Method::Play,
            "PAUSE" => Method::Pause,
            "TEARDOWN" => Method::Teardown,
            "GET_PARAMETER" => Method::GetParameter,
            "SET_PARAMETER" => Method::SetParameter,
            "RECORD" => Method::Record,
            "REDIRECT" => Method::Redirect,
            "PLAY_NOTIFY" => Method::PlayNotify,
            other => Method::Extension(other.to_owned()),
        }
    }

    /// The token.
    #[must_use]
    pub fn as_str(&self) -> &str {
        match self {
            Method::Options => "OPTIONS",
            Method::Describe => "DESCRIBE",
            Method::Announce => "ANNOUNCE",
            Method::Setup => "SETUP",
            Method::Play => "PLAY",
            Method::Pause => "PAUSE",
            Method::Teardown => "TEARDOWN",
            Method::GetParameter => "GET_PARAMETER",
            Method::SetParameter => "SET_PARAMETER",
            Method::Record => "RECORD",
            Method::Redirect => "REDIRECT",
            Method::PlayNotify => "PLAY_NOTIFY",
            Method::Extension(s) => s,
        }
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The protocol version of a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Version {
    /// `RTSP/1.0` (RFC 2326).
    Rtsp10,
    /// `RTSP/2.0` (RFC 7826).
    Rtsp20,
    /// Another `RTSP/major.minor` of one digit each (`RTSP/1.1`,
    /// `RTSP/3.0`): parsed so that a server can answer it with 505 (RTSP
    /// Version Not Supported).
    Other {
        /// The major version, 0-9.
        major: u8,
        /// The minor version, 0-9.
        minor: u8,
    },
}

/// `RTSP/0.0` to `RTSP/9.9`, by `major * 10 + minor`.
const VERSION_NAMES: [&str; 100] = [
    "RTSP/0.0", "RTSP/0.1", "RTSP/0.2", "RTSP/0.3", "RTSP/0.4", "RTSP/0.5", "RTSP/0.6", "RTSP/0.7",
    "RTSP/0.8", "RTSP/0.9", "RTSP/1.0", "RTSP/1.1", "RTSP/1.2", "RTSP/1.3", "RTSP/1.4", "RTSP/1.5",
    "RTSP/1.6", "RTSP/1.7", "RTSP/1.8", "RTSP/1.9", "RTSP/2.0", "RTSP/2.1", "RTSP/2.2", "RTSP/2.3",
    "RTSP/2.4", "RTSP/2.5", "RTSP/2.6", "RTSP/2.7", "RTSP/2.8", "RTSP/2.9", "RTSP/3.0", "RTSP/3.1",
    "RTSP/3.2", "RTSP/3.3", "RTSP/3.4", "RTSP/3.5", "RTSP/3.6", "RTSP/3.7", "RTSP/3.8", "RTSP/3.9",
    "RTSP/4.0", "RTSP/4.1", "RTSP/4.2", "RTSP/4.3", "RTSP/4.4", "RTSP/4.5", "RTSP/4.6", "RTSP/4.7",
    "RTSP/4.8", "RTSP/4.9", "RTSP/5.0", "RTSP/5.1", "RTSP/5.2", "RTSP/5.3", "RTSP/5.4", "RTSP/5.5",
    "RTSP/5.6", "RTSP/5.7", "RTSP/5.8", "RTSP/5.9", "RTSP/6.0", "RTSP/6.1", "RTSP/6.2", "RTSP/6.3",
    "RTSP/6.4", "RTSP/6.5", "RTSP/6.6", "RTSP/6.7", "RTSP/6.8", "RTSP/6.9", "RTSP/7.0", "RTSP/7.1",
    "RTSP/7.2", "RTSP/7.3", "RTSP/7.4", "RTSP/7.5", "RTSP/7.6", "RTSP/7.7", "RTSP/7.8", "RTSP/7.9",
    "RTSP/8.0", "RTSP/8.1", "RTSP/8.2", "RTSP/8.3", "RTSP/8.4", "RTSP/8.5", "RTSP/8.6", "RTSP/8.7",
    "RTSP/8.8", "RTSP/8.9", "RTSP/9.0", "RTSP/9.1", "RTSP/9.2", "RTSP/9.3", "RTSP/9.4", "RTSP/9.5",
    "RTSP/9.6", "RTSP/9.7", "RTSP/9.8", "RTSP/9.9",
];

impl Version {
    /// The version `RTSP/major.minor` (digits 0-9; `None` past them).
    #[must_use]
    pub fn from_digits(major: u8, minor: u8) -> Option<Version> {
        match (major, minor) {
            (1, 0) => Some(Version::Rtsp10),
            (2, 0) => Some(Version::Rtsp20),
            (0..=9, 0..=9) => Some(Version::Other { major, minor }),
            _ => None,
        }
    }

    /// `RTSP/1.0`, `RTSP/2.0`, or the other version's text.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Version::Rtsp10 => "RTSP/1.0",
            Version::Rtsp20 => "RTSP/2.0",
            Version::Other { major, minor } => VERSION_NAMES
                .get(usize::from(major) * 10 + usize::from(minor))
                .copied()
                .unwrap_or("RTSP/9.9"),
        }
    }

    /// `true` for a version the server speaks (1.0 and 2.0).
    #[must_use]
    pub fn is_supported(self) -> bool {
        matches!(self, Version::Rtsp10 | Version::Rtsp20)
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One header field's name and value, as ranges of the header text.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Field {
    name: Range<u32>,
    value: Range<u32>,
}

/// The header fields of a message, in order, names as sent.
///
/// Parsed headers borrow the received bytes (no copy per field); lookups
/// by name ignore ASCII case. Values are trimmed of surrounding spaces
/// and tabs; a folded value (a line starting with a space) is joined with
/// one space.
#[derive(Clone, Default)]
pub struct Headers {
    text: Bytes,
    fields: Vec<Field>,
}

impl Headers {
    /// No header fields.
    #[must_use]
    pub fn new() -> Headers {
        Headers::default()
    }

    fn str_at(&self, r: &Range<u32>) -> &str {
        self.text
            .get(r.start as usize..r.end as usize)
            .and_then(|b| std::str::from_utf8(b).ok())
            .unwrap_or("")
    }

    /// The first value of `name` (ASCII case ignored).
    #[must_use]
    pub fn get(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|f| self.str_at(&f.name).eq_ignore_ascii_case(name))
            .map(|f| self.str_at(&f.value))
    }

    /// Every value of `name`, in order.
    pub fn get_all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.fields
            .iter()
            .filter(move |f| self.str_at(&f.name).eq_ignore_ascii_case(name))
            .map(|f| self.str_at(&f.value))
    }

    /// `true` when `name` is there.
    #[must_use]
    pub fn contains(&self, name: &str) -> bool {
        self.get(name).is_some()
    }

    /// Every `(name, value)`, in order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> + '_ {
        self.fields
            .iter()
            .map(|f| (self.str_at(&f.name), self.str_at(&f.value)))
    }

    /// How many fields.
    #[must_use]
    pub fn len(&self) -> usize {
        self.fields.len()
    }

    /// `true` without fields.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.fields.is_empty()
    }

    /// Appends `name: value` (the value trimmed as a parsed one would be).
    pub fn append(&mut self, name: &str, value: &str) {
        let value = value.trim_matches([' ', '\t']);
        let mut text = Vec::with_capacity(self.text.len() + name.len() + value.len());
        text.extend_from_slice(&self.text);
        let start = text.len() as u32;
        text.extend_from_slice(name.as_bytes());
        let name_range = start..text.len() as u32;
        let start = text.len() as u32;
        text.extend_from_slice(value.as_bytes());
        let value_range = start..text.len() as u32;
        self.text = Bytes::from(text);
        self.fields.push(Field {
            name: name_range,
            value: value_range,
        });
    }

    /// Replaces every `name` field by one `name: value` (appended when
    /// there was none).
    pub fn set(&mut self, name: &str, value: &str) {
        self.remove(name);
        self.append(name, value);
    }

    /// Removes every `name` field.
    pub fn remove(&mut self, name: &str) {
        let text = self.text.clone();
        self.fields.retain(|f| {
            let n = text
                .get(f.name.start as usize..f.name.end as usize)
                .unwrap_or_default();
            !n.eq_ignore_ascii_case(name.as_bytes())
        });
    }

    /// Headers over received text: `fields` are ranges of `text`.
    fn from_parts(text: Bytes, fields: Vec<Field>) -> Headers {
        Headers { text, fields }
    }
}

impl PartialEq for Headers {
    fn eq(&self, other: &Headers) -> bool {
        self.iter().eq(other.iter())
    }
}

impl Eq for Headers {}

impl fmt::Debug for Headers {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

/// An RTSP request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// The method.
    pub method: Method,
    /// The Request-URI as sent (`rtsp://host/path`, or `*`).
    pub uri: String,
    /// The version.
    pub version: Version,
    /// The header fields.
    pub headers: Headers,
    /// The body (`Content-Length` bytes), a slice of the received bytes.
    pub body: Bytes,
}

impl Request {
    /// An RTSP/1.0 request without headers or body.
    #[must_use]
    pub fn new(method: Method, uri: &str) -> Request {
        Request {
            method,
            uri: uri.to_owned(),
            version: Version::Rtsp10,
            headers: Headers::new(),
            body: Bytes::new(),
        }
    }

    /// The `CSeq` (trailing spaces ignored), when there is one that parses.
    #[must_use]
    pub fn cseq(&self) -> Option<u32> {
        crate::header::cseq(&self.headers)
    }
}

/// An RTSP response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    /// The version.
    pub version: Version,
    /// The status code.
    pub status: u16,
    /// The reason phrase as sent (may be empty).
    pub reason: String,
    /// The header fields.
    pub headers: Headers,
    /// The body, a slice of the received bytes.
    pub body: Bytes,
}

impl Response {
    /// An RTSP/1.0 response with `status` and its RFC 2326 reason phrase.
    #[must_use]
    pub fn new(status: u16) -> Response {
        Response {
            version: Version::Rtsp10,
            status,
            reason: reason_phrase(status).to_owned(),
            headers: Headers::new(),
            body: Bytes::new(),
        }
    }

    /// The `CSeq`, when there is one that parses.
    #[must_use]
    pub fn cseq(&self) -> Option<u32> {
        crate::header::cseq(&self.headers)
    }
}

/// A request or a response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Message {
    /// A request.
    Request(Request),
    /// A response.
    Response(Response),
}

/// What a stream carries: a message, or a block of interleaved binary
/// data (RFC 2326 section 10.12).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Frame {
    /// A request or response.
    Message(Message),
    /// `$`, a channel, a 16-bit length and that many bytes.
    Interleaved {
        /// The channel (the `interleaved=` of a SETUP).
        channel: u8,
        /// The payload, a slice of the received bytes.
        data: Bytes,
    },
}

/// A [`Frame`] whose interleaved payload is lent from the reader's
/// buffer ([`MessageReader::poll_frame_ref`]), valid until the next call
/// on the reader.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FrameRef<'a> {
    /// A request or response.
    Message(Message),
    /// `$`, a channel, a 16-bit length and that many bytes.
    Interleaved {
        /// The channel (the `interleaved=` of a SETUP).
        channel: u8,
        /// The payload, borrowed from the reader.
        data: &'a [u8],
    },
}

/// The reason phrase RFC 2326 section 7.1.1 (or, for the codes it
/// added, RFC 7826 section 17) gives `status` (`""` for a code neither
/// lists).
#[must_use]
pub fn reason_phrase(status: u16) -> &'static str {
    match status {
        100 => "Continue",
        200 => "OK",
        201 => "Created",
        250 => "Low on Storage Space",
        300 => "Multiple Choices",
        301 => "Moved Permanently",
        302 => "Moved Temporarily",
        303 => "See Other",
        304 => "Not Modified",
        305 => "Use Proxy",
        400 => "Bad Request",
        401 => "Unauthorized",
        402 => "Payment Required",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        406 => "Not Acceptable",
        407 => "Proxy Authentication Required",
        408 => "Request Time-out",
        410 => "Gone",
        411 => "Length Required",
        412 => "Precondition Failed",
        413 => "Request Entity Too Large",
        414 => "Request-URI Too Large",
        415 => "Unsupported Media Type",
        431 => "Request Header Fields Too Large",
        451 => "Parameter Not Understood",
        452 => "Conference Not Found",
        453 => "Not Enough Bandwidth",
        454 => "Session Not Found",
        455 => "Method Not Valid in This State",
        456 => "Header Field Not Valid for Resource",
        457 => "Invalid Range",
        458 => "Parameter Is Read-Only",
        459 => "Aggregate operation not allowed",
        460 => "Only aggregate operation allowed",
        461 => "Unsupported transport",
        462 => "Destination unreachable",
        463 => "Destination Prohibited",
        464 => "Data Transport Not Ready Yet",
        465 => "Notification Reason Unknown",
        466 => "Key Management Error",
        470 => "Connection Authorization Required",
        471 => "Connection Credentials Not Accepted",
        472 => "Failure to Establish Secure Connection",
        500 => "Internal Server Error",
        501 => "Not Implemented",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Time-out",
        505 => "RTSP Version not supported",
        551 => "Option not supported",
        553 => "Proxy Unavailable",
        _ => "",
    }
}
