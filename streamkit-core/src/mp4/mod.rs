//! MP4 input: the tracks of an ISO BMFF file (MP4, ISO/IEC 14496-12) with
//! their codec configuration, and their samples interleaved by decode time,
//! each a [`Bytes`] slice of the file.
//!
//! The caller reads (or memory-maps) the whole file into a [`Bytes`] and
//! hands it to [`Mp4File::parse`]. Parsing reads the `moov` box, wherever it
//! is (before or after `mdat`), and checks every sample table against the
//! others and against the file, so that iterating afterwards cannot fail.
//! Nothing is allocated from a count in the file: the sample tables stay
//! slices of the input and a cursor walks them.
//!
//! Supported sample entries: `avc1`/`avc3` + `avcC` (H.264), `hvc1`/`hev1` +
//! `hvcC` (H.265), `mp4a` + `esds` (AAC; the AudioSpecificConfig is the
//! DecoderSpecificInfo inside the ES_Descriptor), `Opus` + `dOps`. Other
//! tracks (text, timed metadata, other codecs, tracks with several sample
//! descriptions) are listed with their sample entry type and no
//! [`Mp4Track::codec`], and their samples are skipped (their tables are not
//! checked, so damage there does not stop the file from opening).
//! Fragmented files (`moov/mvex`, samples in `moof` boxes: what ffmpeg
//! writes with `-movflags frag_keyframe`, CMAF, an HLS fMP4 or DASH
//! rendition's init segment followed by its media segments) read the same
//! way: each track's samples in `moov`'s tables, then those of its track
//! fragments in file order, with the `trex` and `tfhd` defaults, the base
//! data offsets and `tfdt` decode times resolved; `sidx`, `styp` and
//! `mfra` are not needed and are skipped. See [`Mp4File::is_fragmented`].
//!
//! [`Mp4Track::unsupported_reason`] says why a track has no codec model
//! (MPEG-4 Part 2 video, MP3 audio, ...).
//!
//! # Files cut short
//!
//! [`Mp4File::parse`] is strict: a file whose last box runs past its end
//! is refused. [`Mp4File::parse_lenient`] reads a file whose `moov` is
//! complete but whose last top-level box (the `mdat`, as a download or a
//! recording stopped early leaves it) is cut short: each track keeps the
//! samples that lie wholly in the file, up to its first missing one, and
//! [`Mp4File::truncation`] reports what is missing (in a fragmented file,
//! the samples its track runs list that are not wholly in it). Either way a file cut
//! before its `moov` is [`Mp4Error::CutBeforeMoov`], an empty one
//! [`Mp4Error::Empty`] and one that does not start with a box
//! [`Mp4Error::NotIsoBmff`].
//!
//! # Bounds
//!
//! Every box must fit in its parent (size 0 runs to the parent's end; size
//! 1 takes a 64-bit size), nesting stops at [`MAX_BOX_DEPTH`], every table's
//! entry count is checked against the bytes its box holds, a fixed sample
//! size times the sample count must fit in the file, and every sample must
//! lie inside the file. Memory grows with the `moov` box only: at worst
//! (`moov` packed with minimal empty tracks) under three times its size,
//! for real files a small fraction of it; iterating allocates once (the
//! per-track cursors), not per sample.
//!
//! # Times and edit lists
//!
//! A [`Sample`]'s `dts` counts from 0 at the track's first sample, in ticks of
//! the track's timescale (`mdhd`), exactly as `stts` says;
//! `composition_offset` comes from `ctts` (versions 0 and 1, negative offsets
//! allowed). Edit lists (`elst`) are not applied to the samples; each track
//! reports its [`Mp4Track::edits`], and for the common shape (optional empty
//! edits, then one edit at normal rate) [`Mp4Track::presentation_shift`]:
//! add it to `dts` and `pts` to place samples on the movie's presentation
//! timeline, the view ffmpeg/ffprobe report. Samples whose presentation
//! ends before 0 on that timeline (the AAC encoder-delay frame, say) are
//! for the decoder only.
//!
//! # Example
//!
//! ```
//! use bytes::Bytes;
//! use streamkit_core::mp4::Mp4File;
//!
//! let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/fixtures/h264_aac.mp4");
//! let file = Mp4File::parse(Bytes::from(std::fs::read(path)?))?;
//! for track in file.tracks() {
//!     let codec = track.codec().map(|c| c.codec_string());
//!     println!("track {} {}: {:?}", track.id(), track.handler(), codec);
//! }
//! let video = &file.tracks()[0];
//! assert_eq!(video.codec().map(|c| c.codec_string()).as_deref(), Some("avc1.64000d"));
//! // Every sample, all tracks, in decode order; `data` shares the file's buffer.
//! let mut count = 0;
//! for sample in file.samples() {
//!     assert!(!sample.data.is_empty());
//!     count += 1;
//! }
//! assert_eq!(count, 300 + 432);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod boxes;
mod entry;
mod error;
mod fragment;
mod table;
mod truncation;

