//! Fuzz targets of this crate: each function runs a family of parsers or
//! a session over arbitrary bytes and checks round trips and invariants.
//! The `fuzz/` crate at the repository root calls them from libFuzzer;
//! `tests/fuzz_smoke.rs` runs them over seeds on every test run. Not part
//! of the stable API.
//!
//! A failed assertion here is a bug in the code it names.
// A broken invariant must stop the fuzzer with the input that broke it.
#![allow(clippy::panic)]

use std::time::{Duration, Instant};

use crate::amf::{AmfLimits, amf0, amf3};
use crate::chunk::{ChunkDecoder, ChunkEncoder, ChunkLimits};
use crate::client::{ClientConfig, ClientSession};
use crate::handshake::{ClientHandshake, ServerHandshake};
use crate::server::{AllowAll, ServerSession};
use crate::url::RtmpUrl;

/// AMF0 and AMF3 decoding under tight limits; whatever decodes encodes,
/// and decodes again to the same values.
pub fn amf(data: &[u8]) {
    let limits = AmfLimits::default()
        .with_max_values(4096)
        .with_max_bytes(1 << 20);
    if let Ok(values) = amf0::decode_all(data, &limits) {
        let mut out = Vec::new();
        for v in &values {
            if v.encode(&mut out).is_err() {
                return;
            }
        }
        let again = amf0::decode_all(
            &out,
            &limits
                .with_max_bytes(usize::MAX)
                .with_max_values(usize::MAX),
        );
        // NaN payloads compare unequal: compare the bytes instead.
        if let Ok(again) = again {
            let mut out2 = Vec::new();
            for v in &again {
                let _ = v.encode(&mut out2);
            }
            assert_eq!(out, out2, "AMF0 round trip");
        } else {
            panic!("AMF0: encoded values do not decode: {again:?}");
        }
    }
    if let Ok((v, n)) = amf3::decode(data, &limits) {
        assert!(n <= data.len());
        let mut out = Vec::new();
        if v.encode(&mut out).is_ok() {
            let big = AmfLimits::default()
                .with_max_values(usize::MAX)
                .with_max_bytes(usize::MAX)
                .with_max_depth(limits.max_depth);
            match amf3::decode(&out, &big) {
                Ok((w, m)) => {
                    assert_eq!(m, out.len(), "AMF3 re-decode length");
                    let mut out2 = Vec::new();
                    let _ = w.encode(&mut out2);
                    assert_eq!(out, out2, "AMF3 round trip");
                }
                Err(e) => panic!("AMF3: encoded value does not decode: {e}"),
            }
        }
    }
}

/// The chunk decoder over arbitrary bytes in arbitrary splits, under
/// tight bounds; every message it gives re-encodes and decodes alike.
pub fn chunk(data: &[u8]) {
    let limits = ChunkLimits::default()
        .with_max_message_size(1 << 16)
        .with_max_chunk_streams(8)
        .with_max_buffered_bytes(1 << 17);
    let split = data.first().map_or(1, |b| usize::from(*b) + 1);
    let mut decoder = ChunkDecoder::new(limits);
    let mut messages = Vec::new();
    'outer: for piece in data.chunks(split) {
        decoder.push(piece);
        loop {
            match decoder.poll_message() {
                Ok(Some(m)) => messages.push(m),
                Ok(None) => break,
                Err(_) => break 'outer,
            }
        }
        assert!(decoder.pending_input() <= data.len());
    }
    let mut encoder = ChunkEncoder::new();
    let mut wire = Vec::new();
    for m in messages.iter().filter(|m| m.csid >= 2) {
        if encoder
            .encode(m, &[], &mut |b: bytes::Bytes| wire.extend_from_slice(&b))
            .is_err()
        {
            return;
        }
    }
    let mut decoder = ChunkDecoder::new(ChunkLimits::default());
    decoder.push(&wire);
    for m in messages.iter().filter(|m| m.csid >= 2) {
        // Set Chunk Size and Abort take effect on decode; skip the check
        // after one.
        if m.type_id <= 2 {
            return;
        }
        match decoder.poll_message() {
            Ok(Some(again)) => assert_eq!(&again, m, "chunk round trip"),
            other => panic!("chunk round trip lost a message: {other:?}"),
        }
    }
}

/// Both handshake sides over arbitrary bytes.
pub fn handshake(data: &[u8]) {
    let mut s = ServerHandshake::new(1);
    let mut c = ClientHandshake::new(2);
    for piece in data.chunks(700) {
        if let Ok(n) = s.push(piece) {
            assert!(n <= piece.len());
        }
        if let Ok(n) = c.push(piece) {
            assert!(n <= piece.len());
        }
    }
    let _ = (s.poll_output(), c.poll_output());
}

/// A server session and a client session fed arbitrary bytes after a
/// valid handshake, in splits, with time passing from `origin` (the
/// caller's clock: this crate reads none): no panic, and a closed
/// session stays closed.
pub fn session(origin: Instant, data: &[u8]) {
    let start = origin;
    let mut server = ServerSession::new(start, Default::default(), Box::new(AllowAll));
    // A valid C0+C1 so that the chunk layer is reached.
    let mut hs = ClientHandshake::new(3);
    if let Some(c0c1) = hs.poll_output() {
        let _ = server.handle_input(start, &c0c1);
        let _ = server.handle_input(start, &c0c1[1..]);
    }
    let split = data.first().map_or(1, |b| usize::from(*b % 64) + 1);
    for (i, piece) in data.chunks(split).enumerate() {
        let now = start + Duration::from_millis(i as u64 * 10);
        let closed = server.is_closed();
        let r = server.handle_input(now, piece);
        if closed {
            assert!(r.is_err(), "a closed session took input");
        }
        while server.poll_event().is_some() {}
        while server.poll_transmit().is_some() {}
        let _ = server.handle_timeout(now);
    }
    let Ok(url) = RtmpUrl::parse("rtmp://127.0.0.1/live/key") else {
        return;
    };
    let mut client = ClientSession::new(start, ClientConfig::publish(url));
    for piece in data.chunks(split) {
        let _ = client.handle_input(start, piece);
        while client.poll_event().is_some() {}
        while client.poll_transmit().is_some() {}
    }
}
