#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| streamkit_rtsp::fuzz::client_responses(data));
