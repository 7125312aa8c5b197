//! Conversions between the playlist model of the [`m3u8-rs`] crate and
//! ours (feature `m3u8-rs`), so that a program built on m3u8-rs can hand
//! its playlists to our packager and origin, and take ours back.
//!
//! - m3u8-rs to ours: [`TryFrom`] for [`MediaPlaylist`],
//!   [`MultivariantPlaylist`] and [`Playlist`]. The m3u8-rs playlist is
//!   rendered as text (with m3u8-rs's own writer, plus the tags that
//!   writer leaves out, see below) and read by our reader, so the result
//!   is what our reader makes of that playlist: its tags typed (the
//!   low-latency tags in m3u8-rs's `unknown_tags` included), its values
//!   checked. A value HLS cannot carry (a negative or NaN EXTINF, a line
//!   break in a URI) is a [`ConversionError::Parse`].
//! - ours to m3u8-rs: [`to_m3u8_rs_media`], [`to_m3u8_rs_multivariant`]
//!   and [`to_m3u8_rs`], which return the m3u8-rs playlist and an
//!   [`M3u8RsNote`] for everything m3u8-rs has no typed place for.
//!
//! # What m3u8-rs cannot represent, and where it goes
//!
//! Nothing our model holds is dropped; what m3u8-rs does not type travels
//! as an m3u8-rs `ExtTag` (tag name and text, as our writer writes it), in
//! its place, and the conversion back reads it as the typed value again:
//!
//! - the low-latency tags (EXT-X-SERVER-CONTROL, EXT-X-PART-INF,
//!   EXT-X-PART, EXT-X-PRELOAD-HINT, EXT-X-RENDITION-REPORT, EXT-X-SKIP),
//!   EXT-X-GAP and EXT-X-BITRATE (m3u8-rs has no type for them);
//! - EXT-X-KEY when a segment has several, or one with attributes m3u8-rs
//!   has no field for; else it is m3u8-rs's typed `key`;
//! - our untyped tags (EXT-X-DATERANGE, EXT-X-START, EXT-X-DEFINE,
//!   EXT-X-SESSION-DATA, EXT-X-SESSION-KEY, vendor tags), which keep their
//!   order with the other tags that way;
//! - the tags of the playlist header that m3u8-rs has no field for go to
//!   the first segment's `unknown_tags` (where m3u8-rs's own parser puts
//!   them), or to the playlist's `unknown_tags` when there is no segment;
//! - what follows the last segment (the segment in progress at a
//!   low-latency live edge, with its parts; EXT-X-PRELOAD-HINT;
//!   EXT-X-RENDITION-REPORT) has no place in m3u8-rs's model: it goes to
//!   the playlist's `unknown_tags`, which m3u8-rs's parser never fills and
//!   its writer never writes. The conversions use that field, in both
//!   directions, for the tags after the last segment. A playlist written
//!   by m3u8-rs's writer therefore lacks them: write with ours
//!   ([`MediaPlaylist::to_m3u8`]).
//!
//! m3u8-rs's writer writes EXT-X-PROGRAM-DATE-TIME to the millisecond:
//! the conversion back, which reads what that writer writes, keeps
//! milliseconds (the m3u8-rs model itself holds what we give it, to the
//! nanosecond). m3u8-rs holds an EXTINF duration as an `f32`: a duration with more
//! significant digits than an `f32` keeps (such as `1234.56789`) is
//! rounded, and reported ([`M3u8RsNote::DurationRounded`]). Unknown
//! attributes sit in a `HashMap` there, so their order is not kept (the
//! conversion back sorts them by name), and a name our model holds twice
//! in one list (RFC 8216 forbids it) is refused
//! ([`ConversionError::Unrepresentable`]) rather than half kept. The EXT-X-VERSION and
//! EXT-X-TARGETDURATION given to m3u8-rs are the ones our writer writes
//! ([`MediaPlaylist::written_target_duration`]), since m3u8-rs derives
//! neither.
//!
//! ```
//! use std::time::Duration;
//! use streamkit_hls::m3u8_rs::{M3u8RsNote, to_m3u8_rs_media};
//! use streamkit_hls::playlist::{MediaPlaylist, MediaSegment, Part, PartInf, PreloadHint};
//!
//! let mut ours = MediaPlaylist {
//!     version: Some(3),
//!     target_duration: 4,
//!     part_inf: Some(PartInf::new(Duration::from_secs(1))),
//!     ..Default::default()
//! };
//! let mut segment = MediaSegment::new(Duration::from_secs(4), "s0.mp4");
//! segment.parts.push(Part::new(Duration::from_secs(1), "s0.0.mp4"));
//! ours.segments.push(segment);
//! ours.preload_hints.push(PreloadHint::part("s1.0.mp4"));
//!
//! let (theirs, notes) = to_m3u8_rs_media(&ours)?;
//! assert_eq!(theirs.segments[0].uri, "s0.mp4");
//! assert_eq!(theirs.segments[0].unknown_tags[0].tag, "X-PART-INF");
//! assert_eq!(theirs.unknown_tags[0].tag, "X-PRELOAD-HINT");
//! assert!(notes.contains(&M3u8RsNote::AfterLastSegment { tag: "EXT-X-PRELOAD-HINT".into() }));
//!
//! // And back: the same playlist (EXT-X-VERSION and TARGETDURATION are
//! // declared, as what our writer derives is what m3u8-rs is given).
//! assert_eq!(MediaPlaylist::try_from(&theirs)?, ours);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! [`m3u8-rs`]: ::m3u8_rs

