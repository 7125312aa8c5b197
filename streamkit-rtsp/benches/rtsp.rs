//! RTSP message parse throughput: streamkit's reader beside `rtsp-types`
//! (crates.io) on the same requests and responses, in one group; and the
//! demux of a TCP stream of `$`-framed interleaved RTP and RTCP beside a
//! memcpy of the same bytes in the same chunks, in another, the payloads
//! taken as `Bytes` (`poll_frame`) and lent (`poll_frame_ref`).
#![allow(missing_docs)]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
#![allow(clippy::disallowed_methods)] // a virtual clock's origin

use std::time::Instant;

use bytes::Bytes;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use streamkit_core::clock::{UnixTime, WallClock};
use streamkit_core::mp4::Mp4File;
use streamkit_core::sample::Sample;
use streamkit_rtp::sender::{
    MediaSender, MediaSenderConfig, Pacing, TransmitKind, first_video_and_audio,
};
use streamkit_rtsp::message::{
    Frame, FrameRef, MessageReader, ReaderConfig, parse_frame, write_interleaved,
};

const MESSAGES: &[&[u8]] = &[
    b"SETUP rtsp://192.168.0.10:554/Streaming/Channels/101/trackID=1 RTSP/1.0\r\nCSeq: 3\r\nUser-Agent: LibVLC/3.0.18 (LIVE555 Streaming Media v2016.11.28)\r\nTransport: RTP/AVP;unicast;client_port=50000-50001\r\n\r\n",
    b"RTSP/1.0 200 OK\r\nCSeq: 3\r\nSession: 1273222592;timeout=60\r\nTransport: RTP/AVP;unicast;client_port=50000-50001;server_port=6970-6971;ssrc=3C9D2A1B\r\nDate: Wed, 02 Dec 2026 12:00:00 GMT\r\n\r\n",
    b"PLAY rtsp://192.168.0.10:554/Streaming/Channels/101/ RTSP/1.0\r\nCSeq: 5\r\nSession: 1273222592\r\nRange: npt=0.000-\r\n\r\n",
    b"RTSP/1.0 200 OK\r\nCSeq: 5\r\nSession: 1273222592\r\nRTP-Info: url=rtsp://192.168.0.10:554/Streaming/Channels/101/trackID=1;seq=1;rtptime=0,url=rtsp://192.168.0.10:554/Streaming/Channels/101/trackID=2;seq=1;rtptime=0\r\nRange: npt=0.000-\r\n\r\n",
];

fn parse(c: &mut Criterion) {
    let bytes: usize = MESSAGES.iter().map(|m| m.len()).sum();
    let mut group = c.benchmark_group("rtsp_parse");
    group.throughput(Throughput::Bytes(bytes as u64));
    let inputs: Vec<bytes::Bytes> = MESSAGES
        .iter()
        .map(|m| bytes::Bytes::from_static(m))
        .collect();
    let config = ReaderConfig::default();
    group.bench_function("streamkit parse_frame", |b| {
        b.iter(|| {
            for m in &inputs {
                std::hint::black_box(parse_frame(m, &config).unwrap());
            }
        });
    });
    group.bench_function("streamkit MessageReader", |b| {
        b.iter(|| {
            let mut reader = MessageReader::new(config);
            for m in MESSAGES {
                reader.push(m);
                std::hint::black_box(reader.poll_frame().unwrap().unwrap());
            }
        });
    });
    group.bench_function("rtsp-types", |b| {
        b.iter(|| {
            for m in MESSAGES {
                std::hint::black_box(rtsp_types::Message::<Vec<u8>>::parse(m).unwrap());
            }
        });
    });
    group.finish();
}

/// The fixture's samples with the video's bytes of a camera's stream: each
/// frame one slice NAL unit of the size a 1080p camera at 4 Mbit/s sends
/// (an 80 kB IDR every 2 s, 15 kB otherwise; pseudo-random bytes, which the
/// packetizer never reads), on the fixture's times; audio as it is.
fn camera_samples(file: &Mp4File, video: u32) -> Vec<Sample> {
    let mut seed = 0x2545_f491_4f6c_dd1d_u64;
    file.samples()
        .map(|mut s| {
            if s.track_id == video {
                let len: usize = if s.keyframe { 80_000 } else { 15_000 };
                let mut data = Vec::with_capacity(4 + len);
                data.extend_from_slice(&(len as u32).to_be_bytes());
                data.push(if s.keyframe { 0x65 } else { 0x41 });
                while data.len() < 4 + len {
                    seed ^= seed << 13;
                    seed ^= seed >> 7;
                    seed ^= seed << 17;
                    data.push(seed as u8);
                }
                s.data = Bytes::from(data);
            }
            s
        })
        .collect()
}

