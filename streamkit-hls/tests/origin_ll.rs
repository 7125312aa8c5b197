//! LL-HLS on the origin, over a live package on a simulated clock:
//! blocking playlist reload answers exactly when the requested part exists,
//! hinted parts are held and released, time-outs give 503, delta updates
//! merge back to the full playlist, bad requests get 400/404, and memory
//! stays bounded by the package's window.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::{Duration, Instant};

use bytes::Bytes;
use streamkit_core::mp4::Mp4File;
use streamkit_core::package::{Package, PackageConfig, PackageEvent};
use streamkit_core::sample::Sample;
use streamkit_core::time::{MediaTime, Timescale};
use streamkit_hls::origin::HlsView;
use streamkit_hls::playlist::{MediaPlaylist, PreloadHintType};
use streamkit_hls::presentation::{Presentation, PresentationConfig};
use streamkit_origin::{
    Answer, Body, CacheControl, Origin, OriginConfig, Output, PackageSite, Request, RequestId,
    Response,
};

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
    origin: Origin<PackageSite>,
    /// The simulated clock's origin.
    t0: Instant,
    now: Duration,
    /// `(segment, part)` of every part produced, in order, per rendition 0,
    /// with its bytes.
    parts: Vec<(u64, u32, Bytes)>,
    released: Vec<(RequestId, Response, Duration)>,
}

impl Live {
    /// Playlists of `window` segments; the package keeps as many.
    fn new(window: usize) -> Live {
        let source = LoopedSource::new();
        let config = PackageConfig::new(MediaTime::new(2, Timescale::SECONDS))
            .with_part_target(MediaTime::new(500, Timescale::MILLIS))
            .with_window(window);
        let package = Package::for_mp4(&source.file, config).unwrap();
        let hls =
            HlsView::new(Presentation::new(&package, PresentationConfig::live(window)).unwrap());
        let site = PackageSite::new(package, vec![Box::new(hls)]);
        let origin = Origin::new(site, OriginConfig::default().with_base_path("/live/")).unwrap();
        #[allow(clippy::disallowed_methods)] // the origin of the simulated clock
        let t0 = Instant::now();
        Live {
            source,
            origin,
            t0,
            now: Duration::ZERO,
            parts: Vec::new(),
            released: Vec::new(),
        }
    }

    fn instant(&self) -> Instant {
        self.t0 + self.now
    }

    fn drain(&mut self) {
        while let Some(out) = self.origin.poll_output() {
            if let Output::Response { id, response } = out {
                self.released.push((id, response, self.now));
            }
        }
    }

    fn step(&mut self) {
        let (sample, now) = self.source.next();
        self.now = self.now.max(now);
        let at = self.instant();
        let parts = &mut self.parts;
        self.origin.change_site(at, |site| {
            let package = site.package_mut();
            package.push(sample).unwrap();
            while let Some(event) = package.poll_event() {
                if let PackageEvent::Part {
                    rendition: 0,
                    sequence,
                    index,
                    resource,
                } = event
                {
                    parts.push((sequence, index, resource.body.to_bytes()));
                }
            }
        });
        self.drain();
    }

    fn run_until(&mut self, t: Duration) {
        while self.now < t {
            self.step();
        }
    }

    fn get(&mut self, target: &str) -> Answer {
        let at = self.instant();
        let answer = self.origin.handle_request(at, &Request::get(target));
        self.drain();
        answer
    }

    fn playlist(&mut self) -> MediaPlaylist {
        match self.get("/live/video/index.m3u8") {
            Answer::Response(r) => parse(&r),
            Answer::Pending(_) => panic!("a plain playlist request is never held"),
        }
    }
}

fn body(r: &Response) -> Bytes {
    match &r.body {
        Body::Full(b) => b.to_bytes(),
        other => panic!("{other:?}"),
    }
}

fn parse(r: &Response) -> MediaPlaylist {
    assert_eq!(r.status, 200);
    assert_eq!(
        r.content_type.as_deref(),
        Some("application/vnd.apple.mpegurl")
    );
    MediaPlaylist::parse(&body(r)).unwrap()
}

