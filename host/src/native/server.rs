//! The `server` resource on tokio listeners: core's [`ServerState`] decides
//! (serving, closed, pending accepts, how many connections to take, the
//! queue of TLS clients ready, clients, `wait_closed`, which addresses are
//! bound); this file binds sockets and accepts on demand.

use std::future::poll_fn;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::task::{Context, Poll};

use portable_streams_core::connect::{self, Family};
use portable_streams_core::server::{
    AcceptStep, BindFailure, Client, ServerState, bind_all, bind_context, listen_backlog,
};
use portable_streams_core::tls::Side;
use portable_streams_core::{Error, ReadBuffer, Signal};
use socket2::{Domain, Protocol, SockRef, Socket, Type};
use tokio::net::{TcpListener, UnixListener};

use super::conn::{Conn, OnClosed};
use super::connect::resolve;
use super::conv::{Allowance, read_buffer};
use super::tls;
use super::transport::{self, Transport};
use super::unix::SocketFile;
use super::wit;
use crate::policy::NetworkUse;
use portable_streams_core::caps::{ListenerCount, Permit};

/// asyncio's `Server`.
pub struct Server {
    pub(crate) shared: Arc<Shared>,
}

/// An accepted connection, as the server's state tracks it.
#[derive(Clone)]
struct ClientConn(Weak<Conn>);

impl Client for ClientConn {
    fn is_closed(&self) -> bool {
        self.0.upgrade().is_none_or(|c| c.is_closed())
    }
}

/// What a server's resource and its clients share.
pub(crate) struct Shared {
    state: Mutex<State>,
    limit: usize,
    keep_alive: bool,
    allowance: Allowance,
    /// The TLS side of a TLS server.
    tls: Option<Side>,
    /// For `accept` and `wait-closed` calls: a client came, finished its
    /// handshake or closed, an `accept` ended, the server started or
    /// closed.
    changed: Signal,
}

enum Listener {
    Tcp(TcpListener),
    Unix(UnixListener, String),
}

struct State {
    /// Core's server engine; its arrivals are TLS clients whose handshake
    /// is done (plain ones are handed out as they are accepted).
    server: ServerState<ClientConn, Transport>,
    listeners: Vec<Listener>,
    addresses: Vec<wit::SocketAddress>,
    /// The listener to try first, so no listener starves the others.
    next: usize,
    /// The socket file of a Unix server, removed on close.
    socket_file: Option<SocketFile>,
    /// The listeners' places under the policy's listener cap, freed on
    /// close.
    listening: Vec<Permit>,
}

/// An accepted socket before any TLS handshake.
enum Raw {
    Tcp(tokio::net::TcpStream),
    Unix(tokio::net::UnixStream, String),
}

impl Raw {
    /// The socket as a plain transport.
    fn plain(self) -> Transport {
        match self {
            Raw::Tcp(stream) => transport::tcp(stream),
            Raw::Unix(stream, path) => transport::unix(stream, Some(path)),
        }
    }
}

/// Counts an `accept` call as pending for as long as it runs, and removes
/// its waker when it ends: a server that accepts many clients and closes
/// none keeps no waker per accept.
struct Accepting<'a> {
    shared: &'a Shared,
    waker: Option<u64>,
}

