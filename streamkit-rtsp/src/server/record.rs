//! RTP in, samples out: one recorded track's jitter buffer,
//! depacketizer, decode-time derivation and receiver session.

use std::collections::VecDeque;
use std::time::Instant;

use bytes::Bytes;
use streamkit_core::clock::{NtpTimestamp, UnixTime};
use streamkit_core::codec::aac::AacConfig;
use streamkit_core::codec::h264::AvcConfig;
use streamkit_core::codec::h265::HevcConfig;
use streamkit_core::codec::{CodecConfig, CodecError, MediaKind};
use streamkit_core::sample::Sample;
use streamkit_core::time::{MediaTime, RtpTimestamp};
use streamkit_core::track::Track;
use streamkit_rtp::jitter::{JitterBuffer, JitterConfig, Released};
use streamkit_rtp::packet::RtpPacket;
use streamkit_rtp::payload::aac::AacDepacketized;
use streamkit_rtp::payload::opus::OpusDepacketized;
use streamkit_rtp::payload::{
    AccessUnit, Depacketized, DepacketizedUnit, Depacketizer, rtp_clock_rate,
};
use streamkit_rtp::session::{ReceiverConfig, ReceiverEvent, RtpReceiver};

use crate::dts::DecodeTimeline;

/// What a recorded track reports beside its samples.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum TrackReport {
    /// Packets or units were lost; video waits for its next keyframe.
    Loss {
        lost_packets: u64,
        waiting_for_keyframe: bool,
    },
    /// A sender report linked media time to the wall clock.
    WallClock { media: MediaTime, unix: UnixTime },
    /// In-band parameter sets differed from the track's and did not
    /// parse: the track keeps its configuration.
    BadParameterSets { error: CodecError },
    /// The sender said BYE.
    Goodbye,
}

/// What a recorded track gives out, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Recorded {
    /// A sample, on the configuration last given.
    Sample(Sample),
    /// The track's codec configuration changed (new in-band parameter
    /// sets): the samples after this are on the new one, the first a
    /// keyframe that carries them.
    TrackChanged(Track),
}

/// One recorded track.
pub(crate) struct Recorder {
    track: Track,
    jitter: JitterBuffer<RtpPacket>,
    depacketizer: Depacketizer,
    /// Access units with the configuration that starts at them, if any.
    timeline: DecodeTimeline<(AccessUnit, Option<Track>)>,
    receiver: RtpReceiver,
    /// The first RTP timestamp (media time zero) and the last one,
    /// extended.
    first: Option<u32>,
    last: u32,
    extended: i64,
    waiting_for_keyframe: bool,
    /// A configuration from in-band parameter sets, waiting for the
    /// access unit that carried them.
    changed: Option<Track>,
    /// A sample waiting for the next one's decode time (its duration),
    /// with the configuration that starts at it.
    held: Option<(Sample, Option<Track>)>,
    samples: VecDeque<Recorded>,
    reports: VecDeque<TrackReport>,
    dropped_until_keyframe: u64,
    /// The duration of the last sample queued (what the last one of a
    /// stream gets, having no next).
    last_duration: u32,
    /// The last sender report's NTP time and RTP timestamp.
    sender_report: Option<(NtpTimestamp, u32)>,
}

impl std::fmt::Debug for Recorder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Recorder")
            .field("track", &self.track.id)
            .finish_non_exhaustive()
    }
}

/// The most samples and reports a recorder holds for polling.
const MAX_QUEUED: usize = 4096;

impl Recorder {
    pub(crate) fn new(
        now: Instant,
        track: Track,
        depacketizer: Depacketizer,
        jitter: JitterConfig,
        cname: &str,
        seed: u64,
    ) -> Recorder {
        let receiver = ReceiverConfig::new(track.timescale, cname, seed);
        Recorder::with_receiver(now, track, depacketizer, jitter, receiver)
    }

