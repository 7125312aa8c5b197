//! [`Response`]: everything a server needs to write a response's head, as
//! typed fields, listed as header field pairs by
//! [`Response::head_fields`]; and its [`Body`].

use std::borrow::Cow;
use std::fmt;

use streamkit_core::buffer::BufferList;

use crate::cache::CacheControl;
use crate::etag::EntityTag;
use crate::field::FieldValue;

/// The body of a [`Response`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Body {
    /// The whole body, sent with a `Content-Length`: write the buffers in
    /// order (vectored, or one body frame each). Shared [`bytes::Bytes`],
    /// never copied by the origin.
    Full(BufferList),
    /// A body of unknown length, sent as it is made (HTTP/1.1 chunked
    /// transfer coding): its chunks come from
    /// [`Origin::poll_output`](crate::Origin::poll_output) as
    /// [`Output::Chunk`](crate::Output::Chunk) for the request's id, then
    /// [`Output::End`](crate::Output::End) or
    /// [`Output::Abort`](crate::Output::Abort).
    Chunked,
    /// No body follows the head: the answer to a `HEAD`, a `304`, a `204`.
    Omitted {
        /// The `Content-Length` the head declares: the length of the body
        /// a `GET` would get, when it is known (`None`: none is sent).
        content_length: Option<u64>,
    },
}

impl Body {
    /// An empty full body (`Content-Length: 0`).
    #[must_use]
    pub fn empty() -> Body {
        Body::Full(BufferList::new())
    }
}

/// The `Content-Range` of a `206` or a `416` (RFC 9110 section 14.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContentRange {
    /// `bytes first-last/complete_length`: the part a `206` carries.
    Bytes {
        /// The first byte sent.
        first: u64,
        /// The last byte sent (inclusive).
        last: u64,
        /// The whole body's length.
        complete_length: u64,
    },
    /// `bytes */complete_length`: a `416`'s, the range asked for is not in
    /// the body.
    Unsatisfied {
        /// The whole body's length.
        complete_length: u64,
    },
}

impl ContentRange {
    /// The header field value.
    #[must_use]
    pub fn value(&self) -> FieldValue<'static> {
        FieldValue::render(|w| match *self {
            ContentRange::Bytes {
                first,
                last,
                complete_length,
            } => write!(w, "bytes {first}-{last}/{complete_length}"),
            ContentRange::Unsatisfied { complete_length } => {
                write!(w, "bytes */{complete_length}")
            }
        })
    }
}

/// The CORS response header fields of a [`Response`] (the Fetch
/// standard's `Access-Control-*`), filled in by the origin from its
/// [`CorsPolicy`](crate::CorsPolicy).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct AccessControl {
    /// `Access-Control-Allow-Origin`: `*`, or the request's origin when
    /// the policy lists origins.
    pub allow_origin: Option<Cow<'static, str>>,
    /// `Access-Control-Allow-Methods` (preflight answers).
    pub allow_methods: Option<Cow<'static, str>>,
    /// `Access-Control-Allow-Headers` (preflight answers).
    pub allow_headers: Option<Cow<'static, str>>,
    /// `Access-Control-Max-Age`, seconds (preflight answers).
    pub max_age: Option<u32>,
    /// `Access-Control-Expose-Headers`: the fields a page's script may
    /// read beyond the safelisted ones.
    pub expose_headers: Option<Cow<'static, str>>,
}

/// Why a header field cannot be added with [`Response::with_header`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum HeaderFieldError {
    /// The name is not an HTTP token.
    #[error("header field name {name:?} is not a token")]
    Name {
        /// The name.
        name: String,
    },
    /// The value holds a byte a field value may not (CR, LF, NUL, other
    /// controls but tab).
    #[error("header field {name} value has byte {byte:#04x} at offset {offset}")]
    Value {
        /// The field's name.
        name: String,
        /// Where, in the value.
        offset: usize,
        /// The byte.
        byte: u8,
    },
    /// A field the response sets from its typed fields (or the connection
    /// layer's framing): set the typed field instead.
    #[error("header field {name} comes from the response's typed fields")]
    Reserved {
        /// The name.
        name: String,
    },
}

