//! Reading SDP: lines, the order RFC 8866 section 5 gives them in, and the
//! two modes. The lenient reader keeps what a line holds wherever the
//! meaning is clear and records a [`SdpWarning`] for each deviation; the
//! strict reader returns an error at the first. Both run the same code: a
//! deviation either becomes a warning or ends the read.

use super::fields::{self, Line};
use super::grammar::{is_key, is_repeat, is_zone};
use super::*;

/// Where a line type goes in the session part (RFC 8866 section 5).
fn session_stage(kind: char) -> Option<u8> {
    Some(match kind {
        'v' => 0,
        'o' => 1,
        's' => 2,
        'i' => 3,
        'u' => 4,
        'e' => 5,
        'p' => 6,
        'c' => 7,
        'b' => 8,
        't' | 'r' => 9,
        'z' => 10,
        'k' => 11,
        'a' => 12,
        _ => return None,
    })
}

/// Where a line type goes in a media section.
fn media_stage(kind: char) -> Option<u8> {
    Some(match kind {
        'i' => 1,
        'c' => 2,
        'b' => 3,
        'k' => 4,
        'a' => 5,
        _ => return None,
    })
}

/// A check of a value's grammar (`r=`, `z=`, `k=`).
type Grammar = fn(&str) -> bool;

/// Session-level line types RFC 8866 allows once.
fn session_once(kind: char) -> bool {
    matches!(kind, 'v' | 'o' | 's' | 'i' | 'u' | 'c' | 'z' | 'k')
}

const SESSION_ORDER: &str =
    "session lines go in the order v, o, s, i, u, e, p, c, b, t (with r), z, k, a, m";
const MEDIA_ORDER: &str = "media lines go in the order i, c, b, k, a";

/// The lines of `text`: numbered from 1 (blank lines count), ends of CR,
/// spaces and tabs stripped, blank lines left out.
fn split_lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    text.split('\n')
        .enumerate()
        .map(|(i, l)| (i + 1, l.trim_end_matches(['\r', ' ', '\t'])))
        .filter(|(_, l)| !l.is_empty())
}

/// The indexes of `items` (line stages, in line order) to call out of
/// order: those outside the heaviest run that keeps the order, where every
/// line but `a=` outweighs all `a=` lines together (so a block of
/// attributes before `t=` is what moves, not `t=`). Between runs of equal
/// weight, the one that keeps the earlier of two lines that cross is
/// taken, so the later is called out of order, as the strict reader does.
fn out_of_order(items: &[(usize, char, u8)]) -> Vec<usize> {
    const STAGES: usize = 13;
    let weight = |kind: char| if kind == 'a' { 1u64 } else { 1 << 32 };
    // best[s]: the heaviest run ending at stage s so far, and its last item.
    let mut best: [Option<(u64, usize)>; STAGES] = [None; STAGES];
    let mut previous: Vec<Option<usize>> = Vec::with_capacity(items.len());
    for (i, &(_, kind, stage)) in items.iter().enumerate() {
        let stage = usize::from(stage).min(STAGES - 1);
        // The heaviest run this line can extend; on equal weight, the one
        // ending at the higher stage.
        let before = best
            .get(..=stage)
            .unwrap_or(&[])
            .iter()
            .flatten()
            .copied()
            .fold(None, |acc: Option<(u64, usize)>, run| match acc {
                Some(a) if a.0 > run.0 => Some(a),
                _ => Some(run),
            });
        previous.push(before.map(|(_, last)| last));
        let total = before.map_or(0, |(w, _)| w) + weight(kind);
        if let Some(slot) = best.get_mut(stage)
            && slot.is_none_or(|(w, _)| total > w)
        {
            *slot = Some((total, i));
        }
    }
    let mut in_run = vec![false; items.len()];
    let mut at = best
        .iter()
        .flatten()
        .copied()
        .fold(None, |acc: Option<(u64, usize)>, run| match acc {
            Some(a) if a.0 > run.0 => Some(a),
            _ => Some(run),
        })
        .map(|(_, last)| last);
    while let Some(i) = at {
        if let Some(slot) = in_run.get_mut(i) {
            *slot = true;
        }
        at = previous.get(i).copied().flatten();
    }
    (0..items.len())
        .filter(|&i| !in_run.get(i).copied().unwrap_or(true))
        .collect()
}

