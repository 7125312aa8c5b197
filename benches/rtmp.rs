//! RTMP and FLV, each beside a peer on the same bytes:
//!
//! - `rtmp_chunk_demux`: the chunk stream of a publish (Set Chunk Size
//!   4096, then every tag of the h264_aac fixture as audio and video
//!   messages, 10 s of media) read into messages: streamkit-rtmp's
//!   `ChunkDecoder` beside `rml_rtmp`'s `ChunkDeserializer` (which applies
//!   Set Chunk Size when told, as its users do).
//! - `amf0_decode`: a `connect` command and an `onMetaData` as ffmpeg
//!   sends them: streamkit-rtmp's decoder beside `rml_amf0::deserialize`.
//! - `flv_tag_parse`: an FLV file of the fixture (our muxer's), every tag
//!   read and every audio and video tag body parsed to its packets,
//!   beside a `memcpy` of the same bytes (the floor).
//!
//! Run: `cargo bench --bench rtmp`
#![allow(clippy::expect_used, clippy::unwrap_used)] // a bench that cannot build its input has nothing to measure

use std::hint::black_box;
use std::io::Cursor;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use streamkit::core::flv::audio::AudioTag;
use streamkit::core::flv::video::VideoTag;
use streamkit::core::flv::{FlvHeader, FlvMuxer, FlvTags, MuxedTag, TagStyle, TagType};
use streamkit::core::mp4::Mp4File;
use streamkit::core::sample::Sample;
use streamkit::rtmp::amf::{Amf0Value, AmfLimits, amf0};
use streamkit::rtmp::chunk::{ChunkDecoder, ChunkEncoder, ChunkLimits, Message};

fn tags() -> Vec<MuxedTag> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/h264_aac.mp4");
    let file = Mp4File::parse(Bytes::from(std::fs::read(path).expect("fixture"))).expect("mp4");
    let (tracks, _) = file.tracks_and_shifts();
    let samples: Vec<Sample> = file.samples().collect();
    let muxer = FlvMuxer::new(&tracks, TagStyle::Compatible)
        .expect("muxer")
        .with_decode_delays(&FlvMuxer::decode_delays(&samples));
    let mut out = muxer.sequence_headers();
    out.extend(samples.iter().map(|s| muxer.tag(s).expect("tag")));
    out
}

/// The chunk stream a publisher sends: Set Chunk Size 4096, then the
/// tags on chunk streams 4 (audio) and 6 (video), message stream 1.
fn chunk_stream() -> (Vec<u8>, usize) {
    let mut encoder = ChunkEncoder::new();
    let mut wire = Vec::new();
    let mut push = |b: Bytes| wire.extend_from_slice(&b);
    let size = Message {
        csid: 2,
        timestamp: 0,
        type_id: 1,
        stream_id: 0,
        payload: Bytes::copy_from_slice(&4096u32.to_be_bytes()),
    };
    encoder.encode(&size, &[], &mut push).expect("encode");
    encoder.set_chunk_size(4096).expect("size");
    let tags = tags();
    for t in &tags {
        let (csid, type_id) = match t.tag_type {
            TagType::Audio => (4, 8),
            _ => (6, 9),
        };
        let m = Message {
            csid,
            timestamp: t.timestamp as u32,
            type_id,
            stream_id: 1,
            payload: t.data.clone(),
        };
        encoder
            .encode(&m, t.prefix.as_slice(), &mut push)
            .expect("encode");
    }
    (wire, tags.len() + 1)
}

fn chunk_demux(c: &mut Criterion) {
    let (wire, messages) = chunk_stream();
    let mut group = c.benchmark_group("rtmp_chunk_demux");
    group
        .throughput(Throughput::Bytes(wire.len() as u64))
        .measurement_time(Duration::from_secs(4));
    group.bench_function("streamkit", |b| {
        b.iter(|| {
            let mut d = ChunkDecoder::new(ChunkLimits::default());
            d.push(black_box(&wire));
            let mut n = 0;
            while let Some(m) = d.poll_message().expect("decode") {
                black_box(&m);
                n += 1;
            }
            assert_eq!(n, messages);
        });
    });
    group.bench_function("rml_rtmp", |b| {
        b.iter(|| {
            let mut d = rml_rtmp::chunk_io::ChunkDeserializer::new();
            let mut input: &[u8] = black_box(&wire);
            let mut n = 0;
            while let Some(m) = d.get_next_message(input).expect("decode") {
                input = &[];
                if m.type_id == 1 {
                    d.set_max_chunk_size(4096).expect("size");
                }
                black_box(&m);
                n += 1;
            }
            assert_eq!(n, messages);
        });
    });
    group.finish();
}

