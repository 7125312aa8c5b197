//! The depacketizer H.264 and H.265 share: packets in sequence order back
//! into whole access units.

use std::collections::VecDeque;

use bytes::{BufMut, Bytes, BytesMut};
use memchr::memmem;
use streamkit_core::time::{RtpTimestamp, SequenceNumber, Wrapping};

use super::{AP, Codec, FU, FU_A, STAP_A};
use crate::packet::RtpPacket;
use crate::payload::{AccessUnit, Depacketized, Loss, NalForm, PayloadError};

/// The fragmented NAL unit being put back together.
#[derive(Debug, Clone, Copy)]
struct FragmentInProgress {
    /// Where its prefix starts in the access unit buffer.
    prefix_at: usize,
}

/// The access unit being put back together.
#[derive(Debug, Clone, Copy)]
struct UnitInProgress {
    timestamp: RtpTimestamp,
    first: SequenceNumber,
    last: SequenceNumber,
    keyframe: bool,
    /// Data were lost or refused: the unit is dropped at its end.
    damaged: bool,
}

/// The depacketizer both formats share.
#[derive(Debug)]
pub(crate) struct Depacketizer {
    codec: Codec,
    form: NalForm,
    max_access_unit: usize,
    buf: BytesMut,
    unit: Option<UnitInProgress>,
    fragment: Option<FragmentInProgress>,
    expected: Option<SequenceNumber>,
    sets: [Option<Bytes>; 3],
    sets_changed: bool,
    awaiting_keyframe: bool,
    events: VecDeque<Depacketized>,
    finder: memmem::Finder<'static>,
}

const START_CODE: [u8; 4] = [0, 0, 0, 1];

/// The smallest growth of the reassembly buffer. Access units are split off
/// it, so one chunk serves several small units; a unit kept by the caller
/// keeps its chunk alive.
const ALLOCATION_CHUNK: usize = 64 * 1024;

impl Depacketizer {
    pub(crate) fn new(codec: Codec, form: NalForm, max_access_unit: usize) -> Depacketizer {
        Depacketizer {
            codec,
            form,
            max_access_unit,
            buf: BytesMut::new(),
            unit: None,
            fragment: None,
            expected: None,
            sets: [None, None, None],
            sets_changed: false,
            awaiting_keyframe: false,
            events: VecDeque::new(),
            finder: memmem::Finder::new(&[0, 0, 1]),
        }
    }

    pub(crate) fn set_max_access_unit(&mut self, limit: usize) {
        self.max_access_unit = limit;
    }

    pub(crate) fn poll(&mut self) -> Option<Depacketized> {
        self.events.pop_front()
    }

    /// The stream ended: the access unit in progress ends here (given when
    /// whole, as a marker bit would end it). A second call does nothing.
    pub(crate) fn finish(&mut self) {
        if let Some(last) = self.unit.map(|u| u.last) {
            self.end_unit(last);
        }
    }

    pub(crate) fn parameter_sets(&self) -> impl Iterator<Item = &Bytes> {
        self.sets.iter().flatten()
    }

    fn prefix_len(&self) -> usize {
        match self.form {
            NalForm::AnnexB => 4,
            NalForm::LengthPrefixed(size) => usize::from(size.bytes()),
        }
    }

    /// Reports a loss; the first since the last keyframe asks for one.
    fn report_loss(&mut self, lost_packets: u16, seq: SequenceNumber, dropped: u32) {
        let keyframe_request = !self.awaiting_keyframe;
        self.awaiting_keyframe = true;
        self.events.push_back(Depacketized::Loss(Loss {
            lost_packets,
            sequence_number: seq,
            dropped_access_units: dropped,
            keyframe_request,
        }));
    }

    /// Drops the unit in progress, reporting it when it held data (unless
    /// already reported).
    fn damage(&mut self, seq: SequenceNumber) {
        let held_data = !self.buf.is_empty();
        if let Some(unit) = self.unit.as_mut()
            && !unit.damaged
        {
            unit.damaged = true;
            if held_data {
                self.report_loss(0, seq, 1);
            }
        }
        self.buf.clear();
        self.fragment = None;
    }

