//! FLV: the file header, tags, the audio and video tag bodies (legacy and
//! Enhanced RTMP v2), and tags to samples and back.
//!
//! FLV is the container RTMP's audio and video messages carry (a message
//! body is an FLV tag body) and the file format HDS fragments build on, so
//! it lives here, beside the other containers.
//!
//! - [`FlvHeader`] and [`FlvTag`]: the 9-byte file header, the 11-byte tag
//!   header with its 24+8-bit timestamp, the previous-tag-size fields;
//!   [`FlvTags`] walks an FLV file held in memory, [`FlvTag::write_header`]
//!   writes one.
//! - [`video::VideoTag`] and [`audio::AudioTag`]: tag bodies as the legacy
//!   specification (Adobe FLV 10.1: codec ids, AVC and AAC sequence
//!   headers, composition times) and Enhanced RTMP v2 (veovera, release
//!   `v2-2026-01-31`) define them: FourCC codecs, packet types (sequence
//!   start, coded frames, coded frames with no composition time, sequence
//!   end, metadata), multitrack packets and ModEx (the nanosecond
//!   timestamp offset).
//! - [`FlvDemuxer`]: tag bodies in, [`Track`](crate::track::Track)s and
//!   [`Sample`](crate::sample::Sample)s out, with decode and composition
//!   times; [`FlvMuxer`]: tracks and samples in, tag bodies out (sequence
//!   headers first).
//!
//! Codecs with a model in [`crate::codec`] (H.264 `avc1`, H.265 `hvc1`, AAC
//! `mp4a`, Opus `Opus`) become tracks. AV1 (`av01`), VP9 (`vp09`), VP8,
//! VVC, FLAC, AC-3, E-AC-3, MP3 and the legacy codecs (Sorenson H.263, VP6,
//! Nellymoser, ...) are parsed as far as the tag body goes and carried as
//! opaque bytes: this crate has no configuration parser for them, so the
//! demuxer reports them ([`FlvEvent::Unsupported`]) and counts their frames
//! instead of making tracks of them.
//!
//! ```
//! use bytes::Bytes;
//! use streamkit_core::flv::{FlvDemuxer, FlvEvent, TagType};
//!
//! // An AAC sequence header (AudioSpecificConfig 0x1210: AAC-LC, 44.1 kHz,
//! // stereo), then two raw AAC frames, as RTMP audio messages carry them.
//! let mut demuxer = FlvDemuxer::new();
//! demuxer.push_tag(TagType::Audio, 0, &Bytes::from_static(&[0xaf, 0, 0x12, 0x10]))?;
//! demuxer.push_tag(TagType::Audio, 0, &Bytes::from_static(&[0xaf, 1, 0x21, 0x10]))?;
//! demuxer.push_tag(TagType::Audio, 23, &Bytes::from_static(&[0xaf, 1, 0x21, 0x10]))?;
//! let Some(FlvEvent::Track(track)) = demuxer.poll_event() else { panic!() };
//! assert_eq!(track.codec_string(), "mp4a.40.2");
//! let Some(FlvEvent::Sample(frame)) = demuxer.poll_event() else { panic!() };
//! assert_eq!((frame.dts, frame.duration), (0, 1024)); // 1024 ticks of 44.1 kHz
//! assert_eq!(&frame.data[..], &[0x21, 0x10]);
//! // 23 ms is 1014.3 ticks: the frame grid says 1024.
//! let Some(FlvEvent::Sample(frame)) = demuxer.poll_event() else { panic!() };
//! assert_eq!(frame.dts, 1024);
//! # Ok::<(), streamkit_core::flv::FlvError>(())
//! ```

pub mod audio;
mod demux;
mod mux;
mod tag;
pub mod video;

use core::fmt;

pub use demux::{FlvDemuxer, FlvEvent, MAX_FLV_TRACKS, UnsupportedMedia};
pub use mux::{FlvMuxer, MuxedTag, TagPrefix, TagStyle};
pub use tag::{FlvHeader, FlvTag, FlvTags, MAX_TAG_SIZE, TAG_HEADER_LEN, TagType};

use crate::codec::CodecError;

/// A four-character code naming a codec in Enhanced RTMP
/// (`VideoFourCc`, `AudioFourCc`).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FourCc(pub [u8; 4]);

impl FourCc {
    /// H.264 / AVC.
    pub const AVC: FourCc = FourCc(*b"avc1");
    /// H.265 / HEVC.
    pub const HEVC: FourCc = FourCc(*b"hvc1");
    /// AV1 (opaque here: no configuration model).
    pub const AV1: FourCc = FourCc(*b"av01");
    /// VP9 (opaque here).
    pub const VP9: FourCc = FourCc(*b"vp09");
    /// VP8 (opaque here).
    pub const VP8: FourCc = FourCc(*b"vp08");
    /// H.266 / VVC (opaque here).
    pub const VVC: FourCc = FourCc(*b"vvc1");
    /// Opus.
    pub const OPUS: FourCc = FourCc(*b"Opus");
    /// AAC.
    pub const AAC: FourCc = FourCc(*b"mp4a");
    /// FLAC (opaque here).
    pub const FLAC: FourCc = FourCc(*b"fLaC");
    /// AC-3 (opaque here).
    pub const AC3: FourCc = FourCc(*b"ac-3");
    /// E-AC-3 (opaque here).
    pub const EAC3: FourCc = FourCc(*b"ec-3");
    /// MP3 (opaque here).
    pub const MP3: FourCc = FourCc(*b".mp3");

