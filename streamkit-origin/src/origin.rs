//! [`Origin`]: a [`Site`] served over HTTP, with every request it holds or
//! streams, as one Sans-IO state machine.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::fmt;
use std::time::Instant;

use streamkit_core::buffer::BufferList;

use crate::config::{ConfigError, OriginConfig};
use crate::request::{Method, Request};
use crate::response::{Body, Response};
use crate::semantics::{self, Conditions};
use crate::site::{ChunkState, Decision, Site, SiteRequest};

/// A request the origin answers later, through [`Origin::poll_output`].
/// Opaque; unique within one origin.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RequestId(u64);

impl fmt::Display for RequestId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#{}", self.0)
    }
}

/// What [`Origin::handle_request`] did with a request.
#[derive(Debug, Clone, PartialEq, Eq)]
#[must_use]
// The response is the common case; boxing it would allocate per answer.
#[allow(clippy::large_enum_variant)]
pub enum Answer {
    /// The whole answer, now: write it; the origin keeps nothing of the
    /// request.
    Response(Response),
    /// The origin keeps the request: its response, and for a
    /// [`Body::Chunked`] body its chunks and end, come from
    /// [`Origin::poll_output`] under this id (the response may be queued
    /// already: drain `poll_output` now).
    Pending(RequestId),
}

/// What [`Origin::poll_output`] gives, for one pending request.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
#[must_use]
// Boxing the response would allocate per released request.
#[allow(clippy::large_enum_variant)]
pub enum Output {
    /// The request's response. With [`Body::Chunked`], chunks follow and
    /// then exactly one [`Output::End`] or [`Output::Abort`]; with any
    /// other body this is the request's last output.
    Response {
        /// The request.
        id: RequestId,
        /// Its response.
        response: Response,
    },
    /// The next part of a chunked body (never empty).
    Chunk {
        /// The request.
        id: RequestId,
        /// The bytes, as shared buffers.
        chunk: BufferList,
    },
    /// The chunked body is complete: end it (the last, empty chunk) and
    /// keep the connection.
    End {
        /// The request.
        id: RequestId,
    },
    /// The chunked body will not complete (the resource is gone, or its
    /// deadline passed): close the connection without ending the body, so
    /// the client sees it cut short rather than a complete one.
    Abort {
        /// The request.
        id: RequestId,
    },
}

impl Output {
    /// The request this output is for.
    #[must_use]
    pub fn id(&self) -> RequestId {
        match self {
            Output::Response { id, .. }
            | Output::Chunk { id, .. }
            | Output::End { id }
            | Output::Abort { id } => *id,
        }
    }
}

/// A request the origin keeps, with copies of what it needs to decide it
/// again and to finish its answer.
struct Pending<R> {
    method: Method,
    path: Box<str>,
    query: Box<str>,
    body: Box<[u8]>,
    range: Option<Box<[u8]>>,
    if_none_match: Option<Box<[u8]>>,
    origin: Option<Box<[u8]>>,
    arrived: Instant,
    deadline: Instant,
    state: State<R>,
}

// Every entry carries one or the other; a box would only add an allocation.
#[allow(clippy::large_enum_variant)]
enum State<R> {
    Held { on_expiry: Response },
    Streaming { resource: R, next: usize },
}

impl<R> Pending<R> {
    fn conditions(&self) -> Conditions<'_> {
        Conditions {
            method: self.method,
            range: self.range.as_deref(),
            if_none_match: self.if_none_match.as_deref(),
            origin: self.origin.as_deref(),
        }
    }

    fn site_request(&self) -> SiteRequest<'_> {
        SiteRequest {
            method: self.method,
            path: &self.path,
            query: &self.query,
            body: &self.body,
            arrived: self.arrived,
        }
    }
}

