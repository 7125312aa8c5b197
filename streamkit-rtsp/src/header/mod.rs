//! Typed headers: what sessions read and write. Each parses leniently
//! (the camera quirks players meet: spaces where none belong, parameters
//! in odd orders, trailing separators, missing optional parts) and writes
//! strictly.
//!
//! ```
//! use streamkit_rtsp::header::{LowerTransport, Transport};
//!
//! // A client's choice of two specs, the TCP one with its own channels.
//! let t = Transport::parse("RTP/AVP/TCP;unicast;interleaved=168-169, RTP/AVP;unicast;client_port=5000-5001")?;
//! assert_eq!(t.specs[0].lower, LowerTransport::Tcp);
//! assert_eq!(t.specs[0].interleaved, Some((168, Some(169))));
//! assert_eq!(t.specs[1].client_port.map(|p| p.rtp), Some(5000));
//! assert_eq!(t.specs[0].to_string(), "RTP/AVP/TCP;unicast;interleaved=168-169");
//! # Ok::<(), streamkit_rtsp::error::HeaderError>(())
//! ```

mod range;
mod transport;
mod v2;

use std::fmt;

pub use range::{NptTime, Range};
pub use transport::{
    Cast, LowerTransport, PortRange, Transport, TransportAddress, TransportMode, TransportSpec,
};
pub use v2::{
    AcceptRanges, FeatureTags, MediaProperties, MediaProperty, NotifyReason, PipelinedRequests,
    RangeUnit, RequestStatus, SeekStyle,
};

use crate::error::HeaderError;
use crate::message::{Headers, Method};

/// The `CSeq` of `headers`: trailing (and leading) whitespace ignored, as
/// cameras send `CSeq: 1 `.
#[must_use]
pub fn cseq(headers: &Headers) -> Option<u32> {
    headers.get("cseq")?.trim().parse().ok()
}

/// The `Session` header (RFC 2326 section 12.37): an id and, from a
/// server, the timeout it enforces.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SessionHeader {
    /// The session id (`1*( ALPHA | DIGIT | safe )`, kept as sent).
    pub id: String,
    /// `;timeout=` in seconds.
    pub timeout: Option<u32>,
}

impl SessionHeader {
    /// Parses `id[;timeout=N]` (other parameters are skipped).
    ///
    /// # Errors
    ///
    /// [`HeaderError::Invalid`] for an empty id or a bad timeout.
    pub fn parse(value: &str) -> Result<SessionHeader, HeaderError> {
        let mut parts = value.split(';');
        let id = parts.next().unwrap_or_default().trim();
        if id.is_empty() {
            return Err(HeaderError::Invalid {
                header: "Session",
                what: "empty session id",
            });
        }
        let mut timeout = None;
        for p in parts {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            if k.trim().eq_ignore_ascii_case("timeout") {
                timeout = Some(v.trim().parse().map_err(|_| HeaderError::Invalid {
                    header: "Session",
                    what: "timeout is not a number of seconds",
                })?);
            }
        }
        Ok(SessionHeader {
            id: id.to_owned(),
            timeout,
        })
    }
}

impl fmt::Display for SessionHeader {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.id)?;
        if let Some(t) = self.timeout {
            write!(f, ";timeout={t}")?;
        }
        Ok(())
    }
}

/// One stream of an `RTP-Info` header (RFC 2326 section 12.33; RFC
/// 7826 section 18.45 gives each SSRC of a URL its own).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RtpInfoEntry {
    /// The stream's URL (as sent; cameras send relative ones too).
    pub url: String,
    /// The SSRC the values are of (RTSP 2.0's `ssrc=`).
    pub ssrc: Option<u32>,
    /// The sequence number of the first packet.
    pub seq: Option<u16>,
    /// The RTP timestamp of the first packet; `None` when missing or `-1`
    /// (as some cameras send).
    pub rtptime: Option<u32>,
}

/// The `RTP-Info` header: one entry per stream.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct RtpInfoHeader {
    /// The entries, in order.
    pub entries: Vec<RtpInfoEntry>,
}

