//! streamkit-origin: the Sans-IO HTTP origin every HTTP-delivered format
//! plugs into (HLS, DASH, Smooth Streaming, HDS, MMSH, RTMPT, RTSP over
//! HTTP).
//!
//! A protocol implements [`Site`]: for each request, a [`Decision`] (answer
//! now, hold until the site changes, or stream a growing resource chunk by
//! chunk), and the chunks of what it streams. An [`Origin`] owns the site
//! and every pending request, and applies what HTTP asks of every answer
//! alike: the path policy, `HEAD`, byte ranges, `If-None-Match`, CORS and
//! the preflight, `405`, and a bound on pending requests. The caller moves
//! the bytes and supplies the time: no socket, no clock.
//!
//! # Example
//!
//! A toy site: names mapped to bytes, and one name that appears later.
//!
//! ```
//! use std::collections::HashMap;
//! use std::time::{Duration, Instant};
//! use bytes::Bytes;
//! use streamkit_core::buffer::BufferList;
//! use streamkit_origin::{
//!     Answer, CacheControl, ChunkState, Decision, Origin, OriginConfig, Output, Request,
//!     Response, Site, SiteRequest,
//! };
//!
//! struct Files(HashMap<String, Bytes>);
//!
//! impl Site for Files {
//!     type Resource = ();
//!     fn decide(&mut self, _now: Instant, request: &SiteRequest<'_>) -> Decision<()> {
//!         match self.0.get(request.path) {
//!             Some(bytes) => Decision::Respond(Response::ok(
//!                 "text/plain",
//!                 CacheControl::Immutable,
//!                 BufferList::from(bytes.clone()),
//!             )),
//!             // `late.txt` is coming: wait for it up to a second.
//!             None if request.path == "late.txt" => Decision::Hold {
//!                 deadline: request.arrived + Duration::from_secs(1),
//!                 on_expiry: Response::empty(404),
//!             },
//!             None => Decision::Respond(Response::empty(404)),
//!         }
//!     }
//!     fn chunk(&self, _: &(), _: usize) -> ChunkState {
//!         ChunkState::Gone // this site streams nothing
//!     }
//! }
//!
//! let files = Files(HashMap::from([("hello.txt".into(), Bytes::from_static(b"hello"))]));
//! let mut origin = Origin::new(files, OriginConfig::default().with_base_path("/files/")).unwrap();
//! let t0 = Instant::now(); // or any instant: a virtual clock in tests
//!
//! // An answer now: 200, and the origin added CORS and Accept-Ranges.
//! let Answer::Response(r) = origin.handle_request(t0, &Request::get("/files/hello.txt")) else {
//!     unreachable!()
//! };
//! assert_eq!(r.status, 200);
//! let head: Vec<String> = r.head_fields().map(|(n, v)| format!("{n}: {v}")).collect();
//! assert!(head.contains(&"access-control-allow-origin: *".to_owned()));
//! assert!(head.contains(&"accept-ranges: bytes".to_owned()));
//!
//! // The same with a range: 206 and only those bytes.
//! let ranged = Request::get("/files/hello.txt").header("Range", b"bytes=1-3");
//! let Answer::Response(r) = origin.handle_request(t0, &ranged) else { unreachable!() };
//! assert_eq!(r.status, 206);
//!
//! // Traversal never reaches the site.
//! let Answer::Response(r) = origin.handle_request(t0, &Request::get("/files/../etc/passwd")) else {
//!     unreachable!()
//! };
//! assert_eq!(r.status, 400);
//!
//! // late.txt is held...
//! let Answer::Pending(id) = origin.handle_request(t0, &Request::get("/files/late.txt")) else {
//!     unreachable!()
//! };
//! assert_eq!(origin.poll_output(), None);
//! assert_eq!(origin.poll_timeout(), Some(t0 + Duration::from_secs(1)));
//!
//! // ...until the site has it.
//! let t1 = t0 + Duration::from_millis(300);
//! origin.site_mut().0.insert("late.txt".into(), Bytes::from_static(b"at last"));
//! origin.handle_change(t1);
//! let Some(Output::Response { id: released, response }) = origin.poll_output() else {
//!     unreachable!()
//! };
//! assert_eq!((released, response.status, response.content_length()), (id, 200, Some(7)));
//! assert_eq!(origin.poll_output(), None);
//! assert_eq!(origin.poll_timeout(), None);
//! ```
//!
//! # Call order
//!
//! 1. Each request: [`Origin::handle_request`]`(now, &request)`. An
//!    [`Answer::Response`] is written at once; an [`Answer::Pending`] id
//!    is remembered with the connection waiting on it.
//! 2. After every input (a request, a change, a timeout, a cancel),
//!    drain [`Origin::poll_output`] until `None`, sending each
//!    [`Output`] to the connection of its id: a held request's
//!    [`Output::Response`], a chunked body's [`Output::Chunk`]s, then its
//!    [`Output::End`] (finish the body) or [`Output::Abort`] (close the
//!    connection without finishing it).
//! 3. Whenever the site changes ([`Origin::site_mut`]),
//!    [`Origin::handle_change`]`(now)` ([`Origin::change_site`] does
//!    both).
//! 4. Wake up at [`Origin::poll_timeout`] and call
//!    [`Origin::handle_timeout`]`(now)`.
//! 5. A client that goes away: [`Origin::cancel`]`(id)`.
//! 6. Shutting down: [`Origin::finish`], then serve until the pending
//!    requests are answered.
//!
//! A server with many origins (one per stream) finds the one for a path
//! with a [`Router`]. A server writes each [`Response`]'s head from
//! [`Response::head_fields`] and its body from [`Body`]; the buffers are
//! the site's own [`bytes::Bytes`], never copied
//! ([`BufferList::coalesce`](streamkit_core::buffer::BufferList::coalesce)
//! makes fewer, larger writes of many small ones).
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod cache;
mod config;
mod etag;
mod field;
/// Entry points of the fuzz targets in `fuzz/`; built only with the
/// `fuzz` feature (the fuzz crate and this crate's own tests enable it).
#[cfg(feature = "fuzz")]
#[doc(hidden)]
pub mod fuzz;
mod origin;
mod package;
mod request;
mod response;
mod router;
mod semantics;
mod site;
mod target;

pub use cache::CacheControl;
pub use config::{AllowOrigin, ConfigError, CorsPolicy, OriginConfig};
pub use etag::{EntityTag, EntityTagError};
pub use field::FieldValue;
pub use origin::{Answer, Origin, Output, RequestId};
pub use package::{PackageSite, PackageSiteConfig, PackageView};
pub use request::{ByteRange, Method, RangeError, Request};
pub use response::{
    AccessControl, Body, ContentRange, HeadFields, HeaderFieldError, Response, reason_phrase,
};
pub use router::{Route, RouteError, Router};
pub use site::{ChunkState, Decision, Site, SiteRequest};
pub use target::{PathPolicy, PercentDecoding, Target, TargetError};
