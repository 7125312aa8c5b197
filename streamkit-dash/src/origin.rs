//! DASH on the origin: the MPD of a [`Presentation`] answered over a
//! packaging store, the time for UTCTiming, and requests for segments due
//! shortly held until the package makes them.
//!
//! A [`DashView`] is a [`PackageView`]: mount it on a
//! [`PackageSite`](streamkit_origin::PackageSite) (beside an HLS view of
//! the same package) and serve the site with a [`streamkit_origin::Origin`].
//! The package's segments are the site's to serve: complete ones at once,
//! the one being made chunk by chunk as its parts come (low-latency DASH).
//!
//! # What it answers
//!
//! - The MPD (`manifest.mpd` by default): static for VOD; dynamic for live,
//!   with `@publishTime` the wall-clock time it was made (once per package
//!   version). ETag of its bytes; `no-cache` for a live MPD (revalidated:
//!   `304` while unchanged), one minute for a static one.
//! - The time (`time` by default, when the view has a wall clock): an
//!   `xs:dateTime` of the wall clock at the request, `no-store`, for the
//!   MPD's `UTCTiming`.
//! - A segment of a listed rendition that the package has not made yet
//!   but will shortly (the next sequence number, while the stream goes
//!   on) is held until it exists (then served, streamed if still being
//!   made), or `404` after two target durations: a client whose clock runs
//!   a little early is answered when the segment exists instead of with a
//!   `404` it would retry on. A segment further ahead, or of a finished
//!   package, is `404` at once.
//!
//! ```
//! use std::time::{Duration, Instant};
//! use bytes::Bytes;
//! use streamkit_core::clock::{UnixTime, WallClock};
//! use streamkit_core::mp4::Mp4File;
//! use streamkit_core::package::{Package, PackageConfig};
//! use streamkit_core::time::{MediaTime, Timescale};
//! use streamkit_dash::origin::DashView;
//! use streamkit_dash::presentation::{Presentation, PresentationConfig};
//! use streamkit_origin::{Answer, Origin, OriginConfig, PackageSite, Request};
//!
//! let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/fixtures/h264_aac.mp4");
//! let file = Mp4File::parse(Bytes::from(std::fs::read(path)?))?;
//! let config = PackageConfig::new(MediaTime::new(2, Timescale::SECONDS)).with_window(8);
//! let mut package = Package::for_mp4(&file, config)?;
//! let t0 = Instant::now(); // a virtual clock in tests
//! let wall = WallClock::new(t0, UnixTime::from_unix_millis(1_700_000_000_000));
//! package.set_wall_clock(MediaTime::zero(package.reference_timescale()), wall.unix);
//! let dash = DashView::new(Presentation::new(&package, PresentationConfig::live(Duration::from_secs(2)))?)
//!     .with_wall_clock(wall);
//! let site = PackageSite::new(package, vec![Box::new(dash)]);
//! let mut origin = Origin::new(site, OriginConfig::default().with_base_path("/live/a/"))?;
//!
//! // The time for UTCTiming.
//! let Answer::Response(r) = origin.handle_request(t0, &Request::get("/live/a/time")) else { unreachable!() };
//! assert_eq!(r.status, 200);
//! // The first segment, asked for early, is held until it is made.
//! let Answer::Pending(id) = origin.handle_request(t0, &Request::get("/live/a/video/seg-0.m4s")) else {
//!     unreachable!()
//! };
//! # let _ = id;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::time::{Duration, Instant};

use bytes::Bytes;
use streamkit_core::buffer::BufferList;
use streamkit_core::clock::WallClock;
use streamkit_core::package::Package;
use streamkit_origin::{CacheControl, Decision, EntityTag, PackageView, Response, SiteRequest};

use crate::presentation::{CONTENT_TYPE_MPD, Presentation, PresentationKind};

/// Content type of the UTCTiming resource.
pub const CONTENT_TYPE_TIME: &str = "text/plain";

/// Cache lifetime of a static MPD.
const STATIC_MAX_AGE: u32 = 60;