    /// Ends the unit in progress: emits it when whole.
    fn end_unit(&mut self, seq: SequenceNumber) {
        if self.fragment.is_some() {
            // Its last fragment never came (or came without the end bit).
            self.damage(seq);
        }
        if self.sets_changed {
            self.sets_changed = false;
            let sets = self.sets.iter().flatten().cloned().collect();
            self.events.push_back(Depacketized::ParameterSets(sets));
        }
        if let Some(unit) = self.unit.take()
            && !unit.damaged
            && !self.buf.is_empty()
        {
            if unit.keyframe {
                self.awaiting_keyframe = false;
            }
            let data = self.buf.split().freeze();
            self.events.push_back(Depacketized::AccessUnit(AccessUnit {
                timestamp: unit.timestamp,
                keyframe: unit.keyframe,
                data,
                form: self.form,
                first_sequence_number: unit.first,
                last_sequence_number: unit.last,
            }));
        }
        self.buf.clear();
        self.fragment = None;
    }

    pub(crate) fn push(&mut self, packet: &RtpPacket) -> Result<(), PayloadError> {
        let seq = packet.sequence_number();
        let ts = packet.timestamp();
        let mut lost = 0u16;
        if let Some(expected) = self.expected {
            match expected.distance_to(seq) {
                0 => {}
                d if d < 0 => return Ok(()), // a duplicate or a late packet
                d => lost = u16::try_from(d).unwrap_or(u16::MAX),
            }
        }
        self.expected = Some(seq.next());
        let new_timestamp = self.unit.is_some_and(|u| u.timestamp != ts);
        if lost > 0 {
            // The lost packets may have been the tail of the unit in
            // progress and the head of this packet's unit: both are dropped.
            let mut dropped = 1;
            if let Some(unit) = self.unit.as_mut() {
                if new_timestamp && !unit.damaged {
                    dropped += 1;
                }
                unit.damaged = true;
            }
            self.buf.clear();
            self.fragment = None;
            if new_timestamp {
                self.end_unit(seq);
            }
            self.report_loss(lost, seq, dropped);
        } else if new_timestamp {
            // A new timestamp starts a new access unit, marker bit or not.
            self.end_unit(seq);
        }
        let unit = self.unit.get_or_insert(UnitInProgress {
            timestamp: ts,
            first: seq,
            last: seq,
            keyframe: false,
            damaged: lost > 0,
        });
        unit.last = seq;
        let damaged = unit.damaged;
        let result = if damaged {
            Ok(())
        } else {
            self.payload(packet.payload_bytes(), seq)
        };
        if result.is_err() {
            self.damage(seq);
        }
        if packet.marker() {
            self.end_unit(seq);
        }
        result
    }

    fn payload(&mut self, payload: &[u8], seq: SequenceNumber) -> Result<(), PayloadError> {
        let malformed = |what, offset| PayloadError::Malformed {
            what,
            sequence_number: Some(seq.0),
            offset,
        };
        let header_len = self.codec.header_len();
        if payload.len() < header_len {
            return Err(malformed("payload shorter than a NAL unit header", 0));
        }
        let b0 = payload.first().copied().unwrap_or(0);
        let t = self.codec.nal_type(b0);
        let unsupported = |what| PayloadError::Unsupported {
            what,
            packet_type: t,
            sequence_number: seq.0,
        };
        if payload.starts_with(&[0, 0, 1]) || payload.starts_with(&[0, 0, 0, 1]) {
            // A camera sent Annex-B: a start code where the header belongs.
            return self.single(payload, seq);
        }
        match (self.codec, t) {
            (Codec::H264, 1..=23) | (Codec::H265, 0..=47) => self.single(payload, seq),
            (Codec::H264, STAP_A) | (Codec::H265, AP) => {
                let mut pos = header_len;
                let mut count = 0usize;
                while pos < payload.len() {
                    let size = payload
                        .get(pos..pos + 2)
                        .map_or(0, |s| usize::from(u16::from_be_bytes([s[0], s[1]])));
                    if size == 0 {
                        // Padding after the last unit (seen from cameras).
                        break;
                    }
                    let unit = payload
                        .get(pos + 2..pos + 2 + size)
                        .ok_or(malformed("aggregation unit runs past the payload", pos))?;
                    self.single(unit, seq)?;
                    count += 1;
                    pos += 2 + size;
                }
                if count == 0 {
                    return Err(malformed("aggregation packet without units", header_len));
                }
                Ok(())
            }
            (Codec::H264, FU_A) | (Codec::H265, FU) => self.fragment(payload, seq),
            (Codec::H264, 25) => Err(unsupported("STAP-B (interleaved mode)")),
            (Codec::H264, 26) => Err(unsupported("MTAP16 (interleaved mode)")),
            (Codec::H264, 27) => Err(unsupported("MTAP24 (interleaved mode)")),
            (Codec::H264, 29) => Err(unsupported("FU-B (interleaved mode)")),
            (Codec::H265, 50) => Err(unsupported("PACI packet")),
            _ => Err(unsupported("reserved NAL unit type")),
        }
    }

