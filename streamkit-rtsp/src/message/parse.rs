//! The message parser: nom's streaming combinators over a head once its
//! end (an empty line) has arrived, `Content-Length` bodies, `$` frames.
//!
//! The reader looks for the end of a head only in bytes it has not
//! scanned yet, so a head that arrives a byte at a time costs linear time,
//! and it parses the head once. Line ends are CRLF or, leniently, LF;
//! empty lines between messages are skipped.

use std::sync::LazyLock;

use bytes::{Buf, Bytes, BytesMut};
use memchr::memmem::Finder;
use nom::bytes::streaming::{tag, take_till, take_while, take_while1};
use nom::number::streaming::{be_u16, u8 as byte};
use nom::{IResult, Parser};

use super::{Field, Frame, FrameRef, Headers, Message, Method, Request, Response, Version};
use crate::error::ParseError;

/// The bounds of a [`MessageReader`] and of [`parse_frame`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct ReaderConfig {
    /// The longest head (start line and headers), bytes.
    pub max_head: usize,
    /// The longest body, bytes.
    pub max_body: usize,
    /// The most header fields.
    pub max_headers: usize,
}

impl Default for ReaderConfig {
    /// 64 KiB heads, 1 MiB bodies, 128 header fields: far above what a
    /// camera or player sends (an SDP is a few KiB).
    fn default() -> ReaderConfig {
        ReaderConfig {
            max_head: 64 * 1024,
            max_body: 1024 * 1024,
            max_headers: 128,
        }
    }
}

/// What [`parse_frame`] found at the start of its input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Parsed {
    /// A whole frame, and how many input bytes it took (empty lines
    /// before it included).
    Complete {
        /// The frame.
        frame: Frame,
        /// Bytes consumed.
        consumed: usize,
    },
    /// More bytes are needed: at least `needed` more when known.
    Incomplete {
        /// The known minimum of bytes still missing.
        needed: Option<usize>,
    },
}

type In<'a> = &'a [u8];

/// RFC 2326's `token` characters: graphic ASCII but the separators.
static TOKEN: [bool; 256] = {
    let mut table = [false; 256];
    let mut c = 0;
    while c < 256 {
        let b = c as u8;
        table[c] = b.is_ascii_graphic()
            && !matches!(
                b,
                b'(' | b')'
                    | b'<'
                    | b'>'
                    | b'@'
                    | b','
                    | b';'
                    | b':'
                    | b'\\'
                    | b'"'
                    | b'/'
                    | b'['
                    | b']'
                    | b'?'
                    | b'='
                    | b'{'
                    | b'}'
            );
        c += 1;
    }
    table
};

fn is_token(c: u8) -> bool {
    TOKEN[usize::from(c)]
}

fn is_eol(c: u8) -> bool {
    c == b'\r' || c == b'\n'
}