/// The bytes a server writes to an RTSP-over-TCP viewer of
/// tests/fixtures/h264_aac.mp4: every RTP packet of its video (channel 0)
/// and audio (channel 2) and the RTCP (sender reports, BYEs: channels 1
/// and 3) a streamkit media sender makes of it, each framed with `$`, and
/// a GET_PARAMETER keep-alive in the middle.
fn interleaved_stream(camera: bool) -> (Vec<u8>, usize) {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../tests/fixtures/h264_aac.mp4"
    );
    let file = Mp4File::parse(Bytes::from(std::fs::read(path).unwrap())).unwrap();
    let (tracks, shifts) = file.tracks_and_shifts();
    let tracks = first_video_and_audio(&tracks);
    let samples: Vec<Sample> = if camera {
        camera_samples(&file, tracks[0].id)
    } else {
        file.samples().collect()
    };
    let t0 = Instant::now();
    let mut config = MediaSenderConfig::new(
        "bench@streamkit",
        1,
        WallClock::new(t0, UnixTime::from_unix_millis(0)),
    );
    config.pacing = Pacing::Live;
    config.max_queued_payloads = 1 << 16;
    let mut sender = MediaSender::new(config, &tracks, &shifts).unwrap();
    sender.start(t0);
    for sample in &samples {
        sender.push(sample).unwrap();
    }
    sender.finish().unwrap();
    let mut datagrams = Vec::new();
    loop {
        while let Some(t) = sender.poll_transmit(t0) {
            let video = t.track_id == tracks[0].id;
            let channel = match (video, t.kind) {
                (true, TransmitKind::Rtp) => 0,
                (true, _) => 1,
                (false, TransmitKind::Rtp) => 2,
                (false, _) => 3,
            };
            datagrams.push((channel, t.datagram.to_vec()));
        }
        if sender.poll_timeout().is_none() {
            break;
        }
        sender.handle_timeout(t0);
    }
    let mut out = Vec::new();
    let mut frames = 0;
    let middle = datagrams.len() / 2;
    for (i, (channel, d)) in datagrams.iter().enumerate() {
        if i == middle {
            out.extend_from_slice(
                b"GET_PARAMETER rtsp://127.0.0.1:8554/vod/h264_aac/ RTSP/1.0\r\nCSeq: 9\r\nSession: 8A3F2C1D9E4B7A60\r\nUser-Agent: Lavf59.27.100\r\n\r\n",
            );
            frames += 1;
        }
        out.extend_from_slice(&write_interleaved(*channel, d.len()).unwrap());
        out.extend_from_slice(d);
        frames += 1;
    }
    (out, frames)
}

fn demux(c: &mut Criterion) {
    for (group_name, camera) in [
        ("rtsp_interleaved_demux", false),
        ("rtsp_interleaved_demux_camera", true),
    ] {
        demux_group(c, group_name, camera);
    }
}

fn demux_group(c: &mut Criterion, group_name: &str, camera: bool) {
    let (stream, frames) = interleaved_stream(camera);
    let mut group = c.benchmark_group(group_name);
    group.throughput(Throughput::Bytes(stream.len() as u64));
    // Reads of one TCP segment on loopback's 1500-byte MTU path, and of
    // serve's 64 KiB read buffer.
    for chunk in [1448usize, 64 * 1024] {
        group.bench_function(format!("memcpy {chunk} B reads"), |b| {
            let mut buf = vec![0u8; chunk];
            b.iter(|| {
                for piece in stream.chunks(chunk) {
                    buf[..piece.len()].copy_from_slice(piece);
                    std::hint::black_box(&buf);
                }
            });
        });
        group.bench_function(format!("streamkit MessageReader {chunk} B reads"), |b| {
            let mut reader = MessageReader::new(ReaderConfig::default());
            b.iter(|| {
                let mut n = 0;
                for piece in stream.chunks(chunk) {
                    reader.push(piece);
                    // As a server's read loop takes them: the payload
                    // out by value, a message whole.
                    loop {
                        match reader.poll_frame() {
                            Ok(Some(Frame::Interleaved { channel, data })) => {
                                std::hint::black_box(channel);
                                std::hint::black_box(&data);
                            }
                            Ok(Some(message)) => {
                                std::hint::black_box(message);
                            }
                            Ok(None) => break,
                            Err(e) => panic!("{e}"),
                        }
                        n += 1;
                    }
                }
                assert_eq!(n, frames);
            });
        });
        group.bench_function(
            format!("streamkit MessageReader poll_frame_ref {chunk} B reads"),
            |b| {
                let mut reader = MessageReader::new(ReaderConfig::default());
                b.iter(|| {
                    let mut n = 0;
                    for piece in stream.chunks(chunk) {
                        reader.push(piece);
                        // The payload lent until the next call: what a
                        // caller that parses or copies it at once takes.
                        loop {
                            match reader.poll_frame_ref() {
                                Ok(Some(FrameRef::Interleaved { channel, data })) => {
                                    std::hint::black_box(channel);
                                    std::hint::black_box(data);
                                }
                                Ok(Some(message)) => {
                                    std::hint::black_box(message);
                                }
                                Ok(None) => break,
                                Err(e) => panic!("{e}"),
                            }
                            n += 1;
                        }
                    }
                    assert_eq!(n, frames);
                });
            },
        );
    }
    group.finish();
}

criterion_group!(benches, parse, demux);
criterion_main!(benches);
