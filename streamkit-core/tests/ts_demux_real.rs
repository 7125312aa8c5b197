//! The MPEG-TS demuxer judged by ffprobe: transport streams written by
//! ffmpeg (every fixture; with `-mpegts_flags resend_headers`), by
//! GStreamer's `mpegtsmux` and by streamkit's own muxer demux to exactly
//! the packets ffprobe reports for each stream: the count, and for each
//! packet its PTS, DTS, keyframe flag and size.

// Test code: a failed read or parse is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use bytes::Bytes;
use streamkit_core::codec::CodecConfig;
use streamkit_core::mp4::Mp4File;
use streamkit_core::track::Track;
use streamkit_core::ts::{TsDemuxer, TsEvent, TsMuxer, TsSample};

const FIXTURES: [&str; 4] = [
    "h264_aac.mp4",
    "h264_aac_moov_end.mp4",
    "h265_aac.mp4",
    "h264_opus.mp4",
];

fn fixture_path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/fixtures")
        .join(name)
}

struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> TempDir {
        let dir =
            std::env::temp_dir().join(format!("streamkit-tsdemux-{}-{tag}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn run(program: &str, args: &[&str]) -> String {
    let out = Command::new(program)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{program}: {e}"));
    assert!(
        out.status.success(),
        "{program} {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// One packet as ffprobe reports it.
#[derive(Debug, PartialEq, Eq, Clone, Copy)]
struct Packet {
    pts: i64,
    dts: i64,
    key: bool,
    size: usize,
    /// It starts a PES packet (ffprobe gives its position; the frames
    /// after it in the same PES packet have none).
    pes_start: bool,
}

/// ffprobe's packets of every stream, by PID.
fn probe(file: &Path) -> BTreeMap<u16, Vec<Packet>> {
    let f = file.to_str().unwrap();
    let streams = run(
        "ffprobe",
        &[
            "-v",
            "error",
            "-show_entries",
            "stream=index,id",
            "-of",
            "csv=p=0",
            f,
        ],
    );
    let mut pid_of = BTreeMap::new();
    for line in streams.lines().filter(|l| !l.is_empty()) {
        let (index, id) = line.split_once(',').unwrap();
        let pid = u16::from_str_radix(id.trim_start_matches("0x"), 16).unwrap();
        pid_of.insert(index.parse::<usize>().unwrap(), pid);
    }
    let packets = run(
        "ffprobe",
        &[
            "-v",
            "error",
            "-show_entries",
            "packet=stream_index,pts,dts,size,pos,flags",
            "-of",
            "csv=p=0",
            f,
        ],
    );
    let mut out: BTreeMap<u16, Vec<Packet>> = BTreeMap::new();
    for line in packets.lines().filter(|l| !l.is_empty()) {
        let fields: Vec<&str> = line.split(',').collect();
        let pid = pid_of[&fields[0].parse::<usize>().unwrap()];
        out.entry(pid).or_default().push(Packet {
            pts: fields[1].parse().unwrap(),
            dts: fields[2].parse().unwrap(),
            size: fields[3].parse().unwrap(),
            pes_start: fields[4] != "N/A",
            key: fields[5].starts_with('K'),
        });
    }
    out
}

/// Our demuxer's samples by PID, the file pushed in odd-sized chunks (so
/// that packets are split across pushes).
fn demux(ts: &[u8]) -> (BTreeMap<u16, Vec<TsSample>>, Vec<TsEvent>) {
    let mut d = TsDemuxer::new();
    let mut samples: BTreeMap<u16, Vec<TsSample>> = BTreeMap::new();
    let mut other = Vec::new();
    let mut drain = |d: &mut TsDemuxer| {
        while let Some(e) = d.poll_event() {
            match e {
                TsEvent::Sample(s) => samples.entry(s.pid).or_default().push(s),
                TsEvent::Pcr { .. } => {}
                e => other.push(e),
            }
        }
    };
    for chunk in ts.chunks(1_000) {
        d.push(chunk).unwrap();
        drain(&mut d);
    }
    d.finish().unwrap();
    drain(&mut d);
    (samples, other)
}

/// Demuxes `file` and compares with ffprobe, track by track.
fn assert_matches_ffprobe(file: &Path, what: &str) {
    let ts = std::fs::read(file).unwrap();
    let (ours, events) = demux(&ts);
    let probed = probe(file);
    assert!(
        !events
            .iter()
            .any(|e| matches!(e, TsEvent::Error(_) | TsEvent::ContinuityError(_))),
        "{what}: {events:?}"
    );
    let tracks: Vec<&Track> = events
        .iter()
        .filter_map(|e| match e {
            TsEvent::Track { track, .. } => Some(track),
            _ => None,
        })
        .collect();
    assert_eq!(tracks.len(), probed.len(), "{what}: tracks");
    let h265_pids: Vec<u16> = tracks
        .iter()
        .filter(|t| matches!(t.codec, CodecConfig::H265(_)))
        .map(|t| t.id as u16)
        .collect();
    assert_eq!(
        ours.keys().collect::<Vec<_>>(),
        probed.keys().collect::<Vec<_>>(),
        "{what}: PIDs"
    );
    for (pid, want) in &probed {
        let mut want = want.clone();
        let samples = &ours[pid];
        let got: Vec<Packet> = samples
            .iter()
            .enumerate()
            .map(|(i, s)| Packet {
                pts: s.pts,
                dts: s.dts,
                key: s.sample.keyframe,
                size: s.coded_len,
                pes_start: i == 0 || samples[i - 1].packet != s.packet,
            })
            .collect();
        assert_eq!(got.len(), want.len(), "{what}: PID {pid:#x}: packet count");
        if h265_pids.contains(pid) {
            // FFmpeg's HEVC parser cuts access units at the 3-byte start
            // code, so the zero byte that opens each 4-byte start code is
            // counted in the access unit before: one more in the first,
            // one less in the last, the same in between.
            want[0].size -= 1;
            if let Some(last) = want.last_mut() {
                last.size += 1;
            }
        }
        for (i, (g, w)) in got.iter().zip(&want).enumerate() {
            if w.pes_start {
                assert_eq!(g, w, "{what}: PID {pid:#x}: packet {i}");
            } else {
                // A frame after the first of its PES packet has no time of
                // its own in the stream: both interpolate from the PES's
                // PTS (ours rounds to the nearest tick, FFmpeg's rounding
                // is anchored on a grid of frame durations), within a
                // tick of each other.
                let (mut g, mut w) = (*g, *w);
                assert!(
                    (g.pts - w.pts).abs() <= 1,
                    "{what}: PID {pid:#x}: packet {i}: {g:?} {w:?}"
                );
                assert!(
                    (g.dts - w.dts).abs() <= 1,
                    "{what}: PID {pid:#x}: packet {i}: {g:?} {w:?}"
                );
                (g.pts, g.dts, w.pts, w.dts) = (0, 0, 0, 0);
                assert_eq!(g, w, "{what}: PID {pid:#x}: packet {i}");
            }
        }
        // Durations: each video sample lasts until the next one's decode
        // time; audio frames their sample count.
        for pair in samples.windows(2) {
            let (a, b) = (&pair[0].sample, &pair[1].sample);
            if a.timescale.hz() == 90_000 {
                assert_eq!(a.end_dts(), b.dts, "{what}: PID {pid:#x}: duration");
            }
            assert!(b.dts > a.dts, "{what}: PID {pid:#x}: decode order");
        }
    }
}

fn ffmpeg_ts(src: &Path, out: &Path, extra: &[&str]) {
    let mut args = vec![
        "-hide_banner",
        "-loglevel",
        "error",
        "-y",
        "-i",
        src.to_str().unwrap(),
        "-c",
        "copy",
    ];
    args.extend_from_slice(extra);
    args.extend_from_slice(&["-f", "mpegts", out.to_str().unwrap()]);
    run("ffmpeg", &args);
}

#[test]
fn ffmpeg_streams_demux_as_ffprobe_reports() {
    let dir = TempDir::new("ffmpeg");
    for name in FIXTURES {
        let out = dir.0.join(name.replace(".mp4", ".ts"));
        ffmpeg_ts(&fixture_path(name), &out, &[]);
        assert_matches_ffprobe(&out, &format!("ffmpeg {name}"));
    }
    // Tables before every keyframe, and one audio frame per PES.
    let out = dir.0.join("resend.ts");
    ffmpeg_ts(
        &fixture_path("h264_aac.mp4"),
        &out,
        &["-mpegts_flags", "resend_headers", "-pes_payload_size", "0"],
    );
    assert_matches_ffprobe(&out, "ffmpeg resend_headers");
}

#[test]
fn gstreamer_streams_demux_as_ffprobe_reports() {
    let dir = TempDir::new("gst");
    for (name, parse) in [("h264_aac.mp4", "h264parse"), ("h265_aac.mp4", "h265parse")] {
        let out = dir.0.join(name.replace(".mp4", ".ts"));
        let pipeline = format!(
            "filesrc location={} ! qtdemux name=d \
             d.video_0 ! queue ! {parse} ! mpegtsmux name=m ! filesink location={} \
             d.audio_0 ! queue ! aacparse ! m.",
            fixture_path(name).display(),
            out.display()
        );
        let args: Vec<&str> = std::iter::once("-q")
            .chain(pipeline.split_whitespace())
            .collect();
        run("gst-launch-1.0", &args);
        assert_matches_ffprobe(&out, &format!("GStreamer {name}"));
    }
}

#[test]
fn streamkit_streams_demux_as_ffprobe_reports() {
    let dir = TempDir::new("own");
    for name in FIXTURES {
        let file = Mp4File::parse(Bytes::from(std::fs::read(fixture_path(name)).unwrap())).unwrap();
        let (tracks, _) = file.tracks_and_shifts();
        let mut muxer = TsMuxer::new(&tracks).unwrap();
        let mut ts = Vec::new();
        for mut s in file.samples() {
            // MPEG-TS cannot carry negative composition offsets.
            let shift = file.track(s.track_id).unwrap().composition_to_dts_shift();
            s.dts -= i64::from(shift);
            s.composition_offset += shift as i32;
            muxer.write_sample(&s, &mut ts).unwrap();
        }
        let out = dir.0.join(name.replace(".mp4", ".ts"));
        std::fs::write(&out, &ts).unwrap();
        assert_matches_ffprobe(&out, &format!("streamkit {name}"));
    }
}
