//! Carrying out a read: each call asks the engine what to do next and,
//! when told to receive, reads once from the source inside the call itself.
//!
//! Cancellation: a read from the source that is dropped part-way is
//! cancelled explicitly and whatever bytes it had received are given to
//! the engine (wit-bindgen's `StreamRead`, when simply dropped, discards
//! them); the call itself is handed back to the engine, which frees the
//! waiter slot and restores what a `read(-1)` had taken.

use std::future::{Future, poll_fn};
use std::pin::{Pin, pin};
use std::task::{Context, Poll};

use bytes::Bytes;
use portable_streams_core::{Either, Error, ReadCall, ReadRequest, ReadStep, race};
use portable_streams_wit_io::Guarded;
use wasip3::sockets::types::ErrorCode;
use wit_bindgen::{FutureRead, StreamRead, StreamReader, StreamResult};

use crate::conn::Conn;
use crate::conv::socket_error;
use crate::transport::{NextRead, Source};

/// One call; dropped unfinished (cancelled), it goes back to the engine.
struct Call<'a> {
    conn: &'a Conn,
    call: ReadCall,
}

impl Drop for Call<'_> {
    fn drop(&mut self) {
        if self.call.is_pending() {
            self.conn.state().engine.abandon_read(&mut self.call);
        }
    }
}

/// Carries out `request`: the engine's steps, receiving when it asks.
pub(crate) async fn read(conn: &Conn, request: ReadRequest) -> Result<Bytes, Error> {
    read_call(conn, ReadCall::new(request)).await
}

/// Carries out `call` (cancel-safe, as [`read`]).
pub(crate) async fn read_call(conn: &Conn, call: ReadCall) -> Result<Bytes, Error> {
    let mut call = Call { conn, call };
    loop {
        let woken = conn.closing.wait();
        let step = conn.state().engine.poll_read(&mut call.call);
        match step {
            ReadStep::Done(result) => return result,
            ReadStep::WaitForClose => woken.await,
            ReadStep::Receive { max } => {
                // Only the one waiting call reads, so the source is here
                // unless the reader was dropped, the stream is gone, or
                // `start_tls` has it (or waits for it).
                let source = {
                    let mut st = conn.state();
                    if st.upgrading { None } else { st.source.take() }
                };
                match source {
                    Some(source) => receive(conn, source, max).await,
                    None => woken.await,
                }
            }
        }
    }
}

/// Reads once from `source` into the engine, or stops early when the
/// connection starts closing. Puts the source back unless it ended.
async fn receive(conn: &Conn, source: Source, max: usize) {
    // Declared first, so dropped last: the source is back (or ended) when
    // `start_tls` hears that no read holds it.
    let _holding = Holding::new(conn);
    // Declared before the read, so dropped after it: a cancelled call first
    // gives the engine what the read had received, then returns the source.
    let mut checkout = Checkout {
        conn,
        source: Some(source),
    };
    let ended = match checkout.source.as_mut() {
        Some(Source {
            stream: Some(stream),
            next,
            ..
        }) => match read_once(conn, stream, next, max).await {
            Outcome::Got(_) | Outcome::Stopped => false,
            Outcome::Ended => true,
        },
        _ => true,
    };
    if !ended {
        return;
    }
    let Some(mut source) = checkout.source.take() else {
        return;
    };
    source.stream = None;
    stream_ended(conn, source).await;
}

/// How one read from the source ended.
enum Outcome {
    /// It received this many bytes (given to the engine).
    Got(usize),
    /// It received nothing yet: the connection is closing, `start_tls`
    /// asks for the source, or the engine is to be asked again.
    Stopped,
    /// The stream ended.
    Ended,
}

/// One step of reading `stream` into the engine, as `next` says; the
/// engine's read loop asks again after each. A wait for bytes holds no
/// buffer and gives back the budget's room reserved for the receive: a
/// read that would wait is cancelled, and the wait is a zero-length read
/// (a WASI 0.3 stream's readiness check). So a connection waiting on a
/// silent peer holds none of the component's memory (a waiting read of
/// `MAX_RECV` would hold 256 KiB) and none of the store's budget.
async fn read_once(
    conn: &Conn,
    stream: &mut StreamReader<u8>,
    next: &mut NextRead,
    max: usize,
) -> Outcome {
    let outcome = match *next {
        NextRead::Try => match read_if_ready(conn, stream, max).await {
            Some(outcome) => outcome,
            None => {
                *next = NextRead::Wait;
                return Outcome::Stopped;
            }
        },
        NextRead::Read => read_into_engine(conn, stream, max).await,
        NextRead::Wait => {
            conn.state().engine.receive_idle();
            return match wait_readable(conn, stream).await {
                // The engine reserves the receive's room again, then reads.
                Readiness::Ready => {
                    *next = NextRead::Read;
                    Outcome::Stopped
                }
                Readiness::Ended => Outcome::Ended,
                Readiness::GaveWay => Outcome::Stopped,
            };
        }
    };
    if let Outcome::Got(n) = outcome {
        // Less than asked for: the stream is likely empty now.
        *next = if n < max {
            NextRead::Wait
        } else {
            NextRead::Try
        };
    }
    outcome
}

/// Reads up to `max` bytes that `stream` has at once into the engine; none
/// if it would wait (the read is then cancelled, and what it got goes to
/// the engine).
async fn read_if_ready(conn: &Conn, stream: &mut StreamReader<u8>, max: usize) -> Option<Outcome> {
    let mut read = guarded_read(conn, stream, max);
    let polled = poll_fn(|cx| Poll::Ready(Pin::new(&mut read).poll(cx))).await;
    match polled {
        Poll::Ready(outcome) => Some(outcome),
        // Pending, so not finished: the cancel settles it (and gives
        // none only for a finished read). Nothing received: it would wait.
        Poll::Pending => read
            .cancel()
            .filter(|outcome| !matches!(outcome, Outcome::Got(0))),
    }
}

