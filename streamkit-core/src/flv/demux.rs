//! FLV tag bodies to tracks and samples.

use std::collections::VecDeque;

use bytes::Bytes;

use super::audio::{AudioCodec, AudioPacketType, AudioTag};
use super::video::{VideoCodec, VideoPacketType, VideoTag};
use super::{FlvError, FourCc, TagType};
use crate::codec::aac::AacConfig;
use crate::codec::h264::AvcConfig;
use crate::codec::h265::HevcConfig;
use crate::codec::opus::{OpusConfig, OpusHead};
use crate::codec::{CodecConfig, MediaKind};
use crate::sample::Sample;
use crate::time::{MediaTime, Rounding, Timescale};
use crate::track::Track;

/// The most tracks (video and audio together) a demuxer follows.
pub const MAX_FLV_TRACKS: usize = 16;

/// What a [`FlvDemuxer`] gives out, in order.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum FlvEvent {
    /// A track's configuration: the first sequence header of a track, or
    /// a new one that differs (a changed SPS); the samples that follow use
    /// it. Track ids: FLV video track `n` is `2n + 1`, audio track `n` is
    /// `2n + 2` (so a plain stream has video 1 and audio 2).
    Track(Track),
    /// A sample, its data a slice of the tag body.
    Sample(Sample),
    /// The publisher ended a track's sequence (`SequenceEnd`).
    SequenceEnd {
        /// The track.
        track_id: u32,
    },
    /// A track whose codec this crate has no model for (AV1, VP9, MP3,
    /// ...): reported once; its frames are counted
    /// ([`FlvDemuxer::unsupported_frames`]), not delivered.
    Unsupported(UnsupportedMedia),
}

/// A track of a codec without a model, as [`FlvEvent::Unsupported`]
/// reports it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct UnsupportedMedia {
    /// Video or audio.
    pub kind: MediaKind,
    /// The FLV track id.
    pub flv_track: u8,
    /// The FourCC, when the codec has one.
    pub fourcc: Option<FourCc>,
    /// The legacy codec id or sound format, for a legacy codec.
    pub legacy_id: Option<u8>,
}

#[derive(Debug, Clone)]
struct TrackState {
    track: Track,
    /// The sample waiting for the next one's decode time (its duration).
    held: Option<Sample>,
    last_duration: u32,
    /// The decode time of the track's last video sample.
    last_dts: Option<i64>,
    /// Decode time the next audio frame is expected at (frame grid).
    next_dts: Option<i64>,
}

/// FLV video and audio tag bodies in (an FLV file's or RTMP's media
/// messages), tracks and samples out.
///
/// Call [`FlvDemuxer::push_tag`] for each tag, in order, with its
/// timestamp in milliseconds (an RTMP session gives them extended past
/// 32 bits), then drain [`FlvDemuxer::poll_event`]; [`FlvDemuxer::finish`]
/// at the end gives out the samples still held.
///
/// Times: video tracks run at 90 kHz (a millisecond is 90 ticks, a ModEx
/// nanosecond offset is rounded to the nearest tick), audio tracks at
/// their sample rate (AAC's sampling frequency, 48 kHz for Opus). Audio
/// decode times are kept on the grid of the codec's frame length (1024 or
/// 960 AAC samples, the duration an Opus packet's TOC says) while the tag
/// times stay within a millisecond of it, so 44.1 kHz AAC, whose frames do
/// not last whole milliseconds, comes out with exact timestamps.
///
/// Video durations: FLV tags carry no duration, so a video sample's
/// duration is the distance to the next sample of its track. A demuxer
/// made by [`FlvDemuxer::new`] (files) holds each video sample until the
/// next one arrives (one frame later) or a sequence end or
/// [`FlvDemuxer::finish`], so every duration is exact. A demuxer made by
/// [`FlvDemuxer::live`] (an RTMP ingest, where a frame held is a frame of
/// latency) holds only a track's first video sample; every later one is
/// given out as it arrives, with the interval before it (the previous
/// frame's distance to it) as the estimate of its duration. The estimate
/// is exact at a constant frame rate; where the rate changes, the next
/// frame's decode time still comes from its own tag, so an error never
/// carries over into later frames (a fragmented MP4 writer takes the
/// durations of all but a run's last sample from the decode times, and
/// each run starts at its first sample's decode time).
#[derive(Debug, Default)]
pub struct FlvDemuxer {
    /// Video samples go out as they arrive ([`FlvDemuxer::live`]).
    live: bool,
    tracks: Vec<TrackState>,
    unsupported: Vec<UnsupportedMedia>,
    unsupported_frames: u64,
    events: VecDeque<FlvEvent>,
}

