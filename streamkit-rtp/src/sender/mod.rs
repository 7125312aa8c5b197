//! The media sender: a presentation's tracks over RTP and RTCP, Sans-IO.
//!
//! A [`MediaSender`] is made from core [`Track`]s (the first video and
//! audio track of an MP4 file, say: [`first_video_and_audio`]). It owns a
//! [`Packetizer`] and an [`RtpSender`] session per track, and turns the
//! samples pushed into it into RTP packets due at their decode time, with
//! RTCP sender reports, a first report before the first packet, and BYE at
//! the end. It reads no clock and opens no socket: the caller says what
//! time it is and moves the datagrams.
//!
//! The call order, the shape of every streamkit state machine:
//!
//! 1. [`MediaSender::new`], then [`start(now)`](MediaSender::start) when
//!    sending begins (an RTSP PLAY): a packet is due at `now` plus its
//!    decode time after the first sample's (divided by the
//!    [`Pacing::Paced`] speed), or at once in [`Pacing::Live`].
//! 2. [`push`](MediaSender::push) samples of its tracks, in decode order
//!    per track (from a keyframe of a seek position if need be), while
//!    [`queued_payloads`](MediaSender::queued_payloads) is low; at the end
//!    of a file either [`start_next_pass`](MediaSender::start_next_pass)
//!    (looping: timestamps and sequence numbers go on) or
//!    [`finish`](MediaSender::finish).
//! 3. Sleep until [`poll_timeout`](MediaSender::poll_timeout) (or until a
//!    datagram arrives); `None` means the sender is done (after `finish`
//!    every packet and the BYEs went out; after
//!    [`stop(now)`](MediaSender::stop) at once).
//! 4. [`handle_timeout(now)`](MediaSender::handle_timeout), then
//!    [`poll_transmit(now)`](MediaSender::poll_transmit) until `None`:
//!    each [`Transmit`] names its track and whether it is RTP or RTCP.
//!    RTCP from the receivers goes to
//!    [`handle_rtcp`](MediaSender::handle_rtcp); drain
//!    [`poll_event`](MediaSender::poll_event). Go to 2.
//!
//! Timing, as a receiver that maps RTP to wall-clock time by the sender
//! reports needs it: the RTP timestamp of a sample is its presentation time
//! (with the track's [`PresentationShift`]) on the payload's clock, plus
//! the session's random offset. Sessions run on the media clock: at the
//! real instant `now` it reads `start + lead + (now - start) * speed`,
//! where `lead` is [`MediaSenderConfig::presentation_lead`] (how far a
//! B-frame's presentation follows its decode), so every sender report's
//! RTP time lies on the line through the packets' presentation times and
//! its NTP time is the [`WallClock`] time at the real instant (at speed 1).
//!
//! Sending, as receivers that line tracks up by arrival need it (rtpbin's
//! lip sync delays the track whose packets lead their presentation the
//! most; GStreamer then clips the end of the delayed track at the
//! RTSP Range's end): a video packet goes at its sample's decode time, so
//! a reordered frame leads its presentation by up to the presentation
//! lead; an audio packet (audio is never reordered) goes at its
//! presentation time less the lead (or when pushed, if that is later:
//! [`feed`](MediaSender::feed) pushes that far ahead), so every track's
//! packets lead their presentation by the same most.
//!
//! ```
//! use std::time::{Duration, Instant};
//! use bytes::Bytes;
//! use streamkit_core::clock::{UnixTime, WallClock};
//! use streamkit_core::codec::{CodecConfig, opus::OpusConfig};
//! use streamkit_core::sample::Sample;
//! use streamkit_core::time::Timescale;
//! use streamkit_core::track::Track;
//! use streamkit_rtp::rtcp::{RtcpPacket, parse_compound};
//! use streamkit_rtp::sender::{MediaSender, MediaSenderConfig, TransmitKind};
//!
//! # #[allow(clippy::disallowed_methods)] // a virtual clock's origin
//! let t0 = Instant::now();
//! let opus = Track::new(1, Timescale::AUDIO_48KHZ, CodecConfig::Opus(OpusConfig::stereo(312, 48_000)));
//! let config = MediaSenderConfig::new("me@example.com", 42, WallClock::new(t0, UnixTime::from_unix_millis(1_700_000_000_000)));
//! let mut sender = MediaSender::new(config, &[opus], &[])?;
//! sender.start(t0);
//! // Ten 20 ms Opus packets (TOC 0xfc: CELT fullband 20 ms).
//! let mut rtp = Vec::new();
//! let mut rtcp = Vec::new();
//! let mut now = t0;
//! let mut pushed = 0;
//! loop {
//!     // Keep a sample queued.
//!     while pushed < 10 && sender.queued_payloads() == 0 {
//!         let sample = Sample { track_id: 1, dts: 960 * pushed, composition_offset: 0, duration: 960,
//!             timescale: Timescale::AUDIO_48KHZ, keyframe: true, data: Bytes::from_static(&[0xfc, 1, 2]) };
//!         sender.push(&sample)?;
//!         pushed += 1;
//!         if pushed == 10 {
//!             sender.finish()?;
//!         }
//!     }
//!     match sender.poll_timeout() {
//!         Some(wake) => now = now.max(wake), // a real program sleeps until then
//!         None => break,
//!     }
//!     sender.handle_timeout(now);
//!     while let Some(t) = sender.poll_transmit(now) {
//!         match t.kind {
//!             TransmitKind::Rtp => rtp.push((now - t0, t.datagram.to_vec())),
//!             TransmitKind::Rtcp => rtcp.push(parse_compound(Bytes::copy_from_slice(t.datagram))?),
//!         }
//!     }
//! }
//! assert_eq!(rtp.len(), 10);
//! assert_eq!(rtp[9].0, Duration::from_millis(180)); // each at its time
//! assert!(matches!(rtcp[0][0], RtcpPacket::SenderReport(_))); // before the first packet
//! assert!(matches!(rtcp.last().unwrap().last(), Some(RtcpPacket::Goodbye(_))));
//! let info = sender.first_rtp_info(1).unwrap(); // what RTSP's RTP-Info says
//! assert_eq!(&rtp[0].1[2..4], &info.sequence_number.0.to_be_bytes());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use bytes::Bytes;
use streamkit_core::clock::WallClock;
use streamkit_core::codec::{CodecConfig, MediaKind};
use streamkit_core::sample::{PresentationShift, Sample};
use streamkit_core::time::{MediaTime, Rounding, RtpTimestamp, Timescale};
use streamkit_core::track::Track;

