//! FLV properties: arbitrary bytes never panic any parser or the
//! demuxer; video and audio tag bodies (legacy, enhanced, ModEx,
//! multitrack) round trip; samples through the muxer and the demuxer come
//! back with their times and bytes; a hand-made Enhanced RTMP multitrack
//! tag reads as the specification lays it out.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use bytes::{Bytes, BytesMut};
use proptest::prelude::*;
use streamkit_core::codec::CodecConfig;
use streamkit_core::codec::aac::AacConfig;
use streamkit_core::codec::opus::OpusConfig;
use streamkit_core::flv::audio::{AudioCodec, AudioPacket, AudioPacketType, AudioTag};
use streamkit_core::flv::video::{
    FrameType, LEGACY_AVC, VideoCodec, VideoPacket, VideoPacketType, VideoTag,
};
use streamkit_core::flv::{
    FlvDemuxer, FlvEvent, FlvHeader, FlvMuxer, FlvTag, FlvTags, FourCc, MultitrackType, TagStyle,
    TagType, fuzz_parsers,
};
use streamkit_core::sample::Sample;
use streamkit_core::time::Timescale;
use streamkit_core::track::Track;

fn video_codec() -> impl Strategy<Value = VideoCodec> {
    prop_oneof![
        Just(VideoCodec::FourCc(FourCc::AVC)),
        Just(VideoCodec::FourCc(FourCc::HEVC)),
        Just(VideoCodec::FourCc(FourCc::AV1)),
        Just(VideoCodec::FourCc(FourCc::VP9)),
    ]
}

fn video_packet_type() -> impl Strategy<Value = VideoPacketType> {
    prop_oneof![
        Just(VideoPacketType::SequenceStart),
        Just(VideoPacketType::CodedFrames),
        Just(VideoPacketType::SequenceEnd),
        Just(VideoPacketType::CodedFramesX),
        Just(VideoPacketType::Metadata),
    ]
}

fn frame_type() -> impl Strategy<Value = FrameType> {
    prop_oneof![
        Just(FrameType::Key),
        Just(FrameType::Inter),
        Just(FrameType::DisposableInter),
        Just(FrameType::GeneratedKey),
    ]
}

