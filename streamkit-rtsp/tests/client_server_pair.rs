//! The client session against this crate's server session, both Sans-IO,
//! joined byte for byte on a virtual clock that jumps to the next timeout
//! (the shape of quinn's `Pair`): a Digest-protected PLAY of
//! tests/fixtures/h264_aac.mp4 over TCP interleaved gives every frame
//! back; a RECORD of it gives the server every sample.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may fail loudly

use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use streamkit_core::clock::{UnixTime, WallClock};
use streamkit_core::mp4::Mp4File;
use streamkit_core::sample::Sample;
use streamkit_core::track::Track;
use streamkit_rtsp::auth::{Access, Action, AuthPolicy, UserCredentials};
use streamkit_rtsp::client::{
    ClientConfig, ClientEvent, ClientSession, ClientTransmit, Credentials, SessionEndReason,
};
use streamkit_rtsp::server::{
    Presentation, ServerConfig, ServerConnection, ServerEvent, ServerTransmit,
};

#[allow(clippy::disallowed_methods)] // a virtual clock's origin
fn origin() -> Instant {
    Instant::now()
}

/// Only `viewer` / `s3cret`, for everything.
struct OneUser;

impl AuthPolicy for OneUser {
    fn access(&self, _path: &str, _action: Action) -> Access {
        Access::Credentials(vec![UserCredentials {
            user: "viewer".into(),
            password: "s3cret".into(),
        }])
    }
}

/// The fixture's tracks, shifts and samples (interleaved by decode time).
fn fixture() -> (Presentation, Vec<Sample>) {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../tests/fixtures/h264_aac.mp4"
    );
    let file = Mp4File::parse(Bytes::from(std::fs::read(path).unwrap())).unwrap();
    let (tracks, shifts) = file.tracks_and_shifts();
    let mut samples: Vec<Sample> = tracks
        .iter()
        .flat_map(|t| file.track_samples(t.id).unwrap().collect::<Vec<_>>())
        .collect();
    samples.sort_by_key(|s| s.dts * 1_000_000 / i64::from(s.timescale.hz()));
    let mut p = Presentation::new(tracks, Some(Duration::from_secs(10)));
    p.shifts = shifts;
    (p, samples)
}

fn config(t0: Instant) -> ServerConfig {
    ServerConfig::new(WallClock::new(
        t0,
        UnixTime::from_unix_millis(1_700_000_000_000),
    ))
}

/// A length-prefixed (4 bytes) H.264 access unit without its SPS and
/// PPS: the sender puts them in band before each keyframe.
fn without_parameter_sets(data: &Bytes) -> Bytes {
    let mut out = BytesMut::new();
    let mut rest = &data[..];
    while rest.len() >= 4 {
        let n = u32::from_be_bytes(rest[..4].try_into().unwrap()) as usize;
        let unit = &rest[..4 + n];
        if !matches!(unit[4] & 0x1f, 7 | 8) {
            out.extend_from_slice(unit);
        }
        rest = &rest[4 + n..];
    }
    out.freeze()
}

/// The data of `track`'s samples, video without in-band parameter sets.
fn of(track: u32, list: &[Sample], video: bool) -> Vec<Bytes> {
    list.iter()
        .filter(|s| s.track_id == track)
        .map(|s| {
            if video {
                without_parameter_sets(&s.data)
            } else {
                s.data.clone()
            }
        })
        .collect()
}

/// Moves everything both sides have to send to the other.
fn exchange(client: &mut ClientSession, server: &mut ServerConnection, now: Instant) -> bool {
    let mut moved = false;
    let mut to_server = BytesMut::new();
    while let Some(t) = client.poll_transmit(now) {
        match t {
            ClientTransmit::Stream(b) => to_server.extend_from_slice(&b),
            ClientTransmit::Interleaved { header, packet } => {
                to_server.extend_from_slice(&header);
                to_server.extend_from_slice(packet);
            }
            ClientTransmit::Datagram { .. } => panic!("TCP only"),
        }
    }
    if !to_server.is_empty() {
        server.handle_bytes(now, &to_server);
        moved = true;
    }
    let mut to_client = BytesMut::new();
    while let Some(t) = server.poll_transmit(now) {
        match t {
            ServerTransmit::Stream(b) => to_client.extend_from_slice(&b),
            ServerTransmit::Interleaved { header, packet } => {
                to_client.extend_from_slice(&header);
                to_client.extend_from_slice(packet);
            }
            ServerTransmit::Datagram { .. } => panic!("TCP only"),
        }
    }
    if !to_client.is_empty() {
        client.handle_bytes(now, &to_client);
        moved = true;
    }
    moved
}

