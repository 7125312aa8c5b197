//! The builders: Representations from real tracks, dynamic and
//! low-latency MPDs, read back through the model and the resolver.
#![allow(clippy::unwrap_used)] // test helpers outside #[test] fns

use core::time::Duration;

use bytes::Bytes;
use streamkit_core::mp4::Mp4File;
use streamkit_core::track::Track;
use streamkit_dash::DashError;
use streamkit_dash::mpd::{self, DynamicPresentation, LowLatency, UtcTimingSource};
use streamkit_dash::resolve::resolve;

fn tracks() -> Vec<Track> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../tests/fixtures/h264_aac.mp4"
    );
    let file = Mp4File::parse(Bytes::from(std::fs::read(path).unwrap())).unwrap();
    file.tracks().iter().filter_map(|t| t.to_track()).collect()
}

const AST: u64 = 1_700_000_000;

fn live() -> DynamicPresentation {
    DynamicPresentation {
        availability_start_time: Duration::from_secs(AST),
        publish_time: Duration::from_millis(AST * 1000 + 60_250),
        minimum_update_period: Duration::from_secs(2),
        time_shift_buffer_depth: Duration::from_secs(30),
        suggested_presentation_delay: Duration::from_secs(4),
        min_buffer_time: Duration::from_secs(1),
        utc_timing: vec![UtcTimingSource {
            scheme: mpd::UTC_TIMING_HTTP_XSDATE.into(),
            value: "https://time.example/now".into(),
        }],
    }
}

#[test]
fn representations_carry_the_track_facts() {
    let t = tracks();
    let v = mpd::representation("v", 500_000, &t[..1]).unwrap();
    assert_eq!(
        (
            v.codecs.as_deref(),
            v.mimeType.as_deref(),
            v.width,
            v.height,
            v.frameRate.as_deref()
        ),
        (
            Some("avc1.64000d"),
            Some("video/mp4"),
            Some(320),
            Some(240),
            Some("30")
        )
    );
    let a = mpd::representation("a", 64_000, &t[1..]).unwrap();
    assert_eq!(
        (
            a.codecs.as_deref(),
            a.mimeType.as_deref(),
            a.audioSamplingRate.as_deref()
        ),
        (Some("mp4a.40.2"), Some("audio/mp4"), Some("44100"))
    );
    assert_eq!(a.AudioChannelConfiguration.len(), 1);
    assert_eq!(
        a.AudioChannelConfiguration[0].schemeIdUri,
        mpd::AUDIO_CHANNEL_CONFIGURATION_SCHEME
    );
    assert_eq!(a.AudioChannelConfiguration[0].value.as_deref(), Some("1"));
    let muxed = mpd::representation("av", 600_000, &t).unwrap();
    assert_eq!(muxed.codecs.as_deref(), Some("avc1.64000d,mp4a.40.2"));
    assert!(matches!(
        mpd::representation("x", 1, &[]),
        Err(DashError::Build { .. })
    ));
    assert!(matches!(
        mpd::representation("x", 0, &t),
        Err(DashError::Build { .. })
    ));
    let set = mpd::adaptation_set(3, vec![a]);
    assert_eq!(
        (set.id.as_deref(), set.contentType.as_deref()),
        (Some("3"), Some("audio"))
    );
    // 8 * 25_000 bytes over 2 s, and 8 * 1 byte over 1/3 s rounded up.
    assert_eq!(
        mpd::peak_bandwidth(&[(25_000, 2000), (10, 0)], 1000),
        Some(100_000)
    );
    assert_eq!(mpd::peak_bandwidth(&[(1, 1)], 3), Some(24));
    assert_eq!(mpd::peak_bandwidth(&[], 3), None);
}

