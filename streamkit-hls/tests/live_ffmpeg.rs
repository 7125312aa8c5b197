//! Live HLS judged by ffmpeg: a live package on a simulated clock on an
//! origin with an HLS view, and a loopback HTTP server in the test. Each time ffmpeg reloads
//! the media playlist, the simulated clock runs until one more segment is
//! complete, so the window slides under ffmpeg at every reload; ffmpeg
//! must follow it without an error and fetch every segment in order.

// The loopback server polls its non-blocking listener and stops by itself
// after a minute: it sleeps and reads the clock, as tests may.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::disallowed_methods
)]

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use streamkit_core::mp4::Mp4File;
use streamkit_core::package::{Container, Package, PackageConfig, PackageEvent, RenditionSpec};
use streamkit_core::sample::Sample;
use streamkit_core::time::{MediaTime, Timescale};
use streamkit_hls::origin::HlsView;
use streamkit_hls::presentation::{Presentation, PresentationConfig};
use streamkit_origin::{Answer, Body, Origin, OriginConfig, PackageSite, Request};

/// The 10 s fixture looped: loop `k` is shifted by `k * 10 s`; audio frames
/// that would run past 10 s are left out so loops do not overlap.
struct LoopedSource {
    samples: Vec<Sample>,
    next: usize,
    round: i64,
}

impl LoopedSource {
    fn next(&mut self) -> (Sample, Duration) {
        let mut s = self.samples[self.next].clone();
        s.dts += self.round * 10 * i64::from(s.timescale.hz());
        self.next += 1;
        if self.next == self.samples.len() {
            self.next = 0;
            self.round += 1;
        }
        let now = MediaTime::new(s.dts, s.timescale).to_duration().unwrap();
        (s, now)
    }
}

struct Live {
    source: LoopedSource,
    origin: Origin<PackageSite>,
    /// The simulated clock: its origin and where it is.
    t0: Instant,
    now: Duration,
    /// Segments of rendition 0 produced so far.
    segments: u64,
    /// Names of the segments clients fetched, in order.
    fetched: Vec<String>,
}

impl Live {
    /// Runs the simulated clock until one more segment is complete.
    fn advance_one_segment(&mut self) {
        let target = self.segments + 1;
        while self.segments < target {
            let (sample, now) = self.source.next();
            self.now = self.now.max(now);
            let segments = &mut self.segments;
            self.origin.change_site(self.t0 + self.now, |site| {
                let package = site.package_mut();
                package.push(sample).unwrap();
                while let Some(event) = package.poll_event() {
                    if let PackageEvent::Segment { rendition: 0, .. } = event {
                        *segments += 1;
                    }
                }
            });
        }
    }
}

