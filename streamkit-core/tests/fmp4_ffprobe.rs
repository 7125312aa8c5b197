//! fMP4 output judged by ffprobe and ffmpeg: for every fixture, the init
//! segment plus media segments (whole segments, low-latency chunks, one
//! track per init segment) and the whole-file `sidx` conversion must hold
//! exactly the source's frames per stream, the source's duration, and decode
//! without a single error line.
// Test helpers: a failure is a test failure.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicU32, Ordering};

use bytes::Bytes;
use streamkit_core::buffer::BufferList;
use streamkit_core::fmp4::{
    CHUNK_BRANDS, FragmentWriter, SEGMENT_BRANDS, fragment_file, init_segment_with_shifts, styp,
};
use streamkit_core::mp4::Mp4File;
use streamkit_core::sample::PresentationShift;
use streamkit_core::sample::Sample;
use streamkit_core::segment::{SegmentEvent, Segmenter, SegmenterConfig};
use streamkit_core::time::{MediaTime, Timescale};
use streamkit_core::track::Track;

const FIXTURES: [&str; 4] = [
    "h264_aac.mp4",
    "h264_aac_moov_end.mp4",
    "h265_aac.mp4",
    "h264_opus.mp4",
];

fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures")
}

/// What the manifest says about one fixture's stream.
struct ExpectedStream {
    /// Samples (frames) in the stream.
    frames: u64,
    /// The stream's timescale.
    timescale: i64,
    /// Presentation time of the first packet in ticks, edit list applied.
    first_pts: i64,
    /// Duration in ticks, for video (its presentation span).
    video_duration_ts: Option<u64>,
}

/// What the manifest says about one fixture: the duration in microseconds
/// and its streams, by index.
struct Expected {
    duration_us: u64,
    streams: Vec<ExpectedStream>,
}

fn expected(name: &str) -> Expected {
    let manifest = std::fs::read_to_string(fixtures_dir().join("manifest.tsv")).unwrap();
    let mut duration_us = None;
    let mut streams = Vec::new();
    for line in manifest.lines().filter(|l| !l.starts_with('#')) {
        let f: Vec<&str> = line.split('\t').collect();
        match f.as_slice() {
            ["file", n, _, d] if *n == name => duration_us = Some(d.parse().unwrap()),
            [
                "track",
                n,
                index,
                _,
                codec,
                _,
                timescale,
                _,
                _,
                _,
                _,
                samples,
                _,
                _,
                first_pts,
                _,
                _,
                duration,
            ] if *n == name => {
                assert_eq!(index.parse::<usize>().unwrap(), streams.len());
                let video = matches!(*codec, "h264" | "hevc");
                streams.push(ExpectedStream {
                    frames: samples.parse().unwrap(),
                    timescale: timescale.parse().unwrap(),
                    first_pts: first_pts.parse().unwrap(),
                    video_duration_ts: video.then(|| duration.parse().unwrap()),
                });
            }
            _ => {}
        }
    }
    Expected {
        duration_us: duration_us.unwrap(),
        streams,
    }
}

struct Input {
    tracks: Vec<Track>,
    shifts: Vec<PresentationShift>,
    samples: Vec<Sample>,
    file: Mp4File,
}

fn input(name: &str) -> Input {
    let data = Bytes::from(std::fs::read(fixtures_dir().join(name)).unwrap());
    let file = Mp4File::parse(data).unwrap();
    let mut tracks = Vec::new();
    let mut shifts = Vec::new();
    for t in file.tracks() {
        tracks.push(Track::new(
            t.id(),
            t.timescale(),
            t.codec().unwrap().clone(),
        ));
        shifts.push(PresentationShift {
            track_id: t.id(),
            ticks: t.presentation_shift().unwrap(),
        });
    }
    let samples = file.samples().collect();
    Input {
        tracks,
        shifts,
        samples,
        file,
    }
}

fn temp_path(tag: &str) -> PathBuf {
    static N: AtomicU32 = AtomicU32::new(0);
    std::env::temp_dir().join(format!(
        "streamkit-fmp4-{}-{}-{tag}.mp4",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ))
}

fn write(tag: &str, bytes: &BufferList) -> PathBuf {
    let path = temp_path(tag);
    std::fs::write(&path, bytes.to_bytes()).unwrap();
    path
}

