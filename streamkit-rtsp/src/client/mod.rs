//! The client side of an RTSP session, Sans-IO: pull a stream (OPTIONS,
//! DESCRIBE, SETUP, PLAY) or publish one (ANNOUNCE, SETUP, RECORD).
//!
//! A [`ClientSession`] writes the requests, reads the answers, follows
//! redirects, answers Basic and Digest challenges, keeps the session
//! alive, and moves the media: received RTP goes through a jitter buffer,
//! a depacketizer and decode-time derivation (the same path a server's
//! RECORD uses) and comes out as samples with PTS and DTS; published
//! samples go out through a [`MediaSender`].
//! It opens no socket and reads no clock: the caller moves the bytes and
//! says what time it is.
//!
//! # Call order (the state-machine contract)
//!
//! 1. [`ClientSession::play`] or [`ClientSession::record`] when the TCP
//!    connection to [`RtspUrl::parse`]`(url)`'s host and port is open; for
//!    UDP transport the caller binds an even RTP port and the odd RTCP
//!    port above it per track and names the RTP ones in
//!    [`ClientTransport::Udp`].
//! 2. Output: after every input, [`poll_event`](ClientSession::poll_event)
//!    until `None`, then [`poll_transmit(now)`](ClientSession::poll_transmit)
//!    until `None` (bytes for the TCP connection; datagrams to send from
//!    a local port to the server's port). On [`ClientEvent::Redirect`]
//!    connect to the new URL's host first: the requests polled after it
//!    go there.
//! 3. Input: [`handle_bytes(now, ..)`](ClientSession::handle_bytes) with
//!    what the TCP connection read (any chunking);
//!    [`handle_datagram(now, local_port, ..)`](ClientSession::handle_datagram)
//!    with a datagram one of the caller's UDP ports received;
//!    [`handle_closed(now)`](ClientSession::handle_closed) when the
//!    server closed the connection.
//! 4. Time: wake at [`poll_timeout`](ClientSession::poll_timeout) and
//!    call [`handle_timeout(now)`](ClientSession::handle_timeout)
//!    (keep-alives, receiver reports, the jitter buffers, the request
//!    timeout).
//! 5. Commands: [`pause`](ClientSession::pause),
//!    [`resume`](ClientSession::resume),
//!    [`teardown`](ClientSession::teardown); when recording,
//!    [`push_sample`](ClientSession::push_sample). Commands given while a
//!    request waits for its answer are sent after it.
//! 6. [`ClientEvent::SessionEnded`] is the last event: close the
//!    connection.
//!
//! "The TCP connection" may be a TLS connection (`rtsps://`) or an RTSP
//! over HTTP tunnel: with [`crate::tunnel::ClientTunnel`] the bytes for
//! it go base64-encoded into the POST connection and what the GET
//! connection reads after its answer head is what `handle_bytes` takes.
//!
//! ```
//! use std::time::Instant;
//! use streamkit_rtsp::client::{ClientConfig, ClientEvent, ClientSession, ClientTransmit};
//!
//! # #[allow(clippy::disallowed_methods)] // a virtual clock's origin
//! let now = Instant::now();
//! let config = ClientConfig::new("rtsp://127.0.0.1:8554/cam");
//! let random = |b: &mut [u8]| b.fill(7); // the OS's random source in a real client
//! let mut client = ClientSession::play(now, config, Box::new(random));
//! let Some(ClientTransmit::Stream(bytes)) = client.poll_transmit(now) else { panic!() };
//! assert!(bytes.starts_with(b"OPTIONS rtsp://127.0.0.1:8554/cam RTSP/1.0\r\nCSeq: 1\r\n"));
//! client.handle_bytes(now, b"RTSP/1.0 200 OK\r\nCSeq: 1\r\nPublic: DESCRIBE, SETUP, PLAY, GET_PARAMETER\r\n\r\n");
//! let Some(ClientTransmit::Stream(bytes)) = client.poll_transmit(now) else { panic!() };
//! assert!(bytes.starts_with(b"DESCRIBE rtsp://127.0.0.1:8554/cam RTSP/1.0\r\nCSeq: 2\r\n"));
//! client.handle_bytes(now, b"RTSP/1.0 404 Not Found\r\nCSeq: 2\r\n\r\n");
//! let Some(ClientEvent::SessionEnded { reason }) = client.poll_event() else { panic!() };
//! assert!(reason.to_string().contains("404"));
//! ```
//!
//! # Camera quirks: the policies
//!
//! - Interleaved data on a channel no SETUP assigned is dropped and
//!   counted ([`ClientSession::unassigned_interleaved`]); the first on
//!   each channel is reported ([`Quirk::UnassignedChannel`]).
//! - A SETUP answer with other interleaved channels than asked: the
//!   server's are used ([`Quirk::ServerChannels`]); one without
//!   `interleaved=` keeps the asked ones.
//! - SSRC: the Transport's `ssrc=` is a hint only; the first packet's SSRC
//!   is followed ([`Quirk::SsrcNotAsAnnounced`] when they differ).
//!   Packets of another SSRC are dropped and counted until
//!   [`ClientConfig::ssrc_switch_packets`] of them come in a row: then the
//!   track follows the new source from the first of them (held, so a
//!   restarted encoder's keyframe is not lost), its media time going on
//!   from where the old source's samples ended ([`Quirk::SsrcChanged`]).
//!   Stray packets of an old session never switch it.
//! - RTP-Info: media time zero is the track's `rtptime`; without one (or
//!   `-1`, or not a number), the first packet's timestamp ([`Quirk::RtpInfoWithoutRtptime`]);
//!   when the first packet lies further than
//!   [`ClientConfig::max_rtptime_distance`] from it, the first packet's
//!   timestamp ([`Quirk::FirstTimestampFarFromRtpInfo`]).
//! - RTP that comes before the PLAY answer (some cameras start at once):
//!   taken, media time zero its first packet's timestamp.
//! - A DESCRIBE answer without `Content-Type` is read as SDP
//!   ([`Quirk::NoContentType`]); another type is an error. `CSeq` with
//!   trailing whitespace, a schemeless `Content-Base` (the request's scheme
//!   is added) are read as meant.
//! - In-band SPS/PPS (VPS) that differ from `sprop-parameter-sets`: the
//!   in-band ones win, reported as [`ClientEvent::TrackChanged`] before
//!   the first sample on them.
//! - Keep-alive: `SET_PARAMETER`, else `GET_PARAMETER`, else `OPTIONS`,
//!   the first the server's `Public` lists (`OPTIONS` without `Public`),
//!   every half session timeout (`Session: ..;timeout=`, else
//!   [`ClientConfig::default_session_timeout`]). A keep-alive left
//!   unanswered (some cameras never answer one) is given up at the
//!   request timeout and the session goes on; any other request left
//!   unanswered ends it ([`ClientError::ResponseTimeout`]).
//! - Authentication: Digest SHA-256, then MD5, then Basic, the best the
//!   401 offers; `qop=auth` with `nc` counted and a `cnonce` from the
//!   caller's random source. A 401 is retried once with the whole request
//!   (the ANNOUNCE's SDP too); another 401 to the retry, or one with the
//!   nonce just answered, is [`ClientError::Unauthorized`] unless it says
//!   `stale=true` (then the new nonce is answered, up to three times).

