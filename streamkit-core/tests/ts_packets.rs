//! MPEG-TS output read back packet by packet: the PES packets reassembled
//! from the transport packets carry exactly the Annex-B access unit (or ADTS
//! frame) and timestamps the samples call for; bad samples and configurations
//! get typed errors and write nothing.

// Test code: a failed read or parse is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::HashMap;
use std::path::PathBuf;

use bytes::Bytes;
use proptest::prelude::*;
use streamkit_core::codec::CodecConfig;
use streamkit_core::codec::aac::{AacConfig, AdtsHeader};
use streamkit_core::codec::opus::{ChannelMappingTable, OpusConfig};
use streamkit_core::mp4::Mp4File;
use streamkit_core::nal::NalError;
use streamkit_core::sample::Sample;
use streamkit_core::time::{MpegTsTimestamp, Timescale};
use streamkit_core::track::Track;
use streamkit_core::ts::{PACKET_SIZE, StreamType, TsConfig, TsError, TsMuxer, TsStream};

fn fixture_tracks(name: &str) -> Vec<Track> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/fixtures")
        .join(name);
    let file = Mp4File::parse(Bytes::from(std::fs::read(path).unwrap())).unwrap();
    file.tracks().iter().filter_map(|t| t.to_track()).collect()
}

/// H.264 (track 1, 15 360 Hz) and AAC (track 2, 44.1 kHz) from a fixture.
fn h264_aac() -> Vec<Track> {
    fixture_tracks("h264_aac.mp4")
}

/// One reassembled PES packet.
#[derive(Debug)]
struct Pes {
    random_access: bool,
    pcr: Option<u64>,
    bytes: Vec<u8>,
}

/// Splits transport packets into PES packets per PID (checking sync bytes,
/// continuity counters and stuffing), and returns the PSI sections' PIDs.
fn demux(ts: &[u8]) -> (Vec<u16>, HashMap<u16, Vec<Pes>>) {
    assert_eq!(ts.len() % PACKET_SIZE, 0);
    let mut psi = Vec::new();
    let mut pes: HashMap<u16, Vec<Pes>> = HashMap::new();
    let mut cc: HashMap<u16, u8> = HashMap::new();
    for p in ts.chunks(PACKET_SIZE) {
        assert_eq!(p[0], 0x47);
        let pid = (u16::from(p[1] & 0x1F) << 8) | u16::from(p[2]);
        let pusi = p[1] & 0x40 != 0;
        assert!(p[3] & 0x10 != 0, "every packet has a payload");
        if let Some(prev) = cc.insert(pid, p[3] & 0x0F) {
            assert_eq!(p[3] & 0x0F, (prev + 1) & 0x0F);
        }
        let mut start = 4;
        let (mut random_access, mut pcr) = (false, None);
        if p[3] & 0x20 != 0 {
            let len = usize::from(p[4]);
            start = 5 + len;
            if len > 0 {
                random_access = p[5] & 0x40 != 0;
                let mut used = 1;
                if p[5] & 0x10 != 0 {
                    let b = &p[6..12];
                    pcr = Some(
                        (u64::from(b[0]) << 25)
                            | (u64::from(b[1]) << 17)
                            | (u64::from(b[2]) << 9)
                            | (u64::from(b[3]) << 1)
                            | u64::from(b[4] >> 7),
                    );
                    assert_eq!(b[4] & 0x7E, 0x7E);
                    used += 6;
                }
                assert!(p[5 + used..start].iter().all(|&b| b == 0xFF));
            }
        }
        if pid == 0 || pid == 0x1000 {
            assert!(pusi);
            psi.push(pid);
            continue;
        }
        let list = pes.entry(pid).or_default();
        if pusi {
            list.push(Pes {
                random_access,
                pcr,
                bytes: Vec::new(),
            });
        } else {
            assert!(!random_access && pcr.is_none());
        }
        list.last_mut()
            .unwrap()
            .bytes
            .extend_from_slice(&p[start..]);
    }
    (psi, pes)
}

