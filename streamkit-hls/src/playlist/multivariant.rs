//! Multivariant (master) playlists: variant streams with CODECS, BANDWIDTH,
//! AVERAGE-BANDWIDTH, RESOLUTION and FRAME-RATE, I-frame streams, and
//! EXT-X-MEDIA renditions (alternative audio, video, subtitles).
//!
//! BANDWIDTH and AVERAGE-BANDWIDTH come from the segments themselves:
//! [`BitRates::measure`] applies the definitions of RFC 8216 section 4.3.4.2
//! to a list of segment sizes and durations.
//!
//! ```
//! use std::time::Duration;
//! use streamkit_hls::playlist::{BitRates, MultivariantPlaylist, Resolution, VariantStream};
//!
//! let video = BitRates::measure([(250_000, Duration::from_secs(2)), (150_000, Duration::from_secs(2))], 2);
//! let audio = BitRates::measure([(32_000, Duration::from_secs(2)), (32_000, Duration::from_secs(2))], 2);
//! let both = video + audio;
//! let mut variant = VariantStream::new("video/720p.m3u8", both.peak);
//! variant.average_bandwidth = Some(both.average);
//! variant.codecs = vec!["avc1.64001f".into(), "mp4a.40.2".into()];
//! variant.resolution = Some(Resolution { width: 1280, height: 720 });
//! let playlist = MultivariantPlaylist { variants: vec![variant], ..Default::default() };
//! assert_eq!(
//!     playlist.to_m3u8().unwrap(),
//!     "#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1128000,AVERAGE-BANDWIDTH=928000,\
//!      CODECS=\"avc1.64001f,mp4a.40.2\",RESOLUTION=1280x720\nvideo/720p.m3u8\n"
//! );
//! ```

use std::time::Duration;

use bytes::Bytes;

use super::attribute::{AttributeList, AttributeValue};
use super::error::{ParseError, WriteError};
use super::tags::{MEDIA_PLAYLIST_TAGS, MULTIVARIANT_TYPED_TAGS, Reader, Tag, Writer, tag_in};
use super::value::{FrameRate, Resolution};
use super::warning::{Deviation, Warnings, WriteAdjustment};
use super::{
    Line, Lines, ParseWarning, attribute_problem, check_uri, reader, write_version, written_version,
};

/// The peak and average segment bit rates of a rendition, in bits per
/// second, as RFC 8216 section 4.3.4.2 defines them for BANDWIDTH and
/// AVERAGE-BANDWIDTH.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct BitRates {
    /// The largest bit rate of any run of consecutive segments lasting
    /// between 0.5 and 1.5 times the target duration (every single segment
    /// when no run qualifies), rounded up.
    pub peak: u64,
    /// All segment bits over the total duration, rounded up.
    pub average: u64,
}

impl BitRates {
    /// Measures `(size in bytes, duration)` segments against
    /// `target_duration` seconds. Each run is grown from its first segment
    /// until it lasts more than 1.5 target durations, so the cost is the
    /// number of segments times the segments per window (zero-length
    /// segments, which no real media has, make windows unbounded).
    #[must_use]
    pub fn measure(
        segments: impl IntoIterator<Item = (u64, Duration)>,
        target_duration: u64,
    ) -> BitRates {
        let segments: Vec<(u128, u128)> = segments
            .into_iter()
            .map(|(bytes, d)| (u128::from(bytes) * 8, d.as_nanos()))
            .collect();
        let rate = |bits: u128, nanos: u128| -> u64 {
            if nanos == 0 {
                return 0;
            }
            u64::try_from((bits * 1_000_000_000).div_ceil(nanos)).unwrap_or(u64::MAX)
        };
        let total_bits: u128 = segments.iter().map(|s| s.0).sum();
        let total_nanos: u128 = segments.iter().map(|s| s.1).sum();
        let target = u128::from(target_duration) * 1_000_000_000;
        let (low, high) = (target / 2, target * 3 / 2);
        let mut peak = 0;
        let mut found_run = false;
        for start in 0..segments.len() {
            let (mut bits, mut nanos) = (0u128, 0u128);
            for &(b, n) in segments.iter().skip(start) {
                bits += b;
                nanos += n;
                if nanos > high {
                    break;
                }
                if nanos >= low {
                    found_run = true;
                    peak = peak.max(rate(bits, nanos));
                }
            }
        }
        if !found_run {
            peak = segments.iter().map(|&(b, n)| rate(b, n)).max().unwrap_or(0);
        }
        BitRates {
            peak,
            average: rate(total_bits, total_nanos),
        }
    }
}

