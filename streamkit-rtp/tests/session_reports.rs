//! Sender and receiver sessions through their public API: the numbers a
//! receiver report carries (RFC 3550 appendix A), the round trip the sender
//! derives from it, and NACKs with their retry limit.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may fail loudly

use std::time::{Duration, Instant};

use bytes::Bytes;
use streamkit_core::clock::{NTP_UNIX_OFFSET, UnixTime, WallClock};
use streamkit_core::time::{MediaTime, SequenceNumber, Timescale, Wrapping};
use streamkit_rtp::packet::RtpPacket;
use streamkit_rtp::rtcp::{NtpTimestamp, RtcpPacket, parse_compound, write_compound};
use streamkit_rtp::session::{
    NackConfig, ReceiverConfig, ReceiverEvent, RtpDisposition, RtpReceiver, RtpSender,
    SenderConfig, SenderEvent,
};

/// A wall clock that reads 1 700 000 000 s after the epoch at `t0`.
fn wall(t0: Instant) -> WallClock {
    WallClock::new(t0, UnixTime::from_unix(Duration::from_secs(1_700_000_000)))
}

/// The wall-clock time whose NTP form (in era 1, after 2036) is `ntp`.
fn era1(ntp: NtpTimestamp) -> UnixTime {
    let seconds = u64::from(ntp.seconds()) + (1 << 32) - NTP_UNIX_OFFSET;
    let nanos = (u64::from(ntp.fraction()) * 1_000_000_000) >> 32;
    UnixTime::from_unix(Duration::new(seconds, nanos as u32))
}

#[allow(clippy::disallowed_methods)] // the virtual clock starts at a real instant
fn origin() -> Instant {
    Instant::now()
}

const MS: Duration = Duration::from_millis(1);

fn packet(tx: &mut RtpSender, now: Instant, i: u64) -> RtpPacket {
    let d = tx
        .send(
            now,
            MediaTime::new(10 * i as i64, Timescale::MILLIS),
            false,
            Bytes::from(vec![i as u8; 100]),
        )
        .unwrap();
    let mut wire = Vec::new();
    d.write_to(&mut wire).unwrap();
    RtpPacket::parse(Bytes::from(wire)).unwrap()
}

/// Runs the receiver's timer until it sends a compound whose RR carries
/// report blocks; returns it and when it was sent.
fn next_report(rx: &mut RtpReceiver) -> (Instant, Vec<RtcpPacket>, Bytes) {
    for _ in 0..20 {
        let at = rx.poll_timeout().unwrap();
        rx.handle_timeout(at);
        while let Some(wire) = rx.poll_transmit() {
            let packets = parse_compound(wire.clone()).unwrap();
            if let RtcpPacket::ReceiverReport(rr) = &packets[0]
                && !rr.reports.is_empty()
            {
                return (at, packets, wire);
            }
        }
    }
    panic!("no receiver report");
}