fn amf_inputs() -> Vec<u8> {
    let s = |v: &str| Amf0Value::String(v.into());
    let n = Amf0Value::Number;
    let connect = [
        s("connect"),
        n(1.0),
        Amf0Value::Object(vec![
            ("app".into(), s("live")),
            ("type".into(), s("nonprivate")),
            ("flashVer".into(), s("FMLE/3.0 (compatible; Lavf60.16.100)")),
            ("tcUrl".into(), s("rtmp://127.0.0.1:1935/live")),
        ]),
    ];
    let metadata = [
        s("@setDataFrame"),
        s("onMetaData"),
        Amf0Value::EcmaArray(vec![
            ("duration".into(), n(0.0)),
            ("width".into(), n(1920.0)),
            ("height".into(), n(1080.0)),
            ("videodatarate".into(), n(2500.0)),
            ("framerate".into(), n(30.0)),
            ("videocodecid".into(), n(7.0)),
            ("audiodatarate".into(), n(128.0)),
            ("audiosamplerate".into(), n(48_000.0)),
            ("audiosamplesize".into(), n(16.0)),
            ("stereo".into(), Amf0Value::Boolean(true)),
            ("audiocodecid".into(), n(10.0)),
            ("encoder".into(), s("Lavf60.16.100")),
            ("filesize".into(), n(0.0)),
        ]),
    ];
    let mut out = Vec::new();
    for v in connect.iter().chain(&metadata) {
        v.encode(&mut out).expect("encode");
    }
    out
}

fn amf0_decode(c: &mut Criterion) {
    let bytes = amf_inputs();
    let mut group = c.benchmark_group("amf0_decode");
    group
        .throughput(Throughput::Bytes(bytes.len() as u64))
        .measurement_time(Duration::from_secs(4));
    let limits = AmfLimits::default();
    group.bench_function("streamkit", |b| {
        b.iter(|| {
            let v = amf0::decode_all(black_box(&bytes), &limits).expect("decode");
            assert_eq!(v.len(), 6);
            black_box(v)
        });
    });
    group.bench_function("rml_amf0", |b| {
        b.iter(|| {
            let v = rml_amf0::deserialize(&mut Cursor::new(black_box(&bytes[..]))).expect("decode");
            assert_eq!(v.len(), 6);
            black_box(v)
        });
    });
    group.finish();
}

fn flv_tag_parse(c: &mut Criterion) {
    let mut file = BytesMut::new();
    FlvHeader {
        audio: true,
        video: true,
    }
    .write(&mut file);
    for t in tags() {
        t.write_file_tag(&mut file).expect("tag");
    }
    let file = file.freeze();
    let mut group = c.benchmark_group("flv_tag_parse");
    group
        .throughput(Throughput::Bytes(file.len() as u64))
        .measurement_time(Duration::from_secs(4));
    group.bench_function("streamkit", |b| {
        b.iter(|| {
            let mut packets = 0;
            for tag in FlvTags::new(black_box(file.clone())) {
                let tag = tag.expect("tag");
                match tag.tag_type {
                    TagType::Video => {
                        for p in VideoTag::parse(&tag.body).expect("video").packets() {
                            black_box(p.expect("packet"));
                            packets += 1;
                        }
                    }
                    TagType::Audio => {
                        for p in AudioTag::parse(&tag.body).expect("audio").packets() {
                            black_box(p.expect("packet"));
                            packets += 1;
                        }
                    }
                    _ => {}
                }
            }
            black_box(packets)
        });
    });
    let mut copy = vec![0u8; file.len()];
    group.bench_function("memcpy", |b| {
        b.iter(|| {
            copy.copy_from_slice(black_box(&file));
            black_box(&copy);
        });
    });
    group.finish();
}

criterion_group!(benches, chunk_demux, amf0_decode, flv_tag_parse);
criterion_main!(benches);
