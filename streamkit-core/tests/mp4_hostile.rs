//! MP4 input on hand-made files: every layout feature the fixtures do not
//! exercise (co64, stz2, 64-bit and size-0 boxes, moov at either end), and
//! hostile files, each refused with the exact typed error.

// Test code: a failed build or parse is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use bytes::Bytes;
use streamkit_core::mp4::{FourCc, Mp4Error, Mp4File};

fn bx(kind: &[u8; 4], body: &[u8]) -> Vec<u8> {
    let mut out = ((body.len() + 8) as u32).to_be_bytes().to_vec();
    out.extend_from_slice(kind);
    out.extend_from_slice(body);
    out
}

fn full(kind: &[u8; 4], version: u8, body: &[u8]) -> Vec<u8> {
    let mut b = vec![version, 0, 0, 0];
    b.extend_from_slice(body);
    bx(kind, &b)
}

fn be32(v: u32) -> [u8; 4] {
    v.to_be_bytes()
}

fn cat(parts: &[&[u8]]) -> Vec<u8> {
    parts.concat()
}

/// An `mp4a` sample entry with an `esds` carrying AAC-LC 44.1 kHz stereo.
fn aac_entry() -> Vec<u8> {
    let dcd_body = cat(&[
        &[0x40, 0x15, 0, 0, 0],
        &be32(128_000),
        &be32(128_000),
        &[0x05, 2, 0x12, 0x10],
    ]);
    let es_body = cat(&[
        &[0, 1, 0],
        &[0x04, dcd_body.len() as u8],
        &dcd_body,
        &[0x06, 1, 2],
    ]);
    let esds = full(b"esds", 0, &cat(&[&[0x03, es_body.len() as u8], &es_body]));
    let fields = cat(&[
        &[0; 6],
        &[0, 1],
        &[0; 8],
        &[0, 2, 0, 16, 0, 0, 0, 0],
        &be32(44_100 << 16),
    ]);
    bx(b"mp4a", &cat(&[&fields, &esds]))
}

/// A `tx3g` sample entry: a track this crate does not model.
fn text_entry() -> Vec<u8> {
    bx(b"tx3g", &cat(&[&[0; 6], &[0, 1], &[0; 30]]))
}

enum Sizes {
    Table(Vec<u32>),
    Fixed(u32, u32),
    Compact(u8, Vec<u32>),
}

enum Chunks {
    Stco(Vec<u32>),
    Co64(Vec<u64>),
}

struct TrackSpec {
    id: u32,
    timescale: u32,
    entry: Vec<u8>,
    stts: Vec<(u32, u32)>,
    ctts: Option<(u8, Vec<(u32, i32)>)>,
    stss: Option<Vec<u32>>,
    stsc: Vec<(u32, u32)>,
    sizes: Sizes,
    chunks: Chunks,
    edits: Vec<(u32, i32)>,
}

impl TrackSpec {
    /// Five AAC samples of sizes 3..=7 in two chunks, with every table.
    fn aac(chunk_offsets: [u64; 2]) -> TrackSpec {
        TrackSpec {
            id: 1,
            timescale: 44_100,
            entry: aac_entry(),
            stts: vec![(2, 1024), (3, 512)],
            ctts: Some((1, vec![(1, -100), (4, 50)])),
            stss: Some(vec![1, 4]),
            stsc: vec![(1, 3), (2, 2)],
            sizes: Sizes::Compact(8, vec![3, 4, 5, 6, 7]),
            chunks: Chunks::Co64(chunk_offsets.to_vec()),
            edits: vec![(1000, 100)],
        }
    }
}

fn table(kind: &[u8; 4], version: u8, count: u32, entries: &[u8]) -> Vec<u8> {
    full(kind, version, &cat(&[&be32(count), entries]))
}

