//! MPEG-TS over UDP in: `--udp-ingest ADDR=NAME` receives a transport
//! stream (what `ffmpeg -f mpegts udp://...`, GStreamer or a broadcast
//! encoder sends; a multicast group is joined) and publishes it as the
//! live stream NAME, on every output at `/live/NAME/`.
//!
//! A group is joined on the interface given after `@` (`GROUP:PORT@IP=NAME`
//! for IPv4, the interface's address; `[GROUP]:PORT@INDEX=NAME` for IPv6),
//! or else on the one the routing table picks for the group (the default
//! route's): a group sent on another interface, loopback included, only
//! arrives when that interface is named (`examples/common/udp_listen.rs`).
//!
//! The demuxing is streamkit-core's `TsDemuxer`; this module owns the
//! socket and the clock. It publishes once the program is known and every
//! elementary stream it can read has its codec configuration (SPS/PPS in
//! band, an ADTS header): a stream whose PMT comes late, or that only
//! starts with a keyframe some packets in, waits (its samples are kept,
//! bounded, so that the first GOP is not lost). Lost packets are logged
//! with their PID and count; the video resumes at the next keyframe
//! (the demuxer's rule). A sender that goes quiet for
//! [`IDLE`] ends the stream; the next datagram starts it again.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use streamkit::core::sample::Sample;
use streamkit::core::time::{MediaTime, Rounding, Timescale};
use streamkit::core::track::Track;
use streamkit::core::ts::{TsDemuxer, TsEvent, TsProgram, TsSample};

use crate::live::{LiveHub, LivePublisher, PublishRequest};
use crate::udp_listen::UdpListen;

/// A sender quiet this long has stopped: the stream ends.
const IDLE: Duration = Duration::from_secs(5);
/// How long to wait for a stream of the program that has no codec
/// configuration yet, once the others have one (then publish without it).
const CONFIG_WAIT: Duration = Duration::from_secs(3);
/// Samples kept while waiting to publish.
const MAX_WAITING: usize = 2_000;

/// One `--udp-ingest` option.
pub(crate) struct UdpIngest {
    /// Where it listens (a multicast group, with the interface it is
    /// joined on).
    pub(crate) listen: UdpListen,
    pub(crate) name: String,
}

impl UdpIngest {
    /// `IP:PORT=NAME`, or `GROUP:PORT@INTERFACE=NAME`.
    pub(crate) fn parse(spec: &str) -> Result<UdpIngest, String> {
        let (addr, name) = spec
            .split_once('=')
            .ok_or(format!("--udp-ingest {spec}: expected IP:PORT=NAME"))?;
        let listen = UdpListen::parse(addr).map_err(|e| format!("--udp-ingest {spec}: {e}"))?;
        let valid = !name.is_empty()
            && name.len() <= 64
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
        if !valid {
            return Err(format!(
                "--udp-ingest {spec}: NAME must be 1 to 64 of [A-Za-z0-9_-]"
            ));
        }
        Ok(UdpIngest {
            listen,
            name: name.to_owned(),
        })
    }

    /// Binds the socket (joining a multicast group); returns it with the
    /// address it got (for a group: the group and the port bound).
    pub(crate) fn bind(&self) -> Result<(std::net::UdpSocket, SocketAddr), String> {
        let err = |e: std::io::Error| format!("--udp-ingest {}: {e}", self.listen.addr);
        let (socket, local) = self.listen.bind().map_err(err)?;
        socket.set_nonblocking(true).map_err(err)?;
        Ok((socket, local))
    }
}

/// The stream as received so far.
struct Session {
    demuxer: TsDemuxer,
    program: Option<TsProgram>,
    tracks: Vec<Track>,
    /// Samples read before publishing.
    waiting: Vec<TsSample>,
    /// When every readable stream but some had a configuration.
    partial_since: Option<Instant>,
    publisher: Option<Publishing>,
}

/// A published stream: its publisher and the time origin.
struct Publishing {
    publisher: LivePublisher,
    tracks: Vec<Track>,
    /// The 90 kHz decode time that became media time zero.
    origin: i64,
}

impl Session {
    fn new() -> Session {
        Session {
            demuxer: TsDemuxer::new(),
            program: None,
            tracks: Vec::new(),
            waiting: Vec::new(),
            partial_since: None,
            publisher: None,
        }
    }
}

/// Receives on `socket` and publishes as `name`, forever.
pub(crate) async fn run(socket: std::net::UdpSocket, name: String, hub: Arc<LiveHub>) {
    let socket = match tokio::net::UdpSocket::from_std(socket) {
        Ok(s) => s,
        Err(e) => {
            tracing::error!("udp ingest {name}: {e}");
            return;
        }
    };
    let mut buf = vec![0u8; 65_536];
    let mut session = Session::new();
    let mut last = Instant::now();
    loop {
        let received = tokio::time::timeout(IDLE, socket.recv(&mut buf)).await;
        let now = Instant::now();
        match received {
            Ok(Ok(n)) => {
                last = now;
                if session.demuxer.push(&buf[..n]).is_err() {
                    session = Session::new();
                    continue;
                }
                handle_events(&mut session, &name, &hub, now);
            }
            Ok(Err(e)) => {
                tracing::warn!("udp ingest {name}: {e}");
            }
            Err(_) if now.duration_since(last) >= IDLE => {
                if session.publisher.is_some() || session.program.is_some() {
                    tracing::info!("udp ingest {name}: nothing for {IDLE:?}, the stream ends");
                    let _ = session.demuxer.finish();
                    handle_events(&mut session, &name, &hub, now);
                    if let Some(p) = session.publisher.take() {
                        p.publisher.finish(now);
                    }
                    session = Session::new();
                }
            }
            Err(_) => {}
        }
    }
}