/// The fields [`Response::head_fields`] lists from typed fields, and the
/// connection layer's framing and hop-by-hop fields.
const RESERVED: [&str; 17] = [
    "content-type",
    "content-length",
    "content-range",
    "accept-ranges",
    "cache-control",
    "etag",
    "vary",
    "allow",
    "access-control-allow-origin",
    "access-control-allow-methods",
    "access-control-allow-headers",
    "access-control-max-age",
    "access-control-expose-headers",
    "transfer-encoding",
    "connection",
    "keep-alive",
    "upgrade",
];

fn is_token(name: &str) -> bool {
    !name.is_empty()
        && name.bytes().all(|b| {
            b.is_ascii_alphanumeric()
                || matches!(
                    b,
                    b'!' | b'#'
                        | b'$'
                        | b'%'
                        | b'&'
                        | b'\''
                        | b'*'
                        | b'+'
                        | b'-'
                        | b'.'
                        | b'^'
                        | b'_'
                        | b'`'
                        | b'|'
                        | b'~'
                )
        })
}

/// An HTTP response as the origin gives it: status, typed head fields and
/// body.
///
/// A site makes one with [`Response::ok`] or [`Response::empty`] and the
/// `with_*` methods; the origin then applies what HTTP asks of every
/// answer (HEAD, ranges, `304`, CORS: see [`Origin`](crate::Origin)) by
/// setting the fields it owns ([`Response::content_range`],
/// [`Response::accept_ranges`], [`Response::allow`],
/// [`Response::access_control`], and the body). A server writes the
/// status line with [`Response::status`] and [`Response::reason`], then
/// every pair of [`Response::head_fields`], 1:1, then the body.
///
/// ```
/// use bytes::Bytes;
/// use streamkit_core::buffer::BufferList;
/// use streamkit_origin::{CacheControl, EntityTag, Response};
///
/// let body = BufferList::from(Bytes::from_static(b"#EXTM3U\n"));
/// let response = Response::ok("application/vnd.apple.mpegurl", CacheControl::max_age(1), body)
///     .with_etag(EntityTag::strong(3));
/// let head: Vec<(String, String)> = response
///     .head_fields()
///     .map(|(name, value)| (name.to_owned(), value.to_string()))
///     .collect();
/// assert_eq!(head, [
///     ("content-type".into(), "application/vnd.apple.mpegurl".into()),
///     ("content-length".into(), "8".into()),
///     ("cache-control".into(), "public, max-age=1".into()),
///     ("etag".into(), "\"0000000000000003\"".into()),
/// ]);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
#[must_use]
pub struct Response {
    /// The status code.
    pub status: u16,
    /// `Content-Type`.
    pub content_type: Option<Cow<'static, str>>,
    /// `Cache-Control`.
    pub cache: CacheControl,
    /// `ETag`.
    pub etag: Option<EntityTag>,
    /// The body; its kind says `Content-Length` or chunked.
    pub body: Body,
    /// `Content-Range` (set by the origin for `206` and `416`).
    pub content_range: Option<ContentRange>,
    /// `Accept-Ranges: bytes` (set by the origin on the full bodies it
    /// serves ranges of).
    pub accept_ranges: bool,
    /// `Allow` (set by the origin on `405` and `OPTIONS` answers).
    pub allow: Option<Cow<'static, str>>,
    /// `Vary` (the origin adds `Origin` when its CORS answer depends on
    /// it).
    pub vary: Option<Cow<'static, str>>,
    /// The CORS fields (set by the origin).
    pub access_control: AccessControl,
    /// Fields of the site's own (`Location`, `Retry-After`,
    /// protocol-specific ones), in order; added with
    /// [`Response::with_header`], which checks them.
    extra: Vec<(Cow<'static, str>, Cow<'static, str>)>,
}

