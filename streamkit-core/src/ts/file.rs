//! A whole transport stream file at once: the first program's tracks and
//! samples, on a timeline that starts at zero, for packagers and tools
//! that take a file (as [`Mp4File`](crate::mp4::Mp4File) gives an MP4's).

use super::demux::TsDemuxer;
use super::demux_event::{ContinuityError, TsDemuxError, TsEvent, TsProgram};
use super::packet::{PACKET_SIZE, SYNC_BYTE};
use crate::sample::Sample;
use crate::time::{MediaTime, Rounding, Timescale};
use crate::track::Track;

/// The most stream errors a [`TsFile`] keeps (it counts all of them).
const KEPT_ERRORS: usize = 64;

/// Why a file could not be read as a transport stream.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TsFileError {
    /// The bytes do not start with transport packets.
    #[error("not an MPEG-TS stream: no sync byte every 188, 192 or 204 bytes at the start")]
    NotTransportStream,
    /// No PAT and PMT announcing a stream the demuxer reads.
    #[error("MPEG-TS: no program with an H.264, H.265, AAC or Opus stream")]
    NoProgram,
    /// A program, but no track got its codec configuration.
    #[error("MPEG-TS: program {program_number}: no track with a codec configuration")]
    NoTracks {
        /// The program.
        program_number: u16,
    },
}

/// A transport stream file, demuxed: its first program's tracks (ids are
/// PIDs) and their samples.
///
/// ```
/// use bytes::Bytes;
/// use streamkit_core::mp4::Mp4File;
/// use streamkit_core::ts::{TsFile, TsMuxer};
///
/// // An MPEG-TS file made of an MP4 fixture by streamkit's muxer.
/// let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/fixtures/h264_aac.mp4");
/// let mp4 = Mp4File::parse(Bytes::from(std::fs::read(path)?))?;
/// let (tracks, _) = mp4.tracks_and_shifts();
/// let mut muxer = TsMuxer::new(&tracks)?;
/// let mut ts = Vec::new();
/// for sample in mp4.samples() {
///     muxer.write_sample(&sample, &mut ts)?;
/// }
///
/// assert!(TsFile::is_transport_stream(&ts));
/// let file = TsFile::parse(&ts)?;
/// assert_eq!(file.tracks().len(), 2);
/// assert_eq!(file.samples().len(), 300 + 432);
/// // The earliest decode time is zero.
/// assert_eq!(file.samples().iter().map(|s| s.dts).min(), Some(0));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug)]
pub struct TsFile {
    program: TsProgram,
    tracks: Vec<Track>,
    samples: Vec<Sample>,
    continuity_errors: Vec<ContinuityError>,
    errors: Vec<TsDemuxError>,
    error_count: usize,
}

impl TsFile {
    /// `true` when `data` starts with transport packets: a sync byte at
    /// the start (or after a 4-byte time code) and again one and two
    /// strides of 188, 192 or 204 bytes later (or at the end of a shorter
    /// input).
    #[must_use]
    pub fn is_transport_stream(data: &[u8]) -> bool {
        let sync_at = |i: usize| data.get(i).is_none_or(|&b| b == SYNC_BYTE);
        if data.len() < PACKET_SIZE {
            return false;
        }
        [(0, 188), (4, 192), (0, 204)]
            .iter()
            .any(|&(first, stride)| {
                data.get(first) == Some(&SYNC_BYTE)
                    && sync_at(first + stride)
                    && sync_at(first + 2 * stride)
            })
    }

