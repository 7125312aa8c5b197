//! `/rtp/NAME.sdp?dest=ADDR:PORT`: starts an RTP/RTCP stream of file NAME
//! to `ADDR:PORT` and answers the SDP a player opens (`application/sdp`).
//!
//! Video RTP goes to PORT, its RTCP to PORT + 1, audio RTP to PORT + 2 and
//! its RTCP to PORT + 3, so PORT must be even, not 0 and at most 65532.
//! `dest` is a socket address (`127.0.0.1:5004`, `[::1]:5004`; `%3A`,
//! `%5B`, `%5D` are decoded); only loopback addresses are accepted unless
//! the server runs with `--allow-remote`. At most `--max-rtp-streams`
//! streams run at once; further requests get 503, and a request whose
//! ports overlap those of a stream still running gets 409 (two streams
//! interleaved on one port are garbage to the player). Each stream sends the
//! file once, in real time, on a thread of its own (the I/O loop around
//! streamkit's `MediaSender`, reading the player's RTCP reports as it
//! sleeps), then ends with RTCP BYE.
//!
//! The player opens the SDP after the answer, so the stream waits for it:
//! every `RECEIVER_PROBE` it sends an empty RTCP receiver report (RFC 3550
//! section 6.4.2 allows one with no report block) to each RTCP port from a
//! connected socket, and starts, with the file's first keyframe and its
//! parameter sets, once no port answers with ICMP "port unreachable" (the
//! player holds its ports). A receiver that listens for RTP only (no RTCP
//! port) never stops the refusals: the stream starts anyway after
//! `RECEIVER_WAIT` (3 s). Where ICMP is filtered (remote destinations) the
//! first probe finds nothing refused and the stream starts at once.
//!
//! Answers: 200 with the SDP, 400 for a missing or bad `dest`, 404 for an
//! unknown NAME, 405 for anything but GET (a HEAD would start a stream),
//! 409 for a destination already being sent to, 503 over the cap.

use std::net::{IpAddr, SocketAddr, UdpSocket};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use bytes::Bytes;
use hyper::StatusCode;
use streamkit::core::clock::{UnixTime, WallClock};
use streamkit::core::codec::MediaKind;
use streamkit::core::mp4::Mp4File;
use streamkit::rtp::sdp::{Connection, Origin};
use streamkit::rtp::sender::{
    MediaSender, MediaSenderConfig, TransmitKind, first_video_and_audio, presentation_lead,
};
use tokio::sync::Semaphore;

/// Video RTP goes to the port, its RTCP to port + 1, audio RTP to port + 2
/// and its RTCP to port + 3, and RTP ports are even (RFC 3550 section 11).
fn check_dest_port(port: u16) -> Result<(), &'static str> {
    if port == 0 || port & 1 == 1 || port > u16::MAX - 3 {
        return Err("the destination needs an even port, not 0, with three free ports after it");
    }
    Ok(())
}

/// The RTP port of a track of `kind` for video at `dest`.
fn port_of(dest: SocketAddr, kind: MediaKind) -> u16 {
    match kind {
        MediaKind::Video => dest.port(),
        _ => dest.port() + 2,
    }
}

/// A file's streams, ready to send: the sender and its SDP.
fn prepare(file: &Mp4File, dest: SocketAddr, seed: u64) -> Result<(MediaSender, String), String> {
    let (tracks, shifts) = file.tracks_and_shifts();
    let tracks = first_video_and_audio(&tracks);
    if tracks.is_empty() {
        return Err("no H.264, H.265, AAC or Opus track".into());
    }
    let unix = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap_or_default();
    let mut config = MediaSenderConfig::new(
        "serve@streamkit",
        seed,
        WallClock::new(Instant::now(), UnixTime::from_unix(unix)),
    );
    config.presentation_lead = presentation_lead(&tracks, &shifts, file.samples());
    // ffmpeg ends its input at a BYE and reads RTCP before RTP: give it a
    // second to read the last packets.
    config.goodbye_delay = std::time::Duration::from_secs(1);
    let sender = MediaSender::new(config, &tracks, &shifts).map_err(|e| e.to_string())?;
    let sdp = sender
        .session_description(
            Origin::for_address(seed, dest.ip()),
            "streamkit serve",
            Some(Connection::for_address(dest.ip())),
            |t| port_of(dest, t.kind()),
        )
        .and_then(|sdp| sdp.write())
        .map_err(|e| e.to_string())?;
    Ok((sender, sdp))
}

