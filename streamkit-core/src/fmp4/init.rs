//! Initialization segments: `ftyp` + `moov`.

use bytes::Bytes;

use super::Fmp4Error;
use super::boxes::{
    put_u8, put_u16, put_u24, put_u32, put_u64, put_unity_matrix, put_zeros, write_box,
    write_full_box,
};
use crate::codec::{CodecConfig, MediaKind};
use crate::sample::PresentationShift;
use crate::time::{MediaTime, Rounding, Timescale};
use crate::track::Track;

/// `ftyp` brands of a single-track init segment, major brand first: `iso6`
/// (the ISO BMFF structure with `tfdt` and default-base-is-moof) and
/// compatible `iso6`, `cmfc` (CMAF track format: one track, fragmented, no
/// sample data in `moov`) and `mp41`. An init segment of several
/// multiplexed tracks is not a CMAF header, so it leaves `cmfc` out.
pub const INIT_BRANDS: &[[u8; 4]] = &[*b"iso6", *b"iso6", *b"cmfc", *b"mp41"];

/// Movie timescale of `mvhd` (the movie has no duration: it is fragmented).
const MOVIE_TIMESCALE: Timescale = Timescale::MILLIS;

/// Writes the initialization segment of `tracks`: `ftyp`, then `moov` with
/// `mvhd`, one `trak` per track (with `tkhd`, `mdhd`, `hdlr`, `vmhd` or
/// `smhd`, `dinf`, and an `stbl` whose `stsd` holds the codec's sample entry
/// and whose sample tables are empty) and `mvex` with one `trex` per track.
///
/// Sample entries: `avc1` + `avcC`, `hvc1` + `hvcC`, `mp4a` + `esds`
/// (MPEG-4 audio, object type 0x40, the AudioSpecificConfig as decoder
/// specific info), `Opus` + `dOps` (48 kHz, per the Opus-in-ISOBMFF
/// encapsulation).
///
/// # Errors
///
/// [`Fmp4Error::NoTracks`]; [`Fmp4Error::MissingCodecConfiguration`] for a
/// video configuration without a parsable SPS or without a PPS; and
/// [`Fmp4Error::Codec`] when a configuration record cannot be written.
pub fn init_segment(tracks: &[Track]) -> Result<Bytes, Fmp4Error> {
    init_segment_with_shifts(tracks, &[])
}

/// [`init_segment`], with an edit list for each track that `shifts` names
/// with a non-zero shift.
///
/// # Errors
///
/// Those of [`init_segment`], and [`Fmp4Error::UnknownTrack`] for a shift
/// of a track not in `tracks`.
pub fn init_segment_with_shifts(
    tracks: &[Track],
    shifts: &[PresentationShift],
) -> Result<Bytes, Fmp4Error> {
    init_segment_with_edits(tracks, shifts, &[])
}

/// [`init_segment_with_shifts`], where the edit that plays a shifted
/// track's media lasts what `durations` gives for the track (`(track_id,
/// ticks of the track's timescale)`: the presentation from the edit's
/// `media_time` to the end of the last sample) instead of running to the
/// end of the media (`segment_duration` 0). Written in movie ticks rounded
/// up, so no sample is cut. Only for a whole file whose every sample is
/// known: GStreamer's qtdemux then ends each track where the edit ends,
/// trimming the encoder's padding (it applies no edit list to fragments a
/// DASH or HLS demuxer hands it, whatever the duration).
pub(crate) fn init_segment_with_edits(
    tracks: &[Track],
    shifts: &[PresentationShift],
    durations: &[(u32, u64)],
) -> Result<Bytes, Fmp4Error> {
    if let Some(s) = shifts
        .iter()
        .find(|s| !tracks.iter().any(|t| t.id == s.track_id))
    {
        return Err(Fmp4Error::UnknownTrack {
            track_id: s.track_id,
        });
    }
    if tracks.is_empty() {
        return Err(Fmp4Error::NoTracks);
    }
    let entries = tracks
        .iter()
        .map(sample_entry)
        .collect::<Result<Vec<_>, _>>()?;
    let next_track_id = tracks
        .iter()
        .map(|t| t.id)
        .max()
        .map_or(1, |m| m.saturating_add(1));

    let mut buf = Vec::with_capacity(1024);
    write_box(&mut buf, b"ftyp", |buf| {
        let brands: &[[u8; 4]] = if tracks.len() == 1 {
            INIT_BRANDS
        } else {
            &[*b"iso6", *b"iso6", *b"mp41"]
        };
        buf.extend_from_slice(&brands[0]);
        put_u32(buf, 0);
        for b in &brands[1..] {
            buf.extend_from_slice(b);
        }
    });
    write_box(&mut buf, b"moov", |buf| {
        write_mvhd(buf, next_track_id);
        for (track, entry) in tracks.iter().zip(&entries) {
            let shift = shifts
                .iter()
                .filter(|s| s.track_id == track.id)
                .map(|s| s.ticks)
                .next_back()
                .unwrap_or(0);
            let duration = durations
                .iter()
                .filter(|d| d.0 == track.id)
                .map(|d| d.1)
                .next_back();
            write_trak(buf, track, entry, shift, duration);
        }
        write_box(buf, b"mvex", |buf| {
            for track in tracks {
                write_full_box(buf, b"trex", 0, 0, |buf| {
                    put_u32(buf, track.id);
                    put_u32(buf, 1); // default_sample_description_index
                    put_u32(buf, 0); // default_sample_duration
                    put_u32(buf, 0); // default_sample_size
                    put_u32(buf, 0); // default_sample_flags
                });
            }
        });
    });
    Ok(Bytes::from(buf))
}

