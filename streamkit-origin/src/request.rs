//! Requests as the origin sees them: the method, the target and the few
//! header fields an origin acts on, borrowed from the caller's request.

/// The request method (RFC 9110 section 9), as far as an origin tells
/// methods apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Method {
    /// `GET`.
    Get,
    /// `HEAD`: the head a `GET` would get, no body.
    Head,
    /// `OPTIONS`: answered by the origin itself (CORS preflight).
    Options,
    /// `POST`: passed to the site only when
    /// [`OriginConfig::accept_post`](crate::OriginConfig::accept_post)
    /// (RTMPT, MMSH and RTSP over HTTP send their commands this way).
    Post,
    /// Any other method: `405 Method Not Allowed`.
    Other,
}

impl Method {
    /// The method of a request line's token (methods are case-sensitive).
    #[must_use]
    pub fn from_token(token: &[u8]) -> Method {
        match token {
            b"GET" => Method::Get,
            b"HEAD" => Method::Head,
            b"OPTIONS" => Method::Options,
            b"POST" => Method::Post,
            _ => Method::Other,
        }
    }
}

/// A request, borrowed from the caller's request line and header fields.
///
/// The target is kept as it came (`/path?query`); the origin checks it
/// with its [`PathPolicy`](crate::PathPolicy). Of the header fields, the
/// origin acts on `Range`, `If-None-Match`, `Origin` and
/// `Access-Control-Request-Method`; hand every field to
/// [`Request::add_header`] and it keeps those (names compared without
/// case) and ignores the others. A field given twice is treated as absent
/// (`Range` is a single field; combining `If-None-Match` lines would
/// need a copy, and answering `200` instead of `304` is always correct).
///
/// ```
/// use streamkit_origin::{ByteRange, Method, Request};
///
/// let mut request = Request::new(Method::Get, "/vod/a/seg-1.m4s?x=1");
/// request.add_header("range", b"bytes=100-199");
/// request.add_header("User-Agent", b"ffmpeg");
/// assert_eq!((request.path(), request.query()), ("/vod/a/seg-1.m4s", "x=1"));
/// assert_eq!(request.range(), Some(Ok(ByteRange::FromTo { first: 100, last: 199 })));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Request<'a> {
    method: Method,
    target: &'a str,
    range: Field<'a>,
    if_none_match: Field<'a>,
    origin: Field<'a>,
    preflight_method: Field<'a>,
    body: &'a [u8],
}

/// A header field the origin keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field<'a> {
    Absent,
    Once(&'a [u8]),
    Repeated,
}

impl<'a> Field<'a> {
    fn set(&mut self, value: &'a [u8]) {
        *self = match self {
            Field::Absent => Field::Once(value),
            Field::Once(_) | Field::Repeated => Field::Repeated,
        };
    }

    fn get(self) -> Option<&'a [u8]> {
        match self {
            Field::Once(v) => Some(v),
            Field::Absent | Field::Repeated => None,
        }
    }
}

