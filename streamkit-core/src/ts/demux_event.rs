//! What the demuxer reports: its events and their parts (programs,
//! samples, continuity errors, PCRs), its errors, and its limits.

use crate::time::MpegTsTimestamp;
use crate::track::Track;

use super::psi::StreamType;

/// The limits of a [`TsDemuxer`](super::TsDemuxer): how large one PES packet may grow.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct TsDemuxConfig {
    /// The largest video PES packet (access unit) kept, in bytes; a larger
    /// one is dropped with [`TsDemuxError::PesTooLarge`].
    pub max_video_pes: usize,
    /// The largest audio PES packet kept, in bytes.
    pub max_audio_pes: usize,
    /// What each elementary stream's PES packets become.
    pub output: TsDemuxOutput,
}

/// What a [`TsDemuxer`](super::TsDemuxer) makes of each elementary stream's
/// PES packets.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum TsDemuxOutput {
    /// Access units: tracks with their codec configuration
    /// ([`TsEvent::Track`]) and samples ([`TsEvent::Sample`]), video as
    /// length-prefixed NAL units, one sample per AAC frame or Opus packet.
    #[default]
    AccessUnits,
    /// The PES packets' payloads as they are, with their times
    /// ([`TsEvent::Pes`]): no codec layer, no tracks, no samples. For a
    /// relay or a recorder that passes the elementary streams on.
    PesPackets,
}

/// A PES packet's payload ([`TsDemuxOutput::PesPackets`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TsPes {
    /// The PID it came on.
    pub pid: u16,
    /// Its `stream_id`.
    pub stream_id: u8,
    /// Its PTS on the 90 kHz clock, extended past the 33-bit wrap (`None`
    /// when the header has none).
    pub pts: Option<i64>,
    /// Its DTS likewise (the PTS when the header has only a PTS).
    pub dts: Option<i64>,
    /// The payload after the PES header (for video, the Annex-B access
    /// unit; for AAC, ADTS frames), a slice of the stream's buffer.
    pub data: bytes::Bytes,
    /// The `random_access_indicator` of its first transport packet.
    pub random_access: bool,
    /// The index of the transport packet that started it.
    pub packet: u64,
}

/// A PES packet with its payload lent from the demuxer's buffer, handed
/// to the sink of [`TsDemuxer::push_with`](super::TsDemuxer::push_with)
/// ([`TsDemuxOutput::PesPackets`]): the fields of [`TsPes`], without an
/// owned `Bytes` (no reference count, and the buffer is reused for the
/// next PES packet of the stream, where it is still in cache).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TsPesRef<'a> {
    /// The PID it came on.
    pub pid: u16,
    /// Its `stream_id`.
    pub stream_id: u8,
    /// Its PTS on the 90 kHz clock, extended past the 33-bit wrap (`None`
    /// when the header has none).
    pub pts: Option<i64>,
    /// Its DTS likewise (the PTS when the header has only a PTS).
    pub dts: Option<i64>,
    /// The payload after the PES header, valid for the sink's call only.
    pub data: &'a [u8],
    /// The `random_access_indicator` of its first transport packet.
    pub random_access: bool,
    /// The index of the transport packet that started it.
    pub packet: u64,
}

impl TsPesRef<'_> {
    /// The same PES packet, its payload copied into an owned [`TsPes`].
    #[must_use]
    pub fn to_pes(&self) -> TsPes {
        TsPes {
            pid: self.pid,
            stream_id: self.stream_id,
            pts: self.pts,
            dts: self.dts,
            data: bytes::Bytes::copy_from_slice(self.data),
            random_access: self.random_access,
            packet: self.packet,
        }
    }
}

/// What the sink of [`TsDemuxer::push_with`](super::TsDemuxer::push_with)
/// is handed: the events [`poll_event`](super::TsDemuxer::poll_event)
/// gives, in the same order, with PES packets lent instead of owned.
#[derive(Debug, PartialEq, Eq)]
pub enum TsEventRef<'a> {
    /// A PES packet ([`TsDemuxOutput::PesPackets`]), its payload lent.
    Pes(TsPesRef<'a>),
    /// Every other event (samples included), owned, as
    /// [`poll_event`](super::TsDemuxer::poll_event) gives it.
    Event(TsEvent),
}

