//! `serve`: the push form of asyncio's `client_connected_cb`. Connections
//! are accepted natively and handed to the component's exported
//! `portable:streams/handler.handle-client`, concurrently.
//!
//! By default each connection gets a fresh instance (as `wasmtime serve`
//! does per request; use the pooling allocator to keep that cheap), so a
//! trap closes that connection and touches no other. With a shared
//! instance every connection is served by one instance; a trap replaces it
//! for the connections that come after.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use futures::stream::FuturesUnordered;
use tokio::net::{TcpListener, UnixListener};
use tokio::sync::{Semaphore, mpsc};
use tokio::task::JoinSet;
use wasmtime::component::{Component, Linker};
use wasmtime::{Engine, Store};

use portable_streams_core::caps::SharedCap;
use portable_streams_core::server::{ACCEPT_RETRY_DELAY, AcceptFailure};

use crate::native::accept_failure;
use crate::native::unix::SocketFile;
use crate::native::{self, Accepted, NativeView};
use crate::policy::Policy;
use crate::run::{Backend, RunError};
use crate::state::{HostState, limited_store};

mod bindings {
    wasmtime::component::bindgen!({
        path: "wit",
        world: "portable:streams/served",
        exports: { default: async | store },
        with: {
            "portable:streams/streams": crate::native::bindings::streams,
        },
    });
}

use bindings::ServedPre;

/// The backlog of `serve`'s listening socket.
const BACKLOG: u32 = 1024;

/// Where `serve` listens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ListenAddress {
    /// A TCP address, `HOST:PORT` (port 0 picks one).
    Tcp(std::net::SocketAddr),
    /// A Unix socket path.
    Unix(PathBuf),
}

impl std::str::FromStr for ListenAddress {
    type Err = String;

    /// `HOST:PORT` or `unix:PATH`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if let Some(path) = s.strip_prefix("unix:") {
            if path.is_empty() {
                return Err("unix: needs a path, e.g. unix:/tmp/echo.sock".into());
            }
            return Ok(Self::Unix(path.into()));
        }
        s.parse().map(Self::Tcp).map_err(|_| {
            format!("{s:?} is not HOST:PORT (e.g. 127.0.0.1:8888 or [::1]:8888) or unix:PATH")
        })
    }
}

impl std::fmt::Display for ListenAddress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Tcp(addr) => write!(f, "{addr}"),
            Self::Unix(path) => write!(f, "unix:{}", path.display()),
        }
    }
}

/// How to serve.
#[derive(Debug, Clone)]
pub struct ServeConfig {
    /// Where to listen.
    pub listen: ListenAddress,
    /// One instance for all connections instead of one per connection.
    pub shared_instance: bool,
    /// The component's own sandbox (for connections it opens itself).
    pub policy: Arc<Policy>,
    /// How long open connections may run on after Ctrl-C.
    pub grace_period: Duration,
    /// Per-connection mode: how many connections are served at once (one
    /// instance each; the engine's pool must hold that many). Past it,
    /// accepting pauses and new clients wait in the listen backlog until an
    /// instance frees: nobody is reset because the server is busy. None =
    /// unbounded (on-demand allocation).
    pub max_instances: Option<u32>,
    /// Close a connection whose handler has waited this long for data (its
    /// read fails with `timeout`); None = wait for ever.
    pub idle_timeout: Option<Duration>,
    /// Set `SO_REUSEPORT` on the TCP listener, so several processes can
    /// serve one port.
    pub reuse_port: bool,
}

/// Why serving could not start.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// The listening socket could not be set up.
    #[error("cannot listen on {address}: {reason}")]
    Listen {
        /// The address as given.
        address: String,
        /// The OS's reason.
        reason: String,
    },
    /// The component does not export the handler interface.
    #[error("the component cannot be served: it does not export portable:streams/handler ({0})")]
    NotAHandler(String),
    /// Compiling or linking failed.
    #[error(transparent)]
    Run(#[from] RunError),
}

/// `serve`'s listening socket.
enum Listener {
    Tcp(TcpListener),
    Unix(UnixListener, Option<SocketFile>),
}

