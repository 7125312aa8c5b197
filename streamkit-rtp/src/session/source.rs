//! What the receiver keeps per source: the statistics of RFC 3550
//! appendix A.1 (sequence validation, loss, jitter), duplicates, and the
//! NACKs waiting.

use std::collections::BTreeMap;
use std::time::Instant;

use streamkit_core::time::{Extender, SequenceNumber, Wrapping};

/// `RTP_SEQ_MOD` of appendix A.1.
const RTP_SEQ_MOD: u32 = 1 << 16;
/// `MAX_DROPOUT` of appendix A.1: the largest forward jump taken as loss.
pub const MAX_DROPOUT: u16 = 3000;
/// `MAX_MISORDER` of appendix A.1: the furthest back a packet may be and
/// still count as reordered.
pub const MAX_MISORDER: u16 = 100;
/// `MIN_SEQUENTIAL` of appendix A.1: in-order packets before a source is
/// valid.
pub const MIN_SEQUENTIAL: u32 = 2;
/// How many recent sequence numbers of each source are remembered to spot
/// duplicates.
const DUPLICATE_WINDOW: i64 = 1024;

/// The per-source state of RFC 3550 appendix A.1, field for field, with
/// `update_seq` (A.1), the loss computation (A.3) and the jitter estimate
/// (A.8).
///
/// The one departure from the C code: `seq == max_seq + 1` is computed
/// modulo 2^16, so a source may also become valid across the wrap.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SourceState {
    /// Highest sequence number seen.
    pub max_seq: u16,
    /// Shifted count of sequence number cycles (multiples of 2^16).
    pub cycles: u32,
    /// Base sequence number.
    pub base_seq: u32,
    /// Last "bad" sequence number plus one.
    pub bad_seq: u32,
    /// Sequential packets still needed before the source is valid.
    pub probation: u32,
    /// Packets received.
    pub received: u32,
    /// Packets expected at the last report.
    pub expected_prior: u32,
    /// Packets received at the last report.
    pub received_prior: u32,
    /// Relative transit time of the previous packet.
    pub transit: u32,
    /// Interarrival jitter estimate, times 16 (the integer form of A.8).
    pub jitter: u32,
}

impl SourceState {
    /// A source first heard with sequence number `seq`, on probation
    /// (appendix A.1: `init_seq(s, seq); s->max_seq = seq - 1;
    /// s->probation = MIN_SEQUENTIAL`).
    #[must_use]
    pub fn new(seq: u16) -> SourceState {
        let mut s = SourceState {
            max_seq: 0,
            cycles: 0,
            base_seq: 0,
            bad_seq: 0,
            probation: 0,
            received: 0,
            expected_prior: 0,
            received_prior: 0,
            transit: 0,
            jitter: 0,
        };
        s.init_seq(seq);
        s.max_seq = seq.wrapping_sub(1);
        s.probation = MIN_SEQUENTIAL;
        s
    }

    /// `init_seq()` of appendix A.1.
    pub fn init_seq(&mut self, seq: u16) {
        self.base_seq = u32::from(seq);
        self.max_seq = seq;
        self.bad_seq = RTP_SEQ_MOD + 1;
        self.cycles = 0;
        self.received = 0;
        self.received_prior = 0;
        self.expected_prior = 0;
    }

    /// `update_seq()` of appendix A.1: `true` when the packet is valid and
    /// counted.
    pub fn update_seq(&mut self, seq: u16) -> bool {
        let udelta = seq.wrapping_sub(self.max_seq);
        if self.probation > 0 {
            if seq == self.max_seq.wrapping_add(1) {
                self.probation -= 1;
                self.max_seq = seq;
                if self.probation == 0 {
                    self.init_seq(seq);
                    self.received += 1;
                    return true;
                }
            } else {
                self.probation = MIN_SEQUENTIAL - 1;
                self.max_seq = seq;
            }
            return false;
        } else if udelta < MAX_DROPOUT {
            if seq < self.max_seq {
                self.cycles = self.cycles.wrapping_add(RTP_SEQ_MOD);
            }
            self.max_seq = seq;
        } else if u32::from(udelta) <= RTP_SEQ_MOD - u32::from(MAX_MISORDER) {
            if u32::from(seq) == self.bad_seq {
                self.init_seq(seq);
            } else {
                self.bad_seq = (u32::from(seq) + 1) & (RTP_SEQ_MOD - 1);
                return false;
            }
        } else {
            // duplicate or reordered packet
        }
        self.received = self.received.wrapping_add(1);
        true
    }

