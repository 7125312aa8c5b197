//! HLS playlists (RFC 8216 and draft-pantos-hls-rfc8216bis): a typed model
//! of multivariant and media playlists, a spec-exact writer and a lenient
//! reader, with the low-latency tags as typed values.
//!
//! # Writing
//!
//! The writer derives two fields from the rest of the playlist, so that
//! the output is always valid, and writes everything else as the model
//! holds it:
//!
//! - EXT-X-TARGETDURATION ([`MediaPlaylist::written_target_duration`]):
//!   the declared `target_duration` when it is at least the longest EXTINF
//!   rounded to the nearest integer (RFC 8216 section 4.3.3.1), else that
//!   rounded longest EXTINF; a `target_duration` of 0 asks for the
//!   derived value.
//! - EXT-X-VERSION: the declared `version` when it is at least what the
//!   features used require ([`MediaPlaylist::required_version`],
//!   [`MultivariantPlaylist::required_version`]), else the required one;
//!   `None` asks for the required one (and writes no tag when that is 1).
//!
//! A declared value that is valid is kept, never replaced; one that is not
//! is raised, and [`MediaPlaylist::write_adjustments`] lists it before
//! writing. So a playlist that declared neither tag (or too small a value)
//! reads back, after a write, with the derived values in those fields,
//! and only there.
//!
//! The rest is written strictly: EXTINF with decimals (`9.009`,
//! `10.000`), three at least and more only when the value has them;
//! every line ends with one `\n`, and there are no blank lines. Text that
//! would not read back as the same value (a URI with a line break, a
//! quoted string with a `"`) is a [`WriteError`], never written.
//!
//! # Reading
//!
//! [`parse_playlist`] reads either kind. It is lenient where players
//! (hls.js, AVPlayer, FFmpeg) play the playlist and its meaning is clear,
//! and reports each deviation from RFC 8216 it accepted as a
//! [`ParseWarning`] with its line ([`parse_playlist_with_warnings`]):
//!
//! | input | read as | warning |
//! |---|---|---|
//! | blank lines and comments anywhere, also between EXTINF and its URI; CRLF; a byte order mark; attributes in any order; spaces after commas; a trailing comma | their meaning (RFC 8216 section 4.1 ignores blank lines and comments) | none |
//! | an empty attribute: a leading comma, two commas in a row | skipped | [`Deviation::EmptyAttribute`] |
//! | a number, enumerated string or resolution in quotes (`BANDWIDTH="1280000"`, `TYPE="AUDIO"`) | the quoted value | [`Deviation::QuotedValue`] |
//! | an IV in quotes, with a stray quote (`IV=0x…"`), or of 32 hexadecimal digits without `0x` | the 128-bit IV | [`Deviation::QuotedValue`], [`Deviation::StrayQuote`], [`Deviation::HexWithoutPrefix`] |
//! | a URI line right after EXT-X-MEDIA or EXT-X-I-FRAME-STREAM-INF repeating its URI attribute | skipped | [`Deviation::RepeatedUri`] |
//! | EXT-X-TARGETDURATION below a segment, or missing | as declared (0 when missing) | [`Deviation::TargetDurationBelowSegment`], [`Deviation::MissingTargetDuration`] |
//! | EXT-X-VERSION below the features' | as declared | [`Deviation::VersionBelowFeatures`] |
//!
//! It refuses, with a [`ParseError`] that gives the line (and the column
//! in an attribute list), what has no clear meaning: a quoted string that
//! does not close, quoted text where a number belongs, an IV without `0x`
//! of fewer than 32 digits (players read it in different ways), a URI line
//! that belongs to no tag, an EXTINF followed by another EXTINF before its
//! URI, malformed values of the tags it types. Tags it does not type are
//! kept as [`Tag`]s where they stood and written back. I-frame playlists
//! are typed: EXT-X-I-FRAMES-ONLY as [`MediaPlaylist::i_frames_only`],
//! EXT-X-I-FRAME-STREAM-INF as [`IFrameStream`]. Write then read gives the
//! same value.
//!
//! ```
//! use streamkit_hls::playlist::{parse_playlist, Playlist};
//!
//! let text = "#EXTM3U\n#EXT-X-TARGETDURATION:4\n#EXTINF:4.00008,\nfileSequence266.mp4\n";
//! let Playlist::Media(media) = parse_playlist(text.as_bytes()).unwrap() else { panic!() };
//! assert_eq!(media.segments[0].uri, "fileSequence266.mp4");
//! assert_eq!(
//!     media.to_m3u8().unwrap(),
//!     "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:4\n#EXT-X-MEDIA-SEQUENCE:0\n#EXTINF:4.00008,\nfileSequence266.mp4\n"
//! );
//! ```

