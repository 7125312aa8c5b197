//! Property tests: no input makes a parser panic, strict and lenient modes
//! agree, and what the writers write the parsers read back unchanged.

#![allow(clippy::expect_used)] // test helpers outside #[test] functions

use std::borrow::Cow;

use proptest::prelude::*;
use streamkit_ports::{
    IANA_HEADER, IanaRecord, Mode, PortRange, ServicesEntry, Transport, lookup, parse_iana_csv,
    parse_iana_csv_bytes, parse_services, parse_services_bytes, scheme, service, write_iana_csv,
    write_services,
};

fn transport() -> impl Strategy<Value = Transport> {
    prop::sample::select(Transport::ALL.to_vec())
}

fn ports() -> impl Strategy<Value = PortRange> {
    (1u16..=u16::MAX, 0u16..200).prop_map(|(first, span)| {
        PortRange::new(first, first.saturating_add(span)).expect("first is non-zero")
    })
}

/// Text with everything CSV must quote: commas, quotes, CR, LF, non-ASCII.
fn csv_text() -> impl Strategy<Value = String> {
    "[ -~\r\n,\"éü€]{0,24}"
}

fn iana_record() -> impl Strategy<Value = IanaRecord<'static>> {
    let name = prop_oneof!["", "[a-z][a-z0-9-]{0,14}"];
    let assignment = prop::option::of((ports(), transport()));
    (name, assignment, prop::collection::vec(csv_text(), 9))
        .prop_filter("a row needs a name or a port", |(name, a, _)| {
            !name.is_empty() || a.is_some()
        })
        .prop_map(|(name, assignment, texts)| {
            let mut t = texts.into_iter().map(Cow::Owned);
            let mut next = || t.next().unwrap_or_default();
            IanaRecord {
                service_name: Cow::Owned(name),
                ports: assignment.map(|(p, _)| p),
                transport: assignment.map(|(_, t)| t),
                description: next(),
                assignee: next(),
                contact: next(),
                registration_date: next(),
                modification_date: next(),
                reference: next(),
                service_code: next(),
                unauthorized_use_reported: next(),
                assignment_notes: next(),
            }
        })
}

const WORD: &str = "[A-Za-z0-9][A-Za-z0-9._+/-]{0,12}";

type OwnedEntry = (String, PortRange, Transport, Vec<String>, Option<String>);

fn services_entry() -> impl Strategy<Value = OwnedEntry> {
    (
        WORD,
        ports(),
        transport(),
        prop::collection::vec(WORD, 0..4),
        prop::option::of("([!-~é]([ \t!-~é]{0,16}[!-~é])?)?"),
    )
}

fn borrow(e: &OwnedEntry) -> ServicesEntry<'_> {
    ServicesEntry {
        name: &e.0,
        ports: e.1,
        transport: e.2,
        aliases: e.3.iter().map(String::as_str).collect(),
        comment: e.4.as_deref(),
    }
}

/// Text near the formats' syntax, to reach deeper than random bytes do.
fn registry_like() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop_oneof![
            Just(IANA_HEADER.join(",")),
            "[a-z0-9]{0,6}",
            "[0-9]{1,6}(-[0-9]{1,6})?",
            Just("tcp".to_owned()),
            Just("ddp".to_owned()),
            Just(",".to_owned()),
            Just("\"".to_owned()),
            Just("\"\"".to_owned()),
            Just("\n".to_owned()),
            Just("\r\n".to_owned()),
            Just("/".to_owned()),
            Just("#".to_owned()),
            Just("\t".to_owned()),
            Just(" ".to_owned()),
        ],
        0..64,
    )
    .prop_map(|parts| parts.concat())
}

fn check_iana(bytes: &[u8]) {
    let lenient = parse_iana_csv_bytes(bytes, Mode::Lenient).expect("lenient mode collects");
    match parse_iana_csv_bytes(bytes, Mode::Strict) {
        Ok(strict) => {
            assert!(lenient.errors.is_empty());
            assert_eq!(strict.records, lenient.records);
        }
        Err(first) => assert_eq!(lenient.errors.first(), Some(&first)),
    }
    for e in &lenient.errors {
        assert!(e.line >= 1 && e.column >= 1);
        assert!(!e.to_string().is_empty());
    }
}

fn check_services(bytes: &[u8]) {
    let lenient = parse_services_bytes(bytes, Mode::Lenient).expect("lenient mode collects");
    match parse_services_bytes(bytes, Mode::Strict) {
        Ok(strict) => {
            assert!(lenient.errors.is_empty());
            assert_eq!(strict.records, lenient.records);
        }
        Err(first) => assert_eq!(lenient.errors.first(), Some(&first)),
    }
    let lines = bytes.split(|&b| b == b'\n').count();
    for e in &lenient.errors {
        assert!(e.line >= 1 && e.line <= lines && e.column >= 1);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        check_iana(&bytes);
        check_services(&bytes);
    }

    #[test]
    fn registry_like_text_never_panics(text in registry_like()) {
        check_iana(text.as_bytes());
        check_services(text.as_bytes());
        let _ = parse_iana_csv(&text, Mode::Lenient);
        let _ = parse_services(&text, Mode::Lenient);
    }

    #[test]
    fn lookups_never_panic(text in "\\PC{0,12}") {
        let _ = service(&text);
        let _ = scheme(&text);
        if let Some(answer) = lookup(&text) {
            prop_assert!(!answer.to_string().is_empty());
        }
    }

    #[test]
    fn iana_csv_round_trips(records in prop::collection::vec(iana_record(), 0..8)) {
        let mut out = String::new();
        write_iana_csv(&records, &mut out);
        let parsed = parse_iana_csv(&out, Mode::Strict).expect("written CSV parses");
        prop_assert_eq!(parsed.records, records);
    }

    #[test]
    fn services_round_trip(owned in prop::collection::vec(services_entry(), 0..8)) {
        let entries: Vec<_> = owned.iter().map(borrow).collect();
        let mut out = String::new();
        write_services(&entries, &mut out);
        let parsed = parse_services(&out, Mode::Strict).expect("written file parses");
        prop_assert_eq!(parsed.records, entries);
    }
}