/// CRLF or LF.
fn eol(i: In<'_>) -> IResult<In<'_>, ()> {
    let (i, _) = nom::branch::alt((tag(&b"\r\n"[..]), tag(&b"\n"[..]))).parse(i)?;
    Ok((i, ()))
}

fn spaces(i: In<'_>) -> IResult<In<'_>, In<'_>> {
    take_while(|c| c == b' ' || c == b'\t').parse(i)
}

fn version(i: In<'_>) -> IResult<In<'_>, Version> {
    let (i, _) = tag(&b"RTSP/"[..]).parse(i)?;
    let (i, major) = byte(i)?;
    let (i, _) = tag(&b"."[..]).parse(i)?;
    let (i, minor) = byte(i)?;
    let digits = (major.is_ascii_digit() && minor.is_ascii_digit())
        .then(|| Version::from_digits(major - b'0', minor - b'0'))
        .flatten();
    match digits {
        Some(v) => Ok((i, v)),
        None => Err(nom::Err::Error(nom::error::Error::new(
            i,
            nom::error::ErrorKind::Tag,
        ))),
    }
}

enum StartLine<'a> {
    Request(Method, &'a str, Version),
    Status(Version, u16, &'a str),
}

fn request_line(i: In<'_>) -> IResult<In<'_>, StartLine<'_>> {
    let (i, method) = take_while1(is_token).parse(i)?;
    let (i, _) = take_while1(|c| c == b' ').parse(i)?;
    let (i, uri) = take_while1(|c: u8| c.is_ascii_graphic()).parse(i)?;
    let (i, _) = take_while1(|c| c == b' ').parse(i)?;
    let (i, version) = version(i)?;
    let (i, _) = spaces(i)?;
    let (i, _) = eol(i)?;
    // Tokens and graphic characters are ASCII.
    let method = std::str::from_utf8(method).unwrap_or_default();
    let uri = std::str::from_utf8(uri).unwrap_or_default();
    Ok((
        i,
        StartLine::Request(Method::from_token(method), uri, version),
    ))
}

fn status_line(i: In<'_>) -> IResult<In<'_>, StartLine<'_>> {
    let (i, version) = version(i)?;
    let (i, _) = take_while1(|c| c == b' ').parse(i)?;
    let (i, code) = take_while1(|c: u8| c.is_ascii_digit()).parse(i)?;
    let (i, reason) = take_till(is_eol).parse(i)?;
    let (i, _) = eol(i)?;
    let status = std::str::from_utf8(code)
        .ok()
        .filter(|c| c.len() == 3)
        .and_then(|c| c.parse::<u16>().ok())
        .ok_or(nom::Err::Error(nom::error::Error::new(
            code,
            nom::error::ErrorKind::Digit,
        )))?;
    let reason = std::str::from_utf8(reason)
        .map_err(|_| nom::Err::Error(nom::error::Error::new(reason, nom::error::ErrorKind::Char)))?
        .trim_matches([' ', '\t']);
    Ok((i, StartLine::Status(version, status, reason)))
}

/// One header line: the name and the raw value (spaces around trimmed
/// by the caller).
fn header_line(i: In<'_>) -> IResult<In<'_>, (In<'_>, In<'_>)> {
    let (i, name) = take_while1(is_token).parse(i)?;
    let (i, _) = spaces(i)?;
    let (i, _) = tag(&b":"[..]).parse(i)?;
    let (i, value) = take_till(is_eol).parse(i)?;
    let (i, _) = eol(i)?;
    Ok((i, (name, value)))
}

/// A continuation line (starts with a space or tab).
fn continuation(i: In<'_>) -> IResult<In<'_>, In<'_>> {
    let (i, _) = take_while1(|c| c == b' ' || c == b'\t').parse(i)?;
    let (i, value) = take_till(is_eol).parse(i)?;
    let (i, _) = eol(i)?;
    Ok((i, value))
}

/// The offset of `part` (a subslice) in `whole`.
fn offset_in(whole: &[u8], part: &[u8]) -> usize {
    (part.as_ptr() as usize).saturating_sub(whole.as_ptr() as usize)
}

fn invalid(what: &'static str, offset: usize) -> ParseError {
    ParseError::Invalid { what, offset }
}

/// The offset where a nom error stopped in `head`.
fn error_offset(head: &[u8], e: &nom::Err<nom::error::Error<In<'_>>>) -> usize {
    match e {
        nom::Err::Error(e) | nom::Err::Failure(e) => offset_in(head, e.input),
        nom::Err::Incomplete(_) => head.len(),
    }
}

/// The trimmed range of `value` in `head`.
fn trimmed(head: &[u8], value: &[u8]) -> std::ops::Range<u32> {
    let start = offset_in(head, value);
    let lead = value
        .iter()
        .take_while(|c| **c == b' ' || **c == b'\t')
        .count();
    let rest = value.get(lead..).unwrap_or_default();
    let trail = rest
        .iter()
        .rev()
        .take_while(|c| **c == b' ' || **c == b'\t')
        .count();
    let s = start + lead;
    let e = start + value.len() - trail;
    s as u32..e.max(s) as u32
}

/// A parsed head: the start line and fields as ranges of the head.
struct Head {
    start: StartOwned,
    fields: Vec<Field>,
    content_length: usize,
}

enum StartOwned {
    Request(Method, String, Version),
    Status(Version, u16, String),
}

/// The header fields a head's first allocation holds.
const FIELDS: usize = 16;

/// Parses a head that ends at `head.len()` (its empty line included).
fn parse_head(head: &[u8], config: &ReaderConfig) -> Result<Head, ParseError> {
    let (mut i, start) = if head.starts_with(b"RTSP/") {
        status_line(head).map_err(|e| invalid("status line", error_offset(head, &e)))?
    } else {
        request_line(head).map_err(|e| invalid("request line", error_offset(head, &e)))?
    };
    let start = match start {
        StartLine::Request(m, u, v) => StartOwned::Request(m, u.to_owned(), v),
        StartLine::Status(v, s, r) => StartOwned::Status(v, s, r.to_owned()),
    };
    // One allocation for the fields of all but unusual heads.
    let mut fields: Vec<Field> = Vec::with_capacity(FIELDS.min(config.max_headers));
    let mut content_length = None;
    loop {
        // The line's first byte says which parser it is for.
        let first = i.first().copied();
        if matches!(first, Some(b'\r' | b'\n'))
            && let Ok((rest, ())) = eol(i)
        {
            if !rest.is_empty() {
                return Err(invalid("end of head", offset_in(head, rest)));
            }
            break;
        }
        if matches!(first, Some(b' ' | b'\t'))
            && let Ok((rest, value)) = continuation(i)
        {
            let Some(last) = fields.last_mut() else {
                return Err(invalid("header name", offset_in(head, i)));
            };
            let r = trimmed(head, value);
            if r.end > r.start {
                last.value.end = r.end;
            }
            i = rest;
            continue;
        }
        let (rest, (name, value)) =
            header_line(i).map_err(|e| invalid("header line", error_offset(head, &e)))?;
        if !value.is_ascii() && std::str::from_utf8(value).is_err() {
            return Err(invalid("header value (not UTF-8)", offset_in(head, value)));
        }
        if fields.len() >= config.max_headers {
            return Err(ParseError::TooManyHeaders {
                max: config.max_headers,
            });
        }
        let value_range = trimmed(head, value);
        if name.eq_ignore_ascii_case(b"content-length") {
            let text = head
                .get(value_range.start as usize..value_range.end as usize)
                .and_then(|v| std::str::from_utf8(v).ok())
                .unwrap_or_default();
            let length: u64 = text
                .parse()
                .map_err(|_| invalid("Content-Length", value_range.start as usize))?;
            if length > config.max_body as u64 {
                return Err(ParseError::BodyTooLarge {
                    length,
                    max: config.max_body,
                });
            }
            content_length = Some(length as usize);
        }
        let n = offset_in(head, name);
        fields.push(Field {
            name: n as u32..(n + name.len()) as u32,
            value: value_range,
        });
        i = rest;
    }
    Ok(Head {
        start,
        fields,
        content_length: content_length.unwrap_or(0),
    })
}

/// Where the head that starts `buf` ends (after its empty line), looking
/// from `from` on.
fn head_end(buf: &[u8], from: usize) -> Option<usize> {
    // The first line end followed by an empty line: LF then CRLF (the
    // usual), or LF then LF, whichever comes first; each found a vector
    // at a time.
    static CRLF: LazyLock<Finder<'static>> = LazyLock::new(|| Finder::new(b"\n\r\n"));
    static LF: LazyLock<Finder<'static>> = LazyLock::new(|| Finder::new(b"\n\n"));
    let rest = buf.get(from..)?;
    let crlf = CRLF.find(rest);
    let before = crlf.map_or(rest, |p| rest.get(..p + 1).unwrap_or_default());
    match (LF.find(before), crlf) {
        (Some(p), _) => Some(from + p + 2),
        (None, Some(p)) => Some(from + p + 3),
        (None, None) => None,
    }
}

/// Empty-line bytes before a message.
fn leading_blank(buf: &[u8]) -> usize {
    buf.iter().take_while(|c| is_eol(**c)).count()
}

/// The interleaved frame at the start of `buf`: `(channel, length)`, or
/// how many bytes are missing.
fn interleaved_header(buf: &[u8]) -> Result<(u8, usize), usize> {
    let parsed: IResult<In<'_>, (In<'_>, u8, u16)> = (tag(&b"$"[..]), byte, be_u16).parse(buf);
    match parsed {
        Ok((_, (_, channel, length))) => Ok((channel, usize::from(length))),
        Err(_) => Err(4 - buf.len().min(4)),
    }
}

/// Parses the frame at the start of `input` once: complete (with the
/// bytes it took), incomplete, or invalid. The frame's header text and
/// body are slices of `input`.
///
/// # Errors
///
/// As [`MessageReader::poll_frame`].
pub fn parse_frame(input: &Bytes, config: &ReaderConfig) -> Result<Parsed, ParseError> {
    let blank = leading_blank(input);
    match frame_at(input.get(blank..).unwrap_or_default(), 0, config)? {
        Step::Frame(len, head) => Ok(Parsed::Complete {
            frame: build_frame(input.slice(blank..blank + len), head),
            consumed: blank + len,
        }),
        Step::Need(needed, _) => Ok(Parsed::Incomplete { needed }),
    }
}

/// What the bytes at the start of a buffer hold.
enum Step {
    /// A whole frame of this many bytes, and its head once parsed (a
    /// message's: an interleaved frame has none), so it is parsed once.
    Frame(usize, Option<(usize, Head)>),
    /// Not yet: at least this many more bytes when known, and how far the
    /// end of a head was looked for.
    Need(Option<usize>, usize),
}

fn frame_at(buf: &[u8], scanned: usize, config: &ReaderConfig) -> Result<Step, ParseError> {
    if buf.first() == Some(&b'$') {
        return Ok(match interleaved_header(buf) {
            Ok((_, length)) if buf.len() >= 4 + length => Step::Frame(4 + length, None),
            Ok((_, length)) => Step::Need(Some(4 + length - buf.len()), 0),
            Err(missing) => Step::Need(Some(missing), 0),
        });
    }
    let Some(end) = head_end(buf, scanned.saturating_sub(2)) else {
        if buf.len() > config.max_head {
            return Err(ParseError::HeadTooLarge {
                max: config.max_head,
            });
        }
        return Ok(Step::Need(None, buf.len()));
    };
    if end > config.max_head {
        return Err(ParseError::HeadTooLarge {
            max: config.max_head,
        });
    }
    let head = parse_head(buf.get(..end).unwrap_or_default(), config)?;
    let total = end + head.content_length;
    Ok(if buf.len() >= total {
        Step::Frame(total, Some((end, head)))
    } else {
        Step::Need(Some(total - buf.len()), end.max(1))
    })
}

/// The frame of `bytes` (exactly one frame, checked by `frame_at`, with
/// the head it parsed and where that ends).
fn build_frame(bytes: Bytes, head: Option<(usize, Head)>) -> Frame {
    let Some((end, head)) = head else {
        let channel = bytes.get(1).copied().unwrap_or(0);
        return Frame::Interleaved {
            channel,
            data: bytes.slice(4.min(bytes.len())..),
        };
    };
    let mut body = bytes;
    let text = body.split_to(end.min(body.len()));
    let headers = Headers::from_parts(text, head.fields);
    Frame::Message(match head.start {
        StartOwned::Request(method, uri, version) => Message::Request(Request {
            method,
            uri,
            version,
            headers,
            body,
        }),
        StartOwned::Status(version, status, reason) => Message::Response(Response {
            version,
            status,
            reason,
            headers,
            body,
        }),
    })
}

/// How much room [`MessageReader::push`] makes at once.
const RESERVE: usize = 16 * 1024;

/// An incremental reader of one TCP stream's frames: requests,
/// responses and interleaved data, in any chunking.
///
/// Call order: [`push`](MessageReader::push) the bytes read, then
/// [`poll_frame`](MessageReader::poll_frame) until `Ok(None)`. An error is
/// final (the stream cannot be resynchronized): answer it with its
/// [`status`](ParseError::status) and close. Memory is bounded by the
/// configuration as long as every push is followed by polling.
///
/// [`poll_frame_ref`](MessageReader::poll_frame_ref) is the same reader
/// lending interleaved payloads instead of handing out `Bytes`: for a
/// caller that parses or copies each payload at once, it saves the two
/// atomic reference-count operations of a shared `Bytes` per frame,
/// which are most of the cost for small RTP packets. The two may be
/// mixed.
#[derive(Debug)]
pub struct MessageReader {
    config: ReaderConfig,
    buf: BytesMut,
    /// Bytes at the front of `buf` lent out by the last
    /// [`poll_frame_ref`](MessageReader::poll_frame_ref), dropped at the
    /// next call.
    lent: usize,
    /// An interleaved frame that came out of the general path (after
    /// blank lines), held while `poll_frame_ref` lends it.
    held: Bytes,
    /// How far the end of the current head was looked for.
    scanned: usize,
    /// The whole frame's length once its head was parsed.
    known_total: Option<usize>,
    failed: Option<ParseError>,
}

impl MessageReader {
    /// An empty reader with these bounds.
    #[must_use]
    pub fn new(config: ReaderConfig) -> MessageReader {
        MessageReader {
            config,
            buf: BytesMut::new(),
            lent: 0,
            held: Bytes::new(),
            scanned: 0,
            known_total: None,
            failed: None,
        }
    }

    /// Appends bytes read from the stream.
    #[inline]
    pub fn push(&mut self, bytes: &[u8]) {
        self.release();
        if self.buf.capacity() - self.buf.len() < bytes.len() {
            self.make_room(bytes.len());
        }
        self.buf.extend_from_slice(bytes);
    }

    /// Room for `more` bytes, in steps that double up to 16 KiB: the
    /// partial frame a read ends with moves to the front of the buffer
    /// once per step, not once per read.
    fn make_room(&mut self, more: usize) {
        let step = RESERVE.min(2 * self.buf.capacity());
        self.buf.reserve(more.max(step));
    }

    /// Bytes held, not yet part of a polled frame.
    #[must_use]
    pub fn buffered(&self) -> usize {
        self.buf.len() - self.lent
    }

    /// Drops what the last [`poll_frame_ref`](MessageReader::poll_frame_ref)
    /// lent.
    #[inline(always)]
    fn release(&mut self) {
        if self.lent > 0 {
            self.buf.advance(self.lent);
            self.lent = 0;
        }
    }

    /// The next whole frame, `Ok(None)` when more bytes are needed.
    ///
    /// # Errors
    ///
    /// [`ParseError::Invalid`] with the byte offset in the message,
    /// [`ParseError::HeadTooLarge`], [`ParseError::BodyTooLarge`],
    /// [`ParseError::TooManyHeaders`]. Once an error was returned every
    /// later call returns it again.
    #[inline(always)]
    pub fn poll_frame(&mut self) -> Result<Option<Frame>, ParseError> {
        self.release();
        // Interleaved data, the bulk of a playing stream: its four header
        // bytes read in place and the frame split off whole as the one
        // handle it is given in, its header then stepped over in that
        // handle (a `$` starts the buffer only between frames). Inlined
        // into the caller's read loop; messages and the rest are not.
        if let Some((channel, total)) = self.interleaved_front() {
            if self.buf.len() < total {
                return Ok(None);
            }
            let mut data = self.buf.split_to(total).freeze();
            data.advance(4);
            return Ok(Some(Frame::Interleaved { channel, data }));
        }
        self.poll_other()
    }

    /// The next whole frame, its interleaved payload lent from the
    /// reader's buffer until the next call on the reader (`Ok(None)` when
    /// more bytes are needed). Messages come out owned, as from
    /// [`poll_frame`](MessageReader::poll_frame).
    ///
    /// ```
    /// use streamkit_rtsp::message::{FrameRef, MessageReader, ReaderConfig};
    ///
    /// let mut reader = MessageReader::new(ReaderConfig::default());
    /// reader.push(b"$\x01\x00\x03abc$\x00\x00\x01z");
    /// let mut seen = Vec::new();
    /// while let Some(frame) = reader.poll_frame_ref()? {
    ///     if let FrameRef::Interleaved { channel, data } = frame {
    ///         seen.push((channel, data.to_vec()));
    ///     }
    /// }
    /// assert_eq!(seen, [(1, b"abc".to_vec()), (0, b"z".to_vec())]);
    /// assert_eq!(reader.buffered(), 0);
    /// # Ok::<(), streamkit_rtsp::error::ParseError>(())
    /// ```
    ///
    /// # Errors
    ///
    /// As [`poll_frame`](MessageReader::poll_frame).
    #[inline(always)]
    pub fn poll_frame_ref(&mut self) -> Result<Option<FrameRef<'_>>, ParseError> {
        self.release();
        if let Some((channel, total)) = self.interleaved_front() {
            if self.buf.len() < total {
                return Ok(None);
            }
            self.lent = total;
            let data = self.buf.get(4..total).unwrap_or_default();
            return Ok(Some(FrameRef::Interleaved { channel, data }));
        }
        Ok(match self.poll_other()? {
            None => None,
            Some(Frame::Message(message)) => Some(FrameRef::Message(message)),
            Some(Frame::Interleaved { channel, data }) => {
                self.held = data;
                Some(FrameRef::Interleaved {
                    channel,
                    data: &self.held,
                })
            }
        })
    }

    /// The channel and whole length (its header's four bytes included) of
    /// the interleaved frame that starts the buffer, when one does and the
    /// stream has not failed.
    #[inline(always)]
    fn interleaved_front(&self) -> Option<(u8, usize)> {
        if self.failed.is_some() {
            return None;
        }
        let &[b'$', channel, high, low, ..] = &self.buf[..] else {
            return None;
        };
        Some((channel, 4 + usize::from(u16::from_be_bytes([high, low]))))
    }

    /// [`poll_frame`](MessageReader::poll_frame) past its fast path: the
    /// error again, a message, or fewer than an interleaved header's four
    /// bytes.
    fn poll_other(&mut self) -> Result<Option<Frame>, ParseError> {
        // What the last `poll_frame_ref` lent from here is no longer
        // borrowed.
        self.held = Bytes::new();
        if let Some(e) = &self.failed {
            return Err(e.clone());
        }
        let blank = leading_blank(&self.buf);
        if blank > 0 {
            self.buf.advance(blank);
            self.scanned = self.scanned.saturating_sub(blank);
        }
        if self.known_total.is_some_and(|total| self.buf.len() < total) {
            return Ok(None);
        }
        let step = frame_at(&self.buf, self.scanned, &self.config);
        match step {
            Ok(Step::Frame(len, head)) => {
                self.scanned = 0;
                self.known_total = None;
                let bytes = self.buf.split_to(len).freeze();
                Ok(Some(build_frame(bytes, head)))
            }
            Ok(Step::Need(needed, scanned)) => {
                self.scanned = scanned;
                if let Some(n) = needed
                    && self.buf.first() != Some(&b'$')
                {
                    // The head is whole: only the body is missing.
                    self.known_total = Some(self.buf.len() + n);
                    self.scanned = 0;
                }
                Ok(None)
            }
            Err(e) => {
                self.failed = Some(e.clone());
                Err(e)
            }
        }
    }
}
