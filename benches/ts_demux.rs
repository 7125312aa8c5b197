//! MPEG-TS demux: the transport stream of the largest fixture (10 s of
//! H.264 with B-frames and AAC, muxed by our own muxer at bench start-up)
//! pushed in 1316-byte datagrams, every event drained. Reported as input
//! megabytes per second.
//!
//! In the same group:
//!
//! - `streamkit`: `TsDemuxer` — sync, continuity, PAT/PMT, PES assembly,
//!   access units (Annex-B to length-prefixed NAL units, ADTS frames cut
//!   out), keyframes, codec configuration, wrap-extended times.
//! - `streamkit-pes`: `TsDemuxer` with `TsDemuxOutput::PesPackets` —
//!   sync, continuity, PAT/PMT, PES assembly and times, each PES payload
//!   an owned `Bytes` in an event, no codec layer: the same work as the
//!   reassembling peer below, the like-for-like row.
//! - `streamkit-pes-lent`: the same through `TsDemuxer::push_with`, each
//!   PES packet lent to the consumer (its payload a borrowed slice of the
//!   stream's buffer, as the peer hands its consumer slices) as it
//!   completes, with no event queue and no `Bytes`.
//! - `streamkit-sink`: full demux through `push_with` (samples still owned
//!   `Bytes`, no event queue).
//! - `mpeg2ts-reader`: the `mpeg2ts-reader` crate (0.18) with an
//!   elementary-stream consumer that copies each PES packet's payload into
//!   a buffer of its stream and counts the packets: reassembly, as ours
//!   does, without the codec layer (the crate has none).
//! - `mpeg2ts-reader-callbacks`: the same crate with a consumer that only
//!   adds up the payload lengths it is called with: its floor.
//! - `bytes-per-pes`: each PES packet's payload bytes copied into one
//!   buffer and split off as a `Bytes` that is dropped: the floor for a
//!   demuxer that hands every PES packet out as an owned `Bytes` (the copy
//!   and one reference count each).
//! - `memcpy`: copying the input once (into a reused buffer), the floor
//!   for anything that reassembles PES packets.
//!
//! Run: `cargo bench --bench ts_demux`

// A missing or broken fixture is a broken benchmark: stop loudly.
#![allow(clippy::expect_used, missing_docs, unreachable_pub)]

#[macro_use]
extern crate mpeg2ts_reader;

use std::hint::black_box;
use std::path::PathBuf;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use mpeg2ts_reader::{demultiplex, pes, psi};
use streamkit::core::mp4::Mp4File;
use streamkit::core::ts::{
    TsDemuxConfig, TsDemuxOutput, TsDemuxer, TsEvent, TsMuxer, TsPesRef, TsSink,
};

const FIXTURE: &str = "h264_aac.mp4";
const DATAGRAM: usize = 7 * 188;

/// Our muxer's stream of the fixture.
fn transport_stream() -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(FIXTURE);
    let file =
        Mp4File::parse(Bytes::from(std::fs::read(path).expect("fixture"))).expect("fixture parses");
    let (tracks, _) = file.tracks_and_shifts();
    let mut muxer = TsMuxer::new(&tracks).expect("muxer");
    let mut ts = Vec::new();
    for s in file.samples() {
        muxer.write_sample(&s, &mut ts).expect("mux");
    }
    ts
}

// mpeg2ts-reader's filter plumbing, as its own examples set it up.
packet_filter_switch! {
    PeerFilter<PeerContext> {
        Pes: pes::PesPacketFilter<PeerContext, Reassemble>,
        Count: pes::PesPacketFilter<PeerContext, CountOnly>,
        Pat: demultiplex::PatPacketFilter<PeerContext>,
        Pmt: demultiplex::PmtPacketFilter<PeerContext>,
        Null: demultiplex::NullPacketFilter<PeerContext>,
    }
}
demux_context!(PeerContext, PeerFilter);

/// PES packets and payload bytes the reassembling peer put out (checked
/// once before measuring, so the peer is known to do the work).
static PEER_PES: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
static PEER_BYTES: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

thread_local! {
    /// Whether the peer's consumers reassemble (copy) or only count: the
    /// demux context the crate's macro makes has no room for a setting.
    static REASSEMBLE: std::cell::Cell<bool> = const { std::cell::Cell::new(true) };
}

