//! The media sender on a virtual clock (an `Instant` origin plus offsets,
//! jumping to each `poll_timeout`), over the fixture `h264_aac.mp4`:
//!
//! - a first sender report per track before any RTP packet, then every
//!   packet at its sample's decode time (divided by the speed), sequence
//!   numbers contiguous from the first `RtpInfo`, RTP timestamps the
//!   samples' presentation times (with the edit list's shift) on the
//!   payload clock plus the offset;
//! - every sender report on the line through the packets' presentation
//!   times: its RTP time is the media time of its NTP time (plus the
//!   B-frame lead), at any speed;
//! - passes continue timestamps and sequence numbers; `finish` ends with a
//!   BYE per track, `stop` at once; a start from a later keyframe (a seek)
//!   gives its `RtpInfo`; receiver reports come back as events of their
//!   track; live pacing sends at once; bad input gets typed errors;
//! - as parts, the sender gives the same datagrams, every payload byte a
//!   slice of the file's own buffer (nothing of a sample copied).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may fail loudly

use std::time::{Duration, Instant};

use bytes::Bytes;
use streamkit_core::clock::{UnixTime, WallClock};
use streamkit_core::mp4::Mp4File;
use streamkit_core::sample::{PresentationShift, Sample};
use streamkit_core::time::{MediaTime, Rounding, Timescale, Wrapping};
use streamkit_core::track::Track;
use streamkit_rtp::error::SessionError;
use streamkit_rtp::packet::RtpPacket;
use streamkit_rtp::payload::Payload;
use streamkit_rtp::payload::aac::{AacDepacketized, AacDepacketizer, AuHeaderLayout};
use streamkit_rtp::rtcp::{
    ReceiverReport, ReportBlock, RtcpPacket, SenderReport, parse_compound, write_compound,
};
use streamkit_rtp::sender::{
    MediaSender, MediaSenderConfig, Pacing, Speed, TransmitKind, first_video_and_audio,
    presentation_lead,
};
use streamkit_rtp::session::SenderEvent;

const UNIX_START: Duration = Duration::from_secs(1_700_000_000);

struct Fixture {
    /// The file's bytes, which the samples are slices of.
    data: Bytes,
    file: Mp4File,
    tracks: Vec<Track>,
    shifts: Vec<PresentationShift>,
}

fn fixture() -> Fixture {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../tests/fixtures/h264_aac.mp4"
    );
    let data = Bytes::from(std::fs::read(path).unwrap());
    let file = Mp4File::parse(data.clone()).unwrap();
    let (tracks, shifts) = file.tracks_and_shifts();
    let tracks = first_video_and_audio(&tracks);
    assert_eq!(tracks.len(), 2);
    Fixture {
        data,
        file,
        tracks,
        shifts,
    }
}

#[allow(clippy::disallowed_methods)] // the virtual clock's origin
fn origin() -> Instant {
    Instant::now()
}

fn sender(f: &Fixture, t0: Instant, pacing: Pacing) -> MediaSender {
    let mut config = MediaSenderConfig::new(
        "test@streamkit",
        7,
        WallClock::new(t0, UnixTime::from_unix(UNIX_START)),
    );
    config.pacing = pacing;
    config.presentation_lead = presentation_lead(&f.tracks, &f.shifts, f.file.samples());
    MediaSender::new(config, &f.tracks, &f.shifts).unwrap()
}

/// One datagram handed out: when (after the origin), for which track,
/// RTP or RTCP.
struct Sent {
    at: Duration,
    track: u32,
    kind: TransmitKind,
    datagram: Bytes,
}

/// Plays `passes` passes of the file through `s` from `t0`, jumping to
/// each timeout, until the sender is done.
fn play(s: &mut MediaSender, f: &Fixture, t0: Instant, passes: u32) -> Vec<Sent> {
    play_with(s, f, t0, passes, |s, now, out| {
        while let Some(t) = s.poll_transmit(now) {
            out.push(Sent {
                at: now - t0,
                track: t.track_id,
                kind: t.kind,
                datagram: Bytes::copy_from_slice(t.datagram),
            });
        }
    })
}

