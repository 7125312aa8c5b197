//! Streams an MP4 file's video and audio over RTP/UDP in real time, with
//! RTCP sender reports, and writes the SDP a player needs: the sending
//! shared by the `rtp_send` and `serve` examples.
//!
//! Video (H.264 or H.265) goes to the destination port, audio (AAC or Opus)
//! to port + 2; each stream's RTCP to its port + 1, where ffmpeg's SDP
//! reader expects it, so the destination port must be even and have three
//! free ports after it (see [`check_dest_port`]). Packets leave when their
//! decode time comes (or `speed` times faster). This is the I/O layer
//! around the Sans-IO crates: it reads the clock, sleeps and owns the
//! socket; `streamkit_rtp` numbers, stamps, packetizes and writes the RTCP
//! reports.

use std::net::{SocketAddr, UdpSocket};
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

/// Why a destination port is refused: video RTP goes to the port, its
/// RTCP to port + 1, audio RTP to port + 2 and its RTCP to port + 3, and
/// RTP ports are even (RFC 3550, section 11), so the port must be even,
/// not 0, and at most 65532.
pub(crate) fn check_dest_port(port: u16) -> Result<(), &'static str> {
    if port == 0 || port & 1 == 1 || port > u16::MAX - 3 {
        return Err("the destination needs an even port, not 0, with three free ports after it");
    }
    Ok(())
}

/// How to send.
pub(crate) struct RtpStreamConfig {
    /// Where video RTP goes; audio RTP to port + 2, RTCP to each + 1.
    pub(crate) dest: SocketAddr,
    /// Start over at the end of the file, timestamps continuing.
    pub(crate) looping: bool,
    /// Send this many times faster than real time (above 0).
    pub(crate) speed: f64,
    /// RTP payload budget in bytes.
    pub(crate) mtu: usize,
    /// AAC frames per RTP packet, 1 to 16.
    pub(crate) aac_frames: usize,
    /// Seed of SSRCs, sequence numbers and timestamp offsets.
    pub(crate) seed: u64,
    /// The SDP's session name (`s=`) and the RTCP CNAME's user part.
    pub(crate) name: &'static str,
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

/// An MP4 file's RTP streams, ready to send: made by [`RtpStream::new`],
/// which writes the SDP, and sent by [`RtpStream::run`].
pub(crate) struct RtpStream {
    file: Mp4File,
    streams: Vec<Stream>,
    sdp: String,
    start: Instant,
    looping: bool,
    speed: f64,
    mtu: usize,
}

impl RtpStream {
    /// Sets up one RTP stream for the first video (H.264, H.265) and the
    /// first audio (AAC, Opus) track of `file`, and their SDP.
    pub(crate) fn new(file: Mp4File, o: &RtpStreamConfig) -> Result<RtpStream, String> {
        check_dest_port(o.dest.port()).map_err(str::to_owned)?;
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
            &format!("streamkit {}", o.name),
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
                        H264Packetizer::with_parameter_sets(avc, o.mtu)
                            .map_err(|e| e.to_string())?,
                    ),
                    Timescale::VIDEO_90KHZ,
                    96,
                    o.dest.port(),
                ),
                CodecConfig::H265(hevc) if !have_video => (
                    Packetizer::H265(
                        H265Packetizer::with_parameter_sets(hevc, o.mtu)
                            .map_err(|e| e.to_string())?,
                    ),
                    Timescale::VIDEO_90KHZ,
                    96,
                    o.dest.port(),
                ),
                CodecConfig::Aac(asc) if !have_audio => {
                    let clock = Timescale::new(asc.sampling_frequency)
                        .ok_or("AAC sampling frequency of 0")?;
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
                &format!("{}@streamkit", o.name),
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
            return Err("no H.264, H.265, AAC or Opus track".into());
        }
        let sdp = sdp.write().map_err(|e| e.to_string())?;
        Ok(RtpStream {
            file,
            streams,
            sdp,
            start,
            looping: o.looping,
            speed: o.speed,
            mtu: o.mtu,
        })
    }

    /// The SDP a player opens to receive the streams.
    pub(crate) fn sdp(&self) -> &str {
        &self.sdp
    }

    /// Sends the file in real time (once, or forever when looping) from a
    /// socket of its own; returns the number of RTP packets sent.
    pub(crate) fn run(self) -> Result<u64, String> {
        let RtpStream {
            file,
            mut streams,
            start,
            looping,
            speed,
            mtu,
            ..
        } = self;
        let dest_is_ipv4 = streams.first().is_none_or(|s| s.rtp_dest.is_ipv4());
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

        let bind = if dest_is_ipv4 { "0.0.0.0:0" } else { "[::]:0" };
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
        let mut buf = Vec::with_capacity(mtu + 64);
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
                let Some(stream) = streams.iter_mut().find(|s| s.track_id == sample.track_id)
                else {
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
                let due = start + media_elapsed.div_f64(speed);
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
            if !looping {
                break;
            }
        }
        Ok(packets)
    }
}
