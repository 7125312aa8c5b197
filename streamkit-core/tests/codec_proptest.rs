//! Property tests for the codec configuration parsers and the NAL unit
//! stream functions: arbitrary and mutated bytes never panic, and
//! build -> write -> parse gives back what was built.

// Tests may unwrap: a panic is the failure report.
#![allow(clippy::unwrap_used)]

use bytes::Bytes;
use proptest::prelude::*;
use streamkit_core::codec::FrameRate;
use streamkit_core::codec::aac::{AacConfig, AdtsHeader, SAMPLING_FREQUENCIES, SbrSignalling};
use streamkit_core::codec::bits::BitWriter;
use streamkit_core::codec::h264::{self, AvcConfig, AvcHighProfileFields};
use streamkit_core::codec::h265::{self, HevcConfig, HevcNalArray, ProfileTierLevel};
use streamkit_core::codec::opus::{ChannelMappingTable, OpusConfig, OpusHead};
use streamkit_core::nal::{
    AnnexBSlices, AnnexBUnits, LengthPrefixedUnits, NalLengthSize, annex_b_to_length_prefixed,
    ebsp_from_rbsp, length_prefixed_to_annex_b, rbsp_from_ebsp,
};

/// x264's SPS for 426x240 High (from an ffmpeg-made avcC).
const H264_SPS: &[u8] = &[
    0x67, 0x64, 0x00, 0x15, 0xac, 0xd9, 0x41, 0xb1, 0xfe, 0x4f, 0x01, 0x10, 0x00, 0x00, 0x03, 0x00,
    0x10, 0x00, 0x00, 0x03, 0x03, 0xc0, 0xf1, 0x62, 0xd9, 0x60,
];
/// x265's SPS for 426x240 Main 10.
const H265_SPS: &[u8] = &[
    0x42, 0x01, 0x01, 0x02, 0x20, 0x00, 0x00, 0x03, 0x00, 0x90, 0x00, 0x00, 0x03, 0x00, 0x00, 0x03,
    0x00, 0x3c, 0xa0, 0x0d, 0x88, 0x0f, 0x1c, 0x9b, 0x65, 0x95, 0x9a, 0x49, 0x32, 0xbc, 0x05, 0xa0,
    0x20, 0x00, 0x00, 0x03, 0x00, 0x20, 0x00, 0x00, 0x03, 0x03, 0xc1,
];

fn flip(base: &[u8], flips: &[(usize, u8)], cut: usize) -> Vec<u8> {
    let mut v = base.to_vec();
    for &(i, x) in flips {
        let n = v.len();
        if n > 0 {
            v[i % n] ^= x;
        }
    }
    v.truncate(cut.min(v.len()));
    v
}

fn every_parser(data: &[u8]) {
    streamkit_core::codec::fuzz_parsers(data);
}

fn length_size() -> impl Strategy<Value = NalLengthSize> {
    prop_oneof![
        Just(NalLengthSize::One),
        Just(NalLengthSize::Two),
        Just(NalLengthSize::Four)
    ]
}

fn units(max: usize) -> impl Strategy<Value = Vec<Bytes>> {
    proptest::collection::vec(
        proptest::collection::vec(any::<u8>(), 1..40).prop_map(Bytes::from),
        0..max,
    )
}

fn avc_config() -> impl Strategy<Value = AvcConfig> {
    (
        prop_oneof![
            Just(66u8),
            Just(77),
            Just(100),
            Just(110),
            Just(122),
            Just(144),
            any::<u8>()
        ],
        any::<u8>(),
        any::<u8>(),
        length_size(),
        units(4),
        units(4),
        (0u8..4, 0u8..8, 0u8..8, units(3), any::<bool>()),
    )
        .prop_map(
            |(profile_idc, compat, level, size, sps, pps, (c, l, ch, ext, with))| {
                let high = matches!(profile_idc, 100 | 110 | 122 | 144) && with;
                AvcConfig {
                    profile_idc,
                    profile_compatibility: compat,
                    level_idc: level,
                    nal_length_size: size,
                    sps,
                    pps,
                    high_profile_fields: high.then_some(AvcHighProfileFields {
                        chroma_format_idc: c,
                        bit_depth_luma_minus8: l,
                        bit_depth_chroma_minus8: ch,
                        sps_ext: ext,
                    }),
                }
            },
        )
}

