//! Zero-allocation proof for the RTP packet layer: parsing a packet (with
//! CSRCs, RFC 8285 extension elements and padding), reading every field and
//! slicing its payload, and writing packets (into a `&mut [u8]`, into a
//! `BytesMut` with room, or as a vectored datagram) allocate nothing.

use bytes::{Bytes, BytesMut};
use streamkit::core::time::{RtpTimestamp, SequenceNumber};
use streamkit::rtp::extension::{ExtensionBlock, ExtensionElement};
use streamkit::rtp::packet::{RtpHeader, RtpPacket};

const PACKETS: u16 = 1000;

const CSRCS: [u32; 2] = [0x0a0a_0a0a, 0x0b0b_0b0b];
const ELEMENTS: [ExtensionElement<'static>; 2] = [
    ExtensionElement {
        id: 3,
        data: &[0x12, 0x34, 0x56],
    },
    ExtensionElement {
        id: 5,
        data: &[0x01, 0x02],
    },
];

fn header(seq: u16) -> RtpHeader<'static> {
    RtpHeader {
        marker: seq.is_multiple_of(10),
        payload_type: 96,
        sequence_number: SequenceNumber::new(seq),
        timestamp: RtpTimestamp::new(u32::from(seq) * 3000),
        ssrc: 0xdead_beef,
        csrcs: &CSRCS,
        extension: Some(ExtensionBlock::Elements(&ELEMENTS)),
        padding: 4,
    }
}

#[test]
fn the_counter_counts() {
    // The proof below means something only if the counter sees
    // allocations in this binary.
    let info = allocation_counter::measure(|| {
        std::hint::black_box(Vec::<u8>::with_capacity(8));
    });
    assert_eq!(info.count_total, 1);
}

#[test]
fn parsing_allocates_nothing() {
    // The datagrams as a receive loop holds them: one shared buffer, each
    // packet a slice of it.
    let payload = vec![0xa5u8; 1188];
    let mut all = BytesMut::new();
    for seq in 0..PACKETS {
        header(seq).write(&payload, &mut all).unwrap();
    }
    let all = all.freeze();
    let len = all.len() / usize::from(PACKETS);
    let datagrams: Vec<Bytes> = (0..usize::from(PACKETS))
        .map(|i| all.slice(i * len..(i + 1) * len))
        .collect();

    let mut payload_bytes = 0usize;
    let mut element_bytes = 0usize;
    let mut seq_sum = 0u64;
    let info = allocation_counter::measure(|| {
        for d in &datagrams {
            let p = RtpPacket::parse(d.clone()).unwrap();
            seq_sum += u64::from(p.sequence_number().0);
            assert_eq!(p.ssrc(), 0xdead_beef);
            assert_eq!(p.csrcs().sum::<u32>(), 0x0a0a_0a0a + 0x0b0b_0b0b);
            for e in p.extension().unwrap().elements().unwrap() {
                element_bytes += e.unwrap().data.len();
            }
            payload_bytes += p.payload().len();
        }
    });
    assert_eq!(info.count_total, 0, "parsing allocated: {info:?}");
    assert_eq!(payload_bytes, 1188 * usize::from(PACKETS));
    assert_eq!(element_bytes, 5 * usize::from(PACKETS));
    assert_eq!(seq_sum, (0..u64::from(PACKETS)).sum::<u64>());
}

#[test]
fn writing_allocates_nothing() {
    let payload = Bytes::from(vec![0xa5u8; 1188]);
    // Share the buffer once, as a packetizer's slices already are.
    let _ = payload.clone();
    let mut out = vec![0u8; 1500];
    let mut buf = BytesMut::with_capacity(1500 * usize::from(PACKETS));
    let mut written = 0usize;
    let mut vectored = 0usize;
    let info = allocation_counter::measure(|| {
        for seq in 0..PACKETS {
            let h = header(seq);
            written += h.write_into(&payload, &mut out).unwrap();
            written += h.write(&payload, &mut buf).unwrap();
            let d = h.datagram(payload.clone()).unwrap();
            vectored += d.io_slices().iter().map(|s| s.len()).sum::<usize>();
        }
    });
    assert_eq!(info.count_total, 0, "writing allocated: {info:?}");
    // 12 fixed + 8 CSRC + 4 + 8 extension + 1188 payload + 4 padding.
    assert_eq!(written, 2 * 1224 * usize::from(PACKETS));
    assert_eq!(vectored, 1224 * usize::from(PACKETS));
    assert_eq!(buf.len(), 1224 * usize::from(PACKETS));
}
