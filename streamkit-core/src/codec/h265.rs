//! H.265 / HEVC: the `hvcC` configuration record (ISO/IEC 14496-15 8.3.3)
//! and the sequence parameter set (ITU-T H.265 7.3.2.2).
//!
//! The codec string follows ISO/IEC 14496-15 Annex E:
//! `hvc1.<profile space><profile idc>.<compatibility flags, bit-reversed, hex>.<L|H><level>.<constraint bytes>`.
//!
//! ```
//! use streamkit_core::codec::h265::{HevcConfig, ProfileTierLevel};
//!
//! // Main profile, Main tier, level 3.1, progressive-source and frame-only flags.
//! let ptl = ProfileTierLevel {
//!     profile_space: 0,
//!     tier_flag: false,
//!     profile_idc: 1,
//!     compatibility_flags: 0x6000_0000,
//!     constraint_indicator_flags: 0x9000_0000_0000,
//!     level_idc: 93,
//! };
//! assert_eq!(ptl.codec_string("hvc1"), "hvc1.1.6.L93.90");
//! ```

use bytes::{BufMut, Bytes};

use super::bits::{BitReader, ByteReader};
use super::{CodecError, FrameRate};
use crate::nal::{H265NalHeader, NalLengthSize, rbsp_from_ebsp};

const HVCC: &str = "hvcC";
const SPS: &str = "H.265 SPS";

/// The general profile, tier and level (H.265 7.3.3), as both the SPS and
/// the `hvcC` carry them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct ProfileTierLevel {
    /// `general_profile_space` (0 to 3; 0 in every deployed stream).
    pub profile_space: u8,
    /// `general_tier_flag`: `false` Main tier, `true` High tier.
    pub tier_flag: bool,
    /// `general_profile_idc` (1 Main, 2 Main 10, 3 Main Still Picture,
    /// 4 range extensions, ...).
    pub profile_idc: u8,
    /// `general_profile_compatibility_flag[0..32]`, flag 0 in the most
    /// significant bit.
    pub compatibility_flags: u32,
    /// The 48 bits from `general_progressive_source_flag` (most
    /// significant) to `general_inbld_flag` / reserved bit, in the low 48
    /// bits.
    pub constraint_indicator_flags: u64,
    /// `general_level_idc`: thirty times the level (93 is level 3.1).
    pub level_idc: u8,
}

impl ProfileTierLevel {
    /// The ISO/IEC 14496-15 Annex E codec string with the given sample
    /// entry type (`hvc1` or `hev1`), e.g. `hvc1.1.6.L93.B0`.
    #[must_use]
    pub fn codec_string(&self, entry: &str) -> String {
        let space = match self.profile_space {
            1 => "A",
            2 => "B",
            3 => "C",
            _ => "",
        };
        let mut s = format!(
            "{entry}.{space}{}.{:X}.{}{}",
            self.profile_idc,
            self.compatibility_flags.reverse_bits(),
            if self.tier_flag { 'H' } else { 'L' },
            self.level_idc
        );
        let bytes = (self.constraint_indicator_flags & 0xffff_ffff_ffff).to_be_bytes();
        let constraint = bytes.get(2..).unwrap_or_default();
        let keep = constraint
            .iter()
            .rposition(|&b| b != 0)
            .map_or(0, |i| i + 1);
        for b in constraint.iter().take(keep) {
            s.push_str(&format!(".{b:X}"));
        }
        s
    }

