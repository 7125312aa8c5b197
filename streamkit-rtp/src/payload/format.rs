//! One type over every payload format: [`Packetizer`] and [`Depacketizer`]
//! dispatch to the H.264, H.265, AAC and Opus state machines by enum (no
//! `Box<dyn>`, no allocation per packet), built from a core [`Track`] or
//! codec configuration, or from an SDP media section.
//!
//! Both follow the payload formats' contract: `push`, then `poll_*` until
//! `None`, then `finish()` at the end of the stream and `poll_*` once more.
//!
//! ```
//! use bytes::Bytes;
//! use streamkit_core::codec::{CodecConfig, aac::AacConfig};
//! use streamkit_core::time::{RtpTimestamp, SequenceNumber, Timescale};
//! use streamkit_core::track::Track;
//! use streamkit_rtp::packet::{RtpHeader, RtpPacket};
//! use streamkit_rtp::payload::{
//!     DepacketizedUnit, Depacketizer, NalForm, Packetizer, PacketizerConfig, rtp_clock_rate,
//! };
//! use streamkit_rtp::payload::aac::AacDepacketized;
//!
//! let track = Track::new(2, Timescale::AUDIO_48KHZ, CodecConfig::Aac(AacConfig::new(2, 48_000, 2)?));
//! let mut packetizer = Packetizer::for_track(&track, PacketizerConfig::default())?;
//! let mut depacketizer = Depacketizer::for_track(&track, NalForm::AnnexB)?;
//! assert_eq!(rtp_clock_rate(&track.codec), Some(Timescale::AUDIO_48KHZ));
//!
//! let mut frames = 0;
//! let mut seq = SequenceNumber::new(7);
//! for i in 0..10u32 {
//!     packetizer.push(RtpTimestamp::new(1024 * i), Bytes::from(vec![0x21; 200]))?;
//!     if i == 9 {
//!         packetizer.finish()?; // the last frames were held for aggregation
//!     }
//!     while let Some(payload) = packetizer.poll_payload() {
//!         let header = RtpHeader { marker: payload.marker(), payload_type: 97, sequence_number: seq,
//!             timestamp: payload.timestamp(), ..RtpHeader::default() };
//!         seq = seq.next();
//!         let mut datagram = Vec::new();
//!         header.write_header(&mut datagram)?;
//!         payload.write_to(&mut datagram)?;
//!         depacketizer.push(&RtpPacket::parse(Bytes::from(datagram))?)?;
//!         while let Some(unit) = depacketizer.poll_unit() {
//!             assert!(matches!(unit, DepacketizedUnit::Aac(AacDepacketized::Frame(_))));
//!             frames += 1;
//!         }
//!     }
//! }
//! depacketizer.finish()?;
//! assert!(depacketizer.poll_unit().is_none());
//! assert_eq!(frames, 10);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use bytes::{BufMut, Bytes};
use streamkit_core::codec::CodecConfig;
use streamkit_core::nal::NalLengthSize;
use streamkit_core::time::{RtpTimestamp, Timescale};
use streamkit_core::track::Track;

use super::aac::{AacDepacketized, AacDepacketizer, AacPacketizer, AacPayload, AuHeaderLayout};
use super::h264::{H264Depacketizer, H264Packetizer};
use super::h265::{H265Depacketizer, H265Packetizer};
use super::latm::{LatmDepacketizer, LatmFormat};
use super::opus::{OPUS_CLOCK, OpusDepacketized, OpusDepacketizer, OpusPacketizer, OpusPayload};
use super::{Depacketized, NalForm, PayloadError, RtpPayload};
use crate::error::WriteError;
use crate::packet::RtpPacket;
use crate::sdp::MediaDescription;
use crate::sdp::codec::codec_from_media;

/// The RTP clock rate of `codec`'s payload format: 90 kHz for video, the
/// sampling frequency for AAC, 48 kHz for Opus; `None` for a codec without
/// a payload format here (or an AAC configuration with a rate of 0).
#[must_use]
pub fn rtp_clock_rate(codec: &CodecConfig) -> Option<Timescale> {
    match codec {
        CodecConfig::H264(_) | CodecConfig::H265(_) => Some(Timescale::VIDEO_90KHZ),
        CodecConfig::Aac(asc) => Timescale::new(asc.sampling_frequency),
        CodecConfig::Opus(_) => Some(OPUS_CLOCK),
        #[allow(unreachable_patterns)] // CodecConfig may grow
        _ => None,
    }
}