mod auth;
mod events;
mod media;
mod reconnect;
mod requests;
mod url;

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use streamkit_core::clock::{UnixTime, WallClock};
use streamkit_core::sample::Sample;
use streamkit_core::time::MediaTime;
use streamkit_core::track::Track;
use streamkit_rtp::jitter::JitterConfig;
use streamkit_rtp::sender::{MediaSender, TransmitKind};

pub use auth::Credentials;
pub use events::{
    ClientEvent, ClientTrack, ClientTransmit, Quirk, SessionEndReason, TrackTransport,
};
pub use reconnect::{Reconnect, ReconnectConfig};
pub use url::{RtspUrl, describe_base, resolve_control};

use crate::auth::RandomSource;
use crate::error::ClientError;
use crate::message::{Frame, Message, MessageReader, ReaderConfig, Request};
use media::{Incoming, Policy};

/// How media travels.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ClientTransport {
    /// Interleaved in the RTSP connection (channels `2i`, `2i + 1` asked
    /// for the `i`-th track).
    Tcp,
    /// UDP: the even RTP port of each track, in the tracks' order (RTCP
    /// on the odd port above); the caller binds them.
    Udp {
        /// The RTP ports.
        ports: Vec<u16>,
    },
}

/// How a client session behaves.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ClientConfig {
    /// The URL to pull or publish (credentials in it are used and not
    /// sent).
    pub url: String,
    /// Who to answer challenges as (else the URL's credentials).
    pub credentials: Option<Credentials>,
    /// TCP interleaved or UDP.
    pub transport: ClientTransport,
    /// The message reader's bounds.
    pub reader: ReaderConfig,
    /// The received tracks' jitter buffers.
    pub jitter: JitterConfig,
    /// The most redirects followed.
    pub max_redirects: u32,
    /// The `User-Agent` header.
    pub user_agent: String,
    /// The RTCP CNAME.
    pub cname: String,
    /// The seed of the RTP sessions (receiver SSRCs, a publisher's SSRCs
    /// and sequence numbers).
    pub seed: u64,
    /// How long an answer may take.
    pub request_timeout: Duration,
    /// The session timeout when the server names none (RFC 2326: 60 s).
    pub default_session_timeout: Duration,
    /// How far the first RTP timestamp may lie from RTP-Info's `rtptime`.
    pub max_rtptime_distance: Duration,
    /// Packets in a row of a new SSRC that make a track follow it (from
    /// the first of them; 1 to 64).
    pub ssrc_switch_packets: u32,
}

