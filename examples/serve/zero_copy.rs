//! Zero-copy sends of the VOD resources, as nginx's `sendfile on` does.
//!
//! Writing a response from memory makes the kernel copy every byte into
//! the socket: half of serve's CPU under load went there (`perf`:
//! `_copy_from_iter`). At start-up each VOD package's resources are also
//! written, once, to one unlinked temporary file, and the memory of each of
//! their buffers is recorded with where its bytes lie in the file. A write
//! of such a buffer (a response body is the package's own buffers, or
//! slices of them for a range) then goes out with `sendfile(2)` from the
//! file: the kernel hands the file's page-cache pages to the socket.
//!
//! A buffer is recognised by its address. That is sound because the store
//! keeps a handle ([`Bytes`]) to every buffer it records: recorded memory
//! is never freed, so no other data can ever live at a recorded address,
//! and the file holds exactly the bytes the memory holds (both are
//! immutable). The cost: the VOD resources are in the page cache besides
//! memory (the kernel may drop clean pages and read them back).

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Mutex, OnceLock, PoisonError};

use bytes::Bytes;
use streamkit::core::buffer::BufferList;

/// Where the bytes of recorded memory lie in the file.
struct Region {
    len: usize,
    offset: u64,
}

/// The file and what of memory it holds.
pub(crate) struct Store {
    file: File,
    /// Start address of each recorded buffer.
    regions: BTreeMap<usize, Region>,
    /// The recorded buffers, kept so their memory is never freed.
    _kept: Vec<Bytes>,
}

impl Store {
    /// Where `buf`'s bytes lie in the file, if they are recorded memory.
    fn find(&self, buf: &[u8]) -> Option<u64> {
        let at = buf.as_ptr() as usize;
        let (start, region) = self.regions.range(..=at).next_back()?;
        let into = at - start;
        (into + buf.len() <= region.len).then(|| region.offset + into as u64)
    }

    /// The file.
    pub(crate) fn file(&self) -> &File {
        &self.file
    }

