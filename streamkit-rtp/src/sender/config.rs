//! How a media sender is set up and what it hands out: pacing, the
//! configuration, transmits, `RtpInfo`, events.

use std::num::NonZeroU32;
use std::time::Duration;

use streamkit_core::clock::WallClock;
use streamkit_core::time::{RtpTimestamp, SequenceNumber};

use crate::payload::{PacketizerConfig, Payload};
use crate::session::SenderEvent;

/// How fast a paced sender goes: `numerator / denominator` times real
/// time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Speed {
    numerator: NonZeroU32,
    denominator: NonZeroU32,
}

impl Speed {
    /// Real time.
    pub const REAL_TIME: Speed = Speed {
        numerator: NonZeroU32::MIN,
        denominator: NonZeroU32::MIN,
    };

    /// `numerator / denominator` times real time; `None` when either is 0.
    #[must_use]
    pub fn ratio(numerator: u32, denominator: u32) -> Option<Speed> {
        Some(Speed {
            numerator: NonZeroU32::new(numerator)?,
            denominator: NonZeroU32::new(denominator)?,
        })
    }

    /// Media time elapsed in real time `real`.
    pub(super) fn media(self, real: Duration) -> Duration {
        scale(real, self.numerator.get(), self.denominator.get())
    }

    /// Real time for media time `media`, rounded up, so that the media
    /// time of the result is `media` or later.
    pub(super) fn real(self, media: Duration) -> Duration {
        scale_up(media, self.denominator.get(), self.numerator.get())
    }
}

/// `d * mul / div`, rounded down.
fn scale(d: Duration, mul: u32, div: u32) -> Duration {
    let nanos = d.as_nanos() * u128::from(mul) / u128::from(div.max(1));
    Duration::from_nanos(u64::try_from(nanos).unwrap_or(u64::MAX))
}

/// `d * mul / div`, rounded up.
fn scale_up(d: Duration, mul: u32, div: u32) -> Duration {
    let nanos = (d.as_nanos() * u128::from(mul)).div_ceil(u128::from(div.max(1)));
    Duration::from_nanos(u64::try_from(nanos).unwrap_or(u64::MAX))
}

/// When packets are due.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Pacing {
    /// At the start instant plus the sample's decode time (after the first
    /// sample's), divided by the speed: a file played out.
    Paced(Speed),
    /// At once: a live source pushes each sample when it is made.
    Live,
}

/// How a [`MediaSender`](super::MediaSender) is set up.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct MediaSenderConfig {
    /// The RTCP CNAME of every track's session.
    pub cname: String,
    /// The seed of the sessions: track `id`'s SSRC, initial sequence
    /// number and timestamp offset come from `seed + id`.
    pub seed: u64,
    /// The link between the caller's monotonic clock and Unix time (the
    /// NTP time of sender reports); follow adjustments with
    /// [`MediaSender::set_wall_clock`](super::MediaSender::set_wall_clock).
    pub wall_clock: WallClock,
    /// MTU and AAC aggregation.
    pub packetizer: PacketizerConfig,
    /// The RTP payload type of video tracks.
    pub video_payload_type: u8,
    /// The RTP payload type of audio tracks.
    pub audio_payload_type: u8,
    /// When packets are due.
    pub pacing: Pacing,
    /// How long a frame's presentation follows its decode at most (the
    /// B-frame delay; see [`presentation_lead`](super::presentation_lead)): the media clock of the
    /// sessions runs this much ahead of the decode clock.
    pub presentation_lead: Duration,
    /// The most payloads waiting to be sent; a push beyond is refused
    /// with [`SessionError::QueueFull`](crate::error::SessionError::QueueFull).
    pub max_queued_payloads: usize,
    /// The session bandwidth of each track's session, bits per second.
    pub session_bandwidth: u64,
    /// How long after the last packet of a [`finish`](super::MediaSender::finish)ed
    /// sender the BYEs wait. Some receivers read a port's RTCP before its
    /// RTP and end their stream at the BYE (ffmpeg does), so a BYE sent
    /// with the last packets still unread cuts them off; RFC 3550 section
    /// 6.3.7 lets a BYE wait. [`stop`](super::MediaSender::stop) does not wait.
    pub goodbye_delay: Duration,
}

