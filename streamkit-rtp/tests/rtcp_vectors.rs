//! RTCP packets against byte-exact vectors: compounds captured from ffmpeg
//! and GStreamer, every packet type hand-assembled from the RFC 3550, 4585
//! and 5104 layouts, and malformed compounds with their exact errors.
#![allow(clippy::unwrap_used)] // test helpers outside #[test] fns

use core::time::Duration;

use bytes::Bytes;
use streamkit_core::time::{RtpTimestamp, SequenceNumber};
use streamkit_rtp::error::{ParseError, WriteError};
use streamkit_rtp::rtcp::{
    App, CompoundPackets, FirEntry, FullIntraRequest, GenericNack, Goodbye, NackPair, NtpTimestamp,
    PictureLossIndication, ReceiverReport, ReportBlock, RtcpPacket, SdesChunk, SdesItem, SdesType,
    SenderReport, SourceDescription, UnknownPacket, looks_like_rtcp, parse_compound,
    validate_compound, write_compound,
};

fn hex(s: &str) -> Bytes {
    let s: String = s.chars().filter(|c| !c.is_whitespace()).collect();
    Bytes::from(
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect::<Vec<u8>>(),
    )
}

fn rewrite(packets: &[RtcpPacket]) -> Vec<u8> {
    let mut out = Vec::new();
    let n = write_compound(packets, &mut out).unwrap();
    assert_eq!(n, out.len());
    out
}

/// The SR ffmpeg 7 sent on port+1 while streaming `-f rtp` (see
/// packet_vectors.rs for the command); ffmpeg sends a lone SR, no SDES.
const FFMPEG_SR: &str = "80c80006a16b2963eeb1bc88116872b03177bc880000000000000000";

#[test]
fn ffmpeg_sender_report() {
    let packets = parse_compound(hex(FFMPEG_SR)).unwrap();
    assert_eq!(
        packets,
        vec![RtcpPacket::SenderReport(SenderReport {
            ssrc: 0xa16b_2963,
            ntp_time: NtpTimestamp::new(0xeeb1_bc88, 0x1168_72b0),
            rtp_timestamp: RtpTimestamp::new(0x3177_bc88),
            packet_count: 0,
            octet_count: 0,
            reports: vec![],
            profile_extension: Bytes::new(),
        })]
    );
    assert_eq!(rewrite(&packets), hex(FFMPEG_SR));
}

/// GStreamer 1.x `rtpbin` (sender of `audiotestsrc ! rtpL16pay`, RTCP to a
/// loopback UDP socket): the first compound, SR + SDES (CNAME, TOOL).
const GSTREAMER_SR_SDES: &str = "
    80c80006 08f2c87a eeb1bc94 3c7442c7 bb9f7580 0000003d 00004c40
    81ca000c 08f2c87a 011b7573 65723634 35313930 33333540 686f7374
    2d363230 38613037 33060947 53747265 616d6572 00000000";

/// The last compound of the same stream: SR + SDES + BYE.
const GSTREAMER_SR_SDES_BYE: &str = "
    80c80006 08f2c87a eeb1bc96 0b8476f2 bb9fae06 00000096 0000bb80
    81ca000c 08f2c87a 011b7573 65723634 35313930 33333540 686f7374
    2d363230 38613037 33060947 53747265 616d6572 00000000
    81cb0001 08f2c87a";

