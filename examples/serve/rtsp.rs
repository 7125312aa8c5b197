//! RTSP: `rtsp://HOST:PORT/vod/NAME` plays each file,
//! `rtsp://HOST:PORT/live/NAME` each live stream, and a client may
//! publish with ANNOUNCE and RECORD to `rtsp://HOST:PORT/live/KEY`, which
//! then plays on every protocol serve speaks through the live hub.
//!
//! This module is the I/O around streamkit-rtsp's `ServerConnection`: a
//! TCP listener (`--rtsp-bind`, default 127.0.0.1:8554), one task per
//! connection that reads the socket and the clock and writes what the
//! connection polls, two UDP sockets (RTP on an even port, RTCP on the
//! next) whose datagrams are routed to the connection whose client
//! sends from that address, and the answers to the connection's events
//! (the presentation of a path, a PLAY's samples, a publish). Publishing
//! needs `--publish-user`/`--publish-pass` (Digest) when given, playing
//! `--read-user`/`--read-pass` when given.

use std::collections::HashMap;
use std::hash::{BuildHasher, Hasher};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use bytes::Bytes;
use streamkit::core::clock::{UnixTime, WallClock};
use streamkit::core::codec::MediaKind;
use streamkit::core::live::{Delivery, SubscriberId};
use streamkit::core::mp4::Mp4File;
use streamkit::core::sample::{PresentationShift, Sample};
use streamkit::core::time::{MediaTime, Rounding, Timescale};
use streamkit::core::track::Track;
use streamkit::rtp::sender::{TransmitKind, first_video_and_audio, presentation_lead};
use streamkit::rtsp::auth::{Access, Action, AuthPolicy, RandomSource, UserCredentials};
use streamkit::rtsp::header::{NptTime, PortRange, SeekStyle};
use streamkit::rtsp::server::{
    Presentation, RequestId, ServerConfig, ServerConnection, ServerEvent, ServerTransmitParts,
    TrackTransport,
};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, UdpSocket};
use tokio::sync::mpsc;

use crate::batch::Batch;
use crate::catalog::Catalog;
use crate::live::{LivePublisher, PublishRequest};

/// The RTSP options of the command line.
pub(crate) struct RtspOptions {
    pub(crate) bind: SocketAddr,
    /// Where RTSPS listens (with a TLS certificate), and whether it was
    /// given (a failure to bind is then fatal; the default is only tried).
    pub(crate) rtsps_bind: SocketAddr,
    pub(crate) rtsps_bind_given: bool,
    publish_user: Option<String>,
    publish_pass: Option<String>,
    read_user: Option<String>,
    read_pass: Option<String>,
}

impl Default for RtspOptions {
    fn default() -> RtspOptions {
        RtspOptions {
            bind: SocketAddr::from(([127, 0, 0, 1], 8554)),
            rtsps_bind: SocketAddr::from(([127, 0, 0, 1], 8322)),
            rtsps_bind_given: false,
            publish_user: None,
            publish_pass: None,
            read_user: None,
            read_pass: None,
        }
    }
}

/// The usage lines of the options.
pub(crate) const USAGE: &str = "\
  --rtsp-bind ADDR         where RTSP listens (default 127.0.0.1:8554; port 0: any free port)
  --rtsps-bind ADDR        RTSPS, RTSP over TLS (default 127.0.0.1:8322, tried; port 0: any),
                           with --tls-cert and --tls-key; TCP interleaved only
  --publish-user NAME      publishing to rtsp://HOST/live/KEY needs this user (Digest)
  --publish-pass PASS      ... and this password
  --read-user NAME         playing over RTSP needs this user (Digest)
  --read-pass PASS         ... and this password
";

impl RtspOptions {
    /// `true` for an option this module reads (it takes a value).
    pub(crate) fn takes(option: &str) -> bool {
        matches!(
            option,
            "--rtsp-bind"
                | "--rtsps-bind"
                | "--publish-user"
                | "--publish-pass"
                | "--read-user"
                | "--read-pass"
        )
    }

    pub(crate) fn set(&mut self, option: &str, value: String) -> Result<(), String> {
        match option {
            "--rtsp-bind" => {
                self.bind = value.parse().map_err(|e| format!("--rtsp-bind: {e}"))?;
            }
            "--rtsps-bind" => {
                self.rtsps_bind = value.parse().map_err(|e| format!("--rtsps-bind: {e}"))?;
                self.rtsps_bind_given = true;
            }
            "--publish-user" => self.publish_user = Some(value),
            "--publish-pass" => self.publish_pass = Some(value),
            "--read-user" => self.read_user = Some(value),
            "--read-pass" => self.read_pass = Some(value),
            _ => return Err(format!("unknown option {option}")),
        }
        Ok(())
    }
}

/// Who may do what: readers and publishers by the options; publishing
/// only under `/live/`.
struct Policy {
    read: Option<UserCredentials>,
    publish: Option<UserCredentials>,
}

