//! RTP for streamkit: RTP and RTCP packets, header extensions, SDP, payload
//! formats, sender and receiver sessions and a jitter buffer, all Sans-IO.
//!
//! - [`packet`] and [`extension`]: RTP datagrams (RFC 3550) and their
//!   header extensions (RFC 8285), parsed once into views whose payload is a
//!   `Bytes` slice of the datagram, and written into the caller's buffer or
//!   as a vectored datagram.
//! - [`rtcp`]: compound RTCP (RFC 3550, 4585, 5104, reduced-size 5506): SR,
//!   RR, SDES, BYE, APP, generic NACK, PLI, FIR, unknown types kept raw.
//! - [`sdp`]: session descriptions (RFC 8866) and media sections built from,
//!   and read back into, core's codec configuration.
//! - [`payload`]: packetizers and depacketizers for H.264, H.265, AAC and
//!   Opus.
//! - [`session`] and [`jitter`]: sender and receiver sessions (statistics,
//!   reports, NACK) and a reorder buffer, driven by the caller's `now`.
//!
//! Nothing here opens a socket or reads a clock: datagrams and time come in
//! as arguments, and what to send comes out when polled.
//!
//! A receiver asks for two lost packets; the sender reads the request back:
//!
//! ```
//! use bytes::BytesMut;
//! use streamkit_core::time::SequenceNumber;
//! use streamkit_rtp::rtcp::{parse_compound, write_compound, GenericNack, RtcpPacket};
//!
//! let lost = [SequenceNumber::new(65_535), SequenceNumber::new(1)];
//! let nack = GenericNack::from_lost(0x1111, 0x2222, &lost);
//! let mut wire = BytesMut::new();
//! write_compound(&[RtcpPacket::GenericNack(nack)], &mut wire)?;
//!
//! let packets = parse_compound(wire.freeze())?;
//! let RtcpPacket::GenericNack(nack) = &packets[0] else { unreachable!() };
//! assert_eq!(nack.media_ssrc, 0x2222);
//! assert_eq!(nack.lost_sequence_numbers().collect::<Vec<_>>(), lost);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod error;
pub mod extension;
/// Entry points of the fuzz targets in `fuzz/`; built only with the
/// `fuzz` feature (the fuzz crate and this crate's own tests enable it).
#[cfg(feature = "fuzz")]
#[doc(hidden)]
pub mod fuzz;
pub mod jitter;
pub mod packet;
pub mod payload;
pub mod rtcp;
pub mod sdp;
pub mod sender;
pub mod session;