use crate::error::{SdpError, SessionError};

mod config;
mod tracks;

use crate::payload::{Packetizer, Payload, rtp_clock_rate};
use crate::sdp::codec::TrackMedia;
use crate::sdp::{Connection, Origin, SessionDescription};
use crate::session::{RtpSender, SenderConfig};
pub use config::{
    MediaSenderConfig, MediaSenderEvent, Pacing, PacketParts, RtpInfo, Speed, Transmit,
    TransmitKind, TransmitParts,
};
use tracks::shift_of;
pub use tracks::{first_video_and_audio, presentation_lead};

/// One track's stream.
#[derive(Debug)]
struct Stream {
    track: Track,
    payload_type: u8,
    shift: i64,
    clock_rate: Timescale,
    packetizer: Packetizer,
    session: RtpSender,
    /// The last payload's RTP timestamp and its media time in RTP clock
    /// ticks (extended past wraps).
    last_timestamp: u32,
    last_ticks: i64,
    first: Option<RtpInfo>,
    last_dts: Option<i64>,
}

impl Stream {
    /// Media time (µs) of RTP timestamp `ts`, extending past wraps from the
    /// previous one.
    fn media_us(&mut self, ts: RtpTimestamp) -> i64 {
        self.last_ticks += i64::from(ts.0.wrapping_sub(self.last_timestamp) as i32);
        self.last_timestamp = ts.0;
        MediaTime::new(self.last_ticks, self.clock_rate)
            .rescale(Timescale::MICROS, Rounding::Nearest)
            .ticks()
    }
}

/// A payload waiting for its time.
#[derive(Debug)]
struct Queued {
    stream: usize,
    /// Media time after the first sample's decode time.
    due: Duration,
    payload: Payload,
}