    /// Reads `profile_tier_level(1, max_sub_layers_minus1)`, skipping the
    /// sub-layer parts.
    fn parse(r: &mut BitReader<'_>, max_sub_layers_minus1: u8) -> Result<Self, CodecError> {
        let profile_space = r.read_u8(2, "general_profile_space")?;
        let tier_flag = r.read_flag("general_tier_flag")?;
        let profile_idc = r.read_u8(5, "general_profile_idc")?;
        let compatibility_flags = r.read_u32(32, "general_profile_compatibility_flags")?;
        let constraint_indicator_flags = r.read_bits(48, "general_constraint_indicator_flags")?;
        let level_idc = r.read_u8(8, "general_level_idc")?;
        let mut profile_present = [false; 8];
        let mut level_present = [false; 8];
        let n = usize::from(max_sub_layers_minus1.min(7));
        for i in 0..n {
            profile_present[i] = r.read_flag("sub_layer_profile_present_flag")?;
            level_present[i] = r.read_flag("sub_layer_level_present_flag")?;
        }
        if n > 0 {
            r.skip_bits(2 * (8 - n), "reserved_zero_2bits")?;
        }
        for i in 0..n {
            if profile_present[i] {
                r.skip_bits(88, "sub_layer_profile")?;
            }
            if level_present[i] {
                r.skip_bits(8, "sub_layer_level_idc")?;
            }
        }
        Ok(ProfileTierLevel {
            profile_space,
            tier_flag,
            profile_idc,
            compatibility_flags,
            constraint_indicator_flags,
            level_idc,
        })
    }
}

/// One array of NAL units of one type in an `hvcC`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct HevcNalArray {
    /// `array_completeness`: `true` when all units of this type are here and
    /// none travel in band.
    pub array_completeness: bool,
    /// `NAL_unit_type` (32 VPS, 33 SPS, 34 PPS, 39 / 40 SEI).
    pub nal_unit_type: u8,
    /// The NAL units (header included), at most 65 535.
    pub nal_units: Vec<Bytes>,
}

/// The HEVCDecoderConfigurationRecord carried in an `hvcC` box.
///
/// [`HevcConfig::write`] writes reserved bits as ones, as the specification
/// asks.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct HevcConfig {
    /// `configurationVersion` (1; some early files say 0).
    pub configuration_version: u8,
    /// General profile, tier and level.
    pub general: ProfileTierLevel,
    /// `min_spatial_segmentation_idc` (12 bits).
    pub min_spatial_segmentation_idc: u16,
    /// `parallelismType` (0 unknown, 1 slices, 2 tiles, 3 wavefront).
    pub parallelism_type: u8,
    /// `chromaFormat` (`chroma_format_idc`).
    pub chroma_format_idc: u8,
    /// `bitDepthLumaMinus8` (0 to 7).
    pub bit_depth_luma_minus8: u8,
    /// `bitDepthChromaMinus8` (0 to 7).
    pub bit_depth_chroma_minus8: u8,
    /// `avgFrameRate` in frames per 256 seconds; 0 when unspecified.
    pub avg_frame_rate: u16,
    /// `constantFrameRate` (0 to 2).
    pub constant_frame_rate: u8,
    /// `numTemporalLayers` (0 unknown, 1 to 7).
    pub num_temporal_layers: u8,
    /// `temporalIdNested`.
    pub temporal_id_nested: bool,
    /// Size of the length before each NAL unit in the samples.
    pub nal_length_size: NalLengthSize,
    /// The NAL unit arrays (VPS, SPS, PPS, SEI, ...), at most 255.
    pub arrays: Vec<HevcNalArray>,
}

impl HevcConfig {
    /// Parses an `hvcC` payload (the box contents after its header). The NAL
    /// units are copied once into one shared buffer; use
    /// [`HevcConfig::parse_bytes`] to slice them from a `Bytes` instead.
    pub fn parse(data: &[u8]) -> Result<HevcConfig, CodecError> {
        HevcConfig::parse_bytes(&Bytes::copy_from_slice(data))
    }

