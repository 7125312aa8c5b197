//! The DASH presentation over a package: names from the caller reach the
//! files and the templates, every segment the MPD addresses is a file of
//! the package, and bad input is refused with a typed error.
#![allow(clippy::unwrap_used)] // test helpers outside #[test] fns

use bytes::Bytes;
use streamkit_core::clock::UnixTime;
use streamkit_core::mp4::Mp4File;
use streamkit_core::package::{Container, Naming, Package, PackageConfig, RenditionSpec};
use streamkit_core::time::{MediaTime, Timescale};
use streamkit_dash::DashError;
use streamkit_dash::presentation::{Presentation, PresentationConfig};
use streamkit_dash::resolve::resolve;

fn file() -> Mp4File {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../tests/fixtures/h264_aac.mp4"
    );
    Mp4File::parse(Bytes::from(std::fs::read(path).unwrap())).unwrap()
}

fn two_seconds() -> PackageConfig {
    PackageConfig::new(MediaTime::new(2, Timescale::SECONDS))
}

fn packaged(config: PackageConfig) -> Package {
    let file = file();
    let mut p = Package::for_mp4(&file, config).unwrap();
    for s in file.samples() {
        p.push(s).unwrap();
    }
    p.finish().unwrap();
    p
}

#[test]
fn caller_names_reach_files_and_templates() {
    let naming = Naming {
        init: "header.m4i".into(),
        segment_prefix: "chunk_".into(),
        cmaf_extension: "cmfv".into(),
        ..Naming::default()
    };
    let package = packaged(two_seconds().with_naming(naming));
    let names: Vec<String> = package.resources().map(|(n, _)| n).collect();
    assert_eq!(
        &names[..4],
        [
            "video/header.m4i",
            "audio/header.m4i",
            "video/chunk_0.cmfv",
            "audio/chunk_0.cmfv"
        ]
    );
    let dash = Presentation::new(
        &package,
        PresentationConfig::vod().with_manifest("stream.mpd"),
    )
    .unwrap();
    assert_eq!(dash.manifest_name(), "stream.mpd");
    let manifest = dash.write(&package, UnixTime::EPOCH).unwrap();
    assert!(
        manifest.contains(r#"media="$RepresentationID$/chunk_$Number$.cmfv" initialization="$RepresentationID$/header.m4i""#),
        "{manifest}"
    );
    assert!(manifest.contains(r#"startNumber="0""#), "{manifest}");
}

#[test]
fn every_addressed_segment_is_a_file_of_the_package() {
    let package = packaged(two_seconds());
    let dash = Presentation::new(&package, PresentationConfig::vod()).unwrap();
    let mpd = dash.mpd(&package, UnixTime::EPOCH).unwrap();
    let base = "http://o.example/vod/manifest.mpd";
    let mut count = 0;
    for set in 0..2 {
        let rep = resolve(&mpd, base, 0, set, 0, None).unwrap();
        let init = rep.initialization.as_ref().unwrap().url.clone();
        let name = init.strip_prefix("http://o.example/vod/").unwrap();
        assert!(package.resource(name).is_some(), "{name}");
        for seg in rep.segments() {
            let seg = seg.unwrap();
            let name = seg.url.strip_prefix("http://o.example/vod/").unwrap();
            let view = package
                .resource(name)
                .unwrap_or_else(|| panic!("{name} not in the package"));
            assert!(view.complete);
            count += 1;
        }
    }
    // Five segments per rendition, every one addressed.
    assert_eq!(count, 10);
}

#[test]
fn bad_input_is_refused() {
    let file = file();
    let (tracks, shifts) = file.tracks_and_shifts();
    let ts = RenditionSpec::muxed("ts", Container::MpegTs, &tracks);
    let package = Package::new(&tracks, &shifts, two_seconds().with_renditions(vec![ts])).unwrap();
    assert!(matches!(
        Presentation::new(&package, PresentationConfig::vod()),
        Err(DashError::Build { .. })
    ));
    assert!(matches!(
        Presentation::new(
            &package,
            PresentationConfig::vod().with_renditions_named(["ts"])
        ),
        Err(DashError::Rendition {
            reason: "not a CMAF rendition",
            ..
        })
    ));
    let package = Package::new(&tracks, &shifts, two_seconds()).unwrap();
    assert!(matches!(
        Presentation::new(
            &package,
            PresentationConfig::vod().with_renditions_named(["subtitles"])
        ),
        Err(DashError::Rendition {
            reason: "not in the package",
            ..
        })
    ));
    // A static MPD needs the whole presentation.
    let dash = Presentation::new(&package, PresentationConfig::vod()).unwrap();
    assert!(matches!(
        dash.mpd(&package, UnixTime::EPOCH),
        Err(DashError::Dynamic { .. })
    ));
    // Low latency needs parts.
    assert!(matches!(
        Presentation::new(
            &package,
            PresentationConfig::live(std::time::Duration::from_secs(2))
                .with_low_latency(std::time::Duration::from_secs(1))
        ),
        Err(DashError::Build { .. })
    ));
}
