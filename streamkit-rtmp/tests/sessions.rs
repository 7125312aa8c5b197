//! Server and client sessions against each other on a virtual clock:
//! publish, play, acknowledgement windows, pings, Enhanced RTMP
//! negotiation in connect, the end of a publish, a refused stream key,
//! bounds, timeouts, and a 5-hour stream across the 24-bit timestamp
//! boundary.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
#![allow(clippy::disallowed_methods)] // the origin of the simulated clock

use std::time::{Duration, Instant};

use bytes::Bytes;
use streamkit_core::codec::CodecConfig;
use streamkit_core::codec::aac::AacConfig;
use streamkit_core::codec::h264::AvcConfig;
use streamkit_core::flv::{FlvDemuxer, FlvEvent, FlvMuxer, TagStyle, TagType};
use streamkit_core::sample::Sample;
use streamkit_core::time::Timescale;
use streamkit_core::track::Track;
use streamkit_rtmp::amf::Amf0Value;
use streamkit_rtmp::chunk::{ChunkDecoder, ChunkLimits};
use streamkit_rtmp::client::{ClientConfig, ClientEvent, ClientSession};
use streamkit_rtmp::message::type_id;
use streamkit_rtmp::server::{
    Action, AllowAll, Refusal, SERVER_CAPS_EX, ServerEvent, ServerSession, StreamKeys,
};
use streamkit_rtmp::url::RtmpUrl;
use streamkit_rtmp::{RtmpError, SessionConfig};

/// Moves bytes both ways until both sides are quiet.
fn pump(now: Instant, c: &mut ClientSession, s: &mut ServerSession) -> Result<(), RtmpError> {
    loop {
        let mut moved = false;
        while let Some(b) = c.poll_transmit() {
            s.handle_input(now, &b)?;
            moved = true;
        }
        while let Some(b) = s.poll_transmit() {
            c.handle_input(now, &b)?;
            moved = true;
        }
        if !moved {
            return Ok(());
        }
    }
}

fn server_events(s: &mut ServerSession) -> Vec<ServerEvent> {
    std::iter::from_fn(|| s.poll_event()).collect()
}

fn client_events(c: &mut ClientSession) -> Vec<ClientEvent> {
    std::iter::from_fn(|| c.poll_event()).collect()
}

fn avc() -> AvcConfig {
    // A 320x240 baseline SPS and a PPS.
    let sps = Bytes::from_static(&[
        0x67, 0x42, 0xc0, 0x0d, 0xda, 0x05, 0x07, 0xe8, 0x40, 0x00, 0x00, 0x03, 0x00, 0x40, 0x00,
        0x00, 0x0f, 0x03, 0xc5, 0x0a, 0xa8,
    ]);
    let pps = Bytes::from_static(&[0x68, 0xce, 0x3c, 0x80]);
    AvcConfig::from_parameter_sets(&[sps], &[pps]).unwrap()
}

fn tracks() -> Vec<Track> {
    vec![
        Track::new(1, Timescale::VIDEO_90KHZ, CodecConfig::H264(avc())),
        Track::new(
            2,
            Timescale::AUDIO_48KHZ,
            CodecConfig::Aac(AacConfig::new(2, 48_000, 2).unwrap()),
        ),
    ]
}

fn publisher(now: Instant, key: &str) -> ClientSession {
    let url = RtmpUrl::parse(&format!("rtmp://127.0.0.1/live/{key}")).unwrap();
    ClientSession::new(now, ClientConfig::publish(url))
}

