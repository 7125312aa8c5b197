//! Byte-exact codec configuration vectors made by ffmpeg 5.1 (libx264,
//! libx265, aac, libopus) from lavfi test sources; the expected values are
//! what ffprobe reports for the same files, and the codec strings are what
//! ffmpeg's DASH muxer writes (`avc1`, `mp4a`, `opus`) or, for `hvc1`, the
//! ISO/IEC 14496-15 Annex E string derived from the record's fields.
//!
//! Commands (run in an empty directory; boxes extracted by name):
//!
//! ```text
//! ffmpeg -f lavfi -i testsrc=size=426x240:rate=30 -t 0.2 -pix_fmt yuv420p -c:v libx264 -profile:v high a426.mp4
//! ffmpeg -f lavfi -i testsrc=size=318x238:rate=24000/1001 -t 0.2 -pix_fmt yuv422p -c:v libx264 -profile:v high422 a318.mp4
//! ffmpeg -f lavfi -i testsrc=size=320x240:rate=25 -t 0.2 -pix_fmt yuv420p10le -c:v libx264 -profile:v high10 a10.mp4
//! ffmpeg -f lavfi -i testsrc=size=320x240:rate=25 -t 0.2 -pix_fmt yuv420p -c:v libx264 -flags +ilme+ildct -x264-params tff=1 ai.mp4
//! ffmpeg -f lavfi -i testsrc=size=320x240:rate=30 -t 0.2 -pix_fmt yuv420p -c:v libx265 -tag:v hvc1 -x265-params info=0 h320.mp4
//! ffmpeg -f lavfi -i testsrc=size=426x240:rate=30 -t 0.2 -pix_fmt yuv420p10le -c:v libx265 -tag:v hvc1 -x265-params info=0 h426.mp4
//! ffmpeg -f lavfi -i sine=frequency=440:sample_rate=44100 -ac 2 -t 0.2 -c:a aac aac.mp4   (and -f adts aac.adts)
//! ffmpeg -f lavfi -i sine=frequency=440:sample_rate=48000 -ac 1 -t 0.2 -c:a aac aac48m.mp4
//! ffmpeg -f lavfi -i sine=frequency=440:sample_rate=48000 -ac 2 -t 0.2 -c:a libopus opus.mp4 (and opus.ogg)
//! ffmpeg -f lavfi -i sine=frequency=440:sample_rate=44100 -ac 6 -t 0.2 -c:a libopus opus6.mp4
//! ```

// Tests may unwrap: a panic is the failure report.
#![allow(clippy::unwrap_used)]

use bytes::Bytes;
use streamkit_core::codec::aac::{AacConfig, AdtsHeader};
use streamkit_core::codec::h264::{self, AvcConfig, AvcHighProfileFields};
use streamkit_core::codec::h265::{self, HevcConfig, ProfileTierLevel};
use streamkit_core::codec::opus::{ChannelMappingTable, OpusConfig, OpusHead};
use streamkit_core::codec::{CodecConfig, CodecError, FrameRate, MediaKind};
use streamkit_core::nal::{H265NalHeader, NalLengthSize};

const AVCC_HIGH_426X240: &[u8] = &[
    0x01, 0x64, 0x00, 0x15, 0xff, 0xe1, 0x00, 0x1a, 0x67, 0x64, 0x00, 0x15, 0xac, 0xd9, 0x41, 0xb1,
    0xfe, 0x4f, 0x01, 0x10, 0x00, 0x00, 0x03, 0x00, 0x10, 0x00, 0x00, 0x03, 0x03, 0xc0, 0xf1, 0x62,
    0xd9, 0x60, 0x01, 0x00, 0x06, 0x68, 0xeb, 0xe3, 0xcb, 0x22, 0xc0, 0xfd, 0xf8, 0xf8, 0x00,
];