use std::collections::HashMap;
use std::time::Duration;

use ::m3u8_rs as m;

use crate::playlist::{
    AttributeList, AttributeValue, ClosedCaptions, IFrameStream, Key, KeyMethod, Map,
    MediaPlaylist, MediaType, MultivariantPlaylist, ParseError, Playlist, PlaylistType,
    ProgramDateTime, Rendition, Tag, VariantStream, WriteError, parse_seconds, write_seconds,
};

/// Why a conversion failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConversionError {
    /// The m3u8-rs playlist, rendered as text, does not read as a
    /// playlist: it holds a value HLS cannot carry.
    #[error("the m3u8-rs playlist does not read as HLS: {source}")]
    Parse {
        /// Our reader's error; its line is one of `text`.
        source: ParseError,
        /// The m3u8-rs playlist as text.
        text: String,
    },
    /// Our playlist holds text that would not read back as itself.
    #[error("the playlist cannot be written: {0}")]
    Write(#[from] WriteError),
    /// A value has no form in m3u8-rs's model.
    #[error("m3u8-rs cannot hold {what}: {reason}")]
    Unrepresentable {
        /// Which value.
        what: &'static str,
        /// Why.
        reason: &'static str,
    },
}

/// What the conversion to m3u8-rs put somewhere other than a typed field
/// of its own, so that nothing is lost.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum M3u8RsNote {
    /// A tag m3u8-rs has no type for (or that keeps its order only so),
    /// carried as an `ExtTag` in the `unknown_tags` of segment `segment`
    /// (or of the playlist, when it has no segment).
    Untyped {
        /// The tag (`EXT-X-PART`).
        tag: String,
        /// The segment that carries it.
        segment: Option<usize>,
    },
    /// A tag after the last segment, carried in the playlist's
    /// `unknown_tags`, which m3u8-rs's writer does not write.
    AfterLastSegment {
        /// The tag.
        tag: String,
    },
    /// An EXTINF duration rounded to the `f32` m3u8-rs holds.
    DurationRounded {
        /// The segment.
        segment: usize,
        /// Our duration.
        exact: Duration,
        /// The duration the `f32` reads as.
        rounded: Duration,
    },
}

// ---------------------------------------------------------------------------
// m3u8-rs to ours
// ---------------------------------------------------------------------------

fn render(write: impl FnOnce(&mut Vec<u8>) -> std::io::Result<()>) -> String {
    let mut out = Vec::new();
    // Writing into a Vec does not fail.
    let _ = write(&mut out);
    String::from_utf8_lossy(&out).into_owned()
}

