//! Fuzz targets of this crate: each function runs a parser (or a
//! depacketizer) over arbitrary bytes, touches everything it returns and
//! checks round trips and invariants. The `fuzz/` crate at the repository
//! root calls them from libFuzzer; `tests/fuzz_smoke.rs` runs them over
//! captured packets and edge inputs on every test run. Not part of the
//! stable API.
//!
//! A failed assertion here is a bug in the parser or writer it names.
// A broken invariant must stop the fuzzer with the input that broke it.
#![allow(clippy::panic)]

use std::time::{Duration, Instant};

use bytes::Bytes;
use streamkit_core::nal::NalLengthSize;
use streamkit_core::time::{RtpTimestamp, SequenceNumber, Timescale};

use crate::extension::{ExtensionBlock, ExtensionElement};
use crate::jitter::{JitterBuffer, JitterConfig, PushOutcome, Released};
use crate::packet::{RtpHeader, RtpPacket};
use crate::payload::aac::{AacDepacketized, AacDepacketizer, AuHeaderLayout};
use crate::payload::h264::H264Depacketizer;
use crate::payload::h265::H265Depacketizer;
use crate::payload::latm::{LatmDepacketizer, StreamMuxConfig};
use crate::payload::opus::{OpusDepacketized, OpusDepacketizer};
use crate::payload::{Depacketized, DepacketizedUnit, Depacketizer, NalForm};
use crate::rtcp::{self, CompoundPackets, RtcpPacket};
use crate::sdp::codec::codec_from_media;
use crate::sdp::{Resolution, SessionDescription};
use crate::session::{FeedbackConfig, ReceiverConfig, RtpReceiver};

/// One RTP packet: every accessor and the invariants between them; the
/// packet written again from its parts has the same header, payload and
/// padding length; its RFC 8285 elements, written again in their form,
/// read back the same.
pub fn rtp_packet(data: &[u8]) {
    let Ok(p) = RtpPacket::parse(Bytes::copy_from_slice(data)) else {
        return;
    };
    let len = data.len();
    assert!(p.header_len() >= 12 && p.header_len() <= len, "header_len");
    assert_eq!(
        p.header_len() + p.payload().len() + p.padding_len(),
        len,
        "lengths add up"
    );
    assert_eq!(p.payload_offset(), p.header_len(), "payload_offset");
    assert_eq!(p.csrcs().count(), p.csrc_count(), "CSRC count");
    assert_eq!(p.payload_bytes(), &p.payload()[..], "payload views");
    assert_eq!(p.header_bytes(), &data[..p.header_len()], "header bytes");
    assert_eq!(p.has_padding(), p.padding_len() > 0, "padding flag");
    assert_eq!(p.has_extension(), p.extension().is_some(), "extension flag");
    let _ = format!("{p:?}");

    let csrcs: Vec<u32> = p.csrcs().collect();
    let extension = p.extension();
    let mut elements = Vec::new();
    let mut elements_ok = true;
    if let Some(ext) = extension {
        let _ = (ext.profile(), ext.data_offset(), ext.form(), ext.element(1));
        if let Some(iter) = ext.elements() {
            for e in iter {
                match e {
                    Ok(e) => {
                        assert!(e.id != 0, "element id 0 is padding");
                        elements.push(e);
                    }
                    Err(_) => elements_ok = false,
                }
            }
        }
    }
    let Ok(padding) = u8::try_from(p.padding_len()) else {
        panic!("padding length {} above 255", p.padding_len());
    };
    let header = RtpHeader {
        marker: p.marker(),
        payload_type: p.payload_type(),
        sequence_number: p.sequence_number(),
        timestamp: p.timestamp(),
        ssrc: p.ssrc(),
        csrcs: &csrcs,
        extension: extension.map(|e| e.to_block()),
        padding,
    };
    let mut out = Vec::new();
    let written = header.write(p.payload_bytes(), &mut out);
    assert_eq!(written, Ok(len), "rewriting a parsed packet");
    assert_eq!(
        &out[..len - p.padding_len()],
        &data[..len - p.padding_len()],
        "rewritten bytes"
    );
    let mut into = vec![0; len];
    assert_eq!(
        header.write_into(p.payload_bytes(), &mut into),
        Ok(len),
        "write_into"
    );
    assert_eq!(into, out, "write_into and write disagree");
    if let Ok(datagram) = header.datagram(p.payload()) {
        assert_eq!(datagram.len(), len, "datagram length");
        assert_eq!(datagram.slices().concat(), out, "datagram slices");
    }

    // The elements, written in the form they came in, read back the same.
    if let (Some(form), true) = (extension.and_then(|e| e.form()), elements_ok) {
        let header = RtpHeader {
            extension: Some(ExtensionBlock::ElementsInForm(form, &elements)),
            ..RtpHeader::default()
        };
        let mut out = Vec::new();
        if header.write(&[], &mut out).is_ok() {
            let again = RtpPacket::parse(Bytes::from(out));
            let back: Option<Vec<ExtensionElement<'_>>> = again.as_ref().ok().and_then(|a| {
                a.extension()
                    .and_then(|e| e.elements())
                    .map(|els| els.filter_map(Result::ok).collect())
            });
            assert_eq!(back.as_deref(), Some(&elements[..]), "elements round trip");
        }
    }
}

