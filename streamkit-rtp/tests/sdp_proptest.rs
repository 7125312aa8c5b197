//! Property tests for the SDP reader and writer: writing then reading any
//! generated description gives it back, and no text makes the reader panic.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may fail loudly

use proptest::prelude::*;
use streamkit_rtp::sdp::{
    Attribute, Attributes, Bandwidth, Connection, MediaDescription, Origin, SessionDescription,
    TimeDescription,
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
        .prop_map(|(name, value)| Attribute { name, value })
}

fn attributes() -> impl Strategy<Value = Attributes> {
    prop::collection::vec(attribute(), 0..6).prop_map(|v| v.into_iter().collect())
}

fn connection() -> impl Strategy<Value = Connection> {
    (token(), token(), token()).prop_map(|(net_type, addr_type, address)| Connection {
        net_type,
        addr_type,
        address,
    })
}

fn bandwidth() -> impl Strategy<Value = Bandwidth> {
    ("[A-Za-z0-9-]{1,6}", any::<u64>())
        .prop_map(|(bw_type, bandwidth)| Bandwidth { bw_type, bandwidth })
}

fn media() -> impl Strategy<Value = MediaDescription> {
    (
        (
            token(),
            any::<u16>(),
            prop::option::of(any::<u16>()),
            token(),
            prop::collection::vec(token(), 0..4),
        ),
        prop::option::of(text()),
        prop::collection::vec(connection(), 0..3),
        prop::collection::vec(bandwidth(), 0..3),
        prop::option::of(text()),
        attributes(),
    )
        .prop_map(
            |(
                (media, port, num_ports, protocol, formats),
                information,
                connections,
                bandwidths,
                key,
                attributes,
            )| {
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

fn session() -> impl Strategy<Value = SessionDescription> {
    let origin = (token(), token(), token(), token(), token(), token()).prop_map(
        |(username, session_id, session_version, net_type, addr_type, unicast_address)| Origin {
            username,
            session_id,
            session_version,
            net_type,
            addr_type,
            unicast_address,
        },
    );
    let time = (
        any::<u64>(),
        any::<u64>(),
        prop::collection::vec(text(), 0..3),
    )
        .prop_map(|(start, stop, repeats)| TimeDescription {
            start,
            stop,
            repeats,
        });
    (
        (
            any::<u32>(),
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
            prop::collection::vec(time, 1..4),
            prop::option::of(text()),
            prop::option::of(text()),
            attributes(),
            prop::collection::vec(media(), 0..4),
        ),
    )
        .prop_map(
            |(
                (version, origin, session_name, information, uri, emails, phones),
                (connection, bandwidths, times, time_zones, key, attributes, media),
            )| SessionDescription {
                version,
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
            },
        )
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
        // and writing again gives the same bytes
        prop_assert_eq!(back.write().unwrap(), text);
    }

    #[test]
    fn arbitrary_text_never_panics(text in "([a-z]=[ -~]{0,30}\r?\n){0,12}") {
        let _ = SessionDescription::parse(&text);
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..300)) {
        let _ = SessionDescription::parse_bytes(&bytes);
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
        let _ = SessionDescription::parse_bytes(&bytes);
    }
}
