//! HLS over a packaging store: the multivariant and media playlists of a
//! [`Package`]'s renditions.
//!
//! A [`Presentation`] writes no media: the [`Package`] cut and muxed the
//! segments and parts, and keeps them; the presentation reads the
//! package's records and writes the playlists that list them, as of the
//! package's current state. It is a pure function of the package (plus its
//! configuration), so it can be asked at any time; an origin caches what it
//! renders by [`Package::version`].
//!
//! # Playlists
//!
//! | resource | name (defaults) |
//! |---|---|
//! | multivariant playlist | `master.m3u8` |
//! | media playlist | `<rendition>/index.m3u8` |
//!
//! URIs are relative to the playlist that holds them. With
//! [`RenditionSelection`] a presentation lists only some of the package's
//! renditions (CMAF ones for an fMP4 presentation, the MPEG-TS one for a
//! TS presentation under another multivariant name).
//!
//! - A video rendition is a variant stream; audio renditions are
//!   `EXT-X-MEDIA` renditions of the group `audio` when the presentation
//!   has video, variant streams otherwise. CODECS, RESOLUTION and
//!   FRAME-RATE come from the tracks (FRAME-RATE from the SPS, else
//!   measured); BANDWIDTH and AVERAGE-BANDWIDTH are measured from the
//!   listed segments (video plus the largest audio rendition).
//! - VOD (`EXT-X-PLAYLIST-TYPE:VOD`): every segment, `EXT-X-ENDLIST` once
//!   the package is finished. EVENT: every segment, growing. Live: the last
//!   `window` complete segments, `EXT-X-MEDIA-SEQUENCE` and
//!   `EXT-X-DISCONTINUITY-SEQUENCE` following.
//! - With parts (the package's part target): `EXT-X-PART-INF`,
//!   `EXT-X-SERVER-CONTROL` (`CAN-BLOCK-RELOAD`, `PART-HOLD-BACK` of three
//!   part targets, `CAN-SKIP-UNTIL` of six target durations), the parts of
//!   the segments that end within three target durations of the live edge,
//!   the open segment's parts, a preload hint for the next part, and
//!   rendition reports of the other renditions.
//! - Live and EVENT playlists carry `EXT-X-START:TIME-OFFSET=-N`, N the
//!   part hold-back (three part targets) or three target durations: where
//!   RFC 8216 asks players to start, said outright.
//! - `EXT-X-TARGETDURATION` is the package's target rounded up to whole
//!   seconds, raised by a longer segment; `EXT-X-MAP` on the first listed
//!   segment (CMAF) and wherever the init segment changes; `EXT-X-GAP` for a segment that has no sample of the
//!   rendition; `EXT-X-DISCONTINUITY` where the package marked one;
//!   `EXT-X-PROGRAM-DATE-TIME` on every segment when
//!   [`PresentationConfig::program_date_time`] is set and the package has a
//!   wall clock.
//! - A codec configuration that changed mid-stream
//!   ([`Package::change_track`]: a new SPS, another resolution or
//!   profile): the first segment of the new configuration follows an
//!   `EXT-X-DISCONTINUITY` in every media playlist (the discontinuity
//!   sequences stay aligned), and in CMAF renditions whose init segment
//!   changed it carries an `EXT-X-MAP` of the new version
//!   (`init-1.mp4`, ...); so does the open segment's partial segment in
//!   LL-HLS, and a Playlist Delta Update repeats the map in force when it
//!   skipped the segment that carried it. MPEG-TS renditions need only the
//!   discontinuity: their parameter sets are in-band. The multivariant
//!   playlist describes the current configuration: CODECS and RESOLUTION
//!   (and FRAME-RATE) follow the change from its first part on.
//!   The codec itself never changes within a variant (the package refuses
//!   that change), so the CODECS of a variant only move within one codec
//!   (profile and level: `avc1.64001f` to `avc1.640028`), which players
//!   take across a discontinuity; a player that loaded the multivariant
//!   playlist before keeps playing on the media playlists.
//!
//! ```
//! use bytes::Bytes;
//! use streamkit_core::mp4::Mp4File;
//! use streamkit_core::package::{Package, PackageConfig};
//! use streamkit_core::time::{MediaTime, Timescale};
//! use streamkit_hls::presentation::{Presentation, PresentationConfig};
//!
//! let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/fixtures/h264_aac.mp4");
//! let file = Mp4File::parse(Bytes::from(std::fs::read(path)?))?;
//! let mut package = Package::for_mp4(&file, PackageConfig::new(MediaTime::new(2, Timescale::SECONDS)))?;
//! for sample in file.samples() {
//!     package.push(sample)?;
//! }
//! package.finish()?;
//! let hls = Presentation::new(&package, PresentationConfig::vod())?;
//! let video = hls.media_playlist(&package, 0).ok_or("no video")?;
//! assert!(video.end_list);
//! assert_eq!(video.segments.len(), 5);
//! assert_eq!(video.segments[0].uri, "seg-0.m4s");
//! let master = hls.multivariant_playlist(&package).to_m3u8()?;
//! assert!(master.contains("video/index.m3u8"));
//! assert!(master.contains(r#"CODECS="avc1.64000d,mp4a.40.2""#));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::time::Duration;