fn trak(t: &TrackSpec) -> Vec<u8> {
    let stsd = full(b"stsd", 0, &cat(&[&be32(1), &t.entry]));
    let pairs = |v: &[(u32, u32)]| -> Vec<u8> {
        v.iter()
            .flat_map(|(a, b)| cat(&[&be32(*a), &be32(*b)]))
            .collect()
    };
    let stts = table(b"stts", 0, t.stts.len() as u32, &pairs(&t.stts));
    let ctts = t.ctts.as_ref().map_or(Vec::new(), |(version, runs)| {
        let runs: Vec<(u32, u32)> = runs.iter().map(|&(n, o)| (n, o as u32)).collect();
        table(b"ctts", *version, runs.len() as u32, &pairs(&runs))
    });
    let stss = t.stss.as_ref().map_or(Vec::new(), |s| {
        let e: Vec<u8> = s.iter().flat_map(|n| be32(*n)).collect();
        table(b"stss", 0, s.len() as u32, &e)
    });
    let stsc_entries: Vec<u8> = t
        .stsc
        .iter()
        .flat_map(|(first, n)| cat(&[&be32(*first), &be32(*n), &be32(1)]))
        .collect();
    let stsc = table(b"stsc", 0, t.stsc.len() as u32, &stsc_entries);
    let sizes = match &t.sizes {
        Sizes::Table(s) => {
            let e: Vec<u8> = s.iter().flat_map(|n| be32(*n)).collect();
            full(b"stsz", 0, &cat(&[&be32(0), &be32(s.len() as u32), &e]))
        }
        Sizes::Fixed(size, count) => full(b"stsz", 0, &cat(&[&be32(*size), &be32(*count)])),
        Sizes::Compact(field, s) => {
            let e: Vec<u8> = match field {
                4 => s
                    .chunks(2)
                    .map(|p| ((p[0] << 4) | p.get(1).copied().unwrap_or(0)) as u8)
                    .collect(),
                8 => s.iter().map(|&n| n as u8).collect(),
                _ => s.iter().flat_map(|&n| (n as u16).to_be_bytes()).collect(),
            };
            full(
                b"stz2",
                0,
                &cat(&[&[0, 0, 0, *field], &be32(s.len() as u32), &e]),
            )
        }
    };
    let chunks = match &t.chunks {
        Chunks::Stco(o) => {
            let e: Vec<u8> = o.iter().flat_map(|n| be32(*n)).collect();
            table(b"stco", 0, o.len() as u32, &e)
        }
        Chunks::Co64(o) => {
            let e: Vec<u8> = o.iter().flat_map(|n| n.to_be_bytes()).collect();
            table(b"co64", 0, o.len() as u32, &e)
        }
    };
    let stbl = bx(
        b"stbl",
        &cat(&[&stsd, &stts, &ctts, &stss, &stsc, &sizes, &chunks]),
    );
    let minf = bx(b"minf", &stbl);
    let mdhd = full(
        b"mdhd",
        0,
        &cat(&[
            &[0; 8],
            &be32(t.timescale),
            &be32(3072 + 512),
            &[0x55, 0xc4, 0, 0],
        ]),
    );
    let hdlr = full(b"hdlr", 0, &cat(&[&[0; 4], b"soun", &[0; 13]]));
    let mdia = bx(b"mdia", &cat(&[&mdhd, &hdlr, &minf]));
    let tkhd = full(b"tkhd", 0, &cat(&[&[0; 8], &be32(t.id), &[0; 68]]));
    let edts = if t.edits.is_empty() {
        Vec::new()
    } else {
        let e: Vec<u8> = t
            .edits
            .iter()
            .flat_map(|(d, m)| cat(&[&be32(*d), &m.to_be_bytes(), &be32(0x1_0000)]))
            .collect();
        bx(b"edts", &table(b"elst", 0, t.edits.len() as u32, &e))
    };
    bx(b"trak", &cat(&[&tkhd, &edts, &mdia]))
}

fn moov(traks: &[Vec<u8>]) -> Vec<u8> {
    let mvhd = full(
        b"mvhd",
        0,
        &cat(&[&[0; 8], &be32(1000), &be32(90), &[0; 80]]),
    );
    let mut body = mvhd;
    for t in traks {
        body.extend_from_slice(t);
    }
    bx(b"moov", &body)
}

fn ftyp() -> Vec<u8> {
    bx(b"ftyp", b"isom\0\0\0\x01isom")
}

/// Sample `i` of the hand-made tracks: its size, filled with byte `i + 1`.
fn payload() -> Vec<u8> {
    (0u8..5)
        .flat_map(|i| vec![i + 1; usize::from(i) + 3])
        .collect()
}

