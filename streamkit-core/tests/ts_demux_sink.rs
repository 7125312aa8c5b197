//! `TsDemuxer::push_with`: the events `push` and `poll_event` give, in the
//! same order, handed to a sink as they are found; PES packets lent (from
//! the stream's buffer, or straight from the transport packet when one
//! holds the whole PES packet) and equal to the owned ones. On every
//! fixture, in both outputs, in any chunking, with `push` and `push_with`
//! mixed, with packets lost and PES headers broken, and with PES limits
//! that drop packets.

// Test code: a failed read or parse is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::PathBuf;

use bytes::Bytes;
use streamkit_core::mp4::Mp4File;
use streamkit_core::ts::{
    PACKET_SIZE, TsDemuxConfig, TsDemuxError, TsDemuxOutput, TsDemuxer, TsEvent, TsEventRef,
    TsMuxer, TsPes, TsPesRef, TsSink,
};

/// A fixture as our muxer writes it (one PES packet per sample).
fn mux(name: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/fixtures")
        .join(name);
    let file = Mp4File::parse(Bytes::from(std::fs::read(path).unwrap())).unwrap();
    let (tracks, _) = file.tracks_and_shifts();
    let mut muxer = TsMuxer::new(&tracks).unwrap();
    let mut ts = Vec::new();
    for mut s in file.samples() {
        // Composition offsets made non-negative, as MPEG-TS needs.
        let shift = file.track(s.track_id).unwrap().composition_to_dts_shift();
        s.dts -= i64::from(shift);
        s.composition_offset += shift as i32;
        muxer.write_sample(&s, &mut ts).unwrap();
    }
    muxer.flush(&mut ts).unwrap();
    ts
}

fn config(output: TsDemuxOutput) -> TsDemuxConfig {
    let mut config = TsDemuxConfig::default();
    config.output = output;
    config
}

/// Pushed and polled.
fn polled(ts: &[u8], config: TsDemuxConfig, chunk: usize) -> Vec<TsEvent> {
    let mut d = TsDemuxer::with_config(config);
    let mut events = Vec::new();
    for c in ts.chunks(chunk) {
        d.push(c).unwrap();
        while let Some(e) = d.poll_event() {
            events.push(e);
        }
    }
    d.finish().unwrap();
    while let Some(e) = d.poll_event() {
        events.push(e);
    }
    events
}

/// Through `push_with` (with `push` for the chunks `by_push` picks).
fn sunk(
    ts: &[u8],
    config: TsDemuxConfig,
    chunk: usize,
    by_push: impl Fn(usize) -> bool,
) -> Vec<TsEvent> {
    let mut d = TsDemuxer::with_config(config);
    let mut events = Vec::new();
    let mut sink = |e: TsEventRef<'_>| events.push(e.into_event());
    for (k, c) in ts.chunks(chunk).enumerate() {
        if by_push(k) {
            d.push(c).unwrap();
        } else {
            d.push_with(c, &mut sink).unwrap();
        }
    }
    d.finish_with(&mut sink).unwrap();
    assert_eq!(d.poll_event(), None, "push_with leaves nothing queued");
    assert_eq!(d.push_with(&[0x47], &mut sink), Err(TsDemuxError::Finished));
    events
}

fn count(events: &[TsEvent], f: impl Fn(&TsEvent) -> bool) -> usize {
    events.iter().filter(|e| f(e)).count()
}

#[test]
fn every_fixture_gives_the_same_events_in_any_chunking() {
    for name in ["h264_aac.mp4", "h265_aac.mp4", "h264_opus.mp4"] {
        let ts = mux(name);
        for output in [TsDemuxOutput::PesPackets, TsDemuxOutput::AccessUnits] {
            let expected = polled(&ts, config(output), 1316);
            let pes = count(&expected, |e| matches!(e, TsEvent::Pes(_)));
            let samples = count(&expected, |e| matches!(e, TsEvent::Sample(_)));
            match output {
                TsDemuxOutput::PesPackets => assert!(pes > 100 && samples == 0, "{name}"),
                _ => assert!(pes == 0 && samples > 100, "{name}"),
            }
            for chunk in [1, 100, PACKET_SIZE, 1316, 4096, ts.len()] {
                let got = sunk(&ts, config(output), chunk, |_| false);
                assert_eq!(got, expected, "{name}, {output:?}, chunks of {chunk}");
                // Queued and sunk events mixed: still one order.
                let mixed = sunk(&ts, config(output), chunk, |k| k % 3 == 1);
                assert_eq!(
                    mixed, expected,
                    "{name}, {output:?}, mixed, chunks of {chunk}"
                );
            }
        }
    }
}

