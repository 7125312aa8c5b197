//! VLC plays what examples/serve serves: `cvlc` opens the live LL-DASH and
//! LL-HLS channels and the VOD HLS and DASH URLs and writes the streams it
//! demuxed to an MPEG-TS file (`--sout '#std{...}'`, no decoding, no
//! window), which ffprobe then reads back.
//!
//! Live: VLC once stopped serve's live DASH channel after three segments;
//! here it must follow each live channel for 16 s of media with video
//! frames 1/30 s apart and no gap, and audio beside it. VOD: VLC's own
//! remux of the fixture (read straight from the MP4 file) is the
//! reference: what it writes from serve's URLs has as many pictures, give
//! or take the one its muxer may hold back at the end, and no fewer audio
//! frames. Up to two more audio frames are allowed, and printed: VLC trims
//! the AAC priming the file's edit list names, but not from fragmented MP4
//! (the fMP4 forms carry the same edit list in their init segments, with
//! `segment_duration` 0, which VLC and GStreamer do not apply); that
//! difference is known and open.
//!
//! VLC refuses to run as root: as root the test runs it as `nobody`
//! (`runuser`). Needs vlc-bin and vlc-plugin-base; scripts/test installs
//! them.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may fail loudly
#![allow(clippy::disallowed_methods)] // a hang guard in real time

use std::path::{Path, PathBuf};
use std::process::Command;

#[path = "serve_support/server.rs"]
mod server;
use server::Server;

/// A directory VLC (perhaps running as `nobody`) may write to, removed
/// when dropped.
struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str) -> Scratch {
        let dir = std::env::temp_dir().join(format!("serve-vlc-{}-{name}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o777)).unwrap();
        Scratch(dir)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn running_as_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

/// Has VLC remux `input` into `out` (MPEG-TS), for `run_time` seconds of
/// media if given, else to the end; a hang guard of two minutes.
fn vlc_remux(input: &str, out: &Path, run_time: Option<u32>) {
    let mut command = if running_as_root() {
        let mut c = Command::new("runuser");
        c.args(["-u", "nobody", "--", "cvlc"]);
        c
    } else {
        Command::new("cvlc")
    };
    command
        .env("HOME", out.parent().unwrap())
        .args(["-q", "--intf", "dummy"])
        .arg(input)
        .arg(format!(
            "--sout=#std{{access=file,mux=ts,dst={}}}",
            out.display()
        ));
    if let Some(seconds) = run_time {
        command.arg(format!("--run-time={seconds}"));
    }
    command.args(["--play-and-exit", "vlc://quit"]);
    let mut child = command
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("cvlc is needed (scripts/test installs vlc-bin): {e}"));
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    while child.try_wait().unwrap().is_none() {
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            panic!("cvlc on {input} did not end in two minutes");
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    assert!(out.exists(), "cvlc wrote nothing for {input}");
}

/// The presentation times of `kind`'s packets (`v` or `a`) in `file`, in
/// seconds, sorted.
fn times(file: &Path, kind: &str) -> Vec<f64> {
    let out = Command::new("ffprobe")
        .args(["-v", "error", "-select_streams", kind])
        .args(["-show_entries", "packet=pts_time", "-of", "csv=p=0"])
        .arg(file)
        .output()
        .expect("ffprobe is needed (scripts/test installs it)");
    let mut t: Vec<f64> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.trim().trim_end_matches(',').parse().ok())
        .collect();
    t.sort_by(f64::total_cmp);
    t
}

fn url_of(server: &Server, path: &str) -> String {
    server
        .urls
        .iter()
        .find(|u| u.ends_with(path))
        .unwrap_or_else(|| panic!("{path} among {:?}", server.urls))
        .clone()
}

fn vlc_follows_live(path: &str, name: &str) {
    let server = Server::start();
    let scratch = Scratch::new(name);
    let out = scratch.0.join("out.ts");
    vlc_remux(&url_of(&server, path), &out, Some(20));
    let video = times(&out, "v");
    let audio = times(&out, "a");
    let span = |t: &[f64]| t.last().copied().unwrap_or(0.0) - t.first().copied().unwrap_or(0.0);
    eprintln!(
        "{path}: {} pictures over {:.2} s, {} audio frames over {:.2} s",
        video.len(),
        span(&video),
        audio.len(),
        span(&audio)
    );
    assert!(
        span(&video) >= 16.0,
        "{path}: {:.2} s of video",
        span(&video)
    );
    assert!(
        span(&audio) >= 16.0,
        "{path}: {:.2} s of audio",
        span(&audio)
    );
    // Every picture, 1/30 s apart (a gap is a lost segment or part), up to
    // the last half second: where --run-time stops VLC its muxer drops
    // pictures still being reordered.
    let end = video.last().copied().unwrap_or(0.0) - 0.5;
    for w in video.windows(2).filter(|w| w[1] < end) {
        assert!(
            w[1] - w[0] < 1.5 / 30.0,
            "{path}: video gap {:.3} -> {:.3}",
            w[0],
            w[1]
        );
    }
    // Every AAC frame (1024 samples at 44.1 kHz, 23.2 ms) beside it.
    for w in audio.windows(2).filter(|w| w[1] < end) {
        assert!(
            w[1] - w[0] < 0.035,
            "{path}: audio gap {:.3} -> {:.3}",
            w[0],
            w[1]
        );
    }
}

#[test]
fn vlc_follows_the_live_ll_dash_channel() {
    vlc_follows_live("/live/h264_aac/manifest.mpd", "dash");
}

#[test]
fn vlc_follows_the_live_ll_hls_channel() {
    vlc_follows_live("/live/h264_aac/master.m3u8", "hls");
}

#[test]
fn vlc_reads_every_vod_form_as_it_reads_the_file() {
    let server = Server::start();
    let scratch = Scratch::new("vod");
    let reference = scratch.0.join("file.ts");
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/h264_aac.mp4");
    vlc_remux(fixture.to_str().unwrap(), &reference, None);
    let (video, audio) = (times(&reference, "v").len(), times(&reference, "a").len());
    assert!(
        video >= 290 && audio >= 420,
        "VLC's remux of the file: {video} {audio}"
    );
    for (i, path) in [
        "/vod/h264_aac/master.m3u8",
        "/vod/h264_aac/ts/master.m3u8",
        "/vod/h264_aac/manifest.mpd",
    ]
    .into_iter()
    .enumerate()
    {
        let out = scratch.0.join(format!("{i}.ts"));
        vlc_remux(&url_of(&server, path), &out, None);
        let (v, a) = (times(&out, "v").len(), times(&out, "a").len());
        eprintln!("{path}: {v} pictures, {a} audio frames (the file: {video}, {audio})");
        assert!(
            v.abs_diff(video) <= 1,
            "{path}: {v} pictures, the file {video}"
        );
        assert!(
            (audio..=audio + 2).contains(&a),
            "{path}: {a} audio frames, the file {audio}"
        );
    }
}
