#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| streamkit_rtp::fuzz::receiver(std::time::Instant::now(), data));