/// The media section being read.
struct MediaSection {
    /// The lines' stages, for the order check.
    order: Vec<(usize, char, u8)>,
    /// The highest stage so far (the strict check).
    max_stage: u8,
    seen_information: bool,
    seen_key: bool,
    /// The `m=` line did not read: the section's lines are dropped; the
    /// warning to update with their count.
    dropped: Option<usize>,
    lines: usize,
}

pub(super) struct Reader {
    strict: bool,
    warnings: Vec<SdpWarning>,
    sd: SessionDescription,
    /// Session-level line types read (bit `kind - 'a'`).
    seen: u32,
    /// A `v=` or `o=` line was there, readable or not.
    any_core_line: bool,
    /// The first `<type>=` line.
    first_line: Option<usize>,
    /// The session lines' stages, for the order check (lenient).
    session_order: Vec<(usize, char, u8)>,
    /// The highest session stage so far (strict).
    session_max: u8,
    /// The type of the last session line kept, for `r=`.
    last_session_kind: Option<char>,
    media: Option<MediaSection>,
    /// The line where the session part ended.
    session_end: Option<usize>,
    last_line: usize,
}

impl Reader {
    pub(super) fn new(strict: bool, warnings: Vec<SdpWarning>) -> Reader {
        let mut sd = SessionDescription::new(
            Origin {
                username: "-".into(),
                session_id: "0".into(),
                session_version: "0".into(),
                net_type: "IN".into(),
                addr_type: "IP4".into(),
                unicast_address: "0.0.0.0".into(),
            },
            "",
        );
        sd.times.clear();
        Reader {
            strict,
            warnings,
            sd,
            seen: 0,
            any_core_line: false,
            first_line: None,
            session_order: Vec::new(),
            session_max: 0,
            last_session_kind: None,
            media: None,
            session_end: None,
            last_line: 0,
        }
    }

    /// Records a deviation: a warning when lenient, the error (`strict`,
    /// or the warning itself) when strict.
    pub(super) fn deviate(
        &mut self,
        line: usize,
        deviation: Deviation,
        resolution: Resolution,
        strict: Option<SdpError>,
    ) -> Result<(), SdpError> {
        let warning = SdpWarning {
            line,
            deviation,
            resolution,
        };
        if self.strict {
            return Err(strict.unwrap_or(SdpError::Deviation { warning }));
        }
        self.warnings.push(warning);
        Ok(())
    }

    fn seen(&self, kind: char) -> bool {
        self.seen & bit(kind) != 0
    }

    /// Reads the whole text.
    pub(super) fn read(mut self, text: &str) -> Result<SessionDescription, SdpError> {
        let end = text.trim_end_matches(['\0', '\r', '\n', ' ', '\t']).len();
        let (body, tail) = text.split_at(end);
        if let Some(nul) = tail.find('\0') {
            let line = 1 + text.get(..end + nul).map_or(0, |t| t.matches('\n').count());
            self.deviate(line, Deviation::TrailingNul, Resolution::Dropped, None)?;
        }
        for (number, raw) in split_lines(body) {
            self.last_line = number;
            self.line(number, raw)?;
        }
        self.finish()
    }