const AVCC_HIGH422_318X238: &[u8] = &[
    0x01, 0x7a, 0x00, 0x0d, 0xff, 0xe1, 0x00, 0x18, 0x67, 0x7a, 0x00, 0x0d, 0xbc, 0xd9, 0x41, 0x41,
    0xfe, 0xaf, 0x01, 0x10, 0x00, 0x00, 0x3e, 0x90, 0x00, 0x0b, 0xb8, 0x00, 0xf1, 0x42, 0x99, 0x60,
    0x01, 0x00, 0x06, 0x68, 0xeb, 0xe3, 0xcb, 0x22, 0xc0, 0xfe, 0xf8, 0xf8, 0x00,
];

const AVCC_HIGH10_320X240: &[u8] = &[
    0x01, 0x6e, 0x00, 0x0d, 0xff, 0xe1, 0x00, 0x19, 0x67, 0x6e, 0x00, 0x0d, 0xa6, 0xcd, 0x94, 0x14,
    0x1f, 0xb0, 0x11, 0x00, 0x00, 0x03, 0x00, 0x01, 0x00, 0x00, 0x03, 0x00, 0x32, 0x0f, 0x14, 0x29,
    0x96, 0x01, 0x00, 0x06, 0x68, 0xeb, 0xe3, 0xcb, 0x22, 0xc0, 0xfd, 0xfa, 0xfa, 0x00,
];

const AVCC_HIGH_INTERLACED_320X240: &[u8] = &[
    0x01, 0x64, 0x00, 0x15, 0xff, 0xe1, 0x00, 0x1a, 0x67, 0x64, 0x00, 0x15, 0xac, 0xd9, 0x41, 0x41,
    0x0f, 0xcb, 0x80, 0x88, 0x00, 0x00, 0x03, 0x00, 0x08, 0x00, 0x00, 0x03, 0x01, 0x90, 0xf8, 0xa1,
    0x4c, 0xb0, 0x01, 0x00, 0x06, 0x68, 0xfb, 0xa3, 0xcb, 0x22, 0xc0, 0xfd, 0xf8, 0xf8, 0x00,
];

const HVCC_MAIN_320X240: &[u8] = &[
    0x01, 0x01, 0x60, 0x00, 0x00, 0x00, 0x90, 0x00, 0x00, 0x00, 0x00, 0x00, 0x3c, 0xf0, 0x00, 0xfc,
    0xfd, 0xf8, 0xf8, 0x00, 0x00, 0x0f, 0x03, 0xa0, 0x00, 0x01, 0x00, 0x18, 0x40, 0x01, 0x0c, 0x01,
    0xff, 0xff, 0x01, 0x60, 0x00, 0x00, 0x03, 0x00, 0x90, 0x00, 0x00, 0x03, 0x00, 0x00, 0x03, 0x00,
    0x3c, 0x95, 0x98, 0x09, 0xa1, 0x00, 0x01, 0x00, 0x2a, 0x42, 0x01, 0x01, 0x01, 0x60, 0x00, 0x00,
    0x03, 0x00, 0x90, 0x00, 0x00, 0x03, 0x00, 0x00, 0x03, 0x00, 0x3c, 0xa0, 0x0a, 0x08, 0x0f, 0x16,
    0x59, 0x59, 0xa4, 0x93, 0x2b, 0xc0, 0x5a, 0x02, 0x00, 0x00, 0x03, 0x00, 0x02, 0x00, 0x00, 0x03,
    0x00, 0x3c, 0x10, 0xa2, 0x00, 0x01, 0x00, 0x07, 0x44, 0x01, 0xc1, 0x72, 0xb4, 0x62, 0x40,
];

const HVCC_MAIN10_426X240: &[u8] = &[
    0x01, 0x02, 0x20, 0x00, 0x00, 0x00, 0x90, 0x00, 0x00, 0x00, 0x00, 0x00, 0x3c, 0xf0, 0x00, 0xfc,
    0xfd, 0xfa, 0xfa, 0x00, 0x00, 0x0f, 0x03, 0xa0, 0x00, 0x01, 0x00, 0x18, 0x40, 0x01, 0x0c, 0x01,
    0xff, 0xff, 0x02, 0x20, 0x00, 0x00, 0x03, 0x00, 0x90, 0x00, 0x00, 0x03, 0x00, 0x00, 0x03, 0x00,
    0x3c, 0x95, 0x98, 0x09, 0xa1, 0x00, 0x01, 0x00, 0x2b, 0x42, 0x01, 0x01, 0x02, 0x20, 0x00, 0x00,
    0x03, 0x00, 0x90, 0x00, 0x00, 0x03, 0x00, 0x00, 0x03, 0x00, 0x3c, 0xa0, 0x0d, 0x88, 0x0f, 0x1c,
    0x9b, 0x65, 0x95, 0x9a, 0x49, 0x32, 0xbc, 0x05, 0xa0, 0x20, 0x00, 0x00, 0x03, 0x00, 0x20, 0x00,
    0x00, 0x03, 0x03, 0xc1, 0xa2, 0x00, 0x01, 0x00, 0x07, 0x44, 0x01, 0xc1, 0x72, 0xb4, 0x62, 0x40,
];