impl RtpInfoHeader {
    /// Parses RTSP 1.0's `url=..;seq=..;rtptime=..[, url=..]`,
    /// tolerating a trailing `;`, a missing or `-1` `rtptime`, spaces
    /// around parts, and commas inside URLs (an entry starts only at
    /// `url=`); or, when the value starts with a quoted URL, RTSP 2.0's
    /// `url="..." ssrc=XXXXXXXX:seq=..;rtptime=..[ ssrc=..][, url=".."]`
    /// (one entry per SSRC).
    ///
    /// # Errors
    ///
    /// [`HeaderError::Invalid`] for an entry without `url=`, a `seq`
    /// that is not a 16-bit number, an `ssrc` that is not hex, or an
    /// unterminated quote.
    pub fn parse(value: &str) -> Result<RtpInfoHeader, HeaderError> {
        let v = value.trim_start();
        if v.get(..5).is_some_and(|p| p.eq_ignore_ascii_case("url=\"")) {
            return RtpInfoHeader::parse_v2(v);
        }
        let bad = |what| HeaderError::Invalid {
            header: "RTP-Info",
            what,
        };
        let mut entries: Vec<RtpInfoEntry> = Vec::new();
        for piece in value.split(',') {
            let piece = piece.trim();
            if piece.is_empty() {
                continue;
            }
            let starts_entry = piece
                .get(..4)
                .is_some_and(|p| p.eq_ignore_ascii_case("url="));
            if !starts_entry {
                // A comma inside the previous URL.
                let last = entries.last_mut().ok_or(bad("entry without url="))?;
                if last.seq.is_none() && last.rtptime.is_none() {
                    let (url_tail, params) = piece.split_once(';').unwrap_or((piece, ""));
                    last.url.push(',');
                    last.url.push_str(url_tail);
                    apply_rtp_info_params(last, params)?;
                    continue;
                }
                return Err(bad("entry without url="));
            }
            let rest = piece.get(4..).unwrap_or_default();
            let (url, params) = rest.split_once(';').unwrap_or((rest, ""));
            let mut entry = RtpInfoEntry {
                url: url.trim().to_owned(),
                ssrc: None,
                seq: None,
                rtptime: None,
            };
            apply_rtp_info_params(&mut entry, params)?;
            entries.push(entry);
        }
        Ok(RtpInfoHeader { entries })
    }
}

impl RtpInfoHeader {
    fn parse_v2(value: &str) -> Result<RtpInfoHeader, HeaderError> {
        let bad = |what| HeaderError::Invalid {
            header: "RTP-Info",
            what,
        };
        let mut entries: Vec<RtpInfoEntry> = Vec::new();
        let mut rest = value;
        loop {
            rest = rest.trim_start_matches([' ', '\t', '\r', '\n', ',']);
            if rest.is_empty() {
                break;
            }
            if entries.len() >= 64 {
                return Err(bad("more than 64 entries"));
            }
            let after = rest
                .get(..5)
                .filter(|p| p.eq_ignore_ascii_case("url=\""))
                .and_then(|_| rest.get(5..))
                .ok_or(bad("entry without url=\"..\""))?;
            // The quoted URL, `\"` and `\\` escaped.
            let mut url = String::new();
            let mut chars = after.char_indices();
            let mut end = None;
            while let Some((i, c)) = chars.next() {
                match c {
                    '\\' => match chars.next() {
                        Some((_, e)) => url.push(e),
                        None => return Err(bad("unterminated url quote")),
                    },
                    '"' => {
                        end = Some(i + 1);
                        break;
                    }
                    c => url.push(c),
                }
            }
            rest = after
                .get(end.ok_or(bad("unterminated url quote"))?..)
                .unwrap_or_default();
            let mut any = false;
            loop {
                let t = rest.trim_start_matches([' ', '\t', '\r', '\n']);
                let Some(spec) = t
                    .get(..5)
                    .filter(|p| p.eq_ignore_ascii_case("ssrc="))
                    .and_then(|_| t.get(5..))
                else {
                    break;
                };
                let len = spec
                    .find([' ', '\t', '\r', '\n', ','])
                    .unwrap_or(spec.len());
                let (param, next) = spec.split_at(len);
                let (ssrc, params) = param.split_once(':').unwrap_or((param, ""));
                let mut entry = RtpInfoEntry {
                    url: url.clone(),
                    ssrc: Some(
                        u32::from_str_radix(ssrc.trim(), 16).map_err(|_| bad("ssrc is not hex"))?,
                    ),
                    seq: None,
                    rtptime: None,
                };
                apply_rtp_info_params(&mut entry, params)?;
                entries.push(entry);
                any = true;
                rest = next;
                if entries.len() > 64 {
                    return Err(bad("more than 64 entries"));
                }
            }
            if !any {
                entries.push(RtpInfoEntry {
                    url,
                    ssrc: None,
                    seq: None,
                    rtptime: None,
                });
            }
            let t = rest.trim_start_matches([' ', '\t', '\r', '\n']);
            if !t.is_empty() && !t.starts_with(',') {
                return Err(bad("text after an entry"));
            }
            rest = t;
        }
        Ok(RtpInfoHeader { entries })
    }