/// An RTCP compound packet: the iterator, `validate_compound` and
/// `parse_compound` agree; every packet's accessors; a compound that
/// parses and writes again parses to the same packets, and writing those
/// gives the same bytes.
pub fn rtcp(data: &[u8]) {
    let datagram = Bytes::copy_from_slice(data);
    let _ = rtcp::looks_like_rtcp(data);
    let iterated: Vec<_> = CompoundPackets::new(datagram.clone()).take(1024).collect();
    let validated = rtcp::validate_compound(data);
    let parsed = rtcp::parse_compound(datagram);
    match &parsed {
        Ok(packets) => {
            assert_eq!(validated, Ok(packets.len()), "validate_compound count");
            let ok: Vec<&RtcpPacket> = iterated.iter().filter_map(|r| r.as_ref().ok()).collect();
            assert_eq!(
                ok.len(),
                packets.len(),
                "iterator and parse_compound disagree"
            );
        }
        Err(e) => assert!(!e.to_string().is_empty()),
    }
    for p in iterated.iter().filter_map(|r| r.as_ref().ok()) {
        exercise_rtcp(p);
    }

    let Ok(packets) = parsed else { return };
    let mut out = Vec::new();
    let Ok(n) = rtcp::write_compound(&packets, &mut out) else {
        return;
    };
    assert_eq!(n, out.len(), "write_compound length");
    let again = rtcp::parse_compound(Bytes::from(out.clone()));
    assert_eq!(again.as_ref(), Ok(&packets), "RTCP round trip");
    let mut rewritten = Vec::new();
    assert_eq!(rtcp::write_compound(&packets, &mut rewritten), Ok(n));
    assert_eq!(rewritten, out, "RTCP writing is deterministic");
}

fn exercise_rtcp(p: &RtcpPacket) {
    let _ = p.packet_type();
    if let Ok(len) = p.encoded_len() {
        let mut out = Vec::new();
        assert_eq!(p.write(&mut out), Ok(len), "RTCP encoded_len");
        let mut into = vec![0; len];
        assert_eq!(p.write_into(&mut into), Ok(len), "RTCP write_into");
        assert_eq!(into, out, "RTCP write_into and write disagree");
    }
    match p {
        RtcpPacket::SenderReport(sr) => {
            let _ = sr.ntp_time.to_unix();
            assert!(sr.reports.len() <= 31, "at most 31 report blocks");
        }
        RtcpPacket::ReceiverReport(rr) => assert!(rr.reports.len() <= 31),
        RtcpPacket::SourceDescription(sdes) => {
            for chunk in &sdes.chunks {
                let _ = chunk.cname();
                for item in &chunk.items {
                    let _ = item.private_parts();
                }
            }
        }
        RtcpPacket::GenericNack(nack) => {
            let lost: Vec<SequenceNumber> = nack.lost_sequence_numbers().collect();
            let per_pair: usize = nack.pairs.iter().map(|pair| pair.lost().count()).sum();
            assert_eq!(lost.len(), per_pair, "NACK lost count");
        }
        _ => {}
    }
}