    /// `extended_max = cycles + max_seq` (appendix A.3).
    #[must_use]
    pub fn extended_max(&self) -> u32 {
        self.cycles.wrapping_add(u32::from(self.max_seq))
    }

    /// `expected = extended_max - base_seq + 1` (appendix A.3).
    #[must_use]
    pub fn expected(&self) -> u32 {
        self.extended_max()
            .wrapping_sub(self.base_seq)
            .wrapping_add(1)
    }

    /// `lost = expected - received` (appendix A.3), unclamped.
    #[must_use]
    pub fn lost(&self) -> i64 {
        i64::from(self.expected()) - i64::from(self.received)
    }

    /// The fraction lost since the previous call, in 1/256, and the
    /// cumulative number lost clamped to 24 signed bits; moves the priors
    /// (appendix A.3).
    pub fn report_loss(&mut self) -> (u8, i32) {
        let expected = self.expected();
        let lost = self.lost().clamp(-0x80_0000, 0x7F_FFFF) as i32;
        let expected_interval = expected.wrapping_sub(self.expected_prior);
        self.expected_prior = expected;
        let received_interval = self.received.wrapping_sub(self.received_prior);
        self.received_prior = self.received;
        let lost_interval = i64::from(expected_interval) - i64::from(received_interval);
        let fraction = if expected_interval == 0 || lost_interval <= 0 {
            0
        } else {
            ((lost_interval << 8) / i64::from(expected_interval)).min(255) as u8
        };
        (fraction, lost)
    }

    /// The jitter update of appendix A.8 for a packet with RTP timestamp
    /// `timestamp` arriving at `arrival` (in the same clock's units):
    /// `transit = arrival - timestamp; d = |transit - s->transit|;
    /// s->jitter += d - ((s->jitter + 8) >> 4)`, saturating at `u32::MAX`
    /// instead of wrapping. With `first` the transit is only recorded.
    pub fn update_jitter(&mut self, arrival: u32, timestamp: u32, first: bool) {
        let transit = arrival.wrapping_sub(timestamp);
        if !first {
            let d = u64::from((transit.wrapping_sub(self.transit) as i32).unsigned_abs());
            // In 64 bits, then saturated: the C code's 32-bit estimate would
            // wrap once the jitter passes 2^28 timestamp units.
            let j = u64::from(self.jitter);
            let j = j + d - ((j + 8) >> 4);
            self.jitter = u32::try_from(j).unwrap_or(u32::MAX);
        }
        self.transit = transit;
    }

    /// The jitter in timestamp units, as a report block carries it.
    #[must_use]
    pub fn jitter(&self) -> u32 {
        self.jitter >> 4
    }
}

/// What a source's numbers look like to a reader.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SourceStatistics {
    /// `true` once the source passed probation.
    pub valid: bool,
    /// Packets received (duplicates excluded, see [`RtpReceiver`](super::RtpReceiver)).
    pub received: u32,
    /// Packets expected from the base to the extended highest sequence.
    pub expected: u32,
    /// Cumulative packets lost (`expected - received`, unclamped).
    pub cumulative_lost: i64,
    /// Extended highest sequence number.
    pub extended_highest_sequence: u32,
    /// Interarrival jitter in timestamp units.
    pub jitter: u32,
    /// Duplicates dropped before the statistics.
    pub duplicates: u64,
}

#[derive(Debug, Clone, Copy)]
pub(super) struct PendingNack {
    pub(super) retries: u32,
    pub(super) due: Instant,
}