#[test]
fn gstreamer_compounds() {
    let packets = parse_compound(hex(GSTREAMER_SR_SDES)).unwrap();
    assert_eq!(packets.len(), 2);
    let RtcpPacket::SenderReport(sr) = &packets[0] else {
        panic!("not an SR: {:?}", packets[0]);
    };
    assert_eq!(sr.ssrc, 0x08f2_c87a);
    assert_eq!(sr.ntp_time, NtpTimestamp(0xeeb1_bc94_3c74_42c7));
    assert_eq!(sr.rtp_timestamp, RtpTimestamp::new(0xbb9f_7580));
    assert_eq!(sr.packet_count, 61);
    assert_eq!(sr.octet_count, 19_520);
    assert_eq!(sr.ntp_time.middle_32(), 0xbc94_3c74);
    let RtcpPacket::SourceDescription(sdes) = &packets[1] else {
        panic!("not an SDES: {:?}", packets[1]);
    };
    assert_eq!(sdes.chunks.len(), 1);
    assert_eq!(sdes.chunks[0].source, 0x08f2_c87a);
    assert_eq!(
        sdes.chunks[0].cname().map(|b| &b[..]),
        Some(&b"user645190335@host-6208a073"[..])
    );
    assert_eq!(sdes.chunks[0].items[1].kind, SdesType::Tool);
    assert_eq!(&sdes.chunks[0].items[1].value[..], b"GStreamer");
    assert_eq!(rewrite(&packets), hex(GSTREAMER_SR_SDES));

    let packets = parse_compound(hex(GSTREAMER_SR_SDES_BYE)).unwrap();
    assert_eq!(packets.len(), 3);
    assert_eq!(
        packets[2],
        RtcpPacket::Goodbye(Goodbye {
            sources: vec![0x08f2_c87a],
            reason: None
        })
    );
    assert_eq!(rewrite(&packets), hex(GSTREAMER_SR_SDES_BYE));
}

/// RR with two report blocks, the second with a negative cumulative loss
/// (RFC 3550 6.4.2).
const RR: &str = "
    82c9000d 11223344
    aabbccdd 40000005 00010010 00000020 12345678 00010000
    01010101 ffffffff 00000000 00000000 00000000 00000000";

/// SDES with two chunks covering every item type (RFC 3550 6.5): CNAME,
/// NAME, PRIV (prefix "x", value "yz"), then EMAIL, PHONE, LOC, TOOL, NOTE.
const SDES: &str = "
    82ca000a
    11223344 01036140 62020241 6c080401 78797a00
    55667788 03016504 01310501 4c060174 07016e00";

/// BYE with a reason, padded to 32 bits (RFC 3550 6.6).
const BYE: &str = "81cb0003 11223344 04627965 21000000";

/// APP subtype 5, name "TEST" (RFC 3550 6.7).
const APP: &str = "85cc0003 11223344 54455354 01020304";

/// Generic NACK: PID 100, BLP with bits 0 and 4 (RFC 4585 6.2.1).
const NACK: &str = "81cd0003 00000001 11223344 00640011";

/// PLI (RFC 4585 6.3.1).
const PLI: &str = "81ce0002 00000001 11223344";

/// FIR with one entry, media source 0 (RFC 5104 4.3.1).
const FIR: &str = "84ce0004 00000001 00000000 11223344 07000000";

/// Transport-wide congestion control feedback (RTPFB format 15) and an XR
/// (type 207): not modelled, kept whole.
const TWCC: &str = "8fcd0003 00000001 11223344 deadbeef";
const XR: &str = "80cf0001 11223344";

fn expected_all() -> Vec<RtcpPacket> {
    vec![
        RtcpPacket::ReceiverReport(ReceiverReport {
            ssrc: 0x1122_3344,
            reports: vec![
                ReportBlock {
                    ssrc: 0xaabb_ccdd,
                    fraction_lost: 0x40,
                    cumulative_lost: 5,
                    extended_highest_sequence: 0x0001_0010,
                    jitter: 0x20,
                    last_sender_report: 0x1234_5678,
                    delay_since_last_sender_report: 0x0001_0000,
                },
                ReportBlock {
                    ssrc: 0x0101_0101,
                    fraction_lost: 0xff,
                    cumulative_lost: -1,
                    ..ReportBlock::default()
                },
            ],
            profile_extension: Bytes::new(),
        }),
        RtcpPacket::SourceDescription(SourceDescription {
            chunks: vec![
                SdesChunk {
                    source: 0x1122_3344,
                    items: vec![
                        SdesItem::cname("a@b"),
                        SdesItem {
                            kind: SdesType::Name,
                            value: Bytes::from_static(b"Al"),
                        },
                        SdesItem::private(b"x", b"yz").unwrap(),
                    ],
                },
                SdesChunk {
                    source: 0x5566_7788,
                    items: [
                        (SdesType::Email, "e"),
                        (SdesType::Phone, "1"),
                        (SdesType::Location, "L"),
                        (SdesType::Tool, "t"),
                        (SdesType::Note, "n"),
                    ]
                    .into_iter()
                    .map(|(kind, v)| SdesItem {
                        kind,
                        value: Bytes::from_static(v.as_bytes()),
                    })
                    .collect(),
                },
            ],
        }),
        RtcpPacket::Goodbye(Goodbye {
            sources: vec![0x1122_3344],
            reason: Some(Bytes::from_static(b"bye!")),
        }),
        RtcpPacket::App(App {
            subtype: 5,
            ssrc: 0x1122_3344,
            name: *b"TEST",
            data: Bytes::from_static(&[1, 2, 3, 4]),
        }),
        RtcpPacket::GenericNack(GenericNack {
            sender_ssrc: 1,
            media_ssrc: 0x1122_3344,
            pairs: vec![NackPair {
                packet_id: SequenceNumber::new(100),
                lost_bitmask: 0x0011,
            }],
        }),
        RtcpPacket::PictureLossIndication(PictureLossIndication {
            sender_ssrc: 1,
            media_ssrc: 0x1122_3344,
        }),
        RtcpPacket::FullIntraRequest(FullIntraRequest {
            sender_ssrc: 1,
            media_ssrc: 0,
            entries: vec![FirEntry {
                ssrc: 0x1122_3344,
                sequence_number: 7,
            }],
        }),
        RtcpPacket::Unknown(UnknownPacket {
            packet_type: 205,
            count: 15,
            bytes: hex(TWCC),
        }),
        RtcpPacket::Unknown(UnknownPacket {
            packet_type: 207,
            count: 0,
            bytes: hex(XR),
        }),
    ]
}

