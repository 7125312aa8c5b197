//! The errors of each layer: message parsing, typed headers, the server
//! session.

/// A message or interleaved frame that cannot be read.
///
/// Each says what was wrong and where (a byte offset from the start of the
/// message or frame); [`status`](ParseError::status) is the RTSP status a
/// server answers it with (400, 413 or 431) before it closes the
/// connection.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ParseError {
    /// The bytes break the message syntax.
    #[error("invalid {what} at byte {offset}")]
    Invalid {
        /// What was being read (`request line`, `header name`, ...).
        what: &'static str,
        /// Where, from the start of the message.
        offset: usize,
    },
    /// The head (start line and headers) did not end within the bound.
    #[error("message head longer than {max} bytes")]
    HeadTooLarge {
        /// The bound.
        max: usize,
    },
    /// `Content-Length` over the bound.
    #[error("body of {length} bytes over the maximum {max}")]
    BodyTooLarge {
        /// The length announced.
        length: u64,
        /// The bound.
        max: usize,
    },
    /// More header fields than the bound.
    #[error("more than {max} header fields")]
    TooManyHeaders {
        /// The bound.
        max: usize,
    },
}

impl ParseError {
    /// The status a server answers with: 413 (Request Entity Too Large)
    /// for a body over the bound, 431 (Request Header Fields Too Large)
    /// for a head or header count over the bound, 400 otherwise.
    #[must_use]
    pub fn status(&self) -> u16 {
        match self {
            ParseError::Invalid { .. } => 400,
            ParseError::BodyTooLarge { .. } => 413,
            ParseError::HeadTooLarge { .. } | ParseError::TooManyHeaders { .. } => 431,
        }
    }
}

/// A header value that does not parse as its type.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum HeaderError {
    /// The header is not there.
    #[error("no {header} header")]
    Missing {
        /// The header's name.
        header: &'static str,
    },
    /// The header is there but its value is wrong.
    #[error("{header}: {what}")]
    Invalid {
        /// The header's name.
        header: &'static str,
        /// What is wrong.
        what: &'static str,
    },
}

/// A call on the server session that it refuses.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ServerError {
    /// No request of that id waits for an answer.
    #[error("no pending request {id}")]
    UnknownRequest {
        /// The id given.
        id: u64,
    },
    /// The media sender refused (a sample of an unknown track, a full
    /// queue, decode order).
    #[error("media: {0}")]
    Media(#[from] streamkit_rtp::error::SessionError),
    /// No session plays or records now.
    #[error("no session is playing")]
    NotPlaying,
    /// A track or presentation cannot be described in SDP.
    #[error("SDP: {0}")]
    Sdp(#[from] streamkit_rtp::error::SdpError),
}

/// Why a client session failed, or a call on it that it refuses.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ClientError {
    /// The server's bytes do not read as RTSP.
    #[error("server bytes: {0}")]
    Parse(#[from] ParseError),
    /// A response header the session needs does not parse.
    #[error("{method} response: {error}")]
    Header {
        /// The request's method.
        method: String,
        /// What is wrong.
        error: HeaderError,
    },
    /// The server refused a request.
    #[error("{method} {uri}: {status} {reason}")]
    Status {
        /// The request's method.
        method: String,
        /// The request's URI.
        uri: String,
        /// The status code.
        status: u16,
        /// The reason phrase as sent.
        reason: String,
    },
    /// 401 without credentials to answer it, with a challenge this crate
    /// cannot answer, or a second 401 for the same request and nonce
    /// (wrong credentials: no retry loop).
    #[error("{method} {uri}: 401 Unauthorized ({what})")]
    Unauthorized {
        /// The request's method.
        method: String,
        /// The request's URI.
        uri: String,
        /// Why there is no retry.
        what: &'static str,
    },
    /// More redirects than the configuration allows.
    #[error("more than {max} redirects")]
    TooManyRedirects {
        /// The bound.
        max: u32,
    },
    /// A redirect without a `Location`, or at a step that cannot move.
    #[error("{method}: redirect {status} cannot be followed ({what})")]
    BadRedirect {
        /// The request's method.
        method: String,
        /// The status.
        status: u16,
        /// Why.
        what: &'static str,
    },
    /// The DESCRIBE answer is not an SDP the session can read.
    #[error("DESCRIBE answer: {what}")]
    Describe {
        /// What is wrong.
        what: String,
    },
    /// A SETUP answer's transport is not one the session asked for or
    /// can use.
    #[error("SETUP of track {track_id}: {what}")]
    Transport {
        /// The track.
        track_id: u32,
        /// What is wrong.
        what: &'static str,
    },
    /// No answer to a request within the request timeout.
    #[error("no answer to {method} in time")]
    ResponseTimeout {
        /// The request's method.
        method: String,
    },
    /// The server closed the connection.
    #[error("the server closed the connection")]
    ConnectionClosed,
    /// A call the session's state does not allow (a PAUSE before PLAY,
    /// a sample of a session that does not record, UDP without a port
    /// per track).
    #[error("not now: {what}")]
    InvalidState {
        /// What was asked.
        what: &'static str,
    },
    /// The media sender refused a sample, or the publish SDP could not
    /// be written.
    #[error("media: {0}")]
    Media(#[from] streamkit_rtp::error::SessionError),
    /// The publish tracks cannot be described in SDP.
    #[error("SDP: {0}")]
    Sdp(#[from] streamkit_rtp::error::SdpError),
}
