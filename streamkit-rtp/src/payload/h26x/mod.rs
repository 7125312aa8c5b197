//! The machinery H.264 (RFC 6184) and H.265 (RFC 7798) share: both carry
//! NAL units as single NAL unit packets, aggregation packets (STAP-A, AP:
//! a payload header then 16-bit sizes and units) and fragmentation units
//! (FU-A, FU: a payload header, an FU header with start / end bits and the
//! original type, then a piece of the unit without its header). They differ
//! only in header sizes and bit layouts, which [`Codec`] holds.

use bytes::Bytes;
use streamkit_core::nal::NalLengthSize;
use streamkit_core::time::RtpTimestamp;

use super::{MAX_AGGREGATED_UNITS, PayloadError, RtpPayload, RtpPayloadRef};

mod depacketizer;

pub(crate) use depacketizer::Depacketizer;

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
