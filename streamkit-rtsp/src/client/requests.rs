//! The requests the client sends and what it does with each answer.

use std::net::{IpAddr, Ipv4Addr};
use std::time::{Duration, Instant};

use bytes::Bytes;
use streamkit_core::track::Track;
use streamkit_rtp::sdp::{Connection, Origin, SessionDescription};
use streamkit_rtp::sender::{MediaSender, MediaSenderConfig, Pacing};

use super::auth::{ClientAuth, best_challenge, nonce_of};
use super::media::Incoming;
use super::{
    ClientError, ClientEvent, ClientSession, ClientTrack, ClientTransport, Command, InFlight,
    Quirk, RtspUrl, SessionEndReason, State, Step, TrackTransport, describe_base, resolve_control,
};
use crate::auth::Challenge;
use crate::header::{
    LowerTransport, PortRange, Range, RtpInfoHeader, SessionHeader, Transport, TransportSpec,
    public_methods,
};
use crate::message::{MessageReader, Method, Request, Response};
use crate::sdp_tracks::{Skip, media_track};

/// Retries of one request after 401s (a fresh nonce each time).
const MAX_AUTH_RETRIES: u32 = 3;

impl ClientSession {
    fn hex_random(&mut self, n: usize) -> String {
        let mut b = [0u8; 16];
        let b = b.get_mut(..n.min(16)).unwrap_or_default();
        self.random.fill_bytes(b);
        b.iter().map(|x| format!("{x:02x}")).collect()
    }

    fn method_of(&self, step: Step) -> Method {
        match step {
            Step::Options => Method::Options,
            Step::Describe => Method::Describe,
            Step::Announce => Method::Announce,
            Step::Setup(_) => Method::Setup,
            Step::Play => Method::Play,
            Step::Record => Method::Record,
            Step::Pause => Method::Pause,
            Step::Teardown => Method::Teardown,
            Step::KeepAlive => self.keepalive.clone().unwrap_or(Method::Options),
        }
    }

    /// The request of `step` without CSeq and Authorization.
    fn build(&mut self, step: Step) -> Option<Request> {
        let method = self.method_of(step);
        let uri = match step {
            Step::Options | Step::Describe | Step::Announce => self.url.clone(),
            Step::KeepAlive if method == Method::Options => self.url.clone(),
            Step::Setup(i) => match &self.publish {
                Some((tracks, _)) => tracks.get(i)?.control.clone(),
                None => self.incoming.get(i)?.control.clone(),
            },
            _ => self.aggregate.clone(),
        };
        let mut r = Request::new(method, &uri);
        r.headers.append("User-Agent", &self.config.user_agent);
        if let Some(id) = &self.session
            && step != Step::Options
        {
            r.headers.append("Session", id);
        }
        match step {
            Step::Describe => r.headers.append("Accept", "application/sdp"),
            Step::Announce => {
                let sdp = self.publish_sdp().ok()?;
                r.headers.append("Content-Type", "application/sdp");
                r.body = Bytes::from(sdp);
            }
            Step::Setup(i) => {
                let spec = self.transport_spec(i)?;
                let mut value = spec.to_string();
                if self.publish.is_some() {
                    // Unquoted, as publishers send it: ffmpeg's listener
                    // reads `mode="RECORD"` as another mode.
                    value.push_str(";mode=record");
                }
                r.headers.append("Transport", &value);
            }
            Step::Play if self.state != State::Paused => r.headers.append("Range", "npt=0.000-"),
            Step::Record => r.headers.append("Range", "npt=0.000-"),
            _ => {}
        }
        Some(r)
    }

    /// What SETUP `i` asks for.
    fn transport_spec(&self, i: usize) -> Option<TransportSpec> {
        let mut spec = match &self.config.transport {
            ClientTransport::Tcp => {
                let mut s = TransportSpec::new(LowerTransport::Tcp);
                let rtp = u8::try_from(i * 2).ok()?;
                s.interleaved = Some((rtp, Some(rtp.checked_add(1)?)));
                s
            }
            ClientTransport::Udp { ports } => {
                // RTP on an even port, RTCP on the odd one above (RFC
                // 3550 section 11).
                let rtp = ports
                    .get(i)
                    .copied()
                    .filter(|p| p % 2 == 0 && *p < u16::MAX)?;
                let mut s = TransportSpec::new(LowerTransport::Udp);
                s.client_port = Some(PortRange::pair(rtp));
                s
            }
        };
        spec.cast = Some(crate::header::Cast::Unicast);
        Some(spec)
    }