fn hevc_config() -> impl Strategy<Value = HevcConfig> {
    (
        (
            0u8..4,
            any::<bool>(),
            0u8..32,
            any::<u32>(),
            0u64..(1 << 48),
            any::<u8>(),
        ),
        (0u16..4096, 0u8..4, 0u8..4, 0u8..8, 0u8..8),
        (any::<u16>(), 0u8..4, 0u8..8, any::<bool>(), length_size()),
        proptest::collection::vec((any::<bool>(), 0u8..64, units(3)), 0..5),
        0u8..2,
    )
        .prop_map(
            |(g, (seg, par, chroma, l, c), (afr, cfr, ntl, nested, size), arrays, version)| {
                HevcConfig {
                    configuration_version: version,
                    general: ProfileTierLevel {
                        profile_space: g.0,
                        tier_flag: g.1,
                        profile_idc: g.2,
                        compatibility_flags: g.3,
                        constraint_indicator_flags: g.4,
                        level_idc: g.5,
                    },
                    min_spatial_segmentation_idc: seg,
                    parallelism_type: par,
                    chroma_format_idc: chroma,
                    bit_depth_luma_minus8: l,
                    bit_depth_chroma_minus8: c,
                    avg_frame_rate: afr,
                    constant_frame_rate: cfr,
                    num_temporal_layers: ntl,
                    temporal_id_nested: nested,
                    nal_length_size: size,
                    arrays: arrays
                        .into_iter()
                        .map(|(complete, t, nal_units)| HevcNalArray {
                            array_completeness: complete,
                            nal_unit_type: t,
                            nal_units,
                        })
                        .collect(),
                }
            },
        )
}

fn frequency() -> impl Strategy<Value = u32> {
    prop_oneof![
        proptest::sample::select(SAMPLING_FREQUENCIES.to_vec()),
        1u32..(1 << 24)
    ]
}

fn aac_config() -> impl Strategy<Value = AacConfig> {
    (
        (1u8..=95).prop_filter("5 and 29 signal SBR/PS, 31 is the escape", |a| {
            ![5, 29, 31].contains(a)
        }),
        frequency(),
        0u8..16,
        proptest::option::of((prop_oneof![Just(5u8), Just(29)], frequency())),
    )
        .prop_filter("BSAC with SBR is unsupported", |(aot, _, _, sbr)| {
            !(sbr.is_some() && *aot == 22)
        })
        .prop_map(|(aot, hz, ch, sbr)| {
            let mut c = AacConfig::new(aot, hz, ch).unwrap();
            c.sbr = sbr.map(|(t, f)| SbrSignalling {
                extension_object_type: t,
                extension_sampling_frequency: f,
                extension_sampling_frequency_index:
                    streamkit_core::codec::aac::sampling_frequency_index(f),
            });
            c
        })
}

fn opus_config() -> impl Strategy<Value = OpusConfig> {
    (
        any::<u16>(),
        any::<u32>(),
        any::<i16>(),
        prop_oneof![
            (1u8..=2).prop_map(|n| (n, 0u8, None)),
            (1u8..=255, 1u8..=255, 1u8..=255, any::<u8>()).prop_flat_map(
                |(n, fam, streams, coupled)| {
                    let coupled = coupled % (streams.min(255 - streams) + 1);
                    proptest::collection::vec(any::<u8>(), usize::from(n)).prop_map(move |map| {
                        (
                            n,
                            fam,
                            Some(ChannelMappingTable {
                                stream_count: streams,
                                coupled_count: coupled,
                                channel_mapping: map,
                            }),
                        )
                    })
                }
            ),
        ],
    )
        .prop_map(|(pre_skip, rate, gain, (n, family, table))| OpusConfig {
            output_channel_count: n,
            pre_skip,
            input_sample_rate: rate,
            output_gain: gain,
            channel_mapping_family: family,
            channel_mapping: table,
        })
}

