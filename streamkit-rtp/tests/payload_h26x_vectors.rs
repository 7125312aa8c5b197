//! H.264 and H.265 payload formats byte for byte: the headers RFC 6184 and
//! RFC 7798 define, the packetizer's choices (parameter sets before IDR,
//! mode 0), and the depacketizer on what real cameras send.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use bytes::Bytes;
use streamkit_core::codec::h264::AvcConfig;
use streamkit_core::nal::NalLengthSize;
use streamkit_core::time::{RtpTimestamp, SequenceNumber};
use streamkit_rtp::error::PayloadError;
use streamkit_rtp::packet::{RtpHeader, RtpPacket};
use streamkit_rtp::payload::h264::{H264Depacketizer, H264Packetizer};
use streamkit_rtp::payload::h265::{H265Depacketizer, H265Packetizer};
use streamkit_rtp::payload::{Depacketized, NalForm, RtpPayload};

fn au(units: &[&[u8]]) -> Bytes {
    let mut v = Vec::new();
    for u in units {
        v.extend_from_slice(&(u.len() as u32).to_be_bytes());
        v.extend_from_slice(u);
    }
    Bytes::from(v)
}

fn drain264(p: &mut H264Packetizer) -> Vec<RtpPayload> {
    std::iter::from_fn(|| p.poll_payload()).collect()
}

fn packet(seq: u16, ts: u32, marker: bool, payload: &[u8]) -> RtpPacket {
    let mut d = Vec::new();
    RtpHeader {
        marker,
        payload_type: 96,
        sequence_number: SequenceNumber::new(seq),
        timestamp: RtpTimestamp::new(ts),
        ..RtpHeader::default()
    }
    .write(payload, &mut d)
    .unwrap();
    RtpPacket::parse(Bytes::from(d)).unwrap()
}

fn events264(d: &mut H264Depacketizer) -> Vec<Depacketized> {
    std::iter::from_fn(|| d.poll_access_unit()).collect()
}

const LP4: NalForm = NalForm::LengthPrefixed(NalLengthSize::Four);

#[test]
fn h264_stap_a_then_fu_a_headers() {
    let sps: &[u8] = &[0x67, 0x42, 0xc0, 0x1e];
    let pps: &[u8] = &[0x68, 0xce, 0x3c, 0x80];
    let mut idr = vec![0x65];
    idr.extend(1..=20u8);
    let mut p = H264Packetizer::new(13, NalLengthSize::Four).unwrap();
    p.push(RtpTimestamp::new(9), au(&[sps, pps, &idr])).unwrap();
    let out = drain264(&mut p);
    let bytes: Vec<Vec<u8>> = out.iter().map(|p| p.to_bytes().to_vec()).collect();
    assert_eq!(bytes.len(), 3);
    // STAP-A: F=0, NRI = max(3, 3), type 24; then 16-bit sizes and units.
    assert_eq!(
        bytes[0],
        [
            0x78, 0, 4, 0x67, 0x42, 0xc0, 0x1e, 0, 4, 0x68, 0xce, 0x3c, 0x80
        ]
    );
    assert!(out[0].is_aggregation());
    assert_eq!(out[0].units().next().unwrap(), sps);
    // FU-A: indicator (NRI 3, type 28), header (S, type 5), 11 bytes...
    assert_eq!(bytes[1][..2], [0x7c, 0x85]);
    assert_eq!(bytes[1][2..], idr[1..12]);
    // ... then (E, type 5) and the remaining 9 bytes.
    assert_eq!(bytes[2][..2], [0x7c, 0x45]);
    assert_eq!(bytes[2][2..], idr[12..]);
    assert_eq!(
        out.iter().map(RtpPayload::marker).collect::<Vec<_>>(),
        [false, false, true]
    );
    assert!(out.iter().all(|p| p.timestamp() == RtpTimestamp::new(9)));
    // The units are slices of the access unit, not copies.
    let chunks: usize = out
        .iter()
        .map(|p| p.chunks().map(<[u8]>::len).sum::<usize>())
        .sum();
    assert_eq!(chunks, 13 + 13 + 11);
}

