//! One connection: core's [`Connection`] engine over a [`Transport`]. This
//! file only moves bytes and wakes waiters; every rule (what a read does
//! next, drain, the pump's next step, closing, loss) is the engine's.
//!
//! Reads happen inside the waiting call, straight into the engine's buffer.
//! `write` hands the next chunk to the socket at once when no send is in
//! flight (as asyncio's `write` tries the socket first); the rest goes to
//! the connection's pump task, so `write` never waits.

use std::future::poll_fn;
use std::pin::pin;
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::task::{Context, Poll, Waker};

use bytes::Bytes;
use portable_streams_core::{
    Connection, DrainCall, Error, PumpStep, ReadCall, ReadRequest, ReadStep, Signal, Wake,
};
use tokio::io::AsyncWriteExt;
use tokio::sync::Notify;
use tokio::task::AbortHandle;
use tokio_util::io::poll_read_buf;

use super::tls;
use super::transport::{Ends, Sink, Source, Transport};
use super::wit;
use portable_streams_core::caps::Permit;
use portable_streams_core::upgrade::{self, Upgrade};

/// Called once when a connection is fully closed (a server counts its
/// clients this way).
pub(crate) type OnClosed = Box<dyn Fn() + Send + Sync>;

/// One connection, shared by its reader, its writer and its pump.
pub(crate) struct Conn {
    state: Mutex<State>,
    /// For `drain`, `wait-closed` and `start_tls`'s flush.
    writers: Signal,
    pump_wake: Notify,
    /// This connection, for starting its pump from `&self`.
    me: Weak<Conn>,
    peer: Option<wit::SocketAddress>,
    local: Option<wit::SocketAddress>,
    on_closed: Option<OnClosed>,
}

struct State {
    engine: Connection,
    /// The transport's receiving half; gone once the connection closed.
    source: Option<Source>,
    /// The transport's sending half while no send is in flight (the pump
    /// takes it across an await); gone once the connection closed.
    sink: Option<Sink>,
    /// The waiting read call's waker. One slot, replaced on each wait:
    /// only one call may wait on a reader, and a set that kept every
    /// call's waker until the connection closed grew with every read.
    reader: Option<Waker>,
    /// A send at once left bytes in the sink (a TLS layer's records) that
    /// the pump must flush.
    unflushed: bool,
    /// The pump task, once started: it starts with the first write the
    /// socket did not take at once, or with `write_eof`.
    pump: Option<AbortHandle>,
    /// A closing TLS connection's shutdown timer (see
    /// [`Connection::shutdown_timer`]), stopped once it is closed.
    shutdown_timer: Option<AbortHandle>,
    permit: Option<Permit>,
}

impl State {
    /// Keeps `waker` as the waiting read's, unless it is the one kept
    /// already (the same task waits again: no clone, no drop).
    fn wait_to_read(&mut self, waker: &Waker) {
        if !self
            .reader
            .as_ref()
            .is_some_and(|kept| kept.will_wake(waker))
        {
            self.reader = Some(waker.clone());
        }
    }
}

impl Conn {
    /// Starts `engine` over `transport` and returns the shared state; the
    /// pump task starts when first needed. `permit`, if any, counts it
    /// until it closes.
    pub(crate) fn start(
        transport: Transport,
        engine: Connection,
        permit: Option<Permit>,
        on_closed: Option<OnClosed>,
    ) -> Arc<Conn> {
        let mut engine = engine;
        if let Some(secured) = transport.tls {
            engine.set_tls(secured.details, secured.shutdown_timeout);
        }
        Arc::new_cyclic(|me| Conn {
            state: Mutex::new(State {
                engine,
                source: Some(transport.source),
                sink: Some(transport.sink),
                reader: None,
                unflushed: false,
                pump: None,
                shutdown_timer: None,
                permit,
            }),
            writers: Signal::default(),
            pump_wake: Notify::new(),
            me: me.clone(),
            peer: transport.peer,
            local: transport.local,
            on_closed,
        })
    }

