//! PLAY, PAUSE and RECORD, and the caller's answers to the requests
//! that wait on it (`accept_describe`, `accept_play`, `accept`,
//! `refuse`).

use super::*;

impl ServerConnection {
    pub(super) fn play(&mut self, now: Instant, req: &Request, cseq: u32, path: &str) {
        let Some(s) = &self.session else {
            self.status(Some(cseq), 454);
            return;
        };
        if s.state == State::Recording || self.announced.as_ref().is_some_and(|a| a.path == s.path)
        {
            self.status(Some(cseq), 455);
            return;
        }
        let (base, track) = split_track(path);
        if track.is_some() && s.tracks.len() > 1 {
            self.status(Some(cseq), 460);
            return;
        }
        if base != s.path {
            self.status(Some(cseq), 404);
            return;
        }
        if !self.authorize(now, req, cseq, &base, Action::Read) {
            return;
        }
        let v2 = req.version == Version::Rtsp20;
        let start = match req.headers.get("range").map(Range::parse) {
            Some(Ok(r)) => r.npt_start(),
            Some(Err(_)) => {
                self.status(Some(cseq), 457);
                return;
            }
            None => None,
        };
        // RTSP 2.0's Seek-Style (RFC 7826 section 18.47): RAP (the
        // default) and Next are kept; CoRAP and First-Prior start at a
        // random access point too (a decoder needs one), said as RAP.
        let seek_style = match req.headers.get("seek-style").map(SeekStyle::parse) {
            Some(Ok(SeekStyle::Next)) if v2 => SeekStyle::Next,
            _ => SeekStyle::Rap,
        };
        let Some(s) = &self.session else { return };
        if s.state == State::Playing && start.is_none() {
            // Already playing: nothing changes (RTSP 1.0's liveness
            // test; 2.0 answers where it plays, RFC 7826 section 13.4).
            let mut r = self.response(Some(cseq), 200);
            if v2 {
                let position = self.position(now).unwrap_or_default();
                let range = Range::Npt {
                    start: Some(NptTime::At(position)),
                    end: self.session_duration().map(NptTime::At),
                };
                r.headers.append("Range", &range.to_string());
                let base = s.path.clone();
                self.media_headers(&mut r, &base, false);
            }
            self.send(&r);
            return;
        }
        let Some(presentation) = self
            .presentations
            .iter()
            .find(|(p, _)| *p == base)
            .map(|(_, p)| p.clone())
        else {
            self.status(Some(cseq), 455);
            return;
        };
        if let (Some(NptTime::At(t)), Some(d)) = (start, presentation.duration)
            && t > d
        {
            self.status(Some(cseq), 457);
            return;
        }
        // A live stream does not seek: 2.0 refuses a Range start other
        // than `now` (RFC 7826 section 18.29: No-Seeking; 456).
        if v2 && presentation.duration.is_none() && matches!(start, Some(NptTime::At(_))) {
            self.status(Some(cseq), 456);
            return;
        }
        let set_up: Vec<u32> = s.tracks.iter().map(|t| t.track_id).collect();
        let tracks: Vec<Track> = presentation
            .tracks
            .iter()
            .filter(|t| set_up.contains(&t.id))
            .cloned()
            .collect();
        let seed = self.random_u64();
        let mut config = MediaSenderConfig::new(&self.config.cname, seed, self.config.wall_clock);
        config.pacing = match presentation.duration {
            Some(_) => Pacing::Paced(Speed::REAL_TIME),
            None => Pacing::Live,
        };
        config.presentation_lead = presentation.presentation_lead;
        config.goodbye_delay = self.config.goodbye_delay;
        config.max_queued_payloads = config.max_queued_payloads.max(self.config.send_queue * 4);
        let sender = match MediaSender::new(config, &tracks, &presentation.shifts) {
            Ok(sender) => sender,
            Err(_) => {
                self.status(Some(cseq), 500);
                return;
            }
        };
        if let Some(s) = self.session.as_mut() {
            s.sender = Some(sender);
            if s.state == State::Playing {
                s.state = State::Ready;
            }
        }
        let start = start.or_else(|| {
            self.session
                .as_ref()
                .and_then(|s| s.paused_at)
                .map(NptTime::At)
        });
        let id = self.wait(
            cseq,
            Pending::Play {
                uri: req.uri.clone(),
                seek_style: seek_style.clone(),
                ranged: req.headers.contains("range"),
            },
        );
        self.event(ServerEvent::Play {
            request: id,
            path: base,
            start,
            seek_style,
        });
    }