impl TsEventRef<'_> {
    /// The event as [`poll_event`](super::TsDemuxer::poll_event) gives it
    /// (a lent PES packet's payload copied).
    #[must_use]
    pub fn into_event(self) -> TsEvent {
        match self {
            TsEventRef::Pes(pes) => TsEvent::Pes(pes.to_pes()),
            TsEventRef::Event(event) => event,
        }
    }
}

/// A complete PES packet's fields, before its payload is handed on.
#[derive(Clone, Copy, Debug)]
pub(super) struct PesHead {
    pub(super) pid: u16,
    pub(super) stream_id: u8,
    pub(super) pts: Option<i64>,
    pub(super) dts: Option<i64>,
    pub(super) random_access: bool,
    pub(super) packet: u64,
}

/// Where the demuxer's layers put what they find: its own queue (for
/// [`poll_event`](super::TsDemuxer::poll_event)) or the caller's sink (for
/// [`push_with`](super::TsDemuxer::push_with)).
pub(super) trait Emit {
    /// PES packets are lent ([`Emit::pes`] leaves the buffer whole, and
    /// [`Emit::lend`] is how a PES packet in one transport packet goes).
    const LENDS: bool;

    /// Puts out the event `make` builds (built in place, see
    /// [`EventQueue::push_with`]).
    fn push_with(&mut self, make: impl FnOnce() -> TsEvent);

    /// Puts out `event`.
    #[inline(always)]
    fn push_back(&mut self, event: TsEvent) {
        self.push_with(|| event);
    }

    /// Puts out a complete PES packet whose payload is `buf[start..]`; the
    /// caller empties `buf` afterwards.
    fn pes(&mut self, head: PesHead, buf: &mut bytes::BytesMut, start: usize);

    /// Puts out a complete PES packet whose payload is `data`, read where
    /// it came (called only when [`Emit::LENDS`]).
    fn lend(&mut self, head: PesHead, data: &[u8]);
}

impl Emit for EventQueue {
    const LENDS: bool = false;

    #[inline(always)]
    fn push_with(&mut self, make: impl FnOnce() -> TsEvent) {
        EventQueue::push_with(self, make);
    }

    /// Owned: the payload is split off the buffer (which keeps the rest of
    /// its capacity for the next PES packet).
    #[inline(always)]
    fn pes(&mut self, head: PesHead, buf: &mut bytes::BytesMut, start: usize) {
        bytes::Buf::advance(buf, start);
        let data = buf.split().freeze();
        self.owned_pes(head, data);
    }

    /// Not called (the queue does not lend); correct all the same, at the
    /// cost of a copy.
    fn lend(&mut self, head: PesHead, data: &[u8]) {
        self.owned_pes(head, bytes::Bytes::copy_from_slice(data));
    }
}

impl EventQueue {
    #[inline(always)]
    fn owned_pes(&mut self, head: PesHead, data: bytes::Bytes) {
        EventQueue::push_with(self, || {
            TsEvent::Pes(TsPes {
                pid: head.pid,
                stream_id: head.stream_id,
                pts: head.pts,
                dts: head.dts,
                data,
                random_access: head.random_access,
                packet: head.packet,
            })
        });
    }
}

/// Where [`TsDemuxer::push_with`](super::TsDemuxer::push_with) hands
/// its events, as they are found: each lent PES packet to
/// [`pes`](TsSink::pes), every other event to [`event`](TsSink::event),
/// in stream order. A closure over [`TsEventRef`] is a sink; a type with
/// the two methods keeps the PES path a direct call of its own.
pub trait TsSink {
    /// A PES packet ([`TsDemuxOutput::PesPackets`]), its payload lent for
    /// the call.
    fn pes(&mut self, pes: TsPesRef<'_>);
    /// Any other event, owned.
    fn event(&mut self, event: TsEvent);
}

impl<F: FnMut(TsEventRef<'_>)> TsSink for F {
    #[inline]
    fn pes(&mut self, pes: TsPesRef<'_>) {
        self(TsEventRef::Pes(pes));
    }

    #[inline]
    fn event(&mut self, event: TsEvent) {
        self(TsEventRef::Event(event));
    }
}

/// A caller's sink as an [`Emit`]: events go to it as they are found.
pub(super) struct Sink<'s, S: ?Sized>(pub(super) &'s mut S);