fn data() -> impl Strategy<Value = Bytes> {
    prop::collection::vec(any::<u8>(), 0..64).prop_map(Bytes::from)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..2048)) {
        fuzz_parsers(&bytes);
    }

    #[test]
    fn enhanced_video_tags_round_trip(
        frame in frame_type(),
        nanos in 0u32..1_000_000,
        packet_type in video_packet_type(),
        layout in prop_oneof![Just(None), Just(Some(MultitrackType::OneTrack)), Just(Some(MultitrackType::ManyTracks)), Just(Some(MultitrackType::ManyTracksManyCodecs))],
        codecs in prop::collection::vec(video_codec(), 1..4),
        payloads in prop::collection::vec(data(), 1..4),
        cto in -0x80_0000i32..0x80_0000,
    ) {
        let count = match layout {
            None | Some(MultitrackType::OneTrack) => 1,
            _ => payloads.len().min(codecs.len()),
        };
        let packets: Vec<VideoPacket> = (0..count)
            .map(|i| {
                let codec = if layout == Some(MultitrackType::ManyTracksManyCodecs) { codecs[i] } else { codecs[0] };
                let composition_time = if packet_type == VideoPacketType::CodedFrames && codec.has_composition_time() { cto } else { 0 };
                VideoPacket { track_id: i as u8 * 3, codec, packet_type, composition_time, data: payloads[i].clone() }
            })
            .collect();
        let mut body = BytesMut::new();
        VideoTag::write(frame, nanos, layout, &packets, &mut body).unwrap();
        let tag = VideoTag::parse(&body.freeze()).unwrap();
        prop_assert!(tag.enhanced);
        prop_assert_eq!(tag.frame_type, frame);
        prop_assert_eq!(tag.timestamp_offset_nanos, nanos);
        prop_assert_eq!(tag.multitrack, layout);
        let back: Vec<VideoPacket> = tag.packets().collect::<Result<_, _>>().unwrap();
        prop_assert_eq!(back, packets);
    }

    #[test]
    fn legacy_avc_and_aac_tags_round_trip(frame in frame_type(), cto in -0x80_0000i32..0x80_0000, payload in data(), start in any::<bool>()) {
        let packet_type = if start { VideoPacketType::SequenceStart } else { VideoPacketType::CodedFrames };
        let p = VideoPacket {
            track_id: 0,
            codec: VideoCodec::Legacy(LEGACY_AVC),
            packet_type,
            composition_time: if start { 0 } else { cto },
            data: payload.clone(),
        };
        let mut body = BytesMut::new();
        VideoTag::write(frame, 0, None, std::slice::from_ref(&p), &mut body).unwrap();
        prop_assert_eq!(body.len(), 5 + payload.len());
        let tag = VideoTag::parse(&body.freeze()).unwrap();
        prop_assert!(!tag.enhanced);
        prop_assert_eq!(tag.packets().collect::<Result<Vec<_>, _>>().unwrap(), vec![p]);

        let a = AudioPacket {
            track_id: 0,
            codec: AudioCodec::LEGACY_AAC,
            packet_type: if start { AudioPacketType::SequenceStart } else { AudioPacketType::CodedFrames },
            data: payload,
        };
        let mut body = BytesMut::new();
        AudioTag::write(0, None, std::slice::from_ref(&a), &mut body).unwrap();
        prop_assert_eq!(body[0], 0xaf);
        let tag = AudioTag::parse(&body.freeze()).unwrap();
        prop_assert_eq!(tag.packets().collect::<Result<Vec<_>, _>>().unwrap(), vec![a]);
    }

    #[test]
    fn enhanced_audio_tags_round_trip(
        nanos in 0u32..1_000_000,
        layout in prop_oneof![Just(None), Just(Some(MultitrackType::OneTrack)), Just(Some(MultitrackType::ManyTracks)), Just(Some(MultitrackType::ManyTracksManyCodecs))],
        start in any::<bool>(),
        payloads in prop::collection::vec(data(), 1..4),
        opus in prop::collection::vec(any::<bool>(), 4),
    ) {
        let count = match layout {
            None | Some(MultitrackType::OneTrack) => 1,
            _ => payloads.len(),
        };
        let codec = |i: usize| AudioCodec::FourCc(if opus[i] { FourCc::OPUS } else { FourCc::AAC });
        let packets: Vec<AudioPacket> = (0..count)
            .map(|i| AudioPacket {
                track_id: i as u8,
                codec: if layout == Some(MultitrackType::ManyTracksManyCodecs) { codec(i) } else { codec(0) },
                packet_type: if start { AudioPacketType::SequenceStart } else { AudioPacketType::CodedFrames },
                data: payloads[i].clone(),
            })
            .collect();
        let mut body = BytesMut::new();
        AudioTag::write(nanos, layout, &packets, &mut body).unwrap();
        let tag = AudioTag::parse(&body.freeze()).unwrap();
        prop_assert!(tag.enhanced);
        prop_assert_eq!(tag.timestamp_offset_nanos, nanos);
        prop_assert_eq!(tag.packets().collect::<Result<Vec<_>, _>>().unwrap(), packets);
    }

    #[test]
    fn file_tags_round_trip(tags in prop::collection::vec((prop_oneof![Just(TagType::Audio), Just(TagType::Video), Just(TagType::Script)], any::<u32>(), data()), 0..8)) {
        let mut file = BytesMut::new();
        FlvHeader { audio: true, video: true }.write(&mut file);
        let tags: Vec<FlvTag> = tags.into_iter().map(|(tag_type, timestamp, body)| FlvTag { tag_type, timestamp, body }).collect();
        for t in &tags {
            t.write(&mut file).unwrap();
        }
        let back: Vec<FlvTag> = FlvTags::new(file.freeze()).collect::<Result<_, _>>().unwrap();
        prop_assert_eq!(back, tags);
    }

    /// Samples at whole milliseconds through the muxer (either style) and
    /// the demuxer: the same times (at 90 kHz for video), key frames and
    /// bytes; audio on its frame grid.
    #[test]
    fn samples_through_muxer_and_demuxer(
        enhanced in any::<bool>(),
        ctos in prop::collection::vec(0i32..10, 2..20),
        gaps in prop::collection::vec(1i64..80, 2..20),
    ) {
        let style = if enhanced { TagStyle::Enhanced } else { TagStyle::Compatible };
        let tracks = vec![
            Track::new(1, Timescale::VIDEO_90KHZ, CodecConfig::H264(avc())),
            Track::new(2, Timescale::AUDIO_48KHZ, CodecConfig::Aac(AacConfig::new(2, 48_000, 2).unwrap())),
        ];
        let muxer = FlvMuxer::new(&tracks, style).unwrap();
        let mut demuxer = FlvDemuxer::new();
        for t in muxer.sequence_headers() {
            demuxer.push_tag(t.tag_type, t.timestamp, &t.to_body()).unwrap();
        }
        let mut video = Vec::new();
        let mut ms = 0i64;
        for (i, (gap, cto)) in gaps.iter().zip(&ctos).enumerate() {
            video.push(Sample {
                track_id: 1, dts: ms * 90, composition_offset: cto * 90 * 10, duration: (*gap as u32) * 90,
                timescale: Timescale::VIDEO_90KHZ, keyframe: i == 0, data: Bytes::from(vec![i as u8; 10]),
            });
            ms += gap;
        }
        let audio: Vec<Sample> = (0..10).map(|i| Sample {
            track_id: 2, dts: i * 1024, composition_offset: 0, duration: 1024,
            timescale: Timescale::AUDIO_48KHZ, keyframe: true, data: Bytes::from(vec![0x21, i as u8]),
        }).collect();
        for s in video.iter().chain(&audio) {
            let tag = muxer.tag(s).unwrap();
            demuxer.push_tag(tag.tag_type, tag.timestamp, &tag.to_body()).unwrap();
        }
        demuxer.finish();
        let mut got_video = Vec::new();
        let mut got_audio = Vec::new();
        let mut got_tracks = Vec::new();
        while let Some(e) = demuxer.poll_event() {
            match e {
                FlvEvent::Track(t) => got_tracks.push(t),
                FlvEvent::Sample(s) if s.track_id == 1 => got_video.push(s),
                FlvEvent::Sample(s) => got_audio.push(s),
                _ => {}
            }
        }
        prop_assert_eq!(got_tracks, tracks);
        // The last video sample's duration is its predecessor's.
        let n = video.len();
        let mut expected = video.clone();
        expected[n - 1].duration = expected[n - 2].duration;
        prop_assert_eq!(got_video, expected);
        prop_assert_eq!(got_audio, audio);
    }

    /// A live demuxer gives each video sample after the first out on the
    /// push of its own tag, with the interval before it as its duration,
    /// and its decode time from its own tag (an estimate that was wrong
    /// never shifts the frames after it); the first waits for the second
    /// and has its exact duration.
    #[test]
    fn a_live_demuxer_gives_frames_out_as_they_arrive(
        gaps in prop::collection::vec(1i64..80, 2..20),
    ) {
        let tracks = vec![Track::new(1, Timescale::VIDEO_90KHZ, CodecConfig::H264(avc()))];
        let muxer = FlvMuxer::new(&tracks, TagStyle::Compatible).unwrap();
        let mut demuxer = FlvDemuxer::live();
        for t in muxer.sequence_headers() {
            demuxer.push_tag(t.tag_type, t.timestamp, &t.to_body()).unwrap();
        }
        prop_assert!(matches!(demuxer.poll_event(), Some(FlvEvent::Track(_))));
        let mut ms = 0i64;
        let mut expected = Vec::new();
        for (i, gap) in gaps.iter().enumerate() {
            let s = Sample {
                track_id: 1, dts: ms * 90, composition_offset: 0, duration: (*gap as u32) * 90,
                timescale: Timescale::VIDEO_90KHZ, keyframe: i == 0, data: Bytes::from(vec![i as u8; 10]),
            };
            let tag = muxer.tag(&s).unwrap();
            demuxer.push_tag(tag.tag_type, tag.timestamp, &tag.to_body()).unwrap();
            let mut got = Vec::new();
            while let Some(FlvEvent::Sample(s)) = demuxer.poll_event() {
                got.push(s);
            }
            let mut own = s.clone();
            if i > 0 {
                own.duration = gaps[i - 1] as u32 * 90;
            }
            if i == 1 {
                // The first frame, exact, then this one.
                prop_assert_eq!(got.len(), 2);
                prop_assert_eq!(&got[0], &expected[0]);
                prop_assert_eq!(&got[1], &own);
            } else if i > 1 {
                prop_assert_eq!(got, vec![own.clone()]);
            } else {
                prop_assert!(got.is_empty());
            }
            expected.push(own);
            ms += gap;
        }
        demuxer.finish();
        prop_assert_eq!(demuxer.poll_event(), None);
    }
}

