//! HLS playlist rendering and reading: a 6-segment low-latency live window
//! (what an origin renders on every part), and EVENT playlists of 1 000 and
//! 10 000 segments (rendering must stay linear).
//!
//! `cargo bench --bench hls_playlist`
//!
//! The peer is m3u8-rs: the same playlists in its model (parts as unknown
//! tags, since it has no type for them), written with its `write_to`, and
//! the same text read with its parser.
#![allow(clippy::unwrap_used)] // fixed, known-good inputs

use std::hint::black_box;
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use streamkit::hls::playlist::{
    Map, MediaPlaylist, MediaSegment, Part, PartInf, PartialSegment, PlaylistType, PreloadHint,
    ProgramDateTime, ServerControl,
};

const HALF: Duration = Duration::from_millis(500);

fn parts(msn: u64, count: usize) -> Vec<Part> {
    (0..count)
        .map(|i| Part {
            independent: i == 0,
            ..Part::new(HALF, format!("seg{msn}.{i}.m4s"))
        })
        .collect()
}

/// Six 2 s segments, the last two with their four 0.5 s parts, two parts of
/// the segment in progress and a preload hint.
fn live_window() -> MediaPlaylist {
    let mut playlist = MediaPlaylist {
        target_duration: 2,
        media_sequence: 120,
        server_control: Some(ServerControl {
            can_block_reload: true,
            can_skip_until: Some(Duration::from_secs(12)),
            part_hold_back: Some(3 * HALF),
            ..Default::default()
        }),
        part_inf: Some(PartInf::new(HALF)),
        ..Default::default()
    };
    let mut at = ProgramDateTime::from_unix_millis(1_795_636_800_000);
    for msn in 120..126u64 {
        let mut s = MediaSegment::new(Duration::from_secs(2), format!("seg{msn}.m4s"));
        s.program_date_time = Some(at);
        s.map = (msn == 120).then(|| Map::new("init.mp4"));
        if msn >= 124 {
            s.parts = parts(msn, 4);
        }
        at = at.add(Duration::from_secs(2));
        playlist.segments.push(s);
    }
    playlist.partial_segment = Some(PartialSegment {
        program_date_time: Some(at),
        parts: parts(126, 2),
        ..Default::default()
    });
    playlist
        .preload_hints
        .push(PreloadHint::part("seg126.2.m4s"));
    playlist
}

fn event(segments: u64) -> MediaPlaylist {
    let mut playlist = MediaPlaylist {
        playlist_type: Some(PlaylistType::Event),
        target_duration: 6,
        ..Default::default()
    };
    for n in 0..segments {
        playlist.segments.push(MediaSegment::new(
            Duration::from_millis(6006),
            format!("segment{n}.ts"),
        ));
    }
    playlist
}

/// The same playlist in m3u8-rs's model.
fn peer(ours: &MediaPlaylist) -> m3u8_rs::MediaPlaylist {
    let part_tag = |p: &Part| m3u8_rs::ExtTag {
        tag: "X-PART".into(),
        rest: Some(format!(
            "DURATION={:.3},URI=\"{}\"{}",
            p.duration.as_secs_f64(),
            p.uri,
            if p.independent {
                ",INDEPENDENT=YES"
            } else {
                ""
            }
        )),
    };
    let mut segments: Vec<m3u8_rs::MediaSegment> = ours
        .segments
        .iter()
        .map(|s| m3u8_rs::MediaSegment {
            uri: s.uri.clone(),
            duration: s.duration.as_secs_f32(),
            map: s.map.as_ref().map(|m| m3u8_rs::Map {
                uri: m.uri.clone(),
                ..Default::default()
            }),
            // m3u8-rs's date-time is a chrono value; the text is handed
            // over already written, which only spares it work.
            unknown_tags: s
                .program_date_time
                .iter()
                .map(|t| {
                    let mut text = String::new();
                    pdt_text(t, &mut text);
                    m3u8_rs::ExtTag {
                        tag: "X-PROGRAM-DATE-TIME".into(),
                        rest: Some(text),
                    }
                })
                .chain(s.parts.iter().map(part_tag))
                .collect(),
            ..Default::default()
        })
        .collect();
    if let Some(p) = &ours.partial_segment {
        // m3u8-rs cannot end a playlist with parts: they ride on an extra
        // segment so the byte count stays comparable.
        segments.push(m3u8_rs::MediaSegment {
            uri: "next.m4s".into(),
            unknown_tags: p.parts.iter().map(part_tag).collect(),
            ..Default::default()
        });
    }
    m3u8_rs::MediaPlaylist {
        version: Some(6),
        target_duration: ours.target_duration,
        media_sequence: ours.media_sequence,
        segments,
        playlist_type: ours.playlist_type.map(|t| match t {
            PlaylistType::Vod => m3u8_rs::MediaPlaylistType::Vod,
            PlaylistType::Event => m3u8_rs::MediaPlaylistType::Event,
        }),
        // The low-latency header and hint lines, already written.
        unknown_tags: ours
            .to_m3u8()
            .unwrap()
            .lines()
            .filter(|l| {
                l.starts_with("#EXT-X-SERVER-CONTROL")
                    || l.starts_with("#EXT-X-PART-INF")
                    || l.starts_with("#EXT-X-PRELOAD-HINT")
            })
            .map(|l| {
                let (tag, rest) = l.trim_start_matches("#EXT-").split_once(':').unwrap();
                m3u8_rs::ExtTag {
                    tag: tag.into(),
                    rest: Some(rest.into()),
                }
            })
            .collect(),
        ..Default::default()
    }
}

