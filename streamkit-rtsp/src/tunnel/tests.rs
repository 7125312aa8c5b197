//! The tunnel module's unit tests and proptests.

use super::*;
use bytes::BytesMut;
use proptest::prelude::*;

/// Decodes `chunks` one after another through a buffer of `room`
/// bytes.
fn decode_chunks(chunks: &[&[u8]], room: usize) -> Result<Vec<u8>, TunnelError> {
    let mut d = Base64Decoder::new();
    let mut out = vec![0u8; room];
    let mut all = Vec::new();
    for chunk in chunks {
        let mut rest = *chunk;
        while !rest.is_empty() {
            let step = d.decode(rest, &mut out)?;
            assert!(step.consumed > 0 || room < 3, "no progress");
            all.extend_from_slice(&out[..step.written]);
            rest = &rest[step.consumed..];
        }
    }
    Ok(all)
}

fn b64(data: &[u8]) -> Vec<u8> {
    let mut out = BytesMut::new();
    encode_base64(data, &mut out);
    out.to_vec()
}

#[test]
fn rfc4648_vectors_encode_and_decode() {
    for (plain, coded) in [
        ("", ""),
        ("f", "Zg=="),
        ("fo", "Zm8="),
        ("foo", "Zm9v"),
        ("foob", "Zm9vYg=="),
        ("fooba", "Zm9vYmE="),
        ("foobar", "Zm9vYmFy"),
    ] {
        assert_eq!(b64(plain.as_bytes()), coded.as_bytes());
        assert_eq!(
            decode_chunks(&[coded.as_bytes()], 64).unwrap(),
            plain.as_bytes()
        );
    }
}

#[test]
fn padding_inside_the_stream_and_whitespace_are_taken() {
    // Three requests, each padded on its own, lines broken.
    let body = b"Zg==\r\nZm8=  Zm9v\tYg=\n=";
    assert_eq!(decode_chunks(&[body], 64).unwrap(), b"ffofoob");
    // Missing padding before the next group.
    assert_eq!(decode_chunks(&[b"Zg=Zm8="], 64).unwrap(), b"ffo");
    assert_eq!(
        decode_chunks(&[b"Zg", b"=", b"=", b"Zg=="], 64).unwrap(),
        b"ff"
    );
}

#[test]
fn bad_bytes_and_padding_say_where() {
    assert_eq!(
        decode_chunks(&[b"Zm9v", b"Y*=="], 64),
        Err(TunnelError::InvalidBase64 {
            byte: b'*',
            offset: 5
        })
    );
    assert_eq!(
        decode_chunks(&[b"Zm9vY="], 64),
        Err(TunnelError::MisplacedPadding { offset: 5 })
    );
    assert_eq!(
        decode_chunks(&[b"Zg==="], 64),
        Err(TunnelError::MisplacedPadding { offset: 4 })
    );
    assert_eq!(
        decode_chunks(&[b"="], 64),
        Err(TunnelError::MisplacedPadding { offset: 0 })
    );
}

#[test]
fn a_bad_byte_comes_after_what_was_decoded_before_it() {
    let mut d = Base64Decoder::new();
    let mut out = [0u8; 16];
    let step = d.decode(b"Zm9vYg==*Zg==", &mut out).unwrap();
    assert_eq!(
        step,
        Decoded {
            consumed: 8,
            written: 4
        }
    );
    assert_eq!(&out[..4], b"foob");
    assert_eq!(
        d.decode(b"*Zg==", &mut out),
        Err(TunnelError::InvalidBase64 {
            byte: b'*',
            offset: 8
        })
    );
    let mut d = Base64Decoder::new();
    let step = d.decode(b"Zg===", &mut out).unwrap();
    assert_eq!(
        step,
        Decoded {
            consumed: 4,
            written: 1
        }
    );
    assert_eq!(
        d.decode(b"=", &mut out),
        Err(TunnelError::MisplacedPadding { offset: 4 })
    );
}

