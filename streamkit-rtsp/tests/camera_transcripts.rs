//! Transcripts in the shape IP cameras and NVRs send (the bytes on the
//! wire, in `tests/transcripts/`, one file per behaviour): the reader
//! takes each in every chunking and the typed headers read what the
//! device meant.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may fail loudly

use bytes::Bytes;
use streamkit_rtsp::header::{
    LowerTransport, NptTime, PortRange, Range, RtpInfoHeader, SessionHeader, Transport,
    TransportMode, content_base, public_methods,
};
use streamkit_rtsp::message::{Frame, Message, MessageReader, Method, ReaderConfig};

/// Every frame of `bytes`, read in chunks of `chunk` bytes.
fn frames_in_chunks(bytes: &[u8], chunk: usize) -> Vec<Frame> {
    let mut reader = MessageReader::new(ReaderConfig::default());
    let mut out = Vec::new();
    for piece in bytes.chunks(chunk) {
        reader.push(piece);
        while let Some(f) = reader.poll_frame().unwrap() {
            out.push(f);
        }
    }
    assert_eq!(reader.buffered(), 0, "nothing left over");
    out
}

/// Every frame of `bytes`, the same in every chunking (1, 2, 3, 7, 64
/// bytes and all at once).
fn frames(bytes: &[u8]) -> Vec<Frame> {
    let whole = frames_in_chunks(bytes, bytes.len());
    for chunk in [1, 2, 3, 7, 64] {
        assert_eq!(frames_in_chunks(bytes, chunk), whole, "chunks of {chunk}");
    }
    whole
}

fn response(f: &Frame) -> &streamkit_rtsp::message::Response {
    match f {
        Frame::Message(Message::Response(r)) => r,
        other => panic!("a response, not {other:?}"),
    }
}

#[test]
fn a_describe_answer_without_content_type_and_a_schemeless_base() {
    let f = frames(include_bytes!(
        "transcripts/describe_answer_without_content_type.rtsp"
    ));
    assert_eq!(f.len(), 2);
    let options = response(&f[0]);
    assert_eq!(options.cseq(), Some(2));
    assert_eq!(
        public_methods(options.headers.get("Public").unwrap()),
        [
            Method::Options,
            Method::Describe,
            Method::Play,
            Method::Pause,
            Method::Setup,
            Method::Teardown,
            Method::SetParameter,
            Method::GetParameter
        ]
    );
    let describe = response(&f[1]);
    assert_eq!(describe.cseq(), Some(3));
    assert_eq!(describe.headers.get("Content-Type"), None);
    // The body is read by its length alone, and it is the SDP.
    assert_eq!(describe.body.len(), 465);
    let sdp = std::str::from_utf8(&describe.body).unwrap();
    assert!(sdp.starts_with("v=0\r\n"), "{sdp}");
    assert_eq!(sdp.matches("\r\nm=").count(), 2);
    assert_eq!(
        content_base(
            &describe.headers,
            "rtsp://192.168.1.64:554/Streaming/Channels/101"
        ),
        "rtsp://192.168.1.64:554/Streaming/Channels/101/"
    );
}

#[test]
fn cseq_with_trailing_whitespace_still_matches() {
    let f = frames(include_bytes!(
        "transcripts/cseq_with_trailing_whitespace.rtsp"
    ));
    let cseqs: Vec<Option<u32>> = f.iter().map(|f| response(f).cseq()).collect();
    assert_eq!(cseqs, [Some(1), Some(2), Some(3)]);
    let session = SessionHeader::parse(response(&f[2]).headers.get("Session").unwrap()).unwrap();
    assert_eq!(
        (session.id.as_str(), session.timeout),
        ("7A3C91E0", Some(60))
    );
}

#[test]
fn interleaved_data_before_the_play_answer_keeps_its_order() {
    let f = frames(include_bytes!(
        "transcripts/interleaved_data_before_the_play_answer.rtsp"
    ));
    // Two RTP packets, the answer, RTCP, the unknown channel, RTP.
    let shape: Vec<String> = f
        .iter()
        .map(|f| match f {
            Frame::Interleaved { channel, data } => format!("${channel}:{}", data.len()),
            Frame::Message(Message::Response(r)) => format!("{} cseq {:?}", r.status, r.cseq()),
            Frame::Message(Message::Request(r)) => format!("{}", r.method),
        })
        .collect();
    assert_eq!(
        shape,
        [
            "$0:16",
            "$0:16",
            "200 cseq Some(5)",
            "$1:28",
            "$4:4",
            "$0:16"
        ]
    );
    let Frame::Interleaved { data, .. } = &f[0] else {
        unreachable!()
    };
    assert_eq!(u16::from_be_bytes([data[2], data[3]]), 17, "RTP seq");
    assert_eq!(
        f[4],
        Frame::Interleaved {
            channel: 4,
            data: Bytes::from_static(b"\x00\x01\x02\x03")
        }
    );
    let answer = response(&f[2]);
    let info = RtpInfoHeader::parse(answer.headers.get("RTP-Info").unwrap()).unwrap();
    assert_eq!(info.entries.len(), 2);
    assert_eq!(
        info.entries[0].url,
        "rtsp://192.168.1.64:554/Streaming/Channels/101/trackID=1"
    );
    assert_eq!(
        (info.entries[0].seq, info.entries[0].rtptime),
        (Some(17), None),
        "rtptime=-1 is no rtptime"
    );
    assert_eq!(
        (info.entries[1].seq, info.entries[1].rtptime),
        (Some(3), None),
        "a trailing ';' and no rtptime"
    );
    let range = Range::parse(answer.headers.get("Range").unwrap()).unwrap();
    assert_eq!(
        range.npt_start(),
        Some(NptTime::At(std::time::Duration::ZERO))
    );
}

#[test]
fn transport_parameters_in_odd_orders_read_as_meant() {
    let f = frames(include_bytes!(
        "transcripts/transport_parameters_in_odd_orders.rtsp"
    ));
    assert_eq!(f.len(), 3);
    let t = Transport::parse(response(&f[0]).headers.get("Transport").unwrap()).unwrap();
    let s = &t.specs[0];
    assert_eq!(
        (s.lower, s.interleaved, s.ssrc),
        (LowerTransport::Tcp, Some((0, Some(1))), Some(0x0BAD_F00D)),
        "ssrc first"
    );
    let t = Transport::parse(response(&f[1]).headers.get("Transport").unwrap()).unwrap();
    let s = &t.specs[0];
    assert_eq!(s.lower, LowerTransport::Udp);
    assert_eq!(s.client_port, Some(PortRange::pair(6970)));
    assert_eq!(s.server_port, Some(PortRange::pair(8000)));
    assert_eq!(s.ssrc, Some(0x1A2B_3C4D), "a space after ssrc=");
    assert_eq!(s.mode, [TransportMode::Play], "the mode quoted");
    let Frame::Message(Message::Request(setup)) = &f[2] else {
        panic!("the client's SETUP");
    };
    assert_eq!((&setup.method, setup.cseq()), (&Method::Setup, Some(6)));
    let t = Transport::parse(setup.headers.get("Transport").unwrap()).unwrap();
    assert_eq!(
        t.specs[0].interleaved,
        Some((168, Some(169))),
        "the client's own channels"
    );
}
