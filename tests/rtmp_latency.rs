//! Ingest to LL-HLS on a simulated clock: an RTMP publisher (the client
//! session) sends the fixture in real time to a server session; its media
//! messages go through core's FLV demuxer into a live broadcast, whose
//! subscriber is an LL-HLS package (500 ms parts). For every video frame,
//! the time from its publish (the client sending it) to its part being
//! listed.
//!
//! What makes up the wait: a frame waits for the rest of its part's media
//! (parts end at or before the 500 ms target), then for two more frames:
//! the FLV demuxer gives a video frame out when the next one arrives (its
//! duration is the distance to it), and the packager closes a part when
//! the first sample past it arrives. So the last frame of a part is
//! listed two frames after its publish, the first about a part later.
//! Measured: at most 533 ms, one part target and one frame (the issue's
//! goal was one part target: the demuxer's one-frame hold is the
//! difference). The report prints the numbers (BENCHMARKS.md quotes
//! them).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
#![allow(clippy::disallowed_methods)] // the origin of the simulated clock

use std::time::{Duration, Instant};

use bytes::Bytes;
use streamkit::core::flv::{FlvDemuxer, FlvEvent, FlvMuxer, TagStyle};
use streamkit::core::live::{Broadcast, BroadcastConfig};
use streamkit::core::mp4::Mp4File;
use streamkit::core::package::{Package, PackageConfig};
use streamkit::core::sample::Sample;
use streamkit::core::time::{MediaTime, Rounding, Timescale};
use streamkit::hls::presentation::{Presentation, PresentationConfig};
use streamkit::rtmp::client::{ClientConfig, ClientEvent, ClientSession};
use streamkit::rtmp::server::{AllowAll, ServerEvent, ServerSession};
use streamkit::rtmp::url::RtmpUrl;

const PART: Duration = Duration::from_millis(500);

fn pump(now: Instant, c: &mut ClientSession, s: &mut ServerSession) {
    loop {
        let mut moved = false;
        while let Some(b) = c.poll_transmit() {
            s.handle_input(now, &b).unwrap();
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

/// The end of the newest part the package lists, on the video clock.
fn listed_end(package: &Package) -> Option<i64> {
    let part_end = |p: &streamkit::core::package::PartRecord| {
        p.start
            .checked_add(p.duration)
            .map(|e| e.rescale(Timescale::VIDEO_90KHZ, Rounding::Down).ticks())
    };
    package
        .open_segment()
        .and_then(|o| o.parts.last().and_then(part_end))
        .or_else(|| {
            package
                .segments()
                .back()
                .and_then(|s| s.parts.last().and_then(part_end))
        })
}

#[test]
fn a_published_frame_is_listed_within_a_part_target_and_one_frame() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/h264_aac.mp4");
    let file = Mp4File::parse(Bytes::from(std::fs::read(path).unwrap())).unwrap();
    let (tracks, _) = file.tracks_and_shifts();
    let samples: Vec<Sample> = file.samples().collect();
    let muxer = FlvMuxer::new(&tracks, TagStyle::Compatible)
        .unwrap()
        .with_decode_delays(&FlvMuxer::decode_delays(&samples));

    let t0 = Instant::now();
    let mut server = ServerSession::new(t0, Default::default(), Box::new(AllowAll));
    let url = RtmpUrl::parse("rtmp://127.0.0.1/live/latency").unwrap();
    let mut client = ClientSession::new(t0, ClientConfig::publish(url));
    pump(t0, &mut client, &mut server);
    assert!(
        std::iter::from_fn(|| client.poll_event())
            .any(|e| matches!(e, ClientEvent::Publishing { .. }))
    );
    for t in muxer.sequence_headers() {
        client.send_tag(&t).unwrap();
    }

    let mut demuxer = FlvDemuxer::new();
    let mut broadcast: Option<(Broadcast, streamkit::core::live::SubscriberId, Package)> = None;
    let mut flv_tracks = Vec::new();
    // Per published video frame (FLV ms): when it was sent, when listed.
    let mut published: Vec<(i64, Instant)> = Vec::new();
    let mut listed: Vec<Option<Instant>> = Vec::new();
    let video_id = tracks
        .iter()
        .find(|t| t.kind() == streamkit::core::codec::MediaKind::Video)
        .unwrap()
        .id;

    for s in &samples {
        let tag = muxer.tag(s).unwrap();
        let now = t0 + Duration::from_millis(tag.timestamp as u64);
        client.send_tag(&tag).unwrap();
        if s.track_id == video_id {
            published.push((tag.timestamp, now));
            listed.push(None);
        }
        pump(now, &mut client, &mut server);
        while let Some(e) = server.poll_event() {
            if let ServerEvent::Media(m) = e {
                demuxer.push_tag(m.tag_type, m.timestamp, &m.body).unwrap();
            }
        }
        while let Some(e) = demuxer.poll_event() {
            match e {
                FlvEvent::Track(t) => flv_tracks.push(t),
                FlvEvent::Sample(sample) => {
                    let (b, _, _) = broadcast.get_or_insert_with(|| {
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
        if let Some((b, id, package)) = broadcast.as_mut() {
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
    let (_, _, package) = broadcast.unwrap();
    // The playlist lists those parts.
    let hls = Presentation::new(&package, PresentationConfig::live(6)).unwrap();
    let text = hls.media_playlist(&package, 0).unwrap().to_m3u8().unwrap();
    assert!(text.contains("#EXT-X-PART:DURATION="), "{text}");

    let frame = Duration::from_secs(1) / 30;
    let waits: Vec<Duration> = published
        .iter()
        .zip(&listed)
        .filter_map(|((_, sent), at)| at.map(|a| a - *sent))
        .collect();
    // Every frame but those of the part still open at the end is listed.
    assert!(
        waits.len() >= published.len() - 16,
        "{} of {} listed",
        waits.len(),
        published.len()
    );
    let max = *waits.iter().max().unwrap();
    let min = *waits.iter().min().unwrap();
    let mean = waits.iter().sum::<Duration>() / waits.len() as u32;
    println!(
        "ingest to LL-HLS part listed, {} frames: min {min:?}, mean {mean:?}, max {max:?} (part target {PART:?}, frame {frame:?})",
        waits.len()
    );
    assert!(
        max <= PART + frame + Duration::from_millis(1),
        "max wait {max:?}"
    );
    // The frame that closes a part is listed two frames after it is sent.
    assert!(
        min <= 2 * frame + Duration::from_millis(1),
        "min wait {min:?}"
    );
}
