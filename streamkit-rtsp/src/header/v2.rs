//! The headers RFC 7826 (RTSP 2.0) added: `Media-Properties` (section
//! 18.29), `Accept-Ranges` (18.5), `Seek-Style` (18.47),
//! `Notify-Reason` (18.32), `Request-Status` (18.42),
//! `Pipelined-Requests` (18.33) and the feature-tag lists of
//! `Supported`, `Require`, `Proxy-Require` and `Unsupported` (18.51,
//! 18.43, 18.39, 18.55).

use std::fmt;
use std::time::Duration;

use crate::error::HeaderError;

/// The most entries a list header keeps (a longer one is an error, not
/// an allocation without bound).
const MAX_LIST: usize = 64;

fn invalid(header: &'static str, what: &'static str) -> HeaderError {
    HeaderError::Invalid { header, what }
}

/// Splits at commas outside double quotes; empty parts dropped; at most
/// [`MAX_LIST`] parts.
fn list<'a>(header: &'static str, value: &'a str) -> Result<Vec<&'a str>, HeaderError> {
    let parts = super::split_params(value);
    if parts.len() > MAX_LIST {
        return Err(invalid(header, "more than 64 entries"));
    }
    Ok(parts)
}

/// RFC 7826's `delta-seconds` (`1*19DIGIT [ "." 1*9DIGIT ]`) as a
/// duration.
fn parse_seconds(s: &str) -> Option<Duration> {
    let s = s.trim();
    let (whole, frac) = s.split_once('.').unwrap_or((s, ""));
    if whole.is_empty()
        || whole.len() > 19
        || !whole.bytes().all(|c| c.is_ascii_digit())
        || frac.len() > 9
        || !frac.bytes().all(|c| c.is_ascii_digit())
        || (s.contains('.') && frac.is_empty())
    {
        return None;
    }
    let secs: u64 = whole.parse().ok()?;
    let nanos = if frac.is_empty() {
        0
    } else {
        let digits: u32 = frac.parse().ok()?;
        digits * 10u32.pow(9 - frac.len() as u32)
    };
    Some(Duration::new(secs, nanos))
}

/// Writes `d` as `delta-seconds` with at least one decimal and no
/// trailing zeros past it (`3.2`, `3600.0`, `0.02`).
struct Seconds(Duration);

impl fmt::Display for Seconds {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let frac = format!("{:09}", self.0.subsec_nanos());
        let frac = frac.trim_end_matches('0');
        let frac = if frac.is_empty() { "0" } else { frac };
        write!(f, "{}.{frac}", self.0.as_secs())
    }
}

/// One media property (RFC 7826 section 18.29).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum MediaProperty {
    /// `Random-Access[=delta-seconds]`: seekable to any point; the value
    /// is the longest distance between random access points.
    RandomAccess(Option<Duration>),
    /// `Beginning-Only`: seekable to the start only.
    BeginningOnly,
    /// `No-Seeking`: not seekable.
    NoSeeking,
    /// `Immutable`: the content does not change during the session.
    Immutable,
    /// `Dynamic`: the content may change.
    Dynamic,
    /// `Time-Progressing`: new media comes as time goes, old media goes.
    TimeProgressing,
    /// `Unlimited`: the media stays as long as the session.
    Unlimited,
    /// `Time-Limited=utc-time`: the media stays until then (kept as sent).
    TimeLimited(String),
    /// `Time-Duration=delta-seconds`: how long each media unit stays
    /// available.
    TimeDuration(Duration),
    /// `Scales="..."`: the scales PLAY accepts (kept as sent, no quotes).
    Scales(String),
    /// Another property, as sent.
    Other(String),
}

/// The `Media-Properties` header: what the media of a session allows.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct MediaProperties {
    /// The properties, in order.
    pub properties: Vec<MediaProperty>,
}

impl MediaProperties {
    /// A file played on demand: `Random-Access, Immutable, Unlimited`.
    #[must_use]
    pub fn on_demand() -> MediaProperties {
        MediaProperties {
            properties: vec![
                MediaProperty::RandomAccess(None),
                MediaProperty::Immutable,
                MediaProperty::Unlimited,
            ],
        }
    }

    /// A live stream without a time-shift buffer:
    /// `No-Seeking, Dynamic, Time-Progressing, Time-Duration=0.0`.
    #[must_use]
    pub fn live() -> MediaProperties {
        MediaProperties {
            properties: vec![
                MediaProperty::NoSeeking,
                MediaProperty::Dynamic,
                MediaProperty::TimeProgressing,
                MediaProperty::TimeDuration(Duration::ZERO),
            ],
        }
    }