/// One source heard by the receiver.
#[derive(Debug, Clone)]
pub struct Source {
    pub(super) state: Option<SourceState>,
    pub(super) extender: Extender<SequenceNumber>,
    pub(super) seen: [u64; (DUPLICATE_WINDOW / 64) as usize],
    pub(super) seen_top: Option<i64>,
    pub(super) duplicates: u64,
    pub(super) has_transit: bool,
    pub(super) heard_since_report: bool,
    pub(super) last_sr: Option<(u32, Instant)>,
    pub(super) nacks: BTreeMap<i64, PendingNack>,
    pub(super) last_heard: Instant,
}

impl Source {
    pub(super) fn new(now: Instant) -> Source {
        Source {
            state: None,
            extender: Extender::new(),
            seen: [0; (DUPLICATE_WINDOW / 64) as usize],
            seen_top: None,
            duplicates: 0,
            has_transit: false,
            heard_since_report: false,
            last_sr: None,
            nacks: BTreeMap::new(),
            last_heard: now,
        }
    }

    /// The appendix A.1 state, once an RTP packet was heard.
    #[must_use]
    pub fn state(&self) -> Option<&SourceState> {
        self.state.as_ref()
    }

    /// The numbers so far.
    #[must_use]
    pub fn statistics(&self) -> SourceStatistics {
        match &self.state {
            None => SourceStatistics {
                duplicates: self.duplicates,
                ..SourceStatistics::default()
            },
            Some(s) if s.probation > 0 => SourceStatistics {
                duplicates: self.duplicates,
                ..SourceStatistics::default()
            },
            Some(s) => SourceStatistics {
                valid: true,
                received: s.received,
                expected: s.expected(),
                cumulative_lost: s.lost(),
                extended_highest_sequence: s.extended_max(),
                jitter: s.jitter(),
                duplicates: self.duplicates,
            },
        }
    }

