//! The server side of one RTSP connection, Sans-IO.
//!
//! A [`ServerConnection`] reads the bytes of one client's TCP
//! connection, answers its requests (OPTIONS, DESCRIBE, SETUP, PLAY,
//! PAUSE, TEARDOWN, GET_PARAMETER, SET_PARAMETER, ANNOUNCE, RECORD) as
//! RFC 2326 says, with the state machine of its appendix A (and
//! RTSP/2.0 requests as RFC 7826 says: see [the crate docs](crate)
//! for what of it), and moves the
//! session's media: RTP and RTCP out through a
//! [`MediaSender`] for PLAY, RTP in
//! through a jitter buffer, a depacketizer and decode-time derivation
//! for RECORD. What it cannot decide alone it asks the caller through
//! events: which presentation a path names, whether a PLAY or a publish
//! may start; the caller answers with `accept_*` or
//! [`refuse`](ServerConnection::refuse).
//!
//! # Call order
//!
//! 1. [`ServerConnection::new`] when a client connects.
//! 2. Input: [`handle_bytes(now, ..)`](ServerConnection::handle_bytes)
//!    with what the TCP connection read;
//!    [`handle_datagram(now, ..)`](ServerConnection::handle_datagram)
//!    with UDP datagrams from the client's ports (route them by
//!    [`ServerEvent::SetUp`]).
//! 3. Drain [`poll_event`](ServerEvent) and answer what asks for an
//!    answer; for a PLAY, push the samples to send
//!    ([`push_sample`](ServerConnection::push_sample)) while
//!    [`wants_samples`](ServerConnection::wants_samples).
//! 4. Output: [`poll_transmit(now)`](ServerConnection::poll_transmit)
//!    until `None` (bytes for the TCP stream: responses and, in an RTSP
//!    2.0 session, the server's PLAY_NOTIFY requests; interleaved
//!    packets; datagrams for the server's UDP ports); recorded samples from
//!    [`poll_sample`](ServerConnection::poll_sample).
//! 5. Time: wake at [`poll_timeout`](ServerConnection::poll_timeout)
//!    and call [`handle_timeout(now)`](ServerConnection::handle_timeout)
//!    (packets due, RTCP reports, the session timeout).
//! 6. Close the TCP connection once
//!    [`is_closed`](ServerConnection::is_closed), or call
//!    [`finish(now)`](ServerConnection::finish) when the client left.
//!
//! ```
//! use std::net::SocketAddr;
//! use std::time::Instant;
//! use streamkit_core::clock::{UnixTime, WallClock};
//! use streamkit_rtsp::auth::OpenPolicy;
//! use streamkit_rtsp::server::{ServerConfig, ServerConnection, ServerEvent, ServerTransmit};
//!
//! # #[allow(clippy::disallowed_methods)] // a virtual clock's origin
//! let now = Instant::now();
//! let config = ServerConfig::new(WallClock::new(now, UnixTime::from_unix_millis(1_700_000_000_000)));
//! let peer: SocketAddr = "127.0.0.1:50000".parse()?;
//! let mut random = |b: &mut [u8]| b.fill(7); // the OS's random source in a real server
//! let mut conn = ServerConnection::new(now, config, peer, Box::new(random), Box::new(OpenPolicy));
//! conn.handle_bytes(now, b"DESCRIBE rtsp://h/vod/a RTSP/1.0\r\nCSeq: 2\r\n\r\n");
//! let Some(ServerEvent::Describe { request, path }) = conn.poll_event() else { panic!() };
//! assert_eq!(path, "/vod/a");
//! conn.refuse(now, request, 404)?; // no such stream
//! let Some(ServerTransmit::Stream(bytes)) = conn.poll_transmit(now) else { panic!() };
//! assert!(bytes.starts_with(b"RTSP/1.0 404 Not Found\r\nCSeq: 2\r\n"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod methods;
pub(crate) mod record;
mod sync;

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use streamkit_core::clock::WallClock;
use streamkit_core::sample::{PresentationShift, Sample};
use streamkit_core::track::Track;
use streamkit_rtp::jitter::JitterConfig;
use streamkit_rtp::packet::RtpPacket;
use streamkit_rtp::sender::{MediaSender, PacketParts, TransmitKind};

