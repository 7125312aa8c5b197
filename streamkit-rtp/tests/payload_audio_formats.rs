//! AAC (RFC 3640 AAC-hbr) and Opus (RFC 7587) payload formats: byte-exact
//! payloads, depacketizer edge cases, and properties (packetize then
//! depacketize is the identity; under loss no wrong frame comes out;
//! arbitrary payloads never panic).
#![allow(clippy::unwrap_used, clippy::panic)] // test helpers outside #[test] fns

use std::collections::BTreeMap;
use streamkit_rtp::error::PayloadError;

use bytes::Bytes;
use proptest::prelude::*;
use streamkit_core::time::{RtpTimestamp, SequenceNumber};
use streamkit_rtp::packet::{RtpHeader, RtpPacket};
use streamkit_rtp::payload::aac::{
    AacDepacketized, AacDepacketizer, AacFrame, AacPacketizer, AacPayload, AuHeaderLayout,
    MAX_AAC_HBR_FRAME, MIN_MTU,
};
use streamkit_rtp::payload::opus::{
    OpusDepacketized, OpusDepacketizer, OpusPacketizer, OpusPayload, packet_duration,
};
use streamkit_rtp::sdp::Fmtp;

/// Pushes one Opus packet and polls its payload.
fn opus_payload(
    p: &mut OpusPacketizer,
    timestamp: RtpTimestamp,
    packet: Bytes,
) -> Result<OpusPayload, PayloadError> {
    p.push(timestamp, packet)?;
    p.poll_payload().ok_or(PayloadError::OutputPending)
}

fn rtp(seq: u16, timestamp: RtpTimestamp, marker: bool, payload: &[u8]) -> RtpPacket {
    let header = RtpHeader {
        marker,
        payload_type: 97,
        sequence_number: SequenceNumber::new(seq),
        timestamp,
        ssrc: 0x1234_5678,
        ..RtpHeader::default()
    };
    let mut wire = Vec::new();
    header.write(payload, &mut wire).unwrap();
    RtpPacket::parse(Bytes::from(wire)).unwrap()
}

fn aac_packet(seq: u16, payload: &AacPayload) -> RtpPacket {
    rtp(
        seq,
        payload.timestamp(),
        payload.marker(),
        &payload.to_bytes(),
    )
}

/// Packetizes `frames` (timestamp, data) and returns every payload.
fn packetize(
    frames: &[(u32, Bytes)],
    mtu: usize,
    per_packet: usize,
) -> Result<Vec<AacPayload>, PayloadError> {
    let mut p = AacPacketizer::new(mtu, 1024)?.with_frames_per_packet(per_packet)?;
    let mut out = Vec::new();
    for (ts, frame) in frames {
        p.push(RtpTimestamp::new(*ts), frame.clone())?;
        while let Some(payload) = p.poll_payload() {
            out.push(payload);
        }
    }
    p.finish().unwrap();
    while let Some(payload) = p.poll_payload() {
        out.push(payload);
    }
    Ok(out)
}

/// Pushes packets into a depacketizer, collecting frames and the number
/// of loss reports (and the frames they say were dropped).
fn depacketize(packets: &[RtpPacket]) -> (Vec<AacFrame>, Vec<(u16, u32)>) {
    let mut d = AacDepacketizer::new(AuHeaderLayout::AAC_HBR, 1024);
    let (mut frames, mut losses) = (Vec::new(), Vec::new());
    for packet in packets {
        d.push(packet).unwrap();
        while let Some(out) = d.poll_frame() {
            match out {
                AacDepacketized::Frame(f) => frames.push(f),
                AacDepacketized::Loss(l) => losses.push((l.lost_packets, l.dropped_frames)),
                other => panic!("{other:?}"),
            }
        }
    }
    (frames, losses)
}

#[test]
fn aac_hbr_aggregate_is_byte_exact() {
    let frames = [
        (0, Bytes::from_static(&[0xa1, 0xa2, 0xa3])),
        (1024, Bytes::from_static(&[0xb1, 0xb2])),
    ];
    let payloads = packetize(&frames, 1200, 4).unwrap();
    assert_eq!(payloads.len(), 1);
    // AU-headers-length 32 bits; AU-size 3 and 2 with index (delta) 0.
    assert_eq!(
        &payloads[0].to_bytes()[..],
        [
            0x00, 0x20, 0x00, 0x18, 0x00, 0x10, 0xa1, 0xa2, 0xa3, 0xb1, 0xb2
        ]
    );
    assert!(payloads[0].marker());
    assert_eq!(payloads[0].timestamp(), RtpTimestamp::new(0));
    // Zero-copy: the frames are slices of the input buffers.
    assert_eq!(payloads[0].frames()[0].as_ptr(), frames[0].1.as_ptr());
}

