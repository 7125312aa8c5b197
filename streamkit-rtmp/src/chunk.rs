//! The chunk stream: messages cut into chunks on the wire, and put back
//! together.
//!
//! A chunk is a basic header (format and chunk stream id, 1 to 3 bytes),
//! a message header of type 0 (11 bytes: absolute timestamp, length, type,
//! stream id), 1 (7 bytes: timestamp delta, length, type), 2 (3 bytes:
//! delta) or 3 (none), an extended timestamp when the 24-bit field is
//! 0xffffff, and up to the chunk size of data. Chunks of different chunk
//! streams interleave.
//!
//! Rules this module keeps, each tested:
//!
//! - A type-3 chunk repeats the extended timestamp when the header it
//!   continues had one (RTMP 1.0, 5.3.1.3). On a continuation chunk the
//!   4 bytes are read only when they equal the expected value, so peers
//!   that do not repeat it are read right too.
//! - Timestamps are 32-bit and wrap; deltas add modulo 2^32. A type-3
//!   chunk that starts a message after a type-0 one uses the type-0
//!   timestamp as its delta (5.3.1.2.4).
//! - The chunk size is per direction: [`ChunkDecoder`] applies the
//!   peer's Set Chunk Size as it reads it; [`ChunkEncoder`] has its own.
//!   A size of 0 or over [`ChunkLimits::max_chunk_size`] is a protocol
//!   error.
//! - Abort drops the message being assembled on its chunk stream.
//! - Bounds ([`ChunkLimits`]): message size, chunk streams, bytes of
//!   partial messages held. A peer over one gets a [`ChunkError`].
//! - A first chunk of type 1 on a chunk stream never seen takes stream id
//!   0 and timestamp 0 as its base (some services start chunk streams
//!   that way).
//!
//! ```
//! use bytes::Bytes;
//! use streamkit_rtmp::chunk::{ChunkDecoder, ChunkEncoder, ChunkLimits, Message};
//!
//! let message = Message {
//!     csid: 6, timestamp: 0x0100_0000, type_id: 9, stream_id: 1,
//!     payload: Bytes::from(vec![7u8; 300]),
//! };
//! let mut encoder = ChunkEncoder::new();
//! let mut wire = Vec::new();
//! encoder.encode(&message, &[], &mut |b: Bytes| wire.extend_from_slice(&b))?;
//! let mut decoder = ChunkDecoder::new(ChunkLimits::default());
//! decoder.push(&wire);
//! assert_eq!(decoder.poll_message()?, Some(message));
//! assert_eq!(decoder.poll_message()?, None);
//! # Ok::<(), streamkit_rtmp::chunk::ChunkError>(())
//! ```

use bytes::{Buf, BufMut, Bytes, BytesMut};

/// The chunk size both directions start with.
pub const DEFAULT_CHUNK_SIZE: usize = 128;
/// The largest chunk size the 31-bit Set Chunk Size field can carry.
pub const MAX_CHUNK_SIZE_FIELD: u32 = 0x7fff_ffff;
/// The largest message the 24-bit length field describes.
pub const MAX_MESSAGE_LEN: usize = 0x00ff_ffff;
/// Message type of Set Chunk Size.
pub const SET_CHUNK_SIZE: u8 = 1;
/// Message type of Abort.
pub const ABORT: u8 = 2;

const EXTENDED: u32 = 0x00ff_ffff;
/// The largest chunk stream id (3-byte basic header).
const MAX_CSID: u32 = 65_599;
/// Arena blocks for message assembly and input.
const BLOCK: usize = 64 * 1024;

/// What one RTMP message is: a chunk stream, a timestamp, a type, a
/// message stream and a payload.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Message {
    /// The chunk stream it travelled on (2 for protocol control).
    pub csid: u32,
    /// Milliseconds, 32 bits (wraps).
    pub timestamp: u32,
    /// The message type id (1-6 protocol control, 8 audio, 9 video,
    /// 15-20 data, shared object and command messages, 22 aggregate).
    pub type_id: u8,
    /// The message stream (0 for the connection).
    pub stream_id: u32,
    /// The payload: a slice of the input for a message in one chunk,
    /// assembled once otherwise.
    pub payload: Bytes,
}

