//! Time: timescales, media times that carry their timescale, exact integer
//! rescaling, and wrap-aware counters (RTP sequence numbers, RTP timestamps,
//! 33-bit MPEG-TS timestamps).
//!
//! No floats touch the media path. [`MediaTime::rescale`] multiplies and
//! divides in 128-bit integers, so a value of up to 2^62 ticks converts
//! between 90 kHz, 48 kHz and 1 kHz without any intermediate overflow; the
//! rounding is always the one the caller names ([`Rounding`]).
//!
//! Wrapping values ([`SequenceNumber`], [`RtpTimestamp`],
//! [`MpegTsTimestamp`]) compare by the shortest signed distance around their
//! circle, and an [`Extender`] turns a stream of them into monotonic 64-bit
//! values that keep counting across each wrap.
//!
//! ```
//! use streamkit_core::time::{Extender, SequenceNumber, Wrapping};
//!
//! let a = SequenceNumber::new(65_535);
//! let b = SequenceNumber::new(2);
//! assert_eq!(a.distance_to(b), 3); // b is three steps after a, across the wrap
//! assert!(b.is_after(a));
//!
//! let mut ext = Extender::<SequenceNumber>::new();
//! assert_eq!(ext.extend(a), 65_535);
//! assert_eq!(ext.extend(b), 65_538);
//! ```

use core::cmp::Ordering;
use core::fmt;
use core::num::NonZeroU32;
use core::time::Duration;

/// Ticks per second of a clock: 90 000 for video, the sample rate for audio,
/// 1 000 for manifests.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Timescale(NonZeroU32);

impl Timescale {
    /// 1 Hz: whole seconds.
    pub const SECONDS: Timescale = Timescale::from_nonzero(NonZeroU32::MIN);
    /// 1 kHz: milliseconds, the unit of most manifests.
    pub const MILLIS: Timescale = Timescale::const_new(1_000);
    /// 1 MHz: microseconds.
    pub const MICROS: Timescale = Timescale::const_new(1_000_000);
    /// 1 GHz: nanoseconds, the unit of [`Duration`].
    pub const NANOS: Timescale = Timescale::const_new(1_000_000_000);
    /// 90 kHz: the RTP video clock and the MPEG-TS PTS/DTS clock.
    pub const VIDEO_90KHZ: Timescale = Timescale::const_new(90_000);
    /// 48 kHz: Opus's RTP clock and common audio sample rate.
    pub const AUDIO_48KHZ: Timescale = Timescale::const_new(48_000);
    /// 44.1 kHz audio.
    pub const AUDIO_44_1KHZ: Timescale = Timescale::const_new(44_100);

    /// A timescale of `hz` ticks per second, or `None` for zero.
    #[must_use]
    pub const fn new(hz: u32) -> Option<Timescale> {
        match NonZeroU32::new(hz) {
            Some(nz) => Some(Timescale(nz)),
            None => None,
        }
    }

    /// A timescale from a value known to be non-zero.
    #[must_use]
    pub const fn from_nonzero(hz: NonZeroU32) -> Timescale {
        Timescale(hz)
    }

    const fn const_new(hz: u32) -> Timescale {
        match NonZeroU32::new(hz) {
            Some(nz) => Timescale(nz),
            None => Timescale(NonZeroU32::MIN),
        }
    }

    /// Ticks per second.
    #[must_use]
    pub const fn hz(self) -> u32 {
        self.0.get()
    }
}

impl fmt::Debug for Timescale {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Timescale({} Hz)", self.hz())
    }
}

impl fmt::Display for Timescale {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} Hz", self.hz())
    }
}

/// How [`MediaTime::rescale`] rounds a result that falls between two ticks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Rounding {
    /// Toward negative infinity (floor).
    Down,
    /// Toward positive infinity (ceiling).
    Up,
    /// To the nearest tick; an exact half rounds toward positive infinity.
    Nearest,
}

