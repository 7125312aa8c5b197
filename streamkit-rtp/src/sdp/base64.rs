//! Base64 (RFC 4648 section 4, the standard alphabet with `=` padding), as
//! used by `sprop-parameter-sets` (RFC 6184) and `sprop-vps/sps/pps`
//! (RFC 7798), and by RTSP's Basic credentials and its HTTP tunnel.

use super::SdpError;

use bytes::BufMut;

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// The four symbols of one group of up to three bytes, padded.
fn group(chunk: &[u8]) -> [u8; 4] {
    let b0 = chunk.first().copied().unwrap_or(0);
    let b1 = chunk.get(1).copied().unwrap_or(0);
    let b2 = chunk.get(2).copied().unwrap_or(0);
    let n = (u32::from(b0) << 16) | (u32::from(b1) << 8) | u32::from(b2);
    let sym = |shift: u32| ALPHABET[((n >> shift) & 0x3f) as usize];
    [
        sym(18),
        sym(12),
        if chunk.len() > 1 { sym(6) } else { b'=' },
        if chunk.len() > 2 { sym(0) } else { b'=' },
    ]
}

/// Encodes `data` as padded base64.
#[must_use]
pub fn encode(data: &[u8]) -> String {
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        out.extend(group(chunk).map(char::from));
    }
    out
}

/// Appends `data` to `out` as padded base64: [`encode`]'s text, without
/// a `String` of its own (an RTSP-over-HTTP POST body is written so).
pub fn encode_into(data: &[u8], out: &mut impl BufMut) {
    for chunk in data.chunks(3) {
        out.put_slice(&group(chunk));
    }
}

/// The value (0 to 63) of base64 symbol `c`, `None` for any other byte
/// (`=` padding included), for decoders with rules of their own.
#[must_use]
pub fn symbol_value(c: u8) -> Option<u8> {
    Some(match c {
        b'A'..=b'Z' => c - b'A',
        b'a'..=b'z' => c - b'a' + 26,
        b'0'..=b'9' => c - b'0' + 52,
        b'+' => 62,
        b'/' => 63,
        _ => return None,
    })
}

/// Decodes base64 text; the trailing `=` padding may be present or left
/// out. An invalid symbol gives [`SdpError::Base64`] with its byte offset.
pub fn decode(text: &str) -> Result<Vec<u8>, SdpError> {
    let bytes = text.as_bytes();
    let body_len = bytes.len() - bytes.iter().rev().take_while(|&&c| c == b'=').count();
    let (body, padding) = bytes.split_at(body_len);
    if padding.len() > 2 || (!padding.is_empty() && !(body_len + padding.len()).is_multiple_of(4)) {
        return Err(SdpError::Base64 {
            offset: body_len,
            what: "padding does not complete a group of four symbols",
        });
    }
    if body_len % 4 == 1 {
        return Err(SdpError::Base64 {
            offset: body_len,
            what: "a single symbol cannot end the data",
        });
    }
    let mut out = Vec::with_capacity(body_len / 4 * 3 + 2);
    for (i, group) in body.chunks(4).enumerate() {
        let mut n = 0u32;
        for (j, &c) in group.iter().enumerate() {
            let v = symbol_value(c).map(u32::from).ok_or(SdpError::Base64 {
                offset: i * 4 + j,
                what: "not a base64 symbol",
            })?;
            n |= v << (18 - 6 * j as u32);
        }
        let [_, a, b, c] = n.to_be_bytes();
        out.push(a);
        if group.len() > 2 {
            out.push(b);
        }
        if group.len() > 3 {
            out.push(c);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn rfc4648_vectors() {
        // RFC 4648 section 10.
        let vectors = [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ];
        for (plain, coded) in vectors {
            assert_eq!(encode(plain.as_bytes()), coded);
            let mut into = Vec::new();
            encode_into(plain.as_bytes(), &mut into);
            assert_eq!(into, coded.as_bytes());
            assert_eq!(decode(coded).unwrap(), plain.as_bytes());
            assert_eq!(
                decode(coded.trim_end_matches('=')).unwrap(),
                plain.as_bytes()
            );
        }
    }

    #[test]
    fn sps_from_rfc6184_style_parameter_set() {
        // An SPS as ffmpeg writes it in sprop-parameter-sets.
        assert_eq!(
            decode("Z0LAHtkDxWhAAAADAEAAAAwDxYuS").unwrap(),
            [
                0x67, 0x42, 0xc0, 0x1e, 0xd9, 0x03, 0xc5, 0x68, 0x40, 0x00, 0x00, 0x03, 0x00, 0x40,
                0x00, 0x00, 0x0c, 0x03, 0xc5, 0x8b, 0x92
            ]
        );
    }

    #[test]
    fn bad_input_names_the_offset() {
        assert_eq!(
            decode("Zm9v!A=="),
            Err(SdpError::Base64 {
                offset: 4,
                what: "not a base64 symbol"
            })
        );
        assert!(matches!(
            decode("Zm9vY"),
            Err(SdpError::Base64 { offset: 5, .. })
        ));
        assert!(matches!(decode("Zg==="), Err(SdpError::Base64 { .. })));
        assert!(matches!(decode("Zg="), Err(SdpError::Base64 { .. })));
    }

    proptest! {
        #[test]
        fn round_trip(data in proptest::collection::vec(any::<u8>(), 0..200)) {
            prop_assert_eq!(&decode(&encode(&data)).unwrap(), &data);
            let mut into = Vec::new();
            encode_into(&data, &mut into);
            prop_assert_eq!(into, encode(&data).into_bytes());
        }

        #[test]
        fn arbitrary_text_never_panics(text in "[ -~]{0,40}") {
            let _ = decode(&text);
        }
    }
}