/// [`play`] with `drain` taking what is due at each wake.
fn play_with(
    s: &mut MediaSender,
    f: &Fixture,
    t0: Instant,
    passes: u32,
    mut drain: impl FnMut(&mut MediaSender, Instant, &mut Vec<Sent>),
) -> Vec<Sent> {
    let mut samples = f.file.samples();
    let mut pass = 1;
    let mut pushed_all = false;
    let mut now = t0;
    let mut out = Vec::new();
    s.start(t0);
    for round in 0.. {
        assert!(round < 1_000_000, "the sender never ends");
        while !pushed_all && s.feed(&mut samples).unwrap() {
            if pass < passes {
                s.start_next_pass().unwrap();
                samples = f.file.samples();
                pass += 1;
            } else {
                s.finish().unwrap();
                pushed_all = true;
            }
        }
        let Some(wake) = s.poll_timeout() else { break };
        assert!(wake >= t0, "a timeout before the start");
        now = now.max(wake);
        s.handle_timeout(now);
        drain(s, now, &mut out);
    }
    out
}

fn rtp_of(sent: &[Sent], track: u32) -> Vec<(Duration, RtpPacket)> {
    sent.iter()
        .filter(|s| s.track == track && s.kind == TransmitKind::Rtp)
        .map(|s| (s.at, RtpPacket::parse(s.datagram.clone()).unwrap()))
        .collect()
}

fn rtcp_of(sent: &[Sent], track: u32) -> Vec<(Duration, Vec<RtcpPacket>)> {
    sent.iter()
        .filter(|s| s.track == track && s.kind == TransmitKind::Rtcp)
        .map(|s| (s.at, parse_compound(s.datagram.clone()).unwrap()))
        .collect()
}

fn shift_of(f: &Fixture, id: u32) -> i64 {
    f.shifts
        .iter()
        .find(|s| s.track_id == id)
        .map_or(0, |s| s.ticks)
}

/// Each sample's decode time in µs since the first sample's.
fn due_times(f: &Fixture, id: u32) -> Vec<Duration> {
    let first = f.file.samples().next().unwrap();
    let us = |s: &Sample| {
        MediaTime::new(s.dts, s.timescale)
            .rescale(Timescale::MICROS, Rounding::Nearest)
            .ticks()
    };
    let origin = us(&first);
    f.file
        .track_samples(id)
        .unwrap()
        .map(|s| Duration::from_micros((us(&s) - origin).max(0) as u64))
        .collect()
}

/// The sender report's RTP time agrees with its NTP time: media time (at
/// `speed`) since the start plus the lead, to within a tick.
fn assert_on_the_line(sr: &SenderReport, offset: u32, clock: u32, lead: Duration, speed: u32) {
    // Signed: the first report, before the lead, is earlier than the start.
    let wall = sr.ntp_time.to_unix().unwrap().as_nanos() as i128 - UNIX_START.as_nanos() as i128;
    let _ = speed; // the sessions' wall clock runs on the media clock
    let media = wall + lead.as_nanos() as i128;
    let want = (media * i128::from(clock)).div_euclid(1_000_000_000) as u32;
    let got = sr.rtp_timestamp.0.wrapping_sub(offset);
    let diff = got.wrapping_sub(want) as i32;
    assert!(diff.abs() <= 1, "SR at {wall} ns: {got} ticks, want {want}");
}

