//! The MPEG-TS demuxer on streams we make and break: mux -> demux
//! identity (proptest), arbitrary bytes and packets never panic, resync
//! after garbage and on 192/204-byte packets, the 33-bit wrap, a PMT that
//! comes late, continuity errors counted exactly and video resuming at the
//! next keyframe; the muxer's options (tables repeated, several AAC
//! frames per PES, the PCR interval) read back; and `push_with` giving the
//! events `push` and `poll_event` give, PES packets lent.

// Test code: a failed read or parse is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;
use std::path::PathBuf;

use bytes::Bytes;
use proptest::prelude::*;
use streamkit_core::codec::CodecConfig;
use streamkit_core::codec::aac::AacConfig;
use streamkit_core::mp4::Mp4File;
use streamkit_core::nal::{AnnexBSlices, LengthPrefixedSlices, NalLengthSize};
use streamkit_core::sample::Sample;
use streamkit_core::time::Timescale;
use streamkit_core::track::Track;
use streamkit_core::ts::{
    PACKET_SIZE, SkipReason, TsConfig, TsDemuxConfig, TsDemuxError, TsDemuxOutput, TsDemuxer,
    TsEvent, TsEventRef, TsMuxer, TsPes, TsPesRef, TsSample, TsSink,
};

fn fixture(name: &str) -> Mp4File {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/fixtures")
        .join(name);
    Mp4File::parse(Bytes::from(std::fs::read(path).unwrap())).unwrap()
}

/// A fixture muxed whole (composition offsets made non-negative).
fn mux_fixture(name: &str, config: TsConfig) -> (Vec<Track>, Vec<Sample>, Vec<u8>) {
    let file = fixture(name);
    let (tracks, _) = file.tracks_and_shifts();
    let mut muxer = TsMuxer::with_config(&tracks, config).unwrap();
    let mut ts = Vec::new();
    let mut samples = Vec::new();
    for mut s in file.samples() {
        let shift = file.track(s.track_id).unwrap().composition_to_dts_shift();
        s.dts -= i64::from(shift);
        s.composition_offset += shift as i32;
        muxer.write_sample(&s, &mut ts).unwrap();
        samples.push(s);
    }
    muxer.flush(&mut ts).unwrap();
    (tracks, samples, ts)
}

fn demux_all(ts: &[u8], chunk: usize) -> Vec<TsEvent> {
    demux_with(ts, TsDemuxConfig::default(), chunk)
}

/// Pushed in chunks and polled, with `config`.
fn demux_with(ts: &[u8], config: TsDemuxConfig, chunk: usize) -> Vec<TsEvent> {
    let mut d = TsDemuxer::with_config(config);
    let mut events = Vec::new();
    for c in ts.chunks(chunk.max(1)) {
        d.push(c).unwrap();
        while let Some(e) = d.poll_event() {
            events.push(e);
        }
    }
    d.finish().unwrap();
    // A second finish does nothing.
    d.finish().unwrap();
    while let Some(e) = d.poll_event() {
        events.push(e);
    }
    events
}

fn samples_by_pid(events: &[TsEvent]) -> BTreeMap<u16, Vec<TsSample>> {
    let mut out: BTreeMap<u16, Vec<TsSample>> = BTreeMap::new();
    for e in events {
        if let TsEvent::Sample(s) = e {
            out.entry(s.pid).or_default().push(s.clone());
        }
    }
    out
}

/// The NAL units of a length-prefixed sample, without access unit
/// delimiters and parameter sets (which the muxer adds).
fn coded_units(data: &[u8], h265: bool) -> Vec<Vec<u8>> {
    LengthPrefixedSlices::new(data, NalLengthSize::Four)
        .map(Result::unwrap)
        .filter(|u| {
            let t = if h265 {
                (u[0] >> 1) & 0x3F
            } else {
                u[0] & 0x1F
            };
            if h265 {
                !(32..=35).contains(&t)
            } else {
                !matches!(t, 7..=9)
            }
        })
        .map(<[u8]>::to_vec)
        .collect()
}