    /// The code as text when it is printable ASCII.
    #[must_use]
    pub fn as_str(&self) -> Option<&str> {
        if self.0.iter().all(|b| b.is_ascii_graphic() || *b == b' ') {
            core::str::from_utf8(&self.0).ok()
        } else {
            None
        }
    }
}

impl fmt::Debug for FourCc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "FourCc({self})")
    }
}

impl fmt::Display for FourCc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.as_str() {
            Some(s) => f.write_str(s),
            None => write!(f, "0x{:08x}", u32::from_be_bytes(self.0)),
        }
    }
}

/// How the tracks of one multitrack packet are laid out
/// (`AvMultitrackType`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MultitrackType {
    /// One track, with its id (`OneTrack`).
    OneTrack,
    /// Several tracks of one codec, each with its size (`ManyTracks`).
    ManyTracks,
    /// Several tracks, each with its codec and size
    /// (`ManyTracksManyCodecs`).
    ManyTracksManyCodecs,
}

impl MultitrackType {
    fn from_bits(v: u8, offset: usize) -> Result<MultitrackType, FlvError> {
        match v {
            0 => Ok(MultitrackType::OneTrack),
            1 => Ok(MultitrackType::ManyTracks),
            2 => Ok(MultitrackType::ManyTracksManyCodecs),
            _ => Err(FlvError::Invalid {
                structure: "multitrack header",
                field: "AvMultitrackType",
                offset,
                value: u64::from(v),
                reason: "must be 0, 1 or 2",
            }),
        }
    }

    fn bits(self) -> u8 {
        match self {
            MultitrackType::OneTrack => 0,
            MultitrackType::ManyTracks => 1,
            MultitrackType::ManyTracksManyCodecs => 2,
        }
    }
}

/// Why FLV bytes could not be read, or tags turned into samples.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FlvError {
    /// The input ended inside a field.
    #[error(
        "FLV {structure}: truncated at byte {offset}: {field} needs {needed} byte(s), {available} left"
    )]
    Truncated {
        /// The structure being read.
        structure: &'static str,
        /// The field being read.
        field: &'static str,
        /// Byte offset of the field in the structure.
        offset: usize,
        /// Bytes the field needs.
        needed: usize,
        /// Bytes left.
        available: usize,
    },
    /// A field holds a value the specification forbids.
    #[error("FLV {structure}: {field} = {value} at byte {offset} is invalid: {reason}")]
    Invalid {
        /// The structure being read.
        structure: &'static str,
        /// The field.
        field: &'static str,
        /// Byte offset of the field.
        offset: usize,
        /// The value found.
        value: u64,
        /// What the specification requires.
        reason: &'static str,
    },
    /// A valid feature this crate does not handle (encrypted tags).
    #[error("FLV {structure}: {feature} (at byte {offset}) is not supported")]
    Unsupported {
        /// The structure being read.
        structure: &'static str,
        /// What is not supported.
        feature: &'static str,
        /// Byte offset.
        offset: usize,
    },
    /// A tag, or a value to write, over a limit.
    #[error("FLV {structure}: {size} bytes, more than the limit of {limit}")]
    TooLarge {
        /// What is too large.
        structure: &'static str,
        /// Its size.
        size: usize,
        /// The limit.
        limit: usize,
    },
    /// A sequence header whose codec configuration does not parse.
    #[error("FLV {media} track {flv_track} ({codec}) sequence header: {source}")]
    Codec {
        /// `"video"` or `"audio"`.
        media: &'static str,
        /// The FLV track id (0 unless multitrack).
        flv_track: u8,
        /// The codec.
        codec: FourCc,
        /// What the codec parser said.
        #[source]
        source: CodecError,
    },
    /// A coded frame of a track whose sequence header never came.
    #[error(
        "FLV {media} track {flv_track}: coded frame at {timestamp} ms before any sequence header"
    )]
    NoSequenceHeader {
        /// `"video"` or `"audio"`.
        media: &'static str,
        /// The FLV track id.
        flv_track: u8,
        /// The tag's timestamp.
        timestamp: i64,
    },
    /// More tracks than [`MAX_FLV_TRACKS`].
    #[error("FLV: more than {MAX_FLV_TRACKS} tracks")]
    TooManyTracks,
    /// A sample the muxer cannot write: unknown track, or a time that
    /// does not fit a tag.
    #[error("FLV muxer: track {track_id}: {reason}")]
    Mux {
        /// The sample's track.
        track_id: u32,
        /// What is wrong.
        reason: &'static str,
    },
}

