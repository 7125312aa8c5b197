//! RTP and RTCP packet parse and write, with webrtc-rs's `rtp` crate
//! measured in the same groups as a peer.
//!
//! Packets carry a 1188-byte payload (a 1200-byte packet without
//! extensions; 1212 bytes with two one-byte extension elements, abs-send-time
//! and transport-wide sequence number, as WebRTC senders add them).
//!
//! Run: `cargo bench --bench rtp`.
#![allow(clippy::unwrap_used)] // fixed, known-good inputs

use std::hint::black_box;
use std::time::Duration;

use bytes::{BufMut, Bytes, BytesMut};
use std::io::IoSlice;

use criterion::measurement::WallTime;
use criterion::{
    BatchSize, BenchmarkGroup, Criterion, Throughput, criterion_group, criterion_main,
};
use streamkit::core::time::{RtpTimestamp, SequenceNumber};
use streamkit::rtp::extension::{ExtensionBlock, ExtensionElement};
use streamkit::rtp::packet::{RtpHeader, RtpPacket};
use streamkit::rtp::rtcp::{
    NtpTimestamp, ReportBlock, RtcpPacket, SdesChunk, SdesItem, SenderReport, SourceDescription,
    parse_compound, write_compound,
};
use webrtc_util::{Marshal, Unmarshal};

const PAYLOAD_LEN: usize = 1188;

const ABS_SEND_TIME: [u8; 3] = [0x12, 0x34, 0x56];
const TRANSPORT_CC: [u8; 2] = [0x01, 0x02];

fn elements() -> [ExtensionElement<'static>; 2] {
    [
        ExtensionElement {
            id: 3,
            data: &ABS_SEND_TIME,
        },
        ExtensionElement {
            id: 5,
            data: &TRANSPORT_CC,
        },
    ]
}

fn header<'a>(extension: Option<ExtensionBlock<'a>>) -> RtpHeader<'a> {
    RtpHeader {
        marker: true,
        payload_type: 96,
        sequence_number: SequenceNumber::new(4242),
        timestamp: RtpTimestamp::new(0x1234_5678),
        ssrc: 0xdead_beef,
        csrcs: &[],
        extension,
        padding: 0,
    }
}

/// A packet on the wire, already shared so that clones only bump a count.
fn wire(extension: bool) -> Bytes {
    let payload = vec![0xa5u8; PAYLOAD_LEN];
    let els = elements();
    let h = header(extension.then_some(ExtensionBlock::Elements(&els)));
    let mut out = Vec::new();
    h.write(&payload, &mut out).unwrap();
    let b = Bytes::from(out);
    let _ = b.clone();
    b
}

/// The same packet as webrtc-rs builds it for writing.
fn peer_packet(extension: bool) -> rtp::packet::Packet {
    let mut h = rtp::header::Header {
        version: 2,
        marker: true,
        payload_type: 96,
        sequence_number: 4242,
        timestamp: 0x1234_5678,
        ssrc: 0xdead_beef,
        ..Default::default()
    };
    if extension {
        h.extension = true;
        h.extension_profile = 0xBEDE;
        h.set_extension(3, Bytes::from_static(&ABS_SEND_TIME))
            .unwrap();
        h.set_extension(5, Bytes::from_static(&TRANSPORT_CC))
            .unwrap();
    }
    rtp::packet::Packet {
        header: h,
        payload: Bytes::from(vec![0xa5u8; PAYLOAD_LEN]),
    }
}

fn config() -> Criterion {
    Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(2))
        .sample_size(30)
}

/// A received datagram and the place its parse result goes. Slots are
/// made (their memory written) before the measurement and dropped after it,
/// so that neither side's timing includes first-touch page faults of an
/// output buffer or the drop of what it produced.
struct Slot<O> {
    datagram: Bytes,
    parsed: Option<O>,
}

/// Times `routine` on its own clone of `datagram` (one Arc-shared buffer,
/// cloned outside the measurement, as a receive loop owns what it received).
fn bench_parse<O>(
    g: &mut BenchmarkGroup<'_, WallTime>,
    name: &str,
    datagram: &Bytes,
    mut routine: impl FnMut(Bytes) -> O,
) {
    g.bench_function(name, |b| {
        b.iter_batched_ref(
            || Slot {
                datagram: datagram.clone(),
                parsed: None,
            },
            |slot| slot.parsed = Some(routine(std::mem::take(&mut slot.datagram))),
            BatchSize::SmallInput,
        );
    });
}

