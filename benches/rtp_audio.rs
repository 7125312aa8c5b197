//! Audio RTP payload formats: AAC (RFC 3640 AAC-hbr) and Opus (RFC 7587)
//! on the audio of the fixtures (`h264_aac.mp4`: 432 AAC-LC frames, mono
//! 44.1 kHz; `h264_opus.mp4`: 301 Opus packets), at MTU 1200.
//!
//! - `aac_packetize_mtu1200`: every frame into payloads of up to 4 frames.
//!   `streamkit` hands out payloads that reference the frames;
//!   `streamkit_written` also writes each one after its RTP header into a
//!   reused buffer. The floor, `memcpy`, copies every frame once into a
//!   reused buffer. (webrtc-rs's `rtp` has no AAC payloader.)
//! - `aac_depacketize_mtu1200`: those packets back into frames; the floor
//!   copies every payload once.
//! - `opus_packetize` / `opus_depacketize`: one packet per payload, beside
//!   webrtc-rs's `OpusPayloader` and `OpusPacket` and the memcpy floor.
//!
//! - `media_sender_pass`: one pass of `h264_aac.mp4` (its H.264 video and
//!   AAC audio) through the `MediaSender` rtp_send drives, in live pacing:
//!   every sample pushed, every RTP packet polled (numbered, stamped and
//!   written into the sender's buffer). The floor copies every sample once
//!   into a reused buffer.
//!
//! Throughput in input (frame) bytes.
//!
//! Run: `cargo bench --bench rtp_audio`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // fixed, known-good inputs

use std::hint::black_box;
use std::time::Duration;
use streamkit::rtp::error::PayloadError;

use bytes::Bytes;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use rtp::codecs::opus::{OpusPacket, OpusPayloader};
use rtp::packetizer::{Depacketizer, Payloader};
use streamkit::core::codec::MediaKind;
use streamkit::core::mp4::Mp4File;
use streamkit::core::time::{RtpTimestamp, SequenceNumber};
use streamkit::rtp::packet::{RtpHeader, RtpPacket};
use streamkit::rtp::payload::aac::{
    AacDepacketized, AacDepacketizer, AacPacketizer, AuHeaderLayout,
};
use streamkit::rtp::payload::opus::{
    OpusDepacketized, OpusDepacketizer, OpusPacketizer, OpusPayload,
};

/// Pushes one Opus packet and polls its payload.
fn opus_payload(
    p: &mut OpusPacketizer,
    timestamp: RtpTimestamp,
    packet: Bytes,
) -> Result<OpusPayload, PayloadError> {
    p.push(timestamp, packet)?;
    p.poll_payload().ok_or(PayloadError::OutputPending)
}

const MTU: usize = 1200;

/// The audio frames of a fixture with their RTP timestamps.
fn audio(name: &str) -> Vec<(RtpTimestamp, Bytes)> {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    let file = Mp4File::parse(Bytes::from(std::fs::read(path).unwrap())).unwrap();
    let track = file
        .tracks()
        .iter()
        .find(|t| t.codec().is_some_and(|c| c.kind() == MediaKind::Audio))
        .unwrap();
    file.track_samples(track.id())
        .unwrap()
        .map(|s| (RtpTimestamp::new(s.dts as u32), s.data))
        .collect()
}

fn header(seq: u16, timestamp: RtpTimestamp, marker: bool) -> RtpHeader<'static> {
    RtpHeader {
        marker,
        payload_type: 97,
        sequence_number: SequenceNumber::new(seq),
        timestamp,
        ssrc: 0x1234_5678,
        ..RtpHeader::default()
    }
}

fn aac_packetizer() -> AacPacketizer {
    AacPacketizer::new(MTU, 1024)
        .unwrap()
        .with_frames_per_packet(4)
        .unwrap()
}

/// Packetizes every frame; `each` sees each payload.
fn aac_packetize(
    p: &mut AacPacketizer,
    frames: &[(RtpTimestamp, Bytes)],
    mut each: impl FnMut(streamkit::rtp::payload::aac::AacPayload),
) {
    for (ts, frame) in frames {
        p.push(*ts, frame.clone()).unwrap();
        while let Some(payload) = p.poll_payload() {
            each(payload);
        }
    }
    let _ = p.finish();
    while let Some(payload) = p.poll_payload() {
        each(payload);
    }
}

