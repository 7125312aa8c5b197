//! The sending side of an RTP session.

use std::collections::{BTreeMap, VecDeque};
use std::time::{Duration, Instant};

use bytes::Bytes;
use streamkit_core::clock::WallClock;
use streamkit_core::time::{MediaTime, Rounding, RtpTimestamp, SequenceNumber, Timescale};

use super::{
    MAX_MEMBERS, MEMBER_TIMEOUT_INTERVALS, RtcpSchedule, SessionError, SplitMix64, goodbye,
    round_trip,
};
use crate::packet::{RtpDatagram, RtpHeader};
use crate::rtcp::{
    NtpTimestamp, ReceiverReport, ReportBlock, RtcpPacket, SdesChunk, SdesItem, SenderReport,
    SourceDescription, parse_compound, write_compound,
};

/// The most events held for [`RtpSender::poll_event`]; further ones are
/// dropped and counted ([`RtpSender::events_dropped`]).
const MAX_EVENTS: usize = 1024;

/// How an [`RtpSender`] is set up.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct SenderConfig {
    /// The RTP payload type of the stream.
    pub payload_type: u8,
    /// The RTP clock rate of the payload format.
    pub clock_rate: Timescale,
    /// The canonical name sent in SDES (at most 255 bytes; longer is cut
    /// at a character boundary).
    pub cname: String,
    /// The seed of the session's [`SplitMix64`]: SSRC, initial sequence
    /// number and timestamp offset, and RTCP interval randomization.
    pub seed: u64,
    /// The session bandwidth in bits per second; RTCP uses 5 % of it.
    pub session_bandwidth: u64,
    /// The link between the caller's monotonic clock and Unix time: the
    /// NTP time of sender reports and the arrival time of round trips.
    pub wall_clock: WallClock,
}

impl SenderConfig {
    /// A configuration with a 1 Mbit/s session bandwidth.
    #[must_use]
    pub fn new(
        payload_type: u8,
        clock_rate: Timescale,
        cname: &str,
        seed: u64,
        wall_clock: WallClock,
    ) -> SenderConfig {
        SenderConfig {
            payload_type,
            clock_rate,
            cname: cname.to_owned(),
            seed,
            session_bandwidth: 1_000_000,
            wall_clock,
        }
    }
}

/// What the receivers told the sender.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SenderEvent {
    /// A report block about this sender, from an RR or an SR.
    ReceiverReport {
        /// The SSRC of the reporter.
        reporter: u32,
        /// The block.
        block: ReportBlock,
        /// The round-trip time it implies (RFC 3550 section 6.4.1), when
        /// it echoes an SR.
        round_trip: Option<Duration>,
    },
    /// A generic NACK (RFC 4585) for this sender's packets.
    Nack {
        /// The SSRC of the reporter.
        reporter: u32,
        /// The sequence numbers asked for.
        lost: Vec<SequenceNumber>,
    },
    /// A picture loss indication (RFC 4585) for this sender.
    PictureLoss {
        /// The SSRC of the reporter.
        reporter: u32,
    },
    /// A full intra request (RFC 5104) for this sender.
    FullIntraRequest {
        /// The SSRC of the reporter.
        reporter: u32,
        /// The request's command sequence number.
        sequence_number: u8,
    },
    /// A participant left (BYE): it is no longer a member.
    Goodbye {
        /// The SSRC that left.
        ssrc: u32,
    },
    /// A participant was not heard from for five report intervals (RFC
    /// 3550 section 6.3.5): it is no longer a member.
    Timeout {
        /// The SSRC that timed out.
        ssrc: u32,
    },
}

/// The sending side of an RTP session: numbers and stamps packets, counts
/// them, sends sender reports and reads the receivers' feedback. See the
/// [module docs](super) for the calling contract.
#[derive(Debug)]
pub struct RtpSender {
    config: SenderConfig,
    rng: SplitMix64,
    ssrc: u32,
    next_sequence: SequenceNumber,
    timestamp_offset: u32,
    packet_count: u32,
    octet_count: u32,
    /// The first recorded packet's instant and RTP timestamp: the fixed
    /// point of the sender reports' wall-clock to media-clock mapping.
    timestamp_reference: Option<(Instant, RtpTimestamp)>,
    sent_since_report: bool,
    sent_since_previous_report: bool,
    /// Other participants and when each was last heard from.
    members: BTreeMap<u32, Instant>,
    schedule: RtcpSchedule,
    finished: bool,
    transmits: VecDeque<Bytes>,
    events: VecDeque<SenderEvent>,
    events_dropped: u64,
}