#[test]
fn every_packet_type_parses_and_writes_byte_exact() {
    let all = [RR, SDES, BYE, APP, NACK, PLI, FIR, TWCC, XR].concat();
    let wire = hex(&all);
    assert_eq!(validate_compound(&wire), Ok(9));
    let packets = parse_compound(wire.clone()).unwrap();
    assert_eq!(packets, expected_all());
    assert_eq!(rewrite(&packets), wire);
    // Each packet alone too, into a fixed buffer.
    for (packet, vector) in expected_all()
        .iter()
        .zip([RR, SDES, BYE, APP, NACK, PLI, FIR, TWCC, XR])
    {
        let want = hex(vector);
        assert_eq!(packet.encoded_len().unwrap(), want.len());
        let mut buf = [0u8; 64];
        let n = packet.write_into(&mut buf).unwrap();
        assert_eq!(&buf[..n], &want[..]);
        assert_eq!(packet.packet_type(), want[1]);
    }
}

#[test]
fn sdes_private_item_splits() {
    let item = SdesItem::private(b"x", b"yz").unwrap();
    let (prefix, value) = item.private_parts().unwrap();
    assert_eq!((&prefix[..], &value[..]), (&b"x"[..], &b"yz"[..]));
    assert_eq!(SdesItem::cname("a").private_parts(), None);
    let broken = SdesItem {
        kind: SdesType::Private,
        value: Bytes::from_static(&[5, b'a']),
    };
    assert_eq!(broken.private_parts(), None);
}

#[test]
fn reduced_size_compound_starting_with_feedback_is_accepted() {
    let wire = hex(&[PLI, NACK].concat());
    let packets = parse_compound(wire).unwrap();
    assert!(matches!(packets[0], RtcpPacket::PictureLossIndication(_)));
    assert!(matches!(packets[1], RtcpPacket::GenericNack(_)));
}

#[test]
fn padding_is_removed_from_the_body() {
    // RR with no reports, 4 bytes of padding.
    let packets = parse_compound(hex("a0c90002 11223344 00000004")).unwrap();
    assert_eq!(
        packets,
        vec![RtcpPacket::ReceiverReport(ReceiverReport {
            ssrc: 0x1122_3344,
            reports: vec![],
            profile_extension: Bytes::new(),
        })]
    );
}

