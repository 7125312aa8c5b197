//! examples/serve over real RTSP: the built example binary is started on
//! 127.0.0.1 port 0 (HTTP and RTSP), and then
//!
//! - ffmpeg plays `rtsp://ADDR/vod/NAME` over UDP and over interleaved TCP
//!   and decodes exactly the fixture's frames, the video frames' checksums
//!   equal to those of the file itself;
//! - GStreamer (rtspsrc, decodebin) plays it over UDP and over TCP and
//!   decodes every video and audio frame (over UDP rtpbin's lip sync
//!   delays the track whose packets lead their presentation most, and
//!   rtspsrc clips at the Range's end: the sender's audio leads by the
//!   video's B-frame lead, so nothing is delayed past it);
//! - a plain client's PLAY answer gives every track's `seq` and `rtptime`
//!   in RTP-Info (the AAC track's too, whose first packet waits for the
//!   frames it aggregates), equal to the first RTP packet's on the
//!   client's own interleaved channels;
//! - ffmpeg plays `rtsp://ADDR/live/NAME` (the looped file) with no error;
//! - ffmpeg publishes the fixture with `-f rtsp` (ANNOUNCE + RECORD, over
//!   TCP and over UDP) to `rtsp://ADDR/live/KEY`, and ffprobe then decodes
//!   the republished stream from serve's LL-HLS URL and from its RTSP URL
//!   with no error;
//! - ffmpeg (over TCP and UDP) and GStreamer's rtspclientsink (over TCP)
//!   publish the fixture once; its B-frame video comes out of LL-HLS with
//!   the file's pts and dts, every frame, and out of RTSP (a viewer from
//!   a keyframe to the end) with the file's pts in decode order; the audio
//!   as an unbroken run of the file's frames;
//! - ffmpeg (`-rtpflags latm`) and rtspclientsink (its default) publish
//!   the fixture's AAC as MP4A-LATM over TCP; its audio comes out of
//!   LL-HLS and RTSP at the file's pts to the file's last frame, and
//!   ffmpeg decodes it with no error;
//! - with `--publish-user`/`--publish-pass`, a publisher with the wrong
//!   password is refused and nothing is published, and one with the right
//!   ones publishes (Digest);
//! - with `--read-user`/`--read-pass`, ffmpeg and GStreamer (rtspsrc's
//!   user-id and user-pw) with the wrong password, or none, get 401 and
//!   no frame, a plain client no packet, and serve starts no play; with
//!   the right ones they decode every frame over TCP and UDP.
//!
//! Nothing here has an upper time bound: a publication is waited for
//! while its publisher runs.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may fail loudly
#![allow(clippy::disallowed_methods)] // polls a real server between tries

use std::process::{Child, Command, Stdio};

#[path = "serve_support/framecrc.rs"]
mod framecrc;
#[path = "serve_support/server.rs"]
mod server;
use framecrc::{count, framecrc, video_crcs};
use server::Server;

/// From tests/fixtures/manifest.tsv: h264_aac.mp4.
const VIDEO_FRAMES: usize = 300;
const AUDIO_FRAMES: usize = 432;
const FIXTURE: &str = "tests/fixtures/h264_aac.mp4";

fn start(extra: &[&str]) -> Server {
    let mut args = vec![FIXTURE];
    args.extend_from_slice(extra);
    Server::start_with(&args)
}

#[test]
fn ffmpeg_plays_vod_over_udp_and_tcp_to_the_source_frames() {
    let server = start(&[]);
    let (source, _) = framecrc(&[], FIXTURE, &[]);
    let url = format!("{}/vod/h264_aac", server.rtsp);
    for transport in ["udp", "tcp"] {
        let (frames, stderr) = framecrc(&["-rtsp_transport", transport], &url, &[]);
        assert_eq!(stderr, "", "{transport}");
        assert_eq!(count(&frames, 0), VIDEO_FRAMES, "{transport}");
        assert_eq!(count(&frames, 1), AUDIO_FRAMES, "{transport}");
        assert_eq!(video_crcs(&frames), video_crcs(&source), "{transport}");
    }
}

#[test]
fn gstreamer_plays_vod_over_udp_and_tcp_to_every_frame() {
    let server = start(&[]);
    let url = format!("{}/vod/h264_aac", server.rtsp);
    for transport in ["udp", "tcp"] {
        let out = Command::new("/usr/bin/python3")
            .arg("tests/serve_support/gst_count.py")
            .args([&url, transport])
            .output()
            .expect("run GStreamer");
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "{transport}: {stdout} {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(
            stdout.trim(),
            format!("video={VIDEO_FRAMES} audio={AUDIO_FRAMES}"),
            "{transport}"
        );
    }
}

