//! A site for the tests: whole files, growing (live) resources, and names
//! that are expected (held until they appear); it records every decision
//! it makes. And a virtual clock.
#![allow(dead_code, unreachable_pub)] // each test binary uses a part, through `mod support`
#![allow(clippy::unwrap_used, clippy::panic)] // test code: a failure fails the test

use std::collections::HashMap;
use std::time::{Duration, Instant};

use bytes::Bytes;
use streamkit_core::buffer::BufferList;
use streamkit_origin::{
    Answer, CacheControl, ChunkState, Decision, EntityTag, Method, Origin, OriginConfig, Output,
    Response, Site, SiteRequest,
};

/// The virtual clock's origin (any instant: the origin reads no clock).
#[allow(clippy::disallowed_methods)] // the virtual clock starts at a real instant
pub fn t0() -> Instant {
    Instant::now()
}

pub fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// A live resource: its chunks so far.
#[derive(Debug, Clone, Default)]
pub struct Growing {
    pub chunks: Vec<BufferList>,
    pub complete: bool,
}

#[derive(Debug, Default)]
pub struct Shelf {
    /// Whole resources: body and ETag.
    pub files: HashMap<String, (BufferList, Option<EntityTag>)>,
    /// Live resources, streamed while incomplete.
    pub live: HashMap<String, Growing>,
    /// Names held until they appear, with how long to wait for them.
    pub expected: HashMap<String, Duration>,
    /// Every decision asked for: (path, method, arrival).
    pub decided: Vec<(String, Method, Instant)>,
    /// How long a stream may take, from its request's arrival.
    pub stream_for: Duration,
}

impl Shelf {
    pub fn new() -> Shelf {
        Shelf {
            stream_for: Duration::from_secs(4),
            ..Shelf::default()
        }
    }

    pub fn with_file(mut self, name: &str, body: BufferList) -> Shelf {
        self.files.insert(name.into(), (body, None));
        self
    }

    pub fn expect(mut self, name: &str, wait: Duration) -> Shelf {
        self.expected.insert(name.into(), wait);
        self
    }

    pub fn push_chunk(&mut self, name: &str, chunk: BufferList) {
        self.live.entry(name.into()).or_default().chunks.push(chunk);
    }
}

impl Site for Shelf {
    type Resource = String;

    fn decide(&mut self, _now: Instant, request: &SiteRequest<'_>) -> Decision<String> {
        self.decided
            .push((request.path.to_owned(), request.method, request.arrived));
        if let Some((body, etag)) = self.files.get(request.path) {
            let mut r = Response::ok("video/mp4", CacheControl::Immutable, body.clone());
            r.etag = etag.clone();
            return Decision::Respond(r);
        }
        if let Some(g) = self.live.get(request.path) {
            if g.complete {
                let mut body = BufferList::new();
                for c in &g.chunks {
                    body.append(c.clone());
                }
                return Decision::Respond(Response::ok("video/mp4", CacheControl::Immutable, body));
            }
            if !g.chunks.is_empty() {
                return Decision::Stream {
                    head: Response::ok("video/mp4", CacheControl::max_age(60), BufferList::new()),
                    resource: request.path.to_owned(),
                    deadline: request.arrived + self.stream_for,
                };
            }
        }
        if let Some(wait) = self.expected.get(request.path) {
            return Decision::Hold {
                deadline: request.arrived + *wait,
                on_expiry: Response::empty(404),
            };
        }
        Decision::Respond(Response::empty(404))
    }

    fn chunk(&self, resource: &String, index: usize) -> ChunkState {
        let Some(g) = self.live.get(resource) else {
            return ChunkState::Gone;
        };
        match g.chunks.get(index) {
            Some(c) => ChunkState::Ready(c.clone()),
            None if g.complete => ChunkState::End,
            None => ChunkState::Pending,
        }
    }
}

/// A body of `parts` as separate buffers.
pub fn buffers(parts: &[&'static [u8]]) -> BufferList {
    let mut b = BufferList::new();
    for p in parts {
        b.push(Bytes::from_static(p));
    }
    b
}

pub fn origin(site: Shelf) -> Origin<Shelf> {
    Origin::new(site, OriginConfig::default().with_base_path("/s/")).unwrap()
}

/// Everything `poll_output` has now.
pub fn drain(origin: &mut Origin<Shelf>) -> Vec<Output> {
    std::iter::from_fn(|| origin.poll_output()).collect()
}

/// The immediate response of an answer, or a panic.
pub fn now(answer: Answer) -> Response {
    match answer {
        Answer::Response(r) => r,
        Answer::Pending(id) => panic!("{id} pending, expected an answer now"),
    }
}

/// The id of a pending answer, or a panic.
pub fn pending(answer: Answer) -> streamkit_origin::RequestId {
    match answer {
        Answer::Pending(id) => id,
        Answer::Response(r) => panic!("answered {} at once, expected pending", r.status),
    }
}

/// The head fields as (name, value) strings.
pub fn head(r: &Response) -> Vec<(String, String)> {
    r.head_fields()
        .map(|(n, v)| (n.to_owned(), v.to_string()))
        .collect()
}

/// `(name, value)` pairs from string slices.
pub fn fields(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
        .collect()
}
