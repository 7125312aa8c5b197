//! A loopback HTTP/1.1 server in front of the live packager and the origin,
//! for the real-client tests. One thread accepts, one thread per
//! connection answers one request (`Connection: close`); chunked origin
//! bodies go out with `Transfer-Encoding: chunked`, each CMAF chunk as the
//! packager makes it.
//!
//! Clients of a live MPD (ffmpeg, dash.js) place themselves by the system
//! clock, so the packager's clock is the system clock too: before each
//! request, and while a chunked body waits, the source is pushed up to the
//! wall-clock time (a real-time encoder, simulated from the fixture looped,
//! its media time zero at `@availabilityStartTime`). The server stops when
//! dropped, or after `lifetime` whatever happens.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::disallowed_methods,
    dead_code,
    unreachable_pub
)]

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use streamkit_core::mp4::Mp4File;
use streamkit_core::sample::Sample;
use streamkit_core::time::{MediaTime, Timescale};
use streamkit_dash::live::{LivePackager, LivePackagerConfig};
use streamkit_dash::origin::{Body, ChunkEvent, Origin, OriginConfig, Request};
use streamkit_dash::packager::{VodPackager, VodPackagerConfig};

pub fn fixture() -> Mp4File {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../tests/fixtures/h264_aac.mp4"
    );
    Mp4File::parse(Bytes::from(std::fs::read(path).unwrap())).unwrap()
}

pub fn wall_clock() -> Duration {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap()
}

/// The fixture looped (each loop shifted by 10 s; audio frames running past
/// 10 s left out so loops do not overlap), `rounds` times.
pub fn looped(file: &Mp4File, rounds: i64) -> Vec<Sample> {
    let one: Vec<Sample> = file
        .samples()
        .filter(|s| s.end_dts() <= 10 * i64::from(s.timescale.hz()))
        .collect();
    (0..rounds)
        .flat_map(|r| {
            one.iter().map(move |s| {
                let mut s = s.clone();
                s.dts += r * 10 * i64::from(s.timescale.hz());
                s
            })
        })
        .collect()
}

pub struct Live {
    samples: Vec<Sample>,
    next: usize,
    ast: Duration,
    /// `None` for a VOD presentation (everything in the origin already).
    packager: Option<LivePackager>,
    pub origin: Origin,
    /// Paths asked for, with their status, in order.
    pub log: Vec<(String, u16)>,
}

impl Live {
    /// Pushes every sample a real-time source has by `now`.
    fn advance(&mut self, now: Duration) {
        let Some(packager) = self.packager.as_mut() else {
            return;
        };
        while let Some(s) = self.samples.get(self.next) {
            let end = MediaTime::new(s.end_dts(), s.timescale)
                .to_duration()
                .unwrap_or_default();
            if self.ast + end > now {
                break;
            }
            packager.push(s.clone(), now).unwrap();
            self.next += 1;
            while let Some(e) = packager.poll() {
                self.origin.handle_live_event(e, now);
            }
        }
    }
}

