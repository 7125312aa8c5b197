use std::time::{Duration, Instant};

use bytes::Bytes;
use proptest::prelude::*;

use super::*;
use crate::codec::CodecConfig;
use crate::codec::aac::AacConfig;
use crate::codec::h264::AvcConfig;

const V: u32 = 1;
const A: u32 = 2;

fn video_track() -> Track {
    // The avcC of the h264_aac fixture's video track (320x240, High).
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../tests/fixtures/h264_aac.mp4"
    );
    let file = crate::mp4::Mp4File::parse(Bytes::from(std::fs::read(path).unwrap())).unwrap();
    let mut t = file.tracks()[0].to_track().unwrap();
    t.id = V;
    t.timescale = Timescale::VIDEO_90KHZ;
    t
}

fn audio_track() -> Track {
    Track::new(
        A,
        Timescale::AUDIO_48KHZ,
        CodecConfig::Aac(AacConfig::new(2, 48_000, 2).unwrap()),
    )
}

/// A 30 fps video frame `n` (a keyframe every `gop` frames), 1000 bytes.
fn frame(n: i64, gop: i64) -> Sample {
    Sample {
        track_id: V,
        dts: n * 3_000,
        composition_offset: 0,
        duration: 3_000,
        timescale: Timescale::VIDEO_90KHZ,
        keyframe: n % gop == 0,
        data: Bytes::from(vec![n as u8; 1000]),
    }
}

fn aac(n: i64) -> Sample {
    Sample {
        track_id: A,
        dts: n * 1_024,
        composition_offset: 0,
        duration: 1_024,
        timescale: Timescale::AUDIO_48KHZ,
        keyframe: true,
        data: Bytes::from(vec![0xa0; 100]),
    }
}

fn drain(b: &mut Broadcast, id: SubscriberId) -> Vec<Delivery> {
    std::iter::from_fn(|| b.poll_delivery(id)).collect()
}

fn samples(d: &[Delivery]) -> Vec<&Sample> {
    d.iter()
        .filter_map(|d| match d {
            Delivery::Sample(s) => Some(s),
            _ => None,
        })
        .collect()
}

#[allow(clippy::disallowed_methods)] // the origin of a virtual clock
fn t0() -> Instant {
    Instant::now()
}

#[test]
fn a_new_subscriber_starts_at_the_last_keyframe_with_the_tracks() {
    let now = t0();
    let mut b = Broadcast::new(
        now,
        vec![video_track(), audio_track()],
        BroadcastConfig::default(),
    )
    .unwrap();
    for n in 0..75 {
        b.push(now, frame(n, 30)).unwrap();
    }
    let viewer = b.subscribe();
    let got = drain(&mut b, viewer);
    let Delivery::Start { tracks, wall_clock } = &got[0] else {
        panic!("{:?}", got[0])
    };
    assert_eq!(tracks.len(), 2);
    assert_eq!(*wall_clock, None);
    let s = samples(&got);
    // Frames 60..75: from the last keyframe.
    assert_eq!(s.len(), 15);
    assert!(s[0].keyframe);
    assert_eq!(s[0].dts, 60 * 3_000);
    // The cache held frames 60.. only: the older GOPs were dropped.
    assert_eq!(b.kept_bytes(), 15 * 1000);
}

#[test]
fn an_audio_only_stream_starts_at_once() {
    let now = t0();
    let mut b = Broadcast::new(now, vec![audio_track()], BroadcastConfig::default()).unwrap();
    for n in 0..100 {
        b.push(now, aac(n)).unwrap();
    }
    let viewer = b.subscribe();
    let got = drain(&mut b, viewer);
    assert_eq!(samples(&got).len(), 1);
    assert_eq!(samples(&got)[0].dts, 99 * 1_024);
}