    fn line(&mut self, number: usize, raw: &str) -> Result<(), SdpError> {
        let mut chars = raw.chars();
        let kind = chars.next().unwrap_or(' ');
        if !kind.is_ascii_lowercase() || chars.next() != Some('=') {
            if let Some(m) = &mut self.media {
                m.lines += 1;
            }
            return self.deviate(
                number,
                Deviation::NotALine {
                    text: raw.to_owned(),
                },
                Resolution::Dropped,
                Some(SdpError::Syntax {
                    line: number,
                    column: 1,
                    what: "expected `<type>=<value>` with a lowercase type letter",
                }),
            );
        }
        let line = Line {
            number,
            value: raw.get(2..).unwrap_or(""),
        };
        if self.first_line.is_none() {
            self.first_line = Some(number);
            if kind != 'v' && self.strict {
                return Err(SdpError::Order {
                    line: number,
                    kind,
                    what: "a description starts with `v=`",
                });
            }
        }
        if matches!(kind, 'v' | 'o') {
            self.any_core_line = true;
        }
        if kind == 'm' {
            self.end_media()?;
            self.session_end.get_or_insert(number);
            return self.media_line(&line);
        }
        let Some(media) = &mut self.media else {
            return self.session_line(&line, kind, false);
        };
        media.lines += 1;
        if media.dropped.is_some() {
            return Ok(());
        }
        if media_stage(kind).is_some() {
            return self.media_section_line(&line, kind);
        }
        if session_stage(kind).is_some() {
            self.deviate(
                number,
                Deviation::SessionLineInMedia { kind },
                Resolution::Corrected,
                Some(SdpError::Order {
                    line: number,
                    kind,
                    what: "a media section allows only i, c, b, k, a (in that order) and m",
                }),
            )?;
            return self.session_line(&line, kind, true);
        }
        self.deviate(
            number,
            Deviation::UnknownType { kind },
            Resolution::Dropped,
            Some(SdpError::Order {
                line: number,
                kind,
                what: "unknown line type",
            }),
        )
    }

    fn session_line(
        &mut self,
        line: &Line<'_>,
        kind: char,
        from_media: bool,
    ) -> Result<(), SdpError> {
        let number = line.number;
        let Some(stage) = session_stage(kind) else {
            return self.deviate(
                number,
                Deviation::UnknownType { kind },
                Resolution::Dropped,
                Some(SdpError::Order {
                    line: number,
                    kind,
                    what: "unknown line type",
                }),
            );
        };
        if session_once(kind) && self.seen(kind) {
            return self.deviate(
                number,
                Deviation::Repeated {
                    kind,
                    value: line.value.to_owned(),
                },
                Resolution::Dropped,
                Some(SdpError::Order {
                    line: number,
                    kind,
                    what: "v, o, s, i, u, c, z and k appear once in the session part",
                }),
            );
        }
        if !self.session_value(line, kind)? {
            return Ok(());
        }
        self.seen |= bit(kind);
        if from_media {
            return Ok(());
        }
        match kind {
            'v' => {
                if self.first_line != Some(number) {
                    self.deviate(
                        number,
                        Deviation::OutOfOrder { kind },
                        Resolution::Corrected,
                        None,
                    )?;
                }
            }
            'r' => {
                if !matches!(self.last_session_kind, Some('t' | 'r')) {
                    self.deviate(
                        number,
                        Deviation::OutOfOrder { kind },
                        Resolution::Corrected,
                        Some(SdpError::Order {
                            line: number,
                            kind,
                            what: "`r=` lines follow their `t=` line",
                        }),
                    )?;
                }
            }
            _ => {
                if self.strict && stage < self.session_max {
                    return Err(SdpError::Order {
                        line: number,
                        kind,
                        what: SESSION_ORDER,
                    });
                }
                self.session_max = self.session_max.max(stage);
                self.session_order.push((number, kind, stage));
            }
        }
        self.last_session_kind = Some(kind);
        Ok(())
    }

