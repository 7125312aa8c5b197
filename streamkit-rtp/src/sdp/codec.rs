//! Media sections from codec configuration and back: H.264 (RFC 6184),
//! H.265 (RFC 7798), AAC (RFC 3640, `mpeg4-generic` in AAC-hbr mode) and
//! Opus (RFC 7587).
//!
//! [`media_for_codec`] writes `m=`, `a=rtpmap` and `a=fmtp`:
//!
//! | codec | rtpmap | fmtp |
//! |-------|--------|------|
//! | H.264 | `H264/90000` | `packetization-mode=1; profile-level-id=<from the SPS>; sprop-parameter-sets=<SPS>,<PPS>` (base64) |
//! | H.265 | `H265/90000` | `sprop-vps=..; sprop-sps=..; sprop-pps=..` (base64) |
//! | AAC | `MPEG4-GENERIC/<rate>/<channels>` | `streamtype=5; profile-level-id=1; mode=AAC-hbr; config=<hex ASC>; sizelength=13; indexlength=3; indexdeltalength=3` |
//! | Opus | `opus/48000/2` | `sprop-stereo=1` when stereo |
//!
//! [`codec_from_media`] also reads AAC sent as `MP4A-LATM` (RFC 6416): the
//! AudioSpecificConfig inside the `config` StreamMuxConfig (see
//! [`latm`](crate::payload::latm)); [`media_for_latm`] writes such a
//! section.
//!
//! [`codec_from_media`] reads them back (parameter names without regard to
//! case, as the RFCs say). What SDP does not carry comes back as the core
//! constructors make it: the H.264 / H.265 records are rebuilt from the
//! parameter sets, and an Opus configuration has a pre-skip of 0 and
//! 48 kHz input rate unless `sprop-maxcapturerate` says otherwise.
//!
//! ```
//! use bytes::Bytes;
//! use streamkit_core::codec::{CodecConfig, aac::AacConfig};
//! use streamkit_rtp::sdp::codec::{codec_from_media, media_for_codec};
//!
//! let aac = CodecConfig::Aac(AacConfig::parse(&[0x12, 0x10])?); // AAC-LC 44.1 kHz stereo
//! let m = media_for_codec(&aac, 97, 5006)?;
//! assert_eq!(m.attributes.rtpmap(97)?.unwrap().to_string(), "97 MPEG4-GENERIC/44100/2");
//! assert_eq!(m.attributes.fmtp(97)?.unwrap().get("config"), Some("1210"));
//! assert_eq!(codec_from_media(&m, 97)?, aac);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use bytes::Bytes;
use core::fmt::Write as _;
use streamkit_core::codec::{
    CodecConfig, aac::AacConfig, h264::AvcConfig, h265::HevcConfig, opus::OpusConfig,
};

use streamkit_core::track::Track;

use super::{Connection, MediaDescription, Origin, SdpError, SessionDescription, base64};
use crate::error::PayloadError;
use crate::payload::latm::{LatmFormat, StreamMuxConfig};

fn codec_err(what: &'static str) -> SdpError {
    SdpError::Codec { what }
}

fn hex_upper(data: &[u8]) -> String {
    let mut s = String::with_capacity(data.len() * 2);
    for b in data {
        let _ = write!(s, "{b:02X}");
    }
    s
}

fn hex_decode(text: &str) -> Result<Vec<u8>, SdpError> {
    if !text.len().is_multiple_of(2) {
        return Err(codec_err("config is not an even number of hex digits"));
    }
    let digit = |c: u8| (c as char).to_digit(16).map(|d| d as u8);
    text.as_bytes()
        .chunks(2)
        .map(|pair| match pair {
            [h, l] => match (digit(*h), digit(*l)) {
                (Some(h), Some(l)) => Ok(h << 4 | l),
                _ => Err(codec_err(
                    "config holds a character that is not a hex digit",
                )),
            },
            _ => Err(codec_err("config is not an even number of hex digits")),
        })
        .collect()
}

fn base64_list(sets: impl Iterator<Item = impl AsRef<[u8]>>) -> String {
    sets.map(|s| base64::encode(s.as_ref()))
        .collect::<Vec<_>>()
        .join(",")
}

