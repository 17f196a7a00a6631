//! Validated separators for `readuntil`, with an incremental search.

use std::sync::{Arc, LazyLock};

use bytes::Bytes;
use memchr::memmem::Finder;

use crate::Error;

/// One or more non-empty separators (Python 3.13's tuple form of
/// `readuntil`), each with a precomputed substring finder. Cloning shares
/// the finders.
#[derive(Clone, Debug)]
pub struct Separators {
    finders: Arc<[Finder<'static>]>,
    min_len: usize,
    max_len: usize,
}

/// Where the first separator match ends: `(start, end)` in the buffer.
pub(crate) type Match = (usize, usize);

impl Separators {
    /// Validates `separators` as asyncio does: at least one, none empty.
    pub fn new<I, B>(separators: I) -> Result<Self, Error>
    where
        I: IntoIterator<Item = B>,
        B: AsRef<[u8]>,
    {
        let mut finders: Vec<Finder<'static>> = separators
            .into_iter()
            .map(|s| Finder::new(s.as_ref()).into_owned())
            .collect();
        if finders.is_empty() {
            return Err(Error::InvalidArgument(
                "Separator should contain at least one element".into(),
            ));
        }
        // asyncio sorts by length so that, of matches ending at the same
        // byte, the shortest separator is the one reported.
        finders.sort_by_key(|f| f.needle().len());
        let min_len = finders[0].needle().len();
        let max_len = finders[finders.len() - 1].needle().len();
        if min_len == 0 {
            return Err(Error::InvalidArgument(
                "Separator should be at least one-byte string".into(),
            ));
        }
        Ok(Self {
            finders: finders.into(),
            min_len,
            max_len,
        })
    }

    /// The single separator `b"\n"` used by `readline`. Built once: a
    /// readline per short line must not pay for building a finder.
    pub fn newline() -> Self {
        static NEWLINE: LazyLock<Separators> =
            LazyLock::new(|| Separators::new([b"\n"]).expect("newline is a valid separator"));
        NEWLINE.clone()
    }

    /// The separators, shortest first.
    pub fn iter(&self) -> impl Iterator<Item = Bytes> + '_ {
        self.finders
            .iter()
            .map(|f| Bytes::copy_from_slice(f.needle()))
    }

    /// Length of the shortest separator.
    pub fn min_len(&self) -> usize {
        self.min_len
    }

    /// Length of the longest separator.
    pub fn max_len(&self) -> usize {
        self.max_len
    }

    /// The match that ends first in `buf[offset..]`, as asyncio picks it.
    /// Later separators are only searched up to the best end found so far,
    /// so no byte is searched more than once per separator.
    pub(crate) fn find(&self, buf: &[u8], offset: usize) -> Option<Match> {
        let mut best: Option<Match> = None;
        for finder in self.finders.iter() {
            let needle = finder.needle();
            let len = needle.len();
            let window_end = best.map_or(buf.len(), |(_, end)| end - 1);
            if window_end < offset + len {
                continue;
            }
            let window = &buf[offset..window_end];
            // A one-byte separator (readline's) is a plain byte search.
            let found = match needle {
                [byte] => find_byte(*byte, window),
                _ => finder.find(window),
            };
            if let Some(pos) = found {
                let start = offset + pos;
                best = Some((start, start + len));
            }
        }
        best
    }
}

/// The first `needle` in `haystack`. On wasm32 (no SIMD in the components)
/// memchr's fallback scans a 32-bit word at a time; wasm has 64-bit
/// integers, so [`word_scan`] (32 bytes a step, then eight) takes far
/// fewer steps for the per-line search. Elsewhere, memchr's vector code
/// (memchr's wasm `simd128` code was slower here on 100-byte lines).
pub(crate) fn find_byte(needle: u8, haystack: &[u8]) -> Option<usize> {
    if cfg!(target_arch = "wasm32") {
        word_scan(needle, haystack)
    } else {
        memchr::memchr(needle, haystack)
    }
}

/// The first `needle` in `haystack`: four 64-bit words a step (one branch
/// for 32 bytes), then eight bytes a step, then byte by byte.
fn word_scan(needle: u8, haystack: &[u8]) -> Option<usize> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    let pattern = ONES * u64::from(needle);
    let zero_in = |w: u64| {
        let word = w ^ pattern;
        word.wrapping_sub(ONES) & !word & HIGHS
    };
    let word =
        |s: &[u8], k: usize| u64::from_le_bytes(s[k * 8..k * 8 + 8].try_into().unwrap_or([0; 8]));
    let mut blocks = haystack.chunks_exact(32);
    for (i, block) in blocks.by_ref().enumerate() {
        let w = [
            word(block, 0),
            word(block, 1),
            word(block, 2),
            word(block, 3),
        ];
        if zero_in(w[0]) | zero_in(w[1]) | zero_in(w[2]) | zero_in(w[3]) != 0 {
            for (k, w) in w.into_iter().enumerate() {
                let flags = zero_in(w);
                if flags != 0 {
                    return Some(i * 32 + k * 8 + (flags.trailing_zeros() / 8) as usize);
                }
            }
        }
    }
    let done = haystack.len() - blocks.remainder().len();
    scan_rest(pattern, needle, blocks.remainder()).map(|p| done + p)
}

/// The rest after [`word_scan`]'s 32-byte steps: 8-byte steps, then
/// bytes.
fn scan_rest(pattern: u64, needle: u8, haystack: &[u8]) -> Option<usize> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    let mut chunks = haystack.chunks_exact(8);
    for (i, chunk) in chunks.by_ref().enumerate() {
        let word = u64::from_le_bytes(chunk.try_into().unwrap_or([0; 8])) ^ pattern;
        // A zero byte of `word` is a match; the lowest flagged byte is the
        // first (a borrow can only flag bytes above a real zero).
        let flags = word.wrapping_sub(ONES) & !word & HIGHS;
        if flags != 0 {
            return Some(i * 8 + (flags.trailing_zeros() / 8) as usize);
        }
    }
    let tail = chunks.remainder();
    let start = haystack.len() - tail.len();
    tail.iter().position(|&b| b == needle).map(|p| start + p)
}

#[cfg(test)]
mod tests {
    use super::word_scan;

    /// The word scan the components use finds what memchr finds: one or
    /// two needles at every position, lengths around the word and block
    /// sizes, and fill bytes next to the needle's bits and the high bit.
    #[test]
    fn the_word_scan_finds_what_memchr_finds() {
        for len in 0..80 {
            for fill in [0u8, 0x0b, 0x09, 0x8a, 0xff, 0x80, 0x01] {
                let base = vec![fill; len];
                assert_eq!(word_scan(b'\n', &base), memchr::memchr(b'\n', &base));
                for at in 0..len {
                    for second in at..len {
                        let mut hay = base.clone();
                        hay[at] = b'\n';
                        hay[second] = b'\n';
                        assert_eq!(word_scan(b'\n', &hay), memchr::memchr(b'\n', &hay));
                    }
                }
            }
        }
    }
}
