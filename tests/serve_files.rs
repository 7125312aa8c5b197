//! examples/serve and examples/package on files a user may hand them, made
//! here with ffmpeg in a temporary directory: a good file, one with its
//! moov last, several audio tracks, audio only, video only, MPEG-4 Part 2
//! video, MP3 audio, a fragmented file, a file cut short after its moov
//! (its mdat cut at 70 %), a fragmented one cut at 70 %, one cut before
//! its moov, zero bytes and random bytes.
//!
//! - Each file that cannot be served, and each file served without some of
//!   it (a track without a codec model, the samples a cut took), gets one
//!   line naming the file and saying why; a good file gets none.
//! - The other files are still served, and ffprobe reads from serve's HLS
//!   every sample of each track served (the packets of the source's
//!   supported tracks; of the cut file, those wholly present, counted from
//!   ffprobe's packet list of the whole file), decoding with no error.
//! - serve exits non-zero, saying so, when it can serve nothing; package
//!   exits 0 exactly for the files it packages, with the same lines.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may fail loudly

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

#[path = "serve_support/server.rs"]
mod server;
use server::{Server, serve_binary};

/// What a test file is, and what serve must say of it.
struct Case {
    name: &'static str,
    /// A phrase of its one line on stderr; `None`: no line.
    line: Option<&'static str>,
    /// Whether it is served at all.
    served: bool,
}

const CASES: [Case; 13] = [
    Case {
        name: "good",
        line: None,
        served: true,
    },
    Case {
        name: "moovlast",
        line: None,
        served: true,
    },
    Case {
        name: "twoaudio",
        line: None,
        served: true,
    },
    Case {
        name: "audioonly",
        line: None,
        served: true,
    },
    Case {
        name: "videoonly",
        line: None,
        served: true,
    },
    Case {
        name: "mpeg4part2",
        line: Some(
            "track 1 (video) left out: MPEG-4 Part 2 video (mp4v, object type 0x20): no codec model for it",
        ),
        served: true,
    },
    Case {
        name: "mp3audio",
        line: Some(
            "track 2 (audio) left out: MP3 audio (mp4a, object type 0x6B): no codec model for it",
        ),
        served: true,
    },
    Case {
        name: "truncated",
        line: Some("cut short: "),
        served: true,
    },
    Case {
        name: "fragmented",
        line: None,
        served: true,
    },
    Case {
        name: "fragcut",
        line: Some("cut short: "),
        served: true,
    },
    Case {
        name: "nomoov",
        line: Some("cut short before its moov box"),
        served: false,
    },
    Case {
        name: "empty",
        line: Some("the file is empty (0 bytes)"),
        served: false,
    },
    Case {
        name: "random",
        line: Some("not an MP4 (ISO BMFF) file"),
        served: false,
    },
];

