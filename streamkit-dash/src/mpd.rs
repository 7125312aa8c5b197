//! Reading and writing MPDs on the [`dash_mpd_core`] model, and builders
//! that fill the model from [`streamkit_core`] tracks and segment timings.
//!
//! [`parse`] and [`write()`] wrap the model's XML (de)serializer with an input
//! size limit, the XML declaration and typed errors. The builders make the
//! pieces a packager needs:
//!
//! - [`representation`]: a Representation from one or more [`Track`]s
//!   (codecs, mimeType, width, height, frameRate, audioSamplingRate,
//!   AudioChannelConfiguration) and its bandwidth ([`peak_bandwidth`]);
//! - [`adaptation_set`]: Representations of one content type;
//! - addressing: [`segment_base`] (on-demand, one file with a `sidx`),
//!   [`number_template`] (`$Number$` with a constant duration) and
//!   [`timeline_template`] (`$Time$` over a SegmentTimeline);
//! - [`period`], then [`static_mpd`] (on-demand or live-profile VOD) or
//!   [`dynamic_mpd`] (live), and [`apply_low_latency`] for low-latency live
//!   after the DASH-IF guidelines.
//!
//! Wall-clock times are [`Duration`]s since the Unix epoch, given by the
//! caller: nothing here reads a clock.
//!
//! About the model's XML: elements come out in schema order; the model
//! declares the `xsi`, `cenc`, `mspr`, `xlink` and `dvb` namespaces on
//! every MPD element, and [`write()`] keeps only those the document uses
//! (so the `<MPD>` start tag stays short: GStreamer's type finder reads the
//! first 512 bytes of a document and takes an MPD whose start tag ends
//! later for plain XML); [`write()`] adds the MPD namespace when the model
//! has none;
//! xs:durations are written as `PT…H…M…S` and xs:dateTimes in UTC with `Z`.
//! Reading fills defaults (such as `@xlink:actuate="onRequest"`), so a
//! parsed MPD written again carries them.
//!
//! ```
//! use core::time::Duration;
//! use streamkit_dash::mpd::{self, Profile, StaticPresentation};
//!
//! let template = mpd::timeline_template("init-$RepresentationID$.mp4",
//!     "seg-$RepresentationID$-$Time$.m4s", 1000, 0, &[2000, 2000, 2000, 1500])?;
//! let mut rep = mpd::Representation { id: Some("a".into()), bandwidth: Some(128_000),
//!     ..Default::default() };
//! rep.SegmentTemplate = Some(template);
//! let period = mpd::period("p0", Duration::ZERO, None, vec![mpd::adaptation_set(0, vec![rep])]);
//! let presentation = StaticPresentation {
//!     duration: Duration::from_millis(7500),
//!     min_buffer_time: Duration::from_secs(2),
//!     profile: Profile::Live,
//! };
//! let text = mpd::write(&mpd::static_mpd(&presentation, vec![period]))?;
//! assert!(text.contains(r#"<S t="0" d="2000" r="2"/><S d="1500"/>"#));
//! assert_eq!(mpd::parse(&text)?.periods.len(), 1);
//! # Ok::<(), streamkit_dash::DashError>(())
//! ```

use core::ops::Range;
use core::time::Duration;

pub use dash_mpd_core::{
    AdaptationSet, AudioChannelConfiguration, Initialization, Latency, MPD, Period,
    ProducerReferenceTime, Representation, S, SegmentBase, SegmentTemplate, SegmentTimeline,
    ServiceDescription, UTCTiming,
};
use streamkit_core::codec::MediaKind;
use streamkit_core::track::Track;

use crate::error::DashError;

/// The largest MPD [`parse`] accepts, in bytes (8 MiB). Real MPDs are a
/// few kilobytes; a two-hour SegmentTimeline with irregular durations is
/// under a megabyte.
pub const MAX_MPD_BYTES: usize = 8 << 20;

