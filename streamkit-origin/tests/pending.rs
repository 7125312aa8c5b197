//! Held requests and chunked bodies on a virtual clock: one mechanism.
//! Release by a change and by a deadline, a hold that turns into a stream,
//! chunks in order then End, Abort when the resource is gone and at the
//! deadline, cancel, the bound on pending requests, arrival order, finish.

#![allow(clippy::unwrap_used, clippy::panic)] // test code: a failure fails the test

mod support;

use bytes::Bytes;
use streamkit_core::buffer::BufferList;
use streamkit_origin::{
    Answer, Body, ChunkState, Decision, Method, Origin, OriginConfig, Output, Request, Response,
    Site, SiteRequest,
};
use support::{Shelf, buffers, drain, ms, now, origin, pending, t0};

fn chunk(text: &'static [u8]) -> BufferList {
    BufferList::from(Bytes::from_static(text))
}

#[test]
fn a_held_request_is_released_by_a_change() {
    let t = t0();
    let mut o = origin(Shelf::new().expect("seg-5.m4s", ms(2000)));
    let id = pending(o.handle_request(t, &Request::get("/s/seg-5.m4s")));
    assert!(drain(&mut o).is_empty());
    assert_eq!((o.held_count(), o.streaming_count()), (1, 0));
    assert_eq!(o.poll_timeout(), Some(t + ms(2000)));

    // A change that does not make it: still held, same deadline.
    o.handle_change(t + ms(100));
    assert!(drain(&mut o).is_empty());
    assert_eq!(o.poll_timeout(), Some(t + ms(2000)));

    o.site_mut()
        .files
        .insert("seg-5.m4s".into(), (buffers(&[b"moof", b"mdat"]), None));
    o.handle_change(t + ms(700));
    let out = drain(&mut o);
    let [Output::Response { id: got, response }] = &out[..] else {
        panic!("{out:?}")
    };
    assert_eq!(*got, id);
    assert_eq!(response.status, 200);
    assert_eq!(response.body, Body::Full(buffers(&[b"moof", b"mdat"])));
    assert_eq!(
        response.access_control.allow_origin.as_deref(),
        Some("*"),
        "released answers get the CORS fields too"
    );
    assert_eq!((o.pending_count(), o.poll_timeout()), (0, None));
    // The site decided three times, always with the arrival time.
    let seen: Vec<_> = o.site().decided.iter().map(|d| d.2).collect();
    assert_eq!(seen, [t, t, t]);
    // Nothing more, whatever comes.
    o.handle_timeout(t + ms(5000));
    o.handle_change(t + ms(5000));
    assert!(drain(&mut o).is_empty());
}

#[test]
fn a_held_request_is_answered_at_its_deadline() {
    let t = t0();
    let mut o = origin(Shelf::new().expect("seg-5.m4s", ms(2000)));
    let id = pending(o.handle_request(t, &Request::get("/s/seg-5.m4s")));
    o.handle_timeout(t + ms(1999));
    assert!(drain(&mut o).is_empty());
    o.handle_timeout(t + ms(2000));
    let out = drain(&mut o);
    let [Output::Response { id: got, response }] = &out[..] else {
        panic!("{out:?}")
    };
    assert_eq!((*got, response.status), (id, 404));
    assert_eq!(o.pending_count(), 0);
}

#[test]
fn a_later_hold_replaces_the_deadline() {
    struct Extending;
    impl Site for Extending {
        type Resource = ();
        /// A second more at each decision, two at most.
        fn decide(&mut self, now: std::time::Instant, r: &SiteRequest<'_>) -> Decision<()> {
            Decision::Hold {
                deadline: (now + ms(1000)).min(r.arrived + ms(2000)),
                on_expiry: Response::empty(503),
            }
        }
        fn chunk(&self, _: &(), _: usize) -> ChunkState {
            ChunkState::Gone
        }
    }
    let t = t0();
    let mut o = Origin::new(Extending, OriginConfig::default()).unwrap();
    let _id = pending(o.handle_request(t, &Request::get("/x")));
    assert_eq!(o.poll_timeout(), Some(t + ms(1000)));
    o.handle_change(t + ms(600));
    assert_eq!(o.poll_timeout(), Some(t + ms(1600)));
    o.handle_timeout(t + ms(1000));
    assert!(drain_any(&mut o).is_empty());
    // A site that holds with a deadline already past answers at once.
    o.handle_change(t + ms(3000));
    let out = drain_any(&mut o);
    assert!(
        matches!(&out[..], [Output::Response { response, .. }] if response.status == 503),
        "{out:?}"
    );
}