/// Every fixture through our muxer and back: the same samples (NAL units,
/// raw AAC frames and Opus packets, times, keyframes), in decode order.
#[test]
fn fixtures_round_trip_through_mux_and_demux() {
    for name in [
        "h264_aac.mp4",
        "h264_aac_moov_end.mp4",
        "h265_aac.mp4",
        "h264_opus.mp4",
    ] {
        for per_pes in [1, 5] {
            let config = TsConfig::default().with_audio_frames_per_pes(per_pes);
            let (tracks, samples, ts) = mux_fixture(name, config);
            let events = demux_all(&ts, 1316);
            assert!(
                !events.iter().any(|e| matches!(
                    e,
                    TsEvent::Error(_) | TsEvent::ContinuityError(_) | TsEvent::Skipped { .. }
                )),
                "{name}"
            );
            let ours = samples_by_pid(&events);
            for (i, track) in tracks.iter().enumerate() {
                let pid = 0x100 + i as u16;
                let want: Vec<&Sample> =
                    samples.iter().filter(|s| s.track_id == track.id).collect();
                let got = &ours[&pid];
                assert_eq!(
                    got.len(),
                    want.len(),
                    "{name} {per_pes}: track {}",
                    track.id
                );
                let h265 = matches!(track.codec, CodecConfig::H265(_));
                let video = track.kind() == streamkit_core::codec::MediaKind::Video;
                for (k, (g, w)) in got.iter().zip(&want).enumerate() {
                    // The muxer's 90 kHz times, offset by 1.4 s.
                    let to90 = |t: i64| {
                        (t * 90_000 + i64::from(w.timescale.hz()) / 2)
                            .div_euclid(i64::from(w.timescale.hz()))
                            + 126_000
                    };
                    if video || per_pes == 1 {
                        assert_eq!(g.dts, to90(w.dts), "{name}: dts");
                        assert_eq!(g.pts, to90(w.pts()), "{name}: pts");
                    } else {
                        // Frames after the first of a PES packet: exact in
                        // the track's ticks (the 90 kHz value is rounded
                        // from the PES's PTS).
                        assert_eq!(
                            g.sample.dts - got[0].sample.dts,
                            w.dts - want[0].dts,
                            "{name}: audio dts"
                        );
                    }
                    assert_eq!(g.sample.keyframe, w.keyframe, "{name}: keyframe");
                    if video {
                        assert_eq!(
                            coded_units(&g.sample.data, h265),
                            coded_units(&w.data, h265),
                            "{name}: NAL units"
                        );
                    } else {
                        assert_eq!(g.sample.data, w.data, "{name}: audio frame");
                        assert_eq!(g.sample.timescale, w.timescale);
                        // The last frame's shorter duration (MP4 trims
                        // the end) is not in the transport stream.
                        if k + 1 < want.len() {
                            assert_eq!(g.sample.duration, w.duration, "{name}: duration");
                        }
                    }
                }
            }
        }
    }
}

/// With PES packets out, each PES packet comes whole with its times, in
/// place of tracks and samples: for the fixtures through our muxer, one per
/// access unit, at the samples' PTS and DTS, video as the Annex-B of the
/// sample's NAL units, AAC as the ADTS frame of the raw one.
#[test]
fn pes_output_gives_each_pes_packet_with_its_times() {
    for name in ["h264_aac.mp4", "h265_aac.mp4"] {
        let (_, _, ts) = mux_fixture(name, TsConfig::default());
        let samples = samples_by_pid(&demux_all(&ts, 1316));
        let mut config = TsDemuxConfig::default();
        config.output = TsDemuxOutput::PesPackets;
        let mut d = TsDemuxer::with_config(config);
        let mut pes: BTreeMap<u16, Vec<_>> = BTreeMap::new();
        for c in ts.chunks(1316) {
            d.push(c).unwrap();
            while let Some(e) = d.poll_event() {
                match e {
                    TsEvent::Pes(p) => pes.entry(p.pid).or_default().push(p),
                    TsEvent::Sample(_) | TsEvent::Track { .. } | TsEvent::Error(_) => {
                        panic!("{name}: {e:?}")
                    }
                    _ => {}
                }
            }
        }
        d.finish().unwrap();
        while let Some(e) = d.poll_event() {
            if let TsEvent::Pes(p) = e {
                pes.entry(p.pid).or_default().push(p);
            }
        }
        assert_eq!(pes.len(), 2, "{name}");
        for (pid, packets) in &pes {
            let want = &samples[pid];
            assert_eq!(packets.len(), want.len(), "{name} PID {pid}");
            for (p, s) in packets.iter().zip(want) {
                assert_eq!(p.pts, Some(s.pts), "{name}: pts");
                assert_eq!(p.dts, Some(s.dts), "{name}: dts");
                assert_eq!(p.packet, s.packet);
                assert_eq!(p.data.len(), s.coded_len, "{name}: PES payload length");
                if s.sample.timescale == Timescale::VIDEO_90KHZ {
                    assert_eq!(p.stream_id, 0xE0);
                    let annex_b: Vec<&[u8]> = AnnexBSlices::new(&p.data).collect();
                    let units: Vec<&[u8]> =
                        LengthPrefixedSlices::new(&s.sample.data, NalLengthSize::Four)
                            .map(Result::unwrap)
                            .collect();
                    assert_eq!(annex_b, units, "{name}: NAL units");
                } else {
                    assert_eq!(p.stream_id, 0xC0);
                    assert_eq!(p.data[..2], [0xFF, 0xF1], "{name}: ADTS sync");
                    assert_eq!(p.data[7..], s.sample.data[..], "{name}: AAC frame");
                }
            }
        }
    }
}

