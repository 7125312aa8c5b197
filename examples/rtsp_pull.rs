//! Pulls an RTSP stream with streamkit-rtsp's client session and prints
//! what arrives, one line per access unit, for tests to compare.
//!
//! ```sh
//! cargo run --example rtsp_pull -- [--transport udp|tcp] [--frames N] [--idle SECONDS]
//!     [--tunnel] [--insecure] [--ca ROOTS.pem] URL
//! ```
//!
//! `URL` is `rtsp://`, `rtsps://` (RTSP over TLS: the certificate is
//! checked against the roots of `--ca`, the system's otherwise, or not
//! at all with `--insecure`) or `rtsph://` (RTSP over HTTP, the
//! QuickTime tunnel, to the server's HTTP port, 80 when none is given;
//! `--tunnel` with an `rtsp://` URL is the same). Over TLS and the
//! tunnel the media comes interleaved (`--transport tcp`).
//!
//! Credentials go in the URL (`rtsp://user:password@host/path`); Basic
//! and Digest are answered. It prints the tracks the DESCRIBE answer
//! holds (`track ID KIND CODEC timescale=HZ control=URL`), then per
//! access unit `au track=ID pts=TICKS dts=TICKS key=0|1 size=BYTES
//! hash=FNV64 slices=FNV64` (`hash` over the access unit's bytes,
//! `slices` over its H.264/H.265 slice NAL units only, each after a
//! 4-byte length, so a server's in-band parameter sets do not count;
//! for audio the same as `hash`), each sender report's link of media
//! time to the wall clock (`wallclock track=ID media=TICKS
//! unix_ms=MS`), each quirk met (`quirk ...`), each redirect followed
//! (`redirect URL`: it connects there), and at
//! the end `end REASON`. It stops after N access units, when every track
//! said RTCP BYE, or after SECONDS (default 10) without media once media
//! came: then it sends TEARDOWN. Exits 0 when the session ended by
//! TEARDOWN, 1 otherwise (the error on stderr).
//!
//! With `--sessions N` it runs N sessions of the URL at once on its one
//! thread and prints only a summary: `sessions=N failed=F units=U
//! bytes=B wall_s=W cpu_s=C cpu_per_stream_pct=P` (this process's CPU
//! time, from `/proc/self/schedstat`, per stream and second of wall
//! time), for load measurements (scripts/bench-rtsp-client.sh).
#![allow(clippy::disallowed_methods)] // the example is the I/O layer: it reads the clock

#[path = "common/rtsp_args.rs"]
mod rtsp_args;
#[path = "common/rtsp_client.rs"]
mod rtsp_client;

use std::net::{IpAddr, Ipv4Addr};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use streamkit::core::codec::CodecConfig;
use streamkit::core::sample::Sample;
use streamkit::rtsp::client::{
    ClientConfig, ClientEvent, ClientSession, ClientTransport, SessionEndReason,
};

use rtsp_args::{Arg, ClientArgs};
use rtsp_client::{
    ClientApp, ConnectOptions, bind_udp_pairs, connect_with, random_bytes, run_with,
};

