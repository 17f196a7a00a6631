//! TLS for the `tls-bulk` and `tls-handshake` workloads: a throwaway CA, the peer's acceptor
//! and the tokio contender's connector (tokio-rustls with `ring`).

use std::sync::Arc;

use anyhow::{Context, Result};
use portable_streams_tests::pki::Pki;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio_rustls::{TlsAcceptor, TlsConnector};

/// The CA, and the server side made from its certificate.
pub struct BenchTls {
    /// The CA and the peer's certificate (also as files, for CPython).
    pub pki: Pki,
    /// The peer's TLS side.
    pub acceptor: TlsAcceptor,
}

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

impl BenchTls {
    /// A new CA and the peer's TLS side.
    pub fn new() -> Result<Self> {
        let pki = Pki::new();
        let chain = CertificateDer::pem_slice_iter(pki.chain_pem.as_bytes())
            .collect::<Result<Vec<_>, _>>()
            .context("chain PEM")?;
        let key = PrivateKeyDer::from_pem_slice(pki.key_pem.as_bytes()).context("key PEM")?;
        let config = rustls::ServerConfig::builder_with_provider(provider())
            .with_safe_default_protocol_versions()?
            .with_no_client_auth()
            .with_single_cert(chain, key)?;
        Ok(Self {
            pki,
            acceptor: TlsAcceptor::from(Arc::new(config)),
        })
    }

    /// A client side that trusts the CA and resumes no session, so every
    /// connection makes a full handshake (as the components' and CPython's
    /// clients, which keep no session cache across connections, do).
    pub fn connector(&self) -> Result<TlsConnector> {
        let mut roots = rustls::RootCertStore::empty();
        for cert in CertificateDer::pem_slice_iter(self.pki.ca_pem.as_bytes()) {
            roots.add(cert.context("CA PEM")?)?;
        }
        let mut config = rustls::ClientConfig::builder_with_provider(provider())
            .with_safe_default_protocol_versions()?
            .with_root_certificates(roots)
            .with_no_client_auth();
        config.resumption = rustls::client::Resumption::disabled();
        Ok(TlsConnector::from(Arc::new(config)))
    }
}
