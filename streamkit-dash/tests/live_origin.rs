//! Live DASH on the origin, over a live package on a simulated clock: a
//! `Package` (2 s segments, 500 ms parts, a window, a wall clock) on a
//! `PackageSite` with a `DashView`, served by `streamkit_origin::Origin`.
//!
//! - A request for a segment the package will make next (the one being
//!   made, or the one after) is held and answered in the very step that
//!   makes its first part; one further ahead, or of a finished stream, is
//!   `404` at once; a held request nobody answers is `404` after two target
//!   durations. (This replaces the old origin's rule, `404` until the
//!   segment's availability time: a client a little early now gets the
//!   segment, not a `404` it would retry on.)
//! - A segment being made is a chunked body that yields each part in the
//!   step that makes it, byte for byte the segment the package completes;
//!   one that never completes is cut off at the stream deadline.
//! - The MPD (a SegmentTimeline of the real segment durations from
//!   `@startNumber`, not `$Number$` with a fixed `@duration`) is rewritten
//!   as segments come, every segment it lists at `now` is served, the
//!   window slides with memory bounded by the package's window, and what
//!   left it is `404`.
//! - Paths that are not names are refused.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::{Duration, Instant};

use bytes::Bytes;
use streamkit_core::clock::{UnixTime, WallClock};
use streamkit_core::mp4::Mp4File;
use streamkit_core::package::{Package, PackageConfig, PackageEvent};
use streamkit_core::sample::Sample;
use streamkit_core::time::{MediaTime, Timescale};
use streamkit_dash::mpd;
use streamkit_dash::origin::DashView;
use streamkit_dash::presentation::{Presentation, PresentationConfig};
use streamkit_dash::resolve::resolve;
use streamkit_origin::{
    Answer, Body, CacheControl, Origin, OriginConfig, Output, PackageSite, Request, RequestId,
    Response,
};

/// The wall-clock time of media time zero: 2027-01-15T08:00:00Z.
const AST_MS: i64 = 1_800_000_000_000;

fn fixture() -> Mp4File {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../tests/fixtures/h264_aac.mp4"
    );
    Mp4File::parse(Bytes::from(std::fs::read(path).unwrap())).unwrap()
}

fn ms(ms: i64) -> MediaTime {
    MediaTime::new(ms, Timescale::MILLIS)
}

/// The fixture looped: loop `k` shifted by `k * 10 s`; audio frames running
/// past 10 s left out so loops do not overlap.
struct LoopedSource {
    samples: Vec<Sample>,
    next: usize,
    round: i64,
}

impl LoopedSource {
    fn new(file: &Mp4File) -> LoopedSource {
        let samples = file
            .samples()
            .filter(|s| s.end_dts() <= 10 * i64::from(s.timescale.hz()))
            .collect();
        LoopedSource {
            samples,
            next: 0,
            round: 0,
        }
    }

    /// The next sample and when a real-time source has it whole (its end
    /// time).
    fn next(&mut self) -> (Sample, Duration) {
        let mut s = self.samples[self.next].clone();
        s.dts += self.round * 10 * i64::from(s.timescale.hz());
        self.next += 1;
        if self.next == self.samples.len() {
            self.next = 0;
            self.round += 1;
        }
        let end = MediaTime::new(s.end_dts(), s.timescale)
            .to_duration()
            .unwrap();
        (s, end)
    }
}

/// What came out of the origin for pending requests, with the simulated
/// time.
#[derive(Debug)]
struct Released {
    at: Duration,
    output: Output,
}

struct Live {
    source: LoopedSource,
    origin: Origin<PackageSite>,
    /// The instant of media time zero; the simulated clock runs from it.
    t0: Instant,
    now: Duration,
    /// Every package event, with the simulated time it came at.
    events: Vec<(Duration, PackageEvent)>,
    released: Vec<Released>,
}

/// `live` with the target latency of 1.5 s (low latency), or without.
fn presentation(low_latency: bool) -> PresentationConfig {
    let config = PresentationConfig::live(Duration::from_secs(2));
    if low_latency {
        config.with_low_latency(Duration::from_millis(1500))
    } else {
        config
    }
}

