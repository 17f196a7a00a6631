//! The `reader` resource: every call is answered by core's [`ReadBuffer`];
//! when it needs data, the waiting call itself reads once more from the
//! source (on demand, so no more than about 2 x limit is ever buffered).
//!
//! Cancellation: a read from the source that is dropped part-way is
//! cancelled explicitly and whatever bytes it had received are fed to the
//! buffer (wit-bindgen's `StreamRead`, when simply dropped, cancels too but
//! discards the bytes it received). The waiter slot taken with
//! `begin_wait` is released, and a `read(-1)` gives back what it had
//! taken, by a guard that runs on drop.

use std::future::Future;
use std::pin::{Pin, pin};
use std::rc::Rc;
use std::task::{Context, Poll};

use bytes::Bytes;
use portable_streams_core::{Error, Progress, ReadBuffer, ReadRequest};
use wasip3::sockets::types::ErrorCode;
use wit_bindgen::{FutureRead, StreamRead, StreamResult};

use crate::bindings::exports::portable::streams::streams as wit;
use crate::conn::{Conn, Source};
use crate::conv::{socket_error, to_wit};
use crate::signal::{Either, race};

/// The most bytes asked of the source in one read.
const MAX_READ: usize = 64 * 1024;

/// The `reader` resource.
pub struct Reader {
    conn: Rc<Conn>,
}

impl Reader {
    /// The reader half of `conn`.
    pub(crate) fn new(conn: Rc<Conn>) -> Self {
        Self { conn }
    }

    async fn call(&self, request: ReadRequest) -> Result<Vec<u8>, wit::Error> {
        read(&self.conn, request)
            .await
            .map(Vec::from)
            .map_err(to_wit)
    }
}

impl wit::GuestReader for Reader {
    async fn read(&self, n: i64) -> Result<Vec<u8>, wit::Error> {
        self.call(ReadRequest::read(n)).await
    }

    async fn readline(&self) -> Result<Vec<u8>, wit::Error> {
        self.call(ReadRequest::readline()).await
    }

    async fn readexactly(&self, n: i64) -> Result<Vec<u8>, wit::Error> {
        self.call(ReadRequest::readexactly(n).map_err(to_wit)?)
            .await
    }

    async fn readuntil(&self, separators: Vec<Vec<u8>>) -> Result<Vec<u8>, wit::Error> {
        self.call(ReadRequest::readuntil(separators).map_err(to_wit)?)
            .await
    }

    fn at_eof(&self) -> bool {
        self.conn.read.borrow().at_eof()
    }

    fn limit(&self) -> u32 {
        u32::try_from(self.conn.read.borrow().limit()).unwrap_or(u32::MAX)
    }
}

impl Drop for Reader {
    /// Nobody can read any more: release the source (for a socket, the
    /// host shuts the read half down). Writing goes on.
    fn drop(&mut self) {
        let source = self.conn.source.borrow_mut().take();
        drop(source);
    }
}

/// One call: the request, and whether it holds the reader's waiter slot.
/// Dropping it (the call was cancelled) releases the slot and gives back
/// what a `read(-1)` had taken.
struct Call<'a> {
    conn: &'a Conn,
    request: Option<ReadRequest>,
    waiting: bool,
}

impl Drop for Call<'_> {
    fn drop(&mut self) {
        let mut buffer = self.conn.read.borrow_mut();
        if let Some(request) = self.request.take() {
            buffer.abandon(request);
        }
        if self.waiting {
            buffer.end_wait();
        }
    }
}

/// Answers `request` from core's buffer, reading from the source while it
/// needs more data.
async fn read(conn: &Conn, request: ReadRequest) -> Result<Bytes, Error> {
    let mut call = Call {
        conn,
        request: Some(request),
        waiting: false,
    };
    loop {
        let closing = conn.closing.wait();
        {
            let mut buffer = conn.read.borrow_mut();
            let Some(request) = call.request.as_mut() else {
                return Err(Error::Other("read request lost".into()));
            };
            if let Progress::Done(result) = buffer.poll(request) {
                call.request = None;
                return result;
            }
            // asyncio's `_wait_for_data` on every wait: claim the waiter
            // slot (a second waiter gets `busy`) and resume reading if the
            // buffer was paused, so requests above 2 x limit progress.
            if call.waiting {
                buffer.end_wait();
                call.waiting = false;
            }
            buffer.begin_wait(request)?;
            call.waiting = true;
        }
        match next_step(conn)? {
            Next::Read(source) => fill(conn, source).await,
            Next::WaitClosed => closing.await,
        }
    }
}