/// Divides `num` by the positive `den` with the given rounding.
fn div_round(num: i128, den: i128, rounding: Rounding) -> i128 {
    match rounding {
        Rounding::Down => num.div_euclid(den),
        Rounding::Up => -((-num).div_euclid(den)),
        Rounding::Nearest => (2 * num + den).div_euclid(2 * den),
    }
}

/// A point or span on a media clock: a signed tick count and its timescale.
///
/// Equality and ordering compare the instants exactly across timescales
/// (1 s at 1 kHz equals 1 s at 90 kHz), without rounding.
#[derive(Clone, Copy)]
pub struct MediaTime {
    ticks: i64,
    timescale: Timescale,
}

impl MediaTime {
    /// `ticks` on the clock `timescale`.
    #[must_use]
    pub const fn new(ticks: i64, timescale: Timescale) -> MediaTime {
        MediaTime { ticks, timescale }
    }

    /// Zero on the clock `timescale`.
    #[must_use]
    pub const fn zero(timescale: Timescale) -> MediaTime {
        MediaTime::new(0, timescale)
    }

    /// The tick count.
    #[must_use]
    pub const fn ticks(self) -> i64 {
        self.ticks
    }

    /// The clock.
    #[must_use]
    pub const fn timescale(self) -> Timescale {
        self.timescale
    }

    /// This time on another clock, rounded as asked, or `None` when the
    /// result does not fit in an `i64`.
    ///
    /// The product is computed in 128 bits, so the conversion itself never
    /// overflows; only a result beyond `i64` (for example 2^62 ticks at 1 kHz
    /// taken to 90 kHz) gives `None`.
    #[must_use]
    pub fn checked_rescale(self, to: Timescale, rounding: Rounding) -> Option<MediaTime> {
        if to == self.timescale {
            return Some(self);
        }
        let num = i128::from(self.ticks) * i128::from(to.hz());
        let q = div_round(num, i128::from(self.timescale.hz()), rounding);
        i64::try_from(q).ok().map(|t| MediaTime::new(t, to))
    }

    /// This time on another clock, rounded as asked; a result beyond `i64`
    /// saturates at `i64::MIN` or `i64::MAX`. See [`checked_rescale`].
    ///
    /// [`checked_rescale`]: MediaTime::checked_rescale
    #[must_use]
    pub fn rescale(self, to: Timescale, rounding: Rounding) -> MediaTime {
        self.checked_rescale(to, rounding).unwrap_or(MediaTime::new(
            if self.ticks < 0 { i64::MIN } else { i64::MAX },
            to,
        ))
    }

    /// The sum, on this time's clock (the other is rescaled exactly, or
    /// rounded down when it falls between ticks); `None` on overflow.
    #[must_use]
    pub fn checked_add(self, other: MediaTime) -> Option<MediaTime> {
        let o = other.checked_rescale(self.timescale, Rounding::Down)?;
        self.ticks
            .checked_add(o.ticks)
            .map(|t| MediaTime::new(t, self.timescale))
    }

    /// The difference `self - other`, on this time's clock (the other is
    /// rescaled, rounding down when it falls between ticks); `None` on
    /// overflow.
    #[must_use]
    pub fn checked_sub(self, other: MediaTime) -> Option<MediaTime> {
        let o = other.checked_rescale(self.timescale, Rounding::Down)?;
        self.ticks
            .checked_sub(o.ticks)
            .map(|t| MediaTime::new(t, self.timescale))
    }

    /// A non-negative [`Duration`] as media time, rounded as asked; `None`
    /// when it does not fit.
    #[must_use]
    pub fn from_duration(
        d: Duration,
        timescale: Timescale,
        rounding: Rounding,
    ) -> Option<MediaTime> {
        let nanos = i64::try_from(d.as_nanos()).ok()?;
        MediaTime::new(nanos, Timescale::NANOS).checked_rescale(timescale, rounding)
    }

