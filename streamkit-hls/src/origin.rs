//! The HLS origin: HTTP requests in, responses out, with low-latency HLS
//! blocking requests held until the packager produces what they wait for.
//!
//! An [`Origin`] is a Sans-IO state machine that serves what a
//! [`Packager`](crate::packager::Packager) produced. Feed it every
//! [`PackagerEvent`] ([`Origin::handle_event`]); hand it each request
//! ([`Origin::handle_request`]), which answers at once
//! ([`Handled::Response`]) or holds the request ([`Handled::Held`]). After
//! each event and each timeout, drain [`Origin::poll_released`]: it gives
//! the held requests' answers. [`Origin::poll_timeout`] says when to call
//! [`Origin::handle_timeout`] next. `now` is the caller's monotonic clock, as
//! a [`Duration`] since any fixed instant; the origin reads no clock.
//!
//! # What it answers
//!
//! - Only names the packager produced (and that are still in the live
//!   window), under [`OriginConfig::base_path`]. A path is never a file
//!   system path: a NUL byte, a backslash, a `%` (percent-encoding: no
//!   produced name needs it), an empty, `.` or `..` path segment, or a path
//!   longer than [`OriginConfig::max_path_len`] is `400 Bad Request`; any
//!   other unknown name is `404 Not Found`.
//! - Blocking playlist reload (draft-pantos-hls-rfc8216bis section
//!   6.2.5.2): `_HLS_msn=M` holds the request until the playlist has
//!   segment `M`; with `_HLS_part=N`, until it has part `N` of segment `M`
//!   (a part index beyond a complete segment's last part means part 0 of
//!   the next). `_HLS_part` without `_HLS_msn`, an `M` beyond the last
//!   segment plus two, or an `N` beyond the last part by the Advance Part
//!   Limit (3 / PART-TARGET for targets under a second, else 3) is `400`.
//!   A request still held three target durations later gets
//!   `503 Service Unavailable`. Once the playlist has EXT-X-ENDLIST the
//!   directives are ignored.
//! - Playlist Delta Updates (section 6.2.5.1): `_HLS_skip=YES` or `v2`
//!   answers with EXT-X-SKIP in place of the segments older than
//!   CAN-SKIP-UNTIL; ignored when the playlist has no CAN-SKIP-UNTIL or has
//!   EXT-X-ENDLIST.
//! - Preload hints (section 6.2.6): a request for the part a media playlist
//!   hints is held until the part exists; if the playlist stops hinting it
//!   without producing it (the segment ended first), `404`; after three
//!   target durations, `503`.
//! - Malformed query values (not decimal, too large, duplicated, an
//!   `_HLS_skip` other than `YES` or `v2`) are `400`.
//!
//! # Caching
//!
//! Segments, parts and init segments never change under their name:
//! [`CACHE_IMMUTABLE`]. Playlists of a finished stream (EXT-X-ENDLIST) too.
//! A live media playlist without delivery directives: `max-age=1`; a
//! blocking-reload answer names a fixed state of the playlist, so it may
//! be cached for as long as its segments stay relevant: six target
//! durations. A live multivariant playlist: one target duration (its
//! bit rates are measured as the stream goes). Errors: `no-store`.
//!
//! ```
//! use std::time::Duration;
//! use streamkit_hls::origin::{Handled, Origin, OriginConfig, Request};
//!
//! let mut origin = Origin::new(OriginConfig::default());
//! let now = Duration::ZERO;
//! let Handled::Response(r) = origin.handle_request(&Request::new("/../etc/passwd", ""), now) else {
//!     unreachable!()
//! };
//! assert_eq!(r.status, 400);
//! let Handled::Response(r) = origin.handle_request(&Request::new("/video/seg-1.m4s", ""), now) else {
//!     unreachable!()
//! };
//! assert_eq!(r.status, 404);
//! ```

use std::collections::{HashMap, VecDeque};
use std::time::Duration;

use bytes::Bytes;
use streamkit_core::buffer::BufferList;