fn check_playout(speed: u32) {
    let f = fixture();
    let t0 = origin();
    let pacing = Pacing::Paced(Speed::ratio(speed, 1).unwrap());
    let mut s = sender(&f, t0, pacing);
    let lead = s.config().presentation_lead;
    let sent = play(&mut s, &f, t0, 1);

    // Each track's first datagram is its sender report, before any RTP.
    let first_rtp = sent
        .iter()
        .position(|d| d.kind == TransmitKind::Rtp)
        .unwrap();
    for t in &f.tracks {
        let first = sent.iter().find(|d| d.track == t.id).unwrap();
        assert_eq!(first.kind, TransmitKind::Rtcp);
        let packets = parse_compound(first.datagram.clone()).unwrap();
        assert!(matches!(packets[0], RtcpPacket::SenderReport(_)));
        assert!(matches!(packets[1], RtcpPacket::SourceDescription(_)));
        assert!(sent[..first_rtp].iter().any(|d| d.track == t.id));
    }

    for t in &f.tracks {
        let session = s.session(t.id).unwrap();
        let offset = session.timestamp_offset();
        let clock = session.config().clock_rate;
        let rtp = rtp_of(&sent, t.id);
        let info = s.first_rtp_info(t.id).unwrap();
        assert_eq!(rtp[0].1.sequence_number(), info.sequence_number);
        assert_eq!(rtp[0].1.timestamp(), info.rtp_timestamp);
        for (i, (_, p)) in rtp.iter().enumerate() {
            assert_eq!(
                p.sequence_number(),
                info.sequence_number.add_signed(i as i64),
                "track {} packet {i}",
                t.id
            );
            assert_eq!(p.ssrc(), session.ssrc());
            assert_eq!(p.payload_type(), s.payload_type(t.id).unwrap());
        }
        if t.kind() == streamkit_core::codec::MediaKind::Video {
            // Sent at their samples' decode times, divided by the speed.
            let due: Vec<Duration> = due_times(&f, t.id).iter().map(|d| *d / speed).collect();
            for (at, p) in &rtp {
                assert!(
                    due.iter()
                        .any(|d| d.abs_diff(*at) <= Duration::from_micros(1)),
                    "track {} packet {} sent at {at:?}, no sample is due then",
                    t.id,
                    p.sequence_number().0
                );
            }
        } else {
            // Audio: at its presentation time less the lead (as the
            // B-frame video's reordered frames lead theirs), from the
            // first sample's decode time on, divided by the speed.
            let first = f.file.samples().next().unwrap();
            let origin = MediaTime::new(first.dts, first.timescale)
                .rescale(Timescale::MICROS, Rounding::Nearest)
                .ticks();
            for (at, p) in &rtp {
                let pts = MediaTime::new(
                    i64::from(p.timestamp().0.wrapping_sub(offset) as i32),
                    clock,
                )
                .rescale(Timescale::MICROS, Rounding::Nearest)
                .ticks();
                let due = (pts - lead.as_micros() as i64 - origin).max(0) as u64;
                let due = Duration::from_micros(due) / speed;
                assert!(
                    due.abs_diff(*at) <= Duration::from_micros(1),
                    "audio packet {} sent at {at:?}, due at {due:?}",
                    p.sequence_number().0
                );
            }
        }
        if t.kind() == streamkit_core::codec::MediaKind::Video {
            // One marker per access unit, at its presentation time.
            let stamps: Vec<u32> = rtp
                .iter()
                .filter(|(_, p)| p.marker())
                .map(|(_, p)| p.timestamp().0.wrapping_sub(offset))
                .collect();
            let want: Vec<u32> = f
                .file
                .track_samples(t.id)
                .unwrap()
                .map(|smp| {
                    MediaTime::new(smp.pts() + shift_of(&f, t.id), smp.timescale)
                        .rescale(clock, Rounding::Nearest)
                        .ticks() as u32
                })
                .collect();
            assert_eq!(stamps, want, "video RTP timestamps");
            let times: std::collections::BTreeSet<Duration> =
                rtp.iter().map(|(at, _)| *at).collect();
            assert_eq!(times.len(), want.len(), "one sending time per access unit");
        }
        // Every sender report on the line; the last datagram a BYE.
        let rtcp = rtcp_of(&sent, t.id);
        assert!(
            rtcp.len() >= 2,
            "track {}: {} RTCP datagrams",
            t.id,
            rtcp.len()
        );
        for (_, packets) in &rtcp {
            if let RtcpPacket::SenderReport(sr) = &packets[0] {
                assert_eq!(sr.ssrc, session.ssrc());
                assert_on_the_line(sr, offset, clock.hz(), lead, speed);
            }
        }
        let (bye_at, last) = rtcp.last().unwrap();
        assert!(
            matches!(last.last(), Some(RtcpPacket::Goodbye(b)) if b.sources == [session.ssrc()]),
            "{last:?}"
        );
        assert!(
            *bye_at >= rtp.last().unwrap().0,
            "BYE before the last packet"
        );
    }
    assert!(s.is_done());
    assert_eq!(s.poll_timeout(), None);
    let sample = f.file.samples().next().unwrap();
    assert_eq!(s.push(&sample), Err(SessionError::Finished));
}

#[test]
fn plays_out_at_decode_time_with_reports_on_the_line() {
    check_playout(1);
}

#[test]
fn plays_out_faster_at_speed_four() {
    check_playout(4);
}

