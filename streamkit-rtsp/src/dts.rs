//! Decode times for H.264 and H.265 access units that arrive with
//! presentation times only (RTP timestamps are presentation times), the
//! way players derive them: from the picture order count (POC) in the
//! slice headers.
//!
//! # How
//!
//! 1. Each access unit's POC is computed from its first slice header as
//!    the standards say (H.264 8.2.1 for `pic_order_cnt_type` 0 and 2;
//!    H.265 8.3.1), with the parameter sets of the track's configuration
//!    and those that arrive in band. Presentation order is POC order
//!    within a coded video sequence (from an IDR, or an H.265 IRAP that
//!    starts one), and sequences follow each other. For
//!    `pic_order_cnt_type` 1, or a slice header that cannot be read, the
//!    RTP timestamp orders the picture instead.
//! 2. The reorder depth `D` (how many pictures at most are decoded before
//!    one that is presented earlier) is what the SPS states: H.265
//!    `sps_max_num_reorder_pics` of the highest sub-layer; H.264 VUI
//!    `max_num_reorder_frames` (x264 and most encoders write it), else 0
//!    for `pic_order_cnt_type` 2 and the Baseline profiles (no B-frames),
//!    else `max_num_ref_frames` (an upper bound in practice: more delay
//!    than needed, never too little for common encoders).
//! 3. The `n`-th access unit in decode order gets as decode time the
//!    presentation time of the `(n - D)`-th in presentation order: every
//!    picture presented before it has then arrived. The first `D` access
//!    units get decode times one frame duration apart before the first
//!    presentation time, the frame duration being the smallest
//!    presentation-time step among the first `2D + 2` access units (which
//!    wait for them). Decode times so never pass presentation times, and
//!    they increase; after the start a unit waits for nothing.
//!
//! A stream that reorders more than `D` (a wrong SPS) is counted in
//! [`DecodeTimeline::reorder_violations`] and its decode times are kept
//! increasing by one tick. Losses need nothing here: the depacketizer
//! drops what is damaged, and POC counting restarts at the next IDR.
//!
//! ```
//! use streamkit_rtsp::dts::DecodeTimeline;
//!
//! // Without parameter sets the RTP timestamps order the pictures; with
//! // a reorder depth of 1 (one B-frame between references):
//! let mut t = DecodeTimeline::with_reorder_depth(1);
//! for (i, pts) in [0i64, 3000, 1000, 2000].into_iter().enumerate() {
//!     t.push(pts, i, std::iter::empty::<&[u8]>());
//! }
//! t.finish();
//! let dts: Vec<i64> = std::iter::from_fn(|| t.poll()).map(|u| u.dts).collect();
//! assert_eq!(dts, [-1000, 0, 1000, 2000]);
//! ```

use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};

use streamkit_core::codec::CodecConfig;
use streamkit_core::codec::bits::BitReader;
use streamkit_core::nal::rbsp_from_ebsp;

/// An access unit with its times.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimedUnit<T> {
    /// What was pushed with it.
    pub unit: T,
    /// Its presentation time, as pushed.
    pub pts: i64,
    /// Its decode time.
    pub dts: i64,
}

/// The H.264 SPS fields POC counting needs.
#[derive(Debug, Clone, Copy, Default)]
struct AvcSps {
    log2_max_frame_num: u32,
    poc_type: u32,
    log2_max_poc_lsb: u32,
    frame_mbs_only: bool,
    separate_colour_plane: bool,
    reorder: usize,
}

/// The H.265 SPS fields.
#[derive(Debug, Clone, Copy, Default)]
struct HevcSps {
    log2_max_poc_lsb: u32,
    separate_colour_plane: bool,
    reorder: usize,
}

