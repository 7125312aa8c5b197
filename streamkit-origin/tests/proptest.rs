//! Properties: arbitrary targets and Range fields never panic, what the
//! path policy passes is a plain name, ranges give exactly the bytes they
//! name; and any interleaving of requests, site changes, clock steps and
//! cancels keeps the pending requests within the bound and answers every
//! request exactly once.

#![allow(clippy::unwrap_used, clippy::panic)] // test code: a failure fails the test

mod support;

use std::collections::HashMap;
use std::time::Duration;

use bytes::Bytes;
use proptest::prelude::*;
use streamkit_core::buffer::BufferList;
use streamkit_origin::{
    Answer, Body, Method, Origin, OriginConfig, Output, PathPolicy, Request, RequestId,
};
use support::{Growing, Shelf, t0};

fn policies() -> [PathPolicy; 2] {
    [
        PathPolicy::default(),
        PathPolicy::default().with_percent_decoding(),
    ]
}

/// Targets made of the bytes that matter to the policy, and anything.
fn target() -> impl Strategy<Value = String> {
    prop_oneof![
        proptest::collection::vec(
            prop_oneof![
                Just("/".to_owned()),
                Just(".".to_owned()),
                Just("..".to_owned()),
                Just("%2e".to_owned()),
                Just("%2F".to_owned()),
                Just("%".to_owned()),
                Just("\\".to_owned()),
                Just("\0".to_owned()),
                Just("?".to_owned()),
                Just("a".to_owned()),
                Just("seg.m4s".to_owned()),
                "[ -~]{0,3}",
                any::<char>().prop_map(String::from),
            ],
            0..12
        )
        .prop_map(|parts| parts.concat()),
        any::<String>(),
    ]
}

proptest! {
    #[test]
    fn what_the_policy_passes_is_a_plain_name(target in target()) {
        for policy in policies() {
            match policy.parse(&target) {
                Ok(t) => {
                    let path = t.path();
                    prop_assert!(path.starts_with('/'));
                    prop_assert!(!path.contains('\0') && !path.contains('\\') && !path.contains('%'));
                    prop_assert!(!path.chars().any(char::is_control));
                    if path != "/" {
                        for segment in path[1..].split('/') {
                            prop_assert!(!matches!(segment, "" | "." | ".."), "{target:?} gave {path:?}");
                        }
                    }
                    prop_assert!(t.query().bytes().all(|b| (0x21..=0x7e).contains(&b)));
                }
                Err(e) => {
                    prop_assert!(e.offset() <= target.len().max(policy.max_len));
                    prop_assert!(matches!(e.status(), 400 | 414));
                }
            }
        }
    }

    #[test]
    fn arbitrary_requests_never_panic_and_reach_the_site_clean(
        target in target(),
        range in proptest::collection::vec(any::<u8>(), 0..24),
        method in 0u8..5,
    ) {
        let method = [Method::Get, Method::Head, Method::Options, Method::Post, Method::Other][usize::from(method)];
        let mut o = support::origin(Shelf::new().with_file("seg.m4s", support::buffers(&[b"0123", b"4567", b"89"])));
        let request = Request::new(method, &target).header("Range", &range).header("If-None-Match", &range);
        let answer = o.handle_request(t0(), &request);
        let Answer::Response(r) = answer else {
            return Err(TestCaseError::fail("this site answers at once"));
        };
        for (_, value) in r.head_fields() {
            prop_assert!(!value.as_str().contains(['\r', '\n']));
        }
        for (path, _, _) in &o.site().decided {
            prop_assert!(!path.split('/').any(|s| s == ".." || s == "."));
            prop_assert!(!path.contains(['\0', '\\', '%']));
        }
    }

    #[test]
    fn a_range_gives_exactly_its_bytes(
        parts in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..20), 0..6),
        first in 0u64..80,
        len in 0u64..80,
        form in 0u8..3,
    ) {
        let mut body = BufferList::new();
        for p in &parts {
            body.push(Bytes::from(p.clone()));
        }
        let whole = body.to_bytes();
        let total = whole.len() as u64;
        let mut shelf = Shelf::new();
        shelf.files.insert("f".into(), (body, None));
        let mut o = support::origin(shelf);
        let field = match form {
            0 => format!("bytes={first}-{}", first + len),
            1 => format!("bytes={first}-"),
            _ => format!("bytes=-{len}"),
        };
        let r = support::now(o.handle_request(t0(), &Request::get("/s/f").header("Range", field.as_bytes())));
        let expected = match form {
            0 => (first < total).then(|| (first, (first + len).min(total - 1))),
            1 => (first < total).then(|| (first, total - 1)),
            _ => (len > 0 && total > 0).then(|| (total.saturating_sub(len), total - 1)),
        };
        match expected {
            Some((a, b)) => {
                prop_assert_eq!(r.status, 206);
                let Body::Full(got) = &r.body else { return Err(TestCaseError::fail("no body")) };
                prop_assert_eq!(got.to_bytes(), whole.slice(a as usize..=b as usize));
                prop_assert_eq!(r.content_length(), Some(b - a + 1));
            }
            None => {
                prop_assert_eq!(r.status, 416);
                prop_assert_eq!(r.content_length(), Some(0));
            }
        }
    }
}