/// A sample entry, ready to write: the facts `tkhd` and `stsd` need.
struct SampleEntry {
    kind: MediaKind,
    /// Width and height in pixels (video).
    size: (u32, u32),
    /// The complete sample entry box (`avc1`, `hvc1`, `mp4a`, `Opus`).
    bytes: Vec<u8>,
}

fn sample_entry(track: &Track) -> Result<SampleEntry, Fmp4Error> {
    let track_id = track.id;
    let codec_err = |source| Fmp4Error::Codec { track_id, source };
    let missing = |what| Fmp4Error::MissingCodecConfiguration { track_id, what };
    let codec = &track.codec;
    let fourcc = codec.sample_entry_type();
    let mut bytes = Vec::with_capacity(256);
    let mut size = (0, 0);
    match codec {
        CodecConfig::H264(c) => {
            if c.sps.is_empty() {
                return Err(missing("SPS"));
            }
            if c.pps.is_empty() {
                return Err(missing("PPS"));
            }
            size = codec.dimensions().ok_or(missing("a parsable SPS"))?;
            let record = c.to_bytes().map_err(codec_err)?;
            write_visual_entry(&mut bytes, &fourcc, size, b"avcC", &record);
        }
        CodecConfig::H265(c) => {
            size = codec.dimensions().ok_or(missing("a parsable SPS"))?;
            let record = c.to_bytes().map_err(codec_err)?;
            write_visual_entry(&mut bytes, &fourcc, size, b"hvcC", &record);
        }
        CodecConfig::Aac(c) => {
            let asc = c.to_bytes().map_err(codec_err)?;
            let rate = codec.sample_rate().ok_or(missing("sample rate"))?;
            // A channel layout given by a program config element
            // (configuration 0) lives in the AudioSpecificConfig; the entry
            // then says 2, as ISO/IEC 14496-14 allows.
            let channels = codec.channels().unwrap_or(2);
            let esds = esds(track_id, &asc).map_err(|value| Fmp4Error::TooLarge {
                what: "AudioSpecificConfig length",
                value,
            })?;
            write_audio_entry(&mut bytes, &fourcc, channels, rate, |buf| {
                buf.extend_from_slice(&esds);
            });
        }
        CodecConfig::Opus(c) => {
            let dops = c.to_bytes().map_err(codec_err)?;
            let channels = codec.channels().ok_or(missing("channel count"))?;
            write_audio_entry(
                &mut bytes,
                &fourcc,
                channels,
                crate::codec::opus::OPUS_SAMPLE_RATE,
                |buf| write_box(buf, b"dOps", |buf| buf.extend_from_slice(&dops)),
            );
        }
        #[allow(unreachable_patterns)]
        _ => return Err(missing("a codec fMP4 can carry")),
    }
    Ok(SampleEntry {
        kind: codec.kind(),
        size,
        bytes,
    })
}

fn write_mvhd(buf: &mut Vec<u8>, next_track_id: u32) {
    write_full_box(buf, b"mvhd", 0, 0, |buf| {
        put_u32(buf, 0); // creation_time
        put_u32(buf, 0); // modification_time
        put_u32(buf, MOVIE_TIMESCALE.hz());
        put_u32(buf, 0); // duration: unknown, the movie is fragmented
        put_u32(buf, 0x0001_0000); // rate 1.0
        put_u16(buf, 0x0100); // volume 1.0
        put_zeros(buf, 10); // reserved
        put_unity_matrix(buf);
        put_zeros(buf, 24); // pre_defined
        put_u32(buf, next_track_id);
    });
}