impl<S: TsSink + ?Sized> Emit for Sink<'_, S> {
    const LENDS: bool = true;

    #[inline(always)]
    fn push_with(&mut self, make: impl FnOnce() -> TsEvent) {
        self.0.event(make());
    }

    /// Lent: the sink reads the payload where it was assembled.
    #[inline(always)]
    fn pes(&mut self, head: PesHead, buf: &mut bytes::BytesMut, start: usize) {
        self.lend(head, buf.get(start..).unwrap_or_default());
    }

    #[inline(always)]
    fn lend(&mut self, head: PesHead, data: &[u8]) {
        self.0.pes(TsPesRef {
            pid: head.pid,
            stream_id: head.stream_id,
            pts: head.pts,
            dts: head.dts,
            data,
            random_access: head.random_access,
            packet: head.packet,
        });
    }
}

impl Default for TsDemuxConfig {
    /// 8 MiB for video (an intra frame of 4K video at a high rate fits),
    /// 256 KiB for audio.
    fn default() -> Self {
        TsDemuxConfig {
            max_video_pes: 8 << 20,
            max_audio_pes: 256 << 10,
            output: TsDemuxOutput::AccessUnits,
        }
    }
}

/// One elementary stream listed in a program's PMT.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TsProgramStream {
    /// Its PID.
    pub pid: u16,
    /// The `stream_type` byte of the PMT.
    pub stream_type: u8,
    /// The codec, when the demuxer reads this stream type (`0x06` counts
    /// as Opus only with the `Opus` registration descriptor); `None` for
    /// streams it lists but does not demux.
    pub codec: Option<StreamType>,
    /// The ISO 639 language descriptor's code, when there is one.
    pub language: Option<[u8; 3]>,
}

/// A program, as its PMT describes it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TsProgram {
    /// `program_number`.
    pub program_number: u16,
    /// The PID its PMT came on.
    pub pmt_pid: u16,
    /// `PCR_PID`.
    pub pcr_pid: u16,
    /// The PMT's `version_number`.
    pub version: u8,
    /// Its elementary streams, in PMT order.
    pub streams: Vec<TsProgramStream>,
}

/// A program clock reference: the 33-bit base (90 kHz) and the 9-bit
/// extension (27 MHz remainder).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Pcr {
    /// `program_clock_reference_base`.
    pub base: MpegTsTimestamp,
    /// `program_clock_reference_extension` (0 to 299).
    pub extension: u16,
}

impl Pcr {
    /// The PCR in 27 MHz ticks.
    #[must_use]
    pub fn ticks_27mhz(self) -> u64 {
        self.base.get() * 300 + u64::from(self.extension)
    }
}

/// A continuity-counter gap: packets of `pid` were lost (or, when
/// `missing` is 0 counted modulo 16, a whole multiple of 16 were).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ContinuityError {
    /// The PID.
    pub pid: u16,
    /// The counter the next packet should have had.
    pub expected: u8,
    /// The counter it had.
    pub found: u8,
    /// Packets missing before it, modulo 16: `(found - expected) mod 16`.
    pub missing: u8,
    /// The index (from 0, in the whole stream) of the packet that showed it.
    pub packet: u64,
}

/// A sample of a track, with the transport stream's view of it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TsSample {
    /// The PID it came on (also its [`Sample::track_id`]).
    ///
    /// [`Sample::track_id`]: crate::sample::Sample::track_id
    pub pid: u16,
    /// The sample: video on the 90 kHz clock, length-prefixed NAL units
    /// (4-byte lengths, every NAL unit of the access unit kept); AAC on its
    /// sample rate, the raw frame without the ADTS header; Opus on 48 kHz,
    /// the Opus packet without its control header. Decode times are the
    /// extended (wrap-free) PES times; see the [module docs](crate::ts).
    pub sample: crate::sample::Sample,
    /// Presentation time on the 90 kHz clock, extended past the 33-bit wrap
    /// (for the second and later audio frames of a PES packet: the PES's
    /// PTS plus their offset, rounded to the nearest tick).
    pub pts: i64,
    /// Decode time on the 90 kHz clock, extended likewise.
    pub dts: i64,
    /// The bytes the access unit took in the elementary stream: the Annex-B
    /// access unit, the ADTS frame with its header, the Opus packet (its
    /// control header not counted).
    pub coded_len: usize,
    /// The `random_access_indicator` of the PES packet's first transport
    /// packet.
    pub random_access: bool,
    /// The index of the transport packet that started its PES packet.
    pub packet: u64,
}

