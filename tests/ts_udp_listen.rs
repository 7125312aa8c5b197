//! `examples/ts_udp --listen`, the receiver a broadcast engineer reaches
//! for, on what `ffmpeg -re ... -f mpegts udp://` sends through a relay
//! that drops 1% of the datagrams by seed: it prints the program and its
//! tracks, and every continuity error with the exact count of packets the
//! relay dropped on that PID (modulo 16, as the 4-bit counter shows it).
//! And `ts_udp` as a sender does not stop when nothing listens yet.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may fail loudly
#![allow(clippy::disallowed_methods)] // a relay on real sockets

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::net::UdpSocket;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// Only a hang trips it.
const HANG_GUARD: Duration = Duration::from_secs(180);

fn example(name: &str) -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let dir = exe.parent().and_then(Path::parent).unwrap();
    let path = dir
        .join("examples")
        .join(format!("{name}{}", std::env::consts::EXE_SUFFIX));
    assert!(
        path.exists(),
        "{} is missing: cargo build --examples",
        path.display()
    );
    path
}

fn fixture(name: &str) -> String {
    format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"))
}

/// Kills the child when dropped.
struct Child(std::process::Child);

impl Drop for Child {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// (PID, payload packet) of each 188-byte packet that carries payload.
fn payload_pids(datagram: &[u8]) -> Vec<(u16, bool)> {
    datagram
        .chunks(188)
        .filter(|p| p.len() == 188 && p[0] == 0x47)
        .map(|p| {
            (
                (u16::from(p[1] & 0x1F) << 8) | u16::from(p[2]),
                p[3] & 0x10 != 0,
            )
        })
        .collect()
}

#[test]
fn listen_reports_exactly_what_a_lossy_relay_dropped() {
    // ts_udp --listen, on a port it picks.
    let mut listener = Child(
        Command::new(example("ts_udp"))
            .args(["--listen", "127.0.0.1:0"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let (tx, rx) = mpsc::channel::<String>();
    let stdout = listener.0.stdout.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            if tx.send(line.unwrap()).is_err() {
                break;
            }
        }
    });
    let first = rx.recv_timeout(HANG_GUARD).unwrap();
    let listen_addr = first
        .strip_prefix("ts_udp: listening on udp://")
        .unwrap_or_else(|| panic!("{first}"))
        .to_owned();

    // The relay: ffmpeg sends to it; it forwards all but 1% of the
    // datagrams (a seeded LCG picks them) and counts, per PID, the payload
    // packets of each dropped datagram.
    let relay = UdpSocket::bind("127.0.0.1:0").unwrap();
    let relay_addr = relay.local_addr().unwrap();
    let out = UdpSocket::bind("127.0.0.1:0").unwrap();
    out.connect(&listen_addr).unwrap();
    let mut sender = Child(
        Command::new("ffmpeg")
            .args(["-hide_banner", "-loglevel", "error", "-re", "-i"])
            .arg(fixture("h264_aac.mp4"))
            .args(["-c", "copy", "-f", "mpegts"])
            .arg(format!("udp://{relay_addr}?pkt_size=1316"))
            .stdin(Stdio::null())
            .spawn()
            .unwrap(),
    );
    relay
        .set_read_timeout(Some(Duration::from_millis(200)))
        .unwrap();
    let mut state: u64 = 0x5EED_0001;
    let mut buf = [0u8; 2048];
    // Per PID: payload packets seen in forwarded and dropped datagrams, in
    // order (true: dropped).
    let mut history: BTreeMap<u16, Vec<bool>> = BTreeMap::new();
    let mut forwarded_packets = 0u64;
    let mut dropped = 0;
    let start = Instant::now();
    loop {
        match relay.recv(&mut buf) {
            Ok(n) => {
                state = state
                    .wrapping_mul(6_364_136_223_846_793_005)
                    .wrapping_add(1_442_695_040_888_963_407);
                let drop = (state >> 33).is_multiple_of(100);
                for (pid, payload) in payload_pids(&buf[..n]) {
                    if payload {
                        history.entry(pid).or_default().push(drop);
                    }
                }
                if drop {
                    dropped += 1;
                } else {
                    out.send(&buf[..n]).unwrap();
                    forwarded_packets += (n / 188) as u64;
                }
            }
            Err(_) => {
                if sender.0.try_wait().unwrap().is_some() {
                    break;
                }
            }
        }
        assert!(start.elapsed() < HANG_GUARD, "ffmpeg never finished");
    }
    assert!(sender.0.wait().unwrap().success());
    assert!(dropped >= 2, "the seed drops some datagrams: {dropped}");

    // What the listener must report: for each run of dropped payload
    // packets on a PID followed by a received one, a gap of that many
    // (mod 16; a multiple of 16 is invisible).
    let mut expected: BTreeMap<u16, Vec<u64>> = BTreeMap::new();
    for (pid, seen) in &history {
        let mut run = 0u64;
        let mut received_any = false;
        for &lost in seen {
            if lost {
                run += 1;
            } else {
                if received_any && !run.is_multiple_of(16) {
                    expected.entry(*pid).or_default().push(run % 16);
                }
                run = 0;
                received_any = true;
            }
        }
    }
    assert!(!expected.is_empty());

    // Read the listener until it has taken in every forwarded packet.
    let mut reported: BTreeMap<u16, Vec<u64>> = BTreeMap::new();
    let mut lines = Vec::new();
    loop {
        let line = rx
            .recv_timeout(HANG_GUARD)
            .expect("ts_udp --listen went quiet");
        if let Some(rest) = line.strip_prefix("continuity error: PID ") {
            let (pid, rest) = rest.split_once(", ").unwrap();
            let pid = u16::from_str_radix(pid.trim_start_matches("0x"), 16).unwrap();
            let missing: u64 = rest.split_whitespace().next().unwrap().parse().unwrap();
            reported.entry(pid).or_default().push(missing);
        }
        let done = line
            .split_once(" packets,")
            .and_then(|(head, _)| head.rsplit(' ').next()?.parse::<u64>().ok())
            .is_some_and(|n| n >= forwarded_packets);
        lines.push(line);
        if done {
            break;
        }
    }
    assert_eq!(reported, expected, "{lines:#?}");
    let text = lines.join("\n");
    assert!(
        text.contains("program 1: PMT PID 0x1000, PCR PID 0x0100"),
        "{text}"
    );
    assert!(
        text.contains("track PID 0x0100: avc1.64000d 320x240"),
        "{text}"
    );
    assert!(
        text.contains("track PID 0x0101: mp4a.40.2 44100 Hz, 1 channels"),
        "{text}"
    );
}

#[test]
fn sending_goes_on_while_nothing_listens() {
    // A port nobody listens on: every send meets an ICMP refusal.
    let port = {
        let s = UdpSocket::bind("127.0.0.1:0").unwrap();
        s.local_addr().unwrap().port()
    };
    let out = Command::new(example("ts_udp"))
        .args([
            "--input",
            &fixture("h264_aac_moov_end.mp4"),
            "--speed",
            "50",
        ])
        .args(["--dest", &format!("127.0.0.1:{port}")])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("nothing listens on"), "{stderr}");
    assert!(stderr.contains("found nothing listening"), "{stderr}");
}