    /// Reads a session line's value into the description; `false` when it
    /// was dropped.
    fn session_value(&mut self, line: &Line<'_>, kind: char) -> Result<bool, SdpError> {
        match kind {
            'v' => self.sd.version = fields::version(self, line)?,
            'o' => self.sd.origin = fields::origin(self, line)?,
            's' => match fields::text(self, line, 's', Resolution::Corrected)? {
                Some(name) => self.sd.session_name = name,
                None => self.sd.session_name.clear(),
            },
            'c' => match fields::connection(self, line)? {
                Some(c) => self.sd.connection = Some(c),
                None => return Ok(false),
            },
            'b' => match fields::bandwidth(self, line)? {
                Some(b) => self.sd.bandwidths.push(b),
                None => return Ok(false),
            },
            't' => match fields::time(self, line)? {
                Some(t) => self.sd.times.push(t),
                None => return Ok(false),
            },
            'r' => return self.repeat(line),
            'a' => match fields::attribute(self, line)? {
                Some(a) => self.sd.attributes.push(a),
                None => return Ok(false),
            },
            _ => {
                let grammar: Option<(Grammar, &'static str)> = match kind {
                    'z' => Some((is_zone, "expected `<adjustment time> <offset>` pairs")),
                    'k' => Some((is_key, "expected `<method>` or `<method>:<key>`")),
                    _ => None,
                };
                let Some(value) = fields::text(self, line, kind, Resolution::Dropped)? else {
                    return Ok(false);
                };
                if let Some((valid, what)) = grammar
                    && !valid(&value)
                {
                    self.deviate(
                        line.number,
                        Deviation::Unreadable { kind, what },
                        Resolution::Dropped,
                        None,
                    )?;
                    return Ok(false);
                }
                match kind {
                    'i' => self.sd.information = Some(value),
                    'u' => self.sd.uri = Some(value),
                    'e' => self.sd.emails.push(value),
                    'p' => self.sd.phones.push(value),
                    'z' => self.sd.time_zones = Some(value),
                    _ => self.sd.key = Some(value),
                }
            }
        }
        Ok(true)
    }

    fn repeat(&mut self, line: &Line<'_>) -> Result<bool, SdpError> {
        if self.sd.times.is_empty() {
            self.deviate(
                line.number,
                Deviation::Unreadable {
                    kind: 'r',
                    what: "`r=` before any `t=` line",
                },
                Resolution::Dropped,
                Some(SdpError::Order {
                    line: line.number,
                    kind: 'r',
                    what: "`r=` follows a `t=` line",
                }),
            )?;
            return Ok(false);
        }
        let Some(value) = fields::text(self, line, 'r', Resolution::Dropped)? else {
            return Ok(false);
        };
        if !is_repeat(&value) {
            self.deviate(
                line.number,
                Deviation::Unreadable {
                    kind: 'r',
                    what: "expected `<repeat interval> <active duration> <offset>...`",
                },
                Resolution::Dropped,
                None,
            )?;
            return Ok(false);
        }
        if let Some(t) = self.sd.times.last_mut() {
            t.repeats.push(value);
        }
        Ok(true)
    }

    fn media_line(&mut self, line: &Line<'_>) -> Result<(), SdpError> {
        let mut section = MediaSection {
            order: Vec::new(),
            max_stage: 0,
            seen_information: false,
            seen_key: false,
            dropped: None,
            lines: 1,
        };
        match fields::media(line) {
            Ok(m) => {
                if m.formats.is_empty() {
                    self.deviate(line.number, Deviation::NoFormat, Resolution::Kept, None)?;
                }
                self.sd.media.push(m);
            }
            Err((what, error)) => {
                self.deviate(
                    line.number,
                    Deviation::UnreadableMedia { what, lines: 1 },
                    Resolution::Dropped,
                    Some(error),
                )?;
                section.dropped = Some(self.warnings.len() - 1);
            }
        }
        self.media = Some(section);
        Ok(())
    }

