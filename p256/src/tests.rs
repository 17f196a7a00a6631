//! The P-256 verifiers against `p256` 0.13's signatures (the provider's
//! own crate), what `with_p256` replaces, and P-256 keys' signatures.

use p256_old::ecdsa::signature::Signer;
use p256_old::ecdsa::{DerSignature, Signature, SigningKey};
use std::sync::Arc;

use rustls::SignatureScheme;
use rustls::pki_types::{PrivateKeyDer, alg_id};

use super::{ECDSA_P256_SHA256, ECDSA_P256_SHA384, SecP256R1, use_p256, verifies_p256, with_p256};

/// The RustCrypto provider with this crate's P-256 put in (made once).
fn provider() -> &'static rustls::crypto::CryptoProvider {
    static PROVIDER: std::sync::OnceLock<rustls::crypto::CryptoProvider> =
        std::sync::OnceLock::new();
    PROVIDER.get_or_init(|| {
        let mut provider = rustls_rustcrypto::provider();
        use_p256(&mut provider);
        provider
    })
}

/// A signing key from a fixed seed (a valid scalar for every `seed`).
fn key(seed: u8) -> SigningKey {
    let mut bytes = [0x11u8; 32];
    bytes[31] = seed.max(1);
    SigningKey::from_bytes(&bytes.into()).unwrap()
}

/// The SEC1 (uncompressed) public key of `key`.
fn public(key: &SigningKey) -> Vec<u8> {
    key.verifying_key()
        .to_encoded_point(false)
        .as_bytes()
        .to_vec()
}

/// `message` signed by `key` with SHA-256, DER-encoded.
fn sign(key: &SigningKey, message: &[u8]) -> Vec<u8> {
    let signature: Signature = key.sign(message);
    signature.to_der().as_bytes().to_vec()
}

#[test]
fn a_valid_signature_verifies_and_every_change_fails() {
    for seed in 1..=20u8 {
        let key = key(seed);
        let message: Vec<u8> = (0..u32::from(seed) * 7).map(|i| i as u8).collect();
        let signature = sign(&key, &message);
        let signer = public(&key);
        assert!(
            ECDSA_P256_SHA256
                .verify_signature(&signer, &message, &signature)
                .is_ok()
        );

        let mut other_message = message.clone();
        other_message.push(0);
        assert!(
            ECDSA_P256_SHA256
                .verify_signature(&signer, &other_message, &signature)
                .is_err()
        );

        let other_key = public(&self::key(seed.wrapping_add(100)));
        assert!(
            ECDSA_P256_SHA256
                .verify_signature(&other_key, &message, &signature)
                .is_err()
        );

        let mut bent = signature.clone();
        let last = bent.len() - 1;
        bent[last] ^= 1;
        assert!(
            ECDSA_P256_SHA256
                .verify_signature(&signer, &message, &bent)
                .is_err()
        );

        // The same signature over the SHA-384 digest is another statement.
        assert!(
            ECDSA_P256_SHA384
                .verify_signature(&signer, &message, &signature)
                .is_err()
        );
    }
}

#[test]
fn a_high_s_signature_verifies_as_the_provider_s_does() {
    // Peers do not all normalize `s`; X.509 and TLS accept either half.
    let key = key(7);
    let message = b"high s";
    let signature: Signature = key.sign(message);
    let (r, s) = signature.split_scalars();
    let high = Signature::from_scalars(r.to_bytes(), (-*s).to_bytes()).unwrap();
    let der: DerSignature = high.to_der();
    assert!(
        ECDSA_P256_SHA256
            .verify_signature(&public(&key), message, der.as_bytes())
            .is_ok()
    );
}

#[test]
fn sha384_signatures_verify() {
    use p256_old::ecdsa::signature::hazmat::PrehashSigner;
    use sha2::{Digest, Sha384};
    let key = key(9);
    let message = b"a certificate signed with SHA-384";
    let signature: Signature = key.sign_prehash(&Sha384::digest(message)).unwrap();
    let der = signature.to_der();
    assert!(
        ECDSA_P256_SHA384
            .verify_signature(&public(&key), message, der.as_bytes())
            .is_ok()
    );
}

