//! The guest's provider: P-256 from `portable-streams-p256`.

use rustls::pki_types::alg_id;

use super::provider;

#[test]
fn p256_signatures_are_checked_and_made_on_32_bit_limbs() {
    let provider = provider();
    let p256: Vec<_> = provider
        .signature_verification_algorithms
        .all
        .iter()
        .filter(|alg| alg.public_key_alg_id() == alg_id::ECDSA_P256)
        .collect();
    assert_eq!(p256.len(), 2);
    assert!(p256.iter().all(|alg| {
        std::ptr::addr_eq(**alg, portable_streams_p256::ECDSA_P256_SHA256)
            || std::ptr::addr_eq(**alg, portable_streams_p256::ECDSA_P256_SHA384)
    }));
    assert!(format!("{:?}", provider.key_provider).starts_with("KeysWithP256"));
}
