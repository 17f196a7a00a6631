//! The `server` resource and `start-server`: listeners on every address of
//! every host, accepted on demand by `accept` (the pull form of
//! `client_connected_cb`), with asyncio's close / wait-closed rules.

use std::future::poll_fn;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::task::{Context, Poll};

use portable_streams_core::attempts::py_addr;
use portable_streams_core::{Error, ReadBuffer};
use socket2::{Domain, Protocol, SockRef, Socket, Type};
use tokio::net::{TcpListener, UnixListener};

use super::conn::{Conn, OnClosed, Transport};
use super::connect::{resolve, tcp_transport};
use super::conv::{io_error, read_buffer, socket_address};
use super::limits::ConnectionCount;
use super::unix::{SocketFile, unix_transport};
use super::waiters::Waiters;
use super::wit;
use crate::policy::Policy;

/// asyncio's default `backlog`.
const DEFAULT_BACKLOG: u32 = 100;

/// asyncio's `Server`.
pub struct Server {
    pub(crate) shared: Arc<Shared>,
}

/// What a server's resource and its clients share.
pub(crate) struct Shared {
    state: Mutex<State>,
    limit: usize,
    keep_alive: bool,
    policy: Arc<Policy>,
    count: ConnectionCount,
}

enum Listener {
    Tcp(TcpListener),
    Unix(UnixListener, String),
}

struct State {
    listeners: Vec<Listener>,
    addresses: Vec<wit::SocketAddress>,
    serving: bool,
    closed: bool,
    clients: Vec<Weak<Conn>>,
    /// `accept` calls waiting for `start-serving`, and `wait-closed`.
    waiters: Waiters,
    /// The listener to try first, so no listener starves the others.
    next: usize,
    /// The socket file of a Unix server, removed on close.
    socket_file: Option<SocketFile>,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn new(
        listeners: Vec<Listener>,
        addresses: Vec<wit::SocketAddress>,
        options: ServeOptions,
        policy: Arc<Policy>,
        count: ConnectionCount,
    ) -> Arc<Self> {
        Arc::new(Shared {
            state: Mutex::new(State {
                listeners,
                addresses,
                serving: options.start_serving,
                closed: false,
                clients: Vec::new(),
                waiters: Waiters::default(),
                next: 0,
                socket_file: options.socket_file,
            }),
            limit: options.limit,
            keep_alive: options.keep_alive,
            policy,
            count,
        })
    }

    /// Waits for the next client.
    ///
    /// Cancellation safe: a connection is only taken from the kernel when
    /// it is returned.
    pub(crate) async fn accept(self: &Arc<Self>) -> Result<Arc<Conn>, Error> {
        poll_fn(|cx| self.poll_accept(cx)).await
    }