#[test]
fn receiver_report_numbers_and_round_trip() {
    let t0 = origin();
    let mut tx = RtpSender::new(
        t0,
        SenderConfig::new(96, Timescale::VIDEO_90KHZ, "tx@example.com", 1, wall(t0)),
    );
    let mut config = ReceiverConfig::new(Timescale::VIDEO_90KHZ, "rx@example.com", 2);
    config.nack = None;
    let mut rx = RtpReceiver::new(t0, config);
    let seq0 = tx.next_sequence_number();

    let mut dispositions = Vec::new();
    for i in 0..20u64 {
        let sent = t0 + 10 * MS * i as u32;
        let p = packet(&mut tx, sent, i);
        if [5, 6, 12].contains(&i) {
            continue;
        }
        let late = if i == 10 { 2 * MS } else { Duration::ZERO };
        dispositions.push(rx.handle_rtp(sent + late, &p));
        if i == 3 {
            // A duplicate is dropped before the statistics.
            assert_eq!(rx.handle_rtp(sent, &p), RtpDisposition::Duplicate);
        }
    }
    assert_eq!(dispositions[0], RtpDisposition::Probation);
    assert!(
        dispositions[1..]
            .iter()
            .all(|d| *d == RtpDisposition::Valid)
    );
    assert_eq!(
        rx.poll_event(),
        Some(ReceiverEvent::NewSource { ssrc: tx.ssrc() })
    );

    // A sender report, stamped 0xb705:2000 (LSR), arrives at 200 ms.
    let t_sr = t0 + 200 * MS;
    let ntp_sr = NtpTimestamp::new(0xb705, 0x2000_0000);
    tx.set_wall_clock(WallClock::new(t_sr, era1(ntp_sr)));
    let sr = tx.sender_report(t_sr);
    let mut wire = Vec::new();
    write_compound(&[RtcpPacket::SenderReport(sr)], &mut wire).unwrap();
    rx.handle_rtcp(t_sr, Bytes::from(wire)).unwrap();
    assert!(matches!(
        rx.poll_event(),
        Some(ReceiverEvent::SenderReport {
            packet_count: 20,
            octet_count: 2000,
            ..
        })
    ));

    let stats = rx.source(tx.ssrc()).unwrap().statistics();
    assert!(stats.valid);
    assert_eq!(stats.received, 16); // 1..=19 without 5, 6, 12
    assert_eq!(stats.expected, 19);
    assert_eq!(stats.cumulative_lost, 3);
    assert_eq!(stats.duplicates, 1);
    // A.8 in integers: d = 180, 180, then seven zeros: 222 / 16 = 13.
    assert_eq!(rx.source(tx.ssrc()).unwrap().state().unwrap().jitter, 222);
    assert_eq!(stats.jitter, 13);

    let (t_rr, packets, wire) = next_report(&mut rx);
    let RtcpPacket::ReceiverReport(rr) = &packets[0] else {
        unreachable!()
    };
    assert_eq!(rr.ssrc, rx.ssrc());
    let RtcpPacket::SourceDescription(sdes) = &packets[1] else {
        panic!("{packets:?}")
    };
    assert_eq!(
        sdes.chunks[0].cname().map(|c| &c[..]),
        Some(&b"rx@example.com"[..])
    );
    let block = rr.reports[0];
    assert_eq!(block.ssrc, tx.ssrc());
    assert_eq!(block.fraction_lost, 40); // 3 * 256 / 19
    assert_eq!(block.cumulative_lost, 3);
    assert_eq!(block.extended_highest_sequence, u32::from(seq0.0) + 19);
    assert_eq!(block.jitter, 13);
    assert_eq!(block.last_sender_report, 0xb705_2000);
    let held = t_rr - t_sr;
    assert_eq!(
        block.delay_since_last_sender_report,
        (held.as_nanos() * 65_536 / 1_000_000_000) as u32
    );

    // The sender reads it 250 ms of network time later: RTT 250 ms, to
    // within the 1/65536 s units of LSR and DLSR.
    let arrival =
        NtpTimestamp(ntp_sr.0 + ((held + 250 * MS).as_nanos() * (1 << 32) / 1_000_000_000) as u64);
    // The sender's wall clock reads `arrival` when the report comes in.
    tx.set_wall_clock(WallClock::new(t_rr + 125 * MS, era1(arrival)));
    tx.handle_rtcp(t_rr + 125 * MS, wire).unwrap();
    let Some(SenderEvent::ReceiverReport {
        reporter,
        block: b,
        round_trip,
    }) = tx.poll_event()
    else {
        panic!("no report event")
    };
    assert_eq!((reporter, b), (rx.ssrc(), block));
    let rtt = round_trip.unwrap();
    let unit = Duration::from_nanos(1_000_000_000 / 65_536 + 1);
    assert!(rtt <= 250 * MS + unit && rtt + unit >= 250 * MS, "{rtt:?}");

    // Packets 20..=29 all arrive: the next report says fraction 0 for the
    // interval, cumulative still 3.
    for i in 20..30u64 {
        let now = t0 + 10 * MS * i as u32;
        let p = packet(&mut tx, now, i);
        assert_eq!(
            rx.handle_rtp(t_rr + now.duration_since(t0), &p),
            RtpDisposition::Valid
        );
    }
    let (_, packets, _) = next_report(&mut rx);
    let RtcpPacket::ReceiverReport(rr) = &packets[0] else {
        unreachable!()
    };
    assert_eq!(rr.reports[0].fraction_lost, 0);
    assert_eq!(rr.reports[0].cumulative_lost, 3);
    assert_eq!(
        rr.reports[0].extended_highest_sequence,
        u32::from(seq0.0) + 29
    );
}

