//! Tracks and samples to FLV tag bodies.

use bytes::{BufMut, Bytes, BytesMut};

use super::audio::{AudioCodec, AudioPacket, AudioPacketType, AudioTag};
use super::video::{FrameType, LEGACY_AVC, VideoCodec, VideoPacket, VideoPacketType, VideoTag};
use super::{FlvError, FlvTag, FourCc, MultitrackType, TagType};
use crate::codec::opus::OpusHead;
use crate::codec::{CodecConfig, MediaKind};
use crate::sample::Sample;
use crate::time::{MediaTime, Rounding, Timescale};
use crate::track::Track;

/// Which tag headers a [`FlvMuxer`] writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum TagStyle {
    /// Legacy headers for H.264 and AAC (what every player reads),
    /// Enhanced RTMP headers for H.265 and Opus, which have no legacy id.
    #[default]
    Compatible,
    /// Enhanced RTMP headers (FourCC) for every codec.
    ///
    /// Times stay whole milliseconds: readers apply a ModEx nanosecond
    /// offset differently (to the decode and presentation times, or to
    /// the presentation time only), so the muxer writes none;
    /// [`super::video::VideoTag::write`] and
    /// [`super::audio::AudioTag::write`] write one when asked.
    Enhanced,
}

/// The header bytes of a tag body before the sample's own data, kept
/// inline (at most 16 bytes), so a tag costs no allocation.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct TagPrefix {
    bytes: [u8; 16],
    len: u8,
}

impl TagPrefix {
    /// The bytes.
    #[must_use]
    pub fn as_slice(&self) -> &[u8] {
        &self.bytes[..usize::from(self.len)]
    }
}

impl core::fmt::Debug for TagPrefix {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "TagPrefix({:02x?})", self.as_slice())
    }
}

/// One tag body as a [`FlvMuxer`] makes it: a short header
/// ([`TagPrefix`]) and the payload (a sample's own `Bytes`, or a
/// configuration record), with the tag's type and millisecond timestamp.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct MuxedTag {
    /// Audio or video.
    pub tag_type: TagType,
    /// Milliseconds (the decode time; RTMP and FLV carry its low 32 bits).
    pub timestamp: i64,
    /// The header bytes.
    pub prefix: TagPrefix,
    /// The payload after them.
    pub data: Bytes,
}

impl MuxedTag {
    /// Bytes of the tag body.
    #[must_use]
    pub fn len(&self) -> usize {
        self.prefix.as_slice().len() + self.data.len()
    }

    /// `true` for an empty body (never made by the muxer).
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The body as one buffer (a copy).
    #[must_use]
    pub fn to_body(&self) -> Bytes {
        let mut b = BytesMut::with_capacity(self.len());
        b.put_slice(self.prefix.as_slice());
        b.put_slice(&self.data);
        b.freeze()
    }

    /// Writes the tag as an FLV file has it: header, body,
    /// `PreviousTagSize`.
    ///
    /// # Errors
    ///
    /// [`FlvError::TooLarge`] for a body over 16 MiB.
    pub fn write_file_tag(&self, out: &mut impl BufMut) -> Result<(), FlvError> {
        FlvTag::write_header(self.tag_type, self.timestamp as u32, self.len(), out)?;
        out.put_slice(self.prefix.as_slice());
        out.put_slice(&self.data);
        FlvTag::write_previous_tag_size(self.len(), out);
        Ok(())
    }
}

#[derive(Debug, Clone)]
struct MuxTrack {
    id: u32,
    kind: MediaKind,
    timescale: Timescale,
    /// The FLV track id; tracks after the first of a kind are written as
    /// one-track multitrack packets.
    flv_track: u8,
    /// Ticks taken off this track's decode times (negative composition
    /// offsets made non-negative).
    decode_delay: i64,
    video: Option<VideoCodec>,
    audio: Option<AudioCodec>,
    config: Bytes,
}

