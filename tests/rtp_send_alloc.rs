//! Zero-allocation proof for the media sender rtp_send and serve drive:
//! pushing a whole pass of a fixture and polling every RTP packet it makes
//! (written into the sender's reused buffer) allocates nothing once its
//! queue has grown in a first pass. And for the audio payload formats it
//! uses:
//! packetizing every AAC frame of the fixtures (aggregated, and fragmented
//! at a small MTU) and every Opus packet, and writing each RTP datagram
//! into a reused buffer, allocates nothing; nor does depacketizing whole
//! (unfragmented) AAC frames and Opus packets from the datagrams.
#![allow(clippy::unwrap_used, clippy::panic)] // test helpers outside #[test] fns

use bytes::Bytes;
use streamkit::core::clock::{UnixTime, WallClock};
use streamkit::core::codec::CodecConfig;
use streamkit::core::mp4::Mp4File;
use streamkit::core::sample::Sample;
use streamkit::core::time::{RtpTimestamp, SequenceNumber};
use streamkit::rtp::error::PayloadError;
use streamkit::rtp::packet::{RtpHeader, RtpPacket};
use streamkit::rtp::payload::aac::{
    AacDepacketized, AacDepacketizer, AacPacketizer, AacPayload, AuHeaderLayout,
};
use streamkit::rtp::payload::opus::{
    OpusDepacketized, OpusDepacketizer, OpusPacketizer, OpusPayload,
};
use streamkit::rtp::sender::{
    MediaSender, MediaSenderConfig, Pacing, TransmitKind, first_video_and_audio,
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

/// One pass of `samples` through `sender` in live pacing: every sample
/// pushed and its packets polled at once; the bytes sent.
fn media_pass(sender: &mut MediaSender, samples: &[Sample], now: std::time::Instant) -> usize {
    let mut bytes = 0;
    for sample in samples {
        if !sender.has_track(sample.track_id) {
            continue;
        }
        sender.push(sample).unwrap();
        while let Some(t) = sender.poll_transmit(now) {
            assert_eq!(t.kind, TransmitKind::Rtp);
            bytes += t.datagram.len();
        }
    }
    bytes
}

#[test]
fn media_sender_packets_allocate_nothing() {
    for name in ["h264_aac.mp4", "h265_aac.mp4", "h264_opus.mp4"] {
        let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
        let file = Mp4File::parse(Bytes::from(std::fs::read(path).unwrap())).unwrap();
        let (tracks, shifts) = file.tracks_and_shifts();
        let tracks = first_video_and_audio(&tracks);
        #[allow(clippy::disallowed_methods)] // the virtual clock's origin
        let now = std::time::Instant::now();
        let mut config = MediaSenderConfig::new(
            "alloc@streamkit",
            1,
            WallClock::new(now, UnixTime::from_unix_millis(1_700_000_000_000)),
        );
        config.pacing = Pacing::Live;
        let mut sender = MediaSender::new(config, &tracks, &shifts).unwrap();
        // The file's sample index is read outside the measurement.
        let samples: Vec<Sample> = file.samples().collect();
        sender.start(now);
        // The first sender reports.
        while let Some(t) = sender.poll_transmit(now) {
            assert_eq!(t.kind, TransmitKind::Rtcp);
        }
        // A first pass grows the queue to the largest sample's payloads.
        let warm = media_pass(&mut sender, &samples, now);
        sender.start_next_pass().unwrap();
        while sender.poll_transmit(now).is_some() {}
        let before = sender.packets_sent();
        let mut bytes = 0;
        let info = allocation_counter::measure(|| {
            bytes = media_pass(&mut sender, &samples, now);
        });
        assert_eq!(
            info.count_total, 0,
            "{name}: {} allocations",
            info.count_total
        );
        let packets = sender.packets_sent() - before;
        assert!(
            packets as usize > samples.len() / 2,
            "{name}: {packets} packets"
        );
        assert!(
            bytes > 0 && bytes.abs_diff(warm) < warm / 100,
            "{name}: {bytes} vs {warm} bytes"
        );
    }
}