    /// A recorder whose receiver session is set up by `receiver` (a
    /// client's: no NACKs towards an RTP/AVP server).
    pub(crate) fn with_receiver(
        now: Instant,
        track: Track,
        depacketizer: Depacketizer,
        jitter: JitterConfig,
        receiver: ReceiverConfig,
    ) -> Recorder {
        let timeline = DecodeTimeline::for_codec(&track.codec);
        let receiver = RtpReceiver::new(now, receiver);
        let video = track.kind() == MediaKind::Video;
        Recorder {
            track,
            jitter: JitterBuffer::new(jitter),
            depacketizer,
            timeline,
            receiver,
            first: None,
            last: 0,
            extended: 0,
            waiting_for_keyframe: video,
            changed: None,
            held: None,
            samples: VecDeque::new(),
            reports: VecDeque::new(),
            dropped_until_keyframe: 0,
            last_duration: 0,
            sender_report: None,
        }
    }

    pub(crate) fn track(&self) -> &Track {
        &self.track
    }

    /// Access units dropped because they came before a keyframe.
    pub(crate) fn dropped_until_keyframe(&self) -> u64 {
        self.dropped_until_keyframe
    }

    /// The RTP timestamp of media time zero, once known (the first
    /// access unit's, or [`set_origin`](Recorder::set_origin)'s).
    pub(crate) fn origin(&self) -> Option<u32> {
        self.first
    }

    /// The last sender report's NTP time and the RTP timestamp of the
    /// same instant.
    pub(crate) fn sender_report(&self) -> Option<(NtpTimestamp, u32)> {
        self.sender_report
    }

    /// Makes RTP timestamp `ts` media time zero (a PLAY's `RTP-Info`
    /// `rtptime`), before the first packet; later calls change nothing.
    pub(crate) fn set_origin(&mut self, ts: u32) {
        if self.first.is_none() {
            self.first = Some(ts);
            self.last = ts;
            self.extended = 0;
        }
    }

    /// Media ticks of RTP timestamp `ts` after the first one.
    fn ticks(&mut self, ts: RtpTimestamp) -> i64 {
        let first = *self.first.get_or_insert(ts.0);
        if self.extended == 0 && self.last == 0 {
            self.last = first;
        }
        self.extended += i64::from(ts.0.wrapping_sub(self.last) as i32);
        self.last = ts.0;
        self.extended
    }

    /// Ticks of `ts` without moving the extension (for sender reports).
    fn ticks_of(&self, ts: RtpTimestamp) -> Option<i64> {
        self.first?;
        Some(self.extended + i64::from(ts.0.wrapping_sub(self.last) as i32))
    }

    pub(crate) fn handle_rtp(&mut self, now: Instant, packet: RtpPacket) {
        let _ = self.receiver.handle_rtp(now, &packet);
        let _ = self.jitter.push(now, packet);
        self.drain(now);
    }

    pub(crate) fn handle_rtcp(&mut self, now: Instant, datagram: Bytes) {
        if self.receiver.handle_rtcp(now, datagram).is_err() {
            return;
        }
        while let Some(event) = self.receiver.poll_event() {
            if let ReceiverEvent::Goodbye { .. } = event {
                self.report(TrackReport::Goodbye);
            } else if let ReceiverEvent::SenderReport {
                ntp_time,
                rtp_timestamp,
                ..
            } = event
            {
                self.sender_report = Some((ntp_time, rtp_timestamp.0));
                if let (Some(ticks), Some(unix)) =
                    (self.ticks_of(rtp_timestamp), ntp_time.to_unix_time())
                {
                    self.report(TrackReport::WallClock {
                        media: MediaTime::new(ticks, self.track.timescale),
                        unix,
                    });
                }
            }
        }
    }

    pub(crate) fn handle_timeout(&mut self, now: Instant) {
        if self.jitter.poll_timeout().is_some_and(|t| t <= now) {
            self.jitter.handle_timeout(now);
        }
        if self.receiver.poll_timeout().is_some_and(|t| t <= now) {
            self.receiver.handle_timeout(now);
        }
        self.drain(now);
    }

    pub(crate) fn poll_timeout(&self) -> Option<Instant> {
        [self.jitter.poll_timeout(), self.receiver.poll_timeout()]
            .into_iter()
            .flatten()
            .min()
    }

    /// RTCP to send back (receiver reports).
    pub(crate) fn poll_rtcp(&mut self) -> Option<Bytes> {
        self.receiver.poll_transmit()
    }

