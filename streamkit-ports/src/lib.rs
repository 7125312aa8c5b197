//! The registry of ports, services, URL schemes and streaming-protocol facts.
#![forbid(unsafe_code)]
#![deny(missing_docs)]