/// An SDP session description, read leniently and strictly: the strict
/// reader takes the bytes exactly when the lenient one reads them without
/// a warning, to the same description; every typed attribute accessor at
/// session and media level and the codec each payload type describes;
/// whatever the lenient reader makes of the bytes writes, reads back
/// equal (warning again only of the values it kept as written, so the
/// strict reader takes the output exactly when nothing was kept), and
/// writes the same text again.
pub fn sdp(data: &[u8]) {
    let strict = SessionDescription::parse_bytes_strict(data);
    let Ok(sd) = SessionDescription::parse_bytes(data) else {
        assert!(
            strict.is_err(),
            "the strict reader took what the lenient one refused"
        );
        return;
    };
    match &strict {
        Ok(s) => {
            assert!(
                sd.warnings.is_empty(),
                "read strictly, yet warned: {:?}",
                sd.warnings
            );
            assert_eq!(s, &sd, "strict and lenient readings differ");
        }
        Err(e) => assert!(
            !sd.warnings.is_empty(),
            "the strict reader refused ({e}) what the lenient one read without a warning"
        ),
    }
    for w in &sd.warnings {
        assert!(!w.to_string().is_empty());
    }
    let attribute_sets =
        std::iter::once(&sd.attributes).chain(sd.media.iter().map(|m| &m.attributes));
    for a in attribute_sets {
        for rtpmap in a.rtpmaps().flatten() {
            let _ = (rtpmap.channels(), rtpmap.to_string());
            let _ = a
                .fmtp(rtpmap.payload_type)
                .map(|f| f.map(|f| f.params().count()));
        }
        for ssrc in a.ssrcs() {
            let _ = ssrc;
        }
        let _ = (
            a.control(),
            a.rtcp_mux(),
            a.direction(),
            a.framerate(),
            a.rtcp(),
        );
        let _ = (a.len(), a.is_empty(), a.iter().count());
    }
    for m in &sd.media {
        for format in &m.formats {
            if let Ok(pt) = format.parse::<u8>() {
                let _ = codec_from_media(m, pt).map(|c| c.codec_string());
            }
        }
    }

    let text = match sd.write() {
        Ok(text) => text,
        Err(e) => panic!("the reader accepted what the writer refuses ({e}): {sd:?}"),
    };
    let Ok(back) = SessionDescription::parse(&text) else {
        panic!("the written description does not read:\n{text}");
    };
    let unwarned = |d: &SessionDescription| SessionDescription {
        warnings: Vec::new(),
        ..d.clone()
    };
    assert_eq!(unwarned(&back), unwarned(&sd), "SDP round trip:\n{text}");
    let mut kept: Vec<String> = sd
        .warnings
        .iter()
        .filter(|w| w.resolution == Resolution::Kept)
        .map(|w| format!("{:?}", w.deviation))
        .collect();
    let mut again: Vec<String> = back
        .warnings
        .iter()
        .map(|w| format!("{:?}", w.deviation))
        .collect();
    kept.sort();
    again.sort();
    assert_eq!(
        again, kept,
        "the output warns of more than the kept values:\n{text}"
    );
    assert_eq!(
        SessionDescription::parse_strict(&text).is_ok(),
        back.warnings.is_empty(),
        "strict reading of the output"
    );
    assert_eq!(
        back.write().as_deref(),
        Ok(text.as_str()),
        "SDP writing is deterministic"
    );
}