/// The PPS fields slice headers need.
#[derive(Debug, Clone, Copy, Default)]
struct Pps {
    /// H.264 `bottom_field_pic_order_in_frame_present_flag`.
    bottom_field_poc: bool,
    /// H.265 `dependent_slice_segments_enabled_flag`.
    dependent_slices: bool,
    /// H.265 `output_flag_present_flag`.
    output_flag: bool,
    /// H.265 `num_extra_slice_header_bits`.
    extra_bits: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Codec {
    H264,
    H265,
    /// No slice parsing: presentation times order.
    None,
}

/// Derives decode times; see the [module docs](self). Call order: `push`
/// access units in decode order, `poll` until `None` after each push,
/// `finish` at the end and poll the rest.
#[derive(Debug)]
pub struct DecodeTimeline<T> {
    codec: Codec,
    avc_sps: Option<AvcSps>,
    hevc_sps: Option<HevcSps>,
    pps: Vec<(u32, Pps)>,
    reorder: usize,
    /// POC state: previous msb and lsb (H.264 type 0 / H.265), frame num
    /// offset and previous frame num (H.264 type 2).
    prev_msb: i64,
    prev_lsb: i64,
    frame_num_offset: i64,
    prev_frame_num: i64,
    /// Coded video sequence count.
    sequence: u64,
    first_picture: bool,
    /// Presentation-order keys not yet used as a decode time.
    keys: BinaryHeap<Reverse<(u64, i64, i64)>>,
    /// Units waiting for their decode time, in decode order.
    held: VecDeque<(T, i64)>,
    ready: VecDeque<TimedUnit<T>>,
    last_dts: Option<i64>,
    started: bool,
    violations: u64,
}

impl<T> DecodeTimeline<T> {
    /// A timeline for `codec`'s access units (H.264 or H.265: its
    /// parameter sets give the POC rules and the reorder depth); other
    /// codecs get decode time = presentation time.
    #[must_use]
    pub fn for_codec(codec: &CodecConfig) -> DecodeTimeline<T> {
        let mut t = DecodeTimeline::with_reorder_depth(0);
        match codec {
            CodecConfig::H264(avc) => {
                t.codec = Codec::H264;
                for nal in avc.sps.iter().chain(&avc.pps) {
                    t.parameter_set(nal);
                }
            }
            CodecConfig::H265(hevc) => {
                t.codec = Codec::H265;
                for nal in hevc.vps().chain(hevc.sps()).chain(hevc.pps()) {
                    t.parameter_set(nal);
                }
            }
            _ => {}
        }
        t
    }

    /// A timeline that reads no slice header: presentation times order
    /// the pictures and the reorder depth is `depth`.
    #[must_use]
    pub fn with_reorder_depth(depth: usize) -> DecodeTimeline<T> {
        DecodeTimeline {
            codec: Codec::None,
            avc_sps: None,
            hevc_sps: None,
            pps: Vec::new(),
            reorder: depth,
            prev_msb: 0,
            prev_lsb: 0,
            frame_num_offset: 0,
            prev_frame_num: 0,
            sequence: 0,
            first_picture: true,
            keys: BinaryHeap::new(),
            held: VecDeque::new(),
            ready: VecDeque::new(),
            last_dts: None,
            started: false,
            violations: 0,
        }
    }

    /// The reorder depth in force.
    #[must_use]
    pub fn reorder_depth(&self) -> usize {
        self.reorder
    }

    /// Pictures that came later in presentation order than the reorder
    /// depth allows.
    #[must_use]
    pub fn reorder_violations(&self) -> u64 {
        self.violations
    }

    /// Takes the next access unit in decode order: its presentation time
    /// and its NAL units (without start codes or length prefixes).
    pub fn push<N: AsRef<[u8]>>(
        &mut self,
        pts: i64,
        unit: T,
        nal_units: impl IntoIterator<Item = N>,
    ) {
        let mut poc = None;
        for nal in nal_units {
            let nal = nal.as_ref();
            if self.is_parameter_set(nal) {
                self.parameter_set(nal);
            } else if poc.is_none() && self.is_first_slice(nal) {
                poc = self.picture_order_count(nal);
            }
        }
        let key = match poc {
            Some(poc) => (self.sequence, poc, pts),
            None => (self.sequence, pts, pts),
        };
        self.keys.push(Reverse(key));
        self.held.push_back((unit, pts));
        if !self.started && self.keys.len() >= 2 * self.reorder + 2 {
            self.start();
        }
        if self.started {
            while self.keys.len() > self.reorder && !self.held.is_empty() {
                self.assign();
            }
        }
    }

    /// The stream ended: every held unit gets its decode time.
    pub fn finish(&mut self) {
        if !self.started && !self.held.is_empty() {
            self.start();
        }
        while !self.held.is_empty() && !self.keys.is_empty() {
            self.assign();
        }
    }