use crate::packager::{CONTENT_TYPE_PLAYLIST, PackagerEvent, Resource};
use crate::playlist::{MediaPlaylist, SkipRequest};

/// Cache-Control of resources that never change under their name.
pub const CACHE_IMMUTABLE: &str = "public, max-age=31536000, immutable";
/// Cache-Control of error answers.
pub const CACHE_NO_STORE: &str = "no-store";
/// Cache-Control of a live media playlist asked for without directives.
pub const CACHE_LIVE_PLAYLIST: &str = "public, max-age=1";

/// How an [`Origin`] serves.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct OriginConfig {
    /// Paths start with this (ending in `/`); the rest is a resource name.
    pub base_path: String,
    /// Longer request paths are refused (`400`).
    pub max_path_len: usize,
    /// The most requests held at once; more are answered `503`.
    pub max_held: usize,
}

impl Default for OriginConfig {
    /// Base path `/`, paths up to 1024 bytes, 10 000 held requests.
    fn default() -> Self {
        OriginConfig {
            base_path: "/".into(),
            max_path_len: 1024,
            max_held: 10_000,
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
    /// The query string, without `?` (empty when none).
    pub query: &'a str,
}

impl<'a> Request<'a> {
    /// A request for `path` with `query`.
    #[must_use]
    pub fn new(path: &'a str, query: &'a str) -> Request<'a> {
        Request { path, query }
    }

    /// Splits a request target (`/a/b.m3u8?_HLS_msn=3`) into path and query.
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

/// An HTTP response.
#[derive(Debug, Clone, PartialEq, Eq)]
#[must_use]
pub struct Response {
    /// The status code.
    pub status: u16,
    /// Content-Type, for a body.
    pub content_type: Option<&'static str>,
    /// Cache-Control.
    pub cache_control: String,
    /// The body, as buffers to send in order.
    pub body: BufferList,
}

impl Response {
    fn error(status: u16) -> Response {
        Response {
            status,
            content_type: None,
            cache_control: CACHE_NO_STORE.into(),
            body: BufferList::new(),
        }
    }
}

/// The id of a held request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RequestId(pub u64);

/// What [`Origin::handle_request`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
#[must_use]
pub enum Handled {
    /// The answer, now.
    Response(Response),
    /// The request is held; its answer comes from
    /// [`Origin::poll_released`].
    Held(RequestId),
}

#[derive(Debug, Clone)]
struct Stored {
    content_type: &'static str,
    body: BufferList,
}

#[derive(Debug, Clone)]
struct PlaylistEntry {
    name: String,
    /// The directory of the playlist's URIs (`video/`).
    dir: String,
    playlist: MediaPlaylist,
}

#[derive(Debug, Clone)]
enum Waiting {
    Playlist {
        index: usize,
        msn: u64,
        part: Option<u64>,
        skip: Option<SkipRequest>,
    },
    Resource {
        name: String,
    },
}

#[derive(Debug, Clone)]
struct HeldRequest {
    id: RequestId,
    waiting: Waiting,
    deadline: Duration,
}

/// The origin. See the [module documentation](self).
#[derive(Debug)]
pub struct Origin {
    config: OriginConfig,
    resources: HashMap<String, Stored>,
    playlists: Vec<PlaylistEntry>,
    multivariant: Option<(String, Bytes, bool)>,
    held: Vec<HeldRequest>,
    released: VecDeque<(RequestId, Response)>,
    next_id: u64,
}

struct Directives {
    msn: Option<u64>,
    part: Option<u64>,
    skip: Option<SkipRequest>,
}

fn parse_number(value: &str) -> Option<u64> {
    if value.is_empty() || value.len() > 19 || !value.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    value.parse().ok()
}

/// Sets `slot`; `None` when it was set already (a repeated directive).
fn set_once<T>(slot: &mut Option<T>, value: T) -> Option<()> {
    if slot.is_some() {
        return None;
    }
    *slot = Some(value);
    Some(())
}

/// Parses the delivery directives; `None` for a malformed query.
fn parse_query(query: &str) -> Option<Directives> {
    let mut d = Directives {
        msn: None,
        part: None,
        skip: None,
    };
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        match key {
            "_HLS_msn" => set_once(&mut d.msn, parse_number(value)?)?,
            "_HLS_part" => set_once(&mut d.part, parse_number(value)?)?,
            "_HLS_skip" => {
                let skip = match value {
                    "YES" => SkipRequest::Segments,
                    "v2" => SkipRequest::SegmentsAndDateRanges {
                        recently_removed: Vec::new(),
                    },
                    _ => return None,
                };
                set_once(&mut d.skip, skip)?;
            }
            _ => {}
        }
    }
    Some(d)
}

/// `true` when `name` is a plain relative name: no NUL, backslash, `%`,
/// control character, and no empty, `.` or `..` segment.
fn plain_name(name: &str) -> bool {
    !name.is_empty()
        && !name
            .bytes()
            .any(|b| b == 0 || b == b'\\' || b == b'%' || b.is_ascii_control())
        && name
            .split('/')
            .all(|s| !s.is_empty() && s != "." && s != "..")
}

fn target(playlist: &MediaPlaylist) -> Duration {
    Duration::from_secs(playlist.written_target_duration().max(1))
}

/// `true` when `playlist` holds part `part` of segment `msn` (or segment
/// `msn`, without a part), or something later.
fn satisfied(playlist: &MediaPlaylist, msn: u64, part: Option<u64>) -> bool {
    let next = playlist.next_media_sequence();
    let Some(part) = part else {
        return msn < next;
    };
    if msn < next {
        let first = next - playlist.segments.len() as u64;
        let Some(segment) = msn
            .checked_sub(first)
            .and_then(|i| playlist.segments.get(usize::try_from(i).ok()?))
        else {
            // Older than the listed segments.
            return true;
        };
        let parts = segment.parts.len() as u64;
        // A segment whose parts are no longer listed is old enough.
        if parts == 0 || part < parts {
            return true;
        }
        return satisfied(playlist, msn + 1, Some(0));
    }
    msn == next
        && playlist
            .partial_segment
            .as_ref()
            .is_some_and(|p| (p.parts.len() as u64) > part)
}

impl Origin {
    /// An origin serving nothing yet.
    #[must_use]
    pub fn new(config: OriginConfig) -> Origin {
        Origin {
            config,
            resources: HashMap::new(),
            playlists: Vec::new(),
            multivariant: None,
            held: Vec::new(),
            released: VecDeque::new(),
            next_id: 0,
        }
    }

