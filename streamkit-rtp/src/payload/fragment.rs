//! The machinery H.264 (RFC 6184) and H.265 (RFC 7798) share: both carry
//! NAL units as single NAL unit packets, aggregation packets (STAP-A, AP:
//! a payload header then 16-bit sizes and units) and fragmentation units
//! (FU-A, FU: a payload header, an FU header with start / end bits and the
//! original type, then a piece of the unit without its header). They differ
//! only in header sizes and bit layouts, which [`Codec`] holds.

use std::collections::VecDeque;

use bytes::{BufMut, Bytes, BytesMut};
use memchr::memmem;
use streamkit_core::nal::NalLengthSize;
use streamkit_core::time::{RtpTimestamp, SequenceNumber, Wrapping};

use super::{
    AccessUnit, Depacketized, Loss, MAX_AGGREGATED_UNITS, NalForm, PayloadError, RtpPayload,
    RtpPayloadRef,
};
use crate::packet::RtpPacket;

/// The codec whose RTP format is in use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Codec {
    H264,
    H265,
}

/// H.264 types: STAP-A and FU-A (RFC 6184 section 5.2).
const STAP_A: u8 = 24;
const FU_A: u8 = 28;
/// H.265 types: AP, FU, PACI (RFC 7798 section 4.4).
const AP: u8 = 48;
const FU: u8 = 49;

impl Codec {
    /// The NAL unit header's length.
    const fn header_len(self) -> usize {
        match self {
            Codec::H264 => 1,
            Codec::H265 => 2,
        }
    }

    /// The smallest payload budget: an FU with one byte of data.
    pub(crate) const fn min_mtu(self) -> usize {
        self.header_len() + 2
    }

    fn nal_type(self, first: u8) -> u8 {
        match self {
            Codec::H264 => first & 0x1f,
            Codec::H265 => (first >> 1) & 0x3f,
        }
    }

    /// Types the RTP format uses for its own packets, never in a stream.
    fn reserved_for_rtp(self, t: u8) -> bool {
        match self {
            Codec::H264 => t == 0 || t >= 24,
            Codec::H265 => t >= 48,
        }
    }

    fn is_keyframe(self, t: u8) -> bool {
        match self {
            Codec::H264 => t == 5,
            Codec::H265 => (16..=23).contains(&t),
        }
    }

    fn is_aud(self, t: u8) -> bool {
        match self {
            Codec::H264 => t == 9,
            Codec::H265 => t == 35,
        }
    }

    /// The parameter-set slot of type `t` (H.264 SPS, PPS; H.265 VPS, SPS,
    /// PPS), if it is one.
    fn parameter_set_slot(self, t: u8) -> Option<usize> {
        match (self, t) {
            (Codec::H264, 7) | (Codec::H265, 32) => Some(0),
            (Codec::H264, 8) | (Codec::H265, 33) => Some(1),
            (Codec::H265, 34) => Some(2),
            _ => None,
        }
    }
}

fn read_length(bytes: &[u8]) -> usize {
    bytes
        .iter()
        .fold(0usize, |acc, &b| (acc << 8) | usize::from(b))
}

/// Where the next NAL unit of the access unit comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Cursor {
    /// Offset of the next length prefix in the sample.
    data: usize,
    /// Configured parameter sets already given.
    set: usize,
}

/// A NAL unit (or a piece of one) of the access unit or of the configured
/// parameter sets, not yet sliced out.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct UnitRef {
    /// The parameter set, or [`SAMPLE`] for the access unit.
    source: u16,
    start: u32,
    end: u32,
}

/// [`UnitRef::source`] of a unit of the access unit itself.
const SAMPLE: u16 = u16::MAX;

impl UnitRef {
    fn len(self) -> usize {
        (self.end - self.start) as usize
    }

    fn from(self, offset: usize) -> UnitRef {
        UnitRef {
            start: (self.start as usize + offset).min(self.end as usize) as u32,
            ..self
        }
    }

    fn take(self, len: usize) -> UnitRef {
        UnitRef {
            end: (self.start as usize + len).min(self.end as usize) as u32,
            ..self
        }
    }
}

/// One payload as references into the packetizer's buffers: what
/// [`RtpPayload`] and [`RtpPayloadRef`](super::RtpPayloadRef) are made of.
/// An aggregation packet's units are the `count` consecutive units from
/// cursor `from`; other packets carry `first` alone.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Descriptor {
    pub(crate) timestamp: RtpTimestamp,
    pub(crate) marker: bool,
    pub(crate) header: [u8; 3],
    pub(crate) header_len: u8,
    pub(crate) aggregated: bool,
    pub(crate) count: u8,
    pub(crate) sizes: [[u8; 2]; MAX_AGGREGATED_UNITS],
    first: UnitRef,
    from: Cursor,
    pub(crate) len: usize,
}

