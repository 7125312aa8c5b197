//! Runs every fuzz target of streamkit-core (`streamkit_core::fuzz`, called
//! by `fuzz/` at the repository root) over seeds: the MP4 fixtures whole
//! and cut short, their codec configurations, parameter sets and first
//! samples, and edge inputs. Cheap, so the targets' checks run on every
//! test run and not only under libFuzzer.

// Test code: a failed read is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::PathBuf;

use bytes::Bytes;
use streamkit_core::codec::CodecConfig;
use streamkit_core::codec::aac::AdtsHeader;
use streamkit_core::codec::opus::OpusHead;
use streamkit_core::fuzz;
use streamkit_core::mp4::Mp4File;

const FIXTURES: [&str; 4] = [
    "h264_aac.mp4",
    "h264_aac_moov_end.mp4",
    "h265_aac.mp4",
    "h264_opus.mp4",
];

fn fixture(name: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/fixtures")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn every_target(data: &[u8]) {
    fuzz::codec(data);
    fuzz::nal(data);
    fuzz::mp4(data);
    fuzz::ts_demux(data);
    fuzz::fmp4_input(data);
    fuzz::flv(data);
}

/// FLV seeds: a file of every tag kind our muxer writes for each fixture
/// (legacy and Enhanced headers), and each tag body alone.
#[test]
fn flv_seeds_pass_the_flv_target() {
    use streamkit_core::flv::{FlvHeader, FlvMuxer, TagStyle};
    for name in ["h264_aac.mp4", "h265_aac.mp4", "h264_opus.mp4"] {
        let file = Mp4File::parse(Bytes::from(fixture(name))).unwrap();
        let (tracks, _) = file.tracks_and_shifts();
        for style in [TagStyle::Compatible, TagStyle::Enhanced] {
            let muxer = FlvMuxer::new(&tracks, style).unwrap();
            let mut out = bytes::BytesMut::new();
            FlvHeader {
                audio: true,
                video: true,
            }
            .write(&mut out);
            let mut tags = muxer.sequence_headers();
            tags.extend(file.samples().take(20).map(|s| muxer.tag(&s).unwrap()));
            for t in &tags {
                t.write_file_tag(&mut out).unwrap();
                fuzz::flv(&t.to_body());
            }
            fuzz::flv(&out);
            fuzz::flv(&out[..out.len() / 2]);
        }
    }
}

/// The codec configuration of every fixture track as the bytes each codec
/// parser reads: avcC / hvcC, their parameter sets, ASC and an ADTS header
/// for it, dOps and OpusHead; and each track's first samples.
fn codec_seeds(file: &Mp4File) -> Vec<Vec<u8>> {
    let mut seeds = Vec::new();
    for track in file.tracks() {
        match track.codec() {
            Some(CodecConfig::H264(c)) => {
                seeds.push(c.to_bytes().unwrap().to_vec());
                seeds.extend(c.sps.iter().chain(&c.pps).map(|s| s.to_vec()));
            }
            Some(CodecConfig::H265(c)) => {
                seeds.push(c.to_bytes().unwrap().to_vec());
                seeds.extend(
                    c.arrays
                        .iter()
                        .flat_map(|a| &a.nal_units)
                        .map(|s| s.to_vec()),
                );
            }
            Some(CodecConfig::Aac(c)) => {
                seeds.push(c.to_bytes().unwrap().to_vec());
                let mut adts = Vec::new();
                AdtsHeader::from_config(c, 100).unwrap().write(&mut adts);
                seeds.push(adts);
            }
            Some(CodecConfig::Opus(c)) => {
                seeds.push(c.to_bytes().unwrap().to_vec());
                let mut head = Vec::new();
                OpusHead::from(c.clone()).write(&mut head).unwrap();
                seeds.push(head);
            }
            _ => {}
        }
        if let Some(samples) = file.track_samples(track.id()) {
            seeds.extend(samples.take(3).map(|s| s.data.to_vec()));
        }
    }
    seeds
}

#[test]
fn fixtures_pass_every_target() {
    let mut codec_seed_count = 0;
    for name in FIXTURES {
        let data = fixture(name);
        fuzz::mp4(&data);
        // Cut short: inside the moov or inside the mdat.
        for cut in [8, 64, 1000, data.len() / 2, data.len() - 1] {
            fuzz::mp4(&data[..cut]);
        }
        let file = Mp4File::parse(Bytes::from(data)).unwrap();
        for seed in codec_seeds(&file) {
            every_target(&seed);
            codec_seed_count += 1;
        }
    }
    // Two configurations per track at least, and three samples per track.
    assert!(codec_seed_count >= 4 * 5, "{codec_seed_count} seeds");
}

#[test]
fn edge_inputs_pass_every_target() {
    let inputs: &[&[u8]] = &[
        &[],
        &[0],
        &[0, 0, 1],
        &[0, 0, 0, 1],
        &[0, 0, 3, 0, 0, 3],
        &[0xff; 64],
        &[0; 64],
        // An avcC with a truncated parameter set.
        &[1, 0x42, 0, 0x1e, 0xff, 0xe1, 0, 9, 0x67, 0x42],
        // An mdat of size 0 (to the end of the file) and a box of size 1
        // without its 64-bit size.
        b"\0\0\0\0mdat",
        b"\0\0\0\x01moov",
    ];
    for data in inputs {
        every_target(data);
    }
}

/// The TS demuxer target over streams our muxer writes from every fixture
/// (whole, cut short, with garbage first), and the fragmented-MP4 target
/// over the fixtures fragmented by our writer.
#[test]
fn transport_streams_and_fragments_pass_their_targets() {
    use streamkit_core::ts::TsMuxer;
    for name in FIXTURES {
        let file = Mp4File::parse(Bytes::from(fixture(name))).unwrap();
        let (tracks, _) = file.tracks_and_shifts();
        let mut muxer = TsMuxer::new(&tracks).unwrap();
        let mut ts = Vec::new();
        for mut s in file.samples().take(120) {
            let shift = file.track(s.track_id).unwrap().composition_to_dts_shift();
            s.dts -= i64::from(shift);
            s.composition_offset += shift as i32;
            muxer.write_sample(&s, &mut ts).unwrap();
        }
        for chunk_byte in [0u8, 6, 187, 255] {
            let mut input = vec![chunk_byte];
            input.extend_from_slice(&ts);
            fuzz::ts_demux(&input);
            fuzz::ts_demux(&input[..input.len() / 3]);
            let mut dirty = vec![chunk_byte, 0x47, 0x00, 0x47];
            dirty.extend_from_slice(&ts[100..]);
            fuzz::ts_demux(&dirty);
        }
        let two = streamkit_core::time::MediaTime::new(2, streamkit_core::time::Timescale::SECONDS);
        if let Ok(f) = streamkit_core::fmp4::fragment_file(&file, two) {
            let bytes: Vec<u8> = f
                .bytes
                .buffers()
                .iter()
                .flat_map(|b| b.iter().copied())
                .collect();
            fuzz::mp4(&bytes);
            fuzz::fmp4_input(&bytes[bytes.len() / 2..]);
        }
        fuzz::fmp4_input(&fixture(name)[..4000]);
    }
}