use crate::auth::{AuthConfig, AuthPolicy, Authenticator, RandomSource};
use crate::error::ServerError;
use crate::header::{PortRange, SeekStyle};
use crate::message::{Frame, Message, MessageReader, ReaderConfig, Version};
mod events;
pub use events::{
    AlignedBy, ServerEvent, ServerTransmit, ServerTransmitParts, SessionEnd, TrackTransport,
};
use record::{Recorded, Recorder, TrackReport};
use sync::{Alignment, Out, TrackClock};

/// How a server connection behaves.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ServerConfig {
    /// The message reader's bounds.
    pub reader: ReaderConfig,
    /// Realm, Basic, nonce lifetime.
    pub auth: AuthConfig,
    /// A session with no request, RTCP or RTP from its client for this
    /// long ends (the `;timeout=` of the Session header).
    pub session_timeout: Duration,
    /// The server's UDP ports (RTP, RTCP) for UDP transport, answered as
    /// `server_port`; `None` offers TCP interleaved only (UDP specs get
    /// 461).
    pub udp_ports: Option<PortRange>,
    /// Let a SETUP send to a `destination=` other than the client's own
    /// address (off: no amplification towards third parties).
    pub allow_foreign_destination: bool,
    /// The `Server` header.
    pub server_name: String,
    /// The link of the monotonic clock to Unix time (sender reports).
    pub wall_clock: WallClock,
    /// The RTCP CNAME.
    pub cname: String,
    /// The jitter buffer of recorded tracks.
    pub jitter: JitterConfig,
    /// How long a finished VOD stream's BYEs wait after the last packet
    /// (see [`MediaSenderConfig::goodbye_delay`](streamkit_rtp::sender::MediaSenderConfig::goodbye_delay)).
    pub goodbye_delay: Duration,
    /// The most payloads queued in a PLAY's sender before
    /// [`wants_samples`](ServerConnection::wants_samples) says no.
    pub send_queue: usize,
    /// How long a RECORD session of two or more tracks holds its samples
    /// for every track's RTCP sender report, from the first sample held
    /// (on the `now` the caller passes): the reports put the tracks on
    /// one timeline ([`ServerEvent::TrackAligned`]). Past it, a track
    /// without one is aligned by its first packet (media time zero where
    /// the reference track's is). Samples leave at once when every
    /// track has a report and a first packet. The alignment is decided
    /// once; [`Duration::ZERO`] aligns by first packets (unless the
    /// reports came first).
    pub sync_wait: Duration,
}

impl ServerConfig {
    /// The defaults: the reader's and the authenticator's, a 60 s session
    /// timeout, TCP only, the client's own address only, `streamkit` as
    /// server name and CNAME, 200 ms jitter buffers, BYE 1 s after the
    /// last packet, 64 payloads queued, a 5 s wait for sender reports
    /// (RFC 3550's first RTCP interval is 2.5 s at most, randomized to
    /// 1.25-3.75 s).
    #[must_use]
    pub fn new(wall_clock: WallClock) -> ServerConfig {
        ServerConfig {
            reader: ReaderConfig::default(),
            auth: AuthConfig::default(),
            session_timeout: Duration::from_secs(60),
            udp_ports: None,
            allow_foreign_destination: false,
            server_name: "streamkit".into(),
            wall_clock,
            cname: "streamkit".into(),
            jitter: JitterConfig::default(),
            goodbye_delay: Duration::from_secs(1),
            send_queue: 64,
            sync_wait: Duration::from_secs(5),
        }
    }
}

/// What a path names, as the caller describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Presentation {
    /// The tracks (H.264, H.265, AAC, Opus), in the SDP's order.
    pub tracks: Vec<Track>,
    /// The tracks' edit-list shifts (a file's).
    pub shifts: Vec<PresentationShift>,
    /// The duration of a file; `None` for a live stream.
    pub duration: Option<Duration>,
    /// How far presentation follows decode at most (the B-frame delay;
    /// see [`presentation_lead`](streamkit_rtp::sender::presentation_lead)).
    pub presentation_lead: Duration,
    /// The SDP `s=` line.
    pub session_name: String,
}

impl Presentation {
    /// A presentation of `tracks` lasting `duration` (`None`: live), no
    /// shifts or lead, named `streamkit`.
    #[must_use]
    pub fn new(tracks: Vec<Track>, duration: Option<Duration>) -> Presentation {
        Presentation {
            tracks,
            shifts: Vec::new(),
            duration,
            presentation_lead: Duration::ZERO,
            session_name: "streamkit".into(),
        }
    }
}

