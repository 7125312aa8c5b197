//! Sends an MP4 file as MPEG-TS over UDP, seven transport packets (1316
//! bytes) per datagram, paced at the stream's own rate; or, with
//! `--listen`, receives MPEG-TS over UDP and prints what it sees.
//!
//! ```text
//! cargo run --release --example ts_udp -- --input FILE.mp4 --dest 127.0.0.1:1234 [--loop]
//! ffplay udp://127.0.0.1:1234
//! cargo run --release --example ts_udp -- --listen 127.0.0.1:1234   # or a multicast group
//! ```
//!
//! Sending ignores ICMP "port unreachable" (a connected UDP socket reports
//! it as "connection refused" on the next send): a UDP sender goes on
//! whether or not anything listens yet, so the receiver can start later.
//!
//! Listening (`--listen ADDR`; a multicast group is joined) demuxes what
//! arrives with `streamkit_core::ts::TsDemuxer` and prints the programs
//! and tracks as they appear, continuity errors as they happen (PID and
//! packets missing), a line a second with the bit rate, and a summary at
//! the end (`--packets N` stops after N transport packets, `--seconds S`
//! after S seconds, else Ctrl-C).
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

use std::collections::BTreeMap;
use std::net::{SocketAddr, UdpSocket};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

#[path = "common/udp_listen.rs"]
mod udp_listen;

use bytes::Bytes;
use streamkit::core::codec::MediaKind;
use streamkit::core::mp4::Mp4File;
use streamkit::core::sample::Sample;
use streamkit::core::time::{MediaTime, Rounding, Timescale};
use streamkit::core::track::Track;
use streamkit::core::ts::{PACKET_SIZE, TsDemuxer, TsEvent, TsMuxer};
use udp_listen::UdpListen;

const USAGE: &str = "\
ts_udp: send an MP4 file as MPEG-TS over UDP, 7 TS packets per datagram, paced at the stream's rate

usage: ts_udp [--input FILE.mp4] [--dest HOST:PORT] [options]
       ts_udp --listen ADDR[@IFACE] [--packets N] [--seconds S]

  --input FILE      the MP4 file (default: tests/fixtures/h264_aac.mp4)
  --dest ADDR       where the datagrams go (default 127.0.0.1:1234)
  --loop            start over at the end of the file, timestamps continuing
  --speed N         send N times faster than real time (default 1)
  --allow-remote    allow a destination that is not a loopback address
  --listen ADDR     receive MPEG-TS on ADDR (IP:PORT, or GROUP:PORT[@IFACE]:
                    a multicast group is joined, on the interface whose
                    address (IPv6: index) is IFACE when given) and print
                    programs, tracks, bit rate and continuity errors
                    instead of sending
  --packets N       with --listen: stop after N transport packets
  --seconds S       with --listen: stop after S seconds
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
    listen: Option<UdpListen>,
    max_packets: Option<u64>,
    max_seconds: Option<f64>,
}

