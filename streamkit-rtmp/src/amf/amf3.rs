//! AMF3 values, decoded with nom (string, trait and object reference
//! tables per message) and encoded inline.

use bytes::BufMut;
use nom::bytes::complete::take;
use nom::number::complete::{be_f64, be_i32, be_u8, be_u32};

use super::amf0::{FailKind, Res, fail, named, text, to_error};
use super::{AmfError, AmfLimits, Budget};

const FORMAT: &str = "AMF3";
/// The largest U29 value.
const U29_MAX: u32 = (1 << 29) - 1;
/// The largest length or count a U29 with a flag bit carries.
const LEN_MAX: usize = (1 << 28) - 1;

/// An AMF3 object: its traits (class name, sealed member names, dynamic
/// flag) and members.
#[derive(Clone, Debug, PartialEq)]
pub struct Amf3Object {
    /// The class name (empty for an anonymous object).
    pub class_name: String,
    /// The sealed members, in the traits' order.
    pub sealed: Vec<(String, Amf3Value)>,
    /// The dynamic members, when the traits are dynamic.
    pub dynamic: Option<Vec<(String, Amf3Value)>>,
}

/// One AMF3 value.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum Amf3Value {
    /// `undefined-marker` (0x00).
    Undefined,
    /// `null-marker` (0x01).
    Null,
    /// `false-marker` (0x02) and `true-marker` (0x03).
    Boolean(bool),
    /// `integer-marker` (0x04): 29-bit signed (values outside
    /// -2^28..2^28 are encoded as doubles).
    Integer(i32),
    /// `double-marker` (0x05).
    Double(f64),
    /// `string-marker` (0x06).
    String(String),
    /// `xml-doc-marker` (0x07).
    XmlDocument(String),
    /// `date-marker` (0x08): milliseconds since the Unix epoch.
    Date(f64),
    /// `array-marker` (0x09): associative part, then dense part.
    Array {
        /// Named elements.
        associative: Vec<(String, Amf3Value)>,
        /// Indexed elements.
        dense: Vec<Amf3Value>,
    },
    /// `object-marker` (0x0a).
    Object(Amf3Object),
    /// `xml-marker` (0x0b).
    Xml(String),
    /// `byte-array-marker` (0x0c).
    ByteArray(Vec<u8>),
    /// `vector-int-marker` (0x0d).
    VectorInt {
        /// The vector is of fixed length.
        fixed: bool,
        /// The items.
        items: Vec<i32>,
    },
    /// `vector-uint-marker` (0x0e).
    VectorUint {
        /// The vector is of fixed length.
        fixed: bool,
        /// The items.
        items: Vec<u32>,
    },
    /// `vector-double-marker` (0x0f).
    VectorDouble {
        /// The vector is of fixed length.
        fixed: bool,
        /// The items.
        items: Vec<f64>,
    },
    /// `vector-object-marker` (0x10).
    VectorObject {
        /// The vector is of fixed length.
        fixed: bool,
        /// The items' class name (`*` for any).
        type_name: String,
        /// The items.
        items: Vec<Amf3Value>,
    },
    /// `dictionary-marker` (0x11).
    Dictionary {
        /// Weak keys.
        weak_keys: bool,
        /// Key and value pairs.
        entries: Vec<(Amf3Value, Amf3Value)>,
    },
    /// A reference to the n-th complex value (date, array, object, XML,
    /// byte array, vector, dictionary) of the message, kept unresolved.
    Reference(u32),
}

fn too_long(what: &'static str, len: usize) -> AmfError {
    AmfError::TooLong {
        format: FORMAT,
        what,
        len,
        max: LEN_MAX,
    }
}

fn put_u29(out: &mut impl BufMut, v: u32) {
    let v = v & U29_MAX;
    if v < 0x80 {
        out.put_u8(v as u8);
    } else if v < 0x4000 {
        out.put_u8((v >> 7 | 0x80) as u8);
        out.put_u8((v & 0x7f) as u8);
    } else if v < 0x20_0000 {
        out.put_u8((v >> 14 | 0x80) as u8);
        out.put_u8((v >> 7 & 0x7f | 0x80) as u8);
        out.put_u8((v & 0x7f) as u8);
    } else {
        out.put_u8((v >> 22 | 0x80) as u8);
        out.put_u8((v >> 15 & 0x7f | 0x80) as u8);
        out.put_u8((v >> 8 & 0x7f | 0x80) as u8);
        out.put_u8(v as u8);
    }
}