impl ClientConfig {
    /// TCP interleaved, no credentials beyond the URL's, the reader's and
    /// jitter buffer's defaults, 5 redirects, `streamkit` as user agent
    /// and CNAME, 10 s request timeout, 60 s session timeout, 10 s
    /// RTP-Info distance, 4 packets to switch SSRC.
    #[must_use]
    pub fn new(url: &str) -> ClientConfig {
        ClientConfig {
            url: url.to_owned(),
            credentials: None,
            transport: ClientTransport::Tcp,
            reader: ReaderConfig::default(),
            jitter: JitterConfig::default(),
            max_redirects: 5,
            user_agent: "streamkit".into(),
            cname: "streamkit".into(),
            seed: 0,
            request_timeout: Duration::from_secs(10),
            default_session_timeout: Duration::from_secs(60),
            max_rtptime_distance: Duration::from_secs(10),
            ssrc_switch_packets: 4,
        }
    }
}

/// What a request in flight is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    Options,
    Describe,
    Announce,
    Setup(usize),
    Play,
    Record,
    Pause,
    Teardown,
    KeepAlive,
}

/// A command waiting for the request in flight.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Command {
    Pause,
    Resume,
    Teardown,
}

/// The request waiting for its answer.
struct InFlight {
    step: Step,
    request: Request,
    cseq: u32,
    deadline: Instant,
    /// The nonce its Authorization answered (`Some("")` for Basic).
    answered_nonce: Option<String>,
    /// How many 401s it answered.
    retries: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Starting,
    Ready,
    Playing,
    Recording,
    Paused,
    Ended,
}

/// A published track.
struct Outgoing {
    track: Track,
    control: String,
    transport: Option<TrackTransport>,
}

/// The most events held; samples beyond are counted as dropped.
const MAX_EVENTS: usize = 8192;

