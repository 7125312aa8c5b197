//! Chromium plays our fMP4 through Media Source Extensions: for each
//! fixture whose codecs Chromium decodes, the init segment and the media
//! segments are appended to one SourceBuffer by `tests/mse/play.mjs`
//! (headless Debian `chromium`, driven by `playwright-core`), and the video
//! must play to its end with no media error.
//!
//! `h265_aac.mp4` is left out: Debian's Chromium reports
//! `MediaSource.isTypeSupported("video/mp4; codecs=\"hvc1...\"")` false (no
//! HEVC decoder in that build).
//!
//! Needs `chromium`, `node` and `tests/mse/node_modules` (`npm ci` in
//! tests/mse); scripts/test installs them. The test fails, saying what is
//! missing, when they are not there.

// Test helpers: a failure is a test failure.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::Command;

use bytes::Bytes;
use streamkit_core::fmp4::{
    CHUNK_BRANDS, FragmentWriter, SEGMENT_BRANDS, fragment_file, init_segment_with_shifts, styp,
};
use streamkit_core::mp4::Mp4File;
use streamkit_core::sample::PresentationShift;
use streamkit_core::sample::Sample;
use streamkit_core::segment::{SegmentEvent, Segmenter, SegmenterConfig};
use streamkit_core::time::{MediaTime, Timescale};
use streamkit_core::track::Track;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Writes the init segment and one file per 2 s segment (each `styp` +
/// `moof` + `mdat`, or with `part_target` `styp` + one `moof` + `mdat` per
/// low-latency part) of a fixture into a new directory, with the
/// manifest.json that play.mjs reads.
fn write_segments(name: &str, part_target: Option<MediaTime>) -> PathBuf {
    let data = Bytes::from(std::fs::read(repo().join("tests/fixtures").join(name)).unwrap());
    let file = Mp4File::parse(data).unwrap();
    let tracks: Vec<Track> = file.tracks().iter().filter_map(|t| t.to_track()).collect();
    let shifts: Vec<PresentationShift> = file
        .tracks()
        .iter()
        .map(|t| PresentationShift {
            track_id: t.id(),
            ticks: t.presentation_shift().unwrap(),
        })
        .collect();
    let dir = std::env::temp_dir().join(format!(
        "streamkit-mse-{}-{}-{}",
        std::process::id(),
        name.trim_end_matches(".mp4"),
        if part_target.is_some() {
            "chunks"
        } else {
            "segments"
        }
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let mut files = vec!["init.mp4".to_owned()];
    std::fs::write(
        dir.join("init.mp4"),
        init_segment_with_shifts(&tracks, &shifts).unwrap(),
    )
    .unwrap();

    let mut config = SegmenterConfig::new(
        tracks[0].id,
        tracks[0].timescale,
        MediaTime::new(2, Timescale::SECONDS),
    );
    if let Some(p) = part_target {
        config = config.with_part_target(p);
    }
    let mut segmenter = Segmenter::new(config).unwrap();
    let mut writer = FragmentWriter::new(&tracks);
    // Samples of the open segment (whole segments), or its chunks' bytes
    // (low latency: each part is written as it completes).
    let mut pending: Vec<Sample> = Vec::new();
    let mut chunks: Vec<u8> = Vec::new();
    let brands = if part_target.is_some() {
        CHUNK_BRANDS
    } else {
        SEGMENT_BRANDS
    };
    let mut emit = |segmenter: &mut Segmenter,
                    pending: &mut Vec<Sample>,
                    chunks: &mut Vec<u8>,
                    files: &mut Vec<String>| {
        while let Some(event) = segmenter.poll() {
            match event {
                SegmentEvent::Part(p) if part_target.is_some() => {
                    let chunk = writer.write_fragment(&p.samples).unwrap();
                    chunks.extend_from_slice(&chunk.bytes.to_bytes());
                }
                SegmentEvent::Part(p) => pending.extend(p.samples),
                SegmentEvent::Segment(s) => {
                    if !pending.is_empty() {
                        let fragment = writer.write_fragment(pending).unwrap();
                        pending.clear();
                        chunks.extend_from_slice(&fragment.bytes.to_bytes());
                    }
                    let mut bytes = styp(brands).to_vec();
                    bytes.append(chunks);
                    let name = format!("seg-{}.m4s", s.sequence);
                    std::fs::write(dir.join(&name), bytes).unwrap();
                    files.push(name);
                }
                other => panic!("unexpected {other:?}"),
            }
        }
    };
    for s in file.samples() {
        segmenter.push(s).unwrap();
        emit(&mut segmenter, &mut pending, &mut chunks, &mut files);
    }
    segmenter.finish();
    emit(&mut segmenter, &mut pending, &mut chunks, &mut files);

    let codecs: Vec<String> = tracks.iter().map(Track::codec_string).collect();
    let manifest = format!(
        "{{\"mime\": \"video/mp4; codecs=\\\"{}\\\"\", \"files\": [{}]}}",
        codecs.join(","),
        files
            .iter()
            .map(|f| format!("\"{f}\""))
            .collect::<Vec<_>>()
            .join(", ")
    );
    std::fs::write(dir.join("manifest.json"), manifest).unwrap();
    dir
}

/// Writes the whole-file conversion (init, `sidx`, fragments) as one file,
/// appended in one piece.
fn write_whole_file(name: &str) -> PathBuf {
    let data = Bytes::from(std::fs::read(repo().join("tests/fixtures").join(name)).unwrap());
    let file = Mp4File::parse(data).unwrap();
    let out = fragment_file(&file, MediaTime::new(2, Timescale::SECONDS)).unwrap();
    let dir = std::env::temp_dir().join(format!(
        "streamkit-mse-{}-{}-sidx",
        std::process::id(),
        name.trim_end_matches(".mp4")
    ));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("file.mp4"), out.bytes.to_bytes()).unwrap();
    let codecs: Vec<String> = file
        .tracks()
        .iter()
        .filter_map(|t| t.to_track())
        .map(|t| t.codec_string())
        .collect();
    std::fs::write(
        dir.join("manifest.json"),
        format!(
            "{{\"mime\": \"video/mp4; codecs=\\\"{}\\\"\", \"files\": [\"file.mp4\"]}}",
            codecs.join(",")
        ),
    )
    .unwrap();
    dir
}

/// A number field of play.mjs's one-line JSON report.
fn number(json: &str, key: &str) -> f64 {
    let at = json
        .find(&format!("\"{key}\":"))
        .unwrap_or_else(|| panic!("{key} in {json}"))
        + key.len()
        + 3;
    let end = json[at..].find([',', '}']).unwrap() + at;
    json[at..end].parse().unwrap()
}

fn play(name: &str, dir: PathBuf) {
    let script = repo().join("tests/mse/play.mjs");
    assert!(
        repo()
            .join("tests/mse/node_modules/playwright-core")
            .is_dir(),
        "tests/mse/node_modules is missing: run `npm ci` in tests/mse (scripts/test does)"
    );
    assert!(
        Path::new("/usr/bin/chromium").exists() || std::env::var_os("CHROMIUM").is_some(),
        "chromium is missing: apt-get install chromium (scripts/test does), or set CHROMIUM"
    );
    let out = Command::new("node")
        .arg(&script)
        .arg(&dir)
        .output()
        .unwrap_or_else(|e| panic!("node could not run ({e}): install nodejs"));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "play.mjs failed for {name}: {stderr}");
    let report = stdout.lines().last().unwrap_or_default();
    println!("{name}: {report}");
    assert!(report.contains("\"supported\":true"), "{name}: {report}");
    assert!(report.contains("\"errors\":[]"), "{name}: {report}");
    assert!(report.contains("\"pageErrors\":[]"), "{name}: {report}");
    assert!(
        report.contains("\"ended\":true"),
        "{name} did not play to the end: {report}"
    );
    let duration = number(report, "duration");
    let reached = number(report, "currentTime");
    assert!(
        reached >= duration - 0.2,
        "{name}: reached {reached} of {duration}: {report}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn chromium_plays_h264_aac() {
    play("h264_aac.mp4", write_segments("h264_aac.mp4", None));
}

#[test]
fn chromium_plays_h264_aac_moov_end() {
    play(
        "h264_aac_moov_end.mp4",
        write_segments("h264_aac_moov_end.mp4", None),
    );
}

#[test]
fn chromium_plays_h264_opus() {
    play("h264_opus.mp4", write_segments("h264_opus.mp4", None));
}

#[test]
fn chromium_plays_h264_aac_low_latency_chunks() {
    // 500 ms parts, each its own moof + mdat (a CMAF chunk).
    let part = MediaTime::new(500, Timescale::MILLIS);
    play("h264_aac.mp4", write_segments("h264_aac.mp4", Some(part)));
}

#[test]
fn chromium_plays_whole_file_with_sidx() {
    play("h264_opus.mp4", write_whole_file("h264_opus.mp4"));
}