fn serve(stream: TcpStream, live: &Mutex<Live>, playlist_path: &str) {
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
    let path = target.split('?').next().unwrap_or("");
    let response = {
        let mut live = live.lock().unwrap();
        if path == playlist_path {
            live.advance_one_segment();
        } else if path.ends_with(".ts") || path.ends_with(".m4s") {
            live.fetched.push(path.to_owned());
        }
        let now = live.t0 + live.now;
        match live.origin.handle_request(now, &Request::get(&target)) {
            Answer::Response(r) => r,
            Answer::Pending(id) => panic!("ffmpeg sent no delivery directive, yet {id} was held"),
        }
    };
    let mut out = stream;
    let mut head = format!("HTTP/1.1 {} X\r\n", response.status);
    for (name, value) in response.head_fields() {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("Connection: close\r\n\r\n");
    let _ = out.write_all(head.as_bytes());
    if let Body::Full(body) = &response.body {
        for b in body.buffers() {
            let _ = out.write_all(b);
        }
    }
}

fn follow_live(ts: bool, entry: &str, playlist_path: &str, seconds: u32) {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../tests/fixtures/h264_aac.mp4"
    );
    let file = Mp4File::parse(Bytes::from(std::fs::read(path).unwrap())).unwrap();
    let samples: Vec<Sample> = file
        .samples()
        .filter(|s| s.end_dts() <= 10 * i64::from(s.timescale.hz()))
        .collect();
    let mut config = PackageConfig::new(MediaTime::new(2, Timescale::SECONDS)).with_window(4);
    if ts {
        let (tracks, _) = file.tracks_and_shifts();
        config = config.with_renditions(vec![RenditionSpec::muxed(
            "main",
            Container::MpegTs,
            &tracks,
        )]);
    }
    let package = Package::for_mp4(&file, config).unwrap();
    let hls = HlsView::new(Presentation::new(&package, PresentationConfig::live(4)).unwrap());
    let site = PackageSite::new(package, vec![Box::new(hls)]);
    let mut live = Live {
        source: LoopedSource {
            samples,
            next: 0,
            round: 0,
        },
        origin: Origin::new(site, OriginConfig::default().with_base_path("/live/")).unwrap(),
        t0: Instant::now(),
        now: Duration::ZERO,
        segments: 0,
        fetched: Vec::new(),
    };
    // 7 segments: the window of 4 has slid three times already.
    for _ in 0..7 {
        live.advance_one_segment();
    }
    let live = Arc::new(Mutex::new(live));
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    listener.set_nonblocking(true).unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let server = {
        let (live, stop) = (live.clone(), stop.clone());
        let playlist_path = playlist_path.to_owned();
        std::thread::spawn(move || {
            // Stops when told, or after a minute whatever happens.
            let started = Instant::now();
            while !stop.load(Ordering::Relaxed) && started.elapsed() < Duration::from_secs(60) {
                match listener.accept() {
                    Ok((stream, _)) => {
                        stream.set_nonblocking(false).unwrap();
                        serve(stream, &live, &playlist_path);
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(2)),
                }
            }
        })
    };
    let first_sequence = live.lock().unwrap().segments;
    let probe = Command::new("ffmpeg").arg("-version").output();
    assert!(
        probe.is_ok_and(|o| o.status.success()),
        "ffmpeg is required for this test (scripts/test installs it)"
    );
    let out = Command::new("ffmpeg")
        .args(["-nostdin", "-v", "error", "-i"])
        .arg(format!("http://127.0.0.1:{port}/live/{entry}"))
        .args(["-t", &seconds.to_string(), "-f", "null", "-"])
        .output()
        .unwrap();
    stop.store(true, Ordering::Relaxed);
    server.join().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() && stderr.is_empty(),
        "ffmpeg: {stderr}"
    );
    let live = live.lock().unwrap();
    // The window slid under ffmpeg at least as many times as it read
    // segments, and it fetched the first rendition's segments in order,
    // without a gap.
    let slid = live.segments - first_sequence;
    let ext = if entry.ends_with("master.m3u8") {
        "m4s"
    } else {
        "ts"
    };
    let prefix = playlist_path.trim_end_matches("index.m3u8");
    let numbers: Vec<u64> = live
        .fetched
        .iter()
        .filter_map(|p| p.strip_prefix(prefix))
        .filter_map(|p| p.strip_prefix("seg-")?.strip_suffix(&format!(".{ext}")))
        .map(|n| n.parse().unwrap())
        .collect();
    assert!(
        numbers.len() as u64 >= u64::from(seconds) / 2,
        "{numbers:?}"
    );
    assert!(slid >= u64::from(seconds) / 2 - 1, "slid {slid}");
    assert!(
        numbers.windows(2).all(|w| w[1] == w[0] + 1),
        "fetched {numbers:?}"
    );
}

#[test]
fn ffmpeg_follows_a_live_ts_window() {
    follow_live(true, "main/index.m3u8", "/live/main/index.m3u8", 8);
}

#[test]
fn ffmpeg_follows_a_live_fmp4_window_with_an_audio_rendition() {
    follow_live(false, "master.m3u8", "/live/video/index.m3u8", 8);
}
