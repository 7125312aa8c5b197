//! H.264 RTP payload format (RFC 6184): packetizing and depacketizing the
//! video of `tests/fixtures/h264_aac.mp4` (300 access units, 320x240),
//! with webrtc-rs's `rtp` crate (`H264Payloader`, `H264Packet`) in the same
//! groups as a peer and a plain memcpy of the same bytes as the floor.
//!
//! - `h264_packetize_mtu1200`: every access unit into payloads of at most
//!   1200 bytes. Ours takes the MP4 samples (length-prefixed) and hands out
//!   payloads that borrow them (`streamkit`, `poll_payload_ref`) or hold
//!   `Bytes` slices of them (`streamkit_owned`, `poll_payload`), or writes
//!   each borrowed one after its RTP header into a reused buffer
//!   (`streamkit_written`, what a sender without vectored I/O does); the peer takes the same access units
//!   in Annex-B form, converted outside the measurement, and returns a
//!   `Vec<Bytes>` of copied payloads. Throughput in input bytes; the
//!   `_packets` group counts payloads.
//! - `h264_depacketize_mtu1200` and `h264_depacketize_mtu300`: the packets
//!   our packetizer made (mostly single NAL unit packets at 1200, mostly
//!   FU-A at 300) back into Annex-B access units; the peer's `H264Packet`
//!   turns each payload into Annex-B NAL units (reassembling FU-A). The
//!   memcpy floor copies every payload once into a reused buffer.
//!
//! Run: `cargo bench --bench rtp_payload`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // fixed, known-good inputs

use std::hint::black_box;
use std::time::Duration;

use bytes::Bytes;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use rtp::codecs::h264::{H264Packet, H264Payloader};
use rtp::packetizer::{Depacketizer, Payloader};
use streamkit::core::codec::{CodecConfig, MediaKind};
use streamkit::core::mp4::Mp4File;
use streamkit::core::nal::{NalLengthSize, length_prefixed_to_annex_b};
use streamkit::core::time::{RtpTimestamp, SequenceNumber};
use streamkit::rtp::packet::{RtpHeader, RtpPacket};
use streamkit::rtp::payload::h264::{H264Depacketizer, H264Packetizer};
use streamkit::rtp::payload::{Depacketized, NalForm};

const MTU: usize = 1200;

struct Input {
    /// The MP4 samples (length-prefixed, 4-byte lengths).
    samples: Vec<Bytes>,
    /// The same access units in Annex-B form, for the peer.
    annex_b: Vec<Bytes>,
    total: u64,
}

fn input() -> Input {
    let path = format!("{}/tests/fixtures/h264_aac.mp4", env!("CARGO_MANIFEST_DIR"));
    let file = Mp4File::parse(Bytes::from(std::fs::read(path).unwrap())).unwrap();
    let track = file
        .tracks()
        .iter()
        .find(|t| t.codec().is_some_and(|c| c.kind() == MediaKind::Video))
        .unwrap();
    let Some(CodecConfig::H264(avc)) = track.codec() else {
        panic!("not H.264")
    };
    assert_eq!(avc.nal_length_size, NalLengthSize::Four);
    let samples: Vec<Bytes> = file
        .track_samples(track.id())
        .unwrap()
        .map(|s| s.data)
        .collect();
    let annex_b = samples
        .iter()
        .map(|s| {
            let mut v = Vec::new();
            length_prefixed_to_annex_b(s, NalLengthSize::Four, &mut v).unwrap();
            Bytes::from(v)
        })
        .collect();
    let total = samples.iter().map(|s| s.len() as u64).sum();
    Input {
        samples,
        annex_b,
        total,
    }
}

/// Packetizes every sample, giving each payload to `each`; returns the count.
fn packetize(
    p: &mut H264Packetizer,
    samples: &[Bytes],
    mut each: impl FnMut(&streamkit::rtp::payload::RtpPayload),
) -> u64 {
    let mut n = 0;
    for (i, s) in samples.iter().enumerate() {
        p.push(RtpTimestamp::new(i as u32 * 3000), s.clone())
            .unwrap();
        while let Some(payload) = p.poll_payload() {
            each(&payload);
            n += 1;
        }
    }
    n
}

