//! H.264 / AVC: the `avcC` configuration record (ISO/IEC 14496-15 5.3.3)
//! and the sequence parameter set (ITU-T H.264 7.3.2.1).
//!
//! ```
//! use bytes::Bytes;
//! use streamkit_core::codec::h264::AvcConfig;
//!
//! // x264's Constrained Baseline SPS for 64x64 at 25 fps, level 1.0, and its PPS.
//! let sps = Bytes::from_static(&[
//!     0x67, 0x42, 0xc0, 0x0a, 0xd9, 0x04, 0x26, 0xc0, 0x44, 0x00, 0x00, 0x03, 0x00, 0x04,
//!     0x00, 0x00, 0x03, 0x00, 0xc8, 0x3c, 0x48, 0x99, 0x20,
//! ]);
//! let pps = Bytes::from_static(&[0x68, 0xcb, 0x83, 0xcb, 0x20]);
//! let avcc = AvcConfig::from_parameter_sets(&[sps], &[pps])?;
//! assert_eq!(avcc.codec_string(), "avc1.42c00a");
//! let info = avcc.sps_info()?;
//! assert_eq!((info.width, info.height), (64, 64));
//! assert_eq!(info.frame_rate.map(|r| (r.num, r.den)), Some((25, 1)));
//! assert_eq!(AvcConfig::parse(&avcc.to_bytes()?)?, avcc);
//! # Ok::<(), streamkit_core::codec::CodecError>(())
//! ```

use bytes::{BufMut, Bytes};

use super::bits::{BitReader, ByteReader};
use super::{CodecError, FrameRate};
use crate::nal::{H264NalHeader, NalLengthSize, rbsp_from_ebsp};

const AVCC: &str = "avcC";
const SPS: &str = "H.264 SPS";

/// Profiles whose SPS carries chroma format, bit depth and scaling matrices
/// (H.264 7.3.2.1.1).
const fn has_chroma_info(profile_idc: u8) -> bool {
    matches!(
        profile_idc,
        100 | 110 | 122 | 244 | 44 | 83 | 86 | 118 | 128 | 138 | 139 | 134 | 135
    )
}

/// Profiles whose `avcC` ends with the chroma / bit depth extension
/// (ISO/IEC 14496-15 5.3.3.1.2).
const fn has_avcc_extension(profile_idc: u8) -> bool {
    matches!(profile_idc, 100 | 110 | 122 | 144)
}

/// The `avcC` fields that high profiles (100, 110, 122, 144) add after the
/// parameter sets.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct AvcHighProfileFields {
    /// `chroma_format`: 0 monochrome, 1 4:2:0, 2 4:2:2, 3 4:4:4.
    pub chroma_format_idc: u8,
    /// `bit_depth_luma_minus8` (0 to 7).
    pub bit_depth_luma_minus8: u8,
    /// `bit_depth_chroma_minus8` (0 to 7).
    pub bit_depth_chroma_minus8: u8,
    /// Sequence parameter set extension NAL units (type 13).
    pub sps_ext: Vec<Bytes>,
}

/// The AVCDecoderConfigurationRecord carried in an `avcC` box.
///
/// Parameter sets are whole NAL units (header byte included), as stored in
/// the box. [`AvcConfig::write`] writes reserved bits as ones, as the
/// specification asks.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct AvcConfig {
    /// `AVCProfileIndication`: the SPS's `profile_idc`.
    pub profile_idc: u8,
    /// `profile_compatibility`: the SPS's constraint_set flags byte.
    pub profile_compatibility: u8,
    /// `AVCLevelIndication`: the SPS's `level_idc`.
    pub level_idc: u8,
    /// Size of the length before each NAL unit in the samples.
    pub nal_length_size: NalLengthSize,
    /// Sequence parameter sets (NAL type 7), at most 31.
    pub sps: Vec<Bytes>,
    /// Picture parameter sets (NAL type 8), at most 255.
    pub pps: Vec<Bytes>,
    /// The high-profile extension, when present.
    pub high_profile_fields: Option<AvcHighProfileFields>,
}

fn read_parameter_sets(
    r: &mut ByteReader<'_>,
    data: &Bytes,
    count: usize,
    field: &'static str,
) -> Result<Vec<Bytes>, CodecError> {
    let mut v = Vec::new();
    for _ in 0..count {
        let len = usize::from(r.u16(field)?);
        let start = r.position();
        r.take(len, field)?;
        v.push(data.slice(start..start + len));
    }
    Ok(v)
}