/// PAT and PMT before every video keyframe and at most 500 ms apart; a
/// PCR at most 100 ms apart (ISO/IEC 13818-1), on the video PID.
#[test]
fn muxer_repeats_tables_and_keeps_the_pcr_interval() {
    for name in ["h264_aac.mp4", "h265_aac.mp4", "h264_opus.mp4"] {
        let (_, _, ts) = mux_fixture(name, TsConfig::default());
        let events = demux_all(&ts, 4096);
        let mut last_pat: Option<usize> = None;
        let mut pats = 0;
        let mut keyframes = 0;
        for (i, p) in ts.chunks(PACKET_SIZE).enumerate() {
            let pid = (u16::from(p[1] & 0x1F) << 8) | u16::from(p[2]);
            if pid == 0 {
                last_pat = Some(i);
                pats += 1;
            }
            let random_access = p[3] & 0x20 != 0 && p[4] > 0 && p[5] & 0x40 != 0;
            if pid == 0x100 && random_access {
                keyframes += 1;
                // PAT, PMT, then the keyframe.
                assert_eq!(
                    last_pat,
                    Some(i - 2),
                    "{name}: tables before keyframe {keyframes}"
                );
            }
        }
        assert!(keyframes >= 3, "{name}");
        assert!(pats > keyframes, "{name}: tables between keyframes too");
        // Tables at most 0.5 s (of decode time) apart: the PAT count is at
        // least the stream's length in half seconds.
        let pcrs: Vec<u64> = events
            .iter()
            .filter_map(|e| match e {
                TsEvent::Pcr {
                    pid: 0x100, pcr, ..
                } => Some(pcr.base.get()),
                TsEvent::Pcr { pid, .. } => panic!("{name}: PCR on PID {pid:#x}"),
                _ => None,
            })
            .collect();
        let span = pcrs.last().unwrap() - pcrs.first().unwrap();
        assert!(
            pats as u64 >= span / 45_000,
            "{name}: {pats} PATs over {span} ticks"
        );
        let widest = pcrs.windows(2).map(|w| w[1] - w[0]).max().unwrap();
        assert!(widest <= 9_000, "{name}: PCRs {widest} ticks apart");
    }
}

/// Streams cut in any way, garbage before and inside, 192- and 204-byte
/// packets: the demuxer finds sync again and reports what it skipped.
#[test]
fn resync_after_garbage_and_other_strides() {
    let (_, samples, ts) = mux_fixture("h264_aac.mp4", TsConfig::default());
    let clean = samples_by_pid(&demux_all(&ts, 188));
    let total: usize = clean.values().map(Vec::len).sum();
    assert_eq!(total, samples.len());

    // 100 bytes of garbage (no sync byte) in front: same samples.
    let mut dirty = vec![0x11u8; 100];
    dirty.extend_from_slice(&ts);
    let events = demux_all(&dirty, 777);
    assert!(matches!(
        events.iter().find(|e| matches!(e, TsEvent::Resync { .. })),
        Some(TsEvent::Resync {
            offset: 0,
            skipped: 100,
            stride: 188
        })
    ));
    assert_eq!(samples_by_pid(&events), clean);

    // 192-byte packets (a 4-byte time code first) and 204-byte packets
    // (16 parity bytes after).
    for (stride, before) in [(192usize, true), (204, false)] {
        let mut framed = Vec::new();
        for p in ts.chunks(PACKET_SIZE) {
            if before {
                framed.extend_from_slice(&[0x00, 0x12, 0x34, 0x56]);
            }
            framed.extend_from_slice(p);
            if !before {
                framed.extend_from_slice(&[0xAB; 16]);
            }
        }
        for chunk in [stride, 1000, 1] {
            let mut d = TsDemuxer::new();
            let mut events = Vec::new();
            for c in framed.chunks(chunk) {
                d.push(c).unwrap();
                while let Some(e) = d.poll_event() {
                    events.push(e);
                }
            }
            d.finish().unwrap();
            while let Some(e) = d.poll_event() {
                events.push(e);
            }
            assert_eq!(d.stride(), Some(stride));
            assert_eq!(
                samples_by_pid(&events),
                clean,
                "stride {stride}, chunks of {chunk}"
            );
        }
    }

    // Sync lost in the middle: 50 bytes dropped from one packet.
    let cut = 400 * PACKET_SIZE + 10;
    let mut broken = ts[..cut].to_vec();
    broken.extend_from_slice(&ts[cut + 50..]);
    let events = demux_all(&broken, 1316);
    let resync: Vec<&TsEvent> = events
        .iter()
        .filter(|e| matches!(e, TsEvent::Resync { .. }))
        .collect();
    assert_eq!(
        resync,
        // Packet 400 still starts with a sync byte (and is read, damaged);
        // the next one does not: sync is lost there.
        [&TsEvent::Resync {
            offset: (401 * PACKET_SIZE) as u64,
            skipped: (PACKET_SIZE - 50) as u64,
            stride: 188
        }]
    );
}

