//! MPEG-TS output judged by FFmpeg: every fixture (H.264/H.265 with AAC or
//! Opus), muxed whole and cut into segments by the segmenter, must show ffprobe the
//! expected PIDs and stream types and exactly the source's frame counts,
//! decode with `ffmpeg -v error` printing nothing, and pass FFmpeg's
//! continuity check (logged at debug level) and our own packet-level checks.

// Test code: a failed read or parse is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use bytes::Bytes;
use streamkit_core::codec::CodecConfig;
use streamkit_core::mp4::Mp4File;
use streamkit_core::nal::{H265NalHeader, LengthPrefixedSlices};
use streamkit_core::sample::Sample;
use streamkit_core::segment::{SegmentEvent, Segmenter, SegmenterConfig};
use streamkit_core::time::{MediaTime, Timescale};
use streamkit_core::track::Track;
use streamkit_core::ts::{PACKET_SIZE, TsConfig, TsFile, TsMuxer};

/// Every fixture (H.264 or H.265 video, AAC or Opus audio), with ffprobe's
/// codec names and the frame counts of tests/fixtures/manifest.tsv.
const AV_FIXTURES: [(&str, &str, u64, &str, u64); 4] = [
    ("h264_aac.mp4", "h264", 300, "aac", 432),
    ("h264_aac_moov_end.mp4", "h264", 200, "aac", 376),
    ("h265_aac.mp4", "hevc", 180, "aac", 260),
    ("h264_opus.mp4", "h264", 180, "opus", 301),
];

fn fixture(name: &str) -> Mp4File {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/fixtures")
        .join(name);
    Mp4File::parse(Bytes::from(std::fs::read(&path).unwrap())).unwrap()
}

/// The tracks, and every sample placed on the movie timeline (edit lists
/// applied, as ffprobe reports them), with decode times moved back by the
/// track's `compositionToDTSShift` so that no sample presents before it
/// decodes (as MPEG-TS requires; h264_opus.mp4 has negative offsets).
fn demux(file: &Mp4File) -> (Vec<Track>, Vec<Sample>) {
    let tracks: Vec<Track> = file.tracks().iter().filter_map(|t| t.to_track()).collect();
    let shifts: HashMap<u32, (i64, u32)> = file
        .tracks()
        .iter()
        .map(|t| {
            (
                t.id(),
                (
                    t.presentation_shift().unwrap(),
                    t.composition_to_dts_shift(),
                ),
            )
        })
        .collect();
    let samples = file
        .samples()
        .map(|mut s| {
            let (shift, to_dts) = shifts[&s.track_id];
            s.dts += shift - i64::from(to_dts);
            s.composition_offset += i32::try_from(to_dts).unwrap();
            s
        })
        .collect();
    (tracks, samples)
}

/// A file in the temp directory, removed when dropped (kept when the
/// environment variable `STREAMKIT_KEEP_TS` is set, to look at a failure).
struct TempFile(PathBuf);

impl TempFile {
    fn new(tag: &str, bytes: &[u8]) -> TempFile {
        let path = std::env::temp_dir().join(format!(
            "streamkit-ts-{}-{}-{tag}.ts",
            std::process::id(),
            std::thread::current()
                .name()
                .unwrap_or("t")
                .replace("::", "-")
        ));
        std::fs::write(&path, bytes).unwrap();
        TempFile(path)
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        if std::env::var_os("STREAMKIT_KEEP_TS").is_none() {
            let _ = std::fs::remove_file(&self.0);
        }
    }
}

