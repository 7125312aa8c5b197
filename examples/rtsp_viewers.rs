//! Many RTSP-over-TCP viewers of one stream, for load measurements: each
//! viewer is one TCP connection that DESCRIBEs the URL, SETUPs every
//! track with interleaved channels (2n, 2n+1), PLAYs, and then reads
//! what the server sends for the given time, counting the interleaved
//! frames and their payload bytes; then it sends TEARDOWN and closes.
//! Requests are written with streamkit-rtsp's message writer and the
//! stream is read with its `MessageReader`; all viewers run on one
//! thread, so the client takes one core at most.
//!
//! ```sh
//! cargo run --release --example rtsp_viewers -- rtsp://127.0.0.1:8554/live/h264_aac \
//!     [--viewers 100] [--seconds 10]
//! ```
//!
//! It prints one summary line (the payload bytes each viewer got, as
//! minimum, median and maximum): `viewers=100 failed=0 seconds=10
//! bytes_min=... bytes_median=... bytes_max=... frames_total=... wall_s=...`,
//! and exits non-zero when a viewer failed.

use std::time::{Duration, Instant};

use bytes::BytesMut;
use streamkit::rtsp::message::{Frame, Message, MessageReader, Method, ReaderConfig, Request};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// What one viewer got.
struct Viewed {
    bytes: u64,
    frames: u64,
}

/// One RTSP connection: the socket, the reader, the next CSeq.
struct Client {
    stream: TcpStream,
    reader: MessageReader,
    cseq: u32,
    read: Vec<u8>,
    frames: u64,
    bytes: u64,
}

impl Client {
    async fn request(
        &mut self,
        method: Method,
        uri: &str,
        headers: &[(&str, &str)],
    ) -> Result<Message, String> {
        self.cseq += 1;
        let mut request = Request::new(method, uri);
        request.headers.append("CSeq", &self.cseq.to_string());
        for (name, value) in headers {
            request.headers.append(name, value);
        }
        let mut out = BytesMut::new();
        request.write_to(&mut out);
        self.stream
            .write_all(&out)
            .await
            .map_err(|e| format!("write: {e}"))?;
        loop {
            match self.next_frame().await? {
                Frame::Message(m @ Message::Response(_)) => return Ok(m),
                Frame::Interleaved { data, .. } => {
                    self.frames += 1;
                    self.bytes += data.len() as u64;
                }
                _ => {}
            }
        }
    }

    /// The next frame, reading as needed.
    async fn next_frame(&mut self) -> Result<Frame, String> {
        loop {
            if let Some(frame) = self.reader.poll_frame().map_err(|e| e.to_string())? {
                return Ok(frame);
            }
            let n = self
                .stream
                .read(&mut self.read)
                .await
                .map_err(|e| format!("read: {e}"))?;
            if n == 0 {
                return Err("closed by the server".into());
            }
            self.reader.push(self.read.get(..n).unwrap_or_default());
        }
    }
}

fn ok(message: &Message, what: &str) -> Result<(), String> {
    match message {
        Message::Response(r) if r.status == 200 => Ok(()),
        Message::Response(r) => Err(format!("{what}: {} {}", r.status, r.reason)),
        Message::Request(_) => Err(format!("{what}: a request")),
    }
}