fn video_id(flv_track: u8) -> u32 {
    2 * u32::from(flv_track) + 1
}

fn audio_id(flv_track: u8) -> u32 {
    2 * u32::from(flv_track) + 2
}

/// The duration of an Opus packet in 48 kHz ticks, from its TOC byte
/// (RFC 6716 3.1); `None` for an empty or malformed packet.
fn opus_packet_ticks(data: &[u8]) -> Option<u32> {
    let toc = *data.first()?;
    let config = toc >> 3;
    let frame = match config {
        0..=11 => [480, 960, 1920, 2880][usize::from(config % 4)],
        12..=15 => [480, 960][usize::from(config % 2)],
        _ => [120, 240, 480, 960][usize::from(config % 4)],
    };
    let frames = match toc & 3 {
        0 => 1,
        1 | 2 => 2,
        _ => u32::from(*data.get(1)? & 0x3f),
    };
    let ticks = frame * frames;
    // At most 120 ms per packet.
    (ticks > 0 && ticks <= 5_760).then_some(ticks)
}

impl FlvDemuxer {
    /// A demuxer with no tracks yet.
    #[must_use]
    pub fn new() -> FlvDemuxer {
        FlvDemuxer::default()
    }

    /// A demuxer with no tracks yet that gives each video sample out as it
    /// arrives (after a track's first, which waits for the second), its
    /// duration estimated from the interval before it: for a live
    /// ingest, where the one-frame hold of [`FlvDemuxer::new`] would add a
    /// frame of latency. See the type's documentation.
    #[must_use]
    pub fn live() -> FlvDemuxer {
        FlvDemuxer {
            live: true,
            ..FlvDemuxer::default()
        }
    }

    /// The tracks configured so far.
    pub fn tracks(&self) -> impl Iterator<Item = &Track> {
        self.tracks.iter().map(|t| &t.track)
    }

    /// Frames of unsupported codecs passed over so far.
    #[must_use]
    pub fn unsupported_frames(&self) -> u64 {
        self.unsupported_frames
    }

    /// Takes one tag body of `tag_type` with its timestamp in
    /// milliseconds. Script data tags are not media: they are passed over
    /// (read them with an AMF decoder).
    ///
    /// # Errors
    ///
    /// A tag body that does not parse ([`FlvError`]'s parse variants), a
    /// sequence header whose configuration does not parse
    /// ([`FlvError::Codec`]), coded frames before their track's sequence
    /// header ([`FlvError::NoSequenceHeader`]), a
    /// track beyond [`MAX_FLV_TRACKS`]. The packets of the tag before the
    /// failing one were taken; nothing else changed.
    pub fn push_tag(
        &mut self,
        tag_type: TagType,
        timestamp: i64,
        body: &Bytes,
    ) -> Result<(), FlvError> {
        match tag_type {
            TagType::Video => self.push_video(timestamp, body),
            TagType::Audio => self.push_audio(timestamp, body),
            TagType::Script | TagType::ScriptAmf3 => Ok(()),
        }
    }

    /// Gives out the samples still held (each with its track's last
    /// duration). Tags may follow (a new sequence). Calling it again does
    /// nothing.
    pub fn finish(&mut self) {
        for i in 0..self.tracks.len() {
            self.flush(i);
        }
    }

    /// The next event, in order.
    #[must_use]
    pub fn poll_event(&mut self) -> Option<FlvEvent> {
        self.events.pop_front()
    }

    fn find(&self, id: u32) -> Option<usize> {
        self.tracks.iter().position(|t| t.track.id == id)
    }

    fn flush(&mut self, i: usize) {
        let t = &mut self.tracks[i];
        if let Some(mut s) = t.held.take() {
            s.duration = t.last_duration.max(1);
            self.events.push_back(FlvEvent::Sample(s));
        }
    }

    fn note_unsupported(&mut self, media: UnsupportedMedia) {
        if !self.unsupported.contains(&media) {
            self.unsupported.push(media);
            self.events.push_back(FlvEvent::Unsupported(media));
        }
    }

    fn configure(&mut self, track: Track) -> Result<(), FlvError> {
        match self.find(track.id) {
            Some(i) => {
                if self.tracks[i].track.codec == track.codec {
                    return Ok(());
                }
                // Samples before the new configuration belong to the old.
                self.flush(i);
                let t = &mut self.tracks[i];
                if t.track.timescale != track.timescale {
                    t.next_dts = None;
                }
                t.track = track.clone();
            }
            None => {
                if self.tracks.len() >= MAX_FLV_TRACKS {
                    return Err(FlvError::TooManyTracks);
                }
                self.tracks.push(TrackState {
                    track: track.clone(),
                    held: None,
                    last_duration: 0,
                    last_dts: None,
                    next_dts: None,
                });
            }
        }
        self.events.push_back(FlvEvent::Track(track));
        Ok(())
    }

