//! Properties: arbitrary bytes in any split never panic the decoders and
//! sessions; AMF0 and AMF3 values round trip; chunk stream write then read
//! is the identity at any chunk size, whatever the interleaving and
//! timestamps (the 24-bit boundary and 32-bit wraps included).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
#![allow(clippy::disallowed_methods)] // the origin of the simulated clock

use std::time::{Duration, Instant};

use bytes::Bytes;
use proptest::prelude::*;
use streamkit_rtmp::amf::{Amf0Value, Amf3Object, Amf3Value, AmfLimits, AmfString, amf0, amf3};
use streamkit_rtmp::chunk::{ChunkDecoder, ChunkEncoder, ChunkLimits, Message};
use streamkit_rtmp::fuzz;

fn key() -> impl Strategy<Value = String> {
    "[a-zA-Z0-9_@.]{1,12}"
}

/// Finite doubles (NaN is never equal to itself).
fn number() -> impl Strategy<Value = f64> {
    prop::num::f64::NORMAL | prop::num::f64::ZERO | prop::num::f64::SUBNORMAL
}

fn amf3_value() -> impl Strategy<Value = Amf3Value> {
    let leaf = prop_oneof![
        Just(Amf3Value::Undefined),
        Just(Amf3Value::Null),
        any::<bool>().prop_map(Amf3Value::Boolean),
        (-(1i32 << 28)..(1i32 << 28)).prop_map(Amf3Value::Integer),
        number().prop_map(Amf3Value::Double),
        ".{0,20}".prop_map(Amf3Value::String),
        number().prop_map(Amf3Value::Date),
        prop::collection::vec(any::<u8>(), 0..20).prop_map(Amf3Value::ByteArray),
        (any::<bool>(), prop::collection::vec(any::<i32>(), 0..5))
            .prop_map(|(fixed, items)| Amf3Value::VectorInt { fixed, items }),
        (any::<bool>(), prop::collection::vec(any::<u32>(), 0..5))
            .prop_map(|(fixed, items)| Amf3Value::VectorUint { fixed, items }),
        (any::<bool>(), prop::collection::vec(number(), 0..5))
            .prop_map(|(fixed, items)| Amf3Value::VectorDouble { fixed, items }),
        ".{0,10}".prop_map(Amf3Value::Xml),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            (
                prop::collection::vec((key(), inner.clone()), 0..4),
                prop::collection::vec(inner.clone(), 0..4)
            )
                .prop_map(|(associative, dense)| Amf3Value::Array { associative, dense }),
            (
                "[a-z.]{0,8}",
                prop::collection::vec((key(), inner.clone()), 0..4),
                prop::option::of(prop::collection::vec((key(), inner.clone()), 0..3))
            )
                .prop_map(|(class_name, sealed, dynamic)| Amf3Value::Object(
                    Amf3Object {
                        class_name,
                        sealed,
                        dynamic
                    }
                )),
            (
                any::<bool>(),
                "[a-z*]{1,6}",
                prop::collection::vec(inner.clone(), 0..3)
            )
                .prop_map(|(fixed, type_name, items)| Amf3Value::VectorObject {
                    fixed,
                    type_name,
                    items
                }),
            (
                any::<bool>(),
                prop::collection::vec((inner.clone(), inner), 0..3)
            )
                .prop_map(|(weak_keys, entries)| Amf3Value::Dictionary { weak_keys, entries }),
        ]
    })
}

