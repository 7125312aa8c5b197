//! Streams an MP4 file's video and audio over RTP/UDP in real time, with
//! RTCP sender reports, and writes the SDP a player needs.
//!
//! ```text
//! cargo run --release --example rtp_send -- --input FILE.mp4 --dest 127.0.0.1:5004 --sdp OUT.sdp [--loop]
//! ffplay -protocol_whitelist file,udp,rtp OUT.sdp   # or: ffmpeg ... -i OUT.sdp
//! ```
//!
//! Video (H.264 or H.265) goes to the destination port, audio (AAC or Opus)
//! to port + 2; each stream's RTCP to its port + 1, where ffmpeg's SDP
//! reader expects it. Packets leave when their decode time comes (pass
//! `--speed N` to go N times faster, for tests). At the end of the file the
//! program stops, or with `--loop` starts over with timestamps and sequence
//! numbers continuing. Run with `--help` for every option.
//!
//! This example is the I/O layer around the Sans-IO crates: it reads the
//! file and the clock, sleeps, and owns the socket; `streamkit_rtp` numbers,
//! stamps, packetizes and writes the RTCP reports.
#![allow(clippy::disallowed_methods)] // the example is the I/O layer: it reads the clock and sleeps

use std::net::{SocketAddr, UdpSocket};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant, SystemTime};

use bytes::Bytes;
use streamkit::core::codec::CodecConfig;
use streamkit::core::mp4::Mp4File;
use streamkit::core::time::{MediaTime, Rounding, RtpTimestamp, Timescale};
use streamkit::rtp::packet::RtpHeader;
use streamkit::rtp::payload::RtpPayload;
use streamkit::rtp::payload::aac::{AacPacketizer, AacPayload};
use streamkit::rtp::payload::h264::H264Packetizer;
use streamkit::rtp::payload::h265::H265Packetizer;
use streamkit::rtp::payload::opus::{OPUS_CLOCK, OpusPacketizer};
use streamkit::rtp::rtcp::{
    NtpTimestamp, RtcpPacket, SdesChunk, SdesItem, SourceDescription, write_compound,
};
use streamkit::rtp::sdp::codec::media_for_codec;
use streamkit::rtp::sdp::{Connection, Origin, SessionDescription};
use streamkit::rtp::session::{RtpSender, SenderConfig};

const USAGE: &str = "\
rtp_send: stream an MP4 file's video and audio over RTP/UDP, with RTCP sender reports

usage: rtp_send [--input FILE.mp4] [--dest HOST:PORT] [--sdp OUT.sdp] [options]

  --input FILE     the MP4 file (default: tests/fixtures/h264_aac.mp4)
  --dest ADDR      where video RTP goes (default 127.0.0.1:5004); audio RTP to
                   port + 2, RTCP to each RTP port + 1
  --sdp FILE       where to write the SDP (default: rtp_send.sdp)
  --loop           start over at the end of the file, timestamps continuing
  --speed N        send N times faster than real time (default 1)
  --mtu BYTES      RTP payload budget (default 1200)
  --aac-frames N   AAC frames per RTP packet, 1 to 16 (default 4)
  --seed N         seed of SSRCs, sequence numbers and timestamp offsets
  --sdp-only       write the SDP and exit without sending
  --help           this text
";

struct Options {
    input: PathBuf,
    dest: SocketAddr,
    sdp: PathBuf,
    looping: bool,
    speed: f64,
    mtu: usize,
    aac_frames: usize,
    seed: u64,
    sdp_only: bool,
}