pub(super) fn bounded_cname(cname: &str) -> String {
    let mut end = cname.len().min(255);
    while !cname.is_char_boundary(end) {
        end -= 1;
    }
    cname.get(..end).unwrap_or("").to_owned()
}

impl RtpSender {
    /// A sender starting at `now`. Draws, in this order, the SSRC (32 bits),
    /// the initial sequence number (16) and the timestamp offset (32) from
    /// the seed.
    #[must_use]
    pub fn new(now: Instant, mut config: SenderConfig) -> RtpSender {
        config.cname = bounded_cname(&config.cname);
        let mut rng = SplitMix64::new(config.seed);
        let ssrc = rng.next_u32();
        let next_sequence = SequenceNumber::new((rng.next_u32() >> 16) as u16);
        let timestamp_offset = rng.next_u32();
        let first_size = 28 + 4 + sdes_len(&config.cname);
        let schedule = RtcpSchedule::new(
            now,
            config.session_bandwidth,
            first_size,
            2,
            1,
            true,
            &mut rng,
        );
        RtpSender {
            config,
            rng,
            ssrc,
            next_sequence,
            timestamp_offset,
            packet_count: 0,
            octet_count: 0,
            timestamp_reference: None,
            sent_since_report: false,
            sent_since_previous_report: false,
            members: BTreeMap::new(),
            schedule,
            finished: false,
            transmits: VecDeque::new(),
            events: VecDeque::new(),
            events_dropped: 0,
        }
    }

    /// The configuration.
    #[must_use]
    pub fn config(&self) -> &SenderConfig {
        &self.config
    }

    /// The synchronization source of this sender.
    #[must_use]
    pub fn ssrc(&self) -> u32 {
        self.ssrc
    }

    /// The sequence number the next packet gets.
    #[must_use]
    pub fn next_sequence_number(&self) -> SequenceNumber {
        self.next_sequence
    }

    /// The random offset added to every RTP timestamp.
    #[must_use]
    pub fn timestamp_offset(&self) -> u32 {
        self.timestamp_offset
    }

    /// Packets sent (the SR's sender packet count, wrapping at 2^32).
    #[must_use]
    pub fn packet_count(&self) -> u32 {
        self.packet_count
    }

    /// Payload octets sent (the SR's sender octet count, wrapping at 2^32).
    #[must_use]
    pub fn octet_count(&self) -> u32 {
        self.octet_count
    }

    /// Events dropped because [`poll_event`](RtpSender::poll_event) was not
    /// drained.
    #[must_use]
    pub fn events_dropped(&self) -> u64 {
        self.events_dropped
    }

    /// The RTP timestamp of media time `t`: `t` on the clock rate (rounded
    /// to the nearest tick) plus the random offset, modulo 2^32.
    pub fn rtp_timestamp(&self, t: MediaTime) -> Result<RtpTimestamp, SessionError> {
        let ticks = t
            .checked_rescale(self.config.clock_rate, Rounding::Nearest)
            .ok_or(SessionError::MediaTimeOverflow {
                ticks: t.ticks(),
                hz: t.timescale().hz(),
            })?
            .ticks();
        Ok(RtpTimestamp::new(
            self.timestamp_offset.wrapping_add(ticks as u32),
        ))
    }