use std::collections::BTreeSet;

use bytes::Bytes;

use crate::codec::CodecConfig;
use crate::sample::PresentationShift;
use crate::sample::Sample;
use crate::time::{Rounding, Timescale};
use crate::track::Track;

use boxes::{BoxIter, Mp4Box};
pub use error::{BoxPath, FourCc, MAX_BOX_DEPTH, Mp4Error};
use fragment::{RunCursor, SampleDefaults, TrackFragments};
use table::{SampleCursor, SampleRef, SampleTables};
pub use truncation::{TrackTruncation, Truncation};

/// Top-level box types of ISO BMFF files: a file whose first box is none
/// of these, and that fails to parse, is taken for something else.
const TOP_LEVEL: [&[u8; 4]; 18] = [
    b"ftyp", b"styp", b"moov", b"mdat", b"free", b"skip", b"wide", b"uuid", b"pdin", b"moof",
    b"mfra", b"meta", b"sidx", b"ssix", b"prft", b"emsg", b"pnot", b"jP  ",
];

/// One entry of a track's edit list (`elst`): which part of the media is
/// shown when on the movie timeline.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Edit {
    /// Length of this edit on the movie timeline, in ticks of the movie
    /// timescale ([`Mp4File::movie_timescale`]).
    pub segment_duration: u64,
    /// Where in the media (track ticks, composition time) the edit starts;
    /// `None` for an empty edit (nothing shown: a delay).
    pub media_time: Option<i64>,
    /// Playback rate as 16.16 fixed point: `0x1_0000` is normal speed, 0 a
    /// dwell (a still frame).
    pub media_rate: i32,
}

/// Normal playback rate in [`Edit::media_rate`].
const RATE_ONE: i32 = 0x1_0000;

/// One track of an MP4 file.
#[derive(Clone, Debug)]
pub struct Mp4Track {
    id: u32,
    handler: FourCc,
    timescale: Timescale,
    duration: u64,
    language: Option<[u8; 3]>,
    entry: entry::SampleEntry,
    sample_count: u32,
    sync_sample_count: Option<u32>,
    edits: Vec<Edit>,
    presentation_shift: Option<i64>,
    composition_to_dts_shift: u32,
    /// Boxed: large, and absent for unsupported tracks.
    tables: Option<Box<SampleTables>>,
    /// The samples of `moof` boxes, after those of the tables.
    fragments: Option<Box<TrackFragments>>,
    /// Samples in `moov`'s tables (the fragments' are numbered after).
    table_sample_count: u32,
    /// Samples the tables and track runs list, before a truncation cut
    /// them.
    declared_samples: u32,
}

impl Mp4Track {
    /// The track id (`tkhd`), the `track_id` of its [`Sample`]s.
    #[must_use]
    pub fn id(&self) -> u32 {
        self.id
    }

    /// The handler type (`hdlr`): `vide`, `soun`, `text`, `meta`, ...
    #[must_use]
    pub fn handler(&self) -> FourCc {
        self.handler
    }

    /// The track's clock (`mdhd`): sample times count in its ticks.
    #[must_use]
    pub fn timescale(&self) -> Timescale {
        self.timescale
    }

    /// The media duration (`mdhd`), in ticks of [`Mp4Track::timescale`].
    #[must_use]
    pub fn duration(&self) -> u64 {
        self.duration
    }

    /// The language (`mdhd`, ISO 639-2/T: `eng`, `und`), when it is three
    /// letters.
    #[must_use]
    pub fn language(&self) -> Option<[u8; 3]> {
        self.language
    }

    /// The track as streamkit's [`Track`]: id, timescale, codec, language
    /// and duration; `None` for a track without a supported codec.
    #[must_use]
    pub fn to_track(&self) -> Option<Track> {
        Some(Track {
            id: self.id,
            timescale: self.timescale,
            codec: self.entry.codec.as_deref()?.clone(),
            language: self.language,
            duration: Some(self.duration),
        })
    }

