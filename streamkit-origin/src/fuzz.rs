//! Fuzz targets of this crate. The `fuzz/` crate at the repository root
//! calls them from libFuzzer; `tests/fuzz_smoke.rs` runs them over seeds on
//! every test run. Not part of the stable API.
//!
//! A failed assertion here is a bug in the origin layer.
// A broken invariant must stop the fuzzer with the input that broke it.
#![allow(clippy::panic)]

use std::collections::HashMap;
use std::time::{Duration, Instant};

use bytes::Bytes;
use streamkit_core::buffer::BufferList;

use crate::{
    Answer, Body, CacheControl, ChunkState, ContentRange, Decision, EntityTag, Method, Origin,
    OriginConfig, Output, PathPolicy, Request, RequestId, Response, Site, SiteRequest, TargetError,
};

/// The bytes of the full resource `a.bin`, in three buffers.
const PARTS: [&[u8]; 3] = [b"0123", b"4567", b"89"];

/// A site for the fuzz targets: `a.bin` (ten bytes in three buffers, with
/// an ETag), `empty` (no byte), `late` (held), `live` (streamed: up to
/// `chunks` chunks made, complete when `complete`), anything else `404`;
/// `names` for the sequence target.
#[derive(Debug, Default)]
struct FuzzSite {
    chunks: usize,
    complete: bool,
    names: HashMap<String, Name>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Name {
    Full,
    Growing { made: usize, complete: bool },
    Gone,
}

fn body_a() -> BufferList {
    let mut b = BufferList::new();
    for p in PARTS {
        b.push(Bytes::from_static(p));
    }
    b
}

fn chunk_of(i: usize) -> BufferList {
    BufferList::from(Bytes::from(vec![
        u8::try_from(i % 251).unwrap_or(0);
        1 + i % 3
    ]))
}

impl Site for FuzzSite {
    type Resource = String;

    fn decide(&mut self, _now: Instant, request: &SiteRequest<'_>) -> Decision<String> {
        let later = |ms| request.arrived + Duration::from_millis(ms);
        let ok = |body| Response::ok("application/octet-stream", CacheControl::Immutable, body);
        let stream = |name: &str| Decision::Stream {
            head: ok(BufferList::new()),
            resource: name.to_owned(),
            deadline: later(400),
        };
        match request.path {
            "a.bin" => Decision::Respond(
                ok(body_a())
                    .with_etag(EntityTag::text("a").unwrap_or_else(|_| EntityTag::strong(1))),
            ),
            "empty" => Decision::Respond(ok(BufferList::new())),
            "late" => Decision::Hold {
                deadline: later(300),
                on_expiry: Response::empty(503),
            },
            "live" => stream("live"),
            name => match self.names.get(name) {
                None if name.len() == 1 => Decision::Hold {
                    deadline: later(300),
                    on_expiry: Response::empty(404),
                },
                None | Some(Name::Gone) => Decision::Respond(Response::empty(404)),
                Some(Name::Full) => Decision::Respond(ok(body_a())),
                Some(Name::Growing { .. }) => stream(name),
            },
        }
    }

