//! A loopback HTTP/1.1 server for the real-client tests: a live package
//! (2 s segments, 500 ms parts, a window of segments, a wall clock) on a
//! `PackageSite` with a `DashView`, served by `streamkit_origin::Origin`;
//! or a finished package, for VOD.
//!
//! One thread accepts, one thread per connection answers one request
//! (`Connection: close`); a held request waits for its answer, a chunked
//! body goes out with `Transfer-Encoding: chunked`, one CMAF chunk (one
//! part) at a time, as the package makes it. A pump thread runs the live
//! source: clients of a live MPD (ffmpeg, dash.js, GStreamer, VLC) place
//! themselves by the system clock, so the source is a real-time encoder on
//! the system clock, simulated from an MP4 file looped (its media time zero
//! at `@availabilityStartTime`, `preroll` before the server started). The
//! pump pushes each sample once it is wholly captured, tells the origin,
//! and wakes the origin at its deadlines. The server stops when dropped,
//! or after `lifetime` whatever happens.
//!
//! Every answer is logged with the path and status (a held request when it
//! is answered), so tests can count requests and `404`s.

// The server reads the clocks and sleeps between pumps, as tests may.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::disallowed_methods,
    dead_code,
    unreachable_pub
)]

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use streamkit_core::clock::{UnixTime, WallClock};
use streamkit_core::codec::MediaKind;
use streamkit_core::mp4::Mp4File;
use streamkit_core::package::{Package, PackageConfig};
use streamkit_core::sample::Sample;
use streamkit_core::time::{MediaTime, Rounding, Timescale};
use streamkit_dash::mpd::UTC_TIMING_HTTP_ISO;
use streamkit_dash::origin::DashView;
use streamkit_dash::presentation::{Presentation, PresentationConfig, PresentationKind};
use streamkit_origin::{
    Answer, Body, Method, Origin, OriginConfig, Output, PackageSite, Request, RequestId, Response,
};

/// The segment target of every live package here.
pub const SEGMENT: Duration = Duration::from_secs(2);
/// The part target.
pub const PART: Duration = Duration::from_millis(500);

pub fn fixture() -> Mp4File {
    read_mp4(Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../tests/fixtures/h264_aac.mp4"
    )))
}

pub fn read_mp4(path: &Path) -> Mp4File {
    Mp4File::parse(Bytes::from(std::fs::read(path).unwrap())).unwrap()
}

/// A directory of its own under the system's temporary directory.
pub fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "streamkit-dash-{name}-{}-{:?}",
        std::process::id(),
        std::thread::current().id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Makes the clip `name` of `scripts/make-live-clips.sh` into a temporary
/// directory and reads it.
pub fn clip(name: &str) -> Mp4File {
    let probe = Command::new("ffmpeg").arg("-version").output();
    assert!(
        probe.is_ok_and(|o| o.status.success()),
        "ffmpeg is required to make the clips (scripts/test installs it)"
    );
    let dir = temp_dir(&format!("clip-{name}"));
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../scripts/make-live-clips.sh");
    let out = Command::new("bash")
        .arg(script)
        .arg(&dir)
        .arg(name)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "make-live-clips.sh {name}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let file = read_mp4(&dir.join(format!("{name}.mp4")));
    std::fs::remove_dir_all(&dir).unwrap();
    file
}

/// An MP4 file looped into an endless source: loop `k` is shifted by `k`
/// times the reference track's duration (the first video track's, else
/// the first track's); samples of other tracks that would run past it are
/// left out so loops do not overlap. Within a loop, samples come in
/// decode-time order across tracks, as a real-time encoder makes them.
pub struct LoopedSource {
    samples: Vec<Sample>,
    /// Per track id, the loop period in the track's ticks.
    periods: HashMap<u32, i64>,
    period: Duration,
    next: usize,
    round: i64,
}