impl<'a> Request<'a> {
    /// A request for `target` (`/path[?query]`) with no header field.
    #[must_use]
    pub fn new(method: Method, target: &'a str) -> Request<'a> {
        Request {
            method,
            target,
            range: Field::Absent,
            if_none_match: Field::Absent,
            origin: Field::Absent,
            preflight_method: Field::Absent,
            body: &[],
        }
    }

    /// A `GET` of `target`.
    #[must_use]
    pub fn get(target: &'a str) -> Request<'a> {
        Request::new(Method::Get, target)
    }

    /// A `HEAD` of `target`.
    #[must_use]
    pub fn head(target: &'a str) -> Request<'a> {
        Request::new(Method::Head, target)
    }

    /// Takes one header field; see the [type documentation](Request).
    pub fn add_header(&mut self, name: &str, value: &'a [u8]) {
        let slot = if name.eq_ignore_ascii_case("range") {
            &mut self.range
        } else if name.eq_ignore_ascii_case("if-none-match") {
            &mut self.if_none_match
        } else if name.eq_ignore_ascii_case("origin") {
            &mut self.origin
        } else if name.eq_ignore_ascii_case("access-control-request-method") {
            &mut self.preflight_method
        } else {
            return;
        };
        slot.set(value);
    }

    /// The request with one more header field ([`Request::add_header`]).
    #[must_use]
    pub fn header(mut self, name: &str, value: &'a [u8]) -> Request<'a> {
        self.add_header(name, value);
        self
    }

    /// The request with a body (a `POST`'s; the caller reads it, within
    /// its own bound).
    #[must_use]
    pub fn with_body(mut self, body: &'a [u8]) -> Request<'a> {
        self.body = body;
        self
    }

    /// The method.
    #[must_use]
    pub fn method(&self) -> Method {
        self.method
    }

    /// The target as it came.
    #[must_use]
    pub fn target(&self) -> &'a str {
        self.target
    }

    /// The target's path (up to the first `?`), not checked yet.
    #[must_use]
    pub fn path(&self) -> &'a str {
        self.target.split_once('?').map_or(self.target, |(p, _)| p)
    }

    /// The target's query, without `?` (empty when none), not checked yet.
    #[must_use]
    pub fn query(&self) -> &'a str {
        self.target.split_once('?').map_or("", |(_, q)| q)
    }

    /// The `Range` field, parsed: `None` when absent (or repeated).
    #[must_use]
    pub fn range(&self) -> Option<Result<ByteRange, RangeError>> {
        match self.range {
            Field::Absent => None,
            Field::Once(v) => Some(ByteRange::parse(v)),
            Field::Repeated => Some(Err(RangeError::Repeated)),
        }
    }

    /// The raw `Range` field, if given once.
    #[must_use]
    pub fn range_field(&self) -> Option<&'a [u8]> {
        self.range.get()
    }

    /// The `If-None-Match` field, if given once.
    #[must_use]
    pub fn if_none_match(&self) -> Option<&'a [u8]> {
        self.if_none_match.get()
    }

    /// The `Origin` field (CORS), if given once.
    #[must_use]
    pub fn origin(&self) -> Option<&'a [u8]> {
        self.origin.get()
    }

    /// The `Access-Control-Request-Method` field of a CORS preflight, if
    /// given once.
    #[must_use]
    pub fn preflight_method(&self) -> Option<&'a [u8]> {
        self.preflight_method.get()
    }

    /// The body (empty unless [`Request::with_body`]).
    #[must_use]
    pub fn body(&self) -> &'a [u8] {
        self.body
    }
}

/// One byte range of a `Range: bytes=...` field (RFC 9110 section 14.1.2).
/// Positions are inclusive; numbers too large for a `u64` saturate (a
/// first position that large is past any body: `416`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ByteRange {
    /// `bytes=first-last`.
    FromTo {
        /// The first byte.
        first: u64,
        /// The last byte (clamped to the body).
        last: u64,
    },
    /// `bytes=first-`: from `first` to the end.
    From {
        /// The first byte.
        first: u64,
    },
    /// `bytes=-length`: the last `length` bytes.
    Suffix {
        /// How many bytes at the end.
        length: u64,
    },
}

/// Why a `Range` field is not one byte range. The origin ignores such a
/// field and answers `200` with the whole body, as RFC 9110 section 14.2
/// allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RangeError {
    /// The range unit is not `bytes`.
    #[error("range unit is not bytes")]
    NotBytes,
    /// More than one range (`bytes=0-1,5-9`): not served.
    #[error("more than one range")]
    MultipleRanges,
    /// Not a range where one was expected.
    #[error("malformed byte range at offset {offset}")]
    Malformed {
        /// Where, in the field value.
        offset: usize,
    },
    /// `first-last` with `last` before `first`.
    #[error("byte range {first}-{last} ends before it starts")]
    Reversed {
        /// The first position.
        first: u64,
        /// The last position.
        last: u64,
    },
    /// The field came more than once.
    #[error("Range field given more than once")]
    Repeated,
}

