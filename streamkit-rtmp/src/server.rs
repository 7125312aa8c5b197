//! The server side of an RTMP connection: what an encoder publishes to
//! and a player plays from.

use std::collections::VecDeque;
use std::time::Instant;

use bytes::Bytes;
use streamkit_core::flv::{MuxedTag, TagType};

use crate::amf::{Amf0Value, Amf3Value};
use crate::chunk::Message;
use crate::connection::{
    Connection, MediaMessage, RtmpError, SessionConfig, TimestampExtender, split_aggregate,
};
use crate::message::{Command, UserControl, status_object, type_id};
use crate::url::StreamName;

/// The most message streams one connection creates.
pub const MAX_STREAMS: usize = 16;

/// Publish or play.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Action {
    /// The client sends a stream (`publish`).
    Publish,
    /// The client receives a stream (`play`).
    Play,
}

/// What a client asks for, as an [`AccessPolicy`] sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AccessRequest<'a> {
    /// Publish or play.
    pub action: Action,
    /// The application of `connect` (`live` in `rtmp://host/live/key`),
    /// without any query.
    pub app: &'a str,
    /// The stream name (the stream key), without its query.
    pub name: &'a str,
    /// The stream name's query, when there is one.
    pub query: Option<&'a str>,
    /// The `tcUrl` of `connect`, when sent.
    pub tc_url: Option<&'a str>,
}

/// Why a publish or a play was refused; each maps to the `onStatus` code
/// the client gets.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Refusal {
    /// The stream key is not allowed: `NetStream.Publish.Denied` or
    /// `NetStream.Play.Failed`.
    Unauthorized,
    /// The name is in use or cannot name a stream:
    /// `NetStream.Publish.BadName`.
    BadName,
    /// Nothing to play under that name: `NetStream.Play.StreamNotFound`.
    NotFound,
    /// The server cannot take it now (a bound, a failure):
    /// `NetStream.Publish.Failed` or `NetStream.Play.Failed`.
    Failed,
}

impl Refusal {
    /// The `onStatus` code for `action`.
    #[must_use]
    pub fn code(self, action: Action) -> &'static str {
        match (self, action) {
            (Refusal::Unauthorized, Action::Publish) => "NetStream.Publish.Denied",
            (Refusal::BadName, Action::Publish) => "NetStream.Publish.BadName",
            (Refusal::Failed, Action::Publish) => "NetStream.Publish.Failed",
            (Refusal::NotFound, Action::Publish) => "NetStream.Publish.BadName",
            (Refusal::NotFound, Action::Play) => "NetStream.Play.StreamNotFound",
            (_, Action::Play) => "NetStream.Play.Failed",
        }
    }

    fn description(self) -> &'static str {
        match self {
            Refusal::Unauthorized => "the stream key is not allowed",
            Refusal::BadName => "the stream name is in use or invalid",
            Refusal::NotFound => "no such stream",
            Refusal::Failed => "the server cannot take the stream now",
        }
    }
}

/// Decides whether a publish or a play goes ahead (a stream key check,
/// say). Closures `Fn(&AccessRequest) -> Result<(), Refusal>` are
/// policies.
pub trait AccessPolicy {
    /// `Ok` to let the request through, or why not.
    ///
    /// # Errors
    ///
    /// The [`Refusal`] the client is told.
    fn check(&self, request: &AccessRequest<'_>) -> Result<(), Refusal>;
}

impl<F: Fn(&AccessRequest<'_>) -> Result<(), Refusal>> AccessPolicy for F {
    fn check(&self, request: &AccessRequest<'_>) -> Result<(), Refusal> {
        self(request)
    }
}

/// Lets every publish and play through.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AllowAll;

impl AccessPolicy for AllowAll {
    fn check(&self, _request: &AccessRequest<'_>) -> Result<(), Refusal> {
        Ok(())
    }
}

/// Publishing needs one of a set of stream keys (the stream name without
/// its query); playing is open.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StreamKeys {
    keys: Vec<String>,
}

impl StreamKeys {
    /// A policy allowing these keys.
    #[must_use]
    pub fn new(keys: impl IntoIterator<Item = String>) -> StreamKeys {
        StreamKeys {
            keys: keys.into_iter().collect(),
        }
    }
}

