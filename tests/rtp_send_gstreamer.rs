//! The rtp_send example end to end, judged by GStreamer: `udpsrc` with the
//! caps our SDP describes, then `rtph264depay` / `rtph265depay` and
//! `rtpmp4gdepay` / `rtpopusdepay` into the decoders. The audio the
//! depayloader gives is, byte for byte, the source file's frames in order,
//! and nothing is reported on stderr.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may fail loudly
#![allow(clippy::disallowed_methods)] // tests measure real time and wait for children

mod support;

use std::process::Command;
use std::time::Duration;

use streamkit::core::codec::MediaKind;
use streamkit::rtp::sdp::{MediaDescription, SessionDescription};
use support::{
    Guard, TempDir, fixture, free_ports_for_another_process, require, run_example, samples,
    wait_bound,
};

/// The `application/x-rtp` caps of a media section: its rtpmap and, with
/// `fmtp`, every fmtp parameter (the audio ones hold no commas; the video
/// depayloaders find the parameter sets in band).
fn caps(media: &MediaDescription, fmtp: bool) -> String {
    let pt: u8 = media.formats[0].parse().unwrap();
    let rtpmap = media.attributes.rtpmap(pt).unwrap().unwrap();
    let mut caps = format!(
        "caps=application/x-rtp,media={},clock-rate={},encoding-name={},payload={pt}",
        media.media,
        rtpmap.clock_rate,
        rtpmap.encoding_name.to_ascii_uppercase()
    );
    if let Some(params) = media.attributes.fmtp(pt).unwrap().filter(|_| fmtp) {
        for (key, value) in params.params() {
            assert!(!value.contains(','), "{key}={value}");
            caps.push_str(&format!(",{}=(string){value}", key.to_ascii_lowercase()));
        }
    }
    caps
}

/// Streams `name` with rtp_send (plus `extra` options) into GStreamer.
fn gstreamer_receives(name: &str, extra: &[&str]) {
    require("gst-launch-1.0");
    let dir = TempDir::new(&format!("rtp-send-gst-{}", name.replace('.', "-")));
    let port = free_ports_for_another_process(4);
    let sdp_path = dir.0.join("out.sdp");
    let mut args: Vec<String> = vec![
        "--input".into(),
        fixture(name).display().to_string(),
        "--dest".into(),
        format!("127.0.0.1:{port}"),
        "--sdp".into(),
        sdp_path.display().to_string(),
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
    let sdp = SessionDescription::parse(&std::fs::read_to_string(&sdp_path).unwrap()).unwrap();
    let video = sdp.media.iter().find(|m| m.media == "video").unwrap();
    let audio = sdp.media.iter().find(|m| m.media == "audio").unwrap();
    let video_chain = match video
        .attributes
        .rtpmap(96)
        .unwrap()
        .unwrap()
        .encoding_name
        .as_str()
    {
        "H264" => "rtph264depay ! avdec_h264",
        "H265" => "rtph265depay ! avdec_h265",
        other => panic!("video {other}"),
    };
    let (depay, decoder) = match audio
        .attributes
        .rtpmap(97)
        .unwrap()
        .unwrap()
        .encoding_name
        .as_str()
    {
        "MPEG4-GENERIC" => ("rtpmp4gdepay", "avdec_aac"),
        "opus" => ("rtpopusdepay", "opusdec"),
        other => panic!("audio {other}"),
    };
    let raw = dir.0.join("audio.raw");
    let pipeline = format!(
        "udpsrc address=127.0.0.1 port={port} {} ! {video_chain} ! fakesink \
         udpsrc address=127.0.0.1 port={} {} ! {depay} ! tee name=t \
         t. ! queue ! filesink buffer-mode=unbuffered location={} \
         t. ! queue ! {decoder} ! fakesink",
        caps(video, false),
        port + 2,
        caps(audio, true),
        raw.display()
    );
    let mut gst = Guard::spawn_logged(
        Command::new("gst-launch-1.0")
            .args(["-q", "-e"])
            .args(pipeline.split_whitespace()),
        &dir.0,
        "gst",
    );
    wait_bound(port, Duration::from_secs(60), Some(&mut gst));
    wait_bound(port + 2, Duration::from_secs(60), Some(&mut gst));

    args.extend(["--speed".into(), "10".into()]);
    run_example("rtp_send", &args, &dir.0, "send", Duration::from_secs(120));
    // GStreamer has received everything once the (unbuffered) file holds
    // every audio byte; then an interrupt ends the pipeline (-e).
    let want: Vec<u8> = samples(name, MediaKind::Audio).concat();
    let started = std::time::Instant::now();
    while std::fs::metadata(&raw).map_or(0, |m| m.len()) < want.len() as u64 {
        assert!(
            gst.try_status().is_none(),
            "gst-launch-1.0 exited early: {}",
            gst.stderr()
        );
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "GStreamer wrote {} of {} audio bytes",
            std::fs::metadata(&raw).map_or(0, |m| m.len()),
            want.len()
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    gst.interrupt();
    let status = gst.wait(Duration::from_secs(120));
    let errors = std::fs::read_to_string(dir.0.join("gst.stderr")).unwrap();
    assert!(status.success(), "gst-launch-1.0: {status}\n{errors}");
    assert_eq!(errors, "", "GStreamer reported errors receiving {name}");

    // Every audio frame, byte for byte, in order.
    let got = std::fs::read(&raw).unwrap();
    assert_eq!(got.len(), want.len(), "{name}: audio bytes");
    assert!(got == want, "{name}: audio differs");
}

#[test]
fn h264_and_aac_aggregated() {
    gstreamer_receives("h264_aac.mp4", &[]);
}

#[test]
fn h265_and_aac_fragmented() {
    gstreamer_receives("h265_aac.mp4", &["--mtu", "160", "--aac-frames", "3"]);
}

#[test]
fn h264_and_opus() {
    gstreamer_receives("h264_opus.mp4", &[]);
}
