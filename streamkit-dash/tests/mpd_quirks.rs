//! MPDs as they come in the wild, one test per quirk: a negative
//! `@presentationTimeOffset` (read as 0 with a warning, not refused), and
//! remote elements (a document whose root is `<Period>` or
//! `<EventStream>`: refused by the MPD reader with a typed error, read by
//! the remote-element reader and put in the referencing element's place).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

use core::time::Duration;

use proptest::prelude::*;
use streamkit_dash::DashError;
use streamkit_dash::mpd::{self, MpdWarning};
use streamkit_dash::remote;
use streamkit_dash::resolve::resolve;

const URL: &str = "https://cdn.example/vod/manifest.mpd";

/// A static MPD of one 8 s Period whose SegmentTemplate (2 s segments at
/// 1 kHz) has the presentationTimeOffset `pto`.
fn template_mpd(pto: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<MPD xmlns="urn:mpeg:dash:schema:mpd:2011" type="static" mediaPresentationDuration="PT8S" minBufferTime="PT2S">
  <Period id="0" duration="PT8S">
    <AdaptationSet mimeType="video/mp4">
      <Representation id="v" bandwidth="1000">
        <SegmentTemplate timescale="1000" duration="2000" startNumber="1" presentationTimeOffset="{pto}" media="v-$Number$.m4s"/>
      </Representation>
    </AdaptationSet>
  </Period>
</MPD>"#
    )
}