impl std::ops::Add for BitRates {
    type Output = BitRates;

    /// The bit rates of renditions played together (video plus its audio):
    /// the sums, as BANDWIDTH and AVERAGE-BANDWIDTH of a variant want.
    fn add(self, other: BitRates) -> BitRates {
        BitRates {
            peak: self.peak.saturating_add(other.peak),
            average: self.average.saturating_add(other.average),
        }
    }
}

/// CLOSED-CAPTIONS of a variant stream.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ClosedCaptions {
    /// The GROUP-ID of its closed-caption renditions.
    Group(String),
    /// `NONE`: the stream has no closed captions.
    None,
}

/// EXT-X-STREAM-INF and its URI: one variant stream.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct VariantStream {
    /// URI of its media playlist.
    pub uri: String,
    /// BANDWIDTH: peak bit rate (see [`BitRates`]).
    pub bandwidth: u64,
    /// AVERAGE-BANDWIDTH.
    pub average_bandwidth: Option<u64>,
    /// CODECS: RFC 6381 codec strings (`avc1.64001f`, `mp4a.40.2`); empty
    /// writes none.
    pub codecs: Vec<String>,
    /// RESOLUTION.
    pub resolution: Option<Resolution>,
    /// FRAME-RATE, written with three decimals.
    pub frame_rate: Option<FrameRate>,
    /// HDCP-LEVEL (`TYPE-0`, `NONE`).
    pub hdcp_level: Option<String>,
    /// AUDIO: GROUP-ID of its audio renditions.
    pub audio: Option<String>,
    /// VIDEO: GROUP-ID of its video renditions.
    pub video: Option<String>,
    /// SUBTITLES: GROUP-ID of its subtitle renditions.
    pub subtitles: Option<String>,
    /// CLOSED-CAPTIONS.
    pub closed_captions: Option<ClosedCaptions>,
    /// Attributes this crate does not type (VIDEO-RANGE, SCORE, ...).
    pub other_attributes: AttributeList,
}

impl VariantStream {
    /// A variant at `uri` with a peak bit rate of `bandwidth`.
    #[must_use]
    pub fn new(uri: impl Into<String>, bandwidth: u64) -> VariantStream {
        VariantStream {
            uri: uri.into(),
            bandwidth,
            average_bandwidth: None,
            codecs: Vec::new(),
            resolution: None,
            frame_rate: None,
            hdcp_level: None,
            audio: None,
            video: None,
            subtitles: None,
            closed_captions: None,
            other_attributes: AttributeList::new(),
        }
    }
}

/// EXT-X-I-FRAME-STREAM-INF: an I-frame-only playlist of a variant.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct IFrameStream {
    /// URI of the I-frame playlist.
    pub uri: String,
    /// BANDWIDTH.
    pub bandwidth: u64,
    /// AVERAGE-BANDWIDTH.
    pub average_bandwidth: Option<u64>,
    /// CODECS.
    pub codecs: Vec<String>,
    /// RESOLUTION.
    pub resolution: Option<Resolution>,
    /// HDCP-LEVEL.
    pub hdcp_level: Option<String>,
    /// VIDEO: GROUP-ID of video renditions.
    pub video: Option<String>,
    /// Attributes this crate does not type.
    pub other_attributes: AttributeList,
}

/// TYPE of an EXT-X-MEDIA rendition.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MediaType {
    /// `AUDIO`.
    Audio,
    /// `VIDEO`.
    Video,
    /// `SUBTITLES`.
    Subtitles,
    /// `CLOSED-CAPTIONS`.
    ClosedCaptions,
}