fn write_parameter_sets(out: &mut impl BufMut, sets: &[Bytes]) -> Result<(), CodecError> {
    for s in sets {
        let len = u16::try_from(s.len()).map_err(|_| CodecError::TooLong {
            structure: AVCC,
            field: "parameter set length",
            len: s.len(),
            max: usize::from(u16::MAX),
        })?;
        out.put_u16(len);
        out.put_slice(s);
    }
    Ok(())
}

impl AvcConfig {
    /// Parses an `avcC` payload (the box contents after its header).
    ///
    /// Parameter sets are copied once into one shared buffer; use
    /// [`AvcConfig::parse_bytes`] to slice them from a `Bytes` instead.
    pub fn parse(data: &[u8]) -> Result<AvcConfig, CodecError> {
        AvcConfig::parse_bytes(&Bytes::copy_from_slice(data))
    }

    /// Parses an `avcC` payload held in `Bytes`; the parameter sets are
    /// slices of it.
    pub fn parse_bytes(data: &Bytes) -> Result<AvcConfig, CodecError> {
        let mut r = ByteReader::new(data, AVCC);
        let version = r.u8("configurationVersion")?;
        if version != 1 {
            return Err(r.invalid("configurationVersion", 0, u64::from(version), "must be 1"));
        }
        let profile_idc = r.u8("AVCProfileIndication")?;
        let profile_compatibility = r.u8("profile_compatibility")?;
        let level_idc = r.u8("AVCLevelIndication")?;
        let b = r.u8("lengthSizeMinusOne")?;
        let nal_length_size = match b & 3 {
            0 => NalLengthSize::One,
            1 => NalLengthSize::Two,
            3 => NalLengthSize::Four,
            v => {
                return Err(r.invalid("lengthSizeMinusOne", 4, u64::from(v), "must be 0, 1 or 3"));
            }
        };
        let num_sps = usize::from(r.u8("numOfSequenceParameterSets")? & 0x1f);
        let sps = read_parameter_sets(&mut r, data, num_sps, "sequenceParameterSetNALUnit")?;
        let num_pps = usize::from(r.u8("numOfPictureParameterSets")?);
        let pps = read_parameter_sets(&mut r, data, num_pps, "pictureParameterSetNALUnit")?;
        let high_profile_fields = if has_avcc_extension(profile_idc) && r.remaining() > 0 {
            let chroma_format_idc = r.u8("chroma_format")? & 3;
            let bit_depth_luma_minus8 = r.u8("bit_depth_luma_minus8")? & 7;
            let bit_depth_chroma_minus8 = r.u8("bit_depth_chroma_minus8")? & 7;
            let n = usize::from(r.u8("numOfSequenceParameterSetExt")?);
            let sps_ext = read_parameter_sets(&mut r, data, n, "sequenceParameterSetExtNALUnit")?;
            Some(AvcHighProfileFields {
                chroma_format_idc,
                bit_depth_luma_minus8,
                bit_depth_chroma_minus8,
                sps_ext,
            })
        } else {
            None
        };
        Ok(AvcConfig {
            profile_idc,
            profile_compatibility,
            level_idc,
            nal_length_size,
            sps,
            pps,
            high_profile_fields,
        })
    }

    /// Builds the record from parameter sets (whole NAL units): profile,
    /// constraint flags and level come from the first SPS, and for high
    /// profiles the chroma format and bit depths too. Lengths are 4 bytes.
    pub fn from_parameter_sets(sps: &[Bytes], pps: &[Bytes]) -> Result<AvcConfig, CodecError> {
        let first = sps.first().ok_or(CodecError::Missing {
            structure: AVCC,
            what: "sequence parameter set",
        })?;
        if pps.is_empty() {
            return Err(CodecError::Missing {
                structure: AVCC,
                what: "picture parameter set",
            });
        }
        let info = Sps::parse(first)?;
        let high_profile_fields =
            has_avcc_extension(info.profile_idc).then(|| AvcHighProfileFields {
                chroma_format_idc: info.chroma_format_idc,
                bit_depth_luma_minus8: info.bit_depth_luma.saturating_sub(8),
                bit_depth_chroma_minus8: info.bit_depth_chroma.saturating_sub(8),
                sps_ext: Vec::new(),
            });
        let config = AvcConfig {
            profile_idc: info.profile_idc,
            profile_compatibility: info.constraint_flags,
            level_idc: info.level_idc,
            nal_length_size: NalLengthSize::Four,
            sps: sps.to_vec(),
            pps: pps.to_vec(),
            high_profile_fields,
        };
        config.check_counts()?;
        Ok(config)
    }

