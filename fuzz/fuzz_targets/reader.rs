//! The reader against the naive model of asyncio's rules (the property
//! tests' model, `core/tests/model`): random input, random chunking,
//! random calls, random limits. Any difference panics.

#![no_main]

#[path = "../../core/tests/model/mod.rs"]
mod model;

use libfuzzer_sys::fuzz_target;
use model::Op;

/// Takes one byte off the front of `data` (0 once it is empty).
fn byte(data: &mut &[u8]) -> u8 {
    let (first, rest) = data.split_first().map_or((0, &[][..]), |(f, r)| (*f, r));
    *data = rest;
    first
}

/// A separator of 1-3 bytes from a small alphabet, so that matches happen.
fn separator(data: &mut &[u8]) -> Vec<u8> {
    const ALPHABET: &[u8] = b"a\n\rEND|";
    let len = 1 + byte(data) as usize % 3;
    (0..len)
        .map(|_| ALPHABET[byte(data) as usize % ALPHABET.len()])
        .collect()
}

fuzz_target!(|input: &[u8]| {
    let mut data = input;
    let limit = 1 + byte(&mut data) as usize % 40;
    let op_count = 1 + byte(&mut data) as usize % 24;
    let mut ops = Vec::with_capacity(op_count);
    for _ in 0..op_count {
        ops.push(match byte(&mut data) % 4 {
            0 => Op::Read(i64::from(byte(&mut data) % 21) - 1),
            1 => Op::Line,
            2 => {
                let n = 1 + byte(&mut data) as usize % 3;
                Op::Until((0..n).map(|_| separator(&mut data)).collect())
            }
            _ => Op::Exactly(i64::from(byte(&mut data) % 30)),
        });
    }
    // The rest is the stream, cut wherever a byte says so.
    let cuts = byte(&mut data);
    let chunks: Vec<Vec<u8>> = data
        .chunks(1 + cuts as usize % 16)
        .map(|c| c.iter().map(|b| b"a\n\rEND|"[*b as usize % 7]).collect())
        .collect();
    model::run(&chunks, &ops, limit, true);
});
