//! Program-specific information (ISO/IEC 13818-1 2.4.4): long-form
//! sections with their CRC-32, the program association table (PAT) and
//! the program map table (PMT), and the packet that carries a section;
//! and the PMT's entries read back ([`parse_pmt`], for the demuxer).
//!
//! The section layout ([`SectionHeader`], `section_length`, the CRC that
//! makes a whole section check to zero) and the PMT's entries
//! ([`TsStream`], [`StreamType`]) are the same for writing and for
//! reading a program.

use super::demux_event::{TsProgram, TsProgramStream};
use super::packet::{PACKET_SIZE, PacketHeader};

/// The PID of the program association table.
pub const PAT_PID: u16 = 0x0000;

/// `table_id` of the program association section.
const TABLE_ID_PAT: u8 = 0x00;

/// `table_id` of the program map section.
const TABLE_ID_PMT: u8 = 0x02;

/// The `stream_type` of an elementary stream in the PMT.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum StreamType {
    /// `0x1B`: H.264 / AVC video.
    H264,
    /// `0x24`: H.265 / HEVC video.
    H265,
    /// `0x0F`: AAC audio with ADTS framing.
    AdtsAac,
    /// `0x06` (PES packets of private data) with the `Opus` registration
    /// descriptor: Opus audio, each packet after an Opus control header.
    Opus,
}

impl StreamType {
    /// The value written in the PMT.
    #[must_use]
    pub const fn value(self) -> u8 {
        match self {
            StreamType::H264 => 0x1B,
            StreamType::H265 => 0x24,
            StreamType::AdtsAac => 0x0F,
            StreamType::Opus => 0x06,
        }
    }
}

/// One elementary stream of the program: which track, on which PID.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TsStream {
    /// The track it carries.
    pub track_id: u32,
    /// Its PID.
    pub pid: u16,
    /// Its `stream_type` in the PMT.
    pub stream_type: StreamType,
    /// Its PES `stream_id` (`0xE0`.. for video, `0xC0`.. for AAC, `0xBD`,
    /// private stream 1, for Opus).
    pub stream_id: u8,
}

/// The descriptors of one elementary stream in the PMT.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum EsDescriptor {
    None,
    /// registration_descriptor "HEVC", as FFmpeg writes it, for demuxers
    /// that predate stream type 0x24.
    HevcRegistration,
    /// registration_descriptor "Opus" and the DVB extension descriptor
    /// with the Opus channel configuration (1 mono, 2 stereo).
    Opus {
        channel_config: u8,
    },
}

impl EsDescriptor {
    /// Writes `ES_info_length` and the descriptors: this one, then an
    /// ISO_639_language_descriptor (tag 0x0A) when `language` is set,
    /// with `audio_type` 0 (undefined), as FFmpeg writes for a track that
    /// has a language.
    fn push_to(self, language: Option<[u8; 3]>, s: &mut Section) {
        let mut body = [0u8; 16];
        let mut len = 0;
        let mut put = |bytes: &[u8]| {
            body[len..len + bytes.len()].copy_from_slice(bytes);
            len += bytes.len();
        };
        match self {
            EsDescriptor::None => {}
            EsDescriptor::HevcRegistration => put(&[0x05, 0x04, b'H', b'E', b'V', b'C']),
            EsDescriptor::Opus { channel_config } => put(&[
                0x05,
                0x04,
                b'O',
                b'p',
                b'u',
                b's',
                0x7F,
                0x02,
                0x80,
                channel_config,
            ]),
        }
        if let Some([a, b, c]) = language {
            put(&[0x0A, 0x04, a, b, c, 0x00]);
        }
        // At most 16 bytes: the length fits its 12 bits.
        s.push(&(0xF000 | len as u16).to_be_bytes());
        s.push(&body[..len]);
    }
}

const fn crc32_table() -> [u32; 256] {
    let mut table = [0u32; 256];
    let mut i = 0;
    while i < 256 {
        let mut c = (i as u32) << 24;
        let mut k = 0;
        while k < 8 {
            c = if c & 0x8000_0000 != 0 {
                (c << 1) ^ 0x04C1_1DB7
            } else {
                c << 1
            };
            k += 1;
        }
        table[i] = c;
        i += 1;
    }
    table
}

