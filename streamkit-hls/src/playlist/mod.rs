//! HLS playlists (RFC 8216 and draft-pantos-hls-rfc8216bis): a typed model
//! of multivariant and media playlists, a spec-exact writer and a lenient
//! reader, with the low-latency tags as typed values.
//!
//! # Writing
//!
//! The writer decides what the specification derives, so that the output
//! is always valid:
//!
//! - EXT-X-TARGETDURATION is at least the longest EXTINF rounded to the
//!   nearest integer (RFC 8216 section 4.3.3.1);
//! - EXTINF is written with decimals (`9.009`, `10.000`), three at least
//!   and more only when the value has them;
//! - EXT-X-VERSION is at least the version the features used require
//!   ([`MediaPlaylist::required_version`]);
//! - every line ends with one `\n`, and there are no blank lines.
//!
//! Text that would not read back as the same value (a URI with a line
//! break, a quoted string with a `"`) is a [`WriteError`], never written.
//!
//! # Reading
//!
//! [`parse_playlist`] reads either kind; blank lines, comments (also before
//! `#EXTM3U`), a byte order mark, CRLF line ends and attributes in any order
//! are accepted. Tags this crate does not type are kept as [`Tag`]s where
//! they stood and written back. Malformed values of the tags it does type
//! are [`ParseError`]s with their line number. Write then read gives the
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
    let lines = Lines::new(input)?;
    if lines.is_multivariant() {
        multivariant::parse(lines).map(Playlist::Multivariant)
    } else {
        media::parse(lines).map(Playlist::Media)
    }
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

/// Writes `#EXT-X-VERSION:n` when the version is not 1.
pub(crate) fn write_version(out: &mut String, declared: Option<u64>, required: u64) {
    let version = declared.map_or(required, |v| v.max(required));
    if declared.is_some() || version > 1 {
        out.push_str("#EXT-X-VERSION:");
        value::push_u64(out, version);
        out.push('\n');
    }
}

/// Maps an attribute-list error onto the tag's line.
pub(crate) fn attribute_list(
    value: Option<&str>,
    line: usize,
    tag: &'static str,
) -> Result<AttributeList, ParseError> {
    AttributeList::parse(value.unwrap_or("")).map_err(|e| ParseError::AttributeList {
        line,
        tag,
        column: tag.len() + 3 + e.offset,
        reason: e.reason,
    })
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
