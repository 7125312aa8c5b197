//! RTP in, samples out: one recorded track's jitter buffer,
//! depacketizer, decode-time derivation and receiver session.

use std::collections::VecDeque;
use std::time::Instant;

use bytes::Bytes;
use streamkit_core::clock::UnixTime;
use streamkit_core::codec::{CodecConfig, MediaKind};
use streamkit_core::sample::Sample;
use streamkit_core::time::{MediaTime, RtpTimestamp};
use streamkit_core::track::Track;
use streamkit_rtp::jitter::{JitterBuffer, JitterConfig, Released};
use streamkit_rtp::packet::RtpPacket;
use streamkit_rtp::payload::aac::AacDepacketized;
use streamkit_rtp::payload::opus::OpusDepacketized;
use streamkit_rtp::payload::{AccessUnit, Depacketized, DepacketizedUnit, Depacketizer};
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
}

/// One recorded track.
pub(crate) struct Recorder {
    track: Track,
    jitter: JitterBuffer<RtpPacket>,
    depacketizer: Depacketizer,
    timeline: DecodeTimeline<AccessUnit>,
    receiver: RtpReceiver,
    /// The first RTP timestamp (media time zero) and the last one,
    /// extended.
    first: Option<u32>,
    last: u32,
    extended: i64,
    waiting_for_keyframe: bool,
    /// A sample waiting for the next one's decode time (its duration).
    held: Option<Sample>,
    samples: VecDeque<Sample>,
    reports: VecDeque<TrackReport>,
    dropped_until_keyframe: u64,
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
        let timeline = DecodeTimeline::for_codec(&track.codec);
        let receiver = RtpReceiver::new(now, ReceiverConfig::new(track.timescale, cname, seed));
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
            held: None,
            samples: VecDeque::new(),
            reports: VecDeque::new(),
            dropped_until_keyframe: 0,
        }
    }

    pub(crate) fn track(&self) -> &Track {
        &self.track
    }

    /// Access units dropped because they came before a keyframe.
    pub(crate) fn dropped_until_keyframe(&self) -> u64 {
        self.dropped_until_keyframe
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
            if let ReceiverEvent::SenderReport {
                ntp_time,
                rtp_timestamp,
                ..
            } = event
                && let (Some(ticks), Some(unix)) =
                    (self.ticks_of(rtp_timestamp), ntp_time.to_unix_time())
            {
                self.report(TrackReport::WallClock {
                    media: MediaTime::new(ticks, self.track.timescale),
                    unix,
                });
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

    pub(crate) fn poll_sample(&mut self) -> Option<Sample> {
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
        if let Some(last) = self.held.take() {
            self.emit(last);
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
                    self.timeline.push(pts, au, nals);
                    self.drain_timeline();
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

    fn audio(&mut self, ticks: i64, data: Bytes) {
        let duration = match &self.track.codec {
            CodecConfig::Aac(a) => a.frame_length().unwrap_or(1024),
            _ => 960,
        };
        self.hold(Sample {
            track_id: self.track.id,
            dts: ticks,
            composition_offset: 0,
            duration,
            timescale: self.track.timescale,
            keyframe: true,
            data,
        });
    }

    fn drain_timeline(&mut self) {
        while let Some(t) = self.timeline.poll() {
            let offset = i32::try_from(t.pts - t.dts).unwrap_or(0);
            self.hold(Sample {
                track_id: self.track.id,
                dts: t.dts,
                composition_offset: offset,
                duration: 0,
                timescale: self.track.timescale,
                keyframe: t.unit.keyframe,
                data: t.unit.data,
            });
        }
    }

    /// Holds `sample` until the next gives its duration (video) or emits
    /// the held one.
    fn hold(&mut self, sample: Sample) {
        if let Some(mut previous) = self.held.take() {
            let step = sample.dts - previous.dts;
            if step > 0 {
                previous.duration = u32::try_from(step).unwrap_or(u32::MAX);
            } else if previous.duration == 0 {
                previous.duration = 1;
            }
            self.emit(previous);
        }
        self.held = Some(sample);
    }

    fn emit(&mut self, mut sample: Sample) {
        if sample.duration == 0 {
            sample.duration = self.samples.back().map_or(1, |s| s.duration).max(1);
        }
        if self.samples.len() < MAX_QUEUED {
            self.samples.push_back(sample);
        }
    }
}
