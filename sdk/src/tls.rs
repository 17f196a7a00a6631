//! TLS options: asyncio's `ssl=` (with `server_hostname=`,
//! `ssl_handshake_timeout=`, `ssl_shutdown_timeout=`) as builders, and what
//! `get_extra_info('ssl_object')` tells. Available on both backends (the
//! guest runs its TLS stack inside the component).

use std::time::Duration;

use crate::wit;

/// The TLS details of a connection: protocol version, cipher, ALPN
/// protocol, the peer's certificate chain in DER.
pub use wit::TlsInfo;

fn nanos(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}

/// What both sides set alike: the timeouts and ALPN.
#[derive(Debug, Clone, Default)]
struct Common {
    handshake_timeout: Option<Duration>,
    shutdown_timeout: Option<Duration>,
    alpn: Vec<String>,
}

/// The builder methods of [`Common`], for both sides.
macro_rules! common_setters {
    () => {
        /// `ssl_handshake_timeout=`.
        pub fn handshake_timeout(mut self, timeout: Duration) -> Self {
            self.common.handshake_timeout = Some(timeout);
            self
        }

        /// `ssl_shutdown_timeout=`.
        pub fn shutdown_timeout(mut self, timeout: Duration) -> Self {
            self.common.shutdown_timeout = Some(timeout);
            self
        }

        /// `set_alpn_protocols(...)`: in order of preference.
        pub fn alpn_protocols<S: Into<String>>(
            mut self,
            protocols: impl IntoIterator<Item = S>,
        ) -> Self {
            self.common.alpn = protocols.into_iter().map(Into::into).collect();
            self
        }
    };
}

/// The client side of TLS: the server is verified against the web PKI
/// roots plus any added here, under `server_name` (default: the host
/// connected to; an IP address is checked against the certificate's).
///
/// ```no_run
/// # async fn demo(ca_pem: String) -> Result<(), portable_streams::Error> {
/// use portable_streams::{ClientTls, ConnectOptions, open_connection_with};
///
/// let tls = ClientTls::new().add_root_certificate(ca_pem).alpn_protocols(["http/1.1"]);
/// let options = ConnectOptions::new().tls(tls);
/// let (reader, writer) = open_connection_with("localhost", 8443, options).await?;
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, Default)]
pub struct ClientTls {
    server_name: Option<String>,
    roots: Vec<String>,
    common: Common,
}

impl ClientTls {
    /// Verification on, web PKI roots, asyncio's timeouts (60 s, 30 s).
    pub fn new() -> Self {
        Self::default()
    }

    /// `server_hostname=`: the name to verify.
    pub fn server_name(mut self, name: impl Into<String>) -> Self {
        self.server_name = Some(name.into());
        self
    }

    /// Trusts the certificates in `pem` too
    /// (`load_verify_locations(cadata=...)`).
    pub fn add_root_certificate(mut self, pem: impl Into<String>) -> Self {
        self.roots.push(pem.into());
        self
    }

    common_setters!();

    pub(crate) fn into_wit(self) -> wit::ClientTlsOptions {
        wit::ClientTlsOptions {
            server_name: self.server_name,
            extra_root_certificates: self.roots,
            handshake_timeout: self.common.handshake_timeout.map(nanos),
            shutdown_timeout: self.common.shutdown_timeout.map(nanos),
            alpn_protocols: self.common.alpn,
        }
    }
}

/// The server side of TLS: a certificate chain (leaf first) and its
/// private key, in PEM.
#[derive(Debug, Clone)]
pub struct ServerTls {
    chain: String,
    key: String,
    common: Common,
}

impl ServerTls {
    /// The chain and key (`load_cert_chain`); bad PEM is reported as the
    /// `tls` error when the server starts.
    pub fn new(chain_pem: impl Into<String>, key_pem: impl Into<String>) -> Self {
        Self {
            chain: chain_pem.into(),
            key: key_pem.into(),
            common: Common::default(),
        }
    }

    common_setters!();

    pub(crate) fn into_wit(self) -> wit::ServerTlsOptions {
        wit::ServerTlsOptions {
            certificate_chain: self.chain,
            private_key: self.key,
            handshake_timeout: self.common.handshake_timeout.map(nanos),
            shutdown_timeout: self.common.shutdown_timeout.map(nanos),
            alpn_protocols: self.common.alpn,
        }
    }
}
