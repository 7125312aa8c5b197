//! Padded RTCP against a second implementation, the `rtcp` crate of
//! webrtc-rs: for reports whose profile extension is not whole words it
//! writes the same padded bytes as ours, and it reads our padded packets.
#![allow(clippy::unwrap_used)] // test helpers outside #[test] fns

use bytes::Bytes;
use streamkit_core::time::RtpTimestamp;
use streamkit_rtp::rtcp::{
    App, NtpTimestamp, ReceiverReport, RtcpPacket, SenderReport, parse_compound,
};

fn ours(packet: &RtcpPacket) -> Bytes {
    let mut wire = Vec::new();
    packet.write(&mut wire).unwrap();
    Bytes::from(wire)
}

fn extension(len: usize) -> Bytes {
    Bytes::from((1..=len as u8).collect::<Vec<u8>>())
}

#[test]
fn padded_receiver_reports_match_the_peer_writer() {
    for len in [1usize, 2, 3, 5, 8] {
        let ext = extension(len);
        let packet = RtcpPacket::ReceiverReport(ReceiverReport {
            ssrc: 0x1122_3344,
            reports: vec![],
            profile_extension: ext.clone(),
        });
        let peer = rtcp::packet::marshal(&[Box::new(rtcp::receiver_report::ReceiverReport {
            ssrc: 0x1122_3344,
            reports: vec![],
            profile_extensions: ext.clone(),
        })])
        .unwrap();
        let wire = ours(&packet);
        assert_eq!(wire, peer, "extension of {len} bytes");
        assert_eq!(wire[0] & 0x20 != 0, len % 4 != 0, "P bit, {len} bytes");
        assert_eq!(parse_compound(peer).unwrap(), vec![packet]);
    }
}

#[test]
fn padded_sender_reports_match_the_peer_and_it_reads_ours() {
    for len in [1usize, 2, 3, 6] {
        let ext = extension(len);
        let packet = RtcpPacket::SenderReport(SenderReport {
            ssrc: 0xa16b_2963,
            ntp_time: NtpTimestamp(0xeeb1_bc88_1168_72b0),
            rtp_timestamp: RtpTimestamp::new(0x3177_bc88),
            packet_count: 7,
            octet_count: 256,
            reports: vec![],
            profile_extension: ext.clone(),
        });
        let peer_model = rtcp::sender_report::SenderReport {
            ssrc: 0xa16b_2963,
            ntp_time: 0xeeb1_bc88_1168_72b0,
            rtp_time: 0x3177_bc88,
            packet_count: 7,
            octet_count: 256,
            reports: vec![],
            profile_extensions: ext.clone(),
        };
        let peer = rtcp::packet::marshal(&[Box::new(peer_model.clone())]).unwrap();
        let wire = ours(&packet);
        assert_eq!(wire, peer, "extension of {len} bytes");
        // The peer's reader accepts our bytes; it keeps the padding at the
        // end of the extension (its reader does not strip it, unlike ours).
        let read = rtcp::packet::unmarshal(&mut wire.clone()).unwrap();
        assert_eq!(read.len(), 1);
        let read = read[0]
            .as_any()
            .downcast_ref::<rtcp::sender_report::SenderReport>()
            .unwrap();
        let pad = (4 - len % 4) % 4;
        let mut padded = ext.to_vec();
        if pad > 0 {
            padded.extend(std::iter::repeat_n(0, pad - 1));
            padded.push(pad as u8);
        }
        assert_eq!(
            read,
            &rtcp::sender_report::SenderReport {
                profile_extensions: Bytes::from(padded),
                ..peer_model
            },
            "extension of {len} bytes"
        );
    }
}

#[test]
fn the_peer_reads_our_padded_app() {
    let packet = RtcpPacket::App(App {
        subtype: 3,
        ssrc: 0x0102_0304,
        name: *b"TEST",
        data: Bytes::from_static(&[1, 2, 3, 4, 5]),
    });
    let wire = ours(&packet);
    // The peer has no APP model: it keeps the packet raw, after checking
    // the header (version, P bit, length in words) against the datagram.
    let read = rtcp::packet::unmarshal(&mut wire.clone()).unwrap();
    assert_eq!(read.len(), 1);
    let header = read[0].header();
    assert!(header.padding);
    assert_eq!(header.count, 3);
    assert_eq!(
        header.packet_type,
        rtcp::header::PacketType::ApplicationDefined
    );
    assert_eq!(usize::from(header.length), wire.len() / 4 - 1);
    let raw = read[0]
        .as_any()
        .downcast_ref::<rtcp::raw_packet::RawPacket>()
        .unwrap();
    assert_eq!(raw.0, wire);
}