/// How often a stream probes whether its receiver listens yet.
const RECEIVER_PROBE: Duration = Duration::from_millis(50);

/// How long a stream waits for its receiver's RTCP ports to listen before
/// it starts anyway.
const RECEIVER_WAIT: Duration = Duration::from_secs(3);

/// Waits until something listens on every one of the `rtcp` addresses:
/// sends each an empty RTCP receiver report from a connected socket every
/// `RECEIVER_PROBE`, and returns once none of them reported ICMP "port
/// unreachable" (`ConnectionRefused`) since the last probe, or after
/// `RECEIVER_WAIT`.
fn wait_for_receiver(rtcp: &[SocketAddr], ssrc: u32) -> Result<(), String> {
    // V=2, P=0, RC=0, PT=201 (RR), length 1 (two 32-bit words), SSRC.
    let mut report = [0x80, 201, 0, 1, 0, 0, 0, 0];
    report[4..].copy_from_slice(&ssrc.to_be_bytes());
    let probes = rtcp
        .iter()
        .map(|&to| {
            let socket = UdpSocket::bind(if to.is_ipv4() { "0.0.0.0:0" } else { "[::]:0" })
                .and_then(|s| s.connect(to).map(|()| s))
                .map_err(|e| format!("probe {to}: {e}"))?;
            Ok((to, socket))
        })
        .collect::<Result<Vec<_>, String>>()?;
    let started = Instant::now();
    loop {
        for (_, socket) in &probes {
            // A refusal of an earlier probe may surface here or later.
            let _ = socket.send(&report);
        }
        std::thread::sleep(RECEIVER_PROBE);
        let mut refused = None;
        for (to, socket) in &probes {
            let error = socket.take_error().ok().flatten();
            if error.is_some_and(|e| e.kind() == std::io::ErrorKind::ConnectionRefused) {
                refused = Some(*to);
            }
        }
        match refused {
            None => return Ok(()),
            Some(to) if started.elapsed() >= RECEIVER_WAIT => {
                tracing::debug!(%to, "rtp: no RTCP port listening; starting anyway");
                return Ok(());
            }
            Some(_) => {}
        }
    }
}

/// Sends `file` once through `sender` to `dest` in real time, once the
/// receiver listens: sleeps until the sender's next timeout, reading the
/// player's RTCP meanwhile; returns the RTP packets sent.
fn send(
    file: &Mp4File,
    mut sender: MediaSender,
    dest: SocketAddr,
    probe_ssrc: u32,
) -> Result<u64, String> {
    let socket = UdpSocket::bind(if dest.is_ipv4() {
        "0.0.0.0:0"
    } else {
        "[::]:0"
    })
    .map_err(|e| format!("bind: {e}"))?;
    let dests: Vec<(u32, SocketAddr, SocketAddr)> = sender
        .tracks()
        .map(|t| {
            let port = port_of(dest, t.kind());
            (
                t.id,
                SocketAddr::new(dest.ip(), port),
                SocketAddr::new(dest.ip(), port + 1),
            )
        })
        .collect();
    let rtcp: Vec<SocketAddr> = dests.iter().map(|d| d.2).collect();
    wait_for_receiver(&rtcp, probe_ssrc)?;
    let mut samples = file.samples();
    let mut pushed_all = false;
    let mut buf = vec![0u8; 2048];
    sender.start(Instant::now());
    loop {
        if !pushed_all && sender.feed(&mut samples).map_err(|e| e.to_string())? {
            sender.finish().map_err(|e| e.to_string())?;
            pushed_all = true;
        }
        let Some(wake) = sender.poll_timeout() else {
            return Ok(sender.packets_sent());
        };
        loop {
            let now = Instant::now();
            if now >= wake {
                break;
            }
            socket
                .set_read_timeout(Some(wake - now))
                .map_err(|e| format!("socket: {e}"))?;
            if let Ok((n, from)) = socket.recv_from(&mut buf)
                && let Some(track) = dests.iter().find(|d| d.2 == from).map(|d| d.0)
                && let Err(e) = sender.handle_rtcp(
                    Instant::now(),
                    track,
                    Bytes::copy_from_slice(buf.get(..n).unwrap_or_default()),
                )
            {
                tracing::debug!(%from, "rtp: RTCP: {e}");
            }
        }
        let now = Instant::now();
        sender.handle_timeout(now);
        while let Some(t) = sender.poll_transmit(now) {
            let Some(&(_, rtp, rtcp)) = dests.iter().find(|d| d.0 == t.track_id) else {
                continue;
            };
            let to = if t.kind == TransmitKind::Rtp {
                rtp
            } else {
                rtcp
            };
            socket
                .send_to(t.datagram, to)
                .map_err(|e| format!("send to {to}: {e}"))?;
        }
        while let Some(event) = sender.poll_event() {
            tracing::debug!(track = event.track_id, "rtp: {:?}", event.event);
        }
    }
}

