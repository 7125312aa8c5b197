//! Sends an MP4 file as MPEG-TS over UDP, seven transport packets (1316
//! bytes) per datagram, paced at the stream's own rate.
//!
//! ```text
//! cargo run --release --example ts_udp -- --input FILE.mp4 --dest 127.0.0.1:1234 [--loop]
//! ffplay udp://127.0.0.1:1234
//! ```
//!
//! Each datagram leaves when the decode time of the sample it ends in comes
//! (the PCR runs a fixed delay behind it, so the receiver's clock follows
//! the same pace); `--speed N` goes N times faster, for tests. The PAT and
//! PMT are repeated before every video keyframe so that a receiver can
//! join at any keyframe. With `--loop` the file starts over at its end with
//! timestamps continuing. Destinations other than loopback are refused
//! unless `--allow-remote` is given. Run with `--help` for every option.
//!
//! This example is the I/O layer around `streamkit_core`: it reads the
//! file and the clock, sleeps and owns the socket; `streamkit_core::mp4`
//! demuxes and `streamkit_core::ts` writes the transport stream.
#![allow(clippy::disallowed_methods)] // the example is the I/O layer: it reads the clock and sleeps

use std::net::{SocketAddr, UdpSocket};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use bytes::Bytes;
use streamkit::core::codec::MediaKind;
use streamkit::core::mp4::Mp4File;
use streamkit::core::sample::Sample;
use streamkit::core::time::{MediaTime, Rounding, Timescale};
use streamkit::core::track::Track;
use streamkit::core::ts::{PACKET_SIZE, TsMuxer};

const USAGE: &str = "\
ts_udp: send an MP4 file as MPEG-TS over UDP, 7 TS packets per datagram, paced at the stream's rate

usage: ts_udp [--input FILE.mp4] [--dest HOST:PORT] [options]

  --input FILE      the MP4 file (default: tests/fixtures/h264_aac.mp4)
  --dest ADDR       where the datagrams go (default 127.0.0.1:1234)
  --loop            start over at the end of the file, timestamps continuing
  --speed N         send N times faster than real time (default 1)
  --allow-remote    allow a destination that is not a loopback address
  --help            this text

play it with: ffplay udp://127.0.0.1:1234
";

/// Transport packets per datagram: 7 × 188 = 1316 bytes, the usual payload
/// that fits a 1500-byte Ethernet MTU with IP and UDP headers.
const PACKETS_PER_DATAGRAM: usize = 7;
const DATAGRAM_SIZE: usize = PACKETS_PER_DATAGRAM * PACKET_SIZE;

struct Options {
    input: PathBuf,
    dest: SocketAddr,
    looping: bool,
    speed: f64,
    allow_remote: bool,
}

fn parse_options() -> Result<Option<Options>, String> {
    let mut o = Options {
        input: PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/h264_aac.mp4"),
        dest: SocketAddr::from(([127, 0, 0, 1], 1234)),
        looping: false,
        speed: 1.0,
        allow_remote: false,
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = |name: &str| args.next().ok_or(format!("{name} needs a value"));
        match arg.as_str() {
            "--help" | "-h" => return Ok(None),
            "--input" => o.input = PathBuf::from(value("--input")?),
            "--dest" => {
                o.dest = value("--dest")?
                    .parse()
                    .map_err(|e| format!("--dest: {e}"))?;
            }
            "--loop" => o.looping = true,
            "--allow-remote" => o.allow_remote = true,
            "--speed" => {
                o.speed = value("--speed")?
                    .parse()
                    .map_err(|e| format!("--speed: {e}"))?;
                if !(o.speed.is_finite() && o.speed > 0.0) {
                    return Err("--speed must be above 0".into());
                }
            }
            other => return Err(format!("unknown argument {other}")),
        }
    }
    if !o.allow_remote && !o.dest.ip().is_loopback() {
        return Err(format!(
            "--dest {} is not a loopback address; pass --allow-remote to send there",
            o.dest
        ));
    }
    Ok(Some(o))
}