/// An H.264 SPS written field by field, and the width, height and frame
/// rate it must parse to.
#[derive(Debug, Clone)]
struct SpsFields {
    high: bool,
    chroma_format_idc: u32,
    bit_depth_minus8: u32,
    poc_type: u32,
    width_mbs: u32,
    height_map_units: u32,
    frame_mbs_only: bool,
    crop: Option<[u32; 4]>,
    timing: Option<(u32, u32)>,
    level: u8,
}

fn sps_fields() -> impl Strategy<Value = SpsFields> {
    (
        any::<bool>(),
        0u32..4,
        0u32..7,
        0u32..3,
        1u32..300,
        1u32..200,
        any::<bool>(),
        proptest::option::of([0u32..4, 0u32..4, 0u32..4, 0u32..4]),
        proptest::option::of((1u32..100_000, 1u32..200_000)),
        any::<u8>(),
    )
        .prop_map(
            |(high, c, b, poc, w, h, fmo, crop, timing, level)| SpsFields {
                high,
                chroma_format_idc: if high { c } else { 1 },
                bit_depth_minus8: if high { b } else { 0 },
                poc_type: poc,
                width_mbs: w,
                height_map_units: h,
                frame_mbs_only: fmo,
                crop,
                timing,
                level,
            },
        )
}

fn write_sps(f: &SpsFields) -> Vec<u8> {
    let mut w = BitWriter::new();
    w.write_bits(if f.high { 100 } else { 66 }, 8);
    w.write_bits(0, 8);
    w.write_bits(u64::from(f.level), 8);
    w.write_ue(0); // seq_parameter_set_id
    if f.high {
        w.write_ue(f.chroma_format_idc);
        if f.chroma_format_idc == 3 {
            w.write_flag(false);
        }
        w.write_ue(f.bit_depth_minus8);
        w.write_ue(f.bit_depth_minus8);
        w.write_flag(false);
        // A scaling matrix with one explicit 4x4 list.
        w.write_flag(true);
        let lists = if f.chroma_format_idc == 3 { 12 } else { 8 };
        for i in 0..lists {
            w.write_flag(i == 0);
            if i == 0 {
                for _ in 0..16 {
                    w.write_se(1);
                }
            }
        }
    }
    w.write_ue(0); // log2_max_frame_num_minus4
    w.write_ue(f.poc_type);
    match f.poc_type {
        0 => w.write_ue(2),
        1 => {
            w.write_flag(false);
            w.write_se(-1);
            w.write_se(2);
            w.write_ue(2);
            w.write_se(3);
            w.write_se(-4);
        }
        _ => {}
    }
    w.write_ue(3); // max_num_ref_frames
    w.write_flag(false);
    w.write_ue(f.width_mbs - 1);
    w.write_ue(f.height_map_units - 1);
    w.write_flag(f.frame_mbs_only);
    if !f.frame_mbs_only {
        w.write_flag(false);
    }
    w.write_flag(true);
    match f.crop {
        Some(c) => {
            w.write_flag(true);
            for v in c {
                w.write_ue(v);
            }
        }
        None => w.write_flag(false),
    }
    match f.timing {
        Some((units, scale)) => {
            w.write_flag(true); // vui_parameters_present_flag
            w.write_flag(true); // aspect_ratio_info_present_flag
            w.write_bits(255, 8);
            w.write_bits(4, 16);
            w.write_bits(3, 16);
            w.write_flag(false);
            w.write_flag(true); // video_signal_type_present_flag
            w.write_bits(5, 3);
            w.write_flag(true);
            w.write_flag(true);
            w.write_bits(0x010101, 24);
            w.write_flag(true);
            w.write_ue(0);
            w.write_ue(0);
            w.write_flag(true);
            w.write_bits(u64::from(units), 32);
            w.write_bits(u64::from(scale), 32);
            w.write_flag(true);
            w.write_flag(false); // rest of the VUI, unread
        }
        None => w.write_flag(false),
    }
    w.write_rbsp_trailing_bits();
    let rbsp = w.finish();
    let mut nal = vec![0x67];
    nal.extend_from_slice(&ebsp_from_rbsp(&rbsp));
    nal
}