#[test]
fn h264_parameter_sets_before_idr_after_aud() {
    let sps = Bytes::from_static(&[0x67, 0x42, 0xc0, 0x1e, 0xd9, 0x00, 0xa0, 0x47, 0xfe, 0xc8]);
    let pps = Bytes::from_static(&[0x68, 0xce, 0x3c, 0x80]);
    let config = AvcConfig {
        profile_idc: 0x42,
        profile_compatibility: 0xc0,
        level_idc: 0x1e,
        nal_length_size: NalLengthSize::Four,
        sps: vec![sps.clone()],
        pps: vec![pps.clone()],
        high_profile_fields: None,
    };
    let mut p = H264Packetizer::with_parameter_sets(&config, 1200).unwrap();
    let aud: &[u8] = &[0x09, 0xf0];
    let idr: &[u8] = &[0x65, 0x88, 0x84];
    let slice: &[u8] = &[0x41, 0x9a, 0x02];
    // IDR with an AUD: AUD, SPS, PPS, IDR in one STAP-A.
    p.push(RtpTimestamp::new(0), au(&[aud, idr])).unwrap();
    let out = drain264(&mut p);
    assert_eq!(out.len(), 1);
    let units: Vec<&[u8]> = out[0].units().map(|u| &u[..]).collect();
    assert_eq!(units, [aud, &sps[..], &pps[..], idr]);
    // A non-IDR unit: nothing added, a single NAL unit packet.
    p.push(RtpTimestamp::new(3000), au(&[slice])).unwrap();
    let out = drain264(&mut p);
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].to_bytes(), slice);
    assert!(out[0].marker());
    // An IDR that carries its own SPS and PPS: nothing added.
    p.push(RtpTimestamp::new(6000), au(&[&sps, &pps, idr]))
        .unwrap();
    let out = drain264(&mut p);
    assert_eq!(out[0].units().len(), 3);
    // A push before the previous unit is drained is refused.
    p.push(RtpTimestamp::new(9000), au(&[slice])).unwrap();
    assert_eq!(
        p.push(RtpTimestamp::new(12000), au(&[slice])),
        Err(PayloadError::Pending { pending: 7 })
    );
}

#[test]
fn h264_mode_0_and_bad_units() {
    let mut p = H264Packetizer::new(4, NalLengthSize::Four)
        .unwrap()
        .single_nal_unit_mode()
        .unwrap();
    p.push(RtpTimestamp::new(0), au(&[&[0x67, 1, 2], &[0x68, 1]]))
        .unwrap();
    let out = drain264(&mut p);
    assert_eq!(out.len(), 2, "no STAP-A in mode 0");
    assert_eq!(
        p.push(RtpTimestamp::new(1), au(&[&[0x67, 1], &[0x65, 1, 2, 3, 4]])),
        Err(PayloadError::TooLargeForSingleNalUnit {
            offset: Some(6),
            len: 5,
            mtu: 4
        })
    );
    assert_eq!(
        H264Packetizer::new(2, NalLengthSize::Four).unwrap_err(),
        PayloadError::MtuTooSmall { mtu: 2, min: 3 }
    );
    let mut p = H264Packetizer::new(100, NalLengthSize::Four).unwrap();
    assert_eq!(
        p.push(
            RtpTimestamp::new(0),
            Bytes::from_static(&[0, 0, 0, 9, 0x65])
        ),
        Err(PayloadError::Truncated { offset: 0 })
    );
    assert!(matches!(
        p.push(RtpTimestamp::new(0), au(&[&[0x7c, 1]])),
        Err(PayloadError::InvalidNalUnit { offset: 0, .. })
    ));
    assert!(matches!(
        p.push(RtpTimestamp::new(0), au(&[&[]])),
        Err(PayloadError::InvalidNalUnit { offset: 0, .. })
    ));
}

#[test]
fn h265_aggregation_and_fragmentation_headers() {
    // VPS (type 32), SPS (33), PPS (34): layer 0, TID 1.
    let vps: &[u8] = &[0x40, 0x01, 0x0c];
    let sps: &[u8] = &[0x42, 0x01, 0x01];
    let pps: &[u8] = &[0x44, 0x01, 0xc1];
    // IDR_W_RADL (19), TID 1, 12 bytes of body.
    let mut idr = vec![0x26, 0x01];
    idr.extend(1..=12u8);
    let mut p = H265Packetizer::new(20, NalLengthSize::Four).unwrap();
    p.push(RtpTimestamp::new(1), au(&[vps, sps, pps, &idr]))
        .unwrap();
    let out: Vec<RtpPayload> = std::iter::from_fn(|| p.poll_payload()).collect();
    let bytes: Vec<Vec<u8>> = out.iter().map(|p| p.to_bytes().to_vec()).collect();
    // AP: type 48, layer 0, TID 1; three units of 3 bytes = 2 + 3 × 5 = 17.
    assert_eq!(
        bytes[0],
        [
            0x60, 0x01, 0, 3, 0x40, 0x01, 0x0c, 0, 3, 0x42, 0x01, 0x01, 0, 3, 0x44, 0x01, 0xc1
        ]
    );
    // The IDR (14 bytes) fits alone.
    assert_eq!(bytes[1], idr);
    assert!(out[1].marker());
    // At MTU 8, the IDR is cut: FU header bytes (type 49, layer 0, TID 1),
    // FU header (S, type 19), 5 bytes each.
    let mut p = H265Packetizer::new(8, NalLengthSize::Four).unwrap();
    p.push(RtpTimestamp::new(1), au(&[&idr])).unwrap();
    let bytes: Vec<Vec<u8>> = std::iter::from_fn(|| p.poll_payload())
        .map(|p| p.to_bytes().to_vec())
        .collect();
    assert_eq!(bytes[0], [0x62, 0x01, 0x93, 1, 2, 3, 4, 5]);
    assert_eq!(bytes[1], [0x62, 0x01, 0x13, 6, 7, 8, 9, 10]);
    assert_eq!(bytes[2], [0x62, 0x01, 0x53, 11, 12]);
    assert_eq!(
        H265Packetizer::new(3, NalLengthSize::Four).unwrap_err(),
        PayloadError::MtuTooSmall { mtu: 3, min: 4 }
    );
}