mod attribute;
mod delta;
mod error;
mod media;
mod multivariant;
mod tags;
mod value;
mod warning;

pub use attribute::{Attribute, AttributeList, AttributeListError, AttributeValue};
pub use delta::SkipRequest;
pub use error::{DeltaError, ParseError, WriteError};
pub use media::{MediaPlaylist, MediaSegment, PartialSegment, PlaylistType};
pub use multivariant::{
    BitRates, ClosedCaptions, IFrameStream, MediaType, MultivariantPlaylist, Rendition,
    VariantStream,
};
pub use tags::{
    Key, KeyMethod, Map, Part, PartInf, PreloadHint, PreloadHintType, RenditionReport,
    ServerControl, Skip, Tag,
};
pub use value::{
    ByteRange, FrameRate, ProgramDateTime, Resolution, parse_seconds, round_to_seconds,
    write_seconds,
};
pub use warning::{Deviation, ParseWarning, WriteAdjustment};

use warning::Warnings;

/// A playlist of either kind.
#[derive(Debug, Clone, PartialEq, Eq)]
#[allow(clippy::large_enum_variant)]
pub enum Playlist {
    /// A multivariant (master) playlist: variant streams and renditions.
    Multivariant(MultivariantPlaylist),
    /// A media playlist: segments.
    Media(MediaPlaylist),
}

/// Reads a playlist of either kind. The first tag that belongs to only one
/// kind decides which; a playlist with neither is an (empty) media playlist.
///
/// # Errors
/// See [`ParseError`].
pub fn parse_playlist(input: &[u8]) -> Result<Playlist, ParseError> {
    parse_playlist_with_warnings(input).map(|(playlist, _)| playlist)
}

/// [`parse_playlist`], with the deviations from RFC 8216 it accepted, in
/// the order of their lines.
///
/// # Errors
/// See [`ParseError`].
pub fn parse_playlist_with_warnings(
    input: &[u8],
) -> Result<(Playlist, Vec<ParseWarning>), ParseError> {
    let lines = Lines::new(input)?;
    let mut warnings = Warnings::new();
    let playlist = if lines.is_multivariant() {
        multivariant::parse(lines, &mut warnings).map(Playlist::Multivariant)?
    } else {
        media::parse(lines, &mut warnings).map(Playlist::Media)?
    };
    Ok((playlist, warnings.into_sorted()))
}

/// One significant line of a playlist.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Line<'a> {
    /// `#EXT...`: name without `#`, and the value after the first `:`.
    Tag(&'a str, Option<&'a str>),
    /// A URI line.
    Uri(&'a str),
}

/// The significant lines after `#EXTM3U`, numbered from 1, blank lines and
/// comments left out.
pub(crate) struct Lines<'a> {
    lines: Vec<(usize, Line<'a>)>,
}