    fn push_video(&mut self, timestamp: i64, body: &Bytes) -> Result<(), FlvError> {
        let tag = VideoTag::parse(body)?;
        if tag.command.is_some() {
            return Ok(());
        }
        for packet in tag.packets() {
            let packet = packet?;
            let id = video_id(packet.track_id);
            let fourcc = packet.codec.fourcc();
            let unsupported = || UnsupportedMedia {
                kind: MediaKind::Video,
                flv_track: packet.track_id,
                fourcc,
                legacy_id: match packet.codec {
                    VideoCodec::Legacy(id) => Some(id),
                    VideoCodec::FourCc(_) => None,
                },
            };
            let supported = matches!(fourcc, Some(FourCc::AVC) | Some(FourCc::HEVC));
            match packet.packet_type {
                VideoPacketType::SequenceStart => {
                    if !supported {
                        self.note_unsupported(unsupported());
                        continue;
                    }
                    let codec_error = |source| FlvError::Codec {
                        media: "video",
                        flv_track: packet.track_id,
                        codec: fourcc.unwrap_or(FourCc::AVC),
                        source,
                    };
                    let codec = if fourcc == Some(FourCc::AVC) {
                        CodecConfig::H264(
                            AvcConfig::parse_bytes(&packet.data).map_err(codec_error)?,
                        )
                    } else {
                        CodecConfig::H265(
                            HevcConfig::parse_bytes(&packet.data).map_err(codec_error)?,
                        )
                    };
                    self.configure(Track::new(id, Timescale::VIDEO_90KHZ, codec))?;
                }
                VideoPacketType::CodedFrames | VideoPacketType::CodedFramesX => {
                    if !supported {
                        self.note_unsupported(unsupported());
                        self.unsupported_frames += 1;
                        continue;
                    }
                    let Some(i) = self.find(id) else {
                        return Err(FlvError::NoSequenceHeader {
                            media: "video",
                            flv_track: packet.track_id,
                            timestamp,
                        });
                    };
                    let dts = timestamp.saturating_mul(90).saturating_add(
                        (i64::from(tag.timestamp_offset_nanos) * 90 + 500_000) / 1_000_000,
                    );
                    let mut sample = Sample {
                        track_id: id,
                        dts,
                        composition_offset: packet.composition_time.saturating_mul(90),
                        duration: 0,
                        timescale: Timescale::VIDEO_90KHZ,
                        keyframe: tag.frame_type.is_key(),
                        data: packet.data,
                    };
                    let t = &mut self.tracks[i];
                    let previous = t.last_dts.replace(dts);
                    let interval = |last: i64, fallback: u32| {
                        u32::try_from(dts.saturating_sub(last))
                            .ok()
                            .filter(|d| *d > 0)
                            .unwrap_or(fallback.max(1))
                    };
                    if let Some(mut held) = t.held.take() {
                        let d = interval(held.dts, t.last_duration);
                        held.duration = d;
                        t.last_duration = d;
                        self.events.push_back(FlvEvent::Sample(held));
                    }
                    match previous {
                        Some(last) if self.live => {
                            // Given out at once: the interval before it
                            // is the estimate of its own duration.
                            let d = interval(last, t.last_duration);
                            sample.duration = d;
                            t.last_duration = d;
                            self.events.push_back(FlvEvent::Sample(sample));
                        }
                        _ => t.held = Some(sample),
                    }
                }
                VideoPacketType::SequenceEnd => {
                    if let Some(i) = self.find(id) {
                        self.flush(i);
                        self.tracks[i].last_dts = None;
                        self.events
                            .push_back(FlvEvent::SequenceEnd { track_id: id });
                    }
                }
                VideoPacketType::Metadata | VideoPacketType::Mpeg2TsSequenceStart => {}
            }
        }
        Ok(())
    }

