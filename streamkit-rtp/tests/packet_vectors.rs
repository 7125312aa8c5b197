//! RTP packets and header extensions against byte-exact vectors: packets
//! hand-assembled from the RFC 3550 and RFC 8285 layouts, packets captured
//! from ffmpeg and GStreamer, and malformed packets with their exact errors.
#![allow(clippy::unwrap_used)] // test helpers outside #[test] fns

use bytes::Bytes;
use streamkit_core::time::{RtpTimestamp, SequenceNumber};
use streamkit_rtp::error::{ParseError, WriteError};
use streamkit_rtp::extension::{
    ExtensionBlock, ExtensionElement, ExtensionForm, ONE_BYTE_PROFILE, write_block,
};
use streamkit_rtp::packet::{MAX_DATAGRAM_HEADER_LEN, RtpHeader, RtpPacket};

fn hex(s: &str) -> Bytes {
    let s: String = s.chars().filter(|c| !c.is_whitespace()).collect();
    Bytes::from(
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect::<Vec<u8>>(),
    )
}

fn elements(p: &RtpPacket) -> Vec<(u8, Vec<u8>)> {
    p.extension()
        .unwrap()
        .elements()
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            (e.id, e.data.to_vec())
        })
        .collect()
}

/// ffmpeg 7 `-f rtp` with libx264: captured on a loopback UDP socket from
/// `ffmpeg -re -f lavfi -i testsrc=size=160x120:rate=10 -t 1 -c:v libx264
/// -g 10 -f rtp rtp://127.0.0.1:PORT` (a 25-byte packet: the last FU-A
/// fragment of a frame, marker set).
const FFMPEG_RTP_FU_A_END: &str = "80e003d431770aa4a16b2963019e836a437f00711551b8618f";

#[test]
fn ffmpeg_packet_parses() {
    let p = RtpPacket::parse(hex(FFMPEG_RTP_FU_A_END)).unwrap();
    assert!(p.marker());
    assert_eq!(p.payload_type(), 96);
    assert_eq!(p.sequence_number(), SequenceNumber::new(0x03d4));
    assert_eq!(p.timestamp(), RtpTimestamp::new(0x3177_0aa4));
    assert_eq!(p.ssrc(), 0xa16b_2963);
    assert_eq!(p.csrc_count(), 0);
    assert!(p.extension().is_none());
    assert!(!p.has_padding());
    assert_eq!(p.header_len(), 12);
    assert_eq!(&p.payload()[..], &hex("019e836a437f00711551b8618f")[..]);
}

/// The first RTP packet GStreamer 1.x `rtpbin` sent for
/// `audiotestsrc ! audio/x-raw,rate=8000,channels=1 ! rtpL16pay` over
/// loopback, cut after its first 20 payload bytes (the header is what is
/// checked; the captured datagram was 332 bytes).
const GSTREAMER_RTP_L16_HEAD: &str = "80e0643fbb9f504508f2c87a22af414558236496652359bb";

#[test]
fn gstreamer_packet_parses() {
    let p = RtpPacket::parse(hex(GSTREAMER_RTP_L16_HEAD)).unwrap();
    assert!(p.marker());
    assert_eq!(p.payload_type(), 96);
    assert_eq!(p.sequence_number(), SequenceNumber::new(0x643f));
    assert_eq!(p.timestamp(), RtpTimestamp::new(0xbb9f_5045));
    assert_eq!(p.ssrc(), 0x08f2_c87a);
    assert_eq!(p.payload().len(), 12);
}

/// RFC 3550 5.1 layout, every field non-trivial: V=2 P=1 X=1 CC=2 M=1
/// PT=111, two CSRCs, a raw extension (profile 0xABCD, one word), a 3-byte
/// payload and 4 bytes of padding.
const RFC3550_FULL: &str = "
    b2 ef 12 34  89 ab cd ef  01 02 03 04
    00 00 00 0a  00 00 00 0b
    ab cd 00 01  de ad be ef
    61 62 63
    00 00 00 04";