impl MediaType {
    fn as_str(self) -> &'static str {
        match self {
            MediaType::Audio => "AUDIO",
            MediaType::Video => "VIDEO",
            MediaType::Subtitles => "SUBTITLES",
            MediaType::ClosedCaptions => "CLOSED-CAPTIONS",
        }
    }
}

/// EXT-X-MEDIA: one rendition in a group (an audio language, a camera
/// angle, a subtitle track).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Rendition {
    /// TYPE.
    pub media_type: MediaType,
    /// GROUP-ID.
    pub group_id: String,
    /// NAME, unique in its group.
    pub name: String,
    /// DEFAULT=YES: play this one unless the user chooses otherwise.
    pub default: bool,
    /// AUTOSELECT=YES: the client may choose it by the user's preferences.
    pub autoselect: bool,
    /// FORCED=YES (subtitles only).
    pub forced: bool,
    /// LANGUAGE (RFC 5646 tag).
    pub language: Option<String>,
    /// ASSOC-LANGUAGE.
    pub assoc_language: Option<String>,
    /// INSTREAM-ID (closed captions: `CC1`, `SERVICE3`).
    pub instream_id: Option<String>,
    /// CHARACTERISTICS.
    pub characteristics: Option<String>,
    /// CHANNELS (`2`, `6`).
    pub channels: Option<String>,
    /// URI of its media playlist (absent when the variant carries it).
    pub uri: Option<String>,
    /// Attributes this crate does not type.
    pub other_attributes: AttributeList,
}

impl Rendition {
    /// An audio rendition named `name` in `group_id`.
    #[must_use]
    pub fn audio(group_id: impl Into<String>, name: impl Into<String>) -> Rendition {
        Rendition {
            media_type: MediaType::Audio,
            group_id: group_id.into(),
            name: name.into(),
            default: false,
            autoselect: false,
            forced: false,
            language: None,
            assoc_language: None,
            instream_id: None,
            characteristics: None,
            channels: None,
            uri: None,
            other_attributes: AttributeList::new(),
        }
    }
}

/// A multivariant playlist.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MultivariantPlaylist {
    /// EXT-X-VERSION as declared; the writer writes at least
    /// [`MultivariantPlaylist::required_version`].
    pub version: Option<u64>,
    /// EXT-X-INDEPENDENT-SEGMENTS.
    pub independent_segments: bool,
    /// EXT-X-MEDIA renditions, in order.
    pub renditions: Vec<Rendition>,
    /// Variant streams, in order.
    pub variants: Vec<VariantStream>,
    /// I-frame streams, in order.
    pub i_frame_streams: Vec<IFrameStream>,
    /// Other tags (EXT-X-SESSION-DATA, EXT-X-SESSION-KEY, EXT-X-START,
    /// EXT-X-DEFINE, EXT-X-CONTENT-STEERING, unknown ones), in order.
    pub other_tags: Vec<Tag>,
}

fn write_codecs(w: &mut Writer<'_>, codecs: &[String]) -> Result<(), WriteError> {
    if codecs.is_empty() {
        return Ok(());
    }
    if codecs.iter().any(|c| c.contains(',')) {
        return Err(WriteError::InvalidText {
            what: "CODECS",
            reason: "a codec string contains ','",
        });
    }
    w.quoted("CODECS", &codecs.join(","))
}

impl MultivariantPlaylist {
    /// Reads a multivariant playlist.
    ///
    /// # Errors
    /// See [`ParseError`].
    pub fn parse(input: &[u8]) -> Result<MultivariantPlaylist, ParseError> {
        MultivariantPlaylist::parse_with_warnings(input).map(|(playlist, _)| playlist)
    }

