//! H.264 and H.265 payload formats against ffmpeg and GStreamer, both ways,
//! over loopback UDP:
//!
//! - our packetizers send the fixtures' video, described by our SDP, to
//!   `ffmpeg -i our.sdp -c copy -f framecrc` (and a decode to `null`), and
//!   to GStreamer's `rtpjitterbuffer ! rtph26Xdepay` writing each access
//!   unit to a file: every access unit arrives byte-identical to the source
//!   sample (in Annex-B form with 4-byte start codes, as both depayloaders
//!   write it), and both decoders report no error;
//! - ffmpeg's (`-f rtp`) and GStreamer's (`rtph26Xpay`) payloaders send
//!   the fixtures to our depacketizers: every access unit equals the source
//!   sample byte for byte in length-prefixed form.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may fail loudly
#![allow(clippy::disallowed_methods)] // the tests pace their sending and wait for children

#[path = "../../tests/support/mod.rs"]
mod support;

use std::net::UdpSocket;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use bytes::Bytes;
use streamkit_core::codec::{CodecConfig, MediaKind};
use streamkit_core::mp4::Mp4File;
use streamkit_core::nal::{NalLengthSize, length_prefixed_to_annex_b};
use streamkit_core::sample::Sample;
use streamkit_core::time::{RtpTimestamp, SequenceNumber};
use streamkit_rtp::packet::{RtpHeader, RtpPacket};
use streamkit_rtp::payload::h264::{H264Depacketizer, H264Packetizer};
use streamkit_rtp::payload::h265::{H265Depacketizer, H265Packetizer};
use streamkit_rtp::payload::{Depacketized, NalForm, RtpPayload};
use streamkit_rtp::rtcp::{Goodbye, RtcpPacket, write_compound};
use streamkit_rtp::sdp::codec::media_for_codec;
use streamkit_rtp::sdp::{Connection, Origin, SessionDescription};
use support::{Guard, PortPair, TempDir, capture, fixture, require, wait_bound};

const MTU: usize = 1200;
const SSRC: u32 = 0x5354_524b;

struct Video {
    codec: CodecConfig,
    samples: Vec<Sample>,
}

fn video(name: &str) -> Video {
    let file = Mp4File::parse(Bytes::from(std::fs::read(fixture(name)).unwrap())).unwrap();
    let track = file
        .tracks()
        .iter()
        .find(|t| t.codec().is_some_and(|c| c.kind() == MediaKind::Video))
        .unwrap();
    let codec = track.codec().unwrap().clone();
    let samples: Vec<Sample> = file.track_samples(track.id()).unwrap().collect();
    assert_eq!(samples.len(), track.sample_count() as usize);
    Video { codec, samples }
}

fn length_size(codec: &CodecConfig) -> NalLengthSize {
    match codec {
        CodecConfig::H264(c) => c.nal_length_size,
        CodecConfig::H265(c) => c.nal_length_size,
        _ => panic!("not a video codec"),
    }
}

/// The sample's presentation time on the 90 kHz RTP clock, offset so that
/// it stays positive.
fn rtp_time(s: &Sample) -> RtpTimestamp {
    let ticks = (i128::from(s.pts()) * 90_000) / i128::from(s.timescale.hz());
    RtpTimestamp::new((ticks + 90_000) as u32)
}

/// Every sample's payloads, with parameter sets before keyframes when
/// `in_band_sets`.
fn payloads(v: &Video, in_band_sets: bool) -> Vec<Vec<RtpPayload>> {
    enum P {
        H264(H264Packetizer),
        H265(H265Packetizer),
    }
    let size = length_size(&v.codec);
    let mut p = match (&v.codec, in_band_sets) {
        (CodecConfig::H264(c), true) => {
            P::H264(H264Packetizer::with_parameter_sets(c, MTU).unwrap())
        }
        (CodecConfig::H264(_), false) => P::H264(H264Packetizer::new(MTU, size).unwrap()),
        (CodecConfig::H265(c), true) => {
            P::H265(H265Packetizer::with_parameter_sets(c, MTU).unwrap())
        }
        (CodecConfig::H265(_), false) => P::H265(H265Packetizer::new(MTU, size).unwrap()),
        _ => unreachable!(),
    };
    v.samples
        .iter()
        .map(|s| match &mut p {
            P::H264(p) => {
                p.push_sample(s, rtp_time(s)).unwrap();
                std::iter::from_fn(|| p.poll_payload()).collect()
            }
            P::H265(p) => {
                p.push_sample(s, rtp_time(s)).unwrap();
                std::iter::from_fn(|| p.poll_payload()).collect()
            }
        })
        .collect()
}