/// A length or count with the low "inline" bit set.
fn put_inline_len(out: &mut impl BufMut, len: usize, what: &'static str) -> Result<(), AmfError> {
    if len > LEN_MAX {
        return Err(too_long(what, len));
    }
    put_u29(out, (len as u32) << 1 | 1);
    Ok(())
}

fn put_string(out: &mut impl BufMut, s: &str) -> Result<(), AmfError> {
    put_inline_len(out, s.len(), "a string")?;
    out.put_slice(s.as_bytes());
    Ok(())
}

fn put_pairs(out: &mut impl BufMut, pairs: &[(String, Amf3Value)]) -> Result<(), AmfError> {
    for (k, v) in pairs {
        if k.is_empty() {
            // An empty name ends the list: such a member cannot be
            // written.
            return Err(AmfError::TooLong {
                format: FORMAT,
                what: "an empty member name",
                len: 0,
                max: 0,
            });
        }
        put_string(out, k)?;
        v.encode(out)?;
    }
    out.put_u8(0x01);
    Ok(())
}

impl Amf3Value {
    /// Writes the value (strings and traits inline, references as given).
    ///
    /// # Errors
    ///
    /// [`AmfError::TooLong`] for a length over 2^28 - 1, or an empty
    /// associative or dynamic member name (it would end the list).
    pub fn encode(&self, out: &mut impl BufMut) -> Result<(), AmfError> {
        match self {
            Amf3Value::Undefined => out.put_u8(0x00),
            Amf3Value::Null => out.put_u8(0x01),
            Amf3Value::Boolean(false) => out.put_u8(0x02),
            Amf3Value::Boolean(true) => out.put_u8(0x03),
            Amf3Value::Integer(n) => {
                if (-(1 << 28)..(1 << 28)).contains(n) {
                    out.put_u8(0x04);
                    put_u29(out, *n as u32);
                } else {
                    out.put_u8(0x05);
                    out.put_f64(f64::from(*n));
                }
            }
            Amf3Value::Double(d) => {
                out.put_u8(0x05);
                out.put_f64(*d);
            }
            Amf3Value::String(s) => {
                out.put_u8(0x06);
                put_string(out, s)?;
            }
            Amf3Value::XmlDocument(s) => {
                out.put_u8(0x07);
                put_string(out, s)?;
            }
            Amf3Value::Date(d) => {
                out.put_u8(0x08);
                out.put_u8(0x01);
                out.put_f64(*d);
            }
            Amf3Value::Array { associative, dense } => {
                out.put_u8(0x09);
                put_inline_len(out, dense.len(), "an array")?;
                put_pairs(out, associative)?;
                for v in dense {
                    v.encode(out)?;
                }
            }
            Amf3Value::Object(o) => {
                out.put_u8(0x0a);
                let n = o.sealed.len();
                if n > (1 << 25) - 1 {
                    return Err(too_long("sealed members", n));
                }
                let dynamic = u32::from(o.dynamic.is_some());
                // Inline object, inline traits, not externalizable.
                put_u29(out, (n as u32) << 4 | dynamic << 3 | 0b011);
                put_string(out, &o.class_name)?;
                for (k, _) in &o.sealed {
                    put_string(out, k)?;
                }
                for (_, v) in &o.sealed {
                    v.encode(out)?;
                }
                if let Some(d) = &o.dynamic {
                    put_pairs(out, d)?;
                }
            }
            Amf3Value::Xml(s) => {
                out.put_u8(0x0b);
                put_string(out, s)?;
            }
            Amf3Value::ByteArray(b) => {
                out.put_u8(0x0c);
                put_inline_len(out, b.len(), "a byte array")?;
                out.put_slice(b);
            }
            Amf3Value::VectorInt { fixed, items } => {
                out.put_u8(0x0d);
                put_inline_len(out, items.len(), "a vector")?;
                out.put_u8(u8::from(*fixed));
                for v in items {
                    out.put_i32(*v);
                }
            }
            Amf3Value::VectorUint { fixed, items } => {
                out.put_u8(0x0e);
                put_inline_len(out, items.len(), "a vector")?;
                out.put_u8(u8::from(*fixed));
                for v in items {
                    out.put_u32(*v);
                }
            }
            Amf3Value::VectorDouble { fixed, items } => {
                out.put_u8(0x0f);
                put_inline_len(out, items.len(), "a vector")?;
                out.put_u8(u8::from(*fixed));
                for v in items {
                    out.put_f64(*v);
                }
            }
            Amf3Value::VectorObject {
                fixed,
                type_name,
                items,
            } => {
                out.put_u8(0x10);
                put_inline_len(out, items.len(), "a vector")?;
                out.put_u8(u8::from(*fixed));
                put_string(out, type_name)?;
                for v in items {
                    v.encode(out)?;
                }
            }
            Amf3Value::Dictionary { weak_keys, entries } => {
                out.put_u8(0x11);
                put_inline_len(out, entries.len(), "a dictionary")?;
                out.put_u8(u8::from(*weak_keys));
                for (k, v) in entries {
                    k.encode(out)?;
                    v.encode(out)?;
                }
            }
            Amf3Value::Reference(index) => {
                // The marker of a reference does not matter to a decoder
                // that keeps references: write it as an object's.
                if *index as usize > LEN_MAX {
                    return Err(too_long("a reference", *index as usize));
                }
                out.put_u8(0x0a);
                put_u29(out, index << 1);
            }
        }
        Ok(())
    }
}

