//! What the server serves: for each input file, one origin at
//! `/vod/NAME/` over one package (CMAF per track and one muxed MPEG-TS
//! rendition; HLS fMP4 at `master.m3u8`, HLS MPEG-TS at `ts/master.m3u8`,
//! DASH at `manifest.mpd`), and one at `/live/NAME/` over the live
//! channel's package (LL-HLS and LL-DASH).
//!
//! A file that cannot be read or packaged is left out with a one-line
//! reason; the others are served. A request path is looked up by the
//! origins among the names the packages made: it is never a file-system
//! path.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use bytes::Bytes;
use streamkit::core::live::LoopedSource;
use streamkit::core::package::{Container, PackageConfig, RenditionSpec};
use streamkit::core::time::{MediaTime, Timescale};
use streamkit::dash::origin::DashView;
use streamkit::dash::presentation::{Presentation as Dash, PresentationConfig as DashConfig};
use streamkit::hls::origin::HlsView;
use streamkit::hls::presentation::{
    Presentation as Hls, PresentationConfig as HlsConfig, RenditionSelection,
};
use streamkit::origin::{Origin, OriginConfig, PackageSite, Router};

use crate::live::{self, LiveHub, LoopedChannel};
use crate::media_file::MediaFile;
use crate::mount::{COALESCE_BELOW, Mount};

/// How long VOD segments are at least (they end at the next keyframe).
const SEGMENT_SECONDS: i64 = 2;
/// The port the page's RTP command uses (RTP's customary one, even; the
/// player picks its own).
const RTP_EXAMPLE_PORT: u16 = 5004;

/// One input file and the URL paths of its entry points.
pub(crate) struct Stream {
    /// The name in the URLs: the file's stem, in `[A-Za-z0-9_-]`.
    pub(crate) name: String,
    pub(crate) source: PathBuf,
    /// `(what, path, live)` of each entry point.
    pub(crate) entry_points: Vec<(&'static str, String, bool)>,
}

/// Every file's stream and mounts, and the live streams.
pub(crate) struct Catalog {
    pub(crate) streams: Vec<Stream>,
    /// The VOD mounts.
    pub(crate) mounts: Router<Arc<Mount>>,
    /// Every live stream (the looped files' and any ingest's).
    pub(crate) live: Arc<LiveHub>,
    /// Where RTSP listens, once bound (for the page's RTSP URLs).
    pub(crate) rtsp: std::sync::OnceLock<std::net::SocketAddr>,
    /// Where RTSPS listens, once it does.
    pub(crate) rtsps: std::sync::OnceLock<std::net::SocketAddr>,
}

/// A file left out, and why.
pub(crate) struct LeftOut {
    pub(crate) file: PathBuf,
    pub(crate) reason: String,
}

impl Catalog {
    /// Packages every file that can be; `max_held` bounds the requests each
    /// origin keeps pending. Returns the catalog, the live channels to run
    /// and the files left out.
    pub(crate) fn package(
        files: &[PathBuf],
        now: Instant,
        live: Arc<LiveHub>,
        max_held: usize,
    ) -> (Catalog, Vec<LoopedChannel>, Vec<LeftOut>) {
        let mut catalog = Catalog {
            streams: Vec::new(),
            mounts: Router::new(),
            live,
            rtsp: std::sync::OnceLock::new(),
            rtsps: std::sync::OnceLock::new(),
        };
        let mut channels = Vec::new();
        let mut left_out = Vec::new();
        for path in files {
            let name = catalog.unique_name(path);
            match catalog.add(path, &name, now, max_held) {
                Ok(channel) => channels.push(channel),
                Err(reason) => left_out.push(LeftOut {
                    file: path.clone(),
                    reason,
                }),
            }
        }
        (catalog, channels, left_out)
    }