/// Reads decimal digits from `value[at..]`: the number (saturated) and the
/// offset after it; `None` without a digit.
fn digits(value: &[u8], at: usize) -> Option<(u64, usize)> {
    let mut n: u64 = 0;
    let mut end = at;
    while let Some(d) = value.get(end).filter(|b| b.is_ascii_digit()) {
        n = n.saturating_mul(10).saturating_add(u64::from(d - b'0'));
        end += 1;
    }
    (end > at).then_some((n, end))
}

fn is_ows(b: u8) -> bool {
    b == b' ' || b == b'\t'
}

impl ByteRange {
    /// Parses a `Range` field value holding one byte range. Empty list
    /// elements (`bytes=0-9,`) are skipped, as list syntax allows.
    ///
    /// ```
    /// use streamkit_origin::{ByteRange, RangeError};
    ///
    /// assert_eq!(ByteRange::parse(b"bytes=-500"), Ok(ByteRange::Suffix { length: 500 }));
    /// assert_eq!(ByteRange::parse(b"bytes=9500-"), Ok(ByteRange::From { first: 9500 }));
    /// assert_eq!(ByteRange::parse(b"bytes=0-0,-1"), Err(RangeError::MultipleRanges));
    /// assert_eq!(ByteRange::parse(b"bytes=5-"), ByteRange::parse(b"BYTES = 5- "));
    /// ```
    pub fn parse(value: &[u8]) -> Result<ByteRange, RangeError> {
        let mut i = 0;
        let skip_ows = |mut i: usize| {
            while value.get(i).copied().is_some_and(is_ows) {
                i += 1;
            }
            i
        };
        i = skip_ows(i);
        let unit = value.get(i..i + 5).ok_or(RangeError::NotBytes)?;
        if !unit.eq_ignore_ascii_case(b"bytes") {
            return Err(RangeError::NotBytes);
        }
        i = skip_ows(i + 5);
        if value.get(i) != Some(&b'=') {
            return Err(RangeError::NotBytes);
        }
        i += 1;
        let mut found: Option<ByteRange> = None;
        loop {
            i = skip_ows(i);
            match value.get(i) {
                None => break,
                Some(b',') => {
                    i += 1;
                    continue;
                }
                Some(_) => {}
            }
            if found.is_some() {
                return Err(RangeError::MultipleRanges);
            }
            let (range, end) = Self::parse_spec(value, i)?;
            found = Some(range);
            i = skip_ows(end);
            match value.get(i) {
                None => break,
                Some(b',') => i += 1,
                Some(_) => return Err(RangeError::Malformed { offset: i }),
            }
        }
        found.ok_or(RangeError::Malformed { offset: i })
    }

    /// One `range-spec` at `value[at..]`: the range and the offset after it.
    fn parse_spec(value: &[u8], at: usize) -> Result<(ByteRange, usize), RangeError> {
        if value.get(at) == Some(&b'-') {
            let (length, end) =
                digits(value, at + 1).ok_or(RangeError::Malformed { offset: at + 1 })?;
            return Ok((ByteRange::Suffix { length }, end));
        }
        let (first, end) = digits(value, at).ok_or(RangeError::Malformed { offset: at })?;
        if value.get(end) != Some(&b'-') {
            return Err(RangeError::Malformed { offset: end });
        }
        match digits(value, end + 1) {
            None => Ok((ByteRange::From { first }, end + 1)),
            Some((last, _)) if last < first => Err(RangeError::Reversed { first, last }),
            Some((last, end)) => Ok((ByteRange::FromTo { first, last }, end)),
        }
    }