/// AudioSpecificConfig of aac.mp4: AAC-LC, 44.1 kHz, stereo, with the
/// backward-compatible SBR sync extension (0x2b7, SBR absent) ffmpeg adds.
const ASC_LC_44K_STEREO: &[u8] = &[0x12, 0x10, 0x56, 0xe5, 0x00];
/// AudioSpecificConfig of aac48m.mp4: AAC-LC, 48 kHz, mono.
const ASC_LC_48K_MONO: &[u8] = &[0x11, 0x88, 0x56, 0xe5, 0x00];
/// The first ADTS header of aac.adts.
const ADTS_FIRST: &[u8] = &[0xff, 0xf1, 0x50, 0x80, 0x2b, 0x3f, 0xfc];
/// dOps of opus.mp4: stereo, pre-skip 312, 48 kHz, family 0.
const DOPS_STEREO: &[u8] = &[
    0x00, 0x02, 0x01, 0x38, 0x00, 0x00, 0xbb, 0x80, 0x00, 0x00, 0x00,
];
/// dOps of opus6.mp4: 5.1, family 1, 4 streams of which 2 coupled.
const DOPS_51: &[u8] = &[
    0x00, 0x06, 0x01, 0x38, 0x00, 0x00, 0xbb, 0x80, 0x00, 0x00, 0x01, 0x04, 0x02, 0x00, 0x04, 0x01,
    0x02, 0x03, 0x05,
];
/// OpusHead of opus.ogg.
const OPUS_HEAD_STEREO: &[u8] = &[
    0x4f, 0x70, 0x75, 0x73, 0x48, 0x65, 0x61, 0x64, 0x01, 0x02, 0x38, 0x01, 0x80, 0xbb, 0x00, 0x00,
    0x00, 0x00, 0x00,
];

fn avc(bytes: &[u8]) -> AvcConfig {
    let c = AvcConfig::parse(bytes).unwrap();
    // ffmpeg writes reserved bits as ones, as we do: byte-exact round trip.
    assert_eq!(c.to_bytes().unwrap().as_ref(), bytes);
    c
}

#[test]
fn avcc_high_426x240_crops_to_odd_width() {
    let c = avc(AVCC_HIGH_426X240);
    assert_eq!(c.profile_idc, 100);
    assert_eq!(c.profile_compatibility, 0);
    assert_eq!(c.level_idc, 21);
    assert_eq!(c.nal_length_size, NalLengthSize::Four);
    assert_eq!((c.sps.len(), c.pps.len()), (1, 1));
    assert_eq!(c.sps[0].len(), 26);
    assert_eq!(c.pps[0].as_ref(), &[0x68, 0xeb, 0xe3, 0xcb, 0x22, 0xc0]);
    assert_eq!(
        c.high_profile_fields,
        Some(AvcHighProfileFields {
            chroma_format_idc: 1,
            bit_depth_luma_minus8: 0,
            bit_depth_chroma_minus8: 0,
            sps_ext: vec![],
        })
    );
    assert_eq!(c.codec_string(), "avc1.640015");
    let sps = c.sps_info().unwrap();
    assert_eq!((sps.profile_idc, sps.level_idc), (100, 21));
    assert_eq!((sps.width, sps.height), (426, 240));
    // 27 macroblocks = 432 samples, cropped by 3 chroma units on the right.
    assert_eq!(
        sps.crop,
        h264::Crop {
            left: 0,
            right: 6,
            top: 0,
            bottom: 0
        }
    );
    assert_eq!(sps.chroma_format_idc, 1);
    assert_eq!((sps.bit_depth_luma, sps.bit_depth_chroma), (8, 8));
    assert!(sps.frame_mbs_only);
    assert_eq!(sps.frame_rate, Some(FrameRate { num: 30, den: 1 }));
    assert_eq!(sps.sample_aspect_ratio, Some((1, 1)));
    let codec = CodecConfig::H264(c);
    assert_eq!(codec.kind(), MediaKind::Video);
    assert_eq!(codec.dimensions(), Some((426, 240)));
    assert_eq!(codec.frame_rate(), Some(FrameRate { num: 30, den: 1 }));
    assert_eq!(codec.sample_rate(), None);
}