/// The client side of one RTSP session; see the [module docs](self).
pub struct ClientSession {
    config: ClientConfig,
    credentials: Option<Credentials>,
    random: Box<dyn RandomSource + Send>,
    reader: MessageReader,
    url: String,
    redirects: u32,
    state: State,
    /// Publish: the tracks and the wall clock of sender reports.
    publish: Option<(Vec<Outgoing>, WallClock)>,
    sender: Option<MediaSender>,
    incoming: Vec<Incoming>,
    /// The aggregate control URL (PLAY, PAUSE, TEARDOWN).
    aggregate: String,
    session: Option<String>,
    session_timeout: Duration,
    keepalive: Option<crate::message::Method>,
    next_keepalive: Option<Instant>,
    auth: Option<auth::ClientAuth>,
    next_cseq: u32,
    inflight: Option<InFlight>,
    commands: VecDeque<Command>,
    out: BytesMut,
    datagrams: VecDeque<(u16, u16, Bytes)>,
    current: Bytes,
    events: VecDeque<ClientEvent>,
    events_dropped: u64,
    unassigned: u64,
    unassigned_channels: Vec<u8>,
}

impl std::fmt::Debug for ClientSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientSession")
            .field("url", &self.url)
            .field("state", &self.state)
            .field("session", &self.session)
            .finish_non_exhaustive()
    }
}

impl ClientSession {
    /// A session that pulls `config.url`: OPTIONS goes out at once.
    #[must_use]
    pub fn play(
        now: Instant,
        config: ClientConfig,
        random: Box<dyn RandomSource + Send>,
    ) -> ClientSession {
        let mut s = ClientSession::new(config, random, None);
        s.send(now, Step::Options);
        s
    }

    /// A session that publishes `tracks` (H.264, H.265, AAC, Opus) to
    /// `config.url`, its sender reports on `wall_clock`: OPTIONS goes out
    /// at once, then ANNOUNCE, SETUP per track, RECORD.
    #[must_use]
    pub fn record(
        now: Instant,
        config: ClientConfig,
        tracks: Vec<Track>,
        wall_clock: WallClock,
        random: Box<dyn RandomSource + Send>,
    ) -> ClientSession {
        let outgoing = tracks
            .into_iter()
            .map(|track| Outgoing {
                track,
                control: String::new(),
                transport: None,
            })
            .collect();
        let mut s = ClientSession::new(config, random, Some((outgoing, wall_clock)));
        s.send(now, Step::Options);
        s
    }

    fn new(
        config: ClientConfig,
        random: Box<dyn RandomSource + Send>,
        publish: Option<(Vec<Outgoing>, WallClock)>,
    ) -> ClientSession {
        let parsed = RtspUrl::parse(&config.url);
        let url = parsed
            .as_ref()
            .map_or_else(|| config.url.clone(), |u| u.request_url.clone());
        let credentials = config.credentials.clone().or_else(|| {
            parsed
                .and_then(|u| u.credentials)
                .map(|(u, p)| Credentials::new(&u, &p))
        });
        ClientSession {
            reader: MessageReader::new(config.reader),
            session_timeout: config.default_session_timeout,
            credentials,
            random,
            aggregate: url.clone(),
            url,
            redirects: 0,
            state: State::Starting,
            publish,
            sender: None,
            incoming: Vec::new(),
            session: None,
            keepalive: None,
            next_keepalive: None,
            auth: None,
            next_cseq: 1,
            inflight: None,
            commands: VecDeque::new(),
            out: BytesMut::new(),
            datagrams: VecDeque::new(),
            current: Bytes::new(),
            events: VecDeque::new(),
            events_dropped: 0,
            unassigned: 0,
            unassigned_channels: Vec::new(),
            config,
        }
    }

    /// The URL requests go to now (after redirects).
    #[must_use]
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The session id, once a SETUP was answered.
    #[must_use]
    pub fn session_id(&self) -> Option<&str> {
        self.session.as_deref()
    }

    /// `true` once [`ClientEvent::SessionEnded`] was queued.
    #[must_use]
    pub fn is_ended(&self) -> bool {
        self.state == State::Ended
    }