    /// `true` when a PLAY may ask for a start other than the beginning.
    #[must_use]
    pub fn is_seekable(&self) -> bool {
        self.properties
            .iter()
            .any(|p| matches!(p, MediaProperty::RandomAccess(_)))
    }

    /// Parses a comma-separated list of properties (names ignore ASCII
    /// case; an empty value is an empty list).
    ///
    /// # Errors
    ///
    /// [`HeaderError::Invalid`] for a value that does not parse
    /// (`Random-Access=x`, `Time-Duration` without seconds) or more than
    /// 64 properties.
    pub fn parse(value: &str) -> Result<MediaProperties, HeaderError> {
        const H: &str = "Media-Properties";
        let mut properties = Vec::new();
        for part in list(H, value)? {
            let (name, v) = match part.split_once('=') {
                Some((n, v)) => (n.trim(), Some(v.trim())),
                None => (part, None),
            };
            let is = |s: &str| name.eq_ignore_ascii_case(s);
            let seconds = |v: Option<&str>, what| v.and_then(parse_seconds).ok_or(invalid(H, what));
            let p = if is("Random-Access") {
                match v {
                    None => MediaProperty::RandomAccess(None),
                    v => MediaProperty::RandomAccess(Some(seconds(
                        v,
                        "Random-Access is not delta-seconds",
                    )?)),
                }
            } else if v.is_none() && is("Beginning-Only") {
                MediaProperty::BeginningOnly
            } else if v.is_none() && is("No-Seeking") {
                MediaProperty::NoSeeking
            } else if v.is_none() && is("Immutable") {
                MediaProperty::Immutable
            } else if v.is_none() && is("Dynamic") {
                MediaProperty::Dynamic
            } else if v.is_none() && is("Time-Progressing") {
                MediaProperty::TimeProgressing
            } else if v.is_none() && is("Unlimited") {
                MediaProperty::Unlimited
            } else if is("Time-Limited") {
                match v {
                    Some(t) if !t.is_empty() && !t.contains(['"', ',']) => {
                        MediaProperty::TimeLimited(t.to_owned())
                    }
                    _ => return Err(invalid(H, "Time-Limited without a UTC time")),
                }
            } else if is("Time-Duration") {
                MediaProperty::TimeDuration(seconds(v, "Time-Duration is not delta-seconds")?)
            } else if is("Scales") {
                let inner = v
                    .and_then(|v| v.strip_prefix('"'))
                    .and_then(|v| v.strip_suffix('"'))
                    .filter(|v| !v.contains('"'))
                    .ok_or(invalid(H, "Scales is not a quoted list"))?;
                MediaProperty::Scales(inner.to_owned())
            } else {
                if part.contains('"') {
                    return Err(invalid(H, "a quoted value in an unknown property"));
                }
                MediaProperty::Other(part.to_owned())
            };
            properties.push(p);
        }
        Ok(MediaProperties { properties })
    }
}

impl fmt::Display for MediaProperty {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MediaProperty::RandomAccess(None) => f.write_str("Random-Access"),
            MediaProperty::RandomAccess(Some(d)) => write!(f, "Random-Access={}", Seconds(*d)),
            MediaProperty::BeginningOnly => f.write_str("Beginning-Only"),
            MediaProperty::NoSeeking => f.write_str("No-Seeking"),
            MediaProperty::Immutable => f.write_str("Immutable"),
            MediaProperty::Dynamic => f.write_str("Dynamic"),
            MediaProperty::TimeProgressing => f.write_str("Time-Progressing"),
            MediaProperty::Unlimited => f.write_str("Unlimited"),
            MediaProperty::TimeLimited(t) => write!(f, "Time-Limited={t}"),
            MediaProperty::TimeDuration(d) => write!(f, "Time-Duration={}", Seconds(*d)),
            MediaProperty::Scales(s) => write!(f, "Scales=\"{s}\""),
            MediaProperty::Other(o) => f.write_str(o),
        }
    }
}

impl fmt::Display for MediaProperties {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, p) in self.properties.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{p}")?;
        }
        Ok(())
    }
}

/// A range unit of `Accept-Ranges` (RFC 7826 section 18.5).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RangeUnit {
    /// `npt`: normal play time.
    Npt,
    /// `smpte`, `smpte-30-drop`, `smpte-25`: SMPTE time codes (the
    /// variant as sent, lower case).
    Smpte(String),
    /// `clock`: absolute UTC time (RFC 2326 called it `clock`, RFC 7826
    /// `UTC`; both read as this).
    Clock,
    /// Another unit, as sent.
    Other(String),
}