#[test]
fn ffmpeg_plays_the_live_channel_over_udp_and_tcp() {
    let server = start(&[]);
    let url = format!("{}/live/h264_aac", server.rtsp);
    for transport in ["udp", "tcp"] {
        let (frames, stderr) = framecrc(&["-rtsp_transport", transport], &url, &["-t", "2"]);
        assert_eq!(stderr, "", "{transport}");
        assert!(
            count(&frames, 0) > 0 && count(&frames, 1) > 0,
            "{transport}"
        );
    }
}

/// ffmpeg publishing the fixture, looped, at its own pace, to `url`.
fn publish(url: &str, transport: &str) -> Child {
    Command::new("ffmpeg")
        .args(["-nostdin", "-v", "error", "-re", "-stream_loop", "-1", "-i"])
        .arg(FIXTURE)
        .args([
            "-c",
            "copy",
            "-f",
            "rtsp",
            "-rtsp_transport",
            transport,
            url,
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start ffmpeg")
}

/// Waits while `publisher` runs until serve has a whole segment of
/// `/live/KEY/` (an `#EXTINF` in both LL-HLS media playlists); `false` if
/// the publisher ended first.
fn published(server: &Server, publisher: &mut Child, key: &str) -> bool {
    loop {
        let segmented = ["video", "audio"].iter().all(|m| {
            let (status, body) = server.get(&format!("/live/{key}/{m}/index.m3u8"));
            status == 200 && String::from_utf8_lossy(&body).contains("#EXTINF")
        });
        if segmented {
            return true;
        }
        if publisher.try_wait().expect("publisher status").is_some() {
            return false;
        }
        // Polling, not hoping: the loop ends on the server's answer or on
        // the publisher's exit, however long either takes.
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
}

#[test]
fn ffmpeg_publishes_with_record_and_the_stream_plays_on_hls_and_rtsp() {
    let server = start(&[]);
    let http = format!("http://{}", server.addr);
    for (transport, key) in [("tcp", "pub_tcp"), ("udp", "pub_udp")] {
        let mut publisher = publish(&format!("{}/live/{key}", server.rtsp), transport);
        assert!(published(&server, &mut publisher, key), "{transport}");
        let (frames, stderr) =
            framecrc(&[], &format!("{http}/live/{key}/master.m3u8"), &["-t", "2"]);
        assert_eq!(stderr, "", "{transport} HLS");
        assert!(
            count(&frames, 0) > 0 && count(&frames, 1) > 0,
            "{transport} HLS"
        );
        let (frames, stderr) = framecrc(
            &["-rtsp_transport", "tcp"],
            &format!("{}/live/{key}", server.rtsp),
            &["-t", "2"],
        );
        assert_eq!(stderr, "", "{transport} RTSP");
        assert!(count(&frames, 0) > 0, "{transport} RTSP");
        publisher.kill().unwrap();
        publisher.wait().unwrap();
    }
}

/// Who publishes the fixture once (ANNOUNCE + RECORD).
#[derive(Clone, Copy, Debug)]
enum Publisher {
    /// `ffmpeg -re -i FIXTURE -c copy -f rtsp`.
    Ffmpeg,
    /// GStreamer's `rtspclientsink` (qtdemux, h264parse, aacparse), AAC
    /// by its RFC 3640 payloader (mpeg4-generic).
    Gstreamer,
    /// ffmpeg with `-rtpflags latm`: AAC as MP4A-LATM (RFC 6416), each
    /// frame sent as it comes.
    FfmpegLatm,
    /// `rtspclientsink` with its own first choice for AAC: MP4A-LATM
    /// (rtpmp4apay).
    GstreamerLatm,
}

/// `publisher` sending the fixture once, at its own pace, to `url` over
/// `transport` (`tcp` or `udp`).
fn publish_once(publisher: Publisher, url: &str, transport: &str) -> Child {
    let mut command = match publisher {
        Publisher::Ffmpeg | Publisher::FfmpegLatm => {
            let mut c = Command::new("ffmpeg");
            c.args(["-nostdin", "-v", "error", "-re", "-i", FIXTURE])
                .args(["-c", "copy", "-f", "rtsp", "-rtsp_transport", transport]);
            if matches!(publisher, Publisher::FfmpegLatm) {
                c.args(["-rtpflags", "latm"]);
            }
            c.arg(url);
            c
        }
        Publisher::Gstreamer | Publisher::GstreamerLatm => {
            let mut c = Command::new("gst-launch-1.0");
            c.arg("-q")
                .args([
                    "filesrc",
                    &format!("location={FIXTURE}"),
                    "!",
                    "qtdemux",
                    "name=d",
                ])
                .args(["d.video_0", "!", "queue", "!", "h264parse", "!", "s.sink_0"])
                .args(["d.audio_0", "!", "queue", "!", "aacparse", "!", "s.sink_1"])
                .args(["rtspclientsink", "name=s", &format!("location={url}")])
                .arg(format!("protocols={transport}"));
            if matches!(publisher, Publisher::Gstreamer) {
                // rtspclientsink's first choice for AAC is MP4A-LATM
                // (RFC 6416); this picks its RFC 3640 payloader
                // (mpeg4-generic) instead.
                c.env("GST_PLUGIN_FEATURE_RANK", "rtpmp4apay:none");
            }
            c
        }
    };
    command
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start the publisher")
}

/// Time as ffprobe reports it, in units of 1/282,240,000 s: the least
/// common multiple of the 90 kHz, 15,360 Hz and 44.1 kHz time bases, so
/// that every time here is an exact integer.
const UNITS_PER_SECOND: i64 = 282_240_000;

/// One packet in decode order: pts and dts (None when ffprobe says N/A)
/// and the keyframe flag.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Stamp {
    pts: Option<i64>,
    dts: Option<i64>,
    key: bool,
}

/// Every packet of `input` (after `before`), video and audio apart, in
/// decode order, from `ffprobe -show_packets`.
fn probe_packets(before: &[&str], input: &str) -> (Vec<Stamp>, Vec<Stamp>) {
    let out = Command::new("ffprobe")
        .args(["-v", "error"])
        .args(before)
        .args([
            "-show_entries",
            "stream=index,codec_type,time_base:packet=stream_index,pts,dts,flags",
            "-of",
            "compact",
            input,
        ])
        .output()
        .expect("run ffprobe");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() && stderr.is_empty(),
        "ffprobe {input}: {stderr}"
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    let fields = |line: &str| -> std::collections::HashMap<String, String> {
        line.split('|')
            .filter_map(|kv| kv.split_once('='))
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect()
    };
    // Stream index -> (video?, units per tick).
    let mut streams = std::collections::HashMap::new();
    for line in stdout.lines().filter(|l| l.starts_with("stream|")) {
        let f = fields(line);
        let (num, den) = f["time_base"].split_once('/').unwrap();
        let (num, den): (i64, i64) = (num.parse().unwrap(), den.parse().unwrap());
        assert_eq!(
            UNITS_PER_SECOND % den,
            0,
            "time base {num}/{den} of {input}"
        );
        let kind = f["codec_type"].as_str();
        streams.insert(
            f["index"].clone(),
            (kind == "video", UNITS_PER_SECOND / den * num),
        );
    }
    let (mut video, mut audio) = (Vec::new(), Vec::new());
    for line in stdout.lines().filter(|l| l.starts_with("packet|")) {
        let f = fields(line);
        let (is_video, unit) = streams[&f["stream_index"]];
        let time = |k: &str| f[k].parse::<i64>().ok().map(|t| t * unit);
        let stamp = Stamp {
            pts: time("pts"),
            dts: time("dts"),
            key: f["flags"].starts_with('K'),
        };
        if is_video {
            video.push(stamp)
        } else {
            audio.push(stamp)
        }
    }
    (video, audio)
}

/// (pts, dts) of each packet minus `origin`.
fn relative(stamps: &[Stamp], origin: i64) -> Vec<(i64, i64)> {
    stamps
        .iter()
        .map(|s| (s.pts.unwrap() - origin, s.dts.unwrap() - origin))
        .collect()
}

/// Where in `fixture` the run `out` starts: the index `j` with
/// `out[i] - out[0]` within `tolerance` of `fixture[j + i] - fixture[j]`
/// for every `i`.
fn run_start(out: &[i64], fixture: &[i64], tolerance: i64) -> Option<usize> {
    let first = *out.first()?;
    (0..=fixture.len().checked_sub(out.len())?).find(|&j| {
        out.iter()
            .zip(&fixture[j..])
            .all(|(o, f)| ((o - first) - (f - fixture[j])).abs() <= tolerance)
    })
}

/// `out == expected`, or a panic naming `what`, the lengths and the
/// first difference (not the whole lists).
fn assert_same<T: PartialEq + std::fmt::Debug>(out: &[T], expected: &[T], what: &str) {
    if let Some(i) = (0..out.len().max(expected.len())).find(|&i| out.get(i) != expected.get(i)) {
        panic!(
            "{what}: {} items, {} expected; at {i}: {:?}, expected {:?}",
            out.len(),
            expected.len(),
            out.get(i),
            expected.get(i)
        );
    }
}

/// Waits, while the publisher's playlist of `/live/KEY/video/` says the
/// stream goes on, for its `#EXT-X-ENDLIST` (the publisher's end
/// reached the live package).
fn ended(server: &Server, key: &str) {
    loop {
        let (status, body) = server.get(&format!("/live/{key}/video/index.m3u8"));
        assert_eq!(status, 200, "{key}");
        if String::from_utf8_lossy(&body).contains("#EXT-X-ENDLIST") {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
}

/// One 44.1 kHz tick: GStreamer stamps buffers in nanoseconds, and
/// rtpmp4gpay's RTP timestamps, rounded from them, are up to one tick
/// off the file's (1024-sample frames come 1023, 1024 or 1025 ticks
/// apart on the wire).
const GSTREAMER_AUDIO_TOLERANCE: i64 = UNITS_PER_SECOND / 44_100;

/// How far from the file's place the republished audio may start on the
/// video's timeline: one tick of 44.1 kHz (the precision of the sender
/// reports that align them).
const SYNC_TOLERANCE: i64 = UNITS_PER_SECOND / 44_100;

/// `publisher` publishes the fixture once over `transport`; an RTSP
/// viewer plays it live meanwhile, and once it ended its LL-HLS
/// playlists play it whole. The video frames (B-frames, so pts and dts
/// apart) come out with the fixture's times, and the audio frames as an
/// unbroken run of the fixture's.
/// With `sync`, the audio's first frame is also where the file has it
/// on the video's timeline.
fn republished_times_match(publisher: Publisher, transport: &str, sync: bool) {
    let server = start(&[]);
    let http = format!("http://{}", server.addr);
    let key = format!("{publisher:?}_{transport}");
    let (fixture_video, fixture_audio) = probe_packets(&[], FIXTURE);
    assert_eq!(fixture_video.len(), VIDEO_FRAMES);
    let mut child = publish_once(publisher, &format!("{}/live/{key}", server.rtsp), transport);
    assert!(published(&server, &mut child, &key), "{key}: published");
    // A viewer from the latest keyframe on, until the stream ends.
    let rtsp = format!("{}/live/{key}", server.rtsp);
    let viewer = std::thread::spawn(move || probe_packets(&["-rtsp_transport", "tcp"], &rtsp));
    let status = child.wait().unwrap();
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr).unwrap();
    assert!(status.success(), "{key}: {stderr}");
    ended(&server, &key);
    let (rtsp_video, rtsp_audio) = viewer.join().unwrap();

    // LL-HLS, after the end: every video frame, pts and dts relative to
    // the first dts as in the file.
    let (video, audio) = probe_packets(&[], &format!("{http}/live/{key}/master.m3u8"));
    let origin = video[0].dts.unwrap();
    let fixture_origin = fixture_video[0].dts.unwrap();
    assert_same(
        &relative(&video, origin),
        &relative(&fixture_video, fixture_origin),
        &format!("{key}: LL-HLS video"),
    );
    // Audio: an unbroken run of the file's frames, some 9 s of the 10
    // (ffmpeg's RTP muxer keeps the AAC frames of its last, unfilled
    // packet when it ends).
    let pts = |s: &[Stamp], o: i64| -> Vec<i64> { s.iter().map(|x| x.pts.unwrap() - o).collect() };
    let (out, file) = (pts(&audio, origin), pts(&fixture_audio, fixture_origin));
    assert!(
        out.len() * 10 >= file.len() * 9,
        "{key}: {} audio frames",
        out.len()
    );
    let tolerance = match publisher {
        Publisher::Ffmpeg | Publisher::FfmpegLatm => 0,
        Publisher::Gstreamer | Publisher::GstreamerLatm => GSTREAMER_AUDIO_TOLERANCE,
    };
    let j = run_start(&out, &file, tolerance)
        .unwrap_or_else(|| panic!("{key}: LL-HLS audio {:?}...", &out[..8]));
    if sync {
        // Within one tick of the audio clock: a sender report gives its
        // RTP timestamp to the tick (ffmpeg rounds each from its NTP
        // time, half a tick either way on each track), so the offset
        // the reports give is that precise. Aligned by first packets it
        // would be 1024 ticks off.
        let off = out[0] - file[j];
        assert!(
            off.abs() <= SYNC_TOLERANCE,
            "{key}: audio and video in sync (frame {j}): {off} units off"
        );
    }

    // RTSP, live from a keyframe to the end: the presentation times in
    // decode order (B-frames: not increasing). RTP carries no decode
    // time, and ffprobe gives none for the first picture of any RTP
    // stream (not even ffmpeg's own), so the times count from the second.
    assert!(
        rtsp_video.len() >= 60,
        "{key}: {} RTSP video frames",
        rtsp_video.len()
    );
    assert!(rtsp_video[0].key, "{key}: RTSP starts at a keyframe");
    let k = VIDEO_FRAMES - rtsp_video.len();
    assert!(
        fixture_video[k].key,
        "{key}: RTSP from frame {k}, not a keyframe"
    );
    let from = |s: &[Stamp]| -> Vec<i64> {
        let o = s[1].pts.unwrap();
        s[1..].iter().map(|x| x.pts.unwrap() - o).collect()
    };
    assert_same(
        &from(&rtsp_video),
        &from(&fixture_video[k..]),
        &format!("{key}: RTSP video"),
    );
    let out = pts(&rtsp_audio, 0);
    assert!(out.len() >= 100, "{key}: {} RTSP audio frames", out.len());
    assert!(
        run_start(&out, &file, tolerance).is_some(),
        "{key}: RTSP audio, steps {:?}",
        out.windows(2).map(|w| w[1] - w[0]).collect::<Vec<_>>()
    );
}

#[test]
fn ffmpeg_publishes_over_tcp_and_udp_with_the_fixture_times() {
    for transport in ["tcp", "udp"] {
        republished_times_match(Publisher::Ffmpeg, transport, false);
    }
}

/// Over TCP only: over UDP rtspclientsink hangs at its end as (b) below
/// (with serve 2, with gst-rtsp-server 1 of 10 runs under load).
///
/// Ignored: GStreamer 1.22's rtspclientsink does not end reliably when
/// its file ends, whatever the server. Under load (both cores busy), at
/// its end: (a) its PAUSE, sent while the pipeline goes to NULL, fails
/// with 'Could not send message (Received end-of-file)' where it
/// otherwise reports 'PAUSE interrupted' and exits 0: the connection is
/// its own, closed by its shutdown (serve's log shows the connection
/// ended by the client's FIN, no request refused, no timeout); (b) now
/// and then EOS never reaches the bus (its rtprtxsend pushed it on;
/// no TEARDOWN, RTCP goes on), so gst-launch never exits. With
/// GStreamer's own RECORD server (gst-rtsp-server) instead of serve,
/// the same load gives (a) in 3 and (b) in 2 of 20 runs; with serve
/// (a) 1 and (b) 3 in 20. Measured again (`publish_once`'s pipeline
/// by hand, a 60 s hang guard, two `yes` loops busy): gst-rtsp-server
/// (b) 6 of 20, serve (a) 1 and (b) 4 of 20; with `rtx-time=0` (no
/// rtprtxsend at all) no better: gst-rtsp-server (a) 2 and (b) 4 of 12,
/// serve (a) 1 and (b) 2 of 12, so retransmission is not the cause. In
/// each of those (a) and (b) runs against serve, once the publisher was
/// gone (its connection closed: serve logs "rtsp session ended: Closed",
/// a clean end "Teardown"), LL-HLS ended with the same 300 video and
/// 431 audio frames as a run that exited 0.
#[test]
#[ignore = "GStreamer 1.22 rtspclientsink: at its end, 'Could not send message (Received end-of-file)' from its own PAUSE/close race, or EOS never reaching the bus (a hang); the same with gst-rtsp-server as the RECORD server"]
fn rtspclientsink_publishes_over_tcp_with_the_fixture_times() {
    republished_times_match(Publisher::Gstreamer, "tcp", false);
}

/// `publisher` publishes the fixture once over TCP with its AAC as
/// MP4A-LATM. Its audio is judged by what comes out, not by how the
/// publisher exits (rtspclientsink's exit at its TEARDOWN is not this
/// test's subject): once the stream ended, LL-HLS gives the published
/// audio frames from the first, unbroken, at their pts (at least 90 % of
/// them: ffmpeg's RTP muxer never sends the frames of its last, unfilled
/// packet), and ffmpeg decodes every one of them with no error; an RTSP
/// viewer that comes in later gets an unbroken run of them at their pts,
/// and a second one decodes its audio with no error.
/// `tolerance`: how far a frame's pts may be from the file's (GStreamer
/// rounds its RTP timestamps from nanoseconds).
fn latm_audio_republished_whole(publisher: Publisher, tolerance: i64) {
    let server = start(&[]);
    let http = format!("http://{}", server.addr);
    let key = format!("{publisher:?}_tcp");
    let (_, fixture_audio) = probe_packets(&[], FIXTURE);
    assert_eq!(fixture_audio.len(), AUDIO_FRAMES);
    let mut child = publish_once(publisher, &format!("{}/live/{key}", server.rtsp), "tcp");
    assert!(published(&server, &mut child, &key), "{key}: published");
    let rtsp = format!("{}/live/{key}", server.rtsp);
    let probing = rtsp.clone();
    let viewer = std::thread::spawn(move || probe_packets(&["-rtsp_transport", "tcp"], &probing));
    let decoder = std::thread::spawn(move || framecrc(&["-rtsp_transport", "tcp"], &rtsp, &[]));
    let status = child.wait().unwrap();
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr).unwrap();
    if matches!(publisher, Publisher::FfmpegLatm) {
        assert!(status.success(), "{key}: {stderr}");
    }
    ended(&server, &key);
    let (_, rtsp_audio) = viewer.join().unwrap();
    let (rtsp_frames, rtsp_stderr) = decoder.join().unwrap();

    let pts = |s: &[Stamp]| -> Vec<i64> {
        let o = s[0].pts.unwrap();
        s.iter().map(|x| x.pts.unwrap() - o).collect()
    };
    let hls = format!("{http}/live/{key}/master.m3u8");
    let (_, audio) = probe_packets(&[], &hls);
    // serve's live start leaves out the file's first few audio frames
    // (with mpeg4-generic as with MP4A-LATM); from there, every frame to
    // the end, at the file's pts.
    assert!(
        audio.len() * 10 >= AUDIO_FRAMES * 9,
        "{key}: {} LL-HLS audio frames ({stderr})",
        audio.len()
    );
    // What the publisher sent: the file's frames at their pts, but that
    // rtspclientsink (its qtdemux) clips the priming frame the edit list
    // skips to its last sample, which presents one 44.1 kHz sample before
    // frame 1. LL-HLS gives an unbroken run of them at those times, exact
    // for ffmpeg, within GStreamer's rounding (whichever frames the
    // publishers' ends leave out: ffmpeg keeps those of its last, unfilled
    // packet).
    let mut published = pts(&fixture_audio);
    if matches!(publisher, Publisher::GstreamerLatm) {
        published[0] = published[1] - UNITS_PER_SECOND / 44_100;
    }
    let out = pts(&audio);
    // The run starts at the first frame published: what is left out is
    // at the end, where the publishers stop.
    assert_eq!(
        run_start(&out, &published, tolerance),
        Some(0),
        "{key}: LL-HLS audio {:?}... as a run of the published {:?}...",
        &out[..4],
        &published[..4]
    );
    let (frames, hls_stderr) = framecrc(&[], &hls, &["-map", "0:a"]);
    assert_eq!(hls_stderr, "", "{key}: LL-HLS audio decodes");
    assert_eq!(
        count(&frames, 0),
        audio.len(),
        "{key}: LL-HLS audio decoded"
    );

    // RTSP: the run from where the viewer came in to the file's end.
    assert!(
        rtsp_audio.len() >= 100,
        "{key}: {} RTSP audio frames",
        rtsp_audio.len()
    );
    let out: Vec<i64> = rtsp_audio.iter().map(|x| x.pts.unwrap()).collect();
    assert!(
        run_start(&out, &published, tolerance).is_some(),
        "{key}: RTSP audio, {} frames, a run of the published ones",
        out.len()
    );
    assert_eq!(rtsp_stderr, "", "{key}: RTSP decodes");
    assert!(count(&rtsp_frames, 1) >= 100, "{key}: RTSP audio decoded");
}

#[test]
fn ffmpeg_publishes_mp4a_latm_and_every_audio_frame_comes_out() {
    latm_audio_republished_whole(Publisher::FfmpegLatm, 0);
}

/// Run by hand (`-- --ignored`): rtspclientsink's end hangs now and then
/// (its EOS never reaches the bus, so it sends no TEARDOWN and never
/// exits; 2 to 3 runs in 20, with gst-rtsp-server as with serve), which
/// would hang the suite.
#[test]
#[ignore = "GStreamer 1.22 rtspclientsink: EOS never reaching the bus at its end (a hang) in 2-3 of 20 runs; the same with gst-rtsp-server as the RECORD server"]
fn rtspclientsink_publishes_mp4a_latm_and_every_audio_frame_comes_out() {
    // Times are compared relative to the run's first frame, and
    // GStreamer rounds each (that one's and the other's) by up to a tick.
    latm_audio_republished_whole(Publisher::GstreamerLatm, 2 * GSTREAMER_AUDIO_TOLERANCE);
}

/// A RECORD's tracks are put on one timeline by the publisher's RTCP
/// sender reports: ffmpeg's audio starts with the AAC priming frame,
/// 1024 samples before the video's first picture, and comes out there,
/// not where the first packets would put it (1024 samples late). Over
/// UDP the reports come on the RTCP port.
#[test]
fn ffmpeg_publishes_with_audio_and_video_in_sync() {
    for transport in ["tcp", "udp"] {
        republished_times_match(Publisher::Ffmpeg, transport, true);
    }
}

#[test]
fn digest_refuses_a_wrong_publisher_and_admits_the_right_one() {
    let server = start(&["--publish-user", "cam", "--publish-pass", "s3cret"]);
    let base = server.rtsp.strip_prefix("rtsp://").unwrap();
    let mut wrong = publish(&format!("rtsp://cam:nope@{base}/live/locked"), "tcp");
    let status = wrong.wait().unwrap();
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut wrong.stderr.take().unwrap(), &mut stderr).unwrap();
    assert!(!status.success());
    assert!(stderr.contains("401"), "{stderr}");
    assert_eq!(server.get("/live/locked/master.m3u8").0, 404);
    let mut right = publish(&format!("rtsp://cam:s3cret@{base}/live/locked"), "tcp");
    assert!(published(&server, &mut right, "locked"));
    right.kill().unwrap();
    right.wait().unwrap();
}

/// A plain RTSP client on one TCP connection: sends `request` (CSeq and
/// Session added) and returns the answer, with every interleaved frame
/// read before it appended to `frames`.
struct RawClient {
    stream: std::net::TcpStream,
    reader: streamkit::rtsp::message::MessageReader,
    cseq: u32,
    session: Option<String>,
}

impl RawClient {
    fn connect(rtsp: &str) -> RawClient {
        let addr = rtsp.trim_start_matches("rtsp://");
        RawClient {
            stream: std::net::TcpStream::connect(addr).unwrap(),
            reader: streamkit::rtsp::message::MessageReader::new(Default::default()),
            cseq: 0,
            session: None,
        }
    }

    fn next_frame(&mut self) -> streamkit::rtsp::message::Frame {
        use std::io::Read;
        loop {
            if let Some(f) = self.reader.poll_frame().unwrap() {
                return f;
            }
            let mut buf = [0u8; 4096];
            let n = self.stream.read(&mut buf).unwrap();
            assert!(n > 0, "serve closed the connection");
            self.reader.push(&buf[..n]);
        }
    }

    fn send(
        &mut self,
        method: streamkit::rtsp::message::Method,
        uri: &str,
        headers: &[(&str, &str)],
        frames: &mut Vec<(u8, bytes::Bytes)>,
    ) -> streamkit::rtsp::message::Response {
        use std::io::Write;
        use streamkit::rtsp::message::{Frame, Message, Request};
        self.cseq += 1;
        let mut r = Request::new(method, uri);
        r.headers.append("CSeq", &self.cseq.to_string());
        if let Some(s) = &self.session {
            r.headers.append("Session", s);
        }
        for (n, v) in headers {
            r.headers.append(n, v);
        }
        let mut out = bytes::BytesMut::new();
        r.write_to(&mut out);
        self.stream.write_all(&out).unwrap();
        loop {
            match self.next_frame() {
                Frame::Interleaved { channel, data } => frames.push((channel, data)),
                Frame::Message(Message::Response(answer)) => {
                    assert_eq!(answer.cseq(), Some(self.cseq));
                    if let Some(s) = answer.headers.get("Session") {
                        let id = s.split(';').next().unwrap().to_owned();
                        self.session = Some(id);
                    }
                    return answer;
                }
                Frame::Message(Message::Request(r)) => panic!("a request from serve: {r:?}"),
            }
        }
    }
}

#[test]
fn play_answers_rtp_info_with_the_first_packet_of_every_track() {
    use streamkit::rtsp::header::RtpInfoHeader;
    use streamkit::rtsp::message::Method;
    let server = start(&[]);
    let url = format!("{}/vod/h264_aac", server.rtsp);
    let mut client = RawClient::connect(&server.rtsp);
    let mut frames = Vec::new();
    let describe = client.send(
        Method::Describe,
        &url,
        &[("Accept", "application/sdp")],
        &mut frames,
    );
    assert_eq!(describe.status, 200);
    // The client's own channels, not 0-1 and 2-3.
    for (track, channels) in [(1, "10-11"), (2, "20-21")] {
        let transport = format!("RTP/AVP/TCP;unicast;interleaved={channels}");
        let setup = client.send(
            Method::Setup,
            &format!("{url}/trackID={track}"),
            &[("Transport", &transport)],
            &mut frames,
        );
        assert_eq!(setup.status, 200, "{setup:?}");
    }
    let play = client.send(Method::Play, &url, &[("Range", "npt=0-")], &mut frames);
    assert_eq!(play.status, 200, "{play:?}");
    assert!(frames.is_empty(), "nothing before the PLAY answer");
    let info = RtpInfoHeader::parse(play.headers.get("RTP-Info").unwrap()).unwrap();
    assert_eq!(info.entries.len(), 2, "{info:?}");
    let mut expected = Vec::new();
    for (entry, track, channel) in [(&info.entries[0], 1, 10u8), (&info.entries[1], 2, 20u8)] {
        assert!(
            entry.url.ends_with(&format!("/trackID={track}")),
            "{entry:?}"
        );
        let seq = entry.seq.unwrap_or_else(|| panic!("no seq: {entry:?}"));
        let rtptime = entry
            .rtptime
            .unwrap_or_else(|| panic!("no rtptime: {entry:?}"));
        expected.push((channel, seq, rtptime));
    }
    // The first RTP packet on each track's channel has that seq and
    // timestamp.
    let mut first: Vec<(u8, u16, u32)> = Vec::new();
    while first.len() < 2 {
        if let streamkit::rtsp::message::Frame::Interleaved { channel, data } = client.next_frame()
            && (channel == 10 || channel == 20)
            && !first.iter().any(|f| f.0 == channel)
        {
            let seq = u16::from_be_bytes([data[2], data[3]]);
            let ts = u32::from_be_bytes([data[4], data[5], data[6], data[7]]);
            first.push((channel, seq, ts));
        }
    }
    first.sort_unstable();
    assert_eq!(first, expected);
}

/// ffmpeg reading `url` over `transport`: its exit status, decoded
/// frames and stderr, whatever the outcome.
fn try_framecrc(transport: &str, url: &str) -> (bool, usize, String) {
    let out = Command::new("ffmpeg")
        .args([
            "-nostdin",
            "-v",
            "error",
            "-rtsp_transport",
            transport,
            "-i",
            url,
        ])
        .args(["-f", "framecrc", "-"])
        .output()
        .expect("run ffmpeg");
    let frames = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| !l.starts_with('#'))
        .count();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    (out.status.success(), frames, stderr)
}