fn drain_any<S: Site>(o: &mut Origin<S>) -> Vec<Output> {
    std::iter::from_fn(|| o.poll_output()).collect()
}

#[test]
fn a_hold_turns_into_a_stream_chunk_by_chunk() {
    let t = t0();
    let mut o = origin(Shelf::new().expect("seg-9.m4s", ms(2000)));
    let id = pending(o.handle_request(t, &Request::get("/s/seg-9.m4s")));
    assert!(drain(&mut o).is_empty());

    let first = chunk(b"moof+mdat 0");
    o.change_site(t + ms(300), |s| s.push_chunk("seg-9.m4s", first.clone()));
    let out = drain(&mut o);
    let [
        Output::Response {
            id: head_id,
            response,
        },
        Output::Chunk {
            id: chunk_id,
            chunk: got,
        },
    ] = &out[..]
    else {
        panic!("{out:?}")
    };
    assert_eq!((*head_id, *chunk_id), (id, id));
    assert_eq!((response.status, &response.body), (200, &Body::Chunked));
    assert_eq!(response.content_length(), None);
    // The chunk is the site's buffer, not a copy.
    assert_eq!(got.buffers()[0].as_ptr(), first.buffers()[0].as_ptr());
    // The stream's deadline counts from the arrival, not the change.
    assert_eq!(o.poll_timeout(), Some(t + ms(4000)));
    assert_eq!((o.held_count(), o.streaming_count()), (0, 1));

    o.change_site(t + ms(500), |s| {
        s.push_chunk("seg-9.m4s", chunk(b"moof+mdat 1"))
    });
    o.change_site(t + ms(700), |s| {
        s.push_chunk("seg-9.m4s", chunk(b"moof+mdat 2"));
        s.live.get_mut("seg-9.m4s").unwrap().complete = true;
    });
    let out = drain(&mut o);
    assert_eq!(
        out,
        [
            Output::Chunk {
                id,
                chunk: chunk(b"moof+mdat 1")
            },
            Output::Chunk {
                id,
                chunk: chunk(b"moof+mdat 2")
            },
            Output::End { id },
        ]
    );
    assert_eq!((o.pending_count(), o.poll_timeout()), (0, None));
}

#[test]
fn a_stream_sends_what_is_made_at_once_then_the_rest_in_order() {
    let t = t0();
    let mut site = Shelf::new();
    for c in [&b"c0"[..], b"c1"] {
        site.push_chunk("live.m4s", BufferList::from(Bytes::from_static(c)));
    }
    let mut o = origin(site);
    let id = pending(o.handle_request(t, &Request::get("/s/live.m4s")));
    let out = drain(&mut o);
    assert_eq!(out.len(), 3, "{out:?}");
    assert!(matches!(&out[0], Output::Response { response, .. } if response.body == Body::Chunked));
    assert_eq!(
        out[1],
        Output::Chunk {
            id,
            chunk: chunk(b"c0")
        }
    );
    assert_eq!(
        out[2],
        Output::Chunk {
            id,
            chunk: chunk(b"c1")
        }
    );
    // An empty chunk is never sent: it would end an HTTP/1.1 body.
    o.change_site(t + ms(10), |s| s.push_chunk("live.m4s", BufferList::new()));
    assert!(drain(&mut o).is_empty());
    o.change_site(t + ms(20), |s| {
        s.push_chunk("live.m4s", chunk(b"c3"));
        s.live.get_mut("live.m4s").unwrap().complete = true;
    });
    assert_eq!(
        drain(&mut o),
        [
            Output::Chunk {
                id,
                chunk: chunk(b"c3")
            },
            Output::End { id }
        ]
    );
}

