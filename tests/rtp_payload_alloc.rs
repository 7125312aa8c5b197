//! Zero-allocation proof for the H.264 and H.265 packetizers: pushing every
//! access unit of the fixtures and polling all its payloads (STAP-A / AP,
//! FU-A / FU and single NAL unit packets, parameter sets before keyframes),
//! writing each after its RTP header into a reused buffer, allocates
//! nothing. The depacketizers allocate less than once per ten access units
//! (their output is split off a buffer grown in chunks), however many
//! packets carry them.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may fail loudly

use bytes::Bytes;
use streamkit::core::codec::{CodecConfig, MediaKind};
use streamkit::core::mp4::Mp4File;
use streamkit::core::nal::NalLengthSize;
use streamkit::core::sample::Sample;
use streamkit::core::time::{RtpTimestamp, SequenceNumber};
use streamkit::rtp::packet::{RtpHeader, RtpPacket};
use streamkit::rtp::payload::h264::{H264Depacketizer, H264Packetizer};
use streamkit::rtp::payload::h265::{H265Depacketizer, H265Packetizer};
use streamkit::rtp::payload::{Depacketized, NalForm, RtpPayload};

fn video(name: &str) -> (CodecConfig, Vec<Sample>) {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    let file = Mp4File::parse(Bytes::from(std::fs::read(path).unwrap())).unwrap();
    let track = file
        .tracks()
        .iter()
        .find(|t| t.codec().is_some_and(|c| c.kind() == MediaKind::Video))
        .unwrap();
    let samples = file.track_samples(track.id()).unwrap().collect();
    (track.codec().unwrap().clone(), samples)
}

fn write(payload: &RtpPayload, seq: u16, out: &mut Vec<u8>) {
    out.clear();
    RtpHeader {
        marker: payload.marker(),
        payload_type: 96,
        sequence_number: SequenceNumber::new(seq),
        timestamp: payload.timestamp(),
        ssrc: 1,
        ..RtpHeader::default()
    }
    .write_header(out)
    .unwrap();
    payload.write_to(out).unwrap();
}

/// Packetizes every sample with `next`, writing each payload; returns the
/// packet count.
fn run(
    samples: &[Sample],
    mut push: impl FnMut(&Sample),
    mut next: impl FnMut() -> Option<RtpPayload>,
    out: &mut Vec<u8>,
) -> usize {
    let mut packets = 0usize;
    for s in samples {
        push(s);
        while let Some(p) = next() {
            write(&p, packets as u16, out);
            std::hint::black_box(&out);
            packets += 1;
        }
    }
    packets
}

#[test]
fn the_counter_counts() {
    let info = allocation_counter::measure(|| {
        std::hint::black_box(Vec::<u8>::with_capacity(8));
    });
    assert_eq!(info.count_total, 1);
}

#[test]
fn h264_packetizing_allocates_nothing() {
    let (codec, samples) = video("h264_aac.mp4");
    let CodecConfig::H264(avc) = codec else {
        panic!("not H.264")
    };
    let mut p = H264Packetizer::with_parameter_sets(&avc, 200).unwrap();
    let mut out = Vec::with_capacity(1500);
    let p = std::cell::RefCell::new(&mut p);
    let push = |s: &Sample| {
        p.borrow_mut()
            .push_sample(s, RtpTimestamp::new(s.dts as u32))
            .unwrap()
    };
    let next = || p.borrow_mut().poll_payload();
    // A first pass shares the file's buffer (the one allocation `Bytes`
    // makes when a vector-backed buffer is first sliced twice).
    run(&samples, push, next, &mut out);
    let mut packets = 0;
    let info = allocation_counter::measure(|| {
        packets = run(&samples, push, next, &mut out);
    });
    assert_eq!(
        info.count_total, 0,
        "allocations while packetizing {packets} packets"
    );
    assert!(
        packets > 2 * samples.len(),
        "{packets} packets for {} samples",
        samples.len()
    );
}

