//! Property tests for RTP packets and header extensions: arbitrary bytes
//! never panic, and parse ∘ write is the identity for generated packets
//! (with and without CSRCs, extensions in both forms, padding).
#![allow(clippy::unwrap_used)] // test helpers outside #[test] fns

use bytes::Bytes;
use proptest::prelude::*;
use streamkit_core::time::{RtpTimestamp, SequenceNumber};
use streamkit_rtp::extension::{
    ExtensionBlock, ExtensionElement, ExtensionElements, ExtensionForm,
};
use streamkit_rtp::packet::{RtpHeader, RtpPacket};

/// Touches every accessor of a parsed packet and checks the invariants
/// between them.
fn exercise(p: &RtpPacket) {
    let len = p.as_bytes().len();
    assert!(p.header_len() >= 12 && p.header_len() <= len);
    assert_eq!(p.header_len() + p.payload().len() + p.padding_len(), len);
    assert_eq!(p.csrcs().count(), p.csrc_count());
    assert_eq!(p.payload_bytes(), &p.payload()[..]);
    assert_eq!(p.header_bytes().len(), p.header_len());
    let _ = (
        p.marker(),
        p.payload_type(),
        p.sequence_number(),
        p.timestamp(),
        p.ssrc(),
    );
    let _ = format!("{p:?}");
    if let Some(ext) = p.extension() {
        if let Some(elements) = ext.elements() {
            for e in elements.flatten() {
                assert!(e.id != 0);
            }
        }
        let _ = ext.element(1);
    }
}

proptest! {
    #[test]
    fn arbitrary_bytes_never_panic(data in proptest::collection::vec(any::<u8>(), 0..200)) {
        if let Ok(p) = RtpPacket::parse(Bytes::from(data)) {
            exercise(&p);
        }
    }

    #[test]
    fn arbitrary_rtp_like_bytes_never_panic(
        first in any::<u8>(),
        rest in proptest::collection::vec(any::<u8>(), 0..120),
    ) {
        // Force version 2 so the deeper checks are reached.
        let mut data = vec![(first & 0x3f) | 0x80];
        data.extend_from_slice(&rest);
        if let Ok(p) = RtpPacket::parse(Bytes::from(data)) {
            exercise(&p);
        }
    }

    #[test]
    fn arbitrary_extension_data_never_panics(
        profile in prop_oneof![Just(0xBEDEu16), 0x1000u16..0x1010, any::<u16>()],
        data in proptest::collection::vec(any::<u8>(), 0..64),
    ) {
        if let Some(form) = ExtensionForm::from_profile(profile) {
            let mut n = 0;
            for e in ExtensionElements::new(form, &data, 16) {
                if let Ok(e) = e {
                    assert!(e.id != 0);
                    if form == ExtensionForm::OneByte {
                        assert!(e.id < 15 && !e.data.is_empty() && e.data.len() <= 16);
                    }
                }
                n += 1;
                assert!(n <= data.len());
            }
        }
    }
}

/// A generated extension: RFC 8285 elements or a raw block.
#[derive(Debug, Clone)]
enum GenExtension {
    Elements(Vec<(u8, Vec<u8>)>),
    Raw(u16, Vec<u8>),
}

fn one_byte_elements() -> impl Strategy<Value = Vec<(u8, Vec<u8>)>> {
    proptest::collection::vec(
        (1u8..=14, proptest::collection::vec(any::<u8>(), 1..=16)),
        0..6,
    )
}

fn two_byte_elements() -> impl Strategy<Value = Vec<(u8, Vec<u8>)>> {
    proptest::collection::vec(
        (1u8..=255, proptest::collection::vec(any::<u8>(), 0..40)),
        1..5,
    )
}

fn gen_extension() -> impl Strategy<Value = Option<GenExtension>> {
    prop_oneof![
        Just(None),
        one_byte_elements().prop_map(|e| Some(GenExtension::Elements(e))),
        two_byte_elements().prop_map(|e| Some(GenExtension::Elements(e))),
        (
            any::<u16>(),
            proptest::collection::vec(any::<[u8; 4]>(), 0..8)
        )
            .prop_map(|(p, w)| Some(GenExtension::Raw(p, w.concat()))),
    ]
}