impl Drop for Accepting<'_> {
    fn drop(&mut self) {
        if let Some(id) = self.waker {
            self.shared.changed.unregister(id);
        }
        if self.shared.lock().server.end_accept() {
            self.shared.changed.notify();
        }
    }
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Waits for the next client.
    ///
    /// Cancellation safe: a connection is only taken from the kernel when
    /// it is returned.
    pub(crate) async fn accept(self: &Arc<Self>) -> Result<Arc<Conn>, Error> {
        self.lock().server.begin_accept();
        let mut accepting = Accepting {
            shared: self,
            waker: None,
        };
        poll_fn(|cx| self.poll_accept(cx, &mut accepting.waker)).await
    }

    fn poll_accept(
        self: &Arc<Self>,
        cx: &mut Context<'_>,
        waker: &mut Option<u64>,
    ) -> Poll<Result<Arc<Conn>, Error>> {
        let mut st = self.lock();
        match st.server.accept_step() {
            AcceptStep::Closed(error) => return Poll::Ready(Err(error)),
            AcceptStep::Wait => {
                self.changed.register(waker, cx.waker());
                return Poll::Pending;
            }
            AcceptStep::Take => self.changed.register(waker, cx.waker()),
        }
        // Clients whose TLS handshake is done come first.
        while let Some(transport) = st.server.next_arrival() {
            if let Some(conn) = self.adopt(&mut st, transport) {
                return Poll::Ready(Ok(conn));
            }
        }
        // Take no more clients than the accept calls want, handshakes in
        // flight included (the kernel's backlog holds the rest).
        if !st.server.wants_more() {
            return Poll::Pending;
        }
        let count = st.listeners.len();
        let mut i = 0;
        while i < count {
            let index = (st.next + i) % count;
            let accepted = match &st.listeners[index] {
                Listener::Tcp(listener) => listener.poll_accept(cx).map_ok(|(stream, _)| {
                    if self.keep_alive
                        && let Err(error) = SockRef::from(&stream).set_keepalive(true)
                    {
                        tracing::debug!(%error, "SO_KEEPALIVE not set");
                    }
                    Raw::Tcp(stream)
                }),
                Listener::Unix(listener, path) => listener
                    .poll_accept(cx)
                    .map_ok(|(stream, _)| Raw::Unix(stream, path.clone())),
            };
            match accepted {
                Poll::Pending => i += 1,
                Poll::Ready(Err(error)) => {
                    // A client that gave up before it was accepted is not
                    // the server's failure (asyncio logs and goes on).
                    if error.kind() == std::io::ErrorKind::ConnectionAborted {
                        continue;
                    }
                    return Poll::Ready(Err(Error::from(error).context("accept")));
                }
                Poll::Ready(Ok(raw)) => {
                    st.next = index + 1;
                    if let Some(side) = &self.tls {
                        st.server.handshake_started();
                        self.handshake(side.clone(), raw);
                        if !st.server.wants_more() {
                            return Poll::Pending;
                        }
                        continue;
                    }
                    match self.adopt(&mut st, raw.plain()) {
                        Some(conn) => return Poll::Ready(Ok(conn)),
                        // Refused by the connection cap: look for the next.
                        None => continue,
                    }
                }
            }
        }
        Poll::Pending
    }

    /// Runs the TLS handshake with an accepted client on a task of its own;
    /// a client that completes it waits for the next `accept`, one that
    /// fails it (or outlasts the server) is dropped: the server and other
    /// clients go on, as asyncio's.
    fn handshake(self: &Arc<Self>, side: Side, raw: Raw) {
        let shared = self.clone();
        tokio::spawn(async move {
            let closed = shared
                .changed
                .until(|| shared.lock().server.is_closed().then_some(()));
            let secured = tokio::select! {
                result = tls::secure(raw.plain(), &side) => result
                    .inspect_err(|error| tracing::info!("a client's TLS handshake failed: {error}"))
                    .ok(),
                () = closed => None,
            };
            shared.lock().server.handshake_ended(secured);
            shared.changed.notify();
        });
    }

    /// A connection for an accepted transport, or none when the policy's
    /// cap refuses it (it is then closed at once).
    fn adopt(self: &Arc<Self>, st: &mut State, transport: Transport) -> Option<Arc<Conn>> {
        let max = self.allowance.policy.max_connections();
        let permit = match self.allowance.count.try_permit(max) {
            Ok(permit) => permit,
            Err(refused) => {
                tracing::warn!(peer = ?transport.peer, "client refused: {refused}");
                return None;
            }
        };
        let read = ReadBuffer::new(self.limit).ok()?;
        let server = Arc::downgrade(self);
        let on_closed: OnClosed = Box::new(move || {
            if let Some(server) = server.upgrade() {
                server.changed.notify();
            }
        });
        let conn = Conn::start(
            transport,
            self.allowance.engine(read),
            Some(permit),
            Some(on_closed),
        );
        st.server.add_client(ClientConn(Arc::downgrade(&conn)));
        Some(conn)
    }

    /// `sockets`.
    pub(crate) fn sockets(&self) -> Vec<wit::SocketAddress> {
        let st = self.lock();
        st.server.sockets(&st.addresses)
    }

    /// `close()`: stop listening (removing a Unix server's socket file);
    /// accepted connections stay up.
    pub(crate) fn close(&self) {
        let mut st = self.lock();
        if st.server.close() {
            st.listeners.clear();
            st.listening.clear();
            if let Some(file) = st.socket_file.take() {
                file.remove();
            }
            self.changed.notify();
        }
    }

    /// `wait_closed()`.
    ///
    /// Cancellation safe.
    pub(crate) async fn wait_closed(&self) {
        self.changed
            .until(|| self.lock().server.wait_closed_done().then_some(()))
            .await
    }

    /// `is_serving()`.
    pub(crate) fn is_serving(&self) -> bool {
        self.lock().server.is_serving()
    }

    /// `start_serving()`.
    pub(crate) fn start_serving(&self) -> Result<(), Error> {
        let mut st = self.lock();
        if st.server.start_serving()? {
            self.changed.notify();
        }
        Ok(())
    }

    /// `close_clients()`.
    pub(crate) fn close_clients(&self) {
        for conn in self.clients() {
            conn.close();
        }
    }

    /// `abort_clients()`.
    pub(crate) fn abort_clients(&self) {
        for conn in self.clients() {
            conn.abort();
        }
    }

    /// The open clients, taken out of the lock (a closing client reports
    /// back to the server).
    fn clients(&self) -> Vec<Arc<Conn>> {
        let clients = self.lock().server.open_clients();
        clients.iter().filter_map(|c| c.0.upgrade()).collect()
    }
}