#[test]
fn fan_out_shares_the_payloads() {
    let now = t0();
    let mut b = Broadcast::new(now, vec![video_track()], BroadcastConfig::default()).unwrap();
    let viewers: Vec<SubscriberId> = (0..10).map(|_| b.subscribe()).collect();
    let sample = frame(0, 30);
    let ptr = sample.data.as_ptr();
    b.push(now, sample).unwrap();
    for &v in &viewers {
        let got = drain(&mut b, v);
        assert_eq!(samples(&got)[0].data.as_ptr(), ptr);
    }
    // A subscriber that left is unknown, even once its slot is reused.
    assert!(b.unsubscribe(viewers[3]));
    assert!(!b.unsubscribe(viewers[3]));
    let newcomer = b.subscribe();
    assert_ne!(newcomer, viewers[3]);
    assert_eq!(b.poll_delivery(viewers[3]), None);
    assert!(matches!(
        b.poll_delivery(newcomer),
        Some(Delivery::Start { .. })
    ));
    assert_eq!(b.subscriber_count(), 10);
}

#[test]
fn a_slow_subscriber_costs_bounded_memory_and_delays_no_one() {
    let now = t0();
    // At most 60 kB or 3 s behind; GOPs of 1 s (30 frames of 1000 bytes).
    let config = BroadcastConfig::default().with_max_lag(60_000, Duration::from_secs(3));
    let mut b = Broadcast::new(now, vec![video_track()], config).unwrap();
    let slow = b.subscribe();
    let fast = b.subscribe();
    assert!(matches!(
        b.poll_delivery(slow),
        Some(Delivery::Start { .. })
    ));
    let mut fast_frames = 0;
    for n in 0..300 {
        b.push(now + Duration::from_millis(n as u64 * 33), frame(n, 30))
            .unwrap();
        fast_frames += samples(&drain(&mut b, fast)).len();
        // What is kept never exceeds the lag bound plus one GOP.
        assert!(
            b.kept_bytes() <= 60_000 + 30_000,
            "{} at {n}",
            b.kept_bytes()
        );
    }
    // The fast one got every frame, in order.
    assert_eq!(fast_frames, 300);
    // The slow one, reading only now, was skipped ahead to a keyframe.
    let got = drain(&mut b, slow);
    let Delivery::Skipped {
        samples: missed,
        duration,
    } = got[0]
    else {
        panic!("{:?}", got[0])
    };
    assert_eq!(got[1], Delivery::Discontinuity);
    let rest = samples(&got);
    assert!(rest[0].keyframe);
    // Frames 0..first delivered were missed, exactly; the rest came.
    let first = rest[0].dts / 3_000;
    assert_eq!(missed, first as u64);
    assert_eq!(rest.len() as i64, 300 - first);
    // It started within the byte bound: at most 60 frames behind.
    assert!(300 - first <= 60, "{first}");
    assert_eq!(first % 30, 0);
    // It had delivered nothing: the skip spans from its start point (frame
    // 0) to where it goes on.
    let span = MediaTime::new(first * 3_000, Timescale::VIDEO_90KHZ)
        .to_duration()
        .unwrap();
    assert!(
        duration.abs_diff(span) < Duration::from_micros(1),
        "{duration:?} {span:?}"
    );
}

#[test]
fn a_jump_is_rebased_behind_a_discontinuity() {
    let now = t0();
    let mut b = Broadcast::new(now, vec![video_track()], BroadcastConfig::default()).unwrap();
    let v = b.subscribe();
    for n in 0..30 {
        b.push(now, frame(n, 30)).unwrap();
    }
    // An encoder restart: timestamps start over at 0 (1 s back); then a
    // jump ahead by an hour (a 32-bit wrap of another clock looks the
    // same).
    for n in 0..30 {
        b.push(now, frame(n, 30)).unwrap();
    }
    let mut far = frame(0, 30);
    far.dts = 3_600 * 90_000;
    b.push(now, far).unwrap();
    let got = drain(&mut b, v);
    let dts: Vec<i64> = samples(&got).iter().map(|s| s.dts).collect();
    assert_eq!(dts.len(), 61);
    assert!(dts.windows(2).all(|w| w[1] == w[0] + 3_000), "{dts:?}");
    let discontinuities = got
        .iter()
        .filter(|d| **d == Delivery::Discontinuity)
        .count();
    assert_eq!(discontinuities, 2);
    let events: Vec<BroadcastEvent> = std::iter::from_fn(|| b.poll_event()).collect();
    assert_eq!(
        events,
        [
            BroadcastEvent::TimestampJump {
                track_id: V,
                found: 0,
                rebased: 90_000
            },
            BroadcastEvent::TimestampJump {
                track_id: V,
                found: 3_600 * 90_000 + 90_000,
                rebased: 180_000
            },
        ]
    );
}