impl AuthPolicy for Policy {
    fn access(&self, path: &str, action: Action) -> Access {
        let who = match action {
            Action::Publish if !path.starts_with("/live/") => return Access::Forbidden,
            Action::Publish => &self.publish,
            _ => &self.read,
        };
        match who {
            Some(c) => Access::Credentials(vec![c.clone()]),
            None => Access::Open,
        }
    }
}

fn credentials(user: &Option<String>, pass: &Option<String>) -> Option<UserCredentials> {
    match (user, pass) {
        (None, None) => None,
        (u, p) => Some(UserCredentials {
            user: u.clone().unwrap_or_default(),
            password: p.clone().unwrap_or_default(),
        }),
    }
}

/// Random bytes: SipHash, under the process's random keys, of a counter
/// (std's `RandomState` keys come from the operating system).
pub(crate) struct KeyedRandom {
    keys: std::collections::hash_map::RandomState,
    counter: u64,
}

impl KeyedRandom {
    /// A source under new keys.
    pub(crate) fn new() -> KeyedRandom {
        KeyedRandom {
            keys: std::collections::hash_map::RandomState::new(),
            counter: 0,
        }
    }

    /// A random number.
    pub(crate) fn next_u32(&mut self) -> u32 {
        let mut b = [0u8; 4];
        self.fill_bytes(&mut b);
        u32::from_be_bytes(b)
    }
}

impl RandomSource for KeyedRandom {
    fn fill_bytes(&mut self, dest: &mut [u8]) {
        for chunk in dest.chunks_mut(8) {
            let mut h = self.keys.build_hasher();
            h.write_u64(self.counter);
            self.counter += 1;
            let v = h.finish().to_be_bytes();
            chunk.copy_from_slice(v.get(..chunk.len()).unwrap_or_default());
        }
    }
}

/// Datagrams for a connection: from whom, on which port, what.
type Datagram = (SocketAddr, TransmitKind, Bytes);
type Routes = Arc<Mutex<HashMap<SocketAddr, mpsc::Sender<Datagram>>>>;

/// A bound RTSP server: the listener and the UDP pair.
pub(crate) struct RtspServer {
    listener: TcpListener,
    rtp: Arc<UdpSocket>,
    rtcp: Arc<UdpSocket>,
    ports: PortRange,
    options: RtspOptions,
}

impl RtspServer {
    /// Binds the listener and an RTP/RTCP UDP pair on its address.
    pub(crate) async fn bind(options: RtspOptions) -> Result<RtspServer, String> {
        let listener = TcpListener::bind(options.bind)
            .await
            .map_err(|e| format!("--rtsp-bind {}: {e}", options.bind))?;
        let ip = options.bind.ip();
        // An even port and the next, both free.
        for _ in 0..64 {
            let rtp = UdpSocket::bind(SocketAddr::new(ip, 0))
                .await
                .map_err(|e| format!("RTSP UDP: {e}"))?;
            let port = rtp.local_addr().map_err(|e| e.to_string())?.port();
            if port % 2 == 1 || port == u16::MAX {
                continue;
            }
            if let Ok(rtcp) = UdpSocket::bind(SocketAddr::new(ip, port + 1)).await {
                return Ok(RtspServer {
                    listener,
                    rtp: Arc::new(rtp),
                    rtcp: Arc::new(rtcp),
                    ports: PortRange {
                        rtp: port,
                        rtcp: Some(port + 1),
                    },
                    options,
                });
            }
        }
        Err("RTSP UDP: no free even/odd port pair".into())
    }

    pub(crate) fn local_addr(&self) -> Result<SocketAddr, String> {
        self.listener.local_addr().map_err(|e| e.to_string())
    }

    /// The service every connection shares (plain, TLS or tunnelled);
    /// starts the UDP loops.
    pub(crate) fn service(&self, catalog: Arc<Catalog>, wall: WallClock) -> Arc<RtspService> {
        let routes: Routes = Arc::new(Mutex::new(HashMap::new()));
        for (socket, kind) in [
            (self.rtp.clone(), TransmitKind::Rtp),
            (self.rtcp.clone(), TransmitKind::Rtcp),
        ] {
            tokio::spawn(udp_loop(socket, kind, routes.clone()));
        }
        Arc::new(RtspService {
            catalog,
            routes,
            rtp: self.rtp.clone(),
            rtcp: self.rtcp.clone(),
            ports: self.ports,
            policy: Arc::new(Policy {
                read: credentials(&self.options.read_user, &self.options.read_pass),
                publish: credentials(&self.options.publish_user, &self.options.publish_pass),
            }),
            wall,
        })
    }