/// FNV-1a, 64 bits.
fn fnv(parts: &[&[u8]]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for p in parts {
        for b in *p {
            h ^= u64::from(*b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    }
    h
}

/// The hash of the slice NAL units of a length-prefixed access unit
/// (`length_size` bytes of length each), each after a 4-byte length.
pub(crate) fn slices_hash(codec: &CodecConfig, data: &[u8], length_size: usize) -> u64 {
    let is_slice = |nal: &[u8]| match codec {
        CodecConfig::H264(_) => nal.first().is_some_and(|b| (1..=5).contains(&(b & 0x1f))),
        CodecConfig::H265(_) => nal.first().is_some_and(|b| (b >> 1) & 0x3f < 32),
        _ => true,
    };
    if !matches!(codec, CodecConfig::H264(_) | CodecConfig::H265(_)) {
        return fnv(&[data]);
    }
    let mut h = Vec::with_capacity(data.len());
    let mut rest = data;
    while rest.len() >= length_size {
        let (len, tail) = rest.split_at(length_size);
        let n = len.iter().fold(0usize, |a, b| (a << 8) | usize::from(*b));
        let Some(nal) = tail.get(..n) else { break };
        if is_slice(nal) {
            h.extend_from_slice(&(n as u32).to_be_bytes());
            h.extend_from_slice(nal);
        }
        rest = &tail[n..];
    }
    fnv(&[&h])
}

struct Pull {
    /// Count only (many sessions): no line per access unit.
    quiet: bool,
    bytes: u64,
    codecs: Vec<(u32, CodecConfig, usize)>,
    frames: Option<u64>,
    received: u64,
    idle: Duration,
    last_media: Option<Instant>,
    tracks: usize,
    goodbyes: Vec<u32>,
    stopping: bool,
}

impl Pull {
    fn sample(&mut self, s: &Sample) {
        let Some((_, codec, length_size)) = self.codecs.iter().find(|c| c.0 == s.track_id) else {
            return;
        };
        println!(
            "au track={} pts={} dts={} key={} size={} hash={:016x} slices={:016x}",
            s.track_id,
            s.pts(),
            s.dts,
            u8::from(s.keyframe),
            s.data.len(),
            fnv(&[&s.data]),
            slices_hash(codec, &s.data, *length_size)
        );
    }

    fn stop(&mut self, session: &mut ClientSession, now: Instant) {
        if !self.stopping {
            self.stopping = true;
            session.teardown(now);
        }
    }
}

fn length_size(codec: &CodecConfig) -> usize {
    match codec {
        CodecConfig::H264(c) => usize::from(c.nal_length_size.bytes()),
        CodecConfig::H265(c) => usize::from(c.nal_length_size.bytes()),
        _ => 4,
    }
}

impl ClientApp for Pull {
    fn on_event(&mut self, session: &mut ClientSession, now: Instant, event: &ClientEvent) {
        match event {
            ClientEvent::Described {
                tracks, skipped, ..
            } => {
                for t in tracks {
                    let codec = &t.track.codec;
                    self.codecs
                        .push((t.track.id, codec.clone(), length_size(codec)));
                    if self.quiet {
                        continue;
                    }
                    println!(
                        "track {} {:?} {} timescale={} control={}",
                        t.track.id,
                        codec.kind(),
                        codec.codec_string(),
                        t.track.timescale.hz(),
                        t.control
                    );
                }
                self.tracks = tracks.len();
                for (media, why) in skipped.iter().filter(|_| !self.quiet) {
                    println!("skipped {media}: {why}");
                }
            }
            ClientEvent::TrackChanged { track } => {
                if !self.quiet {
                    println!("changed track {} {}", track.id, track.codec.codec_string());
                }
                if let Some(c) = self.codecs.iter_mut().find(|c| c.0 == track.id) {
                    *c = (track.id, track.codec.clone(), length_size(&track.codec));
                }
            }
            ClientEvent::Sample(s) => {
                self.last_media = Some(now);
                self.received += 1;
                self.bytes += s.data.len() as u64;
                if !self.quiet && self.frames.is_none_or(|n| self.received <= n) {
                    self.sample(s);
                }
                if self.frames.is_some_and(|n| self.received >= n) {
                    self.stop(session, now);
                }
            }
            ClientEvent::Goodbye { track_id } => {
                if !self.goodbyes.contains(track_id) {
                    self.goodbyes.push(*track_id);
                }
                if self.goodbyes.len() >= self.tracks {
                    self.stop(session, now);
                }
            }
            _ if self.quiet => {}
            ClientEvent::WallClock {
                track_id,
                media,
                unix,
            } => println!(
                "wallclock track={track_id} media={} unix_ms={}",
                media.ticks(),
                unix.unix_millis()
            ),
            ClientEvent::Quirk(q) => println!("quirk {q:?}"),
            ClientEvent::Redirect { url } => println!("redirect {url}"),
            ClientEvent::Loss {
                track_id,
                lost_packets,
                ..
            } => {
                println!("loss track={track_id} packets={lost_packets}");
            }
            ClientEvent::SessionEnded { reason } => println!("end {reason}"),
            _ => {}
        }
    }

    fn on_tick(&mut self, session: &mut ClientSession, now: Instant) -> Option<Instant> {
        let last = self.last_media?;
        if now.duration_since(last) >= self.idle {
            self.stop(session, now);
            return None;
        }
        Some(last + self.idle)
    }
}

fn usage() -> ExitCode {
    eprintln!(
        "usage: rtsp_pull [--transport udp|tcp] [--frames N] [--idle SECONDS] [--sessions N] [--tunnel] [--insecure] [--ca ROOTS.pem] URL"
    );
    ExitCode::from(2)
}

/// What one session got.
struct Pulled {
    result: Result<SessionEndReason, String>,
    units: u64,
    bytes: u64,
}

/// Pulls `url` once.
async fn pull(
    url: String,
    udp: bool,
    frames: Option<u64>,
    idle: Duration,
    quiet: bool,
    options: ConnectOptions,
) -> Pulled {
    let failed = |e: String| Pulled {
        result: Err(e),
        units: 0,
        bytes: 0,
    };
    let stream = match connect_with(&url, &options).await {
        Ok(s) => s,
        Err(e) => return failed(format!("connect {url}: {e}")),
    };
    let mut config = ClientConfig::new(&url);
    let mut seed = [0u8; 8];
    random_bytes(&mut seed);
    config.seed = u64::from_le_bytes(seed);
    let pairs = if udp {
        let ip = stream
            .local_addr()
            .map_or(IpAddr::V4(Ipv4Addr::LOCALHOST), |a| a.ip());
        match bind_udp_pairs(ip, 8).await {
            Ok(p) => p,
            Err(e) => return failed(format!("UDP ports: {e}")),
        }
    } else {
        Vec::new()
    };
    if udp {
        config.transport = ClientTransport::Udp {
            ports: pairs.iter().map(|p| p.port).collect(),
        };
    }
    let session = ClientSession::play(Instant::now(), config, Box::new(random_bytes));
    let mut app = Pull {
        quiet,
        bytes: 0,
        codecs: Vec::new(),
        frames,
        received: 0,
        idle,
        last_media: None,
        tracks: 0,
        goodbyes: Vec::new(),
        stopping: false,
    };
    let result = run_with(
        session,
        stream,
        &pairs,
        &mut app,
        Duration::from_secs(3600),
        &options,
    )
    .await
    .map_err(|e| e.to_string());
    Pulled {
        result,
        units: app.received,
        bytes: app.bytes,
    }
}

/// This process's CPU time so far (`/proc/self/schedstat`, Linux).
fn cpu_time() -> Option<Duration> {
    let text = std::fs::read_to_string("/proc/self/schedstat").ok()?;
    let ns: u64 = text.split_whitespace().next()?.parse().ok()?;
    Some(Duration::from_nanos(ns))
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let mut client = ClientArgs::default();
    let mut frames = None;
    let mut idle = Duration::from_secs(10);
    let mut sessions = 1usize;
    let mut url = None;
    while let Some(a) = args.next() {
        let a = match client.take(a, &mut args) {
            Arg::Taken => continue,
            Arg::Usage => return usage(),
            Arg::Other(a) => a,
        };
        match a.as_str() {
            "--frames" => match args.next().and_then(|n| n.parse().ok()) {
                Some(n) => frames = Some(n),
                None => return usage(),
            },
            "--idle" => match args.next().and_then(|n| n.parse().ok()) {
                Some(s) => idle = Duration::from_secs_f64(s),
                None => return usage(),
            },
            "--sessions" => match args.next().and_then(|n| n.parse().ok()) {
                Some(n) if n > 0 => sessions = n,
                _ => return usage(),
            },
            _ if url.is_none() => url = Some(a),
            _ => return usage(),
        }
    }
    let Some(url) = url else { return usage() };
    let url = client.url(&url);
    let ClientArgs { udp, options } = client;
    if sessions == 1 {
        let p = pull(url, udp, frames, idle, false, options).await;
        return match p.result {
            Ok(SessionEndReason::Teardown) => ExitCode::SUCCESS,
            Ok(reason) => {
                eprintln!("rtsp_pull: {reason}");
                ExitCode::FAILURE
            }
            Err(e) => {
                eprintln!("rtsp_pull: {e}");
                ExitCode::FAILURE
            }
        };
    }
    // Many sessions on this one thread: a summary line with the CPU
    // time each stream cost.
    let wall = Instant::now();
    let cpu0 = cpu_time();
    let mut set = tokio::task::JoinSet::new();
    for _ in 0..sessions {
        set.spawn(pull(url.clone(), udp, frames, idle, true, options.clone()));
    }
    let (mut failed, mut units, mut bytes) = (0, 0, 0);
    while let Some(done) = set.join_next().await {
        match done {
            Ok(p) => {
                units += p.units;
                bytes += p.bytes;
                if !matches!(p.result, Ok(SessionEndReason::Teardown)) {
                    failed += 1;
                    if let Err(e) = p.result {
                        eprintln!("rtsp_pull: {e}");
                    }
                }
            }
            Err(e) => {
                failed += 1;
                eprintln!("rtsp_pull: {e}");
            }
        }
    }
    let wall = wall.elapsed();
    let cpu = cpu_time().zip(cpu0).map(|(a, b)| a.saturating_sub(b));
    let per_stream = cpu.map_or(f64::NAN, |c| {
        c.as_secs_f64() / wall.as_secs_f64() / sessions as f64 * 100.0
    });
    println!(
        "sessions={sessions} failed={failed} units={units} bytes={bytes} wall_s={:.2} cpu_s={:.3} cpu_per_stream_pct={per_stream:.3}",
        wall.as_secs_f64(),
        cpu.map_or(f64::NAN, |c| c.as_secs_f64()),
    );
    if failed > 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}