/// A [`Site`] served over HTTP: the generic origin every HTTP-delivered
/// format plugs into.
///
/// # Call order
///
/// 1. [`Origin::handle_request`] for each request: an
///    [`Answer::Response`] to write now, or [`Answer::Pending`] with the
///    request's id. Then drain [`Origin::poll_output`].
/// 2. Whenever the site changes (a segment, part or chunk made, a
///    manifest rewritten), through [`Origin::site_mut`]:
///    [`Origin::handle_change`], then drain `poll_output`. (Or both at
///    once with [`Origin::change_site`].)
/// 3. At [`Origin::poll_timeout`], [`Origin::handle_timeout`], then drain
///    `poll_output`.
/// 4. When a client goes away, [`Origin::cancel`] its request: nothing
///    more comes out for it.
/// 5. At shutdown, [`Origin::finish`]; keep serving until the open
///    streams end.
///
/// `poll_output` gives, per pending request: one [`Output::Response`];
/// for a chunked body, then its [`Output::Chunk`]s in order and exactly
/// one [`Output::End`] or [`Output::Abort`]. Every request gets exactly
/// one answer (an [`Answer::Response`], or that sequence) unless
/// cancelled.
///
/// # What the origin does for every site
///
/// - The target is checked by [`OriginConfig::path_policy`] (`400`, `414`
///   with a text saying which rule, where); a path outside
///   [`OriginConfig::base_path`] is `404`; the site gets the rest.
/// - `OPTIONS` (any path under the base path, or `*`) is `204` with
///   `Allow` and the CORS
///   preflight fields; methods other than `GET`, `HEAD` (and `POST` if
///   [`OriginConfig::accept_post`]) are `405` with `Allow`.
/// - A [`Decision::Hold`] or [`Decision::Stream`] beyond
///   [`OriginConfig::max_pending`] requests held or streaming is `503`.
/// - On a `200` with a full body, for `GET` and `HEAD`: an
///   `If-None-Match` naming the response's ETag (weak comparison), or
///   `*`, gives `304` (Cache-Control, ETag and Vary kept, no body); else
///   `Accept-Ranges: bytes`, and for `GET` one byte range gives `206` with
///   `Content-Range` and only those bytes (slices of the body's buffers,
///   no copy), a range outside the body `416` with `bytes */len`. A
///   `Range` field with several ranges, another unit or bad syntax is
///   ignored: `200` with the whole body (RFC 9110 section 14.2 lets a
///   server ignore `Range`; serving several ranges would need a
///   multipart body).
/// - `HEAD` gets the head a `GET` would get, with its `Content-Length`
///   and no body; a `HEAD` the site would stream gets the stream's head
///   at once.
/// - `204` and `304` carry no body; CORS fields from
///   [`OriginConfig::cors`] go on every answer.
///
/// # Example
///
/// A live segment that is not made yet: held, then streamed chunk by
/// chunk as the packager makes it.
///
/// ```
/// use std::collections::HashMap;
/// use std::time::{Duration, Instant};
/// use bytes::Bytes;
/// use streamkit_core::buffer::BufferList;
/// use streamkit_origin::*;
///
/// /// Live segments by name: their chunks so far, and whether complete.
/// #[derive(Default)]
/// struct Live { segments: HashMap<String, (Vec<Bytes>, bool)> }
///
/// impl Site for Live {
///     type Resource = String;
///     fn decide(&mut self, now: Instant, request: &SiteRequest<'_>) -> Decision<String> {
///         match self.segments.get(request.path) {
///             Some((chunks, false)) if !chunks.is_empty() => Decision::Stream {
///                 head: Response::ok("video/mp4", CacheControl::max_age(60), BufferList::new()),
///                 resource: request.path.to_owned(),
///                 deadline: request.arrived + Duration::from_secs(4),
///             },
///             Some((chunks, _)) if !chunks.is_empty() => {
///                 let mut body = BufferList::new();
///                 chunks.iter().for_each(|c| body.push(c.clone()));
///                 Decision::Respond(Response::ok("video/mp4", CacheControl::Immutable, body))
///             }
///             _ => Decision::Hold {
///                 deadline: request.arrived + Duration::from_secs(2),
///                 on_expiry: Response::empty(404),
///             },
///         }
///     }
///     fn chunk(&self, resource: &String, index: usize) -> ChunkState {
///         match self.segments.get(resource) {
///             None => ChunkState::Gone,
///             Some((chunks, complete)) => match chunks.get(index) {
///                 Some(c) => ChunkState::Ready(BufferList::from(c.clone())),
///                 None if *complete => ChunkState::End,
///                 None => ChunkState::Pending,
///             },
///         }
///     }
/// }
///
/// let t0 = Instant::now(); // any instant: the origin reads no clock
/// let config = OriginConfig::default().with_base_path("/live/a/");
/// let mut origin = Origin::new(Live::default(), config).unwrap();
///
/// // Segment 7 is not started: the request is held.
/// let Answer::Pending(id) = origin.handle_request(t0, &Request::get("/live/a/seg-7.m4s")) else {
///     panic!("held")
/// };
/// assert_eq!(origin.poll_output(), None);
/// assert_eq!(origin.poll_timeout(), Some(t0 + Duration::from_secs(2)));
///
/// // Its first CMAF chunk is made: the head, then that chunk.
/// let t1 = t0 + Duration::from_millis(500);
/// origin.change_site(t1, |live| {
///     live.segments.insert("seg-7.m4s".into(), (vec![Bytes::from_static(b"moof+mdat 1")], false));
/// });
/// let Some(Output::Response { id: head_id, response }) = origin.poll_output() else { panic!() };
/// assert_eq!((head_id, response.status, response.body), (id, 200, Body::Chunked));
/// assert!(matches!(origin.poll_output(), Some(Output::Chunk { chunk, .. }) if chunk.len() == 11));
/// assert_eq!(origin.poll_output(), None);
///
/// // The last chunk, and the segment is complete: the body ends.
/// origin.change_site(t1 + Duration::from_millis(500), |live| {
///     let segment = live.segments.get_mut("seg-7.m4s").unwrap();
///     segment.0.push(Bytes::from_static(b"moof+mdat 2"));
///     segment.1 = true;
/// });
/// assert!(matches!(origin.poll_output(), Some(Output::Chunk { .. })));
/// assert_eq!(origin.poll_output(), Some(Output::End { id }));
/// assert_eq!(origin.pending_count(), 0);
/// ```
pub struct Origin<S: Site> {
    site: S,
    config: OriginConfig,
    /// Held and streaming requests, in arrival order (ids increase).
    pending: BTreeMap<u64, Pending<S::Resource>>,
    /// `(deadline, id)` of every pending request.
    deadlines: BTreeSet<(Instant, u64)>,
    outputs: VecDeque<Output>,
    next_id: u64,
    finished: bool,
}