    /// Accepts connections until the runtime stops.
    pub(crate) async fn run(self, service: Arc<RtspService>) {
        loop {
            let (stream, peer) = match self.listener.accept().await {
                Ok(c) => c,
                Err(e) => {
                    tracing::warn!("rtsp accept: {e}");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            };
            let _ = stream.set_nodelay(true);
            let service = service.clone();
            tokio::spawn(async move {
                if let Err(e) = service.serve(stream, peer, Carrier::Tcp).await {
                    tracing::debug!(%peer, "rtsp: {e}");
                }
            });
        }
    }
}

/// How a connection's RTSP reaches the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Carrier {
    /// A TCP connection to `--rtsp-bind`: UDP or interleaved transport.
    Tcp,
    /// TLS on `--rtsps-bind`: interleaved only (plain UDP would carry the
    /// media outside the encryption; a UDP SETUP gets 461).
    Tls,
    /// RTSP over HTTP on the HTTP port (see `crate::tunnel`): interleaved
    /// only, as on the TCP connection it stands for.
    Http,
}

impl Carrier {
    fn name(self) -> &'static str {
        match self {
            Carrier::Tcp => "RTSP",
            Carrier::Tls => "RTSPS",
            Carrier::Http => "RTSP over HTTP",
        }
    }
}

/// What every RTSP connection shares, however it came.
pub(crate) struct RtspService {
    catalog: Arc<Catalog>,
    routes: Routes,
    rtp: Arc<UdpSocket>,
    rtcp: Arc<UdpSocket>,
    ports: PortRange,
    policy: Arc<Policy>,
    wall: WallClock,
}

impl RtspService {
    /// Runs one RTSP connection on `stream` until either side ends it.
    pub(crate) async fn serve<S: AsyncRead + AsyncWrite + Unpin>(
        &self,
        stream: S,
        peer: SocketAddr,
        carrier: Carrier,
    ) -> Result<(), String> {
        let mut config = ServerConfig::new(self.wall);
        if carrier == Carrier::Tcp {
            config.udp_ports = Some(self.ports);
        }
        config.server_name = "streamkit serve".into();
        let conn = Connection {
            catalog: self.catalog.clone(),
            routes: self.routes.clone(),
            rtp: self.rtp.clone(),
            rtcp: self.rtcp.clone(),
            policy: self.policy.clone(),
            peer,
            carrier,
        };
        conn.run(stream, config).await
    }
}

/// Binds `--rtsps-bind` and accepts RTSPS connections on it until the
/// runtime stops; `None` (and a warning) when the default address is
/// taken. Returns the bound address.
pub(crate) async fn start_rtsps(
    (bind, given): (SocketAddr, bool),
    acceptor: tokio_rustls::TlsAcceptor,
    service: Arc<RtspService>,
) -> Result<Option<SocketAddr>, String> {
    let listener = match TcpListener::bind(bind).await {
        Ok(l) => l,
        Err(e) if !given => {
            tracing::warn!("RTSPS off: cannot bind {bind}: {e}");
            return Ok(None);
        }
        Err(e) => return Err(format!("--rtsps-bind {bind}: {e}")),
    };
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    tokio::spawn(async move {
        loop {
            let (stream, peer) = match listener.accept().await {
                Ok(c) => c,
                Err(e) => {
                    tracing::warn!("rtsps accept: {e}");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            };
            let _ = stream.set_nodelay(true);
            let (service, acceptor) = (service.clone(), acceptor.clone());
            tokio::spawn(async move {
                // A handshake that never ends holds nothing but its task;
                // bounded all the same.
                let tls = tokio::time::timeout(TLS_HANDSHAKE_TIMEOUT, acceptor.accept(stream));
                match tls.await {
                    Ok(Ok(stream)) => {
                        if let Err(e) = service.serve(stream, peer, Carrier::Tls).await {
                            tracing::debug!(%peer, "rtsps: {e}");
                        }
                    }
                    Ok(Err(e)) => tracing::info!(%peer, "rtsps: TLS handshake: {e}"),
                    Err(_) => tracing::info!(%peer, "rtsps: TLS handshake timed out"),
                }
            });
        }
    });
    Ok(Some(addr))
}

/// How long an RTSPS client may take over its TLS handshake.
const TLS_HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// Moves each datagram to the connection its sender set up.
async fn udp_loop(socket: Arc<UdpSocket>, kind: TransmitKind, routes: Routes) {
    let mut buf = vec![0u8; 65_536];
    loop {
        let Ok((n, from)) = socket.recv_from(&mut buf).await else {
            continue;
        };
        let to = routes
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&from)
            .cloned();
        if let Some(to) = to {
            let data = Bytes::copy_from_slice(buf.get(..n).unwrap_or_default());
            let _ = to.try_send((from, kind, data));
        }
    }
}

struct PolicyRef(Arc<Policy>);

impl AuthPolicy for PolicyRef {
    fn access(&self, path: &str, action: Action) -> Access {
        self.0.access(path, action)
    }
}

/// What a connection plays.
enum Playback {
    /// A file's samples from the seek point, in file order.
    File { samples: std::vec::IntoIter<Sample> },
    /// A live stream's subscription.
    Live {
        name: String,
        subscriber: SubscriberId,
    },
}