    /// The type of the track's first sample entry (`avc1`, `hvc1`, `mp4a`,
    /// `Opus`, `tx3g`, ...); `None` when `stsd` is empty.
    #[must_use]
    pub fn sample_entry(&self) -> Option<FourCc> {
        self.entry.kind
    }

    /// Number of sample descriptions (`stsd` entries). This reader models
    /// tracks with exactly one; others are listed without a codec.
    #[must_use]
    pub fn sample_description_count(&self) -> u32 {
        self.entry.entry_count
    }

    /// The codec configuration, for the sample entries this crate models;
    /// `None` for other tracks, whose samples [`Mp4File::samples`] skips.
    #[must_use]
    pub fn codec(&self) -> Option<&CodecConfig> {
        self.entry.codec.as_deref()
    }

    /// Width and height in the visual sample entry (video tracks).
    #[must_use]
    pub fn visual_size(&self) -> Option<(u16, u16)> {
        self.entry.size
    }

    /// Channel count and sample rate in Hz from the audio sample entry (for
    /// Opus the entry says 48 000; the decoder configuration has the input
    /// rate).
    #[must_use]
    pub fn audio_format(&self) -> Option<(u16, u32)> {
        self.entry.audio
    }

    /// Number of samples (`stsz`/`stz2`, plus those of the track's
    /// fragments); 0 when an unsupported track's tables could not be read.
    #[must_use]
    pub fn sample_count(&self) -> u32 {
        self.sample_count
    }

    /// Number of sync samples (`stss`); `None` when every sample is one.
    #[must_use]
    pub fn sync_sample_count(&self) -> Option<u32> {
        self.sync_sample_count
    }

    /// The edit list (`edts/elst`), empty when the track has none.
    #[must_use]
    pub fn edits(&self) -> &[Edit] {
        &self.edits
    }

    /// Ticks (of the track's timescale) to add to a sample's decode and
    /// presentation times to place it on the movie's presentation timeline,
    /// as the edit list says: the empty edits' duration minus the first
    /// edit's `media_time`. `Some(0)` without an edit list; `None` when the
    /// list is more than empty edits followed by one edit at normal rate
    /// (then apply [`Mp4Track::edits`] yourself).
    #[must_use]
    pub fn presentation_shift(&self) -> Option<i64> {
        self.presentation_shift
    }

    /// The smallest composition offset negated, or 0 when none is negative
    /// (ISO/IEC 14496-12 `compositionToDTSShift`, computed from the
    /// samples). With negative offsets (`ctts` version 1) some samples
    /// present before they decode; subtracting this from every `dts` (or
    /// adding it to every composition offset) restores `dts <= pts`, as
    /// MPEG-TS requires and as ffmpeg reports such files.
    #[must_use]
    pub fn composition_to_dts_shift(&self) -> u32 {
        self.composition_to_dts_shift
    }

    /// `true` when [`Mp4File::samples`] yields this track's samples (the
    /// codec is supported).
    #[must_use]
    pub fn is_supported(&self) -> bool {
        self.tables.is_some()
    }

    /// Why the track is not supported, in words (`MPEG-4 Part 2 video
    /// (mp4v, object type 0x20): no codec model`); `None` for a supported
    /// track.
    #[must_use]
    pub fn unsupported_reason(&self) -> Option<String> {
        if self.is_supported() {
            return None;
        }
        let Some(kind) = self.entry.kind else {
            return Some("no sample description (stsd is empty)".to_owned());
        };
        if self.entry.entry_count != 1 {
            return Some(format!(
                "{} sample descriptions (the first {kind}): samples may switch between them, and this reader models one",
                self.entry.entry_count
            ));
        }
        let object_type = self
            .entry
            .object_type
            .map(|t| format!(", object type 0x{t:02X}"))
            .unwrap_or_default();
        let what = entry::codec_name(kind, self.entry.object_type);
        Some(match what {
            Some(name) => format!("{name} ({kind}{object_type}): no codec model for it"),
            None => format!("sample entry {kind}{object_type}: no codec model for it"),
        })
    }
}

/// An MP4 file, parsed: its tracks, and its samples on demand.
#[derive(Clone, Debug)]
pub struct Mp4File {
    data: Bytes,
    major_brand: Option<FourCc>,
    timescale: Timescale,
    duration: u64,
    fragmented: bool,
    tracks: Vec<Mp4Track>,
    truncation: Option<Truncation>,
}