/// The ISO BMFF on-demand profile (one file per Representation, SegmentBase).
pub const PROFILE_ON_DEMAND: &str = "urn:mpeg:dash:profile:isoff-on-demand:2011";
/// The ISO BMFF live profile (SegmentTemplate).
pub const PROFILE_LIVE: &str = "urn:mpeg:dash:profile:isoff-live:2011";
/// The DASH-IF low-latency live profile (IOP low-latency guidelines, v5).
pub const PROFILE_LOW_LATENCY: &str = "http://www.dashif.org/guidelines/low-latency-live-v5";
/// The scheme of AudioChannelConfiguration with a channel count as value.
pub const AUDIO_CHANNEL_CONFIGURATION_SCHEME: &str =
    "urn:mpeg:dash:23003:3:audio_channel_configuration:2011";
/// UTCTiming scheme: an HTTP resource answering an xs:dateTime.
pub const UTC_TIMING_HTTP_XSDATE: &str = "urn:mpeg:dash:utc:http-xsdate:2014";
/// UTCTiming scheme: an HTTP resource answering an ISO 8601 time.
pub const UTC_TIMING_HTTP_ISO: &str = "urn:mpeg:dash:utc:http-iso:2014";
/// UTCTiming scheme: the time written directly in the MPD.
pub const UTC_TIMING_DIRECT: &str = "urn:mpeg:dash:utc:direct:2014";

/// The MPD schema namespace.
pub const MPD_NAMESPACE: &str = "urn:mpeg:dash:schema:mpd:2011";

const XML_DECLARATION: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";

pub use crate::document::MpdWarning;

/// Parses an MPD.
///
/// Lenient where the model is stricter than MPDs in the wild: a negative
/// `@presentationTimeOffset` is read as 0 (see [`parse_with_warnings`] for
/// the report) instead of refusing the whole document.
///
/// # Errors
///
/// [`DashError::TooLarge`] beyond [`MAX_MPD_BYTES`];
/// [`DashError::UnexpectedRoot`] when the document's element is not
/// `<MPD>` (a remote `<Period>` or `<EventStream>` is read with
/// [`crate::remote`]); [`DashError::Parse`] for anything the model does
/// not read, with the deserializer's message.
pub fn parse(text: &str) -> Result<MPD, DashError> {
    parse_with_warnings(text).map(|(mpd, _)| mpd)
}

/// [`parse`], with what it read differently from the text (each
/// [`MpdWarning`] names the element and the byte offset).
///
/// # Errors
///
/// Those of [`parse`].
pub fn parse_with_warnings(text: &str) -> Result<(MPD, Vec<MpdWarning>), DashError> {
    check_size(text.len())?;
    let scanned = crate::document::scan(text);
    crate::document::expect_roots(&scanned, "MPD", false)?;
    let mpd = dash_mpd_core::parse(scanned.text(text)).map_err(model_error)?;
    Ok((mpd, scanned.warnings))
}

pub(crate) fn check_size(size: usize) -> Result<(), DashError> {
    if size > MAX_MPD_BYTES {
        return Err(DashError::TooLarge {
            size,
            limit: MAX_MPD_BYTES,
        });
    }
    Ok(())
}

pub(crate) fn model_error(e: dash_mpd_core::DashMpdError) -> DashError {
    DashError::Parse {
        message: match e {
            // The deserializer's own message: the element path, then what
            // is wrong.
            dash_mpd_core::DashMpdError::Parsing(m) => m,
            other => other.to_string(),
        },
    }
}

/// Parses an MPD given as bytes (UTF-8).
///
/// # Errors
///
/// Those of [`parse`], and [`DashError::Parse`] naming the byte offset of
/// invalid UTF-8.
pub fn parse_bytes(bytes: &[u8]) -> Result<MPD, DashError> {
    if bytes.len() > MAX_MPD_BYTES {
        return Err(DashError::TooLarge {
            size: bytes.len(),
            limit: MAX_MPD_BYTES,
        });
    }
    let text = core::str::from_utf8(bytes).map_err(|e| DashError::Parse {
        message: format!("invalid UTF-8 at byte {}", e.valid_up_to()),
    })?;
    parse(text)
}

