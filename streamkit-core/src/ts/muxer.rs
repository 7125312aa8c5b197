//! The muxer: tracks to elementary streams, samples to PES packets, the
//! PCR schedule, continuity counters and the tables at segment starts.

use bytes::{BufMut, Bytes};

use crate::codec::CodecError;
use crate::codec::aac::AdtsHeader;
use crate::codec::{CodecConfig, MediaKind};
use crate::nal::{H264NalHeader, H265NalHeader, LengthPrefixedSlices, NalError, NalLengthSize};
use crate::sample::Sample;
use crate::time::{MediaTime, MpegTsTimestamp, Rounding, Timescale};
use crate::track::Track;

use super::packet::{FirstPacket, MAX_PID, PACKET_SIZE, packet_count, pcr_packet, write_packets};
use super::pes::{
    ADTS_HEADER_LEN, MAX_ADTS_PAYLOAD, MAX_OPUS_PACKET, OpusControlHeader, PRIVATE_STREAM_1,
    adts_with_length, pes_header,
};
use super::psi::{
    EsDescriptor, PAT_PID, StreamType, TsStream, program_association_section, program_map_section,
    psi_packet,
};

/// The most tracks one [`TsMuxer`] carries (the PMT must fit one packet).
pub const MAX_TRACKS: usize = 16;

const H264_AUD: [u8; 6] = [0, 0, 0, 1, 0x09, 0xF0];
const H265_AUD: [u8; 7] = [0, 0, 0, 1, 0x46, 0x01, 0x50];
const START_CODE: [u8; 4] = [0, 0, 0, 1];

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
    /// The longest time between PCRs, in 90 kHz ticks (ISO/IEC 13818-1
    /// 2.7.2 allows at most 100 ms; ETSI TR 101 290 checks 40 ms). When a
    /// sample comes this far past the last PCR and its PES packet carries
    /// none, a packet with only a PCR goes first, on the PCR PID.
    pub pcr_interval: u32,
    /// Repeat the PAT and PMT when a sample comes this long (90 kHz ticks)
    /// after they were last written, inside a segment too; 0: only at
    /// segment starts and (with
    /// [`tables_before_keyframes`](TsConfig::tables_before_keyframes))
    /// keyframes. A receiver that joins mid-stream (MPEG-TS over UDP)
    /// waits at most this long for them.
    pub table_interval: u32,
    /// Write the PAT and PMT before every video keyframe (unless they were
    /// just written), so that a receiver can start at any keyframe.
    pub tables_before_keyframes: bool,
    /// AAC frames gathered into one PES packet (1 to
    /// [`MAX_AUDIO_FRAMES_PER_PES`]): fewer PES headers and packets for
    /// audio, as broadcast muxers do; samples wait in the muxer until the
    /// PES packet is full or [`TsMuxer::flush`] is called.
    pub audio_frames_per_pes: u8,
}

/// The most AAC frames [`TsConfig::audio_frames_per_pes`] gathers.
pub const MAX_AUDIO_FRAMES_PER_PES: u8 = 16;

impl Default for TsConfig {
    /// Transport stream 1, program 1, PMT on PID 0x1000, tracks from PID
    /// 0x100, timestamps offset by 1.4 s and the PCR 0.7 s behind the DTS
    /// (the values FFmpeg uses); a PCR at least every 40 ms, the PAT and
    /// PMT before every video keyframe and at least every 500 ms (ETSI TR
    /// 101 290's limit), one AAC frame per PES packet.
    fn default() -> Self {
        TsConfig {
            transport_stream_id: 1,
            program_number: 1,
            pmt_pid: 0x1000,
            first_pid: 0x100,
            timestamp_offset: 126_000,
            pcr_delay: 63_000,
            pcr_interval: 3_600,
            table_interval: 45_000,
            tables_before_keyframes: true,
            audio_frames_per_pes: 1,
        }
    }
}

impl TsConfig {
    /// This configuration with PCRs at least every `ticks` (90 kHz).
    #[must_use]
    pub fn with_pcr_interval(mut self, ticks: u32) -> TsConfig {
        self.pcr_interval = ticks;
        self
    }

    /// This configuration with the tables repeated every `ticks` (90 kHz;
    /// 0: not by time).
    #[must_use]
    pub fn with_table_interval(mut self, ticks: u32) -> TsConfig {
        self.table_interval = ticks;
        self
    }

    /// This configuration with (or without) the tables before every video
    /// keyframe.
    #[must_use]
    pub fn with_tables_before_keyframes(mut self, on: bool) -> TsConfig {
        self.tables_before_keyframes = on;
        self
    }

    /// This configuration with `n` AAC frames per PES packet.
    #[must_use]
    pub fn with_audio_frames_per_pes(mut self, n: u8) -> TsConfig {
        self.audio_frames_per_pes = n;
        self
    }
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
        /// Frames waiting for their PES packet.
        pending: Vec<Sample>,
    },
    Opus {
        /// Samples (48 kHz) of the pre-skip not yet trimmed.
        pending_trim: u16,
    },
}

