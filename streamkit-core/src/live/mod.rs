//! Live streams: one input, every output.
//!
//! A [`Broadcast`] is one live stream as a server holds it: the tracks a
//! publisher (an RTMP encoder, an RTSP camera, MPEG-TS over UDP, a looped
//! file) sends, the samples it pushes, and every subscriber (an HLS and
//! DASH packager, an RTSP or RTMP viewer) that gets them. A [`Registry`]
//! holds broadcasts by name.
//!
//! # What a broadcast guarantees
//!
//! - **Instant start.** It keeps the samples since the last keyframe of
//!   the reference track (the first video track; the first track of an
//!   audio-only stream), bounded in bytes and in time
//!   ([`BroadcastConfig::gop_cache_bytes`], [`BroadcastConfig::gop_cache_duration`]).
//!   A new subscriber is handed the tracks ([`Delivery::Start`]), then that
//!   keyframe and what followed, then the live samples. An audio-only
//!   stream starts at its newest sample. When the GOP outgrew the cache, a
//!   new subscriber starts at the next keyframe.
//! - **Bounded, independent subscribers.** Samples are kept once, in one
//!   queue; each subscriber is a cursor into it. A subscriber that lags
//!   more than [`BroadcastConfig::max_lag_bytes`] or
//!   [`BroadcastConfig::max_lag`] behind the newest sample skips to the
//!   next keyframe, and is told how many samples and how much time it
//!   missed ([`Delivery::Skipped`]): never silently, and never at the cost
//!   of another subscriber or of unbounded memory.
//! - **Zero-copy fan-out.** A delivered sample's `data` is a clone of the
//!   publisher's `Bytes` handle, never a copy of the payload.
//! - **Timestamp hygiene.** Per track, decode times that jump forward by
//!   more than [`BroadcastConfig::max_timestamp_jump`] or back by more than
//!   [`BroadcastConfig::max_step_back`] (an encoder restart, a 32-bit
//!   timestamp wrap) are rebased so the output
//!   continues where it was, and a [`Delivery::Discontinuity`] goes out
//!   before the rebased sample (HLS writes `EXT-X-DISCONTINUITY`); a small
//!   step back (equal or slightly earlier decode times: a sample in
//!   presentation order from a source that has no decode times) is moved to
//!   just after the previous sample and counted. A publisher that
//!   reconnects ([`Broadcast::republish`]) continues the timeline with a
//!   discontinuity. A codec configuration that changes mid-stream
//!   ([`Broadcast::update_track`]) reaches subscribers in order
//!   ([`Delivery::TrackChanged`]); a live package takes it
//!   ([`crate::package::Package::change_track`]: a new segment and init
//!   segment from the next keyframe, after a discontinuity). Each correction is reported to the
//!   publisher's side too ([`BroadcastEvent`]).
//! - **Wall clock.** The publisher may say which wall-clock instant a
//!   media time was captured at ([`Broadcast::set_wall_clock`]: from an
//!   RTCP sender report, RTMP timestamps with a reference, or the caller's
//!   clock); subscribers get it in order ([`Delivery::WallClock`]) for
//!   `EXT-X-PROGRAM-DATE-TIME`, DASH `availabilityStartTime` and RTCP
//!   sender reports.
//! - **Idle end.** A broadcast whose publisher sent nothing for
//!   [`BroadcastConfig::idle_timeout`] ends ([`Broadcast::poll_timeout`],
//!   [`Broadcast::handle_timeout`]); subscribers get [`Delivery::Ended`].
//!
//! # Contract
//!
//! Publisher side: [`Broadcast::new`], then [`Broadcast::push`] samples in
//! decode order per track (interleaved across tracks), with `now`;
//! [`Broadcast::finish`] at the end. After each call drain
//! [`Broadcast::poll_event`]. Time: [`Broadcast::poll_timeout`] says when
//! to call [`Broadcast::handle_timeout`].
//!
//! Subscriber side: [`Broadcast::subscribe`] gives a [`SubscriberId`];
//! drain [`Broadcast::poll_delivery`] for it until `None` whenever the
//! broadcast may have changed (after a push, or when
//! [`Broadcast::head`] moved past what the subscriber saw);
//! [`Broadcast::unsubscribe`] when done. Nothing here reads a clock.
//!
//! ```
//! use std::time::Instant;
//! use bytes::Bytes;
//! use streamkit_core::codec::{CodecConfig, aac::AacConfig};
//! use streamkit_core::live::{Broadcast, BroadcastConfig, Delivery};
//! use streamkit_core::sample::Sample;
//! use streamkit_core::time::Timescale;
//! use streamkit_core::track::Track;
//!
//! let now = Instant::now(); // a virtual clock would do
//! let track = Track::new(1, Timescale::AUDIO_48KHZ, CodecConfig::Aac(AacConfig::new(2, 48_000, 2)?));
//! let mut live = Broadcast::new(now, vec![track], BroadcastConfig::default())?;
//! let frame = |dts| Sample {
//!     track_id: 1, dts, composition_offset: 0, duration: 1024,
//!     timescale: Timescale::AUDIO_48KHZ, keyframe: true, data: Bytes::from_static(b"aac"),
//! };
//! live.push(now, frame(0))?;
//! let viewer = live.subscribe();
//! live.push(now, frame(1024))?;
//! assert!(matches!(live.poll_delivery(viewer), Some(Delivery::Start { .. })));
//! // An audio-only stream starts at its newest sample.
//! assert!(matches!(live.poll_delivery(viewer), Some(Delivery::Sample(s)) if s.dts == 0));
//! assert!(matches!(live.poll_delivery(viewer), Some(Delivery::Sample(s)) if s.dts == 1024));
//! assert_eq!(live.poll_delivery(viewer), None);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod delivery;
mod looped;
mod registry;

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::{Duration, Instant};

