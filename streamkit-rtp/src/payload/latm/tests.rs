#![allow(clippy::unwrap_used, clippy::panic)]

use bytes::Bytes;
use streamkit_core::codec::CodecError;
use streamkit_core::codec::aac::AacConfig;
use streamkit_core::codec::bits::BitWriter;
use streamkit_core::time::{RtpTimestamp, SequenceNumber};

use super::*;
use crate::packet::{RtpHeader, RtpPacket};
use crate::payload::aac::AacDepacketized;

fn packet(seq: u16, ts: u32, marker: bool, payload: &[u8]) -> RtpPacket {
    let header = RtpHeader {
        marker,
        payload_type: 96,
        sequence_number: SequenceNumber::new(seq),
        timestamp: RtpTimestamp::new(ts),
        ..RtpHeader::default()
    };
    let mut datagram = Vec::new();
    header.write(payload, &mut datagram).unwrap();
    RtpPacket::parse(Bytes::from(datagram)).unwrap()
}

fn drain(d: &mut LatmDepacketizer) -> Vec<AacDepacketized> {
    core::iter::from_fn(|| d.poll_frame()).collect()
}

fn frames(events: &[AacDepacketized]) -> Vec<(u32, Vec<u8>)> {
    events
        .iter()
        .filter_map(|e| match e {
            AacDepacketized::Frame(f) => Some((f.timestamp.0, f.data.to_vec())),
            _ => None,
        })
        .collect()
}

fn lc_mono() -> AacConfig {
    AacConfig::parse(&[0x12, 0x08]).unwrap()
}

#[test]
fn ffmpeg_config_reads_and_writes_back() {
    let c = StreamMuxConfig::parse(&[0x40, 0x00, 0x24, 0x10, 0x3f, 0xc0]).unwrap();
    assert_eq!(c.aac(), &lc_mono());
    assert_eq!(c.audio_mux_version(), 0);
    assert_eq!(c.frames_per_element(), 1);
    assert_eq!(c, StreamMuxConfig::new(lc_mono()));
    assert_eq!(c.to_bytes().unwrap(), [0x40, 0x00, 0x24, 0x10, 0x3f, 0xc0]);
}

#[test]
fn gstreamer_config_of_the_whole_codec_data() {
    // rtpmp4apay's config for the fixture's codec_data 12 08 56 e5 00
    // (AAC-LC with a sync extension saying no SBR): the
    // AudioSpecificConfig and nothing after it.
    let c = StreamMuxConfig::parse(&[0x40, 0x00, 0x24, 0x10, 0xad, 0xca, 0x00]).unwrap();
    assert_eq!(
        c.aac(),
        &AacConfig::parse(&[0x12, 0x08, 0x56, 0xe5, 0x00]).unwrap()
    );
    // Written back whole, it reads the same.
    let again = StreamMuxConfig::parse(&c.to_bytes().unwrap()).unwrap();
    assert_eq!(again, c);
}

#[test]
fn version_1_gives_the_config_length() {
    let mut c = StreamMuxConfig::new(AacConfig::new(2, 48_000, 2).unwrap());
    c.audio_mux_version = 1;
    c.other_data_bits = 16;
    c.crc = Some(0x5a);
    let bytes = c.to_bytes().unwrap();
    assert_eq!(StreamMuxConfig::parse(&bytes).unwrap(), c);
}

#[test]
fn unsupported_and_bad_configs_say_why() {
    // numProgram 1.
    assert!(matches!(
        StreamMuxConfig::parse(&[0x40, 0x10, 0x24, 0x10, 0x3f, 0xc0]),
        Err(CodecError::Unsupported {
            feature: "more than one program",
            ..
        })
    ));
    // allStreamsSameTimeFraming 0.
    assert!(matches!(
        StreamMuxConfig::parse(&[0x00, 0x00, 0x24, 0x10, 0x3f, 0xc0]),
        Err(CodecError::Unsupported { .. })
    ));
    // Channel configuration 0: a program config element.
    assert!(matches!(
        StreamMuxConfig::parse(&[0x40, 0x00, 0x24, 0x00, 0x3f, 0xc0]),
        Err(CodecError::Unsupported {
            structure: "AudioSpecificConfig",
            ..
        })
    ));
    assert!(matches!(
        StreamMuxConfig::parse(&[0x40]),
        Err(CodecError::EndOfBits { .. })
    ));
    let fmtp = Fmtp::parse("96 cpresent=0;config=40002").unwrap();
    assert!(matches!(
        LatmFormat::from_fmtp(Some(&fmtp)),
        Err(PayloadError::FmtpParameter { name: "config", .. })
    ));
    let fmtp = Fmtp::parse("96 cpresent=2;config=400024103fc0").unwrap();
    assert!(LatmFormat::from_fmtp(Some(&fmtp)).is_err());
    // cpresent defaults to 1 (RFC 6416).
    let fmtp = Fmtp::parse("96 object=2; config=400024103fc0").unwrap();
    let f = LatmFormat::from_fmtp(Some(&fmtp)).unwrap();
    assert!(f.config_present);
    assert_eq!(f.object, Some(2));
}

fn depacketizer() -> LatmDepacketizer {
    LatmDepacketizer::with_config(StreamMuxConfig::new(lc_mono()), false)
}

