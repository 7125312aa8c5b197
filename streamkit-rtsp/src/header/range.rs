//! The `Range` header (RFC 2326 section 12.29 and 3.5-3.7): npt parsed
//! to times, clock and smpte kept as their text.

use std::fmt;
use std::time::Duration;

use crate::error::HeaderError;

/// A normal play time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NptTime {
    /// `now` (live).
    Now,
    /// A time from the start of the presentation.
    At(Duration),
}

impl NptTime {
    /// Parses `now`, `123.45` or `hh:mm:ss[.frac]`.
    fn parse(s: &str) -> Option<NptTime> {
        let s = s.trim();
        if s.eq_ignore_ascii_case("now") {
            return Some(NptTime::Now);
        }
        let (whole, frac) = s.split_once('.').unwrap_or((s, ""));
        if !frac.bytes().all(|c| c.is_ascii_digit()) || frac.len() > 9 {
            return None;
        }
        let mut secs: u64 = 0;
        let parts: Vec<&str> = whole.split(':').collect();
        if parts.len() > 3
            || parts
                .iter()
                .any(|p| p.is_empty() || !p.bytes().all(|c| c.is_ascii_digit()))
        {
            return None;
        }
        for (i, p) in parts.iter().enumerate() {
            let v: u64 = p.parse().ok()?;
            if i > 0 && v >= 60 {
                return None;
            }
            secs = secs.checked_mul(60)?.checked_add(v)?;
        }
        let nanos = if frac.is_empty() {
            0
        } else {
            let digits: u32 = frac.parse().ok()?;
            digits * 10u32.pow(9 - frac.len() as u32)
        };
        Some(NptTime::At(Duration::new(secs, nanos)))
    }
}

impl fmt::Display for NptTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NptTime::Now => f.write_str("now"),
            NptTime::At(d) => {
                let ms = d.subsec_millis();
                if d.subsec_nanos() == 0 {
                    write!(f, "{}", d.as_secs())
                } else if u128::from(ms) * 1_000_000 == u128::from(d.subsec_nanos()) {
                    write!(f, "{}.{:03}", d.as_secs(), ms)
                } else {
                    // Nine digits, less the zeros that end them.
                    let frac = format!("{:09}", d.subsec_nanos());
                    write!(f, "{}.{}", d.as_secs(), frac.trim_end_matches('0'))
                }
            }
        }
    }
}

/// A `Range` value.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Range {
    /// `npt=[start]-[end]`.
    Npt {
        /// The start (absent in `npt=-20`).
        start: Option<NptTime>,
        /// The end.
        end: Option<NptTime>,
    },
    /// `clock=start-[end]` (UTC `YYYYMMDDThhmmss[.frac]Z`), as sent.
    Clock {
        /// The start.
        start: String,
        /// The end.
        end: Option<String>,
    },
    /// `smpte[-25|-30-drop]=start-[end]`, as sent.
    Smpte {
        /// The unit (`smpte`, `smpte-25`, `smpte-30-drop`).
        unit: String,
        /// The start.
        start: String,
        /// The end.
        end: Option<String>,
    },
}

impl Range {
    /// `npt=start-`.
    #[must_use]
    pub fn from(start: Duration) -> Range {
        Range::Npt {
            start: Some(NptTime::At(start)),
            end: None,
        }
    }

    /// The npt start time, when this is an npt range that has one.
    #[must_use]
    pub fn npt_start(&self) -> Option<NptTime> {
        match self {
            Range::Npt { start, .. } => *start,
            _ => None,
        }
    }

    /// Parses a `Range` value (a `;time=` parameter is ignored).
    ///
    /// # Errors
    ///
    /// [`HeaderError::Invalid`] for an unknown unit or a time that does
    /// not parse.
    pub fn parse(value: &str) -> Result<Range, HeaderError> {
        let bad = |what| HeaderError::Invalid {
            header: "Range",
            what,
        };
        let value = value.split(';').next().unwrap_or_default().trim();
        let (unit, spec) = value.split_once('=').ok_or(bad("no unit="))?;
        let unit = unit.trim().to_ascii_lowercase();
        let (start, end) = spec.split_once('-').ok_or(bad("no '-' in the range"))?;
        let (start, end) = (start.trim(), end.trim());
        match unit.as_str() {
            "npt" => {
                let start = match start {
                    "" => None,
                    s => Some(NptTime::parse(s).ok_or(bad("npt start is not a time"))?),
                };
                let end = match end {
                    "" => None,
                    s => Some(NptTime::parse(s).ok_or(bad("npt end is not a time"))?),
                };
                if start.is_none() && end.is_none() {
                    return Err(bad("npt range without start or end"));
                }
                Ok(Range::Npt { start, end })
            }
            "clock" => {
                if start.is_empty() {
                    return Err(bad("clock range without start"));
                }
                Ok(Range::Clock {
                    start: start.to_owned(),
                    end: (!end.is_empty()).then(|| end.to_owned()),
                })
            }
            u if u.starts_with("smpte") => {
                // smpte times hold ':' but no '-'; the unit may (smpte-25).
                Ok(Range::Smpte {
                    unit: u.to_owned(),
                    start: start.to_owned(),
                    end: (!end.is_empty()).then(|| end.to_owned()),
                })
            }
            _ => Err(bad("unknown range unit")),
        }
    }
}

impl fmt::Display for Range {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Range::Npt { start, end } => {
                f.write_str("npt=")?;
                if let Some(s) = start {
                    write!(f, "{s}")?;
                }
                f.write_str("-")?;
                if let Some(e) = end {
                    write!(f, "{e}")?;
                }
                Ok(())
            }
            Range::Clock { start, end } => {
                write!(f, "clock={start}-{}", end.as_deref().unwrap_or(""))
            }
            Range::Smpte { unit, start, end } => {
                write!(f, "{unit}={start}-{}", end.as_deref().unwrap_or(""))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn npt_forms() {
        assert_eq!(Range::parse("npt=0-").unwrap(), Range::from(Duration::ZERO));
        assert_eq!(
            Range::parse("npt=10.5-20").unwrap(),
            Range::Npt {
                start: Some(NptTime::At(Duration::from_millis(10_500))),
                end: Some(NptTime::At(Duration::from_secs(20)))
            }
        );
        assert_eq!(
            Range::parse("npt=00:01:02.25-").unwrap().npt_start(),
            Some(NptTime::At(Duration::from_millis(62_250)))
        );
        assert_eq!(
            Range::parse("npt=now-").unwrap().npt_start(),
            Some(NptTime::Now)
        );
        assert_eq!(
            Range::parse("npt=-20").unwrap(),
            Range::Npt {
                start: None,
                end: Some(NptTime::At(Duration::from_secs(20)))
            }
        );
        assert_eq!(
            Range::from(Duration::from_millis(1500)).to_string(),
            "npt=1.500-"
        );
        assert_eq!(
            Range::from(Duration::from_micros(10_023_220)).to_string(),
            "npt=10.02322-"
        );
        assert_eq!(
            Range::parse("clock=19961108T143720.25Z-;time=19970123T143720Z").unwrap(),
            Range::Clock {
                start: "19961108T143720.25Z".into(),
                end: None
            }
        );
        assert!(matches!(
            Range::parse("smpte-25=10:07:00-10:07:33:05.01").unwrap(),
            Range::Smpte { .. }
        ));
        for bad in [
            "",
            "npt",
            "npt=-",
            "npt=1:60-",
            "npt=a-",
            "bytes=0-1",
            "npt=1.0123456789-",
        ] {
            assert!(Range::parse(bad).is_err(), "{bad}");
        }
    }
}