    fn check_counts(&self) -> Result<(), CodecError> {
        let checks = [
            ("numOfSequenceParameterSets", self.sps.len(), 31),
            ("numOfPictureParameterSets", self.pps.len(), 255),
            (
                "numOfSequenceParameterSetExt",
                self.high_profile_fields
                    .as_ref()
                    .map_or(0, |h| h.sps_ext.len()),
                255,
            ),
        ];
        for (field, len, max) in checks {
            if len > max {
                return Err(CodecError::TooLong {
                    structure: AVCC,
                    field,
                    len,
                    max,
                });
            }
        }
        for s in self.sps.iter().chain(&self.pps) {
            if s.len() > usize::from(u16::MAX) {
                return Err(CodecError::TooLong {
                    structure: AVCC,
                    field: "parameter set length",
                    len: s.len(),
                    max: usize::from(u16::MAX),
                });
            }
        }
        Ok(())
    }

    /// The number of bytes [`AvcConfig::write`] writes.
    #[must_use]
    pub fn encoded_len(&self) -> usize {
        let sets = |v: &[Bytes]| v.iter().map(|s| 2 + s.len()).sum::<usize>();
        7 + sets(&self.sps)
            + sets(&self.pps)
            + self
                .high_profile_fields
                .as_ref()
                .map_or(0, |h| 4 + sets(&h.sps_ext))
    }

    /// Writes the `avcC` payload into `out`. Fails, writing nothing, when a
    /// count or length does not fit its field, or `out` lacks room.
    pub fn write(&self, out: &mut impl BufMut) -> Result<(), CodecError> {
        self.check_counts()?;
        let needed = self.encoded_len();
        if out.remaining_mut() < needed {
            return Err(CodecError::TooLong {
                structure: AVCC,
                field: "output buffer",
                len: needed,
                max: out.remaining_mut(),
            });
        }
        out.put_u8(1);
        out.put_u8(self.profile_idc);
        out.put_u8(self.profile_compatibility);
        out.put_u8(self.level_idc);
        out.put_u8(0xfc | (self.nal_length_size.bytes() - 1));
        out.put_u8(0xe0 | self.sps.len() as u8);
        write_parameter_sets(out, &self.sps)?;
        out.put_u8(self.pps.len() as u8);
        write_parameter_sets(out, &self.pps)?;
        if let Some(h) = &self.high_profile_fields {
            out.put_u8(0xfc | (h.chroma_format_idc & 3));
            out.put_u8(0xf8 | (h.bit_depth_luma_minus8 & 7));
            out.put_u8(0xf8 | (h.bit_depth_chroma_minus8 & 7));
            out.put_u8(h.sps_ext.len() as u8);
            write_parameter_sets(out, &h.sps_ext)?;
        }
        Ok(())
    }

    /// The `avcC` payload as new bytes.
    pub fn to_bytes(&self) -> Result<Bytes, CodecError> {
        let mut v = Vec::with_capacity(self.encoded_len());
        self.write(&mut v)?;
        Ok(Bytes::from(v))
    }

    /// The RFC 6381 codec string, `avc1.PPCCLL` in lowercase hex
    /// (`avc1.64001f`).
    #[must_use]
    pub fn codec_string(&self) -> String {
        self.codec_string_with_entry("avc1")
    }

    /// The codec string with another sample entry type (`avc3`, whose
    /// parameter sets travel in band).
    #[must_use]
    pub fn codec_string_with_entry(&self, entry: &str) -> String {
        format!(
            "{entry}.{:02x}{:02x}{:02x}",
            self.profile_idc, self.profile_compatibility, self.level_idc
        )
    }

    /// The first SPS, parsed.
    pub fn sps_info(&self) -> Result<Sps, CodecError> {
        let first = self.sps.first().ok_or(CodecError::Missing {
            structure: AVCC,
            what: "sequence parameter set",
        })?;
        Sps::parse(first)
    }
}

/// Frame cropping offsets, in luma samples (already multiplied by the crop
/// unit).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Crop {
    /// Samples removed on the left.
    pub left: u32,
    /// Samples removed on the right.
    pub right: u32,
    /// Samples removed at the top.
    pub top: u32,
    /// Samples removed at the bottom.
    pub bottom: u32,
}