    /// The RTSP 2.0 form (RFC 7826 section 18.45): entries of one URL in
    /// a row share its `url="..."`; an entry without an SSRC gives its
    /// URL only (2.0 ties `seq` and `rtptime` to an SSRC).
    #[must_use]
    pub fn to_v2_string(&self) -> String {
        let mut out = String::new();
        let mut previous: Option<&RtpInfoEntry> = None;
        for e in &self.entries {
            let shares_url =
                previous.is_some_and(|p| p.url == e.url && p.ssrc.is_some() && e.ssrc.is_some());
            if !shares_url {
                if previous.is_some() {
                    out.push(',');
                }
                out.push_str("url=\"");
                out.push_str(&e.url.replace('\\', "\\\\").replace('"', "\\\""));
                out.push('"');
            }
            previous = Some(e);
            if let Some(ssrc) = e.ssrc {
                out.push_str(&format!(" ssrc={ssrc:08X}"));
                let mut sep = ':';
                if let Some(s) = e.seq {
                    out.push_str(&format!("{sep}seq={s}"));
                    sep = ';';
                }
                if let Some(t) = e.rtptime {
                    out.push_str(&format!("{sep}rtptime={t}"));
                }
            }
        }
        out
    }
}

fn apply_rtp_info_params(entry: &mut RtpInfoEntry, params: &str) -> Result<(), HeaderError> {
    for p in params.split(';') {
        let (k, v) = p.split_once('=').unwrap_or((p, ""));
        let (k, v) = (k.trim(), v.trim());
        if k.eq_ignore_ascii_case("seq") {
            entry.seq = Some(v.parse().map_err(|_| HeaderError::Invalid {
                header: "RTP-Info",
                what: "seq is not a 16-bit number",
            })?);
        } else if k.eq_ignore_ascii_case("rtptime") {
            // "-1" and empty mean unknown; so does anything unreadable.
            entry.rtptime = v.parse().ok();
        } else if k.eq_ignore_ascii_case("ssrc") && entry.ssrc.is_none() {
            // Some 1.0 servers add it; unreadable means unknown.
            entry.ssrc = u32::from_str_radix(v, 16).ok();
        }
    }
    Ok(())
}

impl fmt::Display for RtpInfoHeader {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.entries.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            write!(f, "url={}", e.url)?;
            if let Some(s) = e.seq {
                write!(f, ";seq={s}")?;
            }
            if let Some(t) = e.rtptime {
                write!(f, ";rtptime={t}")?;
            }
        }
        Ok(())
    }
}

/// The methods of a `Public` (or `Allow`) header, in order.
#[must_use]
pub fn public_methods(value: &str) -> Vec<Method> {
    value
        .split(',')
        .map(str::trim)
        .filter(|m| !m.is_empty())
        .map(Method::from_token)
        .collect()
}

/// A `Public` header value for `methods`.
#[must_use]
pub fn write_public(methods: &[Method]) -> String {
    let mut out = String::new();
    for (i, m) in methods.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        out.push_str(m.as_str());
    }
    out
}

