//! Ingest to LL-HLS on a simulated clock: an RTMP publisher (the client
//! session) sends the fixture in real time to a server session; its media
//! messages go through core's live FLV demuxer into a live broadcast,
//! whose subscriber is an LL-HLS package (500 ms parts) with an HLS
//! presentation over it. For every video frame, the time from its publish
//! (the publisher's bytes carrying it handed to the server session) to
//! its part being listed (its URI in the rendered media playlist).
//!
//! What makes up the wait: a frame waits for the rest of its part's media
//! (parts end at or before the 500 ms target), and the packager closes a
//! part when the first frame past it arrives. The live demuxer gives a
//! frame out as it arrives (its duration estimated from the interval
//! before it), so nothing else waits: the first frame of a part is listed
//! when the first frame of the next part is published, at most one part
//! target after it, and the last frame one frame after it. The report
//! prints the numbers (BENCHMARKS.md quotes them).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
#![allow(clippy::disallowed_methods)] // the origin of the simulated clock

use std::time::{Duration, Instant};

use bytes::Bytes;
use streamkit::core::codec::MediaKind;
use streamkit::core::flv::{FlvDemuxer, FlvEvent, FlvMuxer, TagStyle, TagType};
use streamkit::core::live::{Broadcast, BroadcastConfig, SubscriberId};
use streamkit::core::mp4::Mp4File;
use streamkit::core::package::{Package, PackageConfig, PartRecord, ResourceKind};
use streamkit::core::sample::Sample;
use streamkit::core::time::{MediaTime, Rounding, Timescale};
use streamkit::hls::presentation::{Presentation, PresentationConfig};
use streamkit::rtmp::client::{ClientConfig, ClientEvent, ClientSession};
use streamkit::rtmp::server::{AllowAll, ServerEvent, ServerSession};
use streamkit::rtmp::url::RtmpUrl;

const PART: Duration = Duration::from_millis(500);

/// Hands the publisher's bytes to the server and the server's back, at
/// `now`, until neither has more; the server's events are collected.
fn pump(now: Instant, c: &mut ClientSession, s: &mut ServerSession, events: &mut Vec<ServerEvent>) {
    loop {
        let mut moved = false;
        while let Some(b) = c.poll_transmit() {
            s.handle_input(now, &b).unwrap();
            events.extend(std::iter::from_fn(|| s.poll_event()));
            moved = true;
        }
        while let Some(b) = s.poll_transmit() {
            c.handle_input(now, &b).unwrap();
            moved = true;
        }
        if !moved {
            return;
        }
    }
}

/// The end (90 kHz) of the newest video part or segment whose URI the
/// rendered media playlist lists.
fn listed_end(package: &Package) -> Option<i64> {
    let hls = Presentation::new(package, PresentationConfig::live(6)).unwrap();
    let text = hls.media_playlist(package, 0).unwrap().to_m3u8().unwrap();
    let naming = &package.config().naming;
    let container = package.renditions()[0].container;
    let listed = |kind| text.contains(&format!("URI=\"{}\"", naming.file(container, kind)));
    let end = |start: MediaTime, duration: MediaTime| {
        start
            .checked_add(duration)
            .unwrap()
            .rescale(Timescale::VIDEO_90KHZ, Rounding::Down)
            .ticks()
    };
    let newest_part = |sequence: u64, parts: &[PartRecord]| {
        parts
            .iter()
            .filter(|p| {
                listed(ResourceKind::Part {
                    sequence,
                    index: p.index,
                })
            })
            .map(|p| end(p.start, p.duration))
            .max()
    };
    let mut newest = None;
    for s in package.segments() {
        newest = newest.max(newest_part(s.sequence, &s.parts));
        let file = naming.file(
            container,
            ResourceKind::Segment {
                sequence: s.sequence,
            },
        );
        if text.lines().any(|l| l == file) {
            newest = newest.max(Some(end(s.start, s.duration)));
        }
    }
    if let Some(o) = package.open_segment() {
        newest = newest.max(newest_part(o.sequence, &o.parts));
    }
    newest
}