pub use delivery::{BroadcastConfig, BroadcastEvent, Delivery, LiveError, SubscriberId};
pub use looped::LoopedSource;
pub use registry::{MAX_BROADCASTS, MAX_NAME_LEN, Publication, PublishError, Registry};

use crate::clock::UnixTime;
use crate::codec::MediaKind;
use crate::sample::Sample;
use crate::time::{MediaTime, Rounding, Timescale};
use crate::track::Track;

/// The most tracks a broadcast carries.
pub const MAX_TRACKS: usize = 16;

/// One entry of the shared queue.
#[derive(Debug, Clone)]
enum Item {
    Sample {
        sample: Sample,
        /// A keyframe of the reference track (where a subscriber can
        /// start).
        start_point: bool,
        /// Reference-clock time of the sample in nanoseconds (for the lag
        /// and cache bounds).
        at: i64,
    },
    TrackChanged {
        track: Track,
        previous: Track,
    },
    Discontinuity,
    WallClock(MediaTime, UnixTime),
}

/// An item and the bytes of samples pushed before it (so that the bytes
/// between two items are a subtraction).
#[derive(Debug, Clone)]
struct Entry {
    item: Item,
    bytes_before: u64,
}

#[derive(Debug, Clone, Copy)]
struct TrackTiming {
    id: u32,
    timescale: Timescale,
    /// Added to the publisher's decode times.
    offset: i64,
    /// The last decode time and end given out (rebased), if any.
    last: Option<(i64, i64)>,
    /// The next sample continues at the last end, whatever its time (a
    /// new publisher took over).
    rebase_next: bool,
}

#[derive(Debug, Clone)]
struct Subscriber {
    id: SubscriberId,
    /// `false` for a free slot.
    alive: bool,
    /// The absolute index of the next entry to look at.
    cursor: u64,
    /// Samples are passed over until a start point (a keyframe of the
    /// reference track): before the first one, and after a skip.
    awaiting_start: bool,
    started: bool,
    ended: bool,
    /// The tracks and wall-clock link as this subscriber last learned
    /// them.
    tracks: Arc<[Track]>,
    wall_clock: Option<(MediaTime, UnixTime)>,
    /// Reference time (ns) of the last sample delivered, or of the start
    /// point it was placed at; `None` until it is placed (skips are
    /// counted from then on).
    last_at: Option<i64>,
    /// Samples missed since the last delivery, while skipping.
    skipped: u64,
    /// Deliveries owed before the next entry (after a skip).
    owed: VecDeque<Delivery>,
}