impl Live {
    fn new(window: usize, dash: PresentationConfig) -> Live {
        let file = fixture();
        let config = PackageConfig::new(ms(2000))
            .with_part_target(ms(500))
            .with_window(window);
        let mut package = Package::for_mp4(&file, config).unwrap();
        let ast = UnixTime::from_unix_millis(AST_MS);
        package.set_wall_clock(MediaTime::zero(package.reference_timescale()), ast);
        #[allow(clippy::disallowed_methods)] // the origin of the simulated clock
        let t0 = Instant::now();
        let view = DashView::new(Presentation::new(&package, dash).unwrap())
            .with_wall_clock(WallClock::new(t0, ast));
        let site = PackageSite::new(package, vec![Box::new(view)]);
        let origin = Origin::new(site, OriginConfig::default().with_base_path("/live/")).unwrap();
        Live {
            source: LoopedSource::new(&file),
            origin,
            t0,
            now: Duration::ZERO,
            events: Vec::new(),
            released: Vec::new(),
        }
    }

    fn instant(&self) -> Instant {
        self.t0 + self.now
    }

    fn package(&self) -> &Package {
        self.origin.site().package()
    }

    fn drain(&mut self) {
        while let Some(output) = self.origin.poll_output() {
            self.released.push(Released {
                at: self.now,
                output,
            });
        }
    }

    /// Pushes the next sample at the time the source has it, and returns
    /// the package events it made.
    fn step(&mut self) -> Vec<PackageEvent> {
        let (sample, end) = self.source.next();
        self.now = self.now.max(end);
        let at = self.instant();
        let made = self.origin.change_site(at, |site| {
            let package = site.package_mut();
            package.push(sample).unwrap();
            std::iter::from_fn(|| package.poll_event()).collect::<Vec<_>>()
        });
        self.events
            .extend(made.iter().map(|e| (self.now, e.clone())));
        self.drain();
        made
    }

    fn run_until(&mut self, t: Duration) {
        while self.now < t {
            self.step();
        }
    }

    /// Steps until the package reports what `want` matches.
    fn run_until_event(&mut self, want: impl Fn(&PackageEvent) -> bool) {
        while !self.step().iter().any(&want) {}
    }

    fn get(&mut self, target: &str) -> Answer {
        let at = self.instant();
        let answer = self.origin.handle_request(at, &Request::get(target));
        self.drain();
        answer
    }

    fn response(&mut self, target: &str) -> Response {
        match self.get(target) {
            Answer::Response(r) => r,
            Answer::Pending(id) => panic!("{target} held as {id}"),
        }
    }

    /// The outputs released for `id`, in order.
    fn outputs_of(&self, id: RequestId) -> Vec<&Released> {
        self.released
            .iter()
            .filter(|r| r.output.id() == id)
            .collect()
    }
}

fn full(r: &Response) -> Bytes {
    assert_eq!(r.status, 200, "{r:?}");
    match &r.body {
        Body::Full(b) => b.to_bytes(),
        other => panic!("a whole body expected, got {other:?}"),
    }
}

fn is_part(rendition: usize, sequence: u64, index: u32) -> impl Fn(&PackageEvent) -> bool {
    move |e| {
        matches!(e, PackageEvent::Part { rendition: r, sequence: s, index: i, .. }
            if *r == rendition && *s == sequence && *i == index)
    }
}