/// Tracks and samples in, FLV tag bodies out: what an RTMP server sends a
/// player, or an FLV file holds.
///
/// [`FlvMuxer::sequence_headers`] first (and again after
/// [`FlvMuxer::update_track`]), then [`FlvMuxer::tag`] for each sample in
/// decode order. The first video and the first audio track are FLV track
/// 0; further tracks of a kind get ids 1, 2, ... in one-track multitrack
/// packets.
///
/// ```
/// use bytes::Bytes;
/// use streamkit_core::codec::{CodecConfig, aac::AacConfig};
/// use streamkit_core::flv::{FlvMuxer, TagStyle};
/// use streamkit_core::sample::Sample;
/// use streamkit_core::time::Timescale;
/// use streamkit_core::track::Track;
///
/// let aac = Track::new(2, Timescale::AUDIO_48KHZ, CodecConfig::Aac(AacConfig::new(2, 48_000, 2)?));
/// let muxer = FlvMuxer::new(&[aac], TagStyle::Compatible)?;
/// let headers = muxer.sequence_headers();
/// assert_eq!(headers[0].prefix.as_slice(), &[0xaf, 0x00]); // AAC sequence header
/// let frame = Sample {
///     track_id: 2, dts: 48_000, composition_offset: 0, duration: 1024,
///     timescale: Timescale::AUDIO_48KHZ, keyframe: true, data: Bytes::from_static(b"\x21\x10"),
/// };
/// let tag = muxer.tag(&frame)?;
/// assert_eq!((tag.timestamp, tag.prefix.as_slice()), (1_000, &[0xaf, 0x01][..]));
/// assert_eq!(tag.data, frame.data); // the sample's own bytes
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct FlvMuxer {
    style: TagStyle,
    tracks: Vec<MuxTrack>,
    /// Added to every time (ms): the largest decode delay, so that no
    /// decode time goes below the presentation times' zero.
    lead_ms: i64,
}

fn prefix_of(
    write: impl FnOnce(&mut &mut [u8]) -> Result<(), FlvError>,
) -> Result<TagPrefix, FlvError> {
    let mut bytes = [0u8; 16];
    let mut out = &mut bytes[..];
    write(&mut out)?;
    let len = 16 - out.len();
    Ok(TagPrefix {
        bytes,
        len: len as u8,
    })
}

impl FlvMuxer {
    /// A muxer for `tracks` writing `style` headers.
    ///
    /// # Errors
    ///
    /// [`FlvError::Mux`] for more than 255 tracks of a kind, or a
    /// configuration that cannot be written.
    pub fn new(tracks: &[Track], style: TagStyle) -> Result<FlvMuxer, FlvError> {
        let mut out = Vec::with_capacity(tracks.len());
        for t in tracks {
            let same_kind = out
                .iter()
                .filter(|m: &&MuxTrack| m.kind == t.kind())
                .count();
            let flv_track = u8::try_from(same_kind).map_err(|_| FlvError::Mux {
                track_id: t.id,
                reason: "more than 256 tracks of a kind",
            })?;
            let mut m = MuxTrack {
                id: t.id,
                kind: t.kind(),
                timescale: t.timescale,
                flv_track,
                decode_delay: 0,
                video: None,
                audio: None,
                config: Bytes::new(),
            };
            m.configure(t, style)?;
            out.push(m);
        }
        Ok(FlvMuxer {
            style,
            tracks: out,
            lead_ms: 0,
        })
    }

    /// The same muxer for samples whose composition offsets go down to
    /// `-delay` ticks on some tracks (`(track id, delay)`; MP4 `ctts`
    /// version 1, say). FLV readers expect presentation times at or after
    /// decode times, so those tracks' decode times are written `delay`
    /// earlier, and every time `lead` later (the largest delay, in
    /// milliseconds), so that none is negative: presentation times keep
    /// their spacing, shifted by `lead` (as ffmpeg's FLV muxer does).
    #[must_use]
    pub fn with_decode_delays(mut self, delays: &[(u32, i64)]) -> FlvMuxer {
        for t in &mut self.tracks {
            t.decode_delay = delays
                .iter()
                .find(|(id, _)| *id == t.id)
                .map_or(0, |(_, d)| (*d).max(0));
        }
        self.lead_ms = self
            .tracks
            .iter()
            .map(|t| {
                MediaTime::new(t.decode_delay, t.timescale)
                    .rescale(Timescale::MILLIS, Rounding::Up)
                    .ticks()
            })
            .max()
            .unwrap_or(0);
        self
    }