fn decode_list(text: &str) -> Result<Vec<Bytes>, SdpError> {
    text.split(',')
        .filter(|s| !s.is_empty())
        .map(|s| base64::decode(s.trim()).map(Bytes::from))
        .collect()
}

/// A media section (`RTP/AVP`, format `payload_type`, port `port`) that
/// describes `codec`, with its `rtpmap` and `fmtp`.
pub fn media_for_codec(
    codec: &CodecConfig,
    payload_type: u8,
    port: u16,
) -> Result<MediaDescription, SdpError> {
    if payload_type > 127 {
        return Err(codec_err("payload type above 127"));
    }
    let pt = payload_type;
    let (media, rtpmap, fmtp) = match codec {
        CodecConfig::H264(avc) => {
            let sps = avc
                .sps
                .first()
                .ok_or(codec_err("H.264 configuration without an SPS"))?;
            let profile_level_id = sps
                .get(1..4)
                .ok_or(codec_err("H.264 SPS shorter than 4 bytes"))?;
            let fmtp = format!(
                "packetization-mode=1; profile-level-id={}; sprop-parameter-sets={}",
                hex_upper(profile_level_id),
                base64_list(avc.sps.iter().chain(&avc.pps))
            );
            ("video", format!("{pt} H264/90000"), Some(fmtp))
        }
        CodecConfig::H265(hevc) => {
            let fmtp = format!(
                "sprop-vps={}; sprop-sps={}; sprop-pps={}",
                base64_list(hevc.vps()),
                base64_list(hevc.sps()),
                base64_list(hevc.pps())
            );
            ("video", format!("{pt} H265/90000"), Some(fmtp))
        }
        CodecConfig::Aac(asc) => {
            let config = asc
                .to_bytes()
                .map_err(|_| codec_err("AAC AudioSpecificConfig does not write"))?;
            let channels = match asc.channel_configuration {
                0 => String::new(),
                c => format!("/{}", asc.channels().unwrap_or(u16::from(c))),
            };
            let fmtp = format!(
                "streamtype=5; profile-level-id=1; mode=AAC-hbr; config={}; sizelength=13; indexlength=3; indexdeltalength=3",
                hex_upper(&config)
            );
            (
                "audio",
                format!("{pt} MPEG4-GENERIC/{}{channels}", asc.sampling_frequency),
                Some(fmtp),
            )
        }
        CodecConfig::Opus(opus) => {
            if opus.output_channel_count > 2 {
                return Err(codec_err(
                    "RFC 7587 carries mono and stereo Opus only, not multichannel",
                ));
            }
            let fmtp = (opus.output_channel_count == 2).then(|| "sprop-stereo=1".to_owned());
            ("audio", format!("{pt} opus/48000/2"), fmtp)
        }
        _ => return Err(codec_err("no RTP payload format for this codec")),
    };
    let mut m = MediaDescription::new(media, port, "RTP/AVP", vec![pt.to_string()]);
    m.attributes.push_value("rtpmap", &rtpmap);
    if let Some(f) = fmtp {
        m.attributes.push_value("fmtp", &format!("{pt} {f}"));
    }
    Ok(m)
}

