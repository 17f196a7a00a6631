//! `start-server` and the `server` resource: one listening socket per
//! address, an acceptor task per socket that takes connections off its
//! listen stream only while an `accept` call waits for one (the kernel's
//! backlog holds the rest), and the bookkeeping of accepted connections
//! for `wait-closed`, `close-clients` and `abort-clients`.

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::future::Future;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::pin::{Pin, pin};
use std::rc::{Rc, Weak};
use std::task::{Context, Poll};

use portable_streams_core::{Error, ReadBuffer};
use wasip3::sockets::types::{ErrorCode, TcpSocket};
use wit_bindgen::{StreamRead, StreamReader, StreamResult};

use crate::bindings::exports::portable::streams::streams as wit;
use crate::conn::Conn;
use crate::conv::{
    addr_from_wasi, addr_to_wasi, addr_to_wit, family_allows, family_of, limit, py_addr,
    socket_error, to_wit,
};
use crate::resolve::resolve;
use crate::signal::{Either, Signal, race};
use crate::tcp;

/// asyncio's default `backlog`.
const DEFAULT_BACKLOG: u32 = 100;

/// The `server` resource.
pub struct Server {
    state: Rc<State>,
}

struct State {
    limit: usize,
    keep_alive: bool,
    addresses: Vec<wit::SocketAddress>,
    /// Accepted sockets not handed out yet.
    queue: RefCell<VecDeque<TcpSocket>>,
    serving: Cell<bool>,
    closed: Cell<bool>,
    /// `accept` calls waiting.
    demand: Cell<usize>,
    /// Acceptor tasks still listening.
    listening: Cell<usize>,
    clients: RefCell<Vec<Weak<Conn>>>,
    /// For `accept` calls: a socket was queued, serving started, closed.
    accepted: Signal,
    /// For acceptor tasks: demand, serving or closed changed.
    acceptors: Signal,
    /// For `wait-closed`: a client connection or the server closed.
    changed: Rc<Signal>,
}

/// One listening socket.
struct Listener {
    socket: TcpSocket,
    incoming: StreamReader<TcpSocket>,
    addr: SocketAddr,
}

/// `asyncio.start_server(cb, host, port, ...)`.
pub(crate) async fn start_server(
    hosts: Vec<String>,
    port: u16,
    options: wit::ServerOptions,
) -> Result<wit::Server, Error> {
    let limit = ReadBuffer::with_limit(limit(options.limit))?.limit();
    if options.tls.is_some() {
        return Err(Error::Unsupported(
            "TLS is not available on the wasi:sockets backend (wasi:sockets has no TLS); \
             use the host backend"
                .into(),
        ));
    }
    if options.reuse_port {
        return Err(Error::Unsupported(
            "reuse_port is not supported: wasi:sockets has no SO_REUSEPORT".into(),
        ));
    }
    // reuse_address: wasi:sockets hosts set SO_REUSEADDR themselves on
    // POSIX (WASI requires binds to ignore TIME_WAIT); `false` cannot be
    // honoured and is accepted as it is.
    let backlog = options.backlog.unwrap_or(DEFAULT_BACKLOG).max(1);
    let addrs = addresses(&hosts, port, options.family).await?;
    let listeners = listen_all(addrs, port, backlog)?;
    let state = Rc::new(State {
        limit,
        keep_alive: options.keep_alive,
        addresses: listeners.iter().map(|l| addr_to_wit(l.addr)).collect(),
        queue: RefCell::default(),
        serving: Cell::new(options.start_serving.unwrap_or(true)),
        closed: Cell::new(false),
        demand: Cell::new(0),
        listening: Cell::new(listeners.len()),
        clients: RefCell::default(),
        accepted: Signal::default(),
        acceptors: Signal::default(),
        changed: Rc::default(),
    });
    for listener in listeners {
        wit_bindgen::spawn_local(acceptor(state.clone(), listener));
    }
    Ok(wit::Server::new(Server { state }))
}

