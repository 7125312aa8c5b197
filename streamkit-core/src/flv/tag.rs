//! The FLV file header and tags.

use bytes::{BufMut, Bytes};

use super::{FlvError, Reader, put_u24};

/// Bytes of a tag header: type, 24-bit size, 24+8-bit timestamp, 24-bit
/// stream id.
pub const TAG_HEADER_LEN: usize = 11;
/// The largest tag body a 24-bit size field can describe.
pub const MAX_TAG_SIZE: usize = 0x00ff_ffff;

/// The FLV file header: signature `FLV`, version 1, which media the file
/// holds, and where the first tag starts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct FlvHeader {
    /// The file has audio tags (`TypeFlagsAudio`).
    pub audio: bool,
    /// The file has video tags (`TypeFlagsVideo`).
    pub video: bool,
}

impl FlvHeader {
    /// Bytes of the header this crate writes (`DataOffset` 9).
    pub const LEN: usize = 9;

    /// Parses the header; returns it and the offset of the first
    /// `PreviousTagSize0` (the header's `DataOffset`, at least 9).
    ///
    /// # Errors
    ///
    /// [`FlvError::Truncated`], or [`FlvError::Invalid`] for a wrong
    /// signature, a version other than 1 or a `DataOffset` below 9.
    pub fn parse(data: &[u8]) -> Result<(FlvHeader, usize), FlvError> {
        let mut r = Reader::new(data, "file header");
        let signature = r.take(3, "Signature")?;
        if signature != b"FLV" {
            return Err(r.invalid("Signature", 0, u64::from(signature[0]), "must be \"FLV\""));
        }
        let version = r.u8("Version")?;
        if version != 1 {
            return Err(r.invalid("Version", 3, u64::from(version), "must be 1"));
        }
        let flags = r.u8("TypeFlags")?;
        let b = r.take(4, "DataOffset")?;
        let offset = u32::from_be_bytes([b[0], b[1], b[2], b[3]]);
        if offset < 9 {
            return Err(r.invalid("DataOffset", 5, u64::from(offset), "must be at least 9"));
        }
        Ok((
            FlvHeader {
                audio: flags & 0x04 != 0,
                video: flags & 0x01 != 0,
            },
            offset as usize,
        ))
    }

    /// Writes the 9-byte header and `PreviousTagSize0` (13 bytes).
    pub fn write(&self, out: &mut impl BufMut) {
        out.put_slice(b"FLV\x01");
        out.put_u8(u8::from(self.audio) << 2 | u8::from(self.video));
        out.put_u32(9);
        out.put_u32(0);
    }
}

/// What a tag carries (`TagType`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TagType {
    /// 8: an audio tag body.
    Audio,
    /// 9: a video tag body.
    Video,
    /// 18: script data (AMF0: `onMetaData`).
    Script,
    /// 15: script data in AMF3 (Enhanced RTMP).
    ScriptAmf3,
}

impl TagType {
    /// The type from its number; `None` for other numbers.
    #[must_use]
    pub fn from_u8(v: u8) -> Option<TagType> {
        match v {
            8 => Some(TagType::Audio),
            9 => Some(TagType::Video),
            18 => Some(TagType::Script),
            15 => Some(TagType::ScriptAmf3),
            _ => None,
        }
    }

    /// The number (RTMP uses the same numbers as message types).
    #[must_use]
    pub fn to_u8(self) -> u8 {
        match self {
            TagType::Audio => 8,
            TagType::Video => 9,
            TagType::Script => 18,
            TagType::ScriptAmf3 => 15,
        }
    }
}

/// One FLV tag: its type, its timestamp in milliseconds (the 24-bit field
/// with its 8-bit extension) and its body, a slice of the input.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct FlvTag {
    /// The tag type.
    pub tag_type: TagType,
    /// Milliseconds (32 bits: `Timestamp` and `TimestampExtended`).
    pub timestamp: u32,
    /// The tag body.
    pub body: Bytes,
}

impl FlvTag {
    /// Parses one tag and its trailing `PreviousTagSize` at the start of
    /// `data`: the tag and the bytes it took, or `Ok(None)` when `data`
    /// holds only part of it.
    ///
    /// # Errors
    ///
    /// [`FlvError::Invalid`] for an unknown tag type or a non-zero stream
    /// id, [`FlvError::Unsupported`] for an encrypted (filtered) tag.
    pub fn parse(data: &Bytes) -> Result<Option<(FlvTag, usize)>, FlvError> {
        if data.len() < TAG_HEADER_LEN {
            return Ok(None);
        }
        let mut r = Reader::new(data, "tag header");
        let first = r.u8("TagType")?;
        if first & 0x20 != 0 {
            return Err(FlvError::Unsupported {
                structure: "tag header",
                feature: "encrypted (filtered) tags",
                offset: 0,
            });
        }
        let tag_type = TagType::from_u8(first & 0x1f).ok_or_else(|| {
            r.invalid(
                "TagType",
                0,
                u64::from(first & 0x1f),
                "must be 8 (audio), 9 (video), 15 or 18 (script data)",
            )
        })?;
        let size = r.u24("DataSize")? as usize;
        let low = r.u24("Timestamp")?;
        let high = r.u8("TimestampExtended")?;
        let stream_id = r.u24("StreamID")?;
        if stream_id != 0 {
            return Err(r.invalid("StreamID", 8, u64::from(stream_id), "must be 0"));
        }
        let total = TAG_HEADER_LEN + size + 4;
        if data.len() < total {
            return Ok(None);
        }
        Ok(Some((
            FlvTag {
                tag_type,
                timestamp: u32::from(high) << 24 | low,
                body: data.slice(TAG_HEADER_LEN..TAG_HEADER_LEN + size),
            },
            total,
        )))
    }

