//! Our static MPDs, served from a loopback HTTP server, played by ffprobe,
//! ffmpeg and GStreamer's dashdemux: every source frame is decoded.
//!
//! Three presentations of `tests/fixtures/h264_aac.mp4`, one AdaptationSet
//! per track: on-demand (one file with a `sidx` per track, SegmentBase),
//! live-profile VOD with a SegmentTimeline and `$Time$`, and live-profile
//! VOD with `$Number$` and a nominal `@duration`. The segments are made by
//! `streamkit_core::segment` + `streamkit_core::fmp4`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test helpers outside #[test] fns

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use bytes::Bytes;
use streamkit_core::fmp4::{FragmentWriter, fragment_samples, init_segment_with_shifts};
use streamkit_core::mp4::Mp4File;
use streamkit_core::sample::PresentationShift;
use streamkit_core::sample::Sample;
use streamkit_core::segment::{SegmentEvent, Segmenter, SegmenterConfig};
use streamkit_core::time::{MediaTime, Timescale};
use streamkit_core::track::Track;
use streamkit_dash::mpd::{self, Profile, StaticPresentation};
use streamkit_dash::resolve::resolve;

const FIXTURE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../tests/fixtures/h264_aac.mp4"
);
/// From tests/fixtures/manifest.tsv: h264_aac.mp4 has 300 video and 432
/// audio samples, 10 s.
const VIDEO_FRAMES: usize = 300;
const AUDIO_FRAMES: usize = 432;

/// A one-thread HTTP/1.1 server for the files of a directory (GET and HEAD,
/// single byte ranges), answering one request per connection. It stops when
/// dropped.
struct FileServer {
    port: u16,
    /// Paths answered 404.
    not_found: Arc<Mutex<Vec<String>>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl FileServer {
    fn start(dir: PathBuf) -> FileServer {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let not_found = Arc::new(Mutex::new(Vec::new()));
        let log = not_found.clone();
        let thread = std::thread::spawn(move || {
            for conn in listener.incoming() {
                if flag.load(Ordering::SeqCst) {
                    break;
                }
                if let Ok(conn) = conn {
                    let _ = answer(conn, &dir, &log);
                }
            }
        });
        FileServer {
            port,
            not_found,
            stop,
            thread: Some(thread),
        }
    }

    fn url(&self, name: &str) -> String {
        format!("http://127.0.0.1:{}/{name}", self.port)
    }
}

impl Drop for FileServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(("127.0.0.1", self.port));
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn answer(conn: TcpStream, dir: &Path, not_found: &Mutex<Vec<String>>) -> std::io::Result<()> {
    conn.set_read_timeout(Some(Duration::from_secs(10)))?;
    let mut reader = BufReader::new(conn.try_clone()?);
    let mut request_line = String::new();
    reader.read_line(&mut request_line)?;
    let mut range: Option<(u64, Option<u64>)> = None;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 || line == "\r\n" || line == "\n" {
            break;
        }
        let lower = line.to_ascii_lowercase();
        if let Some(v) = lower.strip_prefix("range:")
            && let Some((a, b)) = v
                .trim()
                .strip_prefix("bytes=")
                .and_then(|r| r.split_once('-'))
        {
            range = Some((a.parse().unwrap_or(0), b.parse().ok()));
        }
    }
    let mut parts = request_line.split_whitespace();
    let method = parts.next().unwrap_or("");
    let path = parts.next().unwrap_or("/").split('?').next().unwrap_or("/");
    let mut out = conn;
    let name = path.trim_start_matches('/');
    let body = if name.contains("..") || name.is_empty() {
        None
    } else {
        std::fs::read(dir.join(name)).ok()
    };
    let Some(body) = body else {
        not_found.lock().unwrap().push(name.to_owned());
        return out.write_all(
            b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
        );
    };
    let len = body.len() as u64;
    let content_type = if name.ends_with(".mpd") {
        "application/dash+xml"
    } else if name.contains("-a") || name.starts_with('a') {
        "audio/mp4"
    } else {
        "video/mp4"
    };
    let (status, first, last) = match range {
        Some((a, b)) if a < len => ("206 Partial Content", a, b.unwrap_or(len - 1).min(len - 1)),
        Some(_) => {
            return out.write_all(
                format!("HTTP/1.1 416 Range Not Satisfiable\r\nContent-Range: bytes */{len}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n").as_bytes(),
            );
        }
        None => ("200 OK", 0, len.saturating_sub(1)),
    };
    let slice = if len == 0 {
        &[][..]
    } else {
        &body[first as usize..=last as usize]
    };
    let mut head = format!(
        "HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nAccept-Ranges: bytes\r\nConnection: close\r\n",
        slice.len()
    );
    if range.is_some() {
        head.push_str(&format!("Content-Range: bytes {first}-{last}/{len}\r\n"));
    }
    head.push_str("\r\n");
    out.write_all(head.as_bytes())?;
    if method != "HEAD" {
        out.write_all(slice)?;
    }
    // Drain what the client may still send, then close.
    let _ = out.flush();
    let mut sink = [0u8; 64];
    out.set_read_timeout(Some(Duration::from_millis(1)))?;
    let _ = reader.get_mut().read(&mut sink);
    Ok(())
}

