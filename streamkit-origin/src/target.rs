//! Request targets: the path and query of a request line, checked once by
//! a [`PathPolicy`].

use std::borrow::Cow;

/// What a [`PathPolicy`] does with `%XX` escapes in a path.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum PercentDecoding {
    /// A `%` anywhere in the path is refused ([`TargetError::Percent`]):
    /// the names an origin produces never need it. The default.
    #[default]
    Refuse,
    /// `%XX` is decoded before the segment rules apply, so `%2e%2e` is a
    /// `..` segment like any other. An escape that decodes to `/`, `\`,
    /// `%`, NUL or another control byte is refused
    /// ([`TargetError::EncodedForbidden`]): it would make a second decoder
    /// see another path. The decoded path must be UTF-8.
    Decode,
}

/// The rules a request target must meet before any lookup. A path is a
/// name to look up, never a file system path.
///
/// The target is `path[?query]` as it came on the request line (origin
/// form). [`PathPolicy::parse`] refuses, in this order:
///
/// 1. a target longer than [`PathPolicy::max_len`] bytes
///    ([`TargetError::TooLong`], answered `414 URI Too Long`: RFC 9110
///    section 15.5.15 is this case exactly);
/// 2. a path that does not start with `/` ([`TargetError::NotAbsolute`]);
/// 3. in the path, byte by byte: NUL, a backslash, any other control byte
///    (and DEL), a byte RFC 3986 does not allow in a path (space, `"`,
///    `#`, `<`, `>`, `[`, `]`, `^`, `` ` ``, `{`, `|`, `}`, any non-ASCII
///    byte), and `%` unless [`PercentDecoding::Decode`];
/// 4. an empty, `.` or `..` segment (after decoding, when decoding); the
///    path `/` alone is the root and passes;
/// 5. in the query, NUL, control bytes, space and non-ASCII bytes (the
///    query is otherwise the site's to read).
///
/// Every error but [`TargetError::TooLong`] is answered `400 Bad Request`
/// ([`TargetError::status`]), and every error says at which byte offset
/// of the target it is.
///
/// ```
/// use streamkit_origin::{PathPolicy, TargetError};
///
/// let policy = PathPolicy::default();
/// let target = policy.parse("/live/a/index.m3u8?_HLS_msn=3").unwrap();
/// assert_eq!((target.path(), target.query()), ("/live/a/index.m3u8", "_HLS_msn=3"));
/// assert_eq!(policy.parse("/vod/../etc/passwd"), Err(TargetError::DotDotSegment { offset: 5 }));
/// assert_eq!(policy.parse("/vod/%2e%2e/x"), Err(TargetError::Percent { offset: 5 }));
/// let decoding = PathPolicy::default().with_percent_decoding();
/// assert_eq!(decoding.parse("/vod/%2e%2e/x"), Err(TargetError::DotDotSegment { offset: 5 }));
/// assert_eq!(decoding.parse("/caf%C3%A9.txt").unwrap().path(), "/café.txt");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct PathPolicy {
    /// The longest target (path and query) accepted, in bytes.
    pub max_len: usize,
    /// What `%` in a path means.
    pub percent: PercentDecoding,
}

impl Default for PathPolicy {
    /// Targets up to 1024 bytes, `%` refused.
    fn default() -> Self {
        PathPolicy {
            max_len: 1024,
            percent: PercentDecoding::Refuse,
        }
    }
}

/// A request target that passed a [`PathPolicy`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target<'a> {
    path: Cow<'a, str>,
    query: &'a str,
}

impl<'a> Target<'a> {
    /// The path: starts with `/`, no empty, `.` or `..` segment, no `%`,
    /// backslash or control byte (decoded, when the policy decodes).
    #[must_use]
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The query, without `?` (empty when none), as it came.
    #[must_use]
    pub fn query(&self) -> &'a str {
        self.query
    }
}