/// VUI choices: aspect_ratio_idc, video_full_range_flag, a default display
/// window, timing (units in tick, time scale, ticks per POC difference - 1).
type HevcVui = (
    Option<u8>,
    Option<bool>,
    bool,
    Option<(u32, u32, Option<u32>)>,
);

/// An H.265 SPS written field by field (every optional part reachable),
/// and what it must parse to.
#[derive(Debug, Clone)]
struct HevcSpsFields {
    max_sub_layers_minus1: u8,
    sub_layer_flags: Vec<(bool, bool)>,
    ptl: (u8, bool, u8, u32, u64, u8),
    chroma_format_idc: u32,
    size: (u32, u32),
    window: Option<[u32; 4]>,
    bit_depth_minus8: (u32, u32),
    log2_max_poc_lsb_minus4: u32,
    ordering_for_all: bool,
    scaling: Option<Vec<(bool, u32)>>,
    pcm: bool,
    rps: Vec<(bool, u32, u32)>,
    long_term: Vec<u32>,
    vui: Option<HevcVui>,
}

fn hevc_sps_fields() -> impl Strategy<Value = HevcSpsFields> {
    (
        (0u8..=6, proptest::collection::vec(any::<(bool, bool)>(), 6)),
        (
            0u8..4,
            any::<bool>(),
            0u8..32,
            any::<u32>(),
            0u64..(1 << 48),
            any::<u8>(),
        ),
        (
            0u32..4,
            16u32..2_000,
            16u32..2_000,
            proptest::option::of([0u32..4, 0u32..4, 0u32..4, 0u32..4]),
        ),
        (0u32..=8, 0u32..=8, 0u32..=12, any::<bool>()),
        (
            proptest::option::of(proptest::collection::vec((any::<bool>(), 0u32..6), 24)),
            any::<bool>(),
        ),
        proptest::collection::vec((any::<bool>(), 0u32..5, 0u32..5), 0..6),
        proptest::collection::vec(any::<u32>(), 0..4),
        proptest::option::of((
            proptest::option::of(prop_oneof![1u8..=16, Just(255u8)]),
            proptest::option::of(any::<bool>()),
            any::<bool>(),
            proptest::option::of((
                1u32..100_000,
                1u32..200_000,
                proptest::option::of(0u32..1000),
            )),
        )),
    )
        .prop_map(
            |(
                (msl, slf),
                ptl,
                (chroma, w, h, window),
                (bl, bc, poc, ord),
                (scaling, pcm),
                rps,
                long_term,
                vui,
            )| {
                HevcSpsFields {
                    max_sub_layers_minus1: msl,
                    sub_layer_flags: slf,
                    ptl,
                    chroma_format_idc: chroma,
                    size: (w, h),
                    window,
                    bit_depth_minus8: (bl, bc),
                    log2_max_poc_lsb_minus4: poc,
                    ordering_for_all: ord,
                    scaling,
                    pcm,
                    rps,
                    long_term,
                    vui,
                }
            },
        )
}