fn unit(ev: &Depacketized) -> &streamkit_rtp::payload::AccessUnit {
    match ev {
        Depacketized::AccessUnit(u) => u,
        other => panic!("expected an access unit, got {other:?}"),
    }
}

#[test]
fn h264_camera_quirks() {
    // Annex-B start codes inside a single NAL unit packet: split.
    let mut d = H264Depacketizer::new(LP4);
    d.push(&packet(
        1,
        10,
        true,
        &[
            0, 0, 0, 1, 0x67, 0x42, 0, 0, 1, 0x68, 0xce, 0, 0, 0, 1, 0x65, 0x88,
        ],
    ))
    .unwrap();
    let ev = events264(&mut d);
    assert_eq!(ev.len(), 2);
    assert_eq!(
        ev[0],
        Depacketized::ParameterSets(vec![
            Bytes::from_static(&[0x67, 0x42]),
            Bytes::from_static(&[0x68, 0xce])
        ])
    );
    let u = unit(&ev[1]);
    assert!(u.keyframe);
    assert_eq!(u.data, au(&[&[0x67, 0x42], &[0x68, 0xce], &[0x65, 0x88]]));

    // Start codes inside an FU-A, and an FU-A with both start and end bits.
    let mut d = H264Depacketizer::new(NalForm::AnnexB);
    d.push(&packet(1, 20, false, &[0x7c, 0x85, 0xaa, 0, 0]))
        .unwrap();
    d.push(&packet(2, 20, false, &[0x7c, 0x45, 1, 0x41, 0xbb]))
        .unwrap();
    d.push(&packet(3, 20, true, &[0x5c, 0xc1, 0xcc])).unwrap();
    let ev = events264(&mut d);
    assert_eq!(ev.len(), 1);
    assert_eq!(
        unit(&ev[0]).data,
        Bytes::from_static(&[
            0, 0, 0, 1, 0x65, 0xaa, 0, 0, 0, 1, 0x41, 0xbb, 0, 0, 0, 1, 0x41, 0xcc
        ])
    );
    assert_eq!(
        unit(&ev[0]).nal_units().collect::<Vec<_>>(),
        [&[0x65, 0xaa][..], &[0x41, 0xbb], &[0x41, 0xcc]]
    );

    // STAP-A with zero padding after its last unit; the same SPS repeated
    // gives no event; a changed one does.
    let mut d = H264Depacketizer::new(LP4);
    let stap = [0x78, 0, 2, 0x67, 0x42, 0, 2, 0x68, 0xce, 0, 0, 0];
    d.push(&packet(7, 30, true, &stap)).unwrap();
    assert_eq!(events264(&mut d).len(), 2);
    d.push(&packet(8, 31, true, &stap)).unwrap();
    let ev = events264(&mut d);
    assert_eq!(ev.len(), 1, "{ev:?}");
    d.push(&packet(
        9,
        32,
        true,
        &[0x78, 0, 2, 0x67, 0x4d, 0, 2, 0x68, 0xce],
    ))
    .unwrap();
    let ev = events264(&mut d);
    assert_eq!(
        ev[0],
        Depacketized::ParameterSets(vec![
            Bytes::from_static(&[0x67, 0x4d]),
            Bytes::from_static(&[0x68, 0xce])
        ])
    );
    assert_eq!(d.parameter_sets().count(), 2);

    // No marker bit: the access unit ends when the timestamp changes.
    let mut d = H264Depacketizer::new(LP4);
    d.push(&packet(1, 100, false, &[0x41, 1])).unwrap();
    d.push(&packet(2, 100, false, &[0x41, 2])).unwrap();
    assert!(d.poll_access_unit().is_none());
    d.push(&packet(3, 200, false, &[0x41, 3])).unwrap();
    let ev = events264(&mut d);
    let u = unit(&ev[0]);
    assert_eq!(u.data, au(&[&[0x41, 1], &[0x41, 2]]));
    assert_eq!(u.timestamp, RtpTimestamp::new(100));
    assert_eq!(
        (u.first_sequence_number.0, u.last_sequence_number.0),
        (1, 2)
    );
    assert!(!u.keyframe);
}