#[test]
fn avcc_high422_318x238_crops_both_ways() {
    let c = avc(AVCC_HIGH422_318X238);
    assert_eq!(c.codec_string(), "avc1.7a000d");
    let h = c.high_profile_fields.clone().unwrap();
    assert_eq!(h.chroma_format_idc, 2);
    let sps = c.sps_info().unwrap();
    assert_eq!(sps.profile_idc, 122);
    assert_eq!(sps.level_idc, 13);
    assert_eq!(sps.chroma_format_idc, 2);
    // 4:2:2: crop unit 2 horizontally, 1 vertically.
    assert_eq!((sps.width, sps.height), (318, 238));
    assert_eq!(
        FrameRate::new(24_000, 1_001),
        sps.frame_rate,
        "ffprobe r_frame_rate=24000/1001"
    );
}

#[test]
fn avcc_high10_bit_depth() {
    let c = avc(AVCC_HIGH10_320X240);
    assert_eq!(c.codec_string(), "avc1.6e000d");
    let h = c.high_profile_fields.clone().unwrap();
    assert_eq!((h.bit_depth_luma_minus8, h.bit_depth_chroma_minus8), (2, 2));
    let sps = c.sps_info().unwrap();
    assert_eq!(sps.profile_idc, 110);
    assert_eq!((sps.bit_depth_luma, sps.bit_depth_chroma), (10, 10));
    assert_eq!((sps.width, sps.height), (320, 240));
    assert_eq!(sps.frame_rate, Some(FrameRate { num: 25, den: 1 }));
}

#[test]
fn avcc_interlaced_uses_field_pairs() {
    let c = avc(AVCC_HIGH_INTERLACED_320X240);
    let sps = c.sps_info().unwrap();
    assert!(!sps.frame_mbs_only);
    assert_eq!((sps.width, sps.height), (320, 240));
    assert_eq!(sps.frame_rate, Some(FrameRate { num: 25, den: 1 }));
}

#[test]
fn avcc_rebuilt_from_parameter_sets_is_identical() {
    for bytes in [
        AVCC_HIGH_426X240,
        AVCC_HIGH422_318X238,
        AVCC_HIGH10_320X240,
        AVCC_HIGH_INTERLACED_320X240,
    ] {
        let c = AvcConfig::parse(bytes).unwrap();
        let rebuilt = AvcConfig::from_parameter_sets(&c.sps, &c.pps).unwrap();
        assert_eq!(rebuilt, c);
        assert_eq!(rebuilt.to_bytes().unwrap().as_ref(), bytes);
    }
}

#[test]
fn avcc_errors_say_where() {
    assert_eq!(
        AvcConfig::parse(&AVCC_HIGH_426X240[..20]),
        Err(CodecError::Truncated {
            structure: "avcC",
            field: "sequenceParameterSetNALUnit",
            offset: 8,
            needed: 26,
            available: 12,
        })
    );
    let mut bad = AVCC_HIGH_426X240.to_vec();
    bad[4] = 0xfe; // lengthSizeMinusOne = 2
    assert!(matches!(
        AvcConfig::parse(&bad),
        Err(CodecError::InvalidValue {
            field: "lengthSizeMinusOne",
            value: 2,
            ..
        })
    ));
    // An SPS cut short reports the field it was reading.
    let sps = &AvcConfig::parse(AVCC_HIGH_426X240).unwrap().sps[0];
    assert!(matches!(
        h264::Sps::parse(&sps[..6]),
        Err(CodecError::EndOfBits {
            structure: "H.264 SPS",
            ..
        })
    ));
    assert!(matches!(
        h264::Sps::parse(&[0x68, 0x64]),
        Err(CodecError::InvalidValue {
            field: "nal_unit_type",
            value: 8,
            ..
        })
    ));
}