#[test]
fn a_stream_is_aborted_when_its_resource_is_gone() {
    let t = t0();
    let mut site = Shelf::new();
    site.push_chunk("live.m4s", chunk(b"c0"));
    let mut o = origin(site);
    let id = pending(o.handle_request(t, &Request::get("/s/live.m4s")));
    assert_eq!(drain(&mut o).len(), 2);
    o.change_site(t + ms(100), |s| s.live.remove("live.m4s"));
    assert_eq!(drain(&mut o), [Output::Abort { id }]);
    assert_eq!((o.pending_count(), o.poll_timeout()), (0, None));
}

#[test]
fn a_stream_is_aborted_at_its_deadline_unless_complete() {
    let t = t0();
    let mut site = Shelf::new();
    site.push_chunk("a.m4s", chunk(b"a0"));
    site.push_chunk("b.m4s", chunk(b"b0"));
    let mut o = origin(site);
    let a = pending(o.handle_request(t, &Request::get("/s/a.m4s")));
    let b = pending(o.handle_request(t + ms(1), &Request::get("/s/b.m4s")));
    assert_eq!(drain(&mut o).len(), 4);
    assert_eq!(o.poll_timeout(), Some(t + ms(4000)));
    // b completes in the site, but nobody said so: its deadline finds it
    // complete and ends it; a is cut off.
    o.site_mut().live.get_mut("b.m4s").unwrap().complete = true;
    o.handle_timeout(t + ms(3999));
    assert!(drain(&mut o).is_empty());
    o.handle_timeout(t + ms(4000));
    assert_eq!(drain(&mut o), [Output::Abort { id: a }]);
    assert_eq!(o.poll_timeout(), Some(t + ms(4001)));
    o.handle_timeout(t + ms(4001));
    assert_eq!(drain(&mut o), [Output::End { id: b }]);
    assert_eq!(o.pending_count(), 0);
}

#[test]
fn a_change_past_a_deadline_ends_what_is_late() {
    let t = t0();
    let mut site = Shelf::new().expect("held.m4s", ms(1000));
    site.push_chunk("live.m4s", chunk(b"c0"));
    let mut o = origin(site);
    let held = pending(o.handle_request(t, &Request::get("/s/held.m4s")));
    let live = pending(o.handle_request(t, &Request::get("/s/live.m4s")));
    drain(&mut o);
    o.change_site(t + ms(5000), |s| s.push_chunk("live.m4s", chunk(b"c1")));
    let out = drain(&mut o);
    assert_eq!(out.len(), 3, "{out:?}");
    assert!(
        matches!(&out[0], Output::Response { id, response } if *id == held && response.status == 404)
    );
    assert_eq!(
        out[1],
        Output::Chunk {
            id: live,
            chunk: chunk(b"c1")
        }
    );
    assert_eq!(out[2], Output::Abort { id: live });
}

#[test]
fn cancel_forgets_a_request_and_what_was_queued() {
    let t = t0();
    let mut site = Shelf::new().expect("late", ms(1000));
    site.push_chunk("live.m4s", chunk(b"c0"));
    let mut o = origin(site);
    let held = pending(o.handle_request(t, &Request::get("/s/late")));
    assert!(o.cancel(held));
    assert!(!o.cancel(held), "a second cancel has nothing to forget");
    o.site_mut()
        .files
        .insert("late".into(), (buffers(&[b"x"]), None));
    o.handle_change(t + ms(10));
    o.handle_timeout(t + ms(2000));
    assert!(drain(&mut o).is_empty());

    // A stream cancelled before its queued head and chunk were polled.
    let live = pending(o.handle_request(t + ms(20), &Request::get("/s/live.m4s")));
    assert!(o.cancel(live));
    assert!(drain(&mut o).is_empty());
    o.change_site(t + ms(30), |s| s.push_chunk("live.m4s", chunk(b"c1")));
    assert!(drain(&mut o).is_empty());
    assert_eq!((o.pending_count(), o.poll_timeout()), (0, None));
}

