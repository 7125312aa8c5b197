//! The bounded box reader: box headers and big-endian fields, every read
//! checked against the bytes present.

use super::error::{BoxPath, FourCc, Mp4Error};

/// One box: its type, where it is, and its payload (the bytes after the
/// header), borrowed from the file.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Mp4Box<'a> {
    pub(crate) kind: FourCc,
    pub(crate) path: BoxPath,
    /// Byte offset of the box header in the file.
    pub(crate) offset: u64,
    /// Byte offset of the payload in the file.
    pub(crate) payload_offset: u64,
    pub(crate) payload: &'a [u8],
}

impl<'a> Mp4Box<'a> {
    /// The boxes inside this one's payload.
    pub(crate) fn children(&self) -> BoxIter<'a> {
        BoxIter::new(self.payload, self.payload_offset, self.path)
    }

    /// The boxes inside this one, after `skip` bytes of fields.
    pub(crate) fn children_after(&self, skip: usize) -> Result<BoxIter<'a>, Mp4Error> {
        let mut r = self.fields();
        r.skip(skip, "fields before child boxes")?;
        Ok(BoxIter::new(r.rest(), r.offset(), self.path))
    }

    /// A field reader over the payload.
    pub(crate) fn fields(&self) -> FieldReader<'a> {
        FieldReader {
            buf: self.payload,
            pos: 0,
            base: self.payload_offset,
            path: self.path,
        }
    }

    /// The one child of type `kind`; `Ok(None)` when absent, an error when
    /// repeated or when the children are malformed.
    pub(crate) fn child(&self, kind: &[u8; 4]) -> Result<Option<Mp4Box<'a>>, Mp4Error> {
        find_one(self.children(), kind)
    }

    /// The one child of type `kind`, which must be present.
    pub(crate) fn require(&self, kind: &[u8; 4]) -> Result<Mp4Box<'a>, Mp4Error> {
        self.child(kind)?.ok_or_else(|| Mp4Error::MissingBox {
            path: self.path.child(FourCc(*kind)).unwrap_or(self.path),
        })
    }
}

/// The one box of type `kind` among `boxes`.
pub(crate) fn find_one<'a>(
    boxes: BoxIter<'a>,
    kind: &[u8; 4],
) -> Result<Option<Mp4Box<'a>>, Mp4Error> {
    let mut found: Option<Mp4Box<'a>> = None;
    for b in boxes {
        let b = b?;
        if b.kind.0 == *kind {
            if found.is_some() {
                return Err(Mp4Error::DuplicateBox {
                    path: b.path,
                    offset: b.offset,
                });
            }
            found = Some(b);
        }
    }
    Ok(found)
}

/// Iterates the boxes laid end to end in a byte range. Every box is at
/// least 8 bytes, so iteration always advances; after the first error it
/// stops.
#[derive(Clone, Debug)]
pub(crate) struct BoxIter<'a> {
    buf: &'a [u8],
    pos: usize,
    base: u64,
    parent: BoxPath,
    failed: bool,
}

impl<'a> BoxIter<'a> {
    /// The boxes in `buf`, which starts at byte `base` of the file, inside
    /// the box at `parent`.
    pub(crate) fn new(buf: &'a [u8], base: u64, parent: BoxPath) -> BoxIter<'a> {
        BoxIter {
            buf,
            pos: 0,
            base,
            parent,
            failed: false,
        }
    }

    fn read_box(&mut self) -> Result<Mp4Box<'a>, Mp4Error> {
        let rest = self.buf.get(self.pos..).unwrap_or(&[]);
        let offset = self.base + self.pos as u64;
        let available = rest.len() as u64;
        let truncated = |field, needed| Mp4Error::Truncated {
            path: self.parent,
            offset,
            field,
            needed,
            available,
        };
        let (head, _) = rest
            .split_first_chunk::<8>()
            .ok_or_else(|| truncated("box header", 8))?;
        let size32 = u32::from_be_bytes([head[0], head[1], head[2], head[3]]);
        let kind = FourCc([head[4], head[5], head[6], head[7]]);
        let path = self.parent.child(kind).ok_or(Mp4Error::TooDeep {
            path: self.parent,
            offset,
        })?;
        let (size, mut header) = match size32 {
            // Size 0: the box runs to the end of its parent (the file, for a
            // top-level box).
            0 => (available, 8u64),
            1 => {
                let large = rest
                    .get(8..16)
                    .and_then(|b| <[u8; 8]>::try_from(b).ok())
                    .ok_or_else(|| truncated("64-bit box size", 16))?;
                (u64::from_be_bytes(large), 16)
            }
            n => (u64::from(n), 8),
        };
        if kind.0 == *b"uuid" {
            header += 16;
        }
        if size < header || (size32 == 0 && available < header) {
            return Err(Mp4Error::BoxTooSmall {
                path,
                offset,
                size,
                header,
            });
        }
        if size > available {
            return Err(Mp4Error::BoxOutOfBounds {
                path,
                offset,
                size,
                available,
            });
        }
        // Both fit in `rest.len()`, a usize.
        let (size_us, header_us) = (size as usize, header as usize);
        let payload = rest.get(header_us..size_us).unwrap_or(&[]);
        self.pos += size_us;
        Ok(Mp4Box {
            kind,
            path,
            offset,
            payload_offset: offset + header,
            payload,
        })
    }
}