/// Timestamps that cross 2^33 keep counting.
#[test]
fn timestamps_extend_past_the_33_bit_wrap() {
    let file = fixture("h264_aac.mp4");
    let (tracks, _) = file.tracks_and_shifts();
    let mut video = tracks[0].clone();
    video.timescale = Timescale::VIDEO_90KHZ;
    let mut muxer = TsMuxer::new(std::slice::from_ref(&video)).unwrap();
    let mut ts = Vec::new();
    // 2 s before the wrap (with the muxer's 1.4 s offset).
    let start = (1i64 << 33) - 180_000 - 126_000;
    for mut s in file.track_samples(1).unwrap() {
        // 512 ticks of 1/15360 s are 3000 of 1/90000 s.
        s.dts = start + (s.dts + 1024) / 512 * 3_000;
        s.composition_offset = s.composition_offset / 512 * 3_000;
        s.timescale = Timescale::VIDEO_90KHZ;
        muxer.write_sample(&s, &mut ts).unwrap();
    }
    let ours = samples_by_pid(&demux_all(&ts, 1316));
    let video = &ours[&0x100];
    assert_eq!(video.len(), 300);
    // The first frame decodes at 1024 (of 1/15360 s): 6000 ticks in.
    assert_eq!(video[0].dts, (1 << 33) - 180_000 + 6_000);
    assert!(video.last().unwrap().dts > 1 << 33);
    assert!(video.windows(2).all(|w| w[1].dts - w[0].dts == 3_000));
    assert!(video.iter().all(|s| s.sample.duration == 3_000));
    assert!(video.iter().all(|s| s.pts >= s.dts));
}

/// A receiver that starts mid-stream: nothing until the PAT and PMT, then
/// video from the next keyframe (earlier frames reported as skipped).
#[test]
fn joining_mid_stream_starts_at_the_next_keyframe() {
    let (_, samples, ts) = mux_fixture("h264_aac.mp4", TsConfig::default());
    let clean = samples_by_pid(&demux_all(&ts, 188));
    // Join at packet 1000, inside the first GOP.
    let events = demux_all(&ts[1000 * PACKET_SIZE..], 1316);
    let ours = samples_by_pid(&events);
    let video = &ours[&0x100];
    assert!(video[0].sample.keyframe);
    let first = clean[&0x100]
        .iter()
        .position(|s| s.dts == video[0].dts)
        .unwrap();
    let times = |v: &[TsSample]| -> Vec<(i64, i64, Bytes)> {
        v.iter()
            .map(|s| (s.dts, s.pts, s.sample.data.clone()))
            .collect()
    };
    assert_eq!(times(&clean[&0x100][first..]), times(video));
    assert!(clean[&0x100][first].sample.keyframe);
    assert!(
        !clean[&0x100][..first]
            .iter()
            .any(|s| s.dts > clean[&0x100][first].dts && s.sample.keyframe)
    );
    // Every frame between the join and the keyframe is reported.
    let skipped = events
        .iter()
        .filter(|e| matches!(e, TsEvent::Skipped { pid: 0x100, .. }))
        .count();
    assert!(skipped > 0);
    let track_first = events
        .iter()
        .position(|e| matches!(e, TsEvent::Track { .. }))
        .unwrap();
    let program_first = events
        .iter()
        .position(|e| matches!(e, TsEvent::Program(_)))
        .unwrap();
    assert!(program_first < track_first);
    let _ = samples;
}

/// A PMT that comes after some packets, and tracks whose configuration
/// comes late: nothing is put out before it is known.
#[test]
fn late_pmt_and_late_configuration() {
    let (_, _, ts) = mux_fixture("h264_aac.mp4", TsConfig::default().with_table_interval(0));
    // Drop the first PAT/PMT: the next ones come before the second keyframe.
    let events = demux_all(&ts[2 * PACKET_SIZE..], 1316);
    let ours = samples_by_pid(&events);
    let video = &ours[&0x100];
    assert!(video[0].sample.keyframe);
    assert_eq!(video[0].dts, 126_000 + 60 * 3_000);
    // Without the PMT the PES packets are not even looked at: no skips
    // reported for the first GOP, which came before the program was known.
    assert!(!events.iter().any(|e| matches!(
        e,
        TsEvent::Skipped {
            reason: SkipReason::NoConfiguration,
            ..
        }
    )));
}

