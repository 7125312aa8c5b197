//! Every track of every fixture, through every VOD form examples/serve
//! offers (HLS fMP4, HLS MPEG-TS, DASH), decodes to as many frames in
//! ffmpeg as the fixture itself, checked per track (`-map 0:v:0`,
//! `-map 0:a:0`, one `framecrc` line per decoded frame), but for the AAC
//! priming frame below.
//!
//! Opus is exact through every form: the 301 frames of `h264_opus.mp4`
//! (its 312-sample pre-skip is less than a frame, so ffmpeg keeps every
//! frame) come out 301 times, DASH included. Video is exact everywhere.
//!
//! AAC is not, and cannot be made so by the server: each AAC fixture's
//! edit list starts its presentation one whole frame in (`media_time`
//! 1024, the encoder's priming), and ffmpeg 5.1 drops that frame only when
//! it reads a progressive MP4, whose `moov` sample tables it builds its
//! priming skip from. In fragmented MP4 (HLS fMP4, DASH) the `moov` has no
//! samples: ffmpeg applies the init segment's edit list as a time shift
//! only (the priming frame presents at -1024 ticks, as from the file) and
//! decodes it, whatever the edit's `segment_duration` (0 or the track's
//! real duration, both tried); it ignores DASH's `@presentationTimeOffset`;
//! and MPEG-TS has no edit list at all (serve shifts the PES times so the
//! priming frame presents before the video's first picture). So through
//! every form ffmpeg decodes exactly one AAC frame more than from the file:
//! the priming frame, 1024 samples of silence the decoder needs for the
//! next frame's overlap. Dropping it in the server would lose that
//! pre-roll and damage the first real frame, so serve keeps it, as
//! ffmpeg's own packagers do: the test packages each fixture with ffmpeg's
//! `hls` (fMP4 and MPEG-TS) and `dash` muxers too and asserts that serve's
//! AAC forms decode to exactly the counts of ffmpeg's (the file's plus the
//! one priming frame), and its video and Opus to the file's (ffmpeg's own
//! DASH of `h264_opus` decodes one Opus frame fewer). Players
//! that apply the edit list to fragments get the file's count exactly:
//! GStreamer's, in tests/serve_gstreamer.rs.
//!
//! Needs ffmpeg; scripts/test installs it.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may fail loudly

#[path = "serve_support/server.rs"]
mod server;

use std::process::Command;

use server::Server;

/// Frames ffmpeg decodes from the first stream of `kind` (`v` or `a`) of
/// `input`; ffmpeg must say nothing on stderr.
fn decoded_frames(input: &str, kind: &str) -> usize {
    let out = Command::new("ffmpeg")
        .args(["-nostdin", "-v", "error", "-i", input])
        .args(["-map", &format!("0:{kind}:0"), "-f", "framecrc", "-"])
        .output()
        .expect("ffmpeg is needed (scripts/test installs it)");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() && stderr.is_empty(),
        "{input}: {stderr}"
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| !l.starts_with('#') && l.contains(','))
        .count()
}

#[test]
fn every_form_decodes_each_track_as_the_file_and_as_ffmpegs_own_packaging() {
    let fixtures = ["h264_aac", "h264_opus", "h265_aac"];
    let paths: Vec<String> = fixtures
        .iter()
        .map(|n| format!("{}/tests/fixtures/{n}.mp4", env!("CARGO_MANIFEST_DIR")))
        .collect();
    let args: Vec<&str> = paths.iter().map(String::as_str).collect();
    let server = Server::start_with(&args);
    for (name, path) in fixtures.iter().zip(&paths) {
        let video = decoded_frames(path, "v");
        let audio = decoded_frames(path, "a");
        // The fixtures' own counts (tests/fixtures/manifest.tsv), less the
        // priming frame ffmpeg drops from the AAC files.
        let expected = match *name {
            "h264_aac" => (300, 431),
            "h264_opus" => (180, 301),
            _ => (180, 259),
        };
        assert_eq!((video, audio), expected, "{name}: ffmpeg on the file");
        // The AAC priming frame, which ffmpeg keeps from fragmented MP4 and
        // MPEG-TS (see the top of this file).
        let priming = usize::from(name.ends_with("_aac"));
        let peer = PeerPackaging::new(name, path);
        for (form, peer_form) in [
            ("master.m3u8", &peer.hls_fmp4),
            ("ts/master.m3u8", &peer.hls_ts),
            ("manifest.mpd", &peer.dash),
        ] {
            let url = format!("http://{}/vod/{name}/{form}", server.addr);
            let (v, a) = (decoded_frames(&url, "v"), decoded_frames(&url, "a"));
            let (pv, pa) = (
                decoded_frames(peer_form, "v"),
                decoded_frames(peer_form, "a"),
            );
            eprintln!(
                "{url}: {v} pictures, {a} audio frames (the file: {video}, {audio}; \
                 ffmpeg's packaging: {pv}, {pa})"
            );
            assert_eq!(v, video, "{url}: pictures");
            assert_eq!(a, audio + priming, "{url}: audio frames");
            assert_eq!(v, pv, "{url}: pictures against ffmpeg's own {peer_form}");
            // ffmpeg's packagers keep the AAC priming frame too; its `dash`
            // muxer loses one Opus frame of h264_opus (300 of 301), serve
            // none.
            if priming == 1 {
                assert_eq!(
                    a, pa,
                    "{url}: audio frames against ffmpeg's own {peer_form}"
                );
            } else {
                assert!(
                    a >= pa,
                    "{url}: {a} audio frames, ffmpeg's own {peer_form} {pa}"
                );
            }
        }
    }
}

/// The same fixture packaged by ffmpeg's own muxers (stream copy, as serve
/// does): HLS with fMP4 segments, HLS with MPEG-TS segments, and DASH, in
/// a directory removed on drop.
struct PeerPackaging {
    dir: std::path::PathBuf,
    hls_fmp4: String,
    hls_ts: String,
    dash: String,
}

impl PeerPackaging {
    fn new(name: &str, input: &str) -> PeerPackaging {
        let dir =
            std::env::temp_dir().join(format!("serve-frame-counts-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let package = |sub: &str, args: &[&str], out: &str| -> String {
            let d = dir.join(sub);
            std::fs::create_dir_all(&d).unwrap();
            let out = d.join(out).to_string_lossy().into_owned();
            let status = Command::new("ffmpeg")
                .args([
                    "-nostdin", "-v", "error", "-i", input, "-map", "0", "-c", "copy",
                ])
                .args(args)
                .arg(&out)
                .status()
                .expect("ffmpeg is needed (scripts/test installs it)");
            assert!(status.success(), "ffmpeg packaging {out}");
            out
        };
        let hls = ["-f", "hls", "-hls_playlist_type", "vod", "-hls_time", "2"];
        let hls_fmp4 = package(
            "fmp4",
            &[&hls[..], &["-hls_segment_type", "fmp4"]].concat(),
            "index.m3u8",
        );
        let hls_ts = package("ts", &hls, "index.m3u8");
        let dash = package(
            "dash",
            &["-f", "dash", "-seg_duration", "2"],
            "manifest.mpd",
        );
        PeerPackaging {
            dir,
            hls_fmp4,
            hls_ts,
            dash,
        }
    }
}

impl Drop for PeerPackaging {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