#[test]
fn hvcc_main_320x240() {
    let c = HevcConfig::parse(HVCC_MAIN_320X240).unwrap();
    assert_eq!(c.to_bytes().unwrap().as_ref(), HVCC_MAIN_320X240);
    assert_eq!(
        c.general,
        ProfileTierLevel {
            profile_space: 0,
            tier_flag: false,
            profile_idc: 1,
            compatibility_flags: 0x6000_0000,
            constraint_indicator_flags: 0x9000_0000_0000,
            level_idc: 60,
        }
    );
    assert_eq!(c.min_spatial_segmentation_idc, 0);
    assert_eq!(c.parallelism_type, 0);
    assert_eq!(c.chroma_format_idc, 1);
    assert_eq!((c.bit_depth_luma_minus8, c.bit_depth_chroma_minus8), (0, 0));
    assert_eq!(c.avg_frame_rate, 0);
    assert_eq!(c.num_temporal_layers, 1);
    assert!(c.temporal_id_nested);
    assert_eq!(c.nal_length_size, NalLengthSize::Four);
    let types: Vec<(u8, usize, bool)> = c
        .arrays
        .iter()
        .map(|a| (a.nal_unit_type, a.nal_units.len(), a.array_completeness))
        .collect();
    assert_eq!(types, [(32, 1, true), (33, 1, true), (34, 1, true)]);
    assert_eq!(
        H265NalHeader::of_unit(c.sps().next().unwrap())
            .unwrap()
            .nal_unit_type,
        H265NalHeader::SPS
    );
    // Annex E: compatibility flags 0x60000000 bit-reversed are 0x6; the
    // constraint bytes 90 00 00 00 00 00 keep only 90.
    assert_eq!(c.codec_string(), "hvc1.1.6.L60.90");
    assert_eq!(c.codec_string_with_entry("hev1"), "hev1.1.6.L60.90");
    let sps = c.sps_info().unwrap();
    assert_eq!((sps.width, sps.height), (320, 240));
    assert_eq!(sps.chroma_format_idc, 1);
    assert_eq!((sps.bit_depth_luma, sps.bit_depth_chroma), (8, 8));
    assert_eq!(sps.general, c.general);
    // x265 writes VUI timing (1 / 30) and limited range.
    assert_eq!(sps.frame_rate, Some(FrameRate { num: 30, den: 1 }));
    assert_eq!(
        sps.timing.map(|t| (t.num_units_in_tick, t.time_scale)),
        Some((1, 30))
    );
    assert_eq!(sps.full_range, Some(false));
    let codec = CodecConfig::H265(c);
    assert_eq!(codec.dimensions(), Some((320, 240)));
    assert_eq!(codec.frame_rate(), Some(FrameRate { num: 30, den: 1 }));
}

#[test]
fn hvcc_main10_426x240_conformance_window() {
    let c = HevcConfig::parse(HVCC_MAIN10_426X240).unwrap();
    assert_eq!(c.to_bytes().unwrap().as_ref(), HVCC_MAIN10_426X240);
    assert_eq!(c.general.profile_idc, 2);
    assert_eq!((c.bit_depth_luma_minus8, c.bit_depth_chroma_minus8), (2, 2));
    assert_eq!(c.codec_string(), "hvc1.2.4.L60.90");
    let sps = c.sps_info().unwrap();
    assert_eq!((sps.coded_width, sps.coded_height), (432, 240));
    assert_eq!((sps.width, sps.height), (426, 240));
    assert_eq!(sps.conformance_window, [0, 6, 0, 0]);
    assert_eq!((sps.bit_depth_luma, sps.bit_depth_chroma), (10, 10));
}

