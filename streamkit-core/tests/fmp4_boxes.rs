//! fMP4 box structure, read back: init segments (box tree, sample entries,
//! edit lists), the whole-file index against its byte ranges, typed errors,
//! and a round-trip property: every sample written into fragments is read
//! back from `tfhd`/`tfdt`/`trun`/`mdat` with its exact timing, flags and
//! bytes.

// Test helpers: a failure is a test failure.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use bytes::Bytes;
use proptest::prelude::*;
use streamkit_core::codec::CodecConfig;
use streamkit_core::fmp4::{
    Fmp4Error, Fragment, FragmentWriter, fragment_file, init_segment, init_segment_with_shifts,
};
use streamkit_core::mp4::Mp4File;
use streamkit_core::sample::PresentationShift;
use streamkit_core::sample::Sample;
use streamkit_core::time::{MediaTime, Timescale};
use streamkit_core::track::Track;

/// The boxes in `buf`, as (type, body) pairs.
fn boxes(mut buf: &[u8]) -> Vec<([u8; 4], &[u8])> {
    let mut out = Vec::new();
    while !buf.is_empty() {
        let size = u32::from_be_bytes(buf[0..4].try_into().unwrap()) as usize;
        let kind: [u8; 4] = buf[4..8].try_into().unwrap();
        let (header, size) = if size == 1 {
            (
                16,
                u64::from_be_bytes(buf[8..16].try_into().unwrap()) as usize,
            )
        } else {
            (8, size)
        };
        out.push((kind, &buf[header..size]));
        buf = &buf[size..];
    }
    out
}

/// The body of the first box along `path` (each step a child of the last;
/// `skip` bytes of a step's body are fields before its children).
fn find<'a>(buf: &'a [u8], path: &[(&[u8; 4], usize)]) -> &'a [u8] {
    let mut body = buf;
    for (kind, skip) in path {
        body = boxes(body)
            .into_iter()
            .find(|(k, _)| k == *kind)
            .unwrap_or_else(|| panic!("no {}", String::from_utf8_lossy(*kind)))
            .1;
        body = &body[*skip..];
    }
    body
}

fn types(buf: &[u8]) -> Vec<String> {
    boxes(buf)
        .iter()
        .map(|(k, _)| String::from_utf8_lossy(k).into_owned())
        .collect()
}

fn u32_at(b: &[u8], i: usize) -> u32 {
    u32::from_be_bytes(b[i..i + 4].try_into().unwrap())
}

