//! streamkit: media streaming protocols as Sans-IO Rust crates.
//!
//! This umbrella crate re-exports the member crates, each behind a default-on
//! feature of the same name:
//!
//! | feature | crate | what it does |
//! |---|---|---|
//! | `core` | [`streamkit_core`] | time, codec configuration, samples, MP4 input, muxers, segmenter |
//! | `hls` | [`streamkit_hls`] | HLS playlists, packager, origin, low-latency HLS |
//! | `dash` | [`streamkit_dash`] | MPEG-DASH MPDs, packager, origin |
//! | `rtp` | [`streamkit_rtp`] | RTP, RTCP, SDP, payload formats, sessions, the media sender, jitter buffer |
//! | `ports` | [`streamkit_ports`] | ports, services, URL schemes, protocol facts |
//! | `origin` | [`streamkit_origin`] | the Sans-IO HTTP origin: path policy, held requests, chunked bodies, ranges, conditional GET, CORS, router |
//!
//! The crates do no I/O of their own: they parse, serialize, packetize,
//! segment and decide, and the caller moves the bytes and supplies the time.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

#[cfg(feature = "core")]
#[doc(inline)]
pub use streamkit_core as core;
#[cfg(feature = "dash")]
#[doc(inline)]
pub use streamkit_dash as dash;
#[cfg(feature = "hls")]
#[doc(inline)]
pub use streamkit_hls as hls;
#[cfg(feature = "origin")]
#[doc(inline)]
pub use streamkit_origin as origin;
#[cfg(feature = "ports")]
#[doc(inline)]
pub use streamkit_ports as ports;
#[cfg(feature = "rtp")]
#[doc(inline)]
pub use streamkit_rtp as rtp;
