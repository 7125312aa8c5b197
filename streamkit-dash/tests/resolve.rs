//! The resolver on hand-written MPDs: dynamic availability windows, huge
//! timelines, BaseURL chains, Periods, presentationTimeOffset, and bad
//! input with its typed errors.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test helpers outside #[test] fns

use core::time::Duration;

use streamkit_dash::DashError;
use streamkit_dash::mpd;
use streamkit_dash::resolve::{MediaSegment, resolve};

const URL: &str = "https://cdn.example/live/manifest.mpd";
/// 2023-11-14T22:13:20Z.
const AST: u64 = 1_700_000_000;

fn mpd_text(attrs: &str, body: &str) -> String {
    format!(
        r#"<?xml version="1.0"?><MPD xmlns="urn:mpeg:dash:schema:mpd:2011" minBufferTime="PT2S" {attrs}>{body}</MPD>"#
    )
}

fn one_rep(attrs: &str, segment_info: &str) -> String {
    mpd_text(
        attrs,
        &format!(
            r#"<Period id="0" start="PT0S"><AdaptationSet mimeType="video/mp4"><Representation id="v" bandwidth="800000">{segment_info}</Representation></AdaptationSet></Period>"#
        ),
    )
}

const DYNAMIC: &str =
    r#"type="dynamic" availabilityStartTime="2023-11-14T22:13:20Z" timeShiftBufferDepth="PT10S""#;

fn segments(text: &str, now: Option<Duration>) -> Result<Vec<MediaSegment>, DashError> {
    let m = mpd::parse(text)?;
    let rep = resolve(&m, URL, 0, 0, 0, now)?;
    rep.segments().collect()
}

fn numbers(s: &[MediaSegment]) -> Vec<u64> {
    s.iter().map(|s| s.number).collect()
}

#[test]
fn dynamic_number_template_lists_the_availability_window() {
    let text = one_rep(
        DYNAMIC,
        r#"<SegmentTemplate media="$Number$.m4s" duration="2" startNumber="1"/>"#,
    );
    // At AST + 100.5 s: segments ending by 100.5 s are available, those
    // ending before 90.5 s (10 s of time shift) are gone.
    let now = Some(Duration::from_millis(AST * 1000 + 100_500));
    let s = segments(&text, now).unwrap();
    assert_eq!(numbers(&s), [46, 47, 48, 49, 50]);
    assert_eq!(s[0].time, 90);
    assert_eq!(s[0].url, "https://cdn.example/live/46.m4s");
    // availabilityTimeOffset: segment 51 (100 s to 102 s) is announced
    // 1.5 s before its end.
    let text = one_rep(
        DYNAMIC,
        r#"<SegmentTemplate media="$Number$.m4s" duration="2" startNumber="1" availabilityTimeOffset="1.5"/>"#,
    );
    assert_eq!(
        numbers(&segments(&text, now).unwrap()),
        [46, 47, 48, 49, 50, 51]
    );
    // Before the start, nothing is available.
    let early = Some(Duration::from_secs(AST - 5));
    assert_eq!(segments(&text, early).unwrap(), []);
    // A dynamic MPD needs `now`.
    assert!(matches!(
        segments(&text, None),
        Err(DashError::Dynamic { .. })
    ));
}

#[test]
fn dynamic_timeline_with_open_repeat_stops_at_now() {
    let text = one_rep(
        DYNAMIC,
        r#"<SegmentTemplate media="t$Time$.m4s" timescale="1000"><SegmentTimeline><S t="0" d="2000" r="-1"/></SegmentTimeline></SegmentTemplate>"#,
    );
    let now = Some(Duration::from_millis(AST * 1000 + 100_500));
    let s = segments(&text, now).unwrap();
    let times: Vec<u64> = s.iter().map(|s| s.time).collect();
    assert_eq!(times, [90_000, 92_000, 94_000, 96_000, 98_000]);
    assert_eq!(numbers(&s), [46, 47, 48, 49, 50]);
    assert_eq!(s[4].url, "https://cdn.example/live/t98000.m4s");
}