    /// The next unit with its decode time.
    pub fn poll(&mut self) -> Option<TimedUnit<T>> {
        self.ready.pop_front()
    }

    /// The first `D` units (at most all but one held) get decode times a
    /// frame apart before the first presentation time.
    fn start(&mut self) {
        self.started = true;
        let Some(Reverse((_, _, first))) = self.keys.peek().copied() else {
            return;
        };
        let step = self.frame_step();
        let d = self.reorder.min(self.held.len().saturating_sub(1));
        for i in 0..d {
            let Some((unit, pts)) = self.held.pop_front() else {
                break;
            };
            let dts = first - (d - i) as i64 * step;
            self.ready.push_back(TimedUnit { unit, pts, dts });
            self.last_dts = Some(dts);
        }
    }

    /// The front held unit's decode time: the next presentation time.
    fn assign(&mut self) {
        let Some(Reverse((_, _, mut target))) = self.keys.pop() else {
            return;
        };
        if let Some(last) = self.last_dts
            && target <= last
        {
            self.violations += 1;
            target = last + 1;
        }
        if let Some((unit, pts)) = self.held.pop_front() {
            self.ready.push_back(TimedUnit {
                unit,
                pts,
                dts: target,
            });
            self.last_dts = Some(target);
        }
    }

    /// The smallest presentation-time step among the waiting keys (one
    /// frame), at least 1.
    fn frame_step(&self) -> i64 {
        let mut times: Vec<i64> = self.keys.iter().map(|Reverse(k)| k.2).collect();
        times.sort_unstable();
        times
            .windows(2)
            .filter_map(|w| match w {
                [a, b] if b > a => Some(b - a),
                _ => None,
            })
            .min()
            .unwrap_or(1)
    }

    fn is_parameter_set(&self, nal: &[u8]) -> bool {
        match (self.codec, nal.first()) {
            (Codec::H264, Some(b)) => matches!(b & 0x1f, 7 | 8),
            (Codec::H265, Some(b)) => matches!((b >> 1) & 0x3f, 33 | 34),
            _ => false,
        }
    }

    fn is_first_slice(&self, nal: &[u8]) -> bool {
        match (self.codec, nal.first(), nal.get(1), nal.get(2)) {
            // first_mb_in_slice == 0: ue(v) of 0 is a single 1 bit.
            (Codec::H264, Some(b), Some(s), _) => matches!(b & 0x1f, 1 | 5) && s & 0x80 != 0,
            // first_slice_segment_in_pic_flag.
            (Codec::H265, Some(b), Some(_), Some(s)) => (b >> 1) & 0x3f <= 21 && s & 0x80 != 0,
            _ => false,
        }
    }

    fn parameter_set(&mut self, nal: &[u8]) {
        let rbsp = rbsp_from_ebsp(nal);
        match self.codec {
            Codec::H264 => match nal.first().map(|b| b & 0x1f) {
                Some(7) => {
                    if let Some(sps) = parse_avc_sps(rbsp.get(1..).unwrap_or_default()) {
                        self.reorder = sps.reorder;
                        self.avc_sps = Some(sps);
                    }
                }
                Some(8) => {
                    if let Some((id, pps)) = parse_avc_pps(rbsp.get(1..).unwrap_or_default()) {
                        self.set_pps(id, pps);
                    }
                }
                _ => {}
            },
            Codec::H265 => match nal.first().map(|b| (b >> 1) & 0x3f) {
                Some(33) => {
                    if let Some(sps) = parse_hevc_sps(rbsp.get(2..).unwrap_or_default()) {
                        self.reorder = sps.reorder;
                        self.hevc_sps = Some(sps);
                    }
                }
                Some(34) => {
                    if let Some((id, pps)) = parse_hevc_pps(rbsp.get(2..).unwrap_or_default()) {
                        self.set_pps(id, pps);
                    }
                }
                _ => {}
            },
            Codec::None => {}
        }
    }

    fn set_pps(&mut self, id: u32, pps: Pps) {
        self.pps.retain(|(i, _)| *i != id);
        if self.pps.len() < 256 {
            self.pps.push((id, pps));
        }
    }

    fn find_pps(&self, id: u32) -> Option<Pps> {
        self.pps.iter().find(|(i, _)| *i == id).map(|(_, p)| *p)
    }