/// The RTP endpoint: which files it streams and its bounds.
pub(crate) struct RtpEndpoint {
    /// `(NAME, source file)` of each stream.
    sources: Vec<(String, PathBuf)>,
    allow_remote: bool,
    streams: Arc<Semaphore>,
    /// The destinations being sent to (each the first of its four ports).
    running: Arc<Mutex<Vec<SocketAddr>>>,
}

/// A destination's claim on its four ports: released when dropped.
struct Claim {
    dest: SocketAddr,
    running: Arc<Mutex<Vec<SocketAddr>>>,
}

impl Claim {
    /// Claims `dest`'s ports, unless a running stream's overlap them.
    fn take(running: &Arc<Mutex<Vec<SocketAddr>>>, dest: SocketAddr) -> Option<Claim> {
        let mut list = running
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let overlaps = |other: &SocketAddr| {
            same_host(other.ip(), dest.ip()) && other.port().abs_diff(dest.port()) < 4
        };
        if list.iter().any(overlaps) {
            return None;
        }
        list.push(dest);
        Some(Claim {
            dest,
            running: Arc::clone(running),
        })
    }
}

impl Drop for Claim {
    fn drop(&mut self) {
        let mut list = self
            .running
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        list.retain(|d| *d != self.dest);
    }
}

/// Whether two addresses name the same host (an IPv4 address and its
/// IPv4-mapped IPv6 form do).
fn same_host(a: IpAddr, b: IpAddr) -> bool {
    a.to_canonical() == b.to_canonical()
}

/// A refused request: its status and a one-line reason.
pub(crate) type Refusal = (StatusCode, String);

impl RtpEndpoint {
    pub(crate) fn new(
        sources: Vec<(String, PathBuf)>,
        allow_remote: bool,
        max_streams: usize,
    ) -> RtpEndpoint {
        RtpEndpoint {
            sources,
            allow_remote,
            streams: Arc::new(Semaphore::new(max_streams)),
            running: Arc::new(Mutex::new(Vec::new())),
        }
    }

    /// The stream name of `path` if it is `/rtp/NAME.sdp`.
    pub(crate) fn name_of(path: &str) -> Option<&str> {
        path.strip_prefix("/rtp/")?.strip_suffix(".sdp")
    }

