//! Our AAC and Opus depacketizers on RTP streams that ffmpeg (`-c:a copy -f
//! rtp`, also with `-rtpflags latm`) and GStreamer (`rtpmp4gpay`,
//! `rtpmp4apay`, `rtpopuspay`) make from the fixtures: every frame comes
//! back byte for byte equal to the MP4 sample, in order, with no loss
//! reported.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may fail loudly

#[path = "../../tests/support/mod.rs"]
mod support;

use std::process::Command;
use std::time::Duration;

use bytes::Bytes;
use streamkit_core::codec::CodecConfig;
use streamkit_core::mp4::Mp4File;
use streamkit_rtp::packet::RtpPacket;
use streamkit_rtp::payload::aac::{AacDepacketized, AacDepacketizer, AuHeaderLayout};
use streamkit_rtp::payload::latm::{LatmDepacketizer, StreamMuxConfig};
use streamkit_rtp::payload::opus::{OpusDepacketized, OpusDepacketizer};
use streamkit_rtp::payload::{DepacketizedUnit, Depacketizer, NalForm};
use streamkit_rtp::sdp::SessionDescription;
use support::{Capture, Guard, PortPair, capture, fixture, require};

/// The fixture's audio samples, in order, and its codec.
fn source_audio(name: &str) -> (Vec<Bytes>, CodecConfig) {
    let file = Mp4File::parse(Bytes::from(std::fs::read(fixture(name)).unwrap())).unwrap();
    let track = file
        .tracks()
        .iter()
        .find(|t| matches!(t.codec(), Some(CodecConfig::Aac(_) | CodecConfig::Opus(_))))
        .expect("audio track");
    let samples = file
        .track_samples(track.id())
        .unwrap()
        .map(|s| s.data)
        .collect();
    (samples, track.codec().unwrap().clone())
}

/// `got` is `want` without at most one sample at each end: GStreamer's
/// qtdemux drops the samples its reading of the edit list puts outside the
/// presentation (the AAC priming frame; the short last frame).
fn assert_edge_trimmed(got: &[Bytes], want: &[Bytes], who: &str) {
    let start = usize::from(got.first() != want.first());
    assert!(
        got.len() + start + 1 >= want.len() && got.len() + start <= want.len(),
        "{who}: {} of {} frames from {start}",
        got.len(),
        want.len()
    );
    assert_same_frames(got, &want[start..start + got.len()], who);
}

/// The RTP packets captured, in sequence order (loopback keeps order;
/// checked).
fn packets(cap: &Capture) -> Vec<RtpPacket> {
    let packets: Vec<RtpPacket> = cap
        .rtp
        .iter()
        .map(|(_, d)| RtpPacket::parse(d.clone()).unwrap())
        .collect();
    for w in packets.windows(2) {
        assert_eq!(
            w[1].sequence_number().0,
            w[0].sequence_number().0.wrapping_add(1),
            "packets out of order or lost on loopback"
        );
    }
    packets
}

/// Depacketizes AAC, asserting no loss and no error.
fn aac_frames(packets: &[RtpPacket], layout: AuHeaderLayout, frame: u32) -> Vec<Bytes> {
    let mut d = AacDepacketizer::new(layout, frame);
    let mut out = Vec::new();
    for p in packets {
        d.push(p).unwrap();
        while let Some(x) = d.poll_frame() {
            match x {
                AacDepacketized::Frame(f) => out.push(f.data),
                other => panic!("{other:?} at packet {}", p.sequence_number().0),
            }
        }
    }
    out
}

fn opus_frames(packets: &[RtpPacket]) -> Vec<Bytes> {
    let mut d = OpusDepacketizer::new();
    let mut out = Vec::new();
    for p in packets {
        d.push(p).unwrap();
        while let Some(x) = d.poll_packet() {
            match x {
                OpusDepacketized::Packet(f) => out.push(f.data),
                other => panic!("{other:?} at packet {}", p.sequence_number().0),
            }
        }
    }
    out
}

fn assert_same_frames(got: &[Bytes], want: &[Bytes], who: &str) {
    let first = got.first().and_then(|g| want.iter().position(|w| w == g));
    let last = got.last().and_then(|g| want.iter().rposition(|w| w == g));
    eprintln!(
        "{who}: got {} of {}, first at {first:?}, last at {last:?}",
        got.len(),
        want.len()
    );
    assert_eq!(got.len(), want.len(), "{who}: frame count");
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        assert!(
            g == w,
            "{who}: frame {i} differs ({} vs {} bytes)",
            g.len(),
            w.len()
        );
    }
}

