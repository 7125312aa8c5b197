//! The demuxer: transport packets in, programs, tracks and samples out.
//!
//! This file is the packet layer (sync, packet sizes, continuity, the
//! adaptation field, PCR) and the program tables (PAT, PMT sections over
//! several packets, versions); `demux_es.rs` turns each elementary stream's
//! PES packets into samples.

use super::demux_es::{EsCodec, EsState};
use super::demux_event::{
    ContinuityError, Emit, EventQueue, Pcr, Sink, TsDemuxConfig, TsDemuxError, TsEvent, TsSink,
};
use super::packet::{PACKET_SIZE, SYNC_BYTE};
use super::psi::{PAT_PID, crc32_mpeg2, parse_pmt};
use crate::time::MpegTsTimestamp;

/// The most elementary streams one [`TsDemuxer`] demuxes at once (over all
/// programs); PMT entries past it are listed but not demuxed.
pub const MAX_DEMUXED_STREAMS: usize = 32;
/// The most programs one [`TsDemuxer`] follows; PAT entries past it are
/// ignored (and reported).
pub const MAX_PROGRAMS: usize = 16;
/// The longest PSI section (ISO/IEC 13818-1: `section_length` at most 1021).
const MAX_SECTION: usize = 1024;
/// Packet strides the demuxer recognises: plain 188-byte packets, 192-byte
/// packets (a 4-byte time code before each, as in M2TS) and 204-byte
/// packets (16 Reed-Solomon bytes after each).
const STRIDES: [usize; 3] = [188, 192, 204];
/// Bytes kept between pushes at most: a partial packet, or what resync
/// needs to confirm a packet size (three sync bytes a stride apart).
const MAX_CARRY: usize = 3 * 204;

/// A PSI section being assembled.
#[derive(Debug, Default)]
struct SectionBuffer {
    buf: Vec<u8>,
    open: bool,
    /// The last section taken in whole (CRC checked, applied): the same
    /// bytes again (PAT and PMT repeat every few packets) change nothing
    /// and are not checked again.
    last: Vec<u8>,
}

// The elementary stream's state inline (not boxed): the packet path reaches
// it from the PID table with one load less, and the table holds few entries
// (the PAT, the PMTs and at most `MAX_DEMUXED_STREAMS` streams).
#[allow(clippy::large_enum_variant)]
#[derive(Debug)]
enum PidKind {
    Pat,
    Pmt { program_number: u16 },
    Es(EsState),
}

#[derive(Debug)]
struct PidState {
    pid: u16,
    continuity: Option<u8>,
    section: SectionBuffer,
    kind: PidKind,
}

#[derive(Debug)]
struct ProgramState {
    number: u16,
    pmt_pid: u16,
    version: Option<u8>,
}