/// Writes an MPD as an XML document (with its declaration). The `<MPD>`
/// start tag declares only the namespace prefixes the document uses.
///
/// # Errors
///
/// [`DashError::Serialize`] when the serializer refuses the model.
pub fn write(mpd: &MPD) -> Result<String, DashError> {
    let body = if mpd.xmlns.is_some() {
        dash_mpd_core_to_string(mpd)?
    } else {
        // The model leaves out an absent @xmlns; an MPD needs it.
        let mut with_ns = mpd.clone();
        with_ns.xmlns = Some(MPD_NAMESPACE.to_owned());
        dash_mpd_core_to_string(&with_ns)?
    };
    let unused = unused_namespace_declarations(&body);
    let removed: usize = unused.iter().map(ExactSizeIterator::len).sum();
    let mut out = String::with_capacity(XML_DECLARATION.len() + body.len() - removed);
    out.push_str(XML_DECLARATION);
    let mut at = 0;
    for span in unused {
        out.push_str(&body[at..span.start]);
        at = span.end;
    }
    out.push_str(&body[at..]);
    Ok(out)
}

/// The byte ranges (each with the white space before it) of the
/// `xmlns:PREFIX="..."` attributes of the document's first start tag whose
/// prefix no element or attribute name of the document uses. A prefix is
/// taken as used wherever `PREFIX:` follows `<`, `/` or white space, so
/// text that merely looks like a use keeps a declaration, never drops one.
fn unused_namespace_declarations(xml: &str) -> Vec<Range<usize>> {
    let bytes = xml.as_bytes();
    let Some(open) = xml.find('<') else {
        return Vec::new();
    };
    let mut unused = Vec::new();
    let mut i = open + 1;
    // Past the element name.
    while i < bytes.len() && !bytes[i].is_ascii_whitespace() && !matches!(bytes[i], b'>' | b'/') {
        i += 1;
    }
    loop {
        let space = i;
        while i < bytes.len() && bytes[i].is_ascii_whitespace() {
            i += 1;
        }
        let name_start = i;
        while i < bytes.len()
            && !matches!(bytes[i], b'=' | b'>' | b'/')
            && !bytes[i].is_ascii_whitespace()
        {
            i += 1;
        }
        if i == name_start || bytes.get(i) != Some(&b'=') {
            // The end of the start tag (or something this does not read).
            return unused;
        }
        let name = &xml[name_start..i];
        i += 1;
        let Some(&quote) = bytes.get(i).filter(|q| matches!(q, b'"' | b'\'')) else {
            return unused;
        };
        let Some(len) = bytes[i + 1..].iter().position(|&b| b == quote) else {
            return unused;
        };
        i += len + 2;
        if let Some(prefix) = name.strip_prefix("xmlns:")
            && !prefix_used(xml, prefix)
        {
            unused.push(space..i);
        }
    }
}

/// `true` when `PREFIX:` follows `<`, `/` or white space anywhere in `xml`.
fn prefix_used(xml: &str, prefix: &str) -> bool {
    let bytes = xml.as_bytes();
    let mut from = 0;
    while let Some(found) = xml[from..].find(prefix) {
        let at = from + found;
        let after = at + prefix.len();
        let before = at.checked_sub(1).map(|b| bytes[b]);
        if bytes.get(after) == Some(&b':')
            && before.is_some_and(|b| b == b'<' || b == b'/' || b.is_ascii_whitespace())
        {
            return true;
        }
        from = after;
    }
    false
}

fn dash_mpd_core_to_string(mpd: &MPD) -> Result<String, DashError> {
    use core::fmt::Write as _;
    let mut s = String::new();
    write!(s, "{mpd}").map_err(|_| DashError::Serialize {
        message: "the XML serializer failed".into(),
    })?;
    Ok(s)
}

/// Which kind of static MPD [`static_mpd`] writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Profile {
    /// ISO BMFF on-demand: each Representation is one file addressed by
    /// SegmentBase (see [`segment_base`]).
    OnDemand,
    /// ISO BMFF live profile used for VOD: SegmentTemplate addressing.
    Live,
}

impl Profile {
    /// The profile URN.
    #[must_use]
    pub fn urn(self) -> &'static str {
        match self {
            Profile::OnDemand => PROFILE_ON_DEMAND,
            Profile::Live => PROFILE_LIVE,
        }
    }
}

/// The MPD-level attributes of a static presentation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StaticPresentation {
    /// `@mediaPresentationDuration`.
    pub duration: Duration,
    /// `@minBufferTime`.
    pub min_buffer_time: Duration,
    /// `@profiles`.
    pub profile: Profile,
}

