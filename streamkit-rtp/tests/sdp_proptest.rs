//! Property tests for the SDP reader and writer:
//!
//! - any description that follows RFC 8866 (with `r=`, `z=` and `k=`)
//!   writes and reads back the same, strictly and without a warning;
//! - the same documents bent the ways devices bend them (lines out of
//!   order, `v=`, `s=` or `t=` missing, odd `o=` and `c=` fields, unlisted
//!   `rtpmap`, an empty `r=`, a trailing NUL, LF line ends, ...) read
//!   leniently, write, and read back the same: whatever the reader
//!   accepts, the writer writes, and only the values kept as written warn
//!   again;
//! - a text reads strictly exactly when it reads leniently without a
//!   warning, to the same description;
//! - no text makes either reader panic, and whatever the lenient reader
//!   makes of any text writes.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may fail loudly

use proptest::prelude::*;
use streamkit_rtp::sdp::{
    Attribute, Attributes, Bandwidth, Connection, Deviation, MediaDescription, Origin, Resolution,
    SessionDescription, TimeDescription,
};

fn token() -> impl Strategy<Value = String> {
    "[A-Za-z0-9._/+-]{1,12}"
}

/// Free text as the writer accepts it: printable, no trailing space.
fn text() -> impl Strategy<Value = String> {
    "[ -~]{0,20}[!-~]"
}

fn attribute() -> impl Strategy<Value = Attribute> {
    (
        "[A-Za-z0-9_-]{1,10}",
        prop::option::of(prop_oneof!["", text()]),
    )
        .prop_filter("rtpmap and fmtp name their format", |(name, _)| {
            name != "rtpmap" && name != "fmtp"
        })
        .prop_map(|(name, value)| Attribute { name, value })
}

fn attributes() -> impl Strategy<Value = Attributes> {
    prop::collection::vec(attribute(), 0..6).prop_map(|v| v.into_iter().collect())
}

fn address_type() -> impl Strategy<Value = String> {
    prop_oneof![Just("IP4".to_owned()), Just("IP6".to_owned())]
}

fn connection() -> impl Strategy<Value = Connection> {
    (address_type(), token()).prop_map(|(addr_type, address)| Connection {
        net_type: "IN".into(),
        addr_type,
        address,
    })
}

fn bandwidth() -> impl Strategy<Value = Bandwidth> {
    ("[A-Za-z0-9-]{1,6}", any::<u64>())
        .prop_map(|(bw_type, bandwidth)| Bandwidth { bw_type, bandwidth })
}

/// `k=` as RFC 8866 writes it.
fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("prompt".to_owned()),
        text().prop_map(|t| format!("clear:{t}")),
        "base64:[A-Za-z0-9+/]{4,12}={0,2}",
        "uri:[a-z]{1,8}://[a-z./]{1,10}",
    ]
}

fn media() -> impl Strategy<Value = MediaDescription> {
    (
        (
            token(),
            any::<u16>(),
            prop::option::of(any::<u16>()),
            token(),
            // Formats 0 to 99; 120 stays free for an unlisted rtpmap.
            prop::collection::vec("[0-9]{1,2}", 1..4),
        ),
        prop::option::of(text()),
        prop::collection::vec(connection(), 0..3),
        prop::collection::vec(bandwidth(), 0..3),
        prop::option::of(key()),
        attributes(),
        any::<bool>(),
    )
        .prop_map(
            |(
                (media, port, num_ports, protocol, formats),
                information,
                connections,
                bandwidths,
                key,
                mut attributes,
                rtpmaps,
            )| {
                if rtpmaps {
                    for f in &formats {
                        attributes.push_value("rtpmap", &format!("{f} X/90000"));
                        attributes.push_value("fmtp", &format!("{f} a=1"));
                    }
                }
                MediaDescription {
                    media,
                    port,
                    num_ports,
                    protocol,
                    formats,
                    information,
                    connections,
                    bandwidths,
                    key,
                    attributes,
                }
            },
        )
}

fn time() -> impl Strategy<Value = TimeDescription> {
    let repeat =
        "[1-9][0-9]{0,6}[dhms]? [0-9]{1,6}[dhms]? [0-9]{1,6}[dhms]?( [0-9]{1,5}[dhms]?){0,2}";
    (
        any::<u64>(),
        any::<u64>(),
        prop::collection::vec(repeat, 0..3),
    )
        .prop_map(|(start, stop, repeats)| TimeDescription {
            start,
            stop,
            repeats,
        })
}