/// The base URL of a DESCRIBE answer: `Content-Base`, else
/// `Content-Location`, else `request_uri` (RFC 2326 section C.1.1), with
/// a trailing `/` so relative `a=control` URLs resolve below it. A
/// schemeless `Content-Base` (as some cameras send: `host/path`) gets the
/// request's scheme.
#[must_use]
pub fn content_base(headers: &Headers, request_uri: &str) -> String {
    let base = headers
        .get("content-base")
        .or_else(|| headers.get("content-location"))
        .unwrap_or(request_uri)
        .trim();
    let mut base = if base.contains("://") {
        base.to_owned()
    } else {
        let scheme = request_uri.split_once("://").map_or("rtsp", |(s, _)| s);
        format!("{scheme}://{}", base.trim_start_matches('/'))
    };
    if !base.ends_with('/') {
        base.push('/');
    }
    base
}

/// Splits `a=b, c="d, e"` style parameter lists at commas outside quotes.
pub(crate) fn split_params(value: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut quoted = false;
    let mut start = 0;
    for (i, c) in value.char_indices() {
        match c {
            '"' => quoted = !quoted,
            ',' if !quoted => {
                out.push(value.get(start..i).unwrap_or_default().trim());
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(value.get(start..).unwrap_or_default().trim());
    out.retain(|s| !s.is_empty());
    out
}

/// `key=value` or `key="value"` (quotes removed, `\"` unescaped).
pub(crate) fn param(p: &str) -> (&str, String) {
    let (k, v) = p.split_once('=').unwrap_or((p, ""));
    let v = v.trim();
    let v = match v.strip_prefix('"').and_then(|v| v.strip_suffix('"')) {
        Some(inner) => inner.replace("\\\"", "\"").replace("\\\\", "\\"),
        None => v.to_owned(),
    };
    (k.trim(), v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rtp_info_quirks() {
        let h =
            RtpInfoHeader::parse("url=rtsp://cam/track1;seq=17;rtptime=-1;, url=trackID=2;seq=3 ;")
                .unwrap();
        assert_eq!(
            h.entries,
            [
                RtpInfoEntry {
                    url: "rtsp://cam/track1".into(),
                    ssrc: None,
                    seq: Some(17),
                    rtptime: None
                },
                RtpInfoEntry {
                    url: "trackID=2".into(),
                    ssrc: None,
                    seq: Some(3),
                    rtptime: None
                }
            ]
        );
        let h = RtpInfoHeader::parse("url=rtsp://a/b,c;seq=1;rtptime=90000").unwrap();
        assert_eq!(h.entries[0].url, "rtsp://a/b,c");
        assert_eq!(h.entries[0].rtptime, Some(90_000));
        assert_eq!(h.to_string(), "url=rtsp://a/b,c;seq=1;rtptime=90000");
        assert!(RtpInfoHeader::parse("seq=1").is_err());
        assert!(RtpInfoHeader::parse("url=x;seq=70000").is_err());
    }

    #[test]
    fn session_and_public() {
        let s = SessionHeader::parse("12345678;timeout=60").unwrap();
        assert_eq!(s.id, "12345678");
        assert_eq!(s.timeout, Some(60));
        assert_eq!(s.to_string(), "12345678;timeout=60");
        assert!(SessionHeader::parse(" ;timeout=1").is_err());
        assert!(SessionHeader::parse("a;timeout=x").is_err());
        assert_eq!(
            public_methods("OPTIONS, DESCRIBE,SETUP , GET_PARAMETER"),
            [
                Method::Options,
                Method::Describe,
                Method::Setup,
                Method::GetParameter
            ]
        );
        assert_eq!(
            write_public(&[Method::Options, Method::Play]),
            "OPTIONS, PLAY"
        );
    }

    #[test]
    fn content_base_forms() {
        let mut h = Headers::new();
        assert_eq!(content_base(&h, "rtsp://cam/live"), "rtsp://cam/live/");
        h.append("Content-Base", "cam:554/h264/");
        assert_eq!(content_base(&h, "rtsp://cam/live"), "rtsp://cam:554/h264/");
        let mut h = Headers::new();
        h.append("Content-Location", "rtsp://x/y");
        assert_eq!(content_base(&h, "rtsp://cam/live"), "rtsp://x/y/");
    }

    #[test]
    fn params_split_outside_quotes() {
        assert_eq!(
            split_params(r#"realm="a, b", nonce="n", qop=auth"#),
            [r#"realm="a, b""#, r#"nonce="n""#, "qop=auth"]
        );
        assert_eq!(param(r#"realm="a \"b\"""#), ("realm", "a \"b\"".to_owned()));
    }
}
