//! RTSP over HTTP, the QuickTime tunnel, Sans-IO.
//!
//! A client behind a proxy that passes only HTTP opens two HTTP
//! connections to the server's HTTP port, tied by one `x-sessioncookie`:
//!
//! - a `GET` with `Accept: application/x-rtsp-tunnelled`, whose answer
//!   (`200`, `Content-Type: application/x-rtsp-tunnelled`, no length, the
//!   connection kept open) carries every RTSP response and interleaved
//!   frame from the server, as on an RTSP TCP connection;
//! - a `POST` with `Content-Type: application/x-rtsp-tunnelled`, whose
//!   body is the client's RTSP requests in base64. Clients announce a
//!   length they never mean (ffmpeg and GStreamer send
//!   `Content-Length: 32767`) and stream; each request is often encoded
//!   on its own, with its own padding, and TCP splits the text anywhere.
//!
//! The server answers the GET at once, waits for the POST with the same
//! cookie, and from then on runs one RTSP connection (interleaved
//! transport) whose input is the POST body decoded and whose output is the
//! GET's response body.
//!
//! This module has the parts that are not I/O: [`parse_request_head`]
//! says whether an HTTP request head opens one half of a tunnel (and
//! which cookie ties it); [`Base64Decoder`] decodes the POST body as it
//! comes, in bounded steps into the caller's buffer, tolerant of padding
//! inside the stream and of whitespace; [`write_get_response`] is the
//! GET's answer head; [`write_get_request`], [`write_post_request`] and
//! [`encode_base64`] are what a client sends, and [`ClientTunnel`] is the
//! client's side put together (the heads, the check of the GET's answer,
//! the POST body), to run a client session through.
//!
//! ```
//! use bytes::BytesMut;
//! use streamkit_rtsp::tunnel::{
//!     parse_request_head, write_get_request, write_post_request, encode_base64,
//!     Base64Decoder, HeadStatus, TunnelHalf,
//! };
//!
//! // The client's two heads.
//! let mut get = BytesMut::new();
//! write_get_request(&mut get, "/vod/a", "127.0.0.1:8080", "c00k1e")?;
//! let mut post = BytesMut::new();
//! write_post_request(&mut post, "/vod/a", "127.0.0.1:8080", "c00k1e")?;
//!
//! // The server tells them apart and ties them by the cookie.
//! let HeadStatus::Tunnel(g) = parse_request_head(&get, 16 * 1024)? else { panic!() };
//! assert_eq!((g.half, g.cookie, g.target), (TunnelHalf::Get, "c00k1e", "/vod/a"));
//! let HeadStatus::Tunnel(p) = parse_request_head(&post, 16 * 1024)? else { panic!() };
//! assert_eq!((p.half, p.cookie), (TunnelHalf::Post, "c00k1e"));
//! assert_eq!(p.head_len, post.len());
//!
//! // Two requests, each encoded with its own padding, cut anywhere.
//! let mut body = BytesMut::new();
//! encode_base64(b"OPTIONS * RTSP/1.0\r\nCSeq: 1\r\n\r\n", &mut body);
//! encode_base64(b"DESCRIBE rtsp://h/vod/a RTSP/1.0\r\nCSeq: 2\r\n\r\n", &mut body);
//! let mut decoder = Base64Decoder::new();
//! let mut out = [0u8; 256];
//! let mut requests = Vec::new();
//! for chunk in body.chunks(7) {
//!     let mut chunk = chunk;
//!     while !chunk.is_empty() {
//!         let d = decoder.decode(chunk, &mut out)?;
//!         requests.extend_from_slice(&out[..d.written]);
//!         chunk = &chunk[d.consumed..];
//!     }
//! }
//! assert!(decoder.is_aligned());
//! assert!(requests.starts_with(b"OPTIONS * RTSP/1.0\r\n"));
//! assert!(requests.ends_with(b"CSeq: 2\r\n\r\n"));
//! # Ok::<(), streamkit_rtsp::tunnel::TunnelError>(())
//! ```

use bytes::BufMut;
use streamkit_rtp::sdp::base64;

/// The header that ties the two halves of a tunnel.
pub const SESSION_COOKIE: &str = "x-sessioncookie";

/// The media type of both halves: the GET's `Accept` and its answer's
/// `Content-Type`, the POST's `Content-Type`.
pub const TUNNELLED: &str = "application/x-rtsp-tunnelled";

