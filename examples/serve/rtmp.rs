//! RTMP and RTMPS: encoders publish to `rtmp://HOST/live/KEY` (the live
//! stream KEY, at once on LL-HLS and LL-DASH at `/live/KEY/` and by RTMP
//! play), players play `rtmp://HOST/live/NAME` and `rtmp://HOST/vod/NAME`
//! (each file, at its own pace).
//!
//! streamkit-rtmp's `ServerSession` speaks the protocol; core's FLV
//! demuxer turns what an encoder sends into tracks and samples, and its
//! muxer turns a broadcast's samples into what a player gets. This module
//! owns the sockets, the TLS layer (the acceptor is `crate::tls`'s), the clock and the wiring to the live
//! hub. An ingest waits for the sequence headers of the tracks the
//! encoder's `onMetaData` announces (or for its first frame, without
//! metadata) before it publishes: a broadcast starts with its tracks.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime};

use bytes::Bytes;
use streamkit::core::codec::{CodecConfig, MediaKind};
use streamkit::core::flv::{FlvDemuxer, FlvEvent, FlvMuxer, TagStyle};
use streamkit::core::live::{Delivery, SubscriberId};
use streamkit::core::mp4::Mp4File;
use streamkit::core::sample::Sample;
use streamkit::core::time::{MediaTime, Rounding, Timescale};
use streamkit::core::track::Track;
use streamkit::rtmp::amf::Amf0Value;
use streamkit::rtmp::server::{AccessRequest, Action, Refusal, ServerEvent, ServerSession};
use streamkit::rtmp::{MediaMessage, SessionConfig};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, BufWriter};
use tokio::net::TcpListener;

use crate::live::{LiveHub, LivePublisher, PublishRequest};

/// What the RTMP side was asked for on the command line.
#[derive(Debug, Clone)]
pub(crate) struct RtmpOptions {
    pub(crate) bind: SocketAddr,
    /// `true` when `--rtmp-bind` was given (a failure to bind is then
    /// fatal; the default address is only tried).
    pub(crate) bind_given: bool,
    pub(crate) rtmps_bind: Option<SocketAddr>,
    /// Stream keys allowed to publish; empty: any.
    pub(crate) keys: Vec<String>,
}

impl Default for RtmpOptions {
    fn default() -> Self {
        RtmpOptions {
            bind: SocketAddr::from(([127, 0, 0, 1], 1935)),
            bind_given: false,
            rtmps_bind: None,
            keys: Vec::new(),
        }
    }
}

/// What every connection shares.
struct Context {
    live: Arc<LiveHub>,
    /// The files `vod/NAME` plays.
    files: Vec<(String, PathBuf)>,
    keys: Vec<String>,
}

/// An ingest waits at most this many samples for its tracks.
const MAX_PENDING: usize = 2_000;
/// A VOD play sends this far ahead of the clock.
const VOD_LEAD: Duration = Duration::from_secs(1);

/// Binds the RTMP (and, with a TLS acceptor, RTMPS) listeners and spawns
/// their accept loops; returns the lines to print (the addresses).
pub(crate) async fn start(
    options: &RtmpOptions,
    tls: Option<tokio_rustls::TlsAcceptor>,
    live: Arc<LiveHub>,
    files: Vec<(String, PathBuf)>,
) -> Result<Vec<String>, String> {
    let context = Arc::new(Context {
        live,
        files,
        keys: options.keys.clone(),
    });
    let mut lines = Vec::new();
    match TcpListener::bind(options.bind).await {
        Ok(listener) => {
            let addr = listener.local_addr().map_err(|e| e.to_string())?;
            lines.push(format!(
                "serve: rtmp on rtmp://{addr}/ (publish live/KEY, play live/NAME and vod/NAME)"
            ));
            tokio::spawn(accept(listener, None, context.clone()));
        }
        Err(e) if !options.bind_given => {
            tracing::warn!("RTMP off: cannot bind {}: {e}", options.bind);
        }
        Err(e) => return Err(format!("--rtmp-bind {}: {e}", options.bind)),
    }
    match tls {
        Some(acceptor) => {
            let bind = options
                .rtmps_bind
                .unwrap_or(SocketAddr::from(([127, 0, 0, 1], 1936)));
            let listener = TcpListener::bind(bind)
                .await
                .map_err(|e| format!("--rtmps-bind {bind}: {e}"))?;
            let addr = listener.local_addr().map_err(|e| e.to_string())?;
            lines.push(format!("serve: rtmps on rtmps://{addr}/"));
            tokio::spawn(accept(listener, Some(acceptor), context));
        }
        None if options.rtmps_bind.is_some() => {
            return Err("--rtmps-bind needs --tls-cert and --tls-key".into());
        }
        None => {}
    }
    Ok(lines)
}