    /// Wakes the pump, starting it first if it never ran (most
    /// connections that only exchange short messages and close never
    /// need it: see `send_now` and `close`).
    fn wake_pump(&self) {
        let mut st = self.lock();
        if st.pump.is_none()
            && !st.engine.is_closed()
            && let Some(conn) = self.me.upgrade()
        {
            st.pump = Some(tokio::spawn(pump(conn)).abort_handle());
        }
        drop(st);
        self.pump_wake.notify_one();
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock cannot leave the engine half
        // updated in a way that matters more than losing the connection.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Wakes the waiters `wake` names; returns whether the pump must wake.
    fn wake(&self, st: &mut State, wake: Wake) -> bool {
        if wake.reader
            && let Some(reader) = st.reader.take()
        {
            reader.wake();
        }
        if wake.writers {
            self.writers.notify();
        }
        wake.pump
    }

    /// Wakes what `wake` names, outside any lock for the pump.
    fn apply(&self, mut st: MutexGuard<'_, State>, wake: Wake) {
        let pump = self.wake(&mut st, wake);
        drop(st);
        if pump {
            self.wake_pump();
        }
    }

    /// `peername`.
    pub(crate) fn peer(&self) -> Option<wit::SocketAddress> {
        self.peer.clone()
    }

    /// `sockname`.
    pub(crate) fn local(&self) -> Option<wit::SocketAddress> {
        self.local.clone()
    }

    /// `ssl_object`'s details, on a TLS connection.
    pub(crate) fn tls(&self) -> Option<wit::TlsInfo> {
        self.lock().engine.tls().cloned().map(Into::into)
    }

    /// `can_write_eof()`: the engine's rule (none over TLS).
    pub(crate) fn can_write_eof(&self) -> bool {
        self.lock().engine.can_write_eof()
    }

    /// `start_tls(...)`: core's procedure (see `upgrade`), with the
    /// handshake over this connection's transport; bytes already received
    /// stay in the reader.
    pub(crate) async fn start_tls(&self, side: wit::TlsSide) -> Result<(), Error> {
        let prepare = || match &side {
            wit::TlsSide::Client(options) => {
                // Without `server-name`, the peer's address is verified.
                let peer = self
                    .peer
                    .as_ref()
                    .and_then(wit::SocketAddress::verified_host);
                Ok(Handshake::Client(tls::Connector::new(options, peer)?))
            }
            wit::TlsSide::Server(options) => Ok(Handshake::Server(tls::Acceptor::new(options)?)),
        };
        let ends = Ends {
            peer: self.peer.clone(),
            local: self.local.clone(),
        };
        let handshake = |handshake, (source, sink)| async move {
            let plain = tls::Joined::new(source, sink);
            match handshake {
                Handshake::Client(connector) => connector.connect(plain, ends).await,
                Handshake::Server(acceptor) => acceptor.accept(plain, ends).await,
            }
        };
        upgrade::start_tls(self, prepare, handshake).await
    }

    /// Waits, woken with the writers, until `answer` gives one.
    async fn wait_for_writers(
        &self,
        mut answer: impl FnMut(&mut Connection) -> Option<Result<(), Error>>,
    ) -> Result<(), Error> {
        self.writers.until(|| answer(&mut self.lock().engine)).await
    }

    // ---- reader ----

    /// Answers `request`, reading from the transport while the engine asks.
    ///
    /// Cancellation safe: a cancelled call loses no byte (what was read
    /// stays buffered, what a `read(-1)` had taken goes back) and frees the
    /// reader for the next call.
    pub(crate) async fn read(&self, request: ReadRequest) -> Result<Bytes, Error> {
        let mut call = Call {
            conn: self,
            call: ReadCall::new(request),
        };
        poll_fn(|cx| call.poll(cx)).await
    }

    /// `at_eof()`.
    pub(crate) fn at_eof(&self) -> bool {
        self.lock().engine.reader().at_eof()
    }

    /// The reader's limit.
    pub(crate) fn limit(&self) -> usize {
        self.lock().engine.reader().limit()
    }

    /// The reader was dropped: nothing will read again.
    pub(crate) fn reader_dropped(&self) {
        self.lock().source = None;
    }

    // ---- writer ----

    /// `write(data)`: queue, then send what the socket takes at once.
    pub(crate) fn write(&self, data: Bytes) -> Result<(), Error> {
        let mut st = self.lock();
        // `send_now` wakes the pump for whatever it leaves.
        let _ = st.engine.write(data)?;
        self.send_now(st);
        Ok(())
    }

    /// `writelines(data)`.
    pub(crate) fn writelines(&self, data: Vec<Vec<u8>>) -> Result<(), Error> {
        let mut st = self.lock();
        let _ = st.engine.writelines(data)?;
        self.send_now(st);
        Ok(())
    }

    /// While no send is in flight (the sink is here), hands the next chunk
    /// to the socket without waiting; the engine keeps what it refused
    /// first in line. Then wakes the pump for whatever is left.
    fn send_now(&self, mut guard: MutexGuard<'_, State>) {
        let st = &mut *guard;
        if let Some(sink) = st.sink.as_mut()
            && let Some(chunk) = st.engine.take_for_send_now()
        {
            // A waker that does nothing: on `Pending` the pump polls the
            // socket again with its own.
            let mut cx = Context::from_waker(Waker::noop());
            match tokio::io::AsyncWrite::poll_write(sink.as_mut(), &mut cx, &chunk) {
                Poll::Ready(Ok(n)) => {
                    // What the sink accepted but holds (TLS records not yet
                    // on the socket) is the pump's to flush.
                    let held = tokio::io::AsyncWrite::poll_flush(sink.as_mut(), &mut cx);
                    st.unflushed |= held.is_pending();
                    let n = n.min(chunk.len());
                    let wake = st.engine.sent(n);
                    let _ = self.wake(st, wake);
                    st.engine.requeue_unsent(chunk.slice(n..));
                }
                Poll::Ready(Err(e)) => {
                    st.engine.requeue_unsent(chunk);
                    drop(guard);
                    return self.lost(Some(Error::from(e)));
                }
                Poll::Pending => st.engine.requeue_unsent(chunk),
            }
        }
        let pending = st.engine.writer().has_pending() || st.unflushed;
        drop(guard);
        if pending {
            self.wake_pump();
        }
    }

    /// `drain()`: waits while writing is paused.
    ///
    /// Cancellation safe: nothing is queued or taken by waiting.
    pub(crate) async fn drain(&self) -> Result<(), Error> {
        let mut call = DrainCall::default();
        self.wait_for_writers(|engine| engine.poll_drain(&mut call))
            .await
    }

    /// `write_eof()`: the engine's rule (refused over TLS).
    pub(crate) fn write_eof(&self) -> Result<(), Error> {
        let mut st = self.lock();
        let wake = st.engine.write_eof()?;
        self.apply(st, wake);
        Ok(())
    }

    /// `close()`. With nothing left to send on a plain transport and no
    /// pump running, the transport is closed right here (a socket's
    /// shutdown does not wait): no task is started just to close.
    pub(crate) fn close(&self) {
        let mut st = self.lock();
        let wake = st.engine.close();
        self.start_shutdown_timer(&mut st);
        let at_once = st.pump.is_none()
            && st.engine.tls().is_none()
            && !st.unflushed
            && st.engine.writer().should_close();
        let sink = if at_once { st.sink.take() } else { None };
        let Some(mut sink) = sink else {
            return self.apply(st, wake);
        };
        let _ = self.wake(&mut st, wake);
        drop(st);
        let mut cx = Context::from_waker(Waker::noop());
        match tokio::io::AsyncWrite::poll_shutdown(sink.as_mut(), &mut cx) {
            // The pump finishes what could not be done at once.
            Poll::Pending => {
                self.lock().sink = Some(sink);
                self.wake_pump();
            }
            // As the pump: closing goes on whether or not the peer is there.
            Poll::Ready(_) => {
                drop(sink);
                self.lost(None);
            }
        }
    }

    /// Over TLS, closing may take the engine's shutdown timer: a task
    /// loses the connection with its timeout once that passed (a peer
    /// that stops reading cannot hold it open).
    fn start_shutdown_timer(&self, st: &mut State) {
        let Some(timeout) = st.engine.shutdown_timer() else {
            return;
        };
        if st.shutdown_timer.is_some() {
            return;
        }
        let conn = self.me.clone();
        let timer = tokio::spawn(async move {
            tokio::time::sleep(timeout).await;
            let Some(conn) = conn.upgrade() else {
                return;
            };
            let expired = conn.lock().engine.shutdown_expired();
            if let Some(error) = expired {
                conn.lost(Some(error));
            }
        });
        st.shutdown_timer = Some(timer.abort_handle());
    }

    /// `abort()`: close now, discarding what is buffered.
    pub(crate) fn abort(&self) {
        self.lost(None);
    }

    /// `is_closing()`.
    pub(crate) fn is_closing(&self) -> bool {
        self.lock().engine.writer().is_closing()
    }

    /// Whether the connection is fully closed.
    pub(crate) fn is_closed(&self) -> bool {
        self.lock().engine.is_closed()
    }

    /// `wait_closed()`: waits until the connection is closed.
    ///
    /// Cancellation safe.
    pub(crate) async fn wait_closed(&self) -> Result<(), Error> {
        self.writers
            .until(|| self.lock().engine.closed_status())
            .await
    }

    /// `set_write_buffer_limits(high, low)`.
    pub(crate) fn set_write_buffer_limits(
        &self,
        high: Option<u64>,
        low: Option<u64>,
    ) -> Result<(), Error> {
        let mut st = self.lock();
        let wake = st.engine.set_write_buffer_limits(high, low)?;
        self.apply(st, wake);
        Ok(())
    }

    /// `get_write_buffer_limits()`: `(low, high)`.
    pub(crate) fn write_buffer_limits(&self) -> (u64, u64) {
        let limits = self.lock().engine.writer().limits();
        (limits.low, limits.high)
    }

    /// `get_write_buffer_size()`.
    pub(crate) fn write_buffer_size(&self) -> u64 {
        self.lock().engine.writer().size()
    }

    // ---- the connection ends ----

    /// The engine's `lost`: on the first call the transport is dropped,
    /// the pump stopped, every waiter woken and the server told.
    fn lost(&self, error: Option<Error>) {
        {
            let mut st = self.lock();
            let Some(wake) = st.engine.lost(error) else {
                return;
            };
            st.source = None;
            st.sink = None;
            st.permit = None;
            if let Some(pump) = st.pump.take() {
                pump.abort();
            }
            if let Some(timer) = st.shutdown_timer.take() {
                timer.abort();
            }
            let _ = self.wake(&mut st, wake);
        }
        if let Some(on_closed) = &self.on_closed {
            on_closed();
        }
    }
}

/// The side `start_tls` takes, ready to shake hands.
enum Handshake {
    Client(tls::Connector),
    Server(tls::Acceptor),
}

/// `start_tls`'s byte-moving steps, for core's procedure.
impl Upgrade for Conn {
    type Plain = (Source, Sink);
    type Secured = Transport;

