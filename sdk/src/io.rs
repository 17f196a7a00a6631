//! Adapters to `futures-io`'s `AsyncRead`, `AsyncBufRead` and `AsyncWrite`,
//! so existing codecs and protocol crates work on top of streams.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use futures::io::{AsyncBufRead, AsyncRead, AsyncWrite};

use crate::{Error, Reader, Writer};

type Pending<T> = Option<Pin<Box<dyn Future<Output = Result<T, Error>>>>>;

/// A [`Reader`] as `AsyncRead` + `AsyncBufRead`.
///
/// ```no_run
/// # async fn demo(reader: portable_streams::Reader) -> std::io::Result<()> {
/// use futures::io::AsyncReadExt;
/// let mut input = portable_streams::AsyncReader::new(reader);
/// let mut text = String::new();
/// input.read_to_string(&mut text).await?;
/// # Ok(()) }
/// ```
pub struct AsyncReader {
    reader: Reader,
    chunk: Vec<u8>,
    pos: usize,
    pending: Pending<Vec<u8>>,
}

/// How much one underlying read asks for.
const READ_CHUNK: usize = 64 * 1024;

impl AsyncReader {
    /// Adapts `reader`.
    pub fn new(reader: Reader) -> Self {
        Self {
            reader,
            chunk: Vec::new(),
            pos: 0,
            pending: None,
        }
    }

    fn poll_fill(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<&[u8]>> {
        if self.pos >= self.chunk.len() {
            let fut = self.pending.get_or_insert_with(|| {
                let reader = self.reader.clone();
                Box::pin(async move { reader.read(READ_CHUNK).await })
            });
            let chunk = ready!(fut.as_mut().poll(cx));
            self.pending = None;
            self.chunk = chunk.map_err(io::Error::from)?;
            self.pos = 0;
        }
        Poll::Ready(Ok(&self.chunk[self.pos..]))
    }
}

impl AsyncRead for AsyncReader {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let available = ready!(this.poll_fill(cx))?;
        let n = available.len().min(buf.len());
        buf[..n].copy_from_slice(&available[..n]);
        this.pos += n;
        Poll::Ready(Ok(n))
    }
}

impl AsyncBufRead for AsyncReader {
    fn poll_fill_buf(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<&[u8]>> {
        self.get_mut().poll_fill(cx)
    }

    fn consume(self: Pin<&mut Self>, amt: usize) {
        let this = self.get_mut();
        this.pos = (this.pos + amt).min(this.chunk.len());
    }
}

/// A [`Writer`] as `AsyncWrite`: `poll_write` buffers and waits for `drain`
/// when above the high watermark; `poll_flush` drains; `poll_close` sends
/// EOF (write-eof) after draining.
///
/// ```no_run
/// # async fn demo(writer: portable_streams::Writer) -> std::io::Result<()> {
/// use futures::io::AsyncWriteExt;
/// let mut out = portable_streams::AsyncWriter::new(writer);
/// out.write_all(b"hello\n").await?;
/// out.close().await?;
/// # Ok(()) }
/// ```
pub struct AsyncWriter {
    writer: Writer,
    pending: Pending<()>,
}

impl AsyncWriter {
    /// Adapts `writer`.
    pub fn new(writer: Writer) -> Self {
        Self {
            writer,
            pending: None,
        }
    }

    fn poll_drain(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let fut = self.pending.get_or_insert_with(|| {
            let writer = self.writer.clone();
            Box::pin(async move { writer.drain().await })
        });
        let result = ready!(fut.as_mut().poll(cx));
        self.pending = None;
        Poll::Ready(result.map_err(io::Error::from))
    }
}

impl AsyncWrite for AsyncWriter {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let (_, high) = this.writer.write_buffer_limits();
        if this.writer.write_buffer_size() > high {
            ready!(this.poll_drain(cx))?;
        }
        this.writer.write(buf).map_err(io::Error::from)?;
        Poll::Ready(Ok(buf.len()))
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.get_mut().poll_drain(cx)
    }

    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        ready!(this.poll_drain(cx))?;
        if this.writer.can_write_eof() && !this.writer.is_closing() {
            // A second close is a no-op in the backend.
            let _ = this.writer.write_eof();
        }
        Poll::Ready(Ok(()))
    }
}