/// A Sans-IO MPEG-TS demuxer: bytes of a transport stream in, events out.
///
/// Call [`push`](TsDemuxer::push) with the bytes as they come (a file's
/// chunks, UDP datagrams: packets may be split across calls), drain
/// [`poll_event`](TsDemuxer::poll_event) until `None` after each push, and
/// call [`finish`](TsDemuxer::finish) at the end of the input (it puts out
/// the PES packets still open and the samples held for their duration),
/// then drain again. See the [module documentation](crate::ts) for what
/// comes out.
///
/// ```
/// use streamkit_core::codec::{CodecConfig, aac::AacConfig};
/// use streamkit_core::sample::Sample;
/// use streamkit_core::time::Timescale;
/// use streamkit_core::track::Track;
/// use streamkit_core::ts::{TsDemuxer, TsEvent, TsMuxer};
///
/// // A stream of one AAC frame, from streamkit's own muxer.
/// let aac = AacConfig::new(2, 48_000, 2)?;
/// let mut muxer = TsMuxer::new(&[Track::new(1, Timescale::AUDIO_48KHZ, CodecConfig::Aac(aac))])?;
/// let mut ts = Vec::new();
/// let frame = bytes::Bytes::from_static(&[0x21, 0x10, 0x04, 0x60, 0x8c, 0x1c]);
/// let sample = Sample {
///     track_id: 1, dts: 0, composition_offset: 0, duration: 1_024,
///     timescale: Timescale::AUDIO_48KHZ, keyframe: true, data: frame.clone(),
/// };
/// muxer.write_sample(&sample, &mut ts)?;
///
/// let mut demuxer = TsDemuxer::new();
/// demuxer.push(&ts)?;
/// demuxer.finish()?;
/// let mut samples = Vec::new();
/// while let Some(event) = demuxer.poll_event() {
///     match event {
///         TsEvent::Program(p) => assert_eq!(p.streams.len(), 1),
///         TsEvent::Track { track, .. } => assert_eq!(track.id, 0x100),
///         TsEvent::Sample(s) => samples.push(s),
///         _ => {}
///     }
/// }
/// assert_eq!(samples.len(), 1);
/// assert_eq!(samples[0].sample.data, frame);
/// assert_eq!(samples[0].pts, 126_000); // the muxer's default offset
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct TsDemuxer {
    config: TsDemuxConfig,
    /// A partial packet, or resync look-ahead, between pushes.
    carry: Vec<u8>,
    /// The packet stride once sync is found.
    stride: Option<usize>,
    /// Bytes taken in before `carry`'s first byte (or the next input's,
    /// when `carry` is empty).
    offset: u64,
    /// Where bytes started to be dropped while looking for sync.
    lost_since: Option<u64>,
    /// Bytes of a stride's tail still to skip at the next push.
    skip: usize,
    packets: u64,
    /// PID to index in `pids`, plus one (0: not followed).
    pid_slots: Box<[u8; 8192]>,
    pids: Vec<PidState>,
    pat_version: Option<u8>,
    programs: Vec<ProgramState>,
    events: EventQueue,
    finished: bool,
}

impl Default for TsDemuxer {
    fn default() -> Self {
        TsDemuxer::new()
    }
}

impl TsDemuxer {
    /// A demuxer with the [default](TsDemuxConfig::default) limits.
    #[must_use]
    pub fn new() -> TsDemuxer {
        TsDemuxer::with_config(TsDemuxConfig::default())
    }

    /// A demuxer with `config`'s limits.
    #[must_use]
    pub fn with_config(config: TsDemuxConfig) -> TsDemuxer {
        let mut d = TsDemuxer {
            config,
            carry: Vec::with_capacity(MAX_CARRY + PACKET_SIZE),
            stride: None,
            offset: 0,
            lost_since: None,
            skip: 0,
            packets: 0,
            pid_slots: Box::new([0; 8192]),
            pids: Vec::new(),
            pat_version: None,
            programs: Vec::new(),
            // Slots come as events do: a sink (`push_with`) needs none.
            events: EventQueue::default(),
            finished: false,
        };
        d.add_pid(PAT_PID, PidKind::Pat);
        d
    }

    /// Transport packets read so far.
    #[must_use]
    pub fn packet_count(&self) -> u64 {
        self.packets
    }

    /// The packet stride found (188, 192 or 204), once in sync.
    #[must_use]
    pub fn stride(&self) -> Option<usize> {
        self.stride
    }

    /// The next event, in stream order; `None` when everything pushed so
    /// far has been reported.
    #[must_use]
    #[inline]
    pub fn poll_event(&mut self) -> Option<TsEvent> {
        self.events.pop_front()
    }

    /// Takes in the next bytes of the stream.
    ///
    /// # Errors
    ///
    /// [`TsDemuxError::Finished`] after [`finish`](TsDemuxer::finish);
    /// everything wrong in the stream itself is an event.
    pub fn push(&mut self, data: &[u8]) -> Result<(), TsDemuxError> {
        let mut events = std::mem::take(&mut self.events);
        let result = self.push_to(data, &mut events);
        self.events = events;
        result
    }

