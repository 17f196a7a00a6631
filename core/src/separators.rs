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
                [byte] => memchr::memchr(*byte, window),
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