/// The payload depacketizers, driven by packets cut out of `data`.
///
/// The first byte picks the depacketizer (H.264, H.265, AAC-hbr, Opus) and
/// the output form; then each record is a length byte, a flags byte (bit 0:
/// marker, bits 1-3: sequence number step, bits 4-7: timestamp step in
/// 3000 ticks) and that many payload bytes. After each packet everything
/// is polled, and every access unit, frame or loss is checked; at the end
/// `finish` gives what was held, and a second `finish` nothing more.
pub fn depacketize(data: &[u8]) {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    let form = match (selector >> 2) % 4 {
        0 => NalForm::AnnexB,
        1 => NalForm::LengthPrefixed(NalLengthSize::One),
        2 => NalForm::LengthPrefixed(NalLengthSize::Two),
        _ => NalForm::LengthPrefixed(NalLengthSize::Four),
    };
    let mut depacketizer = match selector % 4 {
        0 => Depacketizer::H264(H264Depacketizer::new(form).with_max_access_unit(1 << 16)),
        1 => Depacketizer::H265(H265Depacketizer::new(form).with_max_access_unit(1 << 16)),
        2 => Depacketizer::Aac(AacDepacketizer::new(AuHeaderLayout::AAC_HBR, 1024)),
        _ => Depacketizer::Opus(OpusDepacketizer::new()),
    };
    for_each_packet(rest, 3000, |packet| {
        let _ = depacketizer.push(packet);
        drain(&mut depacketizer, Some(packet), form);
    });
    assert_eq!(depacketizer.finish(), Ok(()), "finish");
    drain(&mut depacketizer, None, form);
    assert_eq!(depacketizer.finish(), Ok(()), "a second finish");
    assert!(
        depacketizer.poll_unit().is_none(),
        "a second finish gave more"
    );
}

/// Polls `d` until `None`, checking each output (`packet`: the one just
/// pushed, `None` after `finish`).
fn drain(d: &mut Depacketizer, packet: Option<&RtpPacket>, form: NalForm) {
    let mut events = 0usize;
    while let Some(unit) = d.poll_unit() {
        events += 1;
        assert!(events <= 1 << 16, "polling never ends");
        match unit {
            DepacketizedUnit::Video(out) => check_depacketized(&out, form),
            DepacketizedUnit::Aac(AacDepacketized::Frame(f)) => {
                assert!(
                    f.data.len() <= AuHeaderLayout::AAC_HBR.max_frame_size(),
                    "AAC frame above the AU-size limit"
                );
                if let Some(p) = packet {
                    assert!(
                        f.sequence_number == p.sequence_number(),
                        "AAC frame's packet"
                    );
                }
            }
            DepacketizedUnit::Opus(OpusDepacketized::Packet(o)) => {
                let Some(p) = packet else {
                    panic!("an Opus packet after finish");
                };
                assert_eq!(o.data, p.payload(), "an Opus packet is the whole payload");
                assert_eq!(o.sequence_number, p.sequence_number());
                assert!(events <= 2, "Opus gives a loss and a packet at most");
            }
            _ => {}
        }
    }
    match d {
        Depacketizer::H264(d) => {
            let _ = d.parameter_sets().count();
        }
        Depacketizer::H265(d) => {
            let _ = d.parameter_sets().count();
        }
        Depacketizer::Aac(d) => d.check_invariants(),
        _ => {}
    }
}