    fn fragment(&mut self, payload: &[u8], seq: SequenceNumber) -> Result<(), PayloadError> {
        let header_len = self.codec.header_len();
        let Some(&fu_header) = payload.get(header_len) else {
            return Err(PayloadError::Malformed {
                what: "fragmentation unit without its FU header",
                sequence_number: Some(seq.0),
                offset: header_len,
            });
        };
        let (start, end) = (fu_header & 0x80 != 0, fu_header & 0x40 != 0);
        let data = payload.get(header_len + 1..).unwrap_or_default();
        if start {
            if self.fragment.is_some() {
                // The previous unit's end never came.
                return Err(PayloadError::Malformed {
                    what: "fragment start before the previous fragmented unit ended",
                    sequence_number: Some(seq.0),
                    offset: header_len,
                });
            }
            let b0 = payload.first().copied().unwrap_or(0);
            let mut nal_header = [0u8; 2];
            match self.codec {
                Codec::H264 => nal_header[0] = (b0 & 0xe0) | (fu_header & 0x1f),
                Codec::H265 => {
                    nal_header[0] = (b0 & 0x81) | ((fu_header & 0x3f) << 1);
                    nal_header[1] = payload.get(1).copied().unwrap_or(0);
                }
            }
            let prefix_at = self.buf.len();
            self.reserve(self.prefix_len() + header_len + data.len(), seq)?;
            match self.form {
                NalForm::AnnexB => self.buf.put_slice(&START_CODE),
                NalForm::LengthPrefixed(size) => {
                    self.buf.put_bytes(0, usize::from(size.bytes()));
                }
            }
            self.buf.put_slice(&nal_header[..header_len]);
            self.buf.put_slice(data);
            self.fragment = Some(FragmentInProgress { prefix_at });
        } else {
            if self.fragment.is_none() {
                return Err(PayloadError::Malformed {
                    what: "fragment without its start",
                    sequence_number: Some(seq.0),
                    offset: header_len,
                });
            }
            self.reserve(data.len(), seq)?;
            self.buf.put_slice(data);
        }
        if end && let Some(f) = self.fragment.take() {
            self.end_fragment(f, seq)?;
        }
        Ok(())
    }

    /// Closes a reassembled unit: its length prefix, or a split when it
    /// holds start codes.
    fn end_fragment(
        &mut self,
        f: FragmentInProgress,
        seq: SequenceNumber,
    ) -> Result<(), PayloadError> {
        let body = f.prefix_at + self.prefix_len();
        let has_start_code = self
            .buf
            .get(body..)
            .is_some_and(|nal| self.finder.find(nal).is_some());
        if has_start_code {
            // A camera put Annex-B start codes inside: split (rare, a copy).
            let nal = Bytes::copy_from_slice(self.buf.get(body..).unwrap_or_default());
            self.buf.truncate(f.prefix_at);
            return self.single(&nal, seq);
        }
        let len = self.buf.len() - body;
        if let NalForm::LengthPrefixed(size) = self.form {
            if len > size.max_unit_len() {
                return Err(self.too_long(seq));
            }
            let n = usize::from(size.bytes());
            let bytes = (len as u64).to_be_bytes();
            if let (Some(dst), Some(src)) = (
                self.buf.get_mut(f.prefix_at..body),
                bytes.get(bytes.len() - n..),
            ) {
                dst.copy_from_slice(src);
            }
        }
        let b0 = self.buf.get(body).copied().unwrap_or(0);
        let range = body..self.buf.len();
        self.note_unit(b0, range);
        Ok(())
    }

