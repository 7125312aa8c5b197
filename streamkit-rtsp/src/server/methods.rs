//! The requests: each method's checks (version, CSeq, session, state,
//! authorization) and answers, and the caller's answers to what waits.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::{Duration, Instant};

use bytes::Bytes;
use streamkit_core::codec::MediaKind;
use streamkit_core::track::Track;
use streamkit_rtp::payload::{Depacketizer, mp4_nal_form};
use streamkit_rtp::sdp::codec::TrackMedia;
use streamkit_rtp::sdp::{Connection, Origin, SessionDescription};
use streamkit_rtp::sender::{MediaSender, MediaSenderConfig, Pacing, Speed};

use super::PlayState;
use super::record::Recorder;
use super::{
    Announced, Pending, Presentation, RequestId, ServerConnection, ServerEvent, Session,
    SessionEnd, SetupTrack, State, TrackTransport,
};
use crate::auth::{Action, Refusal};
use crate::error::ServerError;
use crate::header::{
    AcceptRanges, FeatureTags, LowerTransport, MediaProperties, NotifyReason, NptTime,
    PipelinedRequests, PortRange, Range, RequestStatus, RtpInfoEntry, RtpInfoHeader, SeekStyle,
    SessionHeader, Transport, TransportAddress, TransportSpec, write_public,
};
use crate::message::{Method, Request, Response, Version};
use crate::sdp_tracks::{Skip, media_track};

mod play;

/// The methods an RTSP 2.0 client may send (RFC 7826 removed ANNOUNCE
/// and RECORD).
const PUBLIC_V2: [Method; 8] = [
    Method::Options,
    Method::Describe,
    Method::Setup,
    Method::Play,
    Method::Pause,
    Method::Teardown,
    Method::GetParameter,
    Method::SetParameter,
];

/// The feature tags the server supports: RFC 7826 section 11.1's
/// minimal playback, and RTP and RTCP on one port or channel (its
/// appendix C.1.6.4's `RTCP-mux`).
const SUPPORTED: [&str; 2] = ["play.basic", "setup.rtp.rtcp.mux"];

/// The methods the server answers, for `Public`.
const PUBLIC: [Method; 10] = [
    Method::Options,
    Method::Describe,
    Method::Setup,
    Method::Play,
    Method::Pause,
    Method::Teardown,
    Method::GetParameter,
    Method::SetParameter,
    Method::Announce,
    Method::Record,
];

/// The path of a Request-URI: `rtsp://host:port/a/b?q` gives `/a/b`.
pub(crate) fn uri_path(uri: &str) -> String {
    let rest = match uri.split_once("://") {
        Some((_, rest)) => rest.find('/').map_or("/", |i| rest.get(i..).unwrap_or("/")),
        None => uri,
    };
    let path = rest.split(['?', '#']).next().unwrap_or("/");
    let path = path.trim_end_matches('/');
    if path.is_empty() {
        "/".to_owned()
    } else if path.starts_with('/') {
        path.to_owned()
    } else {
        format!("/{path}")
    }
}

/// `/p/trackID=N` gives `("/p", Some(N))`.
fn split_track(path: &str) -> (String, Option<u32>) {
    if let Some((base, last)) = path.rsplit_once('/')
        && let Some(n) = last.strip_prefix("trackID=")
        && let Ok(n) = n.parse()
    {
        let base = if base.is_empty() { "/" } else { base };
        return (base.to_owned(), Some(n));
    }
    (path.to_owned(), None)
}

/// The server's RTP and RTCP ports as RFC 7826's `src_addr` (ports only:
/// the host is the one the client reached).
fn server_addresses(server: PortRange) -> Vec<TransportAddress> {
    std::iter::once(server.rtp)
        .chain(server.rtcp)
        .map(TransportAddress::port)
        .collect()
}

fn unspecified_like(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(_) => IpAddr::V4(Ipv4Addr::UNSPECIFIED),
        IpAddr::V6(_) => IpAddr::V6(Ipv6Addr::UNSPECIFIED),
    }
}

