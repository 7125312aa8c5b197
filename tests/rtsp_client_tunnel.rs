//! streamkit-rtsp's client (the rtsp_pull example over the shared tokio
//! driver) through RTSP over HTTP (the QuickTime tunnel, streamkit-rtsp's
//! `ClientTunnel`) and over TLS, against real servers:
//!
//! - examples/serve's tunnel on its HTTP port (`rtsph://` and `--tunnel`)
//!   and its RTSPS port (a CA and a certificate made with openssl at test
//!   time, checked against the CA with `--ca`, taken unchecked with
//!   `--insecure`, refused against the system's roots, and reached by
//!   a redirect from plain RTSP);
//! - plain HTTP answers that refuse the tunnel (a typed error);
//! - GStreamer's RTSP server (tests/gst/rtsp_server.py), which answers
//!   the tunnel on its RTSP port, also with Digest (the 401 and the
//!   retry through the tunnel; wrong credentials a typed 401).
//!
//! Every access unit arrives: the video's slices and the audio frames
//! byte for byte as the fixture holds them, their count and bytes equal
//! to the file's.
//!
//! rtsp_push publishes the fixture to serve over RTSPS and through the
//! tunnel (every sample published, TEARDOWN), and rtsp_pull plays each
//! publication back the other way: a run of the fixture's video slices
//! and audio frames, in order.
//!
//! The only time bounds are hang guards a loaded machine does not reach.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may fail loudly
#![allow(clippy::disallowed_methods)] // tests wait for children with hang guards

#[path = "serve_support/server.rs"]
mod server;
mod support;

use std::process::Command;
use std::time::{Duration, Instant};

use bytes::Bytes;
use server::Server;
use streamkit::core::codec::CodecConfig;
use streamkit::core::mp4::Mp4File;
use support::rtsp::{Pulled, fnv, gst_rtsp_server, pull};
use support::{Guard, TempDir, example_binary, fixture};

const FIXTURE: &str = "h264_aac.mp4";

/// The slices of a length-prefixed H.264 sample, each after a 4-byte
/// length, hashed, and their bytes so counted.
fn slices(data: &[u8], length_size: usize) -> (u64, usize) {
    let mut out = Vec::new();
    let mut rest = data;
    while rest.len() >= length_size {
        let (len, tail) = rest.split_at(length_size);
        let n = len.iter().fold(0usize, |a, b| (a << 8) | usize::from(*b));
        let nal = &tail[..n];
        if (1..=5).contains(&(nal[0] & 0x1f)) {
            out.extend_from_slice(&(n as u32).to_be_bytes());
            out.extend_from_slice(nal);
        }
        rest = &tail[n..];
    }
    (fnv(&out), out.len())
}

/// The fixture's video slices hashes, in decode order, and its audio
/// frames' `(hash, size)`.
fn fixture_units() -> (Vec<u64>, Vec<(u64, usize)>) {
    let file = Mp4File::parse(Bytes::from(std::fs::read(fixture(FIXTURE)).unwrap())).unwrap();
    let mut video = Vec::new();
    let mut audio = Vec::new();
    for t in file.tracks() {
        let samples: Vec<_> = file.track_samples(t.id()).unwrap().collect();
        match t.codec() {
            Some(CodecConfig::H264(c)) => {
                let size = usize::from(c.nal_length_size.bytes());
                video = samples.iter().map(|s| slices(&s.data, size).0).collect();
            }
            Some(CodecConfig::Aac(_)) => {
                audio = samples
                    .iter()
                    .map(|s| (fnv(&s.data), s.data.len()))
                    .collect();
            }
            _ => {}
        }
    }
    (video, audio)
}

/// `field` of every `au` line of `track`.
fn field<'a>(stdout: &'a str, track: u32, name: &str) -> Vec<&'a str> {
    stdout
        .lines()
        .filter(|l| l.starts_with("au "))
        .filter_map(|l| {
            let get = |k: &str| {
                l.split(' ')
                    .find_map(|p| p.strip_prefix(k).and_then(|v| v.strip_prefix('=')))
                    .unwrap()
            };
            (get("track").parse::<u32>().unwrap() == track).then(|| get(name))
        })
        .collect()
}

fn hashes(stdout: &str, track: u32, name: &str) -> Vec<u64> {
    field(stdout, track, name)
        .into_iter()
        .map(|h| u64::from_str_radix(h, 16).unwrap())
        .collect()
}

/// The audio `(hash, size)` pairs rtsp_pull printed.
fn audio_units(stdout: &str) -> Vec<(u64, usize)> {
    hashes(stdout, 2, "hash")
        .into_iter()
        .zip(field(stdout, 2, "size").iter().map(|s| s.parse().unwrap()))
        .collect()
}

