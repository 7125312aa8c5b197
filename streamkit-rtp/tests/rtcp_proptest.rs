//! Property tests for RTCP: arbitrary bytes never panic, and parse ∘ write
//! is the identity for compounds of generated packets of every type.

use bytes::Bytes;
use proptest::prelude::*;
use streamkit_core::time::{RtpTimestamp, SequenceNumber};
use streamkit_rtp::rtcp::{
    App, CompoundPackets, FirEntry, FullIntraRequest, GenericNack, Goodbye, NackPair, NtpTimestamp,
    PictureLossIndication, ReceiverReport, ReportBlock, RtcpPacket, SdesChunk, SdesItem, SdesType,
    SenderReport, SourceDescription, UnknownPacket, parse_compound, write_compound,
};

fn bytes(max: usize) -> impl Strategy<Value = Bytes> {
    proptest::collection::vec(any::<u8>(), 0..max).prop_map(Bytes::from)
}

fn words(max_words: usize) -> impl Strategy<Value = Bytes> {
    proptest::collection::vec(any::<[u8; 4]>(), 0..max_words).prop_map(|w| Bytes::from(w.concat()))
}

fn report_block() -> impl Strategy<Value = ReportBlock> {
    (
        any::<u32>(),
        any::<u8>(),
        -0x80_0000i32..=0x7F_FFFF,
        any::<u32>(),
        any::<u32>(),
        any::<u32>(),
        any::<u32>(),
    )
        .prop_map(|(ssrc, fl, cl, ehs, j, lsr, dlsr)| ReportBlock {
            ssrc,
            fraction_lost: fl,
            cumulative_lost: cl,
            extended_highest_sequence: ehs,
            jitter: j,
            last_sender_report: lsr,
            delay_since_last_sender_report: dlsr,
        })
}

fn sdes_item() -> impl Strategy<Value = SdesItem> {
    (1u8..=255, bytes(40)).prop_map(|(kind, value)| SdesItem {
        kind: SdesType::from_u8(kind).unwrap_or(SdesType::Cname),
        value,
    })
}

fn packet() -> impl Strategy<Value = RtcpPacket> {
    prop_oneof![
        (
            any::<u32>(),
            any::<u64>(),
            any::<u32>(),
            any::<u32>(),
            any::<u32>(),
            proptest::collection::vec(report_block(), 0..=4),
            bytes(13),
        )
            .prop_map(|(ssrc, ntp, ts, pc, oc, reports, ext)| {
                RtcpPacket::SenderReport(SenderReport {
                    ssrc,
                    ntp_time: NtpTimestamp(ntp),
                    rtp_timestamp: RtpTimestamp::new(ts),
                    packet_count: pc,
                    octet_count: oc,
                    reports,
                    profile_extension: ext,
                })
            }),
        (
            any::<u32>(),
            proptest::collection::vec(report_block(), 0..=31),
            bytes(13)
        )
            .prop_map(
                |(ssrc, reports, ext)| RtcpPacket::ReceiverReport(ReceiverReport {
                    ssrc,
                    reports,
                    profile_extension: ext,
                })
            ),
        proptest::collection::vec(
            (any::<u32>(), proptest::collection::vec(sdes_item(), 0..5))
                .prop_map(|(source, items)| SdesChunk { source, items }),
            0..5,
        )
        .prop_map(|chunks| RtcpPacket::SourceDescription(SourceDescription { chunks })),
        (
            proptest::collection::vec(any::<u32>(), 0..=31),
            proptest::option::of(bytes(256))
        )
            .prop_map(|(sources, reason)| RtcpPacket::Goodbye(Goodbye { sources, reason })),
        (0u8..32, any::<u32>(), any::<[u8; 4]>(), bytes(21)).prop_map(
            |(subtype, ssrc, name, data)| RtcpPacket::App(App {
                subtype,
                ssrc,
                name,
                data,
            })
        ),
        (
            any::<u32>(),
            any::<u32>(),
            proptest::collection::vec((any::<u16>(), any::<u16>()), 0..10)
        )
            .prop_map(|(s, m, pairs)| RtcpPacket::GenericNack(GenericNack {
                sender_ssrc: s,
                media_ssrc: m,
                pairs: pairs
                    .into_iter()
                    .map(|(pid, blp)| NackPair {
                        packet_id: SequenceNumber::new(pid),
                        lost_bitmask: blp,
                    })
                    .collect(),
            })),
        (any::<u32>(), any::<u32>()).prop_map(|(s, m)| RtcpPacket::PictureLossIndication(
            PictureLossIndication {
                sender_ssrc: s,
                media_ssrc: m,
            }
        )),
        (
            any::<u32>(),
            any::<u32>(),
            proptest::collection::vec((any::<u32>(), any::<u8>()), 0..5)
        )
            .prop_map(
                |(s, m, entries)| RtcpPacket::FullIntraRequest(FullIntraRequest {
                    sender_ssrc: s,
                    media_ssrc: m,
                    entries: entries
                        .into_iter()
                        .map(|(ssrc, sequence_number)| FirEntry {
                            ssrc,
                            sequence_number,
                        })
                        .collect(),
                })
            ),
        (
            prop_oneof![
                (207u8..=223, 0u8..32),
                (Just(205u8), 2u8..32),
                (Just(206u8), prop_oneof![Just(0u8), 2u8..4, 5u8..32]),
                (0u8..200, 0u8..32),
            ],
            words(6)
        )
            .prop_map(|((packet_type, count), body)| {
                let mut b = vec![0x80 | count, packet_type];
                b.extend_from_slice(&((body.len() / 4) as u16).to_be_bytes());
                b.extend_from_slice(&body);
                RtcpPacket::Unknown(UnknownPacket {
                    packet_type,
                    count,
                    bytes: Bytes::from(b),
                })
            }),
    ]
}

