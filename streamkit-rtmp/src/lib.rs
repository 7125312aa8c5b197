//! streamkit-rtmp: RTMP and Enhanced RTMP, Sans-IO.
//!
//! RTMP is how encoders (OBS, ffmpeg, hardware encoders) send a live
//! stream to a server, and how some players still receive one. This crate
//! speaks it without doing I/O: bytes in with `now`, bytes out, events,
//! timeouts. The media are FLV tag bodies, which
//! [`streamkit_core::flv`] turns into samples and back.
//!
//! - [`handshake`]: C0/C1/C2 and S0/S1/S2, simple and digest
//!   (HMAC-SHA256) forms.
//! - [`chunk`]: the chunk stream both ways: basic and message headers,
//!   extended timestamps, per-direction chunk sizes, Abort, interleaving,
//!   bounds.
//! - [`amf`]: AMF0 and AMF3 values, bounded decoding, encoding.
//! - [`message`]: message types, User Control events, commands.
//! - [`server`]: [`server::ServerSession`]: `connect` (with Enhanced
//!   RTMP's `fourCcList`/`capsEx`), `releaseStream`/`FCPublish`,
//!   `createStream`, `publish`, `play`, `deleteStream`, `FCUnpublish`,
//!   `onStatus`, `@setDataFrame`/`onMetaData`, with publishes and plays
//!   decided by the caller's [`server::AccessPolicy`].
//! - [`client`]: [`client::ClientSession`]: connect, create a stream,
//!   publish or play.
//! - [`url`]: RTMP URLs and stream names with their query.
//!
//! RTMPS is RTMP inside TLS: the session is the same; the program runs
//! TLS around it.
//!
//! # Example
//!
//! A publisher and a server in one process, bytes moved by hand (a
//! socket would move them), the stream's samples back out of the server:
//!
//! ```
//! use std::time::Instant;
//! use bytes::Bytes;
//! use streamkit_core::codec::{CodecConfig, aac::AacConfig};
//! use streamkit_core::flv::{FlvDemuxer, FlvEvent, FlvMuxer, TagStyle};
//! use streamkit_core::sample::Sample;
//! use streamkit_core::time::Timescale;
//! use streamkit_core::track::Track;
//! use streamkit_rtmp::client::{ClientConfig, ClientEvent, ClientSession};
//! use streamkit_rtmp::server::{AllowAll, ServerEvent, ServerSession};
//! use streamkit_rtmp::url::RtmpUrl;
//!
//! fn pump(now: Instant, c: &mut ClientSession, s: &mut ServerSession) -> Result<(), Box<dyn std::error::Error>> {
//!     loop {
//!         let mut moved = false;
//!         while let Some(b) = c.poll_transmit() { s.handle_input(now, &b)?; moved = true; }
//!         while let Some(b) = s.poll_transmit() { c.handle_input(now, &b)?; moved = true; }
//!         if !moved { return Ok(()); }
//!     }
//! }
//!
//! let now = Instant::now(); // a virtual clock would do
//! let mut server = ServerSession::new(now, Default::default(), Box::new(AllowAll));
//! let url = RtmpUrl::parse("rtmp://127.0.0.1/live/cam1")?;
//! let mut client = ClientSession::new(now, ClientConfig::publish(url));
//! pump(now, &mut client, &mut server)?;
//! assert!(std::iter::from_fn(|| client.poll_event()).any(|e| matches!(e, ClientEvent::Publishing { .. })));
//!
//! // The publisher sends an AAC track: its sequence header, one frame.
//! let track = Track::new(2, Timescale::AUDIO_48KHZ, CodecConfig::Aac(AacConfig::new(2, 48_000, 2)?));
//! let muxer = FlvMuxer::new(&[track], TagStyle::Compatible)?;
//! for tag in muxer.sequence_headers() {
//!     client.send_tag(&tag)?;
//! }
//! let frame = Sample {
//!     track_id: 2, dts: 0, composition_offset: 0, duration: 1024,
//!     timescale: Timescale::AUDIO_48KHZ, keyframe: true, data: Bytes::from_static(b"\x21\x10"),
//! };
//! client.send_tag(&muxer.tag(&frame)?)?;
//! pump(now, &mut client, &mut server)?;
//!
//! // The server's media messages are FLV tag bodies: back to samples.
//! let mut demuxer = FlvDemuxer::new();
//! while let Some(event) = server.poll_event() {
//!     if let ServerEvent::Media(m) = event {
//!         demuxer.push_tag(m.tag_type, m.timestamp, &m.body)?;
//!     }
//! }
//! let events: Vec<FlvEvent> = std::iter::from_fn(|| demuxer.poll_event()).collect();
//! assert!(matches!(&events[0], FlvEvent::Track(t) if t.codec_string() == "mp4a.40.2"));
//! assert!(matches!(&events[1], FlvEvent::Sample(s) if s.data == frame.data));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod amf;
pub mod chunk;
pub mod client;
mod connection;
/// Entry points of the fuzz targets in `fuzz/`; built only with the
/// `fuzz` feature (the fuzz crate and this crate's own tests enable it).
#[cfg(feature = "fuzz")]
#[doc(hidden)]
pub mod fuzz;
pub mod handshake;
pub mod message;
pub mod server;
pub mod url;

pub use connection::{MediaMessage, RtmpError, SessionConfig};
