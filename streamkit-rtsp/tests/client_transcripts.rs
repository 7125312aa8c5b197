//! The client against transcripts in the shape IP cameras send
//! (`tests/transcripts/client/`, one behaviour per file, written by
//! `scripts/make-client-transcripts.py`): each quirk's outcome, exactly,
//! in every chunking.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may fail loudly

use std::time::{Duration, Instant};

use streamkit_core::codec::CodecConfig;
use streamkit_rtsp::client::{ClientConfig, ClientEvent, ClientSession, ClientTransmit};

const URL: &str = "rtsp://192.168.1.64:554/Streaming/Channels/101";

/// What a run gives: the requests the client wrote (start lines and
/// headers) and its events, summarized.
struct Run {
    requests: Vec<String>,
    events: Vec<String>,
    samples: Vec<(u32, i64, i64, bool, usize)>,
    client: ClientSession,
}

fn summary(e: &ClientEvent) -> Option<String> {
    Some(match e {
        ClientEvent::Sample(_) => return None,
        ClientEvent::Described {
            base,
            tracks,
            skipped,
        } => format!(
            "described base={base} tracks={:?} skipped={}",
            tracks
                .iter()
                .map(|t| t.control.as_str())
                .collect::<Vec<_>>(),
            skipped.len()
        ),
        ClientEvent::SetUp {
            track_id,
            transport,
            session,
        } => {
            format!("setup {track_id} {transport:?} {session}")
        }
        ClientEvent::Playing { .. } => "playing".into(),
        ClientEvent::TrackChanged { track } => match &track.codec {
            CodecConfig::H264(c) => {
                format!("track {} changed: profile {}", track.id, c.profile_idc)
            }
            other => format!("track {} changed: {other:?}", track.id),
        },
        ClientEvent::WallClock {
            track_id,
            media,
            unix,
        } => {
            format!(
                "wall clock {track_id}: {} = {}",
                media.ticks(),
                unix.unix_millis()
            )
        }
        ClientEvent::Quirk(q) => format!("quirk {q:?}"),
        ClientEvent::SessionEnded { reason } => format!("ended: {reason}"),
        other => format!("{other:?}"),
    })
}

/// Polls what `client` has: requests written, events, samples.
fn drain(client: &mut ClientSession, out: &mut Output, now: Instant) {
    while let Some(t) = client.poll_transmit(now) {
        if let ClientTransmit::Stream(bytes) = t {
            // Requests (receiver reports are interleaved binary).
            let mut rest = &bytes[..];
            while rest.first() != Some(&b'$')
                && let Some(head_end) = rest.windows(4).position(|w| w == b"\r\n\r\n")
            {
                out.requests
                    .push(String::from_utf8_lossy(&rest[..head_end]).into_owned());
                rest = &rest[head_end + 4..];
            }
        }
    }
    while let Some(e) = client.poll_event() {
        if let ClientEvent::Sample(s) = &e {
            out.samples
                .push((s.track_id, s.dts, s.pts(), s.keyframe, s.data.len()));
        }
        if let Some(s) = summary(&e) {
            out.events.push(s);
        }
    }
}

#[derive(Default)]
struct Output {
    requests: Vec<String>,
    events: Vec<String>,
    samples: Vec<(u32, i64, i64, bool, usize)>,
}

/// Drives a client that pulls `URL` over TCP with `transcript` as the
/// server's bytes, `chunk` bytes at a time, then the server closes.
fn run(transcript: &[u8], chunk: usize) -> Run {
    let t0 = origin();
    let random = Box::new(|b: &mut [u8]| b.fill(1));
    let mut client = ClientSession::play(t0, ClientConfig::new(URL), random);
    let mut out = Output::default();
    drain(&mut client, &mut out, t0);
    let mut now = t0;
    for piece in transcript.chunks(chunk.max(1)) {
        now += Duration::from_millis(1);
        client.handle_bytes(now, piece);
        drain(&mut client, &mut out, now);
    }
    client.handle_closed(now);
    drain(&mut client, &mut out, now);
    Run {
        requests: out.requests,
        events: out.events,
        samples: out.samples,
        client,
    }
}