#[test]
fn a_small_step_back_is_corrected_and_counted() {
    let now = t0();
    let mut b = Broadcast::new(now, vec![video_track()], BroadcastConfig::default()).unwrap();
    let v = b.subscribe();
    // Presentation-ordered times of a B-frame stream given as decode times.
    for (i, pts) in [0, 9_000, 3_000, 6_000].into_iter().enumerate() {
        let mut s = frame(i as i64, 30);
        s.dts = pts;
        b.push(now, s).unwrap();
    }
    let dts: Vec<i64> = samples(&drain(&mut b, v)).iter().map(|s| s.dts).collect();
    assert_eq!(dts, [0, 9_000, 9_001, 9_002]);
    let corrected = std::iter::from_fn(|| b.poll_event())
        .filter(|e| matches!(e, BroadcastEvent::TimestampCorrected { .. }))
        .count();
    assert_eq!(corrected, 2);
}

#[test]
fn a_returning_publisher_continues_the_timeline() {
    let now = t0();
    let mut b = Broadcast::new(now, vec![video_track()], BroadcastConfig::default()).unwrap();
    let v = b.subscribe();
    for n in 0..30 {
        b.push(now, frame(n, 30)).unwrap();
    }
    // It reconnects with timestamps at 5 s: the timeline goes on at 1 s.
    b.republish(now, vec![video_track()]).unwrap();
    for n in 150..160 {
        b.push(now, frame(n, 30)).unwrap();
    }
    let got = drain(&mut b, v);
    let dts: Vec<i64> = samples(&got).iter().map(|s| s.dts).collect();
    assert_eq!(dts[30], 90_000);
    assert!(dts.windows(2).all(|w| w[1] == w[0] + 3_000));
    assert_eq!(
        got.iter()
            .filter(|d| **d == Delivery::Discontinuity)
            .count(),
        1
    );
    // New tracks of other ids or clocks cannot continue.
    assert!(matches!(
        b.republish(now, vec![audio_track()]),
        Err(LiveError::InvalidTracks { .. })
    ));
}

#[test]
fn a_codec_change_reaches_subscribers_in_order() {
    let now = t0();
    let mut b = Broadcast::new(now, vec![video_track()], BroadcastConfig::default()).unwrap();
    let v = b.subscribe();
    b.push(now, frame(0, 30)).unwrap();
    let mut changed = video_track();
    if let CodecConfig::H264(avc) = &changed.codec {
        let mut avc: AvcConfig = avc.clone();
        avc.profile_compatibility ^= 0x40;
        changed.codec = CodecConfig::H264(avc);
    }
    b.update_track(changed.clone()).unwrap();
    b.push(now, frame(30, 30)).unwrap();
    let got = drain(&mut b, v);
    assert!(matches!(got[0], Delivery::Start { .. }));
    assert!(matches!(got[1], Delivery::Sample(_)));
    assert_eq!(got[2], Delivery::TrackChanged(changed.clone()));
    assert!(matches!(got[3], Delivery::Sample(_)));
    // A subscriber joining now starts at frame 30 with the new tracks.
    let late = b.subscribe();
    let got = drain(&mut b, late);
    let Delivery::Start { tracks, .. } = &got[0] else {
        panic!()
    };
    assert_eq!(tracks[0], changed);
    assert_eq!(samples(&got).len(), 1);
}

