//! The MP4 demuxer against ffprobe's view of every fixture, sample for
//! sample (tests/fixtures/manifest.tsv and tests/fixtures/*.packets.tsv,
//! written by scripts/make-fixtures.sh).

// Test code: a failed read or parse is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::PathBuf;

use bytes::Bytes;
use streamkit_core::codec::CodecConfig;
use streamkit_core::mp4::Mp4File;
use streamkit_core::sample::Sample;

const FIXTURES: [&str; 4] = [
    "h264_aac.mp4",
    "h264_aac_moov_end.mp4",
    "h265_aac.mp4",
    "h264_opus.mp4",
];

fn fixtures_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures")
}

fn read(name: &str) -> String {
    std::fs::read_to_string(fixtures_dir().join(name)).unwrap()
}

/// Rows of a TSV file, without comment lines.
fn rows(text: &str) -> Vec<Vec<String>> {
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .map(|l| l.split('\t').map(str::to_owned).collect())
        .collect()
}

fn int(s: &str) -> i64 {
    s.parse()
        .unwrap_or_else(|_| panic!("not an integer: {s:?}"))
}

/// CRC-32 (IEEE 802.3, reflected, as zlib and ffmpeg's `CRC32` hash).
fn crc32(data: &[u8]) -> u32 {
    let mut crc = u32::MAX;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

#[test]
fn crc32_check_value() {
    assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
}

fn open(name: &str) -> Mp4File {
    let data = std::fs::read(fixtures_dir().join(name)).unwrap();
    Mp4File::parse(Bytes::from(data)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// Runs ffprobe (through scripts/make-fixtures.sh) on the committed media
/// and checks the committed manifests still say what it says.
#[test]
fn manifests_match_what_ffprobe_says_now() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let out = std::env::temp_dir().join(format!("streamkit-mp4-manifest-{}", std::process::id()));
    let status = std::process::Command::new("bash")
        .arg(root.join("scripts/make-fixtures.sh"))
        .arg("--manifest-to")
        .arg(&out)
        .status()
        .expect("bash runs");
    assert!(
        status.success(),
        "scripts/make-fixtures.sh failed: is ffprobe installed (apt-get install ffmpeg)?"
    );
    let mut names = vec!["manifest.tsv".to_owned()];
    names.extend(FIXTURES.iter().map(|f| f.replace(".mp4", ".packets.tsv")));
    for name in names {
        let now = std::fs::read_to_string(out.join(&name)).unwrap();
        assert_eq!(rows(&now), rows(&read(&name)), "{name}");
    }
    std::fs::remove_dir_all(&out).unwrap();
}

#[test]
fn manifest_lists_every_fixture() {
    let manifest = rows(&read("manifest.tsv"));
    let files: Vec<&str> = manifest
        .iter()
        .filter(|r| r[0] == "file")
        .map(|r| r[1].as_str())
        .collect();
    assert_eq!(files, FIXTURES);
}

#[test]
fn tracks_agree_with_manifest() {
    let manifest = rows(&read("manifest.tsv"));
    for name in FIXTURES {
        let file = open(name);
        let frow = manifest
            .iter()
            .find(|r| r[0] == "file" && r[1] == name)
            .unwrap();
        assert_eq!(file.data().len() as i64, int(&frow[2]), "{name}: bytes");
        // ffprobe's format duration is the movie duration (mvhd).
        let movie_us =
            i128::from(file.movie_duration()) * 1_000_000 / i128::from(file.movie_timescale().hz());
        assert_eq!(movie_us as i64, int(&frow[3]), "{name}: duration");

        let trows: Vec<&Vec<String>> = manifest
            .iter()
            .filter(|r| r[0] == "track" && r[1] == name)
            .collect();
        assert_eq!(file.tracks().len(), trows.len(), "{name}: track count");
        for row in trows {
            let index = int(&row[2]) as usize;
            let t = &file.tracks()[index];
            let ctx = format!("{name} track {}", t.id());
            assert_eq!(i64::from(t.id()), int(&row[3]), "{ctx}: id");
            let codec = t.codec().unwrap_or_else(|| panic!("{ctx}: no codec"));
            let codec_name = match codec {
                CodecConfig::H264(_) => "h264",
                CodecConfig::H265(_) => "hevc",
                CodecConfig::Aac(_) => "aac",
                CodecConfig::Opus(_) => "opus",
                _ => "other",
            };
            assert_eq!(codec_name, row[4], "{ctx}: codec");
            assert_eq!(
                t.sample_entry().unwrap().to_string(),
                row[5],
                "{ctx}: fourcc"
            );
            assert_eq!(
                i64::from(t.timescale().hz()),
                int(&row[6]),
                "{ctx}: timescale"
            );
            let (w, h) = (int(&row[7]), int(&row[8]));
            if w != 0 {
                let (dw, dh) = codec.dimensions().unwrap();
                assert_eq!((i64::from(dw), i64::from(dh)), (w, h), "{ctx}: SPS size");
                let (vw, vh) = t.visual_size().unwrap();
                assert_eq!((i64::from(vw), i64::from(vh)), (w, h), "{ctx}: entry size");
                assert_eq!(t.handler().to_string(), "vide");
            } else {
                assert_eq!(t.handler().to_string(), "soun");
                assert_eq!(
                    i64::from(codec.sample_rate().unwrap()),
                    int(&row[9]),
                    "{ctx}: sample rate"
                );
                assert_eq!(
                    i64::from(codec.channels().unwrap()),
                    int(&row[10]),
                    "{ctx}: channels"
                );
                // ffmpeg writes the reserved 2 as channelcount for AAC in MP4.
                let (channels, rate) = t.audio_format().unwrap();
                assert_eq!(i64::from(rate), int(&row[9]), "{ctx}: entry sample rate");
                if codec_name == "opus" {
                    assert_eq!(i64::from(channels), int(&row[10]), "{ctx}: entry channels");
                }
            }
            assert_eq!(i64::from(t.sample_count()), int(&row[11]), "{ctx}: samples");
            let samples: Vec<Sample> = file.track_samples(t.id()).unwrap().collect();
            assert_eq!(
                samples.len() as i64,
                int(&row[11]),
                "{ctx}: samples yielded"
            );
            let keyframes = samples.iter().filter(|s| s.keyframe).count();
            assert_eq!(keyframes as i64, int(&row[12]), "{ctx}: keyframes");
            let shift = t.presentation_shift().unwrap();
            let dts_shift = shift - i64::from(t.composition_to_dts_shift());
            let (first, last) = (&samples[0], samples.last().unwrap());
            assert_eq!(first.dts + dts_shift, int(&row[13]), "{ctx}: first dts");
            assert_eq!(first.pts() + shift, int(&row[14]), "{ctx}: first pts");
            assert_eq!(last.dts + dts_shift, int(&row[15]), "{ctx}: last dts");
            assert_eq!(last.pts() + shift, int(&row[16]), "{ctx}: last pts");
            assert_eq!(t.duration() as i64, last.end_dts(), "{ctx}: mdhd duration");
            // ffprobe's stream duration is the edit list's, in track ticks.
            let edited: u64 = t.edits().iter().map(|e| e.segment_duration).sum();
            let edited =
                edited * u64::from(t.timescale().hz()) / u64::from(file.movie_timescale().hz());
            assert_eq!(edited as i64, int(&row[17]), "{ctx}: edited duration");
        }
    }
}

#[test]
fn samples_agree_with_ffprobe_packets() {
    for name in FIXTURES {
        let file = open(name);
        let stem = name.trim_end_matches(".mp4");
        let packets = rows(&read(&format!("{stem}.packets.tsv")));
        let mut total = 0;
        for (index, t) in file.tracks().iter().enumerate() {
            let expected: Vec<&Vec<String>> = packets
                .iter()
                .filter(|p| int(&p[0]) as usize == index)
                .collect();
            // ffprobe's view: the edit list's shift on both times, and dts
            // moved back by the composition-to-dts shift.
            let shift = t.presentation_shift().unwrap();
            let dts_shift = shift - i64::from(t.composition_to_dts_shift());
            let samples: Vec<Sample> = file.track_samples(t.id()).unwrap().collect();
            assert_eq!(samples.len(), expected.len(), "{name} track {}", t.id());
            for (n, (s, p)) in samples.iter().zip(&expected).enumerate() {
                let ctx = format!("{name} track {} sample {n}", t.id());
                assert_eq!(s.track_id, t.id(), "{ctx}");
                assert_eq!(s.timescale, t.timescale(), "{ctx}");
                assert_eq!(s.dts + dts_shift, int(&p[1]), "{ctx}: dts");
                assert_eq!(s.pts() + shift, int(&p[2]), "{ctx}: pts");
                assert_eq!(i64::from(s.duration), int(&p[3]), "{ctx}: duration");
                assert_eq!(s.data.len() as i64, int(&p[4]), "{ctx}: size");
                assert_eq!(s.keyframe, p[5] == "1", "{ctx}: keyframe");
                assert_eq!(format!("{:08x}", crc32(&s.data)), p[7], "{ctx}: crc32");
            }
            total += samples.len();
        }
        assert_eq!(total, packets.len(), "{name}: every packet is some track's");
    }
}

#[test]
fn samples_interleave_by_decode_time_and_share_the_file_buffer() {
    for name in FIXTURES {
        let file = open(name);
        let base = file.data().as_ptr() as usize;
        let end = base + file.data().len();
        let all: Vec<Sample> = file.samples().collect();
        let expected: usize = file
            .tracks()
            .iter()
            .map(|t| t.sample_count() as usize)
            .sum();
        assert_eq!(all.len(), expected, "{name}");
        for pair in all.windows(2) {
            let (a, b) = (&pair[0], &pair[1]);
            let ta = i128::from(a.dts) * i128::from(b.timescale.hz());
            let tb = i128::from(b.dts) * i128::from(a.timescale.hz());
            assert!(ta <= tb, "{name}: {a:?} before {b:?}");
        }
        for s in &all {
            let p = s.data.as_ptr() as usize;
            assert!(
                p >= base && p + s.data.len() <= end,
                "{name}: data not a slice"
            );
        }
        // Each track's subsequence is that track's own iteration.
        for t in file.tracks() {
            let mine: Vec<&Sample> = all.iter().filter(|s| s.track_id == t.id()).collect();
            let own: Vec<Sample> = file.track_samples(t.id()).unwrap().collect();
            assert_eq!(mine.len(), own.len());
            assert!(mine.iter().zip(&own).all(|(a, b)| *a == b), "{name}");
        }
    }
}

#[test]
fn edit_lists_are_reported() {
    // ffmpeg writes one edit per track: B-frame delay for video, encoder
    // delay (priming) for AAC and the pre-skip for Opus.
    let file = open("h264_aac.mp4");
    let shifts: Vec<Option<i64>> = file
        .tracks()
        .iter()
        .map(|t| t.presentation_shift())
        .collect();
    assert_eq!(shifts, [Some(-1024), Some(-1024)]);
    let opus = open("h264_opus.mp4");
    let audio = &opus.tracks()[1];
    assert_eq!(audio.edits().len(), 1);
    assert_eq!(audio.edits()[0].media_time, Some(312));
    assert_eq!(audio.presentation_shift(), Some(-312));
    // ctts version 1: negative composition offsets, no video edit shift.
    let video = &opus.tracks()[0];
    assert_eq!(video.presentation_shift(), Some(0));
    assert_eq!(video.composition_to_dts_shift(), 512);
    assert_eq!(file.tracks()[0].composition_to_dts_shift(), 0);
}