impl AccessPolicy for StreamKeys {
    fn check(&self, request: &AccessRequest<'_>) -> Result<(), Refusal> {
        match request.action {
            Action::Play => Ok(()),
            Action::Publish if self.keys.iter().any(|k| k == request.name) => Ok(()),
            Action::Publish => Err(Refusal::Unauthorized),
        }
    }
}

/// What the client said in `connect` about Enhanced RTMP.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EnhancedCapabilities {
    /// `fourCcList`: the codecs it supports (`*` for any).
    pub fourcc_list: Vec<String>,
    /// `capsEx`: reconnect 0x01, multitrack 0x02, ModEx 0x04, nanosecond
    /// offsets 0x08.
    pub caps_ex: u32,
    /// The keys of `videoFourCcInfoMap` and `audioFourCcInfoMap`.
    pub info_map_codecs: Vec<String>,
}

/// The codecs this server takes in and sends out, as it answers
/// `connect` (`fourCcList` and the info maps, "can forward").
pub const SERVER_FOURCCS: [&str; 4] = ["avc1", "hvc1", "mp4a", "Opus"];
/// The `capsEx` this server answers: multitrack, ModEx, nanosecond
/// offsets (no reconnect request).
pub const SERVER_CAPS_EX: u32 = 0x02 | 0x04 | 0x08;

/// What a [`ServerSession`] reports.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum ServerEvent {
    /// The client connected to an application.
    Connected {
        /// The application (`connect`'s `app`, query removed).
        app: String,
        /// `tcUrl`, when sent.
        tc_url: Option<String>,
        /// Enhanced RTMP capabilities, when the client declared any.
        enhanced: Option<EnhancedCapabilities>,
    },
    /// A publish went through the policy: media follows on `stream_id`.
    PublishStarted {
        /// The message stream.
        stream_id: u32,
        /// The stream key.
        name: StreamName,
    },
    /// A play went through the policy: send the stream on `stream_id`
    /// ([`ServerSession::send_tag`]).
    PlayStarted {
        /// The message stream.
        stream_id: u32,
        /// The stream name.
        name: StreamName,
    },
    /// The policy refused a publish or a play; the client was told,
    /// nothing else happens on that stream.
    Refused {
        /// The message stream.
        stream_id: u32,
        /// Publish or play.
        action: Action,
        /// The name asked for.
        name: StreamName,
        /// Why.
        refusal: Refusal,
    },
    /// `@setDataFrame onMetaData` (or `onMetaData`) of a publishing
    /// stream: the values after the name.
    Metadata {
        /// The message stream.
        stream_id: u32,
        /// The values (usually one ECMA array).
        values: Vec<Amf0Value>,
    },
    /// An audio or video message of a publishing stream.
    Media(MediaMessage),
    /// A publish or play ended (FCUnpublish, deleteStream, closeStream).
    StreamEnded {
        /// The message stream.
        stream_id: u32,
        /// What it was doing.
        action: Action,
    },
}

#[derive(Debug, Clone)]
enum StreamState {
    Created,
    Publishing(StreamName),
    Playing(StreamName),
}

#[derive(Debug, Clone)]
struct Stream {
    id: u32,
    state: StreamState,
}