#[test]
fn publish_then_media_reaches_the_server_as_samples() {
    let now = Instant::now();
    let mut server = ServerSession::new(now, SessionConfig::default(), Box::new(AllowAll));
    let mut client = publisher(now, "cam1?token=x");
    pump(now, &mut client, &mut server).unwrap();
    let events = server_events(&mut server);
    assert!(
        matches!(&events[0], ServerEvent::Connected { app, tc_url: Some(t), enhanced: None } if app == "live" && t == "rtmp://127.0.0.1:1935/live")
    );
    let ServerEvent::PublishStarted { stream_id, name } = &events[1] else {
        panic!("{events:?}")
    };
    assert_eq!(
        (name.name.as_str(), name.query.as_deref()),
        ("cam1", Some("token=x"))
    );
    assert!(
        client_events(&mut client).contains(&ClientEvent::Publishing {
            stream_id: *stream_id
        })
    );

    let muxer = FlvMuxer::new(&tracks(), TagStyle::Compatible).unwrap();
    for t in muxer.sequence_headers() {
        client.send_tag(&t).unwrap();
    }
    let frames: Vec<Sample> = (0..10)
        .map(|i| Sample {
            track_id: 1,
            // 25 fps: FLV times are whole milliseconds.
            dts: i * 3600,
            composition_offset: if i % 2 == 1 { 7200 } else { 0 },
            duration: 3600,
            timescale: Timescale::VIDEO_90KHZ,
            keyframe: i == 0,
            data: Bytes::from(vec![i as u8; 5000]),
        })
        .collect();
    for f in &frames {
        client.send_tag(&muxer.tag(f).unwrap()).unwrap();
    }
    pump(now, &mut client, &mut server).unwrap();
    let mut demuxer = FlvDemuxer::new();
    for e in server_events(&mut server) {
        if let ServerEvent::Media(m) = e {
            demuxer.push_tag(m.tag_type, m.timestamp, &m.body).unwrap();
        }
    }
    demuxer.finish();
    let out: Vec<FlvEvent> = std::iter::from_fn(|| demuxer.poll_event()).collect();
    let got_tracks: Vec<&Track> = out
        .iter()
        .filter_map(|e| match e {
            FlvEvent::Track(t) => Some(t),
            _ => None,
        })
        .collect();
    assert_eq!(got_tracks, tracks().iter().collect::<Vec<_>>());
    let samples: Vec<&Sample> = out
        .iter()
        .filter_map(|e| match e {
            FlvEvent::Sample(s) => Some(s),
            _ => None,
        })
        .collect();
    assert_eq!(samples.len(), frames.len());
    for (a, b) in samples.iter().zip(&frames) {
        assert_eq!((a.dts, a.pts(), a.keyframe), (b.dts, b.pts(), b.keyframe));
        assert!(a.data == b.data, "sample data at {}", b.dts);
    }
}

#[test]
fn a_wrong_stream_key_is_refused_with_publish_denied() {
    let now = Instant::now();
    let mut server = ServerSession::new(
        now,
        SessionConfig::default(),
        Box::new(StreamKeys::new(["right".to_owned()])),
    );
    let mut client = publisher(now, "wrong");
    pump(now, &mut client, &mut server).unwrap();
    let events = server_events(&mut server);
    assert!(
        events.iter().any(|e| matches!(e, ServerEvent::Refused { action: Action::Publish, refusal: Refusal::Unauthorized, name, .. } if name.name == "wrong"))
    );
    assert!(
        !events
            .iter()
            .any(|e| matches!(e, ServerEvent::PublishStarted { .. }))
    );
    let ce = client_events(&mut client);
    assert!(
        ce.iter().any(
            |e| matches!(e, ClientEvent::Refused { code, .. } if code == "NetStream.Publish.Denied")
        ),
        "{ce:?}"
    );
    assert!(client.is_closed());
    // Media from a refused publisher is not taken.
    assert!(
        client
            .send_media(TagType::Video, 0, Bytes::from_static(b"\x17\x00"))
            .is_err()
    );
}

