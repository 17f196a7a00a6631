//! P-256 for rustls inside a WebAssembly component (the guest backend's
//! TLS uses it), on `p256` 0.14: ECDSA signature checks (certificate
//! chains, `CertificateVerify`) in `verify.rs`, a TLS server's signatures
//! in `sign.rs`, and ECDHE key exchange in `kx.rs`.
//!
//! The pure-Rust RustCrypto provider uses `p256` 0.13, whose field
//! arithmetic on 32-bit targets widens its limbs to 64 bits and multiplies
//! them in `u128`: wasm32 has no instruction for that, and a profile of
//! the guest's handshakes had compiler-rt's `__multi3` and the field's
//! multiplication on top. `p256` 0.14 works on 32-bit limbs there (wasm's
//! 64-bit multiply gives each product at once) and multiplies the
//! generator from precomputed tables. Every other algorithm and key type
//! stays the provider's.

mod kx;
mod sign;
mod verify;

use rustls::crypto::CryptoProvider;

pub use kx::SecP256R1;
pub use sign::KeysWithP256;
pub use verify::{ECDSA_P256_SHA256, ECDSA_P256_SHA384, with_p256};

/// Puts this crate's P-256 into `provider`: its signature checks replace
/// the provider's P-256 ones, its key loader wraps the provider's, and
/// its key exchange takes the provider's `secp256r1` place (drawing from
/// the provider's random source). The provider's tables are `'static`, so
/// the new ones are leaked: call it once per provider made.
pub fn use_p256(provider: &mut CryptoProvider) {
    provider.signature_verification_algorithms =
        with_p256(provider.signature_verification_algorithms);
    provider.key_provider = Box::leak(Box::new(KeysWithP256(provider.key_provider)));
    let ours: &'static SecP256R1 = Box::leak(Box::new(SecP256R1(provider.secure_random)));
    for group in &mut provider.kx_groups {
        if group.name() == rustls::NamedGroup::secp256r1 {
            *group = ours;
        }
    }
}

/// Whether `provider` checks P-256 signatures with this crate's
/// verifiers, and with nothing else (as [`use_p256`] leaves it).
pub fn verifies_p256(provider: &CryptoProvider) -> bool {
    let mut p256 = provider
        .signature_verification_algorithms
        .all
        .iter()
        .filter(|alg| alg.public_key_alg_id() == rustls::pki_types::alg_id::ECDSA_P256)
        .peekable();
    p256.peek().is_some()
        && p256.all(|alg| {
            std::ptr::addr_eq(*alg, ECDSA_P256_SHA256) || std::ptr::addr_eq(*alg, ECDSA_P256_SHA384)
        })
}

#[cfg(test)]
mod tests;
