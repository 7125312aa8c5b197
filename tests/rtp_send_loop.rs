//! rtp_send over several passes of the file: it starts over with sequence
//! numbers and RTP timestamps continuing. Our own sockets receive the
//! audio; our depacketizer gives the source's frames over and over, each at
//! the timestamp of its presentation time plus the passes before it (a pass
//! lasts as long as the longest track), with no sequence gap. A bounded run
//! (`--passes 3`) exits 0 by itself after an RTCP BYE for each stream; a
//! run without end (`--loop`) stops on SIGTERM or SIGINT the same way.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may fail loudly
#![allow(clippy::disallowed_methods)] // tests measure real time and wait for children

mod support;

use std::net::UdpSocket;
use std::process::Command;
use std::time::{Duration, Instant};

use bytes::Bytes;
use streamkit::core::codec::CodecConfig;
use streamkit::core::mp4::Mp4File;
use streamkit::core::time::{MediaTime, Rounding};
use streamkit::rtp::packet::RtpPacket;
use streamkit::rtp::payload::aac::{AacDepacketized, AacDepacketizer, AacFrame, AuHeaderLayout};
use streamkit::rtp::rtcp::{
    ReceiverReport, ReportBlock, RtcpPacket, parse_compound, write_compound,
};
use support::{Guard, TempDir, UdpPorts, example_binary, fixture};

const NAME: &str = "h264_aac.mp4";

/// The sockets the example sends to: video RTP and RTCP, audio RTP and
/// RTCP on four consecutive ports, bound here.
struct Receiver {
    ports: UdpPorts,
}

impl Receiver {
    fn bind() -> Receiver {
        let ports = UdpPorts::bind(4);
        for s in &ports.sockets {
            s.set_read_timeout(Some(Duration::from_millis(20))).unwrap();
        }
        Receiver { ports }
    }

    fn dest(&self) -> String {
        format!("127.0.0.1:{}", self.ports.first())
    }

    fn audio(&self) -> &UdpSocket {
        self.ports.socket(2)
    }

    /// An RTCP datagram waiting on port `i`, parsed, and where it came
    /// from.
    fn rtcp_from(&self, i: usize) -> Option<(Vec<RtcpPacket>, std::net::SocketAddr)> {
        let socket = self.ports.socket(i);
        socket.set_nonblocking(true).unwrap();
        let mut buf = vec![0u8; 2048];
        let got = socket.recv_from(&mut buf).ok();
        socket.set_nonblocking(false).unwrap();
        let (n, from) = got?;
        Some((
            parse_compound(Bytes::copy_from_slice(&buf[..n])).unwrap(),
            from,
        ))
    }

    /// The RTCP datagrams waiting on the video (`1`) or audio (`3`) RTCP
    /// port, parsed.
    fn rtcp(&self, i: usize) -> Vec<Vec<RtcpPacket>> {
        let socket = self.ports.socket(i);
        socket.set_nonblocking(true).unwrap();
        let mut buf = vec![0u8; 2048];
        let mut out = Vec::new();
        while let Ok(n) = socket.recv(&mut buf) {
            out.push(parse_compound(Bytes::copy_from_slice(&buf[..n])).unwrap());
        }
        out
    }
}

/// Starts rtp_send on `NAME` to `receiver` at 40 times real time (a 10 s
/// pass takes a quarter of a second), with `extra` options.
fn start(receiver: &Receiver, dir: &TempDir, extra: &[&str]) -> Guard {
    Guard::spawn_logged(
        Command::new(example_binary("rtp_send"))
            .args([
                "--input",
                &fixture(NAME).display().to_string(),
                "--dest",
                &receiver.dest(),
                "--sdp",
                &dir.path().join("out.sdp").display().to_string(),
                "--speed",
                "40",
            ])
            .args(extra),
        dir.path(),
        "send",
    )
}

/// The audio RTP packets as they arrive: depacketized in order, no
/// sequence gap; their SSRC.
struct AudioFrames {
    depacketizer: AacDepacketizer,
    frames: Vec<AacFrame>,
    last_seq: Option<u16>,
    ssrc: Option<u32>,
    buf: Vec<u8>,
}

