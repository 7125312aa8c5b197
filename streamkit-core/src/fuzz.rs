//! Fuzz targets of this crate: each function runs a family of parsers over
//! arbitrary bytes, touches everything they return and checks round trips
//! and invariants. The `fuzz/` crate at the repository root calls them from
//! libFuzzer; `tests/fuzz_smoke.rs` runs them over the fixtures on every
//! test run. Not part of the stable API.
//!
//! A failed assertion here is a bug in the parser or writer it names.
// A broken invariant must stop the fuzzer with the input that broke it.
#![allow(clippy::panic)]

use bytes::Bytes;

use crate::codec::{self, aac, h264, h265, opus};
use crate::mp4::Mp4File;
use crate::nal::{self, NalLengthSize};

const LENGTH_SIZES: [NalLengthSize; 3] =
    [NalLengthSize::One, NalLengthSize::Two, NalLengthSize::Four];

/// Every codec-configuration and parameter-set parser
/// ([`codec::fuzz_parsers`]), then the writer round trips: avcC, hvcC,
/// dOps and OpusHead read back to the same value, an ADTS header to the
/// same header, and an AudioSpecificConfig to the same bytes once written.
pub fn codec(data: &[u8]) {
    codec::fuzz_parsers(data);

    if let Ok(c) = h264::AvcConfig::parse(data)
        && let Ok(bytes) = c.to_bytes()
    {
        assert_eq!(bytes.len(), c.encoded_len(), "avcC encoded_len");
        assert_eq!(
            h264::AvcConfig::parse(&bytes).as_ref(),
            Ok(&c),
            "avcC round trip"
        );
    }
    if let Ok(c) = h265::HevcConfig::parse(data)
        && let Ok(bytes) = c.to_bytes()
    {
        assert_eq!(bytes.len(), c.encoded_len(), "hvcC encoded_len");
        assert_eq!(
            h265::HevcConfig::parse(&bytes).as_ref(),
            Ok(&c),
            "hvcC round trip"
        );
    }
    if let Ok(c) = aac::AacConfig::parse(data)
        && let Ok(bytes) = c.to_bytes()
    {
        let back = aac::AacConfig::parse(&bytes);
        assert!(back.is_ok(), "written ASC does not parse: {back:?}");
        if let Ok(back) = back {
            assert_eq!(
                back.audio_object_type, c.audio_object_type,
                "ASC object type"
            );
            assert_eq!(
                back.sampling_frequency, c.sampling_frequency,
                "ASC frequency"
            );
            assert_eq!(
                back.channel_configuration, c.channel_configuration,
                "ASC channels"
            );
            assert_eq!(back.frame_length(), c.frame_length(), "ASC frame length");
            assert_eq!(back.to_bytes().as_ref(), Ok(&bytes), "ASC fixed point");
        }
    }
    if let Ok(h) = aac::AdtsHeader::parse(data) {
        let mut out = Vec::new();
        h.write(&mut out);
        assert_eq!(out.len(), h.header_len(), "ADTS header_len");
        assert_eq!(aac::AdtsHeader::parse(&out), Ok(h), "ADTS round trip");
    }
    if let Ok(c) = opus::OpusConfig::parse_dops(data)
        && let Ok(bytes) = c.to_bytes()
    {
        assert_eq!(
            opus::OpusConfig::parse_dops(&bytes).as_ref(),
            Ok(&c),
            "dOps round trip"
        );
    }
    if let Ok(head) = opus::OpusHead::parse(data) {
        let mut out = Vec::new();
        if head.write(&mut out).is_ok() {
            assert_eq!(
                opus::OpusHead::parse(&out).as_ref(),
                Ok(&head),
                "OpusHead round trip"
            );
        }
    }
}

