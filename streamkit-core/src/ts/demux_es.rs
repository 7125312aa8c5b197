//! One elementary stream of the demuxer: PES packets assembled from
//! transport packet payloads, then cut into access units (H.264 / H.265
//! Annex-B to length-prefixed NAL units, ADTS frames, Opus packets), with
//! their times, keyframe flags and the track's codec configuration.

use std::collections::VecDeque;

use bytes::{BufMut, Bytes, BytesMut};

use super::demux::{
    ContinuityError, SkipReason, TsDemuxConfig, TsDemuxError, TsEvent, TsProgramStream, TsSample,
};
use super::psi::StreamType;
use crate::codec::CodecConfig;
use crate::codec::aac::{AacConfig, AdtsHeader};
use crate::codec::h264::AvcConfig;
use crate::codec::h265::HevcConfig;
use crate::codec::opus::OpusConfig;
use crate::nal::AnnexBSlices;
use crate::sample::Sample;
use crate::time::{Extender, MediaTime, MpegTsTimestamp, Rounding, Timescale, Wrapping};
use crate::track::Track;

/// How much the shared buffer samples are cut from grows by at least.
const ARENA_CHUNK: usize = 256 << 10;
/// The most parameter sets of one kind kept for a track's configuration.
const MAX_PARAMETER_SETS: usize = 4;

/// What an elementary stream carries, as far as the demuxer reads it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum EsCodec {
    H264,
    H265,
    Aac,
    Opus,
}

impl EsCodec {
    pub(super) fn of(stream: &TsProgramStream) -> Option<EsCodec> {
        match stream.codec? {
            StreamType::H264 => Some(EsCodec::H264),
            StreamType::H265 => Some(EsCodec::H265),
            StreamType::AdtsAac => Some(EsCodec::Aac),
            StreamType::Opus => Some(EsCodec::Opus),
        }
    }

    fn is_video(self) -> bool {
        matches!(self, EsCodec::H264 | EsCodec::H265)
    }
}

/// The parameter sets a video track's configuration was built from.
#[derive(Debug, Default)]
struct ParameterSets {
    vps: Vec<Bytes>,
    sps: Vec<Bytes>,
    pps: Vec<Bytes>,
}

/// One elementary stream.
#[derive(Debug)]
pub(super) struct EsState {
    pub(super) pid: u16,
    pub(super) program_number: u16,
    pub(super) codec: EsCodec,
    language: Option<[u8; 3]>,
    /// The PES packet being assembled, from its `packet_start_code_prefix`.
    pes: Vec<u8>,
    /// A PES packet is open (its first packet was seen, and nothing lost).
    open: bool,
    /// The packet index its first transport packet had.
    pes_packet: u64,
    /// Its first packet's `random_access_indicator`.
    pes_random_access: bool,
    track: Option<Track>,
    parameter_sets: ParameterSets,
    aac: Option<AacConfig>,
    /// Extends DTS (and PTS, by their distance) past the 33-bit wrap.
    extender: Extender<MpegTsTimestamp>,
    /// A video sample held until the next one gives its duration.
    held: Option<TsSample>,
    last_duration: u32,
    awaiting_keyframe: bool,
    /// Audio: the decode time (track ticks) the next frame should have.
    next_audio_dts: Option<i64>,
}

impl EsState {
    pub(super) fn new(
        pid: u16,
        program_number: u16,
        codec: EsCodec,
        language: Option<[u8; 3]>,
    ) -> EsState {
        EsState {
            pid,
            program_number,
            codec,
            language,
            pes: Vec::new(),
            open: false,
            pes_packet: 0,
            pes_random_access: false,
            track: None,
            parameter_sets: ParameterSets::default(),
            aac: None,
            extender: Extender::new(),
            held: None,
            last_duration: 0,
            awaiting_keyframe: true,
            next_audio_dts: None,
        }
    }

    fn limit(&self, config: &TsDemuxConfig) -> usize {
        if self.codec.is_video() {
            config.max_video_pes
        } else {
            config.max_audio_pes
        }
    }

    /// Packets were lost: the open PES packet is incomplete; video resumes
    /// at the next keyframe (the sample held for its duration goes out
    /// now, with the last duration).
    pub(super) fn lost(&mut self, events: &mut VecDeque<TsEvent>, gap: ContinuityError) {
        if let Some(mut held) = self.held.take() {
            held.sample.duration = self.last_duration;
            events.push_back(TsEvent::Sample(held));
        }
        events.push_back(TsEvent::ContinuityError(gap));
        if self.open {
            events.push_back(TsEvent::Error(TsDemuxError::PesIncomplete {
                pid: self.pid,
                packet: self.pes_packet,
            }));
            self.open = false;
            self.pes.clear();
        }
        if self.codec.is_video() {
            self.awaiting_keyframe = true;
        }
        self.next_audio_dts = None;
    }

