//! One elementary stream of the demuxer: PES packets assembled from
//! transport packet payloads, then cut into access units (H.264 / H.265
//! Annex-B to length-prefixed NAL units, ADTS frames, Opus packets), with
//! their times, keyframe flags and the track's codec configuration.
//!
//! # Copies
//!
//! Each PES packet is assembled in the stream's own buffer (the one copy
//! MPEG-TS forces: its payload comes in 184-byte pieces between packet
//! headers). Audio frames are slices of it. Video access units are turned
//! into length-prefixed NAL units in place, written forward: each 4-byte
//! start code becomes the length; a 3-byte start code (one byte short)
//! takes a byte of the PES header before the access unit, so the units
//! before it move a byte towards the front and the units after it (the
//! last, usually the largest, always) stay where they are. Only an access
//! unit with more 3-byte start codes than that header has bytes is moved
//! back to front, or, with stray zero bytes between units as well, copied
//! a second time. Samples are `split_to` off the buffer, which keeps its
//! capacity for the next PES packet and grows by whole chunks: no
//! allocation per packet, one per chunk of stream.

use bytes::{Buf, BufMut, Bytes, BytesMut};
use memchr::memmem::Finder;

use super::demux_event::{
    ContinuityError, Emit, PesHead, SkipReason, TsDemuxConfig, TsDemuxError, TsDemuxOutput,
    TsEvent, TsProgramStream, TsSample,
};
use super::packet::PAYLOAD_SIZE;
use super::psi::StreamType;
use crate::codec::CodecConfig;
use crate::codec::aac::{AacConfig, AdtsHeader};
use crate::codec::h264::AvcConfig;
use crate::codec::h265::HevcConfig;
use crate::codec::opus::OpusConfig;
use crate::sample::Sample;
use crate::time::{Extender, MediaTime, MpegTsTimestamp, Rounding, Timescale, Wrapping};
use crate::track::Track;

mod audio;