/// Runs `tool args file after`.
fn run(tool: &str, args: &[&str], file: &Path, after: &[&str]) -> (String, String) {
    let out = Command::new(tool)
        .args(args)
        .arg(file)
        .args(after)
        .output()
        .unwrap_or_else(|e| {
            panic!("{tool} is needed for this test (scripts/test installs it): {e}")
        });
    assert!(
        out.status.success(),
        "{tool} failed on {}: {}",
        file.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// ffprobe's view of each stream: (id, codec_name, nb_read_frames,
/// nb_read_packets).
fn probe_streams(file: &Path) -> Vec<(String, String, u64, u64)> {
    let (stdout, _) = run(
        "ffprobe",
        &[
            "-v",
            "error",
            "-count_frames",
            "-count_packets",
            "-show_entries",
            "stream=id,codec_name,nb_read_frames,nb_read_packets",
            "-of",
            "flat",
        ],
        file,
        &[],
    );
    // Lines like `streams.stream.0.codec_name="h264"`; the same streams
    // listed again under `programs.` are left out.
    let mut streams: Vec<HashMap<String, String>> = Vec::new();
    for line in stdout.lines() {
        let Some(rest) = line.strip_prefix("streams.stream.") else {
            continue;
        };
        let (index, kv) = rest.split_once('.').unwrap();
        let (key, value) = kv.split_once('=').unwrap();
        let index: usize = index.parse().unwrap();
        if streams.len() <= index {
            streams.resize(index + 1, HashMap::new());
        }
        streams[index].insert(key.to_owned(), value.trim_matches('"').to_owned());
    }
    streams
        .iter()
        .map(|f| {
            (
                f["id"].clone(),
                f["codec_name"].clone(),
                f["nb_read_frames"].parse().unwrap(),
                f["nb_read_packets"].parse().unwrap(),
            )
        })
        .collect()
}

/// Decodes with FFmpeg at debug level, each line tagged with its level: no
/// line at error level or above (what `-v error` would print) and no
/// continuity-check failure (which FFmpeg logs at debug level).
fn assert_decodes_cleanly(file: &Path) {
    assert_decodes_cleanly_with(file, &[]);
}

/// [`assert_decodes_cleanly`] with output options (`-an`, `-vn`).
fn assert_decodes_cleanly_with(file: &Path, options: &[&str]) {
    let mut after = options.to_vec();
    after.extend(["-f", "null", "-"]);
    let (_, log) = run(
        "ffmpeg",
        &["-nostdin", "-loglevel", "repeat+level+debug", "-i"],
        file,
        &after,
    );
    let errors: Vec<&str> = log
        .lines()
        .filter(|l| l.contains("[error]") || l.contains("[fatal]") || l.contains("[panic]"))
        .collect();
    assert!(errors.is_empty(), "{}: {errors:#?}", file.display());
    assert!(
        !log.contains("Continuity check failed"),
        "continuity errors in {}",
        file.display()
    );
}

/// What our own reading of the packets finds.
#[derive(Default, Debug)]
struct PacketCheck {
    /// PES packets started, per PID.
    pes_starts: HashMap<u16, usize>,
    /// PES starts with random_access_indicator, per PID.
    random_access: HashMap<u16, usize>,
    /// PCRs seen, per PID.
    pcrs: HashMap<u16, Vec<u64>>,
    /// PIDs of the first two packets.
    first_pids: Vec<u16>,
    /// Packets with an adaptation field and no payload.
    pcr_only_packets: usize,
}

/// Reads every packet: sync bytes, continuity counters per PID (starting
/// from `cc`, which carries across segments), adaptation fields.
fn check_packets(ts: &[u8], cc: &mut HashMap<u16, u8>) -> PacketCheck {
    assert_eq!(ts.len() % PACKET_SIZE, 0);
    let mut check = PacketCheck::default();
    for p in ts.chunks(PACKET_SIZE) {
        assert_eq!(p[0], 0x47);
        let pid = (u16::from(p[1] & 0x1F) << 8) | u16::from(p[2]);
        let pusi = p[1] & 0x40 != 0;
        let control = (p[3] >> 4) & 0x3;
        let counter = p[3] & 0x0F;
        if check.first_pids.len() < 2 {
            check.first_pids.push(pid);
        }
        assert_ne!(control, 0, "reserved adaptation_field_control");
        // A packet without payload (a PCR alone) repeats the counter.
        let step = if control == 2 { 0 } else { 1 };
        if let Some(prev) = cc.insert(pid, counter) {
            assert_eq!(counter, (prev + step) & 0x0F, "continuity on PID {pid:#x}");
        }
        check.pcr_only_packets += usize::from(control == 2);
        let mut payload_start = 4;
        if control & 2 != 0 {
            let len = usize::from(p[4]);
            payload_start = 5 + len;
            assert!(payload_start <= PACKET_SIZE);
            if len > 0 {
                let flags = p[5];
                if flags & 0x40 != 0 {
                    assert!(pusi, "random access only on PES starts");
                    *check.random_access.entry(pid).or_default() += 1;
                }
                if flags & 0x10 != 0 {
                    let b = &p[6..12];
                    let base = (u64::from(b[0]) << 25)
                        | (u64::from(b[1]) << 17)
                        | (u64::from(b[2]) << 9)
                        | (u64::from(b[3]) << 1)
                        | u64::from(b[4] >> 7);
                    check.pcrs.entry(pid).or_default().push(base);
                }
                // Whatever is not a field we wrote is stuffing.
                let fields = 1 + if flags & 0x10 != 0 { 6 } else { 0 };
                assert!(p[5 + fields..payload_start].iter().all(|&b| b == 0xFF));
            }
        }
        if pusi && pid != 0 && p[payload_start..].starts_with(&[0, 0, 1]) {
            *check.pes_starts.entry(pid).or_default() += 1;
        }
    }
    check
}

fn mux_all(muxer: &mut TsMuxer, samples: &[Sample]) -> Vec<u8> {
    let mut out = Vec::new();
    muxer.begin_segment(&mut out).unwrap();
    for s in samples {
        let n = muxer.write_sample(s, &mut out).unwrap();
        assert_eq!(n % PACKET_SIZE, 0);
    }
    out
}

#[test]
fn whole_files_probe_and_decode() {
    for (name, video_codec, video_frames, audio_codec, audio_frames) in AV_FIXTURES {
        let file = fixture(name);
        let (tracks, samples) = demux(&file);
        // PCRs at the 100 ms ISO/IEC 13818-1 allows (the default is 40 ms:
        // these files' audio runs up to 43 ms ahead of the video, which
        // would add PCR-only packets between frames).
        let config = TsConfig::default().with_pcr_interval(9_000);
        let mut muxer = TsMuxer::with_config(&tracks, config).unwrap();
        let ts = mux_all(&mut muxer, &samples);

        let tmp = TempFile::new(name, &ts);
        let streams = probe_streams(&tmp.0);
        assert_eq!(
            streams,
            [
                (
                    "0x100".to_owned(),
                    video_codec.to_owned(),
                    video_frames,
                    video_frames
                ),
                (
                    "0x101".to_owned(),
                    audio_codec.to_owned(),
                    audio_frames,
                    audio_frames
                ),
            ],
            "{name}"
        );
        assert_decodes_cleanly(&tmp.0);

        let check = check_packets(&ts, &mut HashMap::new());
        assert_eq!(check.first_pids, [0x0000, 0x1000], "{name}: PAT, PMT first");
        assert_eq!(check.pes_starts[&0x100] as u64, video_frames, "{name}");
        assert_eq!(check.pes_starts[&0x101] as u64, audio_frames, "{name}");
        let keyframes = samples
            .iter()
            .filter(|s| s.track_id == 1 && s.keyframe)
            .count();
        assert_eq!(check.random_access[&0x100], keyframes, "{name}");
        // Every audio frame is a keyframe.
        assert_eq!(check.random_access[&0x101] as u64, audio_frames, "{name}");
        // A PCR with every video frame, none on audio, always increasing.
        let pcrs = &check.pcrs[&0x100];
        assert_eq!(pcrs.len() as u64, video_frames, "{name}");
        assert_eq!(
            check.pcr_only_packets, 0,
            "{name}: 30 fps needs no extra PCR"
        );
        assert!(pcrs.windows(2).all(|w| w[0] < w[1]), "{name}");
        assert!(!check.pcrs.contains_key(&0x101));
    }
}

/// (stream index, dts, pts) of each packet, as ffprobe reports them.
fn probe_packets(file: &Path) -> Vec<(usize, i64, i64)> {
    let (stdout, _) = run(
        "ffprobe",
        &[
            "-v",
            "error",
            "-show_entries",
            "packet=stream_index,dts,pts",
            "-of",
            "csv=p=0",
        ],
        file,
        &[],
    );
    stdout
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            (
                f[0].parse().unwrap(),
                f[2].parse().unwrap(),
                f[1].parse().unwrap(),
            )
        })
        .collect()
}

