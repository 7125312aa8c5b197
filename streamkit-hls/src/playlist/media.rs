//! Media playlists: VOD, EVENT and live (sliding window), with fMP4 init
//! sections, byte ranges, program date-times and low-latency parts.

use std::time::Duration;

use bytes::Bytes;

use super::error::{ParseError, WriteError};
use super::tags::{
    Key, KeyMethod, MEDIA_PLAYLIST_TAGS, MEDIA_PLAYLIST_WIDE_TAGS, MULTIVARIANT_PLAYLIST_TAGS, Map,
    Part, PartInf, PreloadHint, RenditionReport, ServerControl, Skip, Tag, tag_in,
};
use super::value::{
    ByteRange, ProgramDateTime, parse_decimal_integer, parse_seconds, push_u64, round_to_seconds,
    write_seconds,
};
use super::warning::{Deviation, Warnings, WriteAdjustment};
use super::{
    Line, Lines, ParseWarning, attribute_problem, check_uri, reader, write_version, written_version,
};

/// EXT-X-PLAYLIST-TYPE.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PlaylistType {
    /// `EVENT`: segments are only ever appended.
    Event,
    /// `VOD`: the playlist never changes.
    Vod,
}

/// One media segment and the tags that precede its URI.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct MediaSegment {
    /// EXTINF duration.
    pub duration: Duration,
    /// EXTINF title (empty for none).
    pub title: String,
    /// The segment's URI.
    pub uri: String,
    /// EXT-X-BYTERANGE: the segment is this range of the resource at `uri`
    /// (single-file VOD; needs protocol version 4).
    pub byte_range: Option<ByteRange>,
    /// EXT-X-DISCONTINUITY before this segment.
    pub discontinuity: bool,
    /// EXT-X-KEY tags before this segment (they apply until the next ones).
    pub keys: Vec<Key>,
    /// EXT-X-MAP before this segment (it applies until the next one).
    pub map: Option<Map>,
    /// EXT-X-PROGRAM-DATE-TIME of the segment's first sample.
    pub program_date_time: Option<ProgramDateTime>,
    /// EXT-X-GAP: the segment is missing.
    pub gap: bool,
    /// EXT-X-BITRATE in kbit/s.
    pub bitrate: Option<u64>,
    /// EXT-X-PART tags of this segment's partial segments.
    pub parts: Vec<Part>,
    /// Other tags before this segment (EXT-X-DATERANGE, EXT-X-CUE-OUT, ...).
    pub other_tags: Vec<Tag>,
}

impl MediaSegment {
    /// A segment of `duration` at `uri`, with no other tags.
    #[must_use]
    pub fn new(duration: Duration, uri: impl Into<String>) -> MediaSegment {
        MediaSegment {
            duration,
            title: String::new(),
            uri: uri.into(),
            byte_range: None,
            discontinuity: false,
            keys: Vec::new(),
            map: None,
            program_date_time: None,
            gap: false,
            bitrate: None,
            parts: Vec::new(),
            other_tags: Vec::new(),
        }
    }
}

/// The segment being produced at the live edge of a low-latency playlist:
/// its parts so far (and the tags before them), with no EXTINF or URI yet.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct PartialSegment {
    /// EXT-X-DISCONTINUITY before it.
    pub discontinuity: bool,
    /// EXT-X-KEY tags before it.
    pub keys: Vec<Key>,
    /// EXT-X-MAP before it.
    pub map: Option<Map>,
    /// EXT-X-PROGRAM-DATE-TIME of its first sample.
    pub program_date_time: Option<ProgramDateTime>,
    /// Its parts so far.
    pub parts: Vec<Part>,
    /// Other tags before it.
    pub other_tags: Vec<Tag>,
}

impl PartialSegment {
    fn is_empty(&self) -> bool {
        !self.discontinuity
            && self.keys.is_empty()
            && self.map.is_none()
            && self.program_date_time.is_none()
            && self.parts.is_empty()
            && self.other_tags.is_empty()
    }
}

