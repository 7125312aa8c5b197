//! H.264 and H.265 payload formats as properties: packetizing then
//! depacketizing gives every access unit back byte for byte, for arbitrary
//! NAL unit sequences and MTUs down to the smallest each format allows; and
//! under seeded packet loss no wrong access unit is ever given: only whole
//! units, every loss reported with its exact packet count.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::HashMap;

use bytes::Bytes;
use proptest::prelude::*;
use streamkit_core::nal::{NalLengthSize, ebsp_from_rbsp};
use streamkit_core::time::{RtpTimestamp, SequenceNumber};
use streamkit_rtp::packet::{RtpHeader, RtpPacket};
use streamkit_rtp::payload::h264::{H264Depacketizer, H264Packetizer};
use streamkit_rtp::payload::h265::{H265Depacketizer, H265Packetizer};
use streamkit_rtp::payload::{
    Depacketized, DepacketizedUnit, Depacketizer, NalForm, Packetizer, Payload, RtpPayload,
    RtpPayloadRef,
};

#[derive(Clone, Copy, Debug)]
enum Codec {
    H264,
    H265,
}

/// A NAL unit of a valid type whose body has no start-code emulation and
/// ends in a non-zero byte, as real units do.
fn nal(codec: Codec) -> impl Strategy<Value = Vec<u8>> {
    let body = prop_oneof![
        3 => proptest::collection::vec(any::<u8>(), 0..40),
        2 => proptest::collection::vec(any::<u8>(), 40..3000),
        1 => proptest::collection::vec(0u8..2, 0..200),
    ];
    let header = match codec {
        // Types 1 to 23, any NRI.
        Codec::H264 => (0u8..4, 1u8..24)
            .prop_map(|(nri, t)| vec![(nri << 5) | t])
            .boxed(),
        // Types 0 to 47, any layer id, TID 1 to 7.
        Codec::H265 => (0u8..48, 0u8..64, 1u8..8)
            .prop_map(|(t, layer, tid)| vec![(t << 1) | (layer >> 5), ((layer & 0x1f) << 3) | tid])
            .boxed(),
    };
    (header, body).prop_map(|(mut h, body)| {
        let mut rbsp = body;
        rbsp.push(0x80);
        h.extend_from_slice(&ebsp_from_rbsp(&rbsp));
        h
    })
}

fn access_unit(codec: Codec) -> impl Strategy<Value = Bytes> {
    proptest::collection::vec(nal(codec), 1..12).prop_map(|units| {
        let mut au = Vec::new();
        for u in units {
            au.extend_from_slice(&(u.len() as u32).to_be_bytes());
            au.extend_from_slice(&u);
        }
        Bytes::from(au)
    })
}

/// The library's packetizer of `codec` (mode 1, no configured parameter
/// sets).
fn packetizer(codec: Codec, mtu: usize) -> Packetizer {
    match codec {
        Codec::H264 => Packetizer::H264(H264Packetizer::new(mtu, NalLengthSize::Four).unwrap()),
        Codec::H265 => Packetizer::H265(H265Packetizer::new(mtu, NalLengthSize::Four).unwrap()),
    }
}

/// The next payload of a video packetizer.
fn poll(p: &mut Packetizer) -> Option<RtpPayload> {
    match p.poll_payload()? {
        Payload::Video(v) => Some(v),
        other => panic!("not video: {other:?}"),
    }
}

/// The next payload in the borrowed form, checked against its owned copy.
fn poll_ref(p: &mut Packetizer) -> Option<RtpPayload> {
    let check = |r: RtpPayloadRef<'_>| {
        let owned = r.to_payload();
        let mut written = Vec::new();
        assert_eq!(r.write_to(&mut written).unwrap(), r.len());
        assert_eq!(written, owned.to_bytes());
        assert_eq!(r.chunks().collect::<Vec<_>>().concat(), written);
        assert_eq!(
            (r.marker(), r.timestamp(), r.header()),
            (owned.marker(), owned.timestamp(), owned.header())
        );
        assert!(r.units().eq(owned.units().map(|u| &u[..])));
        owned
    };
    match p {
        Packetizer::H264(p) => p.poll_payload_ref().map(check),
        Packetizer::H265(p) => p.poll_payload_ref().map(check),
        _ => panic!("not video"),
    }
}

/// The library's depacketizer of `codec`.
fn depacketizer(codec: Codec, form: NalForm) -> Depacketizer {
    match codec {
        Codec::H264 => Depacketizer::H264(H264Depacketizer::new(form)),
        Codec::H265 => Depacketizer::H265(H265Depacketizer::new(form)),
    }
}

/// The next video event of `d`.
fn poll_video(d: &mut Depacketizer) -> Option<Depacketized> {
    match d.poll_unit()? {
        DepacketizedUnit::Video(v) => Some(v),
        other => panic!("not video: {other:?}"),
    }
}