#[test]
fn timestamps_match_the_source() {
    // ffprobe's PTS and DTS of every packet of our MPEG-TS are the source's
    // (tests/fixtures/*.packets.tsv, ffprobe's view of the MP4) on the
    // 90 kHz clock, rounded to nearest, plus the 1.4 s offset.
    for (name, ..) in AV_FIXTURES {
        let file = fixture(name);
        let (tracks, samples) = demux(&file);
        let mut muxer = TsMuxer::new(&tracks).unwrap();
        let ts = mux_all(&mut muxer, &samples);
        let tmp = TempFile::new(name, &ts);
        let to_90k = |t: i64, hz: u32| {
            let (num, den) = (i128::from(t) * 90_000, i128::from(hz));
            ((2 * num + den).div_euclid(2 * den) + 126_000) as i64
        };
        let manifest = std::fs::read_to_string(
            PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                .join("../tests/fixtures")
                .join(name.replace(".mp4", ".packets.tsv")),
        )
        .unwrap();
        let mut want: Vec<Vec<(i64, i64)>> = vec![Vec::new(); tracks.len()];
        for line in manifest.lines().filter(|l| !l.starts_with('#')) {
            let f: Vec<&str> = line.split('\t').collect();
            let index: usize = f[0].parse().unwrap();
            let hz = tracks[index].timescale.hz();
            want[index].push((
                to_90k(f[1].parse().unwrap(), hz),
                to_90k(f[2].parse().unwrap(), hz),
            ));
        }
        let mut got: Vec<Vec<(i64, i64)>> = vec![Vec::new(); tracks.len()];
        for (index, dts, pts) in probe_packets(&tmp.0) {
            got[index].push((dts, pts));
        }
        for (i, (g, w)) in got.iter().zip(&want).enumerate() {
            assert_eq!(g.len(), w.len(), "{name} stream {i}");
            assert_eq!(g, w, "{name} stream {i}");
        }
    }
}

