//! RTP header extensions (RFC 3550 section 5.3.1, RFC 8285).
//!
//! An RTP packet with the X bit carries one extension block after its CSRC
//! list: a 16-bit profile, a 16-bit length in 32-bit words, then the data.
//! RFC 8285 defines two profiles that pack several elements into the data:
//!
//! - the one-byte form (profile `0xBEDE`): each element starts with one byte,
//!   a 4-bit id (1 to 14) and a 4-bit length minus one, so elements carry 1
//!   to 16 bytes; a zero byte is padding, and id 15 stops processing;
//! - the two-byte form (profile `0x100X`, the low 4 bits being "appbits"):
//!   each element starts with an 8-bit id and an 8-bit length, so elements
//!   carry 0 to 255 bytes; a zero id byte is padding.
//!
//! Parsing is lazy: [`HeaderExtension::elements`] walks the block and yields
//! each element as a slice of the packet, or an error with the byte offset
//! (counted from the start of the RTP packet) of the element that runs past
//! the block. Writing picks the form ([`ExtensionForm::choose`]): the
//! one-byte form when every id is 1 to 14 and every length 1 to 16, the
//! two-byte form otherwise, and pads the block to a 32-bit boundary.
//!
//! ```
//! use bytes::Bytes;
//! use streamkit_core::time::{RtpTimestamp, SequenceNumber};
//! use streamkit_rtp::extension::{ExtensionBlock, ExtensionElement, ExtensionForm};
//! use streamkit_rtp::packet::{RtpHeader, RtpPacket};
//!
//! let elements = [
//!     ExtensionElement { id: 1, data: &[0x2a] },          // e.g. audio level
//!     ExtensionElement { id: 3, data: &[0x00, 0x10, 0x20] }, // e.g. abs-send-time
//! ];
//! let header = RtpHeader {
//!     payload_type: 96,
//!     sequence_number: SequenceNumber::new(7),
//!     timestamp: RtpTimestamp::new(90_000),
//!     ssrc: 0x1234_5678,
//!     extension: Some(ExtensionBlock::Elements(&elements)),
//!     ..RtpHeader::default()
//! };
//! let mut out = Vec::new();
//! header.write(b"payload", &mut out)?;
//!
//! let packet = RtpPacket::parse(Bytes::from(out))?;
//! let ext = packet.extension().expect("X bit set");
//! assert_eq!(ext.form(), Some(ExtensionForm::OneByte));
//! let parsed: Vec<_> = ext.elements().expect("RFC 8285").collect::<Result<_, _>>()?;
//! assert_eq!(parsed, elements);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use bytes::BufMut;

use crate::error::{ParseError, WriteError};

/// The profile of the one-byte element form (RFC 8285 section 4.2).
pub const ONE_BYTE_PROFILE: u16 = 0xBEDE;

/// The profile of the two-byte element form with appbits zero (RFC 8285
/// section 4.3); the low 4 bits carry the appbits.
pub const TWO_BYTE_PROFILE: u16 = 0x1000;

/// The most bytes an element carries in the one-byte form.
pub const ONE_BYTE_MAX_LEN: usize = 16;

/// The most bytes an element carries in the two-byte form.
pub const TWO_BYTE_MAX_LEN: usize = 255;

/// Which RFC 8285 element form an extension block uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ExtensionForm {
    /// Profile `0xBEDE`: ids 1 to 14, lengths 1 to 16.
    OneByte,
    /// Profile `0x100X`: ids 1 to 255, lengths 0 to 255.
    TwoByte {
        /// The 4 application bits in the low nibble of the profile.
        appbits: u8,
    },
}

impl ExtensionForm {
    /// The form a profile names, or `None` for a profile that is not RFC
    /// 8285 (its data is then opaque).
    #[must_use]
    #[inline]
    pub const fn from_profile(profile: u16) -> Option<ExtensionForm> {
        if profile == ONE_BYTE_PROFILE {
            Some(ExtensionForm::OneByte)
        } else if profile & 0xFFF0 == TWO_BYTE_PROFILE {
            Some(ExtensionForm::TwoByte {
                appbits: (profile & 0x000F) as u8,
            })
        } else {
            None
        }
    }

    /// The profile value written in the extension header.
    #[must_use]
    #[inline]
    pub const fn profile(self) -> u16 {
        match self {
            ExtensionForm::OneByte => ONE_BYTE_PROFILE,
            ExtensionForm::TwoByte { appbits } => TWO_BYTE_PROFILE | (appbits as u16 & 0x000F),
        }
    }

