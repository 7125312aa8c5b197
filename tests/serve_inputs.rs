//! examples/serve on MPEG-TS and fragmented MP4 files (told apart by their
//! bytes): each is served as VOD (HLS fMP4, HLS MPEG-TS) and ffprobe
//! decodes every frame of it.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may fail loudly

#[path = "serve_support/server.rs"]
mod server;

use std::process::Command;

use server::Server;

/// From tests/fixtures/manifest.tsv.
const VIDEO_FRAMES: usize = 300;
const AUDIO_FRAMES: usize = 432;

fn frames(url: &str, stream: &str) -> usize {
    let out = Command::new("ffprobe")
        .args(["-v", "error", "-select_streams", stream, "-count_frames"])
        .args([
            "-show_entries",
            "stream=nb_read_frames",
            "-of",
            "csv=p=0",
            url,
        ])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success() && stderr.is_empty(), "{url}: {stderr}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    stdout
        .lines()
        .find(|l| !l.trim().is_empty())
        .unwrap()
        .trim()
        .parse()
        .unwrap()
}

#[test]
fn transport_streams_and_fragmented_files_are_served() {
    let dir = std::env::temp_dir().join(format!("streamkit-serve-in-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let fixture = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/h264_aac.mp4");
    let ts = dir.join("clip_ts.mp4"); // the name says MP4: the bytes decide
    let frag = dir.join("clip_frag.mp4");
    for (out, args) in [
        (&ts, &["-f", "mpegts"][..]),
        (&frag, &["-movflags", "+cmaf", "-f", "mp4"][..]),
    ] {
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
            .arg(out)
            .status()
            .unwrap();
        assert!(status.success());
    }
    let server = Server::start_with(&[ts.to_str().unwrap(), frag.to_str().unwrap()]);
    for name in ["clip_ts", "clip_frag"] {
        for playlist in ["master.m3u8", "ts/master.m3u8"] {
            let url = format!("http://{}/vod/{name}/{playlist}", server.addr);
            assert_eq!(frames(&url, "v:0"), VIDEO_FRAMES, "{url}");
            assert_eq!(frames(&url, "a:0"), AUDIO_FRAMES, "{url}");
        }
    }
    drop(server);
    std::fs::remove_dir_all(&dir).unwrap();
}
