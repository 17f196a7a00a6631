//! `into-stream`: a reader's bytes handed over as a `stream<u8>`. The
//! producer takes one chunk per read of the stream, through the engine
//! (what is buffered first, then the source). With nothing buffered, a
//! plain socket is read straight into the stream reader's memory; other
//! chunks are copied there from the engine. The end future tells EOF from
//! loss.
//!
//! A zero-length read (a reader waiting for data without holding a buffer)
//! completes once a chunk is here; the chunk is kept for the next read.

use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::{Bytes, BytesMut};
use portable_streams_core::{Error, MAX_RECV, ReadCall};
use tokio::sync::oneshot;
use wasmtime::component::{Destination, DirectDestination, StreamProducer, StreamResult};
use wasmtime::{AsContextMut, StoreContextMut};

use super::conn::{Chunk, Conn};
use super::wit;

/// How the stream ended, for its end future: `Ok` at EOF.
pub(crate) type End = Result<(), wit::Error>;

/// Produces a handed-over reader's bytes.
pub(crate) struct ReaderStream {
    conn: Arc<Conn>,
    /// The chunk under way, kept across polls of one stream read.
    call: Option<ReadCall>,
    /// A chunk taken for a zero-length read, or the rest of one larger
    /// than the read that took it: the next read's first bytes.
    parked: Bytes,
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
            parked: Bytes::new(),
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

    /// Copies what is parked into `dst`, keeping the rest; an empty chunk
    /// is EOF.
    fn give<D: 'static>(
        &mut self,
        dst: &mut DirectDestination<'_, D>,
    ) -> Poll<wasmtime::Result<StreamResult>> {
        if self.parked.is_empty() {
            return self.finish(Ok(()));
        }
        let n = self.parked.len().min(dst.remaining().len());
        dst.remaining()[..n].copy_from_slice(&self.parked[..n]);
        dst.mark_written(n);
        bytes::Buf::advance(&mut self.parked, n);
        Poll::Ready(Ok(StreamResult::Completed))
    }

    /// The chunk's call failed: the stream ends with `error`.
    fn lost(&mut self, error: Error) -> Poll<wasmtime::Result<StreamResult>> {
        self.call = None;
        self.finish(Err(error.into()))
    }

    /// No chunk yet: wait, or give the call back if the read is being
    /// cancelled.
    fn not_yet(&mut self, finish: bool) -> Poll<wasmtime::Result<StreamResult>> {
        if !finish {
            return Poll::Pending;
        }
        if let Some(mut call) = self.call.take() {
            self.conn.abandon(&mut call);
        }
        Poll::Ready(Ok(StreamResult::Cancelled))
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
        // A zero-length read asks whether data is ready: it completes once
        // a chunk is parked here.
        let room = dst.remaining(store.as_context_mut());
        let this = &mut *self;
        if this.parked.is_empty() {
            // A component's read, with room its memory may take bytes in.
            let wanted = room.filter(|&n| n > 0);
            let ask = wanted.unwrap_or(MAX_RECV).min(MAX_RECV);
            let call = this.call.get_or_insert_with(|| ReadCall::stream_chunk(ask));
            if let Some(n) = wanted {
                let mut dst = dst.as_direct(store, n);
                return match this.conn.poll_chunk_into(call, cx, dst.remaining()) {
                    Poll::Ready(Ok(Chunk::Into(n))) => {
                        this.call = None;
                        dst.mark_written(n);
                        Poll::Ready(Ok(StreamResult::Completed))
                    }
                    Poll::Ready(Ok(Chunk::Taken(chunk))) => {
                        this.call = None;
                        this.parked = chunk;
                        this.give(&mut dst)
                    }
                    Poll::Ready(Err(error)) => this.lost(error),
                    Poll::Pending => this.not_yet(finish),
                };
            }
            match this.conn.poll_call(call, cx) {
                Poll::Ready(Ok(chunk)) => {
                    this.call = None;
                    this.parked = chunk;
                }
                Poll::Ready(Err(error)) => return this.lost(error),
                Poll::Pending => return this.not_yet(finish),
            }
            if this.parked.is_empty() {
                return this.finish(Ok(()));
            }
        }
        if room == Some(0) {
            return Poll::Ready(Ok(StreamResult::Completed));
        }
        let mut dst = dst.as_direct(store, this.parked.len());
        this.give(&mut dst)
    }
}
