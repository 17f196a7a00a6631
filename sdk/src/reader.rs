//! `Reader`: asyncio's `StreamReader`.

use std::pin::Pin;
use std::rc::Rc;

use futures::Stream;

use crate::{Error, wit};

/// asyncio's `StreamReader`: buffered reads from one connection. Cloning
/// gives another handle to the same reader.
///
/// Only one call may wait on a reader at a time (a second gets
/// [`Error::Busy`]). Every method is cancellation safe: dropping its future
/// loses no received bytes.
///
/// ```no_run
/// # async fn demo(reader: portable_streams::Reader) -> Result<(), portable_streams::Error> {
/// let header = reader.readuntil(b"\r\n\r\n").await?;
/// let body = reader.readexactly(42).await?;
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct Reader {
    inner: Rc<wit::Reader>,
}

/// The lines of a reader, ending at EOF: see [`Reader::lines`].
pub type Lines = Pin<Box<dyn Stream<Item = Result<Vec<u8>, Error>>>>;

impl Reader {
    /// Wraps a raw binding handle.
    pub fn from_raw(inner: wit::Reader) -> Self {
        Self {
            inner: Rc::new(inner),
        }
    }

    /// `read(n)`: up to `n` bytes, as soon as any are available; empty at
    /// EOF or for `n == 0`.
    ///
    /// ```no_run
    /// # async fn demo(reader: portable_streams::Reader) -> Result<(), portable_streams::Error> {
    /// let chunk = reader.read(4096).await?;
    /// if chunk.is_empty() { println!("EOF"); }
    /// # Ok(()) }
    /// ```
    pub async fn read(&self, n: usize) -> Result<Vec<u8>, Error> {
        let n = i64::try_from(n).unwrap_or(i64::MAX);
        Ok(self.inner.read(n).await?)
    }

    /// `read(-1)`: everything until EOF.
    ///
    /// ```no_run
    /// # async fn demo(reader: portable_streams::Reader) -> Result<(), portable_streams::Error> {
    /// let all = reader.read_to_eof().await?;
    /// # Ok(()) }
    /// ```
    pub async fn read_to_eof(&self) -> Result<Vec<u8>, Error> {
        Ok(self.inner.read(-1).await?)
    }

    /// `readline()`: one line including its `\n`; the partial line at EOF;
    /// [`Error::LimitOverrun`] (the line discarded) when it exceeds the limit.
    ///
    /// ```no_run
    /// # async fn demo(reader: portable_streams::Reader) -> Result<(), portable_streams::Error> {
    /// let line = reader.readline().await?;
    /// # Ok(()) }
    /// ```
    pub async fn readline(&self) -> Result<Vec<u8>, Error> {
        Ok(self.inner.readline().await?)
    }

    /// `readexactly(n)`: exactly `n` bytes, or [`Error::IncompleteRead`].
    ///
    /// ```no_run
    /// # async fn demo(reader: portable_streams::Reader) -> Result<(), portable_streams::Error> {
    /// let header = reader.readexactly(8).await?;
    /// # Ok(()) }
    /// ```
    pub async fn readexactly(&self, n: usize) -> Result<Vec<u8>, Error> {
        let n = i64::try_from(n).unwrap_or(i64::MAX);
        Ok(self.inner.readexactly(n).await?)
    }

    /// `readuntil(separator)`: data up to and including `separator`.
    ///
    /// ```no_run
    /// # async fn demo(reader: portable_streams::Reader) -> Result<(), portable_streams::Error> {
    /// let head = reader.readuntil(b"\r\n\r\n").await?;
    /// # Ok(()) }
    /// ```
    pub async fn readuntil(&self, separator: &[u8]) -> Result<Vec<u8>, Error> {
        Ok(self.inner.readuntil(vec![separator.to_vec()]).await?)
    }

    /// `readuntil((sep1, sep2, ...))` (Python 3.13): up to the first match
    /// of any separator.
    ///
    /// ```no_run
    /// # async fn demo(reader: portable_streams::Reader) -> Result<(), portable_streams::Error> {
    /// let line = reader.readuntil_any(&[b"\r\n", b"\n"]).await?;
    /// # Ok(()) }
    /// ```
    pub async fn readuntil_any(&self, separators: &[&[u8]]) -> Result<Vec<u8>, Error> {
        let seps = separators.iter().map(|s| s.to_vec()).collect();
        Ok(self.inner.readuntil(seps).await?)
    }

    /// `at_eof()`: EOF received and nothing left buffered.
    pub fn at_eof(&self) -> bool {
        self.inner.at_eof()
    }

    /// The reader's limit in bytes.
    pub fn limit(&self) -> u32 {
        self.inner.limit()
    }

    /// The lines until EOF, as a stream (`async for line in reader`).
    ///
    /// ```no_run
    /// # async fn demo(reader: portable_streams::Reader) -> Result<(), portable_streams::Error> {
    /// use futures::StreamExt;
    /// let mut lines = reader.lines();
    /// while let Some(line) = lines.next().await {
    ///     println!("{:?}", line?);
    /// }
    /// # Ok(()) }
    /// ```
    pub fn lines(&self) -> Lines {
        Box::pin(futures::stream::unfold(
            Some(self.clone()),
            |reader| async move {
                let reader = reader?;
                match reader.readline().await {
                    Ok(line) if line.is_empty() => None,
                    Ok(line) => Some((Ok(line), Some(reader))),
                    Err(e) => Some((Err(e), None)),
                }
            },
        ))
    }

    pub(crate) fn raw(&self) -> &Rc<wit::Reader> {
        &self.inner
    }
}
