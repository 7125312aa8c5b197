//! RTMP messages above the chunk stream: message types, protocol control
//! messages, user control events, commands and data messages.

use bytes::{BufMut, Bytes, BytesMut};

use crate::amf::{Amf0Value, AmfError, AmfLimits, amf0};

/// Message type ids (RTMP 1.0, 5.4 and 6.2; 22 is aggregate).
pub mod type_id {
    /// Set Chunk Size.
    pub const SET_CHUNK_SIZE: u8 = 1;
    /// Abort.
    pub const ABORT: u8 = 2;
    /// Acknowledgement.
    pub const ACKNOWLEDGEMENT: u8 = 3;
    /// User Control.
    pub const USER_CONTROL: u8 = 4;
    /// Window Acknowledgement Size.
    pub const WINDOW_ACK_SIZE: u8 = 5;
    /// Set Peer Bandwidth.
    pub const SET_PEER_BANDWIDTH: u8 = 6;
    /// Audio (an FLV audio tag body).
    pub const AUDIO: u8 = 8;
    /// Video (an FLV video tag body).
    pub const VIDEO: u8 = 9;
    /// Data, AMF3.
    pub const DATA_AMF3: u8 = 15;
    /// Shared object, AMF3.
    pub const SHARED_OBJECT_AMF3: u8 = 16;
    /// Command, AMF3.
    pub const COMMAND_AMF3: u8 = 17;
    /// Data, AMF0 (`@setDataFrame`, `onMetaData`).
    pub const DATA_AMF0: u8 = 18;
    /// Shared object, AMF0.
    pub const SHARED_OBJECT_AMF0: u8 = 19;
    /// Command, AMF0.
    pub const COMMAND_AMF0: u8 = 20;
    /// Aggregate: FLV tags back to back.
    pub const AGGREGATE: u8 = 22;
}

/// A User Control event (RTMP 1.0, 6.2 and 7.1.7).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum UserControl {
    /// 0: a stream is ready.
    StreamBegin(u32),
    /// 1: a stream's playback ended.
    StreamEof(u32),
    /// 2: a stream has no more data for now.
    StreamDry(u32),
    /// 3: the client's buffer length for a stream, in milliseconds.
    SetBufferLength {
        /// The stream.
        stream_id: u32,
        /// Milliseconds.
        millis: u32,
    },
    /// 4: a stream is recorded.
    StreamIsRecorded(u32),
    /// 6: a ping, with the sender's timestamp.
    PingRequest(u32),
    /// 7: the answer to a ping.
    PingResponse(u32),
    /// Another event type, kept as it came.
    Other {
        /// The event type.
        event_type: u16,
        /// Its data.
        data: Bytes,
    },
}

impl UserControl {
    /// Parses a User Control message payload; `None` when it is shorter
    /// than its event needs.
    #[must_use]
    pub fn parse(payload: &Bytes) -> Option<UserControl> {
        let event_type = u16::from_be_bytes([*payload.first()?, *payload.get(1)?]);
        let word = |at: usize| -> Option<u32> {
            let b = payload.get(at..at + 4)?;
            Some(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
        };
        Some(match event_type {
            0 => UserControl::StreamBegin(word(2)?),
            1 => UserControl::StreamEof(word(2)?),
            2 => UserControl::StreamDry(word(2)?),
            3 => UserControl::SetBufferLength {
                stream_id: word(2)?,
                millis: word(6)?,
            },
            4 => UserControl::StreamIsRecorded(word(2)?),
            6 => UserControl::PingRequest(word(2)?),
            7 => UserControl::PingResponse(word(2)?),
            _ => UserControl::Other {
                event_type,
                data: payload.slice(2..),
            },
        })
    }

    /// The message payload.
    #[must_use]
    pub fn to_bytes(&self) -> Bytes {
        let mut b = BytesMut::with_capacity(10);
        let (t, a, c) = match self {
            UserControl::StreamBegin(s) => (0, *s, None),
            UserControl::StreamEof(s) => (1, *s, None),
            UserControl::StreamDry(s) => (2, *s, None),
            UserControl::SetBufferLength { stream_id, millis } => (3, *stream_id, Some(*millis)),
            UserControl::StreamIsRecorded(s) => (4, *s, None),
            UserControl::PingRequest(t) => (6, *t, None),
            UserControl::PingResponse(t) => (7, *t, None),
            UserControl::Other { event_type, data } => {
                b.put_u16(*event_type);
                b.put_slice(data);
                return b.freeze();
            }
        };
        b.put_u16(t);
        b.put_u32(a);
        if let Some(c) = c {
            b.put_u32(c);
        }
        b.freeze()
    }
}

/// A command message: a name, a transaction id, a command object and
/// arguments (RTMP 1.0, 7.2).
#[derive(Clone, Debug, PartialEq)]
pub struct Command {
    /// `connect`, `createStream`, `publish`, `_result`, `onStatus`, ...
    pub name: String,
    /// The transaction id (0 when no answer is expected).
    pub transaction_id: f64,
    /// The command object (often null).
    pub object: Amf0Value,
    /// The arguments after it.
    pub arguments: Vec<Amf0Value>,
}

impl Command {
    /// A command with a null command object.
    #[must_use]
    pub fn new(name: &str, transaction_id: f64, arguments: Vec<Amf0Value>) -> Command {
        Command {
            name: name.to_owned(),
            transaction_id,
            object: Amf0Value::Null,
            arguments,
        }
    }