struct Source {
    tracks: Vec<Track>,
    shifts: Vec<PresentationShift>,
    samples: Vec<Sample>,
}

fn load() -> Source {
    let file = Mp4File::parse(Bytes::from(std::fs::read(FIXTURE).unwrap())).unwrap();
    let mut tracks = Vec::new();
    let mut shifts = Vec::new();
    for t in file.tracks() {
        let track = t.to_track().unwrap();
        shifts.push(PresentationShift {
            track_id: track.id,
            ticks: t.presentation_shift().unwrap(),
        });
        tracks.push(track);
    }
    let samples = file.samples().collect();
    Source {
        tracks,
        shifts,
        samples,
    }
}

fn rep_id(t: &Track) -> &'static str {
    match t.kind() {
        streamkit_core::codec::MediaKind::Video => "v",
        _ => "a",
    }
}

const DURATION: Duration = Duration::from_secs(10);

fn presentation(profile: Profile) -> StaticPresentation {
    StaticPresentation {
        duration: DURATION,
        min_buffer_time: Duration::from_secs(2),
        profile,
    }
}

/// On-demand: per track one fragmented file with a sidx
/// (`streamkit_core::fmp4::fragment_samples`), addressed by SegmentBase.
/// FFmpeg's DASH demuxer reads one stream per Representation, so the tracks
/// are not muxed. The audio file keeps its media timeline (no edit list):
/// with the AAC priming shift its first presentation time would be
/// negative, which a sidx cannot carry.
fn write_on_demand(src: &Source, dir: &Path) -> String {
    let mut sets = Vec::new();
    for (i, track) in src.tracks.iter().enumerate() {
        let samples: Vec<Sample> = src
            .samples
            .iter()
            .filter(|s| s.track_id == track.id)
            .cloned()
            .collect();
        let shifts: Vec<PresentationShift> = src
            .shifts
            .iter()
            .filter(|s| {
                s.track_id == track.id && track.kind() == streamkit_core::codec::MediaKind::Video
            })
            .copied()
            .collect();
        let file = fragment_samples(
            std::slice::from_ref(track),
            &shifts,
            &samples,
            MediaTime::new(2, Timescale::SECONDS),
        )
        .unwrap();
        let name = format!("{}.mp4", rep_id(track));
        std::fs::write(dir.join(&name), file.bytes.to_bytes()).unwrap();
        let sizes: Vec<(u64, u64)> = file
            .segments
            .iter()
            .map(|s| (s.byte_range.end - s.byte_range.start, s.duration))
            .collect();
        let bandwidth = mpd::peak_bandwidth(&sizes, file.timescale.hz()).unwrap();
        let mut rep =
            mpd::representation(rep_id(track), bandwidth, std::slice::from_ref(track)).unwrap();
        rep.BaseURL.push(streamkit_dash::model::BaseURL {
            base: name,
            ..Default::default()
        });
        rep.SegmentBase = Some(
            mpd::segment_base(file.timescale.hz(), &file.init_range, &file.index_range).unwrap(),
        );
        sets.push(mpd::adaptation_set(i as u32, vec![rep]));
    }
    let period = mpd::period("0", Duration::ZERO, None, sets);
    let text = mpd::write(&mpd::static_mpd(
        &presentation(Profile::OnDemand),
        vec![period],
    ))
    .unwrap();
    std::fs::write(dir.join("ondemand.mpd"), &text).unwrap();
    text
}

