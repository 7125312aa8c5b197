//! The rtp_send example end to end, judged by ffmpeg: `ffmpeg
//! -protocol_whitelist file,udp,rtp -i OUT.sdp` receives the example's
//! video and audio, copies every audio frame byte for byte as the source
//! file has it (`-f framemd5`, sizes and hashes), every video access unit,
//! and decodes both with no error output.
//!
//! The example runs at ten times real time (`--speed 10`), from the binary
//! `cargo build --examples` puts beside this test (built here when
//! missing). It ends its streams with RTCP BYE (a second after the last
//! packet, as ffmpeg reads RTCP before RTP), on which ffmpeg's SDP input
//! ends: ffmpeg exits by itself, with status 0.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may fail loudly

mod support;

use std::process::Command;
use std::time::Duration;

use streamkit::core::codec::MediaKind;
use support::{
    Guard, TempDir, fixture, framemd5, free_ports_for_another_process, require, run_example,
    samples, wait_bound,
};

/// ffmpeg's `framemd5` of the source file's audio stream, copied.
fn source_audio_md5(name: &str) -> Vec<(usize, String)> {
    let out = Command::new("ffmpeg")
        .args(["-hide_banner", "-loglevel", "error", "-i"])
        .arg(fixture(name))
        .args(["-map", "0:a", "-c", "copy", "-f", "framemd5", "-"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    framemd5(&String::from_utf8(out.stdout).unwrap())
}

/// Streams `name` with rtp_send (plus `extra` options) to an ffmpeg that
/// reads our SDP; checks what ffmpeg received.
fn ffmpeg_receives(name: &str, extra: &[&str]) {
    require("ffmpeg");
    let dir = TempDir::new(&format!("rtp-send-ffmpeg-{}", name.replace('.', "-")));
    let port = free_ports_for_another_process(4);
    let sdp = dir.0.join("out.sdp");
    let mut args: Vec<String> = vec![
        "--input".into(),
        fixture(name).display().to_string(),
        "--dest".into(),
        format!("127.0.0.1:{port}"),
        "--sdp".into(),
        sdp.display().to_string(),
    ];
    args.extend(extra.iter().map(|s| (*s).to_owned()));
    let mut sdp_only = args.clone();
    sdp_only.push("--sdp-only".into());
    run_example(
        "rtp_send",
        &sdp_only,
        &dir.0,
        "sdp",
        Duration::from_secs(60),
    );

    let (audio_md5, video_md5) = (dir.0.join("a.md5"), dir.0.join("v.md5"));
    let mut ffmpeg = Guard::spawn_logged(
        Command::new("ffmpeg")
            .args(["-hide_banner", "-nostats", "-loglevel", "error"])
            .args([
                "-protocol_whitelist",
                "file,udp,rtp",
                "-listen_timeout",
                "1",
                "-i",
            ])
            .arg(&sdp)
            .args(["-map", "0:a", "-c", "copy", "-f", "framemd5"])
            .arg(&audio_md5)
            .args(["-map", "0:v", "-c", "copy", "-f", "framemd5"])
            .arg(&video_md5)
            .args(["-map", "0:v", "-map", "0:a", "-f", "null", "-"]),
        &dir.0,
        "ffmpeg",
    );
    wait_bound(port, Duration::from_secs(60), Some(&mut ffmpeg));
    wait_bound(port + 2, Duration::from_secs(60), Some(&mut ffmpeg));

    args.extend(["--speed".into(), "10".into()]);
    run_example("rtp_send", &args, &dir.0, "send", Duration::from_secs(120));
    // The BYEs of both streams end ffmpeg's input: it writes its outputs
    // and exits.
    let status = ffmpeg.wait(Duration::from_secs(120));
    let errors = std::fs::read_to_string(dir.0.join("ffmpeg.stderr")).unwrap();
    assert_eq!(status.code(), Some(0), "ffmpeg: {status}\n{errors}");
    assert_eq!(errors, "", "ffmpeg reported errors receiving {name}");

    // Audio: every frame byte-identical to the source's (the last one may
    // be held by ffmpeg's RTP demuxer).
    let want = source_audio_md5(name);
    let got = framemd5(&std::fs::read_to_string(&audio_md5).unwrap());
    assert!(
        got.len() == want.len() || got.len() + 1 == want.len(),
        "{name}: {} of {} audio frames",
        got.len(),
        want.len()
    );
    assert_eq!(got[..], want[..got.len()], "{name}: audio frames differ");

    // Video: every access unit (all but possibly the last).
    let video = samples(name, MediaKind::Video).len();
    let got = framemd5(&std::fs::read_to_string(&video_md5).unwrap()).len();
    assert!(
        got == video || got + 1 == video,
        "{name}: {got} of {video} video access units"
    );
}

#[test]
fn h264_and_aac_aggregated() {
    // The defaults: MTU 1200, up to 4 AAC frames per packet.
    ffmpeg_receives("h264_aac.mp4", &[]);
}

#[test]
fn h265_and_aac_fragmented() {
    // At MTU 160 the larger AAC frames go in fragments, one frame per
    // packet otherwise.
    let largest = samples("h265_aac.mp4", MediaKind::Audio)
        .iter()
        .map(bytes::Bytes::len)
        .max()
        .unwrap();
    assert!(largest > 160 - 4, "no AAC frame above the MTU: {largest}");
    ffmpeg_receives("h265_aac.mp4", &["--mtu", "160", "--aac-frames", "1"]);
}

#[test]
fn h264_and_opus() {
    ffmpeg_receives("h264_opus.mp4", &[]);
}
