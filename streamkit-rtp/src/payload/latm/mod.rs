//! AAC in MP4A-LATM (RFC 6416 section 6, formerly RFC 3016): the SDP
//! `fmtp` and its StreamMuxConfig, the depacketizer and a packetizer.
//!
//! LATM wraps each AAC frame in an AudioMuxElement (ISO/IEC 14496-3
//! 1.7.3): a PayloadLengthInfo (the frame's length as bytes of 255 and a
//! last byte below 255), then the frame. The stream's configuration, a
//! StreamMuxConfig holding the AudioSpecificConfig, comes in the SDP
//! (`cpresent=0; config=<hex>`) or before the elements in band
//! (`cpresent=1`, RFC 6416's default). One RTP packet carries one or more
//! whole elements, or a fragment of one; the marker bit is set on the
//! packet that ends an element.
//!
//! What is read: audioMuxVersion 0, and 1 with audioMuxVersionA 0; one
//! program of one layer with allStreamsSameTimeFraming, frameLengthType 0
//! (the only one AAC uses), one or more sub-frames per element, other data
//! and a CRC byte in the configuration. Several programs or layers,
//! fixed-length frames (CELP, HVXC) and a channel configuration of 0 (a
//! program config element) are refused with [`CodecError::Unsupported`].
//!
//! The AudioSpecificConfig becomes the same core
//! [`AacConfig`] an `mpeg4-generic` `config=` of its bytes gives, so the
//! rest of a pipeline does not tell the two payload formats apart. In
//! audioMuxVersion 0 the AudioSpecificConfig carries no length: its end is
//! found by reading its GASpecificConfig (and the SBR / PS sync extension,
//! when its sync word follows, as GStreamer's `rtpmp4apay` writes the whole
//! `codec_data`). The fields after it may be missing from an SDP `config`
//! (GStreamer writes none of them); they then take their usual values
//! (frameLengthType 0, no other data, no CRC).
//!
//! ```
//! use streamkit_rtp::payload::latm::LatmFormat;
//! use streamkit_rtp::sdp::Fmtp;
//!
//! // What ffmpeg's RTSP muxer announces with `-rtpflags latm`.
//! let fmtp = Fmtp::parse("97 profile-level-id=41;cpresent=0;config=400024103fc0")?;
//! let format = LatmFormat::from_fmtp(Some(&fmtp))?;
//! assert!(!format.config_present);
//! let aac = format.config.aac();
//! assert_eq!((aac.audio_object_type, aac.sampling_frequency, aac.channel_configuration), (2, 44_100, 1));
//! assert_eq!(format.config.to_bytes()?, [0x40, 0x00, 0x24, 0x10, 0x3f, 0xc0]);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use streamkit_core::codec::CodecError;
use streamkit_core::codec::aac::AacConfig;
use streamkit_core::codec::bits::{BitReader, BitWriter};

use crate::error::PayloadError;
use crate::sdp::Fmtp;

mod depacketizer;
mod packetizer;

pub use depacketizer::{DEFAULT_MAX_ELEMENT, LatmDepacketizer, MAX_FRAMES_PER_PACKET};
pub use packetizer::{LatmPacketizer, LatmPayload, MAX_LATM_FRAME};

const SMC: &str = "LATM StreamMuxConfig";
const ASC: &str = "AudioSpecificConfig";

/// The longest AudioSpecificConfig read, in bits (audioMuxVersion 1 gives
/// its length; anything longer is not a real configuration).
const MAX_ASC_BITS: usize = 1024;

fn unsupported(feature: &'static str, bit: usize) -> CodecError {
    CodecError::Unsupported {
        structure: SMC,
        feature,
        offset: bit / 8,
    }
}

/// A StreamMuxConfig of one AAC stream: the parts of ISO/IEC 14496-3
/// 1.7.3.1 the AudioMuxElements depend on, and the AudioSpecificConfig.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamMuxConfig {
    audio_mux_version: u8,
    num_sub_frames: u8,
    aac: AacConfig,
    latm_buffer_fullness: u8,
    other_data_bits: u32,
    crc: Option<u8>,
}

