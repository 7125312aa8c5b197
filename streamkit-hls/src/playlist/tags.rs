//! Typed tags: EXT-X-KEY, EXT-X-MAP, the low-latency tags
//! (EXT-X-SERVER-CONTROL, EXT-X-PART-INF, EXT-X-PART, EXT-X-PRELOAD-HINT,
//! EXT-X-RENDITION-REPORT, EXT-X-SKIP), and [`Tag`] for every other tag,
//! kept as written.
//!
//! Each typed tag keeps the attributes it does not know in
//! `other_attributes`, and writes them after its own.

use std::fmt::Write as _;
use std::time::Duration;

use super::attribute::{AttributeList, AttributeValue, is_enumerated_text};
use super::error::WriteError;
use super::value::{ByteRange, parse_decimal_integer, parse_seconds, push_u64, write_seconds};
use super::warning::{Deviation, Warnings};

// ---------------------------------------------------------------------------
// Which tag belongs where: the one table both playlist kinds read.
// ---------------------------------------------------------------------------

/// Tags that only a media playlist has.
pub(crate) const MEDIA_PLAYLIST_TAGS: &[&str] = &[
    "EXTINF",
    "EXT-X-TARGETDURATION",
    "EXT-X-MEDIA-SEQUENCE",
    "EXT-X-DISCONTINUITY-SEQUENCE",
    "EXT-X-ENDLIST",
    "EXT-X-PLAYLIST-TYPE",
    "EXT-X-I-FRAMES-ONLY",
    "EXT-X-BYTERANGE",
    "EXT-X-DISCONTINUITY",
    "EXT-X-KEY",
    "EXT-X-MAP",
    "EXT-X-PROGRAM-DATE-TIME",
    "EXT-X-DATERANGE",
    "EXT-X-GAP",
    "EXT-X-BITRATE",
    "EXT-X-PART",
    "EXT-X-PART-INF",
    "EXT-X-SERVER-CONTROL",
    "EXT-X-SKIP",
    "EXT-X-PRELOAD-HINT",
    "EXT-X-RENDITION-REPORT",
];

/// Untyped tags that describe the whole playlist rather than the next
/// segment.
pub(crate) const MEDIA_PLAYLIST_WIDE_TAGS: &[&str] =
    &["EXT-X-START", "EXT-X-DEFINE", "EXT-X-ALLOW-CACHE"];

/// Tags that only a multivariant playlist has.
pub(crate) const MULTIVARIANT_PLAYLIST_TAGS: &[&str] = &[
    "EXT-X-STREAM-INF",
    "EXT-X-I-FRAME-STREAM-INF",
    "EXT-X-MEDIA",
    "EXT-X-SESSION-DATA",
    "EXT-X-SESSION-KEY",
    "EXT-X-CONTENT-STEERING",
];

/// The multivariant playlist tags this crate types: written from their
/// fields, never from a [`Tag`].
pub(crate) const MULTIVARIANT_TYPED_TAGS: &[&str] = &[
    "EXT-X-STREAM-INF",
    "EXT-X-I-FRAME-STREAM-INF",
    "EXT-X-MEDIA",
];

/// `name` as it stands in `table`, with the table's `'static` lifetime.
pub(crate) fn tag_in(table: &[&'static str], name: &str) -> Option<&'static str> {
    table.iter().find(|t| **t == name).copied()
}

/// What went wrong reading one attribute of a typed tag.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct AttributeProblem {
    pub(crate) attribute: &'static str,
    pub(crate) reason: &'static str,
}

type Read<T> = Result<T, AttributeProblem>;

fn problem(attribute: &'static str, reason: &'static str) -> AttributeProblem {
    AttributeProblem { attribute, reason }
}

/// Typed reads out of an attribute list; each read removes the attribute,
/// so what is left at the end is the unknown remainder. Deviations it
/// accepts go to `warnings`, on the tag's line.
pub(crate) struct Reader<'w> {
    pub(crate) list: AttributeList,
    tag: &'static str,
    line: usize,
    warnings: &'w mut Warnings,
}

