//! A streaming server: MP4 files as HLS over HTTP, with a web page that
//! plays them.
//!
//! ```text
//! cargo run --release --example serve                 # the bundled fixture
//! cargo run --release --example serve -- A.mp4 B.mp4  # these files
//! ```
//!
//! For each file NAME (its stem) it serves
//!
//! - `/vod/NAME/master.m3u8`: HLS video on demand, fMP4 (CMAF) segments,
//!   one rendition per track;
//! - `/vod/NAME/ts/master.m3u8`: HLS video on demand, MPEG-TS segments;
//! - `/vod/NAME/manifest.mpd`: DASH video on demand (streamkit-dash's
//!   packager), over the same fMP4 segments as HLS;
//! - `/live/NAME/master.m3u8`: a live channel that loops the file on a
//!   simulated encoder clock, low-latency HLS (500 ms parts, blocking
//!   playlist reload, preload hints, delta updates);
//! - `/live/NAME/manifest.mpd`: the same channel as low-latency DASH
//!   (streamkit-dash's live packager and origin: chunked CMAF segments
//!   sent chunk by chunk as they are made, UTCTiming at `/live/NAME/time`);
//! - `/rtp/NAME.sdp?dest=127.0.0.1:PORT`: starts an RTP/RTCP stream of
//!   the file to that address (video to PORT, audio to PORT + 2, RTCP to
//!   each + 1; PORT even) and answers its SDP; loopback only unless
//!   `--allow-remote`, at most `--max-rtp-streams` at once (see `rtp`);
//! - `rtsp://HOST:8554/vod/NAME` and `rtsp://HOST:8554/live/NAME`: the
//!   file and its live channel over RTSP (UDP or TCP interleaved), and
//!   publishing with ANNOUNCE/RECORD to `rtsp://HOST:8554/live/KEY` (see
//!   `rtsp`); with `--tls-cert`/`--tls-key`, the same over TLS at
//!   `rtsps://HOST:8322/` (interleaved only); and RTSP over HTTP on the
//!   HTTP port itself, the QuickTime tunnel (see `tunnel`);
//! - `/`: a page listing the streams that plays them with the browser's
//!   own HLS player and shows their codecs, resolution and bit rate;
//! - `/streams.json`: the list the page reads.
//!
//! At start-up it prints the URLs to open; it logs each request at
//! `debug` and errors at `info`, repeated ones summarised (`--log LEVEL`,
//! or `RUST_LOG`); Ctrl-C or SIGTERM stops it, letting requests in flight
//! finish. `--bind HOST:PORT` (default `127.0.0.1:8080`; a name such as
//! `localhost` is resolved; port 0 picks a free port, printed). Run with
//! `--help` for every option.
//!
//! The packaging and the answers are streamkit-hls's: at start-up each file
//! is packaged in memory by its `Packager` into an `Origin`, which answers
//! each request by its whole path among the names the packager gave (and
//! holds LL-HLS blocking requests); the live channel's packager runs on a
//! task. This program reads the files and the clock, owns the sockets,
//! bounds the connections and moves bytes.
#![allow(clippy::disallowed_methods)] // the example is the I/O layer: it reads the clock

mod batch;
mod catalog;
mod http;
mod live;
mod log;
#[path = "../common/media_file.rs"]
mod media_file;
mod mount;
mod pull;
mod rtmp;
mod rtp;
mod rtsp;
#[path = "../common/rtsp_client.rs"]
mod rtsp_client;
mod send;
mod timer;
mod tls;
mod tunnel;
mod udp_ingest;
#[path = "../common/udp_listen.rs"]
mod udp_listen;
#[cfg(target_os = "linux")]
mod zero_copy;

use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use catalog::Catalog;
use http::Limits;
use live::{LiveHub, LoopedChannel};
use rtp::RtpEndpoint;
use streamkit::core::clock::{UnixTime, WallClock};

const USAGE: &str = "\
serve: a streaming server for MP4 files (HLS, fMP4 and MPEG-TS) with a web page

