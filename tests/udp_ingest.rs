//! MPEG-TS over UDP into examples/serve (`--udp-ingest`), judged by
//! ffmpeg: `ffmpeg -re -i clip.ts -c copy -f mpegts udp://...` into serve,
//! and ffmpeg decodes the republished LL-HLS stream with no error, every
//! frame it was sent; a receiver that joins mid-stream (the stream sent
//! from the middle of a GOP) starts at the next keyframe and decodes with
//! no error; and with 1% of the datagrams dropped on the way (by seed),
//! serve puts out every frame the demuxer can still deliver (the video
//! resuming at the next keyframe after each loss) and ffmpeg decodes it
//! with no error. The same stream sent to a multicast group on loopback
//! (`--udp-ingest GROUP:0@127.0.0.1=NAME`, a TTL of 0: nothing leaves the
//! machine) is joined and served alike.
//!
//! The serve binary is the one `cargo test` builds beside the tests. Each
//! wait below is for something to happen (a playlist to end), bounded only
//! by a generous hang guard.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may fail loudly
#![allow(clippy::disallowed_methods)] // tests pace a sender on the real clock

#[path = "serve_support/server.rs"]
mod server;

use std::net::{SocketAddr, UdpSocket};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use server::{Server, get};
use streamkit::core::ts::{TsDemuxer, TsEvent};

