//! One connection: core's [`ReadBuffer`] and [`WriteBuffer`] over a
//! transport. Reads happen on demand, inside the waiting call (so no more
//! than about 2 x limit is ever buffered). `write` sends at once when the
//! transport is idle and takes it (as asyncio's `write` tries the socket
//! first); whatever the socket does not take goes to the connection's pump
//! task, so `write` never waits.

use std::future::poll_fn;
use std::pin::{Pin, pin};
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll, Waker};

use bytes::Bytes;
use portable_streams_core::{
    DrainStatus, Error, Progress, ReadBuffer, ReadRequest, WriteBuffer, WriterState,
};
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt};
use tokio::sync::Notify;
use tokio::task::AbortHandle;
use tokio_util::io::poll_read_buf;

use super::conv::io_error;
use super::limits::Permit;
use super::waiters::Waiters;
use super::wit;

/// The most bytes read from a transport at once.
const MAX_READ: usize = 64 * 1024;
/// The most bytes handed to a transport at once.
const MAX_WRITE: usize = 256 * 1024;

/// The receiving half of a transport.
pub(crate) type Source = Pin<Box<dyn AsyncRead + Send>>;
/// The sending half of a transport.
pub(crate) type Sink = Pin<Box<dyn AsyncWrite + Send>>;

/// A byte transport and what `get-extra-info` tells of it.
pub(crate) struct Transport {
    /// Bytes from the peer.
    pub(crate) source: Source,
    /// Bytes to the peer.
    pub(crate) sink: Sink,
    /// `peername`.
    pub(crate) peer: Option<wit::SocketAddress>,
    /// `sockname`.
    pub(crate) local: Option<wit::SocketAddress>,
}

/// A connection the embedder accepted itself (as `serve` does), to hand to
/// a component with [`adopt`](super::adopt).
#[derive(Debug)]
pub enum Accepted {
    /// A TCP connection.
    Tcp(tokio::net::TcpStream),
    /// A Unix-socket connection.
    Unix(tokio::net::UnixStream),
}

impl Accepted {
    /// The transport over this socket.
    pub(crate) fn into_transport(self) -> Transport {
        match self {
            Accepted::Tcp(stream) => super::connect::tcp_transport(stream),
            Accepted::Unix(stream) => super::unix::unix_transport(stream, None),
        }
    }
}

/// Called once when a connection is fully closed (a server counts its
/// clients this way).
pub(crate) type OnClosed = Box<dyn Fn() + Send + Sync>;

/// One connection, shared by its reader, its writer and its pump.
pub(crate) struct Conn {
    state: Mutex<State>,
    pump_wake: Notify,
    peer: Option<wit::SocketAddress>,
    local: Option<wit::SocketAddress>,
    on_closed: Option<OnClosed>,
}

struct State {
    read: ReadBuffer,
    /// The transport's receiving half; gone once the connection closed.
    source: Option<Source>,
    /// The waiting read call, woken when the connection closes.
    reader: Waiters,
    write: WriteBuffer,
    /// The transport's sending half while no one is sending on it; the
    /// pump takes it for each send it waits on, and `write` uses it for a
    /// send that does not wait. Gone once the connection closed.
    sink: Option<Sink>,
    /// `drain` and `wait-closed` calls.
    writers: Waiters,
    pump: Option<AbortHandle>,
    permit: Option<Permit>,
}