impl<'a> Iterator for BoxIter<'a> {
    type Item = Result<Mp4Box<'a>, Mp4Error>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed || self.pos >= self.buf.len() {
            return None;
        }
        let r = self.read_box();
        self.failed = r.is_err();
        Some(r)
    }
}

/// Reads big-endian fields from a box payload; each read checks the bytes
/// left and names the field in its error.
#[derive(Clone, Debug)]
pub(crate) struct FieldReader<'a> {
    buf: &'a [u8],
    pos: usize,
    base: u64,
    path: BoxPath,
}

impl<'a> FieldReader<'a> {
    /// Byte offset of the next field in the file.
    pub(crate) fn offset(&self) -> u64 {
        self.base + self.pos as u64
    }

    /// Bytes left.
    pub(crate) fn remaining(&self) -> usize {
        self.buf.len().saturating_sub(self.pos)
    }

    /// The bytes left, without consuming them.
    pub(crate) fn rest(&self) -> &'a [u8] {
        self.buf.get(self.pos..).unwrap_or(&[])
    }

    /// The box path, for errors.
    pub(crate) fn path(&self) -> BoxPath {
        self.path
    }

    pub(crate) fn take(&mut self, n: usize, field: &'static str) -> Result<&'a [u8], Mp4Error> {
        let end = self.pos.checked_add(n);
        match end.and_then(|end| self.buf.get(self.pos..end)) {
            Some(b) => {
                self.pos += n;
                Ok(b)
            }
            None => Err(Mp4Error::Truncated {
                path: self.path,
                offset: self.offset(),
                field,
                needed: n as u64,
                available: self.remaining() as u64,
            }),
        }
    }

    fn array<const N: usize>(&mut self, field: &'static str) -> Result<[u8; N], Mp4Error> {
        let b = self.take(N, field)?;
        let mut out = [0u8; N];
        out.copy_from_slice(b);
        Ok(out)
    }

    /// A reader over the next `n` bytes, which this one skips.
    pub(crate) fn sub_reader(
        &mut self,
        n: usize,
        field: &'static str,
    ) -> Result<FieldReader<'a>, Mp4Error> {
        let base = self.offset();
        let buf = self.take(n, field)?;
        Ok(FieldReader {
            buf,
            pos: 0,
            base,
            path: self.path,
        })
    }

    pub(crate) fn skip(&mut self, n: usize, field: &'static str) -> Result<(), Mp4Error> {
        self.take(n, field).map(|_| ())
    }

    pub(crate) fn u8(&mut self, field: &'static str) -> Result<u8, Mp4Error> {
        Ok(self.array::<1>(field)?[0])
    }

    pub(crate) fn u16(&mut self, field: &'static str) -> Result<u16, Mp4Error> {
        self.array(field).map(u16::from_be_bytes)
    }

    pub(crate) fn u32(&mut self, field: &'static str) -> Result<u32, Mp4Error> {
        self.array(field).map(u32::from_be_bytes)
    }

    pub(crate) fn i32(&mut self, field: &'static str) -> Result<i32, Mp4Error> {
        self.array(field).map(i32::from_be_bytes)
    }

    pub(crate) fn u64(&mut self, field: &'static str) -> Result<u64, Mp4Error> {
        self.array(field).map(u64::from_be_bytes)
    }

    pub(crate) fn i64(&mut self, field: &'static str) -> Result<i64, Mp4Error> {
        self.array(field).map(i64::from_be_bytes)
    }

    pub(crate) fn fourcc(&mut self, field: &'static str) -> Result<FourCc, Mp4Error> {
        self.array(field).map(FourCc)
    }

    /// A full box's version and flags.
    pub(crate) fn version_flags(&mut self) -> Result<(u8, u32), Mp4Error> {
        let v = self.u32("version and flags")?;
        Ok(((v >> 24) as u8, v & 0x00ff_ffff))
    }

    /// An error about the field that starts at `offset`.
    pub(crate) fn invalid(
        &self,
        offset: u64,
        field: &'static str,
        value: u64,
        reason: &'static str,
    ) -> Mp4Error {
        Mp4Error::InvalidField {
            path: self.path,
            offset,
            field,
            value,
            reason,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nesting_deeper_than_the_limit_is_refused() {
        let mut path = BoxPath::ROOT;
        for _ in 0..super::super::error::MAX_BOX_DEPTH {
            path = path.child(FourCc(*b"moov")).unwrap_or(path);
        }
        let free = [0, 0, 0, 8, b'f', b'r', b'e', b'e'];
        let mut boxes = BoxIter::new(&free, 100, path);
        assert!(matches!(
            boxes.next(),
            Some(Err(Mp4Error::TooDeep { offset: 100, .. }))
        ));
        assert!(boxes.next().is_none());
    }

    #[test]
    fn boxes_always_advance() {
        // 8-byte boxes back to back, then a zero-size box to the end.
        let mut buf = Vec::new();
        for _ in 0..1000 {
            buf.extend_from_slice(&[0, 0, 0, 8, b'f', b'r', b'e', b'e']);
        }
        buf.extend_from_slice(&[0, 0, 0, 0, b's', b'k', b'i', b'p', 1, 2, 3]);
        let boxes: Vec<_> = BoxIter::new(&buf, 0, BoxPath::ROOT).collect();
        assert_eq!(boxes.len(), 1001);
        let last = boxes
            .last()
            .and_then(|b| b.as_ref().ok())
            .map(|b| b.payload);
        assert_eq!(last, Some(&[1u8, 2, 3][..]));
    }
}
