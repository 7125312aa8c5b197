//! The audio of an elementary stream: ADTS frames (several per PES
//! packet, each its own sample) and Opus packets after their
//! `opus_control_header`, timed from their PES packet's PTS.

use super::*;

impl EsState {
    pub(super) fn aac(&mut self, start: usize, pts: i64, events: &mut impl Emit) {
        // Frames are split off the front of the buffer as they are read:
        // one reference count per frame, none for the PES packet itself.
        self.pes.advance(start);
        let mut offset = 0i64;
        while !self.pes.is_empty() {
            let rest = &self.pes[..];
            let Some(fixed) = rest.get(..7).map(|b| [b[0], b[1], b[2], b[3] & 0xF0]) else {
                return self.error(events, "ADTS header runs past the PES packet");
            };
            if self.adts_fixed != Some(fixed) || self.aac.is_none() {
                let header = match AdtsHeader::parse(rest) {
                    Ok(h) => h,
                    Err(e) => {
                        self.adts_fixed = None;
                        return events.push_back(TsEvent::Error(TsDemuxError::AccessUnit {
                            pid: self.pid,
                            packet: self.pes_packet,
                            reason: e.to_string(),
                        }));
                    }
                };
                match header.to_config() {
                    Ok(config) => {
                        if self.aac.as_ref() != Some(&config) {
                            let Some(timescale) = Timescale::new(config.sampling_frequency) else {
                                return self.error(events, "AAC sampling frequency 0");
                            };
                            self.aac = Some(config.clone());
                            self.next_audio_dts = None;
                            self.announce(
                                Track::new(
                                    u32::from(self.pid),
                                    timescale,
                                    CodecConfig::Aac(config),
                                ),
                                events,
                            );
                        }
                        self.adts_fixed = Some(fixed);
                    }
                    Err(e) => {
                        return events.push_back(TsEvent::Error(TsDemuxError::AccessUnit {
                            pid: self.pid,
                            packet: self.pes_packet,
                            reason: e.to_string(),
                        }));
                    }
                }
            }
            let rest = &self.pes[..];
            // The variable header: aac_frame_length, the raw data blocks;
            // a CRC when protection_absent is 0.
            let header_len = if rest[1] & 0x01 == 1 { 7 } else { 9 };
            let frame_len = (usize::from(rest[3] & 0x03) << 11)
                | (usize::from(rest[4]) << 3)
                | usize::from(rest[5] >> 5);
            let blocks = i64::from(rest[6] & 0x03) + 1;
            if frame_len < header_len || frame_len > rest.len() {
                return self.error(events, "ADTS frame runs past the PES packet");
            }
            let Some(track) = &self.track else {
                return;
            };
            let timescale = track.timescale;
            let frame_samples = 1024 * blocks;
            let pts90 = if offset == 0 {
                pts
            } else {
                pts + round_div(offset * 90_000, i64::from(timescale.hz()))
            };
            self.pes.advance(header_len);
            let raw = self.pes.split_to(frame_len - header_len).freeze();
            self.audio_sample(
                raw,
                pts,
                pts90,
                offset,
                frame_samples as u32,
                timescale,
                frame_len,
                events,
            );
            offset += frame_samples;
        }
    }

    /// One audio frame: `pes_pts` is its PES packet's PTS, `offset` its
    /// place after it in track ticks.
    #[allow(clippy::too_many_arguments)]
    fn audio_sample(
        &mut self,
        data: Bytes,
        pes_pts: i64,
        pts90: i64,
        offset: i64,
        duration: u32,
        timescale: Timescale,
        coded_len: usize,
        events: &mut impl Emit,
    ) {
        let base = rescale_from_90khz(pes_pts, timescale);
        let mut dts = base + offset;
        // Within a tick of where the last frame ended: continue exactly.
        if let Some(next) = self.next_audio_dts
            && (dts - next).abs() <= 1
        {
            dts = next;
        }
        self.next_audio_dts = Some(dts + i64::from(duration));
        let (pid, random_access, packet) = (self.pid, self.pes_random_access, self.pes_packet);
        events.push_with(|| {
            TsEvent::Sample(TsSample {
                pid,
                sample: Sample {
                    track_id: u32::from(self.pid),
                    dts,
                    composition_offset: 0,
                    duration,
                    timescale,
                    keyframe: true,
                    data,
                },
                pts: pts90,
                dts: pts90,
                coded_len,
                random_access,
                packet,
            })
        });
    }