#[test]
fn huge_repeat_counts_cost_nothing_until_walked() {
    // r = 10^12 in a dynamic MPD: the window is found arithmetically.
    let text = one_rep(
        DYNAMIC,
        r#"<SegmentTemplate media="$Number$.m4s" timescale="1"><SegmentTimeline><S t="0" d="1" r="1000000000000"/></SegmentTimeline></SegmentTemplate>"#,
    );
    let now = Some(Duration::from_secs(AST + 1000));
    let s = segments(&text, now).unwrap();
    let times: Vec<u64> = s.iter().map(|s| s.time).collect();
    assert_eq!(
        times,
        [989, 990, 991, 992, 993, 994, 995, 996, 997, 998, 999]
    );
    // Static: lazily walked, a million segments in, the numbers still add up.
    let text = one_rep(
        r#"type="static" mediaPresentationDuration="PT1000000000001S""#,
        r#"<SegmentTemplate media="$Number$.m4s" timescale="1"><SegmentTimeline><S t="0" d="1" r="1000000000000"/></SegmentTimeline></SegmentTemplate>"#,
    );
    let m = mpd::parse(&text).unwrap();
    let rep = resolve(&m, URL, 0, 0, 0, None).unwrap();
    let s = rep.segments().nth(1_000_000).unwrap().unwrap();
    assert_eq!((s.number, s.time), (1_000_001, 1_000_000));
    // A timeline whose times pass 64 bits ends with a typed error.
    let text = one_rep(
        r#"type="static" mediaPresentationDuration="PT100000000000S""#,
        r#"<SegmentTemplate media="$Time$.m4s" timescale="4294967295"><SegmentTimeline><S t="18446744073709551610" d="4" r="3"/></SegmentTimeline></SegmentTemplate>"#,
    );
    let m = mpd::parse(&text).unwrap();
    let rep = resolve(&m, URL, 0, 0, 0, None).unwrap();
    let items: Vec<_> = rep.segments().collect();
    assert!(items.len() <= 3, "the walk ends");
    assert!(
        matches!(items.last(), Some(Err(DashError::TimeOverflow { .. }))),
        "{items:?}"
    );
}

#[test]
fn base_url_chain_resolves_level_by_level() {
    let text = mpd_text(
        r#"type="static" mediaPresentationDuration="PT4S""#,
        r#"<BaseURL>https://origin.example/root/</BaseURL><Period><BaseURL>p1/</BaseURL>
        <AdaptationSet><BaseURL>../as/</BaseURL>
          <Representation id="r1" bandwidth="1"><BaseURL>rep/</BaseURL>
            <SegmentTemplate media="$RepresentationID$_$Bandwidth$_$Number%03d$.m4s" initialization="i.mp4" duration="2"/></Representation>
          <Representation id="r2" bandwidth="2"><BaseURL>https://other.example/x/</BaseURL>
            <SegmentTemplate media="$$$Number$.m4s" duration="2"/></Representation>
        </AdaptationSet></Period>"#,
    );
    let m = mpd::parse(&text).unwrap();
    let rep = resolve(&m, URL, 0, 0, 0, None).unwrap();
    assert_eq!(rep.base_url, "https://origin.example/root/as/rep/");
    assert_eq!(
        rep.initialization.clone().unwrap().url,
        "https://origin.example/root/as/rep/i.mp4"
    );
    let urls: Vec<String> = rep.segments().map(|s| s.unwrap().url).collect();
    assert_eq!(
        urls,
        [
            "https://origin.example/root/as/rep/r1_1_001.m4s",
            "https://origin.example/root/as/rep/r1_1_002.m4s"
        ]
    );
    let rep = resolve(&m, URL, 0, 0, 1, None).unwrap();
    let urls: Vec<String> = rep.segments().map(|s| s.unwrap().url).collect();
    assert_eq!(
        urls,
        [
            "https://other.example/x/$1.m4s",
            "https://other.example/x/$2.m4s"
        ]
    );
    assert!(matches!(
        resolve(&m, URL, 0, 0, 2, None),
        Err(DashError::NoSuchRepresentation {
            representation: 2,
            ..
        })
    ));
    assert!(matches!(
        resolve(&m, "not a url", 0, 0, 0, None),
        Err(DashError::InvalidUrl { .. })
    ));
}

