//! VLC plays what examples/serve serves: `cvlc` opens the live LL-DASH and
//! LL-HLS channels and the VOD HLS and DASH URLs and writes the streams it
//! demuxed to an MPEG-TS file (`--sout '#std{...}'`, no decoding, no
//! window), which ffprobe then reads back.
//!
//! Live: VLC once stopped serve's live DASH channel after three segments;
//! here it must follow each live channel for 16 s of media with video
//! frames 1/30 s apart and no gap, and audio beside it.
//!
//! VOD, for every fixture: VLC's own remux of the fixture (read straight
//! from the MP4 file) is the reference. Its pictures: as many from every
//! form, give or take the one its muxer may hold back at the end. Its
//! audio, frame by frame: each frame VLC writes is matched to the
//! source's by its bytes (an AAC frame is the MP4 sample behind a 7-byte
//! ADTS header; ffprobe gives an Opus packet without its MPEG-TS control
//! header), so the test sees which source frames came out, in order and
//! none lost in between:
//!
//! - from the AAC files VLC starts at the source's frame 1: its MP4
//!   demuxer skips the priming frame the edit list (`media_time` 1024)
//!   covers. From the Opus file it starts at frame 0: the edit starts 312
//!   samples (the pre-skip) into it;
//! - from HLS fMP4 and DASH it starts at frame 0, the AAC priming frame
//!   included. VLC 3 applies no edit list in fragmented MP4: not with
//!   `segment_duration` 0 (what serve writes), not with the track's real
//!   duration, not with `mvhd`/`mehd` durations, and it ignores DASH's
//!   `@presentationTimeOffset` (all tried on copies of serve's segments),
//!   so nothing the server can write makes it drop the frame, and serve
//!   does not drop it itself (the decoder needs it to decode the next);
//! - from HLS MPEG-TS it starts at frame 0 too: MPEG-TS has no edit list
//!   (serve shifts the PES times so the priming frame presents 1024 ticks
//!   before the first picture, as the edit list says).
//!
//! Where VLC's TS muxer stops at the end of the input it drops the last
//! frames still queued for interleaving, and how many moves with the
//! interleaving (`h264_aac`: 421 of 432 from the file, 423 from the fMP4
//! forms, which keep the priming frame and VLC's unshifted video, 421 from
//! MPEG-TS), so the count after the start is only bounded below: 95% of
//! the source's frames.
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

/// The sizes in bytes of `kind`'s packets (`v` or `a`) in `file`, in file
/// order.
fn packet_sizes(file: &Path, kind: &str) -> Vec<usize> {
    let out = Command::new("ffprobe")
        .args(["-v", "error", "-select_streams", kind])
        .args(["-show_entries", "packet=size", "-of", "default=nw=1:nk=1"])
        .arg(file)
        .output()
        .expect("ffprobe is needed (scripts/test installs it)");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.trim().parse().ok())
        .collect()
}

/// The index of the source frame VLC's first audio frame is, when every
/// frame VLC wrote is the next source frame (an AAC frame is the sample
/// behind `header` = 7 bytes of ADTS header; ffprobe gives an Opus packet
/// without its control header, `header` 0); panics, naming `what`, when
/// they are not one unbroken run of the source's frames.
fn first_source_frame(written: &[usize], header: usize, source: &[usize], what: &str) -> usize {
    let written: Vec<usize> = written.iter().map(|s| s - header).collect();
    (0..source.len())
        .find(|&start| source[start..].starts_with(&written))
        .unwrap_or_else(|| {
            panic!(
                "{what}: the {} audio frames VLC wrote are no unbroken run of the source's",
                written.len()
            )
        })
}

#[test]
fn vlc_reads_every_vod_form_as_it_reads_the_file() {
    // Fixture, the source's audio frames, the header VLC's frames carry
    // (above), and the source frame VLC starts at from the file: 1 past
    // the AAC priming frame; 0 for Opus, whose edit starts 312 samples
    // into its first frame (the pre-skip), so VLC keeps that frame.
    let fixtures = [
        ("h264_aac", 432, 7, 1),
        ("h265_aac", 260, 7, 1),
        ("h264_opus", 301, 0, 0),
    ];
    let paths: Vec<String> = fixtures
        .iter()
        .map(|f| format!("{}/tests/fixtures/{}.mp4", env!("CARGO_MANIFEST_DIR"), f.0))
        .collect();
    let args: Vec<&str> = paths.iter().map(String::as_str).collect();
    let server = Server::start_with(&args);
    let scratch = Scratch::new("vod");
    for ((name, frames, header, file_first), fixture) in fixtures.into_iter().zip(&paths) {
        let source = packet_sizes(Path::new(fixture), "a");
        assert_eq!(source.len(), frames, "{name}: the fixture's audio frames");
        let reference = scratch.0.join(format!("{name}.ts"));
        vlc_remux(fixture, &reference, None);
        let video = times(&reference, "v").len();
        let audio = packet_sizes(&reference, "a");
        // VLC's muxer drops the frames still queued when it stops (above).
        let least = frames * 95 / 100;
        assert!(
            audio.len() >= least,
            "VLC's remux of {name}: {} audio frames",
            audio.len()
        );
        assert_eq!(
            first_source_frame(&audio, header, &source, name),
            file_first,
            "{name}: the file"
        );
        for form in ["master.m3u8", "ts/master.m3u8", "manifest.mpd"] {
            let path = format!("/vod/{name}/{form}");
            let out = scratch
                .0
                .join(format!("{name}-{}.ts", form.replace('/', "-")));
            vlc_remux(&url_of(&server, &path), &out, None);
            let v = times(&out, "v").len();
            let a = packet_sizes(&out, "a");
            eprintln!(
                "{path}: {v} pictures, {} audio frames (the file: {video}, {})",
                a.len(),
                audio.len()
            );
            assert!(
                v.abs_diff(video) <= 1,
                "{path}: {v} pictures, the file {video}"
            );
            // No edit list applied: the first frame comes out (above).
            assert_eq!(first_source_frame(&a, header, &source, &path), 0, "{path}");
            assert!(a.len() >= least, "{path}: {} audio frames", a.len());
        }
    }
}