/// MP4A-LATM: the first byte's bit 0 is `cpresent`, bit 1 picks a
/// StreamMuxConfig from the input (the next byte its length, then its
/// bytes: it must write back and read the same) over ffmpeg's; then
/// records as in [`depacketize`]. Every frame has bytes and fits the
/// element limit, every event comes from the packet just pushed (or
/// earlier ones), the invariants hold after each push, and `finish` ends
/// what was held.
pub fn latm(data: &[u8]) {
    let Some((&selector, mut rest)) = data.split_first() else {
        return;
    };
    let mut config = StreamMuxConfig::parse(&[0x40, 0x00, 0x24, 0x10, 0x3f, 0xc0])
        .unwrap_or_else(|e| panic!("ffmpeg's config: {e}"));
    if selector & 2 != 0 {
        let Some((&len, tail)) = rest.split_first() else {
            return;
        };
        let take = usize::from(len).min(tail.len());
        let (bytes, tail) = tail.split_at(take);
        rest = tail;
        let Ok(parsed) = StreamMuxConfig::parse(bytes) else {
            return;
        };
        let written = parsed
            .to_bytes()
            .unwrap_or_else(|e| panic!("a parsed StreamMuxConfig does not write: {e}"));
        assert_eq!(
            StreamMuxConfig::parse(&written).as_ref(),
            Ok(&parsed),
            "StreamMuxConfig round trip"
        );
        config = parsed;
    }
    let max = 4096;
    let mut d = LatmDepacketizer::with_config(config, selector & 1 != 0).with_max_element(max);
    let check = |d: &mut LatmDepacketizer, last: SequenceNumber| {
        let mut events = 0usize;
        while let Some(e) = d.poll_frame() {
            events += 1;
            assert!(events <= 4 * 1024, "polling never ends");
            if let AacDepacketized::Frame(f) = e {
                assert!(!f.data.is_empty(), "an empty LATM frame");
                assert!(f.data.len() <= max, "a LATM frame above the element limit");
                assert!(
                    last.0.wrapping_sub(f.sequence_number.0) < 0x8000,
                    "a LATM frame from a packet not yet pushed"
                );
            }
        }
        d.check_invariants();
    };
    let mut seq = SequenceNumber::new(1);
    for_each_packet(rest, 1024, |packet| {
        seq = packet.sequence_number();
        let _ = d.push(packet);
        check(&mut d, seq);
    });
    assert_eq!(d.finish(), Ok(()), "finish");
    check(&mut d, seq);
    assert_eq!(d.finish(), Ok(()), "a second finish");
    assert!(d.poll_frame().is_none(), "a second finish gave more");
}

/// The RTP packets the records of `rest` make, to `f` in turn: each
/// record is a length byte, a flags byte (bit 0: marker, bits 1-3:
/// sequence number step, bits 4-7: timestamp step in `tick` units) and
/// that many payload bytes (fewer at the end of `rest`).
fn for_each_packet(mut rest: &[u8], tick: u32, mut f: impl FnMut(&RtpPacket)) {
    let mut seq = SequenceNumber::new(1);
    let mut timestamp = RtpTimestamp::new(0);
    while let Some((&[len, flags], tail)) = rest.split_first_chunk::<2>() {
        let take = usize::from(len).min(tail.len());
        let (payload, tail) = tail.split_at(take);
        rest = tail;
        seq = SequenceNumber::new(seq.0.wrapping_add(u16::from((flags >> 1) & 7)));
        timestamp = RtpTimestamp::new(timestamp.0.wrapping_add(tick * u32::from(flags >> 4)));
        let header = RtpHeader {
            marker: flags & 1 != 0,
            payload_type: 96,
            sequence_number: seq,
            timestamp,
            ..RtpHeader::default()
        };
        let mut datagram = Vec::new();
        if header.write(payload, &mut datagram).is_err() {
            continue;
        }
        let Ok(packet) = RtpPacket::parse(Bytes::from(datagram)) else {
            panic!("a written packet does not parse");
        };
        f(&packet);
    }
}

