//! Memory over a long live run: a 720p clip (made here with ffmpeg) looped
//! by serve's live channel five times faster than the clock, LL-HLS
//! followers reading every part of it, then leaving. What leaves the live
//! window leaves memory: serve's resident memory (VmRSS) comes back near
//! where it was before the readers came, however much stream went through.
//!
//! `a_short_soak_returns_to_its_memory` runs in the suite (30 s, 150 s of
//! stream, about 45 MB of media through the window);
//! `a_long_soak_returns_to_its_memory` is opt-in:
//! `SERVE_SOAK_SECS=600 cargo test --test serve_soak -- --ignored`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may fail loudly
#![allow(clippy::disallowed_methods)] // tests measure real time

use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

#[path = "serve_support/server.rs"]
mod server;
use server::Server;
#[path = "serve_support/ll_hls.rs"]
mod ll_hls;
use ll_hls::follow;

const SPEED: &str = "5";
/// Followers: video and audio of this many clients.
const CLIENTS: usize = 10;
/// How far above its level before the readers serve may stay once they
/// have left: the allocator keeps some freed memory mapped (per-thread
/// arenas, fragmentation), a few MB; a window that kept what it dropped
/// would hold tens of MB more after a run (a 720p segment is about
/// 600 kB, and the run makes about 75 of them).
const MARGIN_KB: u64 = 12 * 1024;

fn rss_kb(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmRSS")
}

/// A 10 s 1280x720 30 fps clip, keyframes every 2 s, 2.5 Mb/s, with AAC.
fn make_clip(dir: &std::path::Path) -> PathBuf {
    let clip = dir.join("soak.mp4");
    let out = Command::new("ffmpeg")
        .args(["-nostdin", "-v", "error", "-y"])
        .args(["-f", "lavfi", "-i", "testsrc2=size=1280x720:rate=30"])
        .args(["-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000"])
        .args([
            "-t", "10", "-c:v", "libx264", "-preset", "veryfast", "-b:v", "2500k",
        ])
        .args(["-g", "60", "-keyint_min", "60", "-sc_threshold", "0"])
        .args(["-c:a", "aac", "-movflags", "+faststart"])
        .arg(&clip)
        .output()
        .unwrap_or_else(|e| panic!("ffmpeg is needed (scripts/test installs it): {e}"));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    clip
}

/// Followers of the live channel for `run`; panics on any error.
fn read_for(addr: std::net::SocketAddr, run: Duration) -> usize {
    let until = Instant::now() + run;
    let followers: Vec<_> = (0..CLIENTS)
        .flat_map(|_| ["video", "audio"])
        .map(|rendition| {
            std::thread::spawn(move || (rendition, follow(addr, "/live/soak", rendition, until)))
        })
        .collect();
    let mut parts = 0;
    for f in followers {
        let (rendition, followed) = f.join().unwrap();
        assert!(
            followed.errors.is_empty(),
            "{rendition}: {:?}",
            followed.errors
        );
        parts += followed.parts.len();
    }
    parts
}

fn soak(run: Duration) {
    let dir = std::env::temp_dir().join(format!("serve-soak-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let clip = make_clip(&dir);
    let server = Server::start_with(&[clip.to_str().unwrap(), "--live-speed", SPEED]);
    let pid = server.child.id();
    // A first short read, so the allocator has met readers; then the level
    // before the readers, once the window is full (it drops a segment for
    // each it makes from then on).
    read_for(server.addr, Duration::from_secs(3));
    let before = rss_kb(pid);
    let started = Instant::now();
    let mut peak = before;
    let sampler = {
        let until = Instant::now() + run;
        std::thread::spawn(move || {
            let mut samples = Vec::new();
            while Instant::now() < until {
                samples.push(rss_kb(pid));
                std::thread::sleep(Duration::from_millis(500));
            }
            samples
        })
    };
    let parts = read_for(server.addr, run);
    let samples = sampler.join().unwrap();
    peak = samples.into_iter().fold(peak, u64::max);
    // The readers left: memory comes back (a hang guard, not a timing
    // claim: it is usually back at once).
    let deadline = Instant::now() + Duration::from_secs(60);
    let after = loop {
        let now = rss_kb(pid);
        if now <= before + MARGIN_KB || Instant::now() > deadline {
            break now;
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    eprintln!(
        "{} s at {SPEED}x: {parts} parts read by {} followers; RSS {before} kB before, peak {peak} kB, {after} kB after",
        started.elapsed().as_secs(),
        2 * CLIENTS
    );
    assert!(parts > 0);
    assert!(
        after <= before + MARGIN_KB,
        "RSS {after} kB after the readers left, {before} kB before (peak {peak} kB)"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_short_soak_returns_to_its_memory() {
    soak(Duration::from_secs(30));
}

#[test]
#[ignore = "long: SERVE_SOAK_SECS=600 cargo test --test serve_soak -- --ignored"]
fn a_long_soak_returns_to_its_memory() {
    let secs = std::env::var("SERVE_SOAK_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(600);
    soak(Duration::from_secs(secs));
}