impl Mp4File {
    /// Parses the file held in `data`: the `moov` box and every track's
    /// tables, and checks every sample lies inside `data`.
    ///
    /// # Errors
    ///
    /// [`Mp4Error`] when a box is malformed or out of bounds, `moov` or a
    /// required box is missing, a table disagrees with the others or points
    /// outside the file, or a supported codec's configuration is invalid.
    pub fn parse(data: Bytes) -> Result<Mp4File, Mp4Error> {
        Mp4File::parse_with(data, false)
    }

    /// Parses a file that may be cut short: as [`Mp4File::parse`], except
    /// that the last top-level box (other than `moov`) may run past the
    /// end of `data`. Then each supported track keeps the samples before
    /// its first one not wholly in the file, and [`Mp4File::truncation`]
    /// says what is missing. A whole file parses exactly as with
    /// [`Mp4File::parse`].
    ///
    /// ```
    /// use bytes::Bytes;
    /// use streamkit_core::mp4::{Mp4Error, Mp4File};
    ///
    /// let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/fixtures/h264_aac.mp4");
    /// let whole = std::fs::read(path)?;
    /// // The fixture's moov comes first; cut its mdat at 80 %.
    /// let cut = Bytes::from(whole[..whole.len() * 4 / 5].to_vec());
    /// assert!(matches!(Mp4File::parse(cut.clone()), Err(Mp4Error::BoxOutOfBounds { .. })));
    /// let file = Mp4File::parse_lenient(cut)?;
    /// let truncation = file.truncation().ok_or("reported")?;
    /// assert_eq!(truncation.file_len, (whole.len() * 4 / 5) as u64);
    /// let present: u32 = truncation.tracks.iter().map(|t| t.present).sum();
    /// assert_eq!(file.samples().count(), present as usize);
    /// assert!(present < 300 + 432);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    ///
    /// As [`Mp4File::parse`], but not for a cut in the last box after a
    /// complete `moov`.
    pub fn parse_lenient(data: Bytes) -> Result<Mp4File, Mp4Error> {
        Mp4File::parse_with(data, true)
    }

    /// What a file read with [`Mp4File::parse_lenient`] lacks; `None` when
    /// it is whole.
    #[must_use]
    pub fn truncation(&self) -> Option<&Truncation> {
        self.truncation.as_ref()
    }

