//! A pulled track's media: the SSRC it follows, where its media time
//! starts, and the recorder (jitter buffer, depacketizer, decode times,
//! receiver reports) the server's RECORD uses too.

use std::collections::VecDeque;
use std::time::Instant;

use bytes::Bytes;
use streamkit_core::clock::UnixTime;
use streamkit_core::time::MediaTime;
use streamkit_core::track::Track;
use streamkit_rtp::jitter::JitterConfig;
use streamkit_rtp::packet::RtpPacket;
use streamkit_rtp::payload::{Depacketizer, mp4_nal_form};
use streamkit_rtp::sdp::MediaDescription;
use streamkit_rtp::session::ReceiverConfig;

use super::{ClientEvent, Quirk, TrackTransport};
use crate::server::record::{Recorded, Recorder, TrackReport};

/// One track being received.
pub(super) struct Incoming {
    pub(super) track: Track,
    /// The resolved control URL (SETUP's and RTP-Info's).
    pub(super) control: String,
    media: MediaDescription,
    payload_type: u8,
    recorder: Recorder,
    pub(super) transport: Option<TrackTransport>,
    /// The SSRC the SETUP answer's Transport named.
    pub(super) announced_ssrc: Option<u32>,
    /// The SSRC followed, from the first packet.
    ssrc: Option<u32>,
    /// Another SSRC and its packets that came in a row (held: a new
    /// source's first packets, its keyframe, are not lost).
    candidate: Option<(u32, Vec<RtpPacket>)>,
    /// The PLAY answer's RTP-Info for this track: `Some(None)` when the
    /// entry had no usable `rtptime`.
    pub(super) rtp_info: Option<Option<u32>>,
    /// Ticks added to the current recorder's times (after an SSRC
    /// change, where the previous source's samples ended).
    base: i64,
    /// The end of the last sample given out (dts + duration).
    end: i64,
    /// Packets of another SSRC dropped.
    pub(super) foreign_dropped: u64,
    /// RTP packets that did not parse.
    pub(super) malformed: u64,
    /// The last sender report's link of media time to the wall clock.
    pub(super) wall_clock: Option<(MediaTime, UnixTime)>,
    jitter: JitterConfig,
    cname: String,
    seed: u64,
}

impl std::fmt::Debug for Incoming {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Incoming")
            .field("track", &self.track.id)
            .field("control", &self.control)
            .finish_non_exhaustive()
    }
}

/// What the session's SSRC rule does with a packet.
pub(super) struct Policy {
    /// Packets in a row from a new SSRC that make the track follow it.
    pub(super) ssrc_switch_packets: u32,
    /// The most ticks the first RTP timestamp may lie from RTP-Info's
    /// `rtptime` before it is taken as the origin instead.
    pub(super) max_rtptime_ticks: i64,
}

fn receiver_config(track: &Track, cname: &str, seed: u64) -> ReceiverConfig {
    let mut c = ReceiverConfig::new(track.timescale, cname, seed);
    // RTP/AVP servers do not read generic NACKs (RFC 4585 is AVPF).
    c.nack = None;
    c
}

impl Incoming {
    #[allow(clippy::too_many_arguments)] // each part of a track, named
    pub(super) fn new(
        now: Instant,
        track: Track,
        control: String,
        media: MediaDescription,
        payload_type: u8,
        depacketizer: Depacketizer,
        jitter: JitterConfig,
        cname: &str,
        seed: u64,
    ) -> Incoming {
        let recorder = Recorder::with_receiver(
            now,
            track.clone(),
            depacketizer,
            jitter,
            receiver_config(&track, cname, seed),
        );
        Incoming {
            track,
            control,
            media,
            payload_type,
            recorder,
            transport: None,
            announced_ssrc: None,
            ssrc: None,
            candidate: None,
            rtp_info: None,
            base: 0,
            end: 0,
            foreign_dropped: 0,
            malformed: 0,
            wall_clock: None,
            jitter,
            cname: cname.to_owned(),
            seed,
        }
    }

    /// An RTP datagram.
    pub(super) fn handle_rtp(
        &mut self,
        now: Instant,
        data: Bytes,
        policy: &Policy,
        events: &mut VecDeque<ClientEvent>,
    ) {
        let Ok(packet) = RtpPacket::parse(data) else {
            self.malformed += 1;
            return;
        };
        let ssrc = packet.ssrc();
        match self.ssrc {
            None => {
                self.ssrc = Some(ssrc);
                if let Some(announced) = self.announced_ssrc
                    && announced != ssrc
                {
                    events.push_back(ClientEvent::Quirk(Quirk::SsrcNotAsAnnounced {
                        track_id: self.track.id,
                        announced,
                        received: ssrc,
                    }));
                }
                self.set_origin(packet.timestamp().0, policy, events);
            }
            Some(followed) if followed == ssrc => self.drop_candidate(),
            Some(followed) => {
                if self.candidate.as_ref().is_some_and(|(c, _)| *c != ssrc) {
                    self.drop_candidate();
                }
                let (_, held) = self.candidate.get_or_insert_with(|| (ssrc, Vec::new()));
                held.push(packet);
                if (held.len() as u32) < policy.ssrc_switch_packets {
                    return;
                }
                let held = self.candidate.take().map(|(_, h)| h).unwrap_or_default();
                self.switch_source(now, followed, ssrc, events);
                if let Some(first) = held.first() {
                    self.set_origin_at(first.timestamp().0);
                }
                for p in held {
                    self.recorder.handle_rtp(now, p);
                }
                self.collect(events);
                return;
            }
        }
        self.recorder.handle_rtp(now, packet);
        self.collect(events);
    }

