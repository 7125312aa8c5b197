//! Attribute lists (RFC 8216 section 4.2): `NAME=value,NAME="quoted",...`.
//!
//! The parser is lenient: attributes come in any order, spaces around names
//! and after commas are skipped, a trailing comma is accepted, an empty
//! entry (a leading comma, two commas in a row) is skipped (the playlist
//! reader reports it as a [`Deviation::EmptyAttribute`]), and every
//! attribute is kept, known or not, in the order it came. Values are
//! classified by their syntax into [`AttributeValue`]s.
//!
//! [`Deviation::EmptyAttribute`]: super::Deviation::EmptyAttribute
//!
//! ```
//! use streamkit_hls::playlist::{AttributeList, AttributeValue};
//!
//! let list = AttributeList::parse(r#"BANDWIDTH=1280000,CODECS="avc1.64001f,mp4a.40.2",RESOLUTION=1280x720"#)
//!     .unwrap();
//! assert_eq!(list.get("BANDWIDTH"), Some(&AttributeValue::DecimalInteger(1_280_000)));
//! assert_eq!(list.get("CODECS").and_then(AttributeValue::as_quoted), Some("avc1.64001f,mp4a.40.2"));
//! assert_eq!(list.to_string(), r#"BANDWIDTH=1280000,CODECS="avc1.64001f,mp4a.40.2",RESOLUTION=1280x720"#);
//! ```

use std::fmt;

use super::value::{Resolution, parse_decimal_integer};

/// One attribute value, classified by its syntax.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum AttributeValue {
    /// `"text"`: a quoted-string, without its quotes.
    QuotedString(String),
    /// `0x1A2B`: a hexadecimal-sequence, as bytes (an odd digit count gets a
    /// leading zero nibble).
    Hexadecimal(Vec<u8>),
    /// `12345`: a decimal-integer.
    DecimalInteger(u64),
    /// `29.970`, `-3.5`: a (signed) decimal-floating-point number, as written.
    DecimalFloat(String),
    /// `1280x720`: a decimal-resolution.
    Resolution(Resolution),
    /// Anything else unquoted: an enumerated-string such as `YES` or `AUDIO`.
    Enumerated(String),
}

impl AttributeValue {
    /// Classifies an unquoted value.
    fn classify(raw: &str) -> AttributeValue {
        if let Some(hex) = raw.strip_prefix("0x").or_else(|| raw.strip_prefix("0X"))
            && let Some(bytes) = parse_hex(hex)
        {
            return AttributeValue::Hexadecimal(bytes);
        }
        if let Some(n) = parse_decimal_integer(raw) {
            return AttributeValue::DecimalInteger(n);
        }
        if is_decimal_float(raw) {
            return AttributeValue::DecimalFloat(raw.to_owned());
        }
        if let Some(r) = Resolution::parse(raw) {
            return AttributeValue::Resolution(r);
        }
        AttributeValue::Enumerated(raw.to_owned())
    }

    /// The text of a quoted-string value.
    #[must_use]
    pub fn as_quoted(&self) -> Option<&str> {
        match self {
            AttributeValue::QuotedString(s) => Some(s),
            _ => None,
        }
    }

    /// The text of an enumerated-string value.
    #[must_use]
    pub fn as_enumerated(&self) -> Option<&str> {
        match self {
            AttributeValue::Enumerated(s) => Some(s),
            _ => None,
        }
    }

    /// The value of a decimal-integer.
    #[must_use]
    pub fn as_integer(&self) -> Option<u64> {
        match self {
            AttributeValue::DecimalInteger(n) => Some(*n),
            _ => None,
        }
    }

    /// The text of a number, integer or floating-point, as written (`2`,
    /// `0.33334`).
    #[must_use]
    pub fn number_text(&self) -> Option<String> {
        match self {
            AttributeValue::DecimalInteger(n) => Some(n.to_string()),
            AttributeValue::DecimalFloat(s) => Some(s.clone()),
            _ => None,
        }
    }

    /// Whether the value can be written back as the same value: a quoted
    /// string has no `"`, CR or LF; an enumerated string is non-empty and has
    /// no `,`, `"`, whitespace or control characters, and does not read as
    /// another kind of value; a float reads as a float.
    #[must_use]
    pub fn is_writable(&self) -> bool {
        match self {
            AttributeValue::QuotedString(s) => !s.contains(['"', '\r', '\n']),
            AttributeValue::Enumerated(s) => {
                is_enumerated_text(s) && AttributeValue::classify(s) == *self
            }
            AttributeValue::DecimalFloat(s) => is_decimal_float(s),
            AttributeValue::Hexadecimal(b) => !b.is_empty(),
            AttributeValue::DecimalInteger(_) | AttributeValue::Resolution(_) => true,
        }
    }
}

