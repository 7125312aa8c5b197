//! The origin behind a live low-latency packager, on a simulated clock:
//! blocking playlist reload answers exactly when the requested part exists,
//! hinted parts are held and released, time-outs give 503, delta updates
//! merge back to the full playlist, bad requests get 400/404, and memory
//! stays bounded by the live window.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::Duration;

use bytes::Bytes;
use streamkit_core::mp4::Mp4File;
use streamkit_core::sample::Sample;
use streamkit_core::time::{MediaTime, Timescale};
use streamkit_hls::origin::{Handled, Origin, OriginConfig, Request, Response};
use streamkit_hls::packager::{Packager, PackagerConfig, PackagerEvent, SegmentFormat};
use streamkit_hls::playlist::{MediaPlaylist, PreloadHintType};

/// The 10 s fixture looped forever: loop `k` is shifted by `k * 10 s`; audio
/// frames that would run past 10 s are left out so loops do not overlap.
struct LoopedSource {
    file: Mp4File,
    samples: Vec<Sample>,
    next: usize,
    round: i64,
}

impl LoopedSource {
    fn new() -> LoopedSource {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../tests/fixtures/h264_aac.mp4"
        );
        let file = Mp4File::parse(Bytes::from(std::fs::read(path).unwrap())).unwrap();
        let samples: Vec<Sample> = file
            .samples()
            .filter(|s| s.end_dts() <= 10 * i64::from(s.timescale.hz()))
            .collect();
        LoopedSource {
            file,
            samples,
            next: 0,
            round: 0,
        }
    }

    /// The next sample and its time (its decode time) on the simulated clock.
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
    packager: Packager,
    origin: Origin,
    now: Duration,
    /// `(segment, part)` of every part produced, in order, per rendition 0.
    parts: Vec<(u64, u32)>,
    released: Vec<(u64, Response, Duration)>,
}

impl Live {
    fn new(window: usize) -> Live {
        let source = LoopedSource::new();
        let config = PackagerConfig::live(
            SegmentFormat::Fmp4,
            MediaTime::new(2, Timescale::SECONDS),
            window,
        )
        .with_part_target(MediaTime::new(500, Timescale::MILLIS));
        let packager = Packager::for_mp4(&source.file, config).unwrap();
        let mut live = Live {
            source,
            packager,
            origin: Origin::new(OriginConfig::default().with_base_path("/live/")),
            now: Duration::ZERO,
            parts: Vec::new(),
            released: Vec::new(),
        };
        live.drain();
        live
    }

    fn drain(&mut self) {
        while let Some(event) = self.packager.poll() {
            if let PackagerEvent::Part(p) = &event
                && p.resource.rendition == 0
            {
                self.parts.push((p.segment_sequence, p.index));
            }
            self.origin.handle_event(event, self.now);
        }
        while let Some((id, response)) = self.origin.poll_released() {
            self.released.push((id.0, response, self.now));
        }
    }

    fn step(&mut self) {
        let (sample, now) = self.source.next();
        self.now = self.now.max(now);
        self.packager.push(sample).unwrap();
        self.drain();
    }

    fn run_until(&mut self, t: Duration) {
        while self.now < t {
            self.step();
        }
    }

    fn get(&mut self, target: &str) -> Handled {
        self.origin
            .handle_request(&Request::from_target(target), self.now)
    }

    fn playlist(&mut self) -> MediaPlaylist {
        match self.get("/live/video/index.m3u8") {
            Handled::Response(r) => parse(&r),
            Handled::Held(_) => panic!("a plain playlist request is never held"),
        }
    }
}

fn parse(r: &Response) -> MediaPlaylist {
    assert_eq!(r.status, 200);
    assert_eq!(r.content_type, Some("application/vnd.apple.mpegurl"));
    MediaPlaylist::parse(&r.body.to_bytes()).unwrap()
}

fn status(h: Handled) -> u16 {
    match h {
        Handled::Response(r) => r.status,
        Handled::Held(id) => panic!("held as {id:?}"),
    }
}

#[test]
fn live_playlist_has_low_latency_tags() {
    let mut live = Live::new(4);
    live.run_until(Duration::from_secs(7));
    let p = live.playlist();
    let sc = p.server_control.clone().unwrap();
    assert!(sc.can_block_reload);
    assert_eq!(sc.part_hold_back, Some(Duration::from_millis(1500)));
    assert_eq!(sc.can_skip_until, Some(Duration::from_secs(12)));
    assert_eq!(p.part_inf.unwrap().part_target, Duration::from_millis(500));
    assert_eq!(p.preload_hints.len(), 1);
    assert_eq!(p.preload_hints[0].hint_type, PreloadHintType::Part);
    // Parts starting with a keyframe are independent: the first part of
    // every segment here (a keyframe every 2 s), and no other.
    for s in &p.segments {
        for (i, part) in s.parts.iter().enumerate() {
            assert_eq!(part.independent, i == 0, "{}", part.uri);
        }
    }
    // Two renditions: each reports the other.
    assert_eq!(p.rendition_reports.len(), 1);
    assert_eq!(p.rendition_reports[0].uri, "../audio/index.m3u8");
}