fn main() -> ExitCode {
    let options = match parse_options() {
        Ok(Some(o)) => o,
        Ok(None) => {
            print!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("ts_udp: {e}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    match run(&options) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("ts_udp: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(options: &Options) -> Result<(), String> {
    let data = std::fs::read(&options.input)
        .map_err(|e| format!("reading {}: {e}", options.input.display()))?;
    let file = Mp4File::parse(Bytes::from(data))
        .map_err(|e| format!("{}: {e}", options.input.display()))?;
    let tracks: Vec<Track> = file.tracks().iter().filter_map(|t| t.to_track()).collect();
    if tracks.is_empty() {
        return Err(format!("{}: no supported track", options.input.display()));
    }
    let mut muxer = TsMuxer::new(&tracks).map_err(|e| e.to_string())?;
    // One pass lasts the first video track (else the first track); every
    // track's timestamps advance by it at each loop, so they stay aligned.
    // Looping, samples of other tracks that would run past it are left out
    // (the last AAC frame, typically), so that passes do not overlap.
    let reference = tracks
        .iter()
        .find(|t| t.kind() == MediaKind::Video)
        .unwrap_or(&tracks[0]);
    let period = file
        .track_samples(reference.id)
        .and_then(|s| s.map(|s| s.end_dts()).max())
        .map(|end| MediaTime::new(end, reference.timescale))
        .ok_or("the reference track has no samples")?;
    let video_ids: Vec<u32> = tracks
        .iter()
        .filter(|t| t.kind() == MediaKind::Video)
        .map(|t| t.id)
        .collect();

    let socket = UdpSocket::bind(if options.dest.is_ipv4() {
        "0.0.0.0:0"
    } else {
        "[::]:0"
    })
    .map_err(|e| format!("binding a UDP socket: {e}"))?;
    socket
        .connect(options.dest)
        .map_err(|e| format!("{}: {e}", options.dest))?;
    eprintln!(
        "ts_udp: sending {} as MPEG-TS to udp://{}",
        options.input.display(),
        options.dest
    );

    let start = Instant::now();
    let mut out: Vec<u8> = Vec::with_capacity(64 * 1024);
    let mut sent = 0usize;
    let mut first_dts: Option<MediaTime> = None;
    let mut round = 0i64;
    loop {
        for sample in file.samples() {
            let in_track_time =
                |t: MediaTime| t.rescale(sample.timescale, Rounding::Nearest).ticks();
            if options.looping && sample.end_dts() > in_track_time(period) {
                continue;
            }
            let shift = in_track_time(period) * round;
            let sample = Sample {
                dts: sample.dts + shift,
                ..sample
            };
            if sample.keyframe && video_ids.contains(&sample.track_id) {
                muxer.begin_segment(&mut out).map_err(|e| e.to_string())?;
            }
            muxer
                .write_sample(&sample, &mut out)
                .map_err(|e| format!("sample of track {}: {e}", sample.track_id))?;
            // Pace: this sample's decode time, from the first one, at the
            // requested speed.
            let dts = sample.decode_time();
            let first = *first_dts.get_or_insert(dts);
            let micros = dts
                .checked_sub(first)
                .map_or(0, |d| d.rescale(Timescale::MICROS, Rounding::Down).ticks());
            let due = Duration::from_micros(u64::try_from(micros).unwrap_or(0));
            let due = due.div_f64(options.speed);
            let full = out.len() - out.len() % DATAGRAM_SIZE;
            if full > 0 {
                if let Some(wait) = due.checked_sub(start.elapsed()) {
                    std::thread::sleep(wait);
                }
                for datagram in out[..full].chunks(DATAGRAM_SIZE) {
                    socket
                        .send(datagram)
                        .map_err(|e| format!("sending to {}: {e}", options.dest))?;
                    sent += 1;
                }
                out.drain(..full);
            }
        }
        if !options.looping {
            break;
        }
        round += 1;
    }
    if !out.is_empty() {
        socket
            .send(&out)
            .map_err(|e| format!("sending to {}: {e}", options.dest))?;
        sent += 1;
    }
    eprintln!("ts_udp: sent {sent} datagrams");
    Ok(())
}
