//! Publishes a media file to an RTSP server with streamkit-rtsp's client
//! session (ANNOUNCE, SETUP, RECORD), its first video and audio track in
//! real time.
//!
//! ```sh
//! cargo run --example rtsp_push -- [--transport tcp|udp] [--speed N]
//!     [--tunnel] [--insecure] [--ca ROOTS.pem] FILE URL
//! # e.g. into ffmpeg: ffmpeg -rtsp_flags listen -i rtsp://127.0.0.1:8554/x -c copy -f framecrc -
//! ```
//!
//! Each sample goes out at its decode time after the first (divided by
//! `--speed`); when all went out it sends TEARDOWN. It connects again
//! while the server refuses (up to 30 s: a listener that is starting).
//! Prints `published N samples` and exits 0 when the session ended by
//! TEARDOWN, 1 otherwise.
//!
//! `URL` may be `rtsps://` (TLS; the certificate checked against
//! `--ca`'s roots, the system's otherwise, or not at all with
//! `--insecure`) or `rtsph://` (RTSP over HTTP; `--tunnel` with
//! `rtsp://` is the same), as for rtsp_pull.
#![allow(clippy::disallowed_methods)] // the example is the I/O layer: it reads the clock

#[path = "common/media_file.rs"]
#[allow(dead_code)] // the file reader is shared; packaging is not used here
mod media_file;
#[path = "common/rtsp_args.rs"]
mod rtsp_args;
#[path = "common/rtsp_client.rs"]
mod rtsp_client;

use std::net::{IpAddr, Ipv4Addr};
use std::process::ExitCode;
use std::time::{Duration, Instant, SystemTime};

use bytes::Bytes;
use streamkit::core::clock::{UnixTime, WallClock};
use streamkit::core::sample::Sample;
use streamkit::rtp::sender::first_video_and_audio;
use streamkit::rtsp::client::{
    ClientConfig, ClientEvent, ClientSession, ClientTransport, SessionEndReason,
};

use media_file::MediaFile;
use rtsp_args::{Arg, ClientArgs};
use rtsp_client::{ClientApp, bind_udp_pairs, connect_with, random_bytes, run_with};

/// Payloads queued in the sender at most before pushing waits.
const MAX_QUEUED: usize = 256;

struct Push {
    samples: Vec<Sample>,
    next: usize,
    start: Option<Instant>,
    speed: f64,
    done: bool,
}

impl Push {
    /// When sample `i` is due.
    fn due(&self, start: Instant, i: usize) -> Instant {
        let first = &self.samples[0];
        let s = &self.samples[i];
        let secs = |x: &Sample| x.dts as f64 / f64::from(x.timescale.hz());
        let after = (secs(s) - secs(first)).max(0.0) / self.speed;
        start + Duration::from_secs_f64(after)
    }
}

impl ClientApp for Push {
    fn on_event(&mut self, _session: &mut ClientSession, now: Instant, event: &ClientEvent) {
        match event {
            ClientEvent::Recording => self.start = Some(now),
            ClientEvent::Quirk(q) => println!("quirk {q:?}"),
            ClientEvent::SessionEnded { reason } => println!("end {reason}"),
            _ => {}
        }
    }

    fn on_tick(&mut self, session: &mut ClientSession, now: Instant) -> Option<Instant> {
        let start = self.start?;
        while self.next < self.samples.len() && session.queued_payloads() < MAX_QUEUED {
            if self.due(start, self.next) > now {
                return Some(self.due(start, self.next));
            }
            if let Err(e) = session.push_sample(&self.samples[self.next]) {
                eprintln!("rtsp_push: sample {}: {e}", self.next);
            }
            self.next += 1;
        }
        if self.next < self.samples.len() {
            // The queue is full: try again soon.
            return Some(now + Duration::from_millis(5));
        }
        if session.queued_payloads() > 0 {
            return Some(now + Duration::from_millis(5));
        }
        if !self.done {
            self.done = true;
            println!("published {} samples", self.samples.len());
            session.teardown(now);
        }
        None
    }
}

fn usage() -> ExitCode {
    eprintln!(
        "usage: rtsp_push [--transport tcp|udp] [--speed N] [--tunnel] [--insecure] [--ca ROOTS.pem] FILE URL"
    );
    ExitCode::from(2)
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let mut client = ClientArgs::default();
    let mut speed = 1.0f64;
    let mut positional = Vec::new();
    while let Some(a) = args.next() {
        let a = match client.take(a, &mut args) {
            Arg::Taken => continue,
            Arg::Usage => return usage(),
            Arg::Other(a) => a,
        };
        match a.as_str() {
            "--speed" => match args.next().and_then(|n| n.parse().ok()) {
                Some(s) if s > 0.0 => speed = s,
                _ => return usage(),
            },
            _ => positional.push(a),
        }
    }
    let [file, url] = positional.as_slice() else {
        return usage();
    };
    let url = &client.url(url);
    let ClientArgs { udp, options } = client;
    let media = match std::fs::read(file)
        .map_err(|e| e.to_string())
        .and_then(|d| MediaFile::read(Bytes::from(d)))
    {
        Ok(m) => m,
        Err(e) => {
            eprintln!("rtsp_push: {file}: {e}");
            return ExitCode::FAILURE;
        }
    };
    let tracks = first_video_and_audio(&media.tracks);
    let samples: Vec<Sample> = media
        .samples
        .into_iter()
        .filter(|s| tracks.iter().any(|t| t.id == s.track_id))
        .collect();
    if samples.is_empty() {
        eprintln!("rtsp_push: {file}: no video or audio samples");
        return ExitCode::FAILURE;
    }
    let started = Instant::now();
    let stream = loop {
        match connect_with(url, &options).await {
            Ok(s) => break s,
            Err(e)
                if e.kind() == std::io::ErrorKind::ConnectionRefused
                    && started.elapsed() < Duration::from_secs(30) =>
            {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            Err(e) => {
                eprintln!("rtsp_push: connect {url}: {e}");
                return ExitCode::FAILURE;
            }
        }
    };
    let mut config = ClientConfig::new(url);
    let pairs = if udp {
        let ip = stream
            .local_addr()
            .map_or(IpAddr::V4(Ipv4Addr::LOCALHOST), |a| a.ip());
        match bind_udp_pairs(ip, tracks.len()).await {
            Ok(p) => p,
            Err(e) => {
                eprintln!("rtsp_push: UDP ports: {e}");
                return ExitCode::FAILURE;
            }
        }
    } else {
        Vec::new()
    };
    if udp {
        config.transport = ClientTransport::Udp {
            ports: pairs.iter().map(|p| p.port).collect(),
        };
    }
    let unix = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64);
    let now = Instant::now();
    let clock = WallClock::new(now, UnixTime::from_unix_millis(unix));
    let session = ClientSession::record(now, config, tracks, clock, Box::new(random_bytes));
    let mut app = Push {
        samples,
        next: 0,
        start: None,
        speed,
        done: false,
    };
    match run_with(
        session,
        stream,
        &pairs,
        &mut app,
        Duration::from_secs(3600),
        &options,
    )
    .await
    {
        Ok(SessionEndReason::Teardown) => ExitCode::SUCCESS,
        Ok(reason) => {
            eprintln!("rtsp_push: {reason}");
            ExitCode::FAILURE
        }
        Err(e) => {
            eprintln!("rtsp_push: {e}");
            ExitCode::FAILURE
        }
    }
}
