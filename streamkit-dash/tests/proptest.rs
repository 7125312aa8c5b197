//! Properties: no text makes parse + resolve panic or run away, and what
//! the writer writes reads back to the same timeline.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test helpers outside #[test] fns

use core::time::Duration;

use proptest::prelude::*;
use streamkit_dash::mpd::{self, Profile, StaticPresentation};
use streamkit_dash::resolve::resolve;

const URL: &str = "https://cdn.example/a/b.mpd";

/// Parses `text` and walks (a bounded number of) the segments of every
/// Representation, static or dynamic; checks the walk's invariants.
fn parse_and_walk(text: &str, now: Duration) {
    let _ = streamkit_dash::remote::periods(text);
    let _ = streamkit_dash::remote::event_streams(text);
    let Ok(m) = mpd::parse(text) else { return };
    for (pi, p) in m.periods.iter().enumerate().take(4) {
        for (ai, a) in p.adaptations.iter().enumerate().take(4) {
            for ri in 0..a.representations.len().min(4) {
                let Ok(rep) = resolve(&m, URL, pi, ai, ri, Some(now)) else {
                    continue;
                };
                let mut last: Option<(u64, u64)> = None;
                for s in rep.segments().take(300) {
                    let Ok(s) = s else { break };
                    if let Some((number, end)) = last {
                        assert_eq!(s.number, number + 1);
                        assert!(s.time >= end, "segments do not overlap");
                    }
                    last = Some((s.number, s.time + s.duration));
                }
            }
        }
    }
}

fn attr_value() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("0".to_owned()),
        Just("-1".to_owned()),
        Just("1000000000000".to_owned()),
        Just("18446744073709551615".to_owned()),
        Just("2.5".to_owned()),
        Just("INF".to_owned()),
        (0u64..100_000).prop_map(|v| v.to_string()),
        "[ -~]{0,6}",
    ]
}

fn template() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop_oneof![
            Just("$Number$"),
            Just("$Time$"),
            Just("$Number%05d$"),
            Just("$Time%099d$"),
            Just("$RepresentationID$"),
            Just("$Bandwidth$"),
            Just("$$"),
            Just("$"),
            Just("$Unknown$"),
            Just("seg-"),
            Just("/x/../"),
            Just("http://h.example/"),
            Just(".m4s"),
        ],
        0..6,
    )
    .prop_map(|v| v.concat())
}