fn temp_dir(tag: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "streamkit-payload-audio-{tag}-{}",
        std::process::id()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// ffmpeg sends the fixture's audio (no pacing) to `pair`; returns the
/// capture and ffmpeg's SDP.
fn ffmpeg_send(name: &str, pair: &PortPair, extra: &[&str]) -> (Capture, SessionDescription) {
    // Tests run in parallel: one directory per input and flags.
    let dir = temp_dir(&format!("ffmpeg-{name}{}", extra.concat()));
    let sdp_path = dir.join("out.sdp");
    let mut ffmpeg = Guard::spawn(
        Command::new("ffmpeg")
            .args([
                "-hide_banner",
                "-loglevel",
                "error",
                "-y",
                "-readrate",
                "20",
                "-i",
            ])
            .arg(fixture(name))
            .args(["-vn", "-c:a", "copy"])
            .args(extra)
            .args(["-f", "rtp"])
            .arg(format!("rtp://127.0.0.1:{}", pair.port()))
            .arg("-sdp_file")
            .arg(&sdp_path),
    );
    let cap = capture(pair, &mut ffmpeg, Duration::from_secs(30), |_| false);
    let sdp = SessionDescription::parse(&std::fs::read_to_string(&sdp_path).unwrap()).unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    (cap, sdp)
}

#[test]
fn ffmpeg_aac_into_our_depacketizer() {
    require("ffmpeg");
    for name in ["h264_aac.mp4", "h264_aac_moov_end.mp4"] {
        let (want, codec) = source_audio(name);
        let CodecConfig::Aac(asc) = &codec else {
            panic!("not AAC")
        };
        let pair = PortPair::bind();
        let (cap, sdp) = ffmpeg_send(name, &pair, &[]);
        let media = &sdp.media[0];
        let pt: u8 = media.formats[0].parse().unwrap();
        assert_eq!(media.codec(pt).unwrap(), codec, "{name}: SDP config");
        let layout =
            AuHeaderLayout::from_fmtp(&media.attributes.fmtp(pt).unwrap().unwrap()).unwrap();
        assert_eq!(layout, AuHeaderLayout::AAC_HBR);
        let packets = packets(&cap);
        // ffmpeg puts several frames in one packet, and does not send the
        // last packet it was filling when the input ends: at most that many
        // frames short of the end.
        let most = packets
            .iter()
            .map(|p| usize::from(u16::from_be_bytes([p.payload()[0], p.payload()[1]]) / 16))
            .max()
            .unwrap();
        assert!(most > 1, "{name}: one frame per packet");
        let got = aac_frames(&packets, layout, asc.frame_length().unwrap());
        assert!(
            got.len() <= want.len() && want.len() - got.len() < most,
            "{name}: {} of {} frames, up to {most} per packet",
            got.len(),
            want.len()
        );
        assert_same_frames(&got, &want[..got.len()], &format!("ffmpeg {name}"));
    }
}

#[test]
fn ffmpeg_opus_into_our_depacketizer() {
    require("ffmpeg");
    let (want, _) = source_audio("h264_opus.mp4");
    let pair = PortPair::bind();
    let (cap, sdp) = ffmpeg_send("h264_opus.mp4", &pair, &[]);
    let rtpmap = sdp.media[0].attributes.rtpmap(97).unwrap().unwrap();
    assert_eq!(rtpmap.to_string(), "97 opus/48000/2");
    let packets = packets(&cap);
    assert_eq!(packets.len(), want.len());
    // 48 kHz timestamps advancing by each packet's duration.
    let mut d = OpusDepacketizer::new();
    let mut expected_ts = None;
    for p in &packets {
        d.push(p).unwrap();
        let Some(OpusDepacketized::Packet(o)) = d.poll_packet() else {
            panic!("no packet")
        };
        if let Some(ts) = expected_ts {
            assert_eq!(o.timestamp.0, ts);
        }
        expected_ts = Some(o.timestamp.0.wrapping_add(o.duration));
    }
    assert_same_frames(&opus_frames(&packets), &want, "ffmpeg opus");
}

/// GStreamer payloads the fixture's audio and sends it to `pair`.
fn gstreamer_send(name: &str, pair: &PortPair, pipeline_tail: &str) -> Capture {
    let mut cmd = Command::new("gst-launch-1.0");
    cmd.arg("-q")
        .arg("filesrc")
        .arg(format!("location={}", fixture(name).display()));
    // One buffer per millisecond: fast, yet slow enough that the burst
    // does not overflow the receiving socket's buffer.
    cmd.args([
        "!",
        "qtdemux",
        "name=d",
        "d.audio_0",
        "!",
        "queue",
        "!",
        "identity",
        "sleep-time=1000",
        "!",
    ]);
    cmd.args(pipeline_tail.split_whitespace());
    cmd.args([
        "!",
        "udpsink",
        "host=127.0.0.1",
        &format!("port={}", pair.port()),
        "sync=false",
    ]);
    let mut gst = Guard::spawn(&mut cmd);
    capture(pair, &mut gst, Duration::from_secs(30), |_| false)
}

#[test]
fn gstreamer_aac_into_our_depacketizer() {
    require("gst-launch-1.0");
    let (want, codec) = source_audio("h264_aac.mp4");
    let CodecConfig::Aac(asc) = &codec else {
        panic!("not AAC")
    };
    let pair = PortPair::bind();
    // A small MTU: GStreamer fragments the larger frames.
    let cap = gstreamer_send("h264_aac.mp4", &pair, "rtpmp4gpay mtu=200");
    let packets = packets(&cap);
    assert!(
        packets.iter().any(|p| !p.marker()),
        "no fragmented frame at MTU 200"
    );
    let got = aac_frames(
        &packets,
        AuHeaderLayout::AAC_HBR,
        asc.frame_length().unwrap(),
    );
    assert_edge_trimmed(&got, &want, "gstreamer aac");
}

#[test]
fn gstreamer_opus_into_our_depacketizer() {
    require("gst-launch-1.0");
    let (want, _) = source_audio("h264_opus.mp4");
    let pair = PortPair::bind();
    let cap = gstreamer_send("h264_opus.mp4", &pair, "rtpopuspay");
    let got = opus_frames(&packets(&cap));
    assert_edge_trimmed(&got, &want, "gstreamer opus");
}

/// Depacketizes MP4A-LATM, asserting no loss, no error and no
/// configuration change: the frames and their RTP timestamps.
fn latm_frames(packets: &[RtpPacket], mut d: Depacketizer) -> Vec<(u32, Bytes)> {
    let mut out = Vec::new();
    for p in packets {
        d.push(p).unwrap();
        while let Some(x) = d.poll_unit() {
            match x {
                DepacketizedUnit::Aac(AacDepacketized::Frame(f)) => {
                    out.push((f.timestamp.0, f.data));
                }
                other => panic!("{other:?} at packet {}", p.sequence_number().0),
            }
        }
    }
    d.finish().unwrap();
    assert!(d.poll_unit().is_none());
    out
}

#[test]
fn ffmpeg_latm_into_our_depacketizer() {
    require("ffmpeg");
    let (want, codec) = source_audio("h264_aac.mp4");
    let pair = PortPair::bind();
    let (cap, sdp) = ffmpeg_send("h264_aac.mp4", &pair, &["-rtpflags", "latm"]);
    let media = &sdp.media[0];
    let pt: u8 = media.formats[0].parse().unwrap();
    let rtpmap = media.attributes.rtpmap(pt).unwrap().unwrap();
    assert_eq!(rtpmap.encoding_name, "MP4A-LATM");
    // ffmpeg's config holds the AudioSpecificConfig's first two bytes
    // (no sync extension): the same object type, rate and channels.
    let CodecConfig::Aac(asc) = media.codec(pt).unwrap() else {
        panic!("not AAC")
    };
    let CodecConfig::Aac(file_asc) = &codec else {
        panic!("not AAC")
    };
    assert_eq!(
        (
            asc.audio_object_type,
            asc.sampling_frequency,
            asc.channel_configuration
        ),
        (
            file_asc.audio_object_type,
            file_asc.sampling_frequency,
            file_asc.channel_configuration
        )
    );
    let d = Depacketizer::from_media(media, pt, NalForm::AnnexB).unwrap();
    assert!(matches!(d, Depacketizer::Latm(_)));
    let got = latm_frames(&packets(&cap), d);
    // One frame per element, each sent at once: every frame, 1024 ticks
    // apart.
    for w in got.windows(2) {
        assert_eq!(w[1].0.wrapping_sub(w[0].0), 1024);
    }
    let frames: Vec<Bytes> = got.into_iter().map(|(_, f)| f).collect();
    assert_same_frames(&frames, &want, "ffmpeg latm");
}

#[test]
fn gstreamer_latm_into_our_depacketizer() {
    require("gst-launch-1.0");
    let (want, codec) = source_audio("h264_aac.mp4");
    let CodecConfig::Aac(asc) = codec else {
        panic!("not AAC")
    };
    let pair = PortPair::bind();
    // A small MTU: rtpmp4apay fragments the larger frames.
    let cap = gstreamer_send("h264_aac.mp4", &pair, "rtpmp4apay mtu=200");
    let packets = packets(&cap);
    assert!(
        packets.iter().any(|p| !p.marker()),
        "no fragmented frame at MTU 200"
    );
    // rtpmp4apay's caps: cpresent=0, the StreamMuxConfig of the
    // codec_data.
    let d = Depacketizer::Latm(LatmDepacketizer::with_config(
        StreamMuxConfig::new(asc),
        false,
    ));
    let got: Vec<Bytes> = latm_frames(&packets, d)
        .into_iter()
        .map(|(_, f)| f)
        .collect();
    assert_edge_trimmed(&got, &want, "gstreamer latm");
}