    /// The tracks being received (with their configuration now).
    pub fn tracks(&self) -> impl Iterator<Item = &Track> {
        self.incoming.iter().map(|t| &t.track)
    }

    /// The last sender report's link of `track_id`'s media time (as its
    /// samples') to the wall clock.
    #[must_use]
    pub fn wall_clock(&self, track_id: u32) -> Option<(MediaTime, UnixTime)> {
        self.incoming
            .iter()
            .find(|t| t.track.id == track_id)
            .and_then(|t| t.wall_clock)
    }

    /// Interleaved frames dropped because no SETUP assigned their channel.
    #[must_use]
    pub fn unassigned_interleaved(&self) -> u64 {
        self.unassigned
    }

    /// Packets of `track_id` dropped: from another SSRC, or not RTP.
    #[must_use]
    pub fn dropped_packets(&self, track_id: u32) -> u64 {
        self.incoming
            .iter()
            .find(|t| t.track.id == track_id)
            .map_or(0, |t| t.foreign_dropped + t.malformed)
    }

    /// Access units of `track_id` dropped while it waited for a keyframe.
    #[must_use]
    pub fn dropped_until_keyframe(&self, track_id: u32) -> u64 {
        self.incoming
            .iter()
            .find(|t| t.track.id == track_id)
            .map_or(0, Incoming::dropped_until_keyframe)
    }

    /// Events dropped because the caller did not poll (bounded queue).
    #[must_use]
    pub fn events_dropped(&self) -> u64 {
        self.events_dropped
    }

    /// The next event.
    #[must_use]
    pub fn poll_event(&mut self) -> Option<ClientEvent> {
        self.events.pop_front()
    }

    fn event(&mut self, e: ClientEvent) {
        if self.events.len() < MAX_EVENTS {
            self.events.push_back(e);
        } else {
            self.events_dropped += 1;
        }
    }

    /// Reads bytes the TCP connection received at `now`.
    pub fn handle_bytes(&mut self, now: Instant, bytes: &[u8]) {
        if self.state == State::Ended {
            return;
        }
        self.reader.push(bytes);
        loop {
            match self.reader.poll_frame() {
                Ok(Some(Frame::Interleaved { channel, data })) => {
                    self.handle_interleaved(now, channel, data);
                }
                Ok(Some(Frame::Message(Message::Response(r)))) => self.handle_response(now, r),
                // A server's request (ANNOUNCE, GET_PARAMETER, ...): not
                // implemented, answered 501 so it does not wait.
                Ok(Some(Frame::Message(Message::Request(r)))) => {
                    let mut answer = crate::message::Response::new(501);
                    if let Some(c) = r.cseq() {
                        answer.headers.append("CSeq", &c.to_string());
                    }
                    answer.write_to(&mut self.out);
                }
                Ok(None) => break,
                Err(e) => {
                    self.fail(now, ClientError::Parse(e));
                    break;
                }
            }
            if self.state == State::Ended {
                break;
            }
        }
    }

    fn handle_interleaved(&mut self, now: Instant, channel: u8, data: Bytes) {
        let found = self.incoming.iter().position(|t| match t.transport {
            Some(TrackTransport::Interleaved { rtp, rtcp }) => {
                rtp == channel || rtcp == Some(channel)
            }
            _ => false,
        });
        if let Some(i) = found {
            let is_rtp = matches!(
                self.incoming[i].transport,
                Some(TrackTransport::Interleaved { rtp, .. }) if rtp == channel
            );
            self.media_in(now, i, is_rtp, data);
            return;
        }
        // A publisher hears the server's receiver reports on its channels.
        if let Some((tracks, _)) = &self.publish
            && let Some(t) = tracks.iter().find(|t| {
                matches!(t.transport, Some(TrackTransport::Interleaved { rtp, rtcp })
                    if rtp == channel || rtcp == Some(channel))
            })
        {
            let id = t.track.id;
            if let Some(sender) = self.sender.as_mut() {
                let _ = sender.handle_rtcp(now, id, data);
                while sender.poll_event().is_some() {}
            }
            return;
        }
        self.unassigned += 1;
        if !self.unassigned_channels.contains(&channel) && self.unassigned_channels.len() < 256 {
            self.unassigned_channels.push(channel);
            self.event(ClientEvent::Quirk(Quirk::UnassignedChannel { channel }));
        }
    }