impl LoopedSource {
    pub fn new(file: &Mp4File) -> LoopedSource {
        let (tracks, _) = file.tracks_and_shifts();
        let reference = tracks
            .iter()
            .find(|t| t.kind() == MediaKind::Video)
            .unwrap_or(&tracks[0]);
        let all: Vec<Sample> = file.samples().collect();
        let period_end = all
            .iter()
            .filter(|s| s.track_id == reference.id)
            .map(Sample::end_dts)
            .max()
            .unwrap();
        let period = MediaTime::new(period_end, reference.timescale);
        let periods: HashMap<u32, i64> = tracks
            .iter()
            .map(|t| (t.id, period.rescale(t.timescale, Rounding::Up).ticks()))
            .collect();
        let mut samples: Vec<Sample> = all
            .into_iter()
            .filter(|s| s.end_dts() <= periods[&s.track_id])
            .collect();
        samples.sort_by_key(|s| MediaTime::new(s.dts, s.timescale));
        LoopedSource {
            samples,
            periods,
            period: period.to_duration().unwrap(),
            next: 0,
            round: 0,
        }
    }

    /// The loop period on the reference clock.
    pub fn period(&self) -> Duration {
        self.period
    }

    /// The next sample, shifted into its loop, without taking it.
    pub fn peek(&self) -> Sample {
        let mut s = self.samples[self.next].clone();
        s.dts += self.round * self.periods[&s.track_id];
        s
    }

    /// When the next sample is wholly captured, in media time.
    pub fn next_end(&self) -> Duration {
        let s = self.peek();
        MediaTime::new(s.end_dts(), s.timescale)
            .to_duration()
            .unwrap_or_default()
    }

    /// Takes the next sample.
    pub fn take(&mut self) -> Sample {
        let s = self.peek();
        self.next += 1;
        if self.next == self.samples.len() {
            self.next = 0;
            self.round += 1;
        }
        s
    }
}

/// One answer the server gave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Logged {
    pub path: String,
    pub status: u16,
    /// When it was asked for, in media time of the source (for VOD: since
    /// the server started).
    pub asked: Duration,
    /// How long it was held before its answer.
    pub held: Duration,
    /// `true` when the answer was a chunked body (a segment being made).
    pub streamed: bool,
}

struct Live {
    origin: Origin<PackageSite>,
    source: Option<LoopedSource>,
    /// The instant of media time zero.
    media_zero: Instant,
    /// Pending requests: their path, arrival and where their outputs go.
    waiting: HashMap<RequestId, (String, Instant, Sender<Output>)>,
    log: Vec<Logged>,
}

impl Live {
    /// Pushes what the source has by `now`, tells the origin, fires its
    /// deadlines and sends the outputs to their connections.
    fn pump(&mut self, now: Instant) {
        if let Some(source) = self.source.as_mut() {
            let mut changed = false;
            while self.media_zero + source.next_end() <= now {
                let sample = source.take();
                let package = self.origin.site_mut().package_mut();
                package.push(sample).unwrap();
                while package.poll_event().is_some() {}
                changed = true;
            }
            if changed {
                self.origin.handle_change(now);
            }
        }
        if self.origin.poll_timeout().is_some_and(|t| t <= now) {
            self.origin.handle_timeout(now);
        }
        self.dispatch();
    }

    fn dispatch(&mut self) {
        while let Some(out) = self.origin.poll_output() {
            let id = out.id();
            let last = match &out {
                Output::Response { response, .. } => {
                    if let Some((path, arrived, _)) = self.waiting.get(&id) {
                        self.log.push(Logged {
                            path: path.clone(),
                            status: response.status,
                            asked: arrived.saturating_duration_since(self.media_zero),
                            held: Instant::now().saturating_duration_since(*arrived),
                            streamed: matches!(response.body, Body::Chunked),
                        });
                    }
                    !matches!(response.body, Body::Chunked)
                }
                Output::Chunk { .. } => false,
                _ => true,
            };
            if let Some((_, _, tx)) = self.waiting.get(&id) {
                let _ = tx.send(out);
            }
            if last {
                self.waiting.remove(&id);
            }
        }
    }

