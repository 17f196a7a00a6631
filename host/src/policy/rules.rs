//! Allow-list entries: `HOST:PORT` rules, what they match, and their
//! parsing.

use std::net::{IpAddr, SocketAddr};
use std::str::FromStr;

use super::PolicyError;

/// An address range: one IP network (CIDR) or any address.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Network {
    Any,
    Cidr { base: IpAddr, prefix: u8 },
}

/// A port range, inclusive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct PortRange {
    first: u16,
    last: u16,
}

/// One allow-list entry: networks and a port range.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddressRule {
    networks: Vec<Network>,
    ports: PortRange,
    text: String,
}

/// The address as rules see it: IPv4-mapped IPv6 becomes IPv4.
pub(super) fn canonical(addr: SocketAddr) -> SocketAddr {
    SocketAddr::new(addr.ip().to_canonical(), addr.port())
}

impl AddressRule {
    /// Whether `addr` (IPv4-mapped IPv6 taken as IPv4) matches this rule.
    pub fn matches(&self, addr: SocketAddr) -> bool {
        let addr = canonical(addr);
        let port_ok = (self.ports.first..=self.ports.last).contains(&addr.port());
        port_ok && self.networks.iter().any(|n| n.contains(addr.ip()))
    }

    /// The rule as written.
    pub fn as_str(&self) -> &str {
        &self.text
    }
}

impl Network {
    fn contains(&self, ip: IpAddr) -> bool {
        match (self, ip) {
            (Network::Any, _) => true,
            (
                Network::Cidr {
                    base: IpAddr::V4(b),
                    prefix,
                },
                IpAddr::V4(ip),
            ) => {
                let mask = u32::MAX.checked_shl(32 - u32::from(*prefix)).unwrap_or(0);
                u32::from(*b) & mask == u32::from(ip) & mask
            }
            (
                Network::Cidr {
                    base: IpAddr::V6(b),
                    prefix,
                },
                IpAddr::V6(ip),
            ) => {
                let mask = u128::MAX.checked_shl(128 - u32::from(*prefix)).unwrap_or(0);
                u128::from(*b) & mask == u128::from(ip) & mask
            }
            _ => false,
        }
    }
}

impl FromStr for AddressRule {
    type Err = PolicyError;

    /// Parses `HOST:PORT`. HOST: an IP, a CIDR (`10.0.0.0/8`), `[v6]` or
    /// `[v6/64]`, `localhost` (127.0.0.0/8 and ::1) or `*`. PORT: a number,
    /// `first-last`, or `*`.
    fn from_str(rule: &str) -> Result<Self, Self::Err> {
        let bad = |reason: &str| PolicyError::BadRule {
            rule: rule.to_owned(),
            reason: reason.to_owned(),
        };
        let (host, port) = rule.rsplit_once(':').ok_or_else(|| bad("no port"))?;
        let ports = parse_ports(port).ok_or_else(|| bad("bad port or port range"))?;
        let host = host
            .strip_prefix('[')
            .and_then(|h| h.strip_suffix(']'))
            .unwrap_or(host);
        let networks = match host {
            "*" => vec![Network::Any],
            "localhost" => vec![
                Network::Cidr {
                    base: IpAddr::from([127, 0, 0, 0]),
                    prefix: 8,
                },
                Network::Cidr {
                    base: IpAddr::from([0u16, 0, 0, 0, 0, 0, 0, 1]),
                    prefix: 128,
                },
            ],
            _ => vec![parse_cidr(host).ok_or_else(|| bad("bad IP address or CIDR"))?],
        };
        Ok(Self {
            networks,
            ports,
            text: rule.to_owned(),
        })
    }
}

fn parse_ports(text: &str) -> Option<PortRange> {
    if text == "*" {
        return Some(PortRange {
            first: 0,
            last: u16::MAX,
        });
    }
    let (first, last) = match text.split_once('-') {
        Some((a, b)) => (a.parse().ok()?, b.parse().ok()?),
        None => {
            let p = text.parse().ok()?;
            (p, p)
        }
    };
    (first <= last).then_some(PortRange { first, last })
}

/// An IP or CIDR. An IPv4-mapped IPv6 network (`::ffff:10.0.0.0/104`) is
/// the IPv4 network it maps (`10.0.0.0/8`): IPv4 addresses are judged by
/// IPv4 networks only, so an IPv6 rule (even `::/0`) never admits one,
/// mapped or not.
fn parse_cidr(text: &str) -> Option<Network> {
    let (ip, prefix) = match text.split_once('/') {
        Some((ip, prefix)) => (ip.parse::<IpAddr>().ok()?, Some(prefix.parse::<u8>().ok()?)),
        None => (text.parse::<IpAddr>().ok()?, None),
    };
    let max = if ip.is_ipv4() { 32 } else { 128 };
    let prefix = prefix.unwrap_or(max);
    if prefix > max {
        return None;
    }
    Some(match ip {
        IpAddr::V6(v6) if prefix >= 96 && v6.to_ipv4_mapped().is_some() => Network::Cidr {
            base: ip.to_canonical(),
            prefix: prefix - 96,
        },
        _ => Network::Cidr { base: ip, prefix },
    })
}
