//! A server's engine: serving and closed states, pending `accept` calls,
//! the connections taken off the listeners but not handed out yet, the
//! accepted clients, and which listening addresses are bound (asyncio's
//! `Server` and `create_server`), with no I/O.
//!
//! A backend keeps a [`ServerState`] in a [`ServerShell`] (`shell.rs`:
//! the state and the backend's listening sockets behind one lock, the
//! signal its waiting calls wait on, `accept`'s count, `close`,
//! `wait_closed`, `start_serving` and the clients' `close`/`abort`) and
//! asks it what an `accept` call does next; it carries out the decisions
//! on its listening sockets.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::time::Duration;

use crate::caps::Permit;
pub use crate::connect::bind_context;
use crate::connect::py_addr;
use crate::{Error, ReadBuffer};

mod shell;

pub use shell::{Accepting, Locked, ServerShell};

/// asyncio's default `backlog`.
pub const DEFAULT_BACKLOG: u32 = 100;

/// The backlog to listen with for `backlog=`: asyncio's default of 100
/// when none is given; 0 is taken as 1 (`wasi:sockets` refuses 0, and
/// Linux queues one connection for either), and no more than `listen(2)`
/// takes.
pub fn listen_backlog(requested: Option<u32>) -> u32 {
    const MOST: u32 = i32::MAX as u32;
    requested.unwrap_or(DEFAULT_BACKLOG).clamp(1, MOST)
}

/// asyncio's `start_serving=` (default true).
pub fn starts_serving(requested: Option<bool>) -> bool {
    requested.unwrap_or(true)
}

/// How long a listener rests after it ran out of file descriptors or
/// memory (asyncio's `ACCEPT_RETRY_DELAY`).
pub const ACCEPT_RETRY_DELAY: Duration = Duration::from_secs(1);

/// What a server does when taking a connection off a listener failed, as
/// asyncio's `_accept_connection`: `accept` never fails for it, so a
/// serving loop goes on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AcceptFailure {
    /// The client gave up before it was accepted: take the next one.
    Gone,
    /// Out of file descriptors or memory (`EMFILE`, `ENFILE`, `ENOBUFS`,
    /// `ENOMEM`): log it and rest the listener for [`ACCEPT_RETRY_DELAY`],
    /// as the kernel keeps reporting it ready meanwhile.
    OutOfResources,
    /// Any other failure: log it and try again once the task was woken.
    Other,
}

/// The error of `accept` once every listening socket ended (the host
/// closed them): no client can come any more.
pub fn no_listener_left() -> Error {
    Error::Other("no listening socket is left".into())
}

/// A client connection as the server sees it: a backend implements it on
/// its connection, and the server keeps each client as a `Weak` (an
/// `rc::Weak` or a `sync::Weak`), which is itself a [`Client`].
pub trait Client {
    /// Whether the connection is fully closed (or gone).
    fn is_closed(&self) -> bool;
    /// `close()` on the client's writer (for `close_clients()`).
    fn close(&self);
    /// `abort()` on the client's transport (for `abort_clients()`).
    fn abort(&self);
}

/// A server's handle on a client it does not keep alive: a client that is
/// gone counts as closed.
macro_rules! weak_client {
    ($weak:ty) => {
        impl<T: Client> Client for $weak {
            fn is_closed(&self) -> bool {
                self.upgrade().is_none_or(|c| c.is_closed())
            }

            fn close(&self) {
                if let Some(client) = self.upgrade() {
                    client.close();
                }
            }

            fn abort(&self) {
                if let Some(client) = self.upgrade() {
                    client.abort();
                }
            }
        }
    };
}

weak_client!(std::rc::Weak<T>);
weak_client!(std::sync::Weak<T>);

/// What an `accept` call does next.
#[derive(Debug, PartialEq, Eq)]
pub enum AcceptStep {
    /// The server is closed: fail with this error.
    Closed(Error),
    /// Not serving yet: wait for `start_serving` or `close`.
    Wait,
    /// Take a connection from a listening socket (if one is ready; else
    /// wait for one, or for `close`).
    Take,
}

/// The error of `accept` and `start_serving` once the server is closed.
pub fn server_closed() -> Error {
    Error::Closed("the server is closed".into())
}