impl Listener {
    fn bind(address: &ListenAddress, reuse_port: bool) -> Result<(Self, String), ServeError> {
        let fail = |reason: String| ServeError::Listen {
            address: address.to_string(),
            reason,
        };
        let io = |e: std::io::Error| match e.kind() {
            std::io::ErrorKind::AddrInUse => "address already in use".to_owned(),
            _ => e.to_string(),
        };
        match address {
            ListenAddress::Tcp(addr) => {
                let listener = bind_tcp(*addr, reuse_port).map_err(|e| fail(io(e)))?;
                let shown = listener.local_addr().map_err(|e| fail(io(e)))?;
                Ok((Self::Tcp(listener), shown.to_string()))
            }
            ListenAddress::Unix(_) if reuse_port => {
                Err(fail("--reuse-port applies to TCP addresses only".into()))
            }
            ListenAddress::Unix(path) => {
                let (listener, file) =
                    native::unix::bind(path, BACKLOG).map_err(|e| fail(e.to_string()))?;
                Ok((Self::Unix(listener, Some(file)), address.to_string()))
            }
        }
    }

    async fn accept(&self) -> std::io::Result<Accepted> {
        match self {
            Self::Tcp(listener) => Ok(Accepted::Tcp(listener.accept().await?.0)),
            Self::Unix(listener, _) => Ok(Accepted::Unix(listener.accept().await?.0)),
        }
    }
}

/// A TCP listener as the standard library's, plus `SO_REUSEPORT` when
/// asked: several `serve` processes on one port share its clients (the
/// kernel spreads them), which is how `serve` uses more than one core
/// with `--shared-instance`.
fn bind_tcp(addr: std::net::SocketAddr, reuse_port: bool) -> std::io::Result<TcpListener> {
    use socket2::{Domain, Protocol, Socket, Type};
    let socket = Socket::new(Domain::for_address(addr), Type::STREAM, Some(Protocol::TCP))?;
    socket.set_reuse_address(true)?;
    if reuse_port {
        socket.set_reuse_port(true)?;
    }
    socket.set_nonblocking(true)?;
    socket.bind(&addr.into())?;
    socket.listen(BACKLOG as i32)?;
    TcpListener::from_std(socket.into())
}

impl Drop for Listener {
    fn drop(&mut self) {
        if let Self::Unix(_, file) = self
            && let Some(file) = file.take()
        {
            file.remove();
        }
    }
}

/// Checks that `component` can be served: links it with WASI and the
/// native backing and finds its handler export.
pub fn prepare(engine: &Engine, component: &Component) -> Result<ServedPre<HostState>, ServeError> {
    let linker: Linker<HostState> = crate::run::linker(engine, Backend::Native)
        .map_err(|e| RunError::Link(format!("{e:#}")))?;
    let pre = linker
        .instantiate_pre(component)
        .map_err(|e| RunError::Link(format!("{e:#}")))?;
    ServedPre::new(pre).map_err(|e| ServeError::NotAHandler(format!("{e:#}")))
}

