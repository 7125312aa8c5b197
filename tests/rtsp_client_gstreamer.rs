//! streamkit-rtsp's client (the rtsp_pull example over the shared tokio
//! driver) against GStreamer's RTSP server (gst-rtsp-server from
//! python3-gi, tests/gst/rtsp_server.py) serving tests/fixtures/h264_aac.mp4
//! (and h265_aac.mp4):
//! over UDP and TCP interleaved, with and without Digest, and with wrong
//! credentials. The access units received are the fixture's: every video
//! frame's slices byte for byte (GStreamer adds its parameter sets in
//! band), with the file's PTS and DTS, and the AAC frames GStreamer plays
//! (the edit list's); the sender reports link both tracks to the wall
//! clock consistently.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may fail loudly
#![allow(clippy::disallowed_methods)] // tests measure real time and wait for children

mod support;

use bytes::Bytes;
use streamkit::core::codec::CodecConfig;
use streamkit::core::mp4::Mp4File;
use support::rtsp::{fnv, gst_rtsp_server, pull};
use support::{TempDir, fixture};

const FIXTURE: &str = "h264_aac.mp4";

/// The slices of a length-prefixed H.264 or H.265 sample, each after a
/// 4-byte length, hashed.
fn slices_hash(data: &[u8], length_size: usize, h265: bool) -> u64 {
    let mut out = Vec::new();
    let mut rest = data;
    while rest.len() >= length_size {
        let (len, tail) = rest.split_at(length_size);
        let n = len.iter().fold(0usize, |a, b| (a << 8) | usize::from(*b));
        let nal = &tail[..n];
        let slice = if h265 {
            (nal[0] >> 1) & 0x3f < 32
        } else {
            (1..=5).contains(&(nal[0] & 0x1f))
        };
        if slice {
            out.extend_from_slice(&(n as u32).to_be_bytes());
            out.extend_from_slice(nal);
        }
        rest = &tail[n..];
    }
    fnv(&out)
}

/// What a fixture holds, as rtsp_pull prints it.
struct Expected {
    /// The video's slices hashes, in decode order.
    video: Vec<u64>,
    /// The audio frames' hashes.
    audio: Vec<u64>,
    /// The video's `(pts, dts)` at 90 kHz from the first frame's
    /// presentation time.
    times: Vec<(i64, i64)>,
    /// The video's keyframe flags.
    keys: Vec<&'static str>,
}

fn fixture_hashes(name: &str) -> Expected {
    let file = Mp4File::parse(Bytes::from(std::fs::read(fixture(name)).unwrap())).unwrap();
    let mut video = Vec::new();
    let mut audio = Vec::new();
    let mut times = Vec::new();
    let mut keys = Vec::new();
    for t in file.tracks() {
        let samples: Vec<_> = file.track_samples(t.id()).unwrap().collect();
        let size = match t.codec() {
            Some(CodecConfig::H264(c)) => Some((usize::from(c.nal_length_size.bytes()), false)),
            Some(CodecConfig::H265(c)) => Some((usize::from(c.nal_length_size.bytes()), true)),
            _ => None,
        };
        match t.codec() {
            Some(CodecConfig::H264(_) | CodecConfig::H265(_)) => {
                let (size, h265) = size.unwrap();
                video = samples
                    .iter()
                    .map(|s| slices_hash(&s.data, size, h265))
                    .collect();
                keys = samples
                    .iter()
                    .map(|s| if s.keyframe { "1" } else { "0" })
                    .collect();
                let hz = i64::from(samples[0].timescale.hz());
                let at_90k = |ticks: i64| (ticks * 90_000).div_euclid(hz);
                let first = samples[0].pts();
                times = samples
                    .iter()
                    .map(|s| (at_90k(s.pts() - first), at_90k(s.dts - first)))
                    .collect();
            }
            Some(CodecConfig::Aac(_)) => audio = samples.iter().map(|s| fnv(&s.data)).collect(),
            _ => {}
        }
    }
    Expected {
        video,
        audio,
        times,
        keys,
    }
}

