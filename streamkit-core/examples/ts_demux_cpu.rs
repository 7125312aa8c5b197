//! The loops of the `ts_demux` bench's rows of our demuxer, run a given number of times, for measuring their CPU time with
//! `perf stat -e task-clock` (steadier than wall time on a loaded
//! machine). Subtract a run of 1 from a run of N + 1 to leave set-up out:
//!
//! ```text
//! cargo build --profile bench -p streamkit-core --example ts_demux_cpu
//! perf stat -e task-clock target/release/examples/ts_demux_cpu full 4001
//! perf stat -e task-clock target/release/examples/ts_demux_cpu full 1
//! ```
//!
//! `full` is full demux (samples), `pes` PES output, both polled; `pes-lent`
//! is PES output through [`TsDemuxer::push_with`] (PES packets lent to a
//! sink, no queue), `full-sink` full demux through it; `setup-lent` is
//! `pes-lent` on the first three datagrams only (the demuxer's creation,
//! the tables, the first PES packets: the share of set-up in a run).

// A missing fixture or bad arguments end the program with a message.
#![allow(clippy::expect_used, clippy::panic)]

use std::hint::black_box;

use bytes::Bytes;
use streamkit_core::mp4::Mp4File;
use streamkit_core::ts::{
    TsDemuxConfig, TsDemuxOutput, TsDemuxer, TsEvent, TsMuxer, TsPesRef, TsSink,
};

/// The bench's consumer for `push_with`.
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

fn main() {
    let mut args = std::env::args().skip(1);
    let mode = args.next().unwrap_or_else(|| "full".into());
    let runs: usize = args
        .next()
        .map(|s| s.parse().expect("runs: a number"))
        .unwrap_or(1);
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../tests/fixtures/h264_aac.mp4"
    );
    let file =
        Mp4File::parse(Bytes::from(std::fs::read(path).expect("fixture"))).expect("fixture parses");
    let (tracks, _) = file.tracks_and_shifts();
    let mut muxer = TsMuxer::new(&tracks).expect("muxer");
    let mut ts = Vec::new();
    for s in file.samples() {
        muxer.write_sample(&s, &mut ts).expect("mux");
    }
    let mut config = TsDemuxConfig::default();
    match mode.as_str() {
        "full" | "full-sink" => {}
        "pes" | "pes-lent" | "setup-lent" => config.output = TsDemuxOutput::PesPackets,
        other => panic!("mode {other}: full, pes, pes-lent or full-sink"),
    }
    let sink = mode.ends_with("-lent") || mode.ends_with("-sink");
    let mut total = 0usize;
    for _ in 0..runs {
        let mut d = TsDemuxer::with_config(config);
        if sink {
            let mut consumer = Consumer::default();
            let n = if mode == "setup-lent" { 3 } else { usize::MAX };
            for datagram in ts.chunks(7 * 188).take(n) {
                d.push_with(black_box(datagram), &mut consumer)
                    .expect("push");
            }
            d.finish_with(&mut consumer).expect("finish");
            total += consumer.bytes + usize::from(black_box(consumer.check) == 1);
            continue;
        }
        for datagram in ts.chunks(7 * 188) {
            d.push(black_box(datagram)).expect("push");
            while let Some(e) = d.poll_event() {
                match e {
                    TsEvent::Sample(s) => total += black_box(&s).sample.data.len(),
                    TsEvent::Pes(p) => total += black_box(&p).data.len(),
                    _ => {}
                }
            }
        }
        d.finish().expect("finish");
        while let Some(e) = d.poll_event() {
            total += usize::from(matches!(e, TsEvent::Sample(_) | TsEvent::Pes(_)));
        }
    }
    println!("{mode}: {runs} runs, {total} bytes out");
}