    fn cancel(&mut self, id: RequestId) {
        self.origin.cancel(id);
        self.waiting.remove(&id);
    }
}

/// How a live server packages and presents its source.
#[derive(Debug, Clone)]
pub struct LiveSetup {
    /// How long the source has been live when the server starts.
    pub preroll: Duration,
    /// The server stops after this long whatever happens (a hang guard).
    pub lifetime: Duration,
    /// Complete segments the package keeps.
    pub window: usize,
    /// Low-latency DASH with this target latency; `None`: a live MPD of
    /// complete segments only.
    pub low_latency: Option<Duration>,
    /// `@timeShiftBufferDepth`; `None`: the presentation's default (six
    /// segments).
    pub time_shift_buffer_depth: Option<Duration>,
}

impl LiveSetup {
    /// Low latency (1.5 s), a window of 8 segments, 20 s of preroll, a
    /// lifetime of 3 minutes.
    pub fn low_latency() -> LiveSetup {
        LiveSetup {
            preroll: Duration::from_secs(20),
            lifetime: Duration::from_secs(180),
            window: 8,
            low_latency: Some(Duration::from_millis(1500)),
            time_shift_buffer_depth: None,
        }
    }

    /// The same without low latency.
    pub fn complete_segments() -> LiveSetup {
        LiveSetup {
            low_latency: None,
            ..LiveSetup::low_latency()
        }
    }
}

pub struct LiveServer {
    pub port: u16,
    live: Arc<Mutex<Live>>,
    stop: Arc<AtomicBool>,
    threads: Vec<JoinHandle<()>>,
}

impl LiveServer {
    /// Serves `/live/manifest.mpd` (and `/live/time`, and the package's
    /// segments under `/live/`) for `file` looped as a live source.
    pub fn start_live(file: &Mp4File, setup: &LiveSetup) -> LiveServer {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let t0 = Instant::now();
        let unix = SystemTime::now().duration_since(UNIX_EPOCH).unwrap();
        // Media time zero, in whole milliseconds (as the MPD writes it).
        let zero_ms = u64::try_from((unix - setup.preroll).as_millis()).unwrap();
        let zero = UnixTime::from_unix_millis(i64::try_from(zero_ms).unwrap());
        let media_zero = t0 - (unix - Duration::from_millis(zero_ms));
        let wall = WallClock::new(t0, UnixTime::from_unix(unix));
        let ms =
            |d: Duration| MediaTime::new(i64::try_from(d.as_millis()).unwrap(), Timescale::MILLIS);
        let config = PackageConfig::new(ms(SEGMENT))
            .with_part_target(ms(PART))
            .with_window(setup.window);
        let mut package = Package::for_mp4(file, config).unwrap();
        package.set_wall_clock(MediaTime::zero(package.reference_timescale()), zero);
        let mut presentation = PresentationConfig::live(SEGMENT).with_utc_timing(
            UTC_TIMING_HTTP_ISO,
            &format!("http://127.0.0.1:{port}/live/time"),
        );
        if let Some(latency) = setup.low_latency {
            presentation = presentation.with_low_latency(latency);
        }
        if let (Some(depth), PresentationKind::Live(live)) =
            (setup.time_shift_buffer_depth, &mut presentation.kind)
        {
            live.time_shift_buffer_depth = depth;
        }
        let dash =
            DashView::new(Presentation::new(&package, presentation).unwrap()).with_wall_clock(wall);
        let site = PackageSite::new(package, vec![Box::new(dash)]);
        let origin = Origin::new(site, OriginConfig::default().with_base_path("/live/")).unwrap();
        let mut live = Live {
            origin,
            source: Some(LoopedSource::new(file)),
            media_zero,
            waiting: HashMap::new(),
            log: Vec::new(),
        };
        live.pump(Instant::now());
        LiveServer::serve(listener, port, live, setup.lifetime)
    }