fn read_timestamp(b: &[u8], prefix: u8) -> u64 {
    assert_eq!(b[0] >> 4, prefix);
    assert_eq!(b[0] & 1, 1);
    assert_eq!(b[2] & 1, 1);
    assert_eq!(b[4] & 1, 1);
    (u64::from(b[0] & 0x0E) << 29)
        | (u64::from(b[1]) << 22)
        | (u64::from(b[2] >> 1) << 15)
        | (u64::from(b[3]) << 7)
        | u64::from(b[4] >> 1)
}

/// (stream_id, PES_packet_length, PTS, DTS, payload) of a PES packet.
fn parse_pes(b: &[u8]) -> (u8, u16, u64, Option<u64>, &[u8]) {
    assert_eq!(&b[..3], [0, 0, 1]);
    let len = u16::from_be_bytes([b[4], b[5]]);
    assert_eq!(b[6], 0x84);
    let header_len = usize::from(b[8]);
    let (pts, dts) = match b[7] {
        0x80 => {
            assert_eq!(header_len, 5);
            (read_timestamp(&b[9..14], 2), None)
        }
        0xC0 => {
            assert_eq!(header_len, 10);
            (
                read_timestamp(&b[9..14], 3),
                Some(read_timestamp(&b[14..19], 1)),
            )
        }
        other => panic!("PTS_DTS_flags {other:#x}"),
    };
    (b[3], len, pts, dts, &b[9 + header_len..])
}

fn video_sample(data: Vec<u8>, dts: i64, cto: i32, keyframe: bool) -> Sample {
    Sample {
        track_id: 1,
        dts,
        composition_offset: cto,
        duration: 512,
        timescale: Timescale::new(15_360).unwrap(),
        keyframe,
        data: Bytes::from(data),
    }
}

fn audio_sample(data: Vec<u8>, dts: i64) -> Sample {
    Sample {
        track_id: 2,
        dts,
        composition_offset: 0,
        duration: 1_024,
        timescale: Timescale::AUDIO_44_1KHZ,
        keyframe: true,
        data: Bytes::from(data),
    }
}

/// `dts` ticks of `hz` on the 90 kHz clock, rounded to nearest, plus the
/// default 1.4 s offset, modulo 2^33.
fn ts90(t: i64, hz: i64) -> u64 {
    let num = i128::from(t) * 90_000;
    let hz = i128::from(hz);
    let v = (2 * num + hz).div_euclid(2 * hz) + 126_000;
    MpegTsTimestamp::new(v as u64).get()
}

fn length_prefixed(units: &[Vec<u8>]) -> Vec<u8> {
    let mut out = Vec::new();
    for u in units {
        out.extend_from_slice(&(u.len() as u32).to_be_bytes());
        out.extend_from_slice(u);
    }
    out
}

#[test]
fn streams_and_pids() {
    let muxer = TsMuxer::new(&h264_aac()).unwrap();
    assert_eq!(
        muxer.streams().collect::<Vec<_>>(),
        [
            TsStream {
                track_id: 1,
                pid: 0x100,
                stream_type: StreamType::H264,
                stream_id: 0xE0
            },
            TsStream {
                track_id: 2,
                pid: 0x101,
                stream_type: StreamType::AdtsAac,
                stream_id: 0xC0
            },
        ]
    );
    assert_eq!(muxer.pcr_pid(), 0x100);
    // Audio first: the PCR still goes with the video.
    let mut tracks = h264_aac();
    tracks.reverse();
    let muxer = TsMuxer::new(&tracks).unwrap();
    assert_eq!(muxer.pcr_pid(), 0x101);
    let h265 = TsMuxer::new(&fixture_tracks("h265_aac.mp4")).unwrap();
    assert_eq!(
        h265.streams().map(|s| s.stream_type).collect::<Vec<_>>(),
        [StreamType::H265, StreamType::AdtsAac]
    );
}

