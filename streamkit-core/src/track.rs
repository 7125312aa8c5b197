//! A track: one elementary stream's id, clock and codec configuration, as a
//! demuxer finds it and a muxer or packager needs it.
//!
//! ```
//! use streamkit_core::codec::{CodecConfig, MediaKind, aac::AacConfig};
//! use streamkit_core::time::Timescale;
//! use streamkit_core::track::Track;
//!
//! let aac = AacConfig::new(2, 48_000, 2)?;
//! let track = Track::new(2, Timescale::AUDIO_48KHZ, CodecConfig::Aac(aac))
//!     .with_language(*b"eng");
//! assert_eq!(track.kind(), MediaKind::Audio);
//! assert_eq!(track.codec_string(), "mp4a.40.2");
//! assert_eq!(track.language_str(), Some("eng"));
//! # Ok::<(), streamkit_core::codec::CodecError>(())
//! ```

use crate::codec::{CodecConfig, MediaKind};
use crate::time::Timescale;

/// One elementary stream: its id, its clock and its codec configuration.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Track {
    /// The track id (the MP4 `track_ID`; unique within a presentation, not
    /// zero).
    pub id: u32,
    /// The clock of the track's sample times (the MP4 media timescale).
    pub timescale: Timescale,
    /// The codec configuration.
    pub codec: CodecConfig,
    /// ISO 639-2/T language code (`*b"eng"`), when known.
    pub language: Option<[u8; 3]>,
    /// Duration in ticks of `timescale`, when the container states it.
    pub duration: Option<u64>,
}

impl Track {
    /// A track with no language and no stated duration.
    #[must_use]
    pub fn new(id: u32, timescale: Timescale, codec: CodecConfig) -> Track {
        Track {
            id,
            timescale,
            codec,
            language: None,
            duration: None,
        }
    }

    /// The same track with a language code.
    #[must_use]
    pub fn with_language(mut self, language: [u8; 3]) -> Track {
        self.language = Some(language);
        self
    }

    /// Video or audio.
    #[must_use]
    pub fn kind(&self) -> MediaKind {
        self.codec.kind()
    }

    /// The RFC 6381 codec string (see [`CodecConfig::codec_string`]).
    #[must_use]
    pub fn codec_string(&self) -> String {
        self.codec.codec_string()
    }

    /// The language code as text, when it is set and is ASCII.
    #[must_use]
    pub fn language_str(&self) -> Option<&str> {
        self.language
            .as_ref()
            .filter(|l| l.is_ascii())
            .and_then(|l| core::str::from_utf8(l).ok())
    }
}