/// The jitter buffer over arbitrary packet arrivals: the first two bytes
/// are the latency in milliseconds and the capacity (1 to 64); each record
/// is three bytes, a sequence number and a time step in milliseconds whose
/// top bit makes the record a timeout instead of a push. Whatever arrives,
/// releases come in sequence order with no gap or overlap (a packet, or a
/// lost run, starts where the previous release ended), only pushed packets
/// come out, the invariants hold after every call, and `finish` empties
/// the buffer. `origin` is the virtual clock's start.
pub fn jitter(origin: Instant, data: &[u8]) {
    let Some((&[latency, capacity], mut rest)) = data.split_first_chunk::<2>() else {
        return;
    };
    let mut jb: JitterBuffer<SequenceNumber> = JitterBuffer::new(JitterConfig {
        latency: Duration::from_millis(u64::from(latency)),
        capacity: usize::from(capacity % 64) + 1,
    });
    let mut now = origin;
    let mut next: Option<SequenceNumber> = None;
    let mut accepted = std::collections::BTreeSet::new();
    let mut released = 0u64;
    let mut check = |jb: &mut JitterBuffer<SequenceNumber>,
                     next: &mut Option<SequenceNumber>,
                     accepted: &std::collections::BTreeSet<u16>| {
        let mut polls = 0;
        while let Some(r) = jb.poll_packet() {
            polls += 1;
            assert!(polls <= 1 << 17, "polling never ends");
            let (first, count) = match r {
                Released::Packet(s) => {
                    assert!(accepted.contains(&s.0), "released {s:?}, never accepted");
                    released += 1;
                    (s, 1)
                }
                Released::Lost { first, count } => {
                    assert!(count > 0, "an empty lost run");
                    (first, count)
                }
            };
            if let Some(n) = *next {
                assert_eq!(first, n, "a release does not start where the last ended");
            }
            *next = Some(SequenceNumber::new(
                first.0.wrapping_add((count % 65_536) as u16),
            ));
            jb.check_invariants();
        }
        jb.check_invariants();
        assert_eq!(jb.stats().released, released, "released count");
    };
    while let Some((&[hi, lo, step], tail)) = rest.split_first_chunk::<3>() {
        rest = tail;
        now += Duration::from_millis(u64::from(step & 0x7f));
        if step & 0x80 != 0 {
            jb.handle_timeout(now);
        } else {
            let seq = SequenceNumber::new(u16::from_be_bytes([hi, lo]));
            if jb.push(now, seq) == PushOutcome::Accepted {
                accepted.insert(seq.0);
            }
        }
        check(&mut jb, &mut next, &accepted);
        if let Some(t) = jb.poll_timeout()
            && t <= now
        {
            jb.handle_timeout(now);
            check(&mut jb, &mut next, &accepted);
        }
    }
    jb.finish();
    check(&mut jb, &mut next, &accepted);
    assert!(jb.is_empty(), "finish left packets held");
    assert_eq!(jb.poll_timeout(), None, "a timeout with nothing held");
    jb.finish();
    assert!(jb.poll_packet().is_none(), "a second finish gave more");
}

