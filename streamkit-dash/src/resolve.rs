//! The client side: which segments a Representation has, with their URLs
//! and time ranges.
//!
//! [`resolve`] takes a parsed MPD, the URL it was fetched from, a
//! Representation (by indices) and, for a dynamic MPD, the wall-clock
//! `now`; it works out the BaseURL chain (MPD → Period → AdaptationSet →
//! Representation, each resolved against the one above), the inherited
//! SegmentBase, SegmentList or SegmentTemplate, the Period's start and
//! duration, and for a dynamic MPD the availability window
//! (`@availabilityStartTime`, `@timeShiftBufferDepth`,
//! `@availabilityTimeOffset`). [`ResolvedRepresentation::segments`] then
//! walks the segments lazily: a SegmentTimeline with `r="1000000000000"`
//! costs nothing until walked, and walking it holds no list.
//!
//! Rules:
//! - `$Number$` templates with `@duration`: segment `k` (from 0) has number
//!   `@startNumber + k` and MPD time `@presentationTimeOffset + k *
//!   @duration`; a static Period holds `ceil(duration / @duration)`
//!   segments (bounded by `@endNumber`).
//! - SegmentTimeline: `S@t` (or the end of the previous segment), `@d`,
//!   `@r` repeats; `r="-1"` repeats up to the next `S@t`, else the Period
//!   end, else (dynamic) the live edge. Segments starting at or after the
//!   Period end are left out.
//! - Dynamic MPDs list the segments available at `now`: those whose end,
//!   less `@availabilityTimeOffset`, has passed, and whose end plus
//!   `@timeShiftBufferDepth` has not.
//! - SegmentBase (or a bare BaseURL): one segment, the whole resource,
//!   with the index range reported in [`ResolvedRepresentation::index`].
//!
//! ```
//! use streamkit_dash::{mpd, resolve::resolve};
//!
//! let text = r#"<MPD xmlns="urn:mpeg:dash:schema:mpd:2011" type="static"
//!     mediaPresentationDuration="PT5S" minBufferTime="PT2S">
//!   <BaseURL>media/</BaseURL>
//!   <Period><AdaptationSet><Representation id="v" bandwidth="1000">
//!     <SegmentTemplate media="$RepresentationID$-$Number%03d$.m4s" duration="2" startNumber="1"/>
//!   </Representation></AdaptationSet></Period></MPD>"#;
//! let mpd = mpd::parse(text)?;
//! let rep = resolve(&mpd, "https://example.com/live/manifest.mpd", 0, 0, 0, None)?;
//! let urls: Vec<String> = rep.segments().map(|s| s.map(|s| s.url)).collect::<Result<_, _>>()?;
//! assert_eq!(urls, [
//!     "https://example.com/live/media/v-001.m4s",
//!     "https://example.com/live/media/v-002.m4s",
//!     "https://example.com/live/media/v-003.m4s",
//! ]);
//! # Ok::<(), streamkit_dash::DashError>(())
//! ```

use core::time::Duration;

use dash_mpd_core::{
    BaseURL, Initialization, MPD, Period, S, SegmentBase, SegmentList, SegmentTemplate,
    SegmentTimeline, SegmentURL,
};
use streamkit_core::time::{MediaTime, Timescale};
use url::Url;

use crate::error::DashError;
use crate::template::UrlTemplate;

/// An inclusive byte range, as HTTP `Range: bytes=first-last` and DASH's
/// `@range`, `@indexRange` and `@mediaRange` write it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ByteRange {
    /// First byte.
    pub first: u64,
    /// Last byte (inclusive).
    pub last: u64,
}

impl ByteRange {
    /// Parses `first-last`.
    ///
    /// # Errors
    ///
    /// [`DashError::InvalidByteRange`] unless both are integers and
    /// `first <= last`.
    pub fn parse(text: &str) -> Result<ByteRange, DashError> {
        let bad = || DashError::InvalidByteRange {
            value: text.to_owned(),
        };
        let (a, b) = text.trim().split_once('-').ok_or_else(bad)?;
        let first: u64 = a.parse().map_err(|_| bad())?;
        let last: u64 = b.parse().map_err(|_| bad())?;
        if first > last {
            return Err(bad());
        }
        Ok(ByteRange { first, last })
    }

