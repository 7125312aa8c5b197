//! Fragmented MP4 input: every fixture through ffmpeg's fragmenting
//! (`frag_keyframe+empty_moov+default_base_moof`, `+cmaf`, plain
//! `frag_keyframe`), and as an HLS fMP4 rendition
//! (init segment + media segments, concatenated), demuxes sample for
//! sample as the progressive file does; so does what streamkit's own
//! packager writes.

// Test code: a failed read or parse is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::Command;

use bytes::Bytes;
use streamkit_core::mp4::Mp4File;

const FIXTURES: [&str; 4] = [
    "h264_aac.mp4",
    "h264_aac_moov_end.mp4",
    "h265_aac.mp4",
    "h264_opus.mp4",
];

fn fixture_path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/fixtures")
        .join(name)
}

fn read(path: &Path) -> Mp4File {
    Mp4File::parse(Bytes::from(std::fs::read(path).unwrap()))
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> TempDir {
        let dir = std::env::temp_dir().join(format!("streamkit-frag-{}-{tag}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn ffmpeg(args: &[&str]) {
    let out = Command::new("ffmpeg")
        .args(["-hide_banner", "-loglevel", "error", "-y"])
        .args(args)
        .output()
        .expect("ffmpeg");
    assert!(
        out.status.success(),
        "ffmpeg {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// One packet as ffprobe reports it: (pts, dts, duration, size, key).
type Probed = (i64, i64, Option<u32>, usize, bool);

/// ffprobe's packets of each stream.
fn probe(path: &Path) -> Vec<Vec<Probed>> {
    let out = Command::new("ffprobe")
        .args([
            "-v",
            "error",
            "-show_entries",
            "packet=stream_index,pts,dts,duration,size,flags",
            "-of",
            "csv=p=0",
        ])
        .arg(path)
        .output()
        .expect("ffprobe");
    assert!(out.status.success());
    let mut streams: Vec<Vec<_>> = Vec::new();
    for line in String::from_utf8(out.stdout).unwrap().lines() {
        let f: Vec<&str> = line.split(',').collect();
        let index: usize = f[0].parse().unwrap();
        if streams.len() <= index {
            streams.resize(index + 1, Vec::new());
        }
        streams[index].push((
            f[1].parse().unwrap(),
            f[2].parse().unwrap(),
            f[3].parse().ok(),
            f[4].parse().unwrap(),
            f[5].starts_with('K'),
        ));
    }
    streams
}

/// Our samples of `file` (at `path`) are ffprobe's packets: times on the
/// presentation timeline (edit lists applied), durations, sizes, flags.
fn assert_matches_ffprobe(path: &Path, file: &Mp4File, what: &str) {
    let probed = probe(path);
    let (tracks, shifts) = file.tracks_and_shifts();
    assert_eq!(tracks.len(), probed.len(), "{what}: streams");
    for (track, want) in tracks.iter().zip(&probed) {
        let shift = shifts
            .iter()
            .find(|s| s.track_id == track.id)
            .map_or(0, |s| s.ticks);
        // ffmpeg presents samples whose composition offsets are negative
        // later by the largest of them (`compositionToDTSShift`).
        let to_dts = i64::from(file.track(track.id).unwrap().composition_to_dts_shift());
        let got: Vec<_> = file.track_samples(track.id).unwrap().collect();
        assert_eq!(got.len(), want.len(), "{what}: track {} packets", track.id);
        for (i, (g, w)) in got.iter().zip(want).enumerate() {
            let ours = (
                g.pts() + shift + to_dts,
                g.dts + shift,
                g.data.len(),
                g.keyframe,
            );
            assert_eq!(
                ours,
                (w.0, w.1, w.3, w.4),
                "{what}: track {} packet {i}",
                track.id
            );
            // The last frame's duration ffmpeg reports from the codec
            // (a whole AAC frame), not from the file.
            if let Some(d) = w.2.filter(|_| i + 1 < want.len()) {
                assert_eq!(
                    g.duration, d,
                    "{what}: track {} packet {i} duration",
                    track.id
                );
            }
        }
    }
}

/// The two files have the same tracks and, track by track, the same
/// samples: bytes, keyframe flags, composition offsets (up to one shift
/// for the whole track) and decode-time steps. Where ffmpeg's fragmenting moved a track's start (it aligns the
/// tracks' first decode times and lengthens the first frame instead of
/// writing an edit list), only the first sample's duration and the
/// origin of the decode times differ: ffprobe judges those.
fn assert_same_samples(progressive: &Mp4File, fragmented: &Mp4File, what: &str) {
    assert!(fragmented.is_fragmented(), "{what}");
    let (pt, _) = progressive.tracks_and_shifts();
    let (ft, _) = fragmented.tracks_and_shifts();
    assert_eq!(pt.len(), ft.len(), "{what}: tracks");
    for (p, f) in pt.iter().zip(&ft) {
        assert_eq!(p.codec, f.codec, "{what}: codec of track {}", p.id);
        assert_eq!(p.timescale, f.timescale, "{what}");
        let want: Vec<_> = progressive.track_samples(p.id).unwrap().collect();
        let got: Vec<_> = fragmented.track_samples(f.id).unwrap().collect();
        assert_eq!(got.len(), want.len(), "{what}: track {} sample count", p.id);
        for (i, (g, w)) in got.iter().zip(&want).enumerate() {
            // `+cmaf` moves every composition offset by the same amount
            // (version-1 `trun`, no sample presents before it decodes).
            assert_eq!(
                (
                    &g.data,
                    g.keyframe,
                    g.composition_offset - got[0].composition_offset
                ),
                (
                    &w.data,
                    w.keyframe,
                    w.composition_offset - want[0].composition_offset
                ),
                "{what}: track {} sample {i}",
                p.id
            );
            if i > 0 {
                assert_eq!(g.duration, w.duration, "{what}: track {} sample {i}", p.id);
                assert_eq!(
                    g.dts - got[1].dts,
                    w.dts - want[1].dts,
                    "{what}: track {} sample {i}",
                    p.id
                );
            }
        }
        let track = fragmented.track(f.id).unwrap();
        assert_eq!(track.sample_count() as usize, want.len(), "{what}");
        assert!(track.duration() > 0, "{what}: duration");
    }
    assert_eq!(
        fragmented.samples().len(),
        progressive.samples().len(),
        "{what}"
    );
    assert_eq!(
        fragmented.samples().count(),
        progressive.samples().count(),
        "{what}"
    );
}

#[test]
fn ffmpeg_fragmented_files_demux_like_the_progressive_ones() {
    let dir = TempDir::new("ffmpeg");
    for name in FIXTURES {
        let progressive = read(&fixture_path(name));
        for (tag, flags) in [
            ("dbm", "frag_keyframe+empty_moov+default_base_moof"),
            ("cmaf", "+cmaf"),
            ("kf", "frag_keyframe"),
        ] {
            let out = dir.0.join(format!("{tag}-{name}"));
            ffmpeg(&[
                "-i",
                fixture_path(name).to_str().unwrap(),
                "-c",
                "copy",
                "-movflags",
                flags,
                out.to_str().unwrap(),
            ]);
            let fragmented = read(&out);
            let what = format!("{name} {flags}");
            assert_same_samples(&progressive, &fragmented, &what);
            assert_matches_ffprobe(&out, &fragmented, &what);
        }
    }
}

#[test]
fn an_init_segment_and_media_segments_demux_as_one_file() {
    let dir = TempDir::new("hls");
    for name in FIXTURES {
        let sub = dir.0.join(name.replace('.', "_"));
        std::fs::create_dir_all(&sub).unwrap();
        ffmpeg(&[
            "-i",
            fixture_path(name).to_str().unwrap(),
            "-c",
            "copy",
            "-f",
            "hls",
            "-hls_segment_type",
            "fmp4",
            "-hls_time",
            "2",
            "-hls_playlist_type",
            "vod",
            sub.join("index.m3u8").to_str().unwrap(),
        ]);
        let playlist = std::fs::read_to_string(sub.join("index.m3u8")).unwrap();
        let mut bytes = std::fs::read(sub.join("init.mp4")).unwrap();
        let mut segments = 0;
        for line in playlist
            .lines()
            .filter(|l| !l.starts_with('#') && !l.is_empty())
        {
            bytes.extend_from_slice(&std::fs::read(sub.join(line)).unwrap());
            segments += 1;
        }
        assert!(segments >= 3, "{name}: {segments} segments");
        let joined_path = sub.join("joined.mp4");
        std::fs::write(&joined_path, &bytes).unwrap();
        let joined = Mp4File::parse(Bytes::from(bytes)).unwrap();
        let progressive = read(&fixture_path(name));
        // The same bytes and flags; the HLS muxer sets its own times, which
        // ffprobe (reading the segments as one file) judges.
        for t in progressive.tracks() {
            let want: Vec<_> = progressive.track_samples(t.id()).unwrap().collect();
            let got: Vec<_> = joined.track_samples(t.id()).unwrap().collect();
            assert_eq!(got.len(), want.len(), "{name}: track {}", t.id());
            for (i, (g, w)) in got.iter().zip(&want).enumerate() {
                assert_eq!(
                    (&g.data, g.keyframe),
                    (&w.data, w.keyframe),
                    "{name}: track {} sample {i}",
                    t.id()
                );
            }
        }
        assert_matches_ffprobe(&joined_path, &joined, &format!("{name} as HLS fMP4"));
    }
}

/// What streamkit's packager writes (one CMAF rendition per track: its
/// init segment, then its segments) reads back to the same samples.
#[test]
fn packaged_renditions_read_back() {
    use streamkit_core::package::{Package, PackageConfig, PackageEvent};
    use streamkit_core::time::{MediaTime, Timescale};
    for name in FIXTURES {
        let file = read(&fixture_path(name));
        let mut package = Package::for_mp4(
            &file,
            PackageConfig::new(MediaTime::new(2, Timescale::SECONDS)),
        )
        .unwrap();
        let mut bytes: Vec<Vec<u8>> = vec![Vec::new(); package.renditions().len()];
        let mut take = |package: &mut Package| {
            while let Some(e) = package.poll_event() {
                if let PackageEvent::Init {
                    rendition,
                    resource,
                }
                | PackageEvent::Segment {
                    rendition,
                    resource,
                    ..
                } = e
                {
                    for b in resource.body.buffers() {
                        bytes[rendition].extend_from_slice(b);
                    }
                }
            }
        };
        take(&mut package);
        for s in file.samples() {
            package.push(s).unwrap();
            take(&mut package);
        }
        package.finish().unwrap();
        take(&mut package);
        let mut tracks_seen = 0;
        for rendition in bytes {
            let back = Mp4File::parse(Bytes::from(rendition)).unwrap();
            assert!(back.is_fragmented());
            for t in back.tracks() {
                tracks_seen += 1;
                let want: Vec<_> = file.track_samples(t.id()).unwrap().collect();
                let got: Vec<_> = back.track_samples(t.id()).unwrap().collect();
                assert_eq!(got.len(), want.len(), "{name}: track {}", t.id());
                for (i, (g, w)) in got.iter().zip(&want).enumerate() {
                    assert_eq!(
                        (&g.data, g.keyframe, g.composition_offset, g.duration),
                        (&w.data, w.keyframe, w.composition_offset, w.duration),
                        "{name}: track {} sample {i}",
                        t.id()
                    );
                    assert_eq!(
                        g.dts - got[0].dts,
                        w.dts - want[0].dts,
                        "{name}: sample {i}"
                    );
                }
            }
        }
        assert_eq!(tracks_seen, file.tracks().len(), "{name}");
    }
}

/// A fragmented file with a `sidx` (what `fmp4::fragment_file` writes for
/// DASH on-demand) reads back to the source's samples.
#[test]
fn files_with_a_segment_index_read_back() {
    use streamkit_core::time::{MediaTime, Timescale};
    for name in FIXTURES {
        let file = read(&fixture_path(name));
        let out = streamkit_core::fmp4::fragment_file(&file, MediaTime::new(2, Timescale::SECONDS))
            .unwrap();
        let bytes: Vec<u8> = out
            .bytes
            .buffers()
            .iter()
            .flat_map(|b| b.iter().copied())
            .collect();
        assert_eq!(&bytes[out.index_range.start as usize + 4..][..4], b"sidx");
        let back = Mp4File::parse(Bytes::from(bytes)).unwrap();
        for t in file.tracks() {
            let want: Vec<_> = file.track_samples(t.id()).unwrap().collect();
            let got: Vec<_> = back.track_samples(t.id()).unwrap().collect();
            assert_eq!(got.len(), want.len(), "{name}");
            for (g, w) in got.iter().zip(&want) {
                assert_eq!(
                    (
                        &g.data,
                        g.keyframe,
                        g.composition_offset,
                        g.duration,
                        g.dts - got[0].dts
                    ),
                    (
                        &w.data,
                        w.keyframe,
                        w.composition_offset,
                        w.duration,
                        w.dts - want[0].dts
                    ),
                    "{name}"
                );
            }
        }
    }
}

/// The top-level boxes of `data`: (type, offset, size).
fn top_level(data: &[u8]) -> Vec<([u8; 4], usize, usize)> {
    let mut boxes = Vec::new();
    let mut at = 0;
    while at + 8 <= data.len() {
        let size = u32::from_be_bytes(data[at..at + 4].try_into().unwrap()) as usize;
        assert!(size >= 8, "this test's files use 32-bit box sizes");
        boxes.push((data[at + 4..at + 8].try_into().unwrap(), at, size));
        at += size;
    }
    boxes
}

/// A fragmented file cut short (a recording stopped early) reads with
/// `parse_lenient` up to each track's first sample not wholly in the file;
/// the report counts the samples of every whole `moof` (a cut `moof`
/// lists none), and the samples read are the whole file's.
#[test]
fn a_fragmented_file_cut_short_keeps_each_track_up_to_its_first_missing_sample() {
    let dir = TempDir::new("cut");
    let path = dir.0.join("frag.mp4");
    ffmpeg(&[
        "-i",
        fixture_path("h264_aac.mp4").to_str().unwrap(),
        "-c",
        "copy",
        "-movflags",
        "frag_keyframe+empty_moov+default_base_moof",
        path.to_str().unwrap(),
    ]);
    let bytes = std::fs::read(&path).unwrap();
    let whole = read(&path);
    let base = whole.data().as_ptr() as usize;
    // (track, offset, len) of every sample, and the moofs.
    let samples: Vec<(u32, usize, usize)> = whole
        .samples()
        .map(|s| (s.track_id, s.data.as_ptr() as usize - base, s.data.len()))
        .collect();
    let boxes = top_level(&bytes);
    let moofs: Vec<(usize, usize)> = boxes
        .iter()
        .filter(|b| &b.0 == b"moof")
        .map(|b| (b.1, b.2))
        .collect();
    assert!(moofs.len() >= 4, "{} fragments", moofs.len());
    let moov_end = boxes
        .iter()
        .find(|b| &b.0 == b"moov")
        .map(|b| b.1 + b.2)
        .unwrap();
    let mut cuts: Vec<usize> = (moov_end + 1..bytes.len()).step_by(3_001).collect();
    // Inside a moof, and just past one (before its mdat's header ends).
    cuts.extend([moofs[2].0 + 20, moofs[2].0 + moofs[2].1 + 4]);
    for cut in cuts {
        let file = Mp4File::parse_lenient(Bytes::from(bytes[..cut].to_vec()))
            .unwrap_or_else(|e| panic!("cut at {cut}: {e}"));
        let t = file.truncation().expect("a cut file reports it");
        for track in whole.tracks() {
            let own: Vec<_> = samples.iter().filter(|s| s.0 == track.id()).collect();
            let present = own.iter().take_while(|s| s.1 + s.2 <= cut).count() as u32;
            // A sample's moof is the last one before its data.
            let listed = own
                .iter()
                .filter(|s| {
                    let moof = moofs.iter().rfind(|m| m.0 < s.1).unwrap();
                    moof.0 + moof.1 <= cut
                })
                .count() as u32;
            let report = t.tracks.iter().find(|r| r.track_id == track.id()).unwrap();
            assert_eq!(
                (report.present, report.declared),
                (present, listed),
                "cut at {cut}: track {}",
                track.id()
            );
            assert_eq!(file.track(track.id()).unwrap().sample_count(), present);
        }
        let mut got: Vec<(u32, usize, usize)> = file
            .samples()
            .map(|s| {
                let at = s.data.as_ptr() as usize - file.data().as_ptr() as usize;
                assert_eq!(&s.data[..], &bytes[at..at + s.data.len()]);
                (s.track_id, at, s.data.len())
            })
            .collect();
        got.sort_unstable();
        let mut want: Vec<_> = samples
            .iter()
            .filter(|s| {
                let own = samples.iter().filter(|o| o.0 == s.0);
                // Up to the track's first missing sample.
                own.take_while(|o| o.1 + o.2 <= cut).any(|o| o == *s)
            })
            .copied()
            .collect();
        want.sort_unstable();
        assert_eq!(got, want, "cut at {cut}");
        assert!(Mp4File::parse(Bytes::from(bytes[..cut].to_vec())).is_err());
    }
}