impl Response {
    /// A response with `status` and `body`, `no-store`, no other field.
    pub fn new(status: u16, body: Body) -> Response {
        Response {
            status,
            content_type: None,
            cache: CacheControl::NoStore,
            etag: None,
            body,
            content_range: None,
            accept_ranges: false,
            allow: None,
            vary: None,
            access_control: AccessControl::default(),
            extra: Vec::new(),
        }
    }

    /// `200 OK` with a full body.
    pub fn ok(
        content_type: impl Into<Cow<'static, str>>,
        cache: CacheControl,
        body: BufferList,
    ) -> Response {
        let mut r = Response::new(200, Body::Full(body));
        r.content_type = Some(content_type.into());
        r.cache = cache;
        r
    }

    /// `status` with an empty body and `no-store` (`404`, `503`, ...).
    pub fn empty(status: u16) -> Response {
        Response::new(status, Body::empty())
    }

    /// `status` with a short `text/plain` body saying why, `no-store`.
    pub fn text(status: u16, text: impl Into<bytes::Bytes>) -> Response {
        let mut r = Response::new(status, Body::Full(BufferList::from(text.into())));
        r.content_type = Some(Cow::Borrowed("text/plain; charset=utf-8"));
        r
    }

    /// The same with an `ETag`.
    pub fn with_etag(mut self, etag: EntityTag) -> Response {
        self.etag = Some(etag);
        self
    }

    /// The same with another `Cache-Control`.
    pub fn with_cache(mut self, cache: CacheControl) -> Response {
        self.cache = cache;
        self
    }

    /// The same with a `Content-Type`.
    pub fn with_content_type(mut self, content_type: impl Into<Cow<'static, str>>) -> Response {
        self.content_type = Some(content_type.into());
        self
    }

    /// The same with a field of the site's own, after checking it: the
    /// name must be a token and not one the typed fields or the
    /// connection's framing set, the value free of CR, LF, NUL and other
    /// controls.
    ///
    /// ```
    /// use streamkit_origin::{HeaderFieldError, Response};
    ///
    /// let r = Response::empty(503).with_header("Retry-After", "1").unwrap();
    /// assert_eq!(r.extra_headers()[0].1, "1");
    /// assert!(matches!(
    ///     Response::empty(200).with_header("X-Note", "a\r\nSet-Cookie: x"),
    ///     Err(HeaderFieldError::Value { offset: 1, .. })
    /// ));
    /// assert!(matches!(
    ///     Response::empty(200).with_header("Content-Length", "3"),
    ///     Err(HeaderFieldError::Reserved { .. })
    /// ));
    /// ```
    pub fn with_header(
        mut self,
        name: impl Into<Cow<'static, str>>,
        value: impl Into<Cow<'static, str>>,
    ) -> Result<Response, HeaderFieldError> {
        let (name, value) = (name.into(), value.into());
        if !is_token(&name) {
            return Err(HeaderFieldError::Name { name: name.into() });
        }
        if RESERVED.iter().any(|r| name.eq_ignore_ascii_case(r)) {
            return Err(HeaderFieldError::Reserved { name: name.into() });
        }
        if let Some((offset, byte)) = value
            .bytes()
            .enumerate()
            .find(|&(_, b)| (b < 0x20 && b != b'\t') || b == 0x7f)
        {
            return Err(HeaderFieldError::Value {
                name: name.into(),
                offset,
                byte,
            });
        }
        self.extra.push((name, value));
        Ok(self)
    }

    /// The site's own fields, in order.
    #[must_use]
    pub fn extra_headers(&self) -> &[(Cow<'static, str>, Cow<'static, str>)] {
        &self.extra
    }

    /// The `Content-Length` the head declares: a full body's length
    /// (except on `1xx`, `204` and `304`, which have none), or what an
    /// omitted body says.
    #[must_use]
    pub fn content_length(&self) -> Option<u64> {
        match &self.body {
            Body::Full(_) | Body::Chunked
                if self.status < 200 || self.status == 204 || self.status == 304 =>
            {
                None
            }
            Body::Full(b) => Some(b.len()),
            Body::Chunked => None,
            Body::Omitted { content_length } => *content_length,
        }
    }