#[test]
fn early_requests_for_the_next_segment_are_held_until_it_exists() {
    let mut live = Live::new(8, presentation(true));
    // At 5 s: segments 0 and 1 complete, segment 2 being made.
    live.run_until(Duration::from_secs(5));
    assert_eq!(live.package().next_sequence(), 2);
    assert_eq!(live.package().open_segment().map(|o| o.sequence), Some(2));
    // The segment being made is streamed; the next one is held.
    let Answer::Pending(open) = live.get("/live/video/seg-2.m4s") else {
        panic!("the open segment is streamed")
    };
    let Some(Released {
        output: Output::Response { response, .. },
        ..
    }) = live.outputs_of(open).first()
    else {
        panic!("no head for the open segment")
    };
    assert_eq!((response.status, &response.body), (200, &Body::Chunked));
    let Answer::Pending(video) = live.get("/live/video/seg-3.m4s") else {
        panic!("the next segment is held")
    };
    let Answer::Pending(audio) = live.get("/live/audio/seg-3.m4s") else {
        panic!("the next segment is held")
    };
    assert!(live.outputs_of(video).is_empty());
    // Further ahead: 404 at once, and nothing is held for it.
    let held = live.origin.held_count();
    for target in ["/live/video/seg-4.m4s", "/live/audio/seg-9.m4s"] {
        assert_eq!(live.response(target).status, 404, "{target}");
    }
    assert_eq!(live.origin.held_count(), held);
    // Held until the step that makes segment 3's first part: then its
    // head, and that part as the first chunk.
    live.run_until_event(is_part(0, 3, 0));
    let made_at = live.now;
    assert!(made_at >= Duration::from_millis(6500), "{made_at:?}");
    let outputs = live.outputs_of(video);
    let Output::Response { response, .. } = &outputs[0].output else {
        panic!("{outputs:?}")
    };
    assert_eq!(outputs[0].at, made_at, "released in the step that made it");
    assert_eq!(
        (
            response.status,
            response.content_type.as_deref(),
            &response.body
        ),
        (200, Some("video/mp4"), &Body::Chunked)
    );
    let Output::Chunk { chunk, .. } = &outputs[1].output else {
        panic!("{outputs:?}")
    };
    assert_eq!(chunk.to_bytes().get(4..8), Some(&b"moof"[..]));
    // Audio: released once its first part of segment 3 exists too.
    live.run_until(made_at + Duration::from_millis(100));
    assert!(matches!(
        live.outputs_of(audio).first().map(|r| &r.output),
        Some(Output::Response { response, .. }) if response.status == 200
    ));
    // Held for at most two target durations: a segment that does not come
    // (the encoder stops) is 404 then.
    let mut stopped = Live::new(8, presentation(true));
    stopped.run_until(Duration::from_secs(5));
    let at = stopped.instant();
    let Answer::Pending(id) = stopped.get("/live/video/seg-3.m4s") else {
        panic!("held")
    };
    assert_eq!(
        stopped.origin.poll_timeout(),
        Some(at + Duration::from_secs(4))
    );
    stopped
        .origin
        .handle_timeout(at + Duration::from_secs(4) - Duration::from_nanos(1));
    stopped.drain();
    assert!(stopped.outputs_of(id).is_empty());
    stopped.origin.handle_timeout(at + Duration::from_secs(4));
    stopped.drain();
    assert!(matches!(
        stopped.outputs_of(id).first().map(|r| &r.output),
        Some(Output::Response { response, .. }) if response.status == 404
    ));
    // A finished stream makes nothing more: 404 at once.
    stopped
        .origin
        .change_site(at, |site| site.package_mut().finish().unwrap());
    let next = stopped.package().next_sequence();
    assert_eq!(
        stopped
            .response(&format!("/live/video/seg-{next}.m4s"))
            .status,
        404
    );
}