    fn media_section_line(&mut self, line: &Line<'_>, kind: char) -> Result<(), SdpError> {
        let number = line.number;
        let once = match kind {
            'i' => self.media.as_ref().is_some_and(|m| m.seen_information),
            'k' => self.media.as_ref().is_some_and(|m| m.seen_key),
            _ => false,
        };
        if once {
            return self.deviate(
                number,
                Deviation::Repeated {
                    kind,
                    value: line.value.to_owned(),
                },
                Resolution::Dropped,
                Some(SdpError::Order {
                    line: number,
                    kind,
                    what: "media lines go in the order i, c, b, k, a; i and k once",
                }),
            );
        }
        let stored = match kind {
            'i' => fields::text(self, line, 'i', Resolution::Dropped)?.map(|i| {
                if let Some(m) = self.sd.media.last_mut() {
                    m.information = Some(i);
                }
            }),
            'c' => fields::connection(self, line)?.map(|c| {
                if let Some(m) = self.sd.media.last_mut() {
                    m.connections.push(c);
                }
            }),
            'b' => fields::bandwidth(self, line)?.map(|b| {
                if let Some(m) = self.sd.media.last_mut() {
                    m.bandwidths.push(b);
                }
            }),
            'k' => match fields::text(self, line, 'k', Resolution::Dropped)? {
                Some(k) if is_key(&k) => {
                    if let Some(m) = self.sd.media.last_mut() {
                        m.key = Some(k);
                    }
                    Some(())
                }
                Some(_) => {
                    self.deviate(
                        number,
                        Deviation::Unreadable {
                            kind,
                            what: "expected `<method>` or `<method>:<key>`",
                        },
                        Resolution::Dropped,
                        None,
                    )?;
                    None
                }
                None => None,
            },
            _ => match fields::attribute(self, line)? {
                Some(a) => {
                    self.unlisted_format(number, &a)?;
                    if let Some(m) = self.sd.media.last_mut() {
                        m.attributes.push(a);
                    }
                    Some(())
                }
                None => None,
            },
        };
        if stored.is_none() {
            return Ok(());
        }
        let strict = self.strict;
        let Some(section) = &mut self.media else {
            return Ok(());
        };
        match kind {
            'i' => section.seen_information = true,
            'k' => section.seen_key = true,
            _ => {}
        }
        let stage = media_stage(kind).unwrap_or(5);
        if strict && stage < section.max_stage {
            return Err(SdpError::Order {
                line: number,
                kind,
                what: MEDIA_ORDER,
            });
        }
        section.max_stage = section.max_stage.max(stage);
        section.order.push((number, kind, stage));
        Ok(())
    }

    /// An `rtpmap` or `fmtp` for a format the `m=` line does not list.
    fn unlisted_format(&mut self, number: usize, a: &Attribute) -> Result<(), SdpError> {
        let attribute = match a.name.as_str() {
            "rtpmap" => "rtpmap",
            "fmtp" => "fmtp",
            _ => return Ok(()),
        };
        let format = a
            .value
            .as_deref()
            .unwrap_or("")
            .trim_start()
            .split(' ')
            .next()
            .unwrap_or("");
        let listed = self
            .sd
            .media
            .last()
            .is_some_and(|m| m.formats.iter().any(|f| f == format));
        if listed {
            return Ok(());
        }
        self.deviate(
            number,
            Deviation::UnlistedFormat {
                attribute,
                format: format.to_owned(),
            },
            Resolution::Kept,
            None,
        )
    }

    /// Ends the media section being read: its order warnings, the count of
    /// a dropped section's lines.
    fn end_media(&mut self) -> Result<(), SdpError> {
        let Some(section) = self.media.take() else {
            return Ok(());
        };
        if let Some(w) = section.dropped
            && let Some(SdpWarning {
                deviation: Deviation::UnreadableMedia { lines, .. },
                ..
            }) = self.warnings.get_mut(w)
        {
            *lines = section.lines;
        }
        self.order_warnings(&section.order)
    }

    fn order_warnings(&mut self, items: &[(usize, char, u8)]) -> Result<(), SdpError> {
        for i in out_of_order(items) {
            if let Some(&(line, kind, _)) = items.get(i) {
                self.deviate(
                    line,
                    Deviation::OutOfOrder { kind },
                    Resolution::Corrected,
                    None,
                )?;
            }
        }
        Ok(())
    }