/// VUI timing information (H.264 E.1.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct TimingInfo {
    /// `num_units_in_tick`.
    pub num_units_in_tick: u32,
    /// `time_scale`.
    pub time_scale: u32,
    /// `fixed_frame_rate_flag`.
    pub fixed_frame_rate: bool,
}

/// What an H.264 sequence parameter set says (ITU-T H.264 7.3.2.1.1),
/// up to and including the VUI timing information.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Sps {
    /// `profile_idc` (66 Baseline, 77 Main, 100 High, ...).
    pub profile_idc: u8,
    /// The byte holding `constraint_set0_flag` (most significant bit) to
    /// `constraint_set5_flag` and two reserved bits.
    pub constraint_flags: u8,
    /// `level_idc`: ten times the level (31 is level 3.1).
    pub level_idc: u8,
    /// `seq_parameter_set_id` (0 to 31).
    pub seq_parameter_set_id: u8,
    /// `chroma_format_idc`: 0 monochrome, 1 4:2:0, 2 4:2:2, 3 4:4:4.
    pub chroma_format_idc: u8,
    /// `separate_colour_plane_flag` (4:4:4 only).
    pub separate_colour_plane: bool,
    /// Luma bit depth (8 to 14).
    pub bit_depth_luma: u8,
    /// Chroma bit depth (8 to 14).
    pub bit_depth_chroma: u8,
    /// `log2_max_frame_num_minus4 + 4`.
    pub log2_max_frame_num: u8,
    /// `pic_order_cnt_type` (0 to 2).
    pub pic_order_cnt_type: u8,
    /// `max_num_ref_frames`.
    pub max_num_ref_frames: u32,
    /// `frame_mbs_only_flag`: `false` when the stream may hold fields.
    pub frame_mbs_only: bool,
    /// Width in luma samples, after cropping.
    pub width: u32,
    /// Height in luma samples, after cropping.
    pub height: u32,
    /// The cropping applied to get `width` and `height`.
    pub crop: Crop,
    /// Sample aspect ratio from the VUI, as `(width, height)`.
    pub sample_aspect_ratio: Option<(u16, u16)>,
    /// `video_full_range_flag` from the VUI: `Some(true)` for full range,
    /// `Some(false)` for limited ("TV") range, `None` when the VUI does not
    /// say (decoders then assume limited range).
    pub full_range: Option<bool>,
    /// VUI timing information, when present.
    pub timing: Option<TimingInfo>,
    /// Frame rate from the VUI timing, `time_scale / (2 * num_units_in_tick)`
    /// reduced; `None` without timing (or with a zero field).
    pub frame_rate: Option<FrameRate>,
}

/// The sample aspect ratio of `aspect_ratio_idc` 1 to 16 (H.264 table E-1,
/// H.265 table E.1); `None` for 0 (unspecified), 255 (explicit) and
/// reserved values.
pub(crate) fn aspect_ratio_from_idc(idc: u8) -> Option<(u16, u16)> {
    const TABLE: [(u16, u16); 16] = [
        (1, 1),
        (12, 11),
        (10, 11),
        (16, 11),
        (40, 33),
        (24, 11),
        (20, 11),
        (32, 11),
        (80, 33),
        (18, 11),
        (15, 11),
        (64, 33),
        (160, 99),
        (4, 3),
        (3, 2),
        (2, 1),
    ];
    TABLE.get(usize::from(idc).checked_sub(1)?).copied()
}

fn skip_scaling_list(r: &mut BitReader<'_>, size: usize) -> Result<(), CodecError> {
    let mut last: i32 = 8;
    let mut next: i32 = 8;
    for _ in 0..size {
        if next != 0 {
            let start = r.bit_position();
            let delta = r.read_se("delta_scale")?;
            if !(-128..=127).contains(&delta) {
                return Err(r.invalid("delta_scale", start, delta as u64, "must be -128 to 127"));
            }
            next = (last + delta + 256) % 256;
        }
        if next != 0 {
            last = next;
        }
    }
    Ok(())
}

impl Sps {
    /// Parses an SPS NAL unit (header byte included, emulation-prevention
    /// bytes still in).
    pub fn parse(nal: &[u8]) -> Result<Sps, CodecError> {
        let Some((&header, payload)) = nal.split_first() else {
            return Err(CodecError::Truncated {
                structure: SPS,
                field: "NAL unit header",
                offset: 0,
                needed: 1,
                available: 0,
            });
        };
        let h = H264NalHeader::parse(header);
        if h.nal_unit_type != H264NalHeader::SPS {
            return Err(CodecError::InvalidValue {
                structure: SPS,
                field: "nal_unit_type",
                bit_offset: 3,
                value: u64::from(h.nal_unit_type),
                reason: "an SPS has nal_unit_type 7",
            });
        }
        Sps::parse_rbsp(&rbsp_from_ebsp(payload))
    }

