//! A throwaway certificate authority for the TLS tests: a CA and a server
//! certificate for `localhost` and 127.0.0.1 it signed, as PEM strings and
//! as files (for CPython's `ssl`).

use std::path::PathBuf;

use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair};

/// The CA and one server certificate, with files in a temp dir.
pub struct Pki {
    /// The CA's certificate (the trust root).
    pub ca_pem: String,
    /// The server's certificate chain, leaf first.
    pub chain_pem: String,
    /// The server's private key.
    pub key_pem: String,
    dir: tempfile::TempDir,
}

impl Pki {
    /// A new CA and server certificate.
    pub fn new() -> Self {
        Self::issue(false)
    }

    /// A new CA and a server certificate that expired in 2020.
    pub fn expired() -> Self {
        Self::issue(true)
    }

    fn issue(expired: bool) -> Self {
        let ca_key = KeyPair::generate().expect("CA key");
        let mut ca_params = CertificateParams::new(Vec::<String>::new()).expect("CA params");
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca_params
            .distinguished_name
            .push(DnType::CommonName, "portable-streams test CA");
        let ca = ca_params.self_signed(&ca_key).expect("CA certificate");
        let issuer = Issuer::new(ca_params, ca_key);
        let key = KeyPair::generate().expect("server key");
        let mut params =
            CertificateParams::new(vec!["localhost".to_owned(), "127.0.0.1".to_owned()])
                .expect("server params");
        params
            .distinguished_name
            .push(DnType::CommonName, "localhost");
        if expired {
            params.not_before = rcgen::date_time_ymd(2019, 1, 1);
            params.not_after = rcgen::date_time_ymd(2020, 1, 1);
        }
        let leaf = params.signed_by(&key, &issuer).expect("server certificate");
        let pki = Self {
            ca_pem: ca.pem(),
            chain_pem: leaf.pem(),
            key_pem: key.serialize_pem(),
            dir: tempfile::tempdir().expect("temp dir"),
        };
        for (name, pem) in [
            ("ca.pem", &pki.ca_pem),
            ("chain.pem", &pki.chain_pem),
            ("key.pem", &pki.key_pem),
        ] {
            std::fs::write(pki.dir.path().join(name), pem).expect("write PEM");
        }
        pki
    }

    /// The file holding `name` (`ca.pem`, `chain.pem` or `key.pem`).
    pub fn file(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }
}

impl Default for Pki {
    fn default() -> Self {
        Self::new()
    }
}
