//! The receiving side of an RTP session: receiver reports, NACKs and PLIs
//! by the RFC 4585 rules, member timeouts; the per-source statistics of
//! RFC 3550 appendix A live in `source`.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::time::{Duration, Instant};

use bytes::Bytes;
use streamkit_core::time::{MediaTime, Rounding, SequenceNumber, Timescale, Wrapping};

use super::source::{MAX_DROPOUT, PendingNack, Source, SourceState};
use super::{
    MAX_MEMBERS, MEMBER_TIMEOUT_INTERVALS, RtcpSchedule, SessionError, SplitMix64, goodbye,
    to_65536ths,
};
use crate::packet::RtpPacket;
use crate::rtcp::{
    GenericNack, NtpTimestamp, PictureLossIndication, ReceiverReport, ReportBlock, RtcpPacket,
    SdesChunk, SdesItem, SourceDescription, parse_compound, write_compound,
};

/// The most report blocks in one RR (the 5-bit count).
const MAX_REPORT_BLOCKS: usize = 31;
/// The most events held for [`RtpReceiver::poll_event`].
const MAX_EVENTS: usize = 1024;
/// The most RTCP datagrams held for [`RtpReceiver::poll_transmit`]; the
/// oldest goes first when a caller does not drain them.
const MAX_TRANSMITS: usize = 64;

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
    pub fn new(now: Instant, mut config: ReceiverConfig) -> RtpReceiver {
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
                u64::try_from((dither_max.as_nanos() * u128::from(fraction)) >> 32)
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
