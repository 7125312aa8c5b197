#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]
use bytes::Bytes;
use streamkit_core::mp4::Mp4File;
use streamkit_core::package::{Container, Package, PackageConfig, RenditionSpec};
use streamkit_core::time::{MediaTime, Timescale};
use streamkit_hls::packager::{
    Packager, PackagerConfig, PackagerEvent, PlaylistKind as OldKind, SegmentFormat,
};
use streamkit_hls::presentation::{PlaylistKind, Presentation, PresentationConfig};

fn file(name: &str) -> Mp4File {
    let path = format!("{}/../tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    Mp4File::parse(Bytes::from(std::fs::read(path).unwrap())).unwrap()
}

fn compare(name: &str, format: SegmentFormat, ll: bool, kind: OldKind) {
    let f = file(name);
    let two = MediaTime::new(2, Timescale::SECONDS);
    let half = MediaTime::new(500, Timescale::MILLIS);
    let mut oc = PackagerConfig::vod(format, two).with_kind(kind);
    let mut nc = PackageConfig::new(two);
    if ll {
        oc = oc.with_part_target(half);
        nc = nc.with_part_target(half);
    }
    let (tracks, _) = f.tracks_and_shifts();
    if format == SegmentFormat::Ts {
        nc = nc.with_renditions(vec![RenditionSpec::muxed(
            "main",
            Container::MpegTs,
            &tracks,
        )]);
    }
    let mut old = Packager::for_mp4(&f, oc).unwrap();
    let mut new = Package::for_mp4(&f, nc).unwrap();
    let pk = match kind {
        OldKind::Vod => PlaylistKind::Vod,
        OldKind::Event => PlaylistKind::Event,
        OldKind::Live { window } => PlaylistKind::Live { window },
    };
    let pres = Presentation::new(&new, PresentationConfig::vod().with_kind(pk)).unwrap();
    let mut old_lists: Vec<Option<String>> = vec![None; pres.renditions().len()];
    let mut old_master = None;
    let mut old_res = std::collections::HashMap::new();
    let mut check = |old: &mut Packager,
                     new: &Package,
                     old_lists: &mut Vec<Option<String>>,
                     old_master: &mut Option<String>,
                     at: &str| {
        while let Some(e) = old.poll() {
            match e {
                PackagerEvent::MediaPlaylist {
                    rendition,
                    playlist,
                    ..
                } => old_lists[rendition] = Some(playlist.to_m3u8().unwrap()),
                PackagerEvent::MultivariantPlaylist { playlist, .. } => {
                    *old_master = Some(playlist.to_m3u8().unwrap())
                }
                PackagerEvent::Segment(s) => {
                    old_res.insert(s.resource.name, s.resource.body.to_bytes());
                }
                PackagerEvent::Part(p) => {
                    old_res.insert(p.resource.name, p.resource.body.to_bytes());
                }
                PackagerEvent::InitSegment(r) => {
                    old_res.insert(r.name, r.body.to_bytes());
                }
                _ => {}
            }
        }
        for (i, o) in old_lists.iter().enumerate() {
            if let Some(o) = o.as_ref().filter(|o| o.contains("#EXTINF")) {
                let n = pres.media_playlist(new, i).unwrap().to_m3u8().unwrap();
                assert_eq!(
                    &n, o,
                    "{name} {format:?} ll={ll} {kind:?} rendition {i} at {at}"
                );
            }
        }
        if let Some(m) = old_master {
            let n = pres.multivariant_playlist(new).to_m3u8().unwrap();
            assert_eq!(&n, m, "{name} {format:?} master at {at}");
        }
    };
    for (k, s) in f.samples().enumerate() {
        old.push(s.clone()).unwrap();
        new.push(s).unwrap();
        while new.poll_event().is_some() {}
        check(
            &mut old,
            &new,
            &mut old_lists,
            &mut old_master,
            &format!("sample {k}"),
        );
    }
    old.finish().unwrap();
    new.finish().unwrap();
    check(&mut old, &new, &mut old_lists, &mut old_master, "finish");
    for (n, b) in &old_res {
        let v = new
            .resource(n)
            .unwrap_or_else(|| panic!("{name}: {n} missing"));
        assert_eq!(&v.chunks.body().to_bytes(), b, "{name}: {n} bytes differ");
    }
}

#[test]
fn same_as_the_old_packager() {
    for name in [
        "h264_aac.mp4",
        "h264_opus.mp4",
        "h265_aac.mp4",
        "h264_aac_moov_end.mp4",
    ] {
        compare(name, SegmentFormat::Fmp4, false, OldKind::Vod);
        compare(name, SegmentFormat::Ts, false, OldKind::Vod);
        compare(name, SegmentFormat::Fmp4, true, OldKind::Live { window: 3 });
        compare(name, SegmentFormat::Fmp4, true, OldKind::Event);
    }
}
