//! Transport packets (ISO/IEC 13818-1 2.4.3.2 and 2.4.3.4): the 4-byte
//! header, the adaptation field with its PCR, and the cutting of one PES
//! packet into 188-byte packets.
//!
//! What is here is what a packet is, not what a muxer decides: the
//! [`PacketHeader`] and PCR layouts are the ones a reader of transport
//! packets decodes too.

use bytes::BufMut;

use crate::time::MpegTsTimestamp;

/// The size of a transport packet.
pub const PACKET_SIZE: usize = 188;

/// The sync byte that starts every transport packet.
pub const SYNC_BYTE: u8 = 0x47;

/// The largest valid PID for elementary streams and the PMT (0x1FFF is the
/// null packet's).
pub const MAX_PID: u16 = 0x1FFE;

/// Bytes of a packet after its 4-byte header.
pub(super) const PAYLOAD_SIZE: usize = PACKET_SIZE - 4;

/// The 4-byte transport packet header, less the fields streamkit always
/// writes as zero (`transport_error_indicator`, `transport_priority`,
/// `transport_scrambling_control`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct PacketHeader {
    /// The 13-bit PID.
    pub(super) pid: u16,
    /// `payload_unit_start_indicator`: a PES packet or a PSI section (after
    /// its pointer field) starts in this packet.
    pub(super) payload_unit_start: bool,
    /// `adaptation_field_control` bit 1: an adaptation field follows the
    /// header.
    pub(super) adaptation_field: bool,
    /// `adaptation_field_control` bit 0: the packet carries payload.
    pub(super) payload: bool,
    /// The 4-bit `continuity_counter`.
    pub(super) continuity_counter: u8,
}

/// `random_access_indicator` in the adaptation field's flags byte.
pub(super) const ADAPTATION_RANDOM_ACCESS_FLAG: u8 = 0x40;

/// `PCR_flag` in the adaptation field's flags byte: a 6-byte PCR follows
/// the flags.
pub(super) const ADAPTATION_PCR_FLAG: u8 = 0x10;

impl PacketHeader {
    /// The header's four bytes, sync byte first.
    pub(super) const fn to_bytes(self) -> [u8; 4] {
        let control =
            (if self.adaptation_field { 0x20 } else { 0 }) | (if self.payload { 0x10 } else { 0 });
        [
            SYNC_BYTE,
            (if self.payload_unit_start { 0x40 } else { 0 }) | ((self.pid >> 8) as u8 & 0x1F),
            self.pid as u8,
            control | (self.continuity_counter & 0x0F),
        ]
    }
}

/// A packet on `pid` with only an adaptation field carrying the PCR `base`
/// (90 kHz ticks; wrapped to 33 bits). Without payload, its continuity
/// counter repeats the PID's last one, `cc`.
pub(super) fn pcr_packet(pid: u16, cc: u8, base: i64) -> [u8; PACKET_SIZE] {
    let mut p = [0xFF; PACKET_SIZE];
    let header = PacketHeader {
        pid,
        payload_unit_start: false,
        adaptation_field: true,
        payload: false,
        continuity_counter: cc,
    };
    p[..4].copy_from_slice(&header.to_bytes());
    p[4] = (PACKET_SIZE - 5) as u8;
    p[5] = ADAPTATION_PCR_FLAG;
    p[6..12].copy_from_slice(&pcr_field(MpegTsTimestamp::new(base as u64)));
    p
}

/// What the adaptation field of a PES packet's first transport packet
/// carries.
#[derive(Clone, Copy, Debug)]
pub(super) struct FirstPacket {
    pub(super) pcr: Option<MpegTsTimestamp>,
    pub(super) random_access: bool,
}

impl FirstPacket {
    /// Adaptation field bytes the first packet needs (length byte included)
    /// before any stuffing.
    fn adaptation_len(self) -> usize {
        if self.pcr.is_some() {
            8
        } else if self.random_access {
            2
        } else {
            0
        }
    }
}

/// The 6-byte PCR field: 33-bit base, 6 reserved bits, 9-bit extension 0.
fn pcr_field(base: MpegTsTimestamp) -> [u8; 6] {
    let v = base.get();
    [
        (v >> 25) as u8,
        (v >> 17) as u8,
        (v >> 9) as u8,
        (v >> 1) as u8,
        (((v & 1) as u8) << 7) | 0x7E,
        0x00,
    ]
}

/// How many transport packets a PES packet of `total` bytes takes.
pub(super) fn packet_count(total: usize, first: FirstPacket) -> usize {
    let room = PAYLOAD_SIZE - first.adaptation_len();
    if total <= room {
        1
    } else {
        1 + (total - room).div_ceil(PAYLOAD_SIZE)
    }
}

/// Copies `n` bytes from a sequence of slices.
struct Pieces<'a, I: Iterator<Item = &'a [u8]>> {
    current: &'a [u8],
    rest: I,
}

impl<'a, I: Iterator<Item = &'a [u8]>> Pieces<'a, I> {
    /// Copies `n` bytes into `out`; if the pieces end first (never, when
    /// `n` was counted from the same pieces), the rest is 0xFF.
    fn copy(&mut self, mut n: usize, out: &mut impl BufMut) {
        while n > 0 {
            if self.current.is_empty() {
                match self.rest.next() {
                    Some(next) => self.current = next,
                    None => {
                        out.put_bytes(0xFF, n);
                        return;
                    }
                }
                continue;
            }
            let k = n.min(self.current.len());
            let (head, tail) = self.current.split_at(k);
            out.put_slice(head);
            self.current = tail;
            n -= k;
        }
    }
}