/// Whether `s` can stand unquoted as an enumerated-string.
pub(crate) fn is_enumerated_text(s: &str) -> bool {
    !s.is_empty()
        && !s
            .chars()
            .any(|c| c == ',' || c == '"' || c.is_whitespace() || c.is_control())
}

impl fmt::Display for AttributeValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AttributeValue::QuotedString(s) => write!(f, "\"{s}\""),
            AttributeValue::Hexadecimal(bytes) => {
                f.write_str("0x")?;
                for b in bytes {
                    write!(f, "{b:02X}")?;
                }
                Ok(())
            }
            AttributeValue::DecimalInteger(n) => write!(f, "{n}"),
            AttributeValue::DecimalFloat(s) | AttributeValue::Enumerated(s) => f.write_str(s),
            AttributeValue::Resolution(r) => write!(f, "{r}"),
        }
    }
}

pub(crate) fn parse_hex(hex: &str) -> Option<Vec<u8>> {
    if hex.is_empty() || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let nibble = |b: u8| char::from(b).to_digit(16).unwrap_or(0) as u8;
    let bytes = hex.as_bytes();
    let mut out = Vec::with_capacity(bytes.len().div_ceil(2));
    let pairs = if bytes.len() % 2 == 1 {
        let (first, rest) = bytes.split_at(1);
        out.extend(first.iter().map(|b| nibble(*b)));
        rest
    } else {
        bytes
    };
    for pair in pairs.chunks_exact(2) {
        if let [hi, lo] = pair {
            out.push((nibble(*hi) << 4) | nibble(*lo));
        }
    }
    Some(out)
}

fn is_decimal_float(s: &str) -> bool {
    let unsigned = s.strip_prefix('-').unwrap_or(s);
    match unsigned.split_once('.') {
        Some((w, f)) => {
            !w.is_empty()
                && !f.is_empty()
                && w.bytes().all(|b| b.is_ascii_digit())
                && f.bytes().all(|b| b.is_ascii_digit())
        }
        None => s.starts_with('-') && parse_decimal_integer(unsigned).is_some(),
    }
}

/// One `NAME=value` pair.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Attribute {
    /// The attribute name (`BANDWIDTH`).
    pub name: String,
    /// Its value.
    pub value: AttributeValue,
}

/// An ordered attribute list; unknown attributes are kept as they came.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct AttributeList {
    /// The attributes in order.
    pub attributes: Vec<Attribute>,
}

/// Why an attribute list could not be read, and at which byte of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AttributeListError {
    /// Byte offset into the attribute list text.
    pub offset: usize,
    /// What was wrong there.
    pub reason: &'static str,
}

impl AttributeList {
    /// An empty list.
    #[must_use]
    pub fn new() -> AttributeList {
        AttributeList::default()
    }

    /// Parses `NAME=value,...` leniently (see the module docs).
    ///
    /// # Errors
    /// A name without `=`, an empty name, or a quoted string without its
    /// closing quote, with the byte offset where it happened.
    pub fn parse(text: &str) -> Result<AttributeList, AttributeListError> {
        AttributeList::parse_noting_empty(text, &mut Vec::new())
    }

    /// [`AttributeList::parse`], recording in `empty` the byte offset of
    /// the comma that ends each empty entry it skipped.
    pub(crate) fn parse_noting_empty(
        text: &str,
        empty: &mut Vec<usize>,
    ) -> Result<AttributeList, AttributeListError> {
        let mut attributes = Vec::new();
        let bytes = text.as_bytes();
        let mut pos = 0;
        loop {
            while matches!(bytes.get(pos), Some(b' ' | b'\t')) {
                pos += 1;
            }
            if pos >= bytes.len() {
                break;
            }
            if bytes.get(pos) == Some(&b',') {
                empty.push(pos);
                pos += 1;
                continue;
            }
            let rest = text.get(pos..).unwrap_or("");
            let Some(eq) = rest
                .find(['=', ','])
                .filter(|&i| rest.as_bytes().get(i) == Some(&b'='))
            else {
                return Err(AttributeListError {
                    offset: pos,
                    reason: "attribute without '='",
                });
            };
            let name = rest.get(..eq).unwrap_or("").trim();
            if name.is_empty() {
                return Err(AttributeListError {
                    offset: pos,
                    reason: "empty attribute name",
                });
            }
            pos += eq + 1;
            let value_text = text.get(pos..).unwrap_or("");
            let value = if let Some(quoted) = value_text.strip_prefix('"') {
                let Some(end) = quoted.find('"') else {
                    return Err(AttributeListError {
                        offset: pos,
                        reason: "quoted string without closing quote",
                    });
                };
                let s = quoted.get(..end).unwrap_or("");
                pos += end + 2;
                AttributeValue::QuotedString(s.to_owned())
            } else {
                let end = value_text.find(',').unwrap_or(value_text.len());
                let raw = value_text.get(..end).unwrap_or("").trim();
                pos += end;
                AttributeValue::classify(raw)
            };
            attributes.push(Attribute {
                name: name.to_owned(),
                value,
            });
            while matches!(bytes.get(pos), Some(b' ' | b'\t')) {
                pos += 1;
            }
            match bytes.get(pos) {
                None => break,
                Some(b',') => pos += 1,
                Some(_) => {
                    return Err(AttributeListError {
                        offset: pos,
                        reason: "expected ',' after attribute value",
                    });
                }
            }
        }
        Ok(AttributeList { attributes })
    }