/// A relay that drops whole datagrams (7 packets) by seed: every
/// continuity error is reported with the exact count of packets lost on
/// its PID (modulo 16), and video resumes at the next keyframe with the
/// same samples as the clean stream.
#[test]
fn lost_datagrams_are_counted_and_video_resumes_at_a_keyframe() {
    // The fixture five times over (50 s, about 900 datagrams).
    let file = fixture("h264_aac.mp4");
    let (tracks, _) = file.tracks_and_shifts();
    let mut muxer = TsMuxer::new(&tracks).unwrap();
    let mut ts = Vec::new();
    for round in 0..5i64 {
        for mut s in file.samples() {
            s.dts += 1024 + round * 10 * i64::from(s.timescale.hz());
            muxer.write_sample(&s, &mut ts).unwrap();
        }
    }
    let clean = samples_by_pid(&demux_all(&ts, 1316));
    let datagrams: Vec<&[u8]> = ts.chunks(7 * PACKET_SIZE).collect();
    // A small LCG: 1% of datagrams dropped, reproducibly.
    let mut state: u64 = 0x5EED;
    let mut dropped = Vec::new();
    let mut kept = Vec::new();
    for (i, d) in datagrams.iter().enumerate() {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        if (state >> 33).is_multiple_of(100) && i > 20 {
            dropped.push(i);
        } else {
            kept.extend_from_slice(d);
        }
    }
    assert!(dropped.len() >= 3, "{dropped:?}");

    // What the drop should show: per PID, gaps in the payload packets.
    let mut expected = Vec::new();
    let mut last_kept: BTreeMap<u16, (usize, usize)> = BTreeMap::new(); // pid -> (index among payload packets, packet index)
    let mut counts: BTreeMap<u16, usize> = BTreeMap::new();
    let mut received_index = 0u64;
    for (i, p) in ts.chunks(PACKET_SIZE).enumerate() {
        let pid = (u16::from(p[1] & 0x1F) << 8) | u16::from(p[2]);
        let lost = dropped.contains(&(i / 7));
        let payload = p[3] & 0x10 != 0;
        if payload {
            let n = counts.entry(pid).or_default();
            let k = *n;
            *n += 1;
            if !lost {
                if let Some(&(prev, _)) = last_kept.get(&pid) {
                    let missing = (k - prev - 1) % 16;
                    if missing > 0 {
                        expected.push((pid, missing as u8, received_index));
                    }
                }
                last_kept.insert(pid, (k, i));
            }
        }
        if !lost {
            received_index += 1;
        }
    }
    let events = demux_all(&kept, 1316);
    let errors: Vec<(u16, u8, u64)> = events
        .iter()
        .filter_map(|e| match e {
            TsEvent::ContinuityError(c) => Some((c.pid, c.missing, c.packet)),
            _ => None,
        })
        .collect();
    assert_eq!(errors, expected);

    // After each video loss, the next video sample put out is a keyframe,
    // and every sample put out is one of the clean stream's.
    let ours = samples_by_pid(&events);
    let video = &ours[&0x100];
    let clean_video = &clean[&0x100];
    let mut after_loss = false;
    let mut v = 0;
    for e in &events {
        match e {
            TsEvent::ContinuityError(c) if c.pid == 0x100 => after_loss = true,
            TsEvent::Sample(s) if s.pid == 0x100 => {
                if after_loss {
                    assert!(s.sample.keyframe, "resumes at a keyframe: {}", s.dts);
                    after_loss = false;
                }
                let want = clean_video.iter().find(|c| c.dts == s.dts).unwrap();
                assert_eq!(want.sample.data, s.sample.data);
                v += 1;
            }
            _ => {}
        }
    }
    assert_eq!(v, video.len());
    assert!(video.len() < clean_video.len());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Arbitrary bytes never panic, in any chunking.
    #[test]
    fn arbitrary_bytes_never_panic(data in proptest::collection::vec(any::<u8>(), 0..4000), chunk in 1usize..500) {
        let _ = demux_all(&data, chunk);
        // The fuzz target's checks too: the same events however the
        // input is cut.
        streamkit_core::fuzz::ts_demux(&data);
    }

    /// Arbitrary packets (valid sync, random everything else, PAT/PMT
    /// PIDs likely) never panic.
    #[test]
    fn arbitrary_packets_never_panic(
        packets in proptest::collection::vec(
            (prop_oneof![Just(0u16), Just(0x1000u16), Just(0x100u16), Just(0x101u16), 0u16..0x2000],
             any::<u8>(), proptest::collection::vec(any::<u8>(), 184)),
            0..60),
    ) {
        let mut ts = Vec::new();
        for (pid, flags, body) in packets {
            ts.push(0x47);
            ts.push((flags & 0xE0) | (pid >> 8) as u8);
            ts.push(pid as u8);
            ts.extend_from_slice(&body[..1]);
            ts.extend_from_slice(&body[1..]);
        }
        let _ = demux_all(&ts, 188);
    }

    /// Streams that start right (a real PAT and PMT) and then go random.
    #[test]
    fn valid_tables_then_random_packets_never_panic(
        bodies in proptest::collection::vec((0u16..4, proptest::collection::vec(any::<u8>(), 185)), 0..40),
    ) {
        let (_, _, ts) = mux_fixture_cached();
        let mut stream = ts[..4 * PACKET_SIZE].to_vec();
        for (pid, body) in bodies {
            let pid = [0u16, 0x1000, 0x100, 0x101][usize::from(pid)];
            stream.push(0x47);
            stream.push((body[0] & 0x40) | (pid >> 8) as u8);
            stream.push(pid as u8);
            stream.extend_from_slice(&body[1..]);
        }
        let _ = demux_all(&stream, 500);
    }

    /// PES packets of random lengths, flags and times after real tables,
    /// some inside one transport packet (lent from it), some over several,
    /// some cut short or running on: the fuzz entry's checks (the same
    /// events in any chunking, and through `push_with` mixed with `push`),
    /// in both outputs.
    #[test]
    fn random_pes_packets_give_the_same_events_through_push_with(
        packets in proptest::collection::vec(
            (any::<bool>(), any::<bool>(), 0u16..400, any::<u8>(), any::<[u8; 10]>(),
             proptest::collection::vec(any::<u8>(), 184)),
            1..30),
        cut in any::<u8>(),
    ) {
        let (_, _, ts) = mux_fixture_cached();
        // The tables (PAT, PMT) and nothing else of the fixture.
        let mut stream: Vec<u8> = ts
            .chunks(PACKET_SIZE)
            .take(4)
            .filter(|p| matches!(u16::from_be_bytes([p[1] & 0x1F, p[2]]), 0 | 0x1000))
            .flat_map(|p| p.to_vec())
            .collect();
        let mut cc = [0u8; 2];
        for (video, start, len, flags, times, mut body) in packets {
            let k = usize::from(video);
            let pid: u16 = if video { 0x100 } else { 0x101 };
            if start {
                // A PES header: the prefix, a stream id, the declared
                // length, the flags (PTS, PTS and DTS, none) and the times
                // with their marker bits set.
                let id = if video { 0xE0 } else { 0xC0 };
                let [hi, lo] = len.to_be_bytes();
                let pts_dts = flags & 0xC0;
                body[..9].copy_from_slice(&[0, 0, 1, id, hi, lo, 0x80, pts_dts, 10]);
                for (i, t) in times.iter().enumerate() {
                    body[9 + i] = t | if i % 2 == 0 { 1 } else { 0 };
                }
            }
            stream.extend_from_slice(&[0x47, (u8::from(start) << 6) | (pid >> 8) as u8, pid as u8, 0x10 | cc[k]]);
            stream.extend_from_slice(&body);
            cc[k] = (cc[k] + 1) & 0x0F;
        }
        for output in [0x00, 0x80] {
            let mut input = vec![output | (cut & 0x7F)];
            input.extend_from_slice(&stream);
            streamkit_core::fuzz::ts_demux(&input);
        }
    }

    /// AAC frames of any sizes, one or several per PES: mux -> demux gives
    /// the same frames and times.
    #[test]
    fn aac_mux_demux_identity(
        frames in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 1..1500), 1..40),
        per_pes in 1u8..6,
    ) {
        let aac = AacConfig::new(2, 48_000, 2).unwrap();
        let track = Track::new(1, Timescale::AUDIO_48KHZ, CodecConfig::Aac(aac));
        let mut muxer = TsMuxer::with_config(&[track], TsConfig::default().with_audio_frames_per_pes(per_pes)).unwrap();
        let mut ts = Vec::new();
        let samples: Vec<Sample> = frames.iter().enumerate().map(|(i, f)| Sample {
            track_id: 1,
            dts: i as i64 * 1024,
            composition_offset: 0,
            duration: 1024,
            timescale: Timescale::AUDIO_48KHZ,
            keyframe: true,
            data: Bytes::from(f.clone()),
        }).collect();
        for s in &samples {
            muxer.write_sample(s, &mut ts).unwrap();
        }
        muxer.flush(&mut ts).unwrap();
        let ours = samples_by_pid(&demux_all(&ts, 1316));
        let got = &ours[&0x100];
        prop_assert_eq!(got.len(), samples.len());
        for (g, w) in got.iter().zip(&samples) {
            prop_assert_eq!(&g.sample.data, &w.data);
            prop_assert_eq!(g.sample.dts, w.dts + 126_000 * 48_000 / 90_000);
            prop_assert_eq!(g.sample.duration, 1024);
        }
    }

    /// H.264 access units of random NAL units: mux -> demux gives the same
    /// NAL units, times and keyframes.
    #[test]
    fn h264_mux_demux_identity(
        units in proptest::collection::vec(
            (any::<bool>(), proptest::collection::vec(1u8..=255, 1..3000), 0i32..3),
            1..30),
    ) {
        let file = fixture("h264_aac.mp4");
        let track = file.tracks()[0].to_track().unwrap();
        let mut muxer = TsMuxer::new(std::slice::from_ref(&track)).unwrap();
        let mut ts = Vec::new();
        let mut samples = Vec::new();
        for (i, (key, payload, b)) in units.iter().enumerate() {
            let key = *key || i == 0;
            let mut data = Vec::new();
            let mut nal = vec![if key { 0x65 } else { 0x41 }];
            nal.extend_from_slice(payload);
            data.extend_from_slice(&(nal.len() as u32).to_be_bytes());
            data.extend_from_slice(&nal);
            let s = Sample {
                track_id: track.id,
                dts: i as i64 * 512,
                composition_offset: b * 512,
                duration: 512,
                timescale: track.timescale,
                keyframe: key,
                data: Bytes::from(data),
            };
            muxer.write_sample(&s, &mut ts).unwrap();
            samples.push(s);
        }
        let ours = samples_by_pid(&demux_all(&ts, 1000));
        let got = &ours[&0x100];
        prop_assert_eq!(got.len(), samples.len());
        for (g, w) in got.iter().zip(&samples) {
            prop_assert_eq!(coded_units(&g.sample.data, false), coded_units(&w.data, false));
            prop_assert_eq!(g.sample.keyframe, w.keyframe);
            prop_assert_eq!(g.dts, w.dts * 90_000 / 15_360 + 126_000);
            prop_assert_eq!(g.pts, w.pts() * 90_000 / 15_360 + 126_000);
        }
    }
}

