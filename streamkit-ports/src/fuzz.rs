//! Fuzz targets of this crate: each function runs a registry-file parser
//! over arbitrary bytes, touches everything it returns and checks round
//! trips and invariants. The `fuzz/` crate at the repository root calls
//! them from libFuzzer; `tests/fuzz_smoke.rs` runs them over the committed
//! registry files and edge inputs on every test run. Not part of the stable
//! API.
//!
//! A failed assertion here is a bug in the parser or writer it names.
// A broken invariant must stop the fuzzer with the input that broke it.
#![allow(clippy::panic)]

use crate::{
    Mode, Registry, Transport, parse_iana_csv, parse_iana_csv_bytes, parse_services,
    parse_services_bytes, write_iana_csv, write_services,
};

/// The IANA CSV reader: strict and lenient modes agree (strict stops at the
/// lenient mode's first error); errors have a line and column; the records
/// read, written and read again are the same records; the registry built
/// from them answers for their names and ports.
pub fn iana_csv(data: &[u8]) {
    let Ok(lenient) = parse_iana_csv_bytes(data, Mode::Lenient) else {
        panic!("lenient mode returned an error instead of collecting it");
    };
    match parse_iana_csv_bytes(data, Mode::Strict) {
        Ok(strict) => {
            assert!(
                lenient.errors.is_empty(),
                "strict accepted what lenient rejected"
            );
            assert_eq!(
                strict.records, lenient.records,
                "strict and lenient records"
            );
        }
        Err(first) => assert_eq!(lenient.errors.first(), Some(&first), "first error"),
    }
    let lines = data.split(|&b| b == b'\n').count();
    for e in &lenient.errors {
        assert!(
            e.line >= 1 && e.line <= lines && e.column >= 1,
            "error position {e:?}"
        );
        assert!(!e.to_string().is_empty());
    }

    let mut text = String::new();
    write_iana_csv(&lenient.records, &mut text);
    let again = parse_iana_csv(&text, Mode::Strict);
    assert_eq!(
        again.as_ref().map(|p| &p.records),
        Ok(&lenient.records),
        "IANA CSV round trip:\n{text}"
    );

    let mut registry = Registry::new();
    let added = registry.extend_iana(&lenient.records);
    assert!(
        added <= lenient.records.len(),
        "more services added than records"
    );
    exercise_registry(&registry);
}

/// The `/etc/services` reader: the same checks as [`iana_csv`].
pub fn services(data: &[u8]) {
    let Ok(lenient) = parse_services_bytes(data, Mode::Lenient) else {
        panic!("lenient mode returned an error instead of collecting it");
    };
    match parse_services_bytes(data, Mode::Strict) {
        Ok(strict) => {
            assert!(
                lenient.errors.is_empty(),
                "strict accepted what lenient rejected"
            );
            assert_eq!(
                strict.records, lenient.records,
                "strict and lenient records"
            );
        }
        Err(first) => assert_eq!(lenient.errors.first(), Some(&first), "first error"),
    }
    let lines = data.split(|&b| b == b'\n').count();
    for e in &lenient.errors {
        assert!(
            e.line >= 1 && e.line <= lines && e.column >= 1,
            "error position {e:?}"
        );
    }

    let mut text = String::new();
    write_services(&lenient.records, &mut text);
    let again = parse_services(&text, Mode::Strict);
    assert_eq!(
        again.as_ref().map(|p| &p.records),
        Ok(&lenient.records),
        "services round trip:\n{text}"
    );

    let mut registry = Registry::new();
    let added = registry.extend_services(&lenient.records);
    assert!(
        added <= lenient.records.len(),
        "more services added than entries"
    );
    exercise_registry(&registry);
}

/// Every added service is found by its name and on its first port.
fn exercise_registry(registry: &Registry) {
    for s in registry.added() {
        let _ = (
            s.description(),
            s.reference(),
            s.registration(),
            s.aliases().count(),
        );
        assert!(
            registry.service(s.name()).is_some(),
            "added service not found by name"
        );
        let ports = s.ports();
        assert!(ports.first() <= ports.last() && ports.contains(ports.first()));
        for transport in s.transports().iter() {
            let found = registry.services_at(ports.first(), transport).count();
            assert!(found >= 1, "added service not found on its port");
        }
    }
    let _ = registry.services_at(0, Transport::Tcp).count();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edge_inputs_pass() {
        for data in [
            &b""[..],
            b"\n",
            b"rtsp 554/tcp # comment\n",
            b"\"a,b\",1,tcp\n",
            b"\xff\r\n\"",
        ] {
            iana_csv(data);
            services(data);
        }
    }
}