fn write_hevc_sps(f: &HevcSpsFields) -> Vec<u8> {
    let mut w = BitWriter::new();
    w.write_bits(0, 4); // sps_video_parameter_set_id
    w.write_bits(u64::from(f.max_sub_layers_minus1), 3);
    w.write_flag(true);
    let (space, tier, idc, compat, constraint, level) = f.ptl;
    w.write_bits(u64::from(space), 2);
    w.write_flag(tier);
    w.write_bits(u64::from(idc), 5);
    w.write_bits(u64::from(compat), 32);
    w.write_bits(constraint, 48);
    w.write_bits(u64::from(level), 8);
    let n = usize::from(f.max_sub_layers_minus1);
    for &(p, l) in &f.sub_layer_flags[..n] {
        w.write_flag(p);
        w.write_flag(l);
    }
    if n > 0 {
        w.write_bits(0, 2 * (8 - n as u32));
    }
    for &(p, l) in &f.sub_layer_flags[..n] {
        if p {
            w.write_bits(0x5a5a_5a5a_5a5a_5a5a, 64);
            w.write_bits(0x5a5a5a, 24);
        }
        if l {
            w.write_bits(0x5a, 8);
        }
    }
    w.write_ue(3); // sps_seq_parameter_set_id
    w.write_ue(f.chroma_format_idc);
    if f.chroma_format_idc == 3 {
        w.write_flag(false);
    }
    w.write_ue(f.size.0);
    w.write_ue(f.size.1);
    match f.window {
        Some(win) => {
            w.write_flag(true);
            for v in win {
                w.write_ue(v);
            }
        }
        None => w.write_flag(false),
    }
    w.write_ue(f.bit_depth_minus8.0);
    w.write_ue(f.bit_depth_minus8.1);
    w.write_ue(f.log2_max_poc_lsb_minus4);
    w.write_flag(f.ordering_for_all);
    let first = if f.ordering_for_all {
        0
    } else {
        f.max_sub_layers_minus1
    };
    for _ in first..=f.max_sub_layers_minus1 {
        w.write_ue(4);
        w.write_ue(2);
        w.write_ue(0);
    }
    for v in [0, 3, 0, 3, 1, 1] {
        w.write_ue(v); // block sizes and transform depths
    }
    match &f.scaling {
        Some(lists) => {
            w.write_flag(true);
            w.write_flag(true);
            let mut it = lists.iter();
            for size_id in 0..4u32 {
                let step = if size_id == 3 { 3 } else { 1 };
                for _ in (0..6).step_by(step) {
                    let &(explicit, delta) = it.next().unwrap();
                    w.write_flag(explicit);
                    if explicit {
                        if size_id > 1 {
                            w.write_se(-3);
                        }
                        for k in 0..64.min(1 << (4 + (size_id << 1))) {
                            w.write_se(if k % 2 == 0 { 1 } else { -1 });
                        }
                    } else {
                        w.write_ue(delta);
                    }
                }
            }
        }
        None => w.write_flag(false),
    }
    w.write_flag(true); // amp
    w.write_flag(true); // sao
    w.write_flag(f.pcm);
    if f.pcm {
        w.write_bits(0x77, 8);
        w.write_ue(0);
        w.write_ue(1);
        w.write_flag(true);
    }
    w.write_ue(f.rps.len() as u32);
    let mut num_delta_pocs: Vec<u32> = Vec::new();
    for (idx, &(inter, a, b)) in f.rps.iter().enumerate() {
        if idx != 0 {
            w.write_flag(inter);
        }
        if idx != 0 && inter {
            w.write_flag(true);
            w.write_ue(0);
            let mut count = 0;
            for j in 0..=num_delta_pocs[idx - 1] {
                let used = (j + a) % 2 == 0;
                let use_delta = (j + b) % 3 != 0;
                w.write_flag(used);
                if !used {
                    w.write_flag(use_delta);
                }
                if used || use_delta {
                    count += 1;
                }
            }
            num_delta_pocs.push(count);
        } else {
            w.write_ue(a);
            w.write_ue(b);
            for k in 0..a + b {
                w.write_ue(k);
                w.write_flag(k % 2 == 0);
            }
            num_delta_pocs.push(a + b);
        }
    }
    w.write_flag(!f.long_term.is_empty());
    if !f.long_term.is_empty() {
        w.write_ue(f.long_term.len() as u32);
        for &lsb in &f.long_term {
            w.write_bits(u64::from(lsb), f.log2_max_poc_lsb_minus4 + 4);
            w.write_flag(lsb % 2 == 1);
        }
    }
    w.write_flag(true); // sps_temporal_mvp_enabled_flag
    w.write_flag(false); // strong_intra_smoothing_enabled_flag
    match f.vui {
        None => w.write_flag(false),
        Some((sar, range, window, timing)) => {
            w.write_flag(true);
            w.write_flag(sar.is_some());
            if let Some(idc) = sar {
                w.write_bits(u64::from(idc), 8);
                if idc == 255 {
                    w.write_bits(5, 16);
                    w.write_bits(7, 16);
                }
            }
            w.write_flag(true); // overscan_info_present_flag
            w.write_flag(false);
            w.write_flag(range.is_some());
            if let Some(full) = range {
                w.write_bits(5, 3);
                w.write_flag(full);
                w.write_flag(true);
                w.write_bits(0x01_0101, 24);
            }
            w.write_flag(true); // chroma_loc_info_present_flag
            w.write_ue(1);
            w.write_ue(2);
            w.write_flag(false);
            w.write_flag(false);
            w.write_flag(false);
            w.write_flag(window);
            if window {
                for v in [1, 2, 3, 4] {
                    w.write_ue(v);
                }
            }
            w.write_flag(timing.is_some());
            if let Some((units, scale, poc)) = timing {
                w.write_bits(u64::from(units), 32);
                w.write_bits(u64::from(scale), 32);
                w.write_flag(poc.is_some());
                if let Some(p) = poc {
                    w.write_ue(p);
                }
                w.write_flag(false); // vui_hrd_parameters_present_flag
            }
            w.write_flag(false); // bitstream_restriction_flag
        }
    }
    w.write_flag(false); // sps_extension_present_flag
    w.write_rbsp_trailing_bits();
    let mut nal = vec![0x42, 0x01];
    nal.extend_from_slice(&ebsp_from_rbsp(&w.finish()));
    nal
}