/// The NAL iterators and conversions: the borrowed and `Bytes` iterators
/// agree, every unit is a slice of the input, emulation prevention round
/// trips, and units converted from length-prefixed to Annex B (and back)
/// come out the same when they can be told apart from start codes.
pub fn nal(data: &[u8]) {
    let shared = Bytes::copy_from_slice(data);
    let range = shared.as_ptr_range();

    let slices: Vec<&[u8]> = nal::AnnexBSlices::new(data).collect();
    let units: Vec<Bytes> = nal::AnnexBUnits::new(shared.clone()).collect();
    assert_eq!(slices.len(), units.len(), "Annex B iterators disagree");
    for (s, u) in slices.iter().zip(&units) {
        assert_eq!(*s, &u[..], "Annex B iterators disagree");
        assert!(
            u.is_empty() || range.contains(&u.as_ptr()),
            "unit outside the input"
        );
    }
    for size in LENGTH_SIZES {
        let slices: Vec<_> = nal::LengthPrefixedSlices::new(data, size).collect();
        let units: Vec<_> = nal::LengthPrefixedUnits::new(shared.clone(), size).collect();
        assert_eq!(
            slices.len(),
            units.len(),
            "length-prefixed iterators disagree"
        );
        for (s, u) in slices.iter().zip(&units) {
            match (s, u) {
                (Ok(s), Ok(u)) => assert_eq!(*s, &u[..], "length-prefixed iterators disagree"),
                (Err(a), Err(b)) => assert_eq!(a, b, "length-prefixed errors disagree"),
                _ => panic!("length-prefixed iterators disagree: {s:?} vs {u:?}"),
            }
        }

        let mut annex_b = Vec::new();
        if let Ok(n) = nal::length_prefixed_to_annex_b(data, size, &mut annex_b) {
            let whole: Vec<&[u8]> = slices
                .iter()
                .filter_map(|s| s.as_ref().ok().copied())
                .collect();
            assert_eq!(n, whole.len(), "units written");
            // A unit survives Annex B when it is not empty, does not end in
            // a zero byte (taken as trailing_zero_8bits) and holds nothing
            // that reads as a start code.
            let separable = whole.iter().all(|u| {
                u.last().is_some_and(|&b| b != 0)
                    && matches!(nal::ebsp_from_rbsp(u), std::borrow::Cow::Borrowed(_))
            });
            if separable {
                let back: Vec<&[u8]> = nal::AnnexBSlices::new(&annex_b).collect();
                assert_eq!(back, whole, "length-prefixed -> Annex B lost units");
                let mut prefixed = Vec::new();
                let again = nal::annex_b_to_length_prefixed(&annex_b, size, &mut prefixed);
                assert_eq!(again, Ok(n), "Annex B -> length-prefixed count");
                assert_eq!(prefixed, data, "length-prefixed round trip");
            }
        }
    }

    let ebsp = nal::ebsp_from_rbsp(data);
    assert_eq!(
        &nal::rbsp_from_ebsp(&ebsp)[..],
        data,
        "emulation prevention round trip"
    );
}

/// MP4 input: parses the file strictly and leniently (a file cut short),
/// reads every track's accessors, iterates every sample (each a slice of
/// the input, as many as the supported tracks declare) and each track's
/// samples on their own; a file the strict parse reads is read alike by
/// the lenient one, with no truncation.
pub fn mp4(data: &[u8]) {
    let shared = Bytes::copy_from_slice(data);
    let strict = Mp4File::parse(shared.clone());
    let lenient = Mp4File::parse_lenient(shared.clone());
    if let (Ok(a), Ok(b)) = (&strict, &lenient) {
        assert!(b.truncation().is_none(), "a whole file reported cut");
        assert_eq!(a.samples().count(), b.samples().count());
    }
    assert!(
        strict.is_err() || lenient.is_ok(),
        "the lenient parse refused a file the strict one reads"
    );
    if let Ok(file) = strict {
        mp4_file(&shared, &file);
    }
    if let Ok(file) = lenient {
        if let Some(t) = file.truncation() {
            let _ = t.to_string();
            for track in &t.tracks {
                assert!(track.present <= track.declared, "present > declared");
            }
        }
        mp4_file(&shared, &file);
    }
}

fn mp4_file(shared: &Bytes, file: &Mp4File) {
    let range = shared.as_ptr_range();
    let _ = (
        file.movie_timescale(),
        file.movie_duration(),
        file.major_brand(),
        file.is_fragmented(),
    );
    assert_eq!(file.data(), shared);
    let mut supported = 0usize;
    for track in file.tracks() {
        let _ = (
            track.handler(),
            track.timescale(),
            track.duration(),
            track.language(),
            track.to_track(),
            track.sample_entry(),
            track.sample_description_count(),
            track.visual_size(),
            track.audio_format(),
            track.sync_sample_count(),
            track.edits().len(),
            track.presentation_shift(),
            track.composition_to_dts_shift(),
            track.unsupported_reason(),
        );
        if let Some(c) = track.codec() {
            let _ = (
                c.codec_string(),
                c.dimensions(),
                c.frame_rate(),
                c.channels(),
            );
        }
        assert!(file.track(track.id()).is_some(), "track id lookup");
        if track.is_supported() {
            supported += track.sample_count() as usize;
        }
        let same_id = file
            .tracks()
            .iter()
            .filter(|t| t.id() == track.id())
            .count();
        if track.is_supported() && same_id == 1 {
            let own = file.track_samples(track.id()).map(Iterator::count);
            assert_eq!(
                own,
                Some(track.sample_count() as usize),
                "track sample count"
            );
        }
    }
    let mut count = 0usize;
    for s in file.samples() {
        let _ = (s.pts(), s.decode_time());
        assert!(
            s.data.is_empty() || range.contains(&s.data.as_ptr()),
            "sample outside the input"
        );
        count += 1;
    }
    assert_eq!(count, supported, "samples of the supported tracks");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edge_inputs_pass_every_target() {
        let inputs: [&[u8]; 6] = [
            &[],
            &[0],
            &[0, 0, 1],
            &[0, 0, 0, 1, 0x67, 0x42, 0, 0x1e, 0, 0, 3, 1],
            &[0xff; 64],
            &[
                1, 0x42, 0, 0x1e, 0xff, 0xe1, 0, 4, 0x67, 0x42, 0, 0x1e, 1, 0, 4, 0x68, 0xce, 0x3c,
                0x80,
            ],
        ];
        for data in inputs {
            codec(data);
            nal(data);
            mp4(data);
        }
    }
}
