//! Sample descriptions (`stsd`): the sample entry of a track and the codec
//! configuration inside it (`avcC`, `hvcC`, `esds`, `dOps`).

use super::boxes::{FieldReader, Mp4Box};
use super::error::{FourCc, Mp4Error};
use crate::codec::{
    CodecConfig, CodecError, aac::AacConfig, h264::AvcConfig, h265::HevcConfig, opus::OpusConfig,
};

/// What the first sample entry of a track says.
#[derive(Clone, Debug, Default)]
pub(crate) struct SampleEntry {
    /// The entry's type (`avc1`, `mp4a`, ...); `None` when `stsd` is empty.
    pub(crate) kind: Option<FourCc>,
    /// Number of entries in `stsd`.
    pub(crate) entry_count: u32,
    /// Boxed: most of a track's size, and absent for unsupported tracks.
    pub(crate) codec: Option<Box<CodecConfig>>,
    /// Width and height of a visual sample entry.
    pub(crate) size: Option<(u16, u16)>,
    /// Channel count and sample rate (integer Hz) of an audio sample entry.
    pub(crate) audio: Option<(u16, u32)>,
    /// The `esds` objectTypeIndication of an `mp4a` or `mp4v` entry.
    pub(crate) object_type: Option<u8>,
}

/// What a sample entry (and, for `mp4a`/`mp4v`, its object type) holds, in
/// words, for the codecs people meet in MP4 files; `None` for others.
pub(crate) fn codec_name(kind: FourCc, object_type: Option<u8>) -> Option<&'static str> {
    Some(match (&kind.0, object_type) {
        (b"mp4v", Some(0x20)) | (b"mp4v", None) => "MPEG-4 Part 2 video",
        (b"mp4v", Some(0x60..=0x65)) => "MPEG-2 video",
        (b"mp4v", Some(0x6A)) => "MPEG-1 video",
        (b"mp4v", Some(0x6C)) | (b"jpeg", _) | (b"mjpa", _) | (b"mjpb", _) => "Motion JPEG video",
        (b"mp4a", Some(0x69 | 0x6B)) | (b".mp3", _) => "MP3 audio",
        (b"mp4a", Some(0xA9)) | (b"dtsc", _) => "DTS audio",
        (b"mp4a", Some(0xDD)) => "Vorbis audio",
        (b"mp4a", Some(0xA5)) | (b"ac-3", _) => "AC-3 audio",
        (b"mp4a", Some(0xA6)) | (b"ec-3", _) => "E-AC-3 audio",
        (b"mp4a", _) => "MPEG-4 audio of a kind without a codec model",
        (b"vp08", _) => "VP8 video",
        (b"vp09", _) => "VP9 video",
        (b"av01", _) => "AV1 video",
        (b"dvh1", _) | (b"dvhe", _) => "Dolby Vision video",
        (b"s263", _) | (b"h263", _) => "H.263 video",
        (b"fLaC", _) => "FLAC audio",
        (b"alac", _) => "Apple Lossless audio",
        (b"samr", _) | (b"sawb", _) => "AMR audio",
        (b"lpcm", _) | (b"sowt", _) | (b"twos", _) | (b"ipcm", _) | (b"fpcm", _) => "PCM audio",
        (b"tx3g", _) | (b"text", _) | (b"wvtt", _) | (b"stpp", _) | (b"c608", _) => {
            "subtitles or text"
        }
        (b"tmcd", _) => "a time code",
        (b"mett", _) | (b"metx", _) | (b"mebx", _) => "timed metadata",
        _ => return None,
    })
}

/// Bytes of the SampleEntry header (reserved, data_reference_index), then of
/// the VisualSampleEntry fields, then of the AudioSampleEntry fields.
const SAMPLE_ENTRY: usize = 8;
const VISUAL_FIELDS: usize = 70;
const AUDIO_FIELDS: usize = 20;

/// A codec configuration parser.
type ConfigParser = fn(&[u8]) -> Result<CodecConfig, CodecError>;