async fn accept(
    listener: TcpListener,
    tls: Option<tokio_rustls::TlsAcceptor>,
    context: Arc<Context>,
) {
    loop {
        let (socket, peer) = match listener.accept().await {
            Ok(s) => s,
            Err(e) => {
                tracing::warn!("RTMP accept: {e}");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let _ = socket.set_nodelay(true);
        let context = context.clone();
        let tls = tls.clone();
        tokio::spawn(async move {
            match tls {
                None => connection(socket, peer, context, "RTMP").await,
                Some(acceptor) => match acceptor.accept(socket).await {
                    Ok(stream) => connection(stream, peer, context, "RTMPS").await,
                    Err(e) => tracing::info!("{peer}: TLS handshake: {e}"),
                },
            }
        });
    }
}

/// A seed for the handshake's random bytes: the clock and a counter.
fn seed() -> u64 {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap_or_default()
        .as_nanos() as u64;
    nanos ^ COUNTER.fetch_add(1, Ordering::Relaxed).rotate_left(32)
}

/// An encoder's stream: demuxed, waiting for its tracks, then published.
struct Ingest {
    stream_id: u32,
    name: String,
    demuxer: FlvDemuxer,
    tracks: Vec<Track>,
    /// The kinds `onMetaData` announced (video, audio).
    expected: Option<(bool, bool)>,
    pending: Vec<Sample>,
    publisher: Option<LivePublisher>,
    /// When the first sample came (for the wall clock of media time 0).
    first: Option<(Instant, Sample)>,
    dropped: u64,
}

/// A player of a live stream or a file.
enum Player {
    Live {
        stream_id: u32,
        name: String,
        subscriber: SubscriberId,
        muxer: Option<FlvMuxer>,
    },
    Vod {
        stream_id: u32,
        muxer: FlvMuxer,
        samples: std::vec::IntoIter<Sample>,
        next: Option<Sample>,
        started: Instant,
    },
}

fn policy(
    context: Arc<Context>,
) -> impl Fn(&AccessRequest<'_>) -> Result<(), Refusal> + Send + Sync {
    move |r: &AccessRequest<'_>| match (r.action, r.app) {
        (Action::Publish, "live") => {
            if context.keys.is_empty() || context.keys.iter().any(|k| k == r.name) {
                Ok(())
            } else {
                Err(Refusal::Unauthorized)
            }
        }
        (Action::Publish, _) => Err(Refusal::BadName),
        (Action::Play, "live") => {
            let known = context.live.with_registry(|reg| reg.find(r.name).is_some());
            if known {
                Ok(())
            } else {
                Err(Refusal::NotFound)
            }
        }
        (Action::Play, "vod") => {
            if context.files.iter().any(|(n, _)| n == r.name) {
                Ok(())
            } else {
                Err(Refusal::NotFound)
            }
        }
        (Action::Play, _) => Err(Refusal::NotFound),
    }
}

/// Moves bytes between the socket and the session until either ends.
async fn connection<S: AsyncRead + AsyncWrite + Unpin>(
    stream: S,
    peer: SocketAddr,
    context: Arc<Context>,
    protocol: &'static str,
) {
    let (mut reader, writer) = tokio::io::split(stream);
    let mut writer = BufWriter::with_capacity(64 * 1024, writer);
    let mut session = ServerSession::new(
        Instant::now(),
        SessionConfig::default().with_seed(seed()),
        Box::new(policy(context.clone())),
    );
    let mut changes = context.live.changes();
    let mut buf = vec![0u8; 64 * 1024];
    let mut ingest: Option<Ingest> = None;
    let mut player: Option<Player> = None;
    let result: Result<(), String> = async {
        loop {
            while let Some(b) = session.poll_transmit() {
                writer.write_all(&b).await.map_err(|e| e.to_string())?;
            }
            writer.flush().await.map_err(|e| e.to_string())?;
            if session.is_closed() {
                return Ok(());
            }
            let deadline = session
                .poll_timeout()
                .unwrap_or_else(|| Instant::now() + Duration::from_secs(3600));
            let vod_due = match &player {
                Some(Player::Vod { next: Some(s), started, .. }) => {
                    Some(*started + to_duration(s) - VOD_LEAD.min(to_duration(s)))
                }
                _ => None,
            };
            let live_playing = matches!(player, Some(Player::Live { .. }));
            tokio::select! {
                r = reader.read(&mut buf) => {
                    let n = r.map_err(|e| e.to_string())?;
                    if n == 0 {
                        return Ok(());
                    }
                    let now = Instant::now();
                    let input = session.handle_input(now, &buf[..n]);
                    while let Some(event) = session.poll_event() {
                        handle_event(&mut session, &context, now, event, &mut ingest, &mut player, peer, protocol)?;
                    }
                    input.map_err(|e| e.to_string())?;
                }
                _ = tokio::time::sleep_until(tokio::time::Instant::from_std(deadline)) => {
                    session.handle_timeout(Instant::now()).map_err(|e| e.to_string())?;
                }
                _ = tokio::time::sleep_until(tokio::time::Instant::from_std(vod_due.unwrap_or(deadline))), if vod_due.is_some() => {
                    send_vod(&mut session, &mut player)?;
                }
                r = changes.changed(), if live_playing => {
                    if r.is_err() {
                        return Ok(());
                    }
                    send_live(&mut session, &context, &mut player)?;
                }
            }
        }
    }
    .await;
    if let Err(e) = result {
        tracing::info!("{protocol} {peer}: {e}");
    }
    let now = Instant::now();
    if let Some(i) = ingest.take() {
        end_ingest(i, now);
    }
    if let Some(Player::Live {
        name, subscriber, ..
    }) = player.take()
    {
        context.live.with_registry(|r| {
            if let Some(b) = r.find_mut(&name) {
                b.unsubscribe(subscriber);
            }
        });
    }
}

fn to_duration(s: &Sample) -> Duration {
    let ns = MediaTime::new(s.dts, s.timescale)
        .rescale(Timescale::NANOS, Rounding::Down)
        .ticks();
    Duration::from_nanos(u64::try_from(ns).unwrap_or(0))
}

#[allow(clippy::too_many_arguments)]
fn handle_event(
    session: &mut ServerSession,
    context: &Arc<Context>,
    now: Instant,
    event: ServerEvent,
    ingest: &mut Option<Ingest>,
    player: &mut Option<Player>,
    peer: SocketAddr,
    protocol: &'static str,
) -> Result<(), String> {
    match event {
        ServerEvent::Connected { app, enhanced, .. } => {
            tracing::info!(
                "{protocol} {peer}: connect {app}{}",
                if enhanced.is_some() {
                    " (Enhanced RTMP)"
                } else {
                    ""
                }
            );
        }
        ServerEvent::Refused {
            action,
            name,
            refusal,
            ..
        } => {
            tracing::info!(
                "{protocol} {peer}: {action:?} {} refused: {refusal:?}",
                name.name
            );
        }
        ServerEvent::PublishStarted { stream_id, name } => {
            if ingest.is_some() {
                session
                    .refuse(stream_id, Refusal::Failed)
                    .map_err(|e| e.to_string())?;
                return Ok(());
            }
            tracing::info!("{protocol} {peer}: publishing live/{}", name.name);
            *ingest = Some(Ingest {
                stream_id,
                name: name.name,
                demuxer: FlvDemuxer::live(),
                tracks: Vec::new(),
                expected: None,
                pending: Vec::new(),
                publisher: None,
                first: None,
                dropped: 0,
            });
        }
        ServerEvent::Metadata { values, .. } => {
            if let Some(i) = ingest.as_mut()
                && i.expected.is_none()
                && let Some(meta) = values.first()
            {
                let has = |id: &str, flag: &str| {
                    meta.get(id)
                        .is_some_and(|v| !matches!(v, Amf0Value::Null | Amf0Value::Undefined))
                        || meta.get(flag) == Some(&Amf0Value::Boolean(true))
                };
                i.expected = Some((
                    has("videocodecid", "hasVideo"),
                    has("audiocodecid", "hasAudio"),
                ));
            }
        }
        ServerEvent::Media(m) => {
            if let Some(i) = ingest.as_mut() {
                ingest_media(session, context, i, now, &m, protocol)?;
            }
        }
        ServerEvent::StreamEnded { action, .. } => match action {
            Action::Publish => {
                if let Some(i) = ingest.take() {
                    end_ingest(i, now);
                }
            }
            Action::Play => {
                if let Some(Player::Live {
                    name, subscriber, ..
                }) = player.take()
                {
                    context.live.with_registry(|r| {
                        if let Some(b) = r.find_mut(&name) {
                            b.unsubscribe(subscriber);
                        }
                    });
                }
            }
        },
        ServerEvent::PlayStarted { stream_id, name } => {
            let app = session.app().unwrap_or_default().to_owned();
            tracing::info!("{protocol} {peer}: playing {app}/{}", name.name);
            if app == "vod" {
                let Some((_, path)) = context.files.iter().find(|(n, _)| *n == name.name) else {
                    return session
                        .refuse(stream_id, Refusal::NotFound)
                        .map_err(|e| e.to_string());
                };
                let data = std::fs::read(path).map_err(|e| e.to_string())?;
                let file = Mp4File::parse(Bytes::from(data)).map_err(|e| e.to_string())?;
                let (tracks, _) = file.tracks_and_shifts();
                let all: Vec<Sample> = file.samples().collect();
                let muxer = FlvMuxer::new(&tracks, TagStyle::Compatible)
                    .map_err(|e| e.to_string())?
                    .with_decode_delays(&FlvMuxer::decode_delays(&all));
                session
                    .send_metadata(stream_id, metadata(&tracks, Some(last_tag_seconds(&file))))
                    .map_err(|e| e.to_string())?;
                for t in muxer.sequence_headers() {
                    session.send_tag(stream_id, &t).map_err(|e| e.to_string())?;
                }
                let mut samples: std::vec::IntoIter<Sample> = all.into_iter();
                let next = samples.next();
                *player = Some(Player::Vod {
                    stream_id,
                    muxer,
                    samples,
                    next,
                    started: now,
                });
                send_vod(session, player)?;
            } else {
                let subscriber = context
                    .live
                    .with_registry(|r| r.find_mut(&name.name).map(|b| b.subscribe()));
                let Some(subscriber) = subscriber else {
                    return session
                        .refuse(stream_id, Refusal::NotFound)
                        .map_err(|e| e.to_string());
                };
                *player = Some(Player::Live {
                    stream_id,
                    name: name.name,
                    subscriber,
                    muxer: None,
                });
                send_live(session, context, player)?;
            }
        }
        _ => {}
    }
    Ok(())
}

/// The time of the file's last tag, in seconds: the `duration` players
/// such as rtmpdump measure a download against.
fn last_tag_seconds(file: &Mp4File) -> f64 {
    file.samples()
        .map(|s| {
            s.decode_time()
                .rescale(Timescale::MILLIS, Rounding::Nearest)
                .ticks()
        })
        .max()
        .unwrap_or(0) as f64
        / 1000.0
}

/// `onMetaData` for a player: codec ids, picture size, audio rate.
fn metadata(tracks: &[Track], duration: Option<f64>) -> Amf0Value {
    let mut p = vec![(
        "duration".into(),
        Amf0Value::Number(duration.unwrap_or(0.0)),
    )];
    for t in tracks {
        match &t.codec {
            CodecConfig::H264(_) | CodecConfig::H265(_) => {
                let id = if matches!(t.codec, CodecConfig::H264(_)) {
                    7.0
                } else {
                    f64::from(u32::from_be_bytes(*b"hvc1"))
                };
                p.push(("videocodecid".into(), Amf0Value::Number(id)));
                if let Some((w, h)) = t.codec.dimensions() {
                    p.push(("width".into(), Amf0Value::Number(f64::from(w))));
                    p.push(("height".into(), Amf0Value::Number(f64::from(h))));
                }
            }
            CodecConfig::Aac(_) | CodecConfig::Opus(_) => {
                let id = if matches!(t.codec, CodecConfig::Aac(_)) {
                    10.0
                } else {
                    f64::from(u32::from_be_bytes(*b"Opus"))
                };
                p.push(("audiocodecid".into(), Amf0Value::Number(id)));
                if let Some(rate) = t.codec.sample_rate() {
                    p.push(("audiosamplerate".into(), Amf0Value::Number(f64::from(rate))));
                }
                p.push((
                    "stereo".into(),
                    Amf0Value::Boolean(t.codec.channels() == Some(2)),
                ));
            }
            _ => {}
        }
    }
    Amf0Value::EcmaArray(p)
}

fn ingest_media(
    session: &mut ServerSession,
    context: &Arc<Context>,
    i: &mut Ingest,
    now: Instant,
    m: &MediaMessage,
    protocol: &'static str,
) -> Result<(), String> {
    if let Err(e) = i.demuxer.push_tag(m.tag_type, m.timestamp, &m.body) {
        // One bad tag is reported and passed over; the stream goes on.
        tracing::warn!("{protocol} live/{}: {e}", i.name);
        return Ok(());
    }
    while let Some(e) = i.demuxer.poll_event() {
        match e {
            FlvEvent::Track(t) => match i.tracks.iter_mut().find(|x| x.id == t.id) {
                // A new sequence header (the encoder's output settings
                // changed): viewers get it from the next keyframe.
                Some(x) if *x != t => {
                    *x = t.clone();
                    if let Some(p) = i.publisher.as_mut()
                        && let Err(e) = p.update_track(now, t)
                    {
                        tracing::warn!("{protocol} live/{}: {e}", i.name);
                    }
                }
                Some(_) => {}
                None if i.publisher.is_none() => i.tracks.push(t),
                None => tracing::warn!(
                    "{protocol} live/{}: track {} came after the publish: left out",
                    i.name,
                    t.id
                ),
            },
            FlvEvent::Sample(s) => {
                if i.first.is_none() {
                    i.first = Some((now, s.clone()));
                }
                match i.publisher.as_mut() {
                    Some(p) => {
                        if i.tracks.iter().any(|t| t.id == s.track_id)
                            && let Err(e) = p.push(now, s)
                        {
                            tracing::warn!("{protocol} live/{}: {e}", i.name);
                        }
                    }
                    None if i.pending.len() < MAX_PENDING => i.pending.push(s),
                    None => i.dropped += 1,
                }
            }
            FlvEvent::Unsupported(u) => tracing::warn!(
                "{protocol} live/{}: {:?} track {} ({}) has no codec model here: its frames are left out",
                i.name,
                u.kind,
                u.flv_track,
                u.fourcc
                    .map_or("legacy codec".to_owned(), |f| f.to_string())
            ),
            FlvEvent::SequenceEnd { .. } => {}
            _ => {}
        }
    }
    if i.publisher.is_none() && ready(i) {
        publish(session, context, i, now, protocol)?;
    }
    Ok(())
}

/// The tracks are known: those `onMetaData` announced have their
/// sequence headers, or (without metadata) a frame came, or the wait is
/// over its bound.
fn ready(i: &Ingest) -> bool {
    if i.tracks.is_empty() {
        return false;
    }
    let has = |k| i.tracks.iter().any(|t| t.kind() == k);
    match i.expected {
        Some((video, audio)) => {
            ((!video || has(MediaKind::Video)) && (!audio || has(MediaKind::Audio)))
                || i.pending.len() >= MAX_PENDING
        }
        None => !i.pending.is_empty(),
    }
}

fn publish(
    session: &mut ServerSession,
    context: &Arc<Context>,
    i: &mut Ingest,
    now: Instant,
    protocol: &'static str,
) -> Result<(), String> {
    let media_zero = match &i.first {
        Some((at, s)) => at.checked_sub(to_duration(s)).unwrap_or(*at),
        None => now,
    };
    // A file's looped channel keeps its name; an encoder that reconnects
    // takes its own stream over.
    let takeover = !context.files.iter().any(|(n, _)| *n == i.name);
    let source = format!("{protocol} ingest");
    match context.live.publish(
        now,
        PublishRequest {
            name: &i.name,
            tracks: i.tracks.clone(),
            shifts: &[],
            media_zero,
            takeover,
            source: &source,
        },
    ) {
        Ok(mut p) => {
            for s in i.pending.drain(..) {
                if i.tracks.iter().any(|t| t.id == s.track_id)
                    && let Err(e) = p.push(now, s)
                {
                    tracing::warn!("{protocol} live/{}: {e}", i.name);
                }
            }
            i.publisher = Some(p);
            Ok(())
        }
        Err(e) => {
            tracing::info!("{protocol} live/{}: cannot publish: {e}", i.name);
            i.pending.clear();
            session
                .refuse(i.stream_id, Refusal::BadName)
                .map_err(|e| e.to_string())
        }
    }
}

fn end_ingest(mut i: Ingest, now: Instant) {
    i.demuxer.finish();
    if let Some(mut p) = i.publisher.take() {
        while let Some(e) = i.demuxer.poll_event() {
            if let FlvEvent::Sample(s) = e
                && i.tracks.iter().any(|t| t.id == s.track_id)
            {
                let _ = p.push(now, s);
            }
        }
        p.finish(now);
    }
    if i.dropped > 0 {
        tracing::warn!(
            "live/{}: {} samples came before the tracks were known and were dropped",
            i.name,
            i.dropped
        );
    }
}

/// Sends what the broadcast delivered to a live player.
fn send_live(
    session: &mut ServerSession,
    context: &Arc<Context>,
    player: &mut Option<Player>,
) -> Result<(), String> {
    let Some(Player::Live {
        stream_id,
        name,
        subscriber,
        muxer,
    }) = player.as_mut()
    else {
        return Ok(());
    };
    let deliveries: Vec<Delivery> = context.live.with_registry(|r| {
        let Some(b) = r.find_mut(name) else {
            return vec![Delivery::Ended];
        };
        std::iter::from_fn(|| b.poll_delivery(*subscriber))
            .take(4096)
            .collect()
    });
    let stream_id = *stream_id;
    for d in deliveries {
        match d {
            Delivery::Start { tracks, .. } => {
                let m = FlvMuxer::new(&tracks, TagStyle::Compatible).map_err(|e| e.to_string())?;
                session
                    .send_metadata(stream_id, metadata(&tracks, None))
                    .map_err(|e| e.to_string())?;
                for t in m.sequence_headers() {
                    session.send_tag(stream_id, &t).map_err(|e| e.to_string())?;
                }
                *muxer = Some(m);
            }
            Delivery::TrackChanged(track) => {
                if let Some(m) = muxer.as_mut() {
                    let tag = m.update_track(&track).map_err(|e| e.to_string())?;
                    session
                        .send_tag(stream_id, &tag)
                        .map_err(|e| e.to_string())?;
                }
            }
            Delivery::Sample(s) => {
                if let Some(m) = muxer.as_ref() {
                    let tag = m.tag(&s).map_err(|e| e.to_string())?;
                    session
                        .send_tag(stream_id, &tag)
                        .map_err(|e| e.to_string())?;
                }
            }
            Delivery::Ended => {
                session.end_play(stream_id).map_err(|e| e.to_string())?;
                *player = None;
                return Ok(());
            }
            _ => {}
        }
    }
    Ok(())
}

/// Sends a file's samples due by now (plus the lead); ends the play after
/// the last.
fn send_vod(session: &mut ServerSession, player: &mut Option<Player>) -> Result<(), String> {
    let Some(Player::Vod {
        stream_id,
        muxer,
        samples,
        next,
        started,
    }) = player.as_mut()
    else {
        return Ok(());
    };
    let horizon = started.elapsed() + VOD_LEAD;
    while let Some(s) = next.take() {
        if to_duration(&s) > horizon {
            *next = Some(s);
            return Ok(());
        }
        let tag = muxer.tag(&s).map_err(|e| e.to_string())?;
        session
            .send_tag(*stream_id, &tag)
            .map_err(|e| e.to_string())?;
        *next = samples.next();
    }
    let id = *stream_id;
    session.end_play(id).map_err(|e| e.to_string())?;
    *player = None;
    Ok(())
}