fn ffmpeg(args: &[&str]) {
    let out = Command::new("ffmpeg")
        .args(["-nostdin", "-v", "error", "-y"])
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("ffmpeg is needed (scripts/test installs it): {e}"));
    assert!(
        out.status.success(),
        "ffmpeg {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Makes every case's file in `dir` (2 s each).
fn make_files(dir: &Path) {
    let p = |name: &str| dir.join(format!("{name}.mp4")).to_str().unwrap().to_owned();
    let video = ["-f", "lavfi", "-i", "testsrc2=size=320x240:rate=30"];
    let audio = ["-f", "lavfi", "-i", "sine=frequency=440:sample_rate=44100"];
    let both: Vec<&str> = video.iter().chain(audio.iter()).copied().collect();
    let with = |inputs: &[&str], rest: &[&str], out: &str| {
        let mut args: Vec<&str> = inputs.to_vec();
        args.extend_from_slice(&["-t", "2"]);
        args.extend_from_slice(rest);
        args.push(out);
        ffmpeg(&args);
    };
    let h264 = ["-c:v", "libx264", "-g", "30"];
    with(
        &both,
        &[&h264[..], &["-c:a", "aac", "-movflags", "+faststart"]].concat(),
        &p("good"),
    );
    with(
        &both,
        &[&h264[..], &["-c:a", "aac"]].concat(),
        &p("moovlast"),
    );
    let mut three = both.clone();
    three.extend_from_slice(&["-f", "lavfi", "-i", "sine=frequency=880:sample_rate=44100"]);
    with(
        &three,
        &[
            &["-map", "0", "-map", "1", "-map", "2"][..],
            &h264,
            &["-c:a", "aac"],
        ]
        .concat(),
        &p("twoaudio"),
    );
    with(&audio, &["-c:a", "aac"], &p("audioonly"));
    with(&video, &h264, &p("videoonly"));
    with(&both, &["-c:v", "mpeg4", "-c:a", "aac"], &p("mpeg4part2"));
    with(
        &both,
        &[&h264[..], &["-c:a", "libmp3lame"]].concat(),
        &p("mp3audio"),
    );
    with(
        &both,
        &[
            &h264[..],
            &["-c:a", "aac", "-movflags", "+frag_keyframe+empty_moov"],
        ]
        .concat(),
        &p("fragmented"),
    );
    // Cut at 70 %: after the moov (faststart), and before it (moov last).
    let cut = |from: &str, to: &str| {
        let bytes = std::fs::read(p(from)).unwrap();
        std::fs::write(p(to), &bytes[..bytes.len() * 7 / 10]).unwrap();
    };
    cut("good", "truncated");
    cut("fragmented", "fragcut");
    cut("moovlast", "nomoov");
    std::fs::write(p("empty"), b"").unwrap();
    let random: Vec<u8> = (0u64..100_000)
        .map(|i| (i.wrapping_mul(6_364_136_223_846_793_005) >> 57) as u8)
        .collect();
    std::fs::write(p("random"), random).unwrap();
}

/// A fresh temporary directory, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> TempDir {
        let dir = std::env::temp_dir().join(format!("serve-files-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// ffprobe's `codec_type` and count (`count`: `nb_frames` from the
/// container, or `nb_read_packets` read through) of each stream.
fn stream_counts(input: &str, read_packets: bool) -> Vec<(String, u64)> {
    let mut args = vec!["-v", "error"];
    let entry = if read_packets {
        args.push("-count_packets");
        "stream=index,codec_type,nb_read_packets"
    } else {
        "stream=index,codec_type,nb_frames"
    };
    args.extend_from_slice(&["-show_entries", entry, "-of", "compact", input]);
    let out = Command::new("ffprobe").args(&args).output().unwrap();
    assert!(
        out.status.success(),
        "ffprobe {input}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Streams of a program are listed twice (in the program and alone):
    // one entry per index.
    let by_index: BTreeMap<u64, (String, u64)> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .filter(|l| l.contains("stream|"))
        .map(|l| {
            let field = |name: &str| {
                l.split('|')
                    .find_map(|f| f.strip_prefix(&format!("{name}=")))
                    .unwrap()
                    .to_owned()
            };
            let count = field(if read_packets {
                "nb_read_packets"
            } else {
                "nb_frames"
            });
            let index = field("index").parse().unwrap();
            (index, (field("codec_type"), count.parse().unwrap()))
        })
        .collect();
    let mut counts: Vec<(String, u64)> = by_index.into_values().collect();
    counts.sort();
    counts
}

/// The packets of each stream of `whole` that lie wholly in its first
/// `len` bytes, up to the first that does not (ffprobe's packet list).
fn present_packets(whole: &Path, len: u64) -> Vec<(String, u64)> {
    let types: Vec<String> = {
        let out = Command::new("ffprobe")
            .args([
                "-v",
                "error",
                "-show_entries",
                "stream=codec_type",
                "-of",
                "csv=p=0",
            ])
            .arg(whole)
            .output()
            .unwrap();
        String::from_utf8(out.stdout)
            .unwrap()
            .lines()
            .map(str::to_owned)
            .collect()
    };
    let out = Command::new("ffprobe")
        .args([
            "-v",
            "error",
            "-show_entries",
            "packet=stream_index,pos,size",
            "-of",
            "csv=p=0",
        ])
        .arg(whole)
        .output()
        .unwrap();
    let mut present = vec![0u64; types.len()];
    let mut stopped = vec![false; types.len()];
    for line in String::from_utf8(out.stdout).unwrap().lines() {
        // Side data and the like come as lines of their own.
        let f: Vec<u64> = line.split(',').filter_map(|x| x.parse().ok()).collect();
        if f.len() != 3 {
            continue;
        }
        let (stream, pos, size) = (f[0] as usize, f[1], f[2]);
        if pos + size <= len && !stopped[stream] {
            present[stream] += 1;
        } else {
            stopped[stream] = true;
        }
    }
    let mut counts: Vec<(String, u64)> = types.into_iter().zip(present).collect();
    counts.sort();
    counts
}

/// The stderr lines naming `file`.
fn lines_about<'a>(lines: &'a [String], prefix: &str, file: &Path) -> Vec<&'a String> {
    let head = format!("{prefix}: {}: ", file.display());
    lines.iter().filter(|l| l.starts_with(&head)).collect()
}

#[test]
fn bad_files_get_one_line_each_and_the_others_are_served() {
    let dir = TempDir::new("serve");
    make_files(&dir.0);
    let path = |name: &str| dir.0.join(format!("{name}.mp4"));
    let mut args: Vec<String> = CASES
        .iter()
        .map(|c| path(c.name).to_str().unwrap().to_owned())
        .collect();
    args.extend(["--log".to_owned(), "warn".to_owned()]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let server = Server::start_logged(&args);
    let log = server.log.clone().unwrap();
    // Written before the URLs, but read on another pipe: wait for them.
    let with_lines = CASES.iter().filter(|c| c.line.is_some()).count();
    log.wait_for(
        std::time::Duration::from_secs(60),
        "a line per bad file",
        |lines| lines.iter().filter(|l| l.starts_with("serve: ")).count() >= with_lines,
    );
    let lines = log.lines();
    for case in &CASES {
        let about = lines_about(&lines, "serve", &path(case.name));
        match case.line {
            None => assert!(about.is_empty(), "{}: {about:?}", case.name),
            Some(phrase) => {
                assert_eq!(about.len(), 1, "{}: one line, not {about:?}", case.name);
                assert!(about[0].contains(phrase), "{}: {}", case.name, about[0]);
                assert_eq!(
                    about[0].contains(": left out: "),
                    !case.served,
                    "{}",
                    about[0]
                );
            }
        }
        let listed = server
            .urls
            .iter()
            .any(|u| u.ends_with(&format!("/vod/{}/master.m3u8", case.name)));
        assert_eq!(listed, case.served, "{}: {:?}", case.name, server.urls);
    }
    // What is served, ffprobe reads whole through HLS.
    let base = format!("http://{}", server.addr);
    let mut expected: BTreeMap<&str, Vec<(String, u64)>> = BTreeMap::new();
    for name in ["good", "moovlast", "twoaudio", "audioonly", "videoonly"] {
        expected.insert(name, stream_counts(path(name).to_str().unwrap(), false));
    }
    let only = |name: &str, kind: &str| -> Vec<(String, u64)> {
        stream_counts(path(name).to_str().unwrap(), false)
            .into_iter()
            .filter(|(t, _)| t == kind)
            .collect()
    };
    expected.insert("mpeg4part2", only("mpeg4part2", "audio"));
    expected.insert("mp3audio", only("mp3audio", "video"));
    let cut_len = std::fs::metadata(path("truncated")).unwrap().len();
    expected.insert("truncated", present_packets(&path("good"), cut_len));
    // ffprobe has no nb_frames for a fragmented file: its packets, read.
    expected.insert(
        "fragmented",
        stream_counts(path("fragmented").to_str().unwrap(), true),
    );
    let cut_len = std::fs::metadata(path("fragcut")).unwrap().len();
    expected.insert("fragcut", present_packets(&path("fragmented"), cut_len));
    assert_eq!(expected["twoaudio"].len(), 3);
    for (name, want) in &expected {
        let url = format!("{base}/vod/{name}/master.m3u8");
        assert_eq!(&stream_counts(&url, true), want, "{url}");
        let out = Command::new("ffmpeg")
            .args(["-nostdin", "-v", "error", "-i", &url, "-f", "null", "-"])
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            out.status.success() && stderr.trim().is_empty(),
            "{url}: {stderr}"
        );
    }
}

#[test]
fn serve_exits_non_zero_when_it_can_serve_nothing() {
    let dir = TempDir::new("nothing");
    make_files(&dir.0);
    let bad: Vec<PathBuf> = CASES
        .iter()
        .filter(|c| !c.served)
        .map(|c| dir.0.join(format!("{}.mp4", c.name)))
        .collect();
    let out = Command::new(serve_binary())
        .args(&bad)
        .args(["--bind", "127.0.0.1:0"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    let lines: Vec<String> = stderr.lines().map(str::to_owned).collect();
    for file in &bad {
        assert_eq!(
            lines_about(&lines, "serve", file).len(),
            1,
            "{}: {stderr}",
            file.display()
        );
    }
    assert_eq!(
        lines.last().map(String::as_str),
        Some("serve: nothing to serve"),
        "{stderr}"
    );
}

#[test]
fn package_says_why_per_file_and_exits_by_what_it_packaged() {
    let dir = TempDir::new("package");
    make_files(&dir.0);
    let exe = serve_binary().with_file_name(format!("package{}", std::env::consts::EXE_SUFFIX));
    for case in &CASES {
        let input = dir.0.join(format!("{}.mp4", case.name));
        let out_dir = dir.0.join(format!("out-{}", case.name));
        let out = Command::new(&exe)
            .arg(&input)
            .arg(&out_dir)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        let lines: Vec<String> = stderr.lines().map(str::to_owned).collect();
        assert_eq!(out.status.success(), case.served, "{}: {stderr}", case.name);
        let about = lines_about(&lines, "package", &input);
        match case.line {
            None => assert!(about.is_empty(), "{}: {stderr}", case.name),
            Some(phrase) => {
                assert_eq!(about.len(), 1, "{}: {stderr}", case.name);
                assert!(about[0].contains(phrase), "{}: {}", case.name, about[0]);
            }
        }
        // Only what was packaged has a master playlist; a failure leaves
        // nothing behind.
        assert_eq!(
            out_dir.join("master.m3u8").exists(),
            case.served,
            "{}",
            case.name
        );
        if !case.served {
            assert!(!out_dir.exists(), "{}", case.name);
        }
    }
}