/// Why a request target is refused: which rule of the [`PathPolicy`], and
/// at which byte offset of the target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TargetError {
    /// The target is longer than the policy allows.
    #[error("request target of {len} bytes is longer than the {max} allowed")]
    TooLong {
        /// The target's length.
        len: usize,
        /// [`PathPolicy::max_len`].
        max: usize,
    },
    /// The path does not start with `/` (offset 0).
    #[error("request target does not start with '/'")]
    NotAbsolute,
    /// A NUL byte.
    #[error("NUL byte at offset {offset}")]
    Nul {
        /// Where, in the target.
        offset: usize,
    },
    /// A backslash in the path.
    #[error("backslash at offset {offset}")]
    Backslash {
        /// Where, in the target.
        offset: usize,
    },
    /// A control byte (below 0x20, or DEL) other than NUL.
    #[error("control byte {byte:#04x} at offset {offset}")]
    Control {
        /// Where, in the target.
        offset: usize,
        /// The byte.
        byte: u8,
    },
    /// A byte a path (or query) may not hold: space, non-ASCII, or one of
    /// `"#<>[]^`{|}` in the path.
    #[error("byte {byte:#04x} not allowed in a request target at offset {offset}")]
    Disallowed {
        /// Where, in the target.
        offset: usize,
        /// The byte.
        byte: u8,
    },
    /// A `%` in the path, which this policy does not decode.
    #[error("percent-encoding at offset {offset}, not accepted")]
    Percent {
        /// Where, in the target.
        offset: usize,
    },
    /// A `%` not followed by two hexadecimal digits.
    #[error("malformed percent-encoding at offset {offset}")]
    BadPercentEncoding {
        /// Where, in the target.
        offset: usize,
    },
    /// An escape that decodes to `/`, `\`, `%`, NUL or a control byte.
    #[error("percent-encoded byte {byte:#04x} at offset {offset} is not accepted in a path")]
    EncodedForbidden {
        /// Where the escape starts, in the target.
        offset: usize,
        /// The decoded byte.
        byte: u8,
    },
    /// A segment that is not UTF-8 once decoded.
    #[error("path segment at offset {offset} is not UTF-8 once decoded")]
    NotUtf8 {
        /// Where the segment starts, in the target.
        offset: usize,
    },
    /// An empty path segment (`//`, or a trailing `/`).
    #[error("empty path segment at offset {offset}")]
    EmptySegment {
        /// Where the segment would start, in the target.
        offset: usize,
    },
    /// A `.` path segment.
    #[error("'.' path segment at offset {offset}")]
    DotSegment {
        /// Where the segment starts, in the target.
        offset: usize,
    },
    /// A `..` path segment.
    #[error("'..' path segment at offset {offset}")]
    DotDotSegment {
        /// Where the segment starts, in the target.
        offset: usize,
    },
}

impl TargetError {
    /// The status code of the answer: `414 URI Too Long` for
    /// [`TargetError::TooLong`], else `400 Bad Request`.
    #[must_use]
    pub fn status(&self) -> u16 {
        match self {
            TargetError::TooLong { .. } => 414,
            _ => 400,
        }
    }

    /// The byte offset in the target the error is about (the policy's
    /// limit for [`TargetError::TooLong`], 0 for
    /// [`TargetError::NotAbsolute`]).
    #[must_use]
    pub fn offset(&self) -> usize {
        match *self {
            TargetError::TooLong { max, .. } => max,
            TargetError::NotAbsolute => 0,
            TargetError::Nul { offset }
            | TargetError::Backslash { offset }
            | TargetError::Control { offset, .. }
            | TargetError::Disallowed { offset, .. }
            | TargetError::Percent { offset }
            | TargetError::BadPercentEncoding { offset }
            | TargetError::EncodedForbidden { offset, .. }
            | TargetError::NotUtf8 { offset }
            | TargetError::EmptySegment { offset }
            | TargetError::DotSegment { offset }
            | TargetError::DotDotSegment { offset } => offset,
        }
    }
}

/// `true` for the bytes RFC 3986 allows in a path besides `%` escapes:
/// unreserved, sub-delims, `:`, `@` and `/`.
fn path_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric()
        || matches!(
            b,
            b'-' | b'.'
                | b'_'
                | b'~'
                | b'!'
                | b'$'
                | b'&'
                | b'\''
                | b'('
                | b')'
                | b'*'
                | b'+'
                | b','
                | b';'
                | b'='
                | b':'
                | b'@'
                | b'/'
        )
}