fn parse(bytes: Vec<u8>) -> Result<Mp4File, Mp4Error> {
    Mp4File::parse(Bytes::from(bytes))
}

/// Checks the five samples of [`TrackSpec::aac`] exactly.
fn check_five(file: &Mp4File) {
    let t = &file.tracks()[0];
    assert_eq!(t.sample_entry(), Some(FourCc(*b"mp4a")));
    assert_eq!(t.codec().unwrap().codec_string(), "mp4a.40.2");
    assert_eq!(t.sample_count(), 5);
    assert_eq!(t.sync_sample_count(), Some(2));
    assert_eq!(t.language(), Some(*b"und"));
    // One edit starting at media time 100.
    assert_eq!(t.presentation_shift(), Some(-100));
    assert_eq!(t.composition_to_dts_shift(), 100);
    let got: Vec<(i64, i32, u32, bool, Vec<u8>)> = file
        .samples()
        .map(|s| {
            (
                s.dts,
                s.composition_offset,
                s.duration,
                s.keyframe,
                s.data.to_vec(),
            )
        })
        .collect();
    let want: Vec<(i64, i32, u32, bool, Vec<u8>)> = vec![
        (0, -100, 1024, true, vec![1; 3]),
        (1024, 50, 1024, false, vec![2; 4]),
        (2048, 50, 512, false, vec![3; 5]),
        (2560, 50, 512, true, vec![4; 6]),
        (3072, 50, 512, false, vec![5; 7]),
    ];
    assert_eq!(got, want);
}

#[test]
fn co64_stz2_ctts_v1_and_a_64_bit_mdat_before_moov() {
    let data = payload();
    // ftyp (20) + mdat header with 64-bit size (16).
    let base = 36u64;
    let spec = TrackSpec::aac([base, base + 12]);
    let mut mdat = cat(&[&be32(1), b"mdat", &((data.len() + 16) as u64).to_be_bytes()]);
    mdat.extend_from_slice(&data);
    let file = parse(cat(&[&ftyp(), &mdat, &moov(&[trak(&spec)])])).unwrap();
    assert_eq!(file.major_brand(), Some(FourCc(*b"isom")));
    check_five(&file);
}

#[test]
fn moov_first_and_an_mdat_of_size_zero_to_the_end_of_the_file() {
    let data = payload();
    let moov_len = moov(&[trak(&TrackSpec::aac([0, 0]))]).len() as u64;
    let base = 20 + moov_len + 8;
    let spec = TrackSpec::aac([base, base + 12]);
    let mdat = cat(&[&be32(0), b"mdat", &data]);
    let file = parse(cat(&[&ftyp(), &moov(&[trak(&spec)]), &mdat])).unwrap();
    check_five(&file);
}

#[test]
fn every_sample_size_table_form() {
    let data = payload();
    for sizes in [
        Sizes::Table(vec![3, 4, 5, 6, 7]),
        Sizes::Compact(4, vec![3, 4, 5, 6, 7]),
        Sizes::Compact(16, vec![3, 4, 5, 6, 7]),
    ] {
        let mut spec = TrackSpec::aac([28, 28 + 12]);
        spec.sizes = sizes;
        spec.chunks = Chunks::Stco(vec![28, 28 + 12]);
        let file = parse(cat(&[&ftyp(), &bx(b"mdat", &data), &moov(&[trak(&spec)])])).unwrap();
        check_five(&file);
    }
    // One size for all samples: four of 5 bytes in one chunk.
    let mut spec = TrackSpec::aac([28, 0]);
    spec.sizes = Sizes::Fixed(5, 4);
    spec.stsc = vec![(1, 4)];
    spec.stts = vec![(4, 1024)];
    spec.ctts = None;
    spec.stss = None;
    spec.chunks = Chunks::Stco(vec![28]);
    let file = parse(cat(&[
        &ftyp(),
        &bx(b"mdat", &[9; 20]),
        &moov(&[trak(&spec)]),
    ]))
    .unwrap();
    let samples: Vec<_> = file.samples().collect();
    assert_eq!(samples.len(), 4);
    assert!(
        samples
            .iter()
            .all(|s| s.keyframe && s.data.as_ref() == [9; 5])
    );
    assert_eq!(samples[3].dts, 3072);
}

