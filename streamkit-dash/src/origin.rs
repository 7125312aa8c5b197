//! A Sans-IO DASH origin: a request in (path, `now`), a response out.
//!
//! The [`Origin`] keeps what a packager made, fed by its events
//! ([`Origin::handle_vod_event`] for the [`VodPackager`](crate::packager::VodPackager),
//! [`Origin::handle_live_event`] for the
//! [`LivePackager`](crate::live::LivePackager)), and answers requests
//! ([`Origin::handle_request`]):
//!
//! - the MPD (`application/dash+xml`), init and media segments (`video/mp4`
//!   or `audio/mp4`) and, for a live presentation's UTCTiming, the time
//!   (`now` as an ISO 8601 / xs:dateTime in UTC, `text/plain`);
//! - `404` for a name the origin does not have, and for a live segment whose
//!   availability time has not come; `400` for a path that is not a name:
//!   `..` or `.` segments, empty segments, percent-encoding, a backslash,
//!   control characters (NUL among them) or a path longer than
//!   [`OriginConfig::max_path_len`]. Paths are only ever looked up whole
//!   among the names the packager produced, never mapped to files.
//! - A live segment that is available but still being produced (low
//!   latency: available after its first chunk) is answered with
//!   [`Body::Chunked`]: a stream id whose chunks come from
//!   [`Origin::poll_chunk`], each CMAF chunk as soon as the packager made
//!   it, then [`ChunkEvent::End`]. After each live event drain
//!   [`Origin::poll_ready`] to learn which streams have something to send.
//!   A stream whose segment does not complete by its deadline (its nominal
//!   end plus [`OriginConfig::chunk_grace`]) is aborted: call
//!   [`Origin::handle_timeout`] at [`Origin::poll_timeout`].
//!
//! ```
//! use core::time::Duration;
//! use streamkit_core::buffer::BufferList;
//! use streamkit_dash::live::LiveEvent;
//! use streamkit_dash::origin::{Body, ChunkEvent, Origin, OriginConfig, Request};
//!
//! let mut origin = Origin::new(OriginConfig::default().with_base_path("/live/"));
//! let t = |s| Duration::from_secs(s);
//! origin.handle_live_event(LiveEvent::SegmentStarted { rendition: 0, number: 0,
//!     name: "video/seg-0.m4s".into(), content_type: "video/mp4",
//!     available_at: t(10), ends_at: t(12) }, t(9));
//! // Not yet available.
//! assert_eq!(origin.handle_request(&Request::from_target("/live/video/seg-0.m4s"), t(9)).status, 404);
//! let mut chunk = BufferList::new();
//! chunk.push(bytes::Bytes::from_static(b"moof+mdat"));
//! origin.handle_live_event(LiveEvent::Chunk { name: "video/seg-0.m4s".into(), bytes: chunk }, t(10));
//! let response = origin.handle_request(&Request::from_target("/live/video/seg-0.m4s"), t(10));
//! let Body::Chunked(id) = response.body else { panic!("a chunked body") };
//! assert!(matches!(origin.poll_chunk(id), Some(ChunkEvent::Data(d)) if d.len() == 9));
//! assert_eq!(origin.poll_chunk(id), None); // the next chunk is not made yet
//! origin.handle_live_event(LiveEvent::SegmentComplete { name: "video/seg-0.m4s".into() }, t(12));
//! assert_eq!(origin.poll_ready(), Some(id));
//! assert_eq!(origin.poll_chunk(id), Some(ChunkEvent::End));
//! ```

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::time::Duration;

use streamkit_core::buffer::BufferList;

use crate::live::LiveEvent;
use crate::packager::{CONTENT_TYPE_MPD, VodEvent};

/// Content type of the UTCTiming resource.
pub const CONTENT_TYPE_TIME: &str = "text/plain";
/// Cache-Control of error answers and of the time.
pub const CACHE_NO_STORE: &str = "no-store";
/// Cache-Control of a live MPD.
pub const CACHE_LIVE_MPD: &str = "no-cache";
/// Cache-Control of VOD resources and live init segments: they never change.
pub const CACHE_IMMUTABLE: &str = "public, max-age=31536000, immutable";
/// Cache-Control of live media segments (complete or being produced: what
/// a cache ends up with is the whole segment).
pub const CACHE_LIVE_SEGMENT: &str = "public, max-age=60";