/// Why a sample was not put out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum SkipReason {
    /// The track's codec configuration is not known yet (no SPS/PPS seen,
    /// no ADTS header read).
    NoConfiguration,
    /// Video after a start or a loss: decoding resumes at the next
    /// keyframe.
    AwaitingKeyframe,
}

/// What the demuxer found. See [`TsDemuxer`](super::TsDemuxer).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum TsEvent {
    /// A program's PMT, the first time or at a new version.
    Program(TsProgram),
    /// A track's codec configuration, known for the first time or changed
    /// (new parameter sets, a new ADTS configuration). Comes before the
    /// track's first sample; its id is the PID.
    Track {
        /// The program it belongs to.
        program_number: u16,
        /// The track (id = PID).
        track: Track,
    },
    /// An access unit.
    Sample(TsSample),
    /// A PES packet, with [`TsDemuxOutput::PesPackets`] (in place of
    /// tracks and samples).
    Pes(TsPes),
    /// A PCR in an adaptation field.
    Pcr {
        /// The PID that carried it.
        pid: u16,
        /// The clock value.
        pcr: Pcr,
        /// The packet's index.
        packet: u64,
    },
    /// The `discontinuity_indicator` of a packet: the time base (or the
    /// continuity counter) of `pid` restarts here.
    Discontinuity {
        /// The PID.
        pid: u16,
        /// The packet's index.
        packet: u64,
    },
    /// Packets were lost on a PID.
    ContinuityError(ContinuityError),
    /// A sample was read but not put out.
    Skipped {
        /// The PID.
        pid: u16,
        /// Its decode time on the 90 kHz clock, extended.
        dts: i64,
        /// Why.
        reason: SkipReason,
    },
    /// The input lost sync and found it again: `skipped` bytes from byte
    /// `offset` on were not transport packets.
    Resync {
        /// Where the lost bytes start.
        offset: u64,
        /// How many were dropped.
        skipped: u64,
        /// The packet stride found (188, 192 or 204).
        stride: usize,
    },
    /// Something in the stream was invalid and was dropped.
    Error(TsDemuxError),
}