    /// Takes in the next bytes of the stream, as [`push`](TsDemuxer::push)
    /// does, and hands each event to `sink` as it is found, with no queue:
    /// first the events earlier pushes left unpolled, then this push's, in
    /// the order [`poll_event`](TsDemuxer::poll_event) would give them.
    /// The sink is a [`TsSink`]: a closure over [`TsEventRef`], or a type
    /// of your own with a method for PES packets and one for the rest.
    ///
    /// PES packets ([`TsDemuxOutput::PesPackets`]) are lent
    /// ([`TsSink::pes`]): the payload is read where it is, valid for the
    /// call only, in the stream's buffer (reused for its next PES packet)
    /// or, for a PES packet inside one transport packet, in that packet
    /// (in `data`, or in the bytes carried over from the last push).
    /// Every other event is owned ([`TsSink::event`]), samples included.
    /// `push` and `push_with` may be mixed.
    ///
    /// [`TsEventRef`]: super::TsEventRef
    /// [`TsDemuxOutput::PesPackets`]: super::TsDemuxOutput::PesPackets
    ///
    /// ```
    /// use streamkit_core::codec::{CodecConfig, aac::AacConfig};
    /// use streamkit_core::sample::Sample;
    /// use streamkit_core::time::Timescale;
    /// use streamkit_core::track::Track;
    /// use streamkit_core::ts::{TsDemuxConfig, TsDemuxOutput, TsDemuxer, TsEventRef, TsMuxer};
    ///
    /// let aac = AacConfig::new(2, 48_000, 2)?;
    /// let mut muxer = TsMuxer::new(&[Track::new(1, Timescale::AUDIO_48KHZ, CodecConfig::Aac(aac))])?;
    /// let mut ts = Vec::new();
    /// let frame = bytes::Bytes::from_static(&[0x21, 0x10, 0x04, 0x60, 0x8c, 0x1c]);
    /// let sample = Sample {
    ///     track_id: 1, dts: 0, composition_offset: 0, duration: 1_024,
    ///     timescale: Timescale::AUDIO_48KHZ, keyframe: true, data: frame.clone(),
    /// };
    /// muxer.write_sample(&sample, &mut ts)?;
    ///
    /// let mut config = TsDemuxConfig::default();
    /// config.output = TsDemuxOutput::PesPackets;
    /// let mut demuxer = TsDemuxer::with_config(config);
    /// let mut payloads = Vec::new();
    /// let mut sink = |event: TsEventRef<'_>| {
    ///     if let TsEventRef::Pes(pes) = event {
    ///         // The ADTS frame (7-byte header, then the raw frame), lent.
    ///         assert_eq!(pes.pts, Some(126_000));
    ///         payloads.push(pes.data.len());
    ///     }
    /// };
    /// demuxer.push_with(&ts, &mut sink)?;
    /// demuxer.finish_with(&mut sink)?;
    /// assert_eq!(payloads, [7 + frame.len()]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    ///
    /// As [`push`](TsDemuxer::push).
    pub fn push_with(
        &mut self,
        data: &[u8],
        sink: &mut (impl TsSink + ?Sized),
    ) -> Result<(), TsDemuxError> {
        let mut sink = Sink(sink);
        self.drain_to(&mut sink);
        self.push_to(data, &mut sink)
    }

    /// The end of the input, as [`finish`](TsDemuxer::finish), with the
    /// events handed to `sink` as in [`push_with`](TsDemuxer::push_with).
    ///
    /// # Errors
    ///
    /// As [`finish`](TsDemuxer::finish).
    pub fn finish_with(&mut self, sink: &mut (impl TsSink + ?Sized)) -> Result<(), TsDemuxError> {
        let mut sink = Sink(sink);
        self.drain_to(&mut sink);
        self.finish_to(&mut sink)
    }

    /// The queued events, handed to `sink` (before a `_with` call's own).
    fn drain_to<S: TsSink + ?Sized>(&mut self, sink: &mut Sink<'_, S>) {
        while let Some(event) = self.events.pop_front() {
            sink.0.event(event);
        }
    }