    /// The range as a half-open `start..end`, or `None` when `last` is
    /// `u64::MAX`.
    #[must_use]
    pub fn to_range(self) -> Option<core::ops::Range<u64>> {
        Some(self.first..self.last.checked_add(1)?)
    }
}

/// A resource to fetch: a URL and, for part of a file, a byte range.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ResourceLocation {
    /// The absolute URL.
    pub url: String,
    /// The byte range, when only part of the resource is meant.
    pub byte_range: Option<ByteRange>,
}

/// One media segment of a Representation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MediaSegment {
    /// `$Number$` of the segment.
    pub number: u64,
    /// The absolute URL.
    pub url: String,
    /// The byte range within `url` (SegmentList `@mediaRange`, SegmentBase).
    pub byte_range: Option<ByteRange>,
    /// MPD time (`$Time$`): ticks of `timescale`, including
    /// `@presentationTimeOffset`.
    pub time: u64,
    /// Duration in ticks of `timescale`.
    pub duration: u64,
    /// The Representation's `@timescale`.
    pub timescale: Timescale,
    /// Presentation start, from the start of the first Period (static) or
    /// `@availabilityStartTime` (dynamic): the Period start plus `time`
    /// minus `@presentationTimeOffset`.
    pub start: MediaTime,
}

impl MediaSegment {
    /// The duration as a [`MediaTime`] (saturating at `i64::MAX` ticks).
    #[must_use]
    pub fn duration_time(&self) -> MediaTime {
        MediaTime::new(
            i64::try_from(self.duration).unwrap_or(i64::MAX),
            self.timescale,
        )
    }
}

/// A Representation with everything needed to list its segments.
#[derive(Clone, Debug)]
pub struct ResolvedRepresentation<'a> {
    /// `@id` (empty when absent).
    pub id: String,
    /// `@bandwidth`.
    pub bandwidth: Option<u64>,
    /// The Representation's base URL, after the BaseURL chain.
    pub base_url: String,
    /// The `@timescale` of its segment information (1 when absent).
    pub timescale: Timescale,
    /// The Period's start (from `@start`, or the previous Period's end).
    pub period_start: Duration,
    /// The Period's duration, when known.
    pub period_duration: Option<Duration>,
    /// The init segment, when there is one.
    pub initialization: Option<ResourceLocation>,
    /// The segment index (SegmentBase `@indexRange`), when there is one.
    pub index: Option<ResourceLocation>,
    plan: Plan<'a>,
}

#[derive(Clone, Debug)]
enum Addresses<'a> {
    Template(UrlTemplate),
    List(&'a [SegmentURL]),
    Whole(ResourceLocation),
}

#[derive(Clone, Debug)]
struct Plan<'a> {
    base: Url,
    addresses: Addresses<'a>,
    walk: Walk<'a>,
    window: Window,
    start_number: u64,
    pto: u64,
    period_start_ticks: i128,
}

/// Window bounds are MPD times in units of 1/(timescale * 10^9) s, so a
/// wall-clock `now` in nanoseconds compares exactly with tick counts.
const SCALE: i128 = 1_000_000_000;

#[derive(Clone, Copy, Debug, Default)]
struct Window {
    /// Segments ending before `lo` (scaled MPD time) are gone.
    lo: Option<i128>,
    /// Segments whose end minus `ato` is after `hi` (scaled) are not yet
    /// available.
    hi: Option<i128>,
    /// `@availabilityTimeOffset`, scaled.
    ato: i128,
    /// Segments starting at or after this MPD time are outside the Period.
    period_end: Option<i128>,
}

#[derive(Clone, Debug)]
enum Walk<'a> {
    Fixed { duration: u64, first: u64, end: u64 },
    Timeline { s: &'a [S] },
    Once { duration: u64 },
}