#[test]
fn a_digest_protected_play_gives_every_frame_back() {
    let t0 = origin();
    let (presentation, samples) = fixture();
    let mut server = ServerConnection::new(
        t0,
        config(t0),
        "127.0.0.1:50000".parse().unwrap(),
        Box::new(|b: &mut [u8]| b.fill(0x42)),
        Box::new(OneUser),
    );
    let mut cc = ClientConfig::new("rtsp://127.0.0.1:8554/vod/h264_aac");
    cc.credentials = Some(Credentials::new("viewer", "s3cret"));
    let mut client = ClientSession::play(t0, cc, Box::new(|b: &mut [u8]| b.fill(7)));
    let mut now = t0;
    let mut next = 0;
    let mut playing = false;
    let mut received: Vec<Sample> = Vec::new();
    let mut ended = None;
    for _ in 0..1_000_000 {
        // The server side of the application.
        while let Some(e) = server.poll_event() {
            match e {
                ServerEvent::Describe { request, .. } => {
                    server
                        .accept_describe(now, request, presentation.clone())
                        .unwrap();
                }
                ServerEvent::Play { request, .. } => {
                    while !server.has_first_packets() {
                        server.push_sample(&samples[next]).unwrap();
                        next += 1;
                    }
                    server
                        .accept_play(now, request, Some(Duration::ZERO))
                        .unwrap();
                    playing = true;
                }
                _ => {}
            }
        }
        while playing && next < samples.len() && server.wants_samples() {
            server.push_sample(&samples[next]).unwrap();
            next += 1;
            if next == samples.len() {
                server.finish_media();
            }
        }
        while let Some(e) = client.poll_event() {
            match e {
                ClientEvent::Sample(s) => received.push(s),
                ClientEvent::Goodbye { .. } if !client.is_ended() => client.teardown(now),
                ClientEvent::SessionEnded { reason } => ended = Some(reason),
                _ => {}
            }
        }
        if ended.is_some() {
            break;
        }
        if exchange(&mut client, &mut server, now) {
            continue;
        }
        let wake = [client.poll_timeout(), server.poll_timeout()]
            .into_iter()
            .flatten()
            .min()
            .unwrap();
        now = wake.max(now);
        client.handle_timeout(now);
        server.handle_timeout(now);
    }
    assert_eq!(ended, Some(SessionEndReason::Teardown));
    let tracks: Vec<&Track> = presentation.tracks.iter().collect();
    // Every video frame byte for byte (less the parameter sets the
    // sender adds before keyframes), every AAC frame.
    assert_eq!(of(1, &received, true).len(), 300);
    assert_eq!(of(1, &received, true), of(tracks[0].id, &samples, true));
    assert_eq!(of(2, &received, false), of(tracks[1].id, &samples, false));
    assert!(now - t0 >= Duration::from_secs(9), "paced: {:?}", now - t0);
}

#[test]
fn a_record_gives_the_server_every_sample() {
    let t0 = origin();
    let (presentation, samples) = fixture();
    let mut server = ServerConnection::new(
        t0,
        config(t0),
        "127.0.0.1:50000".parse().unwrap(),
        Box::new(|b: &mut [u8]| b.fill(0x42)),
        Box::new(OneUser),
    );
    let mut cc = ClientConfig::new("rtsp://viewer:s3cret@127.0.0.1:8554/live/cam");
    cc.seed = 5;
    let clock = WallClock::new(t0, UnixTime::from_unix_millis(1_700_000_000_000));
    let mut client = ClientSession::record(
        t0,
        cc,
        presentation.tracks.clone(),
        clock,
        Box::new(|b: &mut [u8]| b.fill(7)),
    );
    let mut now = t0;
    let mut next = 0;
    let mut recording = false;
    let mut recorded: Vec<Sample> = Vec::new();
    let mut ended = None;
    let mut torn_down = false;
    for _ in 0..1_000_000 {
        while let Some(e) = server.poll_event() {
            match e {
                ServerEvent::Announce { request, .. } | ServerEvent::Record { request, .. } => {
                    server.accept(now, request).unwrap();
                }
                _ => {}
            }
        }
        while let Some(s) = server.poll_sample() {
            recorded.push(s);
        }
        while let Some(e) = client.poll_event() {
            match e {
                ClientEvent::Recording => recording = true,
                ClientEvent::SessionEnded { reason } => ended = Some(reason),
                _ => {}
            }
        }
        if ended.is_some() {
            break;
        }
        // Live: each sample when its time comes.
        while recording && next < samples.len() {
            let s = &samples[next];
            let due = Duration::from_micros(
                u64::try_from((s.dts + 1024) * 1_000_000 / i64::from(s.timescale.hz()))
                    .unwrap_or(0),
            );
            if t0 + due > now {
                break;
            }
            client.push_sample(s).unwrap();
            next += 1;
        }
        if next == samples.len() && client.queued_payloads() == 0 && !torn_down {
            torn_down = true;
            client.teardown(now);
        }
        if exchange(&mut client, &mut server, now) {
            continue;
        }
        let due_next = samples.get(next).filter(|_| recording).map(|s| {
            t0 + Duration::from_micros(
                u64::try_from((s.dts + 1024) * 1_000_000 / i64::from(s.timescale.hz()))
                    .unwrap_or(0),
            )
        });
        let wake = [client.poll_timeout(), server.poll_timeout(), due_next]
            .into_iter()
            .flatten()
            .min()
            .unwrap();
        now = wake.max(now);
        client.handle_timeout(now);
        server.handle_timeout(now);
    }
    assert_eq!(ended, Some(SessionEndReason::Teardown));
    while let Some(s) = server.poll_sample() {
        recorded.push(s);
    }
    let ids: Vec<u32> = presentation.tracks.iter().map(|t| t.id).collect();
    assert_eq!(of(1, &recorded, true).len(), 300);
    assert_eq!(of(1, &recorded, true), of(ids[0], &samples, true));
    assert_eq!(of(2, &recorded, false), of(ids[1], &samples, false));
}
