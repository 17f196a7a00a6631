//! Long life for composed components: every async export goes through
//! [`settled`].
//!
//! wasmtime 48 to 50 leak one entry of the store's concurrent-state table
//! per async cross-component call whose callee completes without ever
//! blocking (`Instance::start_call`: the async-lowered caller gets
//! `RETURNED` with no subtask handle, and the callee's task entry is never
//! deleted). The table holds 1,000,000 entries, so a composed client that
//! made a million calls the guest could answer at once (`read` with data
//! buffered, `drain` below the watermark) trapped with "resource table has
//! no free keys".
//!
//! A callee that yields once before it completes gives the caller a subtask
//! handle instead, which the caller drops once the call returns, freeing
//! the entry. [`settled`] yields once, only for a call whose answer was
//! ready on its first poll: a call that waited has blocked already. The
//! cost is one turn of the host's event loop per such call (measured in
//! docs/benchmarks.md); `tests/tests/upstream.rs` shows the leak itself and
//! starts failing once wasmtime no longer has it.

use std::future::{Future, poll_fn};
use std::pin::pin;
use std::task::Poll;

/// Runs `call`; if it finished without ever waiting, yields once before
/// returning its output, so the caller's call gets a subtask handle.
///
/// Cancellation: dropping the future drops `call` (or, after it finished,
/// its output): the call's own cancellation rules apply.
pub(crate) async fn settled<F: Future>(call: F) -> F::Output {
    let mut call = pin!(call);
    let mut waited = false;
    let output = poll_fn(|cx| match call.as_mut().poll(cx) {
        Poll::Ready(output) => Poll::Ready(output),
        Poll::Pending => {
            waited = true;
            Poll::Pending
        }
    })
    .await;
    if !waited {
        wit_bindgen::yield_async().await;
    }
    output
}
