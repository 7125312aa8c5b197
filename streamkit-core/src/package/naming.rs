//! Resource names of a [`Package`](super::Package): how they are made and
//! read back.

use super::{Container, PackageError};

/// How a package names its resources. Every name is relative:
/// `<rendition>/<file>`.
///
/// | resource | name (defaults) |
/// |---|---|
/// | init segment (CMAF) | `<rendition>/init.mp4` |
/// | init segment version `v` > 0 (a codec configuration changed) | `<rendition>/init-<v>.mp4` |
/// | segment `n` | `<rendition>/seg-<n>.m4s` (CMAF), `<rendition>/seg-<n>.ts` |
/// | part `p` of segment `n` | `<rendition>/seg-<n>.<p>.m4s`, `.ts` |
///
/// A segment is the concatenation of its parts, byte for byte, so one set
/// of files serves HLS parts and segments and DASH (low-latency) segments.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Naming {
    /// The init segment's file name, inside the rendition's directory.
    pub init: String,
    /// Segment file names start with this, then the sequence number.
    pub segment_prefix: String,
    /// The extension of CMAF segments and parts (without the dot).
    pub cmaf_extension: String,
    /// The extension of MPEG-TS segments and parts (without the dot).
    pub ts_extension: String,
}

impl Default for Naming {
    fn default() -> Self {
        Naming {
            init: "init.mp4".into(),
            segment_prefix: "seg-".into(),
            cmaf_extension: "m4s".into(),
            ts_extension: "ts".into(),
        }
    }
}

/// What a resource name refers to, within its rendition.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ResourceKind {
    /// The rendition's init segment, version `version`: 0 for the
    /// configuration the package started with, one more at each change of
    /// the rendition's codec configuration.
    Init {
        /// The init segment's version.
        version: u32,
    },
    /// Media segment `sequence`.
    Segment {
        /// The segment's sequence number.
        sequence: u64,
    },
    /// Part `index` of media segment `sequence`.
    Part {
        /// The segment's sequence number.
        sequence: u64,
        /// The part's index within its segment (the segmenter's index).
        index: u32,
    },
}

impl Naming {
    /// The extension of `container`'s segments.
    #[must_use]
    pub fn extension(&self, container: Container) -> &str {
        match container {
            Container::Cmaf => &self.cmaf_extension,
            Container::MpegTs => &self.ts_extension,
        }
    }

    /// The file name (without the rendition) of `kind`.
    #[must_use]
    pub fn file(&self, container: Container, kind: ResourceKind) -> String {
        let ext = self.extension(container);
        match kind {
            ResourceKind::Init { version: 0 } => self.init.clone(),
            ResourceKind::Init { version } => match self.init.rsplit_once('.') {
                Some((stem, ext)) => format!("{stem}-{version}.{ext}"),
                None => format!("{}-{version}", self.init),
            },
            ResourceKind::Segment { sequence } => {
                format!("{}{sequence}.{ext}", self.segment_prefix)
            }
            ResourceKind::Part { sequence, index } => {
                format!("{}{sequence}.{index}.{ext}", self.segment_prefix)
            }
        }
    }

    /// The full name (`<rendition>/<file>`) of `kind` in `rendition`.
    #[must_use]
    pub fn name(&self, rendition: &str, container: Container, kind: ResourceKind) -> String {
        format!("{rendition}/{}", self.file(container, kind))
    }

    /// Reads a file name (without the rendition) back; `None` when it is
    /// not one this naming makes for `container`.
    #[must_use]
    pub fn parse_file(&self, container: Container, file: &str) -> Option<ResourceKind> {
        if file == self.init {
            return (container == Container::Cmaf).then_some(ResourceKind::Init { version: 0 });
        }
        if let Some(version) = self.parse_init_version(file) {
            return (container == Container::Cmaf).then_some(ResourceKind::Init { version });
        }
        let rest = file.strip_prefix(self.segment_prefix.as_str())?;
        let rest = rest
            .strip_suffix(self.extension(container))?
            .strip_suffix('.')?;
        let (sequence, index) = match rest.split_once('.') {
            Some((s, i)) => (s, Some(i)),
            None => (rest, None),
        };
        let sequence = decimal(sequence)?;
        match index {
            None => Some(ResourceKind::Segment { sequence }),
            Some(i) => Some(ResourceKind::Part {
                sequence,
                index: u32::try_from(decimal(i)?).ok()?,
            }),
        }
    }