    /// Demuxes the whole of `data`. Samples are copied out of the packets
    /// once (MPEG-TS cuts them into 184-byte pieces) into shared buffers.
    ///
    /// # Errors
    ///
    /// [`TsFileError`] when `data` is not a transport stream or has no
    /// program with a track the demuxer reads. Damage inside the stream
    /// (lost packets, bad PES packets) is no error: see
    /// [`continuity_errors`](TsFile::continuity_errors) and
    /// [`errors`](TsFile::errors).
    pub fn parse(data: &[u8]) -> Result<TsFile, TsFileError> {
        if !TsFile::is_transport_stream(data) {
            return Err(TsFileError::NotTransportStream);
        }
        let mut demuxer = TsDemuxer::new();
        let mut program: Option<TsProgram> = None;
        let mut tracks: Vec<Track> = Vec::new();
        let mut samples: Vec<(i64, Sample)> = Vec::new();
        let mut continuity_errors = Vec::new();
        let mut errors = Vec::new();
        let mut error_count = 0;
        let mut drain = |demuxer: &mut TsDemuxer| {
            while let Some(event) = demuxer.poll_event() {
                match event {
                    TsEvent::Program(p)
                        if program
                            .as_ref()
                            .is_none_or(|q| q.program_number == p.program_number) =>
                    {
                        program = Some(p);
                    }
                    TsEvent::Track {
                        program_number,
                        track,
                    } => {
                        let ours = program
                            .as_ref()
                            .is_some_and(|p| p.program_number == program_number);
                        // The first configuration of each track stays (a
                        // file's tracks have one).
                        if ours && !tracks.iter().any(|t| t.id == track.id) {
                            tracks.push(track);
                        }
                    }
                    TsEvent::Sample(s) if tracks.iter().any(|t| t.id == s.sample.track_id) => {
                        samples.push((s.dts, s.sample));
                    }
                    TsEvent::ContinuityError(c) if continuity_errors.len() < KEPT_ERRORS => {
                        continuity_errors.push(c);
                    }
                    TsEvent::Error(e) => {
                        error_count += 1;
                        if errors.len() < KEPT_ERRORS {
                            errors.push(e);
                        }
                    }
                    _ => {}
                }
            }
        };
        for chunk in data.chunks(64 * PACKET_SIZE) {
            // Cannot fail before `finish`.
            let _ = demuxer.push(chunk);
            drain(&mut demuxer);
        }
        let _ = demuxer.finish();
        drain(&mut demuxer);
        let program = program.ok_or(TsFileError::NoProgram)?;
        if tracks.is_empty() {
            return Err(TsFileError::NoTracks {
                program_number: program.program_number,
            });
        }
        // Zero at the earliest decode time of any track.
        let origin = samples.iter().map(|(dts90, _)| *dts90).min().unwrap_or(0);
        let mut samples: Vec<Sample> = samples
            .into_iter()
            .map(|(_, mut s)| {
                let shift = MediaTime::new(origin, Timescale::VIDEO_90KHZ)
                    .rescale(s.timescale, Rounding::Nearest)
                    .ticks();
                s.dts -= shift;
                s
            })
            .collect();
        // Interleaved by decode time (exactly, across timescales), as
        // `Mp4File::samples` gives them; each track's order is kept.
        samples.sort_by(|a, b| {
            let ta = i128::from(a.dts) * i128::from(b.timescale.hz());
            let tb = i128::from(b.dts) * i128::from(a.timescale.hz());
            ta.cmp(&tb)
        });
        Ok(TsFile {
            program,
            tracks,
            samples,
            continuity_errors,
            errors,
            error_count,
        })
    }

    /// The program read (the first the PAT lists that has a PMT).
    #[must_use]
    pub fn program(&self) -> &TsProgram {
        &self.program
    }

    /// Its tracks with a codec configuration, in the order their
    /// configuration became known.
    #[must_use]
    pub fn tracks(&self) -> &[Track] {
        &self.tracks
    }

    /// Every sample of those tracks, interleaved by decode time (each
    /// track's in its stream order), decode times counted from the
    /// earliest one.
    #[must_use]
    pub fn samples(&self) -> &[Sample] {
        &self.samples
    }

    /// The samples, taken out.
    #[must_use]
    pub fn into_samples(self) -> Vec<Sample> {
        self.samples
    }

    /// The continuity errors (lost packets) found, the first 64.
    #[must_use]
    pub fn continuity_errors(&self) -> &[ContinuityError] {
        &self.continuity_errors
    }

    /// Other damage found (the first 64), and [`error_count`](TsFile::error_count)
    /// counts all.
    #[must_use]
    pub fn errors(&self) -> &[TsDemuxError] {
        &self.errors
    }

    /// How many [`errors`](TsFile::errors) there were.
    #[must_use]
    pub fn error_count(&self) -> usize {
        self.error_count
    }
}