    /// The SDP an ANNOUNCE carries: the sender's streams, each with
    /// `a=control:trackID=N`.
    fn publish_sdp(&mut self) -> Result<String, ClientError> {
        let session_id = u64::from_str_radix(&self.hex_random(7), 16).unwrap_or(1);
        let Some((tracks, wall_clock)) = &self.publish else {
            return Err(ClientError::InvalidState {
                what: "ANNOUNCE of a session that does not publish",
            });
        };
        let list: Vec<Track> = tracks.iter().map(|t| t.track.clone()).collect();
        let mut config = MediaSenderConfig::new(&self.config.cname, self.config.seed, *wall_clock);
        config.pacing = Pacing::Live;
        let sender = MediaSender::new(config, &list, &[])?;
        let any = IpAddr::V4(Ipv4Addr::UNSPECIFIED);
        let mut sdp = sender.session_description(
            Origin::for_address(session_id, any),
            "streamkit",
            Some(Connection::for_address(any)),
            |_| 0,
        )?;
        sdp.attributes.push_value("control", "*");
        for (m, t) in sdp.media.iter_mut().zip(&list) {
            m.attributes
                .push_value("control", &format!("trackID={}", t.id));
        }
        let text = sdp.write()?;
        if let Some((tracks, _)) = self.publish.as_mut() {
            for t in tracks.iter_mut() {
                t.control = resolve_control(&self.url, Some(&format!("trackID={}", t.track.id)));
            }
        }
        self.aggregate = self.url.clone();
        self.sender = Some(sender);
        Ok(text)
    }

    /// Sends the request of `step`.
    pub(super) fn send(&mut self, now: Instant, step: Step) {
        let Some(request) = self.build(step) else {
            let what = match step {
                Step::Announce => "the publish tracks cannot be described in SDP",
                Step::Setup(_) => "no transport for the track (an even UDP port each)",
                _ => "no request",
            };
            self.fail(now, ClientError::InvalidState { what });
            return;
        };
        self.transmit(now, step, request, 0);
    }

    /// Writes `request` with a fresh CSeq and Authorization.
    fn transmit(&mut self, now: Instant, step: Step, request: Request, retries: u32) {
        let cseq = self.next_cseq;
        self.next_cseq = self.next_cseq.wrapping_add(1);
        let mut wire = request.clone();
        wire.headers = crate::message::Headers::new();
        wire.headers.append("CSeq", &cseq.to_string());
        let mut answered_nonce = None;
        if let (Some(creds), Some(_)) = (self.credentials.clone(), self.auth.as_ref()) {
            let cnonce = self.hex_random(8);
            if let Some(auth) = self.auth.as_mut() {
                let value =
                    auth.authorization(&creds, request.method.as_str(), &request.uri, &cnonce);
                wire.headers.append("Authorization", &value);
                answered_nonce = Some(nonce_of(&auth.challenge).unwrap_or("").to_owned());
            }
        }
        for (name, value) in request.headers.iter() {
            wire.headers.append(name, value);
        }
        if !wire.body.is_empty() {
            wire.headers
                .append("Content-Length", &wire.body.len().to_string());
        }
        wire.write_to(&mut self.out);
        if self.session.is_some() {
            self.next_keepalive = Some(now + self.session_timeout / 2);
        }
        self.inflight = Some(InFlight {
            step,
            request,
            cseq,
            deadline: now + self.config.request_timeout,
            answered_nonce,
            retries,
        });
    }

    /// Sends the first waiting command.
    pub(super) fn run_commands(&mut self, now: Instant) {
        while self.inflight.is_none() && self.state != State::Ended {
            let Some(c) = self.commands.pop_front() else {
                return;
            };
            match (c, self.state) {
                (Command::Pause, State::Playing) => self.send(now, Step::Pause),
                (Command::Resume, State::Paused) => self.send(now, Step::Play),
                (Command::Teardown, _) if self.session.is_some() => {
                    self.send(now, Step::Teardown);
                }
                (Command::Teardown, _) => self.end(now, SessionEndReason::Teardown),
                _ => {}
            }
        }
    }

    fn status_error(request: &Request, r: &Response) -> ClientError {
        ClientError::Status {
            method: request.method.to_string(),
            uri: request.uri.clone(),
            status: r.status,
            reason: r.reason.clone(),
        }
    }

