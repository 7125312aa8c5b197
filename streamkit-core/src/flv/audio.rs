//! Audio tag bodies: the legacy `AudioTagHeader` (sound format, rate,
//! size, type; AAC packet types) and Enhanced RTMP's `ExAudioTagHeader`
//! (FourCC codecs, packet types, ModEx, multitrack).
//!
//! ```
//! use bytes::{Bytes, BytesMut};
//! use streamkit_core::flv::FourCc;
//! use streamkit_core::flv::audio::{AudioCodec, AudioPacket, AudioPacketType, AudioTag};
//!
//! let packet = AudioPacket {
//!     track_id: 0,
//!     codec: AudioCodec::FourCc(FourCc::OPUS),
//!     packet_type: AudioPacketType::CodedFrames,
//!     data: Bytes::from_static(b"\xfc\xff\xfe"),
//! };
//! let mut body = BytesMut::new();
//! AudioTag::write(0, None, &[packet.clone()], &mut body)?;
//! assert_eq!(&body[..5], b"\x91Opus");
//! let tag = AudioTag::parse(&body.freeze())?;
//! assert_eq!(tag.packets().collect::<Result<Vec<_>, _>>()?, vec![packet]);
//! # Ok::<(), streamkit_core::flv::FlvError>(())
//! ```

use bytes::{BufMut, Bytes};

use super::{FlvError, FourCc, MultitrackType, Reader, put_u24, read_multitrack};

/// Legacy `SoundFormat` of AAC.
pub const LEGACY_AAC: u8 = 10;
/// Legacy `SoundFormat` of MP3.
pub const LEGACY_MP3: u8 = 2;
const SOUND_FORMAT_EX_HEADER: u8 = 9;
const PACKET_MULTITRACK: u8 = 5;
const PACKET_MODEX: u8 = 7;
const MODEX_TIMESTAMP_OFFSET_NANO: u8 = 0;

/// The codec of an audio packet.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AudioCodec {
    /// A legacy `SoundFormat` (0-15 but 9) with the header's rate, size
    /// and type bits, which only the legacy codecs use (AAC always sets
    /// them to 44 kHz, 16 bits, stereo: the configuration says the truth).
    Legacy {
        /// `SoundFormat`: 2 MP3, 10 AAC, 11 Speex, ...
        format: u8,
        /// `SoundRate`: 0 5.5 kHz, 1 11 kHz, 2 22 kHz, 3 44 kHz.
        rate: u8,
        /// `SoundSize`: 0 8 bits, 1 16 bits.
        size: u8,
        /// `SoundType`: 0 mono, 1 stereo.
        stereo: bool,
    },
    /// An Enhanced RTMP `AudioFourCc`.
    FourCc(FourCc),
}

impl AudioCodec {
    /// Legacy AAC as encoders write it (`0xaf`: 44 kHz, 16 bits, stereo).
    pub const LEGACY_AAC: AudioCodec = AudioCodec::Legacy {
        format: LEGACY_AAC,
        rate: 3,
        size: 1,
        stereo: true,
    };

    /// The FourCC of the codec: legacy AAC is `mp4a`, legacy MP3 (2 and
    /// 14) `.mp3`; other legacy formats have none.
    #[must_use]
    pub fn fourcc(self) -> Option<FourCc> {
        match self {
            AudioCodec::FourCc(f) => Some(f),
            AudioCodec::Legacy {
                format: LEGACY_AAC, ..
            } => Some(FourCc::AAC),
            AudioCodec::Legacy {
                format: LEGACY_MP3 | 14,
                ..
            } => Some(FourCc::MP3),
            AudioCodec::Legacy { .. } => None,
        }
    }
}

/// What an audio packet carries (`AudioPacketType`, and the legacy
/// `AACPacketType`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AudioPacketType {
    /// 0: the codec configuration (AudioSpecificConfig, OpusHead, FLAC
    /// STREAMINFO).
    SequenceStart,
    /// 1: coded frames.
    CodedFrames,
    /// 2: the end of the sequence.
    SequenceEnd,
    /// 4: the channel order and speaker layout.
    MultichannelConfig,
}

