//! RTP and RTCP from GStreamer over loopback: `filesrc ! qtdemux !
//! h264parse ! rtph264pay ! rtpbin ! udpsink`, RTP to an even port and
//! rtpbin's RTCP to the next. Every packet and report parses, sequence
//! numbers are contiguous, our receiver session sees no loss. The pipeline
//! runs unsynchronized (as fast as it can) and ends with rtpbin's BYE, after
//! which the test stops it.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may fail loudly

mod interop_support;
mod interop_verify;

use std::process::Command;
use std::time::Duration;

use interop_support::{Capture, Guard, PortPair, capture, fixture, require};
use interop_verify::verify;
use streamkit_rtp::rtcp::{RtcpPacket, parse_compound};

fn has_bye(cap: &Capture) -> bool {
    cap.rtcp.iter().any(|(_, d)| {
        parse_compound(d.clone())
            .is_ok_and(|ps| ps.iter().any(|p| matches!(p, RtcpPacket::Goodbye(_))))
    })
}

#[test]
fn gstreamer_rtph264pay_rtp_and_rtcp() {
    require("gst-launch-1.0");
    let pair = PortPair::bind();
    let location = format!("location={}", fixture("h264_aac.mp4").display());
    let rtp_sink = format!("port={}", pair.port());
    let rtcp_sink = format!("port={}", pair.port() + 1);
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
        "rtpbin.send_rtp_sink_0",
        "rtpbin",
        "name=rtpbin",
        "rtpbin.send_rtp_src_0",
        "!",
        "udpsink",
        "host=127.0.0.1",
        &rtp_sink,
        "sync=false",
        "rtpbin.send_rtcp_src_0",
        "!",
        "udpsink",
        "host=127.0.0.1",
        &rtcp_sink,
        "sync=false",
        "async=false",
    ]));
    let cap = capture(&pair, &mut gst, Duration::from_secs(20), has_bye);
    drop(gst);
    let v = verify(&cap, 96);
    // 10 s of 30 fps video, each frame in one packet or more.
    assert!(v.packets.len() >= 300 / 3, "{} packets", v.packets.len());
    // rtpbin's reports come from the stream's SSRC; the last one says goodbye.
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
}