/// The longest cookie taken (ffmpeg's are 16 bytes, GStreamer's 22).
pub const MAX_COOKIE_LEN: usize = 128;

/// The `Content-Length` a client's POST announces: a length it never
/// reaches in practice, as ffmpeg and GStreamer send; a server ignores it.
pub const POST_CONTENT_LENGTH: u32 = 32_767;

/// Something in a tunnel's HTTP head or its base64 body that cannot be
/// taken. Each says what and where.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TunnelError {
    /// A byte that is no base64 character, padding or whitespace.
    #[error("byte 0x{byte:02x} at offset {offset} of the tunnel body is not base64")]
    InvalidBase64 {
        /// The byte.
        byte: u8,
        /// Its offset from the start of the body.
        offset: u64,
    },
    /// `=` where no padding can stand: after one character of a group,
    /// or more of it than the group owes.
    #[error("misplaced base64 padding at offset {offset} of the tunnel body")]
    MisplacedPadding {
        /// Its offset from the start of the body.
        offset: u64,
    },
    /// The HTTP request head breaks the syntax.
    #[error("invalid HTTP {what} at byte {offset}")]
    InvalidHead {
        /// What was being read (`request line`, `header field`).
        what: &'static str,
        /// Where, from the start of the head.
        offset: usize,
    },
    /// The head (a request's, or the answer to a client's GET) did not
    /// end within the bound.
    #[error("HTTP head longer than {max} bytes")]
    HeadTooLarge {
        /// The bound.
        max: usize,
    },
    /// The `x-sessioncookie` is empty, too long, not printable ASCII, or
    /// given twice with different values.
    #[error("x-sessioncookie: {what}")]
    BadCookie {
        /// What is wrong.
        what: &'static str,
    },
    /// The server answered a client's GET with another status than 200.
    #[error("the server answered the tunnel's GET with HTTP status {status}")]
    AnswerRefused {
        /// The status.
        status: u16,
    },
    /// The server answered a client's GET with another content type than
    /// `application/x-rtsp-tunnelled`: it does not tunnel RTSP there.
    #[error("the answer to the tunnel's GET is not application/x-rtsp-tunnelled")]
    AnswerNotTunnelled,
    /// A value given to a writer would break the head (a control
    /// character, a space in the target).
    #[error("{what} cannot go into an HTTP head")]
    BadValue {
        /// Which value.
        what: &'static str,
    },
}

impl TunnelError {
    /// The HTTP status a server answers with: 431 for a head over the
    /// bound, 400 otherwise.
    #[must_use]
    pub fn status(&self) -> u16 {
        match self {
            TunnelError::HeadTooLarge { .. } => 431,
            _ => 400,
        }
    }
}

/// Which half of a tunnel a request opens.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TunnelHalf {
    /// The GET: the server's side (responses, interleaved frames).
    Get,
    /// The POST: the client's side (requests in base64).
    Post,
}

/// A request head that opens one half of a tunnel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TunnelRequest<'a> {
    /// GET or POST.
    pub half: TunnelHalf,
    /// The request target (`/vod/NAME`), as sent.
    pub target: &'a str,
    /// The `x-sessioncookie`, checked (printable ASCII, at most
    /// [`MAX_COOKIE_LEN`] bytes).
    pub cookie: &'a str,
    /// `HTTP/1.0` (`false`) or `HTTP/1.1` (`true`).
    pub http11: bool,
    /// The head's length, its blank line included: a POST's body starts
    /// there.
    pub head_len: usize,
}

/// What [`parse_request_head`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum HeadStatus<'a> {
    /// The head has not ended yet: read more.
    Incomplete,
    /// A whole head with no `x-sessioncookie`, or of another method than
    /// GET and POST: plain HTTP, for the HTTP server.
    NotTunnel {
        /// The head's length, its blank line included.
        head_len: usize,
    },
    /// One half of a tunnel.
    Tunnel(TunnelRequest<'a>),
}

/// The most header fields a head may have.
const MAX_FIELDS: usize = 64;