/// The `Accept-Ranges` header: the range units a side understands.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct AcceptRanges {
    /// The units, in order.
    pub units: Vec<RangeUnit>,
}

impl AcceptRanges {
    /// `npt` alone (what the server's PLAY reads).
    #[must_use]
    pub fn npt() -> AcceptRanges {
        AcceptRanges {
            units: vec![RangeUnit::Npt],
        }
    }

    /// `true` when `npt` is among the units.
    #[must_use]
    pub fn has_npt(&self) -> bool {
        self.units.contains(&RangeUnit::Npt)
    }

    /// Parses a comma-separated list of units (ASCII case ignored).
    ///
    /// # Errors
    ///
    /// [`HeaderError::Invalid`] for a unit that is not a token or more
    /// than 64 units.
    pub fn parse(value: &str) -> Result<AcceptRanges, HeaderError> {
        const H: &str = "Accept-Ranges";
        let mut units = Vec::new();
        for part in list(H, value)? {
            if !is_token(part) {
                return Err(invalid(H, "a range unit is not a token"));
            }
            let lower = part.to_ascii_lowercase();
            units.push(match lower.as_str() {
                "npt" => RangeUnit::Npt,
                "clock" | "utc" => RangeUnit::Clock,
                s if s.starts_with("smpte") => RangeUnit::Smpte(lower.clone()),
                _ => RangeUnit::Other(part.to_owned()),
            });
        }
        Ok(AcceptRanges { units })
    }
}

impl fmt::Display for AcceptRanges {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, u) in self.units.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            match u {
                RangeUnit::Npt => f.write_str("npt")?,
                RangeUnit::Smpte(s) | RangeUnit::Other(s) => f.write_str(s)?,
                RangeUnit::Clock => f.write_str("clock")?,
            }
        }
        Ok(())
    }
}

/// RFC 7826's `token` (RFC 7230's tchar set).
fn is_token(s: &str) -> bool {
    !s.is_empty()
        && s.bytes().all(|c| {
            c.is_ascii_alphanumeric()
                || matches!(
                    c,
                    b'!' | b'#'
                        | b'$'
                        | b'%'
                        | b'&'
                        | b'\''
                        | b'*'
                        | b'+'
                        | b'-'
                        | b'.'
                        | b'^'
                        | b'_'
                        | b'`'
                        | b'|'
                        | b'~'
                )
        })
}

/// The `Seek-Style` header (RFC 7826 section 18.47): where a PLAY with
/// a Range starts, relative to the random access points.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum SeekStyle {
    /// `RAP`: the random access point at or before the asked time (the
    /// default).
    #[default]
    Rap,
    /// `CoRAP`: the random access point at or before, or the asked time
    /// when a random access point is there.
    CoRap,
    /// `First-Prior`: the media unit playing at the asked time, without
    /// regard to random access points.
    FirstPrior,
    /// `Next`: the first random access point at or after the asked time.
    Next,
    /// Another policy, as sent.
    Other(String),
}

impl SeekStyle {
    /// Parses a policy (ASCII case ignored).
    ///
    /// # Errors
    ///
    /// [`HeaderError::Invalid`] for a value that is not one token.
    pub fn parse(value: &str) -> Result<SeekStyle, HeaderError> {
        let v = value.trim();
        if !is_token(v) {
            return Err(invalid("Seek-Style", "the policy is not a token"));
        }
        Ok(match v.to_ascii_lowercase().as_str() {
            "rap" => SeekStyle::Rap,
            "corap" => SeekStyle::CoRap,
            "first-prior" => SeekStyle::FirstPrior,
            "next" => SeekStyle::Next,
            _ => SeekStyle::Other(v.to_owned()),
        })
    }
}

impl fmt::Display for SeekStyle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SeekStyle::Rap => "RAP",
            SeekStyle::CoRap => "CoRAP",
            SeekStyle::FirstPrior => "First-Prior",
            SeekStyle::Next => "Next",
            SeekStyle::Other(o) => o,
        })
    }
}

/// The `Notify-Reason` header of a PLAY_NOTIFY (RFC 7826 section 18.32).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum NotifyReason {
    /// `end-of-stream`: the media of the PLAY's range was all sent.
    EndOfStream,
    /// `media-properties-update`: the media properties changed.
    MediaPropertiesUpdate,
    /// `scale-change`: the scale changed.
    ScaleChange,
    /// Another reason, as sent.
    Other(String),
}

