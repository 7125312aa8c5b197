//! The value types of playlist tags and attributes: decimal seconds, byte
//! ranges, resolutions, frame rates and program date-times.

use std::time::Duration;
use streamkit_core::clock;

/// Parses a decimal-floating-point number of seconds (`9.009`, `10`,
/// `0.33334`) into an exact [`Duration`].
///
/// Digits past the ninth decimal are truncated (a nanosecond is far below
/// any media timescale). Signs and exponents are not part of the format and
/// are refused. Returns `None` when the text is not such a number or
/// overflows.
#[must_use]
pub fn parse_seconds(text: &str) -> Option<Duration> {
    let (whole, fraction) = match text.split_once('.') {
        Some((w, f)) => (w, Some(f)),
        None => (text, None),
    };
    if whole.is_empty() || !whole.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let secs: u64 = whole.parse().ok()?;
    let mut nanos: u32 = 0;
    if let Some(fraction) = fraction {
        if fraction.is_empty() || !fraction.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let mut scale = 100_000_000u32;
        for digit in fraction.bytes().take(9) {
            nanos += u32::from(digit - b'0') * scale;
            scale /= 10;
        }
    }
    Some(Duration::new(secs, nanos))
}

/// Appends the decimal digits of `n`, without the formatting machinery
/// (playlist rendering is mostly numbers).
pub(crate) fn push_u64(out: &mut String, n: u64) {
    push_padded(out, n, 1);
}

/// Appends `n` in decimal, zero-padded to at least `width` digits.
pub(crate) fn push_padded(out: &mut String, mut n: u64, width: usize) {
    let mut digits = [b'0'; 20];
    let mut len = 0;
    for slot in digits.iter_mut().rev() {
        *slot = b'0' + (n % 10) as u8;
        n /= 10;
        len += 1;
        if n == 0 && len >= width {
            break;
        }
    }
    let start = digits.len() - len;
    out.push_str(std::str::from_utf8(digits.get(start..).unwrap_or(&[])).unwrap_or(""));
}

/// Writes a [`Duration`] as decimal seconds with at least three decimals
/// (`9.009`, `10.000`) and as many more as the value needs to be exact
/// (`4.00008`), so that [`parse_seconds`] gives the same value back.
pub fn write_seconds(out: &mut String, value: Duration) {
    push_u64(out, value.as_secs());
    out.push('.');
    write_fraction(out, value.subsec_nanos());
}

/// Writes nanoseconds as a decimal fraction: three digits, more only when
/// they are not zero.
fn write_fraction(out: &mut String, nanos: u32) {
    let nanos = nanos.min(999_999_999);
    if nanos.is_multiple_of(1_000_000) {
        push_padded(out, u64::from(nanos / 1_000_000), 3);
        return;
    }
    let mut digits = 9;
    let mut value = nanos;
    while digits > 3 && value.is_multiple_of(10) {
        value /= 10;
        digits -= 1;
    }
    push_padded(out, u64::from(value), digits);
}

/// Rounds a duration to the nearest whole second, halves rounding up: the
/// rule RFC 8216 section 4.3.3.1 applies to EXTINF against
/// EXT-X-TARGETDURATION.
#[must_use]
pub fn round_to_seconds(value: Duration) -> u64 {
    value.as_secs() + u64::from(value.subsec_nanos() >= 500_000_000)
}

/// A byte range of a resource: `length[@offset]` (EXT-X-BYTERANGE, and the
/// BYTERANGE attribute of EXT-X-MAP and EXT-X-PART).
///
/// Without an offset the range starts at the byte after the previous range
/// of the same resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ByteRange {
    /// Length of the range in bytes.
    pub length: u64,
    /// Offset of its first byte from the start of the resource.
    pub offset: Option<u64>,
}

impl ByteRange {
    /// Parses `length[@offset]`.
    #[must_use]
    pub fn parse(text: &str) -> Option<ByteRange> {
        let (length, offset) = match text.split_once('@') {
            Some((l, o)) => (l, Some(parse_decimal_integer(o)?)),
            None => (text, None),
        };
        Some(ByteRange {
            length: parse_decimal_integer(length)?,
            offset,
        })
    }

    /// Writes `length[@offset]`.
    pub fn write(&self, out: &mut String) {
        push_u64(out, self.length);
        if let Some(offset) = self.offset {
            out.push('@');
            push_u64(out, offset);
        }
    }
}