/// How much a stream's buffer grows by at least (samples are cut from it).
const BUFFER_CHUNK: usize = 64 << 10;
/// A stream's first buffer when its PES packets are lent (it is reused
/// for each, and doubles when one is larger).
const LENT_BUFFER: usize = 4 << 10;
/// [`EsState::pes_end`] while a PES packet's `PES_packet_length` (bytes 4
/// and 5) is not in yet; a declared end is at least 7.
const PES_LENGTH_PROBE: usize = 6;
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
    /// PES packets go out as they are ([`TsDemuxOutput::PesPackets`]).
    ///
    /// [`TsDemuxOutput::PesPackets`]: super::TsDemuxOutput::PesPackets
    pes_output: bool,
    /// The PES packet being assembled, from its `packet_start_code_prefix`.
    pes: BytesMut,
    /// The NAL units of the access unit being converted: (start, end,
    /// start code length), offsets in `pes`.
    units: Vec<(usize, usize, usize)>,
    /// Finds `00 00 01`.
    finder: Finder<'static>,
    /// The fixed part of the last ADTS header read (28 bits) and its
    /// configuration's timescale, so that equal headers are not parsed
    /// again.
    adts_fixed: Option<[u8; 4]>,
    /// A PES packet is open (its first packet was seen, and nothing lost).
    open: bool,
    /// The buffer length at which the open PES packet needs a look:
    /// [`PES_LENGTH_PROBE`] until its `PES_packet_length` is in, then its
    /// declared end (`usize::MAX` when unbounded). Checked once per
    /// transport packet instead of reading the header again.
    pes_end: usize,
    /// The configured limit of a PES packet's size.
    limit: usize,
    /// The largest PES packet kept: `limit` and a PES header's room.
    max_pes: usize,
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
        config: &TsDemuxConfig,
    ) -> EsState {
        let limit = if codec.is_video() {
            config.max_video_pes
        } else {
            config.max_audio_pes
        };
        EsState {
            pes_end: PES_LENGTH_PROBE,
            limit,
            max_pes: limit.saturating_add(32),
            pid,
            program_number,
            codec,
            language,
            pes_output: config.output == TsDemuxOutput::PesPackets,
            pes: BytesMut::new(),
            units: Vec::new(),
            finder: Finder::new(b"\x00\x00\x01").into_owned(),
            adts_fixed: None,
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

    /// Packets were lost: the open PES packet is incomplete; video resumes
    /// at the next keyframe (the sample held for its duration goes out
    /// now, with the last duration).
    pub(super) fn lost(&mut self, events: &mut impl Emit, gap: ContinuityError) {
        self.release_held(events);
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
    #[inline(always)]
    pub(super) fn payload<E: Emit>(
        &mut self,
        payload: &[u8],
        unit_start: bool,
        random_access: bool,
        packet: u64,
        events: &mut E,
    ) {
        if unit_start {
            self.start_pes(random_access, packet, events);
            // The declared end, read here from the transport packet rather
            // than from the buffer after the copy (reading back what the
            // copy just wrote stalls until its stores are done).
            if let Some(b) = payload.get(4..6) {
                let end = match u16::from_be_bytes([b[0], b[1]]) {
                    0 => usize::MAX,
                    len => 6 + usize::from(len),
                };
                // Lent PES output: a PES packet inside this transport
                // packet is lent from it, not copied into the buffer first.
                if E::LENDS
                    && self.pes_output
                    && end <= payload.len()
                    && payload.len() <= self.max_pes
                {
                    self.open = false;
                    return self.lend_whole(payload.get(..end).unwrap_or_default(), events);
                }
                self.pes_end = end;
            }
        } else if !self.open {
            return;
        }
        if self.pes.len() + payload.len() > self.max_pes {
            return self.too_large(events);
        }
        // Most payloads fill the packet: a copy of a known length, inlined.
        match <&[u8; PAYLOAD_SIZE]>::try_from(payload) {
            Ok(full) => self.append(full, E::LENDS),
            Err(_) => self.append(payload, E::LENDS),
        }
        if self.pes.len() >= self.pes_end {
            self.at_pes_end(events);
        }
    }

    /// Appends to the PES packet; `lends`: PES packets are lent, not split
    /// off ([`Emit::LENDS`]).
    #[inline(always)]
    fn append(&mut self, payload: &[u8], lends: bool) {
        if self.pes.capacity() - self.pes.len() < payload.len() {
            self.grow(payload.len(), lends);
        }
        self.pes.extend_from_slice(payload);
    }

    /// Room for `more` bytes. Whole chunks when samples or PES packets are
    /// split off the buffer, so that they share few allocations; when PES
    /// packets are lent, the buffer is reused from its front for each and
    /// grows only to the largest, doubling as a `Vec` does.
    #[inline(never)]
    fn grow(&mut self, more: usize, lends: bool) {
        let least = if lends && self.pes_output {
            LENT_BUFFER
        } else {
            BUFFER_CHUNK
        };
        self.pes.reserve(least.max(self.pes.len() + more));
    }

    /// A transport packet with `payload_unit_start_indicator`: the open PES
    /// packet ends, a new one opens.
    #[inline(never)]
    fn start_pes(&mut self, random_access: bool, packet: u64, events: &mut impl Emit) {
        if self.open {
            if self.declared_len().is_some() {
                // A bounded PES packet should have ended by now.
                events.push_back(TsEvent::Error(TsDemuxError::PesIncomplete {
                    pid: self.pid,
                    packet: self.pes_packet,
                }));
                self.pes.clear();
            } else {
                self.complete(events);
            }
        }
        self.open = true;
        self.pes.clear();
        self.pes_end = PES_LENGTH_PROBE;
        self.pes_packet = packet;
        self.pes_random_access = random_access;
    }

    /// A whole PES packet in one transport packet's payload, lent as it is
    /// (PES output to a sink).
    #[inline(never)]
    fn lend_whole(&mut self, pes: &[u8], events: &mut impl Emit) {
        match read_pes_header(pes, true, &mut self.extender) {
            Ok(header) => {
                let head = self.pes_head(header.stream_id, header.times);
                events.lend(head, pes.get(header.start..).unwrap_or_default());
            }
            Err(reason) => self.error(events, reason),
        }
    }

    fn pes_head(&self, stream_id: u8, times: Option<(i64, i64)>) -> PesHead {
        PesHead {
            pid: self.pid,
            stream_id,
            pts: times.map(|t| t.0),
            dts: times.map(|t| t.1),
            random_access: self.pes_random_access,
            packet: self.pes_packet,
        }
    }

    /// The open PES packet grew past the limit: it is dropped.
    #[cold]
    fn too_large(&mut self, events: &mut impl Emit) {
        events.push_back(TsEvent::Error(TsDemuxError::PesTooLarge {
            pid: self.pid,
            packet: self.pes_packet,
            limit: self.limit,
        }));
        self.open = false;
        self.pes.clear();
        if self.codec.is_video() {
            self.awaiting_keyframe = true;
        }
    }

    /// The buffer reached [`pes_end`](EsState::pes_end): the declared
    /// length is read, or the PES packet is complete.
    #[inline(never)]
    fn at_pes_end(&mut self, events: &mut impl Emit) {
        if self.pes_end == PES_LENGTH_PROBE {
            self.pes_end = self.declared_len().unwrap_or(usize::MAX);
            if self.pes.len() < self.pes_end {
                return;
            }
        }
        self.pes.truncate(self.pes_end);
        self.complete(events);
    }

    /// The PES packet's whole length when `PES_packet_length` is set.
    fn declared_len(&self) -> Option<usize> {
        let b = self.pes.get(4..6)?;
        let len = usize::from(u16::from_be_bytes([b[0], b[1]]));
        (len > 0).then_some(6 + len)
    }

    /// The end of the input.
    pub(super) fn finish(&mut self, events: &mut impl Emit) {
        if self.open {
            if self.declared_len().is_some() {
                events.push_back(TsEvent::Error(TsDemuxError::PesIncomplete {
                    pid: self.pid,
                    packet: self.pes_packet,
                }));
                self.open = false;
                self.pes.clear();
            } else {
                self.complete(events);
            }
        }
        self.release_held(events);
    }

    fn error(&self, events: &mut impl Emit, reason: &'static str) {
        events.push_back(TsEvent::Error(TsDemuxError::Pes {
            pid: self.pid,
            packet: self.pes_packet,
            reason,
        }));
    }

    /// The open PES packet is complete: its access units come out, and the
    /// buffer is empty for the next one.
    fn complete(&mut self, events: &mut impl Emit) {
        self.open = false;
        self.complete_pes(events);
        self.pes.clear();
    }

    fn complete_pes(&mut self, events: &mut impl Emit) {
        let PesHeader {
            start,
            stream_id,
            times,
        } = match read_pes_header(&self.pes, self.pes_output, &mut self.extender) {
            Ok(header) => header,
            Err(reason) => return self.error(events, reason),
        };
        if self.pes_output {
            let head = self.pes_head(stream_id, times);
            events.pes(head, &mut self.pes, start);
            return;
        }
        let Some((pts90, dts90)) = times else {
            return self.error(events, "no PTS");
        };
        if start == self.pes.len() {
            return;
        }
        match self.codec {
            EsCodec::H264 | EsCodec::H265 => self.video(start, pts90, dts90, events),
            EsCodec::Aac => self.aac(start, pts90, events),
            EsCodec::Opus => self.opus(start, pts90, events),
        }
    }

    /// Finds the NAL units of the access unit at `pes[from..]` (Annex-B):
    /// each from after its start code to the next start code, zero bytes
    /// at its end left out (they open the next start code or pad).
    fn find_units(&mut self, from: usize) {
        self.units.clear();
        let es = &self.pes[..];
        let mut at = from;
        let mut current: Option<(usize, usize)> = None; // (start, start code length)
        while let Some(i) = self.finder.find(&es[at..]) {
            let code = at + i;
            if let Some((start, sc)) = current.take() {
                let mut end = code;
                while end > start && es[end - 1] == 0 {
                    end -= 1;
                }
                if end > start {
                    self.units.push((start, end, sc));
                }
            }
            let sc = if code > from && es[code - 1] == 0 {
                4
            } else {
                3
            };
            current = Some((code + 3, sc));
            at = code + 3;
        }
        if let Some((start, sc)) = current {
            let mut end = es.len();
            while end > start && es[end - 1] == 0 {
                end -= 1;
            }
            if end > start {
                self.units.push((start, end, sc));
            }
        }
    }

    fn video(&mut self, start: usize, pts: i64, dts: i64, events: &mut impl Emit) {
        let h265 = self.codec == EsCodec::H265;
        let coded_len = self.pes.len() - start;
        self.find_units(start);
        if self.units.is_empty() {
            return self.error(events, "no NAL unit in the access unit");
        }
        let mut keyframe = false;
        let mut changed = false;
        let mut counts = [0usize; 3];
        for &(s, e, _) in &self.units {
            let unit = &self.pes[s..e];
            let kind = if h265 {
                match (unit[0] >> 1) & 0x3F {
                    16..=23 => {
                        keyframe = true;
                        None
                    }
                    32 => Some(0),
                    33 => Some(1),
                    34 => Some(2),
                    _ => None,
                }
            } else {
                match unit[0] & 0x1F {
                    5 => {
                        keyframe = true;
                        None
                    }
                    7 => Some(1),
                    8 => Some(2),
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
        let complete_sets = if h265 {
            counts.iter().all(|&c| c > 0)
        } else {
            counts[1] > 0 && counts[2] > 0
        };
        if changed && complete_sets {
            self.update_video_config(h265, events);
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
        let data = self.length_prefixed(start);
        if let Some(held) = &self.held
            && let Ok(d) = u32::try_from(dts - held.dts)
            && d > 0
        {
            self.last_duration = d;
        }
        self.release_held(events);
        // Built where it is held (not aside and then moved in).
        self.held = Some(TsSample {
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
            coded_len,
            random_access: self.pes_random_access,
            packet: self.pes_packet,
        });
    }

    /// The access unit at `pes[start..]` (its units in `units`) as
    /// length-prefixed NAL units, split off the buffer.
    fn length_prefixed(&mut self, start: usize) -> Bytes {
        let out_len: usize = self.units.iter().map(|&(s, e, _)| 4 + e - s).sum();
        // Where the output can begin so that, written forward in place,
        // no unit's output gets ahead of its input: the least over units
        // of where the unit starts less the output before it and its
        // length field. With 4-byte start codes that is `start`; each
        // 3-byte start code takes a byte of the PES header before it, so
        // only the units before a 3-byte start code move (by a byte per
        // such code after them) and the last unit, usually the largest
        // slice, stays where it is.
        let mut before = 0usize;
        let mut origin = (!self.units.is_empty()).then_some(usize::MAX);
        for &(s, e, _) in &self.units {
            origin = match (origin, s.checked_sub(4 + before)) {
                (Some(o), Some(at)) => Some(o.min(at)),
                _ => None,
            };
            before += 4 + e - s;
        }
        if let Some(origin) = origin {
            let mut o = origin;
            for &(s, e, _) in &self.units {
                let len = e - s;
                self.pes[o..o + 4].copy_from_slice(&(len as u32).to_be_bytes());
                if s != o + 4 {
                    self.pes.copy_within(s..e, o + 4);
                }
                o += 4 + len;
            }
            self.pes.advance(origin);
            return self.pes.split_to(out_len).freeze();
        }
        // More 3-byte start codes than PES header bytes to take (over 9,
        // before the last of them). Contiguous: each unit's start code
        // right after the previous unit, the first at the start.
        let mut expected = start;
        let contiguous = self.units.iter().all(|&(s, e, sc)| {
            let ok = s - sc == expected;
            expected = e;
            ok
        }) && expected == self.pes.len();
        if contiguous {
            // One byte more per 3-byte start code: grow, then move the
            // units back to front (the output never falls behind the
            // input).
            let grow = (start + out_len).saturating_sub(self.pes.len());
            self.pes.resize(self.pes.len() + grow, 0);
            let mut o_end = start + out_len;
            for &(s, e, _) in self.units.iter().rev() {
                let len = e - s;
                let dest = o_end - len;
                if dest != s {
                    self.pes.copy_within(s..e, dest);
                }
                self.pes[dest - 4..dest].copy_from_slice(&(len as u32).to_be_bytes());
                o_end = dest - 4;
            }
        } else {
            // Mixed start codes with stray zeros: through a copy.
            let mut out = BytesMut::with_capacity(out_len);
            for &(s, e, _) in &self.units {
                out.put_u32((e - s) as u32);
                out.put_slice(&self.pes[s..e]);
            }
            self.pes.truncate(start);
            self.pes.extend_from_slice(&out);
        }
        // The PES header goes without a reference count change.
        self.pes.advance(start);
        self.pes.split_to(out_len).freeze()
    }

    /// New parameter sets in the access unit (its `units`): the track's
    /// configuration is built again (and announced).
    fn update_video_config(&mut self, h265: bool, events: &mut impl Emit) {
        let mut sets = ParameterSets::default();
        for &(s, e, _) in &self.units {
            let unit = &self.pes[s..e];
            let list = if h265 {
                match (unit[0] >> 1) & 0x3F {
                    32 => &mut sets.vps,
                    33 => &mut sets.sps,
                    34 => &mut sets.pps,
                    _ => continue,
                }
            } else {
                match unit[0] & 0x1F {
                    7 => &mut sets.sps,
                    8 => &mut sets.pps,
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

    /// The video sample held for its duration goes out, with the last
    /// duration. Built field by field in its event's slot: setting the
    /// duration in the held sample and then moving it whole would read the
    /// bytes just written back through a wider load (a store-forwarding
    /// stall at every video sample).
    fn release_held(&mut self, events: &mut impl Emit) {
        if let Some(held) = self.held.take() {
            let duration = self.last_duration;
            events.push_with(|| {
                TsEvent::Sample(TsSample {
                    sample: Sample {
                        duration,
                        ..held.sample
                    },
                    ..held
                })
            });
        }
    }

    fn announce(&mut self, mut track: Track, events: &mut impl Emit) {
        if let Some(language) = self.language {
            track = track.with_language(language);
        }
        // A sample held under the old configuration goes out first.
        self.release_held(events);
        self.track = Some(track.clone());
        events.push_back(TsEvent::Track {
            program_number: self.program_number,
            track,
        });
    }

    fn skip(&self, events: &mut impl Emit, dts: i64, reason: SkipReason) {
        events.push_back(TsEvent::Skipped {
            pid: self.pid,
            dts,
            reason,
        });
    }
}

/// What [`read_pes_header`] reads.
struct PesHeader {
    /// Where the payload starts.
    start: usize,
    stream_id: u8,
    /// PTS and DTS, extended (none without a PTS, allowed only for PES
    /// output).
    times: Option<(i64, i64)>,
}

/// A PES packet's header: where its payload starts, its `stream_id`, and
/// its PTS and DTS extended by `extender` (none without a PTS, allowed
/// only for PES output); or what is wrong with it.
#[inline(always)]
fn read_pes_header(
    pes: &[u8],
    pes_output: bool,
    extender: &mut Extender<MpegTsTimestamp>,
) -> Result<PesHeader, &'static str> {
    let Some(header) = pes.get(..9) else {
        return Err("shorter than a PES header");
    };
    if header[..3] != [0, 0, 1] {
        return Err("no packet_start_code_prefix");
    }
    if header[6] & 0xC0 != 0x80 {
        return Err("no optional PES header");
    }
    if header[6] & 0x30 != 0 {
        return Err("scrambled");
    }
    let stream_id = header[3];
    let flags = header[7] >> 6;
    let start = 9 + usize::from(header[8]);
    let Some(fields) = pes.get(9..start) else {
        return Err("PES_header_data_length past the packet");
    };
    let pts = match flags {
        0b10 | 0b11 => match fields.get(..5).and_then(timestamp) {
            Some(t) => Some(t),
            None => return Err("malformed PTS"),
        },
        _ if pes_output => None,
        _ => return Err("no PTS"),
    };
    let dts = if flags == 0b11 {
        match fields.get(5..10).and_then(timestamp) {
            Some(t) => Some(t),
            None => return Err("malformed DTS"),
        }
    } else {
        pts
    };
    let times = match (pts, dts) {
        (Some(pts), Some(dts)) => {
            let dts90 = extender.extend(dts);
            Some((dts90.saturating_add(dts.distance_to(pts)), dts90))
        }
        _ => None,
    };
    Ok(PesHeader {
        start,
        stream_id,
        times,
    })
}

/// A 5-byte PTS or DTS field, with its marker bits checked.
#[inline(always)]
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

/// `ticks90` (90 kHz) on `to`, rounded to the nearest tick as
/// [`MediaTime::rescale`] does, in 64-bit arithmetic while it fits (the
/// 128-bit division is a tenth of the audio path's time otherwise).
fn rescale_from_90khz(ticks90: i64, to: Timescale) -> i64 {
    let hz = i64::from(to.hz());
    match ticks90
        .checked_mul(2 * hz)
        .and_then(|n| n.checked_add(90_000))
    {
        Some(n) => n.div_euclid(2 * 90_000),
        None => MediaTime::new(ticks90, Timescale::VIDEO_90KHZ)
            .rescale(to, Rounding::Nearest)
            .ticks(),
    }
}

fn round_div(n: i64, d: i64) -> i64 {
    (2 * n + d).div_euclid(2 * d)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Converts `es` as `video` does, after a 5-byte stand-in header.
    fn convert(es: &[u8]) -> Vec<u8> {
        let mut s = EsState::new(0x100, 1, EsCodec::H264, None, &TsDemuxConfig::default());
        s.pes.extend_from_slice(&[0xAA; 5]);
        s.pes.extend_from_slice(es);
        s.find_units(5);
        s.length_prefixed(5).to_vec()
    }

    fn prefixed(units: &[&[u8]]) -> Vec<u8> {
        let mut out = Vec::new();
        for u in units {
            out.extend_from_slice(&(u.len() as u32).to_be_bytes());
            out.extend_from_slice(u);
        }
        out
    }

    const AUD: &[u8] = &[0x09, 0xF0];
    const SPS: &[u8] = &[0x67, 0x64, 0x00, 0x1F];
    const SLICE: &[u8] = &[0x65, 0x88, 0x84, 0x00, 0x03, 0x21];

    #[test]
    fn four_byte_start_codes_convert_in_place() {
        let es = [
            &[0, 0, 0, 1][..],
            AUD,
            &[0, 0, 0, 1],
            SPS,
            &[0, 0, 0, 1],
            SLICE,
        ]
        .concat();
        assert_eq!(convert(&es), prefixed(&[AUD, SPS, SLICE]));
        // Zero bytes between units (trailing_zero_8bits) and at the end.
        let es = [&[0, 0, 0, 1][..], AUD, &[0, 0, 0, 0, 0, 1], SLICE, &[0, 0]].concat();
        assert_eq!(convert(&es), prefixed(&[AUD, SLICE]));
    }

    #[test]
    fn three_byte_start_codes_move_units_back() {
        let es = [&[0, 0, 1][..], AUD, &[0, 0, 1], SPS, &[0, 0, 0, 1], SLICE].concat();
        assert_eq!(convert(&es), prefixed(&[AUD, SPS, SLICE]));
        let es = [&[0, 0, 1][..], SLICE].concat();
        assert_eq!(convert(&es), prefixed(&[SLICE]));
    }

    #[test]
    fn more_three_byte_start_codes_than_header_bytes() {
        // Eight 3-byte start codes after a 5-byte header: back to front.
        let units = [AUD, SPS, SLICE, SLICE, SPS, SLICE, AUD, SLICE];
        let es: Vec<u8> = units
            .iter()
            .flat_map(|u| [&[0, 0, 1][..], u].concat())
            .collect();
        assert_eq!(convert(&es), prefixed(&units));
        // The same with a stray zero after the first unit: through a copy.
        let mut es = [&[0, 0, 1][..], AUD, &[0, 0]].concat();
        es.extend(units[1..].iter().flat_map(|u| [&[0, 0, 1][..], u].concat()));
        assert_eq!(convert(&es), prefixed(&units));
    }

    #[test]
    fn mixed_start_codes_with_stray_zeros_convert_in_place() {
        let es = [
            &[0, 0, 0, 0, 1][..],
            AUD,
            &[0, 0, 1],
            SPS,
            &[0, 0, 0, 0, 0, 1],
            SLICE,
            &[0],
        ]
        .concat();
        assert_eq!(convert(&es), prefixed(&[AUD, SPS, SLICE]));
    }
}