/// One step of an interleaving.
#[derive(Debug, Clone)]
enum Step {
    /// A request for name `n` (`head`: a HEAD).
    Request { name: usize, head: bool },
    /// The site changes name `n`: appears whole, gets a chunk, completes,
    /// or goes.
    Change { name: usize, how: u8 },
    /// The clock moves on, then timeouts are handled.
    Wait { ms: u64 },
    /// The `k`-th open request's client goes away.
    Cancel { k: usize },
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        3 => (0usize..5, any::<bool>()).prop_map(|(name, head)| Step::Request { name, head }),
        2 => (0usize..5, 0u8..4).prop_map(|(name, how)| Step::Change { name, how }),
        2 => (0u64..1500).prop_map(|ms| Step::Wait { ms }),
        1 => (0usize..8).prop_map(|k| Step::Cancel { k }),
    ]
}

const NAMES: [&str; 5] = ["a", "b", "c", "d", "e"];
const BOUND: usize = 4;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    Waiting,
    Streaming,
    Answered,
    Cancelled,
}

fn record(stages: &mut HashMap<RequestId, Stage>, output: &Output) -> Result<(), TestCaseError> {
    let id = output.id();
    let Some(stage) = stages.get_mut(&id) else {
        return Err(TestCaseError::fail(format!("output for unknown {id}")));
    };
    *stage = match (*stage, output) {
        (Stage::Waiting, Output::Response { response, .. }) if response.body == Body::Chunked => {
            Stage::Streaming
        }
        (Stage::Waiting, Output::Response { .. }) => Stage::Answered,
        (Stage::Streaming, Output::Chunk { chunk, .. }) if !chunk.is_empty() => Stage::Streaming,
        (Stage::Streaming, Output::End { .. } | Output::Abort { .. }) => Stage::Answered,
        (stage, output) => {
            return Err(TestCaseError::fail(format!(
                "{id} at {stage:?} got {output:?}"
            )));
        }
    };
    Ok(())
}

proptest! {
    #[test]
    fn any_interleaving_stays_bounded_and_answers_each_request_once(
        steps in proptest::collection::vec(step(), 0..60)
    ) {
        let mut shelf = Shelf::new();
        shelf.stream_for = Duration::from_millis(2500);
        for name in NAMES {
            shelf.expected.insert(name.into(), Duration::from_millis(1000));
        }
        let config = OriginConfig::default().with_max_pending(BOUND);
        let mut o = Origin::new(shelf, config).unwrap();
        let t = t0();
        let mut now = t;
        let mut stages: HashMap<RequestId, Stage> = HashMap::new();
        let mut arrivals: Vec<RequestId> = Vec::new();
        for step in steps {
            match step {
                Step::Request { name, head } => {
                    let target = format!("/{}", NAMES[name]);
                    let method = if head { Method::Head } else { Method::Get };
                    match o.handle_request(now, &Request::new(method, &target)) {
                        Answer::Pending(id) => {
                            prop_assert!(stages.insert(id, Stage::Waiting).is_none());
                            arrivals.push(id);
                        }
                        Answer::Response(r) => {
                            prop_assert!(r.body != Body::Chunked, "a chunked body needs an id");
                        }
                    }
                }
                Step::Change { name, how } => {
                    let name = NAMES[name].to_owned();
                    o.change_site(now, |s| match how {
                        0 => {
                            s.files.insert(name, (support::buffers(&[b"whole"]), None));
                        }
                        1 => s.push_chunk(&name, BufferList::from(Bytes::from_static(b"chunk"))),
                        2 => {
                            s.live.entry(name).or_insert_with(Growing::default).complete = true;
                        }
                        _ => {
                            s.files.remove(&name);
                            s.live.remove(&name);
                        }
                    });
                }
                Step::Wait { ms } => {
                    now += Duration::from_millis(ms);
                    o.handle_timeout(now);
                }
                Step::Cancel { k } => {
                    let open: Vec<RequestId> = arrivals
                        .iter()
                        .copied()
                        .filter(|id| matches!(stages.get(id), Some(Stage::Waiting | Stage::Streaming)))
                        .collect();
                    if let Some(&id) = open.get(k % open.len().max(1)) {
                        prop_assert!(o.cancel(id));
                        stages.insert(id, Stage::Cancelled);
                    }
                }
            }
            prop_assert!(o.pending_count() <= BOUND);
            while let Some(output) = o.poll_output() {
                record(&mut stages, &output)?;
            }
            // Whatever is still open is pending in the origin, and the
            // reverse.
            let open = stages.values().filter(|s| matches!(s, Stage::Waiting | Stage::Streaming)).count();
            prop_assert_eq!(open, o.pending_count());
        }
        // Every deadline passed: every request answered, exactly once.
        o.handle_timeout(now + Duration::from_secs(60));
        while let Some(output) = o.poll_output() {
            record(&mut stages, &output)?;
        }
        for (id, stage) in &stages {
            prop_assert!(matches!(stage, Stage::Answered | Stage::Cancelled), "{} left {:?}", id, stage);
        }
        prop_assert_eq!(o.pending_count(), 0);
        prop_assert_eq!(o.poll_timeout(), None);
    }
}