fn parse_options() -> Result<Option<Options>, String> {
    let mut o = Options {
        input: PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/h264_aac.mp4"),
        dest: "127.0.0.1:5004".parse().map_err(|e| format!("{e}"))?,
        sdp: PathBuf::from("rtp_send.sdp"),
        looping: false,
        speed: 1.0,
        mtu: 1200,
        aac_frames: 4,
        seed: 0x5eed,
        sdp_only: false,
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = |name: &str| args.next().ok_or(format!("{name} needs a value"));
        match arg.as_str() {
            "--help" | "-h" => return Ok(None),
            "--input" => o.input = PathBuf::from(value("--input")?),
            "--dest" => {
                o.dest = value("--dest")?
                    .parse()
                    .map_err(|e| format!("--dest: {e}"))?;
            }
            "--sdp" => o.sdp = PathBuf::from(value("--sdp")?),
            "--loop" => o.looping = true,
            "--sdp-only" => o.sdp_only = true,
            "--speed" => {
                o.speed = value("--speed")?
                    .parse()
                    .map_err(|e| format!("--speed: {e}"))?;
                if !(o.speed.is_finite() && o.speed > 0.0) {
                    return Err("--speed must be above 0".into());
                }
            }
            "--mtu" => o.mtu = value("--mtu")?.parse().map_err(|e| format!("--mtu: {e}"))?,
            "--aac-frames" => {
                o.aac_frames = value("--aac-frames")?
                    .parse()
                    .map_err(|e| format!("--aac-frames: {e}"))?;
            }
            "--seed" => {
                o.seed = value("--seed")?
                    .parse()
                    .map_err(|e| format!("--seed: {e}"))?
            }
            other => return Err(format!("unknown argument {other}")),
        }
    }
    if o.dest.port() & 1 == 1 || o.dest.port() > u16::MAX - 3 {
        return Err("--dest needs an even port with three free ports after it".into());
    }
    Ok(Some(o))
}

/// The packetizer of one stream.
enum Packetizer {
    H264(H264Packetizer),
    H265(H265Packetizer),
    Aac(Box<AacPacketizer>),
    Opus(OpusPacketizer),
}

/// A payload from any packetizer.
#[allow(clippy::large_enum_variant)] // moved, not boxed: no allocation per packet
enum Payload {
    Video(RtpPayload),
    Aac(AacPayload),
    Opus(streamkit::rtp::payload::opus::OpusPayload),
}

impl Payload {
    fn timestamp(&self) -> RtpTimestamp {
        match self {
            Payload::Video(p) => p.timestamp(),
            Payload::Aac(p) => p.timestamp(),
            Payload::Opus(p) => p.timestamp(),
        }
    }

    fn marker(&self) -> bool {
        match self {
            Payload::Video(p) => p.marker(),
            Payload::Aac(p) => p.marker(),
            Payload::Opus(p) => p.marker(),
        }
    }

    fn len(&self) -> usize {
        match self {
            Payload::Video(p) => p.len(),
            Payload::Aac(p) => p.len(),
            Payload::Opus(p) => p.data().len(),
        }
    }

    fn write_to(&self, out: &mut Vec<u8>) -> Result<(), String> {
        match self {
            Payload::Video(p) => p.write_to(out).map(drop).map_err(|e| e.to_string()),
            Payload::Aac(p) => p.write_to(out).map(drop).map_err(|e| e.to_string()),
            Payload::Opus(p) => {
                out.extend_from_slice(p.data());
                Ok(())
            }
        }
    }
}

/// One RTP stream: a track of the file, its session and where it goes.
struct Stream {
    track_id: u32,
    timescale: Timescale,
    shift: i64,
    packetizer: Packetizer,
    sender: RtpSender,
    rtp_dest: SocketAddr,
    rtcp_dest: SocketAddr,
    pending: Vec<Payload>,
    /// The last payload's RTP timestamp and its media time in RTP clock
    /// ticks since the start (extended past wraps).
    last_timestamp: u32,
    last_ticks: i64,
}

