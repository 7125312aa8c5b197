//! [`BufferList`]: output as a list of buffers, for vectored writes.

use bytes::{Bytes, BytesMut};

/// Bytes to send as a sequence of buffers: small box headers the muxer
/// wrote, and the samples' own [`Bytes`] as the `mdat` payload, never
/// copied.
///
/// Write the buffers in order (for example with
/// [`std::io::Write::write_vectored`] or one HTTP body chunk each), or call
/// [`BufferList::to_bytes`] for one contiguous copy.
///
/// ```
/// use bytes::Bytes;
/// use streamkit_core::buffer::BufferList;
///
/// let mut list = BufferList::new();
/// list.push(Bytes::from_static(b"head"));
/// list.push(Bytes::from_static(b"er"));
/// assert_eq!(list.len(), 6);
/// assert_eq!(list.buffers().len(), 2);
/// assert_eq!(list.to_bytes(), Bytes::from_static(b"header"));
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BufferList {
    buffers: Vec<Bytes>,
    len: u64,
}

impl BufferList {
    /// An empty list.
    #[must_use]
    pub fn new() -> BufferList {
        BufferList::default()
    }

    /// An empty list with room for `capacity` buffers.
    #[must_use]
    pub fn with_capacity(capacity: usize) -> BufferList {
        BufferList {
            buffers: Vec::with_capacity(capacity),
            len: 0,
        }
    }

    /// Appends a buffer (empty buffers are skipped).
    pub fn push(&mut self, buffer: Bytes) {
        if !buffer.is_empty() {
            self.len += buffer.len() as u64;
            self.buffers.push(buffer);
        }
    }

    /// Appends every buffer of `other`, in order.
    pub fn append(&mut self, other: BufferList) {
        self.len += other.len;
        self.buffers.extend(other.buffers);
    }

    /// The buffers, in order.
    #[must_use]
    pub fn buffers(&self) -> &[Bytes] {
        &self.buffers
    }

    /// The buffers, in order, by value.
    #[must_use]
    pub fn into_buffers(self) -> Vec<Bytes> {
        self.buffers
    }

    /// Total length in bytes.
    #[must_use]
    pub fn len(&self) -> u64 {
        self.len
    }

    /// `true` when the list holds no byte.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The bytes as one contiguous buffer (a single buffer is returned as
    /// is; several are copied once into a new buffer).
    #[must_use]
    pub fn to_bytes(&self) -> Bytes {
        match self.buffers.as_slice() {
            [] => Bytes::new(),
            [one] => one.clone(),
            many => {
                let mut out = BytesMut::with_capacity(usize::try_from(self.len).unwrap_or(0));
                for b in many {
                    out.extend_from_slice(b);
                }
                out.freeze()
            }
        }
    }
}

impl BufferList {
    /// The same bytes with every run of buffers shorter than `min_len`
    /// copied once into shared chunks of at least `min_len` bytes (the last
    /// may be shorter); buffers of `min_len` bytes or more are kept as they
    /// are, never copied. A response of sixty small box headers and samples
    /// becomes a few buffers to write.
    #[must_use]
    pub fn coalesce(self, min_len: usize) -> BufferList {
        if self.buffers.iter().all(|b| b.len() >= min_len) {
            return self;
        }
        let mut out = BufferList::with_capacity(self.buffers.len().min(16));
        let mut small = BytesMut::new();
        for b in self.buffers {
            if b.len() >= min_len {
                if !small.is_empty() {
                    out.push(small.split().freeze());
                }
                out.push(b);
            } else {
                small.extend_from_slice(&b);
                if small.len() >= min_len {
                    out.push(small.split().freeze());
                }
            }
        }
        if !small.is_empty() {
            out.push(small.freeze());
        }
        out
    }
}

impl From<Bytes> for BufferList {
    fn from(b: Bytes) -> BufferList {
        let mut list = BufferList::new();
        list.push(b);
        list
    }
}

impl IntoIterator for BufferList {
    type Item = Bytes;
    type IntoIter = std::vec::IntoIter<Bytes>;
    fn into_iter(self) -> Self::IntoIter {
        self.buffers.into_iter()
    }
}

impl<'a> IntoIterator for &'a BufferList {
    type Item = &'a Bytes;
    type IntoIter = core::slice::Iter<'a, Bytes>;
    fn into_iter(self) -> Self::IntoIter {
        self.buffers.iter()
    }
}
