//! Codec configuration: H.264, H.265, AAC and Opus.
//!
//! Each codec has a configuration record parsed from (and written back to)
//! the bytes an MP4 sample entry carries:
//!
//! - [`h264::AvcConfig`]: the `avcC` box (AVCDecoderConfigurationRecord),
//!   with [`h264::Sps`] for the sequence parameter set's profile, level,
//!   chroma format, bit depth, cropped size and frame rate.
//! - [`h265::HevcConfig`]: the `hvcC` box (HEVCDecoderConfigurationRecord),
//!   with [`h265::Sps`] for the cropped size, chroma format and bit depth.
//! - [`aac::AacConfig`]: the AudioSpecificConfig, and [`aac::AdtsHeader`]
//!   for ADTS framing.
//! - [`opus::OpusConfig`]: the `dOps` box, and [`opus::OpusHead`] (the Ogg
//!   identification header).
//!
//! [`CodecConfig`] gathers them, and gives each one's RFC 6381 codec string,
//! the string HLS `CODECS` attributes and DASH `@codecs` need.
//!
//! ```
//! use streamkit_core::codec::{CodecConfig, MediaKind, aac::AacConfig};
//!
//! // AAC-LC, 44.1 kHz, stereo.
//! let asc = AacConfig::parse(&[0x12, 0x10])?;
//! let codec = CodecConfig::Aac(asc);
//! assert_eq!(codec.codec_string(), "mp4a.40.2");
//! assert_eq!(codec.kind(), MediaKind::Audio);
//! assert_eq!(codec.sample_rate(), Some(44_100));
//! assert_eq!(codec.channels(), Some(2));
//! # Ok::<(), streamkit_core::codec::CodecError>(())
//! ```

pub mod aac;
pub mod bits;
pub mod h264;
pub mod h265;
pub mod opus;

use core::fmt;

/// Whether a track carries pictures or sound.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum MediaKind {
    /// Pictures: H.264, H.265.
    Video,
    /// Sound: AAC, Opus.
    Audio,
}

impl fmt::Display for MediaKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            MediaKind::Video => "video",
            MediaKind::Audio => "audio",
        })
    }
}

/// A frame rate as an exact fraction `num / den` frames per second, reduced
/// to lowest terms (30 fps is `30/1`, NTSC is `30000/1001`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct FrameRate {
    /// Frames per `den` seconds.
    pub num: u32,
    /// Seconds per `num` frames; never zero.
    pub den: u32,
}

impl FrameRate {
    /// `num / den` reduced to lowest terms; `None` when either is zero or the
    /// reduced fraction does not fit in `u32`.
    #[must_use]
    pub fn new(num: u64, den: u64) -> Option<FrameRate> {
        if num == 0 || den == 0 {
            return None;
        }
        let g = gcd(num, den);
        Some(FrameRate {
            num: u32::try_from(num / g).ok()?,
            den: u32::try_from(den / g).ok()?,
        })
    }
}

impl fmt::Display for FrameRate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.num, self.den)
    }
}

fn gcd(mut a: u64, mut b: u64) -> u64 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

/// The configuration of one elementary stream, by codec.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum CodecConfig {
    /// H.264 / AVC, from an `avcC` box.
    H264(h264::AvcConfig),
    /// H.265 / HEVC, from an `hvcC` box.
    H265(h265::HevcConfig),
    /// AAC, from an AudioSpecificConfig.
    Aac(aac::AacConfig),
    /// Opus, from a `dOps` box or an OpusHead.
    Opus(opus::OpusConfig),
}

impl CodecConfig {
    /// The RFC 6381 codec string: `avc1.64001f`, `hvc1.1.6.L93.B0`,
    /// `mp4a.40.2`, `opus`.
    #[must_use]
    pub fn codec_string(&self) -> String {
        match self {
            CodecConfig::H264(c) => c.codec_string(),
            CodecConfig::H265(c) => c.codec_string(),
            CodecConfig::Aac(c) => c.codec_string(),
            CodecConfig::Opus(c) => c.codec_string(),
        }
    }

