//! The MPD document as text, before the model reads it: which elements
//! stand at its top level (an MPD has one, `<MPD>`; a remote-element
//! fragment has zero or more `<Period>` or `<EventStream>`), and the
//! attribute values the model cannot type, clamped and reported.
//!
//! The scan is one pass over the bytes: it skips the prolog, comments,
//! CDATA sections, processing instructions and declarations, reads start
//! tags with their attributes (quoted either way) and counts nesting. It
//! is not a validating parser (the model's deserializer is); it never
//! panics and holds nothing but the top-level names and the changes.

/// Something in the document that the model could not read as written,
/// and what the reader made of it instead of refusing the document.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum MpdWarning {
    /// A negative `@presentationTimeOffset` (found in the wild, for
    /// example in gap-handling test streams), which the model types as an
    /// unsigned integer. It is read as 0: the element's media times then
    /// map to the Period start `value` ticks (of its timescale) later than
    /// the document says.
    NegativePresentationTimeOffset {
        /// The element that carries it (`SegmentTemplate`, `SegmentBase`,
        /// `SegmentList`, `EventStream`), as written.
        element: String,
        /// Byte offset of the value in the text given to the parser.
        offset: usize,
        /// The value as written.
        value: i64,
    },
}

impl core::fmt::Display for MpdWarning {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            MpdWarning::NegativePresentationTimeOffset {
                element,
                offset,
                value,
            } => write!(
                f,
                "{element}@presentationTimeOffset=\"{value}\" at byte {offset} is negative; read as 0"
            ),
        }
    }
}

/// One element at the top level of the document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TopLevel {
    /// Its local name (without a namespace prefix).
    pub(crate) name: String,
    /// Byte offset of its `<`.
    pub(crate) offset: usize,
}

/// What a scan found.
#[derive(Debug, Default)]
pub(crate) struct Scanned {
    /// The top-level elements, in order.
    pub(crate) top_level: Vec<TopLevel>,
    /// Where the first top-level element starts (the prolog ends), or the
    /// text's length when there is none.
    pub(crate) body_start: usize,
    /// The text with every clamped value replaced, when any was.
    pub(crate) clamped: Option<String>,
    /// What was clamped.
    pub(crate) warnings: Vec<MpdWarning>,
}

impl Scanned {
    /// The text the model should read: `text`, or its clamped copy.
    pub(crate) fn text<'a>(&'a self, text: &'a str) -> &'a str {
        self.clamped.as_deref().unwrap_or(text)
    }
}

const CLAMPED_ATTRIBUTE: &[u8] = b"presentationTimeOffset";

/// Scans `text` (see the module docs).
pub(crate) fn scan(text: &str) -> Scanned {
    let bytes = text.as_bytes();
    let mut out = Scanned {
        body_start: bytes.len(),
        ..Scanned::default()
    };
    // (range of the value, replacement) of each clamped attribute.
    let mut replacements: Vec<core::ops::Range<usize>> = Vec::new();
    let mut depth: usize = 0;
    let mut pos = 0;
    while let Some(rel) = bytes
        .get(pos..)
        .and_then(|b| b.iter().position(|&c| c == b'<'))
    {
        let start = pos + rel;
        let rest = bytes.get(start..).unwrap_or(&[]);
        if rest.starts_with(b"<!--") {
            pos = skip_past(bytes, start + 4, b"-->");
        } else if rest.starts_with(b"<![CDATA[") {
            pos = skip_past(bytes, start + 9, b"]]>");
        } else if rest.starts_with(b"<?") {
            pos = skip_past(bytes, start + 2, b"?>");
        } else if rest.starts_with(b"<!") {
            pos = skip_declaration(bytes, start + 2);
        } else if rest.starts_with(b"</") {
            depth = depth.saturating_sub(1);
            pos = skip_past(bytes, start + 2, b">");
        } else {
            let tag = read_start_tag(bytes, start + 1);
            let name = text.get(tag.name.clone()).unwrap_or("");
            for attribute in &tag.attributes {
                if local_name(bytes.get(attribute.name.clone()).unwrap_or(&[])) != CLAMPED_ATTRIBUTE
                {
                    continue;
                }
                let raw = text.get(attribute.value.clone()).unwrap_or("");
                let trimmed = raw.trim();
                let negative = trimmed
                    .strip_prefix('-')
                    .is_some_and(|d| !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit()));
                if let (true, Ok(value)) = (negative, trimmed.parse::<i64>()) {
                    out.warnings
                        .push(MpdWarning::NegativePresentationTimeOffset {
                            element: name.to_owned(),
                            offset: attribute.value.start,
                            value,
                        });
                    replacements.push(attribute.value.clone());
                }
            }
            if depth == 0 {
                if out.top_level.is_empty() {
                    out.body_start = start;
                }
                let local = local_name(name.as_bytes());
                out.top_level.push(TopLevel {
                    name: String::from_utf8_lossy(local).into_owned(),
                    offset: start,
                });
            }
            if !tag.self_closing {
                depth += 1;
            }
            pos = tag.end;
        }
    }
    if !replacements.is_empty() {
        let mut clamped = String::with_capacity(text.len());
        let mut at = 0;
        for range in &replacements {
            clamped.push_str(text.get(at..range.start).unwrap_or(""));
            clamped.push('0');
            at = range.end;
        }
        clamped.push_str(text.get(at..).unwrap_or(""));
        out.clamped = Some(clamped);
    }
    out
}