    /// Starts a stream of `name` to the `dest` of `query`; returns its SDP.
    pub(crate) async fn start(&self, name: &str, query: Option<&str>) -> Result<Bytes, Refusal> {
        let Some((_, source)) = self.sources.iter().find(|(n, _)| n == name) else {
            return Err((StatusCode::NOT_FOUND, "no such stream".into()));
        };
        let dest = parse_dest(query.unwrap_or(""), self.allow_remote)
            .map_err(|why| (StatusCode::BAD_REQUEST, why))?;
        let claim = Claim::take(&self.running, dest).ok_or_else(|| {
            (
                StatusCode::CONFLICT,
                "a stream is already being sent to those ports".to_owned(),
            )
        })?;
        let permit = self.streams.clone().try_acquire_owned().map_err(|_| {
            (
                StatusCode::SERVICE_UNAVAILABLE,
                "too many RTP streams running".to_owned(),
            )
        })?;
        let source = source.clone();
        let seed = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .unwrap_or_default()
            .as_nanos() as u64;
        let prepared = tokio::task::spawn_blocking(move || {
            let data = std::fs::read(&source).map_err(|e| format!("{}: {e}", source.display()))?;
            let file = Mp4File::parse(Bytes::from(data))
                .map_err(|e| format!("{}: {e}", source.display()))?;
            let (sender, sdp) =
                prepare(&file, dest, seed).map_err(|e| format!("{}: {e}", source.display()))?;
            Ok::<_, String>((file, sender, sdp))
        })
        .await
        .map_err(|e| e.to_string())
        .and_then(|r| r);
        let (file, sender, sdp) = prepared.map_err(|e| {
            tracing::warn!("rtp: {e}");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                "the stream did not start".to_owned(),
            )
        })?;
        let sdp = Bytes::from(sdp);
        // A plain thread, not the runtime's blocking pool: shutting the
        // runtime down does not wait for a stream still sending.
        let spawned = std::thread::Builder::new()
            .name("rtp".into())
            .spawn(move || {
                let (_permit, _claim) = (permit, claim);
                match send(&file, sender, dest, seed.rotate_left(17) as u32) {
                    Ok(packets) => tracing::info!(%dest, packets, "rtp stream ended"),
                    Err(e) => tracing::warn!(%dest, "rtp stream: {e}"),
                }
            });
        if let Err(e) = spawned {
            tracing::warn!("rtp: starting the sender thread: {e}");
            return Err((
                StatusCode::INTERNAL_SERVER_ERROR,
                "the stream did not start".to_owned(),
            ));
        }
        tracing::info!(%dest, name, "rtp stream started");
        Ok(sdp)
    }
}

/// The destination in `query` (`dest=ADDR:PORT`), checked.
fn parse_dest(query: &str, allow_remote: bool) -> Result<SocketAddr, String> {
    let raw = query
        .split('&')
        .find_map(|kv| kv.strip_prefix("dest="))
        .ok_or("missing dest=ADDR:PORT")?;
    let text = raw
        .replace("%3A", ":")
        .replace("%3a", ":")
        .replace("%5B", "[")
        .replace("%5b", "[")
        .replace("%5D", "]")
        .replace("%5d", "]");
    let dest: SocketAddr = text
        .parse()
        .map_err(|_| "dest is not an ADDR:PORT socket address".to_owned())?;
    if !allow_remote && !dest.ip().is_loopback() {
        return Err("dest is not a loopback address (see --allow-remote)".into());
    }
    check_dest_port(dest.port()).map_err(|e| format!("dest: {e}"))?;
    Ok(dest)
}

#[cfg(test)]
mod tests {
    use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};

    use super::parse_dest;

    #[test]
    fn destinations_are_checked() {
        assert_eq!(
            parse_dest("dest=127.0.0.1:5004", false),
            Ok(SocketAddr::from((Ipv4Addr::LOCALHOST, 5004)))
        );
        assert_eq!(
            parse_dest("x=1&dest=%5B::1%5D%3A6000", false),
            Ok(SocketAddr::from((Ipv6Addr::LOCALHOST, 6000)))
        );
        assert_eq!(
            parse_dest("dest=10.0.0.1:5004", true),
            Ok(SocketAddr::from(([10, 0, 0, 1], 5004)))
        );
        for bad in [
            "",
            "dest=",
            "dest=localhost:5004",
            "dest=127.0.0.1",
            "dest=10.0.0.1:5004",
            "dest=127.0.0.1:5005",
            "dest=127.0.0.1:0",
            "dest=127.0.0.1:65534",
        ] {
            assert!(parse_dest(bad, false).is_err(), "{bad}");
        }
    }
}
