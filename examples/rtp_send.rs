//! Streams an MP4 file's video and audio over RTP/UDP in real time, with
//! RTCP sender reports, and writes the SDP a player needs.
//!
//! ```text
//! cargo run --release --example rtp_send -- --input FILE.mp4 --dest 127.0.0.1:5004 --sdp OUT.sdp [--loop | --passes N]
//! ffplay -protocol_whitelist file,udp,rtp OUT.sdp   # or: ffmpeg ... -i OUT.sdp
//! ```
//!
//! Video (H.264 or H.265) goes to the destination port, audio (AAC or Opus)
//! to port + 2; each stream's RTCP to its port + 1, where ffmpeg's SDP
//! reader expects it, and the receivers' reports come back to the socket
//! the streams leave from. Packets leave when their decode time comes
//! (pass `--speed N` to go N times faster, for tests). At the end of the
//! file the program stops, or with `--passes N` starts over until N passes
//! were sent, or with `--loop` forever, timestamps and sequence numbers
//! continuing. SIGINT and SIGTERM stop it: it sends RTCP BYE and exits 0.
//! Run with `--help` for every option.
//!
//! This example is the I/O layer around [`MediaSender`]: it reads the file
//! and the clocks, sleeps until the sender's next timeout, and owns the
//! socket; the library numbers, stamps, packetizes, paces and writes the
//! RTCP reports.
#![allow(clippy::disallowed_methods)] // the example is the I/O layer: it reads the clock and sleeps

use std::net::{SocketAddr, UdpSocket};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant, SystemTime};

use bytes::Bytes;
use streamkit::core::clock::{UnixTime, WallClock};
use streamkit::core::codec::MediaKind;
use streamkit::core::mp4::Mp4File;
use streamkit::rtp::payload::PacketizerConfig;
use streamkit::rtp::sdp::{Connection, Origin};
use streamkit::rtp::sender::{
    MediaSender, MediaSenderConfig, Pacing, Speed, TransmitKind, first_video_and_audio,
    presentation_lead,
};
use streamkit::rtp::session::SenderEvent;

const USAGE: &str = "\
rtp_send: stream an MP4 file's video and audio over RTP/UDP, with RTCP sender reports

usage: rtp_send [--input FILE.mp4] [--dest HOST:PORT] [--sdp OUT.sdp] [options]

  --input FILE     the MP4 file (default: tests/fixtures/h264_aac.mp4)
  --dest ADDR      where video RTP goes (default 127.0.0.1:5004); audio RTP to
                   port + 2, RTCP to each RTP port + 1
  --sdp FILE       where to write the SDP (default: rtp_send.sdp)
  --passes N       send the file N times, timestamps continuing (default 1)
  --loop           start over at the end of the file forever
  --speed N        send N times faster than real time (default 1)
  --mtu BYTES      RTP payload budget (default 1200)
  --aac-frames N   AAC frames per RTP packet, 1 to 16 (default 4)
  --seed N         seed of SSRCs, sequence numbers and timestamp offsets
  --bye-delay MS   how long the RTCP BYE waits after the last packet (default
                   1000: ffmpeg ends its input at a BYE, reading RTCP first)
  --sdp-only       write the SDP and exit without sending
  --help           this text

SIGINT and SIGTERM stop the stream: RTCP BYE is sent and the exit status is 0.
";

struct Options {
    input: PathBuf,
    dest: SocketAddr,
    sdp: PathBuf,
    /// `None`: forever.
    passes: Option<u64>,
    speed: f64,
    mtu: usize,
    aac_frames: usize,
    seed: u64,
    bye_delay: Duration,
    sdp_only: bool,
}

/// Video RTP goes to the port, its RTCP to port + 1, audio RTP to port + 2
/// and its RTCP to port + 3, and RTP ports are even (RFC 3550 section 11).
fn check_dest_port(port: u16) -> Result<(), &'static str> {
    if port == 0 || port & 1 == 1 || port > u16::MAX - 3 {
        return Err("the destination needs an even port, not 0, with three free ports after it");
    }
    Ok(())
}

