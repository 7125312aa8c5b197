//! What the origin does for every site's answers: HEAD, every Range form
//! (over a multi-buffer body, without copying), 304, CORS and the
//! preflight, 405, the path policy's answers, and the head fields written
//! from them.

#![allow(clippy::unwrap_used, clippy::panic)] // test code: a failure fails the test

mod support;

use bytes::Bytes;
use streamkit_core::buffer::BufferList;
use streamkit_origin::{
    AllowOrigin, Body, CorsPolicy, EntityTag, Method, Origin, OriginConfig, Request, Response,
};
use support::{Shelf, fields, head, now, origin, t0};

/// Ten bytes in three buffers, kept so tests can compare pointers.
fn parts() -> [Bytes; 3] {
    [
        Bytes::from_static(b"0123"),
        Bytes::from_static(b"4567"),
        Bytes::from_static(b"89"),
    ]
}

fn shelf() -> Shelf {
    let mut body = BufferList::new();
    for p in parts() {
        body.push(p);
    }
    let mut site = Shelf::new().with_file("seg.m4s", body);
    site.files.insert(
        "index.m3u8".into(),
        (
            BufferList::from(Bytes::from_static(b"#EXTM3U\n")),
            Some(EntityTag::strong(42)),
        ),
    );
    site.files.insert("empty".into(), (BufferList::new(), None));
    site
}

fn get(o: &mut Origin<Shelf>, target: &str, headers: &[(&str, &[u8])]) -> Response {
    let mut r = Request::get(target);
    for (n, v) in headers {
        r.add_header(n, v);
    }
    now(o.handle_request(t0(), &r))
}

fn ranged(o: &mut Origin<Shelf>, range: &str) -> Response {
    get(o, "/s/seg.m4s", &[("Range", range.as_bytes())])
}

#[test]
fn head_is_the_head_of_get_without_the_body() {
    let mut o = origin(shelf());
    for target in [
        "/s/seg.m4s",
        "/s/index.m3u8",
        "/s/none",
        "/s/../x",
        "/elsewhere",
    ] {
        let g = now(o.handle_request(t0(), &Request::get(target)));
        let h = now(o.handle_request(t0(), &Request::head(target)));
        assert_eq!(head(&g), head(&h), "{target}");
        assert_eq!(h.status, g.status);
        assert_eq!(
            h.body,
            Body::Omitted {
                content_length: g.content_length()
            },
            "{target}"
        );
    }
    // HEAD ignores Range (range requests are defined for GET).
    let h = now(o.handle_request(
        t0(),
        &Request::head("/s/seg.m4s").header("Range", b"bytes=0-1"),
    ));
    assert_eq!((h.status, h.content_length()), (200, Some(10)));
}

#[test]
fn a_single_range_is_206_with_slices_of_the_buffers() {
    let mut o = origin(shelf());
    let cases = [
        ("bytes=0-0", 0, 0),
        ("bytes=0-9", 0, 9),
        ("bytes=3-4", 3, 4),
        ("bytes=2-8", 2, 8),
        ("bytes=4-7", 4, 7),
        ("bytes=5-", 5, 9),
        ("bytes=9-", 9, 9),
        ("bytes=-3", 7, 9),
        ("bytes=-7", 3, 9),
        ("bytes=-10", 0, 9),
        ("bytes=-1000", 0, 9),
        ("bytes=6-999999", 6, 9),
        ("bytes=0-", 0, 9),
    ];
    let originals = parts();
    for (range, first, last) in cases {
        let r = ranged(&mut o, range);
        assert_eq!(r.status, 206, "{range}");
        let Body::Full(body) = &r.body else {
            panic!("{range}: {:?}", r.body)
        };
        assert_eq!(
            &body.to_bytes()[..],
            &b"0123456789"[first as usize..=last as usize],
            "{range}"
        );
        // No payload copied: every buffer lies inside one of the site's.
        for b in body {
            let inside = originals.iter().any(|p| {
                let (p0, b0) = (p.as_ptr() as usize, b.as_ptr() as usize);
                b0 >= p0 && b0 + b.len() <= p0 + p.len()
            });
            assert!(inside, "{range}: a copied buffer");
        }
        let expected = format!("bytes {first}-{last}/10");
        let length = (last - first + 1).to_string();
        let h = head(&r);
        assert!(
            h.contains(&("content-range".into(), expected)),
            "{range}: {h:?}"
        );
        assert!(
            h.contains(&("content-length".into(), length)),
            "{range}: {h:?}"
        );
        assert!(h.contains(&("accept-ranges".into(), "bytes".into())));
    }
    // A range covering a whole buffer shares that very buffer.
    let r = ranged(&mut o, "bytes=4-7");
    let Body::Full(body) = &r.body else { panic!() };
    assert_eq!(body.buffers().len(), 1);
    assert_eq!(body.buffers()[0].as_ptr(), originals[1].as_ptr());
}