    fn with_engine<R>(&self, f: impl FnOnce(&mut Connection) -> R) -> R {
        f(&mut self.lock().engine)
    }

    async fn flush(&self) -> Result<(), Error> {
        self.wait_for_writers(|engine| engine.flush_status().answer())
            .await
    }

    /// A waiting read holds nothing here: it polls the source under the
    /// lock, and waits for it while it is out.
    async fn take_plain(&self) -> Option<(Source, Sink)> {
        let st = &mut *self.lock();
        upgrade::take_both(&mut st.source, &mut st.sink)
    }

    fn lost(&self, error: Option<Error>) {
        Conn::lost(self, error);
    }

    fn carry_on(&self, secured: Transport) {
        let mut st = self.lock();
        // Lost since the procedure looked (another thread): the secured
        // transport is dropped with this call.
        if st.engine.is_closed() {
            return;
        }
        st.source = Some(secured.source);
        st.sink = Some(secured.sink);
        if let Some(tls) = secured.tls {
            st.engine.set_tls(tls.details, tls.shutdown_timeout);
        }
        // A read that waited for the source, and writes queued meanwhile.
        self.apply(st, Wake::ALL);
    }
}

/// What the pump does next, with the sink taken for the steps that use it.
enum Step {
    Send(Bytes, Sink),
    Flush(Sink),
    ShutdownWrite(Sink),
    Close(Sink),
    Wait,
    Stop,
}

impl Conn {
    fn pump_step(&self) -> Step {
        let mut st = self.lock();
        // Only the pump and `start_tls` take the sink away across an
        // await: it is gone for good once the connection is closed.
        let Some(sink) = st.sink.take() else {
            return if st.engine.is_closed() {
                Step::Stop
            } else {
                Step::Wait
            };
        };
        let step = match st.engine.pump_step() {
            PumpStep::Send(chunk) => return Step::Send(chunk, sink),
            PumpStep::ShutdownWrite => return Step::ShutdownWrite(sink),
            PumpStep::Close => return Step::Close(sink),
            PumpStep::Idle if st.unflushed => {
                st.unflushed = false;
                return Step::Flush(sink);
            }
            PumpStep::Idle => Step::Wait,
            PumpStep::Stop => Step::Stop,
        };
        st.sink = Some(sink);
        step
    }