/// A media playlist.
///
/// Build one field by field (it is `Default`), or read one with
/// [`MediaPlaylist::parse`]; write it with [`MediaPlaylist::write_to`],
/// [`MediaPlaylist::to_m3u8`] or [`MediaPlaylist::to_bytes`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MediaPlaylist {
    /// EXT-X-VERSION as declared. The writer writes the larger of this and
    /// [`MediaPlaylist::required_version`]; `None` writes the required one.
    pub version: Option<u64>,
    /// EXT-X-TARGETDURATION in seconds. The writer writes the larger of
    /// this and the longest EXTINF rounded to the nearest integer, so 0
    /// lets it compute the value. Keep it constant across live updates.
    pub target_duration: u64,
    /// EXT-X-MEDIA-SEQUENCE: the media sequence number of the first segment
    /// (of the first skipped one in a delta update).
    pub media_sequence: u64,
    /// EXT-X-DISCONTINUITY-SEQUENCE.
    pub discontinuity_sequence: u64,
    /// EXT-X-PLAYLIST-TYPE.
    pub playlist_type: Option<PlaylistType>,
    /// EXT-X-ENDLIST: no more segments will be added.
    pub end_list: bool,
    /// EXT-X-I-FRAMES-ONLY.
    pub i_frames_only: bool,
    /// EXT-X-INDEPENDENT-SEGMENTS.
    pub independent_segments: bool,
    /// EXT-X-SERVER-CONTROL.
    pub server_control: Option<ServerControl>,
    /// EXT-X-PART-INF.
    pub part_inf: Option<PartInf>,
    /// EXT-X-SKIP: this is a Playlist Delta Update.
    pub skip: Option<Skip>,
    /// The segments, oldest first.
    pub segments: Vec<MediaSegment>,
    /// The segment in progress at the live edge (parts without EXTINF yet).
    pub partial_segment: Option<PartialSegment>,
    /// EXT-X-PRELOAD-HINT tags.
    pub preload_hints: Vec<PreloadHint>,
    /// EXT-X-RENDITION-REPORT tags.
    pub rendition_reports: Vec<RenditionReport>,
    /// Other playlist-wide tags (EXT-X-START, EXT-X-DEFINE, ...).
    pub other_tags: Vec<Tag>,
}

fn all_keys(playlist: &MediaPlaylist) -> impl Iterator<Item = &Key> {
    playlist
        .segments
        .iter()
        .flat_map(|s| s.keys.iter())
        .chain(playlist.partial_segment.iter().flat_map(|p| p.keys.iter()))
}

impl MediaPlaylist {
    /// Reads a media playlist.
    ///
    /// # Errors
    /// See [`ParseError`]; a multivariant playlist is a
    /// [`ParseError::MixedPlaylist`].
    pub fn parse(input: &[u8]) -> Result<MediaPlaylist, ParseError> {
        MediaPlaylist::parse_with_warnings(input).map(|(playlist, _)| playlist)
    }

    /// [`MediaPlaylist::parse`], with the deviations from RFC 8216 it
    /// accepted, in the order of their lines.
    ///
    /// # Errors
    /// See [`MediaPlaylist::parse`].
    pub fn parse_with_warnings(
        input: &[u8],
    ) -> Result<(MediaPlaylist, Vec<ParseWarning>), ParseError> {
        let mut warnings = Warnings::new();
        let playlist = parse(Lines::new(input)?, &mut warnings)?;
        Ok((playlist, warnings.into_sorted()))
    }

    /// What the writer will write differently from the declared
    /// `target_duration` and `version`: each is kept when it is valid (a
    /// `target_duration` of at least the longest EXTINF rounded, a
    /// `version` of at least [`MediaPlaylist::required_version`]) and
    /// raised, and listed here, when it is not. A `target_duration` of 0
    /// and a `version` of `None` ask the writer to derive the value and
    /// are not listed.
    #[must_use]
    pub fn write_adjustments(&self) -> Vec<WriteAdjustment> {
        let mut adjustments = Vec::new();
        let written = self.written_target_duration();
        if self.target_duration != 0 && written != self.target_duration {
            adjustments.push(WriteAdjustment::TargetDurationRaised {
                declared: self.target_duration,
                written,
            });
        }
        if let Some(declared) = self.version {
            let written = written_version(Some(declared), self.required_version());
            if written != declared {
                adjustments.push(WriteAdjustment::VersionRaised { declared, written });
            }
        }
        adjustments
    }