/// A description that follows RFC 8866 to the letter.
fn session() -> impl Strategy<Value = SessionDescription> {
    let origin = (
        token(),
        "[0-9]{1,20}",
        "[0-9]{1,20}",
        address_type(),
        token(),
    )
        .prop_map(
            |(username, session_id, session_version, addr_type, unicast_address)| Origin {
                username,
                session_id,
                session_version,
                net_type: "IN".into(),
                addr_type,
                unicast_address,
            },
        );
    let zone = "[1-9][0-9]{9} -?[0-9]{1,5}[dhms]?( [1-9][0-9]{9} -?[0-9]{1,5}[dhms]?){0,2}";
    (
        (
            origin,
            prop_oneof!["", text()],
            prop::option::of(text()),
            prop::option::of(text()),
            prop::collection::vec(text(), 0..3),
            prop::collection::vec(text(), 0..3),
        ),
        (
            prop::option::of(connection()),
            prop::collection::vec(bandwidth(), 0..3),
            prop::collection::vec(time(), 1..4),
            prop::option::of(zone),
            prop::option::of(key()),
            attributes(),
            prop::collection::vec(media(), 0..4),
        ),
    )
        .prop_map(
            |(
                (origin, session_name, information, uri, emails, phones),
                (connection, bandwidths, times, time_zones, key, attributes, media),
            )| SessionDescription {
                version: 0,
                origin,
                session_name,
                information,
                uri,
                emails,
                phones,
                connection,
                bandwidths,
                times,
                time_zones,
                key,
                attributes,
                media,
                warnings: Vec::new(),
            },
        )
}

/// The ways devices bend a description, applied to its lines.
#[derive(Debug, Clone, Copy)]
enum Quirk {
    AttributesBeforeName,
    NameAfterConnection,
    NoVersion,
    VersionAfterOrigin,
    NoName,
    NoTime,
    TimeInMedia,
    OriginHexId,
    OriginDecimalPointId,
    OriginIpNetworkType,
    OriginEmptyUsername,
    OriginExtraField,
    OriginMissingField,
    ConnectionSpelledIpv4,
    ConnectionUnknownType,
    ConnectionNoType,
    UnlistedRtpmap,
    EmptyRepeat,
    EmptyInformation,
    SecondName,
    UnknownLine,
    NotALine,
    UnreadableMedia,
    VersionOne,
    TrailingNul,
    BareLineFeeds,
    BlankLines,
}

const QUIRKS: [Quirk; 27] = [
    Quirk::AttributesBeforeName,
    Quirk::NameAfterConnection,
    Quirk::NoVersion,
    Quirk::VersionAfterOrigin,
    Quirk::NoName,
    Quirk::NoTime,
    Quirk::TimeInMedia,
    Quirk::OriginHexId,
    Quirk::OriginDecimalPointId,
    Quirk::OriginIpNetworkType,
    Quirk::OriginEmptyUsername,
    Quirk::OriginExtraField,
    Quirk::OriginMissingField,
    Quirk::ConnectionSpelledIpv4,
    Quirk::ConnectionUnknownType,
    Quirk::ConnectionNoType,
    Quirk::UnlistedRtpmap,
    Quirk::EmptyRepeat,
    Quirk::EmptyInformation,
    Quirk::SecondName,
    Quirk::UnknownLine,
    Quirk::NotALine,
    Quirk::UnreadableMedia,
    Quirk::VersionOne,
    Quirk::TrailingNul,
    Quirk::BareLineFeeds,
    Quirk::BlankLines,
];

fn position(lines: &[String], prefix: &str) -> Option<usize> {
    lines.iter().position(|l| l.starts_with(prefix))
}

fn first_media(lines: &[String]) -> usize {
    position(lines, "m=").unwrap_or(lines.len())
}

/// Replaces the `o=` line's fields with `f(fields)`.
fn rewrite_origin(lines: &mut [String], f: impl Fn(&mut Vec<String>)) {
    if let Some(i) = position(lines, "o=") {
        let mut fields: Vec<String> = lines[i][2..].split(' ').map(str::to_owned).collect();
        f(&mut fields);
        lines[i] = format!("o={}", fields.join(" "));
    }
}

