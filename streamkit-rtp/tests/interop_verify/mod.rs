//! The checks every real-sender test makes on what it captured.
#![allow(
    dead_code,
    unreachable_pub,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

use std::time::Duration;

use streamkit_core::time::Timescale;
use streamkit_rtp::jitter::{JitterBuffer, JitterConfig, Released};
use streamkit_rtp::packet::RtpPacket;
use streamkit_rtp::rtcp::{RtcpPacket, parse_compound};
use streamkit_rtp::session::{ReceiverConfig, RtpDisposition, RtpReceiver};

use crate::support::Capture;

/// What the stream held.
pub struct Verified {
    /// Every RTP packet, in arrival order.
    pub packets: Vec<RtpPacket>,
    /// Every RTCP packet, compound by compound.
    pub rtcp: Vec<Vec<RtcpPacket>>,
    /// The stream's SSRC.
    pub ssrc: u32,
}

/// Every RTP and RTCP datagram parses; the RTP packets have one SSRC and
/// payload type `pt` and contiguous sequence numbers; a receiver session
/// fed with them (and the RTCP) reports no loss and sends no NACK; a jitter
/// buffer releases every packet once, in order.
pub fn verify(cap: &Capture, pt: u8) -> Verified {
    assert!(cap.rtp.len() > 10, "only {} RTP packets", cap.rtp.len());
    let packets: Vec<RtpPacket> = cap
        .rtp
        .iter()
        .enumerate()
        .map(|(i, (_, d))| {
            RtpPacket::parse(d.clone()).unwrap_or_else(|e| panic!("RTP datagram {i}: {e}"))
        })
        .collect();
    let ssrc = packets[0].ssrc();
    for (i, w) in packets.windows(2).enumerate() {
        assert_eq!(w[1].ssrc(), ssrc, "packet {}", i + 1);
        assert_eq!(w[1].payload_type(), pt, "packet {}", i + 1);
        assert_eq!(
            w[1].sequence_number(),
            w[0].sequence_number().next(),
            "sequence numbers not contiguous at packet {}",
            i + 1
        );
    }

    let t0 = cap.rtp[0]
        .0
        .min(cap.rtcp.first().map_or(cap.rtp[0].0, |r| r.0));
    let mut rx = RtpReceiver::new(
        t0,
        ReceiverConfig::new(Timescale::VIDEO_90KHZ, "interop@127.0.0.1", 1),
    );
    let mut jb = JitterBuffer::new(JitterConfig {
        latency: Duration::from_millis(100),
        capacity: 4096,
    });
    // Interleave RTP and RTCP by arrival time.
    let mut events: Vec<(std::time::Instant, bool, usize)> = cap
        .rtp
        .iter()
        .enumerate()
        .map(|(i, (t, _))| (*t, true, i))
        .chain(
            cap.rtcp
                .iter()
                .enumerate()
                .map(|(i, (t, _))| (*t, false, i)),
        )
        .collect();
    events.sort_by_key(|e| (e.0, e.1, e.2));
    let mut rtcp = Vec::new();
    let mut released = Vec::new();
    let mut last_stats = None;
    let mut sent_by_receiver = Vec::new();
    for (t, is_rtp, i) in events {
        while let Some(due) = rx.poll_timeout().filter(|d| *d <= t) {
            rx.handle_timeout(due);
        }
        if is_rtp {
            let d = rx.handle_rtp(t, &packets[i]);
            let want = if i == 0 {
                RtpDisposition::Probation
            } else {
                RtpDisposition::Valid
            };
            assert_eq!(d, want, "packet {i}");
            let _ = jb.push(t, packets[i].clone());
            released.extend(core::iter::from_fn(|| jb.poll_packet()));
        } else {
            let datagram = cap.rtcp[i].1.clone();
            let parsed = parse_compound(datagram.clone())
                .unwrap_or_else(|e| panic!("RTCP datagram {i}: {e}"));
            rtcp.push(parsed);
            // A BYE (GStreamer sends one as it stops) removes the source:
            // its numbers are the last ones seen before.
            if let Some(src) = rx.source(ssrc) {
                last_stats = Some(src.statistics());
            }
            rx.handle_rtcp(t, datagram).unwrap();
        }
        while let Some(out) = rx.poll_transmit() {
            sent_by_receiver.extend(parse_compound(out).unwrap());
        }
    }
    let end = cap.rtp.last().unwrap().0 + Duration::from_secs(1);
    jb.handle_timeout(end);
    released.extend(core::iter::from_fn(|| jb.poll_packet()));

    if let Some(src) = rx.source(ssrc) {
        last_stats = Some(src.statistics());
    }
    let stats = last_stats.expect("the source was heard");
    let n = packets.len() as u32;
    assert!(stats.valid);
    assert_eq!(
        stats.received,
        n - 1,
        "the first packet is spent on probation"
    );
    assert_eq!(stats.expected, n - 1);
    assert_eq!(stats.cumulative_lost, 0);
    assert_eq!(stats.duplicates, 0);
    assert!(
        !sent_by_receiver
            .iter()
            .any(|p| matches!(p, RtcpPacket::GenericNack(_))),
        "NACK sent for a lossless stream"
    );
    assert_eq!(released.len(), packets.len());
    for (r, p) in released.iter().zip(&packets) {
        match r {
            Released::Packet(q) => assert_eq!(q.sequence_number(), p.sequence_number()),
            Released::Lost { .. } => panic!("jitter buffer declared a loss"),
        }
    }
    assert_eq!(jb.stats().lost, 0);
    Verified {
        packets,
        rtcp,
        ssrc,
    }
}
