//! The HTTP origin layer's request handling: a request target and its
//! header fields in, through a router of 100 mounts to one origin, its
//! path policy, the site's decision, the HTTP rules (ranges, validators,
//! CORS), and the response head listed as it would be written.
//!
//! `cargo bench --bench origin`
//!
//! No peer is measured beside it: there is no Sans-IO HTTP origin crate to
//! compare with, and the whole server (sockets, hyper, writes) is measured
//! beside nginx by `scripts/bench-serve.sh`. What this bench guards is that
//! the layer stays a small share of a request's cost.
#![allow(clippy::unwrap_used, clippy::disallowed_methods)] // fixed inputs; the clock only starts the virtual one

use std::collections::HashMap;
use std::hint::black_box;
use std::time::Instant;

use bytes::Bytes;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use streamkit::core::buffer::BufferList;
use streamkit::origin::{
    Answer, CacheControl, ChunkState, Decision, Origin, OriginConfig, Request, Response, Router,
    Site, SiteRequest,
};

/// A VOD mount: 60 segments of 64 buffers each (fMP4 box headers and
/// samples), looked up by name.
struct Segments(HashMap<String, BufferList>);

impl Site for Segments {
    type Resource = ();

    fn decide(&mut self, _now: Instant, request: &SiteRequest<'_>) -> Decision<()> {
        Decision::Respond(match self.0.get(request.path) {
            Some(body) => Response::ok("video/mp4", CacheControl::Immutable, body.clone()),
            None => Response::empty(404),
        })
    }

    fn chunk(&self, _: &(), _: usize) -> ChunkState {
        ChunkState::Gone
    }
}

fn mount() -> Segments {
    let sample = Bytes::from(vec![0x42u8; 8 * 1024]);
    let header = Bytes::from_static(&[0u8; 24]);
    let segments = (0..60)
        .map(|i| {
            let mut body = BufferList::new();
            for _ in 0..32 {
                body.push(header.clone());
                body.push(sample.clone());
            }
            (format!("video/seg-{i}.m4s"), body)
        })
        .collect();
    Segments(segments)
}

fn router() -> Router<Origin<Segments>> {
    let mut router = Router::new();
    for i in 0..100 {
        let base = format!("/vod/stream-{i}/");
        let config = OriginConfig::default().with_base_path(base.clone());
        router
            .insert_prefix(base, Origin::new(mount(), config).unwrap())
            .unwrap();
    }
    router
}

/// Routes and answers one request; the head's field count and the body's
/// length, so nothing is optimised away.
fn serve(
    router: &mut Router<Origin<Segments>>,
    now: Instant,
    request: &Request<'_>,
) -> (usize, u64) {
    let route = router.route_mut(request.path()).unwrap();
    let Answer::Response(response) = route.value.handle_request(now, request) else {
        unreachable!("the site answers at once")
    };
    let fields = response
        .head_fields()
        .map(|(n, v)| n.len() + v.as_str().len())
        .sum();
    (fields, response.content_length().unwrap_or(0))
}

fn bench_requests(c: &mut Criterion) {
    let mut router = router();
    let now = Instant::now();
    let mut g = c.benchmark_group("origin_request");
    g.throughput(Throughput::Elements(1));
    g.bench_function("get_200_segment", |b| {
        b.iter(|| {
            let request = Request::get(black_box("/vod/stream-57/video/seg-31.m4s"))
                .header("User-Agent", b"bench")
                .header("Origin", b"https://player.example");
            serve(&mut router, now, &request)
        })
    });
    g.bench_function("get_206_range", |b| {
        b.iter(|| {
            let request = Request::get(black_box("/vod/stream-57/video/seg-31.m4s"))
                .header("Range", black_box(b"bytes=100000-199999"));
            serve(&mut router, now, &request)
        })
    });
    g.bench_function("get_404_unknown", |b| {
        b.iter(|| {
            let request = Request::get(black_box("/vod/stream-57/video/seg-99.m4s"));
            serve(&mut router, now, &request)
        })
    });
    g.bench_function("get_400_traversal", |b| {
        b.iter(|| {
            let request = Request::get(black_box("/vod/stream-57/../../etc/passwd"));
            serve(&mut router, now, &request)
        })
    });
    g.finish();
}

criterion_group!(benches, bench_requests);
criterion_main!(benches);