impl<'w> Reader<'w> {
    pub(crate) fn new(
        list: AttributeList,
        line: usize,
        tag: &'static str,
        warnings: &'w mut Warnings,
    ) -> Reader<'w> {
        Reader {
            list,
            tag,
            line,
            warnings,
        }
    }

    /// Records that `attribute` came in quotes although its kind is
    /// written unquoted.
    pub(crate) fn quoted_value(&mut self, attribute: &'static str) {
        let tag = self.tag;
        self.warnings
            .push(self.line, Deviation::QuotedValue { tag, attribute });
    }

    fn warn(&mut self, deviation: Deviation) {
        self.warnings.push(self.line, deviation);
    }

    pub(crate) fn quoted(&mut self, name: &'static str) -> Read<Option<String>> {
        match self.list.take(name) {
            None => Ok(None),
            Some(AttributeValue::QuotedString(s)) => Ok(Some(s)),
            Some(_) => Err(problem(name, "not a quoted-string")),
        }
    }

    pub(crate) fn required_quoted(&mut self, name: &'static str) -> Read<String> {
        self.quoted(name)?.ok_or(problem(name, "missing"))
    }

    pub(crate) fn integer(&mut self, name: &'static str) -> Read<Option<u64>> {
        const NOT: &str = "not a decimal-integer";
        match self.list.take(name) {
            None => Ok(None),
            Some(AttributeValue::DecimalInteger(n)) => Ok(Some(n)),
            // Lenient: a quoted number (`BANDWIDTH="1280000"`) means the
            // same; quoted text that is no number is an error.
            Some(AttributeValue::QuotedString(s)) => {
                let n = parse_decimal_integer(s.trim()).ok_or(problem(name, NOT))?;
                self.quoted_value(name);
                Ok(Some(n))
            }
            Some(_) => Err(problem(name, NOT)),
        }
    }

    pub(crate) fn seconds(&mut self, name: &'static str) -> Read<Option<Duration>> {
        const NOT: &str = "not a non-negative decimal-floating-point";
        match self.list.take(name) {
            None => Ok(None),
            Some(AttributeValue::QuotedString(s)) => {
                let d = parse_seconds(s.trim()).ok_or(problem(name, NOT))?;
                self.quoted_value(name);
                Ok(Some(d))
            }
            Some(v) => v
                .number_text()
                .as_deref()
                .and_then(parse_seconds)
                .map(Some)
                .ok_or(problem(name, NOT)),
        }
    }

    pub(crate) fn enumerated(&mut self, name: &'static str) -> Read<Option<String>> {
        match self.list.take(name) {
            None => Ok(None),
            Some(AttributeValue::Enumerated(s)) => Ok(Some(s)),
            // Lenient: a quoted enumerated value (`TYPE="AUDIO"`) means the same.
            Some(AttributeValue::QuotedString(s)) if is_enumerated_text(&s) => {
                self.quoted_value(name);
                Ok(Some(s))
            }
            Some(_) => Err(problem(name, "not an enumerated-string")),
        }
    }

    /// A 128-bit hexadecimal-sequence (EXT-X-KEY IV). Lenient where the
    /// value can only mean one thing: quoted (`IV="0x…"`), with a stray
    /// quote on one side (`IV=0x…"`), or 32 hexadecimal digits without
    /// `0x`. A shorter value without `0x` is an error: players read it
    /// differently (as hexadecimal with its first two digits dropped, or
    /// not at all).
    pub(crate) fn hex_128(&mut self, name: &'static str) -> Read<Option<u128>> {
        const NOT: &str = "not a 128-bit hexadecimal-sequence";
        let text = match self.list.take(name) {
            None => return Ok(None),
            Some(AttributeValue::Hexadecimal(bytes)) => return bytes_to_u128(&bytes).map(Some),
            Some(AttributeValue::QuotedString(s)) => {
                self.quoted_value(name);
                s
            }
            Some(AttributeValue::Enumerated(s)) => s,
            Some(_) => return Err(problem(name, NOT)),
        };
        let text = text.trim();
        let unquoted = text.trim_matches('"');
        if unquoted.len() != text.len() {
            let tag = self.tag;
            self.warn(Deviation::StrayQuote {
                tag,
                attribute: name,
            });
        }
        if let Some(hex) = unquoted
            .strip_prefix("0x")
            .or_else(|| unquoted.strip_prefix("0X"))
        {
            let bytes = super::attribute::parse_hex(hex).ok_or(problem(name, NOT))?;
            return bytes_to_u128(&bytes).map(Some);
        }
        if unquoted.len() == 32 && unquoted.bytes().all(|b| b.is_ascii_hexdigit()) {
            let value = u128::from_str_radix(unquoted, 16).map_err(|_| problem(name, NOT))?;
            let tag = self.tag;
            self.warn(Deviation::HexWithoutPrefix {
                tag,
                attribute: name,
            });
            return Ok(Some(value));
        }
        Err(problem(name, NOT))
    }

    pub(crate) fn yes_no(&mut self, name: &'static str) -> Read<bool> {
        match self.enumerated(name)?.as_deref() {
            None | Some("NO") => Ok(false),
            Some("YES") => Ok(true),
            Some(_) => Err(problem(name, "neither YES nor NO")),
        }
    }

    pub(crate) fn byte_range(&mut self, name: &'static str) -> Read<Option<ByteRange>> {
        match self.quoted(name)? {
            None => Ok(None),
            Some(s) => ByteRange::parse(&s)
                .map(Some)
                .ok_or(problem(name, "not a byte range <n>[@<o>]")),
        }
    }

    pub(crate) fn finish(self) -> AttributeList {
        self.list
    }
}

