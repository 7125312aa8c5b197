//! The `Packetizer` and `Depacketizer` enums: built from a core track or
//! from the SDP media section our SDP writer makes for it, they take every
//! fixture's samples through RTP and back byte for byte; SDP parameters
//! they cannot take are refused with typed errors.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may fail loudly

use bytes::Bytes;
use streamkit_core::codec::MediaKind;
use streamkit_core::mp4::Mp4File;
use streamkit_core::time::{MediaTime, Rounding, SequenceNumber};
use streamkit_rtp::error::{PayloadError, SdpError};
use streamkit_rtp::packet::{RtpHeader, RtpPacket};
use streamkit_rtp::payload::aac::AacDepacketized;
use streamkit_rtp::payload::opus::OpusDepacketized;
use streamkit_rtp::payload::{
    Depacketized, DepacketizedUnit, Depacketizer, Packetizer, PacketizerConfig, mp4_nal_form,
    rtp_clock_rate,
};
use streamkit_rtp::sdp::SessionDescription;
use streamkit_rtp::sdp::codec::media_for_codec;

fn fixture(name: &str) -> Mp4File {
    let path = format!("{}/../tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    Mp4File::parse(Bytes::from(std::fs::read(path).unwrap())).unwrap()
}

/// Every sample of every track of `name` through a packetizer and a
/// depacketizer (from the track, or from its SDP media section).
fn round_trip(name: &str, from_sdp: bool) {
    let file = fixture(name);
    let (tracks, _) = file.tracks_and_shifts();
    for track in &tracks {
        let config = PacketizerConfig::new(500, 3);
        let form = mp4_nal_form(&track.codec);
        let (mut p, mut d) = if from_sdp {
            // Through the SDP text, as a receiver reads it.
            let media = media_for_codec(&track.codec, 96, 5004).unwrap();
            let mut sdp = SessionDescription::new(
                streamkit_rtp::sdp::Origin::for_address(1, [127, 0, 0, 1].into()),
                "t",
            );
            sdp.media.push(media);
            let sdp = SessionDescription::parse(&sdp.write().unwrap()).unwrap();
            (
                Packetizer::from_media(&sdp.media[0], 96, config).unwrap(),
                Depacketizer::from_media(&sdp.media[0], 96, form).unwrap(),
            )
        } else {
            (
                Packetizer::for_track(track, config).unwrap(),
                Depacketizer::for_track(track, form).unwrap(),
            )
        };
        let clock = rtp_clock_rate(&track.codec).unwrap();
        let samples: Vec<_> = file.track_samples(track.id).unwrap().collect();
        let mut got = Vec::new();
        let mut seq = SequenceNumber::new(100);
        let mut send = |p: &mut Packetizer, d: &mut Depacketizer, got: &mut Vec<Bytes>| {
            while let Some(payload) = p.poll_payload() {
                assert!(payload.len() <= 500 && !payload.is_empty());
                let header = RtpHeader {
                    marker: payload.marker(),
                    payload_type: 96,
                    sequence_number: seq,
                    timestamp: payload.timestamp(),
                    ..RtpHeader::default()
                };
                seq = seq.next();
                let mut datagram = Vec::new();
                header.write_header(&mut datagram).unwrap();
                payload.write_to(&mut datagram).unwrap();
                d.push(&RtpPacket::parse(Bytes::from(datagram)).unwrap())
                    .unwrap();
                while let Some(unit) = d.poll_unit() {
                    match unit {
                        DepacketizedUnit::Video(Depacketized::AccessUnit(u)) => got.push(u.data),
                        DepacketizedUnit::Video(Depacketized::ParameterSets(_)) => {}
                        DepacketizedUnit::Aac(AacDepacketized::Frame(f)) => got.push(f.data),
                        DepacketizedUnit::Opus(OpusDepacketized::Packet(o)) => got.push(o.data),
                        other => panic!("{name} track {}: {other:?}", track.id),
                    }
                }
            }
        };
        for s in &samples {
            let ts = MediaTime::new(s.pts(), s.timescale)
                .rescale(clock, Rounding::Nearest)
                .ticks() as u32;
            p.push(streamkit_core::time::RtpTimestamp::new(ts), s.data.clone())
                .unwrap();
            send(&mut p, &mut d, &mut got);
        }
        p.finish().unwrap();
        send(&mut p, &mut d, &mut got);
        d.finish().unwrap();
        assert!(d.poll_unit().is_none());
        let want: Vec<Bytes> = samples.iter().map(|s| s.data.clone()).collect();
        let n = want.len();
        if track.kind() == MediaKind::Video {
            // Video comes back with the parameter sets sent in-band before
            // keyframes: compare the non-keyframes exactly, count all.
            assert_eq!(got.len(), n, "{name} track {}", track.id);
            for (i, (g, s)) in got.iter().zip(&samples).enumerate() {
                if !s.keyframe {
                    assert_eq!(g, &s.data, "{name} access unit {i}");
                }
            }
        } else {
            assert_eq!(got, want, "{name} track {}", track.id);
        }
    }
}

#[test]
fn every_fixture_through_the_enums_from_tracks() {
    for name in ["h264_aac.mp4", "h265_aac.mp4", "h264_opus.mp4"] {
        round_trip(name, false);
    }
}

#[test]
fn every_fixture_through_the_enums_from_sdp() {
    for name in ["h264_aac.mp4", "h265_aac.mp4", "h264_opus.mp4"] {
        round_trip(name, true);
    }
}

#[test]
fn sdp_parameters_the_depacketizers_cannot_take_are_refused() {
    let file = fixture("h264_aac.mp4");
    let (tracks, _) = file.tracks_and_shifts();
    let video = &tracks[0];
    let form = mp4_nal_form(&video.codec);
    let mut media = media_for_codec(&video.codec, 96, 5004).unwrap();
    let fmtp = media.attributes.fmtp(96).unwrap().unwrap().to_string();
    let interleaved = fmtp.replace("packetization-mode=1", "packetization-mode=2");
    assert_ne!(fmtp, interleaved);
    let mut replaced = streamkit_rtp::sdp::Attributes::default();
    for a in media.attributes.iter() {
        if a.name == "fmtp" {
            replaced.push_value("fmtp", &interleaved);
        } else {
            replaced.push(a.clone());
        }
    }
    media.attributes = replaced;
    assert!(matches!(
        Depacketizer::from_media(&media, 96, form),
        Err(PayloadError::Unsupported { packet_type: 2, .. })
    ));
    // No rtpmap for the payload type.
    assert!(matches!(
        Depacketizer::from_media(&media, 99, form),
        Err(PayloadError::Sdp(SdpError::Codec { .. }))
    ));
}