#[test]
fn a_range_outside_the_body_is_416() {
    let mut o = origin(shelf());
    for range in [
        "bytes=10-",
        "bytes=10-20",
        "bytes=99999999999999999999-",
        "bytes=-0",
    ] {
        let r = ranged(&mut o, range);
        assert_eq!(r.status, 416, "{range}");
        assert_eq!(
            head(&r),
            fields(&[
                ("content-length", "0"),
                ("content-range", "bytes */10"),
                ("accept-ranges", "bytes"),
                ("cache-control", "no-store"),
                ("access-control-allow-origin", "*"),
                ("access-control-expose-headers", "Content-Range, ETag, Date"),
            ]),
            "{range}"
        );
    }
    let r = get(&mut o, "/s/empty", &[("Range", b"bytes=0-")]);
    assert_eq!(r.status, 416);
    assert!(head(&r).contains(&("content-range".into(), "bytes */0".into())));
}

#[test]
fn ranges_not_served_give_the_whole_body() {
    let mut o = origin(shelf());
    // Several ranges (RFC 9110 section 14.2 lets a server ignore Range),
    // another unit, bad syntax: 200 with everything.
    for range in [
        "bytes=0-1,4-5",
        "bytes=0-1, -2",
        "items=0-1",
        "bytes=5-2",
        "bytes=x-",
        "bytes",
        "",
    ] {
        let r = ranged(&mut o, range);
        assert_eq!((r.status, r.content_length()), (200, Some(10)), "{range:?}");
        assert!(r.content_range.is_none());
        assert!(r.accept_ranges);
    }
    // Two Range fields: ignored too.
    let r = get(
        &mut o,
        "/s/seg.m4s",
        &[("Range", b"bytes=0-1"), ("range", b"bytes=2-3")],
    );
    assert_eq!(r.status, 200);
    // Only 200s with a full body get ranges.
    let r = get(&mut o, "/s/none", &[("Range", b"bytes=0-1")]);
    assert_eq!(
        (r.status, r.accept_ranges, r.content_range),
        (404, false, None)
    );
}

#[test]
fn if_none_match_gives_304_with_the_validators() {
    let mut o = origin(shelf());
    for field in [
        &b"\"000000000000002a\""[..],
        b"W/\"000000000000002a\"",
        b"\"x\", \"000000000000002a\"",
        b"*",
    ] {
        let r = get(&mut o, "/s/index.m3u8", &[("If-None-Match", field)]);
        assert_eq!(r.status, 304, "{field:?}");
        assert_eq!(
            r.body,
            Body::Omitted {
                content_length: None
            }
        );
        assert_eq!(
            head(&r),
            fields(&[
                ("cache-control", "public, max-age=31536000, immutable"),
                ("etag", "\"000000000000002a\""),
                ("access-control-allow-origin", "*"),
                ("access-control-expose-headers", "Content-Range, ETag, Date"),
            ])
        );
        // HEAD too; and a 304 wins over a Range.
        let h = now(o.handle_request(
            t0(),
            &Request::head("/s/index.m3u8").header("If-None-Match", field),
        ));
        assert_eq!(h.status, 304);
        let r = get(
            &mut o,
            "/s/index.m3u8",
            &[("If-None-Match", field), ("Range", b"bytes=0-1")],
        );
        assert_eq!(r.status, 304);
    }
    let r = get(
        &mut o,
        "/s/index.m3u8",
        &[("If-None-Match", b"\"000000000000002b\"")],
    );
    assert_eq!((r.status, r.content_length()), (200, Some(8)));
    // No ETag: only `*` matches.
    let r = get(&mut o, "/s/seg.m4s", &[("If-None-Match", b"\"0\"")]);
    assert_eq!(r.status, 200);
    let r = get(&mut o, "/s/seg.m4s", &[("If-None-Match", b"*")]);
    assert_eq!(r.status, 304);
    // Not on errors.
    let r = get(&mut o, "/s/none", &[("If-None-Match", b"*")]);
    assert_eq!(r.status, 404);
}