    /// Parses an SPS RBSP: the payload after the NAL header byte, with
    /// emulation-prevention bytes removed. Bit offsets in errors count from
    /// the start of `rbsp`.
    pub fn parse_rbsp(rbsp: &[u8]) -> Result<Sps, CodecError> {
        let mut r = BitReader::new(rbsp, SPS);
        let profile_idc = r.read_u8(8, "profile_idc")?;
        let constraint_flags = r.read_u8(8, "constraint_set_flags")?;
        let level_idc = r.read_u8(8, "level_idc")?;
        let seq_parameter_set_id = r.read_ue_max(31, "seq_parameter_set_id")? as u8;
        let mut chroma_format_idc = 1;
        let mut separate_colour_plane = false;
        let mut bit_depth_luma = 8;
        let mut bit_depth_chroma = 8;
        if has_chroma_info(profile_idc) {
            chroma_format_idc = r.read_ue_max(3, "chroma_format_idc")? as u8;
            if chroma_format_idc == 3 {
                separate_colour_plane = r.read_flag("separate_colour_plane_flag")?;
            }
            bit_depth_luma = 8 + r.read_ue_max(6, "bit_depth_luma_minus8")? as u8;
            bit_depth_chroma = 8 + r.read_ue_max(6, "bit_depth_chroma_minus8")? as u8;
            r.read_flag("qpprime_y_zero_transform_bypass_flag")?;
            if r.read_flag("seq_scaling_matrix_present_flag")? {
                let lists = if chroma_format_idc == 3 { 12 } else { 8 };
                for i in 0..lists {
                    if r.read_flag("seq_scaling_list_present_flag")? {
                        skip_scaling_list(&mut r, if i < 6 { 16 } else { 64 })?;
                    }
                }
            }
        }
        let log2_max_frame_num = 4 + r.read_ue_max(12, "log2_max_frame_num_minus4")? as u8;
        let pic_order_cnt_type = r.read_ue_max(2, "pic_order_cnt_type")? as u8;
        match pic_order_cnt_type {
            0 => {
                r.read_ue_max(12, "log2_max_pic_order_cnt_lsb_minus4")?;
            }
            1 => {
                r.read_flag("delta_pic_order_always_zero_flag")?;
                r.read_se("offset_for_non_ref_pic")?;
                r.read_se("offset_for_top_to_bottom_field")?;
                let n = r.read_ue_max(255, "num_ref_frames_in_pic_order_cnt_cycle")?;
                for _ in 0..n {
                    r.read_se("offset_for_ref_frame")?;
                }
            }
            _ => {}
        }
        let max_num_ref_frames = r.read_ue("max_num_ref_frames")?;
        r.read_flag("gaps_in_frame_num_value_allowed_flag")?;
        let width_pos = r.bit_position();
        let pic_width_in_mbs = u64::from(r.read_ue("pic_width_in_mbs_minus1")?) + 1;
        let height_pos = r.bit_position();
        let pic_height_in_map_units = u64::from(r.read_ue("pic_height_in_map_units_minus1")?) + 1;
        let frame_mbs_only = r.read_flag("frame_mbs_only_flag")?;
        if !frame_mbs_only {
            r.read_flag("mb_adaptive_frame_field_flag")?;
        }
        r.read_flag("direct_8x8_inference_flag")?;
        let crop_pos = r.bit_position();
        let mut crop = Crop::default();
        if r.read_flag("frame_cropping_flag")? {
            crop.left = r.read_ue("frame_crop_left_offset")?;
            crop.right = r.read_ue("frame_crop_right_offset")?;
            crop.top = r.read_ue("frame_crop_top_offset")?;
            crop.bottom = r.read_ue("frame_crop_bottom_offset")?;
        }
        // H.264 table 6-1 and equations 7-19 to 7-22.
        let chroma_array_type = if separate_colour_plane {
            0
        } else {
            chroma_format_idc
        };
        let (sub_width_c, sub_height_c) = match chroma_array_type {
            1 => (2u64, 2u64),
            2 => (2, 1),
            _ => (1, 1),
        };
        let field_factor = if frame_mbs_only { 1u64 } else { 2 };
        let (crop_unit_x, crop_unit_y) = if chroma_array_type == 0 {
            (1, field_factor)
        } else {
            (sub_width_c, sub_height_c * field_factor)
        };
        let full_width = pic_width_in_mbs * 16;
        let full_height = field_factor * pic_height_in_map_units * 16;
        let crop_x = crop_unit_x * (u64::from(crop.left) + u64::from(crop.right));
        let crop_y = crop_unit_y * (u64::from(crop.top) + u64::from(crop.bottom));
        let width = full_width
            .checked_sub(crop_x)
            .filter(|&w| w > 0)
            .ok_or_else(|| {
                r.invalid(
                    "frame_crop_left/right_offset",
                    crop_pos,
                    crop_x,
                    "cropping removes the whole width",
                )
            })?;
        let height = full_height
            .checked_sub(crop_y)
            .filter(|&h| h > 0)
            .ok_or_else(|| {
                r.invalid(
                    "frame_crop_top/bottom_offset",
                    crop_pos,
                    crop_y,
                    "cropping removes the whole height",
                )
            })?;
        let width = u32::try_from(width).map_err(|_| {
            r.invalid(
                "pic_width_in_mbs_minus1",
                width_pos,
                pic_width_in_mbs - 1,
                "width does not fit in 32 bits",
            )
        })?;
        let height = u32::try_from(height).map_err(|_| {
            r.invalid(
                "pic_height_in_map_units_minus1",
                height_pos,
                pic_height_in_map_units - 1,
                "height does not fit in 32 bits",
            )
        })?;
        let crop = Crop {
            left: (crop_unit_x * u64::from(crop.left)) as u32,
            right: (crop_unit_x * u64::from(crop.right)) as u32,
            top: (crop_unit_y * u64::from(crop.top)) as u32,
            bottom: (crop_unit_y * u64::from(crop.bottom)) as u32,
        };

        let mut sps = Sps {
            profile_idc,
            constraint_flags,
            level_idc,
            seq_parameter_set_id,
            chroma_format_idc,
            separate_colour_plane,
            bit_depth_luma,
            bit_depth_chroma,
            log2_max_frame_num,
            pic_order_cnt_type,
            max_num_ref_frames,
            frame_mbs_only,
            width,
            height,
            crop,
            sample_aspect_ratio: None,
            full_range: None,
            timing: None,
            frame_rate: None,
        };
        if r.read_flag("vui_parameters_present_flag")? {
            sps.parse_vui(&mut r)?;
        }
        Ok(sps)
    }

