//! The client side of an RTMP connection: publish to a server (a relay,
//! a test) or play from one.

use std::collections::VecDeque;
use std::time::Instant;

use bytes::Bytes;
use streamkit_core::flv::{MuxedTag, TagType};

use crate::amf::Amf0Value;
use crate::chunk::Message;
use crate::connection::{Connection, MediaMessage, RtmpError, SessionConfig, TimestampExtender};
use crate::message::{Command, UserControl, type_id};
use crate::url::RtmpUrl;

/// Publish or play.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ClientMode {
    /// Send a live stream.
    Publish,
    /// Receive a stream.
    Play,
}

/// What a [`ClientSession`] connects to and does.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct ClientConfig {
    /// Where: the app, and the stream key or name.
    pub url: RtmpUrl,
    /// Publish or play.
    pub mode: ClientMode,
    /// `flashVer` of `connect`.
    pub flash_ver: String,
    /// The codecs to declare in `connect` (`fourCcList`), for Enhanced
    /// RTMP; none by default.
    pub fourcc_list: Vec<String>,
    /// The connection's bounds and timers.
    pub session: SessionConfig,
}

impl ClientConfig {
    /// Publish `url`'s stream.
    #[must_use]
    pub fn publish(url: RtmpUrl) -> ClientConfig {
        ClientConfig {
            url,
            mode: ClientMode::Publish,
            flash_ver: "FMLE/3.0 (compatible; streamkit)".into(),
            fourcc_list: Vec::new(),
            session: SessionConfig::default(),
        }
    }

    /// Play `url`'s stream.
    #[must_use]
    pub fn play(url: RtmpUrl) -> ClientConfig {
        ClientConfig {
            mode: ClientMode::Play,
            flash_ver: "LNX 9,0,124,2".into(),
            ..ClientConfig::publish(url)
        }
    }

    /// This configuration declaring Enhanced RTMP codecs.
    #[must_use]
    pub fn with_fourcc_list(mut self, list: &[&str]) -> ClientConfig {
        self.fourcc_list = list.iter().map(|s| (*s).to_owned()).collect();
        self
    }

    /// This configuration with other session settings.
    #[must_use]
    pub fn with_session(mut self, session: SessionConfig) -> ClientConfig {
        self.session = session;
        self
    }
}

/// What a [`ClientSession`] reports.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum ClientEvent {
    /// `connect` succeeded; `properties` is the server's answer object.
    Connected {
        /// The server's properties (`fmsVer`, `capsEx`, `fourCcList`...).
        properties: Amf0Value,
    },
    /// `NetStream.Publish.Start`: send media now.
    Publishing {
        /// The message stream.
        stream_id: u32,
    },
    /// `NetStream.Play.Start`: media follows.
    Playing {
        /// The message stream.
        stream_id: u32,
    },
    /// Every `onStatus` the server sent.
    Status {
        /// `status`, `warning` or `error`.
        level: String,
        /// `NetStream.Play.Start`, ...
        code: String,
        /// The text.
        description: String,
    },
    /// The server refused: an error `onStatus` or `_error`. Nothing more
    /// happens on this session.
    Refused {
        /// The code (`NetStream.Publish.Denied`, ...).
        code: String,
        /// The text.
        description: String,
    },
    /// `onMetaData` of the stream played.
    Metadata {
        /// The values after the name.
        values: Vec<Amf0Value>,
    },
    /// An audio or video message of the stream played.
    Media(MediaMessage),
    /// The stream played ended (`StreamEOF`, `NetStream.Play.Stop`,
    /// `NetStream.Play.UnpublishNotify`).
    Ended,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Handshake,
    Connecting,
    CreatingStream,
    Starting(u32),
    Active(u32),
    Failed,
    Finished,
}

const TX_CONNECT: f64 = 1.0;
const TX_CREATE_STREAM: f64 = 4.0;

/// The client side of one RTMP connection, Sans-IO.
///
/// Call order: [`ClientSession::new`] (C0+C1 are queued), then as for
/// [`ServerSession`](crate::server::ServerSession): write what
/// [`ClientSession::poll_transmit`] gives, feed what you read to
/// [`ClientSession::handle_input`] with `now`, drain
/// [`ClientSession::poll_event`]. The session connects, creates a stream
/// and publishes or plays by itself. After [`ClientEvent::Publishing`],
/// send with [`ClientSession::send_metadata`] and
/// [`ClientSession::send_tag`]; [`ClientSession::finish`] ends the
/// publish (`FCUnpublish`, `deleteStream`).
pub struct ClientSession {
    conn: Connection,
    inner: Inner,
}

