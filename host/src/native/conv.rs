//! Conversions between core's neutral types and the generated WIT types:
//! nothing but `From` impls and the one reader-limit helper the policy
//! needs.

use std::net::SocketAddr;

use portable_streams_core::connect::{ConnectPlan, Family};
use portable_streams_core::tls::{ClientOptions, ServerOptions};
use portable_streams_core::{Connection, Error, ReadBuffer, TlsDetails};

use crate::policy::Policy;

use super::wit;

impl From<Error> for wit::Error {
    fn from(error: Error) -> Self {
        match error {
            Error::IncompleteRead { partial, expected } => {
                wit::Error::IncompleteRead(wit::IncompleteRead {
                    partial: Vec::from(partial),
                    expected,
                })
            }
            Error::LimitOverrun { message, consumed } => {
                wit::Error::LimitOverrun(wit::LimitOverrun { message, consumed })
            }
            Error::InvalidArgument(m) => wit::Error::InvalidArgument(m),
            Error::ConnectionRefused(m) => wit::Error::ConnectionRefused(m),
            Error::ConnectionReset(m) => wit::Error::ConnectionReset(m),
            Error::ConnectionAborted(m) => wit::Error::ConnectionAborted(m),
            Error::HostUnreachable(m) => wit::Error::HostUnreachable(m),
            Error::Timeout(m) => wit::Error::Timeout(m),
            Error::NameUnresolvable(m) => wit::Error::NameUnresolvable(m),
            Error::AddressInUse(m) => wit::Error::AddressInUse(m),
            Error::AddressNotAvailable(m) => wit::Error::AddressNotAvailable(m),
            Error::AccessDenied(m) => wit::Error::AccessDenied(m),
            Error::Closed(m) => wit::Error::Closed(m),
            Error::Busy(m) => wit::Error::Busy(m),
            Error::Unsupported(m) => wit::Error::Unsupported(m),
            Error::Tls(m) => wit::Error::Tls(m),
            Error::Other(m) => wit::Error::Other(m),
        }
    }
}

impl From<wit::AddressFamily> for Family {
    fn from(family: wit::AddressFamily) -> Self {
        match family {
            wit::AddressFamily::Unspecified => Family::Unspecified,
            wit::AddressFamily::Ipv4 => Family::Ipv4,
            wit::AddressFamily::Ipv6 => Family::Ipv6,
        }
    }
}

impl From<&wit::ConnectOptions> for ConnectPlan {
    fn from(options: &wit::ConnectOptions) -> Self {
        ConnectPlan {
            family: options.family.into(),
            local_address: options.local_address.clone(),
            happy_eyeballs_delay: options.happy_eyeballs_delay,
            interleave: options.interleave,
            connect_timeout: options.connect_timeout,
        }
    }
}

/// A TCP endpoint as asyncio's `peername` / `sockname`.
pub(crate) fn socket_address(addr: SocketAddr) -> wit::SocketAddress {
    match addr {
        SocketAddr::V4(v4) => wit::SocketAddress::Ipv4(wit::Ipv4Endpoint {
            host: v4.ip().to_string(),
            port: v4.port(),
        }),
        SocketAddr::V6(v6) => wit::SocketAddress::Ipv6(wit::Ipv6Endpoint {
            host: v6.ip().to_string(),
            port: v6.port(),
            flow_info: v6.flowinfo(),
            scope_id: v6.scope_id(),
        }),
    }
}

/// A reader for the WIT's `limit` option within the policy's cap on
/// reader limits (core's rule, `caps::reader`).
pub(crate) fn read_buffer(limit: Option<u32>, policy: &Policy) -> Result<ReadBuffer, Error> {
    portable_streams_core::caps::reader(limit, policy.max_read_buffer())
}

/// A connection engine for `read` under the policy's caps.
pub(crate) fn engine(read: ReadBuffer, policy: &Policy) -> Connection {
    Connection::with_caps(read, policy.caps())
}

/// A WIT duration (nanoseconds) as a std duration.
pub(crate) fn duration(nanos: u64) -> std::time::Duration {
    std::time::Duration::from_nanos(nanos)
}

impl From<&wit::ClientTlsOptions> for ClientOptions {
    fn from(options: &wit::ClientTlsOptions) -> Self {
        Self {
            server_name: options.server_name.clone(),
            extra_root_certificates: options.extra_root_certificates.clone(),
            alpn_protocols: options.alpn_protocols.clone(),
            handshake_timeout: options.handshake_timeout.map(duration),
            shutdown_timeout: options.shutdown_timeout.map(duration),
        }
    }
}

impl From<&wit::ServerTlsOptions> for ServerOptions {
    fn from(options: &wit::ServerTlsOptions) -> Self {
        Self {
            certificate_chain: options.certificate_chain.clone(),
            private_key: options.private_key.clone(),
            alpn_protocols: options.alpn_protocols.clone(),
            handshake_timeout: options.handshake_timeout.map(duration),
        }
    }
}

impl From<TlsDetails> for wit::TlsInfo {
    fn from(details: TlsDetails) -> Self {
        Self {
            protocol_version: details.protocol_version,
            cipher: details.cipher,
            alpn_protocol: details.alpn_protocol,
            peer_certificates: details.peer_certificates,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_keep_their_case() {
        assert!(matches!(
            wit::Error::from(Error::IncompleteRead { partial: "ab".into(), expected: Some(5) }),
            wit::Error::IncompleteRead(wit::IncompleteRead { ref partial, expected: Some(5) }) if partial == b"ab"
        ));
        assert!(matches!(
            wit::Error::from(Error::connection_lost()),
            wit::Error::ConnectionReset(m) if m == "Connection lost"
        ));
    }
}