/// One live stream; see the [module documentation](self).
#[derive(Debug)]
pub struct Broadcast {
    config: BroadcastConfig,
    tracks: Arc<[Track]>,
    timing: Vec<TrackTiming>,
    reference: u32,
    /// Entries, oldest first; `first` is the absolute index of
    /// `entries[0]`.
    entries: VecDeque<Entry>,
    first: u64,
    /// Bytes of every sample ever pushed.
    pushed_bytes: u64,
    /// Absolute index of the newest start point still kept.
    last_start: Option<u64>,
    /// Subscribers by slot (the low 32 bits of their id); dead slots are
    /// reused, with the next generation in the high 32 bits.
    subscribers: Vec<Subscriber>,
    free: Vec<u32>,
    live_subscribers: usize,
    wall_clock: Option<(MediaTime, UnixTime)>,
    /// The wall-clock link as of the oldest kept entry.
    wall_clock_at_first: Option<(MediaTime, UnixTime)>,
    pending_discontinuity: bool,
    events: VecDeque<BroadcastEvent>,
    last_input: Instant,
    ended: bool,
    /// Reference time (ns) of the newest sample.
    newest_at: i64,
}

fn nanos(t: MediaTime) -> i64 {
    t.rescale(Timescale::NANOS, Rounding::Down).ticks()
}

fn duration_ns(d: Duration) -> i64 {
    i64::try_from(d.as_nanos()).unwrap_or(i64::MAX)
}

impl Broadcast {
    /// A broadcast of `tracks`, started at `now`.
    ///
    /// # Errors
    ///
    /// [`LiveError::InvalidTracks`], [`LiveError::InvalidConfig`] (a zero
    /// bound).
    pub fn new(
        now: Instant,
        tracks: Vec<Track>,
        config: BroadcastConfig,
    ) -> Result<Broadcast, LiveError> {
        check_tracks(&tracks)?;
        if config.max_lag_bytes == 0
            || config.gop_cache_bytes == 0
            || config.max_lag.is_zero()
            || config.gop_cache_duration.is_zero()
            || config.idle_timeout.is_zero()
            || config.max_timestamp_jump.is_zero()
            || config.max_step_back.is_zero()
        {
            return Err(LiveError::InvalidConfig {
                reason: "every bound must be above zero",
            });
        }
        let reference = tracks
            .iter()
            .find(|t| t.kind() == MediaKind::Video)
            .unwrap_or(&tracks[0])
            .id;
        let timing = tracks
            .iter()
            .map(|t| TrackTiming {
                id: t.id,
                timescale: t.timescale,
                offset: 0,
                last: None,
                rebase_next: false,
            })
            .collect();
        Ok(Broadcast {
            config,
            tracks: tracks.into(),
            timing,
            reference,
            entries: VecDeque::new(),
            first: 0,
            pushed_bytes: 0,
            last_start: None,
            subscribers: Vec::new(),
            free: Vec::new(),
            live_subscribers: 0,
            wall_clock: None,
            wall_clock_at_first: None,
            pending_discontinuity: false,
            events: VecDeque::new(),
            last_input: now,
            ended: false,
            newest_at: 0,
        })
    }

    /// The tracks as they are now.
    #[must_use]
    pub fn tracks(&self) -> &Arc<[Track]> {
        &self.tracks
    }

    /// The reference track's id (the first video track, else the first).
    #[must_use]
    pub fn reference_track(&self) -> u32 {
        self.reference
    }

    /// How many subscribers there are.
    #[must_use]
    pub fn subscriber_count(&self) -> usize {
        self.live_subscribers
    }

