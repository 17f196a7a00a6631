//! Poly1305 against RFC 8439's vector and against RustCrypto's, on keys
//! and messages chosen to push every carry (all-ones words, `r` at its
//! clamp's largest, the accumulator just under and over 2^130 - 5).

use ::poly1305::universal_hash::{KeyInit, UniversalHash};

use super::Poly1305;

fn reference(key: &[u8; 32], message: &[u8]) -> [u8; 16] {
    let mut mac = ::poly1305::Poly1305::new(key.into());
    mac.update_padded(message);
    mac.finalize().into()
}

fn ours(key: &[u8; 32], message: &[u8]) -> [u8; 16] {
    let mut mac = Poly1305::new(key);
    mac.update_padded(message);
    mac.finalize()
}

/// A xorshift generator: the same inputs on every run.
struct Bytes(u64);

impl Bytes {
    fn next(&mut self) -> u8 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 >> 24) as u8
    }

    fn fill(&mut self, out: &mut [u8]) {
        out.iter_mut().for_each(|byte| *byte = self.next());
    }
}

#[test]
fn rfc_8439_section_2_5_2() {
    let key: [u8; 32] = [
        0x85, 0xd6, 0xbe, 0x78, 0x57, 0x55, 0x6d, 0x33, 0x7f, 0x44, 0x52, 0xfe, 0x42, 0xd5, 0x06,
        0xa8, 0x01, 0x03, 0x80, 0x8a, 0xfb, 0x0d, 0xb2, 0xfd, 0x4a, 0xbf, 0xf6, 0xaf, 0x41, 0x49,
        0xf5, 0x1b,
    ];
    // Not a whole number of blocks: the RFC ends the message unpadded,
    // which RustCrypto does and ours (only what the AEAD needs) does not.
    // So the vector checks the reference here, and ours is held to the
    // reference with the AEAD's padding; the AEAD's RFC vector
    // (`tests.rs`) checks ours against the RFC's own tag.
    let message = b"Cryptographic Forum Research Group";
    let mut mac = ::poly1305::Poly1305::new(&key.into());
    mac.update_padded(&message[..32]);
    let tag: [u8; 16] = mac.compute_unpadded(&message[32..]).into();
    assert_eq!(
        tag,
        [
            0xa8, 0x06, 0x1d, 0xc1, 0x30, 0x51, 0x36, 0xc6, 0xc2, 0x2b, 0x8b, 0xaf, 0x0c, 0x01,
            0x27, 0xa9
        ]
    );
    assert_eq!(ours(&key, &message[..32]), reference(&key, &message[..32]));
    assert_eq!(ours(&key, message), reference(&key, message));
}

#[test]
fn matches_rustcrypto_on_random_keys_and_lengths() {
    let mut random = Bytes(0x9e37_79b9_7f4a_7c15);
    let mut message = vec![0u8; 1100];
    for round in 0..3000 {
        let mut key = [0u8; 32];
        random.fill(&mut key);
        let len = (round * 37) % message.len();
        random.fill(&mut message[..len]);
        assert_eq!(
            ours(&key, &message[..len]),
            reference(&key, &message[..len]),
            "key {key:02x?}, {len} bytes"
        );
    }
}

#[test]
fn matches_rustcrypto_where_the_carries_run_furthest() {
    let mut random = Bytes(7);
    let keys: Vec<[u8; 32]> = vec![
        [0xff; 32],
        [0; 32],
        {
            // r = 1, s = 0: the tag is the message's sum modulo p.
            let mut key = [0u8; 32];
            key[0] = 1;
            key
        },
        {
            let mut key = [0xff; 32];
            key[16..].fill(0);
            key
        },
        {
            let mut key = [0u8; 32];
            key[..16].fill(0xff);
            random.fill(&mut key[16..]);
            key
        },
    ];
    let mut messages: Vec<Vec<u8>> = vec![vec![0xff; 16 * 64], vec![0; 16 * 64], vec![]];
    // Under r = 1, three blocks of which the first is all ones: the
    // accumulator ends at 2^130 - 1, between p and 2^130, and the tag is
    // its remainder 4.
    messages.push([[0xff; 16], [0; 16], [0; 16]].concat());
    // Blocks of all ones but one byte, so sums land just under and over p.
    for i in 0..16 {
        let mut message = vec![0xff; 16 * 8];
        message[i] = 0xfa;
        messages.push(message);
        let mut message = vec![0xff; 16 * 8];
        message[16 * 7 + i] = 0;
        messages.push(message);
    }
    for key in &keys {
        for message in &messages {
            for len in [message.len(), message.len().saturating_sub(1), 1, 16, 17] {
                let message = &message[..len.min(message.len())];
                assert_eq!(
                    ours(key, message),
                    reference(key, message),
                    "key {key:02x?}, message {message:02x?}"
                );
            }
        }
    }
}

#[test]
fn verify_takes_only_the_tag() {
    let key = [0x42; 32];
    let tag = ours(&key, b"record");
    let check = |expected: &[u8]| {
        let mut mac = Poly1305::new(&key);
        mac.update_padded(b"record");
        mac.verify(expected)
    };
    assert!(check(&tag));
    for i in 0..16 {
        let mut altered = tag;
        altered[i] ^= 0x80;
        assert!(!check(&altered), "byte {i} altered");
    }
    assert!(!check(&tag[..15]));
    assert!(!check(&[tag.as_slice(), &[0]].concat()));
}

/// The bound `block` relies on: from the largest words a block can leave
/// (each word's carry kept, `h4` at most 3), the largest block and `r` at
/// its clamp's largest, the sums of products stay under 2^64. The words'
/// bounds rise to a fixed point, reached from above the empty accumulator,
/// so every accumulator reachable is under it.
#[test]
fn sums_of_products_stay_under_2_64() {
    const WORD: u128 = 0xffff_ffff;
    let (r0, r) = (0x0fff_ffff_u128, 0x0fff_fffc_u128);
    let s = r + (r >> 2);
    let mut h = [WORD, WORD, WORD, WORD, 3];
    for _ in 0..100 {
        let [a0, a1, a2, a3] = [h[0] + WORD, h[1] + WORD, h[2] + WORD, h[3] + WORD];
        let a4 = h[4] + 1;
        let d = [
            a0 * r0 + a1 * s + a2 * s + a3 * s,
            a0 * r + a1 * r0 + a2 * s + a3 * s + a4 * s,
            a0 * r + a1 * r + a2 * r0 + a3 * s + a4 * s,
            a0 * r + a1 * r + a2 * r + a3 * r0 + a4 * s,
        ];
        for sum in d {
            assert!(sum < 1 << 64, "a sum of products reaches 2^64");
        }
        let top = a4 * r0 + (d[3] >> 32);
        let next = [
            WORD + (top >> 2) * 5,
            WORD + (d[0] >> 32),
            WORD + (d[1] >> 32),
            WORD + (d[2] >> 32),
            3,
        ];
        if next == h {
            // Under 2^34 each, as the accumulator's doc says.
            assert!(h.iter().all(|&word| word < 1 << 34));
            return;
        }
        h = next;
    }
    panic!("the words' bounds have no fixed point");
}