fn fixture(name: &str) -> Mp4File {
    let path = format!("{}/../tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    Mp4File::parse(Bytes::from(std::fs::read(path).unwrap())).unwrap()
}

fn tracks(file: &Mp4File) -> Vec<Track> {
    file.tracks().iter().filter_map(|t| t.to_track()).collect()
}

// In the paths below, `stsd` has 8 bytes (version, flags, entry count)
// before its entries; a sample entry has 78 (visual) or 28 (audio) bytes of
// fields before its child boxes.

#[test]
fn init_segment_tree_and_sample_entries() {
    let file = fixture("h264_aac.mp4");
    let tracks = tracks(&file);
    let init = init_segment(&tracks).unwrap();
    assert_eq!(types(&init), ["ftyp", "moov"]);
    // Two tracks multiplexed: not a CMAF header, so no cmfc.
    assert_eq!(find(&init, &[(b"ftyp", 0)]), b"iso6\0\0\0\0iso6mp41");
    let moov = find(&init, &[(b"moov", 0)]);
    assert_eq!(types(moov), ["mvhd", "trak", "trak", "mvex"]);
    let mvhd = find(moov, &[(b"mvhd", 0)]);
    assert_eq!(u32_at(mvhd, 12), 1000); // timescale
    assert_eq!(u32_at(mvhd, 16), 0); // duration: fragmented
    assert_eq!(u32_at(mvhd, 96), 3); // next_track_ID

    let video = boxes(moov)[1].1;
    assert_eq!(types(video), ["tkhd", "mdia"]);
    let tkhd = find(video, &[(b"tkhd", 0)]);
    assert_eq!(u32_at(tkhd, 0), 3); // version 0, enabled | in movie
    assert_eq!(u32_at(tkhd, 12), 1); // track_ID
    assert_eq!(&tkhd[36..38], [0, 0]); // volume 0 for video
    assert_eq!(u32_at(tkhd, 76), 320 << 16);
    assert_eq!(u32_at(tkhd, 80), 240 << 16);
    let mdhd = find(video, &[(b"mdia", 0), (b"mdhd", 0)]);
    assert_eq!(u32_at(mdhd, 12), 15_360);
    let hdlr = find(video, &[(b"mdia", 0), (b"hdlr", 0)]);
    assert_eq!(&hdlr[8..12], b"vide");
    let minf = find(video, &[(b"mdia", 0), (b"minf", 0)]);
    assert_eq!(types(minf), ["vmhd", "dinf", "stbl"]);
    assert_eq!(
        find(minf, &[(b"dinf", 0), (b"dref", 0)]),
        b"\0\0\0\0\0\0\0\x01\0\0\0\x0curl \0\0\0\x01"
    );
    let stbl = find(minf, &[(b"stbl", 0)]);
    assert_eq!(types(stbl), ["stsd", "stts", "stsc", "stsz", "stco"]);
    let avc1 = find(stbl, &[(b"stsd", 8), (b"avc1", 0)]);
    assert_eq!(&avc1[24..28], [1, 64, 0, 240]); // width, height
    let CodecConfig::H264(avc) = &tracks[0].codec else {
        panic!("video")
    };
    assert_eq!(
        find(&avc1[78..], &[(b"avcC", 0)]),
        &avc.to_bytes().unwrap()[..]
    );

    let audio = boxes(moov)[2].1;
    let tkhd = find(audio, &[(b"tkhd", 0)]);
    assert_eq!(&tkhd[36..38], [1, 0]); // volume 1.0
    assert_eq!(u32_at(tkhd, 76), 0);
    let stbl = find(audio, &[(b"mdia", 0), (b"minf", 0), (b"stbl", 0)]);
    let mp4a = find(stbl, &[(b"stsd", 8), (b"mp4a", 0)]);
    assert_eq!(&mp4a[16..18], [0, 1]); // channelcount: mono
    assert_eq!(&mp4a[18..20], [0, 16]); // samplesize
    assert_eq!(u32_at(mp4a, 24), 44_100 << 16);
    let CodecConfig::Aac(aac) = &tracks[1].codec else {
        panic!("audio")
    };
    let asc = aac.to_bytes().unwrap();
    let esds = find(&mp4a[28..], &[(b"esds", 0)]);
    let tail: Vec<u8> = [&[0x05, asc.len() as u8][..], &asc, &[0x06, 1, 2]].concat();
    assert!(esds.ends_with(&tail), "{esds:02x?}");
    assert_eq!(&esds[4..5], [0x03]);

    let mvex = find(moov, &[(b"mvex", 0)]);
    assert_eq!(types(mvex), ["trex", "trex"]);
    assert_eq!(
        boxes(mvex)[1].1,
        [
            0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0
        ]
    );
}

#[test]
fn single_track_is_a_cmaf_header_with_opus() {
    let file = fixture("h264_opus.mp4");
    let tracks = tracks(&file);
    let init = init_segment(&tracks[1..]).unwrap();
    assert_eq!(find(&init, &[(b"ftyp", 0)]), b"iso6\0\0\0\0iso6cmfcmp41");
    let stbl = find(
        &init,
        &[
            (b"moov", 0),
            (b"trak", 0),
            (b"mdia", 0),
            (b"minf", 0),
            (b"stbl", 0),
        ],
    );
    let opus = find(stbl, &[(b"stsd", 8), (b"Opus", 0)]);
    assert_eq!(&opus[16..18], [0, 2]);
    assert_eq!(u32_at(opus, 24), 48_000 << 16);
    let CodecConfig::Opus(config) = &tracks[1].codec else {
        panic!("opus")
    };
    assert_eq!(
        find(&opus[28..], &[(b"dOps", 0)]),
        &config.to_bytes().unwrap()[..]
    );
}

#[test]
fn edit_lists_from_presentation_shifts() {
    let file = fixture("h264_aac.mp4");
    let tracks = tracks(&file);
    let shifts = [
        PresentationShift {
            track_id: 1,
            ticks: -1024,
        },
        PresentationShift {
            track_id: 2,
            ticks: 4_410, // 100 ms of 44.1 kHz: an empty edit first
        },
    ];
    let init = init_segment_with_shifts(&tracks, &shifts).unwrap();
    let moov = find(&init, &[(b"moov", 0)]);
    let video = boxes(moov)[1].1;
    assert_eq!(types(video), ["tkhd", "edts", "mdia"]);
    assert_eq!(
        find(video, &[(b"edts", 0), (b"elst", 0)]),
        [0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 4, 0, 0, 1, 0, 0]
    );
    let audio = boxes(moov)[2].1;
    assert_eq!(
        find(audio, &[(b"edts", 0), (b"elst", 0)]),
        [
            0, 0, 0, 0, 0, 0, 0, 2, // version, flags, entry_count
            0, 0, 0, 100, 0xff, 0xff, 0xff, 0xff, 0, 1, 0, 0, // empty edit
            0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0,
        ]
    );
    // A zero shift writes no edit list.
    let init = init_segment_with_shifts(
        &tracks,
        &[PresentationShift {
            track_id: 1,
            ticks: 0,
        }],
    )
    .unwrap();
    assert_eq!(init, init_segment(&tracks).unwrap());
}

#[test]
fn init_segment_errors() {
    let file = fixture("h264_aac.mp4");
    let mut tracks = tracks(&file);
    assert_eq!(init_segment(&[]), Err(Fmp4Error::NoTracks));
    assert_eq!(
        init_segment_with_shifts(
            &tracks,
            &[PresentationShift {
                track_id: 9,
                ticks: 1
            }]
        ),
        Err(Fmp4Error::UnknownTrack { track_id: 9 })
    );
    let CodecConfig::H264(avc) = &mut tracks[0].codec else {
        panic!("video")
    };
    avc.pps.clear();
    assert_eq!(
        init_segment(&tracks),
        Err(Fmp4Error::MissingCodecConfiguration {
            track_id: 1,
            what: "PPS"
        })
    );
    let CodecConfig::H264(avc) = &mut tracks[0].codec else {
        panic!("video")
    };
    avc.sps.clear();
    assert_eq!(
        init_segment(&tracks),
        Err(Fmp4Error::MissingCodecConfiguration {
            track_id: 1,
            what: "SPS"
        })
    );
}

/// A whole fragmented file knows each track's end: the audio edit lasts
/// the source's edit (10 s, in movie milliseconds), trimming the encoder's
/// padding; the video edit runs to the end of the media.
#[test]
fn whole_file_audio_edit_lasts_the_sources() {
    let file = fixture("h264_aac.mp4");
    let out = fragment_file(&file, MediaTime::new(2, Timescale::SECONDS)).unwrap();
    let moov = find(&out.init, &[(b"moov", 0)]);
    let elst = |trak: usize| find(boxes(moov)[trak].1, &[(b"edts", 0), (b"elst", 0)]);
    // version, flags, entry_count; segment_duration, media_time, rate 1.
    assert_eq!(
        elst(1),
        [0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 4, 0, 0, 1, 0, 0]
    );
    assert_eq!(
        elst(2),
        [
            0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0x27, 0x10, 0, 0, 4, 0, 0, 1, 0, 0
        ]
    );
    // Given samples only, the edit lasts what they present: 431 frames of
    // 1 024 and a last one of 680 (the source's stts ends the track where
    // its edit does), less the 1 024 skipped: 441 000 ticks again.
    let (tracks, shifts) = file.tracks_and_shifts();
    let samples: Vec<_> = file.samples().collect();
    let out = streamkit_core::fmp4::fragment_samples(
        &tracks,
        &shifts,
        &samples,
        MediaTime::new(2, Timescale::SECONDS),
    )
    .unwrap();
    let moov = find(&out.init, &[(b"moov", 0)]);
    let audio = find(boxes(moov)[2].1, &[(b"edts", 0), (b"elst", 0)]);
    assert_eq!(&audio[8..12], 10_000u32.to_be_bytes());
}

#[test]
fn whole_file_index_matches_its_byte_ranges() {
    let file = fixture("h264_aac.mp4");
    let out = fragment_file(&file, MediaTime::new(2, Timescale::SECONDS)).unwrap();
    let bytes = out.bytes.to_bytes();
    assert_eq!(bytes.len() as u64, out.bytes.len());
    let init_end = out.init_range.end as usize;
    assert_eq!(&bytes[..init_end], &out.init[..]);
    assert_eq!(types(&bytes[..init_end]), ["ftyp", "moov"]);
    let sidx = &bytes[init_end..out.index_range.end as usize];
    assert_eq!(&sidx[4..8], b"sidx");
    let sidx = &sidx[8..];
    assert_eq!(u32_at(sidx, 4), 1); // reference_ID: the video
    assert_eq!(u32_at(sidx, 8), 15_360);
    assert_eq!(&sidx[12..20], [0; 8]); // earliest presentation time 0
    assert_eq!(&sidx[20..28], [0; 8]); // first_offset
    let count = u16::from_be_bytes(sidx[30..32].try_into().unwrap()) as usize;
    assert_eq!(count, 5);
    assert_eq!(out.segments.len(), 5);
    let mut next = out.index_range.end;
    let mut total_duration = 0;
    let mut total_samples = 0;
    for (i, seg) in out.segments.iter().enumerate() {
        let entry = &sidx[32 + 12 * i..44 + 12 * i];
        assert_eq!(seg.byte_range.start, next);
        assert_eq!(
            u64::from(u32_at(entry, 0)),
            seg.byte_range.end - seg.byte_range.start
        );
        assert_eq!(u64::from(u32_at(entry, 4)), seg.duration);
        assert_eq!(u32_at(entry, 8), 0x9000_0000); // SAP type 1
        let range = &bytes[seg.byte_range.start as usize..seg.byte_range.end as usize];
        assert_eq!(types(range), ["moof", "mdat"]);
        assert_eq!(seg.earliest_presentation_time, i as i64 * 30_720);
        next = seg.byte_range.end;
        total_duration += seg.duration;
        total_samples += seg.sample_count;
    }
    assert_eq!(next, out.bytes.len());
    assert_eq!(total_duration, 153_600); // 10 s at 15 360 Hz
    assert_eq!(total_samples, 300 + 432);
}

/// One sample read back from a fragment.
#[derive(Debug, PartialEq)]
struct ReadSample {
    track_id: u32,
    dts: i64,
    duration: u32,
    composition_offset: i32,
    keyframe: bool,
    data: Vec<u8>,
}

/// Reads the samples of a fragment back from its boxes.
fn read_fragment(fragment: &Fragment) -> (u32, Vec<ReadSample>) {
    let bytes = fragment.bytes.to_bytes();
    let top = boxes(&bytes);
    assert_eq!(top.len(), 2);
    let moof = top[0].1;
    let sequence = u32_at(find(moof, &[(b"mfhd", 0)]), 4);
    let mut out = Vec::new();
    for (kind, traf) in boxes(moof) {
        if &kind != b"traf" {
            continue;
        }
        let tfhd = find(traf, &[(b"tfhd", 0)]);
        let flags = u32_at(tfhd, 0) & 0xff_ffff;
        assert!(flags & 0x02_0000 != 0, "default-base-is-moof");
        let track_id = u32_at(tfhd, 4);
        let mut at = 8;
        let mut field = |bit: u32| {
            (flags & bit != 0).then(|| {
                at += 4;
                u32_at(tfhd, at - 4)
            })
        };
        assert_eq!(field(0x01), None); // no base_data_offset
        assert_eq!(field(0x02), None); // no sample_description_index
        let default_duration = field(0x08);
        assert_eq!(field(0x10), None); // sizes are always per sample
        let default_flags = field(0x20);
        let tfdt = find(traf, &[(b"tfdt", 0)]);
        assert_eq!(tfdt[0], 1, "tfdt version 1");
        let mut dts = u64::from_be_bytes(tfdt[4..12].try_into().unwrap()) as i64;
        let trun = find(traf, &[(b"trun", 0)]);
        let version = trun[0];
        let tflags = u32_at(trun, 0) & 0xff_ffff;
        let count = u32_at(trun, 4);
        let mut data_at = u32_at(trun, 8) as usize;
        let mut at = 12;
        let first_flags = (tflags & 0x04 != 0).then(|| {
            at += 4;
            u32_at(trun, at - 4)
        });
        for i in 0..count {
            let mut next = |bit: u32| {
                (tflags & bit != 0).then(|| {
                    at += 4;
                    u32_at(trun, at - 4)
                })
            };
            let duration = next(0x100).or(default_duration).unwrap();
            let size = next(0x200).unwrap() as usize;
            let sample_flags = next(0x400)
                .or(if i == 0 { first_flags } else { None })
                .or(default_flags)
                .unwrap();
            let cto = next(0x800).map_or(0, |v| {
                if version == 0 {
                    i32::try_from(v).unwrap()
                } else {
                    v as i32
                }
            });
            assert!(sample_flags == 0x0200_0000 || sample_flags == 0x0101_0000);
            out.push(ReadSample {
                track_id,
                dts,
                duration,
                composition_offset: cto,
                keyframe: sample_flags == 0x0200_0000,
                data: bytes[data_at..data_at + size].to_vec(),
            });
            data_at += size;
            dts += i64::from(duration);
        }
        assert_eq!(at, trun.len());
    }
    (sequence, out)
}

fn arb_track(track_id: u32, ts: u32) -> impl Strategy<Value = Vec<Sample>> {
    proptest::collection::vec(
        (
            1u32..5_000,
            -3_000i32..3_000,
            any::<bool>(),
            proptest::collection::vec(any::<u8>(), 0..40),
        ),
        1..40,
    )
    .prop_map(move |v| {
        let mut dts = 0i64;
        v.into_iter()
            .enumerate()
            .map(|(i, (duration, cto, key, data))| {
                let s = Sample {
                    track_id,
                    dts,
                    composition_offset: cto,
                    duration,
                    timescale: Timescale::new(ts).unwrap(),
                    keyframe: key || i == 0,
                    data: Bytes::from(data),
                };
                dts += i64::from(duration);
                s
            })
            .collect()
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    /// Interleaves two tracks, cuts the sequence into fragments at random
    /// points, writes them, and reads every sample back.
    #[test]
    fn fragments_round_trip(
        video in arb_track(1, 90_000),
        audio in arb_track(2, 48_000),
        cuts in proptest::collection::vec(any::<prop::sample::Index>(), 0..6),
        first_sequence in any::<u32>(),
    ) {
        let mut all: Vec<Sample> = video.iter().chain(&audio).cloned().collect();
        all.sort_by_key(|s| s.decode_time());
        let mut points: Vec<usize> = cuts.iter().map(|c| c.index(all.len())).collect();
        points.extend([0, all.len()]);
        points.sort_unstable();
        points.dedup();

        let mut writer = FragmentWriter::with_tracks([
            (1, Timescale::new(90_000).unwrap()),
            (2, Timescale::new(48_000).unwrap()),
        ]);
        writer.set_next_sequence_number(first_sequence);
        let mut read = Vec::new();
        for (n, w) in points.windows(2).enumerate() {
            let part = &all[w[0]..w[1]];
            let fragment = writer.write_fragment(part).unwrap();
            let (sequence, samples) = read_fragment(&fragment);
            prop_assert_eq!(sequence, first_sequence.wrapping_add(n as u32));
            // The header, then each sample's own buffer (empty ones left out).
            let payloads = part.iter().filter(|s| !s.data.is_empty()).count();
            prop_assert_eq!(fragment.bytes.buffers().len(), payloads + 1);
            read.extend(samples);
        }
        for track in [&video, &audio] {
            let got: Vec<&ReadSample> = read.iter().filter(|r| r.track_id == track[0].track_id).collect();
            prop_assert_eq!(got.len(), track.len());
            for (g, s) in got.iter().zip(track.iter()) {
                prop_assert_eq!(g.dts, s.dts);
                prop_assert_eq!(g.composition_offset, s.composition_offset);
                prop_assert_eq!(g.keyframe, s.keyframe);
                prop_assert_eq!(&g.data[..], &s.data[..]);
                // Input durations match decode-time gaps here, so each
                // written duration is the sample's own.
                prop_assert_eq!(g.duration, s.duration);
            }
        }
    }
}
