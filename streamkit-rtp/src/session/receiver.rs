//! The receiving side of an RTP session: RFC 3550 appendix A statistics,
//! receiver reports and NACKs.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::time::{Duration, Instant};

use bytes::Bytes;
use streamkit_core::time::{Extender, MediaTime, Rounding, SequenceNumber, Timescale, Wrapping};

use super::{
    MAX_MEMBERS, MEMBER_TIMEOUT_INTERVALS, RtcpSchedule, SessionError, SplitMix64, goodbye,
    to_65536ths,
};
use crate::packet::RtpPacket;
use crate::rtcp::{
    GenericNack, NtpTimestamp, PictureLossIndication, ReceiverReport, ReportBlock, RtcpPacket,
    SdesChunk, SdesItem, SourceDescription, parse_compound, write_compound,
};

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
/// The most report blocks in one RR (the 5-bit count).
const MAX_REPORT_BLOCKS: usize = 31;
/// The most events held for [`RtpReceiver::poll_event`].
const MAX_EVENTS: usize = 1024;
/// The most RTCP datagrams held for [`RtpReceiver::poll_transmit`]; the
/// oldest goes first when a caller does not drain them.
const MAX_TRANSMITS: usize = 64;

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
    /// Packets received (duplicates excluded, see [`RtpReceiver`]).
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

/// NACK behaviour (RFC 4585 generic NACK).
///
/// A missing packet is asked for after `first_delay`, then every
/// `retry_interval`, at most `max_retries` times, in a compound of an RR
/// without report blocks, SDES and the NACKs (so the appendix A.3 interval
/// counters are not disturbed). The RFC 4585 early-feedback timing rules
/// (`T_rr_interval`, dithering) are not applied: the caller picks the
/// delays.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NackConfig {
    /// How long a gap waits before its first NACK, so that reordered
    /// packets are not asked for.
    pub first_delay: Duration,
    /// Time between NACKs for the same packet.
    pub retry_interval: Duration,
    /// NACKs per missing packet before it is given up.
    pub max_retries: u32,
    /// The most missing packets tracked per source (the oldest are
    /// forgotten first).
    pub max_pending: usize,
}

impl Default for NackConfig {
    /// 20 ms, then every 100 ms, three times, up to 512 packets.
    fn default() -> Self {
        NackConfig {
            first_delay: Duration::from_millis(20),
            retry_interval: Duration::from_millis(100),
            max_retries: 3,
            max_pending: 512,
        }
    }
}

/// RFC 4585 section 3.5 feedback timing (the AVPF early-feedback rules).
///
/// Feedback (the NACKs due, PLIs asked for with
/// [`RtpReceiver::request_keyframe`]) goes:
///
/// 1. with the next regular report, when it is due within the dithering
///    window (`T_dither_max`: 0 for two members, half the report interval
///    for more);
/// 2. else, when an early packet is allowed (`allow_early`), in one early
///    compound (RR without blocks + SDES + feedback) after a random
///    dithering delay; then no further early packet until the next regular
///    report, which moves to `tp + 2 * T_rr`;
/// 3. else with the next regular report when it is due within
///    [`max_delay`](FeedbackConfig::max_delay);
/// 4. else it is dropped, and counted
///    ([`RtpReceiver::feedback_dropped`]).
///
/// Regular reports less than
/// [`min_report_interval`](FeedbackConfig::min_report_interval)
/// (`T_rr_interval`) after the previous one are suppressed, as if sent.
/// So at most one early packet goes per regular interval: feedback is
/// bounded by the RTCP bandwidth.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FeedbackConfig {
    /// `T_rr_interval`: the least time between regular reports (zero: no
    /// suppression).
    pub min_report_interval: Duration,
    /// `T_max_fb_delay`: how long feedback may wait for a regular report
    /// when no early packet is allowed; later feedback is dropped.
    pub max_delay: Duration,
}