#[test]
fn a_published_frame_is_listed_within_one_part_target() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/h264_aac.mp4");
    let file = Mp4File::parse(Bytes::from(std::fs::read(path).unwrap())).unwrap();
    let (tracks, _) = file.tracks_and_shifts();
    let samples: Vec<Sample> = file.samples().collect();
    let muxer = FlvMuxer::new(&tracks, TagStyle::Compatible)
        .unwrap()
        .with_decode_delays(&FlvMuxer::decode_delays(&samples));
    let video_id = tracks
        .iter()
        .find(|t| t.kind() == MediaKind::Video)
        .unwrap()
        .id;

    let t0 = Instant::now();
    let mut server = ServerSession::new(t0, Default::default(), Box::new(AllowAll));
    let url = RtmpUrl::parse("rtmp://127.0.0.1/live/latency").unwrap();
    let mut client = ClientSession::new(t0, ClientConfig::publish(url));
    let mut events = Vec::new();
    pump(t0, &mut client, &mut server, &mut events);
    assert!(
        std::iter::from_fn(|| client.poll_event())
            .any(|e| matches!(e, ClientEvent::Publishing { .. }))
    );
    for t in muxer.sequence_headers() {
        client.send_tag(&t).unwrap();
    }

    let mut demuxer = FlvDemuxer::live();
    let mut live: Option<(Broadcast, SubscriberId, Package)> = None;
    let mut flv_tracks = Vec::new();
    // Per published video frame: its FLV time (ms), when its bytes were
    // handed to the server, when its part was listed.
    let mut published: Vec<(i64, Instant)> = Vec::new();
    let mut listed: Vec<Option<Instant>> = Vec::new();
    let mut video_messages = 0usize;

    for s in &samples {
        let tag = muxer.tag(s).unwrap();
        let now = t0 + Duration::from_millis(tag.timestamp as u64);
        client.send_tag(&tag).unwrap();
        events.clear();
        pump(now, &mut client, &mut server, &mut events);
        if s.track_id == video_id {
            published.push((tag.timestamp, now));
            listed.push(None);
        }
        for e in events.drain(..) {
            if let ServerEvent::Media(m) = e {
                video_messages += usize::from(m.tag_type == TagType::Video);
                demuxer.push_tag(m.tag_type, m.timestamp, &m.body).unwrap();
            }
        }
        // The server gave out every video message on the pump that
        // handed it over (the sequence header and the frames so far).
        assert_eq!(video_messages, published.len() + 1);
        while let Some(e) = demuxer.poll_event() {
            match e {
                FlvEvent::Track(t) => flv_tracks.push(t),
                FlvEvent::Sample(sample) => {
                    let (b, _, _) = live.get_or_insert_with(|| {
                        let mut b =
                            Broadcast::new(now, flv_tracks.clone(), BroadcastConfig::default())
                                .unwrap();
                        let id = b.subscribe();
                        let package = Package::new(
                            &flv_tracks,
                            &[],
                            PackageConfig::new(MediaTime::new(2, Timescale::SECONDS))
                                .with_part_target(MediaTime::new(500, Timescale::MILLIS))
                                .with_window(8),
                        )
                        .unwrap();
                        (b, id, package)
                    });
                    b.push(now, sample).unwrap();
                }
                _ => {}
            }
        }
        if let Some((b, id, package)) = live.as_mut() {
            while let Some(d) = b.poll_delivery(*id) {
                package.push_delivery(d).unwrap();
            }
            if let Some(end) = listed_end(package) {
                for (i, (ms, _)) in published.iter().enumerate() {
                    if listed[i].is_none() && ms * 90 < end {
                        listed[i] = Some(now);
                    }
                }
            }
        }
    }

    let frame = Duration::from_secs(1) / 30;
    let waits: Vec<Duration> = published
        .iter()
        .zip(&listed)
        .filter_map(|((_, sent), at)| at.map(|a| a - *sent))
        .collect();
    // The frames not listed are those of the part still open at the end:
    // the last ones, fewer than a part holds.
    let unlisted = published.len() - waits.len();
    assert!(listed[..waits.len()].iter().all(Option::is_some));
    assert!(
        (1..=15).contains(&unlisted),
        "{unlisted} of {} frames not listed",
        published.len()
    );
    let max = *waits.iter().max().unwrap();
    let min = *waits.iter().min().unwrap();
    let mean = waits.iter().sum::<Duration>() / waits.len() as u32;
    println!(
        "ingest to LL-HLS part listed, {} frames: min {min:?}, mean {mean:?}, max {max:?} (part target {PART:?}, frame {frame:?})",
        waits.len()
    );
    assert!(max <= PART, "max wait {max:?}");
    // The frame that closes a part is listed when the next one is
    // published, one frame (33 or 34 ms) after it.
    assert!(min <= Duration::from_millis(34), "min wait {min:?}");
}