/// Bounds on what a peer can make a [`ChunkDecoder`] hold.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ChunkLimits {
    /// The largest message (its length field).
    pub max_message_size: usize,
    /// The most chunk streams one connection uses.
    pub max_chunk_streams: usize,
    /// The most bytes of partial messages held across chunk streams.
    pub max_buffered_bytes: usize,
    /// The largest chunk size a peer may set.
    pub max_chunk_size: u32,
}

impl Default for ChunkLimits {
    /// Messages of 8 MiB, 64 chunk streams, 16 MiB of partial messages,
    /// chunk sizes up to 16 MiB.
    fn default() -> Self {
        ChunkLimits {
            max_message_size: 8 << 20,
            max_chunk_streams: 64,
            max_buffered_bytes: 16 << 20,
            max_chunk_size: 16 << 20,
        }
    }
}

impl ChunkLimits {
    /// These limits with another largest message.
    #[must_use]
    pub fn with_max_message_size(mut self, size: usize) -> ChunkLimits {
        self.max_message_size = size;
        self
    }

    /// These limits with another number of chunk streams.
    #[must_use]
    pub fn with_max_chunk_streams(mut self, n: usize) -> ChunkLimits {
        self.max_chunk_streams = n;
        self
    }

    /// These limits with another bound on partial messages.
    #[must_use]
    pub fn with_max_buffered_bytes(mut self, n: usize) -> ChunkLimits {
        self.max_buffered_bytes = n;
        self
    }
}

/// Why the chunk stream cannot go on: the connection must close.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ChunkError {
    /// A message longer than [`ChunkLimits::max_message_size`].
    #[error(
        "chunk stream {csid}: a message of {len} bytes at input byte {offset}, over the limit of {limit}"
    )]
    MessageTooLarge {
        /// The chunk stream.
        csid: u32,
        /// The length field.
        len: usize,
        /// The limit.
        limit: usize,
        /// Input byte offset of the chunk.
        offset: u64,
    },
    /// More chunk streams than [`ChunkLimits::max_chunk_streams`].
    #[error("chunk stream {csid} at input byte {offset}: more than {limit} chunk streams")]
    TooManyChunkStreams {
        /// The new chunk stream.
        csid: u32,
        /// The limit.
        limit: usize,
        /// Input byte offset.
        offset: u64,
    },
    /// Partial messages over [`ChunkLimits::max_buffered_bytes`].
    #[error("more than {limit} bytes of partial messages at input byte {offset}")]
    BufferedTooMuch {
        /// The limit.
        limit: usize,
        /// Input byte offset.
        offset: u64,
    },
    /// A Set Chunk Size of 0, with the reserved bit, or over the limit.
    #[error("Set Chunk Size {size} at input byte {offset}: must be 1 to {limit}")]
    InvalidChunkSize {
        /// The size asked for.
        size: u32,
        /// The limit.
        limit: u32,
        /// Input byte offset.
        offset: u64,
    },
    /// A chunk of type 1, 2 or 3 on a chunk stream whose earlier header
    /// it needs was never sent.
    #[error(
        "chunk stream {csid}: a type-{format} chunk at input byte {offset} with no earlier header"
    )]
    NoPreviousHeader {
        /// The chunk stream.
        csid: u32,
        /// The chunk format (1-3).
        format: u8,
        /// Input byte offset.
        offset: u64,
    },
    /// A control message with a payload too short for it.
    #[error("{what} at input byte {offset}: {len} bytes, too short")]
    ShortControl {
        /// The message.
        what: &'static str,
        /// Its length.
        len: usize,
        /// Input byte offset.
        offset: u64,
    },
    /// A message to write over the 24-bit length or with an invalid
    /// chunk stream id.
    #[error("cannot write {what}: {value}")]
    Unwritable {
        /// What.
        what: &'static str,
        /// The value.
        value: u64,
    },
}

#[derive(Debug)]
struct InStream {
    csid: u32,
    timestamp: u32,
    delta: u32,
    length: usize,
    type_id: u8,
    stream_id: u32,
    /// The last header's timestamp field was extended; its value.
    extended: Option<u32>,
    /// The message being assembled, when it spans chunks.
    partial: Option<BytesMut>,
    /// Bytes of the message received so far.
    received: usize,
}