impl<S: Site + fmt::Debug> fmt::Debug for Origin<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Origin")
            .field("site", &self.site)
            .field("config", &self.config)
            .field("held", &self.held_count())
            .field("streaming", &self.streaming_count())
            .field("outputs", &self.outputs.len())
            .field("finished", &self.finished)
            .finish()
    }
}

/// Sends what the site has of a stream; `true` when the stream ended
/// (`End` or `Gone`).
fn feed<S: Site>(
    site: &S,
    id: u64,
    resource: &S::Resource,
    next: &mut usize,
    outputs: &mut VecDeque<Output>,
) -> bool {
    let id = RequestId(id);
    loop {
        match site.chunk(resource, *next) {
            ChunkState::Ready(chunk) => {
                *next += 1;
                if !chunk.is_empty() {
                    outputs.push_back(Output::Chunk { id, chunk });
                }
            }
            ChunkState::Pending => return false,
            ChunkState::End => {
                outputs.push_back(Output::End { id });
                return true;
            }
            ChunkState::Gone => {
                outputs.push_back(Output::Abort { id });
                return true;
            }
        }
    }
}

/// A site's immediate response, as it goes out.
fn respond(r: Response, conditions: &Conditions<'_>, config: &OriginConfig) -> Response {
    if matches!(r.body, Body::Chunked) {
        // A chunked body names no resource to stream: a site bug.
        return semantics::finalize(Response::empty(500), conditions, config);
    }
    semantics::finalize(r, conditions, config)
}

/// The head of a stream, as it goes out (for `HEAD`, without body).
fn stream_head(mut head: Response, conditions: &Conditions<'_>, config: &OriginConfig) -> Response {
    head.body = Body::Chunked;
    semantics::finalize(head, conditions, config)
}

impl<S: Site> Origin<S> {
    /// An origin serving `site`; the base path must start and end with
    /// `/`.
    pub fn new(site: S, config: OriginConfig) -> Result<Origin<S>, ConfigError> {
        if !(config.base_path.starts_with('/') && config.base_path.ends_with('/')) {
            return Err(ConfigError::BasePath {
                base_path: config.base_path,
            });
        }
        Ok(Origin {
            site,
            config,
            pending: BTreeMap::new(),
            deadlines: BTreeSet::new(),
            outputs: VecDeque::new(),
            next_id: 0,
            finished: false,
        })
    }

    /// The site.
    #[must_use]
    pub fn site(&self) -> &S {
        &self.site
    }

    /// The site, to change it; call [`Origin::handle_change`] afterwards.
    #[must_use]
    pub fn site_mut(&mut self) -> &mut S {
        &mut self.site
    }

    /// Changes the site with `change`, then [`Origin::handle_change`] at
    /// `now`.
    pub fn change_site<T>(&mut self, now: Instant, change: impl FnOnce(&mut S) -> T) -> T {
        let out = change(&mut self.site);
        self.handle_change(now);
        out
    }

