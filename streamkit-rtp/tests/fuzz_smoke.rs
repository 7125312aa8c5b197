//! Runs every fuzz target of streamkit-rtp (`streamkit_rtp::fuzz`, called
//! by `fuzz/` at the repository root) over seeds: packets with CSRCs,
//! extensions of both forms and padding, an RTCP compound of every packet
//! type, SDP from the fixtures' codec configurations, depacketizer inputs
//! cut from the fixtures' packetized samples, and edge inputs. Cheap, so
//! the targets' checks run on every test run and not only under libFuzzer.

// Test code: a failed read is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::PathBuf;

use bytes::Bytes;
use streamkit_core::codec::CodecConfig;
use streamkit_core::mp4::Mp4File;
use streamkit_core::time::{RtpTimestamp, SequenceNumber};
use streamkit_rtp::extension::{ExtensionBlock, ExtensionElement, ExtensionForm};
use streamkit_rtp::fuzz;
use streamkit_rtp::packet::RtpHeader;
use streamkit_rtp::payload::latm::LatmPacketizer;
use streamkit_rtp::payload::{Packetizer, PacketizerConfig};
use streamkit_rtp::rtcp::{
    App, FirEntry, FullIntraRequest, GenericNack, Goodbye, NtpTimestamp, PictureLossIndication,
    ReceiverReport, ReportBlock, RtcpPacket, SdesChunk, SdesItem, SenderReport, SourceDescription,
    write_compound,
};
use streamkit_rtp::sdp::codec::media_for_codec;
use streamkit_rtp::sdp::{Origin, SessionDescription};

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
    fuzz::latm(data);
    fuzz::jitter(origin(), data);
    fuzz::receiver(origin(), data);
}

#[allow(clippy::disallowed_methods)] // the fuzz targets' virtual clocks start here
fn origin() -> std::time::Instant {
    std::time::Instant::now()
}

/// Deterministic pseudo-random inputs (xorshift): `count` of up to `max`
/// bytes from `seed`.
fn random_inputs(seed: u64, count: usize, max: usize) -> Vec<Vec<u8>> {
    let mut x = seed | 1;
    let mut next = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    (0..count)
        .map(|_| {
            let len = (next() % max as u64) as usize;
            (0..len).map(|_| next() as u8).collect()
        })
        .collect()
}

/// Jitter buffer records: sequence number and a time step (top bit: a
/// timeout instead).
fn arrivals(seqs: &[u16], step: u8) -> Vec<u8> {
    let mut v = vec![50, 16];
    for &s in seqs {
        v.extend_from_slice(&s.to_be_bytes());
        v.push(step);
    }
    v
}

#[test]
fn jitter_buffer_arrivals_pass_the_jitter_target() {
    let t = origin();
    let seeds = [
        arrivals(&[1, 2, 3, 4, 5], 10),
        arrivals(&[65_534, 0, 65_535, 2, 1], 5),
        arrivals(&[10, 14, 13, 11, 12, 12, 13], 30),
        arrivals(&[0, 5_000, 5_001, 3, 60_000], 1),
        arrivals(&(0..200).map(|i| (i * 7) % 64).collect::<Vec<u16>>(), 3),
        // Timeouts between the packets.
        vec![20, 4, 0, 1, 10, 0, 3, 0x80 | 100, 0, 2, 5, 0, 0, 0xff],
        // Capacity 1.
        vec![0, 0, 0, 1, 1, 0, 3, 1, 0, 2, 1],
    ];
    for s in &seeds {
        fuzz::jitter(t, s);
    }
    for input in random_inputs(0x1177, 300, 400) {
        fuzz::jitter(t, &input);
    }
}