#[test]
fn blocking_reload_answers_as_soon_as_the_part_exists() {
    let mut live = Live::new(4);
    live.run_until(Duration::from_secs(5));
    let p = live.playlist();
    let msn = p.next_media_sequence();
    let listed = p.partial_segment.as_ref().map_or(0, |s| s.parts.len()) as u32;
    // Ask for the part after the last listed one.
    let Handled::Held(id) = live.get(&format!(
        "/live/video/index.m3u8?_HLS_msn={msn}&_HLS_part={listed}"
    )) else {
        panic!("not held");
    };
    assert!(live.released.is_empty());
    let produced_before = live.parts.len();
    while live.released.is_empty() {
        live.step();
        // Not released before the part exists.
        if live.parts.len() == produced_before {
            assert!(live.released.is_empty());
        }
    }
    // Released in the very step that produced the part (or the next
    // segment's first part, when the segment ended first).
    let newest = *live.parts.last().unwrap();
    assert!(
        newest == (msn, listed) || newest == (msn + 1, 0),
        "{newest:?}"
    );
    assert_eq!(live.parts.len(), produced_before + 1);
    let (released_id, response, at) = live.released.remove(0);
    assert_eq!(released_id, id.0);
    assert_eq!(at, live.now);
    let got = parse(&response);
    assert_eq!(response.cache_control, "public, max-age=12");
    let has = got.partial_segment.as_ref().is_some_and(|s| {
        got.next_media_sequence() == newest.0 && s.parts.len() as u32 == newest.1 + 1
    }) || got.next_media_sequence() > newest.0;
    assert!(has, "{}", got.to_m3u8().unwrap());
}

#[test]
fn blocking_reload_for_a_whole_segment() {
    let mut live = Live::new(4);
    live.run_until(Duration::from_secs(3));
    let msn = live.playlist().next_media_sequence();
    let Handled::Held(_) = live.get(&format!("/live/video/index.m3u8?_HLS_msn={msn}")) else {
        panic!("not held");
    };
    while live.released.is_empty() {
        live.step();
    }
    let got = parse(&live.released[0].1);
    assert_eq!(got.next_media_sequence(), msn + 1);
}

#[test]
fn blocking_reload_times_out_with_503_after_three_target_durations() {
    let mut live = Live::new(4);
    live.run_until(Duration::from_secs(3));
    let msn = live.playlist().next_media_sequence() + 1;
    let t0 = live.now;
    let Handled::Held(id) = live.get(&format!("/live/video/index.m3u8?_HLS_msn={msn}")) else {
        panic!("not held");
    };
    let deadline = live.origin.poll_timeout().unwrap();
    assert_eq!(deadline, t0 + Duration::from_secs(6));
    live.origin
        .handle_timeout(deadline - Duration::from_nanos(1));
    assert!(live.origin.poll_released().is_none());
    live.origin.handle_timeout(deadline);
    let (got, r) = live.origin.poll_released().unwrap();
    assert_eq!(
        (got, r.status, r.cache_control.as_str()),
        (id, 503, "no-store")
    );
    assert_eq!(live.origin.poll_timeout(), None);
}

#[test]
fn hinted_part_is_held_and_released_with_its_bytes() {
    let mut live = Live::new(4);
    live.run_until(Duration::from_secs(5));
    let p = live.playlist();
    let hint = p.preload_hints[0].uri.clone();
    let Handled::Held(id) = live.get(&format!("/live/video/{hint}")) else {
        panic!("not held");
    };
    let mut produced = None;
    while live.released.is_empty() {
        let (sample, now) = live.source.next();
        live.now = live.now.max(now);
        live.packager.push(sample).unwrap();
        while let Some(event) = live.packager.poll() {
            if let PackagerEvent::Part(part) = &event
                && part.resource.name == format!("video/{hint}")
            {
                produced = Some(part.resource.body.to_bytes());
            }
            live.origin.handle_event(event, live.now);
        }
        while let Some((rid, r)) = live.origin.poll_released() {
            live.released.push((rid.0, r, live.now));
        }
    }
    let (rid, r, _) = &live.released[0];
    assert_eq!(*rid, id.0);
    match produced {
        // The hinted part came: its bytes.
        Some(bytes) => {
            assert_eq!(r.status, 200);
            assert_eq!(r.content_type, Some("video/mp4"));
            assert_eq!(r.body.to_bytes(), bytes);
        }
        // The segment ended first: the hint was withdrawn (404).
        None => assert_eq!(r.status, 404),
    }
}

