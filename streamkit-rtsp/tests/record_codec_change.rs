//! A RECORD whose publisher changes resolution mid-stream: the SDP's
//! sprop-parameter-sets carry the first SPS and PPS, the new SPS comes in
//! band only, before the keyframe it starts (as ffmpeg's RTSP muxer sends
//! an encoder's output). The connection reports the change as
//! `ServerEvent::TrackChanged` with the configuration the new sets make,
//! exactly between the samples before it and the keyframe that carries
//! it; the same sets again in band are no change.
//! And the session's end comes after the last sample its tracks held.
//! An MP4A-LATM audio section is recorded as an AAC track (GStreamer's
//! config, frames whole and fragmented); with `cpresent=1` an in-band
//! AudioSpecificConfig of the same rate changes the track at its frame,
//! one of another rate is refused and reported.
//!
//! The parameter sets and slice headers are x264's, from
//! scripts/make-resolution-change.sh (320x240, then 480x270, High
//! profile); slices are cut after their headers, which is all the
//! decode-time derivation reads.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may fail loudly

mod support;

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use bytes::Bytes;
use streamkit_core::clock::{UnixTime, WallClock};
use streamkit_core::codec::CodecConfig;
use streamkit_core::codec::aac::AacConfig;
use streamkit_core::codec::bits::BitWriter;
use streamkit_core::sample::Sample;
use streamkit_rtp::payload::latm::StreamMuxConfig;
use streamkit_rtsp::auth::OpenPolicy;
use streamkit_rtsp::server::{ServerConfig, ServerConnection, ServerEvent, ServerTransmit};
use support::{base64, hex, request};

/// 320x240.
const SPS_A: &str = "6764000dacd94141fb0110000003001000000303c0f14299";
/// 480x270.
const SPS_B: &str = "67640015acd941e08feb0110000003001000000303c0f162";
const PPS: &str = "68efbcb0";
const IDR_A: &str = "6588840039ffd334d575d5c54b47b7d5da362a2d09bb9946";
const P_A: &str = "419a231882afefcd0444637c03771a3bff3726bfe2679d20";
const IDR_B: &str = "65888400107f651fca30c7e65b05efed6e07d7d3fef9f046";
const P_B: &str = "419a2318830ff2c5445184a08b2a8c7aaaf44cc7ad1a99c0";

/// Single NAL unit packets (mode 1) of one access unit on channel 0, the
/// last with the marker bit.
fn interleaved(nals: &[&str], seq: &mut u16, ts: u32) -> Vec<u8> {
    let mut out = Vec::new();
    for (i, nal) in nals.iter().enumerate() {
        let marker = if i + 1 == nals.len() { 0x80 } else { 0 };
        let mut packet = vec![0x80, 96 | marker];
        packet.extend_from_slice(&seq.to_be_bytes());
        packet.extend_from_slice(&ts.to_be_bytes());
        packet.extend_from_slice(&0x1234_5678u32.to_be_bytes());
        packet.extend_from_slice(&hex(nal));
        *seq = seq.wrapping_add(1);
        out.push(b'$');
        out.push(0);
        out.extend_from_slice(&u16::try_from(packet.len()).unwrap().to_be_bytes());
        out.extend_from_slice(&packet);
    }
    out
}

/// The responses sent so far, as text.
fn responses(conn: &mut ServerConnection, now: Instant) -> String {
    let mut text = String::new();
    while let Some(t) = conn.poll_transmit(now) {
        if let ServerTransmit::Stream(b) = t {
            text.push_str(&String::from_utf8_lossy(&b));
        }
    }
    text
}

/// Accepts what asks for an answer; the other events, in order.
fn answer(conn: &mut ServerConnection, now: Instant) -> Vec<ServerEvent> {
    let mut others = Vec::new();
    while let Some(e) = conn.poll_event() {
        match e {
            ServerEvent::Announce { request, .. } | ServerEvent::Record { request, .. } => {
                conn.accept(now, request).unwrap();
            }
            e => others.push(e),
        }
    }
    others
}

/// What a caller that moves events and samples in turn sees.
#[derive(Debug, PartialEq)]
enum Seen {
    Sample { keyframe: bool, data: Vec<u8> },
    Changed { sps: Vec<Bytes>, width: u32 },
}