fn read_back<T>(
    text: String,
    parse: impl FnOnce(&[u8]) -> Result<T, ParseError>,
) -> Result<T, ConversionError> {
    parse(text.as_bytes()).map_err(|source| ConversionError::Parse { source, text })
}

/// `,NAME=value` for each attribute, in name order (m3u8-rs keeps them in
/// a HashMap, whose order changes from run to run).
fn sorted_attributes(attributes: Option<&HashMap<String, m::QuotedOrUnquoted>>) -> String {
    let mut pairs: Vec<_> = attributes.into_iter().flatten().collect();
    pairs.sort_by(|a, b| a.0.cmp(b.0));
    pairs
        .into_iter()
        .map(|(name, value)| format!(",{name}={value}"))
        .collect()
}

fn start_tag(start: &m::Start) -> m::ExtTag {
    // As m3u8-rs writes it: its reader gives `Some(false)` for an absent
    // PRECISE.
    let precise = if start.precise == Some(true) {
        ",PRECISE=YES"
    } else {
        ""
    };
    m::ExtTag {
        tag: "X-START".into(),
        rest: Some(format!(
            "TIME-OFFSET={}{precise}{}",
            start.time_offset,
            sorted_attributes(Some(&start.other_attributes))
        )),
    }
}

/// The m3u8-rs playlist with what its writer leaves out or writes in
/// HashMap order (EXT-X-MAP's and EXT-X-START's unknown attributes,
/// EXT-X-DATERANGE's) turned into `ExtTag`s written in a fixed order, in
/// the place the writer writes them.
fn writable_media(theirs: &m::MediaPlaylist) -> m::MediaPlaylist {
    let mut p = theirs.clone();
    for s in &mut p.segments {
        let mut front = Vec::new();
        if let Some(map) = s.map.take() {
            let bare = m::Map {
                other_attributes: HashMap::new(),
                ..map.clone()
            };
            let text = render(|w| bare.write_attributes_to(w));
            front.push(m::ExtTag {
                tag: "X-MAP".into(),
                rest: Some(text + &sorted_attributes(Some(&map.other_attributes))),
            });
        }
        if let Some(range) = s.daterange.take() {
            let bare = m::DateRange {
                x_prefixed: None,
                other_attributes: None,
                ..range.clone()
            };
            let text = render(|w| bare.write_attributes_to(w));
            front.push(m::ExtTag {
                tag: "X-DATERANGE".into(),
                rest: Some(
                    text + &sorted_attributes(range.x_prefixed.as_ref())
                        + &sorted_attributes(range.other_attributes.as_ref()),
                ),
            });
        }
        front.append(&mut s.unknown_tags);
        s.unknown_tags = front;
    }
    if let Some(start) = p.start.take() {
        let tags = match p.segments.first_mut() {
            Some(first) => &mut first.unknown_tags,
            None => &mut p.unknown_tags,
        };
        tags.insert(0, start_tag(&start));
    }
    p
}

impl TryFrom<&m::MediaPlaylist> for MediaPlaylist {
    type Error = ConversionError;

    /// Reads an m3u8-rs media playlist (see the [module docs](self)).
    fn try_from(theirs: &m::MediaPlaylist) -> Result<MediaPlaylist, ConversionError> {
        let theirs = writable_media(theirs);
        let mut text = render(|w| theirs.write_to(w));
        // m3u8-rs's writer leaves out the playlist's unknown tags: the
        // tags after the last segment (or, without segments, the header's).
        for tag in &theirs.unknown_tags {
            text.push_str(&tag.to_string());
            text.push('\n');
        }
        let mut ours = read_back(text, MediaPlaylist::parse)?;
        // m3u8-rs keeps unknown attributes in a HashMap: sort them, so the
        // result does not depend on its iteration order.
        let maps = ours
            .segments
            .iter_mut()
            .filter_map(|s| s.map.as_mut())
            .chain(ours.partial_segment.as_mut().and_then(|p| p.map.as_mut()));
        for map in maps {
            sort_by_name(&mut map.other_attributes);
        }
        Ok(ours)
    }
}

