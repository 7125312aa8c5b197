//! A publisher whose stream changes resolution mid-stream (a new SPS in
//! band, as an encoder sends when its output settings change), into
//! examples/serve over MPEG-TS/UDP (`--udp-ingest`), judged by ffmpeg:
//! the republished LL-HLS stream decodes across the change with no error,
//! every frame of both halves at its own resolution, after an
//! EXT-X-DISCONTINUITY and the new init segment's EXT-X-MAP. The same
//! over RTSP RECORD (ffmpeg's RTSP muxer: the first SPS in the SDP's
//! sprop-parameter-sets, the new one in band only). And dash.js
//! (tests/mse, in headless Chromium) plays the live DASH MPD, a new Period
//! at each change, across changes with no error.
//!
//! The input is made by scripts/make-resolution-change.sh. The serve
//! binary is the one `cargo test` builds beside the tests. Each wait is for
//! something to happen (a playlist to end), bounded only by a generous
//! hang guard.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may fail loudly
#![allow(clippy::disallowed_methods)] // tests wait on the real clock

#[path = "serve_support/server.rs"]
mod server;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use server::{Server, get};

/// Far longer than any of these waits takes on a loaded machine: only a
/// hang trips it.
const HANG_GUARD: Duration = Duration::from_secs(180);

struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> TempDir {
        let dir =
            std::env::temp_dir().join(format!("streamkit-change-{}-{tag}", std::process::id()));
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

fn make_input(dir: &Path) -> PathBuf {
    let script =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("scripts/make-resolution-change.sh");
    run("bash", &[script.to_str().unwrap(), dir.to_str().unwrap()]);
    dir.join("resolution_change.ts")
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

/// Waits until the live stream's video playlist has ended; returns it.
fn wait_for_end(server: &Server, name: &str) -> String {
    let start = Instant::now();
    loop {
        let (status, body) = get(server.addr, &format!("/live/{name}/video/index.m3u8"));
        let text = String::from_utf8_lossy(&body).into_owned();
        if status == 200 && text.contains("#EXT-X-ENDLIST") {
            return text;
        }
        assert!(start.elapsed() < HANG_GUARD, "live/{name} never ended");
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// How many decoded video frames of `input` have each size, in order of
/// first appearance.
fn frame_sizes(input: &str) -> Vec<((u32, u32), usize)> {
    let (out, _) = run(
        "ffprobe",
        &[
            "-v",
            "error",
            "-select_streams",
            "v",
            "-show_entries",
            "frame=width,height",
            "-of",
            "csv=p=0",
            input,
        ],
    );
    let mut sizes: Vec<((u32, u32), usize)> = Vec::new();
    for line in out.lines().filter(|l| !l.trim().is_empty()) {
        let mut it = line.trim().trim_end_matches(',').split(',');
        let w = it.next().unwrap().parse().unwrap();
        let h = it.next().unwrap().parse().unwrap();
        match sizes.last_mut() {
            Some((s, n)) if *s == (w, h) => *n += 1,
            _ => sizes.push(((w, h), 1)),
        }
    }
    sizes
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
fn a_resolution_change_plays_across_on_ll_hls() {
    let dir = TempDir::new("hls");
    let input = make_input(&dir.0);
    let input = input.to_str().unwrap();
    // What was sent: 45 frames at each size.
    let sent = frame_sizes(input);
    assert_eq!(sent, [((320, 240), 45), ((480, 270), 45)]);

    let server = Server::start_logged(&["--udp-ingest", "127.0.0.1:0=cam"]);
    let addr = ingest_addr(&server, "cam");
    run(
        "ffmpeg",
        &[
            "-hide_banner",
            "-loglevel",
            "error",
            "-re",
            "-i",
            input,
            "-c",
            "copy",
            "-f",
            "mpegts",
            &format!("udp://{addr}?pkt_size=1316"),
        ],
    );
    let video = wait_for_end(&server, "cam");
    // One discontinuity, then the new init segment.
    assert_eq!(
        video.matches("#EXT-X-DISCONTINUITY\n").count(),
        1,
        "{video}"
    );
    assert!(video.contains("#EXT-X-MAP:URI=\"init.mp4\""), "{video}");
    assert!(
        video.contains("#EXT-X-DISCONTINUITY\n#EXT-X-MAP:URI=\"init-1.mp4\""),
        "{video}"
    );
    let (status, _) = get(server.addr, "/live/cam/video/init-1.mp4");
    assert_eq!(status, 200);
    let audio = String::from_utf8(get(server.addr, "/live/cam/audio/index.m3u8").1).unwrap();
    assert_eq!(
        audio.matches("#EXT-X-DISCONTINUITY\n").count(),
        1,
        "{audio}"
    );
    assert_eq!(audio.matches("#EXT-X-MAP:").count(), 1, "{audio}");

    let url = format!("http://{}/live/cam/master.m3u8", server.addr);
    let errors = decode_errors(&url);
    let log = server.log.as_ref().unwrap().lines().join("\n");
    assert_eq!(errors, "", "ffmpeg decoding {url}; serve said:\n{log}");
    assert_eq!(frame_sizes(&url), sent, "every frame, at its own size");
}

/// What ffmpeg republished as `name` plays across the change: one
/// discontinuity and the new init segment in the video playlist, and
/// ffmpeg decodes the LL-HLS stream with no error, every frame of `sent`
/// at its own size.
fn assert_plays_across(server: &Server, name: &str, sent: &[((u32, u32), usize)]) {
    let video = wait_for_end(server, name);
    assert_eq!(
        video.matches("#EXT-X-DISCONTINUITY\n").count(),
        1,
        "{video}"
    );
    assert!(
        video.contains("#EXT-X-DISCONTINUITY\n#EXT-X-MAP:URI=\"init-1.mp4\""),
        "{video}"
    );
    let url = format!("http://{}/live/{name}/master.m3u8", server.addr);
    let errors = decode_errors(&url);
    let log = server.log.as_ref().unwrap().lines().join("\n");
    assert_eq!(errors, "", "ffmpeg decoding {url}; serve said:\n{log}");
    assert_eq!(frame_sizes(&url), sent, "every frame, at its own size");
}

#[test]
fn a_resolution_change_over_rtsp_record_plays_across_on_ll_hls() {
    let dir = TempDir::new("rtsp");
    let input = make_input(&dir.0);
    let input = input.to_str().unwrap();
    let sent = frame_sizes(input);
    assert_eq!(sent, [((320, 240), 45), ((480, 270), 45)]);

    let server = Server::start_logged(&[]);
    run(
        "ffmpeg",
        &[
            "-hide_banner",
            "-loglevel",
            "error",
            "-re",
            "-i",
            input,
            "-c",
            "copy",
            // Video only: ffmpeg's RTSP muxer refuses the AAC of MPEG-TS
            // (ADTS, no AudioSpecificConfig for the SDP), and the change
            // is the video's.
            "-an",
            "-f",
            "rtsp",
            "-rtsp_transport",
            "tcp",
            &format!("{}/live/cam", server.rtsp),
        ],
    );
    assert_plays_across(&server, "cam", &sent);
}

/// The Period@ids of the live MPD of `name`.
fn periods(server: &Server, name: &str) -> Vec<String> {
    let (_, body) = get(server.addr, &format!("/live/{name}/manifest.mpd"));
    let text = String::from_utf8_lossy(&body).into_owned();
    text.split("<Period id=\"")
        .skip(1)
        .map(|p| p.split('"').next().unwrap().to_owned())
        .collect()
}

#[test]
fn dashjs_plays_across_changes_on_live_dash() {
    let mse = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/mse");
    assert!(
        mse.join("node_modules/dashjs/package.json").exists(),
        "tests/mse/node_modules/dashjs is missing: run `npm ci` in tests/mse (scripts/test does)"
    );
    let dir = TempDir::new("dash");
    make_input(&dir.0);
    let input = dir.0.join("alternating.ts");
    let server = Server::start_with(&["--udp-ingest", "127.0.0.1:0=alt"]);
    let addr = ingest_addr(&server, "alt");
    // 12 s at its own pace, an SPS change every 1.5 s.
    let mut sender = Command::new("ffmpeg")
        .args(["-hide_banner", "-loglevel", "error", "-re", "-i"])
        .arg(&input)
        .args(["-c", "copy", "-f", "mpegts"])
        .arg(format!("udp://{addr}?pkt_size=1316"))
        .stdin(Stdio::null())
        .spawn()
        .unwrap();
    // Once the first change is in the MPD (two Periods), dash.js joins.
    let start = Instant::now();
    while periods(&server, "alt").len() < 2 {
        assert!(
            start.elapsed() < HANG_GUARD,
            "the MPD never got a second Period"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let out = Command::new("node")
        .arg(mse.join("dashjs.mjs"))
        .args([
            &format!("http://{}/live/alt/manifest.mpd", server.addr),
            "live",
            "5",
        ])
        .current_dir(&mse)
        .output()
        .expect("node is required (scripts/test installs it)");
    let report = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "dashjs.mjs: {report}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(sender.wait().unwrap().success());
    assert!(report.contains("\"started\":true"), "{report}");
    assert!(report.contains("\"errors\":[]"), "{report}");
    assert!(report.contains("\"pageErrors\":[]"), "{report}");
    // The span played, `{"from":A,"to":B}`, crosses at least two changes
    // (one every 1.5 s of media time).
    let span = report.split("{\"from\":").nth(1).expect("a span played");
    let from: f64 = span.split(',').next().unwrap().parse().unwrap();
    let to: f64 = span
        .split("\"to\":")
        .nth(1)
        .unwrap()
        .split('}')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    let changes_crossed = ((to / 1.5).floor() - (from / 1.5).floor()) as i64;
    assert!(changes_crossed >= 2, "played {from} to {to}: {report}");
}
