//! DASH MPDs: writing and reading a two-hour live-profile VOD MPD whose
//! SegmentTimeline cannot fold (alternating AAC segment durations, 3 600
//! `S` entries), and walking segments with the resolver.
//!
//! `cargo bench --bench dash`
//!
//! The model, its XML reader and writer are dash-mpd-core's (quick-xml +
//! serde); the timeline construction and the resolver are ours.
#![allow(clippy::unwrap_used)] // fixed, known-good inputs

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use streamkit::dash::mpd::{self, Profile, StaticPresentation};
use streamkit::dash::resolve::resolve;

const TIMESCALE: u32 = 44_100;
const SEGMENTS: usize = 3_600;

/// Two hours of 2 s AAC segments: 2 s is 86.13 frames of 1024 samples, so
/// segments alternate between 86 and 87 frames and no two neighbours fold
/// into one `S@r` run.
fn durations() -> Vec<u64> {
    (0..SEGMENTS)
        .map(|i| if i % 2 == 0 { 88_064 } else { 89_088 })
        .collect()
}

fn two_hour_mpd(durations: &[u64]) -> mpd::MPD {
    let template = mpd::timeline_template(
        "init-$RepresentationID$.mp4",
        "$RepresentationID$-$Time$.m4s",
        TIMESCALE,
        0,
        durations,
    )
    .unwrap();
    let mut rep = mpd::Representation {
        id: Some("audio-128k".into()),
        bandwidth: Some(128_000),
        codecs: Some("mp4a.40.2".into()),
        mimeType: Some("audio/mp4".into()),
        ..Default::default()
    };
    rep.SegmentTemplate = Some(template);
    let total: u64 = durations.iter().sum();
    let presentation = StaticPresentation {
        duration: Duration::from_nanos(total * 1_000_000_000 / u64::from(TIMESCALE)),
        min_buffer_time: Duration::from_secs(2),
        profile: Profile::Live,
    };
    let period = mpd::period(
        "0",
        Duration::ZERO,
        None,
        vec![mpd::adaptation_set(0, vec![rep])],
    );
    mpd::static_mpd(&presentation, vec![period])
}

fn bench_write(c: &mut Criterion) {
    let durations = durations();
    let model = two_hour_mpd(&durations);
    let mut g = c.benchmark_group("dash_mpd_write");
    g.throughput(Throughput::Elements(SEGMENTS as u64));
    g.bench_function("two_hour_timeline/build_and_write", |b| {
        b.iter(|| mpd::write(&two_hour_mpd(black_box(&durations))).unwrap())
    });
    g.bench_function("two_hour_timeline/write", |b| {
        b.iter(|| mpd::write(black_box(&model)).unwrap())
    });
    g.finish();

    let text = mpd::write(&model).unwrap();
    let mut g = c.benchmark_group("dash_mpd_parse");
    g.throughput(Throughput::Bytes(text.len() as u64));
    g.bench_function("two_hour_timeline", |b| {
        b.iter(|| mpd::parse(black_box(&text)).unwrap())
    });
    g.finish();
}

fn bench_resolve(c: &mut Criterion) {
    let model = two_hour_mpd(&durations());
    let url = "https://cdn.example/vod/manifest.mpd";
    let mut g = c.benchmark_group("dash_resolve");
    g.throughput(Throughput::Elements(SEGMENTS as u64));
    g.bench_function("two_hour_timeline", |b| {
        b.iter(|| {
            let rep = resolve(black_box(&model), url, 0, 0, 0, None).unwrap();
            let mut n = 0u64;
            for s in rep.segments() {
                n += black_box(s.unwrap()).duration;
            }
            n
        })
    });
    // The same walk over a one-entry timeline with r = 10^12 - 1: the cost
    // per segment, whatever the repeat count.
    let text = format!(
        r#"<MPD xmlns="urn:mpeg:dash:schema:mpd:2011" type="static" mediaPresentationDuration="PT1000000000000S"><Period><AdaptationSet><Representation id="v" bandwidth="1"><SegmentTemplate media="$RepresentationID$/$Number%08d$.m4s" timescale="1"><SegmentTimeline><S t="0" d="1" r="{}"/></SegmentTimeline></SegmentTemplate></Representation></AdaptationSet></Period></MPD>"#,
        1_000_000_000_000u64 - 1
    );
    let huge = mpd::parse(&text).unwrap();
    g.bench_function("huge_repeat_first_3600", |b| {
        b.iter(|| {
            let rep = resolve(black_box(&huge), url, 0, 0, 0, None).unwrap();
            rep.segments()
                .take(SEGMENTS)
                .map(|s| s.unwrap().time)
                .sum::<u64>()
        })
    });
    g.finish();
}

fn config() -> Criterion {
    Criterion::default()
        .sample_size(20)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
}

criterion_group! {
    name = benches;
    config = config();
    targets = bench_write, bench_resolve
}
criterion_main!(benches);
