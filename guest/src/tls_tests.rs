//! The guest's provider: P-256 from `portable-streams-p256`.

use super::provider;

#[test]
fn p256_is_computed_on_32_bit_limbs() {
    let provider = provider();
    assert!(portable_streams_p256::verifies_p256(&provider));
    assert!(format!("{:?}", provider.key_provider).starts_with("KeysWithP256"));
    let p256_exchange = provider
        .kx_groups
        .iter()
        .find(|group| group.name() == rustls::NamedGroup::secp256r1);
    assert!(format!("{p256_exchange:?}").contains("SecP256R1"));
}
