//! The two registry formats, read from files in `tests/data`, and a
//! `Registry` built from them.

use streamkit_ports::{
    Mode, ParseErrorKind, PortRange, Registration, Registry, Transport, parse_iana_csv,
    parse_services, write_iana_csv, write_services,
};

const IANA_CSV: &str = include_str!("data/service-names-port-numbers.csv");
const SERVICES: &str = include_str!("data/services");

#[test]
fn iana_csv_fixture() {
    let strict = parse_iana_csv(IANA_CSV, Mode::Strict).unwrap_err();
    assert_eq!((strict.line, strict.column), (2, 2));
    assert_eq!(strict.kind, ParseErrorKind::PortOutOfRange { value: 0 });

    let p = parse_iana_csv(IANA_CSV, Mode::Lenient).unwrap();
    let where_: Vec<_> = p
        .errors
        .iter()
        .map(|e| (e.line, e.column, e.kind.clone()))
        .collect();
    assert_eq!(
        where_,
        [
            (2, 2, ParseErrorKind::PortOutOfRange { value: 0 }),
            (3, 2, ParseErrorKind::PortOutOfRange { value: 0 }),
            (
                18,
                17,
                ParseErrorKind::UnknownTransport { name: "ddp".into() }
            ),
        ]
    );
    assert_eq!(p.records.len(), 13);
    let submissions = p
        .records
        .iter()
        .find(|r| r.service_name == "submissions")
        .unwrap();
    assert_eq!(
        submissions.assignment_notes,
        "This service is also known as \"smtps\", a name\r\nthat predates the registration."
    );
    assert_eq!(submissions.registration_date, "2017-12-12");
    let rtsp = p.records.iter().find(|r| r.service_name == "rtsp").unwrap();
    assert_eq!(rtsp.reference, "[RFC7826][RFC2326]");
    let after_multiline = &p.records[7];
    assert_eq!(after_multiline.service_name, "rtsp");
    let adisk = p
        .records
        .iter()
        .find(|r| r.service_name == "adisk")
        .unwrap();
    assert_eq!((adisk.ports, adisk.transport), (None, None));
    let x11 = p.records.iter().find(|r| r.service_name == "x11").unwrap();
    assert_eq!(x11.ports, PortRange::new(6000, 6063));
    assert_eq!(
        p.records
            .iter()
            .filter(|r| r.service_name.is_empty())
            .count(),
        1
    );

    // What is written reads back the same.
    let mut out = String::new();
    write_iana_csv(&p.records, &mut out);
    assert_eq!(
        parse_iana_csv(&out, Mode::Strict).unwrap().records,
        p.records
    );
}

#[test]
fn services_fixture() {
    let strict = parse_services(SERVICES, Mode::Strict).unwrap_err();
    assert_eq!((strict.line, strict.column), (30, 9));
    let p = parse_services(SERVICES, Mode::Lenient).unwrap();
    let lines: Vec<_> = p.errors.iter().map(|e| e.line).collect();
    assert_eq!(lines, [30, 31]);
    assert!(p.errors.iter().all(|e| matches!(
        &e.kind,
        ParseErrorKind::UnknownTransport { name } if name == "ddp"
    )));
    assert_eq!(p.records.len(), 23);
    let submissions = p.records.iter().find(|e| e.name == "submissions").unwrap();
    assert_eq!(submissions.aliases, ["ssmtp", "smtps", "urd"]);
    assert_eq!(submissions.comment, Some("Submission over TLS [RFC8314]"));

    let mut out = String::new();
    write_services(&p.records, &mut out);
    assert_eq!(
        parse_services(&out, Mode::Strict).unwrap().records,
        p.records
    );
}

#[test]
fn registry_from_both_files() {
    let iana = parse_iana_csv(IANA_CSV, Mode::Lenient).unwrap();
    let local = parse_services(SERVICES, Mode::Lenient).unwrap();
    let mut registry = Registry::new();
    // Rows without a name or without a port assign no service.
    assert_eq!(registry.extend_iana(&iana.records), 11);
    assert_eq!(registry.extend_services(&local.records), 23);

    // The services file came last: its 21/tcp entry replaced the CSV's.
    let at21: Vec<_> = registry.services_at(21, Transport::Tcp).collect();
    assert_eq!(at21.len(), 1);
    assert_eq!(
        (at21[0].name(), at21[0].registration()),
        ("ftp", Registration::Local)
    );
    // 21/udp: the CSV's ftp and the file's fsp, in insertion order.
    let udp: Vec<_> = registry
        .services_at(21, Transport::Udp)
        .map(|s| s.name())
        .collect();
    assert_eq!(udp, ["ftp", "fsp"]);
    // 21/sctp: nothing added, so the static table answers.
    let sctp = registry.services_at(21, Transport::Sctp).next().unwrap();
    assert_eq!(sctp.registration(), Registration::Iana);
    assert_eq!(sctp.reference(), Some("RFC 959"));
    // By name, the latest addition wins; aliases count.
    assert_eq!(registry.service("krb5").unwrap().name(), "kerberos");
    assert_eq!(
        registry.service("sip-tls").unwrap().registration(),
        Registration::Local
    );
    assert_eq!(
        registry.service("ssh").unwrap().description(),
        "SSH Remote Login Protocol"
    );
    // Not in either file: the static table.
    assert_eq!(registry.service("rtmp").unwrap().name(), "macromedia-fcs");
    // The CSV's x11 range and the file's single-port x11 are different entries.
    let x: Vec<_> = registry
        .services_at(6000, Transport::Tcp)
        .map(|s| s.ports())
        .collect();
    assert_eq!(
        x,
        [
            PortRange::new(6000, 6063).unwrap(),
            PortRange::single(6000).unwrap()
        ]
    );
}