    /// Video or audio.
    #[must_use]
    pub fn kind(&self) -> MediaKind {
        match self {
            CodecConfig::H264(_) | CodecConfig::H265(_) => MediaKind::Video,
            CodecConfig::Aac(_) | CodecConfig::Opus(_) => MediaKind::Audio,
        }
    }

    /// The four-character code of the ISO BMFF sample entry that carries
    /// this configuration: `avc1`, `hvc1`, `mp4a`, `Opus`.
    #[must_use]
    pub fn sample_entry_type(&self) -> [u8; 4] {
        match self {
            CodecConfig::H264(_) => *b"avc1",
            CodecConfig::H265(_) => *b"hvc1",
            CodecConfig::Aac(_) => *b"mp4a",
            CodecConfig::Opus(_) => *b"Opus",
        }
    }

    /// Width and height in pixels after cropping, from the first SPS; `None`
    /// for audio or when the configuration holds no parsable SPS.
    #[must_use]
    pub fn dimensions(&self) -> Option<(u32, u32)> {
        match self {
            CodecConfig::H264(c) => c.sps_info().ok().map(|s| (s.width, s.height)),
            CodecConfig::H265(c) => c.sps_info().ok().map(|s| (s.width, s.height)),
            CodecConfig::Aac(_) | CodecConfig::Opus(_) => None,
        }
    }

    /// The frame rate the video's first SPS signals in its VUI timing
    /// information; `None` for audio, or when not signalled.
    #[must_use]
    pub fn frame_rate(&self) -> Option<FrameRate> {
        match self {
            CodecConfig::H264(c) => c.sps_info().ok().and_then(|s| s.frame_rate),
            CodecConfig::H265(c) => c.sps_info().ok().and_then(|s| s.frame_rate),
            CodecConfig::Aac(_) | CodecConfig::Opus(_) => None,
        }
    }

    /// Audio sample rate in Hz (for AAC the core sampling frequency, for
    /// Opus always 48 000, the rate Opus decodes at); `None` for video.
    #[must_use]
    pub fn sample_rate(&self) -> Option<u32> {
        match self {
            CodecConfig::Aac(c) => Some(c.sampling_frequency),
            CodecConfig::Opus(_) => Some(opus::OPUS_SAMPLE_RATE),
            CodecConfig::H264(_) | CodecConfig::H265(_) => None,
        }
    }

    /// Number of output audio channels; `None` for video, and for AAC whose
    /// channel layout lives in a program config element (configuration 0).
    #[must_use]
    pub fn channels(&self) -> Option<u16> {
        match self {
            CodecConfig::Aac(c) => c.channels(),
            CodecConfig::Opus(c) => Some(u16::from(c.output_channel_count)),
            CodecConfig::H264(_) | CodecConfig::H265(_) => None,
        }
    }
}

/// Runs every codec and NAL parser of this crate over `data`, and every
/// writer over what parses: the body of fuzz targets and of the "arbitrary
/// bytes never panic" property tests. Not part of the stable API.
#[doc(hidden)]
pub fn fuzz_parsers(data: &[u8]) {
    use crate::nal::{self, NalLengthSize};

    let _ = h264::Sps::parse(data);
    let _ = h264::Sps::parse_rbsp(data);
    let _ = h265::Sps::parse(data);
    let _ = h265::Sps::parse_rbsp(data);
    if let Ok(c) = h264::AvcConfig::parse(data) {
        let _ = (c.sps_info(), c.to_bytes(), c.codec_string());
        let _ = CodecConfig::H264(c).dimensions();
    }
    if let Ok(c) = h265::HevcConfig::parse(data) {
        let _ = (c.sps_info(), c.to_bytes(), c.codec_string());
        let _ = CodecConfig::H265(c).frame_rate();
    }
    if let Ok(c) = aac::AacConfig::parse(data) {
        let _ = (c.to_bytes(), c.frame_length(), c.channels());
        let _ = aac::AdtsHeader::from_config(&c, data.len());
    }
    if let Ok(h) = aac::AdtsHeader::parse(data) {
        let _ = h.to_config();
        h.write(&mut Vec::new());
    }
    if let Ok(c) = opus::OpusConfig::parse_dops(data) {
        let _ = c.to_bytes();
        let _ = opus::OpusHead::from(c).write(&mut Vec::new());
    }
    let _ = opus::OpusHead::parse(data);
    let _ = nal::rbsp_from_ebsp(data);
    let _ = nal::AnnexBSlices::new(data).count();
    for size in [NalLengthSize::One, NalLengthSize::Two, NalLengthSize::Four] {
        let _ = nal::LengthPrefixedSlices::new(data, size).count();
        let _ = nal::annex_b_to_length_prefixed(data, size, &mut Vec::new());
        let _ = nal::length_prefixed_to_annex_b(data, size, &mut Vec::new());
    }
}