/// Finds the Representation at `period` / `adaptation_set` /
/// `representation` and prepares its segment list. `mpd_url` is the
/// absolute URL the MPD came from; `now` (a wall-clock time since the Unix
/// epoch) is required for a dynamic MPD and ignored for a static one.
///
/// # Errors
///
/// [`DashError::NoSuchRepresentation`]; [`DashError::InvalidUrl`];
/// template errors ([`DashError::UnknownTemplateIdentifier`],
/// [`DashError::MalformedTemplate`]); [`DashError::InvalidValue`] for a zero
/// or oversized timescale or duration; [`DashError::Unbounded`] for a static
/// list without an end; [`DashError::Dynamic`] for a dynamic MPD without
/// `now` or `@availabilityStartTime`; [`DashError::InvalidByteRange`].
pub fn resolve<'a>(
    mpd: &'a MPD,
    mpd_url: &str,
    period: usize,
    adaptation_set: usize,
    representation: usize,
    now: Option<Duration>,
) -> Result<ResolvedRepresentation<'a>, DashError> {
    let missing = || DashError::NoSuchRepresentation {
        period,
        adaptation_set,
        representation,
    };
    let p = mpd.periods.get(period).ok_or_else(missing)?;
    let a = p.adaptations.get(adaptation_set).ok_or_else(missing)?;
    let r = a.representations.get(representation).ok_or_else(missing)?;
    let id = r.id.clone().unwrap_or_default();

    let mut base = Url::parse(mpd_url).map_err(|e| DashError::InvalidUrl {
        url: mpd_url.to_owned(),
        reason: e.to_string(),
    })?;
    for level in [&mpd.base_url, &p.BaseURL, &a.BaseURL, &r.BaseURL] {
        if let Some(b) = level.first() {
            base = join(&base, b)?;
        }
    }

    let (period_start, period_duration) = period_timing(mpd, period)?;
    let dynamic = mpd.mpdtype.as_deref() == Some("dynamic");

    let template = merge_templates([
        p.SegmentTemplate.as_ref(),
        a.SegmentTemplate.as_ref(),
        r.SegmentTemplate.as_ref(),
    ]);
    let list = merge_lists([
        p.SegmentList.as_ref(),
        a.SegmentList.as_ref(),
        r.SegmentList.as_ref(),
    ]);
    let segment_base = merge_bases([
        p.SegmentBase.as_ref(),
        a.SegmentBase.as_ref(),
        r.SegmentBase.as_ref(),
    ]);

    // Common segment information, from whichever addressing is used.
    let (timescale_raw, pto, ato_secs, duration_attr, timeline, start_number, end_number, init_el) =
        if let Some(t) = &template {
            (
                t.timescale,
                t.presentationTimeOffset,
                t.availabilityTimeOffset,
                t.duration,
                [&r.SegmentTemplate, &a.SegmentTemplate, &p.SegmentTemplate]
                    .into_iter()
                    .flatten()
                    .find_map(|t| t.SegmentTimeline.as_ref()),
                t.startNumber,
                t.endNumber,
                t.Initialization.as_ref(),
            )
        } else if let Some(l) = &list {
            #[allow(clippy::cast_precision_loss)] // exactness checked below
            (
                l.timescale,
                None,
                None,
                l.duration.map(|d| d as f64),
                [&r.SegmentList, &a.SegmentList, &p.SegmentList]
                    .into_iter()
                    .flatten()
                    .find_map(|l| l.SegmentTimeline.as_ref()),
                None,
                None,
                l.Initialization.as_ref(),
            )
        } else {
            let b = segment_base.as_ref();
            (
                b.and_then(|b| b.timescale),
                b.and_then(|b| b.presentationTimeOffset),
                b.and_then(|b| b.availabilityTimeOffset),
                None,
                None,
                None,
                None,
                b.and_then(|b| b.Initialization.as_ref()),
            )
        };
    let timescale = timescale_of(timescale_raw)?;
    let ts = i128::from(timescale.hz());
    let pto = pto.unwrap_or(0);
    let start_number = start_number.unwrap_or(1);

    let period_start_ticks = duration_ticks(period_start, ts);
    let period_end = period_duration.map(|d| duration_ticks(d, ts) + i128::from(pto));

    let mut window = Window {
        period_end,
        ato: ato_scaled(ato_secs, ts)?,
        ..Window::default()
    };
    if dynamic {
        let now = now.ok_or(DashError::Dynamic {
            reason: "resolving a dynamic MPD needs `now`",
        })?;
        let ast = mpd.availabilityStartTime.ok_or(DashError::Dynamic {
            reason: "no @availabilityStartTime",
        })?;
        let ast_ns =
            i128::from(ast.timestamp()) * 1_000_000_000 + i128::from(ast.timestamp_subsec_nanos());
        let now_ns = i128::from(now.as_secs()) * 1_000_000_000 + i128::from(now.subsec_nanos());
        let rel_ns = now_ns
            - ast_ns
            - i128::from(period_start.as_secs()) * 1_000_000_000
            - i128::from(period_start.subsec_nanos());
        let now_scaled = rel_ns * ts + i128::from(pto) * SCALE;
        window.hi = Some(now_scaled);
        if let Some(tsbd) = mpd.timeShiftBufferDepth {
            let tsbd_ns =
                i128::from(tsbd.as_secs()) * 1_000_000_000 + i128::from(tsbd.subsec_nanos());
            window.lo = Some(now_scaled - tsbd_ns * ts);
        }
    }

    let initialization = match (&template, init_el) {
        (Some(t), _) if t.initialization.is_some() => {
            let text = t.initialization.as_deref().unwrap_or_default();
            let it = UrlTemplate::parse(text, &id, r.bandwidth)?;
            if it.is_per_segment() {
                return Err(DashError::MalformedTemplate {
                    template: text.to_owned(),
                    position: 0,
                    reason: "@initialization uses $Number$ or $Time$",
                });
            }
            Some(ResourceLocation {
                url: join_str(&base, &it.expand(0, 0))?,
                byte_range: None,
            })
        }
        (_, Some(i)) => Some(initialization_location(&base, i)?),
        _ => None,
    };

    let whole_duration = || -> Result<u64, DashError> {
        let d = period_duration.ok_or(DashError::Unbounded {
            reason: "a single-segment Representation without a Period duration",
        })?;
        u64::try_from(duration_ticks(d, ts)).map_err(|_| DashError::TimeOverflow {
            what: "Period duration",
        })
    };

    // `count`: a SegmentList's explicit number of segments, which the
    // Period end does not cut.
    let fixed = |d: f64, count: Option<u64>| -> Result<Walk<'a>, DashError> {
        let duration = integer_duration(d)?;
        let mut end = match (period_end, end_number) {
            _ if count.is_some() => count.unwrap_or_default(),
            (_, Some(e)) => e.saturating_sub(start_number).saturating_add(1),
            (Some(pe), None) => {
                let span = pe - i128::from(pto);
                u64::try_from(
                    (span + i128::from(duration) - 1)
                        .div_euclid(i128::from(duration))
                        .max(0),
                )
                .unwrap_or(u64::MAX)
            }
            (None, None) if dynamic => u64::MAX,
            (None, None) => {
                return Err(DashError::Unbounded {
                    reason: "a static $Number$ template without a Period duration",
                });
            }
        };
        if let (Some(pe), None) = (period_end, count) {
            let span = pe - i128::from(pto);
            let by_period = u64::try_from(
                (span + i128::from(duration) - 1)
                    .div_euclid(i128::from(duration))
                    .max(0),
            )
            .unwrap_or(u64::MAX);
            end = end.min(by_period);
        }
        let mut first = 0u64;
        let d_scaled = i128::from(duration) * SCALE;
        let pto_scaled = i128::from(pto) * SCALE;
        if let Some(lo) = window.lo {
            // First k whose end pto + (k + 1) d reaches lo.
            let k = (lo - pto_scaled + d_scaled - 1).div_euclid(d_scaled) - 1;
            first = u64::try_from(k.max(0)).unwrap_or(u64::MAX);
        }
        if let Some(hi) = window.hi {
            // Available: pto + (k + 1) d - ato <= hi.
            let k = (hi + window.ato - pto_scaled).div_euclid(d_scaled);
            end = end.min(u64::try_from(k.max(0)).unwrap_or(u64::MAX));
        }
        Ok(Walk::Fixed {
            duration,
            first,
            end,
        })
    };

    let (addresses, walk, index) = if let Some(t) = &template {
        let media = t.media.as_deref().ok_or(DashError::MissingAttribute {
            element: "SegmentTemplate",
            attribute: "media",
        })?;
        let media = UrlTemplate::parse(media, &id, r.bandwidth)?;
        let walk = match (timeline, t.duration) {
            (Some(tl), _) => timeline_walk(tl, &window, dynamic)?,
            (None, Some(d)) => fixed(d, None)?,
            (None, None) => {
                return Err(DashError::MissingAttribute {
                    element: "SegmentTemplate",
                    attribute: "duration",
                });
            }
        };
        (Addresses::Template(media), walk, None)
    } else if let Some(l) = &list {
        // SegmentList is in document order; its borrowed URLs live as long
        // as the MPD.
        let urls: &'a [SegmentURL] = list_urls(p, a, r);
        let walk = match (timeline, duration_attr) {
            (Some(tl), _) => timeline_walk(tl, &window, dynamic)?,
            (None, Some(d)) => fixed(d, Some(urls.len() as u64))?,
            (None, None) if l.segment_urls.len() == 1 => Walk::Once {
                duration: whole_duration()?,
            },
            (None, None) => {
                return Err(DashError::MissingAttribute {
                    element: "SegmentList",
                    attribute: "duration",
                });
            }
        };
        (Addresses::List(urls), walk, None)
    } else {
        let index = match segment_base.as_ref().and_then(|b| b.indexRange.as_deref()) {
            Some(range) => Some(ResourceLocation {
                url: base.to_string(),
                byte_range: Some(ByteRange::parse(range)?),
            }),
            None => None,
        };
        let whole = ResourceLocation {
            url: base.to_string(),
            byte_range: None,
        };
        (
            Addresses::Whole(whole),
            Walk::Once {
                duration: whole_duration()?,
            },
            index,
        )
    };

    Ok(ResolvedRepresentation {
        id,
        bandwidth: r.bandwidth,
        base_url: base.to_string(),
        timescale,
        period_start,
        period_duration,
        initialization,
        index,
        plan: Plan {
            base,
            addresses,
            walk,
            window,
            start_number,
            pto,
            period_start_ticks,
        },
    })
}