    fn too_long(&self, seq: SequenceNumber) -> PayloadError {
        PayloadError::Malformed {
            what: "NAL unit longer than the output length prefix can say",
            sequence_number: Some(seq.0),
            offset: 0,
        }
    }

    fn reserve(&mut self, more: usize, seq: SequenceNumber) -> Result<(), PayloadError> {
        if self.buf.len().saturating_add(more) > self.max_access_unit {
            return Err(PayloadError::AccessUnitTooLarge {
                limit: self.max_access_unit,
                sequence_number: seq.0,
            });
        }
        if self.buf.capacity() - self.buf.len() < more {
            // Grow by doubling within a unit and by whole chunks across
            // units (each unit is split off the chunk), so allocations stay
            // few per access unit whatever the packet count.
            let chunk = more.max(self.buf.len()).max(ALLOCATION_CHUNK);
            self.buf.reserve(chunk.min(self.max_access_unit));
        }
        Ok(())
    }

    /// Adds whole NAL units from a single NAL unit packet or an aggregation
    /// unit, splitting at any Annex-B start codes inside.
    fn single(&mut self, nal: &[u8], seq: SequenceNumber) -> Result<(), PayloadError> {
        match self.finder.find(nal) {
            None => self.add_unit(nal, seq),
            Some(first) => {
                let mut end = first;
                while end > 0 && nal.get(end - 1) == Some(&0) {
                    end -= 1;
                }
                if let Some(head) = nal.get(..end).filter(|h| !h.is_empty()) {
                    self.add_unit(head, seq)?;
                }
                let rest = nal.get(first..).unwrap_or_default();
                for unit in streamkit_core::nal::AnnexBSlices::new(rest) {
                    self.add_unit(unit, seq)?;
                }
                Ok(())
            }
        }
    }

    fn add_unit(&mut self, nal: &[u8], seq: SequenceNumber) -> Result<(), PayloadError> {
        if nal.len() < self.codec.header_len() {
            return Err(PayloadError::Malformed {
                what: "NAL unit shorter than its header",
                sequence_number: Some(seq.0),
                offset: 0,
            });
        }
        self.reserve(self.prefix_len() + nal.len(), seq)?;
        match self.form {
            NalForm::AnnexB => self.buf.put_slice(&START_CODE),
            NalForm::LengthPrefixed(size) => {
                if nal.len() > size.max_unit_len() {
                    return Err(self.too_long(seq));
                }
                let bytes = (nal.len() as u64).to_be_bytes();
                let n = usize::from(size.bytes());
                self.buf
                    .put_slice(bytes.get(bytes.len() - n..).unwrap_or_default());
            }
        }
        let start = self.buf.len();
        self.buf.put_slice(nal);
        let b0 = nal.first().copied().unwrap_or(0);
        self.note_unit(b0, start..self.buf.len());
        Ok(())
    }

    /// Notes a finished unit's type: keyframe, parameter sets.
    fn note_unit(&mut self, b0: u8, range: core::ops::Range<usize>) {
        let t = self.codec.nal_type(b0);
        if self.codec.is_keyframe(t)
            && let Some(unit) = self.unit.as_mut()
        {
            unit.keyframe = true;
        }
        if let Some(slot) = self.codec.parameter_set_slot(t) {
            let nal = self.buf.get(range).unwrap_or_default();
            if let Some(stored) = self.sets.get_mut(slot)
                && stored.as_deref() != Some(nal)
            {
                *stored = Some(Bytes::copy_from_slice(nal));
                self.sets_changed = true;
            }
        }
    }
}
