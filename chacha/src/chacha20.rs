//! ChaCha20 (RFC 8439, 96-bit nonce) with WebAssembly SIMD: four blocks
//! at once, one 128-bit vector per state word holding that word of the
//! four blocks ("vertical" layout, so the diagonal rounds need no
//! shuffles), transposed and XORed into the data 16 bytes at a time. The
//! last blocks of a record (fewer than four) are computed in scalar code.

#[cfg(target_arch = "wasm32")]
use core::arch::wasm32::{
    i8x16_shuffle, i32x4_shuffle, i64x2_shuffle, u32x4, u32x4_add, u32x4_shl, u32x4_shr,
    u32x4_splat, v128, v128_load, v128_or, v128_store, v128_xor,
};

/// "expand 32-byte k".
const CONSTANTS: [u32; 4] = [0x6170_7865, 0x3320_646e, 0x7962_2d32, 0x6b20_6574];

/// A ChaCha20 state: constants, key, block counter (word 12), nonce.
pub(super) struct ChaCha20 {
    state: [u32; 16],
}

impl ChaCha20 {
    /// The state for `key` and `nonce`, at block `counter`.
    pub(super) fn new(key: &[u8; 32], nonce: &[u8; 12], counter: u32) -> Self {
        let mut state = [0u32; 16];
        state[..4].copy_from_slice(&CONSTANTS);
        for (word, bytes) in state[4..12].iter_mut().zip(key.chunks_exact(4)) {
            *word = u32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]);
        }
        state[12] = counter;
        for (word, bytes) in state[13..].iter_mut().zip(nonce.chunks_exact(4)) {
            *word = u32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]);
        }
        Self { state }
    }

    /// The next keystream block.
    pub(super) fn block(&mut self) -> [u8; 64] {
        let mut x = self.state;
        for _ in 0..10 {
            quarter_round(&mut x, 0, 4, 8, 12);
            quarter_round(&mut x, 1, 5, 9, 13);
            quarter_round(&mut x, 2, 6, 10, 14);
            quarter_round(&mut x, 3, 7, 11, 15);
            quarter_round(&mut x, 0, 5, 10, 15);
            quarter_round(&mut x, 1, 6, 11, 12);
            quarter_round(&mut x, 2, 7, 8, 13);
            quarter_round(&mut x, 3, 4, 9, 14);
        }
        let mut block = [0u8; 64];
        for ((out, word), start) in block.chunks_exact_mut(4).zip(x).zip(self.state) {
            out.copy_from_slice(&word.wrapping_add(start).to_le_bytes());
        }
        self.state[12] = self.state[12].wrapping_add(1);
        block
    }

    /// XORs the keystream into `data` (encrypting or decrypting it).
    pub(super) fn apply(&mut self, data: &mut [u8]) {
        let mut quads = data.chunks_exact_mut(256);
        for quad in &mut quads {
            // SIMD instructions: a runtime without `simd128` rejects the
            // component when loading it, before any of it runs.
            xor_four_blocks(&self.state, quad);
            self.state[12] = self.state[12].wrapping_add(4);
        }
        for rest in quads.into_remainder().chunks_mut(64) {
            let block = self.block();
            for (byte, key) in rest.iter_mut().zip(block) {
                *byte ^= key;
            }
        }
    }
}

impl Drop for ChaCha20 {
    fn drop(&mut self) {
        // The key is in the state: do not leave it in linear memory.
        for word in &mut self.state {
            // SAFETY: a valid, aligned pointer to a word we own.
            unsafe { core::ptr::write_volatile(word, 0) };
        }
    }
}

fn quarter_round(x: &mut [u32; 16], a: usize, b: usize, c: usize, d: usize) {
    x[a] = x[a].wrapping_add(x[b]);
    x[d] = (x[d] ^ x[a]).rotate_left(16);
    x[c] = x[c].wrapping_add(x[d]);
    x[b] = (x[b] ^ x[c]).rotate_left(12);
    x[a] = x[a].wrapping_add(x[b]);
    x[d] = (x[d] ^ x[a]).rotate_left(8);
    x[c] = x[c].wrapping_add(x[d]);
    x[b] = (x[b] ^ x[c]).rotate_left(7);
}

/// Elsewhere (the unit tests' native build): four scalar blocks.
#[cfg(not(target_arch = "wasm32"))]
fn xor_four_blocks(state: &[u32; 16], quad: &mut [u8]) {
    let mut cipher = ChaCha20 { state: *state };
    for block in quad.chunks_exact_mut(64) {
        for (byte, key) in block.iter_mut().zip(cipher.block()) {
            *byte ^= key;
        }
    }
}

