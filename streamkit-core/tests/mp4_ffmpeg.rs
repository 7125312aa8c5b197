//! MP4 input on files ffmpeg makes at test time: tracks this crate does not
//! model (MP3 in `mp4a`, `tx3g` subtitles) are listed and skipped, and a
//! fragmented file opens with its (empty) `moov` tables.

// Test code: a failed tool run or parse is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::Command;

use bytes::Bytes;
use streamkit_core::mp4::{FourCc, Mp4File};

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("streamkit-mp4-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn ffmpeg(dir: &Path, args: &[&str]) {
    let status = Command::new("ffmpeg")
        .current_dir(dir)
        .args(["-hide_banner", "-loglevel", "error", "-y"])
        .args(args)
        .status()
        .expect("ffmpeg runs (apt-get install ffmpeg)");
    assert!(status.success(), "ffmpeg {args:?} failed");
}

/// ffprobe's packet count per stream.
fn packet_counts(path: &Path) -> Vec<usize> {
    let out = Command::new("ffprobe")
        .args(["-v", "error", "-show_entries", "packet=stream_index"])
        .args(["-of", "csv=p=0"])
        .arg(path)
        .output()
        .expect("ffprobe runs (apt-get install ffmpeg)");
    assert!(out.status.success());
    let mut counts = Vec::new();
    // Packets with side data print extra (empty) lines: skip them.
    for line in String::from_utf8(out.stdout).unwrap().lines() {
        let field = line.trim().trim_end_matches(',');
        if field.is_empty() {
            continue;
        }
        let i: usize = field.parse().unwrap();
        if counts.len() <= i {
            counts.resize(i + 1, 0);
        }
        counts[i] += 1;
    }
    counts
}

#[test]
fn mp3_and_subtitle_tracks_are_listed_and_skipped() {
    let dir = scratch("mixed");
    std::fs::write(
        dir.join("s.srt"),
        "1\n00:00:00,000 --> 00:00:00,500\nhello\n\n2\n00:00:00,500 --> 00:00:01,000\nworld\n",
    )
    .unwrap();
    ffmpeg(
        &dir,
        &[
            "-f",
            "lavfi",
            "-i",
            "sine=d=1",
            "-f",
            "lavfi",
            "-i",
            "sine=frequency=300:d=1",
            "-i",
            "s.srt",
            "-map",
            "0",
            "-map",
            "1",
            "-map",
            "2",
            "-c:a:0",
            "aac",
            "-c:a:1",
            "libmp3lame",
            "-c:s",
            "mov_text",
            "mixed.mp4",
        ],
    );
    let path = dir.join("mixed.mp4");
    let file = Mp4File::parse(Bytes::from(std::fs::read(&path).unwrap())).unwrap();
    let counts = packet_counts(&path);
    let tracks = file.tracks();
    assert_eq!(tracks.len(), 3);

    assert_eq!(tracks[0].sample_entry(), Some(FourCc(*b"mp4a")));
    assert_eq!(tracks[0].codec().unwrap().codec_string(), "mp4a.40.2");
    // MP3 travels in an `mp4a` entry too, with object type 0x6B.
    assert_eq!(tracks[1].sample_entry(), Some(FourCc(*b"mp4a")));
    assert!(tracks[1].codec().is_none() && !tracks[1].is_supported());
    assert_eq!(tracks[2].sample_entry(), Some(FourCc(*b"tx3g")));
    assert_eq!(tracks[2].handler(), FourCc(*b"sbtl"));
    assert!(tracks[2].codec().is_none());

    // Listed with ffprobe's counts; only the AAC samples are yielded.
    // ffmpeg's muxer ends the subtitles with an empty 2-byte cue that its
    // demuxer does not return: the file's stsz lists one more.
    let listed: Vec<usize> = tracks.iter().map(|t| t.sample_count() as usize).collect();
    assert_eq!(listed, [counts[0], counts[1], counts[2] + 1]);
    let id = tracks[0].id();
    assert_eq!(file.samples().count(), counts[0]);
    assert!(file.samples().all(|s| s.track_id == id));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn fragmented_files_read_their_fragments() {
    let dir = scratch("frag");
    ffmpeg(
        &dir,
        &[
            "-f",
            "lavfi",
            "-i",
            "sine=d=1",
            "-c:a",
            "aac",
            "-movflags",
            "frag_keyframe+empty_moov",
            "frag.mp4",
        ],
    );
    let file = Mp4File::parse(Bytes::from(std::fs::read(dir.join("frag.mp4")).unwrap())).unwrap();
    assert!(file.is_fragmented());
    assert_eq!(file.tracks().len(), 1);
    assert_eq!(
        file.tracks()[0].codec().unwrap().codec_string(),
        "mp4a.40.2"
    );
    // The samples are in the fragments, as many as ffprobe counts.
    let probed = std::process::Command::new("ffprobe")
        .args([
            "-v",
            "error",
            "-count_packets",
            "-show_entries",
            "stream=nb_read_packets",
            "-of",
            "csv=p=0",
        ])
        .arg(dir.join("frag.mp4"))
        .output()
        .unwrap();
    let count: usize = String::from_utf8(probed.stdout)
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    assert!(count > 40);
    assert_eq!(file.tracks()[0].sample_count() as usize, count);
    assert_eq!(file.samples().count(), count);
    std::fs::remove_dir_all(&dir).unwrap();
}
