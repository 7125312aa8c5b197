//! The writer: requests and responses as RFC 2326 section 6 and 7 lay
//! them out (CRLF line ends, `Name: value`), and interleaved frames.

use bytes::{BufMut, BytesMut};

use super::{Headers, Message, Request, Response};

fn write_headers(headers: &Headers, body_len: usize, out: &mut BytesMut) {
    for (name, value) in headers.iter() {
        out.put_slice(name.as_bytes());
        out.put_slice(b": ");
        out.put_slice(value.as_bytes());
        out.put_slice(b"\r\n");
    }
    if body_len > 0 && !headers.contains("content-length") {
        out.put_slice(b"Content-Length: ");
        out.put_slice(body_len.to_string().as_bytes());
        out.put_slice(b"\r\n");
    }
    out.put_slice(b"\r\n");
}

impl Request {
    /// Appends the request to `out`: the request line, the headers in
    /// order (with `Content-Length` added for a body when it is not
    /// there), the empty line, the body.
    pub fn write_to(&self, out: &mut BytesMut) {
        out.put_slice(self.method.as_str().as_bytes());
        out.put_u8(b' ');
        out.put_slice(self.uri.as_bytes());
        out.put_u8(b' ');
        out.put_slice(self.version.as_str().as_bytes());
        out.put_slice(b"\r\n");
        write_headers(&self.headers, self.body.len(), out);
        out.put_slice(&self.body);
    }
}

impl Response {
    /// Appends the response to `out`, laid out as
    /// [`Request::write_to`] lays out a request.
    pub fn write_to(&self, out: &mut BytesMut) {
        out.put_slice(self.version.as_str().as_bytes());
        out.put_u8(b' ');
        out.put_slice(self.status.to_string().as_bytes());
        out.put_u8(b' ');
        out.put_slice(self.reason.as_bytes());
        out.put_slice(b"\r\n");
        write_headers(&self.headers, self.body.len(), out);
        out.put_slice(&self.body);
    }
}

impl Message {
    /// Appends the message to `out`.
    pub fn write_to(&self, out: &mut BytesMut) {
        match self {
            Message::Request(r) => r.write_to(out),
            Message::Response(r) => r.write_to(out),
        }
    }
}

/// The 4-byte header of an interleaved frame of `len` bytes on
/// `channel`: `$`, the channel, the length (big-endian). `None` when
/// `len` does not fit 16 bits.
#[must_use]
pub fn write_interleaved(channel: u8, len: usize) -> Option<[u8; 4]> {
    let len = u16::try_from(len).ok()?.to_be_bytes();
    Some([b'$', channel, len[0], len[1]])
}