struct Connection {
    catalog: Arc<Catalog>,
    routes: Routes,
    rtp: Arc<UdpSocket>,
    rtcp: Arc<UdpSocket>,
    policy: Arc<Policy>,
    peer: SocketAddr,
    carrier: Carrier,
}

/// The samples most a publish holds while it waits for its first video
/// sample ([`RecordLead`]); past them it goes on unshifted.
const MAX_WAITING: usize = 512;

/// The shift of a recorded publish. RTP carries presentation times; the
/// recorder gives a video track's first decode times before its first
/// presentation time (its reorder delay), so below zero, which neither
/// CMAF (`tfdt`) nor FLV timestamps (RTMP play) can carry. Every track of
/// the publish is shifted by that lead, the same media time on each, so
/// they stay in sync (as ffmpeg's muxers shift negative times). The lead
/// is known at the first video sample, the earliest video decode time
/// (they increase): the larger of its and the waiting samples' (an
/// audio track the sender reports put before the video); samples and
/// wall-clock links before it wait.
struct RecordLead {
    video: Vec<u32>,
    lead: Option<MediaTime>,
    waiting: Vec<Sample>,
    wall_clock: Option<(MediaTime, UnixTime)>,
}

impl RecordLead {
    fn new(tracks: &[Track]) -> RecordLead {
        let video: Vec<u32> = tracks
            .iter()
            .filter(|t| t.kind() == MediaKind::Video)
            .map(|t| t.id)
            .collect();
        RecordLead {
            lead: video
                .is_empty()
                .then_some(MediaTime::new(0, Timescale::VIDEO_90KHZ)),
            video,
            waiting: Vec::new(),
            wall_clock: None,
        }
    }

    fn shift(lead: MediaTime, ticks: i64, timescale: Timescale) -> i64 {
        ticks.saturating_add(lead.rescale(timescale, Rounding::Nearest).ticks())
    }

    /// Takes a recorded sample; gives out those ready, shifted.
    fn push(&mut self, mut sample: Sample, out: &mut Vec<Sample>) {
        if self.lead.is_none()
            && (self.video.contains(&sample.track_id) || self.waiting.len() >= MAX_WAITING)
        {
            // The earliest decode time of those here: the first video
            // sample's, or an aligned track's that starts before it.
            let earliest = self
                .waiting
                .iter()
                .chain(std::iter::once(&sample))
                .map(|s| MediaTime::new(s.dts.min(0), s.timescale))
                .min_by(|a, b| a.as_secs_f64().total_cmp(&b.as_secs_f64()));
            let lead = earliest.map_or(MediaTime::new(0, Timescale::VIDEO_90KHZ), |t| {
                MediaTime::new(t.ticks().saturating_neg(), t.timescale())
            });
            self.lead = Some(lead);
        }
        match self.lead {
            Some(lead) => {
                for mut w in self.waiting.drain(..) {
                    w.dts = RecordLead::shift(lead, w.dts, w.timescale);
                    out.push(w);
                }
                sample.dts = RecordLead::shift(lead, sample.dts, sample.timescale);
                out.push(sample);
            }
            None => self.waiting.push(sample),
        }
    }

    /// A wall-clock link of a track's media time, shifted, once the lead
    /// is known (the latest one waits until then).
    fn wall_clock(&mut self, link: Option<(MediaTime, UnixTime)>) -> Option<(MediaTime, UnixTime)> {
        if link.is_some() {
            self.wall_clock = link;
        }
        let lead = self.lead?;
        let (media, unix) = self.wall_clock.take()?;
        let ticks = RecordLead::shift(lead, media.ticks(), media.timescale());
        Some((MediaTime::new(ticks, media.timescale()), unix))
    }
}

/// The state of one connection's task beside its `ServerConnection`.
struct Task {
    files: HashMap<String, Arc<Mp4File>>,
    playback: Option<Playback>,
    publisher: Option<LivePublisher>,
    /// The shift of the publish, with the publisher.
    lead: Option<RecordLead>,
    routed: Vec<SocketAddr>,
    datagrams: mpsc::Sender<Datagram>,
}

