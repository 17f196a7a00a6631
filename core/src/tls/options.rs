//! asyncio's `ssl=` options as neutral records, and the rustls
//! configurations they make.

use std::sync::Arc;
use std::time::Duration;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use rustls::{ClientConfig, CommonState, RootCertStore, ServerConfig};

use super::{HANDSHAKE_TIMEOUT, Provider, SHUTDOWN_TIMEOUT};
use crate::{Error, TlsDetails};

/// The client side: asyncio's `ssl=`, `server_hostname=` and timeouts.
#[derive(Clone, Debug, Default)]
pub struct ClientOptions {
    /// `server_hostname`; none means the host connected to.
    pub server_name: Option<String>,
    /// Trust roots in PEM added to the web PKI roots.
    pub extra_root_certificates: Vec<String>,
    /// ALPN protocols offered, in order of preference.
    pub alpn_protocols: Vec<String>,
    /// `ssl_handshake_timeout` (none: 60 s).
    pub handshake_timeout: Option<Duration>,
    /// `ssl_shutdown_timeout` (none: 30 s).
    pub shutdown_timeout: Option<Duration>,
}

/// The server side: asyncio's `ssl=` for `start_server`.
#[derive(Clone, Debug, Default)]
pub struct ServerOptions {
    /// The certificate chain in PEM, leaf first.
    pub certificate_chain: String,
    /// The private key in PEM.
    pub private_key: String,
    /// ALPN protocols accepted, in order of preference.
    pub alpn_protocols: Vec<String>,
    /// `ssl_handshake_timeout` (none: 60 s).
    pub handshake_timeout: Option<Duration>,
    /// `ssl_shutdown_timeout` for every client's connection (none: 30 s).
    pub shutdown_timeout: Option<Duration>,
}

impl ClientOptions {
    /// The configuration these options make under `provider`.
    pub fn config(&self, provider: Provider) -> Result<Arc<ClientConfig>, Error> {
        let mut roots = RootCertStore::from_iter(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
        for pem in &self.extra_root_certificates {
            for cert in certificates(pem, "extra-root-certificates")? {
                roots
                    .add(cert)
                    .map_err(|e| Error::Tls(format!("unusable root certificate: {e}")))?;
            }
        }
        let mut config = ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| Error::Tls(e.to_string()))?
            .with_root_certificates(roots)
            .with_no_client_auth();
        config.alpn_protocols = alpn(&self.alpn_protocols);
        Ok(Arc::new(config))
    }

    /// The name to verify the server as: `server_name`, else `host` (the
    /// host connected to, or the peer's address for `start_tls`).
    pub fn verified_name(&self, host: Option<&str>) -> Result<ServerName<'static>, Error> {
        let name = match (&self.server_name, host) {
            (Some(name), _) => name.as_str(),
            (None, Some(host)) if !host.is_empty() => host,
            (None, _) => return Err(super::no_server_name()),
        };
        ServerName::try_from(name.to_owned())
            .map_err(|_| Error::InvalidArgument(format!("{name:?} is not a valid server name")))
    }

    /// The handshake's bound.
    pub fn handshake_timeout(&self) -> Duration {
        self.handshake_timeout.unwrap_or(HANDSHAKE_TIMEOUT)
    }

    /// How long closing may wait for `close_notify` to be sent.
    pub fn shutdown_timeout(&self) -> Duration {
        self.shutdown_timeout.unwrap_or(SHUTDOWN_TIMEOUT)
    }
}

impl ServerOptions {
    /// The configuration these options make under `provider`.
    pub fn config(&self, provider: Provider) -> Result<Arc<ServerConfig>, Error> {
        let chain = certificates(&self.certificate_chain, "certificate-chain")?;
        let key = PrivateKeyDer::from_pem_slice(self.private_key.as_bytes())
            .map_err(|e| Error::Tls(format!("bad PEM in private-key: {e}")))?;
        let mut config = ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| Error::Tls(e.to_string()))?
            .with_no_client_auth()
            .with_single_cert(chain, key)
            .map_err(|e| Error::Tls(format!("the certificate and key do not fit: {e}")))?;
        config.alpn_protocols = alpn(&self.alpn_protocols);
        // The provider's order of cipher suites decides (the backend knows
        // which are fast where it runs), not the client's.
        config.ignore_client_order = true;
        Ok(Arc::new(config))
    }

    /// The handshake's bound.
    pub fn handshake_timeout(&self) -> Duration {
        self.handshake_timeout.unwrap_or(HANDSHAKE_TIMEOUT)
    }

    /// How long closing a client's connection may take.
    pub fn shutdown_timeout(&self) -> Duration {
        self.shutdown_timeout.unwrap_or(SHUTDOWN_TIMEOUT)
    }
}

/// Every certificate in `pem`, or `tls` naming what is wrong.
fn certificates(pem: &str, what: &str) -> Result<Vec<CertificateDer<'static>>, Error> {
    let found: Result<Vec<_>, _> = CertificateDer::pem_slice_iter(pem.as_bytes()).collect();
    let found = found.map_err(|e| Error::Tls(format!("bad PEM in {what}: {e}")))?;
    if found.is_empty() {
        return Err(Error::Tls(format!("no PEM certificate in {what}")));
    }
    Ok(found)
}

/// ALPN protocol names as rustls takes them.
fn alpn(protocols: &[String]) -> Vec<Vec<u8>> {
    protocols.iter().map(|p| p.as_bytes().to_vec()).collect()
}

/// An established connection's details.
pub fn details(state: &CommonState) -> TlsDetails {
    let protocol_version = match state.protocol_version() {
        Some(rustls::ProtocolVersion::TLSv1_3) => "TLSv1.3".to_owned(),
        Some(rustls::ProtocolVersion::TLSv1_2) => "TLSv1.2".to_owned(),
        Some(other) => format!("{other:?}"),
        None => String::new(),
    };
    TlsDetails {
        protocol_version,
        cipher: state
            .negotiated_cipher_suite()
            .map(|suite| format!("{:?}", suite.suite()))
            .unwrap_or_default(),
        alpn_protocol: state
            .alpn_protocol()
            .map(|p| String::from_utf8_lossy(p).into_owned()),
        peer_certificates: state
            .peer_certificates()
            .map(|chain| chain.iter().map(|cert| cert.to_vec()).collect())
            .unwrap_or_default(),
    }
}
