//! HLS on the origin: the playlists of a [`Presentation`] answered over a
//! packaging store, with low-latency HLS blocking requests held until the
//! package makes what they wait for.
//!
//! An [`HlsView`] is a [`PackageView`]: mount it on a
//! [`PackageSite`](streamkit_origin::PackageSite) beside other views (a DASH
//! MPD over the same package) and serve the site with a
//! [`streamkit_origin::Origin`], which applies HTTP's rules (path policy,
//! HEAD, ranges, conditional GET, CORS) and owns the held requests. The
//! view answers its playlists and holds what LL-HLS asks it to hold; the
//! package's segments, parts and init segments are the site's to serve.
//!
//! # What it answers
//!
//! - The multivariant playlist and each media playlist, as of the
//!   package's current state (rendered once per package version).
//! - Blocking playlist reload (draft-pantos-hls-rfc8216bis section
//!   6.2.5.2): `_HLS_msn=M` holds the request until the playlist has
//!   segment `M`; with `_HLS_part=N`, until it has part `N` of segment `M`
//!   (a part index beyond a complete segment's last part means part 0 of
//!   the next). `_HLS_part` without `_HLS_msn`, an `M` beyond the last
//!   segment plus two, or an `N` beyond the last part by the Advance Part
//!   Limit (3 / PART-TARGET for targets under a second, else 3) is `400`.
//!   A request still held three target durations after it came gets
//!   `503 Service Unavailable`. Once the playlist has EXT-X-ENDLIST the
//!   directives are ignored.
//! - Playlist Delta Updates (section 6.2.5.1): `_HLS_skip=YES` or `v2`
//!   answers with EXT-X-SKIP in place of the segments older than
//!   CAN-SKIP-UNTIL; ignored when the playlist has no CAN-SKIP-UNTIL or has
//!   EXT-X-ENDLIST.
//! - Preload hints (section 6.2.6): a request for the part a media
//!   playlist hints is held until the part exists; if the playlist stops
//!   hinting it without the package making it (the segment ended first),
//!   `404`; after three target durations, `503`.
//! - Malformed query values (not decimal, too large, duplicated, an
//!   `_HLS_skip` other than `YES` or `v2`) are `400`.
//!
//! # Caching
//!
//! Rules for caches in front of the origin (a CDN edge, nginx
//! `proxy_cache`), which key each answer by its whole URL, query
//! included. Playlists carry an ETag of their bytes. A playlist of a
//! finished presentation (EXT-X-ENDLIST): `max-age` of one minute (its
//! file may be packaged again; segments and parts, which never change under
//! their name, are immutable). A live media playlist without delivery
//! directives changes with every part: it is fresh for less than a part
//! target (whole seconds below it, so `max-age=0` for parts under a
//! second: a cache revalidates it with the ETag every time), and for half a
//! target duration when the playlist has no parts. A blocking-reload (or
//! delta) answer names a fixed state of the playlist, keyed by its query:
//! it may be cached for as long as its segments stay relevant, six target
//! durations, so a cache that coalesces requests (`proxy_cache_lock`)
//! sends the origin one request per new part however many clients wait
//! for it. A live multivariant playlist: one target duration (its bit
//! rates are measured as the stream goes). Errors: `no-store`.
//!
//! ```
//! use std::time::{Duration, Instant};
//! use bytes::Bytes;
//! use streamkit_core::mp4::Mp4File;
//! use streamkit_core::package::{Package, PackageConfig};
//! use streamkit_core::time::{MediaTime, Timescale};
//! use streamkit_hls::origin::HlsView;
//! use streamkit_hls::presentation::{Presentation, PresentationConfig};
//! use streamkit_origin::{Answer, Origin, OriginConfig, Output, PackageSite, Request};
//!
//! let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/fixtures/h264_aac.mp4");
//! let file = Mp4File::parse(Bytes::from(std::fs::read(path)?))?;
//! let config = PackageConfig::new(MediaTime::new(2, Timescale::SECONDS))
//!     .with_part_target(MediaTime::new(500, Timescale::MILLIS))
//!     .with_window(8);
//! let package = Package::for_mp4(&file, config)?;
//! let hls = HlsView::new(Presentation::new(&package, PresentationConfig::live(6))?);
//! let site = PackageSite::new(package, vec![Box::new(hls)]);
//! let mut origin = Origin::new(site, OriginConfig::default().with_base_path("/live/a/"))?;
//! let t0 = Instant::now(); // a virtual clock in tests
//!
//! // Segment 0 is not made yet: a blocking reload for it is held...
//! let request = Request::get("/live/a/video/index.m3u8?_HLS_msn=0");
//! let Answer::Pending(id) = origin.handle_request(t0, &request) else { unreachable!() };
//! // ...until the package makes it.
//! let mut samples = file.samples();
//! while origin.poll_output().is_none() {
//!     let sample = samples.next().ok_or("no segment")?;
//!     origin.change_site(t0 + Duration::from_secs(1), |site| site.package_mut().push(sample))?;
//! }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::time::{Duration, Instant};

