//! [`CacheControl`]: the caching of an answer, rendered to its
//! `Cache-Control` value in one place.

use std::fmt;

use crate::field::FieldValue;

/// The `Cache-Control` of a response (RFC 9111 section 5.2.2).
///
/// ```
/// use streamkit_origin::CacheControl;
///
/// assert_eq!(CacheControl::Immutable.to_string(), "public, max-age=31536000, immutable");
/// assert_eq!(CacheControl::max_age(1).to_string(), "public, max-age=1");
/// assert_eq!(
///     CacheControl::max_age(1).with_shared_max_age(0).to_string(),
///     "public, max-age=1, s-maxage=0"
/// );
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum CacheControl {
    /// `no-store`: errors, the time, anything no cache may keep. The
    /// default.
    #[default]
    NoStore,
    /// `no-cache`: caches may keep it but revalidate every time (with the
    /// ETag, a `304` when unchanged): a live DASH MPD.
    NoCache,
    /// `public, max-age=N[, s-maxage=M]`: fresh for `seconds` in any cache;
    /// `shared_seconds` sets another lifetime for shared caches (a CDN
    /// edge, nginx `proxy_cache`).
    MaxAge {
        /// `max-age`.
        seconds: u32,
        /// `s-maxage`, if different for shared caches.
        shared_seconds: Option<u32>,
    },
    /// `public, max-age=31536000, immutable`: a resource that never
    /// changes under its name (segments, parts, init segments, the
    /// playlists of a finished presentation).
    Immutable,
}

/// A year, the longest `max-age` RFC 9111 advises.
const YEAR: u32 = 31_536_000;

impl CacheControl {
    /// `public, max-age=seconds`.
    #[must_use]
    pub const fn max_age(seconds: u32) -> CacheControl {
        CacheControl::MaxAge {
            seconds,
            shared_seconds: None,
        }
    }

    /// The same with `s-maxage=seconds` (only for
    /// [`CacheControl::MaxAge`]; the other forms are returned unchanged).
    #[must_use]
    pub const fn with_shared_max_age(self, seconds: u32) -> CacheControl {
        match self {
            CacheControl::MaxAge { seconds: own, .. } => CacheControl::MaxAge {
                seconds: own,
                shared_seconds: Some(seconds),
            },
            other => other,
        }
    }

    /// The header field value.
    #[must_use]
    pub fn value(&self) -> FieldValue<'static> {
        match *self {
            CacheControl::NoStore => FieldValue::borrowed("no-store"),
            CacheControl::NoCache => FieldValue::borrowed("no-cache"),
            CacheControl::Immutable => FieldValue::borrowed("public, max-age=31536000, immutable"),
            CacheControl::MaxAge { .. } => FieldValue::render(|w| self.write(w)),
        }
    }

    fn write(&self, w: &mut dyn fmt::Write) -> fmt::Result {
        match *self {
            CacheControl::NoStore => w.write_str("no-store"),
            CacheControl::NoCache => w.write_str("no-cache"),
            CacheControl::Immutable => write!(w, "public, max-age={YEAR}, immutable"),
            CacheControl::MaxAge {
                seconds,
                shared_seconds,
            } => {
                write!(w, "public, max-age={seconds}")?;
                match shared_seconds {
                    Some(s) => write!(w, ", s-maxage={s}"),
                    None => Ok(()),
                }
            }
        }
    }
}

impl fmt::Display for CacheControl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.write(f)
    }
}

#[cfg(test)]
mod tests {
    use super::CacheControl;

    #[test]
    fn every_form_renders_in_place() {
        for (cache, text) in [
            (CacheControl::NoStore, "no-store"),
            (CacheControl::NoCache, "no-cache"),
            (
                CacheControl::Immutable,
                "public, max-age=31536000, immutable",
            ),
            (CacheControl::max_age(6), "public, max-age=6"),
            (
                CacheControl::max_age(u32::MAX).with_shared_max_age(u32::MAX),
                "public, max-age=4294967295, s-maxage=4294967295",
            ),
            (CacheControl::NoStore.with_shared_max_age(3), "no-store"),
        ] {
            assert_eq!(cache.value(), text);
            assert_eq!(cache.to_string(), text);
        }
    }
}