    /// Parses an `hvcC` payload held in `Bytes`; the NAL units are slices of
    /// it.
    pub fn parse_bytes(data: &Bytes) -> Result<HevcConfig, CodecError> {
        let mut r = ByteReader::new(data, HVCC);
        let configuration_version = r.u8("configurationVersion")?;
        if configuration_version > 1 {
            return Err(r.invalid(
                "configurationVersion",
                0,
                u64::from(configuration_version),
                "must be 1",
            ));
        }
        let fixed = r.take(21, "general profile, tier and level")?;
        let mut b = BitReader::new(fixed, HVCC);
        let general = ProfileTierLevel {
            profile_space: b.read_u8(2, "general_profile_space")?,
            tier_flag: b.read_flag("general_tier_flag")?,
            profile_idc: b.read_u8(5, "general_profile_idc")?,
            compatibility_flags: b.read_u32(32, "general_profile_compatibility_flags")?,
            constraint_indicator_flags: b.read_bits(48, "general_constraint_indicator_flags")?,
            level_idc: b.read_u8(8, "general_level_idc")?,
        };
        b.skip_bits(4, "reserved")?;
        let min_spatial_segmentation_idc = b.read_bits(12, "min_spatial_segmentation_idc")? as u16;
        b.skip_bits(6, "reserved")?;
        let parallelism_type = b.read_u8(2, "parallelismType")?;
        b.skip_bits(6, "reserved")?;
        let chroma_format_idc = b.read_u8(2, "chromaFormat")?;
        b.skip_bits(5, "reserved")?;
        let bit_depth_luma_minus8 = b.read_u8(3, "bitDepthLumaMinus8")?;
        b.skip_bits(5, "reserved")?;
        let bit_depth_chroma_minus8 = b.read_u8(3, "bitDepthChromaMinus8")?;
        let avg_frame_rate = b.read_bits(16, "avgFrameRate")? as u16;
        let constant_frame_rate = b.read_u8(2, "constantFrameRate")?;
        let num_temporal_layers = b.read_u8(3, "numTemporalLayers")?;
        let temporal_id_nested = b.read_flag("temporalIdNested")?;
        let length_size_minus_one = b.read_u8(2, "lengthSizeMinusOne")?;
        let nal_length_size = match length_size_minus_one {
            0 => NalLengthSize::One,
            1 => NalLengthSize::Two,
            3 => NalLengthSize::Four,
            v => {
                return Err(r.invalid("lengthSizeMinusOne", 21, u64::from(v), "must be 0, 1 or 3"));
            }
        };
        let num_arrays = r.u8("numOfArrays")?;
        let mut arrays = Vec::new();
        for _ in 0..num_arrays {
            let t = r.u8("NAL_unit_type")?;
            let num_nalus = r.u16("numNalus")?;
            let mut nal_units = Vec::new();
            for _ in 0..num_nalus {
                let len = usize::from(r.u16("nalUnitLength")?);
                let start = r.position();
                r.take(len, "nalUnit")?;
                nal_units.push(data.slice(start..start + len));
            }
            arrays.push(HevcNalArray {
                array_completeness: t & 0x80 != 0,
                nal_unit_type: t & 0x3f,
                nal_units,
            });
        }
        Ok(HevcConfig {
            configuration_version,
            general,
            min_spatial_segmentation_idc,
            parallelism_type,
            chroma_format_idc,
            bit_depth_luma_minus8,
            bit_depth_chroma_minus8,
            avg_frame_rate,
            constant_frame_rate,
            num_temporal_layers,
            temporal_id_nested,
            nal_length_size,
            arrays,
        })
    }

    /// Builds the record from parameter sets (whole NAL units): profile,
    /// tier, level, chroma format, bit depths and temporal layering come from
    /// the first SPS. Arrays are marked complete; lengths are 4 bytes; the
    /// frame-rate and segmentation fields say "unspecified" (0).
    pub fn from_parameter_sets(
        vps: &[Bytes],
        sps: &[Bytes],
        pps: &[Bytes],
    ) -> Result<HevcConfig, CodecError> {
        for (what, sets) in [
            ("video parameter set", vps),
            ("sequence parameter set", sps),
            ("picture parameter set", pps),
        ] {
            if sets.is_empty() {
                return Err(CodecError::Missing {
                    structure: HVCC,
                    what,
                });
            }
        }
        let info = Sps::parse(sps.first().map_or(&[][..], |s| &s[..]))?;
        let arrays = [
            (H265NalHeader::VPS, vps),
            (H265NalHeader::SPS, sps),
            (H265NalHeader::PPS, pps),
        ]
        .into_iter()
        .map(|(t, units)| HevcNalArray {
            array_completeness: true,
            nal_unit_type: t,
            nal_units: units.to_vec(),
        })
        .collect();
        let config = HevcConfig {
            configuration_version: 1,
            general: info.general,
            min_spatial_segmentation_idc: 0,
            parallelism_type: 0,
            chroma_format_idc: info.chroma_format_idc,
            bit_depth_luma_minus8: info.bit_depth_luma.saturating_sub(8),
            bit_depth_chroma_minus8: info.bit_depth_chroma.saturating_sub(8),
            avg_frame_rate: 0,
            constant_frame_rate: 0,
            num_temporal_layers: info.max_sub_layers,
            temporal_id_nested: info.temporal_id_nesting,
            nal_length_size: NalLengthSize::Four,
            arrays,
        };
        config.check_counts()?;
        Ok(config)
    }