impl Connection {
    async fn run<S: AsyncRead + AsyncWrite + Unpin>(
        self,
        mut stream: S,
        config: ServerConfig,
    ) -> Result<(), String> {
        let random = KeyedRandom::new();
        let mut conn = ServerConnection::new(
            Instant::now(),
            config,
            self.peer,
            Box::new(random),
            Box::new(PolicyRef(self.policy.clone())),
        );
        let (tx, mut rx) = mpsc::channel::<Datagram>(1024);
        let mut task = Task {
            files: HashMap::new(),
            playback: None,
            publisher: None,
            lead: None,
            routed: Vec::new(),
            datagrams: tx,
        };
        let mut changes = self.catalog.live.changes();
        let mut read = vec![0u8; 64 * 1024];
        let mut write = Batch::default();
        let mut datagram = Vec::with_capacity(2048);
        let result = loop {
            let now = Instant::now();
            conn.handle_timeout(now);
            if let Err(e) = self.events(&mut conn, &mut task).await {
                break Err(e);
            }
            // The samples after a codec change just applied.
            self.collect_samples(&mut conn, &mut task);
            self.feed(&mut conn, &mut task);
            // Output.
            let now = Instant::now();
            let mut failed = None;
            while let Some(t) = conn.poll_transmit_parts(now) {
                match t {
                    // A response goes out at once, before the RTP that
                    // follows it (a UDP client may drop packets that come
                    // before its PLAY response).
                    ServerTransmitParts::Stream(b) => {
                        write.push_copy(&b);
                        if let Err(e) = write.write_to(&mut stream).await {
                            failed = Some(format!("write: {e}"));
                            break;
                        }
                    }
                    // The payload by reference: no viewer's copy of it.
                    ServerTransmitParts::Interleaved { header, packet } => {
                        write.push_interleaved(header, packet);
                    }
                    ServerTransmitParts::Datagram { to, kind, packet } => {
                        let socket = if kind == TransmitKind::Rtp {
                            &self.rtp
                        } else {
                            &self.rtcp
                        };
                        datagram.clear();
                        packet.write_to(&mut datagram);
                        // Waits for room in the socket buffer rather than drop;
                        // an unreachable port (ICMP) is the client's loss.
                        let _ = socket.send_to(&datagram, to).await;
                    }
                }
                if write.len() >= 256 * 1024 {
                    break;
                }
            }
            if let Some(e) = failed {
                break Err(e);
            }
            if !write.is_empty()
                && let Err(e) = write.write_to(&mut stream).await
            {
                break Err(format!("write: {e}"));
            }
            // TLS holds records until flushed (a TCP stream's flush does
            // nothing).
            if let Err(e) = stream.flush().await {
                break Err(format!("write: {e}"));
            }
            if conn.is_closed() {
                break Ok(());
            }
            let wake = conn.poll_timeout();
            let more = conn.wants_samples() && matches!(task.playback, Some(Playback::File { .. }));
            let sleep = async {
                match (more, wake) {
                    // More samples to push: let the other tasks run
                    // first.
                    (true, _) => tokio::task::yield_now().await,
                    (false, Some(at)) => {
                        tokio::time::sleep_until(tokio::time::Instant::from_std(at)).await;
                    }
                    (false, None) => std::future::pending().await,
                }
            };
            tokio::select! {
                n = stream.read(&mut read) => match n {
                    Ok(0) => break Ok(()),
                    // A reset, or a tunnel's body that is not base64.
                    Err(e) => break Err(format!("read: {e}")),
                    Ok(n) => conn.handle_bytes(Instant::now(), read.get(..n).unwrap_or_default()),
                },
                d = rx.recv() => {
                    if let Some((from, kind, data)) = d {
                        conn.handle_datagram(Instant::now(), from, kind, data);
                    }
                }
                _ = changes.changed(), if matches!(task.playback, Some(Playback::Live { .. })) => {}
                () = sleep => {}
            }
            self.collect_samples(&mut conn, &mut task);
        };
        conn.finish(Instant::now());
        // What was held comes out, codec changes between its samples
        // applied in order (samples stop at each until its event).
        let mut idle = 0;
        while idle < 2 {
            let _ = self.events(&mut conn, &mut task).await;
            idle = if self.collect_samples(&mut conn, &mut task) == 0 {
                idle + 1
            } else {
                0
            };
        }
        self.stop(&mut task);
        result
    }

    /// Ends what the connection holds: a live subscription, a publish,
    /// UDP routes.
    fn stop(&self, task: &mut Task) {
        if let Some(Playback::Live { name, subscriber }) = task.playback.take() {
            self.catalog.live.with_registry(|r| {
                if let Some(b) = r.find_mut(&name) {
                    b.unsubscribe(subscriber);
                }
            });
        }
        if let Some(p) = task.publisher.take() {
            p.finish(Instant::now());
        }
        let mut routes = self.routes.lock().unwrap_or_else(PoisonError::into_inner);
        for a in task.routed.drain(..) {
            routes.remove(&a);
        }
    }

    /// Recorded samples into the live stream, shifted by the publish's
    /// lead ([`RecordLead`]); how many came.
    fn collect_samples(&self, conn: &mut ServerConnection, task: &mut Task) -> usize {
        let mut ready = Vec::new();
        let mut count = 0;
        while let Some(sample) = conn.poll_sample() {
            count += 1;
            if let Some(lead) = task.lead.as_mut() {
                lead.push(sample, &mut ready);
            }
        }
        let link = task.lead.as_mut().and_then(|l| l.wall_clock(None));
        if let Some(p) = task.publisher.as_mut() {
            if let Some((media, unix)) = link {
                p.set_wall_clock(media, unix);
            }
            for sample in ready {
                if let Err(e) = p.push(Instant::now(), sample) {
                    tracing::debug!("rtsp publish: {e}");
                }
            }
        }
        count
    }