async fn view(url: String, seconds: Duration) -> Result<Viewed, String> {
    let authority = url
        .strip_prefix("rtsp://")
        .and_then(|r| r.split('/').next())
        .ok_or("the URL is not rtsp://HOST:PORT/...")?;
    let stream = TcpStream::connect(authority)
        .await
        .map_err(|e| format!("connect {authority}: {e}"))?;
    let _ = stream.set_nodelay(true);
    let mut c = Client {
        stream,
        reader: MessageReader::new(ReaderConfig::default()),
        cseq: 0,
        read: vec![0; 64 * 1024],
        frames: 0,
        bytes: 0,
    };
    let described = c
        .request(Method::Describe, &url, &[("Accept", "application/sdp")])
        .await?;
    ok(&described, "DESCRIBE")?;
    let Message::Response(described) = described else {
        return Err("DESCRIBE: no response".into());
    };
    let base = described
        .headers
        .get("Content-Base")
        .map_or_else(|| format!("{url}/"), str::to_owned);
    let sdp = String::from_utf8_lossy(&described.body).into_owned();
    let controls: Vec<String> = sdp
        .lines()
        .filter_map(|l| l.trim().strip_prefix("a=control:"))
        .filter(|c| *c != "*")
        .map(|c| {
            if c.starts_with("rtsp://") {
                c.to_owned()
            } else {
                format!("{base}{c}")
            }
        })
        .collect();
    let mut session: Option<String> = None;
    for (i, control) in controls.iter().enumerate() {
        let transport = format!("RTP/AVP/TCP;unicast;interleaved={}-{}", 2 * i, 2 * i + 1);
        let mut headers = vec![("Transport", transport.as_str())];
        if let Some(s) = &session {
            headers.push(("Session", s.as_str()));
        }
        let set_up = c.request(Method::Setup, control, &headers).await?;
        ok(&set_up, "SETUP")?;
        if let Message::Response(r) = &set_up
            && session.is_none()
        {
            session = r
                .headers
                .get("Session")
                .and_then(|s| s.split(';').next())
                .map(|s| s.trim().to_owned());
        }
    }
    let session = session.ok_or("SETUP: no Session")?;
    let played = c
        .request(Method::Play, &base, &[("Session", &session)])
        .await?;
    ok(&played, "PLAY")?;
    // Count from the PLAY's answer on.
    c.frames = 0;
    c.bytes = 0;
    let deadline = tokio::time::Instant::now() + seconds;
    loop {
        match tokio::time::timeout_at(deadline, c.next_frame()).await {
            Err(_) => break,
            Ok(Err(e)) => return Err(e),
            Ok(Ok(Frame::Interleaved { data, .. })) => {
                c.frames += 1;
                c.bytes += data.len() as u64;
            }
            Ok(Ok(_)) => {}
        }
    }
    let viewed = Viewed {
        bytes: c.bytes,
        frames: c.frames,
    };
    let _ = c
        .request(Method::Teardown, &base, &[("Session", &session)])
        .await;
    Ok(viewed)
}

fn main() -> Result<(), String> {
    let mut args = std::env::args().skip(1);
    let mut url = None;
    let mut viewers = 100usize;
    let mut seconds = 10u64;
    while let Some(a) = args.next() {
        match a.as_str() {
            "--viewers" => {
                viewers = args
                    .next()
                    .and_then(|v| v.parse().ok())
                    .ok_or("--viewers N")?;
            }
            "--seconds" => {
                seconds = args
                    .next()
                    .and_then(|v| v.parse().ok())
                    .ok_or("--seconds N")?;
            }
            "-h" | "--help" => {
                println!("usage: rtsp_viewers RTSP_URL [--viewers N] [--seconds S]");
                return Ok(());
            }
            _ if url.is_none() => url = Some(a),
            other => return Err(format!("unknown argument {other}")),
        }
    }
    let url = url.ok_or("usage: rtsp_viewers RTSP_URL [--viewers N] [--seconds S]")?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    #[allow(clippy::disallowed_methods)] // a program: it reads the clock
    let started = Instant::now();
    let results = runtime.block_on(async {
        let tasks: Vec<_> = (0..viewers)
            .map(|_| tokio::spawn(view(url.clone(), Duration::from_secs(seconds))))
            .collect();
        let mut out = Vec::with_capacity(tasks.len());
        for t in tasks {
            out.push(t.await.map_err(|e| e.to_string()).and_then(|r| r));
        }
        out
    });
    let mut bytes: Vec<u64> = Vec::new();
    let mut frames = 0u64;
    let mut failed = 0usize;
    for r in &results {
        match r {
            Ok(v) => {
                bytes.push(v.bytes);
                frames += v.frames;
            }
            Err(e) => {
                failed += 1;
                eprintln!("rtsp_viewers: {e}");
            }
        }
    }
    bytes.sort_unstable();
    let pick = |q: usize| {
        bytes
            .get(q * bytes.len().saturating_sub(1) / 100)
            .copied()
            .unwrap_or(0)
    };
    println!(
        "viewers={viewers} failed={failed} seconds={seconds} bytes_min={} bytes_median={} bytes_max={} frames_total={frames} wall_s={:.1}",
        pick(0),
        pick(50),
        pick(100),
        started.elapsed().as_secs_f64()
    );
    if failed > 0 {
        return Err(format!("{failed} viewers failed"));
    }
    Ok(())
}
