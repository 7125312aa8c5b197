//! A whole fragmented MP4 (`fmp4::fragment_file`) judged by GStreamer's
//! qtdemux (playbin3 on the file, to its end): every picture of each
//! fixture, and exactly the audio the source's edit list presents. The
//! init segment's audio edit starts at the priming (`media_time`) and
//! lasts the source's edit, so qtdemux trims both the encoder's priming
//! and its padding at the end: 10 s of 44.1 kHz AAC are 441 000 samples,
//! where the 432 frames hold 442 368.
//!
//! One sample more at 44.1 kHz is GStreamer's rounding, not the file's:
//! qtdemux turns the edit's bounds into whole nanoseconds (the 1 024-tick
//! `media_time` becomes 23 219 954 ns, rounded down), and the decoder's
//! clipping then keeps one sample of the priming frame; at 48 kHz the two
//! ends' roundings cancel and the count is the edit's.
//!
//! Through HLS or DASH GStreamer's demuxers make qtdemux ignore the same
//! edit list (tests/serve_gstreamer.rs says how that was checked).
//!
//! Needs GStreamer (plugins good/bad/libav) and python3-gi; scripts/test
//! installs them.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may fail loudly

#[path = "../../tests/gst/play.rs"]
mod gst;

use bytes::Bytes;
use gst::{number, object, play_to_end};
use streamkit_core::fmp4::fragment_file;
use streamkit_core::mp4::Mp4File;
use streamkit_core::time::{MediaTime, Timescale};

#[test]
fn gstreamer_plays_exactly_the_sources_edit_from_a_whole_fragmented_file() {
    // Fixture, pictures, the audio edit's length in samples (its duration
    // in tests/fixtures/manifest.tsv), and the sample GStreamer's rounding
    // keeps at 44.1 kHz (above).
    let fixtures = [
        ("h264_aac", 300u32, 441_000u32, 1u32),
        ("h265_aac", 180, 264_600, 1),
        ("h264_aac_moov_end", 200, 384_000, 0),
        ("h264_opus", 180, 288_000, 0),
    ];
    let dir = std::env::temp_dir().join(format!("fmp4-gst-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for (name, pictures, samples, rounding) in fixtures {
        let path = format!(
            "{}/../tests/fixtures/{name}.mp4",
            env!("CARGO_MANIFEST_DIR")
        );
        let file = Mp4File::parse(Bytes::from(std::fs::read(path).unwrap())).unwrap();
        let out = fragment_file(&file, MediaTime::new(2, Timescale::SECONDS)).unwrap();
        let written = dir.join(format!("{name}.mp4"));
        std::fs::write(&written, &out.bytes.to_bytes()[..]).unwrap();
        let json = play_to_end(&format!("file://{}", written.display()), "playbin3", 60);
        assert!(json.contains(r#""errors": []"#), "{json}");
        assert!(json.contains(r#""warnings": []"#), "{json}");
        assert!(json.contains(r#""eos": true"#), "{json}");
        assert_eq!(
            number(object(&json, "video"), "buffers"),
            f64::from(pictures),
            "{name}: {json}"
        );
        assert_eq!(
            number(object(&json, "audio"), "samples"),
            f64::from(samples + rounding),
            "{name}: {json}"
        );
    }
    std::fs::remove_dir_all(&dir).unwrap();
}