    /// Bytes of sample data kept (the GOP cache and what subscribers within
    /// the lag bounds still need).
    #[must_use]
    pub fn kept_bytes(&self) -> u64 {
        match self.entries.front() {
            Some(e) => self.pushed_bytes - e.bytes_before,
            None => 0,
        }
    }

    /// How many entries (samples and markers) are kept.
    #[must_use]
    pub fn kept_entries(&self) -> usize {
        self.entries.len()
    }

    /// The absolute index one past the newest entry: it grows by one per
    /// sample or marker.
    #[must_use]
    pub fn head(&self) -> u64 {
        self.first + self.entries.len() as u64
    }

    /// `true` once the broadcast ended.
    #[must_use]
    pub fn is_ended(&self) -> bool {
        self.ended
    }

    /// The wall-clock link, when the publisher gave one.
    #[must_use]
    pub fn wall_clock(&self) -> Option<(MediaTime, UnixTime)> {
        self.wall_clock
    }

    /// Takes one sample at `now`. Drain [`Broadcast::poll_event`]
    /// afterwards; subscribers find it with [`Broadcast::poll_delivery`].
    ///
    /// # Errors
    ///
    /// [`LiveError::UnknownTrack`], [`LiveError::TimescaleMismatch`],
    /// [`LiveError::ZeroDuration`], [`LiveError::SampleTooLarge`],
    /// [`LiveError::Ended`]; the broadcast is then unchanged.
    pub fn push(&mut self, now: Instant, mut sample: Sample) -> Result<(), LiveError> {
        if self.ended {
            return Err(LiveError::Ended);
        }
        let (track_id, dts) = (sample.track_id, sample.dts);
        let index = self
            .timing
            .iter()
            .position(|t| t.id == track_id)
            .ok_or(LiveError::UnknownTrack { track_id, dts })?;
        let timing = self.timing[index];
        if sample.timescale != timing.timescale {
            return Err(LiveError::TimescaleMismatch {
                track_id,
                expected: timing.timescale,
                found: sample.timescale,
            });
        }
        if sample.duration == 0 {
            return Err(LiveError::ZeroDuration { track_id, dts });
        }
        let size = sample.data.len() as u64;
        let limit = self.config.max_lag_bytes.min(self.config.gop_cache_bytes);
        if size > limit {
            return Err(LiveError::SampleTooLarge {
                track_id,
                size: sample.data.len(),
                limit,
            });
        }
        self.last_input = now;
        // Timestamp hygiene.
        let jump = MediaTime::from_duration(
            self.config.max_timestamp_jump,
            timing.timescale,
            Rounding::Down,
        )
        .map_or(i64::MAX, |t| t.ticks());
        let step_back =
            MediaTime::from_duration(self.config.max_step_back, timing.timescale, Rounding::Down)
                .map_or(i64::MAX, |t| t.ticks());
        let mut rebased = dts.saturating_add(timing.offset);
        if let Some((last_dts, last_end)) = timing.last {
            let far_ahead = rebased > last_end.saturating_add(jump);
            let far_back = rebased < last_dts.saturating_sub(step_back);
            if timing.rebase_next || far_ahead || far_back {
                self.timing[index].offset = last_end.saturating_sub(dts);
                let found = rebased;
                rebased = last_end;
                self.pending_discontinuity = true;
                self.events.push_back(BroadcastEvent::TimestampJump {
                    track_id,
                    found,
                    rebased,
                });
            } else if rebased <= last_dts {
                let found = rebased;
                rebased = last_dts + 1;
                self.events.push_back(BroadcastEvent::TimestampCorrected {
                    track_id,
                    found,
                    corrected: rebased,
                });
            }
        }
        self.timing[index].rebase_next = false;
        sample.dts = rebased;
        self.timing[index].last = Some((rebased, sample.end_dts()));
        if core::mem::take(&mut self.pending_discontinuity) {
            self.append(Item::Discontinuity);
        }
        let at = nanos(sample.decode_time());
        self.newest_at = self.newest_at.max(at);
        let start_point = sample.keyframe && track_id == self.reference;
        if start_point {
            let index = self.head();
            self.last_start = Some(index);
            // Subscribers that joined before any start point begin here.
            for sub in &mut self.subscribers {
                if sub.alive && sub.awaiting_start && sub.last_at.is_none() {
                    sub.cursor = index;
                    sub.awaiting_start = false;
                    sub.last_at = Some(at);
                }
            }
        }
        self.append(Item::Sample {
            sample,
            start_point,
            at,
        });
        self.pushed_bytes += size;
        self.trim();
        Ok(())
    }