    /// The form for writing `elements`: one-byte when every id is 1 to 14 and
    /// every length 1 to 16, two-byte otherwise.
    ///
    /// # Errors
    ///
    /// [`WriteError::Invalid`] for an element with id 0 (reserved for
    /// padding in both forms), [`WriteError::TooLong`] for an element longer
    /// than 255 bytes.
    #[inline]
    pub fn choose(elements: &[ExtensionElement<'_>]) -> Result<ExtensionForm, WriteError> {
        let mut one_byte = true;
        for e in elements {
            if e.id == 0 {
                return Err(WriteError::Invalid {
                    what: "header extension element id 0 (reserved for padding)",
                });
            }
            if e.data.len() > TWO_BYTE_MAX_LEN {
                return Err(WriteError::TooLong {
                    what: "header extension element",
                    len: e.data.len(),
                    max: TWO_BYTE_MAX_LEN,
                });
            }
            if e.id > 14 || e.data.is_empty() || e.data.len() > ONE_BYTE_MAX_LEN {
                one_byte = false;
            }
        }
        Ok(if one_byte {
            ExtensionForm::OneByte
        } else {
            ExtensionForm::TwoByte { appbits: 0 }
        })
    }

    /// The length of the element data of `elements` in this form, padded to
    /// a multiple of 4 (without the 4-byte profile and length header).
    ///
    /// # Errors
    ///
    /// [`WriteError::Invalid`] when an element cannot be carried by this
    /// form (id 0, id above 14 or length 0 or above 16 in the one-byte
    /// form), [`WriteError::TooLong`] when an element or the whole block is
    /// longer than its length field can say.
    #[inline]
    pub fn data_len(self, elements: &[ExtensionElement<'_>]) -> Result<usize, WriteError> {
        let mut len = 0usize;
        for e in elements {
            match self {
                ExtensionForm::OneByte => {
                    if e.id == 0 || e.id > 14 {
                        return Err(WriteError::Invalid {
                            what: "one-byte header extension element id (must be 1 to 14)",
                        });
                    }
                    if e.data.is_empty() || e.data.len() > ONE_BYTE_MAX_LEN {
                        return Err(WriteError::Invalid {
                            what: "one-byte header extension element length (must be 1 to 16)",
                        });
                    }
                    len += 1 + e.data.len();
                }
                ExtensionForm::TwoByte { .. } => {
                    if e.id == 0 {
                        return Err(WriteError::Invalid {
                            what: "header extension element id 0 (reserved for padding)",
                        });
                    }
                    if e.data.len() > TWO_BYTE_MAX_LEN {
                        return Err(WriteError::TooLong {
                            what: "header extension element",
                            len: e.data.len(),
                            max: TWO_BYTE_MAX_LEN,
                        });
                    }
                    len += 2 + e.data.len();
                }
            }
        }
        let padded = len.div_ceil(4) * 4;
        if padded / 4 > usize::from(u16::MAX) {
            return Err(WriteError::TooLong {
                what: "header extension block",
                len: padded,
                max: usize::from(u16::MAX) * 4,
            });
        }
        Ok(padded)
    }

    /// Writes the element data of `elements` in this form, then zero bytes
    /// up to the next multiple of 4; returns the bytes written (the value of
    /// [`data_len`](ExtensionForm::data_len)).
    ///
    /// # Errors
    ///
    /// As [`data_len`](ExtensionForm::data_len), and
    /// [`WriteError::InsufficientSize`] when `buf` has less room than that.
    #[inline]
    pub fn write_data(
        self,
        elements: &[ExtensionElement<'_>],
        buf: &mut impl BufMut,
    ) -> Result<usize, WriteError> {
        let padded = self.data_len(elements)?;
        if buf.remaining_mut() < padded {
            return Err(WriteError::InsufficientSize { required: padded });
        }
        self.put_data(elements, padded, buf);
        Ok(padded)
    }

    /// Writes already validated elements and `padded` minus their length in
    /// zero bytes; the caller checked room and validity with `data_len`.
    #[inline]
    pub(crate) fn put_data(
        self,
        elements: &[ExtensionElement<'_>],
        padded: usize,
        buf: &mut impl BufMut,
    ) {
        let mut len = 0usize;
        for e in elements {
            match self {
                ExtensionForm::OneByte => {
                    buf.put_u8((e.id << 4) | ((e.data.len() as u8).wrapping_sub(1) & 0x0F));
                    len += 1;
                }
                ExtensionForm::TwoByte { .. } => {
                    buf.put_u8(e.id);
                    buf.put_u8(e.data.len() as u8);
                    len += 2;
                }
            }
            buf.put_slice(e.data);
            len += e.data.len();
        }
        buf.put_bytes(0, padded.saturating_sub(len));
    }
}

/// Writes `elements` in `form` into the start of `out`, then zeros up to
/// `padded`; returns `padded`. The caller validated the elements and sized
/// `out` (at least `padded` bytes); a short `out` is left partly written
/// rather than panicking.
#[inline(always)]
fn encode_data(
    form: ExtensionForm,
    elements: &[ExtensionElement<'_>],
    padded: usize,
    out: &mut [u8],
) -> usize {
    let mut pos = 0usize;
    for e in elements {
        let len = e.data.len();
        let header = match form {
            ExtensionForm::OneByte => {
                if let Some(b) = out.get_mut(pos) {
                    *b = (e.id << 4) | ((len as u8).wrapping_sub(1) & 0x0F);
                }
                1
            }
            ExtensionForm::TwoByte { .. } => {
                if let Some(b) = out.get_mut(pos..pos + 2) {
                    b.copy_from_slice(&[e.id, len as u8]);
                }
                2
            }
        };
        pos += header;
        if let Some(dst) = out.get_mut(pos..pos + len) {
            copy_small(dst, e.data);
        }
        pos += len;
    }
    if let Some(tail) = out.get_mut(pos..padded) {
        // At most 3 bytes: set them one by one rather than call `memset`.
        for b in tail.iter_mut().take(3) {
            *b = 0;
        }
    }
    padded
}

/// Copies `src` into `dst` (of the same length). Element data is mostly 1
/// to 4 bytes (audio level, abs-send-time, transport-wide sequence
/// number): those are copied byte by byte, where a `memcpy` call would cost
/// more than the copy.
#[inline(always)]
fn copy_small(dst: &mut [u8], src: &[u8]) {
    match (dst, src) {
        ([d0], [s0]) => *d0 = *s0,
        ([d0, d1], [s0, s1]) => (*d0, *d1) = (*s0, *s1),
        ([d0, d1, d2], [s0, s1, s2]) => (*d0, *d1, *d2) = (*s0, *s1, *s2),
        ([d0, d1, d2, d3], [s0, s1, s2, s3]) => {
            (*d0, *d1, *d2, *d3) = (*s0, *s1, *s2, *s3);
        }
        (dst, src) => {
            if dst.len() == src.len() {
                dst.copy_from_slice(src);
            }
        }
    }
}

/// One RFC 8285 element: a local id and its data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ExtensionElement<'a> {
    /// The local identifier (1 to 14 in the one-byte form, 1 to 255 in the
    /// two-byte form), mapped to a URI by SDP `a=extmap`.
    pub id: u8,
    /// The element's data.
    pub data: &'a [u8],
}

/// The extension block an [`RtpHeader`](crate::packet::RtpHeader) writes
/// after its CSRC list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ExtensionBlock<'a> {
    /// RFC 8285 elements; the form is picked by [`ExtensionForm::choose`].
    Elements(&'a [ExtensionElement<'a>]),
    /// Elements written in a given form (for example the two-byte form with
    /// appbits, or to force the two-byte form).
    ElementsInForm(ExtensionForm, &'a [ExtensionElement<'a>]),
    /// A block written as is: any profile and data whose length is a
    /// multiple of 4 (RFC 3550 section 5.3.1).
    Raw {
        /// The 16-bit profile-defined value.
        profile: u16,
        /// The extension data, a multiple of 4 bytes long.
        data: &'a [u8],
    },
}

impl ExtensionBlock<'_> {
    /// The block's resolved form (`None` for `Raw`) and its data length,
    /// padded to a multiple of 4, without the 4-byte header.
    #[inline(always)]
    pub(crate) fn layout(&self) -> Result<(Option<ExtensionForm>, usize), WriteError> {
        match *self {
            ExtensionBlock::Elements(els) => {
                // One pass: validity, the form, and both forms' lengths.
                let mut one_byte = true;
                let (mut one_len, mut two_len) = (0usize, 0usize);
                for e in els {
                    let len = e.data.len();
                    if e.id == 0 {
                        return Err(WriteError::Invalid {
                            what: "header extension element id 0 (reserved for padding)",
                        });
                    }
                    if len > TWO_BYTE_MAX_LEN {
                        return Err(WriteError::TooLong {
                            what: "header extension element",
                            len,
                            max: TWO_BYTE_MAX_LEN,
                        });
                    }
                    one_byte &= e.id <= 14 && (1..=ONE_BYTE_MAX_LEN).contains(&len);
                    one_len += 1 + len;
                    two_len += 2 + len;
                }
                let (form, len) = if one_byte {
                    (ExtensionForm::OneByte, one_len)
                } else {
                    (ExtensionForm::TwoByte { appbits: 0 }, two_len)
                };
                let padded = len.div_ceil(4) * 4;
                if padded / 4 > usize::from(u16::MAX) {
                    return Err(WriteError::TooLong {
                        what: "header extension block",
                        len: padded,
                        max: usize::from(u16::MAX) * 4,
                    });
                }
                Ok((Some(form), padded))
            }
            ExtensionBlock::ElementsInForm(form, els) => Ok((Some(form), form.data_len(els)?)),
            ExtensionBlock::Raw { data, .. } => {
                if data.len() % 4 != 0 {
                    return Err(WriteError::Invalid {
                        what: "raw header extension length (must be a multiple of 4)",
                    });
                }
                if data.len() / 4 > usize::from(u16::MAX) {
                    return Err(WriteError::TooLong {
                        what: "header extension block",
                        len: data.len(),
                        max: usize::from(u16::MAX) * 4,
                    });
                }
                Ok((None, data.len()))
            }
        }
    }

