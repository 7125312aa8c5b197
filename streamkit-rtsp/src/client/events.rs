//! What the client session tells its caller and gives it to send.

use bytes::Bytes;
use streamkit_core::clock::UnixTime;
use streamkit_core::codec::CodecError;
use streamkit_core::sample::Sample;
use streamkit_core::time::MediaTime;
use streamkit_core::track::Track;

use crate::error::ClientError;
use crate::header::{Range, RtpInfoHeader};

/// A track of the DESCRIBE answer (or of a publish).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientTrack {
    /// The track (id from 1 in SDP order of the usable media sections;
    /// codec from `rtpmap`/`fmtp`; timescale the RTP clock).
    pub track: Track,
    /// The control URL, resolved.
    pub control: String,
    /// The RTP payload type.
    pub payload_type: u8,
}

/// Where a set-up track's packets travel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TrackTransport {
    /// Interleaved on these channels.
    Interleaved {
        /// RTP's channel.
        rtp: u8,
        /// RTCP's channel.
        rtcp: Option<u8>,
    },
    /// UDP between the caller's ports and the server's.
    Udp {
        /// The caller's RTP port (RTCP is the one above).
        client_rtp: u16,
        /// The server's RTP port.
        server_rtp: Option<u16>,
        /// The server's RTCP port.
        server_rtcp: Option<u16>,
    },
}

/// A server behaviour the session met and went past, by its policy (see
/// the [module docs](super)).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Quirk {
    /// Interleaved data on a channel no SETUP assigned (first time for
    /// the channel; all are counted).
    UnassignedChannel {
        /// The channel.
        channel: u8,
    },
    /// The SETUP answer named other interleaved channels than asked;
    /// the server's are used.
    ServerChannels {
        /// The track.
        track_id: u32,
        /// What was asked.
        asked: (u8, u8),
        /// What the server said.
        answered: (u8, Option<u8>),
    },
    /// The first packet's SSRC is not the Transport's `ssrc=`.
    SsrcNotAsAnnounced {
        /// The track.
        track_id: u32,
        /// The Transport's.
        announced: u32,
        /// The packets'.
        received: u32,
    },
    /// The track follows a new SSRC.
    SsrcChanged {
        /// The track.
        track_id: u32,
        /// The old source.
        from: u32,
        /// The new one.
        to: u32,
        /// Packets of other sources dropped so far on the track.
        dropped_packets: u64,
    },
    /// RTP-Info gave the track no usable `rtptime`.
    RtpInfoWithoutRtptime {
        /// The track.
        track_id: u32,
    },
    /// The first RTP timestamp lies too far from RTP-Info's `rtptime`.
    FirstTimestampFarFromRtpInfo {
        /// The track.
        track_id: u32,
        /// RTP-Info's.
        rtptime: u32,
        /// The first packet's.
        first: u32,
    },
    /// The DESCRIBE answer had no `Content-Type`; its body was read as
    /// SDP.
    NoContentType,
}

/// Why a session ended.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SessionEndReason {
    /// TEARDOWN was answered (or the connection closed after it).
    #[error("teardown")]
    Teardown,
    /// The session failed.
    #[error("{0}")]
    Failed(ClientError),
}

/// What the session tells its caller.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ClientEvent {
    /// Connect to `url`'s host (from [`RtspUrl::parse`](super::RtspUrl::parse)) and write the
    /// requests polled from now on there.
    Redirect {
        /// Where to.
        url: String,
    },
    /// The DESCRIBE answer's tracks, the ones this crate depacketizes
    /// (H.264, H.265, AAC, Opus); each is set up.
    Described {
        /// The base URL of the controls.
        base: String,
        /// The tracks.
        tracks: Vec<ClientTrack>,
        /// Media sections skipped (`m=` media type and why).
        skipped: Vec<(String, String)>,
    },
    /// A track was set up.
    SetUp {
        /// The track.
        track_id: u32,
        /// Its transport.
        transport: TrackTransport,
        /// The session id.
        session: String,
    },
    /// PLAY was answered: media flows.
    Playing {
        /// The answer's Range.
        range: Option<Range>,
        /// The answer's RTP-Info.
        rtp_info: Option<RtpInfoHeader>,
    },
    /// RECORD was answered: push samples.
    Recording,
    /// PAUSE was answered.
    Paused,
    /// An access unit of a track, in decode order per track; `dts` and
    /// `composition_offset` on the track's timescale from media time zero
    /// (RTP-Info's `rtptime`, see the policies).
    Sample(Sample),
    /// A track's codec configuration changed (in-band parameter sets, or
    /// an MP4A-LATM in-band AudioSpecificConfig): the samples after this
    /// are on `track`.
    TrackChanged {
        /// The track, with its new configuration.
        track: Track,
    },
    /// In-band parameter sets that differ and do not parse (or an
    /// MP4A-LATM AudioSpecificConfig of another sampling frequency): the
    /// track keeps its configuration.
    BadParameterSets {
        /// The track.
        track_id: u32,
        /// What is wrong.
        error: CodecError,
    },
    /// A sender report linked a track's media time to the wall clock.
    WallClock {
        /// The track.
        track_id: u32,
        /// Media time on the track's timescale (as the samples').
        media: MediaTime,
        /// When it was captured.
        unix: UnixTime,
    },
    /// Packets were lost; video waits for its next keyframe.
    Loss {
        /// The track.
        track_id: u32,
        /// Packets lost.
        lost_packets: u64,
        /// Video drops what comes until the next keyframe.
        waiting_for_keyframe: bool,
    },
    /// The server said RTCP BYE on a track: it sends no more (the end
    /// of a file); [`teardown`](super::ClientSession::teardown) once every
    /// track said it.
    Goodbye {
        /// The track.
        track_id: u32,
    },
    /// A quirk went past by its policy.
    Quirk(Quirk),
    /// The session ended; the last event.
    SessionEnded {
        /// Why.
        reason: SessionEndReason,
    },
}

/// What to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClientTransmit<'a> {
    /// Bytes for the TCP connection (requests, interleaved RTCP).
    Stream(Bytes),
    /// A published RTP or RTCP packet for the TCP connection: write
    /// `header`, then `packet`.
    Interleaved {
        /// `$`, the channel, the length.
        header: [u8; 4],
        /// The packet.
        packet: &'a [u8],
    },
    /// A datagram to send from the caller's `local_port` to the server's
    /// `server_port` (at the RTSP connection's address).
    Datagram {
        /// The caller's port it leaves from.
        local_port: u16,
        /// The server's port.
        server_port: u16,
        /// The datagram.
        packet: &'a [u8],
    },
}
