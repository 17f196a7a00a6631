//! Neutral addresses: asyncio's `family=` filter, which resolved addresses
//! a connect tries, and which addresses a server binds.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use crate::Error;

/// asyncio's `family=` argument.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Family {
    /// `AF_UNSPEC`: any.
    #[default]
    Unspecified,
    /// `AF_INET`: IPv4 only.
    Ipv4,
    /// `AF_INET6`: IPv6 only.
    Ipv6,
}

impl Family {
    /// Whether this filter admits `ip`.
    pub fn allows(self, ip: &IpAddr) -> bool {
        match self {
            Family::Unspecified => true,
            Family::Ipv4 => ip.is_ipv4(),
            Family::Ipv6 => ip.is_ipv6(),
        }
    }
}

/// The address a connect really reaches, as Linux (and so asyncio) treats
/// it: an IPv4-mapped IPv6 address is its IPv4 address, and the
/// unspecified address is the loopback address of its family. Applied on
/// both backends, so `wasi:sockets` (which refuses both forms) and native
/// sockets agree, and the policy judges the address actually reached.
pub fn reached(ip: IpAddr) -> IpAddr {
    match ip.to_canonical() {
        IpAddr::V4(v4) if v4.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
        IpAddr::V6(v6) if v6.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
        other => other,
    }
}

/// The addresses a connect tries: those `family` admits, each as
/// [`reached`], first occurrence only, in resolver order. None at all is
/// `name-unresolvable`.
pub fn connect_targets(
    host: &str,
    found: impl IntoIterator<Item = IpAddr>,
    family: Family,
    port: u16,
) -> Result<Vec<SocketAddr>, Error> {
    targets(host, found, family, port, reached)
}

/// Every address `family` admits, as resolved (for binding: local and
/// listening addresses), first occurrence only; none is
/// `name-unresolvable`.
pub fn bind_targets(
    host: &str,
    found: impl IntoIterator<Item = IpAddr>,
    family: Family,
    port: u16,
) -> Result<Vec<SocketAddr>, Error> {
    targets(host, found, family, port, |ip| ip)
}

fn targets(
    host: &str,
    found: impl IntoIterator<Item = IpAddr>,
    family: Family,
    port: u16,
    used_as: fn(IpAddr) -> IpAddr,
) -> Result<Vec<SocketAddr>, Error> {
    let mut out: Vec<SocketAddr> = Vec::new();
    for ip in found.into_iter().filter(|ip| family.allows(ip)) {
        let addr = SocketAddr::new(used_as(ip), port);
        if !out.contains(&addr) {
            out.push(addr);
        }
    }
    if out.is_empty() {
        return Err(no_address(host));
    }
    Ok(out)
}

fn no_address(host: &str) -> Error {
    unresolvable(host, "no address of the requested family")
}

/// `socket.gaierror` for `host`, the resolver's `words` after its name
/// ("x.invalid: Name or service not known"), the same on every backend.
pub fn unresolvable(host: &str, words: &str) -> Error {
    Error::NameUnresolvable(format!("{host}: {words}"))
}

/// The context asyncio gives a failed bind.
pub fn bind_context(addr: &SocketAddr) -> String {
    format!(
        "error while attempting to bind on address {}",
        super::py_addr(addr)
    )
}

/// The context asyncio gives a failed connect attempt.
pub fn connect_context(remote: &SocketAddr) -> String {
    format!("Connect call failed {}", super::py_addr(remote))
}

/// A numeric host as its address, without asking a resolver.
pub fn numeric(host: &str) -> Option<IpAddr> {
    host.parse().ok()
}

/// Whether `hosts` means "all interfaces": no host, or an empty one
/// (asyncio's `host=None` / `host=''`).
pub fn is_wildcard(hosts: &[String]) -> bool {
    hosts.is_empty() || hosts.iter().any(String::is_empty)
}

/// The wildcard addresses `family` admits: `0.0.0.0` and `::`.
pub fn wildcard(family: Family, port: u16) -> Vec<SocketAddr> {
    [
        IpAddr::V4(Ipv4Addr::UNSPECIFIED),
        IpAddr::V6(Ipv6Addr::UNSPECIFIED),
    ]
    .into_iter()
    .filter(|ip| family.allows(ip))
    .map(|ip| SocketAddr::new(ip, port))
    .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn mapped_and_unspecified_addresses_are_what_linux_reaches() {
        assert_eq!(reached(ip("::ffff:127.0.0.1")), ip("127.0.0.1"));
        assert_eq!(reached(ip("0.0.0.0")), ip("127.0.0.1"));
        assert_eq!(reached(ip("::")), ip("::1"));
        assert_eq!(reached(ip("10.1.2.3")), ip("10.1.2.3"));
    }

    #[test]
    fn targets_filter_dedup_and_keep_order() {
        let found = [
            ip("::1"),
            ip("127.0.0.1"),
            ip("::ffff:127.0.0.1"),
            ip("10.0.0.1"),
        ];
        let all = connect_targets("h", found, Family::Unspecified, 5).unwrap();
        let want: Vec<SocketAddr> = ["[::1]:5", "127.0.0.1:5", "10.0.0.1:5"]
            .iter()
            .map(|s| s.parse().unwrap())
            .collect();
        assert_eq!(all, want);
        assert_eq!(
            connect_targets("h", found, Family::Ipv4, 5).unwrap(),
            want[1..]
        );
        assert!(matches!(
            connect_targets("h", [ip("::1")], Family::Ipv4, 5),
            Err(Error::NameUnresolvable(m)) if m == "h: no address of the requested family"
        ));
        assert_eq!(
            bind_targets("h", [ip("0.0.0.0")], Family::Unspecified, 0).unwrap(),
            vec!["0.0.0.0:0".parse::<SocketAddr>().unwrap()]
        );
    }

    #[test]
    fn wildcards() {
        assert!(is_wildcard(&[]));
        assert!(is_wildcard(&["".into()]));
        assert!(!is_wildcard(&["127.0.0.1".into()]));
        assert_eq!(wildcard(Family::Ipv6, 1).len(), 1);
        assert_eq!(wildcard(Family::Unspecified, 1).len(), 2);
    }
}