fn amf0_value() -> impl Strategy<Value = Amf0Value> {
    let leaf = prop_oneof![
        number().prop_map(Amf0Value::Number),
        any::<bool>().prop_map(Amf0Value::Boolean),
        ".{0,40}".prop_map(|s: String| Amf0Value::String(s.into())),
        Just(Amf0Value::Null),
        Just(Amf0Value::Undefined),
        any::<u16>().prop_map(Amf0Value::Reference),
        (number(), any::<i16>())
            .prop_map(|(millis, time_zone)| Amf0Value::Date { millis, time_zone }),
        ".{0,20}".prop_map(Amf0Value::LongString),
        Just(Amf0Value::Unsupported),
        ".{0,20}".prop_map(Amf0Value::XmlDocument),
        amf3_value().prop_map(Amf0Value::Avmplus),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec((key().prop_map(AmfString::from), inner.clone()), 0..5)
                .prop_map(Amf0Value::Object),
            prop::collection::vec((key().prop_map(AmfString::from), inner.clone()), 0..5)
                .prop_map(Amf0Value::EcmaArray),
            prop::collection::vec(inner.clone(), 0..5).prop_map(Amf0Value::StrictArray),
            (
                "[A-Za-z.]{1,10}",
                prop::collection::vec((key().prop_map(AmfString::from), inner), 0..4)
            )
                .prop_map(|(class_name, properties)| Amf0Value::TypedObject {
                    class_name: class_name.into(),
                    properties
                }),
        ]
    })
}

