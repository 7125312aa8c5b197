//! Fuzz target of this crate: reads an MPD from arbitrary bytes, checks
//! the writer's fixed point and walks the segments of every Representation.
//! The `fuzz/` crate at the repository root calls it from libFuzzer;
//! `tests/fuzz_smoke.rs` runs it over written MPDs and edge inputs on every
//! test run. Not part of the stable API.
//!
//! A failed assertion here is a bug in the reader, writer or resolver.
// A broken invariant must stop the fuzzer with the input that broke it.
#![allow(clippy::panic)]

use core::time::Duration;

use crate::mpd;
use crate::remote;
use crate::resolve::resolve;

/// The URL the fuzzed MPDs are taken to come from.
const MPD_URL: &str = "https://cdn.example/live/manifest.mpd";

/// A wall-clock time for dynamic MPDs: 2023-11-14T22:13:20Z.
const NOW: Duration = Duration::from_secs(1_700_000_000);

/// An MPD: what reads and writes reads back and writes the same text (the
/// written form is a fixed point); the segments of (up to 4x4x4)
/// Representations are numbered one after another and do not overlap in
/// time, each with a URL. The same bytes as a remote-element fragment:
/// at most one of the MPD and the Period readers accepts a document, and
/// every warning points into the text.
pub fn mpd(data: &[u8]) {
    if let Ok(text) = core::str::from_utf8(data) {
        let periods = remote::periods(text);
        let streams = remote::event_streams(text);
        let whole = mpd::parse_with_warnings(text);
        assert!(
            !(whole.is_ok() && periods.as_ref().is_ok_and(|(p, _)| !p.is_empty())),
            "one document read both as an MPD and as remote Periods"
        );
        let warnings = [
            periods.map(|(_, w)| w).unwrap_or_default(),
            streams.map(|(_, w)| w).unwrap_or_default(),
            whole.map(|(_, w)| w).unwrap_or_default(),
        ];
        for w in warnings.iter().flatten() {
            let mpd::MpdWarning::NegativePresentationTimeOffset { offset, value, .. } = w;
            assert!(
                text.get(*offset..)
                    .is_some_and(|t| t.trim_start().starts_with('-'))
                    && *value < 0,
                "warning points at the negative value: {w}"
            );
        }
    }
    let Ok(m) = mpd::parse_bytes(data) else {
        return;
    };
    if let Ok(text) = mpd::write(&m) {
        let Ok(again) = mpd::parse(&text) else {
            panic!("written MPD does not read back:\n{text}");
        };
        let rewritten = mpd::write(&again);
        assert!(
            rewritten.is_ok(),
            "read-back MPD does not write: {rewritten:?}"
        );
        if let Ok(rewritten) = rewritten {
            let third = mpd::parse(&rewritten).map(|m| mpd::write(&m));
            assert!(
                matches!(&third, Ok(Ok(t)) if *t == rewritten),
                "MPD text fixed point:\n{rewritten}"
            );
        }
    }
    for (pi, p) in m.periods.iter().enumerate().take(4) {
        for (ai, a) in p.adaptations.iter().enumerate().take(4) {
            for ri in 0..a.representations.len().min(4) {
                let Ok(rep) = resolve(&m, MPD_URL, pi, ai, ri, Some(NOW)) else {
                    continue;
                };
                let mut last: Option<(u64, u64)> = None;
                for s in rep.segments().take(300) {
                    let Ok(s) = s else { break };
                    assert!(!s.url.is_empty(), "segment without a URL");
                    if let Some((number, end)) = last {
                        assert_eq!(Some(s.number), number.checked_add(1), "segment numbers");
                        assert!(s.time >= end, "segments overlap");
                    }
                    last = Some((s.number, s.time.saturating_add(s.duration)));
                }
            }
        }
    }
}
