//! AAC: the AudioSpecificConfig (ISO/IEC 14496-3 1.6.2.1) and ADTS frame
//! headers (ISO/IEC 14496-3 1.A.2.2, ISO/IEC 13818-7).
//!
//! [`AacConfig`] parses the object type (with the escape for types above
//! 30), the sampling frequency (table index or explicit 24-bit rate), the
//! channel configuration, and explicit SBR / PS signalling (object types 5
//! and 29). What follows (the GASpecificConfig and any extensions) is kept
//! bit for bit, so parsing and writing give back the same bytes.
//!
//! ```
//! use streamkit_core::codec::aac::{AacConfig, AdtsHeader};
//!
//! let asc = AacConfig::parse(&[0x12, 0x10])?; // AAC-LC, 44.1 kHz, stereo
//! assert_eq!(asc.audio_object_type, 2);
//! assert_eq!(asc.sampling_frequency, 44_100);
//! assert_eq!(asc.channel_configuration, 2);
//! assert_eq!(asc.codec_string(), "mp4a.40.2");
//! assert_eq!(asc.to_bytes()?.as_ref(), &[0x12, 0x10]);
//!
//! // The ADTS header for a 100-byte raw frame of that stream.
//! let adts = AdtsHeader::from_config(&asc, 100)?;
//! let mut header = Vec::new();
//! adts.write(&mut header);
//! assert_eq!(header.len(), 7);
//! assert_eq!(AdtsHeader::parse(&header)?.frame_length, 107);
//! assert_eq!(AdtsHeader::parse(&header)?.to_config()?, asc);
//! # Ok::<(), streamkit_core::codec::CodecError>(())
//! ```

use bytes::{BufMut, Bytes};

use super::CodecError;
use super::bits::{BitReader, BitWriter};

const ASC: &str = "AudioSpecificConfig";
const ADTS: &str = "ADTS";

/// The sampling frequencies of `samplingFrequencyIndex` 0 to 12
/// (ISO/IEC 14496-3 table 1.18).
pub const SAMPLING_FREQUENCIES: [u32; 13] = [
    96_000, 88_200, 64_000, 48_000, 44_100, 32_000, 24_000, 22_050, 16_000, 12_000, 11_025, 8_000,
    7_350,
];

/// The table index of `hz`, if it has one.
#[must_use]
pub fn sampling_frequency_index(hz: u32) -> Option<u8> {
    SAMPLING_FREQUENCIES
        .iter()
        .position(|&f| f == hz)
        .map(|i| i as u8)
}

/// Object types whose specific config is a GASpecificConfig, the first bit
/// of which is `frameLengthFlag`.
const fn is_general_audio(aot: u8) -> bool {
    matches!(aot, 1..=4 | 6 | 7 | 17 | 19..=23)
}

/// Explicit hierarchical SBR / PS signalling (object type 5 or 29 first in
/// the AudioSpecificConfig).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct SbrSignalling {
    /// The signalled type: 5 (SBR, HE-AAC) or 29 (PS, HE-AAC v2).
    pub extension_object_type: u8,
    /// The SBR output sampling frequency, in Hz.
    pub extension_sampling_frequency: u32,
    /// Its table index, or `None` when written explicitly.
    pub extension_sampling_frequency_index: Option<u8>,
}

/// An AudioSpecificConfig (the payload of an `esds` DecoderSpecificInfo).
///
/// `audio_object_type` is the core coder (2 for AAC-LC, also when SBR or PS
/// are signalled explicitly in [`AacConfig::sbr`]).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct AacConfig {
    /// The core `audioObjectType` (1 to 95; 2 is AAC-LC).
    pub audio_object_type: u8,
    /// The core sampling frequency, in Hz.
    pub sampling_frequency: u32,
    /// `samplingFrequencyIndex`, or `None` when the frequency is written as
    /// an explicit 24-bit value.
    pub sampling_frequency_index: Option<u8>,
    /// `channelConfiguration` (0 means a program config element says).
    pub channel_configuration: u8,
    /// Explicit SBR / PS signalling, when present.
    pub sbr: Option<SbrSignalling>,
    /// The bits after the fields above (GASpecificConfig and extensions),
    /// kept verbatim: the first `specific_bits` bits of `specific_config`,
    /// the rest of its last byte zero.
    specific_config: Bytes,
    specific_bits: usize,
}

