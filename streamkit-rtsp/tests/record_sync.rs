//! A RECORD of an H.264 and an AAC track whose sender reports come
//! after the first packets (as an RTCP interval has them): the samples
//! wait for them, then leave on one timeline, the audio where the
//! reports put it (1024 ticks before the video's zero, as ffmpeg's AAC
//! priming frame is), the video as it would be anyway. Without reports
//! the wait ends and the tracks are aligned by their first packets.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may fail loudly

mod support;

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use streamkit_core::clock::{NtpTimestamp, UnixTime, WallClock};
use streamkit_core::time::{MediaTime, Timescale};
use streamkit_rtsp::auth::OpenPolicy;
use streamkit_rtsp::server::{
    AlignedBy, ServerConfig, ServerConnection, ServerEvent, ServerTransmit,
};
use support::{IDR, P, PPS, SPS, base64, hex, request};

const VIDEO_SSRC: u32 = 0x1111_1111;
const AUDIO_SSRC: u32 = 0x2222_2222;
/// The instant both sender reports link: the video's RTP timestamp
/// there, and the audio's (its first frame, the priming one).
const VIDEO_AT_SR: u32 = 900_000;
const AUDIO_AT_SR: u32 = 50_000;
/// The video's first picture, 1024 / 44,100 s after that instant, in
/// 90 kHz ticks as ffmpeg rounds it.
const VIDEO_FIRST: u32 = VIDEO_AT_SR + 2090;

fn frame(channel: u8, packet: &[u8]) -> Vec<u8> {
    let mut out = vec![b'$', channel];
    out.extend_from_slice(&u16::try_from(packet.len()).unwrap().to_be_bytes());
    out.extend_from_slice(packet);
    out
}

fn rtp(pt: u8, marker: bool, seq: u16, ts: u32, ssrc: u32, payload: &[u8]) -> Vec<u8> {
    let mut p = vec![0x80, pt | if marker { 0x80 } else { 0 }];
    p.extend_from_slice(&seq.to_be_bytes());
    p.extend_from_slice(&ts.to_be_bytes());
    p.extend_from_slice(&ssrc.to_be_bytes());
    p.extend_from_slice(payload);
    p
}

/// An RTCP sender report: `ntp` linked to `ts`.
fn sender_report(ssrc: u32, ntp: NtpTimestamp, ts: u32) -> Vec<u8> {
    let mut p = vec![0x80, 200, 0, 6];
    p.extend_from_slice(&ssrc.to_be_bytes());
    p.extend_from_slice(&ntp.0.to_be_bytes());
    p.extend_from_slice(&ts.to_be_bytes());
    p.extend_from_slice(&[0; 8]);
    p
}

/// Sends what the connection has (its receiver reports) nowhere.
fn drain(conn: &mut ServerConnection, now: Instant) {
    while conn.poll_transmit(now).is_some() {}
}

/// A connection recording the two tracks over interleaved TCP (video on
/// 0-1, audio on 2-3), its samples waiting at most `wait`.
fn recording(wait: Duration) -> (ServerConnection, Instant) {
    #[allow(clippy::disallowed_methods)] // a virtual clock's origin
    let t0 = Instant::now();
    let mut config = ServerConfig::new(WallClock::new(
        t0,
        UnixTime::from_unix_millis(1_700_000_000_000),
    ));
    config.sync_wait = wait;
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
         a=control:streamid=0\r\n\
         m=audio 0 RTP/AVP 97\r\na=rtpmap:97 MPEG4-GENERIC/44100/2\r\n\
         a=fmtp:97 profile-level-id=1;mode=AAC-hbr;sizelength=13;indexlength=3;\
         indexdeltalength=3;config=1210\r\na=control:streamid=1\r\n",
        base64(&hex(SPS)),
        base64(&hex(PPS))
    );
    let base = "rtsp://127.0.0.1/live/cam";
    let mut session = String::new();
    let mut cseq = 1;
    let step = |conn: &mut ServerConnection, bytes: Vec<u8>| -> String {
        conn.handle_bytes(t0, &bytes);
        while let Some(e) = conn.poll_event() {
            if let ServerEvent::Announce { request, .. } | ServerEvent::Record { request, .. } = e {
                conn.accept(t0, request).unwrap();
            }
        }
        let mut text = String::new();
        while let Some(t) = conn.poll_transmit(t0) {
            if let ServerTransmit::Stream(b) = t {
                text.push_str(&String::from_utf8_lossy(&b));
            }
        }
        assert!(text.starts_with("RTSP/1.0 200 OK"), "{text}");
        text
    };
    step(&mut conn, request("ANNOUNCE", base, cseq, "", &sdp));
    for (stream, channels) in [(0, "0-1"), (1, "2-3")] {
        cseq += 1;
        let headers = format!(
            "Transport: RTP/AVP/TCP;unicast;interleaved={channels};mode=record\r\n{session}"
        );
        let answer = step(
            &mut conn,
            request(
                "SETUP",
                &format!("{base}/streamid={stream}"),
                cseq,
                &headers,
                "",
            ),
        );
        let id = answer
            .lines()
            .find_map(|l| l.strip_prefix("Session: "))
            .unwrap()
            .split(';')
            .next()
            .unwrap()
            .to_owned();
        session = format!("Session: {id}\r\n");
    }
    cseq += 1;
    step(&mut conn, request("RECORD", base, cseq, &session, ""));
    (conn, t0)
}