struct Inner {
    config: ClientConfig,
    state: State,
    events: VecDeque<ClientEvent>,
    timestamps: TimestampExtender,
    ended: bool,
}

impl core::fmt::Debug for ClientSession {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("ClientSession")
            .field("url", &self.inner.config.url)
            .field("state", &self.inner.state)
            .finish_non_exhaustive()
    }
}

impl ClientSession {
    /// A session started at `now`; C0+C1 wait in
    /// [`ClientSession::poll_transmit`].
    #[must_use]
    pub fn new(now: Instant, config: ClientConfig) -> ClientSession {
        ClientSession {
            conn: Connection::new_client(now, config.session),
            inner: Inner {
                config,
                state: State::Handshake,
                events: VecDeque::new(),
                timestamps: TimestampExtender::default(),
                ended: false,
            },
        }
    }

    /// The message stream once publishing or playing.
    #[must_use]
    pub fn stream_id(&self) -> Option<u32> {
        match self.inner.state {
            State::Active(id) => Some(id),
            _ => None,
        }
    }

    /// `true` once the session ended (refused, finished, an error).
    #[must_use]
    pub fn is_closed(&self) -> bool {
        self.conn.is_closed() || matches!(self.inner.state, State::Failed | State::Finished)
    }

    /// Bytes waiting in [`ClientSession::poll_transmit`].
    #[must_use]
    pub fn queued_bytes(&self) -> usize {
        self.conn.queued_bytes()
    }

    /// Takes bytes read from the connection at `now`.
    ///
    /// # Errors
    ///
    /// [`RtmpError`]: close the connection.
    pub fn handle_input(&mut self, now: Instant, data: &[u8]) -> Result<(), RtmpError> {
        let inner = &mut self.inner;
        let was = self.conn.handshake_done();
        let r = self
            .conn
            .handle_input(now, data, &mut |c, m| inner.handle_message(c, m));
        if !was && self.conn.handshake_done() && self.inner.state == State::Handshake {
            self.inner.connect(&mut self.conn)?;
        }
        r
    }

    /// The next buffer to write, in order.
    #[must_use]
    pub fn poll_transmit(&mut self) -> Option<Bytes> {
        self.conn.poll_transmit()
    }

    /// The next event.
    #[must_use]
    pub fn poll_event(&mut self) -> Option<ClientEvent> {
        self.inner.events.pop_front()
    }