#[test]
fn a_full_output_stops_before_the_group() {
    let mut d = Base64Decoder::new();
    let mut out = [0u8; 4];
    let step = d.decode(b"Zm9vYmFy", &mut out).unwrap();
    assert_eq!(
        step,
        Decoded {
            consumed: 7,
            written: 3
        }
    );
    assert_eq!(&out[..3], b"foo");
    assert!(!d.is_aligned());
    let step = d.decode(b"y", &mut out).unwrap();
    assert_eq!(
        step,
        Decoded {
            consumed: 1,
            written: 3
        }
    );
    assert_eq!(&out[..3], b"bar");
    assert!(d.is_aligned());
    assert_eq!(d.offset(), 8);
    // No room at all: nothing consumed.
    let step = d.decode(b"Zm9v", &mut []).unwrap();
    assert_eq!(
        step,
        Decoded {
            consumed: 3,
            written: 0
        }
    );
}

#[test]
fn heads_of_ffmpeg_and_gstreamer_open_the_halves() {
    // As ffmpeg 5 sends them.
    let get = b"GET /vod/h264_aac HTTP/1.1\r\nUser-Agent: Lavf/59.27.100\r\nAccept: */*\r\n\
        Range: bytes=0-\r\nConnection: close\r\nHost: 127.0.0.1:8080\r\nIcy-MetaData: 1\r\n\
        x-sessioncookie: 1e2a3b4c5d6e7f80\r\nAccept: application/x-rtsp-tunnelled\r\n\
        Pragma: no-cache\r\nCache-Control: no-cache\r\n\r\n";
    let HeadStatus::Tunnel(r) = parse_request_head(get, 16384).unwrap() else {
        panic!("a tunnel GET")
    };
    assert_eq!(
        r,
        TunnelRequest {
            half: TunnelHalf::Get,
            target: "/vod/h264_aac",
            cookie: "1e2a3b4c5d6e7f80",
            http11: true,
            head_len: get.len(),
        }
    );
    // GStreamer's POST, its first request in the same segment.
    let mut post = b"POST /vod/h264_aac HTTP/1.0\r\nUser-Agent: GStreamer/1.22.0\r\n\
        x-sessioncookie: aB3dE5gH7jK9mN1pQ3sT5v\r\nContent-Type: application/x-rtsp-tunnelled\r\n\
        Cache-Control: no-cache\r\nPragma: no-cache\r\nExpires: Mon, 26 Jul 1997 05:00:00 GMT\r\n\
        Content-Length: 32767\r\n\r\n"
        .to_vec();
    let head_len = post.len();
    post.extend_from_slice(b"T1BUSU9OUw==");
    let HeadStatus::Tunnel(r) = parse_request_head(&post, 16384).unwrap() else {
        panic!("a tunnel POST")
    };
    assert_eq!(
        (r.half, r.cookie, r.http11, r.head_len),
        (TunnelHalf::Post, "aB3dE5gH7jK9mN1pQ3sT5v", false, head_len)
    );
}

#[test]
fn plain_http_is_not_a_tunnel() {
    let head = b"GET /vod/a/master.m3u8 HTTP/1.1\r\nHost: x\r\n\r\nGET /next";
    assert_eq!(
        parse_request_head(head, 1024),
        Ok(HeadStatus::NotTunnel { head_len: 44 })
    );
    let head = b"PUT /x HTTP/1.1\r\nx-sessioncookie: abc\r\n\r\n";
    assert!(matches!(
        parse_request_head(head, 1024),
        Ok(HeadStatus::NotTunnel { .. })
    ));
    assert_eq!(
        parse_request_head(b"GET / HTTP/1.1\r\nHost:", 1024),
        Ok(HeadStatus::Incomplete)
    );
    // Bare LF line ends.
    let head = b"GET /a HTTP/1.0\nx-sessioncookie: k\n\n";
    assert!(matches!(
        parse_request_head(head, 1024),
        Ok(HeadStatus::Tunnel(_))
    ));
}