/// A request waiting for the caller's answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RequestId(pub u64);

impl std::fmt::Display for RequestId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// Appendix A's server states (Init is having no session).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Ready,
    Playing,
    Recording,
}

/// One set-up track.
#[derive(Debug)]
struct SetupTrack {
    track_id: u32,
    transport: TrackTransport,
}

/// The connection's session.
struct Session {
    id: String,
    path: String,
    state: State,
    tracks: Vec<SetupTrack>,
    last_activity: Instant,
    sender: Option<MediaSender>,
    recorders: Vec<Recorder>,
    /// The recorded tracks' timeline, from the first RECORD.
    alignment: Option<Alignment>,
    /// The npt position a PAUSE stopped at.
    paused_at: Option<Duration>,
    /// The version the session was set up with (its requests keep it).
    version: Version,
    /// The `Pipelined-Requests` id of the SETUP that made it (RTSP 2.0).
    pipelined: Option<u32>,
    /// The PLAY that plays: its CSeq, URI, npt start and when sending
    /// started (for PAUSE's Range and PLAY_NOTIFY).
    play: Option<PlayState>,
}

/// What the session's PLAY started.
#[derive(Debug, Clone)]
struct PlayState {
    cseq: u32,
    uri: String,
    start: Duration,
    started: Instant,
    /// PLAY_NOTIFY end-of-stream was sent (RTSP 2.0).
    notified: bool,
}

/// An announced presentation (RECORD): tracks and their SDP controls.
struct Announced {
    path: String,
    tracks: Vec<AnnouncedTrack>,
}

/// One announced track: its SDP control, the depacketizer its media
/// section made (taken by the first SETUP) and the section and payload
/// type to make another (a repeated SETUP).
type AnnouncedTrack = (
    Track,
    String,
    Option<streamkit_rtp::payload::Depacketizer>,
    (streamkit_rtp::sdp::MediaDescription, u8),
);

/// A request the caller answers.
enum Pending {
    /// A DESCRIBE (`None`) or a SETUP that waits for its presentation.
    Describe {
        setup: Option<crate::message::Request>,
        uri: String,
        path: String,
    },
    Play {
        uri: String,
        seek_style: SeekStyle,
        /// The PLAY had a Range (its answer then says the Seek-Style).
        ranged: bool,
    },
    Announce {
        announced: Announced,
    },
    Record,
}

/// The server side of one RTSP connection; see the [module docs](self).
pub struct ServerConnection {
    config: ServerConfig,
    peer: SocketAddr,
    reader: MessageReader,
    random: Box<dyn RandomSource + Send>,
    policy: Box<dyn AuthPolicy + Send + Sync>,
    auth: Authenticator,
    /// Presentations described on this connection, by path.
    presentations: Vec<(String, Presentation)>,
    announced: Option<Announced>,
    session: Option<Session>,
    /// The request waiting for the caller, its id and CSeq.
    pending: Option<(RequestId, u32, Pending)>,
    /// Frames read while a request waits.
    deferred: VecDeque<Frame>,
    next_request: u64,
    out: BytesMut,
    rtcp: VecDeque<(TrackTransport, Bytes)>,
    current: Bytes,
    /// The packet [`ServerConnection::poll_transmit`] last joined.
    scratch: Vec<u8>,
    events: VecDeque<ServerEvent>,
    samples: VecDeque<Recorded>,
    /// [`ServerEvent::TrackChanged`]s queued and not yet polled: the
    /// samples after them wait.
    changes_unpolled: usize,
    /// Samples (and changes) queued before the [`ServerEvent::SessionEnded`]
    /// first in `events`, not yet polled: the event waits for them.
    unpolled_before_end: usize,
    closed: bool,
    started: Instant,
    /// The version the request being answered came in (answers speak it).
    answer: Version,
    /// The request being answered is within the session (2.0 answers
    /// then name it).
    in_session: bool,
    /// The CSeq of the next request the server sends (PLAY_NOTIFY).
    server_cseq: u32,
}