/// Object types an AudioSpecificConfig can carry: 31 is the escape code,
/// and the escape reaches up to 32 + 63.
const fn valid_object_type(aot: u8) -> bool {
    matches!(aot, 1..=30 | 32..=95)
}

fn read_object_type(r: &mut BitReader<'_>) -> Result<u8, CodecError> {
    let aot = r.read_u8(5, "audioObjectType")?;
    if aot == 31 {
        Ok(32 + r.read_u8(6, "audioObjectTypeExt")?)
    } else {
        Ok(aot)
    }
}

fn read_frequency(r: &mut BitReader<'_>) -> Result<(u32, Option<u8>), CodecError> {
    let start = r.bit_position();
    let index = r.read_u8(4, "samplingFrequencyIndex")?;
    if index == 0xf {
        return Ok((r.read_u32(24, "samplingFrequency")?, None));
    }
    match SAMPLING_FREQUENCIES.get(usize::from(index)) {
        Some(&f) => Ok((f, Some(index))),
        None => Err(r.invalid(
            "samplingFrequencyIndex",
            start,
            u64::from(index),
            "13 and 14 are reserved",
        )),
    }
}

fn write_object_type(w: &mut BitWriter, aot: u8) {
    if aot >= 32 {
        w.write_bits(31, 5);
        w.write_bits(u64::from(aot - 32), 6);
    } else {
        w.write_bits(u64::from(aot), 5);
    }
}

fn write_frequency(w: &mut BitWriter, hz: u32, index: Option<u8>) {
    match index {
        Some(i) => w.write_bits(u64::from(i), 4),
        None => {
            w.write_bits(0xf, 4);
            w.write_bits(u64::from(hz), 24);
        }
    }
}

impl AacConfig {
    /// A configuration for `audio_object_type` at `sampling_frequency` Hz
    /// with `channel_configuration`, using the frequency table when the rate
    /// is in it. General-audio types (AAC-LC and friends) get a
    /// GASpecificConfig of 1024-sample frames with no core coder and no
    /// extension (`000`).
    pub fn new(
        audio_object_type: u8,
        sampling_frequency: u32,
        channel_configuration: u8,
    ) -> Result<AacConfig, CodecError> {
        if !valid_object_type(audio_object_type) {
            return Err(CodecError::InvalidValue {
                structure: ASC,
                field: "audioObjectType",
                bit_offset: 0,
                value: u64::from(audio_object_type),
                reason: "must be 1 to 30 or 32 to 95 (31 is the escape)",
            });
        }
        if sampling_frequency == 0 || sampling_frequency >= 1 << 24 {
            return Err(CodecError::InvalidValue {
                structure: ASC,
                field: "samplingFrequency",
                bit_offset: 5,
                value: u64::from(sampling_frequency),
                reason: "must be 1 to 2^24 - 1 Hz",
            });
        }
        if channel_configuration > 15 {
            return Err(CodecError::InvalidValue {
                structure: ASC,
                field: "channelConfiguration",
                bit_offset: 9,
                value: u64::from(channel_configuration),
                reason: "a 4-bit field",
            });
        }
        let (specific_config, specific_bits) = if is_general_audio(audio_object_type) {
            (Bytes::from_static(&[0]), 3)
        } else {
            (Bytes::new(), 0)
        };
        Ok(AacConfig {
            audio_object_type,
            sampling_frequency,
            sampling_frequency_index: sampling_frequency_index(sampling_frequency),
            channel_configuration,
            sbr: None,
            specific_config,
            specific_bits,
        })
    }