impl AudioFrames {
    fn new() -> AudioFrames {
        AudioFrames {
            depacketizer: AacDepacketizer::new(AuHeaderLayout::AAC_HBR, 1024),
            frames: Vec::new(),
            last_seq: None,
            ssrc: None,
            buf: vec![0u8; 65_536],
        }
    }

    /// Receives one datagram (waiting at most the socket's timeout);
    /// `false` when none came.
    fn receive(&mut self, socket: &UdpSocket) -> bool {
        let Ok(len) = socket.recv(&mut self.buf) else {
            return false;
        };
        let packet = RtpPacket::parse(Bytes::copy_from_slice(&self.buf[..len])).unwrap();
        let seq = packet.sequence_number().0;
        if let Some(last) = self.last_seq {
            assert_eq!(seq, last.wrapping_add(1), "sequence gap after {last}");
        }
        self.last_seq = Some(seq);
        assert_eq!(*self.ssrc.get_or_insert(packet.ssrc()), packet.ssrc());
        self.depacketizer.push(&packet).unwrap();
        while let Some(out) = self.depacketizer.poll_frame() {
            match out {
                AacDepacketized::Frame(f) => self.frames.push(f),
                other => panic!("{other:?}"),
            }
        }
        true
    }
}

/// The source's audio frames (presentation time with the edit list's
/// shift, data) and the length of a pass in audio ticks.
fn source() -> (Vec<(i64, Bytes)>, i64) {
    let file = Mp4File::parse(Bytes::from(std::fs::read(fixture(NAME)).unwrap())).unwrap();
    let audio = file
        .tracks()
        .iter()
        .find(|t| matches!(t.codec(), Some(CodecConfig::Aac(_))))
        .unwrap();
    let shift = audio.presentation_shift().unwrap();
    let frames: Vec<(i64, Bytes)> = file
        .track_samples(audio.id())
        .unwrap()
        .map(|s| (s.pts() + shift, s.data))
        .collect();
    // A pass: the longest track's duration, here the audio's.
    let pass = file
        .tracks()
        .iter()
        .map(|t| MediaTime::new(t.duration() as i64, t.timescale()))
        .max()
        .unwrap()
        .rescale(audio.timescale(), Rounding::Nearest)
        .ticks();
    assert_eq!(pass, audio.duration() as i64);
    (frames, pass)
}

/// Each frame is the source's frame `i % n`, at its presentation time plus
/// the passes before it.
fn assert_passes(frames: &[AacFrame], source: &[(i64, Bytes)], pass: i64) {
    let n = source.len();
    let base = frames[0].timestamp.0;
    for (i, frame) in frames.iter().enumerate() {
        let (pts, data) = &source[i % n];
        assert!(
            frame.data == *data,
            "frame {i} differs from sample {}",
            i % n
        );
        let expected = pts + pass * (i / n) as i64 - source[0].0;
        assert_eq!(
            i64::from(frame.timestamp.0.wrapping_sub(base)),
            expected,
            "timestamp of frame {i} (sample {} of pass {})",
            i % n,
            i / n
        );
    }
}

/// The BYE each stream's RTCP port got last: from `ssrc` when given.
fn assert_goodbye(packets: &[Vec<RtcpPacket>], ssrc: Option<u32>, what: &str) {
    let last = packets
        .last()
        .unwrap_or_else(|| panic!("no RTCP on the {what} port"));
    match last.last() {
        Some(RtcpPacket::Goodbye(bye)) => {
            if let Some(ssrc) = ssrc {
                assert_eq!(bye.sources, [ssrc], "{what} BYE's source");
            }
        }
        other => panic!("the last {what} RTCP packet is {other:?}, not a BYE"),
    }
    // A sender report came before it, the first before any packet.
    assert!(
        matches!(packets[0].first(), Some(RtcpPacket::SenderReport(_))),
        "{what}: {:?}",
        packets[0]
    );
}

