//! RTP for streamkit: RTP and RTCP packets, header extensions, SDP, payload
//! formats, sender and receiver sessions and a jitter buffer, all Sans-IO.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod error;
pub mod extension;
#[doc(hidden)]
pub mod fuzz;
pub mod jitter;
pub mod packet;
pub mod payload;
pub mod rtcp;
pub mod sdp;
pub mod session;