#[test]
fn parts_are_the_same_datagrams_with_the_payload_in_the_file_s_own_buffer() {
    let f = fixture();
    let t0 = origin();
    let speed = Pacing::Paced(Speed::REAL_TIME);
    let whole = play(&mut sender(&f, t0, speed), &f, t0, 1);
    let file = f.data.as_ptr_range();
    let in_file = |c: &[u8]| file.contains(&c.as_ptr()) && c.len() <= f.data.len();
    // The parameter sets sent before each keyframe come from the track's
    // configuration (shared, not copied per packet either).
    let parameter_sets: Vec<Bytes> = f
        .tracks
        .iter()
        .filter_map(|t| match &t.codec {
            streamkit_core::codec::CodecConfig::H264(c) => Some(c.sps.iter().chain(&c.pps)),
            _ => None,
        })
        .flatten()
        .cloned()
        .collect();
    let (mut rtp, mut shared_bytes, mut fu_starts) = (0usize, 0usize, 0usize);
    let parts = play_with(&mut sender(&f, t0, speed), &f, t0, 1, |s, now, out| {
        while let Some(t) = s.poll_transmit_parts(now) {
            let mut datagram = Vec::new();
            t.packet.write_to(&mut datagram);
            assert_eq!(datagram.len(), t.packet.len());
            assert_eq!(t.packet.payload.is_some(), t.kind == TransmitKind::Rtp);
            if let Some(payload) = &t.packet.payload {
                rtp += 1;
                let (mut shared, mut sent, mut index) = (0, 0, 0);
                payload.for_each_chunk(|c| {
                    // The first chunk is the payload header (FU, STAP-A or
                    // AU headers) and 2-byte ones aggregation sizes (empty
                    // ones none), the sender's own; every other chunk is the
                    // sample's bytes (or the configuration's parameter sets),
                    // not a copy of them.
                    let header = index == 0 || c.len() <= 2;
                    let configured = parameter_sets.iter().any(|p| p[..] == *c);
                    if !header && !configured {
                        assert!(in_file(c), "a {}-byte chunk was copied", c.len());
                    }
                    if in_file(c) {
                        shared += c.len();
                    }
                    sent += usize::from(in_file(c) || configured);
                    index += 1;
                });
                assert!(sent > 0, "a packet with no unit of its sample");
                // A fragmented NAL unit's own header byte is folded into
                // the FU-A headers of its packets.
                if let Payload::Video(v) = payload
                    && v.header().len() == 2
                    && v.header()[1] & 0x80 != 0
                {
                    fu_starts += 1;
                }
                shared_bytes += shared;
            }
            out.push(Sent {
                at: now - t0,
                track: t.track_id,
                kind: t.kind,
                datagram: Bytes::from(datagram),
            });
        }
    });
    assert_eq!(parts.len(), whole.len());
    for (a, b) in whole.iter().zip(&parts) {
        assert_eq!(
            (a.at, a.track, a.kind, &a.datagram),
            (b.at, b.track, b.kind, &b.datagram)
        );
    }
    // Every byte of every sample goes out from the file's buffer, but the
    // video's 4-byte NAL unit length prefixes and the fragmented units'
    // headers.
    let video = f.tracks[0].id;
    let payload_bytes: usize = f
        .file
        .samples()
        .map(|s| {
            let mut len = s.data.len();
            if s.track_id == video {
                let mut rest = &s.data[..];
                while let [a, b, c, d, tail @ ..] = rest {
                    len -= 4;
                    let n = u32::from_be_bytes([*a, *b, *c, *d]) as usize;
                    rest = tail.get(n..).unwrap_or(&[]);
                }
            }
            len
        })
        .sum();
    assert_eq!(
        rtp,
        whole.iter().filter(|s| s.kind == TransmitKind::Rtp).count()
    );
    assert!(fu_starts > 0);
    assert_eq!(shared_bytes, payload_bytes - fu_starts);
}

#[test]
fn passes_continue_timestamps_and_sequence_numbers() {
    let f = fixture();
    let t0 = origin();
    let mut s = sender(&f, t0, Pacing::Paced(Speed::ratio(100, 1).unwrap()));
    let sent = play(&mut s, &f, t0, 3);
    let audio = f
        .tracks
        .iter()
        .find(|t| t.kind() != streamkit_core::codec::MediaKind::Video)
        .unwrap();
    let source: Vec<(i64, Bytes)> = f
        .file
        .track_samples(audio.id)
        .unwrap()
        .map(|smp| (smp.pts() + shift_of(&f, audio.id), smp.data))
        .collect();
    let pass = audio.duration.unwrap() as i64;
    let mut d = AacDepacketizer::new(AuHeaderLayout::AAC_HBR, 1024);
    let mut frames = Vec::new();
    for (_, p) in rtp_of(&sent, audio.id) {
        d.push(&p).unwrap();
        while let Some(out) = d.poll_frame() {
            match out {
                AacDepacketized::Frame(fr) => frames.push(fr),
                other => panic!("{other:?}"),
            }
        }
    }
    let n = source.len();
    assert_eq!(frames.len(), 3 * n);
    let base = frames[0].timestamp.0;
    for (i, fr) in frames.iter().enumerate() {
        let (pts, data) = &source[i % n];
        assert_eq!(fr.data, data, "frame {i}");
        assert_eq!(
            i64::from(fr.timestamp.0.wrapping_sub(base)),
            pts + pass * (i / n) as i64 - source[0].0,
            "frame {i}"
        );
    }
}