impl std::fmt::Debug for ServerConnection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerConnection")
            .field("peer", &self.peer)
            .field("session", &self.session.as_ref().map(|s| (&s.id, s.state)))
            .field("closed", &self.closed)
            .finish_non_exhaustive()
    }
}

/// RTCP by its packet type (RFC 5761 section 4: 192-223 in the second
/// byte, where RTP has its marker bit and payload type).
fn is_rtcp_packet(data: &[u8]) -> bool {
    data.get(1).is_some_and(|pt| (192..=223).contains(pt))
}

/// The server port RTCP leaves from: RTP's when multiplexed.
fn rtcp_port_kind(rtp: SocketAddr, rtcp: Option<SocketAddr>) -> TransmitKind {
    if rtcp == Some(rtp) {
        TransmitKind::Rtp
    } else {
        TransmitKind::Rtcp
    }
}

/// The most frames held while a request waits for the caller.
const MAX_DEFERRED: usize = 64;
/// The most events held.
const MAX_EVENTS: usize = 1024;
/// The most recorded samples held for polling.
const MAX_SAMPLES: usize = 8192;

impl ServerConnection {
    /// A connection from `peer`, with session ids and nonces from
    /// `random` and access decided by `policy`.
    #[must_use]
    pub fn new(
        now: Instant,
        config: ServerConfig,
        peer: SocketAddr,
        random: Box<dyn RandomSource + Send>,
        policy: Box<dyn AuthPolicy + Send + Sync>,
    ) -> ServerConnection {
        ServerConnection {
            reader: MessageReader::new(config.reader),
            auth: Authenticator::new(config.auth.clone()),
            config,
            peer,
            random,
            policy,
            presentations: Vec::new(),
            announced: None,
            session: None,
            pending: None,
            deferred: VecDeque::new(),
            next_request: 1,
            out: BytesMut::new(),
            rtcp: VecDeque::new(),
            current: Bytes::new(),
            scratch: Vec::new(),
            events: VecDeque::new(),
            samples: VecDeque::new(),
            changes_unpolled: 0,
            unpolled_before_end: 0,
            closed: false,
            started: now,
            answer: Version::Rtsp10,
            in_session: false,
            server_cseq: 1,
        }
    }

    /// The client's address.
    #[must_use]
    pub fn peer(&self) -> SocketAddr {
        self.peer
    }

    /// The session id, once a SETUP made one.
    #[must_use]
    pub fn session_id(&self) -> Option<&str> {
        self.session.as_ref().map(|s| s.id.as_str())
    }

    /// `true` once the connection should be closed (a message that does
    /// not parse was answered, or the session timed out).
    #[must_use]
    pub fn is_closed(&self) -> bool {
        self.closed
    }

    /// `true` while the session plays (or waits for its PLAY answer) and
    /// its sender has room for more samples.
    #[must_use]
    pub fn wants_samples(&self) -> bool {
        self.session.as_ref().is_some_and(|s| {
            s.sender
                .as_ref()
                .is_some_and(|m| m.queued_payloads() < self.config.send_queue)
        })
    }

    /// `true` once every track of the playing session has its first RTP
    /// packet made, so the PLAY answer's `RTP-Info` can give each its
    /// `seq` and `rtptime`: push samples until then (an AAC track's first
    /// packet waits for the frames it aggregates) before
    /// [`accept_play`](ServerConnection::accept_play). `false` without a
    /// playing session.
    #[must_use]
    pub fn has_first_packets(&self) -> bool {
        self.session.as_ref().is_some_and(|s| {
            s.sender.as_ref().is_some_and(|m| {
                s.tracks
                    .iter()
                    .all(|t| m.first_rtp_info(t.track_id).is_some())
            })
        })
    }

