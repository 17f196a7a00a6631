//! `wrap`: a reader over a `stream<u8>` the component hands in and a writer
//! whose bytes come out of a `stream<u8>` handed back (asyncio's `sock=`).
//! Both are bridged to in-process pipes, so the connection machinery is
//! the same as for sockets: `close` flushes and ends the output stream.

use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::BytesMut;
use portable_streams_core::ReadBuffer;
use tokio::io::{AsyncRead, AsyncWrite, DuplexStream, ReadBuf};
use wasmtime::component::{Destination, Source, StreamConsumer, StreamProducer, StreamResult};
use wasmtime::{AsContextMut, StoreContextMut};

use super::conv::read_buffer;
use super::transport::Transport;
use super::wit;
use crate::policy::Policy;

/// How many bytes each pipe holds before the writing side waits.
const PIPE_CAPACITY: usize = 64 * 1024;

/// The reader's buffer for `options`. `wrap` returns no result, so a bad
/// `limit` becomes the reader's stored error: every read reports it.
pub(crate) fn wrap_read_buffer(options: &wit::WrapOptions, policy: &Policy) -> ReadBuffer {
    read_buffer(options.limit, policy).unwrap_or_else(ReadBuffer::failing)
}

/// The pipes behind a wrapped pair: the transport for the connection, the
/// consumer to pipe the component's input into, and the producer of the
/// output stream handed back.
pub(crate) fn pipes() -> (Transport, IntoPipe, FromPipe) {
    let (input_writer, input_reader) = tokio::io::duplex(PIPE_CAPACITY);
    let (output_writer, output_reader) = tokio::io::duplex(PIPE_CAPACITY);
    let transport = Transport::new(Box::pin(input_reader), Box::pin(output_writer));
    (transport, IntoPipe(input_writer), FromPipe(output_reader))
}

/// Moves the component's input stream into the connection's pipe; the
/// pipe ends (the reader sees EOF) when the input stream ends.
pub(crate) struct IntoPipe(DuplexStream);

impl<D> StreamConsumer<D> for IntoPipe {
    type Item = u8;

    fn poll_consume(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        store: StoreContextMut<D>,
        src: Source<Self::Item>,
        finish: bool,
    ) -> Poll<wasmtime::Result<StreamResult>> {
        let mut src = src.as_direct(store);
        if src.remaining().is_empty() {
            return Poll::Ready(Ok(StreamResult::Completed));
        }
        match Pin::new(&mut self.0).poll_write(cx, src.remaining()) {
            Poll::Ready(Ok(n)) => {
                src.mark_read(n);
                Poll::Ready(Ok(StreamResult::Completed))
            }
            // The connection is gone: nobody will read the input.
            Poll::Ready(Err(_)) => Poll::Ready(Ok(StreamResult::Dropped)),
            Poll::Pending if finish => Poll::Ready(Ok(StreamResult::Cancelled)),
            Poll::Pending => Poll::Pending,
        }
    }
}

/// Produces the output stream from the connection's pipe; the stream ends
/// when the writer closes or sends EOF.
pub(crate) struct FromPipe(DuplexStream);

impl<D> StreamProducer<D> for FromPipe {
    type Item = u8;
    type Buffer = BytesMut;

    fn poll_produce<'a>(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        mut store: StoreContextMut<'a, D>,
        dst: Destination<'a, Self::Item, Self::Buffer>,
        finish: bool,
    ) -> Poll<wasmtime::Result<StreamResult>> {
        if dst.remaining(store.as_context_mut()) == Some(0) {
            return Poll::Ready(Ok(StreamResult::Completed));
        }
        let mut dst = dst.as_direct(store, PIPE_CAPACITY);
        let polled = {
            let mut buf = ReadBuf::new(dst.remaining());
            Pin::new(&mut self.0)
                .poll_read(cx, &mut buf)
                .map_ok(|()| buf.filled().len())
        };
        match polled {
            Poll::Ready(Ok(0)) | Poll::Ready(Err(_)) => Poll::Ready(Ok(StreamResult::Dropped)),
            Poll::Ready(Ok(n)) => {
                dst.mark_written(n);
                Poll::Ready(Ok(StreamResult::Completed))
            }
            Poll::Pending if finish => Poll::Ready(Ok(StreamResult::Cancelled)),
            Poll::Pending => Poll::Pending,
        }
    }
}