#[test]
fn garbage_is_an_invalid_signature_not_a_panic() {
    let public = public(&key(3));
    for bad in [
        &b""[..],
        b"\x30\x00",
        b"\x30\x06\x02\x01\x00\x02\x01\x00",
        &[0xff; 72],
    ] {
        assert!(
            ECDSA_P256_SHA256
                .verify_signature(&public, b"m", bad)
                .is_err()
        );
    }
    let signature = sign(&key(3), b"m");
    for bad_key in [&b""[..], &[4u8; 65], &public[..33]] {
        assert!(
            ECDSA_P256_SHA256
                .verify_signature(bad_key, b"m", &signature)
                .is_err()
        );
    }
}

#[test]
fn only_the_p256_verifiers_are_replaced() {
    let provided = rustls_rustcrypto::provider().signature_verification_algorithms;
    let ours = with_p256(provided);
    assert_eq!(ours.all.len(), provided.all.len());
    for (before, after) in provided.all.iter().zip(ours.all) {
        assert_eq!(before.public_key_alg_id(), after.public_key_alg_id());
        assert_eq!(before.signature_alg_id(), after.signature_alg_id());
        let replaced = !std::ptr::addr_eq(*before, *after);
        assert_eq!(replaced, before.public_key_alg_id() == alg_id::ECDSA_P256);
    }
    let p256 = ours
        .mapping
        .iter()
        .find(|(scheme, _)| *scheme == SignatureScheme::ECDSA_NISTP256_SHA256)
        .unwrap();
    assert!(std::ptr::addr_eq(p256.1[0], ECDSA_P256_SHA256));
}

#[test]
fn use_p256_puts_these_verifiers_in() {
    assert!(!verifies_p256(&rustls_rustcrypto::provider()));
    assert!(verifies_p256(provider()));
}

/// `key` as the provider's key loader returns it.
fn loaded(der: PrivateKeyDer<'static>) -> Arc<dyn rustls::sign::SigningKey> {
    provider().key_provider.load_private_key(der).unwrap()
}

/// `message` signed by `key` for `ecdsa_secp256r1_sha256`.
fn tls_signature(key: &Arc<dyn rustls::sign::SigningKey>, message: &[u8]) -> Vec<u8> {
    let signer = key
        .choose_scheme(&[SignatureScheme::ECDSA_NISTP256_SHA256])
        .unwrap();
    assert_eq!(signer.scheme(), SignatureScheme::ECDSA_NISTP256_SHA256);
    signer.sign(message).unwrap()
}

#[test]
fn p256_keys_sign_what_both_verifiers_accept() {
    use p256_old::ecdsa::signature::Verifier;
    use p256_old::pkcs8::EncodePrivateKey;
    let key = key(5);
    let pkcs8 = key.to_pkcs8_der().unwrap().as_bytes().to_vec();
    let sec1 = p256_old::SecretKey::from(&key)
        .to_sec1_der()
        .unwrap()
        .to_vec();
    let message = b"CertificateVerify's content";
    for der in [
        PrivateKeyDer::Pkcs8(pkcs8.into()),
        PrivateKeyDer::Sec1(sec1.into()),
    ] {
        let loaded = loaded(der);
        assert_eq!(loaded.algorithm(), rustls::SignatureAlgorithm::ECDSA);
        let signature = tls_signature(&loaded, message);
        // Deterministic nonces (RFC 6979): the same message, the same signature.
        assert_eq!(signature, tls_signature(&loaded, message));
        let der = DerSignature::try_from(&signature[..]).unwrap();
        assert!(key.verifying_key().verify(message, &der).is_ok());
        assert!(
            ECDSA_P256_SHA256
                .verify_signature(&public(&key), message, &signature)
                .is_ok()
        );
        assert!(
            key.verifying_key()
                .verify(b"another message", &der)
                .is_err()
        );
    }
}

#[test]
fn a_p256_key_signs_only_the_scheme_it_has() {
    use p256_old::pkcs8::EncodePrivateKey;
    let pkcs8 = key(6).to_pkcs8_der().unwrap().as_bytes().to_vec();
    let loaded = loaded(PrivateKeyDer::Pkcs8(pkcs8.into()));
    assert!(
        loaded
            .choose_scheme(&[
                SignatureScheme::ED25519,
                SignatureScheme::ECDSA_NISTP384_SHA384
            ])
            .is_none()
    );
}