fn unsupported(codec: &CodecConfig) -> PayloadError {
    PayloadError::UnsupportedCodec {
        codec: codec.codec_string(),
    }
}

/// How a [`Packetizer`] cuts access units into payloads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct PacketizerConfig {
    /// The RTP payload budget in bytes (without the RTP header).
    pub mtu: usize,
    /// AAC frames per RTP packet, 1 to
    /// [`MAX_FRAMES_PER_PACKET`](super::aac::MAX_FRAMES_PER_PACKET).
    pub aac_frames_per_packet: usize,
}

impl Default for PacketizerConfig {
    /// 1200 bytes, up to 4 AAC frames per packet.
    fn default() -> Self {
        PacketizerConfig {
            mtu: 1200,
            aac_frames_per_packet: 4,
        }
    }
}

impl PacketizerConfig {
    /// A configuration with payloads of at most `mtu` bytes and up to
    /// `aac_frames_per_packet` AAC frames in one.
    #[must_use]
    pub fn new(mtu: usize, aac_frames_per_packet: usize) -> PacketizerConfig {
        PacketizerConfig {
            mtu,
            aac_frames_per_packet,
        }
    }
}

/// The packetizer of one stream, whatever its codec.
///
/// Call order: [`push`](Packetizer::push) one access unit (a sample's
/// data), [`poll_payload`](Packetizer::poll_payload) until `None`, push the
/// next; at the end [`finish`](Packetizer::finish) and poll again (AAC
/// holds frames back for aggregation).
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Packetizer {
    /// H.264 (RFC 6184, mode 1, parameter sets before IDR units).
    H264(H264Packetizer),
    /// H.265 (RFC 7798, parameter sets before IRAP units).
    H265(H265Packetizer),
    /// AAC (RFC 3640 AAC-hbr). Boxed: it holds a packet being filled.
    Aac(Box<AacPacketizer>),
    /// Opus (RFC 7587).
    Opus(OpusPacketizer),
}

impl Packetizer {
    /// The packetizer for `codec`: H.264 and H.265 send the configuration's
    /// parameter sets before each keyframe that lacks them; AAC puts up to
    /// `config.aac_frames_per_packet` frames of the configuration's frame
    /// length in a packet.
    ///
    /// # Errors
    ///
    /// [`PayloadError::UnsupportedCodec`] for a codec without a payload
    /// format here, and the format's own refusals of the configuration
    /// ([`PayloadError::MtuTooSmall`], ...).
    pub fn for_codec(
        codec: &CodecConfig,
        config: PacketizerConfig,
    ) -> Result<Packetizer, PayloadError> {
        Ok(match codec {
            CodecConfig::H264(avc) => {
                Packetizer::H264(H264Packetizer::with_parameter_sets(avc, config.mtu)?)
            }
            CodecConfig::H265(hevc) => {
                Packetizer::H265(H265Packetizer::with_parameter_sets(hevc, config.mtu)?)
            }
            CodecConfig::Aac(asc) => {
                if asc.sampling_frequency == 0 {
                    return Err(unsupported(codec));
                }
                let frame = asc.frame_length().unwrap_or(1024);
                Packetizer::Aac(Box::new(
                    AacPacketizer::new(config.mtu, frame)?
                        .with_frames_per_packet(config.aac_frames_per_packet)?,
                ))
            }
            CodecConfig::Opus(_) => Packetizer::Opus(OpusPacketizer::new(config.mtu)?),
            #[allow(unreachable_patterns)] // CodecConfig may grow
            _ => return Err(unsupported(codec)),
        })
    }

    /// The packetizer for `track`'s codec (see
    /// [`for_codec`](Packetizer::for_codec)).
    ///
    /// # Errors
    ///
    /// As [`for_codec`](Packetizer::for_codec).
    pub fn for_track(track: &Track, config: PacketizerConfig) -> Result<Packetizer, PayloadError> {
        Packetizer::for_codec(&track.codec, config)
    }

    /// The packetizer for format `payload_type` of an SDP media section.
    ///
    /// # Errors
    ///
    /// [`PayloadError::Sdp`] when the section does not describe a codec
    /// this crate maps, and as [`for_codec`](Packetizer::for_codec).
    pub fn from_media(
        media: &MediaDescription,
        payload_type: u8,
        config: PacketizerConfig,
    ) -> Result<Packetizer, PayloadError> {
        Packetizer::for_codec(&codec_from_media(media, payload_type)?, config)
    }