    /// Writes a tag header for a body of `body_len` bytes; the caller
    /// writes the body, then [`FlvTag::write_previous_tag_size`].
    ///
    /// # Errors
    ///
    /// [`FlvError::TooLarge`] when `body_len` is over [`MAX_TAG_SIZE`].
    pub fn write_header(
        tag_type: TagType,
        timestamp: u32,
        body_len: usize,
        out: &mut impl BufMut,
    ) -> Result<(), FlvError> {
        if body_len > MAX_TAG_SIZE {
            return Err(FlvError::TooLarge {
                structure: "tag body",
                size: body_len,
                limit: MAX_TAG_SIZE,
            });
        }
        out.put_u8(tag_type.to_u8());
        put_u24(out, body_len as u32);
        put_u24(out, timestamp & 0x00ff_ffff);
        out.put_u8((timestamp >> 24) as u8);
        put_u24(out, 0);
        Ok(())
    }

    /// Writes the `PreviousTagSize` after a tag of `body_len` bytes.
    pub fn write_previous_tag_size(body_len: usize, out: &mut impl BufMut) {
        out.put_u32((TAG_HEADER_LEN + body_len) as u32);
    }

    /// Writes the whole tag and its `PreviousTagSize` (the body copied).
    ///
    /// # Errors
    ///
    /// [`FlvError::TooLarge`] for a body over [`MAX_TAG_SIZE`].
    pub fn write(&self, out: &mut impl BufMut) -> Result<(), FlvError> {
        FlvTag::write_header(self.tag_type, self.timestamp, self.body.len(), out)?;
        out.put_slice(&self.body);
        FlvTag::write_previous_tag_size(self.body.len(), out);
        Ok(())
    }
}

/// The tags of an FLV file held in memory, in order, each body a slice of
/// the file.
///
/// ```
/// use bytes::{Bytes, BytesMut};
/// use streamkit_core::flv::{FlvHeader, FlvTag, FlvTags, TagType};
///
/// let mut file = BytesMut::new();
/// FlvHeader { audio: true, video: false }.write(&mut file);
/// let tag = FlvTag { tag_type: TagType::Audio, timestamp: 0x0100_0000, body: Bytes::from_static(b"\xaf\x01") };
/// tag.write(&mut file)?;
/// let tags: Vec<FlvTag> = FlvTags::new(file.freeze()).collect::<Result<_, _>>()?;
/// assert_eq!(tags, vec![tag]);
/// # Ok::<(), streamkit_core::flv::FlvError>(())
/// ```
#[derive(Debug, Clone)]
pub struct FlvTags {
    data: Bytes,
    /// Where the next tag starts, or an error was returned (`None`).
    pos: Option<usize>,
}

impl FlvTags {
    /// The tags of `file` (header included).
    #[must_use]
    pub fn new(file: Bytes) -> FlvTags {
        FlvTags {
            data: file,
            pos: Some(0),
        }
    }
}

impl Iterator for FlvTags {
    type Item = Result<FlvTag, FlvError>;

    fn next(&mut self) -> Option<Self::Item> {
        let pos = self.pos?;
        let pos = if pos == 0 {
            match FlvHeader::parse(&self.data) {
                // Skip PreviousTagSize0.
                Ok((_, offset)) => offset.saturating_add(4),
                Err(e) => {
                    self.pos = None;
                    return Some(Err(e));
                }
            }
        } else {
            pos
        };
        if pos >= self.data.len() {
            self.pos = None;
            return None;
        }
        let rest = self.data.slice(pos..);
        match FlvTag::parse(&rest) {
            Ok(Some((tag, n))) => {
                self.pos = Some(pos + n);
                Some(Ok(tag))
            }
            Ok(None) => {
                self.pos = None;
                Some(Err(FlvError::Truncated {
                    structure: "file",
                    field: "tag",
                    offset: pos,
                    needed: TAG_HEADER_LEN + 4,
                    available: rest.len(),
                }))
            }
            Err(e) => {
                self.pos = None;
                Some(Err(e))
            }
        }
    }
}