/// Decodes one AMF3 value at the start of `data` (fresh reference
/// tables): the value and the bytes it took.
///
/// # Errors
///
/// Any [`AmfError`] decoding can give.
pub fn decode(data: &[u8], limits: &AmfLimits) -> Result<(Amf3Value, usize), AmfError> {
    let mut d = Decoder::new(Budget::new(*limits));
    let (rest, v) = d
        .value(data, 0)
        .map_err(|e| to_error(FORMAT, data, limits, e))?;
    Ok((v, data.len() - rest.len()))
}

#[derive(Debug, Clone)]
struct Traits {
    class_name: String,
    members: Vec<String>,
    dynamic: bool,
}

pub(crate) struct Decoder {
    pub(crate) budget: Budget,
    strings: Vec<String>,
    traits: Vec<Traits>,
    /// Complex values seen (the object table's length).
    objects: u32,
}

fn u29(i: &[u8]) -> Res<'_, u32> {
    let mut v: u32 = 0;
    let mut rest = i;
    for n in 0..4 {
        let (r, b) = named("a U29", be_u8(rest))?;
        rest = r;
        if n == 3 {
            return Ok((rest, v << 8 | u32::from(b)));
        }
        v = v << 7 | u32::from(b & 0x7f);
        if b & 0x80 == 0 {
            return Ok((rest, v));
        }
    }
    Ok((rest, v))
}

impl Decoder {
    pub(crate) fn new(budget: Budget) -> Decoder {
        Decoder {
            budget,
            strings: Vec::new(),
            traits: Vec::new(),
            objects: 0,
        }
    }

