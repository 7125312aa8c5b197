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

/// All (name, bytes) of init and media segments, from either packager.
type Files = Vec<(String, Vec<u8>)>;

#[test]
fn dash_and_hls_packagers_make_the_same_files() {
    use streamkit_hls::packager::{
        Packager, PackagerConfig, PackagerEvent, RenditionLayout, SegmentFormat,
    };
    let file = file();
    let target = MediaTime::new(2, Timescale::SECONDS);

    let mut dash: Files = Vec::new();
    let mut p = VodPackager::for_mp4(&file, two_seconds()).unwrap();
    let take_dash = |p: &mut VodPackager, out: &mut Files| {
        while let Some(e) = p.poll() {
            match e {
                VodEvent::Init(r) => out.push((r.name, r.bytes.to_bytes().to_vec())),
                VodEvent::Segment(s) => {
                    out.push((s.resource.name, s.resource.bytes.to_bytes().to_vec()))
                }
                _ => {}
            }
        }
    };
    for s in file.samples() {
        p.push(s).unwrap();
        take_dash(&mut p, &mut dash);
    }
    p.finish().unwrap();
    take_dash(&mut p, &mut dash);

    let mut hls: Files = Vec::new();
    let config =
        PackagerConfig::vod(SegmentFormat::Fmp4, target).with_layout(RenditionLayout::PerTrack);
    let mut p = Packager::for_mp4(&file, config).unwrap();
    let take_hls = |p: &mut Packager, out: &mut Files| {
        while let Some(e) = p.poll() {
            match e {
                PackagerEvent::InitSegment(r) => out.push((r.name, r.body.to_bytes().to_vec())),
                PackagerEvent::Segment(s) => {
                    out.push((s.resource.name, s.resource.body.to_bytes().to_vec()))
                }
                _ => {}
            }
        }
    };
    for s in file.samples() {
        p.push(s).unwrap();
        take_hls(&mut p, &mut hls);
    }
    p.finish().unwrap();
    take_hls(&mut p, &mut hls);

    dash.sort();
    hls.sort();
    let names = |f: &Files| f.iter().map(|(n, _)| n.clone()).collect::<Vec<_>>();
    assert_eq!(names(&dash), names(&hls));
    assert_eq!(dash.len(), 12);
    for ((name, d), (_, h)) in dash.iter().zip(&hls) {
        assert!(
            d == h,
            "{name}: {} bytes from the DASH packager, {} from HLS",
            d.len(),
            h.len()
        );
    }
}