/// The receiver session over arbitrary input: RTP packets from a few
/// sources, RTCP datagrams of arbitrary bytes, timeouts and keyframe
/// requests. The first byte picks NACKs on or off and the RFC 4585
/// feedback rules on or off; then each record starts with a kind byte:
/// `0` an RTP packet (source, sequence number, timestamp: 5 more bytes),
/// `1` an RTCP datagram (a length byte, then the bytes), `2` a timeout,
/// `3` a PLI request (a source byte); its top bits step the clock. Every
/// datagram the receiver sends parses as RTCP, the invariants hold after
/// every call, after a timeout at `now` the next is later than `now`, and
/// `finish` ends with a BYE and no more timeouts.
pub fn receiver(origin: Instant, data: &[u8]) {
    let Some((&selector, mut rest)) = data.split_first() else {
        return;
    };
    let mut config = ReceiverConfig::new(Timescale::VIDEO_90KHZ, "fuzz@streamkit", 7);
    config.max_sources = 4;
    if selector & 1 == 0 {
        config.nack = None;
    }
    if selector & 2 != 0 {
        config.feedback = Some(FeedbackConfig {
            min_report_interval: Duration::from_millis(u64::from(selector >> 2) * 100),
            max_delay: Duration::from_millis(500),
        });
    }
    let mut rx = RtpReceiver::new(origin, config);
    let mut now = origin;
    let drain = |rx: &mut RtpReceiver| {
        while let Some(d) = rx.poll_transmit() {
            assert!(
                rtcp::parse_compound(d).is_ok(),
                "the receiver sent bad RTCP"
            );
        }
        while rx.poll_event().is_some() {}
        rx.check_invariants();
    };
    const SOURCES: [u32; 5] = [0x1111, 0x2222, 0x3333, 0x4444, 0x5555];
    while let Some((&kind, tail)) = rest.split_first() {
        rest = tail;
        now += Duration::from_millis(u64::from(kind >> 2) * 7);
        match kind & 3 {
            0 => {
                let Some((&[src, s1, s2, t1, t2], tail)) = rest.split_first_chunk::<5>() else {
                    break;
                };
                rest = tail;
                let header = RtpHeader {
                    payload_type: 96,
                    sequence_number: SequenceNumber::new(u16::from_be_bytes([s1, s2])),
                    timestamp: RtpTimestamp::new(u32::from(u16::from_be_bytes([t1, t2])) * 90),
                    ssrc: SOURCES[usize::from(src) % SOURCES.len()],
                    ..RtpHeader::default()
                };
                let mut datagram = Vec::new();
                if header.write(&[1, 2, 3], &mut datagram).is_ok()
                    && let Ok(p) = RtpPacket::parse(Bytes::from(datagram))
                {
                    let _ = rx.handle_rtp(now, &p);
                }
            }
            1 => {
                let Some((&len, tail)) = rest.split_first() else {
                    break;
                };
                let take = usize::from(len).min(tail.len());
                let (datagram, tail) = tail.split_at(take);
                rest = tail;
                let _ = rx.handle_rtcp(now, Bytes::copy_from_slice(datagram));
            }
            2 => {
                rx.handle_timeout(now);
                drain(&mut rx);
                if let Some(t) = rx.poll_timeout() {
                    assert!(t > now, "a timeout at {t:?} after handling {now:?}");
                }
            }
            _ => {
                let Some((&src, tail)) = rest.split_first() else {
                    break;
                };
                rest = tail;
                rx.request_keyframe(now, SOURCES[usize::from(src) % SOURCES.len()]);
            }
        }
        drain(&mut rx);
    }
    assert_eq!(rx.finish(now), Ok(()));
    let last = core::iter::from_fn(|| rx.poll_transmit()).last();
    let Some(Ok(packets)) = last.map(rtcp::parse_compound) else {
        panic!("finish sent nothing");
    };
    assert!(
        matches!(packets.last(), Some(RtcpPacket::Goodbye(b)) if b.sources == [rx.ssrc()]),
        "finish did not end with a BYE"
    );
    assert_eq!(rx.poll_timeout(), None, "a timeout after finish");
    assert_eq!(rx.finish(now), Ok(()));
    assert!(rx.poll_transmit().is_none(), "a second finish sent more");
}

fn check_depacketized(out: &Depacketized, form: NalForm) {
    match out {
        Depacketized::AccessUnit(unit) => {
            assert_eq!(unit.form, form, "access unit form");
            assert!(!unit.data.is_empty(), "empty access unit");
            assert!(unit.data.len() <= 1 << 16, "access unit above the limit");
            if let NalForm::LengthPrefixed(size) = form {
                // Every byte is in a unit or its length prefix.
                let units: usize = unit.nal_units().map(|u| u.len()).sum();
                let framing = usize::from(size.bytes()) * unit.nal_units().count();
                assert_eq!(units + framing, unit.data.len(), "NAL framing adds up");
            }
            let _ = format!("{unit:?}");
        }
        Depacketized::Loss(loss) => {
            let _ = (
                loss.lost_packets,
                loss.sequence_number,
                loss.keyframe_request,
            );
        }
        Depacketized::ParameterSets(sets) => {
            assert!(!sets.is_empty() && sets.len() <= 3, "parameter sets count");
        }
    }
}