#[test]
fn a_segment_being_made_is_a_chunked_body_yielding_each_part_as_it_completes() {
    for (rendition, name) in [(0, "video"), (1, "audio")] {
        let mut live = Live::new(8, presentation(true));
        // Segment 1 is available to a low-latency client once its first
        // part is made.
        live.run_until_event(is_part(rendition, 1, 0));
        let Answer::Pending(id) = live.get(&format!("/live/{name}/seg-1.m4s")) else {
            panic!("not streamed")
        };
        while !live
            .outputs_of(id)
            .iter()
            .any(|r| matches!(r.output, Output::End { .. }))
        {
            live.step();
        }
        let outputs = live.outputs_of(id);
        let Output::Response { response, .. } = &outputs[0].output else {
            panic!("{outputs:?}")
        };
        assert_eq!(response.status, 200);
        assert_eq!(response.body, Body::Chunked);
        assert_eq!(response.cache, CacheControl::max_age(60));
        let chunks: Vec<(Duration, Bytes)> = outputs
            .iter()
            .filter_map(|r| match &r.output {
                Output::Chunk { chunk, .. } => Some((r.at, chunk.to_bytes())),
                _ => None,
            })
            .collect();
        // The parts the package made of segment 1, with when it made them.
        let parts: Vec<(Duration, Bytes)> = live
            .events
            .iter()
            .filter_map(|(at, e)| match e {
                PackageEvent::Part {
                    rendition: r,
                    sequence: 1,
                    resource,
                    ..
                } if *r == rendition => Some((*at, resource.body.to_bytes())),
                _ => None,
            })
            .collect();
        // One chunk per 0.5 s part, each a moof + mdat, sent in the step
        // that made the part (the last with the segment's end, when the
        // next keyframe arrives).
        assert_eq!(parts.len(), 4, "{name}");
        assert_eq!(chunks, parts, "{name}");
        for (i, (at, chunk)) in chunks.iter().enumerate() {
            assert_eq!(chunk.get(4..8), Some(&b"moof"[..]), "{name} chunk {i}");
            let due = Duration::from_millis(2500 + 500 * i as u64);
            assert!(
                *at >= due && *at < due + Duration::from_millis(100),
                "{name} chunk {i} at {at:?}"
            );
        }
        let end_at = outputs.last().unwrap().at;
        // The complete segment: the chunks end to end, as the package
        // reported it, immutable.
        let segment = live
            .events
            .iter()
            .find_map(|(_, e)| match e {
                PackageEvent::Segment {
                    rendition: r,
                    sequence: 1,
                    resource,
                } if *r == rendition => Some(resource.body.to_bytes()),
                _ => None,
            })
            .unwrap();
        let r = live.response(&format!("/live/{name}/seg-1.m4s"));
        assert_eq!(r.cache, CacheControl::Immutable);
        let whole = full(&r);
        let joined: Vec<u8> = chunks.iter().flat_map(|c| c.1.iter().copied()).collect();
        assert_eq!(&whole[..], &joined[..], "{name}");
        assert_eq!(whole, segment, "{name}");
        assert!(end_at >= Duration::from_secs(4), "{end_at:?}");
        assert_eq!(live.origin.pending_count(), 0);
    }
}

#[test]
fn a_stream_whose_segment_never_completes_is_aborted_at_its_deadline() {
    let mut live = Live::new(8, presentation(true));
    live.run_until_event(is_part(0, 2, 0));
    let at = live.instant();
    let Answer::Pending(id) = live.get("/live/video/seg-2.m4s") else {
        panic!("not streamed")
    };
    // The encoder stops: no part comes. The stream is cut off at the
    // site's stream deadline (30 s after the request), not before.
    let deadline = at + Duration::from_secs(30);
    assert_eq!(live.origin.poll_timeout(), Some(deadline));
    live.origin
        .handle_timeout(deadline - Duration::from_nanos(1));
    live.drain();
    assert!(
        !live
            .outputs_of(id)
            .iter()
            .any(|r| matches!(r.output, Output::Abort { .. } | Output::End { .. }))
    );
    live.origin.handle_timeout(deadline);
    live.drain();
    let outputs = live.outputs_of(id);
    assert!(matches!(outputs[0].output, Output::Response { .. }));
    assert!(matches!(outputs[1].output, Output::Chunk { .. }));
    assert!(matches!(
        outputs.last().unwrap().output,
        Output::Abort { .. }
    ));
    assert_eq!(
        (live.origin.pending_count(), live.origin.poll_timeout()),
        (0, None)
    );
}