#[test]
fn receiver_session_inputs_pass_the_receiver_target() {
    let t = origin();
    // RTP: kind 0, source, seq, timestamp; kind 2: a timeout; kind 3: a PLI.
    let mut stream = vec![0b11]; // NACKs and the RFC 4585 rules
    for seq in [1u16, 2, 3, 5, 6, 9, 8, 7, 20, 21] {
        stream.push(0b0000_0100); // 7 ms later
        stream.push(0);
        stream.extend_from_slice(&seq.to_be_bytes());
        stream.extend_from_slice(&(seq * 3).to_be_bytes());
    }
    // Thirty timeouts, 441 ms apart.
    stream.extend(std::iter::repeat_n(0b1111_1110, 30));
    stream.extend_from_slice(&[3, 0, 2, 3, 1]);
    let mut sr = Vec::new();
    write_compound(
        &[RtcpPacket::SenderReport(SenderReport {
            ssrc: 0x1111,
            ntp_time: NtpTimestamp::new(3_900_000_000, 0),
            rtp_timestamp: RtpTimestamp::new(0),
            packet_count: 1,
            octet_count: 1,
            reports: vec![],
            profile_extension: Bytes::new(),
        })],
        &mut sr,
    )
    .unwrap();
    let mut with_rtcp = vec![0b01, 1, sr.len() as u8];
    with_rtcp.extend_from_slice(&sr);
    with_rtcp.extend_from_slice(&[2 | 0b1000_0000, 0, 0, 0, 1, 0, 1]);
    let mut bye = Vec::new();
    write_compound(
        &[RtcpPacket::Goodbye(Goodbye {
            sources: vec![0x1111],
            reason: None,
        })],
        &mut bye,
    )
    .unwrap();
    with_rtcp.extend_from_slice(&[1, bye.len() as u8]);
    with_rtcp.extend_from_slice(&bye);
    with_rtcp.push(2);
    for seed in [stream, with_rtcp, vec![0b10], vec![0, 0, 1]] {
        fuzz::receiver(t, &seed);
    }
    for input in random_inputs(0x2288, 300, 300) {
        fuzz::receiver(t, &input);
    }
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
            let mut p = Packetizer::for_codec(codec, PacketizerConfig::new(255, 1)).unwrap();
            let selector = match p {
                Packetizer::H264(_) => 0b1100,
                Packetizer::H265(_) => 0b0001,
                Packetizer::Aac(_) => 0b0010,
                Packetizer::Opus(_) => 0b0011,
                _ => continue,
            };
            let mut payloads = Vec::new();
            let mut poll = |p: &mut Packetizer| {
                while let Some(payload) = p.poll_payload() {
                    let mut bytes = Vec::new();
                    payload.write_to(&mut bytes).unwrap();
                    payloads.push(bytes);
                }
            };
            for s in &samples {
                p.push(RtpTimestamp::new(0), s.clone()).unwrap();
                poll(&mut p);
            }
            p.finish().unwrap();
            poll(&mut p);
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

#[test]
fn camera_descriptions_pass_every_target() {
    // The quirk vectors (one file per way devices bend RFC 8866), whole,
    // cut and with bytes changed: the lenient reads write, the strict
    // reader agrees with them.
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/sdp_quirks");
    let mut files = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "sdp") {
            continue;
        }
        let text = std::fs::read(&path).unwrap();
        every_target(&text);
        for cut in [text.len() / 3, text.len() / 2, text.len() - 1] {
            every_target(&text[..cut]);
        }
        for (i, noise) in random_inputs(text.len() as u64, 20, 4)
            .into_iter()
            .enumerate()
        {
            let mut bent = text.clone();
            for (k, b) in noise.into_iter().enumerate() {
                let at = (i * 37 + k * 101) % bent.len();
                bent[at] = b;
            }
            every_target(&bent);
        }
        files += 1;
    }
    assert_eq!(files, 24);
}

/// Records of the `latm` target: each payload after its length and flags
/// (marker, a sequence step of 1, a timestamp step of one frame when it
/// starts a frame).
fn latm_records(frames: &[Bytes], mtu: usize) -> Vec<u8> {
    let mut p = LatmPacketizer::new(mtu).unwrap();
    let mut out = Vec::new();
    for (i, f) in frames.iter().enumerate() {
        p.push(RtpTimestamp::new(1024 * i as u32), f.clone())
            .unwrap();
        let mut first = true;
        while let Some(payload) = p.poll_payload() {
            let bytes = payload.to_bytes();
            out.push(bytes.len() as u8);
            out.push(u8::from(payload.marker()) | 2 | if first { 0x10 } else { 0 });
            out.extend_from_slice(&bytes);
            first = false;
        }
    }
    out
}

#[test]
fn latm_streams_pass_the_latm_target() {
    let mp4 = fixture("h264_aac.mp4");
    let audio = mp4
        .tracks()
        .iter()
        .find(|t| matches!(t.codec(), Some(CodecConfig::Aac(_))))
        .unwrap();
    let frames: Vec<Bytes> = mp4
        .track_samples(audio.id())
        .unwrap()
        .take(40)
        .map(|s| s.data)
        .collect();
    for mtu in [40, 100, 250] {
        let records = latm_records(&frames, mtu);
        let mut input = vec![0];
        input.extend_from_slice(&records);
        fuzz::latm(&input);
        // Every third packet lost.
        let mut lossy = vec![0];
        let mut rest = &records[..];
        let mut i = 0;
        while let [len, flags, tail @ ..] = rest {
            let n = usize::from(*len).min(tail.len());
            let step = if i % 3 == 2 { 4 } else { 2 };
            lossy.extend_from_slice(&[*len, (*flags & !0x0e) | step]);
            lossy.extend_from_slice(&tail[..n]);
            rest = &tail[n..];
            i += 1;
        }
        fuzz::latm(&lossy);
    }
    // GStreamer's config from the input, cpresent=1.
    let gst = [0x40, 0x00, 0x24, 0x10, 0xad, 0xca, 0x00];
    let mut input = vec![3, gst.len() as u8];
    input.extend_from_slice(&gst);
    input.extend_from_slice(&[4, 3, 0x80, 0x81, 0x02, 0x03]);
    fuzz::latm(&input);
    for input in random_inputs(0x1a7e, 400, 300) {
        fuzz::latm(&input);
        let mut with_config = vec![2 | input.first().copied().unwrap_or(0), 7];
        with_config.extend_from_slice(&gst);
        with_config.extend_from_slice(&input);
        fuzz::latm(&with_config);
    }
}
