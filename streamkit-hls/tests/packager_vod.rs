//! VOD packaging of every fixture, MPEG-TS and fMP4, judged by ffprobe and
//! ffmpeg: reading `master.m3u8`, they decode exactly the source's frame
//! count per stream (tests/fixtures/manifest.tsv) and its duration, with no
//! error.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

use bytes::Bytes;
use streamkit_core::mp4::Mp4File;
use streamkit_core::package::{Container, Package, PackageConfig, RenditionSpec};
use streamkit_core::time::{MediaTime, Timescale};
use streamkit_hls::playlist::{MediaPlaylist, MultivariantPlaylist};
use streamkit_hls::presentation::{Presentation, PresentationConfig};

/// How tracks map to renditions.
#[derive(Debug, Clone, Copy)]
enum Layout {
    Muxed,
    PerTrack,
}

fn fixtures_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures")
}

/// One fixture: file name, duration in µs, `(ffprobe codec name, samples)`
/// per track.
type FixtureEntry = (String, u64, Vec<(String, u64)>);

/// The fixtures, from the manifest.
fn manifest() -> Vec<FixtureEntry> {
    let text = std::fs::read_to_string(fixtures_dir().join("manifest.tsv")).unwrap();
    let mut out: Vec<FixtureEntry> = Vec::new();
    for line in text.lines().filter(|l| !l.starts_with('#')) {
        let cols: Vec<&str> = line.split('\t').collect();
        match cols[0] {
            "file" => out.push((cols[1].to_owned(), cols[3].parse().unwrap(), Vec::new())),
            "track" => {
                let entry = out.iter_mut().find(|f| f.0 == cols[1]).unwrap();
                entry
                    .2
                    .push((cols[4].to_owned(), cols[11].parse().unwrap()));
            }
            _ => {}
        }
    }
    out
}

fn write(root: &Path, name: &str, buffers: &[Bytes]) {
    let path = root.join(name);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let mut f = std::fs::File::create(path).unwrap();
    for b in buffers {
        f.write_all(b).unwrap();
    }
}

/// Packages `input` into `out` as the package example does; returns the
/// multivariant playlist and the media playlists.
fn package(
    input: &Path,
    out: &Path,
    container: Container,
    layout: Layout,
    seconds: i64,
) -> (MultivariantPlaylist, Vec<MediaPlaylist>) {
    let file = Mp4File::parse(Bytes::from(std::fs::read(input).unwrap())).unwrap();
    let (tracks, _) = file.tracks_and_shifts();
    let renditions = match layout {
        Layout::Muxed => vec![RenditionSpec::muxed("main", container, &tracks)],
        Layout::PerTrack => RenditionSpec::cmaf_per_track(&tracks)
            .into_iter()
            .map(|r| RenditionSpec { container, ..r })
            .collect(),
    };
    let config =
        PackageConfig::new(MediaTime::new(seconds, Timescale::SECONDS)).with_renditions(renditions);
    let mut package = Package::for_mp4(&file, config).unwrap();
    for sample in file.samples() {
        package.push(sample).unwrap();
    }
    package.finish().unwrap();
    for (name, resource) in package.resources() {
        write(out, &name, resource.chunks.body().buffers());
    }
    let hls = Presentation::new(&package, PresentationConfig::vod()).unwrap();
    for (name, bytes) in hls.playlists(&package).unwrap() {
        write(out, &name, &[bytes]);
    }
    let media = (0..hls.renditions().len())
        .map(|i| hls.media_playlist(&package, i).unwrap())
        .collect();
    (hls.multivariant_playlist(&package), media)
}

fn tool(name: &str) -> Command {
    let probe = Command::new(name).arg("-version").output();
    assert!(
        probe.is_ok_and(|o| o.status.success()),
        "{name} is required for this test (scripts/test installs it)"
    );
    Command::new(name)
}

