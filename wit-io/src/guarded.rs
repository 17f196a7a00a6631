//! A stream operation whose outcome is never lost.

use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::task::{Context, Poll};

use wit_bindgen::{RawStreamRead, RawStreamWrite, StreamOps};

/// A wit-bindgen stream operation that can be cancelled, giving what it
/// had transferred by then (the same as it gives when it finishes).
pub trait Cancellable: Future {
    /// Cancels the operation; what it had transferred.
    fn cancel(self: Pin<&mut Self>) -> Self::Output;
}

impl<O: StreamOps> Cancellable for RawStreamRead<'_, O> {
    fn cancel(self: Pin<&mut Self>) -> Self::Output {
        RawStreamRead::cancel(self)
    }
}

impl<O: StreamOps> Cancellable for RawStreamWrite<'_, O> {
    fn cancel(self: Pin<&mut Self>) -> Self::Output {
        RawStreamWrite::cancel(self)
    }
}

/// A stream operation whose outcome reaches `settle` exactly once: when it
/// finishes, when it is cancelled with [`Guarded::cancel`], or when it is
/// dropped unfinished (then it is cancelled first). wit-bindgen's own
/// operations, dropped, discard what they had transferred: bytes read, or
/// the count of bytes written.
///
/// Cancellation safe by construction: that is its one job.
pub struct Guarded<Op: Cancellable, F: FnMut(Op::Output) -> R, R> {
    op: Pin<Box<Op>>,
    settle: F,
    done: bool,
    settled: PhantomData<fn() -> R>,
}

impl<Op: Cancellable, F: FnMut(Op::Output) -> R, R> Guarded<Op, F, R> {
    /// Guards `op`, handing its outcome to `settle`.
    pub fn new(op: Op, settle: F) -> Self {
        Self {
            op: Box::pin(op),
            settle,
            done: false,
            settled: PhantomData,
        }
    }

    /// Cancels the operation and settles what it had transferred; none if
    /// it had already finished (and settled).
    pub fn cancel(&mut self) -> Option<R> {
        if self.done {
            return None;
        }
        self.done = true;
        let outcome = self.op.as_mut().cancel();
        Some((self.settle)(outcome))
    }
}

impl<Op: Cancellable, F: FnMut(Op::Output) -> R + Unpin, R> Future for Guarded<Op, F, R> {
    type Output = R;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<R> {
        let this = &mut *self;
        let outcome = std::task::ready!(this.op.as_mut().poll(cx));
        this.done = true;
        Poll::Ready((this.settle)(outcome))
    }
}

impl<Op: Cancellable, F: FnMut(Op::Output) -> R, R> Drop for Guarded<Op, F, R> {
    fn drop(&mut self) {
        let _ = self.cancel();
    }
}