    /// `U29S-ref` or an inline string (added to the table when not
    /// empty).
    fn string<'a>(&mut self, i: &'a [u8]) -> Res<'a, String> {
        let start = i;
        let (i, h) = u29(i)?;
        if h & 1 == 0 {
            let index = h >> 1;
            let Some(s) = self.strings.get(index as usize) else {
                return fail(start, FailKind::BadReference("string", index));
            };
            let s = s.clone();
            self.budget.bytes(i, s.len())?;
            return Ok((i, s));
        }
        let len = (h >> 1) as usize;
        let (i, b) = named("a string", take(len)(i))?;
        self.budget.bytes(i, len)?;
        let s = text(b);
        if !s.is_empty() {
            self.strings.push(s.clone());
        }
        Ok((i, s))
    }

    /// The header of a complex value: `Ok(Err(index))` for a reference,
    /// `Ok(Ok(rest_of_header))` for an inline value (added to the table).
    fn complex<'a>(&mut self, i: &'a [u8]) -> Res<'a, Result<u32, u32>> {
        let start = i;
        let (i, h) = u29(i)?;
        if h & 1 == 0 {
            let index = h >> 1;
            if index >= self.objects {
                return fail(start, FailKind::BadReference("object", index));
            }
            return Ok((i, Err(index)));
        }
        self.objects += 1;
        Ok((i, Ok(h >> 1)))
    }

    fn pairs<'a>(&mut self, mut i: &'a [u8], depth: usize) -> Res<'a, Vec<(String, Amf3Value)>> {
        let mut out = Vec::new();
        loop {
            let (r, key) = self.string(i)?;
            if key.is_empty() {
                return Ok((r, out));
            }
            let (r, v) = self.value(r, depth + 1)?;
            out.push((key, v));
            i = r;
        }
    }

    /// `count` items of at least `min` bytes each must fit in `i`.
    fn room<'a>(i: &'a [u8], count: u32, min: usize, what: &'static str) -> Res<'a, ()> {
        if (count as usize).saturating_mul(min) > i.len() {
            return fail(i, FailKind::Truncated(what));
        }
        Ok((i, ()))
    }

    pub(crate) fn value<'a>(&mut self, i: &'a [u8], depth: usize) -> Res<'a, Amf3Value> {
        if depth > self.budget.limits.max_depth {
            return fail(i, FailKind::Deep);
        }
        self.budget.count(i)?;
        let start = i;
        let (i, marker) = named("a type marker", be_u8(i))?;
        match marker {
            0x00 => Ok((i, Amf3Value::Undefined)),
            0x01 => Ok((i, Amf3Value::Null)),
            0x02 => Ok((i, Amf3Value::Boolean(false))),
            0x03 => Ok((i, Amf3Value::Boolean(true))),
            0x04 => {
                let (i, v) = u29(i)?;
                // Sign-extend 29 bits.
                Ok((i, Amf3Value::Integer(((v << 3) as i32) >> 3)))
            }
            0x05 => {
                let (i, d) = named("a double", be_f64(i))?;
                Ok((i, Amf3Value::Double(d)))
            }
            0x06 => {
                let (i, s) = self.string(i)?;
                Ok((i, Amf3Value::String(s)))
            }
            0x07 | 0x0b => {
                let (i, h) = self.complex(i)?;
                let len = match h {
                    Err(index) => return Ok((i, Amf3Value::Reference(index))),
                    Ok(len) => len as usize,
                };
                let (i, b) = named("an XML text", take(len)(i))?;
                self.budget.bytes(i, len)?;
                let s = text(b);
                Ok((
                    i,
                    if marker == 0x07 {
                        Amf3Value::XmlDocument(s)
                    } else {
                        Amf3Value::Xml(s)
                    },
                ))
            }
            0x08 => {
                let (i, h) = self.complex(i)?;
                if let Err(index) = h {
                    return Ok((i, Amf3Value::Reference(index)));
                }
                let (i, d) = named("a date", be_f64(i))?;
                Ok((i, Amf3Value::Date(d)))
            }
            0x09 => {
                let (i, h) = self.complex(i)?;
                let count = match h {
                    Err(index) => return Ok((i, Amf3Value::Reference(index))),
                    Ok(n) => n,
                };
                let (mut i, associative) = self.pairs(i, depth)?;
                Self::room(i, count, 1, "an array")?;
                let mut dense = Vec::with_capacity(count as usize);
                for _ in 0..count {
                    let (r, v) = self.value(i, depth + 1)?;
                    dense.push(v);
                    i = r;
                }
                Ok((i, Amf3Value::Array { associative, dense }))
            }
            0x0a => self.object(i, depth),
            0x0c => {
                let (i, h) = self.complex(i)?;
                let len = match h {
                    Err(index) => return Ok((i, Amf3Value::Reference(index))),
                    Ok(len) => len as usize,
                };
                let (i, b) = named("a byte array", take(len)(i))?;
                self.budget.bytes(i, len)?;
                Ok((i, Amf3Value::ByteArray(b.to_vec())))
            }
            0x0d..=0x0f => {
                let (i, h) = self.complex(i)?;
                let count = match h {
                    Err(index) => return Ok((i, Amf3Value::Reference(index))),
                    Ok(n) => n,
                };
                let (i, fixed) = named("a vector's fixed flag", be_u8(i))?;
                let fixed = fixed != 0;
                let width = if marker == 0x0f { 8 } else { 4 };
                Self::room(i, count, width, "a vector")?;
                self.budget.bytes(i, count as usize * width)?;
                let mut i = i;
                let v = match marker {
                    0x0d => {
                        let mut items = Vec::with_capacity(count as usize);
                        for _ in 0..count {
                            let (r, v) = named("a vector item", be_i32(i))?;
                            items.push(v);
                            i = r;
                        }
                        Amf3Value::VectorInt { fixed, items }
                    }
                    0x0e => {
                        let mut items = Vec::with_capacity(count as usize);
                        for _ in 0..count {
                            let (r, v) = named("a vector item", be_u32(i))?;
                            items.push(v);
                            i = r;
                        }
                        Amf3Value::VectorUint { fixed, items }
                    }
                    _ => {
                        let mut items = Vec::with_capacity(count as usize);
                        for _ in 0..count {
                            let (r, v) = named("a vector item", be_f64(i))?;
                            items.push(v);
                            i = r;
                        }
                        Amf3Value::VectorDouble { fixed, items }
                    }
                };
                Ok((i, v))
            }
            0x10 => {
                let (i, h) = self.complex(i)?;
                let count = match h {
                    Err(index) => return Ok((i, Amf3Value::Reference(index))),
                    Ok(n) => n,
                };
                let (i, fixed) = named("a vector's fixed flag", be_u8(i))?;
                let (mut i, type_name) = self.string(i)?;
                Self::room(i, count, 1, "a vector")?;
                let mut items = Vec::with_capacity(count as usize);
                for _ in 0..count {
                    let (r, v) = self.value(i, depth + 1)?;
                    items.push(v);
                    i = r;
                }
                Ok((
                    i,
                    Amf3Value::VectorObject {
                        fixed: fixed != 0,
                        type_name,
                        items,
                    },
                ))
            }
            0x11 => {
                let (i, h) = self.complex(i)?;
                let count = match h {
                    Err(index) => return Ok((i, Amf3Value::Reference(index))),
                    Ok(n) => n,
                };
                let (mut i, weak) = named("a dictionary's weak flag", be_u8(i))?;
                Self::room(i, count, 2, "a dictionary")?;
                let mut entries = Vec::with_capacity(count as usize);
                for _ in 0..count {
                    let (r, k) = self.value(i, depth + 1)?;
                    let (r, v) = self.value(r, depth + 1)?;
                    entries.push((k, v));
                    i = r;
                }
                Ok((
                    i,
                    Amf3Value::Dictionary {
                        weak_keys: weak != 0,
                        entries,
                    },
                ))
            }
            m => fail(start, FailKind::Marker(m)),
        }
    }

    fn object<'a>(&mut self, i: &'a [u8], depth: usize) -> Res<'a, Amf3Value> {
        let start = i;
        let (i, h) = self.complex(i)?;
        let h = match h {
            Err(index) => return Ok((i, Amf3Value::Reference(index))),
            Ok(h) => h,
        };
        // h: the U29O bits after the inline-object bit.
        let (i, traits) = if h & 1 == 0 {
            let index = h >> 1;
            match self.traits.get(index as usize) {
                Some(t) => (i, t.clone()),
                None => return fail(start, FailKind::BadReference("trait", index)),
            }
        } else {
            if h & 0b10 != 0 {
                return fail(start, FailKind::Unsupported("an externalizable object"));
            }
            let dynamic = h & 0b100 != 0;
            let count = h >> 3;
            let (mut i, class_name) = self.string(i)?;
            Self::room(i, count, 1, "sealed member names")?;
            let mut members = Vec::with_capacity(count as usize);
            for _ in 0..count {
                let (r, name) = self.string(i)?;
                members.push(name);
                i = r;
            }
            let t = Traits {
                class_name,
                members,
                dynamic,
            };
            self.budget.bytes(i, t.members.len())?;
            self.traits.push(t.clone());
            (i, t)
        };
        self.budget.bytes(i, traits.class_name.len())?;
        let mut i = i;
        let mut sealed = Vec::with_capacity(traits.members.len());
        for name in traits.members {
            let (r, v) = self.value(i, depth + 1)?;
            sealed.push((name, v));
            i = r;
        }
        let (i, dynamic) = if traits.dynamic {
            let (i, d) = self.pairs(i, depth)?;
            (i, Some(d))
        } else {
            (i, None)
        };
        Ok((
            i,
            Amf3Value::Object(Amf3Object {
                class_name: traits.class_name,
                sealed,
                dynamic,
            }),
        ))
    }
}
