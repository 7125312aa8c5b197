//! The hot paths allocate nothing per message: chunk encoding writes
//! headers into shared blocks and hands out slices of the payload;
//! decoding slices one-chunk messages out of the input and assembles
//! larger ones in shared blocks; FLV tags are an inline header and the
//! sample's own `Bytes`. Allocations happen once per block (tens of KiB),
//! never per message; the counts below prove it.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use bytes::Bytes;
use streamkit_core::codec::CodecConfig;
use streamkit_core::codec::aac::AacConfig;
use streamkit_core::flv::{FlvDemuxer, FlvMuxer, TagStyle, TagType};
use streamkit_core::sample::Sample;
use streamkit_core::time::Timescale;
use streamkit_core::track::Track;
use streamkit_rtmp::chunk::{ChunkDecoder, ChunkEncoder, ChunkLimits, Message};

const MESSAGES: usize = 10_000;

fn messages(len: usize) -> Vec<Message> {
    let payload = Bytes::from(vec![7u8; len]);
    (0..MESSAGES)
        .map(|i| Message {
            csid: 6,
            timestamp: i as u32 * 33,
            type_id: 9,
            stream_id: 1,
            payload: payload.clone(),
        })
        .collect()
}

fn wire(messages: &[Message], chunk_size: u32) -> Vec<u8> {
    let mut e = ChunkEncoder::new();
    let mut out = Vec::new();
    e.set_chunk_size(chunk_size).unwrap();
    for m in messages {
        e.encode(m, &[], &mut |b: Bytes| out.extend_from_slice(&b))
            .unwrap();
    }
    out
}

#[test]
fn encoding_allocates_per_block_not_per_message() {
    let ms = messages(1_000);
    let mut e = ChunkEncoder::new();
    e.set_chunk_size(4096).unwrap();
    // The pieces are held, as a write queue holds them until the socket
    // takes them, so no header block can be reused in place.
    let mut pieces: Vec<Bytes> = Vec::with_capacity(MESSAGES * 2);
    let info = allocation_counter::measure(|| {
        for m in &ms {
            e.encode(m, b"\x27\x01\0\0\0", &mut |b: Bytes| pieces.push(b))
                .unwrap();
        }
    });
    // Every message: its header piece, then its payload, the very bytes of
    // the input.
    assert_eq!(pieces.len(), MESSAGES * 2);
    for (pair, m) in pieces.chunks(2).zip(&ms) {
        assert_eq!(pair[1].as_ptr(), m.payload.as_ptr());
        assert_eq!(pair[1].len(), 1_000);
    }
    let header_bytes: usize = pieces.iter().step_by(2).map(Bytes::len).sum();
    assert!(header_bytes >= MESSAGES * 6, "{header_bytes} header bytes");
    // Header blocks of 4 KiB (refilled with less than 64 bytes free), each
    // at most two allocations (the buffer and its shared count), and once
    // the state of the chunk stream, made by its first message.
    let blocks = header_bytes / (4096 - 64) + 1;
    assert!(
        info.count_total as usize <= blocks * 2 + 1,
        "{} allocations for {MESSAGES} messages, {blocks} header blocks",
        info.count_total
    );
}

#[test]
fn decoding_one_chunk_messages_slices_the_input() {
    let ms = messages(1_000);
    let input = wire(&ms, 4096);
    let mut size = vec![0x02, 0, 0, 0, 0, 0, 4, 1, 0, 0, 0, 0];
    size.extend_from_slice(&4096u32.to_be_bytes());
    let mut d = ChunkDecoder::new(ChunkLimits::default());
    d.push(&size);
    d.poll_message().unwrap().unwrap();
    let mut n = 0;
    let mut out = Vec::with_capacity(MESSAGES);
    let info = allocation_counter::measure(|| {
        for piece in input.chunks(16 * 1024) {
            d.push(piece);
            while let Some(m) = d.poll_message().unwrap() {
                out.push(m);
                n += 1;
            }
        }
    });
    assert_eq!(n, MESSAGES);
    // Input blocks of 64 KiB: one per 64 messages or so, never one per
    // message.
    let blocks = input.len() / (64 * 1024) + 2;
    assert!(
        info.count_total as usize <= blocks * 2,
        "{} allocations, {blocks} blocks",
        info.count_total
    );
}

