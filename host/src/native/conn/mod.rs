//! One connection: core's [`Connection`] engine over a [`Transport`].
//! These files only move bytes and wake waiters; every rule (what a read
//! does next, drain, the pump's next step, closing, loss) is the engine's.
//!
//! * this file: the connection's state, waking, what it tells of itself,
//!   and its loss;
//! * `read.rs`: reads, inside the waiting call, straight into the
//!   engine's buffer;
//! * `write.rs`: `write` hands the engine's next wire bytes to the socket
//!   at once when no send is in flight (core's `send_now`), so `write`
//!   never waits; `drain`, `write_eof`, `close`;
//! * `pump.rs`: the task that runs core's pump loop (the rest of the
//!   writes, closing, a TLS connection's shutdown timer) over the sink;
//! * `start_tls.rs`: core's `start_tls` procedure over this transport.

use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::task::Waker;

use portable_streams_core::caps::Permit;
use portable_streams_core::{Connection, Error, Signal, Wake};
use tokio::sync::Notify;
use tokio::task::AbortHandle;

use super::transport::{Sink, Source, Transport};
use super::wit;

mod pump;
mod read;
pub(crate) use read::Chunk;
mod start_tls;
mod write;

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
    /// The server's signal to notify once this connection is closed.
    on_closed: Option<Arc<Signal>>,
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
    /// The pump task, once started: it starts with the first write the
    /// socket did not take at once, or with `write_eof`.
    pump: Option<AbortHandle>,
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
        on_closed: Option<Arc<Signal>>,
    ) -> Arc<Conn> {
        let mut engine = engine.holding(permit);
        let mut transport = transport;
        take_in_tls(&mut engine, &mut transport);
        Arc::new_cyclic(|me| Conn {
            state: Mutex::new(State {
                engine,
                source: Some(transport.source),
                sink: Some(transport.sink),
                reader: None,
                pump: None,
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
            st.pump = Some(tokio::spawn(pump::pump(conn)).abort_handle());
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

    /// Waits, woken with the writers, until `answer` gives one.
    async fn wait_for_writers(
        &self,
        mut answer: impl FnMut(&mut Connection) -> Option<Result<(), Error>>,
    ) -> Result<(), Error> {
        self.writers.until(|| answer(&mut self.lock().engine)).await
    }

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
            if let Some(pump) = st.pump.take() {
                pump.abort();
            }
            let _ = self.wake(&mut st, wake);
        }
        if let Some(server) = &self.on_closed {
            server.notify();
        }
    }
}

/// What a transport that went through a TLS handshake brings the engine:
/// its layer (the engine runs every byte through it from here on), and
/// anything that came with the last flight.
fn take_in_tls(engine: &mut Connection, transport: &mut Transport) {
    if let Some(layer) = transport.tls.take() {
        engine.secure(layer, std::mem::take(&mut transport.early));
    }
}

#[cfg(test)]
mod read_tests;
#[cfg(test)]
mod tests;