/// What a waiting call does next.
enum Next {
    /// Read once more from the source.
    Read(Source),
    /// The connection is closing: wait until it is closed (then the buffer
    /// has EOF or the error).
    WaitClosed,
}

/// The source, unless the connection is closing (asyncio stops reading on
/// `close()`). A waiting call always finds it: only the one waiter reads.
fn next_step(conn: &Conn) -> Result<Next, Error> {
    if conn.write.borrow().is_closing() {
        return Ok(Next::WaitClosed);
    }
    match conn.source.borrow_mut().take() {
        Some(source) => Ok(Next::Read(source)),
        None => Err(Error::Other("the reader's source is gone".into())),
    }
}

/// Reads once from `source` into the buffer, or stops early when the
/// connection starts closing. Puts the source back unless it ended.
async fn fill(conn: &Conn, source: Source) {
    // Declared before the read, so dropped after it: a cancelled call first
    // feeds what the read had received, then returns the source.
    let mut checkout = Checkout {
        conn,
        source: Some(source),
    };
    let stream_ended = match checkout.source.as_mut().and_then(|s| s.stream.as_mut()) {
        None => true,
        Some(stream) => {
            let size = {
                let buffer = conn.read.borrow();
                buffer.next_read_size(MAX_READ)
            };
            let read = Guarded {
                op: Box::pin(stream.read(Vec::with_capacity(size))),
                buffer: &conn.read,
                done: false,
            };
            let mut read = pin!(read);
            loop {
                let closing = conn.closing.wait();
                match race(read.as_mut(), closing).await {
                    Either::Left(result) => break result == StreamResult::Dropped,
                    Either::Right(()) if conn.write.borrow().is_closing() => break false,
                    Either::Right(()) => {}
                }
            }
        }
    };
    if !stream_ended {
        return;
    }
    let Some(mut source) = checkout.source.take() else {
        return;
    };
    source.stream = None;
    ended(conn, source).await;
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
    if !conn.is_closed() {
        *conn.source.borrow_mut() = Some(source);
    }
}

/// The source's stream ended: EOF, or for a socket the error its end
/// future reports (asyncio's `connection_lost(exc)`).
async fn ended(conn: &Conn, mut source: Source) {
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
        Ok(()) => {
            let mut buffer = conn.read.borrow_mut();
            if !buffer.eof_received() {
                buffer.feed_eof();
            }
        }
        Err(code) => conn.lost(Some(socket_error(&code, None))),
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
            Err(end) => put_back(
                self.conn,
                Source {
                    stream: None,
                    end: Some(end),
                },
            ),
        }
    }
}

/// A read from the source that feeds every byte it receives to the buffer,
/// also when it is dropped before finishing.
struct Guarded<'a> {
    op: Pin<Box<StreamRead<'a, u8>>>,
    buffer: &'a std::cell::RefCell<ReadBuffer>,
    done: bool,
}

impl Guarded<'_> {
    fn feed(&self, data: &[u8]) {
        let mut buffer = self.buffer.borrow_mut();
        if !data.is_empty() && !buffer.eof_received() {
            buffer.feed_data(data);
        }
    }
}

impl Future for Guarded<'_> {
    type Output = StreamResult;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<StreamResult> {
        let (result, data) = match self.op.as_mut().poll(cx) {
            Poll::Ready(out) => out,
            Poll::Pending => return Poll::Pending,
        };
        self.done = true;
        self.feed(&data);
        Poll::Ready(result)
    }
}

impl Drop for Guarded<'_> {
    fn drop(&mut self) {
        if !self.done {
            let (_, data) = self.op.as_mut().cancel();
            self.feed(&data);
        }
    }
}
