//! Opus: the `dOps` box (OpusSpecificBox, "Encapsulation of Opus in ISO
//! Base Media File Format" 4.3.2) and the OpusHead identification header
//! (RFC 7845 5.1).
//!
//! Both carry the same fields; `dOps` is big-endian with version 0, OpusHead
//! little-endian after the `OpusHead` magic with version 1.
//!
//! ```
//! use streamkit_core::codec::opus::{OpusConfig, OpusHead};
//!
//! let config = OpusConfig::stereo(312, 48_000);
//! let mut dops = Vec::new();
//! config.write_dops(&mut dops)?;
//! assert_eq!(dops, [0, 2, 0x01, 0x38, 0, 0, 0xbb, 0x80, 0, 0, 0]);
//! assert_eq!(OpusConfig::parse_dops(&dops)?, config);
//!
//! let mut head = Vec::new();
//! OpusHead::from(config.clone()).write(&mut head)?;
//! assert_eq!(&head[..8], b"OpusHead");
//! assert_eq!(OpusHead::parse(&head)?.config, config);
//! # Ok::<(), streamkit_core::codec::CodecError>(())
//! ```

use bytes::{BufMut, Bytes};

use super::CodecError;
use super::bits::ByteReader;

const DOPS: &str = "dOps";
const OPUS_HEAD: &str = "OpusHead";

/// The rate Opus always decodes at, and its RTP clock: 48 kHz.
pub const OPUS_SAMPLE_RATE: u32 = 48_000;

/// The channel mapping table present for mapping families other than 0.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ChannelMappingTable {
    /// `StreamCount`: Opus streams in each packet (at least 1).
    pub stream_count: u8,
    /// `CoupledCount`: how many of them are stereo (at most
    /// `stream_count`).
    pub coupled_count: u8,
    /// `ChannelMapping`: for each output channel, the decoded channel index
    /// (255 for silence); one entry per output channel.
    pub channel_mapping: Vec<u8>,
}

/// Opus stream configuration: the fields of `dOps` and OpusHead.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct OpusConfig {
    /// `OutputChannelCount` (1 to 255).
    pub output_channel_count: u8,
    /// `PreSkip`: samples at 48 kHz to drop from the decoder's start.
    pub pre_skip: u16,
    /// `InputSampleRate`: the original input's rate, informational.
    pub input_sample_rate: u32,
    /// `OutputGain`: Q7.8 dB to apply on output.
    pub output_gain: i16,
    /// `ChannelMappingFamily` (0 mono/stereo, 1 Vorbis order, 255 none).
    pub channel_mapping_family: u8,
    /// The mapping table: present exactly when the family is not 0.
    pub channel_mapping: Option<ChannelMappingTable>,
}

impl OpusConfig {
    /// A stereo (family 0) configuration.
    #[must_use]
    pub fn stereo(pre_skip: u16, input_sample_rate: u32) -> OpusConfig {
        OpusConfig {
            output_channel_count: 2,
            pre_skip,
            input_sample_rate,
            output_gain: 0,
            channel_mapping_family: 0,
            channel_mapping: None,
        }
    }

    /// The RFC 6381 codec string: `opus`.
    #[must_use]
    pub fn codec_string(&self) -> String {
        String::from("opus")
    }

