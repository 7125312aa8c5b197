//! The sessions' timers on a virtual clock: member timeouts (RFC 3550
//! section 6.3.5: five deterministic intervals, 25 s at the 5 s minimum),
//! BYE on both sides (sent by `finish`, a member that sends one removed at
//! once), and the receiver's RFC 4585 feedback timing: an early packet for
//! the first feedback of an interval, later feedback riding on the next
//! regular report (or dropped past `max_delay`), the regular report after
//! an early one pushed to `tp + 2 * T_rr`, and `T_rr_interval`
//! suppressing regular reports.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may fail loudly

use std::time::{Duration, Instant};

use bytes::Bytes;
use streamkit_core::clock::{UnixTime, WallClock};
use streamkit_core::time::{RtpTimestamp, SequenceNumber, Timescale};
use streamkit_rtp::packet::{RtpHeader, RtpPacket};
use streamkit_rtp::rtcp::{Goodbye, ReceiverReport, RtcpPacket, parse_compound, write_compound};
use streamkit_rtp::session::{
    FeedbackConfig, NackConfig, ReceiverConfig, ReceiverEvent, RtpReceiver, RtpSender,
    SenderConfig, SenderEvent,
};

const MS: Duration = Duration::from_millis(1);
const SOURCE: u32 = 0x5555_0001;

#[allow(clippy::disallowed_methods)] // the virtual clock's origin
fn origin() -> Instant {
    Instant::now()
}

fn compound(packets: &[RtcpPacket]) -> Bytes {
    let mut wire = Vec::new();
    write_compound(packets, &mut wire).unwrap();
    Bytes::from(wire)
}

fn rr(ssrc: u32) -> RtcpPacket {
    RtcpPacket::ReceiverReport(ReceiverReport {
        ssrc,
        reports: Vec::new(),
        profile_extension: Bytes::new(),
    })
}

fn bye(ssrc: u32) -> RtcpPacket {
    RtcpPacket::Goodbye(Goodbye {
        sources: vec![ssrc],
        reason: None,
    })
}

fn rtp(seq: u16) -> RtpPacket {
    let mut wire = Vec::new();
    RtpHeader {
        payload_type: 96,
        sequence_number: SequenceNumber::new(seq),
        timestamp: RtpTimestamp::new(u32::from(seq) * 3000),
        ssrc: SOURCE,
        ..RtpHeader::default()
    }
    .write(b"x", &mut wire)
    .unwrap();
    RtpPacket::parse(Bytes::from(wire)).unwrap()
}

fn sender(t0: Instant) -> RtpSender {
    let wall = WallClock::new(t0, UnixTime::from_unix_millis(1_700_000_000_000));
    RtpSender::new(
        t0,
        SenderConfig::new(96, Timescale::VIDEO_90KHZ, "tx", 1, wall),
    )
}

fn drain(rx: &mut RtpReceiver) -> Vec<Vec<RtcpPacket>> {
    core::iter::from_fn(|| rx.poll_transmit())
        .map(|d| parse_compound(d).unwrap())
        .collect()
}

#[test]
fn sender_members_time_out_after_five_intervals_and_leave_on_bye() {
    let t0 = origin();
    let mut tx = sender(t0);
    tx.handle_rtcp(t0, compound(&[rr(77)])).unwrap();
    tx.handle_rtcp(t0 + 10 * MS, compound(&[rr(78)])).unwrap();
    assert!(tx.members().eq([77, 78]));
    // 78 leaves.
    tx.handle_rtcp(t0 + 20 * MS, compound(&[rr(78), bye(78)]))
        .unwrap();
    assert!(tx.members().eq([77]));
    assert_eq!(tx.poll_event(), Some(SenderEvent::Goodbye { ssrc: 78 }));
    // 77 is not heard from again: it times out 25 s after its report.
    tx.handle_timeout(t0 + Duration::from_secs(25) - MS);
    assert!(tx.members().eq([77]));
    tx.handle_timeout(t0 + Duration::from_secs(25));
    assert_eq!(tx.members().count(), 0);
    let events: Vec<_> = core::iter::from_fn(|| tx.poll_event()).collect();
    assert_eq!(events, [SenderEvent::Timeout { ssrc: 77 }]);
}