/// Parse groups. Every routine parses its own datagram and keeps everything
/// it produced in its slot, for us and the peer alike. The pairs:
///
/// - `owned payload`: the header fields read and the payload handed on as
///   an owned `Bytes`. The peer's `unmarshal` takes the rest of the input
///   as its payload with `Bytes::split_to` (no reference-count traffic);
///   ours narrows the datagram with `into_payload` (none either).
/// - `view + payload clone`: the parsed packet kept, and a second owner of
///   the payload (one atomic increment on both sides).
/// - `borrowed payload`: the parsed packet kept, the payload read in place.
/// - `owned payload + elements` (with extensions): as the first pair, and
///   every extension element read; the peer decodes them into a `Vec`
///   while parsing, ours when asked.
fn parse(c: &mut Criterion) {
    for (name, extension) in [("rtp_parse/no_ext", false), ("rtp_parse/two_ext", true)] {
        let datagram = wire(extension);
        let mut g = c.benchmark_group(name);
        g.throughput(Throughput::Elements(1));
        bench_parse(&mut g, "streamkit owned payload", &datagram, |d| {
            let p = RtpPacket::parse(d).unwrap();
            black_box((p.sequence_number(), p.timestamp(), p.ssrc()));
            p.into_payload()
        });
        bench_parse(&mut g, "webrtc-rs owned payload", &datagram, |mut d| {
            let p = rtp::packet::Packet::unmarshal(&mut d).unwrap();
            let h = &p.header;
            black_box((h.sequence_number, h.timestamp, h.ssrc));
            (p, d)
        });
        bench_parse(&mut g, "streamkit view + payload clone", &datagram, |d| {
            let p = RtpPacket::parse(d).unwrap();
            black_box((p.sequence_number(), p.timestamp(), p.ssrc()));
            let payload = p.payload();
            (p, payload)
        });
        bench_parse(
            &mut g,
            "webrtc-rs view + payload clone",
            &datagram,
            |mut d| {
                let p = rtp::packet::Packet::unmarshal(&mut d).unwrap();
                let h = &p.header;
                black_box((h.sequence_number, h.timestamp, h.ssrc));
                let payload = p.payload.clone();
                (p, payload, d)
            },
        );
        bench_parse(&mut g, "streamkit borrowed payload", &datagram, |d| {
            let p = RtpPacket::parse(d).unwrap();
            black_box((p.sequence_number(), p.timestamp(), p.payload_bytes()));
            p
        });
        bench_parse(&mut g, "webrtc-rs borrowed payload", &datagram, |mut d| {
            let p = rtp::packet::Packet::unmarshal(&mut d).unwrap();
            black_box((p.header.sequence_number, p.header.timestamp, &p.payload[..]));
            (p, d)
        });
        if extension {
            bench_parse(
                &mut g,
                "streamkit owned payload + elements",
                &datagram,
                |d| {
                    let p = RtpPacket::parse(d).unwrap();
                    black_box((p.sequence_number(), p.timestamp(), p.ssrc()));
                    if let Some(elements) = p.extension().and_then(|e| e.elements()) {
                        for e in elements {
                            black_box(e.unwrap());
                        }
                    }
                    p.into_payload()
                },
            );
            bench_parse(
                &mut g,
                "webrtc-rs owned payload + elements",
                &datagram,
                |mut d| {
                    let p = rtp::packet::Packet::unmarshal(&mut d).unwrap();
                    let h = &p.header;
                    black_box((h.sequence_number, h.timestamp, h.ssrc));
                    for e in &h.extensions {
                        black_box((e.id, &e.payload[..]));
                    }
                    (p, d)
                },
            );
        }
        g.finish();
    }
}