impl Stream {
    /// Packetizes one sample (or, with `None`, flushes what is held back).
    fn packetize(&mut self, sample: Option<(RtpTimestamp, Bytes)>) -> Result<(), String> {
        let out = &mut self.pending;
        match (&mut self.packetizer, sample) {
            (Packetizer::H264(p), Some((ts, data))) => {
                p.push(ts, data).map_err(|e| e.to_string())?;
                out.extend(std::iter::from_fn(|| p.poll_payload()).map(Payload::Video));
            }
            (Packetizer::H265(p), Some((ts, data))) => {
                p.push(ts, data).map_err(|e| e.to_string())?;
                out.extend(std::iter::from_fn(|| p.poll_payload()).map(Payload::Video));
            }
            (Packetizer::Aac(p), sample) => {
                match sample {
                    Some((ts, data)) => p.push(ts, data).map_err(|e| e.to_string())?,
                    None => p.flush(),
                }
                out.extend(std::iter::from_fn(|| p.poll_payload()).map(Payload::Aac));
            }
            (Packetizer::Opus(p), Some((ts, data))) => {
                out.push(Payload::Opus(
                    p.packetize(ts, data).map_err(|e| e.to_string())?,
                ));
            }
            (_, None) => {}
        }
        Ok(())
    }

    /// The instant on the media clock (started at `start`) of RTP
    /// timestamp `ts`.
    fn instant_of(&mut self, start: Instant, ts: RtpTimestamp) -> Instant {
        self.last_ticks += i64::from(ts.0.wrapping_sub(self.last_timestamp) as i32);
        self.last_timestamp = ts.0;
        let clock = self.sender.config().clock_rate;
        let us = MediaTime::new(self.last_ticks, clock)
            .rescale(Timescale::MICROS, Rounding::Nearest)
            .ticks();
        let d = Duration::from_micros(us.unsigned_abs());
        if us >= 0 {
            start + d
        } else {
            start.checked_sub(d).unwrap_or(start)
        }
    }

    /// Sends the payloads made so far, then any RTCP report that is due
    /// at `now` (wall-clock time `wallclock`).
    ///
    /// Each packet is recorded in the session at the instant of its
    /// presentation time, not of its sending: video sent in decode order
    /// carries presentation timestamps that go back and forth, and the
    /// sender report extrapolates from the last packet, so this keeps the
    /// report's RTP and NTP times on one line.
    fn send(
        &mut self,
        socket: &UdpSocket,
        buf: &mut Vec<u8>,
        start: Instant,
        now: Instant,
        wallclock: NtpTimestamp,
    ) -> Result<(), String> {
        let pending = std::mem::take(&mut self.pending);
        for payload in pending {
            let mut header: RtpHeader<'static> = self
                .sender
                .next_header(MediaTime::zero(self.timescale), payload.marker())
                .map_err(|e| e.to_string())?;
            header.timestamp = payload.timestamp();
            buf.clear();
            header.write_header(buf).map_err(|e| e.to_string())?;
            payload.write_to(buf)?;
            socket
                .send_to(buf, self.rtp_dest)
                .map_err(|e| format!("send to {}: {e}", self.rtp_dest))?;
            let presented = self.instant_of(start, payload.timestamp());
            self.sender.record_sent(presented, &header, payload.len());
        }
        if self.sender.poll_timeout().is_some_and(|t| t <= now) {
            self.sender.handle_timeout(now, wallclock);
        }
        while let Some(rtcp) = self.sender.poll_transmit() {
            socket
                .send_to(&rtcp, self.rtcp_dest)
                .map_err(|e| format!("send to {}: {e}", self.rtcp_dest))?;
        }
        Ok(())
    }
}

