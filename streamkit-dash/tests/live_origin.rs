//! The origin behind the live packager on a simulated clock: segments are
//! 404 until their availability time, a low-latency segment being produced
//! is a chunked body that yields each part as it completes, the MPD is
//! updated as segments complete and the window slides with bounded memory,
//! and paths that are not names are refused.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::Duration;

use bytes::Bytes;
use streamkit_core::buffer::BufferList;
use streamkit_core::mp4::Mp4File;
use streamkit_core::sample::Sample;
use streamkit_core::time::{MediaTime, Timescale};
use streamkit_dash::live::{LiveEvent, LivePackager, LivePackagerConfig};
use streamkit_dash::mpd;
use streamkit_dash::origin::{Body, ChunkEvent, Origin, OriginConfig, Request, Response};
use streamkit_dash::packager::{VodPackager, VodPackagerConfig};
use streamkit_dash::resolve::resolve;

const AST: Duration = Duration::from_secs(1_800_000_000);

fn fixture() -> Mp4File {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../tests/fixtures/h264_aac.mp4"
    );
    Mp4File::parse(Bytes::from(std::fs::read(path).unwrap())).unwrap()
}

/// The fixture's samples looped `rounds` times (each loop shifted by 10 s;
/// audio frames running past 10 s left out so loops do not overlap).
fn looped(file: &Mp4File, rounds: i64) -> Vec<Sample> {
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

/// The wall-clock time at which a real-time source has `sample`.
fn arrival(sample: &Sample) -> Duration {
    let end = MediaTime::new(sample.end_dts(), sample.timescale);
    AST + end.to_duration().unwrap_or_default()
}

fn ll_config() -> LivePackagerConfig {
    LivePackagerConfig::new(MediaTime::new(2, Timescale::SECONDS), AST)
        .with_low_latency(
            MediaTime::new(500, Timescale::MILLIS),
            Duration::from_millis(1500),
        )
        .with_time_shift_buffer_depth(Duration::from_secs(6))
}

fn get(origin: &mut Origin, path: &str, now: Duration) -> Response {
    origin.handle_request(&Request::from_target(path), now)
}

fn full(r: &Response) -> Bytes {
    assert_eq!(r.status, 200);
    match &r.body {
        Body::Full(b) => b.to_bytes(),
        Body::Chunked(_) => panic!("a whole body expected"),
    }
}

fn feed(origin: &mut Origin, packager: &mut LivePackager, now: Duration) -> Vec<LiveEvent> {
    let mut seen = Vec::new();
    while let Some(e) = packager.poll() {
        seen.push(e.clone());
        origin.handle_live_event(e, now);
    }
    seen
}

#[test]
fn segments_are_404_until_their_availability_time() {
    // Without low latency, pushed faster than real time (all at AST): the
    // packager is ahead of the clock, the origin holds segments back.
    let file = fixture();
    let config = LivePackagerConfig::new(MediaTime::new(2, Timescale::SECONDS), AST);
    let mut packager = LivePackager::for_mp4(&file, config).unwrap();
    let mut origin = Origin::new(OriginConfig::default().with_base_path("/live/"));
    for s in looped(&file, 1) {
        packager.push(s, AST).unwrap();
        feed(&mut origin, &mut packager, AST);
    }
    // Segments 0..=3 are complete (4 has no successor yet).
    let ms = Duration::from_millis;
    for k in 0..4u64 {
        let available = AST + Duration::from_secs(2 * (k + 1));
        for rendition in ["video", "audio"] {
            let path = format!("/live/{rendition}/seg-{k}.m4s");
            assert_eq!(
                get(&mut origin, &path, available - ms(1)).status,
                404,
                "{path}"
            );
            let r = get(&mut origin, &path, available);
            assert_eq!(
                r.content_type,
                Some(if rendition == "video" {
                    "video/mp4"
                } else {
                    "audio/mp4"
                })
            );
            assert_eq!(r.cache_control, "public, max-age=60");
            assert!(full(&r).len() > 100, "{path}");
        }
    }
    // Init segments at once; names never produced: 404.
    assert_eq!(
        full(&get(&mut origin, "/live/video/init.mp4", AST)).get(4..8),
        Some(&b"ftyp"[..])
    );
    for path in [
        "/live/video/seg-9.m4s",
        "/live/video/seg-00.m4s",
        "/live/x",
        "/other/manifest.mpd",
        "/live/",
    ] {
        assert_eq!(
            get(&mut origin, path, AST + Duration::from_secs(99)).status,
            404,
            "{path}"
        );
    }
}

#[test]
fn a_segment_being_produced_is_a_chunked_body_yielding_each_part_as_it_completes() {
    let file = fixture();
    let mut packager = LivePackager::for_mp4(&file, ll_config()).unwrap();
    let mut origin = Origin::new(OriginConfig::default().with_base_path("/live/"));
    let mut stream = None;
    // (arrival time, bytes) of the chunks the client got.
    let mut received: Vec<(Duration, Bytes)> = Vec::new();
    let mut ended = None;
    for s in looped(&file, 1) {
        let now = arrival(&s);
        packager.push(s, now).unwrap();
        let events = feed(&mut origin, &mut packager, now);
        if stream.is_none()
            && events.iter().any(|e| matches!(e, LiveEvent::SegmentStarted { name, .. } if name == "video/seg-1.m4s"))
        {
            let r = get(&mut origin, "/live/video/seg-1.m4s", now);
            assert_eq!((r.status, r.content_type), (200, Some("video/mp4")));
            let Body::Chunked(id) = r.body else { panic!("chunked expected, got {r:?}") };
            stream = Some(id);
            // Available after its first part: 2.5 s.
            assert!(now >= AST + Duration::from_millis(2500));
        }
        let Some(id) = stream else { continue };
        while let Some(ready) = origin.poll_ready() {
            assert_eq!(ready, id);
        }
        loop {
            match origin.poll_chunk(id) {
                Some(ChunkEvent::Data(d)) => received.push((now, d.to_bytes())),
                Some(ChunkEvent::End) => {
                    ended = Some(now);
                    break;
                }
                Some(e) => panic!("{e:?}"),
                None => break,
            }
        }
        if ended.is_some() {
            break;
        }
    }
    // One chunk per 0.5 s part (15 frames at 30 fps), each a moof + mdat,
    // delivered as its part completed: 2.5, 3.0, 3.5 and 4.0 s (the last
    // with the segment's end, when the next keyframe arrives).
    assert_eq!(
        received.len(),
        4,
        "{:?}",
        received.iter().map(|r| r.0).collect::<Vec<_>>()
    );
    for (i, (at, chunk)) in received.iter().enumerate() {
        assert_eq!(&chunk[4..8], b"moof", "chunk {i}");
        let expect = AST + Duration::from_millis(2500 + 500 * i as u64);
        assert!(
            *at >= expect && *at < expect + Duration::from_millis(100),
            "chunk {i} at {at:?}"
        );
    }
    assert!(ended.is_some());
    // The whole segment, asked for afterwards, is the chunks end to end.
    let whole = full(&get(&mut origin, "/live/video/seg-1.m4s", ended.unwrap()));
    let joined: Vec<u8> = received.iter().flat_map(|r| r.1.iter().copied()).collect();
    assert_eq!(&whole[..], &joined[..]);
    assert_eq!(origin.stream_count(), 0);
}

#[test]
fn a_stream_whose_segment_never_completes_is_aborted_at_its_deadline() {
    let mut origin = Origin::new(OriginConfig::default());
    let t = Duration::from_secs;
    origin.handle_live_event(
        LiveEvent::SegmentStarted {
            rendition: 0,
            number: 7,
            name: "audio/seg-7.m4s".into(),
            content_type: "audio/mp4",
            available_at: t(14),
            ends_at: t(16),
        },
        t(14),
    );
    let mut chunk = BufferList::new();
    chunk.push(Bytes::from_static(b"chunk"));
    origin.handle_live_event(
        LiveEvent::Chunk {
            name: "audio/seg-7.m4s".into(),
            bytes: chunk,
        },
        t(14),
    );
    let r = get(&mut origin, "/audio/seg-7.m4s", t(14));
    let Body::Chunked(id) = r.body else { panic!() };
    assert!(matches!(origin.poll_chunk(id), Some(ChunkEvent::Data(_))));
    assert_eq!(origin.poll_chunk(id), None);
    // Deadline: nominal end plus the default 10 s of grace.
    assert_eq!(origin.poll_timeout(), Some(t(26)));
    origin.handle_timeout(t(25));
    assert_eq!(origin.poll_ready(), None);
    origin.handle_timeout(t(26));
    assert_eq!(origin.poll_ready(), Some(id));
    assert_eq!(origin.poll_chunk(id), Some(ChunkEvent::Abort));
    assert_eq!((origin.stream_count(), origin.poll_timeout()), (0, None));
    // Eviction aborts too.
    let Body::Chunked(id) = get(&mut origin, "/audio/seg-7.m4s", t(30)).body else {
        panic!()
    };
    origin.handle_live_event(
        LiveEvent::Removed {
            name: "audio/seg-7.m4s".into(),
        },
        t(30),
    );
    assert_eq!(origin.poll_ready(), Some(id));
    assert_eq!(origin.poll_chunk(id), Some(ChunkEvent::Abort));
    assert_eq!(get(&mut origin, "/audio/seg-7.m4s", t(30)).status, 404);
}

#[test]
fn the_mpd_is_updated_and_the_window_slides_with_bounded_memory() {
    let file = fixture();
    let mut packager = LivePackager::for_mp4(&file, ll_config()).unwrap();
    let mut origin = Origin::new(OriginConfig::default().with_base_path("/live/"));
    assert_eq!(get(&mut origin, "/live/manifest.mpd", AST).status, 404);
    let mut publish_times = Vec::new();
    let mut max_resources = 0;
    let mut now = AST;
    for s in looped(&file, 6) {
        now = arrival(&s);
        packager.push(s, now).unwrap();
        for e in feed(&mut origin, &mut packager, now) {
            if let LiveEvent::Manifest { .. } = e {
                let r = get(&mut origin, "/live/manifest.mpd", now);
                assert_eq!(
                    (r.content_type, r.cache_control),
                    (Some("application/dash+xml"), "no-cache")
                );
                let text = String::from_utf8(full(&r).to_vec()).unwrap();
                let parsed = mpd::parse(&text).unwrap();
                publish_times.push(parsed.publishTime.unwrap());
                // What the resolver lists at `now` the origin serves.
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
                    let urls: Vec<String> = rep.segments().map(|s| s.unwrap().url).collect();
                    assert!(!urls.is_empty());
                    for url in urls {
                        let path = url.strip_prefix("http://origin").unwrap();
                        assert!(
                            path.starts_with(&format!("/live/{rendition}/seg-")),
                            "{path}"
                        );
                        let r = get(&mut origin, path, now);
                        assert_eq!(r.status, 200, "{path} at {:?}", now - AST);
                    }
                }
            }
        }
        max_resources = max_resources.max(origin.resource_count());
    }
    // 59.9 s of media: segments 0..=28 complete, one MPD each, publishTime
    // the push's `now`, rising.
    assert_eq!(publish_times.len(), 29);
    assert!(publish_times.windows(2).all(|w| w[0] < w[1]));
    // Window: 6 s / 2 s + 2 = 5 complete segments, plus the open one, per
    // rendition; two init segments and the MPD.
    assert_eq!(packager.window_len(), 5);
    assert_eq!(max_resources, 2 * 6 + 2 + 1);
    assert_eq!(get(&mut origin, "/live/video/seg-23.m4s", now).status, 404);
    assert_eq!(get(&mut origin, "/live/video/seg-24.m4s", now).status, 200);
    // The last MPD, in full.
    let text =
        String::from_utf8(full(&get(&mut origin, "/live/manifest.mpd", now)).to_vec()).unwrap();
    let m = mpd::parse(&text).unwrap();
    assert_eq!(m.mpdtype.as_deref(), Some("dynamic"));
    assert_eq!(m.availabilityStartTime.unwrap().timestamp(), 1_800_000_000);
    assert_eq!(m.minimumUpdatePeriod, Some(Duration::from_secs(2)));
    assert_eq!(m.timeShiftBufferDepth, Some(Duration::from_secs(6)));
    assert_eq!(
        m.suggestedPresentationDelay,
        Some(Duration::from_millis(1500))
    );
    assert_eq!(
        m.UTCTiming[0].schemeIdUri,
        "urn:mpeg:dash:utc:http-iso:2014"
    );
    assert_eq!(m.UTCTiming[0].value.as_deref(), Some("/time"));
    assert!(m.profiles.as_deref().unwrap().contains("low-latency"));
    let latency = &m.ServiceDescription[0].Latency[0];
    assert_eq!(
        (latency.target, latency.min, latency.max),
        (Some(1500.0), Some(750.0), Some(3000.0))
    );
    for (i, set) in m.periods[0].adaptations.iter().enumerate() {
        let t = set.representations[0].SegmentTemplate.as_ref().unwrap();
        assert_eq!(
            t.media.as_deref(),
            Some("$RepresentationID$/seg-$Number$.m4s")
        );
        assert_eq!(
            t.initialization.as_deref(),
            Some("$RepresentationID$/init.mp4")
        );
        assert_eq!(
            (t.timescale, t.duration, t.startNumber),
            (Some(15360), Some(30720.0), Some(0)),
            "set {i}"
        );
        assert_eq!(
            (t.availabilityTimeOffset, t.availabilityTimeComplete),
            (Some(1.5), Some(false))
        );
        let prt = &set.ProducerReferenceTime[0];
        assert_eq!(prt.presentationTime, Some(0));
        assert_eq!(prt.wallClockTime.unwrap().timestamp(), 1_800_000_000);
    }
    // The time for UTCTiming.
    let r = get(&mut origin, "/live/time", AST + Duration::from_millis(1234));
    assert_eq!(&full(&r)[..], b"2027-01-15T08:00:01.234Z");
}