/// A presentation's tracks over RTP; see the [module docs](self) for the
/// call order.
#[derive(Debug)]
pub struct MediaSender {
    config: MediaSenderConfig,
    streams: Vec<Stream>,
    queue: VecDeque<Queued>,
    rtcp: VecDeque<(usize, Bytes)>,
    events: VecDeque<MediaSenderEvent>,
    start: Option<Instant>,
    /// Decode time (µs, pass offset included) of the first sample pushed.
    origin_us: Option<i64>,
    /// Added to every sample's times: the passes before this one, µs.
    pass_offset_us: i64,
    last_due: Duration,
    /// The longest span of frames one AAC packet aggregates: how much
    /// further than the lead [`feed`](MediaSender::feed) pushes, so an
    /// aggregated packet is whole when it is due.
    aggregation: Duration,
    finished: bool,
    goodbye: bool,
    /// When the last RTP packet went out.
    last_sent: Option<Instant>,
    buf: Vec<u8>,
    current: Bytes,
    packets_sent: u64,
    events_dropped: u64,
}

/// The most events held for [`MediaSender::poll_event`].
const MAX_EVENTS: usize = 1024;

impl MediaSender {
    /// A sender of `tracks` (each sample's times shifted by its track's
    /// entry in `shifts`).
    ///
    /// # Errors
    ///
    /// [`SessionError::Payload`] for a track whose codec has no payload
    /// format here or whose packetizer refuses the configuration,
    /// [`SessionError::DuplicateTrack`] for a repeated id.
    pub fn new(
        config: MediaSenderConfig,
        tracks: &[Track],
        shifts: &[PresentationShift],
    ) -> Result<MediaSender, SessionError> {
        let mut streams = Vec::with_capacity(tracks.len());
        for track in tracks {
            if streams.iter().any(|s: &Stream| s.track.id == track.id) {
                return Err(SessionError::DuplicateTrack { track_id: track.id });
            }
            let payload_error = |error| SessionError::Payload {
                track_id: track.id,
                error,
            };
            let packetizer =
                Packetizer::for_track(track, config.packetizer).map_err(payload_error)?;
            let clock_rate = rtp_clock_rate(&track.codec).ok_or_else(|| {
                payload_error(crate::error::PayloadError::UnsupportedCodec {
                    codec: track.codec_string(),
                })
            })?;
            let payload_type = match track.kind() {
                MediaKind::Video => config.video_payload_type,
                _ => config.audio_payload_type,
            };
            let mut session_config = SenderConfig::new(
                payload_type,
                clock_rate,
                &config.cname,
                config.seed.wrapping_add(u64::from(track.id)),
                config.wall_clock,
            );
            session_config.session_bandwidth = config.session_bandwidth;
            let session = RtpSender::new(config.wall_clock.instant, session_config);
            streams.push(Stream {
                track: track.clone(),
                payload_type,
                shift: shift_of(shifts, track.id),
                clock_rate,
                packetizer,
                last_timestamp: session.timestamp_offset(),
                last_ticks: 0,
                session,
                first: None,
                last_dts: None,
            });
        }
        let mtu = config.packetizer.mtu;
        let frames = config.packetizer.aac_frames_per_packet as u64;
        let aggregation = tracks
            .iter()
            .filter_map(|t| match &t.codec {
                CodecConfig::Aac(asc) if asc.sampling_frequency > 0 => {
                    let samples = frames * u64::from(asc.frame_length().unwrap_or(1024));
                    Some(Duration::from_micros(
                        (samples * 1_000_000).div_ceil(u64::from(asc.sampling_frequency)),
                    ))
                }
                _ => None,
            })
            .max()
            .unwrap_or(Duration::ZERO);
        Ok(MediaSender {
            config,
            streams,
            queue: VecDeque::new(),
            rtcp: VecDeque::new(),
            events: VecDeque::new(),
            start: None,
            origin_us: None,
            pass_offset_us: 0,
            last_due: Duration::ZERO,
            aggregation,
            finished: false,
            goodbye: false,
            last_sent: None,
            buf: Vec::with_capacity(mtu + 64),
            current: Bytes::new(),
            packets_sent: 0,
            events_dropped: 0,
        })
    }

    /// The configuration.
    #[must_use]
    pub fn config(&self) -> &MediaSenderConfig {
        &self.config
    }

    /// The tracks sent, in the order given.
    pub fn tracks(&self) -> impl Iterator<Item = &Track> {
        self.streams.iter().map(|s| &s.track)
    }