/// Writes a PES packet of `total` bytes (the concatenation of `pieces`) as
/// transport packets on `pid`: the first with `payload_unit_start_indicator`
/// and the adaptation field `first` asks for, the last stuffed to 188 bytes.
pub(super) fn write_packets<'a>(
    out: &mut impl BufMut,
    pid: u16,
    continuity: &mut u8,
    first: FirstPacket,
    total: usize,
    pieces: impl Iterator<Item = &'a [u8]>,
) {
    let mut pieces = Pieces {
        current: &[],
        rest: pieces,
    };
    let mut remaining = total;
    let mut is_first = true;
    while remaining > 0 {
        let fields = if is_first {
            first
        } else {
            FirstPacket {
                pcr: None,
                random_access: false,
            }
        };
        let min_af = fields.adaptation_len();
        let payload = remaining.min(PAYLOAD_SIZE - min_af);
        let af = PAYLOAD_SIZE - payload;
        let header = PacketHeader {
            pid,
            payload_unit_start: is_first,
            adaptation_field: af > 0,
            payload: true,
            continuity_counter: *continuity,
        };
        out.put_slice(&header.to_bytes());
        if af > 0 {
            out.put_u8((af - 1) as u8);
            if af > 1 {
                let mut flags = 0u8;
                if fields.random_access {
                    flags |= ADAPTATION_RANDOM_ACCESS_FLAG;
                }
                if fields.pcr.is_some() {
                    flags |= ADAPTATION_PCR_FLAG;
                }
                out.put_u8(flags);
                let mut used = 2;
                if let Some(pcr) = fields.pcr {
                    out.put_slice(&pcr_field(pcr));
                    used += 6;
                }
                out.put_bytes(0xFF, af - used);
            }
        }
        pieces.copy(payload, out);
        *continuity = (*continuity + 1) & 0x0F;
        remaining -= payload;
        is_first = false;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn adaptation_field_with_pcr() {
        let mut out = Vec::new();
        let mut cc = 5;
        let first = FirstPacket {
            pcr: Some(MpegTsTimestamp::new(63_000)),
            random_access: true,
        };
        let payload = [0xABu8; 176];
        write_packets(
            &mut out,
            0x100,
            &mut cc,
            first,
            176,
            [&payload[..]].into_iter(),
        );
        assert_eq!(out.len(), 188);
        // FFmpeg 5.1's first PCR (base 63 000) reads 00 00 7B 0C 7E 00.
        assert_eq!(
            &out[..12],
            [
                0x47, 0x41, 0x00, 0x35, 0x07, 0x50, 0x00, 0x00, 0x7B, 0x0C, 0x7E, 0x00
            ]
        );
        assert_eq!(cc, 6);
        assert!(out[12..].iter().all(|&b| b == 0xAB));
    }

    #[test]
    fn pcr_only_packet() {
        let p = pcr_packet(0x100, 3, 63_000);
        assert_eq!(
            &p[..12],
            [
                0x47, 0x01, 0x00, 0x23, 183, 0x10, 0x00, 0x00, 0x7B, 0x0C, 0x7E, 0x00
            ]
        );
        assert!(p[12..].iter().all(|&b| b == 0xFF));
        // Past 2^33 the base wraps.
        let p = pcr_packet(0x100, 0, (1 << 33) + 1);
        assert_eq!(&p[6..12], [0x00, 0x00, 0x00, 0x00, 0xFE, 0x00]);
    }

    #[test]
    fn stuffing_in_the_last_packet() {
        let mut out = Vec::new();
        let mut cc = 15;
        let none = FirstPacket {
            pcr: None,
            random_access: false,
        };
        // 184 + 183: the second packet needs a one-byte adaptation field.
        let payload: Vec<u8> = (0..367).map(|i| i as u8).collect();
        write_packets(
            &mut out,
            0x101,
            &mut cc,
            none,
            367,
            [&payload[..]].into_iter(),
        );
        assert_eq!(packet_count(367, none), 2);
        assert_eq!(out.len(), 376);
        assert_eq!(&out[..4], [0x47, 0x41, 0x01, 0x1F]);
        assert_eq!(&out[4..188], &payload[..184]);
        assert_eq!(&out[188..193], [0x47, 0x01, 0x01, 0x30, 0x00]);
        assert_eq!(&out[193..], &payload[184..]);
        assert_eq!(cc, 1);
        // 10 bytes: adaptation field of 174 (length 173, flags 0, 172 x 0xFF).
        let mut out = Vec::new();
        write_packets(
            &mut out,
            0x101,
            &mut cc,
            none,
            10,
            [&payload[..10]].into_iter(),
        );
        assert_eq!(&out[..6], [0x47, 0x41, 0x01, 0x31, 173, 0x00]);
        assert!(out[6..178].iter().all(|&b| b == 0xFF));
        assert_eq!(&out[178..], &payload[..10]);
    }

    #[test]
    fn packet_counts() {
        let none = FirstPacket {
            pcr: None,
            random_access: false,
        };
        let pcr = FirstPacket {
            pcr: Some(MpegTsTimestamp::new(0)),
            random_access: true,
        };
        assert_eq!(packet_count(184, none), 1);
        assert_eq!(packet_count(185, none), 2);
        assert_eq!(packet_count(176, pcr), 1);
        assert_eq!(packet_count(177, pcr), 2);
        assert_eq!(packet_count(176 + 184, pcr), 2);
        assert_eq!(packet_count(176 + 185, pcr), 3);
    }
}