impl NotifyReason {
    /// Parses a reason (ASCII case ignored).
    ///
    /// # Errors
    ///
    /// [`HeaderError::Invalid`] for a value that is not one token.
    pub fn parse(value: &str) -> Result<NotifyReason, HeaderError> {
        let v = value.trim();
        if !is_token(v) {
            return Err(invalid("Notify-Reason", "the reason is not a token"));
        }
        Ok(match v.to_ascii_lowercase().as_str() {
            "end-of-stream" => NotifyReason::EndOfStream,
            "media-properties-update" => NotifyReason::MediaPropertiesUpdate,
            "scale-change" => NotifyReason::ScaleChange,
            _ => NotifyReason::Other(v.to_owned()),
        })
    }
}

impl fmt::Display for NotifyReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            NotifyReason::EndOfStream => "end-of-stream",
            NotifyReason::MediaPropertiesUpdate => "media-properties-update",
            NotifyReason::ScaleChange => "scale-change",
            NotifyReason::Other(o) => o,
        })
    }
}

/// The `Request-Status` header of a PLAY_NOTIFY (RFC 7826 section
/// 18.42): which request's outcome it reports.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RequestStatus {
    /// The CSeq of that request.
    pub cseq: u32,
    /// Its status code.
    pub status: u16,
    /// The reason phrase (written with `'` for any `"`, which the
    /// quotes around it cannot hold).
    pub reason: String,
}

impl RequestStatus {
    /// Parses `cseq=N status=NNN reason="..."` (the three in any order,
    /// separated by spaces).
    ///
    /// # Errors
    ///
    /// [`HeaderError::Invalid`] when one of the three is missing or does
    /// not parse.
    pub fn parse(value: &str) -> Result<RequestStatus, HeaderError> {
        const H: &str = "Request-Status";
        let (mut cseq, mut status, mut reason) = (None, None, None);
        let mut rest = value.trim();
        while !rest.is_empty() {
            let (name, after) = rest
                .split_once('=')
                .ok_or(invalid(H, "a part without '='"))?;
            let after = after.trim_start();
            let (v, next) = if let Some(q) = after.strip_prefix('"') {
                let end = q.find('"').ok_or(invalid(H, "an unterminated quote"))?;
                (
                    q.get(..end).unwrap_or_default(),
                    q.get(end + 1..).unwrap_or_default(),
                )
            } else {
                after.split_once([' ', '\t']).unwrap_or((after, ""))
            };
            match name.trim().to_ascii_lowercase().as_str() {
                "cseq" => cseq = Some(v.parse().map_err(|_| invalid(H, "cseq is not a number"))?),
                "status" => {
                    let s: u16 = v.parse().map_err(|_| invalid(H, "status is not a code"))?;
                    if !(100..=999).contains(&s) {
                        return Err(invalid(H, "status is not three digits"));
                    }
                    status = Some(s);
                }
                "reason" => reason = Some(v.to_owned()),
                _ => return Err(invalid(H, "an unknown part")),
            }
            rest = next.trim_start();
        }
        Ok(RequestStatus {
            cseq: cseq.ok_or(invalid(H, "no cseq"))?,
            status: status.ok_or(invalid(H, "no status"))?,
            reason: reason.ok_or(invalid(H, "no reason"))?,
        })
    }
}

impl fmt::Display for RequestStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "cseq={} status={} reason=\"{}\"",
            self.cseq,
            self.status,
            self.reason.replace('"', "'")
        )
    }
}

/// The `Pipelined-Requests` header (RFC 7826 section 18.33): the id that
/// binds requests sent before the first one's answer (and its session
/// id) came. RFC 7826 says up to 8 digits; clients send up to 10
/// (GStreamer's rtspsrc a random 31-bit number), so any `u32` reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PipelinedRequests(pub u32);

impl PipelinedRequests {
    /// Parses the id.
    ///
    /// # Errors
    ///
    /// [`HeaderError::Invalid`] for anything but 1 to 10 digits that fit
    /// a `u32`.
    pub fn parse(value: &str) -> Result<PipelinedRequests, HeaderError> {
        let v = value.trim();
        if v.is_empty() || v.len() > 10 || !v.bytes().all(|c| c.is_ascii_digit()) {
            return Err(invalid("Pipelined-Requests", "the id is not 1-10 digits"));
        }
        v.parse()
            .map(PipelinedRequests)
            .map_err(|_| invalid("Pipelined-Requests", "the id is over 2^32"))
    }
}

impl fmt::Display for PipelinedRequests {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// A feature-tag list: `Supported`, `Require`, `Proxy-Require`,
/// `Unsupported` (`play.basic`, `setup.rtp.rtcp.mux`, ...).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct FeatureTags {
    /// The tags, in order, as sent.
    pub tags: Vec<String>,
}

