//! MP4 input never panics and stays within a memory bound on damaged
//! fixtures and arbitrary bytes; iterating samples allocates nothing per
//! sample.

// Test code: a failed read is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::PathBuf;
use std::sync::OnceLock;

use bytes::Bytes;
use proptest::prelude::*;
use streamkit_core::mp4::Mp4File;

const FIXTURES: [&str; 4] = [
    "h264_aac.mp4",
    "h264_aac_moov_end.mp4",
    "h265_aac.mp4",
    "h264_opus.mp4",
];

fn fixtures() -> &'static [Vec<u8>] {
    static DATA: OnceLock<Vec<Vec<u8>>> = OnceLock::new();
    DATA.get_or_init(|| {
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures");
        FIXTURES
            .iter()
            .map(|f| std::fs::read(dir.join(f)).unwrap())
            .collect()
    })
}

/// Parses and, when that succeeds, iterates every sample; checks each
/// sample lies in the input and the peak heap use stays under a bound
/// proportional to the input.
fn parse_within_bounds(input: Vec<u8>) {
    let len = input.len();
    let data = Bytes::from(input);
    let base = data.as_ptr() as usize;
    let info = allocation_counter::measure(|| {
        if let Ok(file) = Mp4File::parse(data.clone()) {
            let mut count = 0usize;
            for s in file.samples() {
                let p = s.data.as_ptr() as usize;
                assert!(s.data.is_empty() || (p >= base && p + s.data.len() <= base + len));
                count += 1;
            }
            let supported: usize = file
                .tracks()
                .iter()
                .filter(|t| t.is_supported())
                .map(|t| t.sample_count() as usize)
                .sum();
            assert_eq!(count, supported);
        }
    });
    let bound = 4 * len as u64 + 64 * 1024;
    assert!(
        info.bytes_max <= bound,
        "peak heap {} bytes for a {len}-byte input",
        info.bytes_max
    );
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn byte_flips_never_panic(
        which in 0usize..FIXTURES.len(),
        flips in proptest::collection::vec((any::<prop::sample::Index>(), 1u8..=255), 1..16),
    ) {
        let mut input = fixtures()[which].clone();
        for (at, xor) in flips {
            let i = at.index(input.len());
            input[i] ^= xor;
        }
        parse_within_bounds(input);
    }

    #[test]
    fn flips_in_the_moov_never_panic(
        which in 0usize..FIXTURES.len(),
        flips in proptest::collection::vec((any::<prop::sample::Index>(), 1u8..=255), 1..8),
    ) {
        // Most bytes are media; aim the flips at the boxes that describe it.
        let mut input = fixtures()[which].clone();
        let moov = input.windows(4).position(|w| w == b"moov").unwrap() - 4;
        let size = u32::from_be_bytes(input[moov..moov + 4].try_into().unwrap()) as usize;
        for (at, xor) in flips {
            let i = moov + at.index(size);
            input[i] ^= xor;
        }
        parse_within_bounds(input);
    }

    #[test]
    fn truncations_never_panic(which in 0usize..FIXTURES.len(), cut in any::<prop::sample::Index>()) {
        let input = &fixtures()[which];
        let keep = cut.index(input.len());
        let result = Mp4File::parse(Bytes::copy_from_slice(&input[..keep]));
        // Every fixture's last box (mdat or moov) is needed whole.
        prop_assert!(result.is_err());
        parse_within_bounds(input[..keep].to_vec());
    }

    #[test]
    fn arbitrary_bytes_never_panic(input in proptest::collection::vec(any::<u8>(), 0..4096)) {
        parse_within_bounds(input);
    }

    #[test]
    fn arbitrary_boxes_never_panic(
        boxes in proptest::collection::vec(
            (
                prop::sample::select(vec![*b"moov", *b"trak", *b"mdia", *b"minf", *b"stbl", *b"stsd", *b"mdat", *b"free"]),
                proptest::collection::vec(any::<u8>(), 0..64),
                any::<bool>(),
            ),
            0..12,
        )
    ) {
        // Boxes nested (flag set) or in sequence, with random payloads.
        let mut out: Vec<u8> = Vec::new();
        for (kind, payload, nest) in boxes.into_iter().rev() {
            let mut b = Vec::new();
            let body_len = payload.len() + if nest { out.len() } else { 0 };
            b.extend_from_slice(&((body_len + 8) as u32).to_be_bytes());
            b.extend_from_slice(&kind);
            b.extend_from_slice(&payload);
            // The boxes after this one, inside it or beside it.
            b.extend_from_slice(&out);
            out = b;
        }
        parse_within_bounds(out);
    }
}

#[test]
fn iterating_samples_allocates_once_not_per_sample() {
    for input in fixtures() {
        let file = Mp4File::parse(Bytes::from(input.clone())).unwrap();
        let mut n = 0;
        let info = allocation_counter::measure(|| {
            for s in file.samples() {
                n += s.data.len();
            }
        });
        assert!(n > 0);
        // The one allocation is the per-track cursor list.
        assert_eq!(info.count_total, 1);
    }
}

fn bx(kind: &[u8; 4], body: &[u8]) -> Vec<u8> {
    let mut out = ((body.len() + 8) as u32).to_be_bytes().to_vec();
    out.extend_from_slice(kind);
    out.extend_from_slice(body);
    out
}

#[test]
fn a_moov_packed_with_minimal_tracks_stays_within_four_times_its_size() {
    // The smallest track the reader accepts: ids, a timescale, a handler
    // and an empty sample description (listed, nothing to read).
    let trak = |id: u32| {
        let mut tkhd = vec![0u8; 12];
        tkhd.extend_from_slice(&id.to_be_bytes());
        let mut mdhd = vec![0u8; 12];
        mdhd.extend_from_slice(&1000u32.to_be_bytes());
        mdhd.extend_from_slice(&[0; 6]);
        let hdlr = [&[0u8; 8][..], b"meta"].concat();
        let stsd = [0u8; 8];
        let stbl = bx(b"stbl", &bx(b"stsd", &stsd));
        let mdia = [bx(b"mdhd", &mdhd), bx(b"hdlr", &hdlr), bx(b"minf", &stbl)].concat();
        bx(b"trak", &[bx(b"tkhd", &tkhd), bx(b"mdia", &mdia)].concat())
    };
    let mut mvhd = vec![0u8; 12];
    mvhd.extend_from_slice(&1000u32.to_be_bytes());
    mvhd.extend_from_slice(&[0; 4]);
    let mut body = bx(b"mvhd", &mvhd);
    for id in 1..=20_000 {
        body.extend_from_slice(&trak(id));
    }
    let input = bx(b"moov", &body);
    let len = input.len();
    let data = Bytes::from(input);
    let mut tracks = 0;
    let info = allocation_counter::measure(|| {
        tracks = Mp4File::parse(data.clone()).unwrap().tracks().len();
    });
    assert_eq!(tracks, 20_000);
    assert!(
        info.bytes_max <= 4 * len as u64,
        "peak heap {} bytes for a {len}-byte moov",
        info.bytes_max
    );
}