    fn poll_accept(self: &Arc<Self>, cx: &mut Context<'_>) -> Poll<Result<Arc<Conn>, Error>> {
        let mut st = self.lock();
        if st.closed {
            return Poll::Ready(Err(Error::Closed("the server is closed".into())));
        }
        st.waiters.register(cx.waker());
        if !st.serving {
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
                    tcp_transport(stream)
                }),
                Listener::Unix(listener, path) => listener
                    .poll_accept(cx)
                    .map_ok(|(stream, _)| unix_transport(stream, Some(path.clone()))),
            };
            match accepted {
                Poll::Pending => i += 1,
                Poll::Ready(Err(error)) => {
                    // A client that gave up before it was accepted is not
                    // the server's failure (asyncio logs and goes on).
                    if error.kind() == std::io::ErrorKind::ConnectionAborted {
                        continue;
                    }
                    return Poll::Ready(Err(io_error(&error, "accept")));
                }
                Poll::Ready(Ok(transport)) => {
                    st.next = index + 1;
                    match self.adopt(&mut st, transport) {
                        Some(conn) => return Poll::Ready(Ok(conn)),
                        // Refused by the connection cap: look for the next.
                        None => continue,
                    }
                }
            }
        }
        Poll::Pending
    }

    /// A connection for an accepted transport, or none when the policy's
    /// cap refuses it (it is then closed at once).
    fn adopt(self: &Arc<Self>, st: &mut State, transport: Transport) -> Option<Arc<Conn>> {
        let permit = match self.count.try_permit(self.policy.max_connections()) {
            Ok(permit) => permit,
            Err(refused) => {
                tracing::warn!(peer = ?transport.peer, "client refused: {refused}");
                return None;
            }
        };
        let read = match ReadBuffer::new(self.limit) {
            Ok(read) => read,
            Err(error) => {
                tracing::warn!(%error, "client refused");
                return None;
            }
        };
        let server = Arc::downgrade(self);
        let on_closed: OnClosed = Box::new(move || {
            if let Some(server) = server.upgrade() {
                server.lock().waiters.wake_all();
            }
        });
        let conn = Conn::start(transport, read, Some(permit), Some(on_closed));
        st.clients.retain(|c| c.strong_count() > 0);
        st.clients.push(Arc::downgrade(&conn));
        Some(conn)
    }

    /// `sockets`.
    pub(crate) fn sockets(&self) -> Vec<wit::SocketAddress> {
        let st = self.lock();
        if st.closed {
            Vec::new()
        } else {
            st.addresses.clone()
        }
    }

    /// `close()`: stop listening (removing a Unix server's socket file);
    /// accepted connections stay up.
    pub(crate) fn close(&self) {
        let mut st = self.lock();
        if st.closed {
            return;
        }
        st.closed = true;
        st.serving = false;
        st.listeners.clear();
        if let Some(file) = st.socket_file.take() {
            file.remove();
        }
        st.waiters.wake_all();
    }

    /// `wait_closed()`: until closed and every accepted connection closed.
    ///
    /// Cancellation safe.
    pub(crate) async fn wait_closed(&self) {
        poll_fn(|cx| {
            let mut st = self.lock();
            if st.closed && self.clients(&st).iter().all(|c| c.is_closed()) {
                return Poll::Ready(());
            }
            st.waiters.register(cx.waker());
            Poll::Pending
        })
        .await
    }

    /// `is_serving()`.
    pub(crate) fn is_serving(&self) -> bool {
        let st = self.lock();
        st.serving && !st.closed
    }

    /// `start_serving()`.
    pub(crate) fn start_serving(&self) -> Result<(), Error> {
        let mut st = self.lock();
        if st.closed {
            return Err(Error::Closed("the server is closed".into()));
        }
        st.serving = true;
        st.waiters.wake_all();
        Ok(())
    }

    /// `close_clients()`.
    pub(crate) fn close_clients(&self) {
        let clients = self.clients(&self.lock());
        for client in clients {
            client.close();
        }
    }

    /// `abort_clients()`.
    pub(crate) fn abort_clients(&self) {
        let clients = self.clients(&self.lock());
        for client in clients {
            client.abort();
        }
    }

    fn clients(&self, st: &State) -> Vec<Arc<Conn>> {
        st.clients.iter().filter_map(Weak::upgrade).collect()
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

/// Options common to TCP and Unix servers.
struct ServeOptions {
    limit: usize,
    keep_alive: bool,
    start_serving: bool,
    socket_file: Option<SocketFile>,
}

/// `asyncio.start_server(cb, host, port, ...)`.
pub(crate) async fn start_server(
    policy: Arc<Policy>,
    count: ConnectionCount,
    hosts: Vec<String>,
    port: u16,
    options: wit::ServerOptions,
) -> Result<Server, Error> {
    let limit = read_buffer(options.limit, &policy)?.limit();
    if options.tls.is_some() {
        return Err(Error::Unsupported(
            "TLS is not available in this version of the host backend".into(),
        ));
    }
    let wildcard = hosts.is_empty();
    let addrs = listen_addresses(hosts, port, options.family).await?;
    let mut listeners = Vec::new();
    let mut addresses = Vec::new();
    for addr in addrs {
        policy.check_listen(addr)?;
        let listener = match bind_tcp(addr, &options) {
            Ok(listener) => listener,
            // No IPv6 (or IPv4) on this machine: "all interfaces" means
            // the ones there are, as getaddrinfo(AI_PASSIVE) does.
            Err(error) if wildcard && unavailable_family(&error) => {
                tracing::debug!(%addr, %error, "address family unavailable; skipped");
                continue;
            }
            Err(error) => {
                return Err(io_error(
                    &error,
                    &format!(
                        "error while attempting to bind on address {}",
                        py_addr(&addr)
                    ),
                ));
            }
        };
        if let Ok(local) = listener.local_addr() {
            addresses.push(socket_address(local));
        }
        listeners.push(Listener::Tcp(listener));
    }
    if listeners.is_empty() {
        return Err(Error::AddressNotAvailable(
            "no address to listen on is available".into(),
        ));
    }
    let options = ServeOptions {
        limit,
        keep_alive: options.keep_alive,
        start_serving: options.start_serving.unwrap_or(true),
        socket_file: None,
    };
    Ok(Server {
        shared: Shared::new(listeners, addresses, options, policy, count),
    })
}

/// `asyncio.start_unix_server(cb, path, ...)`.
pub(crate) async fn start_unix_server(
    policy: Arc<Policy>,
    count: ConnectionCount,
    path: String,
    options: wit::UnixServerOptions,
) -> Result<Server, Error> {
    let limit = read_buffer(options.limit, &policy)?.limit();
    if options.tls.is_some() {
        return Err(Error::Unsupported(
            "TLS is not available in this version of the host backend".into(),
        ));
    }
    let resolved: PathBuf = policy.check_unix_path(path.as_ref())?;
    let (listener, file) =
        super::unix::bind(&resolved, options.backlog.unwrap_or(DEFAULT_BACKLOG))?;
    let shown = resolved.display().to_string();
    let options = ServeOptions {
        limit,
        keep_alive: false,
        start_serving: options.start_serving.unwrap_or(true),
        socket_file: options.cleanup_socket.unwrap_or(true).then_some(file),
    };
    Ok(Server {
        shared: Shared::new(
            vec![Listener::Unix(listener, shown.clone())],
            vec![wit::SocketAddress::Unix(shown)],
            options,
            policy,
            count,
        ),
    })
}

/// The addresses to bind: every address of every host, or the wildcard
/// addresses of the admitted families.
async fn listen_addresses(
    hosts: Vec<String>,
    port: u16,
    family: wit::AddressFamily,
) -> Result<Vec<SocketAddr>, Error> {
    if hosts.is_empty() {
        let v4 = SocketAddr::from(([0, 0, 0, 0], port));
        let v6 = SocketAddr::from(([0u16; 8], port));
        return Ok(match family {
            wit::AddressFamily::Unspecified => vec![v4, v6],
            wit::AddressFamily::Ipv4 => vec![v4],
            wit::AddressFamily::Ipv6 => vec![v6],
        });
    }
    let mut out = Vec::new();
    for host in hosts {
        for addr in resolve(&host, port, family).await? {
            if !out.contains(&addr) {
                out.push(addr);
            }
        }
    }
    Ok(out)
}

/// A listening socket with asyncio's options: `SO_REUSEADDR` (default on),
/// `SO_REUSEPORT` when asked, `IPV6_V6ONLY` so IPv4 and IPv6 listeners
/// can share a port, and the backlog.
fn bind_tcp(addr: SocketAddr, options: &wit::ServerOptions) -> std::io::Result<TcpListener> {
    let socket = Socket::new(Domain::for_address(addr), Type::STREAM, Some(Protocol::TCP))?;
    if addr.is_ipv6() {
        socket.set_only_v6(true)?;
    }
    socket.set_reuse_address(options.reuse_address.unwrap_or(true))?;
    if options.reuse_port {
        socket.set_reuse_port(true)?;
    }
    socket.set_nonblocking(true)?;
    socket.bind(&addr.into())?;
    let backlog = options.backlog.unwrap_or(DEFAULT_BACKLOG);
    socket.listen(i32::try_from(backlog).unwrap_or(i32::MAX))?;
    TcpListener::from_std(socket.into())
}

fn unavailable_family(error: &std::io::Error) -> bool {
    error.kind() == std::io::ErrorKind::AddrNotAvailable
        || error.raw_os_error() == Some(libc::EAFNOSUPPORT)
}