#[test]
fn h264_loss_in_a_fragmented_unit() {
    let mut d = H264Depacketizer::new(LP4);
    // A whole IDR, then a P frame whose middle fragment is lost.
    d.push(&packet(10, 0, true, &[0x65, 1])).unwrap();
    assert!(unit(&d.poll_access_unit().unwrap()).keyframe);
    d.push(&packet(11, 3000, false, &[0x5c, 0x81, 1])).unwrap();
    d.push(&packet(13, 3000, true, &[0x5c, 0x41, 3])).unwrap();
    let ev = events264(&mut d);
    match &ev[..] {
        [Depacketized::Loss(l)] => {
            assert_eq!(l.lost_packets, 1);
            assert_eq!(l.sequence_number.0, 13);
            assert_eq!(l.dropped_access_units, 1);
            assert!(l.keyframe_request);
        }
        other => panic!("{other:?}"),
    }
    // The next P frame comes whole; another loss before a keyframe does not
    // ask again.
    d.push(&packet(14, 6000, true, &[0x41, 4])).unwrap();
    assert_eq!(unit(&d.poll_access_unit().unwrap()).data, au(&[&[0x41, 4]]));
    d.push(&packet(16, 9000, true, &[0x41, 5])).unwrap();
    match events264(&mut d)[..] {
        [Depacketized::Loss(l)] => assert!(!l.keyframe_request),
        ref other => panic!("{other:?}"),
    }
    // A keyframe clears it.
    d.push(&packet(17, 12000, true, &[0x65, 6])).unwrap();
    assert!(unit(&d.poll_access_unit().unwrap()).keyframe);
    d.push(&packet(19, 15000, true, &[0x41, 7])).unwrap();
    match events264(&mut d)[..] {
        [Depacketized::Loss(l)] => assert!(l.keyframe_request),
        ref other => panic!("{other:?}"),
    }
    // An FU-A start while another is unfinished, without a gap: the unit is
    // dropped and reported.
    d.push(&packet(20, 18000, false, &[0x5c, 0x81, 1])).unwrap();
    let err = d
        .push(&packet(21, 18000, true, &[0x5c, 0x81, 2]))
        .unwrap_err();
    assert!(
        matches!(
            err,
            PayloadError::Malformed {
                sequence_number: Some(21),
                ..
            }
        ),
        "{err}"
    );
    match events264(&mut d)[..] {
        [Depacketized::Loss(l)] => assert_eq!((l.lost_packets, l.dropped_access_units), (0, 1)),
        ref other => panic!("{other:?}"),
    }
}

#[test]
fn h264_unsupported_and_limits() {
    let mut d = H264Depacketizer::new(LP4);
    for (seq, (t, name)) in [
        (25u8, "STAP-B"),
        (26, "MTAP16"),
        (27, "MTAP24"),
        (29, "FU-B"),
    ]
    .into_iter()
    .enumerate()
    {
        let seq = seq as u16;
        let err = d
            .push(&packet(seq, u32::from(t), true, &[0x60 | t, 0, 0, 0]))
            .unwrap_err();
        match err {
            PayloadError::Unsupported {
                what,
                packet_type,
                sequence_number,
            } => {
                assert!(what.starts_with(name), "{what}");
                assert_eq!((packet_type, sequence_number), (t, seq));
            }
            other => panic!("{other}"),
        }
    }
    assert!(H264Depacketizer::for_packetization_mode(LP4, 2).is_err());
    assert!(H265Depacketizer::for_max_don_diff(LP4, 1).is_err());
    assert!(H265Depacketizer::for_max_don_diff(LP4, 0).is_ok());

    // A unit above the limit is dropped with an error, and the next one is
    // taken.
    let mut d = H264Depacketizer::new(LP4).with_max_access_unit(20);
    d.push(&packet(
        1,
        0,
        false,
        &[0x5c, 0x81, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff, 1, 2, 3, 4],
    ))
    .unwrap();
    let err = d
        .push(&packet(
            2,
            0,
            false,
            &[0x5c, 0x01, 5, 6, 7, 8, 9, 10, 11, 12],
        ))
        .unwrap_err();
    assert_eq!(
        err,
        PayloadError::AccessUnitTooLarge {
            limit: 20,
            sequence_number: 2
        }
    );
    d.push(&packet(3, 0, true, &[0x5c, 0x41, 13])).unwrap();
    d.push(&packet(4, 3000, true, &[0x41, 1])).unwrap();
    let ev = events264(&mut d);
    assert!(matches!(ev[0], Depacketized::Loss(_)));
    assert_eq!(unit(&ev[1]).data, au(&[&[0x41, 1]]));
}