    /// Reads a datagram one of the caller's UDP ports (`local_port`)
    /// received at `now`; `false` when no track uses that port.
    pub fn handle_datagram(&mut self, now: Instant, local_port: u16, datagram: Bytes) -> bool {
        let found = self.incoming.iter().position(|t| {
            matches!(t.transport, Some(TrackTransport::Udp { client_rtp, .. })
                if client_rtp == local_port || client_rtp.checked_add(1) == Some(local_port))
        });
        if let Some(i) = found {
            let is_rtp = matches!(self.incoming[i].transport,
                Some(TrackTransport::Udp { client_rtp, .. }) if client_rtp == local_port);
            self.media_in(now, i, is_rtp, datagram);
            return true;
        }
        if let Some((tracks, _)) = &self.publish
            && let Some(t) = tracks.iter().find(|t| {
                matches!(t.transport, Some(TrackTransport::Udp { client_rtp, .. })
                    if client_rtp.checked_add(1) == Some(local_port))
            })
        {
            let id = t.track.id;
            if let Some(sender) = self.sender.as_mut() {
                let _ = sender.handle_rtcp(now, id, datagram);
                while sender.poll_event().is_some() {}
            }
            return true;
        }
        false
    }

    fn media_in(&mut self, now: Instant, i: usize, is_rtp: bool, data: Bytes) {
        if !matches!(self.state, State::Playing | State::Paused | State::Ready) {
            return;
        }
        let policy = Policy {
            ssrc_switch_packets: self.config.ssrc_switch_packets.clamp(1, 64),
            max_rtptime_ticks: {
                let hz = self.incoming[i].track.timescale.hz();
                i64::try_from(self.config.max_rtptime_distance.as_millis() * u128::from(hz) / 1000)
                    .unwrap_or(i64::MAX)
            },
        };
        let mut events = std::mem::take(&mut self.events);
        let t = &mut self.incoming[i];
        if is_rtp {
            t.handle_rtp(now, data, &policy, &mut events);
        } else {
            t.handle_rtcp(now, data, &mut events);
        }
        self.restore_events(events);
        self.collect_rtcp();
    }

    /// Puts back the event queue a track appended to, within the bound.
    fn restore_events(&mut self, mut events: VecDeque<ClientEvent>) {
        if events.len() > MAX_EVENTS {
            self.events_dropped += (events.len() - MAX_EVENTS) as u64;
            events.truncate(MAX_EVENTS);
        }
        self.events = events;
    }

    /// Receiver reports to send.
    fn collect_rtcp(&mut self) {
        for t in &mut self.incoming {
            while let Some(rtcp) = t.poll_rtcp() {
                match t.transport {
                    Some(TrackTransport::Interleaved { rtp, rtcp: channel }) => {
                        let channel = channel.unwrap_or(rtp.wrapping_add(1));
                        if let Some(h) = crate::message::write_interleaved(channel, rtcp.len()) {
                            self.out.extend_from_slice(&h);
                            self.out.extend_from_slice(&rtcp);
                        }
                    }
                    Some(TrackTransport::Udp {
                        client_rtp,
                        server_rtp,
                        server_rtcp,
                    }) => {
                        if let Some(port) =
                            server_rtcp.or(server_rtp.and_then(|p| p.checked_add(1)))
                            && self.datagrams.len() < 1024
                        {
                            self.datagrams
                                .push_back((client_rtp.saturating_add(1), port, rtcp));
                        }
                    }
                    None => {}
                }
            }
        }
    }