/// A valid file with the moov at the end, for the hostile variants.
fn valid(spec: &TrackSpec) -> Vec<u8> {
    cat(&[&ftyp(), &bx(b"mdat", &payload()), &moov(&[trak(spec)])])
}

fn stco_spec() -> TrackSpec {
    let mut spec = TrackSpec::aac([0, 0]);
    spec.chunks = Chunks::Stco(vec![28, 28 + 12]);
    spec
}

#[test]
fn stco_layout_is_valid() {
    check_five(&parse(valid(&stco_spec())).unwrap());
}

#[test]
fn box_size_past_the_end() {
    let mut bytes = valid(&stco_spec());
    let moov_at = bytes.len() - moov(&[trak(&stco_spec())]).len();
    let size = (bytes.len() - moov_at + 1) as u32;
    bytes[moov_at..moov_at + 4].copy_from_slice(&be32(size));
    match parse(bytes).unwrap_err() {
        Mp4Error::BoxOutOfBounds {
            path,
            offset,
            size: s,
            available,
        } => {
            assert_eq!(path.to_string(), "moov");
            assert_eq!(offset, moov_at as u64);
            assert_eq!(s, u64::from(size));
            assert_eq!(available, u64::from(size) - 1);
        }
        e => panic!("{e}"),
    }
}

#[test]
fn box_sizes_smaller_than_the_header() {
    for size in [4u32, 7] {
        let bytes = cat(&[&ftyp(), &be32(size), b"free", &[0; 8]]);
        assert_eq!(
            parse(bytes).unwrap_err(),
            Mp4Error::BoxTooSmall {
                path: streamkit_core::mp4::BoxPath::ROOT
                    .child(FourCc(*b"free"))
                    .unwrap(),
                offset: 20,
                size: u64::from(size),
                header: 8,
            }
        );
    }
    // Size 1: a 64-bit size follows, and it must cover its 16-byte header.
    let bytes = cat(&[&ftyp(), &be32(1), b"free", &9u64.to_be_bytes()]);
    assert!(matches!(
        parse(bytes).unwrap_err(),
        Mp4Error::BoxTooSmall {
            size: 9,
            header: 16,
            offset: 20,
            ..
        }
    ));
    // Size 1 with the 64-bit size cut off.
    let bytes = cat(&[&ftyp(), &be32(1), b"free", &[0, 0]]);
    assert!(matches!(
        parse(bytes).unwrap_err(),
        Mp4Error::Truncated {
            field: "64-bit box size",
            offset: 20,
            needed: 16,
            available: 10,
            ..
        }
    ));
    // A 64-bit size beyond any file.
    let bytes = cat(&[&ftyp(), &be32(1), b"free", &u64::MAX.to_be_bytes()]);
    assert!(matches!(
        parse(bytes).unwrap_err(),
        Mp4Error::BoxOutOfBounds {
            size: u64::MAX,
            offset: 20,
            ..
        }
    ));
    // A header cut short.
    let bytes = cat(&[&ftyp(), &[0, 0, 0]]);
    assert!(matches!(
        parse(bytes).unwrap_err(),
        Mp4Error::Truncated {
            field: "box header",
            offset: 20,
            needed: 8,
            available: 3,
            ..
        }
    ));
}

#[test]
fn size_zero_box_inside_moov_runs_to_the_end_of_moov() {
    // A zero-sized `free` as moov's last child ends where moov ends; the
    // file still opens.
    let spec = stco_spec();
    let mut body = moov(&[trak(&spec)])[8..].to_vec();
    body.extend_from_slice(&cat(&[&be32(0), b"free", &[0xAA; 5]]));
    let file = parse(cat(&[
        &ftyp(),
        &bx(b"mdat", &payload()),
        &bx(b"moov", &body),
    ]))
    .unwrap();
    check_five(&file);
}