/// Replaces the session-level `c=` line (adding one before `t=` if there
/// is none).
fn set_connection(lines: &mut Vec<String>, value: &str) {
    let end = first_media(lines);
    match lines[..end].iter().position(|l| l.starts_with("c=")) {
        Some(i) => lines[i] = format!("c={value}"),
        None => {
            let t = position(lines, "t=").unwrap_or(end);
            lines.insert(t, format!("c={value}"));
        }
    }
}

/// The text of `sd` bent by `quirks`.
fn bend(sd: &SessionDescription, quirks: &[Quirk]) -> String {
    let written = sd.write().unwrap();
    let mut lines: Vec<String> = written
        .strip_suffix("\r\n")
        .unwrap()
        .split("\r\n")
        .map(str::to_owned)
        .collect();
    let (mut ending, mut nul, mut blank) = ("\r\n", false, false);
    for q in quirks {
        match q {
            Quirk::AttributesBeforeName => {
                let end = first_media(&lines);
                let attrs: Vec<String> = lines[..end]
                    .iter()
                    .filter(|l| l.starts_with("a="))
                    .cloned()
                    .collect();
                let mut rest: Vec<String> = lines[..end]
                    .iter()
                    .filter(|l| !l.starts_with("a="))
                    .cloned()
                    .collect();
                let at = position(&rest, "o=").map_or(0, |i| i + 1);
                for (k, a) in attrs.into_iter().enumerate() {
                    rest.insert(at + k, a);
                }
                rest.extend(lines.drain(end..));
                lines = rest;
            }
            Quirk::NameAfterConnection => {
                let end = first_media(&lines);
                if let (Some(s), Some(c)) =
                    (position(&lines[..end], "s="), position(&lines[..end], "c="))
                    && s < c
                {
                    let name = lines.remove(s);
                    lines.insert(c, name);
                }
            }
            Quirk::NoVersion => lines.retain(|l| !l.starts_with("v=")),
            Quirk::VersionAfterOrigin => {
                if let (Some(v), Some(o)) = (position(&lines, "v="), position(&lines, "o="))
                    && v < o
                {
                    lines.swap(v, o);
                }
            }
            Quirk::NoName => lines.retain(|l| !l.starts_with("s=")),
            Quirk::NoTime => lines.retain(|l| !l.starts_with("t=") && !l.starts_with("r=")),
            Quirk::TimeInMedia => {
                let m = first_media(&lines);
                if m < lines.len()
                    && let Some(t) = position(&lines, "t=")
                    && t < m
                    && !lines.get(t + 1).is_some_and(|l| l.starts_with("r="))
                {
                    let time = lines.remove(t);
                    lines.insert(m, time);
                }
            }
            Quirk::OriginHexId => rewrite_origin(&mut lines, |f| f[1] = "5A3B2C1D".into()),
            Quirk::OriginDecimalPointId => {
                rewrite_origin(&mut lines, |f| f[1] = "1712345678.125".into());
            }
            Quirk::OriginIpNetworkType => rewrite_origin(&mut lines, |f| f[3] = "IP".into()),
            Quirk::OriginEmptyUsername => rewrite_origin(&mut lines, |f| f[0] = String::new()),
            Quirk::OriginExtraField => rewrite_origin(&mut lines, |f| f.push("554".into())),
            Quirk::OriginMissingField => rewrite_origin(&mut lines, |f| {
                if f.len() > 2 {
                    f.remove(2);
                }
            }),
            Quirk::ConnectionSpelledIpv4 => set_connection(&mut lines, "IN IPV4 0.0.0.0"),
            Quirk::ConnectionUnknownType => set_connection(&mut lines, "IN ANY 0.0.0.0"),
            Quirk::ConnectionNoType => set_connection(&mut lines, "IN 0.0.0.0"),
            Quirk::UnlistedRtpmap => {
                if let Some(m) = position(&lines, "m=") {
                    lines.insert(m + 1, "a=rtpmap:120 PCMA/8000".into());
                }
            }
            Quirk::EmptyRepeat => {
                if let Some(t) = position(&lines, "t=") {
                    lines.insert(t + 1, "r=".into());
                }
            }
            Quirk::EmptyInformation => {
                if let Some(m) = position(&lines, "m=") {
                    lines.insert(m + 1, "i=".into());
                }
            }
            Quirk::SecondName => {
                if let Some(s) = position(&lines, "s=") {
                    lines.insert(s + 1, "s=another name".into());
                }
            }
            Quirk::UnknownLine => {
                let at = lines.len() / 2;
                lines.insert(at, "y=vendor".into());
            }
            Quirk::NotALine => {
                let at = lines.len() / 3;
                lines.insert(at, "Content-Type: application/sdp".into());
            }
            Quirk::UnreadableMedia => {
                lines.push("m=video x RTP/AVP 96".into());
                lines.push("a=rtpmap:96 H264/90000".into());
            }
            Quirk::VersionOne => {
                if let Some(v) = position(&lines, "v=") {
                    lines[v] = "v=1".into();
                }
            }
            Quirk::TrailingNul => nul = true,
            Quirk::BareLineFeeds => ending = "\n",
            Quirk::BlankLines => blank = true,
        }
    }
    let mut out = String::new();
    for l in &lines {
        out.push_str(l);
        out.push_str(ending);
        if blank {
            out.push_str(ending);
        }
    }
    if nul {
        out.push('\0');
    }
    out
}

