//! A codec configuration that changes mid-stream, as DASH lists it: a new
//! Period from the first segment of the new configuration, whose
//! Representations name the new init segment and describe the new
//! configuration, the old Period keeping the old ones until its segments
//! leave the time-shift window.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::Duration;

use bytes::Bytes;
use streamkit_core::clock::UnixTime;
use streamkit_core::codec::CodecConfig;
use streamkit_core::mp4::Mp4File;
use streamkit_core::package::{Package, PackageConfig};
use streamkit_core::time::{MediaTime, Timescale};
use streamkit_dash::presentation::{Presentation, PresentationConfig};

fn file() -> Mp4File {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../tests/fixtures/h264_aac.mp4"
    );
    Mp4File::parse(Bytes::from(std::fs::read(path).unwrap())).unwrap()
}

/// The fixture looped three times (2 s GOPs and segments, 500 ms parts);
/// from the second loop on (10 s) the video has another configuration.
/// `each` sees every state.
fn run(mut each: impl FnMut(&Package)) {
    let file = file();
    let config = PackageConfig::new(MediaTime::new(2, Timescale::SECONDS))
        .with_part_target(MediaTime::new(500, Timescale::MILLIS))
        .with_window(8);
    let mut package = Package::for_mp4(&file, config).unwrap();
    package.set_wall_clock(
        MediaTime::zero(Timescale::MILLIS),
        UnixTime::from_unix_millis(1_700_000_000_000),
    );
    let mut changed = package.renditions()[0].tracks[0].clone();
    if let CodecConfig::H264(avc) = &mut changed.codec {
        avc.level_idc += 1;
    }
    for k in 0..3i64 {
        if k == 1 {
            package.change_track(changed.clone()).unwrap();
        }
        for mut s in file
            .samples()
            .filter(|s| s.end_dts() <= 10 * i64::from(s.timescale.hz()))
        {
            s.dts += k * 10 * i64::from(s.timescale.hz());
            package.push(s).unwrap();
            while package.poll_event().is_some() {}
            each(&package);
        }
    }
}

/// `(Period@id, Period@start, [(Representation@id, codecs, init, PTO,
/// startNumber, segments)])` of every Period.
type Periods = Vec<(
    String,
    Duration,
    Vec<(String, String, String, Option<u64>, u64, usize)>,
)>;

fn periods(dash: &Presentation, package: &Package) -> Periods {
    let mpd = dash
        .mpd(package, UnixTime::from_unix_millis(1_700_000_100_000))
        .unwrap();
    mpd.periods
        .iter()
        .map(|p| {
            let reps = p
                .adaptations
                .iter()
                .flat_map(|a| a.representations.iter())
                .map(|r| {
                    let t = r.SegmentTemplate.as_ref().unwrap();
                    let n: usize = t
                        .SegmentTimeline
                        .as_ref()
                        .unwrap()
                        .segments
                        .iter()
                        .map(|s| 1 + usize::try_from(s.r.unwrap_or(0)).unwrap())
                        .sum();
                    (
                        r.id.clone().unwrap(),
                        r.codecs.clone().unwrap(),
                        t.initialization.clone().unwrap(),
                        t.presentationTimeOffset,
                        t.startNumber.unwrap(),
                        n,
                    )
                })
                .collect();
            (p.id.clone().unwrap(), p.start.unwrap(), reps)
        })
        .collect()
}

#[test]
fn the_new_configuration_starts_a_period() {
    let live = PresentationConfig::live(Duration::from_secs(2));
    let low = PresentationConfig::live(Duration::from_secs(2))
        .with_low_latency(Duration::from_millis(1500));
    let mut seen = [false; 3];
    let mut dash: Option<(Presentation, Presentation)> = None;
    run(|package| {
        let (dash, ll) = dash.get_or_insert_with(|| {
            (
                Presentation::new(package, live.clone()).unwrap(),
                Presentation::new(package, low.clone()).unwrap(),
            )
        });
        let complete = package.segments().back().map(|s| s.sequence);
        let open = package.open_segment().map(|o| o.sequence);
        let old = "avc1.64000d";
        let new = "avc1.64000e";
        if complete == Some(3) && !seen[0] {
            seen[0] = true;
            let p = periods(dash, package);
            assert_eq!(p.len(), 1);
            assert_eq!(p[0].0, "0");
            assert_eq!(p[0].1, Duration::ZERO);
            assert_eq!(p[0].2[0].1, old);
            assert_eq!(p[0].2[0].2, "$RepresentationID$/init.mp4");
        }
        if complete == Some(4) && open == Some(5) && !seen[1] {
            // Low latency lists the segment being made, in its own Period.
            seen[1] = true;
            let p = periods(ll, package);
            assert_eq!(p.len(), 2, "{p:?}");
            assert_eq!(p[1].0, "1");
            assert_eq!(p[1].1, Duration::from_secs(10));
            let video = &p[1].2[0];
            assert_eq!(video.1, new);
            assert_eq!(video.2, "$RepresentationID$/init-1.mp4");
            assert_eq!(video.3, Some(10 * 15_360));
            assert_eq!((video.4, video.5), (5, 1));
            let audio = &p[1].2[1];
            assert_eq!(audio.2, "$RepresentationID$/init.mp4");
            assert_eq!(audio.3, Some(10 * 44_100));
            assert_eq!((audio.4, audio.5), (5, 1));
        }
        if complete == Some(7) && !seen[2] {
            seen[2] = true;
            // 12 s of time-shift buffer: segments 2 to 7.
            let p = periods(dash, package);
            assert_eq!(p.len(), 2, "{p:?}");
            let first = &p[0].2[0];
            assert_eq!((first.1.as_str(), first.4, first.5), (old, 2, 3));
            assert_eq!(first.3, None);
            let second = &p[1].2[0];
            assert_eq!((second.1.as_str(), second.4, second.5), (new, 5, 3));
        }
        if complete == Some(10) {
            // The old Period left with its segments.
            let p = periods(dash, package);
            assert_eq!(p.len(), 1, "{p:?}");
            assert_eq!(p[0].0, "1");
            assert_eq!(p[0].1, Duration::from_secs(10));
        }
    });
    assert_eq!(seen, [true; 3]);
}