fn sort_by_name(list: &mut AttributeList) {
    list.attributes.sort_by(|a, b| a.name.cmp(&b.name));
}

impl TryFrom<&m::MasterPlaylist> for MultivariantPlaylist {
    type Error = ConversionError;

    /// Reads an m3u8-rs master playlist (see the [module docs](self)).
    fn try_from(theirs: &m::MasterPlaylist) -> Result<MultivariantPlaylist, ConversionError> {
        // What the writer writes in HashMap order or leaves out (the
        // unknown attributes of EXT-X-SESSION-DATA and EXT-X-START) as
        // ExtTags in a fixed order, where it writes them.
        let mut p = theirs.clone();
        let mut tags: Vec<m::ExtTag> = p
            .session_data
            .drain(..)
            .map(|d| {
                let field = match &d.field {
                    m::SessionDataField::Value(v) => format!(",VALUE=\"{v}\""),
                    m::SessionDataField::Uri(u) => format!(",URI=\"{u}\""),
                };
                let language = d
                    .language
                    .as_ref()
                    .map(|l| format!(",LANGUAGE=\"{l}\""))
                    .unwrap_or_default();
                m::ExtTag {
                    tag: "X-SESSION-DATA".into(),
                    rest: Some(format!(
                        "DATA-ID=\"{}\"{field}{language}{}",
                        d.data_id,
                        sorted_attributes(d.other_attributes.as_ref())
                    )),
                }
            })
            .collect();
        for key in p.session_key.drain(..) {
            tags.push(m::ExtTag {
                tag: "X-SESSION-KEY".into(),
                rest: Some(render(|w| key.0.write_attributes_to(w))),
            });
        }
        tags.extend(p.start.take().as_ref().map(start_tag));
        tags.append(&mut p.unknown_tags);
        p.unknown_tags = tags;
        let mut ours = read_back(render(|w| p.write_to(w)), MultivariantPlaylist::parse)?;
        // Unknown attributes come out of a HashMap: sorted by name.
        for v in &mut ours.variants {
            sort_by_name(&mut v.other_attributes);
        }
        for s in &mut ours.i_frame_streams {
            sort_by_name(&mut s.other_attributes);
        }
        for r in &mut ours.renditions {
            sort_by_name(&mut r.other_attributes);
        }
        Ok(ours)
    }
}

impl TryFrom<&m::Playlist> for Playlist {
    type Error = ConversionError;

    /// Reads an m3u8-rs playlist of either kind.
    fn try_from(theirs: &m::Playlist) -> Result<Playlist, ConversionError> {
        match theirs {
            m::Playlist::MasterPlaylist(p) => {
                MultivariantPlaylist::try_from(p).map(Playlist::Multivariant)
            }
            m::Playlist::MediaPlaylist(p) => MediaPlaylist::try_from(p).map(Playlist::Media),
        }
    }
}

// ---------------------------------------------------------------------------
// ours to m3u8-rs
// ---------------------------------------------------------------------------

/// One tag as our writer writes it, as an m3u8-rs `ExtTag` (whose name
/// leaves out `EXT-`).
fn ext_tag(
    write: impl FnOnce(&mut String) -> Result<(), WriteError>,
) -> Result<(String, m::ExtTag), ConversionError> {
    let mut line = String::new();
    write(&mut line)?;
    let line = line.trim_end_matches('\n');
    let body = line
        .strip_prefix("#EXT-")
        .ok_or(ConversionError::Unrepresentable {
            what: "a tag",
            reason: "m3u8-rs holds only tags whose name starts with EXT-",
        })?;
    let (tag, rest) = match body.split_once(':') {
        Some((t, r)) => (t, Some(r.to_owned())),
        None => (body, None),
    };
    Ok((
        format!("EXT-{tag}"),
        m::ExtTag {
            tag: tag.to_owned(),
            rest,
        },
    ))
}