/// Parses a decimal-integer (digits only, at most 20 of them, fitting u64).
#[must_use]
pub(crate) fn parse_decimal_integer(text: &str) -> Option<u64> {
    if text.is_empty() || text.len() > 20 || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

/// A video resolution, `WIDTHxHEIGHT` (RESOLUTION attribute).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Resolution {
    /// Width in pixels.
    pub width: u64,
    /// Height in pixels.
    pub height: u64,
}

impl Resolution {
    /// Parses `WIDTHxHEIGHT`.
    #[must_use]
    pub fn parse(text: &str) -> Option<Resolution> {
        let (w, h) = text.split_once(['x', 'X'])?;
        Some(Resolution {
            width: parse_decimal_integer(w)?,
            height: parse_decimal_integer(h)?,
        })
    }
}

impl std::fmt::Display for Resolution {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}x{}", self.width, self.height)
    }
}

/// A frame rate in thousandths of a frame per second, written with three
/// decimals as the FRAME-RATE attribute wants (`29.970`, `25.000`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FrameRate {
    /// Frames per 1000 seconds (29.97 fps is 29970).
    pub millis: u64,
}

impl FrameRate {
    /// The frame rate `numerator / denominator` frames per second, rounded
    /// to the nearest thousandth (30000/1001 gives 29.970). `None` when the
    /// denominator is zero or the value overflows.
    #[must_use]
    pub fn from_ratio(numerator: u64, denominator: u64) -> Option<FrameRate> {
        if denominator == 0 {
            return None;
        }
        let scaled = u128::from(numerator) * 1000;
        let den = u128::from(denominator);
        let millis = (scaled + den / 2) / den;
        Some(FrameRate {
            millis: u64::try_from(millis).ok()?,
        })
    }

    /// Parses a decimal-floating-point frame rate, rounding to the nearest
    /// thousandth.
    #[must_use]
    pub fn parse(text: &str) -> Option<FrameRate> {
        let exact = parse_seconds(text)?;
        let nanos = exact.as_nanos();
        let millis = (nanos + 500_000) / 1_000_000;
        Some(FrameRate {
            millis: u64::try_from(millis).ok()?,
        })
    }
}

impl std::fmt::Display for FrameRate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{:03}", self.millis / 1000, self.millis % 1000)
    }
}

/// An absolute date and time (EXT-X-PROGRAM-DATE-TIME), written as
/// RFC 3339 / ISO 8601 with milliseconds (`2019-02-14T02:13:36.106Z`).
///
/// The value comes from the caller (the library reads no clock): build it
/// with [`ProgramDateTime::from_unix_millis`] from the wall-clock time of the
/// segment's first sample.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ProgramDateTime {
    /// Seconds since 1970-01-01T00:00:00Z (negative before).
    pub unix_seconds: i64,
    /// Nanoseconds past `unix_seconds`, below 1 000 000 000.
    pub nanos: u32,
    /// The UTC offset the time is written with, in minutes (0 writes `Z`).
    pub offset_minutes: i16,
}

/// Earliest and latest seconds a four-digit year can write.
const MIN_UNIX_SECONDS: i64 = -62_167_219_200; // 0000-01-01T00:00:00Z
const MAX_UNIX_SECONDS: i64 = 253_402_300_799; // 9999-12-31T23:59:59Z

impl ProgramDateTime {
    /// A UTC time from milliseconds since the Unix epoch.
    #[must_use]
    pub fn from_unix_millis(millis: i64) -> ProgramDateTime {
        ProgramDateTime {
            unix_seconds: millis.div_euclid(1000),
            nanos: (millis.rem_euclid(1000) as u32) * 1_000_000,
            offset_minutes: 0,
        }
    }

    /// The time as milliseconds since the Unix epoch (sub-millisecond
    /// digits truncated).
    #[must_use]
    pub fn unix_millis(&self) -> i64 {
        self.unix_seconds
            .saturating_mul(1000)
            .saturating_add(i64::from(self.nanos / 1_000_000))
    }

    /// This time moved on by `elapsed` (for the next segment's date).
    #[must_use]
    pub fn add(&self, elapsed: Duration) -> ProgramDateTime {
        let total_nanos = u64::from(self.nanos) + u64::from(elapsed.subsec_nanos());
        let secs = i64::try_from(elapsed.as_secs()).unwrap_or(i64::MAX);
        ProgramDateTime {
            unix_seconds: self
                .unix_seconds
                .saturating_add(secs)
                .saturating_add((total_nanos / 1_000_000_000) as i64),
            nanos: (total_nanos % 1_000_000_000) as u32,
            offset_minutes: self.offset_minutes,
        }
    }