    fn push_to(&mut self, data: &[u8], out: &mut impl Emit) -> Result<(), TsDemuxError> {
        if self.finished {
            return Err(TsDemuxError::Finished);
        }
        let mut data = data;
        // The tail of a 192- or 204-byte stride the last push ended in.
        let skip = self.skip.min(data.len());
        self.skip -= skip;
        self.offset += skip as u64;
        data = &data[skip..];
        // First complete what the last push left.
        while !self.carry.is_empty() && !data.is_empty() {
            let want = match self.stride {
                Some(stride) if self.carry[0] == SYNC_BYTE => stride,
                _ => MAX_CARRY,
            };
            let take = want.saturating_sub(self.carry.len()).min(data.len());
            self.carry.extend_from_slice(&data[..take]);
            data = &data[take..];
            if self.carry.len() < want {
                return Ok(());
            }
            let mut carry = std::mem::take(&mut self.carry);
            let used = self.scan(&carry, false, out);
            self.offset += used as u64;
            carry.drain(..used);
            self.carry = carry;
            if self.skip > 0 {
                let skip = self.skip.min(data.len());
                self.skip -= skip;
                self.offset += skip as u64;
                data = &data[skip..];
            }
        }
        let used = self.scan(data, false, out);
        self.offset += used as u64;
        self.carry.extend_from_slice(&data[used..]);
        Ok(())
    }

    /// The end of the input: puts out the PES packets still open (those of
    /// unbounded length end here) and the samples held for their duration.
    /// A second call does nothing.
    ///
    /// # Errors
    ///
    /// None yet; the signature leaves room for a stream that must not end
    /// where it does.
    pub fn finish(&mut self) -> Result<(), TsDemuxError> {
        let mut events = std::mem::take(&mut self.events);
        let result = self.finish_to(&mut events);
        self.events = events;
        result
    }

    fn finish_to(&mut self, out: &mut impl Emit) -> Result<(), TsDemuxError> {
        if self.finished {
            return Ok(());
        }
        self.finished = true;
        if !self.carry.is_empty() {
            let carry = std::mem::take(&mut self.carry);
            let used = self.scan(&carry, true, out);
            self.offset += used as u64;
        }
        for i in 0..self.pids.len() {
            if let PidKind::Es(es) = &mut self.pids[i].kind {
                es.finish(out);
            }
        }
        Ok(())
    }

    /// Reads the packets at the start of `data`; returns the bytes used.
    /// Without `at_end`, stops where a packet (or the look-ahead that
    /// confirms sync) would run past the end.
    fn scan(&mut self, data: &[u8], at_end: bool, out: &mut impl Emit) -> usize {
        let mut pos = 0;
        loop {
            if self.stride == Some(PACKET_SIZE) {
                pos += self.packets_188(&data[pos..], out);
            }
            let rest = &data[pos..];
            match self.stride {
                Some(stride) if rest.first() == Some(&SYNC_BYTE) => {
                    if rest.len() < PACKET_SIZE {
                        return if at_end { data.len() } else { pos };
                    }
                    let packet: &[u8; PACKET_SIZE] = match rest[..PACKET_SIZE].try_into() {
                        Ok(p) => p,
                        Err(_) => return data.len(),
                    };
                    self.packet(packet, out);
                    if rest.len() < stride {
                        // The stride's tail (time code or parity) comes
                        // with the next push.
                        self.skip = stride - rest.len();
                        return data.len();
                    }
                    pos += stride;
                }
                _ => {
                    // Out of sync: find three sync bytes a stride apart.
                    if rest.is_empty() {
                        return pos;
                    }
                    if self.stride.take().is_some() || self.lost_since.is_none() {
                        self.lost_since = Some(self.offset + pos as u64);
                    }
                    match find_sync(rest) {
                        Sync::Found(skip, stride) => {
                            pos += skip;
                            self.stride = Some(stride);
                            let lost = self.lost_since.take().unwrap_or(0);
                            let skipped = self.offset + pos as u64 - lost;
                            if skipped > 0 || self.packets > 0 {
                                out.push_back(TsEvent::Resync {
                                    offset: lost,
                                    skipped,
                                    stride,
                                });
                            }
                        }
                        // Not enough look-ahead after a candidate: keep it.
                        Sync::Undecided(at) if !at_end => return pos + at,
                        _ if at_end => return data.len(),
                        _ => return data.len(),
                    }
                }
            }
        }
    }

    fn add_pid(&mut self, pid: u16, kind: PidKind) -> bool {
        let slot = usize::from(pid & 0x1FFF);
        if self.pid_slots[slot] != 0 {
            return true;
        }
        if self.pids.len() >= 250 {
            return false;
        }
        self.pids.push(PidState {
            pid,
            continuity: None,
            section: SectionBuffer::default(),
            kind,
        });
        self.pid_slots[slot] = self.pids.len() as u8;
        true
    }