impl Descriptor {
    #[inline]
    fn new(timestamp: RtpTimestamp, header: &[u8], first: UnitRef) -> Descriptor {
        let mut d = Descriptor {
            timestamp,
            marker: false,
            header: [0; 3],
            header_len: 0,
            aggregated: false,
            count: 1,
            sizes: [[0; 2]; MAX_AGGREGATED_UNITS],
            first,
            from: Cursor { data: 0, set: 0 },
            len: first.len(),
        };
        d.set_header(header);
        d
    }

    #[inline]
    fn set_header(&mut self, header: &[u8]) {
        let n = header.len().min(3);
        self.header[..n].copy_from_slice(&header[..n]);
        self.len = self.len - usize::from(self.header_len) + n;
        self.header_len = n as u8;
    }

    /// The units, resolved against `p` (the packetizer that made this).
    #[inline]
    pub(crate) fn units<'a>(
        &self,
        p: &'a Packetizer,
    ) -> impl ExactSizeIterator<Item = UnitRef> + 'a {
        let (aggregated, first, count) = (self.aggregated, self.first, usize::from(self.count));
        let mut c = self.from;
        (0..count).map(move |_| {
            if !aggregated {
                return first;
            }
            match p.unit_at(c) {
                Some((u, _, n)) => {
                    c = n;
                    u
                }
                None => UnitRef::default(),
            }
        })
    }
}

/// The packetizer both formats share.
#[derive(Debug, Clone)]
pub(crate) struct Packetizer {
    codec: Codec,
    mtu: usize,
    aggregate: bool,
    length_size: NalLengthSize,
    parameter_sets: Vec<Bytes>,
    insert_parameter_sets: bool,
    data: Bytes,
    timestamp: RtpTimestamp,
    cursor: Cursor,
    insert_at: usize,
    sets_len: usize,
    /// The rest of the NAL unit being fragmented, and its header.
    fragment: Option<(UnitRef, [u8; 2])>,
}

impl Packetizer {
    pub(crate) fn new(
        codec: Codec,
        mtu: usize,
        length_size: NalLengthSize,
    ) -> Result<Packetizer, PayloadError> {
        if mtu < codec.min_mtu() {
            return Err(PayloadError::MtuTooSmall {
                mtu,
                min: codec.min_mtu(),
            });
        }
        Ok(Packetizer {
            codec,
            mtu,
            aggregate: true,
            length_size,
            parameter_sets: Vec::new(),
            insert_parameter_sets: false,
            data: Bytes::new(),
            timestamp: RtpTimestamp::new(0),
            cursor: Cursor { data: 0, set: 0 },
            insert_at: 0,
            sets_len: 0,
            fragment: None,
        })
    }

    pub(crate) fn set_single_nal_unit_mode(&mut self) -> Result<(), PayloadError> {
        self.check_sets_fit(&self.parameter_sets, false)?;
        self.aggregate = false;
        Ok(())
    }

    fn check_sets_fit(&self, sets: &[Bytes], aggregate: bool) -> Result<(), PayloadError> {
        for set in sets {
            if set.len() < self.codec.header_len() {
                return Err(PayloadError::InvalidNalUnit {
                    offset: 0,
                    what: "configured parameter set shorter than a NAL unit header",
                });
            }
            if !aggregate && set.len() > self.mtu {
                return Err(PayloadError::TooLargeForSingleNalUnit {
                    offset: None,
                    len: set.len(),
                    mtu: self.mtu,
                });
            }
        }
        Ok(())
    }

    pub(crate) fn set_parameter_sets(&mut self, sets: Vec<Bytes>) -> Result<(), PayloadError> {
        self.check_sets_fit(&sets, self.aggregate)?;
        if sets.len() >= usize::from(SAMPLE) || sets.iter().any(|s| s.len() > u32::MAX as usize) {
            return Err(PayloadError::InvalidNalUnit {
                offset: 0,
                what: "configured parameter sets too many or too large",
            });
        }
        self.parameter_sets = sets;
        self.insert_parameter_sets = true;
        Ok(())
    }

    pub(crate) fn mtu(&self) -> usize {
        self.mtu
    }

    fn pending(&self) -> usize {
        let in_fragment = self.fragment.map_or(0, |(rest, _)| rest.len());
        in_fragment + self.data.len().saturating_sub(self.cursor.data)
    }