fn hex(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// The byte rule shared by path and query: NUL, control bytes.
fn control(offset: usize, b: u8) -> Option<TargetError> {
    match b {
        0 => Some(TargetError::Nul { offset }),
        0x01..=0x1f | 0x7f => Some(TargetError::Control { offset, byte: b }),
        _ => None,
    }
}

impl PathPolicy {
    /// A policy accepting targets up to `max_len` bytes, refusing `%`.
    #[must_use]
    pub fn new(max_len: usize) -> PathPolicy {
        PathPolicy {
            max_len,
            percent: PercentDecoding::Refuse,
        }
    }

    /// The same policy, decoding `%XX` escapes in paths.
    #[must_use]
    pub fn with_percent_decoding(mut self) -> PathPolicy {
        self.percent = PercentDecoding::Decode;
        self
    }

    /// Checks `target` (`/path[?query]`) against the policy; see the
    /// [type documentation](PathPolicy) for the rules, in order.
    pub fn parse<'a>(&self, target: &'a str) -> Result<Target<'a>, TargetError> {
        if target.len() > self.max_len {
            return Err(TargetError::TooLong {
                len: target.len(),
                max: self.max_len,
            });
        }
        let (path, query) = target.split_once('?').unwrap_or((target, ""));
        if !path.starts_with('/') {
            return Err(TargetError::NotAbsolute);
        }
        let bytes = path.as_bytes();
        let mut escaped = false;
        let mut i = 0;
        while let Some(&b) = bytes.get(i) {
            if let Some(e) = control(i, b) {
                return Err(e);
            }
            if b == b'\\' {
                return Err(TargetError::Backslash { offset: i });
            }
            if b == b'%' {
                if self.percent == PercentDecoding::Refuse {
                    return Err(TargetError::Percent { offset: i });
                }
                let decoded = match (bytes.get(i + 1), bytes.get(i + 2)) {
                    (Some(&h), Some(&l)) => hex(h).zip(hex(l)).map(|(h, l)| h << 4 | l),
                    _ => None,
                };
                let Some(d) = decoded else {
                    return Err(TargetError::BadPercentEncoding { offset: i });
                };
                if matches!(d, b'/' | b'\\' | b'%' | 0x00..=0x1f | 0x7f) {
                    return Err(TargetError::EncodedForbidden { offset: i, byte: d });
                }
                escaped = true;
                i += 3;
                continue;
            }
            if !path_byte(b) {
                return Err(TargetError::Disallowed { offset: i, byte: b });
            }
            i += 1;
        }
        let decoded = self.segments(path, escaped)?;
        let query_start = path.len() + 1;
        for (j, b) in query.bytes().enumerate() {
            let offset = query_start + j;
            if let Some(e) = control(offset, b) {
                return Err(e);
            }
            if b == b' ' || !b.is_ascii() {
                return Err(TargetError::Disallowed { offset, byte: b });
            }
        }
        Ok(Target {
            path: decoded,
            query,
        })
    }

    /// The segment rules; the decoded path when `escaped` (the bytes are
    /// checked already: every `%` starts a valid escape of an accepted
    /// byte).
    fn segments<'a>(&self, path: &'a str, escaped: bool) -> Result<Cow<'a, str>, TargetError> {
        if path == "/" {
            return Ok(Cow::Borrowed(path));
        }
        let mut out = escaped.then(|| String::with_capacity(path.len()));
        // The path starts with '/': every segment follows a '/'.
        let mut offset = 1;
        for segment in path.get(1..).unwrap_or("").split('/') {
            let decoded: Cow<'_, [u8]> = if escaped && segment.contains('%') {
                Cow::Owned(decode(segment.as_bytes()))
            } else {
                Cow::Borrowed(segment.as_bytes())
            };
            match &*decoded {
                b"" => return Err(TargetError::EmptySegment { offset }),
                b"." => return Err(TargetError::DotSegment { offset }),
                b".." => return Err(TargetError::DotDotSegment { offset }),
                _ => {}
            }
            if let Some(out) = out.as_mut() {
                let Ok(text) = std::str::from_utf8(&decoded) else {
                    return Err(TargetError::NotUtf8 { offset });
                };
                out.push('/');
                out.push_str(text);
            }
            offset += segment.len() + 1;
        }
        Ok(out.map_or(Cow::Borrowed(path), Cow::Owned))
    }
}