/// A sink of its own type: PES packets come to `pes` lent, the rest to
/// `event`; the payloads are those `poll_event` gives, byte for byte.
#[test]
fn a_sink_type_gets_lent_pes_packets_and_owned_events() {
    #[derive(Default)]
    struct Collect {
        pes: Vec<TsPes>,
        other: Vec<TsEvent>,
    }
    impl TsSink for Collect {
        fn pes(&mut self, p: TsPesRef<'_>) {
            assert!(!p.data.is_empty());
            self.pes.push(p.to_pes());
        }
        fn event(&mut self, event: TsEvent) {
            assert!(!matches!(event, TsEvent::Pes(_)), "a PES packet owned");
            self.other.push(event);
        }
    }
    let ts = mux("h264_aac.mp4");
    let cfg = config(TsDemuxOutput::PesPackets);
    let expected = polled(&ts, cfg, 1316);
    let mut d = TsDemuxer::with_config(cfg);
    let mut sink = Collect::default();
    for c in ts.chunks(1316) {
        d.push_with(c, &mut sink).unwrap();
    }
    d.finish_with(&mut sink).unwrap();
    let owned: Vec<_> = expected
        .iter()
        .filter_map(|e| match e {
            TsEvent::Pes(p) => Some(p.clone()),
            _ => None,
        })
        .collect();
    // 300 video frames and 432 AAC frames, one PES packet each.
    assert_eq!(owned.len(), 732);
    assert_eq!(sink.pes, owned);
    let rest: Vec<_> = expected
        .into_iter()
        .filter(|e| !matches!(e, TsEvent::Pes(_)))
        .collect();
    assert_eq!(sink.other, rest);
    assert_eq!(
        count(&sink.other, |e| matches!(e, TsEvent::Program(_))),
        1,
        "one PMT version"
    );
}

/// Lost packets, broken PES headers in one-packet PES packets (the ones
/// lent straight from the transport packet) and in longer ones, and PES
/// limits that drop packets: the same errors, at the same places.
#[test]
fn damage_and_limits_give_the_same_events() {
    let clean = mux("h264_aac.mp4");
    let mut damaged = clean.clone();
    let mut broken_starts = 0;
    for (k, p) in damaged.chunks_mut(PACKET_SIZE).enumerate() {
        let pid = u16::from_be_bytes([p[1] & 0x1F, p[2]]);
        let start = p[1] & 0x40 != 0;
        if start && (pid == 0x100 || pid == 0x101) && k % 5 == 0 {
            // After the 4-byte header (and an adaptation field, if any),
            // the PES header: break its start code prefix or its PTS
            // marker bits.
            let at = if p[3] & 0x20 != 0 {
                5 + usize::from(p[4])
            } else {
                4
            };
            if k % 2 == 0 {
                p[at + 2] = 0x02;
            } else {
                p[at + 9] &= 0xFE;
            }
            broken_starts += 1;
        }
    }
    assert!(broken_starts > 20, "{broken_starts}");
    // Every 97th packet of the stream lost.
    let lossy: Vec<u8> = clean
        .chunks(PACKET_SIZE)
        .enumerate()
        .filter(|(k, _)| k % 97 != 50)
        .flat_map(|(_, p)| p.to_vec())
        .collect();
    let mut small = config(TsDemuxOutput::PesPackets);
    small.max_audio_pes = 100;
    small.max_video_pes = 2_000;
    let cases = [
        ("damaged", &damaged, config(TsDemuxOutput::PesPackets)),
        ("damaged", &damaged, config(TsDemuxOutput::AccessUnits)),
        ("lossy", &lossy, config(TsDemuxOutput::PesPackets)),
        ("lossy", &lossy, config(TsDemuxOutput::AccessUnits)),
        ("small limits", &clean, small),
    ];
    for (what, ts, cfg) in cases {
        let expected = polled(ts, cfg, 1316);
        let errors = count(&expected, |e| {
            matches!(e, TsEvent::Error(_) | TsEvent::ContinuityError(_))
        });
        assert!(errors > 5, "{what}: {errors} errors");
        for chunk in [PACKET_SIZE, 1316, 3000] {
            assert_eq!(
                sunk(ts, cfg, chunk, |_| false),
                expected,
                "{what}, {:?}, chunks of {chunk}",
                cfg.output
            );
        }
    }
}
