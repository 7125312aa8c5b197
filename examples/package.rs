//! Packages a media file (MP4, progressive or fragmented, or MPEG-TS,
//! told apart by their bytes) as HLS video on demand.
//!
//! ```text
//! cargo run --release --example package -- INPUT.mp4 OUT_DIR \
//!     [--segment-format ts|fmp4] [--segment-duration SECS]
//! ```
//!
//! Writes `OUT_DIR/master.m3u8`, one media playlist per rendition and the
//! segments (names: see `streamkit_core::package::Naming`), with a progress
//! bar on stderr; with fMP4 segments also `OUT_DIR/manifest.mpd`, a DASH
//! MPD over the very same segment files. The packaging is streamkit-core's
//! `Package`, the playlists and the MPD its HLS and DASH presentations;
//! this program reads the input and writes the files the package's events
//! name. It writes into a directory beside `OUT_DIR` and moves the files
//! into `OUT_DIR` only once everything is written, so a failure leaves
//! nothing half-written behind.
//!
//! A file cut short whose `moov` is whole is packaged from the samples
//! wholly present, and a track without a codec model is left out: each
//! said in one line naming the file. An error names the file it is about
//! (the input, or the output file that could not be written), and the
//! exit code is non-zero when nothing was packaged.

#[path = "common/media_file.rs"]
mod media_file;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use bytes::Bytes;
use media_file::MediaFile;
use streamkit_core::clock::UnixTime;
use streamkit_core::package::{Container, PackageConfig, PackageEvent, RenditionSpec};
use streamkit_core::time::{MediaTime, Rounding, Timescale};
use streamkit_dash::presentation::{Presentation as Dash, PresentationConfig as DashConfig};
use streamkit_hls::presentation::{Presentation as Hls, PresentationConfig as HlsConfig};

const USAGE: &str =
    "usage: package INPUT OUT_DIR [--segment-format ts|fmp4] [--segment-duration SECS]

Packages INPUT (MP4, progressive or fragmented, or MPEG-TS) as HLS video
on demand into OUT_DIR: master.m3u8, one
media playlist per rendition, and the segments; with fMP4 segments also
manifest.mpd (DASH) over the same segments.

options:
  --segment-format ts|fmp4   segment container (default fmp4)
  --segment-duration SECS    target segment duration in seconds, decimals
                             allowed (default 6); segments are cut at the
                             first keyframe past it
  -h, --help                 this text";

struct Args {
    input: PathBuf,
    out: PathBuf,
    format: Container,
    segment_duration: MediaTime,
}

fn parse_args() -> Result<Option<Args>, String> {
    let mut positional = Vec::new();
    let mut format = Container::Cmaf;
    let mut segment_duration = MediaTime::new(6, Timescale::SECONDS);
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "-h" | "--help" => return Ok(None),
            "--segment-format" => {
                format = match args.next().as_deref() {
                    Some("ts") => Container::MpegTs,
                    Some("fmp4") => Container::Cmaf,
                    other => {
                        let got = other.unwrap_or("nothing");
                        return Err(format!("--segment-format: ts or fmp4, not {got}"));
                    }
                }
            }
            "--segment-duration" => {
                let value = args.next().ok_or("--segment-duration needs a value")?;
                let seconds = streamkit_hls::playlist::parse_seconds(&value)
                    .filter(|d| !d.is_zero())
                    .ok_or_else(|| format!("--segment-duration: not a positive number: {value}"))?;
                segment_duration =
                    MediaTime::from_duration(seconds, Timescale::MILLIS, Rounding::Nearest)
                        .filter(|t| t.ticks() > 0)
                        .ok_or_else(|| format!("--segment-duration: out of range: {value}"))?;
            }
            s if s.starts_with('-') => return Err(format!("unknown option {s}")),
            _ => positional.push(PathBuf::from(arg)),
        }
    }
    let [input, out]: [PathBuf; 2] = positional
        .try_into()
        .map_err(|_| "expected INPUT.mp4 and OUT_DIR".to_string())?;
    Ok(Some(Args {
        input,
        out,
        format,
        segment_duration,
    }))
}

/// Writes `name` under `root`; the error names the file.
fn write_file(root: &Path, name: &str, buffers: &[Bytes]) -> Result<(), String> {
    let path = root.join(name);
    let write = || -> std::io::Result<()> {
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        let mut file = std::io::BufWriter::with_capacity(1 << 20, std::fs::File::create(&path)?);
        for b in buffers {
            file.write_all(b)?;
        }
        file.flush()
    };
    write().map_err(|e| format!("{}: {e}", path.display()))
}