/// Tags carried as `ExtTag`s, with the notes that say where.
struct Carried {
    tags: Vec<m::ExtTag>,
    names: Vec<String>,
}

impl Carried {
    fn new() -> Carried {
        Carried {
            tags: Vec::new(),
            names: Vec::new(),
        }
    }

    fn push(
        &mut self,
        write: impl FnOnce(&mut String) -> Result<(), WriteError>,
    ) -> Result<(), ConversionError> {
        let (name, tag) = ext_tag(write)?;
        self.names.push(name);
        self.tags.push(tag);
        Ok(())
    }

    fn tag(&mut self, tag: &Tag) -> Result<(), ConversionError> {
        self.push(|out| tag.write(out))
    }

    fn notes(&self, segment: Option<usize>) -> impl Iterator<Item = M3u8RsNote> + '_ {
        self.names.iter().map(move |tag| M3u8RsNote::Untyped {
            tag: tag.clone(),
            segment,
        })
    }
}

/// Unknown attributes as m3u8-rs holds them: by name. A name given twice
/// (which RFC 8216 section 4.2 forbids, but our model can hold) has no
/// place there: an error, not a silent loss of one of them.
fn attributes(
    list: &AttributeList,
) -> Result<HashMap<String, m::QuotedOrUnquoted>, ConversionError> {
    let mut map = HashMap::with_capacity(list.attributes.len());
    for a in &list.attributes {
        let value = match &a.value {
            AttributeValue::QuotedString(s) => m::QuotedOrUnquoted::Quoted(s.clone()),
            other => m::QuotedOrUnquoted::Unquoted(other.to_string()),
        };
        if map.insert(a.name.clone(), value).is_some() {
            return Err(ConversionError::Unrepresentable {
                what: "an attribute list",
                reason: "an attribute name occurs twice; m3u8-rs keeps attributes by name",
            });
        }
    }
    Ok(map)
}

fn optional_attributes(
    list: &AttributeList,
) -> Result<Option<HashMap<String, m::QuotedOrUnquoted>>, ConversionError> {
    if list.is_empty() {
        return Ok(None);
    }
    attributes(list).map(Some)
}

fn byte_range(r: &crate::playlist::ByteRange) -> m::ByteRange {
    m::ByteRange {
        length: r.length,
        offset: r.offset,
    }
}

fn key_method(method: &KeyMethod) -> m::KeyMethod {
    match method {
        KeyMethod::None => m::KeyMethod::None,
        KeyMethod::Aes128 => m::KeyMethod::AES128,
        KeyMethod::SampleAes => m::KeyMethod::SampleAES,
        KeyMethod::Other(s) => m::KeyMethod::Other(s.clone()),
    }
}

fn key(k: &Key) -> m::Key {
    m::Key {
        method: key_method(&k.method),
        uri: k.uri.clone(),
        iv: k.iv.map(|iv| format!("0x{iv:032X}")),
        keyformat: k.key_format.clone(),
        keyformatversions: k.key_format_versions.clone(),
    }
}

fn map(map: &Map) -> Result<m::Map, ConversionError> {
    Ok(m::Map {
        uri: map.uri.clone(),
        byte_range: map.byte_range.as_ref().map(byte_range),
        other_attributes: attributes(&map.other_attributes)?,
    })
}

fn date_time(
    pdt: &ProgramDateTime,
) -> Result<chrono::DateTime<chrono::FixedOffset>, ConversionError> {
    let out_of_range = ConversionError::Unrepresentable {
        what: "EXT-X-PROGRAM-DATE-TIME",
        reason: "outside chrono's range",
    };
    let offset = chrono::FixedOffset::east_opt(i32::from(pdt.offset_minutes) * 60)
        .ok_or(out_of_range.clone())?;
    let utc = chrono::DateTime::from_timestamp(pdt.unix_seconds, pdt.nanos).ok_or(out_of_range)?;
    Ok(utc.with_timezone(&offset))
}