    /// Writes header and data into the start of `out`, which the caller
    /// sized from `layout` (from [`Self::layout`]); returns the bytes
    /// written.
    #[inline(always)]
    pub(crate) fn encode(&self, layout: (Option<ExtensionForm>, usize), out: &mut [u8]) -> usize {
        let (form, data_len) = layout;
        let words = ((data_len / 4) as u16).to_be_bytes();
        let (profile, data_out) = match out.split_at_mut_checked(4) {
            Some(parts) => parts,
            None => return 0,
        };
        let p = match (*self, form) {
            (ExtensionBlock::Raw { profile, data }, _) => {
                if let Some(dst) = data_out.get_mut(..data.len()) {
                    dst.copy_from_slice(data);
                }
                profile
            }
            (ExtensionBlock::Elements(els) | ExtensionBlock::ElementsInForm(_, els), Some(f)) => {
                encode_data(f, els, data_len, data_out);
                f.profile()
            }
            (_, None) => 0,
        };
        let p = p.to_be_bytes();
        profile.copy_from_slice(&[p[0], p[1], words[0], words[1]]);
        4 + data_len
    }

    /// Writes header and data; `layout` came from [`Self::layout`] and the
    /// caller checked room.
    #[inline]
    pub(crate) fn put(&self, layout: (Option<ExtensionForm>, usize), buf: &mut impl BufMut) {
        let (form, data_len) = layout;
        let words = (data_len / 4) as u16;
        match (*self, form) {
            (ExtensionBlock::Raw { profile, data }, _) => {
                buf.put_u16(profile);
                buf.put_u16(words);
                buf.put_slice(data);
            }
            (ExtensionBlock::Elements(els) | ExtensionBlock::ElementsInForm(_, els), Some(f)) => {
                buf.put_u16(f.profile());
                buf.put_u16(words);
                f.put_data(els, data_len, buf);
            }
            (_, None) => {
                // Unreachable by construction: element blocks always have a
                // form. Write an empty, well-formed block rather than panic.
                buf.put_u16(0);
                buf.put_u16(0);
            }
        }
    }
}

