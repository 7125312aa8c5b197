//! [`Site`]: what a protocol (HLS, DASH, Smooth, HDS, ...) implements to be
//! served by an [`Origin`](crate::Origin): one decision per request, and
//! the chunks of the resources it streams.

use std::time::Instant;

use streamkit_core::buffer::BufferList;

use crate::request::Method;
use crate::response::Response;

/// A request as a [`Site`] sees it: its target checked by the origin's
/// [`PathPolicy`](crate::PathPolicy), relative to the origin's base path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct SiteRequest<'a> {
    /// [`Method::Get`], [`Method::Head`] (decide as for `GET`: the origin
    /// sends the head only) or, when the origin accepts it,
    /// [`Method::Post`].
    pub method: Method,
    /// The path after the origin's base path (`video/seg-3.m4s` under
    /// `/live/a/`; empty for the base path itself): no empty, `.` or `..`
    /// segment, no `%`, backslash or control byte.
    pub path: &'a str,
    /// The query, without `?` (empty when none).
    pub query: &'a str,
    /// The body of a `POST` (empty otherwise).
    pub body: &'a [u8],
    /// When the request arrived: a request decided again after a
    /// [`Decision::Hold`] keeps its arrival time, so deadlines computed
    /// from it do not move.
    pub arrived: Instant,
}

impl<'a> SiteRequest<'a> {
    /// A `GET` of `path` with `query` that arrived at `arrived` (for
    /// testing a site on its own; the origin makes these).
    #[must_use]
    pub fn get(path: &'a str, query: &'a str, arrived: Instant) -> SiteRequest<'a> {
        SiteRequest {
            method: Method::Get,
            path,
            query,
            body: &[],
            arrived,
        }
    }

    /// The same request with a body.
    #[must_use]
    pub fn with_body(mut self, body: &'a [u8]) -> SiteRequest<'a> {
        self.body = body;
        self
    }

    /// The same request with another method.
    #[must_use]
    pub fn with_method(mut self, method: Method) -> SiteRequest<'a> {
        self.method = method;
        self
    }
}

/// What a [`Site`] does with a request.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Decision<R> {
    /// Answer now. A response with [`Body::Chunked`](crate::Body::Chunked)
    /// names no resource to stream: the origin answers `500` instead (use
    /// [`Decision::Stream`]).
    Respond(Response),
    /// Not answerable yet (a blocking playlist reload, a hinted part, a
    /// live segment due shortly): decide again after the site changes
    /// ([`Origin::handle_change`](crate::Origin::handle_change)); at
    /// `deadline`, answer `on_expiry` (`503`, `404`). A later decision's
    /// deadline and `on_expiry` replace these.
    Hold {
        /// When to give up waiting.
        deadline: Instant,
        /// The answer then.
        on_expiry: Response,
    },
    /// Answer `head` now (its body is replaced by
    /// [`Body::Chunked`](crate::Body::Chunked)) and send `resource` chunk
    /// by chunk as the site gets them ([`Site::chunk`]); abort at
    /// `deadline` if it is not complete by then.
    Stream {
        /// The status and fields of the answer.
        head: Response,
        /// What [`Site::chunk`] is asked for.
        resource: R,
        /// When an incomplete body is cut off.
        deadline: Instant,
    },
}

/// Where a streamed resource stands, for one chunk index.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ChunkState {
    /// The chunk (one CMAF chunk, say); the origin asks for the next index
    /// at once. An empty chunk is skipped (in HTTP/1.1 an empty chunk ends
    /// the body).
    Ready(BufferList),
    /// Not made yet: asked again after the next change.
    Pending,
    /// The resource is complete: there is no chunk at this index or after.
    End,
    /// The resource will not complete (evicted, the encoder stopped): the
    /// body is aborted, so the client sees it cut short.
    Gone,
}

/// The protocol logic an [`Origin`](crate::Origin) serves: HLS playlists
/// and segments, DASH MPDs, Smooth manifests, HDS fragments, an RTMPT
/// session's answers.
///
/// The origin calls [`Site::decide`] once per request (after its own
/// checks: target, method, base path) and again for a held request after
/// every [`Origin::handle_change`](crate::Origin::handle_change), in
/// arrival order; it calls [`Site::chunk`] for the streams it has open,
/// index after index, until `Pending`, `End` or `Gone`. The site never
/// sees `OPTIONS`, never applies `Range`, `If-None-Match`, HEAD or CORS
/// (the origin does, for every site alike), and reads no clock: `now` is
/// the caller's.
pub trait Site {
    /// What names a streamed resource: a `String`, or an index or key of
    /// the site's own.
    type Resource;

    /// What to do with `request` at `now`.
    fn decide(&mut self, now: Instant, request: &SiteRequest<'_>) -> Decision<Self::Resource>;

    /// Chunk `index` (from 0) of `resource`, which a
    /// [`Decision::Stream`] named. A resource has finitely many chunks.
    fn chunk(&self, resource: &Self::Resource, index: usize) -> ChunkState;
}

/// A boxed site is a site: one [`Router`](crate::Router) of
/// `Origin<Box<dyn Site<Resource = R>>>` serves HLS, DASH and the other
/// formats side by side.
impl<S: Site + ?Sized> Site for Box<S> {
    type Resource = S::Resource;

    fn decide(&mut self, now: Instant, request: &SiteRequest<'_>) -> Decision<Self::Resource> {
        (**self).decide(now, request)
    }

    fn chunk(&self, resource: &Self::Resource, index: usize) -> ChunkState {
        (**self).chunk(resource, index)
    }
}