/// A media section (`RTP/AVP`, format `payload_type`, port `port`) that
/// describes AAC `config` sent as `MP4A-LATM` with `cpresent=0`, one frame
/// per AudioMuxElement (as [`LatmPacketizer`](crate::payload::latm::LatmPacketizer)
/// sends): `MP4A-LATM/<rate>/<channels>` and
/// `cpresent=0;object=<type>;config=<hex StreamMuxConfig>`.
///
/// ```
/// use streamkit_core::codec::{CodecConfig, aac::AacConfig};
/// use streamkit_rtp::sdp::codec::{codec_from_media, media_for_latm};
///
/// let aac = AacConfig::parse(&[0x12, 0x08])?; // AAC-LC 44.1 kHz mono
/// let m = media_for_latm(&aac, 96, 0)?;
/// assert_eq!(m.attributes.rtpmap(96)?.unwrap().to_string(), "96 MP4A-LATM/44100/1");
/// assert_eq!(m.attributes.fmtp(96)?.unwrap().parameters, "cpresent=0;object=2;config=400024103fc0");
/// assert_eq!(codec_from_media(&m, 96)?, CodecConfig::Aac(aac));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Errors
///
/// [`SdpError::Codec`] for a payload type above 127,
/// [`SdpError::CodecConfig`] when the configuration does not write.
pub fn media_for_latm(
    config: &AacConfig,
    payload_type: u8,
    port: u16,
) -> Result<MediaDescription, SdpError> {
    if payload_type > 127 {
        return Err(codec_err("payload type above 127"));
    }
    let fmtp =
        LatmFormat::fmtp_parameters(&StreamMuxConfig::new(config.clone())).map_err(|error| {
            SdpError::CodecConfig {
                encoding: "MP4A-LATM",
                error,
            }
        })?;
    let channels = config
        .channels()
        .unwrap_or(u16::from(config.channel_configuration));
    let pt = payload_type;
    let mut m = MediaDescription::new("audio", port, "RTP/AVP", vec![pt.to_string()]);
    m.attributes.push_value(
        "rtpmap",
        &format!("{pt} MP4A-LATM/{}/{channels}", config.sampling_frequency),
    );
    m.attributes.push_value("fmtp", &format!("{pt} {fmtp}"));
    Ok(m)
}

/// The codec configuration that format `payload_type` of `media`
/// describes.
pub fn codec_from_media(
    media: &MediaDescription,
    payload_type: u8,
) -> Result<CodecConfig, SdpError> {
    let rtpmap = media
        .attributes
        .rtpmap(payload_type)?
        .ok_or(codec_err("no rtpmap for the payload type"))?;
    let fmtp = media.attributes.fmtp(payload_type)?;
    let param = |key: &str| fmtp.as_ref().and_then(|f| f.get(key));
    let name = rtpmap.encoding_name.to_ascii_uppercase();
    match name.as_str() {
        "H264" => {
            if let Some(mode) = param("packetization-mode")
                && !matches!(mode, "0" | "1" | "2")
            {
                return Err(codec_err("packetization-mode is not 0, 1 or 2"));
            }
            let sets = decode_list(
                param("sprop-parameter-sets")
                    .ok_or(codec_err("H.264 without sprop-parameter-sets"))?,
            )?;
            let (mut sps, mut pps) = (Vec::new(), Vec::new());
            for set in sets {
                match set.first().map(|b| b & 0x1f) {
                    Some(7) => sps.push(set),
                    Some(8) => pps.push(set),
                    _ => {
                        return Err(codec_err(
                            "sprop-parameter-sets holds a NAL unit that is not an SPS or PPS",
                        ));
                    }
                }
            }
            AvcConfig::from_parameter_sets(&sps, &pps)
                .map(CodecConfig::H264)
                .map_err(|_| codec_err("H.264 parameter sets do not parse"))
        }
        "H265" => {
            let list = |key: &'static str| -> Result<Vec<Bytes>, SdpError> {
                decode_list(
                    param(key)
                        .ok_or(codec_err("H.265 without sprop-vps, sprop-sps or sprop-pps"))?,
                )
            };
            HevcConfig::from_parameter_sets(
                &list("sprop-vps")?,
                &list("sprop-sps")?,
                &list("sprop-pps")?,
            )
            .map(CodecConfig::H265)
            .map_err(|_| codec_err("H.265 parameter sets do not parse"))
        }
        "MPEG4-GENERIC" => {
            if let Some(mode) = param("mode")
                && !mode.eq_ignore_ascii_case("AAC-hbr")
                && !mode.eq_ignore_ascii_case("AAC-lbr")
            {
                return Err(codec_err("mpeg4-generic mode is not AAC-hbr or AAC-lbr"));
            }
            let config =
                hex_decode(param("config").ok_or(codec_err("mpeg4-generic without config"))?)?;
            AacConfig::parse(&config)
                .map(CodecConfig::Aac)
                .map_err(|_| codec_err("AAC config does not parse"))
        }
        "MP4A-LATM" => {
            let format = LatmFormat::from_fmtp(fmtp.as_ref()).map_err(|e| match e {
                PayloadError::Latm { error, .. } => SdpError::CodecConfig {
                    encoding: "MP4A-LATM",
                    error,
                },
                PayloadError::FmtpParameter { what, .. } => codec_err(what),
                _ => codec_err("MP4A-LATM fmtp does not parse"),
            })?;
            Ok(CodecConfig::Aac(format.config.aac().clone()))
        }
        "OPUS" => {
            if rtpmap.clock_rate != 48_000 || rtpmap.encoding_params.as_deref() != Some("2") {
                return Err(codec_err("Opus must be opus/48000/2 (RFC 7587)"));
            }
            let stereo = param("sprop-stereo") == Some("1");
            let input_sample_rate = match param("sprop-maxcapturerate") {
                Some(r) => r
                    .parse::<u32>()
                    .map_err(|_| codec_err("sprop-maxcapturerate is not a number"))?,
                None => 48_000,
            };
            let mut opus = OpusConfig::stereo(0, input_sample_rate);
            if !stereo {
                opus.output_channel_count = 1;
            }
            Ok(CodecConfig::Opus(opus))
        }
        _ => Err(codec_err(
            "encoding name is not H264, H265, MPEG4-GENERIC, MP4A-LATM or opus",
        )),
    }
}

