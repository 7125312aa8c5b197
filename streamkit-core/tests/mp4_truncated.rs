//! MP4 files cut short, empty or not MP4 at all: the strict parse refuses
//! a cut file, the lenient one reads exactly the samples wholly present
//! (each track up to its first missing sample) and says what is missing;
//! a cut before `moov`, an empty file and random bytes get errors that say
//! so.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may fail loudly

use bytes::Bytes;
use streamkit_core::mp4::{FourCc, Mp4Error, Mp4File, TrackTruncation};

fn fixture() -> Vec<u8> {
    std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../tests/fixtures/h264_aac.mp4"
    ))
    .unwrap()
}

/// Every sample of the whole file: (track, byte offset, length).
fn layout(whole: &Mp4File) -> Vec<(u32, usize, usize)> {
    let base = whole.data().as_ptr() as usize;
    whole
        .samples()
        .map(|s| (s.track_id, s.data.as_ptr() as usize - base, s.data.len()))
        .collect()
}

#[test]
fn a_cut_mdat_keeps_each_track_up_to_its_first_missing_sample() {
    let bytes = fixture();
    let whole = Mp4File::parse(Bytes::from(bytes.clone())).unwrap();
    assert!(whole.truncation().is_none());
    let samples = layout(&whole);
    let mdat_at = bytes.windows(4).position(|w| w == b"mdat").unwrap() - 4;
    // Cuts from just inside the mdat to one byte short of the end.
    let mut cuts: Vec<usize> = (mdat_at + 9..bytes.len()).step_by(4_999).collect();
    cuts.push(bytes.len() - 1);
    for cut in cuts {
        let data = Bytes::from(bytes[..cut].to_vec());
        assert!(
            matches!(
                Mp4File::parse(data.clone()),
                Err(Mp4Error::BoxOutOfBounds { offset, .. }) if offset == mdat_at as u64
            ),
            "the strict parse refuses a cut at {cut}"
        );
        let file = Mp4File::parse_lenient(data).unwrap();
        // Expected: per track, the leading samples that end by the cut.
        let mut expected = Vec::new();
        let mut per_track = Vec::new();
        for track in whole.tracks() {
            let own: Vec<_> = samples.iter().filter(|s| s.0 == track.id()).collect();
            let present = own.iter().take_while(|s| s.1 + s.2 <= cut).count();
            per_track.push(TrackTruncation {
                track_id: track.id(),
                present: present as u32,
                declared: own.len() as u32,
            });
            expected.extend(own[..present].iter().map(|s| (s.0, s.1, s.2)));
        }
        let t = file
            .truncation()
            .expect("a cut file reports its truncation");
        assert_eq!(t.kind, Some(FourCc(*b"mdat")));
        assert_eq!(t.offset, mdat_at as u64);
        assert_eq!(t.declared_end, bytes.len() as u64);
        assert_eq!(t.file_len, cut as u64);
        assert_eq!(t.tracks, per_track, "cut at {cut}");
        for track in file.tracks() {
            let want = per_track.iter().find(|p| p.track_id == track.id()).unwrap();
            assert_eq!(track.sample_count(), want.present);
        }
        // The samples read are exactly those, in decode order, and their
        // bytes are the whole file's.
        let mut got = layout(&file);
        got.sort_unstable();
        expected.sort_unstable();
        assert_eq!(got, expected, "cut at {cut}");
        for s in file.samples() {
            let at = s.data.as_ptr() as usize - file.data().as_ptr() as usize;
            assert_eq!(&s.data[..], &bytes[at..at + s.data.len()]);
        }
    }
    // A whole file read leniently is the strict read.
    let lenient = Mp4File::parse_lenient(Bytes::from(bytes)).unwrap();
    assert!(lenient.truncation().is_none());
    assert_eq!(layout(&lenient), samples);
}

#[test]
fn the_report_names_the_cut_and_the_samples_present() {
    let bytes = fixture();
    let cut = bytes.len() / 2;
    let file = Mp4File::parse_lenient(Bytes::from(bytes[..cut].to_vec())).unwrap();
    let t = file.truncation().unwrap();
    let text = t.to_string();
    assert!(
        text.starts_with(&format!(
            "cut short: {cut} of {} bytes (the file ends inside mdat); samples present: track 1 ",
            bytes.len()
        )),
        "{text}"
    );
    assert!(text.contains(" of 300, track 2 ") && text.ends_with(" of 432"));
}

#[test]
fn a_cut_before_moov_an_empty_file_and_random_bytes_say_what_they_are() {
    let bytes = fixture();
    // moov last: ftyp, then the mdat cut short; no moov to read.
    let mdat_at = bytes.windows(4).position(|w| w == b"mdat").unwrap() - 4;
    let mut moov_last = bytes[..32].to_vec();
    moov_last.extend_from_slice(&bytes[mdat_at..mdat_at + 50_000]);
    let mdat_size = u64::from(u32::from_be_bytes(
        bytes[mdat_at..mdat_at + 4].try_into().unwrap(),
    ));
    for parse in [Mp4File::parse, Mp4File::parse_lenient] {
        let e = parse(Bytes::from(moov_last.clone())).unwrap_err();
        assert_eq!(
            e,
            Mp4Error::CutBeforeMoov {
                kind: FourCc(*b"mdat"),
                offset: 32,
                declared_end: 32 + mdat_size,
                file_len: moov_last.len() as u64,
            }
        );
        assert!(e.to_string().starts_with("cut short before its moov box"));
        assert_eq!(parse(Bytes::new()).unwrap_err(), Mp4Error::Empty);
        // Bytes that are no box.
        let random: Vec<u8> = (0u32..4096)
            .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
            .collect();
        assert!(matches!(
            parse(Bytes::from(random)).unwrap_err(),
            Mp4Error::NotIsoBmff { .. }
        ));
        assert!(matches!(
            parse(Bytes::from_static(b"#EXTM3U\n")).unwrap_err(),
            Mp4Error::NotIsoBmff { .. }
        ));
    }
}