#[test]
fn keyframe_access_unit_layout() {
    let tracks = h264_aac();
    let CodecConfig::H264(avc) = &tracks[0].codec else {
        panic!()
    };
    let mut muxer = TsMuxer::new(&tracks).unwrap();
    let mut out = Vec::new();
    // A keyframe with its own delimiter (dropped), an SEI and an IDR slice.
    let units = vec![
        vec![0x09, 0x10],
        vec![0x06, 1, 2, 3],
        vec![0x65, 0x88, 0x84],
    ];
    let sample = video_sample(length_prefixed(&units), -1_024, 1_024, true);
    let n = muxer.write_sample(&sample, &mut out).unwrap();
    // PAT and PMT come first when begin_segment was not called.
    assert_eq!(n, out.len());
    let (psi, pes) = demux(&out);
    assert_eq!(psi, [0, 0x1000]);
    let video = &pes[&0x100];
    assert_eq!(video.len(), 1);
    assert!(video[0].random_access);
    let (stream_id, len, pts, dts, es) = parse_pes(&video[0].bytes);
    assert_eq!((stream_id, len), (0xE0, 0));
    // PTS at 0 s, DTS at -1024/15360 s = -6000 ticks.
    assert_eq!(pts, 126_000);
    assert_eq!(dts, Some(120_000));
    assert_eq!(video[0].pcr, Some(120_000 - 63_000));
    let mut want = vec![0, 0, 0, 1, 0x09, 0xF0];
    for ps in avc.sps.iter().chain(&avc.pps) {
        want.extend_from_slice(&[0, 0, 0, 1]);
        want.extend_from_slice(ps);
    }
    for u in &units[1..] {
        want.extend_from_slice(&[0, 0, 0, 1]);
        want.extend_from_slice(u);
    }
    // The rest of the last packet is adaptation-field stuffing, so the
    // payload is exactly the access unit.
    assert_eq!(es, want);
    // The next segment starts with the tables again, counters continuing.
    let mut next = Vec::new();
    assert_eq!(muxer.begin_segment(&mut next).unwrap(), 2 * PACKET_SIZE);
    assert_eq!(next[3] & 0x0F, 1);
    assert_eq!(next[PACKET_SIZE + 3] & 0x0F, 1);
}

#[test]
fn typed_errors_write_nothing() {
    let tracks = h264_aac();
    let mut muxer = TsMuxer::new(&tracks).unwrap();
    let mut out = Vec::new();
    let truncated = video_sample(vec![0, 0, 0, 9, 0x65, 1], 0, 0, true);
    assert_eq!(
        muxer.write_sample(&truncated, &mut out),
        Err(TsError::InvalidNalUnits {
            track_id: 1,
            dts: 0,
            source: NalError::Truncated {
                offset: 0,
                needed: 13,
                available: 6
            }
        })
    );
    assert_eq!(
        muxer.write_sample(&video_sample(Vec::new(), 0, 0, true), &mut out),
        Err(TsError::EmptySample {
            track_id: 1,
            dts: 0
        })
    );
    assert_eq!(
        muxer.write_sample(
            &video_sample(vec![0, 0, 0, 1, 0x41], 3_000, -512, false),
            &mut out
        ),
        Err(TsError::PresentationBeforeDecode {
            track_id: 1,
            dts: 3_000,
            composition_offset: -512
        })
    );
    let mut stranger = audio_sample(vec![1], 5);
    stranger.track_id = 7;
    assert_eq!(
        muxer.write_sample(&stranger, &mut out),
        Err(TsError::UnknownTrack {
            track_id: 7,
            dts: 5
        })
    );
    assert_eq!(
        muxer.write_sample(&audio_sample(vec![0; 8_185], 0), &mut out),
        Err(TsError::FrameTooLong {
            track_id: 2,
            dts: 0,
            len: 8_185,
            max: 8_184
        })
    );
    assert!(out.is_empty());
    // A fixed buffer one byte short: an error, not a panic, nothing written.
    let frame = audio_sample(vec![0x21; 100], 0);
    let mut buf = [0u8; 3 * PACKET_SIZE - 1];
    let mut slice = &mut buf[..];
    assert_eq!(
        muxer.write_sample(&frame, &mut slice),
        Err(TsError::InsufficientSpace {
            required: 3 * PACKET_SIZE,
            remaining: 3 * PACKET_SIZE - 1
        })
    );
    assert!(buf.iter().all(|&b| b == 0));
    let mut buf = [0u8; 3 * PACKET_SIZE];
    let mut slice = &mut buf[..];
    assert_eq!(muxer.write_sample(&frame, &mut slice), Ok(3 * PACKET_SIZE));
    // The failed writes left every counter at its start.
    let (psi, pes) = demux(&buf);
    assert_eq!(psi, [0, 0x1000]);
    assert_eq!(buf[3] & 0x0F, 0);
    assert_eq!(buf[2 * PACKET_SIZE + 3] & 0x0F, 0);
    assert_eq!(pes[&0x101].len(), 1);
}