    /// The decode delay `samples` need per track (the most negative
    /// composition offset of each), for [`FlvMuxer::with_decode_delays`].
    pub fn decode_delays<'a>(samples: impl IntoIterator<Item = &'a Sample>) -> Vec<(u32, i64)> {
        let mut out: Vec<(u32, i64)> = Vec::new();
        for s in samples {
            let d = -i64::from(s.composition_offset.min(0));
            match out.iter_mut().find(|(id, _)| *id == s.track_id) {
                Some((_, m)) => *m = (*m).max(d),
                None => out.push((s.track_id, d)),
            }
        }
        out
    }

    fn track(&self, id: u32) -> Result<&MuxTrack, FlvError> {
        self.tracks
            .iter()
            .find(|t| t.id == id)
            .ok_or(FlvError::Mux {
                track_id: id,
                reason: "not a track of this muxer",
            })
    }

    /// A new configuration for a track (same id): its sequence header,
    /// to send before the samples that use it.
    ///
    /// # Errors
    ///
    /// [`FlvError::Mux`] for an unknown track or a configuration that
    /// cannot be written.
    pub fn update_track(&mut self, track: &Track) -> Result<MuxedTag, FlvError> {
        let style = self.style;
        let t = self
            .tracks
            .iter_mut()
            .find(|t| t.id == track.id)
            .ok_or(FlvError::Mux {
                track_id: track.id,
                reason: "not a track of this muxer",
            })?;
        t.configure(track, style)?;
        self.sequence_header(track.id)
    }

    /// The sequence header of every track, in track order.
    #[must_use]
    pub fn sequence_headers(&self) -> Vec<MuxedTag> {
        self.tracks
            .iter()
            .filter_map(|t| self.sequence_header(t.id).ok())
            .collect()
    }

    /// The sequence header (codec configuration) of track `id`.
    ///
    /// # Errors
    ///
    /// [`FlvError::Mux`] for an unknown track.
    pub fn sequence_header(&self, id: u32) -> Result<MuxedTag, FlvError> {
        let t = self.track(id)?;
        t.packet(
            self.style,
            0,
            true,
            false,
            Bytes::new(),
            0,
            t.config.clone(),
        )
    }

    /// The sequence end of track `id`.
    ///
    /// # Errors
    ///
    /// [`FlvError::Mux`] for an unknown track.
    pub fn sequence_end(&self, id: u32, timestamp: i64) -> Result<MuxedTag, FlvError> {
        let t = self.track(id)?;
        let mut tag = t.packet(self.style, 0, false, true, Bytes::new(), 0, Bytes::new())?;
        tag.timestamp = timestamp;
        Ok(tag)
    }

    /// The tag of one sample: its decode time in milliseconds, its
    /// composition time, its key-frame flag, its data (not copied).
    ///
    /// # Errors
    ///
    /// [`FlvError::Mux`] for a sample of an unknown track, on another
    /// timescale than its track, or with a composition time beyond 24
    /// bits of milliseconds.
    pub fn tag(&self, sample: &Sample) -> Result<MuxedTag, FlvError> {
        let t = self.track(sample.track_id)?;
        if sample.timescale != t.timescale {
            return Err(FlvError::Mux {
                track_id: sample.track_id,
                reason: "the sample's timescale is not its track's",
            });
        }
        let ms = MediaTime::new(sample.dts.saturating_sub(t.decode_delay), sample.timescale)
            .rescale(Timescale::MILLIS, Rounding::Nearest)
            .ticks()
            + self.lead_ms;
        let nanos = 0;
        // The composition time makes the presentation time right to the
        // millisecond for a reader that takes the tag's millisecond time
        // as is (a ModEx-aware reader is within a millisecond).
        let pts_ms = MediaTime::new(sample.pts(), sample.timescale)
            .rescale(Timescale::MILLIS, Rounding::Nearest)
            .ticks()
            + self.lead_ms;
        let cto = pts_ms - ms;
        let cto = i32::try_from(cto)
            .ok()
            .filter(|c| (-0x80_0000..0x80_0000).contains(c))
            .ok_or(FlvError::Mux {
                track_id: sample.track_id,
                reason: "composition time beyond 24 bits of milliseconds",
            })?;
        let mut tag = t.packet(
            self.style,
            nanos,
            false,
            false,
            sample.data.clone(),
            cto,
            Bytes::new(),
        )?;
        tag.timestamp = ms;
        if sample.keyframe || t.kind == MediaKind::Audio {
            return Ok(tag);
        }
        // Inter frame: rewrite the frame type bits of the first byte.
        let mut bytes = tag.prefix.bytes;
        bytes[0] = (bytes[0] & 0x8f) | FrameType::Inter.bits() << 4;
        tag.prefix.bytes = bytes;
        Ok(tag)
    }
}

