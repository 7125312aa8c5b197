//! Lookups in the static ports registry, and the two registry-file parsers.
//!
//! `cargo bench --bench ports`
//!
//! The linear scan beside the binary search is the peer: the obvious way to
//! answer the same question from the same table.

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use streamkit::ports::{
    Mode, SERVICES, Transport, parse_iana_csv, parse_services, scheme, service, services_at,
};

const IANA_CSV: &str = include_str!("../streamkit-ports/tests/data/service-names-port-numbers.csv");
const SERVICES_FILE: &str = include_str!("../streamkit-ports/tests/data/services");

fn lookups(c: &mut Criterion) {
    let mut g = c.benchmark_group("ports/port_lookup");
    g.throughput(Throughput::Elements(1));
    g.bench_function("services_at(554, tcp)", |b| {
        b.iter(|| services_at(black_box(554), black_box(Transport::Tcp)).next())
    });
    g.bench_function("services_at(6010, udp) in a range", |b| {
        b.iter(|| services_at(black_box(6010), black_box(Transport::Udp)).next())
    });
    g.bench_function("services_at(3478, udp) all", |b| {
        b.iter(|| services_at(black_box(3478), black_box(Transport::Udp)).count())
    });
    g.bench_function("linear scan (554, tcp)", |b| {
        b.iter(|| {
            let (port, t) = (black_box(554), black_box(Transport::Tcp));
            SERVICES.iter().find(|s| s.serves(port, t))
        })
    });
    g.finish();

    let mut g = c.benchmark_group("ports/scheme_lookup");
    g.throughput(Throughput::Elements(1));
    g.bench_function("scheme(rtmps)", |b| b.iter(|| scheme(black_box("rtmps"))));
    g.bench_function("scheme(RTSP)", |b| b.iter(|| scheme(black_box("RTSP"))));
    g.bench_function("scheme(unknown)", |b| {
        b.iter(|| scheme(black_box("gopher")))
    });
    g.finish();

    let mut g = c.benchmark_group("ports/name_lookup");
    g.throughput(Throughput::Elements(1));
    g.bench_function("service(submissions)", |b| {
        b.iter(|| service(black_box("submissions")))
    });
    g.bench_function("linear scan (submissions)", |b| {
        b.iter(|| {
            let name = black_box("submissions");
            SERVICES.iter().find(|s| s.is_named(name))
        })
    });
    g.finish();
}

fn parsers(c: &mut Criterion) {
    let mut g = c.benchmark_group("ports/parse");
    g.throughput(Throughput::Bytes(IANA_CSV.len() as u64));
    g.bench_function("iana csv (lenient)", |b| {
        b.iter(|| parse_iana_csv(black_box(IANA_CSV), Mode::Lenient))
    });
    g.throughput(Throughput::Bytes(SERVICES_FILE.len() as u64));
    g.bench_function("services (lenient)", |b| {
        b.iter(|| parse_services(black_box(SERVICES_FILE), Mode::Lenient))
    });
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .sample_size(20)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));
    targets = lookups, parsers
}
criterion_main!(benches);