/// The datagrams in one shared buffer, each a parsed slice of it.
fn as_received(datagrams: &[Vec<u8>]) -> Vec<RtpPacket> {
    let all = Bytes::from(datagrams.concat());
    let mut at = 0;
    datagrams
        .iter()
        .map(|d| {
            let packet = RtpPacket::parse(all.slice(at..at + d.len())).unwrap();
            at += d.len();
            packet
        })
        .collect()
}

fn bench_aac(c: &mut Criterion) {
    let frames = audio("h264_aac.mp4");
    let total: u64 = frames.iter().map(|(_, f)| f.len() as u64).sum();

    let mut g = c.benchmark_group("aac_packetize_mtu1200");
    g.throughput(Throughput::Bytes(total));
    g.bench_function("streamkit", |b| {
        let mut p = aac_packetizer();
        b.iter(|| {
            let mut n = 0usize;
            aac_packetize(&mut p, &frames, |payload| n += payload.len());
            black_box(n)
        });
    });
    g.bench_function("streamkit_written", |b| {
        let mut p = aac_packetizer();
        let mut buf = Vec::with_capacity(2048);
        let mut seq = 0u16;
        b.iter(|| {
            let mut n = 0usize;
            aac_packetize(&mut p, &frames, |payload| {
                buf.clear();
                header(seq, payload.timestamp(), payload.marker())
                    .write_header(&mut buf)
                    .unwrap();
                payload.write_to(&mut buf).unwrap();
                seq = seq.wrapping_add(1);
                n += buf.len();
            });
            black_box(n)
        });
    });
    g.bench_function("memcpy", |b| {
        let mut buf = Vec::with_capacity(2048);
        b.iter(|| {
            let mut n = 0usize;
            for (_, frame) in &frames {
                buf.clear();
                buf.extend_from_slice(frame);
                n += buf.len();
            }
            black_box(n)
        });
    });
    g.finish();

    let mut datagrams = Vec::new();
    let mut seq = 0u16;
    aac_packetize(&mut aac_packetizer(), &frames, |payload| {
        let mut buf = Vec::new();
        header(seq, payload.timestamp(), payload.marker())
            .write_header(&mut buf)
            .unwrap();
        payload.write_to(&mut buf).unwrap();
        seq = seq.wrapping_add(1);
        datagrams.push(buf);
    });
    let packets = as_received(&datagrams);
    let mut g = c.benchmark_group("aac_depacketize_mtu1200");
    g.throughput(Throughput::Bytes(total));
    g.bench_function("streamkit", |b| {
        b.iter(|| {
            let mut d = AacDepacketizer::new(AuHeaderLayout::AAC_HBR, 1024);
            let mut n = 0usize;
            for packet in &packets {
                d.push(packet).unwrap();
                while let Some(AacDepacketized::Frame(f)) = d.poll_frame() {
                    n += f.data.len();
                }
            }
            assert_eq!(n as u64, total);
            black_box(n)
        });
    });
    g.bench_function("memcpy", |b| {
        let mut buf = Vec::with_capacity(2048);
        b.iter(|| {
            let mut n = 0usize;
            for packet in &packets {
                buf.clear();
                buf.extend_from_slice(packet.payload_bytes());
                n += buf.len();
            }
            black_box(n)
        });
    });
    g.finish();
}

