//! PES packets (ISO/IEC 13818-1 2.4.3.6): the header with its PTS and
//! DTS, and the framing of audio access units inside PES payloads (ADTS
//! for AAC, the Opus control header).

use crate::time::MpegTsTimestamp;

/// `stream_id` of private stream 1 (Opus).
pub(super) const PRIVATE_STREAM_1: u8 = 0xBD;

/// The length of an ADTS header without CRC.
pub(super) const ADTS_HEADER_LEN: usize = 7;
/// The longest raw AAC frame one ADTS frame carries (13-bit frame length).
pub(super) const MAX_ADTS_PAYLOAD: usize = (1 << 13) - 1 - ADTS_HEADER_LEN;

/// A PES header of up to 19 bytes.
pub(super) struct PesHeader {
    bytes: [u8; 19],
    len: usize,
}

impl PesHeader {
    pub(super) fn as_slice(&self) -> &[u8] {
        &self.bytes[..self.len]
    }

    pub(super) fn len(&self) -> usize {
        self.len
    }
}

/// The 5-byte PTS or DTS field with the 4-bit `prefix` (ISO/IEC 13818-1
/// 2.4.3.7): marker bits after bits 32..30, 29..15 and 14..0.
fn timestamp_field(prefix: u8, t: MpegTsTimestamp) -> [u8; 5] {
    let v = t.get();
    [
        (prefix << 4) | (((v >> 29) as u8) & 0x0E) | 1,
        (v >> 22) as u8,
        (((v >> 14) as u8) & 0xFE) | 1,
        (v >> 7) as u8,
        ((v << 1) as u8) | 1,
    ]
}

/// The PES header for `stream_id` with its PTS (and DTS), for a payload of
/// `payload_len` bytes; `PES_packet_length` is 0 (unbounded, allowed for
/// video) when `payload_len` is 0 or the length does not fit 16 bits.
pub(super) fn pes_header(
    stream_id: u8,
    pts: MpegTsTimestamp,
    dts: Option<MpegTsTimestamp>,
    payload_len: usize,
) -> PesHeader {
    let mut b = [0u8; 19];
    b[..4].copy_from_slice(&[0, 0, 1, stream_id]);
    let header_data_len: usize = if dts.is_some() { 10 } else { 5 };
    let packet_len = if payload_len == 0 {
        0
    } else {
        u16::try_from(3 + header_data_len + payload_len).unwrap_or(0)
    };
    b[4..6].copy_from_slice(&packet_len.to_be_bytes());
    // '10', not scrambled, no priority, data_alignment_indicator, no
    // copyright, copy.
    b[6] = 0x84;
    b[7] = if dts.is_some() { 0xC0 } else { 0x80 };
    b[8] = header_data_len as u8;
    match dts {
        Some(dts) => {
            b[9..14].copy_from_slice(&timestamp_field(0x3, pts));
            b[14..19].copy_from_slice(&timestamp_field(0x1, dts));
        }
        None => b[9..14].copy_from_slice(&timestamp_field(0x2, pts)),
    }
    PesHeader {
        bytes: b,
        len: 9 + header_data_len,
    }
}

/// The largest Opus packet (RFC 6716 3.2.5: 48 frames of at most 1 275
/// bytes).
pub(super) const MAX_OPUS_PACKET: usize = 48 * 1_275;

/// The Opus control header before each Opus packet in a PES packet: the
/// 11-bit prefix 0x3FF, the trim flags, the packet's size as a run of 0xFF
/// bytes and a final byte below 255, and the start trim when flagged.
pub(super) struct OpusControlHeader {
    bytes: [u8; 2 + MAX_OPUS_PACKET / 255 + 1 + 2],
    len: usize,
}

impl OpusControlHeader {
    pub(super) fn new(packet_len: usize, trim_start: u16) -> OpusControlHeader {
        let mut bytes = [0xFF; 2 + MAX_OPUS_PACKET / 255 + 1 + 2];
        bytes[0] = 0x7F;
        bytes[1] = if trim_start > 0 { 0xF0 } else { 0xE0 };
        let runs = packet_len / 255;
        // bytes[2..2 + runs] stay 0xFF.
        let mut len = 2 + runs;
        bytes[len] = (packet_len % 255) as u8;
        len += 1;
        if trim_start > 0 {
            bytes[len..len + 2].copy_from_slice(&trim_start.to_be_bytes());
            len += 2;
        }
        OpusControlHeader { bytes, len }
    }