#[test]
fn hvcc_rebuilt_from_parameter_sets_is_identical() {
    for bytes in [HVCC_MAIN_320X240, HVCC_MAIN10_426X240] {
        let c = HevcConfig::parse(bytes).unwrap();
        let vps: Vec<Bytes> = c.vps().cloned().collect();
        let sps: Vec<Bytes> = c.sps().cloned().collect();
        let pps: Vec<Bytes> = c.pps().cloned().collect();
        let rebuilt = HevcConfig::from_parameter_sets(&vps, &sps, &pps).unwrap();
        assert_eq!(rebuilt.to_bytes().unwrap().as_ref(), bytes);
    }
}

#[test]
fn hevc_codec_string_annex_e_examples() {
    // ISO/IEC 14496-15 E.3: Main profile, level 3.1, progressive,
    // non-packed, frame-only.
    let main = ProfileTierLevel {
        profile_space: 0,
        tier_flag: false,
        profile_idc: 1,
        compatibility_flags: 0x6000_0000,
        constraint_indicator_flags: 0xb000_0000_0000,
        level_idc: 93,
    };
    assert_eq!(main.codec_string("hvc1"), "hvc1.1.6.L93.B0");
    // Profile space 1, High tier, a constraint byte in the middle.
    let other = ProfileTierLevel {
        profile_space: 1,
        tier_flag: true,
        profile_idc: 4,
        compatibility_flags: 0x0800_0000,
        constraint_indicator_flags: 0x9800_0100_0000,
        level_idc: 120,
    };
    assert_eq!(other.codec_string("hev1"), "hev1.A4.10.H120.98.0.1");
}

#[test]
fn hevc_sps_parse_checks_type_and_truncation() {
    let c = HevcConfig::parse(HVCC_MAIN_320X240).unwrap();
    let sps = c.sps().next().unwrap().clone();
    assert_eq!(h265::Sps::parse(&sps).unwrap().seq_parameter_set_id, 0);
    for cut in 0..20 {
        assert!(h265::Sps::parse(&sps[..cut]).is_err(), "cut at {cut}");
    }
    let mut layered = sps.to_vec();
    layered[1] |= 1 << 3; // nuh_layer_id = 1
    assert!(matches!(
        h265::Sps::parse(&layered),
        Err(CodecError::Unsupported { .. })
    ));
    let vps = c.vps().next().unwrap();
    assert!(matches!(
        h265::Sps::parse(vps),
        Err(CodecError::InvalidValue { value: 32, .. })
    ));
}

#[test]
fn asc_lc_44k_stereo_with_sync_extension() {
    let c = AacConfig::parse(ASC_LC_44K_STEREO).unwrap();
    assert_eq!(c.audio_object_type, 2);
    assert_eq!(c.sampling_frequency, 44_100);
    assert_eq!(c.sampling_frequency_index, Some(4));
    assert_eq!(c.channel_configuration, 2);
    assert_eq!(c.sbr, None);
    assert_eq!(c.frame_length(), Some(1024));
    assert_eq!(c.channels(), Some(2));
    assert_eq!(c.codec_string(), "mp4a.40.2");
    // The extension bits are kept: byte-exact round trip.
    assert_eq!(c.to_bytes().unwrap().as_ref(), ASC_LC_44K_STEREO);
    // The two-byte form is the same stream without the extension.
    let short = AacConfig::parse(&[0x12, 0x10]).unwrap();
    assert_eq!(short, AacConfig::new(2, 44_100, 2).unwrap());
    assert_eq!(short.to_bytes().unwrap().as_ref(), &[0x12, 0x10]);
    let codec = CodecConfig::Aac(c);
    assert_eq!(
        (codec.sample_rate(), codec.channels(), codec.kind()),
        (Some(44_100), Some(2), MediaKind::Audio)
    );
}

#[test]
fn asc_lc_48k_mono() {
    let c = AacConfig::parse(ASC_LC_48K_MONO).unwrap();
    assert_eq!(
        (
            c.audio_object_type,
            c.sampling_frequency,
            c.channel_configuration
        ),
        (2, 48_000, 1)
    );
    assert_eq!(c.to_bytes().unwrap().as_ref(), ASC_LC_48K_MONO);
}