    pub(crate) fn poll_recorded(&mut self) -> Option<Recorded> {
        self.samples.pop_front()
    }

    pub(crate) fn poll_report(&mut self) -> Option<TrackReport> {
        self.reports.pop_front()
    }

    fn report(&mut self, r: TrackReport) {
        if self.reports.len() < MAX_QUEUED {
            self.reports.push_back(r);
        }
    }

    /// The publisher stopped: what is held comes out.
    pub(crate) fn finish(&mut self, now: Instant) {
        self.jitter.finish();
        self.drain(now);
        let _ = self.depacketizer.finish();
        self.drain_units();
        self.timeline.finish();
        self.drain_timeline();
        if let Some((last, change)) = self.held.take() {
            self.emit(last, change);
        }
    }

    fn drain(&mut self, _now: Instant) {
        while let Some(released) = self.jitter.poll_packet() {
            match released {
                Released::Packet(p) => {
                    let _ = self.depacketizer.push(&p);
                    self.drain_units();
                }
                Released::Lost { count, .. } => self.loss(count),
            }
        }
    }

    fn loss(&mut self, lost_packets: u64) {
        if self.track.kind() == MediaKind::Video {
            self.waiting_for_keyframe = true;
        }
        let waiting_for_keyframe = self.waiting_for_keyframe;
        self.report(TrackReport::Loss {
            lost_packets,
            waiting_for_keyframe,
        });
    }

    fn drain_units(&mut self) {
        while let Some(unit) = self.depacketizer.poll_unit() {
            match unit {
                DepacketizedUnit::Video(Depacketized::AccessUnit(au)) => {
                    if self.waiting_for_keyframe && !au.keyframe {
                        self.dropped_until_keyframe += 1;
                        continue;
                    }
                    self.waiting_for_keyframe = false;
                    let pts = self.ticks(au.timestamp);
                    let nals: Vec<Bytes> = au.nal_units().collect();
                    let change = self.changed.take();
                    self.timeline.push(pts, (au, change), nals);
                    self.drain_timeline();
                }
                DepacketizedUnit::Video(Depacketized::ParameterSets(sets)) => {
                    match changed_configuration(&self.track.codec, &sets) {
                        Ok(Some(codec)) => {
                            self.track.codec = codec;
                            self.changed = Some(self.track.clone());
                        }
                        Ok(None) => {}
                        Err(error) => self.report(TrackReport::BadParameterSets { error }),
                    }
                }
                DepacketizedUnit::Video(Depacketized::Loss(l)) => {
                    self.loss(u64::from(l.lost_packets));
                }
                DepacketizedUnit::Aac(AacDepacketized::Frame(f)) => {
                    let ticks = self.ticks(f.timestamp);
                    self.audio(ticks, f.data);
                }
                DepacketizedUnit::Aac(AacDepacketized::Loss(l)) => {
                    self.loss(u64::from(l.lost_packets));
                }
                DepacketizedUnit::Aac(AacDepacketized::Config(c)) => self.audio_config(c),
                DepacketizedUnit::Opus(OpusDepacketized::Packet(p)) => {
                    let ticks = self.ticks(p.timestamp);
                    self.audio(ticks, p.data);
                }
                DepacketizedUnit::Opus(OpusDepacketized::Loss(l)) => {
                    self.loss(u64::from(l.lost_packets));
                }
                _ => {}
            }
        }
    }

    /// An in-band AudioSpecificConfig (MP4A-LATM `cpresent=1`): a change
    /// starts at the next frame; one of another sampling frequency (the
    /// track's clock) is refused and reported, the track keeping its own.
    fn audio_config(&mut self, config: AacConfig) {
        let codec = CodecConfig::Aac(config);
        if codec == self.track.codec {
            return;
        }
        if rtp_clock_rate(&codec) != Some(self.track.timescale) {
            self.report(TrackReport::BadParameterSets {
                error: CodecError::Unsupported {
                    structure: "LATM StreamMuxConfig",
                    feature: "a change of sampling frequency in band",
                    offset: 0,
                },
            });
            return;
        }
        self.track.codec = codec;
        self.changed = Some(self.track.clone());
    }

