//! The SDP ffmpeg writes for its RTP output (`-f rtp ... -sdp_file`), made
//! here by running ffmpeg on the fixtures, parses and writes back, and its
//! media sections turn back into the codec configuration of the source MP4
//! (read with streamkit-core's MP4 reader).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may fail loudly

#[path = "../../tests/support/mod.rs"]
mod support;

use std::process::Command;
use std::time::Duration;

use bytes::Bytes;
use streamkit_core::codec::{CodecConfig, MediaKind};
use streamkit_core::mp4::Mp4File;
use streamkit_rtp::sdp::SessionDescription;
use streamkit_rtp::sdp::codec::{codec_from_media, media_for_codec};
use support::{Guard, PortPair, fixture, require};

/// Runs ffmpeg on `name` for 0.3 s with video and audio sent as RTP to two
/// local port pairs, and returns the SDP file it wrote.
fn ffmpeg_sdp(name: &str) -> String {
    require("ffmpeg");
    let (video, audio) = (PortPair::bind(), PortPair::bind());
    let dir = std::env::temp_dir().join(format!("streamkit-sdp-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let sdp_path = dir.join("out.sdp");
    let mut ffmpeg = Guard::spawn(
        Command::new("ffmpeg")
            .args(["-hide_banner", "-loglevel", "error", "-y", "-i"])
            .arg(fixture(name))
            .args(["-t", "0.3", "-map", "0:v", "-c", "copy", "-f", "rtp"])
            .arg(format!("rtp://127.0.0.1:{}", video.port()))
            .args(["-map", "0:a", "-c", "copy", "-f", "rtp"])
            .arg(format!("rtp://127.0.0.1:{}", audio.port()))
            .arg("-sdp_file")
            .arg(&sdp_path),
    );
    ffmpeg.wait(Duration::from_secs(30));
    let text = std::fs::read_to_string(&sdp_path).unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    text
}

fn mp4_codecs(name: &str) -> (CodecConfig, CodecConfig) {
    let file = Mp4File::parse(Bytes::from(std::fs::read(fixture(name)).unwrap())).unwrap();
    let codec = |kind| {
        file.tracks()
            .iter()
            .filter_map(|t| t.codec())
            .find(|c| c.kind() == kind)
            .cloned()
            .unwrap()
    };
    (codec(MediaKind::Video), codec(MediaKind::Audio))
}

fn check(name: &str, video_rtpmap: &str, audio_rtpmap: &str) -> SessionDescription {
    let text = ffmpeg_sdp(name);
    let sdp = SessionDescription::parse(&text).unwrap_or_else(|e| panic!("{e}\n{text}"));
    assert_eq!(sdp.origin.unicast_address, "127.0.0.1");
    assert_eq!(sdp.media.len(), 2, "{text}");

    // Writing gives ffmpeg's lines back with CRLF, and reads back the same.
    let written = sdp.write().unwrap();
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(
        written,
        lines.iter().map(|l| format!("{l}\r\n")).collect::<String>()
    );
    assert_eq!(SessionDescription::parse(&written).unwrap(), sdp);

    let (video, audio) = mp4_codecs(name);
    let (v, a) = (&sdp.media[0], &sdp.media[1]);
    assert_eq!((v.media.as_str(), a.media.as_str()), ("video", "audio"));
    assert_eq!(
        v.attributes.rtpmap(96).unwrap().unwrap().to_string(),
        video_rtpmap
    );
    assert_eq!(
        a.attributes.rtpmap(97).unwrap().unwrap().to_string(),
        audio_rtpmap
    );
    assert_eq!(v.connections[0].address, "127.0.0.1");

    let from_sdp = codec_from_media(v, 96).unwrap();
    match (&from_sdp, &video) {
        (CodecConfig::H264(s), CodecConfig::H264(m)) => {
            assert_eq!((&s.sps, &s.pps), (&m.sps, &m.pps));
            assert_eq!(from_sdp, video, "avcC rebuilt from the SDP");
        }
        (CodecConfig::H265(s), CodecConfig::H265(m)) => {
            assert_eq!(s.vps().collect::<Vec<_>>(), m.vps().collect::<Vec<_>>());
            assert_eq!(s.sps().collect::<Vec<_>>(), m.sps().collect::<Vec<_>>());
            assert_eq!(s.pps().collect::<Vec<_>>(), m.pps().collect::<Vec<_>>());
            assert_eq!(s.general, m.general);
        }
        other => panic!("codec mismatch: {other:?}"),
    }
    let audio_from_sdp = codec_from_media(a, 97).unwrap();
    match (&audio_from_sdp, &audio) {
        (CodecConfig::Aac(_), CodecConfig::Aac(_)) => assert_eq!(audio_from_sdp, audio),
        (CodecConfig::Opus(s), CodecConfig::Opus(m)) => {
            assert_eq!(s.output_channel_count, m.output_channel_count);
        }
        other => panic!("codec mismatch: {other:?}"),
    }

    // Our own media sections for the MP4's codecs describe them the same
    // way ffmpeg does, and read back to the same configuration.
    for (codec, pt, theirs) in [(&video, 96, v), (&audio, 97, a)] {
        let ours = media_for_codec(codec, pt, theirs.port).unwrap();
        assert_eq!(
            ours.attributes.rtpmap(pt).unwrap(),
            theirs.attributes.rtpmap(pt).unwrap()
        );
        assert_eq!(
            codec_from_media(&ours, pt).unwrap(),
            codec_from_media(theirs, pt).unwrap()
        );
    }
    sdp
}

#[test]
fn ffmpeg_h264_aac() {
    let sdp = check("h264_aac.mp4", "96 H264/90000", "97 MPEG4-GENERIC/44100/1");
    let fmtp = sdp.media[1].attributes.fmtp(97).unwrap().unwrap();
    assert_eq!(fmtp.get("sizelength"), Some("13"));
    assert_eq!(fmtp.get("mode"), Some("AAC-hbr"));
    let v = sdp.media[0].attributes.fmtp(96).unwrap().unwrap();
    assert_eq!(v.get("packetization-mode"), Some("1"));
}

#[test]
fn ffmpeg_h265_aac() {
    check("h265_aac.mp4", "96 H265/90000", "97 MPEG4-GENERIC/44100/1");
}

#[test]
fn ffmpeg_h264_opus() {
    check("h264_opus.mp4", "96 H264/90000", "97 opus/48000/2");
}