/// `run` in every chunking gives the same; the whole-at-once run.
fn run_all(transcript: &[u8]) -> Run {
    let whole = run(transcript, transcript.len());
    for chunk in [1, 2, 3, 7, 64, 500] {
        let r = run(transcript, chunk);
        assert_eq!(r.events, whole.events, "chunks of {chunk}");
        assert_eq!(r.samples, whole.samples, "chunks of {chunk}");
        assert_eq!(r.requests, whole.requests, "chunks of {chunk}");
    }
    whole
}

const CLOSED: &str = "ended: the server closed the connection";

fn video_samples(n: usize, first_pts: i64) -> Vec<(u32, i64, i64, bool, usize)> {
    (0..n)
        .map(|i| {
            let t = first_pts + 3000 * i as i64;
            // IDR: 4 + 16 bytes, P: 4 + 8 bytes, each after a 4-byte length.
            (1, t, t, i == 0, if i == 0 { 24 } else { 16 })
        })
        .collect()
}

fn head_events(transport: &str) -> Vec<String> {
    vec![
        format!("described base={URL}/ tracks=[\"{URL}/trackID=1\"] skipped=0"),
        format!("setup 1 {transport} 1273222592"),
        "playing".into(),
    ]
}

const INTERLEAVED_0: &str = "Interleaved { rtp: 0, rtcp: Some(1) }";

#[test]
fn the_requests_are_what_cameras_expect() {
    let r = run_all(include_bytes!(
        "transcripts/client/data_on_unassigned_channel.rtsp"
    ));
    let lines: Vec<&str> = r
        .requests
        .iter()
        .map(|q| q.lines().next().unwrap())
        .collect();
    assert_eq!(
        lines,
        [
            format!("OPTIONS {URL} RTSP/1.0"),
            format!("DESCRIBE {URL} RTSP/1.0"),
            format!("SETUP {URL}/trackID=1 RTSP/1.0"),
            format!("PLAY {URL}/?transportmode=unicast RTSP/1.0"),
        ]
    );
    assert!(
        r.requests[2].contains("\r\nTransport: RTP/AVP/TCP;unicast;interleaved=0-1"),
        "{}",
        r.requests[2]
    );
    assert!(
        r.requests[3].contains("\r\nSession: 1273222592"),
        "{}",
        r.requests[3]
    );
    assert!(
        r.requests[3].contains("\r\nRange: npt=0.000-"),
        "{}",
        r.requests[3]
    );
}

#[test]
fn data_on_an_unassigned_channel_is_counted_and_dropped() {
    let r = run_all(include_bytes!(
        "transcripts/client/data_on_unassigned_channel.rtsp"
    ));
    let mut expected = head_events(INTERLEAVED_0);
    expected.push("quirk UnassignedChannel { channel: 5 }".into());
    expected.push(CLOSED.into());
    assert_eq!(r.events, expected);
    assert_eq!(r.samples, video_samples(5, 0));
    assert_eq!(r.client.unassigned_interleaved(), 3);
    assert_eq!(r.client.dropped_packets(1), 0);
}

#[test]
fn the_servers_channels_are_used() {
    let r = run_all(include_bytes!(
        "transcripts/client/server_answers_other_channels.rtsp"
    ));
    let mut expected = vec![
        format!("described base={URL}/ tracks=[\"{URL}/trackID=1\"] skipped=0"),
        "quirk ServerChannels { track_id: 1, asked: (0, 1), answered: (6, Some(7)) }".into(),
        "setup 1 Interleaved { rtp: 6, rtcp: Some(7) } 1273222592".into(),
        "playing".into(),
    ];
    // The sender report on channel 7: RTP time 99000 is media time 9000
    // (rtptime 90000 is zero); NTP 3910000000.5 s is Unix 1701011200.5 s.
    expected.push("wall clock 1: 9000 = 1701011200500".into());
    expected.push(CLOSED.into());
    assert_eq!(r.events, expected);
    assert_eq!(r.samples, video_samples(4, 0));
    assert_eq!(r.client.unassigned_interleaved(), 0);
    let (media, unix) = r.client.wall_clock(1).unwrap();
    assert_eq!(
        (media.ticks(), unix.unix_millis()),
        (9000, 1_701_011_200_500)
    );
}