    /// Parses an AudioSpecificConfig.
    pub fn parse(data: &[u8]) -> Result<AacConfig, CodecError> {
        let mut r = BitReader::new(data, ASC);
        let mut audio_object_type = read_object_type(&mut r)?;
        let (sampling_frequency, sampling_frequency_index) = read_frequency(&mut r)?;
        let channel_configuration = r.read_u8(4, "channelConfiguration")?;
        let mut sbr = None;
        if audio_object_type == 5 || audio_object_type == 29 {
            let extension_object_type = audio_object_type;
            let (f, i) = read_frequency(&mut r)?;
            sbr = Some(SbrSignalling {
                extension_object_type,
                extension_sampling_frequency: f,
                extension_sampling_frequency_index: i,
            });
            let start = r.bit_position();
            audio_object_type = read_object_type(&mut r)?;
            if audio_object_type == 22 {
                return Err(CodecError::Unsupported {
                    structure: ASC,
                    feature: "ER BSAC with SBR (extensionChannelConfiguration)",
                    offset: start / 8,
                });
            }
        }
        if audio_object_type == 0 {
            return Err(r.invalid("audioObjectType", 0, 0, "0 is the null object"));
        }
        Ok(AacConfig {
            audio_object_type,
            sampling_frequency,
            sampling_frequency_index,
            channel_configuration,
            sbr,
            specific_config: {
                let mut w = BitWriter::new();
                w.copy_bits(data, r.bit_position(), data.len() * 8);
                Bytes::from(w.finish())
            },
            specific_bits: r.bits_left(),
        })
    }

    /// Checks that every field fits its place in the bitstream: object
    /// type 1 to 95, a sampling frequency index below 13 (or an explicit
    /// rate below 2^24), a 4-bit channel configuration, SBR signalling with
    /// type 5 or 29.
    pub fn validate(&self) -> Result<(), CodecError> {
        let bad = |field, bit_offset, value: u64, reason| CodecError::InvalidValue {
            structure: ASC,
            field,
            bit_offset,
            value,
            reason,
        };
        if !valid_object_type(self.audio_object_type) {
            return Err(bad(
                "audioObjectType",
                0,
                u64::from(self.audio_object_type),
                "must be 1 to 30 or 32 to 95 (31 is the escape)",
            ));
        }
        let frequencies = [(self.sampling_frequency, self.sampling_frequency_index)]
            .into_iter()
            .chain(self.sbr.map(|s| {
                (
                    s.extension_sampling_frequency,
                    s.extension_sampling_frequency_index,
                )
            }));
        for (hz, index) in frequencies {
            match index {
                Some(i) if SAMPLING_FREQUENCIES.get(usize::from(i)) != Some(&hz) => {
                    return Err(bad(
                        "samplingFrequencyIndex",
                        5,
                        u64::from(i),
                        "does not name the sampling frequency",
                    ));
                }
                None if hz == 0 || hz >= 1 << 24 => {
                    return Err(bad(
                        "samplingFrequency",
                        9,
                        u64::from(hz),
                        "must be 1 to 2^24 - 1 Hz",
                    ));
                }
                _ => {}
            }
        }
        if self.channel_configuration > 15 {
            return Err(bad(
                "channelConfiguration",
                9,
                u64::from(self.channel_configuration),
                "a 4-bit field",
            ));
        }
        if let Some(s) = self.sbr
            && s.extension_object_type != 5
            && s.extension_object_type != 29
        {
            return Err(bad(
                "extensionAudioObjectType",
                0,
                u64::from(s.extension_object_type),
                "explicit signalling uses 5 (SBR) or 29 (PS)",
            ));
        }
        Ok(())
    }

