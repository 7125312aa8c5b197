//! `/rtp/NAME.sdp?dest=ADDR:PORT`: starts an RTP/RTCP stream of file NAME
//! to `ADDR:PORT` and answers the SDP a player opens (`application/sdp`).
//!
//! Video RTP goes to PORT, its RTCP to PORT + 1, audio RTP to PORT + 2 and
//! its RTCP to PORT + 3, so PORT must be even, not 0 and at most 65532.
//! `dest` is a socket address (`127.0.0.1:5004`, `[::1]:5004`; `%3A`,
//! `%5B`, `%5D` are decoded); only loopback addresses are accepted unless
//! the server runs with `--allow-remote`. At most `--max-rtp-streams`
//! streams run at once; further requests get 503. Each stream sends the
//! file once, in real time, on a thread of its own, then ends.
//!
//! Answers: 200 with the SDP, 400 for a missing or bad `dest`, 404 for an
//! unknown NAME, 405 for anything but GET (a HEAD would start a stream),
//! 503 over the cap.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::SystemTime;

use bytes::Bytes;
use hyper::StatusCode;
use streamkit::core::mp4::Mp4File;
use tokio::sync::Semaphore;

use crate::rtp_stream::{RtpStream, RtpStreamConfig, check_dest_port};

/// The RTP endpoint: which files it streams and its bounds.
pub(crate) struct RtpEndpoint {
    /// `(NAME, source file)` of each stream.
    sources: Vec<(String, PathBuf)>,
    allow_remote: bool,
    streams: Arc<Semaphore>,
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
            let config = RtpStreamConfig {
                dest,
                looping: false,
                speed: 1.0,
                mtu: 1200,
                aac_frames: 4,
                seed,
                name: "serve",
            };
            RtpStream::new(file, &config).map_err(|e| format!("{}: {e}", source.display()))
        })
        .await
        .map_err(|e| e.to_string())
        .and_then(|r| r);
        let stream = prepared.map_err(|e| {
            tracing::warn!("rtp: {e}");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                "the stream did not start".to_owned(),
            )
        })?;
        let sdp = Bytes::from(stream.sdp().to_owned());
        // A plain thread, not the runtime's blocking pool: shutting the
        // runtime down does not wait for a stream still sending.
        let spawned = std::thread::Builder::new()
            .name("rtp".into())
            .spawn(move || {
                let _permit = permit;
                match stream.run() {
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
