//! The I/O around a streamkit-rtsp [`ClientSession`] on tokio: the TCP
//! connection to the URL's host (again after a redirect), a UDP port pair
//! per track for UDP transport, the clock, and a loop that follows the
//! session's contract (input, then events, then transmits, then sleep
//! until its timeout). What to do with the events is the program's
//! [`ClientApp`].
//!
//! [`connect_with`] and [`run_with`] also reach a server over TLS
//! (`rtsps://`, rustls with RustCrypto's provider, the certificate
//! checked against given roots or the system's, or not at all when
//! asked) and through RTSP over HTTP (the QuickTime tunnel: a GET
//! connection for what the server sends, a POST connection for the
//! session's writes in base64, by streamkit-rtsp's `ClientTunnel`).
//! Each program that includes this file uses a part of it.
#![allow(dead_code)]

use std::collections::HashMap;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use streamkit::rtsp::client::{
    ClientEvent, ClientSession, ClientTransmit, RtspUrl, SessionEndReason,
};
use streamkit::rtsp::tunnel::{ClientTunnel, GetAnswer};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpStream, UdpSocket};
use tokio::sync::mpsc;

/// What a program does with a running session.
pub(crate) trait ClientApp {
    /// An event of the session.
    fn on_event(&mut self, session: &mut ClientSession, now: Instant, event: &ClientEvent);

    /// Called after the events of every wake; gives when it wants to be
    /// called next (a publisher's next sample).
    fn on_tick(&mut self, _session: &mut ClientSession, _now: Instant) -> Option<Instant> {
        None
    }
}

/// A track's UDP ports: RTP on an even port, RTCP on the next.
pub(crate) struct UdpPair {
    pub(crate) rtp: Arc<UdpSocket>,
    pub(crate) rtcp: Arc<UdpSocket>,
    pub(crate) port: u16,
}

/// `count` UDP port pairs on `ip` (an even port and the next, each pair
/// from the system's choice).
pub(crate) async fn bind_udp_pairs(ip: IpAddr, count: usize) -> io::Result<Vec<UdpPair>> {
    let mut pairs = Vec::with_capacity(count);
    let mut tries = 0;
    while pairs.len() < count {
        tries += 1;
        if tries > 1000 {
            return Err(io::Error::other("no free even/odd UDP port pair"));
        }
        let rtp = UdpSocket::bind((ip, 0)).await?;
        let port = rtp.local_addr()?.port();
        if port % 2 != 0 || port == u16::MAX {
            continue;
        }
        let Ok(rtcp) = UdpSocket::bind((ip, port + 1)).await else {
            continue;
        };
        pairs.push(UdpPair {
            rtp: Arc::new(rtp),
            rtcp: Arc::new(rtcp),
            port,
        });
    }
    Ok(pairs)
}

/// How [`connect_with`] reaches the server of a URL.
#[derive(Debug, Clone, Default)]
pub(crate) struct ConnectOptions {
    /// RTSP over HTTP (the QuickTime tunnel) to the URL's host and port
    /// (the server's HTTP port).
    pub(crate) tunnel: bool,
    /// For `rtsps://`: take any certificate (self-signed test servers).
    pub(crate) insecure: bool,
    /// For `rtsps://`: the PEM file of the roots the server's certificate
    /// must chain to; the system's bundle when `None`.
    pub(crate) roots: Option<PathBuf>,
}

/// The system's root certificates (Debian's ca-certificates).
const SYSTEM_ROOTS: &str = "/etc/ssl/certs/ca-certificates.crt";

/// The longest a tunnel's GET answer head may take to come.
const TUNNEL_ANSWER_GUARD: Duration = Duration::from_secs(30);

/// A connection to an RTSP server: plain TCP, TLS, or a tunnel's two
/// HTTP connections.
pub(crate) enum ClientStream {
    /// `rtsp://`.
    Tcp(TcpStream),
    /// `rtsps://`.
    Tls(Box<tokio_rustls::client::TlsStream<TcpStream>>),
    /// RTSP over HTTP.
    Tunnel {
        /// The GET: the server's output.
        get: TcpStream,
        /// The POST: the session's writes, in base64.
        post: TcpStream,
        tunnel: ClientTunnel,
        /// What came after the GET's answer head in its read, for the
        /// session first.
        pending: Vec<u8>,
        /// The POST body being written.
        encoded: Vec<u8>,
    },
}

impl ClientStream {
    fn tcp(&self) -> &TcpStream {
        match self {
            ClientStream::Tcp(s) => s,
            ClientStream::Tls(s) => s.get_ref().0,
            ClientStream::Tunnel { get, .. } => get,
        }
    }

