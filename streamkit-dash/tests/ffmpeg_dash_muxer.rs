//! The resolver on MPDs written by ffmpeg's DASH muxer: it lists exactly
//! the segment files ffmpeg wrote, with the durations of the source.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test helpers outside #[test] fns
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use streamkit_dash::{mpd, resolve::resolve};

const FIXTURE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../tests/fixtures/h264_aac.mp4"
);
const BASE: &str = "http://127.0.0.1:8080/out/";

fn run_ffmpeg(dir: &Path, template: bool, timeline: bool) {
    run_ffmpeg_with(dir, template, timeline, &[]);
}

fn run_ffmpeg_with(dir: &Path, template: bool, timeline: bool, extra: &[&str]) {
    let _ = std::fs::remove_dir_all(dir);
    std::fs::create_dir_all(dir).unwrap();
    let status = Command::new("ffmpeg")
        .args([
            "-v", "error", "-nostdin", "-i", FIXTURE, "-c", "copy", "-f", "dash",
        ])
        .args(["-seg_duration", "2"])
        .args(["-use_template", if template { "1" } else { "0" }])
        .args(["-use_timeline", if timeline { "1" } else { "0" }])
        .args(extra)
        .arg(dir.join("manifest.mpd"))
        .status()
        .expect("ffmpeg must be installed (scripts/test installs it)");
    assert!(status.success(), "ffmpeg failed: {status}");
}

fn files_in(dir: &Path) -> BTreeSet<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n != "manifest.mpd")
        .collect()
}

struct Listed {
    files: BTreeSet<String>,
    /// (codecs, timescale, summed duration, segment count) per Representation.
    tracks: Vec<(String, u32, u64, usize)>,
}

fn list(dir: &Path) -> Listed {
    let text = std::fs::read_to_string(dir.join("manifest.mpd")).unwrap();
    let m = mpd::parse(&text).unwrap();
    let url = format!("{BASE}manifest.mpd");
    let mut files = BTreeSet::new();
    let mut tracks = Vec::new();
    for (pi, p) in m.periods.iter().enumerate() {
        for (ai, a) in p.adaptations.iter().enumerate() {
            for (ri, r) in a.representations.iter().enumerate() {
                let rep = resolve(&m, &url, pi, ai, ri, None).unwrap();
                let init = rep.initialization.as_ref().expect("an init segment");
                assert!(files.insert(init.url.strip_prefix(BASE).unwrap().to_owned()));
                let mut total = 0;
                let mut count = 0;
                let mut next_time = 0;
                for s in rep.segments() {
                    let s = s.unwrap();
                    assert_eq!(s.time, next_time, "segments are contiguous");
                    next_time = s.time + s.duration;
                    total += s.duration;
                    count += 1;
                    assert_eq!(s.number, count as u64);
                    assert!(files.insert(s.url.strip_prefix(BASE).unwrap().to_owned()));
                }
                tracks.push((r.codecs.clone().unwrap(), rep.timescale.hz(), total, count));
            }
        }
    }
    Listed { files, tracks }
}

fn out_dir(name: &str) -> PathBuf {
    std::env::temp_dir().join(format!(
        "streamkit-dash-ffmpeg-{}-{name}",
        std::process::id()
    ))
}

#[test]
fn segment_template_with_timeline() {
    let dir = out_dir("template-timeline");
    run_ffmpeg(&dir, true, true);
    let listed = list(&dir);
    assert_eq!(listed.files, files_in(&dir));
    // The timeline's durations add up to the source's (manifest.tsv):
    // video 300 frames at 30 fps = 153600 ticks of 15360 Hz; audio 441000
    // ticks of 44.1 kHz.
    assert_eq!(
        listed.tracks,
        [
            ("avc1.64000d".to_owned(), 15360, 153_600, 5),
            ("mp4a.40.2".to_owned(), 44100, 441_000, 6),
        ]
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn segment_template_with_number_and_duration() {
    let dir = out_dir("template-number");
    run_ffmpeg(&dir, true, false);
    let listed = list(&dir);
    let written = files_in(&dir);
    // With @duration="2000000" at 1 MHz over mediaPresentationDuration
    // PT10.0S the MPD addresses ceil(10 / 2) = 5 segments per
    // Representation. ffmpeg also wrote a sixth audio file (the last 1704
    // samples, which its SegmentTimeline MPD lists): $Number$ addressing
    // with a nominal duration has no place for it, and its own MPD does not
    // reference it.
    let unaddressed: Vec<&String> = written.difference(&listed.files).collect();
    assert_eq!(unaddressed, ["chunk-stream1-00006.m4s"]);
    assert!(listed.files.is_subset(&written));
    assert_eq!(
        listed.tracks,
        [
            ("avc1.64000d".to_owned(), 1_000_000, 10_000_000, 5),
            ("mp4a.40.2".to_owned(), 1_000_000, 10_000_000, 5),
        ]
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn segment_list() {
    for (timeline, name) in [(true, "list-timeline"), (false, "list")] {
        let dir = out_dir(name);
        run_ffmpeg(&dir, false, timeline);
        let listed = list(&dir);
        assert_eq!(listed.files, files_in(&dir), "{name}");
        // SegmentList with @duration: every SegmentURL is a segment of the
        // nominal 2 s.
        assert_eq!(
            listed.tracks,
            [
                ("avc1.64000d".to_owned(), 1_000_000, 10_000_000, 5),
                ("mp4a.40.2".to_owned(), 1_000_000, 12_000_000, 6),
            ],
            "{name}"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

#[test]
fn single_file_byte_ranges_tile_each_file() {
    for (template, name) in [(true, "single"), (false, "single-list")] {
        let dir = out_dir(name);
        run_ffmpeg_with(&dir, template, false, &["-single_file", "1"]);
        let text = std::fs::read_to_string(dir.join("manifest.mpd")).unwrap();
        let m = mpd::parse(&text).unwrap();
        let mut files = BTreeSet::new();
        let mut counts = Vec::new();
        for a in 0..m.periods[0].adaptations.len() {
            let rep = resolve(&m, &format!("{BASE}manifest.mpd"), 0, a, 0, None).unwrap();
            let name = rep.base_url.strip_prefix(BASE).unwrap().to_owned();
            let size = std::fs::metadata(dir.join(&name)).unwrap().len();
            // The init range, then the segments' ranges, cover the file
            // byte for byte, in order.
            let init = rep.initialization.clone().unwrap();
            assert_eq!(init.url, rep.base_url);
            let init = init.byte_range.unwrap();
            assert_eq!(init.first, 0, "{name}");
            let mut next = init.last + 1;
            let mut count = 0;
            for s in rep.segments() {
                let s = s.unwrap();
                assert_eq!(s.url, rep.base_url);
                let r = s.byte_range.unwrap();
                assert_eq!(r.first, next, "{name}: segment {}", s.number);
                next = r.last + 1;
                count += 1;
            }
            assert_eq!(next, size, "{name}: the last range ends the file");
            files.insert(name);
            counts.push(count);
        }
        assert_eq!(files, files_in(&dir), "{name}");
        assert_eq!(counts, [5, 6], "{name}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