/// How an [`Origin`] serves.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct OriginConfig {
    /// Paths start with this (ending in `/`); the rest is a resource name.
    pub base_path: String,
    /// Longer request paths are refused (`400`).
    pub max_path_len: usize,
    /// The most chunked streams open at once; more are answered `503`.
    pub max_streams: usize,
    /// The name of the UTCTiming resource (`time`), if served.
    pub time_name: Option<String>,
    /// A chunked stream is aborted when its segment is not complete this
    /// long after the segment's nominal end.
    pub chunk_grace: Duration,
}

impl Default for OriginConfig {
    /// Base path `/`, paths up to 1024 bytes, 1000 streams, the time at
    /// `time`, 10 s of grace.
    fn default() -> Self {
        OriginConfig {
            base_path: "/".into(),
            max_path_len: 1024,
            max_streams: 1000,
            time_name: Some("time".into()),
            chunk_grace: Duration::from_secs(10),
        }
    }
}

impl OriginConfig {
    /// The same configuration under another base path (`/live/`).
    #[must_use]
    pub fn with_base_path(mut self, base_path: impl Into<String>) -> OriginConfig {
        self.base_path = base_path.into();
        self
    }
}

/// An HTTP request, as far as the origin cares: the path and the query
/// (without the `?`), as they came on the request line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Request<'a> {
    /// The path, starting with `/`.
    pub path: &'a str,
    /// The query string, without `?` (empty when none); ignored.
    pub query: &'a str,
}

impl<'a> Request<'a> {
    /// Splits a request target (`/live/manifest.mpd?x=1`) into path and
    /// query.
    #[must_use]
    pub fn from_target(target: &'a str) -> Request<'a> {
        match target.split_once('?') {
            Some((path, query)) => Request { path, query },
            None => Request {
                path: target,
                query: "",
            },
        }
    }
}

/// The id of a chunked response body.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct StreamId(pub u64);

/// A response body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Body {
    /// The whole body, as buffers to send in order (with a
    /// Content-Length).
    Full(BufferList),
    /// A body of unknown length (HTTP/1.1 chunked transfer coding): poll
    /// [`Origin::poll_chunk`] with this id.
    Chunked(StreamId),
}

/// An HTTP response.
#[derive(Debug, Clone, PartialEq, Eq)]
#[must_use]
pub struct Response {
    /// The status code.
    pub status: u16,
    /// Content-Type, for a body.
    pub content_type: Option<&'static str>,
    /// Cache-Control.
    pub cache_control: &'static str,
    /// The body.
    pub body: Body,
}

impl Response {
    fn error(status: u16) -> Response {
        Response {
            status,
            content_type: None,
            cache_control: CACHE_NO_STORE,
            body: Body::Full(BufferList::new()),
        }
    }

    fn full(content_type: &'static str, cache_control: &'static str, body: BufferList) -> Self {
        Response {
            status: 200,
            content_type: Some(content_type),
            cache_control,
            body: Body::Full(body),
        }
    }
}

/// What [`Origin::poll_chunk`] gives.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ChunkEvent {
    /// The next chunk of the body (one CMAF chunk).
    Data(BufferList),
    /// The body is complete: send the last chunk and keep the connection.
    End,
    /// The segment will not complete (evicted, or past its deadline): close
    /// the connection without ending the body, so the client sees the
    /// truncation.
    Abort,
}

#[derive(Debug, Clone)]
struct Stored {
    content_type: &'static str,
    cache_control: &'static str,
    /// Chunks in order (one for whole resources).
    chunks: Vec<BufferList>,
    complete: bool,
    /// Not served before this time (live segments).
    available_at: Duration,
    /// Chunked streams are aborted after this time.
    deadline: Duration,
}

#[derive(Debug, Clone)]
struct Stream {
    name: String,
    next: usize,
    deadline: Duration,
}