    pub(crate) fn push(
        &mut self,
        timestamp: RtpTimestamp,
        data: Bytes,
    ) -> Result<(), PayloadError> {
        let pending = self.pending();
        if pending > 0 || self.cursor.set < self.sets_len {
            return Err(PayloadError::Pending { pending });
        }
        if data.len() > u32::MAX as usize {
            return Err(PayloadError::InvalidNalUnit {
                offset: 0,
                what: "access unit above 4 GiB",
            });
        }
        let n = usize::from(self.length_size.bytes());
        let (mut pos, mut index) = (0usize, 0usize);
        let (mut keyframe, mut in_band_sets, mut insert_at) = (false, false, 0usize);
        while pos < data.len() {
            let prefix = data
                .get(pos..pos + n)
                .ok_or(PayloadError::Truncated { offset: pos })?;
            let len = read_length(prefix);
            let start = pos + n;
            let end = start
                .checked_add(len)
                .filter(|&e| e <= data.len())
                .ok_or(PayloadError::Truncated { offset: pos })?;
            let first = match data.get(start..end) {
                Some(unit) if unit.len() >= self.codec.header_len() => unit[0],
                _ => {
                    return Err(PayloadError::InvalidNalUnit {
                        offset: pos,
                        what: "shorter than a NAL unit header",
                    });
                }
            };
            let t = self.codec.nal_type(first);
            if self.codec.reserved_for_rtp(t) {
                return Err(PayloadError::InvalidNalUnit {
                    offset: pos,
                    what: "NAL unit type reserved for RTP packets",
                });
            }
            if !self.aggregate && len > self.mtu {
                return Err(PayloadError::TooLargeForSingleNalUnit {
                    offset: Some(pos),
                    len,
                    mtu: self.mtu,
                });
            }
            keyframe |= self.codec.is_keyframe(t);
            in_band_sets |= self.codec.parameter_set_slot(t).is_some();
            if index == 0 && self.codec.is_aud(t) {
                insert_at = end;
            }
            pos = end;
            index += 1;
        }
        self.sets_len = if self.insert_parameter_sets && keyframe && !in_band_sets {
            self.parameter_sets.len()
        } else {
            0
        };
        self.data = data;
        self.timestamp = timestamp;
        self.cursor = Cursor { data: 0, set: 0 };
        self.insert_at = insert_at;
        self.fragment = None;
        Ok(())
    }

    /// The NAL unit at `c` (its reference and length) and the cursor after it.
    #[inline]
    fn unit_at(&self, c: Cursor) -> Option<(UnitRef, usize, Cursor)> {
        if c.data == self.insert_at && c.set < self.sets_len {
            let len = self.parameter_sets.get(c.set)?.len();
            let unit = UnitRef {
                source: c.set as u16,
                start: 0,
                end: len as u32,
            };
            let next = Cursor {
                data: c.data,
                set: c.set + 1,
            };
            return Some((unit, len, next));
        }
        let n = usize::from(self.length_size.bytes());
        let len = read_length(self.data.get(c.data..c.data + n)?);
        let start = c.data + n;
        let end = start.checked_add(len).filter(|&e| e <= self.data.len())?;
        let unit = UnitRef {
            source: SAMPLE,
            start: start as u32,
            end: end as u32,
        };
        let next = Cursor {
            data: end,
            set: c.set,
        };
        Some((unit, len, next))
    }

    /// The bytes of `r`.
    #[inline]
    pub(crate) fn resolve(&self, r: UnitRef) -> &[u8] {
        let source = if r.source == SAMPLE {
            Some(&self.data)
        } else {
            self.parameter_sets.get(usize::from(r.source))
        };
        source
            .and_then(|b| b.get(r.start as usize..r.end as usize))
            .unwrap_or_default()
    }

    /// `r` as a slice sharing its buffer.
    pub(crate) fn resolve_bytes(&self, r: UnitRef) -> Bytes {
        let source = if r.source == SAMPLE {
            Some(&self.data)
        } else {
            self.parameter_sets.get(usize::from(r.source))
        };
        match source {
            Some(b) if r.start <= r.end && r.end as usize <= b.len() => {
                b.slice(r.start as usize..r.end as usize)
            }
            _ => Bytes::new(),
        }
    }

    #[inline]
    fn at_end(&self) -> bool {
        let c = self.cursor;
        self.fragment.is_none()
            && c.data >= self.data.len()
            && !(c.data == self.insert_at && c.set < self.sets_len)
    }

    /// The next payload as an owned [`RtpPayload`].
    pub(crate) fn poll(&mut self) -> Option<RtpPayload> {
        let d = self.poll_descriptor()?;
        Some(self.payload_of(&d))
    }