    /// [`MultivariantPlaylist::parse`], with the deviations from RFC 8216
    /// it accepted, in the order of their lines.
    ///
    /// # Errors
    /// See [`MultivariantPlaylist::parse`].
    pub fn parse_with_warnings(
        input: &[u8],
    ) -> Result<(MultivariantPlaylist, Vec<ParseWarning>), ParseError> {
        let mut warnings = Warnings::new();
        let playlist = parse(Lines::new(input)?, &mut warnings)?;
        Ok((playlist, warnings.into_sorted()))
    }

    /// What the writer will write differently from the declared `version`:
    /// it is kept when it is at least
    /// [`MultivariantPlaylist::required_version`], and raised, and listed
    /// here, when it is not. `None` asks the writer to derive it.
    #[must_use]
    pub fn write_adjustments(&self) -> Vec<WriteAdjustment> {
        match self.version {
            Some(declared) => {
                let written = written_version(Some(declared), self.required_version());
                if written == declared {
                    Vec::new()
                } else {
                    vec![WriteAdjustment::VersionRaised { declared, written }]
                }
            }
            None => Vec::new(),
        }
    }

    /// The lowest EXT-X-VERSION the features used need: 7 for `SERVICE`
    /// values of INSTREAM-ID, 8 for EXT-X-DEFINE, 1 otherwise.
    #[must_use]
    pub fn required_version(&self) -> u64 {
        let mut v = 1;
        if self.renditions.iter().any(|r| {
            r.instream_id
                .as_deref()
                .is_some_and(|id| id.starts_with("SERVICE"))
        }) {
            v = 7;
        }
        if self.other_tags.iter().any(|t| t.name == "EXT-X-DEFINE") {
            v = 8;
        }
        v
    }

    /// Writes the playlist into `out` (appending): header, version,
    /// independent segments, other tags, renditions, variants, I-frame
    /// streams.
    ///
    /// # Errors
    /// [`WriteError`] when some text would not read back as itself.
    pub fn write_to(&self, out: &mut String) -> Result<(), WriteError> {
        out.push_str("#EXTM3U\n");
        write_version(out, self.version, self.required_version());
        if self.independent_segments {
            out.push_str("#EXT-X-INDEPENDENT-SEGMENTS\n");
        }
        for tag in &self.other_tags {
            if MULTIVARIANT_TYPED_TAGS.contains(&tag.name.as_str())
                || MEDIA_PLAYLIST_TAGS.contains(&tag.name.as_str())
            {
                return Err(WriteError::InvalidText {
                    what: "multivariant playlist tag",
                    reason: "a typed or media playlist tag in other_tags",
                });
            }
            tag.write(out)?;
        }
        for r in &self.renditions {
            out.push_str("#EXT-X-MEDIA:");
            let mut w = Writer::new(out, "EXT-X-MEDIA");
            w.enumerated("TYPE", r.media_type.as_str())?;
            w.quoted("GROUP-ID", &r.group_id)?;
            w.quoted("NAME", &r.name)?;
            w.enumerated("DEFAULT", if r.default { "YES" } else { "NO" })?;
            w.enumerated("AUTOSELECT", if r.autoselect { "YES" } else { "NO" })?;
            if r.forced {
                w.enumerated("FORCED", "YES")?;
            }
            if let Some(s) = &r.language {
                w.quoted("LANGUAGE", s)?;
            }
            if let Some(s) = &r.assoc_language {
                w.quoted("ASSOC-LANGUAGE", s)?;
            }
            if let Some(s) = &r.instream_id {
                w.quoted("INSTREAM-ID", s)?;
            }
            if let Some(s) = &r.characteristics {
                w.quoted("CHARACTERISTICS", s)?;
            }
            if let Some(s) = &r.channels {
                w.quoted("CHANNELS", s)?;
            }
            if let Some(s) = &r.uri {
                w.quoted("URI", s)?;
            }
            w.others(&r.other_attributes)?;
            out.push('\n');
        }
        for v in &self.variants {
            out.push_str("#EXT-X-STREAM-INF:");
            let mut w = Writer::new(out, "EXT-X-STREAM-INF");
            w.integer("BANDWIDTH", v.bandwidth);
            if let Some(n) = v.average_bandwidth {
                w.integer("AVERAGE-BANDWIDTH", n);
            }
            write_codecs(&mut w, &v.codecs)?;
            if let Some(r) = v.resolution {
                w.raw("RESOLUTION", format_args!("{r}"));
            }
            if let Some(f) = v.frame_rate {
                w.raw("FRAME-RATE", format_args!("{f}"));
            }
            if let Some(s) = &v.hdcp_level {
                w.enumerated("HDCP-LEVEL", s)?;
            }
            if let Some(s) = &v.audio {
                w.quoted("AUDIO", s)?;
            }
            if let Some(s) = &v.video {
                w.quoted("VIDEO", s)?;
            }
            if let Some(s) = &v.subtitles {
                w.quoted("SUBTITLES", s)?;
            }
            match &v.closed_captions {
                Some(ClosedCaptions::Group(s)) => w.quoted("CLOSED-CAPTIONS", s)?,
                Some(ClosedCaptions::None) => w.enumerated("CLOSED-CAPTIONS", "NONE")?,
                None => {}
            }
            w.others(&v.other_attributes)?;
            out.push('\n');
            check_uri(&v.uri, "variant stream URI")?;
            out.push_str(&v.uri);
            out.push('\n');
        }
        for s in &self.i_frame_streams {
            out.push_str("#EXT-X-I-FRAME-STREAM-INF:");
            let mut w = Writer::new(out, "EXT-X-I-FRAME-STREAM-INF");
            w.integer("BANDWIDTH", s.bandwidth);
            if let Some(n) = s.average_bandwidth {
                w.integer("AVERAGE-BANDWIDTH", n);
            }
            write_codecs(&mut w, &s.codecs)?;
            if let Some(r) = s.resolution {
                w.raw("RESOLUTION", format_args!("{r}"));
            }
            if let Some(h) = &s.hdcp_level {
                w.enumerated("HDCP-LEVEL", h)?;
            }
            if let Some(g) = &s.video {
                w.quoted("VIDEO", g)?;
            }
            w.quoted("URI", &s.uri)?;
            w.others(&s.other_attributes)?;
            out.push('\n');
        }
        Ok(())
    }

