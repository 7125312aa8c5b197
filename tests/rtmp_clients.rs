//! examples/serve's RTMP side judged by real clients: ffmpeg and
//! GStreamer publish; ffmpeg, rtmpdump and GStreamer play the live stream
//! back and ffprobe reads it from LL-HLS, with the frame times the
//! publisher sent; Enhanced RTMP HEVC and Opus from a static ffmpeg;
//! RTMPS with certificate checks off; a wrong stream key refused; files
//! played at `vod/NAME`; a stream published by RTSP (ANNOUNCE/RECORD)
//! played by RTMP.
//!
//! Each test publishes a few seconds of a fixture; the only time bounds
//! are hang guards a loaded machine does not reach.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "rtmp_support/mod.rs"]
mod rtmp_support;
mod support;

use std::path::Path;
use std::process::Command;

use rtmp_support::{
    HANG_GUARD, Serve, assert_run_of, decodes, enhanced_ffmpeg, video_pts_ms, video_pts_ms_with,
};
use support::{Guard, fixture, require};

/// ffmpeg publishing `seconds` of `fixture` in real time to `url`. What
/// it sends is also written to `sent` (FLV) first, by the same ffmpeg
/// with the same options (the tee muxer cannot hand an MP4's streams to
/// two FLV muxers): the reference timeline.
fn ffmpeg_publish(
    ffmpeg: &Path,
    fixture_name: &str,
    seconds: u32,
    url: &str,
    sent: &Path,
    dir: &Path,
    tag: &str,
) -> Guard {
    let copy = |out: &mut Command| {
        out.args(["-hide_banner", "-loglevel", "error", "-t"])
            .arg(seconds.to_string())
            .arg("-i")
            .arg(fixture(fixture_name))
            .args(["-map", "0", "-c", "copy", "-f", "flv", "-y"]);
    };
    let mut reference = Command::new(ffmpeg);
    copy(&mut reference);
    let out = reference.arg(sent).output().unwrap();
    assert!(
        out.status.success(),
        "ffmpeg {}: {}",
        sent.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    let mut publish = Command::new(ffmpeg);
    publish.arg("-re");
    copy(&mut publish);
    Guard::spawn_logged(publish.arg(url), dir, tag)
}

/// ffmpeg copying what it plays from `url` into `out` (FLV).
fn ffmpeg_play(ffmpeg: &Path, url: &str, out: &Path, dir: &Path, tag: &str) -> Guard {
    Guard::spawn_logged(
        Command::new(ffmpeg)
            .args(["-hide_banner", "-loglevel", "error", "-i", url, "-map", "0"])
            .args(["-c", "copy", "-f", "flv", "-y"])
            .arg(out),
        dir,
        tag,
    )
}

/// Fails with a clear message when `tool` (which answers `-h`, unlike
/// ffmpeg's `-version`) is not installed.
fn require_tool(tool: &str) {
    let ok = Command::new(tool)
        .arg(if tool == "openssl" { "version" } else { "-h" })
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(
        ok,
        "{tool} is not installed: scripts/test installs it (apt-get install {tool})"
    );
}

fn ffmpeg() -> &'static Path {
    Path::new("ffmpeg")
}

