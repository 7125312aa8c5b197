//! ffmpeg (and ffprobe) read our live MPDs from a loopback server: a live
//! package on a `PackageSite` with a `DashView` behind
//! `streamkit_origin::Origin`, fed by a real-time source on the system
//! clock (ffmpeg places itself in a live presentation by the system clock).
//!
//! - The live MPD of complete segments: `ffmpeg -i URL -t 5 -f null -`
//!   reads it without a word on stderr and fetches the video segments in
//!   order, every request answered (200, or 206 for its ranged MPD
//!   request).
//! - The low-latency MPD, joined 4 s after the stream started so that
//!   ffmpeg reaches the live edge within its 8 s: ffmpeg 5.1 ignores
//!   `@availabilityTimeOffset` and asks for the next segment as soon as it
//!   has read one, before it exists. The old origin answered `404` and
//!   ffmpeg walked the segment numbers upward in a storm of `404`s; the
//!   `DashView` now holds such a request until the segment's first part
//!   exists. `ffmpeg -i URL -t 8 -f framecrc -` must decode every frame of
//!   8 s of every stream, with no gap, and the server must have answered
//!   at most [`MAX_404`] requests with `404` (measured: none).
//! - Every input that plays as LL-HLS plays as LL-DASH: audio only, video
//!   only, H.265 with a keyframe every 1.6 s, and H.264 with keyframes
//!   every 1, 2.5 and 4 s (clips made by `scripts/make-live-clips.sh`);
//!   ffprobe names the codecs from the live MPD and ffmpeg decodes 8 s of
//!   each stream, frame after frame.
//!
//! The addressing is a SegmentTimeline of the real segment durations from
//! `@startNumber` (it was `$Number$` with a fixed `@duration`, which
//! stopped on the first segment of another length, and with which ffmpeg
//! 5.1's unsigned arithmetic picked the wrong first segment while a
//! presentation was younger than its time-shift buffer: the old test had to
//! join a 20 s old stream; this one joins a 4 s old one).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod live_server;

use std::process::Command;
use std::time::Duration;

use live_server::{LiveServer, LiveSetup, Logged, clip, fixture, segment_numbers};
use streamkit_core::mp4::Mp4File;

/// The most `404`s a low-latency run may see: none were measured; two
/// leave room for a request that races the end of the time-shift buffer.
const MAX_404: usize = 2;

fn require_ffmpeg() {
    for tool in ["ffmpeg", "ffprobe"] {
        let probe = Command::new(tool).arg("-version").output();
        assert!(
            probe.is_ok_and(|o| o.status.success()),
            "{tool} is required for this test (scripts/test installs it)"
        );
    }
}

#[test]
fn ffmpeg_reads_the_live_mpd() {
    require_ffmpeg();
    let server = LiveServer::start_live(&fixture(), &LiveSetup::complete_segments());
    let out = Command::new("ffmpeg")
        .args(["-nostdin", "-v", "error", "-i"])
        .arg(server.url("/live/manifest.mpd"))
        .args(["-t", "5", "-f", "null", "-"])
        .output()
        .unwrap();
    let log = server.log();
    drop(server);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() && stderr.is_empty(),
        "ffmpeg: {stderr}\nrequests: {log:?}"
    );
    let numbers = segment_numbers(&log, "/live/", "video");
    assert!(numbers.len() >= 2, "{log:?}");
    assert!(numbers.windows(2).all(|w| w[1] == w[0] + 1), "{log:?}");
    // Every request answered (ffmpeg asks for the MPD with `Range:
    // bytes=0-`: 206).
    assert!(
        log.iter().all(|l| l.status == 200 || l.status == 206),
        "{log:?}"
    );
}

/// The frames of one stream, as `-f framecrc` lists them.
#[derive(Debug, Default)]
struct Frames {
    kind: String,
    /// `(numerator, denominator)` of the time base.
    time_base: (u64, u64),
    /// `(pts, duration)` of each frame, in the time base.
    frames: Vec<(i64, i64)>,
}