impl AudioPacketType {
    fn from_bits(v: u8, offset: usize) -> Result<AudioPacketType, FlvError> {
        Ok(match v {
            0 => AudioPacketType::SequenceStart,
            1 => AudioPacketType::CodedFrames,
            2 => AudioPacketType::SequenceEnd,
            4 => AudioPacketType::MultichannelConfig,
            _ => {
                return Err(FlvError::Invalid {
                    structure: "audio tag header",
                    field: "AudioPacketType",
                    offset,
                    value: u64::from(v),
                    reason: "must be 0, 1, 2 or 4 here",
                });
            }
        })
    }

    fn bits(self) -> u8 {
        match self {
            AudioPacketType::SequenceStart => 0,
            AudioPacketType::CodedFrames => 1,
            AudioPacketType::SequenceEnd => 2,
            AudioPacketType::MultichannelConfig => 4,
        }
    }
}

/// One track's packet of an audio tag.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct AudioPacket {
    /// The track (`audioTrackId`; 0 outside multitrack packets).
    pub track_id: u8,
    /// The codec.
    pub codec: AudioCodec,
    /// What the packet carries.
    pub packet_type: AudioPacketType,
    /// The payload, a slice of the tag.
    pub data: Bytes,
}

/// A parsed audio tag body; its packets come from [`AudioTag::packets`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AudioTag {
    /// `true` for an Enhanced RTMP header (`SoundFormat` 9).
    pub enhanced: bool,
    /// The ModEx `TimestampOffsetNano` (0 when absent).
    pub timestamp_offset_nanos: u32,
    /// The multitrack layout, when the packet is multitrack.
    pub multitrack: Option<MultitrackType>,
    /// The packet type all the tag's packets share.
    pub packet_type: AudioPacketType,
    codec: Option<AudioCodec>,
    body: Bytes,
    /// An empty message: RTMP's "audio silence", no packets.
    silence: bool,
}

impl AudioTag {
    /// Parses the header of an audio tag body (an RTMP audio message).
    /// An empty body is valid (RTMP's silence message) and has no packets.
    ///
    /// # Errors
    ///
    /// [`FlvError::Truncated`] for a body that ends in the header,
    /// [`FlvError::Invalid`] for a reserved packet or multitrack type, or
    /// a ModEx timestamp offset shorter than 3 bytes.
    pub fn parse(body: &Bytes) -> Result<AudioTag, FlvError> {
        if body.is_empty() {
            return Ok(AudioTag {
                enhanced: false,
                timestamp_offset_nanos: 0,
                multitrack: None,
                packet_type: AudioPacketType::CodedFrames,
                codec: None,
                body: Bytes::new(),
                silence: true,
            });
        }
        let mut r = Reader::new(body, "audio tag header");
        let first = r.u8("AudioTagHeader")?;
        let format = first >> 4;
        if format != SOUND_FORMAT_EX_HEADER {
            let codec = AudioCodec::Legacy {
                format,
                rate: (first >> 2) & 3,
                size: (first >> 1) & 1,
                stereo: first & 1 != 0,
            };
            let packet_type = if format == LEGACY_AAC {
                let at = r.position();
                match r.u8("AACPacketType")? {
                    0 => AudioPacketType::SequenceStart,
                    1 => AudioPacketType::CodedFrames,
                    v => {
                        return Err(r.invalid("AACPacketType", at, u64::from(v), "must be 0 or 1"));
                    }
                }
            } else {
                AudioPacketType::CodedFrames
            };
            return Ok(AudioTag {
                enhanced: false,
                timestamp_offset_nanos: 0,
                multitrack: None,
                packet_type,
                codec: Some(codec),
                body: body.slice(r.position()..),
                silence: false,
            });
        }
        let mut packet_type = first & 0x0f;
        let mut nanos = 0;
        while packet_type == PACKET_MODEX {
            let mut size = usize::from(r.u8("modExDataSize")?) + 1;
            if size == 256 {
                size = usize::from(r.u16("modExDataSize (16 bits)")?) + 1;
            }
            let at = r.position();
            let data = r.take(size, "modExData")?;
            let b = r.u8("AudioPacketModExType")?;
            if b >> 4 == MODEX_TIMESTAMP_OFFSET_NANO {
                if data.len() < 3 {
                    return Err(r.invalid(
                        "modExData",
                        at,
                        data.len() as u64,
                        "TimestampOffsetNano needs at least 3 bytes",
                    ));
                }
                nanos = u32::from_be_bytes([0, data[0], data[1], data[2]]);
            }
            packet_type = b & 0x0f;
        }
        let at = r.position().saturating_sub(1);
        let (multitrack, codec) = if packet_type == PACKET_MULTITRACK {
            let names = ["audioMultitrackType", "AudioPacketType", "audioFourCc"];
            let (kind, inner, fourcc) = read_multitrack(&mut r, PACKET_MULTITRACK, names)?;
            packet_type = inner;
            (Some(kind), fourcc.map(AudioCodec::FourCc))
        } else {
            (None, Some(AudioCodec::FourCc(r.fourcc("audioFourCc")?)))
        };
        let packet_type = AudioPacketType::from_bits(packet_type, at)?;
        Ok(AudioTag {
            enhanced: true,
            timestamp_offset_nanos: nanos,
            multitrack,
            packet_type,
            codec,
            body: body.slice(r.position()..),
            silence: false,
        })
    }