proptest! {
    #[test]
    fn write_then_parse_is_identity(
        marker in any::<bool>(),
        payload_type in 0u8..128,
        seq in any::<u16>(),
        ts in any::<u32>(),
        ssrc in any::<u32>(),
        csrcs in proptest::collection::vec(any::<u32>(), 0..=15),
        ext in gen_extension(),
        padding in prop_oneof![Just(0u8), any::<u8>()],
        payload in proptest::collection::vec(any::<u8>(), 0..300),
    ) {
        let elements: Vec<ExtensionElement<'_>>;
        let extension = match &ext {
            None => None,
            Some(GenExtension::Elements(els)) => {
                elements = els.iter().map(|(id, d)| ExtensionElement { id: *id, data: d }).collect();
                Some(ExtensionBlock::Elements(&elements))
            }
            Some(GenExtension::Raw(profile, data)) => Some(ExtensionBlock::Raw { profile: *profile, data }),
        };
        let header = RtpHeader {
            marker,
            payload_type,
            sequence_number: SequenceNumber::new(seq),
            timestamp: RtpTimestamp::new(ts),
            ssrc,
            csrcs: &csrcs,
            extension,
            padding,
        };
        let mut wire = Vec::new();
        let n = header.write(&payload, &mut wire).unwrap();
        prop_assert_eq!(n, wire.len());
        prop_assert_eq!(header.packet_len(payload.len()).unwrap(), n);

        // The fixed buffer and vectored forms give the same bytes.
        let mut fixed = vec![0u8; n];
        prop_assert_eq!(header.write_into(&payload, &mut fixed).unwrap(), n);
        prop_assert_eq!(&fixed, &wire);
        if let Ok(d) = header.datagram(Bytes::from(payload.clone())) {
            prop_assert_eq!(d.slices().concat(), wire.clone());
        }

        let wire = Bytes::from(wire);
        let p = RtpPacket::parse(wire.clone()).unwrap();
        exercise(&p);
        prop_assert_eq!(p.marker(), marker);
        prop_assert_eq!(p.payload_type(), payload_type);
        prop_assert_eq!(p.sequence_number().0, seq);
        prop_assert_eq!(p.timestamp().0, ts);
        prop_assert_eq!(p.ssrc(), ssrc);
        prop_assert_eq!(p.csrcs().collect::<Vec<_>>(), csrcs.clone());
        prop_assert_eq!(p.payload_bytes(), &payload[..]);
        prop_assert_eq!(p.padding_len(), usize::from(padding));
        match &ext {
            None => prop_assert!(p.extension().is_none()),
            Some(GenExtension::Raw(profile, data)) => {
                let e = p.extension().unwrap();
                prop_assert_eq!(e.profile(), *profile);
                prop_assert_eq!(e.data(), &data[..]);
            }
            Some(GenExtension::Elements(els)) => {
                let got: Vec<(u8, Vec<u8>)> = p
                    .extension()
                    .unwrap()
                    .elements()
                    .unwrap()
                    .map(|e| e.map(|e| (e.id, e.data.to_vec())))
                    .collect::<Result<_, _>>()
                    .unwrap();
                prop_assert_eq!(&got, els);
            }
        }

        // Writing the parsed packet back gives the same bytes.
        let csrc_back: Vec<u32> = p.csrcs().collect();
        let again = RtpHeader {
            marker: p.marker(),
            payload_type: p.payload_type(),
            sequence_number: p.sequence_number(),
            timestamp: p.timestamp(),
            ssrc: p.ssrc(),
            csrcs: &csrc_back,
            extension: p.extension().map(|e| e.to_block()),
            padding: u8::try_from(p.padding_len()).unwrap(),
        };
        let mut back = Vec::new();
        again.write(p.payload_bytes(), &mut back).unwrap();
        prop_assert_eq!(&back[..], &wire[..]);
    }
}

proptest! {
    /// The writer picks the one-byte form exactly when every id is 1 to 14
    /// and every length 1 to 16, and the block parses back to the elements.
    #[test]
    fn form_choice_follows_rfc8285(
        els in proptest::collection::vec((1u8..=255, proptest::collection::vec(any::<u8>(), 0..20)), 0..6),
    ) {
        let elements: Vec<ExtensionElement<'_>> =
            els.iter().map(|(id, d)| ExtensionElement { id: *id, data: d }).collect();
        let one_byte = els.iter().all(|(id, d)| *id <= 14 && (1..=16).contains(&d.len()));
        let form = ExtensionForm::choose(&elements).unwrap();
        prop_assert_eq!(form == ExtensionForm::OneByte, one_byte);
        let mut block = Vec::new();
        let n = streamkit_rtp::extension::write_block(&elements, &mut block).unwrap();
        prop_assert_eq!(n, block.len());
        prop_assert_eq!(n % 4, 0);
        prop_assert_eq!(u16::from_be_bytes([block[0], block[1]]), form.profile());
        prop_assert_eq!(usize::from(u16::from_be_bytes([block[2], block[3]])) * 4, n - 4);
        let back: Vec<(u8, Vec<u8>)> = ExtensionElements::new(form, &block[4..], 0)
            .map(|e| e.map(|e| (e.id, e.data.to_vec())))
            .collect::<Result<_, _>>()
            .unwrap();
        prop_assert_eq!(back, els);
    }
}