    /// Takes one access unit (a core sample's data: length-prefixed NAL
    /// units, a raw AAC frame, an Opus packet) at RTP time `timestamp`.
    ///
    /// # Errors
    ///
    /// The format's refusals: [`PayloadError::Pending`] when the previous
    /// unit's payloads were not all polled, and bad units.
    pub fn push(
        &mut self,
        timestamp: RtpTimestamp,
        access_unit: Bytes,
    ) -> Result<(), PayloadError> {
        match self {
            Packetizer::H264(p) => p.push(timestamp, access_unit),
            Packetizer::H265(p) => p.push(timestamp, access_unit),
            Packetizer::Aac(p) => p.push(timestamp, access_unit),
            Packetizer::Opus(p) => p.push(timestamp, access_unit),
        }
    }

    /// The next payload, `None` when every complete one was given.
    #[must_use]
    pub fn poll_payload(&mut self) -> Option<Payload> {
        match self {
            Packetizer::H264(p) => p.poll_payload().map(Payload::Video),
            Packetizer::H265(p) => p.poll_payload().map(Payload::Video),
            Packetizer::Aac(p) => p.poll_payload().map(Payload::Aac),
            Packetizer::Opus(p) => p.poll_payload().map(Payload::Opus),
        }
    }

    /// Releases what is held back for aggregation (AAC), so the next polls
    /// give it; the stream goes on.
    pub fn flush(&mut self) {
        if let Packetizer::Aac(p) = self {
            p.flush();
        }
    }

    /// No more access units come: releases what is held back; poll until
    /// `None` once more. A second call does nothing.
    ///
    /// # Errors
    ///
    /// None today; the `Result` is the contract every producer shares.
    pub fn finish(&mut self) -> Result<(), PayloadError> {
        match self {
            Packetizer::H264(p) => p.finish(),
            Packetizer::H265(p) => p.finish(),
            Packetizer::Aac(p) => p.finish(),
            Packetizer::Opus(p) => p.finish(),
        }
    }
}

/// A payload from any [`Packetizer`]: the RTP payload bytes, its RTP
/// timestamp and marker bit. Holds `Bytes` slices of the access unit, never
/// a copy.
#[derive(Debug, Clone)]
#[allow(clippy::large_enum_variant)] // moved, not boxed: no allocation per packet
#[non_exhaustive]
pub enum Payload {
    /// An H.264 or H.265 payload.
    Video(RtpPayload),
    /// An AAC payload.
    Aac(AacPayload),
    /// An Opus payload.
    Opus(OpusPayload),
}

impl Payload {
    /// The RTP timestamp of the access unit (the first frame, for AAC).
    #[must_use]
    pub fn timestamp(&self) -> RtpTimestamp {
        match self {
            Payload::Video(p) => p.timestamp(),
            Payload::Aac(p) => p.timestamp(),
            Payload::Opus(p) => p.timestamp(),
        }
    }

    /// The marker bit.
    #[must_use]
    pub fn marker(&self) -> bool {
        match self {
            Payload::Video(p) => p.marker(),
            Payload::Aac(p) => p.marker(),
            Payload::Opus(p) => p.marker(),
        }
    }

    /// The payload's length in bytes.
    #[must_use]
    pub fn len(&self) -> usize {
        match self {
            Payload::Video(p) => p.len(),
            Payload::Aac(p) => p.len(),
            Payload::Opus(p) => p.data().len(),
        }
    }

    /// `true` when the payload has no bytes (never, for a packetizer's
    /// output).
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Calls `f` with each of the payload's byte chunks in order (its
    /// headers, then the slices of the access unit, never copied): what a
    /// vectored write sends.
    pub fn for_each_chunk<'a>(&'a self, mut f: impl FnMut(&'a [u8])) {
        self.for_each_part(|part| match part {
            PayloadPart::Header(h) => f(h),
            PayloadPart::Data(d) => f(&d[..]),
        });
    }

    /// Calls `f` with each of the payload's parts in order: the headers
    /// the packetizer wrote (payload headers, aggregation sizes, AU
    /// headers: a few bytes, worth copying next to an RTP header) and the
    /// slices of the access unit (worth a buffer of their own in a
    /// vectored write). Empty headers are left out.
    pub fn for_each_part<'a>(&'a self, mut f: impl FnMut(PayloadPart<'a>)) {
        match self {
            Payload::Video(p) => {
                if !p.header().is_empty() {
                    f(PayloadPart::Header(p.header()));
                }
                let sizes = p.aggregation_sizes();
                for (i, unit) in p.units().enumerate() {
                    if let Some(size) = sizes.get(i) {
                        f(PayloadPart::Header(size));
                    }
                    f(PayloadPart::Data(unit));
                }
            }
            Payload::Aac(p) => {
                f(PayloadPart::Header(p.header()));
                p.frames().iter().for_each(|d| f(PayloadPart::Data(d)));
            }
            Payload::Opus(p) => f(PayloadPart::Data(p.data())),
        }
    }

