//! Zero-allocation proof for MP4A-LATM: packetizing every AAC frame of the
//! fixture and writing each payload after its RTP header into a reused
//! buffer allocates nothing; depacketizing frames that each fit one
//! packet allocates only to warm up (its output queue's first growth),
//! the frames slices of the packets; frames fragmented over packets cost
//! one buffer each, joined once.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may fail loudly

use bytes::Bytes;
use streamkit::core::codec::CodecConfig;
use streamkit::core::codec::aac::AacConfig;
use streamkit::core::mp4::Mp4File;
use streamkit::core::time::{RtpTimestamp, SequenceNumber};
use streamkit::rtp::packet::{RtpHeader, RtpPacket};
use streamkit::rtp::payload::aac::AacDepacketized;
use streamkit::rtp::payload::latm::{LatmDepacketizer, LatmPacketizer, StreamMuxConfig};

fn audio() -> (AacConfig, Vec<Bytes>) {
    let path = format!("{}/tests/fixtures/h264_aac.mp4", env!("CARGO_MANIFEST_DIR"));
    let file = Mp4File::parse(Bytes::from(std::fs::read(path).unwrap())).unwrap();
    let track = file
        .tracks()
        .iter()
        .find(|t| matches!(t.codec(), Some(CodecConfig::Aac(_))))
        .unwrap();
    let Some(CodecConfig::Aac(asc)) = track.codec() else {
        panic!("not AAC")
    };
    let frames = file
        .track_samples(track.id())
        .unwrap()
        .map(|s| s.data)
        .collect();
    (asc.clone(), frames)
}

/// The fixture's frames as RTP packets of at most `mtu` payload bytes.
fn packets(frames: &[Bytes], mtu: usize) -> Vec<RtpPacket> {
    let mut p = LatmPacketizer::new(mtu).unwrap();
    let mut out = Vec::new();
    for (i, f) in frames.iter().enumerate() {
        p.push(RtpTimestamp::new(1024 * i as u32), f.clone())
            .unwrap();
        while let Some(payload) = p.poll_payload() {
            let mut datagram = Vec::new();
            RtpHeader {
                marker: payload.marker(),
                payload_type: 96,
                sequence_number: SequenceNumber::new(out.len() as u16),
                timestamp: payload.timestamp(),
                ssrc: 1,
                ..RtpHeader::default()
            }
            .write_header(&mut datagram)
            .unwrap();
            payload.write_to(&mut datagram).unwrap();
            let packet = RtpPacket::parse(Bytes::from(datagram)).unwrap();
            // A `Bytes` made from a `Vec` allocates its shared header at
            // its first slice; a datagram split off a receive buffer has
            // one already. Slice once here, so that what is measured is
            // the depacketizer's own.
            drop(packet.payload());
            out.push(packet);
        }
    }
    out
}

#[test]
fn latm_packetizing_allocates_nothing() {
    let (_, frames) = audio();
    let mut p = LatmPacketizer::new(100).unwrap();
    let mut datagram = Vec::with_capacity(1500);
    let mut payloads = 0usize;
    let info = allocation_counter::measure(|| {
        for (i, f) in frames.iter().enumerate() {
            p.push(RtpTimestamp::new(1024 * i as u32), f.clone())
                .unwrap();
            while let Some(payload) = p.poll_payload() {
                datagram.clear();
                RtpHeader {
                    marker: payload.marker(),
                    payload_type: 96,
                    sequence_number: SequenceNumber::new(payloads as u16),
                    timestamp: payload.timestamp(),
                    ssrc: 1,
                    ..RtpHeader::default()
                }
                .write_header(&mut datagram)
                .unwrap();
                payload.write_to(&mut datagram).unwrap();
                payloads += 1;
            }
        }
    });
    assert!(payloads > frames.len(), "no frame fragmented at MTU 100");
    assert_eq!(info.count_total, 0, "{payloads} payloads");
}

#[test]
fn latm_depacketizing_allocates_only_for_fragmented_frames() {
    let (asc, frames) = audio();
    for mtu in [1200, 100] {
        let packets = packets(&frames, mtu);
        let fragmented = packets.len() - frames.len();
        let mut d = LatmDepacketizer::with_config(StreamMuxConfig::new(asc.clone()), false);
        let mut got = 0usize;
        let info = allocation_counter::measure(|| {
            for p in &packets {
                d.push(p).unwrap();
                while let Some(e) = d.poll_frame() {
                    let AacDepacketized::Frame(f) = e else {
                        panic!("{e:?}")
                    };
                    std::hint::black_box(&f);
                    got += 1;
                }
            }
        });
        assert_eq!(got, frames.len());
        // A fragmented frame costs two allocations: the buffer its
        // fragments are joined in (reserved whole from its
        // PayloadLengthInfo) and the shared header of the `Bytes` its
        // frame is a slice of. The queue's first growth is one more.
        let joined = frames.iter().filter(|f| f.len() + 2 > mtu).count();
        assert!(
            info.count_total <= 1 + 2 * joined as u64,
            "{} allocations at MTU {mtu}: {} frames, {joined} fragmented over {fragmented} extra packets",
            info.count_total,
            frames.len()
        );
        if mtu == 1200 {
            assert_eq!(joined, 0);
            assert!(info.count_total <= 1, "{} allocations", info.count_total);
        }
    }
}