use bytes::Bytes;

use streamkit_core::codec::MediaKind;
use streamkit_core::package::{
    Container, Naming, Package, RenditionPart, ResourceKind, SegmentRecord, whole_seconds_up,
};
use streamkit_core::time::MediaTime;
use streamkit_core::track::Track;

use crate::playlist::{
    BitRates, FrameRate, Map, MediaPlaylist, MediaSegment, MultivariantPlaylist, Part, PartInf,
    PartialSegment, PlaylistType, PreloadHint, ProgramDateTime, Rendition as MediaRendition,
    RenditionReport, Resolution, ServerControl, VariantStream, WriteError,
};

/// Content type of playlists.
pub const CONTENT_TYPE_PLAYLIST: &str = "application/vnd.apple.mpegurl";

/// What kind of playlists a presentation writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PlaylistKind {
    /// Video on demand: every segment; `EXT-X-ENDLIST` once the package is
    /// finished.
    Vod,
    /// An event: segments are only added (`EXT-X-PLAYLIST-TYPE:EVENT`).
    Event,
    /// Live with a sliding window of the last `window` complete segments
    /// (at least 3; the package should keep a few more for clients that
    /// just read a playlist).
    Live {
        /// How many complete segments the playlists list.
        window: usize,
    },
}

/// Which of a package's renditions a presentation lists.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum RenditionSelection {
    /// Every rendition.
    All,
    /// The renditions of one container.
    Container(Container),
    /// These renditions, by name, in this order.
    Named(Vec<String>),
}

/// How a [`Presentation`] writes.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct PresentationConfig {
    /// VOD, EVENT or live window.
    pub kind: PlaylistKind,
    /// The multivariant playlist's name (`master.m3u8`, `ts/master.m3u8`).
    pub multivariant: String,
    /// Each rendition's media playlist, inside the rendition's directory.
    pub media_playlist: String,
    /// Which renditions.
    pub renditions: RenditionSelection,
    /// `EXT-X-PROGRAM-DATE-TIME` on every segment, from the package's wall
    /// clock.
    pub program_date_time: bool,
}

impl PresentationConfig {
    /// VOD playlists of every rendition, default names.
    #[must_use]
    pub fn vod() -> PresentationConfig {
        PresentationConfig {
            kind: PlaylistKind::Vod,
            multivariant: "master.m3u8".into(),
            media_playlist: "index.m3u8".into(),
            renditions: RenditionSelection::All,
            program_date_time: false,
        }
    }

    /// Live playlists of the last `window` segments, every rendition,
    /// default names, program date-times on.
    #[must_use]
    pub fn live(window: usize) -> PresentationConfig {
        PresentationConfig {
            kind: PlaylistKind::Live { window },
            program_date_time: true,
            ..PresentationConfig::vod()
        }
    }

    /// The same with another playlist kind.
    #[must_use]
    pub fn with_kind(mut self, kind: PlaylistKind) -> PresentationConfig {
        self.kind = kind;
        self
    }

    /// The same listing only `renditions`.
    #[must_use]
    pub fn with_renditions(mut self, renditions: RenditionSelection) -> PresentationConfig {
        self.renditions = renditions;
        self
    }

    /// The same with the multivariant playlist at `name`.
    #[must_use]
    pub fn with_multivariant(mut self, name: impl Into<String>) -> PresentationConfig {
        self.multivariant = name.into();
        self
    }
}