impl Frames {
    /// The media time the frames cover, first to last.
    fn span(&self) -> Duration {
        let (first, last) = (self.frames[0], self.frames[self.frames.len() - 1]);
        let ticks = u64::try_from(last.0 + last.1 - first.0).unwrap();
        Duration::from_nanos(ticks * self.time_base.0 * 1_000_000_000 / self.time_base.1)
    }
}

/// Decodes `seconds` of every stream of `url` with ffmpeg (`-f framecrc`:
/// one line per decoded frame) and returns the frames per stream.
fn ffmpeg_decode(url: &str, seconds: u32) -> Vec<Frames> {
    let out = Command::new("ffmpeg")
        .args(["-nostdin", "-v", "error", "-i", url, "-t"])
        .arg(seconds.to_string())
        .args(["-map", "0", "-f", "framecrc", "-"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() && stderr.is_empty(),
        "ffmpeg {url}: {stderr}"
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let mut streams: Vec<Frames> = Vec::new();
    fn stream(streams: &mut Vec<Frames>, i: usize) -> &mut Frames {
        if streams.len() <= i {
            streams.resize_with(i + 1, Frames::default);
        }
        &mut streams[i]
    }
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("#tb ") {
            let (i, tb) = rest.split_once(": ").unwrap();
            let (n, d) = tb.split_once('/').unwrap();
            stream(&mut streams, i.parse().unwrap()).time_base =
                (n.parse().unwrap(), d.parse().unwrap());
        } else if let Some(rest) = line.strip_prefix("#media_type ") {
            let (i, kind) = rest.split_once(": ").unwrap();
            stream(&mut streams, i.parse().unwrap()).kind = kind.to_owned();
        } else if !line.starts_with('#') {
            let fields: Vec<i64> = line
                .split(',')
                .take(4)
                .map(|f| f.trim().parse().unwrap())
                .collect();
            stream(&mut streams, usize::try_from(fields[0]).unwrap())
                .frames
                .push((fields[2], fields[3]));
        }
    }
    streams
}

/// The codec of each stream ffprobe finds in the MPD at `url`.
fn ffprobe_codecs(url: &str) -> Vec<String> {
    let out = Command::new("ffprobe")
        .args(["-v", "error", "-show_entries", "stream=codec_name"])
        .args(["-of", "flat", url])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "ffprobe {url}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    // `streams.stream.N.codec_name="h264"` per stream (and the same under
    // `programs.` for the program that lists them again).
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .filter(|l| l.starts_with("streams.stream."))
        .filter_map(|l| l.split_once("codec_name=\""))
        .map(|(_, c)| c.trim_end_matches('"').to_owned())
        .collect()
}

/// Joins the low-latency channel of `file` 4 s after it started; checks
/// the codecs ffprobe reads from the live MPD, then that ffmpeg decodes 8 s
/// of every stream (`kinds`, in order) with no frame missing, at the live
/// edge, with at most [`MAX_404`] `404`s.
fn ffmpeg_follows_the_live_edge(file: &Mp4File, kinds: &[&str], codecs: &[&str]) {
    require_ffmpeg();
    let setup = LiveSetup {
        preroll: Duration::from_secs(4),
        ..LiveSetup::low_latency()
    };
    let server = LiveServer::start_live(file, &setup);
    let url = server.url("/live/manifest.mpd");
    let mut found = ffprobe_codecs(&url);
    found.sort();
    let mut expected: Vec<String> = codecs.iter().map(|c| (*c).to_owned()).collect();
    expected.sort();
    assert_eq!(found, expected);
    let _ = server.take_log();
    let streams = ffmpeg_decode(&url, 8);
    let log = server.log();
    let period = server.period().unwrap();
    drop(server);
    let found: Vec<&str> = streams.iter().map(|s| s.kind.as_str()).collect();
    assert_eq!(found, kinds, "{log:?}");
    for s in &streams {
        assert!(
            s.span() >= Duration::from_millis(7900),
            "{}: {:?} decoded\nrequests: {log:?}",
            s.kind,
            s.span()
        );
        // Frame after frame: each starts where the one before ends, but
        // where the source loops (its clip's last audio frame is cut at
        // the loop length, and a new loop's first AAC frame is priming):
        // there a step of less than a frame, once per loop. A missing frame
        // would be a step of a whole frame or more.
        let steps: Vec<i64> = s
            .frames
            .windows(2)
            .map(|w| w[1].0 - (w[0].0 + w[0].1))
            .collect();
        let irregular: Vec<(usize, i64)> = steps
            .iter()
            .copied()
            .enumerate()
            .filter(|(_, step)| *step != 0)
            .collect();
        let loops = (s.span().as_secs_f64() / period.as_secs_f64()).ceil() as usize;
        assert!(irregular.len() <= loops, "{}: {irregular:?}", s.kind);
        for (i, step) in irregular {
            assert!(
                step.abs() < s.frames[i].1,
                "{}: frame {i} is followed by a step of {step}",
                s.kind
            );
        }
    }
    let not_found: Vec<&Logged> = log.iter().filter(|l| l.status == 404).collect();
    eprintln!(
        "ffmpeg {codecs:?}: {} requests, {} 404, {} held, {} streamed",
        log.len(),
        not_found.len(),
        log.iter().filter(|l| l.held > Duration::ZERO).count(),
        log.iter().filter(|l| l.streamed).count()
    );
    assert!(not_found.len() <= MAX_404, "{not_found:?}\n{log:?}");
    // It read at the live edge: some segment was streamed while it was
    // being made, or held until it existed.
    assert!(
        log.iter()
            .any(|l| l.path.ends_with(".m4s") && (l.streamed || l.held > Duration::ZERO)),
        "{log:?}"
    );
    let main = if kinds.contains(&"video") {
        "video"
    } else {
        "audio"
    };
    // No segment skipped (ffmpeg opens its first one twice: to probe the
    // streams, then to read them).
    let mut numbers = segment_numbers(&log, "/live/", main);
    let read = numbers.clone();
    numbers.dedup();
    // 8 s from segments of 4 s at most.
    assert!(numbers.len() >= 2, "{log:?}");
    let numbers = read;
    assert!(
        numbers.windows(2).all(|w| w[1] == w[0] || w[1] == w[0] + 1),
        "{log:?}"
    );
}

#[test]
fn ffmpeg_follows_the_low_latency_mpd_without_a_404_storm() {
    ffmpeg_follows_the_live_edge(&fixture(), &["video", "audio"], &["h264", "aac"]);
}

#[test]
fn ffmpeg_follows_audio_only() {
    ffmpeg_follows_the_live_edge(&clip("audio_only"), &["audio"], &["aac"]);
}

#[test]
fn ffmpeg_follows_video_only() {
    ffmpeg_follows_the_live_edge(&clip("video_only"), &["video"], &["h264"]);
}

#[test]
fn ffmpeg_follows_h265_with_keyframes_every_1_6_s() {
    ffmpeg_follows_the_live_edge(&clip("h265_aac"), &["video", "audio"], &["hevc", "aac"]);
}

#[test]
fn ffmpeg_follows_keyframes_every_second() {
    ffmpeg_follows_the_live_edge(&clip("gop1"), &["video", "audio"], &["h264", "aac"]);
}

#[test]
fn ffmpeg_follows_keyframes_every_2_5_s() {
    ffmpeg_follows_the_live_edge(&clip("gop2_5"), &["video", "audio"], &["h264", "aac"]);
}

#[test]
fn ffmpeg_follows_keyframes_every_4_s() {
    ffmpeg_follows_the_live_edge(&clip("gop4"), &["video", "audio"], &["h264", "aac"]);
}
