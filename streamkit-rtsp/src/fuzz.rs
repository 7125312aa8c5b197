//! Entry points of the fuzz targets in `fuzz/` at the repository root
//! (built only with the `fuzz` feature; `tests/fuzz_smoke.rs` runs them
//! over seeds). Each one panics only when a check fails.

use bytes::{Bytes, BytesMut};

use crate::auth::{Authorization, Challenge};
use crate::header::{
    AcceptRanges, FeatureTags, MediaProperties, NotifyReason, PipelinedRequests, Range,
    RequestStatus, RtpInfoHeader, SeekStyle, SessionHeader, Transport,
};
use crate::message::{Frame, FrameRef, MessageReader, ReaderConfig};

/// Every frame `reader` gives, up to the first error or the end.
fn frames(reader: &mut MessageReader) -> (Vec<Frame>, bool) {
    let mut out = Vec::new();
    loop {
        match reader.poll_frame() {
            Ok(Some(f)) => out.push(f),
            Ok(None) => return (out, false),
            Err(_) => return (out, true),
        }
    }
}

/// Every frame `reader` lends, made owned, up to the first error or the
/// end.
fn lent_frames(reader: &mut MessageReader) -> (Vec<Frame>, bool) {
    let mut out = Vec::new();
    loop {
        match reader.poll_frame_ref() {
            Ok(Some(FrameRef::Message(m))) => out.push(Frame::Message(m)),
            Ok(Some(FrameRef::Interleaved { channel, data })) => out.push(Frame::Interleaved {
                channel,
                data: Bytes::copy_from_slice(data),
            }),
            Ok(None) => return (out, false),
            Err(_) => return (out, true),
        }
    }
}

/// The message reader over `data` whole and cut in two at the place the
/// first byte names: never a panic, the buffer stays within its bounds,
/// the same frames either way and lent or owned, and every message parsed
/// is written and parsed back to itself.
pub fn message(data: &[u8]) {
    let config = ReaderConfig::default();
    let mut whole = MessageReader::new(config);
    whole.push(data);
    let (a, a_failed) = frames(&mut whole);
    let cut = data
        .first()
        .map_or(0, |&b| usize::from(b) % (data.len() + 1));
    let mut chunked = MessageReader::new(config);
    chunked.push(&data[..cut]);
    let (mut b, mut b_failed) = frames(&mut chunked);
    if !b_failed {
        chunked.push(&data[cut..]);
        let (rest, failed) = frames(&mut chunked);
        b.extend(rest);
        b_failed = failed;
    }
    assert!(
        whole.buffered() <= data.len(),
        "the reader holds more than it was given"
    );
    if !a_failed && !b_failed {
        assert_eq!(a, b, "chunking changed the frames");
    }
    let mut lending = MessageReader::new(config);
    lending.push(data);
    let (c, c_failed) = lent_frames(&mut lending);
    assert_eq!((&a, a_failed), (&c, c_failed), "lending changed the frames");
    assert_eq!(
        lending.buffered(),
        whole.buffered(),
        "lending kept other bytes"
    );
    for frame in a {
        if let Frame::Message(m) = frame {
            let mut out = BytesMut::new();
            m.write_to(&mut out);
            let mut again = MessageReader::new(config);
            again.push(&out);
            if let Ok(Some(Frame::Message(back))) = again.poll_frame() {
                assert_eq!(back, m, "write then parse changed the message");
            }
        }
    }
}

/// `parse(write(parse(text)))` equals `parse(text)` for a header value
/// that parses.
macro_rules! round_trip {
    ($ty:ty, $text:expr, $write:expr) => {
        if let Ok(v) = <$ty>::parse($text) {
            let written: String = $write(&v);
            let back = <$ty>::parse(&written);
            assert_eq!(
                back.as_ref().ok(),
                Some(&v),
                "{} wrote {written:?}",
                stringify!($ty)
            );
        }
    };
}

/// Every typed header parser over `data` as text: never a panic; the
/// RTSP 2.0 headers, Transport and RTP-Info (both forms) also written
/// and parsed back to the same value.
pub fn headers(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let _ = Transport::parse(&text);
    let _ = SessionHeader::parse(&text);
    let _ = RtpInfoHeader::parse(&text);
    let _ = Range::parse(&text);
    let _ = Challenge::parse(&text);
    let _ = Authorization::parse(&text);
    round_trip!(MediaProperties, &text, ToString::to_string);
    round_trip!(AcceptRanges, &text, ToString::to_string);
    round_trip!(SeekStyle, &text, ToString::to_string);
    round_trip!(NotifyReason, &text, ToString::to_string);
    round_trip!(RequestStatus, &text, ToString::to_string);
    round_trip!(PipelinedRequests, &text, ToString::to_string);
    round_trip!(FeatureTags, &text, ToString::to_string);
    if let Ok(info) = RtpInfoHeader::parse(&text)
        && info.entries.iter().all(|e| e.ssrc.is_some())
    {
        let back = RtpInfoHeader::parse(&info.to_v2_string());
        assert_eq!(back.as_ref().ok(), Some(&info), "RTP-Info 2.0 form");
    }
}

