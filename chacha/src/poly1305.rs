//! Poly1305 (RFC 8439) in radix 2^32: the accumulator in four 32-bit
//! words and a small fifth, each block 16 products of 32 by 32 bits plus
//! four small ones (WebAssembly has a 64-bit multiply, so each product is
//! one instruction). RustCrypto's portable Poly1305 splits blocks into
//! 26-bit limbs and needs 25 products a block; TLS bulk inside the guest
//! spent a tenth of its time there. As in OpenSSL's 32-bit code
//! (`crypto/poly1305/poly1305.c`), `r`'s clamping keeps every sum of
//! products small and 2^130 = 5 (mod p) folds the high words back with
//! `r + r / 4` (`wrap`); unlike it, a block moves each word's carry one
//! word up and no further (carry-save), so a block's latency is not a
//! chain of carries along the words. No branch or index depends on the
//! key or the data.

use subtle::ConstantTimeEq;

/// A tag's length.
pub(super) const TAG_LEN: usize = 16;

/// One block's length.
const BLOCK: usize = 16;

/// A word's bits.
const WORD: u64 = 0xffff_ffff;

/// A Poly1305 computation under one one-time key.
pub(super) struct Poly1305 {
    /// `r`, clamped.
    r: [u32; 4],
    /// `r[i] + r[i] / 4` for `i` in 1..4: a product that reaches 2^128
    /// times this word wraps around as `5 / 4` of it (`r[i]` is a multiple
    /// of 4 for those `i`, so exactly).
    wrap: [u32; 3],
    /// The accumulator: four words at 2^0, 2^32, 2^64 and 2^96, each
    /// with its carry not yet moved up, and the bits from 2^128 up.
    h: [u64; 5],
    /// The key's second half (RFC 8439's `s`), added at the end.
    pad: [u32; 4],
}

impl Poly1305 {
    /// The computation under `key` (`r` then `s`, RFC 8439 section 2.5).
    pub(super) fn new(key: &[u8; 32]) -> Self {
        let word = |i: usize| u32::from_le_bytes([key[i], key[i + 1], key[i + 2], key[i + 3]]);
        let r = [
            word(0) & 0x0fff_ffff,
            word(4) & 0x0fff_fffc,
            word(8) & 0x0fff_fffc,
            word(12) & 0x0fff_fffc,
        ];
        let wrap = [r[1] + (r[1] >> 2), r[2] + (r[2] >> 2), r[3] + (r[3] >> 2)];
        Self {
            r,
            wrap,
            h: [0; 5],
            pad: [word(16), word(20), word(24), word(28)],
        }
    }

    /// Takes in `data` as whole blocks, the last one padded with zeros
    /// (how the AEAD feeds its additional data, ciphertext and lengths).
    pub(super) fn update_padded(&mut self, data: &[u8]) {
        let mut blocks = data.chunks_exact(BLOCK);
        for block in &mut blocks {
            self.block(block.try_into().expect("chunks_exact gives whole blocks"));
        }
        let rest = blocks.remainder();
        if !rest.is_empty() {
            let mut last = [0u8; BLOCK];
            last[..rest.len()].copy_from_slice(rest);
            self.block(&last);
        }
    }

