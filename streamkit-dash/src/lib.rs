//! MPEG-DASH for streamkit: MPDs, packaging, live and low-latency DASH and a
//! Sans-IO origin.
//!
//! This crate is being built. It will write static and dynamic MPDs on the
//! `dash-mpd` model (without its download stack), resolve the segments of any
//! MPD lazily, package [`streamkit_core`] samples into CMAF segments shared
//! with HLS, and answer requests as a Sans-IO origin.
#![forbid(unsafe_code)]
#![deny(missing_docs)]