    pub(super) fn handle_response(&mut self, now: Instant, r: Response) {
        let Some(f) = self.inflight.as_ref() else {
            return; // an answer to nothing waiting: ignored
        };
        if r.cseq().is_some_and(|c| c != f.cseq) {
            return; // an old answer (a keep-alive's after a timeout)
        }
        let Some(f) = self.inflight.take() else {
            return;
        };
        if r.status == 401 {
            self.unauthorized(now, f, &r);
            return;
        }
        if (300..400).contains(&r.status) && r.status != 304 {
            self.redirect(now, &f, &r);
            return;
        }
        let ok = (200..300).contains(&r.status);
        match f.step {
            Step::Options => {
                if ok && let Some(p) = r.headers.get("public") {
                    let methods = public_methods(p);
                    self.keepalive = [Method::SetParameter, Method::GetParameter]
                        .into_iter()
                        .find(|m| methods.contains(m));
                }
                // A camera that refuses OPTIONS may still describe.
                let next = if self.publish.is_some() {
                    Step::Announce
                } else {
                    Step::Describe
                };
                self.send(now, next);
            }
            // Whatever the answer, the session is over (ffmpeg's
            // listener answers TEARDOWN 501).
            Step::Teardown => self.end(now, SessionEndReason::Teardown),
            _ if !ok && f.step == Step::KeepAlive => {
                if r.status == 454 {
                    self.fail(now, Self::status_error(&f.request, &r));
                } else if matches!(r.status, 405 | 501) {
                    // Not supported after all: OPTIONS from now on.
                    self.keepalive = None;
                }
            }
            _ if !ok => self.fail(now, Self::status_error(&f.request, &r)),
            Step::Describe => self.described(now, &f.request, &r),
            Step::Announce => self.setup_next(now, 0),
            Step::Setup(i) => self.set_up(now, i, &f.request, &r),
            Step::Play => self.playing(&r),
            Step::Record => {
                self.state = State::Recording;
                if let Some(sender) = self.sender.as_mut() {
                    sender.start(now);
                }
                self.event(ClientEvent::Recording);
            }
            Step::Pause => {
                self.state = State::Paused;
                self.event(ClientEvent::Paused);
            }
            Step::KeepAlive => {}
        }
        if self.inflight.is_none() {
            self.run_commands(now);
        }
    }

    fn unauthorized(&mut self, now: Instant, f: InFlight, r: &Response) {
        let refuse = |what| ClientError::Unauthorized {
            method: f.request.method.to_string(),
            uri: f.request.uri.clone(),
            what,
        };
        if self.credentials.is_none() {
            self.fail(now, refuse("no credentials"));
            return;
        }
        let Some(challenge) = best_challenge(&r.headers) else {
            self.fail(now, refuse("no challenge this client answers"));
            return;
        };
        let stale = matches!(challenge, Challenge::Digest { stale: true, .. });
        let nonce = nonce_of(&challenge).unwrap_or("");
        // Refused: the same nonce again, or a new one (not stale) for a
        // request already retried with the challenge it answered. A
        // preemptive answer to an older nonce is retried once.
        let answered = f.answered_nonce.as_deref();
        if answered.is_some() && !stale && (answered == Some(nonce) || f.retries > 0) {
            self.fail(now, refuse("the credentials were refused"));
            return;
        }
        if f.retries >= MAX_AUTH_RETRIES {
            self.fail(now, refuse("too many challenges"));
            return;
        }
        self.auth = Some(ClientAuth::new(challenge));
        self.transmit(now, f.step, f.request, f.retries + 1);
    }

    fn redirect(&mut self, now: Instant, f: &InFlight, r: &Response) {
        let bad = |what| ClientError::BadRedirect {
            method: f.request.method.to_string(),
            status: r.status,
            what,
        };
        if !matches!(f.step, Step::Options | Step::Describe | Step::Announce) {
            self.fail(now, bad("only before a session is set up"));
            return;
        }
        let Some(location) = r.headers.get("location") else {
            self.fail(now, bad("no Location"));
            return;
        };
        let Some(target) = RtspUrl::parse(location) else {
            self.fail(now, bad("Location is not an rtsp URL"));
            return;
        };
        self.redirects += 1;
        if self.redirects > self.config.max_redirects {
            let max = self.config.max_redirects;
            self.fail(now, ClientError::TooManyRedirects { max });
            return;
        }
        self.url = target.request_url.clone();
        self.aggregate = self.url.clone();
        if self.config.credentials.is_none()
            && let Some((u, p)) = target.credentials
        {
            self.credentials = Some(super::Credentials::new(&u, &p));
        }
        // Another connection: another reader, and challenges anew.
        self.reader = MessageReader::new(self.config.reader);
        self.auth = None;
        self.keepalive = None;
        self.event(ClientEvent::Redirect {
            url: self.url.clone(),
        });
        self.send(now, Step::Options);
    }

