//! streamkit-rtmp's client session on real sockets: it publishes to
//! `ffmpeg -listen 1` (ffmpeg as the RTMP server) and to examples/serve,
//! and plays back from serve; the frames arrive with the times sent.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::disallowed_methods
)]

#[path = "rtmp_support/mod.rs"]
mod rtmp_support;
mod support;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener};
use std::path::Path;
use std::process::Command;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use rtmp_support::{
    HANG_GUARD, Serve, assert_run_of, connect_when_listening, decodes, drive_client, video_pts_ms,
};
use streamkit::core::codec::MediaKind;
use streamkit::core::flv::{FlvDemuxer, FlvEvent, FlvMuxer, TagStyle};
use streamkit::core::mp4::Mp4File;
use streamkit::core::sample::Sample;
use streamkit::core::time::{MediaTime, Rounding, Timescale};
use streamkit::core::track::Track;
use streamkit::rtmp::client::{ClientConfig, ClientEvent, ClientSession};
use streamkit::rtmp::url::RtmpUrl;
use support::{Guard, fixture, require};

/// The fixture's tracks and its samples of the first `seconds`.
fn source(seconds: i64) -> (Vec<Track>, Vec<Sample>) {
    let file =
        Mp4File::parse(Bytes::from(std::fs::read(fixture("h264_aac.mp4")).unwrap())).unwrap();
    let (tracks, _) = file.tracks_and_shifts();
    let samples = file
        .samples()
        .filter(|s| s.decode_time() < MediaTime::new(seconds, Timescale::SECONDS))
        .collect();
    (tracks, samples)
}

fn ms(t: MediaTime) -> i64 {
    t.rescale(Timescale::MILLIS, Rounding::Nearest).ticks()
}

/// Presentation times (ms) of the video samples, in decode order.
fn video_pts(tracks: &[Track], samples: &[Sample]) -> Vec<i64> {
    let video = tracks
        .iter()
        .find(|t| t.kind() == MediaKind::Video)
        .unwrap()
        .id;
    samples
        .iter()
        .filter(|s| s.track_id == video)
        .map(|s| ms(s.presentation_time()))
        .collect()
}

/// Publishes `samples` to `url` at `addr` with a client session, in real
/// time when `paced`, then ends the publish.
fn publish(addr: SocketAddr, url: &str, tracks: &[Track], samples: &[Sample], paced: bool) {
    let mut session = ClientSession::new(
        Instant::now(),
        ClientConfig::publish(RtmpUrl::parse(url).unwrap()),
    );
    let mut socket = connect_when_listening(addr);
    let mut reader = socket.try_clone().unwrap();
    let (tx, rx) = mpsc::channel::<Vec<u8>>();
    std::thread::spawn(move || {
        let mut buf = vec![0u8; 65_536];
        while let Ok(n) = reader.read(&mut buf) {
            if n == 0 || tx.send(buf[..n].to_vec()).is_err() {
                break;
            }
        }
    });
    let muxer = FlvMuxer::new(tracks, TagStyle::Compatible).unwrap();
    let start = Instant::now();
    let mut sent = 0;
    let mut publishing = false;
    loop {
        while let Some(b) = session.poll_transmit() {
            socket.write_all(&b).unwrap();
        }
        assert!(start.elapsed() < HANG_GUARD, "the publish hung");
        if publishing {
            if sent == 0 {
                for t in muxer.sequence_headers() {
                    session.send_tag(&t).unwrap();
                }
            }
            if sent == samples.len() {
                session.finish().unwrap();
                while let Some(b) = session.poll_transmit() {
                    socket.write_all(&b).unwrap();
                }
                socket.shutdown(std::net::Shutdown::Write).unwrap();
                return;
            }
            let s = &samples[sent];
            let due = start + Duration::from_millis(ms(s.decode_time()).max(0) as u64);
            if paced && Instant::now() < due {
                std::thread::sleep(due - Instant::now());
            }
            session.send_tag(&muxer.tag(s).unwrap()).unwrap();
            sent += 1;
        }
        let input = if publishing {
            rx.try_recv().ok()
        } else {
            rx.recv_timeout(Duration::from_millis(200)).ok()
        };
        if let Some(data) = input {
            session.handle_input(Instant::now(), &data).unwrap();
            while let Some(e) = session.poll_event() {
                match e {
                    ClientEvent::Publishing { .. } => publishing = true,
                    ClientEvent::Refused { code, .. } => panic!("publish refused: {code}"),
                    _ => {}
                }
            }
        }
    }
}