impl<'a> ResolvedRepresentation<'a> {
    /// The segments, in order, computed as the iterator is walked. An item
    /// is an error when the walk meets an inconsistency (a timeline going
    /// backwards, a time past 64 bits); the iterator ends after it.
    #[must_use]
    pub fn segments(&self) -> Segments<'_> {
        Segments {
            plan: &self.plan,
            timescale: self.timescale,
            state: WalkState::default(),
            done: false,
        }
    }
}

#[derive(Clone, Copy, Debug, Default)]
struct WalkState {
    /// Next `S` element to load.
    s_index: usize,
    /// Segments left in the current run.
    run_left: u64,
    /// Start (MPD time) of the next segment.
    t: i128,
    /// Duration of the current run.
    d: u64,
    /// Index (from 0) of the next segment.
    index: u64,
    started: bool,
}

/// The lazy iterator over a Representation's segments (see
/// [`ResolvedRepresentation::segments`]).
#[derive(Clone, Debug)]
pub struct Segments<'r> {
    plan: &'r Plan<'r>,
    timescale: Timescale,
    state: WalkState,
    done: bool,
}

impl Iterator for Segments<'_> {
    type Item = Result<MediaSegment, DashError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        match self.step() {
            Ok(Some(seg)) => Some(Ok(seg)),
            Ok(None) => {
                self.done = true;
                None
            }
            Err(e) => {
                self.done = true;
                Some(Err(e))
            }
        }
    }
}