/// Reads `stsd`: the first entry's type and fields, and its codec
/// configuration when the type is one this crate models and the description
/// is the track's only one.
pub(crate) fn parse_stsd(stsd: &Mp4Box<'_>) -> Result<SampleEntry, Mp4Error> {
    let mut r = stsd.fields();
    r.version_flags()?;
    let entry_count = r.u32("entry_count")?;
    let mut out = SampleEntry {
        entry_count,
        ..SampleEntry::default()
    };
    let Some(entry) = stsd.children_after(8)?.next().transpose()? else {
        return Ok(out);
    };
    out.kind = Some(entry.kind);
    match &entry.kind.0 {
        b"avc1" | b"avc3" | b"hvc1" | b"hev1" => {
            let mut f = entry.fields();
            f.skip(SAMPLE_ENTRY + 16, "visual sample entry")?;
            let width = f.u16("width")?;
            let height = f.u16("height")?;
            out.size = Some((width, height));
            let children = entry.children_after(SAMPLE_ENTRY + VISUAL_FIELDS)?;
            let (config_kind, parse): (&[u8; 4], ConfigParser) =
                if matches!(&entry.kind.0, b"avc1" | b"avc3") {
                    (b"avcC", |b| AvcConfig::parse(b).map(CodecConfig::H264))
                } else {
                    (b"hvcC", |b| HevcConfig::parse(b).map(CodecConfig::H265))
                };
            let config = super::boxes::find_one(children, config_kind)?.ok_or_else(|| {
                Mp4Error::MissingBox {
                    path: entry.path.child(FourCc(*config_kind)).unwrap_or(entry.path),
                }
            })?;
            out.codec = codec(&config, config.payload, config.payload_offset, parse)?;
        }
        b"mp4a" | b"Opus" => {
            let mut f = entry.fields();
            f.skip(SAMPLE_ENTRY, "sample entry")?;
            // QuickTime sound descriptions put a version here (0 in MP4);
            // versions 1 and 2 add 16 and 36 bytes of fields.
            let version = f.u16("sound description version")?;
            f.skip(6, "reserved")?;
            let channels = f.u16("channelcount")?;
            f.skip(6, "samplesize, pre_defined, reserved")?;
            let rate = f.u32("samplerate")?;
            out.audio = Some((channels, rate >> 16));
            let extra = match version {
                1 => 16,
                2 => 36,
                _ => 0,
            };
            let children = entry.children_after(SAMPLE_ENTRY + AUDIO_FIELDS + extra)?;
            if entry.kind.0 == *b"Opus" {
                let dops = super::boxes::find_one(children, b"dOps")?.ok_or_else(|| {
                    Mp4Error::MissingBox {
                        path: entry.path.child(FourCc(*b"dOps")).unwrap_or(entry.path),
                    }
                })?;
                out.codec = codec(&dops, dops.payload, dops.payload_offset, |b| {
                    OpusConfig::parse_dops(b).map(CodecConfig::Opus)
                })?;
            } else {
                let esds = super::boxes::find_one(children, b"esds")?.ok_or_else(|| {
                    Mp4Error::MissingBox {
                        path: entry.path.child(FourCc(*b"esds")).unwrap_or(entry.path),
                    }
                })?;
                out.object_type = object_type(&esds).ok().flatten();
                if let Some((asc, at)) = decoder_specific_info(&esds)? {
                    out.codec = codec(&esds, asc, at, |b| {
                        AacConfig::parse(b).map(CodecConfig::Aac)
                    })?;
                }
            }
        }
        b"mp4v" => {
            // Not modelled; its object type says what it is.
            let children = entry.children_after(SAMPLE_ENTRY + VISUAL_FIELDS).ok();
            let esds = children.and_then(|c| super::boxes::find_one(c, b"esds").ok().flatten());
            out.object_type = esds.and_then(|e| object_type(&e).ok().flatten());
        }
        _ => {}
    }
    if entry_count != 1 {
        // Samples may switch between descriptions; this reader models one.
        out.codec = None;
    }
    Ok(out)
}

/// Runs a codec parser: an unsupported feature leaves the track without a
/// configuration (listed, skipped); any other failure is an error.
fn codec(
    b: &Mp4Box<'_>,
    bytes: &[u8],
    offset: u64,
    parse: impl FnOnce(&[u8]) -> Result<CodecConfig, CodecError>,
) -> Result<Option<Box<CodecConfig>>, Mp4Error> {
    match parse(bytes) {
        Ok(c) => Ok(Some(Box::new(c))),
        Err(CodecError::Unsupported { .. }) => Ok(None),
        Err(source) => Err(Mp4Error::Codec {
            path: b.path,
            offset,
            source: Box::new(source),
        }),
    }
}