    /// This time as a [`Duration`] (rounded down to the nanosecond); `None`
    /// when negative.
    #[must_use]
    pub fn to_duration(self) -> Option<Duration> {
        let num = i128::from(self.ticks) * 1_000_000_000;
        let nanos = div_round(num, i128::from(self.timescale.hz()), Rounding::Down);
        u64::try_from(nanos).ok().map(Duration::from_nanos)
    }

    /// Seconds as a float, for display and logs only (never the media path).
    #[must_use]
    pub fn as_secs_f64(self) -> f64 {
        self.ticks as f64 / f64::from(self.timescale.hz())
    }

    fn cmp_exact(&self, other: &MediaTime) -> Ordering {
        let a = i128::from(self.ticks) * i128::from(other.timescale.hz());
        let b = i128::from(other.ticks) * i128::from(self.timescale.hz());
        a.cmp(&b)
    }
}

impl PartialEq for MediaTime {
    fn eq(&self, other: &Self) -> bool {
        self.cmp_exact(other) == Ordering::Equal
    }
}

impl Eq for MediaTime {}

impl core::hash::Hash for MediaTime {
    /// Hashes the reduced fraction `ticks / hz`, so that equal instants on
    /// different clocks hash alike.
    fn hash<H: core::hash::Hasher>(&self, state: &mut H) {
        let (mut a, mut b) = (self.ticks.unsigned_abs(), u64::from(self.timescale.hz()));
        while b != 0 {
            (a, b) = (b, a % b);
        }
        let g = a.max(1);
        (self.ticks / g as i64).hash(state);
        (u64::from(self.timescale.hz()) / g).hash(state);
    }
}

impl PartialOrd for MediaTime {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for MediaTime {
    fn cmp(&self, other: &Self) -> Ordering {
        self.cmp_exact(other)
    }
}

impl fmt::Debug for MediaTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "MediaTime({} @ {} Hz)", self.ticks, self.timescale.hz())
    }
}

impl fmt::Display for MediaTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{} s", self.ticks, self.timescale.hz())
    }
}

/// A counter of `BITS` bits that wraps to zero after its maximum, compared
/// by the shortest signed distance around its circle.
///
/// The distance from `a` to `b` lies in `[-2^(BITS-1), 2^(BITS-1))`: exactly
/// half the circle away counts as *before*.
pub trait Wrapping: Copy + Eq + fmt::Debug {
    /// The counter's width in bits (at most 63).
    const BITS: u32;

    /// The value as an unsigned integer below `2^BITS`.
    fn value(self) -> u64;

    /// The value `v` modulo `2^BITS`.
    fn from_truncated(v: u64) -> Self;

    /// Signed steps from `self` forward to `later` (negative when `later` is
    /// in fact earlier).
    #[must_use]
    fn distance_to(self, later: Self) -> i64 {
        let modulus = 1u64 << Self::BITS;
        let diff = later.value().wrapping_sub(self.value()) & (modulus - 1);
        if diff >= modulus / 2 {
            diff as i64 - modulus as i64
        } else {
            diff as i64
        }
    }

    /// `true` when `self` comes strictly after `other` on the circle.
    #[must_use]
    fn is_after(self, other: Self) -> bool {
        other.distance_to(self) > 0
    }

    /// `self` advanced by `n` steps (negative to go back), wrapping.
    #[must_use]
    fn add_signed(self, n: i64) -> Self {
        Self::from_truncated(self.value().wrapping_add(n as u64))
    }
}

/// An RTP sequence number (16 bits, RFC 3550 section 5.1).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Default)]
pub struct SequenceNumber(pub u16);

impl SequenceNumber {
    /// The sequence number `v`.
    #[must_use]
    pub const fn new(v: u16) -> Self {
        SequenceNumber(v)
    }

    /// The next sequence number, wrapping after 65 535.
    #[must_use]
    pub const fn next(self) -> Self {
        SequenceNumber(self.0.wrapping_add(1))
    }
}