    /// When to call [`ClientSession::handle_timeout`].
    #[must_use]
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.conn.poll_timeout()
    }

    /// Ends a session whose handshake or idle timeout passed.
    ///
    /// # Errors
    ///
    /// [`RtmpError::Timeout`].
    pub fn handle_timeout(&mut self, now: Instant) -> Result<(), RtmpError> {
        self.conn.handle_timeout(now)
    }

    fn publishing(&self) -> Result<u32, RtmpError> {
        match self.inner.state {
            State::Active(id) if self.inner.config.mode == ClientMode::Publish => Ok(id),
            _ => Err(RtmpError::State {
                reason: "not publishing",
            }),
        }
    }

    /// Sends `@setDataFrame onMetaData` with `metadata`.
    ///
    /// # Errors
    ///
    /// [`RtmpError::State`] before [`ClientEvent::Publishing`].
    pub fn send_metadata(&mut self, metadata: Amf0Value) -> Result<(), RtmpError> {
        let id = self.publishing()?;
        self.conn.send_data(
            id,
            &[
                Amf0Value::String("@setDataFrame".into()),
                Amf0Value::String("onMetaData".into()),
                metadata,
            ],
        )
    }

    /// Sends one tag (a sequence header or a sample; the data is not
    /// copied).
    ///
    /// # Errors
    ///
    /// [`RtmpError::State`] before [`ClientEvent::Publishing`],
    /// [`RtmpError::OutputFull`] when the server does not read.
    pub fn send_tag(&mut self, tag: &MuxedTag) -> Result<(), RtmpError> {
        let id = self.publishing()?;
        self.conn.send_tag(id, tag)
    }

    /// Sends a raw media message: a tag body of `tag_type` at `timestamp`
    /// milliseconds.
    ///
    /// # Errors
    ///
    /// As [`ClientSession::send_tag`].
    pub fn send_media(
        &mut self,
        tag_type: TagType,
        timestamp: i64,
        body: Bytes,
    ) -> Result<(), RtmpError> {
        let id = self.publishing()?;
        self.conn.send_media(id, tag_type, timestamp, &[], body)
    }

    /// Ends the publish or play: `FCUnpublish` and `deleteStream` (for a
    /// publish), `deleteStream` (for a play). A second call does nothing.
    ///
    /// # Errors
    ///
    /// None in practice (the commands always encode).
    pub fn finish(&mut self) -> Result<(), RtmpError> {
        if let State::Active(id) | State::Starting(id) = self.inner.state {
            if self.inner.config.mode == ClientMode::Publish {
                let name = self.inner.config.url.stream.to_string();
                self.conn.send_command(
                    0,
                    &Command::new("FCUnpublish", 5.0, vec![Amf0Value::String(name.into())]),
                )?;
            }
            self.conn.send_command(
                0,
                &Command::new("deleteStream", 0.0, vec![Amf0Value::Number(f64::from(id))]),
            )?;
        }
        if self.inner.state != State::Failed {
            self.inner.state = State::Finished;
        }
        Ok(())
    }
}

impl Inner {
    fn connect(&mut self, conn: &mut Connection) -> Result<(), RtmpError> {
        conn.send_chunk_size();
        let url = &self.config.url;
        let mut object = vec![
            ("app".into(), Amf0Value::String(url.app.as_str().into())),
            ("type".into(), Amf0Value::String("nonprivate".into())),
            (
                "flashVer".into(),
                Amf0Value::String(self.config.flash_ver.as_str().into()),
            ),
            ("tcUrl".into(), Amf0Value::String(url.tc_url().into())),
        ];
        if self.config.mode == ClientMode::Play {
            object.extend([
                ("fpad".into(), Amf0Value::Boolean(false)),
                ("capabilities".into(), Amf0Value::Number(15.0)),
                ("audioCodecs".into(), Amf0Value::Number(4071.0)),
                ("videoCodecs".into(), Amf0Value::Number(252.0)),
                ("videoFunction".into(), Amf0Value::Number(1.0)),
            ]);
        }
        if !self.config.fourcc_list.is_empty() {
            object.push((
                "fourCcList".into(),
                Amf0Value::StrictArray(
                    self.config
                        .fourcc_list
                        .iter()
                        .map(|f| Amf0Value::String(f.as_str().into()))
                        .collect(),
                ),
            ));
        }
        let c = Command {
            name: "connect".into(),
            transaction_id: TX_CONNECT,
            object: Amf0Value::Object(object),
            arguments: Vec::new(),
        };
        conn.send_command(0, &c)?;
        self.state = State::Connecting;
        Ok(())
    }

    fn handle_message(&mut self, conn: &mut Connection, m: Message) -> Result<(), RtmpError> {
        match m.type_id {
            type_id::COMMAND_AMF0 | type_id::COMMAND_AMF3 => {
                let c = Command::parse(
                    &m.payload,
                    m.type_id == type_id::COMMAND_AMF3,
                    &conn.config.amf_limits,
                )
                .map_err(|source| RtmpError::Amf {
                    what: "a command",
                    source,
                })?;
                self.handle_command(conn, c)
            }
            type_id::USER_CONTROL => {
                if let Some(UserControl::StreamEof(_)) = UserControl::parse(&m.payload)
                    && matches!(self.state, State::Active(_))
                    && self.config.mode == ClientMode::Play
                {
                    self.end();
                }
                Ok(())
            }
            type_id::DATA_AMF0 | type_id::DATA_AMF3 => {
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
                if values.first().and_then(Amf0Value::as_str) == Some("onMetaData") {
                    values.remove(0);
                    self.events.push_back(ClientEvent::Metadata { values });
                }
                Ok(())
            }
            type_id::AUDIO | type_id::VIDEO => {
                if let State::Active(id) = self.state
                    && self.config.mode == ClientMode::Play
                    && m.stream_id == id
                {
                    let tag_type = if m.type_id == type_id::AUDIO {
                        TagType::Audio
                    } else {
                        TagType::Video
                    };
                    let timestamp = self.timestamps.extend(m.stream_id, m.type_id, m.timestamp);
                    self.events.push_back(ClientEvent::Media(MediaMessage {
                        stream_id: m.stream_id,
                        tag_type,
                        timestamp,
                        body: m.payload,
                    }));
                }
                Ok(())
            }
            type_id::AGGREGATE => {
                for sub in crate::connection::split_aggregate(&m) {
                    self.handle_message(conn, sub)?;
                }
                Ok(())
            }
            _ => Ok(()),
        }
    }