    /// The lowest EXT-X-VERSION the features used need (RFC 8216 section 7
    /// and draft-pantos-hls-rfc8216bis section 8): 2 for an EXT-X-KEY IV, 3
    /// for decimal EXTINF (always written so), 4 for EXT-X-BYTERANGE or
    /// EXT-X-I-FRAMES-ONLY, 5 for KEYFORMAT/KEYFORMATVERSIONS, SAMPLE-AES or
    /// EXT-X-MAP with I-frames only, 6 for EXT-X-MAP otherwise, 8 for
    /// EXT-X-DEFINE, 9 for EXT-X-SKIP and 10 for its
    /// RECENTLY-REMOVED-DATERANGES.
    #[must_use]
    pub fn required_version(&self) -> u64 {
        let mut v = 1;
        if all_keys(self).any(|k| k.iv.is_some()) {
            v = v.max(2);
        }
        if !self.segments.is_empty() {
            v = v.max(3);
        }
        if self.i_frames_only || self.segments.iter().any(|s| s.byte_range.is_some()) {
            v = v.max(4);
        }
        if all_keys(self).any(|k| {
            k.key_format.is_some()
                || k.key_format_versions.is_some()
                || k.method == KeyMethod::SampleAes
        }) {
            v = v.max(5);
        }
        let has_map = self.segments.iter().any(|s| s.map.is_some())
            || self
                .partial_segment
                .as_ref()
                .is_some_and(|p| p.map.is_some());
        if has_map {
            v = v.max(if self.i_frames_only { 5 } else { 6 });
        }
        let has_define = self.other_tags.iter().any(|t| t.name == "EXT-X-DEFINE");
        if has_define {
            v = v.max(8);
        }
        if let Some(skip) = &self.skip {
            v = v.max(if skip.recently_removed_dateranges.is_some() {
                10
            } else {
                9
            });
        }
        v
    }

    /// The EXT-X-TARGETDURATION the writer writes: the larger of
    /// `target_duration` and the longest EXTINF rounded to the nearest
    /// integer.
    #[must_use]
    pub fn written_target_duration(&self) -> u64 {
        self.segments
            .iter()
            .map(|s| round_to_seconds(s.duration))
            .fold(self.target_duration, u64::max)
    }

    /// The media sequence number the next completed segment will get.
    #[must_use]
    pub fn next_media_sequence(&self) -> u64 {
        let skipped = self.skip.as_ref().map_or(0, |s| s.skipped_segments);
        self.media_sequence
            .saturating_add(skipped)
            .saturating_add(self.segments.len() as u64)
    }

    /// The sum of the listed segments' durations.
    #[must_use]
    pub fn duration(&self) -> Duration {
        self.segments.iter().map(|s| s.duration).sum()
    }

    /// Drops the oldest segments until at most `max_segments` remain (a live
    /// sliding window). EXT-X-MEDIA-SEQUENCE grows by one per dropped
    /// segment and EXT-X-DISCONTINUITY-SEQUENCE by one per dropped
    /// discontinuity (RFC 8216 section 6.2.2); an EXT-X-MAP or EXT-X-KEY
    /// that only the dropped segments carried moves to the new first
    /// segment, so it still applies.
    pub fn slide_window(&mut self, max_segments: usize) {
        let excess = self.segments.len().saturating_sub(max_segments);
        if excess == 0 {
            return;
        }
        let mut carried_map = None;
        let mut carried_keys = Vec::new();
        for dropped in self.segments.drain(..excess) {
            self.media_sequence = self.media_sequence.saturating_add(1);
            if dropped.discontinuity {
                self.discontinuity_sequence = self.discontinuity_sequence.saturating_add(1);
            }
            if dropped.map.is_some() {
                carried_map = dropped.map;
            }
            if !dropped.keys.is_empty() {
                carried_keys = dropped.keys;
            }
        }
        if let Some(first) = self.segments.first_mut() {
            if first.map.is_none() {
                first.map = carried_map;
            }
            if first.keys.is_empty() {
                first.keys = carried_keys;
            }
        } else if let Some(partial) = self.partial_segment.as_mut() {
            if partial.map.is_none() {
                partial.map = carried_map;
            }
            if partial.keys.is_empty() {
                partial.keys = carried_keys;
            }
        }
    }