    /// A track's new codec configuration (same id and timescale):
    /// subscribers get it before the samples that follow.
    ///
    /// # Errors
    ///
    /// [`LiveError::UnknownTrack`] for a new id,
    /// [`LiveError::TimescaleMismatch`] for a changed clock,
    /// [`LiveError::Ended`].
    pub fn update_track(&mut self, track: Track) -> Result<(), LiveError> {
        if self.ended {
            return Err(LiveError::Ended);
        }
        let Some(i) = self.tracks.iter().position(|t| t.id == track.id) else {
            return Err(LiveError::UnknownTrack {
                track_id: track.id,
                dts: 0,
            });
        };
        if self.tracks[i].timescale != track.timescale {
            return Err(LiveError::TimescaleMismatch {
                track_id: track.id,
                expected: self.tracks[i].timescale,
                found: track.timescale,
            });
        }
        if self.tracks[i] == track {
            return Ok(());
        }
        let mut tracks = self.tracks.to_vec();
        let previous = core::mem::replace(&mut tracks[i], track.clone());
        self.tracks = tracks.into();
        self.append(Item::TrackChanged { track, previous });
        Ok(())
    }

    /// A new publisher takes over at `now` (a reconnect): its decode times
    /// continue the timeline after the old ones, with a discontinuity;
    /// tracks whose configuration changed are delivered as
    /// [`Delivery::TrackChanged`].
    ///
    /// # Errors
    ///
    /// [`LiveError::InvalidTracks`] when the tracks are not the same ids
    /// with the same clocks (subscribers could not follow: end this
    /// broadcast and start a new one), [`LiveError::Ended`].
    pub fn republish(&mut self, now: Instant, tracks: Vec<Track>) -> Result<(), LiveError> {
        if self.ended {
            return Err(LiveError::Ended);
        }
        check_tracks(&tracks)?;
        if tracks.len() != self.tracks.len()
            || !tracks.iter().all(|t| {
                self.tracks
                    .iter()
                    .any(|o| o.id == t.id && o.timescale == t.timescale)
            })
        {
            return Err(LiveError::InvalidTracks {
                reason: "a republish keeps the track ids and clocks",
            });
        }
        self.last_input = now;
        for t in tracks {
            self.update_track(t)?;
        }
        for timing in &mut self.timing {
            timing.rebase_next = timing.last.is_some();
        }
        Ok(())
    }

    /// Links media time to the wall clock: `media` (a decode time on the
    /// reference track's clock, or any clock) was captured at `unix`.
    pub fn set_wall_clock(&mut self, media: MediaTime, unix: UnixTime) {
        if self.wall_clock == Some((media, unix)) || self.ended {
            return;
        }
        self.wall_clock = Some((media, unix));
        self.append(Item::WallClock(media, unix));
    }

    /// Ends the broadcast (the publisher stopped): subscribers get the
    /// rest, then [`Delivery::Ended`]. A second call does nothing.
    pub fn finish(&mut self) {
        self.ended = true;
    }

    /// When [`Broadcast::handle_timeout`] must be called: the idle
    /// deadline (none once ended).
    #[must_use]
    pub fn poll_timeout(&self) -> Option<Instant> {
        (!self.ended).then(|| self.last_input + self.config.idle_timeout)
    }

