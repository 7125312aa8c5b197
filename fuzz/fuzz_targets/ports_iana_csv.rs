#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| streamkit_ports::fuzz::iana_csv(data));