    /// Packages one file under `name`: its VOD mount and its live channel.
    fn add(
        &mut self,
        path: &Path,
        name: &str,
        now: Instant,
        max_held: usize,
    ) -> Result<LoopedChannel, String> {
        let data = std::fs::read(path).map_err(|e| format!("cannot read it: {e}"))?;
        // MP4 (progressive or fragmented, whole or cut short after its
        // moov) or MPEG-TS, by its bytes.
        let media = MediaFile::read(Bytes::from(data))?;
        tracing::info!("{}: {}", path.display(), media.container);
        let (tracks, shifts) = (media.tracks.clone(), media.shifts.clone());
        let warnings = media.warnings.clone();
        let vod = format!("/vod/{name}/");
        let live = format!("/live/{name}/");

        // VOD: one package, three presentations.
        let mut renditions = RenditionSpec::cmaf_per_track(&tracks);
        renditions.push(RenditionSpec::muxed("ts/main", Container::MpegTs, &tracks));
        let package_config =
            PackageConfig::new(MediaTime::new(SEGMENT_SECONDS, Timescale::SECONDS))
                .with_renditions(renditions)
                .with_coalescing(COALESCE_BELOW);
        let mut package = media.package(package_config).map_err(|e| e.to_string())?;
        for sample in media.samples.iter().cloned() {
            package.push(sample).map_err(|e| e.to_string())?;
        }
        package.finish().map_err(|e| e.to_string())?;
        while package.poll_event().is_some() {}
        // Immutable and kept as long as the server runs: sent from a file
        // by sendfile(2).
        #[cfg(target_os = "linux")]
        for (_, resource) in package.resources() {
            crate::zero_copy::record(&resource.chunks.body());
        }
        let fmp4 = Hls::new(
            &package,
            HlsConfig::vod().with_renditions(RenditionSelection::Container(Container::Cmaf)),
        )
        .map_err(|e| e.to_string())?;
        let ts = Hls::new(
            &package,
            HlsConfig::vod()
                .with_renditions(RenditionSelection::Container(Container::MpegTs))
                .with_multivariant("ts/master.m3u8"),
        )
        .map_err(|e| e.to_string())?;
        let dash = Dash::new(&package, DashConfig::vod()).map_err(|e| format!("DASH: {e}"))?;
        let site = PackageSite::new(
            package,
            vec![
                Box::new(HlsView::new(fmp4)),
                Box::new(HlsView::new(ts)),
                Box::new(DashView::new(dash)),
            ],
        );
        let config = OriginConfig::default()
            .with_base_path(vod.clone())
            .with_max_pending(max_held);
        let origin = Origin::new(site, config).map_err(|e| e.to_string())?;

        // Live: the file looped into a broadcast, as an encoder would send
        // it; its package is a subscriber.
        let source = LoopedSource::new(&tracks, media.samples).ok_or("the file lasts no time")?;
        let speed = self.live.looped_speed();
        let media_zero = now.checked_sub(live::PREROLL.div_f64(speed)).unwrap_or(now);
        let publisher = self.live.publish(
            now,
            live::PublishRequest {
                name,
                tracks,
                shifts: &shifts,
                media_zero,
                takeover: false,
                source: "looped file",
            },
        )?;
        let mut channel = LoopedChannel {
            source,
            publisher,
            media_zero,
            speed,
        };
        // The preroll: the channel has segments from the first request on.
        channel.catch_up(now)?;

        let mount = Mount::new(origin);
        tokio::spawn(mount.clone().run_timeouts());
        self.mounts
            .insert_prefix(&vod, mount)
            .map_err(|e| e.to_string())?;
        if !warnings.is_empty() {
            eprintln!(
                "serve: {}: {}; the rest is served",
                path.display(),
                warnings.join("; ")
            );
        }
        self.streams.push(Stream {
            name: name.to_owned(),
            source: path.to_owned(),
            entry_points: vec![
                ("HLS fMP4", format!("{vod}master.m3u8"), false),
                ("HLS MPEG-TS", format!("{vod}ts/master.m3u8"), false),
                ("DASH", format!("{vod}manifest.mpd"), false),
                ("LL-HLS live", format!("{live}master.m3u8"), true),
                ("LL-DASH live", format!("{live}manifest.mpd"), true),
            ],
        });
        Ok(channel)
    }