fn avc() -> streamkit_core::codec::h264::AvcConfig {
    let sps = Bytes::from_static(&[
        0x67, 0x42, 0xc0, 0x0d, 0xda, 0x05, 0x07, 0xe8, 0x40, 0x00, 0x00, 0x03, 0x00, 0x40, 0x00,
        0x00, 0x0f, 0x03, 0xc5, 0x0a, 0xa8,
    ]);
    let pps = Bytes::from_static(&[0x68, 0xce, 0x3c, 0x80]);
    streamkit_core::codec::h264::AvcConfig::from_parameter_sets(&[sps], &[pps]).unwrap()
}

/// An Enhanced RTMP v2 tag written byte by byte from the specification's
/// tables: ModEx (TimestampOffsetNano 1500 ns), then a ManyTracks
/// multitrack packet of two `hvc1` coded frames with composition times.
#[test]
fn a_modex_multitrack_hevc_tag_reads_as_specified() {
    let mut b = vec![
        0x80 | 1 << 4 | 7, // IsExHeader, KeyFrame, PacketType ModEx
        2,                 // modExDataSize - 1
        0x00,
        0x05,
        0xdc,       // 1500 ns
        0x06,       // ModExType 0 (TimestampOffsetNano), next: Multitrack
        1 << 4 | 1, // ManyTracks, CodedFrames
    ];
    b.extend_from_slice(b"hvc1");
    for (track, cto, payload) in [(0u8, 40i32, &b"AAAA"[..]), (1, -40, &b"BB"[..])] {
        b.push(track);
        b.extend_from_slice(&((3 + payload.len()) as u32).to_be_bytes()[1..]);
        b.extend_from_slice(&(cto as u32).to_be_bytes()[1..]);
        b.extend_from_slice(payload);
    }
    let tag = VideoTag::parse(&Bytes::from(b)).unwrap();
    assert_eq!(tag.timestamp_offset_nanos, 1500);
    assert_eq!(tag.multitrack, Some(MultitrackType::ManyTracks));
    let packets: Vec<VideoPacket> = tag.packets().collect::<Result<_, _>>().unwrap();
    assert_eq!(packets.len(), 2);
    assert_eq!(
        (
            packets[0].track_id,
            packets[0].composition_time,
            &packets[0].data[..]
        ),
        (0, 40, &b"AAAA"[..])
    );
    assert_eq!(
        (
            packets[1].track_id,
            packets[1].composition_time,
            &packets[1].data[..]
        ),
        (1, -40, &b"BB"[..])
    );
    assert!(
        packets
            .iter()
            .all(|p| p.codec == VideoCodec::FourCc(FourCc::HEVC))
    );
}