#[test]
fn rfc3550_every_field() {
    let p = RtpPacket::parse(hex(RFC3550_FULL)).unwrap();
    assert!(p.has_padding());
    assert!(p.has_extension());
    assert!(p.marker());
    assert_eq!(p.payload_type(), 111);
    assert_eq!(p.sequence_number().0, 0x1234);
    assert_eq!(p.timestamp().0, 0x89ab_cdef);
    assert_eq!(p.ssrc(), 0x0102_0304);
    assert_eq!(p.csrcs().collect::<Vec<_>>(), vec![10, 11]);
    let ext = p.extension().unwrap();
    assert_eq!(ext.profile(), 0xabcd);
    assert_eq!(ext.data(), &[0xde, 0xad, 0xbe, 0xef]);
    assert_eq!(ext.data_offset(), 24);
    assert_eq!(ext.form(), None);
    assert!(ext.elements().is_none());
    assert_eq!(p.header_len(), 28);
    assert_eq!(p.payload_offset(), 28);
    assert_eq!(&p.payload()[..], b"abc");
    assert_eq!(p.padding_len(), 4);

    // And the writer produces the same bytes from the same description.
    let header = RtpHeader {
        marker: true,
        payload_type: 111,
        sequence_number: SequenceNumber::new(0x1234),
        timestamp: RtpTimestamp::new(0x89ab_cdef),
        ssrc: 0x0102_0304,
        csrcs: &[10, 11],
        extension: Some(ExtensionBlock::Raw {
            profile: 0xabcd,
            data: &[0xde, 0xad, 0xbe, 0xef],
        }),
        padding: 4,
    };
    let mut out = Vec::new();
    assert_eq!(header.write(b"abc", &mut out).unwrap(), 35);
    assert_eq!(out, hex(RFC3550_FULL));
    let mut fixed = [0u8; 35];
    assert_eq!(header.write_into(b"abc", &mut fixed).unwrap(), 35);
    assert_eq!(&fixed[..], &hex(RFC3550_FULL)[..]);
    let d = header.datagram(Bytes::from_static(b"abc")).unwrap();
    let mut flat = Vec::new();
    for s in d.slices() {
        flat.extend_from_slice(s);
    }
    assert_eq!(flat, hex(RFC3550_FULL));
    assert_eq!(d.len(), 35);
    assert_eq!(d.padding().zeros(), &[0, 0, 0]);
    assert_eq!(d.padding().count_byte(), &[4]);
}

/// The one-byte form example of RFC 8285 section 4.2: elements of 1, 2 and
/// 4 bytes, two padding bytes between the second and the third.
const RFC8285_ONE_BYTE: &str = "
    90 60 00 01  00 00 00 00  00 00 00 01
    be de 00 03
    10 aa 21 bb  cc 00 00 33  dd ee ff 11";

#[test]
fn rfc8285_one_byte_example() {
    let p = RtpPacket::parse(hex(RFC8285_ONE_BYTE)).unwrap();
    let ext = p.extension().unwrap();
    assert_eq!(ext.profile(), ONE_BYTE_PROFILE);
    assert_eq!(ext.form(), Some(ExtensionForm::OneByte));
    assert_eq!(
        elements(&p),
        vec![
            (1, vec![0xaa]),
            (2, vec![0xbb, 0xcc]),
            (3, vec![0xdd, 0xee, 0xff, 0x11])
        ]
    );
    assert_eq!(ext.element(2).unwrap(), Some(&[0xbb, 0xcc][..]));
    assert_eq!(ext.element(9).unwrap(), None);
    assert!(p.payload().is_empty());
}

/// The two-byte form example of RFC 8285 section 4.3: an empty element, a
/// 1-byte element, a padding byte, a 4-byte element.
const RFC8285_TWO_BYTE: &str = "
    90 60 00 01  00 00 00 00  00 00 00 01
    10 00 00 03
    01 00 02 01  aa 00 03 04  b1 b2 b3 b4
    70 61 79";