#[test]
fn negative_presentation_time_offset_in_a_segment_template() {
    let text = template_mpd("-5000");
    let (m, warnings) = mpd::parse_with_warnings(&text).unwrap();
    assert_eq!(
        warnings,
        [MpdWarning::NegativePresentationTimeOffset {
            element: "SegmentTemplate".into(),
            offset: text.find("-5000").unwrap(),
            value: -5000
        }]
    );
    assert_eq!(
        warnings[0].to_string(),
        format!(
            "SegmentTemplate@presentationTimeOffset=\"-5000\" at byte {} is negative; read as 0",
            text.find("-5000").unwrap()
        )
    );
    let template = m.periods[0].adaptations[0].representations[0]
        .SegmentTemplate
        .as_ref()
        .unwrap();
    assert_eq!(template.presentationTimeOffset, Some(0));
    // The MPD is what the same text with 0 reads as, and its segments
    // resolve as they would there.
    assert_eq!(m, mpd::parse(&template_mpd("0")).unwrap());
    let rep = resolve(&m, URL, 0, 0, 0, None).unwrap();
    let segments: Vec<_> = rep.segments().collect::<Result<_, _>>().unwrap();
    assert_eq!(
        segments
            .iter()
            .map(|s| (s.number, s.url.as_str(), s.time, s.duration))
            .collect::<Vec<_>>(),
        [
            (1, "https://cdn.example/vod/v-1.m4s", 0, 2000),
            (2, "https://cdn.example/vod/v-2.m4s", 2000, 2000),
            (3, "https://cdn.example/vod/v-3.m4s", 4000, 2000),
            (4, "https://cdn.example/vod/v-4.m4s", 6000, 2000),
        ]
    );
    // Written back, it is 0 and reads without warning.
    let written = mpd::write(&m).unwrap();
    assert!(written.contains(r#"presentationTimeOffset="0""#));
    assert_eq!(mpd::parse_with_warnings(&written).unwrap().1, []);
    // Positive values are untouched.
    let (m, warnings) = mpd::parse_with_warnings(&template_mpd("5000")).unwrap();
    assert!(warnings.is_empty());
    assert_eq!(
        m.periods[0].adaptations[0].representations[0]
            .SegmentTemplate
            .as_ref()
            .unwrap()
            .presentationTimeOffset,
        Some(5000)
    );
}

#[test]
fn negative_presentation_time_offset_in_segment_base_and_event_stream() {
    let text = r#"<MPD xmlns="urn:mpeg:dash:schema:mpd:2011" type="static" mediaPresentationDuration="PT4S" minBufferTime="PT1S">
  <Period duration='PT4S'>
    <EventStream schemeIdUri="urn:example:ad" timescale="90000" presentationTimeOffset='-90000'>
      <Event presentationTime="0" duration="90000" id="1"/>
    </EventStream>
    <AdaptationSet mimeType="audio/mp4">
      <Representation id="a" bandwidth="64000">
        <BaseURL>a.mp4</BaseURL>
        <SegmentBase timescale="48000" presentationTimeOffset = "-1024" indexRange="800-1000"/>
      </Representation>
    </AdaptationSet>
  </Period>
</MPD>"#;
    let (m, warnings) = mpd::parse_with_warnings(text).unwrap();
    assert_eq!(
        warnings,
        [
            MpdWarning::NegativePresentationTimeOffset {
                element: "EventStream".into(),
                offset: text.find("-90000").unwrap(),
                value: -90_000
            },
            MpdWarning::NegativePresentationTimeOffset {
                element: "SegmentBase".into(),
                offset: text.find("-1024").unwrap(),
                value: -1024
            }
        ]
    );
    let period = &m.periods[0];
    assert_eq!(period.event_streams[0].presentationTimeOffset, Some(0));
    assert_eq!(period.event_streams[0].event.len(), 1);
    let base = period.adaptations[0].representations[0]
        .SegmentBase
        .as_ref()
        .unwrap();
    assert_eq!(base.presentationTimeOffset, Some(0));
    assert_eq!(base.indexRange.as_deref(), Some("800-1000"));
    // mpd::parse reads the same MPD, without the report.
    assert_eq!(mpd::parse(text).unwrap(), m);
}

#[test]
fn a_remote_period_is_not_read_as_an_empty_mpd() {
    // What a remote Period reference resolves to (the shape of ISO/IEC
    // 23009-1 Annex G's examples).
    let fragment = r#"<?xml version="1.0" encoding="UTF-8"?>
<!-- ad break -->
<Period xmlns="urn:mpeg:dash:schema:mpd:2011" id="ad-1" duration="PT10S">
  <AdaptationSet mimeType="video/mp4">
    <Representation id="ad-v" bandwidth="500000">
      <SegmentTemplate timescale="1000" duration="2000" media="ad-$Number$.m4s" presentationTimeOffset="-2000"/>
    </Representation>
  </AdaptationSet>
</Period>"#;
    let offset = fragment.find("<Period").unwrap();
    assert_eq!(
        mpd::parse(fragment).unwrap_err(),
        DashError::UnexpectedRoot {
            found: "Period".into(),
            offset,
            expected: "MPD"
        }
    );
    assert_eq!(
        mpd::parse(fragment).unwrap_err().to_string(),
        format!("top-level element <Period> at byte {offset}: expected <MPD>")
    );
    let (periods, warnings) = remote::periods(fragment).unwrap();
    assert_eq!(periods.len(), 1);
    assert_eq!(periods[0].id.as_deref(), Some("ad-1"));
    assert_eq!(periods[0].duration, Some(Duration::from_secs(10)));
    let rep = &periods[0].adaptations[0].representations[0];
    assert_eq!(rep.id.as_deref(), Some("ad-v"));
    assert_eq!(
        rep.SegmentTemplate.as_ref().unwrap().presentationTimeOffset,
        Some(0)
    );
    assert_eq!(
        warnings,
        [MpdWarning::NegativePresentationTimeOffset {
            element: "SegmentTemplate".into(),
            offset: fragment.find("-2000").unwrap(),
            value: -2000
        }]
    );
}

#[test]
fn a_remote_event_stream_is_not_read_as_an_empty_mpd() {
    let fragment = r#"<EventStream xmlns="urn:mpeg:dash:schema:mpd:2011" schemeIdUri="urn:scte:scte35:2014:xml+bin" timescale="90000">
  <Event presentationTime="900000" duration="2700000" id="7"/>
  <Event presentationTime="3600000" duration="2700000" id="8"/>
</EventStream>"#;
    assert_eq!(
        mpd::parse(fragment).unwrap_err(),
        DashError::UnexpectedRoot {
            found: "EventStream".into(),
            offset: 0,
            expected: "MPD"
        }
    );
    let (streams, warnings) = remote::event_streams(fragment).unwrap();
    assert!(warnings.is_empty());
    assert_eq!(streams.len(), 1);
    assert_eq!(streams[0].schemeIdUri, "urn:scte:scte35:2014:xml+bin");
    assert_eq!(streams[0].timescale, Some(90_000));
    let events: Vec<_> = streams[0]
        .event
        .iter()
        .map(|e| (e.id.as_deref(), e.presentationTime))
        .collect();
    assert_eq!(
        events,
        [(Some("7"), Some(900_000)), (Some("8"), Some(3_600_000))]
    );
}

#[test]
fn fragments_hold_zero_or_more_elements_of_one_kind() {
    assert_eq!(remote::periods("").unwrap().0, []);
    assert_eq!(
        remote::periods("<?xml version=\"1.0\"?>\n<!-- nothing -->\n")
            .unwrap()
            .0,
        []
    );
    let (two, _) = remote::periods("<Period id=\"a\"/><Period id=\"b\"/>").unwrap();
    assert_eq!(
        two.iter().map(|p| p.id.as_deref()).collect::<Vec<_>>(),
        [Some("a"), Some("b")]
    );
    // An MPD, or another element, is not a remote Period.
    assert_eq!(
        remote::periods(&template_mpd("0")).unwrap_err(),
        DashError::UnexpectedRoot {
            found: "MPD".into(),
            offset: template_mpd("0").find("<MPD").unwrap(),
            expected: "Period"
        }
    );
    assert_eq!(
        remote::periods("<Period/><AdaptationSet/>").unwrap_err(),
        DashError::UnexpectedRoot {
            found: "AdaptationSet".into(),
            offset: 9,
            expected: "Period"
        }
    );
    assert_eq!(
        remote::event_streams("<Period/>").unwrap_err(),
        DashError::UnexpectedRoot {
            found: "Period".into(),
            offset: 0,
            expected: "EventStream"
        }
    );
    // An MPD followed by a second top-level element is refused too.
    let text = format!("{}<Period/>", template_mpd("0"));
    assert!(matches!(
        mpd::parse(&text),
        Err(DashError::UnexpectedRoot { found, expected: "MPD", .. }) if found == "Period"
    ));
    // Values the model refuses are Parse errors with the element path.
    assert!(matches!(
        remote::periods("<Period start=\"soon\"/>"),
        Err(DashError::Parse { .. })
    ));
}

#[test]
fn resolving_replaces_the_referencing_element() {
    let text = r#"<MPD xmlns="urn:mpeg:dash:schema:mpd:2011" xmlns:xlink="http://www.w3.org/1999/xlink" type="static" mediaPresentationDuration="PT30S" minBufferTime="PT2S">
  <Period id="p0" duration="PT10S"/>
  <Period xlink:href="https://ads.example/a.xml" xlink:actuate="onLoad"/>
  <Period id="p2" duration="PT10S">
    <EventStream xlink:href="https://ads.example/events.xml" schemeIdUri="urn:x"/>
  </Period>
</MPD>"#;
    let mut m = mpd::parse(text).unwrap();
    let ids = |m: &mpd::MPD| {
        m.periods
            .iter()
            .map(|p| p.id.clone().unwrap_or_default())
            .collect::<Vec<_>>()
    };
    // A fragment that cannot be read leaves the MPD as it was.
    let before = m.clone();
    assert!(remote::resolve_period(&mut m, 1, "<MPD/>").is_err());
    assert_eq!(m, before);
    assert_eq!(
        remote::resolve_period(&mut m, 3, "").unwrap_err(),
        DashError::InvalidValue {
            what: "Period index",
            value: "3".into()
        }
    );
    // Two Periods in place of one.
    let warnings = remote::resolve_period(
        &mut m,
        1,
        "<Period id=\"ad1\" duration=\"PT5S\"/><Period id=\"ad2\" duration=\"PT5S\"/>",
    )
    .unwrap();
    assert!(warnings.is_empty());
    assert_eq!(ids(&m), ["p0", "ad1", "ad2", "p2"]);
    // A resolved Period that resolves to zero is removed.
    remote::resolve_period(
        &mut m,
        2,
        "<Period xmlns:xlink=\"http://www.w3.org/1999/xlink\" xlink:href=\"urn:mpeg:dash:resolve-to-zero:2013\"/>",
    )
    .unwrap();
    assert_eq!(ids(&m), ["p0", "ad1", "p2"]);
    // The EventStream of the last Period.
    let period = &mut m.periods[2];
    let fragment = "<EventStream schemeIdUri=\"urn:x\" presentationTimeOffset=\"-10\"><Event id=\"e\"/></EventStream>";
    let warnings = remote::resolve_event_stream(period, 0, fragment).unwrap();
    assert_eq!(
        warnings,
        [MpdWarning::NegativePresentationTimeOffset {
            element: "EventStream".into(),
            offset: fragment.find("-10").unwrap(),
            value: -10
        }]
    );
    assert_eq!(period.event_streams.len(), 1);
    assert_eq!(period.event_streams[0].href, None);
    assert_eq!(period.event_streams[0].event[0].id.as_deref(), Some("e"));
    // And an empty fragment removes it.
    remote::resolve_event_stream(period, 0, "").unwrap();
    assert!(period.event_streams.is_empty());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    /// Any negative offset on any of the four elements that carry it reads
    /// as 0 with one warning naming it, and the MPD equals the one written
    /// with 0.
    #[test]
    fn negative_offsets_read_as_zero(
        value in i64::MIN..0,
        element in prop_oneof![
            Just("SegmentTemplate"), Just("SegmentBase"), Just("SegmentList"), Just("EventStream")
        ],
    ) {
        let make = |pto: &str| {
            let inner = match element {
                "EventStream" => format!(r#"<EventStream schemeIdUri="urn:x" presentationTimeOffset="{pto}"/>"#),
                other => format!(
                    r#"<AdaptationSet><Representation id="r" bandwidth="1"><{other} timescale="10" presentationTimeOffset="{pto}"/></Representation></AdaptationSet>"#
                ),
            };
            format!(r#"<MPD type="static" mediaPresentationDuration="PT1S"><Period>{inner}</Period></MPD>"#)
        };
        let text = make(&value.to_string());
        let (m, warnings) = mpd::parse_with_warnings(&text).unwrap();
        prop_assert_eq!(warnings, vec![MpdWarning::NegativePresentationTimeOffset {
            element: element.into(),
            offset: text.find(&value.to_string()).unwrap(),
            value,
        }]);
        prop_assert_eq!(m, mpd::parse(&make("0")).unwrap());
    }

    #[test]
    fn arbitrary_text_never_panics_the_remote_readers(text in "\\PC{0,300}") {
        let _ = remote::periods(&text);
        let _ = remote::event_streams(&text);
    }
}
