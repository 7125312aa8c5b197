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
    /// The same bytes in fewer buffers: each run of buffers shorter than
    /// `min_len` (box headers, short samples) is copied once into a shared
    /// buffer of at least `min_len` bytes (or the run's length, at the end
    /// of the list or before a large buffer); buffers of `min_len` bytes or
    /// more are shared, not copied, and so is a run of a single small
    /// buffer. A segment of sixty buffers becomes a few writes.
    ///
    /// ```
    /// use bytes::Bytes;
    /// use streamkit_core::buffer::BufferList;
    ///
    /// let large = Bytes::from(vec![7u8; 32 * 1024]);
    /// let mut list = BufferList::new();
    /// for _ in 0..20 {
    ///     list.push(Bytes::from_static(b"moof"));
    /// }
    /// list.push(large.clone());
    /// let fewer = list.coalesce(16 * 1024);
    /// assert_eq!(fewer.buffers().len(), 2); // 80 small bytes, the large buffer
    /// assert_eq!(fewer.to_bytes(), list.to_bytes());
    /// assert_eq!(fewer.buffers()[1].as_ptr(), large.as_ptr()); // not copied
    /// ```
    #[must_use]
    pub fn coalesce(&self, min_len: usize) -> BufferList {
        let mut out = BufferList::with_capacity(self.buffers.len().min(16));
        // The current run of small buffers: its first buffer (kept as is
        // when the run ends at one buffer) and, from the second on, the
        // copy of the run.
        let mut first: Option<Bytes> = None;
        let mut copy = BytesMut::new();
        for b in &self.buffers {
            if b.len() >= min_len {
                flush_run(&mut out, &mut first, &mut copy);
                out.push(b.clone());
                continue;
            }
            match first.take() {
                None if copy.is_empty() => first = Some(b.clone()),
                None => copy.extend_from_slice(b),
                Some(f) => {
                    // A run copies at most `min_len` plus one buffer, and
                    // never more than the whole list.
                    let total = usize::try_from(self.len).unwrap_or(usize::MAX);
                    copy.reserve(min_len.min(total).max(f.len() + b.len()));
                    copy.extend_from_slice(&f);
                    copy.extend_from_slice(b);
                }
            }
            if copy.len() >= min_len {
                out.push(copy.split().freeze());
            }
        }
        flush_run(&mut out, &mut first, &mut copy);
        out
    }
}

/// Ends a run of small buffers in [`BufferList::coalesce`].
fn flush_run(out: &mut BufferList, first: &mut Option<Bytes>, copy: &mut BytesMut) {
    if let Some(f) = first.take() {
        out.push(f);
    } else if !copy.is_empty() {
        out.push(copy.split().freeze());
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

#[cfg(test)]
mod tests {
    use super::BufferList;
    use bytes::Bytes;

    const MIN: usize = 16 * 1024;

    /// 40 buffers of 1000 bytes, one of `MIN` bytes, a 4-byte tail.
    fn segment() -> (BufferList, Bytes) {
        let mut list = BufferList::new();
        for i in 0..40u8 {
            list.push(Bytes::from(vec![i; 1000]));
        }
        let large = Bytes::from(vec![0xaa; MIN]);
        list.push(large.clone());
        list.push(Bytes::from_static(b"tail"));
        (list, large)
    }

    #[test]
    fn small_runs_are_copied_once_and_large_buffers_shared() {
        let (list, large) = segment();
        let fewer = list.coalesce(MIN);
        assert_eq!(fewer.to_bytes(), list.to_bytes());
        assert_eq!(fewer.len(), list.len());
        // 17 000 + 17 000 + 6 000 small bytes, the large buffer, the tail
        // (a run of one: shared).
        let lens: Vec<usize> = fewer.buffers().iter().map(Bytes::len).collect();
        assert_eq!(lens, [17_000, 17_000, 6_000, MIN, 4]);
        assert_eq!(fewer.buffers()[3].as_ptr(), large.as_ptr());
        assert_eq!(fewer.buffers()[4].as_ptr(), list.buffers()[41].as_ptr());
        for copied in &fewer.buffers()[..3] {
            assert!(list.buffers().iter().all(|b| b.as_ptr() != copied.as_ptr()));
        }
    }

    #[test]
    fn a_list_of_large_buffers_is_shared_whole() {
        let a = Bytes::from(vec![1u8; MIN]);
        let b = Bytes::from(vec![2u8; 2 * MIN]);
        let mut list = BufferList::new();
        list.push(a.clone());
        list.push(b.clone());
        let same = list.coalesce(MIN);
        assert_eq!(same.buffers().len(), 2);
        assert_eq!(same.buffers()[0].as_ptr(), a.as_ptr());
        assert_eq!(same.buffers()[1].as_ptr(), b.as_ptr());
        assert!(BufferList::new().coalesce(MIN).is_empty());
        // Every buffer small: one copy of all of them, whatever the bound.
        let all = list.coalesce(usize::MAX);
        assert_eq!(all.buffers().len(), 1);
        assert_eq!(all.to_bytes(), list.to_bytes());
    }

    #[test]
    fn a_single_small_buffer_between_large_ones_is_not_copied() {
        let small = Bytes::from_static(b"moof");
        let mut list = BufferList::new();
        list.push(Bytes::from(vec![1u8; MIN]));
        list.push(small.clone());
        list.push(Bytes::from(vec![2u8; MIN]));
        let out = list.coalesce(MIN);
        assert_eq!(out.buffers().len(), 3);
        assert_eq!(out.buffers()[1].as_ptr(), small.as_ptr());
    }
}