fn bytes_to_u128(bytes: &[u8]) -> Read<u128> {
    if bytes.len() > 16 {
        return Err(problem("IV", "not a 128-bit hexadecimal-sequence"));
    }
    Ok(bytes
        .iter()
        .fold(0u128, |acc, b| (acc << 8) | u128::from(*b)))
}

/// Builds an attribute list in the order the tag's fields come, then the
/// unknown ones.
pub(crate) struct Writer<'a> {
    pub(crate) out: &'a mut String,
    pub(crate) first: bool,
    pub(crate) what: &'static str,
}

impl<'a> Writer<'a> {
    pub(crate) fn new(out: &'a mut String, what: &'static str) -> Writer<'a> {
        Writer {
            out,
            first: true,
            what,
        }
    }

    fn name(&mut self, name: &str) {
        if !self.first {
            self.out.push(',');
        }
        self.first = false;
        self.out.push_str(name);
        self.out.push('=');
    }

    pub(crate) fn quoted(&mut self, name: &str, value: &str) -> Result<(), WriteError> {
        if value.bytes().any(|b| matches!(b, b'"' | b'\r' | b'\n')) {
            return Err(WriteError::InvalidText {
                what: self.what,
                reason: "a quoted-string contains '\"' or a line break",
            });
        }
        self.name(name);
        self.out.push('"');
        self.out.push_str(value);
        self.out.push('"');
        Ok(())
    }

    pub(crate) fn integer(&mut self, name: &str, value: u64) {
        self.name(name);
        push_u64(self.out, value);
    }

    pub(crate) fn seconds(&mut self, name: &str, value: Duration) {
        self.name(name);
        write_seconds(self.out, value);
    }

    pub(crate) fn enumerated(&mut self, name: &str, value: &str) -> Result<(), WriteError> {
        if !is_enumerated_text(value) {
            return Err(WriteError::InvalidText {
                what: self.what,
                reason: "an enumerated-string is empty or has ',', '\"' or whitespace",
            });
        }
        self.name(name);
        self.out.push_str(value);
        Ok(())
    }

    pub(crate) fn raw(&mut self, name: &str, value: std::fmt::Arguments<'_>) {
        self.name(name);
        let _ = self.out.write_fmt(value);
    }

    pub(crate) fn byte_range(&mut self, name: &str, value: &ByteRange) {
        self.name(name);
        self.out.push('"');
        value.write(self.out);
        self.out.push('"');
    }

    pub(crate) fn others(&mut self, list: &AttributeList) -> Result<(), WriteError> {
        if !list.is_writable() {
            return Err(WriteError::InvalidText {
                what: self.what,
                reason: "an unknown attribute's name or value cannot be written back",
            });
        }
        for a in &list.attributes {
            self.name(&a.name);
            let _ = write!(self.out, "{}", a.value);
        }
        Ok(())
    }
}

/// Any tag kept as written: `#NAME` or `#NAME:value`.
///
/// Used for the tags this crate does not type (EXT-X-DATERANGE,
/// EXT-X-START, EXT-X-DEFINE, EXT-X-SESSION-DATA, vendor tags such as
/// EXT-X-CUE-OUT), so that they survive a read and write.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Tag {
    /// The tag name without `#` (`EXT-X-DATERANGE`).
    pub name: String,
    /// Everything after the first `:`, if there is one.
    pub value: Option<String>,
}