/// Checks the top-level elements: each is `expected`; there is exactly
/// one unless `many` (a remote-element fragment holds zero or more). An
/// MPD without any element is left to the model, which says what it
/// lacks.
pub(crate) fn expect_roots(
    scanned: &Scanned,
    expected: &'static str,
    many: bool,
) -> Result<(), crate::error::DashError> {
    let offending = scanned
        .top_level
        .iter()
        .enumerate()
        .find(|(i, t)| t.name != expected || (!many && *i > 0));
    match offending {
        Some((_, t)) => Err(crate::error::DashError::UnexpectedRoot {
            found: t.name.clone(),
            offset: t.offset,
            expected,
        }),
        None => Ok(()),
    }
}

/// The name after a namespace prefix (`xlink:href` -> `href`).
fn local_name(name: &[u8]) -> &[u8] {
    match name.iter().position(|&b| b == b':') {
        Some(colon) => name.get(colon + 1..).unwrap_or(&[]),
        None => name,
    }
}

/// The position after the first `end` at or after `from` (the text's end
/// when there is none).
fn skip_past(bytes: &[u8], from: usize, end: &[u8]) -> usize {
    bytes
        .get(from..)
        .and_then(|b| b.windows(end.len()).position(|w| w == end))
        .map_or(bytes.len(), |i| from + i + end.len())
}

/// The position after a `<!...>` declaration (a DOCTYPE with an internal
/// subset in brackets included).
fn skip_declaration(bytes: &[u8], from: usize) -> usize {
    let mut brackets = 0usize;
    let mut quote = None;
    for (i, &b) in bytes.iter().enumerate().skip(from) {
        match (quote, b) {
            (Some(q), _) if b == q => quote = None,
            (Some(_), _) => {}
            (None, b'"' | b'\'') => quote = Some(b),
            (None, b'[') => brackets += 1,
            (None, b']') => brackets = brackets.saturating_sub(1),
            (None, b'>') if brackets == 0 => return i + 1,
            _ => {}
        }
    }
    bytes.len()
}

struct StartTag {
    name: core::ops::Range<usize>,
    attributes: Vec<AttributeSpan>,
    self_closing: bool,
    /// The position after its `>`.
    end: usize,
}

struct AttributeSpan {
    name: core::ops::Range<usize>,
    /// The value between its quotes.
    value: core::ops::Range<usize>,
}

fn is_name_end(b: u8) -> bool {
    b.is_ascii_whitespace() || matches!(b, b'/' | b'>' | b'=')
}