    /// Checks the relations between the fields: family 0 has no table and
    /// one or two channels; other families have a table with one entry per
    /// channel, at least one stream, at most `stream_count` coupled
    /// streams, and no more than 255 decoded channels.
    pub fn validate(&self, structure: &'static str) -> Result<(), CodecError> {
        let bad = |field, value: u64, reason| CodecError::InvalidValue {
            structure,
            field,
            bit_offset: 8,
            value,
            reason,
        };
        if self.output_channel_count == 0 {
            return Err(bad("OutputChannelCount", 0, "must be at least 1"));
        }
        match (&self.channel_mapping, self.channel_mapping_family) {
            (None, 0) if self.output_channel_count <= 2 => Ok(()),
            (None, 0) => Err(bad(
                "OutputChannelCount",
                u64::from(self.output_channel_count),
                "mapping family 0 carries 1 or 2 channels",
            )),
            (None, f) => Err(bad(
                "ChannelMappingFamily",
                u64::from(f),
                "families other than 0 need a mapping table",
            )),
            (Some(_), 0) => Err(bad(
                "ChannelMappingFamily",
                0,
                "family 0 has no mapping table",
            )),
            (Some(t), _) => {
                if t.stream_count == 0 {
                    return Err(bad("StreamCount", 0, "must be at least 1"));
                }
                if t.coupled_count > t.stream_count {
                    return Err(bad(
                        "CoupledCount",
                        u64::from(t.coupled_count),
                        "must not exceed StreamCount",
                    ));
                }
                if u16::from(t.stream_count) + u16::from(t.coupled_count) > 255 {
                    return Err(bad(
                        "CoupledCount",
                        u64::from(t.coupled_count),
                        "StreamCount + CoupledCount must not exceed 255",
                    ));
                }
                if t.channel_mapping.len() != usize::from(self.output_channel_count) {
                    return Err(bad(
                        "ChannelMapping",
                        t.channel_mapping.len() as u64,
                        "needs one entry per output channel",
                    ));
                }
                Ok(())
            }
        }
    }

    fn encoded_len(&self) -> usize {
        11 + self
            .channel_mapping
            .as_ref()
            .map_or(0, |t| 2 + t.channel_mapping.len())
    }

    /// Parses a `dOps` payload (the box contents after its header).
    pub fn parse_dops(data: &[u8]) -> Result<OpusConfig, CodecError> {
        let mut r = ByteReader::new(data, DOPS);
        let version = r.u8("Version")?;
        if version != 0 {
            return Err(r.invalid("Version", 0, u64::from(version), "must be 0"));
        }
        let output_channel_count = r.u8("OutputChannelCount")?;
        let pre_skip = r.u16("PreSkip")?;
        let input_sample_rate = r.u32("InputSampleRate")?;
        let output_gain = r.u16("OutputGain")? as i16;
        let channel_mapping_family = r.u8("ChannelMappingFamily")?;
        let channel_mapping = if channel_mapping_family != 0 {
            Some(ChannelMappingTable {
                stream_count: r.u8("StreamCount")?,
                coupled_count: r.u8("CoupledCount")?,
                channel_mapping: r
                    .take(usize::from(output_channel_count), "ChannelMapping")?
                    .to_vec(),
            })
        } else {
            None
        };
        let config = OpusConfig {
            output_channel_count,
            pre_skip,
            input_sample_rate,
            output_gain,
            channel_mapping_family,
            channel_mapping,
        };
        config.validate(DOPS)?;
        Ok(config)
    }

    /// Parses a `dOps` payload: the same as [`OpusConfig::parse_dops`].
    pub fn parse(data: &[u8]) -> Result<OpusConfig, CodecError> {
        OpusConfig::parse_dops(data)
    }

    /// The `dOps` payload as new bytes (see [`OpusConfig::write_dops`]).
    pub fn to_bytes(&self) -> Result<Bytes, CodecError> {
        let mut v = Vec::with_capacity(self.encoded_len());
        self.write_dops(&mut v)?;
        Ok(Bytes::from(v))
    }

    /// Writes the `dOps` payload into `out`. Fails, writing nothing, when
    /// the configuration is inconsistent ([`OpusConfig::validate`]) or `out`
    /// lacks room.
    pub fn write_dops(&self, out: &mut impl BufMut) -> Result<(), CodecError> {
        self.validate(DOPS)?;
        check_room(out, self.encoded_len(), DOPS)?;
        out.put_u8(0);
        out.put_u8(self.output_channel_count);
        out.put_u16(self.pre_skip);
        out.put_u32(self.input_sample_rate);
        out.put_i16(self.output_gain);
        out.put_u8(self.channel_mapping_family);
        if let Some(t) = &self.channel_mapping {
            out.put_u8(t.stream_count);
            out.put_u8(t.coupled_count);
            out.put_slice(&t.channel_mapping);
        }
        Ok(())
    }
}

