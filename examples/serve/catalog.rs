//! What the server can answer: every resource the HLS packager made from
//! the input files, by URL path, in memory.
//!
//! The packaging is streamkit-hls's `Packager`; this module only runs it
//! over each file's samples and keeps the bytes of the resources its events
//! name, under `/vod/NAME/` (fMP4 renditions, also the segments a DASH
//! manifest would reference) and `/vod/NAME/ts/` (MPEG-TS). A request path
//! is looked up in this map as a whole: it is a name the packager gave,
//! never a file-system path.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use bytes::Bytes;
use streamkit::core::mp4::Mp4File;
use streamkit::core::time::{MediaTime, Timescale};
use streamkit::hls::packager::{
    CONTENT_TYPE_PLAYLIST, Packager, PackagerConfig, PackagerEvent, SegmentFormat,
};

/// How long VOD segments are at least (they end at the next keyframe).
const SEGMENT_SECONDS: i64 = 2;

/// One servable resource.
pub(crate) struct Resource {
    pub(crate) content_type: &'static str,
    pub(crate) body: Bytes,
}

/// One input file and the URL paths of its playlists.
pub(crate) struct Stream {
    /// The name in the URLs: the file's stem, in `[A-Za-z0-9_-]`.
    pub(crate) name: String,
    pub(crate) source: PathBuf,
    /// `(what, path)` of each entry point.
    pub(crate) entry_points: Vec<(&'static str, String)>,
}

/// Every stream and every resource, by URL path.
pub(crate) struct Catalog {
    pub(crate) streams: Vec<Stream>,
    resources: HashMap<String, Resource>,
}

impl Catalog {
    /// Packages every file; fails on the first file that does not open or
    /// package.
    pub(crate) fn package(files: &[PathBuf]) -> Result<Catalog, String> {
        let mut catalog = Catalog {
            streams: Vec::new(),
            resources: HashMap::new(),
        };
        for path in files {
            let name = catalog.unique_name(path);
            let data =
                std::fs::read(path).map_err(|e| format!("reading {}: {e}", path.display()))?;
            let file = Mp4File::parse(Bytes::from(data))
                .map_err(|e| format!("{}: {e}", path.display()))?;
            let fmp4 = format!("/vod/{name}/");
            let ts = format!("/vod/{name}/ts/");
            for (format, prefix) in [(SegmentFormat::Fmp4, &fmp4), (SegmentFormat::Ts, &ts)] {
                catalog
                    .package_vod(&file, format, prefix)
                    .map_err(|e| format!("{}: {e}", path.display()))?;
            }
            catalog.streams.push(Stream {
                entry_points: vec![
                    ("HLS fMP4", format!("{fmp4}master.m3u8")),
                    ("HLS MPEG-TS", format!("{ts}master.m3u8")),
                ],
                name,
                source: path.clone(),
            });
        }
        catalog.resources.insert(
            "/streams.json".into(),
            Resource {
                content_type: "application/json",
                body: Bytes::from(catalog.streams_json()),
            },
        );
        Ok(catalog)
    }

    /// The resource at exactly this URL path.
    pub(crate) fn get(&self, path: &str) -> Option<&Resource> {
        self.resources.get(path)
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

    fn package_vod(
        &mut self,
        file: &Mp4File,
        format: SegmentFormat,
        prefix: &str,
    ) -> Result<(), String> {
        let config =
            PackagerConfig::vod(format, MediaTime::new(SEGMENT_SECONDS, Timescale::SECONDS));
        let mut packager = Packager::for_mp4(file, config).map_err(|e| e.to_string())?;
        for sample in file.samples() {
            packager.push(sample).map_err(|e| e.to_string())?;
            while let Some(event) = packager.poll() {
                self.keep(prefix, event)?;
            }
        }
        packager.finish().map_err(|e| e.to_string())?;
        while let Some(event) = packager.poll() {
            self.keep(prefix, event)?;
        }
        Ok(())
    }

    fn keep(&mut self, prefix: &str, event: PackagerEvent) -> Result<(), String> {
        let (name, content_type, body) = match event {
            PackagerEvent::InitSegment(r) => (r.name, r.content_type, r.body.to_bytes()),
            PackagerEvent::Segment(s) => (
                s.resource.name,
                s.resource.content_type,
                s.resource.body.to_bytes(),
            ),
            PackagerEvent::Part(p) => (
                p.resource.name,
                p.resource.content_type,
                p.resource.body.to_bytes(),
            ),
            PackagerEvent::MediaPlaylist { name, playlist, .. } => (
                name,
                CONTENT_TYPE_PLAYLIST,
                playlist.to_bytes().map_err(|e| e.to_string())?,
            ),
            PackagerEvent::MultivariantPlaylist { name, playlist } => (
                name,
                CONTENT_TYPE_PLAYLIST,
                playlist.to_bytes().map_err(|e| e.to_string())?,
            ),
            PackagerEvent::Removed { name, .. } => {
                self.resources.remove(&format!("{prefix}{name}"));
                return Ok(());
            }
            _ => return Ok(()),
        };
        self.resources
            .insert(format!("{prefix}{name}"), Resource { content_type, body });
        Ok(())
    }

    /// `[{"name": ..., "entry_points": [{"kind": ..., "path": ...}]}]`;
    /// names and paths are in `[A-Za-z0-9_./-]`, so nothing needs escaping.
    fn streams_json(&self) -> String {
        let streams: Vec<String> = self
            .streams
            .iter()
            .map(|s| {
                let entries: Vec<String> = s
                    .entry_points
                    .iter()
                    .map(|(kind, path)| format!(r#"{{"kind":"{kind}","path":"{path}"}}"#))
                    .collect();
                format!(
                    r#"{{"name":"{}","entry_points":[{}]}}"#,
                    s.name,
                    entries.join(",")
                )
            })
            .collect();
        format!("[{}]", streams.join(","))
    }
}
