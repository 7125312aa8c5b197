//! One timeline for a RECORD session's tracks.
//!
//! Each recorder counts its track's media time from the track's own
//! first access unit. A publisher's tracks seldom start at the same
//! instant (ffmpeg's AAC starts with its priming frame, 1024 samples
//! before the first picture), and only its RTCP sender reports say by how
//! much: each links an NTP time to an RTP timestamp of its track (RFC
//! 3550 section 6.4.1), the same NTP instant on every track of one
//! sender.
//!
//! The alignment is decided once, before the first sample of the session
//! leaves: samples wait until every track has its first access unit and a
//! sender report, or until [`ServerConfig::sync_wait`](super::ServerConfig::sync_wait)
//! after the first one waited (on the caller's `now`), or until too many
//! wait, or the session ends. Then each track is offset from the
//! reference track (the first video track, else the first track): by the
//! sender reports when both have one, else by the first access units
//! (media time zero on both), and the waiting samples leave in time
//! order. A track whose first access unit comes later is offset when it
//! comes, the same way. Offsets never change after that: a later sender
//! report that disagrees is reported, never applied (that would move a
//! track back in time under samples already given out).

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use streamkit_core::clock::{NtpTimestamp, UnixTime};
use streamkit_core::time::MediaTime;
use streamkit_core::time::Timescale;

use super::events::{AlignedBy, ServerEvent};
use super::record::{Recorded, push_change};
use super::{MAX_EVENTS, MAX_SAMPLES};

/// The most samples that wait for the alignment, all tracks together:
/// past them it is decided with what is known.
pub(crate) const MAX_WAITING: usize = 4096;

/// What the alignment knows of one track's clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct TrackClock {
    /// The track.
    pub(crate) id: u32,
    /// Its RTP clock rate.
    pub(crate) timescale: Timescale,
    /// The RTP timestamp of its media time zero, once known.
    pub(crate) origin: Option<u32>,
    /// Its last sender report: NTP time and RTP timestamp.
    pub(crate) sender_report: Option<(NtpTimestamp, u32)>,
}

/// One track's part of the alignment.
#[derive(Debug)]
struct Aligned {
    id: u32,
    /// Ticks added to its samples' decode times, once decided.
    offset: Option<(i64, AlignedBy)>,
    /// Samples (and codec changes) waiting for the decision.
    waiting: VecDeque<Recorded>,
    /// The last wall-clock link that waited, unshifted.
    wall_clock: Option<(MediaTime, UnixTime)>,
    /// A late sender report was reported (once per track).
    late_reported: bool,
}

/// The alignment of a RECORD session's tracks; see the [module docs](self).
#[derive(Debug)]
pub(crate) struct Alignment {
    tracks: Vec<Aligned>,
    reference: usize,
    wait: Duration,
    /// When the first sample started waiting.
    since: Option<Instant>,
    decided: bool,
    /// Samples waiting, all tracks together.
    waiting: usize,
    /// No tracks were given: every sample leaves as it is.
    passthrough: bool,
}

/// `num / den` rounded to the nearest integer, halves away from zero
/// (`den > 0`).
fn div_round(num: i128, den: i128) -> i128 {
    if num >= 0 {
        (num + den / 2) / den
    } else {
        -((-num + den / 2) / den)
    }
}

/// Ticks of `track` from the reference's media time zero to its own, by
/// their sender reports: the instant of each one's zero is its report's
/// NTP time less the ticks from zero to the report's RTP timestamp.
/// `None` unless both have a zero and a report.
pub(crate) fn sender_report_offset(track: &TrackClock, reference: &TrackClock) -> Option<i64> {
    let (ntp_t, rtp_t) = track.sender_report?;
    let (ntp_r, rtp_r) = reference.sender_report?;
    // Ticks from each report to its zero; RTP timestamps wrap, so the
    // shorter way round (reports and zeros are seconds apart, not hours).
    let d_t = i128::from(track.origin?.wrapping_sub(rtp_t) as i32);
    let d_r = i128::from(reference.origin?.wrapping_sub(rtp_r) as i32);
    // NTP units (2^-32 s) from the reference's report to the track's.
    let ntp = i128::from(ntp_t.0.wrapping_sub(ntp_r.0) as i64);
    let (h_t, h_r) = (
        i128::from(track.timescale.hz()),
        i128::from(reference.timescale.hz()),
    );
    // (ntp / 2^32 + d_t / h_t - d_r / h_r) seconds, in the track's ticks.
    let num = ntp * h_t * h_r + ((d_t * h_r - d_r * h_t) << 32);
    let den = h_r << 32;
    i64::try_from(div_round(num, den)).ok()
}