/// Reads a start tag from just after its `<`.
fn read_start_tag(bytes: &[u8], from: usize) -> StartTag {
    let at = |i: usize| bytes.get(i).copied();
    let mut pos = from;
    while at(pos).is_some_and(|b| !is_name_end(b)) {
        pos += 1;
    }
    let name = from..pos;
    let mut attributes = Vec::new();
    loop {
        while at(pos).is_some_and(|b| b.is_ascii_whitespace()) {
            pos += 1;
        }
        match at(pos) {
            None => {
                return StartTag {
                    name,
                    attributes,
                    self_closing: false,
                    end: bytes.len(),
                };
            }
            Some(b'>') => {
                return StartTag {
                    name,
                    attributes,
                    self_closing: false,
                    end: pos + 1,
                };
            }
            Some(b'/') if at(pos + 1) == Some(b'>') => {
                return StartTag {
                    name,
                    attributes,
                    self_closing: true,
                    end: pos + 2,
                };
            }
            Some(_) => {}
        }
        let name_start = pos;
        while at(pos).is_some_and(|b| !is_name_end(b)) {
            pos += 1;
        }
        let attribute_name = name_start..pos;
        while at(pos).is_some_and(|b| b.is_ascii_whitespace()) {
            pos += 1;
        }
        if at(pos) != Some(b'=') {
            // Not well formed (a name without a value, a stray '/'): go on
            // from here (past the byte when no name was read); the model
            // will refuse it.
            if pos == name_start {
                pos += 1;
            }
            continue;
        }
        pos += 1;
        while at(pos).is_some_and(|b| b.is_ascii_whitespace()) {
            pos += 1;
        }
        // An unquoted value (not well formed) is read on from, as names.
        if let Some(q @ (b'"' | b'\'')) = at(pos) {
            let value_start = pos + 1;
            let value_end = bytes
                .get(value_start..)
                .and_then(|b| b.iter().position(|&c| c == q))
                .map_or(bytes.len(), |i| value_start + i);
            attributes.push(AttributeSpan {
                name: attribute_name,
                value: value_start..value_end,
            });
            pos = value_end + 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(s: &Scanned) -> Vec<&str> {
        s.top_level.iter().map(|t| t.name.as_str()).collect()
    }

    #[test]
    fn top_level_elements_past_the_prolog() {
        let text = "\u{feff}<?xml version=\"1.0\"?>\n<!-- <Period> in a comment -->\n\
            <!DOCTYPE MPD [<!ENTITY x \"<y>\">]>\n<mpd:MPD a='1>2'><Period><![CDATA[</Period><X>]]></Period>\
            <EventStream schemeIdUri=\"s\"/></mpd:MPD>";
        let s = scan(text);
        assert_eq!(names(&s), ["MPD"]);
        assert_eq!(s.body_start, text.find("<mpd:MPD").unwrap());
        let s = scan("<Period id=\"1\"/>\n<Period id=\"2\"><AdaptationSet/></Period>");
        assert_eq!(names(&s), ["Period", "Period"]);
        assert_eq!(s.top_level[1].offset, 17);
        assert_eq!(names(&scan("")), Vec::<&str>::new());
        assert_eq!(scan("no markup").body_start, 9);
    }

    #[test]
    fn negative_presentation_time_offsets_are_clamped() {
        let text = "<MPD><Period><AdaptationSet>\
            <SegmentTemplate timescale=\"1000\" presentationTimeOffset = '-5000' media=\"$Number$\"/>\
            <SegmentBase presentationTimeOffset=\"12\"/>\
            </AdaptationSet><EventStream presentationTimeOffset=\" -7 \"/></Period></MPD>";
        let s = scan(text);
        let clamped = s.clamped.as_deref().unwrap();
        assert!(clamped.contains("presentationTimeOffset = '0' media"));
        assert!(clamped.contains("presentationTimeOffset=\"12\""));
        assert!(clamped.contains("<EventStream presentationTimeOffset=\"0\"/>"));
        assert_eq!(
            s.warnings,
            [
                MpdWarning::NegativePresentationTimeOffset {
                    element: "SegmentTemplate".into(),
                    offset: text.find("-5000").unwrap(),
                    value: -5000
                },
                MpdWarning::NegativePresentationTimeOffset {
                    element: "EventStream".into(),
                    offset: text.find(" -7 ").unwrap(),
                    value: -7
                }
            ]
        );
        // Not an attribute: text content and comments are left alone, and
        // so are values that are no negative integer.
        let text = "<MPD><!-- presentationTimeOffset=\"-1\" --><Title>presentationTimeOffset=\"-1\"</Title>\
            <SegmentTemplate presentationTimeOffset=\"-x\"/></MPD>";
        let s = scan(text);
        assert!(s.clamped.is_none() && s.warnings.is_empty());
    }

    #[test]
    fn arbitrary_text_never_panics() {
        for text in [
            "<",
            "<!",
            "<!--",
            "<![CDATA[",
            "<?",
            "</",
            "<a",
            "<a b",
            "<a b=",
            "<a b='",
            "<a b=\"x",
            "<a/",
            "<a b=c>",
            "<a =>",
            "<!DOCTYPE [",
            "<a presentationTimeOffset='-1",
            "<a presentationTimeOffset='-99999999999999999999'/>",
            "\u{e9}<\u{e9} \u{e9}='\u{e9}'>",
        ] {
            let s = scan(text);
            let _ = s.text(text);
        }
    }
}