#[test]
fn asc_explicit_sbr_escape_and_explicit_rate() {
    // HE-AAC explicit: AOT 5, 24 kHz core (index 6), stereo, SBR at 48 kHz
    // (index 3), core AOT 2, GASpecificConfig 000.
    // 00101 0110 0010 0011 00010 000 -> 2b 11 88 80
    let he = AacConfig::parse(&[0x2b, 0x11, 0x88, 0x00]).unwrap();
    assert_eq!(he.audio_object_type, 2);
    assert_eq!(he.sampling_frequency, 24_000);
    let sbr = he.sbr.unwrap();
    assert_eq!(sbr.extension_object_type, 5);
    assert_eq!(sbr.extension_sampling_frequency, 48_000);
    assert_eq!(he.codec_string(), "mp4a.40.5");
    assert_eq!(he.to_bytes().unwrap().as_ref(), &[0x2b, 0x11, 0x88, 0x00]);

    // Escaped object type 42 (USAC): 11111 001010, frequency index 3
    // (48 kHz), channel configuration 1, no specific config kept: 19 bits,
    // 1111_1001 0100_0110 001.
    let usac = AacConfig::new(42, 48_000, 1).unwrap();
    let bytes = usac.to_bytes().unwrap();
    assert_eq!(bytes.as_ref(), &[0xf9, 0x46, 0x20]);
    assert_eq!(AacConfig::parse(&bytes).unwrap().audio_object_type, 42);
    // An off-table rate is written explicitly (index 15, then 24 bits):
    let odd = AacConfig::new(2, 44_000, 2).unwrap();
    assert_eq!(odd.sampling_frequency_index, None);
    let bytes = odd.to_bytes().unwrap();
    let back = AacConfig::parse(&bytes).unwrap();
    assert_eq!(back.sampling_frequency, 44_000);
    assert_eq!(back, odd);
    assert_eq!(usac.codec_string(), "mp4a.40.42");
}

#[test]
fn asc_errors() {
    assert!(matches!(
        AacConfig::parse(&[0x12]),
        Err(CodecError::EndOfBits {
            field: "samplingFrequencyIndex",
            bit_offset: 5,
            ..
        })
    ));
    // index 13 is reserved: 00010 1101 ...
    assert!(matches!(
        AacConfig::parse(&[0x16, 0x90]),
        Err(CodecError::InvalidValue {
            field: "samplingFrequencyIndex",
            value: 13,
            ..
        })
    ));
    assert!(AacConfig::new(0, 48_000, 2).is_err());
    assert!(AacConfig::new(2, 1 << 24, 2).is_err());
}

#[test]
fn adts_header_of_ffmpeg_stream() {
    let h = AdtsHeader::parse(ADTS_FIRST).unwrap();
    assert!(!h.mpeg2);
    assert_eq!(h.crc, None);
    assert_eq!(h.profile, 1);
    assert_eq!(h.sampling_frequency_index, 4);
    assert_eq!(h.channel_configuration, 2);
    assert_eq!(h.frame_length, 345);
    assert_eq!(h.buffer_fullness, 0x7ff);
    assert_eq!(h.raw_data_blocks, 1);
    assert_eq!((h.header_len(), h.payload_len()), (7, 338));
    let mut out = Vec::new();
    h.write(&mut out);
    assert_eq!(out, ADTS_FIRST);
    let config = h.to_config().unwrap();
    assert_eq!(config, AacConfig::parse(&[0x12, 0x10]).unwrap());
    assert_eq!(AdtsHeader::from_config(&config, 338).unwrap(), h);
}

