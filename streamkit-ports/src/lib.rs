//! The registry of ports, services, URL schemes and streaming-protocol facts.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod protocol;
mod scheme;
mod service;
mod transport;

pub use protocol::{
    Delivery, LatencyClass, PROTOCOLS, ProtocolId, Status, StreamingProtocol, protocol,
    protocols_named, protocols_on_port,
};
pub use scheme::{SCHEMES, UrlScheme, scheme};
pub use service::{Registration, SERVICES, Service, service, services_at, services_named};
pub use transport::{PortRange, Transport, Transports};