    /// The status line's reason phrase (`OK`, `Not Found`, ...; empty for
    /// codes it does not know, which HTTP/1.1 allows).
    #[must_use]
    pub fn reason(&self) -> &'static str {
        reason_phrase(self.status)
    }

    /// The head's header fields as (lowercase name, value) pairs, in this
    /// order: `content-type`, `content-length`, `content-range`,
    /// `accept-ranges`, `cache-control`, `etag`, `vary`, `allow`, the
    /// `access-control-*` fields, then the site's own. A server writes
    /// them as they are; it adds only what belongs to the connection
    /// (`Date`, `Server`, and for [`Body::Chunked`] the framing:
    /// `Transfer-Encoding: chunked` in HTTP/1.1, which depends on the
    /// protocol version the origin does not see). Nothing is allocated.
    pub fn head_fields(&self) -> HeadFields<'_> {
        HeadFields {
            response: self,
            step: 0,
        }
    }
}

/// The iterator of [`Response::head_fields`].
#[derive(Clone)]
pub struct HeadFields<'a> {
    response: &'a Response,
    step: usize,
}

impl fmt::Debug for HeadFields<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.clone()).finish()
    }
}

/// The typed fields before the site's own.
const TYPED: usize = 13;

impl<'a> Iterator for HeadFields<'a> {
    type Item = (&'a str, FieldValue<'a>);

    fn next(&mut self) -> Option<Self::Item> {
        let r = self.response;
        let ac = &r.access_control;
        let borrowed = |v: &'a Option<Cow<'static, str>>| v.as_deref().map(FieldValue::borrowed);
        loop {
            let step = self.step;
            self.step += 1;
            let field = match step {
                0 => borrowed(&r.content_type).map(|v| ("content-type", v)),
                1 => r
                    .content_length()
                    .map(|n| ("content-length", FieldValue::render(|w| write!(w, "{n}")))),
                2 => r.content_range.map(|c| ("content-range", c.value())),
                3 => r
                    .accept_ranges
                    .then(|| ("accept-ranges", FieldValue::borrowed("bytes"))),
                4 => Some(("cache-control", r.cache.value())),
                5 => r.etag.as_ref().map(|e| ("etag", e.value())),
                6 => borrowed(&r.vary).map(|v| ("vary", v)),
                7 => borrowed(&r.allow).map(|v| ("allow", v)),
                8 => borrowed(&ac.allow_origin).map(|v| ("access-control-allow-origin", v)),
                9 => borrowed(&ac.allow_methods).map(|v| ("access-control-allow-methods", v)),
                10 => borrowed(&ac.allow_headers).map(|v| ("access-control-allow-headers", v)),
                11 => ac.max_age.map(|s| {
                    (
                        "access-control-max-age",
                        FieldValue::render(|w| write!(w, "{s}")),
                    )
                }),
                12 => borrowed(&ac.expose_headers).map(|v| ("access-control-expose-headers", v)),
                n => {
                    let (name, value) = r.extra.get(n - TYPED)?;
                    Some((&**name, FieldValue::borrowed(value)))
                }
            };
            if field.is_some() {
                return field;
            }
        }
    }
}

/// The reason phrase of the status codes an origin gives (RFC 9110
/// section 15); empty for others.
#[must_use]
pub fn reason_phrase(status: u16) -> &'static str {
    match status {
        200 => "OK",
        204 => "No Content",
        206 => "Partial Content",
        301 => "Moved Permanently",
        302 => "Found",
        304 => "Not Modified",
        307 => "Temporary Redirect",
        308 => "Permanent Redirect",
        400 => "Bad Request",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        409 => "Conflict",
        410 => "Gone",
        412 => "Precondition Failed",
        413 => "Content Too Large",
        414 => "URI Too Long",
        416 => "Range Not Satisfiable",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        501 => "Not Implemented",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "",
    }
}

