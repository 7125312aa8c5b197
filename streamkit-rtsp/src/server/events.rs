//! What a server connection tells its caller (events) and gives it to
//! send (transmits), and where a set-up track's packets go.

use std::net::SocketAddr;

use bytes::Bytes;
use streamkit_core::codec::CodecError;
use streamkit_core::track::Track;
use streamkit_rtp::sender::{PacketParts, TransmitKind};

use streamkit_core::clock::UnixTime;
use streamkit_core::time::MediaTime;

use super::RequestId;
use crate::header::{NptTime, SeekStyle};

/// Where a set-up track's packets go. RTCP on RTP's own channel or
/// address (`rtcp == Some(rtp)`) is RTP and RTCP multiplexed (RFC 5761;
/// RTSP 2.0's `RTCP-mux`): a packet's type tells them apart, and
/// multiplexed RTCP leaves from the server's RTP port.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TrackTransport {
    /// Interleaved in the RTSP connection on these channels.
    Interleaved {
        /// RTP's channel.
        rtp: u8,
        /// RTCP's channel.
        rtcp: Option<u8>,
    },
    /// UDP to and from the client's ports.
    Udp {
        /// The client's RTP address.
        rtp: SocketAddr,
        /// The client's RTCP address.
        rtcp: Option<SocketAddr>,
    },
}

/// Why a session ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SessionEnd {
    /// TEARDOWN.
    Teardown,
    /// Nothing from the client within the session timeout.
    Timeout,
    /// The connection closed ([`ServerConnection::finish`](super::ServerConnection::finish)).
    Closed,
}

/// How a recorded track was put on its session's timeline
/// ([`ServerEvent::TrackAligned`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum AlignedBy {
    /// It is the reference: its media time zero is its first access
    /// unit's.
    Reference,
    /// Its and the reference's RTCP sender reports (RFC 3550 section
    /// 6.4.1): the same NTP instant is the same media time on both.
    SenderReports,
    /// Its first access unit is where the reference's is (a sender
    /// report of it or of the reference did not come in time).
    FirstPackets,
}