    fn chunk(&self, resource: &String, index: usize) -> ChunkState {
        let (made, complete) = match self.names.get(resource.as_str()) {
            Some(Name::Growing { made, complete }) => (*made, *complete),
            Some(Name::Full) => (0, true),
            Some(Name::Gone) => return ChunkState::Gone,
            None if resource == "live" => (self.chunks, self.complete),
            None => return ChunkState::Gone,
        };
        if index < made {
            // Every third chunk empty: the origin must skip it.
            if index % 3 == 2 {
                return ChunkState::Ready(BufferList::new());
            }
            ChunkState::Ready(chunk_of(index))
        } else if complete {
            ChunkState::End
        } else {
            ChunkState::Pending
        }
    }
}

/// A passing target's path has no empty, `.` or `..` segment, no NUL,
/// backslash, control byte or `%`.
fn check_policy(policy: &PathPolicy, target: &str) {
    match policy.parse(target) {
        Ok(t) => {
            let path = t.path();
            assert!(path.starts_with('/'), "{target:?}: {path:?} not absolute");
            assert!(
                !path
                    .bytes()
                    .any(|b| b == b'\\' || b == b'%' || b < 0x20 || b == 0x7f),
                "{target:?}: {path:?} has a refused byte"
            );
            if path != "/" {
                for s in path[1..].split('/') {
                    assert!(!matches!(s, "" | "." | ".."), "{target:?}: segment {s:?}");
                }
            }
            assert!(
                !t.query().bytes().any(|b| !(0x21..=0x7e).contains(&b)),
                "{target:?}: query"
            );
        }
        Err(e) => {
            assert!(
                e.offset() <= target.len().max(policy.max_len),
                "{e:?} past the end"
            );
            assert_eq!(
                e.status(),
                if matches!(e, TargetError::TooLong { .. }) {
                    414
                } else {
                    400
                }
            );
        }
    }
}

/// Every head field a valid field value; the declared length that of the
/// body; a `206` the slice it names.
fn check_response(response: &Response, method: Method) {
    for (name, value) in response.head_fields() {
        assert!(!name.is_empty(), "empty field name");
        assert!(
            !value
                .as_str()
                .bytes()
                .any(|b| b == b'\r' || b == b'\n' || b == 0),
            "{name}: {value:?}"
        );
    }
    if method == Method::Head {
        assert!(
            matches!(response.body, Body::Omitted { .. }),
            "HEAD with a body"
        );
    }
    if let Body::Full(body) = &response.body
        && !matches!(response.status, 204 | 304)
    {
        assert_eq!(response.content_length(), Some(body.len()));
    }
    match (response.status, response.content_range) {
        (
            206,
            Some(ContentRange::Bytes {
                first,
                last,
                complete_length,
            }),
        ) => {
            assert!(first <= last && last < complete_length);
            if let Body::Full(body) = &response.body {
                assert_eq!(body.len(), last - first + 1);
                if complete_length == 10 {
                    let whole = body_a().to_bytes();
                    assert_eq!(body.to_bytes(), whole.slice(first as usize..=last as usize));
                }
            }
        }
        (416, Some(ContentRange::Unsatisfied { .. })) => {}
        (206 | 416, other) => panic!("{} with {other:?}", response.status),
        (_, None) => {}
        (status, Some(c)) => panic!("{status} with {c:?}"),
    }
}

/// One request at `t0` (the virtual clock's origin: the caller's, as
/// the crate reads no clock): the first byte picks the method and policy;
/// the rest is the target, a newline, then `name: value` header lines.
/// Checks the path policy's promises and every answer (then drives a
/// pending one to its end).
pub fn request(t0: Instant, data: &[u8]) {
    let Some((&flags, rest)) = data.split_first() else {
        return;
    };
    let text = String::from_utf8_lossy(rest);
    let mut lines = text.split('\n');
    let target = lines.next().unwrap_or("");
    let method = match flags & 7 {
        0 | 5 => Method::Get,
        1 | 6 => Method::Head,
        2 => Method::Options,
        3 => Method::Post,
        _ => Method::Other,
    };
    let mut policy = PathPolicy::new(if flags & 0x40 != 0 { 64 } else { 1024 });
    if flags & 8 != 0 {
        policy = policy.with_percent_decoding();
    }
    check_policy(&policy, target);
    let mut request = Request::new(method, target);
    for line in lines {
        if let Some((name, value)) = line.split_once(':') {
            request.add_header(name.trim(), value.trim().as_bytes());
        }
    }
    if let Some(Ok(range)) = request.range() {
        let _ = range.resolve(10);
    }
    let mut config = OriginConfig::default()
        .with_path_policy(policy)
        .with_max_pending(1);
    if flags & 0x10 != 0 {
        config = config.accepting_post();
    }
    if flags & 0x20 != 0 {
        config.base_path = "/s/".into();
    }
    let site = FuzzSite {
        chunks: 1,
        ..FuzzSite::default()
    };
    let Ok(mut origin) = Origin::new(site, config) else {
        panic!("a valid base path refused");
    };
    match origin.handle_request(t0, &request) {
        Answer::Response(r) => check_response(&r, method),
        Answer::Pending(id) => {
            origin.site_mut().chunks = 4;
            origin.handle_change(t0 + Duration::from_millis(10));
            origin.handle_timeout(t0 + Duration::from_secs(10));
            let mut ledger = Ledger::default();
            ledger.issued(id);
            while let Some(o) = origin.poll_output() {
                if let Output::Response { response, .. } = &o {
                    check_response(response, method);
                }
                ledger.output(&o);
            }
            ledger.all_answered();
            assert_eq!(origin.pending_count(), 0);
        }
    }
}

/// The state of each request id in [`sequence`].
#[derive(Debug, Default)]
struct Ledger {
    states: HashMap<RequestId, Stage>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    Waiting,
    Streaming,
    Answered,
    Cancelled,
}

impl Ledger {
    fn issued(&mut self, id: RequestId) {
        assert!(
            self.states.insert(id, Stage::Waiting).is_none(),
            "{id} issued twice"
        );
    }