/// A UTCTiming element: how a client synchronizes its clock.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UtcTimingSource {
    /// `@schemeIdUri`, such as [`UTC_TIMING_HTTP_XSDATE`].
    pub scheme: String,
    /// `@value`: the URL, or the time for [`UTC_TIMING_DIRECT`].
    pub value: String,
}

/// The MPD-level attributes of a dynamic (live) presentation. Times are
/// wall-clock [`Duration`]s since the Unix epoch.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DynamicPresentation {
    /// `@availabilityStartTime`: the wall-clock time of presentation time
    /// zero.
    pub availability_start_time: Duration,
    /// `@publishTime`: when this version of the MPD was made.
    pub publish_time: Duration,
    /// `@minimumUpdatePeriod`: how often a client refetches the MPD.
    pub minimum_update_period: Duration,
    /// `@timeShiftBufferDepth`: how far behind the live edge segments stay
    /// available.
    pub time_shift_buffer_depth: Duration,
    /// `@suggestedPresentationDelay`.
    pub suggested_presentation_delay: Duration,
    /// `@minBufferTime`.
    pub min_buffer_time: Duration,
    /// `UTCTiming` elements.
    pub utc_timing: Vec<UtcTimingSource>,
}

/// Low-latency settings after the DASH-IF low-latency guidelines.
#[derive(Clone, Debug, PartialEq)]
pub struct LowLatency {
    /// `Latency@target`.
    pub target_latency: Duration,
    /// `Latency@min`.
    pub min_latency: Duration,
    /// `Latency@max`.
    pub max_latency: Duration,
    /// `SegmentTemplate@availabilityTimeOffset` in seconds: how much
    /// earlier than its end a segment can be requested (its duration minus
    /// one chunk's, usually). Finite, not negative.
    pub availability_time_offset: f64,
    /// A `ProducerReferenceTime`: a presentation time (in the timescale of
    /// each AdaptationSet's SegmentTemplate) and its wall-clock time since
    /// the Unix epoch.
    pub producer_reference: Option<(u64, Duration)>,
}

fn datetime(
    since_epoch: Duration,
    what: &'static str,
) -> Result<dash_mpd_core::XsDatetime, DashError> {
    let secs =
        i64::try_from(since_epoch.as_secs()).map_err(|_| DashError::Build { reason: what })?;
    chrono::DateTime::from_timestamp(secs, since_epoch.subsec_nanos())
        .ok_or(DashError::Build { reason: what })
}

/// A Representation of `tracks` (one track, or several muxed in one file):
/// `@codecs` (the tracks' RFC 6381 strings, comma-separated), `@mimeType`
/// (`video/mp4` when a track is video, else `audio/mp4`), `@width`,
/// `@height` and `@frameRate` of the first video track, `@audioSamplingRate`
/// and AudioChannelConfiguration of the first audio track, `@startWithSAP`
/// 1.
///
/// # Errors
///
/// [`DashError::Build`] when `tracks` is empty or `bandwidth` is zero.
pub fn representation(
    id: &str,
    bandwidth: u64,
    tracks: &[Track],
) -> Result<Representation, DashError> {
    if tracks.is_empty() {
        return Err(DashError::Build {
            reason: "a Representation needs at least one track",
        });
    }
    if bandwidth == 0 {
        return Err(DashError::Build {
            reason: "@bandwidth must not be zero",
        });
    }
    let codecs: Vec<String> = tracks.iter().map(Track::codec_string).collect();
    let video = tracks.iter().find(|t| t.kind() == MediaKind::Video);
    let audio = tracks.iter().find(|t| t.kind() == MediaKind::Audio);
    let mut rep = Representation {
        id: Some(id.to_owned()),
        bandwidth: Some(bandwidth),
        codecs: Some(codecs.join(",")),
        mimeType: Some(
            if video.is_some() {
                "video/mp4"
            } else {
                "audio/mp4"
            }
            .to_owned(),
        ),
        startWithSAP: Some(1),
        ..Default::default()
    };
    if let Some(v) = video {
        if let Some((w, h)) = v.codec.dimensions() {
            rep.width = Some(u64::from(w));
            rep.height = Some(u64::from(h));
        }
        if let Some(fr) = v.codec.frame_rate() {
            rep.frameRate = Some(if fr.den == 1 {
                fr.num.to_string()
            } else {
                fr.to_string()
            });
        }
    }
    if let Some(a) = audio {
        if let Some(rate) = a.codec.sample_rate() {
            rep.audioSamplingRate = Some(rate.to_string());
        }
        if let Some(ch) = a.codec.channels() {
            rep.AudioChannelConfiguration
                .push(AudioChannelConfiguration {
                    schemeIdUri: AUDIO_CHANNEL_CONFIGURATION_SCHEME.to_owned(),
                    value: Some(ch.to_string()),
                    id: None,
                });
        }
    }
    Ok(rep)
}