fn status(a: Answer) -> u16 {
    match a {
        Answer::Response(r) => r.status,
        Answer::Pending(id) => panic!("held as {id}"),
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
fn caches_keep_each_answer_as_long_as_it_holds() {
    let mut live = Live::new(4);
    live.run_until(Duration::from_secs(7));
    let cache_of = |live: &mut Live, target: &str| match live.get(target) {
        Answer::Response(r) => (r.status, r.cache),
        Answer::Pending(_) => panic!("{target} held"),
    };
    // A playlist without directives changes with each 500 ms part: fresh
    // for less than that, whole seconds: 0 (revalidated every time).
    assert_eq!(
        cache_of(&mut live, "/live/video/index.m3u8"),
        (200, CacheControl::max_age(0))
    );
    // A blocking-reload answer names a fixed state, keyed by its query:
    // six target durations (2 s).
    let p = live.playlist();
    let msn = p.next_media_sequence() - 1;
    assert_eq!(
        cache_of(&mut live, &format!("/live/video/index.m3u8?_HLS_msn={msn}")),
        (200, CacheControl::max_age(12))
    );
    assert_eq!(
        cache_of(
            &mut live,
            &format!("/live/video/index.m3u8?_HLS_msn={msn}&_HLS_skip=YES")
        ),
        (200, CacheControl::max_age(12))
    );
    // Segments and parts never change under their names.
    assert_eq!(
        cache_of(&mut live, &format!("/live/video/seg-{msn}.m4s")),
        (200, CacheControl::Immutable)
    );
    assert_eq!(
        cache_of(&mut live, &format!("/live/video/seg-{msn}.0.m4s")),
        (200, CacheControl::Immutable)
    );
    // The multivariant playlist: one target duration.
    assert_eq!(
        cache_of(&mut live, "/live/master.m3u8"),
        (200, CacheControl::max_age(2))
    );
}

#[test]
fn blocking_reload_answers_as_soon_as_the_part_exists() {
    let mut live = Live::new(4);
    live.run_until(Duration::from_secs(5));
    let p = live.playlist();
    let msn = p.next_media_sequence();
    let listed = p.partial_segment.as_ref().map_or(0, |s| s.parts.len()) as u32;
    // Ask for the part after the last listed one.
    let Answer::Pending(id) = live.get(&format!(
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
    let newest = live.parts.last().map(|p| (p.0, p.1)).unwrap();
    assert!(
        newest == (msn, listed) || newest == (msn + 1, 0),
        "{newest:?}"
    );
    assert_eq!(live.parts.len(), produced_before + 1);
    let (released_id, response, at) = live.released.remove(0);
    assert_eq!(released_id, id);
    assert_eq!(at, live.now);
    let got = parse(&response);
    assert_eq!(response.cache, CacheControl::max_age(12));
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
    let Answer::Pending(_) = live.get(&format!("/live/video/index.m3u8?_HLS_msn={msn}")) else {
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
    let t0 = live.instant();
    let Answer::Pending(id) = live.get(&format!("/live/video/index.m3u8?_HLS_msn={msn}")) else {
        panic!("not held");
    };
    let deadline = live.origin.poll_timeout().unwrap();
    assert_eq!(deadline, t0 + Duration::from_secs(6));
    live.origin
        .handle_timeout(deadline - Duration::from_nanos(1));
    assert!(live.origin.poll_output().is_none());
    live.origin.handle_timeout(deadline);
    let Some(Output::Response {
        id: got,
        response: r,
    }) = live.origin.poll_output()
    else {
        panic!("no answer at the deadline")
    };
    assert_eq!((got, r.status, r.cache), (id, 503, CacheControl::NoStore));
    assert_eq!(live.origin.poll_timeout(), None);
}

#[test]
fn hinted_part_is_held_and_released_with_its_bytes() {
    let mut live = Live::new(4);
    live.run_until(Duration::from_secs(5));
    let p = live.playlist();
    let hint = p.preload_hints[0].uri.clone();
    let Answer::Pending(id) = live.get(&format!("/live/video/{hint}")) else {
        panic!("not held");
    };
    let before = live.parts.len();
    while live.released.is_empty() {
        live.step();
    }
    let produced = live.parts[before..]
        .iter()
        .find(|(seq, index, _)| format!("seg-{seq}.{index}.m4s") == hint)
        .map(|p| p.2.clone());
    let (rid, r, _) = &live.released[0];
    assert_eq!(*rid, id);
    match produced {
        // The hinted part came: its bytes.
        Some(bytes) => {
            assert_eq!(r.status, 200);
            assert_eq!(r.content_type.as_deref(), Some("video/mp4"));
            assert_eq!(body(r), bytes);
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
        let Answer::Response(r) = live.get(&format!("/live/video/index.m3u8?_HLS_skip={skip}"))
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
    ];
    for target in &cases {
        let Answer::Response(r) = live.get(target) else {
            panic!("{target:?} held");
        };
        assert_eq!((target.as_str(), r.status), (target.as_str(), 400));
        assert_eq!(r.cache, CacheControl::NoStore);
    }
    // A target longer than the path policy allows: 414 URI Too Long.
    assert_eq!(
        status(live.get(&format!("/live/{}", "a/".repeat(600)))),
        414
    );
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
    let Answer::Response(r) = live.get("/live/audio/init.mp4") else {
        panic!()
    };
    assert_eq!(
        (r.status, r.content_type.as_deref()),
        (200, Some("audio/mp4"))
    );
    assert_eq!(r.cache, CacheControl::Immutable);
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
        most = most.max(live.origin.site().package().resources().count());
    }
    let p = live.playlist();
    assert_eq!(p.segments.len(), 4);
    assert!(p.media_sequence > 90, "{}", p.media_sequence);
    // Per rendition: the init segment and the 4 segments kept, each with
    // its 4 parts (the open segment is not counted: its parts are the
    // bytes it will have).
    assert!(most <= 2 * (1 + 4 * (1 + 4)), "{most}");
    // An evicted segment is gone.
    assert_eq!(status(live.get("/live/video/seg-1.m4s")), 404);
    assert_eq!(status(live.get("/live/video/seg-1.0.m4s")), 404);
    let last = p.media_sequence;
    assert_eq!(
        status(live.get(&format!("/live/video/seg-{last}.m4s"))),
        200
    );
}