    /// The `n`th [`PayloadPart::Data`] of [`for_each_part`](Payload::for_each_part).
    #[must_use]
    pub fn data_part(&self, n: usize) -> Option<&Bytes> {
        match self {
            Payload::Video(p) => p.units().nth(n),
            Payload::Aac(p) => p.frames().get(n),
            Payload::Opus(p) => (n == 0).then(|| p.data()),
        }
    }

    /// Appends the payload to `buf`, returning the bytes written.
    ///
    /// # Errors
    ///
    /// [`WriteError::InsufficientSize`] when `buf` cannot take it.
    pub fn write_to(&self, buf: &mut impl BufMut) -> Result<usize, WriteError> {
        match self {
            Payload::Video(p) => p.write_to(buf),
            Payload::Aac(p) => p.write_to(buf),
            Payload::Opus(p) => {
                super::write_chunks(core::iter::once(&p.data()[..]), p.data().len(), buf)
            }
        }
    }
}

/// One part of a [`Payload`]: see [`Payload::for_each_part`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PayloadPart<'a> {
    /// Bytes the packetizer wrote.
    Header(&'a [u8]),
    /// A slice of the access unit.
    Data(&'a Bytes),
}

/// What any [`Depacketizer`] gives, by codec.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum DepacketizedUnit {
    /// H.264 or H.265: access units, losses, parameter sets.
    Video(Depacketized),
    /// AAC (`mpeg4-generic` or MP4A-LATM): frames, losses and in-band
    /// configuration changes.
    Aac(AacDepacketized),
    /// Opus: packets and losses.
    Opus(OpusDepacketized),
}

/// The depacketizer of one stream, whatever its codec.
///
/// Call order: [`push`](Depacketizer::push) each RTP packet in sequence
/// order (from the jitter buffer), [`poll_unit`](Depacketizer::poll_unit)
/// until `None` before the next push; at the end of the stream
/// [`finish`](Depacketizer::finish) and poll once more.
#[derive(Debug)]
#[non_exhaustive]
pub enum Depacketizer {
    /// H.264 (RFC 6184, modes 0 and 1).
    H264(H264Depacketizer),
    /// H.265 (RFC 7798 without DONL).
    H265(H265Depacketizer),
    /// AAC (RFC 3640, any non-interleaved AU header layout).
    Aac(AacDepacketizer),
    /// AAC in MP4A-LATM (RFC 6416); its events are AAC's.
    Latm(LatmDepacketizer),
    /// Opus (RFC 7587).
    Opus(OpusDepacketizer),
}

impl Depacketizer {
    /// The depacketizer for `codec`: H.264 and H.265 access units in
    /// `form`; AAC-hbr AU headers and the configuration's frame length.
    ///
    /// # Errors
    ///
    /// [`PayloadError::UnsupportedCodec`] for a codec without a payload
    /// format here.
    pub fn for_codec(codec: &CodecConfig, form: NalForm) -> Result<Depacketizer, PayloadError> {
        Ok(match codec {
            CodecConfig::H264(_) => Depacketizer::H264(H264Depacketizer::new(form)),
            CodecConfig::H265(_) => Depacketizer::H265(H265Depacketizer::new(form)),
            CodecConfig::Aac(asc) => Depacketizer::Aac(AacDepacketizer::new(
                AuHeaderLayout::AAC_HBR,
                asc.frame_length().unwrap_or(1024),
            )),
            CodecConfig::Opus(_) => Depacketizer::Opus(OpusDepacketizer::new()),
            #[allow(unreachable_patterns)] // CodecConfig may grow
            _ => return Err(unsupported(codec)),
        })
    }

    /// The depacketizer for `track`'s codec (see
    /// [`for_codec`](Depacketizer::for_codec)).
    ///
    /// # Errors
    ///
    /// As [`for_codec`](Depacketizer::for_codec).
    pub fn for_track(track: &Track, form: NalForm) -> Result<Depacketizer, PayloadError> {
        Depacketizer::for_codec(&track.codec, form)
    }