/// As [`packetize`], with the borrowed payloads.
fn packetize_ref(
    p: &mut H264Packetizer,
    samples: &[Bytes],
    mut each: impl FnMut(&streamkit::rtp::payload::RtpPayloadRef<'_>),
) -> u64 {
    let mut n = 0;
    for (i, s) in samples.iter().enumerate() {
        p.push(RtpTimestamp::new(i as u32 * 3000), s.clone())
            .unwrap();
        while let Some(payload) = p.poll_payload_ref() {
            each(&payload);
            n += 1;
        }
    }
    n
}

fn peer_packetize(annex_b: &[Bytes], mtu: usize) -> u64 {
    let mut peer = H264Payloader::default();
    let mut n = 0;
    for au in annex_b {
        let payloads = peer.payload(mtu, au).unwrap();
        n += payloads.len() as u64;
        black_box(payloads);
    }
    n
}

fn packetization(c: &mut Criterion) {
    let input = input();
    let mut p = H264Packetizer::new(MTU, NalLengthSize::Four).unwrap();
    let ours = packetize(&mut p, &input.samples, |_| {});
    let theirs = peer_packetize(&input.annex_b, MTU);
    let mut buf = Vec::with_capacity(MTU + 12);
    let mut floor = vec![0u8; input.total as usize];

    for (group_name, throughput) in [
        ("h264_packetize_mtu1200", None),
        ("h264_packetize_mtu1200_packets", Some(())),
    ] {
        let mut g = c.benchmark_group(group_name);
        let set = |g: &mut criterion::BenchmarkGroup<'_, _>, packets: u64| {
            g.throughput(match throughput {
                None => Throughput::Bytes(input.total),
                Some(()) => Throughput::Elements(packets),
            });
        };
        set(&mut g, ours);
        g.bench_function("streamkit", |b| {
            b.iter(|| {
                packetize_ref(&mut p, &input.samples, |payload| {
                    black_box(payload);
                })
            });
        });
        g.bench_function("streamkit_owned", |b| {
            b.iter(|| {
                packetize(&mut p, &input.samples, |payload| {
                    black_box(payload);
                })
            });
        });
        g.bench_function("streamkit_written", |b| {
            b.iter(|| {
                packetize_ref(&mut p, &input.samples, |payload| {
                    buf.clear();
                    RtpHeader {
                        marker: payload.marker(),
                        payload_type: 96,
                        sequence_number: SequenceNumber::new(1),
                        timestamp: payload.timestamp(),
                        ssrc: 1,
                        ..RtpHeader::default()
                    }
                    .write_header(&mut buf)
                    .unwrap();
                    payload.write_to(&mut buf).unwrap();
                    black_box(&buf);
                })
            });
        });
        set(&mut g, theirs);
        g.bench_function("webrtc_rs_rtp", |b| {
            b.iter(|| peer_packetize(&input.annex_b, MTU));
        });
        if throughput.is_none() {
            g.bench_function("memcpy", |b| {
                b.iter(|| {
                    let mut at = 0;
                    for s in &input.samples {
                        floor[at..at + s.len()].copy_from_slice(s);
                        at += s.len();
                    }
                    black_box(&floor);
                });
            });
        }
        g.finish();
    }
}

/// Our packets of every sample at `mtu`, parsed.
fn packets(input: &Input, mtu: usize) -> Vec<RtpPacket> {
    let mut p = H264Packetizer::new(mtu, NalLengthSize::Four).unwrap();
    let mut out = Vec::new();
    let mut seq = SequenceNumber::new(0);
    packetize(&mut p, &input.samples, |payload| {
        let mut d = Vec::new();
        RtpHeader {
            marker: payload.marker(),
            payload_type: 96,
            sequence_number: seq,
            timestamp: payload.timestamp(),
            ssrc: 1,
            ..RtpHeader::default()
        }
        .write_header(&mut d)
        .unwrap();
        payload.write_to(&mut d).unwrap();
        out.push(RtpPacket::parse(Bytes::from(d)).unwrap());
        seq = seq.next();
    });
    out
}

fn depacketization(c: &mut Criterion) {
    let input = input();
    for mtu in [MTU, 300] {
        let packets = packets(&input, mtu);
        let payloads: Vec<Bytes> = packets.iter().map(RtpPacket::payload).collect();
        let bytes: u64 = payloads.iter().map(|p| p.len() as u64).sum();
        let mut g = c.benchmark_group(format!("h264_depacketize_mtu{mtu}"));
        g.throughput(Throughput::Bytes(bytes));
        g.bench_function("streamkit", |b| {
            b.iter(|| {
                // A new depacketizer each pass: the packets' sequence
                // numbers start over.
                let mut d = H264Depacketizer::new(NalForm::AnnexB);
                let mut units = 0;
                for p in &packets {
                    d.push(p).unwrap();
                    while let Some(ev) = d.poll_access_unit() {
                        if let Depacketized::AccessUnit(u) = ev {
                            black_box(&u);
                            units += 1;
                        }
                    }
                }
                assert_eq!(units, input.samples.len());
            });
        });
        g.bench_function("webrtc_rs_rtp", |b| {
            b.iter(|| {
                let mut peer = H264Packet::default();
                for p in &payloads {
                    black_box(peer.depacketize(p).unwrap());
                }
            });
        });
        let mut floor = vec![0u8; bytes as usize];
        g.bench_function("memcpy", |b| {
            b.iter(|| {
                let mut at = 0;
                for p in &payloads {
                    floor[at..at + p.len()].copy_from_slice(p);
                    at += p.len();
                }
                black_box(&floor);
            });
        });
        g.finish();
    }
}

fn config() -> Criterion {
    Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
        .sample_size(20)
}

criterion_group! {
    name = benches;
    config = config();
    targets = packetization, depacketization
}
criterion_main!(benches);