#[test]
fn periods_and_presentation_time_offset_place_segments() {
    let text = mpd_text(
        r#"type="static" mediaPresentationDuration="PT10S""#,
        r#"<Period id="a" duration="PT6S"><AdaptationSet><Representation id="v" bandwidth="1">
             <SegmentTemplate media="a$Time$" timescale="1000" presentationTimeOffset="5000">
               <SegmentTimeline><S t="5000" d="2000" r="-1"/></SegmentTimeline></SegmentTemplate></Representation></AdaptationSet></Period>
           <Period id="b"><AdaptationSet><Representation id="v" bandwidth="1">
             <SegmentTemplate media="b$Number$" timescale="90000" duration="180000"/></Representation></AdaptationSet></Period>"#,
    );
    let m = mpd::parse(&text).unwrap();
    let a = resolve(&m, URL, 0, 0, 0, None).unwrap();
    let s: Vec<MediaSegment> = a.segments().collect::<Result<_, _>>().unwrap();
    let got: Vec<(u64, f64, String)> = s
        .iter()
        .map(|s| (s.time, s.start.as_secs_f64(), s.url.clone()))
        .collect();
    assert_eq!(
        got,
        [
            (5000, 0.0, "https://cdn.example/live/a5000".to_owned()),
            (7000, 2.0, "https://cdn.example/live/a7000".to_owned()),
            (9000, 4.0, "https://cdn.example/live/a9000".to_owned()),
        ]
    );
    // The second Period starts where the first ends and lasts the rest.
    let b = resolve(&m, URL, 1, 0, 0, None).unwrap();
    assert_eq!(b.period_start, Duration::from_secs(6));
    assert_eq!(b.period_duration, Some(Duration::from_secs(4)));
    let starts: Vec<f64> = b
        .segments()
        .map(|s| s.unwrap().start.as_secs_f64())
        .collect();
    assert_eq!(starts, [6.0, 8.0]);
}