#[test]
fn malformed_compounds_get_exact_errors() {
    let cases: Vec<(String, ParseError)> = vec![
        ("".into(), ParseError::RtcpEmpty),
        (
            "81c90007 11223344".into(),
            ParseError::RtcpLengthPastEnd {
                offset: 0,
                length_words: 7,
                available: 8,
            },
        ),
        (
            [PLI, "40ce0002 00000001 11223344"].concat(),
            ParseError::BadVersion {
                offset: 12,
                version: 1,
            },
        ),
        (
            [PLI, "81ce"].concat(),
            ParseError::TooShort {
                offset: 12,
                needed: 4,
            },
        ),
        (
            "a0c90002 11223344 00000000".into(),
            ParseError::PaddingZero { offset: 11 },
        ),
        (
            "a0c90001 112233ff".into(),
            ParseError::PaddingTooLong {
                offset: 7,
                padding: 255,
                available: 4,
            },
        ),
        (
            "81c80006 00000001 00000000 00000000 00000000 00000000 00000000".into(),
            ParseError::RtcpMalformed {
                offset: 28,
                what: "report count needs more bytes than the packet length gives",
            },
        ),
        (
            "80c80001 00000001".into(),
            ParseError::RtcpMalformed {
                offset: 4,
                what: "sender report shorter than its sender info",
            },
        ),
        (
            "81ca0002 11223344 01026162".into(),
            ParseError::RtcpMalformed {
                offset: 12,
                what: "SDES item list not terminated by a null octet",
            },
        ),
        (
            "81ca0002 11223344 01056162".into(),
            ParseError::RtcpMalformed {
                offset: 8,
                what: "SDES item runs past the packet",
            },
        ),
        (
            "81ca0003 11223344 01016100 00000000".into(),
            ParseError::RtcpMalformed {
                offset: 12,
                what: "bytes after the last SDES chunk",
            },
        ),
        (
            "82ca0002 11223344 01016100".into(),
            ParseError::RtcpMalformed {
                offset: 12,
                what: "SDES chunk count needs more bytes than the packet length gives",
            },
        ),
        (
            "81cb0002 11223344 05616263".into(),
            ParseError::RtcpMalformed {
                offset: 8,
                what: "BYE reason runs past the packet",
            },
        ),
        (
            "82cb0001 11223344".into(),
            ParseError::RtcpMalformed {
                offset: 4,
                what: "BYE source count needs more bytes than the packet length gives",
            },
        ),
        (
            "80cc0001 11223344".into(),
            ParseError::RtcpMalformed {
                offset: 4,
                what: "APP packet shorter than SSRC and name",
            },
        ),
        (
            "84ce0003 00000001 00000000 11223344".into(),
            ParseError::RtcpMalformed {
                offset: 12,
                what: "FIR entries are not a multiple of 8 bytes",
            },
        ),
        (
            "81ce0003 00000001 11223344 00000000".into(),
            ParseError::RtcpMalformed {
                offset: 12,
                what: "picture loss indication with feedback control information",
            },
        ),
        (
            "81cd0001 00000001".into(),
            ParseError::RtcpMalformed {
                offset: 4,
                what: "feedback packet shorter than its two SSRCs",
            },
        ),
    ];
    for (bytes, err) in cases {
        assert_eq!(parse_compound(hex(&bytes)), Err(err), "{bytes}");
    }
}

#[test]
fn header_errors_come_before_body_errors() {
    // A malformed FIR first, then a broken header: the compound's framing
    // is what is reported.
    let wire = hex(&["84ce0003 00000001 00000000 11223344", "81ce0009"].concat());
    assert_eq!(
        parse_compound(wire.clone()),
        Err(ParseError::RtcpLengthPastEnd {
            offset: 16,
            length_words: 9,
            available: 4
        })
    );
    // The iterator yields a body error and goes on with the next packet.
    let wire = hex(&["84ce0003 00000001 00000000 11223344", PLI].concat());
    let got: Vec<_> = CompoundPackets::new(wire).collect();
    assert_eq!(got.len(), 2);
    assert!(matches!(
        got[0],
        Err(ParseError::RtcpMalformed { offset: 12, .. })
    ));
    assert!(matches!(got[1], Ok(RtcpPacket::PictureLossIndication(_))));
}

