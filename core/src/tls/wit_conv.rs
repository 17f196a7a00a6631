//! The TLS conversions between core's neutral types and a binding's
//! generated `portable:streams` types, written once (see `wit_conv.rs`).

/// `From` impls for TLS: the WIT `client-tls-options` and
/// `server-tls-options` as core's [`ClientOptions`](crate::tls::ClientOptions)
/// and [`ServerOptions`](crate::tls::ServerOptions) (WIT durations are
/// nanoseconds), and core's [`TlsDetails`](crate::TlsDetails) as the WIT
/// `tls-info`; `SocketAddress::verified_host`, the name a client's
/// `start_tls` verifies the server as without `server-name`; and
/// `TlsSide::side`, the side `start_tls` runs.
#[macro_export]
macro_rules! wit_tls_conversions {
    ($wit:ident) => {
        impl $wit::TlsSide {
            /// The side `start_tls` runs under `provider`: a client
            /// without `server-name` verifies its peer's address (`peer`,
            /// see `verified_host`), as asyncio verifies the host it
            /// connected to.
            pub(crate) fn side(
                &self,
                peer: ::core::option::Option<&$wit::SocketAddress>,
                provider: $crate::tls::Provider,
            ) -> ::core::result::Result<$crate::tls::Side, $crate::Error> {
                match self {
                    $wit::TlsSide::Client(options) => $crate::tls::Side::client(
                        options,
                        peer.and_then($wit::SocketAddress::verified_host),
                        provider,
                    ),
                    $wit::TlsSide::Server(options) => $crate::tls::Side::server(options, provider),
                }
            }
        }

        impl $wit::SocketAddress {
            /// The name a client verifies this peer as when no
            /// `server-name` is given: its IP address (asyncio passes the
            /// host it connected to); none for a Unix socket.
            pub(crate) fn verified_host(&self) -> ::core::option::Option<&str> {
                match self {
                    $wit::SocketAddress::Ipv4(endpoint) => Some(&endpoint.host),
                    $wit::SocketAddress::Ipv6(endpoint) => Some(&endpoint.host),
                    _ => None,
                }
            }
        }

        impl ::core::convert::From<&$wit::ClientTlsOptions> for $crate::tls::ClientOptions {
            fn from(options: &$wit::ClientTlsOptions) -> Self {
                Self {
                    server_name: options.server_name.clone(),
                    extra_root_certificates: options.extra_root_certificates.clone(),
                    alpn_protocols: options.alpn_protocols.clone(),
                    handshake_timeout: options
                        .handshake_timeout
                        .map(::std::time::Duration::from_nanos),
                    shutdown_timeout: options
                        .shutdown_timeout
                        .map(::std::time::Duration::from_nanos),
                }
            }
        }

        impl ::core::convert::From<&$wit::ServerTlsOptions> for $crate::tls::ServerOptions {
            fn from(options: &$wit::ServerTlsOptions) -> Self {
                Self {
                    certificate_chain: options.certificate_chain.clone(),
                    private_key: options.private_key.clone(),
                    alpn_protocols: options.alpn_protocols.clone(),
                    handshake_timeout: options
                        .handshake_timeout
                        .map(::std::time::Duration::from_nanos),
                    shutdown_timeout: options
                        .shutdown_timeout
                        .map(::std::time::Duration::from_nanos),
                }
            }
        }

        impl ::core::convert::From<$crate::TlsDetails> for $wit::TlsInfo {
            fn from(details: $crate::TlsDetails) -> Self {
                Self {
                    protocol_version: details.protocol_version,
                    cipher: details.cipher,
                    alpn_protocol: details.alpn_protocol,
                    peer_certificates: details.peer_certificates,
                }
            }
        }
    };
}