pub struct LiveServer {
    pub port: u16,
    pub live: Arc<Mutex<Live>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl LiveServer {
    /// Serves `/live/manifest.mpd` (and `/live/time`) for a packager made by
    /// `config(port, availability_start_time)`, the source having run
    /// `preroll` already.
    pub fn start(
        preroll: Duration,
        lifetime: Duration,
        config: impl FnOnce(u16, Duration) -> LivePackagerConfig,
    ) -> LiveServer {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        listener.set_nonblocking(true).unwrap();
        let file = fixture();
        // Whole milliseconds, as the MPD writes them.
        let ast =
            Duration::from_millis(u64::try_from((wall_clock() - preroll).as_millis()).unwrap());
        let packager = LivePackager::for_mp4(&file, config(port, ast)).unwrap();
        let mut live = Live {
            samples: looped(&file, 12),
            next: 0,
            ast,
            packager: Some(packager),
            origin: Origin::new(OriginConfig::default().with_base_path("/live/")),
            log: Vec::new(),
        };
        live.advance(wall_clock());
        LiveServer::serve(listener, port, live, lifetime)
    }

    /// Serves the VOD packager's output of the fixture (2 s segments) under
    /// `/vod/`.
    pub fn start_vod(lifetime: Duration) -> LiveServer {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        listener.set_nonblocking(true).unwrap();
        let file = fixture();
        let mut packager = VodPackager::for_mp4(
            &file,
            VodPackagerConfig::new(MediaTime::new(2, Timescale::SECONDS)),
        )
        .unwrap();
        let mut origin = Origin::new(OriginConfig::default().with_base_path("/vod/"));
        for s in file.samples() {
            packager.push(s).unwrap();
        }
        packager.finish().unwrap();
        while let Some(e) = packager.poll() {
            origin.handle_vod_event(e);
        }
        let live = Live {
            samples: Vec::new(),
            next: 0,
            ast: Duration::ZERO,
            packager: None,
            origin,
            log: Vec::new(),
        };
        LiveServer::serve(listener, port, live, lifetime)
    }

    fn serve(listener: TcpListener, port: u16, live: Live, lifetime: Duration) -> LiveServer {
        let live = Arc::new(Mutex::new(live));
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let (live, stop) = (live.clone(), stop.clone());
            std::thread::spawn(move || {
                let started = Instant::now();
                while !stop.load(Ordering::Relaxed) && started.elapsed() < lifetime {
                    match listener.accept() {
                        Ok((stream, _)) => {
                            stream.set_nonblocking(false).unwrap();
                            let (live, stop) = (live.clone(), stop.clone());
                            std::thread::spawn(move || serve(stream, &live, &stop));
                        }
                        Err(_) => std::thread::sleep(Duration::from_millis(2)),
                    }
                }
            })
        };
        LiveServer {
            port,
            live,
            stop,
            thread: Some(thread),
        }
    }
}

impl Drop for LiveServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn serve(stream: TcpStream, live: &Mutex<Live>, stop: &AtomicBool) {
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut request_line = String::new();
    if reader.read_line(&mut request_line).unwrap_or(0) == 0 {
        return;
    }
    loop {
        let mut header = String::new();
        if reader.read_line(&mut header).unwrap_or(0) == 0 || header == "\r\n" {
            break;
        }
    }
    let target = request_line.split(' ').nth(1).unwrap_or("/").to_owned();
    let request = Request::from_target(&target);
    let response = {
        let mut live = live.lock().unwrap();
        let now = wall_clock();
        live.advance(now);
        let r = live.origin.handle_request(&request, now);
        live.log.push((request.path.to_owned(), r.status));
        r
    };
    let mut out = stream;
    let mut head = format!(
        "HTTP/1.1 {} X\r\nContent-Type: {}\r\nCache-Control: {}\r\nAccess-Control-Allow-Origin: *\r\nConnection: close\r\n",
        response.status,
        response.content_type.unwrap_or("text/plain"),
        response.cache_control
    );
    match response.body {
        Body::Full(body) => {
            head.push_str(&format!("Content-Length: {}\r\n\r\n", body.len()));
            let _ = out.write_all(head.as_bytes());
            for b in body.buffers() {
                let _ = out.write_all(b);
            }
        }
        Body::Chunked(id) => {
            head.push_str("Transfer-Encoding: chunked\r\n\r\n");
            if out.write_all(head.as_bytes()).is_err() {
                live.lock().unwrap().origin.cancel(id);
                return;
            }
            loop {
                let event = {
                    let mut live = live.lock().unwrap();
                    live.advance(wall_clock());
                    live.origin.poll_chunk(id)
                };
                match event {
                    Some(ChunkEvent::Data(d)) => {
                        let _ = out.write_all(format!("{:x}\r\n", d.len()).as_bytes());
                        for b in d.buffers() {
                            let _ = out.write_all(b);
                        }
                        if out.write_all(b"\r\n").is_err() {
                            live.lock().unwrap().origin.cancel(id);
                            return;
                        }
                    }
                    Some(ChunkEvent::End) => {
                        let _ = out.write_all(b"0\r\n\r\n");
                        return;
                    }
                    Some(_) => return,
                    None if stop.load(Ordering::Relaxed) => {
                        live.lock().unwrap().origin.cancel(id);
                        return;
                    }
                    None => std::thread::sleep(Duration::from_millis(5)),
                }
            }
        }
    }
}