/// The SDP of `p` (what DESCRIBE answers): one media section per track
/// with `a=control:trackID=N`, session-level `a=control:*` and
/// `a=range`.
pub(crate) fn describe_sdp(
    p: &Presentation,
    session_id: u64,
    peer: IpAddr,
) -> Result<String, ServerError> {
    let any = unspecified_like(peer);
    let media: Vec<TrackMedia<'_>> = p
        .tracks
        .iter()
        .map(|t| TrackMedia {
            track: t,
            payload_type: if t.kind() == MediaKind::Video { 96 } else { 97 },
            port: 0,
        })
        .collect();
    let mut sdp = SessionDescription::for_tracks(
        Origin::for_address(session_id, any),
        &p.session_name,
        Some(Connection::for_address(any)),
        &media,
    )?;
    sdp.attributes.push_value("control", "*");
    match p.duration {
        Some(d) => sdp.attributes.push_value(
            "range",
            &Range::Npt {
                start: Some(NptTime::At(Duration::ZERO)),
                end: Some(NptTime::At(d)),
            }
            .to_string(),
        ),
        None => sdp.attributes.push_value("range", "npt=now-"),
    }
    for (m, t) in sdp.media.iter_mut().zip(&p.tracks) {
        m.attributes
            .push_value("control", &format!("trackID={}", t.id));
    }
    Ok(sdp.write()?)
}

impl ServerConnection {
    fn random_u64(&mut self) -> u64 {
        let mut b = [0u8; 8];
        self.random.fill_bytes(&mut b);
        u64::from_be_bytes(b)
    }

    /// A response to `cseq` with the Server header and, when there is a
    /// session, its Session header.
    fn response(&self, cseq: Option<u32>, status: u16) -> Response {
        let mut r = Response::new(status);
        r.version = self.answer;
        if let Some(c) = cseq {
            r.headers.append("CSeq", &c.to_string());
        }
        r.headers.append("Server", &self.config.server_name);
        // RTSP 2.0 names the session only in answers to requests within
        // it (RFC 7826 section 18.49); 1.0 answers always did.
        let within = self.answer != Version::Rtsp20 || self.in_session;
        if let Some(s) = self.session.as_ref().filter(|_| within) {
            let h = SessionHeader {
                id: s.id.clone(),
                timeout: Some(self.config.session_timeout.as_secs() as u32),
            };
            r.headers.append("Session", &h.to_string());
        }
        r
    }

    fn send(&mut self, r: &Response) {
        r.write_to(&mut self.out);
    }

    fn status(&mut self, cseq: Option<u32>, status: u16) {
        let r = self.response(cseq, status);
        self.send(&r);
    }

    /// Checks the policy for `action` on `path`; answers 401 or 403 and
    /// returns `false` when the request may not go on.
    fn authorize(
        &mut self,
        now: Instant,
        req: &Request,
        cseq: u32,
        path: &str,
        action: Action,
    ) -> bool {
        let access = self.policy.access(path, action);
        let result = self.auth.check(
            now,
            self.random.as_mut(),
            req.method.as_str(),
            req.headers.get("authorization"),
            &access,
        );
        match result {
            Ok(()) => true,
            Err(Refusal::Forbidden) => {
                self.status(Some(cseq), 403);
                false
            }
            Err(Refusal::Unauthorized(challenges)) => {
                let mut r = self.response(Some(cseq), 401);
                for c in challenges {
                    r.headers.append("WWW-Authenticate", &c.to_string());
                }
                self.send(&r);
                false
            }
        }
    }

    fn wait(&mut self, cseq: u32, pending: Pending) -> RequestId {
        let id = RequestId(self.next_request);
        self.next_request += 1;
        self.pending = Some((id, cseq, pending));
        id
    }

    fn event(&mut self, e: ServerEvent) {
        if self.events.len() < super::MAX_EVENTS {
            self.events.push_back(e);
        }
    }