/// Every access unit as RTP packets: (index of its access unit, packet).
fn packetize(codec: Codec, mtu: usize, aus: &[Bytes], first_seq: u16) -> Vec<(usize, RtpPacket)> {
    let mut p = packetizer(codec, mtu);
    let mut out = Vec::new();
    let mut seq = first_seq;
    for (i, au) in aus.iter().enumerate() {
        let ts = RtpTimestamp::new(3000u32.wrapping_mul(i as u32).wrapping_add(7));
        p.push(ts, au.clone()).unwrap();
        let mut last_marker = false;
        // Odd units through the borrowed form.
        let borrowed = i % 2 == 1;
        while let Some(payload) = if borrowed {
            poll_ref(&mut p)
        } else {
            poll(&mut p)
        } {
            assert!(
                payload.len() <= mtu,
                "payload of {} above MTU {mtu}",
                payload.len()
            );
            assert!(!last_marker, "marker before the last payload");
            last_marker = payload.marker();
            let header = RtpHeader {
                marker: payload.marker(),
                payload_type: 96,
                sequence_number: SequenceNumber::new(seq),
                timestamp: payload.timestamp(),
                ssrc: 1,
                ..RtpHeader::default()
            };
            let mut datagram = Vec::new();
            header.write_header(&mut datagram).unwrap();
            payload.write_to(&mut datagram).unwrap();
            assert_eq!(payload.to_bytes().len(), payload.len());
            out.push((i, RtpPacket::parse(Bytes::from(datagram)).unwrap()));
            seq = seq.wrapping_add(1);
        }
        assert!(last_marker, "no marker on the last payload");
    }
    out
}

fn annex_b(au: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    streamkit_core::nal::length_prefixed_to_annex_b(au, NalLengthSize::Four, &mut out).unwrap();
    out
}