#[test]
fn cors_on_every_answer_and_the_preflight() {
    let mut o = origin(shelf());
    for (target, status) in [
        ("/s/seg.m4s", 200),
        ("/s/none", 404),
        ("/s/a//b", 400),
        ("/other", 404),
    ] {
        let r = get(&mut o, target, &[("Origin", b"https://player.example")]);
        assert_eq!(r.status, status, "{target}");
        assert_eq!(
            r.access_control.allow_origin.as_deref(),
            Some("*"),
            "{target}"
        );
    }
    let preflight = Request::new(Method::Options, "/s/seg.m4s")
        .header("Origin", b"https://player.example")
        .header("Access-Control-Request-Method", b"GET")
        .header(
            "Access-Control-Request-Headers",
            b"range, x-playback-session-id",
        );
    let r = now(o.handle_request(t0(), &preflight));
    assert_eq!(r.status, 204);
    assert_eq!(
        r.body,
        Body::Omitted {
            content_length: None
        }
    );
    assert_eq!(
        head(&r),
        fields(&[
            ("cache-control", "no-store"),
            ("allow", "GET, HEAD, OPTIONS"),
            ("access-control-allow-origin", "*"),
            ("access-control-allow-methods", "GET, HEAD, OPTIONS"),
            ("access-control-allow-headers", "*"),
            ("access-control-max-age", "86400"),
            ("access-control-expose-headers", "Content-Range, ETag, Date"),
        ])
    );
    // OPTIONS * and OPTIONS of a name the site lacks: the same, and the
    // site is never asked.
    let asked = o.site().decided.len();
    for target in ["*", "/s/none"] {
        let r = now(o.handle_request(t0(), &Request::new(Method::Options, target)));
        assert_eq!(r.status, 204, "{target}");
    }
    assert_eq!(o.site().decided.len(), asked);
}

#[test]
fn cors_for_listed_origins_varies_on_origin() {
    let cors = CorsPolicy::default()
        .with_allow_origin(AllowOrigin::Only(vec!["https://player.example".into()]))
        .with_allow_headers("Range, If-None-Match")
        .with_max_age(Some(600));
    let config = OriginConfig::default()
        .with_base_path("/s/")
        .with_cors(Some(cors));
    let mut o = Origin::new(shelf(), config).unwrap();
    let r = get(
        &mut o,
        "/s/seg.m4s",
        &[("Origin", b"https://player.example")],
    );
    assert_eq!(
        r.access_control.allow_origin.as_deref(),
        Some("https://player.example")
    );
    assert_eq!(r.vary.as_deref(), Some("Origin"));
    for origin in [&b"https://evil.example"[..], b"https://player.example.evil"] {
        let r = get(&mut o, "/s/seg.m4s", &[("Origin", origin)]);
        assert_eq!(r.access_control.allow_origin, None);
        assert_eq!(r.vary.as_deref(), Some("Origin"));
    }
    let r = get(&mut o, "/s/seg.m4s", &[]);
    assert_eq!(
        (r.access_control.allow_origin, r.vary.as_deref()),
        (None, Some("Origin"))
    );
    let preflight =
        Request::new(Method::Options, "/s/seg.m4s").header("Origin", b"https://player.example");
    let r = now(o.handle_request(t0(), &preflight));
    assert_eq!(
        head(&r),
        fields(&[
            ("cache-control", "no-store"),
            ("vary", "Origin"),
            ("allow", "GET, HEAD, OPTIONS"),
            ("access-control-allow-origin", "https://player.example"),
            ("access-control-allow-methods", "GET, HEAD, OPTIONS"),
            ("access-control-allow-headers", "Range, If-None-Match"),
            ("access-control-max-age", "600"),
            ("access-control-expose-headers", "Content-Range, ETag, Date"),
        ])
    );

    // Without CORS: no access-control field; OPTIONS still says Allow.
    let config = OriginConfig::default()
        .with_base_path("/s/")
        .with_cors(None);
    let mut o = Origin::new(shelf(), config).unwrap();
    let r = get(&mut o, "/s/seg.m4s", &[]);
    assert!(
        head(&r)
            .iter()
            .all(|(n, _)| !n.starts_with("access-control"))
    );
    let r = now(o.handle_request(t0(), &Request::new(Method::Options, "/s/seg.m4s")));
    assert_eq!(
        head(&r),
        fields(&[
            ("cache-control", "no-store"),
            ("allow", "GET, HEAD, OPTIONS")
        ])
    );
}

