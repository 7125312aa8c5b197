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

/// The MPEG-TS demuxer over arbitrary bytes: the first byte picks a chunk
/// size (its low 7 bits) and the output (its top bit: PES packets rather
/// than access units); the events must not depend on how the input is cut
/// (pushed whole and in chunks), every sample's track must be announced
/// first, sample data must not be empty, video samples must be
/// well-formed length-prefixed NAL units, and PES output must have no
/// tracks and no samples. The same input through
/// [`push_with`](crate::ts::TsDemuxer::push_with) (every other chunk, the
/// rest through `push`, so that queued and sunk events mix) must give the
/// same events in the same order, lent PES packets equal to owned ones.
pub fn ts_demux(data: &[u8]) {
    use crate::ts::{TsDemuxConfig, TsDemuxOutput, TsDemuxer, TsEvent, TsEventRef};
    let Some((&first, rest)) = data.split_first() else {
        return;
    };
    let mut config = TsDemuxConfig::default();
    let pes_output = first & 0x80 != 0;
    if pes_output {
        config.output = TsDemuxOutput::PesPackets;
    }
    let run = |chunk: usize| {
        let mut d = TsDemuxer::with_config(config);
        let mut events = Vec::new();
        for c in rest.chunks(chunk.max(1)) {
            assert!(d.push(c).is_ok(), "push before finish");
            while let Some(e) = d.poll_event() {
                events.push(e);
            }
        }
        assert!(d.finish().is_ok());
        assert!(d.finish().is_ok(), "a second finish");
        assert!(d.push(&[0x47]).is_err(), "push after finish");
        while let Some(e) = d.poll_event() {
            events.push(e);
        }
        events
    };
    let whole = run(rest.len());
    let chunk = usize::from(first & 0x7F) + 1;
    let chunked = run(chunk);
    assert_eq!(whole, chunked, "events depend on how the input is cut");
    let mut d = TsDemuxer::with_config(config);
    let mut sunk = Vec::new();
    let mut sink = |e: TsEventRef<'_>| sunk.push(e.into_event());
    for (k, c) in rest.chunks(chunk).enumerate() {
        if k % 2 == 0 {
            assert!(d.push_with(c, &mut sink).is_ok(), "push_with before finish");
        } else {
            assert!(d.push(c).is_ok(), "push before finish");
        }
    }
    assert!(d.finish_with(&mut sink).is_ok());
    assert!(
        d.push_with(&[0x47], &mut sink).is_err(),
        "push_with after finish"
    );
    assert_eq!(whole, sunk, "push_with gives other events than push");
    if pes_output {
        assert!(
            !whole
                .iter()
                .any(|e| matches!(e, TsEvent::Track { .. } | TsEvent::Sample(_))),
            "tracks or samples with PES output"
        );
    }
    let mut announced: Vec<(u16, bool)> = Vec::new();
    for e in &whole {
        match e {
            TsEvent::Track { track, .. } => {
                let video = track.kind() == crate::codec::MediaKind::Video;
                announced.retain(|(p, _)| u32::from(*p) != track.id);
                announced.push((track.id as u16, video));
            }
            TsEvent::Sample(s) => {
                let Some(&(_, video)) = announced.iter().find(|(p, _)| *p == s.pid) else {
                    panic!("sample of PID {:#x} before its track", s.pid);
                };
                assert!(!s.sample.data.is_empty(), "empty sample");
                assert_eq!(s.sample.track_id, u32::from(s.pid));
                if video {
                    let units = nal::LengthPrefixedSlices::new(&s.sample.data, NalLengthSize::Four);
                    assert!(units.clone().all(|u| u.is_ok()), "video sample framing");
                }
            }
            _ => {}
        }
    }
}