fn run(tool: &str, args: &[&str]) -> (bool, String, String) {
    let out = Command::new(tool).args(args).output().unwrap_or_else(|e| {
        panic!("{tool} could not run ({e}): install ffmpeg (scripts/test does) to run these tests")
    });
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// What ffprobe says about a file.
#[derive(Debug, Default)]
struct Probed {
    /// Per stream: frames counted by decoding, start time in microseconds,
    /// duration in ticks.
    streams: Vec<(u64, i64, u64)>,
    /// Format duration in microseconds.
    duration_us: u64,
}

fn micros(v: &str) -> i64 {
    (v.parse::<f64>().unwrap() * 1e6).round() as i64
}

fn probe(path: &Path) -> Probed {
    let p = path.to_str().unwrap();
    let (ok, out, err) = run(
        "ffprobe",
        &[
            "-v",
            "error",
            "-count_frames",
            "-show_entries",
            "stream=nb_read_frames,start_time,duration_ts:format=duration",
            "-of",
            "compact=p=0:nk=1",
            p,
        ],
    );
    assert!(ok && err.is_empty(), "ffprobe {p}: {err}");
    let mut probed = Probed::default();
    for line in out.lines() {
        let f: Vec<&str> = line.split('|').collect();
        match f.as_slice() {
            [start, duration_ts, frames] => probed.streams.push((
                frames.parse().unwrap(),
                micros(start),
                duration_ts.parse().unwrap(),
            )),
            [duration] => probed.duration_us = micros(duration) as u64,
            _ => panic!("unexpected ffprobe line {line:?}"),
        }
    }
    probed
}

/// Decodes every stream; ffmpeg must print nothing at `-v error`.
fn decode_clean(path: &Path) {
    let p = path.to_str().unwrap();
    let (ok, out, err) = run("ffmpeg", &["-v", "error", "-i", p, "-f", "null", "-"]);
    assert!(ok, "ffmpeg failed on {p}: {err}");
    assert_eq!(format!("{out}{err}"), "", "ffmpeg printed errors for {p}");
}

/// Seconds to microseconds, rounded to nearest as ffprobe prints them.
fn to_us(seconds: f64) -> i64 {
    (seconds * 1e6).round() as i64
}

/// Checks a file against the source: frames per stream, start times (the
/// edit lists carried over), the video's duration, the file's duration,
/// and a clean decode. Removes the file when it passes. `streams` are the
/// source stream indexes the file holds, `samples` the source samples.
///
/// Two ways ffmpeg reads a fragmented file differently from a progressive
/// one enter the expectations, both computed from the source:
/// - it shows the samples an edit list skips at the start (the AAC or
///   Opus encoder-delay frame) with negative times, where it marks them
///   discarded in a progressive file, so the file starts that much earlier;
/// - it delays a track with negative composition offsets (`trun`
///   version 1) by the largest of them, since it cannot move decode times
///   back once fragments have been read.
fn judge(path: &Path, e: &Expected, streams: &[usize], samples: &[Sample]) {
    let got = probe(path);
    let shown = path.display();
    assert_eq!(got.streams.len(), streams.len(), "streams in {shown}");
    let mut start = f64::MAX;
    let mut end_delay = 0f64;
    for (&(frames, start_us, duration_ts), &index) in got.streams.iter().zip(streams) {
        let want = &e.streams[index];
        let track_id = index as u32 + 1;
        let delay_ticks = samples
            .iter()
            .filter(|s| s.track_id == track_id)
            .map(|s| -i64::from(s.composition_offset))
            .max()
            .unwrap()
            .max(0);
        let ts = want.timescale as f64;
        let want_start = (want.first_pts + delay_ticks) as f64 / ts;
        start = start.min(want_start);
        end_delay = end_delay.max(delay_ticks as f64 / ts);
        assert_eq!(frames, want.frames, "frames of stream {index} in {shown}");
        assert_eq!(
            start_us,
            to_us(want_start),
            "start of stream {index} in {shown}"
        );
        if let Some(d) = want.video_duration_ts {
            assert_eq!(duration_ts, d, "duration of stream {index} in {shown}");
        }
    }
    let end = e.duration_us as f64 / 1e6 + end_delay;
    assert_eq!(
        got.duration_us as i64,
        to_us(end - start),
        "duration of {shown}"
    );
    decode_clean(path);
    std::fs::remove_file(path).unwrap();
}

/// Runs the segmenter over `samples`; returns per segment its parts'
/// samples.
fn segments(
    samples: &[Sample],
    reference: &Track,
    part_target: Option<MediaTime>,
) -> Vec<Vec<Vec<Sample>>> {
    let mut config = SegmenterConfig::new(
        reference.id,
        reference.timescale,
        MediaTime::new(2, Timescale::SECONDS),
    );
    if let Some(p) = part_target {
        config = config.with_part_target(p);
    }
    let mut segmenter = Segmenter::new(config).unwrap();
    let mut out: Vec<Vec<Vec<Sample>>> = vec![Vec::new()];
    let drain = |segmenter: &mut Segmenter, out: &mut Vec<Vec<Vec<Sample>>>| {
        while let Some(event) = segmenter.poll() {
            match event {
                SegmentEvent::Part(p) => out.last_mut().unwrap().push(p.samples),
                SegmentEvent::Segment(_) => out.push(Vec::new()),
                other => panic!("unexpected {other:?}"),
            }
        }
    };
    for s in samples {
        segmenter.push(s.clone()).unwrap();
        drain(&mut segmenter, &mut out);
    }
    segmenter.finish();
    drain(&mut segmenter, &mut out);
    assert!(out.pop().unwrap().is_empty());
    out
}

/// Init segment + one `styp` + `moof` + `mdat` per segment (or, with
/// parts, one `moof` + `mdat` per part, the first after a chunk `styp`).
fn muxed(
    tracks: &[Track],
    shifts: &[PresentationShift],
    samples: &[Sample],
    part_target: Option<MediaTime>,
) -> BufferList {
    let mut out = BufferList::new();
    out.push(init_segment_with_shifts(tracks, shifts).unwrap());
    let mut writer = FragmentWriter::new(tracks);
    for segment in segments(samples, &tracks[0], part_target) {
        let brands = if part_target.is_some() {
            CHUNK_BRANDS
        } else {
            SEGMENT_BRANDS
        };
        out.push(styp(brands));
        for part in segment {
            out.append(writer.write_fragment(&part).unwrap().bytes);
        }
    }
    out
}

#[test]
fn segments_hold_every_frame() {
    for name in FIXTURES {
        let e = expected(name);
        let i = input(name);
        let out = muxed(&i.tracks, &i.shifts, &i.samples, None);
        judge(&write("segments", &out), &e, &[0, 1], &i.samples);
    }
}

#[test]
fn low_latency_chunks_hold_every_frame() {
    for name in FIXTURES {
        let e = expected(name);
        let i = input(name);
        let part = Some(MediaTime::new(500, Timescale::MILLIS));
        let out = muxed(&i.tracks, &i.shifts, &i.samples, part);
        judge(&write("chunks", &out), &e, &[0, 1], &i.samples);
    }
}

#[test]
fn whole_file_with_sidx_holds_every_frame() {
    for name in FIXTURES {
        let e = expected(name);
        let i = input(name);
        let out = fragment_file(&i.file, MediaTime::new(2, Timescale::SECONDS)).unwrap();
        judge(&write("sidx", &out.bytes), &e, &[0, 1], &i.samples);
    }
}

#[test]
fn one_track_per_init_segment() {
    // Each stream alone, as CMAF tracks are delivered: its own init segment
    // and fragments. (In every fixture each stream ends at the file's
    // duration, so the file-level expectations hold per stream.)
    for name in FIXTURES {
        let e = expected(name);
        let i = input(name);
        for (index, track) in i.tracks.iter().enumerate() {
            let samples: Vec<Sample> = i
                .samples
                .iter()
                .filter(|s| s.track_id == track.id)
                .cloned()
                .collect();
            let shifts: Vec<PresentationShift> = i
                .shifts
                .iter()
                .filter(|s| s.track_id == track.id)
                .copied()
                .collect();
            let out = muxed(std::slice::from_ref(track), &shifts, &samples, None);
            judge(&write("single", &out), &e, &[index], &samples);
        }
    }
}