impl MediaDescription {
    /// [`media_for_codec`].
    pub fn for_codec(
        codec: &CodecConfig,
        payload_type: u8,
        port: u16,
    ) -> Result<MediaDescription, SdpError> {
        media_for_codec(codec, payload_type, port)
    }

    /// [`codec_from_media`] for this section.
    pub fn codec(&self, payload_type: u8) -> Result<CodecConfig, SdpError> {
        codec_from_media(self, payload_type)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // The SPS and PPS of RFC 6184-style streams as ffmpeg writes them
    // (libx264 baseline 320x240, the sprop-parameter-sets of its SDP).
    const SPS: &str = "Z0LAHtkDxWhAAAADAEAAAAwDxYuS";
    const PPS: &str = "aMuMsg==";

    #[test]
    fn h264_round_trip() {
        let sps = Bytes::from(base64::decode(SPS).unwrap());
        let pps = Bytes::from(base64::decode(PPS).unwrap());
        let avc = AvcConfig::from_parameter_sets(&[sps], &[pps]).unwrap();
        let codec = CodecConfig::H264(avc);
        let m = media_for_codec(&codec, 96, 5004).unwrap();
        assert_eq!(m.media, "video");
        assert_eq!(m.formats, ["96"]);
        assert_eq!(
            m.attributes.rtpmap(96).unwrap().unwrap().to_string(),
            "96 H264/90000"
        );
        assert_eq!(
            m.attributes.fmtp(96).unwrap().unwrap().parameters,
            format!(
                "packetization-mode=1; profile-level-id=42C01E; sprop-parameter-sets={SPS},{PPS}"
            )
        );
        assert_eq!(codec_from_media(&m, 96).unwrap(), codec);
    }

    #[test]
    fn opus_and_errors() {
        let stereo = CodecConfig::Opus(OpusConfig::stereo(0, 48_000));
        let m = media_for_codec(&stereo, 111, 0).unwrap();
        assert_eq!(
            m.attributes.rtpmap(111).unwrap().unwrap().to_string(),
            "111 opus/48000/2"
        );
        assert_eq!(
            m.attributes.fmtp(111).unwrap().unwrap().parameters,
            "sprop-stereo=1"
        );
        assert_eq!(codec_from_media(&m, 111).unwrap(), stereo);
        let mut mono = OpusConfig::stereo(0, 48_000);
        mono.output_channel_count = 1;
        let m = media_for_codec(&CodecConfig::Opus(mono.clone()), 111, 0).unwrap();
        assert_eq!(m.attributes.fmtp(111).unwrap(), None);
        assert_eq!(codec_from_media(&m, 111).unwrap(), CodecConfig::Opus(mono));

        assert_eq!(hex_decode("12a0").unwrap(), [0x12, 0xa0]);
        assert!(hex_decode("12a").is_err());
        assert!(hex_decode("zz").is_err());
        let mut m = MediaDescription::new("audio", 0, "RTP/AVP", vec!["97".into()]);
        assert!(codec_from_media(&m, 97).is_err());
        m.attributes
            .push_value("rtpmap", "97 MPEG4-GENERIC/44100/2");
        assert_eq!(
            codec_from_media(&m, 97),
            Err(SdpError::Codec {
                what: "mpeg4-generic without config"
            })
        );
        m.attributes
            .push_value("fmtp", "97 mode=AAC-hbr; config=1210");
        assert!(matches!(codec_from_media(&m, 97), Ok(CodecConfig::Aac(_))));
        let mut v = MediaDescription::new("video", 0, "RTP/AVP", vec!["96".into()]);
        v.attributes.push_value("rtpmap", "96 H264/90000");
        v.attributes
            .push_value("fmtp", "96 sprop-parameter-sets=aMuMsg==");
        assert!(codec_from_media(&v, 96).is_err());
        let mut v = MediaDescription::new("video", 0, "RTP/AVP", vec!["96".into()]);
        v.attributes.push_value("rtpmap", "96 VP8/90000");
        assert!(codec_from_media(&v, 96).is_err());
    }
}

/// One media section of [`SessionDescription::for_tracks`]: a track, the
/// RTP payload type it is sent with and the port it goes to.
#[derive(Debug, Clone, Copy)]
pub struct TrackMedia<'a> {
    /// The track (its codec configuration makes `rtpmap` and `fmtp`).
    pub track: &'a Track,
    /// The RTP payload type.
    pub payload_type: u8,
    /// The RTP port (`m=` line).
    pub port: u16,
}