#[test]
fn holds_and_streams_beyond_the_bound_get_503() {
    let t = t0();
    let mut site = Shelf::new()
        .expect("a", ms(1000))
        .expect("b", ms(1000))
        .with_file("f", buffers(&[b"file"]));
    site.push_chunk("live", chunk(b"c0"));
    let config = OriginConfig::default().with_max_pending(2);
    let mut o = Origin::new(site, config).unwrap();
    let _a = pending(o.handle_request(t, &Request::get("/a")));
    let _live = pending(o.handle_request(t, &Request::get("/live")));
    assert_eq!(now(o.handle_request(t, &Request::get("/b"))).status, 503);
    assert_eq!(now(o.handle_request(t, &Request::get("/live"))).status, 503);
    // Immediate answers are not bounded.
    assert_eq!(now(o.handle_request(t, &Request::get("/f"))).status, 200);
    assert_eq!(o.pending_count(), 2);
    drain_any(&mut o);
    // One answered (its deadline), one place free again.
    o.handle_timeout(t + ms(1000));
    assert_eq!(drain_any(&mut o).len(), 1);
    let _b = pending(o.handle_request(t + ms(1000), &Request::get("/b")));
    assert_eq!(o.pending_count(), 2);
}

#[test]
fn held_requests_are_decided_again_in_arrival_order() {
    let t = t0();
    let mut o = origin(
        Shelf::new()
            .expect("x", ms(1000))
            .expect("y", ms(1000))
            .expect("z", ms(1000)),
    );
    let ids: Vec<_> = [("z", 0), ("x", 1), ("y", 2), ("x", 3)]
        .iter()
        .map(|(name, at)| {
            pending(o.handle_request(t + ms(*at), &Request::get(&format!("/s/{name}"))))
        })
        .collect();
    o.site_mut().decided.clear();
    o.change_site(t + ms(10), |s| {
        for name in ["x", "y", "z"] {
            s.files.insert(name.into(), (buffers(&[b"!"]), None));
        }
    });
    let released: Vec<_> = drain(&mut o).iter().map(Output::id).collect();
    assert_eq!(released, ids);
    let decided: Vec<_> = o
        .site()
        .decided
        .iter()
        .map(|(p, _, at)| (p.as_str(), *at))
        .collect();
    assert_eq!(
        decided,
        [
            ("z", t),
            ("x", t + ms(1)),
            ("y", t + ms(2)),
            ("x", t + ms(3))
        ]
    );
}

#[test]
fn a_held_request_keeps_its_method_and_fields() {
    let t = t0();
    let mut o = origin(Shelf::new().expect("a", ms(1000)).expect("b", ms(1000)));
    let head = pending(o.handle_request(t, &Request::head("/s/a")));
    let ranged = pending(o.handle_request(t, &Request::get("/s/b").header("Range", b"bytes=2-3")));
    assert_eq!(o.site().decided[0].1, Method::Head);
    o.change_site(t + ms(5), |s| {
        s.files.insert("a".into(), (buffers(&[b"abcdef"]), None));
        s.files.insert("b".into(), (buffers(&[b"abcdef"]), None));
    });
    let out = drain(&mut o);
    let [
        Output::Response {
            id: i1,
            response: r1,
        },
        Output::Response {
            id: i2,
            response: r2,
        },
    ] = &out[..]
    else {
        panic!("{out:?}")
    };
    assert_eq!((*i1, *i2), (head, ranged));
    assert_eq!(r1.status, 200);
    assert_eq!(
        r1.body,
        Body::Omitted {
            content_length: Some(6)
        }
    );
    assert_eq!(r2.status, 206);
    assert_eq!(r2.body, Body::Full(buffers(&[b"cd"])));
}

#[test]
fn a_head_of_a_stream_is_answered_at_once() {
    let t = t0();
    let mut site = Shelf::new().expect("later", ms(1000));
    site.push_chunk("live", chunk(b"c0"));
    let mut o = origin(site);
    let r = now(o.handle_request(t, &Request::head("/s/live")));
    assert_eq!(
        (r.status, r.body),
        (
            200,
            Body::Omitted {
                content_length: None
            }
        )
    );
    assert_eq!(o.pending_count(), 0);
    // Held, then the site streams it: the head is the answer.
    let id = pending(o.handle_request(t, &Request::head("/s/later")));
    o.change_site(t + ms(1), |s| s.push_chunk("later", chunk(b"x")));
    let out = drain(&mut o);
    assert!(
        matches!(&out[..], [Output::Response { id: i, response }]
            if *i == id && response.body == (Body::Omitted { content_length: None })),
        "{out:?}"
    );
    assert_eq!(o.pending_count(), 0);
}