/// The `f32` of an EXTINF duration, from its decimal text (the nearest
/// `f32` to the value), and the duration that `f32` reads as.
fn extinf(duration: Duration) -> (f32, Duration) {
    let mut text = String::new();
    write_seconds(&mut text, duration);
    let value: f32 = text.parse().unwrap_or(f32::MAX);
    let back = parse_seconds(&value.to_string()).unwrap_or(Duration::MAX);
    (value, back)
}

/// Converts a media playlist to m3u8-rs's model, with a note for each
/// value m3u8-rs has no typed place for (see the [module docs](self)).
///
/// # Errors
///
/// [`ConversionError::Write`] for text our writer refuses (a URI with a
/// line break); [`ConversionError::Unrepresentable`] for a date-time
/// chrono cannot hold or an unknown attribute name given twice in one list
/// of EXT-X-MAP.
pub fn to_m3u8_rs_media(
    ours: &MediaPlaylist,
) -> Result<(m::MediaPlaylist, Vec<M3u8RsNote>), ConversionError> {
    let mut notes = Vec::new();
    // The header tags m3u8-rs has no field for.
    let mut header = Carried::new();
    if let Some(sc) = &ours.server_control {
        header.push(|out| sc.write(out))?;
    }
    if let Some(pi) = &ours.part_inf {
        header.push(|out| pi.write(out))?;
    }
    for tag in &ours.other_tags {
        header.tag(tag)?;
    }
    if let Some(skip) = &ours.skip {
        header.push(|out| skip.write(out))?;
    }

    let mut segments = Vec::with_capacity(ours.segments.len());
    for (index, s) in ours.segments.iter().enumerate() {
        let mut carried = Carried::new();
        let typed_key = match s.keys.as_slice() {
            [] => None,
            [only] if only.other_attributes.is_empty() => Some(key(only)),
            several => {
                for k in several {
                    carried.push(|out| k.write(out))?;
                }
                None
            }
        };
        for tag in &s.other_tags {
            carried.tag(tag)?;
        }
        for part in &s.parts {
            carried.push(|out| part.write(out))?;
        }
        if s.gap {
            carried.tag(&Tag::new("EXT-X-GAP", None))?;
        }
        if let Some(rate) = s.bitrate {
            carried.tag(&Tag::new("EXT-X-BITRATE", Some(rate.to_string())))?;
        }
        notes.extend(carried.notes(Some(index)));
        let (duration, rounded) = extinf(s.duration);
        if rounded != s.duration {
            notes.push(M3u8RsNote::DurationRounded {
                segment: index,
                exact: s.duration,
                rounded,
            });
        }
        crate::playlist::check_uri(&s.uri, "segment URI")?;
        segments.push(m::MediaSegment {
            uri: s.uri.clone(),
            duration,
            title: (!s.title.is_empty()).then(|| s.title.clone()),
            byte_range: s.byte_range.as_ref().map(byte_range),
            discontinuity: s.discontinuity,
            key: typed_key,
            map: s.map.as_ref().map(map).transpose()?,
            program_date_time: s.program_date_time.as_ref().map(date_time).transpose()?,
            daterange: None,
            unknown_tags: carried.tags,
        });
    }

    // What follows the last segment.
    let mut tail = Carried::new();
    if let Some(p) = &ours.partial_segment {
        if p.discontinuity {
            tail.tag(&Tag::new("EXT-X-DISCONTINUITY", None))?;
        }
        for k in &p.keys {
            tail.push(|out| k.write(out))?;
        }
        if let Some(m) = &p.map {
            tail.push(|out| m.write(out))?;
        }
        if let Some(pdt) = &p.program_date_time {
            let mut value = String::new();
            pdt.write(&mut value);
            tail.tag(&Tag::new("EXT-X-PROGRAM-DATE-TIME", Some(value)))?;
        }
        for tag in &p.other_tags {
            tail.tag(tag)?;
        }
        for part in &p.parts {
            tail.push(|out| part.write(out))?;
        }
    }
    for hint in &ours.preload_hints {
        tail.push(|out| hint.write(out))?;
    }
    for report in &ours.rendition_reports {
        tail.push(|out| report.write(out))?;
    }

    let mut unknown_tags = Vec::new();
    match segments.first_mut() {
        Some(first) => {
            notes.extend(header.notes(Some(0)));
            let own = std::mem::take(&mut first.unknown_tags);
            first.unknown_tags = header.tags;
            first.unknown_tags.extend(own);
        }
        None => {
            notes.extend(header.notes(None));
            unknown_tags = header.tags;
        }
    }
    notes.extend(
        tail.names
            .iter()
            .map(|tag| M3u8RsNote::AfterLastSegment { tag: tag.clone() }),
    );
    unknown_tags.extend(tail.tags);

    let required = ours.required_version();
    let version = crate::playlist::written_version(ours.version, required);
    let theirs = m::MediaPlaylist {
        version: (ours.version.is_some() || version > 1)
            .then(|| usize::try_from(version).unwrap_or(usize::MAX)),
        target_duration: ours.written_target_duration(),
        media_sequence: ours.media_sequence,
        segments,
        discontinuity_sequence: ours.discontinuity_sequence,
        end_list: ours.end_list,
        playlist_type: ours.playlist_type.map(|t| match t {
            PlaylistType::Event => m::MediaPlaylistType::Event,
            PlaylistType::Vod => m::MediaPlaylistType::Vod,
        }),
        i_frames_only: ours.i_frames_only,
        start: None,
        independent_segments: ours.independent_segments,
        unknown_tags,
    };
    Ok((theirs, notes))
}

