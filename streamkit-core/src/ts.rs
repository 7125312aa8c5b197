//! MPEG-TS output (ISO/IEC 13818-1): H.264, H.265, AAC and Opus in 188-byte
//! transport packets, for HLS segments and MPEG-TS over UDP.
//!
//! A [`TsMuxer`] is built from the presentation's [`Track`]s. It gives each
//! track a PID (from [`TsConfig::first_pid`] up, in the order of the
//! tracks), writes one program's PAT and PMT (with their CRC-32) at the start
//! of every segment ([`TsMuxer::begin_segment`]), and turns each [`Sample`]
//! into one PES packet cut into transport packets ([`TsMuxer::write_sample`]):
//!
//! - **H.264 / H.265** (stream types `0x1B` / `0x24`, stream id `0xE0` and
//!   up): the length-prefixed NAL units of the sample become Annex-B, after
//!   an access unit delimiter; a keyframe also gets the track's parameter
//!   sets (SPS and PPS; VPS, SPS and PPS) from its configuration, so that
//!   decoding can start at every keyframe. The sample's own delimiters are
//!   left out (the muxer writes one). PTS and DTS (DTS only when it differs).
//! - **AAC** (stream type `0x0F`, stream id `0xC0` and up): each raw access
//!   unit gets an ADTS header built from the track's AudioSpecificConfig;
//!   one frame per PES packet, with its PTS.
//! - **Opus** (stream type `0x06`, private stream 1 `0xBD`; in the PMT the
//!   `Opus` registration descriptor and the DVB extension descriptor with
//!   the channel configuration): each Opus packet after an Opus control
//!   header (prefix `0x7FE` plus flags, the packet size, and on the first
//!   packets the trim of the configuration's pre-skip), as FFmpeg writes
//!   and reads it. Mono and stereo (channel mapping family 0) only.
//! - **Timing**: PTS and DTS are the sample's times on the 90 kHz clock
//!   (rounded to the nearest tick) plus [`TsConfig::timestamp_offset`], as
//!   33-bit [`MpegTsTimestamp`]s (they wrap). The PCR rides on the first
//!   video track's PID (the first track's, without video), in the
//!   adaptation field of the first packet of every PES packet of that
//!   track, at the PES's DTS minus [`TsConfig::pcr_delay`] (never below
//!   the previous PCR). When a sample of another track comes 100 ms or more
//!   past the last PCR (a low frame rate, or video that has ended), a
//!   packet with only an adaptation field carries a PCR first, on the PCR
//!   PID; so PCRs come at least every 100 ms while any track has samples.
//! - **Packets**: continuity counters per PID (continuing across segments,
//!   so that segments concatenate into one valid stream),
//!   `random_access_indicator` on the first packet of every keyframe,
//!   adaptation-field stuffing in the last packet of each PES packet.
//!
//! # Copies
//!
//! MPEG-TS slices every payload into 184-byte packet payloads between 4-byte
//! headers, so the payload is copied once, from the sample's [`Bytes`] into
//! the caller's output buffer; there is no other copy and no allocation per
//! sample or per packet (the caller's `Vec` grows as it needs).
//!
//! ```
//! use streamkit_core::codec::{CodecConfig, aac::AacConfig};
//! use streamkit_core::sample::Sample;
//! use streamkit_core::time::Timescale;
//! use streamkit_core::track::Track;
//! use streamkit_core::ts::{PACKET_SIZE, TsMuxer};
//!
//! let aac = AacConfig::new(2, 48_000, 2)?;
//! let track = Track::new(1, Timescale::AUDIO_48KHZ, CodecConfig::Aac(aac));
//! let mut muxer = TsMuxer::new(&[track])?;
//! let mut segment = Vec::new();
//! muxer.begin_segment(&mut segment)?; // PAT and PMT
//! let frame = Sample {
//!     track_id: 1,
//!     dts: 0,
//!     composition_offset: 0,
//!     duration: 1_024,
//!     timescale: Timescale::AUDIO_48KHZ,
//!     keyframe: true,
//!     data: bytes::Bytes::from_static(&[0x21, 0x10, 0x04, 0x60, 0x8c, 0x1c]),
//! };
//! muxer.write_sample(&frame, &mut segment)?;
//! assert_eq!(segment.len(), 3 * PACKET_SIZE);
//! assert!(segment.chunks(PACKET_SIZE).all(|p| p[0] == 0x47));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! [`Bytes`]: bytes::Bytes

use bytes::{BufMut, Bytes};