/// Serves `component` until Ctrl-C; prints `Serving on ADDRESS` first.
pub async fn serve(
    engine: &Engine,
    component: &Component,
    config: ServeConfig,
) -> Result<(), ServeError> {
    let pre = prepare(engine, component)?;
    let (listener, shown) = Listener::bind(&config.listen, config.reuse_port)?;
    // Installed before "Serving on" is printed, so a Ctrl-C that follows it
    // at once is handled, not fatal.
    let mut interrupt = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::interrupt())
        .map_err(|e| ServeError::Listen {
        address: shown.clone(),
        reason: format!("cannot handle Ctrl-C: {e}"),
    })?;
    println!("Serving on {shown}");
    tracing::info!(address = %shown, shared = config.shared_instance, "serving");

    let handler = Handler {
        engine: engine.clone(),
        pre,
        policy: config.policy.clone(),
        idle_timeout: config.idle_timeout,
        sockets: component_sockets(&config),
    };
    let mut connections = JoinSet::new();
    let shared = config.shared_instance.then(|| {
        let (tx, rx) = mpsc::unbounded_channel();
        connections.spawn(handler.clone().shared_instance(rx));
        tx
    });
    // Per-connection mode takes a slot before accepting, so a full pool
    // pauses accepting instead of failing to instantiate for a client it
    // already took (which reset that client).
    let slots = (!config.shared_instance)
        .then_some(config.max_instances)
        .flatten()
        .map(|n| Arc::new(Semaphore::new(n.max(1) as usize)));
    let mut busy = false;
    // Whether accepts are failing (one warning per episode, never a flood).
    let mut accept_failing = false;
    loop {
        let slot = match &slots {
            None => None,
            Some(slots) => {
                if slots.available_permits() == 0 && !std::mem::replace(&mut busy, true) {
                    tracing::warn!(
                        "every instance is busy; new clients wait in the listen backlog until one frees"
                    );
                }
                tokio::select! {
                    _ = interrupt.recv() => break,
                    slot = slots.clone().acquire_owned() => Some(slot.expect("the semaphore is never closed")),
                    Some(_) = connections.join_next(), if !connections.is_empty() => continue,
                }
            }
        };
        if slots.as_ref().is_some_and(|s| s.available_permits() > 0) {
            busy = false;
        }
        tokio::select! {
            _ = interrupt.recv() => break,
            accepted = listener.accept() => match accepted.inspect(|_| {
                if std::mem::replace(&mut accept_failing, false) {
                    tracing::info!("accepting again");
                }
            }) {
                Ok(conn) => match &shared {
                    Some(tx) => {
                        if tx.send(conn).is_err() {
                            tracing::error!("the shared instance is gone; stopping");
                            break;
                        }
                    }
                    None => {
                        let serving = handler.clone().own_instance(conn);
                        // The slot is held until the connection is served.
                        connections.spawn(async move {
                            serving.await;
                            drop(slot);
                        });
                    }
                },
                Err(error) => {
                    if !std::mem::replace(&mut accept_failing, true) {
                        tracing::warn!(%error, "accept failed; retrying (logged once until an accept succeeds)");
                    }
                    // Out of descriptors or memory: not in a hot loop.
                    if accept_failure(&error) == AcceptFailure::OutOfResources {
                        tokio::select! {
                            _ = interrupt.recv() => break,
                            _ = tokio::time::sleep(ACCEPT_RETRY_DELAY) => {}
                        }
                    }
                    continue;
                }
            },
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
    tracing::info!(
        grace = ?config.grace_period,
        "stopping: no new connections; open ones may finish"
    );
    drop(listener);
    drop(shared);
    let finish = async { while connections.join_next().await.is_some() {} };
    if tokio::time::timeout(config.grace_period, finish)
        .await
        .is_err()
    {
        tracing::warn!("grace period over; closing the remaining connections");
    }
    Ok(())
}

/// The cap on the sockets all handler instances open in all, whatever the
/// door: what the open-file limit leaves beside the clients served at once
/// (half of it when their number is unbounded) and the files the process
/// keeps for itself. A handler that opens sockets until it is refused then
/// leaves `accept` its descriptors.
fn component_sockets(config: &ServeConfig) -> Option<SharedCap> {
    let files = crate::system::open_file_limit()?;
    let clients = config.max_instances.map_or(files / 2, u64::from);
    let max = crate::system::component_sockets_within_files(files, clients);
    let per_instance = config.policy.max_connections().unwrap_or(0) as u64;
    if max < per_instance {
        tracing::warn!(
            "handler instances may open only {max} sockets in all: this process may open \
             {files} files (ulimit -n) and keeps {clients} for clients; lower --max-instances \
             for more"
        );
    } else {
        tracing::info!("handler instances may open {max} sockets in all");
    }
    Some(SharedCap::new(
        usize::try_from(max).unwrap_or(usize::MAX),
        format!("the rest of its {files} open files is kept for serving clients"),
    ))
}

/// What serving one connection needs: the handler, ready to instantiate,
/// and how to run it.
#[derive(Clone)]
struct Handler {
    engine: Engine,
    pre: ServedPre<HostState>,
    policy: Arc<Policy>,
    idle_timeout: Option<Duration>,
    /// The cap across instances on the sockets they open themselves.
    sockets: Option<SharedCap>,
}

impl Handler {
    /// A store for one instance of the handler, under the policy, its
    /// sockets also under the cap across instances.
    fn new_store(&self) -> Store<HostState> {
        let mut account = crate::sockets::SocketAccount::new(&self.policy);
        if let Some(shared) = &self.sockets {
            account = account.sharing(shared.clone());
        }
        let mut builder =
            crate::wasi::builder(self.policy.clone(), &["handler".to_owned()], &account);
        builder.inherit_stdout().inherit_stderr();
        limited_store(
            &self.engine,
            HostState::new(builder.build(), self.policy.clone(), account),
        )
    }

    /// Serves one connection in an instance of its own.
    async fn own_instance(self, conn: Accepted) {
        let deadline = self.policy.component_limits().deadline;
        let mut store = self.new_store();
        // The epoch (the store's deadline) stops a handler that never yields;
        // the timer, one that waits. Either way the store, and with it the
        // connection, is dropped. Each arm boxes its own serving future: the
        // compiler lays the two arms' futures side by side in this one's
        // state, so unboxed an idle connection's task held both (4.7 KiB).
        let result = match deadline {
            None => Box::pin(self.serve_in(&mut store, conn)).await,
            Some(deadline) => {
                let serving = tokio::time::timeout(deadline, self.serve_in(&mut store, conn));
                match Box::pin(serving).await {
                    Ok(result) => result,
                    Err(_) => {
                        tracing::warn!(
                            ?deadline,
                            "the handler ran past its deadline; its connection is closed"
                        );
                        return;
                    }
                }
            }
        };
        if let Err(error) = result {
            tracing::error!("the handler failed; its connection is closed: {error:#}");
        }
    }

    /// Instantiates the handler in `store` and has it handle `conn`.
    async fn serve_in(&self, store: &mut Store<HostState>, conn: Accepted) -> wasmtime::Result<()> {
        // Boxed: its state (1.2 KiB) is freed once the instance is made,
        // not kept beside the call's for the connection's life.
        let served = Box::pin(self.pre.instantiate_async(&mut *store)).await?;
        let (reader, writer) =
            native::adopt(&mut store.data_mut().native(), conn, self.idle_timeout)?;
        store
            .run_concurrent(async move |accessor| {
                served
                    .portable_streams_handler()
                    .call_handle_client(accessor, reader, writer)
                    .await
            })
            .await?
    }

    /// Serves every connection from one instance, replacing it after a trap.
    async fn shared_instance(self, mut incoming: mpsc::UnboundedReceiver<Accepted>) {
        let idle_timeout = self.idle_timeout;
        loop {
            let mut store = self.new_store();
            let served = match self.pre.instantiate_async(&mut store).await {
                Ok(served) => served,
                Err(error) => {
                    tracing::error!("cannot instantiate the handler: {error:#}");
                    return;
                }
            };
            let incoming = &mut incoming;
            let outcome = store
            .run_concurrent(async move |accessor| {
                let mut calls = FuturesUnordered::new();
                loop {
                    tokio::select! {
                        conn = incoming.recv() => {
                            let Some(conn) = conn else { break };
                            let (reader, writer) = accessor
                                .with(|mut access| native::adopt(&mut access.data_mut().native(), conn, idle_timeout))?;
                            calls.push(
                                served
                                    .portable_streams_handler()
                                    .call_handle_client(accessor, reader, writer),
                            );
                        }
                        Some(result) = calls.next(), if !calls.is_empty() => result?,
                    }
                }
                while let Some(result) = calls.next().await {
                    result?;
                }
                wasmtime::Result::Ok(())
            })
            .await;
            match outcome {
                Ok(Ok(())) => return,
                Ok(Err(error)) | Err(error) => {
                    tracing::error!("the shared instance trapped; starting a new one: {error:#}");
                }
            }
        }
    }
}