/// asyncio's `Server` state. `C` is an accepted client; `A` an arrival: a
/// connection taken off a listener that no `accept` call has had yet (a
/// backend that hands each connection out as it takes it queues none).
#[derive(Debug)]
pub struct ServerState<C, A = ()> {
    serving: bool,
    closed: bool,
    /// `accept` calls in progress.
    accepting: usize,
    clients: Vec<C>,
    /// Arrivals ready for the next `accept` calls, oldest first.
    arrivals: VecDeque<A>,
    /// Arrivals whose TLS handshake is still running.
    handshaking: usize,
    /// Listening sockets still listening.
    listening: usize,
}

impl<C: Client + Clone, A> ServerState<C, A> {
    /// A server over `listening` sockets that serves at once unless
    /// `start_serving=False` (see [`starts_serving`]).
    pub fn new(start_serving: Option<bool>, listening: usize) -> Self {
        Self {
            serving: starts_serving(start_serving),
            closed: false,
            accepting: 0,
            clients: Vec::new(),
            arrivals: VecDeque::new(),
            handshaking: 0,
            listening,
        }
    }

    /// One listening socket ended (its host closed it); once none is
    /// left, `accept` calls with nothing queued fail with
    /// [`no_listener_left`].
    pub fn listener_ended(&mut self) {
        self.listening = self.listening.saturating_sub(1);
    }

    /// `sockets`: the bound addresses, none once the server is closed.
    pub fn sockets<T: Clone>(&self, addresses: &[T]) -> Vec<T> {
        if self.closed {
            Vec::new()
        } else {
            addresses.to_vec()
        }
    }

    /// `is_serving()`.
    pub fn is_serving(&self) -> bool {
        self.serving && !self.closed
    }

    /// Whether `close` was called.
    pub fn is_closed(&self) -> bool {
        self.closed
    }

    /// An `accept` call starts; pair with [`end_accept`](Self::end_accept)
    /// when it ends, also when it is cancelled.
    pub fn begin_accept(&mut self) {
        self.accepting += 1;
    }

    /// An `accept` call ended. Returns whether `wait_closed` may now
    /// finish (its waiters should be woken).
    pub fn end_accept(&mut self) -> bool {
        self.accepting = self.accepting.saturating_sub(1);
        self.closed && self.accepting == 0
    }

    /// How many connections `accept` calls want now: none unless serving.
    /// A backend that takes connections off its listeners ahead of time
    /// takes no more than this (the kernel's backlog holds the rest).
    pub fn wanted(&self) -> usize {
        if self.is_serving() { self.accepting } else { 0 }
    }

    /// Whether to take another connection off the listeners: only while
    /// the `accept` calls want more than is already coming (ready, or in
    /// its TLS handshake), so the kernel's backlog holds the rest and a
    /// server nobody accepts on takes no client.
    pub fn wants_more(&self) -> bool {
        self.wanted() > self.arrivals.len() + self.handshaking
    }

    /// Queues a connection for the next `accept` call; one that arrives
    /// after `close` is dropped.
    pub fn arrived(&mut self, arrival: A) {
        if !self.closed {
            self.arrivals.push_back(arrival);
        }
    }

    /// The oldest queued arrival, for an `accept` call.
    pub fn next_arrival(&mut self) -> Option<A> {
        self.arrivals.pop_front()
    }

    /// A taken connection starts its TLS handshake; pair with
    /// [`handshake_ended`](Self::handshake_ended).
    pub fn handshake_started(&mut self) {
        self.handshaking += 1;
    }

    /// A handshake ended: a client that completed it (`Some`) is queued
    /// for `accept` unless the server closed meanwhile; one that failed it
    /// is dropped, and the server and other clients go on (as asyncio's).
    pub fn handshake_ended(&mut self, secured: Option<A>) {
        self.handshaking = self.handshaking.saturating_sub(1);
        if let Some(arrival) = secured {
            self.arrived(arrival);
        }
    }

    /// What an `accept` call does next.
    pub fn accept_step(&self) -> AcceptStep {
        if self.closed {
            AcceptStep::Closed(server_closed())
        } else if !self.serving {
            AcceptStep::Wait
        } else if self.listening == 0 && self.arrivals.is_empty() && self.handshaking == 0 {
            AcceptStep::Closed(no_listener_left())
        } else {
            AcceptStep::Take
        }
    }

