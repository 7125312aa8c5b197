//! Runs every fuzz target of streamkit-rtp (`streamkit_rtp::fuzz`, called
//! by `fuzz/` at the repository root) over seeds: packets with CSRCs,
//! extensions of both forms and padding, an RTCP compound of every packet
//! type, SDP from the fixtures' codec configurations, depacketizer inputs
//! cut from the fixtures' packetized samples, and edge inputs. Cheap, so
//! the targets' checks run on every test run and not only under libFuzzer.

// Test code: a failed read is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::PathBuf;
use streamkit_rtp::error::PayloadError;

use bytes::Bytes;
use streamkit_core::codec::CodecConfig;
use streamkit_core::mp4::Mp4File;
use streamkit_core::nal::NalLengthSize;
use streamkit_core::time::{RtpTimestamp, SequenceNumber};
use streamkit_rtp::extension::{ExtensionBlock, ExtensionElement, ExtensionForm};
use streamkit_rtp::fuzz;
use streamkit_rtp::packet::RtpHeader;
use streamkit_rtp::payload::aac::AacPacketizer;
use streamkit_rtp::payload::h264::H264Packetizer;
use streamkit_rtp::payload::h265::H265Packetizer;
use streamkit_rtp::payload::opus::{OpusPacketizer, OpusPayload};
use streamkit_rtp::rtcp::{
    App, FirEntry, FullIntraRequest, GenericNack, Goodbye, NtpTimestamp, PictureLossIndication,
    ReceiverReport, ReportBlock, RtcpPacket, SdesChunk, SdesItem, SenderReport, SourceDescription,
    write_compound,
};
use streamkit_rtp::sdp::codec::media_for_codec;
use streamkit_rtp::sdp::{Origin, SessionDescription};

/// Pushes one Opus packet and polls its payload.
fn opus_payload(
    p: &mut OpusPacketizer,
    timestamp: RtpTimestamp,
    packet: Bytes,
) -> Result<OpusPayload, PayloadError> {
    p.push(timestamp, packet)?;
    p.poll_payload().ok_or(PayloadError::OutputPending)
}

fn fixture(name: &str) -> Mp4File {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/fixtures")
        .join(name);
    let data = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    Mp4File::parse(Bytes::from(data)).unwrap()
}

fn every_target(data: &[u8]) {
    fuzz::rtp_packet(data);
    fuzz::rtcp(data);
    fuzz::sdp(data);
    fuzz::depacketize(data);
}

fn packet(header: &RtpHeader<'_>, payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    header.write(payload, &mut out).unwrap();
    out
}

#[test]
fn rtp_packets_pass_every_target() {
    let csrcs = [1, 2, 3];
    let elements = [
        ExtensionElement {
            id: 1,
            data: &[0xaa],
        },
        ExtensionElement {
            id: 14,
            data: &[1; 16],
        },
    ];
    let wide = [
        ExtensionElement { id: 200, data: &[] },
        ExtensionElement {
            id: 3,
            data: &[7; 40],
        },
    ];
    let base = RtpHeader {
        marker: true,
        payload_type: 96,
        sequence_number: SequenceNumber::new(65535),
        timestamp: RtpTimestamp::new(u32::MAX),
        ssrc: 0x1234_5678,
        ..RtpHeader::default()
    };
    let headers = [
        base,
        RtpHeader {
            csrcs: &csrcs,
            padding: 7,
            ..base
        },
        RtpHeader {
            extension: Some(ExtensionBlock::Elements(&elements)),
            ..base
        },
        RtpHeader {
            extension: Some(ExtensionBlock::Elements(&wide)),
            padding: 1,
            ..base
        },
        RtpHeader {
            extension: Some(ExtensionBlock::ElementsInForm(
                ExtensionForm::TwoByte { appbits: 5 },
                &elements,
            )),
            ..base
        },
        RtpHeader {
            extension: Some(ExtensionBlock::Raw {
                profile: 0x1234,
                data: &[9; 8],
            }),
            ..base
        },
    ];
    for header in &headers {
        for payload in [&[][..], &[0x65, 1, 2, 3][..]] {
            every_target(&packet(header, payload));
        }
    }
}