    /// The server's address.
    pub(crate) fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.tcp().peer_addr()
    }

    /// This end's address.
    pub(crate) fn local_addr(&self) -> io::Result<SocketAddr> {
        self.tcp().local_addr()
    }

    /// Reads what the server sent (cancel safe).
    async fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            ClientStream::Tcp(s) => s.read(buf).await,
            ClientStream::Tls(s) => s.read(buf).await,
            ClientStream::Tunnel { get, pending, .. } => {
                if !pending.is_empty() {
                    let n = pending.len().min(buf.len());
                    buf[..n].copy_from_slice(&pending[..n]);
                    pending.drain(..n);
                    return Ok(n);
                }
                get.read(buf).await
            }
        }
    }

    /// Writes what the session sends, all of it.
    async fn write_all(&mut self, bytes: &[u8]) -> io::Result<()> {
        match self {
            ClientStream::Tcp(s) => s.write_all(bytes).await,
            ClientStream::Tls(s) => {
                s.write_all(bytes).await?;
                s.flush().await
            }
            ClientStream::Tunnel {
                post,
                tunnel,
                encoded,
                ..
            } => {
                encoded.clear();
                tunnel.encode(bytes, encoded);
                post.write_all(encoded).await
            }
        }
    }
}

/// Connects to the server of `url` as `options` say: TCP for
/// `rtsp://`, TLS for `rtsps://`, the tunnel's two connections when
/// `options.tunnel` (after the server took the GET).
pub(crate) async fn connect_with(url: &str, options: &ConnectOptions) -> io::Result<ClientStream> {
    let u = RtspUrl::parse(url).ok_or_else(|| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("not an RTSP URL: {url}"),
        )
    })?;
    if options.tunnel {
        if u.scheme == "rtsps" {
            return Err(io::Error::new(
                io::ErrorKind::Unsupported,
                "RTSP over HTTP goes to an http port, not over TLS: use rtsp:// or rtsph://",
            ));
        }
        return connect_tunnel(&u).await;
    }
    let stream = connect(url).await?;
    if u.scheme != "rtsps" {
        return Ok(ClientStream::Tcp(stream));
    }
    let connector = tls_connector(options)?;
    let name = rustls_pki_types::ServerName::try_from(u.host.clone())
        .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, format!("{}: {e}", u.host)))?;
    let tls = connector.connect(name, stream).await?;
    Ok(ClientStream::Tls(Box::new(tls)))
}

/// Opens a tunnel to the host and port of `u`: the GET, its answer, then
/// the POST.
async fn connect_tunnel(u: &RtspUrl) -> io::Result<ClientStream> {
    let authority = if u.host.contains(':') {
        format!("[{}]:{}", u.host, u.port)
    } else {
        format!("{}:{}", u.host, u.port)
    };
    let after_scheme = u.request_url.split_once("://").map_or("", |(_, r)| r);
    let target = after_scheme
        .find(['/', '?'])
        .map_or("/", |at| &after_scheme[at..]);
    let target = target.split('#').next().unwrap_or("/");
    let target = if target.starts_with('/') {
        target.to_owned()
    } else {
        format!("/{target}")
    };
    let mut cookie = [0u8; 16];
    random_bytes(&mut cookie);
    let mut tunnel = ClientTunnel::new(&target, &authority, cookie)
        .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e.to_string()))?;
    let tunnel_error = |e: streamkit::rtsp::tunnel::TunnelError| {
        io::Error::new(io::ErrorKind::InvalidData, format!("RTSP over HTTP: {e}"))
    };
    let connect_one = || async {
        let s = TcpStream::connect((u.host.as_str(), u.port)).await?;
        s.set_nodelay(true)?;
        Ok::<_, io::Error>(s)
    };
    let mut get = connect_one().await?;
    let mut head = Vec::new();
    tunnel.write_get_head(&mut head);
    get.write_all(&head).await?;
    let mut buf = vec![0u8; 16 * 1024];
    let pending = tokio::time::timeout(TUNNEL_ANSWER_GUARD, async {
        loop {
            let n = get.read(&mut buf).await?;
            if n == 0 {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "RTSP over HTTP: the server closed the GET before its answer",
                ));
            }
            match tunnel.handle_get_bytes(&buf[..n]).map_err(tunnel_error)? {
                GetAnswer::Incomplete => {}
                GetAnswer::Open { body } => return Ok(body.to_vec()),
                _ => {}
            }
        }
    })
    .await
    .map_err(|_| {
        io::Error::new(
            io::ErrorKind::TimedOut,
            "RTSP over HTTP: no answer to the GET",
        )
    })??;
    let mut post = connect_one().await?;
    head.clear();
    tunnel.write_post_head(&mut head);
    post.write_all(&head).await?;
    Ok(ClientStream::Tunnel {
        get,
        post,
        tunnel,
        pending,
        encoded: Vec::new(),
    })
}