/// Writes `edts` with the edit list for a presentation shift (nothing for
/// a zero shift); the edit of the media lasts `duration` ticks of the track
/// (rounded up to movie ticks) when given, else to the end of the media.
fn write_edts(buf: &mut Vec<u8>, track: &Track, shift: i64, duration: Option<u64>) {
    if shift == 0 {
        return;
    }
    let media_duration = duration
        .and_then(|d| i64::try_from(d).ok())
        .and_then(|d| {
            MediaTime::new(d, track.timescale).checked_rescale(MOVIE_TIMESCALE, Rounding::Up)
        })
        .map_or(0, |d| d.ticks().unsigned_abs());
    // (segment_duration in movie ticks, media_time in track ticks).
    let mut edits: [(u64, i64); 2] = [(0, 0); 2];
    let count = if shift < 0 {
        edits[0] = (media_duration, shift.saturating_neg());
        1
    } else {
        let movie = MediaTime::new(shift, track.timescale)
            .rescale(MOVIE_TIMESCALE, Rounding::Nearest)
            .ticks();
        edits[0] = (movie.unsigned_abs(), -1);
        edits[1] = (media_duration, 0);
        2
    };
    let edits = &edits[..count];
    let wide = edits
        .iter()
        .any(|&(d, m)| u32::try_from(d).is_err() || i32::try_from(m).is_err());
    write_box(buf, b"edts", |buf| {
        write_full_box(buf, b"elst", u8::from(wide), 0, |buf| {
            put_u32(buf, count as u32);
            for &(duration, media_time) in edits {
                if wide {
                    put_u64(buf, duration);
                    put_u64(buf, media_time as u64);
                } else {
                    put_u32(buf, duration as u32);
                    put_u32(buf, media_time as i32 as u32);
                }
                put_u16(buf, 1); // media_rate_integer
                put_u16(buf, 0); // media_rate_fraction
            }
        });
    });
}

fn write_trak(
    buf: &mut Vec<u8>,
    track: &Track,
    entry: &SampleEntry,
    shift: i64,
    duration: Option<u64>,
) {
    let video = entry.kind == MediaKind::Video;
    write_box(buf, b"trak", |buf| {
        // flags: track_enabled | track_in_movie.
        write_full_box(buf, b"tkhd", 0, 0x000003, |buf| {
            put_u32(buf, 0); // creation_time
            put_u32(buf, 0); // modification_time
            put_u32(buf, track.id);
            put_u32(buf, 0); // reserved
            put_u32(buf, 0); // duration
            put_zeros(buf, 8); // reserved
            put_u16(buf, 0); // layer
            put_u16(buf, 0); // alternate_group
            put_u16(buf, if video { 0 } else { 0x0100 }); // volume
            put_u16(buf, 0); // reserved
            put_unity_matrix(buf);
            // width and height, 16.16 fixed point.
            put_u32(buf, entry.size.0.min(0xffff) << 16);
            put_u32(buf, entry.size.1.min(0xffff) << 16);
        });
        write_edts(buf, track, shift, duration);
        write_box(buf, b"mdia", |buf| {
            write_full_box(buf, b"mdhd", 0, 0, |buf| {
                put_u32(buf, 0); // creation_time
                put_u32(buf, 0); // modification_time
                put_u32(buf, track.timescale.hz());
                put_u32(buf, 0); // duration
                put_u16(buf, language_code(&track.language.unwrap_or(*b"und")));
                put_u16(buf, 0); // pre_defined
            });
            write_full_box(buf, b"hdlr", 0, 0, |buf| {
                put_u32(buf, 0); // pre_defined
                buf.extend_from_slice(if video { b"vide" } else { b"soun" });
                put_zeros(buf, 12); // reserved
                buf.extend_from_slice(if video {
                    b"VideoHandler\0"
                } else {
                    b"SoundHandler\0"
                });
            });
            write_box(buf, b"minf", |buf| {
                if video {
                    write_full_box(buf, b"vmhd", 0, 1, |buf| put_zeros(buf, 8));
                } else {
                    write_full_box(buf, b"smhd", 0, 0, |buf| put_zeros(buf, 4));
                }
                write_box(buf, b"dinf", |buf| {
                    write_full_box(buf, b"dref", 0, 0, |buf| {
                        put_u32(buf, 1);
                        // flags 1: the media data is in the same file.
                        write_full_box(buf, b"url ", 0, 1, |_| {});
                    });
                });
                write_box(buf, b"stbl", |buf| {
                    write_full_box(buf, b"stsd", 0, 0, |buf| {
                        put_u32(buf, 1);
                        buf.extend_from_slice(&entry.bytes);
                    });
                    write_full_box(buf, b"stts", 0, 0, |buf| put_u32(buf, 0));
                    write_full_box(buf, b"stsc", 0, 0, |buf| put_u32(buf, 0));
                    write_full_box(buf, b"stsz", 0, 0, |buf| put_zeros(buf, 8));
                    write_full_box(buf, b"stco", 0, 0, |buf| put_u32(buf, 0));
                });
            });
        });
    });
}

/// ISO 639-2/T code packed as three 5-bit letters (offset by 0x60).
fn language_code(lang: &[u8; 3]) -> u16 {
    lang.iter().fold(0u16, |acc, &c| {
        (acc << 5) | u16::from(c.wrapping_sub(0x60) & 0x1f)
    })
}