    fn check_counts(&self) -> Result<(), CodecError> {
        if self.arrays.len() > 255 {
            return Err(CodecError::TooLong {
                structure: HVCC,
                field: "numOfArrays",
                len: self.arrays.len(),
                max: 255,
            });
        }
        for a in &self.arrays {
            if a.nal_units.len() > usize::from(u16::MAX) {
                return Err(CodecError::TooLong {
                    structure: HVCC,
                    field: "numNalus",
                    len: a.nal_units.len(),
                    max: usize::from(u16::MAX),
                });
            }
            for u in &a.nal_units {
                if u.len() > usize::from(u16::MAX) {
                    return Err(CodecError::TooLong {
                        structure: HVCC,
                        field: "nalUnitLength",
                        len: u.len(),
                        max: usize::from(u16::MAX),
                    });
                }
            }
        }
        Ok(())
    }

    /// The number of bytes [`HevcConfig::write`] writes.
    #[must_use]
    pub fn encoded_len(&self) -> usize {
        23 + self
            .arrays
            .iter()
            .map(|a| 3 + a.nal_units.iter().map(|u| 2 + u.len()).sum::<usize>())
            .sum::<usize>()
    }

    /// Writes the `hvcC` payload into `out`. Fails, writing nothing, when a
    /// count or length does not fit its field, or `out` lacks room.
    pub fn write(&self, out: &mut impl BufMut) -> Result<(), CodecError> {
        self.check_counts()?;
        let needed = self.encoded_len();
        if out.remaining_mut() < needed {
            return Err(CodecError::TooLong {
                structure: HVCC,
                field: "output buffer",
                len: needed,
                max: out.remaining_mut(),
            });
        }
        let g = &self.general;
        out.put_u8(self.configuration_version);
        out.put_u8(
            ((g.profile_space & 3) << 6) | (u8::from(g.tier_flag) << 5) | (g.profile_idc & 0x1f),
        );
        out.put_u32(g.compatibility_flags);
        out.put_uint(g.constraint_indicator_flags & 0xffff_ffff_ffff, 6);
        out.put_u8(g.level_idc);
        out.put_u16(0xf000 | (self.min_spatial_segmentation_idc & 0x0fff));
        out.put_u8(0xfc | (self.parallelism_type & 3));
        out.put_u8(0xfc | (self.chroma_format_idc & 3));
        out.put_u8(0xf8 | (self.bit_depth_luma_minus8 & 7));
        out.put_u8(0xf8 | (self.bit_depth_chroma_minus8 & 7));
        out.put_u16(self.avg_frame_rate);
        out.put_u8(
            ((self.constant_frame_rate & 3) << 6)
                | ((self.num_temporal_layers & 7) << 3)
                | (u8::from(self.temporal_id_nested) << 2)
                | (self.nal_length_size.bytes() - 1),
        );
        out.put_u8(self.arrays.len() as u8);
        for a in &self.arrays {
            out.put_u8((u8::from(a.array_completeness) << 7) | (a.nal_unit_type & 0x3f));
            out.put_u16(a.nal_units.len() as u16);
            for u in &a.nal_units {
                out.put_u16(u.len() as u16);
                out.put_slice(u);
            }
        }
        Ok(())
    }

    /// The `hvcC` payload as new bytes.
    pub fn to_bytes(&self) -> Result<Bytes, CodecError> {
        let mut v = Vec::with_capacity(self.encoded_len());
        self.write(&mut v)?;
        Ok(Bytes::from(v))
    }

    /// The RFC 6381 / ISO/IEC 14496-15 Annex E codec string for an `hvc1`
    /// sample entry (`hvc1.1.6.L93.B0`).
    #[must_use]
    pub fn codec_string(&self) -> String {
        self.general.codec_string("hvc1")
    }

