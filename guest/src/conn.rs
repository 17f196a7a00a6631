//! One connection: core's [`Connection`] engine, the byte streams its bytes
//! move through, and the signals that wake its reader, writers and pump.
//! Every rule is the engine's; this file only applies its [`Wake`]s and
//! releases the streams when the connection is lost.

use std::cell::{Cell, RefCell, RefMut};
use std::rc::{Rc, Weak};
use std::sync::Arc;

use portable_streams_core::caps::Permit;
use portable_streams_core::server::Client;
use portable_streams_core::{Connection, Error, SentNow, Signal, Wake};
use wasip3::sockets::types::TcpSocket;

use crate::bindings::exports::portable::streams::streams as wit;
use crate::pump_host::{Membership, Pump};
use crate::sink::Unsent;
use crate::transport::{Sink, Source, Transport};

/// What the engine's state is kept with.
pub(crate) struct State {
    /// The engine: every rule.
    pub(crate) engine: Connection,
    /// The source, while reading may continue (a reading call checks it
    /// out while it reads).
    pub(crate) source: Option<Source>,
    /// The sink, while the write half is open (the pump checks it out).
    pub(crate) sink: Option<Sink>,
    /// The rest of the wire bytes that the sink accepted only in part.
    pub(crate) unsent: Option<Unsent>,
    /// A read call has the source checked out (see `receive.rs`).
    pub(crate) reading: bool,
    /// `start_tls` waits for the source: a read gives it back and takes
    /// it no more until the upgrade took it (see `start_tls.rs`).
    pub(crate) upgrading: bool,
    socket: Option<TcpSocket>,
}

/// A connection's pump, to start when first needed: the pumps' task it
/// joined, and how the pump is made (`pump.rs`'s loop over this
/// connection).
pub(crate) struct LazyPump {
    /// Its place in the pumps' task.
    pub(crate) host: Membership,
    /// Makes the pump.
    pub(crate) make: fn(Rc<Conn>) -> Pump,
}

/// One connection: shared by its reader and writer resources, the pump
/// task and (for accepted connections) the server.
pub(crate) struct Conn {
    state: RefCell<State>,
    /// Wakes a waiting read and a send in flight: `close`, loss.
    pub(crate) closing: Signal,
    /// Wakes `drain` and `wait-closed`.
    pub(crate) writers: Signal,
    /// Wakes the pump.
    pub(crate) pump: Signal,
    peer: Option<wit::SocketAddress>,
    local: Option<wit::SocketAddress>,
    /// The server's signal to notify once this connection is closed.
    on_closed: Option<Arc<Signal>>,
    /// The pump to start when first needed, until it has started (see
    /// [`Conn::start_pump`]); none for a pump started with the connection.
    lazy_pump: Cell<Option<LazyPump>>,
    /// This connection, for starting its pump from `&self`.
    me: Weak<Conn>,
}

impl Conn {
    /// `engine` running over `transport`; with `lazy_pump`, its pump
    /// starts when first needed (see [`Conn::start_pump`]).
    pub(crate) fn new(
        transport: Transport,
        engine: Connection,
        permit: Option<Permit>,
        on_closed: Option<Arc<Signal>>,
        lazy_pump: Option<LazyPump>,
    ) -> Rc<Self> {
        let mut engine = engine.holding(permit);
        let mut transport = transport;
        take_in_tls(&mut engine, &mut transport);
        Rc::new_cyclic(|me| Self {
            state: RefCell::new(State {
                engine,
                source: Some(transport.source),
                sink: Some(transport.sink),
                unsent: None,
                reading: false,
                upgrading: false,
                socket: transport.socket,
            }),
            closing: Signal::default(),
            writers: Signal::default(),
            pump: Signal::default(),
            peer: transport.peer,
            local: transport.local,
            on_closed,
            lazy_pump: Cell::new(lazy_pump),
            me: me.clone(),
        })
    }