#[test]
fn rtcp_compound_passes_every_target() {
    let block = ReportBlock {
        ssrc: 2,
        fraction_lost: 3,
        cumulative_lost: -4,
        extended_highest_sequence: 5,
        jitter: 6,
        last_sender_report: 7,
        delay_since_last_sender_report: 8,
    };
    let packets = vec![
        RtcpPacket::SenderReport(SenderReport {
            ssrc: 1,
            ntp_time: NtpTimestamp(0x1122_3344_5566_7788),
            rtp_timestamp: RtpTimestamp::new(90_000),
            packet_count: 10,
            octet_count: 1000,
            reports: vec![block],
            profile_extension: Bytes::new(),
        }),
        RtcpPacket::ReceiverReport(ReceiverReport {
            ssrc: 1,
            reports: vec![block],
            profile_extension: Bytes::from_static(&[1, 2, 3, 4]),
        }),
        RtcpPacket::SourceDescription(SourceDescription {
            chunks: vec![SdesChunk {
                source: 1,
                items: vec![
                    SdesItem::cname("camera@example"),
                    SdesItem::private(b"x", b"y").unwrap(),
                ],
            }],
        }),
        RtcpPacket::GenericNack(GenericNack::from_lost(
            1,
            2,
            &[
                SequenceNumber::new(10),
                SequenceNumber::new(12),
                SequenceNumber::new(40),
            ],
        )),
        RtcpPacket::PictureLossIndication(PictureLossIndication {
            sender_ssrc: 1,
            media_ssrc: 2,
        }),
        RtcpPacket::FullIntraRequest(FullIntraRequest {
            sender_ssrc: 1,
            media_ssrc: 0,
            entries: vec![FirEntry {
                ssrc: 2,
                sequence_number: 9,
            }],
        }),
        RtcpPacket::App(App {
            subtype: 1,
            ssrc: 1,
            name: *b"TEST",
            data: Bytes::from_static(&[0; 4]),
        }),
        RtcpPacket::Goodbye(Goodbye {
            sources: vec![1],
            reason: Some(Bytes::from_static(b"done")),
        }),
    ];
    let mut wire = Vec::new();
    write_compound(&packets, &mut wire).unwrap();
    every_target(&wire);
    for cut in [4, 28, wire.len() - 4] {
        every_target(&wire[..cut]);
    }
}

#[test]
fn fixture_streams_pass_every_target() {
    let mut seeds = 0;
    for name in ["h264_aac.mp4", "h265_aac.mp4", "h264_opus.mp4"] {
        let file = fixture(name);
        let mut sdp = SessionDescription::new(
            Origin {
                username: "-".into(),
                session_id: "1".into(),
                session_version: "1".into(),
                net_type: "IN".into(),
                addr_type: "IP4".into(),
                unicast_address: "127.0.0.1".into(),
            },
            "fixture",
        );
        for (i, track) in file.tracks().iter().enumerate() {
            let Some(codec) = track.codec() else { continue };
            sdp.media
                .push(media_for_codec(codec, 96 + i as u8, 5004).unwrap());
            let samples: Vec<Bytes> = file
                .track_samples(track.id())
                .unwrap()
                .take(4)
                .map(|s| s.data)
                .collect();
            // Selector byte: bits 0-1 the depacketizer, bits 2-3 the form.
            let (selector, payloads) = match codec {
                CodecConfig::H264(_) => {
                    let mut p = H264Packetizer::new(200, NalLengthSize::Four).unwrap();
                    let mut out = Vec::new();
                    for s in &samples {
                        p.push(RtpTimestamp::new(0), s.clone()).unwrap();
                        while let Some(payload) = p.poll_payload() {
                            out.push(payload.to_bytes());
                        }
                    }
                    (0b1100, out)
                }
                CodecConfig::H265(_) => {
                    let mut p = H265Packetizer::new(200, NalLengthSize::Four).unwrap();
                    let mut out = Vec::new();
                    for s in &samples {
                        p.push(RtpTimestamp::new(0), s.clone()).unwrap();
                        while let Some(payload) = p.poll_payload() {
                            out.push(payload.to_bytes());
                        }
                    }
                    (0b0001, out)
                }
                CodecConfig::Aac(_) => {
                    let mut p = AacPacketizer::new(200, 1024).unwrap();
                    let mut out = Vec::new();
                    for s in &samples {
                        p.push(RtpTimestamp::new(0), s.clone()).unwrap();
                        while let Some(payload) = p.poll_payload() {
                            out.push(payload.to_bytes());
                        }
                    }
                    p.finish().unwrap();
                    while let Some(payload) = p.poll_payload() {
                        out.push(payload.to_bytes());
                    }
                    (0b0010, out)
                }
                CodecConfig::Opus(_) => {
                    let mut p = OpusPacketizer::new(255).unwrap();
                    let out = samples
                        .iter()
                        .map(|s| {
                            opus_payload(&mut p, RtpTimestamp::new(0), s.clone())
                                .unwrap()
                                .into_data()
                        })
                        .collect();
                    (0b0011, out)
                }
                _ => continue,
            };
            // Records: length, flags (marker, sequence step 1, timestamp
            // step 1), payload.
            let mut input = vec![selector];
            for payload in &payloads {
                assert!(payload.len() <= 255, "payload of {} bytes", payload.len());
                input.extend_from_slice(&[payload.len() as u8, 0b0001_0011]);
                input.extend_from_slice(payload);
            }
            every_target(&input);
            // The same packets into an Annex-B depacketizer.
            input[0] &= 0b0011;
            every_target(&input);
            seeds += 1;
        }
        every_target(sdp.write().unwrap().as_bytes());
    }
    assert_eq!(seeds, 6);
}

#[test]
fn edge_inputs_pass_every_target() {
    let inputs: &[&[u8]] = &[
        &[],
        &[0x80],
        &[0x80; 12],
        &[0xa0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
        &[0x90, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xbe, 0xde, 0xff, 0xff],
        &[0x81, 0xc8, 0, 0],
        &[0xff; 40],
        b"v=0\r\n",
        b"v=0\no=- 0 0 IN IP4 0\ns= \nt=0 0\nm=audio 0 RTP/AVP 97\na=rtpmap:97 MPEG4-GENERIC/48000/2\na=fmtp:97 config=zz\n",
    ];
    for data in inputs {
        every_target(data);
    }
}
