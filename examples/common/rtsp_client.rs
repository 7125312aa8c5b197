//! The I/O around a streamkit-rtsp [`ClientSession`] on tokio: the TCP
//! connection to the URL's host (again after a redirect), a UDP port pair
//! per track for UDP transport, the clock, and a loop that follows the
//! session's contract (input, then events, then transmits, then sleep
//! until its timeout). What to do with the events is the program's
//! [`ClientApp`].

use std::collections::HashMap;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use streamkit::rtsp::client::{
    ClientEvent, ClientSession, ClientTransmit, RtspUrl, SessionEndReason,
};
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
    mut session: ClientSession,
    mut stream: TcpStream,
    udp: &[UdpPair],
    app: &mut impl ClientApp,
    guard: Duration,
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
                    stream = connect(url).await?;
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
