//! The VOD packager's contract: names from the caller, typed refusals.
#![allow(clippy::unwrap_used)] // test helpers outside #[test] fns

use bytes::Bytes;
use streamkit_core::mp4::Mp4File;
use streamkit_core::time::{MediaTime, Timescale};
use streamkit_dash::packager::{Naming, PackagerError, VodEvent, VodPackager, VodPackagerConfig};

fn file() -> Mp4File {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../tests/fixtures/h264_aac.mp4"
    );
    Mp4File::parse(Bytes::from(std::fs::read(path).unwrap())).unwrap()
}

fn two_seconds() -> VodPackagerConfig {
    VodPackagerConfig::new(MediaTime::new(2, Timescale::SECONDS))
}

#[test]
fn caller_names_reach_files_and_templates() {
    let file = file();
    let naming = Naming {
        manifest: "stream.mpd".into(),
        init: "header.m4i".into(),
        segment_prefix: "chunk_".into(),
        segment_extension: "cmfv".into(),
        first_number: 1,
    };
    let mut p = VodPackager::for_mp4(&file, two_seconds().with_naming(naming)).unwrap();
    assert_eq!(p.rendition_names().collect::<Vec<_>>(), ["video", "audio"]);
    let mut names = Vec::new();
    let mut manifest = String::new();
    for s in file.samples() {
        p.push(s).unwrap();
    }
    p.finish().unwrap();
    while let Some(e) = p.poll() {
        if let VodEvent::Manifest { text, .. } = &e {
            manifest = text.clone();
        }
        names.push(e.name().to_owned());
    }
    assert_eq!(
        &names[..4],
        [
            "video/header.m4i",
            "audio/header.m4i",
            "video/chunk_1.cmfv",
            "audio/chunk_1.cmfv"
        ]
    );
    assert_eq!(names.last().unwrap(), "stream.mpd");
    assert!(manifest.contains(r#"media="$RepresentationID$/chunk_$Number$.cmfv" initialization="$RepresentationID$/header.m4i""#), "{manifest}");
    // @startNumber 1 is the default and is not written.
    assert!(!manifest.contains("startNumber"));
    assert_eq!(
        p.push(file.samples().next().unwrap()),
        Err(PackagerError::Finished)
    );
    assert_eq!(p.finish(), Err(PackagerError::Finished));
}

#[test]
fn bad_input_is_refused() {
    let file = file();
    let naming = Naming {
        segment_prefix: "seg$".into(),
        ..Naming::default()
    };
    assert!(matches!(
        VodPackager::for_mp4(&file, two_seconds().with_naming(naming)),
        Err(PackagerError::InvalidName { .. })
    ));
    assert!(matches!(
        VodPackager::new(&[], &[], two_seconds()),
        Err(PackagerError::TrackCount { count: 0 })
    ));
    // Only the video track: an audio sample is of an unknown track.
    let video = file.tracks()[0].to_track().unwrap();
    let mut p = VodPackager::new(&[video], &[], two_seconds()).unwrap();
    let audio = file.samples().find(|s| s.track_id == 2).unwrap();
    assert_eq!(
        p.push(audio),
        Err(PackagerError::UnknownTrack {
            track_id: 2,
            dts: 0
        })
    );
}