#[test]
fn bad_heads_and_cookies_are_errors() {
    assert_eq!(
        parse_request_head(&[b'a'; 100], 64),
        Err(TunnelError::HeadTooLarge { max: 64 })
    );
    assert!(matches!(
        parse_request_head(b"GET /a RTSP/1.0\r\n\r\n", 1024),
        Err(TunnelError::InvalidHead {
            what: "request line",
            ..
        })
    ));
    assert_eq!(
        parse_request_head(b"GET /a HTTP/1.0\r\nnocolon\r\n\r\n", 1024),
        Err(TunnelError::InvalidHead {
            what: "header field",
            offset: 17
        })
    );
    assert_eq!(
        parse_request_head(b"GET /a HTTP/1.0\r\nx-sessioncookie: \r\n\r\n", 1024),
        Err(TunnelError::BadCookie { what: "empty" })
    );
    assert_eq!(
        parse_request_head(
            b"GET /a HTTP/1.0\r\nx-sessioncookie: a\r\nX-SessionCookie: b\r\n\r\n",
            1024
        ),
        Err(TunnelError::BadCookie {
            what: "given twice, with different values"
        })
    );
    let long = format!(
        "GET /a HTTP/1.0\r\nx-sessioncookie: {}\r\n\r\n",
        "k".repeat(129)
    );
    assert!(matches!(
        parse_request_head(long.as_bytes(), 1024),
        Err(TunnelError::BadCookie { .. })
    ));
    let mut out = BytesMut::new();
    assert_eq!(
        write_get_request(&mut out, "/a b", "h", "k"),
        Err(TunnelError::BadValue {
            what: "request target"
        })
    );
    assert_eq!(
        write_get_response(&mut out, "x\r\nSet-Cookie: y"),
        Err(TunnelError::BadValue {
            what: "server name"
        })
    );
}

#[test]
fn the_get_answer_head() {
    let mut out = BytesMut::new();
    write_get_response(&mut out, "streamkit serve").unwrap();
    assert_eq!(
        &out[..],
        b"HTTP/1.0 200 OK\r\nServer: streamkit serve\r\nConnection: close\r\n\
          Cache-Control: no-store\r\nPragma: no-cache\r\n\
          Content-Type: application/x-rtsp-tunnelled\r\n\r\n"
    );
}

fn open_tunnel() -> ClientTunnel {
    ClientTunnel::new("/vod/a?x=1", "127.0.0.1:8080", [0xa5; 16]).unwrap()
}

#[test]
fn a_client_tunnel_writes_heads_the_server_side_takes() {
    let t = ClientTunnel::new("/vod/a", "h:80", *b"0123456789abcdef").unwrap();
    assert_eq!(t.cookie(), "30313233343536373839616263646566");
    let mut get = BytesMut::new();
    t.write_get_head(&mut get);
    let mut expected = BytesMut::new();
    write_get_request(&mut expected, "/vod/a", "h:80", t.cookie()).unwrap();
    assert_eq!(get, expected);
    let mut post = BytesMut::new();
    t.write_post_head(&mut post);
    let HeadStatus::Tunnel(r) = parse_request_head(&post, 16384).unwrap() else {
        panic!("a tunnel POST")
    };
    assert_eq!(
        (r.half, r.target, r.cookie, r.head_len),
        (TunnelHalf::Post, "/vod/a", t.cookie(), post.len())
    );
    assert_eq!(
        ClientTunnel::new("/a b", "h", [0; 16]).unwrap_err(),
        TunnelError::BadValue {
            what: "request target"
        }
    );
    assert_eq!(
        ClientTunnel::new("/a", "", [0; 16]).unwrap_err(),
        TunnelError::BadValue { what: "host" }
    );
}

