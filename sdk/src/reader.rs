//! `Reader`: asyncio's `StreamReader`.
//!
//! The reader keeps a read-ahead buffer of its own, run by the same core
//! rules as the backends: each call into the backend fetches a block (up
//! to the reader's limit), and lines, separators and exact counts are cut
//! from it locally. One cross-component call then serves hundreds of short
//! lines instead of one.

use std::cell::RefCell;
use std::pin::Pin;
use std::rc::Rc;

use bytes::Bytes;
use futures::Stream;
use portable_streams_core::{Connection, ReadBuffer, ReadCall, ReadRequest, ReadStep, front};

use crate::feed::{Feed, Fetched};
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
    inner: Rc<Inner>,
}

#[derive(Debug)]
struct Inner {
    raw: Rc<wit::Reader>,
    /// Where the read-ahead buffer's bytes come from.
    feed: Feed,
    /// core's connection engine over the read-ahead buffer: the backend's
    /// `read(n)` is its transport, and a failed fetch is its stored error.
    ahead: RefCell<Connection>,
}

/// The lines of a reader, ending at EOF: see [`Reader::lines`].
pub type Lines = Pin<Box<dyn Stream<Item = Result<Vec<u8>, Error>>>>;

impl Reader {
    /// Wraps a raw binding handle.
    pub fn from_raw(raw: wit::Reader) -> Self {
        let limit = usize::try_from(raw.limit()).unwrap_or(ReadBuffer::DEFAULT_LIMIT);
        let ahead = ReadBuffer::new(limit).unwrap_or_else(|_| {
            ReadBuffer::new(ReadBuffer::DEFAULT_LIMIT)
                .unwrap_or_else(|_| unreachable!("the default limit is valid"))
        });
        let raw = Rc::new(raw);
        Self {
            inner: Rc::new(Inner {
                feed: Feed::new(raw.clone()),
                raw,
                ahead: RefCell::new(Connection::new(ahead)),
            }),
        }
    }

    /// Answers `request` from the read-ahead buffer, fetching blocks from
    /// the backend while the engine asks. Cancelling loses nothing: a fetch
    /// in flight is cancelled in the backend with its bytes kept there, and
    /// what a `read(-1)` had gathered goes back to the buffer.
    async fn call(&self, request: Result<ReadRequest, Error>) -> Result<Vec<u8>, Error> {
        self.call_bytes(request).await.map(Vec::from)
    }

    /// [`call`](Self::call), handing out the bytes without a copy.
    async fn call_bytes(&self, request: Result<ReadRequest, Error>) -> Result<Bytes, Error> {
        let mut call = Call {
            inner: &self.inner,
            call: ReadCall::new(request?),
        };
        loop {
            let step = self.inner.ahead.borrow_mut().poll_read(&mut call.call);
            let max = match step {
                ReadStep::Done(result) => return result,
                ReadStep::Receive { max } => max,
                // The read-ahead engine is never closed; only its source
                // can fail, which is a stored error.
                ReadStep::WaitForClose => {
                    return Err(Error::Other("the read-ahead buffer was closed".into()));
                }
            };
            let fetched = self.inner.feed.fetch(max).await;
            let mut ahead = self.inner.ahead.borrow_mut();
            match fetched {
                Fetched::Data { bytes, front } => ahead.receive_vec_after(bytes, front),
                Fetched::Eof => ahead.received_eof(),
                Fetched::Lost(error) => {
                    let _ = ahead.lost(Some(error));
                }
            }
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
        self.call(Ok(ReadRequest::read(n))).await
    }

    /// `read(-1)`: everything until EOF.
    ///
    /// ```no_run
    /// # async fn demo(reader: portable_streams::Reader) -> Result<(), portable_streams::Error> {
    /// let all = reader.read_to_eof().await?;
    /// # Ok(()) }
    /// ```
    pub async fn read_to_eof(&self) -> Result<Vec<u8>, Error> {
        self.call(Ok(ReadRequest::read(-1))).await
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
        self.readline_bytes().await.map(Vec::from)
    }

    /// [`readline`](Self::readline) without a copy: the line shares the
    /// read-ahead buffer's memory. A line already buffered is answered
    /// synchronously, with no call into the backend and no allocation.
    ///
    /// ```no_run
    /// # async fn demo(reader: portable_streams::Reader) -> Result<(), portable_streams::Error> {
    /// let line: portable_streams::Bytes = reader.readline_bytes().await?;
    /// # Ok(()) }
    /// ```
    pub async fn readline_bytes(&self) -> Result<Bytes, Error> {
        let buffered = self.inner.ahead.borrow_mut().try_readline();
        match buffered {
            Some(line) => Ok(line),
            None => self.call_bytes(Ok(ReadRequest::readline())).await,
        }
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
        self.call(ReadRequest::readexactly(n)).await
    }

    /// `readuntil(separator)`: data up to and including `separator`.
    ///
    /// ```no_run
    /// # async fn demo(reader: portable_streams::Reader) -> Result<(), portable_streams::Error> {
    /// let head = reader.readuntil(b"\r\n\r\n").await?;
    /// # Ok(()) }
    /// ```
    pub async fn readuntil(&self, separator: &[u8]) -> Result<Vec<u8>, Error> {
        self.call(ReadRequest::readuntil([separator])).await
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
        self.call(ReadRequest::readuntil(separators.iter().copied()))
            .await
    }

    /// `at_eof()`: EOF received and nothing left buffered.
    pub fn at_eof(&self) -> bool {
        let ahead = self.inner.ahead.borrow();
        front::at_eof(&ahead, self.inner.feed.is_list(), || {
            self.inner.raw.at_eof()
        })
    }

    /// The reader's limit in bytes.
    pub fn limit(&self) -> u32 {
        self.inner.raw.limit()
    }

    /// The binding handle underneath. Once this reader fetched bytes from
    /// the backend, they come through the handle's `into-stream`, so the
    /// handle's own reads are `closed`; `at-eof` and `limit` still answer.
    pub fn raw(&self) -> &wit::Reader {
        &self.inner.raw
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
}

/// One read call; dropped unfinished (cancelled), it frees the reader and
/// gives back what a `read(-1)` had gathered.
struct Call<'a> {
    inner: &'a Inner,
    call: ReadCall,
}

impl Drop for Call<'_> {
    fn drop(&mut self) {
        if self.call.is_pending() {
            self.inner.ahead.borrow_mut().abandon_read(&mut self.call);
        }
    }
}
