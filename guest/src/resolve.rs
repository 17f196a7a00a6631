//! Host names to addresses: numeric IPv4/IPv6 as they are, anything else
//! through `wasi:sockets/ip-name-lookup`, filtered by asyncio's `family=`.

use std::net::IpAddr;

use portable_streams_core::Error;
use wasip3::sockets::ip_name_lookup::resolve_addresses;

use crate::bindings::exports::portable::streams::streams as wit;
use crate::conv::{family_allows, ip_from_wasi, lookup_error};

/// Every address of `host` that `family` admits, in resolver order without
/// duplicates; none at all is `name-unresolvable`.
pub(crate) async fn resolve(host: &str, family: wit::AddressFamily) -> Result<Vec<IpAddr>, Error> {
    let found: Vec<IpAddr> = match host.parse::<IpAddr>() {
        Ok(ip) => vec![ip],
        Err(_) => resolve_addresses(host.to_owned())
            .await
            .map_err(|code| lookup_error(&code, host))?
            .into_iter()
            .map(ip_from_wasi)
            .collect(),
    };
    let admitted = admit(found, family);
    if admitted.is_empty() {
        return Err(Error::NameUnresolvable(format!(
            "{host}: no address of the requested family"
        )));
    }
    Ok(admitted)
}

/// The addresses `family` admits, first occurrence only.
pub(crate) fn admit(found: Vec<IpAddr>, family: wit::AddressFamily) -> Vec<IpAddr> {
    let mut out: Vec<IpAddr> = Vec::with_capacity(found.len());
    for ip in found {
        if family_allows(family, &ip) && !out.contains(&ip) {
            out.push(ip);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn admit_filters_and_dedups_in_order() {
        let ips: Vec<IpAddr> = ["::1", "127.0.0.1", "::1", "10.0.0.1"]
            .iter()
            .map(|s| s.parse().unwrap())
            .collect();
        let all = admit(ips.clone(), wit::AddressFamily::Unspecified);
        assert_eq!(all, vec![ips[0], ips[1], ips[3]]);
        assert_eq!(
            admit(ips.clone(), wit::AddressFamily::Ipv4),
            vec![ips[1], ips[3]]
        );
        assert_eq!(
            admit(ips, wit::AddressFamily::Ipv6),
            vec!["::1".parse::<IpAddr>().unwrap()]
        );
    }
}
