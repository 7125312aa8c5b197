//! The sessions never panic on what the network hands them: arbitrary RTCP
//! bytes, and arbitrary RTP streams (any sequence numbers, timestamps, a
//! few SSRCs, any timing); what they send back always parses, and the
//! receiver's numbers keep their invariants.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may fail loudly

use std::time::{Duration, Instant};

use bytes::Bytes;
use proptest::prelude::*;
use streamkit_core::clock::{UnixTime, WallClock};
use streamkit_core::time::{RtpTimestamp, SequenceNumber, Timescale};
use streamkit_rtp::packet::{RtpHeader, RtpPacket};
use streamkit_rtp::rtcp::parse_compound;
use streamkit_rtp::session::{ReceiverConfig, RtpReceiver, RtpSender, SenderConfig};

#[allow(clippy::disallowed_methods)] // the virtual clock starts at a real instant
fn origin() -> Instant {
    Instant::now()
}

fn rtp(ssrc: u32, seq: u16, ts: u32) -> RtpPacket {
    let header = RtpHeader {
        payload_type: 96,
        sequence_number: SequenceNumber::new(seq),
        timestamp: RtpTimestamp::new(ts),
        ssrc,
        ..RtpHeader::default()
    };
    let mut wire = Vec::new();
    header.write(b"payload", &mut wire).unwrap();
    RtpPacket::parse(Bytes::from(wire)).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn arbitrary_rtcp_never_panics(datagrams in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..200), 1..8)) {
        let t0 = origin();
        let mut tx = RtpSender::new(t0, SenderConfig::new(96, Timescale::VIDEO_90KHZ, "tx", 1, WallClock::new(t0, UnixTime::from_unix_millis(1_700_000_000_000))));
        let mut rx = RtpReceiver::new(t0, ReceiverConfig::new(Timescale::VIDEO_90KHZ, "rx", 2));
        for d in datagrams {
            let d = Bytes::from(d);
            let _ = tx.handle_rtcp(t0, d.clone());
            let _ = rx.handle_rtcp(t0, d);
        }
        while tx.poll_event().is_some() {}
        while rx.poll_event().is_some() {}
    }

    #[test]
    fn arbitrary_rtp_streams_keep_the_invariants(
        steps in prop::collection::vec((0u32..3, any::<u16>(), any::<u32>(), 0u64..2_000, prop::bool::ANY), 1..300),
        start in any::<u16>(),
    ) {
        let t0 = origin();
        let mut rx = RtpReceiver::new(t0, ReceiverConfig::new(Timescale::VIDEO_90KHZ, "rx", 3));
        let mut now = t0;
        let mut seq = start;
        for (source, jump, ts, dt_ms, small_step) in steps {
            now += Duration::from_millis(dt_ms);
            // Mostly small steps (in order, reordered, repeated), sometimes
            // any jump at all.
            seq = if small_step { seq.wrapping_add(jump % 8).wrapping_sub(2) } else { jump };
            let _ = rx.handle_rtp(now, &rtp(1000 + source, seq, ts));
            while let Some(t) = rx.poll_timeout().filter(|t| *t <= now) {
                rx.handle_timeout(t);
            }
            while let Some(out) = rx.poll_transmit() {
                prop_assert!(parse_compound(out).is_ok());
            }
        }
        for (_, src) in rx.sources() {
            let s = src.statistics();
            if s.valid {
                prop_assert!(s.received >= 1);
                prop_assert_eq!(s.cumulative_lost, i64::from(s.expected) - i64::from(s.received));
            }
            prop_assert!(src.missing().count() <= 512);
        }
    }
}