fn mux_fixture_cached() -> (Vec<Track>, Vec<Sample>, Vec<u8>) {
    use std::sync::OnceLock;
    static CACHE: OnceLock<(Vec<Track>, Vec<Sample>, Vec<u8>)> = OnceLock::new();
    CACHE
        .get_or_init(|| mux_fixture("h264_opus.mp4", TsConfig::default()))
        .clone()
}

/// Sets a section's `version_number` in a PSI packet and recomputes its
/// CRC (the muxer writes version 0).
fn set_version(packet: &mut [u8], version: u8) {
    let start = 5; // after the header and a zero pointer field
    let len = 3 + usize::from(u16::from_be_bytes([
        packet[start + 1] & 0x0F,
        packet[start + 2],
    ]));
    packet[start + 5] = (packet[start + 5] & 0xC1) | (version << 1);
    let crc = streamkit_core::ts::crc32_mpeg2(&packet[start..start + len - 4]);
    packet[start + len - 4..start + len].copy_from_slice(&crc.to_be_bytes());
}

/// A new PMT version that drops the audio stream: a second program event,
/// and the audio PID's samples stop; a PCR discontinuity is reported.
#[test]
fn pmt_version_changes_apply() {
    let file = fixture("h264_aac.mp4");
    let (tracks, _) = file.tracks_and_shifts();
    let config = TsConfig::default()
        .with_table_interval(0)
        .with_tables_before_keyframes(false);
    let mut both = TsMuxer::with_config(&tracks, config).unwrap();
    let mut video_only = TsMuxer::with_config(&tracks[..1], config).unwrap();
    let mut ts = Vec::new();
    let samples: Vec<Sample> = file.samples().collect();
    let half = samples.len() / 2;
    for s in &samples[..half] {
        both.write_sample(s, &mut ts).unwrap();
    }
    // The second program version: the video-only muxer's tables, version 1.
    let mut tables = Vec::new();
    video_only.begin_segment(&mut tables).unwrap();
    set_version(&mut tables[PACKET_SIZE..], 1);
    // Continuity: the PAT and PMT packets carry on the first muxer's
    // counters (each wrote one of each).
    tables[3] = (tables[3] & 0xF0) | 1;
    tables[PACKET_SIZE + 3] = (tables[PACKET_SIZE + 3] & 0xF0) | 1;
    ts.extend_from_slice(&tables);
    let mut rest = Vec::new();
    let mut video = TsMuxer::with_config(&tracks[..1], config).unwrap();
    let mut dummy = Vec::new();
    video.begin_segment(&mut dummy).unwrap();
    for s in samples[half..]
        .iter()
        .filter(|s| s.track_id == tracks[0].id)
    {
        video.write_sample(s, &mut rest).unwrap();
    }
    // The video PID's continuity restarts: mark it a discontinuity on the
    // first packet (its adaptation field has the PCR).
    assert_eq!(rest[3] & 0x20, 0x20);
    rest[5] |= 0x80;
    ts.extend_from_slice(&rest);

    let events = demux_all(&ts, 1316);
    let programs: Vec<&streamkit_core::ts::TsProgram> = events
        .iter()
        .filter_map(|e| match e {
            TsEvent::Program(p) => Some(p),
            _ => None,
        })
        .collect();
    assert_eq!(programs.len(), 2);
    assert_eq!((programs[0].version, programs[0].streams.len()), (0, 2));
    assert_eq!((programs[1].version, programs[1].streams.len()), (1, 1));
    let change = events
        .iter()
        .position(|e| matches!(e, TsEvent::Program(p) if p.version == 1))
        .unwrap();
    assert!(
        !events[change..]
            .iter()
            .any(|e| matches!(e, TsEvent::Sample(s) if s.pid == 0x101))
    );
    assert!(
        events[change..]
            .iter()
            .any(|e| matches!(e, TsEvent::Sample(s) if s.pid == 0x100))
    );
    assert!(
        events
            .iter()
            .any(|e| matches!(e, TsEvent::Discontinuity { pid: 0x100, .. }))
    );
    assert!(
        !events
            .iter()
            .any(|e| matches!(e, TsEvent::ContinuityError(_))),
        "{:?}",
        events
            .iter()
            .filter(|e| matches!(e, TsEvent::ContinuityError(_)))
            .collect::<Vec<_>>()
    );
}

