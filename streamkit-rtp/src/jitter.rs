//! A jitter buffer: puts received RTP packets back in sequence order and
//! decides when a missing packet is lost. Sans-IO: time is the caller's
//! [`Instant`], passed to every call.
//!
//! The contract, in the shape of every streamkit state machine:
//!
//! 1. [`JitterBuffer::push`] each received packet with `now`, the time it
//!    arrived.
//! 2. Call [`JitterBuffer::poll_packet`] until it returns `None`. It gives
//!    [`Released::Packet`] in sequence order (across the 16-bit wrap) and
//!    [`Released::Lost`] for each run of sequence numbers it gave up on, at
//!    the place in the order where they were missing.
//! 3. Wake up at [`JitterBuffer::poll_timeout`] (or at the next push), call
//!    [`JitterBuffer::handle_timeout`] with `now` and poll again.
//! 4. At the end of the stream, [`JitterBuffer::finish`] and poll once more:
//!    everything held comes out, the gaps between reported lost.
//!
//! A packet that arrives in order is released at once. When one is missing,
//! the packets after it wait; the gap is declared lost when the packet that
//! has been waiting longest has waited the configured latency, so no packet
//! is held longer than that.
//!
//! Duplicates of a held or already released packet are dropped and counted;
//! so is a packet that arrives after its slot was given up (`late`).
//!
//! Memory is bounded and allocated once: the buffer is a ring of
//! [`JitterConfig::capacity`] slots covering the sequence numbers from the
//! next one to release on, so it holds at most that many packets and a
//! held packet never costs an allocation. A packet beyond that window is
//! refused and counted in `overflow`, and the buffer stops waiting: the
//! next polls release what it holds at once, reporting the gaps between as
//! lost. A packet beyond the window of an empty buffer (the sender jumped
//! ahead) is taken, and everything between is reported lost.
//!
//! ```
//! use std::time::{Duration, Instant};
//! use streamkit_core::time::SequenceNumber;
//! use streamkit_rtp::jitter::{JitterBuffer, JitterConfig, Released};
//!
//! # #[allow(clippy::disallowed_methods)] // the example needs a starting instant
//! let t0 = Instant::now();
//! let mut jb = JitterBuffer::new(JitterConfig { latency: Duration::from_millis(50), capacity: 64 });
//! jb.push(t0, SequenceNumber::new(65_535));
//! jb.push(t0, SequenceNumber::new(1)); // 0 is missing
//! assert_eq!(jb.poll_packet(), Some(Released::Packet(SequenceNumber::new(65_535))));
//! assert_eq!(jb.poll_packet(), None); // waiting for 0
//! let wake = jb.poll_timeout().unwrap();
//! assert_eq!(wake, t0 + Duration::from_millis(50));
//! jb.handle_timeout(wake);
//! assert_eq!(jb.poll_packet(), Some(Released::Lost { first: SequenceNumber::new(0), count: 1 }));
//! assert_eq!(jb.poll_packet(), Some(Released::Packet(SequenceNumber::new(1))));
//! assert_eq!(jb.poll_packet(), None);
//! jb.push(wake, SequenceNumber::new(3)); // 2 is missing, and the stream ends
//! jb.finish();
//! assert_eq!(jb.poll_packet(), Some(Released::Lost { first: SequenceNumber::new(2), count: 1 }));
//! assert_eq!(jb.poll_packet(), Some(Released::Packet(SequenceNumber::new(3))));
//! assert_eq!(jb.stats().lost, 2);
//! ```

use std::time::{Duration, Instant};

use streamkit_core::time::{Extender, SequenceNumber, Wrapping};

/// Anything with an RTP sequence number: the buffer's element type.
pub trait Sequenced {
    /// The packet's sequence number.
    fn sequence_number(&self) -> SequenceNumber;
}

impl Sequenced for SequenceNumber {
    fn sequence_number(&self) -> SequenceNumber {
        *self
    }
}

impl Sequenced for crate::packet::RtpPacket {
    fn sequence_number(&self) -> SequenceNumber {
        crate::packet::RtpPacket::sequence_number(self)
    }
}

/// How long to wait for a missing packet and how many packets to hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JitterConfig {
    /// The longest a packet waits for the packets before it.
    pub latency: Duration,
    /// The most packets held at once (at least 1).
    pub capacity: usize,
}

impl Default for JitterConfig {
    /// 200 ms and 1024 packets.
    fn default() -> Self {
        JitterConfig {
            latency: Duration::from_millis(200),
            capacity: 1024,
        }
    }
}