/// Tracks of codecs without a model (AV1 here) are reported once, their
/// frames counted; a frame before any sequence header is an error that
/// names the track; an Opus sequence start makes an Opus track.
#[test]
fn unsupported_codecs_are_reported_and_counted() {
    let mut demuxer = FlvDemuxer::new();
    let av1 = |packet_type, data: &'static [u8]| {
        let mut b = BytesMut::new();
        VideoTag::write(
            FrameType::Key,
            0,
            None,
            &[VideoPacket {
                track_id: 0,
                codec: VideoCodec::FourCc(FourCc::AV1),
                packet_type,
                composition_time: 0,
                data: Bytes::from_static(data),
            }],
            &mut b,
        )
        .unwrap();
        b.freeze()
    };
    demuxer
        .push_tag(
            TagType::Video,
            0,
            &av1(VideoPacketType::SequenceStart, b"\x81\x00\x0c\x00"),
        )
        .unwrap();
    demuxer
        .push_tag(
            TagType::Video,
            40,
            &av1(VideoPacketType::CodedFrames, b"obu"),
        )
        .unwrap();
    demuxer
        .push_tag(
            TagType::Video,
            80,
            &av1(VideoPacketType::CodedFrames, b"obu"),
        )
        .unwrap();
    let events: Vec<FlvEvent> = std::iter::from_fn(|| demuxer.poll_event()).collect();
    assert_eq!(events.len(), 1);
    assert!(matches!(&events[0], FlvEvent::Unsupported(u) if u.fourcc == Some(FourCc::AV1)));
    assert_eq!(demuxer.unsupported_frames(), 2);

    let err = demuxer
        .push_tag(TagType::Audio, 5, &Bytes::from_static(&[0xaf, 1, 0x21]))
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "FLV audio track 0: coded frame at 5 ms before any sequence header"
    );

    let mut head = Vec::new();
    streamkit_core::codec::opus::OpusHead::from(OpusConfig::stereo(312, 48_000))
        .write(&mut head)
        .unwrap();
    let mut b = BytesMut::new();
    AudioTag::write(
        0,
        None,
        &[AudioPacket {
            track_id: 0,
            codec: AudioCodec::FourCc(FourCc::OPUS),
            packet_type: AudioPacketType::SequenceStart,
            data: Bytes::from(head),
        }],
        &mut b,
    )
    .unwrap();
    demuxer.push_tag(TagType::Audio, 0, &b.freeze()).unwrap();
    // A 20 ms CELT packet (config 31, one frame): 960 ticks.
    let mut b = BytesMut::new();
    AudioTag::write(
        0,
        None,
        &[AudioPacket {
            track_id: 0,
            codec: AudioCodec::FourCc(FourCc::OPUS),
            packet_type: AudioPacketType::CodedFrames,
            data: Bytes::from_static(&[0xf8, 1, 2]),
        }],
        &mut b,
    )
    .unwrap();
    demuxer.push_tag(TagType::Audio, 20, &b.freeze()).unwrap();
    let Some(FlvEvent::Track(t)) = demuxer.poll_event() else {
        panic!()
    };
    assert_eq!(
        (t.id, t.codec_string().as_str(), t.timescale),
        (2, "opus", Timescale::AUDIO_48KHZ)
    );
    let Some(FlvEvent::Sample(s)) = demuxer.poll_event() else {
        panic!()
    };
    assert_eq!((s.dts, s.duration), (960, 960));
}