impl Origin {
    /// `o=- <session_id> 1 IN IP4|IP6 <address>`.
    #[must_use]
    pub fn for_address(session_id: u64, address: std::net::IpAddr) -> Origin {
        Origin {
            username: "-".into(),
            session_id: session_id.to_string(),
            session_version: "1".into(),
            net_type: "IN".into(),
            addr_type: if address.is_ipv4() { "IP4" } else { "IP6" }.into(),
            unicast_address: address.to_string(),
        }
    }
}

impl Connection {
    /// `c=IN IP4|IP6 <address>`.
    #[must_use]
    pub fn for_address(address: std::net::IpAddr) -> Connection {
        Connection {
            net_type: "IN".into(),
            addr_type: if address.is_ipv4() { "IP4" } else { "IP6" }.into(),
            address: address.to_string(),
        }
    }
}

impl SessionDescription {
    /// The description of RTP streams of `tracks`: `origin`, `s=` the
    /// session name, the session-level `c=` line `connection`, and one
    /// media section per track (see [`media_for_codec`]).
    ///
    /// ```
    /// use std::net::Ipv4Addr;
    /// use streamkit_core::codec::{CodecConfig, opus::OpusConfig};
    /// use streamkit_core::time::Timescale;
    /// use streamkit_core::track::Track;
    /// use streamkit_rtp::sdp::codec::TrackMedia;
    /// use streamkit_rtp::sdp::{Connection, Origin, SessionDescription};
    ///
    /// let opus = Track::new(1, Timescale::AUDIO_48KHZ, CodecConfig::Opus(OpusConfig::stereo(312, 48_000)));
    /// let at = Ipv4Addr::LOCALHOST.into();
    /// let sdp = SessionDescription::for_tracks(
    ///     Origin::for_address(7, at),
    ///     "a stream",
    ///     Some(Connection::for_address(at)),
    ///     &[TrackMedia { track: &opus, payload_type: 97, port: 5006 }],
    /// )?;
    /// let text = sdp.write()?;
    /// assert!(text.contains("m=audio 5006 RTP/AVP 97\r\na=rtpmap:97 opus/48000/2\r\n"));
    /// # Ok::<(), streamkit_rtp::sdp::SdpError>(())
    /// ```
    ///
    /// # Errors
    ///
    /// [`SdpError::Codec`] for a track whose codec has no media section
    /// here.
    pub fn for_tracks(
        origin: Origin,
        session_name: &str,
        connection: Option<Connection>,
        tracks: &[TrackMedia<'_>],
    ) -> Result<SessionDescription, SdpError> {
        let mut sdp = SessionDescription::new(origin, session_name);
        sdp.connection = connection;
        for t in tracks {
            sdp.media
                .push(media_for_codec(&t.track.codec, t.payload_type, t.port)?);
        }
        Ok(sdp)
    }
}
