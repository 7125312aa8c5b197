//! AMF0 and AMF3: the value encodings of RTMP commands, data messages and
//! FLV script data.
//!
//! [`Amf0Value`] and [`Amf3Value`] model every type of the two
//! specifications (Adobe AMF0 and AMF3 file format specifications).
//! Decoding is bounded ([`AmfLimits`]: nesting depth, number of values,
//! bytes of strings after references are resolved) and never panics;
//! every error says what and at which byte. Encoding writes what decoding
//! reads: `decode(encode(v)) == v`.
//!
//! References: AMF0 object references and AMF3 object references (to the
//! n-th complex value of the message) are kept as values
//! ([`Amf0Value::Reference`], [`Amf3Value::Reference`]), not resolved, so
//! a cyclic graph decodes and nothing grows exponentially. AMF3 string
//! and trait references are resolved (their bytes count against
//! [`AmfLimits::max_bytes`]); the encoder writes strings and traits
//! inline.
//!
//! Strings that are not UTF-8 are read with U+FFFD replacements, as
//! encoders in the field send such metadata now and then. AMF0 strings,
//! property names and class names are [`AmfString`]s, which keep text of
//! up to 22 bytes inline (most command names, property names and values),
//! so decoding a `connect` or an `onMetaData` allocates for its long
//! strings and its arrays only; AMF0 long strings, XML documents and AMF3
//! text are `String`s.
//!
//! ```
//! use streamkit_rtmp::amf::{Amf0Value, AmfLimits, amf0};
//!
//! let command = [
//!     Amf0Value::String("connect".into()),
//!     Amf0Value::Number(1.0),
//!     Amf0Value::Object(vec![("app".into(), Amf0Value::String("live".into()))]),
//! ];
//! let mut bytes = Vec::new();
//! for v in &command {
//!     v.encode(&mut bytes)?;
//! }
//! assert_eq!(amf0::decode_all(&bytes, &AmfLimits::default())?, command);
//! # Ok::<(), streamkit_rtmp::amf::AmfError>(())
//! ```

pub mod amf0;
pub mod amf3;
mod string;

use amf0::{FailKind, Res, fail};

pub use amf0::Amf0Value;
pub use amf3::{Amf3Object, Amf3Value};
pub use string::AmfString;

/// Bounds on what one decode may build.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct AmfLimits {
    /// Objects and arrays nest at most this deep.
    pub max_depth: usize,
    /// At most this many values in all (every element counts).
    pub max_values: usize,
    /// At most this many bytes of strings, byte arrays and vectors in all
    /// (references resolved: a string referenced twice counts twice).
    pub max_bytes: usize,
}

impl Default for AmfLimits {
    /// Depth 32, 65,536 values, 4 MiB.
    fn default() -> Self {
        AmfLimits {
            max_depth: 32,
            max_values: 65_536,
            max_bytes: 4 << 20,
        }
    }
}

impl AmfLimits {
    /// These limits with another depth.
    #[must_use]
    pub fn with_max_depth(mut self, depth: usize) -> AmfLimits {
        self.max_depth = depth;
        self
    }

    /// These limits with another number of values.
    #[must_use]
    pub fn with_max_values(mut self, values: usize) -> AmfLimits {
        self.max_values = values;
        self
    }

    /// These limits with another byte budget.
    #[must_use]
    pub fn with_max_bytes(mut self, bytes: usize) -> AmfLimits {
        self.max_bytes = bytes;
        self
    }
}

/// Why AMF bytes could not be decoded, or a value encoded.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AmfError {
    /// The input ended inside a value.
    #[error("{format}: truncated at byte {offset} reading {what}")]
    Truncated {
        /// `"AMF0"` or `"AMF3"`.
        format: &'static str,
        /// What was being read.
        what: &'static str,
        /// Byte offset in the input.
        offset: usize,
    },
    /// A type marker the format does not define (or reserves).
    #[error("{format}: unknown type marker 0x{marker:02x} at byte {offset}")]
    UnknownMarker {
        /// `"AMF0"` or `"AMF3"`.
        format: &'static str,
        /// The marker.
        marker: u8,
        /// Byte offset.
        offset: usize,
    },
    /// Nesting deeper than [`AmfLimits::max_depth`].
    #[error("{format}: nesting deeper than {limit} at byte {offset}")]
    TooDeep {
        /// `"AMF0"` or `"AMF3"`.
        format: &'static str,
        /// The limit.
        limit: usize,
        /// Byte offset.
        offset: usize,
    },
    /// More values, or more bytes, than the limits allow.
    #[error("{format}: more than {limit} {what} at byte {offset}")]
    OverLimit {
        /// `"AMF0"` or `"AMF3"`.
        format: &'static str,
        /// `"values"` or `"bytes"`.
        what: &'static str,
        /// The limit.
        limit: usize,
        /// Byte offset.
        offset: usize,
    },
    /// A string, trait or object reference to an entry the message has
    /// not defined.
    #[error("{format}: {table} reference {index} at byte {offset} is not defined")]
    BadReference {
        /// `"AMF0"` or `"AMF3"`.
        format: &'static str,
        /// `"string"`, `"trait"` or `"object"`.
        table: &'static str,
        /// The index.
        index: u32,
        /// Byte offset.
        offset: usize,
    },
    /// A value this decoder cannot read (an externalizable AMF3 object:
    /// only its class knows its bytes).
    #[error("{format}: {what} at byte {offset} is not supported")]
    Unsupported {
        /// `"AMF0"` or `"AMF3"`.
        format: &'static str,
        /// What.
        what: &'static str,
        /// Byte offset.
        offset: usize,
    },
    /// A value too large for its encoding (a string over 65,535 bytes as
    /// an AMF0 short string, an AMF3 length over 2^28).
    #[error("{format}: cannot encode {what} of {len}: at most {max}")]
    TooLong {
        /// `"AMF0"` or `"AMF3"`.
        format: &'static str,
        /// What.
        what: &'static str,
        /// Its length.
        len: usize,
        /// The most the encoding can carry.
        max: usize,
    },
}

/// What both decoders count against the limits.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Budget {
    pub(crate) limits: AmfLimits,
    pub(crate) values: usize,
    pub(crate) bytes: usize,
}

impl Budget {
    pub(crate) fn new(limits: AmfLimits) -> Budget {
        Budget {
            limits,
            values: 0,
            bytes: 0,
        }
    }

    /// Counts one more value; fails past [`AmfLimits::max_values`].
    pub(crate) fn count<'a>(&mut self, i: &'a [u8]) -> Res<'a, ()> {
        self.values += 1;
        if self.values > self.limits.max_values {
            return fail(i, FailKind::OverValues);
        }
        Ok((i, ()))
    }

    /// Counts `n` more bytes of strings, byte arrays and vectors
    /// (references resolved); fails past [`AmfLimits::max_bytes`].
    pub(crate) fn bytes<'a>(&mut self, i: &'a [u8], n: usize) -> Res<'a, ()> {
        self.bytes = self.bytes.saturating_add(n);
        if self.bytes > self.limits.max_bytes {
            return fail(i, FailKind::OverBytes);
        }
        Ok((i, ()))
    }
}

/// The property named `name` of an object's or array's properties
/// (AMF0's [`AmfString`] names or AMF3's `String` ones).
#[must_use]
pub fn property<'a, K: PartialEq<str>, V>(properties: &'a [(K, V)], name: &str) -> Option<&'a V> {
    properties.iter().find(|(k, _)| k == name).map(|(_, v)| v)
}