    fn parse_with(data: Bytes, lenient: bool) -> Result<Mp4File, Mp4Error> {
        if data.is_empty() {
            return Err(Mp4Error::Empty);
        }
        // The first box's type says whether this is ISO BMFF at all.
        let mut head = [0u8; 8];
        let n = data.len().min(8);
        head[..n].copy_from_slice(&data[..n]);
        let first = FourCc([head[4], head[5], head[6], head[7]]);
        let known_first = n == 8 && TOP_LEVEL.contains(&&first.0);
        let not_iso_bmff = || Mp4Error::NotIsoBmff {
            found: first,
            size: u64::from(u32::from_be_bytes([head[0], head[1], head[2], head[3]])),
        };
        let mut moov = None;
        let mut major_brand = None;
        let mut moofs = Vec::new();
        let mut cut = None;
        for b in BoxIter::new(&data, 0, BoxPath::ROOT) {
            let b = match b {
                Ok(b) => b,
                Err(_) if !known_first => return Err(not_iso_bmff()),
                Err(Mp4Error::BoxOutOfBounds {
                    path,
                    offset,
                    size,
                    available,
                }) if path.types().len() == 1 && path.last() != Some(FourCc(*b"moov")) => {
                    let kind = path.last().unwrap_or(FourCc(*b"????"));
                    let declared_end = offset.saturating_add(size);
                    if moov.is_none() && kind == FourCc(*b"mdat") {
                        return Err(Mp4Error::CutBeforeMoov {
                            kind,
                            offset,
                            declared_end,
                            file_len: data.len() as u64,
                        });
                    }
                    if !lenient {
                        return Err(Mp4Error::BoxOutOfBounds {
                            path,
                            offset,
                            size,
                            available,
                        });
                    }
                    cut = Some((Some(kind), offset, declared_end));
                    break;
                }
                // Fewer than 8 bytes after the last whole box: a cut
                // inside the next one's header.
                Err(Mp4Error::Truncated {
                    path,
                    offset,
                    field,
                    needed,
                    available,
                }) if path.types().is_empty() && field == "box header" => {
                    if !lenient || moov.is_none() {
                        return Err(Mp4Error::Truncated {
                            path,
                            offset,
                            field,
                            needed,
                            available,
                        });
                    }
                    cut = Some((None, offset, offset.saturating_add(8)));
                    break;
                }
                Err(e) => return Err(e),
            };
            match &b.kind.0 {
                b"moof" => moofs.push(b),
                b"moov" if moov.is_some() => {
                    return Err(Mp4Error::DuplicateBox {
                        path: b.path,
                        offset: b.offset,
                    });
                }
                b"moov" => moov = Some(b),
                b"ftyp" if major_brand.is_none() => {
                    major_brand = Some(b.fields().fourcc("major_brand")?);
                }
                _ => {}
            }
        }
        if moov.is_none() && !known_first {
            return Err(not_iso_bmff());
        }
        let moov = moov.ok_or(Mp4Error::MissingBox {
            path: BoxPath::ROOT
                .child(FourCc(*b"moov"))
                .unwrap_or(BoxPath::ROOT),
        })?;
        let (timescale, duration) = parse_mvhd(&moov.require(b"mvhd")?)?;
        let mvex = moov.child(b"mvex")?;
        let fragmented = mvex.is_some();
        let mut tracks = Vec::new();
        let mut ids = BTreeSet::new();
        for b in moov.children() {
            let b = b?;
            if b.kind.0 == *b"trak" {
                let track = parse_trak(&data, &b, timescale, cut.is_some())?;
                if !ids.insert(track.id) {
                    return Err(Mp4Error::DuplicateTrackId { track_id: track.id });
                }
                tracks.push(track);
            }
        }
        if !moofs.is_empty() {
            let mut defaults: Vec<(u32, SampleDefaults)> = Vec::new();
            if let Some(mvex) = &mvex {
                for b in mvex.children() {
                    let b = b?;
                    if b.kind.0 == *b"trex" {
                        defaults.push(fragment::parse_trex(&b)?);
                    }
                }
            }
            fragment::attach_fragments(&data, &moofs, &mut tracks, &defaults, cut.is_some())?;
        }
        let truncation = cut.map(|(kind, offset, declared_end)| Truncation {
            kind,
            offset,
            declared_end,
            file_len: data.len() as u64,
            tracks: tracks
                .iter()
                .filter(|t| t.is_supported())
                .map(|t| TrackTruncation {
                    track_id: t.id,
                    present: t.sample_count,
                    declared: t.declared_samples,
                })
                .collect(),
        });
        Ok(Mp4File {
            data,
            major_brand,
            timescale,
            duration,
            fragmented,
            tracks,
            truncation,
        })
    }

    /// The tracks, in file order.
    #[must_use]
    pub fn tracks(&self) -> &[Mp4Track] {
        &self.tracks
    }

    /// The track with id `id`.
    #[must_use]
    pub fn track(&self, id: u32) -> Option<&Mp4Track> {
        self.tracks.iter().find(|t| t.id == id)
    }

