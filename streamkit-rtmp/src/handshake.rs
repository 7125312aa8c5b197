//! The RTMP handshake: C0/C1/C2 and S0/S1/S2, version 3, in the simple
//! form of the RTMP 1.0 specification and the digest form (HMAC-SHA256,
//! Flash Player 9 and later) that ffmpeg, OBS and Flash send.
//!
//! In the digest form each side hides an HMAC-SHA256 digest of its
//! 1536-byte packet at an offset the packet's own bytes give (scheme 0:
//! the four bytes at 8, scheme 1: the four bytes at 772), keyed with the
//! first 30 bytes of the Flash Player key (client) or the first 36 bytes
//! of the Flash Media Server key (server); the reply to a digest packet
//! ends with an HMAC keyed by the HMAC of the peer's digest. A server
//! answers a simple C1 simply and a digest C1 with digests (players such
//! as ffmpeg check them); a client sends a digest C1 and answers S1 in
//! the form it came in.
//!
//! Both sides are byte-level state machines: [`ServerHandshake::push`]
//! and [`ClientHandshake::push`] take what arrived and say how much they
//! used (the rest is the first chunk data); `poll_output` gives what to
//! send.
//!
//! ```
//! use streamkit_rtmp::handshake::{ClientHandshake, ServerHandshake};
//!
//! let mut client = ClientHandshake::new(1);
//! let mut server = ServerHandshake::new(2);
//! let c0c1 = client.poll_output().expect("C0 and C1");
//! assert_eq!(server.push(&c0c1)?, c0c1.len());
//! let s0s1s2 = server.poll_output().expect("S0, S1 and S2");
//! assert_eq!(client.push(&s0s1s2)?, s0s1s2.len());
//! let c2 = client.poll_output().expect("C2");
//! assert!(client.is_done());
//! server.push(&c2)?;
//! assert!(server.is_done());
//! assert!(server.peer_used_digest());
//! # Ok::<(), streamkit_rtmp::handshake::HandshakeError>(())
//! ```

use bytes::{Bytes, BytesMut};
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// Bytes of C1, C2, S1 and S2.
pub const PACKET_SIZE: usize = 1536;
/// The RTMP version of C0 and S0.
pub const VERSION: u8 = 3;

const DIGEST_LEN: usize = 32;
const GENUINE_FP: &[u8] = b"Genuine Adobe Flash Player 001";
const GENUINE_FMS: &[u8] = b"Genuine Adobe Flash Media Server 001";
const KEY_TAIL: [u8; 32] = [
    0xf0, 0xee, 0xc2, 0x4a, 0x80, 0x68, 0xbe, 0xe8, 0x2e, 0x00, 0xd0, 0xd1, 0x02, 0x9e, 0x7e, 0x57,
    0x6e, 0xec, 0x5d, 0x2d, 0x29, 0x80, 0x6f, 0xab, 0x93, 0xb8, 0xe6, 0x36, 0xcf, 0xeb, 0x31, 0xae,
];
/// The version the server writes in a digest S1 (Flash Media Server 3).
const SERVER_VERSION: [u8; 4] = [3, 5, 1, 1];
/// The version the client writes in its C1 (Flash Player 9.0.124.2, as
/// ffmpeg writes).
const CLIENT_VERSION: [u8; 4] = [9, 0, 124, 2];

/// Why a handshake failed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum HandshakeError {
    /// C0 or S0 asked for another version (6 is RTMPE, not supported).
    #[error("handshake: version {version} in {packet} (only 3 is supported)")]
    Version {
        /// `"C0"` or `"S0"`.
        packet: &'static str,
        /// The version asked for.
        version: u8,
    },
}

fn key(parts: &[&[u8]]) -> Vec<u8> {
    parts.concat()
}