#[test]
fn passes_continue_sequence_numbers_and_timestamps_and_end_with_bye() {
    let (source, pass) = source();
    let receiver = Receiver::bind();
    let dir = TempDir::new("rtp-send-passes");
    let mut sender = start(&receiver, &dir, &["--passes", "3"]);
    let mut audio = AudioFrames::new();
    // The audio's first sender report is answered with a receiver report,
    // sent where the report came from, as players do.
    let mut audio_rtcp = Vec::new();
    let mut answered = false;
    // Receive while the example runs, then what is left in the socket.
    let started = Instant::now();
    let status = loop {
        if !answered && let Some((packets, from)) = receiver.rtcp_from(3) {
            if let Some(RtcpPacket::SenderReport(sr)) = packets.first() {
                let rr = RtcpPacket::ReceiverReport(ReceiverReport {
                    ssrc: 0x7777_7777,
                    reports: vec![ReportBlock {
                        ssrc: sr.ssrc,
                        fraction_lost: 0,
                        cumulative_lost: 0,
                        extended_highest_sequence: 0,
                        jitter: 0,
                        last_sender_report: sr.ntp_time.middle_32(),
                        delay_since_last_sender_report: 0,
                    }],
                    profile_extension: Bytes::new(),
                });
                let mut wire = Vec::new();
                write_compound(&[rr], &mut wire).unwrap();
                receiver.ports.socket(3).send_to(&wire, from).unwrap();
                answered = true;
            }
            audio_rtcp.push(packets);
        }
        if let Some(status) = sender.try_status() {
            while audio.receive(receiver.audio()) {}
            break status;
        }
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "rtp_send --passes 3 did not end within 120 s"
        );
        audio.receive(receiver.audio());
    };
    assert!(status.success(), "rtp_send: {status}\n{}", sender.stderr());
    assert_eq!(status.code(), Some(0));

    // Every frame of three passes: the last frames held for aggregation are
    // sent at the end too.
    assert_eq!(
        audio.frames.len(),
        3 * source.len(),
        "frames of three passes"
    );
    assert_passes(&audio.frames, &source, pass);
    assert!(answered, "no audio sender report to answer");
    audio_rtcp.extend(receiver.rtcp(3));
    assert_goodbye(&audio_rtcp, audio.ssrc, "audio");
    assert_goodbye(&receiver.rtcp(1), None, "video");
    // The receiver report came back to the example, which read it.
    let log = sender.stderr();
    assert!(log.contains("; 1 receiver report blocks received"), "{log}");
}

/// `--loop` runs until a signal: SIGTERM or SIGINT (even when the test runs
/// as a background job, which ignores SIGINT by inheritance) stops it with
/// a BYE per stream and exit status 0.
fn loop_stops_on(signal: &str) {
    let (source, pass) = source();
    let receiver = Receiver::bind();
    let dir = TempDir::new(&format!("rtp-send-loop-{signal}"));
    let mut sender = start(&receiver, &dir, &["--loop"]);
    let mut audio = AudioFrames::new();
    // More than two whole passes.
    let started = Instant::now();
    while audio.frames.len() <= 2 * source.len() + 10 {
        assert!(
            sender.try_status().is_none(),
            "rtp_send --loop exited: {}",
            sender.stderr()
        );
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "{} frames in 120 s",
            audio.frames.len()
        );
        audio.receive(receiver.audio());
    }
    sender.signal(signal);
    let status = sender.wait(Duration::from_secs(120));
    assert_eq!(
        status.code(),
        Some(0),
        "rtp_send: {status}\n{}",
        sender.stderr()
    );
    assert!(
        sender.stderr().contains("sent RTCP BYE"),
        "{}",
        sender.stderr()
    );
    while audio.receive(receiver.audio()) {}
    assert_passes(&audio.frames, &source, pass);
    assert_goodbye(&receiver.rtcp(3), audio.ssrc, "audio");
    assert_goodbye(&receiver.rtcp(1), None, "video");
}

#[test]
fn loop_stops_on_sigterm_with_bye() {
    loop_stops_on("TERM");
}

#[test]
fn loop_stops_on_sigint_with_bye() {
    loop_stops_on("INT");
}