/// Decodes the `%XX` escapes of `segment` (checked already).
fn decode(segment: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(segment.len());
    let mut i = 0;
    while let Some(&b) = segment.get(i) {
        if b == b'%'
            && let (Some(h), Some(l)) = (
                segment.get(i + 1).copied().and_then(hex),
                segment.get(i + 2).copied().and_then(hex),
            )
        {
            out.push(h << 4 | l);
            i += 3;
        } else {
            out.push(b);
            i += 1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::{PathPolicy, TargetError};

    #[test]
    fn every_rule_says_where() {
        let p = PathPolicy::new(64);
        let cases: &[(&str, TargetError)] = &[
            (&"/a".repeat(40), TargetError::TooLong { len: 80, max: 64 }),
            ("", TargetError::NotAbsolute),
            ("vod/a", TargetError::NotAbsolute),
            ("?x", TargetError::NotAbsolute),
            ("/a\0b", TargetError::Nul { offset: 2 }),
            ("/a\\b", TargetError::Backslash { offset: 2 }),
            (
                "/a\rb",
                TargetError::Control {
                    offset: 2,
                    byte: b'\r',
                },
            ),
            (
                "/a\x7fb",
                TargetError::Control {
                    offset: 2,
                    byte: 0x7f,
                },
            ),
            (
                "/a b",
                TargetError::Disallowed {
                    offset: 2,
                    byte: b' ',
                },
            ),
            (
                "/a#b",
                TargetError::Disallowed {
                    offset: 2,
                    byte: b'#',
                },
            ),
            (
                "/é",
                TargetError::Disallowed {
                    offset: 1,
                    byte: 0xc3,
                },
            ),
            ("/a%2fb", TargetError::Percent { offset: 2 }),
            ("//a", TargetError::EmptySegment { offset: 1 }),
            ("/a//b", TargetError::EmptySegment { offset: 3 }),
            ("/a/", TargetError::EmptySegment { offset: 3 }),
            ("/./a", TargetError::DotSegment { offset: 1 }),
            ("/a/.", TargetError::DotSegment { offset: 3 }),
            ("/a/../b", TargetError::DotDotSegment { offset: 3 }),
            ("/..", TargetError::DotDotSegment { offset: 1 }),
            ("/a?b\0", TargetError::Nul { offset: 4 }),
            (
                "/a?b\nc",
                TargetError::Control {
                    offset: 4,
                    byte: b'\n',
                },
            ),
            (
                "/a?b c",
                TargetError::Disallowed {
                    offset: 4,
                    byte: b' ',
                },
            ),
        ];
        for (target, error) in cases {
            assert_eq!(p.parse(target).as_ref(), Err(error), "{target:?}");
            let status = if matches!(error, TargetError::TooLong { .. }) {
                414
            } else {
                400
            };
            assert_eq!(error.status(), status);
        }
        assert_eq!(TargetError::DotDotSegment { offset: 3 }.offset(), 3);
    }

    #[test]
    fn decoding_applies_the_segment_rules_to_what_it_decodes() {
        let p = PathPolicy::default().with_percent_decoding();
        let cases: &[(&str, TargetError)] = &[
            ("/a/%2E%2e/b", TargetError::DotDotSegment { offset: 3 }),
            ("/%2e", TargetError::DotSegment { offset: 1 }),
            (
                "/a%2Fb",
                TargetError::EncodedForbidden {
                    offset: 2,
                    byte: b'/',
                },
            ),
            (
                "/a%5cb",
                TargetError::EncodedForbidden {
                    offset: 2,
                    byte: b'\\',
                },
            ),
            (
                "/a%00",
                TargetError::EncodedForbidden { offset: 2, byte: 0 },
            ),
            (
                "/a%0d%0a",
                TargetError::EncodedForbidden {
                    offset: 2,
                    byte: b'\r',
                },
            ),
            (
                "/a%25",
                TargetError::EncodedForbidden {
                    offset: 2,
                    byte: b'%',
                },
            ),
            ("/a%g0", TargetError::BadPercentEncoding { offset: 2 }),
            ("/a%2", TargetError::BadPercentEncoding { offset: 2 }),
            ("/b/%ff", TargetError::NotUtf8 { offset: 3 }),
        ];
        for (target, error) in cases {
            assert_eq!(p.parse(target).as_ref(), Err(error), "{target:?}");
        }
        let t = p.parse("/caf%C3%A9/a%20b.ts?x=%41").unwrap();
        assert_eq!(t.path(), "/café/a b.ts");
        assert_eq!(t.query(), "x=%41");
    }

    #[test]
    fn plain_targets_pass_as_they_are() {
        let p = PathPolicy::default();
        for (target, path, query) in [
            ("/", "/", ""),
            ("/?", "/", ""),
            ("/vod/h264_aac/master.m3u8", "/vod/h264_aac/master.m3u8", ""),
            (
                "/live/a/index.m3u8?_HLS_msn=3&_HLS_part=1",
                "/live/a/index.m3u8",
                "_HLS_msn=3&_HLS_part=1",
            ),
            ("/a/.hidden/..b/~c@d:e", "/a/.hidden/..b/~c@d:e", ""),
            ("/a?b?c/%2e\\", "/a", "b?c/%2e\\"),
        ] {
            let t = p.parse(target).unwrap();
            assert_eq!((t.path(), t.query()), (path, query), "{target:?}");
        }
        assert_eq!(PathPolicy::new(3).parse("/ab").unwrap().path(), "/ab");
    }
}
