//! What server and client sessions share: the configuration, the errors,
//! media messages, and the connection under the commands (handshake,
//! chunk streams, acknowledgements, pings, the output queue, timeouts).

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use bytes::{BufMut, Bytes, BytesMut};
use streamkit_core::flv::{MuxedTag, TagType};

use crate::amf::{Amf0Value, AmfError, AmfLimits};
use crate::chunk::{ChunkDecoder, ChunkEncoder, ChunkError, ChunkLimits, Message};
use crate::handshake::{ClientHandshake, HandshakeError, ServerHandshake};
use crate::message::{Command, UserControl, data_payload, type_id};

/// Chunk stream of protocol control messages.
pub(crate) const CSID_CONTROL: u32 = 2;
/// Chunk stream of commands.
pub(crate) const CSID_COMMAND: u32 = 3;
/// Chunk stream of audio.
pub(crate) const CSID_AUDIO: u32 = 4;
/// Chunk stream of data messages (metadata).
pub(crate) const CSID_DATA: u32 = 5;
/// Chunk stream of video.
pub(crate) const CSID_VIDEO: u32 = 6;

/// How a session bounds and paces a connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct SessionConfig {
    /// Bounds on what the peer's chunks can make the session hold.
    pub chunk_limits: ChunkLimits,
    /// Bounds on each command's and data message's AMF values.
    pub amf_limits: AmfLimits,
    /// The chunk size this side sends with (announced at connect).
    pub chunk_size: u32,
    /// The Window Acknowledgement Size this side announces.
    pub window_ack_size: u32,
    /// The handshake must be over this long after the session starts.
    pub handshake_timeout: Duration,
    /// The session ends when nothing arrived this long.
    pub idle_timeout: Duration,
    /// Bytes waiting in [`poll_transmit`](crate::server::ServerSession::poll_transmit)
    /// at most: sending more is [`RtmpError::OutputFull`].
    pub max_queued_bytes: usize,
    /// The randomness of the handshake.
    pub seed: u64,
}

impl Default for SessionConfig {
    /// Chunks of 4096 bytes, a 2.5 MB acknowledgement window, 10 s for the
    /// handshake, 30 s idle, 64 MiB queued, seed 0.
    fn default() -> Self {
        SessionConfig {
            chunk_limits: ChunkLimits::default(),
            amf_limits: AmfLimits::default(),
            chunk_size: 4096,
            window_ack_size: 2_500_000,
            handshake_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(30),
            max_queued_bytes: 64 << 20,
            seed: 0,
        }
    }
}

impl SessionConfig {
    /// This configuration with the handshake's randomness from `seed`.
    #[must_use]
    pub fn with_seed(mut self, seed: u64) -> SessionConfig {
        self.seed = seed;
        self
    }

    /// This configuration with other chunk stream bounds.
    #[must_use]
    pub fn with_chunk_limits(mut self, limits: ChunkLimits) -> SessionConfig {
        self.chunk_limits = limits;
        self
    }

    /// This configuration with another outgoing chunk size.
    #[must_use]
    pub fn with_chunk_size(mut self, size: u32) -> SessionConfig {
        self.chunk_size = size;
        self
    }

    /// This configuration with another idle timeout.
    #[must_use]
    pub fn with_idle_timeout(mut self, idle: Duration) -> SessionConfig {
        self.idle_timeout = idle;
        self
    }
}