#[test]
fn rfc8285_two_byte_example() {
    let p = RtpPacket::parse(hex(RFC8285_TWO_BYTE)).unwrap();
    let ext = p.extension().unwrap();
    assert_eq!(ext.form(), Some(ExtensionForm::TwoByte { appbits: 0 }));
    assert_eq!(
        elements(&p),
        vec![
            (1, vec![]),
            (2, vec![0xaa]),
            (3, vec![0xb1, 0xb2, 0xb3, 0xb4])
        ]
    );
    assert_eq!(&p.payload()[..], b"pay");
}

#[test]
fn one_byte_id_15_stops_processing() {
    // Element 1, then id 15: the bytes after it (which would be a malformed
    // element) are not looked at.
    let p = RtpPacket::parse(hex("90600001 00000000 00000001 bede0002 10aaf5ff 1f000000")).unwrap();
    assert_eq!(elements(&p), vec![(1, vec![0xaa])]);
}

#[test]
fn one_byte_id_0_is_padding_whatever_its_length_nibble() {
    let p = RtpPacket::parse(hex("90600001 00000000 00000001 bede0001 00 03 10 aa")).unwrap();
    assert_eq!(elements(&p), vec![(1, vec![0xaa])]);
}

#[test]
fn element_past_the_block_is_an_error_with_its_offset() {
    // One-byte element id 1 of 4 bytes with only 3 left in the block.
    let p = RtpPacket::parse(hex("90600001 00000000 00000001 bede0001 13aabbcc")).unwrap();
    let mut it = p.extension().unwrap().elements().unwrap();
    assert_eq!(
        it.next(),
        Some(Err(ParseError::ExtensionElementPastEnd {
            offset: 16,
            id: 1,
            length: 4
        }))
    );
    assert_eq!(it.next(), None);
    assert_eq!(
        p.extension().unwrap().element(7),
        Err(ParseError::ExtensionElementPastEnd {
            offset: 16,
            id: 1,
            length: 4
        })
    );

    // Two-byte element of 5 bytes with only 2 left in the block.
    let p = RtpPacket::parse(hex("90600001 00000000 00000001 10000001 01050304")).unwrap();
    let got: Vec<_> = p.extension().unwrap().elements().unwrap().collect();
    assert_eq!(
        got,
        vec![Err(ParseError::ExtensionElementPastEnd {
            offset: 16,
            id: 1,
            length: 5
        })]
    );
    // Two-byte element with an id but no length byte at the very end.
    let p = RtpPacket::parse(hex("90600001 00000000 00000001 10000001 00000005")).unwrap();
    let got: Vec<_> = p.extension().unwrap().elements().unwrap().collect();
    assert_eq!(
        got,
        vec![Err(ParseError::ExtensionElementPastEnd {
            offset: 19,
            id: 5,
            length: 0
        })]
    );
}

#[test]
fn writer_picks_the_one_byte_form_and_pads() {
    let els = [
        ExtensionElement {
            id: 1,
            data: &[0xaa],
        },
        ExtensionElement {
            id: 14,
            data: &[0xbb; 16],
        },
    ];
    assert_eq!(ExtensionForm::choose(&els).unwrap(), ExtensionForm::OneByte);
    let mut out = Vec::new();
    assert_eq!(write_block(&els, &mut out).unwrap(), 24);
    let mut expected = vec![0xbe, 0xde, 0x00, 0x05, 0x10, 0xaa, 0xef];
    expected.extend_from_slice(&[0xbb; 16]);
    expected.push(0);
    assert_eq!(out, expected);
}