    /// The version of a later init segment's file name (`init-3.mp4`).
    fn parse_init_version(&self, file: &str) -> Option<u32> {
        let (stem, ext) = match self.init.rsplit_once('.') {
            Some((stem, ext)) => (stem, Some(ext)),
            None => (self.init.as_str(), None),
        };
        let mut rest = file.strip_prefix(stem)?.strip_prefix('-')?;
        if let Some(ext) = ext {
            rest = rest.strip_suffix(ext)?.strip_suffix('.')?;
        }
        let version = u32::try_from(decimal(rest)?).ok()?;
        (version > 0).then_some(version)
    }

    /// [`PackageError::InvalidName`] for names a file name or a DASH
    /// template would misread: empty, holding `/`, `$`, `%`, `?`, `#`,
    /// whitespace or control characters, or a segment prefix ending in a
    /// digit.
    pub(crate) fn check(&self) -> Result<(), PackageError> {
        for name in [
            &self.init,
            &self.segment_prefix,
            &self.cmaf_extension,
            &self.ts_extension,
        ] {
            if !plain_component(name) {
                return Err(PackageError::InvalidName { name: name.clone() });
            }
        }
        if self
            .segment_prefix
            .as_bytes()
            .last()
            .is_some_and(u8::is_ascii_digit)
        {
            return Err(PackageError::InvalidName {
                name: self.segment_prefix.clone(),
            });
        }
        Ok(())
    }
}

/// A decimal number without sign or leading zeros (but `0` itself).
fn decimal(s: &str) -> Option<u64> {
    if s.is_empty()
        || s.len() > 19
        || !s.bytes().all(|b| b.is_ascii_digit())
        || (s.len() > 1 && s.starts_with('0'))
    {
        return None;
    }
    s.parse().ok()
}

/// A name component that is safe in a path, a URL and a DASH template.
fn plain_component(name: &str) -> bool {
    !name.is_empty()
        && name != "."
        && name != ".."
        && !name.chars().any(|c| {
            matches!(c, '/' | '\\' | '$' | '%' | '?' | '#') || c.is_whitespace() || c.is_control()
        })
}

/// `true` when `name` can name a rendition: one or more plain components
/// separated by `/` (so `ts/main` is a rendition in a subdirectory).
pub(crate) fn plain_rendition(name: &str) -> bool {
    !name.is_empty() && name.split('/').all(plain_component)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        let n = Naming::default();
        for kind in [
            ResourceKind::Init { version: 0 },
            ResourceKind::Init { version: 1 },
            ResourceKind::Init { version: 42 },
            ResourceKind::Segment { sequence: 0 },
            ResourceKind::Segment { sequence: 1234 },
            ResourceKind::Part {
                sequence: 7,
                index: 3,
            },
        ] {
            let file = n.file(Container::Cmaf, kind);
            assert_eq!(n.parse_file(Container::Cmaf, &file), Some(kind), "{file}");
        }
        assert_eq!(
            n.name(
                "video",
                Container::Cmaf,
                ResourceKind::Part {
                    sequence: 4,
                    index: 1
                }
            ),
            "video/seg-4.1.m4s"
        );
        assert_eq!(
            n.file(Container::Cmaf, ResourceKind::Init { version: 3 }),
            "init-3.mp4"
        );
        assert_eq!(n.parse_file(Container::MpegTs, "init.mp4"), None);
        assert_eq!(n.parse_file(Container::MpegTs, "init-1.mp4"), None);
        for bad in [
            "init-0.mp4",
            "init-01.mp4",
            "init-.mp4",
            "init-1.m4s",
            "init1.mp4",
        ] {
            assert_eq!(n.parse_file(Container::Cmaf, bad), None, "{bad}");
        }
        assert_eq!(
            n.parse_file(Container::MpegTs, "seg-9.ts"),
            Some(ResourceKind::Segment { sequence: 9 })
        );
        for bad in [
            "seg-01.m4s",
            "seg-.m4s",
            "seg-1.m4",
            "seg-1..m4s",
            "seg-1.x.m4s",
            "seg-1.ts",
        ] {
            assert_eq!(n.parse_file(Container::Cmaf, bad), None, "{bad}");
        }
    }

    #[test]
    fn unsafe_names_are_refused() {
        for bad in ["", "a/b", "$Number$", "a b", "..", "x%2f", "seg-1"] {
            let n = Naming {
                segment_prefix: bad.into(),
                ..Naming::default()
            };
            assert!(n.check().is_err(), "{bad:?}");
        }
        assert!(Naming::default().check().is_ok());
        assert!(plain_rendition("ts/main"));
        assert!(!plain_rendition("ts//main"));
        assert!(!plain_rendition("../main"));
    }
}
