//! AAC frames into MP4A-LATM payloads (`cpresent=0`, one frame per
//! AudioMuxElement).

use core::fmt;

use bytes::{BufMut, Bytes};
use streamkit_core::time::RtpTimestamp;

use crate::error::{PayloadError, WriteError};

/// The largest frame [`LatmPacketizer`] takes (as AAC-hbr's 13-bit
/// AU-size: above any frame of up to eight channels).
pub const MAX_LATM_FRAME: usize = (1 << 13) - 1;

/// The PayloadLengthInfo of the largest frame: 32 bytes of 255 and one
/// more.
const MAX_HEADER: usize = MAX_LATM_FRAME / 255 + 1;

/// The smallest MTU the packetizer takes: the longest PayloadLengthInfo
/// and one byte of frame.
const MIN_MTU: usize = MAX_HEADER + 1;

/// One RTP payload from [`LatmPacketizer`]: the PayloadLengthInfo written
/// inline (in the first payload of a frame only), then the frame or a
/// fragment of it as a slice of the input.
#[derive(Clone)]
pub struct LatmPayload {
    timestamp: RtpTimestamp,
    marker: bool,
    header: [u8; MAX_HEADER],
    header_len: u8,
    data: Bytes,
}

impl LatmPayload {
    /// The RTP timestamp: the frame's.
    #[must_use]
    pub fn timestamp(&self) -> RtpTimestamp {
        self.timestamp
    }

    /// The marker bit: set on the payload that ends the frame.
    #[must_use]
    pub fn marker(&self) -> bool {
        self.marker
    }

    /// The PayloadLengthInfo (empty after the first fragment).
    #[must_use]
    pub fn header(&self) -> &[u8] {
        self.header
            .get(..usize::from(self.header_len))
            .unwrap_or(&[])
    }

    /// The frame (or the fragment) carried, a slice of the input.
    #[must_use]
    pub fn data(&self) -> &Bytes {
        &self.data
    }

    /// The payload's length in bytes.
    #[must_use]
    pub fn len(&self) -> usize {
        usize::from(self.header_len) + self.data.len()
    }

    /// `true` when the payload has no bytes (never, for a packetizer's
    /// output).
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The payload as its byte chunks in order, for a vectored write.
    pub fn chunks(&self) -> impl Iterator<Item = &[u8]> + '_ {
        [self.header(), &self.data[..]].into_iter()
    }

    /// Appends the payload to `buf`, returning the bytes written.
    ///
    /// # Errors
    ///
    /// [`WriteError::InsufficientSize`] when `buf` cannot take the payload.
    pub fn write_to(&self, buf: &mut impl BufMut) -> Result<usize, WriteError> {
        crate::payload::write_chunks(self.chunks(), self.len(), buf)
    }

    /// The payload in one new buffer (a copy: for tests and simple callers).
    #[must_use]
    pub fn to_bytes(&self) -> Bytes {
        crate::payload::chunks_to_bytes(self.chunks(), self.len())
    }
}

impl fmt::Debug for LatmPayload {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LatmPayload")
            .field("timestamp", &self.timestamp)
            .field("marker", &self.marker)
            .field("header_len", &self.header_len)
            .field("data_len", &self.data.len())
            .finish()
    }
}

/// AAC frames into MP4A-LATM payloads of `cpresent=0`, one frame per
/// AudioMuxElement (a StreamMuxConfig of one sub-frame, as
/// [`StreamMuxConfig::new`](super::StreamMuxConfig::new) makes), a frame
/// larger than the MTU fragmented over packets that share its timestamp,
/// the marker bit on the last.
///
/// Push one frame with [`push`](LatmPacketizer::push), then take payloads
/// with [`poll_payload`](LatmPacketizer::poll_payload) until `None`.
#[derive(Debug, Clone)]
pub struct LatmPacketizer {
    mtu: usize,
    frame: Option<(RtpTimestamp, Bytes, usize)>,
}

impl LatmPacketizer {
    /// A packetizer writing payloads of at most `mtu` bytes.
    ///
    /// # Errors
    ///
    /// [`PayloadError::MtuTooSmall`] below 34 bytes (the longest
    /// PayloadLengthInfo and a byte of frame).
    pub fn new(mtu: usize) -> Result<LatmPacketizer, PayloadError> {
        if mtu < MIN_MTU {
            return Err(PayloadError::MtuTooSmall { mtu, min: MIN_MTU });
        }
        Ok(LatmPacketizer { mtu, frame: None })
    }

    /// Takes one raw AAC frame with its RTP timestamp.
    ///
    /// # Errors
    ///
    /// [`PayloadError::Pending`] when payloads are still to be polled,
    /// [`PayloadError::EmptyFrame`] and [`PayloadError::FrameTooLarge`]
    /// (above [`MAX_LATM_FRAME`]). A refused frame leaves the packetizer
    /// as it was.
    pub fn push(&mut self, timestamp: RtpTimestamp, frame: Bytes) -> Result<(), PayloadError> {
        if let Some((_, f, offset)) = &self.frame {
            return Err(PayloadError::Pending {
                pending: f.len() - offset,
            });
        }
        if frame.is_empty() {
            return Err(PayloadError::EmptyFrame {
                timestamp: timestamp.0,
            });
        }
        if frame.len() > MAX_LATM_FRAME {
            return Err(PayloadError::FrameTooLarge {
                len: frame.len(),
                max: MAX_LATM_FRAME,
                timestamp: timestamp.0,
            });
        }
        self.frame = Some((timestamp, frame, 0));
        Ok(())
    }

    /// No more frames come. Nothing is held back; the `Result` is the
    /// contract every producer shares.
    ///
    /// # Errors
    ///
    /// None.
    pub fn finish(&mut self) -> Result<(), PayloadError> {
        Ok(())
    }

    /// The next payload, or `None` when the frame pushed was all given.
    #[must_use]
    pub fn poll_payload(&mut self) -> Option<LatmPayload> {
        let (timestamp, frame, offset) = self.frame.as_mut()?;
        let mut header = [0xffu8; MAX_HEADER];
        let mut header_len = 0;
        if *offset == 0 {
            let n = frame.len() / 255;
            header_len = n + 1;
            if let Some(last) = header.get_mut(n) {
                *last = (frame.len() % 255) as u8;
            }
        }
        let room = self.mtu - header_len;
        let end = frame.len().min(*offset + room);
        let payload = LatmPayload {
            timestamp: *timestamp,
            marker: end == frame.len(),
            header,
            header_len: header_len as u8,
            data: frame.slice(*offset..end),
        };
        *offset = end;
        if payload.marker {
            self.frame = None;
        }
        Some(payload)
    }
}
