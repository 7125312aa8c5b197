//! RTSP message parse throughput: streamkit's reader beside `rtsp-types`
//! (crates.io) on the same requests and responses, in one group.
#![allow(missing_docs)]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use streamkit_rtsp::message::{MessageReader, ReaderConfig, parse_frame};

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

criterion_group!(benches, parse);
criterion_main!(benches);