#[test]
fn stop_sends_bye_at_once() {
    let f = fixture();
    let t0 = origin();
    let mut s = sender(&f, t0, Pacing::Paced(Speed::REAL_TIME));
    s.start(t0);
    let mut samples = f.file.samples();
    let now = t0 + Duration::from_secs(1);
    for _ in 0..40 {
        s.feed(&mut samples).unwrap();
        s.handle_timeout(now);
        while s.poll_transmit(now).is_some() {}
    }
    assert!(s.packets_sent() > 0);
    s.stop(now);
    let mut byes = Vec::new();
    while let Some(t) = s.poll_transmit(now) {
        assert_eq!(t.kind, TransmitKind::Rtcp, "an RTP packet after stop");
        let packets = parse_compound(Bytes::copy_from_slice(t.datagram)).unwrap();
        let Some(RtcpPacket::Goodbye(bye)) = packets.last() else {
            panic!("{packets:?}")
        };
        byes.push((t.track_id, bye.sources.clone()));
    }
    assert_eq!(byes.len(), 2);
    for (track, sources) in byes {
        assert_eq!(sources, [s.session(track).unwrap().ssrc()]);
    }
    assert_eq!(s.poll_timeout(), None);
    assert!(s.is_done());
    s.stop(now);
    assert!(s.poll_transmit(now).is_none(), "a second stop sent more");
    assert_eq!(s.finish(), Ok(()));
}

#[test]
fn a_start_from_a_later_keyframe_gives_its_rtp_info() {
    let f = fixture();
    let t0 = origin();
    let mut s = sender(&f, t0, Pacing::Paced(Speed::REAL_TIME));
    let video = f.tracks[0].clone();
    assert_eq!(video.kind(), streamkit_core::codec::MediaKind::Video);
    // The second keyframe of the video, and the audio from there on.
    let key = f
        .file
        .track_samples(video.id)
        .unwrap()
        .filter(|smp| smp.keyframe)
        .nth(1)
        .expect("two keyframes");
    let seek = key.decode_time();
    let mut samples = f
        .file
        .samples()
        .filter(move |smp| smp.decode_time() >= seek)
        .peekable();
    assert_eq!(samples.peek().unwrap().dts, key.dts);
    s.feed(&mut samples).unwrap();
    let info = s.first_rtp_info(video.id).unwrap();
    let session = s.session(video.id).unwrap();
    assert_eq!(info.sequence_number, session.next_sequence_number());
    let pts = MediaTime::new(key.pts() + shift_of(&f, video.id), key.timescale)
        .rescale(Timescale::VIDEO_90KHZ, Rounding::Nearest)
        .ticks() as u32;
    assert_eq!(
        info.rtp_timestamp.0,
        session.timestamp_offset().wrapping_add(pts)
    );
    // The first packet goes at the start, not seconds later.
    s.start(t0);
    let mut first = None;
    while let Some(t) = s.poll_transmit(t0) {
        if t.kind == TransmitKind::Rtp && t.track_id == video.id {
            first = Some(RtpPacket::parse(Bytes::copy_from_slice(t.datagram)).unwrap());
            break;
        }
    }
    let first = first.expect("the keyframe is due at the start");
    assert_eq!(first.sequence_number(), info.sequence_number);
    assert_eq!(first.timestamp(), info.rtp_timestamp);
}