/// The `@bandwidth` that carries every segment within its own duration: the
/// peak over `(bytes, duration)` pairs of `8 * bytes / duration` in bits
/// per second, rounded up (durations in ticks of `timescale`; zero
/// durations are skipped). `None` when no segment has a duration or the
/// result overflows.
#[must_use]
pub fn peak_bandwidth(segments: &[(u64, u64)], timescale: u32) -> Option<u64> {
    let mut peak: Option<u64> = None;
    for &(bytes, duration) in segments {
        if duration == 0 {
            continue;
        }
        let bits = u128::from(bytes) * 8 * u128::from(timescale);
        let rate = bits.div_ceil(u128::from(duration));
        let rate = u64::try_from(rate).ok()?;
        peak = Some(peak.map_or(rate, |p| p.max(rate)));
    }
    peak
}

/// An AdaptationSet holding `representations`, with `@contentType` from
/// their `@mimeType` (`video/...` → `video`, `audio/...` → `audio`),
/// `@segmentAlignment` and `@startWithSAP` 1. The first Representation's
/// `@mimeType` is lifted to the AdaptationSet.
#[must_use]
pub fn adaptation_set(id: u32, representations: Vec<Representation>) -> AdaptationSet {
    let mime = representations.first().and_then(|r| r.mimeType.clone());
    let content_type = mime
        .as_deref()
        .and_then(|m| m.split('/').next())
        .map(str::to_owned);
    AdaptationSet {
        id: Some(id.to_string()),
        contentType: content_type,
        mimeType: mime,
        segmentAlignment: Some(true),
        startWithSAP: Some(1),
        representations,
        ..Default::default()
    }
}

fn range_text(r: &Range<u64>) -> Result<String, DashError> {
    if r.end <= r.start {
        return Err(DashError::Build {
            reason: "an empty byte range",
        });
    }
    Ok(format!("{}-{}", r.start, r.end - 1))
}

/// SegmentBase for an on-demand Representation: one file holding the init
/// segment at `init_range` and a `sidx` at `index_range` (byte ranges, end
/// exclusive, as [`streamkit_core::fmp4::FragmentedFile`] gives them). The
/// file's URL goes into the Representation's BaseURL.
///
/// # Errors
///
/// [`DashError::Build`] for an empty range or a zero timescale.
pub fn segment_base(
    timescale: u32,
    init_range: &Range<u64>,
    index_range: &Range<u64>,
) -> Result<SegmentBase, DashError> {
    if timescale == 0 {
        return Err(DashError::Build {
            reason: "timescale must not be zero",
        });
    }
    Ok(SegmentBase {
        timescale: Some(u64::from(timescale)),
        indexRange: Some(range_text(index_range)?),
        Initialization: Some(Initialization {
            sourceURL: None,
            range: Some(range_text(init_range)?),
        }),
        ..Default::default()
    })
}

/// A SegmentTemplate numbering segments of a constant `duration` (ticks of
/// `timescale`) from `start_number`: `media` uses `$Number$`.
///
/// # Errors
///
/// [`DashError::Build`] for a zero timescale or duration.
pub fn number_template(
    initialization: &str,
    media: &str,
    timescale: u32,
    duration: u64,
    start_number: u64,
) -> Result<SegmentTemplate, DashError> {
    if timescale == 0 || duration == 0 {
        return Err(DashError::Build {
            reason: "timescale and duration must not be zero",
        });
    }
    // @duration is an unsigned integer in the schema; the model holds f64,
    // exact up to 2^53.
    if duration > (1 << 53) {
        return Err(DashError::Build {
            reason: "duration beyond 2^53 ticks",
        });
    }
    Ok(SegmentTemplate {
        initialization: Some(initialization.to_owned()),
        media: Some(media.to_owned()),
        timescale: Some(u64::from(timescale)),
        #[allow(clippy::cast_precision_loss)] // checked above: exact
        duration: Some(duration as f64),
        startNumber: Some(start_number),
        ..Default::default()
    })
}