/// The extension block of a parsed RTP packet: its profile and data, a view
/// into the packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct HeaderExtension<'a> {
    profile: u16,
    data: &'a [u8],
    data_offset: usize,
}

impl<'a> HeaderExtension<'a> {
    /// A view of extension `data` under `profile`; `data_offset` is where
    /// the data starts in the packet, used in error offsets.
    #[must_use]
    #[inline]
    pub const fn new(profile: u16, data: &'a [u8], data_offset: usize) -> HeaderExtension<'a> {
        HeaderExtension {
            profile,
            data,
            data_offset,
        }
    }

    /// The 16-bit profile-defined value.
    #[must_use]
    #[inline]
    pub const fn profile(&self) -> u16 {
        self.profile
    }

    /// The extension data (a multiple of 4 bytes), without the profile and
    /// length.
    #[must_use]
    #[inline]
    pub const fn data(&self) -> &'a [u8] {
        self.data
    }

    /// Where the data starts in the packet.
    #[must_use]
    #[inline]
    pub const fn data_offset(&self) -> usize {
        self.data_offset
    }

    /// The RFC 8285 form, or `None` when the profile is not RFC 8285.
    #[must_use]
    #[inline]
    pub const fn form(&self) -> Option<ExtensionForm> {
        ExtensionForm::from_profile(self.profile)
    }