/// The sample in Annex-B form with 4-byte start codes, the parameter sets
/// first when they were sent in-band before it.
fn annex_b(v: &Video, s: &Sample, in_band_sets: bool) -> Vec<u8> {
    let mut out = Vec::new();
    if in_band_sets && s.keyframe {
        let sets: Vec<&Bytes> = match &v.codec {
            CodecConfig::H264(c) => c.sps.iter().chain(&c.pps).collect(),
            CodecConfig::H265(c) => c.vps().chain(c.sps()).chain(c.pps()).collect(),
            _ => unreachable!(),
        };
        for set in sets {
            out.extend_from_slice(&[0, 0, 0, 1]);
            out.extend_from_slice(set);
        }
    }
    length_prefixed_to_annex_b(&s.data, length_size(&v.codec), &mut out).unwrap();
    out
}

/// Our SDP for the video on `port`.
fn sdp(v: &Video, port: u16) -> String {
    let origin = Origin {
        username: "-".into(),
        session_id: "1".into(),
        session_version: "1".into(),
        net_type: "IN".into(),
        addr_type: "IP4".into(),
        unicast_address: "127.0.0.1".into(),
    };
    let mut sdp = SessionDescription::new(origin, "streamkit payload test");
    sdp.connection = Some(Connection {
        net_type: "IN".into(),
        addr_type: "IP4".into(),
        address: "127.0.0.1".into(),
    });
    sdp.media.push(media_for_codec(&v.codec, 96, port).unwrap());
    sdp.write().unwrap()
}