/// Live-profile VOD: one init segment and one fMP4 segment per 2 s per
/// track, each segment file written under its number and under its time.
/// Writes `timeline.mpd` ($Time$) and `number.mpd` ($Number$).
fn write_segmented(src: &Source, dir: &Path) -> (String, String) {
    let config =
        SegmenterConfig::for_tracks(&src.tracks, MediaTime::new(2, Timescale::SECONDS)).unwrap();
    let mut segmenter = Segmenter::new(config).unwrap();
    let mut writers: Vec<FragmentWriter> = src
        .tracks
        .iter()
        .map(|t| FragmentWriter::new(std::slice::from_ref(t)))
        .collect();
    // Per track: (tfdt, duration, bytes) of each segment.
    let mut written: Vec<Vec<(u64, u64, u64)>> = vec![Vec::new(); src.tracks.len()];
    let mut open: Vec<Sample> = Vec::new();
    let mut number = 0u64;
    let mut flush = |open: &mut Vec<Sample>, written: &mut Vec<Vec<(u64, u64, u64)>>| {
        number += 1;
        for (i, track) in src.tracks.iter().enumerate() {
            let samples: Vec<Sample> = open
                .iter()
                .filter(|s| s.track_id == track.id)
                .cloned()
                .collect();
            assert!(
                !samples.is_empty(),
                "every 2 s segment has samples of every track"
            );
            let fragment = writers[i].write_fragment(&samples).unwrap();
            let run = &fragment.runs[0];
            let bytes = fragment.bytes.to_bytes();
            let id = rep_id(track);
            std::fs::write(dir.join(format!("{id}-{number}.m4s")), &bytes).unwrap();
            std::fs::write(
                dir.join(format!("{id}-t{}.m4s", run.base_media_decode_time)),
                &bytes,
            )
            .unwrap();
            written[i].push((
                run.base_media_decode_time,
                run.duration(),
                bytes.len() as u64,
            ));
        }
        open.clear();
    };
    let mut drain = |segmenter: &mut Segmenter,
                     open: &mut Vec<Sample>,
                     written: &mut Vec<Vec<(u64, u64, u64)>>| {
        while let Some(event) = segmenter.poll() {
            match event {
                SegmentEvent::Part(part) => open.extend(part.samples),
                SegmentEvent::Segment(_) => flush(open, written),
                other => panic!("unexpected {other:?}"),
            }
        }
    };
    for s in &src.samples {
        segmenter.push(s.clone()).unwrap();
        drain(&mut segmenter, &mut open, &mut written);
    }
    segmenter.finish();
    drain(&mut segmenter, &mut open, &mut written);

    let mut timeline_sets = Vec::new();
    let mut number_sets = Vec::new();
    for (i, track) in src.tracks.iter().enumerate() {
        let id = rep_id(track);
        let shifts: Vec<PresentationShift> = src
            .shifts
            .iter()
            .filter(|s| s.track_id == track.id)
            .copied()
            .collect();
        let init = init_segment_with_shifts(std::slice::from_ref(track), &shifts).unwrap();
        std::fs::write(dir.join(format!("init-{id}.mp4")), &init).unwrap();
        let segs = &written[i];
        // Durations from tfdt to tfdt, the last one its own.
        let durations: Vec<u64> = segs
            .windows(2)
            .map(|w| w[1].0 - w[0].0)
            .chain(segs.last().map(|l| l.1))
            .collect();
        let sizes: Vec<(u64, u64)> = segs
            .iter()
            .zip(&durations)
            .map(|(s, d)| (s.2, *d))
            .collect();
        let ts = track.timescale.hz();
        let bandwidth = mpd::peak_bandwidth(&sizes, ts).unwrap();
        let mut rep = mpd::representation(id, bandwidth, std::slice::from_ref(track)).unwrap();
        rep.SegmentTemplate = Some(
            mpd::timeline_template(
                "init-$RepresentationID$.mp4",
                "$RepresentationID$-t$Time$.m4s",
                ts,
                segs[0].0,
                &durations,
            )
            .unwrap(),
        );
        timeline_sets.push(mpd::adaptation_set(i as u32, vec![rep.clone()]));
        rep.SegmentTemplate = Some(
            mpd::number_template(
                "init-$RepresentationID$.mp4",
                "$RepresentationID$-$Number$.m4s",
                ts,
                2 * u64::from(ts),
                1,
            )
            .unwrap(),
        );
        number_sets.push(mpd::adaptation_set(i as u32, vec![rep]));
    }
    let timeline = mpd::write(&mpd::static_mpd(
        &presentation(Profile::Live),
        vec![mpd::period("0", Duration::ZERO, None, timeline_sets)],
    ))
    .unwrap();
    let number = mpd::write(&mpd::static_mpd(
        &presentation(Profile::Live),
        vec![mpd::period("0", Duration::ZERO, None, number_sets)],
    ))
    .unwrap();
    std::fs::write(dir.join("timeline.mpd"), &timeline).unwrap();
    std::fs::write(dir.join("number.mpd"), &number).unwrap();
    (timeline, number)
}