/// What [`JitterBuffer::poll_packet`] gives, in sequence order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Released<P> {
    /// The next packet.
    Packet(P),
    /// `count` packets from `first` on (wrapping) were given up.
    Lost {
        /// The first missing sequence number.
        first: SequenceNumber,
        /// How many consecutive sequence numbers are missing.
        count: u64,
    },
}

/// What became of a pushed packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PushOutcome {
    /// Held for release.
    Accepted,
    /// A copy of a packet held or already released: dropped.
    Duplicate,
    /// Its slot was already given up (or is too far behind to tell):
    /// dropped.
    Late,
    /// The buffer was full: dropped (see the module docs).
    Overflow,
}

/// Counters since the buffer was made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct JitterStats {
    /// Packets accepted.
    pub accepted: u64,
    /// Packets released by `poll_packet`.
    pub released: u64,
    /// Sequence numbers declared lost.
    pub lost: u64,
    /// Duplicates dropped.
    pub duplicates: u64,
    /// Packets dropped because their slot had been given up.
    pub late: u64,
    /// Packets refused because the buffer was full.
    pub overflow: u64,
}

/// How many recent slots remember whether they were released or given up,
/// to tell a duplicate from a late packet.
const HISTORY: i64 = 1024;

/// The largest capacity: half the sequence number space.
const MAX_CAPACITY: usize = 1 << 15;

struct Slot<P> {
    packet: P,
    arrival: Instant,
}

/// The jitter buffer; see the [module docs](self) for the contract.
pub struct JitterBuffer<P> {
    config: JitterConfig,
    extender: Extender<SequenceNumber>,
    /// The ring: extended sequence number `e` lives at `e mod capacity`,
    /// for `next <= e < next + capacity`.
    slots: Vec<Option<Slot<P>>>,
    /// Packets held.
    held: usize,
    /// The highest extended sequence number held (meaningful when
    /// `held > 0`).
    highest: i64,
    /// The extended sequence number released next; `None` before the first
    /// packet.
    next: Option<i64>,
    /// `true` once anything was released or given up.
    started: bool,
    /// Release what is held without waiting (after an overflow).
    flush: bool,
    /// A lost range decided in `push` (a jump ahead), reported first.
    pending_lost: Option<(i64, u64)>,
    /// The last push's time, for `poll_timeout` while a report is pending.
    last_push: Option<Instant>,
    /// The latest `now` given to `push` or `handle_timeout`.
    now: Option<Instant>,
    /// Bit `ext mod HISTORY` set: released; clear: given up.
    history: [u64; (HISTORY / 64) as usize],
    stats: JitterStats,
}

impl<P: Sequenced> JitterBuffer<P> {
    /// An empty buffer; its ring of `config.capacity` slots (clamped to
    /// 1..=32768) is allocated here, once.
    #[must_use]
    pub fn new(config: JitterConfig) -> JitterBuffer<P> {
        let capacity = config.capacity.clamp(1, MAX_CAPACITY);
        JitterBuffer {
            config: JitterConfig { capacity, ..config },
            extender: Extender::new(),
            slots: (0..capacity).map(|_| None).collect(),
            held: 0,
            highest: 0,
            next: None,
            started: false,
            flush: false,
            pending_lost: None,
            last_push: None,
            now: None,
            history: [0; (HISTORY / 64) as usize],
            stats: JitterStats::default(),
        }
    }

    /// The configuration (with the capacity as clamped).
    #[must_use]
    pub fn config(&self) -> JitterConfig {
        self.config
    }

    /// Counters.
    #[must_use]
    pub fn stats(&self) -> JitterStats {
        self.stats
    }

    /// Packets held now.
    #[must_use]
    pub fn len(&self) -> usize {
        self.held
    }