    fn output(&mut self, output: &Output) {
        let id = output.id();
        let Some(stage) = self.states.get_mut(&id) else {
            panic!("output for {id}, never issued");
        };
        *stage = match (*stage, output) {
            (Stage::Waiting, Output::Response { response, .. }) => {
                if matches!(response.body, Body::Chunked) {
                    Stage::Streaming
                } else {
                    Stage::Answered
                }
            }
            (Stage::Streaming, Output::Chunk { chunk, .. }) => {
                assert!(!chunk.is_empty(), "{id}: empty chunk");
                Stage::Streaming
            }
            (Stage::Streaming, Output::End { .. } | Output::Abort { .. }) => Stage::Answered,
            (stage, output) => panic!("{id} at {stage:?} got {output:?}"),
        };
    }

    fn cancelled(&mut self, id: RequestId) {
        if let Some(s) = self.states.get_mut(&id) {
            *s = Stage::Cancelled;
        }
    }

    fn open(&self) -> impl Iterator<Item = RequestId> + '_ {
        self.states
            .iter()
            .filter(|(_, s)| matches!(s, Stage::Waiting | Stage::Streaming))
            .map(|(id, _)| *id)
    }

    fn all_answered(&self) {
        if let Some(id) = self.open().next() {
            panic!("{id} never answered: {:?}", self.states.get(&id));
        }
    }
}

/// A sequence of requests, site changes, clock steps, cancels and a
/// finish, two bytes each: whatever the order, the pending requests stay
/// within the bound, every output belongs to a request that waits for it
/// in that stage, and once the clock passes every deadline each request
/// was answered exactly once (or cancelled). `t0` is the virtual clock's
/// origin.
pub fn sequence(t0: Instant, data: &[u8]) {
    const MAX: usize = 3;
    let config = OriginConfig::default().with_max_pending(MAX);
    let Ok(mut origin) = Origin::new(FuzzSite::default(), config) else {
        panic!("default config refused");
    };
    let mut now = t0;
    let mut ledger = Ledger::default();
    let names = ["a", "b", "c", "d", "live", "late", "a.bin", "x/y"];
    for op in data.chunks_exact(2) {
        let (kind, arg) = (op[0] % 6, op[1]);
        match kind {
            0 | 1 => {
                let name = names[usize::from(arg % 8)];
                let target = format!("/{name}");
                let method = if arg & 0x80 != 0 {
                    Method::Head
                } else {
                    Method::Get
                };
                if let Answer::Pending(id) =
                    origin.handle_request(now, &Request::new(method, &target))
                {
                    ledger.issued(id);
                }
            }
            2 => {
                let name = names[usize::from(arg % 4)].to_owned();
                let next = match (arg >> 2) % 4 {
                    0 => Name::Full,
                    1 => Name::Gone,
                    _ => match origin.site().names.get(&name) {
                        Some(Name::Growing { made, .. }) => Name::Growing {
                            made: made + 1,
                            complete: arg & 0x40 != 0,
                        },
                        _ => Name::Growing {
                            made: 1,
                            complete: false,
                        },
                    },
                };
                origin.site_mut().names.insert(name, next);
                origin.site_mut().chunks += 1;
                origin.handle_change(now);
            }
            3 => {
                now += Duration::from_millis(u64::from(arg) * 4);
                origin.handle_timeout(now);
            }
            4 => {
                let open: Vec<RequestId> = ledger.open().collect();
                if let Some(&id) = open.get(usize::from(arg) % open.len().max(1)) {
                    assert!(origin.cancel(id), "{id} open but not cancellable");
                    ledger.cancelled(id);
                }
            }
            _ => {
                if arg == 0 {
                    origin.finish();
                }
            }
        }
        assert!(
            origin.pending_count() <= MAX,
            "{} pending",
            origin.pending_count()
        );
        if let Some(t) = origin.poll_timeout() {
            assert!(t > now || origin.pending_count() > 0);
        }
        while let Some(o) = origin.poll_output() {
            ledger.output(&o);
        }
    }
    // Past every deadline: everything is answered.
    origin.handle_timeout(now + Duration::from_secs(3600));
    while let Some(o) = origin.poll_output() {
        ledger.output(&o);
    }
    ledger.all_answered();
    assert_eq!(origin.pending_count(), 0);
    assert_eq!(origin.poll_timeout(), None);
}