#[test]
fn low_latency_dynamic_mpd_reads_back_and_resolves() {
    let t = tracks();
    let mut v = mpd::representation("v", 500_000, &t[..1]).unwrap();
    v.SegmentTemplate = Some(
        mpd::number_template(
            "init-$RepresentationID$.mp4",
            "$RepresentationID$-$Number$.m4s",
            15360,
            30720,
            1,
        )
        .unwrap(),
    );
    let period = mpd::period(
        "live",
        Duration::ZERO,
        None,
        vec![mpd::adaptation_set(0, vec![v])],
    );
    let mut m = mpd::dynamic_mpd(&live(), vec![period]).unwrap();
    let ll = LowLatency {
        target_latency: Duration::from_millis(3500),
        min_latency: Duration::from_secs(2),
        max_latency: Duration::from_secs(6),
        availability_time_offset: 1.5,
        producer_reference: Some((0, Duration::from_secs(AST))),
    };
    mpd::apply_low_latency(&mut m, &ll).unwrap();
    let text = mpd::write(&m).unwrap();
    let back = mpd::parse(&text).unwrap();
    assert_eq!(back.mpdtype.as_deref(), Some("dynamic"));
    assert_eq!(
        back.profiles.as_deref(),
        Some(
            "urn:mpeg:dash:profile:isoff-live:2011,http://www.dashif.org/guidelines/low-latency-live-v5"
        )
    );
    assert_eq!(
        back.availabilityStartTime.map(|t| t.timestamp()),
        Some(AST as i64)
    );
    assert_eq!(
        back.publishTime.map(|t| t.timestamp_millis()),
        Some((AST * 1000 + 60_250) as i64)
    );
    assert_eq!(back.minimumUpdatePeriod, Some(Duration::from_secs(2)));
    assert_eq!(back.timeShiftBufferDepth, Some(Duration::from_secs(30)));
    assert_eq!(
        back.suggestedPresentationDelay,
        Some(Duration::from_secs(4))
    );
    assert_eq!(
        back.UTCTiming[0].value.as_deref(),
        Some("https://time.example/now")
    );
    let latency = &back.ServiceDescription[0].Latency[0];
    assert_eq!(
        (latency.target, latency.min, latency.max),
        (Some(3500.0), Some(2000.0), Some(6000.0))
    );
    let set = &back.periods[0].adaptations[0];
    let prt = &set.ProducerReferenceTime[0];
    assert_eq!(prt.presentationTime, Some(0));
    assert_eq!(prt.wallClockTime.map(|t| t.timestamp()), Some(AST as i64));
    assert!(prt.UTCTiming.is_some());
    let template = set.representations[0].SegmentTemplate.as_ref().unwrap();
    assert_eq!(template.availabilityTimeOffset, Some(1.5));
    assert_eq!(template.availabilityTimeComplete, Some(false));
    // At AST + 61 s: segments ending by 61 s, and the one ending at 62 s
    // thanks to the 1.5 s availabilityTimeOffset; 30 s of time shift.
    let rep = resolve(
        &back,
        "https://live.example/x/manifest.mpd",
        0,
        0,
        0,
        Some(Duration::from_secs(AST + 61)),
    )
    .unwrap();
    let numbers: Vec<u64> = rep.segments().map(|s| s.unwrap().number).collect();
    assert_eq!(numbers, (16..=31).collect::<Vec<u64>>());
    // Low latency needs a dynamic MPD with templates.
    let mut static_mpd = mpd::static_mpd(
        &mpd::StaticPresentation {
            duration: Duration::from_secs(1),
            min_buffer_time: Duration::from_secs(1),
            profile: mpd::Profile::Live,
        },
        vec![],
    );
    assert!(matches!(
        mpd::apply_low_latency(&mut static_mpd, &ll),
        Err(DashError::Build { .. })
    ));
    let mut bad = mpd::dynamic_mpd(&live(), vec![]).unwrap();
    assert!(matches!(
        mpd::apply_low_latency(&mut bad, &ll),
        Err(DashError::Build { .. })
    ));
}

#[test]
fn periods_mark_discontinuities() {
    let t = tracks();
    let mut periods = Vec::new();
    for (i, start) in [0u64, 10, 25].into_iter().enumerate() {
        let mut v = mpd::representation("v", 500_000, &t[..1]).unwrap();
        v.SegmentTemplate =
            Some(mpd::timeline_template("i.mp4", "p$Time$.m4s", 1000, 0, &[2000; 5]).unwrap());
        periods.push(mpd::period(
            &format!("p{i}"),
            Duration::from_secs(start),
            None,
            vec![mpd::adaptation_set(0, vec![v])],
        ));
    }
    let m = mpd::static_mpd(
        &mpd::StaticPresentation {
            duration: Duration::from_secs(35),
            min_buffer_time: Duration::from_secs(2),
            profile: mpd::Profile::Live,
        },
        periods,
    );
    let back = mpd::parse(&mpd::write(&m).unwrap()).unwrap();
    let mut starts = Vec::new();
    for p in 0..3 {
        let rep = resolve(&back, "https://h.example/m.mpd", p, 0, 0, None).unwrap();
        starts.extend(rep.segments().map(|s| s.unwrap().start.as_secs_f64()));
    }
    // The middle Period lasts 15 s but holds 10 s of segments; the last
    // lasts 10 s.
    assert_eq!(
        starts,
        [
            0.0, 2.0, 4.0, 6.0, 8.0, 10.0, 12.0, 14.0, 16.0, 18.0, 25.0, 27.0, 29.0, 31.0, 33.0
        ]
    );
}