    /// The configuration.
    #[must_use]
    pub fn config(&self) -> &OriginConfig {
        &self.config
    }

    /// How many requests are held or streaming (bounded by
    /// [`OriginConfig::max_pending`]).
    #[must_use]
    pub fn pending_count(&self) -> usize {
        self.pending.len()
    }

    /// How many requests are held.
    #[must_use]
    pub fn held_count(&self) -> usize {
        self.pending
            .values()
            .filter(|p| matches!(p.state, State::Held { .. }))
            .count()
    }

    /// How many chunked bodies are open.
    #[must_use]
    pub fn streaming_count(&self) -> usize {
        self.pending.len() - self.held_count()
    }

    /// Answers `request` at `now`, or keeps it; see the
    /// [type documentation](Origin).
    pub fn handle_request(&mut self, now: Instant, request: &Request<'_>) -> Answer {
        let conditions = Conditions::of(request);
        let method = request.method();
        let config = &self.config;
        let now_answer = |r: Response| Answer::Response(respond(r, &conditions, config));
        if method == Method::Options && request.target() == "*" {
            return Answer::Response(semantics::options(config, request.origin()));
        }
        let target = match config.path_policy.parse(request.target()) {
            Ok(t) => t,
            Err(e) => return now_answer(semantics::target_refused(e)),
        };
        let allowed = match method {
            Method::Get | Method::Head | Method::Options => true,
            Method::Post => config.accept_post,
            Method::Other => false,
        };
        if !allowed {
            return now_answer(semantics::method_not_allowed(config));
        }
        let Some(path) = target.path().strip_prefix(config.base_path.as_str()) else {
            return now_answer(Response::empty(404));
        };
        if method == Method::Options {
            return Answer::Response(semantics::options(config, request.origin()));
        }
        let site_request = SiteRequest {
            method,
            path,
            query: target.query(),
            body: request.body(),
            arrived: now,
        };
        let decision = self.site.decide(now, &site_request);
        let config = &self.config;
        let now_answer = |r: Response| Answer::Response(respond(r, &conditions, config));
        let full = self.finished || self.pending.len() >= config.max_pending;
        let (deadline, state) = match decision {
            Decision::Respond(r) => return now_answer(r),
            Decision::Hold {
                deadline,
                on_expiry,
            } => {
                if self.finished || deadline <= now {
                    return now_answer(on_expiry);
                }
                if full {
                    return now_answer(Response::empty(503));
                }
                (deadline, State::Held { on_expiry })
            }
            Decision::Stream {
                head,
                resource,
                deadline,
            } => {
                if method == Method::Head {
                    return Answer::Response(stream_head(head, &conditions, config));
                }
                if full {
                    return now_answer(Response::empty(503));
                }
                let id = RequestId(self.next_id);
                let response = stream_head(head, &conditions, config);
                self.outputs.push_back(Output::Response { id, response });
                (deadline, State::Streaming { resource, next: 0 })
            }
        };
        let id = self.next_id;
        self.next_id += 1;
        let mut pending = Pending {
            method,
            path: path.into(),
            query: site_request.query.into(),
            body: request.body().into(),
            range: conditions.range.map(Into::into),
            if_none_match: conditions.if_none_match.map(Into::into),
            origin: conditions.origin.map(Into::into),
            arrived: now,
            deadline,
            state,
        };
        if let State::Streaming { resource, next } = &mut pending.state {
            let ended = feed(&self.site, id, resource, next, &mut self.outputs);
            if ended {
                return Answer::Pending(RequestId(id));
            }
            if deadline <= now {
                self.outputs.push_back(Output::Abort { id: RequestId(id) });
                return Answer::Pending(RequestId(id));
            }
        }
        self.deadlines.insert((deadline, id));
        self.pending.insert(id, pending);
        Answer::Pending(RequestId(id))
    }