/// XORs four keystream blocks (counters `state[12]` to `state[12] + 3`)
/// into `quad`'s 256 bytes.
#[cfg(target_arch = "wasm32")]
#[target_feature(enable = "simd128")]
fn xor_four_blocks(state: &[u32; 16], quad: &mut [u8]) {
    assert_eq!(quad.len(), 256);
    let mut start: [v128; 16] = core::array::from_fn(|i| u32x4_splat(state[i]));
    start[12] = u32x4_add(start[12], u32x4(0, 1, 2, 3));
    let mut x = start;
    for _ in 0..10 {
        vertical_round(&mut x, 0, 4, 8, 12);
        vertical_round(&mut x, 1, 5, 9, 13);
        vertical_round(&mut x, 2, 6, 10, 14);
        vertical_round(&mut x, 3, 7, 11, 15);
        vertical_round(&mut x, 0, 5, 10, 15);
        vertical_round(&mut x, 1, 6, 11, 12);
        vertical_round(&mut x, 2, 7, 8, 13);
        vertical_round(&mut x, 3, 4, 9, 14);
    }
    for (word, first) in x.iter_mut().zip(start) {
        *word = u32x4_add(*word, first);
    }
    // Lane j of x[w] is word w of block j: transpose each group of four
    // words into 16 bytes of each block.
    for group in 0..4 {
        let [a, b, c, d] = [
            x[4 * group],
            x[4 * group + 1],
            x[4 * group + 2],
            x[4 * group + 3],
        ];
        let ab_low = i32x4_shuffle::<0, 4, 1, 5>(a, b);
        let ab_high = i32x4_shuffle::<2, 6, 3, 7>(a, b);
        let cd_low = i32x4_shuffle::<0, 4, 1, 5>(c, d);
        let cd_high = i32x4_shuffle::<2, 6, 3, 7>(c, d);
        let keys = [
            i64x2_shuffle::<0, 2>(ab_low, cd_low),
            i64x2_shuffle::<1, 3>(ab_low, cd_low),
            i64x2_shuffle::<0, 2>(ab_high, cd_high),
            i64x2_shuffle::<1, 3>(ab_high, cd_high),
        ];
        for (block, key) in keys.into_iter().enumerate() {
            let at = 64 * block + 16 * group;
            let bytes = quad[at..at + 16].as_mut_ptr().cast::<v128>();
            // SAFETY: 16 bytes in bounds of `quad` (checked by the slice);
            // wasm loads and stores need no alignment.
            unsafe { v128_store(bytes, v128_xor(v128_load(bytes), key)) };
        }
    }
}

/// The quarter round on words a, b, c, d of four blocks at once. The
/// double rounds are written out here and in [`ChaCha20::block`]: as a
/// loop over a table of word indices, the guest's `tls-bulk` fell from
/// about 160 to 135 MB/s (four runs each, same session).
#[cfg(target_arch = "wasm32")]
#[target_feature(enable = "simd128")]
fn vertical_round(x: &mut [v128; 16], a: usize, b: usize, c: usize, d: usize) {
    x[a] = u32x4_add(x[a], x[b]);
    x[d] = rotate_16(v128_xor(x[d], x[a]));
    x[c] = u32x4_add(x[c], x[d]);
    x[b] = rotate(v128_xor(x[b], x[c]), 12);
    x[a] = u32x4_add(x[a], x[b]);
    x[d] = rotate_8(v128_xor(x[d], x[a]));
    x[c] = u32x4_add(x[c], x[d]);
    x[b] = rotate(v128_xor(x[b], x[c]), 7);
}

/// Each lane rotated left by `n` bits.
#[cfg(target_arch = "wasm32")]
#[target_feature(enable = "simd128")]
fn rotate(v: v128, n: u32) -> v128 {
    v128_or(u32x4_shl(v, n), u32x4_shr(v, 32 - n))
}

/// Each lane rotated left by 16 bits: its two halves swapped.
#[cfg(target_arch = "wasm32")]
#[target_feature(enable = "simd128")]
fn rotate_16(v: v128) -> v128 {
    i8x16_shuffle::<2, 3, 0, 1, 6, 7, 4, 5, 10, 11, 8, 9, 14, 15, 12, 13>(v, v)
}

/// Each lane rotated left by 8 bits: its bytes moved up by one.
#[cfg(target_arch = "wasm32")]
#[target_feature(enable = "simd128")]
fn rotate_8(v: v128) -> v128 {
    i8x16_shuffle::<3, 0, 1, 2, 7, 4, 5, 6, 11, 8, 9, 10, 15, 12, 13, 14>(v, v)
}