    /// Records an accepted client (and forgets the closed ones).
    pub fn add_client(&mut self, client: C) {
        self.clients.retain(|c| !c.is_closed());
        self.clients.push(client);
    }

    /// Admits a connection taken off a listener as a client, within the
    /// connection cap: `permit` is its place under the cap, and `start`
    /// starts the connection over a reader with the server's `limit`.
    /// A connection the cap refuses is not started; the backend drops
    /// it, which closes it at once, and goes on to the next.
    pub fn admit<T>(
        &mut self,
        permit: Result<Permit, Error>,
        limit: usize,
        start: impl FnOnce(ReadBuffer, Permit) -> (T, C),
    ) -> Result<T, Error> {
        let permit = permit?;
        let (conn, client) = start(ReadBuffer::new(limit)?, permit);
        self.add_client(client);
        Ok(conn)
    }

    /// `start_serving()`; `closed` once the server is closed. Returns
    /// whether serving started now (waiting `accept` calls should wake).
    pub fn start_serving(&mut self) -> Result<bool, Error> {
        if self.closed {
            return Err(server_closed());
        }
        Ok(!std::mem::replace(&mut self.serving, true))
    }

    /// `close()`: stop serving and drop the queued arrivals (no `accept`
    /// will have them). Returns whether this closed it (listening sockets
    /// should be dropped and every waiter woken).
    pub fn close(&mut self) -> bool {
        if self.closed {
            return false;
        }
        self.closed = true;
        self.serving = false;
        self.arrivals.clear();
        true
    }

    /// Whether `wait_closed()` returns now: the server is closed, every
    /// `accept` call has had its `closed` result, and every accepted
    /// connection is closed (as Python 3.12+).
    pub fn wait_closed_done(&mut self) -> bool {
        self.clients.retain(|c| !c.is_closed());
        self.closed && self.accepting == 0 && self.clients.is_empty()
    }

    /// The open clients, for `close_clients()` / `abort_clients()`; call
    /// their `close`/`abort` after releasing the lock that guards this
    /// state (a closing client reports back to the server).
    pub fn open_clients(&mut self) -> Vec<C> {
        self.clients.retain(|c| !c.is_closed());
        self.clients.clone()
    }
}

/// Why one address could not be bound.
#[derive(Debug)]
pub enum BindFailure {
    /// The address family or address is not available here (asyncio skips
    /// the address: socket creation failed, or `EADDRNOTAVAIL`, bpo-30945).
    Unavailable(Error),
    /// Any other failure: `start_server` fails with it.
    Failed(Error),
}

impl BindFailure {
    /// Creating the socket failed: the address is skipped (asyncio
    /// assumes a bad family, type and protocol combination).
    pub fn creating(error: Error) -> Self {
        BindFailure::Unavailable(error)
    }

    /// Binding or listening failed: the address is skipped when it, or its
    /// family, is not available here (`EADDRNOTAVAIL`, bpo-30945; or not
    /// supported); any other failure fails `start_server`.
    pub fn binding(error: Error) -> Self {
        match error {
            Error::AddressNotAvailable(_) | Error::Unsupported(_) => {
                BindFailure::Unavailable(error)
            }
            error => BindFailure::Failed(error),
        }
    }
}

