//! SegmentTemplate URL templates: `$RepresentationID$`, `$Number$`,
//! `$Time$`, `$Bandwidth$`, `$SubNumber$`, with a width format tag
//! (`$Number%05d$`), and `$$` for a literal dollar sign (ISO/IEC 23009-1,
//! 5.3.9.4.4).
//!
//! A [`UrlTemplate`] is parsed once, with `$RepresentationID$` and
//! `$Bandwidth$` already substituted; [`UrlTemplate::expand`] then fills in
//! a segment's number and time.
//!
//! ```
//! use streamkit_dash::template::UrlTemplate;
//!
//! let t = UrlTemplate::parse("$RepresentationID$/seg-$Number%05d$-$$-$Time$.m4s", "v1", Some(800_000))?;
//! assert_eq!(t.expand(42, 90_000), "v1/seg-00042-$-90000.m4s");
//! assert!(UrlTemplate::parse("seg-$Frame$.m4s", "v1", None).is_err());
//! # Ok::<(), streamkit_dash::DashError>(())
//! ```

use core::fmt::Write as _;

use crate::error::DashError;

/// The widest `%0<width>d` format tag accepted.
pub const MAX_FORMAT_WIDTH: usize = 32;

#[derive(Clone, Debug, PartialEq, Eq)]
enum Piece {
    Literal(String),
    Number { width: usize },
    Time { width: usize },
    SubNumber { width: usize },
}

/// A parsed SegmentTemplate `@media` or `@initialization` string.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UrlTemplate {
    pieces: Vec<Piece>,
}

fn malformed(template: &str, position: usize, reason: &'static str) -> DashError {
    DashError::MalformedTemplate {
        template: template.to_owned(),
        position,
        reason,
    }
}

/// Parses `%0<width>d` (or `%d`): the width.
fn parse_format(template: &str, position: usize, tag: &str) -> Result<usize, DashError> {
    let Some(body) = tag.strip_prefix('%').and_then(|t| t.strip_suffix('d')) else {
        return Err(malformed(
            template,
            position,
            "format tag is not %0<width>d",
        ));
    };
    if body.is_empty() {
        return Ok(0);
    }
    if !body.bytes().all(|b| b.is_ascii_digit()) {
        return Err(malformed(
            template,
            position,
            "format tag is not %0<width>d",
        ));
    }
    let width: usize = body
        .parse()
        .map_err(|_| malformed(template, position, "format width does not parse"))?;
    if width > MAX_FORMAT_WIDTH {
        return Err(malformed(template, position, "format width beyond 32"));
    }
    Ok(width)
}

fn push_padded(out: &mut String, value: u64, width: usize) {
    // Writing to a String cannot fail.
    let _ = write!(out, "{value:0width$}");
}

impl UrlTemplate {
    /// Parses `template`, substituting `$RepresentationID$` with
    /// `representation_id` and `$Bandwidth$` with `bandwidth`.
    ///
    /// # Errors
    ///
    /// [`DashError::UnknownTemplateIdentifier`] for an identifier DASH does
    /// not define; [`DashError::MalformedTemplate`] for an unterminated `$`,
    /// a bad format tag (or one on `$RepresentationID$`);
    /// [`DashError::MissingAttribute`] for `$Bandwidth$` without a
    /// bandwidth.
    pub fn parse(
        template: &str,
        representation_id: &str,
        bandwidth: Option<u64>,
    ) -> Result<UrlTemplate, DashError> {
        let mut pieces: Vec<Piece> = Vec::new();
        let mut literal = String::new();
        let mut rest = template;
        let mut offset = 0usize;
        while let Some(open) = rest.find('$') {
            literal.push_str(&rest[..open]);
            let after = &rest[open + 1..];
            let position = offset + open;
            let Some(close) = after.find('$') else {
                return Err(malformed(template, position, "unterminated identifier"));
            };
            let ident = &after[..close];
            let (name, format) = match ident.find('%') {
                Some(p) => (&ident[..p], Some(&ident[p..])),
                None => (ident, None),
            };
            let width = match format {
                Some(f) => parse_format(template, position, f)?,
                None => 0,
            };
            let piece = match name {
                "" if format.is_none() => {
                    literal.push('$');
                    None
                }
                "RepresentationID" => {
                    if format.is_some() {
                        return Err(malformed(
                            template,
                            position,
                            "$RepresentationID$ takes no format tag",
                        ));
                    }
                    literal.push_str(representation_id);
                    None
                }
                "Bandwidth" => {
                    let b = bandwidth.ok_or(DashError::MissingAttribute {
                        element: "Representation",
                        attribute: "bandwidth",
                    })?;
                    push_padded(&mut literal, b, width);
                    None
                }
                "Number" => Some(Piece::Number { width }),
                "Time" => Some(Piece::Time { width }),
                "SubNumber" => Some(Piece::SubNumber { width }),
                _ => {
                    return Err(DashError::UnknownTemplateIdentifier {
                        identifier: name.to_owned(),
                        template: template.to_owned(),
                    });
                }
            };
            if let Some(piece) = piece {
                if !literal.is_empty() {
                    pieces.push(Piece::Literal(core::mem::take(&mut literal)));
                }
                pieces.push(piece);
            }
            let consumed = open + 1 + close + 1;
            rest = &rest[consumed..];
            offset += consumed;
        }
        literal.push_str(rest);
        if !literal.is_empty() {
            pieces.push(Piece::Literal(literal));
        }
        Ok(UrlTemplate { pieces })
    }

