//! AMF0 values, decoded by direct slice reads (nom's result and error
//! types, shared with the AMF3 decoder, carry the positions) and encoded
//! into any `BufMut`.

use bytes::BufMut;
use nom::IResult;
use nom::error::{ErrorKind, ParseError};

use super::amf3::{self, Amf3Value};
use super::{AmfError, AmfLimits, AmfString, Budget};

const FORMAT: &str = "AMF0";

/// One AMF0 value.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum Amf0Value {
    /// `number-marker` (0x00): an IEEE 754 double.
    Number(f64),
    /// `boolean-marker` (0x01).
    Boolean(bool),
    /// `string-marker` (0x02): at most 65,535 bytes of UTF-8.
    String(AmfString),
    /// `object-marker` (0x03): properties in order.
    Object(Vec<(AmfString, Amf0Value)>),
    /// `null-marker` (0x05).
    Null,
    /// `undefined-marker` (0x06).
    Undefined,
    /// `reference-marker` (0x07): the n-th complex value (object, array,
    /// typed object) of the message, kept as a reference.
    Reference(u16),
    /// `ecma-array-marker` (0x08): an associative array.
    EcmaArray(Vec<(AmfString, Amf0Value)>),
    /// `strict-array-marker` (0x0a): a dense array.
    StrictArray(Vec<Amf0Value>),
    /// `date-marker` (0x0b): milliseconds since the Unix epoch, and a time
    /// zone the specification says to ignore.
    Date {
        /// Milliseconds since 1970-01-01 UTC.
        millis: f64,
        /// Minutes (reserved: 0).
        time_zone: i16,
    },
    /// `long-string-marker` (0x0c).
    LongString(String),
    /// `unsupported-marker` (0x0d).
    Unsupported,
    /// `xml-document-marker` (0x0f).
    XmlDocument(String),
    /// `typed-object-marker` (0x10): a class name and its properties.
    TypedObject {
        /// The class name.
        class_name: AmfString,
        /// The properties.
        properties: Vec<(AmfString, Amf0Value)>,
    },
    /// `avmplus-object-marker` (0x11): an AMF3 value.
    Avmplus(Amf3Value),
}

impl Amf0Value {
    /// The number, when this is one.
    #[must_use]
    pub fn as_number(&self) -> Option<f64> {
        match self {
            Amf0Value::Number(n) => Some(*n),
            _ => None,
        }
    }