    /// Reads the VUI (H.264 E.1.1) up to the timing information.
    fn parse_vui(&mut self, r: &mut BitReader<'_>) -> Result<(), CodecError> {
        if r.read_flag("aspect_ratio_info_present_flag")? {
            let idc = r.read_u8(8, "aspect_ratio_idc")?;
            self.sample_aspect_ratio = match idc {
                255 => {
                    let w = r.read_bits(16, "sar_width")? as u16;
                    let h = r.read_bits(16, "sar_height")? as u16;
                    Some((w, h))
                }
                idc => aspect_ratio_from_idc(idc),
            };
        }
        if r.read_flag("overscan_info_present_flag")? {
            r.read_flag("overscan_appropriate_flag")?;
        }
        if r.read_flag("video_signal_type_present_flag")? {
            r.read_bits(3, "video_format")?;
            self.full_range = Some(r.read_flag("video_full_range_flag")?);
            if r.read_flag("colour_description_present_flag")? {
                r.read_bits(24, "colour_primaries/transfer/matrix")?;
            }
        }
        if r.read_flag("chroma_loc_info_present_flag")? {
            r.read_ue("chroma_sample_loc_type_top_field")?;
            r.read_ue("chroma_sample_loc_type_bottom_field")?;
        }
        if r.read_flag("timing_info_present_flag")? {
            let num_units_in_tick = r.read_u32(32, "num_units_in_tick")?;
            let time_scale = r.read_u32(32, "time_scale")?;
            let fixed_frame_rate = r.read_flag("fixed_frame_rate_flag")?;
            self.timing = Some(TimingInfo {
                num_units_in_tick,
                time_scale,
                fixed_frame_rate,
            });
            self.frame_rate =
                FrameRate::new(u64::from(time_scale), 2 * u64::from(num_units_in_tick));
        }
        Ok(())
    }
}