/// The origin; see the [module documentation](self).
#[derive(Debug, Clone)]
pub struct Origin {
    config: OriginConfig,
    resources: BTreeMap<String, Stored>,
    streams: BTreeMap<StreamId, Stream>,
    ready: VecDeque<StreamId>,
    ready_set: BTreeSet<StreamId>,
    next_stream: u64,
}

/// Whether `name` is a name the origin could hold: `None` when the path
/// must be refused with `400`.
fn check_name(name: &str) -> Option<()> {
    if name.is_empty() {
        return Some(());
    }
    for segment in name.split('/') {
        if segment.is_empty() || segment == "." || segment == ".." {
            return None;
        }
    }
    if name
        .chars()
        .any(|c| c == '%' || c == '\\' || c.is_control())
    {
        return None;
    }
    Some(())
}

/// `now` as xs:dateTime in UTC with milliseconds (`2026-11-25T21:00:00.000Z`).
fn xs_datetime(now: Duration) -> Option<String> {
    let secs = i64::try_from(now.as_secs()).ok()?;
    let t = chrono::DateTime::from_timestamp(secs, now.subsec_nanos())?;
    Some(t.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string())
}

impl Origin {
    /// An origin with nothing to serve yet.
    #[must_use]
    pub fn new(config: OriginConfig) -> Origin {
        Origin {
            config,
            resources: BTreeMap::new(),
            streams: BTreeMap::new(),
            ready: VecDeque::new(),
            ready_set: BTreeSet::new(),
            next_stream: 0,
        }
    }

    /// How many resources it holds.
    #[must_use]
    pub fn resource_count(&self) -> usize {
        self.resources.len()
    }

    /// How many chunked streams are open.
    #[must_use]
    pub fn stream_count(&self) -> usize {
        self.streams.len()
    }

    fn store_whole(&mut self, name: String, content_type: &'static str, body: BufferList) {
        self.resources.insert(
            name,
            Stored {
                content_type,
                cache_control: CACHE_IMMUTABLE,
                chunks: vec![body],
                complete: true,
                available_at: Duration::ZERO,
                deadline: Duration::MAX,
            },
        );
    }

    /// Takes an event of the VOD packager: everything is available at once.
    pub fn handle_vod_event(&mut self, event: VodEvent) {
        match event {
            VodEvent::Init(r) => self.store_whole(r.name, r.content_type, r.bytes),
            VodEvent::Segment(s) => {
                self.store_whole(s.resource.name, s.resource.content_type, s.resource.bytes);
            }
            VodEvent::Manifest { name, text } => {
                let mut body = BufferList::new();
                body.push(bytes::Bytes::from(text));
                self.store_whole(name, CONTENT_TYPE_MPD, body);
            }
        }
    }

    fn mark_ready(&mut self, name: &str) {
        for (id, stream) in &self.streams {
            if stream.name == name && self.ready_set.insert(*id) {
                self.ready.push_back(*id);
            }
        }
    }

    /// Takes an event of the live packager at `now`.
    pub fn handle_live_event(&mut self, event: LiveEvent, now: Duration) {
        let _ = now;
        match event {
            LiveEvent::Init(r) => self.store_whole(r.name, r.content_type, r.bytes),
            LiveEvent::SegmentStarted {
                name,
                content_type,
                available_at,
                ends_at,
                ..
            } => {
                self.resources.insert(
                    name,
                    Stored {
                        content_type,
                        cache_control: CACHE_LIVE_SEGMENT,
                        chunks: Vec::new(),
                        complete: false,
                        available_at,
                        deadline: ends_at.saturating_add(self.config.chunk_grace),
                    },
                );
            }
            LiveEvent::Chunk { name, bytes } => {
                if let Some(s) = self.resources.get_mut(&name)
                    && !s.complete
                {
                    s.chunks.push(bytes);
                    self.mark_ready(&name);
                }
            }
            LiveEvent::SegmentComplete { name } => {
                if let Some(s) = self.resources.get_mut(&name) {
                    s.complete = true;
                    self.mark_ready(&name);
                }
            }
            LiveEvent::Removed { name } => {
                if self.resources.remove(&name).is_some() {
                    self.mark_ready(&name);
                }
            }
            LiveEvent::Manifest { name, text } => {
                let mut body = BufferList::new();
                body.push(bytes::Bytes::from(text));
                self.resources.insert(
                    name,
                    Stored {
                        content_type: CONTENT_TYPE_MPD,
                        cache_control: CACHE_LIVE_MPD,
                        chunks: vec![body],
                        complete: true,
                        available_at: Duration::ZERO,
                        deadline: Duration::MAX,
                    },
                );
            }
        }
    }