/// Reads the HTTP/1.x request head at the start of `buf` (at most
/// `max_head` bytes): [`HeadStatus::Incomplete`] while its blank line has
/// not come, then whether it opens a tunnel half.
///
/// A request opens a tunnel when its method is GET or POST and it has an
/// `x-sessioncookie` (the header only tunnels send); the `Accept` or
/// `Content-Type` of [`TUNNELLED`] is not required, as clients that set
/// the cookie always mean the tunnel. Lines may end in CRLF or a bare LF.
///
/// # Errors
///
/// [`TunnelError::HeadTooLarge`] when `max_head` bytes pass without the
/// head's end; [`TunnelError::InvalidHead`] for a request line or header
/// field that breaks HTTP's syntax, or more than 64 fields;
/// [`TunnelError::BadCookie`] for a cookie that cannot be taken.
pub fn parse_request_head(buf: &[u8], max_head: usize) -> Result<HeadStatus<'_>, TunnelError> {
    let Some(head_len) = bounded_head_end(buf, max_head)? else {
        return Ok(HeadStatus::Incomplete);
    };
    let head = buf.get(..head_len).unwrap_or_default();
    let mut lines = Lines { head, at: 0 };
    let (line_at, line) = lines.next().ok_or(TunnelError::InvalidHead {
        what: "request line",
        offset: 0,
    })?;
    let bad_line = |offset: usize| TunnelError::InvalidHead {
        what: "request line",
        offset: line_at + offset,
    };
    let mut parts = line.split(|&b| b == b' ');
    let method = parts.next().filter(|m| !m.is_empty()).ok_or(bad_line(0))?;
    let target = parts
        .next()
        .filter(|t| !t.is_empty())
        .ok_or(bad_line(method.len()))?;
    let version = parts
        .next()
        .ok_or(bad_line(method.len() + 1 + target.len()))?;
    if parts.next().is_some() || !method.iter().all(|b| is_token(*b)) {
        return Err(bad_line(0));
    }
    let http11 = match version {
        b"HTTP/1.1" => true,
        b"HTTP/1.0" => false,
        _ => return Err(bad_line(method.len() + target.len() + 2)),
    };
    let target = std::str::from_utf8(target)
        .ok()
        .filter(|t| t.bytes().all(|b| b.is_ascii_graphic()))
        .ok_or(bad_line(method.len() + 1))?;
    let mut cookie: Option<&str> = None;
    for_each_field(lines, |name, value| {
        if !name.eq_ignore_ascii_case(SESSION_COOKIE.as_bytes()) {
            return Ok(());
        }
        let value = check_cookie(value.trim_ascii())?;
        match cookie {
            Some(c) if c != value => Err(TunnelError::BadCookie {
                what: "given twice, with different values",
            }),
            _ => {
                cookie = Some(value);
                Ok(())
            }
        }
    })?;
    let half = match method {
        b"GET" => TunnelHalf::Get,
        b"POST" => TunnelHalf::Post,
        _ => return Ok(HeadStatus::NotTunnel { head_len }),
    };
    Ok(match cookie {
        None => HeadStatus::NotTunnel { head_len },
        Some(cookie) => HeadStatus::Tunnel(TunnelRequest {
            half,
            target,
            cookie,
            http11,
            head_len,
        }),
    })
}

/// The length of the head at the start of `buf` if it ended within
/// `max_head` bytes, `None` while it may still end.
///
/// # Errors
///
/// [`TunnelError::HeadTooLarge`] when `max_head` bytes passed without its
/// end.
fn bounded_head_end(buf: &[u8], max_head: usize) -> Result<Option<usize>, TunnelError> {
    let window = buf.get(..max_head.min(buf.len())).unwrap_or_default();
    match head_end(window) {
        Some(len) => Ok(Some(len)),
        None if buf.len() >= max_head => Err(TunnelError::HeadTooLarge { max: max_head }),
        None => Ok(None),
    }
}

/// The length of the head at the start of `buf` (up to and including its
/// blank line: CRLF CRLF, or bare LFs), if it ended.
fn head_end(buf: &[u8]) -> Option<usize> {
    let mut at = 0;
    while let Some(nl) = memchr::memchr(b'\n', buf.get(at..)?) {
        let end = at + nl + 1;
        // The next line is empty: "\n" or "\r\n".
        match buf.get(end..) {
            Some([b'\n', ..]) => return Some(end + 1),
            Some([b'\r', b'\n', ..]) => return Some(end + 2),
            _ => at = end,
        }
    }
    None
}

/// The lines of a head, without their line ends, with their offsets.
struct Lines<'a> {
    head: &'a [u8],
    at: usize,
}