    /// Where media time zero is: RTP-Info's `rtptime` unless it is
    /// missing or far from the first packet's timestamp (then the first
    /// packet's), each reported.
    fn set_origin(&mut self, first: u32, policy: &Policy, events: &mut VecDeque<ClientEvent>) {
        let id = self.track.id;
        let origin = match self.rtp_info {
            Some(Some(rtptime)) => {
                let distance = i64::from(first.wrapping_sub(rtptime) as i32);
                if distance.abs() > policy.max_rtptime_ticks {
                    events.push_back(ClientEvent::Quirk(Quirk::FirstTimestampFarFromRtpInfo {
                        track_id: id,
                        rtptime,
                        first,
                    }));
                    first
                } else {
                    rtptime
                }
            }
            Some(None) => {
                events.push_back(ClientEvent::Quirk(Quirk::RtpInfoWithoutRtptime {
                    track_id: id,
                }));
                first
            }
            None => first,
        };
        self.set_origin_at(origin);
    }

    /// The packets of another source were strays: dropped, counted.
    fn drop_candidate(&mut self) {
        if let Some((_, held)) = self.candidate.take() {
            self.foreign_dropped += held.len() as u64;
        }
    }

    fn set_origin_at(&mut self, ts: u32) {
        self.recorder.set_origin(ts);
    }

    /// The track follows `to` from now: what the old source's recorder
    /// holds comes out, and a new recorder starts where it ended.
    fn switch_source(
        &mut self,
        now: Instant,
        from: u32,
        to: u32,
        events: &mut VecDeque<ClientEvent>,
    ) {
        self.recorder.finish(now);
        self.collect(events);
        let form = mp4_nal_form(&self.track.codec);
        let depacketizer = Depacketizer::from_media(&self.media, self.payload_type, form)
            .or_else(|_| Depacketizer::for_codec(&self.track.codec, form));
        if let Ok(depacketizer) = depacketizer {
            self.seed = self.seed.wrapping_add(1);
            self.recorder = Recorder::with_receiver(
                now,
                self.track.clone(),
                depacketizer,
                self.jitter,
                receiver_config(&self.track, &self.cname, self.seed),
            );
        }
        self.base = self.end;
        self.ssrc = Some(to);
        events.push_back(ClientEvent::Quirk(Quirk::SsrcChanged {
            track_id: self.track.id,
            from,
            to,
            dropped_packets: self.foreign_dropped,
        }));
    }

    /// An RTCP datagram from the server.
    pub(super) fn handle_rtcp(
        &mut self,
        now: Instant,
        data: Bytes,
        events: &mut VecDeque<ClientEvent>,
    ) {
        self.recorder.handle_rtcp(now, data);
        self.collect(events);
    }

    pub(super) fn handle_timeout(&mut self, now: Instant, events: &mut VecDeque<ClientEvent>) {
        self.recorder.handle_timeout(now);
        self.collect(events);
    }

    pub(super) fn poll_timeout(&self) -> Option<Instant> {
        self.recorder.poll_timeout()
    }

    pub(super) fn poll_rtcp(&mut self) -> Option<Bytes> {
        self.recorder.poll_rtcp()
    }

    /// The stream ended: what the recorder holds comes out.
    pub(super) fn finish(&mut self, now: Instant, events: &mut VecDeque<ClientEvent>) {
        self.recorder.finish(now);
        self.collect(events);
    }

    /// Access units dropped while waiting for a keyframe.
    pub(super) fn dropped_until_keyframe(&self) -> u64 {
        self.recorder.dropped_until_keyframe()
    }

    fn collect(&mut self, events: &mut VecDeque<ClientEvent>) {
        let id = self.track.id;
        while let Some(r) = self.recorder.poll_recorded() {
            match r {
                Recorded::Sample(mut s) => {
                    s.dts += self.base;
                    self.end = s.dts + i64::from(s.duration);
                    events.push_back(ClientEvent::Sample(s));
                }
                Recorded::TrackChanged(track) => {
                    self.track = track.clone();
                    events.push_back(ClientEvent::TrackChanged { track });
                }
            }
        }
        while let Some(report) = self.recorder.poll_report() {
            events.push_back(match report {
                TrackReport::Loss {
                    lost_packets,
                    waiting_for_keyframe,
                } => ClientEvent::Loss {
                    track_id: id,
                    lost_packets,
                    waiting_for_keyframe,
                },
                TrackReport::WallClock { media, unix } => {
                    let media = MediaTime::new(media.ticks() + self.base, media.timescale());
                    self.wall_clock = Some((media, unix));
                    ClientEvent::WallClock {
                        track_id: id,
                        media,
                        unix,
                    }
                }
                TrackReport::BadParameterSets { error } => ClientEvent::BadParameterSets {
                    track_id: id,
                    error,
                },
                TrackReport::Goodbye => ClientEvent::Goodbye { track_id: id },
            });
        }
    }
}
