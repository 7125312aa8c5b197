//! streamkit-core: the media model every streamkit crate shares.
//!
//! - [`clock`]: the monotonic `now` ([`std::time::Instant`]) and the wall
//!   clock ([`clock::UnixTime`], [`clock::NtpTimestamp`]) as different types.
//! - [`time`]: timescales, media times with exact integer rescaling, and
//!   wrap-aware RTP sequence numbers, RTP timestamps and 33-bit MPEG-TS
//!   timestamps.
//! - [`codec`]: codec configuration for H.264, H.265, AAC and Opus, with
//!   their RFC 6381 codec strings.
//! - [`nal`]: zero-copy iteration of Annex-B and length-prefixed NAL unit
//!   streams, conversion between them, emulation-prevention removal.
//! - [`sample`]: one access unit with its timing and `Bytes` data.
//! - [`track`]: a track: id, timescale and codec configuration.
//! - [`mp4`]: MP4 input: tracks, codec configuration and interleaved samples
//!   as slices of the caller's buffer.
//! - [`fmp4`], [`ts`]: fragmented MP4 / CMAF and MPEG-TS output.
//! - [`flv`]: FLV files and tag bodies (legacy and Enhanced RTMP), tags
//!   to samples and back.
//! - [`segment`]: decides segment and part boundaries.
//! - [`package`]: the packaging store: one segmenter, one muxer per
//!   rendition, the segments and parts that HLS and DASH manifests and
//!   origins serve.
//! - [`buffer`]: [`buffer::BufferList`], output as shared buffers for
//!   vectored writes.
//!
//! The crate does no I/O: the caller reads files and sockets and passes
//! bytes in; time comes in as arguments.
//!
//! # Example
//!
//! ```
//! use streamkit_core::time::{MediaTime, Rounding, Timescale};
//!
//! // One second and a half of 90 kHz video time, expressed in milliseconds.
//! let t = MediaTime::new(135_000, Timescale::VIDEO_90KHZ);
//! assert_eq!(t.rescale(Timescale::MILLIS, Rounding::Down).ticks(), 1_500);
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod buffer;
pub mod clock;
pub mod codec;
pub mod flv;
pub mod fmp4;
/// Entry points of the fuzz targets in `fuzz/`; built only with the
/// `fuzz` feature (the fuzz crate and this crate's own tests enable it).
#[cfg(feature = "fuzz")]
#[doc(hidden)]
pub mod fuzz;
pub mod live;
pub mod mp4;
pub mod nal;
pub mod package;
pub mod sample;
pub mod segment;
pub mod time;
pub mod track;
pub mod ts;