impl Wrapping for SequenceNumber {
    const BITS: u32 = 16;
    fn value(self) -> u64 {
        u64::from(self.0)
    }
    fn from_truncated(v: u64) -> Self {
        SequenceNumber(v as u16)
    }
}

/// An RTP timestamp (32 bits, on the payload format's clock).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Default)]
pub struct RtpTimestamp(pub u32);

impl RtpTimestamp {
    /// The timestamp `v`.
    #[must_use]
    pub const fn new(v: u32) -> Self {
        RtpTimestamp(v)
    }
}

impl Wrapping for RtpTimestamp {
    const BITS: u32 = 32;
    fn value(self) -> u64 {
        u64::from(self.0)
    }
    fn from_truncated(v: u64) -> Self {
        RtpTimestamp(v as u32)
    }
}

/// An MPEG-TS PTS or DTS: 33 bits on the 90 kHz clock (ISO/IEC 13818-1).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Default)]
pub struct MpegTsTimestamp(u64);

impl MpegTsTimestamp {
    /// The largest value, `2^33 - 1`.
    pub const MAX: u64 = (1 << 33) - 1;

    /// `v` modulo 2^33.
    #[must_use]
    pub const fn new(v: u64) -> Self {
        MpegTsTimestamp(v & Self::MAX)
    }

    /// The 33-bit value.
    #[must_use]
    pub const fn get(self) -> u64 {
        self.0
    }
}

impl Wrapping for MpegTsTimestamp {
    const BITS: u32 = 33;
    fn value(self) -> u64 {
        self.0
    }
    fn from_truncated(v: u64) -> Self {
        MpegTsTimestamp::new(v)
    }
}

/// Extends a stream of wrapping values to signed 64-bit values that keep
/// counting across each wrap.
///
/// The first value extends to itself. Each later value is placed at the
/// shortest distance from the highest value seen so far, so reordered or
/// duplicated input (less than half a circle late) extends correctly, and a
/// value just before the first one extends below it (possibly negative).
#[derive(Clone, Debug)]
pub struct Extender<T: Wrapping> {
    highest: Option<(i64, T)>,
}

impl<T: Wrapping> Default for Extender<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T: Wrapping> Extender<T> {
    /// An extender that has seen nothing.
    #[must_use]
    pub const fn new() -> Self {
        Extender { highest: None }
    }

    /// The extended value of `v`.
    #[inline(always)]
    pub fn extend(&mut self, v: T) -> i64 {
        match self.highest {
            None => {
                let e = v.value() as i64;
                self.highest = Some((e, v));
                e
            }
            Some((h, hv)) => {
                let e = h.saturating_add(hv.distance_to(v));
                if e > h {
                    self.highest = Some((e, v));
                }
                e
            }
        }
    }