    /// Whether the value can be written as RFC 3339 (a four-digit year, an
    /// offset under 24 hours, nanoseconds below one second).
    #[must_use]
    pub fn is_writable(&self) -> bool {
        let local = self
            .unix_seconds
            .checked_add(i64::from(self.offset_minutes) * 60);
        matches!(local, Some(l) if (MIN_UNIX_SECONDS..=MAX_UNIX_SECONDS).contains(&l))
            && self.nanos < 1_000_000_000
            && self.offset_minutes.unsigned_abs() < 24 * 60
    }

    /// Writes `YYYY-MM-DDTHH:MM:SS.mmm` plus `Z` or `±HH:MM`, with more
    /// fractional digits only when the value has sub-millisecond precision.
    /// The caller checks [`ProgramDateTime::is_writable`] first.
    pub fn write(&self, out: &mut String) {
        let local = self
            .unix_seconds
            .saturating_add(i64::from(self.offset_minutes) * 60);
        let days = local.div_euclid(86_400);
        let secs_of_day = local.rem_euclid(86_400);
        let (year, month, day) = civil_from_days(days);
        let field = |out: &mut String, n: i64, width: usize, after: char| {
            push_padded(out, n.unsigned_abs(), width);
            out.push(after);
        };
        field(out, year, 4, '-');
        field(out, month, 2, '-');
        field(out, day, 2, 'T');
        field(out, secs_of_day / 3600, 2, ':');
        field(out, (secs_of_day / 60) % 60, 2, ':');
        field(out, secs_of_day % 60, 2, '.');
        write_fraction(out, self.nanos);
        if self.offset_minutes == 0 {
            out.push('Z');
        } else {
            out.push(if self.offset_minutes < 0 { '-' } else { '+' });
            let abs = u64::from(self.offset_minutes.unsigned_abs());
            field(out, (abs / 60) as i64, 2, ':');
            push_padded(out, abs % 60, 2);
        }
    }

    /// Parses RFC 3339 leniently: `T`, `t` or a space between date and
    /// time, any number of fractional digits (nanoseconds kept), `Z`, `z`,
    /// `±HH:MM`, `±HHMM` or `±HH` for the offset.
    #[must_use]
    pub fn parse(text: &str) -> Option<ProgramDateTime> {
        let b = text.as_bytes();
        let num = |range: std::ops::Range<usize>| -> Option<i64> {
            let s = text.get(range)?;
            if !s.bytes().all(|c| c.is_ascii_digit()) {
                return None;
            }
            s.parse().ok()
        };
        if b.len() < 19 || b.get(4) != Some(&b'-') || b.get(7) != Some(&b'-') {
            return None;
        }
        if !matches!(b.get(10), Some(b'T' | b't' | b' ')) {
            return None;
        }
        if b.get(13) != Some(&b':') || b.get(16) != Some(&b':') {
            return None;
        }
        let year = num(0..4)?;
        let month = num(5..7)?;
        let day = num(8..10)?;
        let hour = num(11..13)?;
        let minute = num(14..16)?;
        let second = num(17..19)?;
        if !(1..=12).contains(&month)
            || day < 1
            || day > days_in_month(year, month)
            || hour > 23
            || minute > 59
            || second > 60
        {
            return None;
        }
        let mut rest = text.get(19..)?;
        let mut nanos = 0u32;
        if let Some(after_dot) = rest.strip_prefix('.') {
            let digits = after_dot.bytes().take_while(u8::is_ascii_digit).count();
            if digits == 0 {
                return None;
            }
            let mut scale = 100_000_000u32;
            for digit in after_dot.bytes().take(digits.min(9)) {
                nanos += u32::from(digit - b'0') * scale;
                scale /= 10;
            }
            rest = after_dot.get(digits..)?;
        }
        let offset_minutes: i64 = match rest {
            "Z" | "z" => 0,
            _ => {
                let sign = match rest.as_bytes().first() {
                    Some(b'+') => 1,
                    Some(b'-') => -1,
                    _ => return None,
                };
                let body = rest.get(1..)?;
                let (hh, mm) = match body.len() {
                    2 => (body, "00"),
                    4 => (body.get(0..2)?, body.get(2..4)?),
                    5 if body.as_bytes().get(2) == Some(&b':') => {
                        (body.get(0..2)?, body.get(3..5)?)
                    }
                    _ => return None,
                };
                let hh: i64 = parse_decimal_integer(hh)?.try_into().ok()?;
                let mm: i64 = parse_decimal_integer(mm)?.try_into().ok()?;
                if hh > 23 || mm > 59 {
                    return None;
                }
                sign * (hh * 60 + mm)
            }
        };
        let days = days_from_civil(year, month, day);
        let local = days * 86_400 + hour * 3600 + minute * 60 + second;
        Some(ProgramDateTime {
            unix_seconds: local - offset_minutes * 60,
            nanos,
            offset_minutes: i16::try_from(offset_minutes).ok()?,
        })
    }
}