/// (packets read, frames decoded) of the stream `selector` (`v`, `a`), as
/// ffprobe lists them. Each stream is probed on its own: reading both, FFmpeg
/// 5.1's DASH demuxer ends at the first Representation's end, and the
/// on-demand audio file (which keeps its media timeline, see
/// [`write_on_demand`]) ends 23 ms after the video.
fn ffprobe_counts(url: &str, selector: &str) -> (usize, usize) {
    let out = Command::new("ffprobe")
        .args(["-v", "error", "-select_streams", selector])
        .args([
            "-show_entries",
            "packet=stream_index:frame=stream_index",
            "-of",
            "csv",
            url,
        ])
        .output()
        .expect("ffprobe must be installed (scripts/test installs it)");
    assert!(
        out.status.success(),
        "ffprobe {url}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_no_complaint("ffprobe", url, &out.stderr);
    let text = String::from_utf8(out.stdout).unwrap();
    let packets = text.lines().filter(|l| l.starts_with("packet,")).count();
    let frames = text.lines().filter(|l| l.starts_with("frame,")).count();
    (packets, frames)
}

/// FFmpeg 5.1's DASH demuxer, at the end of a `$Number$` + `@duration`
/// Representation, asks for the segment after the last (it does the same on
/// the MPD its own muxer writes with `-use_timeline 0`) and logs that it
/// could not load it. Those lines, for `number.mpd` only, are not about our
/// output; the test checks separately that the only 404s were for those
/// segments.
fn assert_no_complaint(tool: &str, url: &str, stderr: &[u8]) {
    let text = String::from_utf8_lossy(stderr);
    let past_the_end = |l: &str| {
        url.ends_with("number.mpd")
            && (l.ends_with("] Error when loading first fragment of playlist")
                || l.trim_start().starts_with("Last message repeated")
                || l == format!("{url}: Invalid data found when processing input"))
    };
    let complaints: Vec<&str> = text.lines().filter(|l| !past_the_end(l)).collect();
    assert!(complaints.is_empty(), "{tool} {url} complained: {text}");
}

fn ffmpeg_decodes_cleanly(url: &str) {
    let out = Command::new("ffmpeg")
        .args([
            "-v", "error", "-nostdin", "-i", url, "-map", "0", "-f", "null", "-",
        ])
        .output()
        .expect("ffmpeg must be installed (scripts/test installs it)");
    assert!(
        out.status.success(),
        "ffmpeg {url}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_no_complaint("ffmpeg", url, &out.stderr);
}

fn out_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "streamkit-dash-loopback-{}-{name}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn ffprobe_and_ffmpeg_decode_every_frame() {
    let src = load();
    let dir = out_dir("ffmpeg");
    write_on_demand(&src, &dir);
    write_segmented(&src, &dir);
    let server = FileServer::start(dir.clone());
    for name in ["ondemand.mpd", "timeline.mpd", "number.mpd"] {
        let url = server.url(name);
        // Every source sample arrives once and decodes.
        assert_eq!(
            ffprobe_counts(&url, "v"),
            (VIDEO_FRAMES, VIDEO_FRAMES),
            "{name}"
        );
        assert_eq!(
            ffprobe_counts(&url, "a"),
            (AUDIO_FRAMES, AUDIO_FRAMES),
            "{name}"
        );
        ffmpeg_decodes_cleanly(&url);
        let missed: Vec<String> = std::mem::take(&mut *server.not_found.lock().unwrap());
        let allowed: &[&str] = if name == "number.mpd" {
            &["v-6.m4s", "a-6.m4s"]
        } else {
            &[]
        };
        assert!(
            missed.iter().all(|m| allowed.contains(&m.as_str())),
            "{name}: 404 for {missed:?}"
        );
    }
    drop(server);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn resolver_lists_the_files_we_wrote() {
    let src = load();
    let dir = out_dir("resolver");
    let (timeline, number) = write_segmented(&src, &dir);
    let ondemand = write_on_demand(&src, &dir);
    let base = "http://127.0.0.1/";
    for (text, media) in [(&timeline, "-t"), (&number, "-")] {
        let m = mpd::parse(text).unwrap();
        for a in 0..2 {
            let rep = resolve(&m, &format!("{base}x.mpd"), 0, a, 0, None).unwrap();
            let init = rep.initialization.clone().unwrap();
            assert!(dir.join(init.url.strip_prefix(base).unwrap()).is_file());
            let segments: Vec<_> = rep.segments().collect::<Result<_, _>>().unwrap();
            assert_eq!(segments.len(), 5);
            for s in &segments {
                let name = s.url.strip_prefix(base).unwrap();
                assert!(name.starts_with(&format!("{}{media}", rep.id)), "{name}");
                assert!(dir.join(name).is_file(), "{name} was written");
            }
        }
    }
    let m = mpd::parse(&ondemand).unwrap();
    for a in 0..2 {
        let rep = resolve(&m, &format!("{base}x.mpd"), 0, a, 0, None).unwrap();
        assert_eq!(
            rep.index.as_ref().unwrap().url,
            format!("{base}{}.mp4", rep.id)
        );
        let file = std::fs::read(dir.join(format!("{}.mp4", rep.id))).unwrap();
        let index = rep.index.clone().unwrap().byte_range.unwrap();
        // The index range holds exactly the sidx box.
        let sidx = &file[index.first as usize..=index.last as usize];
        assert_eq!(&sidx[4..8], b"sidx");
        assert_eq!(
            u32::from_be_bytes(sidx[..4].try_into().unwrap()) as usize,
            sidx.len()
        );
        let init = rep.initialization.clone().unwrap().byte_range.unwrap();
        assert_eq!(init.first, 0);
        assert_eq!(&file[4..8], b"ftyp");
        assert_eq!(init.last + 1, index.first);
        let segments: Vec<_> = rep.segments().collect::<Result<_, _>>().unwrap();
        assert_eq!(segments.len(), 1);
        assert_eq!(segments[0].duration, 10 * u64::from(rep.timescale.hz()));
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Decoded video frames (320x240 GRAY8 pictures) and audio samples (mono
/// S16) that GStreamer writes to two files.
fn gstreamer_counts(url: &str, dir: &Path) -> (u64, u64) {
    let video = dir.join("gst-video.raw");
    let audio = dir.join("gst-audio.raw");
    let out = Command::new("gst-launch-1.0")
        .args(["-q", "uridecodebin", &format!("uri={url}"), "name=d"])
        .args([
            "d.",
            "!",
            "queue",
            "!",
            "videoconvert",
            "!",
            "video/x-raw,format=GRAY8",
            "!",
            "filesink",
        ])
        .arg(format!("location={}", video.display()))
        .args([
            "d.",
            "!",
            "queue",
            "!",
            "audioconvert",
            "!",
            "audio/x-raw,format=S16LE,channels=1",
            "!",
            "filesink",
        ])
        .arg(format!("location={}", audio.display()))
        .output()
        .expect("gst-launch-1.0 must be installed (scripts/test installs GStreamer)");
    assert!(
        out.status.success(),
        "gst-launch-1.0 {url}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let v = std::fs::metadata(&video).unwrap().len();
    let a = std::fs::metadata(&audio).unwrap().len();
    assert_eq!(v % (320 * 240), 0, "whole pictures");
    assert_eq!(a % 2, 0, "whole samples");
    (v / (320 * 240), a / 2)
}

#[test]
fn gstreamer_dashdemux_decodes_every_frame() {
    let inspect = Command::new("gst-inspect-1.0")
        .arg("dashdemux")
        .output()
        .expect("gst-inspect-1.0 must be installed (scripts/test installs GStreamer)");
    assert!(
        inspect.status.success(),
        "GStreamer's dashdemux (gstreamer1.0-plugins-bad) is missing"
    );
    let src = load();
    let dir = out_dir("gstreamer");
    write_on_demand(&src, &dir);
    write_segmented(&src, &dir);
    let server = FileServer::start(dir.clone());
    for name in ["ondemand.mpd", "timeline.mpd", "number.mpd"] {
        // Every picture, and every AAC frame's 1024 samples (GStreamer does
        // not trim the encoder delay).
        assert_eq!(
            gstreamer_counts(&server.url(name), &dir),
            (VIDEO_FRAMES as u64, AUDIO_FRAMES as u64 * 1024),
            "{name}"
        );
        let missed = server.not_found.lock().unwrap().clone();
        assert!(missed.is_empty(), "{name}: 404 for {missed:?}");
    }
    drop(server);
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Packages the fixture, writes its files and its MPD; gives the names of
/// the init and media segments.
fn write_packaged(dir: &Path) -> Vec<String> {
    use streamkit_core::clock::UnixTime;
    use streamkit_core::package::{Package, PackageConfig};
    use streamkit_dash::presentation::{Presentation, PresentationConfig};
    let file = Mp4File::parse(Bytes::from(std::fs::read(FIXTURE).unwrap())).unwrap();
    let config = PackageConfig::new(MediaTime::new(2, Timescale::SECONDS));
    let mut package = Package::for_mp4(&file, config).unwrap();
    for sample in file.samples() {
        package.push(sample).unwrap();
    }
    package.finish().unwrap();
    let dash = Presentation::new(&package, PresentationConfig::vod()).unwrap();
    let mpd = dash.write(&package, UnixTime::EPOCH).unwrap();
    let mut media = Vec::new();
    let files = package
        .resources()
        .map(|(name, r)| (name, r.chunks.body().to_bytes()))
        .chain(std::iter::once((
            dash.manifest_name().to_owned(),
            Bytes::from(mpd),
        )));
    for (name, bytes) in files {
        let path = dir.join(&name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        assert!(!path.exists(), "{name} written twice");
        std::fs::write(path, bytes).unwrap();
        if name.ends_with(".m4s") || name.ends_with("init.mp4") {
            media.push(name);
        }
    }
    media
}

#[test]
fn packager_output_plays_and_resolves_to_its_files() {
    let dir = out_dir("packager");
    let mut written = write_packaged(&dir);
    written.sort();
    // The package's names, which HLS lists too.
    let mut expected: Vec<String> = ["video", "audio"]
        .iter()
        .flat_map(|r| {
            std::iter::once(format!("{r}/init.mp4"))
                .chain((0..5).map(move |n| format!("{r}/seg-{n}.m4s")))
        })
        .collect();
    expected.sort();
    assert_eq!(written, expected);
    // The resolver lists exactly those files from the MPD.
    let text = std::fs::read_to_string(dir.join("manifest.mpd")).unwrap();
    let m = mpd::parse(&text).unwrap();
    let base = "http://127.0.0.1/";
    let mut listed = Vec::new();
    for a in 0..2 {
        let rep = resolve(&m, &format!("{base}manifest.mpd"), 0, a, 0, None).unwrap();
        listed.push(
            rep.initialization
                .clone()
                .unwrap()
                .url
                .strip_prefix(base)
                .unwrap()
                .to_owned(),
        );
        for s in rep.segments() {
            listed.push(s.unwrap().url.strip_prefix(base).unwrap().to_owned());
        }
    }
    listed.sort();
    assert_eq!(listed, expected);
    let server = FileServer::start(dir.clone());
    let url = server.url("manifest.mpd");
    assert_eq!(ffprobe_counts(&url, "v"), (VIDEO_FRAMES, VIDEO_FRAMES));
    assert_eq!(ffprobe_counts(&url, "a"), (AUDIO_FRAMES, AUDIO_FRAMES));
    ffmpeg_decodes_cleanly(&url);
    assert_eq!(
        gstreamer_counts(&url, &dir),
        (VIDEO_FRAMES as u64, AUDIO_FRAMES as u64 * 1024)
    );
    let missed = server.not_found.lock().unwrap().clone();
    assert!(missed.is_empty(), "404 for {missed:?}");
    drop(server);
    std::fs::remove_dir_all(&dir).unwrap();
}
