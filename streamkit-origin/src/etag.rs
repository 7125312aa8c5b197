//! [`EntityTag`]: the validator of a response (`ETag`), and the
//! `If-None-Match` comparison that turns a `GET` into a `304`.

use std::borrow::Cow;
use std::fmt;

use streamkit_core::buffer::BufferList;

use crate::field::FieldValue;

/// An entity tag (RFC 9110 section 8.8.3): the `ETag` of a response.
///
/// A site makes one for each version of a playlist or manifest: from a
/// version counter ([`EntityTag::strong`]), from the bytes
/// ([`EntityTag::of_bytes`], [`EntityTag::of_buffers`]: a 64-bit FNV-1a
/// hash, no cryptographic strength needed to tell versions apart), or
/// from its own text ([`EntityTag::text`]).
///
/// ```
/// use streamkit_origin::EntityTag;
///
/// let tag = EntityTag::of_bytes(b"#EXTM3U\n");
/// assert_eq!(tag, EntityTag::strong(0x08d3_03bf_b466_9f96));
/// assert_eq!(tag.to_string(), "\"08d303bfb4669f96\"");
/// assert_eq!(EntityTag::strong(7).into_weak().to_string(), "W/\"0000000000000007\"");
/// assert!(tag.matches_if_none_match(b"W/\"other\", \"08d303bfb4669f96\""));
/// assert!(!tag.matches_if_none_match(b"\"08d303bfb4669f97\""));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct EntityTag {
    weak: bool,
    opaque: Opaque,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Opaque {
    /// Rendered as 16 lowercase hexadecimal digits.
    Number(u64),
    /// The whole field value (`"…"`, or `W/"…"` when weak) around
    /// validated `etagc` characters.
    Text(Cow<'static, str>),
}

/// Why a text is not an entity tag's opaque part.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EntityTagError {
    /// A byte outside `etagc` (visible ASCII but `"`).
    #[error("byte {byte:#04x} at offset {offset} is not allowed in an entity tag")]
    Character {
        /// Where, in the text.
        offset: usize,
        /// The byte.
        byte: u8,
    },
}

const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
const FNV_PRIME: u64 = 0x0000_0100_0000_01b3;

fn fnv1a(mut hash: u64, bytes: &[u8]) -> u64 {
    for &b in bytes {
        hash ^= u64::from(b);
        hash = hash.wrapping_mul(FNV_PRIME);
    }
    hash
}

fn hex16(value: u64) -> [u8; 16] {
    let mut out = [0u8; 16];
    for (i, slot) in out.iter_mut().enumerate() {
        let nibble = (value >> (60 - 4 * i)) & 0xf;
        *slot = b"0123456789abcdef"[nibble as usize];
    }
    out
}

impl EntityTag {
    /// A strong tag for `value` (a version counter, a hash).
    #[must_use]
    pub const fn strong(value: u64) -> EntityTag {
        EntityTag {
            weak: false,
            opaque: Opaque::Number(value),
        }
    }

    /// A strong tag from the 64-bit FNV-1a hash of `bytes`.
    #[must_use]
    pub fn of_bytes(bytes: &[u8]) -> EntityTag {
        EntityTag::strong(fnv1a(FNV_OFFSET, bytes))
    }

    /// A strong tag from the 64-bit FNV-1a hash of a body's bytes, in
    /// order (the same tag as [`EntityTag::of_bytes`] of its contiguous
    /// copy, made without one).
    #[must_use]
    pub fn of_buffers(body: &BufferList) -> EntityTag {
        EntityTag::strong(body.buffers().iter().fold(FNV_OFFSET, |h, b| fnv1a(h, b)))
    }

    /// A strong tag whose opaque part is `text` (without quotes): visible
    /// ASCII but `"`.
    pub fn text(text: impl Into<Cow<'static, str>>) -> Result<EntityTag, EntityTagError> {
        let text = text.into();
        if let Some((offset, byte)) = text
            .bytes()
            .enumerate()
            .find(|&(_, b)| !(b == 0x21 || (0x23..=0x7e).contains(&b)))
        {
            return Err(EntityTagError::Character { offset, byte });
        }
        Ok(EntityTag {
            weak: false,
            opaque: Opaque::Text(Cow::Owned(format!("\"{text}\""))),
        })
    }

    /// The same tag, weak (`W/`): for representations that are
    /// equivalent but not byte for byte the same.
    #[must_use]
    pub fn into_weak(mut self) -> EntityTag {
        if let Opaque::Text(t) = &self.opaque
            && !self.weak
        {
            self.opaque = Opaque::Text(Cow::Owned(format!("W/{t}")));
        }
        self.weak = true;
        self
    }

    /// `true` for a weak tag.
    #[must_use]
    pub fn is_weak(&self) -> bool {
        self.weak
    }