#[cfg(test)]
mod tests {
    use std::borrow::Cow;

    use bytes::Bytes;
    use streamkit_core::buffer::BufferList;

    use super::{Body, ContentRange, HeaderFieldError, Response};
    use crate::{CacheControl, EntityTag};

    fn listed(r: &Response) -> Vec<(String, String)> {
        r.head_fields()
            .map(|(n, v)| (n.to_owned(), v.to_string()))
            .collect()
    }

    #[test]
    fn every_typed_field_in_order() {
        let mut r = Response::ok(
            "video/mp4",
            CacheControl::Immutable,
            BufferList::from(Bytes::from_static(b"abc")),
        )
        .with_etag(EntityTag::strong(1).into_weak())
        .with_header("Retry-After", "2")
        .unwrap();
        r.status = 206;
        r.content_range = Some(ContentRange::Bytes {
            first: 7,
            last: 9,
            complete_length: 10,
        });
        r.accept_ranges = true;
        r.vary = Some(Cow::Borrowed("Origin"));
        r.allow = Some(Cow::Borrowed("GET, HEAD, OPTIONS"));
        r.access_control.allow_origin = Some(Cow::Borrowed("*"));
        r.access_control.allow_methods = Some(Cow::Borrowed("GET, HEAD, OPTIONS"));
        r.access_control.allow_headers = Some(Cow::Borrowed("*"));
        r.access_control.max_age = Some(86_400);
        r.access_control.expose_headers = Some(Cow::Borrowed("Content-Range"));
        let expected: Vec<(String, String)> = [
            ("content-type", "video/mp4"),
            ("content-length", "3"),
            ("content-range", "bytes 7-9/10"),
            ("accept-ranges", "bytes"),
            ("cache-control", "public, max-age=31536000, immutable"),
            ("etag", "W/\"0000000000000001\""),
            ("vary", "Origin"),
            ("allow", "GET, HEAD, OPTIONS"),
            ("access-control-allow-origin", "*"),
            ("access-control-allow-methods", "GET, HEAD, OPTIONS"),
            ("access-control-allow-headers", "*"),
            ("access-control-max-age", "86400"),
            ("access-control-expose-headers", "Content-Range"),
            ("Retry-After", "2"),
        ]
        .into_iter()
        .map(|(n, v)| (n.to_owned(), v.to_owned()))
        .collect();
        assert_eq!(listed(&r), expected);
        assert_eq!(r.reason(), "Partial Content");
    }

    #[test]
    fn content_length_by_body_and_status() {
        let r = Response::empty(404);
        assert_eq!(
            listed(&r),
            [
                ("content-length".to_owned(), "0".to_owned()),
                ("cache-control".to_owned(), "no-store".to_owned())
            ]
        );
        assert_eq!(Response::empty(204).content_length(), None);
        assert_eq!(Response::empty(304).content_length(), None);
        assert_eq!(Response::new(200, Body::Chunked).content_length(), None);
        let head = Response::new(
            200,
            Body::Omitted {
                content_length: Some(12),
            },
        );
        assert_eq!(head.content_length(), Some(12));
        assert_eq!(
            ContentRange::Unsatisfied { complete_length: 5 }.value(),
            "bytes */5"
        );
    }

    #[test]
    fn extra_fields_are_checked() {
        assert!(matches!(
            Response::empty(200).with_header("Bad Name", "x"),
            Err(HeaderFieldError::Name { .. })
        ));
        assert!(matches!(
            Response::empty(200).with_header("transfer-encoding", "chunked"),
            Err(HeaderFieldError::Reserved { .. })
        ));
        assert!(matches!(
            Response::empty(200).with_header("X-A", "a\0"),
            Err(HeaderFieldError::Value {
                offset: 1,
                byte: 0,
                ..
            })
        ));
        assert!(Response::empty(200).with_header("X-A", "a\tb").is_ok());
    }
}
