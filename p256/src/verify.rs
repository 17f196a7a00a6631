//! ECDSA P-256 signature checks: the certificate chain's and the peer's
//! `CertificateVerify`.

use p256::ecdsa::signature::hazmat::PrehashVerifier;
use p256::ecdsa::{Signature, VerifyingKey};
use rustls::SignatureScheme;
use rustls::crypto::WebPkiSupportedAlgorithms;
use rustls::pki_types::{
    AlgorithmIdentifier, InvalidSignature, SignatureVerificationAlgorithm, alg_id,
};
use sha2::{Digest, Sha256, Sha384};

/// The digest an ECDSA P-256 signature covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Hash {
    Sha256,
    Sha384,
}

/// ECDSA on P-256 with one digest: an X.509 or TLS signature (DER) by a
/// SEC1-encoded public key.
#[derive(Debug)]
struct EcdsaP256(Hash);

/// P-256 with SHA-256 (`ecdsa_secp256r1_sha256`).
pub static ECDSA_P256_SHA256: &dyn SignatureVerificationAlgorithm = &EcdsaP256(Hash::Sha256);

/// P-256 with SHA-384 (a certificate signed that way).
pub static ECDSA_P256_SHA384: &dyn SignatureVerificationAlgorithm = &EcdsaP256(Hash::Sha384);

impl SignatureVerificationAlgorithm for EcdsaP256 {
    fn verify_signature(
        &self,
        public_key: &[u8],
        message: &[u8],
        signature: &[u8],
    ) -> Result<(), InvalidSignature> {
        let signature = Signature::from_der(signature).map_err(|_| InvalidSignature)?;
        let key = VerifyingKey::from_sec1_bytes(public_key).map_err(|_| InvalidSignature)?;
        let verified = match self.0 {
            Hash::Sha256 => key.verify_prehash(&Sha256::digest(message), &signature),
            Hash::Sha384 => key.verify_prehash(&Sha384::digest(message), &signature),
        };
        verified.map_err(|_| InvalidSignature)
    }

    fn public_key_alg_id(&self) -> AlgorithmIdentifier {
        alg_id::ECDSA_P256
    }

    fn signature_alg_id(&self) -> AlgorithmIdentifier {
        match self.0 {
            Hash::Sha256 => alg_id::ECDSA_SHA256,
            Hash::Sha384 => alg_id::ECDSA_SHA384,
        }
    }
}

/// `provided` with its ECDSA P-256 verifiers replaced by these. The new
/// tables are leaked (a provider's are `'static`): call it once per
/// provider made.
pub fn with_p256(provided: WebPkiSupportedAlgorithms) -> WebPkiSupportedAlgorithms {
    let all: Vec<_> = provided.all.iter().map(|alg| ours(*alg)).collect();
    let mapping: Vec<_> = provided
        .mapping
        .iter()
        .map(|(scheme, algs)| {
            let algs: Vec<_> = algs.iter().map(|alg| ours(*alg)).collect();
            (*scheme, &*Vec::leak(algs))
        })
        .collect::<Vec<(SignatureScheme, _)>>();
    WebPkiSupportedAlgorithms {
        all: Vec::leak(all),
        mapping: Vec::leak(mapping),
    }
}

/// This module's verifier for `alg` if it is ECDSA P-256, else `alg`.
fn ours(
    alg: &'static dyn SignatureVerificationAlgorithm,
) -> &'static dyn SignatureVerificationAlgorithm {
    if alg.public_key_alg_id() != alg_id::ECDSA_P256 {
        return alg;
    }
    match alg.signature_alg_id() {
        id if id == alg_id::ECDSA_SHA256 => ECDSA_P256_SHA256,
        id if id == alg_id::ECDSA_SHA384 => ECDSA_P256_SHA384,
        _ => alg,
    }
}