/// The server side of one RTMP connection, Sans-IO.
///
/// Call order: [`ServerSession::new`]; for every read from the socket
/// [`ServerSession::handle_input`] with `now`, then drain
/// [`ServerSession::poll_event`] and [`ServerSession::poll_transmit`]
/// (write every buffer, in order) until `None`; wake at
/// [`ServerSession::poll_timeout`] for [`ServerSession::handle_timeout`].
/// After [`ServerEvent::PlayStarted`], send the stream with
/// [`ServerSession::send_metadata`] and [`ServerSession::send_tag`] (and
/// drain `poll_transmit` again). Any error means: close the connection.
///
/// ```
/// use std::time::Instant;
/// use streamkit_rtmp::client::{ClientConfig, ClientEvent, ClientSession};
/// use streamkit_rtmp::server::{ServerEvent, ServerSession, StreamKeys};
/// use streamkit_rtmp::url::RtmpUrl;
///
/// let now = Instant::now(); // a virtual clock would do
/// let policy = StreamKeys::new(["secret".to_owned()]);
/// let mut server = ServerSession::new(now, Default::default(), Box::new(policy));
/// let url = RtmpUrl::parse("rtmp://127.0.0.1/live/secret")?;
/// let mut client = ClientSession::new(now, ClientConfig::publish(url));
/// // Move bytes both ways until both are quiet (a socket would).
/// let mut events = Vec::new();
/// loop {
///     let mut moved = false;
///     while let Some(b) = client.poll_transmit() {
///         server.handle_input(now, &b)?;
///         moved = true;
///     }
///     while let Some(b) = server.poll_transmit() {
///         client.handle_input(now, &b)?;
///         moved = true;
///     }
///     while let Some(e) = server.poll_event() {
///         events.push(e);
///     }
///     if !moved { break; }
/// }
/// assert!(events.iter().any(|e| matches!(e, ServerEvent::PublishStarted { name, .. } if name.name == "secret")));
/// assert!(std::iter::from_fn(|| client.poll_event()).any(|e| matches!(e, ClientEvent::Publishing { .. })));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct ServerSession {
    conn: Connection,
    inner: Inner,
}

struct Inner {
    policy: Box<dyn AccessPolicy + Send + Sync>,
    events: VecDeque<ServerEvent>,
    app: Option<String>,
    tc_url: Option<String>,
    streams: Vec<Stream>,
    next_stream: u32,
    timestamps: TimestampExtender,
}

impl core::fmt::Debug for ServerSession {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("ServerSession")
            .field("app", &self.inner.app)
            .field("streams", &self.inner.streams)
            .finish_non_exhaustive()
    }
}

fn app_of(v: &Amf0Value) -> Option<String> {
    let app = v.get("app")?.as_str()?;
    let app = app.split('?').next().unwrap_or(app);
    Some(app.trim_end_matches('/').to_owned())
}