use crate::codec::CodecConfig;
use crate::codec::CodecError;
use crate::codec::aac::AdtsHeader;
use crate::nal::{H264NalHeader, H265NalHeader, LengthPrefixedSlices, NalError, NalLengthSize};
use crate::sample::Sample;
use crate::time::{MediaTime, MpegTsTimestamp, Rounding, Timescale};
use crate::track::Track;

/// The size of a transport packet.
pub const PACKET_SIZE: usize = 188;

/// The sync byte that starts every transport packet.
pub const SYNC_BYTE: u8 = 0x47;

/// The PID of the program association table.
pub const PAT_PID: u16 = 0x0000;

/// The most tracks one [`TsMuxer`] carries (the PMT must fit one packet).
pub const MAX_TRACKS: usize = 16;

/// The largest valid PID for elementary streams and the PMT (0x1FFF is the
/// null packet's).
pub const MAX_PID: u16 = 0x1FFE;

const PAYLOAD_SIZE: usize = PACKET_SIZE - 4;
const H264_AUD: [u8; 6] = [0, 0, 0, 1, 0x09, 0xF0];
const H265_AUD: [u8; 7] = [0, 0, 0, 1, 0x46, 0x01, 0x50];
const START_CODE: [u8; 4] = [0, 0, 0, 1];
const ADTS_HEADER_LEN: usize = 7;
const MAX_ADTS_PAYLOAD: usize = (1 << 13) - 1 - ADTS_HEADER_LEN;

/// Why a [`TsMuxer`] could not be built or could not write.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TsError {
    /// No track was given.
    #[error("MPEG-TS: no tracks")]
    NoTracks,
    /// More tracks than [`MAX_TRACKS`].
    #[error("MPEG-TS: {count} tracks, at most {limit}")]
    TooManyTracks {
        /// Tracks given.
        count: usize,
        /// The limit.
        limit: usize,
    },
    /// Two tracks have the same id.
    #[error("MPEG-TS: track {track_id} given twice")]
    DuplicateTrack {
        /// The repeated id.
        track_id: u32,
    },
    /// The track's codec cannot be carried by this muxer.
    #[error("MPEG-TS: track {track_id}: {codec} is not supported")]
    UnsupportedCodec {
        /// The track.
        track_id: u32,
        /// The codec's name.
        codec: &'static str,
    },
    /// The track's configuration lacks something the muxer needs.
    #[error("MPEG-TS: track {track_id}: {what}")]
    MissingCodecConfig {
        /// The track.
        track_id: u32,
        /// What is missing.
        what: &'static str,
    },
    /// The track's configuration cannot be expressed in MPEG-TS (for
    /// example an AAC configuration ADTS cannot carry).
    #[error("MPEG-TS: track {track_id}: {source}")]
    InvalidCodecConfig {
        /// The track.
        track_id: u32,
        /// What the codec layer said.
        source: CodecError,
    },
    /// The configuration's PIDs or program number are unusable.
    #[error("MPEG-TS configuration: {reason}")]
    InvalidConfig {
        /// What is wrong.
        reason: &'static str,
    },
    /// A sample names a track the muxer was not built with.
    #[error("MPEG-TS: sample at decode time {dts} of unknown track {track_id}")]
    UnknownTrack {
        /// The sample's track.
        track_id: u32,
        /// The sample's decode time.
        dts: i64,
    },
    /// A sample has no data.
    #[error("MPEG-TS: track {track_id}: sample at decode time {dts} is empty")]
    EmptySample {
        /// The sample's track.
        track_id: u32,
        /// The sample's decode time.
        dts: i64,
    },
    /// A video sample's length-prefixed NAL units are truncated.
    #[error("MPEG-TS: track {track_id}: sample at decode time {dts}: {source}")]
    InvalidNalUnits {
        /// The sample's track.
        track_id: u32,
        /// The sample's decode time.
        dts: i64,
        /// Where the NAL units break.
        source: NalError,
    },
    /// A sample presents before it decodes (a negative composition offset),
    /// which MPEG-TS cannot express: shift the track's decode times back by
    /// its largest negative offset first (`compositionToDTSShift`).
    #[error(
        "MPEG-TS: track {track_id}: sample at decode time {dts} presents {composition_offset} ticks before it decodes"
    )]
    PresentationBeforeDecode {
        /// The sample's track.
        track_id: u32,
        /// The sample's decode time.
        dts: i64,
        /// Its composition offset.
        composition_offset: i32,
    },
    /// An AAC access unit is too long for an ADTS frame.
    #[error(
        "MPEG-TS: track {track_id}: AAC frame at decode time {dts} is {len} bytes, ADTS carries at most {max}"
    )]
    FrameTooLong {
        /// The sample's track.
        track_id: u32,
        /// The sample's decode time.
        dts: i64,
        /// The frame's length.
        len: usize,
        /// The most ADTS carries.
        max: usize,
    },
    /// The output buffer has no room for what must be written; nothing was
    /// written.
    #[error("MPEG-TS: output needs {required} bytes, {remaining} left")]
    InsufficientSpace {
        /// Bytes the write needs.
        required: usize,
        /// Room left in the output.
        remaining: usize,
    },
}

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