    /// The mount that answers `path`: a VOD one, or a live stream's.
    pub(crate) fn mount_for(&self, path: &str) -> Option<Arc<Mount>> {
        if let Some(rest) = path.strip_prefix("/live/") {
            // The longest live name the path starts with (names may hold
            // `/`, as stream keys do).
            return self
                .live
                .names()
                .into_iter()
                .filter(|(n, _)| {
                    rest.strip_prefix(n.as_str())
                        .is_some_and(|r| r.starts_with('/'))
                })
                .max_by_key(|(n, _)| n.len())
                .and_then(|(n, _)| self.live.mount(&n));
        }
        self.mounts.route(path).map(|r| r.value.clone())
    }

    fn unique_name(&self, path: &Path) -> String {
        let stem = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        let mut base: String = stem
            .chars()
            .take(64)
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        if base.is_empty() {
            base.push_str("stream");
        }
        let taken = |n: &str| self.streams.iter().any(|s| s.name == n);
        let mut name = base.clone();
        let mut n = 2;
        while taken(&name) {
            name = format!("{base}-{n}");
            n += 1;
        }
        name
    }

    /// `[{"name": ..., "entry_points": [{"kind": ..., "path": ..., "live": ...}],
    /// "rtp": "/rtp/NAME.sdp?dest=127.0.0.1:PORT", "rtsp": ["rtsp://..."]}]`, then the live streams
    /// no file feeds (ingests), as they are published; names and paths are
    /// in `[A-Za-z0-9_./-]`, so nothing needs escaping.
    /// `,"rtsp":["rtsp://ADDR/PATH",...,"rtsps://ADDR/PATH",...]` once
    /// RTSP listens (RTSPS's once it listens), else nothing.
    fn rtsp_json(&self, paths: &[String]) -> String {
        let Some(addr) = self.rtsp.get() else {
            return String::new();
        };
        let mut urls: Vec<String> = paths
            .iter()
            .map(|p| format!(r#""rtsp://{addr}/{p}""#))
            .collect();
        if let Some(tls) = self.rtsps.get() {
            urls.extend(paths.iter().map(|p| format!(r#""rtsps://{tls}/{p}""#)));
        }
        format!(r#","rtsp":[{}]"#, urls.join(","))
    }

    pub(crate) fn to_json(&self) -> String {
        let mut streams: Vec<String> = self
            .streams
            .iter()
            .map(|s| {
                let entries: Vec<String> = s
                    .entry_points
                    .iter()
                    .map(|(kind, path, live)| {
                        format!(r#"{{"kind":"{kind}","path":"{path}","live":{live}}}"#)
                    })
                    .collect();
                // PORT is the player's: the page shows it with an example
                // port, as a command, not a link.
                format!(
                    r#"{{"name":"{}","entry_points":[{}],"rtp":"/rtp/{}.sdp?dest=127.0.0.1:{RTP_EXAMPLE_PORT}"{}}}"#,
                    s.name,
                    entries.join(","),
                    s.name,
                    self.rtsp_json(&[format!("vod/{}", s.name), format!("live/{}", s.name)])
                )
            })
            .collect();
        for (name, source) in self.live.names() {
            if self.streams.iter().any(|s| s.name == name) {
                continue;
            }
            let live = format!("/live/{name}/");
            let rtsp = self.rtsp_json(&[format!("live/{name}")]);
            streams.push(format!(
                r#"{{"name":"{name}","source":"{source}","entry_points":[{{"kind":"LL-HLS live","path":"{live}master.m3u8","live":true}},{{"kind":"LL-DASH live","path":"{live}manifest.mpd","live":true}}]{rtsp}}}"#
            ));
        }
        format!("[{}]", streams.join(","))
    }
}