#[test]
fn whole_elements_are_slices_of_the_packet() {
    let mut d = depacketizer();
    // Two elements in one packet: 3 bytes and 256 bytes (255 + 1).
    let mut payload = vec![3, 1, 2, 3, 255, 1];
    payload.extend(std::iter::repeat_n(9, 256));
    let p = packet(1, 1000, true, &payload);
    d.push(&p).unwrap();
    let events = drain(&mut d);
    assert_eq!(
        frames(&events),
        [(1000, vec![1, 2, 3]), (2024, vec![9; 256])]
    );
    let AacDepacketized::Frame(f) = &events[0] else {
        panic!()
    };
    // Zero-copy: the frame points into the packet's buffer.
    let at = p.payload().as_ptr() as usize + 1;
    assert_eq!(f.data.as_ptr() as usize, at);
}

#[test]
fn fragments_join_until_the_marker() {
    let frame: Vec<u8> = (0..600u32).map(|i| i as u8).collect();
    let mut p = LatmPacketizer::new(250).unwrap();
    p.push(RtpTimestamp::new(5), Bytes::from(frame.clone()))
        .unwrap();
    let mut d = depacketizer();
    let mut seq = 10;
    let mut got = Vec::new();
    while let Some(payload) = p.poll_payload() {
        d.push(&packet(seq, 5, payload.marker(), &payload.to_bytes()))
            .unwrap();
        seq += 1;
        got.extend(drain(&mut d));
    }
    assert_eq!(seq, 13);
    assert_eq!(frames(&got), [(5, frame)]);
}

#[test]
fn a_gap_drops_the_element_it_cut_and_says_so() {
    let mut d = depacketizer();
    d.push(&packet(1, 0, false, &[255, 45, 1, 2])).unwrap();
    // seq 2 (the rest of it) lost; seq 3 is its last fragment.
    d.push(&packet(3, 0, true, &[7; 296])).unwrap();
    let events = drain(&mut d);
    assert_eq!(events.len(), 1);
    let AacDepacketized::Loss(l) = &events[0] else {
        panic!("{events:?}")
    };
    assert_eq!((l.lost_packets, l.dropped_frames), (1, 1));
    d.push(&packet(4, 1024, true, &[2, 8, 9])).unwrap();
    assert_eq!(frames(&drain(&mut d)), [(1024, vec![8, 9])]);
}

#[test]
fn an_element_without_its_marker_is_whole_when_it_parses() {
    let mut d = depacketizer();
    d.push(&packet(1, 0, false, &[2, 8, 9])).unwrap();
    assert!(drain(&mut d).is_empty());
    d.push(&packet(2, 1024, false, &[1, 7])).unwrap();
    assert_eq!(frames(&drain(&mut d)), [(0, vec![8, 9])]);
    d.finish().unwrap();
    assert_eq!(frames(&drain(&mut d)), [(1024, vec![7])]);
}

#[test]
fn malformed_payloads_are_refused_whole() {
    let mut d = depacketizer();
    // A length past the end, then a frame of 0 bytes.
    assert!(matches!(
        d.push(&packet(1, 0, true, &[5, 1, 2])),
        Err(PayloadError::Latm { .. })
    ));
    assert!(drain(&mut d).is_empty());
    assert!(d.push(&packet(2, 0, true, &[1, 1, 0])).is_err());
    assert!(drain(&mut d).is_empty());
    d.push(&packet(3, 0, true, &[1, 1])).unwrap();
    assert_eq!(frames(&drain(&mut d)), [(0, vec![1])]);
}

/// One element with `cpresent=1`: useSameStreamMux, maybe the config, the
/// frame.
fn in_band(config: Option<&StreamMuxConfig>, frame: &[u8]) -> Vec<u8> {
    let mut w = BitWriter::new();
    w.write_flag(config.is_none());
    if let Some(c) = config {
        c.write(&mut w).unwrap();
    }
    let mut len = frame.len();
    while len >= 255 {
        w.write_bits(255, 8);
        len -= 255;
    }
    w.write_bits(len as u64, 8);
    for b in frame {
        w.write_bits(u64::from(*b), 8);
    }
    w.finish()
}

#[test]
fn in_band_configs_are_read_and_changes_said() {
    let first = StreamMuxConfig::new(lc_mono());
    let mut d = LatmDepacketizer::with_config(first.clone(), true);
    let mut payload = in_band(Some(&first), &[1, 2, 3]);
    payload.extend(in_band(None, &[4; 300]));
    d.push(&packet(1, 0, true, &payload)).unwrap();
    let events = drain(&mut d);
    assert_eq!(frames(&events), [(0, vec![1, 2, 3]), (1024, vec![4; 300])]);
    assert_eq!(events.len(), 2, "the same config is no change");

    let stereo = StreamMuxConfig::new(AacConfig::new(2, 44_100, 2).unwrap());
    d.push(&packet(2, 2048, true, &in_band(Some(&stereo), &[5])))
        .unwrap();
    let events = drain(&mut d);
    assert_eq!(
        events[0],
        AacDepacketized::Config(AacConfig::new(2, 44_100, 2).unwrap())
    );
    assert_eq!(frames(&events), [(2048, vec![5])]);
    assert_eq!(d.config(), &stereo);
}