/// The program's identifiers and the timing offsets of a [`TsMuxer`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct TsConfig {
    /// `transport_stream_id` in the PAT.
    pub transport_stream_id: u16,
    /// `program_number` in the PAT and PMT (not zero).
    pub program_number: u16,
    /// The PMT's PID.
    pub pmt_pid: u16,
    /// The first track's PID; the others follow.
    pub first_pid: u16,
    /// Added to every PTS and DTS, in 90 kHz ticks, so that a stream that
    /// starts at zero (or slightly below, with B-frames) gets positive
    /// timestamps with room for the PCR below them.
    pub timestamp_offset: u32,
    /// How far the PCR runs behind the DTS of the PES packet that carries
    /// it, in 90 kHz ticks: the decoder's buffering time.
    pub pcr_delay: u32,
}

impl Default for TsConfig {
    /// Transport stream 1, program 1, PMT on PID 0x1000, tracks from PID
    /// 0x100, timestamps offset by 1.4 s and the PCR 0.7 s behind the DTS
    /// (the values FFmpeg uses).
    fn default() -> Self {
        TsConfig {
            transport_stream_id: 1,
            program_number: 1,
            pmt_pid: 0x1000,
            first_pid: 0x100,
            timestamp_offset: 126_000,
            pcr_delay: 63_000,
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

#[derive(Clone, Debug)]
enum Payload {
    H264 {
        nal_length_size: NalLengthSize,
        parameter_sets: Vec<Bytes>,
    },
    H265 {
        nal_length_size: NalLengthSize,
        parameter_sets: Vec<Bytes>,
    },
    Aac {
        adts: [u8; ADTS_HEADER_LEN],
    },
    Opus {
        /// Samples (48 kHz) of the pre-skip not yet trimmed.
        pending_trim: u16,
    },
}

/// The descriptors of one elementary stream in the PMT.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum EsDescriptor {
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
    fn push_to(self, s: &mut Section) {
        match self {
            EsDescriptor::None => s.push(&[0xF0, 0x00]),
            EsDescriptor::HevcRegistration => {
                s.push(&[0xF0, 0x06, 0x05, 0x04, b'H', b'E', b'V', b'C']);
            }
            EsDescriptor::Opus { channel_config } => s.push(&[
                0xF0,
                0x0A,
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
    }
}

#[derive(Clone, Debug)]
struct Elementary {
    stream: TsStream,
    descriptor: EsDescriptor,
    payload: Payload,
    continuity: u8,
}

/// Writes an MPEG-TS program of H.264 / H.265 / AAC tracks. See the
/// [module documentation](self).
///
/// Call [`begin_segment`](TsMuxer::begin_segment) at the start of each
/// segment (it writes the PAT and PMT; the first
/// [`write_sample`](TsMuxer::write_sample) writes them if it was never
/// called), then [`write_sample`](TsMuxer::write_sample) for each sample in
/// decode order.
#[derive(Clone, Debug)]
pub struct TsMuxer {
    config: TsConfig,
    streams: Vec<Elementary>,
    pcr_pid: u16,
    tables: ProgramTables,
    /// The last PCR written (90 kHz ticks, not wrapped).
    last_pcr: Option<i64>,
}

/// The longest gap between PCRs when another stream's samples come: 100 ms.
const PCR_INTERVAL: i64 = 9_000;

/// What goes before a PES packet: the tables (before the first sample when
/// `begin_segment` was not called) and a PCR-only packet.
struct Prologue {
    tables: bool,
    pcr_only: Option<[u8; PACKET_SIZE]>,
}

impl Prologue {
    fn len(&self) -> usize {
        let tables = if self.tables { 2 * PACKET_SIZE } else { 0 };
        tables + self.pcr_only.map_or(0, |_| PACKET_SIZE)
    }

    fn write(&self, tables: &mut ProgramTables, out: &mut impl BufMut) {
        if self.tables {
            tables.write(out);
        }
        if let Some(p) = &self.pcr_only {
            out.put_slice(p);
        }
    }
}

/// A packet on `pid` with only an adaptation field carrying the PCR `base`
/// (90 kHz ticks; wrapped to 33 bits). Without payload, its continuity
/// counter repeats the PID's last one, `cc`.
fn pcr_packet(pid: u16, cc: u8, base: i64) -> [u8; PACKET_SIZE] {
    let mut p = [0xFF; PACKET_SIZE];
    p[..6].copy_from_slice(&[
        SYNC_BYTE,
        (pid >> 8) as u8 & 0x1F,
        pid as u8,
        0x20 | (cc & 0x0F),
        (PACKET_SIZE - 5) as u8,
        0x10,
    ]);
    p[6..12].copy_from_slice(&pcr_field(MpegTsTimestamp::new(base as u64)));
    p
}

/// The PAT and PMT packets, ready but for their continuity counters.
#[derive(Clone, Debug)]
struct ProgramTables {
    pat: [u8; PACKET_SIZE],
    pmt: [u8; PACKET_SIZE],
    pat_continuity: u8,
    pmt_continuity: u8,
    written: bool,
}

impl ProgramTables {
    fn write(&mut self, out: &mut impl BufMut) {
        for (packet, cc) in [
            (&mut self.pat, &mut self.pat_continuity),
            (&mut self.pmt, &mut self.pmt_continuity),
        ] {
            packet[3] = (packet[3] & 0xF0) | *cc;
            *cc = (*cc + 1) & 0x0F;
            out.put_slice(&packet[..]);
        }
        self.written = true;
    }
}

impl TsMuxer {
    /// A muxer for `tracks` with the [default](TsConfig::default)
    /// configuration.
    pub fn new(tracks: &[Track]) -> Result<TsMuxer, TsError> {
        TsMuxer::with_config(tracks, TsConfig::default())
    }

    /// A muxer for `tracks` with `config`.
    pub fn with_config(tracks: &[Track], config: TsConfig) -> Result<TsMuxer, TsError> {
        if tracks.is_empty() {
            return Err(TsError::NoTracks);
        }
        if tracks.len() > MAX_TRACKS {
            return Err(TsError::TooManyTracks {
                count: tracks.len(),
                limit: MAX_TRACKS,
            });
        }
        if config.program_number == 0 {
            return Err(TsError::InvalidConfig {
                reason: "program number 0 is reserved for the network PID",
            });
        }
        if !(0x0010..=MAX_PID).contains(&config.pmt_pid) {
            return Err(TsError::InvalidConfig {
                reason: "PMT PID must be in 0x0010..=0x1FFE",
            });
        }
        let last_pid = usize::from(config.first_pid) + tracks.len() - 1;
        if config.first_pid < 0x0010 || last_pid > usize::from(MAX_PID) {
            return Err(TsError::InvalidConfig {
                reason: "track PIDs must be in 0x0010..=0x1FFE",
            });
        }
        if (usize::from(config.first_pid)..=last_pid).contains(&usize::from(config.pmt_pid)) {
            return Err(TsError::InvalidConfig {
                reason: "the PMT PID collides with a track PID",
            });
        }
        let mut streams: Vec<Elementary> = Vec::with_capacity(tracks.len());
        let (mut video_ids, mut audio_ids) = (0xE0u8, 0xC0u8);
        for (i, track) in tracks.iter().enumerate() {
            let track_id = track.id;
            if streams.iter().any(|s| s.stream.track_id == track_id) {
                return Err(TsError::DuplicateTrack { track_id });
            }
            let pid = config.first_pid + i as u16;
            let (stream_type, stream_id, payload) = match &track.codec {
                CodecConfig::H264(avc) => {
                    if avc.sps.is_empty() || avc.pps.is_empty() {
                        return Err(TsError::MissingCodecConfig {
                            track_id,
                            what: "H.264 configuration without SPS or PPS",
                        });
                    }
                    let parameter_sets = avc.sps.iter().chain(&avc.pps).cloned().collect();
                    let id = video_ids;
                    video_ids += 1;
                    let payload = Payload::H264 {
                        nal_length_size: avc.nal_length_size,
                        parameter_sets,
                    };
                    (StreamType::H264, id, payload)
                }
                CodecConfig::H265(hevc) => {
                    let parameter_sets: Vec<Bytes> = hevc
                        .vps()
                        .chain(hevc.sps())
                        .chain(hevc.pps())
                        .cloned()
                        .collect();
                    if hevc.vps().next().is_none()
                        || hevc.sps().next().is_none()
                        || hevc.pps().next().is_none()
                    {
                        return Err(TsError::MissingCodecConfig {
                            track_id,
                            what: "H.265 configuration without VPS, SPS or PPS",
                        });
                    }
                    let id = video_ids;
                    video_ids += 1;
                    let payload = Payload::H265 {
                        nal_length_size: hevc.nal_length_size,
                        parameter_sets,
                    };
                    (StreamType::H265, id, payload)
                }
                CodecConfig::Aac(aac) => {
                    let header = AdtsHeader::from_config(aac, 0)
                        .map_err(|source| TsError::InvalidCodecConfig { track_id, source })?;
                    let mut adts = [0u8; ADTS_HEADER_LEN];
                    let mut w = &mut adts[..];
                    header.write(&mut w);
                    let id = audio_ids;
                    audio_ids += 1;
                    (StreamType::AdtsAac, id, Payload::Aac { adts })
                }
                CodecConfig::Opus(opus) => {
                    if opus.channel_mapping_family != 0
                        || !(1..=2).contains(&opus.output_channel_count)
                    {
                        return Err(TsError::UnsupportedCodec {
                            track_id,
                            codec: "Opus beyond mono and stereo (channel mapping family 0)",
                        });
                    }
                    let payload = Payload::Opus {
                        pending_trim: opus.pre_skip,
                    };
                    (StreamType::Opus, PRIVATE_STREAM_1, payload)
                }
            };
            let descriptor = match (&track.codec, stream_type) {
                (CodecConfig::Opus(opus), _) => EsDescriptor::Opus {
                    channel_config: opus.output_channel_count,
                },
                (_, StreamType::H265) => EsDescriptor::HevcRegistration,
                _ => EsDescriptor::None,
            };
            streams.push(Elementary {
                stream: TsStream {
                    track_id,
                    pid,
                    stream_type,
                    stream_id,
                },
                descriptor,
                payload,
                continuity: 0,
            });
        }
        let pcr_pid = streams
            .iter()
            .find(|s| matches!(s.stream.stream_type, StreamType::H264 | StreamType::H265))
            .or(streams.first())
            .map_or(config.first_pid, |s| s.stream.pid);
        let stream_list: Vec<(TsStream, EsDescriptor)> =
            streams.iter().map(|s| (s.stream, s.descriptor)).collect();
        let pat = psi_packet(
            PAT_PID,
            &program_association_section(
                config.transport_stream_id,
                config.program_number,
                config.pmt_pid,
            ),
        );
        let pmt = psi_packet(
            config.pmt_pid,
            &program_map_section(config.program_number, pcr_pid, &stream_list),
        );
        Ok(TsMuxer {
            config,
            streams,
            pcr_pid,
            tables: ProgramTables {
                pat,
                pmt,
                pat_continuity: 0,
                pmt_continuity: 0,
                written: false,
            },
            last_pcr: None,
        })
    }

    /// The configuration.
    #[must_use]
    pub fn config(&self) -> &TsConfig {
        &self.config
    }

    /// The elementary streams, in the order of the tracks.
    pub fn streams(&self) -> impl ExactSizeIterator<Item = TsStream> + '_ {
        self.streams.iter().map(|s| s.stream)
    }

    /// The PID that carries the PCR.
    #[must_use]
    pub fn pcr_pid(&self) -> u16 {
        self.pcr_pid
    }

    /// Writes the PAT and the PMT (two packets, 376 bytes) that start a
    /// segment, and returns the bytes written.
    pub fn begin_segment(&mut self, out: &mut impl BufMut) -> Result<usize, TsError> {
        check_space(out, 2 * PACKET_SIZE)?;
        self.tables.write(out);
        Ok(2 * PACKET_SIZE)
    }

    /// Writes `sample` as one PES packet in transport packets, and returns
    /// the bytes written (a multiple of [`PACKET_SIZE`]). Before the first
    /// sample, if [`begin_segment`](TsMuxer::begin_segment) was never
    /// called, the PAT and PMT come first.
    ///
    /// On error nothing is written and the muxer is unchanged.
    pub fn write_sample(
        &mut self,
        sample: &Sample,
        out: &mut impl BufMut,
    ) -> Result<usize, TsError> {
        let (track_id, dts) = (sample.track_id, sample.dts);
        let index = self
            .streams
            .iter()
            .position(|s| s.stream.track_id == track_id)
            .ok_or(TsError::UnknownTrack { track_id, dts })?;
        if sample.data.is_empty() {
            return Err(TsError::EmptySample { track_id, dts });
        }
        let offset = i64::from(self.config.timestamp_offset);
        let to_90k = |t: i64| {
            MediaTime::new(t, sample.timescale)
                .rescale(Timescale::VIDEO_90KHZ, Rounding::Nearest)
                .ticks()
                .saturating_add(offset)
        };
        let dts90 = to_90k(sample.dts);
        let pts90 = to_90k(sample.pts());
        if pts90 < dts90 {
            return Err(TsError::PresentationBeforeDecode {
                track_id,
                dts,
                composition_offset: sample.composition_offset,
            });
        }
        let pts = MpegTsTimestamp::new(pts90 as u64);
        let dts_ts = MpegTsTimestamp::new(dts90 as u64);
        // PCR: on every PES packet of the PCR PID; and between them, when
        // another stream's sample comes 100 ms or more past the last PCR,
        // in a packet of its own on the PCR PID (adaptation field only).
        let pcr_value = dts90.saturating_sub(i64::from(self.config.pcr_delay));
        let on_pcr_pid = self.streams[index].stream.pid == self.pcr_pid;
        let (pes_pcr, pcr_only) = match self.last_pcr {
            _ if on_pcr_pid => (
                Some(self.last_pcr.map_or(pcr_value, |l| pcr_value.max(l))),
                None,
            ),
            Some(last) if pcr_value >= last.saturating_add(PCR_INTERVAL) => {
                let cc = self
                    .streams
                    .iter()
                    .find(|s| s.stream.pid == self.pcr_pid)
                    .map_or(0, |s| s.continuity.wrapping_sub(1) & 0x0F);
                (None, Some(pcr_packet(self.pcr_pid, cc, pcr_value)))
            }
            _ => (None, None),
        };
        let last_pcr = pes_pcr.or(pcr_only.map(|_| pcr_value)).or(self.last_pcr);
        let prologue = Prologue {
            tables: !self.tables.written,
            pcr_only,
        };

        let Elementary {
            stream,
            payload,
            continuity,
            ..
        } = &mut self.streams[index];
        let pid = stream.pid;
        let first = FirstPacket {
            pcr: pes_pcr.map(|v| MpegTsTimestamp::new(v as u64)),
            random_access: sample.keyframe,
        };
        let h265 = matches!(payload, Payload::H265 { .. });
        match payload {
            Payload::H264 {
                nal_length_size,
                parameter_sets,
            }
            | Payload::H265 {
                nal_length_size,
                parameter_sets,
            } => {
                let aud: &[u8] = if h265 { &H265_AUD } else { &H264_AUD };
                let units = LengthPrefixedSlices::new(&sample.data, *nal_length_size);
                let mut es_len = aud.len();
                for unit in units.clone() {
                    let unit = unit.map_err(|source| TsError::InvalidNalUnits {
                        track_id,
                        dts,
                        source,
                    })?;
                    if !is_delimiter(unit, h265) {
                        es_len += START_CODE.len() + unit.len();
                    }
                }
                if sample.keyframe {
                    es_len += parameter_sets
                        .iter()
                        .map(|p| START_CODE.len() + p.len())
                        .sum::<usize>();
                }
                let header =
                    pes_header(stream.stream_id, pts, (dts_ts != pts).then_some(dts_ts), 0);
                let total = header.len() + es_len;
                let required = prologue.len() + packet_count(total, first) * PACKET_SIZE;
                check_space(out, required)?;
                prologue.write(&mut self.tables, out);
                self.last_pcr = last_pcr;
                let sets: &[Bytes] = if sample.keyframe { parameter_sets } else { &[] };
                let pieces = core::iter::once(header.as_slice())
                    .chain(core::iter::once(aud))
                    .chain(sets.iter().flat_map(|p| [&START_CODE[..], &p[..]]))
                    .chain(
                        units
                            .filter_map(Result::ok)
                            .filter(|u| !is_delimiter(u, h265))
                            .flat_map(|u| [&START_CODE[..], u]),
                    );
                write_packets(out, pid, continuity, first, total, pieces);
                Ok(required)
            }
            Payload::Aac { adts } => {
                let len = sample.data.len();
                if len > MAX_ADTS_PAYLOAD {
                    return Err(TsError::FrameTooLong {
                        track_id,
                        dts,
                        len,
                        max: MAX_ADTS_PAYLOAD,
                    });
                }
                let adts = adts_with_length(*adts, ADTS_HEADER_LEN + len);
                let es_len = ADTS_HEADER_LEN + len;
                let header = pes_header(stream.stream_id, pts, None, es_len);
                let total = header.len() + es_len;
                let required = prologue.len() + packet_count(total, first) * PACKET_SIZE;
                check_space(out, required)?;
                prologue.write(&mut self.tables, out);
                self.last_pcr = last_pcr;
                let pieces = [header.as_slice(), &adts[..], &sample.data[..]].into_iter();
                write_packets(out, pid, continuity, first, total, pieces);
                Ok(required)
            }
            Payload::Opus { pending_trim } => {
                let len = sample.data.len();
                if len > MAX_OPUS_PACKET {
                    return Err(TsError::FrameTooLong {
                        track_id,
                        dts,
                        len,
                        max: MAX_OPUS_PACKET,
                    });
                }
                // The pre-skip is trimmed from the first packets' decoded
                // samples, at most a packet's duration each.
                let samples = MediaTime::new(i64::from(sample.duration), sample.timescale)
                    .rescale(OPUS_CLOCK, Rounding::Nearest)
                    .ticks();
                let trim = (*pending_trim).min(u16::try_from(samples).unwrap_or(u16::MAX));
                let control = OpusControlHeader::new(len, trim);
                let es_len = control.len() + len;
                let header = pes_header(stream.stream_id, pts, None, es_len);
                let total = header.len() + es_len;
                let required = prologue.len() + packet_count(total, first) * PACKET_SIZE;
                check_space(out, required)?;
                prologue.write(&mut self.tables, out);
                self.last_pcr = last_pcr;
                *pending_trim -= trim;
                let pieces = [header.as_slice(), control.as_slice(), &sample.data[..]].into_iter();
                write_packets(out, pid, continuity, first, total, pieces);
                Ok(required)
            }
        }
    }
}

const PRIVATE_STREAM_1: u8 = 0xBD;
const OPUS_CLOCK: Timescale = Timescale::AUDIO_48KHZ;

/// The largest Opus packet (RFC 6716 3.2.5: 48 frames of at most 1 275
/// bytes).
const MAX_OPUS_PACKET: usize = 48 * 1_275;

/// The Opus control header before each Opus packet in a PES packet: the
/// 11-bit prefix 0x3FF, the trim flags, the packet's size as a run of 0xFF
/// bytes and a final byte below 255, and the start trim when flagged.
struct OpusControlHeader {
    bytes: [u8; 2 + MAX_OPUS_PACKET / 255 + 1 + 2],
    len: usize,
}

impl OpusControlHeader {
    fn new(packet_len: usize, trim_start: u16) -> OpusControlHeader {
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

    fn len(&self) -> usize {
        self.len
    }

    fn as_slice(&self) -> &[u8] {
        &self.bytes[..self.len]
    }
}

fn is_delimiter(unit: &[u8], h265: bool) -> bool {
    match unit.first() {
        None => true, // an empty unit carries nothing; leave it out
        Some(&b) if h265 => H265NalHeader::parse([b, 0]).nal_unit_type == H265_AUD_TYPE,
        Some(&b) => H264NalHeader::parse(b).nal_unit_type == H264NalHeader::AUD,
    }
}

const H265_AUD_TYPE: u8 = 35;

fn check_space(out: &impl BufMut, required: usize) -> Result<(), TsError> {
    let remaining = out.remaining_mut();
    if remaining < required {
        return Err(TsError::InsufficientSpace {
            required,
            remaining,
        });
    }
    Ok(())
}

/// The ADTS header `template` with `aac_frame_length` set to `frame_length`
/// (13 bits: the low 2 bits of byte 3, byte 4, the top 3 bits of byte 5).
fn adts_with_length(mut h: [u8; ADTS_HEADER_LEN], frame_length: usize) -> [u8; ADTS_HEADER_LEN] {
    let l = frame_length & 0x1FFF;
    h[3] = (h[3] & 0xFC) | ((l >> 11) as u8 & 0x03);
    h[4] = (l >> 3) as u8;
    h[5] = (h[5] & 0x1F) | (((l & 0x07) as u8) << 5);
    h
}

// ---------------------------------------------------------------------------
// PSI: PAT and PMT
// ---------------------------------------------------------------------------

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

/// A section buffer big enough for the PMT of [`MAX_TRACKS`] tracks.
struct Section {
    bytes: [u8; PACKET_SIZE],
    len: usize,
}

impl Section {
    fn new() -> Section {
        Section {
            bytes: [0; PACKET_SIZE],
            len: 0,
        }
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
fn program_association_section(
    transport_stream_id: u16,
    program_number: u16,
    pmt_pid: u16,
) -> Section {
    let mut s = Section::new();
    // table_id, section_syntax_indicator=1, '0', reserved '11', length later.
    s.push(&[0x00, 0xB0, 0x00]);
    s.push(&transport_stream_id.to_be_bytes());
    // reserved '11', version 0, current_next_indicator 1; section 0 of 0.
    s.push(&[0xC1, 0x00, 0x00]);
    s.push(&program_number.to_be_bytes());
    s.push(&(0xE000 | pmt_pid).to_be_bytes());
    s.finish()
}

/// The PMT section (table id 2) of one program.
fn program_map_section(
    program_number: u16,
    pcr_pid: u16,
    streams: &[(TsStream, EsDescriptor)],
) -> Section {
    let mut s = Section::new();
    s.push(&[0x02, 0xB0, 0x00]);
    s.push(&program_number.to_be_bytes());
    s.push(&[0xC1, 0x00, 0x00]);
    s.push(&(0xE000 | pcr_pid).to_be_bytes());
    s.push(&[0xF0, 0x00]); // program_info_length 0
    for (stream, descriptor) in streams {
        s.push(&[stream.stream_type.value()]);
        s.push(&(0xE000 | stream.pid).to_be_bytes());
        descriptor.push_to(&mut s);
    }
    s.finish()
}

/// One transport packet carrying `section` after a zero pointer field,
/// padded with 0xFF; continuity counter 0 (set when written).
fn psi_packet(pid: u16, section: &Section) -> [u8; PACKET_SIZE] {
    let mut p = [0xFF; PACKET_SIZE];
    p[0] = SYNC_BYTE;
    p[1] = 0x40 | ((pid >> 8) as u8 & 0x1F);
    p[2] = pid as u8;
    p[3] = 0x10;
    p[4] = 0x00;
    let body = section.as_slice();
    if let Some(dst) = p.get_mut(5..5 + body.len()) {
        dst.copy_from_slice(body);
    }
    p
}

// ---------------------------------------------------------------------------
// PES and packetization
// ---------------------------------------------------------------------------

/// A PES header of up to 19 bytes.
struct PesHeader {
    bytes: [u8; 19],
    len: usize,
}

impl PesHeader {
    fn as_slice(&self) -> &[u8] {
        &self.bytes[..self.len]
    }

    fn len(&self) -> usize {
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
fn pes_header(
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

/// What the adaptation field of a PES packet's first transport packet
/// carries.
#[derive(Clone, Copy, Debug)]
struct FirstPacket {
    pcr: Option<MpegTsTimestamp>,
    random_access: bool,
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
fn packet_count(total: usize, first: FirstPacket) -> usize {
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
fn write_packets<'a>(
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
        let control = if af > 0 { 0x30 } else { 0x10 };
        out.put_slice(&[
            SYNC_BYTE,
            (if is_first { 0x40 } else { 0 }) | ((pid >> 8) as u8 & 0x1F),
            pid as u8,
            control | *continuity,
        ]);
        if af > 0 {
            out.put_u8((af - 1) as u8);
            if af > 1 {
                let mut flags = 0u8;
                if fields.random_access {
                    flags |= 0x40;
                }
                if fields.pcr.is_some() {
                    flags |= 0x10;
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
    ) -> (TsStream, EsDescriptor) {
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
        // FFmpeg 5.1's PMT for H.264 and stereo Opus, less the ISO 639
        // language descriptor FFmpeg adds for the track's "und".
        let s = program_map_section(
            1,
            0x100,
            &[
                stream(1, 0x100, StreamType::H264, 0xE0),
                stream(2, 0x101, StreamType::Opus, 0xBD),
            ],
        );
        assert_eq!(
            &s.as_slice()[..s.len - 4],
            [
                0x02, 0xB0, 0x21, 0x00, 0x01, 0xC1, 0x00, 0x00, 0xE1, 0x00, 0xF0, 0x00, 0x1B, 0xE1,
                0x00, 0xF0, 0x00, 0x06, 0xE1, 0x01, 0xF0, 0x0A, 0x05, 0x04, b'O', b'p', b'u', b's',
                0x7F, 0x02, 0x80, 0x02
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