impl Alignment {
    /// The alignment of `tracks` (set-up order) with the reference chosen
    /// among them (the first video track, else the first), waiting at
    /// most `wait`. One track needs none: its samples leave at once.
    pub(crate) fn new(tracks: &[(u32, bool)], wait: Duration) -> Alignment {
        let reference = tracks.iter().position(|(_, video)| *video).unwrap_or(0);
        let single = tracks.len() <= 1;
        Alignment {
            tracks: tracks
                .iter()
                .map(|&(id, _)| Aligned {
                    id,
                    offset: single.then_some((0, AlignedBy::FirstPackets)),
                    waiting: VecDeque::new(),
                    wall_clock: None,
                    late_reported: false,
                })
                .collect(),
            reference,
            wait,
            since: None,
            decided: single,
            waiting: 0,
            passthrough: tracks.is_empty(),
        }
    }

    /// When the wait ends, while samples wait.
    pub(crate) fn poll_timeout(&self) -> Option<Instant> {
        if self.decided {
            return None;
        }
        self.since.and_then(|s| s.checked_add(self.wait))
    }

    /// Takes what track `id`'s recorder gave out at `now`: shifted into
    /// `out` once its offset is decided, else it waits.
    pub(crate) fn push(&mut self, now: Instant, id: u32, recorded: Recorded, out: &mut Out<'_>) {
        if !self.tracks.iter().any(|t| t.id == id) {
            // Set up after the RECORD: aligned as a late track (without
            // tracks, before any RECORD: as it is).
            let offset = self.passthrough.then_some((0, AlignedBy::FirstPackets));
            self.tracks.push(Aligned {
                id,
                offset,
                waiting: VecDeque::new(),
                wall_clock: None,
                late_reported: false,
            });
        }
        let Some(t) = self.tracks.iter_mut().find(|t| t.id == id) else {
            return;
        };
        match t.offset {
            Some((offset, _)) => out.recorded(shifted(recorded, offset)),
            None => {
                t.waiting.push_back(recorded);
                self.waiting += 1;
                self.since.get_or_insert(now);
            }
        }
    }

    /// A wall-clock link of track `id`'s media time: shifted into `out`
    /// once its offset is decided, else the last one waits.
    pub(crate) fn wall_clock(
        &mut self,
        id: u32,
        media: MediaTime,
        unix: UnixTime,
        out: &mut Out<'_>,
    ) {
        let Some(t) = self.tracks.iter_mut().find(|t| t.id == id) else {
            return;
        };
        match t.offset {
            Some((offset, _)) => out.event(ServerEvent::WallClock {
                track_id: id,
                media: MediaTime::new(media.ticks().saturating_add(offset), media.timescale()),
                unix,
            }),
            None => t.wall_clock = Some((media, unix)),
        }
    }

    /// Decides what can be decided at `now` from the tracks' `clocks`
    /// (`end`: the session ends, nothing more comes), and reports sender
    /// reports that come after a track was aligned by its first packets.
    pub(crate) fn update(
        &mut self,
        now: Instant,
        clocks: &[TrackClock],
        end: bool,
        out: &mut Out<'_>,
    ) {
        if self.passthrough {
            return;
        }
        let clock = |id: u32| clocks.iter().find(|c| c.id == id).copied();
        if !self.decided {
            let all_known = self.tracks.iter().all(|t| {
                clock(t.id).is_some_and(|c| c.origin.is_some() && c.sender_report.is_some())
            });
            let waited = self.poll_timeout().is_some_and(|deadline| now >= deadline);
            if !(all_known || waited || end || self.waiting >= MAX_WAITING) {
                return;
            }
            self.decided = true;
            self.decide(clocks, out);
            self.release(out);
            return;
        }
        // Tracks whose first access unit came after the decision.
        if self.tracks.iter().any(|t| t.offset.is_none()) {
            self.decide(clocks, out);
            self.release(out);
        }
        self.report_late(clocks, out);
    }