    /// Answers a GET for `request` at `now`.
    pub fn handle_request(&mut self, request: &Request<'_>, now: Duration) -> Response {
        if request.path.len() > self.config.max_path_len {
            return Response::error(400);
        }
        let Some(name) = request.path.strip_prefix(self.config.base_path.as_str()) else {
            return Response::error(404);
        };
        if check_name(name).is_none() {
            return Response::error(400);
        }
        if self.config.time_name.as_deref() == Some(name) {
            let Some(text) = xs_datetime(now) else {
                return Response::error(500);
            };
            let mut body = BufferList::new();
            body.push(bytes::Bytes::from(text));
            return Response::full(CONTENT_TYPE_TIME, CACHE_NO_STORE, body);
        }
        let Some(stored) = self.resources.get(name) else {
            return Response::error(404);
        };
        if now < stored.available_at {
            return Response::error(404);
        }
        if stored.complete {
            let mut body = BufferList::new();
            for c in &stored.chunks {
                body.append(c.clone());
            }
            return Response::full(stored.content_type, stored.cache_control, body);
        }
        if self.streams.len() >= self.config.max_streams {
            return Response::error(503);
        }
        let id = StreamId(self.next_stream);
        self.next_stream = self.next_stream.wrapping_add(1);
        let (content_type, cache_control) = (stored.content_type, stored.cache_control);
        self.streams.insert(
            id,
            Stream {
                name: name.to_owned(),
                next: 0,
                deadline: stored.deadline,
            },
        );
        Response {
            status: 200,
            content_type: Some(content_type),
            cache_control,
            body: Body::Chunked(id),
        }
    }

    /// The next piece of stream `id`'s body: `None` while the next chunk is
    /// not made yet (or the stream is unknown). After
    /// [`ChunkEvent::End`] or [`ChunkEvent::Abort`] the stream is gone.
    #[must_use]
    pub fn poll_chunk(&mut self, id: StreamId) -> Option<ChunkEvent> {
        let stream = self.streams.get_mut(&id)?;
        let Some(stored) = self.resources.get(&stream.name) else {
            self.streams.remove(&id);
            return Some(ChunkEvent::Abort);
        };
        if let Some(chunk) = stored.chunks.get(stream.next) {
            stream.next += 1;
            return Some(ChunkEvent::Data(chunk.clone()));
        }
        if stored.complete {
            self.streams.remove(&id);
            return Some(ChunkEvent::End);
        }
        None
    }

    /// A stream that has something new for [`Origin::poll_chunk`] since it
    /// was last returned here; `None` when no more.
    #[must_use]
    pub fn poll_ready(&mut self) -> Option<StreamId> {
        let id = self.ready.pop_front()?;
        self.ready_set.remove(&id);
        Some(id)
    }

    /// When [`Origin::handle_timeout`] must be called next: the earliest
    /// deadline of an open stream.
    #[must_use]
    pub fn poll_timeout(&self) -> Option<Duration> {
        self.streams.values().map(|s| s.deadline).min()
    }

    /// Marks the streams past their deadline ready: their next
    /// [`Origin::poll_chunk`] gives [`ChunkEvent::Abort`].
    pub fn handle_timeout(&mut self, now: Duration) {
        let late: Vec<StreamId> = self
            .streams
            .iter()
            .filter(|(_, s)| s.deadline <= now)
            .map(|(id, _)| *id)
            .collect();
        for id in late {
            if let Some(s) = self.streams.get_mut(&id) {
                // No resource has an empty name: the next poll aborts.
                s.name.clear();
            }
            if self.ready_set.insert(id) {
                self.ready.push_back(id);
            }
        }
    }

    /// Forgets stream `id` (its client went away).
    pub fn cancel(&mut self, id: StreamId) {
        self.streams.remove(&id);
    }
}