impl Conn {
    /// Starts a connection over `transport`: spawns its pump and returns
    /// the shared state. `permit`, if any, counts it until it closes.
    pub(crate) fn start(
        transport: Transport,
        read: ReadBuffer,
        permit: Option<Permit>,
        on_closed: Option<OnClosed>,
    ) -> Arc<Conn> {
        let conn = Arc::new(Conn {
            state: Mutex::new(State {
                read,
                source: Some(transport.source),
                reader: Waiters::default(),
                write: WriteBuffer::default(),
                sink: Some(transport.sink),
                writers: Waiters::default(),
                pump: None,
                permit,
            }),
            pump_wake: Notify::new(),
            peer: transport.peer,
            local: transport.local,
            on_closed,
        });
        let task = tokio::spawn(pump(conn.clone()));
        conn.lock().pump = Some(task.abort_handle());
        conn
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock cannot leave core's buffers half
        // updated in a way that matters more than losing the connection.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// `peername`.
    pub(crate) fn peer(&self) -> Option<wit::SocketAddress> {
        self.peer.clone()
    }

    /// `sockname`.
    pub(crate) fn local(&self) -> Option<wit::SocketAddress> {
        self.local.clone()
    }

    // ---- reader ----

    /// Answers `request`, reading from the transport while it needs data.
    ///
    /// Cancellation safe: a cancelled call loses no byte (what was read
    /// stays buffered, what a `read(-1)` had taken goes back) and frees the
    /// reader for the next call.
    pub(crate) async fn read(&self, request: ReadRequest) -> Result<Bytes, Error> {
        let mut call = ReadCall {
            conn: self,
            request: Some(request),
            waiting: false,
        };
        poll_fn(|cx| call.poll(cx)).await
    }

    /// `at_eof()`.
    pub(crate) fn at_eof(&self) -> bool {
        self.lock().read.at_eof()
    }

    /// The reader's limit.
    pub(crate) fn limit(&self) -> usize {
        self.lock().read.limit()
    }

    /// The reader was dropped: nothing will read again.
    pub(crate) fn reader_dropped(&self) {
        let mut st = self.lock();
        st.source = None;
    }

    // ---- writer ----

    /// `write(data)`: queue, then send what the socket takes at once;
    /// never waits.
    pub(crate) fn write(&self, data: Bytes) -> Result<(), Error> {
        let mut st = self.lock();
        st.write.write(data)?;
        self.send_now(st);
        Ok(())
    }

    /// `writelines(data)`.
    pub(crate) fn writelines(&self, data: Vec<Vec<u8>>) -> Result<(), Error> {
        {
            let mut st = self.lock();
            for item in data {
                st.write.write(item)?;
            }
            self.send_now(st);
        }
        Ok(())
    }

    /// If the pump is idle (the sink is here, so no chunk is in flight)
    /// and the writer is open, hands the next chunk to the socket without
    /// waiting, keeping what it did not take queued in order; then wakes
    /// the pump for whatever is left. Saves a task wake-up per small write.
    fn send_now(&self, mut guard: MutexGuard<'_, State>) {
        let st = &mut *guard;
        if let (Some(sink), WriterState::Open) = (st.sink.as_mut(), st.write.state())
            && let Some(chunk) = st.write.take_chunk(MAX_WRITE)
        {
            // A waker that does nothing: on `Pending` the pump polls the
            // socket again with its own.
            let mut cx = Context::from_waker(Waker::noop());
            match sink.as_mut().poll_write(&mut cx, &chunk) {
                Poll::Ready(Ok(n)) => {
                    let n = n.min(chunk.len());
                    if st.write.complete_send(n) {
                        st.writers.wake_all();
                    }
                    st.write.requeue_unsent(chunk.slice(n..));
                }
                Poll::Ready(Err(e)) => {
                    st.write.requeue_unsent(chunk);
                    drop(guard);
                    return self.lost(Some(io_error(&e, "write")));
                }
                Poll::Pending => st.write.requeue_unsent(chunk),
            }
        }
        let pending = st.write.has_pending();
        drop(guard);
        if pending {
            self.pump_wake.notify_one();
        }
    }

    /// `drain()`: waits while writing is paused.
    ///
    /// Cancellation safe: nothing is queued or taken by waiting.
    pub(crate) async fn drain(&self) -> Result<(), Error> {
        poll_fn(|cx| {
            let mut st = self.lock();
            // asyncio's drain raises the reader's exception first.
            if let Some(error) = st.read.exception() {
                return Poll::Ready(Err(error.clone()));
            }
            match st.write.drain_status() {
                DrainStatus::Ready => Poll::Ready(Ok(())),
                DrainStatus::Failed(error) => Poll::Ready(Err(error)),
                DrainStatus::Wait => {
                    st.writers.register(cx.waker());
                    Poll::Pending
                }
            }
        })
        .await
    }

    /// `write_eof()`: shut the write half down once flushed.
    pub(crate) fn write_eof(&self) -> Result<(), Error> {
        {
            let mut st = self.lock();
            if st.write.is_closing() {
                return Err(Error::Closed("the writer is closed".into()));
            }
            st.write.write_eof();
        }
        self.pump_wake.notify_one();
        Ok(())
    }

    /// `close()`: flush, then close.
    pub(crate) fn close(&self) {
        self.lock().write.close();
        self.pump_wake.notify_one();
    }

    /// `abort()`: close now, discarding what is buffered.
    pub(crate) fn abort(&self) {
        self.lost(None);
    }

    /// `is_closing()`.
    pub(crate) fn is_closing(&self) -> bool {
        self.lock().write.is_closing()
    }

    /// Whether the connection is fully closed.
    pub(crate) fn is_closed(&self) -> bool {
        self.lock().write.is_closed()
    }

    /// `wait_closed()`: waits until the connection is closed.
    ///
    /// Cancellation safe.
    pub(crate) async fn wait_closed(&self) -> Result<(), Error> {
        poll_fn(|cx| {
            let mut st = self.lock();
            if st.write.is_closed() {
                return Poll::Ready(st.write.close_error().cloned().map_or(Ok(()), Err));
            }
            st.writers.register(cx.waker());
            Poll::Pending
        })
        .await
    }

    /// `set_write_buffer_limits(high, low)`.
    pub(crate) fn set_write_buffer_limits(
        &self,
        high: Option<u64>,
        low: Option<u64>,
    ) -> Result<(), Error> {
        let mut st = self.lock();
        st.write.set_limits(high, low)?;
        st.writers.wake_all();
        Ok(())
    }

    /// `get_write_buffer_limits()`: `(low, high)`.
    pub(crate) fn write_buffer_limits(&self) -> (u64, u64) {
        let limits = self.lock().write.limits();
        (limits.low, limits.high)
    }

    /// `get_write_buffer_size()`.
    pub(crate) fn write_buffer_size(&self) -> u64 {
        self.lock().write.size()
    }

    // ---- the connection ends ----

    /// asyncio's `connection_lost(error)`: the writer is closed (its buffer
    /// discarded), the reader gets EOF or the error, the transport is
    /// dropped, and every waiter wakes. Only the first call counts.
    fn lost(&self, error: Option<Error>) {
        {
            let mut st = self.lock();
            if !st.write.connection_lost(error.clone()) {
                return;
            }
            match error {
                Some(error) => st.read.set_exception(error),
                None => st.read.feed_eof(),
            }
            st.source = None;
            st.sink = None;
            st.permit = None;
            if let Some(pump) = st.pump.take() {
                pump.abort();
            }
            st.reader.wake_all();
            st.writers.wake_all();
        }
        if let Some(on_closed) = &self.on_closed {
            on_closed();
        }
    }

    /// The pump's next step; a step that uses the sink takes it.
    fn next_step(&self) -> Step {
        let mut st = self.lock();
        if st.write.is_closed() {
            return Step::Stop;
        }
        // Only the pump takes the sink away across an await, so it is here.
        let Some(sink) = st.sink.take() else {
            return Step::Stop;
        };
        if let Some(chunk) = st.write.take_chunk(MAX_WRITE) {
            Step::Send(chunk, sink)
        } else if st.write.should_shutdown_write() {
            Step::ShutdownWrite(sink)
        } else if st.write.should_close() {
            Step::Close(sink)
        } else {
            st.sink = Some(sink);
            Step::Wait
        }
    }

    /// The pump sent `n` bytes and gives the sink back (dropped instead if
    /// the connection was lost meanwhile).
    fn sent(&self, n: usize, sink: Sink) {
        let mut st = self.lock();
        if st.write.complete_send(n) {
            st.writers.wake_all();
        }
        st.give_back(sink);
    }

    /// The pump shut the write half down and gives the sink back.
    fn eof_sent(&self, sink: Sink) {
        let mut st = self.lock();
        st.write.eof_sent();
        st.give_back(sink);
    }
}

impl State {
    fn give_back(&mut self, sink: Sink) {
        if !self.write.is_closed() {
            self.sink = Some(sink);
        }
    }
}

/// What the pump does next.
enum Step {
    Send(Bytes, Sink),
    ShutdownWrite(Sink),
    Close(Sink),
    Wait,
    Stop,
}

/// Moves the write buffer into the sink until the connection closes.
async fn pump(conn: Arc<Conn>) {
    loop {
        let notified = conn.pump_wake.notified();
        let mut notified = pin!(notified);
        notified.as_mut().enable();
        match conn.next_step() {
            Step::Send(chunk, mut sink) => match sink.write_all(&chunk).await {
                Ok(()) => conn.sent(chunk.len(), sink),
                Err(e) => return conn.lost(Some(io_error(&e, "write"))),
            },
            Step::ShutdownWrite(mut sink) => match sink.shutdown().await {
                Ok(()) => conn.eof_sent(sink),
                Err(e) => return conn.lost(Some(io_error(&e, "write_eof"))),
            },
            Step::Close(mut sink) => {
                // The peer may be gone already; closing goes on regardless.
                let _ = sink.shutdown().await;
                drop(sink);
                return conn.lost(None);
            }
            Step::Wait => notified.await,
            Step::Stop => return,
        }
    }
}

/// One read call: its request, and whether it holds the reader's single
/// waiter slot. Dropped unfinished (cancelled), it gives both back.
struct ReadCall<'a> {
    conn: &'a Conn,
    request: Option<ReadRequest>,
    waiting: bool,
}