proptest! {
    // 256 cases by default; PROPTEST_CASES=N runs more.

    #[test]
    fn arbitrary_bytes_never_panic(data in proptest::collection::vec(any::<u8>(), 0..300)) {
        every_parser(&data);
    }

    #[test]
    fn mutated_parameter_sets_never_panic(
        flips in proptest::collection::vec((any::<usize>(), 1u8..=255), 0..4),
        cut in 0usize..64,
    ) {
        let h264 = flip(H264_SPS, &flips, cut);
        let _ = h264::Sps::parse(&h264);
        let h265 = flip(H265_SPS, &flips, cut);
        let _ = h265::Sps::parse(&h265);
        every_parser(&h264);
        every_parser(&h265);
    }

    #[test]
    fn avcc_round_trip(c in avc_config()) {
        let bytes = c.to_bytes().unwrap();
        prop_assert_eq!(bytes.len(), c.encoded_len());
        prop_assert_eq!(AvcConfig::parse(&bytes).unwrap(), c);
    }

    #[test]
    fn hvcc_round_trip(c in hevc_config()) {
        let bytes = c.to_bytes().unwrap();
        prop_assert_eq!(bytes.len(), c.encoded_len());
        prop_assert_eq!(HevcConfig::parse(&bytes).unwrap(), c);
    }

    #[test]
    fn asc_round_trip(c in aac_config()) {
        let bytes = c.to_bytes().unwrap();
        let back = AacConfig::parse(&bytes).unwrap();
        prop_assert_eq!(back.audio_object_type, c.audio_object_type);
        prop_assert_eq!(back.sampling_frequency, c.sampling_frequency);
        prop_assert_eq!(back.sampling_frequency_index, c.sampling_frequency_index);
        prop_assert_eq!(back.channel_configuration, c.channel_configuration);
        prop_assert_eq!(back.sbr, c.sbr);
        prop_assert_eq!(back.frame_length(), c.frame_length());
        prop_assert_eq!(back.to_bytes().unwrap(), bytes);
    }

    #[test]
    fn adts_round_trip(
        mpeg2 in any::<bool>(), crc in proptest::option::of(any::<u16>()), profile in 0u8..4,
        sfi in 0u8..13, flags in any::<[bool; 5]>(), ch in 0u8..8, len in 9u16..8192,
        fullness in 0u16..2048, blocks in 1u8..=4,
    ) {
        let h = AdtsHeader {
            mpeg2, crc, profile, sampling_frequency_index: sfi, private_bit: flags[0],
            channel_configuration: ch, original_copy: flags[1], home: flags[2],
            copyright_identification_bit: flags[3], copyright_identification_start: flags[4],
            frame_length: len, buffer_fullness: fullness, raw_data_blocks: blocks,
        };
        let mut out = Vec::new();
        h.write(&mut out);
        prop_assert_eq!(out.len(), h.header_len());
        prop_assert_eq!(AdtsHeader::parse(&out).unwrap(), h);
    }

    #[test]
    fn opus_round_trip(c in opus_config()) {
        let dops = c.to_bytes().unwrap();
        prop_assert_eq!(OpusConfig::parse_dops(&dops).unwrap(), c.clone());
        let mut head = Vec::new();
        OpusHead::from(c.clone()).write(&mut head).unwrap();
        prop_assert_eq!(OpusHead::parse(&head).unwrap().config, c);
    }

    #[test]
    fn h264_sps_built_then_parsed(f in sps_fields()) {
        let nal = write_sps(&f);
        let sps = h264::Sps::parse(&nal).unwrap();
        let field = if f.frame_mbs_only { 1 } else { 2 };
        let (sub_w, sub_h) = match f.chroma_format_idc { 1 => (2, 2), 2 => (2, 1), _ => (1, 1) };
        let (unit_x, unit_y) = if f.chroma_format_idc == 0 { (1, field) } else { (sub_w, sub_h * field) };
        let c = f.crop.unwrap_or([0; 4]);
        prop_assert_eq!(sps.width, f.width_mbs * 16 - unit_x * (c[0] + c[1]));
        prop_assert_eq!(sps.height, field * f.height_map_units * 16 - unit_y * (c[2] + c[3]));
        prop_assert_eq!(sps.level_idc, f.level);
        prop_assert_eq!(u32::from(sps.chroma_format_idc), f.chroma_format_idc);
        prop_assert_eq!(u32::from(sps.bit_depth_luma), 8 + f.bit_depth_minus8);
        prop_assert_eq!(sps.frame_mbs_only, f.frame_mbs_only);
        prop_assert_eq!(sps.frame_rate, f.timing.and_then(|(u, s)| FrameRate::new(u64::from(s), 2 * u64::from(u))));
        prop_assert_eq!(sps.sample_aspect_ratio, f.timing.map(|_| (4, 3)));
        prop_assert_eq!(sps.full_range, f.timing.map(|_| true));
    }

    #[test]
    fn h265_sps_built_then_parsed(f in hevc_sps_fields()) {
        let nal = write_hevc_sps(&f);
        let (sub_w, sub_h) = match f.chroma_format_idc { 1 => (2, 2), 2 => (2, 1), _ => (1, 1) };
        let win = f.window.unwrap_or([0; 4]);
        let crop_x = sub_w * (win[0] + win[1]);
        let crop_y = sub_h * (win[2] + win[3]);
        let parsed = h265::Sps::parse(&nal);
        if crop_x >= f.size.0 || crop_y >= f.size.1 {
            prop_assert!(parsed.is_err());
            return Ok(());
        }
        let sps = parsed.unwrap();
        prop_assert_eq!(sps.max_sub_layers, f.max_sub_layers_minus1 + 1);
        let (space, tier, idc, compat, constraint, level) = f.ptl;
        prop_assert_eq!(sps.general, ProfileTierLevel {
            profile_space: space, tier_flag: tier, profile_idc: idc,
            compatibility_flags: compat, constraint_indicator_flags: constraint, level_idc: level,
        });
        prop_assert_eq!(sps.seq_parameter_set_id, 3);
        prop_assert_eq!(u32::from(sps.chroma_format_idc), f.chroma_format_idc);
        prop_assert_eq!((sps.coded_width, sps.coded_height), f.size);
        prop_assert_eq!((sps.width, sps.height), (f.size.0 - crop_x, f.size.1 - crop_y));
        prop_assert_eq!(u32::from(sps.bit_depth_luma), 8 + f.bit_depth_minus8.0);
        prop_assert_eq!(u32::from(sps.bit_depth_chroma), 8 + f.bit_depth_minus8.1);
        let vui = f.vui;
        let sar = vui.and_then(|v| v.0).map(|idc| match idc {
            255 => (5, 7),
            14 => (4, 3),
            _ => sps.sample_aspect_ratio.unwrap_or((0, 0)),
        });
        prop_assert_eq!(sps.sample_aspect_ratio.is_some(), sar.is_some());
        prop_assert_eq!(sps.sample_aspect_ratio, sar);
        prop_assert_eq!(sps.full_range, vui.and_then(|v| v.1));
        let timing = vui.and_then(|v| v.3);
        prop_assert_eq!(sps.timing.map(|t| (t.num_units_in_tick, t.time_scale)), timing.map(|t| (t.0, t.1)));
        prop_assert_eq!(
            sps.timing.and_then(|t| t.num_ticks_poc_diff_one),
            timing.and_then(|t| t.2).map(|p| u64::from(p) + 1)
        );
        prop_assert_eq!(sps.frame_rate, timing.and_then(|(u, s, _)| FrameRate::new(u64::from(s), u64::from(u))));
    }

    #[test]
    fn annex_b_length_prefixed_round_trip(
        payloads in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 1..200), 0..20),
        four_byte in proptest::collection::vec(any::<bool>(), 20),
        size in length_size(),
        trailing_zeros in 0usize..3,
    ) {
        // A payload ending in its stop bit, with emulation prevention, is a
        // valid NAL unit body: no 00 00 0x (x <= 3) inside, no 00 at the end.
        let units: Vec<Vec<u8>> = payloads
            .iter()
            .map(|p| {
                let mut rbsp = p.clone();
                rbsp.push(0x80);
                ebsp_from_rbsp(&rbsp).into_owned()
            })
            .collect();
        let mut annex_b = Vec::new();
        for (u, four) in units.iter().zip(&four_byte) {
            if *four { annex_b.push(0); }
            annex_b.extend_from_slice(&[0, 0, 1]);
            annex_b.extend_from_slice(u);
        }
        annex_b.extend(std::iter::repeat_n(0u8, trailing_zeros));
        let found: Vec<&[u8]> = AnnexBSlices::new(&annex_b).collect();
        prop_assert_eq!(found.len(), units.len());
        for (a, b) in found.iter().zip(&units) {
            prop_assert_eq!(*a, &b[..]);
        }
        let owned: Vec<Bytes> = AnnexBUnits::new(Bytes::from(annex_b.clone())).collect();
        prop_assert_eq!(owned.len(), units.len());

        let mut lp = Vec::new();
        let fits = units.iter().all(|u| u.len() <= size.max_unit_len());
        let converted = annex_b_to_length_prefixed(&annex_b, size, &mut lp);
        if !fits {
            prop_assert!(converted.is_err());
            return Ok(());
        }
        prop_assert_eq!(converted.unwrap(), units.len());
        let back: Vec<Bytes> = LengthPrefixedUnits::new(Bytes::from(lp.clone()), size)
            .collect::<Result<_, _>>()
            .unwrap();
        prop_assert_eq!(back.len(), units.len());
        let mut annex_b2 = Vec::new();
        prop_assert_eq!(length_prefixed_to_annex_b(&lp, size, &mut annex_b2).unwrap(), units.len());
        let again: Vec<&[u8]> = AnnexBSlices::new(&annex_b2).collect();
        prop_assert_eq!(again, found);
    }

    #[test]
    fn emulation_prevention_round_trip(rbsp in proptest::collection::vec(prop_oneof![Just(0u8), Just(3u8), any::<u8>()], 0..100)) {
        // A valid RBSP ends in its stop bit (or in cabac_zero_words 00 00).
        let mut rbsp = rbsp;
        if rbsp.last() == Some(&0) && !rbsp.ends_with(&[0, 0]) {
            rbsp.push(0x80);
        }
        let ebsp = ebsp_from_rbsp(&rbsp);
        prop_assert!(!ebsp.windows(3).any(|w| w[0] == 0 && w[1] == 0 && w[2] <= 2));
        prop_assert_eq!(&*rbsp_from_ebsp(&ebsp), &rbsp[..]);
    }
}
