//! What HTTP asks of every answer, applied by the origin to every site's
//! responses alike (RFC 9110): HEAD, single byte ranges, `If-None-Match`,
//! and the CORS fields.

use std::borrow::Cow;

use streamkit_core::buffer::BufferList;

use crate::config::{AllowOrigin, CorsPolicy, OriginConfig};
use crate::etag::if_none_match_is_any;
use crate::request::{ByteRange, Method, Request};
use crate::response::{Body, ContentRange, Response};
use crate::target::TargetError;

/// The request fields the answer depends on, borrowed from a [`Request`]
/// or from a held request's copies.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Conditions<'a> {
    pub(crate) method: Method,
    pub(crate) range: Option<&'a [u8]>,
    pub(crate) if_none_match: Option<&'a [u8]>,
    pub(crate) origin: Option<&'a [u8]>,
}

impl<'a> Conditions<'a> {
    pub(crate) fn of(request: &Request<'a>) -> Conditions<'a> {
        Conditions {
            method: request.method(),
            range: request.range_field(),
            if_none_match: request.if_none_match(),
            origin: request.origin(),
        }
    }
}

/// The part `first..=last` of `body`: slices of its buffers, no byte
/// copied.
pub(crate) fn slice(body: &BufferList, first: u64, last: u64) -> BufferList {
    // How many buffers the part touches, so the list is allocated once.
    let mut count = 0;
    let mut start = 0u64;
    for b in body {
        let end = start + b.len() as u64;
        if end > first && start <= last {
            count += 1;
        }
        if end > last {
            break;
        }
        start = end;
    }
    let mut out = BufferList::with_capacity(count);
    let mut start = 0u64;
    for b in body {
        let end = start + b.len() as u64;
        if end > first && start <= last {
            // Both within this buffer's length: the conversions hold.
            let from = usize::try_from(first.saturating_sub(start)).unwrap_or(0);
            let to = usize::try_from((last + 1).min(end) - start).unwrap_or(b.len());
            if from == 0 && to == b.len() {
                out.push(b.clone());
            } else {
                out.push(b.slice(from..to));
            }
        }
        if end > last {
            break;
        }
        start = end;
    }
    out
}

/// `response` as it goes out for a request with `conditions`: see
/// [`Origin`](crate::Origin) for the rules.
pub(crate) fn finalize(
    mut r: Response,
    conditions: &Conditions<'_>,
    config: &OriginConfig,
) -> Response {
    let method = conditions.method;
    if r.status == 200
        && matches!(method, Method::Get | Method::Head)
        && let Body::Full(body) = &r.body
    {
        let not_modified = conditions.if_none_match.is_some_and(|field| {
            if_none_match_is_any(field)
                || r.etag
                    .as_ref()
                    .is_some_and(|e| e.matches_if_none_match(field))
        });
        if not_modified {
            // RFC 9110 section 15.4.5: the validator and caching
            // fields stay; the representation's do not.
            r.status = 304;
            r.content_type = None;
        } else {
            r.accept_ranges = true;
            // Range applies to GET only (section 14.2); a field that
            // is not one byte range is ignored: the whole body.
            let range = conditions
                .range
                .filter(|_| method == Method::Get)
                .and_then(|v| ByteRange::parse(v).ok());
            if let Some(range) = range {
                let complete_length = body.len();
                match range.resolve(complete_length) {
                    Some((first, last)) => {
                        r.body = Body::Full(slice(body, first, last));
                        r.status = 206;
                        r.content_range = Some(ContentRange::Bytes {
                            first,
                            last,
                            complete_length,
                        });
                    }
                    None => {
                        r.status = 416;
                        r.body = Body::empty();
                        r.content_type = None;
                        // The answer depends on the Range field, which
                        // caches do not key on.
                        r.cache = crate::CacheControl::NoStore;
                        r.content_range = Some(ContentRange::Unsatisfied { complete_length });
                    }
                }
            }
        }
    }
    if r.status < 200 || r.status == 204 || r.status == 304 {
        r.body = Body::Omitted {
            content_length: None,
        };
    }
    if method == Method::Head {
        r.body = Body::Omitted {
            content_length: r.content_length(),
        };
    }
    apply_cors(&mut r, conditions.origin, config.cors.as_ref());
    r
}

fn apply_cors(r: &mut Response, origin: Option<&[u8]>, cors: Option<&CorsPolicy>) {
    let Some(policy) = cors else {
        return;
    };
    match &policy.allow_origin {
        AllowOrigin::Any => r.access_control.allow_origin = Some(Cow::Borrowed("*")),
        AllowOrigin::Only(list) => {
            if let Some(found) = origin.and_then(|o| list.iter().find(|l| l.as_bytes() == o)) {
                r.access_control.allow_origin = Some(Cow::Owned(found.clone()));
            }
            add_vary(r, "Origin");
        }
    }
    r.access_control.expose_headers = policy.expose_headers.clone();
}

fn add_vary(r: &mut Response, field: &'static str) {
    r.vary = Some(match r.vary.take() {
        None => Cow::Borrowed(field),
        Some(v)
            if v.split(',')
                .any(|f| f.trim().eq_ignore_ascii_case(field) || f.trim() == "*") =>
        {
            v
        }
        Some(v) => Cow::Owned(format!("{v}, {field}")),
    });
}

/// The answer to `OPTIONS` (a CORS preflight, or a client asking what the
/// server allows): `204` with `Allow`, and the preflight fields.
pub(crate) fn options(config: &OriginConfig, origin: Option<&[u8]>) -> Response {
    let mut r = Response::new(
        204,
        Body::Omitted {
            content_length: None,
        },
    );
    r.allow = Some(Cow::Borrowed(config.allow()));
    if let Some(policy) = &config.cors {
        r.access_control.allow_methods = Some(Cow::Borrowed(config.allow()));
        r.access_control.allow_headers = Some(policy.allow_headers.clone());
        r.access_control.max_age = policy.max_age;
    }
    apply_cors(&mut r, origin, config.cors.as_ref());
    r
}

/// `405 Method Not Allowed` with `Allow`.
pub(crate) fn method_not_allowed(config: &OriginConfig) -> Response {
    let mut r = Response::empty(405);
    r.allow = Some(Cow::Borrowed(config.allow()));
    r
}

/// `400` or `414` saying which rule the target broke, and where.
pub(crate) fn target_refused(error: TargetError) -> Response {
    Response::text(error.status(), format!("{error}\n"))
}

#[cfg(test)]
mod tests {
    use bytes::Bytes;
    use streamkit_core::buffer::BufferList;

    use super::slice;

    #[test]
    fn slices_share_the_buffers() {
        let parts = [
            Bytes::from_static(b"0123"),
            Bytes::from_static(b"4567"),
            Bytes::from_static(b"89"),
        ];
        let mut body = BufferList::new();
        for p in &parts {
            body.push(p.clone());
        }
        for first in 0..10u64 {
            for last in first..12u64 {
                let s = slice(&body, first, last);
                let end = (last + 1).min(10) as usize;
                assert_eq!(&s.to_bytes()[..], &b"0123456789"[first as usize..end]);
                for b in &s {
                    let inside = parts.iter().any(|p| {
                        let (p0, b0) = (p.as_ptr() as usize, b.as_ptr() as usize);
                        b0 >= p0 && b0 + b.len() <= p0 + p.len()
                    });
                    assert!(inside, "{first}-{last}: a copy");
                }
            }
        }
        assert_eq!(slice(&body, 4, 7).buffers()[0].as_ptr(), parts[1].as_ptr());
    }
}