#[derive(Clone, Debug)]
struct Elementary {
    stream: TsStream,
    descriptor: EsDescriptor,
    /// An audio track's language, for the PMT's ISO 639 descriptor.
    language: Option<[u8; 3]>,
    payload: Payload,
    continuity: u8,
}

/// Writes an MPEG-TS program of H.264 / H.265 / AAC tracks. See the
/// [module documentation](crate::ts).
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

/// The PAT and PMT packets, ready but for their continuity counters.
#[derive(Clone, Debug)]
struct ProgramTables {
    pat: [u8; PACKET_SIZE],
    pmt: [u8; PACKET_SIZE],
    pat_continuity: u8,
    pmt_continuity: u8,
    written: bool,
    /// A PES packet was written since the tables.
    pes_since: bool,
    /// The DTS (90 kHz) of the first sample after the tables were last
    /// written.
    since_dts: Option<i64>,
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
        self.pes_since = false;
        self.since_dts = None;
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
        if !(1..=MAX_AUDIO_FRAMES_PER_PES).contains(&config.audio_frames_per_pes) {
            return Err(TsError::InvalidConfig {
                reason: "audio_frames_per_pes must be in 1..=16",
            });
        }
        if config.pcr_interval == 0 || config.pcr_interval > 9_000 {
            return Err(TsError::InvalidConfig {
                reason: "pcr_interval must be in 1..=9000 (100 ms)",
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
                    let pending = Vec::with_capacity(usize::from(config.audio_frames_per_pes));
                    (StreamType::AdtsAac, id, Payload::Aac { adts, pending })
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
                // Players pick audio by it (several languages); video
                // carries none, as FFmpeg writes.
                language: track.language.filter(|_| track.kind() == MediaKind::Audio),
                payload,
                continuity: 0,
            });
        }
        let pcr_pid = streams
            .iter()
            .find(|s| matches!(s.stream.stream_type, StreamType::H264 | StreamType::H265))
            .or(streams.first())
            .map_or(config.first_pid, |s| s.stream.pid);
        let stream_list: Vec<(TsStream, EsDescriptor, Option<[u8; 3]>)> = streams
            .iter()
            .map(|s| (s.stream, s.descriptor, s.language))
            .collect();
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
                pes_since: false,
                since_dts: None,
            },
            last_pcr: None,
        })
    }

    /// Takes a new codec configuration of one of its tracks (a new SPS and
    /// PPS, an AAC configuration of other channels) from the next sample on:
    /// the parameter sets written before keyframes and the ADTS headers are
    /// the new ones, the PIDs and continuity counters go on. Call it between
    /// segments (AAC frames still waiting for their PES packet would be
    /// written under the new header: that is refused).
    ///
    /// # Errors
    ///
    /// [`TsError::UnsupportedCodec`] when the track is not one of the
    /// muxer's or its stream type would change (H.264 to H.265: a new
    /// program, not a new configuration), [`TsError::InvalidConfig`] while
    /// AAC frames wait, and the errors of [`TsMuxer::new`] for the
    /// configuration itself.
    pub fn update_track(&mut self, track: &Track) -> Result<(), TsError> {
        let Some(index) = self
            .streams
            .iter()
            .position(|s| s.stream.track_id == track.id)
        else {
            return Err(TsError::UnsupportedCodec {
                track_id: track.id,
                codec: "a track the muxer was not built with",
            });
        };
        if matches!(&self.streams[index].payload, Payload::Aac { pending, .. } if !pending.is_empty())
        {
            return Err(TsError::InvalidConfig {
                reason: "AAC frames wait for their PES packet: update the track between segments",
            });
        }
        let config = TsConfig {
            first_pid: self.streams[index].stream.pid,
            pmt_pid: if self.streams[index].stream.pid == 0x0010 {
                0x0011
            } else {
                0x0010
            },
            ..self.config
        };
        let built = TsMuxer::with_config(core::slice::from_ref(track), config)?;
        let Some(new) = built.streams.into_iter().next() else {
            return Err(TsError::NoTracks);
        };
        let old = &mut self.streams[index];
        if new.stream.stream_type != old.stream.stream_type {
            return Err(TsError::UnsupportedCodec {
                track_id: track.id,
                codec: "a change of stream type within a program",
            });
        }
        // The PMT (stream type, descriptors, language) stays as it is.
        old.payload = new.payload;
        Ok(())
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
    /// called, the PAT and PMT come first; they come again before a video
    /// keyframe and after [`TsConfig::table_interval`] as configured.
    ///
    /// With [`TsConfig::audio_frames_per_pes`] above 1, AAC frames wait
    /// until the PES packet is full (then 0 bytes are written for the
    /// others); [`flush`](TsMuxer::flush) writes those still waiting.
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
        let per_pes = usize::from(self.config.audio_frames_per_pes);
        if let Payload::Aac { pending, .. } = &mut self.streams[index].payload
            && per_pes > 1
        {
            let len = sample.data.len();
            if len > MAX_ADTS_PAYLOAD {
                return Err(TsError::FrameTooLong {
                    track_id,
                    dts,
                    len,
                    max: MAX_ADTS_PAYLOAD,
                });
            }
            pending.push(sample.clone());
            if pending.len() < per_pes {
                return Ok(0);
            }
            let frames = std::mem::take(pending);
            let written = self.write_pes(index, &frames, out);
            if let Payload::Aac { pending, .. } = &mut self.streams[index].payload {
                *pending = frames;
                if written.is_ok() {
                    pending.clear();
                } else {
                    // Unchanged on error: the frame just given is not kept.
                    pending.pop();
                }
            }
            return written;
        }
        self.write_pes(index, core::slice::from_ref(sample), out)
    }

    /// Writes the AAC frames still waiting for their PES packet (see
    /// [`TsConfig::audio_frames_per_pes`]): call it at the end of the
    /// stream and before a segment ends. Returns the bytes written.
    pub fn flush(&mut self, out: &mut impl BufMut) -> Result<usize, TsError> {
        let mut total = 0;
        for index in 0..self.streams.len() {
            let Payload::Aac { pending, .. } = &mut self.streams[index].payload else {
                continue;
            };
            if pending.is_empty() {
                continue;
            }
            let frames = std::mem::take(pending);
            let written = self.write_pes(index, &frames, out);
            if let Payload::Aac { pending, .. } = &mut self.streams[index].payload {
                *pending = frames;
                if written.is_ok() {
                    pending.clear();
                }
            }
            total += written?;
        }
        Ok(total)
    }

    /// Writes `frames` (one sample, or several AAC frames) as one PES
    /// packet of the stream at `index`, timed by the first.
    fn write_pes(
        &mut self,
        index: usize,
        frames: &[Sample],
        out: &mut impl BufMut,
    ) -> Result<usize, TsError> {
        let Some(sample) = frames.first() else {
            return Ok(0);
        };
        let (track_id, dts) = (sample.track_id, sample.dts);
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
        // a sample comes `pcr_interval` or more past the last PCR, in a
        // packet of its own on the PCR PID (adaptation field only).
        let pcr_value = dts90.saturating_sub(i64::from(self.config.pcr_delay));
        let on_pcr_pid = self.streams[index].stream.pid == self.pcr_pid;
        let (pes_pcr, pcr_only) = match self.last_pcr {
            _ if on_pcr_pid => (
                Some(self.last_pcr.map_or(pcr_value, |l| pcr_value.max(l))),
                None,
            ),
            Some(last) if pcr_value >= last.saturating_add(i64::from(self.config.pcr_interval)) => {
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
        let is_video = matches!(
            self.streams[index].payload,
            Payload::H264 { .. } | Payload::H265 { .. }
        );
        let interval = i64::from(self.config.table_interval);
        let tables = !self.tables.written
            || (self.config.tables_before_keyframes
                && is_video
                && sample.keyframe
                && self.tables.pes_since)
            || (interval > 0
                && self
                    .tables
                    .since_dts
                    .is_some_and(|t| dts90 >= t.saturating_add(interval)));
        let prologue = Prologue { tables, pcr_only };
        let tables_dts = if tables {
            Some(dts90)
        } else {
            self.tables.since_dts.or(Some(dts90))
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
                self.tables.pes_since = true;
                self.tables.since_dts = tables_dts;
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
            Payload::Aac { adts, .. } => {
                let mut es_len = 0;
                for frame in frames {
                    let len = frame.data.len();
                    if len > MAX_ADTS_PAYLOAD {
                        return Err(TsError::FrameTooLong {
                            track_id,
                            dts: frame.dts,
                            len,
                            max: MAX_ADTS_PAYLOAD,
                        });
                    }
                    es_len += ADTS_HEADER_LEN + len;
                }
                let header = pes_header(stream.stream_id, pts, None, es_len);
                let total = header.len() + es_len;
                let required = prologue.len() + packet_count(total, first) * PACKET_SIZE;
                check_space(out, required)?;
                prologue.write(&mut self.tables, out);
                self.tables.pes_since = true;
                self.tables.since_dts = tables_dts;
                self.last_pcr = last_pcr;
                let mut headers = [[0u8; ADTS_HEADER_LEN]; MAX_AUDIO_FRAMES_PER_PES as usize];
                for (h, frame) in headers.iter_mut().zip(frames) {
                    *h = adts_with_length(*adts, ADTS_HEADER_LEN + frame.data.len());
                }
                let pieces = core::iter::once(header.as_slice()).chain(
                    headers
                        .iter()
                        .zip(frames)
                        .flat_map(|(h, f)| [&h[..], &f.data[..]]),
                );
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
                self.tables.pes_since = true;
                self.tables.since_dts = tables_dts;
                self.last_pcr = last_pcr;
                *pending_trim -= trim;
                let pieces = [header.as_slice(), control.as_slice(), &sample.data[..]].into_iter();
                write_packets(out, pid, continuity, first, total, pieces);
                Ok(required)
            }
        }
    }
}

const OPUS_CLOCK: Timescale = Timescale::AUDIO_48KHZ;

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
