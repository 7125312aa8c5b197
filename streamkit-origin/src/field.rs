//! [`FieldValue`]: a header field value, borrowed or rendered in place
//! (numbers, ranges, cache directives), so listing a response's head
//! allocates nothing.

use std::fmt;

/// Bytes of the longest value rendered in place: `bytes F-L/N` with three
/// 20-digit numbers is 68.
const INLINE: usize = 80;

/// A header field value from [`Response::head_fields`](crate::Response::head_fields).
///
/// Read it with [`FieldValue::as_str`] (or `Display`); it is always
/// visible ASCII for the values the origin renders.
#[derive(Clone)]
pub struct FieldValue<'a>(Repr<'a>);

#[derive(Clone)]
enum Repr<'a> {
    Borrowed(&'a str),
    Inline { buf: [u8; INLINE], len: u8 },
}

/// Writes into an inline buffer; refuses what does not fit.
struct InlineWriter {
    buf: [u8; INLINE],
    len: usize,
}

impl fmt::Write for InlineWriter {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let end = self.len + s.len();
        let slot = self.buf.get_mut(self.len..end).ok_or(fmt::Error)?;
        slot.copy_from_slice(s.as_bytes());
        self.len = end;
        Ok(())
    }
}

impl<'a> FieldValue<'a> {
    /// A value borrowed as it is.
    #[must_use]
    pub fn borrowed(value: &'a str) -> FieldValue<'a> {
        FieldValue(Repr::Borrowed(value))
    }

    /// A value rendered by `render` into the inline buffer. Every value
    /// the crate renders fits (the longest, a Content-Range of three
    /// 20-digit numbers, is 68 bytes); what would not fit is cut at the
    /// buffer's end, which the tests of each renderer rule out.
    pub(crate) fn render(
        render: impl FnOnce(&mut dyn fmt::Write) -> fmt::Result,
    ) -> FieldValue<'a> {
        let mut w = InlineWriter {
            buf: [0; INLINE],
            len: 0,
        };
        let _ = render(&mut w);
        FieldValue(Repr::Inline {
            buf: w.buf,
            // INLINE < 256.
            len: u8::try_from(w.len).unwrap_or(u8::MAX),
        })
    }

    /// The value.
    #[must_use]
    pub fn as_str(&self) -> &str {
        match &self.0 {
            Repr::Borrowed(s) => s,
            Repr::Inline { buf, len } => buf
                .get(..usize::from(*len))
                .and_then(|b| std::str::from_utf8(b).ok())
                .unwrap_or(""),
        }
    }
}

impl AsRef<str> for FieldValue<'_> {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl fmt::Display for FieldValue<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for FieldValue<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl PartialEq for FieldValue<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.as_str() == other.as_str()
    }
}

impl Eq for FieldValue<'_> {}

impl PartialEq<str> for FieldValue<'_> {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for FieldValue<'_> {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

#[cfg(test)]
mod tests {
    use super::FieldValue;

    #[test]
    fn the_longest_content_range_fits() {
        let v = FieldValue::render(|w| write!(w, "bytes {0}-{0}/{0}", u64::MAX));
        assert_eq!(
            v.as_str(),
            "bytes 18446744073709551615-18446744073709551615/18446744073709551615"
        );
        assert_eq!(FieldValue::borrowed("no-store"), "no-store");
    }
}
