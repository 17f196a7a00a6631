//! The `server` resource on tokio listeners: core's [`ServerShell`]
//! decides and carries out what needs no socket (serving, closed, pending
//! accepts, how many connections to take, the queue of TLS clients ready,
//! admission under the cap, clients, `wait_closed`, which addresses are
//! bound); this file binds sockets and accepts on demand.

use std::future::{Future, poll_fn};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::{Arc, Weak};
use std::task::{Context, Poll};

use portable_streams_core::Error;
use portable_streams_core::connect::{self, Family};
use portable_streams_core::server::{
    ACCEPT_RETRY_DELAY, AcceptFailure, AcceptStep, BindFailure, Locked, ServerShell, ServerState,
    bind_all, bind_context, listen_backlog,
};
use portable_streams_core::tls::Side;
use socket2::{Domain, Protocol, SockRef, Socket, Type};
use tokio::net::{TcpListener, UnixListener};
use tokio::time::Sleep;

use super::conn::Conn;
use super::connect::resolve;
use super::conv::{Allowance, accept_failure, read_buffer};
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

/// What a server's resource and its clients share.
pub(crate) struct Shared {
    /// Core's server shell; its arrivals are TLS clients whose handshake
    /// is done (plain ones are handed out as they are accepted).
    shell: ServerShell<Weak<Conn>, Transport, Listening>,
    addresses: Vec<wit::SocketAddress>,
    clients: Clients,
}

/// A listening socket.
enum ListenSocket {
    Tcp(TcpListener),
    Unix(UnixListener, String),
}

/// A listening socket, resting for a while after it ran out of resources.
struct Listener {
    socket: ListenSocket,
    rest: Option<Pin<Box<Sleep>>>,
}

impl Listener {
    fn new(socket: ListenSocket) -> Self {
        Self { socket, rest: None }
    }

    /// Rests it for [`ACCEPT_RETRY_DELAY`].
    fn rest(&mut self) {
        self.rest = Some(Box::pin(tokio::time::sleep(ACCEPT_RETRY_DELAY)));
    }

    /// Whether it may accept: not resting, or its rest is over (else the
    /// task is woken when it is).
    fn awake(&mut self, cx: &mut Context<'_>) -> bool {
        if let Some(rest) = &mut self.rest {
            if rest.as_mut().poll(cx).is_pending() {
                return false;
            }
            self.rest = None;
        }
        true
    }
}

/// The listening sockets, dropped on close.
#[derive(Default)]
struct Listening {
    listeners: Vec<Listener>,
    /// The listener to try first, so no listener starves the others.
    next: usize,
    /// The listeners' places under the policy's listener cap.
    _permits: Vec<Permit>,
    /// The socket file of a Unix server, removed with the listener.
    socket_file: Option<SocketFile>,
}

impl Drop for Listening {
    /// A closed server, or one dropped unclosed, removes its socket file.
    fn drop(&mut self) {
        if let Some(file) = self.socket_file.take() {
            file.remove();
        }
    }
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

impl Shared {
    /// Waits for the next client.
    ///
    /// Cancellation safe: a connection is only taken from the kernel when
    /// it is returned.
    pub(crate) async fn accept(self: &Arc<Self>) -> Result<Arc<Conn>, Error> {
        let mut accepting = self.shell.accepting();
        poll_fn(|cx| self.poll_accept(cx, &mut accepting.waker)).await
    }