#[test]
fn aac_hbr_fragments_are_byte_exact() {
    let frame = Bytes::from_static(&[1, 2, 3, 4, 5, 6]);
    let payloads = packetize(&[(7, frame)], 8, 1).unwrap();
    let bytes: Vec<(Vec<u8>, bool)> = payloads
        .iter()
        .map(|p| (p.to_bytes().to_vec(), p.marker()))
        .collect();
    // Every fragment's AU-size is the whole frame's (6 << 3 = 0x30); the
    // marker is on the last one only.
    assert_eq!(
        bytes,
        [
            (vec![0x00, 0x10, 0x00, 0x30, 1, 2, 3, 4], false),
            (vec![0x00, 0x10, 0x00, 0x30, 5, 6], true),
        ]
    );
    assert!(
        payloads
            .iter()
            .all(|p| p.timestamp() == RtpTimestamp::new(7))
    );
    assert!(payloads.iter().all(AacPayload::is_fragment));
}

#[test]
fn aac_packetizer_flushes_on_time_gaps_and_limits() {
    let f = |n: u8| Bytes::from(vec![n; 10]);
    // 0 and 1024 follow each other; 4096 does not follow 1024.
    let payloads = packetize(&[(0, f(1)), (1024, f(2)), (4096, f(3))], 1200, 8).unwrap();
    let shape: Vec<(u32, usize)> = payloads
        .iter()
        .map(|p| (p.timestamp().0, p.frames().len()))
        .collect();
    assert_eq!(shape, [(0, 2), (4096, 1)]);
    // An MTU of 2 + 2 * (2 + 10) = 26 holds two frames of 10 bytes.
    let frames: Vec<(u32, Bytes)> = (0..5).map(|i| (i * 1024, f(i as u8))).collect();
    let counts: Vec<usize> = packetize(&frames, 26, 16)
        .unwrap()
        .iter()
        .map(|p| p.frames().len())
        .collect();
    assert_eq!(counts, [2, 2, 1]);
    assert!(
        packetize(&frames, 26, 16)
            .unwrap()
            .iter()
            .all(|p| p.len() <= 26)
    );
}

#[test]
fn aac_packetizer_refusals() {
    assert_eq!(
        AacPacketizer::new(MIN_MTU - 1, 1024).unwrap_err(),
        PayloadError::MtuTooSmall {
            mtu: 4,
            min: MIN_MTU
        }
    );
    assert!(matches!(
        AacPacketizer::new(100, 1024)
            .unwrap()
            .with_frames_per_packet(0),
        Err(PayloadError::FramesPerPacket { frames: 0, .. })
    ));
    let mut p = AacPacketizer::new(100, 1024).unwrap();
    assert_eq!(
        p.push(RtpTimestamp::new(5), Bytes::new()),
        Err(PayloadError::EmptyFrame { timestamp: 5 })
    );
    assert_eq!(
        p.push(
            RtpTimestamp::new(5),
            Bytes::from(vec![0; MAX_AAC_HBR_FRAME + 1])
        ),
        Err(PayloadError::FrameTooLarge {
            len: 8192,
            max: 8191,
            timestamp: 5
        })
    );
    p.push(RtpTimestamp::new(0), Bytes::from_static(b"x"))
        .unwrap();
    assert_eq!(
        p.push(RtpTimestamp::new(1024), Bytes::from_static(b"y")),
        Err(PayloadError::Pending { pending: 5 }) // the AU headers and the frame
    );
    assert!(p.poll_payload().is_some());
    assert!(p.poll_payload().is_none());
    p.push(RtpTimestamp::new(1024), Bytes::from_static(b"y"))
        .unwrap();
}

