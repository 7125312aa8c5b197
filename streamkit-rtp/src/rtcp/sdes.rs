//! Source descriptions (SDES, packet type 202, RFC 3550 section 6.5).

use bytes::{BufMut, Bytes};

use super::{be32, count, malformed};
use crate::error::{ParseError, WriteError};

/// The type of an SDES item (RFC 3550 section 6.5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SdesType {
    /// 1: canonical end-point identifier (`user@host`).
    Cname,
    /// 2: user name.
    Name,
    /// 3: e-mail address.
    Email,
    /// 4: phone number.
    Phone,
    /// 5: geographic location.
    Location,
    /// 6: application or tool name.
    Tool,
    /// 7: notice or status.
    Note,
    /// 8: private extension: a prefix length, prefix and value.
    Private,
    /// Any other non-zero type, kept as is.
    Other(u8),
}

impl SdesType {
    /// The type for the item type octet `v` (`None` for 0, which ends an
    /// item list).
    #[must_use]
    pub const fn from_u8(v: u8) -> Option<SdesType> {
        Some(match v {
            0 => return None,
            1 => SdesType::Cname,
            2 => SdesType::Name,
            3 => SdesType::Email,
            4 => SdesType::Phone,
            5 => SdesType::Location,
            6 => SdesType::Tool,
            7 => SdesType::Note,
            8 => SdesType::Private,
            other => SdesType::Other(other),
        })
    }

    /// The item type octet.
    #[must_use]
    pub const fn to_u8(self) -> u8 {
        match self {
            SdesType::Cname => 1,
            SdesType::Name => 2,
            SdesType::Email => 3,
            SdesType::Phone => 4,
            SdesType::Location => 5,
            SdesType::Tool => 6,
            SdesType::Note => 7,
            SdesType::Private => 8,
            SdesType::Other(v) => v,
        }
    }
}

/// One SDES item: its type and value (at most 255 bytes, UTF-8 text for
/// the standard types).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SdesItem {
    /// The item type.
    pub kind: SdesType,
    /// The value; for [`SdesType::Private`] the prefix length, prefix and
    /// value (see [`SdesItem::private_parts`]).
    pub value: Bytes,
}

impl SdesItem {
    /// A CNAME item.
    #[must_use]
    pub fn cname(cname: &str) -> SdesItem {
        SdesItem {
            kind: SdesType::Cname,
            value: Bytes::copy_from_slice(cname.as_bytes()),
        }
    }

    /// A PRIV item from its prefix and value; `None` when the prefix is
    /// longer than 255 bytes.
    #[must_use]
    pub fn private(prefix: &[u8], value: &[u8]) -> Option<SdesItem> {
        let len = u8::try_from(prefix.len()).ok()?;
        let mut v = Vec::with_capacity(1 + prefix.len() + value.len());
        v.push(len);
        v.extend_from_slice(prefix);
        v.extend_from_slice(value);
        Some(SdesItem {
            kind: SdesType::Private,
            value: Bytes::from(v),
        })
    }

    /// For a PRIV item, its prefix and value; `None` for other types or
    /// when the prefix length runs past the item.
    #[must_use]
    pub fn private_parts(&self) -> Option<(Bytes, Bytes)> {
        if self.kind != SdesType::Private {
            return None;
        }
        let (&len, _) = self.value.split_first()?;
        let end = 1 + usize::from(len);
        if end > self.value.len() {
            return None;
        }
        Some((self.value.slice(1..end), self.value.slice(end..)))
    }
}

/// One SDES chunk: a source and its items.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SdesChunk {
    /// The SSRC or CSRC described.
    pub source: u32,
    /// The items, in order.
    pub items: Vec<SdesItem>,
}

impl SdesChunk {
    /// The first CNAME item's value.
    #[must_use]
    pub fn cname(&self) -> Option<&Bytes> {
        self.items
            .iter()
            .find(|i| i.kind == SdesType::Cname)
            .map(|i| &i.value)
    }

    pub(super) fn wire_len(&self) -> usize {
        let items: usize = self.items.iter().map(|i| 2 + i.value.len()).sum();
        // SSRC, items, at least one null octet, padded to 32 bits.
        (4 + items + 1).div_ceil(4) * 4
    }
}

/// A source description (SDES, packet type 202).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct SourceDescription {
    /// The chunks (at most 31).
    pub chunks: Vec<SdesChunk>,
}

impl SourceDescription {
    /// The body after the header (`count` chunks); `base` is its offset in
    /// the datagram.
    pub(super) fn parse_body(
        body_bytes: &Bytes,
        count: usize,
        base: usize,
    ) -> Result<SourceDescription, ParseError> {
        parse_sdes(body_bytes, count, base)
    }

    /// The header's count field and the packet's length.
    pub(super) fn layout(&self) -> Result<(u8, usize), WriteError> {
        for item in self.chunks.iter().flat_map(|c| &c.items) {
            if item.value.len() > 255 {
                return Err(WriteError::TooLong {
                    what: "SDES item",
                    len: item.value.len(),
                    max: 255,
                });
            }
        }
        Ok((
            count("SDES chunks", self.chunks.len())?,
            4 + self.chunks.iter().map(SdesChunk::wire_len).sum::<usize>(),
        ))
    }

    pub(super) fn put_body(&self, buf: &mut impl BufMut) {
        for chunk in &self.chunks {
            buf.put_u32(chunk.source);
            let mut written = 4;
            for item in &chunk.items {
                buf.put_u8(item.kind.to_u8());
                buf.put_u8(item.value.len() as u8);
                buf.put_slice(&item.value);
                written += 2 + item.value.len();
            }
            buf.put_bytes(0, chunk.wire_len() - written);
        }
    }
}

fn parse_sdes(
    body_bytes: &Bytes,
    count: usize,
    base: usize,
) -> Result<SourceDescription, ParseError> {
    let body = &body_bytes[..];
    let mut chunks = Vec::with_capacity(count.min(body.len() / 8));
    let mut pos = 0usize;
    for _ in 0..count {
        if pos + 4 > body.len() {
            return Err(malformed(
                base + pos,
                "SDES chunk count needs more bytes than the packet length gives",
            ));
        }
        let source = be32(body, pos);
        pos += 4;
        let mut items = Vec::new();
        loop {
            let Some(&kind) = body.get(pos) else {
                return Err(malformed(
                    base + pos,
                    "SDES item list not terminated by a null octet",
                ));
            };
            let Some(kind) = SdesType::from_u8(kind) else {
                // End of the item list: skip the null octets up to the next
                // 32-bit boundary.
                pos = (pos + 1).div_ceil(4) * 4;
                break;
            };
            let Some(&len) = body.get(pos + 1) else {
                return Err(malformed(base + pos, "SDES item without its length"));
            };
            let end = pos + 2 + usize::from(len);
            if end > body.len() {
                return Err(malformed(base + pos, "SDES item runs past the packet"));
            }
            items.push(SdesItem {
                kind,
                value: body_bytes.slice(pos + 2..end),
            });
            pos = end;
        }
        chunks.push(SdesChunk { source, items });
    }
    if pos < body.len() {
        return Err(malformed(base + pos, "bytes after the last SDES chunk"));
    }
    Ok(SourceDescription { chunks })
}
