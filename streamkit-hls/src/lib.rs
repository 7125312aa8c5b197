//! HLS for streamkit: playlists, a packager and a Sans-IO origin, with
//! low-latency HLS.
//!
//! - [`playlist`] writes and reads multivariant and media playlists
//!   (RFC 8216 and draft-pantos-hls-rfc8216bis) with the low-latency tags as
//!   typed values, spec-exact output (TARGETDURATION, EXTINF decimals,
//!   EXT-X-VERSION derived from the features used) and Playlist Delta
//!   Updates.
//! - [`presentation`] writes the multivariant and media playlists of a
//!   packaging store ([`streamkit_core::package::Package`]: segments and
//!   parts in MPEG-TS or fMP4, cut once for every manifest), for VOD,
//!   EVENT and live sliding windows.
//! - `m3u8_rs` (with the `m3u8-rs` feature) converts between the
//!   [m3u8-rs](https://crates.io/crates/m3u8-rs) crate's playlist model and
//!   ours, both ways, saying what m3u8-rs cannot type.
//! - [`origin`] answers playlist requests over a package on a
//!   [`streamkit_origin::Origin`], holding LL-HLS blocking requests and
//!   preload-hinted parts until the package makes them.
//!
//! Nothing here reads a clock or opens a file: `now`, program date-times and
//! the bytes come from the caller.
//!
//! Writing a live media playlist of fMP4 segments with low-latency parts:
//!
//! ```
//! use std::time::Duration;
//! use streamkit_hls::playlist::{
//!     Map, MediaPlaylist, MediaSegment, Part, PartInf, PartialSegment, PreloadHint,
//!     ProgramDateTime, ServerControl,
//! };
//!
//! let second = Duration::from_secs(1);
//! let mut playlist = MediaPlaylist {
//!     target_duration: 2,
//!     media_sequence: 41,
//!     server_control: Some(ServerControl {
//!         can_block_reload: true,
//!         part_hold_back: Some(Duration::from_millis(1500)),
//!         ..Default::default()
//!     }),
//!     part_inf: Some(PartInf::new(Duration::from_millis(500))),
//!     ..Default::default()
//! };
//! let mut first = MediaSegment::new(2 * second, "seg41.m4s");
//! first.map = Some(Map::new("init.mp4"));
//! // The wall-clock time of the first sample comes from the caller.
//! first.program_date_time = Some(ProgramDateTime::from_unix_millis(1_700_000_000_000));
//! playlist.segments.push(first);
//! playlist.partial_segment = Some(PartialSegment {
//!     parts: vec![Part { independent: true, ..Part::new(second / 2, "seg42.0.m4s") }],
//!     ..Default::default()
//! });
//! playlist.preload_hints.push(PreloadHint::part("seg42.1.m4s"));
//!
//! assert_eq!(
//!     playlist.to_m3u8().unwrap(),
//!     "#EXTM3U\n\
//!      #EXT-X-VERSION:6\n\
//!      #EXT-X-TARGETDURATION:2\n\
//!      #EXT-X-MEDIA-SEQUENCE:41\n\
//!      #EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES,PART-HOLD-BACK=1.500\n\
//!      #EXT-X-PART-INF:PART-TARGET=0.500\n\
//!      #EXT-X-MAP:URI=\"init.mp4\"\n\
//!      #EXT-X-PROGRAM-DATE-TIME:2023-11-14T22:13:20.000Z\n\
//!      #EXTINF:2.000,\n\
//!      seg41.m4s\n\
//!      #EXT-X-PART:DURATION=0.500,URI=\"seg42.0.m4s\",INDEPENDENT=YES\n\
//!      #EXT-X-PRELOAD-HINT:TYPE=PART,URI=\"seg42.1.m4s\"\n"
//! );
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]

/// Entry points of the fuzz targets in `fuzz/`; built only with the
/// `fuzz` feature (the fuzz crate and this crate's own tests enable it).
#[cfg(feature = "fuzz")]
#[doc(hidden)]
pub mod fuzz;
#[cfg(feature = "m3u8-rs")]
pub mod m3u8_rs;
pub mod origin;
pub mod playlist;
pub mod presentation;