impl ReadCall<'_> {
    fn poll(&mut self, cx: &mut Context<'_>) -> Poll<Result<Bytes, Error>> {
        loop {
            let mut guard = self.conn.lock();
            let st = &mut *guard;
            let Some(request) = self.request.as_mut() else {
                return Poll::Ready(Err(Error::Other("read polled after it finished".into())));
            };
            if let Progress::Done(result) = st.read.poll(request) {
                self.request = None;
                if std::mem::take(&mut self.waiting) {
                    st.read.end_wait();
                }
                return Poll::Ready(result);
            }
            // asyncio's `_wait_for_data`: one waiter at a time; waiting
            // resumes reading even above 2 x limit, so big requests progress.
            if !self.waiting {
                if let Err(busy) = st.read.begin_wait(request) {
                    self.request = None;
                    return Poll::Ready(Err(busy));
                }
                self.waiting = true;
            }
            // asyncio stops reading on `close()`; the call then waits for
            // the connection to close (EOF or its error).
            if st.write.is_closing() {
                st.reader.register(cx.waker());
                return Poll::Pending;
            }
            let size = st.read.next_read_size(MAX_READ);
            let State {
                read,
                source,
                reader,
                ..
            } = st;
            let Some(source) = source.as_mut() else {
                reader.register(cx.waker());
                return Poll::Pending;
            };
            // Straight into core's buffer: no scratch memory, no copy.
            match read.feed_with(size, |room| poll_read_buf(source.as_mut(), cx, room)) {
                Poll::Ready(Ok(0)) => read.feed_eof(),
                Poll::Ready(Ok(_)) => {}
                Poll::Ready(Err(e)) => {
                    drop(guard);
                    self.conn.lost(Some(io_error(&e, "read")));
                }
                Poll::Pending => {
                    reader.register(cx.waker());
                    return Poll::Pending;
                }
            }
        }
    }
}

impl Drop for ReadCall<'_> {
    fn drop(&mut self) {
        if self.request.is_none() && !self.waiting {
            return;
        }
        let mut st = self.conn.lock();
        if let Some(request) = self.request.take() {
            st.read.abandon(request);
        }
        if self.waiting {
            st.read.end_wait();
        }
    }
}

#[cfg(test)]
#[path = "conn_tests.rs"]
mod tests;