/// A SegmentTimeline for segments starting at `start_time` with these
/// `durations` (ticks), runs of equal durations folded into `@r`.
///
/// # Errors
///
/// [`DashError::Build`] for a zero duration, [`DashError::TimeOverflow`]
/// when the times pass `u64`.
pub fn segment_timeline(start_time: u64, durations: &[u64]) -> Result<SegmentTimeline, DashError> {
    let mut segments: Vec<S> = Vec::new();
    let mut end = start_time;
    for &d in durations {
        if d == 0 {
            return Err(DashError::Build {
                reason: "a segment duration of zero",
            });
        }
        match segments.last_mut() {
            Some(last) if last.d == d => {
                last.r = Some(last.r.unwrap_or(0) + 1);
            }
            _ => segments.push(S {
                t: if segments.is_empty() {
                    Some(start_time)
                } else {
                    None
                },
                d,
                ..Default::default()
            }),
        }
        end = end.checked_add(d).ok_or(DashError::TimeOverflow {
            what: "SegmentTimeline end",
        })?;
    }
    Ok(SegmentTimeline { segments })
}

/// A SegmentTemplate over a SegmentTimeline (see [`segment_timeline`])
/// whose first segment, at `start_time`, starts the Period
/// (`@presentationTimeOffset` is `start_time`); `media` uses `$Time$` (or `$Number$`, numbered from 1, the default
/// `@startNumber`).
///
/// # Errors
///
/// Those of [`segment_timeline`], and [`DashError::Build`] for a zero
/// timescale.
pub fn timeline_template(
    initialization: &str,
    media: &str,
    timescale: u32,
    start_time: u64,
    durations: &[u64],
) -> Result<SegmentTemplate, DashError> {
    if timescale == 0 {
        return Err(DashError::Build {
            reason: "timescale must not be zero",
        });
    }
    Ok(SegmentTemplate {
        initialization: Some(initialization.to_owned()),
        media: Some(media.to_owned()),
        timescale: Some(u64::from(timescale)),
        // The first segment starts the Period.
        presentationTimeOffset: (start_time != 0).then_some(start_time),
        // @startNumber is left at its default of 1: FFmpeg's DASH demuxer
        // (5.1) takes a written @startNumber as the index of the first S
        // entry when it fills $Time$, and then skips the first segment.
        SegmentTimeline: Some(segment_timeline(start_time, durations)?),
        ..Default::default()
    })
}

/// A Period with `@id`, `@start` and (when known) `@duration`. Periods
/// after the first start a new timeline: a discontinuity.
#[must_use]
pub fn period(
    id: &str,
    start: Duration,
    duration: Option<Duration>,
    adaptation_sets: Vec<AdaptationSet>,
) -> Period {
    Period {
        id: Some(id.to_owned()),
        start: Some(start),
        duration,
        adaptations: adaptation_sets,
        ..Default::default()
    }
}

/// A static MPD: `@type="static"`, `@profiles`,
/// `@mediaPresentationDuration`, `@minBufferTime`.
#[must_use]
pub fn static_mpd(presentation: &StaticPresentation, periods: Vec<Period>) -> MPD {
    MPD {
        xmlns: Some(MPD_NAMESPACE.to_owned()),
        mpdtype: Some("static".to_owned()),
        profiles: Some(presentation.profile.urn().to_owned()),
        mediaPresentationDuration: Some(presentation.duration),
        minBufferTime: Some(presentation.min_buffer_time),
        periods,
        ..Default::default()
    }
}