/// `(track, field)` of every `au` line.
fn access_units<'a>(stdout: &'a str, field: &str) -> Vec<(u32, &'a str)> {
    stdout
        .lines()
        .filter(|l| l.starts_with("au "))
        .map(|l| {
            let get = |k: &str| {
                l.split(' ')
                    .find_map(|p| p.strip_prefix(k).and_then(|v| v.strip_prefix('=')))
                    .unwrap()
            };
            (get("track").parse().unwrap(), get(field))
        })
        .collect()
}

fn hashes(stdout: &str, track: u32, field: &str) -> Vec<u64> {
    access_units(stdout, field)
        .into_iter()
        .filter(|(t, _)| *t == track)
        .map(|(_, h)| u64::from_str_radix(h, 16).unwrap())
        .collect()
}

/// Now, in Unix milliseconds.
fn unix_ms() -> i64 {
    let d = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap();
    i64::try_from(d.as_millis()).unwrap()
}

/// The `wallclock` lines (sender reports' media time and NTP time):
/// each track has some, within the run (the server's clock is this
/// machine's); each track's follow its clock rate, and video and audio
/// (both zero at the first frame) tell the same media time at the same
/// instant, as a recorder stamping wall-clock time needs.
fn sender_reports_link_the_tracks(stdout: &str, before: i64, after: i64) {
    let mut by_track: [Vec<(f64, i64)>; 2] = [Vec::new(), Vec::new()];
    for l in stdout.lines().filter(|l| l.starts_with("wallclock ")) {
        let get = |k: &str| {
            l.split(' ')
                .find_map(|p| p.strip_prefix(k).and_then(|v| v.strip_prefix('=')))
                .unwrap()
        };
        let track: usize = get("track").parse().unwrap();
        let hz = if track == 1 { 90_000.0 } else { 44_100.0 };
        let media: i64 = get("media").parse().unwrap();
        let unix: i64 = get("unix_ms").parse().unwrap();
        assert!((before - 5_000..=after + 5_000).contains(&unix), "{l}");
        by_track[track - 1].push((media as f64 / hz * 1000.0, unix));
    }
    for reports in &by_track {
        assert!(!reports.is_empty(), "{stdout}");
        for w in reports.windows(2) {
            let media = w[1].0 - w[0].0;
            let wall = (w[1].1 - w[0].1) as f64;
            assert!((media - wall).abs() <= 5.0, "{w:?}");
        }
    }
    // Media time at the first audio report's instant, by the video's.
    let (audio_ms, at) = by_track[1][0];
    let (video_ms, video_at) = by_track[0][0];
    let video_then = video_ms + (at - video_at) as f64;
    assert!((video_then - audio_ms).abs() <= 20.0, "{by_track:?}");
}

