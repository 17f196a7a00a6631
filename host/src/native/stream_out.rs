//! `into-stream`: a reader's bytes handed over as a `stream<u8>`. The
//! producer takes one chunk per read of the stream, through the engine
//! (what is buffered first, then the source), and copies it straight into
//! the reader's memory; the end future tells EOF from loss.

use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::BytesMut;
use portable_streams_core::{MAX_RECV, ReadCall};
use tokio::sync::oneshot;
use wasmtime::component::{Destination, StreamProducer, StreamResult};
use wasmtime::{AsContextMut, StoreContextMut};

use super::conn::Conn;
use super::wit;

/// How the stream ended, for its end future: `Ok` at EOF.
pub(crate) type End = Result<(), wit::Error>;

/// Produces a handed-over reader's bytes.
pub(crate) struct ReaderStream {
    conn: Arc<Conn>,
    /// The chunk under way, kept across polls of one stream read.
    call: Option<ReadCall>,
    /// Sends how the stream ended; taken once sent.
    end: Option<oneshot::Sender<End>>,
}

impl ReaderStream {
    /// The producer for `conn`'s reader (already handed over), and the
    /// receiver of how its stream ends.
    pub(crate) fn new(conn: Arc<Conn>) -> (Self, oneshot::Receiver<End>) {
        let (end, ended) = oneshot::channel();
        let producer = Self {
            conn,
            call: None,
            end: Some(end),
        };
        (producer, ended)
    }

    /// Ends the stream with `end`.
    fn finish(&mut self, end: End) -> Poll<wasmtime::Result<StreamResult>> {
        if let Some(sender) = self.end.take() {
            let _ = sender.send(end);
        }
        Poll::Ready(Ok(StreamResult::Dropped))
    }
}

impl Drop for ReaderStream {
    /// The stream's reader went away first: nothing was lost, the call
    /// goes back to the engine and the end future reports a clean end.
    fn drop(&mut self) {
        if let Some(mut call) = self.call.take() {
            self.conn.abandon(&mut call);
        }
        if let Some(sender) = self.end.take() {
            let _ = sender.send(Ok(()));
        }
    }
}

impl<D> StreamProducer<D> for ReaderStream {
    type Item = u8;
    type Buffer = BytesMut;

    fn poll_produce<'a>(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        mut store: StoreContextMut<'a, D>,
        dst: Destination<'a, Self::Item, Self::Buffer>,
        finish: bool,
    ) -> Poll<wasmtime::Result<StreamResult>> {
        if self.end.is_none() {
            return Poll::Ready(Ok(StreamResult::Dropped));
        }
        // A zero-length read asks whether data is ready: answering at once
        // is allowed, and reads nothing ahead.
        let room = match dst.remaining(store.as_context_mut()) {
            Some(0) => return Poll::Ready(Ok(StreamResult::Completed)),
            Some(room) => room.min(MAX_RECV),
            None => MAX_RECV,
        };
        let this = &mut *self;
        let call = this
            .call
            .get_or_insert_with(|| ReadCall::stream_chunk(room));
        match this.conn.poll_call(call, cx) {
            Poll::Ready(result) => {
                this.call = None;
                match result {
                    Ok(chunk) if chunk.is_empty() => this.finish(Ok(())),
                    Ok(chunk) => {
                        let mut dst = dst.as_direct(store, chunk.len());
                        let n = chunk.len().min(dst.remaining().len());
                        dst.remaining()[..n].copy_from_slice(&chunk[..n]);
                        dst.mark_written(n);
                        Poll::Ready(Ok(StreamResult::Completed))
                    }
                    Err(error) => this.finish(Err(error.into())),
                }
            }
            Poll::Pending if finish => {
                if let Some(mut call) = this.call.take() {
                    this.conn.abandon(&mut call);
                }
                Poll::Ready(Ok(StreamResult::Cancelled))
            }
            Poll::Pending => Poll::Pending,
        }
    }
}