/// Why a presentation cannot be made for a package.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PresentationError {
    /// The configuration cannot work.
    #[error("HLS presentation: {reason}")]
    InvalidConfig {
        /// What is wrong.
        reason: &'static str,
    },
    /// A named rendition is not in the package.
    #[error("HLS presentation: the package has no rendition {name:?}")]
    UnknownRendition {
        /// The name.
        name: String,
    },
}

/// Which playlist a name is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PlaylistName {
    /// The multivariant playlist.
    Multivariant,
    /// The media playlist of the presentation's rendition `index` (an
    /// index into [`Presentation::renditions`]).
    Media(usize),
}

/// The HLS playlists of a package; see the [module documentation](self).
#[derive(Debug, Clone)]
pub struct Presentation {
    config: PresentationConfig,
    /// Package rendition indices, in presentation order.
    renditions: Vec<usize>,
    /// Each one's media playlist name and directory (with `/`).
    names: Vec<(String, String)>,
    /// The multivariant playlist's directory (empty or with `/`).
    multivariant_dir: String,
}

impl Presentation {
    /// The presentation of `package`'s selected renditions.
    ///
    /// # Errors
    ///
    /// [`PresentationError::UnknownRendition`] for a name not in the
    /// package; [`PresentationError::InvalidConfig`] for a live window under
    /// 3, no rendition selected, or empty names.
    pub fn new(
        package: &Package,
        config: PresentationConfig,
    ) -> Result<Presentation, PresentationError> {
        if matches!(config.kind, PlaylistKind::Live { window } if window < 3) {
            return Err(PresentationError::InvalidConfig {
                reason: "a live window lists at least 3 segments",
            });
        }
        if config.multivariant.is_empty() || config.media_playlist.is_empty() {
            return Err(PresentationError::InvalidConfig {
                reason: "empty playlist name",
            });
        }
        let all = package.renditions();
        let renditions: Vec<usize> = match &config.renditions {
            RenditionSelection::All => (0..all.len()).collect(),
            RenditionSelection::Container(c) => {
                (0..all.len()).filter(|&i| all[i].container == *c).collect()
            }
            RenditionSelection::Named(names) => names
                .iter()
                .map(|n| {
                    package
                        .rendition_index(n)
                        .ok_or_else(|| PresentationError::UnknownRendition { name: n.clone() })
                })
                .collect::<Result<_, _>>()?,
        };
        if renditions.is_empty() {
            return Err(PresentationError::InvalidConfig {
                reason: "no rendition selected",
            });
        }
        let names = renditions
            .iter()
            .map(|&i| {
                let dir = format!("{}/", all[i].name);
                (format!("{dir}{}", config.media_playlist), dir)
            })
            .collect();
        let multivariant_dir = config
            .multivariant
            .rfind('/')
            .map_or(String::new(), |i| config.multivariant[..=i].to_owned());
        Ok(Presentation {
            config,
            renditions,
            names,
            multivariant_dir,
        })
    }

    /// The configuration.
    #[must_use]
    pub fn config(&self) -> &PresentationConfig {
        &self.config
    }

    /// The package rendition index of each of the presentation's
    /// renditions.
    #[must_use]
    pub fn renditions(&self) -> &[usize] {
        &self.renditions
    }

    /// The multivariant playlist's name.
    #[must_use]
    pub fn multivariant_name(&self) -> &str {
        &self.config.multivariant
    }

    /// The media playlist name of the presentation's rendition `index`.
    #[must_use]
    pub fn media_playlist_name(&self, index: usize) -> Option<&str> {
        self.names.get(index).map(|(n, _)| n.as_str())
    }

    /// The directory (with a trailing `/`) of rendition `index`'s media
    /// playlist, which its URIs are relative to.
    #[must_use]
    pub fn media_playlist_dir(&self, index: usize) -> Option<&str> {
        self.names.get(index).map(|(_, d)| d.as_str())
    }

    /// Which playlist `name` is, if it is one of this presentation's.
    #[must_use]
    pub fn playlist(&self, name: &str) -> Option<PlaylistName> {
        if name == self.config.multivariant {
            return Some(PlaylistName::Multivariant);
        }
        self.names
            .iter()
            .position(|(n, _)| n == name)
            .map(PlaylistName::Media)
    }