    /// The supported tracks (see [`Mp4Track::is_supported`]) as streamkit's
    /// [`Track`]s, in file order, and the [`PresentationShift`] of each one
    /// whose edit list has the common shape (see
    /// [`Mp4Track::presentation_shift`]): what a packager or
    /// [`fragment_file`](crate::fmp4::fragment_file) takes for this file.
    ///
    /// ```
    /// use bytes::Bytes;
    /// use streamkit_core::mp4::Mp4File;
    ///
    /// let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/fixtures/h264_opus.mp4");
    /// let file = Mp4File::parse(Bytes::from(std::fs::read(path)?))?;
    /// let (tracks, shifts) = file.tracks_and_shifts();
    /// assert_eq!(tracks.len(), 2);
    /// // The Opus track's pre-skip, as its edit list says.
    /// assert_eq!((shifts[1].track_id, shifts[1].ticks), (tracks[1].id, -312));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn tracks_and_shifts(&self) -> (Vec<Track>, Vec<PresentationShift>) {
        let mut tracks = Vec::new();
        let mut shifts = Vec::new();
        for t in self.tracks.iter().filter(|t| t.is_supported()) {
            let Some(track) = t.to_track() else { continue };
            if let Some(ticks) = t.presentation_shift() {
                shifts.push(PresentationShift {
                    track_id: track.id,
                    ticks,
                });
            }
            tracks.push(track);
        }
        (tracks, shifts)
    }

    /// The movie timescale (`mvhd`), the clock of edit lists.
    #[must_use]
    pub fn movie_timescale(&self) -> Timescale {
        self.timescale
    }

    /// The movie duration (`mvhd`), in ticks of
    /// [`Mp4File::movie_timescale`].
    #[must_use]
    pub fn movie_duration(&self) -> u64 {
        self.duration
    }

    /// The `ftyp` major brand (`isom`, `mp42`, ...), if the file has `ftyp`.
    #[must_use]
    pub fn major_brand(&self) -> Option<FourCc> {
        self.major_brand
    }

    /// `true` when `moov` has `mvex`: the file is fragmented, and its
    /// samples (most or all of them) are in `moof` boxes.
    #[must_use]
    pub fn is_fragmented(&self) -> bool {
        self.fragmented
    }

    /// The whole file, as given to [`Mp4File::parse`].
    #[must_use]
    pub fn data(&self) -> &Bytes {
        &self.data
    }

    /// The samples of every supported track, interleaved by decode time
    /// (compared across timescales exactly; ties go to the sample earlier
    /// in the file). Each sample's `data` is a slice of the file.
    #[must_use]
    pub fn samples(&self) -> Samples<'_> {
        Samples::new(self, |_| true)
    }

    /// The samples of one track, in decode order; `None` when there is no
    /// such track or it is not supported.
    #[must_use]
    pub fn track_samples(&self, id: u32) -> Option<Samples<'_>> {
        self.track(id)
            .filter(|t| t.is_supported())
            .map(|_| Samples::new(self, |t| t.id == id))
    }
}

fn parse_mvhd(mvhd: &Mp4Box<'_>) -> Result<(Timescale, u64), Mp4Error> {
    let mut r = mvhd.fields();
    let (version, _) = r.version_flags()?;
    timescale_and_duration(&mut r, version == 1)
}

/// The times, timescale and duration that open `mvhd` and `mdhd` after
/// their version and flags (`wide`: version 1, 64-bit times).
fn timescale_and_duration(
    r: &mut boxes::FieldReader<'_>,
    wide: bool,
) -> Result<(Timescale, u64), Mp4Error> {
    skip_times(r, wide)?;
    let at = r.offset();
    let hz = r.u32("timescale")?;
    let timescale =
        Timescale::new(hz).ok_or_else(|| r.invalid(at, "timescale", 0, "must not be zero"))?;
    let duration = if wide {
        r.u64("duration")?
    } else {
        u64::from(r.u32("duration")?)
    };
    Ok((timescale, duration))
}

fn skip_times(r: &mut boxes::FieldReader<'_>, wide: bool) -> Result<(), Mp4Error> {
    r.skip(
        if wide { 16 } else { 8 },
        "creation_time, modification_time",
    )
}

/// Reads one track; `cut`: the file is cut short, so the track keeps the
/// samples before its first one outside the file.
fn parse_trak(
    file: &Bytes,
    trak: &Mp4Box<'_>,
    movie: Timescale,
    cut: bool,
) -> Result<Mp4Track, Mp4Error> {
    // tkhd: the track id.
    let tkhd = trak.require(b"tkhd")?;
    let mut r = tkhd.fields();
    let (version, _) = r.version_flags()?;
    skip_times(&mut r, version == 1)?;
    let at = r.offset();
    let id = r.u32("track_ID")?;
    if id == 0 {
        return Err(r.invalid(at, "track_ID", 0, "must not be zero"));
    }

    let edits = match trak.child(b"edts")? {
        Some(edts) => match edts.child(b"elst")? {
            Some(elst) => parse_elst(&elst)?,
            None => Vec::new(),
        },
        None => Vec::new(),
    };

    let mdia = trak.require(b"mdia")?;
    let mdhd = mdia.require(b"mdhd")?;
    let mut r = mdhd.fields();
    let (version, _) = r.version_flags()?;
    let (timescale, duration) = timescale_and_duration(&mut r, version == 1)?;
    let language = language(r.u16("language")?);

    let hdlr = mdia.require(b"hdlr")?;
    let mut r = hdlr.fields();
    r.version_flags()?;
    r.skip(4, "pre_defined")?;
    let handler = r.fourcc("handler_type")?;

    let stbl = mdia.require(b"minf")?.require(b"stbl")?;
    let entry = entry::parse_stsd(&stbl.require(b"stsd")?)?;
    let mut declared_samples = 0;
    let (tables, sample_count, sync_sample_count, min_offset) = if entry.codec.is_some() {
        let mut tables = SampleTables::parse(file, &stbl, id)?;
        declared_samples = tables.sample_count();
        let min_offset = if cut {
            tables.validate_present(file.len() as u64)?
        } else {
            tables.validate(file.len() as u64)?
        };
        let (count, sync) = (tables.sample_count(), tables.sync_sample_count());
        (Some(Box::new(tables)), count, sync, min_offset)
    } else {
        // Listed, not read: a damaged table in a track we skip is no error.
        match SampleTables::parse(file, &stbl, id) {
            Ok(t) => (None, t.sample_count(), t.sync_sample_count(), 0),
            Err(_) => (None, 0, None, 0),
        }
    };

    let presentation_shift = presentation_shift(&edits, movie, timescale);
    Ok(Mp4Track {
        id,
        handler,
        timescale,
        duration,
        language,
        entry,
        sample_count,
        sync_sample_count,
        edits,
        presentation_shift,
        composition_to_dts_shift: min_offset
            .checked_neg()
            .map_or(0, |n| n.max(0).unsigned_abs()),
        table_sample_count: sample_count,
        tables,
        fragments: None,
        declared_samples,
    })
}

