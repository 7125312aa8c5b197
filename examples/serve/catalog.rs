//! What the server serves: for each input file, streamkit-hls origins
//! mounted under `/vod/NAME/` (fMP4), `/vod/NAME/ts/` (MPEG-TS) and
//! `/live/NAME/` (the looped live channel, LL-HLS).
//!
//! VOD is packaged once, at start-up, by streamkit-hls's `Packager`, and
//! every event goes to the mount's `Origin`; the live channel's packager
//! runs in its own task (see `live`). A request path is looked up by the
//! origins among the names the packager gave: it is never a file-system
//! path.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use streamkit::core::mp4::Mp4File;
use streamkit::core::time::{MediaTime, Timescale};
use streamkit::dash::packager::{CONTENT_TYPE_MPD, VodEvent, VodPackager, VodPackagerConfig};
use streamkit::hls::origin::{Origin, OriginConfig};
use streamkit::hls::packager::{Packager, PackagerConfig, SegmentFormat};

use crate::live::{self, DashLive, LivePump, LoopedFile};
use crate::mount::{DashMount, Mount};
use streamkit::dash::live::LivePackager;
use streamkit::dash::origin::{Origin as DashOrigin, OriginConfig as DashOriginConfig};

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

/// A live channel still to be started on the runtime.
pub(crate) struct LiveChannel {
    pump: LivePump,
}

impl LiveChannel {
    /// Starts the channel's encoder clock and packager.
    pub(crate) fn spawn(self) {
        tokio::spawn(self.pump.run());
    }
}

/// Every stream and every mount.
pub(crate) struct Catalog {
    pub(crate) streams: Vec<Stream>,
    /// Longest prefix first, so `/vod/NAME/ts/` wins over `/vod/NAME/`.
    mounts: Vec<Arc<Mount>>,
    /// The live DASH origins, at the same prefixes as the live HLS ones.
    dash_mounts: Vec<Arc<DashMount>>,
    pub(crate) streams_json: Bytes,
    /// Whole documents at exact paths: the DASH MPDs.
    documents: HashMap<String, (&'static str, Bytes)>,
}

impl Catalog {
    /// Packages every file; fails on the first that does not open or
    /// package. `max_held` bounds the requests each live origin holds.
    pub(crate) fn package(
        files: &[PathBuf],
        epoch: Instant,
        wall_at_epoch: Duration,
        max_held: usize,
    ) -> Result<(Catalog, Vec<LiveChannel>), String> {
        // Media time zero of the live channels, in whole milliseconds as
        // the MPD writes it.
        let ast = Duration::from_millis(
            u64::try_from(wall_at_epoch.saturating_sub(live::PREROLL).as_millis()).unwrap_or(0),
        );
        let mut catalog = Catalog {
            streams: Vec::new(),
            mounts: Vec::new(),
            dash_mounts: Vec::new(),
            streams_json: Bytes::new(),
            documents: HashMap::new(),
        };
        let mut channels = Vec::new();
        for path in files {
            let name = catalog.unique_name(path);
            let data =
                std::fs::read(path).map_err(|e| format!("reading {}: {e}", path.display()))?;
            let file = Mp4File::parse(Bytes::from(data))
                .map_err(|e| format!("{}: {e}", path.display()))?;
            let fmp4 = format!("/vod/{name}/");
            let ts = format!("/vod/{name}/ts/");
            let live = format!("/live/{name}/");
            for (format, prefix) in [(SegmentFormat::Fmp4, &fmp4), (SegmentFormat::Ts, &ts)] {
                let mount = package_vod(&file, format, prefix, epoch)
                    .map_err(|e| format!("{}: {e}", path.display()))?;
                if format == SegmentFormat::Fmp4 {
                    let mpd = package_dash_vod(&file, &mount)
                        .map_err(|e| format!("{}: DASH: {e}", path.display()))?;
                    catalog
                        .documents
                        .insert(format!("{fmp4}manifest.mpd"), (CONTENT_TYPE_MPD, mpd));
                }
                catalog.mounts.push(mount);
            }
            let mut config = OriginConfig::default().with_base_path(live.clone());
            config.max_held = max_held;
            let mount = Mount::new(live.clone(), Origin::new(config), epoch);
            let packager = Packager::for_mp4(&file, live::packager_config())
                .map_err(|e| format!("{}: {e}", path.display()))?;
            let source = LoopedFile::new(&file).map_err(|e| format!("{}: {e}", path.display()))?;
            catalog.mounts.push(mount.clone());
            let dash_config = live::dash_config(ast, &format!("{live}time"));
            let dash = match LivePackager::for_mp4(&file, dash_config) {
                Ok(packager) => {
                    let origin =
                        DashOrigin::new(DashOriginConfig::default().with_base_path(live.clone()));
                    let mount = DashMount::new(live.clone(), origin, epoch, wall_at_epoch);
                    catalog.dash_mounts.push(mount.clone());
                    Some(DashLive { mount, packager })
                }
                Err(e) => {
                    tracing::warn!("{}: no live DASH: {e}", path.display());
                    None
                }
            };
            let has_dash = dash.is_some();
            let mut pump = LivePump::new(mount, packager, dash, source);
            // The preroll: the channel has segments from the first request on.
            pump.catch_up()
                .map_err(|e| format!("{}: {e}", path.display()))?;
            channels.push(LiveChannel { pump });
            let mut entry_points = vec![
                ("HLS fMP4", format!("{fmp4}master.m3u8"), false),
                ("HLS MPEG-TS", format!("{ts}master.m3u8"), false),
                ("DASH", format!("{fmp4}manifest.mpd"), false),
                ("LL-HLS live", format!("{live}master.m3u8"), true),
            ];
            if has_dash {
                entry_points.push(("LL-DASH live", format!("{live}manifest.mpd"), true));
            }
            catalog.streams.push(Stream {
                entry_points,
                name,
                source: path.clone(),
            });
        }
        catalog
            .mounts
            .sort_by_key(|m| std::cmp::Reverse(m.prefix.len()));
        catalog.streams_json = Bytes::from(catalog.to_json());
        Ok((catalog, channels))
    }