impl Tag {
    /// A tag with a value.
    #[must_use]
    pub fn new(name: impl Into<String>, value: Option<String>) -> Tag {
        Tag {
            name: name.into(),
            value,
        }
    }

    /// The value read as an attribute list, for tags that have one.
    #[must_use]
    pub fn attributes(&self) -> Option<AttributeList> {
        AttributeList::parse(self.value.as_deref()?).ok()
    }

    pub(crate) fn write(&self, out: &mut String) -> Result<(), WriteError> {
        let name_ok = self.name.starts_with("EXT")
            && !self.name.is_empty()
            && !self
                .name
                .chars()
                .any(|c| c == ':' || c.is_whitespace() || c.is_control());
        if !name_ok {
            return Err(WriteError::InvalidText {
                what: "tag name",
                reason: "not an EXT tag name (starts with EXT, no ':' or whitespace)",
            });
        }
        if matches!(
            self.name.as_str(),
            "EXTM3U" | "EXT-X-VERSION" | "EXT-X-INDEPENDENT-SEGMENTS"
        ) {
            return Err(WriteError::InvalidText {
                what: "tag name",
                reason: "EXTM3U, EXT-X-VERSION and EXT-X-INDEPENDENT-SEGMENTS are written from their fields",
            });
        }
        if self
            .value
            .as_deref()
            .is_some_and(|v| v.contains(['\r', '\n']) || v.trim() != v)
        {
            return Err(WriteError::InvalidText {
                what: "tag value",
                reason: "contains a line break or surrounding whitespace",
            });
        }
        out.push('#');
        out.push_str(&self.name);
        if let Some(v) = &self.value {
            out.push(':');
            out.push_str(v);
        }
        out.push('\n');
        Ok(())
    }
}

/// The METHOD of an EXT-X-KEY.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum KeyMethod {
    /// `NONE`: segments are not encrypted.
    None,
    /// `AES-128`: whole segments encrypted with AES-128 CBC.
    Aes128,
    /// `SAMPLE-AES`: samples encrypted inside the container.
    SampleAes,
    /// Another method (`SAMPLE-AES-CTR`, ...), as written.
    Other(String),
}

impl KeyMethod {
    fn parse(s: &str) -> KeyMethod {
        match s {
            "NONE" => KeyMethod::None,
            "AES-128" => KeyMethod::Aes128,
            "SAMPLE-AES" => KeyMethod::SampleAes,
            other => KeyMethod::Other(other.to_owned()),
        }
    }

    fn as_str(&self) -> &str {
        match self {
            KeyMethod::None => "NONE",
            KeyMethod::Aes128 => "AES-128",
            KeyMethod::SampleAes => "SAMPLE-AES",
            KeyMethod::Other(s) => s,
        }
    }
}

/// EXT-X-KEY: how the following segments are encrypted.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Key {
    /// METHOD.
    pub method: KeyMethod,
    /// URI of the key.
    pub uri: Option<String>,
    /// IV, a 128-bit initialization vector (needs protocol version 2).
    pub iv: Option<u128>,
    /// KEYFORMAT (needs version 5).
    pub key_format: Option<String>,
    /// KEYFORMATVERSIONS (needs version 5).
    pub key_format_versions: Option<String>,
    /// Attributes this crate does not type.
    pub other_attributes: AttributeList,
}

impl Key {
    pub(crate) fn read(mut r: Reader<'_>) -> Read<Key> {
        let method = r
            .enumerated("METHOD")?
            .ok_or(problem("METHOD", "missing"))?;
        let uri = r.quoted("URI")?;
        let iv = r.hex_128("IV")?;
        Ok(Key {
            method: KeyMethod::parse(&method),
            uri,
            iv,
            key_format: r.quoted("KEYFORMAT")?,
            key_format_versions: r.quoted("KEYFORMATVERSIONS")?,
            other_attributes: r.finish(),
        })
    }

    pub(crate) fn write(&self, out: &mut String) -> Result<(), WriteError> {
        out.push_str("#EXT-X-KEY:");
        let mut w = Writer::new(out, "EXT-X-KEY");
        w.enumerated("METHOD", self.method.as_str())?;
        if let Some(uri) = &self.uri {
            w.quoted("URI", uri)?;
        }
        if let Some(iv) = self.iv {
            w.raw("IV", format_args!("0x{iv:032X}"));
        }
        if let Some(f) = &self.key_format {
            w.quoted("KEYFORMAT", f)?;
        }
        if let Some(v) = &self.key_format_versions {
            w.quoted("KEYFORMATVERSIONS", v)?;
        }
        w.others(&self.other_attributes)?;
        out.push('\n');
        Ok(())
    }
}