fn message() -> impl Strategy<Value = Message> {
    (
        prop_oneof![3u32..8, 60u32..70, 300u32..330, 65_000u32..65_600],
        // Around 0, the 24-bit boundary and the 32-bit wrap.
        prop_oneof![
            0u32..1000,
            0x00ff_fc00u32..0x0100_0400,
            0xffff_fc00u32..=u32::MAX
        ],
        prop_oneof![Just(8u8), Just(9u8), Just(18u8), Just(20u8)],
        0u32..3,
        prop::collection::vec(any::<u8>(), 0..1500),
    )
        .prop_map(|(csid, timestamp, type_id, stream_id, payload)| Message {
            csid,
            timestamp,
            type_id,
            stream_id,
            payload: Bytes::from(payload),
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn amf0_round_trips(values in prop::collection::vec(amf0_value(), 1..4)) {
        let mut bytes = Vec::new();
        for v in &values {
            v.encode(&mut bytes).unwrap();
        }
        prop_assert_eq!(amf0::decode_all(&bytes, &AmfLimits::default()).unwrap(), values);
    }

    #[test]
    fn amf3_round_trips(value in amf3_value()) {
        let mut bytes = Vec::new();
        value.encode(&mut bytes).unwrap();
        let (back, n) = amf3::decode(&bytes, &AmfLimits::default()).unwrap();
        prop_assert_eq!(n, bytes.len());
        prop_assert_eq!(back, value);
    }

    #[test]
    fn chunk_write_then_read_is_the_identity(
        messages in prop::collection::vec(message(), 1..12),
        chunk_size in prop_oneof![1u32..8, 100u32..200, 4096u32..4097, 60_000u32..70_000],
        split in 1usize..700,
    ) {
        let mut encoder = ChunkEncoder::new();
        let mut wire = Vec::new();
        // The size change travels at the old size, as sessions send it.
        let size = Message { csid: 2, timestamp: 0, type_id: 1, stream_id: 0, payload: Bytes::copy_from_slice(&chunk_size.to_be_bytes()) };
        encoder.encode(&size, &[], &mut |b: Bytes| wire.extend_from_slice(&b)).unwrap();
        encoder.set_chunk_size(chunk_size).unwrap();
        for m in &messages {
            encoder.encode(m, &[], &mut |b: Bytes| wire.extend_from_slice(&b)).unwrap();
        }
        let mut decoder = ChunkDecoder::new(ChunkLimits::default());
        let mut out = Vec::new();
        for piece in wire.chunks(split) {
            decoder.push(piece);
            while let Some(m) = decoder.poll_message().unwrap() {
                out.push(m);
            }
        }
        prop_assert_eq!(decoder.pending_input(), 0);
        prop_assert_eq!(&out[0], &size);
        prop_assert_eq!(decoder.chunk_size(), chunk_size as usize);
        prop_assert_eq!(&out[1..], &messages[..]);
    }

    #[test]
    fn a_prefix_goes_before_the_payload(prefix in prop::collection::vec(any::<u8>(), 0..20), payload in prop::collection::vec(any::<u8>(), 0..400)) {
        let mut encoder = ChunkEncoder::new();
        let m = Message { csid: 6, timestamp: 40, type_id: 9, stream_id: 1, payload: Bytes::from(payload.clone()) };
        let mut wire = Vec::new();
        encoder.encode(&m, &prefix, &mut |b: Bytes| wire.extend_from_slice(&b)).unwrap();
        let mut decoder = ChunkDecoder::new(ChunkLimits::default());
        decoder.push(&wire);
        let got = decoder.poll_message().unwrap().unwrap();
        let mut whole = prefix.clone();
        whole.extend_from_slice(&payload);
        prop_assert_eq!(&got.payload[..], &whole[..]);
    }

    #[test]
    fn arbitrary_bytes_never_panic(data in prop::collection::vec(any::<u8>(), 0..4096)) {
        fuzz::amf(&data);
        fuzz::chunk(&data);
        fuzz::handshake(&data);
        fuzz::session(Instant::now(), &data);
    }

    #[test]
    fn arbitrary_chunks_after_a_handshake_in_any_split(data in prop::collection::vec(any::<u8>(), 0..2048), split in 1usize..64) {
        use streamkit_rtmp::handshake::ClientHandshake;
        use streamkit_rtmp::server::{AllowAll, ServerSession};
        let start = Instant::now();
        let mut server = ServerSession::new(start, Default::default(), Box::new(AllowAll));
        let mut hs = ClientHandshake::new(1);
        let c0c1 = hs.poll_output().unwrap();
        server.handle_input(start, &c0c1).unwrap();
        server.handle_input(start, &[0u8; 1536]).unwrap();
        for (i, piece) in data.chunks(split).enumerate() {
            let now = start + Duration::from_millis(i as u64);
            if server.handle_input(now, piece).is_err() {
                prop_assert!(server.is_closed());
                break;
            }
            while server.poll_event().is_some() {}
            while server.poll_transmit().is_some() {}
        }
    }
}

/// Always type-0 headers at absolute times across 2^24 ms, with messages
/// spanning chunks: the extended timestamp is written in the type-0 chunk
/// and repeated in each type-3 continuation, and read back either way
/// (a peer that does not repeat it is read right too).
#[test]
fn extended_timestamps_across_the_24_bit_boundary_in_type_3_chunks() {
    let mut wire = Vec::new();
    let mut wire_without_repeat = Vec::new();
    let mut messages = Vec::new();
    for (i, ts) in (0x00ff_f000u32..0x0100_1000).step_by(40).enumerate() {
        let m = Message {
            csid: 6,
            timestamp: ts,
            type_id: 9,
            stream_id: 1,
            payload: Bytes::from(vec![i as u8; 300]),
        };
        // A fresh encoder: every message starts with a type-0 header.
        let mut encoder = ChunkEncoder::new();
        let mut chunks = Vec::new();
        encoder
            .encode(&m, &[], &mut |b: Bytes| chunks.push(b))
            .unwrap();
        for c in &chunks {
            wire.extend_from_slice(c);
        }
        // The same without the repeated extended timestamp: drop the 4
        // bytes after each type-3 basic header (0xc6).
        for c in &chunks {
            if ts >= 0x00ff_ffff && c.len() == 5 && c[0] == 0xc6 {
                wire_without_repeat.push(0xc6);
            } else {
                wire_without_repeat.extend_from_slice(c);
            }
        }
        messages.push(m);
    }
    for bytes in [&wire, &wire_without_repeat] {
        let mut decoder = ChunkDecoder::new(ChunkLimits::default());
        decoder.push(bytes);
        let mut out = Vec::new();
        while let Some(m) = decoder.poll_message().unwrap() {
            out.push(m);
        }
        assert_eq!(out, messages);
    }
    assert!(wire.len() > wire_without_repeat.len());
}

#[test]
fn an_absurd_chunk_size_is_a_protocol_error() {
    for size in [0u32, 0x8000_0000, 0x7fff_ffff] {
        let mut wire = vec![0x02, 0, 0, 0, 0, 0, 4, 1, 0, 0, 0, 0];
        wire.extend_from_slice(&size.to_be_bytes());
        let mut decoder = ChunkDecoder::new(ChunkLimits::default());
        decoder.push(&wire);
        assert!(
            matches!(decoder.poll_message(), Err(streamkit_rtmp::chunk::ChunkError::InvalidChunkSize { size: s, .. }) if s == size),
            "{size}"
        );
    }
}

#[test]
fn abort_drops_the_message_being_assembled() {
    let mut encoder = ChunkEncoder::new();
    let big = Message {
        csid: 6,
        timestamp: 0,
        type_id: 9,
        stream_id: 1,
        payload: Bytes::from(vec![1u8; 300]),
    };
    let mut chunks = Vec::new();
    encoder
        .encode(&big, &[], &mut |b: Bytes| chunks.push(b))
        .unwrap();
    let mut wire = Vec::new();
    // The first chunk only (header and 128 bytes), then Abort(6).
    wire.extend_from_slice(&chunks[0]);
    wire.extend_from_slice(&chunks[1]);
    let abort = Message {
        csid: 2,
        timestamp: 0,
        type_id: 2,
        stream_id: 0,
        payload: Bytes::from_static(&[0, 0, 0, 6]),
    };
    encoder
        .encode(&abort, &[], &mut |b: Bytes| wire.extend_from_slice(&b))
        .unwrap();
    let small = Message {
        csid: 6,
        timestamp: 40,
        type_id: 9,
        stream_id: 1,
        payload: Bytes::from_static(b"after"),
    };
    let mut fresh = ChunkEncoder::new();
    fresh
        .encode(&small, &[], &mut |b: Bytes| wire.extend_from_slice(&b))
        .unwrap();
    let mut decoder = ChunkDecoder::new(ChunkLimits::default());
    decoder.push(&wire);
    assert_eq!(decoder.poll_message().unwrap().unwrap().type_id, 2);
    assert_eq!(decoder.poll_message().unwrap().unwrap(), small);
}

#[test]
fn chunk_stream_and_buffer_bounds() {
    // 3 chunk streams allowed; the fourth is refused.
    let limits = ChunkLimits::default().with_max_chunk_streams(3);
    let mut encoder = ChunkEncoder::new();
    let mut wire = Vec::new();
    for csid in 3..7 {
        let m = Message {
            csid,
            timestamp: 0,
            type_id: 9,
            stream_id: 1,
            payload: Bytes::from_static(b"x"),
        };
        encoder
            .encode(&m, &[], &mut |b: Bytes| wire.extend_from_slice(&b))
            .unwrap();
    }
    let mut decoder = ChunkDecoder::new(limits);
    decoder.push(&wire);
    for _ in 0..3 {
        decoder.poll_message().unwrap().unwrap();
    }
    assert!(matches!(
        decoder.poll_message(),
        Err(streamkit_rtmp::chunk::ChunkError::TooManyChunkStreams {
            csid: 6,
            limit: 3,
            ..
        })
    ));

    // Partial messages on many chunk streams over the buffer bound.
    let limits = ChunkLimits::default().with_max_buffered_bytes(1000);
    let mut wire = Vec::new();
    for csid in 3..20 {
        let m = Message {
            csid,
            timestamp: 0,
            type_id: 9,
            stream_id: 1,
            payload: Bytes::from(vec![0u8; 5000]),
        };
        let mut chunks = Vec::new();
        ChunkEncoder::new()
            .encode(&m, &[], &mut |b: Bytes| chunks.push(b))
            .unwrap();
        // Only the first chunk of each.
        wire.extend_from_slice(&chunks[0]);
        wire.extend_from_slice(&chunks[1]);
    }
    let mut decoder = ChunkDecoder::new(limits);
    decoder.push(&wire);
    assert!(matches!(
        decoder.poll_message(),
        Err(streamkit_rtmp::chunk::ChunkError::BufferedTooMuch { limit: 1000, .. })
    ));
}

#[test]
fn a_first_type_1_chunk_on_an_unseen_chunk_stream_is_read() {
    // Some services start chunk stream 46 with a type-1 header.
    let mut wire = vec![0x40 | 46, 0, 0, 10, 0, 0, 3, 9];
    wire.extend_from_slice(b"abc");
    let mut decoder = ChunkDecoder::new(ChunkLimits::default());
    decoder.push(&wire);
    let m = decoder.poll_message().unwrap().unwrap();
    assert_eq!(
        (m.csid, m.timestamp, m.stream_id, &m.payload[..]),
        (46, 10, 0, &b"abc"[..])
    );
}

#[test]
fn amf_bounds_and_errors_say_where() {
    // Nesting deeper than the limit.
    let deep: Vec<u8> = std::iter::repeat_n(0x0a_u8, 1)
        .chain([0, 0, 0, 1])
        .collect::<Vec<_>>()
        .repeat(40);
    let err = amf0::decode(&deep, &AmfLimits::default()).unwrap_err();
    assert!(
        matches!(
            err,
            streamkit_rtmp::amf::AmfError::TooDeep { limit: 32, .. }
        ),
        "{err}"
    );
    // A strict array claiming more elements than bytes.
    let err = amf0::decode(&[0x0a, 0xff, 0xff, 0xff, 0xff, 5], &AmfLimits::default()).unwrap_err();
    assert!(
        matches!(
            err,
            streamkit_rtmp::amf::AmfError::Truncated { offset: 5, .. }
        ),
        "{err}"
    );
    // A reserved marker.
    let err = amf0::decode(&[0x04], &AmfLimits::default()).unwrap_err();
    assert_eq!(err.to_string(), "AMF0: unknown type marker 0x04 at byte 0");
    // String references multiply bytes: counted after resolving.
    let mut v = Vec::new();
    // An array of 100 dense strings: one 1000-byte string then 99
    // references to it.
    v.push(0x09);
    v.extend_from_slice(&[0x81, 0x49]); // U29 (100 << 1) | 1 = 201
    v.push(0x01); // no associative part
    v.push(0x06);
    v.extend_from_slice(&[0x8f, 0x51]); // (1000 << 1) | 1 = 2001
    v.extend(std::iter::repeat_n(b'a', 1000));
    for _ in 0..99 {
        v.extend_from_slice(&[0x06, 0x00]);
    }
    let small = AmfLimits::default().with_max_bytes(50_000);
    let err = amf3::decode(&v, &small).unwrap_err();
    assert!(
        matches!(
            err,
            streamkit_rtmp::amf::AmfError::OverLimit { what: "bytes", .. }
        ),
        "{err}"
    );
    let (big, _) = amf3::decode(&v, &AmfLimits::default()).unwrap();
    assert!(matches!(big, Amf3Value::Array { dense, .. } if dense.len() == 100));
    // A cyclic object graph decodes: the reference stays a reference.
    let cyclic = [0x0a, 0x0b, 0x01, 0x03, b'm', 0x0a, 0x00, 0x01];
    let (v, _) = amf3::decode(&cyclic, &AmfLimits::default()).unwrap();
    assert_eq!(
        v,
        Amf3Value::Object(Amf3Object {
            class_name: String::new(),
            sealed: vec![],
            dynamic: Some(vec![("m".into(), Amf3Value::Reference(0))]),
        })
    );
}
