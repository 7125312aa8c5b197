//! A sender and a receiver session joined by a seeded simulated network
//! (loss, duplication, delay jitter that reorders packets) under a virtual
//! clock that jumps to the next event or `poll_timeout`. For several seeds:
//! the receiver's cumulative lost count equals the packets the network
//! dropped, the NACKs name exactly those packets, the jitter buffer
//! releases every surviving packet exactly once and in order (reporting the
//! dropped ones lost in their places), and the sender's round-trip times
//! lie within the network's delays.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may fail loudly

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use bytes::Bytes;
use streamkit_core::clock::{UnixTime, WallClock};
use streamkit_core::time::{MediaTime, Timescale, Wrapping};
use streamkit_rtp::jitter::{JitterBuffer, JitterConfig, Released};
use streamkit_rtp::packet::RtpPacket;
use streamkit_rtp::session::{
    NackConfig, ReceiverConfig, RtpDisposition, RtpReceiver, RtpSender, SenderConfig, SenderEvent,
};

/// xorshift64* (Vigna): the network's own random numbers, independent of
/// the sessions' generator.
struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    /// `true` with probability `percent` / 100.
    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
    /// Uniform in `0..n`.
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

const MS: Duration = Duration::from_millis(1);
/// Packets sent, one every 20 ms (50 s of virtual time).
const PACKETS: u64 = 2500;
const INTERVAL: Duration = Duration::from_millis(20);
/// One-way delay: 30 ms plus up to 80 ms of jitter, so packets up to four
/// places apart swap, well inside RFC 3550's MAX_MISORDER.
const BASE_DELAY: Duration = Duration::from_millis(30);
const JITTER_MS: u64 = 80;

enum Datagram {
    Rtp(u64, Bytes),
    Rtcp(Bytes),
}

/// Datagrams in flight, by arrival time (then by when they were sent).
#[derive(Default)]
struct Network {
    in_flight: BTreeMap<(Instant, u64), (bool, Datagram)>,
    counter: u64,
}

impl Network {
    fn send(&mut self, at: Instant, to_receiver: bool, d: Datagram) {
        self.counter += 1;
        self.in_flight.insert((at, self.counter), (to_receiver, d));
    }
}

struct Outcome {
    dropped: BTreeSet<u64>,
    duplicated: u64,
}