    /// Ends the broadcast when its publisher has been idle for the idle
    /// timeout at `now` ([`BroadcastEvent::Idle`]).
    pub fn handle_timeout(&mut self, now: Instant) {
        if !self.ended && now >= self.last_input + self.config.idle_timeout {
            self.ended = true;
            self.events.push_back(BroadcastEvent::Idle);
        }
    }

    /// The next event for the publisher's side.
    #[must_use]
    pub fn poll_event(&mut self) -> Option<BroadcastEvent> {
        self.events.pop_front()
    }

    /// A new subscriber: its first delivery is [`Delivery::Start`], then
    /// samples from the newest keyframe kept (see the module docs).
    pub fn subscribe(&mut self) -> SubscriberId {
        let start = self.last_start.filter(|s| *s >= self.first);
        let cursor = start.unwrap_or(self.head());
        let (tracks, wall_clock) = self.state_at(cursor);
        let last_at = start.and_then(|c| self.sample_at(c));
        let (slot, generation) = match self.free.pop() {
            Some(slot) => {
                let generation = (self.subscribers[slot as usize].id.0 >> 32) as u32;
                (slot, generation.wrapping_add(1))
            }
            None => (u32::try_from(self.subscribers.len()).unwrap_or(u32::MAX), 0),
        };
        let id = SubscriberId((u64::from(generation) << 32) | u64::from(slot));
        let sub = Subscriber {
            id,
            alive: true,
            cursor,
            awaiting_start: start.is_none(),
            started: false,
            ended: false,
            tracks,
            wall_clock,
            last_at,
            skipped: 0,
            owed: VecDeque::new(),
        };
        match self.subscribers.get_mut(slot as usize) {
            Some(s) => *s = sub,
            None => self.subscribers.push(sub),
        }
        self.live_subscribers += 1;
        id
    }

    /// The slot of a live subscriber.
    fn slot(&self, id: SubscriberId) -> Option<usize> {
        let i = (id.0 & u64::from(u32::MAX)) as usize;
        self.subscribers
            .get(i)
            .filter(|s| s.alive && s.id == id)
            .map(|_| i)
    }

    /// Forgets a subscriber; `false` when it was unknown.
    pub fn unsubscribe(&mut self, id: SubscriberId) -> bool {
        let Some(i) = self.slot(id) else {
            return false;
        };
        let sub = &mut self.subscribers[i];
        sub.alive = false;
        sub.owed.clear();
        sub.tracks = Arc::from(Vec::new());
        self.free.push(u32::try_from(i).unwrap_or(u32::MAX));
        self.live_subscribers -= 1;
        self.trim();
        true
    }

    /// The next delivery for subscriber `id`, or `None` when it has
    /// everything so far (or is unknown).
    #[must_use]
    pub fn poll_delivery(&mut self, id: SubscriberId) -> Option<Delivery> {
        let i = self.slot(id)?;
        loop {
            let sub = &mut self.subscribers[i];
            if !sub.started {
                sub.started = true;
                return Some(Delivery::Start {
                    tracks: sub.tracks.clone(),
                    wall_clock: sub.wall_clock,
                });
            }
            if let Some(d) = sub.owed.pop_front() {
                return Some(d);
            }
            if sub.ended {
                return None;
            }
            let cursor = sub.cursor;
            if cursor < self.first {
                // What it had not read yet was dropped.
                self.skip_from(i, cursor);
                continue;
            }
            if cursor >= self.head() {
                if self.ended {
                    self.subscribers[i].ended = true;
                    return Some(Delivery::Ended);
                }
                return None;
            }
            let entry = &self.entries[usize::try_from(cursor - self.first).unwrap_or(usize::MAX)];
            let sub = &self.subscribers[i];
            match entry.item {
                Item::Sample { at, .. } if self.lags(entry, at) => {
                    self.skip_from(i, cursor);
                    continue;
                }
                Item::Sample {
                    start_point: false, ..
                } if sub.awaiting_start => {
                    let sub = &mut self.subscribers[i];
                    sub.cursor += 1;
                    if sub.last_at.is_some() {
                        sub.skipped += 1;
                    }
                    continue;
                }
                Item::Sample { .. } if sub.awaiting_start => {
                    self.land(i, cursor);
                    continue;
                }
                _ => {}
            }
            let sub = &mut self.subscribers[i];
            sub.cursor = cursor + 1;
            return Some(match &entry.item {
                Item::Sample { sample, at, .. } => {
                    sub.last_at = Some(*at);
                    Delivery::Sample(sample.clone())
                }
                Item::TrackChanged { track, .. } => {
                    let mut tracks = sub.tracks.to_vec();
                    if let Some(t) = tracks.iter_mut().find(|t| t.id == track.id) {
                        *t = track.clone();
                    }
                    sub.tracks = tracks.into();
                    Delivery::TrackChanged(track.clone())
                }
                Item::Discontinuity => Delivery::Discontinuity,
                Item::WallClock(media, unix) => {
                    sub.wall_clock = Some((*media, *unix));
                    Delivery::WallClock {
                        media: *media,
                        unix: *unix,
                    }
                }
            });
        }
    }