/// asyncio's `create_server` loop: binds every address with `bind`, each on
/// its own (so port 0 gives each socket its own free port, as asyncio
/// does), skipping unavailable ones; fails on the first other error, or if
/// nothing could be bound.
pub fn bind_all<L>(
    addrs: &[SocketAddr],
    mut bind: impl FnMut(SocketAddr) -> Result<L, BindFailure>,
) -> Result<Vec<L>, Error> {
    let mut bound = Vec::new();
    for addr in addrs {
        match bind(*addr) {
            Ok(listener) => bound.push(listener),
            // The family is not enabled here; `sockets()` shows what was bound.
            Err(BindFailure::Unavailable(_)) => {}
            Err(BindFailure::Failed(error)) => return Err(error),
        }
    }
    if bound.is_empty() {
        let tried: Vec<String> = addrs.iter().map(py_addr).collect();
        return Err(Error::AddressNotAvailable(format!(
            "could not bind on any address out of [{}]",
            tried.join(", ")
        )));
    }
    Ok(bound)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::Cell;
    use std::rc::Rc;

    #[derive(Clone)]
    struct Fake(Rc<Cell<bool>>);
    impl Client for Fake {
        fn is_closed(&self) -> bool {
            self.0.get()
        }
        fn close(&self) {
            self.0.set(true);
        }
        fn abort(&self) {
            self.0.set(true);
        }
    }

    #[test]
    fn wait_closed_waits_for_clients_and_pending_accepts() {
        let mut server: ServerState<Fake> = ServerState::new(None, 1);
        let client = Fake(Rc::default());
        server.add_client(client.clone());
        server.begin_accept();
        assert!(server.close());
        assert!(!server.close(), "closing twice changes nothing");
        assert!(!server.wait_closed_done(), "an accept is still pending");
        assert_eq!(server.accept_step(), AcceptStep::Closed(server_closed()));
        server.end_accept();
        assert!(!server.wait_closed_done(), "a client is still open");
        client.0.set(true);
        assert!(server.wait_closed_done());
    }

    #[test]
    fn arrivals_follow_demand_and_end_with_close() {
        let mut server: ServerState<Fake, u32> = ServerState::new(None, 1);
        assert!(!server.wants_more(), "no accept call: take nothing");
        server.begin_accept();
        server.begin_accept();
        assert!(server.wants_more());
        server.handshake_started();
        server.arrived(1);
        assert!(!server.wants_more(), "two wanted, two coming");
        server.handshake_ended(None);
        assert!(server.wants_more(), "a failed handshake frees its place");
        server.handshake_started();
        server.handshake_ended(Some(2));
        assert_eq!(server.next_arrival(), Some(1), "oldest first");
        assert_eq!(server.next_arrival(), Some(2));
        assert_eq!(server.next_arrival(), None);
        server.arrived(3);
        server.handshake_started();
        server.close();
        assert_eq!(server.next_arrival(), None, "close drops the queue");
        server.handshake_ended(Some(4));
        assert_eq!(server.next_arrival(), None, "nothing queues after close");
        assert!(!server.wants_more());
    }

    #[test]
    fn a_weak_client_is_closed_once_gone_and_reaches_its_connection() {
        let conn = Rc::new(Fake(Rc::default()));
        let mut server: ServerState<std::rc::Weak<Fake>> = ServerState::new(None, 1);
        server.add_client(Rc::downgrade(&conn));
        let gone = Rc::new(Fake(Rc::default()));
        server.add_client(Rc::downgrade(&gone));
        drop(gone);
        let open = server.open_clients();
        assert_eq!(open.len(), 1, "a client that is gone counts as closed");
        open[0].close();
        assert!(conn.is_closed(), "close reaches the connection");
        struct Flag(std::sync::atomic::AtomicBool);
        impl Client for Flag {
            fn is_closed(&self) -> bool {
                self.0.load(std::sync::atomic::Ordering::Relaxed)
            }
            fn close(&self) {}
            fn abort(&self) {
                self.0.store(true, std::sync::atomic::Ordering::Relaxed);
            }
        }
        let shared = std::sync::Arc::new(Flag(Default::default()));
        let weak = std::sync::Arc::downgrade(&shared);
        assert!(!weak.is_closed());
        weak.abort();
        assert!(weak.is_closed());
    }

    #[test]
    fn admission_is_within_the_cap() {
        let count = crate::caps::ConnectionCount::default();
        let mut server: ServerState<Fake, u32> = ServerState::new(None, 1);
        let client = Fake(Rc::default());
        let admitted = server.admit(count.try_permit(Some(1)), 16, |read, permit| {
            assert_eq!(read.limit(), 16);
            ((read, permit), client.clone())
        });
        let (_read, _permit) = admitted.expect("within the cap");
        assert_eq!(server.open_clients().len(), 1);
        let refused = server.admit(count.try_permit(Some(1)), 16, |_, _| {
            unreachable!("a refused connection is not started")
        });
        assert!(matches!(refused, Err::<(), _>(Error::AccessDenied(_))));
        assert_eq!(server.open_clients().len(), 1, "no client recorded");
    }

    #[test]
    fn not_serving_wants_nothing() {
        let mut server: ServerState<Fake, u32> = ServerState::new(Some(false), 1);
        server.begin_accept();
        assert!(!server.wants_more());
        server.start_serving().unwrap();
        assert!(server.wants_more());
    }

    #[test]
    fn start_serving_after_close_is_closed() {
        let mut server: ServerState<Fake> = ServerState::new(Some(false), 1);
        assert_eq!(server.accept_step(), AcceptStep::Wait);
        assert!(!server.is_serving());
        assert_eq!(server.start_serving(), Ok(true));
        assert_eq!(server.start_serving(), Ok(false));
        server.close();
        assert_eq!(server.start_serving(), Err(server_closed()));
        assert!(!server.is_serving());
    }

    #[test]
    fn once_every_listener_ended_accept_fails_after_what_is_queued() {
        let mut server: ServerState<Fake, u32> = ServerState::new(None, 2);
        server.listener_ended();
        assert_eq!(server.accept_step(), AcceptStep::Take, "one still listens");
        server.arrived(1);
        server.handshake_started();
        server.listener_ended();
        assert_eq!(server.accept_step(), AcceptStep::Take, "one is queued");
        assert_eq!(server.next_arrival(), Some(1));
        assert_eq!(
            server.accept_step(),
            AcceptStep::Take,
            "one is shaking hands"
        );
        server.handshake_ended(None);
        assert_eq!(server.accept_step(), AcceptStep::Closed(no_listener_left()));
        server.close();
        assert_eq!(server.accept_step(), AcceptStep::Closed(server_closed()));
    }

    #[test]
    fn options_defaults_and_sockets_once_closed() {
        assert_eq!(listen_backlog(None), DEFAULT_BACKLOG);
        assert_eq!(listen_backlog(Some(0)), 1);
        assert_eq!(listen_backlog(Some(5)), 5);
        assert_eq!(listen_backlog(Some(u32::MAX)), i32::MAX as u32);
        assert!(starts_serving(None));
        assert!(!starts_serving(Some(false)));
        let mut server: ServerState<Fake> = ServerState::new(None, 1);
        assert_eq!(server.sockets(&[1, 2]), vec![1, 2]);
        server.close();
        assert!(server.sockets(&[1, 2]).is_empty());
    }

    #[test]
    fn bind_failures_as_asyncio_classifies_them() {
        let skipped = |f: BindFailure| matches!(f, BindFailure::Unavailable(_));
        assert!(skipped(BindFailure::creating(Error::AccessDenied(
            "x".into()
        ))));
        assert!(skipped(BindFailure::binding(Error::AddressNotAvailable(
            "x".into()
        ))));
        assert!(skipped(BindFailure::binding(Error::Unsupported(
            "x".into()
        ))));
        assert!(!skipped(BindFailure::binding(Error::AddressInUse(
            "x".into()
        ))));
        assert!(!skipped(BindFailure::binding(Error::AccessDenied(
            "x".into()
        ))));
    }

    #[test]
    fn bind_all_skips_unavailable_and_fails_on_others() {
        let addrs: Vec<SocketAddr> = vec!["0.0.0.0:0".parse().unwrap(), "[::]:0".parse().unwrap()];
        let bound = bind_all(&addrs, |a| {
            if a.is_ipv6() {
                Err(BindFailure::Unavailable(Error::AddressNotAvailable(
                    "no v6".into(),
                )))
            } else {
                Ok(a)
            }
        })
        .unwrap();
        assert_eq!(bound, vec![addrs[0]]);
        let none = bind_all(&addrs, |_| {
            Err::<(), _>(BindFailure::Unavailable(Error::Other("x".into())))
        });
        assert!(
            matches!(none, Err(Error::AddressNotAvailable(m)) if m == "could not bind on any address out of [('0.0.0.0', 0), ('::', 0, 0, 0)]")
        );
        let used = bind_all(&addrs, |_| {
            Err::<(), _>(BindFailure::Failed(Error::AddressInUse("used".into())))
        });
        assert!(matches!(used, Err(Error::AddressInUse(_))));
    }
}