fn without_warnings(sd: &SessionDescription) -> SessionDescription {
    SessionDescription {
        warnings: Vec::new(),
        ..sd.clone()
    }
}

/// What every lenient read must satisfy: it writes; the output reads back
/// the same; it warns again only of the values kept as written (and the
/// strict reader takes it exactly when there are none); and writing it
/// again gives the same bytes.
fn check_written(sd: &SessionDescription) -> Result<(), TestCaseError> {
    let written = sd.write();
    prop_assert!(written.is_ok(), "unwritable {:?}: {sd:?}", written);
    let written = written.unwrap();
    let back = SessionDescription::parse(&written).unwrap();
    prop_assert_eq!(without_warnings(&back), without_warnings(sd), "{}", written);
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
    prop_assert_eq!(again, kept);
    prop_assert_eq!(
        SessionDescription::parse_strict(&written).is_ok(),
        back.warnings.is_empty()
    );
    prop_assert_eq!(back.write().unwrap(), written);
    Ok(())
}

/// The strict reader takes `text` exactly when the lenient one does
/// without a warning, and to the same description.
fn check_strict(text: &str) -> Result<(), TestCaseError> {
    let lenient = SessionDescription::parse(text);
    let strict = SessionDescription::parse_strict(text);
    match (&lenient, &strict) {
        (Ok(l), Ok(s)) => {
            prop_assert!(l.warnings.is_empty(), "{:?}", l.warnings);
            prop_assert_eq!(l, s);
        }
        (Ok(l), Err(_)) => prop_assert!(!l.warnings.is_empty(), "strict refused: {strict:?}"),
        (Err(_), Ok(_)) => prop_assert!(false, "lenient refused: {lenient:?}"),
        (Err(_), Err(_)) => {}
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn write_then_parse_is_identity(sd in session()) {
        let text = sd.write().unwrap();
        prop_assert!(text.ends_with("\r\n"));
        prop_assert!(!text.replace("\r\n", "").contains('\n'));
        let back = SessionDescription::parse(&text).unwrap();
        prop_assert_eq!(&back, &sd);
        prop_assert_eq!(SessionDescription::parse_strict(&text).unwrap(), sd);
        // and writing again gives the same bytes
        prop_assert_eq!(back.write().unwrap(), text);
    }

    #[test]
    fn bent_descriptions_read_write_and_read_back(
        sd in session(),
        picks in prop::collection::vec(0..QUIRKS.len(), 0..5),
    ) {
        let quirks: Vec<Quirk> = picks.iter().map(|&i| QUIRKS[i]).collect();
        let text = bend(&sd, &quirks);
        let read = SessionDescription::parse(&text);
        prop_assert!(read.is_ok(), "{:?} refused {read:?}:\n{text}", quirks);
        let read = read.unwrap();
        // Media sections survive every bend (an unreadable one is dropped).
        prop_assert_eq!(read.media.len(), sd.media.len());
        for (r, m) in read.media.iter().zip(&sd.media) {
            prop_assert_eq!(&r.formats, &m.formats);
        }
        if read.warnings.is_empty() {
            prop_assert_eq!(&read, &sd, "no warning, so nothing changed:\n{}", text);
        }
        check_written(&read)?;
        check_strict(&text)?;
    }

    #[test]
    fn strict_is_lenient_without_warnings(text in "([a-z]=[ -~]{0,30}\r?\n){0,12}") {
        check_strict(&text)?;
        if let Ok(sd) = SessionDescription::parse(&text) {
            check_written(&sd)?;
        }
    }

    #[test]
    fn lines_of_every_type_in_any_order_read_and_write(
        lines in prop::collection::vec(
            (prop::sample::select(&['v', 'o', 's', 'i', 'u', 'e', 'p', 'c', 'b', 't', 'r', 'z', 'k', 'a', 'm'][..]),
             prop_oneof![
                 Just(String::new()),
                 "[0-9]{1,3}( [0-9]{1,3}){0,6}",
                 "[A-Za-z0-9 :/.-]{1,24}",
                 Just("- 1 1 IN IP4 192.0.2.1".to_owned()),
                 Just("IN IP4 0.0.0.0".to_owned()),
                 Just("video 0 RTP/AVP 96".to_owned()),
                 Just("rtpmap:96 H264/90000".to_owned()),
                 Just("AS:64".to_owned()),
             ]),
            0..24,
        ),
    ) {
        let text: String = lines.iter().map(|(k, v)| format!("{k}={v}\r\n")).collect();
        check_strict(&text)?;
        if let Ok(sd) = SessionDescription::parse(&text) {
            check_written(&sd)?;
        }
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..300)) {
        let _ = SessionDescription::parse_bytes_strict(&bytes);
        if let Ok(sd) = SessionDescription::parse_bytes(&bytes) {
            check_written(&sd)?;
        }
    }

    #[test]
    fn typed_accessors_never_panic(value in "[ -~]{0,30}") {
        let mut a = Attributes::new();
        for name in ["rtpmap", "fmtp", "ssrc", "framerate", "rtcp", "control"] {
            a.push_value(name, &value);
        }
        let _ = a.rtpmaps().count();
        let _ = a.rtpmap(96);
        let _ = a.fmtp(96).map(|f| f.map(|f| f.params().count()));
        let _ = a.ssrcs().count();
        let _ = a.framerate();
        let _ = a.rtcp();
        let _ = a.control();
    }

    #[test]
    fn mutated_valid_description_never_panics(sd in session(), pos in any::<prop::sample::Index>(), byte in any::<u8>()) {
        let mut bytes = sd.write().unwrap().into_bytes();
        let i = pos.index(bytes.len());
        bytes[i] = byte;
        let _ = SessionDescription::parse_bytes_strict(&bytes);
        if let Ok(sd) = SessionDescription::parse_bytes(&bytes) {
            check_written(&sd)?;
        }
    }
}