/// EXT-X-MAP: the Media Initialization Section (the fMP4 init segment) of
/// the following segments.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Map {
    /// URI of the init section.
    pub uri: String,
    /// Its byte range within that resource.
    pub byte_range: Option<ByteRange>,
    /// Attributes this crate does not type.
    pub other_attributes: AttributeList,
}

impl Map {
    /// An init section at `uri`.
    #[must_use]
    pub fn new(uri: impl Into<String>) -> Map {
        Map {
            uri: uri.into(),
            byte_range: None,
            other_attributes: AttributeList::new(),
        }
    }

    pub(crate) fn read(mut r: Reader<'_>) -> Read<Map> {
        Ok(Map {
            uri: r.required_quoted("URI")?,
            byte_range: r.byte_range("BYTERANGE")?,
            other_attributes: r.finish(),
        })
    }

    pub(crate) fn write(&self, out: &mut String) -> Result<(), WriteError> {
        out.push_str("#EXT-X-MAP:");
        let mut w = Writer::new(out, "EXT-X-MAP");
        w.quoted("URI", &self.uri)?;
        if let Some(range) = &self.byte_range {
            w.byte_range("BYTERANGE", range);
        }
        w.others(&self.other_attributes)?;
        out.push('\n');
        Ok(())
    }
}

/// EXT-X-SERVER-CONTROL: what the server can do for low-latency clients.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct ServerControl {
    /// CAN-BLOCK-RELOAD=YES: the server holds playlist requests with
    /// `_HLS_msn` / `_HLS_part` until they can be answered.
    pub can_block_reload: bool,
    /// CAN-SKIP-UNTIL: the Skip Boundary for delta updates.
    pub can_skip_until: Option<Duration>,
    /// CAN-SKIP-DATERANGES=YES: delta updates can also skip EXT-X-DATERANGE
    /// tags (`_HLS_skip=v2`).
    pub can_skip_dateranges: bool,
    /// HOLD-BACK: the minimum distance from the live edge to start playing.
    pub hold_back: Option<Duration>,
    /// PART-HOLD-BACK: the same in low-latency mode.
    pub part_hold_back: Option<Duration>,
    /// Attributes this crate does not type.
    pub other_attributes: AttributeList,
}

impl ServerControl {
    pub(crate) fn read(mut r: Reader<'_>) -> Read<ServerControl> {
        Ok(ServerControl {
            can_block_reload: r.yes_no("CAN-BLOCK-RELOAD")?,
            can_skip_until: r.seconds("CAN-SKIP-UNTIL")?,
            can_skip_dateranges: r.yes_no("CAN-SKIP-DATERANGES")?,
            hold_back: r.seconds("HOLD-BACK")?,
            part_hold_back: r.seconds("PART-HOLD-BACK")?,
            other_attributes: r.finish(),
        })
    }

    pub(crate) fn write(&self, out: &mut String) -> Result<(), WriteError> {
        out.push_str("#EXT-X-SERVER-CONTROL:");
        let mut w = Writer::new(out, "EXT-X-SERVER-CONTROL");
        if self.can_block_reload {
            w.enumerated("CAN-BLOCK-RELOAD", "YES")?;
        }
        if let Some(d) = self.can_skip_until {
            w.seconds("CAN-SKIP-UNTIL", d);
        }
        if self.can_skip_dateranges {
            w.enumerated("CAN-SKIP-DATERANGES", "YES")?;
        }
        if let Some(d) = self.hold_back {
            w.seconds("HOLD-BACK", d);
        }
        if let Some(d) = self.part_hold_back {
            w.seconds("PART-HOLD-BACK", d);
        }
        w.others(&self.other_attributes)?;
        out.push('\n');
        Ok(())
    }
}

/// EXT-X-PART-INF: the Part Target Duration.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PartInf {
    /// PART-TARGET: the maximum duration of a partial segment.
    pub part_target: Duration,
    /// Attributes this crate does not type.
    pub other_attributes: AttributeList,
}