impl FeatureTags {
    /// The tags of `tags`.
    #[must_use]
    pub fn of(tags: &[&str]) -> FeatureTags {
        FeatureTags {
            tags: tags.iter().map(|t| (*t).to_owned()).collect(),
        }
    }

    /// `true` when `tag` is among them (case-sensitive, as RFC 7826 section
    /// 4.5 says feature tags compare).
    #[must_use]
    pub fn contains(&self, tag: &str) -> bool {
        self.tags.iter().any(|t| t == tag)
    }

    /// Parses a comma-separated list of tokens.
    ///
    /// # Errors
    ///
    /// [`HeaderError::Invalid`] for a tag that is not a token or more
    /// than 64 tags.
    pub fn parse(value: &str) -> Result<FeatureTags, HeaderError> {
        let mut tags = Vec::new();
        for part in list("feature tags", value)? {
            if !is_token(part) {
                return Err(invalid("feature tags", "a tag is not a token"));
            }
            tags.push(part.to_owned());
        }
        Ok(FeatureTags { tags })
    }
}

impl fmt::Display for FeatureTags {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.tags.join(", "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seconds_forms() {
        assert_eq!(parse_seconds("3.2"), Some(Duration::from_millis(3200)));
        assert_eq!(parse_seconds("3600.0"), Some(Duration::from_secs(3600)));
        assert_eq!(parse_seconds("7"), Some(Duration::from_secs(7)));
        for bad in ["", ".5", "5.", "-1", "1.0123456789", "x"] {
            assert_eq!(parse_seconds(bad), None, "{bad}");
        }
        assert_eq!(Seconds(Duration::from_millis(3200)).to_string(), "3.2");
        assert_eq!(Seconds(Duration::from_secs(3600)).to_string(), "3600.0");
        assert_eq!(Seconds(Duration::from_millis(20)).to_string(), "0.02");
    }

    #[test]
    fn media_properties() {
        let p = MediaProperties::parse(
            "random-access=0.5, no-seeking, Time-Limited=20081128T165900, X-Foo",
        )
        .unwrap();
        assert_eq!(
            p.properties,
            [
                MediaProperty::RandomAccess(Some(Duration::from_millis(500))),
                MediaProperty::NoSeeking,
                MediaProperty::TimeLimited("20081128T165900".into()),
                MediaProperty::Other("X-Foo".into()),
            ]
        );
        assert_eq!(
            MediaProperties::on_demand().to_string(),
            "Random-Access, Immutable, Unlimited"
        );
        assert_eq!(
            MediaProperties::live().to_string(),
            "No-Seeking, Dynamic, Time-Progressing, Time-Duration=0.0"
        );
        assert!(MediaProperties::on_demand().is_seekable());
        assert!(!MediaProperties::live().is_seekable());
        for bad in [
            "Random-Access=x",
            "Time-Duration",
            "Scales=1",
            "Time-Limited=",
        ] {
            assert!(MediaProperties::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn small_headers() {
        assert_eq!(
            AcceptRanges::parse("NPT, SMPTE, UTC").unwrap().units,
            [
                RangeUnit::Npt,
                RangeUnit::Smpte("smpte".into()),
                RangeUnit::Clock
            ]
        );
        assert_eq!(AcceptRanges::npt().to_string(), "npt");
        assert_eq!(SeekStyle::parse(" next ").unwrap(), SeekStyle::Next);
        assert_eq!(SeekStyle::parse("CoRAP").unwrap().to_string(), "CoRAP");
        assert!(SeekStyle::parse("a b").is_err());
        assert_eq!(
            NotifyReason::parse("end-of-stream").unwrap(),
            NotifyReason::EndOfStream
        );
        let s = RequestStatus::parse("reason=\"OK\" cseq=5 status=200").unwrap();
        assert_eq!((s.cseq, s.status, s.reason.as_str()), (5, 200, "OK"));
        assert_eq!(s.to_string(), "cseq=5 status=200 reason=\"OK\"");
        assert!(RequestStatus::parse("cseq=5 status=200").is_err());
        assert_eq!(
            PipelinedRequests::parse("2147483647").unwrap().0,
            2_147_483_647
        );
        assert!(PipelinedRequests::parse("99999999999").is_err());
        let t = FeatureTags::parse("play.basic, setup.rtp.rtcp.mux").unwrap();
        assert!(t.contains("play.basic") && !t.contains("play.scale"));
        assert_eq!(t.to_string(), "play.basic, setup.rtp.rtcp.mux");
    }
}
