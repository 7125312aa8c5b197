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
use streamkit::dash::live::{LivePackager, LivePackagerConfig};
use streamkit::dash::packager::Naming as DashNaming;
use streamkit::hls::packager::{Packager, PackagerConfig, SegmentFormat};

use crate::mount::{DashMount, Mount};

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

/// The low-latency DASH packager's configuration: the same segments and
/// parts as the HLS one, media time zero at `availability_start_time`
/// (wall clock), its files named apart from HLS's (`dash-` first) since
/// both live under `/live/NAME/`, and the time for UTCTiming at `time_url`.
pub(crate) fn dash_config(availability_start_time: Duration, time_url: &str) -> LivePackagerConfig {
    let mut config = LivePackagerConfig::new(
        MediaTime::new(SEGMENT_MILLIS, Timescale::MILLIS),
        availability_start_time,
    )
    .with_low_latency(
        MediaTime::new(PART_MILLIS, Timescale::MILLIS),
        Duration::from_millis(3 * PART_MILLIS as u64),
    )
    .with_utc_timing("urn:mpeg:dash:utc:http-iso:2014", time_url);
    config.naming = DashNaming {
        init: "dash-init.mp4".into(),
        segment_prefix: "dash-seg-".into(),
        ..DashNaming::default()
    };
    config
}

/// The DASH side of a live channel: its origin and packager.
pub(crate) struct DashLive {
    pub(crate) mount: Arc<DashMount>,
    pub(crate) packager: LivePackager,
}

/// A live channel's pipeline: the looped source, where it is, and the
/// packagers and origins it feeds.
pub(crate) struct LivePump {
    pub(crate) mount: Arc<Mount>,
    pub(crate) packager: Packager,
    pub(crate) dash: Option<DashLive>,
    pub(crate) source: LoopedFile,
    next: usize,
    round: u32,
}

impl LivePump {
    pub(crate) fn new(
        mount: Arc<Mount>,
        packager: Packager,
        dash: Option<DashLive>,
        source: LoopedFile,
    ) -> LivePump {
        LivePump {
            mount,
            packager,
            dash,
            source,
            next: 0,
            round: 0,
        }
    }

    /// The encoder clock: the origin's clock plus the preroll.
    fn clock(&self) -> Duration {
        self.mount.now() + PREROLL
    }

    /// The next sample, shifted into its loop, and its decode time.
    fn peek(&self) -> Option<(Sample, Duration)> {
        let sample = self.source.samples.get(self.next)?;
        let offset = self.source.period * self.round;
        let shift = MediaTime::from_duration(offset, sample.timescale, Rounding::Nearest)
            .map_or(0, |t| t.ticks());
        let sample = Sample {
            dts: sample.dts + shift,
            ..sample.clone()
        };
        let due = MediaTime::new(sample.dts, sample.timescale)
            .to_duration()
            .unwrap_or_default();
        Some((sample, due))
    }

    /// Pushes every sample whose decode time has come on the encoder
    /// clock; returns when the next one is due, or `Err` when the HLS
    /// packager refused a sample (the channel stops).
    pub(crate) fn catch_up(&mut self) -> Result<Duration, String> {
        loop {
            let (sample, due) = self.peek().ok_or("the source has no samples")?;
            if due > self.clock() {
                return Ok(due);
            }
            self.next += 1;
            if self.next == self.source.samples.len() {
                self.next = 0;
                self.round += 1;
            }
            if let Some(d) = &mut self.dash {
                let wall = d.mount.now();
                match d.packager.push(sample.clone(), wall) {
                    Ok(()) => d.mount.with(|s| {
                        while let Some(event) = d.packager.poll() {
                            s.handle_event(event, wall);
                        }
                    }),
                    Err(e) => {
                        tracing::error!("{}: live DASH packager: {e}; DASH stops", d.mount.prefix);
                        self.dash = None;
                    }
                }
            }
            self.packager
                .push(sample)
                .map_err(|e| format!("{}: live packager: {e}", self.mount.prefix))?;
            let now = self.mount.now();
            let (mount, packager) = (&self.mount, &mut self.packager);
            mount.with(|s| {
                while let Some(event) = packager.poll() {
                    s.handle_event(event, now);
                }
            });
        }
    }

    /// Answers the held requests whose time is up.
    fn handle_timeouts(&self) {
        let now = self.mount.now();
        self.mount.with(|s| s.handle_timeout(now));
        if let Some(d) = &self.dash {
            let wall = d.mount.now();
            d.mount.with(|s| s.handle_timeout(wall));
        }
    }

    /// Runs the channel forever at the pace of the encoder clock.
    pub(crate) async fn run(mut self) {
        loop {
            let due = match self.catch_up() {
                Ok(due) => due,
                Err(e) => {
                    tracing::error!("{e}; the channel stops");
                    return;
                }
            };
            // Held requests time out while the clock waits.
            let wake = self
                .mount
                .with(|s| s.next_timeout())
                .map_or(due, |t| t.saturating_add(PREROLL).min(due));
            tokio::time::sleep(wake.saturating_sub(self.clock())).await;
            self.handle_timeouts();
        }
    }
}
