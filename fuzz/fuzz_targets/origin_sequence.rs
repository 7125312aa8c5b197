#![no_main]

// The origin reads no clock; the fuzzer's virtual clock starts at a real instant.
libfuzzer_sys::fuzz_target!(|data: &[u8]| streamkit_origin::fuzz::sequence(std::time::Instant::now(), data));
