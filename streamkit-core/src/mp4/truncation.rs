//! What a file read with [`Mp4File::parse_lenient`] lacks.

use super::FourCc;
#[cfg(doc)]
use super::Mp4File;

/// What a file cut short lacks: where it ends, and how many samples of each
/// supported track lie wholly in it (see [`Mp4File::parse_lenient`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Truncation {
    /// The top-level box the file ends in (`mdat`, or a fragment's `moof`);
    /// `None` when it ends inside a box header (fewer than 8 bytes of it).
    pub kind: Option<FourCc>,
    /// Byte offset of that box's header.
    pub offset: u64,
    /// Where the box says it ends (a header cut short: where the shortest
    /// header would end). The whole file was at least this long: exactly
    /// this long when the box was its last (a progressive file's `mdat`).
    pub declared_end: u64,
    /// The file's length.
    pub file_len: u64,
    /// The supported tracks, in file order.
    pub tracks: Vec<TrackTruncation>,
}

/// One track of a file cut short.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TrackTruncation {
    /// The track.
    pub track_id: u32,
    /// Samples wholly in the file: the ones read.
    pub present: u32,
    /// Samples the track's tables and the track runs of its whole `moof`
    /// boxes list (a `moof` cut short lists none).
    pub declared: u32,
}

impl core::fmt::Display for Truncation {
    /// `cut short: 65053 of 96644 bytes (the file ends inside mdat);
    /// samples present: track 1 41 of 60, track 2 58 of 88`.
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "cut short: {} of ", self.file_len)?;
        match self.kind {
            Some(kind) if self.declared_end > self.file_len => write!(
                f,
                "{} bytes (the file ends inside {kind}); samples present:",
                self.declared_end
            )?,
            _ => write!(
                f,
                "at least {} bytes (the file ends inside a box header); samples present:",
                self.declared_end
            )?,
        }
        for (i, t) in self.tracks.iter().enumerate() {
            let sep = if i == 0 { "" } else { "," };
            write!(
                f,
                "{sep} track {} {} of {}",
                t.track_id, t.present, t.declared
            )?;
        }
        Ok(())
    }
}