fn timeline() -> impl Strategy<Value = String> {
    prop::collection::vec(
        (
            prop::option::of(attr_value()),
            attr_value(),
            prop::option::of(attr_value()),
        ),
        0..5,
    )
    .prop_map(|ss| {
        let mut out = String::from("<SegmentTimeline>");
        for (t, d, r) in ss {
            out.push_str("<S");
            if let Some(t) = t {
                out.push_str(&format!(r#" t="{t}""#));
            }
            out.push_str(&format!(r#" d="{d}""#));
            if let Some(r) = r {
                out.push_str(&format!(r#" r="{r}""#));
            }
            out.push_str("/>");
        }
        out.push_str("</SegmentTimeline>");
        out
    })
}

prop_compose! {
    fn mpd_like()(
        dynamic in any::<bool>(),
        duration in prop::option::of(0u64..100_000),
        tsbd in prop::option::of(0u64..1000),
        base in prop::option::of("[a-z./:]{0,12}"),
        media in template(),
        init in template(),
        timescale in prop::option::of(attr_value()),
        seg_duration in prop::option::of(attr_value()),
        start_number in prop::option::of(attr_value()),
        pto in prop::option::of(attr_value()),
        ato in prop::option::of(attr_value()),
        tl in prop::option::of(timeline()),
        kind in 0u8..3,
    ) -> String {
        let mut attrs = String::new();
        if dynamic {
            attrs.push_str(r#" type="dynamic" availabilityStartTime="2023-11-14T22:13:20Z""#);
        } else {
            attrs.push_str(r#" type="static""#);
        }
        if let Some(d) = duration {
            attrs.push_str(&format!(r#" mediaPresentationDuration="PT{d}S""#));
        }
        if let Some(t) = tsbd {
            attrs.push_str(&format!(r#" timeShiftBufferDepth="PT{t}S""#));
        }
        let mut seg = String::new();
        let opt = |name: &str, v: &Option<String>| v.as_ref().map(|v| format!(r#" {name}="{v}""#)).unwrap_or_default();
        let tl = tl.unwrap_or_default();
        match kind {
            0 => seg.push_str(&format!(
                r#"<SegmentTemplate media="{media}" initialization="{init}"{}{}{}{}{}>{tl}</SegmentTemplate>"#,
                opt("timescale", &timescale), opt("duration", &seg_duration), opt("startNumber", &start_number),
                opt("presentationTimeOffset", &pto), opt("availabilityTimeOffset", &ato),
            )),
            1 => seg.push_str(&format!(
                r#"<SegmentList{}{}><SegmentURL media="{media}"/><SegmentURL mediaRange="{init}"/>{tl}</SegmentList>"#,
                opt("timescale", &timescale), opt("duration", &seg_duration),
            )),
            _ => seg.push_str(&format!(
                r#"<SegmentBase{} indexRange="{init}"><Initialization range="{media}"/></SegmentBase>"#,
                opt("timescale", &timescale),
            )),
        }
        let base = base.map(|b| format!("<BaseURL>{b}</BaseURL>")).unwrap_or_default();
        format!(
            r#"<MPD xmlns="urn:mpeg:dash:schema:mpd:2011"{attrs}>{base}<Period><AdaptationSet><Representation id="r" bandwidth="1000">{seg}</Representation></AdaptationSet></Period></MPD>"#
        )
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn arbitrary_text_never_panics(text in "\\PC{0,400}", now in 0u64..4_000_000_000) {
        parse_and_walk(&text, Duration::from_secs(now));
    }

    #[test]
    fn mpd_shaped_text_never_panics(text in mpd_like(), now in 1_699_999_000u64..1_700_100_000) {
        parse_and_walk(&text, Duration::from_secs(now));
    }

    #[test]
    fn written_timelines_read_back(
        timescale in 1u32..1_000_000,
        start in 0u64..1_000_000_000,
        durations in prop::collection::vec(prop_oneof![Just(3000u64), 1u64..1_000_000], 1..40),
    ) {
        let total: u64 = durations.iter().sum();
        let template = mpd::timeline_template("i.mp4", "$Time$.m4s", timescale, start, &durations).unwrap();
        let mut rep = mpd::Representation { id: Some("r".into()), bandwidth: Some(1), ..Default::default() };
        rep.SegmentTemplate = Some(template.clone());
        let secs = Duration::from_nanos((u128::from(total) * 1_000_000_000 / u128::from(timescale)) as u64);
        let presentation = StaticPresentation { duration: secs, min_buffer_time: Duration::from_secs(1), profile: Profile::Live };
        let built = mpd::static_mpd(&presentation, vec![mpd::period("p", Duration::ZERO, None, vec![mpd::adaptation_set(0, vec![rep])])]);
        let text = mpd::write(&built).unwrap();
        let parsed = mpd::parse(&text).unwrap();
        // The model fills defaults on reading (@xlink:actuate="onRequest"
        // on every Period, AdaptationSet and Representation), so the first
        // rewrite adds them and the xlink namespace they use (the first
        // write declares no namespace it does not use); from then on
        // writing and reading is a fixed point.
        let rewritten = mpd::write(&parsed).unwrap();
        prop_assert!(!text.contains("xmlns:"));
        prop_assert_eq!(
            rewritten
                .replace(r#" xlink:actuate="onRequest""#, "")
                .replace(r#" xmlns:xlink="http://www.w3.org/1999/xlink""#, ""),
            text.clone()
        );
        prop_assert_eq!(mpd::write(&mpd::parse(&rewritten).unwrap()).unwrap(), rewritten);
        prop_assert_eq!(parsed.mediaPresentationDuration, built.mediaPresentationDuration);
        // The resolver walks exactly the input durations.
        let pto_rep = parsed.periods[0].adaptations[0].representations[0].clone();
        prop_assert_eq!(pto_rep.SegmentTemplate, Some(template));
        let rep = resolve(&parsed, URL, 0, 0, 0, None).unwrap();
        let walked: Vec<(u64, u64)> = rep.segments().map(|s| s.map(|s| (s.time, s.duration))).collect::<Result<_, _>>().unwrap();
        let mut t = start;
        let expected: Vec<(u64, u64)> = durations.iter().map(|&d| { let x = (t, d); t += d; x }).collect();
        prop_assert_eq!(walked, expected);
    }
}