    /// The server closed the connection at `now`.
    pub fn handle_closed(&mut self, now: Instant) {
        if self.state == State::Ended {
            return;
        }
        if matches!(self.inflight.as_ref().map(|f| f.step), Some(Step::Teardown))
            || self.commands.contains(&Command::Teardown)
        {
            self.end(now, SessionEndReason::Teardown);
        } else {
            self.fail(now, ClientError::ConnectionClosed);
        }
    }

    /// Pushes a sample to publish (a RECORD session's; in decode order
    /// per track).
    ///
    /// # Errors
    ///
    /// [`ClientError::InvalidState`] unless recording; the sender's
    /// refusals ([`ClientError::Media`]).
    pub fn push_sample(&mut self, sample: &Sample) -> Result<(), ClientError> {
        let sender = self
            .sender
            .as_mut()
            .filter(|_| self.state == State::Recording)
            .ok_or(ClientError::InvalidState {
                what: "a sample of a session that does not record",
            })?;
        sender.push(sample)?;
        Ok(())
    }

    /// Payloads of published samples waiting to go out.
    #[must_use]
    pub fn queued_payloads(&self) -> usize {
        self.sender.as_ref().map_or(0, MediaSender::queued_payloads)
    }

    /// Pauses a playing session (PAUSE).
    ///
    /// # Errors
    ///
    /// [`ClientError::InvalidState`] unless playing (or about to).
    pub fn pause(&mut self, now: Instant) -> Result<(), ClientError> {
        if !matches!(self.state, State::Playing | State::Starting | State::Ready)
            || self.publish.is_some()
        {
            return Err(ClientError::InvalidState {
                what: "PAUSE of a session that does not play",
            });
        }
        self.command(now, Command::Pause);
        Ok(())
    }

    /// Plays a paused session again from where it stopped (PLAY).
    ///
    /// # Errors
    ///
    /// [`ClientError::InvalidState`] unless paused (or about to be).
    pub fn resume(&mut self, now: Instant) -> Result<(), ClientError> {
        let pausing = self.commands.contains(&Command::Pause)
            || self
                .inflight
                .as_ref()
                .is_some_and(|f| f.step == Step::Pause);
        if self.state != State::Paused && !pausing {
            return Err(ClientError::InvalidState {
                what: "PLAY of a session that is not paused",
            });
        }
        self.command(now, Command::Resume);
        Ok(())
    }

    /// Ends the session (TEARDOWN; the session ends at its answer or when
    /// the connection closes). Without a session it ends at once.
    pub fn teardown(&mut self, now: Instant) {
        if self.state == State::Ended {
            return;
        }
        if self.session.is_none() && self.inflight.is_none() {
            self.end(now, SessionEndReason::Teardown);
            return;
        }
        self.command(now, Command::Teardown);
    }

    fn command(&mut self, now: Instant, c: Command) {
        self.commands.push_back(c);
        if self.inflight.is_none() && self.state != State::Starting {
            self.run_commands(now);
        }
    }