impl PartInf {
    /// A part target of `part_target`.
    #[must_use]
    pub fn new(part_target: Duration) -> PartInf {
        PartInf {
            part_target,
            other_attributes: AttributeList::new(),
        }
    }

    pub(crate) fn read(mut r: Reader<'_>) -> Read<PartInf> {
        Ok(PartInf {
            part_target: r
                .seconds("PART-TARGET")?
                .ok_or(problem("PART-TARGET", "missing"))?,
            other_attributes: r.finish(),
        })
    }

    pub(crate) fn write(&self, out: &mut String) -> Result<(), WriteError> {
        out.push_str("#EXT-X-PART-INF:");
        let mut w = Writer::new(out, "EXT-X-PART-INF");
        w.seconds("PART-TARGET", self.part_target);
        w.others(&self.other_attributes)?;
        out.push('\n');
        Ok(())
    }
}

/// EXT-X-PART: one partial segment.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Part {
    /// DURATION.
    pub duration: Duration,
    /// URI.
    pub uri: String,
    /// INDEPENDENT=YES: the part starts with an independent frame.
    pub independent: bool,
    /// BYTERANGE within the resource at `uri`.
    pub byte_range: Option<ByteRange>,
    /// GAP=YES: the part is not available.
    pub gap: bool,
    /// Attributes this crate does not type.
    pub other_attributes: AttributeList,
}

impl Part {
    /// A part of `duration` at `uri`.
    #[must_use]
    pub fn new(duration: Duration, uri: impl Into<String>) -> Part {
        Part {
            duration,
            uri: uri.into(),
            independent: false,
            byte_range: None,
            gap: false,
            other_attributes: AttributeList::new(),
        }
    }

    pub(crate) fn read(mut r: Reader<'_>) -> Read<Part> {
        Ok(Part {
            duration: r
                .seconds("DURATION")?
                .ok_or(problem("DURATION", "missing"))?,
            uri: r.required_quoted("URI")?,
            independent: r.yes_no("INDEPENDENT")?,
            byte_range: r.byte_range("BYTERANGE")?,
            gap: r.yes_no("GAP")?,
            other_attributes: r.finish(),
        })
    }

    pub(crate) fn write(&self, out: &mut String) -> Result<(), WriteError> {
        out.push_str("#EXT-X-PART:");
        let mut w = Writer::new(out, "EXT-X-PART");
        w.seconds("DURATION", self.duration);
        w.quoted("URI", &self.uri)?;
        if self.independent {
            w.enumerated("INDEPENDENT", "YES")?;
        }
        if let Some(range) = &self.byte_range {
            w.byte_range("BYTERANGE", range);
        }
        if self.gap {
            w.enumerated("GAP", "YES")?;
        }
        w.others(&self.other_attributes)?;
        out.push('\n');
        Ok(())
    }
}

/// The TYPE of an EXT-X-PRELOAD-HINT.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum PreloadHintType {
    /// `PART`: the next partial segment.
    Part,
    /// `MAP`: the next Media Initialization Section.
    Map,
    /// Another type, as written (clients ignore hints they don't know).
    Other(String),
}

/// EXT-X-PRELOAD-HINT: a resource the client can request before it exists.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PreloadHint {
    /// TYPE.
    pub hint_type: PreloadHintType,
    /// URI.
    pub uri: String,
    /// BYTERANGE-START: where the hinted bytes start (0 when absent).
    pub byte_range_start: Option<u64>,
    /// BYTERANGE-LENGTH: how many bytes (to the end when absent).
    pub byte_range_length: Option<u64>,
    /// Attributes this crate does not type.
    pub other_attributes: AttributeList,
}

impl PreloadHint {
    /// A hint of the next part at `uri`.
    #[must_use]
    pub fn part(uri: impl Into<String>) -> PreloadHint {
        PreloadHint {
            hint_type: PreloadHintType::Part,
            uri: uri.into(),
            byte_range_start: None,
            byte_range_length: None,
            other_attributes: AttributeList::new(),
        }
    }

    pub(crate) fn read(mut r: Reader<'_>) -> Read<PreloadHint> {
        let hint_type = match r.enumerated("TYPE")?.as_deref() {
            None => return Err(problem("TYPE", "missing")),
            Some("PART") => PreloadHintType::Part,
            Some("MAP") => PreloadHintType::Map,
            Some(other) => PreloadHintType::Other(other.to_owned()),
        };
        Ok(PreloadHint {
            hint_type,
            uri: r.required_quoted("URI")?,
            byte_range_start: r.integer("BYTERANGE-START")?,
            byte_range_length: r.integer("BYTERANGE-LENGTH")?,
            other_attributes: r.finish(),
        })
    }