/// Why a session ended with an error: the connection must close.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum RtmpError {
    /// The handshake failed.
    #[error(transparent)]
    Handshake(#[from] HandshakeError),
    /// The chunk stream broke, or the peer exceeded a bound.
    #[error(transparent)]
    Chunk(#[from] ChunkError),
    /// A command or data message did not decode.
    #[error("{what}: {source}")]
    Amf {
        /// Which message.
        what: &'static str,
        /// What the decoder said.
        #[source]
        source: AmfError,
    },
    /// The peer broke the protocol (a command out of place, a message on
    /// a stream it never created).
    #[error("protocol: {reason}")]
    Protocol {
        /// What happened.
        reason: &'static str,
    },
    /// The handshake did not finish in time, or nothing arrived for the
    /// idle timeout.
    #[error("{what} timed out after {after:?}")]
    Timeout {
        /// `"handshake"` or `"idle connection"`.
        what: &'static str,
        /// The timeout.
        after: Duration,
    },
    /// The output queue is over [`SessionConfig::max_queued_bytes`]: the
    /// peer does not read.
    #[error("output queue over {limit} bytes: the peer does not read")]
    OutputFull {
        /// The limit.
        limit: usize,
    },
    /// A call that the session's state does not allow (media on a stream
    /// not publishing or playing, a session already closed).
    #[error("{reason}")]
    State {
        /// What is wrong.
        reason: &'static str,
    },
}

/// An audio, video or data message of a stream, as the peer sent it:
/// an FLV tag body with its timestamp extended past 32 bits.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MediaMessage {
    /// The message stream.
    pub stream_id: u32,
    /// Audio, video (or script data).
    pub tag_type: TagType,
    /// Milliseconds, extended across 32-bit wraps (monotonic per stream
    /// and type).
    pub timestamp: i64,
    /// The tag body (a slice of the input when it came in one chunk).
    pub body: Bytes,
}

enum Handshake {
    Server(ServerHandshake),
    Client(ClientHandshake),
}

/// Extends 32-bit message timestamps per (stream, type).
#[derive(Debug, Default)]
pub(crate) struct TimestampExtender {
    last: Vec<(u32, u8, i64)>,
}

impl TimestampExtender {
    pub(crate) fn extend(&mut self, stream_id: u32, type_id: u8, ts: u32) -> i64 {
        match self
            .last
            .iter_mut()
            .find(|(s, t, _)| *s == stream_id && *t == type_id)
        {
            Some((_, _, last)) => {
                let step = ts.wrapping_sub(*last as u32) as i32;
                *last += i64::from(step);
                *last
            }
            None => {
                self.last.push((stream_id, type_id, i64::from(ts)));
                i64::from(ts)
            }
        }
    }

    pub(crate) fn forget(&mut self, stream_id: u32) {
        self.last.retain(|(s, _, _)| *s != stream_id);
    }
}

pub(crate) struct Connection {
    pub(crate) config: SessionConfig,
    handshake: Handshake,
    decoder: ChunkDecoder,
    encoder: ChunkEncoder,
    out: VecDeque<Bytes>,
    queued: usize,
    bytes_in: u64,
    acked_in: u64,
    peer_window: Option<u32>,
    started: Instant,
    last_input: Instant,
    closed: bool,
    scratch: BytesMut,
}

impl Connection {
    pub(crate) fn new_server(now: Instant, config: SessionConfig) -> Connection {
        Connection::new(
            now,
            config,
            Handshake::Server(ServerHandshake::new(config.seed)),
        )
    }

    pub(crate) fn new_client(now: Instant, config: SessionConfig) -> Connection {
        let mut hs = ClientHandshake::new(config.seed);
        let mut c = Connection::new(now, config, Handshake::Client(ClientHandshake::new(0)));
        if let Some(b) = hs.poll_output() {
            c.queue(b);
        }
        c.handshake = Handshake::Client(hs);
        c
    }

    fn new(now: Instant, config: SessionConfig, handshake: Handshake) -> Connection {
        Connection {
            config,
            handshake,
            decoder: ChunkDecoder::new(config.chunk_limits),
            encoder: ChunkEncoder::new(),
            out: VecDeque::new(),
            queued: 0,
            bytes_in: 0,
            acked_in: 0,
            peer_window: None,
            started: now,
            last_input: now,
            closed: false,
            scratch: BytesMut::new(),
        }
    }

    pub(crate) fn is_closed(&self) -> bool {
        self.closed
    }

    pub(crate) fn close(&mut self) {
        self.closed = true;
    }

    pub(crate) fn handshake_done(&self) -> bool {
        match &self.handshake {
            Handshake::Server(h) => h.is_done(),
            Handshake::Client(h) => h.is_done(),
        }
    }

    pub(crate) fn queued_bytes(&self) -> usize {
        self.queued
    }

    pub(crate) fn queue(&mut self, b: Bytes) {
        self.queued += b.len();
        self.out.push_back(b);
    }

    pub(crate) fn poll_transmit(&mut self) -> Option<Bytes> {
        let b = self.out.pop_front()?;
        self.queued -= b.len();
        Some(b)
    }