impl Segments<'_> {
    fn step(&mut self) -> Result<Option<MediaSegment>, DashError> {
        let plan = self.plan;
        let w = plan.window;
        let (index, t, d) = match &plan.walk {
            Walk::Once { duration } => {
                if self.state.started {
                    return Ok(None);
                }
                self.state.started = true;
                (0, i128::from(plan.pto), *duration)
            }
            Walk::Fixed {
                duration,
                first,
                end,
            } => {
                if !self.state.started {
                    self.state.started = true;
                    self.state.index = *first;
                }
                let k = self.state.index;
                if k >= *end {
                    return Ok(None);
                }
                self.state.index = k + 1;
                (
                    k,
                    i128::from(plan.pto) + i128::from(k) * i128::from(*duration),
                    *duration,
                )
            }
            Walk::Timeline { s } => match self.timeline_step(s, &w)? {
                Some(x) => x,
                None => return Ok(None),
            },
        };
        if let Some(pe) = w.period_end
            && t >= pe
            && matches!(plan.addresses, Addresses::Template(_))
        {
            return Ok(None);
        }
        if let Some(hi) = w.hi
            && (t + i128::from(d)) * SCALE - w.ato > hi
        {
            return Ok(None);
        }
        let time = u64::try_from(t).map_err(|_| DashError::TimeOverflow {
            what: "segment time",
        })?;
        // A segment must end on the clock too: its end is where the next
        // one starts, and what players add up.
        time.checked_add(d).ok_or(DashError::TimeOverflow {
            what: "segment end",
        })?;
        let number = plan
            .start_number
            .checked_add(index)
            .ok_or(DashError::TimeOverflow {
                what: "segment number",
            })?;
        let start =
            i64::try_from(plan.period_start_ticks + t - i128::from(plan.pto)).map_err(|_| {
                DashError::TimeOverflow {
                    what: "segment presentation start",
                }
            })?;
        let (url, byte_range) = match &plan.addresses {
            Addresses::Template(m) => (join_str(&plan.base, &m.expand(number, time))?, None),
            Addresses::Whole(loc) => (loc.url.clone(), loc.byte_range),
            Addresses::List(urls) => {
                let Some(u) = usize::try_from(index).ok().and_then(|i| urls.get(i)) else {
                    return Ok(None);
                };
                let url = match &u.media {
                    Some(m) => join_str(&plan.base, m)?,
                    None => plan.base.to_string(),
                };
                let range = match &u.mediaRange {
                    Some(r) => Some(ByteRange::parse(r)?),
                    None => None,
                };
                (url, range)
            }
        };
        Ok(Some(MediaSegment {
            number,
            url,
            byte_range,
            time,
            duration: d,
            timescale: self.timescale,
            start: MediaTime::new(start, self.timescale),
        }))
    }

    fn timeline_step(
        &mut self,
        s: &[S],
        w: &Window,
    ) -> Result<Option<(u64, i128, u64)>, DashError> {
        let st = &mut self.state;
        while st.run_left == 0 {
            let Some(e) = s.get(st.s_index) else {
                return Ok(None);
            };
            let i = st.s_index;
            let t0 = match e.t {
                Some(t) => {
                    let t = i128::from(t);
                    if st.started && t < st.t {
                        return Err(DashError::InvalidTimeline {
                            index: i,
                            reason: "S@t before the end of the previous segment",
                        });
                    }
                    t
                }
                None => st.t,
            };
            st.started = true;
            if e.d == 0 {
                return Err(DashError::InvalidTimeline {
                    index: i,
                    reason: "S@d is zero",
                });
            }
            let d = i128::from(e.d);
            let count: u64 = match e.r {
                None | Some(0) => 1,
                Some(r) if r > 0 => u64::try_from(r).unwrap_or(0).saturating_add(1),
                Some(-1) => {
                    let end = s
                        .get(i + 1)
                        .and_then(|n| n.t)
                        .map(i128::from)
                        .or(w.period_end);
                    match end {
                        Some(end) => u64::try_from(((end - t0) + d - 1).div_euclid(d).max(0))
                            .unwrap_or(u64::MAX),
                        None if w.hi.is_some() => u64::MAX,
                        None => {
                            return Err(DashError::Unbounded {
                                reason: "S@r=-1 in the last S of a static Period without a duration",
                            });
                        }
                    }
                }
                Some(_) => {
                    return Err(DashError::InvalidTimeline {
                        index: i,
                        reason: "S@r below -1",
                    });
                }
            };
            let mut skip: u64 = 0;
            if let Some(lo) = w.lo {
                // Segments whose end t0 + (k + 1) d is before lo.
                let k = (lo - t0 * SCALE + d * SCALE - 1).div_euclid(d * SCALE) - 1;
                skip = u64::try_from(k.max(0)).unwrap_or(u64::MAX).min(count);
            }
            st.s_index = i + 1;
            st.d = e.d;
            st.t = i128::from(skip)
                .checked_mul(d)
                .and_then(|x| x.checked_add(t0))
                .ok_or(DashError::TimeOverflow {
                    what: "SegmentTimeline",
                })?;
            st.index = st.index.saturating_add(skip);
            st.run_left = count - skip;
        }
        let out = (st.index, st.t, st.d);
        st.run_left -= 1;
        st.index = st.index.saturating_add(1);
        st.t += i128::from(st.d);
        Ok(Some(out))
    }
}

