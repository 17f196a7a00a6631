//! The guest's provider: P-256 from `portable-streams-p256`.

use super::provider;

#[test]
fn p256_signatures_are_checked_and_made_on_32_bit_limbs() {
    let provider = provider();
    assert!(portable_streams_p256::verifies_p256(&provider));
    assert!(format!("{:?}", provider.key_provider).starts_with("KeysWithP256"));
}