/// Chunks in, messages out.
///
/// [`ChunkDecoder::push`] bytes as they arrive, then
/// [`ChunkDecoder::poll_message`] until `Ok(None)`. Set Chunk Size and
/// Abort take effect as they are read (and are given out too, for the
/// session to see).
#[derive(Debug)]
pub struct ChunkDecoder {
    limits: ChunkLimits,
    chunk_size: usize,
    streams: Vec<InStream>,
    input: BytesMut,
    /// Bytes of input consumed so far (for error offsets).
    consumed: u64,
    buffered: usize,
    /// Spare capacity for assembling messages.
    arena: BytesMut,
}

impl ChunkDecoder {
    /// A decoder at the default chunk size.
    #[must_use]
    pub fn new(limits: ChunkLimits) -> ChunkDecoder {
        ChunkDecoder {
            limits,
            chunk_size: DEFAULT_CHUNK_SIZE,
            streams: Vec::new(),
            input: BytesMut::new(),
            consumed: 0,
            buffered: 0,
            arena: BytesMut::new(),
        }
    }

    /// The peer's chunk size now.
    #[must_use]
    pub fn chunk_size(&self) -> usize {
        self.chunk_size
    }

    /// Bytes pushed but not yet read into messages.
    #[must_use]
    pub fn pending_input(&self) -> usize {
        self.input.len()
    }

    /// Appends received bytes.
    pub fn push(&mut self, data: &[u8]) {
        if self.input.capacity() - self.input.len() < data.len() {
            self.input.reserve(data.len().max(BLOCK));
        }
        self.input.extend_from_slice(data);
    }

    /// The next complete message, `Ok(None)` when more input is needed.
    ///
    /// # Errors
    ///
    /// [`ChunkError`]: the stream is broken or a bound was exceeded;
    /// nothing more can be read from this connection.
    pub fn poll_message(&mut self) -> Result<Option<Message>, ChunkError> {
        loop {
            match self.next_chunk()? {
                Step::Incomplete => return Ok(None),
                Step::Chunk => {}
                Step::Message(m) => {
                    if m.stream_id == 0 && m.type_id == SET_CHUNK_SIZE {
                        self.apply_chunk_size(&m)?;
                    } else if m.stream_id == 0 && m.type_id == ABORT {
                        self.apply_abort(&m)?;
                    }
                    return Ok(Some(m));
                }
            }
        }
    }

    fn apply_chunk_size(&mut self, m: &Message) -> Result<(), ChunkError> {
        let offset = self.consumed;
        let b = m.payload.get(..4).ok_or(ChunkError::ShortControl {
            what: "Set Chunk Size",
            len: m.payload.len(),
            offset,
        })?;
        let size = u32::from_be_bytes([b[0], b[1], b[2], b[3]]);
        if size == 0 || size > MAX_CHUNK_SIZE_FIELD || size > self.limits.max_chunk_size {
            return Err(ChunkError::InvalidChunkSize {
                size,
                limit: self.limits.max_chunk_size.min(MAX_CHUNK_SIZE_FIELD),
                offset,
            });
        }
        self.chunk_size = size as usize;
        Ok(())
    }

    fn apply_abort(&mut self, m: &Message) -> Result<(), ChunkError> {
        let b = m.payload.get(..4).ok_or(ChunkError::ShortControl {
            what: "Abort",
            len: m.payload.len(),
            offset: self.consumed,
        })?;
        let csid = u32::from_be_bytes([b[0], b[1], b[2], b[3]]);
        if let Some(s) = self.streams.iter_mut().find(|s| s.csid == csid) {
            if let Some(p) = s.partial.take() {
                self.buffered -= p.len();
            }
            s.received = 0;
        }
        Ok(())
    }

