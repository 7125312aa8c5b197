//! A rendition's muxer: CMAF fragments or MPEG-TS packets for the samples
//! of one part.

use bytes::Bytes;

use super::{Container, PackageError};
use crate::buffer::BufferList;
use crate::fmp4::FragmentWriter;
use crate::sample::{PresentationShift, Sample};
use crate::track::Track;
use crate::ts::TsMuxer;

#[derive(Debug)]
enum Muxer {
    Cmaf(FragmentWriter),
    Ts(Box<TsMuxer>),
}

/// Per track, for MPEG-TS: the edit-list shift added to the sample times
/// and the composition-to-decode shift (ticks taken from the decode time
/// and given to the composition offset, so that `dts <= pts`).
#[derive(Debug, Clone, Copy)]
struct TsShift {
    track_id: u32,
    shift: i64,
    composition_to_dts: u32,
}

/// Writes one rendition's parts.
#[derive(Debug)]
pub(super) struct RenditionWriter {
    muxer: Muxer,
    shifts: Vec<TsShift>,
}

impl RenditionWriter {
    pub(super) fn new(
        name: &str,
        container: Container,
        tracks: &[Track],
        shifts: &[PresentationShift],
    ) -> Result<RenditionWriter, PackageError> {
        let muxer = match container {
            Container::Cmaf => Muxer::Cmaf(FragmentWriter::new(tracks)),
            Container::MpegTs => Muxer::Ts(Box::new(TsMuxer::new(tracks).map_err(|source| {
                PackageError::Ts {
                    rendition: name.to_owned(),
                    source,
                }
            })?)),
        };
        let shifts = match container {
            Container::Cmaf => Vec::new(),
            Container::MpegTs => shifts
                .iter()
                .filter(|s| tracks.iter().any(|t| t.id == s.track_id))
                .map(|s| TsShift {
                    track_id: s.track_id,
                    shift: s.ticks,
                    composition_to_dts: 0,
                })
                .collect(),
        };
        Ok(RenditionWriter { muxer, shifts })
    }

    pub(super) fn set_composition_to_dts_shift(&mut self, track_id: u32, ticks: u32) {
        if let Muxer::Ts(_) = self.muxer {
            match self.shifts.iter_mut().find(|s| s.track_id == track_id) {
                Some(s) => s.composition_to_dts = ticks,
                None => self.shifts.push(TsShift {
                    track_id,
                    shift: 0,
                    composition_to_dts: ticks,
                }),
            }
        }
    }

    /// Takes the rendition's new track list (a codec configuration changed)
    /// for the parts that follow: CMAF fragments go on with the next
    /// sequence number, MPEG-TS with the same PIDs and counters.
    pub(super) fn update_tracks(
        &mut self,
        name: &str,
        tracks: &[Track],
    ) -> Result<(), PackageError> {
        match &mut self.muxer {
            Muxer::Cmaf(writer) => {
                let mut fresh = FragmentWriter::new(tracks);
                fresh.set_next_sequence_number(writer.next_sequence_number());
                *writer = fresh;
            }
            Muxer::Ts(muxer) => {
                for t in tracks {
                    muxer.update_track(t).map_err(|source| PackageError::Ts {
                        rendition: name.to_owned(),
                        source,
                    })?;
                }
            }
        }
        Ok(())
    }

    /// The bytes of one part; `segment_start` when the part opens a
    /// segment of this rendition (MPEG-TS then starts with PAT and PMT).
    /// Returns the bytes and, for CMAF, the first track's decode time and
    /// duration in its timescale.
    pub(super) fn write(
        &mut self,
        name: &str,
        samples: &[Sample],
        segment_start: bool,
    ) -> Result<(BufferList, Option<(u64, u64)>), PackageError> {
        match &mut self.muxer {
            Muxer::Cmaf(writer) => {
                let fragment =
                    writer
                        .write_fragment(samples)
                        .map_err(|source| PackageError::Fmp4 {
                            rendition: name.to_owned(),
                            source,
                        })?;
                let run = fragment
                    .runs
                    .first()
                    .map(|r| (r.base_media_decode_time, r.duration()));
                Ok((fragment.bytes, run))
            }
            Muxer::Ts(muxer) => {
                let err = |source| PackageError::Ts {
                    rendition: name.to_owned(),
                    source,
                };
                let estimate: usize = samples.iter().map(|s| s.data.len()).sum();
                let mut out = Vec::with_capacity(estimate + estimate / 20 + 4 * 188);
                if segment_start {
                    muxer.begin_segment(&mut out).map_err(err)?;
                }
                for s in samples {
                    let shift = self.shifts.iter().find(|t| t.track_id == s.track_id);
                    match shift {
                        Some(t) if t.shift != 0 || t.composition_to_dts != 0 => {
                            let mut shifted = s.clone();
                            shifted.dts = shifted
                                .dts
                                .saturating_add(t.shift)
                                .saturating_sub(i64::from(t.composition_to_dts));
                            shifted.composition_offset = shifted.composition_offset.saturating_add(
                                i32::try_from(t.composition_to_dts).unwrap_or(i32::MAX),
                            );
                            muxer.write_sample(&shifted, &mut out).map_err(err)?;
                        }
                        _ => {
                            muxer.write_sample(s, &mut out).map_err(err)?;
                        }
                    }
                }
                Ok((BufferList::from(Bytes::from(out)), None))
            }
        }
    }
}