/// The `mdhd` language: three letters of 5 bits each, offset by 0x60
/// (ISO 639-2/T); `None` unless all three are `a`..=`z`.
fn language(packed: u16) -> Option<[u8; 3]> {
    let letter = |shift: u16| {
        let c = ((packed >> shift) & 0x1f) as u8 + 0x60;
        c.is_ascii_lowercase().then_some(c)
    };
    Some([letter(10)?, letter(5)?, letter(0)?])
}

fn parse_elst(elst: &Mp4Box<'_>) -> Result<Vec<Edit>, Mp4Error> {
    let mut r = elst.fields();
    let (version, _) = r.version_flags()?;
    let count = r.u32("entry_count")?;
    let entry_size: usize = if version == 1 { 20 } else { 12 };
    if (count as usize).saturating_mul(entry_size) > r.remaining() {
        return Err(Mp4Error::EntryCount {
            path: elst.path,
            offset: r.offset(),
            entry_count: u64::from(count),
            entry_size: entry_size as u64,
            available: r.remaining() as u64,
        });
    }
    // Bounded: the entries are present in the box.
    let mut edits = Vec::with_capacity(count as usize);
    for _ in 0..count {
        let (segment_duration, media_time) = if version == 1 {
            (r.u64("segment_duration")?, r.i64("media_time")?)
        } else {
            (
                u64::from(r.u32("segment_duration")?),
                i64::from(r.i32("media_time")?),
            )
        };
        let media_rate = r.i32("media_rate")?;
        edits.push(Edit {
            segment_duration,
            media_time: (media_time != -1).then_some(media_time),
            media_rate,
        });
    }
    Ok(edits)
}

/// The shift the edit list applies when it is empty edits then one edit at
/// normal rate.
fn presentation_shift(edits: &[Edit], movie: Timescale, track: Timescale) -> Option<i64> {
    let mut empty: u64 = 0;
    let mut media_time = None;
    for e in edits {
        match (e.media_time, media_time) {
            (None, None) => empty = empty.checked_add(e.segment_duration)?,
            (Some(t), None) if e.media_rate == RATE_ONE => media_time = Some(t),
            _ => return None,
        }
    }
    // Rounded to the nearest tick, as ffmpeg reads empty edits.
    let empty = crate::time::MediaTime::new(i64::try_from(empty).ok()?, movie)
        .checked_rescale(track, Rounding::Nearest)?
        .ticks();
    empty.checked_sub(media_time.unwrap_or(0))
}

/// The samples of an [`Mp4File`]'s supported tracks, interleaved by decode
/// time; see [`Mp4File::samples`].
#[derive(Clone, Debug)]
pub struct Samples<'a> {
    file: &'a Mp4File,
    heads: Vec<Head>,
}

/// One track's cursor and its next sample.
#[derive(Clone, Debug)]
struct Head {
    track: usize,
    timescale: u32,
    cursor: TrackCursor,
    next: SampleRef,
}

/// Where a track's samples stand: in `moov`'s tables, then in the runs of
/// its fragments.
#[derive(Clone, Debug, Default)]
struct TrackCursor {
    tables: SampleCursor,
    runs: RunCursor,
    in_runs: bool,
}

