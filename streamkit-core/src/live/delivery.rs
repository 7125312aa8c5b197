//! What a [`Broadcast`](super::Broadcast)(super::Broadcast) is configured with, refuses,
//! delivers to its subscribers and reports to its owner.

use std::sync::Arc;
use std::time::Duration;

use crate::clock::UnixTime;
use crate::sample::Sample;
use crate::time::{MediaTime, Timescale};
use crate::track::Track;

/// Why a broadcast refused something.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum LiveError {
    /// No tracks, more than [`MAX_TRACKS`](super::MAX_TRACKS), or two with one id.
    #[error("broadcast: {reason}")]
    InvalidTracks {
        /// What is wrong.
        reason: &'static str,
    },
    /// The configuration cannot work.
    #[error("broadcast configuration: {reason}")]
    InvalidConfig {
        /// What is wrong.
        reason: &'static str,
    },
    /// A sample of a track the broadcast does not have.
    #[error("broadcast: sample at decode time {dts} of unknown track {track_id}")]
    UnknownTrack {
        /// The sample's track.
        track_id: u32,
        /// Its decode time.
        dts: i64,
    },
    /// A sample whose timescale is not its track's.
    #[error("broadcast: track {track_id}: sample timescale {found}, track timescale {expected}")]
    TimescaleMismatch {
        /// The track.
        track_id: u32,
        /// The track's timescale.
        expected: Timescale,
        /// The sample's.
        found: Timescale,
    },
    /// A sample with a zero duration.
    #[error("broadcast: track {track_id}: sample at decode time {dts} has a zero duration")]
    ZeroDuration {
        /// The track.
        track_id: u32,
        /// Its decode time.
        dts: i64,
    },
    /// A sample alone larger than the GOP cache and lag bounds.
    #[error("broadcast: track {track_id}: a sample of {size} bytes exceeds the limit of {limit}")]
    SampleTooLarge {
        /// The track.
        track_id: u32,
        /// Its size.
        size: usize,
        /// The limit ([`BroadcastConfig::max_lag_bytes`](super::BroadcastConfig::max_lag_bytes)).
        limit: u64,
    },
    /// A push after the broadcast ended.
    #[error("broadcast: ended")]
    Ended,
}

/// How a [`Broadcast`](super::Broadcast) bounds what it keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct BroadcastConfig {
    /// The GOP cache holds at most this many bytes of samples.
    pub gop_cache_bytes: u64,
    /// ... and at most this long a span of the reference track.
    pub gop_cache_duration: Duration,
    /// A subscriber this many bytes behind the newest sample skips ahead.
    pub max_lag_bytes: u64,
    /// A subscriber this long behind the newest sample skips ahead.
    pub max_lag: Duration,
    /// A decode time this far past its track's previous end is a
    /// discontinuity (rebased).
    pub max_timestamp_jump: Duration,
    /// A decode time this far before its track's previous one is a
    /// discontinuity (rebased); a smaller step back is corrected to just
    /// after the previous sample.
    pub max_step_back: Duration,
    /// The broadcast ends when the publisher sends nothing this long.
    pub idle_timeout: Duration,
}

impl Default for BroadcastConfig {
    /// A 32 MiB / 20 s GOP cache, subscribers at most 32 MiB or 10 s
    /// behind, jumps of 10 s forward or 500 ms back, an idle timeout of
    /// 10 s.
    fn default() -> Self {
        BroadcastConfig {
            gop_cache_bytes: 32 << 20,
            gop_cache_duration: Duration::from_secs(20),
            max_lag_bytes: 32 << 20,
            max_lag: Duration::from_secs(10),
            max_timestamp_jump: Duration::from_secs(10),
            max_step_back: Duration::from_millis(500),
            idle_timeout: Duration::from_secs(10),
        }
    }
}

impl BroadcastConfig {
    /// The same with subscribers at most `bytes` or `duration` behind.
    #[must_use]
    pub fn with_max_lag(mut self, bytes: u64, duration: Duration) -> BroadcastConfig {
        self.max_lag_bytes = bytes;
        self.max_lag = duration;
        self
    }

    /// The same with a GOP cache of at most `bytes` and `duration`.
    #[must_use]
    pub fn with_gop_cache(mut self, bytes: u64, duration: Duration) -> BroadcastConfig {
        self.gop_cache_bytes = bytes;
        self.gop_cache_duration = duration;
        self
    }

    /// The same with another idle timeout.
    #[must_use]
    pub fn with_idle_timeout(mut self, idle: Duration) -> BroadcastConfig {
        self.idle_timeout = idle;
        self
    }
}

/// A subscriber of one broadcast. Opaque.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SubscriberId(pub(super) u64);

/// What a subscriber gets, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Delivery {
    /// The first delivery: the tracks as they are now, and the wall-clock
    /// link when there is one. Samples follow, from a keyframe.
    Start {
        /// The tracks.
        tracks: Arc<[Track]>,
        /// `(media time, wall-clock time)` when known.
        wall_clock: Option<(MediaTime, UnixTime)>,
    },
    /// A sample (its data shared with the publisher's, never copied).
    Sample(Sample),
    /// A track's codec configuration changed (a new SPS): samples after
    /// this use it. A live package takes it with
    /// [`Package::change_track`](crate::package::Package::change_track).
    TrackChanged(Track),
    /// The timeline was rebased here (an encoder restart, a timestamp
    /// wrap, a reconnecting publisher): decoders should reset.
    Discontinuity,
    /// `media` on the reference clock was captured at `unix`.
    WallClock {
        /// A media time (on any timescale: rescale as needed).
        media: MediaTime,
        /// The wall-clock time it was captured at.
        unix: UnixTime,
    },
    /// The subscriber fell too far behind: it skipped `samples` samples
    /// spanning about `duration`, and goes on at a keyframe.
    Skipped {
        /// How many samples it missed.
        samples: u64,
        /// How much media time they spanned (reference track).
        duration: Duration,
    },
    /// The broadcast ended (finished, idle, or replaced by a new
    /// publisher). Nothing follows.
    Ended,
}

/// What the broadcast reports to its owner (the publisher's side).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum BroadcastEvent {
    /// A track's decode times were rebased: a sample at `found` (the
    /// publisher's ticks) continues at `rebased`.
    TimestampJump {
        /// The track.
        track_id: u32,
        /// The decode time as it came.
        found: i64,
        /// The decode time it was given.
        rebased: i64,
    },
    /// A sample whose decode time was not after its track's previous one
    /// (by less than a jump) was moved to just after it.
    TimestampCorrected {
        /// The track.
        track_id: u32,
        /// The decode time as it came.
        found: i64,
        /// The decode time it was given.
        corrected: i64,
    },
    /// A subscriber skipped ahead (see [`Delivery::Skipped`](super::Delivery::Skipped)).
    SubscriberSkipped {
        /// The subscriber.
        subscriber: SubscriberId,
        /// How many samples it missed.
        samples: u64,
    },
    /// The publisher sent nothing for the idle timeout: the broadcast
    /// ended.
    Idle,
}