impl<'a> Iterator for Lines<'a> {
    type Item = (usize, &'a [u8]);

    fn next(&mut self) -> Option<(usize, &'a [u8])> {
        let rest = self.head.get(self.at..)?;
        let nl = memchr::memchr(b'\n', rest)?;
        let line = rest.get(..nl)?;
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        let at = self.at;
        self.at += nl + 1;
        Some((at, line))
    }
}

/// Walks the header fields of a head after its start line (the request
/// line of a GET or POST, the status line of the GET's answer), up to the
/// blank line: at most [`MAX_FIELDS`], each `name: value` with a token
/// name, given to `each` as the name and the raw value after the colon.
fn for_each_field<'a>(
    lines: Lines<'a>,
    mut each: impl FnMut(&'a [u8], &'a [u8]) -> Result<(), TunnelError>,
) -> Result<(), TunnelError> {
    let mut fields = 0;
    for (at, line) in lines {
        if line.is_empty() {
            break;
        }
        fields += 1;
        if fields > MAX_FIELDS {
            return Err(TunnelError::InvalidHead {
                what: "header count",
                offset: at,
            });
        }
        let colon = line
            .iter()
            .position(|&b| b == b':')
            .filter(|&c| c > 0)
            .ok_or(TunnelError::InvalidHead {
                what: "header field",
                offset: at,
            })?;
        let (name, value) = line.split_at(colon);
        if !name.iter().all(|b| is_token(*b)) {
            return Err(TunnelError::InvalidHead {
                what: "header name",
                offset: at,
            });
        }
        each(name, value.get(1..).unwrap_or_default())?;
    }
    Ok(())
}

/// HTTP's `tchar` (RFC 9110, 5.6.2).
fn is_token(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

fn check_cookie(value: &[u8]) -> Result<&str, TunnelError> {
    if value.is_empty() {
        return Err(TunnelError::BadCookie { what: "empty" });
    }
    if value.len() > MAX_COOKIE_LEN {
        return Err(TunnelError::BadCookie {
            what: "longer than 128 bytes",
        });
    }
    if !value.iter().all(u8::is_ascii_graphic) {
        return Err(TunnelError::BadCookie {
            what: "not printable ASCII",
        });
    }
    std::str::from_utf8(value).map_err(|_| TunnelError::BadCookie {
        what: "not printable ASCII",
    })
}

/// Checks that `value` can stand in a head as `what`: printable ASCII and
/// spaces when `spaces`, printable ASCII only otherwise.
fn check_value<'a>(
    value: &'a str,
    what: &'static str,
    spaces: bool,
) -> Result<&'a str, TunnelError> {
    let ok = !value.is_empty()
        && value
            .bytes()
            .all(|b| b.is_ascii_graphic() || (spaces && b == b' '));
    if ok {
        Ok(value)
    } else {
        Err(TunnelError::BadValue { what })
    }
}

/// Writes the head of the server's answer to a tunnel's GET: `200 OK`,
/// `Content-Type: application/x-rtsp-tunnelled`, no length, not to be
/// cached; the body that follows is the RTSP connection's output, until
/// the server closes. HTTP/1.0, as the tunnel's servers have always
/// answered, so no proxy expects a chunked body. `server` is the
/// `Server` field (printable ASCII and spaces).
///
/// # Errors
///
/// [`TunnelError::BadValue`] when `server` has other bytes.
pub fn write_get_response(out: &mut impl BufMut, server: &str) -> Result<(), TunnelError> {
    let server = check_value(server, "server name", true)?;
    for part in [
        "HTTP/1.0 200 OK\r\nServer: ",
        server,
        "\r\nConnection: close\r\nCache-Control: no-store\r\nPragma: no-cache\r\nContent-Type: ",
        TUNNELLED,
        "\r\n\r\n",
    ] {
        out.put_slice(part.as_bytes());
    }
    Ok(())
}

/// Writes a client's GET head for `target` (`/vod/NAME`) on `host`
/// (`HOST:PORT`), tied by `cookie`.
///
/// # Errors
///
/// [`TunnelError::BadValue`] for a target or host with a space or a
/// control byte; [`TunnelError::BadCookie`] for a cookie that
/// [`parse_request_head`] would not take.
pub fn write_get_request(
    out: &mut impl BufMut,
    target: &str,
    host: &str,
    cookie: &str,
) -> Result<(), TunnelError> {
    let (target, host, cookie) = client_values(target, host, cookie)?;
    for part in [
        "GET ",
        target,
        " HTTP/1.0\r\nHost: ",
        host,
        "\r\nx-sessioncookie: ",
        cookie,
        "\r\nAccept: ",
        TUNNELLED,
        "\r\nPragma: no-cache\r\nCache-Control: no-cache\r\n\r\n",
    ] {
        out.put_slice(part.as_bytes());
    }
    Ok(())
}

