//! Zero-allocation proof for the audio payload formats rtp_send uses:
//! packetizing every AAC frame of the fixtures (aggregated, and fragmented
//! at a small MTU) and every Opus packet, and writing each RTP datagram
//! into a reused buffer, allocates nothing; nor does depacketizing whole
//! (unfragmented) AAC frames and Opus packets from the datagrams.
#![allow(clippy::unwrap_used, clippy::panic)] // test helpers outside #[test] fns

use bytes::Bytes;
use streamkit::core::codec::CodecConfig;
use streamkit::core::mp4::Mp4File;
use streamkit::core::time::{RtpTimestamp, SequenceNumber};
use streamkit::rtp::error::PayloadError;
use streamkit::rtp::packet::{RtpHeader, RtpPacket};
use streamkit::rtp::payload::aac::{
    AacDepacketized, AacDepacketizer, AacPacketizer, AacPayload, AuHeaderLayout,
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

/// The audio samples of a fixture, with their RTP timestamps.
fn audio(name: &str) -> Vec<(RtpTimestamp, Bytes)> {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    let file = Mp4File::parse(Bytes::from(std::fs::read(path).unwrap())).unwrap();
    let track = file
        .tracks()
        .iter()
        .find(|t| matches!(t.codec(), Some(CodecConfig::Aac(_) | CodecConfig::Opus(_))))
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

fn send_aac(payload: &AacPayload, seq: &mut u16, buf: &mut Vec<u8>, total: &mut usize) {
    buf.clear();
    header(*seq, payload.timestamp(), payload.marker())
        .write_header(buf)
        .unwrap();
    payload.write_to(buf).unwrap();
    *total += buf.len();
    *seq = seq.wrapping_add(1);
}

/// Packetizes `frames` and writes every datagram into one buffer; returns
/// the packets made and the bytes written.
fn packetize_aac(frames: &[(RtpTimestamp, Bytes)], mtu: usize, per: usize) -> (u16, usize) {
    let mut p = AacPacketizer::new(mtu, 1024)
        .unwrap()
        .with_frames_per_packet(per)
        .unwrap();
    let mut buf = Vec::with_capacity(2048);
    let (mut seq, mut total) = (0u16, 0usize);
    let info = allocation_counter::measure(|| {
        for (ts, frame) in frames {
            p.push(*ts, frame.clone()).unwrap();
            while let Some(payload) = p.poll_payload() {
                send_aac(&payload, &mut seq, &mut buf, &mut total);
            }
        }
        p.finish().unwrap();
        while let Some(payload) = p.poll_payload() {
            send_aac(&payload, &mut seq, &mut buf, &mut total);
        }
    });
    assert_eq!(info.count_total, 0, "{} allocations", info.count_total);
    (seq, total)
}

/// The datagrams as a receive loop holds them: one shared buffer, each
/// packet a slice of it, parsed.
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

#[test]
fn the_counter_counts() {
    let info = allocation_counter::measure(|| {
        std::hint::black_box(Vec::<u8>::with_capacity(8));
    });
    assert_eq!(info.count_total, 1);
}

#[test]
fn aac_packetizing_allocates_nothing() {
    for name in ["h264_aac.mp4", "h265_aac.mp4", "h264_aac_moov_end.mp4"] {
        let frames = audio(name);
        let bytes: usize = frames.iter().map(|(_, f)| f.len()).sum();
        // Aggregated: fewer packets than frames.
        let (packets, total) = packetize_aac(&frames, 1200, 8);
        assert!(usize::from(packets) < frames.len(), "{name}");
        assert!(total > bytes, "{name}");
        // Fragmented: more packets than frames.
        let (packets, _) = packetize_aac(&frames, 64, 1);
        assert!(usize::from(packets) > frames.len(), "{name}");
    }
}

#[test]
fn aac_depacketizing_whole_frames_allocates_nothing() {
    let frames = audio("h264_aac.mp4");
    let mut p = AacPacketizer::new(1200, 1024)
        .unwrap()
        .with_frames_per_packet(4)
        .unwrap();
    let mut datagrams = Vec::new();
    let mut seq = 0u16;
    for (i, (ts, frame)) in frames.iter().enumerate() {
        p.push(*ts, frame.clone()).unwrap();
        if i + 1 == frames.len() {
            p.finish().unwrap();
        }
        while let Some(payload) = p.poll_payload() {
            let mut buf = Vec::new();
            send_aac(&payload, &mut seq, &mut buf, &mut 0);
            datagrams.push(buf);
        }
    }
    assert!(datagrams.len() < frames.len());
    let datagrams = as_received(&datagrams);
    let mut d = AacDepacketizer::new(AuHeaderLayout::AAC_HBR, 1024);
    let mut got = 0usize;
    let info = allocation_counter::measure(|| {
        for packet in &datagrams {
            d.push(packet).unwrap();
            while let Some(out) = d.poll_frame() {
                match out {
                    AacDepacketized::Frame(f) => got += f.data.len(),
                    other => panic!("{other:?}"),
                }
            }
        }
    });
    assert_eq!(info.count_total, 0, "{} allocations", info.count_total);
    assert_eq!(got, frames.iter().map(|(_, f)| f.len()).sum::<usize>());
}

#[test]
fn opus_allocates_nothing() {
    let packets = audio("h264_opus.mp4");
    let mut p = OpusPacketizer::new(1200).unwrap();
    let mut buf = Vec::with_capacity(2048);
    let mut datagrams = Vec::new();
    for (i, (ts, packet)) in packets.iter().enumerate() {
        let payload = opus_payload(&mut p, *ts, packet.clone()).unwrap();
        let mut b = Vec::new();
        header(i as u16, payload.timestamp(), payload.marker())
            .write(payload.data(), &mut b)
            .unwrap();
        datagrams.push(b);
    }
    let datagrams = as_received(&datagrams);
    let mut p = OpusPacketizer::new(1200).unwrap();
    let mut d = OpusDepacketizer::new();
    let mut got = 0usize;
    let info = allocation_counter::measure(|| {
        for (i, (ts, packet)) in packets.iter().enumerate() {
            let payload = opus_payload(&mut p, *ts, packet.clone()).unwrap();
            buf.clear();
            header(i as u16, payload.timestamp(), payload.marker())
                .write(payload.data(), &mut buf)
                .unwrap();
        }
        for packet in &datagrams {
            d.push(packet).unwrap();
            while let Some(out) = d.poll_packet() {
                match out {
                    OpusDepacketized::Packet(o) => got += o.data.len(),
                    other => panic!("{other:?}"),
                }
            }
        }
    });
    assert_eq!(info.count_total, 0, "{} allocations", info.count_total);
    assert_eq!(got, packets.iter().map(|(_, f)| f.len()).sum::<usize>());
}