/// A DASH MPD over a package; see the [module documentation](self).
pub struct DashView {
    presentation: Presentation,
    wall_clock: Option<WallClock>,
    time_name: Option<String>,
    rendered: Option<(u64, Bytes, EntityTag)>,
}

impl core::fmt::Debug for DashView {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("DashView")
            .field("presentation", &self.presentation)
            .field("wall_clock", &self.wall_clock)
            .field("time_name", &self.time_name)
            .finish_non_exhaustive()
    }
}

fn error(status: u16) -> Decision<String> {
    Decision::Respond(Response::empty(status))
}

impl DashView {
    /// A view answering `presentation`'s MPD. A live presentation needs a
    /// wall clock ([`DashView::with_wall_clock`]) for `@publishTime` and
    /// the time resource.
    #[must_use]
    pub fn new(presentation: Presentation) -> DashView {
        DashView {
            presentation,
            wall_clock: None,
            time_name: Some("time".into()),
            rendered: None,
        }
    }

    /// The same with the link from the monotonic clock to the wall clock.
    #[must_use]
    pub fn with_wall_clock(mut self, wall_clock: WallClock) -> DashView {
        self.wall_clock = Some(wall_clock);
        self
    }

    /// The same serving the time at `name` (relative to the site), or not
    /// at all.
    #[must_use]
    pub fn with_time_name(mut self, name: Option<String>) -> DashView {
        self.time_name = name;
        self
    }

    /// Follows an adjustment of the wall clock.
    pub fn set_wall_clock(&mut self, wall_clock: WallClock) {
        self.wall_clock = Some(wall_clock);
    }

    /// The presentation.
    #[must_use]
    pub fn presentation(&self) -> &Presentation {
        &self.presentation
    }

    fn manifest(&mut self, now: Instant, package: &Package) -> Decision<String> {
        let version = package.version();
        if self.rendered.as_ref().is_none_or(|r| r.0 != version) {
            let wall = self
                .wall_clock
                .map_or(streamkit_core::clock::UnixTime::EPOCH, |w| w.at(now));
            let Ok(text) = self.presentation.write(package, wall) else {
                return error(503);
            };
            let bytes = Bytes::from(text);
            let etag = EntityTag::of_bytes(&bytes);
            self.rendered = Some((version, bytes, etag));
        }
        let Some((_, bytes, etag)) = &self.rendered else {
            return error(500);
        };
        let cache = match self.presentation.config().kind {
            PresentationKind::Vod => CacheControl::max_age(STATIC_MAX_AGE),
            PresentationKind::Live(_) => CacheControl::NoCache,
        };
        Decision::Respond(
            Response::ok(CONTENT_TYPE_MPD, cache, BufferList::from(bytes.clone()))
                .with_etag(etag.clone()),
        )
    }
}

impl PackageView for DashView {
    fn decide(
        &mut self,
        now: Instant,
        package: &Package,
        request: &SiteRequest<'_>,
    ) -> Option<Decision<String>> {
        if request.path == self.presentation.manifest_name() {
            return Some(self.manifest(now, package));
        }
        if self.time_name.as_deref() == Some(request.path) {
            let wall = self.wall_clock?;
            let text = wall.at(now).to_rfc3339_millis();
            return Some(Decision::Respond(Response::ok(
                CONTENT_TYPE_TIME,
                CacheControl::NoStore,
                BufferList::from(Bytes::from(text)),
            )));
        }
        let PresentationKind::Live(_) = self.presentation.config().kind else {
            return None;
        };
        if package.is_finished() || package.resource(request.path).is_some() {
            return None;
        }
        let (_, sequence) = self.presentation.segment_of(package, request.path)?;
        // Due shortly: the segment being made (its rendition has no part in
        // it yet) or the next one.
        let open = package.open_segment().map(|o| o.sequence);
        let next = package.next_sequence();
        if sequence != next && Some(sequence) != open && sequence != next + 1 {
            return None;
        }
        let target = package
            .config()
            .target_duration
            .to_duration()
            .unwrap_or(Duration::from_secs(2));
        Some(Decision::Hold {
            deadline: request.arrived + 2 * target,
            on_expiry: Response::empty(404),
        })
    }
}