#[test]
fn the_mpd_is_updated_and_the_window_slides_with_bounded_memory() {
    let window = 6;
    let mut live = Live::new(window, presentation(true));
    let mut publish_times = Vec::new();
    let mut most_resources = 0;
    let mut last_etag = None;
    let mut mpds = 0;
    while live.now < Duration::from_secs(60) {
        let made = live.step();
        most_resources = most_resources.max(live.package().resources().count());
        // Check the MPD when a segment is complete, and when the next one
        // is listed (its first part is made).
        let listed = made.iter().find_map(|e| match e {
            PackageEvent::Segment {
                rendition: 0,
                sequence,
                ..
            } => Some((sequence + 1).min(window as u64)),
            PackageEvent::Part {
                rendition: 0,
                sequence,
                index: 0,
                ..
            } if *sequence > 0 => Some(sequence.min(&(window as u64)) + 1),
            _ => None,
        });
        let Some(listed) = listed else {
            continue;
        };
        mpds += 1;
        let r = live.response("/live/manifest.mpd");
        assert_eq!(r.content_type.as_deref(), Some("application/dash+xml"));
        assert_eq!(r.cache, CacheControl::NoCache);
        let etag = r.etag.clone().unwrap();
        // Revalidated: 304 while the package is unchanged.
        let tag = etag.to_string();
        let at = live.instant();
        let Answer::Response(again) = live.origin.handle_request(
            at,
            &Request::get("/live/manifest.mpd").header("If-None-Match", tag.as_bytes()),
        ) else {
            panic!("held")
        };
        assert_eq!(again.status, 304);
        assert_ne!(last_etag.replace(etag.clone()), Some(etag));
        let text = String::from_utf8(full(&r).to_vec()).unwrap();
        let parsed = mpd::parse(&text).unwrap();
        publish_times.push(parsed.publishTime.unwrap());
        let now = UnixTime::from_unix_millis(AST_MS)
            .checked_add(live.now)
            .unwrap()
            .since_epoch();
        // What the resolver lists at `now` the origin serves: the segments
        // that end within the 12 s time-shift buffer (6 here), and the one
        // being made once its first part exists.
        for (set, rendition) in [(0, "video"), (1, "audio")] {
            let rep = resolve(
                &parsed,
                "http://origin/live/manifest.mpd",
                0,
                set,
                0,
                Some(now),
            )
            .unwrap();
            let segments: Vec<_> = rep.segments().map(|s| s.unwrap()).collect();
            assert_eq!(
                segments.len() as u64,
                listed,
                "{rendition} at {:?}",
                live.now
            );
            for s in segments {
                let path = s.url.strip_prefix("http://origin").unwrap().to_owned();
                assert_eq!(path, format!("/live/{rendition}/seg-{}.m4s", s.number));
                let complete = live
                    .package()
                    .segment(s.number)
                    .is_some_and(|seg| !seg.renditions[set].is_empty());
                match live.get(&path) {
                    Answer::Response(r) => {
                        assert!(complete, "{path}");
                        assert_eq!(r.status, 200, "{path} at {:?}", live.now);
                    }
                    Answer::Pending(id) => {
                        // The segment being made (listed in low latency).
                        assert!(!complete, "{path}");
                        let open = live.package().open_segment().map(|o| o.sequence);
                        assert_eq!(open, Some(s.number));
                        let head = live.outputs_of(id);
                        assert!(matches!(
                            head.first().map(|r| &r.output),
                            Some(Output::Response { response, .. }) if response.status == 200
                        ));
                        live.origin.cancel(id);
                    }
                }
            }
            // The timeline is the package's: the real segment durations,
            // numbered from @startNumber.
            let template = parsed.periods[0].adaptations[set].representations[0]
                .SegmentTemplate
                .clone()
                .unwrap();
            let first = live.package().segments().front().unwrap().sequence;
            let start = template.startNumber.unwrap();
            assert!(start >= first, "{start} listed, {first} kept");
            let kept = live.package().segment(start).unwrap();
            let (tfdt, _) = kept.renditions[set].decode_time.unwrap();
            let timeline = template.SegmentTimeline.unwrap();
            assert_eq!(timeline.segments[0].t, Some(tfdt));
        }
    }
    // 60 s of media: segments 0..=28 complete (29 ends with the loop) and
    // 1..=29 started, one MPD each, publishTime rising.
    assert_eq!((mpds, publish_times.len()), (58, 58));
    assert!(publish_times.windows(2).all(|w| w[0] < w[1]));
    // Memory: per rendition the init segment and the window's segments,
    // each with its 4 parts (the open segment's parts are the bytes it will
    // have, not counted).
    assert!(
        most_resources <= 2 * (1 + window * (1 + 4)),
        "{most_resources}"
    );
    assert_eq!(live.package().segments().len(), window);
    // Evicted: 404; kept: 200.
    let first = live.package().segments().front().unwrap().sequence;
    assert_eq!(first, 29 - window as u64);
    assert_eq!(
        live.response(&format!("/live/video/seg-{}.m4s", first - 1))
            .status,
        404
    );
    assert_eq!(
        live.response(&format!("/live/video/seg-{first}.m4s"))
            .status,
        200
    );
    assert_eq!(live.origin.pending_count(), 0);
    // The last MPD, in full.
    let r = live.response("/live/manifest.mpd");
    let text = String::from_utf8(full(&r).to_vec()).unwrap();
    let root_end = text.find('>').unwrap();
    let root = &text[text.find("<MPD").unwrap()..];
    let root = &root[..root.find('>').unwrap() + 1];
    // GStreamer's type finder looks for the MPD start tag in the first
    // 512 bytes; only the MPD namespace is declared.
    assert!(text.find("<MPD").unwrap() + root.len() <= 512, "{root}");
    assert!(root_end < 512);
    assert!(!root.contains("xmlns:"), "{root}");
    let m = mpd::parse(&text).unwrap();
    assert_eq!(m.mpdtype.as_deref(), Some("dynamic"));
    assert_eq!(m.availabilityStartTime.unwrap().timestamp_millis(), AST_MS);
    assert_eq!(m.minimumUpdatePeriod, Some(Duration::from_millis(500)));
    assert_eq!(m.timeShiftBufferDepth, Some(Duration::from_secs(12)));
    assert_eq!(
        m.suggestedPresentationDelay,
        Some(Duration::from_millis(1500))
    );
    assert_eq!(
        m.UTCTiming[0].schemeIdUri,
        "urn:mpeg:dash:utc:http-iso:2014"
    );
    assert_eq!(m.UTCTiming[0].value.as_deref(), Some("time"));
    assert!(m.profiles.as_deref().unwrap().contains("low-latency"));
    let latency = &m.ServiceDescription[0].Latency[0];
    assert_eq!(
        (latency.target, latency.min, latency.max),
        (Some(1500.0), Some(750.0), Some(3000.0))
    );
    let open = live.package().open_segment().unwrap().sequence;
    for (set, timescale) in [(0, 15360), (1, 44100)] {
        let a = &m.periods[0].adaptations[set];
        let t = a.representations[0].SegmentTemplate.as_ref().unwrap();
        assert_eq!(
            t.media.as_deref(),
            Some("$RepresentationID$/seg-$Number$.m4s")
        );
        assert_eq!(
            t.initialization.as_deref(),
            Some("$RepresentationID$/init.mp4")
        );
        assert_eq!(t.timescale, Some(timescale));
        assert_eq!(t.duration, None, "no fixed @duration");
        assert_eq!(
            (t.availabilityTimeOffset, t.availabilityTimeComplete),
            (Some(1.5), Some(false))
        );
        // Listed: the segments ending within the 12 s time-shift buffer,
        // then the one being made at the target duration.
        let timeline = t.SegmentTimeline.as_ref().unwrap();
        let count: u64 = timeline
            .segments
            .iter()
            .map(|s| 1 + s.r.unwrap_or(0).max(0) as u64)
            .sum();
        assert_eq!(t.startNumber.unwrap() + count, open + 1, "set {set}");
        let prt = &a.ProducerReferenceTime[0];
        assert_eq!(prt.presentationTime, Some(0));
        assert_eq!(prt.wallClockTime.unwrap().timestamp_millis(), AST_MS);
    }
    // The video timeline holds each segment's real duration: 2 s here
    // (a keyframe every 2 s at 15360 Hz).
    let video = m.periods[0].adaptations[0].representations[0]
        .SegmentTemplate
        .as_ref()
        .unwrap();
    let s = &video.SegmentTimeline.as_ref().unwrap().segments;
    assert_eq!((s.len(), s[0].d), (1, 30720));
    // The time for UTCTiming, from the view's wall clock.
    live.now = Duration::from_millis(1234);
    let r = live.response("/live/time");
    assert_eq!(r.cache, CacheControl::NoStore);
    assert_eq!(&full(&r)[..], b"2027-01-15T08:00:01.234Z");
}