    /// `h = (h + block + 2^128) * r`, reduced only partly: each word keeps
    /// its carry (under 2^34) for the next block, so no carry runs along
    /// the words on the way. The products' sums stay under 2^63.8 (the
    /// fixed point of the words' bounds under `r`'s clamp, computed by the
    /// test `sums_of_products_stay_under_2_64`), so none overflows.
    #[inline(always)]
    fn block(&mut self, block: &[u8; BLOCK]) {
        let m = |i: usize| {
            u64::from(u32::from_le_bytes([
                block[i],
                block[i + 1],
                block[i + 2],
                block[i + 3],
            ]))
        };
        let [r0, r1, r2, r3] = self.r.map(u64::from);
        let [s1, s2, s3] = self.wrap.map(u64::from);
        let [h0, h1, h2, h3, h4] = self.h;

        // h += block, with the block's 2^128 bit.
        let (h0, h1, h2, h3, h4) = (h0 + m(0), h1 + m(4), h2 + m(8), h3 + m(12), h4 + 1);

        // h *= r, the words from 2^128 up folded back with s.
        let d0 = h0 * r0 + h1 * s3 + h2 * s2 + h3 * s1;
        let d1 = h0 * r1 + h1 * r0 + h2 * s3 + h3 * s2 + h4 * s1;
        let d2 = h0 * r2 + h1 * r1 + h2 * r0 + h3 * s3 + h4 * s2;
        let d3 = h0 * r3 + h1 * r2 + h2 * r1 + h3 * r0 + h4 * s3;

        // Each word's carry moves one word up; what lies at 2^130 and up,
        // times 5, goes back to the bottom.
        let h4 = h4 * r0 + (d3 >> 32);
        let h0 = (d0 & WORD) + (h4 >> 2) * 5;
        self.h = [
            h0,
            (d1 & WORD) + (d0 >> 32),
            (d2 & WORD) + (d1 >> 32),
            (d3 & WORD) + (d2 >> 32),
            h4 & 3,
        ];
    }

    /// The tag: `h` reduced modulo 2^130 - 5, plus `s`, modulo 2^128.
    pub(super) fn finalize(self) -> [u8; TAG_LEN] {
        let [h0, h1, h2, h3, h4] = carried(self.h);
        let [h0, h1, h2, h3, h4] = carried([h0 + (h4 >> 2) * 5, h1, h2, h3, h4 & 3]);
        // Below 2^130 + 2^128 now, so under 2p: one subtraction of p at most.
        // g = h + 5 - 2^130: h itself if that is negative.
        let g0 = h0 + 5;
        let g1 = h1 + (g0 >> 32);
        let g2 = h2 + (g1 >> 32);
        let g3 = h3 + (g2 >> 32);
        let g4 = h4 + (g3 >> 32);
        // All ones when g >= 0 (h >= p), else zero.
        let take_g = 0u64.wrapping_sub(g4 >> 2);
        let pick = |h: u64, g: u64| (h & !take_g) | (g & take_g);
        let h = [pick(h0, g0), pick(h1, g1), pick(h2, g2), pick(h3, g3)];

        let mut tag = [0u8; TAG_LEN];
        let mut carry = 0u64;
        for ((out, word), pad) in tag.chunks_exact_mut(4).zip(h).zip(self.pad) {
            let sum = (word & WORD) + u64::from(pad) + carry;
            out.copy_from_slice(&(sum as u32).to_le_bytes());
            carry = sum >> 32;
        }
        tag
    }

    /// Whether the tag equals `expected`, in constant time.
    pub(super) fn verify(self, expected: &[u8]) -> bool {
        self.finalize()[..].ct_eq(expected).into()
    }
}

/// `h` with every carry moved up, each word under 2^32.
fn carried([h0, h1, h2, h3, h4]: [u64; 5]) -> [u64; 5] {
    let h1 = h1 + (h0 >> 32);
    let h2 = h2 + (h1 >> 32);
    let h3 = h3 + (h2 >> 32);
    [h0 & WORD, h1 & WORD, h2 & WORD, h3 & WORD, h4 + (h3 >> 32)]
}

impl Drop for Poly1305 {
    fn drop(&mut self) {
        // The key is in `r`, `wrap` and `pad`: do not leave it in memory.
        for word in self.r.iter_mut().chain(&mut self.wrap).chain(&mut self.pad) {
            // SAFETY: a valid, aligned pointer to a word we own.
            unsafe { core::ptr::write_volatile(word, 0) };
        }
    }
}

#[cfg(test)]
#[path = "poly1305_tests.rs"]
mod tests;