#[test]
fn a_new_ssrc_is_followed_and_strays_are_dropped() {
    let r = run_all(include_bytes!(
        "transcripts/client/ssrc_changes_mid_stream.rtsp"
    ));
    let mut expected = head_events(INTERLEAVED_0);
    expected.push(
        "quirk SsrcChanged { track_id: 1, from: 439041101, to: 1717986918, dropped_packets: 2 }"
            .into(),
    );
    expected.push(CLOSED.into());
    assert_eq!(r.events, expected);
    // Four of the old source (the stray two dropped), six of the new
    // one going on at 12000 (the old one's end), its keyframe first.
    let mut samples = video_samples(4, 0);
    samples.extend(video_samples(6, 12_000));
    assert_eq!(r.samples, samples);
    assert_eq!(r.client.dropped_packets(1), 2);
}

#[test]
fn a_transport_ssrc_other_than_the_packets_is_reported() {
    let r = run_all(include_bytes!(
        "transcripts/client/transport_ssrc_differs_from_packets.rtsp"
    ));
    let mut expected = head_events(INTERLEAVED_0);
    expected.push(
        "quirk SsrcNotAsAnnounced { track_id: 1, announced: 195948557, received: 439041101 }"
            .into(),
    );
    expected.push(CLOSED.into());
    assert_eq!(r.events, expected);
    assert_eq!(r.samples, video_samples(3, 0));
}

#[test]
fn without_rtptime_the_first_packet_is_time_zero() {
    let r = run_all(include_bytes!(
        "transcripts/client/rtp_info_rtptime_missing.rtsp"
    ));
    let mut expected = head_events(INTERLEAVED_0);
    expected.push("quirk RtpInfoWithoutRtptime { track_id: 1 }".into());
    expected.push(CLOSED.into());
    assert_eq!(r.events, expected);
    assert_eq!(r.samples, video_samples(3, 0));
}

#[test]
fn a_first_timestamp_far_from_rtp_info_is_time_zero() {
    let r = run_all(include_bytes!(
        "transcripts/client/first_timestamp_far_from_rtp_info.rtsp"
    ));
    let mut expected = head_events(INTERLEAVED_0);
    expected.push(
        "quirk FirstTimestampFarFromRtpInfo { track_id: 1, rtptime: 90000, first: 324090000 }"
            .into(),
    );
    expected.push(CLOSED.into());
    assert_eq!(r.events, expected);
    assert_eq!(r.samples, video_samples(3, 0));
}

#[test]
fn a_describe_answer_without_content_type_is_read_as_sdp() {
    let r = run_all(include_bytes!(
        "transcripts/client/describe_without_content_type.rtsp"
    ));
    let mut expected = vec!["quirk NoContentType".to_owned()];
    expected.extend(head_events(INTERLEAVED_0));
    expected.push(CLOSED.into());
    assert_eq!(r.events, expected);
    assert_eq!(r.samples, video_samples(2, 0));
}

#[test]
fn a_schemeless_content_base_gets_the_requests_scheme() {
    let r = run_all(include_bytes!(
        "transcripts/client/schemeless_content_base.rtsp"
    ));
    let mut expected = head_events(INTERLEAVED_0);
    expected.push(CLOSED.into());
    assert_eq!(r.events, expected);
    assert_eq!(r.samples, video_samples(2, 0));
}

