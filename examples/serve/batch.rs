//! Interleaved RTP out to an RTSP-over-TCP viewer without copying its
//! payload: the `$` header, the RTP header and the payload headers of each
//! packet (a few bytes the sender wrote) are copied into one small buffer,
//! the access unit's slices are held as they are (the payloads moved in
//! from the sender: their reference counts, shared with every other
//! viewer, are not touched), and everything goes out in vectored writes.
//! A hundred viewers of one stream share one copy of each sample; the only
//! copy left is the kernel's into each socket.

use std::io::IoSlice;

use streamkit::rtp::payload::{Payload, PayloadPart};
use streamkit::rtp::sender::PacketParts;
use tokio::io::{AsyncWrite, AsyncWriteExt};

/// The most buffers one `writev` takes (Linux's `IOV_MAX`).
const MAX_SLICES: usize = 1024;

/// One buffer of the batch, in order.
enum Item {
    /// `heads[start..end]`.
    Head { start: usize, end: usize },
    /// The `part`th data part of `payloads[payload]`.
    Data { payload: usize, part: usize },
}

/// Packets and responses waiting for one vectored write.
#[derive(Default)]
pub(crate) struct Batch {
    heads: Vec<u8>,
    payloads: Vec<Payload>,
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

    /// Appends a `$`-framed packet: `header` and the packet's head copied,
    /// then its payload: headers copied, data held.
    pub(crate) fn push_interleaved(&mut self, header: [u8; 4], packet: PacketParts<'_>) {
        self.push_copy(&header);
        self.push_copy(packet.head);
        let Some(payload) = packet.payload else {
            return;
        };
        let index = self.payloads.len();
        let mut part = 0;
        payload.for_each_part(|p| match p {
            PayloadPart::Header(h) => self.push_copy(h),
            PayloadPart::Data(d) => {
                self.len += d.len();
                self.items.push(Item::Data {
                    payload: index,
                    part,
                });
                part += 1;
            }
        });
        self.payloads.push(payload);
    }

    /// Writes everything to `stream` and empties the batch.
    pub(crate) async fn write_to<W: AsyncWrite + Unpin>(
        &mut self,
        stream: &mut W,
    ) -> std::io::Result<()> {
        let result = self.write_all(stream).await;
        self.heads.clear();
        self.payloads.clear();
        self.items.clear();
        self.len = 0;
        result
    }

    fn slice(&self, item: &Item) -> &[u8] {
        match *item {
            Item::Head { start, end } => self.heads.get(start..end).unwrap_or(&[]),
            Item::Data { payload, part } => self
                .payloads
                .get(payload)
                .and_then(|p| p.data_part(part))
                .map_or(&[], |b| &b[..]),
        }
    }

    async fn write_all<W: AsyncWrite + Unpin>(&self, stream: &mut W) -> std::io::Result<()> {
        let mut slices: Vec<IoSlice<'_>> = Vec::with_capacity(self.items.len().min(MAX_SLICES));
        for window in self.items.chunks(MAX_SLICES) {
            slices.clear();
            slices.extend(window.iter().map(|item| IoSlice::new(self.slice(item))));
            let mut rest = &mut slices[..];
            while !rest.is_empty() {
                let n = stream.write_vectored(rest).await?;
                if n == 0 {
                    return Err(std::io::ErrorKind::WriteZero.into());
                }
                IoSlice::advance_slices(&mut rest, n);
            }
        }
        Ok(())
    }
}
