//! RTP and RTCP from ffmpeg over loopback: `ffmpeg -re -i h264_aac.mp4 -an
//! -c:v copy -f rtp rtp://127.0.0.1:PORT -sdp_file ...` sends RTP to an even
//! port and RTCP sender reports to the next. Every packet and report parses,
//! sequence numbers are contiguous, our receiver session sees no loss, the
//! sender reports count exactly the packets and octets received, and the
//! SDP describes the source file's H.264 configuration.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may fail loudly

mod interop_verify;
#[path = "../../tests/support/mod.rs"]
mod support;

use std::process::Command;
use std::time::Duration;

use bytes::Bytes;
use interop_verify::verify;
use streamkit_core::codec::MediaKind;
use streamkit_core::mp4::Mp4File;
use streamkit_rtp::rtcp::RtcpPacket;
use streamkit_rtp::sdp::SessionDescription;
use support::{Guard, PortPair, capture, fixture, require};

#[test]
fn ffmpeg_h264_rtp_and_sender_reports() {
    require("ffmpeg");
    let pair = PortPair::bind();
    let dir = std::env::temp_dir().join(format!("streamkit-interop-ffmpeg-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let sdp_path = dir.join("out.sdp");
    let mut ffmpeg = Guard::spawn(
        Command::new("ffmpeg")
            .args(["-hide_banner", "-loglevel", "error", "-y", "-re", "-i"])
            .arg(fixture("h264_aac.mp4"))
            .args(["-t", "2", "-an", "-c:v", "copy", "-f", "rtp"])
            .arg(format!("rtp://127.0.0.1:{}", pair.port()))
            .arg("-sdp_file")
            .arg(&sdp_path),
    );
    let cap = capture(&pair, &mut ffmpeg, Duration::from_secs(20), |_| false);
    let v = verify(&cap, 96);

    // Sender reports (ffmpeg sends one with the first packet, then one
    // every 5 s): from the stream's SSRC, each counting exactly the packets
    // and payload octets sent before it, stamped with the wall clock.
    let srs: Vec<_> = v
        .rtcp
        .iter()
        .flatten()
        .filter_map(|p| match p {
            RtcpPacket::SenderReport(sr) => Some(sr.clone()),
            _ => None,
        })
        .collect();
    assert!(!srs.is_empty(), "no sender report");
    for sr in &srs {
        assert_eq!(sr.ssrc, v.ssrc);
        let n = sr.packet_count as usize;
        assert!(n <= v.packets.len());
        let octets: usize = v.packets[..n].iter().map(|p| p.payload().len()).sum();
        assert_eq!(
            sr.octet_count as usize, octets,
            "octet count of an SR after {n} packets"
        );
    }
    let first = &srs[0];
    assert_eq!((first.packet_count, first.octet_count), (0, 0));
    #[allow(clippy::disallowed_methods)] // the SR carries the sender's wall clock
    let wall = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap();
    let sr_wall = first.ntp_time.to_unix().unwrap();
    assert!(
        wall.abs_diff(sr_wall) < Duration::from_secs(60),
        "SR time {sr_wall:?}, now {wall:?}"
    );

    // The SDP ffmpeg wrote names our port and the source's H.264 configuration.
    let sdp = SessionDescription::parse(&std::fs::read_to_string(&sdp_path).unwrap()).unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(sdp.media.len(), 1);
    assert_eq!(sdp.media[0].port, pair.port());
    let file =
        Mp4File::parse(Bytes::from(std::fs::read(fixture("h264_aac.mp4")).unwrap())).unwrap();
    let video = file
        .tracks()
        .iter()
        .filter_map(|t| t.codec())
        .find(|c| c.kind() == MediaKind::Video)
        .unwrap();
    assert_eq!(&sdp.media[0].codec(96).unwrap(), video);
}