#[test]
fn cseq_with_trailing_whitespace_matches() {
    let r = run_all(include_bytes!(
        "transcripts/client/cseq_with_trailing_whitespace.rtsp"
    ));
    let mut expected = head_events(INTERLEAVED_0);
    expected.push(CLOSED.into());
    assert_eq!(r.events, expected);
    assert_eq!(r.samples, video_samples(2, 0));
}

#[test]
fn in_band_parameter_sets_win_over_the_sdps() {
    let r = run_all(include_bytes!(
        "transcripts/client/in_band_parameter_sets_differ.rtsp"
    ));
    let mut expected = head_events(INTERLEAVED_0);
    // Main (77) in band replaces the SDP's Baseline (66).
    expected.push("track 1 changed: profile 77".into());
    expected.push(CLOSED.into());
    assert_eq!(r.events, expected);
    assert_eq!(r.tracks_profile(), 77);
    assert_eq!(r.samples.len(), 3);
    assert!(r.samples[0].3, "the first is the keyframe");
}

impl Run {
    fn tracks_profile(&self) -> u8 {
        match &self.client.tracks().next().unwrap().codec {
            CodecConfig::H264(c) => c.profile_idc,
            _ => 0,
        }
    }
}

/// The virtual clock's origin.
#[allow(clippy::disallowed_methods)] // a virtual clock's origin
fn origin() -> Instant {
    Instant::now()
}

#[test]
fn every_quirk_in_one_session() {
    let r = run_all(include_bytes!("transcripts/client/every_quirk.rtsp"));
    let expected = [
        "quirk NoContentType".to_owned(),
        format!("described base={URL}/ tracks=[\"{URL}/trackID=1\"] skipped=0"),
        "quirk ServerChannels { track_id: 1, asked: (0, 1), answered: (2, Some(3)) }".into(),
        "setup 1 Interleaved { rtp: 2, rtcp: Some(3) } 1273222592".into(),
        "playing".into(),
        "quirk SsrcNotAsAnnounced { track_id: 1, announced: 195948557, received: 439041101 }"
            .into(),
        "quirk RtpInfoWithoutRtptime { track_id: 1 }".into(),
        "quirk UnassignedChannel { channel: 9 }".into(),
        // In band: Main (77) over the SDP's Baseline.
        "track 1 changed: profile 77".into(),
        // RTP 96000 is 6000 after the first packet (no rtptime);
        // NTP 3910000000 s is Unix 1701011200 s.
        "wall clock 1: 6000 = 1701011200000".into(),
        "quirk SsrcChanged { track_id: 1, from: 439041101, to: 1717986918, dropped_packets: 1 }"
            .into(),
        // The new source's in-band sets: Baseline again.
        "track 1 changed: profile 66".into(),
        CLOSED.into(),
    ];
    assert_eq!(r.events, expected);
    // The keyframes carry the in-band SPS and PPS (4-byte lengths):
    // 24 + (4 + 22) + (4 + 4), then 24 + (4 + 21) + (4 + 4).
    let mut samples = video_samples(4, 0);
    samples[0].4 = 58;
    let mut second = video_samples(5, 12_000);
    second[0].4 = 57;
    samples.extend(second);
    assert_eq!(r.samples, samples);
    assert_eq!(r.client.unassigned_interleaved(), 1);
    assert_eq!(r.client.dropped_packets(1), 1);
}

#[test]
fn rtp_before_the_play_answer_is_taken_from_its_first_packet() {
    let r = run_all(include_bytes!(
        "transcripts/client/rtp_before_the_play_answer.rtsp"
    ));
    let mut expected = head_events(INTERLEAVED_0);
    expected.push(CLOSED.into());
    assert_eq!(r.events, expected);
    // Media time zero is the first packet's (90000), not the later
    // RTP-Info's rtptime (87000).
    assert_eq!(r.samples, video_samples(4, 0));
}