    /// The leading run of `bufs` that is recorded and lies contiguous in
    /// the file: its offset and length; `None` when `bufs` starts with
    /// memory that is not recorded (or is empty).
    pub(crate) fn leading_run(&self, bufs: &[io::IoSlice<'_>]) -> Option<(u64, usize)> {
        let mut bufs = bufs.iter().filter(|b| !b.is_empty());
        let first = bufs.next()?;
        let offset = self.find(first)?;
        let mut len = first.len();
        for b in bufs {
            if self.find(b) != Some(offset + len as u64) {
                break;
            }
            len += b.len();
        }
        Some((offset, len))
    }

    /// How many of `bufs` come before the first recorded one.
    pub(crate) fn plain_prefix(&self, bufs: &[io::IoSlice<'_>]) -> usize {
        bufs.iter()
            .position(|b| !b.is_empty() && self.find(b).is_some())
            .unwrap_or(bufs.len())
    }
}

/// How much of the file is written at once at start-up. The page cache
/// keeps a file written in large writes in large folios, which
/// `sendfile(2)` finds with a few look-ups where a file written one
/// buffer at a time (many under 16 KiB) takes a look-up per 4 KiB page:
/// `perf` put 7 % of serve's CPU under load in `filemap_get_read_batch`,
/// against 0.9 % for nginx sending the same bytes from files written
/// whole.
const WRITE_BYTES: usize = 2 * 1024 * 1024;

/// The store being filled at start-up.
struct Builder {
    file: BufWriter<File>,
    written: u64,
    regions: BTreeMap<usize, Region>,
    kept: Vec<Bytes>,
}

static BUILDER: Mutex<Option<Builder>> = Mutex::new(None);
static STORE: OnceLock<Option<Store>> = OnceLock::new();

impl Builder {
    /// An empty store writing to `file`.
    fn new(file: File) -> Builder {
        Builder {
            file: BufWriter::with_capacity(WRITE_BYTES, file),
            written: 0,
            regions: BTreeMap::new(),
            kept: Vec::new(),
        }
    }

    /// Writes each buffer of `body` not recorded yet to the file and
    /// records where it went.
    fn record(&mut self, body: &BufferList) -> io::Result<()> {
        for buf in body.buffers() {
            let at = buf.as_ptr() as usize;
            if buf.is_empty() || self.regions.contains_key(&at) {
                continue;
            }
            self.file.write_all(buf)?;
            self.regions.insert(
                at,
                Region {
                    len: buf.len(),
                    offset: self.written,
                },
            );
            self.written += buf.len() as u64;
            self.kept.push(buf.clone());
        }
        Ok(())
    }

    /// The store of what was recorded, once the file holds it all.
    fn freeze(self) -> io::Result<Store> {
        Ok(Store {
            file: self
                .file
                .into_inner()
                .map_err(io::IntoInnerError::into_error)?,
            regions: self.regions,
            _kept: self.kept,
        })
    }
}

/// Records `body` (a complete, immutable resource that lives as long as
/// the server): its bytes go to the file, its buffers into the store.
/// Failures to write leave everything to be sent from memory.
pub(crate) fn record(body: &BufferList) {
    let mut builder = BUILDER.lock().unwrap_or_else(PoisonError::into_inner);
    if builder.is_none() {
        match temp_file() {
            Ok(file) => *builder = Some(Builder::new(file)),
            Err(e) => {
                tracing::debug!("zero-copy store: {e}; sending from memory");
                return;
            }
        }
    }
    let Some(b) = builder.as_mut() else { return };
    if let Err(e) = b.record(body) {
        tracing::debug!("zero-copy store: {e}; sending from memory");
        *builder = None;
    }
}

/// Freezes what was recorded; call once, before serving.
pub(crate) fn freeze() {
    let builder = BUILDER
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .take();
    let store = builder.and_then(|b| match b.freeze() {
        Ok(s) => Some(s),
        Err(e) => {
            tracing::debug!("zero-copy store: {e}; sending from memory");
            None
        }
    });
    if let Some(s) = &store {
        tracing::debug!(
            "zero-copy store: {} buffers, {} bytes",
            s.regions.len(),
            s.regions.values().map(|r| r.len).sum::<usize>()
        );
    }
    let _ = STORE.set(store);
}

/// The store, once frozen.
pub(crate) fn store() -> Option<&'static Store> {
    STORE.get().and_then(Option::as_ref)
}

/// A new file in the temporary directory, removed from it at once (it
/// lives while open).
fn temp_file() -> io::Result<File> {
    static MADE: AtomicU32 = AtomicU32::new(0);
    let path = std::env::temp_dir().join(format!(
        "serve-vod-{}-{}.bin",
        std::process::id(),
        MADE.fetch_add(1, Ordering::Relaxed)
    ));
    let file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create_new(true)
        .open(&path)?;
    std::fs::remove_file(&path)?;
    Ok(file)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::FileExt;

    /// `bufs` as a writer's vectored slices.
    fn io<'a>(bufs: &[&'a [u8]]) -> Vec<io::IoSlice<'a>> {
        bufs.iter().map(|b| io::IoSlice::new(b)).collect()
    }

    /// What the file holds at `offset`, `len` bytes.
    fn file_bytes(store: &Store, offset: u64, len: usize) -> Vec<u8> {
        let mut out = vec![0; len];
        store.file().read_exact_at(&mut out, offset).unwrap();
        out
    }

    #[test]
    fn recorded_buffers_and_their_slices_are_found_in_the_file() {
        let a = Bytes::from((0..=255u8).cycle().take(5000).collect::<Vec<_>>());
        let b = Bytes::from(vec![7u8; 300]);
        let c = Bytes::from_static(b"moof mdat");
        let mut first = BufferList::new();
        first.push(a.clone());
        first.push(b.clone());
        let mut second = BufferList::new();
        second.push(b.clone()); // recorded once
        second.push(c.clone());
        let mut builder = Builder::new(temp_file().unwrap());
        builder.record(&first).unwrap();
        builder.record(&second).unwrap();
        let store = builder.freeze().unwrap();
        assert_eq!(store.regions.len(), 3);

        for (buf, offset) in [(&a, 0), (&b, 5000), (&c, 5300)] {
            assert_eq!(store.find(buf), Some(offset));
            assert_eq!(file_bytes(&store, offset, buf.len()), &buf[..]);
        }
        // A range's slice of a buffer lies inside its region.
        let range = a.slice(1000..3000);
        assert_eq!(store.find(&range), Some(1000));
        assert_eq!(file_bytes(&store, 1000, 2000), &range[..]);
        // The same bytes elsewhere in memory are not recorded memory.
        let copy = a.to_vec();
        assert_eq!(store.find(&copy), None);
        // Nor is a slice running past its buffer's end.
        assert_eq!(store.find(&b.slice(..)[..]), Some(5000));
        let wider = [&a[4990..], &b[..]].concat();
        assert_eq!(store.find(&wider), None);
    }

    #[test]
    fn runs_stop_where_the_file_is_not_contiguous_or_memory_is_plain() {
        let a = Bytes::from(vec![1u8; 100]);
        let b = Bytes::from(vec![2u8; 200]);
        let c = Bytes::from(vec![3u8; 50]);
        let mut body = BufferList::new();
        body.push(a.clone());
        body.push(b.clone());
        body.push(c.clone());
        let mut builder = Builder::new(temp_file().unwrap());
        builder.record(&body).unwrap();
        let store = builder.freeze().unwrap();
        let head = b"HTTP/1.1 200 OK\r\n\r\n".to_vec();

        // Head first: sent from memory, up to the first recorded buffer.
        let bufs = io(&[&head, &a, &b]);
        assert_eq!(store.plain_prefix(&bufs), 1);
        assert_eq!(store.leading_run(&bufs), None);
        // a, b, c lie one after the other in the file: one sendfile.
        let bufs = io(&[&a, &b, &c, &head]);
        assert_eq!(store.plain_prefix(&bufs), 0);
        assert_eq!(store.leading_run(&bufs), Some((0, 350)));
        // a then c: not contiguous in the file, the run is a alone.
        let bufs = io(&[&a, &c]);
        assert_eq!(store.leading_run(&bufs), Some((0, 100)));
        // A slice of b then c: contiguous.
        let bufs = io(&[&b[150..], &c]);
        assert_eq!(store.leading_run(&bufs), Some((250, 100)));
        // Nothing recorded.
        let bufs = io(&[&head]);
        assert_eq!(store.plain_prefix(&bufs), 1);
        assert_eq!(store.leading_run(&bufs), None);
    }
}