    /// One transport packet's payload.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn payload(
        &mut self,
        payload: &[u8],
        unit_start: bool,
        random_access: bool,
        packet: u64,
        config: &TsDemuxConfig,
        events: &mut VecDeque<TsEvent>,
        arena: &mut BytesMut,
    ) {
        if unit_start {
            if self.open {
                if self.declared_len().is_some() {
                    // A bounded PES packet should have ended by now.
                    events.push_back(TsEvent::Error(TsDemuxError::PesIncomplete {
                        pid: self.pid,
                        packet: self.pes_packet,
                    }));
                    self.pes.clear();
                } else {
                    self.complete(events, arena);
                }
            }
            self.open = true;
            self.pes.clear();
            self.pes_packet = packet;
            self.pes_random_access = random_access;
        } else if !self.open {
            return;
        }
        let limit = self.limit(config);
        if self.pes.len() + payload.len() > limit.saturating_add(32) {
            events.push_back(TsEvent::Error(TsDemuxError::PesTooLarge {
                pid: self.pid,
                packet: self.pes_packet,
                limit,
            }));
            self.open = false;
            self.pes.clear();
            if self.codec.is_video() {
                self.awaiting_keyframe = true;
            }
            return;
        }
        self.pes.extend_from_slice(payload);
        if let Some(total) = self.declared_len()
            && self.pes.len() >= total
        {
            self.pes.truncate(total);
            self.complete(events, arena);
        }
    }

    /// The PES packet's whole length when `PES_packet_length` is set.
    fn declared_len(&self) -> Option<usize> {
        let b = self.pes.get(4..6)?;
        let len = usize::from(u16::from_be_bytes([b[0], b[1]]));
        (len > 0).then_some(6 + len)
    }

    /// The end of the input.
    pub(super) fn finish(&mut self, events: &mut VecDeque<TsEvent>, arena: &mut BytesMut) {
        if self.open {
            if self.declared_len().is_some() {
                events.push_back(TsEvent::Error(TsDemuxError::PesIncomplete {
                    pid: self.pid,
                    packet: self.pes_packet,
                }));
                self.open = false;
                self.pes.clear();
            } else {
                self.complete(events, arena);
            }
        }
        if let Some(mut held) = self.held.take() {
            held.sample.duration = self.last_duration;
            events.push_back(TsEvent::Sample(held));
        }
    }

    fn error(&self, events: &mut VecDeque<TsEvent>, reason: &'static str) {
        events.push_back(TsEvent::Error(TsDemuxError::Pes {
            pid: self.pid,
            packet: self.pes_packet,
            reason,
        }));
    }

    /// The open PES packet is complete: its access units come out.
    fn complete(&mut self, events: &mut VecDeque<TsEvent>, arena: &mut BytesMut) {
        self.open = false;
        let pes = std::mem::take(&mut self.pes);
        self.complete_pes(&pes, events, arena);
        self.pes = pes;
        self.pes.clear();
    }

    fn complete_pes(&mut self, pes: &[u8], events: &mut VecDeque<TsEvent>, arena: &mut BytesMut) {
        let Some(header) = pes.get(..9) else {
            return self.error(events, "shorter than a PES header");
        };
        if header[..3] != [0, 0, 1] {
            return self.error(events, "no packet_start_code_prefix");
        }
        if header[6] & 0xC0 != 0x80 {
            return self.error(events, "no optional PES header");
        }
        if header[6] & 0x30 != 0 {
            return self.error(events, "scrambled");
        }
        let flags = header[7] >> 6;
        let header_len = usize::from(header[8]);
        let Some(payload) = pes.get(9 + header_len..) else {
            return self.error(events, "PES_header_data_length past the packet");
        };
        let fields = &pes[9..9 + header_len];
        let pts = match flags {
            0b10 | 0b11 => match fields.get(..5).and_then(timestamp) {
                Some(t) => t,
                None => return self.error(events, "malformed PTS"),
            },
            _ => return self.error(events, "no PTS"),
        };
        let dts = if flags == 0b11 {
            match fields.get(5..10).and_then(timestamp) {
                Some(t) => t,
                None => return self.error(events, "malformed DTS"),
            }
        } else {
            pts
        };
        let dts90 = self.extender.extend(dts);
        let pts90 = dts90.saturating_add(dts.distance_to(pts));
        if payload.is_empty() {
            return;
        }
        match self.codec {
            EsCodec::H264 | EsCodec::H265 => self.video(payload, pts90, dts90, events, arena),
            EsCodec::Aac => self.aac(payload, pts90, events, arena),
            EsCodec::Opus => self.opus(payload, pts90, events, arena),
        }
    }

    fn video(
        &mut self,
        es: &[u8],
        pts: i64,
        dts: i64,
        events: &mut VecDeque<TsEvent>,
        arena: &mut BytesMut,
    ) {
        let h265 = self.codec == EsCodec::H265;
        let mut keyframe = false;
        let mut units = 0usize;
        let mut len = 0usize;
        let mut changed = false;
        let mut counts = [0usize; 3];
        for unit in AnnexBSlices::new(es) {
            units += 1;
            len += 4 + unit.len();
            let kind = if h265 {
                match unit.first().map(|b| (b >> 1) & 0x3F) {
                    Some(16..=23) => {
                        keyframe = true;
                        None
                    }
                    Some(32) => Some(0),
                    Some(33) => Some(1),
                    Some(34) => Some(2),
                    _ => None,
                }
            } else {
                match unit.first().map(|b| b & 0x1F) {
                    Some(5) => {
                        keyframe = true;
                        None
                    }
                    Some(7) => Some(1),
                    Some(8) => Some(2),
                    _ => None,
                }
            };
            if let Some(k) = kind {
                let sets = match k {
                    0 => &self.parameter_sets.vps,
                    1 => &self.parameter_sets.sps,
                    _ => &self.parameter_sets.pps,
                };
                let n = counts[k];
                counts[k] += 1;
                if sets.get(n).map(|s| &s[..]) != Some(unit) {
                    changed = true;
                }
            }
        }
        if units == 0 {
            return self.error(events, "no NAL unit in the access unit");
        }
        let complete_sets = if h265 {
            counts.iter().all(|&c| c > 0)
        } else {
            counts[1] > 0 && counts[2] > 0
        };
        if changed && complete_sets {
            self.update_video_config(es, h265, events);
        }
        if self.track.is_none() {
            return self.skip(events, dts, SkipReason::NoConfiguration);
        }
        if self.awaiting_keyframe {
            if !keyframe {
                return self.skip(events, dts, SkipReason::AwaitingKeyframe);
            }
            self.awaiting_keyframe = false;
        }
        reserve(arena, len);
        for unit in AnnexBSlices::new(es) {
            arena.put_u32(unit.len() as u32);
            arena.put_slice(unit);
        }
        let data = arena.split().freeze();
        let sample = TsSample {
            pid: self.pid,
            sample: Sample {
                track_id: u32::from(self.pid),
                dts,
                composition_offset: i32::try_from(pts - dts).unwrap_or(0),
                duration: 0,
                timescale: Timescale::VIDEO_90KHZ,
                keyframe,
                data,
            },
            pts,
            dts,
            coded_len: es.len(),
            random_access: self.pes_random_access,
            packet: self.pes_packet,
        };
        if let Some(mut held) = self.held.take() {
            let gap = dts - held.dts;
            if let Ok(d) = u32::try_from(gap)
                && d > 0
            {
                self.last_duration = d;
            }
            held.sample.duration = self.last_duration;
            events.push_back(TsEvent::Sample(held));
        }
        self.held = Some(sample);
    }

    /// New parameter sets in `es`: the track's configuration is built again
    /// (and announced).
    fn update_video_config(&mut self, es: &[u8], h265: bool, events: &mut VecDeque<TsEvent>) {
        let mut sets = ParameterSets::default();
        for unit in AnnexBSlices::new(es) {
            let list = if h265 {
                match unit.first().map(|b| (b >> 1) & 0x3F) {
                    Some(32) => &mut sets.vps,
                    Some(33) => &mut sets.sps,
                    Some(34) => &mut sets.pps,
                    _ => continue,
                }
            } else {
                match unit.first().map(|b| b & 0x1F) {
                    Some(7) => &mut sets.sps,
                    Some(8) => &mut sets.pps,
                    _ => continue,
                }
            };
            if list.len() < MAX_PARAMETER_SETS {
                list.push(Bytes::copy_from_slice(unit));
            }
        }
        let config = if h265 {
            HevcConfig::from_parameter_sets(&sets.vps, &sets.sps, &sets.pps).map(CodecConfig::H265)
        } else {
            AvcConfig::from_parameter_sets(&sets.sps, &sets.pps).map(CodecConfig::H264)
        };
        match config {
            Ok(codec) => {
                self.parameter_sets = sets;
                self.announce(
                    Track::new(u32::from(self.pid), Timescale::VIDEO_90KHZ, codec),
                    events,
                );
            }
            Err(e) => events.push_back(TsEvent::Error(TsDemuxError::AccessUnit {
                pid: self.pid,
                packet: self.pes_packet,
                reason: e.to_string(),
            })),
        }
    }

    fn announce(&mut self, mut track: Track, events: &mut VecDeque<TsEvent>) {
        if let Some(language) = self.language {
            track = track.with_language(language);
        }
        // A sample held under the old configuration goes out first.
        if let Some(mut held) = self.held.take() {
            held.sample.duration = self.last_duration;
            events.push_back(TsEvent::Sample(held));
        }
        self.track = Some(track.clone());
        events.push_back(TsEvent::Track {
            program_number: self.program_number,
            track,
        });
    }

    fn skip(&self, events: &mut VecDeque<TsEvent>, dts: i64, reason: SkipReason) {
        events.push_back(TsEvent::Skipped {
            pid: self.pid,
            dts,
            reason,
        });
    }

    fn aac(&mut self, es: &[u8], pts: i64, events: &mut VecDeque<TsEvent>, arena: &mut BytesMut) {
        let mut rest = es;
        let mut frames = 0i64;
        let mut first = true;
        while !rest.is_empty() {
            let header = match AdtsHeader::parse(rest) {
                Ok(h) => h,
                Err(e) => {
                    return events.push_back(TsEvent::Error(TsDemuxError::AccessUnit {
                        pid: self.pid,
                        packet: self.pes_packet,
                        reason: e.to_string(),
                    }));
                }
            };
            let frame_len = usize::from(header.frame_length);
            if frame_len < header.header_len() || frame_len > rest.len() {
                return self.error(events, "ADTS frame runs past the PES packet");
            }
            if first || self.aac.is_none() {
                match header.to_config() {
                    Ok(config) => {
                        if self.aac.as_ref() != Some(&config) {
                            let rate = config.sampling_frequency;
                            let Some(timescale) = Timescale::new(rate) else {
                                return self.error(events, "AAC sampling frequency 0");
                            };
                            self.aac = Some(config.clone());
                            self.next_audio_dts = None;
                            self.announce(
                                Track::new(
                                    u32::from(self.pid),
                                    timescale,
                                    CodecConfig::Aac(config),
                                ),
                                events,
                            );
                        }
                    }
                    Err(e) => {
                        return events.push_back(TsEvent::Error(TsDemuxError::AccessUnit {
                            pid: self.pid,
                            packet: self.pes_packet,
                            reason: e.to_string(),
                        }));
                    }
                }
                first = false;
            }
            let Some(track) = &self.track else {
                return;
            };
            let timescale = track.timescale;
            let frame_samples = 1024 * i64::from(header.raw_data_blocks.max(1));
            let raw = &rest[header.header_len()..frame_len];
            let offset = frames * 1024;
            let pts90 = pts + round_div(offset * 90_000, i64::from(timescale.hz()));
            self.audio_sample(
                raw,
                pts,
                pts90,
                offset,
                frame_samples as u32,
                timescale,
                frame_len,
                events,
                arena,
            );
            frames += frame_samples / 1024;
            rest = &rest[frame_len..];
        }
    }

    /// One audio frame: `pes_pts` is its PES packet's PTS, `offset` its
    /// place after it in track ticks.
    #[allow(clippy::too_many_arguments)]
    fn audio_sample(
        &mut self,
        raw: &[u8],
        pes_pts: i64,
        pts90: i64,
        offset: i64,
        duration: u32,
        timescale: Timescale,
        coded_len: usize,
        events: &mut VecDeque<TsEvent>,
        arena: &mut BytesMut,
    ) {
        let base = MediaTime::new(pes_pts, Timescale::VIDEO_90KHZ)
            .rescale(timescale, Rounding::Nearest)
            .ticks();
        let mut dts = base + offset;
        // Within a tick of where the last frame ended: continue exactly.
        if let Some(next) = self.next_audio_dts
            && (dts - next).abs() <= 1
        {
            dts = next;
        }
        self.next_audio_dts = Some(dts + i64::from(duration));
        reserve(arena, raw.len());
        arena.put_slice(raw);
        let data = arena.split().freeze();
        events.push_back(TsEvent::Sample(TsSample {
            pid: self.pid,
            sample: Sample {
                track_id: u32::from(self.pid),
                dts,
                composition_offset: 0,
                duration,
                timescale,
                keyframe: true,
                data,
            },
            pts: pts90,
            dts: pts90,
            coded_len,
            random_access: self.pes_random_access,
            packet: self.pes_packet,
        }));
    }

    /// Opus in MPEG-TS (ETSI TS 102 366 style framing, as FFmpeg writes it):
    /// each packet after an `opus_control_header`.
    fn opus(&mut self, es: &[u8], pts: i64, events: &mut VecDeque<TsEvent>, arena: &mut BytesMut) {
        if self.track.is_none() {
            let mut config = OpusConfig::stereo(0, 48_000);
            config.output_channel_count = 2;
            self.announce(
                Track::new(
                    u32::from(self.pid),
                    Timescale::AUDIO_48KHZ,
                    CodecConfig::Opus(config),
                ),
                events,
            );
        }
        let mut rest = es;
        let mut offset = 0i64;
        while !rest.is_empty() {
            let Some(control) = OpusControl::parse(rest) else {
                return self.error(events, "malformed Opus control header");
            };
            let Some(packet) = rest.get(control.header_len..control.header_len + control.size)
            else {
                return self.error(events, "Opus packet runs past the PES packet");
            };
            let Some(duration) = opus_packet_duration(packet) else {
                return self.error(events, "Opus packet without a valid TOC");
            };
            let pts90 = pts + round_div(offset * 90_000, 48_000);
            self.audio_sample(
                packet,
                pts,
                pts90,
                offset,
                duration,
                Timescale::AUDIO_48KHZ,
                control.size,
                events,
                arena,
            );
            offset += i64::from(duration);
            rest = &rest[control.header_len + control.size..];
        }
    }
}

