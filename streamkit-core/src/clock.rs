//! The clocks: one monotonic `now` and one wall clock, as different types.
//!
//! Every streamkit state machine takes `now` as a [`std::time::Instant`]
//! from the caller's monotonic clock (`Instant::now()` in a server, a
//! virtual clock in a test: any `Instant` plus offsets). It orders events,
//! times out requests and paces output; it never says what time of day it
//! is. Nothing in streamkit reads a clock itself.
//!
//! Where a protocol carries the time of day (HLS `EXT-X-PROGRAM-DATE-TIME`,
//! DASH `availabilityStartTime` and `prft`, the NTP time of RTCP sender
//! reports, RTSP `Range: clock=`) the value is a [`UnixTime`], and the link
//! between the two clocks is a [`WallClock`]: one instant of the monotonic
//! clock and the wall-clock time it was, which the caller reads once (and
//! again, if it wants to follow adjustments of the system clock).
//! [`NtpTimestamp`] is the 64-bit NTP form of a wall-clock time on the wire.
//!
//! ```
//! use std::time::{Duration, Instant};
//! use streamkit_core::clock::{UnixTime, WallClock};
//!
//! let start = Instant::now(); // a virtual clock's origin would do as well
//! let clock = WallClock::new(start, UnixTime::from_unix_millis(1_700_000_000_000));
//! let later = clock.at(start + Duration::from_millis(1_500));
//! assert_eq!(later.to_rfc3339_millis(), "2023-11-14T22:13:21.500Z");
//! assert_eq!(later.to_ntp().seconds(), 1_700_000_001 + 2_208_988_800);
//! ```

use core::fmt;
use core::time::Duration;
use std::time::Instant;

/// Seconds from the NTP epoch (1900-01-01) to the Unix epoch (1970-01-01).
pub const NTP_UNIX_OFFSET: u64 = 2_208_988_800;

/// A wall-clock time: the time since 1970-01-01T00:00:00Z (leap seconds
/// not counted, as in POSIX time).
///
/// It is a different type from the monotonic `now` ([`Instant`]) on
/// purpose: a function that needs the time of day says so in its
/// signature. Convert between them with a [`WallClock`].
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct UnixTime(Duration);

impl UnixTime {
    /// 1970-01-01T00:00:00Z.
    pub const EPOCH: UnixTime = UnixTime(Duration::ZERO);

    /// The time `since_epoch` after 1970-01-01T00:00:00Z.
    #[must_use]
    pub const fn from_unix(since_epoch: Duration) -> UnixTime {
        UnixTime(since_epoch)
    }

    /// The time `millis` milliseconds after the epoch (negative values
    /// clamp to the epoch).
    #[must_use]
    pub const fn from_unix_millis(millis: i64) -> UnixTime {
        if millis <= 0 {
            UnixTime::EPOCH
        } else {
            UnixTime(Duration::from_millis(millis as u64))
        }
    }

    /// The time since the epoch.
    #[must_use]
    pub const fn since_epoch(self) -> Duration {
        self.0
    }

    /// Whole milliseconds since the epoch (rounded down; saturating).
    #[must_use]
    pub fn unix_millis(self) -> i64 {
        i64::try_from(self.0.as_millis()).unwrap_or(i64::MAX)
    }

    /// This time plus `d`; `None` on overflow.
    #[must_use]
    pub fn checked_add(self, d: Duration) -> Option<UnixTime> {
        self.0.checked_add(d).map(UnixTime)
    }

    /// This time minus `d`; `None` before the epoch.
    #[must_use]
    pub fn checked_sub(self, d: Duration) -> Option<UnixTime> {
        self.0.checked_sub(d).map(UnixTime)
    }

    /// This time plus `d`, saturating.
    #[must_use]
    pub fn saturating_add(self, d: Duration) -> UnixTime {
        UnixTime(self.0.saturating_add(d))
    }

    /// This time minus `d`, clamped at the epoch.
    #[must_use]
    pub fn saturating_sub(self, d: Duration) -> UnixTime {
        UnixTime(self.0.saturating_sub(d))
    }

    /// How long after `earlier` this time is; zero when it is not after.
    #[must_use]
    pub fn saturating_duration_since(self, earlier: UnixTime) -> Duration {
        self.0.saturating_sub(earlier.0)
    }

    /// The NTP timestamp of this time (the fraction rounded down), wrapping
    /// into NTP era 0 as the wire format does (era 0 ends in 2036).
    #[must_use]
    pub fn to_ntp(self) -> NtpTimestamp {
        let seconds = self.0.as_secs().wrapping_add(NTP_UNIX_OFFSET) as u32;
        let fraction = ((u64::from(self.0.subsec_nanos()) << 32) / 1_000_000_000) as u32;
        NtpTimestamp::new(seconds, fraction)
    }

