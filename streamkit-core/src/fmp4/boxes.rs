//! A small ISO BMFF box writer: boxes and full boxes appended to a `Vec<u8>`,
//! with the size written back once the body is complete.
//!
//! A box whose size does not fit the 32-bit `size` field is rewritten with
//! `size = 1` and a 64-bit `largesize` after its type (ISO/IEC 14496-12,
//! 4.2); every other box keeps the compact 8-byte header.

/// Appends a box of type `fourcc` whose body `body` writes, then back-patches
/// its size.
pub(crate) fn write_box(buf: &mut Vec<u8>, fourcc: &[u8; 4], body: impl FnOnce(&mut Vec<u8>)) {
    let start = buf.len();
    buf.extend_from_slice(&[0, 0, 0, 0]);
    buf.extend_from_slice(fourcc);
    body(buf);
    finish_box(buf, start);
}

/// Appends a full box (a box with an 8-bit version and 24-bit flags).
pub(crate) fn write_full_box(
    buf: &mut Vec<u8>,
    fourcc: &[u8; 4],
    version: u8,
    flags: u32,
    body: impl FnOnce(&mut Vec<u8>),
) {
    write_box(buf, fourcc, |buf| {
        put_u32(buf, (u32::from(version) << 24) | (flags & 0x00ff_ffff));
        body(buf);
    });
}

/// Writes the size of the box that starts at `start` and ends at the end of
/// `buf`; switches to a 64-bit `largesize` when needed.
fn finish_box(buf: &mut Vec<u8>, start: usize) {
    let size = buf.len() - start;
    match u32::try_from(size) {
        Ok(size) => buf[start..start + 4].copy_from_slice(&size.to_be_bytes()),
        Err(_) => {
            let large = size as u64 + 8;
            buf.splice(start + 8..start + 8, large.to_be_bytes());
            buf[start..start + 4].copy_from_slice(&1u32.to_be_bytes());
        }
    }
}

/// The header of a box whose `payload_len` body bytes travel separately
/// (an `mdat` whose payload is the samples' own buffers): 8 bytes, or 16 with
/// a 64-bit `largesize` when the box is 4 GiB or more.
pub(crate) fn put_box_header(buf: &mut Vec<u8>, fourcc: &[u8; 4], payload_len: u64) {
    let compact = payload_len.saturating_add(8);
    match u32::try_from(compact) {
        Ok(size) => {
            put_u32(buf, size);
            buf.extend_from_slice(fourcc);
        }
        Err(_) => {
            put_u32(buf, 1);
            buf.extend_from_slice(fourcc);
            put_u64(buf, payload_len.saturating_add(16));
        }
    }
}

/// The length of the header [`put_box_header`] writes for `payload_len`.
pub(crate) fn box_header_len(payload_len: u64) -> u64 {
    if payload_len.saturating_add(8) > u64::from(u32::MAX) {
        16
    } else {
        8
    }
}

pub(crate) fn put_u8(buf: &mut Vec<u8>, v: u8) {
    buf.push(v);
}

pub(crate) fn put_u16(buf: &mut Vec<u8>, v: u16) {
    buf.extend_from_slice(&v.to_be_bytes());
}

pub(crate) fn put_u24(buf: &mut Vec<u8>, v: u32) {
    buf.extend_from_slice(&v.to_be_bytes()[1..]);
}

pub(crate) fn put_u32(buf: &mut Vec<u8>, v: u32) {
    buf.extend_from_slice(&v.to_be_bytes());
}

pub(crate) fn put_i32(buf: &mut Vec<u8>, v: i32) {
    buf.extend_from_slice(&v.to_be_bytes());
}

pub(crate) fn put_u64(buf: &mut Vec<u8>, v: u64) {
    buf.extend_from_slice(&v.to_be_bytes());
}

pub(crate) fn put_zeros(buf: &mut Vec<u8>, n: usize) {
    buf.resize(buf.len() + n, 0);
}

/// The unity transformation matrix of `mvhd` and `tkhd`.
pub(crate) fn put_unity_matrix(buf: &mut Vec<u8>) {
    for v in [0x0001_0000u32, 0, 0, 0, 0x0001_0000, 0, 0, 0, 0x4000_0000] {
        put_u32(buf, v);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nested_sizes_are_back_patched() {
        let mut buf = Vec::new();
        write_box(&mut buf, b"moov", |buf| {
            write_full_box(buf, b"mvex", 1, 0x020001, |buf| put_u16(buf, 7));
        });
        assert_eq!(
            buf,
            [
                0, 0, 0, 22, b'm', b'o', b'o', b'v', // moov
                0, 0, 0, 14, b'm', b'v', b'e', b'x', 1, 2, 0, 1, 0, 7,
            ]
        );
    }

    #[test]
    fn header_switches_to_largesize() {
        let mut buf = Vec::new();
        put_box_header(&mut buf, b"mdat", 100);
        assert_eq!(buf, [0, 0, 0, 108, b'm', b'd', b'a', b't']);
        assert_eq!(box_header_len(100), 8);
        let big = u64::from(u32::MAX);
        let mut buf = Vec::new();
        put_box_header(&mut buf, b"mdat", big);
        assert_eq!(
            buf,
            [0, 0, 0, 1, b'm', b'd', b'a', b't', 0, 0, 0, 1, 0, 0, 0, 15]
        );
        assert_eq!(box_header_len(big), 16);
        assert_eq!(box_header_len(big - 8), 8);
    }
}