    fn audio(&mut self, ticks: i64, data: Bytes) {
        let duration = match &self.track.codec {
            CodecConfig::Aac(a) => a.frame_length().unwrap_or(1024),
            _ => 960,
        };
        let change = self.changed.take();
        self.hold(
            Sample {
                track_id: self.track.id,
                dts: ticks,
                composition_offset: 0,
                duration,
                timescale: self.track.timescale,
                keyframe: true,
                data,
            },
            change,
        );
    }

    fn drain_timeline(&mut self) {
        while let Some(t) = self.timeline.poll() {
            let offset = i32::try_from(t.pts - t.dts).unwrap_or(0);
            let (unit, change) = t.unit;
            self.hold(
                Sample {
                    track_id: self.track.id,
                    dts: t.dts,
                    composition_offset: offset,
                    duration: 0,
                    timescale: self.track.timescale,
                    keyframe: unit.keyframe,
                    data: unit.data,
                },
                change,
            );
        }
    }

    /// Holds `sample` until the next gives its duration (video) or emits
    /// the held one.
    fn hold(&mut self, sample: Sample, change: Option<Track>) {
        if let Some((mut previous, previous_change)) = self.held.take() {
            let step = sample.dts - previous.dts;
            if step > 0 {
                previous.duration = u32::try_from(step).unwrap_or(u32::MAX);
            } else if previous.duration == 0 {
                previous.duration = 1;
            }
            self.emit(previous, previous_change);
        }
        self.held = Some((sample, change));
    }

    /// Queues `sample`, after the configuration that starts at it.
    fn emit(&mut self, mut sample: Sample, change: Option<Track>) {
        if let Some(track) = change {
            push_change(&mut self.samples, track);
        }
        if sample.duration == 0 {
            sample.duration = self.last_duration.max(1);
        }
        self.last_duration = sample.duration;
        if self.samples.len() < MAX_QUEUED {
            self.samples.push_back(Recorded::Sample(sample));
        }
    }
}

/// Queues a configuration change; one right after another replaces it
/// (no sample used the first), so changes never outnumber samples.
pub(crate) fn push_change(queue: &mut VecDeque<Recorded>, track: Track) {
    if let Some(Recorded::TrackChanged(last)) = queue.back_mut() {
        *last = track;
    } else {
        queue.push_back(Recorded::TrackChanged(track));
    }
}

/// The configuration that in-band parameter `sets` (whole NAL units)
/// make, when they differ from those of `current`; `None` when they are
/// the same or the codec has none. The NAL length size stays (the
/// samples' form does not change).
///
/// # Errors
///
/// The new sets do not parse (or one kind is missing).
pub(crate) fn changed_configuration(
    current: &CodecConfig,
    sets: &[Bytes],
) -> Result<Option<CodecConfig>, CodecError> {
    let of_type = |t: &dyn Fn(u8) -> bool| -> Vec<Bytes> {
        sets.iter()
            .filter(|s| s.first().is_some_and(|&b| t(b)))
            .cloned()
            .collect()
    };
    match current {
        CodecConfig::H264(c) => {
            let sps = of_type(&|b| b & 0x1F == 7);
            let pps = of_type(&|b| b & 0x1F == 8);
            if sps == c.sps && pps == c.pps {
                return Ok(None);
            }
            let mut new = AvcConfig::from_parameter_sets(&sps, &pps)?;
            new.nal_length_size = c.nal_length_size;
            Ok(Some(CodecConfig::H264(new)))
        }
        CodecConfig::H265(c) => {
            let vps = of_type(&|b| (b >> 1) & 0x3F == 32);
            let sps = of_type(&|b| (b >> 1) & 0x3F == 33);
            let pps = of_type(&|b| (b >> 1) & 0x3F == 34);
            let same = |a: &[Bytes], b: Vec<&Bytes>| {
                a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x == y)
            };
            if same(&vps, c.vps().collect())
                && same(&sps, c.sps().collect())
                && same(&pps, c.pps().collect())
            {
                return Ok(None);
            }
            let mut new = HevcConfig::from_parameter_sets(&vps, &sps, &pps)?;
            new.nal_length_size = c.nal_length_size;
            Ok(Some(CodecConfig::H265(new)))
        }
        _ => Ok(None),
    }
}