    /// Pushes samples while the connection wants them.
    fn feed(&self, conn: &mut ServerConnection, task: &mut Task) {
        match task.playback.as_mut() {
            Some(Playback::File { samples }) => {
                while conn.wants_samples() {
                    match samples.next() {
                        Some(s) => {
                            // A refused sample (out of decode order) is
                            // skipped; a full queue ends `wants_samples`.
                            if let Err(e) = conn.push_sample(&s) {
                                tracing::debug!("rtsp play: {e}");
                            }
                        }
                        None => {
                            // The file is sent: the sender drains its
                            // queue and nothing more is pushed.
                            conn.finish_media();
                            task.playback = None;
                            break;
                        }
                    }
                }
            }
            Some(Playback::Live { name, subscriber }) => {
                let (name, id) = (name.clone(), *subscriber);
                let mut ended = false;
                self.catalog.live.with_registry(|r| {
                    let Some(b) = r.find_mut(&name) else {
                        ended = true;
                        return;
                    };
                    while let Some(d) = b.poll_delivery(id) {
                        match d {
                            // A slow viewer loses samples here, never the
                            // server's memory: the broadcast skips it to
                            // the next keyframe when it lags.
                            Delivery::Sample(s) => {
                                let _ = conn.push_sample(&s);
                            }
                            Delivery::Ended => {
                                ended = true;
                                break;
                            }
                            _ => {}
                        }
                    }
                });
                if ended {
                    conn.finish_media();
                    task.playback = None;
                }
            }
            None => {}
        }
    }

    async fn events(&self, conn: &mut ServerConnection, task: &mut Task) -> Result<(), String> {
        while let Some(event) = conn.poll_event() {
            let now = Instant::now();
            match event {
                ServerEvent::Describe { request, path } => {
                    match self.presentation(&path, task).await {
                        Some(p) => {
                            if let Err(e) = conn.accept_describe(now, request, p) {
                                tracing::warn!(%path, "rtsp describe: {e}");
                            }
                        }
                        None => refuse(conn, request, 404),
                    }
                }
                ServerEvent::Play {
                    request,
                    path,
                    start,
                    seek_style,
                } => self.play(conn, task, request, &path, start, &seek_style),
                ServerEvent::Paused => {
                    self.stop_playback(task);
                }
                ServerEvent::Announce {
                    request,
                    path,
                    tracks,
                    skipped,
                } => {
                    let ok = path.strip_prefix("/live/").is_some_and(valid_name);
                    tracing::info!(peer = %self.peer, %path, tracks = tracks.len(), "rtsp announce");
                    for (media, why) in &skipped {
                        tracing::warn!(peer = %self.peer, %path, "rtsp announce: {media} track left out: {why}");
                    }
                    if ok {
                        let _ = conn.accept(now, request);
                    } else {
                        refuse(conn, request, 403);
                    }
                }
                ServerEvent::Record {
                    request,
                    path,
                    tracks,
                } => {
                    let name = path.strip_prefix("/live/").unwrap_or_default().to_owned();
                    task.lead = Some(RecordLead::new(&tracks));
                    let published = self.catalog.live.publish(
                        now,
                        PublishRequest {
                            name: &name,
                            tracks,
                            shifts: &[],
                            media_zero: now,
                            takeover: false,
                            source: "RTSP",
                        },
                    );
                    match published {
                        Ok(p) => {
                            task.publisher = Some(p);
                            let _ = conn.accept(now, request);
                        }
                        Err(e) => {
                            tracing::warn!(%path, "rtsp publish refused: {e}");
                            refuse(conn, request, 403);
                        }
                    }
                }
                ServerEvent::SetUp {
                    transport: TrackTransport::Udp { rtp, rtcp },
                    ..
                } => {
                    let mut routes = self.routes.lock().unwrap_or_else(PoisonError::into_inner);
                    for a in std::iter::once(rtp).chain(rtcp) {
                        routes.insert(a, task.datagrams.clone());
                        task.routed.push(a);
                    }
                }
                ServerEvent::WallClock {
                    track_id: 1,
                    media,
                    unix,
                } => {
                    let link = task
                        .lead
                        .as_mut()
                        .and_then(|l| l.wall_clock(Some((media, unix))));
                    if let (Some(p), Some((media, unix))) = (task.publisher.as_mut(), link) {
                        p.set_wall_clock(media, unix);
                    }
                }
                ServerEvent::TrackAligned {
                    track_id,
                    reference,
                    offset,
                    by,
                } => {
                    tracing::info!(peer = %self.peer, track_id, reference, ?offset, ?by, "rtsp record: track aligned");
                }
                ServerEvent::LateSenderReport {
                    track_id,
                    offset,
                    by_sender_reports,
                } => {
                    tracing::warn!(peer = %self.peer, track_id, ?offset, ?by_sender_reports, "rtsp record: a sender report after the alignment puts the track elsewhere (kept where it is)");
                }
                ServerEvent::SessionEnded { reason } => {
                    tracing::info!(peer = %self.peer, "rtsp session ended: {reason:?}");
                    self.stop_playback(task);
                    if let Some(p) = task.publisher.take() {
                        p.finish(now);
                    }
                }
                // A new SPS/PPS in band (a resolution or profile change):
                // the outputs start a new configuration (HLS
                // discontinuity and init segment, DASH Period).
                ServerEvent::TrackChanged { track } => {
                    tracing::info!(peer = %self.peer, track = track.id, codec = %track.codec.codec_string(), "rtsp record: codec change");
                    if let Some(p) = task.publisher.as_mut()
                        && let Err(e) = p.update_track(now, track)
                    {
                        tracing::warn!("rtsp record: {e}");
                    }
                }
                ServerEvent::BadParameterSets { track_id, error } => {
                    tracing::warn!(peer = %self.peer, track_id, "rtsp record: bad parameter sets: {error}");
                }
                ServerEvent::Loss {
                    track_id,
                    lost_packets,
                    ..
                } => {
                    tracing::debug!(track_id, lost_packets, "rtsp record: loss");
                }
                _ => {}
            }
        }
        Ok(())
    }

