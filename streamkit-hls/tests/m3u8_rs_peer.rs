//! m3u8-rs, the playlist crate most Rust HLS users know, as a second
//! reader: it reads our output to the same segments and variants, and we
//! read its output to the same values it holds.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::Duration;

use proptest::collection::vec;
use proptest::option;
use proptest::prelude::*;
use streamkit_hls::playlist::{
    ByteRange, Map, MediaPlaylist, MediaSegment, MultivariantPlaylist, PlaylistType,
    ProgramDateTime, Rendition, Resolution, VariantStream,
};

/// Duration in ms, URI, byte range (length, offset), discontinuity.
type SegmentSpec = (u64, String, Option<(u64, u64)>, bool);

fn segments() -> impl Strategy<Value = Vec<SegmentSpec>> {
    vec(
        (
            1u64..20_000,
            "[a-z0-9]{1,8}\\.ts",
            option::of((1u64..1_000_000, 0u64..1_000_000)),
            any::<bool>(),
        ),
        1..12,
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn m3u8_rs_reads_our_media_playlists_alike(
        media_sequence in 0u64..1_000_000,
        discontinuity_sequence in 0u64..1000,
        vod in any::<bool>(),
        with_map in any::<bool>(),
        start_ms in 0i64..4_000_000_000_000,
        segs in segments(),
    ) {
        let mut ours = MediaPlaylist {
            media_sequence,
            discontinuity_sequence,
            playlist_type: vod.then_some(PlaylistType::Vod),
            end_list: vod,
            ..Default::default()
        };
        for (i, (ms, uri, range, discontinuity)) in segs.iter().enumerate() {
            let mut s = MediaSegment::new(Duration::from_millis(*ms), uri.clone());
            s.byte_range = range.map(|(length, offset)| ByteRange { length, offset: Some(offset) });
            s.discontinuity = *discontinuity;
            if i == 0 {
                s.map = with_map.then(|| Map::new("init.mp4"));
                s.program_date_time = Some(ProgramDateTime::from_unix_millis(start_ms));
            }
            ours.segments.push(s);
        }
        let text = ours.to_m3u8().unwrap();
        let theirs = m3u8_rs::parse_media_playlist_res(text.as_bytes()).expect("m3u8-rs reads it");
        prop_assert_eq!(theirs.version, Some(ours.required_version() as usize));
        prop_assert_eq!(theirs.target_duration, ours.written_target_duration());
        prop_assert_eq!(theirs.media_sequence, media_sequence);
        prop_assert_eq!(theirs.discontinuity_sequence, discontinuity_sequence);
        prop_assert_eq!(theirs.end_list, vod);
        prop_assert_eq!(theirs.segments.len(), ours.segments.len());
        for (t, o) in theirs.segments.iter().zip(&ours.segments) {
            prop_assert_eq!(&t.uri, &o.uri);
            // m3u8-rs keeps EXTINF as f32.
            prop_assert!((f64::from(t.duration) - o.duration.as_secs_f64()).abs() < 1e-3);
            prop_assert_eq!(t.byte_range.as_ref().map(|r| (r.length, r.offset)),
                o.byte_range.map(|r| (r.length, r.offset)));
            prop_assert_eq!(t.discontinuity, o.discontinuity);
            prop_assert_eq!(t.map.as_ref().map(|m| m.uri.as_str()), o.map.as_ref().map(|m| m.uri.as_str()));
            prop_assert_eq!(t.program_date_time.map(|d| d.timestamp_millis()),
                o.program_date_time.map(|d| d.unix_millis()));
        }
    }

    #[test]
    fn we_read_m3u8_rs_media_playlists_alike(
        media_sequence in 0u64..1_000_000,
        segs in segments(),
    ) {
        let theirs = m3u8_rs::MediaPlaylist {
            version: Some(4),
            target_duration: 20,
            media_sequence,
            segments: segs
                .iter()
                .map(|(ms, uri, range, discontinuity)| m3u8_rs::MediaSegment {
                    uri: uri.clone(),
                    duration: *ms as f32 / 1000.0,
                    byte_range: range.map(|(length, offset)| m3u8_rs::ByteRange { length, offset: Some(offset) }),
                    discontinuity: *discontinuity,
                    ..Default::default()
                })
                .collect(),
            end_list: true,
            ..Default::default()
        };
        let mut text = Vec::new();
        theirs.write_to(&mut text).unwrap();
        let ours = MediaPlaylist::parse(&text).unwrap();
        prop_assert_eq!(ours.version, Some(4));
        prop_assert_eq!(ours.target_duration, 20);
        prop_assert_eq!(ours.media_sequence, media_sequence);
        prop_assert!(ours.end_list);
        prop_assert_eq!(ours.segments.len(), theirs.segments.len());
        for (o, t) in ours.segments.iter().zip(&theirs.segments) {
            prop_assert_eq!(&o.uri, &t.uri);
            prop_assert!((o.duration.as_secs_f64() - f64::from(t.duration)).abs() < 1e-6);
            prop_assert_eq!(o.byte_range.map(|r| (r.length, r.offset)),
                t.byte_range.as_ref().map(|r| (r.length, r.offset)));
            prop_assert_eq!(o.discontinuity, t.discontinuity);
        }
    }

    #[test]
    fn m3u8_rs_reads_our_multivariant_playlists_alike(
        variants in vec(
            ("[a-z0-9]{1,8}/index\\.m3u8", 1u64..100_000_000, option::of(1u64..100_000_000),
             option::of((1u64..8000, 1u64..8000))),
            1..6,
        ),
        audio in vec(("[A-Za-z]{1,10}", "[a-z]{2}"), 0..3),
    ) {
        let mut ours = MultivariantPlaylist { independent_segments: true, ..Default::default() };
        for (i, (name, language)) in audio.iter().enumerate() {
            let mut r = Rendition::audio("aud", format!("{name}{i}"));
            r.default = i == 0;
            r.autoselect = true;
            r.language = Some(language.clone());
            r.uri = Some(format!("audio/{i}.m3u8"));
            ours.renditions.push(r);
        }
        for (uri, bandwidth, average, resolution) in &variants {
            let mut v = VariantStream::new(uri.clone(), *bandwidth);
            v.average_bandwidth = *average;
            v.codecs = vec!["avc1.64001f".into(), "mp4a.40.2".into()];
            v.resolution = resolution.map(|(width, height)| Resolution { width, height });
            v.audio = (!audio.is_empty()).then(|| "aud".to_owned());
            ours.variants.push(v);
        }
        let text = ours.to_m3u8().unwrap();
        let theirs = m3u8_rs::parse_master_playlist_res(text.as_bytes()).expect("m3u8-rs reads it");
        prop_assert!(theirs.independent_segments);
        prop_assert_eq!(theirs.variants.len(), ours.variants.len());
        for (t, o) in theirs.variants.iter().zip(&ours.variants) {
            prop_assert_eq!(&t.uri, &o.uri);
            prop_assert_eq!(t.bandwidth, o.bandwidth);
            prop_assert_eq!(t.average_bandwidth, o.average_bandwidth);
            prop_assert_eq!(t.codecs.as_deref(), Some("avc1.64001f,mp4a.40.2"));
            prop_assert_eq!(t.resolution.map(|r| (r.width, r.height)),
                o.resolution.map(|r| (r.width, r.height)));
            prop_assert_eq!(&t.audio, &o.audio);
        }
        prop_assert_eq!(theirs.alternatives.len(), ours.renditions.len());
        for (t, o) in theirs.alternatives.iter().zip(&ours.renditions) {
            prop_assert_eq!(&t.group_id, &o.group_id);
            prop_assert_eq!(&t.name, &o.name);
            prop_assert_eq!(t.default, o.default);
            prop_assert_eq!(t.autoselect, o.autoselect);
            prop_assert_eq!(&t.language, &o.language);
            prop_assert_eq!(&t.uri, &o.uri);
        }
    }
}

/// What m3u8-rs itself writes for a float EXTINF without a precision set,
/// next to ours: it has no decimals for whole seconds and no version
/// derived from them (m3u8-rs #12, #72). We read its output all the same.
#[test]
fn m3u8_rs_output_differs_where_the_spec_is_exact_and_we_still_read_it() {
    let theirs = m3u8_rs::MediaPlaylist {
        target_duration: 3,
        segments: vec![m3u8_rs::MediaSegment {
            uri: "a.ts".into(),
            duration: 6.0,
            ..Default::default()
        }],
        ..Default::default()
    };
    let mut text = Vec::new();
    theirs.write_to(&mut text).unwrap();
    let text = String::from_utf8(text).unwrap();
    assert!(text.contains("#EXTINF:6,"), "{text}");
    assert!(text.contains("#EXT-X-TARGETDURATION:3"), "{text}");
    assert!(!text.contains("#EXT-X-VERSION"), "{text}");
    let ours = MediaPlaylist::parse(text.as_bytes()).unwrap();
    assert_eq!(ours.segments[0].duration, Duration::from_secs(6));
    assert_eq!(
        ours.to_m3u8().unwrap(),
        "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:6\n#EXT-X-MEDIA-SEQUENCE:0\n#EXTINF:6.000,\na.ts\n"
    );
}