/// The addresses to listen on: every address of every host; no host (or
/// an empty one) is all interfaces, `0.0.0.0` and `::`.
async fn addresses(
    hosts: &[String],
    port: u16,
    family: wit::AddressFamily,
) -> Result<Vec<SocketAddr>, Error> {
    let everywhere = [String::new()];
    let hosts = if hosts.is_empty() {
        &everywhere[..]
    } else {
        hosts
    };
    let mut out: Vec<SocketAddr> = Vec::new();
    for host in hosts {
        let ips = if host.is_empty() {
            [
                IpAddr::V4(Ipv4Addr::UNSPECIFIED),
                IpAddr::V6(Ipv6Addr::UNSPECIFIED),
            ]
            .into_iter()
            .filter(|ip| family_allows(family, ip))
            .collect()
        } else {
            resolve(host, family).await?
        };
        for ip in ips {
            let addr = SocketAddr::new(ip, port);
            if !out.contains(&addr) {
                out.push(addr);
            }
        }
    }
    Ok(out)
}

/// Binds and listens on each address. With port 0 the port the first
/// socket got is reused for the others where it is free. An address that
/// is not available here (e.g. `::` without IPv6) is skipped, as asyncio
/// does (bpo-30945), unless nothing could be bound at all.
fn listen_all(addrs: Vec<SocketAddr>, port: u16, backlog: u32) -> Result<Vec<Listener>, Error> {
    let mut listeners: Vec<Listener> = Vec::new();
    let mut skipped = None;
    for mut addr in addrs {
        let shared_port = listeners
            .first()
            .map(|l| l.addr.port())
            .filter(|_| port == 0);
        if let Some(shared) = shared_port {
            addr.set_port(shared);
        }
        let result = match listen(addr, backlog) {
            Err((ErrorCode::AddressInUse, _)) if shared_port.is_some() => {
                addr.set_port(0);
                listen(addr, backlog)
            }
            other => other,
        };
        match result {
            Ok(listener) => listeners.push(listener),
            Err((ErrorCode::AddressNotBindable | ErrorCode::NotSupported, error)) => {
                skipped = Some(error);
            }
            Err((_, error)) => return Err(error),
        }
    }
    if listeners.is_empty() {
        return Err(skipped.unwrap_or_else(|| Error::Other("no address to listen on".into())));
    }
    Ok(listeners)
}

fn listen(addr: SocketAddr, backlog: u32) -> Result<Listener, (ErrorCode, Error)> {
    let fail = |code: ErrorCode| {
        let context = format!(
            "error while attempting to bind on address {}",
            py_addr(&addr)
        );
        let error = socket_error(&code, Some(&context));
        (code, error)
    };
    let socket = TcpSocket::create(family_of(&addr)).map_err(fail)?;
    socket.bind(addr_to_wasi(addr)).map_err(fail)?;
    // Hosts may clamp or refuse a backlog; the default then applies.
    let _ = socket.set_listen_backlog_size(u64::from(backlog));
    let incoming = socket.listen().map_err(fail)?;
    let addr = socket
        .get_local_address()
        .map(addr_from_wasi)
        .unwrap_or(addr);
    Ok(Listener {
        socket,
        incoming,
        addr,
    })
}

impl State {
    fn wants_socket(&self) -> bool {
        self.serving.get() && !self.closed.get() && self.demand.get() > self.queue.borrow().len()
    }

    fn queue(&self, sockets: Vec<TcpSocket>) {
        if sockets.is_empty() || self.closed.get() {
            return;
        }
        self.queue.borrow_mut().extend(sockets);
        self.accepted.notify();
    }

    fn close(&self) {
        if self.closed.replace(true) {
            return;
        }
        self.serving.set(false);
        let queued = std::mem::take(&mut *self.queue.borrow_mut());
        drop(queued);
        self.accepted.notify();
        self.acceptors.notify();
        self.changed.notify();
    }

    /// Live accepted connections that are not closed yet.
    fn open_clients(&self) -> Vec<Rc<Conn>> {
        let mut clients = self.clients.borrow_mut();
        clients.retain(|c| c.upgrade().is_some_and(|c| !c.is_closed()));
        clients.iter().filter_map(Weak::upgrade).collect()
    }

    /// A connection from a queued socket, or none if accepting it failed.
    fn connection(&self, socket: TcpSocket) -> Option<Rc<Conn>> {
        socket.get_remote_address().ok()?;
        if self.keep_alive {
            // Best effort, as asyncio's setsockopt on the listening socket.
            let _ = socket.set_keep_alive_enabled(true);
        }
        let read = ReadBuffer::new(self.limit).ok()?;
        let conn = tcp::connection(socket, read, Some(self.changed.clone()));
        self.open_clients();
        self.clients.borrow_mut().push(Rc::downgrade(&conn));
        Some(conn)
    }
}