/// `(codec, packets, decoded frames)` per stream and the duration in µs.
fn probe(master: &Path) -> (Vec<(String, u64, u64)>, u64) {
    let out = tool("ffprobe")
        .args(["-v", "error", "-count_packets", "-count_frames"])
        .args([
            "-show_entries",
            "stream=index,codec_name,nb_read_packets,nb_read_frames",
        ])
        .args(["-show_entries", "format=duration", "-of", "compact"])
        .arg(master)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() && stderr.is_empty(),
        "ffprobe: {stderr}"
    );
    let text = String::from_utf8(out.stdout).unwrap();
    // ffprobe lists the streams once per program, then once more: keep
    // one entry per stream index.
    let mut streams = Vec::new();
    let mut seen = Vec::new();
    let mut duration = 0;
    for line in text.lines() {
        let field = |key: &str| {
            line.split('|')
                .find_map(|f| f.strip_prefix(key))
                .map(str::to_owned)
        };
        let line = line.strip_prefix("program|").unwrap_or(line);
        if line.starts_with("stream|") {
            let index: u64 = field("index=").unwrap().parse().unwrap();
            if seen.contains(&index) {
                continue;
            }
            seen.push(index);
            streams.push((
                field("codec_name=").unwrap(),
                field("nb_read_packets=").unwrap().parse().unwrap(),
                field("nb_read_frames=").unwrap().parse().unwrap(),
            ));
        } else if line.starts_with("format|") {
            let d: f64 = field("duration=").unwrap().parse().unwrap();
            duration = (d * 1e6).round() as u64;
        }
    }
    (streams, duration)
}

fn check(format: Container, layout: Layout, seconds: i64) {
    for (name, duration_us, tracks) in manifest() {
        let out = std::env::temp_dir().join(format!(
            "streamkit-hls-vod-{}-{name}-{format:?}-{layout:?}",
            std::process::id()
        ));
        let _ = std::fs::remove_dir_all(&out);
        let (master, media) = package(&fixtures_dir().join(&name), &out, format, layout, seconds);
        let expected_renditions = match layout {
            Layout::Muxed => 1,
            Layout::PerTrack => tracks.len(),
        };
        assert_eq!(media.len(), expected_renditions, "{name}");
        assert_eq!(master.variants.len(), 1, "{name}");
        assert_eq!(master.renditions.len(), expected_renditions - 1, "{name}");
        for m in &media {
            assert!(m.end_list, "{name}");
        }

        let (streams, duration) = probe(&out.join("master.m3u8"));
        let mut got: Vec<(String, u64, u64)> = streams;
        got.sort();
        let mut want: Vec<(String, u64, u64)> =
            tracks.iter().map(|(c, n)| (c.clone(), *n, *n)).collect();
        want.sort();
        assert_eq!(
            got, want,
            "{name} {format:?} {layout:?}: per-stream packets, frames"
        );
        // The duration ffprobe reports: the source's, to within 1 ms.
        assert!(
            duration.abs_diff(duration_us) <= 1_000,
            "{name} {format:?}: duration {duration} µs, source {duration_us} µs"
        );

        let decode = tool("ffmpeg")
            .args(["-v", "error", "-i"])
            .arg(out.join("master.m3u8"))
            .args(["-f", "null", "-"])
            .output()
            .unwrap();
        assert!(
            decode.status.success() && decode.stderr.is_empty(),
            "{name} {format:?}: ffmpeg: {}",
            String::from_utf8_lossy(&decode.stderr)
        );
        std::fs::remove_dir_all(&out).unwrap();
    }
}

#[test]
fn fmp4_per_track_renditions() {
    check(Container::Cmaf, Layout::PerTrack, 2);
}

#[test]
fn fmp4_muxed() {
    check(Container::Cmaf, Layout::Muxed, 4);
}

#[test]
fn ts_muxed() {
    check(Container::MpegTs, Layout::Muxed, 2);
}

#[test]
fn ts_per_track_renditions() {
    check(Container::MpegTs, Layout::PerTrack, 6);
}