    /// Writes the AudioSpecificConfig into `out`. Fails, writing nothing,
    /// when a field does not fit ([`AacConfig::validate`]) or `out` lacks
    /// room.
    pub fn write(&self, out: &mut impl BufMut) -> Result<(), CodecError> {
        self.validate()?;
        let bytes = self.encode();
        if out.remaining_mut() < bytes.len() {
            return Err(CodecError::TooLong {
                structure: ASC,
                field: "output buffer",
                len: bytes.len(),
                max: out.remaining_mut(),
            });
        }
        out.put_slice(&bytes);
        Ok(())
    }

    fn encode(&self) -> Vec<u8> {
        let mut w = BitWriter::new();
        match &self.sbr {
            Some(s) => {
                write_object_type(&mut w, s.extension_object_type);
                write_frequency(
                    &mut w,
                    self.sampling_frequency,
                    self.sampling_frequency_index,
                );
                w.write_bits(u64::from(self.channel_configuration), 4);
                write_frequency(
                    &mut w,
                    s.extension_sampling_frequency,
                    s.extension_sampling_frequency_index,
                );
                write_object_type(&mut w, self.audio_object_type);
            }
            None => {
                write_object_type(&mut w, self.audio_object_type);
                write_frequency(
                    &mut w,
                    self.sampling_frequency,
                    self.sampling_frequency_index,
                );
                w.write_bits(u64::from(self.channel_configuration), 4);
            }
        }
        w.copy_bits(&self.specific_config, 0, self.specific_bits);
        w.finish()
    }

    /// The AudioSpecificConfig as new bytes (see [`AacConfig::write`]).
    pub fn to_bytes(&self) -> Result<Bytes, CodecError> {
        self.validate()?;
        Ok(Bytes::from(self.encode()))
    }

    /// The RFC 6381 codec string `mp4a.40.<object type>`: the explicitly
    /// signalled type (5 or 29) when SBR / PS are signalled, else the core
    /// type.
    #[must_use]
    pub fn codec_string(&self) -> String {
        let aot = self
            .sbr
            .map_or(self.audio_object_type, |s| s.extension_object_type);
        format!("mp4a.40.{aot}")
    }

    /// Number of output channels for channel configurations 1 to 7 and 11 to
    /// 14 (ISO/IEC 23001-8); `None` for 0 (program config element) and
    /// reserved values.
    #[must_use]
    pub fn channels(&self) -> Option<u16> {
        match self.channel_configuration {
            c @ 1..=6 => Some(u16::from(c)),
            7 | 12 | 14 => Some(8),
            11 => Some(7),
            13 => Some(24),
            _ => None,
        }
    }

    /// Samples per frame for general-audio object types: 1024, or 960 when
    /// `frameLengthFlag` is set; `None` for other types.
    #[must_use]
    pub fn frame_length(&self) -> Option<u32> {
        if !is_general_audio(self.audio_object_type) {
            return None;
        }
        let set =
            self.specific_bits > 0 && self.specific_config.first().is_some_and(|b| b & 0x80 != 0);
        Some(if set { 960 } else { 1024 })
    }

    /// The bits after the object type, frequency and channel fields (the
    /// GASpecificConfig and any extensions), left-aligned, and how many
    /// bits of it count.
    #[must_use]
    pub fn specific_config(&self) -> (&[u8], usize) {
        (&self.specific_config, self.specific_bits)
    }
}

/// An ADTS frame header (ISO/IEC 14496-3 1.A.2.2.1): 7 bytes, or 9 with a
/// CRC.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct AdtsHeader {
    /// `ID`: `true` for MPEG-2 AAC, `false` for MPEG-4.
    pub mpeg2: bool,
    /// `protection_absent` inverted: the header carries a CRC.
    pub crc: Option<u16>,
    /// `profile_ObjectType`: the audio object type minus one (1 is AAC-LC).
    pub profile: u8,
    /// `sampling_frequency_index` (0 to 12).
    pub sampling_frequency_index: u8,
    /// `private_bit`.
    pub private_bit: bool,
    /// `channel_configuration` (0 to 7).
    pub channel_configuration: u8,
    /// `original_copy`.
    pub original_copy: bool,
    /// `home`.
    pub home: bool,
    /// `copyright_identification_bit`.
    pub copyright_identification_bit: bool,
    /// `copyright_identification_start`.
    pub copyright_identification_start: bool,
    /// `aac_frame_length`: header plus payload, in bytes (13 bits).
    pub frame_length: u16,
    /// `adts_buffer_fullness` (11 bits; 0x7FF means variable rate).
    pub buffer_fullness: u16,
    /// `number_of_raw_data_blocks_in_frame + 1` (1 to 4).
    pub raw_data_blocks: u8,
}