    /// The text of a string, long string or XML document.
    #[must_use]
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Amf0Value::String(s) => Some(s.as_str()),
            Amf0Value::LongString(s) | Amf0Value::XmlDocument(s) => Some(s),
            _ => None,
        }
    }

    /// The properties of an object, ECMA array or typed object.
    #[must_use]
    pub fn properties(&self) -> Option<&[(AmfString, Amf0Value)]> {
        match self {
            Amf0Value::Object(p)
            | Amf0Value::EcmaArray(p)
            | Amf0Value::TypedObject { properties: p, .. } => Some(p),
            _ => None,
        }
    }

    /// The value of property `name` of an object, ECMA array or typed
    /// object.
    #[must_use]
    pub fn get(&self, name: &str) -> Option<&Amf0Value> {
        self.properties().and_then(|p| super::property(p, name))
    }

    /// Writes the value.
    ///
    /// # Errors
    ///
    /// [`AmfError::TooLong`] for a string or property name over 65,535
    /// bytes (use [`Amf0Value::LongString`]), an array over 2^32 - 1
    /// elements, or an AMF3 value AMF3 cannot encode.
    pub fn encode(&self, out: &mut impl BufMut) -> Result<(), AmfError> {
        match self {
            Amf0Value::Number(n) => {
                out.put_u8(0x00);
                out.put_f64(*n);
            }
            Amf0Value::Boolean(b) => {
                out.put_u8(0x01);
                out.put_u8(u8::from(*b));
            }
            Amf0Value::String(s) => {
                out.put_u8(0x02);
                put_short_string(out, s)?;
            }
            Amf0Value::Object(p) => {
                out.put_u8(0x03);
                put_properties(out, p)?;
            }
            Amf0Value::Null => out.put_u8(0x05),
            Amf0Value::Undefined => out.put_u8(0x06),
            Amf0Value::Reference(r) => {
                out.put_u8(0x07);
                out.put_u16(*r);
            }
            Amf0Value::EcmaArray(p) => {
                out.put_u8(0x08);
                out.put_u32(count_u32(p.len())?);
                put_properties(out, p)?;
            }
            Amf0Value::StrictArray(items) => {
                out.put_u8(0x0a);
                out.put_u32(count_u32(items.len())?);
                for v in items {
                    v.encode(out)?;
                }
            }
            Amf0Value::Date { millis, time_zone } => {
                out.put_u8(0x0b);
                out.put_f64(*millis);
                out.put_i16(*time_zone);
            }
            Amf0Value::LongString(s) => {
                out.put_u8(0x0c);
                put_long_string(out, s)?;
            }
            Amf0Value::Unsupported => out.put_u8(0x0d),
            Amf0Value::XmlDocument(s) => {
                out.put_u8(0x0f);
                put_long_string(out, s)?;
            }
            Amf0Value::TypedObject {
                class_name,
                properties,
            } => {
                out.put_u8(0x10);
                put_short_string(out, class_name)?;
                put_properties(out, properties)?;
            }
            Amf0Value::Avmplus(v) => {
                out.put_u8(0x11);
                v.encode(out)?;
            }
        }
        Ok(())
    }
}

fn count_u32(n: usize) -> Result<u32, AmfError> {
    u32::try_from(n).map_err(|_| AmfError::TooLong {
        format: FORMAT,
        what: "an array",
        len: n,
        max: u32::MAX as usize,
    })
}

fn put_short_string(out: &mut impl BufMut, s: &str) -> Result<(), AmfError> {
    let len = u16::try_from(s.len()).map_err(|_| AmfError::TooLong {
        format: FORMAT,
        what: "a string",
        len: s.len(),
        max: usize::from(u16::MAX),
    })?;
    out.put_u16(len);
    out.put_slice(s.as_bytes());
    Ok(())
}

fn put_long_string(out: &mut impl BufMut, s: &str) -> Result<(), AmfError> {
    out.put_u32(count_u32(s.len())?);
    out.put_slice(s.as_bytes());
    Ok(())
}

fn put_properties(out: &mut impl BufMut, p: &[(AmfString, Amf0Value)]) -> Result<(), AmfError> {
    for (k, v) in p {
        put_short_string(out, k)?;
        v.encode(out)?;
    }
    out.put_slice(&[0, 0, 0x09]);
    Ok(())
}

/// Decodes one value at the start of `data`: the value and the bytes it
/// took.
///
/// # Errors
///
/// Any [`AmfError`] decoding can give.
pub fn decode(data: &[u8], limits: &AmfLimits) -> Result<(Amf0Value, usize), AmfError> {
    let mut d = Decoder::new(data, *limits);
    let (rest, v) = d.value(data, 0).map_err(|e| d.error(e))?;
    Ok((v, data.len() - rest.len()))
}

/// Decodes every value of `data` (an RTMP command: name, transaction id,
/// command object, arguments), sharing one budget.
///
/// # Errors
///
/// Any [`AmfError`] decoding can give.
pub fn decode_all(data: &[u8], limits: &AmfLimits) -> Result<Vec<Amf0Value>, AmfError> {
    let mut d = Decoder::new(data, *limits);
    // An RTMP command has a name, a transaction id, a command object and
    // an argument or two.
    let mut out = Vec::with_capacity(4);
    let mut rest = data;
    while !rest.is_empty() {
        let (r, v) = d.element(rest, 0).map_err(|e| d.error(e))?;
        out.push(v);
        rest = r;
    }
    Ok(out)
}