proptest! {
    #[test]
    fn arbitrary_bytes_never_panic(data in proptest::collection::vec(any::<u8>(), 0..200)) {
        let data = Bytes::from(data);
        let _ = parse_compound(data.clone());
        for p in CompoundPackets::new(data).take(100) {
            let _ = p;
        }
    }

    #[test]
    fn arbitrary_packet_bodies_never_panic(
        packets in proptest::collection::vec(
            (any::<u8>(), prop_oneof![200u8..=206, any::<u8>()], proptest::collection::vec(any::<u8>(), 0..80)),
            1..4,
        ),
    ) {
        // Well-framed headers (version 2, consistent length) around
        // arbitrary bodies reach every body parser.
        let mut wire = Vec::new();
        for (first, pt, mut body) in packets {
            body.truncate(body.len() / 4 * 4);
            wire.push((first & 0x3f) | 0x80);
            wire.push(pt);
            wire.extend_from_slice(&((body.len() / 4) as u16).to_be_bytes());
            wire.extend_from_slice(&body);
        }
        let wire = Bytes::from(wire);
        let n = CompoundPackets::new(wire.clone()).count();
        prop_assert!(n >= 1);
        if let Ok(parsed) = parse_compound(wire) {
            // Whatever parsed and writes again parses to the same packets
            // (padding is dropped; APP data or a profile extension whose
            // unpadded length is not a multiple of 4 is refused by the
            // writer).
            let mut out = Vec::new();
            if write_compound(&parsed, &mut out).is_ok() {
                let again = parse_compound(Bytes::from(out)).unwrap();
                prop_assert_eq!(again.len(), parsed.len());
            }
        }
    }

    #[test]
    fn write_then_parse_is_identity(packets in proptest::collection::vec(packet(), 1..5)) {
        let mut wire = Vec::new();
        let n = write_compound(&packets, &mut wire).unwrap();
        prop_assert_eq!(n, wire.len());
        let expected: usize = packets.iter().map(|p| p.encoded_len().unwrap()).sum();
        prop_assert_eq!(n, expected);
        let wire = Bytes::from(wire);
        let parsed = parse_compound(wire.clone()).unwrap();
        prop_assert_eq!(&parsed, &packets);
        let mut again = Vec::new();
        write_compound(&parsed, &mut again).unwrap();
        prop_assert_eq!(&again[..], &wire[..]);
    }
}

proptest! {
    /// Padding (P bit, the last byte counting the padding) does not change
    /// what a packet parses to.
    #[test]
    fn padding_is_transparent(packet in packet(), pad_words in 1usize..4) {
        prop_assume!(!matches!(packet, RtcpPacket::Unknown(_)));
        let mut wire = Vec::new();
        packet.write(&mut wire).unwrap();
        // A packet the writer padded already (data short of a word) is
        // covered by write_then_parse_is_identity.
        prop_assume!(wire[0] & 0x20 == 0);
        let pad = pad_words * 4;
        wire[0] |= 0x20;
        let words = u16::from_be_bytes([wire[2], wire[3]]) + pad_words as u16;
        wire[2..4].copy_from_slice(&words.to_be_bytes());
        wire.extend(std::iter::repeat_n(0u8, pad - 1));
        wire.push(pad as u8);
        let parsed = parse_compound(Bytes::from(wire)).unwrap();
        prop_assert_eq!(parsed, vec![packet]);
    }
}