impl Drop for Server {
    /// A dropped server stops listening (accepted connections stay up), as
    /// the guest's: a client's handshake still running holds the server's
    /// state, not its listeners.
    fn drop(&mut self) {
        self.shared.close();
    }
}

impl Drop for Shared {
    /// A server dropped unclosed still removes its socket file.
    fn drop(&mut self) {
        if let Some(file) = self.lock().socket_file.take() {
            file.remove();
        }
    }
}

/// The sandbox a server runs under: what its clients are opened under,
/// and the store's count of listening sockets.
pub(crate) type Sandbox = (Allowance, ListenerCount);

/// Builds the server around bound listeners, each with its place under
/// the listener cap.
fn server(
    listeners: Vec<(Listener, Permit)>,
    addresses: Vec<wit::SocketAddress>,
    start_serving: Option<bool>,
    socket_file: Option<SocketFile>,
    (limit, keep_alive, tls): (usize, bool, Option<Side>),
    allowance: Allowance,
) -> Server {
    let (listeners, listening): (Vec<_>, Vec<_>) = listeners.into_iter().unzip();
    let state = State {
        // A tokio listener never ends by itself: only `close` ends them.
        server: ServerState::new(start_serving, listeners.len()),
        listeners,
        addresses,
        next: 0,
        socket_file,
        listening,
    };
    Server {
        shared: Arc::new(Shared {
            state: Mutex::new(state),
            limit,
            keep_alive,
            allowance,
            tls,
            changed: Signal::default(),
        }),
    }
}