#[test]
fn play_gets_status_then_what_the_server_sends() {
    let now = Instant::now();
    let mut server = ServerSession::new(now, SessionConfig::default(), Box::new(AllowAll));
    let url = RtmpUrl::parse("rtmp://127.0.0.1/live/cam1").unwrap();
    let mut client = ClientSession::new(now, ClientConfig::play(url));
    pump(now, &mut client, &mut server).unwrap();
    let events = server_events(&mut server);
    let Some(ServerEvent::PlayStarted { stream_id, .. }) = events
        .iter()
        .find(|e| matches!(e, ServerEvent::PlayStarted { .. }))
        .cloned()
    else {
        panic!("{events:?}")
    };
    let muxer = FlvMuxer::new(&tracks(), TagStyle::Compatible).unwrap();
    for t in muxer.sequence_headers() {
        server.send_tag(stream_id, &t).unwrap();
    }
    let frame = Sample {
        track_id: 2,
        dts: 0x0100_0000 * 48,
        composition_offset: 0,
        duration: 1024,
        timescale: Timescale::AUDIO_48KHZ,
        keyframe: true,
        data: Bytes::from_static(b"\x21\x10\x05"),
    };
    server
        .send_tag(stream_id, &muxer.tag(&frame).unwrap())
        .unwrap();
    server.end_play(stream_id).unwrap();
    pump(now, &mut client, &mut server).unwrap();
    let ce = client_events(&mut client);
    assert!(ce.contains(&ClientEvent::Playing { stream_id }));
    let media: Vec<_> = ce
        .iter()
        .filter_map(|e| match e {
            ClientEvent::Media(m) => Some(m),
            _ => None,
        })
        .collect();
    assert_eq!(media.len(), 3);
    assert_eq!(media[2].timestamp, 0x0100_0000);
    assert_eq!(&media[2].body[2..], &frame.data[..]);
    assert_eq!(ce.iter().filter(|e| **e == ClientEvent::Ended).count(), 1);
}

#[test]
fn a_peer_over_the_message_bound_is_cut_off_alone() {
    let now = Instant::now();
    let config = SessionConfig::default()
        .with_chunk_limits(ChunkLimits::default().with_max_message_size(10_000));
    let mut server = ServerSession::new(now, config, Box::new(AllowAll));
    let mut client = publisher(now, "k");
    pump(now, &mut client, &mut server).unwrap();
    let _ = server_events(&mut server);
    client
        .send_media(TagType::Video, 0, Bytes::from(vec![0x17; 20_000]))
        .unwrap();
    let err = pump(now, &mut client, &mut server).unwrap_err();
    assert!(
        matches!(
            err,
            RtmpError::Chunk(streamkit_rtmp::chunk::ChunkError::MessageTooLarge {
                len: 20_000,
                limit: 10_000,
                ..
            })
        ),
        "{err}"
    );
    assert!(server.is_closed());
    // Another connection is not affected.
    let mut other_server = ServerSession::new(now, config, Box::new(AllowAll));
    let mut other = publisher(now, "k2");
    pump(now, &mut other, &mut other_server).unwrap();
    assert!(
        server_events(&mut other_server)
            .iter()
            .any(|e| matches!(e, ServerEvent::PublishStarted { .. }))
    );
}

#[test]
fn handshake_and_idle_timeouts() {
    let start = Instant::now();
    let mut server = ServerSession::new(start, SessionConfig::default(), Box::new(AllowAll));
    let deadline = server.poll_timeout().unwrap();
    assert_eq!(deadline, start + Duration::from_secs(10));
    server
        .handle_timeout(deadline - Duration::from_millis(1))
        .unwrap();
    let err = server.handle_timeout(deadline).unwrap_err();
    assert!(matches!(
        err,
        RtmpError::Timeout {
            what: "handshake",
            ..
        }
    ));
    assert_eq!(server.poll_timeout(), None);

    let mut server = ServerSession::new(start, SessionConfig::default(), Box::new(AllowAll));
    let mut client = publisher(start, "k");
    pump(start, &mut client, &mut server).unwrap();
    let idle = server.poll_timeout().unwrap();
    assert_eq!(idle, start + Duration::from_secs(30));
    assert!(matches!(
        server.handle_timeout(idle),
        Err(RtmpError::Timeout {
            what: "idle connection",
            ..
        })
    ));
}

