//! [`PackageSite`]: a packaging store served over HTTP, with the views
//! (HLS, DASH, ...) that write its manifests.

use std::time::{Duration, Instant};

use streamkit_core::package::Package;

use crate::cache::CacheControl;
use crate::response::Response;
use crate::site::{ChunkState, Decision, Site, SiteRequest};

/// What a view over a package answers: its own names (manifests), and the
/// requests it holds for the package's resources to come.
pub trait PackageView: Send {
    /// The decision for `request`, or `None` to leave it to the package
    /// (its resources, else `404`).
    fn decide(
        &mut self,
        now: Instant,
        package: &Package,
        request: &SiteRequest<'_>,
    ) -> Option<Decision<String>>;
}

/// How a [`PackageSite`] serves the package's own resources.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct PackageSiteConfig {
    /// A segment streamed while it is being made is cut off when it is
    /// not complete this long after the request.
    pub stream_deadline: Duration,
    /// `Cache-Control` of a streamed segment (what a cache ends up with
    /// is the whole segment).
    pub stream_cache: CacheControl,
}

impl Default for PackageSiteConfig {
    /// Streams cut off after 30 s; cached for 60 s.
    fn default() -> Self {
        PackageSiteConfig {
            stream_deadline: Duration::from_secs(30),
            stream_cache: CacheControl::max_age(60),
        }
    }
}

/// A package and its views as one [`Site`].
///
/// A [`Package`] holds the init segments, segments and parts of a
/// presentation; a [`PackageView`] (streamkit-hls's playlists,
/// streamkit-dash's MPD, later Smooth and HDS manifests) answers the names
/// it owns: its manifests, and requests it holds until the package makes
/// what they wait for. Whatever no view claims is the package's:
///
/// - a complete resource (init segment, kept segment, part) is `200` with
///   [`CacheControl::Immutable`]: a name never changes its bytes;
/// - the segment being made is streamed chunk by chunk (one part per
///   chunk) as the package makes its parts, chunked transfer coding: what
///   a low-latency DASH client asks for; it is aborted if the package drops
///   it, or past [`PackageSiteConfig::stream_deadline`];
/// - anything else is `404`.
///
/// After every change of the package ([`Package::push`],
/// [`Package::finish`]) call [`Origin::handle_change`](crate::Origin::handle_change)
/// (or use [`Origin::change_site`](crate::Origin::change_site)), so held
/// requests and open streams see it.
///
/// ```
/// use std::time::Instant;
/// use bytes::Bytes;
/// use streamkit_core::mp4::Mp4File;
/// use streamkit_core::package::{Package, PackageConfig};
/// use streamkit_core::time::{MediaTime, Timescale};
/// use streamkit_origin::{Answer, Origin, OriginConfig, PackageSite, Request};
///
/// let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/fixtures/h264_aac.mp4");
/// let file = Mp4File::parse(Bytes::from(std::fs::read(path)?))?;
/// let mut package = Package::for_mp4(&file, PackageConfig::new(MediaTime::new(2, Timescale::SECONDS)))?;
/// for sample in file.samples() {
///     package.push(sample)?;
/// }
/// package.finish()?;
/// let site = PackageSite::new(package, Vec::new());
/// let mut origin = Origin::new(site, OriginConfig::default().with_base_path("/vod/a/"))?;
/// let Answer::Response(r) = origin.handle_request(Instant::now(), &Request::get("/vod/a/video/seg-0.m4s")) else {
///     unreachable!()
/// };
/// assert_eq!((r.status, r.content_type.as_deref()), (200, Some("video/mp4")));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct PackageSite {
    package: Package,
    views: Vec<Box<dyn PackageView>>,
    config: PackageSiteConfig,
}

impl core::fmt::Debug for PackageSite {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("PackageSite")
            .field("package", &self.package)
            .field("views", &self.views.len())
            .field("config", &self.config)
            .finish()
    }
}

impl PackageSite {
    /// `package` served with `views`, asked in this order.
    #[must_use]
    pub fn new(package: Package, views: Vec<Box<dyn PackageView>>) -> PackageSite {
        PackageSite {
            package,
            views,
            config: PackageSiteConfig::default(),
        }
    }

    /// The same with another configuration.
    #[must_use]
    pub fn with_config(mut self, config: PackageSiteConfig) -> PackageSite {
        self.config = config;
        self
    }

    /// The package.
    #[must_use]
    pub fn package(&self) -> &Package {
        &self.package
    }

    /// The package, to push samples into (call the origin's
    /// `handle_change` afterwards).
    pub fn package_mut(&mut self) -> &mut Package {
        &mut self.package
    }

    /// Adds a view, asked after the others.
    pub fn add_view(&mut self, view: Box<dyn PackageView>) {
        self.views.push(view);
    }
}

impl Site for PackageSite {
    type Resource = String;

    fn decide(&mut self, now: Instant, request: &SiteRequest<'_>) -> Decision<String> {
        for view in &mut self.views {
            if let Some(d) = view.decide(now, &self.package, request) {
                return d;
            }
        }
        match self.package.resource(request.path) {
            Some(r) if r.complete => Decision::Respond(Response::ok(
                r.content_type,
                CacheControl::Immutable,
                r.chunks.body(),
            )),
            Some(r) => Decision::Stream {
                head: Response::ok(r.content_type, self.config.stream_cache, Default::default()),
                resource: request.path.to_owned(),
                deadline: request.arrived + self.config.stream_deadline,
            },
            None => Decision::Respond(Response::empty(404)),
        }
    }

    fn chunk(&self, resource: &String, index: usize) -> ChunkState {
        match self.package.resource(resource) {
            None => ChunkState::Gone,
            Some(r) => match r.chunks.get(index) {
                Some(chunk) => ChunkState::Ready(chunk.clone()),
                None if r.complete => ChunkState::End,
                None => ChunkState::Pending,
            },
        }
    }
}