/// Far longer than any of these waits takes on a loaded machine: only a
/// hang trips it.
const HANG_GUARD: Duration = Duration::from_secs(180);

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> TempDir {
        let dir =
            std::env::temp_dir().join(format!("streamkit-ingest-{}-{tag}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn run(program: &str, args: &[&str]) -> (String, String) {
    let out = Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("{program}: {e}"));
    assert!(
        out.status.success(),
        "{program} {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    (
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

/// The UDP address serve printed for ingest `name`.
fn ingest_addr(server: &Server, name: &str) -> SocketAddr {
    let prefix = format!("  {name} (MPEG-TS over UDP on udp://");
    let line = server
        .lines
        .iter()
        .find_map(|l| l.strip_prefix(&prefix))
        .unwrap_or_else(|| panic!("serve printed no ingest {name}: {:?}", server.lines));
    line.trim_end_matches(')').parse().unwrap()
}

/// Waits until the live stream's video playlist has ended (the sender
/// stopped and serve saw it go quiet).
fn wait_for_end(server: &Server, name: &str) {
    let start = Instant::now();
    loop {
        let (status, body) = get(server.addr, &format!("/live/{name}/video/index.m3u8"));
        if status == 200 && String::from_utf8_lossy(&body).contains("#EXT-X-ENDLIST") {
            return;
        }
        assert!(start.elapsed() < HANG_GUARD, "live/{name} never ended");
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// Video frames ffprobe counts in `input`.
fn video_frames(input: &str) -> usize {
    let (out, _) = run(
        "ffprobe",
        &[
            "-v",
            "error",
            "-select_streams",
            "v",
            "-count_frames",
            "-show_entries",
            "stream=nb_read_frames",
            "-of",
            "csv=p=0",
            input,
        ],
    );
    // Streams inside programs are listed twice (program and stream
    // sections): the first line is the stream's.
    out.lines()
        .find(|l| !l.trim().is_empty())
        .unwrap_or_else(|| panic!("no frame count for {input}"))
        .trim()
        .parse()
        .unwrap()
}

/// ffmpeg decodes `input` whole; what it says at level `error` (nothing,
/// for a clean stream).
fn decode_errors(input: &str) -> String {
    let (_, err) = run(
        "ffmpeg",
        &[
            "-hide_banner",
            "-v",
            "error",
            "-i",
            input,
            "-f",
            "null",
            "-",
        ],
    );
    err
}

#[test]
fn ffmpeg_into_serve_plays_on_ll_hls() {
    let dir = TempDir::new("ffmpeg");
    // A 4 s clip as MPEG-TS (ffmpeg's own muxer).
    let clip = dir.0.join("clip.ts");
    run(
        "ffmpeg",
        &[
            "-hide_banner",
            "-loglevel",
            "error",
            "-y",
            "-i",
            fixture("h264_aac.mp4").to_str().unwrap(),
            "-t",
            "4",
            "-c",
            "copy",
            "-f",
            "mpegts",
            clip.to_str().unwrap(),
        ],
    );
    let sent = video_frames(clip.to_str().unwrap());
    assert!(sent >= 100, "{sent}");

    let server = Server::start_with(&["--udp-ingest", "127.0.0.1:0=cam"]);
    let addr = ingest_addr(&server, "cam");
    assert!(
        server
            .urls
            .iter()
            .any(|u| u.ends_with("/live/cam/master.m3u8")),
        "{:?}",
        server.urls
    );
    run(
        "ffmpeg",
        &[
            "-hide_banner",
            "-loglevel",
            "error",
            "-re",
            "-i",
            clip.to_str().unwrap(),
            "-c",
            "copy",
            "-f",
            "mpegts",
            &format!("udp://{addr}?pkt_size=1316"),
        ],
    );
    wait_for_end(&server, "cam");
    let url = format!("http://{}/live/cam/master.m3u8", server.addr);
    assert_eq!(decode_errors(&url), "", "ffmpeg decoding {url}");
    assert_eq!(video_frames(&url), sent, "every frame sent is served");
}

/// The 188-byte packets of `ts` from the `from`-th packet on, sent in
/// datagrams of 7 packets at the stream's pace (`seconds` for the whole).
fn send_paced(ts: &[u8], from: usize, seconds: f64, to: SocketAddr) {
    // Bound to loopback: a datagram to a multicast group goes out on the
    // interface of its source address, loopback here, and with a TTL of 0
    // it is delivered on this machine only.
    let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
    if to.ip().is_multicast() {
        socket.set_multicast_ttl_v4(0).unwrap();
        socket.set_multicast_loop_v4(true).unwrap();
    }
    let tail = &ts[from * 188..];
    let datagrams: Vec<&[u8]> = tail.chunks(7 * 188).collect();
    let step = Duration::from_secs_f64(seconds * tail.len() as f64 / ts.len() as f64)
        / datagrams.len() as u32;
    let start = Instant::now();
    for (i, d) in datagrams.iter().enumerate() {
        if let Some(wait) = (step * i as u32).checked_sub(start.elapsed()) {
            std::thread::sleep(wait);
        }
        socket.send_to(d, to).unwrap();
    }
}

/// The multicast group the multicast test sends to (administratively
/// scoped; the port serve picks keeps runs apart).
const GROUP: std::net::Ipv4Addr = std::net::Ipv4Addr::new(239, 255, 77, 1);

#[test]
fn multicast_on_loopback_is_joined_and_served() {
    // Loopback takes part in multicast on a stock Linux machine (no root,
    // no route needed: the group is joined on 127.0.0.1). Only a machine
    // whose loopback cannot join at all (ENODEV) skips, saying so.
    let probe = UdpSocket::bind("0.0.0.0:0").unwrap();
    if let Err(e) = probe.join_multicast_v4(&GROUP, &std::net::Ipv4Addr::LOCALHOST) {
        if e.raw_os_error() == Some(19) {
            eprintln!("skipped: loopback cannot join multicast group {GROUP}: {e}");
            return;
        }
        panic!("joining {GROUP} on loopback: {e}");
    }
    drop(probe);
    let dir = TempDir::new("multicast");
    let clip = dir.0.join("clip.ts");
    run(
        "ffmpeg",
        &[
            "-hide_banner",
            "-loglevel",
            "error",
            "-y",
            "-i",
            fixture("h264_aac.mp4").to_str().unwrap(),
            "-t",
            "4",
            "-c",
            "copy",
            "-f",
            "mpegts",
            clip.to_str().unwrap(),
        ],
    );
    let sent = video_frames(clip.to_str().unwrap());
    assert!(sent >= 100, "{sent}");
    let ts = std::fs::read(&clip).unwrap();

    let spec = format!("{GROUP}:0@127.0.0.1=group");
    let server = Server::start_with(&["--udp-ingest", &spec]);
    let addr = ingest_addr(&server, "group");
    assert_eq!(addr.ip(), GROUP, "serve prints the group it joined");
    assert_ne!(addr.port(), 0);
    send_paced(&ts, 0, 4.0, addr);
    wait_for_end(&server, "group");
    let url = format!("http://{}/live/group/master.m3u8", server.addr);
    assert_eq!(decode_errors(&url), "", "ffmpeg decoding {url}");
    assert_eq!(video_frames(&url), sent, "every frame sent is served");
}

#[test]
fn joining_mid_stream_starts_at_the_next_keyframe() {
    let dir = TempDir::new("join");
    // 8 s at 25 fps, a keyframe every 30 frames (1.2 s).
    let clip = dir.0.join("clip.ts");
    run(
        "ffmpeg",
        &[
            "-hide_banner",
            "-loglevel",
            "error",
            "-y",
            "-i",
            fixture("h264_aac_moov_end.mp4").to_str().unwrap(),
            "-c",
            "copy",
            "-f",
            "mpegts",
            clip.to_str().unwrap(),
        ],
    );
    let ts = std::fs::read(&clip).unwrap();
    // Join 40% in, inside a GOP: the receiver waits for the PAT and PMT
    // (ffmpeg repeats them every 100 ms) and then for a keyframe.
    let from = ts.len() / 188 * 2 / 5;
    let tail = dir.0.join("tail.ts");
    std::fs::write(&tail, &ts[from * 188..]).unwrap();
    // What a receiver starting there can decode: the frames from the first
    // keyframe after the join (ffprobe on the same bytes agrees on where
    // that is: it counts the frames it can decode from there).
    let probed = probe_video(tail.to_str().unwrap());
    let first_key = probed.iter().position(|&(_, key)| key).unwrap();
    assert!(first_key > 0, "the join point is inside a GOP");
    let decodable = probed.len() - first_key;

    let server = Server::start_with(&["--udp-ingest", "127.0.0.1:0=join"]);
    let addr = ingest_addr(&server, "join");
    send_paced(&ts, from, 8.0, addr);
    wait_for_end(&server, "join");
    let url = format!("http://{}/live/join/master.m3u8", server.addr);
    assert_eq!(decode_errors(&url), "", "ffmpeg decoding {url}");
    assert_eq!(video_frames(&url), decodable);
    // The first frame served is a keyframe, with the parameter sets.
    let served = probe_video(&url);
    assert!(served[0].1, "starts with a keyframe");
}

/// (pts, keyframe) of each video packet ffprobe reads from `input`.
fn probe_video(input: &str) -> Vec<(String, bool)> {
    let (out, _) = run(
        "ffprobe",
        &[
            "-v",
            "error",
            "-select_streams",
            "v",
            "-show_entries",
            "packet=pts,flags",
            "-of",
            "csv=p=0",
            input,
        ],
    );
    out.lines()
        .filter(|l| !l.is_empty())
        .map(|l| {
            let (pts, flags) = l.split_once(',').unwrap();
            (pts.to_owned(), flags.starts_with('K'))
        })
        .collect()
}

#[test]
fn lossy_ingest_resumes_at_keyframes_and_decodes() {
    let dir = TempDir::new("loss");
    // 10 s at 30 fps as MPEG-TS (ffmpeg's muxer).
    let clip = dir.0.join("clip.ts");
    run(
        "ffmpeg",
        &[
            "-hide_banner",
            "-loglevel",
            "error",
            "-y",
            "-i",
            fixture("h264_aac.mp4").to_str().unwrap(),
            "-c",
            "copy",
            "-f",
            "mpegts",
            clip.to_str().unwrap(),
        ],
    );
    let ts = std::fs::read(&clip).unwrap();
    let sent = video_frames(clip.to_str().unwrap());

    // Datagrams of 7 packets; 1% dropped by a seeded LCG, none of the
    // first 20 (so the stream starts whole).
    let datagrams: Vec<&[u8]> = ts.chunks(7 * 188).collect();
    let mut state: u64 = 0x5EED_0002;
    let kept: Vec<bool> = (0..datagrams.len())
        .map(|i| {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            i < 20 || !(state >> 33).is_multiple_of(100)
        })
        .collect();

    // What the demuxer delivers from the datagrams that arrive: the
    // samples serve must put out, every one.
    let mut demuxer = TsDemuxer::new();
    let mut video_losses = 0;
    let (mut video, mut audio) = (0usize, 0usize);
    let mut after_loss = false;
    for (d, _) in datagrams.iter().zip(&kept).filter(|(_, k)| **k) {
        demuxer.push(d).unwrap();
        while let Some(e) = demuxer.poll_event() {
            match e {
                TsEvent::ContinuityError(c) if c.pid == 0x100 => {
                    video_losses += 1;
                    after_loss = true;
                }
                TsEvent::Sample(s) if s.pid == 0x100 => {
                    if after_loss {
                        assert!(s.sample.keyframe, "resumes at a keyframe");
                        after_loss = false;
                    }
                    video += 1;
                }
                TsEvent::Sample(s) if s.pid == 0x101 => audio += 1,
                _ => {}
            }
        }
    }
    demuxer.finish().unwrap();
    while let Some(e) = demuxer.poll_event() {
        match e {
            TsEvent::Sample(s) if s.pid == 0x100 => video += 1,
            TsEvent::Sample(s) if s.pid == 0x101 => audio += 1,
            _ => {}
        }
    }
    assert!(video_losses >= 1, "the seed drops video packets");
    assert!(video < sent, "frames were lost: {video} of {sent}");

    let server = Server::start_with(&["--udp-ingest", "127.0.0.1:0=lossy"]);
    let addr = ingest_addr(&server, "lossy");
    let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
    let step = Duration::from_secs_f64(10.0) / datagrams.len() as u32;
    let start = Instant::now();
    for (i, (d, keep)) in datagrams.iter().zip(&kept).enumerate() {
        if let Some(wait) = (step * i as u32).checked_sub(start.elapsed()) {
            std::thread::sleep(wait);
        }
        if *keep {
            socket.send_to(d, addr).unwrap();
        }
    }
    wait_for_end(&server, "lossy");
    let url = format!("http://{}/live/lossy/master.m3u8", server.addr);
    assert_eq!(decode_errors(&url), "", "ffmpeg decoding {url}");
    assert_eq!(video_frames(&url), video, "every frame delivered is served");
    let served = probe_video(&url);
    assert!(served[0].1, "starts with a keyframe");
    let (out, _) = run(
        "ffprobe",
        &[
            "-v",
            "error",
            "-select_streams",
            "a",
            "-count_frames",
            "-show_entries",
            "stream=nb_read_frames",
            "-of",
            "csv=p=0",
            &url,
        ],
    );
    let served_audio: usize = out
        .lines()
        .find(|l| !l.trim().is_empty())
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    assert_eq!(served_audio, audio, "every audio frame delivered is served");
}