fn parse_options() -> Result<Option<Options>, String> {
    let mut o = Options {
        input: PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/h264_aac.mp4"),
        dest: SocketAddr::from(([127, 0, 0, 1], 1234)),
        looping: false,
        speed: 1.0,
        allow_remote: false,
        listen: None,
        max_packets: None,
        max_seconds: None,
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
            "--listen" => {
                o.listen = Some(
                    UdpListen::parse(&value("--listen")?).map_err(|e| format!("--listen {e}"))?,
                );
            }
            "--packets" => {
                o.max_packets = Some(
                    value("--packets")?
                        .parse()
                        .map_err(|e| format!("--packets: {e}"))?,
                );
            }
            "--seconds" => {
                let s: f64 = value("--seconds")?
                    .parse()
                    .map_err(|e| format!("--seconds: {e}"))?;
                if !(s.is_finite() && s > 0.0) {
                    return Err("--seconds must be above 0".into());
                }
                o.max_seconds = Some(s);
            }
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
    if o.listen.is_none() && !o.allow_remote && !o.dest.ip().is_loopback() {
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
    let result = match options.listen {
        Some(addr) => listen(addr, &options),
        None => run(&options),
    };
    match result {
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
    let mut refused = 0u64;
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
                    send(&socket, datagram, options.dest, &mut refused)?;
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
        send(&socket, &out, options.dest, &mut refused)?;
        sent += 1;
    }
    if refused > 0 {
        eprintln!("ts_udp: sent {sent} datagrams ({refused} found nothing listening)");
    } else {
        eprintln!("ts_udp: sent {sent} datagrams");
    }
    Ok(())
}

/// Sends one datagram. "Connection refused" is the ICMP port-unreachable
/// an earlier datagram met (nothing listened yet): a UDP sender goes on.
fn send(
    socket: &UdpSocket,
    datagram: &[u8],
    dest: SocketAddr,
    refused: &mut u64,
) -> Result<(), String> {
    match socket.send(datagram) {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::ConnectionRefused => {
            if *refused == 0 {
                eprintln!("ts_udp: nothing listens on {dest} yet; sending on");
            }
            *refused += 1;
            // The datagram that met the refusal was not sent: once more.
            match socket.send(datagram) {
                Ok(_) => Ok(()),
                Err(e) if e.kind() == std::io::ErrorKind::ConnectionRefused => Ok(()),
                Err(e) => Err(format!("sending to {dest}: {e}")),
            }
        }
        Err(e) => Err(format!("sending to {dest}: {e}")),
    }
}

/// What the listener counts.
#[derive(Default)]
struct Tally {
    bytes: u64,
    datagrams: u64,
    continuity: BTreeMap<u16, (u64, u64)>,
    samples: BTreeMap<u16, u64>,
    errors: u64,
}

/// Receives MPEG-TS on `addr` and prints what it sees.
fn listen(addr: UdpListen, options: &Options) -> Result<(), String> {
    let (socket, local) = addr
        .bind()
        .map_err(|e| format!("--listen {}: {e}", addr.addr))?;
    socket
        .set_read_timeout(Some(Duration::from_secs(1)))
        .map_err(|e| e.to_string())?;
    println!("ts_udp: listening on udp://{local}");
    let mut demuxer = TsDemuxer::new();
    let mut tally = Tally::default();
    let mut buf = vec![0u8; 65_536];
    let start = Instant::now();
    let mut last_report = (start, 0u64);
    let mut first_datagram: Option<Instant> = None;
    loop {
        let now = Instant::now();
        if options
            .max_seconds
            .is_some_and(|s| now.duration_since(start).as_secs_f64() >= s)
            || options
                .max_packets
                .is_some_and(|n| demuxer.packet_count() >= n)
        {
            break;
        }
        match socket.recv(&mut buf) {
            Ok(n) => {
                first_datagram.get_or_insert(now);
                tally.bytes += n as u64;
                tally.datagrams += 1;
                demuxer.push(&buf[..n]).map_err(|e| e.to_string())?;
                report_events(&mut demuxer, &mut tally);
            }
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) => {}
            Err(e) => return Err(format!("receiving on {local}: {e}")),
        }
        let now = Instant::now();
        let since = now.duration_since(last_report.0);
        if since >= Duration::from_secs(1) && tally.datagrams > 0 {
            let rate = (tally.bytes - last_report.1) as f64 * 8.0 / since.as_secs_f64();
            println!(
                "[{:6.1} s] {:8.3} Mbit/s, {} packets, continuity errors {}",
                now.duration_since(start).as_secs_f64(),
                rate / 1e6,
                demuxer.packet_count(),
                tally.continuity.values().map(|(n, _)| n).sum::<u64>()
            );
            last_report = (now, tally.bytes);
        }
    }
    demuxer.finish().map_err(|e| e.to_string())?;
    report_events(&mut demuxer, &mut tally);
    let seconds = first_datagram.map_or(0.0, |t| t.elapsed().as_secs_f64());
    let continuity: Vec<String> = tally
        .continuity
        .iter()
        .map(|(pid, (n, missing))| format!("PID {pid:#06x}: {n} ({missing} packets missing)"))
        .collect();
    let samples: Vec<String> = tally
        .samples
        .iter()
        .map(|(pid, n)| format!("PID {pid:#06x}: {n}"))
        .collect();
    println!(
        "summary: {} datagrams, {} packets, {} bytes, {:.3} Mbit/s average",
        tally.datagrams,
        demuxer.packet_count(),
        tally.bytes,
        if seconds > 0.0 {
            tally.bytes as f64 * 8.0 / seconds / 1e6
        } else {
            0.0
        }
    );
    println!(
        "summary: continuity errors: {} [{}]",
        tally.continuity.values().map(|(n, _)| n).sum::<u64>(),
        continuity.join(", ")
    );
    println!("summary: samples: [{}]", samples.join(", "));
    println!("summary: other errors: {}", tally.errors);
    Ok(())
}

/// Prints what the demuxer found, and counts it.
fn report_events(demuxer: &mut TsDemuxer, tally: &mut Tally) {
    while let Some(event) = demuxer.poll_event() {
        match event {
            TsEvent::Program(p) => {
                println!(
                    "program {}: PMT PID {:#06x}, PCR PID {:#06x}, version {}",
                    p.program_number, p.pmt_pid, p.pcr_pid, p.version
                );
                for s in &p.streams {
                    let codec = s
                        .codec
                        .map_or("not demuxed".to_owned(), |c| format!("{c:?}"));
                    println!(
                        "  PID {:#06x}: stream type {:#04x} ({codec})",
                        s.pid, s.stream_type
                    );
                }
            }
            TsEvent::Track { track, .. } => {
                let codec = &track.codec;
                let detail = match (codec.dimensions(), codec.channels()) {
                    (Some((w, h)), _) => format!("{w}x{h}"),
                    (None, Some(c)) => format!("{} Hz, {c} channels", track.timescale.hz()),
                    _ => String::new(),
                };
                println!(
                    "track PID {:#06x}: {} {detail}",
                    track.id,
                    track.codec_string()
                );
            }
            TsEvent::Sample(s) => *tally.samples.entry(s.pid).or_default() += 1,
            TsEvent::ContinuityError(c) => {
                println!(
                    "continuity error: PID {:#06x}, {} packets missing (counter {} expected, {} found, packet {})",
                    c.pid, c.missing, c.expected, c.found, c.packet
                );
                let entry = tally.continuity.entry(c.pid).or_default();
                entry.0 += 1;
                entry.1 += u64::from(c.missing);
            }
            TsEvent::Resync {
                offset,
                skipped,
                stride,
            } => {
                println!("resync: {skipped} bytes skipped at byte {offset}, {stride}-byte packets")
            }
            TsEvent::Error(e) => {
                tally.errors += 1;
                println!("error: {e}");
            }
            _ => {}
        }
    }
}