    /// The playlist as text.
    ///
    /// # Errors
    /// See [`MultivariantPlaylist::write_to`].
    pub fn to_m3u8(&self) -> Result<String, WriteError> {
        let mut out = String::with_capacity(256 + self.variants.len() * 160);
        self.write_to(&mut out)?;
        Ok(out)
    }

    /// The playlist as bytes, for an HTTP body.
    ///
    /// # Errors
    /// See [`MultivariantPlaylist::write_to`].
    pub fn to_bytes(&self) -> Result<Bytes, WriteError> {
        self.to_m3u8().map(Bytes::from)
    }
}

fn read_codecs(r: &mut Reader<'_>) -> Result<Vec<String>, super::tags::AttributeProblem> {
    Ok(r.quoted("CODECS")?
        .map(|s| s.split(',').map(|c| c.trim().to_owned()).collect())
        .unwrap_or_default())
}

fn read_resolution(
    r: &mut Reader<'_>,
) -> Result<Option<Resolution>, super::tags::AttributeProblem> {
    match r.list.take("RESOLUTION") {
        None => Ok(None),
        Some(AttributeValue::Resolution(res)) => Ok(Some(res)),
        // Lenient: `RESOLUTION="1x1"` means the same.
        Some(AttributeValue::QuotedString(s)) if Resolution::parse(&s).is_some() => {
            r.quoted_value("RESOLUTION");
            Ok(Resolution::parse(&s))
        }
        Some(_) => Err(super::tags::AttributeProblem {
            attribute: "RESOLUTION",
            reason: "not <width>x<height>",
        }),
    }
}

fn bandwidth(r: &mut Reader<'_>) -> Result<u64, super::tags::AttributeProblem> {
    r.integer("BANDWIDTH")?
        .ok_or(super::tags::AttributeProblem {
            attribute: "BANDWIDTH",
            reason: "missing",
        })
}