    fn remove_pid(&mut self, pid: u16, out: &mut impl Emit) {
        let slot = usize::from(pid & 0x1FFF);
        let index = self.pid_slots[slot];
        if index == 0 {
            return;
        }
        let mut removed = self.pids.swap_remove(usize::from(index - 1));
        if let PidKind::Es(es) = &mut removed.kind {
            es.finish(out);
        }
        self.pid_slots[slot] = 0;
        if let Some(moved) = self.pids.get(usize::from(index - 1)) {
            self.pid_slots[usize::from(moved.pid)] = index;
        }
    }

    fn es_count(&self) -> usize {
        self.pids
            .iter()
            .filter(|p| matches!(p.kind, PidKind::Es(_)))
            .count()
    }

    /// Back-to-back 188-byte packets at the start of `data` (the common
    /// stream): the packets read, up to the first without its sync byte or
    /// the last whole one; returns the bytes used.
    fn packets_188(&mut self, data: &[u8], out: &mut impl Emit) -> usize {
        let mut used = 0;
        for p in data.chunks_exact(PACKET_SIZE) {
            let Ok(p) = <&[u8; PACKET_SIZE]>::try_from(p) else {
                break;
            };
            if p[0] != SYNC_BYTE {
                break;
            }
            self.packet(p, out);
            used += PACKET_SIZE;
        }
        used
    }

    /// One 188-byte transport packet.
    #[inline(always)]
    fn packet(&mut self, p: &[u8; PACKET_SIZE], out: &mut impl Emit) {
        let index = self.packets;
        self.packets += 1;
        let pid = u16::from_be_bytes([p[1] & 0x1F, p[2]]);
        // The common packet first: no error indicator, payload, no
        // discontinuity, on a followed elementary stream, with the next
        // continuity counter. Everything else takes the general path,
        // which reads the same packet again from the start.
        let control = p[3] & 0x30;
        if p[1] & 0x80 == 0 && control & 0x10 != 0 && pid != 0x1FFF {
            let (start, flags) = if control & 0x20 == 0 {
                (4, 0)
            } else if p[4] == 0 {
                (5, 0)
            } else {
                (5 + usize::from(p[4]), p[5])
            };
            let slot = usize::from(self.pid_slots[usize::from(pid)]);
            if start < PACKET_SIZE
                && flags & 0x80 == 0
                && let Some(state) = self.pids.get_mut(slot.wrapping_sub(1))
                && let PidKind::Es(es) = &mut state.kind
                && let Some(last) = state.continuity
                && (last + 1) & 0x0F == p[3] & 0x0F
            {
                state.continuity = Some(p[3] & 0x0F);
                if flags & 0x10 != 0 && start >= 12 {
                    out.push_with(|| pcr_event(pid, p, index));
                }
                es.payload(&p[start..], p[1] & 0x40 != 0, flags & 0x40 != 0, index, out);
                return;
            }
        }
        self.packet_general(p, pid, index, out);
    }