/// Five hours of 1 fps video and ~47 fps AAC on a simulated clock: the
/// message timestamps cross 2^24 ms (4 h 39 min 37 s), where the 24-bit
/// header field gives way to the extended timestamp, and the samples
/// come out with the decode times they went in with.
#[test]
fn five_hours_cross_the_24_bit_timestamp_boundary() {
    let start = Instant::now();
    let mut server = ServerSession::new(start, SessionConfig::default(), Box::new(AllowAll));
    let mut client = publisher(start, "long");
    pump(start, &mut client, &mut server).unwrap();
    let _ = server_events(&mut server);
    let muxer = FlvMuxer::new(&tracks(), TagStyle::Compatible).unwrap();
    for t in muxer.sequence_headers() {
        client.send_tag(&t).unwrap();
    }
    let mut demuxer = FlvDemuxer::new();
    let mut next_video = 0i64; // 90 kHz
    let mut next_audio = 0i64; // 48 kHz
    let mut video_seen = 0u64;
    let mut audio_seen = 0u64;
    let mut crossed = false;
    let end_ms = 5 * 3600 * 1000;
    let check = |e: FlvEvent, video_seen: &mut u64, audio_seen: &mut u64| {
        if let FlvEvent::Sample(s) = e {
            if s.track_id == 1 {
                assert_eq!(s.dts, *video_seen as i64 * 90_000);
                *video_seen += 1;
            } else {
                assert_eq!(s.dts, *audio_seen as i64 * 1024);
                *audio_seen += 1;
            }
        }
    };
    let mut t_ms = 0i64;
    while t_ms < end_ms {
        // One second of media per round.
        let second_end = t_ms + 1000;
        let mut tags = Vec::new();
        while next_video * 1000 / 90_000 < second_end {
            let f = Sample {
                track_id: 1,
                dts: next_video,
                composition_offset: 0,
                duration: 90_000,
                timescale: Timescale::VIDEO_90KHZ,
                keyframe: true,
                data: Bytes::from_static(b"\0\0\0\x01\x65"),
            };
            tags.push(muxer.tag(&f).unwrap());
            next_video += 90_000;
        }
        while next_audio * 1000 / 48_000 < second_end {
            let f = Sample {
                track_id: 2,
                dts: next_audio,
                composition_offset: 0,
                duration: 1024,
                timescale: Timescale::AUDIO_48KHZ,
                keyframe: true,
                data: Bytes::from_static(b"\x21\x10"),
            };
            tags.push(muxer.tag(&f).unwrap());
            next_audio += 1024;
        }
        tags.sort_by_key(|t| t.timestamp);
        for t in &tags {
            client.send_tag(t).unwrap();
            crossed |= t.timestamp > 0x00ff_ffff;
        }
        let now = start + Duration::from_millis(t_ms as u64);
        pump(now, &mut client, &mut server).unwrap();
        server.handle_timeout(now).unwrap();
        for e in server_events(&mut server) {
            if let ServerEvent::Media(m) = e {
                demuxer.push_tag(m.tag_type, m.timestamp, &m.body).unwrap();
            }
        }
        while let Some(e) = demuxer.poll_event() {
            check(e, &mut video_seen, &mut audio_seen);
        }
        t_ms = second_end;
    }
    demuxer.finish();
    while let Some(e) = demuxer.poll_event() {
        check(e, &mut video_seen, &mut audio_seen);
    }
    assert!(crossed);
    assert_eq!(video_seen, 5 * 3600);
    assert_eq!(audio_seen as i64, next_audio / 1024);
}