#[test]
fn the_answers_of_serve_and_gstreamer_open_the_tunnel_byte_by_byte() {
    let mut serve = BytesMut::new();
    write_get_response(&mut serve, "streamkit serve").unwrap();
    // gst-rtsp-server 1.22's answer, as it came on 127.0.0.1.
    let gst = b"HTTP/1.0 200 OK\r\nServer: GStreamer RTSP Server\r\nConnection: close\r\n\
        Cache-Control: no-store\r\nPragma: no-cache\r\nX-Server-IP-Address: 127.0.0.1\r\n\
        Content-Type: application/x-rtsp-tunnelled\r\n\
        Date: Thu, 03 Dec 2026 13:47:34 GMT\r\n\r\n";
    for head in [&serve[..], &gst[..], b"HTTP/1.1 200 OK\n\n"] {
        let mut stream = head.to_vec();
        stream.extend_from_slice(b"RTSP/1.0 200 OK\r\n");
        let mut t = open_tunnel();
        let mut body = Vec::new();
        for b in stream.chunks(1) {
            match t.handle_get_bytes(b).unwrap() {
                GetAnswer::Incomplete => assert!(body.is_empty() && !t.is_open()),
                GetAnswer::Open { body: b } => body.extend_from_slice(b),
            }
        }
        assert!(t.is_open());
        assert_eq!(body, b"RTSP/1.0 200 OK\r\n");
        // Whole, in one read.
        let mut t = open_tunnel();
        assert_eq!(
            t.handle_get_bytes(&stream).unwrap(),
            GetAnswer::Open {
                body: b"RTSP/1.0 200 OK\r\n"
            }
        );
        assert_eq!(
            t.handle_get_bytes(b"$\0").unwrap(),
            GetAnswer::Open { body: b"$\0" }
        );
    }
}

#[test]
fn refused_or_broken_answers_are_typed_errors_that_stay() {
    let cases: [(&[u8], TunnelError); 6] = [
        (
            b"HTTP/1.0 404 Not Found\r\nContent-Type: text/html\r\n\r\n",
            TunnelError::AnswerRefused { status: 404 },
        ),
        (
            b"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n\r\n",
            TunnelError::AnswerNotTunnelled,
        ),
        (
            b"RTSP/1.0 200 OK\r\n\r\n",
            TunnelError::InvalidHead {
                what: "status line",
                offset: 0,
            },
        ),
        (
            b"HTTP/1.0 20x OK\r\n\r\n",
            TunnelError::InvalidHead {
                what: "status code",
                offset: 9,
            },
        ),
        (
            b"HTTP/1.0 200 OK\r\nno colon\r\n\r\n",
            TunnelError::InvalidHead {
                what: "header field",
                offset: 17,
            },
        ),
        (
            b"HTTP/1.0 200 OK\r\nBad Name: x\r\n\r\n",
            TunnelError::InvalidHead {
                what: "header name",
                offset: 17,
            },
        ),
    ];
    for (answer, error) in cases {
        let mut t = open_tunnel();
        assert_eq!(t.handle_get_bytes(answer), Err(error.clone()));
        assert_eq!(t.handle_get_bytes(b"RTSP/1.0 200 OK\r\n"), Err(error));
        assert!(!t.is_open());
    }
    // No end within the bound, in small reads.
    let mut t = open_tunnel().with_max_head(64);
    let mut result = Ok(GetAnswer::Incomplete);
    for _ in 0..10 {
        result = t.handle_get_bytes(b"HTTP/1.0 200 OK\r\nX: y\r\n");
        if result.is_err() {
            break;
        }
    }
    assert_eq!(result, Err(TunnelError::HeadTooLarge { max: 64 }));
    // A head that ends exactly at the bound is taken.
    let head = b"HTTP/1.0 200 OK\r\n\r\n";
    let mut t = open_tunnel().with_max_head(head.len());
    assert_eq!(t.handle_get_bytes(head), Ok(GetAnswer::Open { body: b"" }));
}