/// The calendar arithmetic is core's ([`streamkit_core::clock`]), on
/// `i64` fields as parsed here.
fn days_in_month(year: i64, month: i64) -> i64 {
    u8::try_from(month).map_or(0, |m| i64::from(clock::days_in_month(year, m)))
}

fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    match (u8::try_from(month), u8::try_from(day)) {
        (Ok(m), Ok(d)) => clock::days_from_civil(year, m, d),
        _ => 0,
    }
}

fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let (y, m, d) = clock::civil_from_days(days);
    (y, i64::from(m), i64::from(d))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seconds(d: Duration) -> String {
        let mut s = String::new();
        write_seconds(&mut s, d);
        s
    }

    #[test]
    fn seconds_round_trip_and_format() {
        assert_eq!(parse_seconds("9.009"), Some(Duration::from_millis(9009)));
        assert_eq!(seconds(Duration::from_millis(9009)), "9.009");
        assert_eq!(seconds(Duration::from_secs(10)), "10.000");
        assert_eq!(parse_seconds("4.00008"), Some(Duration::new(4, 80_000)));
        assert_eq!(seconds(Duration::new(4, 80_000)), "4.00008");
        assert_eq!(seconds(Duration::new(0, 1)), "0.000000001");
        assert_eq!(parse_seconds("10"), Some(Duration::from_secs(10)));
        assert_eq!(
            parse_seconds("1.1234567891"),
            Some(Duration::new(1, 123_456_789))
        );
        assert_eq!(parse_seconds("-1.0"), None);
        assert_eq!(parse_seconds("1."), None);
        assert_eq!(parse_seconds(".5"), None);
        assert_eq!(parse_seconds("1e3"), None);
    }

    #[test]
    fn rounding_is_to_nearest_with_halves_up() {
        assert_eq!(round_to_seconds(Duration::from_millis(9009)), 9);
        assert_eq!(round_to_seconds(Duration::from_millis(9500)), 10);
        assert_eq!(round_to_seconds(Duration::from_millis(9499)), 9);
        assert_eq!(round_to_seconds(Duration::new(4, 80_000)), 4);
    }

    #[test]
    fn frame_rate_has_three_decimals() {
        assert_eq!(
            FrameRate::from_ratio(30000, 1001).map(|f| f.to_string()),
            Some("29.970".into())
        );
        assert_eq!(
            FrameRate::from_ratio(25, 1).map(|f| f.to_string()),
            Some("25.000".into())
        );
        assert_eq!(FrameRate::parse("59.94"), Some(FrameRate { millis: 59940 }));
        assert_eq!(FrameRate::from_ratio(1, 0), None);
    }

    #[test]
    fn program_date_time_formats_and_parses() {
        let t = ProgramDateTime::parse("2019-02-14T02:13:36.106Z").unwrap();
        assert_eq!(t.unix_millis(), 1_550_110_416_106);
        let mut s = String::new();
        t.write(&mut s);
        assert_eq!(s, "2019-02-14T02:13:36.106Z");
        let offset = ProgramDateTime::parse("2010-02-19T14:54:23.031+08:00").unwrap();
        assert_eq!(offset.offset_minutes, 480);
        let mut s = String::new();
        offset.write(&mut s);
        assert_eq!(s, "2010-02-19T14:54:23.031+08:00");
        let ffmpeg_style = ProgramDateTime::parse("2023-01-01T00:00:00.000+0000").unwrap();
        assert_eq!(
            ffmpeg_style,
            ProgramDateTime::from_unix_millis(1_672_531_200_000)
        );
        assert_eq!(ProgramDateTime::parse("2023-02-29T00:00:00Z"), None);
        let mut s = String::new();
        ProgramDateTime::from_unix_millis(-1).write(&mut s);
        assert_eq!(s, "1969-12-31T23:59:59.999Z");
    }

    #[test]
    fn byte_range_forms() {
        assert_eq!(
            ByteRange::parse("75232@0"),
            Some(ByteRange {
                length: 75232,
                offset: Some(0)
            })
        );
        assert_eq!(
            ByteRange::parse("82112"),
            Some(ByteRange {
                length: 82112,
                offset: None
            })
        );
        assert_eq!(ByteRange::parse("1@"), None);
        assert_eq!(ByteRange::parse(""), None);
    }
}