    pub(crate) fn write(&self, out: &mut String) -> Result<(), WriteError> {
        out.push_str("#EXT-X-PRELOAD-HINT:");
        let mut w = Writer::new(out, "EXT-X-PRELOAD-HINT");
        let kind = match &self.hint_type {
            PreloadHintType::Part => "PART",
            PreloadHintType::Map => "MAP",
            PreloadHintType::Other(s) => s,
        };
        w.enumerated("TYPE", kind)?;
        w.quoted("URI", &self.uri)?;
        if let Some(n) = self.byte_range_start {
            w.integer("BYTERANGE-START", n);
        }
        if let Some(n) = self.byte_range_length {
            w.integer("BYTERANGE-LENGTH", n);
        }
        w.others(&self.other_attributes)?;
        out.push('\n');
        Ok(())
    }
}

/// EXT-X-RENDITION-REPORT: where another rendition's live edge is.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RenditionReport {
    /// URI of the other rendition's media playlist.
    pub uri: String,
    /// LAST-MSN: its last media sequence number.
    pub last_msn: Option<u64>,
    /// LAST-PART: its last part index in that segment.
    pub last_part: Option<u64>,
    /// Attributes this crate does not type.
    pub other_attributes: AttributeList,
}

impl RenditionReport {
    pub(crate) fn read(mut r: Reader<'_>) -> Read<RenditionReport> {
        Ok(RenditionReport {
            uri: r.required_quoted("URI")?,
            last_msn: r.integer("LAST-MSN")?,
            last_part: r.integer("LAST-PART")?,
            other_attributes: r.finish(),
        })
    }

    pub(crate) fn write(&self, out: &mut String) -> Result<(), WriteError> {
        out.push_str("#EXT-X-RENDITION-REPORT:");
        let mut w = Writer::new(out, "EXT-X-RENDITION-REPORT");
        w.quoted("URI", &self.uri)?;
        if let Some(n) = self.last_msn {
            w.integer("LAST-MSN", n);
        }
        if let Some(n) = self.last_part {
            w.integer("LAST-PART", n);
        }
        w.others(&self.other_attributes)?;
        out.push('\n');
        Ok(())
    }
}

/// EXT-X-SKIP: the segments a Playlist Delta Update leaves out.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct Skip {
    /// SKIPPED-SEGMENTS.
    pub skipped_segments: u64,
    /// RECENTLY-REMOVED-DATERANGES: IDs of EXT-X-DATERANGE tags removed
    /// from the playlist (needs protocol version 10).
    pub recently_removed_dateranges: Option<Vec<String>>,
    /// Attributes this crate does not type.
    pub other_attributes: AttributeList,
}

impl Skip {
    pub(crate) fn read(mut r: Reader<'_>) -> Read<Skip> {
        let skipped_segments = r
            .integer("SKIPPED-SEGMENTS")?
            .ok_or(problem("SKIPPED-SEGMENTS", "missing"))?;
        let recently_removed_dateranges = r.quoted("RECENTLY-REMOVED-DATERANGES")?.map(|s| {
            if s.is_empty() {
                Vec::new()
            } else {
                s.split('\t').map(str::to_owned).collect()
            }
        });
        Ok(Skip {
            skipped_segments,
            recently_removed_dateranges,
            other_attributes: r.finish(),
        })
    }

    pub(crate) fn write(&self, out: &mut String) -> Result<(), WriteError> {
        out.push_str("#EXT-X-SKIP:");
        let mut w = Writer::new(out, "EXT-X-SKIP");
        w.integer("SKIPPED-SEGMENTS", self.skipped_segments);
        if let Some(ids) = &self.recently_removed_dateranges {
            if ids.iter().any(|id| id.is_empty() || id.contains('\t')) {
                return Err(WriteError::InvalidText {
                    what: "EXT-X-SKIP RECENTLY-REMOVED-DATERANGES",
                    reason: "an ID is empty or contains a tab",
                });
            }
            w.quoted("RECENTLY-REMOVED-DATERANGES", &ids.join("\t"))?;
        }
        w.others(&self.other_attributes)?;
        out.push('\n');
        Ok(())
    }
}