    /// The calendar date and time in UTC.
    #[must_use]
    pub fn to_civil(self) -> CivilTime {
        let secs = self.0.as_secs();
        let days = (secs / 86_400) as i64;
        let rem = secs % 86_400;
        let (year, month, day) = civil_from_days(days);
        CivilTime {
            year,
            month,
            day,
            hour: (rem / 3_600) as u8,
            minute: (rem / 60 % 60) as u8,
            second: (rem % 60) as u8,
            nanosecond: self.0.subsec_nanos(),
        }
    }

    /// The time at the given UTC date and time; `None` for a date before
    /// 1970 or out of range fields.
    #[must_use]
    pub fn from_civil(c: &CivilTime) -> Option<UnixTime> {
        if !(1..=12).contains(&c.month)
            || c.day == 0
            || c.day > days_in_month(c.year, c.month)
            || c.hour > 23
            || c.minute > 59
            || c.second > 60
            || c.nanosecond >= 1_000_000_000
        {
            return None;
        }
        let days = days_from_civil(c.year, c.month, c.day);
        let secs = days
            .checked_mul(86_400)?
            .checked_add(i64::from(c.hour) * 3_600 + i64::from(c.minute) * 60)?
            .checked_add(i64::from(c.second))?;
        let secs = u64::try_from(secs).ok()?;
        Some(UnixTime(Duration::new(secs, c.nanosecond)))
    }

    /// RFC 3339 / ISO 8601 in UTC with milliseconds (rounded down), as HLS
    /// program date-times and DASH `xs:dateTime` values are written:
    /// `2023-11-14T22:13:20.000Z`.
    #[must_use]
    pub fn to_rfc3339_millis(self) -> String {
        let c = self.to_civil();
        format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
            c.year,
            c.month,
            c.day,
            c.hour,
            c.minute,
            c.second,
            c.nanosecond / 1_000_000
        )
    }
}

impl fmt::Debug for UnixTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "UnixTime({})", self.to_rfc3339_millis())
    }
}

impl fmt::Display for UnixTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_rfc3339_millis())
    }
}

/// A calendar date and time of day in UTC (proleptic Gregorian calendar).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct CivilTime {
    /// The year (1970 or later for a [`UnixTime`]).
    pub year: i64,
    /// 1 to 12.
    pub month: u8,
    /// 1 to 31.
    pub day: u8,
    /// 0 to 23.
    pub hour: u8,
    /// 0 to 59.
    pub minute: u8,
    /// 0 to 59 (60 is accepted on input, for a leap second, and counts as
    /// the next minute's first second).
    pub second: u8,
    /// 0 to 999 999 999.
    pub nanosecond: u32,
}

/// `true` for a leap year of the proleptic Gregorian calendar.
#[must_use]
pub fn is_leap_year(year: i64) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

/// The days of `month` (1 to 12) of `year`; 0 for a month out of range.
#[must_use]
pub fn days_in_month(year: i64, month: u8) -> u8 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap_year(year) => 29,
        2 => 28,
        _ => 0,
    }
}

/// Days since 1970-01-01 (negative before) of a proleptic Gregorian date
/// (H. Hinnant's algorithm); `month` 1 to 12.
#[must_use]
pub fn days_from_civil(year: i64, month: u8, day: u8) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(month);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The proleptic Gregorian `(year, month, day)` of a day count since
/// 1970-01-01 (negative before).
#[must_use]
pub fn civil_from_days(days: i64) -> (i64, u8, u8) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u8;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u8;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// A 64-bit NTP timestamp (RFC 5905): seconds since 1900-01-01 in the high
/// 32 bits, the fraction of a second in units of 2^-32 s in the low ones.
/// RTCP sender reports carry one.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct NtpTimestamp(pub u64);

impl NtpTimestamp {
    /// The timestamp of `seconds` since 1900 and `fraction` / 2^32 seconds.
    #[must_use]
    pub const fn new(seconds: u32, fraction: u32) -> NtpTimestamp {
        NtpTimestamp(((seconds as u64) << 32) | fraction as u64)
    }

    /// Whole seconds since 1900 (modulo 2^32: era 0 ends in 2036).
    #[must_use]
    pub const fn seconds(self) -> u32 {
        (self.0 >> 32) as u32
    }

    /// The fraction of a second, in units of 2^-32 s.
    #[must_use]
    pub const fn fraction(self) -> u32 {
        self.0 as u32
    }

    /// The middle 32 bits (16 bits of seconds, 16 of fraction): the compact
    /// form a receiver echoes as LSR in its report blocks.
    #[must_use]
    pub const fn middle_32(self) -> u32 {
        (self.0 >> 16) as u32
    }

    /// The NTP time of `since_unix_epoch` after 1970-01-01 (the fraction
    /// rounded down), wrapping into era 0 as the wire format does.
    #[must_use]
    pub fn from_unix(since_unix_epoch: Duration) -> NtpTimestamp {
        UnixTime::from_unix(since_unix_epoch).to_ntp()
    }

