//! The RTSP message parse bench (filled in below).
fn main() {}