    fn picture_order_count(&mut self, nal: &[u8]) -> Option<i64> {
        let rbsp = rbsp_from_ebsp(nal);
        match self.codec {
            Codec::H264 => self.avc_poc(nal.first().copied()?, rbsp.get(1..)?),
            Codec::H265 => {
                self.hevc_poc(nal.first().copied()?, nal.get(1).copied()?, rbsp.get(2..)?)
            }
            Codec::None => None,
        }
    }

    fn avc_poc(&mut self, header: u8, rbsp: &[u8]) -> Option<i64> {
        let sps = self.avc_sps?;
        let idr = header & 0x1f == 5;
        let reference = header & 0x60 != 0;
        let mut r = BitReader::new(rbsp, "H.264 slice header");
        r.read_ue("first_mb_in_slice").ok()?;
        r.read_ue("slice_type").ok()?;
        let pps = self.find_pps(r.read_ue("pic_parameter_set_id").ok()?)?;
        if sps.separate_colour_plane {
            r.read_bits(2, "colour_plane_id").ok()?;
        }
        let frame_num = r.read_bits(sps.log2_max_frame_num, "frame_num").ok()? as i64;
        let mut field = false;
        if !sps.frame_mbs_only {
            field = r.read_flag("field_pic_flag").ok()?;
            if field {
                r.read_flag("bottom_field_flag").ok()?;
            }
        }
        if idr {
            r.read_ue("idr_pic_id").ok()?;
            self.sequence += 1;
            self.prev_msb = 0;
            self.prev_lsb = 0;
            self.frame_num_offset = 0;
        }
        match sps.poc_type {
            0 => {
                let lsb = r
                    .read_bits(sps.log2_max_poc_lsb, "pic_order_cnt_lsb")
                    .ok()? as i64;
                let bottom = if pps.bottom_field_poc && !field {
                    r.read_se("delta_pic_order_cnt_bottom").ok()?
                } else {
                    0
                };
                let max = 1i64 << sps.log2_max_poc_lsb;
                let msb = poc_msb(self.prev_msb, self.prev_lsb, lsb, max);
                let top = msb + lsb;
                if reference {
                    self.prev_msb = msb;
                    self.prev_lsb = lsb;
                }
                Some(top.min(top + i64::from(bottom)))
            }
            2 => {
                if !idr && self.prev_frame_num > frame_num {
                    self.frame_num_offset += 1i64 << sps.log2_max_frame_num;
                }
                self.prev_frame_num = frame_num;
                let abs = self.frame_num_offset + frame_num;
                Some(if idr {
                    0
                } else {
                    2 * abs - i64::from(!reference)
                })
            }
            _ => None,
        }
    }