    /// The tracks and wall-clock link as of the entry at absolute index
    /// `at`: the current ones with the changes at or after it undone.
    fn state_at(&self, at: u64) -> (Arc<[Track]>, Option<(MediaTime, UnixTime)>) {
        let skip = usize::try_from(at.saturating_sub(self.first)).unwrap_or(usize::MAX);
        let mut tracks: Option<Vec<Track>> = None;
        for e in self.entries.iter().skip(skip).rev() {
            if let Item::TrackChanged { previous, .. } = &e.item {
                let list = tracks.get_or_insert_with(|| self.tracks.to_vec());
                if let Some(t) = list.iter_mut().find(|t| t.id == previous.id) {
                    *t = previous.clone();
                }
            }
        }
        let wall = self
            .entries
            .iter()
            .take(skip)
            .rev()
            .find_map(|e| match e.item {
                Item::WallClock(m, u) => Some((m, u)),
                _ => None,
            })
            .or(self.wall_clock_at_first);
        (tracks.map_or_else(|| self.tracks.clone(), Into::into), wall)
    }

    /// The reference time of the sample at absolute index `index`.
    fn sample_at(&self, index: u64) -> Option<i64> {
        match self
            .entries
            .get(usize::try_from(index.checked_sub(self.first)?).ok()?)?
            .item
        {
            Item::Sample { at, .. } => Some(at),
            _ => None,
        }
    }

    /// `true` when `entry` (a sample at reference time `at`) is over the
    /// lag bounds behind the newest sample.
    fn lags(&self, entry: &Entry, at: i64) -> bool {
        self.newest_at.saturating_sub(at) > duration_ns(self.config.max_lag)
            || self.pushed_bytes - entry.bytes_before > self.config.max_lag_bytes
    }

    /// Moves subscriber `i`, whose next entry was at `cursor`, to the
    /// first start point after it that is within the bounds (or to waiting
    /// for one at the head), counting the samples it passes over.
    fn skip_from(&mut self, i: usize, cursor: u64) {
        let from = cursor.max(self.first);
        let mut target = None;
        let mut passed = self.first.saturating_sub(cursor);
        let skip = usize::try_from(from - self.first).unwrap_or(usize::MAX);
        for (k, e) in self.entries.iter().enumerate().skip(skip) {
            if let Item::Sample {
                start_point, at, ..
            } = e.item
            {
                if start_point && !self.lags(e, at) {
                    target = Some(self.first + k as u64);
                    break;
                }
                passed += 1;
            }
        }
        let head = self.head();
        let sub = &mut self.subscribers[i];
        if sub.last_at.is_some() {
            sub.skipped += passed;
        }
        match target {
            Some(c) => self.land(i, c),
            None => {
                sub.cursor = head;
                sub.awaiting_start = true;
            }
        }
    }