    /// The inclusive `(first, last)` positions of this range in a body of
    /// `len` bytes; `None` when it is not satisfiable (RFC 9110 section
    /// 14.1.1: a first position at or past the end, a suffix of length 0,
    /// or an empty body).
    ///
    /// ```
    /// use streamkit_origin::ByteRange;
    ///
    /// assert_eq!(ByteRange::FromTo { first: 5, last: 99 }.resolve(10), Some((5, 9)));
    /// assert_eq!(ByteRange::Suffix { length: 99 }.resolve(10), Some((0, 9)));
    /// assert_eq!(ByteRange::From { first: 10 }.resolve(10), None);
    /// ```
    #[must_use]
    pub fn resolve(self, len: u64) -> Option<(u64, u64)> {
        let end = len.checked_sub(1)?;
        match self {
            ByteRange::FromTo { first, last } => (first <= end).then(|| (first, last.min(end))),
            ByteRange::From { first } => (first <= end).then_some((first, end)),
            ByteRange::Suffix { length } => (length > 0).then(|| (len.saturating_sub(length), end)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{ByteRange, Method, RangeError, Request};

    #[test]
    fn byte_range_forms() {
        let ok = [
            (
                &b"bytes=0-499"[..],
                ByteRange::FromTo {
                    first: 0,
                    last: 499,
                },
            ),
            (
                b"bytes=500-999",
                ByteRange::FromTo {
                    first: 500,
                    last: 999,
                },
            ),
            (b"bytes=-500", ByteRange::Suffix { length: 500 }),
            (b"bytes=9500-", ByteRange::From { first: 9500 }),
            (b"bytes=0-0", ByteRange::FromTo { first: 0, last: 0 }),
            (b" bytes=1-2 ", ByteRange::FromTo { first: 1, last: 2 }),
            (b"bytes=1-2,", ByteRange::FromTo { first: 1, last: 2 }),
            (b"bytes=, 1-2", ByteRange::FromTo { first: 1, last: 2 }),
            (
                b"bytes=99999999999999999999999-",
                ByteRange::From { first: u64::MAX },
            ),
        ];
        for (value, range) in ok {
            assert_eq!(ByteRange::parse(value), Ok(range), "{value:?}");
        }
        let refused = [
            (&b""[..], RangeError::NotBytes),
            (b"items=0-1", RangeError::NotBytes),
            (b"bytes 0-1", RangeError::NotBytes),
            (b"bytes=0-1,2-3", RangeError::MultipleRanges),
            (b"bytes=0-1, -3", RangeError::MultipleRanges),
            (b"bytes=", RangeError::Malformed { offset: 6 }),
            (b"bytes=-", RangeError::Malformed { offset: 7 }),
            (b"bytes=a-1", RangeError::Malformed { offset: 6 }),
            (b"bytes=1", RangeError::Malformed { offset: 7 }),
            (b"bytes=1-2x", RangeError::Malformed { offset: 9 }),
            (b"bytes=5-4", RangeError::Reversed { first: 5, last: 4 }),
        ];
        for (value, error) in refused {
            assert_eq!(ByteRange::parse(value), Err(error), "{value:?}");
        }
    }

    #[test]
    fn resolution_follows_rfc_9110() {
        assert_eq!(
            ByteRange::FromTo { first: 0, last: 0 }.resolve(1),
            Some((0, 0))
        );
        assert_eq!(ByteRange::FromTo { first: 1, last: 5 }.resolve(1), None);
        assert_eq!(ByteRange::Suffix { length: 0 }.resolve(10), None);
        assert_eq!(ByteRange::Suffix { length: 3 }.resolve(10), Some((7, 9)));
        assert_eq!(ByteRange::From { first: 0 }.resolve(0), None);
        assert_eq!(ByteRange::Suffix { length: 3 }.resolve(0), None);
        assert_eq!(ByteRange::From { first: u64::MAX }.resolve(u64::MAX), None);
    }

    #[test]
    fn header_fields_kept_and_repeated() {
        let r = Request::get("/a?b")
            .header("If-None-Match", b"\"x\"")
            .header("ORIGIN", b"https://player.example")
            .header("Accept", b"*/*")
            .header("range", b"bytes=0-1")
            .header("Range", b"bytes=2-3");
        assert_eq!(r.if_none_match(), Some(&b"\"x\""[..]));
        assert_eq!(r.origin(), Some(&b"https://player.example"[..]));
        assert_eq!(r.range(), Some(Err(RangeError::Repeated)));
        assert_eq!(r.range_field(), None);
        assert_eq!(Request::get("/").range(), None);
        assert_eq!(Method::from_token(b"get"), Method::Other);
        assert_eq!(Method::from_token(b"OPTIONS"), Method::Options);
    }
}