#[test]
fn aac_depacketizer_reads_other_layouts() {
    // AAC-lbr: 6-bit size, 2-bit index; two frames of 3 and 1 bytes.
    let payload = [0x00, 0x10, 3 << 2, 1 << 2, 9, 9, 9, 8];
    let mut d = AacDepacketizer::new(AuHeaderLayout::AAC_LBR, 1024);
    d.push(&rtp(1, RtpTimestamp::new(100), true, &payload))
        .unwrap();
    let mut got = Vec::new();
    while let Some(AacDepacketized::Frame(f)) = d.poll_frame() {
        got.push((f.timestamp.0, f.data.to_vec()));
    }
    assert_eq!(got, [(100, vec![9, 9, 9]), (1124, vec![8])]);
    let fmtp =
        Fmtp::parse("97 mode=AAC-lbr; SizeLength=6; IndexLength=2; IndexDeltaLength=2").unwrap();
    assert_eq!(
        AuHeaderLayout::from_fmtp(&fmtp).unwrap(),
        AuHeaderLayout::AAC_LBR
    );
    let fmtp = Fmtp::parse("97 sizelength=13; indexlength=3; ctsdeltalength=4").unwrap();
    assert_eq!(
        AuHeaderLayout::from_fmtp(&fmtp),
        Err(PayloadError::UnsupportedFmtpParameter {
            name: "ctsdeltalength"
        })
    );
    let fmtp = Fmtp::parse("97 mode=AAC-hbr").unwrap();
    assert!(matches!(
        AuHeaderLayout::from_fmtp(&fmtp),
        Err(PayloadError::FmtpParameter {
            name: "sizelength",
            ..
        })
    ));
    assert!(AuHeaderLayout::new(17, 3, 3).is_err());
}

#[test]
fn aac_depacketizer_errors() {
    let mut d = AacDepacketizer::new(AuHeaderLayout::AAC_HBR, 1024);
    let ts = RtpTimestamp::new(0);
    let err = d.push(&rtp(1, ts, true, &[0x00])).unwrap_err();
    assert!(matches!(
        err,
        PayloadError::Malformed {
            sequence_number: Some(1),
            offset: 0,
            ..
        }
    ));
    // Headers say 32 bits but only one header's bytes follow.
    let err = d
        .push(&rtp(2, ts, true, &[0x00, 0x20, 0x00, 0x08]))
        .unwrap_err();
    assert!(matches!(
        err,
        PayloadError::Malformed {
            sequence_number: Some(2),
            ..
        }
    ));
    // Two AUs of 1 byte each, but 3 data bytes.
    let err = d
        .push(&rtp(
            3,
            ts,
            true,
            &[0x00, 0x20, 0x00, 0x08, 0x00, 0x08, 1, 2, 3],
        ))
        .unwrap_err();
    assert!(matches!(
        err,
        PayloadError::Malformed {
            sequence_number: Some(3),
            offset: 6,
            ..
        }
    ));
    // AU-Index 1: interleaving.
    let err = d
        .push(&rtp(4, ts, true, &[0x00, 0x10, 0x00, 0x09, 1]))
        .unwrap_err();
    assert_eq!(
        err,
        PayloadError::Interleaved {
            index: 1,
            sequence_number: 4
        }
    );
    // A header length that is not a whole number of headers.
    let err = d
        .push(&rtp(5, ts, true, &[0x00, 0x11, 0x00, 0x08, 0x00, 1]))
        .unwrap_err();
    assert!(matches!(
        err,
        PayloadError::Malformed {
            sequence_number: Some(5),
            ..
        }
    ));
    // Old and duplicate packets are refused without effect.
    assert_eq!(
        d.push(&rtp(5, ts, true, &[0x00, 0x10, 0x00, 0x08, 1])),
        Err(PayloadError::OutOfOrder {
            sequence_number: 5,
            last: 5
        })
    );
    d.push(&rtp(6, ts, true, &[0x00, 0x10, 0x00, 0x08, 1]))
        .unwrap();
    assert_eq!(
        d.push(&rtp(7, ts, true, &[0x00, 0x10, 0x00, 0x08, 1])),
        Err(PayloadError::OutputPending)
    );
    assert!(matches!(d.poll_frame(), Some(AacDepacketized::Frame(_))));
    assert_eq!(d.poll_frame(), None);
}

