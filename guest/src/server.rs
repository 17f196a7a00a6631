//! `start-server` and the `server` resource on `wasi:sockets`: core's
//! [`ServerShell`] decides and carries out what needs no socket (serving,
//! closed, pending accepts, how many connections to take, the queue of
//! taken ones, admission under the cap, clients, `wait_closed`, which
//! addresses are bound); this file binds sockets and
//! runs one acceptor task per listening socket, which takes connections
//! off its listen stream only while `accept` calls want them (the kernel's
//! backlog holds the rest).

use std::net::SocketAddr;
use std::pin::Pin;
use std::rc::{Rc, Weak};

use portable_streams_core::caps::Permit;
use portable_streams_core::connect::{self, Family};
use portable_streams_core::server::{
    AcceptStep, BindFailure, ServerShell, bind_all, bind_context, listen_backlog,
};
use portable_streams_core::tls::Side;
use portable_streams_core::{Either, Error, Signal, race};
use portable_streams_wit_io::Guarded;
use wasip3::sockets::types::{ErrorCode, TcpSocket};
use wit_bindgen::{StreamReader, StreamResult};

use crate::bindings::exports::portable::streams::streams as wit;
use crate::closing_ports;
use crate::conn::Conn;
use crate::connect::resolve;
use crate::conv::{addr_from_wasi, addr_to_wasi, family_of, socket_error};
use crate::limits;
use crate::pump;
use crate::settle::settled;
use crate::tls;
use crate::transport::{self, Transport};

/// The `server` resource.
pub struct Server {
    shared: Rc<Shared>,
}

struct Shared {
    /// Core's server shell; its listening part is the listeners' places
    /// under the listener cap (each acceptor task owns its socket).
    shell: ServerShell<Weak<Conn>, Ready, Vec<Permit>>,
    limit: usize,
    keep_alive: bool,
    addresses: Vec<wit::SocketAddress>,
    /// The ports listened on (`close` notes them as closing).
    ports: Vec<u16>,
    /// The TLS side, on a TLS server: each client's handshake runs in a
    /// task of its own, off the accept path.
    tls: Option<Side>,
    /// For acceptor tasks: demand, serving or closed changed.
    acceptors: Signal,
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
    let limit = limits::reader(options.limit)?.limit();
    let tls = options.tls.as_ref().map(tls::server).transpose()?;
    if options.reuse_port {
        return Err(Error::Unsupported(
            "reuse_port is not supported: wasi:sockets has no SO_REUSEPORT".into(),
        ));
    }
    // reuse_address: wasi:sockets hosts set SO_REUSEADDR themselves on
    // POSIX (WASI requires binds to ignore TIME_WAIT); `false` cannot be
    // honoured and is accepted as it is.
    let backlog = listen_backlog(options.backlog);
    let family = Family::from(options.family);
    let addrs = connect::listen_targets(&hosts, port, family, &resolve).await?;
    let asked: Vec<u16> = addrs.iter().map(SocketAddr::port).collect();
    let bound =
        closing_ports::bind_after_close(&asked, || bind_all(&addrs, |addr| listen(addr, backlog)))
            .await?;
    let (listeners, permits): (Vec<Listener>, Vec<Permit>) = bound.into_iter().unzip();
    let shared = Rc::new(Shared {
        shell: ServerShell::new(options.start_serving, listeners.len(), permits),
        limit,
        keep_alive: options.keep_alive,
        addresses: listeners.iter().map(|l| l.addr.into()).collect(),
        ports: listeners.iter().map(|l| l.addr.port()).collect(),
        tls,
        acceptors: Signal::default(),
    });
    for listener in listeners {
        wit_bindgen::spawn_local(acceptor(shared.clone(), listener));
    }
    Ok(wit::Server::new(Server { shared }))
}

/// Binds and listens on `addr`, within the listener cap.
fn listen(addr: SocketAddr, backlog: u32) -> Result<(Listener, Permit), BindFailure> {
    let error = |code: ErrorCode| socket_error(code).context(&bind_context(&addr));
    let permit = limits::listener_permit().map_err(BindFailure::Failed)?;
    let socket =
        TcpSocket::create(family_of(&addr)).map_err(|code| BindFailure::creating(error(code)))?;
    let fail = |code| BindFailure::binding(error(code));
    socket.bind(addr_to_wasi(addr)).map_err(fail)?;
    // Hosts may clamp or refuse a backlog; the default then applies.
    let _ = socket.set_listen_backlog_size(u64::from(backlog));
    let incoming = socket.listen().map_err(fail)?;
    let addr = socket
        .get_local_address()
        .map(addr_from_wasi)
        .unwrap_or(addr);
    let listener = Listener {
        socket,
        incoming,
        addr,
    };
    Ok((listener, permit))
}

/// A connection ready for `accept`.
enum Ready {
    /// A plain socket.
    Socket(TcpSocket),
    /// A client that completed its TLS handshake.
    Secured(Box<Transport>),
}