fn write_visual_entry(
    buf: &mut Vec<u8>,
    fourcc: &[u8; 4],
    (width, height): (u32, u32),
    config_type: &[u8; 4],
    record: &[u8],
) {
    write_box(buf, fourcc, |buf| {
        put_zeros(buf, 6); // reserved
        put_u16(buf, 1); // data_reference_index
        put_u16(buf, 0); // pre_defined
        put_u16(buf, 0); // reserved
        put_zeros(buf, 12); // pre_defined
        put_u16(buf, width.min(0xffff) as u16);
        put_u16(buf, height.min(0xffff) as u16);
        put_u32(buf, 0x0048_0000); // horizresolution 72 dpi
        put_u32(buf, 0x0048_0000); // vertresolution 72 dpi
        put_u32(buf, 0); // reserved
        put_u16(buf, 1); // frame_count
        put_zeros(buf, 32); // compressorname
        put_u16(buf, 0x0018); // depth
        put_u16(buf, 0xffff); // pre_defined = -1
        write_box(buf, config_type, |buf| buf.extend_from_slice(record));
    });
}

fn write_audio_entry(
    buf: &mut Vec<u8>,
    fourcc: &[u8; 4],
    channels: u16,
    sample_rate: u32,
    children: impl FnOnce(&mut Vec<u8>),
) {
    write_box(buf, fourcc, |buf| {
        put_zeros(buf, 6); // reserved
        put_u16(buf, 1); // data_reference_index
        put_zeros(buf, 8); // reserved
        put_u16(buf, channels);
        put_u16(buf, 16); // samplesize
        put_u16(buf, 0); // pre_defined
        put_u16(buf, 0); // reserved
        // samplerate, 16.16; rates above 65 535 Hz do not fit and are
        // written as 0 (the decoder configuration carries the real rate).
        put_u32(
            buf,
            if sample_rate <= 0xffff {
                sample_rate << 16
            } else {
                0
            },
        );
        children(buf);
    });
}

/// An `esds` box (ISO/IEC 14496-14): ES_Descriptor with a
/// DecoderConfigDescriptor (MPEG-4 audio, object type 0x40, stream type 5)
/// whose DecoderSpecificInfo is the AudioSpecificConfig, and an
/// SLConfigDescriptor (predefined 2). Bit rates and buffer size are 0
/// (unknown). Fails with the ASC length when it is too long.
fn esds(track_id: u32, asc: &[u8]) -> Result<Vec<u8>, u64> {
    // Descriptor sizes use the one-byte form, so every descriptor body must
    // stay below 128 bytes.
    let dsi_len = asc.len();
    let dcd_len = 13 + 2 + dsi_len;
    let es_len = 3 + 2 + dcd_len + 3;
    if es_len > 127 {
        return Err(dsi_len as u64);
    }
    let mut buf = Vec::with_capacity(es_len + 14);
    write_full_box(&mut buf, b"esds", 0, 0, |buf| {
        put_u8(buf, 0x03); // ES_DescrTag
        put_u8(buf, es_len as u8);
        put_u16(buf, (track_id & 0xffff) as u16); // ES_ID
        put_u8(buf, 0); // no stream dependence, URL or OCR stream
        put_u8(buf, 0x04); // DecoderConfigDescrTag
        put_u8(buf, dcd_len as u8);
        put_u8(buf, 0x40); // objectTypeIndication: MPEG-4 audio
        put_u8(buf, (0x05 << 2) | 0x01); // streamType audio, upStream 0, reserved 1
        put_u24(buf, 0); // bufferSizeDB
        put_u32(buf, 0); // maxBitrate
        put_u32(buf, 0); // avgBitrate
        put_u8(buf, 0x05); // DecSpecificInfoTag
        put_u8(buf, dsi_len as u8);
        buf.extend_from_slice(asc);
        put_u8(buf, 0x06); // SLConfigDescrTag
        put_u8(buf, 1);
        put_u8(buf, 0x02); // predefined: reserved for use in MP4 files
    });
    Ok(buf)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn language_und() {
        assert_eq!(language_code(b"und"), 0x55c4);
    }

    #[test]
    fn esds_bytes() {
        let b = esds(2, &[0x12, 0x10]).unwrap();
        let expected: Vec<u8> = [
            &[0, 0, 0, 39][..],
            b"esds",
            &[0, 0, 0, 0],
            &[0x03, 25, 0, 2, 0],
            &[0x04, 17, 0x40, 0x15, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
            &[0x05, 2, 0x12, 0x10],
            &[0x06, 1, 2],
        ]
        .concat();
        assert_eq!(b, expected);
        assert_eq!(esds(1, &[0; 110]), Err(110));
    }
}