    /// The value of the first attribute called `name`.
    #[must_use]
    pub fn get(&self, name: &str) -> Option<&AttributeValue> {
        self.attributes
            .iter()
            .find(|a| a.name == name)
            .map(|a| &a.value)
    }

    /// Removes and returns the first attribute called `name`.
    pub fn take(&mut self, name: &str) -> Option<AttributeValue> {
        let index = self.attributes.iter().position(|a| a.name == name)?;
        Some(self.attributes.remove(index).value)
    }

    /// Appends an attribute.
    pub fn push(&mut self, name: impl Into<String>, value: AttributeValue) {
        self.attributes.push(Attribute {
            name: name.into(),
            value,
        });
    }

    /// Whether the list has no attributes.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.attributes.is_empty()
    }

    /// Whether every name is an attribute-name (`[A-Z0-9-]+`) and every value
    /// can be written back as itself.
    #[must_use]
    pub fn is_writable(&self) -> bool {
        self.attributes
            .iter()
            .all(|a| is_attribute_name(&a.name) && a.value.is_writable())
    }
}

/// Whether `s` is an attribute-name: upper-case letters, digits and `-`.
pub(crate) fn is_attribute_name(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'-')
}

impl fmt::Display for AttributeList {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, a) in self.attributes.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            write!(f, "{}={}", a.name, a.value)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_every_value_kind() {
        let list =
            AttributeList::parse(r#"A="q,x", B=0x1a2B,C=42,D=29.970,E=-3.5,F=1920x1080,G=YES,"#)
                .unwrap();
        assert_eq!(
            list.get("A"),
            Some(&AttributeValue::QuotedString("q,x".into()))
        );
        assert_eq!(
            list.get("B"),
            Some(&AttributeValue::Hexadecimal(vec![0x1a, 0x2b]))
        );
        assert_eq!(list.get("C"), Some(&AttributeValue::DecimalInteger(42)));
        assert_eq!(
            list.get("D"),
            Some(&AttributeValue::DecimalFloat("29.970".into()))
        );
        assert_eq!(
            list.get("E"),
            Some(&AttributeValue::DecimalFloat("-3.5".into()))
        );
        assert_eq!(
            list.get("F"),
            Some(&AttributeValue::Resolution(Resolution {
                width: 1920,
                height: 1080
            }))
        );
        assert_eq!(
            list.get("G"),
            Some(&AttributeValue::Enumerated("YES".into()))
        );
        assert_eq!(
            list.to_string(),
            r#"A="q,x",B=0x1A2B,C=42,D=29.970,E=-3.5,F=1920x1080,G=YES"#
        );
    }

    #[test]
    fn odd_hex_gets_leading_nibble() {
        let list = AttributeList::parse("IV=0xABC").unwrap();
        assert_eq!(
            list.get("IV"),
            Some(&AttributeValue::Hexadecimal(vec![0x0a, 0xbc]))
        );
    }

    #[test]
    fn errors_carry_offsets() {
        assert_eq!(
            AttributeList::parse(r#"A=1,B="open"#).unwrap_err(),
            AttributeListError {
                offset: 6,
                reason: "quoted string without closing quote"
            }
        );
        assert_eq!(AttributeList::parse("A=1,NOEQ").unwrap_err().offset, 4);
        assert_eq!(AttributeList::parse(r#"A="x"y"#).unwrap_err().offset, 5);
        assert!(AttributeList::parse("").unwrap().is_empty());
    }
}