    /// `true` when the template uses `$Number$`.
    #[must_use]
    pub fn uses_number(&self) -> bool {
        self.pieces
            .iter()
            .any(|p| matches!(p, Piece::Number { .. }))
    }

    /// `true` when the template uses `$Time$`.
    #[must_use]
    pub fn uses_time(&self) -> bool {
        self.pieces.iter().any(|p| matches!(p, Piece::Time { .. }))
    }

    /// `true` when the template uses `$Number$`, `$Time$` or `$SubNumber$`
    /// (an initialization template must not).
    #[must_use]
    pub fn is_per_segment(&self) -> bool {
        self.pieces.iter().any(|p| !matches!(p, Piece::Literal(_)))
    }

    /// The text with `number` and `time` filled in (`$SubNumber$` as 1).
    #[must_use]
    pub fn expand(&self, number: u64, time: u64) -> String {
        let mut out = String::new();
        for p in &self.pieces {
            match p {
                Piece::Literal(s) => out.push_str(s),
                Piece::Number { width } => push_padded(&mut out, number, *width),
                Piece::Time { width } => push_padded(&mut out, time, *width),
                Piece::SubNumber { width } => push_padded(&mut out, 1, *width),
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_and_widths() {
        let t = UrlTemplate::parse("a$Number%03d$b$Time$c$Bandwidth%08d$", "r", Some(5)).unwrap();
        assert_eq!(t.expand(7, 123), "a007b123c00000005");
        let t = UrlTemplate::parse("$$$$x$Number%d$", "r", None).unwrap();
        assert_eq!(t.expand(1234, 0), "$$x1234");
        assert!(
            !UrlTemplate::parse("init-$RepresentationID$.mp4", "v", None)
                .unwrap()
                .is_per_segment()
        );
    }

    #[test]
    fn errors_name_the_identifier() {
        assert_eq!(
            UrlTemplate::parse("s-$Nmber$.m4s", "r", None),
            Err(DashError::UnknownTemplateIdentifier {
                identifier: "Nmber".into(),
                template: "s-$Nmber$.m4s".into()
            })
        );
        assert!(matches!(
            UrlTemplate::parse("s-$Number.m4s", "r", None),
            Err(DashError::MalformedTemplate { position: 2, .. })
        ));
        assert!(matches!(
            UrlTemplate::parse("$Number%5x$", "r", None),
            Err(DashError::MalformedTemplate { position: 0, .. })
        ));
        assert!(matches!(
            UrlTemplate::parse("$Number%099d$", "r", None),
            Err(DashError::MalformedTemplate { .. })
        ));
        assert!(matches!(
            UrlTemplate::parse("$Bandwidth$", "r", None),
            Err(DashError::MissingAttribute { .. })
        ));
    }
}