#[test]
fn segments_start_with_tables_and_decode_alone() {
    for (name, video_codec, video_frames, audio_codec, audio_frames) in AV_FIXTURES {
        let file = fixture(name);
        let (tracks, samples) = demux(&file);
        let video = &tracks[0];
        let config = SegmenterConfig::new(
            video.id,
            video.timescale,
            MediaTime::new(2, Timescale::SECONDS),
        )
        .with_part_target(MediaTime::new(500, Timescale::MILLIS));
        let mut segmenter = Segmenter::new(config).unwrap();
        let mut muxer = TsMuxer::new(&tracks).unwrap();

        // (bytes, video samples, audio samples, video NAL types) per segment.
        type Cut = (Vec<u8>, u64, u64, Vec<u8>);
        let mut segments: Vec<Cut> = Vec::new();
        let mut current: Option<Cut> = None;
        let mut handle = |event: SegmentEvent, muxer: &mut TsMuxer| match event {
            SegmentEvent::Part(part) => {
                let seg = current.get_or_insert_with(|| {
                    let mut out = Vec::new();
                    muxer.begin_segment(&mut out).unwrap();
                    (out, 0, 0, Vec::new())
                });
                if part.timing.index == 0 {
                    assert!(part.samples[0].keyframe && part.samples[0].track_id == video.id);
                }
                for s in &part.samples {
                    muxer.write_sample(s, &mut seg.0).unwrap();
                    if s.track_id == video.id {
                        seg.1 += 1;
                        seg.3.push(first_vcl_type(video, s));
                    } else {
                        seg.2 += 1;
                    }
                }
            }
            SegmentEvent::Segment(_) => segments.push(current.take().unwrap()),
            other => panic!("{name}: unexpected {other:?}"),
        };
        for s in &samples {
            segmenter.push(s.clone()).unwrap();
            while let Some(e) = segmenter.poll() {
                handle(e, &mut muxer);
            }
        }
        segmenter.finish();
        while let Some(e) = segmenter.poll() {
            handle(e, &mut muxer);
        }
        assert!(segments.len() >= 2, "{name}: {} segments", segments.len());

        let mut cc = HashMap::new();
        let mut whole = Vec::new();
        for (i, (bytes, video_count, audio_count, types)) in segments.iter().enumerate() {
            let check = check_packets(bytes, &mut cc);
            assert_eq!(check.first_pids, [0x0000, 0x1000], "{name} #{i}");
            assert_eq!(check.pes_starts[&0x100] as u64, *video_count);
            // Each segment alone: every frame there, decodable from its start.
            let tmp = TempFile::new(&format!("{name}-{i}"), bytes);
            let streams = probe_streams(&tmp.0);
            // An H.265 segment that starts at a CRA picture (open GOP) has
            // RASL pictures that reference the previous segment: a decoder
            // starting there skips them (H.265 8.1.3), and only them.
            let decodable = *video_count - skipped_rasl(types);
            assert_eq!(
                streams,
                [
                    (
                        "0x100".to_owned(),
                        video_codec.to_owned(),
                        decodable,
                        *video_count
                    ),
                    (
                        "0x101".to_owned(),
                        audio_codec.to_owned(),
                        *audio_count,
                        *audio_count
                    ),
                ],
                "{name} segment {i}"
            );
            assert_decodes_cleanly(&tmp.0);
            whole.extend_from_slice(bytes);
        }
        // Concatenated, the segments are the whole stream.
        let tmp = TempFile::new(&format!("{name}-all"), &whole);
        let streams = probe_streams(&tmp.0);
        assert_eq!(streams[0].2, video_frames, "{name}");
        assert_eq!(streams[1].2, audio_frames, "{name}");
        assert_decodes_cleanly(&tmp.0);
    }
}