#[test]
fn aac_fragment_loss_drops_the_frame() {
    let big = Bytes::from((0..3000u32).map(|i| i as u8).collect::<Vec<u8>>());
    let small = Bytes::from_static(&[7; 20]);
    let frames = [(0, big.clone()), (1024, small.clone()), (2048, big.clone())];
    let payloads = packetize(&frames, 1000, 1).unwrap();
    assert_eq!(payloads.len(), 4 + 1 + 4);
    let packets: Vec<RtpPacket> = payloads
        .iter()
        .enumerate()
        .map(|(i, p)| aac_packet(65_530u16.wrapping_add(i as u16), p))
        .collect();
    // All of them: three frames.
    let (got, losses) = depacketize(&packets);
    assert_eq!(losses, []);
    assert_eq!(
        got.iter()
            .map(|f| (f.timestamp.0, f.data.clone()))
            .collect::<Vec<_>>(),
        frames.to_vec()
    );
    // Lose the second fragment of the first frame: it is dropped, reported.
    let mut lossy = packets.clone();
    lossy.remove(1);
    let (got, losses) = depacketize(&lossy);
    assert_eq!(losses, [(1, 1)]);
    assert_eq!(got.len(), 2);
    assert_eq!(got[0].data, small);
    assert_eq!(got[1].data, big);
    // Lose the first fragment of the last frame: the rest is dropped when
    // the marker shows it short.
    let mut lossy = packets.clone();
    lossy.remove(5);
    let (got, losses) = depacketize(&lossy);
    assert_eq!(losses, [(1, 0), (0, 1)]);
    assert_eq!(got.len(), 2);
    // Lose the last fragment of the first frame: the next frame shows it.
    let mut lossy = packets;
    lossy.remove(3);
    let (got, losses) = depacketize(&lossy);
    assert_eq!(losses, [(1, 1)]);
    assert_eq!(got.len(), 2);
}

