//! Interleaved RTP out to an RTSP-over-TCP viewer without copying its
//! payload: the `$` header and the RTP header of each packet are copied
//! into one small buffer, and the payload is kept as the sample's own
//! buffers (a reference count each), then everything goes out in vectored
//! writes. A hundred viewers of one stream share one copy of each sample;
//! the only copy left is the kernel's into each socket.

use std::io::IoSlice;

use streamkit::rtp::payload::Payload;
use streamkit::rtp::sender::PacketParts;
use tokio::io::{AsyncWrite, AsyncWriteExt};

/// The most buffers one `writev` takes (Linux's `IOV_MAX`).
const MAX_SLICES: usize = 1024;

/// One piece of the batch, in order.
#[allow(clippy::large_enum_variant)] // held inline: no allocation per packet
enum Item {
    /// `heads[start..end]`.
    Head { start: usize, end: usize },
    /// A payload's chunks.
    Payload(Payload),
}

/// Packets and responses waiting for one vectored write.
#[derive(Default)]
pub(crate) struct Batch {
    heads: Vec<u8>,
    items: Vec<Item>,
    len: usize,
}

impl Batch {
    /// Bytes waiting.
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// `true` when nothing waits.
    pub(crate) fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Appends bytes to copy (a response, a `$` header, an RTP header).
    pub(crate) fn push_copy(&mut self, bytes: &[u8]) {
        if bytes.is_empty() {
            return;
        }
        let start = self.heads.len();
        self.heads.extend_from_slice(bytes);
        let end = self.heads.len();
        self.len += bytes.len();
        if let Some(Item::Head { end: last, .. }) = self.items.last_mut()
            && *last == start
        {
            *last = end;
            return;
        }
        self.items.push(Item::Head { start, end });
    }

    /// Appends a `$`-framed packet: `header`, then the packet's head
    /// copied, then its payload by reference.
    pub(crate) fn push_interleaved(&mut self, header: [u8; 4], packet: PacketParts<'_>) {
        self.push_copy(&header);
        self.push_copy(packet.head);
        if let Some(payload) = packet.payload {
            self.len += payload.len();
            self.items.push(Item::Payload(payload.clone()));
        }
    }

    /// Writes everything to `stream` and empties the batch.
    pub(crate) async fn write_to<W: AsyncWrite + Unpin>(
        &mut self,
        stream: &mut W,
    ) -> std::io::Result<()> {
        let result = self.write_all(stream).await;
        self.heads.clear();
        self.items.clear();
        self.len = 0;
        result
    }

    async fn write_all<W: AsyncWrite + Unpin>(&self, stream: &mut W) -> std::io::Result<()> {
        let mut slices: Vec<IoSlice<'_>> = Vec::with_capacity(self.items.len().min(MAX_SLICES));
        let mut items = self.items.iter().peekable();
        while items.peek().is_some() {
            // One window of at most MAX_SLICES buffers.
            slices.clear();
            while let Some(item) = items.peek() {
                let needed = match item {
                    Item::Head { .. } => 1,
                    Item::Payload(p) => {
                        let mut n = 0;
                        p.for_each_chunk(|c| n += usize::from(!c.is_empty()));
                        n
                    }
                };
                if !slices.is_empty() && slices.len() + needed > MAX_SLICES {
                    break;
                }
                match item {
                    Item::Head { start, end } => {
                        slices.push(IoSlice::new(self.heads.get(*start..*end).unwrap_or(&[])));
                    }
                    Item::Payload(p) => p.for_each_chunk(|c| {
                        if !c.is_empty() {
                            slices.push(IoSlice::new(c));
                        }
                    }),
                }
                items.next();
            }
            let mut window = &mut slices[..];
            while !window.is_empty() {
                let n = stream.write_vectored(window).await?;
                if n == 0 {
                    return Err(std::io::ErrorKind::WriteZero.into());
                }
                IoSlice::advance_slices(&mut window, n);
            }
        }
        Ok(())
    }
}
