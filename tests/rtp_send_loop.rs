//! rtp_send `--loop`: the file starts over with sequence numbers and RTP
//! timestamps continuing. Our own sockets receive the audio; our
//! depacketizer gives the source's frames over and over, each at the
//! timestamp of its presentation time plus the passes before it (a pass
//! lasts as long as the longest track), with no sequence gap.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may fail loudly
#![allow(clippy::disallowed_methods)] // tests measure real time and sleep

mod rtp_send_support;

use std::net::UdpSocket;
use std::process::Command;
use std::time::{Duration, Instant};

use bytes::Bytes;
use rtp_send_support::{Guard, TempDir, example_binary, fixture};
use streamkit::core::codec::CodecConfig;
use streamkit::core::mp4::Mp4File;
use streamkit::core::time::{MediaTime, Rounding};
use streamkit::rtp::packet::RtpPacket;
use streamkit::rtp::payload::aac::{AacDepacketized, AacDepacketizer, AuHeaderLayout};

#[test]
fn loop_continues_sequence_numbers_and_timestamps() {
    let name = "h264_aac.mp4";
    let file = Mp4File::parse(Bytes::from(std::fs::read(fixture(name)).unwrap())).unwrap();
    let audio = file
        .tracks()
        .iter()
        .find(|t| matches!(t.codec(), Some(CodecConfig::Aac(_))))
        .unwrap();
    let shift = audio.presentation_shift().unwrap();
    let source: Vec<(i64, Bytes)> = file
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

    // Receive audio on an even port ourselves (video and RTCP go to the
    // ports around it, which we hold so nothing else gets them).
    let (sockets, port) = loop {
        let s = UdpSocket::bind("127.0.0.1:0").unwrap();
        let p = s.local_addr().unwrap().port();
        if p & 1 == 1 || !(2..u16::MAX).contains(&p) {
            continue;
        }
        let others: Vec<_> = [p - 2, p - 1, p + 1]
            .iter()
            .map(|q| UdpSocket::bind(("127.0.0.1", *q)))
            .collect();
        if others.iter().all(Result::is_ok) {
            let others: Vec<UdpSocket> = others.into_iter().map(Result::unwrap).collect();
            break ((s, others), p - 2);
        }
    };
    let audio_socket = sockets.0;
    audio_socket
        .set_read_timeout(Some(Duration::from_millis(50)))
        .unwrap();

    let dir = TempDir::new("rtp-send-loop");
    // 40 times real time: a 10 s pass takes a quarter of a second.
    let mut sender = Guard::spawn(
        Command::new(example_binary()).args([
            "--input",
            &fixture(name).display().to_string(),
            "--dest",
            &format!("127.0.0.1:{port}"),
            "--sdp",
            &dir.0.join("out.sdp").display().to_string(),
            "--loop",
            "--speed",
            "40",
        ]),
        &dir.0,
        "send",
    );
    // Receive until more than two whole passes came (at most 20 s).
    let n = source.len();
    let mut depacketizer = AacDepacketizer::new(AuHeaderLayout::AAC_HBR, 1024);
    let mut frames = Vec::new();
    let mut last_seq: Option<u16> = None;
    let mut buf = vec![0u8; 65_536];
    let start = Instant::now();
    while frames.len() <= 2 * n + 10 {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "{} frames in 20 s",
            frames.len()
        );
        let Ok(len) = audio_socket.recv(&mut buf) else {
            continue;
        };
        let packet = RtpPacket::parse(Bytes::copy_from_slice(&buf[..len])).unwrap();
        let seq = packet.sequence_number().0;
        if let Some(last) = last_seq {
            assert_eq!(seq, last.wrapping_add(1), "sequence gap after {last}");
        }
        last_seq = Some(seq);
        depacketizer.push(&packet).unwrap();
        while let Some(out) = depacketizer.poll_frame() {
            match out {
                AacDepacketized::Frame(f) => frames.push(f),
                other => panic!("{other:?}"),
            }
        }
    }
    sender.interrupt();
    let _ = sender.wait(Duration::from_secs(10));

    let n = source.len();
    assert!(
        frames.len() > 2 * n,
        "only {} frames of {n} per pass",
        frames.len()
    );
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