fn parse_options() -> Result<Option<Options>, String> {
    let mut o = Options {
        input: PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/h264_aac.mp4"),
        dest: "127.0.0.1:5004".parse().map_err(|e| format!("{e}"))?,
        sdp: PathBuf::from("rtp_send.sdp"),
        passes: Some(1),
        speed: 1.0,
        mtu: 1200,
        aac_frames: 4,
        seed: 0x5eed,
        bye_delay: Duration::from_secs(1),
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
            "--loop" => o.passes = None,
            "--passes" => {
                let n: u64 = value("--passes")?
                    .parse()
                    .map_err(|e| format!("--passes: {e}"))?;
                if n == 0 {
                    return Err("--passes must be at least 1".into());
                }
                o.passes = Some(n);
            }
            "--sdp-only" => o.sdp_only = true,
            "--speed" => {
                o.speed = value("--speed")?
                    .parse()
                    .map_err(|e| format!("--speed: {e}"))?;
                if !(o.speed.is_finite() && (0.001..=1_000_000.0).contains(&o.speed)) {
                    return Err("--speed must be from 0.001 to 1000000".into());
                }
            }
            "--mtu" => o.mtu = value("--mtu")?.parse().map_err(|e| format!("--mtu: {e}"))?,
            "--aac-frames" => {
                o.aac_frames = value("--aac-frames")?
                    .parse()
                    .map_err(|e| format!("--aac-frames: {e}"))?;
            }
            "--bye-delay" => {
                let ms: u64 = value("--bye-delay")?
                    .parse()
                    .map_err(|e| format!("--bye-delay: {e}"))?;
                o.bye_delay = Duration::from_millis(ms);
            }
            "--seed" => {
                o.seed = value("--seed")?
                    .parse()
                    .map_err(|e| format!("--seed: {e}"))?
            }
            other => return Err(format!("unknown argument {other}")),
        }
    }
    check_dest_port(o.dest.port()).map_err(|e| format!("--dest: {e}"))?;
    Ok(Some(o))
}

/// Sets `stop` on SIGINT or SIGTERM (whatever disposition the process
/// inherited) and wakes the sending loop with an empty datagram to `wake`.
fn stop_on_signals(stop: Arc<AtomicBool>, wake: SocketAddr) -> Result<(), String> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("signal runtime: {e}"))?;
    let (ready_tx, ready_rx) = std::sync::mpsc::channel();
    std::thread::Builder::new()
        .name("signals".into())
        .spawn(move || {
            runtime.block_on(async {
                use tokio::signal::unix::{SignalKind, signal};
                let (Ok(mut int), Ok(mut term)) = (
                    signal(SignalKind::interrupt()),
                    signal(SignalKind::terminate()),
                ) else {
                    let _ = ready_tx.send(false);
                    return;
                };
                let _ = ready_tx.send(true);
                tokio::select! {
                    _ = int.recv() => {}
                    _ = term.recv() => {}
                }
            });
            stop.store(true, Ordering::SeqCst);
            if let Ok(socket) = UdpSocket::bind(if wake.is_ipv4() {
                "127.0.0.1:0"
            } else {
                "[::1]:0"
            }) {
                let _ = socket.send_to(&[], wake);
            }
        })
        .map_err(|e| format!("signal thread: {e}"))?;
    match ready_rx.recv() {
        Ok(true) => Ok(()),
        _ => Err("cannot handle SIGINT and SIGTERM".into()),
    }
}