#[test]
fn paths_that_are_not_names_are_refused() {
    let file = fixture();
    let mut package = Package::for_mp4(&file, PackageConfig::new(ms(2000))).unwrap();
    for s in file.samples() {
        package.push(s).unwrap();
    }
    package.finish().unwrap();
    let view = DashView::new(Presentation::new(&package, PresentationConfig::vod()).unwrap());
    let site = PackageSite::new(package, vec![Box::new(view)]);
    let mut origin = Origin::new(site, OriginConfig::default().with_base_path("/vod/")).unwrap();
    #[allow(clippy::disallowed_methods)] // any instant: nothing here depends on time
    let now = Instant::now();
    let mut get = |target: &str| match origin.handle_request(now, &Request::get(target)) {
        Answer::Response(r) => r,
        Answer::Pending(id) => panic!("{target} held as {id}"),
    };
    let r = get("/vod/manifest.mpd");
    assert_eq!(r.content_type.as_deref(), Some("application/dash+xml"));
    assert_eq!(r.cache, CacheControl::max_age(60));
    assert!(r.etag.is_some());
    assert!(
        String::from_utf8(full(&r).to_vec())
            .unwrap()
            .contains(r#"type="static""#)
    );
    let r = get("/vod/audio/seg-4.m4s?x=1");
    assert_eq!(r.cache, CacheControl::Immutable);
    assert_eq!(full(&r).get(4..8), Some(&b"moof"[..]));
    for target in [
        "/vod/../vod/manifest.mpd",
        "/vod/video/../manifest.mpd",
        "/vod/./manifest.mpd",
        "/vod//manifest.mpd",
        "/vod/%2e%2e/manifest.mpd",
        "/vod/manifest%2empd",
        "/vod/video\\init.mp4",
        "/vod/manifest.mpd\0",
        "/vod/video/\x7finit.mp4",
    ] {
        let r = get(target);
        assert_eq!(
            (r.status, r.cache),
            (400, CacheControl::NoStore),
            "{target:?}"
        );
    }
    assert_eq!(get(&format!("/vod/{}", "a/".repeat(600))).status, 414);
    for target in [
        "/manifest.mpd",
        "/vod/etc/passwd",
        "/vod/video/seg-5.m4s",
        "/vod/video/seg-05.m4s",
        "/vod/MANIFEST.MPD",
        "/vod",
        // A static presentation serves no time and holds nothing.
        "/vod/time",
    ] {
        let r = get(target);
        assert_eq!(r.status, 404, "{target:?}");
        assert_eq!(r.body, Body::empty(), "{target:?}");
    }
}

mod arbitrary_requests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        /// Any target on a live channel is answered 200 only for the MPD,
        /// the time or a resource the package holds, held only for a
        /// segment the package makes next, refused (400, 414) or 404
        /// otherwise; never a panic.
        #[test]
        fn any_target_is_a_name_held_or_refused(target in "(/live/)?((video|audio)/)?[a-z0-9./%\\\\\\x00-\\x1f$-]{0,24}(\\?.{0,8})?") {
            let mut live = Live::new(4, presentation(true));
            live.run_until(Duration::from_millis(4700));
            let path = target.split('?').next().unwrap_or("").to_owned();
            let name = path.strip_prefix("/live/").unwrap_or("");
            let next = live.package().next_sequence();
            let due = [next, next + 1].iter().any(|n| {
                name == format!("video/seg-{n}.m4s") || name == format!("audio/seg-{n}.m4s")
            });
            match live.get(&target) {
                Answer::Response(r) => match r.status {
                    200 => prop_assert!(
                        name == "manifest.mpd" || name == "time" || live.package().resource(name).is_some_and(|r| r.complete),
                        "{:?}", target
                    ),
                    404 => prop_assert_eq!(r.body, Body::empty()),
                    400 | 414 => prop_assert_eq!(r.cache, CacheControl::NoStore),
                    s => prop_assert!(false, "status {} for {:?}", s, target),
                },
                Answer::Pending(_) => prop_assert!(
                    due || live.package().resource(name).is_some_and(|r| !r.complete),
                    "{:?} held", target
                ),
            }
        }
    }
}
