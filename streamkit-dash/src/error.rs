//! The error type of every fallible operation in this crate.

/// What went wrong reading, writing or resolving an MPD.
///
/// Each variant says what was wrong and where (the element or attribute,
/// the index of an `S` element, the position in a template).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DashError {
    /// The MPD text is longer than the parser accepts.
    #[error("MPD of {size} bytes exceeds the limit of {limit} bytes")]
    TooLarge {
        /// Size of the input in bytes.
        size: usize,
        /// The limit ([`crate::mpd::MAX_MPD_BYTES`]).
        limit: usize,
    },
    /// The text is not an MPD the model can read (XML syntax, a value of the
    /// wrong type, an invalid xs:duration or xs:dateTime).
    #[error("MPD does not parse: {message}")]
    Parse {
        /// The XML deserializer's message, with the path of the element.
        message: String,
    },
    /// The model could not be written as XML.
    #[error("MPD does not serialize: {message}")]
    Serialize {
        /// The serializer's message.
        message: String,
    },
    /// There is no Period, AdaptationSet or Representation at these indices.
    #[error(
        "no Representation at Period {period}, AdaptationSet {adaptation_set}, index {representation}"
    )]
    NoSuchRepresentation {
        /// Period index.
        period: usize,
        /// AdaptationSet index within the Period.
        adaptation_set: usize,
        /// Representation index within the AdaptationSet.
        representation: usize,
    },
    /// A required attribute is missing.
    #[error("{element} has no @{attribute}")]
    MissingAttribute {
        /// The element.
        element: &'static str,
        /// The attribute.
        attribute: &'static str,
    },
    /// A duration, timescale or count is out of its range (zero, not an
    /// integer, negative, too large).
    #[error("invalid {what}: {value}")]
    InvalidValue {
        /// Which attribute.
        what: &'static str,
        /// The value as found.
        value: String,
    },
    /// A template names an identifier DASH does not define.
    #[error("unknown identifier ${identifier}$ in template {template:?}")]
    UnknownTemplateIdentifier {
        /// The identifier between the `$` signs (without its format tag).
        identifier: String,
        /// The whole template.
        template: String,
    },
    /// A template is not well formed: an unterminated `$`, a bad format
    /// tag, or an identifier not allowed where the template is used.
    #[error("malformed template {template:?} at byte {position}: {reason}")]
    MalformedTemplate {
        /// The whole template.
        template: String,
        /// Byte offset of the offending `$`.
        position: usize,
        /// What is wrong.
        reason: &'static str,
    },
    /// A SegmentTimeline is inconsistent.
    #[error("SegmentTimeline S[{index}]: {reason}")]
    InvalidTimeline {
        /// Index of the `S` element.
        index: usize,
        /// What is wrong.
        reason: &'static str,
    },
    /// The segments have no end: a static MPD whose period duration is not
    /// known, with a template or `r="-1"` that needs it.
    #[error("segment list has no end: {reason}")]
    Unbounded {
        /// Why no end is known.
        reason: &'static str,
    },
    /// Times overflowed 64 bits.
    #[error("time overflow in {what}")]
    TimeOverflow {
        /// The computation.
        what: &'static str,
    },
    /// A BaseURL, template result or the MPD URL is not a valid URL.
    #[error("invalid URL {url:?}: {reason}")]
    InvalidUrl {
        /// The text that did not resolve.
        url: String,
        /// The URL parser's message.
        reason: String,
    },
    /// A byte range is not `first-last` with `first <= last`.
    #[error("invalid byte range {value:?}")]
    InvalidByteRange {
        /// The text as found.
        value: String,
    },
    /// A dynamic MPD needs a wall-clock `now` to resolve, or lacks
    /// `@availabilityStartTime`.
    #[error("dynamic MPD: {reason}")]
    Dynamic {
        /// What is missing.
        reason: &'static str,
    },
    /// A builder was given inconsistent input.
    #[error("cannot build MPD: {reason}")]
    Build {
        /// What is wrong.
        reason: &'static str,
    },
    /// A presentation names a rendition the package does not have, or one
    /// DASH cannot carry here (only CMAF renditions are listed).
    #[error("DASH presentation: rendition {rendition:?}: {reason}")]
    Rendition {
        /// The rendition's name.
        rendition: String,
        /// What is wrong.
        reason: &'static str,
    },
    /// The document's top-level element is not what the reader reads: a
    /// `<Period>` or `<EventStream>` (what an `@xlink:href` resolves to,
    /// to be read with [`crate::remote`]) given to [`crate::mpd::parse`],
    /// an MPD given to [`crate::remote::periods`], or a second root.
    #[error("top-level element <{found}> at byte {offset}: expected <{expected}>")]
    UnexpectedRoot {
        /// The local name of the element found.
        found: String,
        /// Byte offset of its `<`.
        offset: usize,
        /// What the reader reads there.
        expected: &'static str,
    },
}