    /// The codec string with another sample entry type (`hev1`, whose
    /// parameter sets may travel in band).
    #[must_use]
    pub fn codec_string_with_entry(&self, entry: &str) -> String {
        self.general.codec_string(entry)
    }

    /// The NAL units of one type, over all arrays of that type.
    pub fn units_of_type(&self, nal_unit_type: u8) -> impl Iterator<Item = &Bytes> {
        self.arrays
            .iter()
            .filter(move |a| a.nal_unit_type == nal_unit_type)
            .flat_map(|a| a.nal_units.iter())
    }

    /// Video parameter sets.
    pub fn vps(&self) -> impl Iterator<Item = &Bytes> {
        self.units_of_type(H265NalHeader::VPS)
    }

    /// Sequence parameter sets.
    pub fn sps(&self) -> impl Iterator<Item = &Bytes> {
        self.units_of_type(H265NalHeader::SPS)
    }

    /// Picture parameter sets.
    pub fn pps(&self) -> impl Iterator<Item = &Bytes> {
        self.units_of_type(H265NalHeader::PPS)
    }

    /// The first SPS, parsed.
    pub fn sps_info(&self) -> Result<Sps, CodecError> {
        let first = self.sps().next().ok_or(CodecError::Missing {
            structure: HVCC,
            what: "sequence parameter set",
        })?;
        Sps::parse(first)
    }
}

/// What an H.265 sequence parameter set says (ITU-T H.265 7.3.2.2.1), up to
/// and including the VUI timing information.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Sps {
    /// `sps_video_parameter_set_id`.
    pub video_parameter_set_id: u8,
    /// `sps_max_sub_layers_minus1 + 1` (1 to 7).
    pub max_sub_layers: u8,
    /// `sps_temporal_id_nesting_flag`.
    pub temporal_id_nesting: bool,
    /// General profile, tier and level.
    pub general: ProfileTierLevel,
    /// `sps_seq_parameter_set_id` (0 to 15).
    pub seq_parameter_set_id: u8,
    /// `chroma_format_idc`: 0 monochrome, 1 4:2:0, 2 4:2:2, 3 4:4:4.
    pub chroma_format_idc: u8,
    /// `separate_colour_plane_flag`.
    pub separate_colour_plane: bool,
    /// `pic_width_in_luma_samples`: the coded width.
    pub coded_width: u32,
    /// `pic_height_in_luma_samples`: the coded height.
    pub coded_height: u32,
    /// Width after the conformance window.
    pub width: u32,
    /// Height after the conformance window.
    pub height: u32,
    /// Conformance window offsets in luma samples: left, right, top, bottom.
    pub conformance_window: [u32; 4],
    /// Luma bit depth (8 to 16).
    pub bit_depth_luma: u8,
    /// Chroma bit depth (8 to 16).
    pub bit_depth_chroma: u8,
    /// Sample aspect ratio from the VUI, as `(width, height)`.
    pub sample_aspect_ratio: Option<(u16, u16)>,
    /// `video_full_range_flag` from the VUI: `Some(true)` for full range,
    /// `Some(false)` for limited ("TV") range, `None` when the VUI does not
    /// say (decoders then assume limited range).
    pub full_range: Option<bool>,
    /// VUI timing information, when present.
    pub timing: Option<TimingInfo>,
    /// Frame rate from the VUI timing, `vui_time_scale /
    /// vui_num_units_in_tick` reduced; `None` without timing (or with a zero
    /// field).
    pub frame_rate: Option<FrameRate>,
}

/// VUI timing information (H.265 E.2.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct TimingInfo {
    /// `vui_num_units_in_tick`.
    pub num_units_in_tick: u32,
    /// `vui_time_scale`.
    pub time_scale: u32,
    /// `vui_num_ticks_poc_diff_one_minus1 + 1`, when
    /// `vui_poc_proportional_to_timing_flag` is set.
    pub num_ticks_poc_diff_one: Option<u64>,
}