    /// Serves the fixture packaged (2 s segments) under `/vod/`.
    pub fn start_vod(lifetime: Duration) -> LiveServer {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let file = fixture();
        let config = PackageConfig::new(MediaTime::new(2, Timescale::SECONDS));
        let mut package = Package::for_mp4(&file, config).unwrap();
        for s in file.samples() {
            package.push(s).unwrap();
        }
        package.finish().unwrap();
        while package.poll_event().is_some() {}
        let dash = DashView::new(Presentation::new(&package, PresentationConfig::vod()).unwrap());
        let site = PackageSite::new(package, vec![Box::new(dash)]);
        let origin = Origin::new(site, OriginConfig::default().with_base_path("/vod/")).unwrap();
        let live = Live {
            origin,
            source: None,
            media_zero: Instant::now(),
            waiting: HashMap::new(),
            log: Vec::new(),
        };
        LiveServer::serve(listener, port, live, lifetime)
    }

    fn serve(listener: TcpListener, port: u16, live: Live, lifetime: Duration) -> LiveServer {
        listener.set_nonblocking(true).unwrap();
        let live = Arc::new(Mutex::new(live));
        let stop = Arc::new(AtomicBool::new(false));
        let started = Instant::now();
        let running = {
            let stop = stop.clone();
            move || !stop.load(Ordering::Relaxed) && started.elapsed() < lifetime
        };
        let accept = {
            let (live, stop, running) = (live.clone(), stop.clone(), running.clone());
            std::thread::spawn(move || {
                while running() {
                    match listener.accept() {
                        Ok((stream, _)) => {
                            stream.set_nonblocking(false).unwrap();
                            let (live, stop) = (live.clone(), stop.clone());
                            std::thread::spawn(move || connection(stream, &live, &stop));
                        }
                        Err(_) => std::thread::sleep(Duration::from_millis(2)),
                    }
                }
                stop.store(true, Ordering::Relaxed);
            })
        };
        let pump = {
            let live = live.clone();
            std::thread::spawn(move || {
                while running() {
                    live.lock().unwrap().pump(Instant::now());
                    std::thread::sleep(Duration::from_millis(5));
                }
                let mut live = live.lock().unwrap();
                live.origin.finish();
                live.dispatch();
            })
        };
        LiveServer {
            port,
            live,
            stop,
            threads: vec![accept, pump],
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    /// Every answer so far.
    pub fn log(&self) -> Vec<Logged> {
        self.live.lock().unwrap().log.clone()
    }

    /// Every answer so far, and forgets them.
    pub fn take_log(&self) -> Vec<Logged> {
        std::mem::take(&mut self.live.lock().unwrap().log)
    }

    /// How many answers had `status`.
    pub fn count_status(&self, status: u16) -> usize {
        self.log().iter().filter(|l| l.status == status).count()
    }

    /// Where the live source is now, in media time (for VOD: the time
    /// since the server started).
    pub fn media_now(&self) -> Duration {
        Instant::now().saturating_duration_since(self.live.lock().unwrap().media_zero)
    }

    /// The source's loop period.
    pub fn period(&self) -> Option<Duration> {
        self.live
            .lock()
            .unwrap()
            .source
            .as_ref()
            .map(LoopedSource::period)
    }

    /// Runs `f` on the package.
    pub fn with_package<T>(&self, f: impl FnOnce(&Package) -> T) -> T {
        f(self.live.lock().unwrap().origin.site().package())
    }
}

impl Drop for LiveServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
    }
}