#[test]
fn writer_picks_the_two_byte_form_when_it_must() {
    // Id above 14.
    let els = [ExtensionElement { id: 15, data: &[1] }];
    assert_eq!(
        ExtensionForm::choose(&els).unwrap(),
        ExtensionForm::TwoByte { appbits: 0 }
    );
    let mut out = Vec::new();
    write_block(&els, &mut out).unwrap();
    assert_eq!(out, [0x10, 0x00, 0x00, 0x01, 15, 1, 1, 0]);
    // Empty element.
    let els = [ExtensionElement { id: 1, data: &[] }];
    assert_eq!(
        ExtensionForm::choose(&els).unwrap(),
        ExtensionForm::TwoByte { appbits: 0 }
    );
    // Element longer than 16 bytes.
    let long = [7u8; 17];
    let els = [ExtensionElement { id: 2, data: &long }];
    assert_eq!(
        ExtensionForm::choose(&els).unwrap(),
        ExtensionForm::TwoByte { appbits: 0 }
    );
    let mut out = Vec::new();
    assert_eq!(write_block(&els, &mut out).unwrap(), 4 + 20);
    assert_eq!(&out[..6], &[0x10, 0x00, 0x00, 0x05, 2, 17]);
    assert_eq!(&out[6..23], &long);
    assert_eq!(out[23], 0);
    // Appbits survive a forced form.
    let header = RtpHeader {
        extension: Some(ExtensionBlock::ElementsInForm(
            ExtensionForm::TwoByte { appbits: 5 },
            &[ExtensionElement { id: 1, data: &[9] }],
        )),
        ..RtpHeader::default()
    };
    let mut out = Vec::new();
    header.write(&[], &mut out).unwrap();
    let p = RtpPacket::parse(Bytes::from(out)).unwrap();
    assert_eq!(p.extension().unwrap().profile(), 0x1005);
    assert_eq!(elements(&p), vec![(1, vec![9])]);
}

#[test]
fn writer_rejects_what_no_form_carries() {
    assert_eq!(
        ExtensionForm::choose(&[ExtensionElement { id: 0, data: &[1] }]),
        Err(WriteError::Invalid {
            what: "header extension element id 0 (reserved for padding)"
        })
    );
    let big = [0u8; 256];
    assert_eq!(
        ExtensionForm::choose(&[ExtensionElement { id: 1, data: &big }]),
        Err(WriteError::TooLong {
            what: "header extension element",
            len: 256,
            max: 255
        })
    );
    assert!(matches!(
        ExtensionForm::OneByte.data_len(&[ExtensionElement { id: 15, data: &[1] }]),
        Err(WriteError::Invalid { .. })
    ));
    assert!(matches!(
        ExtensionForm::OneByte.data_len(&[ExtensionElement { id: 1, data: &[] }]),
        Err(WriteError::Invalid { .. })
    ));
    let raw = RtpHeader {
        extension: Some(ExtensionBlock::Raw {
            profile: 1,
            data: &[1, 2, 3],
        }),
        ..RtpHeader::default()
    };
    assert!(matches!(raw.header_len(), Err(WriteError::Invalid { .. })));
}

#[test]
fn writer_errors() {
    let header = RtpHeader {
        payload_type: 96,
        ..RtpHeader::default()
    };
    let mut small = [0u8; 20];
    assert_eq!(
        header.write_into(&[0; 9], &mut small),
        Err(WriteError::InsufficientSize { required: 21 })
    );
    assert_eq!(small, [0u8; 20], "nothing written on error");
    let mut limited = &mut small[..11];
    assert_eq!(
        header.write_header(&mut limited),
        Err(WriteError::InsufficientSize { required: 12 })
    );
    let bad_pt = RtpHeader {
        payload_type: 128,
        ..RtpHeader::default()
    };
    assert_eq!(
        bad_pt.header_len(),
        Err(WriteError::Invalid {
            what: "payload type (must be 0 to 127)"
        })
    );
    let csrcs = [0u32; 16];
    let too_many = RtpHeader {
        csrcs: &csrcs,
        ..RtpHeader::default()
    };
    assert_eq!(
        too_many.header_len(),
        Err(WriteError::TooMany {
            what: "CSRCs",
            count: 16,
            max: 15
        })
    );
    let big = [0u8; 300];
    let oversized = RtpHeader {
        extension: Some(ExtensionBlock::Raw {
            profile: 1,
            data: &big,
        }),
        ..RtpHeader::default()
    };
    assert_eq!(oversized.header_len(), Ok(316));
    assert_eq!(
        oversized.datagram(Bytes::new()).unwrap_err(),
        WriteError::TooLong {
            what: "RTP header for a vectored datagram",
            len: 316,
            max: MAX_DATAGRAM_HEADER_LEN
        }
    );
}