/// The TLS client of `options`: RustCrypto's provider, the roots given
/// (or the system's), or no check at all when `insecure`.
fn tls_connector(options: &ConnectOptions) -> io::Result<tokio_rustls::TlsConnector> {
    use rustls_pki_types::CertificateDer;
    use rustls_pki_types::pem::PemObject;
    let provider = Arc::new(rustls_rustcrypto::provider());
    let builder = rustls::ClientConfig::builder_with_provider(Arc::clone(&provider))
        .with_safe_default_protocol_versions()
        .map_err(|e| io::Error::other(format!("TLS: {e}")))?;
    let config = if options.insecure {
        builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(AnyCertificate(provider)))
            .with_no_client_auth()
    } else {
        let path = options
            .roots
            .clone()
            .unwrap_or_else(|| PathBuf::from(SYSTEM_ROOTS));
        let bad = |e: &dyn std::fmt::Display| {
            io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("TLS roots {}: {e}", path.display()),
            )
        };
        let mut roots = rustls::RootCertStore::empty();
        for cert in CertificateDer::pem_file_iter(&path).map_err(|e| bad(&e))? {
            roots.add(cert.map_err(|e| bad(&e))?).map_err(|e| bad(&e))?;
        }
        builder.with_root_certificates(roots).with_no_client_auth()
    };
    Ok(tokio_rustls::TlsConnector::from(Arc::new(config)))
}

/// A certificate verifier that takes any certificate (`--insecure`, for
/// test servers with self-signed certificates); the handshake's
/// signatures are still checked, by the provider's algorithms.
#[derive(Debug)]
struct AnyCertificate(Arc<rustls::crypto::CryptoProvider>);

impl rustls::client::danger::ServerCertVerifier for AnyCertificate {
    fn verify_server_cert(
        &self,
        _end_entity: &rustls_pki_types::CertificateDer<'_>,
        _intermediates: &[rustls_pki_types::CertificateDer<'_>],
        _server_name: &rustls_pki_types::ServerName<'_>,
        _ocsp_response: &[u8],
        _now: rustls_pki_types::UnixTime,
    ) -> Result<rustls::client::danger::ServerCertVerified, rustls::Error> {
        Ok(rustls::client::danger::ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &rustls_pki_types::CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &rustls_pki_types::CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

/// `rtsph://HOST[:PORT]/PATH` (RTSP over HTTP, as GStreamer names it) as
/// the `rtsp://` URL the session requests, the port 80 when none is
/// given; `None` for other schemes.
pub(crate) fn rtsph_url(url: &str) -> Option<String> {
    let (scheme, rest) = url.trim().split_once("://")?;
    if !scheme.eq_ignore_ascii_case("rtsph") {
        return None;
    }
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, path) = rest.split_at(end);
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, hp)| hp);
    let has_port = match host_port.rsplit_once(']') {
        Some((_, after)) => after.starts_with(':'),
        None => host_port.contains(':'),
    };
    let port = if has_port { "" } else { ":80" };
    Some(format!("rtsp://{authority}{port}{path}"))
}

/// The operating system's random bytes (a tunnel's cookie, a session's
/// nonces and SSRC seeds); without `/dev/urandom`, the standard library's
/// per-process random hash keys.
pub(crate) fn random_bytes(dest: &mut [u8]) {
    use std::hash::{BuildHasher, Hasher};
    use std::io::Read;
    if let Ok(mut f) = std::fs::File::open("/dev/urandom")
        && f.read_exact(dest).is_ok()
    {
        return;
    }
    let keys = std::collections::hash_map::RandomState::new();
    for (i, chunk) in dest.chunks_mut(8).enumerate() {
        let mut h = keys.build_hasher();
        h.write_usize(i);
        let bytes = h.finish().to_le_bytes();
        chunk.copy_from_slice(&bytes[..chunk.len()]);
    }
}

/// Connects to the host and port of `url`.
pub(crate) async fn connect(url: &str) -> io::Result<TcpStream> {
    let u = RtspUrl::parse(url).ok_or_else(|| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("not an RTSP URL: {url}"),
        )
    })?;
    let stream = TcpStream::connect((u.host.as_str(), u.port)).await?;
    stream.set_nodelay(true)?;
    Ok(stream)
}