fn join(base: &Url, b: &BaseURL) -> Result<Url, DashError> {
    let text = b.base.trim();
    base.join(text).map_err(|e| DashError::InvalidUrl {
        url: text.to_owned(),
        reason: e.to_string(),
    })
}

fn join_str(base: &Url, text: &str) -> Result<String, DashError> {
    base.join(text)
        .map(String::from)
        .map_err(|e| DashError::InvalidUrl {
            url: text.to_owned(),
            reason: e.to_string(),
        })
}

fn initialization_location(base: &Url, i: &Initialization) -> Result<ResourceLocation, DashError> {
    let url = match &i.sourceURL {
        Some(s) => join_str(base, s)?,
        None => base.to_string(),
    };
    let byte_range = match &i.range {
        Some(r) => Some(ByteRange::parse(r)?),
        None => None,
    };
    Ok(ResourceLocation { url, byte_range })
}

fn timescale_of(raw: Option<u64>) -> Result<Timescale, DashError> {
    let v = raw.unwrap_or(1);
    u32::try_from(v)
        .ok()
        .and_then(Timescale::new)
        .ok_or(DashError::InvalidValue {
            what: "@timescale",
            value: v.to_string(),
        })
}

fn integer_duration(d: f64) -> Result<u64, DashError> {
    #[allow(clippy::cast_precision_loss)]
    let limit = (1u64 << 53) as f64;
    if !d.is_finite() || d <= 0.0 || d.fract() != 0.0 || d > limit {
        return Err(DashError::InvalidValue {
            what: "@duration",
            value: d.to_string(),
        });
    }
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)] // checked above
    Ok(d as u64)
}