/// The segment numbers of `rendition` answered 200, in order.
pub fn segment_numbers(log: &[Logged], prefix: &str, rendition: &str) -> Vec<u64> {
    let start = format!("{prefix}{rendition}/seg-");
    log.iter()
        .filter(|l| l.status == 200)
        .filter_map(|l| l.path.strip_prefix(&start)?.strip_suffix(".m4s"))
        .filter_map(|n| n.parse().ok())
        .collect()
}

fn connection(stream: TcpStream, live: &Mutex<Live>, stop: &AtomicBool) {
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut request_line = String::new();
    if reader.read_line(&mut request_line).unwrap_or(0) == 0 {
        return;
    }
    let mut headers: Vec<(String, Vec<u8>)> = Vec::new();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 || line.trim_end().is_empty() {
            break;
        }
        if let Some((name, value)) = line.split_once(':') {
            headers.push((name.trim().to_owned(), value.trim().as_bytes().to_vec()));
        }
    }
    let mut words = request_line.split_whitespace();
    let method = Method::from_token(words.next().unwrap_or("").as_bytes());
    let target = words.next().unwrap_or("/").to_owned();
    let path = target.split('?').next().unwrap_or("").to_owned();
    let mut request = Request::new(method, &target);
    for (name, value) in &headers {
        request.add_header(name, value);
    }
    let (tx, rx) = mpsc::channel();
    let answer = {
        let mut live = live.lock().unwrap();
        let now = Instant::now();
        live.pump(now);
        let answer = live.origin.handle_request(now, &request);
        match &answer {
            Answer::Response(r) => {
                let asked = now.saturating_duration_since(live.media_zero);
                live.log.push(Logged {
                    path,
                    status: r.status,
                    asked,
                    held: Duration::ZERO,
                    streamed: false,
                });
            }
            Answer::Pending(id) => {
                live.waiting.insert(*id, (path, now, tx));
                live.dispatch();
            }
        }
        answer
    };
    let mut out = stream;
    match answer {
        Answer::Response(r) => {
            let _ = write_response(&mut out, &r);
        }
        Answer::Pending(id) => {
            if pending(&mut out, &rx, stop).is_err() {
                live.lock().unwrap().cancel(id);
            }
        }
    }
}

/// Writes the outputs of a pending request as they come; `Err` when the
/// client went away or the server stopped first.
fn pending(out: &mut TcpStream, rx: &Receiver<Output>, stop: &AtomicBool) -> Result<(), ()> {
    loop {
        let output = match rx.recv_timeout(Duration::from_millis(100)) {
            Ok(o) => o,
            Err(RecvTimeoutError::Timeout) if !stop.load(Ordering::Relaxed) => continue,
            Err(_) => return Err(()),
        };
        match output {
            Output::Response { response, .. } => {
                write_response(out, &response).map_err(|_| ())?;
                if !matches!(response.body, Body::Chunked) {
                    return Ok(());
                }
            }
            Output::Chunk { chunk, .. } => {
                out.write_all(format!("{:x}\r\n", chunk.len()).as_bytes())
                    .map_err(|_| ())?;
                for b in chunk.buffers() {
                    out.write_all(b).map_err(|_| ())?;
                }
                out.write_all(b"\r\n").map_err(|_| ())?;
            }
            Output::End { .. } => {
                return out.write_all(b"0\r\n\r\n").map_err(|_| ());
            }
            // Abort: close without ending the body.
            _ => return Ok(()),
        }
    }
}

fn write_response(out: &mut TcpStream, r: &Response) -> std::io::Result<()> {
    let mut head = format!("HTTP/1.1 {} {}\r\n", r.status, r.reason());
    for (name, value) in r.head_fields() {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    if matches!(r.body, Body::Chunked) {
        head.push_str("transfer-encoding: chunked\r\n");
    }
    head.push_str("connection: close\r\n\r\n");
    out.write_all(head.as_bytes())?;
    if let Body::Full(body) = &r.body {
        for b in body.buffers() {
            out.write_all(b)?;
        }
    }
    out.flush()
}