    /// Writes the playlist into `out` (appending).
    ///
    /// # Errors
    /// [`WriteError`] when some text would not read back as itself; `out`
    /// then holds a partial playlist.
    pub fn write_to(&self, out: &mut String) -> Result<(), WriteError> {
        out.push_str("#EXTM3U\n");
        write_version(out, self.version, self.required_version());
        line_u64(
            out,
            "#EXT-X-TARGETDURATION:",
            self.written_target_duration(),
        );
        line_u64(out, "#EXT-X-MEDIA-SEQUENCE:", self.media_sequence);
        if self.discontinuity_sequence != 0 {
            line_u64(
                out,
                "#EXT-X-DISCONTINUITY-SEQUENCE:",
                self.discontinuity_sequence,
            );
        }
        match self.playlist_type {
            Some(PlaylistType::Vod) => out.push_str("#EXT-X-PLAYLIST-TYPE:VOD\n"),
            Some(PlaylistType::Event) => out.push_str("#EXT-X-PLAYLIST-TYPE:EVENT\n"),
            None => {}
        }
        if self.i_frames_only {
            out.push_str("#EXT-X-I-FRAMES-ONLY\n");
        }
        if self.independent_segments {
            out.push_str("#EXT-X-INDEPENDENT-SEGMENTS\n");
        }
        if let Some(sc) = &self.server_control {
            sc.write(out)?;
        }
        if let Some(pi) = &self.part_inf {
            pi.write(out)?;
        }
        for tag in &self.other_tags {
            if !MEDIA_PLAYLIST_WIDE_TAGS.contains(&tag.name.as_str()) {
                return Err(WriteError::InvalidText {
                    what: "playlist-wide tag",
                    reason: "not EXT-X-START, EXT-X-DEFINE or EXT-X-ALLOW-CACHE (segment tags go in a segment's other_tags)",
                });
            }
            tag.write(out)?;
        }
        if let Some(skip) = &self.skip {
            skip.write(out)?;
        }
        for segment in &self.segments {
            write_segment_head(
                out,
                segment.discontinuity,
                &segment.keys,
                segment.map.as_ref(),
                segment.program_date_time.as_ref(),
                &segment.other_tags,
                &segment.parts,
            )?;
            if segment.gap {
                out.push_str("#EXT-X-GAP\n");
            }
            if let Some(rate) = segment.bitrate {
                line_u64(out, "#EXT-X-BITRATE:", rate);
            }
            out.push_str("#EXTINF:");
            write_seconds(out, segment.duration);
            out.push(',');
            if segment.title.bytes().any(|b| b == b'\r' || b == b'\n')
                || segment
                    .title
                    .chars()
                    .next_back()
                    .is_some_and(char::is_whitespace)
            {
                return Err(WriteError::InvalidText {
                    what: "EXTINF title",
                    reason: "contains a line break or ends with whitespace",
                });
            }
            out.push_str(&segment.title);
            out.push('\n');
            if let Some(range) = &segment.byte_range {
                out.push_str("#EXT-X-BYTERANGE:");
                range.write(out);
                out.push('\n');
            }
            check_uri(&segment.uri, "segment URI")?;
            out.push_str(&segment.uri);
            out.push('\n');
        }
        if let Some(p) = &self.partial_segment {
            write_segment_head(
                out,
                p.discontinuity,
                &p.keys,
                p.map.as_ref(),
                p.program_date_time.as_ref(),
                &p.other_tags,
                &p.parts,
            )?;
        }
        for hint in &self.preload_hints {
            hint.write(out)?;
        }
        for report in &self.rendition_reports {
            report.write(out)?;
        }
        if self.end_list {
            out.push_str("#EXT-X-ENDLIST\n");
        }
        Ok(())
    }