/// The tunnel's head parser, base64 decoder and client side over `data`:
/// never a panic, the decoder writes within its buffer, and decoding
/// `data` whole or cut in two (at the place the first byte names) through
/// a small buffer gives the same bytes and the same error; read as the
/// answer to a client's GET, whole or cut, it gives the same body or the
/// same error.
pub fn tunnel(data: &[u8]) {
    use crate::tunnel::{Base64Decoder, TunnelError, parse_request_head};
    let max = data.first().map_or(0, |&b| usize::from(b) * 8);
    let _ = parse_request_head(data, max);
    let decode = |chunks: &[&[u8]], room: usize| -> Result<Vec<u8>, TunnelError> {
        let mut d = Base64Decoder::new();
        let mut out = vec![0u8; room];
        let mut all = Vec::new();
        for chunk in chunks {
            let mut rest = *chunk;
            while !rest.is_empty() {
                let step = d.decode(rest, &mut out)?;
                assert!(step.written <= room, "wrote past the buffer");
                assert!(step.consumed > 0, "no progress with room for a group");
                all.extend_from_slice(&out[..step.written]);
                rest = &rest[step.consumed..];
            }
        }
        Ok(all)
    };
    let cut = data
        .first()
        .map_or(0, |&b| usize::from(b) % (data.len() + 1));
    let whole = decode(&[data], 4096);
    let split = decode(&[&data[..cut], &data[cut..]], 3);
    assert_eq!(whole, split, "cutting changed the decoded body");
    if let Ok(bytes) = whole {
        assert!(bytes.len() <= data.len() * 3 / 4 + 2, "more out than in");
    }
    // The same bytes as a client's GET connection: read whole or cut in
    // two, the answer opens the tunnel (or fails) alike and the body
    // after the head is the same.
    let answer = |chunks: &[&[u8]]| -> Result<Vec<u8>, TunnelError> {
        let Ok(t) = crate::tunnel::ClientTunnel::new("/a", "h:1", [0; 16]) else {
            unreachable!("valid values")
        };
        let mut t = t.with_max_head(max);
        let mut body = Vec::new();
        for chunk in chunks {
            if let crate::tunnel::GetAnswer::Open { body: b } = t.handle_get_bytes(chunk)? {
                body.extend_from_slice(b);
            }
        }
        assert!(body.len() <= data.len(), "more body than input");
        Ok(body)
    };
    let whole = answer(&[data]);
    let split = answer(&[&data[..cut], &data[cut..]]);
    assert_eq!(whole, split, "cutting changed the GET's answer");
}

/// Everything a client pulling over TCP interleaved hears in one run:
/// `data` as the server's bytes (whole, then cut in two where the first
/// byte says, at the same instant), and as a UDP datagram; the timers
/// run. Never a panic; the same events either way unless the bytes do
/// not parse; the session ends at most once, last.
pub fn client_responses(data: &[u8]) {
    use std::time::{Duration, Instant};

    use crate::client::{ClientConfig, ClientEvent, ClientSession, ClientTransport};

    #[allow(clippy::disallowed_methods)] // a virtual clock's origin
    let t0 = Instant::now();
    let run = |cut: usize| {
        let random = Box::new(|b: &mut [u8]| b.fill(3));
        let mut config = ClientConfig::new("rtsp://cam.example/live");
        if data.first().is_some_and(|b| b & 1 == 1) {
            config.transport = ClientTransport::Udp {
                ports: vec![5000, 5002],
            };
        }
        let mut c = ClientSession::play(t0, config, random);
        let mut events = Vec::new();
        let (a, b) = data.split_at(cut.min(data.len()));
        for piece in [a, b] {
            c.handle_bytes(t0, piece);
            while c.poll_transmit(t0).is_some() {}
            events.extend(std::iter::from_fn(|| c.poll_event()));
        }
        (c, events)
    };
    let (mut whole, events) = run(data.len());
    let cut = data
        .first()
        .map_or(0, |&b| usize::from(b) % (data.len() + 1));
    let (_, chunked) = run(cut);
    let parse_failed = |e: &[ClientEvent]| {
        e.iter().any(|e| {
            matches!(
                e,
                ClientEvent::SessionEnded {
                    reason: crate::client::SessionEndReason::Failed(
                        crate::error::ClientError::Parse(_)
                    )
                }
            )
        })
    };
    if !parse_failed(&events) && !parse_failed(&chunked) {
        assert_eq!(events, chunked, "chunking changed the events");
    }
    let _ = whole.handle_datagram(t0, 5000, bytes::Bytes::copy_from_slice(data));
    let _ = whole.handle_datagram(t0, 5001, bytes::Bytes::copy_from_slice(data));
    let mut now = t0;
    let mut all = events;
    for _ in 0..8 {
        match whole.poll_timeout() {
            Some(t) => now = now.max(t).max(now + Duration::from_millis(1)),
            None => break,
        }
        whole.handle_timeout(now);
        while whole.poll_transmit(now).is_some() {}
        all.extend(std::iter::from_fn(|| whole.poll_event()));
    }
    whole.handle_closed(now);
    all.extend(std::iter::from_fn(|| whole.poll_event()));
    let ends = all
        .iter()
        .filter(|e| matches!(e, ClientEvent::SessionEnded { .. }))
        .count();
    assert_eq!(ends, 1, "one end");
    assert!(
        matches!(all.last(), Some(ClientEvent::SessionEnded { .. })),
        "the end is the last event"
    );
}