impl StreamMuxConfig {
    /// The configuration senders write for one frame per element:
    /// audioMuxVersion 0, one sub-frame, frameLengthType 0, a buffer
    /// fullness of 0xFF (variable rate), no other data, no CRC.
    #[must_use]
    pub fn new(aac: AacConfig) -> StreamMuxConfig {
        StreamMuxConfig {
            audio_mux_version: 0,
            num_sub_frames: 0,
            aac,
            latm_buffer_fullness: 0xff,
            other_data_bits: 0,
            crc: None,
        }
    }

    /// The AudioSpecificConfig as the core configuration.
    #[must_use]
    pub fn aac(&self) -> &AacConfig {
        &self.aac
    }

    /// audioMuxVersion: 0 or 1.
    #[must_use]
    pub fn audio_mux_version(&self) -> u8 {
        self.audio_mux_version
    }

    /// Frames in each AudioMuxElement (numSubFrames + 1, 1 to 64).
    #[must_use]
    pub fn frames_per_element(&self) -> usize {
        usize::from(self.num_sub_frames) + 1
    }

    /// Bits of other data after each element's frames.
    #[must_use]
    pub fn other_data_bits(&self) -> u32 {
        self.other_data_bits
    }

    /// Parses the bytes of an SDP `config` (hex decoded). The fields after
    /// the AudioSpecificConfig may be cut short (see the
    /// [module docs](self)).
    ///
    /// # Errors
    ///
    /// [`CodecError`] naming the field: bits missing, a value out of
    /// range, or a feature not read here.
    pub fn parse(data: &[u8]) -> Result<StreamMuxConfig, CodecError> {
        let mut r = BitReader::new(data, SMC);
        StreamMuxConfig::read(&mut r, data, true)
    }

    /// Reads a StreamMuxConfig at `r`'s position over `data` (in band:
    /// `lenient` false, every field must be there).
    pub(crate) fn read(
        r: &mut BitReader<'_>,
        data: &[u8],
        lenient: bool,
    ) -> Result<StreamMuxConfig, CodecError> {
        let audio_mux_version = u8::from(r.read_flag("audioMuxVersion")?);
        if audio_mux_version == 1 {
            if r.read_flag("audioMuxVersionA")? {
                return Err(unsupported("audioMuxVersionA 1", r.bit_position()));
            }
            latm_value(r, "taraBufferFullness")?;
        }
        if !r.read_flag("allStreamsSameTimeFraming")? {
            return Err(unsupported("allStreamsSameTimeFraming 0", r.bit_position()));
        }
        let num_sub_frames = r.read_u8(6, "numSubFrames")?;
        if r.read_u8(4, "numProgram")? != 0 {
            return Err(unsupported("more than one program", r.bit_position()));
        }
        if r.read_u8(3, "numLayer")? != 0 {
            return Err(unsupported("more than one layer", r.bit_position()));
        }
        let (start, end) = if audio_mux_version == 0 {
            let start = r.bit_position();
            skip_audio_specific_config(r)?;
            (start, r.bit_position())
        } else {
            let at = r.bit_position();
            let len = latm_value(r, "ascLen")? as usize;
            if len > MAX_ASC_BITS {
                return Err(r.invalid("ascLen", at, len as u64, "above 1024 bits"));
            }
            let start = r.bit_position();
            r.skip_bits(len, "AudioSpecificConfig")?;
            (start, r.bit_position())
        };
        let mut w = BitWriter::new();
        w.copy_bits(data, start, end);
        let aac = AacConfig::parse(&w.finish())?;
        let mut config = StreamMuxConfig {
            audio_mux_version,
            num_sub_frames,
            aac,
            latm_buffer_fullness: 0xff,
            other_data_bits: 0,
            crc: None,
        };
        // GStreamer's config ends with the AudioSpecificConfig.
        if lenient && r.bits_left() < 3 {
            return Ok(config);
        }
        let at = r.bit_position();
        let frame_length_type = r.read_u8(3, "frameLengthType")?;
        if frame_length_type != 0 {
            return Err(unsupported(
                "frameLengthType other than 0 (fixed-length frames)",
                at,
            ));
        }
        if lenient && r.bits_left() < 8 {
            return Ok(config);
        }
        config.latm_buffer_fullness = r.read_u8(8, "latmBufferFullness")?;
        if lenient && r.bits_left() < 2 {
            return Ok(config);
        }
        if r.read_flag("otherDataPresent")? {
            config.other_data_bits = if audio_mux_version == 1 {
                latm_value(r, "otherDataLenBits")?
            } else {
                let mut bits = 0u32;
                let mut escapes = 0;
                loop {
                    let at = r.bit_position();
                    let more = r.read_flag("otherDataLenEsc")?;
                    bits = bits << 8 | u32::from(r.read_u8(8, "otherDataLenTmp")?);
                    escapes += 1;
                    if !more {
                        break;
                    }
                    if escapes == 4 {
                        return Err(r.invalid("otherDataLenEsc", at, 1, "above 32 bits"));
                    }
                }
                bits
            };
        }
        if r.read_flag("crcCheckPresent")? {
            config.crc = Some(r.read_u8(8, "crcCheckSum")?);
        }
        Ok(config)
    }