    /// One 188-byte transport packet, any packet: the error indicator, the
    /// adaptation field's checks, continuity errors and duplicates, PSI.
    #[inline(never)]
    fn packet_general(&mut self, p: &[u8; PACKET_SIZE], pid: u16, index: u64, out: &mut impl Emit) {
        if pid == 0x1FFF {
            return;
        }
        if p[1] & 0x80 != 0 {
            out.push_back(TsEvent::Error(TsDemuxError::TransportError {
                pid,
                packet: index,
            }));
            return;
        }
        let unit_start = p[1] & 0x40 != 0;
        let control = (p[3] >> 4) & 0x03;
        let cc = p[3] & 0x0F;
        let has_payload = control & 0x01 != 0;
        let mut start = 4;
        let mut discontinuity = false;
        let mut random_access = false;
        if control & 0x02 != 0 {
            let length = p[4];
            start = 5 + usize::from(length);
            if start > PACKET_SIZE || (has_payload && length > 182) {
                out.push_back(TsEvent::Error(TsDemuxError::AdaptationField {
                    pid,
                    packet: index,
                    length,
                }));
                return;
            }
            if length > 0 {
                let flags = p[5];
                discontinuity = flags & 0x80 != 0;
                random_access = flags & 0x40 != 0;
                if flags & 0x10 != 0 && length >= 7 {
                    out.push_with(|| pcr_event(pid, p, index));
                }
            }
        }
        if discontinuity {
            out.push_back(TsEvent::Discontinuity { pid, packet: index });
        }
        let slot = self.pid_slots[usize::from(pid)];
        if slot == 0 {
            return;
        }
        let i = usize::from(slot - 1);
        let mut lost = None;
        {
            let state = &mut self.pids[i];
            if has_payload {
                match state.continuity {
                    Some(last) if !discontinuity => {
                        let expected = (last + 1) & 0x0F;
                        if cc == last {
                            // A duplicate packet (allowed once): skip it.
                            return;
                        }
                        if cc != expected {
                            lost = Some(ContinuityError {
                                pid,
                                expected,
                                found: cc,
                                missing: cc.wrapping_sub(expected) & 0x0F,
                                packet: index,
                            });
                        }
                    }
                    _ => {}
                }
                state.continuity = Some(cc);
            } else if discontinuity {
                state.continuity = None;
            }
        }
        let state = &mut self.pids[i];
        match (&mut state.kind, lost) {
            (PidKind::Es(es), Some(gap)) => es.lost(out, gap),
            (_, Some(gap)) => out.push_back(TsEvent::ContinuityError(gap)),
            _ => {}
        }
        if !has_payload {
            return;
        }
        let payload = &p[start..];
        let state = &mut self.pids[i];
        match &mut state.kind {
            PidKind::Es(es) => {
                es.payload(payload, unit_start, random_access, index, out);
            }
            PidKind::Pat | PidKind::Pmt { .. } => {
                if lost.is_some() {
                    state.section.open = false;
                    state.section.buf.clear();
                }
                self.section_payload(i, payload, unit_start, index, out);
            }
        }
    }

    /// PSI payload on the PID at `i`: sections, possibly over several
    /// packets, several in one packet.
    fn section_payload(
        &mut self,
        i: usize,
        payload: &[u8],
        unit_start: bool,
        packet: u64,
        out: &mut impl Emit,
    ) {
        let pid = self.pids[i].pid;
        let mut data = payload;
        if unit_start {
            let Some((&pointer, rest)) = data.split_first() else {
                return;
            };
            let pointer = usize::from(pointer);
            if pointer > rest.len() {
                self.section_error(pid, packet, "pointer_field past the packet", out);
                let s = &mut self.pids[i].section;
                s.open = false;
                s.buf.clear();
                return;
            }
            if self.pids[i].section.open {
                let head = &rest[..pointer];
                self.pids[i].section.buf.extend_from_slice(head);
                self.drain_sections(i, packet, out);
            }
            let s = &mut self.pids[i].section;
            s.buf.clear();
            s.open = true;
            data = &rest[pointer..];
        } else if !self.pids[i].section.open {
            return;
        }
        let s = &mut self.pids[i].section;
        if s.buf.len() + data.len() > MAX_SECTION + PACKET_SIZE {
            s.open = false;
            s.buf.clear();
            self.section_error(pid, packet, "section longer than 1024 bytes", out);
            return;
        }
        s.buf.extend_from_slice(data);
        self.drain_sections(i, packet, out);
    }

    /// Handles every complete section at the start of the PID's buffer.
    fn drain_sections(&mut self, i: usize, packet: u64, out: &mut impl Emit) {
        loop {
            let s = &self.pids[i].section;
            if !s.open {
                return;
            }
            let Some(&table_id) = s.buf.first() else {
                return;
            };
            if table_id == 0xFF {
                // Stuffing: the rest of the packet is padding.
                let s = &mut self.pids[i].section;
                s.open = false;
                s.buf.clear();
                return;
            }
            if s.buf.len() < 3 {
                return;
            }
            let length = usize::from(u16::from_be_bytes([s.buf[1] & 0x0F, s.buf[2]]));
            let total = 3 + length;
            if length > MAX_SECTION - 3 {
                let pid = self.pids[i].pid;
                let s = &mut self.pids[i].section;
                s.open = false;
                s.buf.clear();
                self.section_error(pid, packet, "section_length over 1021", out);
                return;
            }
            if s.buf.len() < total {
                return;
            }
            let mut section = std::mem::take(&mut self.pids[i].section.buf);
            let pid = self.pids[i].pid;
            self.section(i, pid, &section[..total], packet, out);
            section.drain(..total);
            // `section` may have moved: index again.
            let Some(state) = self.pids.get_mut(i).filter(|s| s.pid == pid) else {
                return;
            };
            state.section.buf = section;
            if state.section.buf.is_empty() {
                state.section.open = false;
                return;
            }
        }
    }