    /// Parses a command payload; `amf3` for message type 17, whose
    /// payload starts with a format byte (0) and then AMF0 values with
    /// AMF3 switches.
    ///
    /// # Errors
    ///
    /// The [`AmfError`] of a payload that does not decode, or
    /// [`AmfError::Truncated`] for a command without a name and
    /// transaction id.
    pub fn parse(payload: &[u8], amf3: bool, limits: &AmfLimits) -> Result<Command, AmfError> {
        let data = if amf3 && payload.first() == Some(&0) {
            &payload[1..]
        } else {
            payload
        };
        let mut values = amf0::decode_all(data, limits)?.into_iter();
        let missing = |what| AmfError::Truncated {
            format: "AMF0",
            what,
            offset: data.len(),
        };
        let name = match values.next() {
            Some(Amf0Value::String(s)) => String::from(s),
            Some(Amf0Value::LongString(s)) => s,
            Some(Amf0Value::Avmplus(crate::amf::Amf3Value::String(s))) => s,
            _ => return Err(missing("a command name")),
        };
        let transaction_id = match values.next() {
            Some(Amf0Value::Number(n)) => n,
            Some(Amf0Value::Avmplus(crate::amf::Amf3Value::Double(n))) => n,
            Some(Amf0Value::Avmplus(crate::amf::Amf3Value::Integer(n))) => f64::from(n),
            // Some encoders end a notification after its name.
            None => 0.0,
            Some(_) => return Err(missing("a transaction id")),
        };
        let object = values.next().unwrap_or(Amf0Value::Null);
        Ok(Command {
            name,
            transaction_id,
            object,
            arguments: values.collect(),
        })
    }

    /// The AMF0 payload.
    ///
    /// # Errors
    ///
    /// The [`AmfError`] of a value AMF0 cannot encode.
    pub fn to_bytes(&self) -> Result<Bytes, AmfError> {
        let mut b = BytesMut::new();
        Amf0Value::String(self.name.as_str().into()).encode(&mut b)?;
        Amf0Value::Number(self.transaction_id).encode(&mut b)?;
        self.object.encode(&mut b)?;
        for a in &self.arguments {
            a.encode(&mut b)?;
        }
        Ok(b.freeze())
    }

    /// The `n`-th argument's string, when it is one.
    #[must_use]
    pub fn string_argument(&self, n: usize) -> Option<&str> {
        self.arguments.get(n).and_then(Amf0Value::as_str)
    }
}

/// The payload of a data message: its values, AMF0 encoded.
///
/// # Errors
///
/// The [`AmfError`] of a value AMF0 cannot encode.
pub fn data_payload(values: &[Amf0Value]) -> Result<Bytes, AmfError> {
    let mut b = BytesMut::new();
    for v in values {
        v.encode(&mut b)?;
    }
    Ok(b.freeze())
}

/// An `onStatus` information object: level, code, description.
#[must_use]
pub fn status_object(level: &str, code: &str, description: &str) -> Amf0Value {
    Amf0Value::Object(vec![
        ("level".into(), Amf0Value::String(level.into())),
        ("code".into(), Amf0Value::String(code.into())),
        ("description".into(), Amf0Value::String(description.into())),
    ])
}
