//! `serve`: the push form of asyncio's `client_connected_cb`. Connections
//! are accepted natively and handed to the component's exported
//! `portable:streams/handler.handle-client`, concurrently.
//!
//! By default each connection gets a fresh instance (as `wasmtime serve`
//! does per request), so a trap closes that connection and touches no
//! other. With a shared instance every connection is served by one
//! instance; a trap replaces it for the connections that come after.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use futures::stream::FuturesUnordered;
use tokio::net::{TcpListener, UnixListener};
use tokio::sync::mpsc;
use tokio::task::JoinSet;
use wasmtime::component::{Component, Linker};
use wasmtime::{Engine, Store};

use crate::native::{self, Accepted};
use crate::policy::Policy;
use crate::run::RunError;
use crate::state::HostState;

mod bindings {
    wasmtime::component::bindgen!({
        path: "../wit",
        world: "served",
        exports: { default: async | store },
        with: {
            "portable:streams/streams": crate::native::bindings::portable::streams::streams,
        },
    });
}

use bindings::ServedPre;

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
        s.parse()
            .map(Self::Tcp)
            .map_err(|_| format!("{s:?} is not HOST:PORT (e.g. 127.0.0.1:8888) or unix:PATH"))
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
}

/// Why serving failed before it started.
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
    /// The component is not a served handler.
    #[error("the component cannot be served: it does not export portable:streams/handler ({0})")]
    NotAHandler(String),
    /// Compilation or linking failed.
    #[error(transparent)]
    Run(#[from] RunError),
}

enum Listener {
    Tcp(TcpListener),
    Unix(UnixListener, PathBuf),
}

impl Listener {
    async fn bind(address: &ListenAddress) -> Result<(Self, String), ServeError> {
        let fail = |e: std::io::Error| ServeError::Listen {
            address: match address {
                ListenAddress::Tcp(a) => a.to_string(),
                ListenAddress::Unix(p) => format!("unix:{}", p.display()),
            },
            reason: match e.kind() {
                std::io::ErrorKind::AddrInUse => "address in use".to_owned(),
                _ => e.to_string(),
            },
        };
        match address {
            ListenAddress::Tcp(addr) => {
                let l = TcpListener::bind(addr).await.map_err(fail)?;
                let shown = l.local_addr().map_err(fail)?.to_string();
                Ok((Self::Tcp(l), shown))
            }
            ListenAddress::Unix(path) => {
                let l = UnixListener::bind(path).map_err(fail)?;
                Ok((Self::Unix(l, path.clone()), format!("unix:{}", path.display())))
            }
        }
    }

    async fn accept(&self) -> std::io::Result<Accepted> {
        match self {
            Self::Tcp(l) => {
                let (s, _) = l.accept().await?;
                let _ = s.set_nodelay(true);
                Ok(Accepted::Tcp(s))
            }
            Self::Unix(l, _) => Ok(Accepted::Unix(l.accept().await?.0)),
        }
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        if let Self::Unix(_, path) = self {
            let _ = std::fs::remove_file(path);
        }
    }
}

fn new_store(engine: &Engine, policy: &Arc<Policy>) -> Store<HostState> {
    let wasi = crate::wasi::builder(policy.clone(), &["handler".to_owned()])
        .inherit_stdout()
        .inherit_stderr()
        .build();
    Store::new(engine, HostState::new(wasi, policy.clone()))
}

/// Serves `component` until Ctrl-C; prints `Serving on ADDRESS` first.
pub async fn serve(engine: &Engine, component: &Component, config: ServeConfig) -> Result<(), ServeError> {
    let mut linker: Linker<HostState> = crate::run::linker(engine, crate::run::Backend::Native)
        .map_err(|e| RunError::Link(format!("{e:#}")))?;
    linker.allow_shadowing(true);
    let pre = linker
        .instantiate_pre(component)
        .map_err(|e| RunError::Link(format!("{e:#}")))?;
    let pre = ServedPre::new(pre).map_err(|e| ServeError::NotAHandler(format!("{e:#}")))?;
    let (listener, shown) = Listener::bind(&config.listen).await?;
    println!("Serving on {shown}");
    tracing::info!(address = %shown, shared = config.shared_instance, "serving");

    let mut connections = JoinSet::new();
    let shared = config.shared_instance.then(|| {
        let (tx, rx) = mpsc::unbounded_channel();
        connections.spawn(shared_instance(engine.clone(), pre.clone(), config.policy.clone(), rx));
        tx
    });
    let ctrl_c = tokio::signal::ctrl_c();
    tokio::pin!(ctrl_c);
    loop {
        tokio::select! {
            _ = &mut ctrl_c => break,
            accepted = listener.accept() => match accepted {
                Ok(conn) => match &shared {
                    Some(tx) => {
                        let _ = tx.send(conn);
                    }
                    None => {
                        connections.spawn(own_instance(engine.clone(), pre.clone(), config.policy.clone(), conn));
                    }
                },
                Err(err) => tracing::warn!("accept failed: {err}"),
            },
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
    tracing::info!("stopping: no new connections; open ones have {:?}", config.grace_period);
    drop(listener);
    drop(shared);
    let drain = async { while connections.join_next().await.is_some() {} };
    if tokio::time::timeout(config.grace_period, drain).await.is_err() {
        tracing::warn!("grace period over; closing the remaining connections");
    }
    Ok(())
}

/// Serves one connection in an instance of its own.
async fn own_instance(engine: Engine, pre: ServedPre<HostState>, policy: Arc<Policy>, conn: Accepted) {
    let mut store = new_store(&engine, &policy);
    let result = async {
        let served = pre.instantiate_async(&mut store).await?;
        let (reader, writer) = native::adopt(store.data_mut(), conn)?;
        store
            .run_concurrent(async move |acc| {
                served
                    .portable_streams_handler()
                    .call_handle_client(acc, reader, writer)
                    .await
            })
            .await?
    }
    .await;
    if let Err(err) = result {
        tracing::error!("handler failed; its connection is closed: {err:#}");
    }
}

/// Serves every connection from one instance, replacing it after a trap.
async fn shared_instance(
    engine: Engine,
    pre: ServedPre<HostState>,
    policy: Arc<Policy>,
    mut rx: mpsc::UnboundedReceiver<Accepted>,
) {
    loop {
        let mut store = new_store(&engine, &policy);
        let served = match pre.instantiate_async(&mut store).await {
            Ok(s) => s,
            Err(err) => {
                tracing::error!("cannot instantiate the handler: {err:#}");
                return;
            }
        };
        let rx = &mut rx;
        let outcome = store
            .run_concurrent(async move |acc| {
                let mut calls = FuturesUnordered::new();
                loop {
                    tokio::select! {
                        conn = rx.recv() => {
                            let Some(conn) = conn else { break };
                            let (reader, writer) = acc.with(|mut s| native::adopt(s.data_mut(), conn))?;
                            calls.push(served.portable_streams_handler().call_handle_client(acc, reader, writer));
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
            Ok(Err(err)) | Err(err) => {
                tracing::error!("the shared instance trapped; starting a new one: {err:#}");
            }
        }
    }
}
