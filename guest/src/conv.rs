//! Conversions between the WIT types, core's neutral types and the
//! `wasi:sockets` types: core's `From` impls expanded for this binding,
//! the `wasi:sockets` errors as asyncio's, and address conversions that
//! cross two foreign types.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};

use portable_streams_core::Error;
use wasip3::sockets::ip_name_lookup::ErrorCode as LookupError;
use wasip3::sockets::types::{
    ErrorCode, IpAddress, IpAddressFamily, IpSocketAddress, Ipv4SocketAddress, Ipv6SocketAddress,
};

use crate::bindings::exports::portable::streams::streams as wit;

portable_streams_core::wit_conversions!(wit);
portable_streams_core::wit_tls_conversions!(wit);

/// A `wasi:sockets` error as the case asyncio raises for it, with the C
/// library's text (add asyncio's context with [`Error::context`]): core's
/// rule for OS errors (its `From<io::Error>`, which native's errors go
/// through too), given the kind the code stands for. (A function: both
/// types are foreign here.)
pub(crate) fn socket_error(code: ErrorCode) -> Error {
    Error::from(std::io::Error::new(io_kind(&code), strerror(&code)))
}

/// The OS error kind a `wasi:sockets` code stands for
/// (`connection-broken` is EPIPE).
fn io_kind(code: &ErrorCode) -> std::io::ErrorKind {
    use std::io::ErrorKind as K;
    match code {
        ErrorCode::AccessDenied => K::PermissionDenied,
        ErrorCode::NotSupported => K::Unsupported,
        ErrorCode::InvalidArgument => K::InvalidInput,
        ErrorCode::OutOfMemory => K::OutOfMemory,
        ErrorCode::Timeout => K::TimedOut,
        ErrorCode::AddressNotBindable => K::AddrNotAvailable,
        ErrorCode::AddressInUse => K::AddrInUse,
        ErrorCode::RemoteUnreachable => K::HostUnreachable,
        ErrorCode::ConnectionRefused => K::ConnectionRefused,
        ErrorCode::ConnectionBroken => K::BrokenPipe,
        ErrorCode::ConnectionReset => K::ConnectionReset,
        ErrorCode::ConnectionAborted => K::ConnectionAborted,
        ErrorCode::InvalidState | ErrorCode::DatagramTooLarge | ErrorCode::Other(_) => K::Other,
    }
}

/// The C library's text for a `wasi:sockets` error code, lower case: the
/// words core gives the same OS error on the native backend (glibc's), so
/// one failure reads the same on both.
pub(crate) fn strerror(code: &ErrorCode) -> String {
    match code {
        ErrorCode::AccessDenied => "permission denied".into(),
        ErrorCode::NotSupported => "operation not supported".into(),
        ErrorCode::InvalidArgument => "invalid argument".into(),
        ErrorCode::OutOfMemory => "cannot allocate memory".into(),
        ErrorCode::Timeout => "connection timed out".into(),
        ErrorCode::InvalidState => "invalid state".into(),
        ErrorCode::AddressNotBindable => "cannot assign requested address".into(),
        ErrorCode::AddressInUse => "address already in use".into(),
        ErrorCode::RemoteUnreachable => "no route to host".into(),
        ErrorCode::ConnectionRefused => "connection refused".into(),
        ErrorCode::ConnectionBroken => "broken pipe".into(),
        ErrorCode::ConnectionReset => "connection reset by peer".into(),
        ErrorCode::ConnectionAborted => "software caused connection abort".into(),
        ErrorCode::DatagramTooLarge => "message too long".into(),
        ErrorCode::Other(Some(text)) => text.clone(),
        ErrorCode::Other(None) => "unknown error".into(),
    }
}

/// A name-lookup failure for `host`: `access-denied` stays a policy denial,
/// everything else is `socket.gaierror` (`name-unresolvable`).
pub(crate) fn lookup_error(code: &LookupError, host: &str) -> Error {
    let text = match code {
        LookupError::AccessDenied => return Error::AccessDenied(format!("resolving {host:?}")),
        LookupError::InvalidArgument => "invalid host name".to_owned(),
        LookupError::NameUnresolvable => "Name or service not known".to_owned(),
        LookupError::TemporaryResolverFailure => "Temporary failure in name resolution".to_owned(),
        LookupError::PermanentResolverFailure => {
            "Non-recoverable failure in name resolution".into()
        }
        LookupError::Other(Some(text)) => text.clone(),
        LookupError::Other(None) => "unknown resolver error".into(),
    };
    portable_streams_core::connect::unresolvable(host, &text)
}

/// A `wasi:sockets` IP address as a std one.
pub(crate) fn ip_from_wasi(ip: IpAddress) -> IpAddr {
    match ip {
        IpAddress::Ipv4((a, b, c, d)) => IpAddr::V4(Ipv4Addr::new(a, b, c, d)),
        IpAddress::Ipv6((a, b, c, d, e, f, g, h)) => {
            IpAddr::V6(Ipv6Addr::new(a, b, c, d, e, f, g, h))
        }
    }
}

/// A `wasi:sockets` socket address as a std one.
pub(crate) fn addr_from_wasi(addr: IpSocketAddress) -> SocketAddr {
    match addr {
        IpSocketAddress::Ipv4(v4) => {
            let (a, b, c, d) = v4.address;
            SocketAddr::V4(SocketAddrV4::new(Ipv4Addr::new(a, b, c, d), v4.port))
        }
        IpSocketAddress::Ipv6(v6) => {
            let (a, b, c, d, e, f, g, h) = v6.address;
            SocketAddr::V6(SocketAddrV6::new(
                Ipv6Addr::new(a, b, c, d, e, f, g, h),
                v6.port,
                v6.flow_info,
                v6.scope_id,
            ))
        }
    }
}

/// A std socket address as a `wasi:sockets` one.
pub(crate) fn addr_to_wasi(addr: SocketAddr) -> IpSocketAddress {
    match addr {
        SocketAddr::V4(v4) => {
            let [a, b, c, d] = v4.ip().octets();
            IpSocketAddress::Ipv4(Ipv4SocketAddress {
                port: v4.port(),
                address: (a, b, c, d),
            })
        }
        SocketAddr::V6(v6) => {
            let [a, b, c, d, e, f, g, h] = v6.ip().segments();
            IpSocketAddress::Ipv6(Ipv6SocketAddress {
                port: v6.port(),
                flow_info: v6.flowinfo(),
                address: (a, b, c, d, e, f, g, h),
                scope_id: v6.scope_id(),
            })
        }
    }
}

/// The `wasi:sockets` family of an address.
pub(crate) fn family_of(addr: &SocketAddr) -> IpAddressFamily {
    if addr.is_ipv4() {
        IpAddressFamily::Ipv4
    } else {
        IpAddressFamily::Ipv6
    }
}

#[cfg(test)]
#[path = "conv_tests.rs"]
mod tests;