/// Writes a client's POST head for `target` on `host`, tied by `cookie`;
/// the body that follows is the requests, each in [`encode_base64`].
/// It announces [`POST_CONTENT_LENGTH`], as clients do.
///
/// # Errors
///
/// As [`write_get_request`].
pub fn write_post_request(
    out: &mut impl BufMut,
    target: &str,
    host: &str,
    cookie: &str,
) -> Result<(), TunnelError> {
    let (target, host, cookie) = client_values(target, host, cookie)?;
    let length = POST_CONTENT_LENGTH.to_string();
    for part in [
        "POST ",
        target,
        " HTTP/1.0\r\nHost: ",
        host,
        "\r\nx-sessioncookie: ",
        cookie,
        "\r\nContent-Type: ",
        TUNNELLED,
        "\r\nPragma: no-cache\r\nCache-Control: no-cache\r\nContent-Length: ",
        &length,
        "\r\nExpires: Sun, 9 Jan 1972 00:00:00 GMT\r\n\r\n",
    ] {
        out.put_slice(part.as_bytes());
    }
    Ok(())
}

fn client_values<'a>(
    target: &'a str,
    host: &'a str,
    cookie: &'a str,
) -> Result<(&'a str, &'a str, &'a str), TunnelError> {
    let target = check_value(target, "request target", false)?;
    let host = check_value(host, "host", false)?;
    let cookie = check_cookie(cookie.as_bytes())?;
    Ok((target, host, cookie))
}

/// The longest answer head to a client's GET that [`ClientTunnel`] reads
/// by default.
pub const MAX_ANSWER_HEAD: usize = 16 * 1024;

/// The client's side of a tunnel: the two heads to write, the server's
/// answer to the GET, and the POST body.
///
/// The contract, in order:
///
/// 1. [`ClientTunnel::new`] with the RTSP URL's target and authority and
///    16 bytes from the caller's random source (the cookie is made of
///    them);
/// 2. open the GET connection and write [`ClientTunnel::write_get_head`];
/// 3. give what the GET connection reads to
///    [`ClientTunnel::handle_get_bytes`] until it says
///    [`GetAnswer::Open`]: its `body` (and every later read, given to
///    `handle_get_bytes` again or straight to it) is the RTSP
///    connection's input, for the client session's `handle_bytes`;
/// 4. open the POST connection and write
///    [`ClientTunnel::write_post_head`]; then each write of the session
///    (requests, interleaved RTCP) goes through
///    [`ClientTunnel::encode`] into the POST body.
///
/// The answer head is held in a buffer of at most `max_head` bytes (one
/// copy, once per tunnel); the body is never copied.
///
/// ```
/// use bytes::BytesMut;
/// use streamkit_rtsp::tunnel::{
///     parse_request_head, Base64Decoder, ClientTunnel, GetAnswer, HeadStatus,
/// };
///
/// let mut tunnel = ClientTunnel::new("/vod/a", "127.0.0.1:8080", [7; 16])?;
/// let mut get = BytesMut::new();
/// tunnel.write_get_head(&mut get);
/// let HeadStatus::Tunnel(g) = parse_request_head(&get, 16 * 1024)? else { panic!() };
/// assert_eq!(g.cookie, tunnel.cookie());
///
/// // The server's answer, and the first RTSP response in the same read.
/// let answer = b"HTTP/1.0 200 OK\r\nContent-Type: application/x-rtsp-tunnelled\r\n\r\nRTSP/1.0 200 OK\r\n";
/// let (head, rest) = answer.split_at(20);
/// assert_eq!(tunnel.handle_get_bytes(head)?, GetAnswer::Incomplete);
/// assert_eq!(tunnel.handle_get_bytes(rest)?, GetAnswer::Open { body: b"RTSP/1.0 200 OK\r\n" });
///
/// // The POST carries what the session writes, in base64.
/// let mut post = BytesMut::new();
/// tunnel.write_post_head(&mut post);
/// let head_len = post.len();
/// tunnel.encode(b"OPTIONS * RTSP/1.0\r\nCSeq: 1\r\n\r\n", &mut post);
/// let mut out = [0u8; 64];
/// let d = Base64Decoder::new().decode(&post[head_len..], &mut out)?;
/// assert_eq!(&out[..d.written], b"OPTIONS * RTSP/1.0\r\nCSeq: 1\r\n\r\n");
/// # Ok::<(), streamkit_rtsp::tunnel::TunnelError>(())
/// ```
#[derive(Debug, Clone)]
pub struct ClientTunnel {
    target: String,
    host: String,
    cookie: String,
    max_head: usize,
    state: ClientTunnelState,
}