fn run(seed: u64) {
    #[allow(clippy::disallowed_methods)] // the virtual clock starts at a real instant
    let t0 = Instant::now();
    let wall = WallClock::new(t0, UnixTime::from_unix(Duration::from_secs(1_750_000_000)));
    let mut net_rng = XorShift(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
    let mut tx = RtpSender::new(
        t0,
        SenderConfig::new(96, Timescale::VIDEO_90KHZ, "tx@sim", seed, wall),
    );
    let mut rx_config = ReceiverConfig::new(Timescale::VIDEO_90KHZ, "rx@sim", seed + 1000);
    rx_config.nack = Some(NackConfig {
        first_delay: 100 * MS, // longer than any reordering: only losses are asked for
        retry_interval: 300 * MS,
        max_retries: 2,
        max_pending: 512,
    });
    let mut rx = RtpReceiver::new(t0, rx_config);
    let mut jb = JitterBuffer::new(JitterConfig {
        latency: 200 * MS,
        capacity: 256,
    });
    let seq0 = tx.next_sequence_number();

    let mut net = Network::default();
    let mut outcome = Outcome {
        dropped: BTreeSet::new(),
        duplicated: 0,
    };
    let mut released = Vec::new();
    let mut nacked: BTreeMap<u64, u32> = BTreeMap::new();
    let mut round_trips = Vec::new();
    let mut report_blocks = Vec::new();
    let mut next_send = 0u64;
    let mut now = t0;

    loop {
        // The next thing to happen: a send, a delivery or a timer.
        let send_at = (next_send < PACKETS).then(|| t0 + INTERVAL * next_send as u32);
        let candidates = [
            send_at,
            net.in_flight.keys().next().map(|k| k.0),
            tx.poll_timeout(),
            rx.poll_timeout(),
            jb.poll_timeout(),
        ];
        let next = candidates.into_iter().flatten().min().unwrap();
        // Stop once everything is sent and delivered and the buffer drained,
        // a few seconds after the end (the RTCP timers never stop).
        if next_send >= PACKETS
            && net.in_flight.is_empty()
            && jb.is_empty()
            && next > t0 + INTERVAL * PACKETS as u32 + Duration::from_secs(10)
        {
            break;
        }
        assert!(next >= now, "time went backwards");
        now = next;

        if send_at == Some(now) {
            let i = next_send;
            next_send += 1;
            let d = tx
                .send(
                    now,
                    MediaTime::new(20 * i as i64, Timescale::MILLIS),
                    true,
                    Bytes::from(vec![(i % 251) as u8; 200]),
                )
                .unwrap();
            let mut wire = Vec::new();
            d.write_to(&mut wire).unwrap();
            let wire = Bytes::from(wire);
            // The first three and the last packet always get through on
            // time (probation, and a known end); the others may be dropped,
            // delayed or copied.
            let protected = i < 3 || i == PACKETS - 1;
            if !protected && net_rng.chance(5) {
                outcome.dropped.insert(i);
            } else {
                let delay = if protected {
                    BASE_DELAY
                } else {
                    BASE_DELAY + MS * net_rng.below(JITTER_MS + 1) as u32
                };
                net.send(now + delay, true, Datagram::Rtp(i, wire.clone()));
                if !protected && net_rng.chance(3) {
                    outcome.duplicated += 1;
                    let extra = MS * (1 + net_rng.below(40)) as u32;
                    net.send(now + delay + extra, true, Datagram::Rtp(i, wire));
                }
            }
        }

        while let Some(entry) = net.in_flight.first_entry() {
            if entry.key().0 > now {
                break;
            }
            let (to_receiver, d) = entry.remove();
            match (to_receiver, d) {
                (true, Datagram::Rtp(i, wire)) => {
                    let p = RtpPacket::parse(wire).unwrap();
                    let disposition = rx.handle_rtp(now, &p);
                    if i == 0 {
                        assert_eq!(disposition, RtpDisposition::Probation);
                    }
                    let _ = jb.push(now, p);
                }
                (true, Datagram::Rtcp(wire)) => rx.handle_rtcp(now, wire).unwrap(),
                (false, Datagram::Rtcp(wire)) => tx.handle_rtcp(now, wire).unwrap(),
                (false, Datagram::Rtp(..)) => unreachable!(),
            }
        }

        if tx.poll_timeout().is_some_and(|t| t <= now) {
            tx.handle_timeout(now);
        }
        if rx.poll_timeout().is_some_and(|t| t <= now) {
            rx.handle_timeout(now);
        }
        // RTCP travels without loss, with the same delays.
        while let Some(wire) = tx.poll_transmit() {
            let delay = BASE_DELAY + MS * net_rng.below(JITTER_MS + 1) as u32;
            net.send(now + delay, true, Datagram::Rtcp(wire));
        }
        while let Some(wire) = rx.poll_transmit() {
            let delay = BASE_DELAY + MS * net_rng.below(JITTER_MS + 1) as u32;
            net.send(now + delay, false, Datagram::Rtcp(wire));
        }
        while let Some(e) = tx.poll_event() {
            match e {
                SenderEvent::Nack { lost, .. } => {
                    for s in lost {
                        let i = seq0.distance_to(s);
                        assert!(i >= 0, "NACK for {s:?} before the first packet");
                        *nacked.entry(i as u64).or_default() += 1;
                    }
                }
                SenderEvent::ReceiverReport {
                    block, round_trip, ..
                } => {
                    report_blocks.push(block);
                    round_trips.extend(round_trip);
                }
                other => panic!("unexpected {other:?}"),
            }
        }
        jb.handle_timeout(now);
        while let Some(r) = jb.poll_packet() {
            released.push(r);
        }
    }

    let ctx = format!("seed {seed}");
    let dropped = &outcome.dropped;
    assert!(!dropped.is_empty(), "{ctx}: the network dropped nothing");

    // The receiver's statistics.
    let stats = rx.source(tx.ssrc()).unwrap().statistics();
    assert_eq!(stats.cumulative_lost, dropped.len() as i64, "{ctx}");
    assert_eq!(stats.expected, (PACKETS - 1) as u32, "{ctx}");
    assert_eq!(
        stats.received,
        (PACKETS - 1) as u32 - dropped.len() as u32,
        "{ctx}"
    );
    assert_eq!(stats.duplicates, outcome.duplicated, "{ctx}");
    assert_eq!(
        stats.extended_highest_sequence,
        u32::from(seq0.0) + (PACKETS - 1) as u32,
        "{ctx}"
    );

    // Every dropped packet was asked for, twice (the retry limit), and no
    // other packet was.
    assert_eq!(
        nacked.keys().copied().collect::<BTreeSet<_>>(),
        *dropped,
        "{ctx}"
    );
    assert!(nacked.values().all(|&n| n == 2), "{ctx}: {nacked:?}");

    // The jitter buffer: every surviving packet once, in order; the dropped
    // ones reported lost in their places.
    let mut expect = 0u64;
    let mut lost_seen = BTreeSet::new();
    for r in &released {
        match r {
            Released::Packet(p) => {
                while dropped.contains(&expect) {
                    expect += 1;
                }
                assert_eq!(p.sequence_number(), seq0.add_signed(expect as i64), "{ctx}");
                expect += 1;
            }
            Released::Lost { first, count } => {
                let from = seq0.distance_to(*first) as u64;
                for i in from..from + count {
                    assert!(dropped.contains(&i), "{ctx}: {i} declared lost");
                    lost_seen.insert(i);
                }
            }
        }
    }
    assert_eq!(expect, PACKETS, "{ctx}");
    assert_eq!(lost_seen, *dropped, "{ctx}");
    let js = jb.stats();
    assert_eq!(js.released, PACKETS - dropped.len() as u64, "{ctx}");
    assert_eq!(js.lost, dropped.len() as u64, "{ctx}");
    assert_eq!(js.duplicates, outcome.duplicated, "{ctx}");
    assert_eq!((js.late, js.overflow), (0, 0), "{ctx}");

    // The sender heard receiver reports whose cumulative loss is never more
    // than the drops plus the packets still in flight behind the highest
    // (at most 80 ms / 20 ms = 4), and ends at the drops; round trips lie
    // between the smallest and largest two-way delay (to within the
    // 1/65536 s units).
    assert!(
        report_blocks.len() >= 5,
        "{ctx}: {} reports",
        report_blocks.len()
    );
    let max_reorder = (JITTER_MS / INTERVAL.as_millis() as u64) as i32;
    assert!(
        report_blocks
            .iter()
            .all(|b| b.cumulative_lost <= dropped.len() as i32 + max_reorder),
        "{ctx}"
    );
    assert_eq!(
        report_blocks.last().unwrap().cumulative_lost,
        dropped.len() as i32,
        "{ctx}"
    );
    assert!(!round_trips.is_empty(), "{ctx}");
    let unit = Duration::from_nanos(1_000_000_000 / 65_536 + 1);
    for rtt in &round_trips {
        assert!(
            *rtt + 2 * unit >= 2 * BASE_DELAY
                && *rtt <= 2 * (BASE_DELAY + MS * JITTER_MS as u32) + 2 * unit,
            "{ctx}: round trip {rtt:?}"
        );
    }
}

#[test]
fn seeded_networks() {
    for seed in 1..=8 {
        run(seed);
    }
}
