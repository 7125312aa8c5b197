//! RTP sessions (RFC 3550), Sans-IO: a [`RtpSender`] and a [`RtpReceiver`].
//!
//! Both follow the same contract:
//!
//! - Input comes in through `handle_*` calls, each with `now` first (a
//!   monotonic [`Instant`] from the caller's clock): `handle_rtcp(now,
//!   datagram)`, and for the receiver `handle_rtp(now, packet)`; the
//!   sender counts the packets it numbers with `send` / `record_sent`.
//! - After every input, drain `poll_transmit` (RTCP datagrams to send to
//!   the peer's RTCP address) and `poll_event` until they return `None`.
//! - Call `handle_timeout(now)` at [`poll_timeout`](RtpSender::poll_timeout)
//!   (or earlier; early calls do nothing).
//! - At the end, `finish(now)` queues the BYE compound; drain
//!   `poll_transmit` once more. `poll_timeout` is then `None`.
//!
//! Wall-clock time (the NTP time of sender reports, round-trip times) comes
//! from the [`WallClock`](streamkit_core::clock::WallClock) in the
//! sender's configuration, the link between the caller's monotonic clock
//! and Unix time; [`RtpSender::set_wall_clock`] follows a clock
//! adjustment.
//!
//! Nothing here reads a clock or draws random numbers from the system: the
//! SSRC, the initial sequence number, the RTP timestamp offset and the
//! randomization of the RTCP interval come from the caller's `seed` through
//! [`SplitMix64`], so a session replays exactly under a test's virtual
//! clock.
//!
//! The RTCP report interval follows RFC 3550 section 6.3 and the
//! `rtcp_interval` / `OnExpire` code of appendix A.7, in integer
//! arithmetic: 5 % of the session bandwidth for RTCP, a quarter of it for
//! senders when they are at most a quarter of the members, a 5 s minimum
//! (halved before the first report), a random factor in `[0.5, 1.5)`,
//! divided by the compensation `e - 3/2`, and timer reconsideration. Members
//! are the local participant plus the sources heard (bounded). A member not
//! heard from for five deterministic intervals times out (section 6.3.5,
//! reported as an event), a member that sends BYE is removed at once; BYE
//! reconsideration (section 6.3.7) is not done: `finish(now)` sends the
//! BYE compound at once.
//!
//! The receiver sends feedback (generic NACK, PLI) by the early-feedback
//! rules of RFC 4585 section 3.5: feedback rides on a regular report due
//! within the dithering window, else goes in one early packet per regular
//! interval (after which the next regular report waits twice the
//! interval), else waits for the next regular report when that comes
//! within [`FeedbackConfig::max_delay`], else is dropped and counted. With
//! a [`FeedbackConfig::min_report_interval`] (`T_rr_interval`) regular
//! reports closer together than that are suppressed.
//!
//! ```
//! use std::time::{Duration, Instant};
//! use bytes::Bytes;
//! use streamkit_core::time::{MediaTime, Timescale};
//! use streamkit_core::clock::{UnixTime, WallClock};
//! use streamkit_rtp::packet::RtpPacket;
//! use streamkit_rtp::session::{RtpReceiver, RtpSender, ReceiverConfig, SenderConfig};
//!
//! # #[allow(clippy::disallowed_methods)] // the example needs a starting instant
//! let t0 = Instant::now();
//! let wall = WallClock::new(t0, UnixTime::from_unix_millis(1_700_000_000_000));
//! let mut tx = RtpSender::new(t0, SenderConfig::new(96, Timescale::VIDEO_90KHZ, "tx@example.com", 7, wall));
//! let mut rx = RtpReceiver::new(t0, ReceiverConfig::new(Timescale::VIDEO_90KHZ, "rx@example.com", 8));
//! for i in 0..90 {
//!     let now = t0 + Duration::from_millis(33 * i);
//!     let media = MediaTime::new(3_000 * i as i64, Timescale::VIDEO_90KHZ);
//!     let datagram = tx.send(now, media, true, Bytes::from_static(b"frame"))?;
//!     let mut wire = Vec::new();
//!     datagram.write_to(&mut wire)?;
//!     rx.handle_rtp(now, &RtpPacket::parse(Bytes::from(wire))?);
//!     // Timers: RTCP reports travel from each session to the other.
//!     for _ in 0..2 {
//!         if tx.poll_timeout().is_some_and(|t| t <= now) { tx.handle_timeout(now); }
//!         if rx.poll_timeout().is_some_and(|t| t <= now) { rx.handle_timeout(now); }
//!     }
//!     while let Some(sr) = tx.poll_transmit() { rx.handle_rtcp(now, sr)?; }
//!     while let Some(rr) = rx.poll_transmit() { tx.handle_rtcp(now, rr)?; }
//! }
//! let stats = rx.source(tx.ssrc()).expect("source").statistics();
//! assert_eq!(stats.received, 89); // the first packet is spent on probation
//! assert_eq!(stats.cumulative_lost, 0);
//! assert_eq!(tx.packet_count(), 90);
//! // The sender leaves: its BYE reaches the receiver, which drops the source.
//! let end = t0 + Duration::from_secs(3);
//! tx.finish(end)?;
//! while let Some(bye) = tx.poll_transmit() { rx.handle_rtcp(end, bye)?; }
//! assert_eq!(tx.poll_timeout(), None);
//! assert!(rx.source(tx.ssrc()).is_none());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod receiver;
mod sender;
mod source;