#[test]
fn nacks_missing_packets_until_the_retry_limit() {
    let t0 = origin();
    let mut tx = RtpSender::new(
        t0,
        SenderConfig::new(96, Timescale::VIDEO_90KHZ, "tx", 3, wall(t0)),
    );
    let mut config = ReceiverConfig::new(Timescale::VIDEO_90KHZ, "rx", 4);
    config.nack = Some(NackConfig {
        first_delay: 20 * MS,
        retry_interval: 100 * MS,
        max_retries: 2,
        max_pending: 64,
    });
    let mut rx = RtpReceiver::new(t0, config);
    let seq0 = tx.next_sequence_number();
    let mut held = Vec::new();
    for i in 0..8u64 {
        let now = t0 + 5 * MS * i as u32;
        let p = packet(&mut tx, now, i);
        if i == 4 || i == 5 {
            held.push(p);
            continue;
        }
        let _ = rx.handle_rtp(now, &p);
    }
    // 4 and 5 went missing when 6 arrived at 30 ms: asked for at 50 ms.
    let due = t0 + 50 * MS;
    assert_eq!(rx.poll_timeout(), Some(due));
    let nacks = |rx: &mut RtpReceiver, at: Instant| -> Vec<Vec<SequenceNumber>> {
        rx.handle_timeout(at);
        core::iter::from_fn(|| rx.poll_transmit())
            .flat_map(|w| parse_compound(w).unwrap())
            .filter_map(|p| match p {
                RtcpPacket::GenericNack(n) => {
                    assert_eq!(n.media_ssrc, tx.ssrc());
                    Some(n.lost_sequence_numbers().collect())
                }
                _ => None,
            })
            .collect()
    };
    assert_eq!(nacks(&mut rx, due - MS), Vec::<Vec<_>>::new());
    assert_eq!(
        nacks(&mut rx, due),
        [vec![seq0.add_signed(4), seq0.add_signed(5)]]
    );
    // 5 arrives (a retransmission, say): only 4 is asked for again.
    assert_eq!(rx.handle_rtp(due + MS, &held[1]), RtpDisposition::Valid);
    assert_eq!(rx.poll_timeout(), Some(due + 100 * MS));
    assert_eq!(nacks(&mut rx, due + 100 * MS), [vec![seq0.add_signed(4)]]);
    // Two NACKs were the limit: 4 is given up.
    assert_eq!(nacks(&mut rx, due + 200 * MS), Vec::<Vec<_>>::new());
    assert_eq!(rx.source(tx.ssrc()).unwrap().missing().count(), 0);

    // The sender surfaces the NACK it is sent.
    let mut wire = Vec::new();
    write_compound(
        &[RtcpPacket::GenericNack(
            streamkit_rtp::rtcp::GenericNack::from_lost(
                rx.ssrc(),
                tx.ssrc(),
                &[seq0.add_signed(4)],
            ),
        )],
        &mut wire,
    )
    .unwrap();
    tx.handle_rtcp(due, Bytes::from(wire)).unwrap();
    assert_eq!(
        tx.poll_event(),
        Some(SenderEvent::Nack {
            reporter: rx.ssrc(),
            lost: vec![seq0.add_signed(4)]
        })
    );
}