    /// The state, borrowed for a moment (never across an await).
    pub(crate) fn state(&self) -> RefMut<'_, State> {
        self.state.borrow_mut()
    }

    /// Wakes the waiters `wake` names.
    pub(crate) fn wake(&self, wake: Wake) {
        if wake.reader {
            self.closing.notify();
        }
        if wake.writers {
            self.writers.notify();
        }
        if wake.pump {
            self.start_pump();
            self.pump.notify();
        }
    }

    /// Starts the pump if it never ran and the connection is open. Most
    /// plain connections that exchange short messages and close never need
    /// it: `write` sends at once what the socket takes (`send_now`), and a
    /// `close` with nothing left to send ends the sink itself. A pump that
    /// never started has nothing in flight, so a closed connection needs
    /// none.
    pub(crate) fn start_pump(&self) {
        let Some(LazyPump { host, make }) = self.lazy_pump.take() else {
            return;
        };
        if self.is_closed() {
            return;
        }
        if let Some(conn) = self.me.upgrade() {
            host.spawn(make(conn));
        }
    }

    /// `write`'s send: the engine's send at once while the pump is idle
    /// (see `sink.rs` for a write the sink leaves in flight: the pump
    /// adopts it). `wake` is what the engine's `write` asked for.
    pub(crate) fn send_now(&self, wake: Wake) {
        let sent = {
            let mut st = self.state();
            let State {
                engine,
                sink,
                unsent,
                ..
            } = &mut *st;
            let free = sink.as_mut().filter(|_| unsent.is_none());
            engine.send_now(free, |sink, bytes| {
                // Left in flight, refused, or met a dropped reading side:
                // the pump carries on from here.
                let sent = sink.stream.send_now(Vec::from(bytes));
                *unsent = sent.rest;
                Ok(SentNow {
                    taken: sent.taken,
                    refused: None,
                    kept: unsent.is_some(),
                })
            })
        };
        match sent {
            Ok(now) => self.wake(Wake {
                reader: wake.reader || now.reader,
                writers: wake.writers || now.writers,
                pump: now.pump,
            }),
            Err(error) => self.lost(Some(error)),
        }
    }

    /// `get_extra_info('peername')`.
    pub(crate) fn peer(&self) -> Option<wit::SocketAddress> {
        self.peer.clone()
    }

    /// `get_extra_info('sockname')`.
    pub(crate) fn local(&self) -> Option<wit::SocketAddress> {
        self.local.clone()
    }

    /// The engine's `lost`: on the first call the streams and the socket
    /// are released and everyone is woken.
    pub(crate) fn lost(&self, error: Option<Error>) {
        let released = {
            let mut st = self.state();
            let Some(wake) = st.engine.lost(error) else {
                return;
            };
            // A write `send_now` left in flight must be cancelled before its
            // stream is dropped, and only a task may: the pump adopts it
            // (it is woken below) and drops the stream after.
            let in_flight = st.sink.as_ref().is_some_and(|s| s.stream.in_flight());
            let (sink, unsent) = if in_flight {
                (None, None)
            } else {
                (st.sink.take(), st.unsent.take())
            };
            let released = (st.source.take(), sink, unsent, st.socket.take());
            (wake, released)
        };
        // Dropped outside the borrow: a drop may call into the host.
        let (wake, streams) = released;
        drop(streams);
        // A closed connection starts no pump: the pumps' task need not
        // wait for it.
        drop(self.lazy_pump.take());
        self.wake(wake);
        if let Some(server) = &self.on_closed {
            server.notify();
        }
    }

    /// Carries on over `secured`, the same streams after a `start_tls`
    /// handshake: the layer, its details, and anything that came with the
    /// handshake; a read or writes that waited meanwhile are woken.
    pub(crate) fn secure(&self, mut secured: Transport) {
        {
            let mut st = self.state();
            take_in_tls(&mut st.engine, &mut secured);
            st.source = Some(secured.source);
            st.sink = Some(secured.sink);
        }
        self.wake(Wake::ALL);
    }

    /// Waits, woken with the writers, until `answer` gives one (`drain`,
    /// and `start_tls`'s flush).
    pub(crate) async fn wait_for_writers(
        &self,
        mut answer: impl FnMut(&mut Connection) -> Option<Result<(), Error>>,
    ) -> Result<(), Error> {
        self.writers
            .until(|| answer(&mut self.state().engine))
            .await
    }

    /// Wire bytes the source received, to the engine (over TLS it
    /// decrypts them; a TLS failure loses the connection with it).
    pub(crate) fn deliver(&self, data: Vec<u8>) {
        let received = self.state().engine.receive_wire_vec(data);
        if let Err(error) = received {
            self.lost(Some(error));
        }
    }
}

/// A connection as its server sees it, and `close()`, `abort()` and
/// whether it is closed for its writer and pump.
impl Client for Conn {
    /// `close()`: the engine's (flush, then close); its waiters woken.
    /// With nothing left to send on a plain transport and no send in
    /// flight, the sink is ended right here (its end is not awaited, as
    /// the pump's close does not): `wait-closed` then has nothing to wait
    /// for, and no pump starts for it (a running one wakes to finish).
    fn close(&self) {
        let (wake, sink) = {
            let mut st = self.state();
            let wake = st.engine.close();
            let at_once = st.engine.closes_at_once()
                && st.unsent.is_none()
                && st
                    .sink
                    .as_ref()
                    .is_some_and(|sink| !sink.stream.in_flight());
            (wake, if at_once { st.sink.take() } else { None })
        };
        if let Some(sink) = sink {
            // Closed right here: the pump is not needed (nor started).
            self.wake(Wake {
                pump: false,
                ..wake
            });
            // Dropped outside the borrow: a drop calls into the host.
            drop(sink);
            self.lost(None);
        } else {
            self.wake(wake);
        }
    }

    /// `abort()`: the connection is lost at once, discarding what is
    /// buffered.
    fn abort(&self) {
        self.lost(None);
    }

    /// Whether the connection is closed (what `wait-closed` awaits).
    fn is_closed(&self) -> bool {
        self.state().engine.is_closed()
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