    fn poll_accept(
        self: &Arc<Self>,
        cx: &mut Context<'_>,
        waker: &mut Option<u64>,
    ) -> Poll<Result<Arc<Conn>, Error>> {
        let mut st = self.shell.lock();
        let Locked { server, listening } = &mut *st;
        match server.accept_step() {
            AcceptStep::Closed(error) => return Poll::Ready(Err(error)),
            AcceptStep::Wait => {
                self.shell.changed().register(waker, cx.waker());
                return Poll::Pending;
            }
            AcceptStep::Take => self.shell.changed().register(waker, cx.waker()),
        }
        // Clients whose TLS handshake is done come first.
        while let Some(transport) = server.next_arrival() {
            if let Some(conn) = self.adopt(server, transport) {
                return Poll::Ready(Ok(conn));
            }
        }
        // Take no more clients than the accept calls want, handshakes in
        // flight included (the kernel's backlog holds the rest).
        if !server.wants_more() {
            return Poll::Pending;
        }
        let count = listening.listeners.len();
        let mut i = 0;
        while i < count {
            let index = (listening.next + i) % count;
            let listener = &mut listening.listeners[index];
            if !listener.awake(cx) {
                i += 1;
                continue;
            }
            let accepted = match &listener.socket {
                ListenSocket::Tcp(listener) => listener.poll_accept(cx).map_ok(|(stream, _)| {
                    if self.clients.keep_alive
                        && let Err(error) = SockRef::from(&stream).set_keepalive(true)
                    {
                        tracing::debug!(%error, "SO_KEEPALIVE not set");
                    }
                    Raw::Tcp(stream)
                }),
                ListenSocket::Unix(listener, path) => listener
                    .poll_accept(cx)
                    .map_ok(|(stream, _)| Raw::Unix(stream, path.clone())),
            };
            match accepted {
                Poll::Pending => i += 1,
                // No failure to take a connection fails the server (asyncio
                // logs them and goes on).
                Poll::Ready(Err(error)) => match accept_failure(&error) {
                    AcceptFailure::Gone => {}
                    AcceptFailure::OutOfResources => {
                        tracing::error!(
                            %error,
                            "accept: out of system resources; listening again in {ACCEPT_RETRY_DELAY:?}"
                        );
                        listening.listeners[index].rest();
                    }
                    AcceptFailure::Other => {
                        tracing::warn!(%error, "accept failed");
                        cx.waker().wake_by_ref();
                        return Poll::Pending;
                    }
                },
                Poll::Ready(Ok(raw)) => {
                    listening.next = index + 1;
                    if let Some(side) = &self.clients.tls {
                        server.handshake_started();
                        self.handshake(side.clone(), raw);
                        if !server.wants_more() {
                            return Poll::Pending;
                        }
                        continue;
                    }
                    match self.adopt(server, raw.plain()) {
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
            let secured = tokio::select! {
                result = tls::secure(raw.plain(), &side) => result
                    .inspect_err(|error| tracing::info!("a client's TLS handshake failed: {error}"))
                    .ok(),
                () = shared.shell.closed() => None,
            };
            shared.shell.lock().server.handshake_ended(secured);
            shared.shell.changed().notify();
        });
    }

    /// A connection for an accepted transport, or none when the policy's
    /// cap refuses it (it is then closed at once).
    fn adopt(
        &self,
        server: &mut ServerState<Weak<Conn>, Transport>,
        transport: Transport,
    ) -> Option<Arc<Conn>> {
        let peer = transport.peer.clone();
        let allowance = &self.clients.allowance;
        let permit = allowance
            .count
            .try_permit(allowance.policy.max_connections());
        let on_closed = self.shell.changed().clone();
        server
            .admit(permit, self.clients.limit, |read, permit| {
                let engine = allowance.engine(read);
                let conn = Conn::start(transport, engine, Some(permit), Some(on_closed));
                let client = Arc::downgrade(&conn);
                (conn, client)
            })
            .inspect_err(|refused| tracing::warn!(?peer, "client refused: {refused}"))
            .ok()
    }

    /// `sockets`.
    pub(crate) fn sockets(&self) -> Vec<wit::SocketAddress> {
        self.shell.sockets(&self.addresses)
    }

    /// `close()`: stop listening (removing a Unix server's socket file);
    /// accepted connections stay up.
    pub(crate) fn close(&self) {
        drop(self.shell.close());
    }

    /// `wait_closed()`.
    ///
    /// Cancellation safe.
    pub(crate) async fn wait_closed(&self) {
        self.shell.wait_closed().await
    }

    /// `is_serving()`.
    pub(crate) fn is_serving(&self) -> bool {
        self.shell.is_serving()
    }

    /// `start_serving()`.
    pub(crate) fn start_serving(&self) -> Result<(), Error> {
        self.shell.start_serving().map(drop)
    }

    /// `close_clients()`.
    pub(crate) fn close_clients(&self) {
        self.shell.close_clients();
    }

    /// `abort_clients()`.
    pub(crate) fn abort_clients(&self) {
        self.shell.abort_clients();
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

/// The sandbox a server runs under.
pub(crate) struct Sandbox {
    /// What its clients are opened under.
    pub(crate) allowance: Allowance,
    /// The store's count of listening sockets.
    pub(crate) listeners: ListenerCount,
}

/// How a server's clients are served.
struct Clients {
    /// Each reader's limit.
    limit: usize,
    /// `SO_KEEPALIVE` on each accepted socket.
    keep_alive: bool,
    /// The TLS side, on a TLS server.
    tls: Option<Side>,
    /// What each client is opened under.
    allowance: Allowance,
}

/// Builds the server around bound listeners, each with its place under
/// the listener cap.
fn server(
    listeners: Vec<(ListenSocket, Permit)>,
    addresses: Vec<wit::SocketAddress>,
    start_serving: Option<bool>,
    socket_file: Option<SocketFile>,
    clients: Clients,
) -> Server {
    let (listeners, permits): (Vec<_>, Vec<_>) = listeners.into_iter().unzip();
    // A tokio listener never ends by itself: only `close` ends them.
    let count = listeners.len();
    let listening = Listening {
        listeners: listeners.into_iter().map(Listener::new).collect(),
        next: 0,
        _permits: permits,
        socket_file,
    };
    Server {
        shared: Arc::new(Shared {
            shell: ServerShell::new(start_serving, count, listening),
            addresses,
            clients,
        }),
    }
}

/// `asyncio.start_server(cb, host, port, ...)`.
pub(crate) async fn start_server(
    Sandbox {
        allowance,
        listeners,
    }: Sandbox,
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
    // Judged as wasmtime-wasi judges a guest's sockets, so a rule means
    // the same on both backends: the address asked for as a bind (an
    // ephemeral port passes), then the address actually bound as the one
    // listened on (so a rule for port 0 allows nothing).
    let bound = bind_all(&addrs, |addr| {
        policy
            .check(NetworkUse::Bind(addr))
            .map_err(BindFailure::Failed)?;
        let permit = listeners
            .try_permit(policy.max_listeners())
            .map_err(BindFailure::Failed)?;
        let listen_allowed = |bound| policy.check(NetworkUse::Listen(bound));
        Ok((bind_tcp(addr, &options, listen_allowed)?, permit))
    })?;
    let addresses = bound
        .iter()
        .filter_map(|(l, _)| l.local_addr().ok().map(wit::SocketAddress::from))
        .collect();
    Ok(server(
        bound
            .into_iter()
            .map(|(l, permit)| (ListenSocket::Tcp(l), permit))
            .collect(),
        addresses,
        options.start_serving,
        None,
        Clients {
            limit,
            keep_alive: options.keep_alive,
            tls,
            allowance,
        },
    ))
}

/// `asyncio.start_unix_server(cb, path, ...)`.
pub(crate) async fn start_unix_server(
    Sandbox {
        allowance,
        listeners,
    }: Sandbox,
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
        vec![(ListenSocket::Unix(listener, shown.clone()), permit)],
        vec![wit::SocketAddress::Unix(shown)],
        options.start_serving,
        options.cleanup_socket.unwrap_or(true).then_some(file),
        Clients {
            limit,
            keep_alive: false,
            tls,
            allowance,
        },
    ))
}

/// A listening socket with asyncio's options: `SO_REUSEADDR` (default on),
/// `SO_REUSEPORT` when asked, `IPV6_V6ONLY` so IPv4 and IPv6 listeners
/// can share a port, and the backlog; it listens only if `listen_allowed`
/// allows the address it was bound to.
fn bind_tcp(
    addr: SocketAddr,
    options: &wit::ServerOptions,
    listen_allowed: impl Fn(SocketAddr) -> Result<(), Error>,
) -> Result<TcpListener, BindFailure> {
    let fail = |e: std::io::Error| Error::from(e).context(&bind_context(&addr));
    let socket = Socket::new(Domain::for_address(addr), Type::STREAM, Some(Protocol::TCP))
        .map_err(|e| BindFailure::creating(fail(e)))?;
    let configure = |socket: &Socket| -> std::io::Result<SocketAddr> {
        if addr.is_ipv6() {
            socket.set_only_v6(true)?;
        }
        socket.set_reuse_address(options.reuse_address.unwrap_or(true))?;
        if options.reuse_port {
            socket.set_reuse_port(true)?;
        }
        socket.set_nonblocking(true)?;
        socket.bind(&addr.into())?;
        socket
            .local_addr()?
            .as_socket()
            .ok_or_else(|| std::io::Error::other("bound to no IP address"))
    };
    let bound = configure(&socket).map_err(|e| BindFailure::binding(fail(e)))?;
    listen_allowed(bound).map_err(BindFailure::Failed)?;
    let backlog = listen_backlog(options.backlog);
    socket
        .listen(i32::try_from(backlog).unwrap_or(i32::MAX))
        .map_err(|e| BindFailure::binding(fail(e)))?;
    TcpListener::from_std(socket.into()).map_err(|e| BindFailure::Failed(fail(e)))
}

#[cfg(test)]
#[path = "server_tests.rs"]
mod tests;