#[test]
fn an_idle_publisher_ends_the_broadcast() {
    let now = t0();
    let config = BroadcastConfig::default().with_idle_timeout(Duration::from_secs(5));
    let mut b = Broadcast::new(now, vec![audio_track()], config).unwrap();
    let v = b.subscribe();
    b.push(now + Duration::from_secs(1), aac(0)).unwrap();
    assert_eq!(b.poll_timeout(), Some(now + Duration::from_secs(6)));
    b.handle_timeout(now + Duration::from_millis(5_999));
    assert!(!b.is_ended());
    b.handle_timeout(now + Duration::from_secs(6));
    assert!(b.is_ended());
    assert_eq!(b.poll_event(), Some(BroadcastEvent::Idle));
    assert_eq!(b.poll_timeout(), None);
    let got = drain(&mut b, v);
    assert_eq!(samples(&got).len(), 1);
    assert_eq!(got.last(), Some(&Delivery::Ended));
    assert_eq!(b.push(now, aac(1)), Err(LiveError::Ended));
}

#[test]
fn wall_clock_links_are_delivered_in_order() {
    let now = t0();
    let mut b = Broadcast::new(now, vec![audio_track()], BroadcastConfig::default()).unwrap();
    let link = (
        MediaTime::zero(Timescale::AUDIO_48KHZ),
        UnixTime::from_unix_millis(1_700_000_000_000),
    );
    b.set_wall_clock(link.0, link.1);
    b.push(now, aac(0)).unwrap();
    let v = b.subscribe();
    let got = drain(&mut b, v);
    assert_eq!(
        got[0],
        Delivery::Start {
            tracks: b.tracks().clone(),
            wall_clock: Some(link)
        }
    );
}

#[test]
fn bad_input_is_refused_and_changes_nothing() {
    let now = t0();
    assert!(matches!(
        Broadcast::new(now, vec![], BroadcastConfig::default()),
        Err(LiveError::InvalidTracks { .. })
    ));
    assert!(matches!(
        Broadcast::new(
            now,
            vec![audio_track(), audio_track()],
            BroadcastConfig::default()
        ),
        Err(LiveError::InvalidTracks { .. })
    ));
    let mut b = Broadcast::new(now, vec![audio_track()], BroadcastConfig::default()).unwrap();
    let mut s = aac(0);
    s.track_id = 9;
    assert!(matches!(
        b.push(now, s),
        Err(LiveError::UnknownTrack { track_id: 9, .. })
    ));
    let mut s = aac(0);
    s.timescale = Timescale::VIDEO_90KHZ;
    assert!(matches!(
        b.push(now, s),
        Err(LiveError::TimescaleMismatch { .. })
    ));
    let mut s = aac(0);
    s.duration = 0;
    assert!(matches!(
        b.push(now, s),
        Err(LiveError::ZeroDuration { .. })
    ));
    assert_eq!(b.head(), 0);
}

#[test]
fn the_registry_refuses_a_second_publisher_unless_it_takes_over() {
    let now = t0();
    let mut r = Registry::new(BroadcastConfig::default());
    let first = r.publish(now, "cam1", vec![audio_track()], false).unwrap();
    assert_eq!(
        r.publish(now, "cam1", vec![audio_track()], false),
        Err(PublishError::NameTaken {
            name: "cam1".into()
        })
    );
    r.push(&first, now, aac(0)).unwrap();
    let v = r.find_mut("cam1").unwrap().subscribe();
    assert!(!first.continues_broadcast());
    let second = r.publish(now, "cam1", vec![audio_track()], true).unwrap();
    assert!(second.continues_broadcast());
    assert_eq!(
        r.push(&first, now, aac(1)),
        Err(PublishError::Superseded {
            name: "cam1".into()
        })
    );
    r.push(&second, now, aac(0)).unwrap();
    let got = drain(r.find_mut("cam1").unwrap(), v);
    // The subscriber goes on across the takeover, timeline continued.
    let dts: Vec<i64> = samples(&got).iter().map(|s| s.dts).collect();
    assert_eq!(dts, [0, 1_024]);
    assert!(got.contains(&Delivery::Discontinuity));
    for bad in ["", "a//b", "../x", "a b", &"x".repeat(300)] {
        assert!(matches!(
            r.publish(now, bad, vec![audio_track()], false),
            Err(PublishError::InvalidName { .. })
        ));
    }
    assert_eq!(r.names().collect::<Vec<_>>(), ["cam1"]);
    r.unpublish(&second);
    assert!(r.find("cam1").unwrap().is_ended());
    // Ended, but watched: kept until the subscriber leaves.
    r.handle_timeout(now);
    assert!(r.find("cam1").is_some());
    assert!(r.find_mut("cam1").unwrap().unsubscribe(v));
    r.handle_timeout(now);
    assert!(r.is_empty());
}

