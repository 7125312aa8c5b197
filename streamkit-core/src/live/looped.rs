//! [`LoopedSource`]: a recorded file played as a live source, over and
//! over, as an encoder would send it.

use std::time::Duration;

use crate::codec::MediaKind;
use crate::sample::Sample;
use crate::time::{MediaTime, Rounding};
use crate::track::Track;

/// The samples of a file as an endless live stream: pass `k` is shifted by
/// `k` times the length of a pass, so decode times keep increasing, and
/// each sample is due when its decode time comes on the caller's clock.
///
/// A pass lasts as long as the reference track (the first video track,
/// else the first track); samples of other tracks that would run past it
/// are left out, so passes never overlap. The source reads no clock: the
/// caller asks [`LoopedSource::next_due`] when the next sample is due
/// (media time since the start of the first pass) and takes it with
/// [`LoopedSource::next_sample`] when its clock gets there.
///
/// ```
/// use bytes::Bytes;
/// use streamkit_core::live::LoopedSource;
/// use streamkit_core::mp4::Mp4File;
///
/// let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/fixtures/h264_aac.mp4");
/// let file = Mp4File::parse(Bytes::from(std::fs::read(path)?))?;
/// let (tracks, _) = file.tracks_and_shifts();
/// let mut source = LoopedSource::new(&tracks, file.samples().collect()).ok_or("empty")?;
/// assert_eq!(source.period().as_secs(), 10);
/// let first = source.next_sample();
/// while source.pass() == 0 {
///     source.next_sample();
/// }
/// // The second pass starts 10 s later on the media clock.
/// assert_eq!(source.next_due().as_secs(), 10);
/// # let _ = first;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct LoopedSource {
    samples: Vec<Sample>,
    period: Duration,
    next: usize,
    pass: u32,
}

impl LoopedSource {
    /// A source of `samples` (in decode order, interleaved) of `tracks`;
    /// `None` when there is no sample of the reference track or it lasts
    /// no time.
    #[must_use]
    pub fn new(tracks: &[Track], samples: Vec<Sample>) -> Option<LoopedSource> {
        let reference = tracks
            .iter()
            .find(|t| t.kind() == MediaKind::Video)
            .or(tracks.first())?;
        let end = samples
            .iter()
            .filter(|s| s.track_id == reference.id)
            .map(Sample::end_dts)
            .max()?;
        let period = MediaTime::new(end, reference.timescale)
            .to_duration()
            .filter(|d| !d.is_zero())?;
        let samples: Vec<Sample> = samples
            .into_iter()
            .filter(|s| {
                MediaTime::new(s.end_dts(), s.timescale)
                    .to_duration()
                    .is_some_and(|end| end <= period)
                    && tracks.iter().any(|t| t.id == s.track_id)
            })
            .collect();
        if samples.is_empty() {
            return None;
        }
        Some(LoopedSource {
            samples,
            period,
            next: 0,
            pass: 0,
        })
    }

    /// How long one pass lasts.
    #[must_use]
    pub fn period(&self) -> Duration {
        self.period
    }

    /// The pass the next sample belongs to (from 0).
    #[must_use]
    pub fn pass(&self) -> u32 {
        self.pass
    }

    /// When the next sample is due: its decode time, as the time since the
    /// start of the first pass.
    #[must_use]
    pub fn next_due(&self) -> Duration {
        let s = &self.samples[self.next];
        let own = MediaTime::new(s.dts.max(0), s.timescale)
            .to_duration()
            .unwrap_or_default();
        self.period.saturating_mul(self.pass).saturating_add(own)
    }

    /// The next sample, shifted into its pass.
    pub fn next_sample(&mut self) -> Sample {
        let mut sample = self.samples[self.next].clone();
        let shift = MediaTime::from_duration(
            self.period.saturating_mul(self.pass),
            sample.timescale,
            Rounding::Nearest,
        )
        .map_or(0, |t| t.ticks());
        sample.dts = sample.dts.saturating_add(shift);
        self.next += 1;
        if self.next == self.samples.len() {
            self.next = 0;
            self.pass = self.pass.saturating_add(1);
        }
        sample
    }
}
