//! What the RECORD tests share: hex and base64 written out by hand (so a
//! test's SDP does not come from the code under test), a client request,
//! and x264's first parameter sets and slices.
#![allow(dead_code, clippy::unwrap_used)] // each test file uses a part

/// x264's SPS, 320x240 (scripts/make-resolution-change.sh).
pub(crate) const SPS: &str = "6764000dacd94141fb0110000003001000000303c0f14299";
/// Its PPS.
pub(crate) const PPS: &str = "68efbcb0";
/// An IDR slice of it, cut after its header.
pub(crate) const IDR: &str = "6588840039ffd334d575d5c54b47b7d5da362a2d09bb9946";
/// A P slice of it, cut after its header.
pub(crate) const P: &str = "419a231882afefcd0444637c03771a3bff3726bfe2679d20";

/// The bytes hex digits `s` spell.
pub(crate) fn hex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

/// `data` in base64 (RFC 4648, padded).
pub(crate) fn base64(data: &[u8]) -> String {
    const A: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in data.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = u32::from(b[0]) << 16 | u32::from(b[1]) << 8 | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(A[(n >> (18 - 6 * i) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// The client's request, with its CSeq, `headers` (each ending in CRLF)
/// and an SDP `body` when it is not empty.
pub(crate) fn request(method: &str, uri: &str, cseq: u32, headers: &str, body: &str) -> Vec<u8> {
    let mut r = format!("{method} {uri} RTSP/1.0\r\nCSeq: {cseq}\r\n{headers}");
    if !body.is_empty() {
        r.push_str(&format!(
            "Content-Type: application/sdp\r\nContent-Length: {}\r\n",
            body.len()
        ));
    }
    r.push_str("\r\n");
    r.push_str(body);
    r.into_bytes()
}