#[test]
fn adts_with_crc_and_errors() {
    let mut h = AdtsHeader::parse(ADTS_FIRST).unwrap();
    h.crc = Some(0xbeef);
    h.frame_length = 347;
    h.raw_data_blocks = 4;
    let mut out = Vec::new();
    h.write(&mut out);
    assert_eq!(out.len(), 9);
    assert_eq!(out[1], 0xf0); // protection_absent = 0
    assert_eq!(AdtsHeader::parse(&out).unwrap(), h);
    assert!(matches!(
        AdtsHeader::parse(&out[..8]),
        Err(CodecError::Truncated {
            field: "crc_check",
            ..
        })
    ));
    assert!(matches!(
        AdtsHeader::parse(&[0xff, 0xe1, 0x50, 0x80, 0x2b, 0x3f, 0xfc]),
        Err(CodecError::InvalidValue {
            field: "syncword",
            ..
        })
    ));
    // frame_length 5 is shorter than the header.
    assert!(matches!(
        AdtsHeader::parse(&[0xff, 0xf1, 0x50, 0x80, 0x00, 0xbf, 0xfc]),
        Err(CodecError::InvalidValue {
            field: "aac_frame_length",
            value: 5,
            ..
        })
    ));
    let he = AacConfig::parse(&[0x2b, 0x11, 0x88, 0x00]).unwrap();
    assert!(AdtsHeader::from_config(&he, 10).is_ok());
    let usac = AacConfig::new(42, 48_000, 1).unwrap();
    assert!(AdtsHeader::from_config(&usac, 10).is_err());
    let aac = AacConfig::new(2, 48_000, 2).unwrap();
    assert!(matches!(
        AdtsHeader::from_config(&aac, 8_185),
        Err(CodecError::TooLong { len: 8_192, .. })
    ));
}

#[test]
fn dops_stereo_and_opus_head() {
    let c = OpusConfig::parse_dops(DOPS_STEREO).unwrap();
    assert_eq!(c, OpusConfig::stereo(312, 48_000));
    assert_eq!(c.to_bytes().unwrap().as_ref(), DOPS_STEREO);
    let head = OpusHead::parse(OPUS_HEAD_STEREO).unwrap();
    assert_eq!(head.version, 1);
    assert_eq!(head.config, c);
    let mut out = Vec::new();
    OpusHead::from(c.clone()).write(&mut out).unwrap();
    assert_eq!(out, OPUS_HEAD_STEREO);
    let codec = CodecConfig::Opus(c);
    assert_eq!(codec.codec_string(), "opus");
    assert_eq!(
        (codec.sample_rate(), codec.channels()),
        (Some(48_000), Some(2))
    );
}

#[test]
fn dops_51_family_1() {
    let c = OpusConfig::parse_dops(DOPS_51).unwrap();
    assert_eq!(c.output_channel_count, 6);
    assert_eq!(c.channel_mapping_family, 1);
    assert_eq!(
        c.channel_mapping,
        Some(ChannelMappingTable {
            stream_count: 4,
            coupled_count: 2,
            channel_mapping: vec![0, 4, 1, 2, 3, 5],
        })
    );
    assert_eq!(c.to_bytes().unwrap().as_ref(), DOPS_51);
    let mut head = Vec::new();
    OpusHead::from(c.clone()).write(&mut head).unwrap();
    assert_eq!(OpusHead::parse(&head).unwrap().config, c);
}

#[test]
fn opus_errors() {
    assert!(matches!(
        OpusConfig::parse_dops(&DOPS_51[..15]),
        Err(CodecError::Truncated {
            field: "ChannelMapping",
            offset: 13,
            needed: 6,
            available: 2,
            ..
        })
    ));
    let mut v1 = DOPS_STEREO.to_vec();
    v1[0] = 1;
    assert!(matches!(
        OpusConfig::parse_dops(&v1),
        Err(CodecError::InvalidValue {
            field: "Version",
            ..
        })
    ));
    let mut bad = OPUS_HEAD_STEREO.to_vec();
    bad[0] = b'o';
    assert!(OpusHead::parse(&bad).is_err());
    bad = OPUS_HEAD_STEREO.to_vec();
    bad[8] = 0x10; // major version 1
    assert!(matches!(
        OpusHead::parse(&bad),
        Err(CodecError::Unsupported { .. })
    ));
    // Family 0 with 3 channels is inconsistent: parse and write refuse it.
    let mut three = DOPS_STEREO.to_vec();
    three[1] = 3;
    assert!(OpusConfig::parse_dops(&three).is_err());
    let mut c = OpusConfig::stereo(0, 48_000);
    c.output_channel_count = 3;
    assert!(c.to_bytes().is_err());
}