use bytes::Bytes;
use streamkit_core::buffer::BufferList;
use streamkit_core::package::Package;
use streamkit_origin::{CacheControl, Decision, EntityTag, PackageView, Response, SiteRequest};

use crate::playlist::{MediaPlaylist, SkipRequest};
use crate::presentation::{CONTENT_TYPE_PLAYLIST, PlaylistName, Presentation};

/// Cache lifetime of the playlists of a finished presentation.
const FINISHED_MAX_AGE: u32 = 60;

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

/// How long a live media playlist without delivery directives stays
/// fresh, in whole seconds: less than a part target (it changes with every
/// part), or half a target duration without parts.
fn live_freshness(playlist: &MediaPlaylist) -> u32 {
    let millis = match &playlist.part_inf {
        // Whole seconds strictly below the part target.
        Some(inf) => inf.part_target.as_millis().saturating_sub(1) / 1000,
        None => target(playlist).as_millis() / 2 / 1000,
    };
    u32::try_from(millis).unwrap_or(u32::MAX)
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

/// A rendered media playlist of one package version.
struct Rendered {
    version: u64,
    playlist: MediaPlaylist,
    full: Option<(Bytes, EntityTag)>,
    delta: Option<(Bytes, EntityTag)>,
}

/// HLS playlists over a package; see the [module documentation](self).
pub struct HlsView {
    presentation: Presentation,
    media: Vec<Option<Rendered>>,
    multivariant: Option<(u64, Bytes, EntityTag)>,
}

impl core::fmt::Debug for HlsView {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("HlsView")
            .field("presentation", &self.presentation)
            .finish_non_exhaustive()
    }
}

fn error(status: u16) -> Decision<String> {
    Decision::Respond(Response::empty(status))
}

impl HlsView {
    /// A view answering `presentation`'s playlists.
    #[must_use]
    pub fn new(presentation: Presentation) -> HlsView {
        let media = (0..presentation.renditions().len()).map(|_| None).collect();
        HlsView {
            presentation,
            media,
            multivariant: None,
        }
    }

    /// The presentation.
    #[must_use]
    pub fn presentation(&self) -> &Presentation {
        &self.presentation
    }

    /// Rendition `index`'s media playlist as of `package`'s version.
    fn media(&mut self, package: &Package, index: usize) -> Option<&mut Rendered> {
        let version = package.version();
        let slot = self.media.get_mut(index)?;
        if slot.as_ref().is_none_or(|r| r.version != version) {
            *slot = Some(Rendered {
                version,
                playlist: self.presentation.media_playlist(package, index)?,
                full: None,
                delta: None,
            });
        }
        slot.as_mut()
    }

    fn media_playlist(
        &mut self,
        package: &Package,
        index: usize,
        request: &SiteRequest<'_>,
    ) -> Decision<String> {
        let Some(d) = parse_query(request.query) else {
            return error(400);
        };
        if d.part.is_some() && d.msn.is_none() {
            return error(400);
        }
        let Some(rendered) = self.media(package, index) else {
            return error(404);
        };
        let playlist = &rendered.playlist;
        if playlist.end_list {
            return playlist_response(rendered, None, false);
        }
        let Some(msn) = d.msn else {
            return playlist_response(rendered, d.skip.as_ref(), false);
        };
        let next = playlist.next_media_sequence();
        // The last segment's sequence number plus two.
        if msn > next.saturating_add(1) {
            return error(400);
        }
        if let (Some(part), Some(inf), true) = (d.part, &playlist.part_inf, msn == next) {
            let listed = playlist
                .partial_segment
                .as_ref()
                .map_or(0, |p| p.parts.len() as u64);
            let target_ms = inf.part_target.as_millis().max(1);
            let limit = if target_ms < 1000 {
                3000u128.div_ceil(target_ms) as u64
            } else {
                3
            };
            // The last listed part's index is listed - 1.
            if part >= listed.saturating_add(limit) {
                return error(400);
            }
        }
        if satisfied(playlist, msn, d.part) {
            return playlist_response(rendered, d.skip.as_ref(), true);
        }
        Decision::Hold {
            deadline: request.arrived + 3 * target(playlist),
            on_expiry: Response::empty(503),
        }
    }

