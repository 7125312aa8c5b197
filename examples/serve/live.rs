//! The live channel: the file looped with a simulated encoder clock, fed
//! to streamkit-hls's live packager (low-latency parts) and its origin.
//!
//! Each sample is pushed when the wall clock reaches its decode time, as an
//! encoder would produce it; loop `k` is shifted by `k` times the video
//! track's duration. The channel starts [`PREROLL`] in the past, so that
//! its playlists list a few segments from the first request on.

use std::sync::Arc;
use std::time::Duration;

use streamkit::core::codec::MediaKind;
use streamkit::core::mp4::Mp4File;
use streamkit::core::sample::Sample;
use streamkit::core::time::{MediaTime, Rounding, Timescale};
use streamkit::hls::packager::{Packager, PackagerConfig, SegmentFormat};

use crate::mount::Mount;

/// How much stream exists when the server starts.
pub(crate) const PREROLL: Duration = Duration::from_secs(6);
/// Segments of at least 2 s, parts of at most 500 ms, 6 segments listed.
const SEGMENT_MILLIS: i64 = 2_000;
const PART_MILLIS: i64 = 500;
const WINDOW: usize = 6;

/// The samples of one pass of the file, and the length of a pass.
pub(crate) struct LoopedFile {
    samples: Vec<Sample>,
    period: Duration,
}

impl LoopedFile {
    /// One pass lasts the first video track (else the first track); other
    /// tracks' samples that would run past it are left out, so passes do
    /// not overlap.
    pub(crate) fn new(file: &Mp4File) -> Result<LoopedFile, String> {
        let reference = file
            .tracks()
            .iter()
            .filter_map(|t| t.to_track())
            .find(|t| t.kind() == MediaKind::Video)
            .or_else(|| file.tracks().iter().find_map(|t| t.to_track()))
            .ok_or("no supported track")?;
        let end = file
            .track_samples(reference.id)
            .and_then(|s| s.map(|s| s.end_dts()).max())
            .ok_or("no samples")?;
        let period = MediaTime::new(end, reference.timescale)
            .to_duration()
            .filter(|d| !d.is_zero())
            .ok_or("the file lasts no time")?;
        let samples = file
            .samples()
            .filter(|s| {
                MediaTime::new(s.end_dts(), s.timescale)
                    .to_duration()
                    .is_some_and(|end| end <= period)
            })
            .collect();
        Ok(LoopedFile { samples, period })
    }
}

/// The live packager's configuration.
pub(crate) fn packager_config() -> PackagerConfig {
    PackagerConfig::live(
        SegmentFormat::Fmp4,
        MediaTime::new(SEGMENT_MILLIS, Timescale::MILLIS),
        WINDOW,
    )
    .with_part_target(MediaTime::new(PART_MILLIS, Timescale::MILLIS))
}

/// Feeds `packager` the looped file at the pace of `mount`'s clock (plus
/// the preroll), its events to the origin, forever.
pub(crate) async fn run(mount: Arc<Mount>, mut packager: Packager, source: LoopedFile) {
    let mut round: u32 = 0;
    loop {
        let offset = source.period * round;
        for sample in &source.samples {
            let shift = MediaTime::from_duration(offset, sample.timescale, Rounding::Nearest)
                .map_or(0, |t| t.ticks());
            let sample = Sample {
                dts: sample.dts + shift,
                ..sample.clone()
            };
            let due = MediaTime::new(sample.dts, sample.timescale)
                .to_duration()
                .unwrap_or_default();
            let clock = || mount.now() + PREROLL;
            let mut now = clock();
            while now < due {
                // Held requests time out while the clock waits.
                let wake = mount
                    .with(|s| s.next_timeout())
                    .map_or(due, |t| t.saturating_add(PREROLL).min(due));
                tokio::time::sleep(wake.saturating_sub(now)).await;
                now = clock();
                mount.with(|s| s.handle_timeout(now.saturating_sub(PREROLL)));
            }
            if let Err(e) = packager.push(sample) {
                tracing::error!("{}: live packager: {e}; the channel stops", mount.prefix);
                return;
            }
            let origin_now = mount.now();
            mount.with(|s| {
                while let Some(event) = packager.poll() {
                    s.handle_event(event, origin_now);
                }
            });
        }
        round += 1;
    }
}