    fn stop_playback(&self, task: &mut Task) {
        if let Some(Playback::Live { name, subscriber }) = task.playback.take() {
            self.catalog.live.with_registry(|r| {
                if let Some(b) = r.find_mut(&name) {
                    b.unsubscribe(subscriber);
                }
            });
        }
    }

    /// The presentation of `path`: a file under `/vod/`, a live stream
    /// under `/live/`.
    async fn presentation(&self, path: &str, task: &mut Task) -> Option<Presentation> {
        if let Some(name) = path.strip_prefix("/vod/") {
            let file = self.file(name, task).await?;
            let (tracks, shifts) = file.tracks_and_shifts();
            let tracks = first_video_and_audio(&tracks);
            let duration = tracks
                .iter()
                .filter_map(|t| {
                    let d = i64::try_from(t.duration?).ok()?;
                    let us = streamkit::core::time::MediaTime::new(d, t.timescale)
                        .rescale(Timescale::MICROS, Rounding::Up)
                        .ticks();
                    Some(Duration::from_micros(us.max(0) as u64))
                })
                .max();
            let mut p = Presentation::new(tracks.clone(), duration.or(Some(Duration::ZERO)));
            p.presentation_lead = presentation_lead(&tracks, &shifts, file.samples());
            p.shifts = shifts;
            p.session_name = format!("streamkit serve: {name}");
            return Some(p);
        }
        let name = path.strip_prefix("/live/")?;
        let tracks = self
            .catalog
            .live
            .with_registry(|r| r.find(name).map(|b| b.tracks().to_vec()))?;
        let tracks = first_video_and_audio(&tracks);
        let mut p = Presentation::new(tracks, None);
        // Live B-frames: a lead as long as a second lets any reorder
        // depth through the sender's presentation clock.
        p.presentation_lead = Duration::from_millis(500);
        p.session_name = format!("streamkit serve: live {name}");
        Some(p)
    }

    async fn file(&self, name: &str, task: &mut Task) -> Option<Arc<Mp4File>> {
        if let Some(f) = task.files.get(name) {
            return Some(f.clone());
        }
        let source: PathBuf = self
            .catalog
            .streams
            .iter()
            .find(|s| s.name == name)?
            .source
            .clone();
        let file = tokio::task::spawn_blocking(move || {
            let data = std::fs::read(&source).ok()?;
            Mp4File::parse(Bytes::from(data)).ok()
        })
        .await
        .ok()??;
        let file = Arc::new(file);
        task.files.insert(name.to_owned(), file.clone());
        Some(file)
    }

    fn play(
        &self,
        conn: &mut ServerConnection,
        task: &mut Task,
        request: RequestId,
        path: &str,
        start: Option<NptTime>,
        seek_style: &SeekStyle,
    ) {
        let now = Instant::now();
        self.stop_playback(task);
        if let Some(name) = path.strip_prefix("/vod/") {
            let Some(file) = task.files.get(name).cloned() else {
                refuse(conn, request, 404);
                return;
            };
            let at = match start {
                Some(NptTime::At(t)) => t,
                _ => Duration::ZERO,
            };
            let tracks: Vec<u32> = conn.playing_tracks().collect();
            let next = *seek_style == SeekStyle::Next;
            let (seek, samples) = seek(&file, &tracks, at, next);
            let mut samples = samples.into_iter();
            // RTP-Info needs each track's first packet (its seq and
            // rtptime): push until every track has one, or the sender is
            // full, or the file ends.
            while conn.wants_samples() && !conn.has_first_packets() {
                let Some(s) = samples.next() else { break };
                let _ = conn.push_sample(&s);
            }
            task.playback = Some(Playback::File { samples });
            let _ = conn.accept_play(now, request, Some(seek));
            tracing::info!(peer = %self.peer, carrier = self.carrier.name(), %path, ?seek, "rtsp play");
            return;
        }
        let Some(name) = path.strip_prefix("/live/") else {
            refuse(conn, request, 404);
            return;
        };
        let subscriber = self
            .catalog
            .live
            .with_registry(|r| r.find_mut(name).map(|b| b.subscribe()));
        let Some(subscriber) = subscriber else {
            refuse(conn, request, 404);
            return;
        };
        task.playback = Some(Playback::Live {
            name: name.to_owned(),
            subscriber,
        });
        self.feed(conn, task);
        let _ = conn.accept_play(now, request, None);
        tracing::info!(peer = %self.peer, carrier = self.carrier.name(), %path, "rtsp play (live)");
    }
}

