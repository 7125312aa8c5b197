//! Packages an MP4 file as HLS video on demand.
//!
//! ```text
//! cargo run --release --example package -- INPUT.mp4 OUT_DIR \
//!     [--segment-format ts|fmp4] [--segment-duration SECS]
//! ```
//!
//! Writes `OUT_DIR/master.m3u8`, one media playlist per rendition and the
//! segments (names: see `streamkit_hls::packager`), with a progress bar on
//! stderr. The packaging is streamkit-hls's [`Packager`]; this program only
//! reads the input and writes the files its events name. With fMP4
//! segments it also writes `OUT_DIR/manifest.mpd`, a DASH MPD over the very
//! same segment files, from streamkit-dash's [`VodPackager`] (which names
//! and makes its segments as the HLS packager does; the program checks
//! every file the MPD references was written).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use bytes::Bytes;
use streamkit_core::mp4::Mp4File;
use streamkit_core::time::{MediaTime, Rounding, Timescale};
use streamkit_dash::packager::{VodEvent, VodPackager, VodPackagerConfig};
use streamkit_hls::packager::{Packager, PackagerConfig, PackagerEvent, SegmentFormat};

const USAGE: &str =
    "usage: package INPUT.mp4 OUT_DIR [--segment-format ts|fmp4] [--segment-duration SECS]

Packages INPUT.mp4 as HLS video on demand into OUT_DIR: master.m3u8, one
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
    format: SegmentFormat,
    segment_duration: MediaTime,
}

fn parse_args() -> Result<Option<Args>, String> {
    let mut positional = Vec::new();
    let mut format = SegmentFormat::Fmp4;
    let mut segment_duration = MediaTime::new(6, Timescale::SECONDS);
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "-h" | "--help" => return Ok(None),
            "--segment-format" => {
                format = match args.next().as_deref() {
                    Some("ts") => SegmentFormat::Ts,
                    Some("fmp4") => SegmentFormat::Fmp4,
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

fn write_file(root: &Path, name: &str, buffers: &[Bytes]) -> std::io::Result<()> {
    let path = root.join(name);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    let mut file = std::io::BufWriter::with_capacity(1 << 20, std::fs::File::create(path)?);
    for b in buffers {
        file.write_all(b)?;
    }
    file.flush()
}

fn progress(done: usize, total: usize) {
    const WIDTH: usize = 40;
    let filled = (done * WIDTH).checked_div(total).unwrap_or(WIDTH);
    let percent = (done * 100).checked_div(total).unwrap_or(100);
    eprint!(
        "\r[{}{}] {percent:3}% {done}/{total} samples",
        "#".repeat(filled),
        " ".repeat(WIDTH - filled)
    );
}

fn handle(
    root: &Path,
    event: PackagerEvent,
    written: &mut Vec<String>,
) -> Result<(), Box<dyn std::error::Error>> {
    match event {
        PackagerEvent::InitSegment(r) => {
            write_file(root, &r.name, r.body.buffers())?;
            written.push(r.name);
        }
        PackagerEvent::Segment(s) => {
            write_file(root, &s.resource.name, s.resource.body.buffers())?;
            written.push(s.resource.name);
        }
        PackagerEvent::Part(p) => write_file(root, &p.resource.name, p.resource.body.buffers())?,
        PackagerEvent::MediaPlaylist { name, playlist, .. } => {
            write_file(root, &name, &[playlist.to_bytes()?])?;
        }
        PackagerEvent::MultivariantPlaylist { name, playlist } => {
            write_file(root, &name, &[playlist.to_bytes()?])?;
        }
        PackagerEvent::Removed { name, .. } => std::fs::remove_file(root.join(name))?,
        _ => {}
    }
    Ok(())
}

fn run(args: &Args) -> Result<(), Box<dyn std::error::Error>> {
    let data =
        std::fs::read(&args.input).map_err(|e| format!("reading {}: {e}", args.input.display()))?;
    let file = Mp4File::parse(Bytes::from(data))?;
    let config = PackagerConfig::vod(args.format, args.segment_duration);
    let mut packager = Packager::for_mp4(&file, config)?;
    // The DASH MPD over the same fMP4 segments: the DASH packager's
    // segments are not written again, only checked to be among the HLS
    // packager's files.
    let mut dash = match args.format {
        SegmentFormat::Fmp4 => Some(VodPackager::for_mp4(
            &file,
            VodPackagerConfig::new(args.segment_duration),
        )?),
        _ => None,
    };
    let (mut written, mut referenced) = (Vec::new(), Vec::new());
    let mut mpd = None;
    let mut take_dash = |dash: &mut VodPackager| {
        while let Some(event) = dash.poll() {
            match event {
                VodEvent::Manifest { name, text } => mpd = Some((name, text)),
                other => referenced.push(other.name().to_owned()),
            }
        }
    };
    std::fs::create_dir_all(&args.out)?;
    let samples = file.samples();
    let total = samples.len();
    let step = (total / 100).max(1);
    for (i, sample) in samples.enumerate() {
        if let Some(dash) = dash.as_mut() {
            dash.push(sample.clone())?;
            take_dash(dash);
        }
        packager.push(sample)?;
        while let Some(event) = packager.poll() {
            handle(&args.out, event, &mut written)?;
        }
        if i % step == 0 {
            progress(i, total);
        }
    }
    packager.finish()?;
    while let Some(event) = packager.poll() {
        handle(&args.out, event, &mut written)?;
    }
    if let Some(dash) = dash.as_mut() {
        dash.finish()?;
        take_dash(dash);
    }
    if let Some((name, text)) = mpd {
        written.sort_unstable();
        if let Some(missing) = referenced
            .iter()
            .find(|n| written.binary_search(n).is_err())
        {
            return Err(format!("the MPD references {missing}, which HLS did not write").into());
        }
        write_file(&args.out, &name, &[Bytes::from(text)])?;
    }
    progress(total, total);
    eprintln!();
    Ok(())
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
            eprintln!("\npackage: {e}");
            ExitCode::FAILURE
        }
    }
}