    fn push_audio(&mut self, timestamp: i64, body: &Bytes) -> Result<(), FlvError> {
        let tag = AudioTag::parse(body)?;
        for packet in tag.packets() {
            let packet = packet?;
            let id = audio_id(packet.track_id);
            let fourcc = packet.codec.fourcc();
            let unsupported = || UnsupportedMedia {
                kind: MediaKind::Audio,
                flv_track: packet.track_id,
                fourcc,
                legacy_id: match packet.codec {
                    AudioCodec::Legacy { format, .. } => Some(format),
                    AudioCodec::FourCc(_) => None,
                },
            };
            let supported = matches!(fourcc, Some(FourCc::AAC) | Some(FourCc::OPUS));
            match packet.packet_type {
                AudioPacketType::SequenceStart => {
                    if !supported {
                        self.note_unsupported(unsupported());
                        continue;
                    }
                    let codec_error = |source| FlvError::Codec {
                        media: "audio",
                        flv_track: packet.track_id,
                        codec: fourcc.unwrap_or(FourCc::AAC),
                        source,
                    };
                    let (codec, rate) = if fourcc == Some(FourCc::AAC) {
                        let c = AacConfig::parse(&packet.data).map_err(codec_error)?;
                        let rate = c.sampling_frequency;
                        (CodecConfig::Aac(c), rate)
                    } else if packet.data.is_empty() {
                        // An empty Opus sequence start: mono or stereo.
                        (
                            CodecConfig::Opus(OpusConfig::stereo(0, 48_000)),
                            crate::codec::opus::OPUS_SAMPLE_RATE,
                        )
                    } else {
                        let head = OpusHead::parse(&packet.data).map_err(codec_error)?;
                        (
                            CodecConfig::Opus(head.config),
                            crate::codec::opus::OPUS_SAMPLE_RATE,
                        )
                    };
                    let timescale = Timescale::new(rate).ok_or(FlvError::Invalid {
                        structure: "audio sequence header",
                        field: "sampling frequency",
                        offset: 0,
                        value: 0,
                        reason: "must not be zero",
                    })?;
                    self.configure(Track::new(id, timescale, codec))?;
                }
                AudioPacketType::CodedFrames => {
                    if !supported {
                        self.note_unsupported(unsupported());
                        self.unsupported_frames += 1;
                        continue;
                    }
                    let Some(i) = self.find(id) else {
                        return Err(FlvError::NoSequenceHeader {
                            media: "audio",
                            flv_track: packet.track_id,
                            timestamp,
                        });
                    };
                    let t = &mut self.tracks[i];
                    let timescale = t.track.timescale;
                    let ns =
                        i128::from(timestamp) * 1_000_000 + i128::from(tag.timestamp_offset_nanos);
                    let ns = i64::try_from(ns).unwrap_or(i64::MAX);
                    let mut dts = MediaTime::new(ns, Timescale::NANOS)
                        .rescale(timescale, Rounding::Nearest)
                        .ticks();
                    let tolerance = i64::from(timescale.hz() / 1000) + 1;
                    if let Some(expected) = t.next_dts
                        && (dts - expected).abs() <= tolerance
                    {
                        dts = expected;
                    }
                    let frame = match &t.track.codec {
                        CodecConfig::Aac(c) => c.frame_length(),
                        CodecConfig::Opus(_) => opus_packet_ticks(&packet.data),
                        _ => None,
                    };
                    let sample = Sample {
                        track_id: id,
                        dts,
                        composition_offset: 0,
                        duration: frame.unwrap_or(0),
                        timescale,
                        keyframe: true,
                        data: packet.data,
                    };
                    match frame {
                        Some(f) => {
                            // The frame's own length: no need to wait for
                            // the next one. A held one (a frame of unknown
                            // length before) ends here.
                            if let Some(mut held) = t.held.take() {
                                held.duration = u32::try_from(dts - held.dts)
                                    .ok()
                                    .filter(|d| *d > 0)
                                    .unwrap_or(f);
                                self.events.push_back(FlvEvent::Sample(held));
                            }
                            t.next_dts = Some(dts + i64::from(f));
                            t.last_duration = f;
                            self.events.push_back(FlvEvent::Sample(sample));
                        }
                        None => {
                            t.next_dts = None;
                            if let Some(mut held) = t.held.replace(sample) {
                                let d = u32::try_from(dts - held.dts)
                                    .ok()
                                    .filter(|d| *d > 0)
                                    .unwrap_or(t.last_duration.max(1));
                                held.duration = d;
                                t.last_duration = d;
                                self.events.push_back(FlvEvent::Sample(held));
                            }
                        }
                    }
                }
                AudioPacketType::SequenceEnd => {
                    if let Some(i) = self.find(id) {
                        self.flush(i);
                        self.tracks[i].next_dts = None;
                        self.events
                            .push_back(FlvEvent::SequenceEnd { track_id: id });
                    }
                }
                AudioPacketType::MultichannelConfig => {}
            }
        }
        Ok(())
    }
}