    pub(super) fn pause(&mut self, now: Instant, cseq: u32) {
        let v2 = self.answer == Version::Rtsp20;
        // 2.0 says where it paused (RFC 7826 section 13.6) and resumes
        // there.
        let position = if v2 { self.position(now) } else { None };
        let duration = self.session_duration();
        let Some(s) = self.session.as_mut() else {
            self.status(Some(cseq), 454);
            return;
        };
        match s.state {
            State::Playing => {
                s.sender = None;
                s.state = State::Ready;
                if v2 && duration.is_some() {
                    s.paused_at = position;
                }
                self.event(ServerEvent::Paused);
            }
            State::Recording => s.state = State::Ready,
            State::Ready => {}
        }
        let paused_at = self.session.as_ref().and_then(|s| s.paused_at);
        let mut r = self.response(Some(cseq), 200);
        if v2 && let Some(p) = paused_at {
            let range = Range::Npt {
                start: Some(NptTime::At(p)),
                end: duration.map(NptTime::At),
            };
            r.headers.append("Range", &range.to_string());
        }
        self.send(&r);
    }

    pub(super) fn record(&mut self, now: Instant, req: &Request, cseq: u32, path: &str) {
        let Some(s) = &self.session else {
            self.status(Some(cseq), 454);
            return;
        };
        let is_publish = self.announced.as_ref().is_some_and(|a| a.path == s.path);
        if !is_publish || s.state == State::Playing || s.recorders.is_empty() {
            self.status(Some(cseq), 455);
            return;
        }
        if s.state == State::Recording {
            self.status(Some(cseq), 200);
            return;
        }
        let base = s.path.clone();
        if !path.starts_with(&base) {
            self.status(Some(cseq), 404);
            return;
        }
        if !self.authorize(now, req, cseq, &base, Action::Publish) {
            return;
        }
        let tracks: Vec<Track> = self
            .session
            .iter()
            .flat_map(|s| &s.recorders)
            .map(|r| r.track().clone())
            .collect();
        let id = self.wait(cseq, Pending::Record);
        self.event(ServerEvent::Record {
            request: id,
            path: base,
            tracks,
        });
    }

    fn take_pending(&mut self, id: RequestId) -> Result<(u32, Pending), ServerError> {
        match self.pending.take() {
            Some((pid, cseq, p)) if pid == id => Ok((cseq, p)),
            other => {
                self.pending = other;
                Err(ServerError::UnknownRequest { id: id.0 })
            }
        }
    }

    /// Answers a [`ServerEvent::Describe`]: `path` is `presentation`.
    ///
    /// # Errors
    ///
    /// [`ServerError::UnknownRequest`] when `request` does not wait for
    /// a description; [`ServerError::Sdp`] for tracks SDP cannot
    /// describe (the client then got 415).
    pub fn accept_describe(
        &mut self,
        now: Instant,
        request: RequestId,
        presentation: Presentation,
    ) -> Result<(), ServerError> {
        let (cseq, pending) = self.take_pending(request)?;
        let Pending::Describe { setup, uri, path } = pending else {
            return Err(ServerError::UnknownRequest { id: request.0 });
        };
        let sdp = describe_sdp(&presentation, self.random_u64() >> 1, self.peer.ip());
        self.presentations.retain(|(p, _)| *p != path);
        if self.presentations.len() >= 16 {
            self.presentations.remove(0);
        }
        self.presentations.push((path.clone(), presentation));
        match setup {
            Some(req) => self.setup(now, req, cseq, path, false),
            None => match sdp {
                Ok(sdp) => {
                    let mut r = self.response(Some(cseq), 200);
                    r.headers.append("Content-Type", "application/sdp");
                    r.headers
                        .append("Content-Base", &format!("{}/", uri.trim_end_matches('/')));
                    r.body = Bytes::from(sdp);
                    self.send(&r);
                }
                Err(e) => {
                    self.status(Some(cseq), 415);
                    self.run_deferred(now);
                    return Err(e);
                }
            },
        }
        self.run_deferred(now);
        Ok(())
    }

