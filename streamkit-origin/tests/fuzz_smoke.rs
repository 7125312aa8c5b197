//! Runs the fuzz targets of streamkit-origin (`streamkit_origin::fuzz`,
//! called by `fuzz/` at the repository root) over seeds: request targets
//! of every policy rule, every Range form, validators, CORS and methods;
//! and sequences of requests, changes, timeouts, cancels and a finish.
//! Cheap, so the targets' checks run on every test run and not only under
//! libFuzzer.

use std::time::Instant;

use streamkit_origin::fuzz;

#[allow(clippy::disallowed_methods)] // the virtual clock starts at a real instant
fn t0() -> Instant {
    Instant::now()
}

/// A request seed: flags byte, target, header lines.
fn seed(flags: u8, target: &str, headers: &[&str]) -> Vec<u8> {
    let mut out = vec![flags];
    out.extend_from_slice(target.as_bytes());
    for h in headers {
        out.push(b'\n');
        out.extend_from_slice(h.as_bytes());
    }
    out
}

#[test]
fn request_seeds() {
    let t = t0();
    let targets = [
        "/a.bin",
        "/s/a.bin",
        "/a.bin?x=1",
        "/empty",
        "/late",
        "/live",
        "/none",
        "/",
        "*",
        "",
        "/../etc/passwd",
        "/a/%2e%2e/b",
        "/a%2Fb",
        "/caf%C3%A9",
        "/a%",
        "/a%zz",
        "/a\\b",
        "/a\0b",
        "/a b",
        "//a",
        "/a/./b",
        "/a?\x01",
        "/é",
    ];
    let header_sets: [&[&str]; 9] = [
        &[],
        &["Range: bytes=2-5"],
        &["Range: bytes=-3"],
        &["Range: bytes=8-"],
        &["Range: bytes=10-"],
        &["Range: bytes=0-1,3-4"],
        &["If-None-Match: \"a\""],
        &["If-None-Match: *", "Range: bytes=0-0"],
        &[
            "Origin: https://p.example",
            "Access-Control-Request-Method: GET",
        ],
    ];
    let long = format!("/{}", "a".repeat(100));
    for flags in [0u8, 1, 2, 3, 4, 8, 0x10 | 3, 0x20, 0x40, 0x7f, 0xff] {
        for target in targets.iter().copied().chain([long.as_str()]) {
            for headers in header_sets {
                fuzz::request(t, &seed(flags, target, headers));
            }
        }
    }
    fuzz::request(t, &[]);
    fuzz::request(t, &[0]);
    fuzz::request(t, &[0, 0xff, 0xfe, b'\n', 0xc0]);
}

#[test]
fn sequence_seeds() {
    let t = t0();
    fuzz::sequence(t, &[]);
    // Requests for every name, then changes, waits, cancels, a finish.
    let mut ops = Vec::new();
    for name in 0..8u8 {
        ops.extend_from_slice(&[0, name, 1, name | 0x80]);
    }
    for arg in [0u8, 4, 8, 12, 0x48, 1, 5, 9] {
        ops.extend_from_slice(&[2, arg]);
    }
    ops.extend_from_slice(&[4, 0, 4, 3, 3, 50, 2, 0x4a, 3, 200, 5, 0, 0, 0, 0, 4]);
    fuzz::sequence(t, &ops);
    // Every pair of operation kinds and a spread of arguments.
    for a in 0..6u8 {
        for b in 0..6u8 {
            let mut ops = Vec::new();
            for arg in [0u8, 1, 7, 0x42, 0x83, 0xff] {
                ops.extend_from_slice(&[a, arg, b, arg.wrapping_mul(3)]);
            }
            fuzz::sequence(t, &ops);
        }
    }
    // A pseudo-random walk (xorshift), long enough to fill the bound.
    let mut x: u32 = 0x1234_5678;
    let walk: Vec<u8> = (0..4096)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            x.to_le_bytes()[0]
        })
        .collect();
    for chunk in walk.chunks(256) {
        fuzz::sequence(t, chunk);
    }
}