fn arb_frames() -> impl Strategy<Value = Vec<(u32, Bytes)>> {
    prop::collection::vec(
        (
            prop_oneof![4 => 1usize..400, 1 => 1usize..=MAX_AAC_HBR_FRAME],
            any::<u8>(),
            prop_oneof![6 => Just(1u32), 1 => 2u32..5],
        ),
        1..40,
    )
    .prop_map(|spec| {
        let mut ts = 4_294_960_000u32; // wraps within the sequence
        spec.into_iter()
            .map(|(len, fill, step)| {
                ts = ts.wrapping_add(1024 * step);
                let data: Vec<u8> = (0..len).map(|i| fill.wrapping_add(i as u8)).collect();
                (ts, Bytes::from(data))
            })
            .collect()
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    #[test]
    fn aac_round_trip(frames in arb_frames(), mtu in MIN_MTU..1500usize, per in 1usize..=16, seq0: u16) {
        let payloads = packetize(&frames, mtu, per).unwrap();
        for p in &payloads {
            prop_assert!(p.len() <= mtu);
            prop_assert!(p.frames().len() <= per);
        }
        let packets: Vec<RtpPacket> = payloads
            .iter()
            .enumerate()
            .map(|(i, p)| aac_packet(seq0.wrapping_add(i as u16), p))
            .collect();
        let (got, losses) = depacketize(&packets);
        prop_assert_eq!(losses, vec![]);
        let got: Vec<(u32, Bytes)> = got.into_iter().map(|f| (f.timestamp.0, f.data)).collect();
        prop_assert_eq!(got, frames);
    }

    #[test]
    fn aac_loss_emits_no_wrong_frame(frames in arb_frames(), mtu in MIN_MTU..1500usize, per in 1usize..=16, seed: u64, percent in 1u64..50) {
        let payloads = packetize(&frames, mtu, per).unwrap();
        let mut state = seed;
        let mut kept = Vec::new();
        let mut dropped = 0;
        for (i, p) in payloads.iter().enumerate() {
            state = state.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
            if (state >> 33) % 100 < percent {
                dropped += 1;
                continue;
            }
            kept.push(aac_packet(i as u16, p));
        }
        let (got, losses) = depacketize(&kept);
        let by_ts: BTreeMap<u32, Bytes> = frames.iter().cloned().collect();
        let mut seen = std::collections::BTreeSet::new();
        for f in &got {
            prop_assert_eq!(Some(&f.data), by_ts.get(&f.timestamp.0), "wrong frame at {}", f.timestamp.0);
            prop_assert!(seen.insert(f.timestamp.0), "frame {} twice", f.timestamp.0);
        }
        let reported: u32 = losses.iter().map(|(p, _)| u32::from(*p)).sum();
        // Every lost packet between the first and the last kept one is
        // counted (the depacketizer cannot know of the others).
        let seqs: Vec<usize> = kept.iter().map(|p| usize::from(p.sequence_number().0)).collect();
        let between = match (seqs.first(), seqs.last()) {
            (Some(a), Some(b)) => b - a + 1 - seqs.len(),
            _ => 0,
        };
        prop_assert_eq!(reported as usize, between);
        let dropped_frames: u32 = losses.iter().map(|(_, f)| *f).sum();
        prop_assert!(got.len() + dropped_frames as usize <= frames.len());
        if got.len() < frames.len() {
            prop_assert!(dropped > 0);
        }
    }

    #[test]
    fn aac_arbitrary_payloads_never_panic(
        payloads in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..64), 1..8),
        size in 1u8..=16, index in 0u8..=8, delta in 0u8..=8, marker: bool,
    ) {
        let layout = AuHeaderLayout::new(size, index, delta).unwrap();
        let mut d = AacDepacketizer::new(layout, 1024);
        for (i, payload) in payloads.iter().enumerate() {
            let packet = rtp(i as u16, RtpTimestamp::new(0), marker, payload);
            let _ = d.push(&packet);
            let mut bytes_out = 0;
            while let Some(out) = d.poll_frame() {
                if let AacDepacketized::Frame(f) = out {
                    prop_assert!(!f.data.is_empty());
                    bytes_out += f.data.len();
                }
            }
            prop_assert!(bytes_out <= payloads.iter().map(Vec::len).sum::<usize>());
        }
    }

    #[test]
    fn au_header_layout_from_arbitrary_fmtp_never_panics(
        params in prop::collection::vec(
            (
                prop_oneof![
                    Just("sizelength".to_owned()),
                    Just("IndexLength".to_owned()),
                    Just("indexdeltalength".to_owned()),
                    Just("ctsdeltalength".to_owned()),
                    Just("constantsize".to_owned()),
                    "[a-z]{0,8}",
                ],
                prop_oneof!["[0-9]{1,4}", ".{0,6}"],
            ),
            0..6,
        ),
    ) {
        let text: Vec<String> = params.iter().map(|(k, v)| format!("{k}={v}")).collect();
        if let Ok(fmtp) = Fmtp::parse(&format!("97 {}", text.join("; ")))
            && let Ok(layout) = AuHeaderLayout::from_fmtp(&fmtp) {
                prop_assert!((1..=16).contains(&layout.size_length()));
                prop_assert!(layout.index_length() <= 8 && layout.index_delta_length() <= 8);
            }
    }

    #[test]
    fn opus_arbitrary_payloads_never_panic(payload in prop::collection::vec(any::<u8>(), 0..64)) {
        let mut d = OpusDepacketizer::new();
        match d.push(&rtp(1, RtpTimestamp::new(0), false, &payload)) {
            Ok(()) => {
                let Some(OpusDepacketized::Packet(p)) = d.poll_packet() else { panic!("no packet") };
                prop_assert_eq!(&p.data[..], &payload[..]);
                prop_assert!(p.duration <= 5_760);
            }
            Err(e) => {
                let ok = matches!(e, PayloadError::Malformed { sequence_number: Some(1), .. });
                prop_assert!(ok, "{:?}", e);
            }
        }
    }

    #[test]
    fn opus_round_trip_with_loss(
        packets in prop::collection::vec((0u8..32, 0usize..200, any::<bool>()), 1..50),
        seed: u64,
    ) {
        let mut p = OpusPacketizer::new(1500).unwrap();
        let mut ts = 0u32;
        let mut sent = Vec::new();
        let mut state = seed;
        for (i, (config, len, gap)) in packets.iter().enumerate() {
            let mut data = vec![config << 3];
            data.extend((0..*len).map(|b| b as u8));
            let data = Bytes::from(data);
            if *gap { ts = ts.wrapping_add(9_600); }
            let payload = opus_payload(&mut p, RtpTimestamp::new(ts), data.clone()).unwrap();
            prop_assert_eq!(payload.marker(), i == 0 || *gap);
            prop_assert_eq!(payload.data().as_ptr(), data.as_ptr());
            ts = ts.wrapping_add(payload.duration());
            state = state.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
            if (state >> 33) % 4 != 0 {
                sent.push((i as u16, payload));
            }
        }
        let mut d = OpusDepacketizer::new();
        let mut last = None;
        for (seq, payload) in &sent {
            d.push(&rtp(*seq, payload.timestamp(), payload.marker(), payload.data())).unwrap();
            if let Some(l) = last
                && *seq != l + 1 {
                    prop_assert_eq!(d.poll_packet(), Some(OpusDepacketized::Loss(loss(seq - l - 1, *seq))));
                }
            let Some(OpusDepacketized::Packet(got)) = d.poll_packet() else { panic!("no packet") };
            prop_assert_eq!(&got.data, payload.data());
            prop_assert_eq!(got.timestamp, payload.timestamp());
            prop_assert_eq!(got.duration, payload.duration());
            prop_assert_eq!(d.poll_packet(), None);
            last = Some(*seq);
        }
    }
}

