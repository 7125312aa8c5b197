//! MPEG-TS demuxing allocates nothing per packet and nothing per sample:
//! once the program and tracks are known, the only allocations are the
//! streams' buffers growing by whole 64 KiB chunks (each PES packet is
//! assembled there once, and samples are slices of it), however many
//! transport packets and samples go through; the same with PES packets out
//! in place of samples.

// Test code: a failed read or parse is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use bytes::Bytes;
use streamkit_core::mp4::Mp4File;
use streamkit_core::ts::{
    PACKET_SIZE, TsDemuxConfig, TsDemuxOutput, TsDemuxer, TsEvent, TsMuxer, TsPesRef, TsSink,
};

/// The largest fixture, looped `rounds` times, as one transport stream.
fn stream(rounds: i64) -> Vec<u8> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../tests/fixtures/h264_aac.mp4"
    );
    let file = Mp4File::parse(Bytes::from(std::fs::read(path).unwrap())).unwrap();
    let (tracks, _) = file.tracks_and_shifts();
    let mut muxer = TsMuxer::new(&tracks).unwrap();
    let mut ts = Vec::new();
    for round in 0..rounds {
        for mut s in file.samples() {
            s.dts += 1024 + round * 10 * i64::from(s.timescale.hz());
            muxer.write_sample(&s, &mut ts).unwrap();
        }
    }
    ts
}

#[test]
fn demuxing_allocates_per_buffer_chunk_not_per_packet() {
    let ts = stream(3);
    let packets = ts.len() / PACKET_SIZE;
    let mut d = TsDemuxer::new();
    let mut kept = Vec::new();
    let drain = |d: &mut TsDemuxer, kept: &mut Vec<Bytes>| {
        let mut samples = 0;
        while let Some(e) = d.poll_event() {
            if let TsEvent::Sample(s) = e {
                samples += 1;
                // Keep every sample alive: the worst case for the buffers.
                kept.push(s.sample.data);
            }
        }
        samples
    };
    // Warm up: the first second (tables, tracks, the first buffers).
    let warm = 200 * PACKET_SIZE;
    d.push(&ts[..warm]).unwrap();
    drain(&mut d, &mut kept);
    kept.reserve(10_000);
    let mut samples = 0;
    let info = allocation_counter::measure(|| {
        for datagram in ts[warm..].chunks(7 * PACKET_SIZE) {
            d.push(datagram).unwrap();
            samples += drain(&mut d, &mut kept);
        }
    });
    let bytes = (ts.len() - warm) as u64;
    // Two streams; each new 64 KiB buffer is one allocation, plus its
    // shared header (bytes' promotion to a shared buffer).
    let chunks = bytes / (64 << 10) + 1;
    let bound = 2 * 2 * chunks + 8;
    eprintln!(
        "{} allocations ({} bytes) for {packets} packets, {samples} samples",
        info.count_total, info.bytes_total
    );
    assert!(samples > 2_000, "{samples}");
    assert!(
        info.count_total <= bound,
        "{} allocations for {packets} packets, {samples} samples, {bytes} bytes (bound {bound})",
        info.count_total
    );
    // Bytes allocated: about the stream's payload, not more than twice it
    // (every sample kept alive; PES and packet headers are in there too).
    assert!(
        info.bytes_total <= 2 * bytes + (256 << 10),
        "{} bytes allocated for {bytes} bytes of stream",
        info.bytes_total
    );
}

#[test]
fn pes_output_allocates_per_buffer_chunk_not_per_packet() {
    let ts = stream(3);
    let packets = ts.len() / PACKET_SIZE;
    let mut config = TsDemuxConfig::default();
    config.output = TsDemuxOutput::PesPackets;
    let mut d = TsDemuxer::with_config(config);
    let mut kept = Vec::new();
    let drain = |d: &mut TsDemuxer, kept: &mut Vec<Bytes>| {
        let mut pes = 0;
        while let Some(e) = d.poll_event() {
            assert!(!matches!(e, TsEvent::Sample(_) | TsEvent::Track { .. }));
            if let TsEvent::Pes(p) = e {
                pes += 1;
                kept.push(p.data);
            }
        }
        pes
    };
    let warm = 200 * PACKET_SIZE;
    d.push(&ts[..warm]).unwrap();
    drain(&mut d, &mut kept);
    kept.reserve(10_000);
    let mut pes = 0;
    let info = allocation_counter::measure(|| {
        for datagram in ts[warm..].chunks(7 * PACKET_SIZE) {
            d.push(datagram).unwrap();
            pes += drain(&mut d, &mut kept);
        }
    });
    let bytes = (ts.len() - warm) as u64;
    let bound = 2 * 2 * (bytes / (64 << 10) + 1) + 8;
    eprintln!(
        "{} allocations ({} bytes) for {packets} packets, {pes} PES packets",
        info.count_total, info.bytes_total
    );
    assert!(pes > 2_000, "{pes}");
    assert!(
        info.count_total <= bound,
        "{} allocations for {packets} packets, {pes} PES packets (bound {bound})",
        info.count_total
    );
}

#[test]
fn lent_pes_output_allocates_nothing_per_packet_or_pes_packet() {
    /// Counts what it is lent; events other than PES packets (PCRs) are
    /// dropped, as a relay would.
    #[derive(Default)]
    struct Count {
        pes: usize,
        bytes: usize,
    }
    impl TsSink for Count {
        fn pes(&mut self, p: TsPesRef<'_>) {
            self.pes += 1;
            self.bytes += p.data.len();
        }
        fn event(&mut self, e: TsEvent) {
            assert!(!matches!(e, TsEvent::Sample(_) | TsEvent::Track { .. }));
        }
    }
    let ts = stream(3);
    let packets = ts.len() / PACKET_SIZE;
    let mut config = TsDemuxConfig::default();
    config.output = TsDemuxOutput::PesPackets;
    let mut d = TsDemuxer::with_config(config);
    let mut sink = Count::default();
    // Warm up on the first round: each buffer grows to its largest PES
    // packet (the same frames come again in the next rounds).
    let warm = ts.len() / 3 / PACKET_SIZE * PACKET_SIZE;
    d.push_with(&ts[..warm], &mut sink).unwrap();
    let warm_pes = sink.pes;
    let info = allocation_counter::measure(|| {
        for datagram in ts[warm..].chunks(7 * PACKET_SIZE) {
            d.push_with(datagram, &mut sink).unwrap();
        }
    });
    let pes = sink.pes - warm_pes;
    eprintln!(
        "{} allocations ({} bytes) for {packets} packets, {pes} lent PES packets",
        info.count_total, info.bytes_total
    );
    assert!(pes > 1_400, "{pes}");
    assert_eq!(
        info.count_total, 0,
        "allocations for {pes} lent PES packets"
    );
}