    /// The next payload borrowed from the packetizer.
    #[inline]
    pub(crate) fn poll_ref(&mut self) -> Option<RtpPayloadRef<'_>> {
        let descriptor = self.poll_descriptor()?;
        Some(RtpPayloadRef::new(descriptor, self))
    }

    /// `d` with `Bytes` slices.
    pub(crate) fn payload_of(&self, d: &Descriptor) -> RtpPayload {
        let header = d
            .header
            .get(..usize::from(d.header_len))
            .unwrap_or_default();
        let mut payload = RtpPayload::new(d.timestamp, header, d.aggregated);
        for u in d.units(self) {
            payload.add(self.resolve_bytes(u));
        }
        payload.marker = d.marker;
        payload
    }

    /// The next payload as references into the access unit.
    #[inline]
    pub(crate) fn poll_descriptor(&mut self) -> Option<Descriptor> {
        if let Some((rest, header)) = self.fragment.take() {
            return Some(self.fragment_payload(rest, header, false));
        }
        let (first, first_len, next) = self.unit_at(self.cursor)?;
        if first_len > self.mtu {
            self.cursor = next;
            let nal = self.resolve(first);
            let header = [
                nal.first().copied().unwrap_or(0),
                nal.get(1).copied().unwrap_or(0),
            ];
            let rest = first.from(self.codec.header_len());
            return Some(self.fragment_payload(rest, header, true));
        }
        if self.aggregate {
            let header_len = self.codec.header_len();
            let mut total = header_len + 2 + first_len;
            let (mut count, mut c) = (1usize, next);
            while count < MAX_AGGREGATED_UNITS {
                match self.unit_at(c) {
                    Some((_, len, n)) if len <= 0xffff && total + 2 + len <= self.mtu => {
                        total += 2 + len;
                        count += 1;
                        c = n;
                    }
                    _ => break,
                }
            }
            if count >= 2 {
                return Some(self.aggregation_payload(count, c));
            }
        }
        self.cursor = next;
        let mut payload = Descriptor::new(self.timestamp, &[], first);
        payload.marker = self.at_end();
        Some(payload)
    }

    fn aggregation_payload(&mut self, count: usize, end: Cursor) -> Descriptor {
        let mut c = self.cursor;
        let mut payload = Descriptor::new(self.timestamp, &[], UnitRef::default());
        payload.aggregated = true;
        payload.from = c;
        payload.count = 0;
        payload.len = 0;
        // F: OR of the units' F bits; H.264 NRI: the highest; H.265 LayerId
        // and TID: the lowest (RFC 6184 5.7.1, RFC 7798 4.4.2).
        let (mut forbidden, mut nri, mut layer, mut tid) = (0u8, 0u8, 0x3fu8, 7u8);
        for i in 0..count {
            let Some((r, len, n)) = self.unit_at(c) else {
                break;
            };
            let unit = self.resolve(r);
            let b0 = unit.first().copied().unwrap_or(0);
            let b1 = unit.get(1).copied().unwrap_or(0);
            forbidden |= b0 & 0x80;
            nri = nri.max(b0 & 0x60);
            layer = layer.min(((b0 & 1) << 5) | (b1 >> 3));
            tid = tid.min(b1 & 7);
            if let Some(size) = payload.sizes.get_mut(i) {
                *size = (len as u16).to_be_bytes();
            }
            payload.len += 2 + len;
            payload.count += 1;
            c = n;
        }
        match self.codec {
            Codec::H264 => payload.set_header(&[forbidden | nri | STAP_A]),
            Codec::H265 => payload.set_header(&[
                forbidden | (AP << 1) | (layer >> 5),
                ((layer & 0x1f) << 3) | tid,
            ]),
        }
        self.cursor = end;
        payload.marker = self.at_end();
        payload
    }

    /// The next fragment of `rest`, the part of a NAL unit not yet sent
    /// (after its header `[b0, b1]`); `start` for the first.
    fn fragment_payload(&mut self, rest: UnitRef, [b0, b1]: [u8; 2], start: bool) -> Descriptor {
        let header_len = self.codec.header_len();
        let room = self.mtu - header_len - 1;
        let take = room.min(rest.len());
        let end = take >= rest.len();
        let flags = if start { 0x80 } else { 0 } | if end { 0x40 } else { 0 };
        let t = self.codec.nal_type(b0);
        let piece = rest.take(take);
        let mut payload = match self.codec {
            Codec::H264 => Descriptor::new(self.timestamp, &[(b0 & 0xe0) | FU_A, flags | t], piece),
            Codec::H265 => Descriptor::new(
                self.timestamp,
                &[(b0 & 0x81) | (FU << 1), b1, flags | t],
                piece,
            ),
        };
        if end {
            payload.marker = self.at_end();
        } else {
            self.fragment = Some((rest.from(take), [b0, b1]));
        }
        payload
    }
}

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