#[test]
fn other_keys_go_to_the_provider_and_garbage_is_an_error() {
    // RFC 8410's Ed25519 private key, PKCS#8.
    let ed25519: Vec<u8> = [
        0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04,
        0x20, 0xd4, 0xee, 0x72, 0xdb, 0xf9, 0x13, 0x58, 0x4a, 0xd5, 0xb6, 0xd8, 0xf1, 0xf7, 0x69,
        0xf8, 0xad, 0x3a, 0xfe, 0x7c, 0x28, 0xcb, 0xf1, 0xd4, 0xfb, 0xe0, 0x97, 0xa8, 0x8f, 0x44,
        0x75, 0x58, 0x42,
    ]
    .to_vec();
    let loaded = loaded(PrivateKeyDer::Pkcs8(ed25519.into()));
    assert_eq!(loaded.algorithm(), rustls::SignatureAlgorithm::ED25519);
    let garbage = PrivateKeyDer::Pkcs8(vec![0x30, 0x03, 0x02, 0x01, 0x00].into());
    assert!(provider().key_provider.load_private_key(garbage).is_err());
}

/// The provider's random source.
fn random() -> &'static dyn rustls::crypto::SecureRandom {
    provider().secure_random
}

#[test]
fn key_exchange_agrees_with_the_provider_s_p256() {
    use p256_old::elliptic_curve::sec1::ToEncodedPoint;
    use rustls::crypto::SupportedKxGroup;
    for seed in 1..=5u8 {
        let ours = SecP256R1(random()).start().unwrap();
        assert_eq!(ours.group(), rustls::NamedGroup::secp256r1);
        assert_eq!(ours.pub_key().len(), 65);
        let theirs = p256_old::SecretKey::from(&key(seed));
        let their_public = theirs.public_key().to_encoded_point(false);
        let our_public = p256_old::PublicKey::from_sec1_bytes(ours.pub_key()).unwrap();
        let expected =
            p256_old::ecdh::diffie_hellman(theirs.to_nonzero_scalar(), our_public.as_affine());
        let shared = ours.complete(their_public.as_bytes()).unwrap();
        assert_eq!(
            shared.secret_bytes(),
            expected.raw_secret_bytes().as_slice()
        );
    }
}

#[test]
fn each_exchange_draws_its_own_secret() {
    use rustls::crypto::SupportedKxGroup;
    let a = SecP256R1(random()).start().unwrap();
    let b = SecP256R1(random()).start().unwrap();
    assert_ne!(a.pub_key(), b.pub_key());
}

#[test]
fn a_bad_key_share_is_the_peer_misbehaving() {
    use rustls::crypto::SupportedKxGroup;
    let mut off_curve = vec![4u8];
    off_curve.extend([1u8; 64]);
    for bad in [&b""[..], &[0u8], &off_curve, &[4u8; 33]] {
        let ours = SecP256R1(random()).start().unwrap();
        assert_eq!(
            ours.complete(bad).err(),
            Some(rustls::Error::PeerMisbehaved(
                rustls::PeerMisbehaved::InvalidKeyShare
            ))
        );
    }
}

#[test]
fn a_failing_random_source_is_an_error_not_a_panic() {
    use rustls::crypto::{GetRandomFailed, SecureRandom, SupportedKxGroup};
    #[derive(Debug)]
    struct Broken;
    impl SecureRandom for Broken {
        fn fill(&self, _: &mut [u8]) -> Result<(), GetRandomFailed> {
            Err(GetRandomFailed)
        }
    }
    assert_eq!(
        SecP256R1(&Broken).start().err(),
        Some(rustls::Error::FailedToGetRandomBytes)
    );
}

#[test]
fn use_p256_takes_the_secp256r1_place_in_the_provider_s_order() {
    let before: Vec<_> = rustls_rustcrypto::provider()
        .kx_groups
        .iter()
        .map(|g| g.name())
        .collect();
    let after: Vec<_> = provider().kx_groups.iter().map(|g| g.name()).collect();
    assert_eq!(before, after);
    let ours = provider()
        .kx_groups
        .iter()
        .find(|g| g.name() == rustls::NamedGroup::secp256r1)
        .unwrap();
    assert!(format!("{ours:?}").starts_with("SecP256R1"));
}