#[test]
fn configuration_errors() {
    let tracks = h264_aac();
    assert_eq!(TsMuxer::new(&[]).unwrap_err(), TsError::NoTracks);
    let many: Vec<Track> = (1..=17)
        .map(|id| Track {
            id,
            ..tracks[1].clone()
        })
        .collect();
    assert_eq!(
        TsMuxer::new(&many).unwrap_err(),
        TsError::TooManyTracks {
            count: 17,
            limit: 16
        }
    );
    assert_eq!(
        TsMuxer::new(&[tracks[1].clone(), tracks[1].clone()]).unwrap_err(),
        TsError::DuplicateTrack { track_id: 2 }
    );
    let mut bad = TsConfig::default();
    bad.pmt_pid = 0x101;
    assert!(matches!(
        TsMuxer::with_config(&tracks, bad),
        Err(TsError::InvalidConfig { .. })
    ));
    let mut bad = TsConfig::default();
    bad.first_pid = 0x1FFE;
    assert!(matches!(
        TsMuxer::with_config(&tracks, bad),
        Err(TsError::InvalidConfig { .. })
    ));
    let mut bad = TsConfig::default();
    bad.program_number = 0;
    assert!(matches!(
        TsMuxer::with_config(&tracks, bad),
        Err(TsError::InvalidConfig { .. })
    ));
    // H.264 without parameter sets: nothing to put before a keyframe.
    let mut no_sps = tracks[0].clone();
    if let CodecConfig::H264(avc) = &mut no_sps.codec {
        avc.sps.clear();
    }
    assert_eq!(
        TsMuxer::new(&[no_sps]).unwrap_err(),
        TsError::MissingCodecConfig {
            track_id: 1,
            what: "H.264 configuration without SPS or PPS"
        }
    );
    // AAC Main with SBR (HE-AAC, object type 5): ADTS cannot say it.
    let he = Track::new(
        3,
        Timescale::AUDIO_48KHZ,
        CodecConfig::Aac(AacConfig::new(5, 48_000, 2).unwrap()),
    );
    assert!(matches!(
        TsMuxer::new(&[he]).unwrap_err(),
        TsError::InvalidCodecConfig { track_id: 3, .. }
    ));
}

fn opus_track(config: OpusConfig) -> Track {
    Track::new(2, Timescale::AUDIO_48KHZ, CodecConfig::Opus(config))
}

fn opus_sample(len: usize, dts: i64) -> Sample {
    Sample {
        track_id: 2,
        dts,
        composition_offset: 0,
        duration: 960,
        timescale: Timescale::AUDIO_48KHZ,
        keyframe: true,
        data: Bytes::from((0..len).map(|i| (i % 251) as u8).collect::<Vec<u8>>()),
    }
}