    /// Places subscriber `i` at start point `cursor`, owing it the report
    /// of what it skipped and the state it missed.
    fn land(&mut self, i: usize, cursor: u64) {
        let (tracks, wall) = self.state_at(cursor);
        let at = self.sample_at(cursor).unwrap_or(self.newest_at);
        let sub = &mut self.subscribers[i];
        sub.cursor = cursor;
        sub.awaiting_start = false;
        let samples = core::mem::take(&mut sub.skipped);
        if samples > 0 {
            let from = sub.last_at.unwrap_or(at);
            let duration =
                Duration::from_nanos(u64::try_from(at.saturating_sub(from)).unwrap_or(0));
            sub.owed.push_back(Delivery::Skipped { samples, duration });
            sub.last_at = Some(at);
            self.events.push_back(BroadcastEvent::SubscriberSkipped {
                subscriber: sub.id,
                samples,
            });
        }
        for t in tracks.iter() {
            if !sub.tracks.iter().any(|o| o == t) {
                sub.owed.push_back(Delivery::TrackChanged(t.clone()));
            }
        }
        sub.tracks = tracks;
        if samples > 0 {
            sub.owed.push_back(Delivery::Discontinuity);
        }
        if sub.last_at.is_none() {
            sub.last_at = Some(at);
        }
        if wall != sub.wall_clock
            && let Some((media, unix)) = wall
        {
            sub.owed.push_back(Delivery::WallClock { media, unix });
        }
        sub.wall_clock = wall;
    }

    fn append(&mut self, item: Item) {
        self.entries.push_back(Entry {
            item,
            bytes_before: self.pushed_bytes,
        });
    }

    /// Drops the oldest entries that neither the GOP cache nor a
    /// subscriber within the lag bounds needs.
    fn trim(&mut self) {
        let cache_ns = duration_ns(self.config.gop_cache_duration);
        // The GOP cache: from the newest start point, within its bounds.
        let keep_from_cache = self.last_start.filter(|&s| {
            let Some(e) = self
                .entries
                .get(usize::try_from(s.saturating_sub(self.first)).unwrap_or(usize::MAX))
            else {
                return false;
            };
            let at = match e.item {
                Item::Sample { at, .. } => at,
                _ => self.newest_at,
            };
            self.pushed_bytes - e.bytes_before <= self.config.gop_cache_bytes
                && self.newest_at - at <= cache_ns
        });
        let oldest_cursor = self
            .subscribers
            .iter()
            .filter(|s| s.alive)
            .map(|s| s.cursor)
            .min();
        while !self.entries.is_empty() {
            let index = self.first;
            let needed_by_cache = keep_from_cache.is_some_and(|s| index >= s);
            // A marker goes or stays with the first sample after it (a
            // subscriber that skips past it is given the state it set).
            let needed_by_subscriber = oldest_cursor.is_some_and(|c| index >= c)
                && self
                    .entries
                    .iter()
                    .find_map(|e| match e.item {
                        Item::Sample { at, .. } => Some(!self.lags(e, at)),
                        _ => None,
                    })
                    .unwrap_or(true);
            if needed_by_cache || needed_by_subscriber {
                break;
            }
            if let Some(Entry {
                item: Item::WallClock(m, u),
                ..
            }) = self.entries.pop_front()
            {
                self.wall_clock_at_first = Some((m, u));
            }
            self.first += 1;
        }
        if self.last_start.is_some_and(|s| s < self.first) {
            self.last_start = None;
        }
    }
}

fn check_tracks(tracks: &[Track]) -> Result<(), LiveError> {
    if tracks.is_empty() || tracks.len() > MAX_TRACKS {
        return Err(LiveError::InvalidTracks {
            reason: "1 to 16 tracks",
        });
    }
    for (i, t) in tracks.iter().enumerate() {
        if tracks[..i].iter().any(|o| o.id == t.id) {
            return Err(LiveError::InvalidTracks {
                reason: "two tracks with one id",
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests;
