//! Runs the fuzz target of streamkit-dash (`streamkit_dash::fuzz`, called
//! by `fuzz/` at the repository root) over seeds: a live-profile VOD MPD
//! written for a fixture's video track, a dynamic SegmentTimeline MPD, both
//! cut short, and edge inputs. Cheap, so the target's checks run on every
//! test run and not only under libFuzzer.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

use core::time::Duration;

use bytes::Bytes;
use streamkit_core::mp4::Mp4File;
use streamkit_dash::fuzz;
use streamkit_dash::mpd::{self, Profile, StaticPresentation};
use streamkit_dash::resolve::resolve;

fn static_mpd() -> String {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../tests/fixtures/h264_aac.mp4"
    );
    let file = Mp4File::parse(Bytes::from(std::fs::read(path).unwrap())).unwrap();
    let video = file.tracks()[0].to_track().unwrap();
    let mut rep = mpd::representation("v", 400_000, &[video]).unwrap();
    rep.SegmentTemplate = Some(
        mpd::timeline_template(
            "init-$RepresentationID$.mp4",
            "seg-$RepresentationID$-$Number$.m4s",
            15360,
            0,
            &[30720; 5],
        )
        .unwrap(),
    );
    let period = mpd::period(
        "0",
        Duration::ZERO,
        None,
        vec![mpd::adaptation_set(0, vec![rep])],
    );
    let presentation = StaticPresentation {
        duration: Duration::from_secs(10),
        min_buffer_time: Duration::from_secs(2),
        profile: Profile::Live,
    };
    mpd::write(&mpd::static_mpd(&presentation, vec![period])).unwrap()
}

const DYNAMIC: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<MPD xmlns="urn:mpeg:dash:schema:mpd:2011" type="dynamic" profiles="urn:mpeg:dash:profile:isoff-live:2011"
     availabilityStartTime="2023-11-14T22:00:00Z" minimumUpdatePeriod="PT2S" timeShiftBufferDepth="PT30S"
     minBufferTime="PT2S">
  <Period id="0" start="PT0S">
    <AdaptationSet id="0" contentType="video" mimeType="video/mp4" segmentAlignment="true">
      <Representation id="v" bandwidth="400000" codecs="avc1.64000d" width="320" height="240">
        <SegmentTemplate timescale="1000" duration="2000" startNumber="1"
                         initialization="init-$RepresentationID$.mp4" media="seg-$RepresentationID$-$Number%05d$.m4s"/>
      </Representation>
    </AdaptationSet>
  </Period>
</MPD>
"#;

#[test]
fn written_and_dynamic_mpds_pass_the_target() {
    let written = static_mpd();
    for text in [written.as_str(), DYNAMIC] {
        // Each seed reads and resolves, so the target reaches its walk.
        let m = mpd::parse(text).unwrap();
        let now = Duration::from_secs(1_700_000_000);
        let rep = resolve(&m, "https://cdn.example/m.mpd", 0, 0, 0, Some(now)).unwrap();
        assert!(rep.segments().next().is_some());
        fuzz::mpd(text.as_bytes());
        for cut in [10, text.len() / 2, text.len() - 8] {
            fuzz::mpd(&text.as_bytes()[..cut]);
        }
    }
}

#[test]
fn edge_inputs_pass_the_target() {
    let inputs: &[&[u8]] = &[
        b"",
        b"<MPD/>",
        b"<MPD type=\"dynamic\"><Period/></MPD>",
        b"<MPD><Period><AdaptationSet><Representation id=\"a\"><SegmentTemplate timescale=\"0\" duration=\"1\" media=\"$Number$\"/></Representation></AdaptationSet></Period></MPD>",
        b"\xff\xfe<",
        b"<Period id=\"a\"><AdaptationSet><Representation id=\"r\"><SegmentTemplate media=\"$Number$\" duration=\"1\" presentationTimeOffset=\"-3\"/></Representation></AdaptationSet></Period>",
        b"<EventStream schemeIdUri=\"u\" presentationTimeOffset='-1'><Event/></EventStream>",
        b"<MPD><Period><SegmentBase presentationTimeOffset=\"-9223372036854775808\"/></Period></MPD>",
    ];
    for data in inputs {
        fuzz::mpd(data);
    }
}