#[test]
fn missing_and_duplicate_moov() {
    assert_eq!(
        parse(cat(&[&ftyp(), &bx(b"mdat", &payload())]))
            .unwrap_err()
            .to_string(),
        "moov: missing"
    );
    let m = moov(&[trak(&stco_spec())]);
    let bytes = cat(&[&ftyp(), &bx(b"mdat", &payload()), &m, &m]);
    let second = (bytes.len() - m.len()) as u64;
    assert!(matches!(
        parse(bytes).unwrap_err(),
        Mp4Error::DuplicateBox { offset, .. } if offset == second
    ));
}

#[test]
fn absurd_counts_are_refused_before_any_allocation() {
    // stsz: 2^32 - 1 sizes in a table of 20 bytes.
    let mut spec = stco_spec();
    spec.sizes = Sizes::Table(vec![3, 4, 5, 6, 7]);
    let bytes = valid(&spec);
    let at = find(&bytes, b"stsz") + 12;
    let mut hostile = bytes.clone();
    hostile[at..at + 4].copy_from_slice(&be32(u32::MAX));
    match parse(hostile).unwrap_err() {
        Mp4Error::EntryCount {
            path,
            entry_count,
            entry_size,
            available,
            ..
        } => {
            assert_eq!(path.to_string(), "moov/trak/mdia/minf/stbl/stsz");
            assert_eq!(
                (entry_count, entry_size, available),
                (u64::from(u32::MAX), 4, 20)
            );
        }
        e => panic!("{e}"),
    }
    // stts: a count far beyond its entries.
    let at = find(&bytes, b"stts") + 8;
    let mut hostile = bytes.clone();
    hostile[at..at + 4].copy_from_slice(&be32(0x4000_0000));
    assert!(matches!(
        parse(hostile).unwrap_err(),
        Mp4Error::EntryCount {
            entry_count: 0x4000_0000,
            entry_size: 8,
            available: 16,
            ..
        }
    ));
    // A fixed sample size with more samples than the file could hold.
    let mut spec = stco_spec();
    spec.sizes = Sizes::Fixed(1000, 4_000_000);
    match parse(valid(&spec)).unwrap_err() {
        Mp4Error::InvalidField {
            path, field, value, ..
        } => {
            assert_eq!(path.to_string(), "moov/trak/mdia/minf/stbl/stsz");
            assert_eq!((field, value), ("sample_count", 4_000_000));
        }
        e => panic!("{e}"),
    }
    // elst: more entries than present.
    let at = find(&bytes, b"elst") + 8;
    let mut hostile = bytes;
    hostile[at..at + 4].copy_from_slice(&be32(1 << 30));
    assert!(matches!(
        parse(hostile).unwrap_err(),
        Mp4Error::EntryCount {
            entry_count: 0x4000_0000,
            entry_size: 12,
            available: 12,
            ..
        }
    ));
}

fn find(haystack: &[u8], kind: &[u8; 4]) -> usize {
    haystack
        .windows(4)
        .position(|w| w == kind)
        .expect("box type present")
}

#[test]
fn chunk_offsets_outside_the_file() {
    let mut spec = stco_spec();
    spec.chunks = Chunks::Stco(vec![28, u32::MAX - 2]);
    let len = valid(&spec).len() as u64;
    assert_eq!(
        parse(valid(&spec)).unwrap_err(),
        Mp4Error::SampleOutOfFile {
            track_id: 1,
            sample: 3,
            offset: u64::from(u32::MAX - 2),
            end: u64::from(u32::MAX - 2) + 6,
            file_len: len,
        }
    );
    let mut spec = stco_spec();
    spec.chunks = Chunks::Co64(vec![28, u64::MAX - 2]);
    assert!(matches!(
        parse(valid(&spec)).unwrap_err(),
        Mp4Error::SampleOutOfFile {
            sample: 3,
            end: u64::MAX,
            ..
        }
    ));
}