#[test]
fn sender_finish_sends_one_bye_and_stops_its_timer() {
    let t0 = origin();
    let mut tx = sender(t0);
    let _ = tx
        .send(
            t0,
            streamkit_core::time::MediaTime::new(0, Timescale::VIDEO_90KHZ),
            true,
            Bytes::from_static(b"frame"),
        )
        .unwrap();
    let end = t0 + Duration::from_secs(1);
    tx.finish(end).unwrap();
    let wire = tx.poll_transmit().unwrap();
    let packets = parse_compound(wire).unwrap();
    assert!(matches!(&packets[0], RtcpPacket::SenderReport(sr) if sr.packet_count == 1));
    assert!(matches!(&packets[1], RtcpPacket::SourceDescription(_)));
    assert_eq!(packets[2], bye(tx.ssrc()));
    assert_eq!(tx.poll_transmit(), None);
    assert_eq!(tx.poll_timeout(), None);
    assert!(tx.is_finished());
    tx.finish(end).unwrap();
    tx.handle_timeout(end + Duration::from_secs(60));
    assert_eq!(tx.poll_transmit(), None, "a report after finish");
}

#[test]
fn receiver_sources_time_out_and_leave_on_bye() {
    let t0 = origin();
    let mut config = ReceiverConfig::new(Timescale::VIDEO_90KHZ, "rx", 2);
    config.nack = None;
    let mut rx = RtpReceiver::new(t0, config);
    for seq in 0..3 {
        let _ = rx.handle_rtp(t0 + MS * u32::from(seq), &rtp(seq));
    }
    let last = t0 + 2 * MS;
    assert!(rx.source(SOURCE).is_some());
    rx.handle_timeout(last + Duration::from_secs(25) - MS);
    assert!(rx.source(SOURCE).is_some());
    rx.handle_timeout(last + Duration::from_secs(25));
    assert!(rx.source(SOURCE).is_none());
    let events: Vec<_> = core::iter::from_fn(|| rx.poll_event()).collect();
    assert_eq!(
        events,
        [
            ReceiverEvent::NewSource { ssrc: SOURCE },
            ReceiverEvent::Timeout { ssrc: SOURCE }
        ]
    );
    // Heard again, then BYE: gone at once.
    let now = last + Duration::from_secs(26);
    let _ = rx.handle_rtp(now, &rtp(10));
    rx.handle_rtcp(now, compound(&[rr(SOURCE), bye(SOURCE)]))
        .unwrap();
    assert!(rx.source(SOURCE).is_none());
    assert_eq!(
        rx.poll_event(),
        Some(ReceiverEvent::NewSource { ssrc: SOURCE })
    );
    assert_eq!(
        rx.poll_event(),
        Some(ReceiverEvent::Goodbye { ssrc: SOURCE })
    );
    // finish: RR + SDES + BYE, then no timer.
    drain(&mut rx);
    rx.finish(now).unwrap();
    let sent = drain(&mut rx);
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].last(), Some(&bye(rx.ssrc())));
    assert_eq!(rx.poll_timeout(), None);
    rx.finish(now).unwrap();
    assert!(drain(&mut rx).is_empty());
}

/// A receiver with NACKs (20 ms, then every 100 ms, three times) and the
/// RFC 4585 rules, that lost packets 4 and 5 of 0..8 (asked for at 50 ms).
fn lossy_receiver(t0: Instant, max_delay: Duration) -> RtpReceiver {
    let mut config = ReceiverConfig::new(Timescale::VIDEO_90KHZ, "rx", 4);
    config.nack = Some(NackConfig {
        first_delay: 20 * MS,
        retry_interval: 100 * MS,
        max_retries: 3,
        max_pending: 64,
    });
    config.feedback = Some(FeedbackConfig {
        min_report_interval: Duration::ZERO,
        max_delay,
    });
    let mut rx = RtpReceiver::new(t0, config);
    for seq in 0..8u16 {
        if seq != 4 && seq != 5 {
            let _ = rx.handle_rtp(t0 + 5 * MS * u32::from(seq), &rtp(seq));
        }
    }
    rx
}

fn nacked(packets: &[RtcpPacket]) -> Vec<u16> {
    packets
        .iter()
        .filter_map(|p| match p {
            RtcpPacket::GenericNack(n) => Some(n.lost_sequence_numbers().map(|s| s.0)),
            _ => None,
        })
        .flatten()
        .collect()
}

