//! MPEG-DASH for streamkit: MPDs on the [`dash_mpd_core`] model, a
//! client-side segment resolver, VOD and live packagers and an origin.
//!
//! - [`mpd`]: parse and write MPDs (with an input size limit and typed
//!   errors), and builders for static (on-demand and live-profile VOD),
//!   dynamic and low-latency MPDs from [`streamkit_core`] tracks and segment
//!   timings.
//! - [`resolve`]: every segment of a Representation, with its URL and time
//!   range, computed lazily; BaseURL chains, SegmentTemplate (`$Number$`,
//!   `$Time$`, SegmentTimeline), SegmentList and SegmentBase; the
//!   availability window of a dynamic MPD at a caller-given `now`.
//! - [`remote`]: remote elements, what a Period's or EventStream's
//!   `@xlink:href` resolves to: read (a document whose root is `<Period>`
//!   or `<EventStream>`, which [`mpd::parse`] refuses with a typed error)
//!   and put in the referencing element's place.
//! - [`template`]: SegmentTemplate URL templates.
//! - [`presentation`]: the MPD of a packaging store
//!   ([`streamkit_core::package::Package`], the same CMAF files HLS lists):
//!   static, or dynamic with a SegmentTimeline of the real segment
//!   durations, low-latency with chunked segments.
//! - [`origin`]: the MPD, the UTCTiming time and held requests for segments
//!   due shortly, answered over a package on a [`streamkit_origin::Origin`]
//!   (which streams a segment still being made chunk by chunk).
//!
//! The crate is Sans-IO: it reads no clock and opens nothing; wall-clock
//! times are arguments. It depends on the MPD model (`dash-mpd-core`), not
//! on the `dash-mpd` downloader, so no HTTP client or async runtime is in
//! its dependency tree (`cargo tree -p streamkit-dash -e normal` shows no
//! `reqwest` and no `tokio`).
//!
//! # Example
//!
//! Write a live-profile VOD MPD for the video track of an MP4 file, cut
//! into 2 s segments, read it back and list its segments:
//!
//! ```
//! use core::time::Duration;
//! use bytes::Bytes;
//! use streamkit_core::mp4::Mp4File;
//! use streamkit_dash::mpd::{self, Profile, StaticPresentation};
//! use streamkit_dash::resolve::resolve;
//!
//! let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/fixtures/h264_aac.mp4");
//! let file = Mp4File::parse(Bytes::from(std::fs::read(path)?))?;
//! let video = file.tracks()[0].to_track().ok_or("no video track")?;
//!
//! // Five 2 s segments at the track's 15360 Hz clock.
//! let mut rep = mpd::representation("v", 400_000, &[video])?;
//! rep.SegmentTemplate = Some(mpd::timeline_template(
//!     "init-$RepresentationID$.mp4", "seg-$RepresentationID$-$Number$.m4s",
//!     15360, 0, &[30720; 5])?);
//! let period = mpd::period("0", Duration::ZERO, None, vec![mpd::adaptation_set(0, vec![rep])]);
//! let presentation = StaticPresentation {
//!     duration: Duration::from_secs(10),
//!     min_buffer_time: Duration::from_secs(2),
//!     profile: Profile::Live,
//! };
//! let text = mpd::write(&mpd::static_mpd(&presentation, vec![period]))?;
//! assert!(text.contains(r#"codecs="avc1.64000d""#));
//!
//! let parsed = mpd::parse(&text)?;
//! let rep = resolve(&parsed, "https://cdn.example/vod/manifest.mpd", 0, 0, 0, None)?;
//! assert_eq!(rep.initialization.as_ref().map(|i| i.url.as_str()), Some("https://cdn.example/vod/init-v.mp4"));
//! let segments: Vec<_> = rep.segments().collect::<Result<_, _>>()?;
//! assert_eq!(segments.len(), 5);
//! assert_eq!(segments[4].url, "https://cdn.example/vod/seg-v-5.m4s");
//! assert_eq!(segments[4].start.as_secs_f64(), 8.0);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod document;
pub mod error;
/// Entry points of the fuzz targets in `fuzz/`; built only with the
/// `fuzz` feature (the fuzz crate and this crate's own tests enable it).
#[cfg(feature = "fuzz")]
#[doc(hidden)]
pub mod fuzz;
pub mod mpd;
pub mod origin;
pub mod presentation;
pub mod remote;
pub mod resolve;
pub mod template;

pub use dash_mpd_core as model;
pub use error::DashError;