#[test]
fn enhanced_connect_is_answered_with_the_servers_codecs_and_finish_ends_the_publish() {
    let now = Instant::now();
    let mut server = ServerSession::new(now, SessionConfig::default(), Box::new(AllowAll));
    let url = RtmpUrl::parse("rtmp://127.0.0.1/live/cam1").unwrap();
    let mut client = ClientSession::new(
        now,
        ClientConfig::publish(url).with_fourcc_list(&["hvc1", "av01", "Opus"]),
    );
    pump(now, &mut client, &mut server).unwrap();
    let events = server_events(&mut server);
    let ServerEvent::Connected {
        enhanced: Some(caps),
        ..
    } = &events[0]
    else {
        panic!("{events:?}")
    };
    assert_eq!(caps.fourcc_list, ["hvc1", "av01", "Opus"]);
    let ServerEvent::PublishStarted { stream_id, .. } = events[1] else {
        panic!("{events:?}")
    };
    // The answer to connect names what this server takes and sends, and
    // its capsEx.
    let ce = client_events(&mut client);
    let Some(ClientEvent::Connected { properties }) = ce.first() else {
        panic!("{ce:?}")
    };
    let Some(Amf0Value::StrictArray(list)) = properties.get("fourCcList") else {
        panic!("{properties:?}")
    };
    let list: Vec<&str> = list.iter().filter_map(Amf0Value::as_str).collect();
    assert_eq!(list, ["avc1", "hvc1", "mp4a", "Opus"]);
    assert_eq!(
        properties.get("capsEx").and_then(Amf0Value::as_number),
        Some(f64::from(SERVER_CAPS_EX))
    );
    assert_eq!(
        properties
            .get("videoFourCcInfoMap")
            .and_then(|m| m.get("hvc1"))
            .and_then(Amf0Value::as_number),
        Some(4.0)
    );
    assert!(ce.contains(&ClientEvent::Publishing { stream_id }));

    // finish sends FCUnpublish and deleteStream: the publish ends once.
    client.finish().unwrap();
    client.finish().unwrap();
    pump(now, &mut client, &mut server).unwrap();
    let ended: Vec<ServerEvent> = server_events(&mut server)
        .into_iter()
        .filter(|e| matches!(e, ServerEvent::StreamEnded { .. }))
        .collect();
    assert_eq!(
        ended,
        [ServerEvent::StreamEnded {
            stream_id,
            action: Action::Publish
        }]
    );
}

#[test]
fn a_plain_connect_gets_no_enhanced_answer() {
    let now = Instant::now();
    let mut server = ServerSession::new(now, SessionConfig::default(), Box::new(AllowAll));
    let mut client = publisher(now, "cam1");
    pump(now, &mut client, &mut server).unwrap();
    let ce = client_events(&mut client);
    let Some(ClientEvent::Connected { properties }) = ce.first() else {
        panic!("{ce:?}")
    };
    assert!(
        properties
            .get("fmsVer")
            .and_then(Amf0Value::as_str)
            .is_some()
    );
    assert_eq!(properties.get("fourCcList"), None);
    assert_eq!(properties.get("capsEx"), None);
}