/// HMAC-SHA256 of `data` minus the 32 bytes at `skip` (when given).
fn hmac(key: &[u8], data: &[u8], skip: Option<usize>) -> [u8; DIGEST_LEN] {
    // Any key length is accepted by HMAC.
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(key) else {
        return [0; DIGEST_LEN];
    };
    match skip {
        Some(at) => {
            mac.update(&data[..at]);
            mac.update(&data[at + DIGEST_LEN..]);
        }
        None => mac.update(data),
    }
    mac.finalize().into_bytes().into()
}

/// Where the digest of `packet` sits in `scheme` 0 or 1.
fn digest_offset(packet: &[u8], scheme: usize) -> usize {
    let base = if scheme == 0 { 8 } else { 772 };
    let sum: usize = packet[base..base + 4].iter().map(|b| usize::from(*b)).sum();
    sum % 728 + base + 4
}

/// The scheme whose digest checks out, and the digest.
fn find_digest(packet: &[u8], key: &[u8]) -> Option<(usize, [u8; DIGEST_LEN])> {
    // Scheme 1 first: it is what Flash Player 10 and ffmpeg's servers use.
    for scheme in [1, 0] {
        let at = digest_offset(packet, scheme);
        let d = hmac(key, packet, Some(at));
        if packet[at..at + DIGEST_LEN] == d {
            return Some((scheme, d));
        }
    }
    None
}

/// Fills `out` with bytes from a splitmix64 sequence of `seed` (the
/// handshake's random fields need no cryptographic quality; the seed is
/// the caller's randomness).
fn fill(out: &mut [u8], seed: &mut u64) {
    for chunk in out.chunks_mut(8) {
        *seed = seed.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = *seed;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^= z >> 31;
        chunk.copy_from_slice(&z.to_le_bytes()[..chunk.len()]);
    }
}

/// Writes a digest packet: time 0, `version`, random, the digest at the
/// `scheme` offset keyed with `key`.
fn digest_packet(version: [u8; 4], scheme: usize, key: &[u8], seed: &mut u64) -> Vec<u8> {
    let mut p = vec![0u8; PACKET_SIZE];
    p[4..8].copy_from_slice(&version);
    fill(&mut p[8..], seed);
    let at = digest_offset(&p, scheme);
    let d = hmac(key, &p, Some(at));
    p[at..at + DIGEST_LEN].copy_from_slice(&d);
    p
}