    /// Sequence numbers waiting for a NACK or a retry.
    pub fn missing(&self) -> impl Iterator<Item = SequenceNumber> + '_ {
        self.nacks
            .keys()
            .map(|&e| SequenceNumber::from_truncated(e as u64))
    }

    fn bit(ext: i64) -> (usize, u64) {
        let i = ext.rem_euclid(DUPLICATE_WINDOW);
        ((i / 64) as usize, 1 << (i % 64))
    }

    /// Marks `ext` seen; `true` when it already was.
    pub(super) fn check_duplicate(&mut self, ext: i64) -> bool {
        let top = self.seen_top.unwrap_or(ext);
        if ext > top {
            // Forget the slots the window slides over.
            if ext - top >= DUPLICATE_WINDOW {
                self.seen = [0; (DUPLICATE_WINDOW / 64) as usize];
            } else {
                for e in top + 1..=ext {
                    let (w, b) = Self::bit(e);
                    if let Some(word) = self.seen.get_mut(w) {
                        *word &= !b;
                    }
                }
            }
            self.seen_top = Some(ext);
        } else if self.seen_top.is_none() {
            self.seen_top = Some(ext);
        } else if top - ext >= DUPLICATE_WINDOW {
            return false;
        }
        let (w, b) = Self::bit(ext);
        match self.seen.get_mut(w) {
            Some(word) if *word & b != 0 => true,
            Some(word) => {
                *word |= b;
                false
            }
            None => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn probation_then_valid() {
        let mut s = SourceState::new(1000);
        assert_eq!((s.max_seq, s.probation), (999, 2));
        assert!(!s.update_seq(1000));
        assert_eq!((s.max_seq, s.probation), (1000, 1));
        assert!(s.update_seq(1001));
        assert_eq!(
            (s.base_seq, s.max_seq, s.received, s.probation),
            (1001, 1001, 1, 0)
        );
        assert_eq!(s.bad_seq, RTP_SEQ_MOD + 1);
        // Out of order during probation restarts it.
        let mut p = SourceState::new(10);
        assert!(!p.update_seq(10));
        assert!(!p.update_seq(12));
        assert_eq!((p.probation, p.max_seq), (1, 12));
        assert!(p.update_seq(13));
        assert_eq!(p.base_seq, 13);
    }

    #[test]
    fn cycles_extended_max_and_loss() {
        let mut s = SourceState::new(65_533);
        s.update_seq(65_533);
        s.update_seq(65_534); // valid, base 65534
        for seq in [65_535u16, 0, 1, 3, 4, 2] {
            assert!(s.update_seq(seq));
        }
        assert_eq!(s.cycles, 65_536);
        assert_eq!(s.extended_max(), 65_536 + 4);
        assert_eq!(s.expected(), 65_540 - 65_534 + 1);
        assert_eq!(s.received, 7);
        assert_eq!(s.lost(), 0);
        // Skip 5..=9: five lost out of ten expected in this interval.
        let (f, l) = s.report_loss();
        assert_eq!((f, l), (0, 0));
        for seq in [10u16, 11, 12, 13, 14] {
            assert!(s.update_seq(seq));
        }
        let (f, l) = s.report_loss();
        // expected_interval = 10, received_interval = 5: 5 * 256 / 10 = 128.
        assert_eq!((f, l), (128, 5));
        assert_eq!((s.expected_prior, s.received_prior), (17, 12));
        // Nothing new: fraction 0, cumulative unchanged.
        assert_eq!(s.report_loss(), (0, 5));
    }

    #[test]
    fn dropout_and_misorder_limits() {
        let mut s = SourceState::new(100);
        s.update_seq(100);
        s.update_seq(101);
        // A jump of 2999 is taken as loss.
        assert!(s.update_seq(101 + 2_999));
        assert_eq!(s.max_seq, 3_100);
        // A jump of 3000 is "very large": not counted, bad_seq set.
        assert!(!s.update_seq(6_100));
        assert_eq!(s.bad_seq, 6_101);
        // ... unless the next packet confirms it: the source restarts.
        assert!(s.update_seq(6_101));
        assert_eq!(
            (s.base_seq, s.max_seq, s.received, s.cycles),
            (6_101, 6_101, 1, 0)
        );
        // 99 behind is a reordering, counted; 100 behind is a jump.
        assert!(s.update_seq(6_002));
        assert_eq!(s.received, 2);
        assert!(!s.update_seq(6_001));
        assert_eq!(s.bad_seq, 6_002);
    }

    #[test]
    fn jitter_exact_integer_form() {
        let mut s = SourceState::new(0);
        // Packets stamped 3000 apart at 90 kHz; arrivals 3000, then 3160
        // (160 late), then back on schedule.
        s.update_jitter(3_000, 0, true);
        assert_eq!(s.jitter, 0);
        s.update_jitter(6_160, 3_000, false); // d = 160
        assert_eq!(s.jitter, 160);
        assert_eq!(s.jitter(), 10);
        s.update_jitter(9_000, 6_000, false); // d = 160
        // 160 + 160 - ((160 + 8) >> 4) = 320 - 10 = 310
        assert_eq!(s.jitter, 310);
        s.update_jitter(12_000, 9_000, false); // d = 0
        // 310 - ((310 + 8) >> 4) = 310 - 19 = 291
        assert_eq!(s.jitter, 291);
        assert_eq!(s.jitter(), 18);
        // Transit jumping by 2^31 - 1 each packet saturates, never wraps.
        let mut big = SourceState::new(0);
        big.update_jitter(0, 0, true);
        for k in 1..200u32 {
            let transit = if k % 2 == 1 { i32::MAX as u32 } else { 0 };
            big.update_jitter(transit, 0, false);
        }
        assert_eq!(big.jitter, u32::MAX);
    }

    #[test]
    fn duplicates_are_not_counted() {
        #[allow(clippy::disallowed_methods)] // any instant: the window does not look at time
        let mut src = Source::new(Instant::now());
        assert!(!src.check_duplicate(5));
        assert!(src.check_duplicate(5));
        assert!(!src.check_duplicate(3));
        assert!(!src.check_duplicate(5 + DUPLICATE_WINDOW));
        // 5 slid out of the window and was forgotten.
        assert!(!src.check_duplicate(5 + DUPLICATE_WINDOW - 1));
        assert!(src.check_duplicate(5 + DUPLICATE_WINDOW));
    }
}