    /// The methods `Public` lists for the version being answered.
    fn public(&self) -> &'static [Method] {
        if self.answer == Version::Rtsp20 {
            &PUBLIC_V2
        } else {
            &PUBLIC
        }
    }

    pub(super) fn handle_request(&mut self, now: Instant, req: Request) {
        // Answers speak the request's version (RFC 7826 section 4.2); a
        // version the server lacks gets 505 in the nearest one it has.
        self.answer = match req.version {
            Version::Other { major, .. } if major >= 2 => Version::Rtsp20,
            Version::Other { .. } => Version::Rtsp10,
            v => v,
        };
        self.in_session = false;
        let Some(cseq) = req.cseq() else {
            self.status(None, 400);
            return;
        };
        if !req.version.is_supported() {
            let mut r = self.response(Some(cseq), 505);
            r.headers.append("Content-Type", "text/plain");
            r.body = Bytes::from_static(b"This server speaks RTSP/1.0 and RTSP/2.0.\r\n");
            self.send(&r);
            return;
        }
        let v2 = req.version == Version::Rtsp20;
        let pipelined = req
            .headers
            .get("pipelined-requests")
            .and_then(|p| PipelinedRequests::parse(p).ok())
            .map(|p| p.0);
        // A Session header must name this connection's session; a 2.0
        // request may name it by the Pipelined-Requests id of the SETUP
        // that made it instead (RFC 7826 section 18.33).
        let mut names_session = false;
        if let Some(value) = req.headers.get("session") {
            let id = SessionHeader::parse(value)
                .map(|s| s.id)
                .unwrap_or_default();
            match &mut self.session {
                Some(s) if s.id == id => {
                    s.last_activity = now;
                    names_session = true;
                }
                _ => {
                    self.status(Some(cseq), 454);
                    return;
                }
            }
        } else if v2
            && let Some(s) = &mut self.session
            && pipelined.is_some()
            && s.pipelined == pipelined
        {
            s.last_activity = now;
            names_session = true;
        }
        self.in_session = names_session;
        // A session keeps the version it was set up with.
        if let Some(s) = &self.session
            && names_session
            && s.version != req.version
        {
            self.status(Some(cseq), 505);
            return;
        }
        if v2 && !self.check_required(cseq, &req) {
            return;
        }
        // RTSP 2.0 asks for the session on what acts on it.
        if v2
            && !names_session
            && matches!(req.method, Method::Play | Method::Pause | Method::Teardown)
        {
            self.status(Some(cseq), 454);
            return;
        }
        // One session per connection: a 2.0 SETUP outside it is refused.
        if v2 && !names_session && req.method == Method::Setup && self.session.is_some() {
            self.status(Some(cseq), 459);
            return;
        }
        let path = uri_path(&req.uri);
        match req.method {
            Method::Options => {
                let mut r = self.response(Some(cseq), 200);
                r.headers.append("Public", &write_public(self.public()));
                if v2 {
                    r.headers
                        .append("Supported", &FeatureTags::of(&SUPPORTED).to_string());
                }
                self.send(&r);
            }
            // RFC 7826 removed them: not implemented in 2.0.
            Method::Announce | Method::Record if v2 => {
                let mut r = self.response(Some(cseq), 501);
                r.headers.append("Public", &write_public(&PUBLIC_V2));
                self.send(&r);
            }
            Method::GetParameter | Method::SetParameter => self.status(Some(cseq), 200),
            Method::Describe => {
                if self.authorize(now, &req, cseq, &path, Action::Read) {
                    let id = self.wait(
                        cseq,
                        Pending::Describe {
                            setup: None,
                            uri: req.uri.clone(),
                            path: path.clone(),
                        },
                    );
                    self.event(ServerEvent::Describe { request: id, path });
                }
            }
            Method::Announce => {
                if self.authorize(now, &req, cseq, &path, Action::Publish) {
                    self.announce(cseq, &req, path);
                }
            }
            Method::Setup => self.setup(now, req, cseq, path, true),
            Method::Play => self.play(now, &req, cseq, &path),
            Method::Pause => self.pause(now, cseq),
            Method::Record => self.record(now, &req, cseq, &path),
            Method::Teardown => {
                if self.session.is_some() {
                    // A 2.0 answer names no session that ended.
                    self.in_session = !v2;
                    let r = self.response(Some(cseq), 200);
                    self.end_session(now, SessionEnd::Teardown);
                    self.send(&r);
                } else {
                    self.status(Some(cseq), 454);
                }
            }
            _ => {
                let mut r = self.response(Some(cseq), 501);
                r.headers.append("Public", &write_public(self.public()));
                self.send(&r);
            }
        }
    }

    /// RTSP 2.0's `Require` (RFC 7826 section 18.43): a feature the
    /// server lacks gets 551 (Option Not Supported) with `Unsupported`
    /// listing it; `false` then. (`Proxy-Require`, section 18.39, asks
    /// proxies, not the server.)
    fn check_required(&mut self, cseq: u32, req: &Request) -> bool {
        let mut missing = FeatureTags::default();
        for value in req.headers.get_all("require") {
            let tags = FeatureTags::parse(value).unwrap_or_else(|_| FeatureTags {
                tags: vec![value.trim().to_owned()],
            });
            for t in tags.tags {
                if !SUPPORTED.contains(&t.as_str()) && !missing.contains(&t) {
                    missing.tags.push(t);
                }
            }
        }
        if missing.tags.is_empty() {
            return true;
        }
        let mut r = self.response(Some(cseq), 551);
        r.headers.append("Unsupported", &missing.to_string());
        self.send(&r);
        false
    }

    fn announce(&mut self, cseq: u32, req: &Request, path: String) {
        if let Some(t) = req.headers.get("content-type")
            && !t.trim().to_ascii_lowercase().starts_with("application/sdp")
        {
            self.status(Some(cseq), 415);
            return;
        }
        let Ok(sdp) = SessionDescription::parse_bytes(&req.body) else {
            self.status(Some(cseq), 400);
            return;
        };
        let mut tracks = Vec::new();
        let mut skipped = Vec::new();
        for (i, m) in sdp.media.iter().enumerate() {
            let t = match media_track(m) {
                Ok(t) => t,
                Err(skip) => {
                    let why = match skip {
                        Skip::NoPayloadType => "no payload type".to_owned(),
                        Skip::Codec {
                            payload_type: pt,
                            error,
                        } => {
                            let name = m.attributes.rtpmap(pt).ok().flatten();
                            let name =
                                name.map_or_else(|| "no rtpmap".to_owned(), |r| r.encoding_name);
                            format!("payload type {pt} ({name}): {error}")
                        }
                        Skip::NoClockRate(codec) => {
                            format!("no RTP clock rate for {}", codec.codec_string())
                        }
                        Skip::Depacketizer(e) => e.to_string(),
                    };
                    skipped.push((m.media.clone(), why));
                    continue;
                }
            };
            let control = m
                .attributes
                .control()
                .map_or_else(|| format!("trackID={i}"), str::to_owned);
            let track = Track::new(i as u32 + 1, t.clock, t.codec);
            tracks.push((
                track,
                control,
                Some(t.depacketizer),
                (m.clone(), t.payload_type),
            ));
        }
        if tracks.is_empty() {
            self.status(Some(cseq), 415);
            return;
        }
        let list: Vec<Track> = tracks.iter().map(|t| t.0.clone()).collect();
        let id = self.wait(
            cseq,
            Pending::Announce {
                announced: Announced {
                    path: path.clone(),
                    tracks,
                },
            },
        );
        self.event(ServerEvent::Announce {
            request: id,
            path,
            tracks: list,
            skipped,
        });
    }

    /// The announced track a SETUP URI names.
    fn announced_track(&self, uri: &str, path: &str) -> Option<u32> {
        let a = self.announced.as_ref()?;
        if !path.starts_with(&a.path) {
            return None;
        }
        a.tracks
            .iter()
            .find(|(_, control, _, _)| {
                uri == control || uri.trim_end_matches('/').ends_with(&format!("/{control}"))
            })
            .map(|(t, _, _, _)| t.id)
            .or_else(|| {
                (a.tracks.len() == 1 && path == a.path)
                    .then(|| a.tracks.first().map(|t| t.0.id))
                    .flatten()
            })
    }

    pub(super) fn setup(
        &mut self,
        now: Instant,
        req: Request,
        cseq: u32,
        path: String,
        check_auth: bool,
    ) {
        if let Some(s) = &self.session
            && matches!(s.state, State::Playing | State::Recording)
        {
            self.status(Some(cseq), 455);
            return;
        }
        // A publisher's track, or a described presentation's.
        let (record, base, track_id) = match self.announced_track(&req.uri, &path) {
            Some(id) => (
                true,
                self.announced
                    .as_ref()
                    .map(|a| a.path.clone())
                    .unwrap_or_default(),
                id,
            ),
            None => {
                let (base, track) = split_track(&path);
                let described = self
                    .presentations
                    .iter()
                    .find(|(p, _)| *p == base)
                    .map(|(_, p)| p);
                let Some(presentation) = described else {
                    if check_auth && !self.authorize(now, &req, cseq, &base, Action::Read) {
                        return;
                    }
                    let uri = req.uri.clone();
                    let id = self.wait(
                        cseq,
                        Pending::Describe {
                            setup: Some(req),
                            uri,
                            path: base.clone(),
                        },
                    );
                    self.event(ServerEvent::Describe {
                        request: id,
                        path: base,
                    });
                    return;
                };
                let track = match track {
                    Some(t) => t,
                    None if presentation.tracks.len() == 1 => {
                        presentation.tracks.first().map_or(0, |t| t.id)
                    }
                    None => {
                        self.status(Some(cseq), 459);
                        return;
                    }
                };
                if !presentation.tracks.iter().any(|t| t.id == track) {
                    self.status(Some(cseq), 404);
                    return;
                }
                (false, base, track)
            }
        };
        let action = if record {
            Action::Publish
        } else {
            Action::Read
        };
        if check_auth && !self.authorize(now, &req, cseq, &base, action) {
            return;
        }
        if let Some(s) = &self.session
            && s.path != base
        {
            self.status(Some(cseq), 459);
            return;
        }
        let Some(transport) = req
            .headers
            .get("transport")
            .and_then(|t| Transport::parse(t).ok())
        else {
            self.status(Some(cseq), 461);
            return;
        };
        let v2 = req.version == Version::Rtsp20;
        let Some((spec, chosen)) = self.choose_transport(&transport, track_id, v2) else {
            self.status(Some(cseq), 461);
            return;
        };
        let pipelined = req
            .headers
            .get("pipelined-requests")
            .and_then(|p| PipelinedRequests::parse(p).ok());
        if self.session.is_none() {
            let id = format!("{:016X}", self.random_u64());
            self.session = Some(Session {
                id,
                path: base.clone(),
                state: State::Ready,
                tracks: Vec::new(),
                last_activity: now,
                sender: None,
                recorders: Vec::new(),
                alignment: None,
                paused_at: None,
                version: req.version,
                pipelined: pipelined.map(|p| p.0),
                play: None,
            });
        }
        let seed = self.random_u64();
        let recorder = if record {
            self.announced.as_mut().and_then(|a| {
                let (track, _, announced, (media, pt)) =
                    a.tracks.iter_mut().find(|t| t.0.id == track_id)?;
                // The SDP's depacketizer carries its modes (and payload
                // format); a repeated SETUP gets a fresh one from it.
                let depacketizer = match announced.take() {
                    Some(d) => d,
                    None => {
                        Depacketizer::from_media(media, *pt, mp4_nal_form(&track.codec)).ok()?
                    }
                };
                Some((track.clone(), depacketizer))
            })
        } else {
            None
        };
        let (jitter, cname) = (self.config.jitter, self.config.cname.clone());
        let Some(s) = self.session.as_mut() else {
            return;
        };
        self.in_session = true;
        s.tracks.retain(|t| t.track_id != track_id);
        s.tracks.push(SetupTrack {
            track_id,
            transport: chosen,
        });
        if let Some((track, depacketizer)) = recorder {
            s.recorders.retain(|r| r.track().id != track_id);
            s.recorders.push(Recorder::new(
                now,
                track,
                depacketizer,
                jitter,
                &cname,
                seed,
            ));
        }
        s.last_activity = now;
        let mut r = self.response(Some(cseq), 200);
        r.headers.append("Transport", &spec.to_string());
        if v2 {
            self.media_headers(&mut r, &base, true);
            if let Some(p) = pipelined {
                r.headers.append("Pipelined-Requests", &p.to_string());
            }
        }
        self.send(&r);
        self.event(ServerEvent::SetUp {
            track_id,
            transport: chosen,
        });
    }

    /// The first spec of `t` the server can serve, as it answers it.
    fn choose_transport(
        &self,
        t: &Transport,
        track_id: u32,
        v2: bool,
    ) -> Option<(TransportSpec, TrackTransport)> {
        let used: Vec<u8> = self
            .session
            .iter()
            .flat_map(|s| &s.tracks)
            .filter(|x| x.track_id != track_id)
            .flat_map(|x| match x.transport {
                TrackTransport::Interleaved { rtp, rtcp } => vec![Some(rtp), rtcp],
                TrackTransport::Udp { .. } => vec![],
            })
            .flatten()
            .collect();
        for spec in &t.specs {
            if spec.profile != "RTP/AVP" || spec.cast == Some(crate::header::Cast::Multicast) {
                continue;
            }
            // RTSP 2.0's RTCP-mux (RFC 7826 appendix C.1.6.4, RFC 5761):
            // RTCP on RTP's channel or port.
            let mux = v2
                && spec
                    .other
                    .iter()
                    .any(|(k, _)| k.eq_ignore_ascii_case("RTCP-mux"));
            match spec.lower {
                LowerTransport::Tcp => {
                    let (rtp, rtcp) = match spec.interleaved {
                        Some((a, _)) if mux => (a, Some(a)),
                        Some((a, b)) => (a, b.or(a.checked_add(1))),
                        None if mux => {
                            let free = (0..=255u8).find(|c| !used.contains(c))?;
                            (free, Some(free))
                        }
                        None => {
                            let free = (0..=127u8)
                                .map(|n| n * 2)
                                .find(|c| !used.contains(c) && !used.contains(&(c + 1)))?;
                            (free, Some(free + 1))
                        }
                    };
                    if used.contains(&rtp)
                        || rtcp.is_some_and(|c| used.contains(&c) || (c == rtp && !mux))
                    {
                        continue;
                    }
                    let mut answer = TransportSpec::new(LowerTransport::Tcp);
                    answer.cast = Some(crate::header::Cast::Unicast);
                    answer.interleaved = Some((rtp, if mux { None } else { rtcp }));
                    answer.mode = spec.mode.clone();
                    if mux {
                        answer.other.push(("RTCP-mux".into(), None));
                    }
                    return Some((answer, TrackTransport::Interleaved { rtp, rtcp }));
                }
                LowerTransport::Udp if v2 && !spec.dest_addr.is_empty() => {
                    let Some(answer) = self.udp_v2(spec, mux) else {
                        continue;
                    };
                    return Some(answer);
                }
                LowerTransport::Udp => {
                    let Some(server) = self.config.udp_ports else {
                        continue;
                    };
                    let Some(client) = spec.client_port else {
                        continue;
                    };
                    // Privileged ports are never a client's RTP ports.
                    if client.rtp < 1024 || client.rtcp.is_some_and(|p| p < 1024) {
                        continue;
                    }
                    let ip = match &spec.destination {
                        Some(d) => match d.trim_matches(['[', ']']).parse::<IpAddr>() {
                            Ok(ip)
                                if ip == self.peer.ip()
                                    || self.config.allow_foreign_destination =>
                            {
                                ip
                            }
                            _ => continue,
                        },
                        None => self.peer.ip(),
                    };
                    let rtcp_port = if mux {
                        Some(client.rtp)
                    } else {
                        client.rtcp.or(client.rtp.checked_add(1))
                    };
                    let server = if mux {
                        PortRange {
                            rtp: server.rtp,
                            rtcp: None,
                        }
                    } else {
                        server
                    };
                    let mut answer = TransportSpec::new(LowerTransport::Udp);
                    answer.cast = Some(crate::header::Cast::Unicast);
                    answer.destination = spec.destination.clone();
                    answer.client_port = Some(PortRange {
                        rtp: client.rtp,
                        rtcp: if mux { None } else { rtcp_port },
                    });
                    answer.server_port = Some(server);
                    answer.mode = spec.mode.clone();
                    if mux {
                        answer.other.push(("RTCP-mux".into(), None));
                    }
                    if v2 {
                        // A 2.0 client that asked in 1.0's terms (as
                        // GStreamer's rtspsrc does) gets both.
                        answer.dest_addr = vec![TransportAddress::at(&ip.to_string(), client.rtp)];
                        answer.dest_addr.extend(
                            rtcp_port
                                .filter(|_| !mux)
                                .map(|p| TransportAddress::at(&ip.to_string(), p)),
                        );
                        answer.src_addr = server_addresses(server);
                    }
                    return Some((
                        answer,
                        TrackTransport::Udp {
                            rtp: SocketAddr::new(ip, client.rtp),
                            rtcp: rtcp_port.map(|p| SocketAddr::new(ip, p)),
                        },
                    ));
                }
            }
        }
        None
    }

    /// A 2.0 UDP spec with `dest_addr` (RFC 7826 section 18.54): RTP's
    /// address then RTCP's (RTP's port + 1 when one is given), the host
    /// the client's own unless foreign destinations are allowed; the
    /// answer gives them back with the server's in `src_addr`.
    fn udp_v2(&self, spec: &TransportSpec, mux: bool) -> Option<(TransportSpec, TrackTransport)> {
        let server = self.config.udp_ports?;
        let server = if mux {
            PortRange {
                rtp: server.rtp,
                rtcp: None,
            }
        } else {
            server
        };
        let address = |a: &TransportAddress| -> Option<SocketAddr> {
            let port = a.port.filter(|p| *p >= 1024)?;
            let ip = match &a.host {
                None => self.peer.ip(),
                Some(h) => {
                    let ip = h.trim_matches(['[', ']']).parse::<IpAddr>().ok()?;
                    (ip == self.peer.ip() || self.config.allow_foreign_destination).then_some(ip)?
                }
            };
            Some(SocketAddr::new(ip, port))
        };
        let rtp = address(spec.dest_addr.first()?)?;
        let rtcp = match spec.dest_addr.get(1) {
            _ if mux => Some(rtp),
            Some(a) => Some(address(a)?),
            None => rtp
                .port()
                .checked_add(1)
                .map(|p| SocketAddr::new(rtp.ip(), p)),
        };
        let mut answer = TransportSpec::new(LowerTransport::Udp);
        answer.cast = Some(crate::header::Cast::Unicast);
        answer.dest_addr = std::iter::once(rtp)
            .chain(rtcp.filter(|_| !mux))
            .map(|a| TransportAddress::at(&a.ip().to_string(), a.port()))
            .collect();
        answer.src_addr = server_addresses(server);
        answer.mode = spec.mode.clone();
        if mux {
            answer.other.push(("RTCP-mux".into(), None));
        }
        Some((answer, TrackTransport::Udp { rtp, rtcp }))
    }

    /// RTSP 2.0's media headers of `path`'s presentation (RFC 7826
    /// sections 18.29, 18.5, 18.30): `Media-Properties`, and for a SETUP
    /// `Accept-Ranges` and, for a file, `Media-Range`.
    fn media_headers(&self, r: &mut Response, path: &str, setup: bool) {
        let duration = self
            .presentations
            .iter()
            .find(|(p, _)| p == path)
            .map(|(_, p)| p.duration);
        let Some(duration) = duration else { return };
        let properties = match duration {
            Some(_) => MediaProperties::on_demand(),
            None => MediaProperties::live(),
        };
        r.headers
            .append("Media-Properties", &properties.to_string());
        if setup {
            r.headers
                .append("Accept-Ranges", &AcceptRanges::npt().to_string());
            if let Some(d) = duration {
                let range = Range::Npt {
                    start: Some(NptTime::At(Duration::ZERO)),
                    end: Some(NptTime::At(d)),
                };
                r.headers.append("Media-Range", &range.to_string());
            }
        }
    }

    /// The npt position the playing session is at `now` (real-time
    /// pacing from its PLAY's start), or where it paused.
    fn position(&self, now: Instant) -> Option<Duration> {
        let s = self.session.as_ref()?;
        if s.state != State::Playing {
            return s.paused_at;
        }
        let p = s.play.as_ref()?;
        let at = p.start + now.saturating_duration_since(p.started);
        Some(self.session_duration().map_or(at, |d| at.min(d)))
    }

    /// The duration of the session's presentation (`None`: live, or no
    /// session).
    fn session_duration(&self) -> Option<Duration> {
        self.session
            .as_ref()
            .and_then(|s| self.presentations.iter().find(|(p, _)| *p == s.path))
            .and_then(|(_, p)| p.duration)
    }

    /// Sends PLAY_NOTIFY end-of-stream (RFC 7826 section 13.5.1) once a
    /// 2.0 session's sender handed out its last packet and BYE.
    pub(super) fn notify_end_of_stream(&mut self) {
        let duration = self.session_duration();
        let Some(s) = self.session.as_mut() else {
            return;
        };
        if s.version != Version::Rtsp20
            || s.state != State::Playing
            || !s.sender.as_ref().is_some_and(MediaSender::is_done)
        {
            return;
        }
        let Some(play) = s.play.as_mut().filter(|p| !p.notified) else {
            return;
        };
        play.notified = true;
        let mut r = Request::new(Method::PlayNotify, &play.uri);
        r.version = Version::Rtsp20;
        r.headers.append("CSeq", &self.server_cseq.to_string());
        self.server_cseq = self.server_cseq.wrapping_add(1);
        r.headers
            .append("Notify-Reason", &NotifyReason::EndOfStream.to_string());
        let status = RequestStatus {
            cseq: play.cseq,
            status: 200,
            reason: "OK".into(),
        };
        r.headers.append("Request-Status", &status.to_string());
        let range = Range::Npt {
            start: Some(NptTime::At(play.start)),
            end: duration.map(NptTime::At),
        };
        r.headers.append("Range", &range.to_string());
        let h = SessionHeader {
            id: s.id.clone(),
            timeout: None,
        };
        r.headers.append("Session", &h.to_string());
        r.headers.append("Server", &self.config.server_name);
        r.write_to(&mut self.out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths() {
        assert_eq!(uri_path("rtsp://h:8554/vod/a"), "/vod/a");
        assert_eq!(uri_path("rtsp://h/vod/a/?x=1"), "/vod/a");
        assert_eq!(uri_path("rtsp://h"), "/");
        assert_eq!(uri_path("/live/k"), "/live/k");
        assert_eq!(uri_path("*"), "/*");
        assert_eq!(
            split_track("/vod/a/trackID=2"),
            ("/vod/a".to_owned(), Some(2))
        );
        assert_eq!(split_track("/vod/a"), ("/vod/a".to_owned(), None));
    }
}