    pub(super) fn len(&self) -> usize {
        self.len
    }

    pub(super) fn as_slice(&self) -> &[u8] {
        &self.bytes[..self.len]
    }
}

/// The ADTS header `template` with `aac_frame_length` set to `frame_length`
/// (13 bits: the low 2 bits of byte 3, byte 4, the top 3 bits of byte 5).
pub(super) fn adts_with_length(
    mut h: [u8; ADTS_HEADER_LEN],
    frame_length: usize,
) -> [u8; ADTS_HEADER_LEN] {
    let l = frame_length & 0x1FFF;
    h[3] = (h[3] & 0xFC) | ((l >> 11) as u8 & 0x03);
    h[4] = (l >> 3) as u8;
    h[5] = (h[5] & 0x1F) | (((l & 0x07) as u8) << 5);
    h
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::aac::AdtsHeader;

    #[test]
    fn pes_header_with_pts_and_dts() {
        // FFmpeg 5.1's first H.264 PES header (B-frames, 25 fps) carries
        // PTS 132 000 and DTS 126 000 as 31 00 09 07 41 / 11 00 07 D8 61.
        let h = pes_header(
            0xE0,
            MpegTsTimestamp::new(132_000),
            Some(MpegTsTimestamp::new(126_000)),
            0,
        );
        assert_eq!(
            h.as_slice(),
            [
                0x00, 0x00, 0x01, 0xE0, 0x00, 0x00, 0x84, 0xC0, 0x0A, 0x31, 0x00, 0x09, 0x07, 0x41,
                0x11, 0x00, 0x07, 0xD8, 0x61
            ]
        );
        // Audio: PTS only, with the packet length (3 + 5 + 100).
        let h = pes_header(0xC0, MpegTsTimestamp::new(126_000), None, 100);
        assert_eq!(
            h.as_slice(),
            [
                0x00, 0x00, 0x01, 0xC0, 0x00, 0x6C, 0x84, 0x80, 0x05, 0x21, 0x00, 0x07, 0xD8, 0x61
            ]
        );
        // All 33 bits and the markers.
        assert_eq!(
            timestamp_field(0x2, MpegTsTimestamp::new(MpegTsTimestamp::MAX)),
            [0x2F, 0xFF, 0xFF, 0xFF, 0xFF]
        );
        assert_eq!(
            timestamp_field(0x2, MpegTsTimestamp::new(1 << 32)),
            [0x29, 0x00, 0x01, 0x00, 0x01]
        );
    }

    #[test]
    fn opus_control_header() {
        // FFmpeg 5.1's first Opus packet of h264_opus.mp4: 76 bytes, trim
        // 312 (the pre-skip).
        let h = OpusControlHeader::new(76, 312);
        assert_eq!(h.as_slice(), [0x7F, 0xF0, 0x4C, 0x01, 0x38]);
        let h = OpusControlHeader::new(58, 0);
        assert_eq!(h.as_slice(), [0x7F, 0xE0, 0x3A]);
        // 255 is one full run and a final zero; 600 is two runs and 90.
        assert_eq!(
            OpusControlHeader::new(255, 0).as_slice(),
            [0x7F, 0xE0, 0xFF, 0x00]
        );
        assert_eq!(
            OpusControlHeader::new(600, 0).as_slice(),
            [0x7F, 0xE0, 0xFF, 0xFF, 90]
        );
        let max = OpusControlHeader::new(MAX_OPUS_PACKET, 1);
        assert_eq!(max.len(), 2 + 240 + 1 + 2);
    }

    #[test]
    fn adts_length_patch_matches_the_codec_layer() {
        let asc = crate::codec::aac::AacConfig::new(2, 44_100, 2).unwrap();
        let mut template = [0u8; 7];
        AdtsHeader::from_config(&asc, 0)
            .unwrap()
            .write(&mut &mut template[..]);
        for len in [0usize, 1, 7, 255, 256, 2047, 2048, 8184] {
            let mut want = Vec::new();
            AdtsHeader::from_config(&asc, len).unwrap().write(&mut want);
            assert_eq!(adts_with_length(template, len + 7)[..], want[..], "{len}");
        }
    }
}
