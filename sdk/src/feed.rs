//! Where a [`Reader`](crate::Reader)'s read-ahead buffer gets its bytes:
//! `read(n)` calls for the first [`HAND_OVER_AFTER`] bytes, then the
//! backend's `into-stream` (one copy per chunk across the component
//! boundary). A stream per connection pays off for bulk data only; a
//! connection that reads little keeps none. A backend that refuses the
//! stream is read with `read(n)` calls throughout.
//!
//! The operation under way (asking for the stream, a chunk, the end) is
//! kept across cancelled calls and finished by the next one, so a
//! cancelled read loses no byte.

use std::cell::RefCell;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};

use portable_streams_wit_io::read_when_ready;
use wit_bindgen::{FutureReader, StreamReader, StreamResult};

use crate::{Error, wit};

/// What one fetch gave the buffer.
pub(crate) enum Fetched {
    /// Bytes, in order: those of `bytes` after its first `front`, which
    /// are free room for what the buffer holds (see
    /// `ReadBuffer::feed_vec_after`).
    Data { bytes: Vec<u8>, front: usize },
    /// The peer sent EOF.
    Eof,
    /// The connection was lost with this error.
    Lost(Error),
}

/// The stream's end future: `Ok` at EOF.
type End = FutureReader<Result<(), wit::Error>>;

/// The backend's stream and its end future.
struct Handed {
    data: StreamReader<u8>,
    end: End,
}

/// What an operation under way ends with.
enum Outcome {
    Handed(Result<(StreamReader<u8>, End), wit::Error>),
    /// A chunk: its bytes after `front` bytes of room.
    Chunk(Handed, Vec<u8>, usize),
    End(Result<(), wit::Error>),
}

type Operation = Pin<Box<dyn Future<Output = Outcome>>>;

/// How many bytes a reader takes with `read(n)` calls before it asks for
/// the stream.
pub(crate) const HAND_OVER_AFTER: usize = 64 * 1024;

/// The source of a reader's bytes.
enum State {
    /// `read(n)` calls so far, this many bytes.
    Listing(usize),
    /// The stream, between reads.
    Stream(Handed),
    /// An operation under way.
    Busy(Operation),
    /// The backend refused the stream: `read(n)` calls.
    Refused,
    /// The stream ended and its end was reported.
    Ended,
}

/// A reader's feed.
pub(crate) struct Feed {
    raw: Rc<wit::Reader>,
    state: RefCell<State>,
}

impl std::fmt::Debug for Feed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Feed").finish_non_exhaustive()
    }
}

impl Feed {
    /// A feed from `raw`.
    pub(crate) fn new(raw: Rc<wit::Reader>) -> Self {
        Self {
            raw,
            state: RefCell::new(State::Listing(0)),
        }
    }

    /// Whether the bytes come through `read(n)` calls (so the backend's
    /// `at-eof` speaks for them).
    pub(crate) fn is_list(&self) -> bool {
        matches!(*self.state.borrow(), State::Listing(_) | State::Refused)
    }

    /// The next bytes, at most `max`, or how the connection ended.
    ///
    /// Cancellation safe: an operation under way is kept for the next call.
    pub(crate) async fn fetch(&self, max: usize) -> Fetched {
        let listing = matches!(
            *self.state.borrow(),
            State::Listing(fetched) if fetched < HAND_OVER_AFTER
        );
        if listing || matches!(*self.state.borrow(), State::Refused) {
            let fetched_now = self.list_fetch(max).await;
            if let (Fetched::Data { bytes, front }, State::Listing(fetched)) =
                (&fetched_now, &mut *self.state.borrow_mut())
            {
                *fetched += bytes.len() - front;
            }
            return fetched_now;
        }
        loop {
            let taken = std::mem::replace(&mut *self.state.borrow_mut(), State::Ended);
            let operation: Operation = match taken {
                State::Listing(_) => {
                    let raw = self.raw.clone();
                    Box::pin(async move { Outcome::Handed(raw.into_stream().await) })
                }
                State::Stream(handed) => chunk(handed, max),
                State::Busy(operation) => operation,
                // A refusal while the stream was asked for: read calls.
                State::Refused => {
                    *self.state.borrow_mut() = State::Refused;
                    return self.list_fetch(max).await;
                }
                State::Ended => return Fetched::Eof,
            };
            let outcome = Kept {
                feed: self,
                operation: Some(operation),
            }
            .await;
            let mut state = self.state.borrow_mut();
            match outcome {
                Outcome::Handed(Ok((data, end))) => *state = State::Stream(Handed { data, end }),
                // An older or partial backend: list reads, as before.
                Outcome::Handed(Err(_)) => *state = State::Refused,
                Outcome::Chunk(handed, bytes, front) => {
                    *state = State::Stream(handed);
                    if bytes.len() > front {
                        return Fetched::Data { bytes, front };
                    }
                }
                Outcome::End(end) => {
                    *state = State::Ended;
                    return match end {
                        Ok(()) => Fetched::Eof,
                        Err(error) => Fetched::Lost(error.into()),
                    };
                }
            }
        }
    }

    async fn list_fetch(&self, max: usize) -> Fetched {
        match self.raw.read(i64::try_from(max).unwrap_or(i64::MAX)).await {
            Ok(block) if block.is_empty() => Fetched::Eof,
            Ok(bytes) => Fetched::Data { bytes, front: 0 },
            Err(error) => Fetched::Lost(error.into()),
        }
    }
}

/// Room kept free at the front of a large chunk, for the few bytes the
/// buffer may still hold (a line's start): they are copied there, and the
/// chunk is not copied to follow them.
const FRONT_ROOM: usize = 4096;

/// The smallest read that gets [`FRONT_ROOM`] (smaller ones are cheap to
/// copy).
const FRONT_FROM: usize = 16 * 1024;

/// One read of the stream; when the stream ends, the read of its end.
fn chunk(mut handed: Handed, max: usize) -> Operation {
    Box::pin(async move {
        let front = if max >= FRONT_FROM { FRONT_ROOM } else { 0 };
        let (result, data) = read_when_ready(&mut handed.data, max, front).await;
        match result {
            StreamResult::Complete(_) => Outcome::Chunk(handed, data, front),
            StreamResult::Dropped | StreamResult::Cancelled => Outcome::End(handed.end.await),
        }
    })
}

/// An operation polled by one call; if the call is dropped first, the
/// operation goes back to the feed for the next call.
struct Kept<'a> {
    feed: &'a Feed,
    operation: Option<Operation>,
}

impl Future for Kept<'_> {
    type Output = Outcome;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Outcome> {
        let Some(operation) = self.operation.as_mut() else {
            return Poll::Pending;
        };
        let outcome = std::task::ready!(operation.as_mut().poll(cx));
        self.operation = None;
        Poll::Ready(outcome)
    }
}

impl Drop for Kept<'_> {
    fn drop(&mut self) {
        if let Some(operation) = self.operation.take() {
            *self.feed.state.borrow_mut() = State::Busy(operation);
        }
    }
}