    /// Takes input; the messages it completed go to `on_message`.
    pub(crate) fn handle_input(
        &mut self,
        now: Instant,
        mut data: &[u8],
        on_message: &mut impl FnMut(&mut Connection, Message) -> Result<(), RtmpError>,
    ) -> Result<(), RtmpError> {
        if self.closed {
            return Err(RtmpError::State {
                reason: "the session is closed",
            });
        }
        self.last_input = now;
        self.bytes_in += data.len() as u64;
        if !self.handshake_done() {
            let (used, output, done) = match &mut self.handshake {
                Handshake::Server(h) => {
                    let used = h.push(data);
                    (used, h.poll_output(), h.is_done())
                }
                Handshake::Client(h) => {
                    let used = h.push(data);
                    (used, h.poll_output(), h.is_done())
                }
            };
            let used = used.inspect_err(|_| self.closed = true)?;
            if let Some(o) = output {
                self.queue(o);
            }
            data = &data[used..];
            if !done {
                return Ok(());
            }
        }
        self.decoder.push(data);
        loop {
            let m = match self.decoder.poll_message() {
                Ok(Some(m)) => m,
                Ok(None) => break,
                Err(e) => {
                    self.closed = true;
                    return Err(e.into());
                }
            };
            self.handle_control(&m)?;
            on_message(self, m).inspect_err(|_| self.closed = true)?;
        }
        if let Some(window) = self.peer_window
            && window > 0
            && self.bytes_in - self.acked_in >= u64::from(window)
        {
            self.acked_in = self.bytes_in;
            let seq = (self.bytes_in & 0xffff_ffff) as u32;
            self.send_control(type_id::ACKNOWLEDGEMENT, &seq.to_be_bytes());
        }
        Ok(())
    }

    /// Protocol control and user control messages every session answers
    /// the same way.
    fn handle_control(&mut self, m: &Message) -> Result<(), RtmpError> {
        if m.stream_id != 0 && m.type_id <= type_id::SET_PEER_BANDWIDTH {
            return Ok(());
        }
        match m.type_id {
            type_id::WINDOW_ACK_SIZE => {
                if let Some(b) = m.payload.get(..4) {
                    self.peer_window = Some(u32::from_be_bytes([b[0], b[1], b[2], b[3]]));
                }
            }
            type_id::USER_CONTROL => {
                if let Some(UserControl::PingRequest(t)) = UserControl::parse(&m.payload) {
                    self.send_user_control(&UserControl::PingResponse(t));
                }
            }
            _ => {}
        }
        Ok(())
    }

    pub(crate) fn handle_timeout(&mut self, now: Instant) -> Result<(), RtmpError> {
        if self.closed {
            return Ok(());
        }
        if !self.handshake_done() && now >= self.started + self.config.handshake_timeout {
            self.closed = true;
            return Err(RtmpError::Timeout {
                what: "handshake",
                after: self.config.handshake_timeout,
            });
        }
        if now >= self.last_input + self.config.idle_timeout {
            self.closed = true;
            return Err(RtmpError::Timeout {
                what: "idle connection",
                after: self.config.idle_timeout,
            });
        }
        Ok(())
    }

    pub(crate) fn poll_timeout(&self) -> Option<Instant> {
        if self.closed {
            return None;
        }
        let idle = self.last_input + self.config.idle_timeout;
        if self.handshake_done() {
            Some(idle)
        } else {
            Some(idle.min(self.started + self.config.handshake_timeout))
        }
    }

    fn encode(&mut self, m: &Message, prefix: &[u8]) {
        let Connection {
            encoder,
            out,
            queued,
            ..
        } = self;
        // The session's own messages are small and well formed; media
        // messages are checked by the caller.
        let _ = encoder.encode(m, prefix, &mut |b: Bytes| {
            *queued += b.len();
            out.push_back(b);
        });
    }

    fn small(&mut self, bytes: &[u8]) -> Bytes {
        if self.scratch.capacity() - self.scratch.len() < bytes.len() {
            self.scratch.reserve(bytes.len().max(1024));
        }
        self.scratch.put_slice(bytes);
        self.scratch.split().freeze()
    }