    /// Writes the configuration (audioMuxVersion 0 or 1, as read).
    ///
    /// # Errors
    ///
    /// The AudioSpecificConfig does not write
    /// ([`AacConfig::to_bytes`]), or its length cannot be found (see
    /// [`parse`](StreamMuxConfig::parse)).
    pub fn write(&self, w: &mut BitWriter) -> Result<(), CodecError> {
        let asc = self.aac.to_bytes()?;
        // Version 1 says the length: the whole bytes, as read. Version 0
        // ends where the AudioSpecificConfig's own fields end.
        let asc_bits = if self.audio_mux_version == 1 {
            asc.len() * 8
        } else {
            let mut r = BitReader::new(&asc, ASC);
            skip_audio_specific_config(&mut r)?;
            r.bit_position()
        };
        w.write_flag(self.audio_mux_version == 1);
        if self.audio_mux_version == 1 {
            w.write_flag(false);
            write_latm_value(w, 0);
        }
        w.write_flag(true); // allStreamsSameTimeFraming
        w.write_bits(u64::from(self.num_sub_frames), 6);
        w.write_bits(0, 4); // numProgram
        w.write_bits(0, 3); // numLayer
        if self.audio_mux_version == 1 {
            write_latm_value(w, asc_bits as u32);
        }
        w.copy_bits(&asc, 0, asc_bits);
        w.write_bits(0, 3); // frameLengthType
        w.write_bits(u64::from(self.latm_buffer_fullness), 8);
        w.write_flag(self.other_data_bits > 0);
        if self.other_data_bits > 0 {
            if self.audio_mux_version == 1 {
                write_latm_value(w, self.other_data_bits);
            } else {
                let bytes = self.other_data_bits.to_be_bytes();
                let skip = bytes.iter().take_while(|&&b| b == 0).count().min(3);
                let used = bytes.get(skip..).unwrap_or(&[]);
                for (i, b) in used.iter().enumerate() {
                    w.write_flag(i + 1 < used.len());
                    w.write_bits(u64::from(*b), 8);
                }
            }
        }
        w.write_flag(self.crc.is_some());
        if let Some(crc) = self.crc {
            w.write_bits(u64::from(crc), 8);
        }
        Ok(())
    }

