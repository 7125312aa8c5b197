//! RTP and RTCP from GStreamer over loopback: `filesrc ! qtdemux !
//! h264parse ! rtph264pay ! rtpbin ! udpsink host=127.0.0.1`, RTP to an even
//! port and rtpbin's RTCP to the next. Every packet and report parses,
//! sequence numbers are contiguous, our receiver session and jitter buffer
//! see no loss, and the parameter sets sent in band are the source file's.
//!
//! The pipeline runs unsynchronized, paced at one payloaded frame per
//! millisecond by `identity sleep-time` so that a burst cannot overflow the
//! test's socket buffer. rtpbin's RTCP branch never ends by itself, so the
//! test stops the pipeline once rtpbin has said BYE and the sockets are
//! quiet.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may fail loudly

mod interop_verify;
#[path = "../../tests/support/mod.rs"]
mod support;

use std::process::Command;
use std::time::Duration;

use bytes::Bytes;
use interop_verify::verify;
use streamkit_core::codec::{CodecConfig, MediaKind};
use streamkit_core::mp4::Mp4File;
use streamkit_rtp::rtcp::{RtcpPacket, parse_compound};
use support::{Capture, Guard, PortPair, capture, fixture, require};

fn has_bye(cap: &Capture) -> bool {
    cap.rtcp.iter().any(|(_, d)| {
        parse_compound(d.clone())
            .is_ok_and(|ps| ps.iter().any(|p| matches!(p, RtcpPacket::Goodbye(_))))
    })
}

#[test]
fn gstreamer_rtph264pay_rtpbin() {
    require("gst-launch-1.0");
    let pair = PortPair::bind();
    let location = format!("location={}", fixture("h264_aac.mp4").display());
    let rtp_port = format!("port={}", pair.port());
    let rtcp_port = format!("port={}", pair.port() + 1);
    let mut gst = Guard::spawn(Command::new("gst-launch-1.0").args([
        "-q",
        "filesrc",
        &location,
        "!",
        "qtdemux",
        "name=d",
        "d.video_0",
        "!",
        "h264parse",
        "!",
        "rtph264pay",
        "pt=96",
        "config-interval=-1",
        "!",
        "identity",
        "sleep-time=1000",
        "!",
        "rtpbin.send_rtp_sink_0",
        "rtpbin",
        "name=rtpbin",
        "rtpbin.send_rtp_src_0",
        "!",
        "udpsink",
        "host=127.0.0.1",
        &rtp_port,
        "sync=false",
        "rtpbin.send_rtcp_src_0",
        "!",
        "udpsink",
        "host=127.0.0.1",
        &rtcp_port,
        "sync=false",
        "async=false",
    ]));
    let cap = capture(&pair, &mut gst, Duration::from_secs(20), has_bye);
    drop(gst);
    let v = verify(&cap, 96);
    // 300 frames (10 s at 30 fps), each in one packet or more, each frame's
    // last packet marked.
    let marked = v.packets.iter().filter(|p| p.marker()).count();
    assert_eq!(marked, 300, "{} packets", v.packets.len());

    // rtpbin's compounds start with an SR or RR from the stream's SSRC,
    // carry SDES, and the last one says goodbye.
    for compound in &v.rtcp {
        match &compound[0] {
            RtcpPacket::SenderReport(sr) => assert_eq!(sr.ssrc, v.ssrc),
            RtcpPacket::ReceiverReport(rr) => assert_eq!(rr.ssrc, v.ssrc),
            other => panic!("compound starts with {other:?}"),
        }
        assert!(
            compound
                .iter()
                .any(|p| matches!(p, RtcpPacket::SourceDescription(_)))
        );
    }
    assert!(
        v.rtcp
            .last()
            .unwrap()
            .iter()
            .any(|p| matches!(p, RtcpPacket::Goodbye(b) if b.sources == [v.ssrc]))
    );

    // The parameter sets GStreamer sends (single NAL unit packets before
    // each IDR picture, config-interval=-1) are the source file's.
    let file =
        Mp4File::parse(Bytes::from(std::fs::read(fixture("h264_aac.mp4")).unwrap())).unwrap();
    let Some(CodecConfig::H264(avc)) = file
        .tracks()
        .iter()
        .filter_map(|t| t.codec())
        .find(|c| c.kind() == MediaKind::Video)
    else {
        panic!("no H.264 track")
    };
    let of_type = |t: u8| -> Vec<Bytes> {
        v.packets
            .iter()
            .map(|p| p.payload())
            .filter(|p| p.first().is_some_and(|b| b & 0x1f == t))
            .collect()
    };
    let (sps, pps) = (of_type(7), of_type(8));
    assert_eq!(sps.len(), 5, "one SPS per IDR (a keyframe every 2 s)");
    assert!(sps.iter().all(|s| *s == avc.sps[0]));
    assert_eq!(pps.len(), 5);
    assert!(pps.iter().all(|p| *p == avc.pps[0]));
}
