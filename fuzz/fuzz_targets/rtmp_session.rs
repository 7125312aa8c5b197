#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| streamkit_rtmp::fuzz::session(std::time::Instant::now(), data));