impl PeerContext {
    fn do_construct(&mut self, req: demultiplex::FilterRequest<'_, '_>) -> PeerFilter {
        match req {
            demultiplex::FilterRequest::ByPid(psi::pat::PAT_PID) => {
                PeerFilter::Pat(demultiplex::PatPacketFilter::default())
            }
            demultiplex::FilterRequest::ByPid(_) => {
                PeerFilter::Null(demultiplex::NullPacketFilter::default())
            }
            demultiplex::FilterRequest::ByStream { .. } if reassemble() => {
                PeerFilter::Pes(pes::PesPacketFilter::new(Reassemble::default()))
            }
            demultiplex::FilterRequest::ByStream { .. } => {
                PeerFilter::Count(pes::PesPacketFilter::new(CountOnly::default()))
            }
            demultiplex::FilterRequest::Pmt {
                pid,
                program_number,
            } => PeerFilter::Pmt(demultiplex::PmtPacketFilter::new(pid, program_number)),
            demultiplex::FilterRequest::Nit { .. } => {
                PeerFilter::Null(demultiplex::NullPacketFilter::default())
            }
        }
    }
}

fn reassemble() -> bool {
    REASSEMBLE.with(std::cell::Cell::get)
}

/// Copies each PES packet's payload into its stream's buffer.
#[derive(Default)]
pub struct Reassemble {
    buf: Vec<u8>,
    packets: usize,
}

impl pes::ElementaryStreamConsumer<PeerContext> for Reassemble {
    fn start_stream(&mut self, _: &mut PeerContext) {}
    fn begin_packet(&mut self, _: &mut PeerContext, header: pes::PesHeader<'_>) {
        self.buf.clear();
        if let pes::PesContents::Parsed(Some(parsed)) = header.contents() {
            let _ = black_box(parsed.pts_dts());
            self.buf.extend_from_slice(parsed.payload());
        }
    }
    fn continue_packet(&mut self, _: &mut PeerContext, data: &[u8]) {
        self.buf.extend_from_slice(data);
    }
    fn end_packet(&mut self, _: &mut PeerContext) {
        self.packets += 1;
        PEER_PES.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        PEER_BYTES.fetch_add(self.buf.len(), std::sync::atomic::Ordering::Relaxed);
        black_box(&self.buf);
    }
    fn continuity_error(&mut self, _: &mut PeerContext) {}
}

/// Adds up payload lengths only.
#[derive(Default)]
pub struct CountOnly {
    bytes: usize,
}

impl pes::ElementaryStreamConsumer<PeerContext> for CountOnly {
    fn start_stream(&mut self, _: &mut PeerContext) {}
    fn begin_packet(&mut self, _: &mut PeerContext, header: pes::PesHeader<'_>) {
        if let pes::PesContents::Parsed(Some(parsed)) = header.contents() {
            let _ = black_box(parsed.pts_dts());
            self.bytes += parsed.payload().len();
        }
    }
    fn continue_packet(&mut self, _: &mut PeerContext, data: &[u8]) {
        self.bytes += data.len();
    }
    fn end_packet(&mut self, _: &mut PeerContext) {
        black_box(self.bytes);
    }
    fn continuity_error(&mut self, _: &mut PeerContext) {}
}

/// Our consumer for `push_with`: reads each lent PES packet's times and
/// payload (as the peer's consumer reads them from its header), and each
/// sample as the polling rows do.
#[derive(Default)]
struct Consumer {
    bytes: usize,
    check: i64,
}

impl TsSink for Consumer {
    fn pes(&mut self, p: TsPesRef<'_>) {
        // The times, the payload's length and its first byte, each read
        // once (the whole `TsPesRef` through `black_box` would measure
        // its copy).
        let first = p.data.first().copied().unwrap_or_default();
        self.check ^= p.pts.unwrap_or_default() ^ p.dts.unwrap_or_default() ^ i64::from(first);
        self.bytes += p.data.len();
    }
    fn event(&mut self, e: TsEvent) {
        if let TsEvent::Sample(s) = e {
            self.bytes += black_box(&s).sample.data.len();
        }
    }
}

fn set_reassemble(on: bool) {
    REASSEMBLE.with(|r| r.set(on));
}