fn refuse(conn: &mut ServerConnection, request: RequestId, status: u16) {
    let _ = conn.refuse(Instant::now(), request, status);
}

/// A stream key: `[A-Za-z0-9_-]`, not empty, at most 64 bytes.
pub(crate) fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && name
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || c == b'_' || c == b'-')
}

/// The samples of `tracks` from the keyframe of the first video track at
/// or before `at` (or, `next`, the first at or after it; RTSP 2.0's
/// Seek-Style) (audio from that keyframe's time on), in file order,
/// and that keyframe's presentation time.
fn seek(file: &Mp4File, tracks: &[u32], at: Duration, next: bool) -> (Duration, Vec<Sample>) {
    let all: Vec<Sample> = file
        .samples()
        .filter(|s| tracks.contains(&s.track_id))
        .collect();
    let (list, shifts): (Vec<Track>, Vec<PresentationShift>) = file.tracks_and_shifts();
    let video = list
        .iter()
        .find(|t| tracks.contains(&t.id) && t.kind() == MediaKind::Video)
        .map(|t| t.id);
    let time = |s: &Sample| {
        let shift = shifts
            .iter()
            .find(|x| x.track_id == s.track_id)
            .map_or(0, |x| x.ticks);
        let ticks = (s.pts() + shift).max(0);
        Duration::from_secs_f64(ticks as f64 / f64::from(s.timescale.hz()))
    };
    let keys: Vec<Duration> = all
        .iter()
        .filter(|s| Some(s.track_id) == video && s.keyframe)
        .map(time)
        .collect();
    let before = keys.iter().filter(|t| **t <= at).max().copied();
    let after = keys.iter().filter(|t| **t >= at).min().copied();
    // Past the last keyframe, Next takes the last one.
    let key = if next { after.or(before) } else { before }.unwrap_or(Duration::ZERO);
    if key.is_zero() {
        return (Duration::ZERO, all);
    }
    let first_video = all
        .iter()
        .position(|s| Some(s.track_id) == video && s.keyframe && time(s) == key)
        .unwrap_or(0);
    let samples = all
        .into_iter()
        .enumerate()
        .filter(|(i, s)| {
            if Some(s.track_id) == video {
                *i >= first_video
            } else {
                time(s) >= key
            }
        })
        .map(|(_, s)| s)
        .collect();
    (key, samples)
}

/// The RTSP URLs of `catalog`'s streams, one line each, for the console:
/// on `addr`, on RTSPS at `rtsps` when it listens, and over HTTP on the
/// HTTP port `http`.
pub(crate) fn urls(
    addr: SocketAddr,
    rtsps: Option<SocketAddr>,
    http: SocketAddr,
    catalog: &Catalog,
) -> String {
    let mut out = format!("serve: rtsp on rtsp://{addr}/\n");
    if let Some(tls) = rtsps {
        out.push_str(&format!("serve: rtsps on rtsps://{tls}/\n"));
    }
    for s in &catalog.streams {
        out.push_str(&format!(
            "    {:<12} rtsp://{addr}/vod/{}\n",
            "RTSP", s.name
        ));
        out.push_str(&format!(
            "    {:<12} rtsp://{addr}/live/{}\n",
            "RTSP live", s.name
        ));
        if let Some(tls) = rtsps {
            out.push_str(&format!(
                "    {:<12} rtsps://{tls}/vod/{}\n",
                "RTSPS", s.name
            ));
            out.push_str(&format!(
                "    {:<12} rtsps://{tls}/live/{}\n",
                "RTSPS live", s.name
            ));
        }
        out.push_str(&format!(
            "    {:<12} rtsp://{http}/vod/{} (RTSP over HTTP: ffmpeg -rtsp_transport http, \
             GStreamer rtsph://)\n",
            "RTSP tunnel", s.name
        ));
    }
    out.push_str(&format!(
        "    {:<12} rtsp://{addr}/live/KEY (ANNOUNCE + RECORD)\n",
        "RTSP publish"
    ));
    out
}