    /// Answers a [`ServerEvent::Play`]: sending starts at `now`, the
    /// response says `RTP-Info` (each track's first sequence number and
    /// RTP timestamp) and `Range` from `start` (where the pushed samples
    /// begin: the keyframe at or before the asked time; `None` for live).
    ///
    /// # Errors
    ///
    /// [`ServerError::UnknownRequest`] when `request` does not wait for
    /// a PLAY answer.
    pub fn accept_play(
        &mut self,
        now: Instant,
        request: RequestId,
        start: Option<Duration>,
    ) -> Result<(), ServerError> {
        let (cseq, pending) = self.take_pending(request)?;
        let Pending::Play {
            uri,
            seek_style,
            ranged,
        } = pending
        else {
            return Err(ServerError::UnknownRequest { id: request.0 });
        };
        let v2 = self
            .session
            .as_ref()
            .is_some_and(|s| s.version == Version::Rtsp20);
        let duration = self
            .session
            .as_ref()
            .and_then(|s| self.presentations.iter().find(|(p, _)| *p == s.path))
            .and_then(|(_, p)| p.duration);
        let base = format!("{}/", uri.trim_end_matches('/'));
        let mut info = RtpInfoHeader::default();
        if let Some(s) = self.session.as_ref()
            && let Some(sender) = s.sender.as_ref()
        {
            for t in &s.tracks {
                let first = sender.first_rtp_info(t.track_id);
                let seq = first.map(|f| f.sequence_number.0).or_else(|| {
                    sender
                        .session(t.track_id)
                        .map(|x| x.next_sequence_number().0)
                });
                info.entries.push(RtpInfoEntry {
                    url: format!("{base}trackID={}", t.track_id),
                    ssrc: sender.session(t.track_id).map(|x| x.ssrc()),
                    seq,
                    rtptime: first.map(|f| f.rtp_timestamp.0),
                });
            }
        }
        let range = match (start, duration) {
            (Some(s), Some(d)) => Range::Npt {
                start: Some(NptTime::At(s)),
                end: Some(NptTime::At(d)),
            },
            (Some(s), None) => Range::from(s),
            (None, Some(d)) => Range::Npt {
                start: Some(NptTime::At(Duration::ZERO)),
                end: Some(NptTime::At(d)),
            },
            (None, None) => Range::Npt {
                start: Some(NptTime::Now),
                end: None,
            },
        };
        let mut r = self.response(Some(cseq), 200);
        r.headers.append("Range", &range.to_string());
        if !info.entries.is_empty() {
            let value = if v2 {
                info.to_v2_string()
            } else {
                info.to_string()
            };
            r.headers.append("RTP-Info", &value);
        }
        if v2 {
            if let Some(path) = self.session.as_ref().map(|s| s.path.clone()) {
                self.media_headers(&mut r, &path, false);
            }
            if ranged {
                r.headers.append("Seek-Style", &seek_style.to_string());
            }
        }
        self.send(&r);
        if let Some(s) = self.session.as_mut() {
            s.state = State::Playing;
            s.paused_at = None;
            s.last_activity = now;
            s.play = Some(PlayState {
                cseq,
                uri: uri.clone(),
                start: start.unwrap_or_default(),
                started: now,
                notified: false,
            });
            if let Some(sender) = s.sender.as_mut() {
                sender.start(now);
            }
        }
        self.run_deferred(now);
        Ok(())
    }

    /// Answers a [`ServerEvent::Announce`] (the publish is let in) or a
    /// [`ServerEvent::Record`] (recording starts) with 200.
    ///
    /// # Errors
    ///
    /// [`ServerError::UnknownRequest`] when `request` waits for neither.
    pub fn accept(&mut self, now: Instant, request: RequestId) -> Result<(), ServerError> {
        let (cseq, pending) = self.take_pending(request)?;
        match pending {
            Pending::Announce { announced } => {
                self.announced = Some(announced);
                self.status(Some(cseq), 200);
            }
            Pending::Record => {
                let wait = self.config.sync_wait;
                if let Some(s) = self.session.as_mut() {
                    s.state = State::Recording;
                    s.last_activity = now;
                    if s.alignment.is_none() {
                        let tracks: Vec<(u32, bool)> = s
                            .recorders
                            .iter()
                            .map(|r| (r.track().id, r.track().kind() == MediaKind::Video))
                            .collect();
                        s.alignment = Some(super::super::sync::Alignment::new(&tracks, wait));
                    }
                }
                let mut r = self.response(Some(cseq), 200);
                r.headers.append("Range", "npt=0.000-");
                self.send(&r);
            }
            other => {
                self.pending = Some((request, cseq, other));
                return Err(ServerError::UnknownRequest { id: request.0 });
            }
        }
        self.run_deferred(now);
        Ok(())
    }

    /// Answers a waiting request with `status` (404 for an unknown path,
    /// 403, 453, 503...). A refused PLAY leaves the session ready.
    ///
    /// # Errors
    ///
    /// [`ServerError::UnknownRequest`] when `request` does not wait.
    pub fn refuse(
        &mut self,
        now: Instant,
        request: RequestId,
        status: u16,
    ) -> Result<(), ServerError> {
        let (cseq, pending) = self.take_pending(request)?;
        if let Pending::Play { .. } = pending
            && let Some(s) = self.session.as_mut()
        {
            s.sender = None;
        }
        self.status(Some(cseq), status);
        self.run_deferred(now);
        Ok(())
    }
}