static CRC32_TABLE: [u32; 256] = crc32_table();

/// CRC-32/MPEG-2 (ISO/IEC 13818-1 Annex A): polynomial 0x04C11DB7, initial
/// value 0xFFFFFFFF, no reflection, no final XOR. A section followed by its
/// CRC has a CRC of zero.
#[must_use]
pub fn crc32_mpeg2(data: &[u8]) -> u32 {
    data.iter().fold(0xFFFF_FFFF, |crc, &b| {
        (crc << 8) ^ CRC32_TABLE[((crc >> 24) as u8 ^ b) as usize]
    })
}

/// The fixed fields of a long-form section (`section_syntax_indicator` 1)
/// before its table-specific body: the PAT's and PMT's first 8 bytes, with
/// `section_length` left to [`Section::finish`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct SectionHeader {
    /// `table_id`.
    pub(super) table_id: u8,
    /// `table_id_extension`: the `transport_stream_id` in a PAT, the
    /// `program_number` in a PMT.
    pub(super) table_id_extension: u16,
    /// The 5-bit `version_number`.
    pub(super) version_number: u8,
    /// `current_next_indicator`: the table applies now (not next).
    pub(super) current_next: bool,
    /// `section_number`.
    pub(super) section_number: u8,
    /// `last_section_number`.
    pub(super) last_section_number: u8,
}

impl SectionHeader {
    /// The header's 8 bytes, `section_length` zero.
    const fn to_bytes(self) -> [u8; 8] {
        let [ext_hi, ext_lo] = self.table_id_extension.to_be_bytes();
        [
            self.table_id,
            // section_syntax_indicator 1, '0', reserved '11'.
            0xB0,
            0x00,
            ext_hi,
            ext_lo,
            // reserved '11', version_number, current_next_indicator.
            0xC0 | ((self.version_number & 0x1F) << 1) | (self.current_next as u8),
            self.section_number,
            self.last_section_number,
        ]
    }

    /// Version 0, current, the only section of its table.
    const fn single(table_id: u8, table_id_extension: u16) -> SectionHeader {
        SectionHeader {
            table_id,
            table_id_extension,
            version_number: 0,
            current_next: true,
            section_number: 0,
            last_section_number: 0,
        }
    }
}

/// A section buffer big enough for the PMT of
/// [`MAX_TRACKS`](crate::ts::MAX_TRACKS) tracks.
pub(super) struct Section {
    bytes: [u8; PACKET_SIZE],
    len: usize,
}

impl Section {
    /// A section that starts with `header`.
    fn begin(header: SectionHeader) -> Section {
        let mut s = Section {
            bytes: [0; PACKET_SIZE],
            len: 0,
        };
        s.push(&header.to_bytes());
        s
    }

    fn push(&mut self, data: &[u8]) {
        if let Some(dst) = self.bytes.get_mut(self.len..self.len + data.len()) {
            dst.copy_from_slice(data);
            self.len += data.len();
        }
    }

    fn as_slice(&self) -> &[u8] {
        &self.bytes[..self.len]
    }

    /// Sets `section_length` (bytes after the field, CRC included) and
    /// appends the CRC.
    fn finish(mut self) -> Section {
        let section_length = (self.len + 4 - 3) as u16;
        self.bytes[1] = (self.bytes[1] & 0xF0) | ((section_length >> 8) as u8 & 0x0F);
        self.bytes[2] = section_length as u8;
        let crc = crc32_mpeg2(self.as_slice());
        self.push(&crc.to_be_bytes());
        self
    }
}

/// The PAT section (table id 0) announcing one program.
pub(super) fn program_association_section(
    transport_stream_id: u16,
    program_number: u16,
    pmt_pid: u16,
) -> Section {
    let mut s = Section::begin(SectionHeader::single(TABLE_ID_PAT, transport_stream_id));
    s.push(&program_number.to_be_bytes());
    s.push(&(0xE000 | pmt_pid).to_be_bytes());
    s.finish()
}