#[derive(Debug, Clone)]
enum Op {
    Push { keyframe_every: u8, frames: u8 },
    Audio { frames: u8 },
    Subscribe,
    Unsubscribe(u8),
    Drain(u8),
    Jump,
    Idle,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (1u8..40, 1u8..50).prop_map(|(keyframe_every, frames)| Op::Push {
            keyframe_every,
            frames
        }),
        (1u8..20).prop_map(|frames| Op::Audio { frames }),
        Just(Op::Subscribe),
        any::<u8>().prop_map(Op::Unsubscribe),
        any::<u8>().prop_map(Op::Drain),
        Just(Op::Jump),
        Just(Op::Idle),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]
    /// Any interleaving of publishing, subscribing, unsubscribing, samples
    /// and timeouts keeps what is kept within its bound, every
    /// subscriber's samples in decode order per track, and each subscriber
    /// starting (and resuming after a skip) at a keyframe.
    #[test]
    fn every_interleaving_keeps_the_guarantees(ops in proptest::collection::vec(op(), 1..60)) {
        let now = t0();
        let lag_bytes = 40_000;
        let config = BroadcastConfig::default()
            .with_max_lag(lag_bytes, Duration::from_secs(2))
            .with_gop_cache(50_000, Duration::from_secs(4))
            .with_idle_timeout(Duration::from_secs(30));
        let mut b = Broadcast::new(now, vec![video_track(), audio_track()], config).unwrap();
        let mut clock = Duration::ZERO;
        let (mut v, mut a) = (0i64, 0i64);
        // Per subscriber: last dts per track, whether the next sample of
        // the reference track must be a keyframe.
        let mut subs: Vec<(SubscriberId, Option<i64>, Option<i64>, bool)> = Vec::new();
        let check = |b: &mut Broadcast, sub: &mut (SubscriberId, Option<i64>, Option<i64>, bool)| {
            for d in std::iter::from_fn(|| b.poll_delivery(sub.0)) {
                match d {
                    Delivery::Sample(s) => {
                        let last = if s.track_id == V { &mut sub.1 } else { &mut sub.2 };
                        if let Some(l) = *last {
                            assert!(s.dts > l, "track {} went from {l} to {}", s.track_id, s.dts);
                        }
                        *last = Some(s.dts);
                        if s.track_id == V {
                            if sub.3 {
                                assert!(s.keyframe, "resumed at a non-keyframe {}", s.dts);
                            }
                            sub.3 = false;
                        }
                    }
                    Delivery::Skipped { .. } => sub.3 = true,
                    _ => {}
                }
            }
        };
        for op in ops {
            match op {
                Op::Push { keyframe_every, frames } => {
                    for _ in 0..frames {
                        clock += Duration::from_millis(33);
                        let _ = b.push(now + clock, frame(v, i64::from(keyframe_every)));
                        v += 1;
                    }
                }
                Op::Audio { frames } => {
                    for _ in 0..frames {
                        let _ = b.push(now + clock, aac(a));
                        a += 1;
                    }
                }
                Op::Subscribe => subs.push((b.subscribe(), None, None, true)),
                Op::Unsubscribe(i) if !subs.is_empty() => {
                    let (id, ..) = subs.remove(usize::from(i) % subs.len());
                    assert!(b.unsubscribe(id));
                }
                Op::Drain(i) if !subs.is_empty() => {
                    let n = subs.len();
                    check(&mut b, &mut subs[usize::from(i) % n]);
                }
                Op::Jump => v += 10_000,
                Op::Idle => {
                    clock += Duration::from_secs(31);
                    b.handle_timeout(now + clock);
                }
                _ => {}
            }
            // A kept byte is within the lag bound or the GOP cache's.
            prop_assert!(b.kept_bytes() <= lag_bytes + 50_000 + 1_000, "{}", b.kept_bytes());
        }
        for sub in &mut subs {
            check(&mut b, sub);
        }
    }
}