    fn described(&mut self, now: Instant, request: &Request, r: &Response) {
        let fail = |what: String| ClientError::Describe { what };
        match r.headers.get("content-type").map(str::trim) {
            None => self.event(ClientEvent::Quirk(Quirk::NoContentType)),
            Some(t) if t.to_ascii_lowercase().starts_with("application/sdp") => {}
            Some(t) => {
                self.fail(
                    now,
                    fail(format!("Content-Type {t} is not application/sdp")),
                );
                return;
            }
        }
        let sdp = match SessionDescription::parse_bytes(&r.body) {
            Ok(sdp) => sdp,
            Err(e) => {
                self.fail(now, fail(format!("SDP: {e}")));
                return;
            }
        };
        let header_base = r
            .headers
            .get("content-base")
            .or_else(|| r.headers.get("content-location"));
        let base = describe_base(header_base, &request.uri);
        self.aggregate = resolve_control(&base, sdp.attributes.control());
        let udp_ports = match &self.config.transport {
            ClientTransport::Udp { ports } => Some(ports.len()),
            ClientTransport::Tcp => None,
        };
        let mut tracks = Vec::new();
        let mut skipped = Vec::new();
        for m in &sdp.media {
            let skip = |why: &str| (m.media.clone(), why.to_owned());
            let t = match media_track(m) {
                Ok(t) => t,
                Err(why) => {
                    let why = match why {
                        Skip::NoPayloadType => "no RTP payload type".to_owned(),
                        Skip::Codec { error, .. } => error.to_string(),
                        Skip::NoClockRate(_) => "no RTP clock rate".to_owned(),
                        Skip::Depacketizer(e) => e.to_string(),
                    };
                    skipped.push(skip(&why));
                    continue;
                }
            };
            if udp_ports.is_some_and(|n| self.incoming.len() >= n) {
                skipped.push(skip("no UDP port left for it"));
                continue;
            }
            let id = self.incoming.len() as u32 + 1;
            let track = Track::new(id, t.clock, t.codec);
            let control = resolve_control(&base, m.attributes.control());
            tracks.push(ClientTrack {
                track: track.clone(),
                control: control.clone(),
                payload_type: t.payload_type,
            });
            let seed = self.config.seed.wrapping_add(u64::from(id));
            self.incoming.push(Incoming::new(
                now,
                track,
                control,
                m.clone(),
                t.payload_type,
                t.depacketizer,
                self.config.jitter,
                &self.config.cname,
                seed,
            ));
        }
        let empty = tracks.is_empty();
        self.event(ClientEvent::Described {
            base,
            tracks,
            skipped,
        });
        if empty {
            self.fail(
                now,
                fail("no media section this client depacketizes".to_owned()),
            );
            return;
        }
        self.setup_next(now, 0);
    }

    fn track_count(&self) -> usize {
        match &self.publish {
            Some((tracks, _)) => tracks.len(),
            None => self.incoming.len(),
        }
    }

    fn setup_next(&mut self, now: Instant, i: usize) {
        if i < self.track_count() {
            self.send(now, Step::Setup(i));
        } else {
            self.state = State::Ready;
            let next = if self.publish.is_some() {
                Step::Record
            } else {
                Step::Play
            };
            // A PAUSE or TEARDOWN asked for before PLAY goes first.
            if self.commands.front() == Some(&Command::Teardown) {
                return;
            }
            self.send(now, next);
        }
    }

    fn set_up(&mut self, now: Instant, i: usize, request: &Request, r: &Response) {
        let header_error = |error| ClientError::Header {
            method: "SETUP".into(),
            error,
        };
        if self.session.is_none() {
            match r.headers.get("session").map(SessionHeader::parse) {
                Some(Ok(s)) => {
                    if let Some(t) = s.timeout.filter(|t| *t > 0) {
                        self.session_timeout = Duration::from_secs(u64::from(t));
                    }
                    self.session = Some(s.id);
                    self.next_keepalive = Some(now + self.session_timeout / 2);
                }
                Some(Err(e)) => {
                    self.fail(now, header_error(e));
                    return;
                }
                None => {
                    self.fail(
                        now,
                        header_error(crate::error::HeaderError::Missing { header: "Session" }),
                    );
                    return;
                }
            }
        }
        let asked = request
            .headers
            .get("transport")
            .and_then(|t| Transport::parse(t).ok())
            .and_then(|t| t.specs.into_iter().next());
        let answered = match r.headers.get("transport").map(Transport::parse) {
            Some(Ok(t)) => t.specs.into_iter().next(),
            Some(Err(e)) => {
                self.fail(now, header_error(e));
                return;
            }
            None => None,
        };
        let track_id = match &self.publish {
            Some((tracks, _)) => tracks.get(i).map(|t| t.track.id),
            None => self.incoming.get(i).map(|t| t.track.id),
        }
        .unwrap_or(0);
        let Some(asked) = asked else { return };
        let transport = match self.answered_transport(track_id, &asked, answered.as_ref()) {
            Ok(t) => t,
            Err(e) => {
                self.fail(now, e);
                return;
            }
        };
        match self.publish.as_mut() {
            Some((tracks, _)) => {
                if let Some(t) = tracks.get_mut(i) {
                    t.transport = Some(transport);
                }
            }
            None => {
                if let Some(t) = self.incoming.get_mut(i) {
                    t.transport = Some(transport);
                    t.announced_ssrc = answered.as_ref().and_then(|a| a.ssrc);
                }
            }
        }
        let session = self.session.clone().unwrap_or_default();
        self.event(ClientEvent::SetUp {
            track_id,
            transport,
            session,
        });
        self.setup_next(now, i + 1);
    }

