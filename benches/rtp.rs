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

use bytes::{Bytes, BytesMut};
use std::io::IoSlice;

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
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

/// Parse groups. Each routine gets its own datagram `Bytes` (cloned
/// outside the measurement, as a receive loop owns what it received) and
/// returns what it parsed (dropped outside the measurement), for us and the
/// peer alike.
fn parse(c: &mut Criterion) {
    for (name, extension) in [("rtp_parse/no_ext", false), ("rtp_parse/two_ext", true)] {
        let datagram = wire(extension);
        let mut g = c.benchmark_group(name);
        g.throughput(Throughput::Elements(1));
        g.bench_function("streamkit", |b| {
            b.iter_batched(
                || datagram.clone(),
                |d| {
                    let p = RtpPacket::parse(d).unwrap();
                    black_box((p.sequence_number(), p.timestamp(), p.payload_bytes()));
                    p
                },
                BatchSize::SmallInput,
            );
        });
        g.bench_function("streamkit, payload as Bytes", |b| {
            b.iter_batched(
                || datagram.clone(),
                |d| {
                    let p = RtpPacket::parse(d).unwrap();
                    black_box((p.sequence_number(), p.timestamp()));
                    let payload = p.payload();
                    (p, payload)
                },
                BatchSize::SmallInput,
            );
        });
        g.bench_function("streamkit, into_payload", |b| {
            b.iter_batched(
                || datagram.clone(),
                |d| {
                    let p = RtpPacket::parse(d).unwrap();
                    black_box((p.sequence_number(), p.timestamp()));
                    p.into_payload()
                },
                BatchSize::SmallInput,
            );
        });
        if extension {
            // The peer decodes extension elements while parsing; this is
            // the same work on our side.
            g.bench_function("streamkit+elements", |b| {
                b.iter_batched(
                    || datagram.clone(),
                    |d| {
                        let p = RtpPacket::parse(d).unwrap();
                        if let Some(elements) = p.extension().and_then(|e| e.elements()) {
                            for e in elements {
                                black_box(e.unwrap());
                            }
                        }
                        black_box(p.payload_bytes());
                        p
                    },
                    BatchSize::SmallInput,
                );
            });
        }
        g.bench_function("webrtc-rs rtp", |b| {
            b.iter_batched(
                || datagram.clone(),
                |mut d| {
                    let p = rtp::packet::Packet::unmarshal(&mut d).unwrap();
                    black_box((p.header.sequence_number, p.header.timestamp, &p.payload));
                    p
                },
                BatchSize::SmallInput,
            );
        });
        g.finish();
    }
}

/// Write groups: a copy of header and payload into a caller's buffer (both
/// sides), and our vectored form, which writes the header into a stack
/// buffer and hands the payload `Bytes` beside it, uncopied.
fn write(c: &mut Criterion) {
    for (name, extension) in [("rtp_write/no_ext", false), ("rtp_write/two_ext", true)] {
        let payload = Bytes::from(vec![0xa5u8; PAYLOAD_LEN]);
        let _ = payload.clone();
        let els = elements();
        let h = header(extension.then_some(ExtensionBlock::Elements(&els)));
        let peer = peer_packet(extension);
        let mut out = vec![0u8; 1500];
        let mut g = c.benchmark_group(name);
        g.throughput(Throughput::Elements(1));
        g.bench_function("streamkit", |b| {
            b.iter(|| {
                let n = black_box(&h)
                    .write_into(black_box(&payload), &mut out)
                    .unwrap();
                black_box(&out[..n]);
            });
        });
        g.bench_function("streamkit vectored", |b| {
            b.iter(|| {
                let mut header = [0u8; 64];
                let n = black_box(&h).write_header_into(&mut header).unwrap();
                let slices = [
                    IoSlice::new(&header[..n]),
                    IoSlice::new(black_box(&payload)),
                ];
                black_box(&slices);
            });
        });
        g.bench_function("webrtc-rs rtp", |b| {
            b.iter(|| {
                let n = black_box(&peer).marshal_to(&mut out).unwrap();
                black_box(&out[..n]);
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