    /// `true` when `track_id` is one of the tracks sent.
    #[must_use]
    pub fn has_track(&self, track_id: u32) -> bool {
        self.index(track_id).is_some()
    }

    fn index(&self, track_id: u32) -> Option<usize> {
        self.streams.iter().position(|s| s.track.id == track_id)
    }

    /// The RTP session of `track_id` (its SSRC, counts, members).
    #[must_use]
    pub fn session(&self, track_id: u32) -> Option<&RtpSender> {
        self.index(track_id)
            .and_then(|i| self.streams.get(i))
            .map(|s| &s.session)
    }

    /// The RTP payload type `track_id` is sent with.
    #[must_use]
    pub fn payload_type(&self, track_id: u32) -> Option<u8> {
        self.index(track_id)
            .and_then(|i| self.streams.get(i))
            .map(|s| s.payload_type)
    }

    /// `track_id`'s first RTP packet (sequence number and RTP timestamp),
    /// once its first sample was pushed: what RTSP's `RTP-Info` says.
    #[must_use]
    pub fn first_rtp_info(&self, track_id: u32) -> Option<RtpInfo> {
        self.index(track_id)
            .and_then(|i| self.streams.get(i))
            .and_then(|s| s.first)
    }

    /// RTP packets sent so far.
    #[must_use]
    pub fn packets_sent(&self) -> u64 {
        self.packets_sent
    }

    /// Events dropped because [`poll_event`](MediaSender::poll_event) was
    /// not drained (at most 1024 are held).
    #[must_use]
    pub fn events_dropped(&self) -> u64 {
        self.events_dropped
    }

    /// Payloads made and waiting for their time.
    #[must_use]
    pub fn queued_payloads(&self) -> usize {
        self.queue.len()
    }

    /// `true` once everything, the BYEs included, was handed out.
    #[must_use]
    pub fn is_done(&self) -> bool {
        self.goodbye && self.rtcp.is_empty()
    }

    /// The SDP of the streams: `origin`, `s=` `session_name`, the
    /// session-level `c=` line, a media section per track at the port
    /// `port_of` gives it.
    ///
    /// # Errors
    ///
    /// As [`SessionDescription::for_tracks`].
    pub fn session_description(
        &self,
        origin: Origin,
        session_name: &str,
        connection: Option<Connection>,
        port_of: impl Fn(&Track) -> u16,
    ) -> Result<SessionDescription, SdpError> {
        let media: Vec<TrackMedia<'_>> = self
            .streams
            .iter()
            .map(|s| TrackMedia {
                track: &s.track,
                payload_type: s.payload_type,
                port: port_of(&s.track),
            })
            .collect();
        SessionDescription::for_tracks(origin, session_name, connection, &media)
    }

    /// Follows an adjustment of the wall clock (later sender reports carry
    /// NTP times from it).
    pub fn set_wall_clock(&mut self, wall_clock: WallClock) {
        self.config.wall_clock = wall_clock;
        if let Some(start) = self.start {
            let session_clock = self.session_wall_clock(start);
            for s in &mut self.streams {
                s.session.set_wall_clock(session_clock);
            }
        }
    }

    /// The sessions' wall clock: the media clock's instant `start + lead`
    /// is the wall clock's `start`.
    fn session_wall_clock(&self, start: Instant) -> WallClock {
        WallClock::new(
            start + self.config.presentation_lead,
            self.config.wall_clock.at(start),
        )
    }

    fn speed(&self) -> Speed {
        match self.config.pacing {
            Pacing::Paced(speed) => speed,
            Pacing::Live => Speed::REAL_TIME,
        }
    }

    /// The media clock at real instant `now`.
    fn session_instant(&self, start: Instant, now: Instant) -> Instant {
        start
            + self.config.presentation_lead
            + self.speed().media(now.saturating_duration_since(start))
    }

    /// The real instant at which the media clock reads `at`.
    fn real_instant(&self, start: Instant, at: Instant) -> Instant {
        let media = at.saturating_duration_since(start + self.config.presentation_lead);
        start + self.speed().real(media)
    }