    /// How many resources (segments, parts, init segments) it holds.
    #[must_use]
    pub fn resource_count(&self) -> usize {
        self.resources.len()
    }

    /// How many requests are held.
    #[must_use]
    pub fn held_count(&self) -> usize {
        self.held.len()
    }

    /// Takes in what the packager produced (or removed), and releases the
    /// held requests that it answers.
    pub fn handle_event(&mut self, event: PackagerEvent, now: Duration) {
        let _ = now;
        match event {
            PackagerEvent::InitSegment(r) => self.store(r),
            PackagerEvent::Part(p) => self.store(p.resource),
            PackagerEvent::Segment(s) => self.store(s.resource),
            PackagerEvent::MediaPlaylist { name, playlist, .. } => {
                let dir = name
                    .rfind('/')
                    .map_or(String::new(), |i| name[..=i].to_owned());
                match self.playlists.iter().position(|p| p.name == name) {
                    Some(i) => self.playlists[i].playlist = *playlist,
                    None => self.playlists.push(PlaylistEntry {
                        name,
                        dir,
                        playlist: *playlist,
                    }),
                }
                self.release_playlists();
                self.release_unhinted();
            }
            PackagerEvent::MultivariantPlaylist { name, playlist } => {
                if let Ok(bytes) = playlist.to_bytes() {
                    let ended = self.playlists.iter().all(|p| p.playlist.end_list);
                    self.multivariant = Some((name, bytes, ended));
                }
            }
            PackagerEvent::Removed { name, .. } => {
                self.resources.remove(&name);
            }
            PackagerEvent::SampleDropped(_) => {}
        }
    }

