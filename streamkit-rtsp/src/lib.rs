//! RTSP 1.0 (RFC 2326) for streamkit, Sans-IO: messages, typed headers,
//! authentication and the server session.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod auth;
pub mod dts;
pub mod error;
#[cfg(feature = "fuzz")]
#[doc(hidden)]
pub mod fuzz;
pub mod header;
pub mod message;
pub mod server;
