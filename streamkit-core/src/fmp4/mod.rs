//! Fragmented MP4 / CMAF output (ISO/IEC 14496-12, ISO/IEC 23000-19).
//!
//! - [`init_segment`]: the initialization segment (`ftyp` + `moov` with an
//!   empty sample table and `mvex`) for one track, or several multiplexed.
//! - [`FragmentWriter`]: media fragments, `moof` (`mfhd`, and per track
//!   `traf` with `tfhd`, `tfdt`, `trun`) + `mdat`. One call per CMAF
//!   fragment; for low latency, one call per part (a CMAF chunk). [`styp`]
//!   and [`SegmentIndex`] (`sidx`) go in front of a segment when wanted.
//! - [`fragment_file`]: a whole MP4 file to one fragmented MP4 with a `sidx`
//!   index, for DASH on-demand byte ranges.
//!
//! Output is a [`BufferList`](crate::buffer::BufferList): the box headers the writer builds, then the
//! samples' own [`bytes::Bytes`] as the `mdat` payload. Media bytes are never
//! copied unless the caller asks for one contiguous buffer
//! ([`BufferList::to_bytes`](crate::buffer::BufferList::to_bytes)).
//!
//! The `mp4` crate is not used here: its `hvcC` writer writes only the
//! configuration version, it has no `Opus`/`dOps` or `hvc1` sample entry,
//! its `esds` rebuilds the AudioSpecificConfig from three fields (losing
//! SBR/PS and extension data), and it writes through `std::io::Write`
//! rather than into the caller's buffer.
//!
//! ```
//! use bytes::Bytes;
//! use streamkit_core::codec::{CodecConfig, aac::AacConfig};
//! use streamkit_core::fmp4::{FragmentWriter, init_segment};
//! use streamkit_core::sample::Sample;
//! use streamkit_core::time::Timescale;
//! use streamkit_core::track::Track;
//!
//! let ts = Timescale::AUDIO_44_1KHZ;
//! let track = Track::new(1, ts, CodecConfig::Aac(AacConfig::parse(&[0x12, 0x08])?));
//! let init = init_segment(std::slice::from_ref(&track))?;
//! assert_eq!(&init[4..8], b"ftyp");
//!
//! let mut writer = FragmentWriter::new(std::slice::from_ref(&track));
//! let samples: Vec<Sample> = (0..4)
//!     .map(|i| Sample {
//!         track_id: 1,
//!         dts: i * 1024,
//!         composition_offset: 0,
//!         duration: 1024,
//!         timescale: ts,
//!         keyframe: true,
//!         data: Bytes::from_static(&[0x21, 0x10, 0x04]),
//!     })
//!     .collect();
//! let fragment = writer.write_fragment(&samples)?;
//! let bytes = fragment.bytes.to_bytes();
//! assert_eq!(&bytes[4..8], b"moof");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod boxes;
mod file;
mod fragment;
mod init;
mod sidx;

pub use file::{FragmentedFile, SegmentRange, fragment_file, fragment_samples};
pub use fragment::{
    CHUNK_BRANDS, Fragment, FragmentWriter, NON_SYNC_SAMPLE_FLAGS, SEGMENT_BRANDS,
    SYNC_SAMPLE_FLAGS, TrackRun, sample_flags, styp,
};
pub use init::{INIT_BRANDS, init_segment, init_segment_with_shifts};
pub use sidx::{SegmentIndex, SubsegmentReference};

use crate::codec::CodecError;

/// Why a fragmented MP4 could not be written.
///
/// Every variant about a sample names its track and its index in the
/// track's sample sequence (counting from 0 across fragments).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Fmp4Error {
    /// A segment index would start at a negative presentation time, which
    /// `sidx` cannot carry.
    #[error("track {track_id}: negative earliest presentation time {pts}")]
    NegativePresentationTime {
        /// The reference track.
        track_id: u32,
        /// The presentation time.
        pts: i64,
    },
    /// A fragment needs at least one sample.
    #[error("a fragment needs at least one sample")]
    EmptyFragment,
    /// An init segment needs at least one track.
    #[error("an init segment needs at least one track")]
    NoTracks,
    /// A sample belongs to a track the writer was not given.
    #[error("sample of track {track_id}, which the writer does not know")]
    UnknownTrack {
        /// The sample's track.
        track_id: u32,
    },
    /// A sample's timescale differs from its track's.
    #[error("track {track_id}: sample timescale {found} Hz, track timescale {expected} Hz")]
    TimescaleMismatch {
        /// The track.
        track_id: u32,
        /// The track's timescale.
        expected: u32,
        /// The sample's timescale.
        found: u32,
    },
    /// A sample's decode time is not after the previous sample's.
    #[error(
        "track {track_id}, sample {sample_index}: decode time {dts} is not after the previous {previous_dts}"
    )]
    NonMonotonicDecodeTime {
        /// The track.
        track_id: u32,
        /// The sample's index in the track.
        sample_index: u64,
        /// Its decode time.
        dts: i64,
        /// The previous sample's decode time.
        previous_dts: i64,
    },
    /// A fragment would start at a negative decode time, which `tfdt`
    /// cannot carry.
    #[error("track {track_id}, sample {sample_index}: negative decode time {dts}")]
    NegativeDecodeTime {
        /// The track.
        track_id: u32,
        /// The sample's index in the track.
        sample_index: u64,
        /// Its decode time.
        dts: i64,
    },
    /// A track's first sample is not a sync sample (a keyframe): a decoder
    /// could not start there. Drop samples until the first keyframe.
    #[error("track {track_id}: the first sample is not a keyframe")]
    MissingLeadingKeyframe {
        /// The track.
        track_id: u32,
    },
    /// A sample has a duration of zero.
    #[error("track {track_id}, sample {sample_index}: zero duration")]
    ZeroDuration {
        /// The track.
        track_id: u32,
        /// The sample's index in the track.
        sample_index: u64,
    },
    /// A track's codec configuration lacks what the sample entry needs.
    #[error("track {track_id}: codec configuration lacks {what}")]
    MissingCodecConfiguration {
        /// The track.
        track_id: u32,
        /// What is missing (`"SPS"`, `"PPS"`, `"channel count"`, ...).
        what: &'static str,
    },
    /// A track's codec configuration could not be written.
    #[error("track {track_id}: {source}")]
    Codec {
        /// The track.
        track_id: u32,
        /// The codec layer's error.
        source: CodecError,
    },
    /// A value does not fit the field that must carry it.
    #[error("{what} = {value} does not fit its field")]
    TooLarge {
        /// The field.
        what: &'static str,
        /// The value.
        value: u64,
    },
}