/// A PES packet past the configured limit is dropped and reported; the
/// stream goes on from the next keyframe.
#[test]
fn oversized_pes_packets_are_dropped() {
    let (_, _, ts) = mux_fixture("h264_aac.mp4", TsConfig::default());
    let clean = samples_by_pid(&demux_all(&ts, 1316));
    let biggest = clean[&0x100].iter().map(|s| s.coded_len).max().unwrap();
    let mut config = streamkit_core::ts::TsDemuxConfig::default();
    // Only the largest access unit (with its PES header) is too large.
    config.max_video_pes = biggest - 100;
    let mut d = TsDemuxer::with_config(config);
    d.push(&ts).unwrap();
    d.finish().unwrap();
    let mut too_large = 0;
    let mut video = 0;
    while let Some(e) = d.poll_event() {
        match e {
            TsEvent::Error(streamkit_core::ts::TsDemuxError::PesTooLarge {
                pid: 0x100,
                limit,
                ..
            }) => {
                assert_eq!(limit, biggest - 100);
                too_large += 1;
            }
            TsEvent::Sample(s) if s.pid == 0x100 => {
                assert!(s.coded_len < biggest);
                video += 1;
            }
            _ => {}
        }
    }
    assert_eq!(too_large, 1);
    // The frames up to the next keyframe went with it.
    assert!(video > 0 && video < clean[&0x100].len() - 1, "{video}");
}