fn drain(
    conn: &mut ServerConnection,
    now: Instant,
    seen: &mut Vec<Seen>,
    samples: &mut Vec<Sample>,
    others: &mut Vec<ServerEvent>,
) {
    loop {
        let mut moved = false;
        for e in answer(conn, now) {
            if let ServerEvent::TrackChanged { track } = e {
                let CodecConfig::H264(c) = &track.codec else {
                    panic!("{track:?}")
                };
                assert_eq!(track.id, 1);
                seen.push(Seen::Changed {
                    sps: c.sps.clone(),
                    width: c.sps_info().unwrap().width,
                });
                moved = true;
            } else if !matches!(
                e,
                ServerEvent::SetUp { .. } | ServerEvent::SessionEnded { .. }
            ) {
                others.push(e);
            }
        }
        while let Some(s) = conn.poll_sample() {
            seen.push(Seen::Sample {
                keyframe: s.keyframe,
                data: s.data.to_vec(),
            });
            samples.push(s);
            moved = true;
        }
        if !moved {
            return;
        }
    }
}

/// An access unit as the recorder gives it: 4-byte lengths.
fn prefixed(nals: &[&str]) -> Vec<u8> {
    let mut out = Vec::new();
    for n in nals {
        let n = hex(n);
        out.extend_from_slice(&u32::try_from(n.len()).unwrap().to_be_bytes());
        out.extend_from_slice(&n);
    }
    out
}

/// A connection recording one H.264 track announced with SPS_A and PPS,
/// over interleaved TCP; its clock origin.
fn recording() -> (ServerConnection, Instant) {
    #[allow(clippy::disallowed_methods)] // a virtual clock's origin
    let t0 = Instant::now();
    let config = ServerConfig::new(WallClock::new(
        t0,
        UnixTime::from_unix_millis(1_700_000_000_000),
    ));
    let peer: SocketAddr = "127.0.0.1:50000".parse().unwrap();
    let mut conn = ServerConnection::new(
        t0,
        config,
        peer,
        Box::new(|b: &mut [u8]| b.fill(7)),
        Box::new(OpenPolicy),
    );
    let sdp = format!(
        "v=0\r\no=- 0 0 IN IP4 127.0.0.1\r\ns=cam\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n\
         a=control:*\r\nm=video 0 RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\n\
         a=fmtp:96 packetization-mode=1;sprop-parameter-sets={},{}\r\n\
         a=control:streamid=0\r\n",
        base64(&hex(SPS_A)),
        base64(&hex(PPS))
    );
    let base = "rtsp://127.0.0.1/live/cam";
    conn.handle_bytes(t0, &request("ANNOUNCE", base, 1, "", &sdp));
    answer(&mut conn, t0);
    assert!(responses(&mut conn, t0).starts_with("RTSP/1.0 200 OK"));
    conn.handle_bytes(
        t0,
        &request(
            "SETUP",
            &format!("{base}/streamid=0"),
            2,
            "Transport: RTP/AVP/TCP;unicast;interleaved=0-1;mode=record\r\n",
            "",
        ),
    );
    answer(&mut conn, t0);
    let setup = responses(&mut conn, t0);
    assert!(setup.starts_with("RTSP/1.0 200 OK"), "{setup}");
    let session = setup
        .lines()
        .find_map(|l| l.strip_prefix("Session: "))
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    conn.handle_bytes(
        t0,
        &request("RECORD", base, 3, &format!("Session: {session}\r\n"), ""),
    );
    answer(&mut conn, t0);
    assert!(responses(&mut conn, t0).starts_with("RTSP/1.0 200 OK"));
    (conn, t0)
}

/// Sends `units` (one every 100 ms, 9000 ticks apart), then the client
/// leaves; what a caller saw, and the samples.
fn record(units: &[&[&str]]) -> (Vec<Seen>, Vec<Sample>, Vec<ServerEvent>) {
    let (mut conn, t0) = recording();
    let mut seq = 1000u16;
    let mut seen = Vec::new();
    let mut samples = Vec::new();
    let mut now = t0;
    let mut bad = Vec::new();
    for (i, nals) in units.iter().enumerate() {
        now += Duration::from_millis(100);
        let ts = 90_000 + 9_000 * u32::try_from(i).unwrap();
        conn.handle_bytes(now, &interleaved(nals, &mut seq, ts));
        conn.handle_timeout(now);
        drain(&mut conn, now, &mut seen, &mut samples, &mut bad);
    }
    conn.finish(now + Duration::from_secs(1));
    drain(&mut conn, now, &mut seen, &mut samples, &mut bad);
    (seen, samples, bad)
}

fn sample(nals: &[&str]) -> Seen {
    Seen::Sample {
        keyframe: nals.iter().any(|n| n.starts_with("65")),
        data: prefixed(nals),
    }
}