    /// The presented instant of a payload stamped `ts` on stream `i`.
    fn presented(&mut self, start: Instant, i: usize, ts: RtpTimestamp) -> Option<Instant> {
        let origin = self.origin_us.unwrap_or(0);
        let us = self.streams.get_mut(i)?.media_us(ts) - origin;
        let d = Duration::from_micros(us.unsigned_abs());
        Some(if us >= 0 {
            start + d
        } else {
            start.checked_sub(d).unwrap_or(start)
        })
    }

    /// Sending starts at `now`: packets become due from here, each
    /// session's report schedule starts, and a first sender report with
    /// SDES of every track is sent before any RTP packet (receivers that
    /// map RTP to wall-clock time from the first report, as ffmpeg does,
    /// then use one mapping from the first packet on). A second call does
    /// nothing.
    pub fn start(&mut self, now: Instant) {
        if self.start.is_some() {
            return;
        }
        self.start = Some(now);
        let session_clock = self.session_wall_clock(now);
        for i in 0..self.streams.len() {
            let first = self.streams.get(i).and_then(|s| s.first);
            // A seek: the media clock at `now` reads the first payload's
            // presentation time, not zero.
            // Nothing was sent yet, so the stream's timestamp extension
            // still starts from the offset: this is the first packet's.
            let reference = first
                .and_then(|f| Some((self.presented(now, i, f.rtp_timestamp)?, f.rtp_timestamp)));
            let Some(stream) = self.streams.get_mut(i) else {
                continue;
            };
            stream.session.set_wall_clock(session_clock);
            stream.session.restart_reports(now);
            if let Some((at, ts)) = reference {
                stream.session.set_timestamp_reference(at, ts);
            }
            if let Some(report) = stream.session.first_report(now) {
                self.rtcp.push_back((i, report));
            }
        }
    }

    /// Takes one sample of one of the tracks: packetizes it at once (its
    /// data travel as `Bytes` slices, never copied) and queues the
    /// payloads for their time.
    ///
    /// # Errors
    ///
    /// [`SessionError::Finished`] after [`finish`](MediaSender::finish) or
    /// [`stop`](MediaSender::stop), [`SessionError::UnknownTrack`],
    /// [`SessionError::QueueFull`], [`SessionError::DecodeOrder`] for a
    /// sample before the previous one of its track,
    /// [`SessionError::MediaTimeOverflow`], and the packetizer's refusals
    /// ([`SessionError::Payload`]). A refused sample changes nothing.
    pub fn push(&mut self, sample: &Sample) -> Result<(), SessionError> {
        if self.finished {
            return Err(SessionError::Finished);
        }
        let i = self
            .index(sample.track_id)
            .ok_or(SessionError::UnknownTrack {
                track_id: sample.track_id,
            })?;
        if self.queue.len() >= self.config.max_queued_payloads {
            return Err(SessionError::QueueFull {
                queued: self.queue.len(),
                max: self.config.max_queued_payloads,
            });
        }
        let pass_offset_us = self.pass_offset_us;
        let stream = self.streams.get_mut(i).ok_or(SessionError::UnknownTrack {
            track_id: sample.track_id,
        })?;
        let timescale = stream.track.timescale;
        let offset = MediaTime::new(pass_offset_us, Timescale::MICROS)
            .rescale(timescale, Rounding::Nearest)
            .ticks();
        let dts = sample.dts.saturating_add(offset);
        if let Some(previous) = stream.last_dts
            && dts < previous
        {
            return Err(SessionError::DecodeOrder {
                track_id: sample.track_id,
                dts,
                previous,
            });
        }
        let pts = MediaTime::new(
            sample
                .pts()
                .saturating_add(stream.shift)
                .saturating_add(offset),
            timescale,
        );
        let ts = stream.session.rtp_timestamp(pts)?;
        stream
            .packetizer
            .push(ts, sample.data.clone())
            .map_err(|error| SessionError::Payload {
                track_id: sample.track_id,
                error,
            })?;
        stream.last_dts = Some(dts);
        let dts_us = MediaTime::new(dts, timescale)
            .rescale(Timescale::MICROS, Rounding::Nearest)
            .ticks();
        let origin = *self.origin_us.get_or_insert(dts_us);
        self.last_due = Duration::from_micros(dts_us.saturating_sub(origin).max(0) as u64);
        self.drain_packetizer(i);
        Ok(())
    }