impl Default for FeedbackConfig {
    /// No `T_rr_interval`; feedback waits at most 1 s.
    fn default() -> Self {
        FeedbackConfig {
            min_report_interval: Duration::ZERO,
            max_delay: Duration::from_secs(1),
        }
    }
}

/// How an [`RtpReceiver`] is set up.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ReceiverConfig {
    /// The RTP clock rate of the stream (for the jitter estimate).
    pub clock_rate: Timescale,
    /// The canonical name sent in SDES (at most 255 bytes).
    pub cname: String,
    /// The seed of the session's [`SplitMix64`]: the receiver's SSRC and
    /// the RTCP interval randomization.
    pub seed: u64,
    /// The session bandwidth in bits per second; RTCP uses 5 % of it.
    pub session_bandwidth: u64,
    /// The most sources tracked; packets from further SSRCs are refused.
    pub max_sources: usize,
    /// NACKs for missing packets, or `None` for none.
    pub nack: Option<NackConfig>,
    /// The RFC 4585 early-feedback rules for NACKs and PLIs, or `None` to
    /// send each NACK compound when it is due (the delays of
    /// [`NackConfig`] alone pace them) and each PLI at once.
    pub feedback: Option<FeedbackConfig>,
}

impl ReceiverConfig {
    /// A configuration with a 1 Mbit/s session bandwidth, 32 sources and
    /// the default NACK behaviour.
    #[must_use]
    pub fn new(clock_rate: Timescale, cname: &str, seed: u64) -> ReceiverConfig {
        ReceiverConfig {
            clock_rate,
            cname: cname.to_owned(),
            seed,
            session_bandwidth: 1_000_000,
            max_sources: 32,
            nack: Some(NackConfig::default()),
            feedback: None,
        }
    }
}

/// What became of a received RTP packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum RtpDisposition {
    /// Counted: the source is valid and the packet in sequence (or an
    /// acceptable reordering).
    Valid,
    /// The source is still on probation.
    Probation,
    /// A copy of a recent packet: dropped before the statistics.
    Duplicate,
    /// A large jump in sequence numbers, not (yet) confirmed by the next
    /// packet (appendix A.1 `bad_seq`).
    Invalid,
    /// From a new SSRC beyond [`ReceiverConfig::max_sources`].
    TooManySources,
}

/// What the receiver learned.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ReceiverEvent {
    /// The first packet (RTP or RTCP) from a source.
    NewSource {
        /// Its SSRC.
        ssrc: u32,
    },
    /// A sender report arrived.
    SenderReport {
        /// The sender.
        ssrc: u32,
        /// Its wall-clock time.
        ntp_time: NtpTimestamp,
        /// The RTP timestamp of the same instant.
        rtp_timestamp: streamkit_core::time::RtpTimestamp,
        /// Packets it has sent.
        packet_count: u32,
        /// Payload octets it has sent.
        octet_count: u32,
    },
    /// A source left (BYE): it is no longer tracked.
    Goodbye {
        /// Its SSRC.
        ssrc: u32,
    },
    /// A source was not heard from for five report intervals (RFC 3550
    /// section 6.3.5): it is no longer tracked.
    Timeout {
        /// Its SSRC.
        ssrc: u32,
    },
}

#[derive(Debug, Clone, Copy)]
struct PendingNack {
    retries: u32,
    due: Instant,
}

/// One source heard by the receiver.
#[derive(Debug, Clone)]
pub struct Source {
    state: Option<SourceState>,
    extender: Extender<SequenceNumber>,
    seen: [u64; (DUPLICATE_WINDOW / 64) as usize],
    seen_top: Option<i64>,
    duplicates: u64,
    has_transit: bool,
    heard_since_report: bool,
    last_sr: Option<(u32, Instant)>,
    nacks: BTreeMap<i64, PendingNack>,
    last_heard: Instant,
}

