//! Streams an MP4 file's video and audio over RTP/UDP in real time, with
//! RTCP sender reports, and writes the SDP a player needs.
//!
//! ```text
//! cargo run --release --example rtp_send -- --input FILE.mp4 --dest 127.0.0.1:5004 --sdp OUT.sdp [--loop]
//! ffplay -protocol_whitelist file,udp,rtp OUT.sdp   # or: ffmpeg ... -i OUT.sdp
//! ```
//!
//! Video (H.264 or H.265) goes to the destination port, audio (AAC or Opus)
//! to port + 2; each stream's RTCP to its port + 1, where ffmpeg's SDP
//! reader expects it. Packets leave when their decode time comes (pass
//! `--speed N` to go N times faster, for tests). At the end of the file the
//! program stops, or with `--loop` starts over with timestamps and sequence
//! numbers continuing. Run with `--help` for every option.
//!
//! This example is the I/O layer around the Sans-IO crates: it reads the
//! file and the clock, sleeps, and owns the socket; `streamkit_rtp` numbers,
//! stamps, packetizes and writes the RTCP reports.
#![allow(clippy::disallowed_methods)] // the example is the I/O layer: it reads the clock and sleeps

#[path = "common/rtp_stream.rs"]
mod rtp_stream;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use bytes::Bytes;
use streamkit::core::mp4::Mp4File;

use rtp_stream::{RtpStream, RtpStreamConfig};

const USAGE: &str = "\
rtp_send: stream an MP4 file's video and audio over RTP/UDP, with RTCP sender reports

usage: rtp_send [--input FILE.mp4] [--dest HOST:PORT] [--sdp OUT.sdp] [options]

  --input FILE     the MP4 file (default: tests/fixtures/h264_aac.mp4)
  --dest ADDR      where video RTP goes (default 127.0.0.1:5004); audio RTP to
                   port + 2, RTCP to each RTP port + 1
  --sdp FILE       where to write the SDP (default: rtp_send.sdp)
  --loop           start over at the end of the file, timestamps continuing
  --speed N        send N times faster than real time (default 1)
  --mtu BYTES      RTP payload budget (default 1200)
  --aac-frames N   AAC frames per RTP packet, 1 to 16 (default 4)
  --seed N         seed of SSRCs, sequence numbers and timestamp offsets
  --sdp-only       write the SDP and exit without sending
  --help           this text
";

struct Options {
    input: PathBuf,
    dest: SocketAddr,
    sdp: PathBuf,
    looping: bool,
    speed: f64,
    mtu: usize,
    aac_frames: usize,
    seed: u64,
    sdp_only: bool,
}

fn parse_options() -> Result<Option<Options>, String> {
    let mut o = Options {
        input: PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/h264_aac.mp4"),
        dest: "127.0.0.1:5004".parse().map_err(|e| format!("{e}"))?,
        sdp: PathBuf::from("rtp_send.sdp"),
        looping: false,
        speed: 1.0,
        mtu: 1200,
        aac_frames: 4,
        seed: 0x5eed,
        sdp_only: false,
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
            "--sdp" => o.sdp = PathBuf::from(value("--sdp")?),
            "--loop" => o.looping = true,
            "--sdp-only" => o.sdp_only = true,
            "--speed" => {
                o.speed = value("--speed")?
                    .parse()
                    .map_err(|e| format!("--speed: {e}"))?;
                if !(o.speed.is_finite() && o.speed > 0.0) {
                    return Err("--speed must be above 0".into());
                }
            }
            "--mtu" => o.mtu = value("--mtu")?.parse().map_err(|e| format!("--mtu: {e}"))?,
            "--aac-frames" => {
                o.aac_frames = value("--aac-frames")?
                    .parse()
                    .map_err(|e| format!("--aac-frames: {e}"))?;
            }
            "--seed" => {
                o.seed = value("--seed")?
                    .parse()
                    .map_err(|e| format!("--seed: {e}"))?
            }
            other => return Err(format!("unknown argument {other}")),
        }
    }
    rtp_stream::check_dest_port(o.dest.port()).map_err(|e| format!("--dest: {e}"))?;
    Ok(Some(o))
}

fn run(o: &Options) -> Result<(), String> {
    let data = std::fs::read(&o.input).map_err(|e| format!("{}: {e}", o.input.display()))?;
    let file =
        Mp4File::parse(Bytes::from(data)).map_err(|e| format!("{}: {e}", o.input.display()))?;
    let config = RtpStreamConfig {
        dest: o.dest,
        looping: o.looping,
        speed: o.speed,
        mtu: o.mtu,
        aac_frames: o.aac_frames,
        seed: o.seed,
        name: "rtp_send",
    };
    let stream =
        RtpStream::new(file, &config).map_err(|e| format!("{}: {e}", o.input.display()))?;
    std::fs::write(&o.sdp, stream.sdp()).map_err(|e| format!("{}: {e}", o.sdp.display()))?;
    eprintln!("rtp_send: wrote {}", o.sdp.display());
    if o.sdp_only {
        return Ok(());
    }
    let packets = stream.run()?;
    eprintln!("rtp_send: sent {packets} RTP packets");
    Ok(())
}

fn main() -> ExitCode {
    match parse_options() {
        Ok(None) => {
            print!("{USAGE}");
            ExitCode::SUCCESS
        }
        Ok(Some(o)) => match run(&o) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("rtp_send: {e}");
                ExitCode::FAILURE
            }
        },
        Err(e) => {
            eprintln!("rtp_send: {e}\n\n{USAGE}");
            ExitCode::from(2)
        }
    }
}