/// Why a codec configuration, parameter set or frame header could not be
/// parsed or written.
///
/// Every variant names the structure (`"avcC"`, `"H.264 SPS"`, `"ADTS"`, ...)
/// and the field, and where in the input the problem is.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CodecError {
    /// The input ended inside a byte-aligned field.
    #[error(
        "{structure}: truncated at byte {offset}: {field} needs {needed} byte(s), {available} left"
    )]
    Truncated {
        /// The structure being parsed.
        structure: &'static str,
        /// The field being read.
        field: &'static str,
        /// Byte offset of the field.
        offset: usize,
        /// Bytes the field needs.
        needed: usize,
        /// Bytes left in the input.
        available: usize,
    },
    /// The input ended inside a bit field or exp-Golomb code.
    #[error("{structure}: ran out of bits reading {field} at bit {bit_offset} (byte {})", .bit_offset / 8)]
    EndOfBits {
        /// The structure being parsed.
        structure: &'static str,
        /// The field being read.
        field: &'static str,
        /// Bit offset (from the start of the input) where the field starts.
        bit_offset: usize,
    },
    /// A field holds a value the specification forbids.
    #[error("{structure}: {field} = {value} at bit {bit_offset} (byte {}) is invalid: {reason}", .bit_offset / 8)]
    InvalidValue {
        /// The structure being parsed or written.
        structure: &'static str,
        /// The offending field.
        field: &'static str,
        /// Bit offset of the field (byte offset times 8 for byte fields).
        bit_offset: usize,
        /// The value found.
        value: u64,
        /// What the specification requires.
        reason: &'static str,
    },
    /// A valid feature that this crate does not handle.
    #[error("{structure}: {feature} (at byte {offset}) is not supported")]
    Unsupported {
        /// The structure being parsed.
        structure: &'static str,
        /// What is not supported.
        feature: &'static str,
        /// Byte offset where it was found.
        offset: usize,
    },
    /// A value is too large for the field that must carry it when writing.
    #[error("{structure}: {field} is {len}, more than the {max} it can carry")]
    TooLong {
        /// The structure being written.
        structure: &'static str,
        /// The field that cannot carry the value.
        field: &'static str,
        /// The value or length to write.
        len: usize,
        /// The largest the field can carry.
        max: usize,
    },
    /// Something the structure requires is absent.
    #[error("{structure}: {what} is missing")]
    Missing {
        /// The structure being parsed or built.
        structure: &'static str,
        /// What is missing.
        what: &'static str,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frame_rate_reduces() {
        assert_eq!(FrameRate::new(60, 2), Some(FrameRate { num: 30, den: 1 }));
        assert_eq!(
            FrameRate::new(60_000, 2_002),
            Some(FrameRate {
                num: 30_000,
                den: 1_001
            })
        );
        assert_eq!(FrameRate::new(0, 1), None);
        assert_eq!(FrameRate::new(1, 0), None);
        assert_eq!(FrameRate::new(u64::MAX, 1), None);
    }

    #[test]
    fn error_messages_carry_context() {
        let e = CodecError::EndOfBits {
            structure: "H.264 SPS",
            field: "level_idc",
            bit_offset: 17,
        };
        assert_eq!(
            e.to_string(),
            "H.264 SPS: ran out of bits reading level_idc at bit 17 (byte 2)"
        );
    }
}