impl Source {
    fn new(now: Instant) -> Source {
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
    fn check_duplicate(&mut self, ext: i64) -> bool {
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

/// The receiving side of an RTP session: keeps RFC 3550 appendix A
/// statistics per source, sends receiver reports at the RTCP interval and
/// NACKs for missing packets. See the [module docs](super) for the calling
/// contract.
///
/// Duplicates (a sequence number seen among the last 1024 of the source)
/// are dropped before the statistics, so `cumulative_lost` counts the
/// packets that never arrived. (RFC 3550 section 6.4.1 lets duplicates
/// count as received, which hides losses.)
#[derive(Debug)]
pub struct RtpReceiver {
    config: ReceiverConfig,
    rng: SplitMix64,
    ssrc: u32,
    epoch: Instant,
    sources: BTreeMap<u32, Source>,
    schedule: RtcpSchedule,
    transmits: VecDeque<Bytes>,
    events: VecDeque<ReceiverEvent>,
    events_dropped: u64,
    finished: bool,
    /// RFC 4585: an early packet may be sent before the next regular
    /// report.
    allow_early: bool,
    /// When the early packet decided on goes (after dithering).
    early_at: Option<Instant>,
    /// When the last regular report went (or was suppressed).
    last_regular: Option<Instant>,
    /// Media SSRCs a PLI is to be sent for.
    pending_pli: BTreeSet<u32>,
    /// The latest `now` the timers ran at: NACKs due by then wait for the
    /// feedback rules, not for `poll_timeout`.
    checked: Option<Instant>,
    feedback_dropped: u64,
}

impl RtpReceiver {
    /// A receiver starting at `now`; its SSRC is the first 32 bits drawn
    /// from the seed.
    #[must_use]
    pub fn new(mut config: ReceiverConfig, now: Instant) -> RtpReceiver {
        config.cname = super::sender::bounded_cname(&config.cname);
        config.max_sources = config.max_sources.min(MAX_MEMBERS);
        let mut rng = SplitMix64::new(config.seed);
        let ssrc = rng.next_u32();
        let first_size = 8 + super::sender::sdes_len(&config.cname);
        let schedule = RtcpSchedule::new(
            now,
            config.session_bandwidth,
            first_size,
            2,
            1,
            false,
            &mut rng,
        );
        RtpReceiver {
            config,
            rng,
            ssrc,
            epoch: now,
            sources: BTreeMap::new(),
            schedule,
            transmits: VecDeque::new(),
            events: VecDeque::new(),
            events_dropped: 0,
            finished: false,
            allow_early: true,
            early_at: None,
            last_regular: None,
            pending_pli: BTreeSet::new(),
            checked: None,
            feedback_dropped: 0,
        }
    }

    /// Feedback messages dropped by the RFC 4585 rules (see
    /// [`FeedbackConfig`]).
    #[must_use]
    pub fn feedback_dropped(&self) -> u64 {
        self.feedback_dropped
    }

    /// Asks source `ssrc` for a keyframe at `now`: a PLI (RFC 4585 section
    /// 6.3.1), sent at once without [`FeedbackConfig`], else by its rules
    /// (drain [`poll_transmit`](RtpReceiver::poll_transmit) after this
    /// call, and mind [`poll_timeout`](RtpReceiver::poll_timeout)).
    pub fn request_keyframe(&mut self, now: Instant, ssrc: u32) {
        if self.finished {
            return;
        }
        self.pending_pli.insert(ssrc);
        if self.pending_pli.len() > MAX_MEMBERS {
            self.pending_pli.pop_first();
        }
        self.send_feedback(now);
    }

    /// The configuration.
    #[must_use]
    pub fn config(&self) -> &ReceiverConfig {
        &self.config
    }

    /// The receiver's own SSRC (in its reports).
    #[must_use]
    pub fn ssrc(&self) -> u32 {
        self.ssrc
    }

    /// The source `ssrc`, if heard.
    #[must_use]
    pub fn source(&self, ssrc: u32) -> Option<&Source> {
        self.sources.get(&ssrc)
    }

    /// Every source heard, by SSRC.
    pub fn sources(&self) -> impl Iterator<Item = (u32, &Source)> {
        self.sources.iter().map(|(&k, v)| (k, v))
    }

    /// Events dropped because [`poll_event`](RtpReceiver::poll_event) was
    /// not drained.
    #[must_use]
    pub fn events_dropped(&self) -> u64 {
        self.events_dropped
    }

    fn event(&mut self, e: ReceiverEvent) {
        if self.events.len() < MAX_EVENTS {
            self.events.push_back(e);
        } else {
            self.events_dropped += 1;
        }
    }

    fn source_mut(&mut self, now: Instant, ssrc: u32) -> Option<&mut Source> {
        if !self.sources.contains_key(&ssrc) {
            if self.sources.len() >= self.config.max_sources {
                return None;
            }
            self.sources.insert(ssrc, Source::new(now));
            self.event(ReceiverEvent::NewSource { ssrc });
        }
        let src = self.sources.get_mut(&ssrc)?;
        src.last_heard = now;
        Some(src)
    }

    /// The arrival time `now` on the RTP clock (A.8's `arrival`), modulo
    /// 2^32.
    fn arrival(&self, now: Instant) -> u32 {
        let d = now.saturating_duration_since(self.epoch);
        MediaTime::from_duration(d, self.config.clock_rate, Rounding::Down)
            .map_or(0, |t| t.ticks() as u32)
    }

    /// Takes an RTP packet received at `now`.
    pub fn handle_rtp(&mut self, now: Instant, packet: &RtpPacket) -> RtpDisposition {
        let arrival = self.arrival(now);
        let nack = self.config.nack;
        let seq = packet.sequence_number();
        let Some(src) = self.source_mut(now, packet.ssrc()) else {
            return RtpDisposition::TooManySources;
        };
        let previous_top = src.extender.highest();
        let ext = src.extender.extend(seq);
        if src.check_duplicate(ext) {
            src.duplicates += 1;
            return RtpDisposition::Duplicate;
        }
        let state = src.state.get_or_insert_with(|| SourceState::new(seq.0));
        if !state.update_seq(seq.0) {
            return if state.probation > 0 {
                RtpDisposition::Probation
            } else {
                RtpDisposition::Invalid
            };
        }
        // Just valid, or restarted after a confirmed jump: no gap to ask for.
        let restarted = state.received == 1;
        state.update_jitter(arrival, packet.timestamp().0, !src.has_transit);
        src.has_transit = true;
        src.heard_since_report = true;
        if restarted {
            src.nacks.clear();
        }
        if let Some(cfg) = nack {
            src.nacks.remove(&ext);
            if let Some(top) = previous_top
                && !restarted
                && ext > top + 1
                && ext - top <= i64::from(MAX_DROPOUT)
            {
                for missing in (top + 1)..ext {
                    if src.nacks.len() >= cfg.max_pending {
                        src.nacks.pop_first();
                    }
                    src.nacks.insert(
                        missing,
                        PendingNack {
                            retries: 0,
                            due: now + cfg.first_delay,
                        },
                    );
                }
            }
        }
        RtpDisposition::Valid
    }

    /// Reads an RTCP datagram received at `now`. A datagram that does not
    /// parse is rejected whole. A BYE removes its sources.
    pub fn handle_rtcp(&mut self, now: Instant, datagram: Bytes) -> Result<(), SessionError> {
        let size = datagram.len() as u64;
        let packets = parse_compound(datagram)?;
        self.schedule.observe(size);
        for packet in packets {
            match packet {
                RtcpPacket::SenderReport(sr) => {
                    if let Some(src) = self.source_mut(now, sr.ssrc) {
                        src.last_sr = Some((sr.ntp_time.middle_32(), now));
                    }
                    self.event(ReceiverEvent::SenderReport {
                        ssrc: sr.ssrc,
                        ntp_time: sr.ntp_time,
                        rtp_timestamp: sr.rtp_timestamp,
                        packet_count: sr.packet_count,
                        octet_count: sr.octet_count,
                    });
                }
                RtcpPacket::Goodbye(bye) => {
                    for ssrc in bye.sources {
                        self.sources.remove(&ssrc);
                        self.event(ReceiverEvent::Goodbye { ssrc });
                    }
                }
                RtcpPacket::SourceDescription(sdes) => {
                    for chunk in &sdes.chunks {
                        if let Some(src) = self.sources.get_mut(&chunk.source) {
                            src.last_heard = now;
                        }
                    }
                }
                _ => {}
            }
        }
        Ok(())
    }

    fn members(&self) -> u64 {
        1 + self.sources.len() as u64
    }

    fn senders(&self) -> u64 {
        self.sources.values().filter(|s| s.state.is_some()).count() as u64
    }

    fn sdes(&self) -> RtcpPacket {
        RtcpPacket::SourceDescription(SourceDescription {
            chunks: vec![SdesChunk {
                source: self.ssrc,
                items: vec![SdesItem::cname(&self.config.cname)],
            }],
        })
    }

    /// The report blocks for the sources heard since the last report
    /// (at most 31), moving their A.3 priors.
    fn report_blocks(&mut self, now: Instant) -> Vec<ReportBlock> {
        let mut blocks = Vec::new();
        for (&ssrc, src) in self.sources.iter_mut() {
            if blocks.len() >= MAX_REPORT_BLOCKS {
                break;
            }
            let Some(state) = src.state.as_mut().filter(|s| s.probation == 0) else {
                continue;
            };
            if !src.heard_since_report {
                continue;
            }
            src.heard_since_report = false;
            let (fraction_lost, cumulative_lost) = state.report_loss();
            let (lsr, dlsr) = match src.last_sr {
                Some((lsr, at)) => (lsr, to_65536ths(now.saturating_duration_since(at))),
                None => (0, 0),
            };
            blocks.push(ReportBlock {
                ssrc,
                fraction_lost,
                cumulative_lost,
                extended_highest_sequence: state.extended_max(),
                jitter: state.jitter(),
                last_sender_report: lsr,
                delay_since_last_sender_report: dlsr,
            });
        }
        blocks
    }

    fn queue(&mut self, packets: &[RtcpPacket]) -> Option<u64> {
        if self.transmits.len() >= MAX_TRANSMITS {
            self.transmits.pop_front();
        }
        let mut out = Vec::with_capacity(256);
        // Packets built here stay within their limits, so writing does not
        // fail; if it did, nothing is sent.
        write_compound(packets, &mut out).ok()?;
        let size = out.len() as u64;
        self.transmits.push_back(Bytes::from(out));
        Some(size)
    }

    /// Runs the timers at `now`: drops sources not heard from for five
    /// report intervals ([`ReceiverEvent::Timeout`]); sends a compound RR
    /// with SDES CNAME when the report interval is up, and the feedback
    /// due (a generic NACK per source with packets to ask for, PLIs): with
    /// the report, or in a compound RR (no blocks) + SDES + feedback, as
    /// [`ReceiverConfig::feedback`] says.
    pub fn handle_timeout(&mut self, now: Instant) {
        if self.finished {
            return;
        }
        self.checked = Some(self.checked.map_or(now, |c| c.max(now)));
        self.time_out_sources(now);
        let (members, senders) = (self.members(), self.senders());
        if self
            .schedule
            .expire(now, members, senders, false, &mut self.rng)
        {
            let suppressed = self.config.feedback.is_some_and(|f| {
                self.last_regular
                    .is_some_and(|last| now < last + f.min_report_interval)
            });
            self.last_regular = Some(now);
            self.allow_early = true;
            self.early_at = None;
            if suppressed {
                let size = self.schedule_size();
                self.schedule
                    .sent(now, size, members, senders, false, &mut self.rng);
            } else {
                let reports = self.report_blocks(now);
                let mut packets = vec![
                    RtcpPacket::ReceiverReport(ReceiverReport {
                        ssrc: self.ssrc,
                        reports,
                        profile_extension: Bytes::new(),
                    }),
                    self.sdes(),
                ];
                packets.extend(self.take_feedback(now));
                if let Some(size) = self.queue(&packets) {
                    self.schedule
                        .sent(now, size, members, senders, false, &mut self.rng);
                }
                return;
            }
        }
        self.send_feedback(now);
    }

    /// The size the schedule assumes for a suppressed report.
    fn schedule_size(&self) -> u64 {
        8 + super::sender::sdes_len(&self.config.cname)
    }

    /// Drops the sources silent for [`MEMBER_TIMEOUT_INTERVALS`]
    /// deterministic intervals.
    fn time_out_sources(&mut self, now: Instant) {
        let limit = self
            .schedule
            .deterministic(self.members(), self.senders(), false)
            * MEMBER_TIMEOUT_INTERVALS;
        let gone: Vec<u32> = self
            .sources
            .iter()
            .filter(|(_, src)| now.saturating_duration_since(src.last_heard) >= limit)
            .map(|(&ssrc, _)| ssrc)
            .collect();
        for ssrc in gone {
            self.sources.remove(&ssrc);
            self.event(ReceiverEvent::Timeout { ssrc });
        }
    }

    /// `true` when NACKs are due at `now` or PLIs are asked for.
    fn has_feedback(&self, now: Instant) -> bool {
        !self.pending_pli.is_empty()
            || (self.config.nack.is_some()
                && self
                    .sources
                    .values()
                    .any(|s| s.nacks.values().any(|p| p.due <= now)))
    }

    /// The feedback due at `now`: a generic NACK per source (counting the
    /// retries), then the PLIs asked for.
    fn take_feedback(&mut self, now: Instant) -> Vec<RtcpPacket> {
        let mut out = Vec::new();
        if let Some(cfg) = self.config.nack {
            for (&ssrc, src) in self.sources.iter_mut() {
                let mut lost = Vec::new();
                src.nacks.retain(|&ext, p| {
                    if p.due > now {
                        return true;
                    }
                    lost.push(SequenceNumber::from_truncated(ext as u64));
                    p.retries += 1;
                    p.due = now + cfg.retry_interval;
                    p.retries < cfg.max_retries
                });
                if !lost.is_empty() {
                    out.push(RtcpPacket::GenericNack(GenericNack::from_lost(
                        self.ssrc, ssrc, &lost,
                    )));
                }
            }
        }
        let me = self.ssrc;
        out.extend(
            core::mem::take(&mut self.pending_pli)
                .into_iter()
                .map(|media_ssrc| {
                    RtcpPacket::PictureLossIndication(PictureLossIndication {
                        sender_ssrc: me,
                        media_ssrc,
                    })
                }),
        );
        out
    }

    /// Sends the feedback due at `now` by the rules of
    /// [`ReceiverConfig::feedback`].
    fn send_feedback(&mut self, now: Instant) {
        if !self.has_feedback(now) {
            self.early_at = None;
            return;
        }
        let Some(rules) = self.config.feedback else {
            self.send_early(now);
            return;
        };
        if let Some(at) = self.early_at {
            if now >= at {
                self.send_early(now);
                self.allow_early = false;
                // RFC 4585 section 3.5.3: the next regular report skips one
                // interval.
                let (tp, tn) = (self.schedule.last(), self.schedule.next());
                self.schedule.set_next(tn.max(tp + (tn - tp) * 2));
            }
            return;
        }
        let tn = self.schedule.next();
        let t_rr = tn.saturating_duration_since(self.schedule.last());
        let dither_max = if self.members() <= 2 {
            Duration::ZERO
        } else {
            t_rr / 2
        };
        if tn <= now + dither_max {
            return; // it rides on the regular report
        }
        if self.allow_early {
            let fraction = u64::from(self.rng.next_u32());
            let dither = Duration::from_nanos(
                u64::try_from(dither_max.as_nanos() * u128::from(fraction) >> 32)
                    .unwrap_or(u64::MAX),
            );
            self.early_at = Some(now + dither);
            self.send_feedback(now);
            return;
        }
        if tn.saturating_duration_since(now) <= rules.max_delay {
            return; // waits for the regular report
        }
        let dropped = self.take_feedback(now);
        self.feedback_dropped += dropped.len() as u64;
    }

    /// Queues a compound RR (no blocks) + SDES + the feedback due.
    fn send_early(&mut self, now: Instant) {
        self.early_at = None;
        let mut packets = vec![
            RtcpPacket::ReceiverReport(ReceiverReport {
                ssrc: self.ssrc,
                reports: Vec::new(),
                profile_extension: Bytes::new(),
            }),
            self.sdes(),
        ];
        packets.extend(self.take_feedback(now));
        if let Some(size) = self.queue(&packets) {
            self.schedule.observe(size);
        }
    }

    /// The session ends at `now`: queues a compound RR + SDES + BYE (RFC
    /// 3550 section 6.6); no report follows and
    /// [`poll_timeout`](RtpReceiver::poll_timeout) is `None` from here. A
    /// second call does nothing.
    ///
    /// # Errors
    ///
    /// None today; the `Result` is the contract every producer shares.
    pub fn finish(&mut self, now: Instant) -> Result<(), SessionError> {
        if self.finished {
            return Ok(());
        }
        self.finished = true;
        let reports = self.report_blocks(now);
        let packets = [
            RtcpPacket::ReceiverReport(ReceiverReport {
                ssrc: self.ssrc,
                reports,
                profile_extension: Bytes::new(),
            }),
            self.sdes(),
            goodbye(self.ssrc),
        ];
        let _ = self.queue(&packets);
        Ok(())
    }

    /// When [`handle_timeout`](RtpReceiver::handle_timeout) is next needed:
    /// the report timer, an early feedback packet, or the earliest NACK
    /// coming due; `None` once finished.
    #[must_use]
    pub fn poll_timeout(&self) -> Option<Instant> {
        if self.finished {
            return None;
        }
        let checked = self.checked;
        let nack = self
            .sources
            .values()
            .flat_map(|s| s.nacks.values().map(|p| p.due))
            .filter(|&due| self.config.feedback.is_none() || checked.is_none_or(|c| due > c))
            .min();
        [Some(self.schedule.next()), self.early_at, nack]
            .into_iter()
            .flatten()
            .min()
    }

    /// Checks the receiver's internal invariants (for fuzzing and tests);
    /// panics when one is broken.
    #[doc(hidden)]
    pub fn check_invariants(&self) {
        assert!(
            self.sources.len() <= self.config.max_sources,
            "more sources than the limit"
        );
        assert!(self.events.len() <= MAX_EVENTS, "events unbounded");
        assert!(self.transmits.len() <= MAX_TRANSMITS, "transmits unbounded");
        if let Some(cfg) = self.config.nack {
            for src in self.sources.values() {
                assert!(src.nacks.len() <= cfg.max_pending, "NACKs unbounded");
                assert!(
                    src.nacks.values().all(|p| p.retries < cfg.max_retries),
                    "a NACK past its retry limit is kept"
                );
            }
        }
    }

    /// The next RTCP datagram to send.
    #[must_use]
    pub fn poll_transmit(&mut self) -> Option<Bytes> {
        self.transmits.pop_front()
    }

    /// The next event.
    #[must_use]
    pub fn poll_event(&mut self) -> Option<ReceiverEvent> {
        self.events.pop_front()
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