#[test]
fn a_chunked_response_without_a_stream_is_a_500() {
    struct Broken;
    impl Site for Broken {
        type Resource = ();
        fn decide(&mut self, _: std::time::Instant, _: &SiteRequest<'_>) -> Decision<()> {
            Decision::Respond(Response::new(200, Body::Chunked))
        }
        fn chunk(&self, _: &(), _: usize) -> ChunkState {
            ChunkState::End
        }
    }
    let mut o = Origin::new(Broken, OriginConfig::default()).unwrap();
    let r = now(o.handle_request(t0(), &Request::get("/x")));
    assert_eq!((r.status, r.content_length()), (500, Some(0)));
}

#[test]
fn a_hold_whose_deadline_has_passed_is_answered_at_once() {
    let t = t0();
    let mut o = origin(Shelf::new().expect("x", ms(0)));
    assert_eq!(now(o.handle_request(t, &Request::get("/s/x"))).status, 404);
    assert_eq!(o.pending_count(), 0);
}

#[test]
fn finish_answers_the_held_and_lets_streams_end() {
    let t = t0();
    let mut site = Shelf::new().expect("x", ms(1000));
    site.push_chunk("live", chunk(b"c0"));
    let mut o = origin(site);
    let held = pending(o.handle_request(t, &Request::get("/s/x")));
    let live = pending(o.handle_request(t, &Request::get("/s/live")));
    drain(&mut o);
    o.finish();
    assert!(o.is_finished());
    let out = drain(&mut o);
    assert!(
        matches!(&out[..], [Output::Response { id, response }] if *id == held && response.status == 404),
        "{out:?}"
    );
    // Later: a hold gets its expiry answer at once, a stream 503, a file 200.
    assert_eq!(now(o.handle_request(t, &Request::get("/s/x"))).status, 404);
    assert_eq!(
        now(o.handle_request(t, &Request::get("/s/live"))).status,
        503
    );
    o.finish();
    assert!(drain(&mut o).is_empty(), "a second finish does nothing");
    o.change_site(t + ms(10), |s| {
        s.live.get_mut("live").unwrap().complete = true
    });
    assert_eq!(drain(&mut o), [Output::End { id: live }]);
    assert_eq!(o.pending_count(), 0);
}

#[test]
fn ids_are_unique_and_opaque() {
    let t = t0();
    let mut o = origin(Shelf::new().expect("x", ms(1000)));
    let a = pending(o.handle_request(t, &Request::get("/s/x")));
    let b = pending(o.handle_request(t, &Request::get("/s/x")));
    assert_ne!(a, b);
    assert_eq!(a.to_string(), "#0");
    let _: Answer = o.handle_request(t, &Request::get("/s/none"));
}

#[test]
fn boxed_sites_of_different_kinds_share_one_router() {
    struct Fixed(u16);
    impl Site for Fixed {
        type Resource = String;
        fn decide(&mut self, _: std::time::Instant, _: &SiteRequest<'_>) -> Decision<String> {
            Decision::Respond(Response::empty(self.0))
        }
        fn chunk(&self, _: &String, _: usize) -> ChunkState {
            ChunkState::Gone
        }
    }
    type Mount = Origin<Box<dyn Site<Resource = String>>>;
    let mut router: streamkit_origin::Router<Mount> = streamkit_origin::Router::new();
    let shelf: Box<dyn Site<Resource = String>> =
        Box::new(Shelf::new().with_file("f", buffers(&[b"x"])));
    let fixed: Box<dyn Site<Resource = String>> = Box::new(Fixed(410));
    for (base, site) in [("/a/", shelf), ("/b/", fixed)] {
        let origin = Origin::new(site, OriginConfig::default().with_base_path(base)).unwrap();
        router.insert_prefix(base, origin).unwrap();
    }
    let mut status = |path: &str| {
        let route = router.route_mut(path).unwrap();
        now(route.value.handle_request(t0(), &Request::get(path))).status
    };
    assert_eq!((status("/a/f"), status("/b/f")), (200, 410));
}