#[test]
fn writer_errors() {
    let rr = RtcpPacket::ReceiverReport(ReceiverReport {
        ssrc: 1,
        reports: vec![ReportBlock::default(); 32],
        profile_extension: Bytes::new(),
    });
    assert_eq!(
        rr.encoded_len(),
        Err(WriteError::TooMany {
            what: "report blocks",
            count: 32,
            max: 31
        })
    );
    let pli = RtcpPacket::PictureLossIndication(PictureLossIndication {
        sender_ssrc: 1,
        media_ssrc: 2,
    });
    let mut small = [0u8; 11];
    assert_eq!(
        pli.write_into(&mut small),
        Err(WriteError::InsufficientSize { required: 12 })
    );
    let mut small = [0u8; 23];
    assert_eq!(
        write_compound(&[pli.clone(), pli], &mut &mut small[..]),
        Err(WriteError::InsufficientSize { required: 24 })
    );
    assert_eq!(small, [0u8; 23], "nothing written on error");
    let long = RtcpPacket::Goodbye(Goodbye {
        sources: vec![],
        reason: Some(Bytes::from(vec![b'x'; 256])),
    });
    assert_eq!(
        long.encoded_len(),
        Err(WriteError::TooLong {
            what: "BYE reason",
            len: 256,
            max: 255
        })
    );
    let app = RtcpPacket::App(App {
        subtype: 32,
        ssrc: 1,
        name: *b"abcd",
        data: Bytes::new(),
    });
    assert_eq!(
        app.encoded_len(),
        Err(WriteError::Invalid {
            what: "APP subtype (must be 0 to 31)"
        })
    );
    let unknown = RtcpPacket::Unknown(UnknownPacket {
        packet_type: 210,
        count: 0,
        bytes: hex("80d20001 112233"),
    });
    assert_eq!(
        unknown.encoded_len(),
        Err(WriteError::Invalid {
            what: "unknown RTCP packet length (must be a multiple of 4)"
        })
    );
}

/// What the reader accepts, the writer writes: a padded APP whose data is
/// not whole words (5 data bytes, 3 of padding) reads, writes back byte for
/// byte with its padding, and reads again the same.
#[test]
fn padded_app_with_odd_data_round_trips() {
    let wire = hex("a1cc0004 11223344 74657374 0102030405 000003");
    let packets = parse_compound(wire.clone()).unwrap();
    let app = RtcpPacket::App(App {
        subtype: 1,
        ssrc: 0x1122_3344,
        name: *b"test",
        data: Bytes::from_static(&[1, 2, 3, 4, 5]),
    });
    assert_eq!(packets, vec![app.clone()]);
    assert_eq!(app.encoded_len(), Ok(20));
    assert_eq!(rewrite(&packets), wire);
    let mut out = [0xEEu8; 24];
    assert_eq!(app.write_into(&mut out), Ok(20));
    assert_eq!(&out[..20], &wire[..]);
    assert_eq!(&out[20..], &[0xEE; 4], "nothing written past the packet");
    // Built, not parsed: 2 data bytes get 2 bytes of padding.
    let built = RtcpPacket::App(App {
        subtype: 0,
        ssrc: 1,
        name: *b"abcd",
        data: Bytes::from_static(&[9, 8]),
    });
    assert_eq!(
        rewrite(std::slice::from_ref(&built)),
        hex("a0cc0003 00000001 61626364 0908 0002")
    );
    let mut small = [0u8; 15];
    assert_eq!(
        built.write_into(&mut small),
        Err(WriteError::InsufficientSize { required: 16 })
    );
}

/// Sender and receiver reports whose profile extension is not whole words
/// once their padding is stripped write back with that padding.
#[test]
fn padded_reports_with_odd_extensions_round_trip() {
    // RR, no blocks, 2-byte extension, 2 bytes of padding.
    let rr_wire = hex("a0c90002 11223344 abcd 0002");
    // SR, no blocks, 1-byte extension, 3 bytes of padding.
    let sr_wire = hex("a0c80007 a16b2963 eeb1bc88 116872b0 3177bc88 00000007 00000100 5a 000003");
    let mut compound = sr_wire.to_vec();
    compound.extend_from_slice(&rr_wire);
    let packets = parse_compound(Bytes::from(compound.clone())).unwrap();
    assert_eq!(
        packets,
        vec![
            RtcpPacket::SenderReport(SenderReport {
                ssrc: 0xa16b_2963,
                ntp_time: NtpTimestamp(0xeeb1_bc88_1168_72b0),
                rtp_timestamp: RtpTimestamp::new(0x3177_bc88),
                packet_count: 7,
                octet_count: 256,
                reports: vec![],
                profile_extension: Bytes::from_static(&[0x5a]),
            }),
            RtcpPacket::ReceiverReport(ReceiverReport {
                ssrc: 0x1122_3344,
                reports: vec![],
                profile_extension: Bytes::from_static(&[0xab, 0xcd]),
            }),
        ]
    );
    assert_eq!(rewrite(&packets), compound);
    assert_eq!(validate_compound(&compound), Ok(2));
}