    /// The playlist as text.
    ///
    /// # Errors
    /// See [`MediaPlaylist::write_to`].
    pub fn to_m3u8(&self) -> Result<String, WriteError> {
        let mut out = String::with_capacity(256 + self.segments.len() * 64);
        self.write_to(&mut out)?;
        Ok(out)
    }

    /// The playlist as bytes, for an HTTP body.
    ///
    /// # Errors
    /// See [`MediaPlaylist::write_to`].
    pub fn to_bytes(&self) -> Result<Bytes, WriteError> {
        self.to_m3u8().map(Bytes::from)
    }
}

fn line_u64(out: &mut String, tag: &str, value: u64) {
    out.push_str(tag);
    push_u64(out, value);
    out.push('\n');
}

fn write_segment_head(
    out: &mut String,
    discontinuity: bool,
    keys: &[Key],
    map: Option<&Map>,
    program_date_time: Option<&ProgramDateTime>,
    other_tags: &[Tag],
    parts: &[Part],
) -> Result<(), WriteError> {
    if discontinuity {
        out.push_str("#EXT-X-DISCONTINUITY\n");
    }
    for key in keys {
        key.write(out)?;
    }
    if let Some(map) = map {
        map.write(out)?;
    }
    if let Some(pdt) = program_date_time {
        if !pdt.is_writable() {
            return Err(WriteError::DateOutOfRange);
        }
        out.push_str("#EXT-X-PROGRAM-DATE-TIME:");
        pdt.write(out);
        out.push('\n');
    }
    for tag in other_tags {
        if MEDIA_PLAYLIST_TAGS.contains(&tag.name.as_str()) && tag.name != "EXT-X-DATERANGE"
            || MEDIA_PLAYLIST_WIDE_TAGS.contains(&tag.name.as_str())
            || MULTIVARIANT_PLAYLIST_TAGS.contains(&tag.name.as_str())
        {
            return Err(WriteError::InvalidText {
                what: "segment tag",
                reason: "a tag this crate types must be set through its field",
            });
        }
        tag.write(out)?;
    }
    for part in parts {
        check_uri(&part.uri, "EXT-X-PART URI")?;
        part.write(out)?;
    }
    Ok(())
}