#[test]
fn ffmpeg_publishes_and_ffmpeg_rtmpdump_gstreamer_and_ll_hls_play_it_with_its_frame_times() {
    for tool in ["ffmpeg", "ffprobe", "gst-launch-1.0"] {
        require(tool);
    }
    require_tool("rtmpdump");
    let serve = Serve::start(&[]);
    let dir = serve.dir.path().to_owned();
    let sent = dir.join("sent.flv");
    let url = serve.rtmp_url("live/cam1");
    let mut publisher = ffmpeg_publish(ffmpeg(), "h264_aac.mp4", 5, &url, &sent, &dir, "publish");
    serve.wait_listed("cam1", &mut publisher);

    // Three players on the live stream while it runs.
    let by_ffmpeg = dir.join("ffmpeg.flv");
    let by_rtmpdump = dir.join("rtmpdump.flv");
    let by_gst = dir.join("gst.flv");
    let mut players = vec![
        (
            "ffmpeg",
            ffmpeg_play(ffmpeg(), &url, &by_ffmpeg, &dir, "play-ffmpeg"),
        ),
        (
            "rtmpdump",
            Guard::spawn_logged(
                Command::new("rtmpdump")
                    .args(["-q", "--live", "-r", &url, "-o"])
                    .arg(&by_rtmpdump),
                &dir,
                "play-rtmpdump",
            ),
        ),
        (
            "gstreamer",
            Guard::spawn_logged(
                Command::new("gst-launch-1.0")
                    .args(["-q", "-e", "rtmp2src"])
                    .arg(format!("location={url}"))
                    .args(["!", "filesink"])
                    .arg(format!("location={}", by_gst.display())),
                &dir,
                "play-gst",
            ),
        ),
    ];
    publisher.wait_success(HANG_GUARD);
    for (name, p) in &mut players {
        let status = p.wait(HANG_GUARD);
        assert!(status.success(), "{name}: {status}: {}", p.stderr());
    }

    let reference = video_pts_ms(sent.to_str().unwrap());
    assert!(
        reference.len() >= 140,
        "ffmpeg sent {} frames",
        reference.len()
    );
    // LL-HLS has every frame, with the times sent (the package subscribed
    // when the stream was published).
    let hls = serve.http_url("live/cam1/master.m3u8");
    assert_eq!(video_pts_ms(&hls), reference, "LL-HLS frame times");
    assert_eq!(decodes(ffmpeg(), &hls), reference.len());
    // Each player got a run of them from a keyframe on, to the end.
    for (name, file) in [
        ("ffmpeg", &by_ffmpeg),
        ("rtmpdump", &by_rtmpdump),
        ("gstreamer", &by_gst),
    ] {
        let file = file.to_str().unwrap();
        let played = video_pts_ms(file);
        let start = assert_run_of(&played, &reference, 0, 30, name);
        // rtmp2src hands one message at a time to its streaming thread
        // and goes EOS as soon as its connection reads StreamEOF, which
        // can overtake the last tag it has not handed on yet: GStreamer
        // may lose the final frame (its race, not the stream's).
        let lost = usize::from(name == "gstreamer");
        assert!(
            start + played.len() + lost >= reference.len(),
            "{name} played frames {start}..{} of {}",
            start + played.len(),
            reference.len()
        );
        assert_eq!(
            decodes(ffmpeg(), file),
            played.len(),
            "{name}: every frame decodes"
        );
    }
}

/// A stream published by RTSP (ffmpeg's ANNOUNCE and RECORD over
/// interleaved TCP) plays by RTMP: ffmpeg reads `rtmp://.../live/KEY`
/// while it is published, every frame it got decodes, and their times
/// are a run of the published ones (serve's LL-HLS timeline of the same
/// publish, which has every frame the publisher sent with the source's
/// spacing).
#[test]
fn an_rtsp_publish_plays_by_rtmp_with_its_frame_times() {
    for tool in ["ffmpeg", "ffprobe"] {
        require(tool);
    }
    let serve = Serve::start(&[]);
    let dir = serve.dir.path().to_owned();
    let sent = dir.join("sent.flv");
    let copy = |out: &mut Command| {
        out.args(["-hide_banner", "-loglevel", "error", "-t", "4", "-i"])
            .arg(fixture("h264_aac.mp4"))
            .args(["-map", "0", "-c", "copy"]);
    };
    let mut reference = Command::new(ffmpeg());
    copy(&mut reference);
    let out = reference
        .args(["-f", "flv", "-y"])
        .arg(&sent)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut publish = Command::new(ffmpeg());
    publish.arg("-re");
    copy(&mut publish);
    publish.args(["-f", "rtsp", "-rtsp_transport", "tcp"]);
    let mut publisher = Guard::spawn_logged(
        publish.arg(serve.rtsp_url("live/cam-rtsp")),
        &dir,
        "publish",
    );
    serve.wait_listed("cam-rtsp", &mut publisher);

    let played = dir.join("played.flv");
    let mut player = ffmpeg_play(
        ffmpeg(),
        &serve.rtmp_url("live/cam-rtsp"),
        &played,
        &dir,
        "play",
    );
    publisher.wait_success(HANG_GUARD);
    let status = player.wait(HANG_GUARD);
    assert!(
        status.success(),
        "ffmpeg play: {status}: {}",
        player.stderr()
    );

    let source = video_pts_ms(sent.to_str().unwrap());
    let hls = video_pts_ms(&serve.http_url("live/cam-rtsp/master.m3u8"));
    // Every frame published, with the source's spacing.
    let offset = hls[0] - source[0];
    assert_run_of(
        &hls,
        &source,
        offset,
        source.len(),
        "the RTSP publish on LL-HLS",
    );
    // RTMP play: a run of them from the keyframe it joined at to the end,
    // the same times, every frame decoding.
    let file = played.to_str().unwrap();
    let got = video_pts_ms(file);
    let start = assert_run_of(&got, &hls, 0, 30, "RTMP play of the RTSP publish");
    assert_eq!(start + got.len(), hls.len(), "RTMP play to the end");
    assert_eq!(decodes(ffmpeg(), file), got.len(), "every frame decodes");
}