    fn next_chunk(&mut self) -> Result<Step, ChunkError> {
        let input = &self.input[..];
        let Some(&b0) = input.first() else {
            return Ok(Step::Incomplete);
        };
        let format = b0 >> 6;
        let (csid, mut pos) = match b0 & 0x3f {
            0 => match input.get(1) {
                Some(&b1) => (64 + u32::from(b1), 2),
                None => return Ok(Step::Incomplete),
            },
            1 => match (input.get(1), input.get(2)) {
                (Some(&b1), Some(&b2)) => (64 + u32::from(b1) + 256 * u32::from(b2), 3),
                _ => return Ok(Step::Incomplete),
            },
            id => (u32::from(id), 1),
        };
        let header_len = [11, 7, 3, 0][usize::from(format)];
        let Some(header) = input.get(pos..pos + header_len) else {
            return Ok(Step::Incomplete);
        };
        let u24 = |b: &[u8]| u32::from_be_bytes([0, b[0], b[1], b[2]]);
        let field = (header_len > 0).then(|| u24(&header[..3]));
        pos += header_len;
        let index = self.streams.iter().position(|s| s.csid == csid);
        let offset = self.consumed;
        if index.is_none() && format >= 2 {
            return Err(ChunkError::NoPreviousHeader {
                csid,
                format,
                offset,
            });
        }
        let continuing = index
            .is_some_and(|i| self.streams[i].partial.is_some() || self.streams[i].received > 0);
        // The extended timestamp.
        let extended = match field {
            Some(EXTENDED) => {
                let Some(b) = input.get(pos..pos + 4) else {
                    return Ok(Step::Incomplete);
                };
                pos += 4;
                Some(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
            }
            Some(_) => None,
            None => {
                // Type 3: repeated when the header it continues had one.
                match index.and_then(|i| self.streams[i].extended) {
                    Some(expected) => match input.get(pos..pos + 4) {
                        None => return Ok(Step::Incomplete),
                        Some(b) => {
                            let v = u32::from_be_bytes([b[0], b[1], b[2], b[3]]);
                            if !continuing || v == expected {
                                pos += 4;
                            }
                            Some(v)
                        }
                    },
                    None => None,
                }
            }
        };
        // The header's fields.
        let (length, type_id, stream_id) = match format {
            0 => (
                u24(&header[3..6]) as usize,
                header[6],
                u32::from_le_bytes([header[7], header[8], header[9], header[10]]),
            ),
            1 => (
                u24(&header[3..6]) as usize,
                header[6],
                index.map_or(0, |i| self.streams[i].stream_id),
            ),
            _ => {
                let s = &self.streams[index.unwrap_or(0)];
                (s.length, s.type_id, s.stream_id)
            }
        };
        if length > self.limits.max_message_size {
            return Err(ChunkError::MessageTooLarge {
                csid,
                len: length,
                limit: self.limits.max_message_size,
                offset,
            });
        }
        let i = match index {
            Some(i) => i,
            None => {
                if self.streams.len() >= self.limits.max_chunk_streams {
                    return Err(ChunkError::TooManyChunkStreams {
                        csid,
                        limit: self.limits.max_chunk_streams,
                        offset,
                    });
                }
                self.streams.push(InStream {
                    csid,
                    timestamp: 0,
                    delta: 0,
                    length: 0,
                    type_id: 0,
                    stream_id: 0,
                    extended: None,
                    partial: None,
                    received: 0,
                });
                self.streams.len() - 1
            }
        };
        let received = self.streams[i].received;
        let remaining = if format == 3 && continuing {
            self.streams[i].length - received
        } else {
            length
        };
        let n = remaining.min(self.chunk_size);
        if self.input.len() < pos + n {
            return Ok(Step::Incomplete);
        }
        // The whole chunk is here: commit.
        let s = &mut self.streams[i];
        let starts = !(format == 3 && continuing);
        if starts {
            if received > 0 {
                // A new header in the middle of a message: the rest of
                // the old one is lost (as an Abort would); the peer broke
                // the stream, but the new message is read.
                if let Some(p) = s.partial.take() {
                    self.buffered -= p.len();
                }
            }
            let value = extended.or(field).unwrap_or(0);
            match format {
                0 => {
                    s.timestamp = value;
                    s.delta = value;
                    s.extended = extended;
                }
                1 | 2 => {
                    s.delta = value;
                    s.timestamp = s.timestamp.wrapping_add(value);
                    s.extended = extended;
                }
                _ => {
                    s.timestamp = s.timestamp.wrapping_add(s.delta);
                }
            }
            s.length = length;
            s.type_id = type_id;
            s.stream_id = stream_id;
            s.received = 0;
        }
        self.input.advance(pos);
        self.consumed += pos as u64;
        let data = self.input.split_to(n);
        self.consumed += n as u64;
        let s = &mut self.streams[i];
        let total = s.length;
        if s.received == 0 && n == total {
            // A message in one chunk: its payload is a slice of the input.
            return Ok(Step::Message(Message {
                csid,
                timestamp: s.timestamp,
                type_id: s.type_id,
                stream_id: s.stream_id,
                payload: data.freeze(),
            }));
        }
        let partial = match s.partial.as_mut() {
            Some(p) => p,
            None => {
                if self.arena.capacity() < total {
                    self.arena.reserve(total.max(BLOCK));
                }
                s.partial = Some(self.arena.split_off(0));
                let Some(p) = s.partial.as_mut() else {
                    return Ok(Step::Chunk);
                };
                p
            }
        };
        self.buffered += n;
        if self.buffered > self.limits.max_buffered_bytes {
            return Err(ChunkError::BufferedTooMuch {
                limit: self.limits.max_buffered_bytes,
                offset: self.consumed,
            });
        }
        partial.extend_from_slice(&data);
        s.received += n;
        if s.received < total {
            return Ok(Step::Chunk);
        }
        let mut p = s.partial.take().unwrap_or_default();
        self.buffered -= p.len();
        s.received = 0;
        let payload = p.split().freeze();
        // Give the spare capacity back to the arena.
        if self.arena.capacity() < p.capacity() {
            self.arena = p;
        }
        Ok(Step::Message(Message {
            csid,
            timestamp: s.timestamp,
            type_id: s.type_id,
            stream_id: s.stream_id,
            payload,
        }))
    }
}

enum Step {
    Incomplete,
    Chunk,
    Message(Message),
}

#[derive(Debug, Clone, Copy)]
struct OutStream {
    csid: u32,
    timestamp: u32,
    delta: u32,
    length: usize,
    type_id: u8,
    stream_id: u32,
    /// The last header was type 0 (a type 3 must not follow as a new
    /// message: decoders read its delta differently).
    after_type0: bool,
}

/// Messages in, chunks out, with the smallest header each chunk allows.
///
/// [`ChunkEncoder::encode`] hands out the chunks of a message as `Bytes`:
/// headers from a shared scratch buffer, the payload as slices of the
/// message's own `Bytes` (never copied).
#[derive(Debug)]
pub struct ChunkEncoder {
    chunk_size: usize,
    streams: Vec<OutStream>,
    scratch: BytesMut,
}

impl Default for ChunkEncoder {
    fn default() -> Self {
        ChunkEncoder::new()
    }
}

fn write_basic_header(out: &mut BytesMut, format: u8, csid: u32) {
    match csid {
        2..=63 => out.put_u8(format << 6 | csid as u8),
        64..=319 => {
            out.put_u8(format << 6);
            out.put_u8((csid - 64) as u8);
        }
        _ => {
            out.put_u8(format << 6 | 1);
            let v = csid - 64;
            out.put_u8((v & 0xff) as u8);
            out.put_u8((v >> 8) as u8);
        }
    }
}

fn put_u24(out: &mut BytesMut, v: u32) {
    out.put_slice(&v.to_be_bytes()[1..]);
}

impl ChunkEncoder {
    /// An encoder at the default chunk size (128).
    #[must_use]
    pub fn new() -> ChunkEncoder {
        ChunkEncoder {
            chunk_size: DEFAULT_CHUNK_SIZE,
            streams: Vec::new(),
            scratch: BytesMut::new(),
        }
    }