/// Whether the progress bar is on stderr (only when it is a terminal), so
/// a message after it starts on a new line.
static PROGRESS_SHOWN: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// The progress bar on a terminal.
fn progress(done: usize, total: usize) {
    use std::sync::atomic::Ordering;
    const WIDTH: usize = 40;
    if !std::io::IsTerminal::is_terminal(&std::io::stderr()) {
        return;
    }
    PROGRESS_SHOWN.store(done < total, Ordering::Relaxed);
    let filled = (done * WIDTH).checked_div(total).unwrap_or(WIDTH);
    let percent = (done * 100).checked_div(total).unwrap_or(100);
    eprint!(
        "\r[{}{}] {percent:3}% {done}/{total} samples",
        "#".repeat(filled),
        " ".repeat(WIDTH - filled)
    );
}

/// Writes what the package made; returns the resource's name.
fn store(root: &Path, event: PackageEvent) -> Result<Option<String>, String> {
    let resource = match event {
        PackageEvent::Init { resource, .. }
        | PackageEvent::Part { resource, .. }
        | PackageEvent::Segment { resource, .. } => resource,
        _ => return Ok(None),
    };
    write_file(root, &resource.name, resource.body.buffers())?;
    Ok(Some(resource.name))
}

/// Packages into `staging`; the caller moves the files into place. The
/// error names the file it is about.
fn package(args: &Args, staging: &Path) -> Result<(), String> {
    let input = args.input.display();
    let data = std::fs::read(&args.input).map_err(|e| format!("{input}: cannot read it: {e}"))?;
    // MP4 (progressive or fragmented, whole or cut short) or MPEG-TS.
    let media = MediaFile::read(Bytes::from(data)).map_err(|e| format!("{input}: {e}"))?;
    eprintln!("package: reading {input} ({})", media.container);
    if !media.warnings.is_empty() {
        eprintln!(
            "package: {input}: {}; the rest is packaged",
            media.warnings.join("; ")
        );
    }
    // An error of the packaging is about the input.
    let about_input = |e: &dyn std::fmt::Display| format!("{input}: {e}");
    let tracks = media.tracks.clone();
    let mut config = PackageConfig::new(args.segment_duration);
    if args.format == Container::MpegTs {
        config = config.with_renditions(vec![RenditionSpec::muxed(
            "main",
            Container::MpegTs,
            &tracks,
        )]);
    }
    let mut package = media.package(config).map_err(|e| about_input(&e))?;
    let total = media.samples.len();
    let step = (total / 100).max(1);
    while let Some(event) = package.poll_event() {
        store(staging, event)?;
    }
    for (i, sample) in media.samples.iter().cloned().enumerate() {
        package.push(sample).map_err(|e| about_input(&e))?;
        while let Some(event) = package.poll_event() {
            store(staging, event)?;
        }
        if i % step == 0 {
            progress(i, total);
        }
    }
    package.finish().map_err(|e| about_input(&e))?;
    while let Some(event) = package.poll_event() {
        store(staging, event)?;
    }
    let hls = Hls::new(&package, HlsConfig::vod()).map_err(|e| about_input(&e))?;
    for (name, bytes) in hls.playlists(&package).map_err(|e| about_input(&e))? {
        write_file(staging, &name, &[bytes])?;
    }
    if args.format == Container::Cmaf {
        let dash = Dash::new(&package, DashConfig::vod()).map_err(|e| about_input(&e))?;
        let mpd = dash
            .write(&package, UnixTime::EPOCH)
            .map_err(|e| about_input(&e))?;
        write_file(staging, dash.manifest_name(), &[Bytes::from(mpd)])?;
    }
    progress(total, total);
    if std::io::IsTerminal::is_terminal(&std::io::stderr()) {
        eprintln!();
    }
    Ok(())
}

/// Moves every entry of `staging` into `out` (replacing what has the same
/// name), then removes `staging`.
fn move_into(staging: &Path, out: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(out)?;
    for entry in std::fs::read_dir(staging)? {
        let entry = entry?;
        let target = out.join(entry.file_name());
        if target.is_dir() {
            std::fs::remove_dir_all(&target)?;
        } else if target.exists() {
            std::fs::remove_file(&target)?;
        }
        std::fs::rename(entry.path(), target)?;
    }
    std::fs::remove_dir(staging)
}

fn run(args: &Args) -> Result<(), String> {
    let name = args
        .out
        .file_name()
        .map_or("out".into(), |n| n.to_string_lossy().into_owned());
    let staging = args
        .out
        .with_file_name(format!(".{name}.partial-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&staging);
    std::fs::create_dir_all(&staging).map_err(|e| format!("{}: {e}", staging.display()))?;
    match package(args, &staging) {
        Ok(()) => {
            move_into(&staging, &args.out).map_err(|e| format!("{}: {e}", args.out.display()))
        }
        Err(e) => {
            let _ = std::fs::remove_dir_all(&staging);
            Err(e)
        }
    }
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(Some(args)) => args,
        Ok(None) => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("package: {e}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            if PROGRESS_SHOWN.load(std::sync::atomic::Ordering::Relaxed) {
                eprintln!();
            }
            eprintln!("package: {e}");
            ExitCode::FAILURE
        }
    }
}