    /// The site changed at `now`: decides the held requests again, in
    /// arrival order, and sends what the open streams have new. A held
    /// request still held past its (new) deadline gets its `on_expiry`;
    /// a stream still incomplete past its deadline is aborted.
    pub fn handle_change(&mut self, now: Instant) {
        let Origin {
            site,
            config,
            pending,
            deadlines,
            outputs,
            ..
        } = self;
        pending.retain(|&id, p| {
            if let State::Held { .. } = p.state {
                let rid = RequestId(id);
                match site.decide(now, &p.site_request()) {
                    Decision::Respond(r) => {
                        let response = respond(r, &p.conditions(), config);
                        outputs.push_back(Output::Response { id: rid, response });
                        deadlines.remove(&(p.deadline, id));
                        return false;
                    }
                    Decision::Hold {
                        deadline,
                        on_expiry,
                    } => {
                        deadlines.remove(&(p.deadline, id));
                        if deadline <= now {
                            let response = respond(on_expiry, &p.conditions(), config);
                            outputs.push_back(Output::Response { id: rid, response });
                            return false;
                        }
                        p.deadline = deadline;
                        p.state = State::Held { on_expiry };
                        deadlines.insert((deadline, id));
                        return true;
                    }
                    Decision::Stream {
                        head,
                        resource,
                        deadline,
                    } => {
                        let response = stream_head(head, &p.conditions(), config);
                        outputs.push_back(Output::Response { id: rid, response });
                        deadlines.remove(&(p.deadline, id));
                        if p.method == Method::Head {
                            return false;
                        }
                        p.deadline = deadline;
                        p.state = State::Streaming { resource, next: 0 };
                        deadlines.insert((deadline, id));
                    }
                }
            }
            if let State::Streaming { resource, next } = &mut p.state {
                let ended = feed(site, id, resource, next, outputs);
                if !ended && p.deadline <= now {
                    outputs.push_back(Output::Abort { id: RequestId(id) });
                }
                if ended || p.deadline <= now {
                    deadlines.remove(&(p.deadline, id));
                    return false;
                }
            }
            true
        });
    }

    /// The next output, until `None`; see the [type documentation](Origin).
    #[must_use]
    pub fn poll_output(&mut self) -> Option<Output> {
        self.outputs.pop_front()
    }

    /// When [`Origin::handle_timeout`] must be called next: the earliest
    /// deadline of a pending request.
    #[must_use]
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.deadlines.first().map(|&(t, _)| t)
    }

    /// Answers the held requests whose deadline is past with their
    /// `on_expiry` response, and ends the streams past theirs: with what
    /// the site has, `End` if that completes them, else `Abort`.
    pub fn handle_timeout(&mut self, now: Instant) {
        while let Some(&(deadline, id)) = self.deadlines.first() {
            if deadline > now {
                break;
            }
            self.deadlines.pop_first();
            let Some(p) = self.pending.remove(&id) else {
                continue;
            };
            let Pending {
                method,
                range,
                if_none_match,
                origin,
                state,
                ..
            } = p;
            let conditions = Conditions {
                method,
                range: range.as_deref(),
                if_none_match: if_none_match.as_deref(),
                origin: origin.as_deref(),
            };
            match state {
                State::Held { on_expiry } => {
                    let response = respond(on_expiry, &conditions, &self.config);
                    self.outputs.push_back(Output::Response {
                        id: RequestId(id),
                        response,
                    });
                }
                State::Streaming { resource, mut next } => {
                    if !feed(&self.site, id, &resource, &mut next, &mut self.outputs) {
                        self.outputs.push_back(Output::Abort { id: RequestId(id) });
                    }
                }
            }
        }
    }

    /// Forgets request `id` (its client went away): nothing more comes
    /// out for it, including what was queued. `true` if there was
    /// anything to forget.
    pub fn cancel(&mut self, id: RequestId) -> bool {
        let kept = self.pending.remove(&id.0).inspect(|p| {
            self.deadlines.remove(&(p.deadline, id.0));
        });
        let queued = self.outputs.len();
        self.outputs.retain(|o| o.id() != id);
        kept.is_some() || self.outputs.len() != queued
    }

    /// Stops taking pending requests (shutting down): the held ones get
    /// their `on_expiry` answer now, a later hold gets it at once, a later
    /// stream `503`; open streams run to their end or deadline, and
    /// immediate answers are still given. A second call does nothing.
    pub fn finish(&mut self) {
        if self.finished {
            return;
        }
        self.finished = true;
        let Origin {
            config,
            pending,
            deadlines,
            outputs,
            ..
        } = self;
        pending.retain(|&id, p| {
            if !matches!(p.state, State::Held { .. }) {
                return true;
            }
            // The entry goes: its state is taken, not copied.
            let placeholder = State::Held {
                on_expiry: Response::empty(503),
            };
            let State::Held { on_expiry } = std::mem::replace(&mut p.state, placeholder) else {
                return true;
            };
            let response = respond(on_expiry, &p.conditions(), config);
            outputs.push_back(Output::Response {
                id: RequestId(id),
                response,
            });
            deadlines.remove(&(p.deadline, id));
            false
        });
    }

    /// `true` once [`Origin::finish`] was called.
    #[must_use]
    pub fn is_finished(&self) -> bool {
        self.finished
    }
}