#[test]
fn decoding_messages_over_several_chunks_assembles_in_blocks() {
    let ms = messages(5_000);
    let input = wire(&ms, 128);
    let mut d = ChunkDecoder::new(ChunkLimits::default());
    let mut n = 0;
    let mut out = Vec::with_capacity(MESSAGES);
    let info = allocation_counter::measure(|| {
        for piece in input.chunks(16 * 1024) {
            d.push(piece);
            while let Some(m) = d.poll_message().unwrap() {
                out.push(m);
                n += 1;
            }
        }
    });
    assert_eq!(n, MESSAGES);
    let blocks = input.len() / (64 * 1024) + MESSAGES * 5_000 / (64 * 1024) + 2;
    assert!(
        info.count_total as usize <= blocks * 2,
        "{} allocations, about {blocks} blocks",
        info.count_total
    );
    assert!((info.count_total as usize) < MESSAGES / 4);
}

#[test]
fn flv_tags_both_ways_allocate_nothing_per_sample() {
    let track = Track::new(
        2,
        Timescale::AUDIO_48KHZ,
        CodecConfig::Aac(AacConfig::new(2, 48_000, 2).unwrap()),
    );
    let muxer = FlvMuxer::new(std::slice::from_ref(&track), TagStyle::Compatible).unwrap();
    let data = Bytes::from_static(b"\x21\x10\x04\x60\x8c\x1c");
    let samples: Vec<Sample> = (0..1_000)
        .map(|i| Sample {
            track_id: 2,
            dts: i * 1024,
            composition_offset: 0,
            duration: 1024,
            timescale: Timescale::AUDIO_48KHZ,
            keyframe: true,
            data: data.clone(),
        })
        .collect();
    let mut tags = Vec::with_capacity(samples.len());
    let info = allocation_counter::measure(|| {
        for s in &samples {
            tags.push(muxer.tag(s).unwrap());
        }
    });
    assert_eq!(info.count_total, 0, "muxing allocated");
    // Demuxing: the bodies as the chunk decoder hands them over, slices
    // of one shared input buffer.
    let whole = Bytes::from(
        tags.iter()
            .flat_map(|t| t.to_body().to_vec())
            .collect::<Vec<u8>>(),
    );
    let mut at = 0;
    let bodies: Vec<Bytes> = tags
        .iter()
        .map(|t| {
            let b = whole.slice(at..at + t.len());
            at += t.len();
            b
        })
        .collect();
    let mut demuxer = FlvDemuxer::new();
    let header = &muxer.sequence_headers()[0];
    demuxer
        .push_tag(TagType::Audio, 0, &header.to_body())
        .unwrap();
    demuxer.push_tag(TagType::Audio, 0, &bodies[0]).unwrap();
    while demuxer.poll_event().is_some() {}
    let info = allocation_counter::measure(|| {
        for (t, b) in tags.iter().zip(&bodies).skip(1) {
            demuxer.push_tag(TagType::Audio, t.timestamp, b).unwrap();
            while let Some(e) = demuxer.poll_event() {
                std::hint::black_box(e);
            }
        }
    });
    assert_eq!(info.count_total, 0, "demuxing allocated");
}

/// Nested AMF0 strict arrays whose counts each claim the rest of the
/// input reserve no more room than the values a decode may hold: the
/// decode fails at the value limit with its memory bounded by it, not
/// by the claimed counts (each level would have reserved room for a
/// million elements).
#[test]
fn lying_amf0_array_counts_reserve_no_more_than_the_value_limit() {
    use streamkit_rtmp::amf::{Amf0Value, AmfError, AmfLimits, amf0};
    const LEVELS: usize = 30;
    const NULLS: usize = 1 << 20;
    let mut data = Vec::with_capacity(LEVELS * 5 + NULLS);
    for level in 0..LEVELS {
        data.push(0x0a);
        let rest = (LEVELS - level - 1) * 5 + NULLS;
        data.extend_from_slice(&(rest as u32).to_be_bytes());
    }
    data.resize(LEVELS * 5 + NULLS, 0x05);
    let limits = AmfLimits::default();
    let mut result = None;
    let info = allocation_counter::measure(|| {
        result = Some(amf0::decode(&data, &limits));
    });
    assert!(
        matches!(
            result,
            Some(Err(AmfError::OverLimit { what: "values", .. }))
        ),
        "{result:?}"
    );
    // Room for the value limit's worth reserved up front, and the
    // innermost array grown past half of it (its old and new buffers at
    // once); the counts claimed would have held 30 million elements.
    let bound = 3 * (limits.max_values * std::mem::size_of::<Amf0Value>()) as u64;
    assert!(
        info.bytes_max <= bound,
        "{} bytes held at most, bound {bound}",
        info.bytes_max
    );
}
