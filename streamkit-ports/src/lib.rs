//! The registry of ports, services, URL schemes and streaming-protocol facts.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod etc_services;
mod iana;
mod parse;
mod protocol;
mod scheme;
mod service;
mod transport;

pub use etc_services::{ServicesEntry, parse_services, parse_services_bytes, write_services};
pub use iana::{IANA_HEADER, IanaRecord, parse_iana_csv, parse_iana_csv_bytes, write_iana_csv};
pub use parse::{MAX_LINE_BYTES, Mode, ParseError, ParseErrorKind, Parsed};
pub use protocol::{
    Delivery, LatencyClass, PROTOCOLS, ProtocolId, Status, StreamingProtocol, protocol,
    protocols_named, protocols_on_port,
};
pub use scheme::{SCHEMES, UrlScheme, scheme};
pub use service::{Registration, SERVICES, Service, service, services_at, services_named};
pub use transport::{PortRange, Transport, Transports};