#[test]
fn opus_packets_carry_control_headers_and_trim_the_pre_skip() {
    // Pre-skip 2 000 samples over 960-sample packets: trims of 960, 960 and
    // 80, then none.
    let tracks = [
        h264_aac()[0].clone(),
        opus_track(OpusConfig::stereo(2_000, 48_000)),
    ];
    let mut muxer = TsMuxer::new(&tracks).unwrap();
    assert_eq!(
        muxer.streams().nth(1).unwrap(),
        TsStream {
            track_id: 2,
            pid: 0x101,
            stream_type: StreamType::Opus,
            stream_id: 0xBD
        }
    );
    let mut out = Vec::new();
    muxer.begin_segment(&mut out).unwrap();
    let lens = [100usize, 254, 255, 600, 3];
    for (i, len) in lens.iter().enumerate() {
        muxer
            .write_sample(&opus_sample(*len, i as i64 * 960), &mut out)
            .unwrap();
    }
    let (_, pes) = demux(&out);
    let opus = &pes[&0x101];
    assert_eq!(opus.len(), lens.len());
    let trims = [Some(960u16), Some(960), Some(80), None, None];
    for (i, (p, (len, trim))) in opus.iter().zip(lens.iter().zip(trims)).enumerate() {
        assert!(p.random_access);
        let (stream_id, pes_len, pts, dts, es) = parse_pes(&p.bytes);
        assert_eq!(stream_id, 0xBD);
        assert_eq!(pts, ts90(i as i64 * 960, 48_000));
        assert_eq!(dts, None);
        let mut want = vec![0x7F, if trim.is_some() { 0xF0 } else { 0xE0 }];
        want.extend(std::iter::repeat_n(0xFF, len / 255));
        want.push((len % 255) as u8);
        if let Some(t) = trim {
            want.extend_from_slice(&t.to_be_bytes());
        }
        want.extend_from_slice(&opus_sample(*len, 0).data);
        assert_eq!(es, want, "packet {i}");
        assert_eq!(usize::from(pes_len), 3 + 5 + want.len());
    }
    // Too long for an Opus packet (RFC 6716: 48 frames of 1 275 bytes).
    assert_eq!(
        muxer.write_sample(&opus_sample(61_201, 9_600), &mut Vec::new()),
        Err(TsError::FrameTooLong {
            track_id: 2,
            dts: 9_600,
            len: 61_201,
            max: 61_200
        })
    );
}