    /// The tracks the playing session sends (to filter samples by).
    pub fn playing_tracks(&self) -> impl Iterator<Item = u32> + '_ {
        self.session
            .iter()
            .filter(|s| s.sender.is_some())
            .flat_map(|s| s.tracks.iter().map(|t| t.track_id))
    }

    /// Pushes a sample of the playing presentation (tracks not set up
    /// are skipped).
    ///
    /// # Errors
    ///
    /// [`ServerError::NotPlaying`] without a PLAY, and the sender's
    /// refusals ([`ServerError::Media`]: a full queue, decode order).
    pub fn push_sample(&mut self, sample: &Sample) -> Result<(), ServerError> {
        let sender = self
            .session
            .as_mut()
            .and_then(|s| s.sender.as_mut())
            .ok_or(ServerError::NotPlaying)?;
        if !sender.has_track(sample.track_id) {
            return Ok(());
        }
        sender.push(sample)?;
        Ok(())
    }

    /// No more samples come (the file ended): the rest goes out, then
    /// RTCP BYE.
    pub fn finish_media(&mut self) {
        if let Some(sender) = self.session.as_mut().and_then(|s| s.sender.as_mut()) {
            let _ = sender.finish();
        }
    }

    /// Reads bytes the TCP connection received at `now`.
    pub fn handle_bytes(&mut self, now: Instant, bytes: &[u8]) {
        if self.closed {
            return;
        }
        self.reader.push(bytes);
        loop {
            match self.reader.poll_frame() {
                Ok(Some(frame)) => self.handle_frame(now, frame),
                Ok(None) => break,
                Err(e) => {
                    let status = e.status();
                    let mut r = crate::message::Response::new(status);
                    r.headers.append("Server", &self.config.server_name);
                    r.headers.append("Connection", "close");
                    r.write_to(&mut self.out);
                    self.closed = true;
                    break;
                }
            }
        }
    }

    fn handle_frame(&mut self, now: Instant, frame: Frame) {
        match frame {
            Frame::Interleaved { channel, data } => self.handle_interleaved(now, channel, data),
            Frame::Message(m) => {
                if self.pending.is_some() {
                    if self.deferred.len() < MAX_DEFERRED {
                        self.deferred.push_back(Frame::Message(m));
                    } else {
                        self.closed = true;
                    }
                    return;
                }
                match m {
                    Message::Request(r) => self.handle_request(now, r),
                    // A client answering (to nothing we sent): ignored.
                    Message::Response(_) => {}
                }
            }
        }
    }

    /// Runs the frames deferred while a request waited.
    fn run_deferred(&mut self, now: Instant) {
        while self.pending.is_none() {
            let Some(frame) = self.deferred.pop_front() else {
                return;
            };
            self.handle_frame(now, frame);
        }
    }

    fn track_of_channel(&self, channel: u8) -> Option<(u32, bool)> {
        let s = self.session.as_ref()?;
        s.tracks.iter().find_map(|t| match t.transport {
            TrackTransport::Interleaved { rtp, .. } if rtp == channel => Some((t.track_id, false)),
            TrackTransport::Interleaved { rtcp: Some(c), .. } if c == channel => {
                Some((t.track_id, true))
            }
            _ => None,
        })
    }

    fn handle_interleaved(&mut self, now: Instant, channel: u8, data: Bytes) {
        // Data on channels never set up is dropped.
        let Some((track_id, is_rtcp)) = self.track_of_channel(channel) else {
            return;
        };
        let muxed = self.session.as_ref().is_some_and(|s| {
            s.tracks.iter().any(|t| {
                t.track_id == track_id
                    && matches!(t.transport,
                        TrackTransport::Interleaved { rtp, rtcp: Some(c) } if c == rtp)
            })
        });
        self.media_in(
            now,
            track_id,
            is_rtcp || (muxed && is_rtcp_packet(&data)),
            data,
        );
    }

    /// Reads a UDP datagram that arrived at `now` from `from` on the
    /// server's RTP or RTCP port (`kind`). Datagrams from addresses no
    /// track was set up with are dropped (`false`).
    pub fn handle_datagram(
        &mut self,
        now: Instant,
        from: SocketAddr,
        kind: TransmitKind,
        datagram: Bytes,
    ) -> bool {
        let Some(s) = self.session.as_ref() else {
            return false;
        };
        let found = s.tracks.iter().find_map(|t| match t.transport {
            TrackTransport::Udp { rtp, rtcp } if rtcp == Some(rtp) => {
                (rtp == from).then(|| (t.track_id, is_rtcp_packet(&datagram)))
            }
            TrackTransport::Udp { rtp, rtcp } => {
                let is_rtcp = kind == TransmitKind::Rtcp;
                let matches = if is_rtcp {
                    rtcp == Some(from) || rtp == from
                } else {
                    rtp == from
                };
                matches.then_some((t.track_id, is_rtcp))
            }
            TrackTransport::Interleaved { .. } => None,
        });
        let Some((track_id, is_rtcp)) = found else {
            return false;
        };
        self.media_in(now, track_id, is_rtcp, datagram);
        true
    }

    fn media_in(&mut self, now: Instant, track_id: u32, is_rtcp: bool, data: Bytes) {
        let Some(s) = self.session.as_mut() else {
            return;
        };
        s.last_activity = now;
        if let Some(sender) = s.sender.as_mut() {
            if is_rtcp {
                let _ = sender.handle_rtcp(now, track_id, data);
                while sender.poll_event().is_some() {}
            }
            return;
        }
        if s.state != State::Recording {
            return;
        }
        let Some(r) = s.recorders.iter_mut().find(|r| r.track().id == track_id) else {
            return;
        };
        if is_rtcp {
            r.handle_rtcp(now, data);
        } else if let Ok(packet) = RtpPacket::parse(data) {
            r.handle_rtp(now, packet);
        }
        self.collect_recorded(now, false);
    }

    /// Moves recorded samples, reports and receiver RTCP out of the
    /// recorders at `now`, through the tracks' alignment (`end`: the
    /// session ends, what waits for it leaves).
    fn collect_recorded(&mut self, now: Instant, end: bool) {
        let Some(s) = self.session.as_mut() else {
            return;
        };
        // Recorders give samples once recording, and the alignment
        // starts with the RECORD; before it, RTCP only.
        let mut none = Alignment::new(&[], Duration::ZERO);
        let alignment = s.alignment.as_mut().unwrap_or(&mut none);
        let mut out = Out {
            samples: &mut self.samples,
            events: &mut self.events,
        };
        for r in &mut s.recorders {
            let id = r.track().id;
            while let Some(recorded) = r.poll_recorded() {
                alignment.push(now, id, recorded, &mut out);
            }
            while let Some(report) = r.poll_report() {
                let event = match report {
                    // A publisher's BYE: its TEARDOWN or connection ends it.
                    TrackReport::Goodbye => continue,
                    TrackReport::Loss {
                        lost_packets,
                        waiting_for_keyframe,
                    } => ServerEvent::Loss {
                        track_id: id,
                        lost_packets,
                        waiting_for_keyframe,
                    },
                    TrackReport::WallClock { media, unix } => {
                        alignment.wall_clock(id, media, unix, &mut out);
                        continue;
                    }
                    TrackReport::BadParameterSets { error } => ServerEvent::BadParameterSets {
                        track_id: id,
                        error,
                    },
                };
                if out.events.len() < MAX_EVENTS {
                    out.events.push_back(event);
                }
            }
            while let Some(rtcp) = r.poll_rtcp() {
                if let Some(t) = s.tracks.iter().find(|t| t.track_id == id) {
                    self.rtcp.push_back((t.transport, rtcp));
                }
            }
        }
        let clocks: Vec<TrackClock> = s
            .recorders
            .iter()
            .map(|r| TrackClock {
                id: r.track().id,
                timescale: r.track().timescale,
                origin: r.origin(),
                sender_report: r.sender_report(),
            })
            .collect();
        alignment.update(now, &clocks, end, &mut out);
    }

    /// The next event.
    #[must_use]
    pub fn poll_event(&mut self) -> Option<ServerEvent> {
        // A session's end waits for its samples; the events behind it
        // (a change those samples wait for) come first.
        let next = if self.unpolled_before_end > 0
            && matches!(self.events.front(), Some(ServerEvent::SessionEnded { .. }))
        {
            self.events
                .iter()
                .position(|e| !matches!(e, ServerEvent::SessionEnded { .. }))
        } else {
            Some(0)
        };
        if let Some(event) = next.and_then(|i| self.events.remove(i)) {
            if matches!(event, ServerEvent::TrackChanged { .. }) {
                self.changes_unpolled = self.changes_unpolled.saturating_sub(1);
            }
            return Some(event);
        }
        // A change the samples before it have all been polled to.
        if let Some(Recorded::TrackChanged(_)) = self.samples.front()
            && let Some(Recorded::TrackChanged(track)) = self.samples.pop_front()
        {
            self.unpolled_before_end = self.unpolled_before_end.saturating_sub(1);
            return Some(ServerEvent::TrackChanged { track });
        }
        None
    }

    /// The next recorded sample (a RECORD session's media, in decode
    /// order per track, with decode times derived as
    /// [`dts`](crate::dts) says). `None` at a
    /// [`ServerEvent::TrackChanged`] until that event is polled.
    #[must_use]
    pub fn poll_sample(&mut self) -> Option<Sample> {
        if self.changes_unpolled > 0 {
            return None;
        }
        let recorded = self.samples.pop_front()?;
        self.unpolled_before_end = self.unpolled_before_end.saturating_sub(1);
        match recorded {
            Recorded::Sample(s) => Some(s),
            Recorded::TrackChanged(track) => {
                // Events are bounded, but a change is never dropped: it
                // is one per sample at most.
                self.events.push_back(ServerEvent::TrackChanged { track });
                self.changes_unpolled += 1;
                None
            }
        }
    }

    /// Access units a recorded track dropped while it waited for a
    /// keyframe (after a loss, or at the start).
    #[must_use]
    pub fn dropped_until_keyframe(&self, track_id: u32) -> u64 {
        self.session
            .iter()
            .flat_map(|s| &s.recorders)
            .find(|r| r.track().id == track_id)
            .map_or(0, Recorder::dropped_until_keyframe)
    }

    /// The next thing to send at `now`: responses first, then RTCP of
    /// recorded tracks, then the playing sender's RTP and RTCP. Each
    /// packet is one contiguous buffer (its payload copied once into it);
    /// [`poll_transmit_parts`](ServerConnection::poll_transmit_parts) gives
    /// the same packets without that copy.
    #[must_use]
    pub fn poll_transmit(&mut self, now: Instant) -> Option<ServerTransmit<'_>> {
        enum Route {
            Interleaved([u8; 4]),
            Datagram(SocketAddr, TransmitKind),
        }
        let mut packet = std::mem::take(&mut self.scratch);
        packet.clear();
        let route = match self.poll_transmit_parts(now) {
            None => None,
            Some(ServerTransmitParts::Stream(b)) => {
                self.scratch = packet;
                return Some(ServerTransmit::Stream(b));
            }
            Some(ServerTransmitParts::Interleaved { header, packet: p }) => {
                p.write_to(&mut packet);
                Some(Route::Interleaved(header))
            }
            Some(ServerTransmitParts::Datagram {
                to,
                kind,
                packet: p,
            }) => {
                p.write_to(&mut packet);
                Some(Route::Datagram(to, kind))
            }
        };
        self.scratch = packet;
        Some(match route? {
            Route::Interleaved(header) => ServerTransmit::Interleaved {
                header,
                packet: &self.scratch,
            },
            Route::Datagram(to, kind) => ServerTransmit::Datagram {
                to,
                kind,
                packet: &self.scratch,
            },
        })
    }

    /// What [`poll_transmit`](ServerConnection::poll_transmit) gives, with
    /// each RTP packet as parts: the header the sender wrote, and the
    /// payload holding the samples' own buffers. Sent with a vectored write
    /// (`$` header, RTP header, payload chunks), no viewer's payload is
    /// ever copied; the same packets, in the same order.
    #[must_use]
    pub fn poll_transmit_parts(&mut self, now: Instant) -> Option<ServerTransmitParts<'_>> {
        self.notify_end_of_stream();
        if !self.out.is_empty() {
            return Some(ServerTransmitParts::Stream(self.out.split().freeze()));
        }
        if let Some((transport, rtcp)) = self.rtcp.pop_front() {
            self.current = rtcp;
            let packet = PacketParts {
                head: &self.current,
                payload: None,
            };
            return Some(match transport {
                TrackTransport::Interleaved { rtp, rtcp } => ServerTransmitParts::Interleaved {
                    header: crate::message::write_interleaved(
                        rtcp.unwrap_or(rtp.wrapping_add(1)),
                        packet.len(),
                    )?,
                    packet,
                },
                TrackTransport::Udp { rtp, rtcp } => ServerTransmitParts::Datagram {
                    to: rtcp.unwrap_or(rtp),
                    kind: rtcp_port_kind(rtp, rtcp),
                    packet,
                },
            });
        }
        let s = self.session.as_mut()?;
        if s.state != State::Playing {
            return None;
        }
        let sender = s.sender.as_mut()?;
        let t = sender.poll_transmit_parts(now)?;
        let track = s.tracks.iter().find(|x| x.track_id == t.track_id)?;
        let packet = t.packet;
        Some(match (track.transport, t.kind) {
            (TrackTransport::Interleaved { rtp, .. }, TransmitKind::Rtp) => {
                ServerTransmitParts::Interleaved {
                    header: crate::message::write_interleaved(rtp, packet.len())?,
                    packet,
                }
            }
            (TrackTransport::Interleaved { rtp, rtcp }, TransmitKind::Rtcp) => {
                ServerTransmitParts::Interleaved {
                    header: crate::message::write_interleaved(
                        rtcp.unwrap_or(rtp.wrapping_add(1)),
                        packet.len(),
                    )?,
                    packet,
                }
            }
            (TrackTransport::Udp { rtp, .. }, TransmitKind::Rtp) => ServerTransmitParts::Datagram {
                to: rtp,
                kind: TransmitKind::Rtp,
                packet,
            },
            (TrackTransport::Udp { rtp, rtcp }, TransmitKind::Rtcp) => {
                ServerTransmitParts::Datagram {
                    to: rtcp.unwrap_or(rtp),
                    kind: rtcp_port_kind(rtp, rtcp),
                    packet,
                }
            }
        })
    }

    /// When [`handle_timeout`](ServerConnection::handle_timeout) is next
    /// due: a packet's or report's time, a jitter buffer's, the session
    /// timeout.
    #[must_use]
    pub fn poll_timeout(&self) -> Option<Instant> {
        if !self.out.is_empty() || !self.rtcp.is_empty() {
            return Some(self.started);
        }
        let s = self.session.as_ref()?;
        let expiry = s.last_activity + self.config.session_timeout;
        let sender = if s.state == State::Playing {
            s.sender.as_ref().and_then(MediaSender::poll_timeout)
        } else {
            None
        };
        let recorders = s.recorders.iter().filter_map(Recorder::poll_timeout).min();
        let alignment = s.alignment.as_ref().and_then(Alignment::poll_timeout);
        [Some(expiry), sender, recorders, alignment]
            .into_iter()
            .flatten()
            .min()
    }

    /// Runs the timers at `now`.
    pub fn handle_timeout(&mut self, now: Instant) {
        let Some(s) = self.session.as_mut() else {
            return;
        };
        if now >= s.last_activity + self.config.session_timeout {
            self.end_session(now, SessionEnd::Timeout);
            self.closed = true;
            return;
        }
        if s.state == State::Playing
            && let Some(sender) = s.sender.as_mut()
        {
            sender.handle_timeout(now);
            while sender.poll_event().is_some() {}
        }
        for r in &mut s.recorders {
            r.handle_timeout(now);
        }
        self.collect_recorded(now, false);
    }

    /// The client left at `now`: the session ends (recorded tracks give
    /// what they hold; a sender's BYEs are dropped with the connection).
    pub fn finish(&mut self, now: Instant) {
        if self.session.is_some() {
            self.end_session(now, SessionEnd::Closed);
        }
        self.closed = true;
    }

    fn end_session(&mut self, now: Instant, reason: SessionEnd) {
        let Some(mut s) = self.session.take() else {
            return;
        };
        if let Some(sender) = s.sender.as_mut() {
            sender.stop(now);
            // The BYEs go out on a connection still open.
            while let Some(t) = sender.poll_transmit(now) {
                if let Some(track) = s.tracks.iter().find(|x| x.track_id == t.track_id)
                    && t.kind == TransmitKind::Rtcp
                    && let TrackTransport::Interleaved { rtp, rtcp } = track.transport
                    && let Some(h) = crate::message::write_interleaved(
                        rtcp.unwrap_or(rtp.wrapping_add(1)),
                        t.datagram.len(),
                    )
                {
                    self.out.extend_from_slice(&h);
                    self.out.extend_from_slice(t.datagram);
                }
            }
        }
        for r in &mut s.recorders {
            r.finish(now);
        }
        self.session = Some(s);
        self.collect_recorded(now, true);
        self.session = None;
        if self.events.len() < MAX_EVENTS {
            if !self
                .events
                .iter()
                .any(|e| matches!(e, ServerEvent::SessionEnded { .. }))
            {
                self.unpolled_before_end = self.samples.len();
            }
            self.events.push_back(ServerEvent::SessionEnded { reason });
        }
    }
}

#[cfg(test)]
mod sync_tests;