#[derive(Debug, Clone)]
enum ClientTunnelState {
    /// The answer head so far.
    Answer(Vec<u8>),
    Open,
    Failed(TunnelError),
}

/// What [`ClientTunnel::handle_get_bytes`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum GetAnswer<'a> {
    /// The answer head has not ended: read more.
    Incomplete,
    /// The server took the GET: `body` is RTSP connection input (the
    /// part of this call's bytes after the head; all of them once open).
    Open {
        /// Bytes for the client session.
        body: &'a [u8],
    },
}

impl ClientTunnel {
    /// A tunnel to `target` (the RTSP URL's path and query, `/vod/NAME`)
    /// on `host` (`HOST:PORT`), its cookie the 32 hexadecimal digits of
    /// `random` (16 bytes from the caller's random source).
    ///
    /// # Errors
    ///
    /// [`TunnelError::BadValue`] for a target or host that cannot stand
    /// in an HTTP head (empty, a space, a control byte).
    pub fn new(target: &str, host: &str, random: [u8; 16]) -> Result<ClientTunnel, TunnelError> {
        let mut cookie = String::with_capacity(32);
        for b in random {
            for nibble in [b >> 4, b & 0xf] {
                cookie.push(char::from(b"0123456789abcdef"[usize::from(nibble)]));
            }
        }
        let (target, host, cookie) = client_values(target, host, &cookie)?;
        Ok(ClientTunnel {
            target: target.to_owned(),
            host: host.to_owned(),
            cookie: cookie.to_owned(),
            max_head: MAX_ANSWER_HEAD,
            state: ClientTunnelState::Answer(Vec::new()),
        })
    }

    /// Sets the longest answer head taken (default
    /// [`MAX_ANSWER_HEAD`]).
    #[must_use]
    pub fn with_max_head(mut self, max_head: usize) -> ClientTunnel {
        self.max_head = max_head;
        self
    }

    /// The `x-sessioncookie` that ties the two halves.
    #[must_use]
    pub fn cookie(&self) -> &str {
        &self.cookie
    }

    /// `true` once the server took the GET.
    #[must_use]
    pub fn is_open(&self) -> bool {
        matches!(self.state, ClientTunnelState::Open)
    }

    /// Writes the GET's head (see [`write_get_request`]).
    pub fn write_get_head(&self, out: &mut impl BufMut) {
        // The values were checked in `new`.
        let _ = write_get_request(out, &self.target, &self.host, &self.cookie);
    }

    /// Writes the POST's head (see [`write_post_request`]).
    pub fn write_post_head(&self, out: &mut impl BufMut) {
        let _ = write_post_request(out, &self.target, &self.host, &self.cookie);
    }

    /// Appends one write of the session (a request, an interleaved
    /// frame) to the POST body, in base64 with its own padding.
    pub fn encode(&self, session_bytes: &[u8], out: &mut impl BufMut) {
        encode_base64(session_bytes, out);
    }