usage: serve [FILE.mp4 ...] [options]

  FILE.mp4                 files to serve (default: tests/fixtures/h264_aac.mp4)
  --bind HOST:PORT         where to listen (default 127.0.0.1:8080; names such as
                           localhost are resolved; port 0: any free port)
  --log LEVEL              error, warn, info (default), debug (every request), trace,
                           or TARGET=LEVEL items separated by commas; else RUST_LOG
  --header-timeout SECS    drop a connection whose request head takes longer (default 10)
  --send-timeout SECS      drop a response whose client takes no byte for this long
                           (default 5)
  --max-connections N      connections served at once (default 256)
  --reserved-connections N slots that clients who stopped reading never take, kept for
                           new clients (default an eighth of --max-connections)
  --connection-lifetime SECS  close a connection after this long (default 600)
  --max-held N             LL-HLS requests each live channel holds at once (default 1000)
  --max-rtp-streams N      RTP streams running at once (default 4)
  --allow-remote           let /rtp/NAME.sdp?dest= send to non-loopback addresses
  --udp-ingest IP:PORT=NAME  receive MPEG-TS over UDP there (a multicast group is
                           joined; port 0: any free port, printed) and publish it
                           as the live stream NAME (/live/NAME/); repeatable.
                           GROUP:PORT@IFACE=NAME joins the group on that interface
                           (its IPv4 address, or an IPv6 interface index; default:
                           the routing table's choice)
  --pull URL=NAME          pull rtsp://[USER:PASS@]HOST[:PORT]/PATH (a camera, TCP
                           interleaved) and publish it as the live stream NAME;
                           reconnects when it drops; repeatable
  --rtmp-bind ADDR         RTMP ingest and play (default 127.0.0.1:1935; port 0: any)
  --rtmps-bind ADDR        RTMPS (default 127.0.0.1:1936), with --tls-cert and --tls-key
  --tls-cert FILE          PEM certificate chain for RTMPS and RTSPS
  --tls-key FILE           PEM private key for RTMPS and RTSPS
  --rtmp-key KEY           a stream key allowed to publish (repeat; default: any key)
{RTSP}  --live-speed X           play the looped files' live channels X times faster than the
                           clock (default 1; for soak tests: only LL-HLS players follow)
  --help                   this text