/// The PMT section (table id 2) of one program.
pub(super) fn program_map_section(
    program_number: u16,
    pcr_pid: u16,
    streams: &[(TsStream, EsDescriptor, Option<[u8; 3]>)],
) -> Section {
    let mut s = Section::begin(SectionHeader::single(TABLE_ID_PMT, program_number));
    s.push(&(0xE000 | pcr_pid).to_be_bytes());
    s.push(&[0xF0, 0x00]); // program_info_length 0
    for (stream, descriptor, language) in streams {
        s.push(&[stream.stream_type.value()]);
        s.push(&(0xE000 | stream.pid).to_be_bytes());
        descriptor.push_to(*language, &mut s);
    }
    s.finish()
}

/// One transport packet carrying `section` after a zero pointer field,
/// padded with 0xFF; continuity counter 0 (set when written).
pub(super) fn psi_packet(pid: u16, section: &Section) -> [u8; PACKET_SIZE] {
    let mut p = [0xFF; PACKET_SIZE];
    let header = PacketHeader {
        pid,
        payload_unit_start: true,
        adaptation_field: false,
        payload: true,
        continuity_counter: 0,
    };
    p[..4].copy_from_slice(&header.to_bytes());
    p[4] = 0x00; // pointer_field: the section starts right after it
    let body = section.as_slice();
    if let Some(dst) = p.get_mut(5..5 + body.len()) {
        dst.copy_from_slice(body);
    }
    p
}