    /// Gives the sink back after a step (dropped if the connection was lost
    /// meanwhile), applying `report` to the engine first.
    fn give_back(&self, sink: Sink, report: impl FnOnce(&mut Connection) -> Wake) {
        let mut st = self.lock();
        let wake = report(&mut st.engine);
        let _ = self.wake(&mut st, wake);
        if !st.engine.is_closed() {
            st.sink = Some(sink);
        }
    }
}

async fn write_and_flush(sink: &mut Sink, chunk: &[u8]) -> std::io::Result<()> {
    sink.write_all(chunk).await?;
    sink.flush().await
}

/// Moves the write buffer into the sink until the connection closes.
async fn pump(conn: Arc<Conn>) {
    loop {
        let notified = conn.pump_wake.notified();
        let mut notified = pin!(notified);
        notified.as_mut().enable();
        match conn.pump_step() {
            // A sink may hold what it accepted (TLS records): each send
            // ends with a flush, a no-op for a plain socket.
            Step::Send(chunk, mut sink) => match write_and_flush(&mut sink, &chunk).await {
                Ok(()) => conn.give_back(sink, |engine| engine.sent(chunk.len())),
                Err(e) => return conn.lost(Some(Error::from(e))),
            },
            Step::Flush(mut sink) => match sink.flush().await {
                Ok(()) => conn.give_back(sink, |_| Wake::default()),
                Err(e) => return conn.lost(Some(Error::from(e))),
            },
            Step::ShutdownWrite(mut sink) => match sink.shutdown().await {
                Ok(()) => conn.give_back(sink, |engine| {
                    engine.eof_sent();
                    Wake::default()
                }),
                Err(e) => return conn.lost(Some(Error::from(e))),
            },
            Step::Close(mut sink) => {
                // The peer may be gone already; closing goes on regardless.
                // A TLS sink sends `close_notify` here, bounded by the
                // shutdown timer that `close` started.
                let _ = sink.shutdown().await;
                drop(sink);
                return conn.lost(None);
            }
            Step::Wait => notified.await,
            Step::Stop => return,
        }
    }
}

/// One read call; dropped unfinished (cancelled), it gives back what the
/// engine says.
struct Call<'a> {
    conn: &'a Conn,
    call: ReadCall,
}

