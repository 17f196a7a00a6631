//! The policy's address rules (`HOST:PORT` as `--allow-connect` and
//! `--allow-listen` take them): parsing and matching.
//!
//! Invariants: any text parses or is refused without a panic, and a rule
//! keeps its text as written; an IPv4 address and its IPv4-mapped IPv6
//! form match the same rules; a rule written from parts (`*`,
//! `localhost`, an IP with or without a prefix, bracketed or not; a port,
//! a range or `*`) parses and matches exactly the addresses a bit-by-bit
//! model of those parts admits, the model working in IPv6 space (IPv4 as
//! its mapped form) where the parser maps IPv4-mapped networks to IPv4;
//! an IPv6 network admits no IPv4 address, mapped or not.

#![no_main]

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use libfuzzer_sys::arbitrary::{Result, Unstructured};
use libfuzzer_sys::fuzz_target;
use portable_streams_host::policy::AddressRule;

/// What a rule admits, as parts.
#[derive(Debug)]
enum Host {
    Any,
    Localhost,
    Network { base: IpAddr, prefix: Option<u8> },
}

#[derive(Debug)]
struct Spec {
    host: Host,
    brackets: bool,
    ports: Option<(u16, u16)>,
}

impl Spec {
    fn arbitrary(u: &mut Unstructured<'_>) -> Result<Self> {
        let host = match u.int_in_range(0..=5)? {
            0 => Host::Any,
            1 => Host::Localhost,
            2 | 3 => {
                let base = IpAddr::V4(Ipv4Addr::from(u.arbitrary::<u32>()?));
                let prefix = u.arbitrary::<bool>()?.then(|| u.int_in_range(0..=32)).transpose()?;
                Host::Network { base, prefix }
            }
            _ => {
                let base = IpAddr::V6(Ipv6Addr::from(u.arbitrary::<u128>()?));
                let prefix = u.arbitrary::<bool>()?.then(|| u.int_in_range(0..=128)).transpose()?;
                Host::Network { base, prefix }
            }
        };
        let ports = if u.arbitrary::<bool>()? {
            None
        } else {
            let first = u.arbitrary::<u16>()?;
            let last = if u.arbitrary::<bool>()? { first } else { u.int_in_range(first..=u16::MAX)? };
            Some((first, last))
        };
        Ok(Self { host, brackets: u.arbitrary()?, ports })
    }

    fn text(&self) -> String {
        let host = match &self.host {
            Host::Any => "*".to_owned(),
            Host::Localhost => "localhost".to_owned(),
            Host::Network { base, prefix: None } => base.to_string(),
            Host::Network { base, prefix: Some(p) } => format!("{base}/{p}"),
        };
        // An IPv6 host needs brackets only for readers; the parser splits
        // at the last colon either way.
        let host = if self.brackets { format!("[{host}]") } else { host };
        let ports = match self.ports {
            None => "*".to_owned(),
            Some((a, b)) if a == b => a.to_string(),
            Some((a, b)) => format!("{a}-{b}"),
        };
        format!("{host}:{ports}")
    }

    /// The model: bit by bit, no masks.
    fn admits(&self, addr: SocketAddr) -> bool {
        let port_ok = self.ports.is_none_or(|(a, b)| (a..=b).contains(&addr.port()));
        let ip = addr.ip();
        let host_ok = match &self.host {
            Host::Any => true,
            Host::Localhost => match ip.to_canonical() {
                IpAddr::V4(v4) => v4.octets()[0] == 127,
                IpAddr::V6(v6) => v6 == Ipv6Addr::LOCALHOST,
            },
            // In IPv6 space, IPv4 as its mapped form: a /p IPv4 network
            // is /(96 + p) there, and so is a mapped network of /96 or
            // more. IPv4 addresses are judged by IPv4 networks only.
            Host::Network { base, prefix } => {
                let (prefix, ipv4_network) = match base {
                    IpAddr::V4(_) => (96 + usize::from(prefix.unwrap_or(32)), true),
                    IpAddr::V6(v6) => {
                        let p = usize::from(prefix.unwrap_or(128));
                        (p, p >= 96 && v6.to_ipv4_mapped().is_some())
                    }
                };
                let ipv4_address = ip.to_canonical().is_ipv4();
                ipv4_network == ipv4_address && bits(*base)[..prefix] == bits(ip)[..prefix]
            }
        };
        port_ok && host_ok
    }
}

/// The 128 bits of `ip` in IPv6 space (IPv4 as its mapped form).
fn bits(ip: IpAddr) -> Vec<bool> {
    let v6 = match ip {
        IpAddr::V4(v4) => v4.to_ipv6_mapped(),
        IpAddr::V6(v6) => v6,
    };
    v6.octets()
        .iter()
        .flat_map(|b| (0..8).rev().map(move |i| b >> i & 1 == 1))
        .collect()
}

/// An address to try: often near the rule's base, so matches happen.
fn address(u: &mut Unstructured<'_>, spec: &Spec) -> Result<SocketAddr> {
    let ip = match (&spec.host, u.int_in_range(0..=3)?) {
        (Host::Network { base: IpAddr::V4(b), .. }, 0 | 1) => {
            IpAddr::V4(Ipv4Addr::from(u32::from(*b) ^ (1u32 << u.int_in_range(0..=31)?)))
        }
        (Host::Network { base: IpAddr::V6(b), .. }, 0 | 1) => {
            IpAddr::V6(Ipv6Addr::from(u128::from(*b) ^ (1u128 << u.int_in_range(0..=127)?)))
        }
        (_, 2) => IpAddr::V4(Ipv4Addr::from(u.arbitrary::<u32>()?)),
        _ => IpAddr::V6(Ipv6Addr::from(u.arbitrary::<u128>()?)),
    };
    Ok(SocketAddr::new(ip, u.arbitrary()?))
}

fn mapped(addr: SocketAddr) -> Option<SocketAddr> {
    match addr.ip() {
        IpAddr::V4(v4) => Some(SocketAddr::new(IpAddr::V6(v4.to_ipv6_mapped()), addr.port())),
        IpAddr::V6(_) => None,
    }
}

fuzz_target!(|data: &[u8]| {
    let mut u = Unstructured::new(data);
    // Any text: parsed or refused, never a panic; kept as written.
    if let Ok(raw) = u.arbitrary::<&str>()
        && let Ok(rule) = raw.parse::<AddressRule>()
    {
        assert_eq!(rule.as_str(), raw);
        if let Ok(ip) = u.arbitrary::<u32>() {
            let v4 = SocketAddr::new(IpAddr::V4(Ipv4Addr::from(ip)), ip as u16);
            assert_eq!(rule.matches(v4), rule.matches(mapped(v4).unwrap()), "{raw}");
        }
    }
    // A rule written from parts matches what the model admits.
    let Ok(spec) = Spec::arbitrary(&mut u) else {
        return;
    };
    let text = spec.text();
    let rule = match text.parse::<AddressRule>() {
        Ok(rule) => rule,
        Err(error) => panic!("{text} refused: {error}"),
    };
    for _ in 0..8 {
        let Ok(addr) = address(&mut u, &spec) else {
            return;
        };
        assert_eq!(rule.matches(addr), spec.admits(addr), "{text} against {addr}");
        if let Some(m) = mapped(addr) {
            assert_eq!(rule.matches(m), spec.admits(addr), "{text} against {m}");
        }
    }
});
