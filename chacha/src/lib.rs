//! TLS 1.3's ChaCha20-Poly1305 for rustls inside a WebAssembly component
//! (the guest backend's TLS uses it): the AEAD
//! (`aead.rs`) over a ChaCha20 keystream from WebAssembly SIMD
//! (`chacha20.rs`) and a Poly1305 in radix 2^32 (`poly1305.rs`). The
//! pure-Rust provider's own ChaCha20 computes one block at a time in
//! scalar code, and its Poly1305 in 26-bit limbs; bulk TLS inside the
//! guest spent most of its time there.
//!
//! Only the TLS 1.3 suite is replaced; everything else (the AES-GCM
//! suites, TLS 1.2, key exchange, signatures) stays the provider's.
//!
//! On other targets the keystream is scalar, and it is built there only
//! for its unit tests (`tests.rs`: RFC 8439's vector and RustCrypto's
//! AEAD as the reference); the SIMD path is checked by the TLS tests, where the guest's
//! TLS server negotiates this suite with CPython's clients.

#![cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]

mod aead;
mod chacha20;
mod poly1305;

use std::sync::OnceLock;

use rustls::crypto::cipher::{
    self, AeadKey, InboundOpaqueMessage, InboundPlainMessage, Iv, MessageDecrypter,
    MessageEncrypter, OutboundOpaqueMessage, OutboundPlainMessage, PrefixedPayload,
    Tls13AeadAlgorithm, UnsupportedOperationError,
};
use rustls::{
    CipherSuiteCommon, ConnectionTrafficSecrets, ContentType, ProtocolVersion,
    SupportedCipherSuite, Tls13CipherSuite,
};

use aead::{ChaCha20Poly1305, TAG_LEN};

/// The provider's suites, its TLS 1.3 ChaCha20-Poly1305 suite running on
/// the SIMD keystream.
pub fn with_simd_chacha(suites: &mut [SupportedCipherSuite]) {
    for suite in suites {
        if let SupportedCipherSuite::Tls13(tls13) = suite
            && tls13.common.suite == rustls::CipherSuite::TLS13_CHACHA20_POLY1305_SHA256
        {
            static SIMD: OnceLock<Tls13CipherSuite> = OnceLock::new();
            let simd = SIMD.get_or_init(|| Tls13CipherSuite {
                common: CipherSuiteCommon {
                    suite: tls13.common.suite,
                    hash_provider: tls13.common.hash_provider,
                    confidentiality_limit: tls13.common.confidentiality_limit,
                },
                hkdf_provider: tls13.hkdf_provider,
                aead_alg: &SimdChaCha20Poly1305,
                quic: None,
            });
            *suite = SupportedCipherSuite::Tls13(simd);
        }
    }
}

struct SimdChaCha20Poly1305;

impl Tls13AeadAlgorithm for SimdChaCha20Poly1305 {
    fn encrypter(&self, key: AeadKey, iv: Iv) -> Box<dyn MessageEncrypter> {
        Box::new(Tls13Cipher::new(&key, iv))
    }

    fn decrypter(&self, key: AeadKey, iv: Iv) -> Box<dyn MessageDecrypter> {
        Box::new(Tls13Cipher::new(&key, iv))
    }

    fn key_len(&self) -> usize {
        32
    }

    fn extract_keys(
        &self,
        key: AeadKey,
        iv: Iv,
    ) -> Result<ConnectionTrafficSecrets, UnsupportedOperationError> {
        Ok(ConnectionTrafficSecrets::Chacha20Poly1305 { key, iv })
    }
}

/// One direction's key and IV.
struct Tls13Cipher(ChaCha20Poly1305, Iv);

impl Tls13Cipher {
    fn new(key: &AeadKey, iv: Iv) -> Self {
        // rustls hands over `key_len()` bytes.
        let mut bytes = [0u8; 32];
        bytes.copy_from_slice(key.as_ref());
        Self(ChaCha20Poly1305::new(bytes), iv)
    }
}

impl MessageEncrypter for Tls13Cipher {
    fn encrypt(
        &mut self,
        m: OutboundPlainMessage<'_>,
        seq: u64,
    ) -> Result<OutboundOpaqueMessage, rustls::Error> {
        let total_len = self.encrypted_payload_len(m.payload.len());
        let mut payload = PrefixedPayload::with_capacity(total_len);
        payload.extend_from_chunks(&m.payload);
        payload.extend_from_slice(&m.typ.to_array());
        let nonce = cipher::Nonce::new(&self.1, seq).0;
        let aad = cipher::make_tls13_aad(total_len);
        let tag = self.0.seal(&nonce, &aad, payload.as_mut());
        payload.extend_from_slice(&tag);
        Ok(OutboundOpaqueMessage::new(
            ContentType::ApplicationData,
            ProtocolVersion::TLSv1_2,
            payload,
        ))
    }

    fn encrypted_payload_len(&self, payload_len: usize) -> usize {
        payload_len + 1 + TAG_LEN
    }
}

impl MessageDecrypter for Tls13Cipher {
    fn decrypt<'a>(
        &mut self,
        mut m: InboundOpaqueMessage<'a>,
        seq: u64,
    ) -> Result<InboundPlainMessage<'a>, rustls::Error> {
        let payload = &mut m.payload;
        let nonce = cipher::Nonce::new(&self.1, seq).0;
        let aad = cipher::make_tls13_aad(payload.len());
        let Some(text_len) = payload.len().checked_sub(TAG_LEN) else {
            return Err(rustls::Error::DecryptError);
        };
        let (text, tag) = payload.split_at_mut(text_len);
        self.0
            .open(&nonce, &aad, text, tag)
            .map_err(|aead::Forged| rustls::Error::DecryptError)?;
        payload.truncate(text_len);
        m.into_tls13_unpadded_message()
    }
}

#[cfg(test)]
mod tests;