impl AdtsHeader {
    /// The length of the header: 7 bytes, or 9 with a CRC.
    #[must_use]
    pub fn header_len(&self) -> usize {
        if self.crc.is_some() { 9 } else { 7 }
    }

    /// The bytes after the header in this frame.
    #[must_use]
    pub fn payload_len(&self) -> usize {
        usize::from(self.frame_length).saturating_sub(self.header_len())
    }

    /// Parses the header at the start of `data`.
    pub fn parse(data: &[u8]) -> Result<AdtsHeader, CodecError> {
        if data.len() < 7 {
            return Err(CodecError::Truncated {
                structure: ADTS,
                field: "fixed and variable header",
                offset: 0,
                needed: 7,
                available: data.len(),
            });
        }
        let mut r = BitReader::new(data, ADTS);
        let sync = r.read_bits(12, "syncword")?;
        if sync != 0xfff {
            return Err(r.invalid("syncword", 0, sync, "must be 0xFFF"));
        }
        let mpeg2 = r.read_flag("ID")?;
        let layer = r.read_u8(2, "layer")?;
        if layer != 0 {
            return Err(r.invalid("layer", 13, u64::from(layer), "must be 0"));
        }
        let protection_absent = r.read_flag("protection_absent")?;
        let profile = r.read_u8(2, "profile_ObjectType")?;
        let sampling_frequency_index = r.read_u8(4, "sampling_frequency_index")?;
        if usize::from(sampling_frequency_index) >= SAMPLING_FREQUENCIES.len() {
            return Err(r.invalid(
                "sampling_frequency_index",
                18,
                u64::from(sampling_frequency_index),
                "13 to 15 are reserved or escape",
            ));
        }
        let private_bit = r.read_flag("private_bit")?;
        let channel_configuration = r.read_u8(3, "channel_configuration")?;
        let original_copy = r.read_flag("original_copy")?;
        let home = r.read_flag("home")?;
        let copyright_identification_bit = r.read_flag("copyright_identification_bit")?;
        let copyright_identification_start = r.read_flag("copyright_identification_start")?;
        let frame_length = r.read_bits(13, "aac_frame_length")? as u16;
        let buffer_fullness = r.read_bits(11, "adts_buffer_fullness")? as u16;
        let raw_data_blocks = r.read_u8(2, "number_of_raw_data_blocks_in_frame")? + 1;
        let crc = if protection_absent {
            None
        } else {
            Some(
                r.read_bits(16, "crc_check")
                    .map_err(|_| CodecError::Truncated {
                        structure: ADTS,
                        field: "crc_check",
                        offset: 7,
                        needed: 2,
                        available: data.len() - 7,
                    })? as u16,
            )
        };
        let header = AdtsHeader {
            mpeg2,
            crc,
            profile,
            sampling_frequency_index,
            private_bit,
            channel_configuration,
            original_copy,
            home,
            copyright_identification_bit,
            copyright_identification_start,
            frame_length,
            buffer_fullness,
            raw_data_blocks,
        };
        if usize::from(frame_length) < header.header_len() {
            return Err(r.invalid(
                "aac_frame_length",
                30,
                u64::from(frame_length),
                "shorter than the header",
            ));
        }
        Ok(header)
    }