For each file NAME: /vod/NAME/master.m3u8 (HLS, fMP4), /vod/NAME/ts/master.m3u8
(HLS, MPEG-TS), /vod/NAME/manifest.mpd (DASH, the same fMP4 segments),
/live/NAME/master.m3u8 (LL-HLS, the file looped), /live/NAME/manifest.mpd
(LL-DASH, the same channel), /rtp/NAME.sdp?dest=127.0.0.1:PORT (RTP to
PORT and PORT + 2, RTCP to each + 1; PORT even; answers the SDP),
rtsp://HOST:8554/vod/NAME and /live/NAME (RTSP; publish to /live/KEY), the
same over TLS at rtsps://HOST:8322/ with a certificate, and over HTTP on the
HTTP port (the QuickTime tunnel: rtsp://HOST:8080/vod/NAME with ffmpeg's
-rtsp_transport http, rtsph://HOST:8080/vod/NAME in GStreamer); the page at /
lists them. RTMP: publish to rtmp://HOST/live/KEY (then /live/KEY/
plays LL-HLS and LL-DASH, and rtmp://HOST/live/KEY plays), play
rtmp://HOST/vod/NAME.
Ctrl-C stops the server.
";

struct Options {
    files: Vec<PathBuf>,
    /// `HOST:PORT`, resolved when the server starts.
    bind: String,
    log: tracing_subscriber::filter::Targets,
    limits: Limits,
    max_rtp_streams: usize,
    allow_remote: bool,
    udp_ingests: Vec<udp_ingest::UdpIngest>,
    pulls: Vec<pull::Pull>,
    rtmp: rtmp::RtmpOptions,
    rtsp: rtsp::RtspOptions,
    tls: tls::TlsFiles,
    live_speed: f64,
}

fn parse_options() -> Result<Option<Options>, String> {
    let mut o = Options {
        files: Vec::new(),
        bind: "127.0.0.1:8080".to_owned(),
        log: log::parse_filter("info").map_err(|e| format!("the default log level: {e}"))?,
        limits: Limits::default(),
        max_rtp_streams: 4,
        allow_remote: false,
        udp_ingests: Vec::new(),
        pulls: Vec::new(),
        rtmp: rtmp::RtmpOptions::default(),
        rtsp: rtsp::RtspOptions::default(),
        tls: tls::TlsFiles::default(),
        live_speed: 1.0,
    };
    if let Ok(spec) = std::env::var("RUST_LOG")
        && !spec.trim().is_empty()
    {
        o.log = log::parse_filter(&spec).map_err(|e| format!("RUST_LOG: {e}"))?;
    }
    let mut reserved = None;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = |name: &str| args.next().ok_or(format!("{name} needs a value"));
        match arg.as_str() {
            "--help" | "-h" => return Ok(None),
            "--bind" => o.bind = value("--bind")?,
            "--log" => {
                o.log = log::parse_filter(&value("--log")?).map_err(|e| format!("--log: {e}"))?;
            }
            "--send-timeout" => {
                let secs: f64 = value("--send-timeout")?
                    .parse()
                    .map_err(|e| format!("--send-timeout: {e}"))?;
                o.limits.send_timeout = Duration::try_from_secs_f64(secs)
                    .ok()
                    .filter(|d| !d.is_zero())
                    .ok_or("--send-timeout must be above 0")?;
            }
            "--reserved-connections" => {
                reserved = Some(
                    value("--reserved-connections")?
                        .parse::<usize>()
                        .map_err(|e| format!("--reserved-connections: {e}"))?,
                );
            }
            "--header-timeout" => {
                let secs: f64 = value("--header-timeout")?
                    .parse()
                    .map_err(|e| format!("--header-timeout: {e}"))?;
                o.limits.header_timeout = Duration::try_from_secs_f64(secs)
                    .ok()
                    .filter(|d| !d.is_zero())
                    .ok_or("--header-timeout must be above 0")?;
            }
            "--connection-lifetime" => {
                let secs: f64 = value("--connection-lifetime")?
                    .parse()
                    .map_err(|e| format!("--connection-lifetime: {e}"))?;
                o.limits.connection_lifetime = Duration::try_from_secs_f64(secs)
                    .ok()
                    .filter(|d| !d.is_zero())
                    .ok_or("--connection-lifetime must be above 0")?;
            }
            "--max-connections" => {
                o.limits.max_connections = value("--max-connections")?
                    .parse()
                    .ok()
                    .filter(|n| *n > 0)
                    .ok_or("--max-connections must be a number above 0")?;
            }
            "--max-held" => {
                o.limits.max_held = value("--max-held")?
                    .parse()
                    .ok()
                    .filter(|n| *n > 0)
                    .ok_or("--max-held must be a number above 0")?;
            }
            "--max-rtp-streams" => {
                o.max_rtp_streams = value("--max-rtp-streams")?
                    .parse()
                    .ok()
                    .filter(|n| *n > 0)
                    .ok_or("--max-rtp-streams must be a number above 0")?;
            }
            "--allow-remote" => o.allow_remote = true,
            "--udp-ingest" => o
                .udp_ingests
                .push(udp_ingest::UdpIngest::parse(&value("--udp-ingest")?)?),
            "--pull" => o.pulls.push(pull::Pull::parse(&value("--pull")?)?),
            "--rtmp-bind" => {
                o.rtmp.bind = value("--rtmp-bind")?
                    .parse()
                    .map_err(|e| format!("--rtmp-bind: {e}"))?;
                o.rtmp.bind_given = true;
            }
            "--rtmps-bind" => {
                o.rtmp.rtmps_bind = Some(
                    value("--rtmps-bind")?
                        .parse()
                        .map_err(|e| format!("--rtmps-bind: {e}"))?,
                );
            }
            "--tls-cert" => o.tls.cert = Some(PathBuf::from(value("--tls-cert")?)),
            "--tls-key" => o.tls.key = Some(PathBuf::from(value("--tls-key")?)),
            "--rtmp-key" => o.rtmp.keys.push(value("--rtmp-key")?),
            s if rtsp::RtspOptions::takes(s) => o.rtsp.set(s, value(s)?)?,
            "--live-speed" => {
                o.live_speed = value("--live-speed")?
                    .parse::<f64>()
                    .ok()
                    .filter(|x| x.is_finite() && (1.0..=1000.0).contains(x))
                    .ok_or("--live-speed must be a number from 1 to 1000")?;
            }
            s if s.starts_with('-') => return Err(format!("unknown option {s}")),
            file => o.files.push(PathBuf::from(file)),
        }
    }
    o.limits.reserved_connections =
        reserved.unwrap_or(Limits::default_reserve(o.limits.max_connections));
    if o.limits.reserved_connections >= o.limits.max_connections {
        return Err(format!(
            "--reserved-connections ({}) must be below --max-connections ({})",
            o.limits.reserved_connections, o.limits.max_connections
        ));
    }
    if o.files.is_empty() {
        o.files
            .push(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/h264_aac.mp4"));
    }
    Ok(Some(o))
}

fn main() -> ExitCode {
    let options = match parse_options() {
        Ok(Some(o)) => o,
        Ok(None) => {
            print!("{}", USAGE.replace("{RTSP}", rtsp::USAGE));
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("serve: {e}\n\n{}", USAGE.replace("{RTSP}", rtsp::USAGE));
            return ExitCode::from(2);
        }
    };
    log::init(options.log.clone());
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("serve: starting the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    // Mounts start their timers on the runtime.
    let _runtime = runtime.enter();
    // The one reading of both clocks: the origins' `now` is the monotonic
    // clock; wall-clock values (program date-times, DASH times) come from
    // this link.
    let now = Instant::now();
    let wall = WallClock::new(
        now,
        UnixTime::from_unix(
            SystemTime::now()
                .duration_since(SystemTime::UNIX_EPOCH)
                .unwrap_or_default(),
        ),
    );
    let live = LiveHub::new(wall, options.limits.max_held, options.live_speed);
    let (catalog, channels, left_out) =
        Catalog::package(&options.files, now, live, options.limits.max_held);
    for l in &left_out {
        eprintln!("serve: {}: left out: {}", l.file.display(), l.reason);
    }
    #[cfg(target_os = "linux")]
    zero_copy::freeze();
    if catalog.streams.is_empty() {
        eprintln!("serve: nothing to serve");
        return ExitCode::FAILURE;
    }
    match runtime.block_on(run(options, Arc::new(catalog), channels)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("serve: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Resolves at the first SIGINT or SIGTERM (the two ask the same: stop,
/// letting requests in flight finish).
async fn stop_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match (
            signal(SignalKind::interrupt()),
            signal(SignalKind::terminate()),
        ) {
            (Ok(mut int), Ok(mut term)) => {
                tokio::select! {
                    _ = int.recv() => tracing::info!("SIGINT: stopping"),
                    _ = term.recv() => tracing::info!("SIGTERM: stopping"),
                }
            }
            (Err(e), _) | (_, Err(e)) => {
                tracing::warn!("no signal handler: {e}");
                std::future::pending::<()>().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

async fn run(
    options: Options,
    catalog: Arc<Catalog>,
    channels: Vec<LoopedChannel>,
) -> Result<(), String> {
    let listener = bind(&options.bind).await?;
    let addr = listener
        .local_addr()
        .map_err(|e| format!("local address: {e}"))?;
    for channel in channels {
        tokio::spawn(channel.run());
    }
    tokio::spawn(log::tell_summaries());
    let mut ingests = Vec::new();
    for ingest in &options.udp_ingests {
        let (socket, local) = ingest.bind()?;
        tokio::spawn(udp_ingest::run(
            socket,
            ingest.name.clone(),
            catalog.live.clone(),
        ));
        ingests.push((ingest.name.clone(), local));
    }
    for p in options.pulls {
        tokio::spawn(pull::run(p, catalog.live.clone()));
    }
    let files = catalog
        .streams
        .iter()
        .map(|s| (s.name.clone(), s.source.clone()))
        .collect();
    let tls = options.tls.acceptor()?;
    let rtmp = rtmp::start(&options.rtmp, tls.clone(), catalog.live.clone(), files).await?;
    if tls.is_none() && options.rtsp.rtsps_bind_given {
        return Err("--rtsps-bind needs --tls-cert and --tls-key".into());
    }
    let rtsps_options = (options.rtsp.rtsps_bind, options.rtsp.rtsps_bind_given);
    let rtsp = rtsp::RtspServer::bind(options.rtsp).await?;
    let rtsp_addr = rtsp.local_addr()?;
    let _ = catalog.rtsp.set(rtsp_addr);
    let rtsp_service = rtsp.service(catalog.clone(), catalog.live.wall_clock());
    let rtsps_addr = match tls {
        Some(acceptor) => rtsp::start_rtsps(rtsps_options, acceptor, rtsp_service.clone()).await?,
        None => None,
    };
    if let Some(a) = rtsps_addr {
        let _ = catalog.rtsps.set(a);
    }
    tokio::spawn(rtsp.run(rtsp_service.clone()));
    print_urls(addr, &catalog, &ingests, &rtmp, rtsp_addr, rtsps_addr);
    let rtp = Arc::new(RtpEndpoint::new(
        catalog
            .streams
            .iter()
            .map(|s| (s.name.clone(), s.source.clone()))
            .collect(),
        options.allow_remote,
        options.max_rtp_streams,
    ));
    let tunnels = Arc::new(tunnel::Tunnels::new(rtsp_service));
    http::serve(
        listener,
        catalog,
        rtp,
        tunnels,
        options.limits,
        stop_signal(),
    )
    .await;
    log::tell_remaining();
    tracing::info!("stopped");
    Ok(())
}

/// Listens on `HOST:PORT`: a name is resolved, and the first of its
/// addresses that can be bound is used.
async fn bind(spec: &str) -> Result<tokio::net::TcpListener, String> {
    let has_port = spec
        .rsplit_once(':')
        .is_some_and(|(host, port)| !host.is_empty() && port.parse::<u16>().is_ok());
    if !has_port {
        return Err(format!(
            "--bind {spec}: needs HOST:PORT (localhost:8080, 0.0.0.0:0, [::1]:8080)"
        ));
    }
    let addrs: Vec<SocketAddr> = tokio::net::lookup_host(spec)
        .await
        .map_err(|e| {
            format!("--bind {spec}: not an address or a name to resolve (HOST:PORT): {e}")
        })?
        .collect();
    let mut last = None;
    for addr in &addrs {
        match tokio::net::TcpListener::bind(addr).await {
            Ok(l) => return Ok(l),
            Err(e) => last = Some(format!("{addr}: {e}")),
        }
    }
    Err(format!(
        "--bind {spec}: {}",
        last.unwrap_or_else(|| "the name resolves to no address".to_owned())
    ))
}

/// The URLs to open, one per line, on stdout (tests read them).
fn print_urls(
    addr: SocketAddr,
    catalog: &Catalog,
    ingests: &[(String, SocketAddr)],
    extra: &[String],
    rtsp: SocketAddr,
    rtsps: Option<SocketAddr>,
) {
    let base = format!("http://{addr}");
    let mut out = String::new();
    out.push_str(&format!("serve: listening on {base}/\n"));
    out.push_str(&format!("  the page:  {base}/\n"));
    for stream in &catalog.streams {
        out.push_str(&format!(
            "  {} ({})\n",
            stream.name,
            stream.source.display()
        ));
        for (kind, path, _) in &stream.entry_points {
            out.push_str(&format!("    {kind:<12} {base}{path}\n"));
        }
        // Not a URL to open as is: PORT is the player's.
        out.push_str(&format!(
            "    {:<12} GET /rtp/{}.sdp?dest=127.0.0.1:PORT (PORT even)\n",
            "RTP", stream.name
        ));
    }
    for (name, local) in ingests {
        out.push_str(&format!("  {name} (MPEG-TS over UDP on udp://{local})\n"));
        for (kind, file) in [
            ("LL-HLS live", "master.m3u8"),
            ("LL-DASH live", "manifest.mpd"),
        ] {
            out.push_str(&format!("    {kind:<12} {base}/live/{name}/{file}\n"));
        }
    }
    for line in extra {
        out.push_str(line);
        out.push('\n');
    }
    out.push_str(&rtsp::urls(rtsp, rtsps, addr, catalog));
    out.push_str("press Ctrl-C to stop\n");
    let mut stdout = std::io::stdout().lock();
    let _ = stdout.write_all(out.as_bytes());
    let _ = stdout.flush();
}