#[test]
fn opus_beyond_stereo_is_refused() {
    let mut surround = OpusConfig::stereo(312, 48_000);
    surround.output_channel_count = 6;
    surround.channel_mapping_family = 1;
    surround.channel_mapping = Some(ChannelMappingTable {
        stream_count: 4,
        coupled_count: 2,
        channel_mapping: vec![0, 4, 1, 2, 3, 5],
    });
    assert_eq!(
        TsMuxer::new(&[opus_track(surround)]).unwrap_err(),
        TsError::UnsupportedCodec {
            track_id: 2,
            codec: "Opus beyond mono and stereo (channel mapping family 0)"
        }
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn video_round_trip(
        units in proptest::collection::vec(
            (any::<u8>(), proptest::collection::vec(any::<u8>(), 0..700)), 1..6),
        dts in -100_000i64..1_000_000_000_000,
        cto in 0i32..10_000,
        keyframe in any::<bool>(),
    ) {
        let tracks = h264_aac();
        let CodecConfig::H264(avc) = &tracks[0].codec else { panic!() };
        // NAL headers other than delimiters (type 9) and forbidden bit.
        let units: Vec<Vec<u8>> = units
            .into_iter()
            .map(|(h, mut body)| {
                let h = match h & 0x1F { 9 | 0 => 0x41, _ => h & 0x7F };
                body.insert(0, h);
                body
            })
            .collect();
        let mut muxer = TsMuxer::new(&tracks).unwrap();
        let mut out = Vec::new();
        muxer.begin_segment(&mut out).unwrap();
        let sample = video_sample(length_prefixed(&units), dts, cto, keyframe);
        let n = muxer.write_sample(&sample, &mut out).unwrap();
        prop_assert_eq!(n + 2 * PACKET_SIZE, out.len());
        let (_, pes) = demux(&out);
        let video = &pes[&0x100];
        prop_assert_eq!(video.len(), 1);
        prop_assert_eq!(video[0].random_access, keyframe);
        let (_, _, pts, dts_field, es) = parse_pes(&video[0].bytes);
        prop_assert_eq!(pts, ts90(dts + i64::from(cto), 15_360));
        let want_dts = ts90(dts, 15_360);
        prop_assert_eq!(dts_field, (want_dts != pts).then_some(want_dts));
        prop_assert_eq!(
            video[0].pcr,
            Some(MpegTsTimestamp::new(want_dts.wrapping_sub(63_000)).get())
        );
        let mut want = vec![0, 0, 0, 1, 0x09, 0xF0];
        if keyframe {
            for ps in avc.sps.iter().chain(&avc.pps) {
                want.extend_from_slice(&[0, 0, 0, 1]);
                want.extend_from_slice(ps);
            }
        }
        for u in &units {
            want.extend_from_slice(&[0, 0, 0, 1]);
            want.extend_from_slice(u);
        }
        prop_assert_eq!(es, &want[..]);
    }

    #[test]
    fn audio_round_trip(len in 1usize..=8_184, dts in 0i64..1 << 40) {
        let tracks = h264_aac();
        let CodecConfig::Aac(asc) = &tracks[1].codec else { panic!() };
        let mut muxer = TsMuxer::new(&tracks).unwrap();
        let mut out = Vec::new();
        muxer.begin_segment(&mut out).unwrap();
        let data: Vec<u8> = (0..len).map(|i| (i * 7) as u8).collect();
        muxer.write_sample(&audio_sample(data.clone(), dts), &mut out).unwrap();
        let (_, pes) = demux(&out);
        let audio = &pes[&0x101];
        prop_assert_eq!(audio.len(), 1);
        prop_assert!(audio[0].random_access);
        prop_assert_eq!(audio[0].pcr, None);
        let (stream_id, pes_len, pts, dts_field, es) = parse_pes(&audio[0].bytes);
        prop_assert_eq!(stream_id, 0xC0);
        prop_assert_eq!(usize::from(pes_len), 3 + 5 + 7 + len);
        prop_assert_eq!(pts, ts90(dts, 44_100));
        prop_assert_eq!(dts_field, None);
        let mut want = Vec::new();
        AdtsHeader::from_config(asc, len).unwrap().write(&mut want);
        want.extend_from_slice(&data);
        prop_assert_eq!(es, &want[..]);
        prop_assert_eq!(AdtsHeader::parse(es).unwrap().to_config().unwrap().sampling_frequency, 44_100);
    }

    #[test]
    fn arbitrary_sample_bytes_never_panic(
        data in proptest::collection::vec(any::<u8>(), 0..2_000),
        track in 0u32..4,
        keyframe in any::<bool>(),
        dts in any::<i64>(),
        cto in any::<i32>(),
    ) {
        let mut muxer = TsMuxer::new(&h264_aac()).unwrap();
        let mut out = Vec::new();
        let sample = Sample {
            track_id: track,
            dts,
            composition_offset: cto,
            duration: 1,
            timescale: Timescale::new(15_360).unwrap(),
            keyframe,
            data: Bytes::from(data),
        };
        match muxer.write_sample(&sample, &mut out) {
            Ok(n) => {
                prop_assert_eq!(n, out.len());
                prop_assert_eq!(n % PACKET_SIZE, 0);
            }
            Err(_) => prop_assert!(out.is_empty()),
        }
    }
}