fn run(o: &Options) -> Result<(), String> {
    let data = std::fs::read(&o.input).map_err(|e| format!("{}: {e}", o.input.display()))?;
    let file =
        Mp4File::parse(Bytes::from(data)).map_err(|e| format!("{}: {e}", o.input.display()))?;
    let start = Instant::now();
    let mut streams: Vec<Stream> = Vec::new();
    let mut sdp = SessionDescription::new(
        Origin {
            username: "-".into(),
            session_id: o.seed.to_string(),
            session_version: "1".into(),
            net_type: "IN".into(),
            addr_type: if o.dest.is_ipv4() { "IP4" } else { "IP6" }.into(),
            unicast_address: o.dest.ip().to_string(),
        },
        "streamkit rtp_send",
    );
    sdp.connection = Some(Connection {
        net_type: "IN".into(),
        addr_type: if o.dest.is_ipv4() { "IP4" } else { "IP6" }.into(),
        address: o.dest.ip().to_string(),
    });
    let (mut have_video, mut have_audio) = (false, false);
    for track in file.tracks() {
        let Some(codec) = track.codec() else { continue };
        let (packetizer, clock, payload_type, port) = match codec {
            CodecConfig::H264(avc) if !have_video => (
                Packetizer::H264(
                    H264Packetizer::with_parameter_sets(avc, o.mtu).map_err(|e| e.to_string())?,
                ),
                Timescale::VIDEO_90KHZ,
                96,
                o.dest.port(),
            ),
            CodecConfig::H265(hevc) if !have_video => (
                Packetizer::H265(
                    H265Packetizer::with_parameter_sets(hevc, o.mtu).map_err(|e| e.to_string())?,
                ),
                Timescale::VIDEO_90KHZ,
                96,
                o.dest.port(),
            ),
            CodecConfig::Aac(asc) if !have_audio => {
                let clock =
                    Timescale::new(asc.sampling_frequency).ok_or("AAC sampling frequency of 0")?;
                let frame = asc.frame_length().unwrap_or(1024);
                let p = AacPacketizer::new(o.mtu, frame)
                    .and_then(|p| p.with_frames_per_packet(o.aac_frames))
                    .map_err(|e| e.to_string())?;
                (Packetizer::Aac(Box::new(p)), clock, 97, o.dest.port() + 2)
            }
            CodecConfig::Opus(_) if !have_audio => (
                Packetizer::Opus(OpusPacketizer::new(o.mtu).map_err(|e| e.to_string())?),
                OPUS_CLOCK,
                97,
                o.dest.port() + 2,
            ),
            _ => continue,
        };
        if payload_type == 96 {
            have_video = true;
        } else {
            have_audio = true;
        }
        sdp.media
            .push(media_for_codec(codec, payload_type, port).map_err(|e| e.to_string())?);
        let config = SenderConfig::new(
            payload_type,
            clock,
            "rtp_send@streamkit",
            o.seed.wrapping_add(u64::from(track.id())),
        );
        streams.push(Stream {
            track_id: track.id(),
            timescale: track.timescale(),
            shift: track.presentation_shift().unwrap_or(0),
            packetizer,
            sender: RtpSender::new(config, start),
            rtp_dest: SocketAddr::new(o.dest.ip(), port),
            rtcp_dest: SocketAddr::new(o.dest.ip(), port + 1),
            pending: Vec::new(),
            last_timestamp: 0,
            last_ticks: 0,
        });
        if let Some(s) = streams.last_mut() {
            s.last_timestamp = s.sender.timestamp_offset();
        }
    }
    if streams.is_empty() {
        return Err(format!(
            "{}: no H.264, H.265, AAC or Opus track",
            o.input.display()
        ));
    }
    let text = sdp.write().map_err(|e| e.to_string())?;
    std::fs::write(&o.sdp, &text).map_err(|e| format!("{}: {e}", o.sdp.display()))?;
    eprintln!("rtp_send: wrote {}", o.sdp.display());
    if o.sdp_only {
        return Ok(());
    }

    // The length of one pass: the longest track, in microseconds.
    let pass = file
        .tracks()
        .iter()
        .filter(|t| streams.iter().any(|s| s.track_id == t.id()))
        .map(|t| {
            MediaTime::new(t.duration() as i64, t.timescale())
                .rescale(Timescale::MICROS, Rounding::Up)
                .ticks()
        })
        .max()
        .unwrap_or(0);

    let bind = if o.dest.is_ipv4() {
        "0.0.0.0:0"
    } else {
        "[::]:0"
    };
    let socket = UdpSocket::bind(bind).map_err(|e| format!("bind: {e}"))?;

    // How long a frame waits between its decode and its presentation time
    // at most (B-frames: pts after dts). The sessions' clock runs that much
    // ahead of the presentation clock, so a packet is never recorded as
    // presented after the session's `now`, and each sender report's RTP
    // time lies on the line through the packets' (presentation, timestamp)
    // pairs.
    let mut reorder_us = 0i64;
    for sample in file.samples() {
        if let Some(stream) = streams.iter().find(|s| s.track_id == sample.track_id) {
            let ahead = sample.pts().saturating_add(stream.shift) - sample.dts;
            reorder_us = reorder_us.max(
                MediaTime::new(ahead, stream.timescale)
                    .rescale(Timescale::MICROS, Rounding::Up)
                    .ticks(),
            );
        }
    }
    let reorder = Duration::from_micros(reorder_us.max(0) as u64);
    let session_start = start + reorder;
    let unix_start = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap_or_default();
    let mut buf = Vec::with_capacity(o.mtu + 64);
    // A first sender report before any RTP packet, as ffmpeg's sender
    // does: receivers that map RTP to wall-clock time from the first SR
    // (ffmpeg does) then use one mapping from the first packet on.
    for stream in &streams {
        let report = RtcpPacket::SenderReport(stream.sender.sender_report(
            start,
            NtpTimestamp::from_unix(unix_start.saturating_sub(reorder)),
        ));
        let sdes = RtcpPacket::SourceDescription(SourceDescription {
            chunks: vec![SdesChunk {
                source: stream.sender.ssrc(),
                items: vec![SdesItem::cname(&stream.sender.config().cname)],
            }],
        });
        buf.clear();
        write_compound(&[report, sdes], &mut buf).map_err(|e| e.to_string())?;
        socket
            .send_to(&buf, stream.rtcp_dest)
            .map_err(|e| format!("send to {}: {e}", stream.rtcp_dest))?;
    }
    let mut packets = 0u64;
    for round in 0u64.. {
        let offset_us = pass.saturating_mul(round as i64);
        for sample in file.samples() {
            let Some(stream) = streams.iter_mut().find(|s| s.track_id == sample.track_id) else {
                continue;
            };
            let offset = MediaTime::new(offset_us, Timescale::MICROS)
                .rescale(stream.timescale, Rounding::Nearest)
                .ticks();
            // The media clock: this sample's decode time since the start.
            let due_us = MediaTime::new(sample.dts.saturating_add(offset), stream.timescale)
                .rescale(Timescale::MICROS, Rounding::Nearest)
                .ticks()
                .max(0) as u64;
            let media_elapsed = Duration::from_micros(due_us);
            let due = start + media_elapsed.div_f64(o.speed);
            let now = Instant::now();
            if due > now {
                std::thread::sleep(due - now);
            }
            // Sessions run on the media clock, so sender reports tie RTP and
            // wall-clock time together at any --speed.
            let media_now = session_start + media_elapsed;
            let wallclock = NtpTimestamp::from_unix(unix_start + media_elapsed);
            let pts = MediaTime::new(
                sample
                    .pts()
                    .saturating_add(stream.shift)
                    .saturating_add(offset),
                stream.timescale,
            );
            let ts = stream
                .sender
                .rtp_timestamp(pts)
                .map_err(|e| e.to_string())?;
            stream.packetize(Some((ts, sample.data.clone())))?;
            packets += stream.pending.len() as u64;
            stream.send(&socket, &mut buf, start, media_now, wallclock)?;
        }
        // Frames held back for aggregation leave at the end of each pass.
        let end = Duration::from_micros(pass.saturating_mul(round as i64 + 1).max(0) as u64);
        for stream in &mut streams {
            stream.packetize(None)?;
            packets += stream.pending.len() as u64;
            stream.send(
                &socket,
                &mut buf,
                start,
                session_start + end,
                NtpTimestamp::from_unix(unix_start + end),
            )?;
        }
        if !o.looping {
            break;
        }
    }
    eprintln!("rtp_send: sent {packets} RTP packets");
    Ok(())
}

fn main() -> ExitCode {
    match parse_options() {
        Ok(None) => {
            print!("{USAGE}");
            ExitCode::SUCCESS
        }
        Ok(Some(o)) => match run(&o) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("rtp_send: {e}");
                ExitCode::FAILURE
            }
        },
        Err(e) => {
            eprintln!("rtp_send: {e}\n\n{USAGE}");
            ExitCode::from(2)
        }
    }
}