    /// Pushes samples from `samples` (skipping those of tracks it does not
    /// send) until a payload is queued and, when there is a presentation
    /// lead, the samples pushed reach the lead (plus what one AAC packet
    /// aggregates) past the next payload's time, so audio can go that much
    /// ahead (see the module docs), or the queue is full: the
    /// feeding a file's player does before each wait. `true` when
    /// `samples` ran out (then either
    /// [`start_next_pass`](MediaSender::start_next_pass) and feed the file
    /// again, or [`finish`](MediaSender::finish)).
    ///
    /// # Errors
    ///
    /// As [`push`](MediaSender::push).
    pub fn feed(
        &mut self,
        samples: &mut impl Iterator<Item = Sample>,
    ) -> Result<bool, SessionError> {
        while self.queue.is_empty()
            || (self.queue.len() < self.config.max_queued_payloads
                && !self.config.presentation_lead.is_zero()
                && self.queue.front().is_some_and(|q| {
                    self.last_due.saturating_sub(q.due)
                        < self.config.presentation_lead + self.aggregation
                }))
        {
            match samples.next() {
                Some(sample) if self.has_track(sample.track_id) => self.push(&sample)?,
                Some(_) => {}
                None => return Ok(true),
            }
        }
        Ok(false)
    }

    /// Moves stream `i`'s payloads to the queue: a video payload due at
    /// the last sample's decode time, an audio payload at its presentation
    /// time less the presentation lead (see the module docs), each after
    /// every payload due no later (so each track keeps its order).
    fn drain_packetizer(&mut self, i: usize) {
        let origin = self.origin_us.unwrap_or(0);
        let lead_us = i64::try_from(self.config.presentation_lead.as_micros()).unwrap_or(i64::MAX);
        let Some(stream) = self.streams.get_mut(i) else {
            return;
        };
        let audio = stream.track.kind() == MediaKind::Audio;
        while let Some(payload) = stream.packetizer.poll_payload() {
            if stream.first.is_none() {
                stream.first = Some(RtpInfo {
                    sequence_number: stream.session.next_sequence_number(),
                    rtp_timestamp: payload.timestamp(),
                });
            }
            let due = if audio {
                let us = stream
                    .media_us(payload.timestamp())
                    .saturating_sub(lead_us)
                    .saturating_sub(origin);
                Duration::from_micros(us.max(0).unsigned_abs())
            } else {
                self.last_due
            };
            // From the back: the payloads due later than this one (video
            // queued ahead of audio's earlier time) go after it.
            let at = self
                .queue
                .iter()
                .rposition(|q| q.due <= due)
                .map_or(0, |p| p + 1);
            self.queue.insert(
                at,
                Queued {
                    stream: i,
                    due,
                    payload,
                },
            );
        }
    }

    /// The file starts over: what aggregation holds back is released, and
    /// the samples pushed from here on are shifted by one more pass (the
    /// longest track's duration, rounded up to the microsecond), so RTP
    /// timestamps and sequence numbers go on.
    ///
    /// # Errors
    ///
    /// [`SessionError::UnknownDuration`] when no track states its duration,
    /// [`SessionError::Finished`] after `finish` or `stop`.
    pub fn start_next_pass(&mut self) -> Result<(), SessionError> {
        if self.finished {
            return Err(SessionError::Finished);
        }
        let pass = self
            .streams
            .iter()
            .filter_map(|s| {
                let d = s.track.duration?;
                Some(
                    MediaTime::new(i64::try_from(d).ok()?, s.track.timescale)
                        .rescale(Timescale::MICROS, Rounding::Up)
                        .ticks(),
                )
            })
            .max()
            .ok_or(SessionError::UnknownDuration)?;
        for i in 0..self.streams.len() {
            if let Some(s) = self.streams.get_mut(i) {
                s.packetizer.flush();
            }
            self.drain_packetizer(i);
        }
        self.pass_offset_us = self.pass_offset_us.saturating_add(pass);
        Ok(())
    }