fn loss(lost: u16, seq: u16) -> streamkit_rtp::payload::opus::OpusLoss {
    // OpusLoss is non-exhaustive: obtain one from a depacketizer.
    let mut d = OpusDepacketizer::new();
    let toc = [0xfc];
    d.push(&rtp(
        seq.wrapping_sub(lost + 1),
        RtpTimestamp::new(0),
        false,
        &toc,
    ))
    .unwrap();
    let _ = d.poll_packet();
    d.push(&rtp(seq, RtpTimestamp::new(0), false, &toc))
        .unwrap();
    match d.poll_packet() {
        Some(OpusDepacketized::Loss(l)) => l,
        other => panic!("{other:?}"),
    }
}

#[test]
fn opus_packet_rules() {
    // Frame sizes of each mode (RFC 6716 table 2), code 0.
    let durations: Vec<u32> = (0u8..32)
        .map(|c| packet_duration(&[c << 3]).unwrap())
        .collect();
    assert_eq!(
        durations,
        [
            480, 960, 1920, 2880, 480, 960, 1920, 2880, 480, 960, 1920, 2880, 480, 960, 480, 960,
            120, 240, 480, 960, 120, 240, 480, 960, 120, 240, 480, 960, 120, 240, 480, 960
        ]
    );
    // Code 1: two equal frames; an odd remainder is malformed.
    assert_eq!(packet_duration(&[0xfd, 1, 2]), Ok(1920));
    assert!(packet_duration(&[0xfd, 1]).is_err());
    // Code 2: first length 1 byte; 252+ uses two bytes.
    assert_eq!(packet_duration(&[0xfe, 1, 9, 9]), Ok(1920));
    assert!(packet_duration(&[0xfe, 5, 9]).is_err());
    assert!(packet_duration(&[0xfe, 252]).is_err());
    // Code 3: M frames, at most 120 ms.
    assert_eq!(packet_duration(&[0xff, 6]), Ok(5760));
    assert!(packet_duration(&[0xff, 7]).is_err());
    assert!(packet_duration(&[0xff, 0]).is_err());
    assert!(packet_duration(&[0xff]).is_err());

    let mut p = OpusPacketizer::new(3).unwrap();
    assert_eq!(
        opus_payload(
            &mut p,
            RtpTimestamp::new(0),
            Bytes::from_static(&[0xfc, 0, 0, 0])
        ),
        Err(PayloadError::PacketTooLarge { len: 4, mtu: 3 })
    );
    assert!(OpusPacketizer::new(0).is_err());
    let mut d = OpusDepacketizer::new();
    d.push(&rtp(9, RtpTimestamp::new(0), false, &[0xfc]))
        .unwrap();
    assert_eq!(
        d.push(&rtp(10, RtpTimestamp::new(960), false, &[0xfc])),
        Err(PayloadError::OutputPending)
    );
    let _ = d.poll_packet();
    assert_eq!(
        d.push(&rtp(8, RtpTimestamp::new(960), false, &[0xfc])),
        Err(PayloadError::OutOfOrder {
            sequence_number: 8,
            last: 9
        })
    );
    assert!(matches!(
        d.push(&rtp(10, RtpTimestamp::new(960), false, &[])),
        Err(PayloadError::Malformed {
            sequence_number: Some(10),
            offset: 0,
            ..
        })
    ));
}