    /// The header of the next packet, which carries media time `media_time`,
    /// without counting it: use with [`RtpSender::record_sent`] when the
    /// caller writes the packet itself (to add an extension, say).
    pub fn next_header(
        &self,
        media_time: MediaTime,
        marker: bool,
    ) -> Result<RtpHeader<'static>, SessionError> {
        Ok(RtpHeader {
            marker,
            payload_type: self.config.payload_type,
            sequence_number: self.next_sequence,
            timestamp: self.rtp_timestamp(media_time)?,
            ssrc: self.ssrc,
            ..RtpHeader::default()
        })
    }

    /// The header of the next packet, for a payload a packetizer stamped
    /// with its RTP timestamp already (`timestamp` on this sender's clock,
    /// the offset included), without counting it: use with
    /// [`RtpSender::record_sent`].
    #[must_use]
    pub fn next_header_at(&self, timestamp: RtpTimestamp, marker: bool) -> RtpHeader<'static> {
        RtpHeader {
            marker,
            payload_type: self.config.payload_type,
            sequence_number: self.next_sequence,
            timestamp,
            ssrc: self.ssrc,
            ..RtpHeader::default()
        }
    }

    /// Fixes the sender reports' media clock: it reads `timestamp` at
    /// `at` (see [`sender_report`](RtpSender::sender_report)). Without a
    /// call the first recorded packet fixes it; a call replaces that.
    pub fn set_timestamp_reference(&mut self, at: Instant, timestamp: RtpTimestamp) {
        self.timestamp_reference = Some((at, timestamp));
    }

    /// A compound SR + SDES CNAME for `now`, outside the report schedule:
    /// the report a media sender sends before its first packet.
    #[must_use]
    pub fn first_report(&self, now: Instant) -> Option<Bytes> {
        let sr = RtcpPacket::SenderReport(self.sender_report(now));
        let sdes = RtcpPacket::SourceDescription(SourceDescription {
            chunks: vec![SdesChunk {
                source: self.ssrc,
                items: vec![SdesItem::cname(&self.config.cname)],
            }],
        });
        let mut out = Vec::with_capacity(96);
        write_compound(&[sr, sdes], &mut out).ok()?;
        Some(Bytes::from(out))
    }

    /// Follows an adjustment of the wall clock: later sender reports carry
    /// NTP times from `wall_clock`.
    pub fn set_wall_clock(&mut self, wall_clock: WallClock) {
        self.config.wall_clock = wall_clock;
    }

    /// Starts the report schedule afresh at `now`, as if the sender was
    /// made then (a media sender starting to play). Counts and the
    /// timestamp reference are kept.
    pub fn restart_reports(&mut self, now: Instant) {
        let (members, senders, we_sent) = (self.member_count(), self.senders(), self.we_sent());
        self.schedule
            .restart(now, members, senders, we_sent, &mut self.rng);
    }

    /// Counts a packet built from [`RtpSender::next_header`], sent at `now`
    /// with `payload_len` payload octets, and moves to the next sequence
    /// number.
    ///
    /// The first packet recorded fixes the sender reports' timestamp
    /// reference: its RTP timestamp is taken to be sampled at its `now`
    /// (see [`RtpSender::sender_report`]). Later packets do not move it, so
    /// packets may be recorded in any order (video in decode order, with
    /// B-frames) and at instants before or after the reports' `now`.
    pub fn record_sent(&mut self, now: Instant, header: &RtpHeader<'_>, payload_len: usize) {
        self.next_sequence = header.sequence_number.next();
        self.packet_count = self.packet_count.wrapping_add(1);
        self.octet_count = self.octet_count.wrapping_add(payload_len as u32);
        if self.timestamp_reference.is_none() {
            self.timestamp_reference = Some((now, header.timestamp));
        }
        self.sent_since_report = true;
    }

    /// Makes the next packet, carrying `payload` for media time
    /// `media_time`, sent at `now`: the header in a small buffer beside the
    /// payload `Bytes`, which is not copied.
    pub fn send(
        &mut self,
        now: Instant,
        media_time: MediaTime,
        marker: bool,
        payload: Bytes,
    ) -> Result<RtpDatagram, SessionError> {
        let header = self.next_header(media_time, marker)?;
        let len = payload.len();
        let datagram = header.datagram(payload)?;
        self.record_sent(now, &header, len);
        Ok(datagram)
    }

    fn we_sent(&self) -> bool {
        self.sent_since_report || self.sent_since_previous_report
    }

    fn member_count(&self) -> u64 {
        1 + self.members.len() as u64
    }

    fn senders(&self) -> u64 {
        u64::from(self.we_sent())
    }

    /// The sender report this sender would send at `now`, its NTP time the
    /// configured wall clock's at the instant of its RTP timestamp.
    ///
    /// The RTP timestamp is the media-clock time of the same instant
    /// (RFC 3550 section 6.4.1): the first recorded packet's
    /// RTP timestamp plus the signed time from that packet's recorded
    /// instant to `now`, at the clock rate (rounded to the nearest tick,
    /// halves away from zero), modulo 2^32. The reference does not move
    /// with later packets, so the mapping is a straight line in `now`
    /// whatever order packets were recorded in; a `now` before the
    /// reference's instant gives an earlier RTP timestamp, not a clamped
    /// one. The media clock is taken to run at the nominal clock rate
    /// against `now`. Before any packet is recorded, the RTP timestamp is
    /// the [offset](RtpSender::timestamp_offset) (media time zero at `now`).
    ///
    /// The NTP time is the wall clock's not at `now` but at that tick's
    /// own instant (`now` moved to the nearest tick, at most half a tick),
    /// to the nanosecond: every report's pair lies on one line, so a
    /// receiver that maps RTP to NTP time by whichever report came last
    /// (ffmpeg rounds its timestamps so) gets the same media times from
    /// each, not one a tick off when the rounding of `now` changed.
    #[must_use]
    pub fn sender_report(&self, now: Instant) -> SenderReport {
        let (rtp_timestamp, instant) = match self.timestamp_reference {
            Some((at, ts)) => {
                let hz = self.config.clock_rate.hz();
                if now >= at {
                    let d = now - at;
                    let instant = at.checked_add(tick_instant(d, hz)).unwrap_or(now);
                    (
                        RtpTimestamp::new(ts.0.wrapping_add(ticks_mod_2_32(d, hz))),
                        instant,
                    )
                } else {
                    let d = at - now;
                    let instant = at.checked_sub(tick_instant(d, hz)).unwrap_or(now);
                    (
                        RtpTimestamp::new(ts.0.wrapping_sub(ticks_mod_2_32(d, hz))),
                        instant,
                    )
                }
            }
            None => (RtpTimestamp::new(self.timestamp_offset), now),
        };
        let wallclock = self.config.wall_clock.at(instant).to_ntp();
        SenderReport {
            ssrc: self.ssrc,
            ntp_time: wallclock,
            rtp_timestamp,
            packet_count: self.packet_count,
            octet_count: self.octet_count,
            reports: Vec::new(),
            profile_extension: Bytes::new(),
        }
    }

    /// Runs the timers at `now`: drops members not heard from for five
    /// report intervals (a [`SenderEvent::Timeout`] each), and when a
    /// report is due queues a compound SR (or RR when nothing was sent in
    /// the last two intervals) with SDES CNAME, its NTP time from the
    /// configured wall clock.
    pub fn handle_timeout(&mut self, now: Instant) {
        if self.finished {
            return;
        }
        self.time_out_members(now);
        let (members, senders, we_sent) = (self.member_count(), self.senders(), self.we_sent());
        if !self
            .schedule
            .expire(now, members, senders, we_sent, &mut self.rng)
        {
            return;
        }
        if let Some(size) = self.queue_report(now, false) {
            self.sent_since_previous_report = self.sent_since_report;
            self.sent_since_report = false;
            let (members, senders, we_sent) = (self.member_count(), self.senders(), self.we_sent());
            self.schedule
                .sent(now, size, members, senders, we_sent, &mut self.rng);
        }
    }

    /// Queues SR (or RR) + SDES CNAME, and a BYE with `bye`; its size.
    fn queue_report(&mut self, now: Instant, bye: bool) -> Option<u64> {
        let first = if self.we_sent() {
            RtcpPacket::SenderReport(self.sender_report(now))
        } else {
            RtcpPacket::ReceiverReport(ReceiverReport {
                ssrc: self.ssrc,
                reports: Vec::new(),
                profile_extension: Bytes::new(),
            })
        };
        let sdes = RtcpPacket::SourceDescription(SourceDescription {
            chunks: vec![SdesChunk {
                source: self.ssrc,
                items: vec![SdesItem::cname(&self.config.cname)],
            }],
        });
        let mut out = Vec::with_capacity(160);
        // The packets are built here within their limits, so writing them
        // cannot fail; a failure would leave `out` empty and send nothing.
        let written = if bye {
            write_compound(&[first, sdes, goodbye(self.ssrc)], &mut out)
        } else {
            write_compound(&[first, sdes], &mut out)
        };
        written.ok()?;
        let size = out.len() as u64;
        self.transmits.push_back(Bytes::from(out));
        Some(size)
    }

    /// Drops the members silent for [`MEMBER_TIMEOUT_INTERVALS`]
    /// deterministic intervals.
    fn time_out_members(&mut self, now: Instant) {
        let (members, senders, we_sent) = (self.member_count(), self.senders(), self.we_sent());
        let limit =
            self.schedule.deterministic(members, senders, we_sent) * MEMBER_TIMEOUT_INTERVALS;
        let mut gone = Vec::new();
        self.members.retain(|&ssrc, &mut heard| {
            let keep = now.saturating_duration_since(heard) < limit;
            if !keep {
                gone.push(ssrc);
            }
            keep
        });
        for ssrc in gone {
            self.event(SenderEvent::Timeout { ssrc });
        }
    }

    /// The session ends at `now`: queues a compound SR (or RR) + SDES +
    /// BYE (RFC 3550 section 6.6) to drain with
    /// [`poll_transmit`](RtpSender::poll_transmit); no report follows and
    /// [`poll_timeout`](RtpSender::poll_timeout) is `None` from here. A
    /// second call does nothing.
    ///
    /// # Errors
    ///
    /// None today; the `Result` is the contract every producer shares.
    pub fn finish(&mut self, now: Instant) -> Result<(), SessionError> {
        if !self.finished {
            self.finished = true;
            let _ = self.queue_report(now, true);
        }
        Ok(())
    }

    /// `true` once [`finish`](RtpSender::finish) was called.
    #[must_use]
    pub fn is_finished(&self) -> bool {
        self.finished
    }

    /// The other participants heard from (bounded), by SSRC.
    pub fn members(&self) -> impl Iterator<Item = u32> + '_ {
        self.members.keys().copied()
    }

    /// When [`handle_timeout`](RtpSender::handle_timeout) is next needed.
    #[must_use]
    pub fn poll_timeout(&self) -> Option<Instant> {
        (!self.finished).then(|| self.schedule.next())
    }

    /// The next RTCP datagram to send.
    #[must_use]
    pub fn poll_transmit(&mut self) -> Option<Bytes> {
        self.transmits.pop_front()
    }

    /// The next event.
    #[must_use]
    pub fn poll_event(&mut self) -> Option<SenderEvent> {
        self.events.pop_front()
    }

    fn event(&mut self, e: SenderEvent) {
        if self.events.len() < MAX_EVENTS {
            self.events.push_back(e);
        } else {
            self.events_dropped += 1;
        }
    }

    fn member(&mut self, now: Instant, ssrc: u32) {
        if ssrc == self.ssrc {
            return;
        }
        if let Some(heard) = self.members.get_mut(&ssrc) {
            *heard = now;
        } else if self.members.len() < MAX_MEMBERS {
            self.members.insert(ssrc, now);
        }
    }

    fn blocks(&mut self, reporter: u32, blocks: &[ReportBlock], wallclock: NtpTimestamp) {
        let me = self.ssrc;
        for block in blocks.iter().filter(|b| b.ssrc == me) {
            self.event(SenderEvent::ReceiverReport {
                reporter,
                block: *block,
                round_trip: round_trip(
                    wallclock,
                    block.last_sender_report,
                    block.delay_since_last_sender_report,
                ),
            });
        }
    }

    /// Reads an RTCP datagram received at `now` (round-trip times use the
    /// configured wall clock's time at `now`). A datagram that does not
    /// parse is rejected whole, with no event.
    pub fn handle_rtcp(&mut self, now: Instant, datagram: Bytes) -> Result<(), SessionError> {
        let wallclock = self.config.wall_clock.at(now).to_ntp();
        let size = datagram.len() as u64;
        let packets = parse_compound(datagram)?;
        self.schedule.observe(size);
        for packet in packets {
            match packet {
                RtcpPacket::SenderReport(sr) => {
                    self.member(now, sr.ssrc);
                    self.blocks(sr.ssrc, &sr.reports, wallclock);
                }
                RtcpPacket::ReceiverReport(rr) => {
                    self.member(now, rr.ssrc);
                    self.blocks(rr.ssrc, &rr.reports, wallclock);
                }
                RtcpPacket::SourceDescription(sdes) => {
                    for chunk in &sdes.chunks {
                        self.member(now, chunk.source);
                    }
                }
                RtcpPacket::Goodbye(bye) => {
                    for ssrc in bye.sources {
                        self.members.remove(&ssrc);
                        self.event(SenderEvent::Goodbye { ssrc });
                    }
                }
                RtcpPacket::GenericNack(nack) if nack.media_ssrc == self.ssrc => {
                    let lost = nack.lost_sequence_numbers().collect();
                    self.event(SenderEvent::Nack {
                        reporter: nack.sender_ssrc,
                        lost,
                    });
                }
                RtcpPacket::PictureLossIndication(pli) if pli.media_ssrc == self.ssrc => {
                    self.event(SenderEvent::PictureLoss {
                        reporter: pli.sender_ssrc,
                    });
                }
                RtcpPacket::FullIntraRequest(fir) => {
                    let me = self.ssrc;
                    for entry in fir.entries.iter().filter(|e| e.ssrc == me) {
                        self.event(SenderEvent::FullIntraRequest {
                            reporter: fir.sender_ssrc,
                            sequence_number: entry.sequence_number,
                        });
                    }
                }
                _ => {}
            }
        }
        Ok(())
    }
}