    /// Writes the 7- or 9-byte header into `out`.
    pub fn write(&self, out: &mut impl BufMut) {
        let mut w = BitWriter::new();
        w.write_bits(0xfff, 12);
        w.write_flag(self.mpeg2);
        w.write_bits(0, 2);
        w.write_flag(self.crc.is_none());
        w.write_bits(u64::from(self.profile), 2);
        w.write_bits(u64::from(self.sampling_frequency_index), 4);
        w.write_flag(self.private_bit);
        w.write_bits(u64::from(self.channel_configuration), 3);
        w.write_flag(self.original_copy);
        w.write_flag(self.home);
        w.write_flag(self.copyright_identification_bit);
        w.write_flag(self.copyright_identification_start);
        w.write_bits(u64::from(self.frame_length), 13);
        w.write_bits(u64::from(self.buffer_fullness), 11);
        w.write_bits(u64::from(self.raw_data_blocks.saturating_sub(1)), 2);
        if let Some(crc) = self.crc {
            w.write_bits(u64::from(crc), 16);
        }
        out.put_slice(&w.finish());
    }

    /// A header (no CRC, variable rate, one raw data block, MPEG-4) for a
    /// frame of `payload_len` bytes of the stream `config`.
    ///
    /// ADTS can only carry object types 1 to 4, a tabled sampling
    /// frequency and channel configurations 1 to 7; other configurations
    /// are refused.
    pub fn from_config(config: &AacConfig, payload_len: usize) -> Result<AdtsHeader, CodecError> {
        let err = |field, value: u64, reason| CodecError::InvalidValue {
            structure: ADTS,
            field,
            bit_offset: 0,
            value,
            reason,
        };
        if !(1..=4).contains(&config.audio_object_type) {
            return Err(err(
                "profile_ObjectType",
                u64::from(config.audio_object_type),
                "ADTS carries object types 1 to 4",
            ));
        }
        let index = config.sampling_frequency_index.ok_or_else(|| {
            err(
                "sampling_frequency_index",
                u64::from(config.sampling_frequency),
                "ADTS needs a tabled sampling frequency",
            )
        })?;
        if !(1..=7).contains(&config.channel_configuration) {
            return Err(err(
                "channel_configuration",
                u64::from(config.channel_configuration),
                "ADTS carries channel configurations 1 to 7",
            ));
        }
        let frame_length =
            payload_len
                .checked_add(7)
                .filter(|&l| l < 1 << 13)
                .ok_or(CodecError::TooLong {
                    structure: ADTS,
                    field: "aac_frame_length",
                    len: payload_len.saturating_add(7),
                    max: (1 << 13) - 1,
                })?;
        Ok(AdtsHeader {
            mpeg2: false,
            crc: None,
            profile: config.audio_object_type - 1,
            sampling_frequency_index: index,
            private_bit: false,
            channel_configuration: config.channel_configuration,
            original_copy: false,
            home: false,
            copyright_identification_bit: false,
            copyright_identification_start: false,
            frame_length: frame_length as u16,
            buffer_fullness: 0x7ff,
            raw_data_blocks: 1,
        })
    }

    /// The AudioSpecificConfig this header implies (channel configuration 0
    /// is refused: its layout is in the payload's program config element).
    pub fn to_config(&self) -> Result<AacConfig, CodecError> {
        if self.channel_configuration == 0 {
            return Err(CodecError::Unsupported {
                structure: ADTS,
                feature: "channel configuration 0 (program config element)",
                offset: 2,
            });
        }
        let hz = SAMPLING_FREQUENCIES
            .get(usize::from(self.sampling_frequency_index))
            .copied()
            .ok_or(CodecError::InvalidValue {
                structure: ADTS,
                field: "sampling_frequency_index",
                bit_offset: 18,
                value: u64::from(self.sampling_frequency_index),
                reason: "13 to 15 are reserved or escape",
            })?;
        AacConfig::new(self.profile + 1, hz, self.channel_configuration)
    }
}