impl MediaSenderConfig {
    /// Real-time pacing, 1200-byte payloads, up to 4 AAC frames per
    /// packet, payload types 96 (video) and 97 (audio), no presentation
    /// lead, at most 4096 payloads queued, 1 Mbit/s sessions, BYE at once
    /// after the last packet.
    #[must_use]
    pub fn new(cname: &str, seed: u64, wall_clock: WallClock) -> MediaSenderConfig {
        MediaSenderConfig {
            cname: cname.to_owned(),
            seed,
            wall_clock,
            packetizer: PacketizerConfig::default(),
            video_payload_type: 96,
            audio_payload_type: 97,
            pacing: Pacing::Paced(Speed::REAL_TIME),
            presentation_lead: Duration::ZERO,
            max_queued_payloads: 4096,
            session_bandwidth: 1_000_000,
            goodbye_delay: Duration::ZERO,
        }
    }
}

/// Whether a [`Transmit`] is an RTP or an RTCP datagram: they go to
/// different ports (RTCP to the RTP port + 1) unless multiplexed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TransmitKind {
    /// An RTP packet.
    Rtp,
    /// An RTCP compound packet.
    Rtcp,
}

/// A datagram to send now, borrowed from the sender until the next poll.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Transmit<'a> {
    /// The track it belongs to.
    pub track_id: u32,
    /// RTP or RTCP.
    pub kind: TransmitKind,
    /// The whole datagram.
    pub datagram: &'a [u8],
}

/// A datagram to send now as its parts: the RTP header the sender wrote
/// (borrowed from the sender until the next poll), then the payload, whose
/// chunks are the sample's own buffers, handed over (an RTCP datagram is
/// all head). For a vectored write (`$`-framed RTP over TCP) where the
/// payload is never copied, and can wait in a batch of writes without
/// touching its buffers' reference counts;
/// [`write_to`](PacketParts::write_to) makes it one datagram.
#[derive(Debug, Clone)]
pub struct PacketParts<'a> {
    /// The RTP header, or the whole RTCP datagram.
    pub head: &'a [u8],
    /// The RTP payload (`None` for RTCP).
    pub payload: Option<Payload>,
}

impl PacketParts<'_> {
    /// The datagram's length in bytes.
    #[must_use]
    pub fn len(&self) -> usize {
        self.head.len() + self.payload.as_ref().map_or(0, Payload::len)
    }

    /// `true` for an empty datagram (never, for a sender's).
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Appends the whole datagram to `buf` (one copy of the payload).
    pub fn write_to(&self, buf: &mut Vec<u8>) {
        buf.reserve(self.len());
        buf.extend_from_slice(self.head);
        if let Some(p) = &self.payload {
            p.for_each_chunk(|c| buf.extend_from_slice(c));
        }
    }
}

/// [`Transmit`] as parts: see [`MediaSender::poll_transmit_parts`](super::MediaSender::poll_transmit_parts).
#[derive(Debug, Clone)]
pub struct TransmitParts<'a> {
    /// The track it belongs to.
    pub track_id: u32,
    /// RTP or RTCP.
    pub kind: TransmitKind,
    /// The datagram, as parts.
    pub packet: PacketParts<'a>,
}

/// A track's first RTP packet: what RTSP's `RTP-Info` header gives for a
/// PLAY (`seq=..;rtptime=..`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RtpInfo {
    /// Its sequence number.
    pub sequence_number: SequenceNumber,
    /// Its RTP timestamp.
    pub rtp_timestamp: RtpTimestamp,
}

/// What a track's receivers said (or did): the session event and its track.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaSenderEvent {
    /// The track whose session heard it.
    pub track_id: u32,
    /// The event.
    pub event: SenderEvent,
}
