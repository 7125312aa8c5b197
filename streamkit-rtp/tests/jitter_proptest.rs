//! Property test for the jitter buffer: whatever the arrival order, drops
//! and copies, every sequence number comes out exactly once, either as a
//! packet or inside a lost range, in order; and every packet that arrived
//! in time comes out as a packet.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may fail loudly

use proptest::prelude::*;
use std::time::{Duration, Instant};
use streamkit_core::time::{SequenceNumber, Wrapping};
use streamkit_rtp::jitter::{JitterBuffer, JitterConfig, PushOutcome, Released};

#[allow(clippy::disallowed_methods)] // the virtual clock starts at a real instant
fn origin() -> Instant {
    Instant::now()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn every_slot_released_once_in_order(
        start in any::<u16>(),
        n in 1usize..600,
        // per packet: dropped?, copies, delay in ms
        fate in prop::collection::vec((0u8..10, 0u8..10, 0u64..80), 600),
        latency_ms in 1u64..120,
        capacity in 1usize..200,
    ) {
        let t0 = origin();
        let mut arrivals = Vec::new();
        for (i, &(drop, dup, delay)) in fate.iter().take(n).enumerate() {
            if drop == 0 {
                continue;
            }
            let send = i as u64 * 5;
            arrivals.push((send + delay, i));
            if dup == 0 {
                arrivals.push((send + delay + 3, i));
            }
        }
        arrivals.sort();
        let mut jb = JitterBuffer::new(JitterConfig {
            latency: Duration::from_millis(latency_ms),
            capacity,
        });
        let first = SequenceNumber::new(start);
        let mut out = Vec::new();
        let mut accepted = std::collections::BTreeSet::new();
        for &(at, i) in &arrivals {
            let now = t0 + Duration::from_millis(at);
            while let Some(w) = jb.poll_timeout() {
                if w > now { break; }
                jb.handle_timeout(w);
                match jb.poll_packet() { Some(r) => out.push(r), None => break }
            }
            if jb.push(now, first.add_signed(i as i64)) == PushOutcome::Accepted {
                accepted.insert(i);
            }
            while let Some(r) = jb.poll_packet() { out.push(r); }
        }
        let end = t0 + Duration::from_secs(3600);
        jb.handle_timeout(end);
        while let Some(r) = jb.poll_packet() { out.push(r); }
        prop_assert!(jb.is_empty());
        prop_assert_eq!(jb.poll_timeout(), None);

        // Walk the output: it covers consecutive sequence numbers.
        let mut expect: Option<SequenceNumber> = None;
        let mut released = Vec::new();
        let mut lost = 0u64;
        for r in &out {
            match r {
                Released::Packet(s) => {
                    if let Some(e) = expect { prop_assert_eq!(*s, e); }
                    released.push(*s);
                    expect = Some(s.next());
                }
                Released::Lost { first, count } => {
                    if let Some(e) = expect { prop_assert_eq!(*first, e); }
                    lost += count;
                    expect = Some(first.add_signed(*count as i64));
                }
            }
        }
        let s = jb.stats();
        prop_assert_eq!(s.released, released.len() as u64);
        prop_assert_eq!(s.accepted, released.len() as u64);
        prop_assert_eq!(s.lost, lost);
        prop_assert_eq!(accepted.len(), released.len());
        let mut uniq = released.clone();
        uniq.sort_by_key(|s| s.0);
        uniq.dedup();
        prop_assert_eq!(uniq.len(), released.len());
        prop_assert_eq!(
            s.accepted + s.duplicates + s.late + s.overflow,
            arrivals.len() as u64
        );
        // A latency longer than any delay and room for everything: every
        // surviving packet comes out, and exactly the dropped ones are lost
        // (those after the last arrival are never known of). The first
        // packet to arrive is released at once, so packets before it that
        // arrive later are late.
        if latency_ms > 85 && capacity >= n && !arrivals.is_empty() {
            let first_idx = arrivals[0].1;
            let survivors: std::collections::BTreeSet<usize> =
                arrivals.iter().map(|&(_, i)| i).filter(|&i| i >= first_idx).collect();
            prop_assert_eq!(&accepted, &survivors);
            let before = arrivals.iter().filter(|&&(_, i)| i < first_idx).count();
            prop_assert_eq!(s.late, before as u64);
            prop_assert_eq!(s.overflow, 0);
            let span = match (survivors.first(), survivors.last()) {
                (Some(a), Some(b)) => b - a + 1,
                _ => 0,
            };
            prop_assert_eq!(lost as usize, span - survivors.len());
        }
    }
}