/// Fragmented MP4: an init segment (AAC and H.264 tracks, as streamkit
/// writes them) followed by arbitrary bytes reads as [`mp4`] checks; and
/// frames cut from `data`, written as a fragment by
/// [`FragmentWriter`](crate::fmp4::FragmentWriter), read back to the same
/// samples.
pub fn fmp4_input(data: &[u8]) {
    use crate::codec::CodecConfig;
    use crate::fmp4::{FragmentWriter, init_segment};
    use crate::sample::Sample;
    use crate::time::Timescale;
    use crate::track::Track;

    let Ok(aac) = aac::AacConfig::new(2, 48_000, 2) else {
        return;
    };
    let track = Track::new(1, Timescale::AUDIO_48KHZ, CodecConfig::Aac(aac));
    let Ok(init) = init_segment(std::slice::from_ref(&track)) else {
        panic!("init segment of an AAC track");
    };
    let mut file = init.to_vec();
    file.extend_from_slice(data);
    mp4(&file);

    // Frames: each byte below 0x80 ends one (a zero-length frame is none).
    let input = Bytes::copy_from_slice(data);
    let mut samples = Vec::new();
    let mut start = 0;
    for (i, &b) in data.iter().enumerate() {
        if b < 0x80 && i + 1 > start {
            samples.push(Sample {
                track_id: 1,
                dts: samples.len() as i64 * 1024,
                composition_offset: 0,
                duration: 1024,
                timescale: Timescale::AUDIO_48KHZ,
                keyframe: true,
                data: input.slice(start..=i),
            });
            start = i + 1;
        }
        if samples.len() == 64 {
            break;
        }
    }
    if samples.is_empty() {
        return;
    }
    let mut writer = FragmentWriter::new(std::slice::from_ref(&track));
    let Ok(fragment) = writer.write_fragment(&samples) else {
        panic!("fragment of {} frames", samples.len());
    };
    let mut bytes = init.to_vec();
    for b in fragment.bytes.buffers() {
        bytes.extend_from_slice(b);
    }
    let Ok(back) = Mp4File::parse(Bytes::from(bytes)) else {
        panic!("our own fragment does not parse");
    };
    let got: Vec<Sample> = back.samples().collect();
    assert_eq!(got.len(), samples.len(), "fragment sample count");
    for (g, w) in got.iter().zip(&samples) {
        assert_eq!(
            (g.dts, g.duration, g.keyframe, &g.data),
            (w.dts, w.duration, w.keyframe, &w.data),
            "fragment round trip"
        );
    }
}

/// Every FLV parser ([`crate::flv::fuzz_parsers`]: file header, tags, video
/// and audio tag bodies, the demuxer), then round trips: a tag body that
/// parses writes back to a body that parses to the same packets; an FLV
/// file's tags write back to the same bytes.
pub fn flv(data: &[u8]) {
    use crate::flv::audio::AudioTag;
    use crate::flv::video::{FrameType, VideoTag};
    use crate::flv::{FlvHeader, FlvTag, FlvTags};

    crate::flv::fuzz_parsers(data);
    let bytes = Bytes::copy_from_slice(data);
    if let Ok(tag) = VideoTag::parse(&bytes)
        && tag.command.is_none()
        && tag.frame_type != FrameType::Command
        && let Ok(packets) = tag.packets().collect::<Result<Vec<_>, _>>()
        && !packets.is_empty()
    {
        let mut out = bytes::BytesMut::new();
        if VideoTag::write(
            tag.frame_type,
            tag.timestamp_offset_nanos,
            tag.multitrack,
            &packets,
            &mut out,
        )
        .is_ok()
        {
            let again = VideoTag::parse(&out.freeze())
                .unwrap_or_else(|e| panic!("FLV video tag re-parse: {e}"));
            let back: Result<Vec<_>, _> = again.packets().collect();
            assert_eq!(back.as_ref(), Ok(&packets), "FLV video tag round trip");
        }
    }
    if let Ok(tag) = AudioTag::parse(&bytes)
        && let Ok(packets) = tag.packets().collect::<Result<Vec<_>, _>>()
        && !packets.is_empty()
    {
        let mut out = bytes::BytesMut::new();
        if AudioTag::write(
            tag.timestamp_offset_nanos,
            tag.multitrack,
            &packets,
            &mut out,
        )
        .is_ok()
        {
            let again = AudioTag::parse(&out.freeze())
                .unwrap_or_else(|e| panic!("FLV audio tag re-parse: {e}"));
            let back: Result<Vec<_>, _> = again.packets().collect();
            assert_eq!(back.as_ref(), Ok(&packets), "FLV audio tag round trip");
        }
    }
    if let Ok((header, _)) = FlvHeader::parse(data) {
        let tags: Vec<FlvTag> = FlvTags::new(bytes)
            .take(256)
            .map_while(Result::ok)
            .collect();
        let mut out = bytes::BytesMut::new();
        header.write(&mut out);
        for t in &tags {
            t.write(&mut out)
                .unwrap_or_else(|e| panic!("FLV tag rewrite: {e}"));
        }
        let again: Vec<FlvTag> = FlvTags::new(out.freeze())
            .collect::<Result<_, _>>()
            .unwrap_or_else(|e| panic!("FLV file re-parse: {e}"));
        assert_eq!(again, tags, "FLV file round trip");
    }
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
