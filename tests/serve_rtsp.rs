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
//! - with `--publish-user`/`--publish-pass`, a publisher with the wrong
//!   password is refused and nothing is published, and one with the right
//!   ones publishes (Digest).
//!
//! Nothing here has an upper time bound: a publication is waited for
//! while its publisher runs.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may fail loudly
#![allow(clippy::disallowed_methods)] // polls a real server between tries

use std::process::{Child, Command, Stdio};

#[path = "serve_support/server.rs"]
mod server;
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

/// ffmpeg's framecrc of `input` (after `before`): (stream, crc) per frame,
/// and its stderr.
fn framecrc(before: &[&str], input: &str, after: &[&str]) -> (Vec<(u32, String)>, String) {
    let out = Command::new("ffmpeg")
        .args(["-nostdin", "-v", "error"])
        .args(before)
        .args(["-i", input])
        .args(after)
        .args(["-f", "framecrc", "-"])
        .output()
        .expect("run ffmpeg");
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "ffmpeg {input}: {stderr}");
    let frames = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| !l.starts_with('#'))
        .map(|l| {
            let f: Vec<&str> = l.split(',').map(str::trim).collect();
            (f[0].parse().unwrap(), f[5].to_owned())
        })
        .collect();
    (frames, stderr)
}

fn count(frames: &[(u32, String)], stream: u32) -> usize {
    frames.iter().filter(|(s, _)| *s == stream).count()
}

fn video_crcs(frames: &[(u32, String)]) -> Vec<&str> {
    frames
        .iter()
        .filter(|(s, _)| *s == 0)
        .map(|(_, c)| c.as_str())
        .collect()
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