    /// The configuration as bytes, the last padded with zero bits: an SDP
    /// `config` (in hex).
    ///
    /// # Errors
    ///
    /// As [`write`](StreamMuxConfig::write).
    pub fn to_bytes(&self) -> Result<Vec<u8>, CodecError> {
        let mut w = BitWriter::new();
        self.write(&mut w)?;
        Ok(w.finish())
    }
}

/// LatmGetValue(): 2 bits of byte count, then that many plus one bytes.
fn latm_value(r: &mut BitReader<'_>, field: &'static str) -> Result<u32, CodecError> {
    let bytes = r.read_u8(2, field)?;
    r.read_u32(8 * (u32::from(bytes) + 1), field)
}

fn write_latm_value(w: &mut BitWriter, value: u32) {
    let bytes = (4 - value.leading_zeros() / 8).clamp(1, 4);
    w.write_bits(u64::from(bytes - 1), 2);
    w.write_bits(u64::from(value), 8 * bytes);
}

fn read_object_type(r: &mut BitReader<'_>) -> Result<u8, CodecError> {
    let aot = r.read_u8(5, "audioObjectType")?;
    if aot == 31 {
        Ok(32 + r.read_u8(6, "audioObjectTypeExt")?)
    } else {
        Ok(aot)
    }
}

fn skip_frequency(r: &mut BitReader<'_>) -> Result<(), CodecError> {
    if r.read_u8(4, "samplingFrequencyIndex")? == 0xf {
        r.skip_bits(24, "samplingFrequency")?;
    }
    Ok(())
}

/// Reads over an AudioSpecificConfig of a general-audio (AAC) object type,
/// finding where it ends: the header fields, the GASpecificConfig, the
/// epConfig of error-resilient types, and a backward-compatible SBR / PS
/// sync extension when its sync word follows.
fn skip_audio_specific_config(r: &mut BitReader<'_>) -> Result<(), CodecError> {
    let unsupported_asc = |feature, r: &BitReader<'_>| CodecError::Unsupported {
        structure: ASC,
        feature,
        offset: r.bit_position() / 8,
    };
    let mut aot = read_object_type(r)?;
    skip_frequency(r)?;
    let channels = r.read_u8(4, "channelConfiguration")?;
    let explicit = aot == 5 || aot == 29;
    if explicit {
        skip_frequency(r)?;
        aot = read_object_type(r)?;
        if aot == 22 {
            r.skip_bits(4, "extensionChannelConfiguration")?;
        }
    }
    if !matches!(aot, 1..=4 | 6 | 7 | 17 | 19..=23) {
        return Err(unsupported_asc(
            "an audio object type other than general audio (AAC)",
            r,
        ));
    }
    // GASpecificConfig.
    r.skip_bits(1, "frameLengthFlag")?;
    if r.read_flag("dependsOnCoreCoder")? {
        r.skip_bits(14, "coreCoderDelay")?;
    }
    let extension = r.read_flag("extensionFlag")?;
    if channels == 0 {
        return Err(unsupported_asc(
            "channelConfiguration 0 (a program config element)",
            r,
        ));
    }
    if aot == 6 || aot == 20 {
        r.skip_bits(3, "layerNr")?;
    }
    if extension {
        if aot == 22 {
            r.skip_bits(16, "numOfSubFrame, layer_length")?;
        }
        if matches!(aot, 17 | 19 | 20 | 23) {
            r.skip_bits(3, "aacResilienceFlags")?;
        }
        r.skip_bits(1, "extensionFlag3")?;
    }
    if matches!(aot, 17 | 19..=23) {
        let ep = r.read_u8(2, "epConfig")?;
        if ep >= 2 {
            return Err(unsupported_asc("epConfig 2 or 3 (error protection)", r));
        }
    }
    if !explicit && r.bits_left() >= 16 {
        let mut peek = r.clone();
        if peek.read_u32(11, "syncExtensionType")? == 0x2b7 {
            *r = peek;
            let ext = read_object_type(r)?;
            if ext == 5 || ext == 22 {
                if r.read_flag("sbrPresentFlag")? {
                    skip_frequency(r)?;
                }
                if ext == 22 {
                    r.skip_bits(4, "extensionChannelConfiguration")?;
                }
                if ext == 5 && r.bits_left() >= 12 {
                    let mut peek = r.clone();
                    if peek.read_u32(11, "syncExtensionType")? == 0x548 {
                        *r = peek;
                        r.skip_bits(1, "psPresentFlag")?;
                    }
                }
            }
        }
    }
    Ok(())
}