#[test]
fn an_in_band_sps_change_is_reported_between_the_samples_it_divides() {
    // Two GOPs at 320x240 (the first repeats the SDP's sets: no change),
    // then two at 480x270 (the second repeats the new sets: no change).
    let units: [&[&str]; 8] = [
        &[SPS_A, PPS, IDR_A],
        &[P_A],
        &[SPS_A, PPS, IDR_A],
        &[P_A],
        &[SPS_B, PPS, IDR_B],
        &[P_B],
        &[SPS_B, PPS, IDR_B],
        &[P_B],
    ];
    let (seen, samples, others) = record(&units);
    let mut expected: Vec<Seen> = units[..4].iter().map(|u| sample(u)).collect();
    expected.push(Seen::Changed {
        sps: vec![Bytes::from(hex(SPS_B))],
        width: 480,
    });
    expected.extend(units[4..].iter().map(|u| sample(u)));
    assert_eq!(seen, expected);
    // Decode order and time run on across the change.
    assert!(
        samples.windows(2).all(|w| w[0].dts < w[1].dts),
        "{samples:?}"
    );
    assert_eq!(others, []);
}

#[test]
fn in_band_sets_that_do_not_parse_are_reported_and_the_track_goes_on() {
    // An SPS cut after its level byte: no seq_parameter_set_id.
    let broken = "6764000d";
    let units: [&[&str]; 4] = [&[SPS_A, PPS, IDR_A], &[P_A], &[broken, PPS, IDR_A], &[P_A]];
    let (seen, _, others) = record(&units);
    let expected: Vec<Seen> = units.iter().map(|u| sample(u)).collect();
    assert_eq!(seen, expected);
    assert!(
        matches!(
            others.as_slice(),
            [ServerEvent::BadParameterSets { track_id: 1, .. }]
        ),
        "{others:?}"
    );
}

#[test]
fn the_session_ends_after_its_last_sample() {
    // A caller that ends its publish at `SessionEnded` and polls events
    // before samples (as a select loop does) still gets every sample the
    // tracks held when the client left.
    let units: [&[&str]; 4] = [&[SPS_A, PPS, IDR_A], &[P_A], &[P_A], &[P_A]];
    let (mut conn, t0) = recording();
    let mut seq = 1u16;
    for (i, nals) in units.iter().enumerate() {
        let ts = 9_000 * u32::try_from(i).unwrap();
        conn.handle_bytes(t0, &interleaved(nals, &mut seq, ts));
    }
    conn.finish(t0 + Duration::from_secs(1));
    let mut order = Vec::new();
    loop {
        match conn.poll_event() {
            Some(ServerEvent::SessionEnded { .. }) => {
                order.push("end");
                break;
            }
            Some(e) => panic!("{e:?}"),
            None => {}
        }
        match conn.poll_sample() {
            Some(_) => order.push("sample"),
            None => panic!("neither a sample nor the end: {order:?}"),
        }
    }
    assert_eq!(order, ["sample", "sample", "sample", "sample", "end"]);
    assert_eq!(conn.poll_event(), None);
    assert!(conn.poll_sample().is_none());
}

/// One RTP packet on interleaved channel `channel`.
fn interleaved_packet(
    channel: u8,
    pt: u8,
    marker: bool,
    seq: u16,
    ts: u32,
    payload: &[u8],
) -> Vec<u8> {
    let mut packet = vec![0x80, pt | if marker { 0x80 } else { 0 }];
    packet.extend_from_slice(&seq.to_be_bytes());
    packet.extend_from_slice(&ts.to_be_bytes());
    packet.extend_from_slice(&0x0bad_cafeu32.to_be_bytes());
    packet.extend_from_slice(payload);
    let mut out = vec![b'$', channel];
    out.extend_from_slice(&u16::try_from(packet.len()).unwrap().to_be_bytes());
    out.extend_from_slice(&packet);
    out
}

