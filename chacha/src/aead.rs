//! RFC 8439's ChaCha20-Poly1305 AEAD, in place, over the SIMD keystream
//! (`chacha20.rs`) and Poly1305 in radix 2^32 (`poly1305.rs`).

use super::chacha20::ChaCha20;
use super::poly1305::Poly1305;

pub(super) use super::poly1305::TAG_LEN;

/// A key.
pub(super) struct ChaCha20Poly1305 {
    key: [u8; 32],
}

/// The tag did not match: the record was altered or the keys differ.
pub(super) struct Forged;

impl ChaCha20Poly1305 {
    /// `key`'s AEAD.
    pub(super) fn new(key: [u8; 32]) -> Self {
        Self { key }
    }

    /// Encrypts `data` in place; returns its tag over `aad` and it.
    pub(super) fn seal(&self, nonce: &[u8; 12], aad: &[u8], data: &mut [u8]) -> [u8; TAG_LEN] {
        let (mut cipher, mac) = self.start(nonce);
        cipher.apply(data);
        mac_of(mac, aad, data).finalize()
    }

    /// Checks `tag` over `aad` and the ciphertext `data`, then decrypts
    /// `data` in place (left as it was if the tag is wrong).
    pub(super) fn open(
        &self,
        nonce: &[u8; 12],
        aad: &[u8],
        data: &mut [u8],
        expected: &[u8],
    ) -> Result<(), Forged> {
        let (mut cipher, mac) = self.start(nonce);
        if !mac_of(mac, aad, data).verify(expected) {
            return Err(Forged);
        }
        cipher.apply(data);
        Ok(())
    }

    /// The keystream after block 0, and the MAC keyed with block 0.
    fn start(&self, nonce: &[u8; 12]) -> (ChaCha20, Poly1305) {
        let mut cipher = ChaCha20::new(&self.key, nonce, 0);
        let block = cipher.block();
        let mac = Poly1305::new(block[..32].try_into().expect("a block has 64 bytes"));
        (cipher, mac)
    }
}

impl Drop for ChaCha20Poly1305 {
    fn drop(&mut self) {
        for byte in &mut self.key {
            // SAFETY: a valid pointer to a byte we own.
            unsafe { core::ptr::write_volatile(byte, 0) };
        }
    }
}

/// The MAC over `aad` and `ciphertext`, padded and with their lengths.
fn mac_of(mut mac: Poly1305, aad: &[u8], ciphertext: &[u8]) -> Poly1305 {
    mac.update_padded(aad);
    mac.update_padded(ciphertext);
    let mut lengths = [0u8; 16];
    lengths[..8].copy_from_slice(&(aad.len() as u64).to_le_bytes());
    lengths[8..].copy_from_slice(&(ciphertext.len() as u64).to_le_bytes());
    mac.update_padded(&lengths);
    mac
}
