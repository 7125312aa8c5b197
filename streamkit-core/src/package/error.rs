//! [`PackageError`](super::PackageError): why a package refused its configuration or input.

use super::MAX_TRACKS;
use crate::fmp4::Fmp4Error;
use crate::segment::SegmentError;
use crate::ts::TsError;

/// Why a package could not be built or refused input.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PackageError {
    /// The configuration cannot work.
    #[error("package configuration: {reason}")]
    InvalidConfig {
        /// What is wrong.
        reason: &'static str,
    },
    /// No tracks, or more than [`MAX_TRACKS`](super::MAX_TRACKS).
    #[error("package: {count} tracks (1 to {MAX_TRACKS} supported)")]
    TrackCount {
        /// How many tracks were given.
        count: usize,
    },
    /// A rendition cannot be made as specified.
    #[error("package: rendition {rendition:?}: {reason}")]
    InvalidRendition {
        /// The rendition's name.
        rendition: String,
        /// What is wrong.
        reason: &'static str,
    },
    /// A name in [`Naming`](super::Naming) could not be used in paths, URLs and templates.
    #[error("package: name {name:?} cannot be used in a resource name")]
    InvalidName {
        /// The name.
        name: String,
    },
    /// A sample names a track the package was not built with.
    #[error("package: sample at decode time {dts} of unknown track {track_id}")]
    UnknownTrack {
        /// The sample's track.
        track_id: u32,
        /// Its decode time.
        dts: i64,
    },
    /// A sample after [`Package::finish`](super::Package::finish).
    #[error("package: sample of track {track_id} pushed after the end of the stream")]
    Finished {
        /// The sample's track.
        track_id: u32,
    },
    /// A track's codec configuration changed in a way the package cannot
    /// follow within its renditions (see
    /// [`Package::change_track`](super::Package::change_track)): a new
    /// package is needed.
    #[error(
        "package: track {track_id} changed from {from} to {to}: {reason}; a new package is needed"
    )]
    UnsupportedTrackChange {
        /// The track.
        track_id: u32,
        /// The codec string it had.
        from: String,
        /// The codec string it has now.
        to: String,
        /// What cannot be followed.
        reason: &'static str,
    },
    /// The segmenter refused a sample (the package is unchanged).
    #[error(transparent)]
    Segment(#[from] SegmentError),
    /// The CMAF writer failed.
    #[error("rendition {rendition}: {source}")]
    Fmp4 {
        /// The rendition's name.
        rendition: String,
        /// What the writer said.
        source: Fmp4Error,
    },
    /// The MPEG-TS muxer failed.
    #[error("rendition {rendition}: {source}")]
    Ts {
        /// The rendition's name.
        rendition: String,
        /// What the muxer said.
        source: TsError,
    },
}