    /// The presentation's rendition whose media playlist lists `name` (a
    /// resource of the package), and what the resource is.
    #[must_use]
    pub fn resource_rendition(
        &self,
        package: &Package,
        name: &str,
    ) -> Option<(usize, ResourceKind)> {
        self.names.iter().enumerate().find_map(|(i, (_, dir))| {
            let file = name.strip_prefix(dir.as_str())?;
            let r = &package.renditions()[self.renditions[i]];
            let kind = package.config().naming.parse_file(r.container, file)?;
            Some((i, kind))
        })
    }

    /// The target duration in whole seconds: the package's target rounded
    /// up.
    #[must_use]
    pub fn target_seconds(&self, package: &Package) -> u64 {
        whole_seconds_up(package.config().target_duration)
    }

    /// The listed complete segments of the package, oldest first.
    fn listed<'p>(&self, package: &'p Package) -> impl Iterator<Item = &'p SegmentRecord> + 'p {
        let segments = package.segments();
        let skip = match self.config.kind {
            PlaylistKind::Live { window } => segments.len().saturating_sub(window),
            _ => 0,
        };
        segments.iter().skip(skip)
    }

    /// The media playlist of the presentation's rendition `index` as of
    /// the package's current state; `None` for an index out of range.
    #[must_use]
    pub fn media_playlist(&self, package: &Package, index: usize) -> Option<MediaPlaylist> {
        let r = *self.renditions.get(index)?;
        let rendition = &package.renditions()[r];
        let config = package.config();
        let naming = &config.naming;
        let container = rendition.container;
        let target_seconds = self.target_seconds(package);
        let low_latency = config.part_target.is_some();
        let live = self.config.kind != PlaylistKind::Vod;
        let mut playlist = MediaPlaylist {
            target_duration: target_seconds,
            ..Default::default()
        };
        match self.config.kind {
            PlaylistKind::Vod => playlist.playlist_type = Some(PlaylistType::Vod),
            PlaylistKind::Event => playlist.playlist_type = Some(PlaylistType::Event),
            PlaylistKind::Live { .. } => {}
        }
        if live {
            playlist.server_control = Some(ServerControl {
                can_block_reload: true,
                can_skip_until: Some(Duration::from_secs(6 * target_seconds)),
                part_hold_back: config.part_target.map(|p| 3 * to_duration(p)),
                ..Default::default()
            });
        }
        if live {
            // Where a player starts: the part hold-back (low latency) or
            // three target durations from the end, as RFC 8216 asks of
            // players; said outright for players that would otherwise start
            // at the first listed segment.
            let back = config
                .part_target
                .map_or(Duration::from_secs(3 * target_seconds), |p| {
                    3 * to_duration(p)
                });
            let mut offset = String::from("TIME-OFFSET=-");
            crate::playlist::write_seconds(&mut offset, back);
            playlist
                .other_tags
                .push(crate::playlist::Tag::new("EXT-X-START", Some(offset)));
        }
        if let Some(p) = config.part_target {
            playlist.part_inf = Some(PartInf::new(to_duration(p)));
        }
        let listed: Vec<&SegmentRecord> = self.listed(package).collect();
        playlist.media_sequence = listed
            .first()
            .map_or(package.next_sequence(), |s| s.sequence);
        playlist.discontinuity_sequence = package.discontinuities_before(playlist.media_sequence);
        // Parts stay listed for segments that end within three target
        // durations of the end of the playlist.
        let keep_parts = Duration::from_secs(3 * target_seconds);
        let mut remaining: Duration = listed.iter().map(|s| to_duration(s.duration)).sum();
        // An EXT-X-MAP opens the playlist and follows each change of init
        // segment (a codec configuration that changed mid-stream, after
        // its EXT-X-DISCONTINUITY).
        let map_of = |version: u32| {
            rendition
                .init
                .as_ref()
                .map(|_| Map::new(naming.file(container, ResourceKind::Init { version })))
        };
        let mut mapped: Option<u32> = None;
        for s in listed.iter() {
            let rs = &s.renditions[r];
            let map = (mapped != Some(rs.init_version)).then(|| map_of(rs.init_version));
            mapped = Some(rs.init_version);
            let duration = to_duration(s.duration);
            let file = naming.file(
                container,
                ResourceKind::Segment {
                    sequence: s.sequence,
                },
            );
            let mut media = MediaSegment::new(duration, file);
            media.gap = rs.is_empty();
            media.discontinuity = s.discontinuity;
            if let Some(map) = map {
                media.map = map;
            }
            if self.config.program_date_time {
                media.program_date_time = s
                    .wall_clock
                    .map(|t| ProgramDateTime::from_unix_millis(t.unix_millis()));
            }
            // The segments after this one last less than the part window.
            remaining = remaining.saturating_sub(duration);
            if low_latency && live && remaining < keep_parts {
                media.parts = playlist_parts(&rs.parts, naming, container, s.sequence);
            }
            playlist.segments.push(media);
        }
        let finished = package.is_finished();
        if finished {
            playlist.end_list = true;
        }
        if low_latency && live && !finished {
            let open = package.open_segment();
            let sequence = open.map_or(package.next_sequence(), |o| o.sequence);
            let mut next_index = 0;
            if let Some(open) = open {
                let rs = &open.renditions[r];
                if !rs.parts.is_empty() {
                    let mut partial = PartialSegment {
                        discontinuity: open.discontinuity,
                        ..Default::default()
                    };
                    if mapped != Some(rs.init_version) {
                        partial.map = map_of(rs.init_version);
                    }
                    partial.parts = playlist_parts(&rs.parts, naming, container, sequence);
                    playlist.partial_segment = Some(partial);
                }
                next_index = open.parts.last().map_or(0, |p| p.index + 1);
            }
            playlist.preload_hints = vec![PreloadHint::part(naming.file(
                container,
                ResourceKind::Part {
                    sequence,
                    index: next_index,
                },
            ))];
        }
        if low_latency && live && self.renditions.len() > 1 {
            playlist.rendition_reports = self.rendition_reports(package, index);
        }
        Some(playlist)
    }

    /// Reports of the other renditions' last segment and part.
    fn rendition_reports(&self, package: &Package, except: usize) -> Vec<RenditionReport> {
        let from = self.names[except].1.as_str();
        let (msn, part) = last_part(package);
        self.names
            .iter()
            .enumerate()
            .filter(|(i, _)| *i != except)
            .map(|(_, (name, _))| RenditionReport {
                uri: relative(from, name),
                last_msn: Some(msn),
                last_part: Some(part),
                other_attributes: Default::default(),
            })
            .collect()
    }

    /// The multivariant playlist as of the package's current state.
    #[must_use]
    pub fn multivariant_playlist(&self, package: &Package) -> MultivariantPlaylist {
        let all = package.renditions();
        let target = self.target_seconds(package);
        let listed: Vec<&SegmentRecord> = self.listed(package).collect();
        let rates: Vec<BitRates> = self
            .renditions
            .iter()
            .map(|&r| {
                BitRates::measure(
                    listed
                        .iter()
                        .map(|s| (s.renditions[r].bytes, to_duration(s.duration))),
                    target,
                )
            })
            .collect();
        let mut out = MultivariantPlaylist {
            independent_segments: true,
            ..Default::default()
        };
        let kind = |i: usize| all[self.renditions[i]].kind;
        let has_video = (0..self.renditions.len()).any(|i| kind(i) == MediaKind::Video);
        let audio: Vec<usize> = (0..self.renditions.len())
            .filter(|&i| has_video && kind(i) == MediaKind::Audio)
            .collect();
        let audio_rate = audio
            .iter()
            .map(|&i| rates[i])
            .fold(BitRates::default(), |a, b| BitRates {
                peak: a.peak.max(b.peak),
                average: a.average.max(b.average),
            });
        let audio_codecs: Vec<String> = audio
            .iter()
            .map(|&i| all[self.renditions[i]].main_track().codec_string())
            .fold(Vec::new(), |mut v, c| {
                if !v.contains(&c) {
                    v.push(c);
                }
                v
            });
        let dir = self.multivariant_dir.as_str();
        for (n, &i) in audio.iter().enumerate() {
            let r = &all[self.renditions[i]];
            let track = r.main_track();
            let mut rendition = MediaRendition::audio("audio", r.name.clone());
            rendition.default = n == 0;
            rendition.autoselect = true;
            rendition.language = track
                .language_str()
                .filter(|l| *l != "und")
                .map(str::to_owned);
            rendition.channels = track.codec.channels().map(|c| c.to_string());
            rendition.uri = Some(relative(dir, &self.names[i].0));
            out.renditions.push(rendition);
        }
        for i in 0..self.renditions.len() {
            if audio.contains(&i) {
                continue;
            }
            let r = &all[self.renditions[i]];
            let mut rate = rates[i];
            let mut codecs: Vec<String> = r.tracks.iter().map(Track::codec_string).collect();
            if !audio.is_empty() {
                rate = rate + audio_rate;
                codecs.extend(audio_codecs.iter().cloned());
            }
            let mut variant = VariantStream::new(relative(dir, &self.names[i].0), rate.peak.max(1));
            variant.average_bandwidth = Some(rate.average.max(1));
            variant.codecs = codecs;
            if let Some(video) = r.tracks.iter().find(|t| t.kind() == MediaKind::Video) {
                variant.resolution = video.codec.dimensions().map(|(w, h)| Resolution {
                    width: u64::from(w),
                    height: u64::from(h),
                });
                variant.frame_rate = video
                    .codec
                    .frame_rate()
                    .and_then(|f| FrameRate::from_ratio(u64::from(f.num), u64::from(f.den)))
                    .or_else(|| {
                        r.measured_frame_rate()
                            .and_then(|(frames, ticks)| FrameRate::from_ratio(frames, ticks))
                    });
            }
            if !audio.is_empty() {
                variant.audio = Some("audio".into());
            }
            out.variants.push(variant);
        }
        out
    }
}

