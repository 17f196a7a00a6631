//! The writer's pump: core's pump loop (`portable_streams_core::pump`)
//! over the sink (a socket's single send stream, or `wrap`'s output), one
//! future per connection that also runs a closing TLS connection's
//! shutdown timer; every connection's pump runs in one task (see
//! `pump_host.rs`).
//!
//! The pump sleeps on the connection's `pump` signal while there is nothing
//! to do; it never spins. A send in progress is only abandoned when the
//! connection is aborted or lost. If a pump is dropped unfinished, it
//! restarts itself: the sink and any bytes the sink has not accepted yet
//! live in the connection, not in the pump.

use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use portable_streams_core::caps::Permit;
use portable_streams_core::pump::{self, PumpIo};
use portable_streams_core::server::Client;
use portable_streams_core::{Connection, Either, Error, Signal, Wake, race};
use portable_streams_wit_io::Guarded;
use wit_bindgen::StreamResult;

use crate::conn::{Conn, LazyPump};
use crate::conv::socket_error;
use crate::pump_host::Pump;
use crate::sink::Unsent;
use crate::transport::{Sink, Transport};
use wasip3::clocks::monotonic_clock::wait_for;

/// Where a connection's pump runs once it starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Home {
    /// In the task that runs every pump (see `pump_host.rs`): for the
    /// connections `open-connection` and `accept` make, so a thousand
    /// open connections whose pumps run hold one task.
    Shared,
    /// In a task of its own (wit-bindgen's `spawn_local`): for a
    /// synchronous call (`wrap`), whose spawned task the next call into
    /// this component adopts, and that call may be cancelled.
    Alone,
}

/// `engine` running over `transport`, its pump started at `home`. A
/// connection in the shared task starts its pump when first needed (see
/// [`Conn::start_pump`]), or at once over TLS (the handshake may have
/// left records to send); one alone starts it now. `permit` counts it
/// against the connection cap; `on_closed` is notified when the
/// connection closes.
pub(crate) fn start(
    transport: Transport,
    engine: Connection,
    permit: Option<Permit>,
    on_closed: Option<Arc<Signal>>,
    home: Home,
) -> Rc<Conn> {
    match home {
        Home::Shared => {
            let lazy = LazyPump {
                host: crate::pump_host::join(),
                make: pump,
            };
            let conn = Conn::new(transport, engine, permit, on_closed, Some(lazy));
            let sealed = conn.state().engine.is_sealed();
            if sealed {
                conn.start_pump();
            }
            conn
        }
        Home::Alone => {
            let conn = Conn::new(transport, engine, permit, on_closed, None);
            wit_bindgen::spawn_local(pump(conn.clone()));
            conn
        }
    }
}

/// `conn`'s pump, boxed for a task.
fn pump(conn: Rc<Conn>) -> Pump {
    Box::pin(run(conn))
}

/// Bytes to send: a fresh chunk, or the rest of one the sink took in part.
enum Data {
    Fresh(Vec<u8>),
    Unsent(Unsent),
}

/// Restarts the pump if its task drops it before it finished.
struct Respawn {
    conn: Rc<Conn>,
    finished: bool,
}

impl Drop for Respawn {
    fn drop(&mut self) {
        if !self.finished && !self.conn.is_closed() {
            // In whichever task runs next: this one is being torn down.
            wit_bindgen::spawn_local(run(self.conn.clone()));
        }
    }
}

async fn run(conn: Rc<Conn>) {
    let mut respawn = Respawn {
        conn: conn.clone(),
        finished: false,
    };
    // Within a closing TLS connection's shutdown timer (a send it abandons
    // keeps its bytes' accounting: see `settle`); after the timer the
    // pump runs once more on the lost connection, as a write left in
    // flight is cancelled only by a task (see `sink.rs`).
    pump::drive(&*conn).await;
    respawn.finished = true;
}

/// This connection's byte moves, for core's pump loop.
impl PumpIo for Conn {
    fn woken(&self) -> impl Future<Output = ()> {
        self.pump.wait()
    }

    /// The rest of a partly accepted write goes first.
    async fn finish_sending(&self) -> Result<(), Error> {
        loop {
            let unsent = self.state().unsent.take();
            let Some(rest) = unsent else {
                return Ok(());
            };
            send(self, Data::Unsent(rest)).await?;
        }
    }

