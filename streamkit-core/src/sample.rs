//! One access unit with its timing: the unit every streamkit pipeline moves.

use bytes::Bytes;

use crate::time::{MediaTime, Timescale};

/// One access unit (a video frame or an audio frame) of one track.
///
/// Times are ticks of the track's [`Timescale`]. The decode time comes first;
/// the presentation time is `dts + composition_offset` (negative offsets
/// happen with B-frames in version-1 `ctts` boxes). `data` is a slice of the
/// caller's input (for MP4 input, of the file itself): never a copy.
///
/// For H.264 and H.265 the data are length-prefixed NAL units (4-byte lengths
/// unless the track's configuration says otherwise), as in MP4; for AAC a raw
/// access unit without ADTS header; for Opus one Opus packet.
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub struct Sample {
    /// The track this sample belongs to.
    pub track_id: u32,
    /// Decode time, in ticks of `timescale`.
    pub dts: i64,
    /// Presentation time minus decode time, in ticks of `timescale`.
    pub composition_offset: i32,
    /// Duration, in ticks of `timescale`.
    pub duration: u32,
    /// The track's clock.
    pub timescale: Timescale,
    /// `true` when decoding can start at this sample (an IDR or CRA frame;
    /// every audio frame).
    pub keyframe: bool,
    /// The coded access unit.
    pub data: Bytes,
}

impl Sample {
    /// Presentation time in ticks: `dts + composition_offset`.
    #[must_use]
    pub fn pts(&self) -> i64 {
        self.dts.saturating_add(i64::from(self.composition_offset))
    }

    /// Decode time as a [`MediaTime`].
    #[must_use]
    pub fn decode_time(&self) -> MediaTime {
        MediaTime::new(self.dts, self.timescale)
    }

    /// Presentation time as a [`MediaTime`].
    #[must_use]
    pub fn presentation_time(&self) -> MediaTime {
        MediaTime::new(self.pts(), self.timescale)
    }

    /// Duration as a [`MediaTime`].
    #[must_use]
    pub fn duration_time(&self) -> MediaTime {
        MediaTime::new(i64::from(self.duration), self.timescale)
    }

    /// Decode time of the next sample: `dts + duration`.
    #[must_use]
    pub fn end_dts(&self) -> i64 {
        self.dts.saturating_add(i64::from(self.duration))
    }
}

/// Where a track's samples sit on the presentation timeline: `ticks` (of
/// the track's timescale) added to every decode and presentation time.
///
/// [`crate::fmp4::init_segment_with_shifts`] writes it as an edit list (`edts/elst`),
/// as CMAF allows in the header: a negative shift (B-frame composition
/// delay, AAC encoder delay) becomes one edit starting at `media_time =
/// -ticks`; a positive shift an empty edit (a delay, in movie ticks of
/// 1/1000 s, rounded to nearest) followed by an edit at `media_time = 0`.
/// Each edit runs to the end of the media (`segment_duration = 0`). This is
/// [`crate::mp4::Mp4Track::presentation_shift`] of MP4 input.
///
/// What players make of that edit list (ffmpeg 5.1, GStreamer 1.22,
/// VLC 3): ffmpeg places the samples by it (the AAC priming frame at
/// -1 024 ticks) but decodes the priming frame, since it skips priming
/// only from a progressive file's sample tables; GStreamer's qtdemux
/// applies it to a standalone fragmented file (with a real
/// `segment_duration`, the end too) but not to the fragments its HLS and
/// DASH demuxers hand it; VLC applies no edit list in fragmented MP4.
/// Whatever `segment_duration` says, through HLS and DASH each of them
/// decodes one AAC frame more than from the source MP4.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct PresentationShift {
    /// The track.
    pub track_id: u32,
    /// Ticks of the track's timescale to add to its sample times.
    pub ticks: i64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times() {
        let s = Sample {
            track_id: 1,
            dts: 3_000,
            composition_offset: -1_500,
            duration: 3_000,
            timescale: Timescale::VIDEO_90KHZ,
            keyframe: true,
            data: Bytes::from_static(b"\0\0\0\x01\x65"),
        };
        assert_eq!(s.pts(), 1_500);
        assert_eq!(s.end_dts(), 6_000);
        assert_eq!(
            s.presentation_time(),
            MediaTime::new(1_500, Timescale::VIDEO_90KHZ)
        );
        assert_eq!(
            s.duration_time(),
            MediaTime::new(1, Timescale::new(30).unwrap())
        );
    }
}