    /// Reads `input`, the next bytes of the GET connection: the answer
    /// head until it ends, then the RTSP connection's output (see
    /// [`GetAnswer`]).
    ///
    /// The answer must be HTTP/1.0 or 1.1 with status 200 and, when it
    /// says its `Content-Type`, [`TUNNELLED`]. Lines may end in CRLF or a
    /// bare LF.
    ///
    /// # Errors
    ///
    /// [`TunnelError::AnswerRefused`] for another status;
    /// [`TunnelError::AnswerNotTunnelled`] for another content type;
    /// [`TunnelError::InvalidHead`] for a status line or header field
    /// that breaks HTTP's syntax, or more than 64 fields;
    /// [`TunnelError::HeadTooLarge`] when `max_head` bytes pass without
    /// the head's end. After an error every call gives it again.
    pub fn handle_get_bytes<'a>(&mut self, input: &'a [u8]) -> Result<GetAnswer<'a>, TunnelError> {
        let head = match &mut self.state {
            ClientTunnelState::Open => return Ok(GetAnswer::Open { body: input }),
            ClientTunnelState::Failed(e) => return Err(e.clone()),
            ClientTunnelState::Answer(head) => head,
        };
        let before = head.len();
        let take = input.len().min(self.max_head.saturating_sub(before));
        head.extend_from_slice(input.get(..take).unwrap_or_default());
        let head_len = match bounded_head_end(head, self.max_head) {
            Ok(Some(len)) => len,
            Ok(None) => return Ok(GetAnswer::Incomplete),
            Err(e) => return Err(self.fail(e)),
        };
        let checked = check_answer(head.get(..head_len).unwrap_or_default());
        match checked {
            Ok(()) => {
                self.state = ClientTunnelState::Open;
                let body = input
                    .get(head_len.saturating_sub(before)..)
                    .unwrap_or_default();
                Ok(GetAnswer::Open { body })
            }
            Err(e) => Err(self.fail(e)),
        }
    }

    fn fail(&mut self, e: TunnelError) -> TunnelError {
        self.state = ClientTunnelState::Failed(e.clone());
        e
    }
}

/// Checks a GET's answer head (its blank line included).
fn check_answer(head: &[u8]) -> Result<(), TunnelError> {
    let mut lines = Lines { head, at: 0 };
    let bad_line = TunnelError::InvalidHead {
        what: "status line",
        offset: 0,
    };
    let (_, line) = lines.next().ok_or(bad_line.clone())?;
    let mut parts = line.splitn(3, |&b| b == b' ');
    if !matches!(parts.next(), Some(b"HTTP/1.0" | b"HTTP/1.1")) {
        return Err(bad_line);
    }
    let status = match parts.next() {
        Some(&[a, b, c]) if [a, b, c].iter().all(u8::is_ascii_digit) => {
            u16::from(a - b'0') * 100 + u16::from(b - b'0') * 10 + u16::from(c - b'0')
        }
        _ => {
            return Err(TunnelError::InvalidHead {
                what: "status code",
                offset: 9,
            });
        }
    };
    let mut content_type_ok = true;
    for_each_field(lines, |name, value| {
        if name.eq_ignore_ascii_case(b"content-type") {
            let media = value.split(|&b| b == b';').next().unwrap_or_default();
            content_type_ok = media
                .trim_ascii()
                .eq_ignore_ascii_case(TUNNELLED.as_bytes());
        }
        Ok(())
    })?;
    if status != 200 {
        return Err(TunnelError::AnswerRefused { status });
    }
    if !content_type_ok {
        return Err(TunnelError::AnswerNotTunnelled);
    }
    Ok(())
}

/// Appends `input` in base64 (RFC 4648's alphabet, padded), as a client
/// sends one request into a POST body: streamkit-rtp's
/// [`encode_into`](streamkit_rtp::sdp::base64::encode_into).
pub fn encode_base64(input: &[u8], out: &mut impl BufMut) {
    base64::encode_into(input, out);
}

/// The value of a base64 character, or what else the byte is.
enum Class {
    Sextet(u32),
    Pad,
    Space,
    Invalid,
}

fn classify(b: u8) -> Class {
    match b {
        b'=' => Class::Pad,
        b' ' | b'\t' | b'\r' | b'\n' => Class::Space,
        _ => base64::symbol_value(b).map_or(Class::Invalid, |v| Class::Sextet(u32::from(v))),
    }
}

/// What one [`Base64Decoder::decode`] call did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[must_use]
pub struct Decoded {
    /// Bytes of the input taken; the rest is given again next time.
    pub consumed: usize,
    /// Bytes written at the start of the output.
    pub written: usize,
}