#[test]
fn the_first_feedback_goes_early_later_feedback_with_the_regular_report() {
    let t0 = origin();
    let mut rx = lossy_receiver(t0, Duration::from_secs(10));
    let due = t0 + 50 * MS;
    assert_eq!(rx.poll_timeout(), Some(due));
    rx.handle_timeout(due);
    let sent = drain(&mut rx);
    assert_eq!(sent.len(), 1, "one early packet");
    assert!(matches!(&sent[0][0], RtcpPacket::ReceiverReport(r) if r.reports.is_empty()));
    assert!(matches!(sent[0][1], RtcpPacket::SourceDescription(_)));
    assert_eq!(nacked(&sent[0]), [4, 5]);
    // The retry at 150 ms may not go early: it waits for the regular
    // report, which moved to tp + 2 T_rr (at least 2 s: the first interval
    // is at least half the 5 s minimum, randomized down to a half, over
    // e - 3/2).
    let retry = due + 100 * MS;
    assert_eq!(rx.poll_timeout(), Some(retry));
    rx.handle_timeout(retry);
    assert!(drain(&mut rx).is_empty(), "a second early packet");
    let tn = rx.poll_timeout().unwrap();
    assert!(
        tn >= t0 + Duration::from_millis(2 * 1_026),
        "the regular report at {:?}",
        tn - t0
    );
    rx.handle_timeout(tn);
    let sent = drain(&mut rx);
    assert_eq!(sent.len(), 1);
    let RtcpPacket::ReceiverReport(report) = &sent[0][0] else {
        panic!("{:?}", sent[0])
    };
    assert_eq!(report.reports.len(), 1, "a regular report with its block");
    assert_eq!(nacked(&sent[0]), [4, 5], "the retry rides on it");
    assert_eq!(rx.feedback_dropped(), 0);
    // A regular report allows an early packet again: a PLI goes at once.
    rx.request_keyframe(tn + MS, SOURCE);
    let sent = drain(&mut rx);
    assert_eq!(sent.len(), 1);
    assert!(
        sent[0].iter().any(
            |p| matches!(p, RtcpPacket::PictureLossIndication(pli) if pli.media_ssrc == SOURCE)
        )
    );
}

#[test]
fn feedback_that_cannot_wait_for_the_regular_report_is_dropped() {
    let t0 = origin();
    let mut rx = lossy_receiver(t0, 10 * MS);
    let due = t0 + 50 * MS;
    rx.handle_timeout(due);
    assert_eq!(drain(&mut rx).len(), 1, "the early packet");
    rx.handle_timeout(due + 100 * MS);
    assert!(drain(&mut rx).is_empty());
    assert_eq!(rx.feedback_dropped(), 1, "the retry's NACK");
    // A PLI asked for now is dropped too.
    rx.request_keyframe(due + 101 * MS, SOURCE);
    assert!(drain(&mut rx).is_empty());
    assert_eq!(rx.feedback_dropped(), 2);
}

#[test]
fn without_the_rules_feedback_goes_when_due() {
    let t0 = origin();
    let mut config = ReceiverConfig::new(Timescale::VIDEO_90KHZ, "rx", 4);
    config.nack = None;
    let mut rx = RtpReceiver::new(t0, config);
    let _ = rx.handle_rtp(t0, &rtp(0));
    for i in 0..3 {
        rx.request_keyframe(t0 + MS * i, SOURCE);
        let sent = drain(&mut rx);
        assert_eq!(sent.len(), 1, "PLI {i}");
        assert!(matches!(sent[0][2], RtcpPacket::PictureLossIndication(_)));
    }
}

#[test]
fn t_rr_interval_suppresses_regular_reports() {
    let t0 = origin();
    let mut config = ReceiverConfig::new(Timescale::VIDEO_90KHZ, "rx", 5);
    config.nack = None;
    config.feedback = Some(FeedbackConfig {
        min_report_interval: Duration::from_secs(60),
        max_delay: Duration::from_secs(1),
    });
    let mut rx = RtpReceiver::new(t0, config);
    let _ = rx.handle_rtp(t0, &rtp(0));
    let mut reports = 0;
    let end = t0 + Duration::from_secs(50);
    while let Some(at) = rx.poll_timeout().filter(|&at| at < end) {
        rx.handle_timeout(at);
        let _ = rx.handle_rtp(at, &rtp(1));
        reports += drain(&mut rx).len();
    }
    assert_eq!(reports, 1, "regular reports within 60 s of the first");
}