#[test]
fn gstreamer_publishes_with_flvmux_and_rtmp2sink() {
    for tool in ["gst-launch-1.0", "ffprobe", "ffmpeg"] {
        require(tool);
    }
    let serve = Serve::start(&[]);
    let dir = serve.dir.path().to_owned();
    let url = serve.rtmp_url("live/gst");
    let pipeline = format!(
        "filesrc location={} ! qtdemux name=d d.video_0 ! queue ! h264parse ! flvmux name=m streamable=true ! rtmp2sink location={url} d.audio_0 ! queue ! aacparse ! m.",
        fixture("h264_aac.mp4").display()
    );
    let mut publisher = Guard::spawn_logged(
        Command::new("gst-launch-1.0")
            .args(["-q", "-e"])
            .args(pipeline.split(' ')),
        &dir,
        "publish-gst",
    );
    publisher.wait_success(HANG_GUARD);
    let source = video_pts_ms(fixture("h264_aac.mp4").to_str().unwrap());
    let hls = serve.http_url("live/gst/master.m3u8");
    let got = video_pts_ms(&hls);
    // flvmux writes times in milliseconds from its own zero: the same
    // frames, the same spacing, all of them.
    let offset = got[0] - source[0];
    assert_run_of(
        &got,
        &source,
        offset,
        source.len(),
        "GStreamer's publish on LL-HLS",
    );
    assert_eq!(decodes(ffmpeg(), &hls), source.len());
}

/// ffmpeg 9 (static, from imageio-ffmpeg) publishes Enhanced RTMP: HEVC
/// as `hvc1`, Opus as `Opus`. Both republish on LL-HLS and by RTMP play.
#[test]
fn enhanced_rtmp_hevc_and_opus_publish_and_play() {
    require("ffprobe");
    let ffmpeg9 = enhanced_ffmpeg();
    let serve = Serve::start(&[]);
    let dir = serve.dir.path().to_owned();
    for (fixture_name, key, video, audio) in [
        ("h265_aac.mp4", "hevc", "hevc", "aac"),
        ("h264_opus.mp4", "opus", "h264", "opus"),
    ] {
        let sent = dir.join(format!("{key}-sent.flv"));
        let url = serve.rtmp_url(&format!("live/{key}"));
        let mut publisher = ffmpeg_publish(&ffmpeg9, fixture_name, 4, &url, &sent, &dir, key);
        serve.wait_listed(key, &mut publisher);
        let played = dir.join(format!("{key}-played.flv"));
        let mut player = ffmpeg_play(&ffmpeg9, &url, &played, &dir, &format!("{key}-play"));
        publisher.wait_success(HANG_GUARD);
        player.wait_success(HANG_GUARD);

        let reference = video_pts_ms_with(&ffmpeg9, sent.to_str().unwrap());
        assert!(
            reference.len() >= 100,
            "{key}: ffmpeg sent {} frames",
            reference.len()
        );
        let hls = serve.http_url(&format!("live/{key}/master.m3u8"));
        let codecs = Command::new("ffprobe")
            .args([
                "-v",
                "error",
                "-show_entries",
                "stream=codec_name",
                "-of",
                "csv=p=0",
                &hls,
            ])
            .output()
            .unwrap();
        let codecs = String::from_utf8_lossy(&codecs.stdout);
        assert!(
            codecs.contains(video) && codecs.contains(audio),
            "{key}: {codecs}"
        );
        assert_eq!(video_pts_ms(&hls), reference, "{key}: LL-HLS frame times");
        assert_eq!(
            decodes(&ffmpeg9, &hls),
            reference.len(),
            "{key}: LL-HLS decodes"
        );
        let played = played.to_str().unwrap();
        let got = video_pts_ms_with(&ffmpeg9, played);
        let start = assert_run_of(&got, &reference, 0, 30, key);
        assert_eq!(
            start + got.len(),
            reference.len(),
            "{key}: played to the end"
        );
        assert_eq!(
            decodes(&ffmpeg9, played),
            got.len(),
            "{key}: RTMP play decodes"
        );
    }
}

