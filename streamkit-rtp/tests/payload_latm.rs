//! MP4A-LATM (RFC 6416): arbitrary bytes never panic the StreamMuxConfig
//! parser or the depacketizer; configurations written read back the same;
//! frames through the packetizer come back whole, in order, at their
//! timestamps, slices of the packets when a frame fits one; an SDP media
//! section of ffmpeg's RTSP muxer maps to the fixture's AAC track.

// Test code: a failed read is a failed test.
#![allow(clippy::unwrap_used, clippy::panic)]

use bytes::Bytes;
use proptest::prelude::*;
use streamkit_core::codec::CodecConfig;
use streamkit_core::codec::aac::AacConfig;
use streamkit_core::time::{RtpTimestamp, SequenceNumber};
use streamkit_rtp::packet::{RtpHeader, RtpPacket};
use streamkit_rtp::payload::aac::AacDepacketized;
use streamkit_rtp::payload::latm::{
    LatmDepacketizer, LatmFormat, LatmPacketizer, MAX_LATM_FRAME, StreamMuxConfig,
};
use streamkit_rtp::payload::{DepacketizedUnit, Depacketizer, NalForm};
use streamkit_rtp::sdp::SessionDescription;

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

/// Configurations `AacConfig::new` makes whole: general-audio types
/// whose GASpecificConfig is its three flags (the scalable and
/// error-resilient types have more fields, which it does not write).
fn aac_config() -> impl Strategy<Value = AacConfig> {
    (
        prop::sample::select(vec![1u8, 2, 3, 4, 7]),
        prop::sample::select(vec![
            8_000u32, 16_000, 22_050, 44_100, 48_000, 96_000, 12_345,
        ]),
        1u8..=7,
    )
        .prop_map(|(aot, hz, ch)| AacConfig::new(aot, hz, ch).unwrap())
}

proptest! {
    #[test]
    fn arbitrary_configs_never_panic(data in prop::collection::vec(any::<u8>(), 0..64)) {
        if let Ok(c) = StreamMuxConfig::parse(&data) {
            let again = StreamMuxConfig::parse(&c.to_bytes().unwrap()).unwrap();
            prop_assert_eq!(again, c);
        }
    }

    #[test]
    fn configs_round_trip(aac in aac_config()) {
        let c = StreamMuxConfig::new(aac.clone());
        let bytes = c.to_bytes().unwrap();
        let back = StreamMuxConfig::parse(&bytes).unwrap();
        prop_assert_eq!(back.aac(), &aac);
        prop_assert_eq!(back, c);
    }

    #[test]
    fn arbitrary_packets_never_panic(
        cpresent in any::<bool>(),
        packets in prop::collection::vec(
            (any::<bool>(), 1u16..4, 0u32..3, prop::collection::vec(any::<u8>(), 0..300)),
            0..24,
        ),
    ) {
        let config = StreamMuxConfig::parse(&[0x40, 0x00, 0x24, 0x10, 0x3f, 0xc0]).unwrap();
        let mut d = LatmDepacketizer::with_config(config, cpresent).with_max_element(2048);
        let (mut seq, mut ts) = (0u16, 0u32);
        for (marker, step, frames, payload) in packets {
            seq = seq.wrapping_add(step);
            ts = ts.wrapping_add(1024 * frames);
            let _ = d.push(&packet(seq, ts, marker, &payload));
            while let Some(e) = d.poll_frame() {
                if let AacDepacketized::Frame(f) = e {
                    prop_assert!(!f.data.is_empty() && f.data.len() <= 2048);
                }
            }
            d.check_invariants();
        }
        d.finish().unwrap();
        while d.poll_frame().is_some() {}
    }

    #[test]
    fn frames_round_trip_through_the_packetizer(
        frames in prop::collection::vec(1usize..2000, 1..20),
        mtu in 34usize..1400,
        start in any::<u32>(),
        first_seq in any::<u16>(),
    ) {
        let config = StreamMuxConfig::new(AacConfig::new(2, 48_000, 2).unwrap());
        let mut p = LatmPacketizer::new(mtu).unwrap();
        let mut d = LatmDepacketizer::with_config(config, false);
        let frames: Vec<Bytes> = frames
            .iter()
            .enumerate()
            .map(|(i, &n)| Bytes::from((0..n).map(|j| (i + j) as u8).collect::<Vec<u8>>()))
            .collect();
        let mut seq = first_seq;
        let mut got = Vec::new();
        for (i, f) in frames.iter().enumerate() {
            let ts = start.wrapping_add(1024 * i as u32);
            p.push(RtpTimestamp::new(ts), f.clone()).unwrap();
            let mut packets = 0;
            while let Some(payload) = p.poll_payload() {
                prop_assert!(payload.len() <= mtu);
                prop_assert_eq!(payload.timestamp().0, ts);
                let pkt = packet(seq, ts, payload.marker(), &payload.to_bytes());
                seq = seq.wrapping_add(1);
                packets += 1;
                d.push(&pkt).unwrap();
                while let Some(e) = d.poll_frame() {
                    let AacDepacketized::Frame(frame) = e else {
                        return Err(TestCaseError::fail(format!("{e:?}")));
                    };
                    if packets == 1 {
                        // Whole in one packet: a slice of it.
                        let at = pkt.payload().as_ptr() as usize;
                        let p = frame.data.as_ptr() as usize;
                        prop_assert!(p > at && p < at + pkt.payload().len());
                    }
                    got.push((frame.timestamp.0, frame.data));
                }
            }
        }
        p.finish().unwrap();
        prop_assert!(p.poll_payload().is_none());
        d.finish().unwrap();
        prop_assert!(d.poll_frame().is_none());
        let want: Vec<(u32, Bytes)> = frames
            .iter()
            .enumerate()
            .map(|(i, f)| (start.wrapping_add(1024 * i as u32), f.clone()))
            .collect();
        prop_assert_eq!(got, want);
    }
}