    /// Opus in MPEG-TS (the ETSI mapping's framing, as FFmpeg writes it):
    /// each packet after an `opus_control_header`.
    pub(super) fn opus(&mut self, start: usize, pts: i64, events: &mut impl Emit) {
        if self.track.is_none() {
            let mut config = OpusConfig::stereo(0, 48_000);
            config.output_channel_count = 2;
            self.announce(
                Track::new(
                    u32::from(self.pid),
                    Timescale::AUDIO_48KHZ,
                    CodecConfig::Opus(config),
                ),
                events,
            );
        }
        let pes = self.pes.split().freeze();
        let mut pos = start;
        let mut offset = 0i64;
        while pos < pes.len() {
            let rest = &pes[pos..];
            let Some(control) = OpusControl::parse(rest) else {
                return self.error(events, "malformed Opus control header");
            };
            let (from, to) = (
                pos + control.header_len,
                pos + control.header_len + control.size,
            );
            let Some(packet) = pes.get(from..to) else {
                return self.error(events, "Opus packet runs past the PES packet");
            };
            let Some(duration) = opus_packet_duration(packet) else {
                return self.error(events, "Opus packet without a valid TOC");
            };
            let pts90 = if offset == 0 {
                pts
            } else {
                pts + round_div(offset * 90_000, 48_000)
            };
            self.audio_sample(
                pes.slice(from..to),
                pts,
                pts90,
                offset,
                duration,
                Timescale::AUDIO_48KHZ,
                control.size,
                events,
            );
            offset += i64::from(duration);
            pos = to;
        }
    }
}

/// The parsed `opus_control_header`.
struct OpusControl {
    header_len: usize,
    size: usize,
}

impl OpusControl {
    fn parse(data: &[u8]) -> Option<OpusControl> {
        let (&b0, &b1) = (data.first()?, data.get(1)?);
        if b0 != 0x7F || b1 & 0xE0 != 0xE0 {
            return None;
        }
        let (start_trim, end_trim, extension) = (b1 & 0x10 != 0, b1 & 0x08 != 0, b1 & 0x04 != 0);
        let mut pos = 2;
        let mut size = 0usize;
        loop {
            let b = *data.get(pos)?;
            pos += 1;
            size += usize::from(b);
            if b != 0xFF {
                break;
            }
        }
        if start_trim {
            pos += 2;
        }
        if end_trim {
            pos += 2;
        }
        if extension {
            pos += 1 + usize::from(*data.get(pos)?);
        }
        (pos <= data.len()).then_some(OpusControl {
            header_len: pos,
            size,
        })
    }
}

/// An Opus packet's duration in 48 kHz samples, from its TOC byte (RFC 6716
/// 3.1).
fn opus_packet_duration(packet: &[u8]) -> Option<u32> {
    let toc = *packet.first()?;
    let config = toc >> 3;
    // Frame sizes in units of 2.5 ms (120 samples at 48 kHz).
    let units: u32 = match config {
        0..=11 => [4, 8, 16, 24][usize::from(config % 4)],
        12..=15 => [4, 8][usize::from(config % 2)],
        _ => [1, 2, 4, 8][usize::from(config % 4)],
    };
    let frames = match toc & 0x03 {
        0 => 1,
        1 | 2 => 2,
        _ => u32::from(*packet.get(1)? & 0x3F),
    };
    let samples = units * 120 * frames;
    (frames > 0 && samples <= 5_760).then_some(samples)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn opus_packet_durations() {
        // CELT 20 ms, one frame; SILK 60 ms, two frames; code 3 with 3.
        assert_eq!(opus_packet_duration(&[0xF8]), Some(960));
        assert_eq!(opus_packet_duration(&[(3 << 3) | 1]), Some(5_760));
        assert_eq!(opus_packet_duration(&[(16 << 3) | 3, 3]), Some(360));
        assert_eq!(opus_packet_duration(&[(16 << 3) | 3, 0]), None);
        assert_eq!(opus_packet_duration(&[]), None);
    }
}