/// What came out: (track, dts) of each sample, and the alignment events.
#[derive(Default)]
struct Seen {
    samples: Vec<(u32, i64)>,
    aligned: Vec<(u32, MediaTime, AlignedBy)>,
}

fn collect(conn: &mut ServerConnection, seen: &mut Seen) {
    while let Some(e) = conn.poll_event() {
        if let ServerEvent::TrackAligned {
            track_id,
            offset,
            by,
            ..
        } = e
        {
            seen.aligned.push((track_id, offset, by));
        }
    }
    while let Some(s) = conn.poll_sample() {
        seen.samples.push((s.track_id, s.dts));
    }
}

/// Sends 20 AAC frames (one a packet) and 8 pictures (an IDR, then P
/// frames, 3000 ticks apart) over the first second, the reports at
/// `reports` if any; then the client leaves at 10 s. What came out, and
/// how much came before the reports.
fn record(wait: Duration, reports: Option<Duration>) -> (Seen, usize) {
    let (mut conn, t0) = recording(wait);
    let mut seen = Seen::default();
    let mut before = None;
    let ms = Duration::from_millis;
    let mut events: Vec<(Duration, Vec<u8>)> = Vec::new();
    for k in 0..20u16 {
        let mut payload = vec![0x00, 0x10];
        let au = [0x21u8, 0x10, u8::try_from(k).unwrap(), 0x07];
        payload.extend_from_slice(&((u16::try_from(au.len()).unwrap() << 3).to_be_bytes()));
        payload.extend_from_slice(&au);
        let ts = AUDIO_AT_SR + 1024 * u32::from(k);
        let packet = rtp(97, true, 100 + k, ts, AUDIO_SSRC, &payload);
        events.push((ms(23 * u64::from(k)), frame(2, &packet)));
    }
    for k in 0..8u16 {
        let nal = hex(if k == 0 { IDR } else { P });
        let ts = VIDEO_FIRST + 3000 * u32::from(k);
        let packet = rtp(96, true, 5000 + k, ts, VIDEO_SSRC, &nal);
        events.push((ms(24 + 33 * u64::from(k)), frame(0, &packet)));
    }
    if let Some(at) = reports {
        let ntp = NtpTimestamp::new(3_900_000_000, 0);
        events.push((at, frame(1, &sender_report(VIDEO_SSRC, ntp, VIDEO_AT_SR))));
        events.push((at, frame(3, &sender_report(AUDIO_SSRC, ntp, AUDIO_AT_SR))));
    }
    events.sort_by_key(|e| e.0);
    let mut now = t0;
    for (at, bytes) in events {
        // The timers between (the jitter buffers' releases).
        while let Some(wake) = conn.poll_timeout().filter(|w| *w < t0 + at) {
            now = wake.max(now);
            conn.handle_timeout(now);
            drain(&mut conn, now);
            collect(&mut conn, &mut seen);
        }
        now = t0 + at;
        if Some(at) == reports && before.is_none() {
            before = Some(seen.samples.len());
        }
        conn.handle_bytes(now, &bytes);
        conn.handle_timeout(now);
        drain(&mut conn, now);
        collect(&mut conn, &mut seen);
    }
    while let Some(wake) = conn.poll_timeout().filter(|w| *w <= t0 + ms(9000)) {
        now = wake.max(now);
        conn.handle_timeout(now);
        drain(&mut conn, now);
        collect(&mut conn, &mut seen);
    }
    conn.finish(t0 + ms(10_000));
    collect(&mut conn, &mut seen);
    (seen, before.unwrap_or(0))
}

fn of(seen: &Seen, track: u32) -> Vec<i64> {
    seen.samples
        .iter()
        .filter(|s| s.0 == track)
        .map(|s| s.1)
        .collect()
}

#[test]
fn reports_after_the_first_packets_put_the_audio_where_they_say() {
    let wait = Duration::from_secs(5);
    // Aligned by first packets: what each track gives alone.
    let (alone, _) = record(Duration::ZERO, None);
    let (video, audio) = (of(&alone, 1), of(&alone, 2));
    assert_eq!(video.len(), 8, "{:?}", alone.samples);
    assert_eq!(audio, (0..20).map(|k| 1024 * k).collect::<Vec<i64>>());
    // The reports at 2 s: nothing before them, then the audio 1024
    // ticks earlier (-2090 / 90,000 s is -1024.1 ticks of 44.1 kHz).
    let (synced, before) = record(wait, Some(Duration::from_secs(2)));
    assert_eq!(before, 0, "{:?}", synced.samples);
    assert_eq!(of(&synced, 1), video);
    assert_eq!(
        of(&synced, 2),
        audio.iter().map(|t| t - 1024).collect::<Vec<i64>>()
    );
    let audio_hz = Timescale::new(44_100).unwrap();
    assert_eq!(
        synced.aligned,
        [
            (
                1,
                MediaTime::new(0, Timescale::VIDEO_90KHZ),
                AlignedBy::Reference
            ),
            (2, MediaTime::new(-1024, audio_hz), AlignedBy::SenderReports),
        ]
    );
    // No reports: after the wait, by first packets, as alone.
    let (unsynced, _) = record(wait, None);
    assert_eq!(of(&unsynced, 1), video);
    assert_eq!(of(&unsynced, 2), audio);
    assert_eq!(
        unsynced.aligned.iter().map(|a| a.2).collect::<Vec<_>>(),
        [AlignedBy::Reference, AlignedBy::FirstPackets]
    );
}