/// Runs `session` over `stream` (and `udp`, the pairs whose RTP ports the
/// session's configuration names) until it ends or `guard` passes (a hang
/// guard: the session is torn down then). Gives why it ended.
pub(crate) async fn run(
    session: ClientSession,
    stream: TcpStream,
    udp: &[UdpPair],
    app: &mut impl ClientApp,
    guard: Duration,
) -> io::Result<SessionEndReason> {
    run_with(
        session,
        ClientStream::Tcp(stream),
        udp,
        app,
        guard,
        &ConnectOptions::default(),
    )
    .await
}

/// As [`run`], over any [`ClientStream`]; a redirect connects again as
/// `options` say.
pub(crate) async fn run_with(
    mut session: ClientSession,
    mut stream: ClientStream,
    udp: &[UdpPair],
    app: &mut impl ClientApp,
    guard: Duration,
    options: &ConnectOptions,
) -> io::Result<SessionEndReason> {
    let started = Instant::now();
    let mut peer: IpAddr = stream.peer_addr()?.ip();
    let (tx, mut rx) = mpsc::channel::<(u16, Bytes)>(4096);
    let mut sockets: HashMap<u16, Arc<UdpSocket>> = HashMap::new();
    let mut readers = Vec::new();
    for pair in udp {
        for (port, socket) in [(pair.port, &pair.rtp), (pair.port + 1, &pair.rtcp)] {
            sockets.insert(port, Arc::clone(socket));
            let socket = Arc::clone(socket);
            let tx = tx.clone();
            readers.push(tokio::spawn(async move {
                let mut buf = vec![0u8; 65_536];
                while let Ok((n, _)) = socket.recv_from(&mut buf).await {
                    if tx
                        .send((port, Bytes::copy_from_slice(&buf[..n])))
                        .await
                        .is_err()
                    {
                        break;
                    }
                }
            }));
        }
    }
    drop(tx);
    let mut buf = vec![0u8; 256 * 1024];
    let mut app_wake: Option<Instant> = None;
    let mut closed = false;
    let mut guard_passed = false;
    let result = loop {
        let now = Instant::now();
        let mut ended = None;
        while let Some(event) = session.poll_event() {
            match &event {
                ClientEvent::Redirect { url } => {
                    stream = connect_with(url, options).await?;
                    peer = stream.peer_addr()?.ip();
                    closed = false;
                }
                ClientEvent::SessionEnded { reason } => ended = Some(reason.clone()),
                _ => {}
            }
            app.on_event(&mut session, now, &event);
        }
        if ended.is_none() {
            app_wake = app.on_tick(&mut session, now);
        }
        let mut wire = Vec::new();
        while let Some(t) = session.poll_transmit(now) {
            match t {
                ClientTransmit::Stream(bytes) => wire.extend_from_slice(&bytes),
                ClientTransmit::Interleaved { header, packet } => {
                    wire.extend_from_slice(&header);
                    wire.extend_from_slice(packet);
                }
                ClientTransmit::Datagram {
                    local_port,
                    server_port,
                    packet,
                } => {
                    if let Some(socket) = sockets.get(&local_port) {
                        let _ = socket
                            .send_to(packet, SocketAddr::new(peer, server_port))
                            .await;
                    }
                }
            }
            if wire.len() > 64 * 1024 && !closed {
                stream.write_all(&wire).await?;
                wire.clear();
            }
        }
        if !wire.is_empty() && !closed {
            // A server that closed may refuse the last writes.
            if stream.write_all(&wire).await.is_err() {
                closed = true;
            }
        }
        if let Some(reason) = ended {
            break Ok(reason);
        }
        if !guard_passed && now.duration_since(started) >= guard {
            guard_passed = true;
            session.teardown(now);
            continue;
        }
        let wake = [session.poll_timeout(), app_wake, Some(started + guard)]
            .into_iter()
            .flatten()
            .min();
        let sleep = tokio::time::sleep_until(wake.map_or_else(
            || tokio::time::Instant::now() + Duration::from_secs(3600),
            tokio::time::Instant::from_std,
        ));
        tokio::select! {
            read = stream.read(&mut buf), if !closed => {
                let now = Instant::now();
                match read {
                    Ok(0) | Err(_) => {
                        closed = true;
                        session.handle_closed(now);
                    }
                    Ok(n) => session.handle_bytes(now, &buf[..n]),
                }
            }
            Some((port, datagram)) = rx.recv() => {
                let _ = session.handle_datagram(Instant::now(), port, datagram);
            }
            () = sleep => {
                session.handle_timeout(Instant::now());
            }
        }
    };
    for r in readers {
        r.abort();
    }
    result
}