fn round_trip(codec: Codec, mtu: usize, aus: &[Bytes], seq: u16) {
    let packets = packetize(codec, mtu, aus, seq);
    for form in [
        NalForm::LengthPrefixed(NalLengthSize::Four),
        NalForm::AnnexB,
    ] {
        let mut d = depacketizer(codec, form);
        let mut got = Vec::new();
        for (_, p) in &packets {
            d.push(p).unwrap();
            while let Some(ev) = poll_video(&mut d) {
                match ev {
                    Depacketized::AccessUnit(u) => got.push(u),
                    Depacketized::ParameterSets(_) => {}
                    other => panic!("unexpected {other:?}"),
                }
            }
        }
        assert_eq!(got.len(), aus.len());
        for (i, (u, au)) in got.iter().zip(aus).enumerate() {
            let want = match form {
                NalForm::AnnexB => Bytes::from(annex_b(au)),
                _ => au.clone(),
            };
            assert!(u.data == want, "access unit {i} at MTU {mtu} differs");
            assert_eq!(
                u.timestamp,
                RtpTimestamp::new(3000u32.wrapping_mul(i as u32).wrapping_add(7))
            );
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    #[test]
    fn h264_round_trip(aus in proptest::collection::vec(access_unit(Codec::H264), 1..5), mtu in 3usize..1500, seq: u16) {
        round_trip(Codec::H264, mtu, &aus, seq);
    }

    #[test]
    fn h265_round_trip(aus in proptest::collection::vec(access_unit(Codec::H265), 1..5), mtu in 4usize..1500, seq: u16) {
        round_trip(Codec::H265, mtu, &aus, seq);
    }

    #[test]
    fn h264_smallest_mtus(aus in proptest::collection::vec(access_unit(Codec::H264), 1..3), mtu in 3usize..8) {
        round_trip(Codec::H264, mtu, &aus, 65_530);
    }

    #[test]
    fn h265_smallest_mtus(aus in proptest::collection::vec(access_unit(Codec::H265), 1..3), mtu in 4usize..9) {
        round_trip(Codec::H265, mtu, &aus, 65_530);
    }

    #[test]
    fn h264_loss_gives_only_whole_units(aus in proptest::collection::vec(access_unit(Codec::H264), 2..12), mtu in 3usize..1500, seed: u64, rate in 1u64..40) {
        lossy(Codec::H264, mtu, &aus, seed, rate);
    }

    #[test]
    fn h265_loss_gives_only_whole_units(aus in proptest::collection::vec(access_unit(Codec::H265), 2..12), mtu in 4usize..1500, seed: u64, rate in 1u64..40) {
        lossy(Codec::H265, mtu, &aus, seed, rate);
    }
}

/// A small seeded generator (xorshift64*), so a failure replays.
fn next(state: &mut u64) -> u64 {
    *state ^= *state >> 12;
    *state ^= *state << 25;
    *state ^= *state >> 27;
    state.wrapping_mul(0x2545_f491_4f6c_dd1d)
}

fn lossy(codec: Codec, mtu: usize, aus: &[Bytes], seed: u64, rate_percent: u64) {
    let packets = packetize(codec, mtu, aus, 100);
    let mut state = seed | 1;
    // The first packet arrives: a unit begun before the first packet a
    // receiver sees cannot be told from a whole one.
    let kept: Vec<bool> = packets
        .iter()
        .enumerate()
        .map(|(i, _)| i == 0 || next(&mut state) % 100 >= rate_percent)
        .collect();
    let mut d = depacketizer(codec, NalForm::LengthPrefixed(NalLengthSize::Four));
    let by_ts: HashMap<u32, Bytes> = aus
        .iter()
        .enumerate()
        .map(|(i, au)| (3000u32.wrapping_mul(i as u32).wrapping_add(7), au.clone()))
        .collect();
    let mut emitted = Vec::new();
    let mut reported_lost = 0usize;
    for ((_, p), keep) in packets.iter().zip(&kept) {
        if !keep {
            continue;
        }
        d.push(p).unwrap();
        while let Some(ev) = poll_video(&mut d) {
            match ev {
                Depacketized::AccessUnit(u) => {
                    assert!(
                        Some(&u.data) == by_ts.get(&u.timestamp.0),
                        "a wrong access unit was given at {:?}",
                        u.timestamp
                    );
                    emitted.push(u.timestamp.0);
                }
                Depacketized::Loss(l) => reported_lost += usize::from(l.lost_packets),
                Depacketized::ParameterSets(_) => {}
                other => panic!("unexpected {other:?}"),
            }
        }
    }
    // Every loss before the last received packet is reported, exactly.
    let last_kept = kept.iter().rposition(|k| *k);
    let seen_lost = last_kept.map_or(0, |l| kept[..l].iter().filter(|k| !**k).count());
    assert_eq!(reported_lost, seen_lost);
    // An access unit is given exactly when all its packets arrived and the
    // packet before its first arrived too (or it is the first unit).
    for (i, _) in aus.iter().enumerate() {
        let idx: Vec<usize> = packets
            .iter()
            .enumerate()
            .filter(|(_, (a, _))| *a == i)
            .map(|(k, _)| k)
            .collect();
        let first = idx[0];
        let whole = idx.iter().all(|&k| kept[k]) && (first == 0 || kept[first - 1]);
        let ts = 3000u32.wrapping_mul(i as u32).wrapping_add(7);
        assert_eq!(emitted.contains(&ts), whole, "access unit {i}");
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Arbitrary payloads, sequence numbers, timestamps and markers never
    /// make a depacketizer panic, and no access unit exceeds its limit.
    #[test]
    fn arbitrary_payloads_never_panic(
        packets in proptest::collection::vec(
            (proptest::collection::vec(any::<u8>(), 0..64), 0u16..6, 0u32..3, any::<bool>()),
            0..40,
        ),
        h265: bool,
        annex_b: bool,
    ) {
        let form = if annex_b { NalForm::AnnexB } else { NalForm::LengthPrefixed(NalLengthSize::Two) };
        let mut d264 = H264Depacketizer::new(form).with_max_access_unit(200);
        let mut d265 = H265Depacketizer::new(form).with_max_access_unit(200);
        let mut seq = 0u16;
        for (payload, step, ts, marker) in packets {
            seq = seq.wrapping_add(step);
            let mut datagram = Vec::new();
            RtpHeader {
                marker,
                payload_type: 96,
                sequence_number: SequenceNumber::new(seq),
                timestamp: RtpTimestamp::new(ts),
                ..RtpHeader::default()
            }
            .write(&payload, &mut datagram)
            .unwrap();
            let packet = RtpPacket::parse(Bytes::from(datagram)).unwrap();
            let events: Vec<Depacketized> = if h265 {
                let _ = d265.push(&packet);
                std::iter::from_fn(|| d265.poll_access_unit()).collect()
            } else {
                let _ = d264.push(&packet);
                std::iter::from_fn(|| d264.poll_access_unit()).collect()
            };
            for ev in events {
                if let Depacketized::AccessUnit(u) = ev {
                    prop_assert!(u.data.len() <= 200);
                    prop_assert!(!u.data.is_empty());
                }
            }
        }
    }

    /// Arbitrary access units never make a packetizer panic: they are
    /// refused with an error, or every payload fits the MTU and the last
    /// one carries the marker.
    #[test]
    fn arbitrary_access_units_never_panic(
        data in proptest::collection::vec(any::<u8>(), 0..600),
        mtu in 3usize..300,
        h265: bool,
        size in 1u8..5,
    ) {
        let Some(size) = NalLengthSize::from_bytes(size) else { return Ok(()); };
        let mtu = if h265 { mtu.max(4) } else { mtu };
        let mut p = if h265 {
            Packetizer::H265(H265Packetizer::new(mtu, size).unwrap())
        } else {
            Packetizer::H264(H264Packetizer::new(mtu, size).unwrap())
        };
        let ok = p.push(RtpTimestamp::new(1), Bytes::from(data)).is_ok();
        let mut last_marker = !ok;
        let mut count = 0;
        while let Some(payload) = poll(&mut p) {
            prop_assert!(payload.len() <= mtu);
            prop_assert!(!last_marker || count == 0);
            last_marker = payload.marker();
            count += 1;
            prop_assert!(count < 100_000);
        }
        prop_assert!(last_marker || count == 0);
    }
}