#[test]
fn paths_that_are_not_names_are_refused() {
    let file = fixture();
    let mut origin = Origin::new(OriginConfig::default().with_base_path("/vod/"));
    let mut packager = VodPackager::for_mp4(
        &file,
        VodPackagerConfig::new(MediaTime::new(2, Timescale::SECONDS)),
    )
    .unwrap();
    for s in file.samples() {
        packager.push(s).unwrap();
    }
    packager.finish().unwrap();
    while let Some(e) = packager.poll() {
        origin.handle_vod_event(e);
    }
    let now = Duration::ZERO;
    let r = get(&mut origin, "/vod/manifest.mpd", now);
    assert_eq!(
        (r.content_type, r.cache_control),
        (
            Some("application/dash+xml"),
            "public, max-age=31536000, immutable"
        )
    );
    assert!(
        String::from_utf8(full(&r).to_vec())
            .unwrap()
            .contains(r#"type="static""#)
    );
    assert_eq!(
        full(&get(&mut origin, "/vod/audio/seg-4.m4s?x=1", now)).get(4..8),
        Some(&b"moof"[..])
    );
    let long = format!("/vod/{}", "a".repeat(1100));
    for path in [
        "/vod/../vod/manifest.mpd",
        "/vod/video/../manifest.mpd",
        "/vod/./manifest.mpd",
        "/vod//manifest.mpd",
        "/vod/%2e%2e/manifest.mpd",
        "/vod/manifest%2empd",
        "/vod/video\\init.mp4",
        "/vod/manifest.mpd\0",
        "/vod/video/\x7finit.mp4",
        long.as_str(),
    ] {
        let r = get(&mut origin, path, now);
        assert_eq!((r.status, r.cache_control), (400, "no-store"), "{path:?}");
        assert_eq!(r.body, Body::Full(BufferList::new()));
    }
    for path in [
        "/manifest.mpd",
        "/vod/etc/passwd",
        "/vod/video/seg-5.m4s",
        "/vod/MANIFEST.MPD",
        "/vod",
    ] {
        assert_eq!(get(&mut origin, path, now).status, 404, "{path:?}");
    }
}

mod arbitrary_requests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        /// Any request target gets 200 only for a stored name, 400 or 404
        /// otherwise, and never a panic.
        #[test]
        fn any_target_is_a_stored_name_or_refused(target in "(/live/)?[a-z0-9./%\\\\\\x00-\\x1f-]{0,40}(\\?.{0,8})?") {
            let mut origin = Origin::new(OriginConfig::default().with_base_path("/live/"));
            let mut init = BufferList::new();
            init.push(Bytes::from_static(b"init"));
            origin.handle_live_event(LiveEvent::Init(streamkit_dash::packager::Resource {
                name: "video/init.mp4".into(),
                content_type: "video/mp4",
                bytes: init,
            }), AST);
            let r = get(&mut origin, &target, AST);
            let path = target.split('?').next().unwrap_or("");
            match r.status {
                200 => prop_assert!(path == "/live/video/init.mp4" || path == "/live/time", "{target:?}"),
                400 | 404 => prop_assert_eq!(r.body, Body::Full(BufferList::new())),
                s => prop_assert!(false, "status {} for {:?}", s, target),
            }
        }
    }
}