fn run(o: &Options) -> Result<(), String> {
    let data = std::fs::read(&o.input).map_err(|e| format!("{}: {e}", o.input.display()))?;
    let file =
        Mp4File::parse(Bytes::from(data)).map_err(|e| format!("{}: {e}", o.input.display()))?;
    let (tracks, shifts) = file.tracks_and_shifts();
    let tracks = first_video_and_audio(&tracks);
    if tracks.is_empty() {
        return Err(format!(
            "{}: no H.264, H.265, AAC or Opus track",
            o.input.display()
        ));
    }
    if file.samples().next().is_none() {
        // Sending nothing and exiting 0 would look like success.
        return Err(format!("{}: the file holds no samples", o.input.display()));
    }
    let unix = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap_or_default();
    let mut config = MediaSenderConfig::new(
        "rtp_send@streamkit",
        o.seed,
        WallClock::new(Instant::now(), UnixTime::from_unix(unix)),
    );
    config.packetizer = PacketizerConfig::new(o.mtu, o.aac_frames);
    let speed = Speed::ratio((o.speed * 1000.0).round() as u32, 1000).ok_or("--speed")?;
    config.pacing = Pacing::Paced(speed);
    config.presentation_lead = presentation_lead(&tracks, &shifts, file.samples());
    config.goodbye_delay = o.bye_delay;
    let mut sender = MediaSender::new(config, &tracks, &shifts)
        .map_err(|e| format!("{}: {e}", o.input.display()))?;

    let port_of = |kind: MediaKind| match kind {
        MediaKind::Video => o.dest.port(),
        _ => o.dest.port() + 2,
    };
    let sdp = sender
        .session_description(
            Origin::for_address(o.seed, o.dest.ip()),
            "streamkit rtp_send",
            Some(Connection::for_address(o.dest.ip())),
            |t| port_of(t.kind()),
        )
        .and_then(|sdp| sdp.write())
        .map_err(|e| e.to_string())?;
    std::fs::write(&o.sdp, sdp).map_err(|e| format!("{}: {e}", o.sdp.display()))?;
    eprintln!("rtp_send: wrote {}", o.sdp.display());
    if o.sdp_only {
        return Ok(());
    }

    let socket = UdpSocket::bind(if o.dest.is_ipv4() {
        "0.0.0.0:0"
    } else {
        "[::]:0"
    })
    .map_err(|e| format!("bind: {e}"))?;
    let local = socket.local_addr().map_err(|e| format!("bind: {e}"))?;
    let stop = Arc::new(AtomicBool::new(false));
    let wake = SocketAddr::new(
        if o.dest.is_ipv4() {
            [127, 0, 0, 1].into()
        } else {
            std::net::Ipv6Addr::LOCALHOST.into()
        },
        local.port(),
    );
    stop_on_signals(stop.clone(), wake)?;

    // Where each track's RTP and RTCP go.
    let dests: Vec<(u32, SocketAddr, SocketAddr)> = sender
        .tracks()
        .map(|t| {
            let port = port_of(t.kind());
            (
                t.id,
                SocketAddr::new(o.dest.ip(), port),
                SocketAddr::new(o.dest.ip(), port + 1),
            )
        })
        .collect();
    let mut samples = file.samples();
    let mut pass = 1u64;
    let mut buf = vec![0u8; 2048];
    let mut reports = 0u64;
    let mut stopped = false;
    let mut pushed_all = false;
    sender.start(Instant::now());
    loop {
        if stop.load(Ordering::SeqCst) && !stopped {
            stopped = true;
            sender.stop(Instant::now());
        }
        // Keep one sample's payloads queued.
        while !stopped && !pushed_all && sender.feed(&mut samples).map_err(|e| e.to_string())? {
            if o.passes.is_none_or(|n| pass < n) {
                sender.start_next_pass().map_err(|e| e.to_string())?;
                samples = file.samples();
                pass += 1;
            } else {
                sender.finish().map_err(|e| e.to_string())?;
                pushed_all = true;
            }
        }
        let Some(wake_at) = sender.poll_timeout() else {
            break;
        };
        // Sleep until then, reading the receivers' RTCP meanwhile.
        loop {
            let now = Instant::now();
            if now >= wake_at || (stop.load(Ordering::SeqCst) && !stopped) {
                break;
            }
            socket
                .set_read_timeout(Some(wake_at - now))
                .map_err(|e| format!("socket: {e}"))?;
            match socket.recv_from(&mut buf) {
                Ok((n, from)) => {
                    let track = dests.iter().find(|d| d.2 == from).map(|d| d.0);
                    let datagram = buf.get(..n).unwrap_or_default();
                    if let Some(track) = track
                        && let Err(e) = sender.handle_rtcp(
                            Instant::now(),
                            track,
                            Bytes::copy_from_slice(datagram),
                        )
                    {
                        eprintln!("rtp_send: RTCP from {from}: {e}");
                    }
                }
                Err(e)
                    if matches!(
                        e.kind(),
                        std::io::ErrorKind::WouldBlock
                            | std::io::ErrorKind::TimedOut
                            | std::io::ErrorKind::Interrupted
                    ) => {}
                // ICMP port unreachable from a receiver not (yet) listening.
                Err(e) if e.kind() == std::io::ErrorKind::ConnectionRefused => {}
                Err(e) => return Err(format!("receive: {e}")),
            }
        }
        let now = Instant::now();
        sender.handle_timeout(now);
        while let Some(t) = sender.poll_transmit(now) {
            let Some(&(_, rtp, rtcp)) = dests.iter().find(|d| d.0 == t.track_id) else {
                continue;
            };
            let to = match t.kind {
                TransmitKind::Rtp => rtp,
                TransmitKind::Rtcp => rtcp,
            };
            match socket.send_to(t.datagram, to) {
                Ok(_) => {}
                Err(e) if e.kind() == std::io::ErrorKind::ConnectionRefused => {}
                Err(e) => return Err(format!("send to {to}: {e}")),
            }
        }
        while let Some(event) = sender.poll_event() {
            if matches!(event.event, SenderEvent::ReceiverReport { .. }) {
                reports += 1;
            }
        }
    }
    if stopped {
        eprintln!("rtp_send: stopped by a signal; sent RTCP BYE");
    }
    eprintln!(
        "rtp_send: sent {} RTP packets; {reports} receiver report blocks received",
        sender.packets_sent()
    );
    if sender.packets_sent() == 0 && !stopped {
        return Err(format!("{}: sent no RTP packet", o.input.display()));
    }
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