fn ato_scaled(ato: Option<f64>, ts: i128) -> Result<i128, DashError> {
    let Some(a) = ato else { return Ok(0) };
    if a.is_nan() || a < 0.0 {
        return Err(DashError::InvalidValue {
            what: "@availabilityTimeOffset",
            value: a.to_string(),
        });
    }
    // INF means "available at once"; cap at about 30 years.
    #[allow(clippy::cast_precision_loss)]
    let scaled = (a * ts as f64 * 1e9).min(1e18 * ts as f64);
    #[allow(clippy::cast_possible_truncation)] // bounded above
    Ok(scaled as i128)
}

fn duration_ticks(d: Duration, ts: i128) -> i128 {
    (i128::from(d.as_secs()) * 1_000_000_000 + i128::from(d.subsec_nanos())) * ts / 1_000_000_000
}

/// Period `index`'s start and duration.
fn period_timing(mpd: &MPD, index: usize) -> Result<(Duration, Option<Duration>), DashError> {
    let mut start = Duration::ZERO;
    let mut prev_end: Option<Duration> = Some(Duration::ZERO);
    let starts = |p: &Period, prev_end: Option<Duration>| -> Result<Duration, DashError> {
        p.start.or(prev_end).ok_or(DashError::InvalidValue {
            what: "Period@start",
            value: "absent after a Period without a duration".into(),
        })
    };
    for (i, p) in mpd.periods.iter().enumerate().take(index.saturating_add(1)) {
        start = starts(p, prev_end)?;
        prev_end = p.duration.and_then(|d| start.checked_add(d));
        if i == index {
            break;
        }
    }
    let p = mpd.periods.get(index);
    let duration = match p.and_then(|p| p.duration) {
        Some(d) => Some(d),
        None => match mpd
            .periods
            .get(index.saturating_add(1))
            .and_then(|n| n.start)
        {
            Some(next) => next.checked_sub(start),
            None if index + 1 >= mpd.periods.len() => mpd
                .mediaPresentationDuration
                .and_then(|total| total.checked_sub(start)),
            None => None,
        },
    };
    Ok((start, duration))
}