/// `d` in ticks of an `hz` clock, rounded to the nearest tick (halves up),
/// modulo 2^32 as RTP timestamps are. Exact for any duration: `d` in
/// nanoseconds is below 2^94 and `hz` below 2^32, so the product fits.
fn ticks_mod_2_32(d: Duration, hz: u32) -> u32 {
    ticks(d, hz) as u32
}

/// Whole ticks of `hz` in `d`, rounded to the nearest (halves up).
fn ticks(d: Duration, hz: u32) -> u128 {
    (d.as_nanos() * u128::from(hz) + 500_000_000) / 1_000_000_000
}

/// The duration of the whole ticks nearest `d` (what [`ticks`] counts),
/// to the nearest nanosecond.
fn tick_instant(d: Duration, hz: u32) -> Duration {
    let hz = u128::from(hz.max(1));
    let nanos = (ticks(d, hz as u32) * 1_000_000_000 + hz / 2) / hz;
    Duration::from_nanos(u64::try_from(nanos).unwrap_or(u64::MAX))
}

/// Octets of an SDES packet with one chunk holding one CNAME item.
pub(super) fn sdes_len(cname: &str) -> u64 {
    // header 4 + SSRC 4 + type/len 2 + text + terminating null, padded to 4
    let body = 4 + 2 + cname.len() as u64 + 1;
    4 + body.div_ceil(4) * 4
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::packet::RtpPacket;
    use crate::rtcp::{FirEntry, FullIntraRequest, GenericNack, PictureLossIndication};

    #[allow(clippy::disallowed_methods)] // the tests' virtual clock starts at a real instant
    fn t0() -> Instant {
        Instant::now()
    }

    /// The wall clock of the tests: NTP time 3 900 000 000 s at `t`.
    fn wall(t: Instant) -> WallClock {
        use streamkit_core::clock::{NTP_UNIX_OFFSET, UnixTime};
        WallClock::new(
            t,
            UnixTime::from_unix(Duration::from_secs(3_900_000_000 - NTP_UNIX_OFFSET)),
        )
    }

    fn config(seed: u64, t: Instant) -> SenderConfig {
        SenderConfig::new(96, Timescale::VIDEO_90KHZ, "a@b", seed, wall(t))
    }

    /// Calls `handle_timeout` at each `poll_timeout` until a report comes
    /// out (timer reconsideration may move the timer first); returns it and
    /// when it was sent.
    fn next_report(s: &mut RtpSender) -> (Instant, Bytes) {
        for _ in 0..10 {
            let at = s.poll_timeout().unwrap();
            s.handle_timeout(at);
            if let Some(b) = s.poll_transmit() {
                return (at, b);
            }
        }
        panic!("no report after 10 timeouts");
    }

    #[test]
    fn numbers_stamps_and_counts() {
        let t = t0();
        let mut s = RtpSender::new(t, config(42, t));
        let mut r = SplitMix64::new(42);
        assert_eq!(s.ssrc(), r.next_u32());
        let seq0 = (r.next_u32() >> 16) as u16;
        let off = r.next_u32();
        assert_eq!(s.next_sequence_number(), SequenceNumber::new(seq0));
        assert_eq!(s.timestamp_offset(), off);
        // 1/30 s in milliseconds rescales to 3 000 ticks at 90 kHz; 40 ms of
        // 1 kHz is exactly 3 600.
        let d = s
            .send(
                t,
                MediaTime::new(40, Timescale::MILLIS),
                true,
                Bytes::from_static(b"abcde"),
            )
            .unwrap();
        let mut wire = Vec::new();
        d.write_to(&mut wire).unwrap();
        let p = RtpPacket::parse(Bytes::from(wire)).unwrap();
        assert_eq!(p.sequence_number(), SequenceNumber::new(seq0));
        assert_eq!(p.timestamp(), RtpTimestamp::new(off.wrapping_add(3_600)));
        assert_eq!(p.payload_type(), 96);
        assert!(p.marker());
        assert_eq!(p.ssrc(), s.ssrc());
        let _ = s
            .send(
                t,
                MediaTime::new(1, Timescale::new(48_000).unwrap()),
                false,
                Bytes::from_static(b"xy"),
            )
            .unwrap();
        // 1/48000 s = 1.875 ticks: nearest is 2.
        assert_eq!(
            s.rtp_timestamp(MediaTime::new(1, Timescale::AUDIO_48KHZ))
                .unwrap(),
            RtpTimestamp::new(off.wrapping_add(2))
        );
        assert_eq!(
            s.next_sequence_number(),
            SequenceNumber::new(seq0.wrapping_add(2))
        );
        assert_eq!((s.packet_count(), s.octet_count()), (2, 7));
    }

    #[test]
    fn sender_report_extrapolates_the_rtp_timestamp() {
        let t = t0();
        let mut s = RtpSender::new(t, config(1, t));
        let _ = s
            .send(
                t,
                MediaTime::new(0, Timescale::VIDEO_90KHZ),
                true,
                Bytes::from_static(b"x"),
            )
            .unwrap();
        let sr = s.sender_report(t + Duration::from_millis(500));
        assert_eq!(
            sr.rtp_timestamp,
            RtpTimestamp::new(s.timestamp_offset().wrapping_add(45_000))
        );
        assert_eq!((sr.packet_count, sr.octet_count), (1, 1));
        assert_eq!(
            sr.ntp_time,
            wall(t).at(t + Duration::from_millis(500)).to_ntp()
        );
    }

    /// Records `frames` of (`sent_ms`, `pts_ms`) 40 ms video frames (3 600
    /// ticks at 90 kHz), each at its sending instant, then returns the SR's
    /// RTP timestamp at `report_ms` minus the offset.
    fn sr_ticks_after(frames: &[(u64, u64)], report_ms: u64) -> u32 {
        let t = t0();
        let mut s = RtpSender::new(t, config(3, t));
        for &(sent_ms, pts_ms) in frames {
            let header = s
                .next_header(MediaTime::new(pts_ms as i64, Timescale::MILLIS), true)
                .unwrap();
            s.record_sent(t + Duration::from_millis(sent_ms), &header, 100);
        }
        let sr = s.sender_report(t + Duration::from_millis(report_ms));
        sr.rtp_timestamp.0.wrapping_sub(s.timestamp_offset())
    }

    #[test]
    fn sender_reports_lie_on_one_line_to_the_nanosecond() {
        let t = t0();
        let mut s = RtpSender::new(t, config(1, t));
        let _ = s
            .send(
                t,
                MediaTime::new(0, Timescale::VIDEO_90KHZ),
                true,
                Bytes::from_static(b"x"),
            )
            .unwrap();
        // Instants between ticks (a 90 kHz tick is 11 111.1 ns): 0.3, 0.6
        // and 0.45 of a tick past a whole one.
        let ntp = |sr: &SenderReport| sr.ntp_time.0 as i128;
        let first = s.sender_report(t);
        for (nanos, ticks) in [
            (1_000_003_333u64, 90_000u32),
            (2_000_006_667, 180_001),
            (7_000_005_000, 630_000),
        ] {
            let sr = s.sender_report(t + Duration::from_nanos(nanos));
            assert_eq!(
                sr.rtp_timestamp.0.wrapping_sub(first.rtp_timestamp.0),
                ticks
            );
            // The NTP time is the tick's own instant (2^32 units a
            // second), within a nanosecond's rounding.
            let expected = i128::from(ticks) * (1i128 << 32) / 90_000;
            let error = (ntp(&sr) - ntp(&first) - expected).abs();
            assert!(error <= 5, "{nanos} ns: {error} NTP units off");
        }
    }

    #[test]
    fn sender_report_does_not_depend_on_recording_order() {
        // I B B P in presentation order, one frame every 40 ms.
        let presentation = [(0, 0), (40, 40), (80, 80), (120, 120)];
        // The same frames in decode order, I P B B, sent every 40 ms: the
        // last packet recorded (a B-frame, 80 ms, sent at 120 ms) lies off
        // the line through the others.
        let decode = [(0, 0), (40, 120), (80, 40), (120, 80)];
        // 160 ms after the I-frame's 0 ms: 14 400 ticks.
        assert_eq!(sr_ticks_after(&presentation, 160), 14_400);
        assert_eq!(sr_ticks_after(&decode, 160), 14_400);
        assert_eq!(sr_ticks_after(&decode, 1_000), 90_000);
    }

    #[test]
    fn sender_report_before_a_recorded_instant_extrapolates_back() {
        // Media time 1 s recorded as captured 1 s after the start.
        let frame = [(1_000, 1_000)];
        // At 500 ms the media clock reads 0.5 s: 45 000 ticks, not the
        // packet's 90 000.
        assert_eq!(sr_ticks_after(&frame, 500), 45_000);
        // At the start it reads zero, and 10 ms before media time 0.6 s
        // (recorded at 0 s) it reads -900 ticks, modulo 2^32.
        assert_eq!(sr_ticks_after(&frame, 0), 0);
        assert_eq!(sr_ticks_after(&[(10, 600)], 0), 54_000 - 900);
        assert_eq!(sr_ticks_after(&[(10, 0)], 0), 0u32.wrapping_sub(900));
        // Signed rounding to the nearest tick: 1/180 000 s either way.
        assert_eq!(ticks_mod_2_32(Duration::from_nanos(5_556), 90_000), 1);
        assert_eq!(ticks_mod_2_32(Duration::from_nanos(5_555), 90_000), 0);
    }

    #[test]
    fn sends_compound_sr_with_cname_when_due() {
        let t = t0();
        let mut s = RtpSender::new(
            t,
            SenderConfig::new(96, Timescale::VIDEO_90KHZ, "me@host", 5, wall(t)),
        );
        let _ = s
            .send(
                t,
                MediaTime::new(0, Timescale::VIDEO_90KHZ),
                true,
                Bytes::from_static(b"x"),
            )
            .unwrap();
        let due = s.poll_timeout().unwrap();
        assert!(due > t);
        s.handle_timeout(due - Duration::from_millis(1));
        assert_eq!(s.poll_transmit(), None);
        let (sent_at, wire) = next_report(&mut s);
        assert!(sent_at >= due);
        let packets = parse_compound(wire).unwrap();
        assert_eq!(packets.len(), 2);
        let RtcpPacket::SenderReport(sr) = &packets[0] else {
            panic!("{packets:?}")
        };
        assert_eq!(sr.ssrc, s.ssrc());
        // The NTP time of the RTP tick nearest the sending instant.
        let tick = t + tick_instant(sent_at - t, 90_000);
        assert_eq!(sr.ntp_time, wall(t).at(tick).to_ntp());
        assert_eq!(
            sr.rtp_timestamp.0.wrapping_sub(s.timestamp_offset()),
            ticks_mod_2_32(sent_at - t, 90_000)
        );
        let RtcpPacket::SourceDescription(sdes) = &packets[1] else {
            panic!("{packets:?}")
        };
        assert_eq!(
            sdes.chunks[0].cname().map(|c| &c[..]),
            Some(&b"me@host"[..])
        );
        let next = s.poll_timeout().unwrap();
        // 5 s minimum, randomized into [0.5, 1.5) / 1.21828.
        let gap = next - sent_at;
        assert!(gap >= Duration::from_millis(2_052) && gap < Duration::from_millis(6_157));
        // Packets were sent in the previous interval: still an SR.
        let p = parse_compound(next_report(&mut s).1).unwrap();
        assert!(matches!(p[0], RtcpPacket::SenderReport(_)));
        // Nothing sent for two intervals: the report becomes an RR.
        let p = parse_compound(next_report(&mut s).1).unwrap();
        assert!(matches!(p[0], RtcpPacket::ReceiverReport(_)));
    }

    #[test]
    fn surfaces_feedback_as_events() {
        let t = t0();
        let mut s = RtpSender::new(t, config(9, t));
        let me = s.ssrc();
        let other = me.wrapping_add(1);
        let block = ReportBlock {
            ssrc: me,
            fraction_lost: 25,
            cumulative_lost: 3,
            extended_highest_sequence: 70_000,
            jitter: 12,
            last_sender_report: 0xb705_2000,
            delay_since_last_sender_report: 0x0005_4000,
        };
        let packets = [
            RtcpPacket::ReceiverReport(ReceiverReport {
                ssrc: 77,
                reports: vec![
                    block,
                    ReportBlock {
                        ssrc: other,
                        ..block
                    },
                ],
                profile_extension: Bytes::new(),
            }),
            RtcpPacket::GenericNack(GenericNack::from_lost(
                77,
                me,
                &[SequenceNumber::new(65_535), SequenceNumber::new(1)],
            )),
            RtcpPacket::GenericNack(GenericNack::from_lost(77, other, &[SequenceNumber::new(5)])),
            RtcpPacket::PictureLossIndication(PictureLossIndication {
                sender_ssrc: 77,
                media_ssrc: me,
            }),
            RtcpPacket::FullIntraRequest(FullIntraRequest {
                sender_ssrc: 77,
                media_ssrc: 0,
                entries: vec![FirEntry {
                    ssrc: me,
                    sequence_number: 4,
                }],
            }),
        ];
        let mut wire = Vec::new();
        write_compound(&packets, &mut wire).unwrap();
        // At `t` the wall clock reads NTP 0xb710:8000 (in era 1, 2036).
        s.set_wall_clock(WallClock::new(
            t,
            streamkit_core::clock::UnixTime::from_unix(Duration::new(2_086_025_360, 500_000_000)),
        ));
        assert_eq!(
            s.config().wall_clock.at(t).to_ntp(),
            NtpTimestamp::new(0xb710, 0x8000_0000)
        );
        s.handle_rtcp(t, Bytes::from(wire)).unwrap();
        let events: Vec<_> = core::iter::from_fn(|| s.poll_event()).collect();
        assert_eq!(
            events,
            [
                SenderEvent::ReceiverReport {
                    reporter: 77,
                    block,
                    round_trip: Some(Duration::from_millis(6_125))
                },
                SenderEvent::Nack {
                    reporter: 77,
                    lost: vec![SequenceNumber::new(65_535), SequenceNumber::new(1)]
                },
                SenderEvent::PictureLoss { reporter: 77 },
                SenderEvent::FullIntraRequest {
                    reporter: 77,
                    sequence_number: 4
                },
            ]
        );
        assert!(
            s.handle_rtcp(t, Bytes::from_static(&[0x80, 201, 0, 5]))
                .is_err()
        );
        assert_eq!(s.poll_event(), None);
    }
}
