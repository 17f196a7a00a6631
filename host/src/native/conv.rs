//! Conversions between core, `std::io` and the generated WIT types.

use std::io;
use std::net::{IpAddr, SocketAddr};

use portable_streams_core::{Error, ReadBuffer};

use crate::policy::Policy;

use super::wit;

/// Core's error as the WIT variant.
pub(crate) fn to_wit(error: Error) -> wit::Error {
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

/// An OS error as core's error, its message prefixed with `context`
/// (asyncio's "Connect call failed ('127.0.0.1', 1): ...").
pub(crate) fn io_error(error: &io::Error, context: &str) -> Error {
    use io::ErrorKind as K;
    let message = format!("{context}: {error}");
    match error.kind() {
        K::ConnectionRefused => Error::ConnectionRefused(message),
        K::ConnectionReset | K::BrokenPipe => Error::ConnectionReset(message),
        K::ConnectionAborted => Error::ConnectionAborted(message),
        K::HostUnreachable | K::NetworkUnreachable | K::NetworkDown => {
            Error::HostUnreachable(message)
        }
        K::TimedOut => Error::Timeout(message),
        K::AddrInUse => Error::AddressInUse(message),
        K::AddrNotAvailable => Error::AddressNotAvailable(message),
        K::PermissionDenied => Error::AccessDenied(message),
        K::InvalidInput => Error::InvalidArgument(message),
        K::Unsupported => Error::Unsupported(message),
        _ => Error::Other(message),
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

/// Whether asyncio's `family=` admits `ip`.
pub(crate) fn family_allows(family: wit::AddressFamily, ip: &IpAddr) -> bool {
    match family {
        wit::AddressFamily::Unspecified => true,
        wit::AddressFamily::Ipv4 => ip.is_ipv4(),
        wit::AddressFamily::Ipv6 => ip.is_ipv6(),
    }
}

/// A reader for the WIT's `limit` option (none = 64 KiB, 0 is invalid),
/// within the policy's cap on reader buffers: an explicit limit above the
/// cap is denied; the default shrinks to the cap.
pub(crate) fn read_buffer(limit: Option<u32>, policy: &Policy) -> Result<ReadBuffer, Error> {
    let limit = match (limit, policy.max_read_buffer()) {
        (None, Some(max)) if max < ReadBuffer::DEFAULT_LIMIT => {
            Some(i64::try_from(max).unwrap_or(i64::MAX))
        }
        (limit, _) => limit.map(i64::from),
    };
    let buffer = ReadBuffer::with_limit(limit)?;
    if let Some(max) = policy.max_read_buffer()
        && buffer.limit() > max
    {
        return Err(Error::AccessDenied(format!(
            "a reader limit of {} bytes is above the policy's cap of {max} bytes",
            buffer.limit()
        )));
    }
    Ok(buffer)
}

/// A WIT duration (nanoseconds) as a std duration.
pub(crate) fn duration(nanos: u64) -> std::time::Duration {
    std::time::Duration::from_nanos(nanos)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn os_errors_keep_their_meaning() {
        let refused = io::Error::from(io::ErrorKind::ConnectionRefused);
        assert!(matches!(
            io_error(&refused, "Connect call failed ('127.0.0.1', 1)"),
            Error::ConnectionRefused(m) if m.starts_with("Connect call failed ('127.0.0.1', 1): ")
        ));
        let pipe = io::Error::from(io::ErrorKind::BrokenPipe);
        assert!(matches!(
            io_error(&pipe, "write"),
            Error::ConnectionReset(_)
        ));
        let used = io::Error::from(io::ErrorKind::AddrInUse);
        assert!(matches!(io_error(&used, "bind"), Error::AddressInUse(_)));
    }

    #[test]
    fn reader_limits_are_validated_and_capped() {
        let open = Policy::allow_all();
        assert_eq!(read_buffer(None, &open).unwrap().limit(), 64 * 1024);
        assert!(matches!(
            read_buffer(Some(0), &open),
            Err(Error::InvalidArgument(_))
        ));
        let capped = Policy::allow_all().with_max_read_buffer(1024);
        assert!(read_buffer(Some(1024), &capped).is_ok());
        assert_eq!(read_buffer(None, &capped).unwrap().limit(), 1024);
        assert!(matches!(
            read_buffer(Some(1025), &capped),
            Err(Error::AccessDenied(m)) if m.contains("1024")
        ));
    }
}