impl Presentation {
    /// Every playlist as of the package's current state, written: the
    /// media playlists, then the multivariant playlist, each with its name.
    ///
    /// # Errors
    ///
    /// [`WriteError`] when a playlist does not write.
    pub fn playlists(&self, package: &Package) -> Result<Vec<(String, Bytes)>, WriteError> {
        let mut out = Vec::with_capacity(self.renditions.len() + 1);
        for (i, (name, _)) in self.names.iter().enumerate() {
            if let Some(p) = self.media_playlist(package, i) {
                out.push((name.clone(), p.to_bytes()?));
            }
        }
        out.push((
            self.config.multivariant.clone(),
            self.multivariant_playlist(package).to_bytes()?,
        ));
        Ok(out)
    }
}

/// The last part of the package's live edge: `(msn, part)` of the open
/// segment's last part, else of the last complete segment's last part.
fn last_part(package: &Package) -> (u64, u64) {
    if let Some(open) = package.open_segment()
        && let Some(p) = open.parts.last()
    {
        return (open.sequence, u64::from(p.index));
    }
    match package.segments().back() {
        Some(s) => (s.sequence, s.parts.last().map_or(0, |p| u64::from(p.index))),
        None => (0, 0),
    }
}

/// The relative URI of `target` (a name from the root) as seen from the
/// directory `from_dir` (empty, or ending in `/`).
fn relative(from_dir: &str, target: &str) -> String {
    let from: Vec<&str> = from_dir.split('/').filter(|s| !s.is_empty()).collect();
    let to: Vec<&str> = target.split('/').collect();
    let common = from
        .iter()
        .zip(&to)
        .take_while(|(a, b)| a == b)
        .count()
        .min(to.len().saturating_sub(1));
    let mut out = String::new();
    for _ in common..from.len() {
        out.push_str("../");
    }
    out.push_str(&to[common..].join("/"));
    out
}

/// The `EXT-X-PART` lines of a segment's `parts`, named for `container`.
fn playlist_parts(
    parts: &[RenditionPart],
    naming: &Naming,
    container: Container,
    sequence: u64,
) -> Vec<Part> {
    parts
        .iter()
        .map(|p| Part {
            independent: p.independent,
            ..Part::new(
                to_duration(p.duration),
                naming.file(
                    container,
                    ResourceKind::Part {
                        sequence,
                        index: p.index,
                    },
                ),
            )
        })
        .collect()
}

fn to_duration(t: MediaTime) -> Duration {
    t.to_duration().unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::relative;

    #[test]
    fn relative_uris() {
        assert_eq!(relative("", "video/index.m3u8"), "video/index.m3u8");
        assert_eq!(
            relative("video/", "audio/index.m3u8"),
            "../audio/index.m3u8"
        );
        assert_eq!(relative("ts/", "ts/main/index.m3u8"), "main/index.m3u8");
        assert_eq!(
            relative("ts/main/", "video/index.m3u8"),
            "../../video/index.m3u8"
        );
        assert_eq!(relative("a/", "a/b"), "b");
    }
}