/// Decodes a tunnel's POST body as it comes, in any chunks.
///
/// The decoder holds at most three characters of an unfinished group
/// between calls, nothing else: what it decodes goes into the caller's
/// buffer, and a call stops early (consuming less) when that buffer has
/// no room for the next group's bytes. It takes padding wherever a group
/// may end (each request encoded on its own: `...Q==T1BU...`), whitespace
/// anywhere, and a group's missing padding when the next group starts;
/// the unused low bits of a padded group are ignored.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Base64Decoder {
    /// The sextets of the group so far, oldest first.
    bits: u32,
    /// How many (0 to 3).
    sextets: u8,
    /// `=` still owed by the group just ended by padding.
    pad_owed: u8,
    /// Bytes of the body seen so far (for errors).
    offset: u64,
}

impl Base64Decoder {
    /// A decoder at the start of a body.
    #[must_use]
    pub fn new() -> Base64Decoder {
        Base64Decoder::default()
    }

    /// Decodes as much of `input` as `out` has room for.
    ///
    /// It consumes nothing only when `input` is empty or `out` has less
    /// room than the next group needs (at most 3 bytes): give it an
    /// output of at least 3 bytes and loop until `input` is consumed.
    ///
    /// A call that meets a bad byte after taking others stops before it
    /// and gives what it decoded (the requests before the break are
    /// whole); the next call, starting at that byte, is the error.
    ///
    /// # Errors
    ///
    /// [`TunnelError::InvalidBase64`] at a byte that is no base64,
    /// padding or whitespace; [`TunnelError::MisplacedPadding`] at a `=`
    /// after one character of a group or beyond what a group owes, when
    /// that byte is the first of `input`. The decoder then stays before
    /// it: the body is broken.
    pub fn decode(&mut self, input: &[u8], out: &mut [u8]) -> Result<Decoded, TunnelError> {
        let mut written = 0;
        for (i, &b) in input.iter().enumerate() {
            let room = out.len().saturating_sub(written);
            let stop = Decoded {
                consumed: i,
                written,
            };
            match classify(b) {
                Class::Space => {}
                Class::Invalid if i > 0 => return Ok(stop),
                Class::Invalid => {
                    return Err(TunnelError::InvalidBase64 {
                        byte: b,
                        offset: self.offset,
                    });
                }
                Class::Sextet(v) => {
                    if self.sextets == 3 && room < 3 {
                        return Ok(Decoded {
                            consumed: i,
                            written,
                        });
                    }
                    self.pad_owed = 0;
                    self.bits = self.bits << 6 | v;
                    self.sextets += 1;
                    if self.sextets == 4 {
                        let [_, a, b, c] = self.bits.to_be_bytes();
                        put(out, &mut written, &[a, b, c]);
                        self.bits = 0;
                        self.sextets = 0;
                    }
                }
                Class::Pad => match self.sextets {
                    0 if self.pad_owed > 0 => self.pad_owed -= 1,
                    0 | 1 if i > 0 => return Ok(stop),
                    0 | 1 => {
                        return Err(TunnelError::MisplacedPadding {
                            offset: self.offset,
                        });
                    }
                    2 => {
                        if room < 1 {
                            return Ok(Decoded {
                                consumed: i,
                                written,
                            });
                        }
                        // 12 bits: one byte and 4 unused.
                        let byte = ((self.bits >> 4) & 0xff) as u8;
                        put(out, &mut written, &[byte]);
                        self.bits = 0;
                        self.sextets = 0;
                        self.pad_owed = 1;
                    }
                    _ => {
                        if room < 2 {
                            return Ok(Decoded {
                                consumed: i,
                                written,
                            });
                        }
                        // 18 bits: two bytes and 2 unused.
                        let [_, _, a, b] = (self.bits >> 2).to_be_bytes();
                        put(out, &mut written, &[a, b]);
                        self.bits = 0;
                        self.sextets = 0;
                        self.pad_owed = 0;
                    }
                },
            }
            self.offset += 1;
        }
        Ok(Decoded {
            consumed: input.len(),
            written,
        })
    }

    /// `true` when no group is unfinished: the body may end here.
    #[must_use]
    pub fn is_aligned(&self) -> bool {
        self.sextets == 0
    }

    /// Bytes of the body consumed so far.
    #[must_use]
    pub fn offset(&self) -> u64 {
        self.offset
    }
}

/// Copies `bytes` to `out` at `*written` (the caller checked the room).
fn put(out: &mut [u8], written: &mut usize, bytes: &[u8]) {
    if let Some(dest) = out.get_mut(*written..*written + bytes.len()) {
        dest.copy_from_slice(bytes);
        *written += bytes.len();
    }
}

#[cfg(test)]
mod tests;