    fn section_error(&mut self, pid: u16, packet: u64, reason: &'static str, out: &mut impl Emit) {
        out.push_back(TsEvent::Error(TsDemuxError::Section {
            pid,
            packet,
            reason,
        }));
    }

    /// One complete section on the PID at `i`.
    fn section(&mut self, i: usize, pid: u16, s: &[u8], packet: u64, out: &mut impl Emit) {
        if self.pids[i].section.last == s {
            return;
        }
        if s.len() < 12 || s[1] & 0x80 == 0 {
            return self.section_error(pid, packet, "not a long-form section", out);
        }
        if crc32_mpeg2(s) != 0 {
            return self.section_error(pid, packet, "CRC_32 mismatch", out);
        }
        let current = s[5] & 0x01 != 0;
        if !current {
            return;
        }
        let version = (s[5] >> 1) & 0x1F;
        let body = &s[8..s.len() - 4];
        let applied = match self.pids[i].kind {
            PidKind::Pat if s[0] == 0x00 => {
                self.pat(version, body, packet, out);
                true
            }
            PidKind::Pmt { program_number } if s[0] == 0x02 => {
                let number = u16::from_be_bytes([s[3], s[4]]);
                number == program_number && self.pmt(pid, number, version, body, packet, out)
            }
            _ => false,
        };
        // The PID's state may have moved (streams removed): find it again.
        let slot = self.pid_slots[usize::from(pid)];
        if applied && slot != 0 {
            let last = &mut self.pids[usize::from(slot - 1)].section.last;
            last.clear();
            last.extend_from_slice(s);
        }
    }

    fn pat(&mut self, version: u8, body: &[u8], packet: u64, out: &mut impl Emit) {
        if self.pat_version == Some(version) {
            return;
        }
        self.pat_version = Some(version);
        let mut listed: Vec<(u16, u16)> = Vec::new();
        for entry in body.chunks_exact(4) {
            let number = u16::from_be_bytes([entry[0], entry[1]]);
            let pmt_pid = u16::from_be_bytes([entry[2] & 0x1F, entry[3]]);
            if number != 0 {
                listed.push((number, pmt_pid));
            }
        }
        // Programs gone (or moved): their PMT PID and streams go.
        let gone: Vec<usize> = (0..self.programs.len())
            .filter(|&k| {
                let p = &self.programs[k];
                !listed.contains(&(p.number, p.pmt_pid))
            })
            .collect();
        for k in gone.into_iter().rev() {
            let p = self.programs.remove(k);
            self.remove_pid(p.pmt_pid, out);
            let streams: Vec<u16> = self
                .pids
                .iter()
                .filter_map(|s| match &s.kind {
                    PidKind::Es(es) if es.program_number == p.number => Some(s.pid),
                    _ => None,
                })
                .collect();
            for pid in streams {
                self.remove_pid(pid, out);
            }
        }
        for (number, pmt_pid) in listed {
            if self.programs.iter().any(|p| p.number == number) {
                continue;
            }
            if self.programs.len() >= MAX_PROGRAMS
                || self.pid_slots[usize::from(pmt_pid)] != 0
                || !self.add_pid(
                    pmt_pid,
                    PidKind::Pmt {
                        program_number: number,
                    },
                )
            {
                out.push_back(TsEvent::Error(TsDemuxError::TooMany {
                    pid: pmt_pid,
                    what: "programs",
                    limit: MAX_PROGRAMS,
                }));
                continue;
            }
            let _ = packet;
            self.programs.push(ProgramState {
                number,
                pmt_pid,
                version: None,
            });
        }
    }

