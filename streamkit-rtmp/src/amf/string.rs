//! [`AmfString`]: the text of an AMF0 string, property name or class
//! name, short ones kept inline.

use core::fmt;
use core::hash::{Hash, Hasher};
use core::ops::Deref;

/// The most bytes kept inline.
const INLINE: usize = 22;

/// The text of an AMF0 string value, property name or class name.
///
/// Most of what RTMP commands and metadata carry is short (`connect`,
/// `app`, `live`, `videocodecid`, `onMetaData`): text of up to 22 bytes is
/// kept inline, so decoding it allocates nothing; longer text is one heap
/// allocation, as a `String` would be. It dereferences to `str` and
/// compares with `str`, `&str` and `String`; `"app".into()` and
/// `String::into()` make one.
///
/// ```
/// use streamkit_rtmp::amf::AmfString;
///
/// let s = AmfString::from("connect");
/// assert_eq!(s, "connect");
/// assert_eq!(s.len(), 7);
/// assert_eq!(String::from(s), "connect");
/// ```
#[derive(Clone)]
pub struct AmfString(Repr);

#[derive(Clone)]
enum Repr {
    Inline { len: u8, bytes: [u8; INLINE] },
    Heap(Box<str>),
}

impl AmfString {
    /// An empty string.
    #[must_use]
    pub const fn new() -> AmfString {
        AmfString(Repr::Inline {
            len: 0,
            bytes: [0; INLINE],
        })
    }

    /// The text.
    #[must_use]
    pub fn as_str(&self) -> &str {
        match &self.0 {
            // Only valid UTF-8 is ever stored inline (`from_str`), so
            // this never falls back.
            Repr::Inline { len, bytes } => {
                core::str::from_utf8(&bytes[..usize::from(*len)]).unwrap_or_default()
            }
            Repr::Heap(s) => s,
        }
    }

    /// The text's bytes.
    #[must_use]
    pub fn as_bytes(&self) -> &[u8] {
        match &self.0 {
            Repr::Inline { len, bytes } => &bytes[..usize::from(*len)],
            Repr::Heap(s) => s.as_bytes(),
        }
    }

    /// Text from `b`, the start of `input`, bytes that should be UTF-8
    /// (anything else is replaced with U+FFFD). When `input` has room,
    /// short text is copied as one fixed-size block (the bytes past the
    /// text are never read).
    #[inline(always)]
    pub(crate) fn from_utf8_lossy_in(b: &[u8], input: &[u8]) -> AmfString {
        match core::str::from_utf8(b) {
            Ok(s) if s.len() <= INLINE => {
                let bytes = match input.first_chunk::<INLINE>() {
                    Some(block) => *block,
                    None => {
                        let mut bytes = [0; INLINE];
                        bytes[..b.len()].copy_from_slice(b);
                        bytes
                    }
                };
                AmfString(Repr::Inline {
                    len: b.len() as u8,
                    bytes,
                })
            }
            Ok(s) => AmfString(Repr::Heap(s.into())),
            Err(_) => AmfString::from(String::from_utf8_lossy(b).into_owned()),
        }
    }
}

impl Default for AmfString {
    fn default() -> Self {
        AmfString::new()
    }
}

impl From<&str> for AmfString {
    fn from(s: &str) -> Self {
        if s.len() <= INLINE {
            let mut bytes = [0; INLINE];
            bytes[..s.len()].copy_from_slice(s.as_bytes());
            AmfString(Repr::Inline {
                len: s.len() as u8,
                bytes,
            })
        } else {
            AmfString(Repr::Heap(s.into()))
        }
    }
}

impl From<String> for AmfString {
    fn from(s: String) -> Self {
        if s.len() <= INLINE {
            AmfString::from(s.as_str())
        } else {
            AmfString(Repr::Heap(s.into_boxed_str()))
        }
    }
}

impl From<&String> for AmfString {
    fn from(s: &String) -> Self {
        AmfString::from(s.as_str())
    }
}

impl From<AmfString> for String {
    fn from(s: AmfString) -> Self {
        match s.0 {
            Repr::Heap(s) => s.into_string(),
            Repr::Inline { .. } => s.as_str().to_owned(),
        }
    }
}

impl Deref for AmfString {
    type Target = str;

    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl AsRef<str> for AmfString {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl AsRef<[u8]> for AmfString {
    fn as_ref(&self) -> &[u8] {
        self.as_bytes()
    }
}

impl PartialEq for AmfString {
    fn eq(&self, other: &AmfString) -> bool {
        self.as_bytes() == other.as_bytes()
    }
}

impl Eq for AmfString {}

impl PartialEq<str> for AmfString {
    fn eq(&self, other: &str) -> bool {
        self.as_bytes() == other.as_bytes()
    }
}

impl PartialEq<&str> for AmfString {
    fn eq(&self, other: &&str) -> bool {
        self.as_bytes() == other.as_bytes()
    }
}

impl PartialEq<String> for AmfString {
    fn eq(&self, other: &String) -> bool {
        self.as_bytes() == other.as_bytes()
    }
}

impl PartialEq<AmfString> for str {
    fn eq(&self, other: &AmfString) -> bool {
        self.as_bytes() == other.as_bytes()
    }
}

impl PartialEq<AmfString> for &str {
    fn eq(&self, other: &AmfString) -> bool {
        self.as_bytes() == other.as_bytes()
    }
}

impl PartialOrd for AmfString {
    fn partial_cmp(&self, other: &AmfString) -> Option<core::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for AmfString {
    fn cmp(&self, other: &AmfString) -> core::cmp::Ordering {
        self.as_bytes().cmp(other.as_bytes())
    }
}

impl Hash for AmfString {
    fn hash<H: Hasher>(&self, state: &mut H) {
        // As `str` hashes.
        state.write(self.as_bytes());
        state.write_u8(0xff);
    }
}

impl fmt::Debug for AmfString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl fmt::Display for AmfString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self.as_str(), f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_and_long_text_read_back() {
        for s in [
            "",
            "app",
            "exactly twenty-two by!",
            "twenty-three bytes long",
            "rtmp://127.0.0.1:1935/live",
        ] {
            let a = AmfString::from(s);
            assert_eq!(a.as_str(), s);
            assert_eq!(a, s);
            assert_eq!(a, AmfString::from(s.to_owned()));
            assert_eq!(String::from(a.clone()), s);
            assert_eq!(a.len(), s.len());
        }
        assert!(matches!(
            AmfString::from("exactly twenty-two by!").0,
            Repr::Inline { len: 22, .. }
        ));
        assert!(matches!(
            AmfString::from("twenty-three bytes long").0,
            Repr::Heap(_)
        ));
        assert_eq!(
            AmfString::from_utf8_lossy_in(b"a\xffb", b"a\xffb"),
            "a\u{fffd}b"
        );
        // Copied as a block from a longer input: the text is its length.
        let input = b"app and the bytes after it";
        let a = AmfString::from_utf8_lossy_in(&input[..3], input);
        assert_eq!(a, "app");
        assert_eq!(a, AmfString::from("app"));
        assert_eq!(
            core::mem::size_of::<AmfString>(),
            core::mem::size_of::<String>()
        );
    }
}