    /// No more samples come: what aggregation holds back is released; the
    /// queued packets go at their time, then a BYE per track (RTCP
    /// compound SR + SDES + BYE), and [`poll_timeout`](MediaSender::poll_timeout)
    /// is `None` once all went out. A second call does nothing.
    ///
    /// # Errors
    ///
    /// None today; the `Result` is the contract every producer shares.
    pub fn finish(&mut self) -> Result<(), SessionError> {
        if self.finished {
            return Ok(());
        }
        self.finished = true;
        for i in 0..self.streams.len() {
            if let Some(s) = self.streams.get_mut(i) {
                let _ = s.packetizer.finish();
            }
            self.drain_packetizer(i);
        }
        Ok(())
    }

    /// Stops at `now` (the user quit, the RTSP session was torn down):
    /// queued packets are dropped and a BYE per track is sent at once.
    /// Drain [`poll_transmit`](MediaSender::poll_transmit); a second call
    /// does nothing.
    pub fn stop(&mut self, now: Instant) {
        self.finished = true;
        self.queue.clear();
        if self.start.is_none() {
            self.start = Some(now);
        }
        self.goodbye_at(now);
    }

    /// When a finished sender's BYEs are due: the goodbye delay after the
    /// last packet, once every packet went; `None` before.
    fn goodbye_due(&self, start: Instant) -> Option<Instant> {
        (self.finished && self.queue.is_empty() && !self.goodbye)
            .then(|| self.last_sent.unwrap_or(start) + self.config.goodbye_delay)
    }

    /// Queues every track's BYE compound (once).
    fn goodbye_at(&mut self, now: Instant) {
        let Some(start) = self.start else { return };
        if self.goodbye {
            return;
        }
        self.goodbye = true;
        let at = self.session_instant(start, now);
        for (i, s) in self.streams.iter_mut().enumerate() {
            let _ = s.session.finish(at);
            while let Some(d) = s.session.poll_transmit() {
                self.rtcp.push_back((i, d));
            }
        }
    }

    /// Runs the timers at `now`: the sessions' report timers (their
    /// reports are then polled), and the BYEs once a finished sender's
    /// packets all went.
    pub fn handle_timeout(&mut self, now: Instant) {
        let Some(start) = self.start else { return };
        if self.goodbye {
            return;
        }
        let at = self.session_instant(start, now);
        for (i, s) in self.streams.iter_mut().enumerate() {
            if s.session.poll_timeout().is_some_and(|t| t <= at) {
                s.session.handle_timeout(at);
            }
            while let Some(d) = s.session.poll_transmit() {
                self.rtcp.push_back((i, d));
            }
            while let Some(event) = s.session.poll_event() {
                if self.events.len() < MAX_EVENTS {
                    self.events.push_back(MediaSenderEvent {
                        track_id: s.track.id,
                        event,
                    });
                } else {
                    self.events_dropped += 1;
                }
            }
        }
        if self.goodbye_due(start).is_some_and(|at| at <= now) {
            self.goodbye_at(now);
        }
    }

    /// Reads an RTCP datagram that arrived at `now` for `track_id` (a
    /// receiver report, a NACK, a BYE): events come from
    /// [`poll_event`](MediaSender::poll_event).
    ///
    /// # Errors
    ///
    /// [`SessionError::UnknownTrack`], and [`SessionError::Rtcp`] for a
    /// datagram that does not parse (it is ignored whole).
    pub fn handle_rtcp(
        &mut self,
        now: Instant,
        track_id: u32,
        datagram: Bytes,
    ) -> Result<(), SessionError> {
        let i = self
            .index(track_id)
            .ok_or(SessionError::UnknownTrack { track_id })?;
        let at = match self.start {
            Some(start) => self.session_instant(start, now),
            None => now,
        };
        let Some(s) = self.streams.get_mut(i) else {
            return Err(SessionError::UnknownTrack { track_id });
        };
        s.session.handle_rtcp(at, datagram)?;
        while let Some(event) = s.session.poll_event() {
            if self.events.len() < MAX_EVENTS {
                self.events.push_back(MediaSenderEvent { track_id, event });
            } else {
                self.events_dropped += 1;
            }
        }
        Ok(())
    }

    /// The next event of a track's session.
    #[must_use]
    pub fn poll_event(&mut self) -> Option<MediaSenderEvent> {
        self.events.pop_front()
    }