/// Tags gathered for the next segment.
#[derive(Default)]
struct Pending {
    head: PartialSegment,
    /// EXTINF: its line, duration and title.
    extinf: Option<(usize, Duration, String)>,
    byte_range: Option<ByteRange>,
    gap: bool,
    bitrate: Option<u64>,
    /// The first tag that needs a URI line to follow, with its line.
    needs_uri: Option<(usize, &'static str)>,
}

fn integer(value: Option<&str>, line: usize, tag: &'static str) -> Result<u64, ParseError> {
    value
        .map(str::trim)
        .and_then(parse_decimal_integer)
        .ok_or(ParseError::InvalidTag {
            line,
            tag,
            reason: "not a decimal-integer",
        })
}

/// Reads the lines of a media playlist.
pub(crate) fn parse(
    lines: Lines<'_>,
    warnings: &mut Warnings,
) -> Result<MediaPlaylist, ParseError> {
    let mut playlist = MediaPlaylist::default();
    let mut pending = Pending::default();
    // The lines of EXT-X-TARGETDURATION, EXT-X-VERSION and the first
    // EXTINF, for the warnings about them once every segment is read.
    let mut target_duration_line = None;
    let mut version_line = None;
    let mut first_extinf_line = None;
    for (line, item) in lines.into_iter() {
        let (name, value) = match item {
            Line::Uri(uri) => {
                let Some((_, duration, title)) = pending.extinf.take() else {
                    return Err(ParseError::UnexpectedUri {
                        line,
                        expected: "EXTINF",
                    });
                };
                let head = std::mem::take(&mut pending.head);
                playlist.segments.push(MediaSegment {
                    duration,
                    title,
                    uri: uri.to_owned(),
                    byte_range: pending.byte_range.take(),
                    discontinuity: head.discontinuity,
                    keys: head.keys,
                    map: head.map,
                    program_date_time: head.program_date_time,
                    gap: std::mem::take(&mut pending.gap),
                    bitrate: pending.bitrate.take(),
                    parts: head.parts,
                    other_tags: head.other_tags,
                });
                pending.needs_uri = None;
                continue;
            }
            Line::Tag(name, value) => (name, value),
        };
        let problem = |tag| attribute_problem(line, tag);
        match name {
            "EXT-X-VERSION" => {
                playlist.version = Some(integer(value, line, "EXT-X-VERSION")?);
                version_line = Some(line);
            }
            "EXT-X-TARGETDURATION" => {
                playlist.target_duration = integer(value, line, "EXT-X-TARGETDURATION")?;
                target_duration_line = Some(line);
            }
            "EXT-X-MEDIA-SEQUENCE" => {
                playlist.media_sequence = integer(value, line, "EXT-X-MEDIA-SEQUENCE")?;
            }
            "EXT-X-DISCONTINUITY-SEQUENCE" => {
                playlist.discontinuity_sequence =
                    integer(value, line, "EXT-X-DISCONTINUITY-SEQUENCE")?;
            }
            "EXT-X-PLAYLIST-TYPE" => {
                playlist.playlist_type = Some(match value.map(str::trim) {
                    Some("VOD") => PlaylistType::Vod,
                    Some("EVENT") => PlaylistType::Event,
                    _ => {
                        return Err(ParseError::InvalidTag {
                            line,
                            tag: "EXT-X-PLAYLIST-TYPE",
                            reason: "neither VOD nor EVENT",
                        });
                    }
                });
            }
            "EXT-X-ENDLIST" => playlist.end_list = true,
            "EXT-X-I-FRAMES-ONLY" => playlist.i_frames_only = true,
            "EXT-X-INDEPENDENT-SEGMENTS" => playlist.independent_segments = true,
            "EXT-X-SERVER-CONTROL" => {
                let tag = "EXT-X-SERVER-CONTROL";
                let r = reader(value, line, tag, warnings)?;
                playlist.server_control = Some(ServerControl::read(r).map_err(problem(tag))?);
            }
            "EXT-X-PART-INF" => {
                let tag = "EXT-X-PART-INF";
                let r = reader(value, line, tag, warnings)?;
                playlist.part_inf = Some(PartInf::read(r).map_err(problem(tag))?);
            }
            "EXT-X-SKIP" => {
                let tag = "EXT-X-SKIP";
                if !playlist.segments.is_empty() {
                    return Err(ParseError::InvalidTag {
                        line,
                        tag,
                        reason: "after a media segment (it replaces the first ones)",
                    });
                }
                let r = reader(value, line, tag, warnings)?;
                playlist.skip = Some(Skip::read(r).map_err(problem(tag))?);
            }
            "EXT-X-PRELOAD-HINT" => {
                let tag = "EXT-X-PRELOAD-HINT";
                let r = reader(value, line, tag, warnings)?;
                playlist
                    .preload_hints
                    .push(PreloadHint::read(r).map_err(problem(tag))?);
            }
            "EXT-X-RENDITION-REPORT" => {
                let tag = "EXT-X-RENDITION-REPORT";
                let r = reader(value, line, tag, warnings)?;
                playlist
                    .rendition_reports
                    .push(RenditionReport::read(r).map_err(problem(tag))?);
            }
            "EXTINF" => {
                let text = value.unwrap_or("");
                let (duration, title) = match text.split_once(',') {
                    Some((d, t)) => (d, t),
                    None => (text, ""),
                };
                let duration = parse_seconds(duration.trim()).ok_or(ParseError::InvalidTag {
                    line,
                    tag: "EXTINF",
                    reason: "duration is not a non-negative decimal number",
                })?;
                // A second EXTINF before a URI: the first one's segment
                // has lost its URI (not a duration to pick between).
                if let Some((first, ..)) = pending.extinf {
                    return Err(ParseError::MissingUri {
                        line: first,
                        tag: "EXTINF",
                    });
                }
                pending.extinf = Some((line, duration, title.to_owned()));
                first_extinf_line.get_or_insert(line);
                pending.needs_uri.get_or_insert((line, "EXTINF"));
            }
            "EXT-X-BYTERANGE" => {
                let range = value.map(str::trim).and_then(ByteRange::parse).ok_or(
                    ParseError::InvalidTag {
                        line,
                        tag: "EXT-X-BYTERANGE",
                        reason: "not <n>[@<o>]",
                    },
                )?;
                pending.byte_range = Some(range);
                pending.needs_uri.get_or_insert((line, "EXT-X-BYTERANGE"));
            }
            "EXT-X-GAP" => {
                pending.gap = true;
                pending.needs_uri.get_or_insert((line, "EXT-X-GAP"));
            }
            "EXT-X-BITRATE" => {
                pending.bitrate = Some(integer(value, line, "EXT-X-BITRATE")?);
                pending.needs_uri.get_or_insert((line, "EXT-X-BITRATE"));
            }
            "EXT-X-DISCONTINUITY" => pending.head.discontinuity = true,
            "EXT-X-KEY" => {
                let tag = "EXT-X-KEY";
                let r = reader(value, line, tag, warnings)?;
                pending.head.keys.push(Key::read(r).map_err(problem(tag))?);
            }
            "EXT-X-MAP" => {
                let tag = "EXT-X-MAP";
                let r = reader(value, line, tag, warnings)?;
                pending.head.map = Some(Map::read(r).map_err(problem(tag))?);
            }
            "EXT-X-PROGRAM-DATE-TIME" => {
                let pdt = value
                    .map(str::trim)
                    .and_then(ProgramDateTime::parse)
                    .ok_or(ParseError::InvalidTag {
                        line,
                        tag: "EXT-X-PROGRAM-DATE-TIME",
                        reason: "not an RFC 3339 date-time",
                    })?;
                pending.head.program_date_time = Some(pdt);
            }
            "EXT-X-PART" => {
                let tag = "EXT-X-PART";
                let r = reader(value, line, tag, warnings)?;
                pending
                    .head
                    .parts
                    .push(Part::read(r).map_err(problem(tag))?);
            }
            other if MULTIVARIANT_PLAYLIST_TAGS.contains(&other) => {
                return Err(ParseError::MixedPlaylist {
                    line,
                    tag: tag_in(MULTIVARIANT_PLAYLIST_TAGS, other).unwrap_or("EXT-X-STREAM-INF"),
                    playlist: "media",
                });
            }
            other => {
                let tag = Tag::new(other, value.map(|v| v.trim().to_owned()));
                if MEDIA_PLAYLIST_WIDE_TAGS.contains(&other) {
                    playlist.other_tags.push(tag);
                } else {
                    pending.head.other_tags.push(tag);
                }
            }
        }
    }
    if let Some((line, tag)) = pending.needs_uri {
        return Err(ParseError::MissingUri { line, tag });
    }
    if !pending.head.is_empty() {
        playlist.partial_segment = Some(pending.head);
    }
    match (target_duration_line, first_extinf_line) {
        (Some(line), _) => {
            let longest = playlist
                .segments
                .iter()
                .map(|s| round_to_seconds(s.duration))
                .max()
                .unwrap_or(0);
            if playlist.target_duration < longest {
                warnings.push(
                    line,
                    Deviation::TargetDurationBelowSegment {
                        declared: playlist.target_duration,
                        longest,
                    },
                );
            }
        }
        (None, Some(line)) => warnings.push(line, Deviation::MissingTargetDuration),
        (None, None) => {}
    }
    if let (Some(line), Some(declared)) = (version_line, playlist.version) {
        let required = playlist.required_version();
        if declared < required {
            warnings.push(line, Deviation::VersionBelowFeatures { declared, required });
        }
    }
    Ok(playlist)
}