/// A dynamic MPD (live profile): `@type="dynamic"`,
/// `@availabilityStartTime`, `@publishTime`, `@minimumUpdatePeriod`,
/// `@timeShiftBufferDepth`, `@suggestedPresentationDelay`,
/// `@minBufferTime` and the UTCTiming elements.
///
/// # Errors
///
/// [`DashError::Build`] when a wall-clock time is beyond what xs:dateTime
/// represents here.
pub fn dynamic_mpd(
    presentation: &DynamicPresentation,
    periods: Vec<Period>,
) -> Result<MPD, DashError> {
    Ok(MPD {
        xmlns: Some(MPD_NAMESPACE.to_owned()),
        mpdtype: Some("dynamic".to_owned()),
        profiles: Some(PROFILE_LIVE.to_owned()),
        availabilityStartTime: Some(datetime(
            presentation.availability_start_time,
            "availabilityStartTime out of range",
        )?),
        publishTime: Some(datetime(
            presentation.publish_time,
            "publishTime out of range",
        )?),
        minimumUpdatePeriod: Some(presentation.minimum_update_period),
        timeShiftBufferDepth: Some(presentation.time_shift_buffer_depth),
        suggestedPresentationDelay: Some(presentation.suggested_presentation_delay),
        minBufferTime: Some(presentation.min_buffer_time),
        UTCTiming: presentation
            .utc_timing
            .iter()
            .map(|u| UTCTiming {
                id: None,
                schemeIdUri: u.scheme.clone(),
                value: Some(u.value.clone()),
            })
            .collect(),
        periods,
        ..Default::default()
    })
}

/// Makes a dynamic MPD low-latency (DASH-IF low-latency guidelines): adds
/// the low-latency profile, a ServiceDescription with Latency (target, min,
/// max in milliseconds), and on every SegmentTemplate
/// `@availabilityTimeOffset` and `@availabilityTimeComplete="false"` (the
/// segments are delivered in chunks as they are made); with a producer
/// reference, a ProducerReferenceTime on every AdaptationSet.
///
/// # Errors
///
/// [`DashError::Build`] when the MPD is not dynamic, has no SegmentTemplate,
/// or the offset is negative or not finite.
pub fn apply_low_latency(mpd: &mut MPD, low_latency: &LowLatency) -> Result<(), DashError> {
    if mpd.mpdtype.as_deref() != Some("dynamic") {
        return Err(DashError::Build {
            reason: "low latency applies to a dynamic MPD",
        });
    }
    let ato = low_latency.availability_time_offset;
    if !ato.is_finite() || ato < 0.0 {
        return Err(DashError::Build {
            reason: "availabilityTimeOffset must be finite and not negative",
        });
    }
    let wall_clock = match low_latency.producer_reference {
        Some((_, wall)) => Some(datetime(wall, "ProducerReferenceTime out of range")?),
        None => None,
    };
    let mut templates = 0usize;
    for p in &mut mpd.periods {
        for a in &mut p.adaptations {
            let mut touch = |t: &mut SegmentTemplate| {
                t.availabilityTimeOffset = Some(ato);
                t.availabilityTimeComplete = Some(false);
                templates += 1;
            };
            if let Some(t) = a.SegmentTemplate.as_mut() {
                touch(t);
            }
            for r in &mut a.representations {
                if let Some(t) = r.SegmentTemplate.as_mut() {
                    touch(t);
                }
            }
            if let (Some((presentation_time, _)), Some(wall)) =
                (low_latency.producer_reference, wall_clock)
            {
                a.ProducerReferenceTime.push(ProducerReferenceTime {
                    id: Some("0".to_owned()),
                    inband: None,
                    presentationTime: Some(presentation_time),
                    prtType: Some("encoder".to_owned()),
                    wallClockTime: Some(wall),
                    UTCTiming: mpd.UTCTiming.first().cloned(),
                });
            }
        }
    }
    if templates == 0 {
        return Err(DashError::Build {
            reason: "low latency needs SegmentTemplate addressing",
        });
    }
    let profiles = mpd.profiles.get_or_insert_with(String::new);
    if !profiles.split(',').any(|p| p == PROFILE_LOW_LATENCY) {
        if !profiles.is_empty() {
            profiles.push(',');
        }
        profiles.push_str(PROFILE_LOW_LATENCY);
    }
    #[allow(clippy::cast_precision_loss)] // milliseconds of a latency: small
    let ms = |d: Duration| d.as_millis() as f64;
    mpd.ServiceDescription.push(ServiceDescription {
        id: Some("0".to_owned()),
        Latency: vec![Latency {
            min: Some(ms(low_latency.min_latency)),
            max: Some(ms(low_latency.max_latency)),
            target: Some(ms(low_latency.target_latency)),
            referenceId: low_latency.producer_reference.map(|_| "0".to_owned()),
        }],
        ..Default::default()
    });
    Ok(())
}
