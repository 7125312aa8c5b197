#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| streamkit_rtp::fuzz::latm(data));