    /// Applies a PMT section; false when it was not applied (no such
    /// program, entries that do not parse).
    fn pmt(
        &mut self,
        pmt_pid: u16,
        number: u16,
        version: u8,
        body: &[u8],
        packet: u64,
        out: &mut impl Emit,
    ) -> bool {
        let Some(k) = self.programs.iter().position(|p| p.number == number) else {
            return false;
        };
        if self.programs[k].version == Some(version) {
            return true;
        }
        let Some(program) = parse_pmt(pmt_pid, number, version, body) else {
            self.section_error(pmt_pid, packet, "PMT entries run past the section", out);
            return false;
        };
        self.programs[k].version = Some(version);
        // Streams of this program no longer listed, or listed with another
        // codec, go; new ones come.
        let old: Vec<(u16, Option<EsCodec>)> = self
            .pids
            .iter()
            .filter_map(|s| match &s.kind {
                PidKind::Es(es) if es.program_number == number => Some((s.pid, Some(es.codec))),
                _ => None,
            })
            .collect();
        for (pid, codec) in &old {
            let keep = program
                .streams
                .iter()
                .any(|s| s.pid == *pid && EsCodec::of(s) == *codec);
            if !keep {
                self.remove_pid(*pid, out);
            }
        }
        for stream in &program.streams {
            let Some(codec) = EsCodec::of(stream) else {
                continue;
            };
            let slot = self.pid_slots[usize::from(stream.pid)];
            if slot != 0 {
                continue;
            }
            if stream.pid < 0x10 || stream.pid == pmt_pid {
                continue;
            }
            if self.es_count() >= MAX_DEMUXED_STREAMS {
                out.push_back(TsEvent::Error(TsDemuxError::TooMany {
                    pid: stream.pid,
                    what: "elementary streams",
                    limit: MAX_DEMUXED_STREAMS,
                }));
                continue;
            }
            let es = EsState::new(stream.pid, number, codec, stream.language, &self.config);
            if !self.add_pid(stream.pid, PidKind::Es(es)) {
                out.push_back(TsEvent::Error(TsDemuxError::TooMany {
                    pid: stream.pid,
                    what: "elementary streams",
                    limit: MAX_DEMUXED_STREAMS,
                }));
            }
        }
        out.push_back(TsEvent::Program(program));
        true
    }
}

/// The PCR event of packet `index`, whose adaptation field has the
/// `PCR_flag` and room for it.
#[inline(always)]
fn pcr_event(pid: u16, p: &[u8; PACKET_SIZE], index: u64) -> TsEvent {
    let b = [p[6], p[7], p[8], p[9], p[10], p[11]];
    let base = (u64::from(b[0]) << 25)
        | (u64::from(b[1]) << 17)
        | (u64::from(b[2]) << 9)
        | (u64::from(b[3]) << 1)
        | u64::from(b[4] >> 7);
    let extension = (u16::from(b[4] & 0x01) << 8) | u16::from(b[5]);
    TsEvent::Pcr {
        pid,
        pcr: Pcr {
            base: MpegTsTimestamp::new(base),
            extension,
        },
        packet: index,
    }
}

enum Sync {
    /// Sync at this offset, with this stride.
    Found(usize, usize),
    /// A sync byte at this offset that the bytes so far cannot confirm.
    Undecided(usize),
    /// No sync byte that could start sync.
    None,
}

/// Where sync starts in `data`, and the stride: a sync byte with two more
/// a stride apart (188 first, then 192, then 204).
fn find_sync(data: &[u8]) -> Sync {
    let mut from = 0;
    while let Some(i) = memchr::memchr(SYNC_BYTE, &data[from..]) {
        let at = from + i;
        for stride in STRIDES {
            let confirmed = (1..3).all(|k| data.get(at + k * stride) == Some(&SYNC_BYTE));
            if confirmed {
                return Sync::Found(at, stride);
            }
        }
        if data.len() <= at + 2 * 204 {
            return Sync::Undecided(at);
        }
        from = at + 1;
    }
    Sync::None
}