#[test]
fn tables_that_disagree() {
    let reason = |spec: &TrackSpec| match parse(valid(spec)).unwrap_err() {
        Mp4Error::SampleTable {
            track_id,
            sample,
            path,
            reason,
        } => (track_id, sample, path.to_string(), reason),
        e => panic!("{e}"),
    };
    let stbl = "moov/trak/mdia/minf/stbl";

    let mut spec = stco_spec();
    spec.stts = vec![(2, 1024), (2, 512)];
    assert_eq!(
        reason(&spec),
        (
            1,
            4,
            format!("{stbl}/stts"),
            "time-to-sample runs end before the last sample"
        )
    );

    let mut spec = stco_spec();
    spec.ctts = Some((0, vec![(3, 10)]));
    assert_eq!(
        reason(&spec),
        (
            1,
            3,
            format!("{stbl}/ctts"),
            "composition offset runs end before the last sample"
        )
    );

    let mut spec = stco_spec();
    spec.chunks = Chunks::Stco(vec![28]);
    assert_eq!(
        reason(&spec),
        (
            1,
            3,
            format!("{stbl}/stco"),
            "sample lies beyond the last chunk"
        )
    );

    let mut spec = stco_spec();
    spec.stsc = vec![(2, 3)];
    assert_eq!(
        reason(&spec),
        (
            1,
            0,
            format!("{stbl}/stsc"),
            "first entry does not start at chunk 1"
        )
    );

    // Chunks of zero samples are skipped, never looped on.
    let mut spec = stco_spec();
    spec.stsc = vec![(1, 0)];
    assert_eq!(
        reason(&spec),
        (
            1,
            0,
            format!("{stbl}/stco"),
            "sample lies beyond the last chunk"
        )
    );
}

#[test]
fn bad_track_headers() {
    let mut spec = stco_spec();
    spec.id = 0;
    assert!(matches!(
        parse(valid(&spec)).unwrap_err(),
        Mp4Error::InvalidField {
            field: "track_ID",
            value: 0,
            ..
        }
    ));
    let mut spec = stco_spec();
    spec.timescale = 0;
    match parse(valid(&spec)).unwrap_err() {
        Mp4Error::InvalidField { path, field, .. } => {
            assert_eq!(path.to_string(), "moov/trak/mdia/mdhd");
            assert_eq!(field, "timescale");
        }
        e => panic!("{e}"),
    }
    let t = trak(&stco_spec());
    let bytes = cat(&[&ftyp(), &bx(b"mdat", &payload()), &moov(&[t.clone(), t])]);
    assert_eq!(
        parse(bytes).unwrap_err(),
        Mp4Error::DuplicateTrackId { track_id: 1 }
    );
}

#[test]
fn esds_without_decoder_specific_info() {
    let mut spec = stco_spec();
    let entry = aac_entry();
    // Drop the DecSpecificInfo (tag 5, 2 bytes) by renaming its tag to 7.
    let mut e = entry.clone();
    let at = e
        .windows(4)
        .position(|w| w == [0x05, 2, 0x12, 0x10])
        .unwrap();
    e[at] = 0x07;
    spec.entry = e;
    match parse(valid(&spec)).unwrap_err() {
        Mp4Error::MissingDescriptor { path, descriptor } => {
            assert_eq!(path.to_string(), "moov/trak/mdia/minf/stbl/stsd/mp4a/esds");
            assert_eq!(descriptor, "DecoderSpecificInfo");
        }
        e => panic!("{e}"),
    }
    // A descriptor length past the end of esds.
    let mut e = entry;
    let at = e.windows(2).position(|w| w == [0x05, 2]).unwrap();
    e[at + 1] = 0x7f;
    spec.entry = e;
    assert!(matches!(
        parse(valid(&spec)).unwrap_err(),
        Mp4Error::Truncated {
            field: "descriptor body",
            needed: 0x7f,
            ..
        }
    ));
}

#[test]
fn unsupported_tracks_are_listed_and_skipped_even_when_damaged() {
    let audio = stco_spec();
    let mut text = stco_spec();
    text.id = 2;
    text.entry = text_entry();
    text.chunks = Chunks::Stco(vec![u32::MAX]);
    let bytes = cat(&[
        &ftyp(),
        &bx(b"mdat", &payload()),
        &moov(&[trak(&audio), trak(&text)]),
    ]);
    let file = parse(bytes).unwrap();
    let t = file.track(2).unwrap();
    assert_eq!(t.sample_entry(), Some(FourCc(*b"tx3g")));
    assert!(t.codec().is_none() && !t.is_supported() && t.to_track().is_none());
    assert_eq!(t.sample_count(), 5);
    assert!(file.track_samples(2).is_none());
    assert_eq!(file.samples().count(), 5);
    assert!(file.samples().all(|s| s.track_id == 1));
}

