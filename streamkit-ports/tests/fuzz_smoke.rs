//! Runs the fuzz targets of streamkit-ports (`streamkit_ports::fuzz`,
//! called by `fuzz/` at the repository root) over seeds: the committed
//! registry files (whole, cut short, with CRLF line ends) and edge inputs.
//! Cheap, so the targets' checks run on every test run and not only under
//! libFuzzer.
#![allow(clippy::unwrap_used, clippy::panic)] // test code: a failure fails the test

use std::path::PathBuf;

use streamkit_ports::{Mode, fuzz, parse_iana_csv_bytes, parse_services_bytes};

fn data(name: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn both_targets(data: &[u8]) {
    fuzz::iana_csv(data);
    fuzz::services(data);
}

#[test]
fn registry_files_pass_both_targets() {
    let csv = data("service-names-port-numbers.csv");
    let services = data("services");
    // Each file reads as its own kind, so the targets reach their round
    // trips and the registry.
    assert!(
        !parse_iana_csv_bytes(&csv, Mode::Lenient)
            .unwrap()
            .records
            .is_empty()
    );
    assert!(
        !parse_services_bytes(&services, Mode::Lenient)
            .unwrap()
            .records
            .is_empty()
    );
    for file in [csv, services] {
        both_targets(&file);
        for cut in [1, file.len() / 3, file.len() / 2, file.len() - 1] {
            both_targets(&file[..cut]);
        }
        let crlf = String::from_utf8(file).unwrap().replace('\n', "\r\n");
        both_targets(crlf.as_bytes());
    }
}

#[test]
fn edge_inputs_pass_both_targets() {
    let inputs: &[&[u8]] = &[
        b"",
        b"\n\n",
        b"#",
        b"rtsp 554/tcp\n",
        b"rtsp 554/tcp rtsp-alt # comment\nx 0/udp\ny 65535/sctp\n",
        b"Service Name,Port Number,Transport Protocol\n\"a\"\"b\",1-2,tcp\n",
        b"\"unterminated,1,tcp\n",
        b"a,99999,tcp\n",
        b"\xff\xfe\n",
    ];
    for data in inputs {
        both_targets(data);
    }
}