fn merge_templates(levels: [Option<&SegmentTemplate>; 3]) -> Option<SegmentTemplate> {
    let mut out: Option<SegmentTemplate> = None;
    for l in levels.into_iter().flatten() {
        let m = out.get_or_insert_with(SegmentTemplate::default);
        macro_rules! take {
            ($($f:ident),*) => { $( if l.$f.is_some() { m.$f = l.$f.clone(); } )* };
        }
        take!(
            media,
            index,
            initialization,
            startNumber,
            endNumber,
            duration,
            timescale,
            presentationTimeOffset,
            availabilityTimeOffset,
            availabilityTimeComplete,
            Initialization
        );
    }
    out
}

fn merge_lists(levels: [Option<&SegmentList>; 3]) -> Option<SegmentList> {
    let mut out: Option<SegmentList> = None;
    for l in levels.into_iter().flatten() {
        let m = out.get_or_insert_with(SegmentList::default);
        macro_rules! take {
            ($($f:ident),*) => { $( if l.$f.is_some() { m.$f = l.$f.clone(); } )* };
        }
        take!(duration, timescale, Initialization);
        if !l.segment_urls.is_empty() {
            // Counted only; the URLs are borrowed from the MPD in
            // `list_urls`.
            m.segment_urls.clear();
            m.segment_urls.push(SegmentURL::default());
        }
    }
    out
}

fn list_urls<'a>(
    p: &'a Period,
    a: &'a dash_mpd_core::AdaptationSet,
    r: &'a dash_mpd_core::Representation,
) -> &'a [SegmentURL] {
    [&r.SegmentList, &a.SegmentList, &p.SegmentList]
        .into_iter()
        .flatten()
        .map(|l| l.segment_urls.as_slice())
        .find(|u| !u.is_empty())
        .unwrap_or(&[])
}

fn merge_bases(levels: [Option<&SegmentBase>; 3]) -> Option<SegmentBase> {
    let mut out: Option<SegmentBase> = None;
    for l in levels.into_iter().flatten() {
        let m = out.get_or_insert_with(SegmentBase::default);
        macro_rules! take {
            ($($f:ident),*) => { $( if l.$f.is_some() { m.$f = l.$f.clone(); } )* };
        }
        take!(
            timescale,
            presentationTimeOffset,
            indexRange,
            availabilityTimeOffset,
            Initialization
        );
    }
    out
}

fn timeline_walk<'a>(
    tl: &'a SegmentTimeline,
    _w: &Window,
    _dynamic: bool,
) -> Result<Walk<'a>, DashError> {
    if tl.segments.is_empty() {
        return Err(DashError::InvalidTimeline {
            index: 0,
            reason: "SegmentTimeline without S",
        });
    }
    Ok(Walk::Timeline { s: &tl.segments })
}