    /// The depacketizer for format `payload_type` of an SDP media section:
    /// H.264 with its `packetization-mode` (0 or 1), H.265 with its
    /// `sprop-max-don-diff` (0), AAC with the AU header layout of its
    /// `fmtp`, or its StreamMuxConfig and `cpresent` for `MP4A-LATM`.
    ///
    /// # Errors
    ///
    /// [`PayloadError::Sdp`] when the section does not describe a codec
    /// this crate maps, [`PayloadError::Unsupported`] for an interleaved
    /// mode or DONL, and the AU header layout's refusals.
    pub fn from_media(
        media: &MediaDescription,
        payload_type: u8,
        form: NalForm,
    ) -> Result<Depacketizer, PayloadError> {
        let codec = codec_from_media(media, payload_type)?;
        let fmtp = media.attributes.fmtp(payload_type)?;
        let param = |key: &str| fmtp.as_ref().and_then(|f| f.get(key));
        Ok(match &codec {
            CodecConfig::H264(_) => {
                let mode = param("packetization-mode").unwrap_or("0");
                let mode = mode.trim().parse::<u8>().unwrap_or(u8::MAX);
                Depacketizer::H264(H264Depacketizer::for_packetization_mode(form, mode)?)
            }
            CodecConfig::H265(_) => {
                let diff = param("sprop-max-don-diff").unwrap_or("0");
                let diff = diff.trim().parse::<u32>().unwrap_or(u32::MAX);
                Depacketizer::H265(H265Depacketizer::for_max_don_diff(form, diff)?)
            }
            CodecConfig::Aac(_)
                if media
                    .attributes
                    .rtpmap(payload_type)?
                    .is_some_and(|r| r.encoding_name.eq_ignore_ascii_case("MP4A-LATM")) =>
            {
                Depacketizer::Latm(LatmDepacketizer::new(&LatmFormat::from_fmtp(
                    fmtp.as_ref(),
                )?))
            }
            CodecConfig::Aac(asc) => {
                let layout = match &fmtp {
                    Some(f) => AuHeaderLayout::from_fmtp(f)?,
                    None => AuHeaderLayout::AAC_HBR,
                };
                Depacketizer::Aac(AacDepacketizer::new(
                    layout,
                    asc.frame_length().unwrap_or(1024),
                ))
            }
            other => Depacketizer::for_codec(other, form)?,
        })
    }

    /// Takes the next RTP packet in sequence order.
    ///
    /// # Errors
    ///
    /// The format's refusals; see each depacketizer's `push`.
    pub fn push(&mut self, packet: &RtpPacket) -> Result<(), PayloadError> {
        match self {
            Depacketizer::H264(d) => d.push(packet),
            Depacketizer::H265(d) => d.push(packet),
            Depacketizer::Aac(d) => d.push(packet),
            Depacketizer::Latm(d) => d.push(packet),
            Depacketizer::Opus(d) => d.push(packet),
        }
    }

    /// The next access unit, frame, packet or loss, `None` when there is
    /// none until the next push.
    #[must_use]
    pub fn poll_unit(&mut self) -> Option<DepacketizedUnit> {
        match self {
            Depacketizer::H264(d) => d.poll_access_unit().map(DepacketizedUnit::Video),
            Depacketizer::H265(d) => d.poll_access_unit().map(DepacketizedUnit::Video),
            Depacketizer::Aac(d) => d.poll_frame().map(DepacketizedUnit::Aac),
            Depacketizer::Latm(d) => d.poll_frame().map(DepacketizedUnit::Aac),
            Depacketizer::Opus(d) => d.poll_packet().map(DepacketizedUnit::Opus),
        }
    }

    /// The stream ended: what is held (an access unit without its marker
    /// bit, an AAC frame missing fragments) comes out at the next polls.
    /// A second call does nothing.
    ///
    /// # Errors
    ///
    /// None today; the `Result` is the contract every producer shares.
    pub fn finish(&mut self) -> Result<(), PayloadError> {
        match self {
            Depacketizer::H264(d) => d.finish(),
            Depacketizer::H265(d) => d.finish(),
            Depacketizer::Aac(d) => d.finish(),
            Depacketizer::Latm(d) => d.finish(),
            Depacketizer::Opus(d) => d.finish(),
        }
    }
}

/// The NAL length size H.264 and H.265 access units from MP4 carry.
#[must_use]
pub fn mp4_nal_form(codec: &CodecConfig) -> NalForm {
    match codec {
        CodecConfig::H264(avc) => NalForm::LengthPrefixed(avc.nal_length_size),
        CodecConfig::H265(hevc) => NalForm::LengthPrefixed(hevc.nal_length_size),
        _ => NalForm::LengthPrefixed(NalLengthSize::Four),
    }
}