#[test]
fn rtmps_publish_and_play_with_certificate_checks_off() {
    for tool in ["ffmpeg", "ffprobe"] {
        require(tool);
    }
    require_tool("openssl");
    let certs = support::TempDir::new("rtmps-cert");
    let (cert, key) = (certs.path().join("cert.pem"), certs.path().join("key.pem"));
    let status = Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=localhost",
            "-keyout",
        ])
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .output()
        .unwrap();
    assert!(
        status.status.success(),
        "openssl: {}",
        String::from_utf8_lossy(&status.stderr)
    );
    let serve = Serve::start(&[
        "--rtmps-bind",
        "127.0.0.1:0",
        "--tls-cert",
        cert.to_str().unwrap(),
        "--tls-key",
        key.to_str().unwrap(),
    ]);
    let rtmps = serve.rtmps.expect("serve printed its RTMPS address");
    let dir = serve.dir.path().to_owned();
    let url = format!("rtmps://{rtmps}/live/secure");
    let sent = dir.join("sent.flv");
    let mut publisher = ffmpeg_publish(ffmpeg(), "h264_aac.mp4", 4, &url, &sent, &dir, "publish");
    serve.wait_listed("secure", &mut publisher);
    let played = dir.join("played.flv");
    let mut player = ffmpeg_play(ffmpeg(), &url, &played, &dir, "play");
    publisher.wait_success(HANG_GUARD);
    player.wait_success(HANG_GUARD);
    let reference = video_pts_ms(sent.to_str().unwrap());
    let got = video_pts_ms(played.to_str().unwrap());
    assert_run_of(&got, &reference, 0, 30, "RTMPS play");
    assert_eq!(decodes(ffmpeg(), played.to_str().unwrap()), got.len());
    assert!(serve.log().contains("RTMPS"), "{}", serve.log());
}

#[test]
fn a_wrong_stream_key_is_refused_and_nothing_is_published() {
    require("ffmpeg");
    let serve = Serve::start(&["--rtmp-key", "right-key"]);
    let dir = serve.dir.path().to_owned();
    let sent = dir.join("sent.flv");
    let mut wrong = ffmpeg_publish(
        ffmpeg(),
        "h264_aac.mp4",
        2,
        &serve.rtmp_url("live/wrong-key"),
        &sent,
        &dir,
        "wrong",
    );
    let status = wrong.wait(HANG_GUARD);
    assert!(!status.success(), "ffmpeg published with a wrong key");
    let err = wrong.stderr();
    assert!(
        err.contains("the stream key is not allowed"),
        "ffmpeg said: {err}"
    );
    assert!(!serve.streams_json().contains("wrong-key"));
    assert!(
        serve
            .log()
            .contains("Publish wrong-key refused: Unauthorized"),
        "{}",
        serve.log()
    );
    // The right key publishes.
    let mut right = ffmpeg_publish(
        ffmpeg(),
        "h264_aac.mp4",
        2,
        &serve.rtmp_url("live/right-key"),
        &sent,
        &dir,
        "right",
    );
    serve.wait_listed("right-key", &mut right);
    right.wait_success(HANG_GUARD);
}

#[test]
fn vod_plays_each_file_to_ffmpeg_and_rtmpdump() {
    for tool in ["ffmpeg", "ffprobe"] {
        require(tool);
    }
    require_tool("rtmpdump");
    let serve = Serve::start(&[]);
    let dir = serve.dir.path().to_owned();
    let url = serve.rtmp_url("vod/h264_aac");
    let by_ffmpeg = dir.join("vod-ffmpeg.flv");
    let by_rtmpdump = dir.join("vod-rtmpdump.flv");
    let mut a = ffmpeg_play(ffmpeg(), &url, &by_ffmpeg, &dir, "vod-ffmpeg");
    let mut b = Guard::spawn_logged(
        Command::new("rtmpdump")
            .args(["-q", "-r", &url, "-o"])
            .arg(&by_rtmpdump),
        &dir,
        "vod-rtmpdump",
    );
    a.wait_success(HANG_GUARD);
    // rtmpdump exits 0 only for a complete download.
    b.wait_success(HANG_GUARD);
    let source = video_pts_ms(fixture("h264_aac.mp4").to_str().unwrap());
    for file in [&by_ffmpeg, &by_rtmpdump] {
        let got = video_pts_ms(file.to_str().unwrap());
        let offset = got[0] - source[0];
        assert_run_of(&got, &source, offset, source.len(), "VOD play");
        assert_eq!(decodes(ffmpeg(), file.to_str().unwrap()), source.len());
    }
    // An unknown file is refused.
    let mut missing = ffmpeg_play(
        ffmpeg(),
        &serve.rtmp_url("vod/nothing"),
        &dir.join("x.flv"),
        &dir,
        "vod-missing",
    );
    assert!(!missing.wait(HANG_GUARD).success());
}
