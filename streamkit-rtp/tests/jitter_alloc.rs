//! The jitter buffer holds and releases packets without allocating: its
//! ring is allocated once, when it is made.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may fail loudly

use std::time::{Duration, Instant};

use bytes::Bytes;
use streamkit_core::time::{RtpTimestamp, SequenceNumber};
use streamkit_rtp::jitter::{JitterBuffer, JitterConfig, PushOutcome, Released};
use streamkit_rtp::packet::{RtpHeader, RtpPacket};

#[test]
fn push_and_pop_allocate_nothing() {
    #[allow(clippy::disallowed_methods)] // the virtual clock starts at a real instant
    let t0 = Instant::now();
    // 20 000 packets, prepared before measuring.
    let packets: Vec<RtpPacket> = (0..20_000u32)
        .map(|i| {
            let header = RtpHeader {
                payload_type: 96,
                sequence_number: SequenceNumber::new(i as u16),
                timestamp: RtpTimestamp::new(i * 3000),
                ssrc: 7,
                ..RtpHeader::default()
            };
            let mut wire = Vec::new();
            header.write(&[0u8; 1000], &mut wire).unwrap();
            RtpPacket::parse(Bytes::from(wire)).unwrap()
        })
        .collect();
    let mut jb = JitterBuffer::new(JitterConfig {
        latency: Duration::from_millis(100),
        capacity: 1024,
    });
    // The first packet sets the start; then each round of 200 arrives with
    // its first packet last.
    let mut order = vec![packets[0].clone()];
    for round in packets[1..].chunks(200) {
        order.extend(round[1..].iter().cloned());
        order.push(round[0].clone());
    }
    let mut released = 0u32;
    let mut last: Option<SequenceNumber> = None;
    let info = allocation_counter::measure(|| {
        for p in order {
            assert_eq!(jb.push(t0, p), PushOutcome::Accepted);
            while let Some(r) = jb.poll_packet() {
                let Released::Packet(p) = r else {
                    panic!("nothing is lost")
                };
                if let Some(l) = last {
                    assert_eq!(p.sequence_number(), l.next());
                }
                last = Some(p.sequence_number());
                released += 1;
            }
        }
    });
    assert_eq!(released, 20_000);
    assert_eq!(info.count_total, 0, "allocations while pushing and popping");
}