    /// `true` when no packet is held.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.held == 0
    }

    fn window(&self) -> i64 {
        self.slots.len() as i64
    }

    fn index(&self, ext: i64) -> usize {
        ext.rem_euclid(self.window()) as usize
    }

    fn history_index(ext: i64) -> (usize, u64) {
        let i = ext.rem_euclid(HISTORY);
        ((i / 64) as usize, 1u64 << (i % 64))
    }

    fn remember(&mut self, ext: i64, released: bool) {
        let (word, bit) = Self::history_index(ext);
        if let Some(w) = self.history.get_mut(word) {
            if released {
                *w |= bit;
            } else {
                *w &= !bit;
            }
        }
    }

    fn was_released(&self, ext: i64) -> bool {
        let (word, bit) = Self::history_index(ext);
        self.history.get(word).is_some_and(|w| w & bit != 0)
    }

    /// Marks `from..to` given up and moves the release point to `to`.
    fn give_up(&mut self, from: i64, to: i64) -> (i64, u64) {
        let count = (to - from) as u64;
        // Remember at most HISTORY of them; older bits are never consulted.
        for ext in from.max(to - HISTORY)..to {
            self.remember(ext, false);
        }
        self.next = Some(to);
        self.started = true;
        self.stats.lost += count;
        (from, count)
    }

    /// The earliest held packet after `next`, if any.
    fn first_held_after(&self, next: i64) -> Option<i64> {
        if self.held == 0 {
            return None;
        }
        (next + 1..=self.highest)
            .find(|&e| self.slots.get(self.index(e)).is_some_and(Option::is_some))
    }

    /// When the packet held longest arrived.
    fn oldest_arrival(&self) -> Option<Instant> {
        let next = self.next?;
        if self.held == 0 {
            return None;
        }
        (next..=self.highest)
            .filter_map(|e| self.slots.get(self.index(e)).and_then(Option::as_ref))
            .map(|s| s.arrival)
            .min()
    }

    fn advance(&mut self, now: Instant) {
        self.now = Some(self.now.map_or(now, |t| t.max(now)));
    }

    /// Takes a received packet; `now` is its arrival time (and the
    /// buffer's clock from here on).
    pub fn push(&mut self, now: Instant, packet: P) -> PushOutcome {
        self.advance(now);
        self.last_push = Some(now);
        let ext = self.extender.extend(packet.sequence_number());
        let window = self.window();
        let next = match self.next {
            None => {
                self.next = Some(ext);
                ext
            }
            Some(n)
                if ext < n
                    && !self.started
                    && n - ext < HISTORY
                    && (self.held == 0 || self.highest - ext < window) =>
            {
                // Nothing released yet: an earlier packet moves the start back.
                self.next = Some(ext);
                ext
            }
            Some(n) => n,
        };
        if ext < next {
            if next - ext <= HISTORY && self.was_released(ext) {
                self.stats.duplicates += 1;
                return PushOutcome::Duplicate;
            }
            self.stats.late += 1;
            return PushOutcome::Late;
        }
        if ext - next >= window {
            if self.held > 0 {
                self.stats.overflow += 1;
                self.flush = true;
                return PushOutcome::Overflow;
            }
            // Empty, and the sender jumped ahead: give up everything between.
            let (from, count) = self.give_up(next, ext);
            self.pending_lost = Some(match self.pending_lost {
                Some((first, c)) if first + c as i64 == from => (first, c + count),
                _ => (from, count),
            });
        }
        let index = self.index(ext);
        let Some(slot) = self.slots.get_mut(index) else {
            return PushOutcome::Overflow;
        };
        if slot.is_some() {
            self.stats.duplicates += 1;
            return PushOutcome::Duplicate;
        }
        *slot = Some(Slot {
            packet,
            arrival: now,
        });
        self.highest = if self.held == 0 {
            ext
        } else {
            self.highest.max(ext)
        };
        self.held += 1;
        self.stats.accepted += 1;
        PushOutcome::Accepted
    }

    /// Moves the buffer's clock to `now`: a wait that is over releases the
    /// packets after the gap at the next polls. Early calls do nothing.
    pub fn handle_timeout(&mut self, now: Instant) {
        self.advance(now);
    }

    /// The stream ended: stop waiting for missing packets; the next polls
    /// release everything held, reporting the gaps between as lost. A
    /// second call does nothing; packets pushed afterwards are taken as
    /// usual (and released without waiting until the buffer is empty).
    pub fn finish(&mut self) {
        if self.held > 0 {
            self.flush = true;
        }
    }

    /// Checks the buffer's internal invariants (for fuzzing and tests);
    /// panics when one is broken.
    #[doc(hidden)]
    pub fn check_invariants(&self) {
        let occupied = self.slots.iter().filter(|s| s.is_some()).count();
        assert_eq!(occupied, self.held, "held count and occupied slots");
        assert!(self.held <= self.slots.len(), "more held than slots");
        assert_eq!(
            self.stats.accepted - self.stats.released,
            self.held as u64,
            "accepted = released + held"
        );
        if self.held > 0 {
            let next = self.next.unwrap_or(self.highest);
            assert!(
                self.highest >= next && self.highest - next < self.window(),
                "held packets outside the window"
            );
        }
    }

    /// The next packet or lost range in sequence order, or `None` when the
    /// next packet is missing and the wait for it is not over at the
    /// buffer's clock (the latest `now` of a push or a timeout).
    #[must_use]
    pub fn poll_packet(&mut self) -> Option<Released<P>> {
        if let Some((first, count)) = self.pending_lost.take() {
            return Some(Released::Lost {
                first: SequenceNumber::from_truncated(first as u64),
                count,
            });
        }
        let next = self.next?;
        let index = self.index(next);
        if let Some(slot) = self.slots.get_mut(index).and_then(Option::take) {
            self.held -= 1;
            if self.held == 0 {
                self.flush = false;
            }
            self.remember(next, true);
            self.next = Some(next + 1);
            self.started = true;
            self.stats.released += 1;
            return Some(Released::Packet(slot.packet));
        }
        if !self.flush {
            let deadline = self.oldest_arrival()? + self.config.latency;
            if self.now.is_none_or(|now| now < deadline) {
                return None;
            }
        }
        let first_held = self.first_held_after(next)?;
        let (first, count) = self.give_up(next, first_held);
        Some(Released::Lost {
            first: SequenceNumber::from_truncated(first as u64),
            count,
        })
    }

    /// When to call [`handle_timeout`](JitterBuffer::handle_timeout) (and
    /// poll) next if nothing is pushed before: the moment the current gap
    /// will be given up, or a past instant when something is ready now
    /// (after `poll_packet` returned `None` that does not happen); `None`
    /// when nothing is held.
    #[must_use]
    pub fn poll_timeout(&self) -> Option<Instant> {
        if self.pending_lost.is_some() {
            return self.last_push;
        }
        let next = self.next?;
        if let Some(slot) = self.slots.get(self.index(next)).and_then(Option::as_ref) {
            return Some(slot.arrival);
        }
        let oldest = self.oldest_arrival()?;
        Some(if self.flush {
            oldest
        } else {
            oldest + self.config.latency
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seq(v: u16) -> SequenceNumber {
        SequenceNumber::new(v)
    }

    fn drain(jb: &mut JitterBuffer<SequenceNumber>, now: Instant) -> Vec<Released<SequenceNumber>> {
        jb.handle_timeout(now);
        core::iter::from_fn(|| jb.poll_packet()).collect()
    }

    #[allow(clippy::disallowed_methods)] // the tests' virtual clock starts at a real instant
    fn t0() -> Instant {
        Instant::now()
    }

    const MS: Duration = Duration::from_millis(1);

    #[test]
    fn reorders_across_the_wrap() {
        let t = t0();
        let mut jb = JitterBuffer::new(JitterConfig {
            latency: 100 * MS,
            capacity: 16,
        });
        for s in [65_534, 0, 65_535, 2, 1] {
            assert_eq!(jb.push(t, seq(s)), PushOutcome::Accepted);
        }
        let out = drain(&mut jb, t);
        let want: Vec<_> = [65_534, 65_535, 0, 1, 2]
            .into_iter()
            .map(|s| Released::Packet(seq(s)))
            .collect();
        assert_eq!(out, want);
        assert_eq!(jb.poll_timeout(), None);
    }

    #[test]
    fn gap_is_lost_after_latency_of_the_longest_waiting() {
        let t = t0();
        let mut jb = JitterBuffer::new(JitterConfig {
            latency: 100 * MS,
            capacity: 16,
        });
        jb.push(t, seq(10));
        assert_eq!(drain(&mut jb, t), [Released::Packet(seq(10))]);
        jb.push(t + 10 * MS, seq(14));
        jb.push(t + 20 * MS, seq(13));
        assert_eq!(drain(&mut jb, t + 20 * MS), []);
        assert_eq!(jb.poll_timeout(), Some(t + 110 * MS));
        assert_eq!(drain(&mut jb, t + 109 * MS), []);
        jb.push(t + 109 * MS, seq(11));
        assert_eq!(drain(&mut jb, t + 109 * MS), [Released::Packet(seq(11))]);
        assert_eq!(
            drain(&mut jb, t + 110 * MS),
            [
                Released::Lost {
                    first: seq(12),
                    count: 1
                },
                Released::Packet(seq(13)),
                Released::Packet(seq(14)),
            ]
        );
        // 12 arrives after its slot was given up; 13 again is a duplicate.
        assert_eq!(jb.push(t + 120 * MS, seq(12)), PushOutcome::Late);
        assert_eq!(jb.push(t + 120 * MS, seq(13)), PushOutcome::Duplicate);
        assert_eq!(jb.push(t + 120 * MS, seq(15)), PushOutcome::Accepted);
        assert_eq!(jb.push(t + 120 * MS, seq(15)), PushOutcome::Duplicate);
        let s = jb.stats();
        assert_eq!(
            (
                s.accepted,
                s.released,
                s.lost,
                s.duplicates,
                s.late,
                s.overflow
            ),
            (5, 4, 1, 2, 1, 0)
        );
    }

    #[test]
    fn earlier_first_packets_move_the_start_back() {
        let t = t0();
        let mut jb = JitterBuffer::new(JitterConfig::default());
        jb.push(t, seq(5));
        jb.push(t, seq(3));
        jb.push(t, seq(4));
        assert_eq!(
            drain(&mut jb, t),
            [3, 4, 5].map(|s| Released::Packet(seq(s)))
        );
    }

    #[test]
    fn beyond_the_window_refuses_and_flushes() {
        let t = t0();
        let mut jb = JitterBuffer::new(JitterConfig {
            latency: Duration::from_secs(10),
            capacity: 4,
        });
        jb.push(t, seq(0));
        assert_eq!(drain(&mut jb, t), [Released::Packet(seq(0))]);
        for s in [2, 4, 3] {
            assert_eq!(jb.push(t, seq(s)), PushOutcome::Accepted);
        }
        assert_eq!(jb.len(), 3);
        // The window is 1..=4: 5 does not fit.
        assert_eq!(jb.push(t, seq(5)), PushOutcome::Overflow);
        assert_eq!(jb.len(), 3);
        assert_eq!(jb.poll_timeout(), Some(t));
        assert_eq!(
            drain(&mut jb, t),
            [
                Released::Lost {
                    first: seq(1),
                    count: 1
                },
                Released::Packet(seq(2)),
                Released::Packet(seq(3)),
                Released::Packet(seq(4)),
            ]
        );
        // 5 was refused, so it is now a gap like any other.
        assert_eq!(jb.push(t, seq(7)), PushOutcome::Accepted);
        assert_eq!(jb.poll_timeout(), Some(t + Duration::from_secs(10)));
        assert_eq!(jb.stats().overflow, 1);
        assert_eq!(jb.stats().lost, 1);
    }

    #[test]
    fn full_of_ready_packets_refuses_without_losing_any() {
        let t = t0();
        let mut jb = JitterBuffer::new(JitterConfig {
            latency: 10 * MS,
            capacity: 2,
        });
        jb.push(t, seq(0));
        jb.push(t, seq(1));
        assert_eq!(jb.push(t, seq(2)), PushOutcome::Overflow);
        assert_eq!(
            drain(&mut jb, t),
            [Released::Packet(seq(0)), Released::Packet(seq(1))]
        );
        assert_eq!(jb.stats().lost, 0);
    }

    #[test]
    fn a_jump_ahead_of_an_empty_buffer_resynchronizes() {
        let t = t0();
        let mut jb = JitterBuffer::new(JitterConfig {
            latency: 10 * MS,
            capacity: 4,
        });
        jb.push(t, seq(65_000));
        assert_eq!(drain(&mut jb, t), [Released::Packet(seq(65_000))]);
        assert_eq!(jb.push(t, seq(464)), PushOutcome::Accepted);
        assert_eq!(jb.poll_timeout(), Some(t));
        assert_eq!(
            drain(&mut jb, t),
            [
                Released::Lost {
                    first: seq(65_001),
                    count: 999
                },
                Released::Packet(seq(464)),
            ]
        );
        assert_eq!(jb.stats().lost, 999);
        assert_eq!(jb.push(t, seq(465)), PushOutcome::Accepted);
        assert_eq!(jb.push(t, seq(300)), PushOutcome::Late);
    }

    #[test]
    fn capacity_is_clamped() {
        let jb = JitterBuffer::<SequenceNumber>::new(JitterConfig {
            latency: MS,
            capacity: 0,
        });
        assert_eq!(jb.config().capacity, 1);
        let jb = JitterBuffer::<SequenceNumber>::new(JitterConfig {
            latency: MS,
            capacity: usize::MAX,
        });
        assert_eq!(jb.config().capacity, 1 << 15);
    }

    #[test]
    fn very_old_packet_is_late() {
        let t = t0();
        let mut jb = JitterBuffer::new(JitterConfig::default());
        for s in 0..3000u16 {
            jb.push(t, seq(s));
            let _ = drain(&mut jb, t);
        }
        assert_eq!(jb.push(t, seq(10)), PushOutcome::Late);
        assert_eq!(jb.push(t, seq(2990)), PushOutcome::Duplicate);
    }
}
