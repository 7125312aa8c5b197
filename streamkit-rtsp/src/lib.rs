//! RTSP 1.0 (RFC 2326) for streamkit, Sans-IO: messages, typed headers,
//! authentication, the server session and the client session
//! ([`client`]).
//!
//! The caller reads bytes from its socket and pushes them, in whatever
//! chunks they came; the reader gives whole messages and interleaved
//! frames, and writing a message back gives the same bytes:
//!
//! ```
//! use bytes::BytesMut;
//! use streamkit_rtsp::message::{Frame, Message, MessageReader, Method, ReaderConfig};
//!
//! let mut reader = MessageReader::new(ReaderConfig::default());
//! reader.push(b"OPTIONS rtsp://cam/live RTSP/1.0\r\nCSe");
//! assert_eq!(reader.poll_frame()?, None); // needs more
//! reader.push(b"q: 1\r\n\r\n$\x00\x00\x02hi");
//! let Some(Frame::Message(Message::Request(request))) = reader.poll_frame()? else {
//!     panic!("a request");
//! };
//! assert_eq!(request.method, Method::Options);
//! assert_eq!(request.cseq(), Some(1));
//! let Some(Frame::Interleaved { channel, data }) = reader.poll_frame()? else {
//!     panic!("interleaved data");
//! };
//! assert_eq!((channel, &data[..]), (0, &b"hi"[..]));
//!
//! let mut out = BytesMut::new();
//! request.write_to(&mut out);
//! assert_eq!(&out[..], b"OPTIONS rtsp://cam/live RTSP/1.0\r\nCSeq: 1\r\n\r\n");
//! # Ok::<(), streamkit_rtsp::error::ParseError>(())
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod auth;
pub mod client;
pub mod dts;
pub mod error;
#[cfg(feature = "fuzz")]
#[doc(hidden)]
pub mod fuzz;
pub mod header;
pub mod message;
pub mod server;