#[test]
fn every_quirk_warns() {
    // Each bend, alone, on a description that has every line it touches,
    // is read with at least one warning (so the round-trip property above
    // runs over real deviations, not over no-ops).
    let mut sd = SessionDescription::parse(
        "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=x\r\nc=IN IP4 0.0.0.0\r\nt=0 0\r\n\
         a=tool:x\r\nm=video 0 RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\n",
    )
    .unwrap();
    sd.warnings.clear();
    for q in QUIRKS {
        let text = bend(&sd, &[q]);
        let read = SessionDescription::parse(&text).unwrap();
        let framing = matches!(q, Quirk::BareLineFeeds | Quirk::BlankLines);
        assert_eq!(
            read.warnings.is_empty(),
            framing,
            "{q:?}: {:?}",
            read.warnings
        );
        if !framing {
            assert!(SessionDescription::parse_strict(&text).is_err(), "{q:?}");
        }
    }
    // The bends of the issue, one each, give the deviation they name.
    let first = |q| {
        SessionDescription::parse(&bend(&sd, &[q]))
            .unwrap()
            .warnings[0]
            .deviation
            .clone()
    };
    assert_eq!(first(Quirk::NoTime), Deviation::Missing { kind: 't' });
    assert_eq!(first(Quirk::OriginEmptyUsername), Deviation::EmptyUsername);
}