#[test]
fn a_player_acknowledges_each_window_the_server_announced() {
    let now = Instant::now();
    let mut server = ServerSession::new(now, SessionConfig::default(), Box::new(AllowAll));
    let url = RtmpUrl::parse("rtmp://127.0.0.1/live/cam1").unwrap();
    let mut client = ClientSession::new(now, ClientConfig::play(url));
    // What the player sends, as the server reads it.
    let mut from_client = Vec::new();
    pump_recording(now, &mut client, &mut server, &mut from_client);
    let Some(ServerEvent::PlayStarted { stream_id, .. }) = server_events(&mut server)
        .into_iter()
        .find(|e| matches!(e, ServerEvent::PlayStarted { .. }))
    else {
        panic!("no play")
    };
    let muxer = FlvMuxer::new(&tracks(), TagStyle::Compatible).unwrap();
    for t in muxer.sequence_headers() {
        server.send_tag(stream_id, &t).unwrap();
    }
    // 6 MB to the player: over two windows of the default 2.5 MB.
    let mut sent_media = 0;
    for i in 0..60 {
        let frame = Sample {
            track_id: 1,
            dts: i * 3600,
            composition_offset: 0,
            duration: 3600,
            timescale: Timescale::VIDEO_90KHZ,
            keyframe: i == 0,
            data: Bytes::from(vec![i as u8; 100_000]),
        };
        server
            .send_tag(stream_id, &muxer.tag(&frame).unwrap())
            .unwrap();
        sent_media += 100_000;
    }
    pump_recording(now, &mut client, &mut server, &mut from_client);
    assert!(sent_media > 2 * SessionConfig::default().window_ack_size as usize);
    // Past C0, C1 and C2: the chunk stream.
    let mut decoder = ChunkDecoder::new(ChunkLimits::default());
    decoder.push(&from_client[1 + 1536 + 1536..]);
    let mut acks = Vec::new();
    while let Some(m) = decoder.poll_message().unwrap() {
        if m.type_id == type_id::ACKNOWLEDGEMENT {
            assert_eq!((m.csid, m.stream_id), (2, 0));
            acks.push(u32::from_be_bytes(m.payload[..4].try_into().unwrap()));
        }
    }
    let window = SessionConfig::default().window_ack_size;
    assert_eq!(acks.len(), 2, "{acks:?}");
    // Each acknowledges the bytes received so far: at least a window more
    // than the one before.
    assert!(acks[0] >= window && acks[1] - acks[0] >= window, "{acks:?}");
}

/// [`pump`], keeping every byte the client sent.
fn pump_recording(now: Instant, c: &mut ClientSession, s: &mut ServerSession, sent: &mut Vec<u8>) {
    loop {
        let mut moved = false;
        while let Some(b) = c.poll_transmit() {
            sent.extend_from_slice(&b);
            s.handle_input(now, &b).unwrap();
            moved = true;
        }
        while let Some(b) = s.poll_transmit() {
            c.handle_input(now, &b).unwrap();
            moved = true;
        }
        if !moved {
            return;
        }
    }
}

#[test]
fn a_ping_request_is_answered_with_its_timestamp() {
    let now = Instant::now();
    let mut server = ServerSession::new(now, SessionConfig::default(), Box::new(AllowAll));
    let mut client = publisher(now, "cam1");
    // Everything the server sends, from S0 on.
    let mut from_server = Vec::new();
    loop {
        let mut moved = false;
        while let Some(b) = client.poll_transmit() {
            server.handle_input(now, &b).unwrap();
            moved = true;
        }
        while let Some(b) = server.poll_transmit() {
            from_server.extend_from_slice(&b);
            client.handle_input(now, &b).unwrap();
            moved = true;
        }
        if !moved {
            break;
        }
    }
    assert!(client_events(&mut client).contains(&ClientEvent::Publishing { stream_id: 1 }));
    let before = from_server.len();
    // User Control Ping Request (event 6), timestamp 0x1234, in a type-0
    // chunk on chunk stream 2.
    server
        .handle_input(
            now,
            &[2, 0, 0, 0, 0, 0, 6, 4, 0, 0, 0, 0, 0, 6, 0, 0, 0x12, 0x34],
        )
        .unwrap();
    while let Some(b) = server.poll_transmit() {
        from_server.extend_from_slice(&b);
    }
    assert!(from_server.len() > before, "no answer to the ping");
    let mut decoder = ChunkDecoder::new(ChunkLimits::default());
    decoder.push(&from_server[1 + 1536 + 1536..]);
    let mut pongs = Vec::new();
    while let Some(m) = decoder.poll_message().unwrap() {
        if m.type_id == type_id::USER_CONTROL && m.payload.get(..2) == Some(&[0, 7][..]) {
            pongs.push((m.csid, m.stream_id, m.payload.clone()));
        }
    }
    assert_eq!(
        pongs,
        [(2, 0, Bytes::from_static(&[0, 7, 0, 0, 0x12, 0x34]))]
    );
}