/// A pull that ended by its own TEARDOWN with two tracks described.
fn assert_clean(out: &Pulled) {
    assert!(out.success, "{}\n{}", out.stdout, out.stderr);
    let tracks: Vec<&str> = out
        .stdout
        .lines()
        .filter(|l| l.starts_with("track "))
        .collect();
    assert_eq!(tracks.len(), 2, "{}", out.stdout);
    assert!(
        tracks[0].starts_with("track 1 Video avc1."),
        "{}",
        tracks[0]
    );
    assert!(
        tracks[1].starts_with("track 2 Audio mp4a.40.2"),
        "{}",
        tracks[1]
    );
    assert_eq!(out.stdout.lines().last(), Some("end teardown"));
    assert!(!out.stdout.contains("loss "), "{}", out.stdout);
}

/// serve's VOD, pulled: every video frame's slices and every audio frame
/// of the file, in order (their count and bytes the file's).
fn assert_serve_vod(out: &Pulled) {
    assert_clean(out);
    let (video, audio) = fixture_units();
    assert_eq!(video.len(), 300);
    assert_eq!(audio.len(), 432);
    assert_eq!(hashes(&out.stdout, 1, "slices"), video);
    let received = audio_units(&out.stdout);
    assert_eq!(received.len(), audio.len());
    assert_eq!(
        received.iter().map(|a| a.1).sum::<usize>(),
        audio.iter().map(|a| a.1).sum::<usize>()
    );
    assert_eq!(received, audio);
}

#[test]
fn pulls_serve_vod_through_its_http_tunnel() {
    let dir = TempDir::new("rtsp-client-tunnel-serve");
    let server = Server::start_with(&[&format!("tests/fixtures/{FIXTURE}")]);
    let url = format!("rtsph://{}/vod/h264_aac", server.addr);
    let out = pull(dir.path(), &[&url], "rtsph");
    assert_serve_vod(&out);
    // The same with --tunnel and an rtsp:// URL to the HTTP port.
    let url = format!("rtsp://{}/vod/h264_aac", server.addr);
    let out = pull(dir.path(), &["--tunnel", &url], "tunnel");
    assert_serve_vod(&out);
}

#[test]
fn an_rtsp_error_comes_back_through_the_tunnel() {
    let dir = TempDir::new("rtsp-client-tunnel-404");
    let server = Server::start_with(&[&format!("tests/fixtures/{FIXTURE}")]);
    // serve takes the tunnel for any path; its RTSP side knows no such
    // stream.
    let url = format!("rtsph://{}/nothing/here", server.addr);
    let out = pull(dir.path(), &[&url], "refused");
    assert!(!out.success, "{}", out.stdout);
    assert_eq!(
        out.stderr.trim(),
        format!(
            "rtsp_pull: DESCRIBE rtsp://{}/nothing/here: 404 Not Found",
            server.addr
        )
    );
    assert_eq!(
        out.stdout,
        format!(
            "end DESCRIBE rtsp://{}/nothing/here: 404 Not Found\n",
            server.addr
        )
    );
}