/// The reply to a digest packet whose digest is `peer_digest`: random,
/// then an HMAC keyed by the HMAC of the digest.
fn digest_reply(peer_digest: &[u8], full_key: &[u8], seed: &mut u64) -> Vec<u8> {
    let mut p = vec![0u8; PACKET_SIZE];
    fill(&mut p[..PACKET_SIZE - DIGEST_LEN], seed);
    let k = hmac(full_key, peer_digest, None);
    let sig = hmac(&k, &p[..PACKET_SIZE - DIGEST_LEN], None);
    p[PACKET_SIZE - DIGEST_LEN..].copy_from_slice(&sig);
    p
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ServerState {
    /// Waiting for C0 and C1.
    C0C1,
    /// Waiting for C2.
    C2,
    Done,
}

/// The server side: reads C0+C1, answers S0+S1+S2, reads C2.
#[derive(Debug)]
pub struct ServerHandshake {
    state: ServerState,
    seed: u64,
    buffer: Vec<u8>,
    output: Option<Bytes>,
    digest: bool,
}

impl ServerHandshake {
    /// A server handshake whose random bytes come from `seed`.
    #[must_use]
    pub fn new(seed: u64) -> ServerHandshake {
        ServerHandshake {
            state: ServerState::C0C1,
            seed,
            buffer: Vec::new(),
            output: None,
            digest: false,
        }
    }

    /// `true` once C2 was read.
    #[must_use]
    pub fn is_done(&self) -> bool {
        self.state == ServerState::Done
    }

    /// `true` when the client sent a digest C1 (and got digests back).
    #[must_use]
    pub fn peer_used_digest(&self) -> bool {
        self.digest
    }

    /// What to send, once (S0+S1+S2 after C1).
    #[must_use]
    pub fn poll_output(&mut self) -> Option<Bytes> {
        self.output.take()
    }

    /// Takes bytes from the client; returns how many it used (bytes after
    /// C2 are the first chunks).
    ///
    /// # Errors
    ///
    /// [`HandshakeError::Version`] for a C0 other than 3.
    pub fn push(&mut self, data: &[u8]) -> Result<usize, HandshakeError> {
        let mut used = 0;
        while used < data.len() && self.state != ServerState::Done {
            let need = match self.state {
                ServerState::C0C1 => 1 + PACKET_SIZE,
                _ => PACKET_SIZE,
            };
            if self.buffer.is_empty() && self.state == ServerState::C0C1 && data[used] != VERSION {
                return Err(HandshakeError::Version {
                    packet: "C0",
                    version: data[used],
                });
            }
            let take = (need - self.buffer.len()).min(data.len() - used);
            self.buffer.extend_from_slice(&data[used..used + take]);
            used += take;
            if self.buffer.len() < need {
                break;
            }
            match self.state {
                ServerState::C0C1 => {
                    let c1 = &self.buffer[1..];
                    self.output = Some(self.answer(c1.to_vec()));
                    self.state = ServerState::C2;
                }
                _ => self.state = ServerState::Done,
            }
            self.buffer.clear();
        }
        Ok(used)
    }

    fn answer(&mut self, c1: Vec<u8>) -> Bytes {
        let mut out = BytesMut::with_capacity(1 + 2 * PACKET_SIZE);
        out.extend_from_slice(&[VERSION]);
        let fp = key(&[GENUINE_FP]);
        let client_digest = if c1[4..8] != [0; 4] {
            find_digest(&c1, &fp)
        } else {
            None
        };
        match client_digest {
            Some((scheme, digest)) => {
                self.digest = true;
                let fms = key(&[GENUINE_FMS]);
                let s1 = digest_packet(SERVER_VERSION, scheme, &fms, &mut self.seed);
                let full = key(&[GENUINE_FMS, &KEY_TAIL]);
                let s2 = digest_reply(&digest, &full, &mut self.seed);
                out.extend_from_slice(&s1);
                out.extend_from_slice(&s2);
            }
            None => {
                // S1: time 0, zero, random; S2: C1 echoed.
                let mut s1 = vec![0u8; PACKET_SIZE];
                fill(&mut s1[8..], &mut self.seed);
                out.extend_from_slice(&s1);
                out.extend_from_slice(&c1);
            }
        }
        out.freeze()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ClientState {
    /// Waiting for S0, S1 and S2.
    S0S1S2,
    Done,
}

/// The client side: sends C0+C1 (digest form), reads S0+S1+S2, sends C2.
#[derive(Debug)]
pub struct ClientHandshake {
    state: ClientState,
    seed: u64,
    buffer: Vec<u8>,
    output: Option<Bytes>,
    server_digest: bool,
}

impl ClientHandshake {
    /// A client handshake whose random bytes come from `seed`; C0+C1 are
    /// ready in [`ClientHandshake::poll_output`].
    #[must_use]
    pub fn new(seed: u64) -> ClientHandshake {
        let mut seed = seed;
        let c1 = digest_packet(CLIENT_VERSION, 0, GENUINE_FP, &mut seed);
        let mut out = BytesMut::with_capacity(1 + PACKET_SIZE);
        out.extend_from_slice(&[VERSION]);
        out.extend_from_slice(&c1);
        ClientHandshake {
            state: ClientState::S0S1S2,
            seed,
            buffer: Vec::new(),
            output: Some(out.freeze()),
            server_digest: false,
        }
    }

    /// `true` once S2 was read (and C2 is ready).
    #[must_use]
    pub fn is_done(&self) -> bool {
        self.state == ClientState::Done
    }

    /// `true` when the server answered with digests.
    #[must_use]
    pub fn server_used_digest(&self) -> bool {
        self.server_digest
    }

    /// What to send next (C0+C1 at first, C2 after S2).
    #[must_use]
    pub fn poll_output(&mut self) -> Option<Bytes> {
        self.output.take()
    }

    /// Takes bytes from the server; returns how many it used.
    ///
    /// # Errors
    ///
    /// [`HandshakeError::Version`] for an S0 other than 3.
    pub fn push(&mut self, data: &[u8]) -> Result<usize, HandshakeError> {
        if self.state == ClientState::Done || data.is_empty() {
            return Ok(0);
        }
        if self.buffer.is_empty() && data[0] != VERSION {
            return Err(HandshakeError::Version {
                packet: "S0",
                version: data[0],
            });
        }
        let need = 1 + 2 * PACKET_SIZE;
        let take = (need - self.buffer.len()).min(data.len());
        self.buffer.extend_from_slice(&data[..take]);
        if self.buffer.len() == need {
            let s1 = self.buffer[1..1 + PACKET_SIZE].to_vec();
            let fms = key(&[GENUINE_FMS]);
            let found = if s1[4..8] != [0; 4] {
                find_digest(&s1, &fms)
            } else {
                None
            };
            let c2 = match found {
                Some((_, digest)) => {
                    self.server_digest = true;
                    let full = key(&[GENUINE_FP, &KEY_TAIL]);
                    digest_reply(&digest, &full, &mut self.seed)
                }
                None => s1,
            };
            self.output = Some(Bytes::from(c2));
            self.state = ClientState::Done;
            self.buffer = Vec::new();
        }
        Ok(take)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn digest_c1_gets_digests_ffmpeg_checks() {
        let mut seed = 7;
        let c1 = digest_packet(CLIENT_VERSION, 0, GENUINE_FP, &mut seed);
        let mut server = ServerHandshake::new(3);
        let mut input = vec![3];
        input.extend_from_slice(&c1);
        assert_eq!(server.push(&input).unwrap(), input.len());
        let out = server.poll_output().unwrap();
        assert_eq!(out.len(), 1 + 2 * PACKET_SIZE);
        let s1 = &out[1..1 + PACKET_SIZE];
        let s2 = &out[1 + PACKET_SIZE..];
        // What ffmpeg's rtmp_handshake checks as a player: the server
        // digest in S1 (scheme 1, then 0) and S2's signature over the
        // client digest.
        let fms = key(&[GENUINE_FMS]);
        assert!(find_digest(s1, &fms).is_some());
        let client_at = digest_offset(&c1, 0);
        let full = key(&[GENUINE_FMS, &KEY_TAIL]);
        let k = hmac(&full, &c1[client_at..client_at + DIGEST_LEN], None);
        let sig = hmac(&k, &s2[..PACKET_SIZE - DIGEST_LEN], None);
        assert_eq!(&s2[PACKET_SIZE - DIGEST_LEN..], &sig);
    }

    #[test]
    fn simple_c1_is_echoed() {
        let mut server = ServerHandshake::new(3);
        let mut input = vec![3];
        input.extend((0..PACKET_SIZE).map(|i| if (4..8).contains(&i) { 0 } else { i as u8 }));
        server.push(&input).unwrap();
        assert!(!server.peer_used_digest());
        let out = server.poll_output().unwrap();
        assert_eq!(&out[1 + PACKET_SIZE..], &input[1..]);
    }

    #[test]
    fn byte_by_byte_and_rtmpe_refused() {
        let mut client = ClientHandshake::new(9);
        let mut server = ServerHandshake::new(10);
        let c0c1 = client.poll_output().unwrap();
        for b in c0c1.iter() {
            assert_eq!(server.push(&[*b]).unwrap(), 1);
        }
        let s = server.poll_output().unwrap();
        for b in s.iter() {
            assert_eq!(client.push(&[*b]).unwrap(), 1);
        }
        assert!(client.is_done() && client.server_used_digest());
        let mut rtmpe = ServerHandshake::new(1);
        assert_eq!(
            rtmpe.push(&[6]),
            Err(HandshakeError::Version {
                packet: "C0",
                version: 6
            })
        );
    }
}
