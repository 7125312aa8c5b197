//! RTP for streamkit: RTP and RTCP packets, header extensions, SDP, payload
//! formats, sender and receiver sessions, a media sender and a jitter
//! buffer, all Sans-IO.
//!
//! A file's first video and audio track, sent as RTP with RTCP sender
//! reports, on a virtual clock; a real program sleeps where this one jumps
//! to the next timeout, and sends each [`Transmit`](sender::Transmit) on
//! its UDP socket (RTP to the track's port, RTCP to port + 1):
//!
//! ```
//! use std::time::Instant;
//! use bytes::Bytes;
//! use streamkit_core::clock::{UnixTime, WallClock};
//! use streamkit_core::mp4::Mp4File;
//! use streamkit_rtp::sdp::{Connection, Origin};
//! use streamkit_rtp::sender::{
//!     MediaSender, MediaSenderConfig, TransmitKind, first_video_and_audio, presentation_lead,
//! };
//!
//! let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/fixtures/h264_aac.mp4");
//! let file = Mp4File::parse(Bytes::from(std::fs::read(path)?))?;
//! let (tracks, shifts) = file.tracks_and_shifts();
//! let tracks = first_video_and_audio(&tracks);
//!
//! # #[allow(clippy::disallowed_methods)] // the caller reads its clocks; here a virtual clock's origin
//! let start = Instant::now();
//! let wall = WallClock::new(start, UnixTime::from_unix_millis(1_700_000_000_000));
//! let mut config = MediaSenderConfig::new("me@example.com", 42, wall);
//! config.presentation_lead = presentation_lead(&tracks, &shifts, file.samples());
//! let mut sender = MediaSender::new(config, &tracks, &shifts)?;
//!
//! // The SDP a player opens: video to port 5004, audio to 5006.
//! let at = [127, 0, 0, 1].into();
//! let sdp = sender.session_description(Origin::for_address(42, at), "a file", Some(Connection::for_address(at)),
//!     |t| if t.kind() == streamkit_core::codec::MediaKind::Video { 5004 } else { 5006 })?;
//! assert_eq!(sdp.media.len(), 2);
//!
//! let (mut now, mut samples) = (start, file.samples());
//! let (mut rtp, mut rtcp, mut finished) = (0, 0, false);
//! sender.start(now);
//! loop {
//!     // Input: samples (and RTCP from the players: `handle_rtcp`).
//!     if !finished && sender.feed(&mut samples)? {
//!         sender.finish()?;
//!         finished = true;
//!     }
//!     // Time: wake at the timeout, run the timers.
//!     let Some(wake) = sender.poll_timeout() else { break };
//!     now = now.max(wake);
//!     sender.handle_timeout(now);
//!     // Output: poll until `None`.
//!     while let Some(t) = sender.poll_transmit(now) {
//!         match t.kind {
//!             TransmitKind::Rtp => rtp += 1,
//!             TransmitKind::Rtcp => rtcp += 1,
//!         }
//!     }
//! }
//! assert_eq!(rtp, sender.packets_sent());
//! assert!(rtcp >= 4); // a first report and a BYE per track, reports between
//! assert!(now - start >= std::time::Duration::from_secs(9)); // the file's ten seconds, in real time
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # The contract
//!
//! Every state machine here has the same shape, the one of every streamkit
//! crate:
//!
//! - **Input** through `push(..)` (samples, access units, packets in order)
//!   or `handle_*(now, ..)` (`handle_rtp`, `handle_rtcp`, `handle_timeout`).
//!   `now` is a monotonic [`Instant`](std::time::Instant) from the caller's
//!   clock, always the first argument; nothing here reads a clock.
//! - **Output** through `poll_*` until `None`: `poll_transmit`,
//!   `poll_event`, `poll_payload`, `poll_access_unit` / `poll_frame` /
//!   `poll_packet` / `poll_unit`, the jitter buffer's `poll_packet`.
//! - **Time** through `poll_timeout()` (when to call `handle_timeout(now)`
//!   next) wherever time matters: the sessions, the media sender, the
//!   jitter buffer.
//! - **The end** through `finish()` on every producer: packetizers and
//!   depacketizers give what they hold (an access unit without its marker
//!   bit, AAC frames held for aggregation), the sessions and the media
//!   sender send RTCP BYE. A second `finish()` does nothing and returns
//!   `Ok`.
//! - **Wall-clock time** (the NTP time of sender reports) is a
//!   [`UnixTime`](streamkit_core::clock::UnixTime) from a
//!   [`WallClock`](streamkit_core::clock::WallClock) in the configuration,
//!   never the monotonic `now`; random values (SSRCs, initial sequence
//!   numbers, timestamp offsets) come from a caller's seed.
//!
//! # The modules
//!
//! - [`packet`] and [`extension`]: RTP datagrams (RFC 3550) and their
//!   header extensions (RFC 8285), parsed once into views whose payload is a
//!   `Bytes` slice of the datagram, and written into the caller's buffer or
//!   as a vectored datagram.
//! - [`rtcp`]: compound RTCP (RFC 3550, 4585, 5104, reduced-size 5506): SR,
//!   RR, SDES, BYE, APP, generic NACK, PLI, FIR, unknown types kept raw.
//! - [`sdp`]: session descriptions (RFC 8866): a lenient reader that takes
//!   what cameras and NVRs send and reports each deviation as a warning
//!   with its line, a strict mode that refuses it, a writer of RFC 8866,
//!   and media sections built from, and read back into, core's codec
//!   configuration and tracks.
//! - [`payload`]: packetizers and depacketizers for H.264, H.265, AAC
//!   (`mpeg4-generic` and MP4A-LATM) and Opus, and the [`Packetizer`](payload::Packetizer) /
//!   [`Depacketizer`](payload::Depacketizer) enums over them.
//! - [`session`]: sender and receiver sessions (statistics, reports, BYE,
//!   member timeouts, NACK and PLI by the RFC 4585 timing rules).
//! - [`sender`]: the media sender, a presentation's tracks over RTP (what
//!   RTSP PLAY and the examples drive).
//! - [`jitter`]: a reorder buffer for received packets.
//! - [`error`]: one error enum per layer.
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