impl TrackCursor {
    /// The next sample; checked in `Mp4File::parse`, so a table error
    /// cannot happen (and ends the track if it did).
    fn next(&mut self, track: &Mp4Track, file_len: u64) -> Option<SampleRef> {
        if !self.in_runs {
            if let Some(tables) = &track.tables
                && let Ok(Some(s)) = self.tables.next(tables, file_len)
            {
                return Some(s);
            }
            self.in_runs = true;
        }
        self.runs
            .next(track.fragments.as_deref()?, track.table_sample_count)
    }
}

impl<'a> Samples<'a> {
    fn new(file: &'a Mp4File, mut want: impl FnMut(&Mp4Track) -> bool) -> Samples<'a> {
        let len = file.data.len() as u64;
        let heads = file
            .tracks
            .iter()
            .enumerate()
            .filter(|(_, t)| want(t))
            .filter_map(|(i, t)| {
                t.tables.as_ref()?;
                let mut cursor = TrackCursor::default();
                // Validated in `Mp4File::parse`: cannot fail.
                let next = cursor.next(t, len)?;
                Some(Head {
                    track: i,
                    timescale: t.timescale.hz(),
                    cursor,
                    next,
                })
            })
            .collect();
        Samples { file, heads }
    }

    /// `true` when `a` comes before `b`: earlier decode time, then earlier
    /// in the file.
    fn before(a: &Head, b: &Head) -> bool {
        if a.timescale == b.timescale {
            return (a.next.dts, a.next.offset) < (b.next.dts, b.next.offset);
        }
        let ta = i128::from(a.next.dts) * i128::from(b.timescale);
        let tb = i128::from(b.next.dts) * i128::from(a.timescale);
        (ta, a.next.offset) < (tb, b.next.offset)
    }
}

impl Iterator for Samples<'_> {
    type Item = Sample;

    fn next(&mut self) -> Option<Sample> {
        let mut best = 0;
        for i in 1..self.heads.len() {
            if let (Some(a), Some(b)) = (self.heads.get(i), self.heads.get(best))
                && Samples::before(a, b)
            {
                best = i;
            }
        }
        let file = self.file;
        let head = self.heads.get_mut(best)?;
        let track = file.tracks.get(head.track)?;
        let s = head.next;
        // Checked against the file length in `Mp4File::parse`.
        let data = table::slice_of(&file.data, s.offset, s.size as usize)?;
        let sample = Sample {
            track_id: track.id,
            dts: s.dts,
            composition_offset: s.composition_offset,
            duration: s.duration,
            timescale: track.timescale,
            keyframe: s.keyframe,
            data,
        };
        let advanced = head.cursor.next(track, file.data.len() as u64);
        match advanced {
            Some(next) => head.next = next,
            None => {
                self.heads.swap_remove(best);
            }
        }
        Some(sample)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let n: usize = self
            .heads
            .iter()
            .map(|h| {
                let count = self.file.tracks.get(h.track).map_or(0, |t| t.sample_count);
                count.saturating_sub(h.next.index) as usize
            })
            .sum();
        (n, Some(n))
    }
}

impl ExactSizeIterator for Samples<'_> {}

impl core::iter::FusedIterator for Samples<'_> {}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(name: &str) -> Mp4File {
        let path = format!("{}/../tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
        Mp4File::parse(Bytes::from(std::fs::read(path).unwrap())).unwrap()
    }

    #[test]
    fn tracks_and_shifts_of_fixtures() {
        let file = fixture("h264_opus.mp4");
        let (tracks, shifts) = file.tracks_and_shifts();
        let ids: Vec<u32> = tracks.iter().map(|t| t.id).collect();
        assert_eq!(ids, [1, 2]);
        assert_eq!(tracks[0].timescale, file.tracks()[0].timescale());
        assert_eq!(Some(&tracks[1].codec), file.tracks()[1].codec());
        let shifts: Vec<(u32, i64)> = shifts.iter().map(|s| (s.track_id, s.ticks)).collect();
        assert_eq!(shifts, [(1, 0), (2, -312)]);

        let file = fixture("h264_aac.mp4");
        let (tracks, shifts) = file.tracks_and_shifts();
        assert_eq!(tracks.len(), 2);
        let shifts: Vec<(u32, i64)> = shifts.iter().map(|s| (s.track_id, s.ticks)).collect();
        assert_eq!(shifts, [(1, -1024), (2, -1024)]);
    }
}