#[test]
fn delta_update_merges_back_to_the_full_playlist() {
    let mut live = Live::new(20);
    live.run_until(Duration::from_secs(20));
    let previous = live.playlist();
    live.run_until(Duration::from_secs(24));
    let full = live.playlist();
    for skip in ["YES", "v2"] {
        let Handled::Response(r) = live.get(&format!("/live/video/index.m3u8?_HLS_skip={skip}"))
        else {
            panic!("held");
        };
        let delta = parse(&r);
        let skipped = delta.skip.as_ref().unwrap().skipped_segments;
        assert!(skipped > 0 && (delta.segments.len() as u64) < full.segments.len() as u64);
        assert_eq!(
            delta.media_sequence + skipped + delta.segments.len() as u64,
            full.next_media_sequence()
        );
        let merged = previous.apply_delta(&delta).unwrap();
        let uris = |p: &MediaPlaylist| p.segments.iter().map(|s| s.uri.clone()).collect::<Vec<_>>();
        assert_eq!(uris(&merged), uris(&full));
        assert_eq!(merged.segments, full.segments);
    }
}

#[test]
fn bad_requests() {
    let mut live = Live::new(4);
    live.run_until(Duration::from_secs(5));
    let next = live.playlist().next_media_sequence();
    let cases = [
        // _HLS_part without _HLS_msn.
        "/live/video/index.m3u8?_HLS_part=1".to_string(),
        // Beyond the last segment plus two.
        format!("/live/video/index.m3u8?_HLS_msn={}", next + 2),
        // Beyond the Advance Part Limit (6 parts of 0.5 s).
        format!("/live/video/index.m3u8?_HLS_msn={next}&_HLS_part=20"),
        // Malformed values.
        "/live/video/index.m3u8?_HLS_msn=abc".into(),
        "/live/video/index.m3u8?_HLS_msn=-1".into(),
        "/live/video/index.m3u8?_HLS_msn=1e3".into(),
        "/live/video/index.m3u8?_HLS_msn=".into(),
        "/live/video/index.m3u8?_HLS_msn=99999999999999999999999".into(),
        "/live/video/index.m3u8?_HLS_msn=1&_HLS_msn=2".into(),
        "/live/video/index.m3u8?_HLS_skip=NO".into(),
        // Paths that are not names.
        "/live/../video/index.m3u8".into(),
        "/live/video/../../etc/passwd".into(),
        "/live/%2e%2e/%2e%2e/etc/passwd".into(),
        "/live/video/%2E%2E/index.m3u8".into(),
        "/live//etc/passwd".into(),
        "/live/video\\..\\index.m3u8".into(),
        "/live/video/./index.m3u8".into(),
        "/live/video/index.m3u8\0".into(),
        "/../etc/passwd".into(),
        format!("/live/{}", "a/".repeat(600)),
    ];
    for target in &cases {
        let Handled::Response(r) = live.get(target) else {
            panic!("{target:?} held");
        };
        assert_eq!((target.as_str(), r.status), (target.as_str(), 400));
        assert_eq!(r.cache_control, "no-store");
    }
    for target in [
        "/live/video/seg-999.m4s",
        "/live/video/index.m3u9",
        "/etc/passwd",
        "/live/etc/passwd",
        "/video/index.m3u8",
        "/live/video",
        "/live/video/seg-0.5.m4s",
    ] {
        assert_eq!((target, status(live.get(target))), (target, 404));
    }
    // What it produced, with its content type.
    let Handled::Response(r) = live.get("/live/audio/init.mp4") else {
        panic!()
    };
    assert_eq!((r.status, r.content_type), (200, Some("audio/mp4")));
    assert_eq!(r.cache_control, "public, max-age=31536000, immutable");
    assert_eq!(status(live.get("/live/video/seg-1.m4s")), 200);
    assert_eq!(status(live.get("/live/master.m3u8")), 200);
    // Unknown query keys are ignored.
    assert_eq!(status(live.get("/live/video/seg-1.m4s?x=y&_HLS_x")), 200);
}

#[test]
fn live_window_bounds_memory_and_evicts() {
    let mut live = Live::new(4);
    live.run_until(Duration::from_secs(10));
    let mut most = 0;
    for _ in 0..20 {
        live.run_until(live.now + Duration::from_secs(10));
        most = most.max(live.origin.resource_count());
    }
    let p = live.playlist();
    assert_eq!(p.segments.len(), 4);
    assert!(p.media_sequence > 90, "{}", p.media_sequence);
    // Per rendition: the init segment, 4 segments, the parts of the last
    // segments (three target durations: at most 4 segments of 4 parts) and
    // of the current one.
    assert!(most <= 2 * (1 + 4 + 4 * 4 + 4), "{most}");
    // An evicted segment is gone.
    assert_eq!(status(live.get("/live/video/seg-1.m4s")), 404);
    assert_eq!(status(live.get("/live/video/seg-1.0.m4s")), 404);
    let last = p.media_sequence;
    assert_eq!(
        status(live.get(&format!("/live/video/seg-{last}.m4s"))),
        200
    );
}
