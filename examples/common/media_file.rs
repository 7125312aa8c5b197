//! A media file's tracks and samples, whatever the container: progressive
//! or fragmented MP4 (`streamkit_core::mp4`) or MPEG-TS
//! (`streamkit_core::ts`), told apart by their bytes, not by the file's
//! name.

use bytes::Bytes;
use streamkit::core::mp4::Mp4File;
use streamkit::core::package::{Package, PackageConfig, PackageError};
use streamkit::core::sample::{PresentationShift, Sample};
use streamkit::core::track::Track;
use streamkit::core::ts::TsFile;

/// What a file holds, ready to package.
pub(crate) struct MediaFile {
    /// `MP4`, `fragmented MP4` or `MPEG-TS`.
    pub(crate) container: &'static str,
    pub(crate) tracks: Vec<Track>,
    /// The tracks' edit-list shifts (MP4; none for MPEG-TS).
    pub(crate) shifts: Vec<PresentationShift>,
    /// `(track, ticks)`: how far negative composition offsets reach
    /// (MP4's `compositionToDTSShift`; MPEG-TS has none).
    pub(crate) composition_shifts: Vec<(u32, u32)>,
    /// Every sample, interleaved by decode time.
    pub(crate) samples: Vec<Sample>,
    /// What was left out or damaged, one phrase each (a track without a
    /// codec model, the samples a cut took, lost packets).
    pub(crate) warnings: Vec<String>,
}

impl MediaFile {
    /// Reads `data`: MPEG-TS when it starts with transport packets,
    /// otherwise MP4 (progressive or fragmented, whole or cut short after
    /// its `moov`). The error is the reason nothing of it can be used (the
    /// caller names the file).
    pub(crate) fn read(data: Bytes) -> Result<MediaFile, String> {
        if TsFile::is_transport_stream(&data) {
            let ts = TsFile::parse(&data).map_err(|e| e.to_string())?;
            let mut warnings = Vec::new();
            let lost = ts.continuity_errors().len();
            if lost > 0 {
                warnings.push(format!("{lost} continuity errors (packets lost)"));
            }
            if ts.error_count() > 0 {
                let first = ts.errors().first().map(ToString::to_string);
                warnings.push(format!(
                    "{} damaged packets or PES packets, the first: {}",
                    ts.error_count(),
                    first.unwrap_or_default()
                ));
            }
            for s in &ts.program().streams {
                if s.codec.is_none() {
                    warnings.push(format!(
                        "PID {:#x} (stream type {:#04x}) left out: no codec model for it",
                        s.pid, s.stream_type
                    ));
                }
            }
            let tracks = ts.tracks().to_vec();
            if tracks.is_empty() {
                return Err(if warnings.is_empty() {
                    "no elementary stream at all".to_owned()
                } else {
                    format!("no stream that can be used: {}", warnings.join("; "))
                });
            }
            let samples = ts.into_samples();
            if samples.is_empty() {
                return Err("the file holds no samples".to_owned());
            }
            return Ok(MediaFile {
                container: "MPEG-TS",
                tracks,
                shifts: Vec::new(),
                composition_shifts: Vec::new(),
                samples,
                warnings,
            });
        }
        // A file cut short after a whole moov is read up to its first
        // missing sample, and the cut reported.
        let file = Mp4File::parse_lenient(data).map_err(|e| e.to_string())?;
        let mut warnings = Vec::new();
        for t in file.tracks().iter().filter(|t| !t.is_supported()) {
            let reason = t
                .unsupported_reason()
                .unwrap_or_else(|| "no codec model for it".to_owned());
            let handler = match &t.handler().0 {
                b"vide" => "video".to_owned(),
                b"soun" => "audio".to_owned(),
                _ => format!("{} track", t.handler()),
            };
            warnings.push(format!("track {} ({handler}) left out: {reason}", t.id()));
        }
        if file.tracks().iter().all(|t| !t.is_supported()) {
            return Err(if warnings.is_empty() {
                "no track at all".to_owned()
            } else {
                format!("no track that can be used: {}", warnings.join("; "))
            });
        }
        if let Some(t) = file.truncation() {
            warnings.push(format!("{t}; the samples missing are left out"));
        }
        if file.samples().len() == 0 {
            return Err("the file holds no samples".to_owned());
        }
        let (tracks, shifts) = file.tracks_and_shifts();
        let composition_shifts = file
            .tracks()
            .iter()
            .filter(|t| t.is_supported())
            .map(|t| (t.id(), t.composition_to_dts_shift()))
            .collect();
        Ok(MediaFile {
            container: if file.is_fragmented() {
                "fragmented MP4"
            } else {
                "MP4"
            },
            tracks,
            shifts,
            composition_shifts,
            samples: file.samples().collect(),
            warnings,
        })
    }

    /// A package of these tracks with `config` (shifts set).
    pub(crate) fn package(&self, config: PackageConfig) -> Result<Package, PackageError> {
        let mut package = Package::new(&self.tracks, &self.shifts, config)?;
        for &(track, ticks) in &self.composition_shifts {
            package.set_composition_to_dts_shift(track, ticks);
        }
        Ok(package)
    }
}