    fn store(&mut self, resource: Resource) {
        let stored = Stored {
            content_type: resource.content_type,
            body: resource.body,
        };
        let mut i = 0;
        while i < self.held.len() {
            if matches!(&self.held[i].waiting, Waiting::Resource { name } if *name == resource.name)
            {
                let h = self.held.swap_remove(i);
                self.released.push_back((h.id, resource_response(&stored)));
            } else {
                i += 1;
            }
        }
        self.resources.insert(resource.name, stored);
    }

    fn release_playlists(&mut self) {
        let mut i = 0;
        while i < self.held.len() {
            let answer = match &self.held[i].waiting {
                Waiting::Playlist {
                    index,
                    msn,
                    part,
                    skip,
                } => self.playlists.get(*index).and_then(|e| {
                    (e.playlist.end_list || satisfied(&e.playlist, *msn, *part))
                        .then(|| playlist_response(&e.playlist, skip.as_ref(), true))
                }),
                Waiting::Resource { .. } => None,
            };
            match answer {
                Some(r) => {
                    let h = self.held.swap_remove(i);
                    self.released.push_back((h.id, r));
                }
                None => i += 1,
            }
        }
    }

    /// Held requests for a hinted part that no playlist hints any more and
    /// that was not produced: `404` (section 6.2.6).
    fn release_unhinted(&mut self) {
        let mut i = 0;
        while i < self.held.len() {
            let gone = match &self.held[i].waiting {
                Waiting::Resource { name } => !self.is_hinted(name),
                Waiting::Playlist { .. } => false,
            };
            if gone {
                let h = self.held.swap_remove(i);
                self.released.push_back((h.id, Response::error(404)));
            } else {
                i += 1;
            }
        }
    }

    fn is_hinted(&self, name: &str) -> bool {
        self.hint_target(name).is_some()
    }

    /// The target duration of the playlist that hints `name`.
    fn hint_target(&self, name: &str) -> Option<Duration> {
        self.playlists.iter().find_map(|e| {
            let rest = name.strip_prefix(e.dir.as_str())?;
            e.playlist
                .preload_hints
                .iter()
                .any(|h| h.uri == rest)
                .then(|| target(&e.playlist))
        })
    }

    /// Answers `request`, or holds it. See the [module documentation](self).
    pub fn handle_request(&mut self, request: &Request<'_>, now: Duration) -> Handled {
        if request.path.len() > self.config.max_path_len {
            return Handled::Response(Response::error(400));
        }
        let Some(name) = request.path.strip_prefix(self.config.base_path.as_str()) else {
            return Handled::Response(if plain_name(request.path.trim_start_matches('/')) {
                Response::error(404)
            } else {
                Response::error(400)
            });
        };
        if !plain_name(name) {
            return Handled::Response(Response::error(400));
        }
        let Some(directives) = parse_query(request.query) else {
            return Handled::Response(Response::error(400));
        };
        if let Some(index) = self.playlists.iter().position(|p| p.name == name) {
            return self.playlist_request(index, directives, now);
        }
        if let Some((_, bytes, ended)) = self.multivariant.as_ref().filter(|m| m.0 == name) {
            let cache = if *ended {
                CACHE_IMMUTABLE.to_owned()
            } else {
                let t = self
                    .playlists
                    .first()
                    .map_or(Duration::from_secs(1), |e| target(&e.playlist));
                format!("public, max-age={}", t.as_secs())
            };
            return Handled::Response(Response {
                status: 200,
                content_type: Some(CONTENT_TYPE_PLAYLIST),
                cache_control: cache,
                body: BufferList::from(bytes.clone()),
            });
        }
        if let Some(stored) = self.resources.get(name) {
            return Handled::Response(resource_response(stored));
        }
        if let Some(t) = self.hint_target(name) {
            return self.hold(
                Waiting::Resource {
                    name: name.to_owned(),
                },
                now + 3 * t,
            );
        }
        Handled::Response(Response::error(404))
    }