/// A nom error with what went wrong.
#[derive(Debug)]
pub(crate) struct Fail<'a> {
    pub(crate) input: &'a [u8],
    pub(crate) kind: FailKind,
}

#[derive(Debug)]
pub(crate) enum FailKind {
    Truncated(&'static str),
    Marker(u8),
    Deep,
    OverValues,
    OverBytes,
    BadReference(&'static str, u32),
    Unsupported(&'static str),
}

impl<'a> ParseError<&'a [u8]> for Fail<'a> {
    fn from_error_kind(input: &'a [u8], _kind: ErrorKind) -> Self {
        Fail {
            input,
            kind: FailKind::Truncated("a value"),
        }
    }

    fn append(_input: &'a [u8], _kind: ErrorKind, other: Self) -> Self {
        other
    }
}

pub(crate) type Res<'a, T> = IResult<&'a [u8], T, Fail<'a>>;

/// Names what a failed primitive read was reading.
pub(crate) fn named<'a, T>(what: &'static str, r: Res<'a, T>) -> Res<'a, T> {
    r.map_err(|e| {
        e.map(|f| match f.kind {
            FailKind::Truncated(_) => Fail {
                input: f.input,
                kind: FailKind::Truncated(what),
            },
            _ => f,
        })
    })
}

pub(crate) fn fail<T>(input: &[u8], kind: FailKind) -> Res<'_, T> {
    Err(nom::Err::Failure(Fail { input, kind }))
}

/// Turns a failure into the crate's error, with its offset in `whole`.
pub(crate) fn to_error(
    format: &'static str,
    whole: &[u8],
    limits: &AmfLimits,
    e: nom::Err<Fail<'_>>,
) -> AmfError {
    let f = match e {
        nom::Err::Error(f) | nom::Err::Failure(f) => f,
        nom::Err::Incomplete(_) => {
            return AmfError::Truncated {
                format,
                what: "a value",
                offset: whole.len(),
            };
        }
    };
    let offset = whole.len().saturating_sub(f.input.len());
    match f.kind {
        FailKind::Truncated(what) => AmfError::Truncated {
            format,
            what,
            offset,
        },
        FailKind::Marker(marker) => AmfError::UnknownMarker {
            format,
            marker,
            offset,
        },
        FailKind::Deep => AmfError::TooDeep {
            format,
            limit: limits.max_depth,
            offset,
        },
        FailKind::OverValues => AmfError::OverLimit {
            format,
            what: "values",
            limit: limits.max_values,
            offset,
        },
        FailKind::OverBytes => AmfError::OverLimit {
            format,
            what: "bytes",
            limit: limits.max_bytes,
            offset,
        },
        FailKind::BadReference(table, index) => AmfError::BadReference {
            format,
            table,
            index,
            offset,
        },
        FailKind::Unsupported(what) => AmfError::Unsupported {
            format,
            what,
            offset,
        },
    }
}

/// Text from bytes; invalid UTF-8 is replaced, not refused.
pub(crate) fn text(b: &[u8]) -> String {
    match core::str::from_utf8(b) {
        Ok(s) => s.to_owned(),
        Err(_) => String::from_utf8_lossy(b).into_owned(),
    }
}

struct Decoder<'w> {
    whole: &'w [u8],
    budget: Budget,
    /// Values that arrays may still reserve room for ([`Decoder::reserve`]).
    reservable: usize,
    /// The format of the innermost failure (an AMF3 value inside AMF0
    /// reports as AMF3).
    format: &'static str,
}