fn check_room(out: &impl BufMut, needed: usize, structure: &'static str) -> Result<(), CodecError> {
    if out.remaining_mut() < needed {
        return Err(CodecError::TooLong {
            structure,
            field: "output buffer",
            len: needed,
            max: out.remaining_mut(),
        });
    }
    Ok(())
}

/// The Ogg Opus identification header (RFC 7845 5.1): the `OpusHead` magic,
/// a version, and the fields of [`OpusConfig`] in little-endian order.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct OpusHead {
    /// `version`: 1 for RFC 7845; versions up to 15 are compatible and
    /// accepted.
    pub version: u8,
    /// The stream configuration.
    pub config: OpusConfig,
}

impl From<OpusConfig> for OpusHead {
    /// A version-1 header for `config`.
    fn from(config: OpusConfig) -> OpusHead {
        OpusHead { version: 1, config }
    }
}

impl From<OpusHead> for OpusConfig {
    fn from(head: OpusHead) -> OpusConfig {
        head.config
    }
}

impl OpusHead {
    /// Parses an identification header packet. Bytes after the fields (a
    /// later minor version may add some) are ignored, as RFC 7845 asks.
    pub fn parse(data: &[u8]) -> Result<OpusHead, CodecError> {
        let mut r = ByteReader::new(data, OPUS_HEAD);
        let magic = r.take(8, "magic signature")?;
        if magic != b"OpusHead" {
            return Err(r.invalid("magic signature", 0, 0, "must be \"OpusHead\""));
        }
        let version = r.u8("version")?;
        if version & 0xf0 != 0 {
            return Err(CodecError::Unsupported {
                structure: OPUS_HEAD,
                feature: "major version above 0",
                offset: 8,
            });
        }
        if version == 0 {
            return Err(r.invalid("version", 8, 0, "must be at least 1"));
        }
        let output_channel_count = r.u8("output channel count")?;
        let pre_skip = u16::from_le_bytes(r.array("pre-skip")?);
        let input_sample_rate = u32::from_le_bytes(r.array("input sample rate")?);
        let output_gain = i16::from_le_bytes(r.array("output gain")?);
        let channel_mapping_family = r.u8("channel mapping family")?;
        let channel_mapping = if channel_mapping_family != 0 {
            Some(ChannelMappingTable {
                stream_count: r.u8("stream count")?,
                coupled_count: r.u8("coupled count")?,
                channel_mapping: r
                    .take(usize::from(output_channel_count), "channel mapping")?
                    .to_vec(),
            })
        } else {
            None
        };
        let config = OpusConfig {
            output_channel_count,
            pre_skip,
            input_sample_rate,
            output_gain,
            channel_mapping_family,
            channel_mapping,
        };
        config.validate(OPUS_HEAD)?;
        Ok(OpusHead { version, config })
    }

    /// Writes the identification header into `out`. Fails, writing
    /// nothing, when the configuration is inconsistent or `out` lacks room.
    pub fn write(&self, out: &mut impl BufMut) -> Result<(), CodecError> {
        self.config.validate(OPUS_HEAD)?;
        check_room(out, 8 + self.config.encoded_len(), OPUS_HEAD)?;
        let c = &self.config;
        out.put_slice(b"OpusHead");
        out.put_u8(self.version);
        out.put_u8(c.output_channel_count);
        out.put_u16_le(c.pre_skip);
        out.put_u32_le(c.input_sample_rate);
        out.put_i16_le(c.output_gain);
        out.put_u8(c.channel_mapping_family);
        if let Some(t) = &c.channel_mapping {
            out.put_u8(t.stream_count);
            out.put_u8(t.coupled_count);
            out.put_slice(&t.channel_mapping);
        }
        Ok(())
    }
}