/// The `<MPD ...>` start tag of a written document, and where it ends.
fn root_tag(text: &str) -> (&str, usize) {
    let start = text.find("<MPD").unwrap();
    let end = start + text[start..].find('>').unwrap() + 1;
    (&text[start..end], end)
}

#[test]
fn the_mpd_start_tag_declares_only_the_namespaces_used() {
    // A low-latency live MPD: the longest start tag the builders write.
    let t = tracks();
    let mut v = mpd::representation("v", 500_000, &t[..1]).unwrap();
    v.SegmentTemplate = Some(
        mpd::timeline_template(
            "$RepresentationID$/init.mp4",
            "s-$Number$.m4s",
            15360,
            0,
            &[30720; 3],
        )
        .unwrap(),
    );
    let period = mpd::period(
        "0",
        Duration::ZERO,
        None,
        vec![mpd::adaptation_set(0, vec![v])],
    );
    let mut m = mpd::dynamic_mpd(&live(), vec![period]).unwrap();
    mpd::apply_low_latency(
        &mut m,
        &LowLatency {
            target_latency: Duration::from_millis(1500),
            min_latency: Duration::from_millis(750),
            max_latency: Duration::from_secs(3),
            availability_time_offset: 1.5,
            producer_reference: Some((0, Duration::from_secs(AST))),
        },
    )
    .unwrap();
    let text = mpd::write(&m).unwrap();
    let (root, end) = root_tag(&text);
    // GStreamer's type finder reads the first 512 bytes and needs the
    // whole start tag in them to take the document for an MPD.
    assert!(end <= 512, "{end}: {root}");
    assert!(
        root.starts_with(r#"<MPD xmlns="urn:mpeg:dash:schema:mpd:2011" "#),
        "{root}"
    );
    assert!(!text.contains("xmlns:"), "{root}");
    // Still an MPD without them.
    assert_eq!(mpd::parse(&text).unwrap().periods.len(), 1);
    // Prefixes in use keep their declaration: xsi (schemaLocation), xlink
    // (a remote Period), cenc (a default KID).
    let used = r#"<?xml version="1.0"?>
<MPD xmlns="urn:mpeg:dash:schema:mpd:2011" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
  xmlns:xlink="http://www.w3.org/1999/xlink" xmlns:cenc="urn:mpeg:cenc:2013"
  xsi:schemaLocation="urn:mpeg:dash:schema:mpd:2011 DASH-MPD.xsd" type="static"
  mediaPresentationDuration="PT4S" minBufferTime="PT2S">
  <Period id="remote" xlink:href="https://ads.example/p.xml"/>
  <Period id="1"><AdaptationSet>
    <ContentProtection schemeIdUri="urn:mpeg:dash:mp4protection:2011" value="cenc"
      cenc:default_KID="10000000-1000-1000-1000-100000000001"/>
    <Representation id="r" bandwidth="1"><BaseURL>r.mp4</BaseURL></Representation>
  </AdaptationSet></Period>
</MPD>"#;
    let written = mpd::write(&mpd::parse(used).unwrap()).unwrap();
    let (root, _) = root_tag(&written);
    for ns in [
        r#"xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance""#,
        r#"xmlns:xlink="http://www.w3.org/1999/xlink""#,
        r#"xmlns:cenc="urn:mpeg:cenc:2013""#,
    ] {
        assert!(root.contains(ns), "{ns} missing: {root}");
    }
    // The ones the model always writes and nothing uses are gone.
    assert!(
        !root.contains("xmlns:mspr") && !root.contains("xmlns:dvb"),
        "{root}"
    );
    // And what was written reads back the same.
    let again = mpd::parse(&written).unwrap();
    assert_eq!(mpd::write(&again).unwrap(), written);
}