#[test]
fn h265_packetizing_allocates_nothing() {
    let (codec, samples) = video("h265_aac.mp4");
    let CodecConfig::H265(hevc) = codec else {
        panic!("not H.265")
    };
    let mut p = H265Packetizer::with_parameter_sets(&hevc, 200).unwrap();
    let mut out = Vec::with_capacity(1500);
    let p = std::cell::RefCell::new(&mut p);
    let push = |s: &Sample| {
        p.borrow_mut()
            .push_sample(s, RtpTimestamp::new(s.dts as u32))
            .unwrap()
    };
    let next = || p.borrow_mut().poll_payload();
    run(&samples, push, next, &mut out);
    let mut packets = 0;
    let info = allocation_counter::measure(|| {
        packets = run(&samples, push, next, &mut out);
    });
    assert_eq!(
        info.count_total, 0,
        "allocations while packetizing {packets} packets"
    );
    assert!(
        packets > 2 * samples.len(),
        "{packets} packets for {} samples",
        samples.len()
    );
}

/// Packets of every sample at `mtu`, as parsed RTP packets.
fn h264_packets(samples: &[Sample], mtu: usize) -> Vec<RtpPacket> {
    let mut p = H264Packetizer::new(mtu, NalLengthSize::Four).unwrap();
    let mut v = Vec::new();
    for s in samples {
        p.push_sample(s, RtpTimestamp::new(s.dts as u32 * 6))
            .unwrap();
        while let Some(payload) = p.poll_payload() {
            let mut out = Vec::new();
            write(&payload, v.len() as u16, &mut out);
            v.push(RtpPacket::parse(Bytes::from(out)).unwrap());
        }
    }
    v
}

#[test]
fn depacketizing_allocates_less_than_once_per_ten_access_units() {
    let (_, samples) = video("h264_aac.mp4");
    for mtu in [1200, 300, 100] {
        let packets = h264_packets(&samples, mtu);
        let mut d = H264Depacketizer::new(NalForm::AnnexB);
        let mut units = 0usize;
        let info = allocation_counter::measure(|| {
            for p in &packets {
                d.push(p).unwrap();
                while let Some(ev) = d.poll_access_unit() {
                    if let Depacketized::AccessUnit(u) = ev {
                        std::hint::black_box(&u);
                        units += 1;
                    }
                }
            }
        });
        assert_eq!(units, samples.len());
        // Access units are split off a reassembly buffer grown in chunks:
        // a few allocations for the whole stream, however many packets
        // carry it (306 at MTU 1200, 1709 at MTU 100).
        assert!(
            info.count_total <= units as u64 / 10,
            "{} allocations for {units} access units in {} packets at MTU {mtu}",
            info.count_total,
            packets.len()
        );
    }
    let (_, samples) = video("h265_aac.mp4");
    let mut p = H265Packetizer::new(400, NalLengthSize::Four).unwrap();
    let mut d = H265Depacketizer::new(NalForm::LengthPrefixed(NalLengthSize::Four));
    let mut packets = Vec::new();
    for s in &samples {
        p.push_sample(s, RtpTimestamp::new(s.dts as u32 * 6))
            .unwrap();
        while let Some(payload) = p.poll_payload() {
            let mut out = Vec::new();
            write(&payload, packets.len() as u16, &mut out);
            packets.push(RtpPacket::parse(Bytes::from(out)).unwrap());
        }
    }
    let mut units = 0u64;
    let info = allocation_counter::measure(|| {
        for p in &packets {
            d.push(p).unwrap();
            while let Some(ev) = d.poll_access_unit() {
                if let Depacketized::AccessUnit(u) = ev {
                    std::hint::black_box(&u);
                    units += 1;
                }
            }
        }
    });
    assert_eq!(units, samples.len() as u64);
    assert!(
        info.count_total <= units / 10,
        "{} allocations",
        info.count_total
    );
}