    fn with_engine<R>(&self, f: impl FnOnce(&mut Connection) -> R) -> R {
        f(&mut self.state().engine)
    }

    async fn send(&self, bytes: Bytes) -> Result<(), Error> {
        send(self, Data::Fresh(Vec::from(bytes))).await
    }

    async fn shutdown_write(&self) -> Result<(), Error> {
        end_sink(self).await?;
        self.state().engine.eof_sent();
        Ok(())
    }

    /// Ends the sink (the peer sees EOF once the host has sent what it
    /// took) without waiting to hear how sending ended: that is not the
    /// connection's concern any more, and waiting for it cost an accepted
    /// or opened connection one more round through the host.
    async fn close(&self) {
        let sink = self.state().sink.take();
        // Dropped outside the borrow: a drop calls into the host.
        drop(sink);
    }

    fn lost(&self, error: Option<Error>) {
        Conn::lost(self, error);
    }

    fn closing(&self) -> &Signal {
        &self.closing
    }

    async fn sleep(&self, timeout: Duration) {
        wait_for(u64::try_from(timeout.as_nanos()).unwrap_or(u64::MAX)).await;
    }
}

/// A sink taken out of its connection; returned when dropped, unless the
/// connection was closed meanwhile.
struct Checkout<'a> {
    conn: &'a Conn,
    sink: Option<Sink>,
}

impl Drop for Checkout<'_> {
    fn drop(&mut self) {
        if let Some(sink) = self.sink.take() {
            let mut st = self.conn.state();
            if !st.engine.is_closed() {
                st.sink = Some(sink);
            }
        }
    }
}

/// One write to the sink; abandoned only if the connection is closed. An
/// error is the one to lose the connection with.
async fn send(conn: &Conn, data: Data) -> Result<(), Error> {
    let sink = conn.state().sink.take();
    let mut checkout = Checkout { conn, sink };
    let dropped = match checkout.sink.as_mut() {
        None => {
            // Bytes to send with the write half gone: the engine refuses
            // writes after write_eof, so this is a lost connection.
            return Err(Error::connection_lost());
        }
        Some(sink) => {
            let op = match data {
                Data::Fresh(bytes) => sink.stream.write(bytes),
                Data::Unsent(rest) => sink.stream.write_buf(rest),
            };
            // Every byte the sink accepted is accounted for, also when the
            // write is cancelled.
            let mut write = Guarded::new(op, |done| settle(conn, done));
            loop {
                // Also when the connection closed before the write began: a
                // write adopted from `write` (see `sink.rs`) is then
                // cancelled once started.
                let closing = conn.closing.wait();
                let closing = async {
                    if !conn.is_closed() {
                        closing.await;
                    }
                };
                match race(Pin::new(&mut write), closing).await {
                    Either::Left(result) => break result == StreamResult::Dropped,
                    Either::Right(()) if conn.is_closed() => break false,
                    Either::Right(()) => {}
                }
            }
        }
    };
    if dropped && let Some(sink) = checkout.sink.take() {
        // The reading side is gone: the end future tells why.
        return Err(match end_of(sink).await {
            Err(error) => error,
            Ok(()) => Error::connection_lost(),
        });
    }
    Ok(())
}

/// Ends the sink (the peer sees EOF) and reports how sending ended.
async fn end_sink(conn: &Conn) -> Result<(), Error> {
    let sink = conn.state().sink.take();
    match sink {
        Some(sink) => end_of(sink).await,
        None => Ok(()),
    }
}

async fn end_of(sink: Sink) -> Result<(), Error> {
    let Sink { stream, end } = sink;
    drop(stream);
    match end {
        Some(end) => end.await.map_err(socket_error),
        None => Ok(()),
    }
}

/// Accounts for a write to the sink: the bytes the sink accepted are
/// sent, and what it did not take is kept for the next write.
fn settle(conn: &Conn, (result, rest): (StreamResult, Unsent)) -> StreamResult {
    let mut wake = Wake::default();
    {
        let mut st = conn.state();
        let taken = match result {
            StreamResult::Complete(n) => n,
            StreamResult::Dropped | StreamResult::Cancelled => 0,
        };
        // Over TLS the engine counts the writer's bytes once all
        // their records were taken.
        if taken > 0 {
            wake = st.engine.sent(taken);
        }
        if rest.remaining() > 0 && !st.engine.is_closed() {
            st.unsent = Some(rest);
        }
    }
    conn.wake(wake);
    result
}