    /// The highest extended value so far, if any.
    #[must_use]
    pub fn highest(&self) -> Option<i64> {
        self.highest.map(|(h, _)| h)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const BIG: i64 = 1 << 62;

    #[test]
    fn rescale_exact_and_rounded() {
        let t = MediaTime::new(3_003, Timescale::VIDEO_90KHZ);
        assert_eq!(t.rescale(Timescale::MILLIS, Rounding::Down).ticks(), 33);
        assert_eq!(t.rescale(Timescale::MILLIS, Rounding::Up).ticks(), 34);
        assert_eq!(t.rescale(Timescale::MILLIS, Rounding::Nearest).ticks(), 33);
        let neg = MediaTime::new(-3_003, Timescale::VIDEO_90KHZ);
        assert_eq!(neg.rescale(Timescale::MILLIS, Rounding::Down).ticks(), -34);
        assert_eq!(neg.rescale(Timescale::MILLIS, Rounding::Up).ticks(), -33);
        // exact half: 45 ticks of 90 kHz = 0.5 ms
        let half = MediaTime::new(45, Timescale::VIDEO_90KHZ);
        assert_eq!(
            half.rescale(Timescale::MILLIS, Rounding::Nearest).ticks(),
            1
        );
        let nhalf = MediaTime::new(-45, Timescale::VIDEO_90KHZ);
        assert_eq!(
            nhalf.rescale(Timescale::MILLIS, Rounding::Nearest).ticks(),
            0
        );
    }

    #[test]
    fn rescale_2_pow_62_without_overflow() {
        let v = MediaTime::new(BIG, Timescale::VIDEO_90KHZ);
        // 2^62 * 48000 / 90000 = 2^62 * 8 / 15
        let a = v.rescale(Timescale::AUDIO_48KHZ, Rounding::Down);
        assert_eq!(a.ticks() as i128, (i128::from(BIG) * 8) / 15);
        let m = v.rescale(Timescale::MILLIS, Rounding::Down);
        assert_eq!(m.ticks() as i128, i128::from(BIG) / 90);
        let back =
            MediaTime::new(BIG, Timescale::AUDIO_48KHZ).rescale(Timescale::MILLIS, Rounding::Up);
        assert_eq!(back.ticks() as i128, (i128::from(BIG) + 47) / 48);
        // 2^62 ms at 90 kHz does not fit: checked says so, rescale saturates.
        let ms = MediaTime::new(BIG, Timescale::MILLIS);
        assert_eq!(
            ms.checked_rescale(Timescale::VIDEO_90KHZ, Rounding::Down),
            None
        );
        assert_eq!(
            ms.rescale(Timescale::VIDEO_90KHZ, Rounding::Down).ticks(),
            i64::MAX
        );
        // but 2^62 / 90 ms does fit.
        let ms = MediaTime::new(BIG / 90, Timescale::MILLIS);
        assert_eq!(
            ms.rescale(Timescale::VIDEO_90KHZ, Rounding::Down).ticks(),
            (BIG / 90) * 90
        );
    }

    #[test]
    fn compares_across_timescales() {
        let a = MediaTime::new(90_000, Timescale::VIDEO_90KHZ);
        let b = MediaTime::new(1_000, Timescale::MILLIS);
        let c = MediaTime::new(48_001, Timescale::AUDIO_48KHZ);
        assert_eq!(a, b);
        assert!(c > a);
        assert_eq!(
            a.checked_add(c).map(|t| t.ticks()),
            Some(90_000 + 90_001) // 48001/48000 s = 90001.875 ticks, rounded down
        );
    }

    #[test]
    fn duration_round_trip() {
        let d = Duration::from_millis(1_500);
        let t = MediaTime::from_duration(d, Timescale::VIDEO_90KHZ, Rounding::Down);
        assert_eq!(t.map(MediaTime::ticks), Some(135_000));
        assert_eq!(t.and_then(MediaTime::to_duration), Some(d));
        assert_eq!(MediaTime::new(-1, Timescale::MILLIS).to_duration(), None);
    }

    #[test]
    fn wrapping_edges() {
        let a = SequenceNumber::new(0);
        assert_eq!(a.distance_to(SequenceNumber::new(32_767)), 32_767);
        assert_eq!(a.distance_to(SequenceNumber::new(32_768)), -32_768);
        assert_eq!(SequenceNumber::new(65_535).next(), SequenceNumber::new(0));
        let t = MpegTsTimestamp::new(MpegTsTimestamp::MAX);
        assert_eq!(t.distance_to(MpegTsTimestamp::new(0)), 1);
        assert_eq!(MpegTsTimestamp::new(1 << 33), MpegTsTimestamp::new(0));
        assert_eq!(
            RtpTimestamp::new(u32::MAX).add_signed(2),
            RtpTimestamp::new(1)
        );
    }

    #[test]
    fn extender_handles_reordering_before_first() {
        let mut e = Extender::<SequenceNumber>::new();
        assert_eq!(e.extend(SequenceNumber::new(2)), 2);
        assert_eq!(e.extend(SequenceNumber::new(65_535)), -1);
        assert_eq!(e.extend(SequenceNumber::new(3)), 3);
        assert_eq!(e.highest(), Some(3));
    }

    fn check_extend<T: Wrapping>(start: u64, steps: &[i64]) {
        let mut truth = start as i64;
        let mut e = Extender::<T>::new();
        assert_eq!(e.extend(T::from_truncated(start)), truth);
        let mut highest = truth;
        let quarter = 1i64 << (T::BITS - 2);
        for &s in steps {
            // Reordering stays within a quarter circle of the highest value.
            if truth + s < highest - quarter {
                continue;
            }
            truth += s;
            let got = e.extend(T::from_truncated(truth as u64));
            assert_eq!(got, truth, "{} bits, step {s}", T::BITS);
            highest = highest.max(truth);
            assert_eq!(e.highest(), Some(highest));
        }
    }

    proptest! {
        #[test]
        fn seq_distance_is_antisymmetric(a in any::<u16>(), d in -32_767i64..=32_767) {
            let a = SequenceNumber::new(a);
            let b = a.add_signed(d);
            prop_assert_eq!(a.distance_to(b), d);
            prop_assert_eq!(b.distance_to(a), -d);
            prop_assert_eq!(b.is_after(a), d > 0);
        }

        #[test]
        fn rtp_ts_distance(a in any::<u32>(), d in -(i64::from(i32::MAX))..=i64::from(i32::MAX)) {
            let a = RtpTimestamp::new(a);
            prop_assert_eq!(a.distance_to(a.add_signed(d)), d);
        }

        #[test]
        fn ts33_distance(a in 0u64..=MpegTsTimestamp::MAX, d in -((1i64 << 32) - 1)..(1i64 << 32)) {
            let a = MpegTsTimestamp::new(a);
            prop_assert_eq!(a.distance_to(a.add_signed(d)), d);
        }

        // Walks across several wraps with reordering of up to a quarter circle.
        #[test]
        fn extend_across_wraps_16(start in any::<u16>(), steps in proptest::collection::vec(-8_000i64..16_000, 1..200)) {
            check_extend::<SequenceNumber>(u64::from(start), &steps);
        }

        #[test]
        fn extend_across_wraps_32(start in any::<u32>(), steps in proptest::collection::vec(-(1i64 << 29)..(1i64 << 30), 1..100)) {
            check_extend::<RtpTimestamp>(u64::from(start), &steps);
        }

        #[test]
        fn extend_across_wraps_33(start in 0u64..=MpegTsTimestamp::MAX, steps in proptest::collection::vec(-(1i64 << 30)..(1i64 << 31), 1..100)) {
            check_extend::<MpegTsTimestamp>(start, &steps);
        }

        #[test]
        fn rescale_round_trip_is_exact_when_upscaling(t in -(1i64 << 50)..(1i64 << 50)) {
            // 1 kHz -> 90 kHz is exact; and back again gives the same value.
            let ms = MediaTime::new(t, Timescale::MILLIS);
            let v = ms.rescale(Timescale::VIDEO_90KHZ, Rounding::Down);
            prop_assert_eq!(v.ticks(), t * 90);
            prop_assert_eq!(v.rescale(Timescale::MILLIS, Rounding::Down), ms);
        }

        #[test]
        fn rounding_brackets_the_true_value(t in -(1i64 << 44)..(1i64 << 44), from in 1u32..200_000, to in 1u32..200_000) {
            let from = Timescale::new(from).unwrap();
            let to = Timescale::new(to).unwrap();
            let x = MediaTime::new(t, from);
            let down = x.rescale(to, Rounding::Down);
            let up = x.rescale(to, Rounding::Up);
            let near = x.rescale(to, Rounding::Nearest);
            prop_assert!(down <= x && x <= up);
            prop_assert!(up.ticks() - down.ticks() <= 1);
            prop_assert!(near == down || near == up);
        }
    }
}