impl Call<'_> {
    fn poll(&mut self, cx: &mut Context<'_>) -> Poll<Result<Bytes, Error>> {
        self.conn.poll_call(&mut self.call, cx)
    }
}

impl Conn {
    /// Drives `call` one step further: the engine's steps, receiving from
    /// the source when it asks. A call left pending must be given to
    /// [`Conn::abandon`].
    pub(crate) fn poll_call(
        &self,
        call: &mut ReadCall,
        cx: &mut Context<'_>,
    ) -> Poll<Result<Bytes, Error>> {
        loop {
            let mut guard = self.lock();
            let st = &mut *guard;
            let max = match st.engine.poll_read(call) {
                ReadStep::Done(result) => return Poll::Ready(result),
                ReadStep::Receive { max } => max,
                ReadStep::WaitForClose => {
                    st.wait_to_read(cx.waker());
                    return Poll::Pending;
                }
            };
            let Some(source) = st.source.as_mut() else {
                st.wait_to_read(cx.waker());
                return Poll::Pending;
            };
            // Straight into the engine's buffer: no scratch memory, no copy.
            match st
                .engine
                .receive_with(max, |room| poll_read_buf(source.as_mut(), cx, room))
            {
                Poll::Ready(Ok(0)) => st.engine.received_eof(),
                Poll::Ready(Ok(_)) => {}
                Poll::Ready(Err(e)) => {
                    drop(guard);
                    self.lost(Some(Error::from(e)));
                }
                Poll::Pending => {
                    st.wait_to_read(cx.waker());
                    return Poll::Pending;
                }
            }
        }
    }

    /// Ends `call` unfinished: nothing it received is lost.
    pub(crate) fn abandon(&self, call: &mut ReadCall) {
        if call.is_pending() {
            self.lock().engine.abandon_read(call);
        }
    }

    /// `into-stream`: the engine's hand-over rule.
    pub(crate) fn hand_over(&self) -> Result<(), Error> {
        self.lock().engine.hand_over()
    }
}

impl Drop for Call<'_> {
    fn drop(&mut self) {
        self.conn.abandon(&mut self.call);
    }
}

#[cfg(test)]
#[path = "conn_tests.rs"]
mod tests;