    /// `true` for RTMP's silence message (an empty body).
    #[must_use]
    pub fn is_silence(&self) -> bool {
        self.silence
    }

    /// The tag's packets, one per track, in order.
    #[must_use]
    pub fn packets(&self) -> AudioPackets {
        AudioPackets {
            tag_packet_type: self.packet_type,
            multitrack: self.multitrack,
            codec: self.codec,
            body: self.body.clone(),
            pos: 0,
            done: self.silence,
        }
    }

    /// Writes an audio tag body: the legacy header for one packet of a
    /// legacy format with no multitrack and no nanosecond offset, the
    /// Enhanced RTMP header otherwise. Every packet must share the packet
    /// type.
    ///
    /// # Errors
    ///
    /// [`FlvError::Mux`] as for [`super::video::VideoTag::write`], and for
    /// a legacy packet type AAC cannot carry.
    pub fn write(
        timestamp_offset_nanos: u32,
        multitrack: Option<MultitrackType>,
        packets: &[AudioPacket],
        out: &mut impl BufMut,
    ) -> Result<(), FlvError> {
        let mux = |reason| FlvError::Mux {
            track_id: 0,
            reason,
        };
        let first = packets.first().ok_or(mux("an audio tag needs a packet"))?;
        if packets.iter().any(|p| p.packet_type != first.packet_type) {
            return Err(mux("the packets of one audio tag share one packet type"));
        }
        match multitrack {
            None | Some(MultitrackType::OneTrack) if packets.len() > 1 => {
                return Err(mux("several packets need a many-tracks layout"));
            }
            Some(MultitrackType::ManyTracks) if packets.iter().any(|p| p.codec != first.codec) => {
                return Err(mux("many tracks of one codec must share the codec"));
            }
            _ => {}
        }
        if let AudioCodec::Legacy {
            format,
            rate,
            size,
            stereo,
        } = first.codec
            && multitrack.is_none()
            && timestamp_offset_nanos == 0
        {
            if format == SOUND_FORMAT_EX_HEADER {
                return Err(mux("sound format 9 is the enhanced header"));
            }
            out.put_u8(format << 4 | (rate & 3) << 2 | (size & 1) << 1 | u8::from(stereo));
            if format == LEGACY_AAC {
                out.put_u8(match first.packet_type {
                    AudioPacketType::SequenceStart => 0,
                    AudioPacketType::CodedFrames => 1,
                    _ => return Err(mux("legacy AAC has only sequence headers and frames")),
                });
            } else if first.packet_type != AudioPacketType::CodedFrames {
                return Err(mux("legacy audio formats carry only frames"));
            }
            out.put_slice(&first.data);
            return Ok(());
        }
        let fourcc = |p: &AudioPacket| p.codec.fourcc().ok_or(mux("a legacy format has no FourCC"));
        let real = first.packet_type.bits();
        let after_modex = if multitrack.is_some() {
            PACKET_MULTITRACK
        } else {
            real
        };
        let top = SOUND_FORMAT_EX_HEADER << 4;
        if timestamp_offset_nanos != 0 {
            out.put_u8(top | PACKET_MODEX);
            out.put_u8(2);
            put_u24(out, timestamp_offset_nanos);
            out.put_u8(MODEX_TIMESTAMP_OFFSET_NANO << 4 | after_modex);
        } else {
            out.put_u8(top | after_modex);
        }
        if let Some(kind) = multitrack {
            out.put_u8(kind.bits() << 4 | real);
            if kind != MultitrackType::ManyTracksManyCodecs {
                out.put_slice(&fourcc(first)?.0);
            }
        } else {
            out.put_slice(&fourcc(first)?.0);
        }
        for p in packets {
            if let Some(kind) = multitrack {
                if kind == MultitrackType::ManyTracksManyCodecs {
                    out.put_slice(&fourcc(p)?.0);
                }
                out.put_u8(p.track_id);
                if kind != MultitrackType::OneTrack {
                    if p.data.len() > super::MAX_TAG_SIZE {
                        return Err(mux("a track of a multitrack packet is over 16 MiB"));
                    }
                    put_u24(out, p.data.len() as u32);
                }
            }
            out.put_slice(&p.data);
        }
        Ok(())
    }
}