#[test]
fn datagram_keeps_the_payload_buffer() {
    let payload = Bytes::from(vec![0x42u8; 1200]);
    let d = RtpHeader::default().datagram(payload.clone()).unwrap();
    assert_eq!(d.payload().as_ptr(), payload.as_ptr(), "payload not copied");
    assert_eq!(d.header().len(), 12);
    assert_eq!(d.io_slices().iter().map(|s| s.len()).sum::<usize>(), 1212);

    // And parsing gives a slice of the datagram, not a copy.
    let mut wire = Vec::new();
    d.write_to(&mut wire).unwrap();
    let wire = Bytes::from(wire);
    let p = RtpPacket::parse(wire.clone()).unwrap();
    assert_eq!(p.payload().as_ptr(), wire[12..].as_ptr());
    assert_eq!(p.as_bytes(), &wire);
}

#[test]
fn malformed_packets_get_exact_errors() {
    let cases: &[(&str, ParseError)] = &[
        (
            "",
            ParseError::TooShort {
                offset: 0,
                needed: 12,
            },
        ),
        (
            "8060000100000000000000",
            ParseError::TooShort {
                offset: 0,
                needed: 12,
            },
        ),
        (
            "406000010000000000000001",
            ParseError::BadVersion {
                offset: 0,
                version: 1,
            },
        ),
        (
            "c06000010000000000000001",
            ParseError::BadVersion {
                offset: 0,
                version: 3,
            },
        ),
        (
            "82600001 00000000 00000001 0000000a",
            ParseError::CsrcPastEnd {
                offset: 0,
                count: 2,
            },
        ),
        (
            "90600001 00000000 00000001 bede",
            ParseError::TooShort {
                offset: 12,
                needed: 4,
            },
        ),
        (
            "91600001 00000000 00000001 0000000a bede0002 00000000",
            ParseError::ExtensionPastEnd {
                offset: 16,
                length_words: 2,
            },
        ),
        (
            "a0600001 00000000 00000001 616200",
            ParseError::PaddingZero { offset: 14 },
        ),
        (
            "a0600001 00000000 00000001 616205",
            ParseError::PaddingTooLong {
                offset: 14,
                padding: 5,
                available: 3,
            },
        ),
        (
            "b0600001 00000000 00000001 bede0000 02",
            ParseError::PaddingTooLong {
                offset: 16,
                padding: 2,
                available: 1,
            },
        ),
    ];
    for (bytes, err) in cases {
        assert_eq!(RtpPacket::parse(hex(bytes)), Err(*err), "{bytes}");
    }
    // Padding that takes everything after the header is fine.
    let p = RtpPacket::parse(hex("a0600001 00000000 00000001 000003")).unwrap();
    assert!(p.payload().is_empty());
    assert_eq!(p.padding_len(), 3);
}

#[test]
fn errors_say_where() {
    let e = ParseError::ExtensionPastEnd {
        offset: 16,
        length_words: 2,
    };
    assert_eq!(
        e.to_string(),
        "header extension of 2 words at byte 16 runs past the end"
    );
    assert_eq!(
        WriteError::InsufficientSize { required: 21 }.to_string(),
        "buffer too small: 21 bytes required"
    );
}