fn resolution(r: crate::playlist::Resolution) -> m::Resolution {
    m::Resolution {
        width: r.width,
        height: r.height,
    }
}

fn codecs(codecs: &[String]) -> Option<String> {
    (!codecs.is_empty()).then(|| codecs.join(","))
}

fn hdcp_level(level: &Option<String>) -> Option<m::HDCPLevel> {
    level.as_deref().map(|s| {
        s.parse()
            .unwrap_or_else(|_| m::HDCPLevel::Other(s.to_owned()))
    })
}

fn variant(v: &VariantStream) -> Result<m::VariantStream, ConversionError> {
    crate::playlist::check_uri(&v.uri, "variant stream URI")?;
    Ok(m::VariantStream {
        is_i_frame: false,
        uri: v.uri.clone(),
        bandwidth: v.bandwidth,
        average_bandwidth: v.average_bandwidth,
        codecs: codecs(&v.codecs),
        resolution: v.resolution.map(resolution),
        // Thousandths are exact in an f64 and written back with three
        // decimals.
        frame_rate: v.frame_rate.map(|f| f.millis as f64 / 1000.0),
        hdcp_level: hdcp_level(&v.hdcp_level),
        audio: v.audio.clone(),
        video: v.video.clone(),
        subtitles: v.subtitles.clone(),
        closed_captions: v.closed_captions.as_ref().map(|c| match c {
            ClosedCaptions::Group(g) => m::ClosedCaptionGroupId::GroupId(g.clone()),
            ClosedCaptions::None => m::ClosedCaptionGroupId::None,
        }),
        other_attributes: optional_attributes(&v.other_attributes)?,
    })
}

fn i_frame_stream(s: &IFrameStream) -> Result<m::VariantStream, ConversionError> {
    Ok(m::VariantStream {
        is_i_frame: true,
        uri: s.uri.clone(),
        bandwidth: s.bandwidth,
        average_bandwidth: s.average_bandwidth,
        codecs: codecs(&s.codecs),
        resolution: s.resolution.map(resolution),
        frame_rate: None,
        hdcp_level: hdcp_level(&s.hdcp_level),
        audio: None,
        video: s.video.clone(),
        subtitles: None,
        closed_captions: None,
        other_attributes: optional_attributes(&s.other_attributes)?,
    })
}