    fn end(&mut self) {
        if !self.ended {
            self.ended = true;
            self.events.push_back(ClientEvent::Ended);
        }
    }

    fn refuse(&mut self, code: String, description: String) {
        self.state = State::Failed;
        self.events
            .push_back(ClientEvent::Refused { code, description });
    }

    fn handle_command(&mut self, conn: &mut Connection, c: Command) -> Result<(), RtmpError> {
        let info = c.arguments.first();
        let text = |k: &str| {
            info.and_then(|i| i.get(k))
                .and_then(Amf0Value::as_str)
                .unwrap_or_default()
                .to_owned()
        };
        match (c.name.as_str(), self.state) {
            ("_result", State::Connecting) if c.transaction_id == TX_CONNECT => {
                self.events.push_back(ClientEvent::Connected {
                    properties: c.object.clone(),
                });
                let name = Amf0Value::String(self.config.url.stream.to_string().into());
                if self.config.mode == ClientMode::Publish {
                    conn.send_command(0, &Command::new("releaseStream", 2.0, vec![name.clone()]))?;
                    conn.send_command(0, &Command::new("FCPublish", 3.0, vec![name]))?;
                }
                conn.send_command(0, &Command::new("createStream", TX_CREATE_STREAM, vec![]))?;
                self.state = State::CreatingStream;
                Ok(())
            }
            ("_result", State::CreatingStream) if c.transaction_id == TX_CREATE_STREAM => {
                let id = c.arguments.first().and_then(Amf0Value::as_number).ok_or(
                    RtmpError::Protocol {
                        reason: "createStream's _result without a stream id",
                    },
                )? as u32;
                let name = Amf0Value::String(self.config.url.stream.to_string().into());
                match self.config.mode {
                    ClientMode::Publish => conn.send_command(
                        id,
                        &Command::new("publish", 0.0, vec![name, Amf0Value::String("live".into())]),
                    )?,
                    ClientMode::Play => {
                        conn.send_command(
                            id,
                            &Command::new("play", 0.0, vec![name, Amf0Value::Number(-2000.0)]),
                        )?;
                        conn.send_user_control(&UserControl::SetBufferLength {
                            stream_id: id,
                            millis: 1000,
                        });
                    }
                }
                self.state = State::Starting(id);
                Ok(())
            }
            ("_error", State::Connecting | State::CreatingStream) => {
                self.refuse(text("code"), text("description"));
                Ok(())
            }
            ("onStatus", _) => {
                let (level, code, description) = (text("level"), text("code"), text("description"));
                self.events.push_back(ClientEvent::Status {
                    level: level.clone(),
                    code: code.clone(),
                    description: description.clone(),
                });
                match self.state {
                    State::Starting(id) if code == "NetStream.Publish.Start" => {
                        self.state = State::Active(id);
                        self.events
                            .push_back(ClientEvent::Publishing { stream_id: id });
                    }
                    State::Starting(id) if code == "NetStream.Play.Start" => {
                        self.state = State::Active(id);
                        self.events
                            .push_back(ClientEvent::Playing { stream_id: id });
                    }
                    State::Active(_)
                        if self.config.mode == ClientMode::Play
                            && (code == "NetStream.Play.Stop"
                                || code == "NetStream.Play.UnpublishNotify") =>
                    {
                        self.end();
                    }
                    _ if level == "error" => self.refuse(code, description),
                    _ => {}
                }
                Ok(())
            }
            _ => Ok(()),
        }
    }
}