impl MuxTrack {
    fn configure(&mut self, t: &Track, style: TagStyle) -> Result<(), FlvError> {
        let fail = |reason| FlvError::Mux {
            track_id: t.id,
            reason,
        };
        let enhanced = style == TagStyle::Enhanced || self.flv_track > 0;
        self.timescale = t.timescale;
        match &t.codec {
            CodecConfig::H264(c) => {
                self.video = Some(if enhanced {
                    VideoCodec::FourCc(FourCc::AVC)
                } else {
                    VideoCodec::Legacy(LEGACY_AVC)
                });
                self.config = c.to_bytes().map_err(|_| fail("avcC cannot be written"))?;
            }
            CodecConfig::H265(c) => {
                self.video = Some(VideoCodec::FourCc(FourCc::HEVC));
                self.config = c.to_bytes().map_err(|_| fail("hvcC cannot be written"))?;
            }
            CodecConfig::Aac(c) => {
                self.audio = Some(if enhanced {
                    AudioCodec::FourCc(FourCc::AAC)
                } else {
                    AudioCodec::LEGACY_AAC
                });
                self.config = c
                    .to_bytes()
                    .map_err(|_| fail("AudioSpecificConfig cannot be written"))?;
            }
            CodecConfig::Opus(c) => {
                self.audio = Some(AudioCodec::FourCc(FourCc::OPUS));
                let mut v = Vec::new();
                OpusHead::from(c.clone())
                    .write(&mut v)
                    .map_err(|_| fail("OpusHead cannot be written"))?;
                self.config = Bytes::from(v);
            }
        }
        Ok(())
    }

    #[allow(clippy::too_many_arguments)]
    fn packet(
        &self,
        style: TagStyle,
        nanos: u32,
        start: bool,
        end: bool,
        data: Bytes,
        cto: i32,
        config: Bytes,
    ) -> Result<MuxedTag, FlvError> {
        let multitrack = (self.flv_track > 0).then_some(MultitrackType::OneTrack);
        let nanos = if style == TagStyle::Enhanced {
            nanos
        } else {
            0
        };
        let payload = if start { config } else { data };
        if let Some(codec) = self.video {
            let packet_type = if start {
                VideoPacketType::SequenceStart
            } else if end {
                VideoPacketType::SequenceEnd
            } else if cto == 0 && matches!(codec, VideoCodec::FourCc(_)) {
                VideoPacketType::CodedFramesX
            } else {
                VideoPacketType::CodedFrames
            };
            let packet = VideoPacket {
                track_id: self.flv_track,
                codec,
                packet_type,
                composition_time: cto,
                data: Bytes::new(),
            };
            let prefix = prefix_of(|out| {
                VideoTag::write(FrameType::Key, nanos, multitrack, &[packet], out)
            })?;
            Ok(MuxedTag {
                tag_type: TagType::Video,
                timestamp: 0,
                prefix,
                data: payload,
            })
        } else {
            let codec = self.audio.unwrap_or(AudioCodec::LEGACY_AAC);
            let packet_type = if start {
                AudioPacketType::SequenceStart
            } else if end {
                AudioPacketType::SequenceEnd
            } else {
                AudioPacketType::CodedFrames
            };
            if end && matches!(codec, AudioCodec::Legacy { .. }) {
                return Err(FlvError::Mux {
                    track_id: self.id,
                    reason: "legacy AAC has no sequence end",
                });
            }
            let packet = AudioPacket {
                track_id: self.flv_track,
                codec,
                packet_type,
                data: Bytes::new(),
            };
            let prefix = prefix_of(|out| AudioTag::write(nanos, multitrack, &[packet], out))?;
            Ok(MuxedTag {
                tag_type: TagType::Audio,
                timestamp: 0,
                prefix,
                data: payload,
            })
        }
    }
}