fn pdt_text(t: &ProgramDateTime, out: &mut String) {
    let mut playlist = MediaPlaylist::default();
    let mut s = MediaSegment::new(Duration::ZERO, "x");
    s.program_date_time = Some(*t);
    playlist.segments.push(s);
    let text = playlist.to_m3u8().unwrap();
    let line = text
        .lines()
        .find_map(|l| l.strip_prefix("#EXT-X-PROGRAM-DATE-TIME:"))
        .unwrap();
    out.push_str(line);
}

fn render(c: &mut Criterion) {
    let mut g = c.benchmark_group("hls_playlist/render_live_window");
    g.throughput(Throughput::Elements(1));
    let live = live_window();
    let mut buffer = String::with_capacity(4096);
    g.bench_function("streamkit write_to (reused buffer)", |b| {
        b.iter(|| {
            buffer.clear();
            black_box(&live).write_to(&mut buffer).unwrap();
            black_box(buffer.len())
        })
    });
    g.bench_function("streamkit to_m3u8", |b| {
        b.iter(|| black_box(&live).to_m3u8().unwrap())
    });
    let theirs = peer(&live);
    let mut bytes = Vec::with_capacity(4096);
    g.bench_function("m3u8-rs write_to", |b| {
        b.iter(|| {
            bytes.clear();
            black_box(&theirs).write_to(&mut bytes).unwrap();
            black_box(bytes.len())
        })
    });
    g.finish();

    let mut g = c.benchmark_group("hls_playlist/render_event");
    for n in [1_000u64, 10_000] {
        let ours = event(n);
        let theirs = peer(&ours);
        g.throughput(Throughput::Elements(n));
        g.bench_with_input(BenchmarkId::new("streamkit", n), &ours, |b, p| {
            let mut buffer = String::new();
            b.iter(|| {
                buffer.clear();
                p.write_to(&mut buffer).unwrap();
                black_box(buffer.len())
            })
        });
        g.bench_with_input(BenchmarkId::new("m3u8-rs", n), &theirs, |b, p| {
            let mut bytes = Vec::new();
            b.iter(|| {
                bytes.clear();
                p.write_to(&mut bytes).unwrap();
                black_box(bytes.len())
            })
        });
    }
    g.finish();
}

fn parse(c: &mut Criterion) {
    let mut g = c.benchmark_group("hls_playlist/parse");
    let live = live_window().to_m3u8().unwrap();
    let event = event(10_000).to_m3u8().unwrap();
    for (name, text) in [("live_window", &live), ("event_10000", &event)] {
        g.throughput(Throughput::Bytes(text.len() as u64));
        g.bench_with_input(BenchmarkId::new("streamkit", name), text, |b, t| {
            b.iter(|| MediaPlaylist::parse(black_box(t.as_bytes())).unwrap())
        });
        g.bench_with_input(BenchmarkId::new("m3u8-rs", name), text, |b, t| {
            b.iter(|| m3u8_rs::parse_media_playlist_res(black_box(t.as_bytes())).unwrap())
        });
    }
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .measurement_time(Duration::from_secs(2))
        .warm_up_time(Duration::from_millis(500))
        .sample_size(30);
    targets = render, parse
}
criterion_main!(benches);
