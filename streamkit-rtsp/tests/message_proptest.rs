//! The message reader never panics on arbitrary bytes in arbitrary
//! chunks, a message it is given written by the writer parses back to
//! itself, and a stream of interleaved frames and messages in arbitrary
//! chunks reads back to the same frames in order.
#![allow(clippy::unwrap_used)] // tests may fail loudly

use bytes::{Bytes, BytesMut};
use proptest::prelude::*;
use streamkit_rtsp::message::{
    Frame, FrameRef, Message, MessageReader, Method, ReaderConfig, Request, Response, Version,
    write_interleaved,
};

fn token() -> impl Strategy<Value = String> {
    "[A-Za-z][A-Za-z0-9-]{0,15}"
}

fn value() -> impl Strategy<Value = String> {
    "[!-~]([ !-~]{0,30}[!-~])?"
}

fn message() -> impl Strategy<Value = Message> {
    let headers = prop::collection::vec((token(), value()), 0..8);
    let body = prop::collection::vec(any::<u8>(), 0..64);
    (
        any::<bool>(),
        headers,
        body,
        100u16..600,
        "/[a-z0-9/]{0,20}",
        (0u8..10, 0u8..10),
    )
        .prop_map(
            |(is_request, headers, body, status, path, (major, minor))| {
                // RTSP/1.0, RTSP/2.0 or another one-digit version.
                let version = Version::from_digits(major, minor).unwrap_or(Version::Rtsp10);
                let headers: Vec<(String, String)> = headers
                    .into_iter()
                    .filter(|(n, _)| !n.eq_ignore_ascii_case("content-length"))
                    .collect();
                if is_request {
                    let mut r = Request::new(Method::Describe, &format!("rtsp://h{path}"));
                    r.version = version;
                    for (n, v) in &headers {
                        r.headers.append(n, v);
                    }
                    r.body = Bytes::from(body);
                    if !r.body.is_empty() {
                        r.headers
                            .append("Content-Length", &r.body.len().to_string());
                    }
                    Message::Request(r)
                } else {
                    let mut r = Response::new(status);
                    r.version = version;
                    for (n, v) in &headers {
                        r.headers.append(n, v);
                    }
                    r.body = Bytes::from(body);
                    if !r.body.is_empty() {
                        r.headers
                            .append("Content-Length", &r.body.len().to_string());
                    }
                    Message::Response(r)
                }
            },
        )
}

/// Up to 12 frames, interleaved data and messages mixed.
fn frames() -> impl Strategy<Value = Vec<Frame>> {
    prop::collection::vec(
        prop_oneof![
            (any::<u8>(), prop::collection::vec(any::<u8>(), 0..1500)).prop_map(
                |(channel, data)| Frame::Interleaved {
                    channel,
                    data: Bytes::from(data)
                }
            ),
            message().prop_map(Frame::Message),
        ],
        0..12,
    )
}

/// `frames` written one after the other, and the ends of the chunks
/// `cuts` cut them into (sorted, the last at the end).
fn written(frames: &[Frame], cuts: &[usize]) -> (BytesMut, Vec<usize>) {
    let mut out = BytesMut::new();
    for f in frames {
        match f {
            Frame::Interleaved { channel, data } => {
                out.extend_from_slice(&write_interleaved(*channel, data.len()).unwrap());
                out.extend_from_slice(data);
            }
            Frame::Message(m) => m.write_to(&mut out),
        }
    }
    let mut ends: Vec<usize> = cuts.iter().map(|c| c % (out.len() + 1)).collect();
    ends.sort_unstable();
    ends.push(out.len());
    (out, ends)
}

proptest! {
    #[test]
    fn arbitrary_bytes_in_arbitrary_chunks_never_panic(
        data in prop::collection::vec(any::<u8>(), 0..2048),
        cuts in prop::collection::vec(any::<usize>(), 0..8),
    ) {
        let mut reader = MessageReader::new(ReaderConfig::default());
        let mut at = 0;
        let mut ends: Vec<usize> = cuts.iter().map(|c| c % (data.len() + 1)).collect();
        ends.sort_unstable();
        ends.push(data.len());
        'outer: for end in ends {
            reader.push(&data[at..end]);
            at = end;
            loop {
                match reader.poll_frame() {
                    Ok(Some(_)) => {}
                    Ok(None) => break,
                    Err(_) => break 'outer,
                }
            }
        }
    }

    #[test]
    fn written_messages_parse_back_to_themselves(m in message(), cut in any::<usize>()) {
        let mut out = BytesMut::new();
        m.write_to(&mut out);
        let cut = cut % (out.len() + 1);
        let mut reader = MessageReader::new(ReaderConfig::default());
        reader.push(&out[..cut]);
        let first = reader.poll_frame().unwrap();
        let frame = match first {
            Some(f) => f,
            None => {
                reader.push(&out[cut..]);
                reader.poll_frame().unwrap().unwrap()
            }
        };
        prop_assert_eq!(frame, Frame::Message(m));
        prop_assert_eq!(reader.poll_frame().unwrap(), None);
    }

    #[test]
    fn interleaved_frames_and_messages_in_arbitrary_chunks_read_back_in_order(
        frames in frames(),
        cuts in prop::collection::vec(any::<usize>(), 0..16),
    ) {
        let (out, ends) = written(&frames, &cuts);
        let mut reader = MessageReader::new(ReaderConfig::default());
        let mut read = Vec::new();
        let mut at = 0;
        for end in ends {
            reader.push(&out[at..end]);
            at = end;
            while let Some(f) = reader.poll_frame().unwrap() {
                read.push(f);
            }
        }
        prop_assert_eq!(read, frames);
        prop_assert_eq!(reader.buffered(), 0);
    }

    /// `poll_frame_ref` gives the frames `poll_frame` gives, in order, when
    /// the two are mixed at random and the bytes come in arbitrary chunks.
    #[test]
    fn lent_and_owned_frames_mixed_read_back_in_order(
        frames in frames(),
        cuts in prop::collection::vec(any::<usize>(), 0..16),
        lend in prop::collection::vec(any::<bool>(), 64),
    ) {
        let (out, ends) = written(&frames, &cuts);
        let mut reader = MessageReader::new(ReaderConfig::default());
        let mut read = Vec::new();
        let mut at = 0;
        let mut calls = 0;
        for end in ends {
            reader.push(&out[at..end]);
            at = end;
            loop {
                calls += 1;
                let frame = if lend[calls % lend.len()] {
                    match reader.poll_frame_ref().unwrap() {
                        None => break,
                        Some(FrameRef::Message(m)) => Frame::Message(m),
                        Some(FrameRef::Interleaved { channel, data }) => Frame::Interleaved {
                            channel,
                            data: Bytes::copy_from_slice(data),
                        },
                    }
                } else {
                    match reader.poll_frame().unwrap() {
                        None => break,
                        Some(f) => f,
                    }
                };
                read.push(frame);
            }
        }
        prop_assert_eq!(read, frames);
        prop_assert_eq!(reader.buffered(), 0);
    }
}