fn bench_opus(c: &mut Criterion) {
    let frames = audio("h264_opus.mp4");
    let total: u64 = frames.iter().map(|(_, f)| f.len() as u64).sum();

    let mut g = c.benchmark_group("opus_packetize");
    g.throughput(Throughput::Bytes(total));
    g.bench_function("streamkit", |b| {
        let mut p = OpusPacketizer::new(MTU).unwrap();
        b.iter(|| {
            let mut n = 0usize;
            for (ts, frame) in &frames {
                n += opus_payload(&mut p, *ts, frame.clone())
                    .unwrap()
                    .data()
                    .len();
            }
            black_box(n)
        });
    });
    g.bench_function("webrtc_rs_rtp", |b| {
        let mut p = OpusPayloader;
        b.iter(|| {
            let mut n = 0usize;
            for (_, frame) in &frames {
                n += p
                    .payload(MTU, frame)
                    .unwrap()
                    .iter()
                    .map(Bytes::len)
                    .sum::<usize>();
            }
            black_box(n)
        });
    });
    g.bench_function("memcpy", |b| {
        let mut buf = Vec::with_capacity(2048);
        b.iter(|| {
            let mut n = 0usize;
            for (_, frame) in &frames {
                buf.clear();
                buf.extend_from_slice(frame);
                n += buf.len();
            }
            black_box(n)
        });
    });
    g.finish();

    let mut datagrams = Vec::new();
    let mut p = OpusPacketizer::new(MTU).unwrap();
    for (i, (ts, frame)) in frames.iter().enumerate() {
        let payload = opus_payload(&mut p, *ts, frame.clone()).unwrap();
        let mut buf = Vec::new();
        header(i as u16, payload.timestamp(), payload.marker())
            .write(payload.data(), &mut buf)
            .unwrap();
        datagrams.push(buf);
    }
    let packets = as_received(&datagrams);
    let payloads: Vec<Bytes> = packets.iter().map(RtpPacket::payload).collect();
    let mut g = c.benchmark_group("opus_depacketize");
    g.throughput(Throughput::Bytes(total));
    g.bench_function("streamkit", |b| {
        b.iter(|| {
            let mut d = OpusDepacketizer::new();
            let mut n = 0usize;
            for packet in &packets {
                d.push(packet).unwrap();
                while let Some(OpusDepacketized::Packet(o)) = d.poll_packet() {
                    n += o.data.len();
                }
            }
            black_box(n)
        });
    });
    g.bench_function("webrtc_rs_rtp", |b| {
        let mut d = OpusPacket;
        b.iter(|| {
            let mut n = 0usize;
            for payload in &payloads {
                n += d.depacketize(payload).unwrap().len();
            }
            black_box(n)
        });
    });
    g.bench_function("memcpy", |b| {
        let mut buf = Vec::with_capacity(2048);
        b.iter(|| {
            let mut n = 0usize;
            for payload in &payloads {
                buf.clear();
                buf.extend_from_slice(payload);
                n += buf.len();
            }
            black_box(n)
        });
    });
    g.finish();
}

fn bench_media_sender(c: &mut Criterion) {
    use streamkit::core::clock::{UnixTime, WallClock};
    use streamkit::rtp::sender::{MediaSender, MediaSenderConfig, Pacing, first_video_and_audio};

    let path = format!("{}/tests/fixtures/h264_aac.mp4", env!("CARGO_MANIFEST_DIR"));
    let file = Mp4File::parse(Bytes::from(std::fs::read(path).unwrap())).unwrap();
    let (tracks, shifts) = file.tracks_and_shifts();
    let tracks = first_video_and_audio(&tracks);
    let samples: Vec<_> = file.samples().collect();
    let bytes: usize = samples.iter().map(|s| s.data.len()).sum();
    #[allow(clippy::disallowed_methods)] // the virtual clock's origin
    let now = std::time::Instant::now();
    let mut config = MediaSenderConfig::new(
        "bench@streamkit",
        1,
        WallClock::new(now, UnixTime::from_unix_millis(1_700_000_000_000)),
    );
    config.pacing = Pacing::Live;
    let mut sender = MediaSender::new(config, &tracks, &shifts).unwrap();
    sender.start(now);
    while sender.poll_transmit(now).is_some() {}

    let mut g = c.benchmark_group("media_sender_pass");
    g.throughput(Throughput::Bytes(bytes as u64));
    g.bench_function("streamkit", |b| {
        b.iter(|| {
            let mut n = 0usize;
            for sample in &samples {
                sender.push(sample).unwrap();
                while let Some(t) = sender.poll_transmit(now) {
                    n += t.datagram.len();
                }
            }
            // The next pass continues the timestamps.
            sender.start_next_pass().unwrap();
            while let Some(t) = sender.poll_transmit(now) {
                n += t.datagram.len();
            }
            black_box(n)
        });
    });
    let mut buf = Vec::with_capacity(1 << 20);
    g.bench_function("memcpy", |b| {
        b.iter(|| {
            let mut n = 0usize;
            for sample in &samples {
                buf.clear();
                buf.extend_from_slice(&sample.data);
                n += black_box(&buf).len();
            }
            black_box(n)
        });
    });
    g.finish();
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
    targets = bench_aac, bench_opus, bench_media_sender
}
criterion_main!(benches);