    /// This era-0 time as a duration since the Unix epoch (the fraction
    /// rounded down to the nanosecond), `None` before 1970.
    #[must_use]
    pub fn to_unix(self) -> Option<Duration> {
        let secs = u64::from(self.seconds()).checked_sub(NTP_UNIX_OFFSET)?;
        let nanos = ((u64::from(self.fraction()) * 1_000_000_000) >> 32) as u32;
        Some(Duration::new(secs, nanos))
    }

    /// This era-0 time as a [`UnixTime`], `None` before 1970.
    #[must_use]
    pub fn to_unix_time(self) -> Option<UnixTime> {
        self.to_unix().map(UnixTime::from_unix)
    }
}

impl fmt::Debug for NtpTimestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "NtpTimestamp({}.{:08x})",
            self.seconds(),
            self.fraction()
        )
    }
}

/// The link between the monotonic clock and the wall clock: at the
/// monotonic instant `instant` the wall-clock time was `unix`.
///
/// The caller reads both clocks once (`WallClock::new(Instant::now(),
/// UnixTime::from_unix(SystemTime::now().duration_since(UNIX_EPOCH)?))`)
/// and hands the link to the state machines that write wall-clock values;
/// they then need only `now`. Between two links the wall clock runs at the
/// monotonic clock's rate.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct WallClock {
    /// A monotonic instant.
    pub instant: Instant,
    /// The wall-clock time at `instant`.
    pub unix: UnixTime,
}

impl WallClock {
    /// The link: at `instant` it was `unix`.
    #[must_use]
    pub const fn new(instant: Instant, unix: UnixTime) -> WallClock {
        WallClock { instant, unix }
    }

    /// The wall-clock time at `now` (clamped at the epoch).
    #[must_use]
    pub fn at(&self, now: Instant) -> UnixTime {
        match now.checked_duration_since(self.instant) {
            Some(after) => self.unix.saturating_add(after),
            None => self
                .unix
                .saturating_sub(self.instant.saturating_duration_since(now)),
        }
    }

    /// The monotonic instant at which the wall clock reads `t`; `None` when
    /// that instant cannot be represented.
    #[must_use]
    pub fn instant_of(&self, t: UnixTime) -> Option<Instant> {
        if t >= self.unix {
            self.instant
                .checked_add(t.saturating_duration_since(self.unix))
        } else {
            self.instant
                .checked_sub(self.unix.saturating_duration_since(t))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn formats_known_dates() {
        assert_eq!(
            UnixTime::EPOCH.to_rfc3339_millis(),
            "1970-01-01T00:00:00.000Z"
        );
        assert_eq!(
            UnixTime::from_unix_millis(951_782_400_123).to_rfc3339_millis(),
            "2000-02-29T00:00:00.123Z"
        );
        assert_eq!(
            UnixTime::from_unix_millis(1_767_225_599_999).to_rfc3339_millis(),
            "2025-12-31T23:59:59.999Z"
        );
        assert_eq!(UnixTime::from_unix_millis(-5), UnixTime::EPOCH);
    }

    #[test]
    fn ntp_round_trip_and_offset() {
        let t = UnixTime::from_unix(Duration::new(1_700_000_000, 500_000_000));
        let ntp = t.to_ntp();
        assert_eq!(u64::from(ntp.seconds()), 1_700_000_000 + NTP_UNIX_OFFSET);
        assert_eq!(ntp.fraction(), 0x8000_0000);
        assert_eq!(ntp.to_unix_time(), Some(t));
        assert_eq!(NtpTimestamp::new(5, 0).to_unix(), None);
    }

    #[test]
    #[allow(clippy::disallowed_methods)] // the origin of a virtual clock
    fn wall_clock_maps_both_ways() {
        let base = Instant::now();
        let unix = UnixTime::from_unix_millis(1_000_000);
        let clock = WallClock::new(base + Duration::from_secs(10), unix);
        assert_eq!(
            clock.at(base + Duration::from_secs(12)).unix_millis(),
            1_002_000
        );
        assert_eq!(
            clock.at(base + Duration::from_secs(7)).unix_millis(),
            997_000
        );
        assert_eq!(
            clock.instant_of(UnixTime::from_unix_millis(1_000_500)),
            Some(base + Duration::from_millis(10_500))
        );
        assert_eq!(
            clock.instant_of(UnixTime::from_unix_millis(999_000)),
            Some(base + Duration::from_secs(9))
        );
    }

    proptest! {
        #[test]
        fn civil_round_trip(secs in 0u64..(1u64 << 40), nanos in 0u32..1_000_000_000) {
            let t = UnixTime::from_unix(Duration::new(secs, nanos));
            let c = t.to_civil();
            prop_assert_eq!(UnixTime::from_civil(&c), Some(t));
        }
    }
}