/// Reads the lines of a multivariant playlist.
pub(crate) fn parse(
    lines: Lines<'_>,
    warnings: &mut Warnings,
) -> Result<MultivariantPlaylist, ParseError> {
    let mut playlist = MultivariantPlaylist::default();
    let mut pending: Option<(usize, VariantStream)> = None;
    let mut version_line = None;
    // The URI attribute of the tag on the line just read, when that tag
    // is EXT-X-MEDIA or EXT-X-I-FRAME-STREAM-INF: some packagers repeat it
    // on a URI line of its own.
    let mut uri_of_last_tag: Option<(&'static str, String)> = None;
    for (line, item) in lines.into_iter() {
        let (name, value) = match item {
            Line::Uri(uri) => {
                let repeated = uri_of_last_tag.take();
                let Some((_, mut variant)) = pending.take() else {
                    if let Some((tag, _)) = repeated.filter(|(_, u)| u == uri) {
                        warnings.push(line, Deviation::RepeatedUri { tag });
                        continue;
                    }
                    return Err(ParseError::UnexpectedUri {
                        line,
                        expected: "EXT-X-STREAM-INF",
                    });
                };
                uri.clone_into(&mut variant.uri);
                playlist.variants.push(variant);
                continue;
            }
            Line::Tag(name, value) => (name, value),
        };
        uri_of_last_tag = None;
        match name {
            "EXT-X-VERSION" => {
                playlist.version = Some(
                    value
                        .map(str::trim)
                        .and_then(super::value::parse_decimal_integer)
                        .ok_or(ParseError::InvalidTag {
                            line,
                            tag: "EXT-X-VERSION",
                            reason: "not a decimal-integer",
                        })?,
                );
                version_line = Some(line);
            }
            "EXT-X-INDEPENDENT-SEGMENTS" => playlist.independent_segments = true,
            "EXT-X-STREAM-INF" => {
                let tag = "EXT-X-STREAM-INF";
                if let Some((first, _)) = pending {
                    return Err(ParseError::MissingUri { line: first, tag });
                }
                let mut r = reader(value, line, tag, warnings)?;
                let mut read = || -> Result<VariantStream, super::tags::AttributeProblem> {
                    let bandwidth = bandwidth(&mut r)?;
                    let average_bandwidth = r.integer("AVERAGE-BANDWIDTH")?;
                    let codecs = read_codecs(&mut r)?;
                    let resolution = read_resolution(&mut r)?;
                    let frame_rate = match r.list.take("FRAME-RATE") {
                        None => None,
                        Some(v) => {
                            let text = match v {
                                // Lenient: a quoted number means the same.
                                AttributeValue::QuotedString(s)
                                    if FrameRate::parse(&s).is_some() =>
                                {
                                    r.quoted_value("FRAME-RATE");
                                    Some(s)
                                }
                                v => v.number_text(),
                            };
                            Some(text.as_deref().and_then(FrameRate::parse).ok_or(
                                super::tags::AttributeProblem {
                                    attribute: "FRAME-RATE",
                                    reason: "not a decimal-floating-point",
                                },
                            )?)
                        }
                    };
                    let hdcp_level = r.enumerated("HDCP-LEVEL")?;
                    let audio = r.quoted("AUDIO")?;
                    let video = r.quoted("VIDEO")?;
                    let subtitles = r.quoted("SUBTITLES")?;
                    let closed_captions = match r.list.take("CLOSED-CAPTIONS") {
                        None => None,
                        Some(AttributeValue::QuotedString(s)) => Some(ClosedCaptions::Group(s)),
                        Some(AttributeValue::Enumerated(s)) if s == "NONE" => {
                            Some(ClosedCaptions::None)
                        }
                        Some(_) => {
                            return Err(super::tags::AttributeProblem {
                                attribute: "CLOSED-CAPTIONS",
                                reason: "neither a quoted GROUP-ID nor NONE",
                            });
                        }
                    };
                    Ok(VariantStream {
                        uri: String::new(),
                        bandwidth,
                        average_bandwidth,
                        codecs,
                        resolution,
                        frame_rate,
                        hdcp_level,
                        audio,
                        video,
                        subtitles,
                        closed_captions,
                        other_attributes: std::mem::take(&mut r.list),
                    })
                };
                let variant = read().map_err(attribute_problem(line, tag))?;
                pending = Some((line, variant));
            }
            "EXT-X-I-FRAME-STREAM-INF" => {
                let tag = "EXT-X-I-FRAME-STREAM-INF";
                let mut r = reader(value, line, tag, warnings)?;
                let mut read = || -> Result<IFrameStream, super::tags::AttributeProblem> {
                    Ok(IFrameStream {
                        bandwidth: bandwidth(&mut r)?,
                        average_bandwidth: r.integer("AVERAGE-BANDWIDTH")?,
                        codecs: read_codecs(&mut r)?,
                        resolution: read_resolution(&mut r)?,
                        hdcp_level: r.enumerated("HDCP-LEVEL")?,
                        video: r.quoted("VIDEO")?,
                        uri: r.required_quoted("URI")?,
                        other_attributes: std::mem::take(&mut r.list),
                    })
                };
                let stream = read().map_err(attribute_problem(line, tag))?;
                uri_of_last_tag = Some((tag, stream.uri.clone()));
                playlist.i_frame_streams.push(stream);
            }
            "EXT-X-MEDIA" => {
                let tag = "EXT-X-MEDIA";
                let mut r = reader(value, line, tag, warnings)?;
                let mut read = || -> Result<Rendition, super::tags::AttributeProblem> {
                    let media_type = match r.enumerated("TYPE")?.as_deref() {
                        Some("AUDIO") => MediaType::Audio,
                        Some("VIDEO") => MediaType::Video,
                        Some("SUBTITLES") => MediaType::Subtitles,
                        Some("CLOSED-CAPTIONS") => MediaType::ClosedCaptions,
                        _ => {
                            return Err(super::tags::AttributeProblem {
                                attribute: "TYPE",
                                reason: "missing or not AUDIO, VIDEO, SUBTITLES, CLOSED-CAPTIONS",
                            });
                        }
                    };
                    Ok(Rendition {
                        media_type,
                        group_id: r.required_quoted("GROUP-ID")?,
                        name: r.required_quoted("NAME")?,
                        default: r.yes_no("DEFAULT")?,
                        autoselect: r.yes_no("AUTOSELECT")?,
                        forced: r.yes_no("FORCED")?,
                        language: r.quoted("LANGUAGE")?,
                        assoc_language: r.quoted("ASSOC-LANGUAGE")?,
                        instream_id: r.quoted("INSTREAM-ID")?,
                        characteristics: r.quoted("CHARACTERISTICS")?,
                        channels: r.quoted("CHANNELS")?,
                        uri: r.quoted("URI")?,
                        other_attributes: std::mem::take(&mut r.list),
                    })
                };
                let rendition = read().map_err(attribute_problem(line, tag))?;
                uri_of_last_tag = rendition.uri.clone().map(|uri| (tag, uri));
                playlist.renditions.push(rendition);
            }
            other if MEDIA_PLAYLIST_TAGS.contains(&other) => {
                return Err(ParseError::MixedPlaylist {
                    line,
                    tag: tag_in(MEDIA_PLAYLIST_TAGS, other).unwrap_or("EXTINF"),
                    playlist: "multivariant",
                });
            }
            other => {
                playlist
                    .other_tags
                    .push(Tag::new(other, value.map(|v| v.trim().to_owned())));
            }
        }
    }
    if let Some((line, _)) = pending {
        return Err(ParseError::MissingUri {
            line,
            tag: "EXT-X-STREAM-INF",
        });
    }
    if let (Some(line), Some(declared)) = (version_line, playlist.version) {
        let required = playlist.required_version();
        if declared < required {
            warnings.push(line, Deviation::VersionBelowFeatures { declared, required });
        }
    }
    Ok(playlist)
}
