//! Where an example receives UDP: `IP:PORT` binds that address; a
//! multicast group (`GROUP:PORT`) is joined, on the interface given after
//! `@` (`GROUP:PORT@IP` for IPv4, the interface's address;
//! `[GROUP]:PORT@INDEX` for IPv6, the interface index) or else on the one
//! the routing table picks for the group (the default route's). A group
//! sent on another interface, loopback included, only arrives when that
//! interface is named. Shared by `ts_udp --listen` and serve's
//! `--udp-ingest`.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, UdpSocket};

/// A receiving address, with the interface a multicast group is joined on.
#[derive(Clone, Copy, Debug)]
pub(crate) struct UdpListen {
    /// The address bound, or the group joined and the port bound.
    pub(crate) addr: SocketAddr,
    /// `None`: the routing table's choice.
    interface: Option<MulticastInterface>,
}

/// Where a multicast group is joined.
#[derive(Clone, Copy, Debug)]
enum MulticastInterface {
    /// The IPv4 address of the interface.
    V4(Ipv4Addr),
    /// The IPv6 interface index.
    V6(u32),
}

impl UdpListen {
    /// `IP:PORT`, or `GROUP:PORT@INTERFACE` for a multicast group. The
    /// error says what is wrong, without the option's name.
    pub(crate) fn parse(spec: &str) -> Result<UdpListen, String> {
        let (addr, interface) = match spec.split_once('@') {
            Some((addr, interface)) => (addr, Some(interface)),
            None => (spec, None),
        };
        let addr: SocketAddr = addr.parse().map_err(|e| format!("{addr}: {e}"))?;
        let interface = match interface {
            None => None,
            Some(_) if !addr.ip().is_multicast() => {
                return Err(format!(
                    "{spec}: an interface (@) only goes with a multicast group"
                ));
            }
            Some(i) if addr.is_ipv4() => {
                Some(MulticastInterface::V4(i.parse().map_err(|e| {
                    format!("interface {i}: {e} (an IPv4 address)")
                })?))
            }
            Some(i) => {
                Some(MulticastInterface::V6(i.parse().map_err(|e| {
                    format!("interface {i}: {e} (an interface index)")
                })?))
            }
        };
        Ok(UdpListen { addr, interface })
    }

    /// Binds the socket, joining the group when the address is one.
    /// Returns it with the address senders use: for a group, the group
    /// and the port bound (port 0 asks for any).
    pub(crate) fn bind(&self) -> std::io::Result<(UdpSocket, SocketAddr)> {
        let socket = match self.addr.ip() {
            IpAddr::V4(group) if group.is_multicast() => {
                let s =
                    UdpSocket::bind(SocketAddr::from((Ipv4Addr::UNSPECIFIED, self.addr.port())))?;
                let interface = match self.interface {
                    Some(MulticastInterface::V4(ip)) => ip,
                    _ => Ipv4Addr::UNSPECIFIED,
                };
                s.join_multicast_v4(&group, &interface)?;
                s
            }
            IpAddr::V6(group) if group.is_multicast() => {
                let s =
                    UdpSocket::bind(SocketAddr::from((Ipv6Addr::UNSPECIFIED, self.addr.port())))?;
                let index = match self.interface {
                    Some(MulticastInterface::V6(index)) => index,
                    _ => 0,
                };
                s.join_multicast_v6(&group, index)?;
                s
            }
            _ => UdpSocket::bind(self.addr)?,
        };
        let local = socket.local_addr()?;
        // A group is received on the port bound: the address senders use
        // is the group's, not the wildcard the socket is bound to.
        let local = if self.addr.ip().is_multicast() {
            SocketAddr::new(self.addr.ip(), local.port())
        } else {
            local
        };
        Ok((socket, local))
    }
}