/// Skips `scaling_list_data()` (H.265 7.3.4).
fn skip_scaling_list_data(r: &mut BitReader<'_>) -> Result<(), CodecError> {
    for size_id in 0..4u32 {
        let step = if size_id == 3 { 3 } else { 1 };
        for _ in (0..6).step_by(step) {
            if !r.read_flag("scaling_list_pred_mode_flag")? {
                r.read_ue("scaling_list_pred_matrix_id_delta")?;
            } else {
                let coef_num = 64.min(1u32 << (4 + (size_id << 1)));
                if size_id > 1 {
                    r.read_se("scaling_list_dc_coef_minus8")?;
                }
                for _ in 0..coef_num {
                    r.read_se("scaling_list_delta_coef")?;
                }
            }
        }
    }
    Ok(())
}

/// Skips `st_ref_pic_set(idx)` (H.265 7.3.7) as it appears in an SPS;
/// returns `NumDeltaPocs[idx]`. `num_delta_pocs` holds the earlier sets'.
fn skip_st_ref_pic_set(
    r: &mut BitReader<'_>,
    idx: usize,
    num_delta_pocs: &[u32],
) -> Result<u32, CodecError> {
    if idx != 0 && r.read_flag("inter_ref_pic_set_prediction_flag")? {
        // In an SPS, delta_idx_minus1 is absent: the reference is idx - 1.
        r.read_flag("delta_rps_sign")?;
        r.read_ue("abs_delta_rps_minus1")?;
        let reference = num_delta_pocs.get(idx - 1).copied().unwrap_or(0);
        let mut count = 0;
        for _ in 0..=reference {
            let used = r.read_flag("used_by_curr_pic_flag")?;
            let use_delta = used || r.read_flag("use_delta_flag")?;
            if use_delta {
                count += 1;
            }
        }
        return Ok(count);
    }
    let start = r.bit_position();
    let negative = r.read_ue_max(16, "num_negative_pics")?;
    let positive = r.read_ue_max(16, "num_positive_pics")?;
    if negative + positive > 16 {
        return Err(r.invalid(
            "num_negative_pics + num_positive_pics",
            start,
            u64::from(negative + positive),
            "at most 16 (sps_max_dec_pic_buffering)",
        ));
    }
    for _ in 0..negative + positive {
        r.read_ue("delta_poc_minus1")?;
        r.read_flag("used_by_curr_pic_flag")?;
    }
    Ok(negative + positive)
}

impl Sps {
    /// Parses an SPS NAL unit (two header bytes included,
    /// emulation-prevention bytes still in).
    pub fn parse(nal: &[u8]) -> Result<Sps, CodecError> {
        let header = H265NalHeader::of_unit(nal).ok_or(CodecError::Truncated {
            structure: SPS,
            field: "NAL unit header",
            offset: 0,
            needed: 2,
            available: nal.len(),
        })?;
        if header.nal_unit_type != H265NalHeader::SPS {
            return Err(CodecError::InvalidValue {
                structure: SPS,
                field: "nal_unit_type",
                bit_offset: 1,
                value: u64::from(header.nal_unit_type),
                reason: "an SPS has nal_unit_type 33",
            });
        }
        if header.nuh_layer_id != 0 {
            // Layered (MV-HEVC, SHVC) SPSs have a different syntax (F.7.3.2.2).
            return Err(CodecError::Unsupported {
                structure: SPS,
                feature: "an SPS of a layer other than the base layer",
                offset: 0,
            });
        }
        Sps::parse_rbsp(&rbsp_from_ebsp(nal.get(2..).unwrap_or_default()))
    }