fn ts_demux(c: &mut Criterion) {
    let ts = transport_stream();
    // Both demuxers see every PES packet (one per sample) before anything
    // is measured.
    let mut d = TsDemuxer::new();
    let mut ours = (0usize, 0usize);
    d.push(&ts).expect("push");
    d.finish().expect("finish");
    while let Some(e) = d.poll_event() {
        if let TsEvent::Sample(s) = e {
            ours.0 += 1;
            ours.1 += s.coded_len;
        }
    }
    let mut pes_config = TsDemuxConfig::default();
    pes_config.output = TsDemuxOutput::PesPackets;
    let mut d = TsDemuxer::with_config(pes_config);
    let mut ours_pes = (0usize, 0usize);
    let mut pes_sizes = Vec::new();
    d.push(&ts).expect("push");
    d.finish().expect("finish");
    while let Some(e) = d.poll_event() {
        if let TsEvent::Pes(p) = e {
            ours_pes.0 += 1;
            ours_pes.1 += p.data.len();
            pes_sizes.push(p.data.len());
        }
    }
    assert_eq!(ours_pes.0, ours.0, "one PES packet per sample");
    // The consumer of the `push_with` rows is lent the same payloads.
    let mut d = TsDemuxer::with_config(pes_config);
    let mut lent = Consumer::default();
    d.push_with(&ts, &mut lent).expect("push");
    d.finish_with(&mut lent).expect("finish");
    assert_eq!(lent.bytes, ours_pes.1, "lent PES payload bytes");
    let mut ctx = PeerContext::new();
    let mut demux = demultiplex::Demultiplex::new(&mut ctx);
    demux.push(&mut ctx, &ts);
    let peer = (
        PEER_PES.load(std::sync::atomic::Ordering::Relaxed),
        PEER_BYTES.load(std::sync::atomic::Ordering::Relaxed),
    );
    eprintln!(
        "ts_demux: {} bytes; ours {ours:?} samples/ES bytes, {ours_pes:?} PES packets/bytes, \
         the peer {peer:?} PES packets/bytes",
        ts.len()
    );
    let mut group = c.benchmark_group("ts_demux");
    group.throughput(Throughput::Bytes(ts.len() as u64));
    group.measurement_time(Duration::from_secs(5));

    group.bench_function("streamkit", |b| {
        b.iter(|| {
            let mut d = TsDemuxer::new();
            let mut samples = 0usize;
            for datagram in ts.chunks(DATAGRAM) {
                d.push(black_box(datagram)).expect("push");
                while let Some(e) = d.poll_event() {
                    if let TsEvent::Sample(s) = e {
                        samples += black_box(&s).sample.data.len();
                    }
                }
            }
            d.finish().expect("finish");
            while let Some(e) = d.poll_event() {
                samples += usize::from(matches!(e, TsEvent::Sample(_)));
            }
            samples
        });
    });

    group.bench_function("streamkit-pes", |b| {
        b.iter(|| {
            let mut d = TsDemuxer::with_config(pes_config);
            let mut bytes = 0usize;
            for datagram in ts.chunks(DATAGRAM) {
                d.push(black_box(datagram)).expect("push");
                while let Some(e) = d.poll_event() {
                    if let TsEvent::Pes(p) = e {
                        bytes += black_box(&p).data.len();
                    }
                }
            }
            d.finish().expect("finish");
            while let Some(e) = d.poll_event() {
                bytes += usize::from(matches!(e, TsEvent::Pes(_)));
            }
            bytes
        });
    });

    // Through `push_with`: lent PES output, and full demux (samples still
    // owned) without the queue.
    for (name, config) in [
        ("streamkit-pes-lent", pes_config),
        ("streamkit-sink", TsDemuxConfig::default()),
    ] {
        group.bench_function(name, |b| {
            b.iter(|| {
                let mut d = TsDemuxer::with_config(config);
                let mut consumer = Consumer::default();
                for datagram in ts.chunks(DATAGRAM) {
                    d.push_with(black_box(datagram), &mut consumer)
                        .expect("push");
                }
                d.finish_with(&mut consumer).expect("finish");
                black_box(consumer.check);
                consumer.bytes
            });
        });
    }

    for (name, reassembles) in [
        ("mpeg2ts-reader", true),
        ("mpeg2ts-reader-callbacks", false),
    ] {
        group.bench_function(name, |b| {
            set_reassemble(reassembles);
            b.iter(|| {
                let mut ctx = PeerContext::new();
                let mut demux = demultiplex::Demultiplex::new(&mut ctx);
                for datagram in ts.chunks(DATAGRAM) {
                    demux.push(&mut ctx, black_box(datagram));
                }
                black_box(&ctx);
            });
        });
    }

    group.bench_function("bytes-per-pes", |b| {
        // Each PES payload's bytes (as many as our PES output gives, cut
        // from the input) copied into one buffer and split off as a
        // `Bytes` that the consumer drops: the copy and the reference
        // count (an atomic increment and decrement) of every PES packet.
        let mut buf = BytesMut::with_capacity(64 << 10);
        b.iter(|| {
            let mut bytes = 0usize;
            let mut from = 0;
            for &n in &pes_sizes {
                if buf.capacity() - buf.len() < n {
                    buf.reserve((64 << 10).max(n));
                }
                let at = from % (ts.len() - n);
                buf.extend_from_slice(black_box(&ts[at..at + n]));
                from = at + n;
                let data = buf.split().freeze();
                bytes += black_box(&data).len();
            }
            bytes
        });
    });

    group.bench_function("memcpy", |b| {
        let mut out = vec![0u8; ts.len()];
        b.iter(|| {
            for (dst, src) in out.chunks_mut(DATAGRAM).zip(ts.chunks(DATAGRAM)) {
                dst.copy_from_slice(black_box(src));
            }
            black_box(&out);
        });
    });
    group.finish();
}

criterion_group!(benches, ts_demux);
criterion_main!(benches);
