//! What one SDP media section gives as a track to receive: its first
//! payload type, the codec, the RTP clock and the depacketizer. The
//! server reads a publisher's ANNOUNCE so, the client a DESCRIBE answer;
//! each says in its own words why a section it leaves out was left out.

use streamkit_core::codec::CodecConfig;
use streamkit_core::time::Timescale;
use streamkit_rtp::error::{PayloadError, SdpError};
use streamkit_rtp::payload::{Depacketizer, mp4_nal_form, rtp_clock_rate};
use streamkit_rtp::sdp::MediaDescription;

/// A media section that can be received.
pub(crate) struct MediaTrack {
    /// The section's first payload type (the one received).
    pub(crate) payload_type: u8,
    /// Its codec.
    pub(crate) codec: CodecConfig,
    /// Its RTP clock.
    pub(crate) clock: Timescale,
    /// What turns its packets into samples (MP4's NAL unit form).
    pub(crate) depacketizer: Depacketizer,
}

/// Why a media section cannot be received.
pub(crate) enum Skip {
    /// Its first format is no RTP payload type.
    NoPayloadType,
    /// Its payload type describes no codec this crate maps.
    Codec {
        /// The payload type.
        payload_type: u8,
        /// Why.
        error: SdpError,
    },
    /// The codec has no RTP clock rate.
    NoClockRate(CodecConfig),
    /// No depacketizer takes it.
    Depacketizer(PayloadError),
}

/// The track media section `m` describes, or why there is none.
pub(crate) fn media_track(m: &MediaDescription) -> Result<MediaTrack, Skip> {
    let payload_type = m
        .formats
        .first()
        .and_then(|f| f.parse::<u8>().ok())
        .ok_or(Skip::NoPayloadType)?;
    let codec = m.codec(payload_type).map_err(|error| Skip::Codec {
        payload_type,
        error,
    })?;
    let Some(clock) = rtp_clock_rate(&codec) else {
        return Err(Skip::NoClockRate(codec));
    };
    let depacketizer = Depacketizer::from_media(m, payload_type, mp4_nal_form(&codec))
        .map_err(Skip::Depacketizer)?;
    Ok(MediaTrack {
        payload_type,
        codec,
        clock,
        depacketizer,
    })
}
