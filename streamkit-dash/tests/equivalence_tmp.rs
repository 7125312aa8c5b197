#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]
use bytes::Bytes;
use streamkit_core::clock::UnixTime;
use streamkit_core::mp4::Mp4File;
use streamkit_core::package::{Package, PackageConfig};
use streamkit_core::time::{MediaTime, Timescale};
use streamkit_dash::packager::{VodEvent, VodPackager, VodPackagerConfig};
use streamkit_dash::presentation::{Presentation, PresentationConfig};

#[test]
fn same_as_the_old_vod_packager() {
    for name in [
        "h264_aac.mp4",
        "h264_opus.mp4",
        "h265_aac.mp4",
        "h264_aac_moov_end.mp4",
    ] {
        let path = format!("{}/../tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
        let f = Mp4File::parse(Bytes::from(std::fs::read(path).unwrap())).unwrap();
        let two = MediaTime::new(2, Timescale::SECONDS);
        let mut old = VodPackager::for_mp4(&f, VodPackagerConfig::new(two)).unwrap();
        let mut new = Package::for_mp4(&f, PackageConfig::new(two)).unwrap();
        for s in f.samples() {
            old.push(s.clone()).unwrap();
            new.push(s).unwrap();
        }
        old.finish().unwrap();
        new.finish().unwrap();
        let mut mpd = None;
        while let Some(e) = old.poll() {
            match e {
                VodEvent::Manifest { text, .. } => mpd = Some(text),
                VodEvent::Segment(s) => assert_eq!(
                    new.resource(&s.resource.name)
                        .unwrap()
                        .chunks
                        .body()
                        .to_bytes(),
                    s.resource.bytes.to_bytes()
                ),
                VodEvent::Init(r) => assert_eq!(
                    new.resource(&r.name).unwrap().chunks.body().to_bytes(),
                    r.bytes.to_bytes()
                ),
                _ => {}
            }
        }
        let p = Presentation::new(&new, PresentationConfig::vod()).unwrap();
        assert_eq!(
            p.write(&new, UnixTime::EPOCH).unwrap(),
            mpd.unwrap(),
            "{name}"
        );
    }
}