fn handle_events(session: &mut Session, name: &str, hub: &Arc<LiveHub>, now: Instant) {
    while let Some(event) = session.demuxer.poll_event() {
        match event {
            TsEvent::Program(p) => {
                let ours = session
                    .program
                    .as_ref()
                    .is_none_or(|q| q.program_number == p.program_number);
                if ours {
                    tracing::info!(
                        "udp ingest {name}: program {} with {} streams (PMT version {})",
                        p.program_number,
                        p.streams.len(),
                        p.version
                    );
                    session.program = Some(p);
                }
            }
            TsEvent::Track {
                program_number,
                track,
            } if session
                .program
                .as_ref()
                .is_some_and(|p| p.program_number == program_number) =>
            {
                tracing::info!(
                    "udp ingest {name}: PID {:#06x}: {}",
                    track.id,
                    track.codec_string()
                );
                session.tracks.retain(|t| t.id != track.id);
                session.tracks.push(track);
                session.tracks.sort_by_key(|t| t.id);
            }
            TsEvent::Sample(s) => sample(session, name, hub, now, s),
            TsEvent::ContinuityError(c) => tracing::warn!(
                "udp ingest {name}: PID {:#06x}: {} packets lost (packet {})",
                c.pid,
                c.missing,
                c.packet
            ),
            TsEvent::Error(e) => tracing::warn!("udp ingest {name}: {e}"),
            TsEvent::Resync { skipped, .. } => {
                tracing::warn!("udp ingest {name}: sync lost, {skipped} bytes skipped");
            }
            _ => {}
        }
    }
}

/// Every stream of the program the demuxer reads has a track.
fn complete(session: &Session) -> bool {
    session.program.as_ref().is_some_and(|p| {
        p.streams
            .iter()
            .filter(|s| s.codec.is_some())
            .all(|s| session.tracks.iter().any(|t| t.id == u32::from(s.pid)))
    })
}

fn sample(session: &mut Session, name: &str, hub: &Arc<LiveHub>, now: Instant, s: TsSample) {
    // A codec configuration changed in band (a new SPS: the encoder's
    // resolution or profile): the stream goes on, and viewers get the
    // new configuration from the next keyframe.
    let complete_now = complete(session);
    if let Some(p) = &mut session.publisher
        && p.tracks != session.tracks
        && complete_now
        && same_streams(&p.tracks, &session.tracks)
    {
        for t in session.tracks.iter().filter(|t| !p.tracks.contains(t)) {
            tracing::info!(
                "udp ingest {name}: PID {:#06x} is now {}: the stream goes on",
                t.id,
                t.codec_string()
            );
            if let Err(e) = p.publisher.update_track(now, t.clone()) {
                tracing::warn!("udp ingest {name}: {e}");
            }
        }
        p.tracks.clone_from(&session.tracks);
    }
    // Other streams (an encoder restarted with other settings): publish
    // again, taking the name over.
    if let Some(p) = &session.publisher
        && p.tracks != session.tracks
        && complete_now
    {
        tracing::info!("udp ingest {name}: tracks changed, publishing again");
        if let Some(p) = session.publisher.take() {
            p.publisher.finish(now);
        }
        session.waiting.clear();
    }
    if session.publisher.is_none() {
        let ready = if complete(session) {
            true
        } else if session.tracks.is_empty() {
            false
        } else {
            let since = *session.partial_since.get_or_insert(now);
            now.duration_since(since) >= CONFIG_WAIT
        };
        if session.waiting.len() < MAX_WAITING {
            session.waiting.push(s);
        }
        if !ready {
            return;
        }
        let tracks = session.tracks.clone();
        // Media time zero: the earliest decode time kept.
        let origin = session.waiting.iter().map(|w| w.dts).min().unwrap_or(0);
        let published = hub.publish(
            now,
            PublishRequest {
                name,
                tracks: tracks.clone(),
                shifts: &[],
                media_zero: now,
                takeover: true,
                source: "MPEG-TS over UDP",
            },
        );
        let publisher = match published {
            Ok(p) => p,
            Err(e) => {
                tracing::error!("udp ingest {name}: publishing: {e}");
                session.waiting.clear();
                return;
            }
        };
        let mut publishing = Publishing {
            publisher,
            tracks,
            origin,
        };
        let mut waiting = std::mem::take(&mut session.waiting);
        waiting.sort_by_key(|w| w.dts);
        for w in waiting {
            push(&mut publishing, name, now, w);
        }
        session.publisher = Some(publishing);
        return;
    }
    if let Some(p) = &mut session.publisher {
        push(p, name, now, s);
    }
}

/// The same elementary streams (ids and clocks), whatever their
/// configurations.
fn same_streams(a: &[Track], b: &[Track]) -> bool {
    a.len() == b.len()
        && a.iter()
            .zip(b)
            .all(|(x, y)| x.id == y.id && x.timescale == y.timescale)
}

/// Pushes one sample, its decode time counted from the stream's origin.
fn push(p: &mut Publishing, name: &str, now: Instant, s: TsSample) {
    if !p.tracks.iter().any(|t| t.id == s.sample.track_id) {
        return;
    }
    let shift = MediaTime::new(p.origin, Timescale::VIDEO_90KHZ)
        .rescale(s.sample.timescale, Rounding::Nearest)
        .ticks();
    let sample = Sample {
        dts: s.sample.dts - shift,
        ..s.sample
    };
    if let Err(e) = p.publisher.push(now, sample) {
        tracing::warn!("udp ingest {name}: {e}");
    }
}