/// Padding that leaves whole words (4 bytes of it here) is not needed to
/// write the packet again: it is written without.
#[test]
fn word_aligned_packets_are_written_without_padding() {
    let packets = parse_compound(hex("a0c90002 11223344 00000004")).unwrap();
    assert_eq!(rewrite(&packets), hex("80c90001 11223344"));
}

#[test]
fn cumulative_loss_is_clamped_to_24_bits() {
    let rr = RtcpPacket::ReceiverReport(ReceiverReport {
        ssrc: 1,
        reports: vec![
            ReportBlock {
                cumulative_lost: 10_000_000,
                ..ReportBlock::default()
            },
            ReportBlock {
                cumulative_lost: -10_000_000,
                ..ReportBlock::default()
            },
        ],
        profile_extension: Bytes::new(),
    });
    let mut out = Vec::new();
    rr.write(&mut out).unwrap();
    assert_eq!(&out[12..16], &[0x00, 0x7f, 0xff, 0xff]);
    assert_eq!(&out[36..40], &[0x00, 0x80, 0x00, 0x00]);
    let RtcpPacket::ReceiverReport(back) = &parse_compound(Bytes::from(out)).unwrap()[0] else {
        panic!("not an RR");
    };
    assert_eq!(back.reports[0].cumulative_lost, 8_388_607);
    assert_eq!(back.reports[1].cumulative_lost, -8_388_608);
}

#[test]
fn nack_expands_and_builds() {
    let seqs = |v: &[u16]| {
        v.iter()
            .map(|&s| SequenceNumber::new(s))
            .collect::<Vec<_>>()
    };
    let nack = GenericNack::from_lost(1, 2, &seqs(&[100, 101, 105, 116, 117, 118, 200]));
    assert_eq!(
        nack.pairs,
        vec![
            NackPair {
                packet_id: SequenceNumber::new(100),
                lost_bitmask: 0b1000_0000_0001_0001,
            },
            NackPair {
                packet_id: SequenceNumber::new(117),
                lost_bitmask: 0b1,
            },
            NackPair {
                packet_id: SequenceNumber::new(200),
                lost_bitmask: 0,
            },
        ]
    );
    assert_eq!(
        nack.lost_sequence_numbers().collect::<Vec<_>>(),
        seqs(&[100, 101, 105, 116, 117, 118, 200])
    );
    // Across the wrap.
    let nack = GenericNack::from_lost(1, 2, &seqs(&[65_534, 65_535, 0, 3]));
    assert_eq!(nack.pairs.len(), 1);
    assert_eq!(nack.pairs[0].lost_bitmask, 0b1_0011);
    assert_eq!(
        nack.lost_sequence_numbers().collect::<Vec<_>>(),
        seqs(&[65_534, 65_535, 0, 3])
    );
    // Duplicates are named once.
    let nack = GenericNack::from_lost(1, 2, &seqs(&[7, 7]));
    assert_eq!(nack.lost_sequence_numbers().count(), 1);
}

#[test]
fn ntp_timestamps() {
    let t = NtpTimestamp::from_unix(Duration::from_millis(1_700_000_000_500));
    assert_eq!(t.seconds(), 3_908_988_800);
    assert_eq!(t.fraction(), 0x8000_0000);
    assert_eq!(t.to_unix(), Some(Duration::from_millis(1_700_000_000_500)));
    assert_eq!(t.middle_32(), ((3_908_988_800u32 & 0xffff) << 16) | 0x8000);
    assert_eq!(NtpTimestamp::new(1_000, 0).to_unix(), None);
    assert_eq!(format!("{t:?}"), "NtpTimestamp(3908988800.80000000)");
}

#[test]
fn rtp_and_rtcp_are_told_apart_on_a_shared_port() {
    assert!(looks_like_rtcp(&hex(FFMPEG_SR)));
    assert!(looks_like_rtcp(&hex(PLI)));
    assert!(!looks_like_rtcp(&hex("80e003d431770aa4a16b2963")));
    assert!(!looks_like_rtcp(&[0x80]));
}