/// What was wrong in the transport stream, and where. The demuxer goes on
/// after each (it reports them as [`TsEvent::Error`]); only
/// [`TsDemuxError::Finished`] is returned.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TsDemuxError {
    /// `push` after `finish`.
    #[error("MPEG-TS demuxer: input after finish")]
    Finished,
    /// A packet's `transport_error_indicator` was set; it was dropped.
    #[error("MPEG-TS: packet {packet} (PID {pid:#06x}) has the transport error indicator set")]
    TransportError {
        /// The PID.
        pid: u16,
        /// The packet.
        packet: u64,
    },
    /// A packet's adaptation field does not fit the packet.
    #[error("MPEG-TS: packet {packet} (PID {pid:#06x}): adaptation field of {length} bytes")]
    AdaptationField {
        /// The PID.
        pid: u16,
        /// The packet.
        packet: u64,
        /// The `adaptation_field_length`.
        length: u8,
    },
    /// A PSI section is malformed or fails its CRC.
    #[error("MPEG-TS: section on PID {pid:#06x} ending in packet {packet}: {reason}")]
    Section {
        /// The PID.
        pid: u16,
        /// The packet.
        packet: u64,
        /// What is wrong.
        reason: &'static str,
    },
    /// A PES packet is malformed; it was dropped.
    #[error("MPEG-TS: PES packet on PID {pid:#06x} from packet {packet}: {reason}")]
    Pes {
        /// The PID.
        pid: u16,
        /// The packet that started it.
        packet: u64,
        /// What is wrong.
        reason: &'static str,
    },
    /// A PES packet grew past the limit of [`TsDemuxConfig`]; it was
    /// dropped.
    #[error("MPEG-TS: PES packet on PID {pid:#06x} from packet {packet} is over {limit} bytes")]
    PesTooLarge {
        /// The PID.
        pid: u16,
        /// The packet that started it.
        packet: u64,
        /// The limit.
        limit: usize,
    },
    /// A PES packet was cut by lost packets (a continuity error) or by the
    /// next PES packet before its declared length; it was dropped.
    #[error("MPEG-TS: PES packet on PID {pid:#06x} from packet {packet} is incomplete")]
    PesIncomplete {
        /// The PID.
        pid: u16,
        /// The packet that started it.
        packet: u64,
    },
    /// An access unit could not be read (a bad ADTS header, NAL units or
    /// parameter sets that do not parse, an Opus control header).
    #[error("MPEG-TS: access unit on PID {pid:#06x} from packet {packet}: {reason}")]
    AccessUnit {
        /// The PID.
        pid: u16,
        /// The packet that started its PES packet.
        packet: u64,
        /// What is wrong.
        reason: String,
    },
    /// More programs or elementary streams than the demuxer follows.
    #[error("MPEG-TS: PID {pid:#06x} not followed: more than {limit} {what}")]
    TooMany {
        /// The PID not followed.
        pid: u16,
        /// `programs` or `elementary streams`.
        what: &'static str,
        /// The limit.
        limit: usize,
    },
}

/// The demuxer's events not yet polled, oldest first.
///
/// Slots read from the front by an index and reused once read to the end
/// (what a caller draining after each push does), rather than a ring: an
/// event is written into its slot where it is built (the push is inlined),
/// not built aside and copied in, which costs more than building it.
#[derive(Debug, Default)]
pub(super) struct EventQueue {
    /// `slots[read..end]` are the events not yet polled; slots past `end`
    /// are kept for reuse (all `None`).
    slots: Vec<Option<TsEvent>>,
    read: usize,
    end: usize,
}

impl EventQueue {
    /// Pushes the event `make` builds, built once its slot is known (so
    /// that it is written there, not on the stack and then copied: the copy
    /// reads back what was just written, a store-forwarding stall).
    #[inline(always)]
    pub(super) fn push_with(&mut self, make: impl FnOnce() -> TsEvent) {
        if self.read > 0 {
            self.compact();
        }
        if self.end == self.slots.len() {
            self.slots.push(None);
        }
        if let Some(slot) = self.slots.get_mut(self.end) {
            *slot = Some(make());
            self.end += 1;
        }
    }

    /// Polled in part only: the unread events move to the front.
    #[cold]
    fn compact(&mut self) {
        self.slots[..self.end].rotate_left(self.read);
        self.end -= self.read;
        self.read = 0;
    }

    #[inline(always)]
    pub(super) fn pop_front(&mut self) -> Option<TsEvent> {
        if self.read == self.end {
            return None;
        }
        let event = self.slots.get_mut(self.read)?.take();
        self.read += 1;
        if self.read == self.end {
            self.read = 0;
            self.end = 0;
        }
        event
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn discontinuity(packet: u64) -> TsEvent {
        TsEvent::Discontinuity { pid: 0x100, packet }
    }

    #[test]
    fn event_queue_keeps_order_when_polled_in_part() {
        let mut q = EventQueue::default();
        for k in 0..3 {
            q.push_back(discontinuity(k));
        }
        assert_eq!(q.pop_front(), Some(discontinuity(0)));
        // Pushed after a partial poll: behind the unread ones.
        q.push_back(discontinuity(3));
        q.push_with(|| discontinuity(4));
        for k in 1..5 {
            assert_eq!(q.pop_front(), Some(discontinuity(k)));
        }
        assert_eq!(q.pop_front(), None);
        // Emptied: the slots are reused from the front.
        q.push_back(discontinuity(5));
        assert_eq!(q.pop_front(), Some(discontinuity(5)));
        assert_eq!(q.pop_front(), None);
        assert!(q.slots.len() <= 5 && q.slots.iter().all(Option::is_none));
    }
}
