//! A registry value: the static table with services from parsed files laid
//! over it.
//!
//! # Override rules
//!
//! 1. Services added to a [`Registry`] shadow the static table **per
//!    query**: [`Registry::services_at`] answers from the added services when
//!    any of them serves that port and transport, and from the static table
//!    only when none does; [`Registry::service`] likewise answers from the
//!    added services when one of them has that name or alias.
//! 2. Among added services, a later one replaces an earlier one with the
//!    same name (ASCII case ignored) and the same port range, for the
//!    transports the later one names; an earlier service left with no
//!    transport is dropped. So adding `ftp 21/tcp` from a file replaces an
//!    earlier `ftp 21/tcp` but keeps an earlier `ftp 21/udp`.
//! 3. Among added services at one port, insertion order is kept; by name,
//!    the most recently added wins.
//! 4. URL schemes and protocol facts come from the static tables only.
//!
//! ```
//! use streamkit_ports::{parse_services, Mode, Registration, Registry, Transport};
//!
//! let local = parse_services("camera-rtsp 8554/tcp\n", Mode::Strict)?;
//! let mut registry = Registry::new();
//! registry.extend_services(&local.records);
//!
//! // 8554/tcp now answers from the file; 8554/udp still from the table.
//! let tcp: Vec<_> = registry.services_at(8554, Transport::Tcp).map(|s| s.name()).collect();
//! assert_eq!(tcp, ["camera-rtsp"]);
//! let udp = registry.services_at(8554, Transport::Udp).next().unwrap();
//! assert_eq!((udp.name(), udp.registration()), ("rtsp-alt", Registration::Iana));
//! # Ok::<(), streamkit_ports::ParseError>(())
//! ```

use crate::etc_services::ServicesEntry;
use crate::iana::IanaRecord;
use crate::service::{self, Service};
use crate::transport::Transport;

/// The static table plus added services; see the [module docs](self) for
/// the override rules.
///
/// Added services are kept in a plain list: [`insert`](Self::insert) and the
/// lookups are linear in the number added. The static table keeps its
/// compile-time index.
#[derive(Debug, Clone, Default)]
pub struct Registry {
    added: Vec<Service>,
}

impl Registry {
    /// A registry holding the static table only.
    #[must_use]
    pub fn new() -> Registry {
        Registry::default()
    }

    /// Adds `service` under override rule 2.
    pub fn insert(&mut self, service: Service) {
        let new = service.transports();
        self.added.retain_mut(|old| {
            if old.ports() == service.ports() && old.name().eq_ignore_ascii_case(service.name()) {
                let left = old.transports().difference(new);
                *old.transports_mut() = left;
                !left.is_empty()
            } else {
                true
            }
        });
        self.added.push(service);
    }

    /// Adds every IANA row that assigns a service at a port (see
    /// [`IanaRecord::to_service`]); returns how many were added.
    pub fn extend_iana<'r, 'a: 'r>(
        &mut self,
        records: impl IntoIterator<Item = &'r IanaRecord<'a>>,
    ) -> usize {
        let mut n = 0;
        for service in records.into_iter().filter_map(IanaRecord::to_service) {
            self.insert(service);
            n += 1;
        }
        n
    }

    /// Adds every services-file entry; returns how many were added.
    pub fn extend_services<'r, 'a: 'r>(
        &mut self,
        entries: impl IntoIterator<Item = &'r ServicesEntry<'a>>,
    ) -> usize {
        let mut n = 0;
        for entry in entries {
            self.insert(entry.to_service());
            n += 1;
        }
        n
    }

    /// The services added so far, in insertion order.
    #[must_use]
    pub fn added(&self) -> &[Service] {
        &self.added
    }

    /// The services at `port` over `transport` (override rule 1).
    pub fn services_at(&self, port: u16, transport: Transport) -> impl Iterator<Item = &Service> {
        let shadowed = self.added.iter().any(|s| s.serves(port, transport));
        let added = self
            .added
            .iter()
            .filter(move |s| shadowed && s.serves(port, transport));
        let fixed = service::services_at(port, transport).filter(move |_| !shadowed);
        added.chain(fixed.map(shorten))
    }

    /// The service named or aliased `name`, ASCII case ignored (override
    /// rules 1 and 3).
    #[must_use]
    pub fn service(&self, name: &str) -> Option<&Service> {
        self.added
            .iter()
            .rev()
            .find(|s| s.is_named(name))
            .or_else(|| service::service(name))
    }
}

fn shorten<'a>(service: &'static Service) -> &'a Service {
    service
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{PortRange, Registration, Transports};

    fn svc(name: &str, port: u16, transports: Transports) -> Service {
        Service::new(
            name.to_owned(),
            PortRange::single(port).unwrap(),
            transports,
            Registration::Local,
        )
    }

    #[test]
    fn static_only() {
        let r = Registry::new();
        assert_eq!(r.services_at(22, Transport::Tcp).count(), 2);
        assert_eq!(r.service("ssh").unwrap().ports().first(), 22);
    }

    #[test]
    fn added_services_shadow_per_port_and_transport() {
        let mut r = Registry::new();
        r.insert(svc("myftp", 21, Transports::TCP));
        let at = |r: &Registry, t| {
            r.services_at(21, t)
                .map(|s| s.name().to_owned())
                .collect::<Vec<_>>()
        };
        assert_eq!(at(&r, Transport::Tcp), ["myftp"]);
        assert_eq!(at(&r, Transport::Udp), ["ftp"]);
        // The static name still resolves; the new one too.
        assert_eq!(r.service("ftp").unwrap().registration(), Registration::Iana);
        assert_eq!(
            r.service("MYFTP").unwrap().registration(),
            Registration::Local
        );
    }

    #[test]
    fn later_insertions_replace_per_transport() {
        let mut r = Registry::new();
        r.insert(svc("cam", 8554, Transports::TCP_UDP).with_description("first"));
        r.insert(svc("CAM", 8554, Transports::TCP).with_description("second"));
        let descs: Vec<_> = r
            .added()
            .iter()
            .map(|s| (s.description(), s.transports()))
            .collect();
        assert_eq!(
            descs,
            [("first", Transports::UDP), ("second", Transports::TCP)]
        );
        r.insert(svc("cam", 8554, Transports::UDP).with_description("third"));
        let descs: Vec<_> = r.added().iter().map(Service::description).collect();
        assert_eq!(descs, ["second", "third"]);
        assert_eq!(r.service("cam").unwrap().description(), "third");
        // A different port is a different service.
        r.insert(svc("cam", 8555, Transports::UDP));
        assert_eq!(r.added().len(), 3);
    }
}