    /// The RFC 8285 elements, or `None` when the profile is not RFC 8285.
    #[must_use]
    #[inline]
    pub fn elements(&self) -> Option<ExtensionElements<'a>> {
        self.form()
            .map(|form| ExtensionElements::new(form, self.data, self.data_offset))
    }

    /// The data of the first element with `id`, `Ok(None)` when there is
    /// none or the profile is not RFC 8285.
    ///
    /// # Errors
    ///
    /// The first malformed element met before it.
    #[inline]
    pub fn element(&self, id: u8) -> Result<Option<&'a [u8]>, ParseError> {
        if let Some(elements) = self.elements() {
            for e in elements {
                let e = e?;
                if e.id == id {
                    return Ok(Some(e.data));
                }
            }
        }
        Ok(None)
    }

    /// This block for writing again, as is.
    #[must_use]
    #[inline]
    pub const fn to_block(&self) -> ExtensionBlock<'a> {
        ExtensionBlock::Raw {
            profile: self.profile,
            data: self.data,
        }
    }
}

/// Iterator over the RFC 8285 elements of an extension block.
///
/// Padding is skipped; in the one-byte form, id 15 ends the iteration (RFC
/// 8285 section 4.2). An element that runs past the block yields
/// [`ParseError::ExtensionElementPastEnd`] and ends the iteration.
#[derive(Debug, Clone)]
pub struct ExtensionElements<'a> {
    form: ExtensionForm,
    data: &'a [u8],
    pos: usize,
    base: usize,
    done: bool,
}

impl<'a> ExtensionElements<'a> {
    /// Elements of `data` in `form`; `base` is where `data` starts in the
    /// packet, used in error offsets.
    #[must_use]
    #[inline]
    pub const fn new(form: ExtensionForm, data: &'a [u8], base: usize) -> ExtensionElements<'a> {
        ExtensionElements {
            form,
            data,
            pos: 0,
            base,
            done: false,
        }
    }
}

impl<'a> Iterator for ExtensionElements<'a> {
    type Item = Result<ExtensionElement<'a>, ParseError>;

    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        loop {
            let start = self.pos;
            let Some(&first) = self.data.get(start) else {
                self.done = true;
                return None;
            };
            if first == 0 {
                // Padding byte (id 0) in either form.
                self.pos += 1;
                continue;
            }
            let (id, len, header) = match self.form {
                ExtensionForm::OneByte => {
                    let id = first >> 4;
                    if id == 15 {
                        // RFC 8285 4.2: stop processing the rest.
                        self.done = true;
                        return None;
                    }
                    if id == 0 {
                        // Id 0 is padding; its length nibble is ignored.
                        self.pos += 1;
                        continue;
                    }
                    (id, usize::from(first & 0x0F) + 1, 1)
                }
                ExtensionForm::TwoByte { .. } => {
                    let Some(&len) = self.data.get(start + 1) else {
                        self.done = true;
                        return Some(Err(ParseError::ExtensionElementPastEnd {
                            offset: self.base + start,
                            id: first,
                            length: 0,
                        }));
                    };
                    (first, usize::from(len), 2)
                }
            };
            let data_start = start + header;
            let Some(data) = self.data.get(data_start..data_start + len) else {
                self.done = true;
                return Some(Err(ParseError::ExtensionElementPastEnd {
                    offset: self.base + start,
                    id,
                    length: len,
                }));
            };
            self.pos = data_start + len;
            return Some(Ok(ExtensionElement { id, data }));
        }
    }
}

/// Writes a whole extension block (profile, length, element data and
/// padding) for `elements` in the form [`ExtensionForm::choose`] picks;
/// returns the bytes written.
///
/// # Errors
///
/// As [`ExtensionForm::choose`] and [`ExtensionForm::data_len`], and
/// [`WriteError::InsufficientSize`] when `buf` has less room than needed.
pub fn write_block(
    elements: &[ExtensionElement<'_>],
    buf: &mut impl BufMut,
) -> Result<usize, WriteError> {
    let block = ExtensionBlock::Elements(elements);
    let layout = block.layout()?;
    let required = 4 + layout.1;
    if buf.remaining_mut() < required {
        return Err(WriteError::InsufficientSize { required });
    }
    block.put(layout, buf);
    Ok(required)
}