    fn playlist_request(&mut self, index: usize, d: Directives, now: Duration) -> Handled {
        let entry = &self.playlists[index];
        let playlist = &entry.playlist;
        if d.part.is_some() && d.msn.is_none() {
            return Handled::Response(Response::error(400));
        }
        if playlist.end_list {
            return Handled::Response(playlist_response(playlist, None, false));
        }
        let Some(msn) = d.msn else {
            return Handled::Response(playlist_response(playlist, d.skip.as_ref(), false));
        };
        let next = playlist.next_media_sequence();
        // The last segment's sequence number plus two.
        if msn > next.saturating_add(1) {
            return Handled::Response(Response::error(400));
        }
        if let (Some(part), Some(inf), true) = (d.part, &playlist.part_inf, msn == next) {
            let listed = playlist
                .partial_segment
                .as_ref()
                .map_or(0, |p| p.parts.len() as u64);
            let target_ms = inf.part_target.as_millis().max(1);
            let limit = if target_ms < 1000 {
                (3000u128).div_ceil(target_ms) as u64
            } else {
                3
            };
            // The last listed part's index is listed - 1.
            if part >= listed.saturating_add(limit) {
                return Handled::Response(Response::error(400));
            }
        }
        if satisfied(playlist, msn, d.part) {
            return Handled::Response(playlist_response(playlist, d.skip.as_ref(), true));
        }
        let deadline = now + 3 * target(playlist);
        self.hold(
            Waiting::Playlist {
                index,
                msn,
                part: d.part,
                skip: d.skip,
            },
            deadline,
        )
    }

    fn hold(&mut self, waiting: Waiting, deadline: Duration) -> Handled {
        if self.held.len() >= self.config.max_held {
            return Handled::Response(Response::error(503));
        }
        let id = RequestId(self.next_id);
        self.next_id += 1;
        self.held.push(HeldRequest {
            id,
            waiting,
            deadline,
        });
        Handled::Held(id)
    }

    /// The next answer to a held request, if any.
    #[must_use]
    pub fn poll_released(&mut self) -> Option<(RequestId, Response)> {
        self.released.pop_front()
    }

    /// When the next held request times out.
    #[must_use]
    pub fn poll_timeout(&self) -> Option<Duration> {
        self.held.iter().map(|h| h.deadline).min()
    }

    /// Answers the held requests whose time is up with
    /// `503 Service Unavailable` (section 6.2.5.2).
    pub fn handle_timeout(&mut self, now: Duration) {
        let mut i = 0;
        while i < self.held.len() {
            if self.held[i].deadline <= now {
                let h = self.held.swap_remove(i);
                self.released.push_back((h.id, Response::error(503)));
            } else {
                i += 1;
            }
        }
    }

    /// Forgets a held request (the client went away).
    pub fn cancel(&mut self, id: RequestId) {
        self.held.retain(|h| h.id != id);
    }
}

fn resource_response(stored: &Stored) -> Response {
    Response {
        status: 200,
        content_type: Some(stored.content_type),
        cache_control: CACHE_IMMUTABLE.into(),
        body: stored.body.clone(),
    }
}

fn playlist_response(
    playlist: &MediaPlaylist,
    skip: Option<&SkipRequest>,
    blocking: bool,
) -> Response {
    let until = playlist
        .server_control
        .as_ref()
        .and_then(|s| s.can_skip_until);
    let rendered = match (skip, until) {
        (Some(request), Some(until)) if !playlist.end_list => playlist
            .delta_update(until, request)
            .ok()
            .and_then(|d| d.to_bytes().ok()),
        _ => playlist.to_bytes().ok(),
    };
    let Some(bytes) = rendered else {
        return Response::error(500);
    };
    let cache = if playlist.end_list {
        CACHE_IMMUTABLE.to_owned()
    } else if blocking {
        format!("public, max-age={}", 6 * target(playlist).as_secs())
    } else {
        CACHE_LIVE_PLAYLIST.to_owned()
    };
    Response {
        status: 200,
        content_type: Some(CONTENT_TYPE_PLAYLIST),
        cache_control: cache,
        body: BufferList::from(bytes),
    }
}