#[test]
fn the_packetizer_refuses_what_latm_here_does_not_carry() {
    assert!(LatmPacketizer::new(33).is_err());
    let mut p = LatmPacketizer::new(100).unwrap();
    assert!(p.push(RtpTimestamp::new(0), Bytes::new()).is_err());
    let big = Bytes::from(vec![0; MAX_LATM_FRAME + 1]);
    assert!(p.push(RtpTimestamp::new(0), big).is_err());
    p.push(RtpTimestamp::new(0), Bytes::from(vec![1; 300]))
        .unwrap();
    assert!(
        p.push(RtpTimestamp::new(1024), Bytes::from(vec![1]))
            .is_err()
    );
}

/// The SDP ffmpeg 5.1's RTSP muxer announces for tests/fixtures/h264_aac.mp4
/// with `-rtpflags latm` (its audio section).
const FFMPEG_SDP: &str = "v=0\r\no=- 0 0 IN IP4 127.0.0.1\r\ns=No Name\r\nt=0 0\r\n\
    a=tool:libavformat 59.27.100\r\nm=audio 0 RTP/AVP 97\r\nb=AS:48\r\n\
    a=rtpmap:97 MP4A-LATM/44100/1\r\n\
    a=fmtp:97 profile-level-id=41;cpresent=0;config=400024103fc0\r\n\
    a=control:streamid=1\r\n";

#[test]
fn ffmpeg_sdp_maps_to_an_aac_track_and_a_latm_depacketizer() {
    let sdp = SessionDescription::parse(FFMPEG_SDP).unwrap();
    let m = &sdp.media[0];
    let codec = m.codec(97).unwrap();
    let want = AacConfig::parse(&[0x12, 0x08]).unwrap();
    assert_eq!(codec, CodecConfig::Aac(want));
    let fmtp = m.attributes.fmtp(97).unwrap().unwrap();
    let format = LatmFormat::from_fmtp(Some(&fmtp)).unwrap();
    assert_eq!(format.profile_level_id, Some(41));
    assert!(!format.config_present);
    let mut d = Depacketizer::from_media(m, 97, NalForm::AnnexB).unwrap();
    assert!(matches!(d, Depacketizer::Latm(_)));
    // What ffmpeg's rtpenc_latm sends for a 300-byte frame: 255, 45, data.
    let mut payload = vec![255, 45];
    payload.extend(std::iter::repeat_n(0x21, 300));
    d.push(&packet(1, 0, true, &payload)).unwrap();
    match d.poll_unit() {
        Some(DepacketizedUnit::Aac(AacDepacketized::Frame(f))) => {
            assert_eq!(f.data.len(), 300);
        }
        other => panic!("{other:?}"),
    }
    assert!(d.poll_unit().is_none());
}