pub use receiver::{
    FeedbackConfig, NackConfig, ReceiverConfig, ReceiverEvent, RtpDisposition, RtpReceiver,
};
pub use sender::{RtpSender, SenderConfig, SenderEvent};
pub use source::{
    MAX_DROPOUT, MAX_MISORDER, MIN_SEQUENTIAL, Source, SourceState, SourceStatistics,
};

use std::time::{Duration, Instant};

use crate::rtcp::NtpTimestamp;

pub use crate::error::SessionError;

/// SplitMix64 (Steele, Lea and Flood, 2014): the small seeded generator the
/// sessions draw their SSRC, initial sequence number, timestamp offset and
/// RTCP interval randomization from. Not for cryptography: RFC 3550 section
/// 8 asks for unpredictable values, so seed it from a good source when that
/// matters.
#[derive(Debug, Clone)]
pub struct SplitMix64(u64);

impl SplitMix64 {
    /// The generator for `seed`.
    #[must_use]
    pub const fn new(seed: u64) -> SplitMix64 {
        SplitMix64(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// The next 32 random bits.
    pub fn next_u32(&mut self) -> u32 {
        (self.next_u64() >> 32) as u32
    }
}

/// The fixed RTCP parameters of RFC 3550 appendix A.7.
const RTCP_MIN_TIME: Duration = Duration::from_secs(5);
/// The UDP and IPv4 header octets added to each compound's size (section
/// 6.2: the average size includes lower-layer headers).
pub(crate) const UDP_IP_OVERHEAD: u64 = 28;
/// The most remote participants a session keeps track of.
pub(crate) const MAX_MEMBERS: usize = 256;

/// The report timer of RFC 3550 section 6.3, appendix A.7.
#[derive(Debug, Clone)]
pub(crate) struct RtcpSchedule {
    /// RTCP bandwidth in octets per second (5 % of the session's).
    rtcp_bw: u64,
    /// tp: when the last report was sent.
    tp: Instant,
    /// tn: when the next one is due.
    tn: Instant,
    /// avg_rtcp_size in octets, times 16.
    avg_rtcp_size_16: u64,
    /// Before the first report.
    initial: bool,
}

impl RtcpSchedule {
    /// A schedule starting at `now`, for a session of `session_bw` bits per
    /// second whose compound reports are about `first_size` octets.
    pub(crate) fn new(
        now: Instant,
        session_bw: u64,
        first_size: u64,
        members: u64,
        senders: u64,
        we_sent: bool,
        rng: &mut SplitMix64,
    ) -> RtcpSchedule {
        let mut s = RtcpSchedule {
            rtcp_bw: (session_bw / 8 / 20).max(1),
            tp: now,
            tn: now,
            avg_rtcp_size_16: (first_size + UDP_IP_OVERHEAD) * 16,
            initial: true,
        };
        s.tn = now + s.interval(members, senders, we_sent, rng);
        s
    }

    /// `rtcp_interval()` of appendix A.7.
    pub(crate) fn interval(
        &self,
        members: u64,
        senders: u64,
        we_sent: bool,
        rng: &mut SplitMix64,
    ) -> Duration {
        let deterministic = deterministic_interval(
            members,
            senders,
            self.rtcp_bw,
            we_sent,
            self.avg_rtcp_size_16 / 16,
            self.initial,
        );
        randomize(deterministic, rng.next_u32())
    }

    /// When the next report is due.
    pub(crate) fn next(&self) -> Instant {
        self.tn
    }

    /// When the last report was sent (the schedule's start before the
    /// first).
    pub(crate) fn last(&self) -> Instant {
        self.tp
    }

    /// Moves the next report to `tn` (RFC 4585 section 3.5.3: after an
    /// early packet the next regular report waits longer).
    pub(crate) fn set_next(&mut self, tn: Instant) {
        self.tn = tn;
    }

    /// Starts the schedule afresh at `now`, as a new session would.
    pub(crate) fn restart(
        &mut self,
        now: Instant,
        members: u64,
        senders: u64,
        we_sent: bool,
        rng: &mut SplitMix64,
    ) {
        self.tp = now;
        self.initial = true;
        self.tn = now + self.interval(members, senders, we_sent, rng);
    }

    /// The deterministic interval `Td` (no randomization, no
    /// compensation) that member timeouts are counted in (RFC 3550 section
    /// 6.3.5).
    pub(crate) fn deterministic(&self, members: u64, senders: u64, we_sent: bool) -> Duration {
        deterministic_interval(
            members,
            senders,
            self.rtcp_bw,
            we_sent,
            self.avg_rtcp_size_16 / 16,
            false,
        )
    }

    /// `OnExpire()` of appendix A.7 at `now`: `true` when a report is to be
    /// sent now (the caller sends it, then calls [`sent`]); otherwise the
    /// timer is moved to the reconsidered time.
    ///
    /// [`sent`]: RtcpSchedule::sent
    pub(crate) fn expire(
        &mut self,
        now: Instant,
        members: u64,
        senders: u64,
        we_sent: bool,
        rng: &mut SplitMix64,
    ) -> bool {
        if now < self.tn {
            return false;
        }
        let t = self.interval(members, senders, we_sent, rng);
        let tn = self.tp + t;
        if tn <= now {
            true
        } else {
            self.tn = tn;
            false
        }
    }

    /// A report of `size` octets (without UDP/IP headers) was sent at `now`:
    /// updates the average size and schedules the next report.
    pub(crate) fn sent(
        &mut self,
        now: Instant,
        size: u64,
        members: u64,
        senders: u64,
        we_sent: bool,
        rng: &mut SplitMix64,
    ) {
        self.observe(size);
        self.tp = now;
        self.initial = false;
        self.tn = now + self.interval(members, senders, we_sent, rng);
    }

    /// A compound of `size` octets was sent or received: `avg_rtcp_size =
    /// size / 16 + avg_rtcp_size * 15 / 16` (section 6.3.3).
    pub(crate) fn observe(&mut self, size: u64) {
        let size = size + UDP_IP_OVERHEAD;
        self.avg_rtcp_size_16 = self.avg_rtcp_size_16 - self.avg_rtcp_size_16 / 16 + size;
    }
}

/// The interval before randomization and compensation: the first half of
/// `rtcp_interval()` in appendix A.7, in integer arithmetic.
pub(crate) fn deterministic_interval(
    members: u64,
    senders: u64,
    rtcp_bw: u64,
    we_sent: bool,
    avg_rtcp_size: u64,
    initial: bool,
) -> Duration {
    let min = if initial {
        RTCP_MIN_TIME / 2
    } else {
        RTCP_MIN_TIME
    };
    let mut n = members.max(1);
    // Octets per second times 4, to keep the quarter exact.
    let mut bw4 = rtcp_bw.saturating_mul(4);
    if senders.saturating_mul(4) <= members {
        if we_sent {
            bw4 = rtcp_bw; // a quarter of the bandwidth
            n = senders.max(1);
        } else {
            bw4 = rtcp_bw.saturating_mul(3); // three quarters
            n = members.saturating_sub(senders).max(1);
        }
    }
    // t = avg_rtcp_size * n / rtcp_bw seconds.
    let micros = u128::from(avg_rtcp_size) * u128::from(n) * 4_000_000 / u128::from(bw4.max(1));
    let t = Duration::from_micros(u64::try_from(micros).unwrap_or(u64::MAX));
    t.max(min)
}

/// `t * (drand48() + 0.5) / COMPENSATION` of appendix A.7, with the random
/// fraction `r / 2^32` and `COMPENSATION = 2.71828 - 1.5`.
pub(crate) fn randomize(t: Duration, r: u32) -> Duration {
    let nanos = t.as_nanos();
    // (r / 2^32 + 1/2) = (r + 2^31) / 2^32
    let scaled = (nanos * (u128::from(r) + (1 << 31))) >> 32;
    let compensated = scaled * 100_000 / 121_828;
    Duration::from_nanos(u64::try_from(compensated).unwrap_or(u64::MAX))
}

/// RFC 3550 section 6.3.5: a participant not heard from for this many
/// deterministic report intervals is dropped from the members.
pub(crate) const MEMBER_TIMEOUT_INTERVALS: u32 = 5;

/// A BYE for `ssrc` (RFC 3550 section 6.6).
pub(crate) fn goodbye(ssrc: u32) -> crate::rtcp::RtcpPacket {
    crate::rtcp::RtcpPacket::Goodbye(crate::rtcp::Goodbye {
        sources: vec![ssrc],
        reason: None,
    })
}

/// DLSR / round-trip units: `d` in 1/65536 s, rounded down, saturating.
pub(crate) fn to_65536ths(d: Duration) -> u32 {
    let v = d.as_nanos() * 65_536 / 1_000_000_000;
    u32::try_from(v).unwrap_or(u32::MAX)
}

/// `v` 1/65536 s as a duration.
pub(crate) fn from_65536ths(v: u32) -> Duration {
    Duration::from_nanos(u64::from(v) * 1_000_000_000 / 65_536)
}

/// The round-trip time from a report block (RFC 3550 section 6.4.1,
/// figure 2): `A - LSR - DLSR` with `A` the arrival wall-clock time; `None`
/// when the block carries no LSR or the result would be negative.
pub(crate) fn round_trip(arrival: NtpTimestamp, lsr: u32, dlsr: u32) -> Option<Duration> {
    if lsr == 0 {
        return None;
    }
    let a = arrival.middle_32();
    let rtt = a.wrapping_sub(lsr).wrapping_sub(dlsr);
    // A negative result (clock skew) shows up as a huge wrap.
    if rtt > u32::MAX / 2 {
        return None;
    }
    Some(from_65536ths(rtt))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splitmix64_reference_values() {
        // First outputs for seed 1234567, as in the reference implementation.
        let mut r = SplitMix64::new(1_234_567);
        assert_eq!(r.next_u64(), 6_457_827_717_110_365_317);
        assert_eq!(r.next_u64(), 3_203_168_211_198_807_973);
    }

    #[test]
    fn rtcp_interval_arithmetic() {
        // 1 Mbit/s session: 6 250 octets/s of RTCP.
        let bw = 1_000_000 / 8 / 20;
        // Two members, one sender (us), 100-octet reports: the sender gets a
        // quarter: 100 * 1 / 1562.5 = 0.064 s, below the minimum.
        assert_eq!(
            deterministic_interval(2, 1, bw, true, 100, false),
            Duration::from_secs(5)
        );
        assert_eq!(
            deterministic_interval(2, 1, bw, true, 100, true),
            Duration::from_millis(2_500)
        );
        // 1000 receivers, 1 sender, 100-octet reports: a receiver shares
        // three quarters: 100 * 1000 / 4687.5 = 21.333 s.
        assert_eq!(
            deterministic_interval(1001, 1, bw, false, 100, false),
            Duration::from_micros(21_333_333)
        );
        // All senders (more than a quarter): whole bandwidth, all members.
        assert_eq!(
            deterministic_interval(400, 400, bw, true, 100, false),
            Duration::from_micros(6_400_000)
        );
        // Randomization bounds: [0.5, 1.5) / 1.21828.
        let t = Duration::from_secs(5);
        assert_eq!(randomize(t, 0), Duration::from_nanos(2_052_073_414));
        assert_eq!(randomize(t, 1 << 31), Duration::from_nanos(4_104_146_829));
        assert!(randomize(t, u32::MAX) < Duration::from_nanos(6_156_220_244));
    }

    #[test]
    fn round_trip_from_rfc3550_figure_2() {
        // Figure 2: A = 0xb710:8000 (46864.500 s), LSR = 0xb705:2000
        // (46853.125 s), DLSR = 0x0005:4000 (5.250 s): RTT = 6.125 s.
        let arrival = NtpTimestamp::new(0xb710, 0x8000_0000);
        let rtt = round_trip(arrival, 0xb705_2000, 0x0005_4000).unwrap();
        assert_eq!(rtt, Duration::from_millis(6_125));
        assert_eq!(round_trip(arrival, 0, 5), None);
        assert_eq!(round_trip(arrival, 0xb711_0000, 0), None);
        assert_eq!(to_65536ths(Duration::from_millis(5_250)), 0x0005_4000);
    }

    #[test]
    fn schedule_reconsiders_and_randomizes_from_the_seed() {
        #[allow(clippy::disallowed_methods)] // the tests' virtual clock starts at a real instant
        let t0 = Instant::now();
        let mut rng = SplitMix64::new(1);
        let mut s = RtcpSchedule::new(t0, 1_000_000, 72, 2, 1, true, &mut rng);
        let first = s.next() - t0;
        // initial: 2.5 s * [0.5, 1.5) / 1.21828
        assert!(first >= Duration::from_millis(1_026) && first < Duration::from_millis(3_079));
        assert!(!s.expire(s.next() - Duration::from_millis(1), 2, 1, true, &mut rng));
        let mut rng2 = SplitMix64::new(1);
        let again = RtcpSchedule::new(t0, 1_000_000, 72, 2, 1, true, &mut rng2);
        assert_eq!(again.next(), s.next());
    }
}