#[test]
fn h265_depacketizer_types() {
    let mut d = H265Depacketizer::new(NalForm::AnnexB);
    // PACI (50) is refused.
    let err = d
        .push(&packet(1, 0, true, &[50 << 1, 1, 0, 0]))
        .unwrap_err();
    assert!(matches!(
        err,
        PayloadError::Unsupported {
            packet_type: 50,
            ..
        }
    ));
    // AP with VPS and an FU-reassembled CRA (21): keyframe.
    d.push(&packet(2, 10, false, &[0x60, 0x01, 0, 3, 0x40, 0x01, 0x0c]))
        .unwrap();
    d.push(&packet(3, 10, false, &[0x62, 0x01, 0x95, 1, 2]))
        .unwrap();
    d.push(&packet(4, 10, true, &[0x62, 0x01, 0x55, 3]))
        .unwrap();
    let ev: Vec<_> = std::iter::from_fn(|| d.poll_access_unit()).collect();
    assert_eq!(
        ev[0],
        Depacketized::ParameterSets(vec![Bytes::from_static(&[0x40, 0x01, 0x0c])])
    );
    let u = unit(&ev[1]);
    assert!(u.keyframe);
    assert_eq!(
        u.data,
        Bytes::from_static(&[
            0, 0, 0, 1, 0x40, 0x01, 0x0c, 0, 0, 0, 1, 0x2a, 0x01, 1, 2, 3
        ])
    );
}

#[test]
fn finish_gives_the_last_access_unit_of_a_stream_without_marker_bits() {
    // A sender that never sets the marker bit: each access unit ends when
    // the next timestamp starts, and the last one only at finish.
    let mut d = H264Depacketizer::new(LP4);
    d.push(&packet(1, 3000, false, &[0x65, 1, 2])).unwrap();
    d.push(&packet(2, 6000, false, &[0x41, 3])).unwrap();
    let first = events264(&mut d);
    assert_eq!(first.len(), 1);
    assert_eq!(unit(&first[0]).data, au(&[&[0x65, 1, 2]]));
    assert!(events264(&mut d).is_empty(), "the last unit waits");
    d.finish().unwrap();
    let last = events264(&mut d);
    assert_eq!(last.len(), 1);
    let last = unit(&last[0]);
    assert_eq!(last.data, au(&[&[0x41, 3]]));
    assert_eq!(last.timestamp, RtpTimestamp::new(6000));
    assert_eq!(last.first_sequence_number, SequenceNumber::new(2));
    // A second finish gives nothing more; the stream may go on.
    d.finish().unwrap();
    assert!(events264(&mut d).is_empty());
    d.push(&packet(3, 9000, true, &[0x41, 4])).unwrap();
    assert_eq!(unit(&events264(&mut d)[0]).data, au(&[&[0x41, 4]]));

    // The same for H.265 (a TRAIL_R unit: type 1).
    let mut d = H265Depacketizer::new(LP4);
    d.push(&packet(1, 3000, false, &[0x02, 0x01, 9])).unwrap();
    assert!(std::iter::from_fn(|| d.poll_access_unit()).next().is_none());
    d.finish().unwrap();
    let events: Vec<_> = std::iter::from_fn(|| d.poll_access_unit()).collect();
    assert_eq!(unit(&events[0]).data, au(&[&[0x02, 0x01, 9]]));
    d.finish().unwrap();
    assert!(d.poll_access_unit().is_none());
}

#[test]
fn finish_drops_a_fragmented_unit_missing_its_end() {
    let mut d = H264Depacketizer::new(LP4);
    // FU-A start of an IDR slice, and nothing more.
    d.push(&packet(1, 3000, false, &[0x7c, 0x85, 1, 2]))
        .unwrap();
    d.finish().unwrap();
    let events = events264(&mut d);
    assert!(
        matches!(&events[..], [Depacketized::Loss(l)] if l.dropped_access_units == 1),
        "{events:?}"
    );
}