    /// The next thing to send at `now`: requests first, then datagrams
    /// (receiver reports), then published RTP and RTCP.
    #[must_use]
    pub fn poll_transmit(&mut self, now: Instant) -> Option<ClientTransmit<'_>> {
        if !self.out.is_empty() {
            return Some(ClientTransmit::Stream(self.out.split().freeze()));
        }
        if let Some((local_port, server_port, packet)) = self.datagrams.pop_front() {
            self.current = packet;
            return Some(ClientTransmit::Datagram {
                local_port,
                server_port,
                packet: &self.current,
            });
        }
        if self.state != State::Recording {
            return None;
        }
        let (tracks, _) = self.publish.as_ref()?;
        let sender = self.sender.as_mut()?;
        let t = sender.poll_transmit(now)?;
        let track = tracks.iter().find(|x| x.track.id == t.track_id)?;
        Some(match (track.transport?, t.kind) {
            (TrackTransport::Interleaved { rtp, .. }, TransmitKind::Rtp) => {
                ClientTransmit::Interleaved {
                    header: crate::message::write_interleaved(rtp, t.datagram.len())?,
                    packet: t.datagram,
                }
            }
            (TrackTransport::Interleaved { rtp, rtcp }, TransmitKind::Rtcp) => {
                ClientTransmit::Interleaved {
                    header: crate::message::write_interleaved(
                        rtcp.unwrap_or(rtp.wrapping_add(1)),
                        t.datagram.len(),
                    )?,
                    packet: t.datagram,
                }
            }
            (
                TrackTransport::Udp {
                    client_rtp,
                    server_rtp,
                    ..
                },
                TransmitKind::Rtp,
            ) => ClientTransmit::Datagram {
                local_port: client_rtp,
                server_port: server_rtp?,
                packet: t.datagram,
            },
            (
                TrackTransport::Udp {
                    client_rtp,
                    server_rtp,
                    server_rtcp,
                },
                TransmitKind::Rtcp,
            ) => ClientTransmit::Datagram {
                local_port: client_rtp.saturating_add(1),
                server_port: server_rtcp.or(server_rtp.and_then(|p| p.checked_add(1)))?,
                packet: t.datagram,
            },
        })
    }

    /// When [`handle_timeout`](ClientSession::handle_timeout) is next
    /// due; `None` once ended.
    #[must_use]
    pub fn poll_timeout(&self) -> Option<Instant> {
        if self.state == State::Ended {
            return None;
        }
        let media = self
            .incoming
            .iter()
            .filter_map(Incoming::poll_timeout)
            .min();
        let sender = match self.state {
            State::Recording => self.sender.as_ref().and_then(MediaSender::poll_timeout),
            _ => None,
        };
        [
            self.inflight.as_ref().map(|f| f.deadline),
            self.next_keepalive,
            media,
            sender,
        ]
        .into_iter()
        .flatten()
        .min()
    }

    /// Runs the timers at `now`.
    pub fn handle_timeout(&mut self, now: Instant) {
        if self.state == State::Ended {
            return;
        }
        if let Some(f) = &self.inflight
            && now >= f.deadline
        {
            if f.step == Step::KeepAlive {
                // Some cameras never answer a keep-alive: the session
                // goes on (a late answer is ignored by its CSeq).
                self.inflight = None;
                self.run_commands(now);
            } else {
                let method = f.request.method.to_string();
                self.fail(now, ClientError::ResponseTimeout { method });
                return;
            }
        }
        if self.next_keepalive.is_some_and(|t| now >= t) {
            self.next_keepalive = Some(now + self.session_timeout / 2);
            if self.inflight.is_none() {
                self.send(now, Step::KeepAlive);
            }
        }
        let mut events = std::mem::take(&mut self.events);
        for t in &mut self.incoming {
            if t.poll_timeout().is_some_and(|w| w <= now) {
                t.handle_timeout(now, &mut events);
            }
        }
        self.restore_events(events);
        self.collect_rtcp();
        if self.state == State::Recording
            && let Some(sender) = self.sender.as_mut()
        {
            sender.handle_timeout(now);
            while sender.poll_event().is_some() {}
        }
    }

    fn fail(&mut self, now: Instant, error: ClientError) {
        self.end(now, SessionEndReason::Failed(error));
    }

    fn end(&mut self, now: Instant, reason: SessionEndReason) {
        if self.state == State::Ended {
            return;
        }
        let mut events = std::mem::take(&mut self.events);
        for t in &mut self.incoming {
            t.finish(now, &mut events);
        }
        self.restore_events(events);
        if let Some(sender) = self.sender.as_mut() {
            sender.stop(now);
        }
        self.state = State::Ended;
        self.inflight = None;
        self.next_keepalive = None;
        // The last event is never dropped.
        self.events.push_back(ClientEvent::SessionEnded { reason });
    }
}

#[cfg(test)]
mod tests;