    fn opaque_is(&self, candidate: &[u8]) -> bool {
        match &self.opaque {
            Opaque::Number(n) => candidate == hex16(*n),
            Opaque::Text(t) => {
                let quoted = t.strip_prefix("W/").unwrap_or(t);
                quoted.get(1..quoted.len().saturating_sub(1)) == std::str::from_utf8(candidate).ok()
            }
        }
    }

    /// `true` when an `If-None-Match` field value names this tag, by the
    /// weak comparison RFC 9110 section 13.1.2 prescribes (`W/` ignored),
    /// or is `*`. Malformed list elements are skipped.
    #[must_use]
    pub fn matches_if_none_match(&self, field: &[u8]) -> bool {
        if_none_match_is_any(field) || if_none_match_tags(field).any(|t| self.opaque_is(t))
    }

    /// The header field value (`"…"` or `W/"…"`).
    #[must_use]
    pub fn value(&self) -> FieldValue<'_> {
        match &self.opaque {
            Opaque::Text(t) => FieldValue::borrowed(t),
            Opaque::Number(_) => FieldValue::render(|w| write!(w, "{self}")),
        }
    }
}

/// `true` when an `If-None-Match` value is `*` (any current
/// representation).
pub(crate) fn if_none_match_is_any(field: &[u8]) -> bool {
    field.trim_ascii() == b"*"
}

/// The opaque parts of the well-formed entity tags of an `If-None-Match`
/// value.
fn if_none_match_tags(field: &[u8]) -> impl Iterator<Item = &[u8]> {
    field.split(|&b| b == b',').filter_map(|element| {
        let element = element.trim_ascii();
        let element = element.strip_prefix(b"W/").unwrap_or(element);
        let inner = element.strip_prefix(b"\"")?.strip_suffix(b"\"")?;
        (!inner.contains(&b'"')).then_some(inner)
    })
}

impl fmt::Display for EntityTag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.opaque {
            Opaque::Number(n) if self.weak => write!(f, "W/\"{n:016x}\""),
            Opaque::Number(n) => write!(f, "\"{n:016x}\""),
            Opaque::Text(t) => f.write_str(t),
        }
    }
}

#[cfg(test)]
mod tests {
    use bytes::Bytes;
    use streamkit_core::buffer::BufferList;

    use super::{EntityTag, EntityTagError};

    #[test]
    fn fnv1a_vectors() {
        // The reference values of the FNV-1a 64-bit test suite.
        assert_eq!(
            EntityTag::of_bytes(b""),
            EntityTag::strong(0xcbf2_9ce4_8422_2325)
        );
        assert_eq!(
            EntityTag::of_bytes(b"a"),
            EntityTag::strong(0xaf63_dc4c_8601_ec8c)
        );
        assert_eq!(
            EntityTag::of_bytes(b"foobar"),
            EntityTag::strong(0x8594_4171_f739_67e8)
        );
        let mut list = BufferList::new();
        list.push(Bytes::from_static(b"foo"));
        list.push(Bytes::from_static(b"bar"));
        assert_eq!(EntityTag::of_buffers(&list), EntityTag::of_bytes(b"foobar"));
    }

    #[test]
    fn if_none_match_uses_the_weak_comparison() {
        let strong = EntityTag::text("v3").unwrap();
        let weak = EntityTag::text("v3").unwrap().into_weak();
        for field in [
            &b"\"v3\""[..],
            b"W/\"v3\"",
            b" \"x\" , W/\"v3\" ",
            b"*",
            b" * ",
        ] {
            assert!(strong.matches_if_none_match(field), "{field:?}");
            assert!(weak.matches_if_none_match(field), "{field:?}");
        }
        for field in [
            &b"v3"[..],
            b"\"v4\"",
            b"\"v3",
            b"",
            b"W/v3",
            b"\"v\"3\"",
            b"**",
        ] {
            assert!(!strong.matches_if_none_match(field), "{field:?}");
        }
        assert_eq!(weak.value(), "W/\"v3\"");
        assert_eq!(
            EntityTag::strong(u64::MAX).into_weak().value(),
            "W/\"ffffffffffffffff\""
        );
    }

    #[test]
    fn text_tags_are_checked() {
        assert_eq!(
            EntityTag::text("a\"b"),
            Err(EntityTagError::Character {
                offset: 1,
                byte: b'"'
            })
        );
        assert_eq!(
            EntityTag::text("a b"),
            Err(EntityTagError::Character {
                offset: 1,
                byte: b' '
            })
        );
        assert!(EntityTag::text("").is_ok());
        assert!(EntityTag::text("é").is_err());
        let long = "x".repeat(200);
        let tag = EntityTag::text(long.clone())
            .unwrap()
            .into_weak()
            .into_weak();
        assert_eq!(tag.value().as_str(), format!("W/\"{long}\""));
        assert!(tag.matches_if_none_match(format!("\"{long}\"").as_bytes()));
    }
}