    /// The transport of a SETUP answer, by the policies of the module
    /// docs.
    fn answered_transport(
        &mut self,
        track_id: u32,
        asked: &TransportSpec,
        answered: Option<&TransportSpec>,
    ) -> Result<TrackTransport, ClientError> {
        let wrong = |what| ClientError::Transport { track_id, what };
        if let Some(a) = answered
            && a.lower != asked.lower
        {
            return Err(wrong("the server answered another lower transport"));
        }
        match asked.lower {
            LowerTransport::Tcp => {
                let (rtp, rtcp) = asked.interleaved.ok_or(wrong("no channels asked"))?;
                let rtcp = rtcp.unwrap_or(rtp.wrapping_add(1));
                match answered.and_then(|a| a.interleaved) {
                    Some((a_rtp, a_rtcp)) if (a_rtp, a_rtcp) != (rtp, Some(rtcp)) => {
                        self.event(ClientEvent::Quirk(Quirk::ServerChannels {
                            track_id,
                            asked: (rtp, rtcp),
                            answered: (a_rtp, a_rtcp),
                        }));
                        Ok(TrackTransport::Interleaved {
                            rtp: a_rtp,
                            rtcp: Some(a_rtcp.unwrap_or(a_rtp.wrapping_add(1))),
                        })
                    }
                    _ => Ok(TrackTransport::Interleaved {
                        rtp,
                        rtcp: Some(rtcp),
                    }),
                }
            }
            LowerTransport::Udp => {
                let client = asked.client_port.ok_or(wrong("no client port asked"))?;
                let server = answered.and_then(|a| a.server_port);
                Ok(TrackTransport::Udp {
                    client_rtp: client.rtp,
                    server_rtp: server.map(|p| p.rtp),
                    server_rtcp: server.and_then(|p| p.rtcp),
                })
            }
        }
    }

    fn playing(&mut self, r: &Response) {
        let range = r.headers.get("range").and_then(|v| Range::parse(v).ok());
        let rtp_info = r
            .headers
            .get("rtp-info")
            .and_then(|v| RtpInfoHeader::parse(v).ok());
        if self.state != State::Paused
            && let Some(info) = &rtp_info
        {
            let n = self.incoming.len();
            let same_count = info.entries.len() == n;
            for (i, t) in self.incoming.iter_mut().enumerate() {
                let by_url = info.entries.iter().find(|e| urls_match(&e.url, &t.control));
                let entry = by_url.or_else(|| same_count.then(|| info.entries.get(i)).flatten());
                if let Some(e) = entry {
                    t.rtp_info = Some(e.rtptime);
                }
            }
        }
        self.state = State::Playing;
        self.event(ClientEvent::Playing { range, rtp_info });
    }
}

/// `true` when an RTP-Info `url` names the track of `control`: the same,
/// or one the other's tail (relative URLs, another host spelling).
fn urls_match(url: &str, control: &str) -> bool {
    let url = url.trim().trim_end_matches('/');
    let control = control.trim().trim_end_matches('/');
    if url.is_empty() {
        return false;
    }
    let path = |u: &str| -> String {
        match u.split_once("://") {
            Some((_, rest)) => rest
                .find('/')
                .map_or("", |i| rest.get(i..).unwrap_or(""))
                .to_owned(),
            None => u.to_owned(),
        }
    };
    url == control
        || path(url) == path(control)
        || control.ends_with(&format!("/{}", url.trim_start_matches('/')))
}