    /// The document at exactly `path`.
    pub(crate) fn document(&self, path: &str) -> Option<&(&'static str, Bytes)> {
        self.documents.get(path)
    }

    /// The live DASH origin that answers `path`: its MPD, its time and its
    /// files (named `dash-...`); other paths under `/live/NAME/` are HLS's.
    pub(crate) fn dash_mount_for(&self, path: &str) -> Option<&Arc<DashMount>> {
        self.dash_mounts.iter().find(|m| {
            path.strip_prefix(&m.prefix).is_some_and(|name| {
                name == "manifest.mpd"
                    || name == "time"
                    || name
                        .rsplit('/')
                        .next()
                        .is_some_and(|f| f.starts_with("dash-"))
            })
        })
    }

    /// The mount whose prefix starts `path`.
    pub(crate) fn mount_for(&self, path: &str) -> Option<&Arc<Mount>> {
        self.mounts.iter().find(|m| path.starts_with(&m.prefix))
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
    /// "rtp": "/rtp/NAME.sdp?dest=127.0.0.1:PORT"}]`;
    /// names and paths are in `[A-Za-z0-9_./-]`, so nothing needs escaping.
    fn to_json(&self) -> String {
        let streams: Vec<String> = self
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
                    r#"{{"name":"{}","entry_points":[{}],"rtp":"/rtp/{}.sdp?dest=127.0.0.1:{RTP_EXAMPLE_PORT}"}}"#,
                    s.name,
                    entries.join(","),
                    s.name
                )
            })
            .collect();
        format!("[{}]", streams.join(","))
    }
}

/// Packages `file` as VOD into a new origin mounted at `prefix`.
fn package_vod(
    file: &Mp4File,
    format: SegmentFormat,
    prefix: &str,
    epoch: Instant,
) -> Result<Arc<Mount>, String> {
    let config = PackagerConfig::vod(format, MediaTime::new(SEGMENT_SECONDS, Timescale::SECONDS));
    let mut packager = Packager::for_mp4(file, config).map_err(|e| e.to_string())?;
    let mount = Mount::new(
        prefix.to_owned(),
        Origin::new(OriginConfig::default().with_base_path(prefix)),
        epoch,
    );
    let now = Duration::ZERO;
    mount.with(|s| -> Result<(), String> {
        for sample in file.samples() {
            packager.push(sample).map_err(|e| e.to_string())?;
            while let Some(event) = packager.poll() {
                s.handle_event(event, now);
            }
        }
        packager.finish().map_err(|e| e.to_string())?;
        while let Some(event) = packager.poll() {
            s.handle_event(event, now);
        }
        Ok(())
    })?;
    Ok(mount)
}

/// Packages `file` as DASH VOD and returns its MPD. The MPD references
/// the same CMAF files as the HLS fMP4 renditions in `hls` (streamkit-dash
/// and streamkit-hls name and cut them alike); each one is checked against
/// what `hls` serves under that name, so the MPD never points at other
/// bytes than its packager made.
fn package_dash_vod(file: &Mp4File, hls: &Mount) -> Result<Bytes, String> {
    let config = VodPackagerConfig::new(MediaTime::new(SEGMENT_SECONDS, Timescale::SECONDS));
    let mut packager = VodPackager::for_mp4(file, config).map_err(|e| e.to_string())?;
    let mut mpd = None;
    let mut check = |event: VodEvent| -> Result<(), String> {
        let (name, body) = match event {
            VodEvent::Init(r) => (r.name, r.bytes),
            VodEvent::Segment(s) => (s.resource.name, s.resource.bytes),
            VodEvent::Manifest { text, .. } => {
                mpd = Some(Bytes::from(text));
                return Ok(());
            }
            _ => return Ok(()),
        };
        let served = hls.body_now(&name);
        if served.as_ref() != Some(&body.to_bytes()) {
            return Err(format!("{name} differs from the HLS rendition's"));
        }
        Ok(())
    };
    for sample in file.samples() {
        packager.push(sample).map_err(|e| e.to_string())?;
        while let Some(event) = packager.poll() {
            check(event)?;
        }
    }
    packager.finish().map_err(|e| e.to_string())?;
    while let Some(event) = packager.poll() {
        check(event)?;
    }
    mpd.ok_or_else(|| "the packager made no MPD".to_owned())
}