/// tests/serve_support/gst_count.py on `url` with rtspsrc's user-id and
/// user-pw: its exit status, `video=N audio=M`, and stderr.
fn gst_count(url: &str, transport: &str, user: &str, pass: &str) -> (bool, String, String) {
    let out = Command::new("/usr/bin/python3")
        .arg("tests/serve_support/gst_count.py")
        .args([url, transport, user, pass])
        .output()
        .expect("run GStreamer");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).trim().to_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// serve's "rtsp play" log lines so far (a PLAY it accepted).
fn plays(server: &Server) -> usize {
    let log = server.log.as_ref().unwrap();
    log.lines()
        .iter()
        .filter(|l| l.contains("rtsp play"))
        .count()
}

#[test]
fn digest_lets_readers_with_the_right_credentials_play_and_refuses_the_others() {
    use streamkit::rtsp::message::Method;
    let server = Server::start_logged(&[FIXTURE, "--read-user", "viewer", "--read-pass", "s3cret"]);
    let base = server.rtsp.strip_prefix("rtsp://").unwrap();
    let url = |user: &str| format!("rtsp://{user}@{base}/vod/h264_aac");

    // Wrong password, or none: 401, and no frame decoded.
    for transport in ["tcp", "udp"] {
        for user in ["viewer:nope", "viewer:"] {
            let (ok, frames, stderr) = try_framecrc(transport, &url(user));
            assert!(!ok, "ffmpeg {transport} {user}");
            assert!(
                stderr.contains("401"),
                "ffmpeg {transport} {user}: {stderr}"
            );
            assert_eq!(frames, 0, "ffmpeg {transport} {user}");
        }
        let plain = format!("{}/vod/h264_aac", server.rtsp);
        let (ok, counts, stderr) = gst_count(&plain, transport, "viewer", "nope");
        assert!(!ok, "GStreamer {transport}: {counts}");
        assert!(
            stderr.contains("Unauthorized"),
            "GStreamer {transport}: {stderr}"
        );
        assert_eq!(counts, "video=0 audio=0", "GStreamer {transport}");
    }
    // A plain client without credentials: every step is refused, and no
    // interleaved packet comes before or after the answers.
    let plain = format!("{}/vod/h264_aac", server.rtsp);
    let mut client = RawClient::connect(&server.rtsp);
    let mut frames = Vec::new();
    let describe = client.send(
        Method::Describe,
        &plain,
        &[("Accept", "application/sdp")],
        &mut frames,
    );
    assert_eq!(describe.status, 401);
    let challenge = describe.headers.get("WWW-Authenticate").unwrap();
    assert!(challenge.starts_with("Digest "), "{challenge}");
    let setup = client.send(
        Method::Setup,
        &format!("{plain}/trackID=1"),
        &[("Transport", "RTP/AVP/TCP;unicast;interleaved=0-1")],
        &mut frames,
    );
    assert_eq!(setup.status, 401);
    let play = client.send(Method::Play, &plain, &[("Range", "npt=0-")], &mut frames);
    assert_ne!(play.status, 200);
    let options = client.send(Method::Options, &plain, &[], &mut frames);
    assert_eq!(options.status, 200);
    assert!(frames.is_empty(), "{} interleaved frames", frames.len());
    assert_eq!(
        plays(&server),
        0,
        "{:?}",
        server.log.as_ref().unwrap().lines()
    );

    // The right ones: every frame, over both transports, by both players.
    let (source, _) = framecrc(&[], FIXTURE, &[]);
    for transport in ["tcp", "udp"] {
        let (frames, stderr) =
            framecrc(&["-rtsp_transport", transport], &url("viewer:s3cret"), &[]);
        assert_eq!(stderr, "", "ffmpeg {transport}");
        assert_eq!(count(&frames, 0), VIDEO_FRAMES, "ffmpeg {transport}");
        assert_eq!(count(&frames, 1), AUDIO_FRAMES, "ffmpeg {transport}");
        assert_eq!(
            video_crcs(&frames),
            video_crcs(&source),
            "ffmpeg {transport}"
        );
        let (ok, counts, stderr) = gst_count(&plain, transport, "viewer", "s3cret");
        assert!(ok, "GStreamer {transport}: {stderr}");
        assert_eq!(
            counts,
            format!("video={VIDEO_FRAMES} audio={AUDIO_FRAMES}"),
            "GStreamer {transport}"
        );
    }
    // Four sessions played, the refused ones none.
    server
        .log
        .as_ref()
        .unwrap()
        .wait_for(std::time::Duration::from_secs(30), "four plays", |l| {
            l.iter().filter(|l| l.contains("rtsp play")).count() >= 4
        });
    assert_eq!(plays(&server), 4);
}