    /// Our chunk size now.
    #[must_use]
    pub fn chunk_size(&self) -> usize {
        self.chunk_size
    }

    /// Sets our chunk size for the messages after this call (send the Set
    /// Chunk Size message first, at the old size).
    ///
    /// # Errors
    ///
    /// [`ChunkError::InvalidChunkSize`] for 0 or over 2^31 - 1.
    pub fn set_chunk_size(&mut self, size: u32) -> Result<(), ChunkError> {
        if size == 0 || size > MAX_CHUNK_SIZE_FIELD {
            return Err(ChunkError::InvalidChunkSize {
                size,
                limit: MAX_CHUNK_SIZE_FIELD,
                offset: 0,
            });
        }
        self.chunk_size = size as usize;
        Ok(())
    }

    /// Cuts `message` into chunks and hands each buffer to `out`, in
    /// order. `prefix` goes before the payload (an FLV tag header the
    /// caller keeps inline); the message's length counts both.
    ///
    /// # Errors
    ///
    /// [`ChunkError::Unwritable`] for a chunk stream id outside 2..65599
    /// or a message over 16 MiB; nothing is written then.
    pub fn encode(
        &mut self,
        message: &Message,
        prefix: &[u8],
        out: &mut impl FnMut(Bytes),
    ) -> Result<(), ChunkError> {
        let csid = message.csid;
        if !(2..=MAX_CSID).contains(&csid) {
            return Err(ChunkError::Unwritable {
                what: "chunk stream id",
                value: u64::from(csid),
            });
        }
        let length = prefix.len() + message.payload.len();
        if length > MAX_MESSAGE_LEN {
            return Err(ChunkError::Unwritable {
                what: "a message of (bytes)",
                value: length as u64,
            });
        }
        let ts = message.timestamp;
        let previous = self.streams.iter().position(|s| s.csid == csid);
        let (format, field) = match previous.map(|i| self.streams[i]) {
            Some(p)
                if p.stream_id == message.stream_id
                    && ts.wrapping_sub(p.timestamp) < 0x8000_0000 =>
            {
                let delta = ts.wrapping_sub(p.timestamp);
                if p.length != length || p.type_id != message.type_id {
                    (1, delta)
                } else if p.after_type0 || delta != p.delta {
                    (2, delta)
                } else {
                    (3, delta)
                }
            }
            _ => (0, ts),
        };
        let state = OutStream {
            csid,
            timestamp: ts,
            delta: field,
            length,
            type_id: message.type_id,
            stream_id: message.stream_id,
            after_type0: format == 0,
        };
        match previous {
            Some(i) => self.streams[i] = state,
            None => self.streams.push(state),
        }
        let extended = field >= EXTENDED;
        if self.scratch.capacity() - self.scratch.len() < 64 {
            self.scratch.reserve(4096);
        }
        write_basic_header(&mut self.scratch, format, csid);
        let shown = if extended { EXTENDED } else { field };
        if format <= 2 {
            put_u24(&mut self.scratch, shown);
        }
        if format <= 1 {
            put_u24(&mut self.scratch, length as u32);
            self.scratch.put_u8(message.type_id);
        }
        if format == 0 {
            self.scratch.put_u32_le(message.stream_id);
        }
        if extended {
            self.scratch.put_u32(field);
        }
        // The first chunk: the prefix, then payload up to the chunk size.
        let first_prefix = prefix.len().min(self.chunk_size);
        self.scratch.put_slice(&prefix[..first_prefix]);
        let mut sent_prefix = first_prefix;
        let mut room = self.chunk_size - first_prefix;
        let mut payload = message.payload.clone();
        let mut first = true;
        loop {
            if !first {
                if self.scratch.capacity() - self.scratch.len() < 64 {
                    self.scratch.reserve(4096);
                }
                write_basic_header(&mut self.scratch, 3, csid);
                if extended {
                    self.scratch.put_u32(field);
                }
                let p = (prefix.len() - sent_prefix).min(self.chunk_size);
                self.scratch
                    .put_slice(&prefix[sent_prefix..sent_prefix + p]);
                sent_prefix += p;
                room = self.chunk_size - p;
            }
            first = false;
            let header = self.scratch.split().freeze();
            out(header);
            let n = room.min(payload.len());
            if n > 0 {
                out(payload.split_to(n));
            }
            if payload.is_empty() && sent_prefix == prefix.len() {
                return Ok(());
            }
        }
    }
}