#[test]
fn listen_joins_a_multicast_group_on_the_named_interface() {
    // The group is joined on 127.0.0.1 (`@127.0.0.1`): a stock Linux
    // machine delivers a group sent on loopback there, no root or route
    // needed. Only a loopback that cannot join at all (ENODEV) skips.
    let group = std::net::Ipv4Addr::new(239, 255, 77, 2);
    let probe = UdpSocket::bind("0.0.0.0:0").unwrap();
    if let Err(e) = probe.join_multicast_v4(&group, &std::net::Ipv4Addr::LOCALHOST) {
        if e.raw_os_error() == Some(19) {
            eprintln!("skipped: loopback cannot join multicast group {group}: {e}");
            return;
        }
        panic!("joining {group} on loopback: {e}");
    }
    drop(probe);
    // Two seconds of the fixture as ffmpeg writes MPEG-TS.
    let clip = std::env::temp_dir().join(format!("ts-udp-listen-{}.ts", std::process::id()));
    let made = Command::new("ffmpeg")
        .args(["-hide_banner", "-loglevel", "error", "-y", "-i"])
        .arg(fixture("h264_aac.mp4"))
        .args(["-t", "2", "-c", "copy", "-f", "mpegts"])
        .arg(&clip)
        .status()
        .unwrap();
    assert!(made.success());
    let ts = std::fs::read(&clip).unwrap();
    let _ = std::fs::remove_file(&clip);
    assert_eq!(ts.len() % 188, 0);
    let packets = ts.len() / 188;

    let mut listener = Child(
        Command::new(example("ts_udp"))
            .args(["--listen", &format!("{group}:0@127.0.0.1")])
            .args(["--packets", &packets.to_string()])
            // Only a hang trips it: a lost datagram shows in the summary.
            .args(["--seconds", &HANG_GUARD.as_secs().to_string()])
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap(),
    );
    let (tx, rx) = mpsc::channel::<String>();
    let stdout = listener.0.stdout.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            if tx.send(line.unwrap()).is_err() {
                break;
            }
        }
    });
    let first = rx.recv_timeout(HANG_GUARD).unwrap();
    let listen_addr: std::net::SocketAddr = first
        .strip_prefix("ts_udp: listening on udp://")
        .unwrap_or_else(|| panic!("{first}"))
        .parse()
        .unwrap();
    assert_eq!(listen_addr.ip(), group, "it names the group it joined");
    assert_ne!(listen_addr.port(), 0);

    // Sent from loopback with a TTL of 0: delivered on this machine only.
    // A few datagrams at a time, so the receiver's buffer never overflows.
    let out = UdpSocket::bind("127.0.0.1:0").unwrap();
    out.set_multicast_ttl_v4(0).unwrap();
    out.set_multicast_loop_v4(true).unwrap();
    for (i, datagram) in ts.chunks(7 * 188).enumerate() {
        out.send_to(datagram, listen_addr).unwrap();
        if i % 8 == 7 {
            std::thread::sleep(Duration::from_millis(2));
        }
    }
    let status = listener.0.wait().unwrap();
    // Every line, up to the end of its output.
    let lines: Vec<String> = rx.iter().collect();
    let text = lines.join("\n");
    assert!(status.success(), "{text}");
    let datagrams = packets.div_ceil(7);
    assert!(
        text.contains(&format!(
            "summary: {datagrams} datagrams, {packets} packets, {} bytes",
            ts.len()
        )),
        "{text}"
    );
    assert!(
        text.contains("track PID 0x0100: avc1.64000d 320x240"),
        "{text}"
    );
    assert!(
        text.contains("track PID 0x0101: mp4a.40.2 44100 Hz, 1 channels"),
        "{text}"
    );
    assert!(text.contains("summary: continuity errors: 0 []"), "{text}");
}