#[test]
fn segment_list_and_segment_base() {
    let text = one_rep(
        r#"type="static" mediaPresentationDuration="PT5S""#,
        r#"<SegmentList timescale="10" duration="20"><Initialization sourceURL="init.mp4" range="0-99"/>
             <SegmentURL media="one.mp4" mediaRange="100-199"/><SegmentURL media="two.mp4"/><SegmentURL mediaRange="300-399"/></SegmentList>"#,
    );
    let s = segments(&text, None).unwrap();
    type Listed = (String, Option<(u64, u64)>, u64);
    let got: Vec<Listed> = s
        .iter()
        .map(|s| {
            (
                s.url.clone(),
                s.byte_range.map(|r| (r.first, r.last)),
                s.time,
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            (
                "https://cdn.example/live/one.mp4".to_owned(),
                Some((100, 199)),
                0
            ),
            ("https://cdn.example/live/two.mp4".to_owned(), None, 20),
            (
                "https://cdn.example/live/manifest.mpd".to_owned(),
                Some((300, 399)),
                40
            ),
        ]
    );
    let text = one_rep(
        r#"type="static" mediaPresentationDuration="PT5S""#,
        r#"<BaseURL>v.mp4</BaseURL><SegmentBase timescale="90000" indexRange="800-899"><Initialization range="0-799"/></SegmentBase>"#,
    );
    let m = mpd::parse(&text).unwrap();
    let rep = resolve(&m, URL, 0, 0, 0, None).unwrap();
    let index = rep.index.clone().unwrap();
    assert_eq!(index.url, "https://cdn.example/live/v.mp4");
    assert_eq!(index.byte_range.map(|r| r.to_range()), Some(Some(800..900)));
    assert_eq!(
        rep.initialization.clone().unwrap().byte_range.unwrap().last,
        799
    );
    let s: Vec<MediaSegment> = rep.segments().collect::<Result<_, _>>().unwrap();
    assert_eq!(s.len(), 1);
    assert_eq!((s[0].time, s[0].duration), (0, 450_000));
}

fn err(segment_info: &str) -> DashError {
    let text = one_rep(
        r#"type="static" mediaPresentationDuration="PT10S""#,
        segment_info,
    );
    match segments(&text, None) {
        Err(e) => e,
        Ok(s) => panic!("expected an error, got {s:?}"),
    }
}

#[test]
fn bad_input_gets_typed_errors() {
    assert_eq!(
        err(r#"<SegmentTemplate media="seg-$Frame$.m4s" duration="2"/>"#),
        DashError::UnknownTemplateIdentifier {
            identifier: "Frame".into(),
            template: "seg-$Frame$.m4s".into()
        }
    );
    assert!(matches!(
        err(r#"<SegmentTemplate media="seg-$Number%5x$.m4s" duration="2"/>"#),
        DashError::MalformedTemplate { position: 4, .. }
    ));
    assert!(matches!(
        err(r#"<SegmentTemplate media="seg-$Number" duration="2"/>"#),
        DashError::MalformedTemplate { .. }
    ));
    assert!(matches!(
        err(
            r#"<SegmentTemplate media="$Number$" initialization="init-$Number$.mp4" duration="2"/>"#
        ),
        DashError::MalformedTemplate { .. }
    ));
    for bad in ["0", "-2", "2.5", "NaN", "INF"] {
        assert_eq!(
            err(&format!(
                r#"<SegmentTemplate media="$Number$" duration="{bad}"/>"#
            )),
            DashError::InvalidValue {
                what: "@duration",
                value: bad.parse::<f64>().unwrap().to_string()
            },
            "{bad}"
        );
    }
    assert!(matches!(
        err(r#"<SegmentTemplate media="$Number$" duration="2" timescale="0"/>"#),
        DashError::InvalidValue {
            what: "@timescale",
            ..
        }
    ));
    assert!(matches!(
        err(r#"<SegmentTemplate media="$Number$" duration="2" timescale="4294967296"/>"#),
        DashError::InvalidValue {
            what: "@timescale",
            ..
        }
    ));
    // Negative times do not parse into the model's unsigned attributes.
    assert!(matches!(
        err(
            r#"<SegmentTemplate media="$Time$"><SegmentTimeline><S t="-5" d="2"/></SegmentTimeline></SegmentTemplate>"#
        ),
        DashError::Parse { .. }
    ));
    assert!(matches!(
        err(
            r#"<SegmentTemplate media="$Time$"><SegmentTimeline><S t="0" d="2" r="-2"/></SegmentTimeline></SegmentTemplate>"#
        ),
        DashError::InvalidTimeline { index: 0, .. }
    ));
    assert!(matches!(
        err(
            r#"<SegmentTemplate media="$Time$"><SegmentTimeline><S t="0" d="2"/><S t="0" d="0"/></SegmentTimeline></SegmentTemplate>"#
        ),
        DashError::InvalidTimeline { index: 1, .. }
    ));
    assert!(matches!(
        err(
            r#"<SegmentTemplate media="$Time$"><SegmentTimeline><S t="4" d="2"/><S t="5" d="2"/></SegmentTimeline></SegmentTemplate>"#
        ),
        DashError::InvalidTimeline { index: 1, .. }
    ));
    assert!(matches!(
        err(r#"<SegmentTemplate media="$Time$"><SegmentTimeline/></SegmentTemplate>"#),
        DashError::InvalidTimeline { .. }
    ));
    assert!(matches!(
        err(r#"<SegmentTemplate media="$Time$" duration="2"><SegmentTimeline/></SegmentTemplate>"#),
        DashError::InvalidTimeline { .. }
    ));
    assert!(matches!(
        err(r#"<SegmentTemplate duration="2"/>"#),
        DashError::MissingAttribute {
            attribute: "media",
            ..
        }
    ));
    assert!(matches!(
        err(r#"<SegmentList duration="2"><SegmentURL media="a" mediaRange="9-1"/></SegmentList>"#),
        DashError::InvalidByteRange { .. }
    ));
    // Without any duration, a static $Number$ template or an open repeat
    // has no end.
    let no_duration = |info: &str| {
        let text = one_rep(r#"type="static""#, info);
        segments(&text, None).unwrap_err()
    };
    assert!(matches!(
        no_duration(r#"<SegmentTemplate media="$Number$" duration="2"/>"#),
        DashError::Unbounded { .. }
    ));
    assert!(matches!(
        no_duration(
            r#"<SegmentTemplate media="$Time$"><SegmentTimeline><S t="0" d="2" r="-1"/></SegmentTimeline></SegmentTemplate>"#
        ),
        DashError::Unbounded { .. }
    ));
    assert!(matches!(
        mpd::parse(&mpd_text(
            r#"type="static" mediaPresentationDuration="-PT5S""#,
            ""
        )),
        Err(DashError::Parse { .. })
    ));
}

#[test]
fn a_100_mb_mpd_is_refused_before_parsing() {
    let mut text = mpd_text(r#"type="static""#, "");
    text.push_str(&" ".repeat(100 << 20));
    assert_eq!(
        mpd::parse(&text).unwrap_err(),
        DashError::TooLarge {
            size: text.len(),
            limit: mpd::MAX_MPD_BYTES
        }
    );
    assert!(matches!(
        mpd::parse_bytes(text.as_bytes()),
        Err(DashError::TooLarge { .. })
    ));
    assert!(matches!(
        mpd::parse_bytes(b"<MPD \xff/>"),
        Err(DashError::Parse { .. })
    ));
}

#[test]
fn parse_errors_say_where() {
    let e = mpd::parse(r#"<MPD type="static"><Period><AdaptationSet><Representation bandwidth="x"/></AdaptationSet></Period></MPD>"#).unwrap_err();
    assert_eq!(
        e.to_string(),
        r#"MPD does not parse: Period[0].AdaptationSet[0].Representation[0].@bandwidth: invalid type: string "x", expected u64"#
    );
    let e = mpd::parse(r#"<MPD type="static"><Period><AdaptationSet></Period></MPD>"#).unwrap_err();
    assert!(
        e.to_string()
            .starts_with("MPD does not parse: Period[0].AdaptationSet[0]"),
        "{e}"
    );
}

#[test]
fn a_segment_that_ends_past_the_clock_is_an_error() {
    // t + d overflows 64 bits (the Period starts there, by its
    // presentationTimeOffset): the segment before it is given, then a
    // typed error, never a time that wraps.
    let text = one_rep(
        r#"type="static" mediaPresentationDuration="PT10S""#,
        r#"<SegmentTemplate media="$Time$.m4s" timescale="1" presentationTimeOffset="18446744073709551613"><SegmentTimeline><S t="18446744073709551613" d="1"/><S d="5"/></SegmentTimeline></SegmentTemplate>"#,
    );
    let m = mpd::parse(&text).unwrap();
    let rep = resolve(&m, URL, 0, 0, 0, None).unwrap();
    let got: Vec<_> = rep.segments().collect();
    assert_eq!(got.len(), 2, "{got:?}");
    assert_eq!(got[0].as_ref().unwrap().time, u64::MAX - 2);
    assert!(
        matches!(
            got[1],
            Err(DashError::TimeOverflow {
                what: "segment end"
            })
        ),
        "{got:?}"
    );
}