/// Counts a waiting `accept` for as long as it waits.
struct Demand<'a>(&'a State);

impl<'a> Demand<'a> {
    fn new(state: &'a State) -> Self {
        state.demand.set(state.demand.get() + 1);
        state.acceptors.notify();
        Self(state)
    }
}

impl Drop for Demand<'_> {
    fn drop(&mut self) {
        self.0.demand.set(self.0.demand.get().saturating_sub(1));
    }
}

fn server_closed() -> Error {
    Error::Closed("Server is closed".into())
}

impl wit::GuestServer for Server {
    async fn accept(&self) -> Result<(wit::Reader, wit::Writer), wit::Error> {
        let state = &*self.state;
        let _demand = Demand::new(state);
        loop {
            let wake = state.accepted.wait();
            if state.closed.get() {
                return Err(to_wit(server_closed()));
            }
            if state.serving.get() {
                let next = state.queue.borrow_mut().pop_front();
                if let Some(socket) = next {
                    if let Some(conn) = state.connection(socket) {
                        return Ok(crate::resources(conn));
                    }
                    continue;
                }
                if state.listening.get() == 0 {
                    return Err(to_wit(Error::Other("no listening socket is left".into())));
                }
            }
            wake.await;
        }
    }

    fn sockets(&self) -> Vec<wit::SocketAddress> {
        if self.state.closed.get() {
            return Vec::new();
        }
        self.state.addresses.clone()
    }

    fn close(&self) {
        self.state.close();
    }

    async fn wait_closed(&self) {
        let state = &*self.state;
        loop {
            let changed = state.changed.wait();
            if state.closed.get() && state.open_clients().is_empty() {
                return;
            }
            changed.await;
        }
    }

    fn is_serving(&self) -> bool {
        self.state.serving.get() && !self.state.closed.get()
    }

    fn start_serving(&self) -> Result<(), wit::Error> {
        if self.state.closed.get() {
            return Err(to_wit(server_closed()));
        }
        self.state.serving.set(true);
        self.state.accepted.notify();
        self.state.acceptors.notify();
        Ok(())
    }

    fn close_clients(&self) {
        for conn in self.state.open_clients() {
            conn.close();
        }
    }

    fn abort_clients(&self) {
        for conn in self.state.open_clients() {
            conn.abort();
        }
    }
}

impl Drop for Server {
    /// A dropped server stops listening (its acceptor tasks end); accepted
    /// connections stay up.
    fn drop(&mut self) {
        self.state.close();
    }
}

/// Takes sockets off one listen stream while `accept` calls want them.
async fn acceptor(state: Rc<State>, listener: Listener) {
    let Listener {
        socket,
        mut incoming,
        ..
    } = listener;
    loop {
        let wake = state.acceptors.wait();
        if state.closed.get() {
            break;
        }
        if !state.wants_socket() {
            wake.await;
            continue;
        }
        let read = Guarded {
            op: Box::pin(incoming.read(Vec::with_capacity(1))),
            state: &state,
            done: false,
        };
        let mut read = pin!(read);
        let stop = loop {
            let changed = state.acceptors.wait();
            match race(read.as_mut(), changed).await {
                Either::Left(result) => break result == StreamResult::Dropped,
                Either::Right(()) if state.closed.get() => break true,
                Either::Right(()) => {}
            }
        };
        if stop {
            break;
        }
    }
    drop(incoming);
    drop(socket);
    state.listening.set(state.listening.get().saturating_sub(1));
    state.accepted.notify();
}

/// A read of the listen stream that queues every socket it received, also
/// when it is dropped (cancelled) before finishing.
struct Guarded<'a> {
    op: Pin<Box<StreamRead<'a, TcpSocket>>>,
    state: &'a State,
    done: bool,
}

impl Future for Guarded<'_> {
    type Output = StreamResult;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<StreamResult> {
        let (result, sockets) = std::task::ready!(self.op.as_mut().poll(cx));
        self.done = true;
        self.state.queue(sockets);
        Poll::Ready(result)
    }
}

impl Drop for Guarded<'_> {
    fn drop(&mut self) {
        if !self.done {
            let (_, sockets) = self.op.as_mut().cancel();
            self.state.queue(sockets);
        }
    }
}