proptest! {
    #[test]
    fn arbitrary_bytes_never_panic(data in proptest::collection::vec(any::<u8>(), 0..512), room in 0usize..16, max in 0usize..600) {
        let mut d = Base64Decoder::new();
        let mut out = vec![0u8; room];
        let mut rest = &data[..];
        while let Ok(step) = d.decode(rest, &mut out) {
            prop_assert!(step.written <= room);
            if step.consumed == 0 {
                break;
            }
            rest = &rest[step.consumed..];
        }
        let _ = parse_request_head(&data, max);
    }

    #[test]
    fn encode_split_anywhere_decode_is_identity(
        messages in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..100), 0..5),
        cuts in proptest::collection::vec(any::<usize>(), 0..8),
        room in 3usize..40,
        spaces in any::<bool>(),
    ) {
        // Each message encoded on its own, with its own padding.
        let mut body = Vec::new();
        for m in &messages {
            body.extend_from_slice(&b64(m));
            if spaces {
                body.extend_from_slice(b"\r\n");
            }
        }
        let mut cuts: Vec<usize> = cuts.iter().map(|c| c % (body.len() + 1)).collect();
        cuts.sort_unstable();
        let mut chunks = Vec::new();
        let mut at = 0;
        for c in cuts {
            chunks.push(&body[at..c]);
            at = c;
        }
        chunks.push(&body[at..]);
        let decoded = decode_chunks(&chunks, room).unwrap();
        prop_assert_eq!(decoded, messages.concat());
    }

    #[test]
    fn arbitrary_get_answers_never_panic(
        data in proptest::collection::vec(any::<u8>(), 0..600),
        cuts in proptest::collection::vec(any::<usize>(), 0..6),
        max in 0usize..700,
    ) {
        let mut t = open_tunnel().with_max_head(max);
        let mut cuts: Vec<usize> = cuts.iter().map(|c| c % (data.len() + 1)).collect();
        cuts.sort_unstable();
        let mut at = 0;
        let mut body = 0;
        for c in cuts.into_iter().chain([data.len()]) {
            match t.handle_get_bytes(&data[at..c]) {
                Ok(GetAnswer::Open { body: b }) => body += b.len(),
                Ok(GetAnswer::Incomplete) => prop_assert!(!t.is_open()),
                Err(_) => prop_assert!(!t.is_open()),
            }
            at = c;
        }
        prop_assert!(body <= data.len());
        crate::fuzz::tunnel(&data);
    }

    #[test]
    fn session_bytes_through_the_post_decode_to_themselves(
        writes in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..200), 0..8),
        cut in any::<usize>(),
        room in 3usize..64,
    ) {
        let t = open_tunnel();
        let mut post = BytesMut::new();
        t.write_post_head(&mut post);
        let HeadStatus::Tunnel(r) = parse_request_head(&post, 16384).unwrap() else {
            panic!("a tunnel POST");
        };
        let head_len = r.head_len;
        for w in &writes {
            t.encode(w, &mut post);
        }
        let body = &post[head_len..];
        let cut = cut % (body.len() + 1);
        let decoded = decode_chunks(&[&body[..cut], &body[cut..]], room).unwrap();
        prop_assert_eq!(decoded, writes.concat());
    }

    #[test]
    fn written_heads_parse_back(
        target in "/[a-z0-9/_.]{0,40}",
        cookie in "[!-~]{1,128}",
        post in any::<bool>(),
    ) {
        let mut out = BytesMut::new();
        if post {
            write_post_request(&mut out, &target, "127.0.0.1:8080", &cookie).unwrap();
        } else {
            write_get_request(&mut out, &target, "127.0.0.1:8080", &cookie).unwrap();
        }
        let HeadStatus::Tunnel(r) = parse_request_head(&out, 16384).unwrap() else {
            panic!("a tunnel half");
        };
        let half = if post { TunnelHalf::Post } else { TunnelHalf::Get };
        prop_assert_eq!((r.half, r.target, r.cookie, r.head_len), (half, target.as_str(), cookie.as_str(), out.len()));
    }
}