impl<'w> Decoder<'w> {
    fn new(whole: &'w [u8], limits: AmfLimits) -> Decoder<'w> {
        Decoder {
            whole,
            budget: Budget::new(limits),
            reservable: limits.max_values,
            format: FORMAT,
        }
    }

    /// Room for up to `n` values reserved ahead of decoding them (an
    /// array's count), out of [`AmfLimits::max_values`] for the whole
    /// decode: counts that lie (nested arrays each claiming the rest of
    /// the input) reserve no more than the values a decode may hold.
    fn reserve(&mut self, n: usize) -> usize {
        let n = n.min(self.reservable);
        self.reservable -= n;
        n
    }

    fn error(&self, e: nom::Err<Fail<'_>>) -> AmfError {
        to_error(self.format, self.whole, &self.budget.limits, e)
    }

    #[inline(always)]
    fn short_string<'a>(&mut self, i: &'a [u8], what: &'static str) -> Res<'a, AmfString> {
        let Some((len, i)) = i.split_first_chunk::<2>() else {
            return fail(i, FailKind::Truncated(what));
        };
        let Some((b, rest)) = i.split_at_checked(usize::from(u16::from_be_bytes(*len))) else {
            return fail(i, FailKind::Truncated(what));
        };
        self.budget.bytes(rest, b.len())?;
        Ok((rest, AmfString::from_utf8_lossy_in(b, i)))
    }

    fn long_string<'a>(&mut self, i: &'a [u8], what: &'static str) -> Res<'a, String> {
        let Some((len, i)) = i.split_first_chunk::<4>() else {
            return fail(i, FailKind::Truncated(what));
        };
        let Some((b, rest)) = usize::try_from(u32::from_be_bytes(*len))
            .ok()
            .and_then(|n| i.split_at_checked(n))
        else {
            return fail(i, FailKind::Truncated(what));
        };
        self.budget.bytes(rest, b.len())?;
        Ok((rest, text(b)))
    }

    /// Properties up to the object end (an empty name, then 0x09);
    /// `capacity` is a guess of how many (an ECMA array's count, bounded
    /// by the bytes left).
    fn properties<'a>(
        &mut self,
        mut i: &'a [u8],
        depth: usize,
        capacity: usize,
    ) -> Res<'a, Vec<(AmfString, Amf0Value)>> {
        let mut out = Vec::with_capacity(capacity);
        loop {
            if let Some(([0, 0, 0x09], rest)) = i.split_first_chunk::<3>() {
                return Ok((rest, out));
            }
            let (r, key) = self.short_string(i, "a property name")?;
            let (r, v) = self.element(r, depth + 1)?;
            out.push((key, v));
            i = r;
        }
    }

    /// [`Decoder::value`] with numbers, booleans and strings (what most
    /// properties and array elements hold) decoded in the caller, so
    /// their values are built in place instead of returned through
    /// memory; the same checks in the same order.
    #[inline(always)]
    fn element<'a>(&mut self, i: &'a [u8], depth: usize) -> Res<'a, Amf0Value> {
        if depth <= self.budget.limits.max_depth {
            match i {
                [0x00, rest @ ..] if rest.len() >= 8 => {
                    self.budget.count(i)?;
                    if let Some((n, rest)) = rest.split_first_chunk::<8>() {
                        return Ok((rest, Amf0Value::Number(f64::from_be_bytes(*n))));
                    }
                }
                [0x01, b, rest @ ..] => {
                    self.budget.count(i)?;
                    return Ok((rest, Amf0Value::Boolean(*b != 0)));
                }
                [0x02, rest @ ..] => {
                    self.budget.count(i)?;
                    let (rest, s) = self.short_string(rest, "a string")?;
                    return Ok((rest, Amf0Value::String(s)));
                }
                _ => {}
            }
        }
        self.value(i, depth)
    }

    fn value<'a>(&mut self, i: &'a [u8], depth: usize) -> Res<'a, Amf0Value> {
        if depth > self.budget.limits.max_depth {
            return fail(i, FailKind::Deep);
        }
        self.budget.count(i)?;
        let start = i;
        let Some((&marker, i)) = i.split_first() else {
            return fail(i, FailKind::Truncated("a type marker"));
        };
        match marker {
            0x00 => match i.split_first_chunk::<8>() {
                Some((n, i)) => Ok((i, Amf0Value::Number(f64::from_be_bytes(*n)))),
                None => fail(i, FailKind::Truncated("a number")),
            },
            0x01 => match i.split_first() {
                Some((b, i)) => Ok((i, Amf0Value::Boolean(*b != 0))),
                None => fail(i, FailKind::Truncated("a boolean")),
            },
            0x02 => {
                let (i, s) = self.short_string(i, "a string")?;
                Ok((i, Amf0Value::String(s)))
            }
            0x03 => {
                let (i, p) = self.properties(i, depth, 0)?;
                Ok((i, Amf0Value::Object(p)))
            }
            0x05 => Ok((i, Amf0Value::Null)),
            0x06 => Ok((i, Amf0Value::Undefined)),
            0x07 => match i.split_first_chunk::<2>() {
                Some((r, i)) => Ok((i, Amf0Value::Reference(u16::from_be_bytes(*r)))),
                None => fail(i, FailKind::Truncated("a reference")),
            },
            0x08 => {
                // The count is advisory; the object end closes the array.
                // As a capacity it is bounded by the bytes left (a
                // property takes at least three).
                let Some((count, i)) = i.split_first_chunk::<4>() else {
                    return fail(i, FailKind::Truncated("an ECMA array count"));
                };
                let count = u32::from_be_bytes(*count) as usize;
                let room = self.reserve(count.min(i.len() / 3));
                let (i, p) = self.properties(i, depth, room)?;
                Ok((i, Amf0Value::EcmaArray(p)))
            }
            0x0a => {
                let Some((count, mut i)) = i.split_first_chunk::<4>() else {
                    return fail(i, FailKind::Truncated("a strict array count"));
                };
                let count = u32::from_be_bytes(*count) as usize;
                // Every element takes at least one byte.
                if count > i.len() {
                    return fail(i, FailKind::Truncated("a strict array"));
                }
                let mut items = Vec::with_capacity(self.reserve(count));
                for _ in 0..count {
                    let (r, v) = self.element(i, depth + 1)?;
                    items.push(v);
                    i = r;
                }
                Ok((i, Amf0Value::StrictArray(items)))
            }
            0x0b => {
                let Some((millis, i)) = i.split_first_chunk::<8>() else {
                    return fail(i, FailKind::Truncated("a date"));
                };
                let Some((time_zone, i)) = i.split_first_chunk::<2>() else {
                    return fail(i, FailKind::Truncated("a date's time zone"));
                };
                let millis = f64::from_be_bytes(*millis);
                let time_zone = i16::from_be_bytes(*time_zone);
                Ok((i, Amf0Value::Date { millis, time_zone }))
            }
            0x0c => {
                let (i, s) = self.long_string(i, "a long string")?;
                Ok((i, Amf0Value::LongString(s)))
            }
            0x0d => Ok((i, Amf0Value::Unsupported)),
            0x0f => {
                let (i, s) = self.long_string(i, "an XML document")?;
                Ok((i, Amf0Value::XmlDocument(s)))
            }
            0x10 => {
                let (i, class_name) = self.short_string(i, "a class name")?;
                let (i, properties) = self.properties(i, depth, 0)?;
                Ok((
                    i,
                    Amf0Value::TypedObject {
                        class_name,
                        properties,
                    },
                ))
            }
            0x11 => {
                let mut d = amf3::Decoder::new(self.budget);
                match d.value(i, depth + 1) {
                    Ok((i, v)) => {
                        self.budget = d.budget;
                        Ok((i, Amf0Value::Avmplus(v)))
                    }
                    Err(e) => {
                        self.format = "AMF3";
                        Err(e)
                    }
                }
            }
            m => fail(start, FailKind::Marker(m)),
        }
    }
}