/// The PMT body after the 8-byte section header, up to the CRC.
pub(super) fn parse_pmt(pmt_pid: u16, number: u16, version: u8, body: &[u8]) -> Option<TsProgram> {
    let pcr_pid = u16::from_be_bytes([*body.first()? & 0x1F, *body.get(1)?]);
    let info_len = usize::from(u16::from_be_bytes([*body.get(2)? & 0x0F, *body.get(3)?]));
    let mut rest = body.get(4 + info_len..)?;
    let mut streams = Vec::new();
    while !rest.is_empty() {
        let stream_type = *rest.first()?;
        let pid = u16::from_be_bytes([*rest.get(1)? & 0x1F, *rest.get(2)?]);
        let es_len = usize::from(u16::from_be_bytes([*rest.get(3)? & 0x0F, *rest.get(4)?]));
        let descriptors = rest.get(5..5 + es_len)?;
        rest = &rest[5 + es_len..];
        let mut registration = None;
        let mut language = None;
        let mut d = descriptors;
        while d.len() >= 2 {
            let (tag, len) = (d[0], usize::from(d[1]));
            let Some(value) = d.get(2..2 + len) else {
                break;
            };
            match tag {
                0x05 if len >= 4 => registration = Some([value[0], value[1], value[2], value[3]]),
                0x0A if len >= 3 => {
                    let code = [value[0], value[1], value[2]];
                    if code.iter().all(u8::is_ascii_lowercase) {
                        language = Some(code);
                    }
                }
                _ => {}
            }
            d = &d[2 + len..];
        }
        let codec = match stream_type {
            0x1B => Some(StreamType::H264),
            0x24 => Some(StreamType::H265),
            0x0F => Some(StreamType::AdtsAac),
            0x06 if registration == Some(*b"Opus") => Some(StreamType::Opus),
            _ => None,
        };
        streams.push(TsProgramStream {
            pid,
            stream_type,
            codec,
            language,
        });
    }
    Some(TsProgram {
        program_number: number,
        pmt_pid,
        pcr_pid,
        version,
        streams,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc_check_value() {
        // The CRC-32/MPEG-2 check value of "123456789".
        assert_eq!(crc32_mpeg2(b"123456789"), 0x0376_E6E7);
    }

    #[test]
    fn pat_bytes_match_ffmpeg() {
        // FFmpeg 5.1's PAT for transport stream 1, program 1, PMT PID 0x1000.
        let s = program_association_section(1, 1, 0x1000);
        assert_eq!(
            s.as_slice(),
            [
                0x00, 0xB0, 0x0D, 0x00, 0x01, 0xC1, 0x00, 0x00, 0x00, 0x01, 0xF0, 0x00, 0x2A, 0xB1,
                0x04, 0xB2
            ]
        );
        assert_eq!(crc32_mpeg2(s.as_slice()), 0);
        let p = psi_packet(PAT_PID, &s);
        assert_eq!(&p[..5], [0x47, 0x40, 0x00, 0x10, 0x00]);
        assert_eq!(&p[5..21], s.as_slice());
        assert!(p[21..].iter().all(|&b| b == 0xFF));
    }

    fn stream(
        track_id: u32,
        pid: u16,
        stream_type: StreamType,
        stream_id: u8,
    ) -> (TsStream, EsDescriptor, Option<[u8; 3]>) {
        let descriptor = match stream_type {
            StreamType::H265 => EsDescriptor::HevcRegistration,
            StreamType::Opus => EsDescriptor::Opus { channel_config: 2 },
            _ => EsDescriptor::None,
        };
        (
            TsStream {
                track_id,
                pid,
                stream_type,
                stream_id,
            },
            descriptor,
            None,
        )
    }

    #[test]
    fn pmt_bytes_match_ffmpeg() {
        // FFmpeg 5.1's PMT for H.264 on 0x100 (PCR) and AAC on 0x101.
        let s = program_map_section(
            1,
            0x100,
            &[
                stream(1, 0x100, StreamType::H264, 0xE0),
                stream(2, 0x101, StreamType::AdtsAac, 0xC0),
            ],
        );
        assert_eq!(
            s.as_slice(),
            [
                0x02, 0xB0, 0x17, 0x00, 0x01, 0xC1, 0x00, 0x00, 0xE1, 0x00, 0xF0, 0x00, 0x1B, 0xE1,
                0x00, 0xF0, 0x00, 0x0F, 0xE1, 0x01, 0xF0, 0x00, 0x2F, 0x44, 0xB9, 0x9B
            ]
        );
        assert_eq!(crc32_mpeg2(s.as_slice()), 0);
        // H.265 alone, with FFmpeg's "HEVC" registration descriptor.
        let s = program_map_section(1, 0x100, &[stream(1, 0x100, StreamType::H265, 0xE0)]);
        assert_eq!(
            s.as_slice(),
            [
                0x02, 0xB0, 0x18, 0x00, 0x01, 0xC1, 0x00, 0x00, 0xE1, 0x00, 0xF0, 0x00, 0x24, 0xE1,
                0x00, 0xF0, 0x06, 0x05, 0x04, 0x48, 0x45, 0x56, 0x43, 0xCB, 0x9E, 0x00, 0x52
            ]
        );
        // FFmpeg 5.1's PMT for H.264 and stereo Opus whose language is
        // "und": the Opus descriptors, then the ISO 639 one.
        let mut opus = stream(2, 0x101, StreamType::Opus, 0xBD);
        opus.2 = Some(*b"und");
        let s = program_map_section(1, 0x100, &[stream(1, 0x100, StreamType::H264, 0xE0), opus]);
        assert_eq!(
            &s.as_slice()[..s.len - 4],
            [
                0x02, 0xB0, 0x27, 0x00, 0x01, 0xC1, 0x00, 0x00, 0xE1, 0x00, 0xF0, 0x00, 0x1B, 0xE1,
                0x00, 0xF0, 0x00, 0x06, 0xE1, 0x01, 0xF0, 0x10, 0x05, 0x04, b'O', b'p', b'u', b's',
                0x7F, 0x02, 0x80, 0x02, 0x0A, 0x04, b'u', b'n', b'd', 0x00
            ]
        );
        assert_eq!(crc32_mpeg2(s.as_slice()), 0);
        // AAC alone: the PCR on the audio PID.
        let s = program_map_section(1, 0x100, &[stream(1, 0x100, StreamType::AdtsAac, 0xC0)]);
        assert_eq!(
            s.as_slice(),
            [
                0x02, 0xB0, 0x12, 0x00, 0x01, 0xC1, 0x00, 0x00, 0xE1, 0x00, 0xF0, 0x00, 0x0F, 0xE1,
                0x00, 0xF0, 0x00, 0xB6, 0x9B, 0xC0, 0xD9
            ]
        );
    }
}
