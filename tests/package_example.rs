//! examples/package on the A/V fixture with fMP4 segments: both manifests,
//! `master.m3u8` and `manifest.mpd`, over the one set of segment files, and
//! ffprobe decodes every source frame through each of them.
//!
//! The example binary is the one `cargo test` (and scripts/test) builds
//! beside this test, in target/<profile>/examples/.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may fail loudly

use std::path::{Path, PathBuf};
use std::process::Command;

/// From tests/fixtures/manifest.tsv: h264_aac.mp4 has 300 video and 432
/// audio samples.
const VIDEO_FRAMES: usize = 300;
const AUDIO_FRAMES: usize = 432;

fn example(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("test executable path");
    // target/<profile>/deps/<test> -> target/<profile>/examples/<name>
    let dir = exe
        .parent()
        .and_then(Path::parent)
        .expect("target/<profile>");
    let path = dir
        .join("examples")
        .join(format!("{name}{}", std::env::consts::EXE_SUFFIX));
    assert!(
        path.exists(),
        "{} is missing: build the examples first (cargo build --examples)",
        path.display()
    );
    path
}

/// Frames ffprobe decodes from `manifest` for stream `index`.
fn frames(manifest: &Path, index: &str) -> usize {
    let out = Command::new("ffprobe")
        .args(["-v", "error", "-select_streams", index, "-count_frames"])
        .args(["-show_entries", "stream=nb_read_frames", "-of", "csv=p=0"])
        .arg(manifest)
        .output()
        .expect("ffprobe is required for this test (scripts/test installs it)");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() && stderr.is_empty(),
        "ffprobe {}: {stderr}",
        manifest.display()
    );
    // The stream is listed once in its program and once at the top level.
    let stdout = String::from_utf8_lossy(&out.stdout);
    let counts: Vec<usize> = stdout
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.trim().parse().unwrap())
        .collect();
    assert!(
        !counts.is_empty() && counts.iter().all(|c| *c == counts[0]),
        "{stdout}"
    );
    counts[0]
}

#[test]
fn one_set_of_fmp4_segments_under_both_manifests_decodes_every_frame() {
    let out_dir = std::env::temp_dir().join(format!("streamkit-package-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&out_dir);
    let fixture = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/h264_aac.mp4");
    let status = Command::new(example("package"))
        .arg(fixture)
        .arg(&out_dir)
        .args(["--segment-format", "fmp4", "--segment-duration", "2"])
        .status()
        .unwrap();
    assert!(status.success());
    let mpd = std::fs::read_to_string(out_dir.join("manifest.mpd")).unwrap();
    assert!(
        mpd.contains(r#"media="$RepresentationID$/seg-$Number$.m4s""#),
        "{mpd}"
    );
    // Every file in the directory is one of the two manifests, an HLS media
    // playlist, or a segment both manifests share.
    let mut files = Vec::new();
    for dir in ["", "video", "audio"] {
        for e in std::fs::read_dir(out_dir.join(dir)).unwrap() {
            let e = e.unwrap();
            if e.file_type().unwrap().is_file() {
                files.push(format!("{dir}/{}", e.file_name().to_string_lossy()));
            }
        }
    }
    files.sort();
    let mut expected = vec!["/manifest.mpd".to_owned(), "/master.m3u8".to_owned()];
    for r in ["audio", "video"] {
        expected.push(format!("{r}/index.m3u8"));
        expected.push(format!("{r}/init.mp4"));
        expected.extend((0..5).map(|n| format!("{r}/seg-{n}.m4s")));
    }
    expected.sort();
    assert_eq!(files, expected);
    for manifest in ["manifest.mpd", "master.m3u8"] {
        let path = out_dir.join(manifest);
        assert_eq!(
            frames(&path, "v:0"),
            VIDEO_FRAMES,
            "{manifest}: video frames"
        );
        assert_eq!(
            frames(&path, "a:0"),
            AUDIO_FRAMES,
            "{manifest}: audio frames"
        );
    }
    std::fs::remove_dir_all(&out_dir).unwrap();
}

/// MPEG-TS and fragmented MP4 input (told apart by their bytes: the names
/// here say nothing) package to HLS and DASH that decode every frame.
#[test]
fn transport_streams_and_fragmented_files_package_too() {
    let dir = std::env::temp_dir().join(format!("streamkit-package-in-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let fixture = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/h264_aac.mp4");
    for (name, args) in [
        ("as-ts.bin", &["-f", "mpegts"][..]),
        (
            "as-frag.bin",
            &[
                "-movflags",
                "frag_keyframe+empty_moov+default_base_moof",
                "-f",
                "mp4",
            ][..],
        ),
    ] {
        let input = dir.join(name);
        let status = Command::new("ffmpeg")
            .args([
                "-hide_banner",
                "-loglevel",
                "error",
                "-y",
                "-i",
                fixture,
                "-c",
                "copy",
            ])
            .args(args)
            .arg(&input)
            .status()
            .unwrap();
        assert!(status.success());
        for format in ["fmp4", "ts"] {
            let out_dir = dir.join(format!("{name}-{format}"));
            let out = Command::new(example("package"))
                .arg(&input)
                .arg(&out_dir)
                .args(["--segment-format", format, "--segment-duration", "2"])
                .output()
                .unwrap();
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert!(out.status.success(), "{name} {format}: {stderr}");
            let container = if name == "as-ts.bin" {
                "MPEG-TS"
            } else {
                "fragmented MP4"
            };
            assert!(stderr.contains(container), "{stderr}");
            let master = out_dir.join("master.m3u8");
            assert_eq!(
                frames(&master, "v:0"),
                VIDEO_FRAMES,
                "{name} {format}: video"
            );
            assert_eq!(
                frames(&master, "a:0"),
                AUDIO_FRAMES,
                "{name} {format}: audio"
            );
        }
    }
    std::fs::remove_dir_all(&dir).unwrap();
}