    fn hevc_poc(&mut self, b0: u8, b1: u8, rbsp: &[u8]) -> Option<i64> {
        let sps = self.hevc_sps?;
        let nal_type = (b0 >> 1) & 0x3f;
        let temporal_id = (b1 & 7).saturating_sub(1);
        let irap = (16..=23).contains(&nal_type);
        let idr = nal_type == 19 || nal_type == 20;
        let mut r = BitReader::new(rbsp, "H.265 slice header");
        r.read_flag("first_slice_segment_in_pic_flag").ok()?;
        if irap {
            r.read_flag("no_output_of_prior_pics_flag").ok()?;
        }
        let pps = self.find_pps(r.read_ue("slice_pic_parameter_set_id").ok()?)?;
        // The first segment: no dependent flag, no address.
        r.skip_bits(pps.extra_bits as usize, "slice_reserved_flag")
            .ok()?;
        r.read_ue("slice_type").ok()?;
        if pps.output_flag {
            r.read_flag("pic_output_flag").ok()?;
        }
        if sps.separate_colour_plane {
            r.read_bits(2, "colour_plane_id").ok()?;
        }
        let _ = pps.dependent_slices;
        // IDR, BLA, and the first picture start a coded video sequence.
        let starts = idr || (16..=18).contains(&nal_type) || (irap && self.first_picture);
        self.first_picture = false;
        if starts {
            self.sequence += 1;
            self.prev_msb = 0;
            self.prev_lsb = 0;
        }
        if idr {
            return Some(0);
        }
        let lsb = r
            .read_bits(sps.log2_max_poc_lsb, "slice_pic_order_cnt_lsb")
            .ok()? as i64;
        let max = 1i64 << sps.log2_max_poc_lsb;
        let msb = if starts {
            0
        } else {
            poc_msb(self.prev_msb, self.prev_lsb, lsb, max)
        };
        // prevTid0Pic: temporal id 0, not RASL/RADL (6..=9), not a
        // sub-layer non-reference picture (even types below 16).
        let sub_layer_non_reference = nal_type < 16 && nal_type.is_multiple_of(2);
        if temporal_id == 0 && !(6..=9).contains(&nal_type) && !sub_layer_non_reference {
            self.prev_msb = msb;
            self.prev_lsb = lsb;
        }
        Some(msb + lsb)
    }
}

/// `PicOrderCntMsb` from the previous msb and lsb (H.264 8-3, H.265 8-1).
fn poc_msb(prev_msb: i64, prev_lsb: i64, lsb: i64, max: i64) -> i64 {
    if lsb < prev_lsb && prev_lsb - lsb >= max / 2 {
        prev_msb + max
    } else if lsb > prev_lsb && lsb - prev_lsb > max / 2 {
        prev_msb - max
    } else {
        prev_msb
    }
}

fn ue(r: &mut BitReader<'_>, f: &'static str) -> Option<u32> {
    r.read_ue(f).ok()
}

fn skip_scaling_list(r: &mut BitReader<'_>, size: usize) -> Option<()> {
    let (mut last, mut next) = (8i64, 8i64);
    for _ in 0..size {
        if next != 0 {
            let delta = r.read_se("delta_scale").ok()?;
            next = (last + i64::from(delta) + 256).rem_euclid(256);
        }
        if next != 0 {
            last = next;
        }
    }
    Some(())
}

fn skip_hrd(r: &mut BitReader<'_>) -> Option<()> {
    let count = ue(r, "cpb_cnt_minus1")?.checked_add(1)?;
    if count > 32 {
        return None;
    }
    r.read_bits(8, "bit_rate_scale, cpb_size_scale").ok()?;
    for _ in 0..count {
        ue(r, "bit_rate_value_minus1")?;
        ue(r, "cpb_size_value_minus1")?;
        r.read_flag("cbr_flag").ok()?;
    }
    r.read_bits(20, "delay and time offset lengths").ok()?;
    Some(())
}

/// The fields of an H.264 SPS RBSP (after the NAL header) POC counting
/// and the reorder depth need (ITU-T H.264 7.3.2.1.1, E.1.1).
fn parse_avc_sps(rbsp: &[u8]) -> Option<AvcSps> {
    let mut r = BitReader::new(rbsp, "H.264 SPS");
    let profile = r.read_bits(8, "profile_idc").ok()? as u32;
    r.read_bits(16, "constraint flags, level_idc").ok()?;
    ue(&mut r, "seq_parameter_set_id")?;
    let mut separate_colour_plane = false;
    if matches!(
        profile,
        100 | 110 | 122 | 244 | 44 | 83 | 86 | 118 | 128 | 138 | 139 | 134 | 135
    ) {
        let chroma = ue(&mut r, "chroma_format_idc")?;
        if chroma == 3 {
            separate_colour_plane = r.read_flag("separate_colour_plane_flag").ok()?;
        }
        ue(&mut r, "bit_depth_luma_minus8")?;
        ue(&mut r, "bit_depth_chroma_minus8")?;
        r.read_flag("qpprime_y_zero_transform_bypass_flag").ok()?;
        if r.read_flag("seq_scaling_matrix_present_flag").ok()? {
            for i in 0..if chroma == 3 { 12 } else { 8 } {
                if r.read_flag("seq_scaling_list_present_flag").ok()? {
                    skip_scaling_list(&mut r, if i < 6 { 16 } else { 64 })?;
                }
            }
        }
    }
    let log2_max_frame_num = ue(&mut r, "log2_max_frame_num_minus4")?
        .checked_add(4)
        .filter(|v| *v <= 16)?;
    let poc_type = ue(&mut r, "pic_order_cnt_type")?;
    let mut log2_max_poc_lsb = 0;
    match poc_type {
        0 => {
            log2_max_poc_lsb = ue(&mut r, "log2_max_pic_order_cnt_lsb_minus4")?
                .checked_add(4)
                .filter(|v| *v <= 16)?;
        }
        1 => {
            r.read_flag("delta_pic_order_always_zero_flag").ok()?;
            r.read_se("offset_for_non_ref_pic").ok()?;
            r.read_se("offset_for_top_to_bottom_field").ok()?;
            let n = ue(&mut r, "num_ref_frames_in_pic_order_cnt_cycle")?;
            if n > 255 {
                return None;
            }
            for _ in 0..n {
                r.read_se("offset_for_ref_frame").ok()?;
            }
        }
        2 => {}
        _ => return None,
    }
    let max_num_ref_frames = ue(&mut r, "max_num_ref_frames")?;
    r.read_flag("gaps_in_frame_num_value_allowed_flag").ok()?;
    ue(&mut r, "pic_width_in_mbs_minus1")?;
    ue(&mut r, "pic_height_in_map_units_minus1")?;
    let frame_mbs_only = r.read_flag("frame_mbs_only_flag").ok()?;
    if !frame_mbs_only {
        r.read_flag("mb_adaptive_frame_field_flag").ok()?;
    }
    r.read_flag("direct_8x8_inference_flag").ok()?;
    if r.read_flag("frame_cropping_flag").ok()? {
        for _ in 0..4 {
            ue(&mut r, "frame_crop_offset")?;
        }
    }
    let mut stated = None;
    if r.read_flag("vui_parameters_present_flag").unwrap_or(false) {
        stated = avc_vui_reorder(&mut r);
    }
    let baseline = profile == 66;
    let reorder = match stated {
        Some(n) => n,
        None if poc_type == 2 || baseline => 0,
        None => max_num_ref_frames.min(16),
    } as usize;
    Some(AvcSps {
        log2_max_frame_num,
        poc_type,
        log2_max_poc_lsb,
        frame_mbs_only,
        separate_colour_plane,
        reorder: reorder.min(16),
    })
}

/// `max_num_reorder_frames` of an H.264 VUI, when it has a bitstream
/// restriction.
fn avc_vui_reorder(r: &mut BitReader<'_>) -> Option<u32> {
    if r.read_flag("aspect_ratio_info_present_flag").ok()?
        && r.read_bits(8, "aspect_ratio_idc").ok()? == 255
    {
        r.read_bits(32, "sar").ok()?;
    }
    if r.read_flag("overscan_info_present_flag").ok()? {
        r.read_flag("overscan_appropriate_flag").ok()?;
    }
    if r.read_flag("video_signal_type_present_flag").ok()? {
        r.read_bits(4, "video_format, full_range").ok()?;
        if r.read_flag("colour_description_present_flag").ok()? {
            r.read_bits(24, "colour description").ok()?;
        }
    }
    if r.read_flag("chroma_loc_info_present_flag").ok()? {
        ue(r, "chroma_sample_loc_type_top_field")?;
        ue(r, "chroma_sample_loc_type_bottom_field")?;
    }
    if r.read_flag("timing_info_present_flag").ok()? {
        r.read_bits(32, "num_units_in_tick").ok()?;
        r.read_bits(32, "time_scale").ok()?;
        r.read_flag("fixed_frame_rate_flag").ok()?;
    }
    let nal_hrd = r.read_flag("nal_hrd_parameters_present_flag").ok()?;
    if nal_hrd {
        skip_hrd(r)?;
    }
    let vcl_hrd = r.read_flag("vcl_hrd_parameters_present_flag").ok()?;
    if vcl_hrd {
        skip_hrd(r)?;
    }
    if nal_hrd || vcl_hrd {
        r.read_flag("low_delay_hrd_flag").ok()?;
    }
    r.read_flag("pic_struct_present_flag").ok()?;
    if !r.read_flag("bitstream_restriction_flag").ok()? {
        return None;
    }
    r.read_flag("motion_vectors_over_pic_boundaries_flag")
        .ok()?;
    for f in [
        "max_bytes_per_pic_denom",
        "max_bits_per_mb_denom",
        "log2_max_mv_length_horizontal",
        "log2_max_mv_length_vertical",
    ] {
        ue(r, f)?;
    }
    ue(r, "max_num_reorder_frames")
}

fn parse_avc_pps(rbsp: &[u8]) -> Option<(u32, Pps)> {
    let mut r = BitReader::new(rbsp, "H.264 PPS");
    let id = ue(&mut r, "pic_parameter_set_id")?;
    ue(&mut r, "seq_parameter_set_id")?;
    r.read_flag("entropy_coding_mode_flag").ok()?;
    let bottom_field_poc = r
        .read_flag("bottom_field_pic_order_in_frame_present_flag")
        .ok()?;
    Some((
        id,
        Pps {
            bottom_field_poc,
            ..Pps::default()
        },
    ))
}

/// Skips an H.265 `profile_tier_level(1, max_sub_layers_minus1)`.
fn skip_profile_tier_level(r: &mut BitReader<'_>, max_sub_layers_minus1: u32) -> Option<()> {
    r.skip_bits(96, "general profile, tier and level").ok()?;
    let mut present = Vec::new();
    for _ in 0..max_sub_layers_minus1 {
        let p = r.read_flag("sub_layer_profile_present_flag").ok()?;
        let l = r.read_flag("sub_layer_level_present_flag").ok()?;
        present.push((p, l));
    }
    if max_sub_layers_minus1 > 0 {
        r.skip_bits(
            2 * (8 - max_sub_layers_minus1 as usize),
            "reserved_zero_2bits",
        )
        .ok()?;
    }
    for (p, l) in present {
        if p {
            r.skip_bits(88, "sub-layer profile").ok()?;
        }
        if l {
            r.skip_bits(8, "sub_layer_level_idc").ok()?;
        }
    }
    Some(())
}

/// The fields of an H.265 SPS RBSP (after the 2-byte NAL header) POC
/// counting and the reorder depth need (ITU-T H.265 7.3.2.2.1).
fn parse_hevc_sps(rbsp: &[u8]) -> Option<HevcSps> {
    let mut r = BitReader::new(rbsp, "H.265 SPS");
    r.read_bits(4, "sps_video_parameter_set_id").ok()?;
    let max_sub_layers_minus1 = r.read_bits(3, "sps_max_sub_layers_minus1").ok()? as u32;
    if max_sub_layers_minus1 > 6 {
        return None;
    }
    r.read_flag("sps_temporal_id_nesting_flag").ok()?;
    skip_profile_tier_level(&mut r, max_sub_layers_minus1)?;
    ue(&mut r, "sps_seq_parameter_set_id")?;
    let chroma = ue(&mut r, "chroma_format_idc")?;
    let separate_colour_plane = chroma == 3 && r.read_flag("separate_colour_plane_flag").ok()?;
    ue(&mut r, "pic_width_in_luma_samples")?;
    ue(&mut r, "pic_height_in_luma_samples")?;
    if r.read_flag("conformance_window_flag").ok()? {
        for _ in 0..4 {
            ue(&mut r, "conf_win_offset")?;
        }
    }
    ue(&mut r, "bit_depth_luma_minus8")?;
    ue(&mut r, "bit_depth_chroma_minus8")?;
    let log2_max_poc_lsb = ue(&mut r, "log2_max_pic_order_cnt_lsb_minus4")?
        .checked_add(4)
        .filter(|v| *v <= 16)?;
    let all = r
        .read_flag("sps_sub_layer_ordering_info_present_flag")
        .ok()?;
    let first = if all { 0 } else { max_sub_layers_minus1 };
    let mut reorder = 0;
    for _ in first..=max_sub_layers_minus1 {
        ue(&mut r, "sps_max_dec_pic_buffering_minus1")?;
        reorder = ue(&mut r, "sps_max_num_reorder_pics")?;
        ue(&mut r, "sps_max_latency_increase_plus1")?;
    }
    Some(HevcSps {
        log2_max_poc_lsb,
        separate_colour_plane,
        reorder: (reorder as usize).min(16),
    })
}

fn parse_hevc_pps(rbsp: &[u8]) -> Option<(u32, Pps)> {
    let mut r = BitReader::new(rbsp, "H.265 PPS");
    let id = ue(&mut r, "pps_pic_parameter_set_id")?;
    ue(&mut r, "pps_seq_parameter_set_id")?;
    let dependent_slices = r.read_flag("dependent_slice_segments_enabled_flag").ok()?;
    let output_flag = r.read_flag("output_flag_present_flag").ok()?;
    let extra_bits = r.read_bits(3, "num_extra_slice_header_bits").ok()? as u32;
    Some((
        id,
        Pps {
            bottom_field_poc: false,
            dependent_slices,
            output_flag,
            extra_bits,
        },
    ))
}
