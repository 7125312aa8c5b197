//! ffmpeg's `framecrc` of an input, for the tests that play serve's URLs
//! and compare what ffmpeg decodes with the source.
#![allow(dead_code)] // each test uses a part

use std::process::Command;

/// ffmpeg's framecrc of `input` (after `before`, with `after` before the
/// output): (stream, crc) per frame, and its stderr. Panics when ffmpeg
/// fails.
pub(crate) fn framecrc(
    before: &[&str],
    input: &str,
    after: &[&str],
) -> (Vec<(u32, String)>, String) {
    let out = Command::new("ffmpeg")
        .args(["-nostdin", "-v", "error"])
        .args(before)
        .args(["-i", input])
        .args(after)
        .args(["-f", "framecrc", "-"])
        .output()
        .expect("run ffmpeg");
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "ffmpeg {input}: {stderr}");
    let frames = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| !l.starts_with('#'))
        .map(|l| {
            let f: Vec<&str> = l.split(',').map(str::trim).collect();
            (f[0].parse().unwrap(), f[5].to_owned())
        })
        .collect();
    (frames, stderr)
}

/// How many frames of `stream`.
pub(crate) fn count(frames: &[(u32, String)], stream: u32) -> usize {
    frames.iter().filter(|(s, _)| *s == stream).count()
}

/// The checksums of stream 0's frames (the video), in order.
pub(crate) fn video_crcs(frames: &[(u32, String)]) -> Vec<&str> {
    frames
        .iter()
        .filter(|(s, _)| *s == 0)
        .map(|(_, c)| c.as_str())
        .collect()
}