/// `asyncio.start_server(cb, host, port, ...)`.
pub(crate) async fn start_server(
    (allowance, listeners): Sandbox,
    hosts: Vec<String>,
    port: u16,
    options: wit::ServerOptions,
) -> Result<Server, Error> {
    let policy = allowance.policy.clone();
    let limit = read_buffer(options.limit, &policy)?.limit();
    let tls = options.tls.as_ref().map(tls::server).transpose()?;
    let family = Family::from(options.family);
    let resolver = |name| resolve(policy.clone(), name);
    let addrs = connect::listen_targets(&hosts, port, family, &resolver).await?;
    let bound = bind_all(&addrs, |addr| {
        policy
            .check(NetworkUse::Listen(addr))
            .map_err(BindFailure::Failed)?;
        let permit = listeners
            .try_permit(policy.max_listeners())
            .map_err(BindFailure::Failed)?;
        Ok((bind_tcp(addr, &options)?, permit))
    })?;
    let addresses = bound
        .iter()
        .filter_map(|(l, _)| l.local_addr().ok().map(wit::SocketAddress::from))
        .collect();
    Ok(server(
        bound
            .into_iter()
            .map(|(l, permit)| (Listener::Tcp(l), permit))
            .collect(),
        addresses,
        options.start_serving,
        None,
        (limit, options.keep_alive, tls),
        allowance,
    ))
}

/// `asyncio.start_unix_server(cb, path, ...)`.
pub(crate) async fn start_unix_server(
    (allowance, listeners): Sandbox,
    path: String,
    options: wit::UnixServerOptions,
) -> Result<Server, Error> {
    let policy = allowance.policy.clone();
    let limit = read_buffer(options.limit, &policy)?.limit();
    let tls = options.tls.as_ref().map(tls::server).transpose()?;
    let resolved: PathBuf = policy.check_unix_path(path.as_ref())?;
    let permit = listeners.try_permit(policy.max_listeners())?;
    let (listener, file) = super::unix::bind(&resolved, listen_backlog(options.backlog))?;
    let shown = resolved.display().to_string();
    Ok(server(
        vec![(Listener::Unix(listener, shown.clone()), permit)],
        vec![wit::SocketAddress::Unix(shown)],
        options.start_serving,
        options.cleanup_socket.unwrap_or(true).then_some(file),
        (limit, false, tls),
        allowance,
    ))
}

/// A listening socket with asyncio's options: `SO_REUSEADDR` (default on),
/// `SO_REUSEPORT` when asked, `IPV6_V6ONLY` so IPv4 and IPv6 listeners
/// can share a port, and the backlog.
fn bind_tcp(addr: SocketAddr, options: &wit::ServerOptions) -> Result<TcpListener, BindFailure> {
    let fail = |e: std::io::Error| Error::from(e).context(&bind_context(&addr));
    let socket = Socket::new(Domain::for_address(addr), Type::STREAM, Some(Protocol::TCP))
        // asyncio: "Assume it's a bad family/type/protocol combination."
        .map_err(|e| BindFailure::Unavailable(fail(e)))?;
    let configure = |socket: &Socket| -> std::io::Result<()> {
        if addr.is_ipv6() {
            socket.set_only_v6(true)?;
        }
        socket.set_reuse_address(options.reuse_address.unwrap_or(true))?;
        if options.reuse_port {
            socket.set_reuse_port(true)?;
        }
        socket.set_nonblocking(true)?;
        socket.bind(&addr.into())?;
        let backlog = listen_backlog(options.backlog);
        socket.listen(i32::try_from(backlog).unwrap_or(i32::MAX))
    };
    configure(&socket).map_err(|e| {
        if e.kind() == std::io::ErrorKind::AddrNotAvailable {
            // asyncio: "Assume the family is not enabled (bpo-30945)".
            BindFailure::Unavailable(fail(e))
        } else {
            BindFailure::Failed(fail(e))
        }
    })?;
    TcpListener::from_std(socket.into()).map_err(|e| BindFailure::Failed(fail(e)))
}

#[cfg(test)]
#[path = "server_tests.rs"]
mod tests;