#[test]
fn other_methods_are_405_with_allow() {
    let mut o = origin(shelf());
    for method in [Method::Other, Method::Post] {
        let r = now(o.handle_request(t0(), &Request::new(method, "/s/seg.m4s").with_body(b"x")));
        assert_eq!(r.status, 405);
        assert_eq!(r.allow.as_deref(), Some("GET, HEAD, OPTIONS"));
        assert_eq!(r.access_control.allow_origin.as_deref(), Some("*"));
    }
    assert!(o.site().decided.is_empty());
    // An origin that takes POST passes it to the site, body and all.
    let config = OriginConfig::default()
        .with_base_path("/s/")
        .accepting_post();
    let mut o = Origin::new(shelf(), config).unwrap();
    let r = now(o.handle_request(
        t0(),
        &Request::new(Method::Post, "/s/seg.m4s").with_body(b"x"),
    ));
    assert_eq!(r.status, 200);
    assert_eq!(o.site().decided[0].1, Method::Post);
    let r = now(o.handle_request(t0(), &Request::new(Method::Other, "/s/seg.m4s")));
    assert_eq!(r.allow.as_deref(), Some("GET, HEAD, OPTIONS, POST"));
    // POST gets no range: it is not a GET.
    let post = Request::new(Method::Post, "/s/seg.m4s").header("Range", b"bytes=0-1");
    assert_eq!(now(o.handle_request(t0(), &post)).status, 200);
}

#[test]
fn refused_targets_say_why_and_never_reach_the_site() {
    let mut o = origin(shelf());
    let long = format!("/s/{}", "a".repeat(2000));
    let cases = [
        ("/s/../etc/passwd", 400, "'..' path segment at offset 3\n"),
        (
            "/s/%2e%2e/x",
            400,
            "percent-encoding at offset 3, not accepted\n",
        ),
        ("/s/a\\b", 400, "backslash at offset 4\n"),
        ("/s/a\0", 400, "NUL byte at offset 4\n"),
        ("s/x", 400, "request target does not start with '/'\n"),
        (
            long.as_str(),
            414,
            "request target of 2003 bytes is longer than the 1024 allowed\n",
        ),
    ];
    for (target, status, text) in cases {
        let r = get(&mut o, target, &[]);
        assert_eq!(r.status, status, "{target}");
        assert_eq!(r.content_type.as_deref(), Some("text/plain; charset=utf-8"));
        let Body::Full(body) = &r.body else { panic!() };
        assert_eq!(&body.to_bytes()[..], text.as_bytes(), "{target}");
    }
    assert!(o.site().decided.is_empty());
    // Outside the base path: 404 from the origin; the site sees only the
    // rest of the path.
    assert_eq!(get(&mut o, "/t/seg.m4s", &[]).status, 404);
    assert_eq!(get(&mut o, "/s", &[]).status, 404);
    assert!(o.site().decided.is_empty());
    assert_eq!(get(&mut o, "/s/seg.m4s?x=1", &[]).status, 200);
    assert_eq!(o.site().decided[0].0, "seg.m4s");
}

#[test]
fn the_base_path_must_be_a_directory() {
    for base in ["", "/s", "s/"] {
        assert!(Origin::new(Shelf::new(), OriginConfig::default().with_base_path(base)).is_err());
    }
}