/// A plain HTTP server on 127.0.0.1 that answers one request with
/// `answer` and closes; its port.
fn http_once(answer: &'static str) -> (std::thread::JoinHandle<String>, u16) {
    use std::io::{BufRead, BufReader, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let thread = std::thread::spawn(move || {
        let (stream, _) = listener.accept().unwrap();
        let mut reader = BufReader::new(stream.try_clone().unwrap());
        let mut head = String::new();
        let mut line = String::new();
        while reader.read_line(&mut line).unwrap() > 0 && line != "\r\n" {
            head.push_str(&line);
            line.clear();
        }
        let mut stream = stream;
        stream.write_all(answer.as_bytes()).unwrap();
        head
    });
    (thread, port)
}

#[test]
fn a_tunnel_to_a_port_that_does_not_tunnel_is_a_typed_error() {
    let dir = TempDir::new("rtsp-client-tunnel-refused");
    for (answer, error) in [
        (
            "HTTP/1.1 404 Not Found\r\nContent-Type: text/html\r\nContent-Length: 0\r\n\r\n",
            "the server answered the tunnel's GET with HTTP status 404",
        ),
        (
            "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 2\r\n\r\nhi",
            "the answer to the tunnel's GET is not application/x-rtsp-tunnelled",
        ),
    ] {
        let (thread, port) = http_once(answer);
        let out = pull(
            dir.path(),
            &[&format!("rtsph://127.0.0.1:{port}/a")],
            "pull",
        );
        let get = thread.join().unwrap();
        assert!(get.starts_with("GET /a HTTP/1.0\r\n"), "{get}");
        assert!(get.contains("\r\nx-sessioncookie: "), "{get}");
        assert!(!out.success, "{}", out.stdout);
        assert_eq!(
            out.stderr.trim(),
            format!("rtsp_pull: connect rtsp://127.0.0.1:{port}/a: RTSP over HTTP: {error}")
        );
        assert_eq!(out.stdout, "");
    }
}

#[test]
fn pulls_from_gstreamer_through_its_http_tunnel() {
    let dir = TempDir::new("rtsp-client-tunnel-gst");
    let (_server, port) = gst_rtsp_server(dir.path(), FIXTURE, None, 0, "server");
    let url = format!("rtsph://127.0.0.1:{port}/test");
    let out = pull(dir.path(), &[&url], "pull");
    assert_gst_fixture(&out);
}

/// GStreamer's fixture, pulled: every video frame's slices, and the AAC
/// frames of the edit list (GStreamer drops the priming frame the edit
/// list skips and the last one it cuts, as over plain RTSP).
fn assert_gst_fixture(out: &Pulled) {
    assert_clean(out);
    let (video, audio) = fixture_units();
    assert_eq!(hashes(&out.stdout, 1, "slices"), video);
    assert_eq!(audio_units(&out.stdout), audio[1..audio.len() - 1]);
}

#[test]
fn pulls_from_gstreamer_through_its_http_tunnel_with_digest() {
    let dir = TempDir::new("rtsp-client-tunnel-gst-digest");
    let (_server, port) =
        gst_rtsp_server(dir.path(), FIXTURE, Some(("viewer", "s3cret")), 0, "server");
    // The 401 and the request answered again travel through the tunnel.
    let url = format!("rtsph://viewer:s3cret@127.0.0.1:{port}/test");
    let out = pull(dir.path(), &[&url], "pull");
    assert_gst_fixture(&out);
    let url = format!("rtsph://viewer:wrong@127.0.0.1:{port}/test");
    let out = pull(dir.path(), &[&url], "wrong");
    assert!(!out.success, "{}", out.stdout);
    assert_eq!(
        out.stderr.trim(),
        format!(
            "rtsp_pull: DESCRIBE rtsp://127.0.0.1:{port}/test: 401 Unauthorized (the credentials were refused)"
        )
    );
}

/// serve with RTSPS on port 0 and a certificate for 127.0.0.1 made now,
/// signed by a CA made now; the directory holding them (`ca.pem` the
/// CA's certificate) lives as long as the server.
fn rtsps_server() -> (Server, TempDir, String) {
    let certs = TempDir::new("rtsp-client-rtsps-cert");
    let path = |name: &str| certs.path().join(name).to_str().unwrap().to_owned();
    let (cert, key) = (path("cert.pem"), path("key.pem"));
    let openssl = |args: &[&str]| {
        let out = Command::new("openssl")
            .args(args)
            .output()
            .expect("run openssl");
        assert!(
            out.status.success(),
            "openssl {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    openssl(&[
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-days",
        "2",
        "-subj",
        "/CN=streamkit test CA",
        "-keyout",
        &path("ca.key"),
        "-out",
        &path("ca.pem"),
    ]);
    openssl(&[
        "req",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-subj",
        "/CN=127.0.0.1",
        "-keyout",
        &key,
        "-out",
        &path("cert.csr"),
    ]);
    std::fs::write(
        path("ext.cnf"),
        "basicConstraints=critical,CA:FALSE\nsubjectAltName=IP:127.0.0.1\n",
    )
    .unwrap();
    openssl(&[
        "x509",
        "-req",
        "-in",
        &path("cert.csr"),
        "-CA",
        &path("ca.pem"),
        "-CAkey",
        &path("ca.key"),
        "-CAcreateserial",
        "-days",
        "2",
        "-extfile",
        &path("ext.cnf"),
        "-out",
        &cert,
    ]);
    let server = Server::start_with(&[
        &format!("tests/fixtures/{FIXTURE}"),
        "--rtsps-bind",
        "127.0.0.1:0",
        // With a certificate serve also listens for RTMPS, on a fixed
        // port unless told.
        "--rtmps-bind",
        "127.0.0.1:0",
        "--tls-cert",
        &cert,
        "--tls-key",
        &key,
    ]);
    let rtsps = server
        .rtsps
        .clone()
        .expect("serve printed its RTSPS address");
    (server, certs, rtsps)
}

#[test]
fn pulls_serve_vod_over_rtsps_with_the_certificate_checked() {
    let dir = TempDir::new("rtsp-client-rtsps");
    let (_server, certs, rtsps) = rtsps_server();
    let url = format!("{rtsps}/vod/h264_aac");
    let ca = certs.path().join("ca.pem");
    let out = pull(dir.path(), &["--ca", ca.to_str().unwrap(), &url], "ca");
    assert_serve_vod(&out);
}

#[test]
fn pulls_serve_vod_over_rtsps_insecure_and_the_system_roots_refuse_it() {
    let dir = TempDir::new("rtsp-client-rtsps-insecure");
    let (_server, _certs, rtsps) = rtsps_server();
    let url = format!("{rtsps}/vod/h264_aac");
    let out = pull(dir.path(), &["--insecure", &url], "insecure");
    assert_serve_vod(&out);
    // A self-signed certificate chains to none of the system's roots.
    let out = pull(dir.path(), &[&url], "system");
    assert!(!out.success, "{}", out.stdout);
    assert_eq!(out.stdout, "");
    assert_eq!(
        out.stderr.trim(),
        format!("rtsp_pull: connect {url}: invalid peer certificate: UnknownIssuer")
    );
}

/// `part` is a run of `whole`'s items, in order.
fn is_run_of<T: PartialEq>(part: &[T], whole: &[T]) -> bool {
    !part.is_empty() && whole.windows(part.len()).any(|w| w == part)
}

#[test]
fn publishes_over_rtsps_and_through_the_tunnel_and_the_stream_plays_back() {
    let dir = TempDir::new("rtsp-client-tunnel-push");
    let (server, certs, rtsps) = rtsps_server();
    let ca = certs.path().join("ca.pem");
    let ca = ca.to_str().unwrap();
    let http = server.addr;
    let (video, audio) = fixture_units();
    let audio: Vec<u64> = audio.iter().map(|a| a.0).collect();
    let cases: [(&str, Vec<String>, Vec<String>); 2] = [
        (
            "tls",
            vec!["--insecure".into(), format!("{rtsps}/live/tls")],
            vec![format!("rtsph://{http}/live/tls")],
        ),
        (
            "http",
            vec![format!("rtsph://{http}/live/http")],
            vec!["--ca".into(), ca.into(), format!("{rtsps}/live/http")],
        ),
    ];
    for (key, push, play) in cases {
        let mut args: Vec<String> = vec![fixture(FIXTURE).to_str().unwrap().into()];
        args.extend(push);
        let mut pusher = Guard::spawn_logged(
            Command::new(example_binary("rtsp_push")).args(&args),
            dir.path(),
            &format!("push-{key}"),
        );
        // Polling, not hoping: until serve has the publication or the
        // publisher ended.
        let start = Instant::now();
        while server.get(&format!("/live/{key}/master.m3u8")).0 != 200 {
            if let Some(status) = pusher.try_status() {
                panic!("rtsp_push {args:?} ended ({status}): {}", pusher.stderr());
            }
            assert!(start.elapsed() < Duration::from_secs(60), "no publication");
            std::thread::sleep(Duration::from_millis(50));
        }
        let mut args: Vec<&str> = vec!["--frames", "60"];
        args.extend(play.iter().map(String::as_str));
        let out = pull(dir.path(), &args, &format!("pull-{key}"));
        assert_clean(&out);
        let got_video = hashes(&out.stdout, 1, "slices");
        let got_audio = hashes(&out.stdout, 2, "hash");
        assert_eq!(got_video.len() + got_audio.len(), 60, "{}", out.stdout);
        assert!(is_run_of(&got_video, &video), "{}", out.stdout);
        assert!(is_run_of(&got_audio, &audio), "{}", out.stdout);
        pusher.wait_success(Duration::from_secs(120));
        let pushed =
            std::fs::read_to_string(dir.path().join(format!("push-{key}.stdout"))).unwrap();
        assert_eq!(pushed, "published 732 samples\nend teardown\n");
    }
}

#[test]
fn a_redirect_to_rtsps_is_followed_over_tls() {
    let dir = TempDir::new("rtsp-client-rtsps-redirect");
    let (_server, certs, rtsps) = rtsps_server();
    // A plain RTSP server that only redirects: one connection, one 302.
    let target = format!("{rtsps}/vod/h264_aac");
    let location = target.clone();
    let (redirector, thread) = support::rtsp::redirector(location);
    let ca = certs.path().join("ca.pem");
    let url = format!("rtsp://127.0.0.1:{redirector}/old");
    let out = pull(dir.path(), &["--ca", ca.to_str().unwrap(), &url], "pull");
    thread.join().unwrap();
    assert_eq!(
        out.stdout.lines().next(),
        Some(format!("redirect {target}").as_str())
    );
    assert_serve_vod(&out);
}
