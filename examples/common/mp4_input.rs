//! Opening an MP4 input, for serve and package alike: a file cut short
//! whose `moov` is whole is read leniently (the samples wholly present),
//! and what is left out is said in one line naming the file.

use std::path::Path;

use bytes::Bytes;
use streamkit::core::mp4::Mp4File;

/// An input file, opened, and what of it is left out (one phrase each).
pub(crate) struct Mp4Input {
    pub(crate) file: Mp4File,
    /// `track 2 (soun) left out: MP3 audio (...)`, `cut short: ...`.
    pub(crate) left_out: Vec<String>,
}

impl Mp4Input {
    /// Reads and parses `path`; the error is the reason nothing of it can
    /// be used (the caller names the file).
    pub(crate) fn open(path: &Path) -> Result<Mp4Input, String> {
        let data = std::fs::read(path).map_err(|e| format!("cannot read it: {e}"))?;
        let file = Mp4File::parse_lenient(Bytes::from(data)).map_err(|e| e.to_string())?;
        let mut left_out = Vec::new();
        for t in file.tracks().iter().filter(|t| !t.is_supported()) {
            let reason = t
                .unsupported_reason()
                .unwrap_or_else(|| "no codec model for it".to_owned());
            let handler = match &t.handler().0 {
                b"vide" => "video".to_owned(),
                b"soun" => "audio".to_owned(),
                _ => format!("{} track", t.handler()),
            };
            left_out.push(format!("track {} ({handler}) left out: {reason}", t.id()));
        }
        if file.tracks().iter().all(|t| !t.is_supported()) {
            return Err(if left_out.is_empty() {
                "no track at all".to_owned()
            } else {
                format!("no track that can be used: {}", left_out.join("; "))
            });
        }
        if let Some(t) = file.truncation() {
            left_out.push(format!("{t}; the samples missing are left out"));
        }
        if file.samples().len() == 0 {
            return Err(if file.is_fragmented() {
                "a fragmented MP4 (its samples are in moof boxes, which this reader does not read); \
                 remux it: ffmpeg -i IN.mp4 -c copy -movflags +faststart OUT.mp4"
                    .to_owned()
            } else {
                "the file holds no samples".to_owned()
            });
        }
        Ok(Mp4Input { file, left_out })
    }
}