#[test]
fn mp4a_latm_audio_is_a_track_and_a_track_the_server_cannot_read_is_named_with_why() {
    #[allow(clippy::disallowed_methods)] // a virtual clock's origin
    let t0 = Instant::now();
    let config = ServerConfig::new(WallClock::new(
        t0,
        UnixTime::from_unix_millis(1_700_000_000_000),
    ));
    let mut conn = ServerConnection::new(
        t0,
        config,
        "127.0.0.1:50000".parse().unwrap(),
        Box::new(|b: &mut [u8]| b.fill(7)),
        Box::new(OpenPolicy),
    );
    // GStreamer's rtspclientsink announces AAC as MP4A-LATM by default,
    // with rtpmp4apay's config: the StreamMuxConfig header and the whole
    // codec_data (AAC-LC 44.1 kHz mono, a sync extension saying no SBR).
    let sdp = format!(
        "v=0\r\no=- 0 0 IN IP4 127.0.0.1\r\ns=cam\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n\
         m=video 0 RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\n\
         a=fmtp:96 packetization-mode=1;sprop-parameter-sets={},{}\r\n\
         a=control:stream=0\r\n\
         m=audio 0 RTP/AVP 97\r\na=rtpmap:97 MP4A-LATM/44100\r\n\
         a=fmtp:97 cpresent=0;config=40002410adca00\r\n\
         a=control:stream=1\r\n\
         m=video 0 RTP/AVP 98\r\na=rtpmap:98 VP8/90000\r\na=control:stream=2\r\n",
        base64(&hex(SPS_A)),
        base64(&hex(PPS))
    );
    let base = "rtsp://127.0.0.1/live/cam";
    conn.handle_bytes(t0, &request("ANNOUNCE", base, 1, "", &sdp));
    let Some(ServerEvent::Announce {
        request: id,
        tracks,
        skipped,
        ..
    }) = conn.poll_event()
    else {
        panic!("an announce")
    };
    assert_eq!(tracks.len(), 2);
    assert!(matches!(tracks[0].codec, CodecConfig::H264(_)));
    let aac = AacConfig::parse(&[0x12, 0x08, 0x56, 0xe5, 0x00]).unwrap();
    assert_eq!(tracks[1].codec, CodecConfig::Aac(aac));
    assert_eq!(tracks[1].timescale.hz(), 44_100);
    assert_eq!(skipped.len(), 1, "{skipped:?}");
    assert_eq!(skipped[0].0, "video");
    assert!(skipped[0].1.contains("VP8"), "{skipped:?}");
    conn.accept(t0, id).unwrap();
    assert!(responses(&mut conn, t0).starts_with("RTSP/1.0 200 OK"));

    // Record the audio track alone, then send it as rtpmp4apay does: a
    // frame whole in one packet, a frame of 300 bytes over two packets.
    conn.handle_bytes(
        t0,
        &request(
            "SETUP",
            &format!("{base}/stream=1"),
            2,
            "Transport: RTP/AVP/TCP;unicast;interleaved=2-3;mode=record\r\n",
            "",
        ),
    );
    answer(&mut conn, t0);
    let setup = responses(&mut conn, t0);
    assert!(setup.starts_with("RTSP/1.0 200 OK"), "{setup}");
    let session = setup
        .lines()
        .find_map(|l| l.strip_prefix("Session: "))
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    conn.handle_bytes(
        t0,
        &request("RECORD", base, 3, &format!("Session: {session}\r\n"), ""),
    );
    answer(&mut conn, t0);
    assert!(responses(&mut conn, t0).starts_with("RTSP/1.0 200 OK"));
    let big: Vec<u8> = (0..300u32).map(|i| i as u8).collect();
    let mut first = vec![255, 45];
    first.extend_from_slice(&big[..100]);
    let mut wire = interleaved_packet(2, 97, true, 7, 5000, &[3, 0x21, 0x10, 0x04]);
    wire.extend(interleaved_packet(2, 97, false, 8, 6024, &first));
    wire.extend(interleaved_packet(2, 97, true, 9, 6024, &big[100..]));
    wire.extend(interleaved_packet(2, 97, true, 10, 7048, &[2, 0x21, 0x11]));
    conn.handle_bytes(t0, &wire);
    conn.finish(t0 + Duration::from_secs(1));
    let (mut seen, mut samples, mut others) = (Vec::new(), Vec::new(), Vec::new());
    drain(&mut conn, t0, &mut seen, &mut samples, &mut others);
    let got: Vec<(u32, i64, u32, Vec<u8>)> = samples
        .iter()
        .map(|s| (s.track_id, s.dts, s.duration, s.data.to_vec()))
        .collect();
    assert_eq!(
        got,
        [
            (2, 0, 1024, vec![0x21, 0x10, 0x04]),
            (2, 1024, 1024, big),
            (2, 2048, 1024, vec![0x21, 0x11]),
        ]
    );
}

