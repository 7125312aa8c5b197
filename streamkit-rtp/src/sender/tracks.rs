//! Choosing a presentation's tracks and its presentation lead.

use std::time::Duration;

use streamkit_core::codec::CodecConfig;
use streamkit_core::sample::{PresentationShift, Sample};
use streamkit_core::time::{MediaTime, Rounding, Timescale};
use streamkit_core::track::Track;

/// The first video track (H.264 or H.265) and the first audio track (AAC
/// or Opus) of `tracks`, in their order: what a player of one stream
/// wants.
#[must_use]
pub fn first_video_and_audio(tracks: &[Track]) -> Vec<Track> {
    let video = tracks
        .iter()
        .find(|t| matches!(t.codec, CodecConfig::H264(_) | CodecConfig::H265(_)));
    let audio = tracks
        .iter()
        .find(|t| matches!(t.codec, CodecConfig::Aac(_) | CodecConfig::Opus(_)));
    tracks
        .iter()
        .filter(|t| video.is_some_and(|v| v.id == t.id) || audio.is_some_and(|a| a.id == t.id))
        .cloned()
        .collect()
}

/// How long a sample of `samples` waits between its decode and its
/// presentation time at most (with the tracks' `shifts`), rounded up to the
/// microsecond: the [`MediaSenderConfig::presentation_lead`](super::MediaSenderConfig::presentation_lead) of a file.
pub fn presentation_lead(
    tracks: &[Track],
    shifts: &[PresentationShift],
    samples: impl IntoIterator<Item = Sample>,
) -> Duration {
    let mut lead_us = 0i64;
    for sample in samples {
        let Some(track) = tracks.iter().find(|t| t.id == sample.track_id) else {
            continue;
        };
        let shift = shift_of(shifts, track.id);
        let ahead = sample.pts().saturating_add(shift) - sample.dts;
        lead_us = lead_us.max(
            MediaTime::new(ahead, track.timescale)
                .rescale(Timescale::MICROS, Rounding::Up)
                .ticks(),
        );
    }
    Duration::from_micros(lead_us.max(0) as u64)
}

pub(super) fn shift_of(shifts: &[PresentationShift], track_id: u32) -> i64 {
    shifts
        .iter()
        .find(|s| s.track_id == track_id)
        .map_or(0, |s| s.ticks)
}