    /// Offsets every track not yet aligned whose media time zero is
    /// known (the reference is zero).
    fn decide(&mut self, clocks: &[TrackClock], out: &mut Out<'_>) {
        let reference_id = self.tracks.get(self.reference).map_or(0, |t| t.id);
        let reference = clocks.iter().find(|c| c.id == reference_id).copied();
        for t in &mut self.tracks {
            if t.offset.is_some() {
                continue;
            }
            let Some(c) = clocks.iter().find(|c| c.id == t.id) else {
                continue;
            };
            if c.origin.is_none() {
                continue;
            }
            let by_reports = reference
                .filter(|_| t.id != reference_id)
                .and_then(|r| sender_report_offset(c, &r));
            let (offset, by) = match by_reports {
                Some(o) => (o, AlignedBy::SenderReports),
                None if t.id == reference_id => (0, AlignedBy::Reference),
                None => (0, AlignedBy::FirstPackets),
            };
            t.offset = Some((offset, by));
            t.late_reported = by != AlignedBy::FirstPackets;
            out.event(ServerEvent::TrackAligned {
                track_id: t.id,
                reference: reference_id,
                offset: MediaTime::new(offset, c.timescale),
                by,
            });
            if let Some((media, unix)) = t.wall_clock.take() {
                out.event(ServerEvent::WallClock {
                    track_id: t.id,
                    media: MediaTime::new(media.ticks().saturating_add(offset), media.timescale()),
                    unix,
                });
            }
        }
    }

    /// The waiting samples of the tracks now aligned, in time order
    /// across tracks (each track's own order kept).
    fn release(&mut self, out: &mut Out<'_>) {
        loop {
            // The track whose next waiting sample is earliest on the
            // common timeline; a codec change goes with its sample.
            let mut best: Option<(usize, i128)> = None;
            for (i, t) in self.tracks.iter().enumerate() {
                let Some((offset, _)) = t.offset else {
                    continue;
                };
                let Some(time) = t.waiting.iter().find_map(|r| match r {
                    Recorded::Sample(s) => Some(
                        i128::from(s.dts.saturating_add(offset)) * 1_000_000_000
                            / i128::from(s.timescale.hz().max(1)),
                    ),
                    Recorded::TrackChanged(_) => None,
                }) else {
                    continue;
                };
                if best.is_none_or(|(_, b)| time < b) {
                    best = Some((i, time));
                }
            }
            let Some((i, _)) = best else { break };
            let Some(t) = self.tracks.get_mut(i) else {
                break;
            };
            let offset = t.offset.map_or(0, |o| o.0);
            while let Some(r) = t.waiting.pop_front() {
                self.waiting = self.waiting.saturating_sub(1);
                let sample = matches!(r, Recorded::Sample(_));
                out.recorded(shifted(r, offset));
                if sample {
                    break;
                }
            }
        }
        // Changes with no sample after them yet.
        for t in &mut self.tracks {
            if t.offset.is_some() {
                while let Some(r) = t.waiting.pop_front() {
                    self.waiting = self.waiting.saturating_sub(1);
                    out.recorded(r);
                }
            }
        }
    }

    /// Reports, once per track, a sender report that puts a track aligned
    /// by its first packets elsewhere than where it is.
    fn report_late(&mut self, clocks: &[TrackClock], out: &mut Out<'_>) {
        let Some(reference) = self
            .tracks
            .get(self.reference)
            .and_then(|t| clocks.iter().find(|c| c.id == t.id))
        else {
            return;
        };
        for t in &mut self.tracks {
            if t.late_reported || t.id == reference.id {
                continue;
            }
            let Some((used, _)) = t.offset else { continue };
            let Some(c) = clocks.iter().find(|c| c.id == t.id) else {
                continue;
            };
            if let Some(by_reports) = sender_report_offset(c, reference) {
                t.late_reported = true;
                out.event(ServerEvent::LateSenderReport {
                    track_id: t.id,
                    offset: MediaTime::new(used, c.timescale),
                    by_sender_reports: MediaTime::new(by_reports, c.timescale),
                });
            }
        }
    }
}

/// A recorded sample moved `offset` ticks on (a change as it is).
fn shifted(recorded: Recorded, offset: i64) -> Recorded {
    match recorded {
        Recorded::Sample(mut s) => {
            s.dts = s.dts.saturating_add(offset);
            Recorded::Sample(s)
        }
        change => change,
    }
}

/// Where aligned samples and events go: the connection's queues.
pub(crate) struct Out<'a> {
    /// Samples and codec changes, in order.
    pub(crate) samples: &'a mut VecDeque<Recorded>,
    /// Events.
    pub(crate) events: &'a mut VecDeque<ServerEvent>,
}

impl Out<'_> {
    fn recorded(&mut self, r: Recorded) {
        match r {
            Recorded::TrackChanged(track) => push_change(self.samples, track),
            sample if self.samples.len() < MAX_SAMPLES => self.samples.push_back(sample),
            Recorded::Sample(_) => {}
        }
    }

    fn event(&mut self, e: ServerEvent) {
        if self.events.len() < MAX_EVENTS {
            self.events.push_back(e);
        }
    }
}
