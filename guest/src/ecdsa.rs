//! ECDSA P-256 for the guest's TLS on `p256` 0.14: signature checks
//! (certificate chains, `CertificateVerify`) in `verify.rs`, and a TLS
//! server's signatures in `sign.rs`.
//!
//! The RustCrypto provider uses `p256` 0.13, whose field arithmetic on
//! 32-bit targets widens its limbs to 64 bits and multiplies them in
//! `u128`: wasm32 has no instruction for that, and a profile of the
//! guest's handshakes had compiler-rt's `__multi3` and the field's
//! multiplication on top. `p256` 0.14 works on 32-bit limbs there (wasm's
//! 64-bit multiply gives each product at once) and multiplies the
//! generator from precomputed tables. Every other algorithm and key type
//! stays the provider's.

mod sign;
mod verify;

pub(crate) use sign::KeysWithP256;
pub(crate) use verify::with_p256;
#[cfg(test)]
pub(crate) use verify::{ECDSA_P256_SHA256, ECDSA_P256_SHA384};

#[cfg(test)]
mod tests;