/// The NAL unit type of the first slice of an H.265 sample (0 for H.264
/// tracks, whose IDR-only fixtures have no leading pictures).
fn first_vcl_type(track: &Track, sample: &Sample) -> u8 {
    let CodecConfig::H265(hevc) = &track.codec else {
        return 0;
    };
    LengthPrefixedSlices::new(&sample.data, hevc.nal_length_size)
        .map(Result::unwrap)
        .map(|u| H265NalHeader::parse([u[0], u[1]]).nal_unit_type)
        .find(|&t| t < 32)
        .unwrap()
}

/// RASL pictures (types 8 and 9) after a leading CRA (21), before the next
/// IRAP (16 to 23).
fn skipped_rasl(types: &[u8]) -> u64 {
    if types.first() != Some(&21) {
        return 0;
    }
    types[1..]
        .iter()
        .take_while(|t| !(16..=23).contains(*t))
        .filter(|t| matches!(t, 8 | 9))
        .count() as u64
}

#[test]
fn slow_video_gets_pcr_packets_between_frames() {
    // The H.264 fixture slowed to 7.5 fps (133 ms a frame), AAC unchanged:
    // the audio frames between video frames bring PCR-only packets, so the
    // PCR still comes at least every 100 ms (plus one audio frame, the
    // granularity it is checked at) while there is audio.
    let file = fixture("h264_aac.mp4");
    let (tracks, samples) = demux(&file);
    let mut samples: Vec<Sample> = samples
        .into_iter()
        .map(|mut s| {
            if s.track_id == 1 {
                s.dts *= 4;
                s.composition_offset *= 4;
                s.duration *= 4;
            }
            s
        })
        .collect();
    samples.sort_by_key(|s| s.decode_time());
    let audio = || samples.iter().filter(|s| s.track_id == 2);
    let audio_start = audio().map(|s| s.dts).min().unwrap();
    let audio_end = audio().map(|s| s.end_dts()).max().unwrap();
    // 90 kHz ticks, shifted as the muxer shifts a DTS to its PCR.
    let to_pcr = |t: i64| (t * 90_000).div_euclid(44_100) + 126_000 - 63_000;
    let (audio_start_pcr, audio_end_pcr) = (to_pcr(audio_start) as u64, to_pcr(audio_end) as u64);
    let mut muxer = TsMuxer::new(&tracks).unwrap();
    let ts = mux_all(&mut muxer, &samples);
    let check = check_packets(&ts, &mut HashMap::new());
    assert!(check.pcr_only_packets > 0);
    let pcrs = &check.pcrs[&0x100];
    assert_eq!(pcrs.len(), 300 + check.pcr_only_packets);
    assert!(pcrs.windows(2).all(|w| w[0] <= w[1]));
    let one_audio_frame = 1_024 * 90_000 / 44_100 + 1;
    let with_audio = |w: &&[u64]| w[0] >= audio_start_pcr && w[1] <= audio_end_pcr;
    assert!(pcrs.windows(2).filter(with_audio).count() > 100);
    for w in pcrs.windows(2).filter(with_audio) {
        assert!(w[1] - w[0] <= 9_000 + one_audio_frame, "PCR gap {w:?}");
    }
    let tmp = TempFile::new("slow", &ts);
    assert_eq!(
        probe_streams(&tmp.0),
        [
            ("0x100".to_owned(), "h264".to_owned(), 300, 300),
            ("0x101".to_owned(), "aac".to_owned(), 432, 432),
        ]
    );
    // Each stream decodes cleanly. Together, ffmpeg's command-line output
    // side (its null muxer, not the demuxer or the decoders) reports
    // non-monotonic timestamps for this slowed stream; it reports them for
    // ffmpeg's own MPEG-TS of it too (`-c copy -bsf:v setts=ts=TS*4`), so
    // the two streams are decoded one at a time.
    assert_decodes_cleanly_with(&tmp.0, &["-an"]);
    assert_decodes_cleanly_with(&tmp.0, &["-vn"]);
}