    fn finish(mut self) -> Result<SessionDescription, SdpError> {
        self.end_media()?;
        if !self.strict && !self.any_core_line {
            return Err(SdpError::NotSdp);
        }
        let order = core::mem::take(&mut self.session_order);
        self.order_warnings(&order)?;
        let end = self.session_end.unwrap_or(self.last_line + 1);
        for kind in ['v', 'o', 's'] {
            if !self.seen(kind) {
                self.deviate(
                    end,
                    Deviation::Missing { kind },
                    Resolution::Corrected,
                    Some(SdpError::Missing { kind }),
                )?;
            }
        }
        if self.sd.times.is_empty() {
            self.deviate(
                end,
                Deviation::Missing { kind: 't' },
                Resolution::Corrected,
                Some(SdpError::Missing { kind: 't' }),
            )?;
            self.sd.times.push(TimeDescription {
                start: 0,
                stop: 0,
                repeats: Vec::new(),
            });
        }
        self.warnings.sort_by_key(|w| w.line);
        self.sd.warnings = self.warnings;
        Ok(self.sd)
    }
}

fn bit(kind: char) -> u32 {
    u32::from(kind)
        .checked_sub(u32::from('a'))
        .map_or(0, |b| 1 << (b % 32))
}

/// The 1-based numbers of the lines of `bytes` that are not UTF-8.
fn lines_not_utf8(bytes: &[u8]) -> impl Iterator<Item = usize> + '_ {
    bytes
        .split(|&b| b == b'\n')
        .enumerate()
        .filter(|(_, l)| core::str::from_utf8(l).is_err())
        .map(|(i, _)| i + 1)
}

impl SessionDescription {
    /// Reads a whole session description, leniently: what real senders
    /// write outside RFC 8866 is read where its meaning is clear, and each
    /// deviation is recorded in [`warnings`](SessionDescription::warnings)
    /// with its line (see the [module docs](super) for what is read how).
    ///
    /// # Errors
    ///
    /// [`SdpError::NotSdp`] for text with no `v=` or `o=` line at all.
    pub fn parse(text: &str) -> Result<SessionDescription, SdpError> {
        Reader::new(false, Vec::new()).read(text)
    }

    /// Reads SDP bytes leniently, as [`parse`](SessionDescription::parse):
    /// bytes that are not UTF-8 are replaced by U+FFFD, with a
    /// [`Deviation::NotUtf8`] warning for each line that had them.
    ///
    /// # Errors
    ///
    /// As [`parse`](SessionDescription::parse).
    pub fn parse_bytes(bytes: &[u8]) -> Result<SessionDescription, SdpError> {
        match core::str::from_utf8(bytes) {
            Ok(text) => SessionDescription::parse(text),
            Err(_) => {
                let warnings = lines_not_utf8(bytes)
                    .map(|line| SdpWarning {
                        line,
                        deviation: Deviation::NotUtf8,
                        resolution: Resolution::Corrected,
                    })
                    .collect();
                Reader::new(false, warnings).read(&String::from_utf8_lossy(bytes))
            }
        }
    }

    /// Reads a whole session description that must follow RFC 8866: the
    /// first deviation the lenient reader would warn about is an error.
    /// (Line ends of CRLF or LF, trailing spaces and tabs, runs of spaces
    /// between fields and blank lines are taken in both modes.) A text
    /// reads strictly exactly when it reads leniently without a warning,
    /// and then to the same description.
    ///
    /// # Errors
    ///
    /// [`SdpError::Syntax`] (with line and column) for a field that does
    /// not parse, [`SdpError::Order`] for a line out of place,
    /// [`SdpError::Missing`] for a required line missing, and
    /// [`SdpError::Deviation`] for any other deviation.
    pub fn parse_strict(text: &str) -> Result<SessionDescription, SdpError> {
        Reader::new(true, Vec::new()).read(text)
    }

    /// Reads SDP bytes, which must be UTF-8, strictly (see
    /// [`parse_strict`](SessionDescription::parse_strict)).
    ///
    /// # Errors
    ///
    /// [`SdpError::NotUtf8`] with the offset of the first byte that is not
    /// UTF-8, then as [`parse_strict`](SessionDescription::parse_strict).
    pub fn parse_bytes_strict(bytes: &[u8]) -> Result<SessionDescription, SdpError> {
        let text = core::str::from_utf8(bytes).map_err(|e| SdpError::NotUtf8 {
            offset: e.valid_up_to(),
        })?;
        SessionDescription::parse_strict(text)
    }
}