fn alternative(r: &Rendition) -> Result<m::AlternativeMedia, ConversionError> {
    // m3u8-rs writes FORCED only for subtitles, INSTREAM-ID only for and
    // URI never for closed captions: where ours holds them elsewhere, they
    // travel as attributes of their own, which it writes as they are.
    let mut others = optional_attributes(&r.other_attributes)?.unwrap_or_default();
    let closed_captions = r.media_type == MediaType::ClosedCaptions;
    if r.forced && r.media_type != MediaType::Subtitles {
        others.insert("FORCED".into(), m::QuotedOrUnquoted::Unquoted("YES".into()));
    }
    if let (Some(id), false) = (&r.instream_id, closed_captions) {
        others.insert(
            "INSTREAM-ID".into(),
            m::QuotedOrUnquoted::Quoted(id.clone()),
        );
    }
    if let (Some(uri), true) = (&r.uri, closed_captions) {
        others.insert("URI".into(), m::QuotedOrUnquoted::Quoted(uri.clone()));
    }
    Ok(m::AlternativeMedia {
        media_type: match r.media_type {
            MediaType::Audio => m::AlternativeMediaType::Audio,
            MediaType::Video => m::AlternativeMediaType::Video,
            MediaType::Subtitles => m::AlternativeMediaType::Subtitles,
            MediaType::ClosedCaptions => m::AlternativeMediaType::ClosedCaptions,
        },
        uri: r.uri.clone(),
        group_id: r.group_id.clone(),
        language: r.language.clone(),
        assoc_language: r.assoc_language.clone(),
        name: r.name.clone(),
        default: r.default,
        autoselect: r.autoselect,
        forced: r.forced,
        instream_id: r.instream_id.as_deref().map(|s| {
            s.parse()
                .unwrap_or_else(|_| m::InstreamId::Other(s.to_owned()))
        }),
        characteristics: r.characteristics.clone(),
        channels: r.channels.clone(),
        other_attributes: (!others.is_empty()).then_some(others),
    })
}

/// Converts a multivariant playlist to m3u8-rs's master playlist, with a
/// note for each tag carried as an `ExtTag` (see the [module docs](self)).
///
/// # Errors
///
/// [`ConversionError::Write`] for text our writer refuses;
/// [`ConversionError::Unrepresentable`] for an unknown attribute name given
/// twice in one list.
pub fn to_m3u8_rs_multivariant(
    ours: &MultivariantPlaylist,
) -> Result<(m::MasterPlaylist, Vec<M3u8RsNote>), ConversionError> {
    let mut carried = Carried::new();
    for tag in &ours.other_tags {
        carried.tag(tag)?;
    }
    let notes = carried.notes(None).collect();
    let mut variants = ours
        .variants
        .iter()
        .map(variant)
        .collect::<Result<Vec<_>, _>>()?;
    for s in &ours.i_frame_streams {
        variants.push(i_frame_stream(s)?);
    }
    let version = crate::playlist::written_version(ours.version, ours.required_version());
    let theirs = m::MasterPlaylist {
        version: (ours.version.is_some() || version > 1)
            .then(|| usize::try_from(version).unwrap_or(usize::MAX)),
        variants,
        session_data: Vec::new(),
        session_key: Vec::new(),
        start: None,
        independent_segments: ours.independent_segments,
        alternatives: ours
            .renditions
            .iter()
            .map(alternative)
            .collect::<Result<_, _>>()?,
        unknown_tags: carried.tags,
    };
    Ok((theirs, notes))
}

/// Converts a playlist of either kind (see [`to_m3u8_rs_media`] and
/// [`to_m3u8_rs_multivariant`]).
///
/// # Errors
///
/// Those of the two.
pub fn to_m3u8_rs(ours: &Playlist) -> Result<(m::Playlist, Vec<M3u8RsNote>), ConversionError> {
    match ours {
        Playlist::Media(p) => to_m3u8_rs_media(p).map(|(p, n)| (m::Playlist::MediaPlaylist(p), n)),
        Playlist::Multivariant(p) => {
            to_m3u8_rs_multivariant(p).map(|(p, n)| (m::Playlist::MasterPlaylist(p), n))
        }
    }
}
