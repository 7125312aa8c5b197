//! Remote elements (ISO/IEC 23009-1 section 5.5 and Annex G): what a
//! `Period` or `EventStream` with `@xlink:href` resolves to, read and put
//! in the element's place.
//!
//! The document an `@xlink:href` points to is a fragment, not an MPD: zero
//! or more `<Period>` (or `<EventStream>`) elements at its top level.
//! [`crate::mpd::parse`] refuses such a document with
//! [`DashError::UnexpectedRoot`] instead of reading it as an MPD without
//! Periods; [`periods`] and [`event_streams`] read it, with the same size
//! limit and leniency as [`crate::mpd::parse`] (a negative
//! `@presentationTimeOffset` is read as 0, with an [`MpdWarning`]).
//! [`resolve_period`] and [`resolve_event_stream`] then replace the
//! referencing element with what was read (none, one or several, as
//! section 5.5.3 says). Fetching the fragment is the caller's: nothing
//! here does I/O.
//!
//! ```
//! use streamkit_dash::{mpd, remote};
//!
//! let text = r#"<MPD xmlns="urn:mpeg:dash:schema:mpd:2011" xmlns:xlink="http://www.w3.org/1999/xlink"
//!     type="static" mediaPresentationDuration="PT20S" minBufferTime="PT2S">
//!   <Period id="main" duration="PT10S"/>
//!   <Period xlink:href="https://ads.example/break.xml" xlink:actuate="onLoad"/>
//! </MPD>"#;
//! let mut presentation = mpd::parse(text)?;
//! assert_eq!(presentation.periods[1].href.as_deref(), Some("https://ads.example/break.xml"));
//!
//! // What https://ads.example/break.xml answered: two Periods.
//! let fragment = r#"<?xml version="1.0"?>
//! <Period xmlns="urn:mpeg:dash:schema:mpd:2011" id="ad1" duration="PT5S"/>
//! <Period xmlns="urn:mpeg:dash:schema:mpd:2011" id="ad2" duration="PT5S"/>"#;
//! // Given to the MPD reader, it is refused, not read as an empty MPD.
//! assert!(matches!(
//!     mpd::parse(fragment),
//!     Err(streamkit_dash::DashError::UnexpectedRoot { expected: "MPD", .. })
//! ));
//! let warnings = remote::resolve_period(&mut presentation, 1, fragment)?;
//! assert!(warnings.is_empty());
//! let ids: Vec<_> = presentation.periods.iter().map(|p| p.id.as_deref()).collect();
//! assert_eq!(ids, [Some("main"), Some("ad1"), Some("ad2")]);
//! # Ok::<(), streamkit_dash::DashError>(())
//! ```

use dash_mpd_core::{EventStream, MPD, Period};

use crate::document::{MpdWarning, Scanned, expect_roots, scan};
use crate::error::DashError;
use crate::mpd::{check_size, model_error};

/// The `@xlink:href` of an element that resolves to nothing (ISO/IEC
/// 23009-1 section 5.5.3): the element is removed.
pub const RESOLVE_TO_ZERO: &str = "urn:mpeg:dash:resolve-to-zero:2013";

/// Reads a remote Period fragment: zero or more `<Period>` elements.
///
/// # Errors
///
/// [`DashError::TooLarge`] beyond [`crate::mpd::MAX_MPD_BYTES`];
/// [`DashError::UnexpectedRoot`] when a top-level element is not a
/// `<Period>` (an `<MPD>`, say); [`DashError::Parse`] for what the model
/// does not read.
pub fn periods(text: &str) -> Result<(Vec<Period>, Vec<MpdWarning>), DashError> {
    let (scanned, mpd) = read_wrapped(text, "Period", "<MPD>", "</MPD>")?;
    Ok((mpd.periods, scanned.warnings))
}

/// Reads a remote EventStream fragment: zero or more `<EventStream>`
/// elements.
///
/// # Errors
///
/// Those of [`periods`], for `<EventStream>`.
pub fn event_streams(text: &str) -> Result<(Vec<EventStream>, Vec<MpdWarning>), DashError> {
    let (scanned, mpd) = read_wrapped(text, "EventStream", "<MPD><Period>", "</Period></MPD>")?;
    let streams = mpd
        .periods
        .into_iter()
        .next()
        .map(|p| p.event_streams)
        .unwrap_or_default();
    Ok((streams, scanned.warnings))
}

/// Replaces Period `index` of `mpd` (one with `@xlink:href`) by the
/// Periods of `fragment`, the document its `@xlink:href` resolved to; a
/// resolved Period whose own `@xlink:href` is [`RESOLVE_TO_ZERO`] is left
/// out. Returns the fragment's warnings.
///
/// # Errors
///
/// Those of [`periods`] (then `mpd` is unchanged), and
/// [`DashError::InvalidValue`] when there is no Period `index`.
pub fn resolve_period(
    mpd: &mut MPD,
    index: usize,
    fragment: &str,
) -> Result<Vec<MpdWarning>, DashError> {
    if index >= mpd.periods.len() {
        return Err(DashError::InvalidValue {
            what: "Period index",
            value: index.to_string(),
        });
    }
    let (resolved, warnings) = periods(fragment)?;
    let resolved = resolved
        .into_iter()
        .filter(|p| p.href.as_deref() != Some(RESOLVE_TO_ZERO));
    mpd.periods.splice(index..=index, resolved);
    Ok(warnings)
}

/// Replaces EventStream `index` of `period` by the EventStreams of
/// `fragment`, as [`resolve_period`] does for Periods.
///
/// # Errors
///
/// Those of [`event_streams`] (then `period` is unchanged), and
/// [`DashError::InvalidValue`] when there is no EventStream `index`.
pub fn resolve_event_stream(
    period: &mut Period,
    index: usize,
    fragment: &str,
) -> Result<Vec<MpdWarning>, DashError> {
    if index >= period.event_streams.len() {
        return Err(DashError::InvalidValue {
            what: "EventStream index",
            value: index.to_string(),
        });
    }
    let (resolved, warnings) = event_streams(fragment)?;
    let resolved = resolved
        .into_iter()
        .filter(|e| e.href.as_deref() != Some(RESOLVE_TO_ZERO));
    period.event_streams.splice(index..=index, resolved);
    Ok(warnings)
}

/// Checks the fragment's top-level elements, then lets the model read it
/// inside `open` and `close` (where such elements stand in an MPD), past
/// its prolog (an XML declaration cannot stand inside an element).
fn read_wrapped(
    text: &str,
    element: &'static str,
    open: &str,
    close: &str,
) -> Result<(Scanned, MPD), DashError> {
    check_size(text.len())?;
    let scanned = scan(text);
    expect_roots(&scanned, element, true)?;
    let body = scanned.text(text);
    // The clamped text has the same prolog as the original.
    let body = body.get(scanned.body_start..).unwrap_or("");
    let mut document = String::with_capacity(open.len() + body.len() + close.len());
    document.push_str(open);
    document.push_str(body);
    document.push_str(close);
    let mpd = dash_mpd_core::parse(&document).map_err(model_error)?;
    Ok((scanned, mpd))
}