#[test]
fn the_client_session_publishes_to_ffmpeg_listening() {
    require("ffmpeg");
    require("ffprobe");
    let dir = support::TempDir::new("rtmp-client-ffmpeg");
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let out = dir.path().join("received.flv");
    let mut ffmpeg = Guard::spawn_logged(
        Command::new("ffmpeg")
            .args(["-hide_banner", "-loglevel", "error", "-listen", "1", "-i"])
            .arg(format!("rtmp://127.0.0.1:{port}/live/relay"))
            .args(["-map", "0", "-c", "copy", "-f", "flv", "-y"])
            .arg(&out),
        dir.path(),
        "ffmpeg-listen",
    );
    let (tracks, samples) = source(3);
    let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    publish(
        addr,
        &format!("rtmp://127.0.0.1:{port}/live/relay"),
        &tracks,
        &samples,
        false,
    );
    ffmpeg.wait_success(HANG_GUARD);
    let reference = video_pts(&tracks, &samples);
    let got = video_pts_ms(out.to_str().unwrap());
    assert_eq!(got, reference, "what ffmpeg received");
    assert_eq!(
        decodes(Path::new("ffmpeg"), out.to_str().unwrap()),
        reference.len()
    );
}

#[test]
fn the_client_session_publishes_to_serve_and_plays_it_back() {
    require("ffprobe");
    let serve = Serve::start(&[]);
    let (tracks, samples) = source(4);
    let url = serve.rtmp_url("live/by-client");
    let addr = serve.rtmp;
    let publisher = {
        let (tracks, samples, url) = (tracks.clone(), samples.clone(), url.clone());
        std::thread::spawn(move || publish(addr, &url, &tracks, &samples, true))
    };
    // Wait for the stream, then play it with another client session.
    let start = Instant::now();
    while !serve.streams_json().contains("\"name\":\"by-client\"") {
        assert!(
            !publisher.is_finished(),
            "the publisher ended before the stream was listed"
        );
        assert!(start.elapsed() < HANG_GUARD, "by-client was never listed");
        std::thread::sleep(Duration::from_millis(20));
    }
    let mut player = ClientSession::new(
        Instant::now(),
        ClientConfig::play(RtmpUrl::parse(&url).unwrap()),
    );
    let mut demuxer = FlvDemuxer::new();
    let mut playing = false;
    drive_client(addr, &mut player, |_, e| match e {
        ClientEvent::Playing { .. } => {
            playing = true;
            true
        }
        ClientEvent::Media(m) => {
            demuxer.push_tag(m.tag_type, m.timestamp, &m.body).unwrap();
            true
        }
        ClientEvent::Ended => false,
        ClientEvent::Refused { code, .. } => panic!("play refused: {code}"),
        _ => true,
    });
    publisher.join().unwrap();
    assert!(playing);
    demuxer.finish();
    let mut got_tracks = Vec::new();
    let mut got = Vec::new();
    while let Some(e) = demuxer.poll_event() {
        match e {
            FlvEvent::Track(t) => got_tracks.push(t),
            FlvEvent::Sample(s) => got.push(s),
            _ => {}
        }
    }
    // The same codec configurations (FLV's clocks: 90 kHz video).
    let codecs = |t: &[Track]| t.iter().map(|t| t.codec.clone()).collect::<Vec<_>>();
    assert_eq!(codecs(&got_tracks), codecs(&tracks));
    let video: Vec<&Sample> = got.iter().filter(|s| s.track_id == 1).collect();
    let played: Vec<i64> = video.iter().map(|s| ms(s.presentation_time())).collect();
    let reference = video_pts(&tracks, &samples);
    let first = assert_run_of(&played, &reference, 0, 30, "played back");
    assert_eq!(first + played.len(), reference.len(), "played to the end");
    // The bytes are the source's.
    let source_video: Vec<&Sample> = samples
        .iter()
        .filter(|s| s.track_id == tracks[0].id)
        .collect();
    for (p, s) in video.iter().zip(&source_video[first..]) {
        assert!(
            p.data == s.data,
            "frame at {} ms differs",
            ms(s.decode_time())
        );
        assert_eq!(p.keyframe, s.keyframe);
    }
    assert!(video[0].keyframe, "a player starts at a keyframe");
}