#[test]
fn video_only_from_the_opus_fixture() {
    // The H.264 track of the Opus fixture, alone: PCR and video on 0x100.
    let file = fixture("h264_opus.mp4");
    let (tracks, samples) = demux(&file);
    let video: Vec<Sample> = samples.into_iter().filter(|s| s.track_id == 1).collect();
    let mut muxer = TsMuxer::new(&tracks[..1]).unwrap();
    let ts = mux_all(&mut muxer, &video);
    let tmp = TempFile::new("h264_opus-video", &ts);
    assert_eq!(
        probe_streams(&tmp.0),
        [("0x100".to_owned(), "h264".to_owned(), 180, 180)]
    );
    assert_decodes_cleanly(&tmp.0);
}

/// Audio tracks carry their language in the PMT (an ISO 639 language
/// descriptor per stream): ffprobe reports it as each stream's language
/// tag and streamkit's own demuxer reads it back; the video stream has
/// none, and an audio track without a language gets none.
#[test]
fn audio_languages_reach_ffprobe_and_the_demuxer() {
    let file = fixture("h264_aac.mp4");
    let (tracks, samples) = demux(&file);
    let (video, aac) = (tracks[0].clone(), tracks[1].clone());
    // Three audio tracks of the same frames: English, French, unknown.
    let mut french = aac.clone();
    french.id = 3;
    let mut unknown = aac.clone();
    unknown.id = 4;
    unknown.language = None;
    let tracks = vec![
        video,
        aac.clone().with_language(*b"eng"),
        french.with_language(*b"fra"),
        unknown,
    ];
    let samples: Vec<Sample> = samples
        .iter()
        .flat_map(|s| {
            let copies = if s.track_id == aac.id {
                vec![2, 3, 4]
            } else {
                vec![s.track_id]
            };
            copies.into_iter().map(move |id| Sample {
                track_id: id,
                ..s.clone()
            })
        })
        .collect();
    let config = TsConfig::default().with_pcr_interval(9_000);
    let mut muxer = TsMuxer::with_config(&tracks, config).unwrap();
    let ts = mux_all(&mut muxer, &samples);
    let tmp = TempFile::new("languages", &ts);
    let (stdout, _) = run(
        "ffprobe",
        &[
            "-v",
            "error",
            "-show_entries",
            "stream=id,codec_type:stream_tags=language",
            "-of",
            "csv=p=0",
        ],
        &tmp.0,
        &[],
    );
    // Each stream is listed under the program (without tags) and alone:
    // one entry per PID, the fuller one.
    let mut by_pid: HashMap<&str, Vec<&str>> = HashMap::new();
    for line in stdout.lines() {
        let fields: Vec<&str> = line.split(',').collect();
        let [kind, pid, ..] = fields[..] else {
            continue; // the blank line between the two lists
        };
        let entry = by_pid.entry(pid).or_default();
        if fields.len() > entry.len() {
            *entry = vec![pid, kind];
            entry.extend(&fields[2..]);
        }
    }
    let mut streams: Vec<Vec<&str>> = by_pid.into_values().collect();
    streams.sort_unstable();
    assert_eq!(
        streams,
        [
            vec!["0x100", "video"],
            vec!["0x101", "audio", "eng"],
            vec!["0x102", "audio", "fra"],
            vec!["0x103", "audio"],
        ],
        "{stdout}"
    );
    let demuxed = TsFile::parse(&ts).unwrap();
    let mut languages: Vec<(String, Option<&str>)> = demuxed
        .tracks()
        .iter()
        .map(|t| (t.kind().to_string(), t.language_str()))
        .collect();
    languages.sort_unstable();
    let audio = |l| ("audio".to_owned(), l);
    assert_eq!(
        languages,
        [
            audio(None),
            audio(Some("eng")),
            audio(Some("fra")),
            ("video".to_owned(), None)
        ]
    );
}