#[test]
fn receiver_reports_come_back_as_events_of_their_track() {
    let f = fixture();
    let t0 = origin();
    let mut s = sender(&f, t0, Pacing::Paced(Speed::REAL_TIME));
    s.start(t0);
    let audio = f.tracks[1].id;
    let ssrc = s.session(audio).unwrap().ssrc();
    let block = ReportBlock {
        ssrc,
        fraction_lost: 3,
        cumulative_lost: 1,
        extended_highest_sequence: 9,
        jitter: 4,
        last_sender_report: 0,
        delay_since_last_sender_report: 0,
    };
    let mut wire = Vec::new();
    write_compound(
        &[RtcpPacket::ReceiverReport(ReceiverReport {
            ssrc: 0x0bad_cafe,
            reports: vec![block],
            profile_extension: Bytes::new(),
        })],
        &mut wire,
    )
    .unwrap();
    let wire = Bytes::from(wire);
    s.handle_rtcp(t0, audio, wire.clone()).unwrap();
    let event = s.poll_event().unwrap();
    assert_eq!(event.track_id, audio);
    assert_eq!(
        event.event,
        SenderEvent::ReceiverReport {
            reporter: 0x0bad_cafe,
            block,
            round_trip: None
        }
    );
    assert_eq!(s.poll_event(), None);
    assert!(s.session(audio).unwrap().members().eq([0x0bad_cafe]));
    assert_eq!(
        s.handle_rtcp(t0, 999, wire),
        Err(SessionError::UnknownTrack { track_id: 999 })
    );
    assert!(matches!(
        s.handle_rtcp(t0, audio, Bytes::from_static(&[0x80, 201, 0, 9])),
        Err(SessionError::Rtcp(_))
    ));
}

#[test]
fn live_pacing_sends_at_once() {
    let f = fixture();
    let t0 = origin();
    let mut s = sender(&f, t0, Pacing::Live);
    s.start(t0);
    // The samples of the whole file, all at the start instant.
    let mut rtp = 0;
    for smp in f.file.samples() {
        if !s.has_track(smp.track_id) {
            continue;
        }
        s.push(&smp).unwrap();
        while let Some(t) = s.poll_transmit(t0) {
            rtp += usize::from(t.kind == TransmitKind::Rtp);
        }
        assert_eq!(s.queued_payloads(), 0, "a live payload waited");
    }
    assert!(rtp > 0);
    assert_eq!(rtp as u64, s.packets_sent());
}

#[test]
fn bad_input_gets_typed_errors() {
    let f = fixture();
    let t0 = origin();
    let config =
        MediaSenderConfig::new("t", 1, WallClock::new(t0, UnixTime::from_unix(UNIX_START)));
    let twice = [f.tracks[0].clone(), f.tracks[0].clone()];
    assert!(matches!(
        MediaSender::new(config.clone(), &twice, &[]),
        Err(SessionError::DuplicateTrack { .. })
    ));
    let mut small = config.clone();
    small.max_queued_payloads = 1;
    small.packetizer.mtu = 2;
    assert!(matches!(
        MediaSender::new(small, &f.tracks, &f.shifts),
        Err(SessionError::Payload { .. })
    ));
    let mut s = MediaSender::new(config, &f.tracks, &f.shifts).unwrap();
    let mut video = f.file.track_samples(f.tracks[0].id).unwrap();
    let (a, b) = (video.next().unwrap(), video.next().unwrap());
    let other = Sample {
        track_id: 42,
        ..a.clone()
    };
    assert_eq!(
        s.push(&other),
        Err(SessionError::UnknownTrack { track_id: 42 })
    );
    s.push(&b).unwrap();
    assert!(matches!(s.push(&a), Err(SessionError::DecodeOrder { .. })));
}

#[test]
fn the_bye_waits_the_goodbye_delay_after_the_last_packet() {
    let f = fixture();
    let t0 = origin();
    let mut config = MediaSenderConfig::new(
        "test@streamkit",
        7,
        WallClock::new(t0, UnixTime::from_unix(UNIX_START)),
    );
    config.pacing = Pacing::Paced(Speed::ratio(10, 1).unwrap());
    config.goodbye_delay = Duration::from_millis(700);
    let mut s = MediaSender::new(config, &f.tracks, &f.shifts).unwrap();
    let sent = play(&mut s, &f, t0, 1);
    let last_rtp = sent
        .iter()
        .filter(|d| d.kind == TransmitKind::Rtp)
        .map(|d| d.at)
        .max()
        .unwrap();
    let byes: Vec<Duration> = sent
        .iter()
        .filter(|d| d.kind == TransmitKind::Rtcp)
        .filter(|d| {
            matches!(
                parse_compound(d.datagram.clone()).unwrap().last(),
                Some(RtcpPacket::Goodbye(_))
            )
        })
        .map(|d| d.at)
        .collect();
    assert_eq!(byes, [last_rtp + Duration::from_millis(700); 2]);
}