fn strings_of(v: Option<&Amf0Value>) -> Vec<String> {
    match v {
        Some(Amf0Value::StrictArray(items)) => items
            .iter()
            .filter_map(|i| i.as_str().map(str::to_owned))
            .collect(),
        Some(Amf0Value::Avmplus(Amf3Value::Array { dense, .. })) => dense
            .iter()
            .filter_map(|i| match i {
                Amf3Value::String(s) => Some(s.clone()),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    }
}

impl ServerSession {
    /// A session for a connection accepted at `now`, deciding publishes
    /// and plays with `policy`.
    #[must_use]
    pub fn new(
        now: Instant,
        config: SessionConfig,
        policy: Box<dyn AccessPolicy + Send + Sync>,
    ) -> ServerSession {
        ServerSession {
            conn: Connection::new_server(now, config),
            inner: Inner {
                policy,
                events: VecDeque::new(),
                app: None,
                tc_url: None,
                streams: Vec::new(),
                next_stream: 1,
                timestamps: TimestampExtender::default(),
            },
        }
    }

    /// The application the client connected to.
    #[must_use]
    pub fn app(&self) -> Option<&str> {
        self.inner.app.as_deref()
    }

    /// The stream name a message stream publishes or plays.
    #[must_use]
    pub fn stream_name(&self, stream_id: u32) -> Option<&StreamName> {
        self.inner
            .streams
            .iter()
            .find(|s| s.id == stream_id)
            .and_then(|s| match &s.state {
                StreamState::Publishing(n) | StreamState::Playing(n) => Some(n),
                StreamState::Created => None,
            })
    }

    /// `true` once the session ended (an error, a timeout, a close).
    #[must_use]
    pub fn is_closed(&self) -> bool {
        self.conn.is_closed()
    }

    /// Bytes waiting in [`ServerSession::poll_transmit`].
    #[must_use]
    pub fn queued_bytes(&self) -> usize {
        self.conn.queued_bytes()
    }

    /// Takes bytes read from the connection at `now`.
    ///
    /// # Errors
    ///
    /// [`RtmpError`]: close the connection (after sending what
    /// [`ServerSession::poll_transmit`] still has, if you like).
    pub fn handle_input(&mut self, now: Instant, data: &[u8]) -> Result<(), RtmpError> {
        let inner = &mut self.inner;
        self.conn
            .handle_input(now, data, &mut |c, m| inner.handle_message(c, m))
    }

    /// The next buffer to write to the connection, in order.
    #[must_use]
    pub fn poll_transmit(&mut self) -> Option<Bytes> {
        self.conn.poll_transmit()
    }

    /// The next event.
    #[must_use]
    pub fn poll_event(&mut self) -> Option<ServerEvent> {
        self.inner.events.pop_front()
    }

    /// When to call [`ServerSession::handle_timeout`].
    #[must_use]
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.conn.poll_timeout()
    }

    /// Ends a session whose handshake or idle timeout passed.
    ///
    /// # Errors
    ///
    /// [`RtmpError::Timeout`]: close the connection.
    pub fn handle_timeout(&mut self, now: Instant) -> Result<(), RtmpError> {
        self.conn.handle_timeout(now)
    }

    /// Sends `onMetaData` on a playing stream.
    ///
    /// # Errors
    ///
    /// [`RtmpError::State`] for a stream that is not playing.
    pub fn send_metadata(&mut self, stream_id: u32, metadata: Amf0Value) -> Result<(), RtmpError> {
        self.playing(stream_id)?;
        self.conn.send_data(
            stream_id,
            &[Amf0Value::String("onMetaData".into()), metadata],
        )
    }

    /// Sends one tag (a sequence header or a sample) on a playing stream;
    /// the sample's data is not copied.
    ///
    /// # Errors
    ///
    /// [`RtmpError::State`] for a stream that is not playing,
    /// [`RtmpError::OutputFull`] when the peer does not read.
    pub fn send_tag(&mut self, stream_id: u32, tag: &MuxedTag) -> Result<(), RtmpError> {
        self.playing(stream_id)?;
        self.conn.send_tag(stream_id, tag)
    }

    /// Tells a player its stream ended (`StreamEOF`,
    /// `NetStream.Play.UnpublishNotify`, `NetStream.Play.Stop`).
    ///
    /// # Errors
    ///
    /// [`RtmpError::State`] for a stream that is not playing.
    pub fn end_play(&mut self, stream_id: u32) -> Result<(), RtmpError> {
        self.playing(stream_id)?;
        self.conn
            .send_user_control(&UserControl::StreamEof(stream_id));
        self.on_status(
            stream_id,
            "status",
            "NetStream.Play.UnpublishNotify",
            "the stream ended",
        )?;
        self.on_status(
            stream_id,
            "status",
            "NetStream.Play.Stop",
            "the stream ended",
        )?;
        if let Some(s) = self.inner.streams.iter_mut().find(|s| s.id == stream_id) {
            s.state = StreamState::Created;
        }
        Ok(())
    }

    /// Refuses a publish or play after it started (the stream could not
    /// be published after all): the client gets the refusal's `onStatus`;
    /// the stream's messages are ignored from now on.
    ///
    /// # Errors
    ///
    /// [`RtmpError::State`] for a stream that is neither.
    pub fn refuse(&mut self, stream_id: u32, refusal: Refusal) -> Result<(), RtmpError> {
        let Some(s) = self.inner.streams.iter_mut().find(|s| s.id == stream_id) else {
            return Err(RtmpError::State {
                reason: "no such stream",
            });
        };
        let action = match s.state {
            StreamState::Publishing(_) => Action::Publish,
            StreamState::Playing(_) => Action::Play,
            StreamState::Created => {
                return Err(RtmpError::State {
                    reason: "the stream neither publishes nor plays",
                });
            }
        };
        s.state = StreamState::Created;
        self.on_status(
            stream_id,
            "error",
            refusal.code(action),
            refusal.description(),
        )
    }

    /// Closes the session (nothing more is read; what is queued can still
    /// be sent).
    pub fn close(&mut self) {
        self.conn.close();
    }

    fn playing(&self, stream_id: u32) -> Result<(), RtmpError> {
        match self.inner.streams.iter().find(|s| s.id == stream_id) {
            Some(Stream {
                state: StreamState::Playing(_),
                ..
            }) => Ok(()),
            _ => Err(RtmpError::State {
                reason: "the stream is not playing",
            }),
        }
    }

    fn on_status(
        &mut self,
        stream_id: u32,
        level: &str,
        code: &str,
        description: &str,
    ) -> Result<(), RtmpError> {
        let c = Command::new(
            "onStatus",
            0.0,
            vec![status_object(level, code, description)],
        );
        self.conn.send_command(stream_id, &c)
    }
}

impl Inner {
    fn handle_message(&mut self, conn: &mut Connection, m: Message) -> Result<(), RtmpError> {
        match m.type_id {
            type_id::COMMAND_AMF0 | type_id::COMMAND_AMF3 => {
                let command = Command::parse(
                    &m.payload,
                    m.type_id == type_id::COMMAND_AMF3,
                    &conn.config.amf_limits,
                )
                .map_err(|source| RtmpError::Amf {
                    what: "a command",
                    source,
                })?;
                self.handle_command(conn, m.stream_id, command)
            }
            type_id::DATA_AMF0 | type_id::DATA_AMF3 => {
                if !self.publishing(m.stream_id) {
                    return Ok(());
                }
                let data = if m.type_id == type_id::DATA_AMF3 && m.payload.first() == Some(&0) {
                    &m.payload[1..]
                } else {
                    &m.payload[..]
                };
                let mut values = crate::amf::amf0::decode_all(data, &conn.config.amf_limits)
                    .map_err(|source| RtmpError::Amf {
                        what: "a data message",
                        source,
                    })?;
                if values.first().and_then(Amf0Value::as_str) == Some("@setDataFrame") {
                    values.remove(0);
                }
                if values.first().and_then(Amf0Value::as_str) == Some("onMetaData") {
                    values.remove(0);
                    self.events.push_back(ServerEvent::Metadata {
                        stream_id: m.stream_id,
                        values,
                    });
                }
                Ok(())
            }
            type_id::AUDIO | type_id::VIDEO => {
                if self.publishing(m.stream_id) {
                    let tag_type = if m.type_id == type_id::AUDIO {
                        TagType::Audio
                    } else {
                        TagType::Video
                    };
                    let timestamp = self.timestamps.extend(m.stream_id, m.type_id, m.timestamp);
                    self.events.push_back(ServerEvent::Media(MediaMessage {
                        stream_id: m.stream_id,
                        tag_type,
                        timestamp,
                        body: m.payload,
                    }));
                }
                Ok(())
            }
            type_id::AGGREGATE => {
                for sub in split_aggregate(&m) {
                    self.handle_message(conn, sub)?;
                }
                Ok(())
            }
            _ => Ok(()),
        }
    }

    fn publishing(&self, stream_id: u32) -> bool {
        self.streams
            .iter()
            .any(|s| s.id == stream_id && matches!(s.state, StreamState::Publishing(_)))
    }

    fn result(
        conn: &mut Connection,
        transaction_id: f64,
        object: Amf0Value,
        arguments: Vec<Amf0Value>,
    ) -> Result<(), RtmpError> {
        if transaction_id == 0.0 {
            return Ok(());
        }
        let c = Command {
            name: "_result".into(),
            transaction_id,
            object,
            arguments,
        };
        conn.send_command(0, &c)
    }

    fn handle_command(
        &mut self,
        conn: &mut Connection,
        stream_id: u32,
        c: Command,
    ) -> Result<(), RtmpError> {
        match c.name.as_str() {
            "connect" => self.connect(conn, c),
            "releaseStream" | "FCPublish" => {
                if c.name == "FCPublish" {
                    let name = c.string_argument(0).unwrap_or_default().to_owned();
                    let notify = Command::new(
                        "onFCPublish",
                        0.0,
                        vec![status_object("status", "NetStream.Publish.Start", &name)],
                    );
                    conn.send_command(0, &notify)?;
                }
                Self::result(
                    conn,
                    c.transaction_id,
                    Amf0Value::Null,
                    vec![Amf0Value::Undefined],
                )
            }
            "createStream" => {
                if self.app.is_none() {
                    return Err(RtmpError::Protocol {
                        reason: "createStream before connect",
                    });
                }
                if self.streams.len() >= MAX_STREAMS {
                    return Err(RtmpError::Protocol {
                        reason: "more than 16 message streams",
                    });
                }
                let id = self.next_stream;
                self.next_stream += 1;
                self.streams.push(Stream {
                    id,
                    state: StreamState::Created,
                });
                Self::result(
                    conn,
                    c.transaction_id,
                    Amf0Value::Null,
                    vec![Amf0Value::Number(f64::from(id))],
                )
            }
            "publish" => self.start(conn, stream_id, &c, Action::Publish),
            "play" => self.start(conn, stream_id, &c, Action::Play),
            "FCUnpublish" => {
                let name = c.string_argument(0).map(StreamName::parse);
                let ids: Vec<u32> = self
                    .streams
                    .iter()
                    .filter(|s| matches!(&s.state, StreamState::Publishing(n) if name.as_ref().is_none_or(|x| x.name == n.name)))
                    .map(|s| s.id)
                    .collect();
                for id in ids {
                    self.end(id);
                }
                Self::result(
                    conn,
                    c.transaction_id,
                    Amf0Value::Null,
                    vec![Amf0Value::Undefined],
                )
            }
            "deleteStream" => {
                let id = c
                    .arguments
                    .first()
                    .and_then(Amf0Value::as_number)
                    .map_or(stream_id, |n| n as u32);
                self.end(id);
                self.streams.retain(|s| s.id != id);
                self.timestamps.forget(id);
                Ok(())
            }
            "closeStream" => {
                self.end(stream_id);
                Ok(())
            }
            "getStreamLength" => Self::result(
                conn,
                c.transaction_id,
                Amf0Value::Null,
                vec![Amf0Value::Number(0.0)],
            ),
            _ => {
                if c.transaction_id != 0.0 {
                    let e = Command {
                        name: "_error".into(),
                        transaction_id: c.transaction_id,
                        object: Amf0Value::Null,
                        arguments: vec![status_object(
                            "error",
                            "NetConnection.Call.Failed",
                            "unknown command",
                        )],
                    };
                    conn.send_command(0, &e)?;
                }
                Ok(())
            }
        }
    }

    fn end(&mut self, id: u32) {
        if let Some(s) = self.streams.iter_mut().find(|s| s.id == id) {
            let action = match s.state {
                StreamState::Publishing(_) => Action::Publish,
                StreamState::Playing(_) => Action::Play,
                StreamState::Created => return,
            };
            s.state = StreamState::Created;
            self.events.push_back(ServerEvent::StreamEnded {
                stream_id: id,
                action,
            });
        }
    }

    fn connect(&mut self, conn: &mut Connection, c: Command) -> Result<(), RtmpError> {
        if self.app.is_some() {
            return Err(RtmpError::Protocol {
                reason: "a second connect",
            });
        }
        let app = app_of(&c.object).ok_or(RtmpError::Protocol {
            reason: "connect without an app",
        })?;
        let tc_url = c
            .object
            .get("tcUrl")
            .and_then(Amf0Value::as_str)
            .map(str::to_owned);
        let object_encoding = c
            .object
            .get("objectEncoding")
            .and_then(Amf0Value::as_number)
            .unwrap_or(0.0);
        let fourcc_list = strings_of(c.object.get("fourCcList"));
        let caps_ex = c.object.get("capsEx").and_then(Amf0Value::as_number);
        let mut info_map_codecs = Vec::new();
        for map in ["videoFourCcInfoMap", "audioFourCcInfoMap"] {
            if let Some(p) = c.object.get(map).and_then(Amf0Value::properties) {
                info_map_codecs.extend(p.iter().map(|(k, _)| String::from(k.as_str())));
            }
        }
        let enhanced = (!fourcc_list.is_empty()
            || caps_ex.is_some()
            || !info_map_codecs.is_empty())
        .then(|| EnhancedCapabilities {
            fourcc_list,
            caps_ex: caps_ex.map_or(0, |n| n as u32),
            info_map_codecs,
        });
        let window = conn.config.window_ack_size;
        conn.send_control(type_id::WINDOW_ACK_SIZE, &window.to_be_bytes());
        let mut bw = window.to_be_bytes().to_vec();
        bw.push(2); // dynamic
        conn.send_control(type_id::SET_PEER_BANDWIDTH, &bw);
        conn.send_chunk_size();
        let mut properties = vec![
            ("fmsVer".into(), Amf0Value::String("FMS/3,5,1,1".into())),
            ("capabilities".into(), Amf0Value::Number(31.0)),
            ("mode".into(), Amf0Value::Number(1.0)),
        ];
        if enhanced.is_some() {
            let can_forward = |list: &[&str]| {
                Amf0Value::Object(
                    list.iter()
                        .map(|k| ((*k).into(), Amf0Value::Number(4.0)))
                        .collect(),
                )
            };
            properties.push((
                "fourCcList".into(),
                Amf0Value::StrictArray(
                    SERVER_FOURCCS
                        .iter()
                        .map(|f| Amf0Value::String((*f).into()))
                        .collect(),
                ),
            ));
            properties.push(("videoFourCcInfoMap".into(), can_forward(&["avc1", "hvc1"])));
            properties.push(("audioFourCcInfoMap".into(), can_forward(&["mp4a", "Opus"])));
            properties.push((
                "capsEx".into(),
                Amf0Value::Number(f64::from(SERVER_CAPS_EX)),
            ));
        }
        let mut info = match status_object(
            "status",
            "NetConnection.Connect.Success",
            "Connection succeeded.",
        ) {
            Amf0Value::Object(p) => p,
            _ => Vec::new(),
        };
        info.push(("objectEncoding".into(), Amf0Value::Number(object_encoding)));
        let result = Command {
            name: "_result".into(),
            transaction_id: c.transaction_id,
            object: Amf0Value::Object(properties),
            arguments: vec![Amf0Value::Object(info)],
        };
        conn.send_command(0, &result)?;
        self.app = Some(app.clone());
        self.tc_url = tc_url.clone();
        self.events.push_back(ServerEvent::Connected {
            app,
            tc_url,
            enhanced,
        });
        Ok(())
    }

    fn start(
        &mut self,
        conn: &mut Connection,
        stream_id: u32,
        c: &Command,
        action: Action,
    ) -> Result<(), RtmpError> {
        let Some(app) = self.app.clone() else {
            return Err(RtmpError::Protocol {
                reason: "publish or play before connect",
            });
        };
        let Some(index) = self.streams.iter().position(|s| s.id == stream_id) else {
            return Err(RtmpError::Protocol {
                reason: "publish or play on a stream never created",
            });
        };
        if !matches!(self.streams[index].state, StreamState::Created) {
            return Err(RtmpError::Protocol {
                reason: "publish or play on a stream already busy",
            });
        }
        let name = StreamName::parse(c.string_argument(0).unwrap_or_default());
        let request = AccessRequest {
            action,
            app: &app,
            name: &name.name,
            query: name.query.as_deref(),
            tc_url: self.tc_url.as_deref(),
        };
        let verdict = if name.name.is_empty() {
            Err(Refusal::BadName)
        } else {
            self.policy.check(&request)
        };
        let status = |level, code: &str, description: &str| {
            Command::new(
                "onStatus",
                0.0,
                vec![status_object(level, code, description)],
            )
        };
        if let Err(refusal) = verdict {
            conn.send_command(
                stream_id,
                &status("error", refusal.code(action), refusal.description()),
            )?;
            self.events.push_back(ServerEvent::Refused {
                stream_id,
                action,
                name,
                refusal,
            });
            return Ok(());
        }
        match action {
            Action::Publish => {
                conn.send_command(
                    stream_id,
                    &status(
                        "status",
                        "NetStream.Publish.Start",
                        &format!("{} is now published", name.name),
                    ),
                )?;
                self.streams[index].state = StreamState::Publishing(name.clone());
                self.events
                    .push_back(ServerEvent::PublishStarted { stream_id, name });
            }
            Action::Play => {
                conn.send_user_control(&UserControl::StreamBegin(stream_id));
                conn.send_command(
                    stream_id,
                    &status(
                        "status",
                        "NetStream.Play.Reset",
                        &format!("playing and resetting {}", name.name),
                    ),
                )?;
                conn.send_command(
                    stream_id,
                    &status(
                        "status",
                        "NetStream.Play.Start",
                        &format!("started playing {}", name.name),
                    ),
                )?;
                conn.send_data(
                    stream_id,
                    &[
                        Amf0Value::String("|RtmpSampleAccess".into()),
                        Amf0Value::Boolean(true),
                        Amf0Value::Boolean(true),
                    ],
                )?;
                self.streams[index].state = StreamState::Playing(name.clone());
                self.events
                    .push_back(ServerEvent::PlayStarted { stream_id, name });
            }
        }
        Ok(())
    }
}