/// The parsed `opus_control_header`.
struct OpusControl {
    header_len: usize,
    size: usize,
}

impl OpusControl {
    fn parse(data: &[u8]) -> Option<OpusControl> {
        let (&b0, &b1) = (data.first()?, data.get(1)?);
        if b0 != 0x7F || b1 & 0xE0 != 0xE0 {
            return None;
        }
        let (start_trim, end_trim, extension) = (b1 & 0x10 != 0, b1 & 0x08 != 0, b1 & 0x04 != 0);
        let mut pos = 2;
        let mut size = 0usize;
        loop {
            let b = *data.get(pos)?;
            pos += 1;
            size += usize::from(b);
            if b != 0xFF {
                break;
            }
        }
        if start_trim {
            pos += 2;
        }
        if end_trim {
            pos += 2;
        }
        if extension {
            pos += 1 + usize::from(*data.get(pos)?);
        }
        (pos <= data.len()).then_some(OpusControl {
            header_len: pos,
            size,
        })
    }
}

/// An Opus packet's duration in 48 kHz samples, from its TOC byte (RFC 6716
/// 3.1).
fn opus_packet_duration(packet: &[u8]) -> Option<u32> {
    let toc = *packet.first()?;
    let config = toc >> 3;
    // Frame sizes in units of 2.5 ms (120 samples at 48 kHz).
    let units: u32 = match config {
        0..=11 => [4, 8, 16, 24][usize::from(config % 4)],
        12..=15 => [4, 8][usize::from(config % 2)],
        _ => [1, 2, 4, 8][usize::from(config % 4)],
    };
    let frames = match toc & 0x03 {
        0 => 1,
        1 | 2 => 2,
        _ => u32::from(*packet.get(1)? & 0x3F),
    };
    let samples = units * 120 * frames;
    (frames > 0 && samples <= 5_760).then_some(samples)
}

/// A 5-byte PTS or DTS field, with its marker bits checked.
fn timestamp(b: &[u8]) -> Option<MpegTsTimestamp> {
    if b.len() < 5 || b[0] & 1 == 0 || b[2] & 1 == 0 || b[4] & 1 == 0 {
        return None;
    }
    let v = (u64::from(b[0] >> 1 & 0x07) << 30)
        | (u64::from(b[1]) << 22)
        | (u64::from(b[2] >> 1) << 15)
        | (u64::from(b[3]) << 7)
        | u64::from(b[4] >> 1);
    Some(MpegTsTimestamp::new(v))
}

fn round_div(n: i64, d: i64) -> i64 {
    (2 * n + d).div_euclid(2 * d)
}

/// Room for `n` more bytes in the arena, growing it by a chunk at a time.
fn reserve(arena: &mut BytesMut, n: usize) {
    if arena.capacity() - arena.len() < n {
        arena.reserve(n.max(ARENA_CHUNK));
    }
}