/// A bounds-checked reader over a tag body: every read names its field,
/// and a short input is [`FlvError::Truncated`] with the offset.
pub(crate) struct Reader<'a> {
    data: &'a [u8],
    pos: usize,
    structure: &'static str,
}

impl<'a> Reader<'a> {
    pub(crate) fn new(data: &'a [u8], structure: &'static str) -> Reader<'a> {
        Reader {
            data,
            pos: 0,
            structure,
        }
    }

    pub(crate) fn position(&self) -> usize {
        self.pos
    }

    pub(crate) fn take(&mut self, n: usize, field: &'static str) -> Result<&'a [u8], FlvError> {
        let rest = &self.data[self.pos..];
        if rest.len() < n {
            return Err(FlvError::Truncated {
                structure: self.structure,
                field,
                offset: self.pos,
                needed: n,
                available: rest.len(),
            });
        }
        self.pos += n;
        Ok(&rest[..n])
    }

    pub(crate) fn u8(&mut self, field: &'static str) -> Result<u8, FlvError> {
        Ok(self.take(1, field)?[0])
    }

    pub(crate) fn u16(&mut self, field: &'static str) -> Result<u16, FlvError> {
        let b = self.take(2, field)?;
        Ok(u16::from_be_bytes([b[0], b[1]]))
    }

    pub(crate) fn u24(&mut self, field: &'static str) -> Result<u32, FlvError> {
        let b = self.take(3, field)?;
        Ok(u32::from_be_bytes([0, b[0], b[1], b[2]]))
    }

    /// A signed 24-bit big-endian value (`SI24`).
    pub(crate) fn i24(&mut self, field: &'static str) -> Result<i32, FlvError> {
        let v = self.u24(field)?;
        Ok(((v << 8) as i32) >> 8)
    }

    pub(crate) fn fourcc(&mut self, field: &'static str) -> Result<FourCc, FlvError> {
        let b = self.take(4, field)?;
        Ok(FourCc([b[0], b[1], b[2], b[3]]))
    }

    pub(crate) fn invalid(
        &self,
        field: &'static str,
        offset: usize,
        value: u64,
        reason: &'static str,
    ) -> FlvError {
        FlvError::Invalid {
            structure: self.structure,
            field,
            offset,
            value,
            reason,
        }
    }
}

/// The header of an Enhanced RTMP multitrack packet, audio or video (after
/// a packet type of Multitrack): its layout, the packet type of its
/// tracks and, unless each track names its own, their shared FourCC.
/// `multitrack` is the medium's Multitrack packet type; `names` name the
/// fields (multitrack type, packet type, FourCC) in errors.
pub(crate) fn read_multitrack(
    r: &mut Reader<'_>,
    multitrack: u8,
    names: [&'static str; 3],
) -> Result<(MultitrackType, u8, Option<FourCc>), FlvError> {
    /// The ModEx packet type, the same for audio and video.
    const PACKET_MODEX: u8 = 7;
    let at = r.position();
    let b = r.u8(names[0])?;
    let kind = MultitrackType::from_bits(b >> 4, at)?;
    let packet_type = b & 0x0f;
    if packet_type == multitrack || packet_type == PACKET_MODEX {
        return Err(r.invalid(
            names[1],
            at,
            u64::from(packet_type),
            "a multitrack packet's type cannot be Multitrack or ModEx",
        ));
    }
    let fourcc = if kind == MultitrackType::ManyTracksManyCodecs {
        None
    } else {
        Some(r.fourcc(names[2])?)
    };
    Ok((kind, packet_type, fourcc))
}

/// Writes `v` as a big-endian 24-bit value (the low 24 bits).
pub(crate) fn put_u24(out: &mut impl bytes::BufMut, v: u32) {
    out.put_slice(&v.to_be_bytes()[1..]);
}

/// Runs every FLV parser over `data` (a file, a tag body of each kind) and
/// the demuxer over it as a tag body: the body of the fuzz target and of
/// the "arbitrary bytes never panic" property tests. Not part of the
/// stable API.
#[doc(hidden)]
pub fn fuzz_parsers(data: &[u8]) {
    let bytes = bytes::Bytes::copy_from_slice(data);
    let _ = FlvHeader::parse(data);
    for tag in FlvTags::new(bytes.clone()).take(64) {
        let Ok(tag) = tag else { break };
        let _ = tag.body.len();
    }
    if let Ok(tag) = video::VideoTag::parse(&bytes) {
        for p in tag.packets().take(64) {
            let _ = p.map(|p| p.data.len());
        }
    }
    if let Ok(tag) = audio::AudioTag::parse(&bytes) {
        for p in tag.packets().take(64) {
            let _ = p.map(|p| p.data.len());
        }
    }
    for mut demuxer in [FlvDemuxer::new(), FlvDemuxer::live()] {
        for (i, kind) in [TagType::Video, TagType::Audio, TagType::Video]
            .into_iter()
            .enumerate()
        {
            let _ = demuxer.push_tag(kind, i as i64 * 40, &bytes);
            while demuxer.poll_event().is_some() {}
        }
        demuxer.finish();
        while demuxer.poll_event().is_some() {}
    }
}