// ---- push_with: the same events through a sink, PES packets lent (from
// the stream's buffer, or straight from the transport packet when one holds
// the whole PES packet): every fixture, both outputs, any chunking, push
// and push_with mixed, packets lost, PES headers broken, small limits.

fn config(output: TsDemuxOutput) -> TsDemuxConfig {
    let mut config = TsDemuxConfig::default();
    config.output = output;
    config
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

fn count_events(events: &[TsEvent], f: impl Fn(&TsEvent) -> bool) -> usize {
    events.iter().filter(|e| f(e)).count()
}

#[test]
fn every_fixture_gives_the_same_events_in_any_chunking() {
    for name in ["h264_aac.mp4", "h265_aac.mp4", "h264_opus.mp4"] {
        let (_, _, ts) = mux_fixture(name, TsConfig::default());
        for output in [TsDemuxOutput::PesPackets, TsDemuxOutput::AccessUnits] {
            let expected = demux_with(&ts, config(output), 1316);
            let pes = count_events(&expected, |e| matches!(e, TsEvent::Pes(_)));
            let samples = count_events(&expected, |e| matches!(e, TsEvent::Sample(_)));
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
    let (_, _, ts) = mux_fixture("h264_aac.mp4", TsConfig::default());
    let cfg = config(TsDemuxOutput::PesPackets);
    let expected = demux_with(&ts, cfg, 1316);
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
        count_events(&sink.other, |e| matches!(e, TsEvent::Program(_))),
        1,
        "one PMT version"
    );
}

/// Lost packets, broken PES headers in one-packet PES packets (the ones
/// lent straight from the transport packet) and in longer ones, and PES
/// limits that drop packets: the same errors, at the same places.
#[test]
fn damage_and_limits_give_the_same_events() {
    let (_, _, clean) = mux_fixture("h264_aac.mp4", TsConfig::default());
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
        let expected = demux_with(ts, cfg, 1316);
        let errors = count_events(&expected, |e| {
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