/// What the connection tells its caller.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ServerEvent {
    /// Which presentation is `path`? (a DESCRIBE, or a SETUP of a path
    /// not described on this connection). Answer with
    /// [`accept_describe`](super::ServerConnection::accept_describe) or
    /// [`refuse`](super::ServerConnection::refuse) (404).
    Describe {
        /// The request.
        request: RequestId,
        /// The path (`/vod/NAME`).
        path: String,
    },
    /// A PLAY of the session's presentation from `start` (`None`: from
    /// where it was, or the start). Push its samples from the keyframe at
    /// or before `start` ([`push_sample`](super::ServerConnection::push_sample)),
    /// then [`accept_play`](super::ServerConnection::accept_play).
    Play {
        /// The request.
        request: RequestId,
        /// The path.
        path: String,
        /// The Range start asked for.
        start: Option<NptTime>,
        /// Where to start relative to the random access points: RTSP
        /// 2.0's `Seek-Style`, resolved to what the connection offers
        /// ([`SeekStyle::Rap`], the default, or [`SeekStyle::Next`]: the
        /// first keyframe at or after `start`); RTSP 1.0 is always
        /// [`SeekStyle::Rap`]. The PLAY answer says it.
        seek_style: SeekStyle,
    },
    /// The session paused: stop pushing samples.
    Paused,
    /// A client wants to publish `tracks` at `path`: [`accept`](super::ServerConnection::accept)
    /// or [`refuse`](super::ServerConnection::refuse).
    Announce {
        /// The request.
        request: RequestId,
        /// The path.
        path: String,
        /// The tracks of its SDP.
        tracks: Vec<Track>,
        /// The media sections left out, none of their packets read: the
        /// `m=` media type and why (a payload format this crate does not
        /// depacketize, such as VP8 video; a configuration that does not
        /// parse; no payload type).
        skipped: Vec<(String, String)>,
    },
    /// The publisher starts sending: [`accept`](super::ServerConnection::accept)
    /// (samples then come from [`poll_sample`](super::ServerConnection::poll_sample))
    /// or [`refuse`](super::ServerConnection::refuse).
    Record {
        /// The request.
        request: RequestId,
        /// The path.
        path: String,
        /// The tracks set up.
        tracks: Vec<Track>,
    },
    /// A track was set up with this transport (route UDP datagrams from
    /// its addresses to this connection).
    SetUp {
        /// The track.
        track_id: u32,
        /// Its transport.
        transport: TrackTransport,
    },
    /// A recorded track's sender report linked its media time to the
    /// wall clock.
    WallClock {
        /// The track.
        track_id: u32,
        /// Media time on the track's timescale, as its samples' (with its
        /// [`TrackAligned`](ServerEvent::TrackAligned) offset).
        media: MediaTime,
        /// When it was captured.
        unix: UnixTime,
    },
    /// A recorded track was put on the session's timeline, once, before
    /// its first sample (see [`ServerConfig::sync_wait`](super::ServerConfig::sync_wait)):
    /// its samples' decode times are its own media time from its first
    /// access unit plus `offset`, so that the reference track's first
    /// access unit is media time zero. Only sessions of two or more
    /// tracks say it.
    TrackAligned {
        /// The track.
        track_id: u32,
        /// The reference track (the first video track, else the first).
        reference: u32,
        /// Added to the track's media time (negative: it started before
        /// the reference).
        offset: MediaTime,
        /// What it was aligned by.
        by: AlignedBy,
    },
    /// A track aligned by its first packets
    /// ([`AlignedBy::FirstPackets`]) got a sender report, and with the
    /// reference's it puts the track elsewhere: the offset stays (a
    /// timeline never moves under samples given out). Once per track.
    LateSenderReport {
        /// The track.
        track_id: u32,
        /// The offset it has.
        offset: MediaTime,
        /// The offset the sender reports give.
        by_sender_reports: MediaTime,
    },
    /// A recorded track lost packets; video waits for its next keyframe
    /// (the access units before it are dropped and counted).
    Loss {
        /// The track.
        track_id: u32,
        /// Packets lost.
        lost_packets: u64,
        /// Video drops what comes until the next keyframe.
        waiting_for_keyframe: bool,
    },
    /// A recorded H.264 or H.265 track's publisher sent parameter sets
    /// in band (SPS, PPS; VPS too for H.265) that differ from the
    /// track's configuration (the SDP's, or the last change's): from
    /// here its samples are on `track`, the first a keyframe that
    /// carries them. [`poll_sample`](super::ServerConnection::poll_sample)
    /// gives no sample past the change until this event is polled, so
    /// a caller that moves samples and events in turn applies it in
    /// order. An MP4A-LATM track (`cpresent=1`) changes the same way
    /// when an in-band AudioSpecificConfig differs, at the frame after it.
    TrackChanged {
        /// The track, with its new codec configuration (built from the
        /// sets; the NAL length size of the samples stays).
        track: Track,
    },
    /// A recorded track's publisher sent parameter sets in band that
    /// differ from its configuration but do not parse, or (MP4A-LATM
    /// with `cpresent=1`) an AudioSpecificConfig of another sampling
    /// frequency than the track's clock: the track keeps its
    /// configuration (the samples go on).
    BadParameterSets {
        /// The track.
        track_id: u32,
        /// What is wrong with them.
        error: CodecError,
    },
    /// The session ended. A RECORD session's end comes after its last
    /// recorded sample: [`poll_event`](super::ServerConnection::poll_event)
    /// holds it back while the samples the session gave out (those its
    /// tracks held at the end too) wait in
    /// [`poll_sample`](super::ServerConnection::poll_sample), so a caller that
    /// ends its publish at this event has published every one.
    SessionEnded {
        /// Why.
        reason: SessionEnd,
    },
}

/// What to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ServerTransmit<'a> {
    /// Bytes for the TCP connection (responses).
    Stream(Bytes),
    /// An RTP or RTCP packet for the TCP connection: write `header`, then
    /// `packet`.
    Interleaved {
        /// `$`, the channel, the length.
        header: [u8; 4],
        /// The packet.
        packet: &'a [u8],
    },
    /// A datagram for the client: send it from the server's RTP or RTCP
    /// port (by `kind`) to `to`.
    Datagram {
        /// The client's address.
        to: SocketAddr,
        /// Which server port it leaves from.
        kind: TransmitKind,
        /// The datagram.
        packet: &'a [u8],
    },
}

/// What to send, as [`ServerConnection::poll_transmit_parts`](super::ServerConnection::poll_transmit_parts) gives it:
/// [`ServerTransmit`] with each packet as [`PacketParts`].
#[derive(Debug, Clone)]
pub enum ServerTransmitParts<'a> {
    /// Bytes for the TCP connection (responses).
    Stream(Bytes),
    /// An RTP or RTCP packet for the TCP connection: write `header`, then
    /// the packet's chunks.
    Interleaved {
        /// `$`, the channel, the length.
        header: [u8; 4],
        /// The packet.
        packet: PacketParts<'a>,
    },
    /// A datagram for the client, from the server's RTP or RTCP port (by
    /// `kind`) to `to`: its chunks joined.
    Datagram {
        /// The client's address.
        to: SocketAddr,
        /// Which server port it leaves from.
        kind: TransmitKind,
        /// The datagram.
        packet: PacketParts<'a>,
    },
}