/// Sends every access unit's payloads to `port`, a few ms between access
/// units, then an RTCP BYE to `port + 1` (ffmpeg's SDP input ends on it).
fn send(units: &[Vec<RtpPayload>], port: u16) {
    let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
    let mut seq = SequenceNumber::new(40_000);
    let mut datagram = Vec::with_capacity(1500);
    for unit in units {
        for payload in unit {
            datagram.clear();
            RtpHeader {
                marker: payload.marker(),
                payload_type: 96,
                sequence_number: seq,
                timestamp: payload.timestamp(),
                ssrc: SSRC,
                ..RtpHeader::default()
            }
            .write_header(&mut datagram)
            .unwrap();
            payload.write_to(&mut datagram).unwrap();
            socket.send_to(&datagram, ("127.0.0.1", port)).unwrap();
            seq = seq.next();
        }
        #[allow(clippy::disallowed_methods)] // light pacing, not real time
        std::thread::sleep(Duration::from_millis(3));
    }
    let mut bye = Vec::new();
    write_compound(
        &[RtcpPacket::Goodbye(Goodbye {
            sources: vec![SSRC],
            // ffmpeg ignores RTCP datagrams shorter than 12 bytes.
            reason: Some(Bytes::from_static(b"end")),
        })],
        &mut bye,
    )
    .unwrap();
    for _ in 0..3 {
        socket.send_to(&bye, ("127.0.0.1", port + 1)).unwrap();
        #[allow(clippy::disallowed_methods)]
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Adler-32 as ffmpeg's framecrc computes it (starting from 0, not 1).
fn adler32(data: &[u8]) -> u32 {
    let (mut a, mut b) = (0u32, 0u32);
    for chunk in data.chunks(5000) {
        for &x in chunk {
            a += u32::from(x);
            b += a;
        }
        a %= 65_521;
        b %= 65_521;
    }
    (b << 16) | a
}

/// ffmpeg receives our RTP through our SDP: every access unit but possibly
/// the last (held until the next starts) byte-identical, no decode error.
fn ffmpeg_receives(name: &str) {
    require("ffmpeg");
    let v = video(name);
    let tmp = TempDir::new(&format!("payload-ffmpeg-{name}"));
    let dir = tmp.path();
    let port = {
        let pair = PortPair::bind();
        pair.port()
    };
    let sdp_path = dir.join("our.sdp");
    std::fs::write(&sdp_path, sdp(&v, port)).unwrap();
    let crc_path = dir.join("frames.crc");
    let mut ffmpeg = Guard::spawn(
        Command::new("ffmpeg")
            .args(["-hide_banner", "-nostats", "-loglevel", "error", "-y"])
            .args(["-protocol_whitelist", "file,udp,rtp", "-i"])
            .arg(&sdp_path)
            .args(["-map", "0:v", "-c", "copy", "-f", "framecrc"])
            .arg(&crc_path)
            .args(["-map", "0:v", "-f", "null", "-"]),
    );
    wait_bound(port, Duration::from_secs(30), Some(&mut ffmpeg));
    send(&payloads(&v, false), port);
    // ffmpeg ends its SDP input on our BYE.
    ffmpeg.wait_success(Duration::from_secs(60));
    let errors = ffmpeg.stderr();
    assert!(
        errors.trim().is_empty(),
        "ffmpeg reported errors:\n{errors}"
    );
    let text = std::fs::read_to_string(&crc_path).unwrap();
    let frames: Vec<(usize, u32)> = text
        .lines()
        .filter(|l| !l.starts_with('#'))
        .map(|l| {
            let f: Vec<&str> = l.split(',').map(str::trim).collect();
            (
                f[4].parse().unwrap(),
                u32::from_str_radix(f[5].trim_start_matches("0x"), 16).unwrap(),
            )
        })
        .collect();
    let n = v.samples.len();
    assert!(
        frames.len() == n || frames.len() == n - 1,
        "ffmpeg gave {} access units of {n}",
        frames.len()
    );
    let h265 = matches!(v.codec, CodecConfig::H265(_));
    for (i, (frame, s)) in frames.iter().zip(&v.samples).enumerate() {
        let mut want = annex_b(&v, s, false);
        if h265 {
            // ffmpeg's HEVC parser re-cuts the stream at `00 00 01`: the
            // first zero of each 4-byte start code ends the unit before.
            if i > 0 {
                want.remove(0);
            }
            if i + 1 < n {
                want.push(0);
            }
        }
        assert_eq!(*frame, (want.len(), adler32(&want)), "access unit {i}");
    }
}

#[test]
fn ffmpeg_receives_our_h264() {
    ffmpeg_receives("h264_aac.mp4");
}

#[test]
fn ffmpeg_receives_our_h265() {
    ffmpeg_receives("h265_aac.mp4");
}

/// GStreamer's jitter buffer and depayloader receive our RTP (parameter
/// sets sent in-band before each keyframe): every access unit, written one
/// file each, byte-identical; the decoder posts no error.
fn gstreamer_receives(name: &str, encoding: &str, depay: &str, parse: &str, decoder: &str) {
    require("gst-launch-1.0");
    let v = video(name);
    let tmp = TempDir::new(&format!("payload-gst-{name}"));
    let dir = tmp.path();
    let port = {
        let pair = PortPair::bind();
        pair.port()
    };
    let caps = format!(
        "application/x-rtp,media=video,clock-rate=90000,encoding-name={encoding},payload=96"
    );
    let location = dir.join("au%05d.bin");
    let pipeline = format!(
        "udpsrc address=127.0.0.1 port={port} caps=\"{caps}\" ! rtpjitterbuffer latency=100 ! {depay} \
         ! video/x-{},stream-format=byte-stream,alignment=au ! tee name=t \
         t. ! queue ! multifilesink location={} \
         t. ! queue ! {parse} ! {decoder} ! fakesink",
        encoding.to_ascii_lowercase(),
        location.display()
    );
    // -e: an interrupt becomes an end of stream, which flushes the jitter
    // buffer and the files before gst-launch exits.
    let mut gst = Guard::spawn(
        Command::new("sh")
            .arg("-c")
            .arg(format!("exec gst-launch-1.0 -q -e {pipeline}")),
    );
    wait_bound(port, Duration::from_secs(30), Some(&mut gst));
    send(&payloads(&v, true), port);
    // The jitter buffer holds packets for its latency: the last access
    // unit's file appears once udpsrc has read every datagram.
    let n = v.samples.len();
    let file = |i: usize| dir.join(format!("au{i:05}.bin"));
    let start = std::time::Instant::now();
    while !file(n - 1).exists() {
        assert!(
            gst.try_status().is_none(),
            "gst-launch exited early: {}",
            gst.stderr()
        );
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "GStreamer wrote no access unit {} within 60 s",
            n - 1
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    // The end of stream: gst-launch finishes every file, then exits.
    gst.interrupt();
    gst.wait_success(Duration::from_secs(60));
    let errors = gst.stderr();
    assert!(
        !errors.contains("ERROR") && !errors.contains("WARNING"),
        "GStreamer reported:\n{errors}"
    );
    let got = (0..)
        .map(file)
        .take_while(|p| Path::new(p).exists())
        .count();
    assert_eq!(got, n, "GStreamer wrote {got} access units of {n}");
    for (i, s) in v.samples.iter().enumerate() {
        let bytes = std::fs::read(file(i)).unwrap();
        assert!(bytes == annex_b(&v, s, true), "access unit {i} differs");
    }
}

#[test]
fn gstreamer_receives_our_h264() {
    gstreamer_receives(
        "h264_aac.mp4",
        "H264",
        "rtph264depay",
        "h264parse",
        "avdec_h264",
    );
}

#[test]
fn gstreamer_receives_our_h265() {
    gstreamer_receives(
        "h265_aac.mp4",
        "H265",
        "rtph265depay",
        "h265parse",
        "avdec_h265",
    );
}

/// Our depacketizer over captured RTP: the access units in length-prefixed
/// form, and the losses and errors seen (none expected).
fn depacketize(v: &Video, packets: &[(std::time::Instant, Bytes)]) -> Vec<Bytes> {
    let form = NalForm::LengthPrefixed(length_size(&v.codec));
    let h265 = matches!(v.codec, CodecConfig::H265(_));
    let mut d264 = H264Depacketizer::new(form);
    let mut d265 = H265Depacketizer::new(form);
    let mut units = Vec::new();
    for (_, datagram) in packets {
        let packet = RtpPacket::parse(datagram.clone()).unwrap();
        let events: Vec<Depacketized> = if h265 {
            d265.push(&packet).unwrap();
            std::iter::from_fn(|| d265.poll_access_unit()).collect()
        } else {
            d264.push(&packet).unwrap();
            std::iter::from_fn(|| d264.poll_access_unit()).collect()
        };
        for ev in events {
            match ev {
                Depacketized::AccessUnit(u) => units.push(u.data),
                Depacketized::ParameterSets(_) => {}
                other => panic!("unexpected {other:?}"),
            }
        }
    }
    units
}

fn assert_same_units(v: &Video, units: &[Bytes], who: &str) {
    assert_eq!(units.len(), v.samples.len(), "{who}: access unit count");
    for (i, (u, s)) in units.iter().zip(&v.samples).enumerate() {
        assert!(*u == s.data, "{who}: access unit {i} differs");
    }
}

fn from_ffmpeg(name: &str) {
    require("ffmpeg");
    let v = video(name);
    let pair = PortPair::bind();
    let mut ffmpeg = Guard::spawn(
        Command::new("ffmpeg")
            .args([
                "-hide_banner",
                "-loglevel",
                "error",
                "-y",
                "-readrate",
                "8",
                "-i",
            ])
            .arg(fixture(name))
            .args(["-map", "0:v", "-c:v", "copy", "-f", "rtp"])
            .arg(format!(
                "rtp://127.0.0.1:{}?pkt_size={}",
                pair.port(),
                MTU + 12
            )),
    );
    let cap = capture(&pair, &mut ffmpeg, Duration::from_secs(30), |_| false);
    assert_same_units(&v, &depacketize(&v, &cap.rtp), "ffmpeg");
}

#[test]
fn our_h264_depacketizer_on_ffmpeg() {
    from_ffmpeg("h264_aac.mp4");
}

#[test]
fn our_h265_depacketizer_on_ffmpeg() {
    from_ffmpeg("h265_aac.mp4");
}

fn from_gstreamer(name: &str, pay: &str) {
    require("gst-launch-1.0");
    let v = video(name);
    let pair = PortPair::bind();
    let pipeline = format!(
        "filesrc location={} ! qtdemux ! {pay} mtu={} ! identity sleep-time=1000 ! udpsink host=127.0.0.1 port={} sync=false",
        fixture(name).display(),
        MTU + 12,
        pair.port()
    );
    let mut gst = Guard::spawn(
        Command::new("sh")
            .arg("-c")
            .arg(format!("exec gst-launch-1.0 -q {pipeline}")),
    );
    let cap = capture(&pair, &mut gst, Duration::from_secs(30), |_| false);
    assert_same_units(&v, &depacketize(&v, &cap.rtp), pay);
}

#[test]
fn our_h264_depacketizer_on_gstreamer() {
    from_gstreamer("h264_aac.mp4", "rtph264pay");
}

#[test]
fn our_h265_depacketizer_on_gstreamer() {
    from_gstreamer("h265_aac.mp4", "rtph265pay");
}