    fn multivariant_playlist(&mut self, package: &Package) -> Decision<String> {
        let version = package.version();
        if self.multivariant.as_ref().is_none_or(|m| m.0 != version) {
            let Ok(bytes) = self.presentation.multivariant_playlist(package).to_bytes() else {
                return error(500);
            };
            let etag = EntityTag::of_bytes(&bytes);
            self.multivariant = Some((version, bytes, etag));
        }
        let Some((_, bytes, etag)) = &self.multivariant else {
            return error(500);
        };
        let cache = if package.is_finished() {
            CacheControl::max_age(FINISHED_MAX_AGE)
        } else {
            CacheControl::max_age(
                u32::try_from(self.presentation.target_seconds(package)).unwrap_or(u32::MAX),
            )
        };
        Decision::Respond(
            Response::ok(
                CONTENT_TYPE_PLAYLIST,
                cache,
                BufferList::from(bytes.clone()),
            )
            .with_etag(etag.clone()),
        )
    }

    /// The target duration of the media playlist that hints `name`, if
    /// one does.
    fn hint_target(&mut self, package: &Package, name: &str) -> Option<Duration> {
        for index in 0..self.media.len() {
            let dir = self.presentation.media_playlist_dir(index)?.to_owned();
            let Some(file) = name.strip_prefix(dir.as_str()) else {
                continue;
            };
            let rendered = self.media(package, index)?;
            if rendered
                .playlist
                .preload_hints
                .iter()
                .any(|h| h.uri == file)
            {
                return Some(target(&rendered.playlist));
            }
        }
        None
    }
}

impl PackageView for HlsView {
    fn decide(
        &mut self,
        _now: Instant,
        package: &Package,
        request: &SiteRequest<'_>,
    ) -> Option<Decision<String>> {
        match self.presentation.playlist(request.path) {
            Some(PlaylistName::Multivariant) => return Some(self.multivariant_playlist(package)),
            Some(PlaylistName::Media(index)) => {
                return Some(self.media_playlist(package, index, request));
            }
            None => {}
        }
        // A hinted part not made yet is held until it exists (then the
        // package serves it) or is hinted no more (404).
        if package.resource(request.path).is_some() {
            return None;
        }
        self.presentation
            .resource_rendition(package, request.path)?;
        let target = self.hint_target(package, request.path)?;
        Some(Decision::Hold {
            deadline: request.arrived + 3 * target,
            on_expiry: Response::empty(503),
        })
    }
}

fn playlist_response(
    rendered: &mut Rendered,
    skip: Option<&SkipRequest>,
    blocking: bool,
) -> Decision<String> {
    let playlist = &rendered.playlist;
    let until = playlist
        .server_control
        .as_ref()
        .and_then(|s| s.can_skip_until);
    let delta = matches!((skip, until), (Some(_), Some(_))) && !playlist.end_list;
    // Delta updates of the v2 kind carry the request's own removed
    // date ranges: made per request, not kept.
    let mut one_off = None;
    let slot = if matches!(skip, Some(SkipRequest::SegmentsAndDateRanges { .. })) && delta {
        &mut one_off
    } else if delta {
        &mut rendered.delta
    } else {
        &mut rendered.full
    };
    if slot.is_none() {
        let bytes = match (skip, until) {
            (Some(request), Some(until)) if delta => playlist
                .delta_update(until, request)
                .ok()
                .and_then(|d| d.to_bytes().ok()),
            _ => playlist.to_bytes().ok(),
        };
        let Some(bytes) = bytes else {
            return error(500);
        };
        let etag = EntityTag::of_bytes(&bytes);
        *slot = Some((bytes, etag));
    }
    let Some((bytes, etag)) = slot.as_ref() else {
        return error(500);
    };
    let cache = if playlist.end_list {
        CacheControl::max_age(FINISHED_MAX_AGE)
    } else if blocking {
        CacheControl::max_age(u32::try_from(6 * target(playlist).as_secs()).unwrap_or(u32::MAX))
    } else {
        CacheControl::max_age(live_freshness(playlist))
    };
    Decision::Respond(
        Response::ok(
            CONTENT_TYPE_PLAYLIST,
            cache,
            BufferList::from(bytes.clone()),
        )
        .with_etag(etag.clone()),
    )
}
