//! The conversions between core's neutral types and the types a binding
//! generator makes from the `portable:streams` WIT, written once.
//!
//! Core depends on no binding: each crate that holds bindings (the guest,
//! the native host, the SDK) expands these macros in its own `conv.rs`,
//! naming the module of its generated `streams` interface. Every binding
//! generator gives the records and variants the same Rust shape (owned
//! `String`s and `Vec`s), so one text fits them all; a field that changes
//! in the WIT changes here, once.
//!
//! ```text
//! use crate::bindings::exports::portable::streams::streams as wit;
//! portable_streams_core::wit_conversions!(wit);
//! ```

/// `From` impls both ways between core's [`Error`](crate::Error) and the
/// WIT `error` variant: case for case, the message kept whole.
#[macro_export]
macro_rules! wit_error_conversions {
    ($wit:ident) => {
        impl ::core::convert::From<$crate::Error> for $wit::Error {
            fn from(error: $crate::Error) -> Self {
                use $crate::Error as E;
                match error {
                    E::IncompleteRead { partial, expected } => {
                        $wit::Error::IncompleteRead($wit::IncompleteRead {
                            partial: ::std::vec::Vec::from(partial),
                            expected,
                        })
                    }
                    E::LimitOverrun { message, consumed } => {
                        $wit::Error::LimitOverrun($wit::LimitOverrun { message, consumed })
                    }
                    E::InvalidArgument(m) => $wit::Error::InvalidArgument(m),
                    E::ConnectionRefused(m) => $wit::Error::ConnectionRefused(m),
                    E::ConnectionReset(m) => $wit::Error::ConnectionReset(m),
                    E::ConnectionAborted(m) => $wit::Error::ConnectionAborted(m),
                    E::HostUnreachable(m) => $wit::Error::HostUnreachable(m),
                    E::Timeout(m) => $wit::Error::Timeout(m),
                    E::NameUnresolvable(m) => $wit::Error::NameUnresolvable(m),
                    E::AddressInUse(m) => $wit::Error::AddressInUse(m),
                    E::AddressNotAvailable(m) => $wit::Error::AddressNotAvailable(m),
                    E::AccessDenied(m) => $wit::Error::AccessDenied(m),
                    E::Closed(m) => $wit::Error::Closed(m),
                    E::Busy(m) => $wit::Error::Busy(m),
                    E::Unsupported(m) => $wit::Error::Unsupported(m),
                    E::Tls(m) => $wit::Error::Tls(m),
                    E::Other(m) => $wit::Error::Other(m),
                }
            }
        }

        impl ::core::convert::From<$wit::Error> for $crate::Error {
            fn from(error: $wit::Error) -> Self {
                use $crate::Error as E;
                match error {
                    $wit::Error::IncompleteRead(r) => E::IncompleteRead {
                        partial: r.partial.into(),
                        expected: r.expected,
                    },
                    $wit::Error::LimitOverrun(o) => E::LimitOverrun {
                        message: o.message,
                        consumed: o.consumed,
                    },
                    $wit::Error::InvalidArgument(m) => E::InvalidArgument(m),
                    $wit::Error::ConnectionRefused(m) => E::ConnectionRefused(m),
                    $wit::Error::ConnectionReset(m) => E::ConnectionReset(m),
                    $wit::Error::ConnectionAborted(m) => E::ConnectionAborted(m),
                    $wit::Error::HostUnreachable(m) => E::HostUnreachable(m),
                    $wit::Error::Timeout(m) => E::Timeout(m),
                    $wit::Error::NameUnresolvable(m) => E::NameUnresolvable(m),
                    $wit::Error::AddressInUse(m) => E::AddressInUse(m),
                    $wit::Error::AddressNotAvailable(m) => E::AddressNotAvailable(m),
                    $wit::Error::AccessDenied(m) => E::AccessDenied(m),
                    $wit::Error::Closed(m) => E::Closed(m),
                    $wit::Error::Busy(m) => E::Busy(m),
                    $wit::Error::Unsupported(m) => E::Unsupported(m),
                    $wit::Error::Tls(m) => E::Tls(m),
                    $wit::Error::Other(m) => E::Other(m),
                }
            }
        }
    };
}

/// `From` impls for addressing: core's [`Family`](crate::connect::Family)
/// both ways with the WIT `address-family`, the WIT `connect-options` as
/// core's [`ConnectPlan`](crate::connect::ConnectPlan), and a std socket
/// address as the WIT `socket-address` (asyncio's `(host, port)` /
/// `(host, port, flowinfo, scope_id)`).
#[macro_export]
macro_rules! wit_address_conversions {
    ($wit:ident) => {
        impl ::core::convert::From<$wit::AddressFamily> for $crate::connect::Family {
            fn from(family: $wit::AddressFamily) -> Self {
                match family {
                    $wit::AddressFamily::Unspecified => Self::Unspecified,
                    $wit::AddressFamily::Ipv4 => Self::Ipv4,
                    $wit::AddressFamily::Ipv6 => Self::Ipv6,
                }
            }
        }

        impl ::core::convert::From<$crate::connect::Family> for $wit::AddressFamily {
            fn from(family: $crate::connect::Family) -> Self {
                use $crate::connect::Family as F;
                match family {
                    F::Unspecified => Self::Unspecified,
                    F::Ipv4 => Self::Ipv4,
                    F::Ipv6 => Self::Ipv6,
                }
            }
        }

        impl ::core::convert::From<&$wit::ConnectOptions> for $crate::connect::ConnectPlan {
            fn from(options: &$wit::ConnectOptions) -> Self {
                Self {
                    family: options.family.into(),
                    local_address: options.local_address.clone(),
                    happy_eyeballs_delay: options.happy_eyeballs_delay,
                    interleave: options.interleave,
                    connect_timeout: options.connect_timeout,
                }
            }
        }

        impl ::core::convert::From<::std::net::SocketAddr> for $wit::SocketAddress {
            fn from(addr: ::std::net::SocketAddr) -> Self {
                match addr {
                    ::std::net::SocketAddr::V4(v4) => Self::Ipv4($wit::Ipv4Endpoint {
                        host: v4.ip().to_string(),
                        port: v4.port(),
                    }),
                    ::std::net::SocketAddr::V6(v6) => Self::Ipv6($wit::Ipv6Endpoint {
                        host: v6.ip().to_string(),
                        port: v6.port(),
                        flow_info: v6.flowinfo(),
                        scope_id: v6.scope_id(),
                    }),
                }
            }
        }
    };
}

/// Every conversion above, for a binding of the whole interface.
#[macro_export]
macro_rules! wit_conversions {
    ($wit:ident) => {
        $crate::wit_error_conversions!($wit);
        $crate::wit_address_conversions!($wit);
    };
}