    /// Parses an SPS RBSP: the payload after the two header bytes, with
    /// emulation-prevention bytes removed.
    pub fn parse_rbsp(rbsp: &[u8]) -> Result<Sps, CodecError> {
        let mut r = BitReader::new(rbsp, SPS);
        let video_parameter_set_id = r.read_u8(4, "sps_video_parameter_set_id")?;
        let start = r.bit_position();
        let max_sub_layers_minus1 = r.read_u8(3, "sps_max_sub_layers_minus1")?;
        if max_sub_layers_minus1 > 6 {
            return Err(r.invalid(
                "sps_max_sub_layers_minus1",
                start,
                u64::from(max_sub_layers_minus1),
                "must be 0 to 6",
            ));
        }
        let temporal_id_nesting = r.read_flag("sps_temporal_id_nesting_flag")?;
        let general = ProfileTierLevel::parse(&mut r, max_sub_layers_minus1)?;
        let seq_parameter_set_id = r.read_ue_max(15, "sps_seq_parameter_set_id")? as u8;
        let chroma_format_idc = r.read_ue_max(3, "chroma_format_idc")? as u8;
        let separate_colour_plane =
            chroma_format_idc == 3 && r.read_flag("separate_colour_plane_flag")?;
        let width_pos = r.bit_position();
        let coded_width = r.read_ue("pic_width_in_luma_samples")?;
        let coded_height = r.read_ue("pic_height_in_luma_samples")?;
        if coded_width == 0 || coded_height == 0 {
            return Err(r.invalid(
                "pic_width/height_in_luma_samples",
                width_pos,
                0,
                "must not be 0",
            ));
        }
        let mut window = [0u32; 4];
        let window_pos = r.bit_position();
        if r.read_flag("conformance_window_flag")? {
            for w in &mut window {
                *w = r.read_ue("conf_win_offset")?;
            }
        }
        // H.265 table 6-1: SubWidthC, SubHeightC.
        let chroma_array_type = if separate_colour_plane {
            0
        } else {
            chroma_format_idc
        };
        let (sub_w, sub_h) = match chroma_array_type {
            1 => (2u64, 2u64),
            2 => (2, 1),
            _ => (1, 1),
        };
        let crop_x = sub_w * (u64::from(window[0]) + u64::from(window[1]));
        let crop_y = sub_h * (u64::from(window[2]) + u64::from(window[3]));
        let width = u64::from(coded_width)
            .checked_sub(crop_x)
            .filter(|&w| w > 0)
            .ok_or_else(|| {
                r.invalid(
                    "conf_win_left/right_offset",
                    window_pos,
                    crop_x,
                    "window removes the whole width",
                )
            })?;
        let height = u64::from(coded_height)
            .checked_sub(crop_y)
            .filter(|&h| h > 0)
            .ok_or_else(|| {
                r.invalid(
                    "conf_win_top/bottom_offset",
                    window_pos,
                    crop_y,
                    "window removes the whole height",
                )
            })?;
        let bit_depth_luma = 8 + r.read_ue_max(8, "bit_depth_luma_minus8")? as u8;
        let bit_depth_chroma = 8 + r.read_ue_max(8, "bit_depth_chroma_minus8")? as u8;
        let log2_max_poc_lsb = 4 + r.read_ue_max(12, "log2_max_pic_order_cnt_lsb_minus4")?;
        let ordering_info_for_all = r.read_flag("sps_sub_layer_ordering_info_present_flag")?;
        let first = if ordering_info_for_all {
            0
        } else {
            max_sub_layers_minus1
        };
        for _ in first..=max_sub_layers_minus1 {
            r.read_ue("sps_max_dec_pic_buffering_minus1")?;
            r.read_ue("sps_max_num_reorder_pics")?;
            r.read_ue("sps_max_latency_increase_plus1")?;
        }
        r.read_ue("log2_min_luma_coding_block_size_minus3")?;
        r.read_ue("log2_diff_max_min_luma_coding_block_size")?;
        r.read_ue("log2_min_luma_transform_block_size_minus2")?;
        r.read_ue("log2_diff_max_min_luma_transform_block_size")?;
        r.read_ue("max_transform_hierarchy_depth_inter")?;
        r.read_ue("max_transform_hierarchy_depth_intra")?;
        if r.read_flag("scaling_list_enabled_flag")?
            && r.read_flag("sps_scaling_list_data_present_flag")?
        {
            skip_scaling_list_data(&mut r)?;
        }
        r.read_flag("amp_enabled_flag")?;
        r.read_flag("sample_adaptive_offset_enabled_flag")?;
        if r.read_flag("pcm_enabled_flag")? {
            r.read_bits(8, "pcm_sample_bit_depth_luma/chroma_minus1")?;
            r.read_ue("log2_min_pcm_luma_coding_block_size_minus3")?;
            r.read_ue("log2_diff_max_min_pcm_luma_coding_block_size")?;
            r.read_flag("pcm_loop_filter_disabled_flag")?;
        }
        let num_sets = r.read_ue_max(64, "num_short_term_ref_pic_sets")? as usize;
        let mut num_delta_pocs = Vec::new();
        for idx in 0..num_sets {
            let n = skip_st_ref_pic_set(&mut r, idx, &num_delta_pocs)?;
            num_delta_pocs.push(n);
        }
        if r.read_flag("long_term_ref_pics_present_flag")? {
            let n = r.read_ue_max(32, "num_long_term_ref_pics_sps")?;
            for _ in 0..n {
                r.read_bits(log2_max_poc_lsb, "lt_ref_pic_poc_lsb_sps")?;
                r.read_flag("used_by_curr_pic_lt_sps_flag")?;
            }
        }
        r.read_flag("sps_temporal_mvp_enabled_flag")?;
        r.read_flag("strong_intra_smoothing_enabled_flag")?;
        let mut sample_aspect_ratio = None;
        let mut full_range = None;
        let mut timing = None;
        if r.read_flag("vui_parameters_present_flag")? {
            if r.read_flag("aspect_ratio_info_present_flag")? {
                let idc = r.read_u8(8, "aspect_ratio_idc")?;
                sample_aspect_ratio = if idc == 255 {
                    let w = r.read_bits(16, "sar_width")? as u16;
                    let h = r.read_bits(16, "sar_height")? as u16;
                    Some((w, h))
                } else {
                    super::h264::aspect_ratio_from_idc(idc)
                };
            }
            if r.read_flag("overscan_info_present_flag")? {
                r.read_flag("overscan_appropriate_flag")?;
            }
            if r.read_flag("video_signal_type_present_flag")? {
                r.read_bits(3, "video_format")?;
                full_range = Some(r.read_flag("video_full_range_flag")?);
                if r.read_flag("colour_description_present_flag")? {
                    r.read_bits(24, "colour_primaries/transfer/matrix")?;
                }
            }
            if r.read_flag("chroma_loc_info_present_flag")? {
                r.read_ue("chroma_sample_loc_type_top_field")?;
                r.read_ue("chroma_sample_loc_type_bottom_field")?;
            }
            r.read_flag("neutral_chroma_indication_flag")?;
            r.read_flag("field_seq_flag")?;
            r.read_flag("frame_field_info_present_flag")?;
            if r.read_flag("default_display_window_flag")? {
                for _ in 0..4 {
                    r.read_ue("def_disp_win_offset")?;
                }
            }
            if r.read_flag("vui_timing_info_present_flag")? {
                let num_units_in_tick = r.read_u32(32, "vui_num_units_in_tick")?;
                let time_scale = r.read_u32(32, "vui_time_scale")?;
                let num_ticks_poc_diff_one =
                    if r.read_flag("vui_poc_proportional_to_timing_flag")? {
                        Some(u64::from(r.read_ue("vui_num_ticks_poc_diff_one_minus1")?) + 1)
                    } else {
                        None
                    };
                timing = Some(TimingInfo {
                    num_units_in_tick,
                    time_scale,
                    num_ticks_poc_diff_one,
                });
            }
        }
        Ok(Sps {
            video_parameter_set_id,
            max_sub_layers: max_sub_layers_minus1 + 1,
            temporal_id_nesting,
            general,
            seq_parameter_set_id,
            chroma_format_idc,
            separate_colour_plane,
            coded_width,
            coded_height,
            // Both fit: at most the coded size.
            width: width as u32,
            height: height as u32,
            conformance_window: [
                (sub_w * u64::from(window[0])) as u32,
                (sub_w * u64::from(window[1])) as u32,
                (sub_h * u64::from(window[2])) as u32,
                (sub_h * u64::from(window[3])) as u32,
            ],
            bit_depth_luma,
            bit_depth_chroma,
            sample_aspect_ratio,
            full_range,
            timing,
            frame_rate: timing.and_then(|t| {
                FrameRate::new(u64::from(t.time_scale), u64::from(t.num_units_in_tick))
            }),
        })
    }
}