    /// The next datagram to send at `now`: RTCP first (the first reports,
    /// reports that came due, the BYEs), then the RTP packets that are
    /// due, in the order their samples were pushed. `None` when nothing is
    /// due before [`poll_timeout`](MediaSender::poll_timeout). The RTP
    /// packet is written into a buffer the sender reuses: no allocation
    /// per packet (the payload is copied into it once; see
    /// [`poll_transmit_parts`](MediaSender::poll_transmit_parts) for none).
    #[must_use]
    pub fn poll_transmit(&mut self, now: Instant) -> Option<Transmit<'_>> {
        let (i, kind, payload) = self.next_transmit(now)?;
        let track_id = self.streams.get(i)?.track.id;
        let datagram = match payload {
            Some(payload) => {
                // The payload is at most the MTU: writing into a growable
                // buffer cannot fail.
                payload.write_to(&mut self.buf).ok()?;
                &self.buf[..]
            }
            None => &self.current[..],
        };
        Some(Transmit {
            track_id,
            kind,
            datagram,
        })
    }

    /// What [`poll_transmit`](MediaSender::poll_transmit) gives, as parts:
    /// the RTP header the sender wrote and the payload (handed over)
    /// holding the sample's own buffers, which a vectored write sends
    /// without copying them (RTSP's interleaved TCP). The same packets in
    /// the same order, with the same effect on the sessions.
    #[must_use]
    pub fn poll_transmit_parts(&mut self, now: Instant) -> Option<TransmitParts<'_>> {
        let (i, kind, payload) = self.next_transmit(now)?;
        let track_id = self.streams.get(i)?.track.id;
        let packet = match payload {
            Some(payload) => PacketParts {
                head: &self.buf,
                payload: Some(payload),
            },
            None => PacketParts {
                head: &self.current,
                payload: None,
            },
        };
        Some(TransmitParts {
            track_id,
            kind,
            packet,
        })
    }

    /// The next datagram due: its stream, its kind, and for RTP its
    /// payload, its header written into `buf` (an RTCP datagram is left in
    /// `current`).
    fn next_transmit(&mut self, now: Instant) -> Option<(usize, TransmitKind, Option<Payload>)> {
        let start = self.start?;
        if let Some((i, datagram)) = self.rtcp.pop_front() {
            self.current = datagram;
            return Some((i, TransmitKind::Rtcp, None));
        }
        let due = self
            .queue
            .front()
            .is_some_and(|q| match self.config.pacing {
                Pacing::Live => true,
                Pacing::Paced(speed) => start + speed.real(q.due) <= now,
            });
        if !due {
            if self.goodbye_due(start).is_some_and(|at| at <= now) {
                self.goodbye_at(now);
                return self.next_transmit(now);
            }
            return None;
        }
        let q = self.queue.pop_front()?;
        let ts = q.payload.timestamp();
        let presented = self.presented(start, q.stream, ts)?;
        let stream = self.streams.get_mut(q.stream)?;
        let header = stream.session.next_header_at(ts, q.payload.marker());
        self.buf.clear();
        // The header is small: writing into a growable buffer cannot fail.
        header.write_header(&mut self.buf).ok()?;
        stream
            .session
            .record_sent(presented, &header, q.payload.len());
        self.packets_sent += 1;
        self.last_sent = Some(now);
        Some((q.stream, TransmitKind::Rtp, Some(q.payload)))
    }

    /// When [`handle_timeout`](MediaSender::handle_timeout) and
    /// [`poll_transmit`](MediaSender::poll_transmit) are next needed: the
    /// next packet's time, a report's, or the BYEs' (see
    /// [`MediaSenderConfig::goodbye_delay`]);
    /// `None` before [`start`](MediaSender::start) and once the sender is
    /// done.
    #[must_use]
    pub fn poll_timeout(&self) -> Option<Instant> {
        let start = self.start?;
        if self.is_done() {
            return None;
        }
        if !self.rtcp.is_empty() {
            return Some(start);
        }
        let goodbye = self.goodbye_due(start);
        let packet = self.queue.front().map(|q| match self.config.pacing {
            Pacing::Live => start,
            Pacing::Paced(speed) => start + speed.real(q.due),
        });
        let reports = self
            .streams
            .iter()
            .filter_map(|s| s.session.poll_timeout())
            .map(|t| self.real_instant(start, t))
            .min();
        [packet, reports, goodbye].into_iter().flatten().min()
    }
}