#[test]
fn error_messages_name_box_offset_track_and_sample() {
    let mut spec = stco_spec();
    spec.chunks = Chunks::Stco(vec![28, 1_000_000]);
    let msg = parse(valid(&spec)).unwrap_err().to_string();
    assert!(
        msg.starts_with("track 1, sample 3: data at bytes 1000000..1000006 lie outside the file"),
        "{msg}"
    );
}

/// ffprobe's packets for a file: (dts, pts, duration, size, keyframe).
fn ffprobe_packets(name: &str, bytes: &[u8]) -> Vec<(i64, i64, i64, usize, bool)> {
    type Row = (i64, i64, i64, usize, bool);
    let path = std::env::temp_dir().join(format!("streamkit-{}-{name}.mp4", std::process::id()));
    std::fs::write(&path, bytes).unwrap();
    let out = std::process::Command::new("ffprobe")
        .args([
            "-v",
            "error",
            "-show_entries",
            "packet=dts,pts,duration,size,flags",
        ])
        .arg(&path)
        .output()
        .expect("ffprobe runs (apt-get install ffmpeg)");
    std::fs::remove_file(&path).unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Default output: one [PACKET] ... [/PACKET] block of key=value lines
    // per packet (side data may add lines of its own).
    let mut packets: Vec<Row> = Vec::new();
    let mut kv: std::collections::HashMap<String, String> = std::collections::HashMap::new();
    for line in String::from_utf8(out.stdout).unwrap().lines() {
        if line == "[/PACKET]" {
            packets.push((
                kv["dts"].parse().unwrap(),
                kv["pts"].parse().unwrap(),
                kv["duration"].parse().unwrap(),
                kv["size"].parse().unwrap(),
                kv["flags"].starts_with('K'),
            ));
            kv.clear();
        } else if let Some((k, v)) = line.split_once('=') {
            kv.entry(k.to_owned()).or_insert_with(|| v.to_owned());
        }
    }
    packets
}

#[test]
fn ffprobe_reads_the_hand_made_layouts_as_we_do() {
    let data = payload();
    // Audio as encoders write it: every sample a sync sample, no composition
    // offsets (ffmpeg treats every audio sample as a keyframe).
    let audio = |offsets: [u64; 2]| {
        let mut spec = TrackSpec::aac(offsets);
        spec.ctts = None;
        spec.stss = None;
        spec
    };
    let spec = audio([36, 48]);
    let mut mdat = cat(&[&be32(1), b"mdat", &((data.len() + 16) as u64).to_be_bytes()]);
    mdat.extend_from_slice(&data);
    let large = cat(&[&ftyp(), &mdat, &moov(&[trak(&spec)])]);
    let moov_len = moov(&[trak(&audio([0, 0]))]).len() as u64;
    let base = 20 + moov_len + 8;
    let spec = audio([base, base + 12]);
    let zero = cat(&[&ftyp(), &moov(&[trak(&spec)]), &be32(0), b"mdat", &data]);
    for (name, bytes) in [("large", large), ("zero", zero)] {
        let file = parse(bytes.clone()).unwrap();
        let t = &file.tracks()[0];
        let shift = t.presentation_shift().unwrap();
        let dts_shift = shift - i64::from(t.composition_to_dts_shift());
        let ours: Vec<_> = file
            .samples()
            .map(|s| {
                (
                    s.dts + dts_shift,
                    s.pts() + shift,
                    i64::from(s.duration),
                    s.data.len(),
                    s.keyframe,
                )
            })
            .collect();
        let mut theirs = ffprobe_packets(name, &bytes);
        // ffmpeg's edit-list code moves the last audio packet's end (here by
        // the edit's media time); every other packet keeps its stts
        // duration, which the fixtures check for the last one too.
        assert_eq!(theirs.last().map(|p| p.2), Some(512 + 100), "{name}");
        if let Some(last) = theirs.last_mut() {
            last.2 = 512;
        }
        assert_eq!(ours, theirs, "{name}");
    }
}