/// Pulls the fixture `name` from GStreamer and compares it with the
/// file.
fn pulls_the_fixture(name: &str, transport: &str, credentials: Option<(&str, &str)>) {
    let dir = TempDir::new(&format!("rtsp-client-gst-{transport}"));
    let (_server, port) = gst_rtsp_server(dir.path(), name, credentials, 0, "server");
    let url = match credentials {
        Some((u, p)) => format!("rtsp://{u}:{p}@127.0.0.1:{port}/test"),
        None => format!("rtsp://127.0.0.1:{port}/test"),
    };
    let before = unix_ms();
    let out = pull(dir.path(), &["--transport", transport, &url], "pull");
    let after = unix_ms();
    assert!(out.success, "{}\n{}", out.stdout, out.stderr);
    sender_reports_link_the_tracks(&out.stdout, before, after);
    let tracks: Vec<&str> = out
        .stdout
        .lines()
        .filter(|l| l.starts_with("track "))
        .collect();
    assert_eq!(tracks.len(), 2, "{}", out.stdout);
    let codec = if name.starts_with("h265") {
        "hvc1."
    } else {
        "avc1.64000d"
    };
    assert!(
        tracks[0].starts_with(&format!("track 1 Video {codec}")),
        "{}",
        tracks[0]
    );
    assert!(
        tracks[0].contains(" timescale=90000 control="),
        "{}",
        tracks[0]
    );
    assert!(
        tracks[1].starts_with("track 2 Audio mp4a.40.2 timescale=44100 control="),
        "{}",
        tracks[1]
    );
    assert!(
        out.stdout.lines().last().unwrap() == "end teardown",
        "{}",
        out.stdout
    );
    let Expected {
        video,
        audio,
        times,
        keys,
    } = fixture_hashes(name);
    assert_eq!(video.len(), if name == FIXTURE { 300 } else { 180 });
    // Every video frame, its slices as the file holds them, in order.
    assert_eq!(hashes(&out.stdout, 1, "slices"), video);
    // Presentation times from RTP (RTP-Info's rtptime is zero), decode
    // times derived from the slices' POC: the file's own.
    let pts = access_units(&out.stdout, "pts");
    let dts = access_units(&out.stdout, "dts");
    let received: Vec<(i64, i64)> = pts
        .iter()
        .zip(&dts)
        .filter(|((t, _), _)| *t == 1)
        .map(|((_, p), (_, d))| (p.parse().unwrap(), d.parse().unwrap()))
        .collect();
    assert_eq!(received, times);
    // The AAC frames of the edit list: GStreamer drops the priming frame
    // the edit list skips and the last one it cuts.
    let received = hashes(&out.stdout, 2, "hash");
    assert_eq!(
        received,
        audio[1..audio.len() - 1],
        "{} audio frames",
        received.len()
    );
    // Keyframes where the file has them.
    let received_keys: Vec<&str> = access_units(&out.stdout, "key")
        .into_iter()
        .filter(|(t, _)| *t == 1)
        .map(|(_, k)| k)
        .collect();
    assert_eq!(received_keys, keys);
    assert!(!out.stdout.contains("loss "), "{}", out.stdout);
}

#[test]
fn pulls_over_tcp() {
    pulls_the_fixture(FIXTURE, "tcp", None);
}

#[test]
fn pulls_over_udp() {
    pulls_the_fixture(FIXTURE, "udp", None);
}

#[test]
fn pulls_over_tcp_with_digest() {
    pulls_the_fixture(FIXTURE, "tcp", Some(("viewer", "s3cret")));
}

#[test]
fn pulls_over_udp_with_digest() {
    pulls_the_fixture(FIXTURE, "udp", Some(("viewer", "s3cret")));
}

#[test]
fn pulls_h265_over_tcp() {
    pulls_the_fixture("h265_aac.mp4", "tcp", None);
}

#[test]
fn wrong_credentials_are_a_typed_401_and_nothing_is_received() {
    let dir = TempDir::new("rtsp-client-gst-401");
    let (_server, port) =
        gst_rtsp_server(dir.path(), FIXTURE, Some(("viewer", "s3cret")), 0, "server");
    let url = format!("rtsp://viewer:wrong@127.0.0.1:{port}/test");
    let out = pull(dir.path(), &["--transport", "tcp", &url], "pull");
    assert!(!out.success, "{}", out.stdout);
    assert_eq!(
        out.stderr.trim(),
        format!(
            "rtsp_pull: DESCRIBE rtsp://127.0.0.1:{port}/test: 401 Unauthorized (the credentials were refused)"
        )
    );
    assert!(
        !out.stdout.contains("track ") && !out.stdout.contains("au "),
        "{}",
        out.stdout
    );
}

#[test]
fn a_redirect_is_followed_to_another_server() {
    let dir = TempDir::new("rtsp-client-gst-redirect");
    let (_server, port) = gst_rtsp_server(dir.path(), FIXTURE, None, 0, "server");
    // A server that only redirects: one connection, one 302.
    let target = format!("rtsp://127.0.0.1:{port}/test");
    let location = target.clone();
    let (redirector, thread) = support::rtsp::redirector(location);
    let url = format!("rtsp://127.0.0.1:{redirector}/old");
    let out = pull(dir.path(), &["--transport", "tcp", &url], "pull");
    thread.join().unwrap();
    assert!(out.success, "{}\n{}", out.stdout, out.stderr);
    assert_eq!(
        out.stdout.lines().next(),
        Some(format!("redirect {target}").as_str())
    );
    let expected = fixture_hashes(FIXTURE);
    assert_eq!(hashes(&out.stdout, 1, "slices"), expected.video);
}