impl Shared {
    fn queue(self: &Rc<Self>, sockets: Vec<TcpSocket>) {
        if sockets.is_empty() || self.shell.is_closed() {
            return;
        }
        match &self.tls {
            Some(server) => {
                for socket in sockets {
                    self.shell.lock().server.handshake_started();
                    wit_bindgen::spawn_local(handshake(self.clone(), server.clone(), socket));
                }
            }
            None => {
                let mut st = self.shell.lock();
                for socket in sockets {
                    st.server.arrived(Ready::Socket(socket));
                }
            }
        }
        self.shell.changed().notify();
    }

    fn close(&self) {
        if self.shell.close().is_some() {
            closing_ports::closed(self.ports.iter().copied());
            self.acceptors.notify();
        }
    }

    /// A connection from a queued one; an error if accepting it failed.
    fn connection(&self, ready: Ready) -> Result<Rc<Conn>, Error> {
        let transport = match ready {
            Ready::Socket(socket) => {
                // A client that gave up before it was accepted has no peer.
                socket.get_remote_address().map_err(socket_error)?;
                self.keep_alive(&socket);
                transport::tcp(socket)
            }
            Ready::Secured(transport) => *transport,
        };
        let on_closed = self.shell.changed().clone();
        self.shell
            .lock()
            .server
            .admit(limits::permit(), self.limit, |read, permit| {
                let conn = pump::start(
                    transport,
                    limits::engine(read),
                    Some(permit),
                    Some(on_closed),
                    pump::Home::Shared,
                );
                let client = Rc::downgrade(&conn);
                (conn, client)
            })
    }

    /// Best effort, as asyncio's setsockopt on the listening socket.
    fn keep_alive(&self, socket: &TcpSocket) {
        if self.keep_alive {
            let _ = socket.set_keep_alive_enabled(true);
        }
    }
}

impl wit::GuestServer for Server {
    async fn accept(&self) -> Result<(wit::Reader, wit::Writer), wit::Error> {
        settled(async {
            let shared = &*self.shared;
            let _accepting = shared.shell.accepting();
            shared.acceptors.notify();
            loop {
                let wake = shared.shell.changed().wait();
                let step = shared.shell.lock().server.accept_step();
                match step {
                    AcceptStep::Closed(error) => return Err(error.into()),
                    AcceptStep::Wait => {}
                    AcceptStep::Take => {
                        let next = shared.shell.lock().server.next_arrival();
                        if let Some(ready) = next {
                            // One the cap refuses, or that gave up, is
                            // dropped (closed at once): take the next.
                            if let Ok(conn) = shared.connection(ready) {
                                return Ok(crate::resources(conn));
                            }
                            continue;
                        }
                    }
                }
                wake.await;
            }
        })
        .await
    }

    fn sockets(&self) -> Vec<wit::SocketAddress> {
        self.shared.shell.sockets(&self.shared.addresses)
    }

    fn close(&self) {
        self.shared.close();
    }

    async fn wait_closed(&self) {
        settled(self.shared.shell.wait_closed()).await
    }

    fn is_serving(&self) -> bool {
        self.shared.shell.is_serving()
    }

    fn start_serving(&self) -> Result<(), wit::Error> {
        if self.shared.shell.start_serving()? {
            self.shared.acceptors.notify();
        }
        Ok(())
    }

    fn close_clients(&self) {
        self.shared.shell.close_clients();
    }

    fn abort_clients(&self) {
        self.shared.shell.abort_clients();
    }
}

impl Drop for Server {
    /// A dropped server stops listening (its acceptor tasks end); accepted
    /// connections stay up.
    fn drop(&mut self) {
        self.shared.close();
    }
}

/// Takes sockets off one listen stream while `accept` calls want them.
async fn acceptor(shared: Rc<Shared>, listener: Listener) {
    let Listener {
        socket,
        mut incoming,
        ..
    } = listener;
    loop {
        let wake = shared.acceptors.wait();
        if shared.shell.is_closed() {
            break;
        }
        if !shared.shell.lock().server.wants_more() {
            wake.await;
            continue;
        }
        // Every socket the read received is queued, also when it is
        // cancelled.
        let mut read = Guarded::new(incoming.read(Vec::with_capacity(1)), |(result, sockets)| {
            shared.queue(sockets);
            result
        });
        let stop = loop {
            let changed = shared.acceptors.wait();
            match race(Pin::new(&mut read), changed).await {
                Either::Left(result) => break result == StreamResult::Dropped,
                Either::Right(()) if shared.shell.is_closed() => break true,
                Either::Right(()) => {}
            }
        };
        if stop {
            break;
        }
    }
    drop(incoming);
    drop(socket);
    shared.shell.lock().server.listener_ended();
    shared.shell.changed().notify();
}

/// One client's TLS handshake: queued for `accept` when it completes; a
/// client that fails it (or outlasts the server) is dropped, and the server
/// and other clients go on, as asyncio's.
async fn handshake(shared: Rc<Shared>, side: Side, socket: TcpSocket) {
    shared.keep_alive(&socket);
    let shaking = tls::secure(transport::tcp(socket), &side);
    let secured = match race(shaking, shared.shell.closed()).await {
        Either::Left(Ok(secured)) => Some(Ready::Secured(Box::new(secured))),
        Either::Left(Err(_)) | Either::Right(()) => None,
    };
    shared.shell.lock().server.handshake_ended(secured);
    shared.shell.changed().notify();
    // One fewer to come: the acceptors may need another socket.
    shared.acceptors.notify();
}
