//! Real tools as judges: ffmpeg makes H.264, H.265, AAC and Opus streams from
//! lavfi test sources; the codec configurations are parsed from the files and
//! compared with what ffprobe reports, the codec strings with what ffmpeg's
//! DASH muxer writes, and the Annex-B NAL unit sequence with what ffmpeg's
//! `trace_headers` bitstream filter sees.
//!
//! ffmpeg and ffprobe must be installed (`scripts/test` installs them); the
//! tests fail, not skip, without them.

// Tests may unwrap and panic: a panic is the failure report.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use bytes::Bytes;
use streamkit_core::codec::aac::{AacConfig, AdtsHeader};
use streamkit_core::codec::h264::AvcConfig;
use streamkit_core::codec::h265::HevcConfig;
use streamkit_core::codec::opus::{OpusConfig, OpusHead};
use streamkit_core::codec::{CodecConfig, FrameRate};
use streamkit_core::nal::{AnnexBSlices, H264NalHeader, H265NalHeader};

fn work_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("streamkit-codec-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn run(tool: &str, args: &[&str]) -> std::process::Output {
    let out = Command::new(tool).args(args).output().unwrap_or_else(|e| {
        panic!("{tool} is needed by this test and could not be run ({e}); scripts/test installs it")
    });
    assert!(
        out.status.success(),
        "{tool} {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// ffmpeg with a lavfi source, writing `out`.
fn ffmpeg(source: &str, args: &[&str], out: &Path) {
    let mut all = vec![
        "-nostdin",
        "-loglevel",
        "error",
        "-y",
        "-f",
        "lavfi",
        "-i",
        source,
    ];
    all.extend_from_slice(args);
    all.push(out.to_str().unwrap());
    run("ffmpeg", &all);
}

/// ffprobe's `key=value` entries for the first stream of `kind` (`v`, `a`).
fn probe(file: &Path, kind: &str, entries: &str) -> HashMap<String, String> {
    let out = run(
        "ffprobe",
        &[
            "-v",
            "error",
            "-select_streams",
            &format!("{kind}:0"),
            "-show_entries",
            &format!("stream={entries}"),
            "-of",
            "default=nw=1",
            file.to_str().unwrap(),
        ],
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// The payload of the first box named `fourcc` (files are written with
/// `+faststart`, so the moov, and its sample entry, come before the media).
fn box_payload(file: &[u8], fourcc: &[u8; 4]) -> Bytes {
    let at = file
        .windows(4)
        .position(|w| w == fourcc)
        .unwrap_or_else(|| panic!("no {} box", String::from_utf8_lossy(fourcc)));
    let size = u32::from_be_bytes(file[at - 4..at].try_into().unwrap()) as usize;
    Bytes::copy_from_slice(&file[at + 4..at - 4 + size])
}

/// The codec strings ffmpeg's DASH muxer writes for `file` (stream copy).
fn dash_codecs(file: &Path, dir: &Path) -> Vec<String> {
    let mpd = dir.join("out.mpd");
    run(
        "ffmpeg",
        &[
            "-nostdin",
            "-loglevel",
            "error",
            "-y",
            "-i",
            file.to_str().unwrap(),
            "-c",
            "copy",
            "-f",
            "dash",
            mpd.to_str().unwrap(),
        ],
    );
    let text = std::fs::read_to_string(&mpd).unwrap();
    text.split("codecs=\"")
        .skip(1)
        .map(|s| s.split('"').next().unwrap().to_string())
        .collect()
}

fn h264_profile_name(profile_idc: u8, constraint_flags: u8) -> &'static str {
    match (profile_idc, constraint_flags & 0x40 != 0) {
        (66, true) => "Constrained Baseline",
        (66, false) => "Baseline",
        (77, _) => "Main",
        (100, _) => "High",
        (110, _) => "High 10",
        (122, _) => "High 4:2:2",
        (244, _) => "High 4:4:4 Predictive",
        _ => "other",
    }
}

fn pix_fmt(chroma_format_idc: u8, bit_depth: u8) -> String {
    let chroma = match chroma_format_idc {
        0 => "gray",
        1 => "yuv420p",
        2 => "yuv422p",
        _ => "yuv444p",
    };
    if bit_depth == 8 {
        chroma.to_string()
    } else {
        format!("{chroma}{bit_depth}le")
    }
}

#[test]
fn h264_avcc_and_sps_agree_with_ffprobe_and_dash_codecs() {
    let cases: &[(&str, &[&str])] = &[
        (
            "testsrc=size=426x240:rate=30",
            &["-pix_fmt", "yuv420p", "-profile:v", "high"],
        ),
        (
            "testsrc=size=318x238:rate=24000/1001",
            &["-pix_fmt", "yuv422p", "-profile:v", "high422"],
        ),
        (
            "testsrc=size=320x240:rate=25",
            &["-pix_fmt", "yuv420p10le", "-profile:v", "high10"],
        ),
        (
            "testsrc=size=176x144:rate=15,setsar=12/11",
            &["-pix_fmt", "yuv420p", "-profile:v", "baseline"],
        ),
        // Full range, an explicit SAR, custom quantisation matrices (the
        // SPS carries scaling lists).
        (
            "testsrc=size=200x100:rate=10,setsar=7/5",
            &["-pix_fmt", "yuvj420p", "-x264-params", "cqm=jvt"],
        ),
        (
            "testsrc=size=642x362:rate=50",
            &["-pix_fmt", "yuv420p", "-profile:v", "main"],
        ),
        (
            "testsrc=size=320x240:rate=25",
            &[
                "-pix_fmt",
                "yuv420p",
                "-flags",
                "+ilme+ildct",
                "-x264-params",
                "tff=1",
            ],
        ),
    ];
    for (i, (source, extra)) in cases.iter().enumerate() {
        let dir = work_dir(&format!("h264-{i}"));
        let file = dir.join("v.mp4");
        let mut args = vec!["-t", "0.2", "-c:v", "libx264", "-movflags", "+faststart"];
        args.extend_from_slice(extra);
        ffmpeg(source, &args, &file);
        let bytes = std::fs::read(&file).unwrap();
        let avcc = box_payload(&bytes, b"avcC");
        let config = AvcConfig::parse_bytes(&avcc).unwrap();
        assert_eq!(
            config.to_bytes().unwrap(),
            avcc,
            "{source}: avcC round trip"
        );
        let sps = config.sps_info().unwrap();
        let p = probe(
            &file,
            "v",
            "profile,level,width,height,pix_fmt,r_frame_rate,sample_aspect_ratio,color_range",
        );
        let what = format!("{source} {extra:?}");
        assert_eq!(
            h264_profile_name(sps.profile_idc, sps.constraint_flags),
            p["profile"],
            "{what}"
        );
        assert_eq!(sps.level_idc.to_string(), p["level"], "{what}");
        assert_eq!(sps.width.to_string(), p["width"], "{what}");
        assert_eq!(sps.height.to_string(), p["height"], "{what}");
        let pix = pix_fmt(sps.chroma_format_idc, sps.bit_depth_luma);
        // ffmpeg's H.264 decoder names 8-bit full-range 4:2:0 `yuvj420p`.
        let pix = if sps.full_range == Some(true) && pix == "yuv420p" {
            "yuvj420p".to_string()
        } else {
            pix
        };
        assert_eq!(pix, p["pix_fmt"], "{what}");
        let rate = sps.frame_rate.map(|r: FrameRate| r.to_string());
        assert_eq!(rate.as_deref(), Some(p["r_frame_rate"].as_str()), "{what}");
        let sar = sps.sample_aspect_ratio.map(|(w, h)| format!("{w}:{h}"));
        assert_eq!(
            sar.as_deref(),
            Some(p["sample_aspect_ratio"].as_str()),
            "{what}"
        );
        let range = match sps.full_range {
            Some(true) => "pc",
            Some(false) => "tv",
            None => "unknown",
        };
        assert_eq!(range, p["color_range"], "{what}");
        let codec = CodecConfig::H264(config);
        assert_eq!(dash_codecs(&file, &dir), [codec.codec_string()], "{what}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

#[test]
fn h265_hvcc_and_sps_agree_with_ffprobe() {
    // (source, pix_fmt, extra x265 parameters, ffprobe profile)
    let cases: &[(&str, &str, &str, &str)] = &[
        ("testsrc=size=320x240:rate=30", "yuv420p", "", "Main"),
        ("testsrc=size=426x240:rate=30", "yuv420p10le", "", "Main 10"),
        // More reference pictures and B-frames: more short-term RPS in the SPS.
        (
            "testsrc=size=318x180:rate=24000/1001",
            "yuv420p",
            ":ref=5:bframes=8:b-pyramid=1",
            "Main",
        ),
        // Scaling lists, HRD parameters, full range, a SAR, 4:4:4.
        (
            "testsrc=size=256x144:rate=60,setsar=4/3",
            "yuv444p",
            ":scaling-list=default:hrd=1:vbv-bufsize=1000:vbv-maxrate=1000:range=full",
            "Rext",
        ),
        (
            "testsrc=size=200x120:rate=50",
            "yuv422p10le",
            ":amp=1:rect=1",
            "Rext",
        ),
    ];
    for (i, (source, pix, extra, profile)) in cases.iter().enumerate() {
        let dir = work_dir(&format!("h265-{i}"));
        let file = dir.join("v.mp4");
        let params = format!("log-level=error{extra}");
        ffmpeg(
            source,
            &[
                "-t",
                "0.2",
                "-pix_fmt",
                pix,
                "-c:v",
                "libx265",
                "-tag:v",
                "hvc1",
                "-x265-params",
                &params,
                "-movflags",
                "+faststart",
            ],
            &file,
        );
        let bytes = std::fs::read(&file).unwrap();
        let hvcc = box_payload(&bytes, b"hvcC");
        let config = HevcConfig::parse_bytes(&hvcc).unwrap();
        assert_eq!(
            config.to_bytes().unwrap(),
            hvcc,
            "{source}: hvcC round trip"
        );
        let sps = config.sps_info().unwrap();
        let p = probe(
            &file,
            "v",
            "profile,level,width,height,pix_fmt,r_frame_rate,sample_aspect_ratio,color_range",
        );
        let what = format!("{source} {extra}");
        assert_eq!(p["profile"], *profile, "{what}");
        assert_eq!(sps.general.level_idc.to_string(), p["level"], "{what}");
        assert_eq!(sps.width.to_string(), p["width"], "{what}");
        assert_eq!(sps.height.to_string(), p["height"], "{what}");
        assert_eq!(
            pix_fmt(sps.chroma_format_idc, sps.bit_depth_luma),
            p["pix_fmt"],
            "{what}"
        );
        let rate = sps.frame_rate.map(|r| r.to_string());
        assert_eq!(rate.as_deref(), Some(p["r_frame_rate"].as_str()), "{what}");
        let sar = sps.sample_aspect_ratio.map(|(w, h)| format!("{w}:{h}"));
        assert_eq!(
            sar.as_deref(),
            Some(p["sample_aspect_ratio"].as_str()),
            "{what}"
        );
        let range = match sps.full_range {
            Some(true) => "pc",
            Some(false) => "tv",
            None => "unknown",
        };
        assert_eq!(range, p["color_range"], "{what}");
        assert_eq!(config.general, sps.general);
        assert_eq!(CodecConfig::H265(config).frame_rate(), sps.frame_rate);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

#[test]
fn aac_asc_and_adts_agree_with_ffprobe() {
    for (rate, channels) in [(44_100u32, 2u16), (48_000, 1), (22_050, 6), (8_000, 2)] {
        let dir = work_dir(&format!("aac-{rate}-{channels}"));
        let source = format!("sine=frequency=440:sample_rate={rate}");
        let ch = channels.to_string();
        let mp4 = dir.join("a.mp4");
        ffmpeg(
            &source,
            &[
                "-t",
                "0.5",
                "-ac",
                &ch,
                "-c:a",
                "aac",
                "-movflags",
                "+faststart",
            ],
            &mp4,
        );
        let adts = dir.join("a.aac");
        ffmpeg(
            &source,
            &["-t", "0.5", "-ac", &ch, "-c:a", "aac", "-f", "adts"],
            &adts,
        );

        // The ASC is the DecoderSpecificInfo in the esds: tag 5 and, as
        // ffmpeg writes every descriptor length, four length bytes.
        let esds = box_payload(&std::fs::read(&mp4).unwrap(), b"esds");
        let tag = esds
            .windows(4)
            .position(|w| w == [5, 0x80, 0x80, 0x80])
            .unwrap();
        let dsi = &esds[tag..];
        let (i, len) = (5, usize::from(dsi[4]));
        let asc = AacConfig::parse(&dsi[i..i + len]).unwrap();
        assert_eq!(asc.to_bytes().unwrap().as_ref(), &dsi[i..i + len]);
        let p = probe(&mp4, "a", "profile,sample_rate,channels");
        assert_eq!(p["profile"], "LC");
        assert_eq!(asc.audio_object_type, 2);
        assert_eq!(asc.sampling_frequency.to_string(), p["sample_rate"]);
        assert_eq!(
            asc.channels().map(|c| c.to_string()).as_deref(),
            Some(p["channels"].as_str())
        );
        let codec = CodecConfig::Aac(asc.clone());
        assert_eq!(dash_codecs(&mp4, &dir), [codec.codec_string()]);

        // Walk every ADTS frame; count them against ffprobe's packet count.
        let data = std::fs::read(&adts).unwrap();
        let mut pos = 0;
        let mut frames = 0;
        while pos < data.len() {
            let h = AdtsHeader::parse(&data[pos..]).unwrap();
            let implied = h.to_config().unwrap();
            assert_eq!(
                (
                    implied.audio_object_type,
                    implied.sampling_frequency,
                    implied.channel_configuration
                ),
                (
                    asc.audio_object_type,
                    asc.sampling_frequency,
                    asc.channel_configuration
                )
            );
            let mut written = Vec::new();
            h.write(&mut written);
            assert_eq!(written, &data[pos..pos + h.header_len()]);
            pos += usize::from(h.frame_length);
            frames += 1;
        }
        assert_eq!(pos, data.len(), "frames tile the file exactly");
        let p = run(
            "ffprobe",
            &[
                "-v",
                "error",
                "-count_packets",
                "-show_entries",
                "stream=nb_read_packets",
                "-of",
                "default=nw=1:nk=1",
                adts.to_str().unwrap(),
            ],
        );
        let packets: usize = String::from_utf8(p.stdout).unwrap().trim().parse().unwrap();
        assert_eq!(frames, packets, "{rate} Hz, {channels} channels");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

#[test]
fn opus_dops_and_opus_head_agree_with_ffprobe() {
    for channels in [1u8, 2, 6] {
        let dir = work_dir(&format!("opus-{channels}"));
        let source = "sine=frequency=440:sample_rate=48000";
        let ch = channels.to_string();
        let mp4 = dir.join("o.mp4");
        ffmpeg(
            source,
            &[
                "-t",
                "0.2",
                "-ac",
                &ch,
                "-c:a",
                "libopus",
                "-movflags",
                "+faststart",
            ],
            &mp4,
        );
        let ogg = dir.join("o.ogg");
        ffmpeg(source, &["-t", "0.2", "-ac", &ch, "-c:a", "libopus"], &ogg);

        let dops =
            OpusConfig::parse_dops(&box_payload(&std::fs::read(&mp4).unwrap(), b"dOps")).unwrap();
        let p = probe(&mp4, "a", "sample_rate,channels");
        assert_eq!(dops.output_channel_count.to_string(), p["channels"]);
        assert_eq!(p["sample_rate"], "48000");
        // ffmpeg turns the dOps into an OpusHead as the stream's extradata:
        // our reading of the dOps must equal our reading of ffmpeg's.
        let ffmpeg_head = OpusHead::parse(&extradata(&mp4)).unwrap();
        assert_eq!(ffmpeg_head.config, dops);
        assert_eq!(
            dops.channel_mapping_family,
            if channels <= 2 { 0 } else { 1 }
        );
        assert_eq!(
            dash_codecs(&mp4, &dir),
            [CodecConfig::Opus(dops.clone()).codec_string()]
        );

        let ogg_bytes = std::fs::read(&ogg).unwrap();
        let at = ogg_bytes.windows(8).position(|w| w == b"OpusHead").unwrap();
        let head = OpusHead::parse(&ogg_bytes[at..]).unwrap();
        assert_eq!(head.version, 1);
        assert_eq!(
            head.config, dops,
            "the Ogg and MP4 headers carry the same fields"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

/// The first audio stream's extradata, from ffprobe's hex dump.
fn extradata(file: &Path) -> Vec<u8> {
    let out = run(
        "ffprobe",
        &[
            "-v",
            "error",
            "-select_streams",
            "a:0",
            "-show_entries",
            "stream=extradata",
            "-show_data",
            "-of",
            "default=nw=1",
            file.to_str().unwrap(),
        ],
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let mut bytes = Vec::new();
    // Lines like `00000000: 4f70 7573 4865 6164 0102 3801 80bb 0000  OpusHead..8.....`
    for line in text
        .lines()
        .filter(|l| l.len() > 10 && l.as_bytes()[8] == b':')
    {
        let hex: String = line[10..]
            .split("  ")
            .next()
            .unwrap()
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect();
        for k in (0..hex.len()).step_by(2) {
            bytes.push(u8::from_str_radix(&hex[k..k + 2], 16).unwrap());
        }
    }
    assert!(!bytes.is_empty(), "ffprobe printed no extradata");
    bytes
}

/// The NAL unit types ffmpeg's trace_headers filter reports for the packets
/// of a raw stream (the extradata it prints first is skipped).
fn traced_nal_types(file: &Path) -> Vec<u8> {
    let out = run(
        "ffmpeg",
        &[
            "-nostdin",
            "-i",
            file.to_str().unwrap(),
            "-c",
            "copy",
            "-bsf:v",
            "trace_headers",
            "-f",
            "null",
            "-",
        ],
    );
    let log = String::from_utf8_lossy(&out.stderr);
    let mut in_packets = false;
    let mut types = Vec::new();
    for line in log.lines().flat_map(|l| l.split("[trace_headers")) {
        if line.contains("] Packet:") {
            in_packets = true;
        }
        if in_packets && line.contains(" nal_unit_type ") {
            types.push(line.rsplit('=').next().unwrap().trim().parse().unwrap());
        }
    }
    types
}

#[test]
fn annex_b_units_match_trace_headers() {
    for (codec, ext) in [("libx264", "h264"), ("libx265", "hevc")] {
        let dir = work_dir(&format!("annexb-{ext}"));
        let file = dir.join(format!("v.{ext}"));
        ffmpeg(
            "testsrc=size=320x240:rate=25",
            &[
                "-t",
                "0.5",
                "-pix_fmt",
                "yuv420p",
                "-c:v",
                codec,
                "-x265-params",
                "log-level=error",
                "-f",
                ext,
            ],
            &file,
        );
        let data = std::fs::read(&file).unwrap();
        let ours: Vec<u8> = AnnexBSlices::new(&data)
            .map(|u| {
                if ext == "h264" {
                    H264NalHeader::of_unit(u).unwrap().nal_unit_type
                } else {
                    H265NalHeader::of_unit(u).unwrap().nal_unit_type
                }
            })
            .collect();
        let traced = traced_nal_types(&file);
        assert!(
            traced.len() > 10,
            "{ext}: trace_headers saw {} units",
            traced.len()
        );
        assert_eq!(ours, traced, "{ext}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