    pub(crate) fn send_control(&mut self, type_id: u8, payload: &[u8]) {
        let payload = self.small(payload);
        self.encode(
            &Message {
                csid: CSID_CONTROL,
                timestamp: 0,
                type_id,
                stream_id: 0,
                payload,
            },
            &[],
        );
    }

    pub(crate) fn send_user_control(&mut self, event: &UserControl) {
        let payload = event.to_bytes();
        self.send_control(type_id::USER_CONTROL, &payload);
    }

    /// Announces and switches to the configured chunk size.
    pub(crate) fn send_chunk_size(&mut self) {
        let size = self
            .config
            .chunk_size
            .clamp(1, crate::chunk::MAX_CHUNK_SIZE_FIELD);
        self.send_control(type_id::SET_CHUNK_SIZE, &size.to_be_bytes());
        let _ = self.encoder.set_chunk_size(size);
    }

    pub(crate) fn send_command(
        &mut self,
        stream_id: u32,
        command: &Command,
    ) -> Result<(), RtmpError> {
        let payload = command.to_bytes().map_err(|source| RtmpError::Amf {
            what: "a command to send",
            source,
        })?;
        self.encode(
            &Message {
                csid: CSID_COMMAND,
                timestamp: 0,
                type_id: type_id::COMMAND_AMF0,
                stream_id,
                payload,
            },
            &[],
        );
        Ok(())
    }

    pub(crate) fn send_data(
        &mut self,
        stream_id: u32,
        values: &[Amf0Value],
    ) -> Result<(), RtmpError> {
        let payload = data_payload(values).map_err(|source| RtmpError::Amf {
            what: "a data message to send",
            source,
        })?;
        self.encode(
            &Message {
                csid: CSID_DATA,
                timestamp: 0,
                type_id: type_id::DATA_AMF0,
                stream_id,
                payload,
            },
            &[],
        );
        Ok(())
    }

    pub(crate) fn send_media(
        &mut self,
        stream_id: u32,
        tag_type: TagType,
        timestamp: i64,
        prefix: &[u8],
        data: Bytes,
    ) -> Result<(), RtmpError> {
        if self.queued > self.config.max_queued_bytes {
            return Err(RtmpError::OutputFull {
                limit: self.config.max_queued_bytes,
            });
        }
        let (csid, type_id) = match tag_type {
            TagType::Audio => (CSID_AUDIO, type_id::AUDIO),
            TagType::Video => (CSID_VIDEO, type_id::VIDEO),
            TagType::Script => (CSID_DATA, type_id::DATA_AMF0),
            TagType::ScriptAmf3 => (CSID_DATA, type_id::DATA_AMF3),
            _ => (CSID_DATA, type_id::DATA_AMF0),
        };
        let m = Message {
            csid,
            timestamp: (timestamp & 0xffff_ffff) as u32,
            type_id,
            stream_id,
            payload: data,
        };
        let Connection {
            encoder,
            out,
            queued,
            ..
        } = self;
        encoder.encode(&m, prefix, &mut |b: Bytes| {
            *queued += b.len();
            out.push_back(b);
        })?;
        Ok(())
    }

    pub(crate) fn send_tag(&mut self, stream_id: u32, tag: &MuxedTag) -> Result<(), RtmpError> {
        self.send_media(
            stream_id,
            tag.tag_type,
            tag.timestamp,
            tag.prefix.as_slice(),
            tag.data.clone(),
        )
    }
}

/// Splits an aggregate message (FLV tags back to back) into messages
/// whose timestamps are the aggregate's plus each tag's offset from the
/// first tag's.
pub(crate) fn split_aggregate(m: &Message) -> Vec<Message> {
    let mut out = Vec::new();
    let mut rest = m.payload.clone();
    let mut first: Option<u32> = None;
    while let Ok(Some((tag, n))) = streamkit_core::flv::FlvTag::parse(&rest) {
        let base = *first.get_or_insert(tag.timestamp);
        out.push(Message {
            csid: m.csid,
            timestamp: m.timestamp.wrapping_add(tag.timestamp.wrapping_sub(base)),
            type_id: tag.tag_type.to_u8(),
            stream_id: m.stream_id,
            payload: tag.body,
        });
        rest = rest.slice(n..);
        if out.len() >= 4096 {
            break;
        }
    }
    out
}
