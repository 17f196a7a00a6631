//! `write-from`: a writer fed by a `stream<u8>`. The consumer writes each
//! chunk the stream delivers as `write` does, at once (so a write to the
//! stream completes as soon as it is made), to the socket straight from
//! the component's memory when nothing is queued before it; when the
//! stream's writer drops it, wasmtime drops the consumer, which reports
//! that every byte was taken.

use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use portable_streams_core::Error;
use tokio::sync::oneshot;
use wasmtime::StoreContextMut;
use wasmtime::component::{Source, StreamConsumer, StreamResult};

use super::conn::Conn;

/// Writes a stream's chunks to a connection.
pub(crate) struct WriterStream {
    conn: Arc<Conn>,
    /// Reports how taking bytes ended; taken once sent.
    taken: Option<oneshot::Sender<Result<(), Error>>>,
}

impl WriterStream {
    /// The consumer for `conn`, and the receiver of how taking ended.
    pub(crate) fn new(conn: Arc<Conn>) -> (Self, oneshot::Receiver<Result<(), Error>>) {
        let (taken, ended) = oneshot::channel();
        (
            Self {
                conn,
                taken: Some(taken),
            },
            ended,
        )
    }
}

impl Drop for WriterStream {
    /// The stream ended: every chunk it delivered was written.
    fn drop(&mut self) {
        if let Some(taken) = self.taken.take() {
            let _ = taken.send(Ok(()));
        }
    }
}

impl<D> StreamConsumer<D> for WriterStream {
    type Item = u8;

    fn poll_consume(
        mut self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        store: StoreContextMut<D>,
        src: Source<Self::Item>,
        _finish: bool,
    ) -> Poll<wasmtime::Result<StreamResult>> {
        let Some(_) = self.taken else {
            return Poll::Ready(Ok(StreamResult::Dropped));
        };
        let mut src = src.as_direct(store);
        let chunk = src.remaining();
        // A zero-length write asks whether we are ready: always.
        if chunk.is_empty() {
            return Poll::Ready(Ok(StreamResult::Completed));
        }
        let n = chunk.len();
        match self.conn.write_through(chunk) {
            Ok(()) => {
                src.mark_read(n);
                Poll::Ready(Ok(StreamResult::Completed))
            }
            Err(error) => {
                if let Some(taken) = self.taken.take() {
                    let _ = taken.send(Err(error));
                }
                Poll::Ready(Ok(StreamResult::Dropped))
            }
        }
    }
}