/// Write groups, each side writing the whole packet (header, then the
/// 1188-byte payload):
///
/// - `copy into &mut [u8]`: ours `write_into`, the peer's `marshal_to`;
///   both copy the payload into the caller's buffer.
/// - `memcpy floor into …`: the payload copy alone into the same buffer at
///   the same offset, the bound of the copying rows (the copy's speed
///   depends on the addresses of source and destination, so each
///   destination has its own floor).
/// - `copy into reused BytesMut`: ours `write` into a cleared `BytesMut`
///   that keeps its capacity; the peer's `marshal`, its `Bytes`-returning
///   API, which allocates a zeroed `BytesMut` and copies into it.
/// - `vectored`: ours writes the header into a stack buffer and hands the
///   payload `Bytes` beside it as `IoSlice`s, uncopied (the peer has no
///   such form; compare with both of its rows).
fn write(c: &mut Criterion) {
    for (name, extension) in [("rtp_write/no_ext", false), ("rtp_write/two_ext", true)] {
        let payload = Bytes::from(vec![0xa5u8; PAYLOAD_LEN]);
        let _ = payload.clone();
        let els = elements();
        let h = header(extension.then_some(ExtensionBlock::Elements(&els)));
        let peer = peer_packet(extension);
        let header_len = h.header_len().unwrap();
        let mut out = vec![0u8; 1500];
        let mut buf = BytesMut::with_capacity(1500);
        let mut g = c.benchmark_group(name);
        g.throughput(Throughput::Elements(1));
        g.bench_function("streamkit copy into &mut [u8]", |b| {
            b.iter(|| {
                let n = black_box(&h)
                    .write_into(black_box(&payload), &mut out)
                    .unwrap();
                black_box(&out[..n]);
            });
        });
        g.bench_function("webrtc-rs copy into &mut [u8]", |b| {
            b.iter(|| {
                let n = black_box(&peer).marshal_to(&mut out).unwrap();
                black_box(&out[..n]);
            });
        });
        g.bench_function("memcpy floor into &mut [u8]", |b| {
            b.iter(|| {
                let p = black_box(&payload);
                out[header_len..header_len + p.len()].copy_from_slice(p);
                black_box(&out[..header_len + p.len()]);
            });
        });
        g.bench_function("streamkit copy into reused BytesMut", |b| {
            b.iter(|| {
                buf.clear();
                black_box(&h).write(black_box(&payload), &mut buf).unwrap();
                black_box(&buf[..]);
            });
        });
        g.bench_function("memcpy floor into reused BytesMut", |b| {
            buf.clear();
            buf.put_bytes(0, header_len);
            b.iter(|| {
                buf.truncate(header_len);
                buf.put_slice(black_box(&payload));
                black_box(&buf[..]);
            });
        });
        g.bench_function("webrtc-rs marshal (allocates)", |b| {
            b.iter(|| black_box(&peer).marshal().unwrap());
        });
        g.bench_function("streamkit vectored", |b| {
            // The caller's header buffer, reused as `out` is above.
            let mut header = [0u8; 64];
            b.iter(|| {
                let n = black_box(&h).write_header_into(&mut header).unwrap();
                let slices = [
                    IoSlice::new(&header[..n]),
                    IoSlice::new(black_box(&payload)),
                ];
                black_box(&slices);
            });
        });
        g.finish();
    }
}

fn rtcp(c: &mut Criterion) {
    let packets = [
        RtcpPacket::SenderReport(SenderReport {
            ssrc: 0xdead_beef,
            ntp_time: NtpTimestamp::new(3_908_988_800, 0x8000_0000),
            rtp_timestamp: RtpTimestamp::new(0x1234_5678),
            packet_count: 1000,
            octet_count: 1_188_000,
            reports: vec![ReportBlock {
                ssrc: 0x0102_0304,
                fraction_lost: 3,
                cumulative_lost: 17,
                extended_highest_sequence: 0x0001_1234,
                jitter: 40,
                last_sender_report: 0xbc94_3c74,
                delay_since_last_sender_report: 0x0000_8000,
            }],
            profile_extension: Bytes::new(),
        }),
        RtcpPacket::SourceDescription(SourceDescription {
            chunks: vec![SdesChunk {
                source: 0xdead_beef,
                items: vec![SdesItem::cname("streamkit@example.org")],
            }],
        }),
    ];
    let mut wire = BytesMut::new();
    write_compound(&packets, &mut wire).unwrap();
    let wire = wire.freeze();
    let _ = wire.clone();
    let mut g = c.benchmark_group("rtcp_parse/sr_sdes");
    g.throughput(Throughput::Elements(1));
    g.bench_function("streamkit", |b| {
        b.iter(|| {
            let p = parse_compound(black_box(wire.clone())).unwrap();
            black_box(p);
        });
    });
    g.finish();
}

criterion_group! {
    name = benches;
    config = config();
    targets = parse, write, rtcp
}
criterion_main!(benches);