impl<'a> Lines<'a> {
    pub(crate) fn new(input: &'a [u8]) -> Result<Lines<'a>, ParseError> {
        let text = std::str::from_utf8(input).map_err(|e| ParseError::NotUtf8 {
            offset: e.valid_up_to(),
        })?;
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let mut lines = Vec::new();
        let mut header_seen = false;
        for (index, raw) in text.split('\n').enumerate() {
            let number = index + 1;
            let line = raw.trim();
            if line.is_empty() {
                continue;
            }
            let parsed = if let Some(tag) = line.strip_prefix("#EXT") {
                let tag_line = line.get(1..).unwrap_or(tag);
                match tag_line.split_once(':') {
                    Some((name, value)) => Line::Tag(name, Some(value)),
                    None => Line::Tag(tag_line, None),
                }
            } else if line.starts_with('#') {
                continue; // a comment
            } else {
                Line::Uri(line)
            };
            if !header_seen {
                match parsed {
                    Line::Tag("EXTM3U", _) => {
                        header_seen = true;
                        continue;
                    }
                    _ => return Err(ParseError::MissingHeader { line: number }),
                }
            }
            if matches!(parsed, Line::Tag("EXTM3U", _)) {
                continue; // a repeated header carries nothing
            }
            lines.push((number, parsed));
        }
        if !header_seen {
            return Err(ParseError::MissingHeader { line: 0 });
        }
        Ok(Lines { lines })
    }

    fn is_multivariant(&self) -> bool {
        for (_, line) in &self.lines {
            if let Line::Tag(name, _) = line {
                if tags::MULTIVARIANT_PLAYLIST_TAGS.contains(name) {
                    return true;
                }
                if tags::MEDIA_PLAYLIST_TAGS.contains(name) {
                    return false;
                }
            }
        }
        false
    }

    pub(crate) fn into_iter(self) -> std::vec::IntoIter<(usize, Line<'a>)> {
        self.lines.into_iter()
    }
}

/// Checks a URI line before it is written.
pub(crate) fn check_uri(uri: &str, what: &'static str) -> Result<(), WriteError> {
    let ends_ok = match (uri.chars().next(), uri.chars().next_back()) {
        (Some(first), Some(last)) => {
            first != '#' && !first.is_whitespace() && !last.is_whitespace()
        }
        _ => false,
    };
    if !ends_ok || uri.bytes().any(|b| b == b'\r' || b == b'\n') {
        return Err(WriteError::InvalidText {
            what,
            reason: "empty, starts with '#', has surrounding whitespace or a line break",
        });
    }
    Ok(())
}

/// The EXT-X-VERSION the writer writes: the declared one when it is at
/// least `required`, else `required`.
pub(crate) fn written_version(declared: Option<u64>, required: u64) -> u64 {
    declared.map_or(required, |v| v.max(required))
}

/// Writes `#EXT-X-VERSION:n` when the version is not 1.
pub(crate) fn write_version(out: &mut String, declared: Option<u64>, required: u64) {
    let version = written_version(declared, required);
    if declared.is_some() || version > 1 {
        out.push_str("#EXT-X-VERSION:");
        value::push_u64(out, version);
        out.push('\n');
    }
}

/// The column (1-based) of byte `offset` of a tag's value: after `#`, the
/// name and `:`.
fn value_column(tag: &str, offset: usize) -> usize {
    tag.len() + 3 + offset
}

/// Reads a tag's attribute list: an error is mapped onto the tag's line,
/// skipped empty entries become warnings.
pub(crate) fn attribute_list(
    value: Option<&str>,
    line: usize,
    tag: &'static str,
    warnings: &mut Warnings,
) -> Result<AttributeList, ParseError> {
    let mut empty = Vec::new();
    let list = AttributeList::parse_noting_empty(value.unwrap_or(""), &mut empty).map_err(|e| {
        ParseError::AttributeList {
            line,
            tag,
            column: value_column(tag, e.offset),
            reason: e.reason,
        }
    })?;
    for offset in empty {
        warnings.push(
            line,
            Deviation::EmptyAttribute {
                tag,
                column: value_column(tag, offset),
            },
        );
    }
    Ok(list)
}

/// A typed reader over a tag's attribute list.
pub(crate) fn reader<'w>(
    value: Option<&str>,
    line: usize,
    tag: &'static str,
    warnings: &'w mut Warnings,
) -> Result<tags::Reader<'w>, ParseError> {
    let list = attribute_list(value, line, tag, warnings)?;
    Ok(tags::Reader::new(list, line, tag, warnings))
}

/// Maps a typed tag's attribute problem onto its line.
pub(crate) fn attribute_problem(
    line: usize,
    tag: &'static str,
) -> impl Fn(tags::AttributeProblem) -> ParseError {
    move |p| ParseError::InvalidAttribute {
        line,
        tag,
        attribute: p.attribute,
        reason: p.reason,
    }
}