/// The packets of an [`AudioTag`]; see [`AudioTag::packets`].
#[derive(Clone, Debug)]
pub struct AudioPackets {
    tag_packet_type: AudioPacketType,
    multitrack: Option<MultitrackType>,
    codec: Option<AudioCodec>,
    body: Bytes,
    pos: usize,
    done: bool,
}

impl AudioPackets {
    fn next_packet(&mut self) -> Result<AudioPacket, FlvError> {
        let rest = self.body.slice(self.pos..);
        let mut r = Reader::new(&rest, "audio track");
        let mut track_id = 0;
        let mut codec = self.codec;
        let (start, end) = match self.multitrack {
            None => (0, rest.len()),
            Some(kind) => {
                if kind == MultitrackType::ManyTracksManyCodecs {
                    codec = Some(AudioCodec::FourCc(r.fourcc("audioFourCc")?));
                }
                track_id = r.u8("audioTrackId")?;
                if kind == MultitrackType::OneTrack {
                    (r.position(), rest.len())
                } else {
                    let size = r.u24("sizeOfAudioTrack")? as usize;
                    let start = r.position();
                    r.take(size, "audio track data")?;
                    (start, start + size)
                }
            }
        };
        self.pos += end;
        if self
            .multitrack
            .is_none_or(|k| k == MultitrackType::OneTrack)
            || self.pos >= self.body.len()
        {
            self.done = true;
        }
        Ok(AudioPacket {
            track_id,
            codec: codec.unwrap_or(AudioCodec::FourCc(FourCc([0; 4]))),
            packet_type: self.tag_packet_type,
            data: rest.slice(start..end),
        })
    }
}

impl Iterator for AudioPackets {
    type Item = Result<AudioPacket, FlvError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let p = self.next_packet();
        if p.is_err() {
            self.done = true;
        }
        Some(p)
    }
}