/// ES_Descriptor tag, DecoderConfigDescriptor tag, DecSpecificInfo tag
/// (ISO/IEC 14496-1 7.2.2.1).
const ES_DESCR_TAG: u8 = 0x03;
const DECODER_CONFIG_DESCR_TAG: u8 = 0x04;
const DEC_SPECIFIC_INFO_TAG: u8 = 0x05;

/// Reads one descriptor's tag and expandable length, and returns the tag and
/// a reader over its body.
fn descriptor<'a>(r: &mut FieldReader<'a>) -> Result<(u8, FieldReader<'a>), Mp4Error> {
    let tag = r.u8("descriptor tag")?;
    let mut len = 0usize;
    for _ in 0..4 {
        let b = r.u8("descriptor length")?;
        len = (len << 7) | usize::from(b & 0x7f);
        if b & 0x80 == 0 {
            break;
        }
    }
    Ok((tag, r.sub_reader(len, "descriptor body")?))
}

/// Skips an ES_Descriptor's own fields (ES_ID, the flags and what they
/// announce), up to its sub-descriptors.
fn skip_es_fields(es: &mut FieldReader<'_>) -> Result<(), Mp4Error> {
    es.skip(2, "ES_ID")?;
    let flags = es.u8("ES_Descriptor flags")?;
    if flags & 0x80 != 0 {
        es.skip(2, "dependsOn_ES_ID")?;
    }
    if flags & 0x40 != 0 {
        let len = es.u8("URLlength")?;
        es.skip(usize::from(len), "URLstring")?;
    }
    if flags & 0x20 != 0 {
        es.skip(2, "OCR_ES_Id")?;
    }
    Ok(())
}

/// The objectTypeIndication of the DecoderConfigDescriptor in `esds`.
fn object_type(esds: &Mp4Box<'_>) -> Result<Option<u8>, Mp4Error> {
    let mut r = esds.fields();
    r.version_flags()?;
    let (tag, mut es) = descriptor(&mut r)?;
    if tag != ES_DESCR_TAG {
        return Ok(None);
    }
    skip_es_fields(&mut es)?;
    while es.remaining() > 0 {
        let (tag, mut dc) = descriptor(&mut es)?;
        if tag == DECODER_CONFIG_DESCR_TAG {
            return Ok(Some(dc.u8("objectTypeIndication")?));
        }
    }
    Ok(None)
}

/// The DecoderSpecificInfo (for AAC, the AudioSpecificConfig) inside `esds`
/// and its byte offset, when the object type is MPEG-4 or MPEG-2 AAC audio;
/// `None` for other object types (MP3 in MP4, for instance).
fn decoder_specific_info<'a>(esds: &Mp4Box<'a>) -> Result<Option<(&'a [u8], u64)>, Mp4Error> {
    let mut r = esds.fields();
    r.version_flags()?;
    let es_at = r.offset();
    let (tag, mut es) = descriptor(&mut r)?;
    if tag != ES_DESCR_TAG {
        return Err(r.invalid(
            es_at,
            "descriptor tag",
            u64::from(tag),
            "expected ES_Descriptor (3)",
        ));
    }
    skip_es_fields(&mut es)?;
    while es.remaining() > 0 {
        let (tag, mut dc) = descriptor(&mut es)?;
        if tag != DECODER_CONFIG_DESCR_TAG {
            continue;
        }
        let object_type = dc.u8("objectTypeIndication")?;
        // 0x40: MPEG-4 audio; 0x66..=0x68: MPEG-2 AAC Main, LC, SSR.
        if !matches!(object_type, 0x40 | 0x66..=0x68) {
            return Ok(None);
        }
        dc.skip(12, "streamType, bufferSizeDB, maxBitrate, avgBitrate")?;
        while dc.remaining() > 0 {
            let (tag, dsi) = descriptor(&mut dc)?;
            if tag == DEC_SPECIFIC_INFO_TAG {
                return Ok(Some((dsi.rest(), dsi.offset())));
            }
        }
        return Err(Mp4Error::MissingDescriptor {
            path: esds.path,
            descriptor: "DecoderSpecificInfo",
        });
    }
    Err(Mp4Error::MissingDescriptor {
        path: esds.path,
        descriptor: "DecoderConfigDescriptor",
    })
}