/// One MP4A-LATM AudioMuxElement of `cpresent=1`: useSameStreamMux, the
/// configuration when it is sent, the frame's PayloadLengthInfo and bytes.
fn latm_element(config: Option<&StreamMuxConfig>, frame: &[u8]) -> Vec<u8> {
    let mut w = BitWriter::new();
    w.write_flag(config.is_none());
    if let Some(c) = config {
        c.write(&mut w).unwrap();
    }
    w.write_bits(u64::try_from(frame.len()).unwrap(), 8);
    for b in frame {
        w.write_bits(u64::from(*b), 8);
    }
    w.finish()
}

#[test]
fn an_in_band_latm_config_changes_the_track_at_its_frame() {
    #[allow(clippy::disallowed_methods)] // a virtual clock's origin
    let t0 = Instant::now();
    let config = ServerConfig::new(WallClock::new(
        t0,
        UnixTime::from_unix_millis(1_700_000_000_000),
    ));
    let mut conn = ServerConnection::new(
        t0,
        config,
        "127.0.0.1:50000".parse().unwrap(),
        Box::new(|b: &mut [u8]| b.fill(7)),
        Box::new(OpenPolicy),
    );
    let sdp = "v=0\r\no=- 0 0 IN IP4 127.0.0.1\r\ns=mic\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n\
               m=audio 0 RTP/AVP 96\r\na=rtpmap:96 MP4A-LATM/44100/1\r\n\
               a=fmtp:96 cpresent=1;config=400024103fc0\r\na=control:stream=0\r\n";
    let base = "rtsp://127.0.0.1/live/mic";
    conn.handle_bytes(t0, &request("ANNOUNCE", base, 1, "", sdp));
    answer(&mut conn, t0);
    assert!(responses(&mut conn, t0).starts_with("RTSP/1.0 200 OK"));
    conn.handle_bytes(
        t0,
        &request(
            "SETUP",
            &format!("{base}/stream=0"),
            2,
            "Transport: RTP/AVP/TCP;unicast;interleaved=0-1;mode=record\r\n",
            "",
        ),
    );
    answer(&mut conn, t0);
    let setup = responses(&mut conn, t0);
    let session = setup
        .lines()
        .find_map(|l| l.strip_prefix("Session: "))
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    conn.handle_bytes(
        t0,
        &request("RECORD", base, 3, &format!("Session: {session}\r\n"), ""),
    );
    answer(&mut conn, t0);
    assert!(responses(&mut conn, t0).starts_with("RTSP/1.0 200 OK"));

    let mono = StreamMuxConfig::new(AacConfig::new(2, 44_100, 1).unwrap());
    let stereo = StreamMuxConfig::new(AacConfig::new(2, 44_100, 2).unwrap());
    let other_rate = StreamMuxConfig::new(AacConfig::new(2, 48_000, 2).unwrap());
    let elements = [
        latm_element(Some(&mono), &[1, 2]),
        latm_element(None, &[3]),
        latm_element(Some(&stereo), &[4]),
        latm_element(Some(&other_rate), &[5]),
        latm_element(None, &[6]),
    ];
    let mut wire = Vec::new();
    for (i, e) in elements.iter().enumerate() {
        let i = u16::try_from(i).unwrap();
        wire.extend(interleaved_packet(
            0,
            96,
            true,
            100 + i,
            1024 * u32::from(i),
            e,
        ));
    }
    conn.handle_bytes(t0, &wire);
    conn.finish(t0 + Duration::from_secs(1));
    let mut order = Vec::new();
    loop {
        match conn.poll_event() {
            Some(ServerEvent::SessionEnded { .. }) => break,
            Some(ServerEvent::TrackChanged { track }) => {
                order.push(format!("changed {}", track.codec.codec_string()));
                let CodecConfig::Aac(c) = &track.codec else {
                    panic!("{track:?}")
                };
                assert_eq!(c.channel_configuration, 2);
                continue;
            }
            Some(ServerEvent::BadParameterSets { error, .. }) => {
                order.push(format!("refused: {error}"));
                continue;
            }
            Some(e) => panic!("{e:?}"),
            None => {}
        }
        match conn.poll_sample() {
            Some(s) => order.push(format!("{:?}", s.data.to_vec())),
            None => panic!("neither a sample nor the end: {order:?}"),
        }
    }
    assert_eq!(
        order,
        [
            "refused: LATM StreamMuxConfig: a change of sampling frequency in band (at byte 0) is not supported",
            "[1, 2]",
            "[3]",
            "changed mp4a.40.2",
            "[4]",
            "[5]",
            "[6]",
        ]
    );
}
