//! A TLS server's ECDSA P-256 signatures (`CertificateVerify`): the
//! provider's key loader, with P-256 keys signing on `p256` 0.14.

use std::sync::Arc;

use p256::ecdsa::signature::hazmat::PrehashSigner;
use p256::ecdsa::{Signature, SigningKey};
use p256::pkcs8::DecodePrivateKey;
use rustls::crypto::KeyProvider;
use rustls::pki_types::PrivateKeyDer;
use rustls::sign::{self, Signer};
use rustls::{SignatureAlgorithm, SignatureScheme};
use sha2::{Digest, Sha256};

/// Loads P-256 keys (PKCS#8 or SEC1) itself and every other key with the
/// provider's loader it wraps.
#[derive(Debug)]
pub struct KeysWithP256(
    /// The provider's loader, for every other key.
    pub &'static dyn KeyProvider,
);

impl KeyProvider for KeysWithP256 {
    fn load_private_key(
        &self,
        key_der: PrivateKeyDer<'static>,
    ) -> Result<Arc<dyn sign::SigningKey>, rustls::Error> {
        match p256_key(&key_der) {
            Some(key) => Ok(Arc::new(P256Key(Arc::new(key)))),
            None => self.0.load_private_key(key_der),
        }
    }
}

/// `der` as a P-256 signing key, if it is one.
fn p256_key(der: &PrivateKeyDer<'_>) -> Option<SigningKey> {
    match der {
        PrivateKeyDer::Pkcs8(der) => SigningKey::from_pkcs8_der(der.secret_pkcs8_der()).ok(),
        PrivateKeyDer::Sec1(der) => p256::SecretKey::from_sec1_der(der.secret_sec1_der())
            .ok()
            .map(SigningKey::from),
        _ => None,
    }
}

/// A P-256 key: it signs `ecdsa_secp256r1_sha256` when the peer offers it.
#[derive(Debug)]
struct P256Key(Arc<SigningKey>);

impl sign::SigningKey for P256Key {
    fn choose_scheme(&self, offered: &[SignatureScheme]) -> Option<Box<dyn Signer>> {
        offered
            .contains(&SignatureScheme::ECDSA_NISTP256_SHA256)
            .then(|| Box::new(P256Signer(self.0.clone())) as Box<dyn Signer>)
    }

    fn algorithm(&self) -> SignatureAlgorithm {
        SignatureAlgorithm::ECDSA
    }
}

/// Signs with SHA-256 and a deterministic nonce (RFC 6979); DER output.
#[derive(Debug)]
struct P256Signer(Arc<SigningKey>);

impl Signer for P256Signer {
    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, rustls::Error> {
        let signature: Signature = self
            .0
            .sign_prehash(&Sha256::digest(message))
            .map_err(|_| rustls::Error::General("ECDSA P-256 signing failed".into()))?;
        Ok(signature.to_der().as_bytes().to_vec())
    }

    fn scheme(&self) -> SignatureScheme {
        SignatureScheme::ECDSA_NISTP256_SHA256
    }
}
