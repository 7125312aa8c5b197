//! Answering a request allocates nothing of the origin's own: the route,
//! the target check, the HTTP rules (CORS among them) and listing the head
//! add no allocation to what the site itself makes (here: the one list of
//! buffer handles it answers with). A range adds the one list of slices it
//! answers with.

#![allow(clippy::unwrap_used, clippy::panic)] // test code: a failure fails the test

mod support;

use std::time::Instant;

use bytes::Bytes;
use streamkit_core::buffer::BufferList;
use streamkit_origin::{
    Answer, CacheControl, ChunkState, Decision, Origin, OriginConfig, Request, Response, Router,
    Site, SiteRequest,
};
use support::t0;

/// One segment of 64 buffers; the answer clones its list (one `Vec`).
struct OneSegment(BufferList);

impl Site for OneSegment {
    type Resource = ();
    fn decide(&mut self, _: Instant, request: &SiteRequest<'_>) -> Decision<()> {
        Decision::Respond(if request.path == "seg.m4s" {
            Response::ok("video/mp4", CacheControl::Immutable, self.0.clone())
        } else {
            Response::empty(404)
        })
    }
    fn chunk(&self, _: &(), _: usize) -> ChunkState {
        ChunkState::Gone
    }
}

fn router() -> Router<Origin<OneSegment>> {
    let mut body = BufferList::new();
    for _ in 0..32 {
        body.push(Bytes::from_static(&[0u8; 24]));
        body.push(Bytes::from(vec![0x42u8; 4096]));
    }
    // A Bytes made from a Vec becomes shared on its first clone (one
    // allocation each): do that before measuring.
    drop(body.clone());
    let config = OriginConfig::default().with_base_path("/s/");
    let mut router = Router::new();
    router
        .insert_prefix("/s/", Origin::new(OneSegment(body), config).unwrap())
        .unwrap();
    router
}

/// Routes and answers `request`, lists its head; the status and the
/// bytes the head and body add up to.
fn serve(router: &mut Router<Origin<OneSegment>>, request: &Request<'_>) -> (u16, u64) {
    let route = router.route_mut(request.path()).unwrap();
    let Answer::Response(r) = route.value.handle_request(t0(), request) else {
        panic!("pending")
    };
    let head: usize = r
        .head_fields()
        .map(|(n, v)| n.len() + v.as_str().len())
        .sum();
    (r.status, head as u64 + r.content_length().unwrap_or(0))
}

#[test]
fn a_request_allocates_only_what_the_site_does() {
    let mut router = router();
    let site = allocation_counter::measure(|| {
        let list = router.route("/s/x").unwrap().value.site().0.clone();
        assert_eq!(list.buffers().len(), 64);
    });
    assert_eq!(site.count_total, 1, "the site's own clone");

    let request = Request::get("/s/seg.m4s").header("Origin", b"https://player.example");
    let info = allocation_counter::measure(|| {
        let (status, bytes) = serve(&mut router, &request);
        assert_eq!(status, 200);
        assert!(bytes > 32 * 4096);
    });
    assert_eq!(info.count_total, 1, "{info:?}");

    let request = Request::get("/s/seg.m4s").header("Range", b"bytes=1000-99999");
    let info = allocation_counter::measure(|| {
        let (status, bytes) = serve(&mut router, &request);
        assert_eq!(status, 206);
        assert!(bytes > 99_000);
    });
    assert_eq!(info.count_total, 2, "{info:?}");

    // A 404, a 304-less miss: only the site's empty response, no heap.
    let request = Request::get("/s/none");
    let info = allocation_counter::measure(|| {
        assert_eq!(serve(&mut router, &request).0, 404);
    });
    assert_eq!(info.count_total, 0, "{info:?}");
}