/// Reads up to `max` bytes from `stream` into the engine, or stops early
/// when the connection starts closing or `start_tls` asks for the source.
async fn read_into_engine(conn: &Conn, stream: &mut StreamReader<u8>, max: usize) -> Outcome {
    let mut read = guarded_read(conn, stream, max);
    loop {
        let closing = conn.closing.wait();
        match race(Pin::new(&mut read), closing).await {
            Either::Left(outcome) => return outcome,
            Either::Right(()) if gives_way(conn) => return Outcome::Stopped,
            Either::Right(()) => {}
        }
    }
}

/// How a wait for bytes ended.
enum Readiness {
    /// Bytes (or the stream's end) are there to read.
    Ready,
    /// The stream ended.
    Ended,
    /// The connection is closing, or `start_tls` asks for the source.
    GaveWay,
}

/// Waits until `stream` has bytes with a zero-length read, holding no
/// buffer. Dropped, the check is cancelled; it carries no bytes.
async fn wait_readable(conn: &Conn, stream: &mut StreamReader<u8>) -> Readiness {
    let mut check = pin!(stream.read(Vec::new()));
    loop {
        let closing = conn.closing.wait();
        match race(check.as_mut(), closing).await {
            Either::Left((StreamResult::Dropped, _)) => return Readiness::Ended,
            Either::Left(_) => return Readiness::Ready,
            Either::Right(()) if gives_way(conn) => return Readiness::GaveWay,
            Either::Right(()) => {}
        }
    }
}

/// Whether a read from the source stops early: the connection is closing,
/// or `start_tls` waits for the source.
fn gives_way(conn: &Conn) -> bool {
    let st = conn.state();
    st.upgrading || st.engine.stops_reading()
}

/// Marks a read call as holding the source, for as long as it lives.
struct Holding<'a>(&'a Conn);

impl<'a> Holding<'a> {
    fn new(conn: &'a Conn) -> Self {
        conn.state().reading = true;
        Self(conn)
    }
}

impl Drop for Holding<'_> {
    fn drop(&mut self) {
        let upgrading = {
            let mut st = self.0.state();
            st.reading = false;
            st.upgrading
        };
        // Only a waiting `start_tls` needs to hear it (on this signal): the
        // pump's sends wait on it too.
        if upgrading {
            self.0.closing.notify();
        }
    }
}

/// A source taken out of its connection; returned when dropped.
struct Checkout<'a> {
    conn: &'a Conn,
    source: Option<Source>,
}

impl Drop for Checkout<'_> {
    fn drop(&mut self) {
        if let Some(source) = self.source.take() {
            put_back(self.conn, source);
        }
    }
}

/// Returns the source for the next read, unless the connection was closed
/// in the meantime (then it is dropped).
fn put_back(conn: &Conn, source: Source) {
    let mut st = conn.state();
    if !st.engine.is_closed() {
        st.source = Some(source);
    }
}

/// The source's stream ended: EOF, or for a socket the error its end
/// future reports (asyncio's `connection_lost(exc)`).
async fn stream_ended(conn: &Conn, mut source: Source) {
    let Some(end) = source.end.take() else {
        return finish(conn, Ok(()));
    };
    let mut read = EndRead {
        op: Box::pin(end.into_future()),
        conn,
        done: false,
    };
    let result = (&mut read).await;
    finish(conn, result);
}

/// Records how the source ended.
fn finish(conn: &Conn, result: Result<(), ErrorCode>) {
    match result {
        Ok(()) => conn.state().engine.received_eof(),
        Err(code) => conn.lost(Some(socket_error(code))),
    }
}

/// The read of a socket stream's end future; if dropped before it finishes
/// it keeps the outcome, or the future itself for the next call.
struct EndRead<'a> {
    op: Pin<Box<FutureRead<Result<(), ErrorCode>>>>,
    conn: &'a Conn,
    done: bool,
}

impl Future for EndRead<'_> {
    type Output = Result<(), ErrorCode>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let out = std::task::ready!(self.op.as_mut().poll(cx));
        self.done = true;
        Poll::Ready(out)
    }
}

impl Drop for EndRead<'_> {
    fn drop(&mut self) {
        if self.done {
            return;
        }
        match self.op.as_mut().cancel() {
            Ok(result) => finish(self.conn, result),
            Err(end) => put_back(self.conn, Source::new(None, Some(end))),
        }
    }
}

/// A read of up to `max` bytes from `stream` that gives every byte it
/// receives to `conn`'s engine, also when it is cancelled or dropped
/// before finishing; it ends with what it did (a dropped stream ended).
fn guarded_read<'a>(
    conn: &'a Conn,
    stream: &'a mut StreamReader<u8>,
    max: usize,
) -> Guarded<StreamRead<'a, u8>, impl FnMut(Chunk) -> Outcome + Unpin + 'a, Outcome> {
    Guarded::new(
        stream.read(Vec::with_capacity(max)),
        move |(result, data)| {
            let got = data.len();
            conn.deliver(data);
            match result {
                StreamResult::Dropped => Outcome::Ended,
                _ => Outcome::Got(got),
            }
        },
    )
}

/// A stream read's result and the bytes it read (wit-bindgen's).
type Chunk = (StreamResult, Vec<u8>);
