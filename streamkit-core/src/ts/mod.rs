//! MPEG-TS (ISO/IEC 13818-1) out and in: H.264, H.265, AAC and Opus in
//! 188-byte transport packets, for HLS segments and MPEG-TS over UDP; and
//! the demuxer that reads what others send ([`TsDemuxer`], [`TsFile`]).
//!
//! # Reading
//!
//! A [`TsDemuxer`] takes bytes as they come ([`TsDemuxer::push`]: file
//! chunks, UDP datagrams, packets split anywhere) and gives
//! [`TsEvent`]s ([`TsDemuxer::poll_event`]):
//!
//! - **Packets**: sync found on a sync byte repeated at a stride of 188,
//!   192 (M2TS time codes) or 204 bytes (Reed-Solomon parity), and found
//!   again after garbage ([`TsEvent::Resync`]); null packets skipped;
//!   packets with the transport error indicator dropped and reported;
//!   continuity counters checked per PID, a gap reported with its PID and
//!   the packets missing ([`ContinuityError`]), a duplicate packet
//!   skipped; PCRs and discontinuity indicators reported.
//! - **Programs**: the PAT and each PMT, sections over several packets,
//!   CRC checked, a new version announced ([`TsEvent::Program`]) and
//!   applied (streams added, removed, changed). At most [`MAX_PROGRAMS`]
//!   programs and [`MAX_DEMUXED_STREAMS`] elementary streams.
//! - **Tracks** ([`TsEvent::Track`], the track id is the PID): H.264 and
//!   H.265 from their in-band parameter sets (a new configuration when
//!   they change), AAC from the ADTS header, Opus (stream type 0x06 with
//!   the `Opus` registration descriptor, packets after their control
//!   header, as the ETSI mapping and FFmpeg frame them); the ISO 639
//!   language descriptor becomes the track's language.
//! - **Samples** ([`TsSample`]): one access unit per video PES packet
//!   (unbounded `PES_packet_length` 0 ends at the next PES packet),
//!   several AAC frames or Opus packets per PES packet as separate
//!   samples. Video is on the 90 kHz clock with PTS and DTS; audio on its
//!   sample rate, later frames of a PES packet placed after the first by
//!   their sample counts. Times are extended past the 33-bit wrap
//!   ([`Extender`](crate::time::Extender)). Keyframes are IDR (H.264) or
//!   IRAP (H.265) access units; the random access indicator is reported
//!   beside. A video sample is held until the next one gives its
//!   duration.
//! - **Waiting**: nothing of a stream comes before its PMT; its samples
//!   come once its codec configuration is known, video from a keyframe,
//!   and again from the next keyframe after lost packets; what is left
//!   out is reported ([`TsEvent::Skipped`]).
//! - **PES packets only** ([`TsDemuxOutput::PesPackets`] in
//!   [`TsDemuxConfig`]): each PES packet's payload and times as one
//!   [`TsEvent::Pes`], without the codec layer (no tracks, no samples).
//! - **A sink instead of the queue** ([`TsDemuxer::push_with`],
//!   [`TsSink`]): the same events in the same order, handed over during
//!   the call; PES packets lent ([`TsPesRef`], a borrowed payload) rather
//!   than owned, so that a relay or recorder reading each one at once pays
//!   no reference count and no allocation (each stream's buffer is reused,
//!   and a PES packet inside one transport packet is lent from it
//!   without a copy).
//! - **Bounds**: a PES packet larger than [`TsDemuxConfig`]'s limit is
//!   dropped (8 MiB of video, 256 KiB of audio by default); carried-over
//!   input is at most three packets.
//!
//! Each PES packet is copied once, out of the transport packets into its
//! stream's buffer (none when it is lent from its only transport packet);
//! samples are slices of that buffer (video converted to
//! length-prefixed NAL units in place). No allocation per packet or per
//! sample: the buffers grow by 64 KiB chunks. [`TsFile`] reads a whole
//! file: the first program's tracks and samples from decode time zero.
//!
//! # Writing
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
//!   one frame per PES packet, with its PTS, or up to 16 with
//!   [`TsConfig::audio_frames_per_pes`] (then call [`TsMuxer::flush`] at
//!   the end).
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
//!   PID; so PCRs come at least every [`TsConfig::pcr_interval`] (40 ms by
//!   default, at most the 100 ms ISO/IEC 13818-1 allows) while any track
//!   has samples.
//! - **Tables**: the PAT and PMT at the start of every segment
//!   ([`TsMuxer::begin_segment`]), before every video keyframe
//!   ([`TsConfig::tables_before_keyframes`]) and at least every
//!   [`TsConfig::table_interval`] (500 ms by default): a receiver that
//!   joins mid-stream finds them soon.
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
//! [`Track`]: crate::track::Track
//! [`Sample`]: crate::sample::Sample
//! [`MpegTsTimestamp`]: crate::time::MpegTsTimestamp
//!
//! # Layout
//!
//! The module is split by layer: transport packets (`packet.rs`), program
//! tables (`psi.rs`: sections, CRC, PAT, PMT), PES packets and the audio
//! framing inside them (`pes.rs`), the muxer over them (`muxer.rs`), the
//! demuxer's packet and table layer (`demux.rs`), its elementary streams
//! (`demux_es.rs`), what it reports (`demux_event.rs`) and the whole-file
//! reader (`file.rs`). Every public
//! item is re-exported here.

mod demux;
mod demux_es;
mod demux_event;
mod file;
mod muxer;
mod packet;
mod pes;
mod psi;

pub use demux::{MAX_DEMUXED_STREAMS, MAX_PROGRAMS, TsDemuxer};
pub use demux_event::{
    ContinuityError, Pcr, SkipReason, TsDemuxConfig, TsDemuxError, TsDemuxOutput, TsEvent,
    TsEventRef, TsPes, TsPesRef, TsProgram, TsProgramStream, TsSample, TsSink,
};
pub use file::{TsFile, TsFileError};
pub use muxer::{MAX_AUDIO_FRAMES_PER_PES, MAX_TRACKS, TsConfig, TsError, TsMuxer};
pub use packet::{MAX_PID, PACKET_SIZE, SYNC_BYTE};
pub use psi::{PAT_PID, StreamType, TsStream, crc32_mpeg2};