/// The payload format parameters of an `MP4A-LATM` media section: its
/// `fmtp` (RFC 6416 section 7.3).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct LatmFormat {
    /// `cpresent`: each AudioMuxElement may carry a StreamMuxConfig (the
    /// RFC's default, 1) or never does (0).
    pub config_present: bool,
    /// The StreamMuxConfig of `config`.
    pub config: StreamMuxConfig,
    /// `object`: the audio object type the sender names, if it does.
    pub object: Option<u8>,
    /// `profile-level-id`: the MPEG-4 audio profile and level, if given.
    pub profile_level_id: Option<u8>,
}

impl LatmFormat {
    /// The parameters of `fmtp` (names without regard to case).
    ///
    /// # Errors
    ///
    /// [`PayloadError::FmtpParameter`] for a missing `config` (the
    /// configuration must be known before the first packet, even with
    /// `cpresent=1`), a value that is not hex or a number;
    /// [`PayloadError::Latm`] when the StreamMuxConfig does not parse.
    pub fn from_fmtp(fmtp: Option<&Fmtp>) -> Result<LatmFormat, PayloadError> {
        let param = |key: &str| fmtp.and_then(|f| f.get(key));
        let config_present = match param("cpresent").map(str::trim) {
            None | Some("1") => true,
            Some("0") => false,
            Some(_) => {
                return Err(PayloadError::FmtpParameter {
                    name: "cpresent",
                    what: "not 0 or 1",
                });
            }
        };
        let number = |name: &'static str| -> Result<Option<u8>, PayloadError> {
            param(name)
                .map(|v| {
                    v.trim()
                        .parse::<u8>()
                        .map_err(|_| PayloadError::FmtpParameter {
                            name,
                            what: "not a number from 0 to 255",
                        })
                })
                .transpose()
        };
        let object = number("object")?;
        let profile_level_id = number("profile-level-id")?;
        let hex = param("config").ok_or(PayloadError::FmtpParameter {
            name: "config",
            what: "missing (the StreamMuxConfig must be known before the first packet)",
        })?;
        let bytes = hex_decode(hex.trim()).ok_or(PayloadError::FmtpParameter {
            name: "config",
            what: "not an even number of hex digits",
        })?;
        let config = StreamMuxConfig::parse(&bytes).map_err(|error| PayloadError::Latm {
            error,
            sequence_number: None,
        })?;
        Ok(LatmFormat {
            config_present,
            config,
            object,
            profile_level_id,
        })
    }

    /// The `fmtp` parameters of `cpresent=0` and this configuration, as
    /// written after the payload type: `cpresent=0;config=<hex>` (and
    /// `object=<type>` when the configuration's object type is known).
    ///
    /// # Errors
    ///
    /// As [`StreamMuxConfig::to_bytes`].
    pub fn fmtp_parameters(config: &StreamMuxConfig) -> Result<String, CodecError> {
        let mut s = format!("cpresent=0;object={};config=", config.aac.audio_object_type);
        for b in config.to_bytes()? {
            s.push_str(&format!("{b:02x}"));
        }
        Ok(s)
    }
}

fn hex_decode(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) || !text.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    text.as_bytes()
        .chunks(2)
        .map(|pair| {
            let s = core::str::from_utf8(pair).ok()?;
            u8::from_str_radix(s, 16).ok()
        })
        .collect()
}

#[cfg(test)]
mod tests;
