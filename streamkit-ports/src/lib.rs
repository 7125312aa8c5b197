//! The registry of ports, services, URL schemes and streaming-protocol facts.
//!
//! Servers use it to choose default ports, label traffic, fill in a URL's
//! default port and describe the protocols they speak. Everything below is
//! Sans-IO: the tables are `static` (built at compile time, no start-up
//! work), lookups allocate nothing, and the parsers take the text of a
//! registry file that the caller has read.
//!
//! ```
//! use streamkit_ports::{scheme, service, services_at, ProtocolId, Registration, Transport};
//!
//! // Port 21 is FTP's control connection; SFTP runs inside SSH on 22.
//! let on_21: Vec<&str> = services_at(21, Transport::Tcp).map(|s| s.name()).collect();
//! assert_eq!(on_21, ["ftp"]);
//! let on_22: Vec<&str> = services_at(22, Transport::Tcp).map(|s| s.name()).collect();
//! assert_eq!(on_22, ["ssh", "sftp"]);
//!
//! // 465 is `submissions`: SMTP submission over implicit TLS (RFC 8314).
//! let smtps = service("smtps").unwrap();
//! assert_eq!((smtps.name(), smtps.ports().first()), ("submissions", 465));
//! assert_eq!(smtps.registration(), Registration::Iana);
//!
//! // A URL without a port: where to connect, and with what.
//! let rtsps = scheme("rtsps").unwrap();
//! assert_eq!(rtsps.default_port, Some(322));
//! assert_eq!(rtsps.protocol, Some(ProtocolId::Rtsp));
//! assert_eq!(scheme("srt").unwrap().default_port, None); // no IANA port
//!
//! // What a protocol is, in one readable summary.
//! let rtmp = ProtocolId::Rtmp.facts();
//! assert_eq!(rtmp.default_ports, [1935]);
//! println!("{rtmp}");
//! ```
//!
//! # Modules of the API
//!
//! - Static tables and lookups: [`services_at`], [`service()`], [`scheme()`],
//!   [`protocol()`], [`lookup`] (all of them at once, as `examples/ports.rs`
//!   prints them).
//! - Registry files: [`parse_iana_csv`] and [`parse_services`] with their
//!   writers [`write_iana_csv`] and [`write_services`]; errors carry line and
//!   column ([`ParseError`]), and [`Mode::Lenient`] collects them instead of
//!   stopping.
//! - [`Registry`]: the static table with parsed services laid over it,
//!   under the override rules its docs state.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod etc_services;
/// Entry points of the fuzz targets in `fuzz/`; built only with the
/// `fuzz` feature (the fuzz crate and this crate's own tests enable it).
#[cfg(feature = "fuzz")]
#[doc(hidden)]
pub mod fuzz;
pub mod iana;
pub mod parse;
pub mod protocol;
pub mod query;
pub mod registry;
pub mod scheme;
pub mod service;
pub mod transport;

pub use etc_services::{ServicesEntry, parse_services, parse_services_bytes, write_services};
pub use iana::{IANA_HEADER, IanaRecord, parse_iana_csv, parse_iana_csv_bytes, write_iana_csv};
pub use parse::{MAX_LINE_BYTES, Mode, ParseError, ParseErrorKind, Parsed};
pub use protocol::{
    Delivery, LatencyClass, PROTOCOLS, ProtocolId, Status, StreamingProtocol, protocol,
    protocols_named, protocols_on_port,
};
pub use query::{Lookup, lookup};
pub use registry::Registry;
pub use scheme::{SCHEMES, UrlScheme, scheme};
pub use service::{Registration, SERVICES, Service, service, services_at, services_named};
pub use transport::{PortRange, Transport, Transports};
