//! HLS for streamkit: playlists, packaging, low-latency HLS and a Sans-IO
//! origin.
//!
//! This crate is being built. It will write and parse multivariant and media
//! playlists (on `m3u8-rs`, with typed low-latency tags), package
//! [`streamkit_core`] samples into MPEG-TS or fMP4 segments and parts, and
//! answer playlist and segment requests as a Sans-IO origin (request in,
//! response or "hold" out, `now` from the caller).
#![forbid(unsafe_code)]
#![deny(missing_docs)]
