//! `start_server` and `Server`: the push form of asyncio's server, with the
//! handler run for each client on its own task.

use std::future::Future;
use std::rc::Rc;

use crate::{Error, Family, Reader, ServerTls, SocketAddress, Writer, wit};

/// The keyword arguments of `asyncio.start_server`, as a builder.
///
/// ```
/// let options = portable_streams::ServerOptions::new().backlog(512).reuse_port(true);
/// ```
#[derive(Debug, Clone, Default)]
pub struct ServerOptions {
    limit: Option<u32>,
    family: Family,
    backlog: Option<u32>,
    reuse_address: Option<bool>,
    reuse_port: bool,
    keep_alive: bool,
    start_serving: Option<bool>,
    tls: Option<ServerTls>,
}

impl ServerOptions {
    /// asyncio's defaults: limit 64 KiB, backlog 100, serving at once.
    pub fn new() -> Self {
        Self::default()
    }

    /// Each connection's reader `limit`.
    pub fn limit(mut self, limit: u32) -> Self {
        self.limit = Some(limit);
        self
    }

    /// `family=`.
    pub fn family(mut self, family: Family) -> Self {
        self.family = family;
        self
    }

    /// `backlog`.
    pub fn backlog(mut self, backlog: u32) -> Self {
        self.backlog = Some(backlog);
        self
    }

    /// `reuse_address`.
    pub fn reuse_address(mut self, on: bool) -> Self {
        self.reuse_address = Some(on);
        self
    }

    /// `reuse_port`.
    pub fn reuse_port(mut self, on: bool) -> Self {
        self.reuse_port = on;
        self
    }

    /// `keep_alive`.
    pub fn keep_alive(mut self, on: bool) -> Self {
        self.keep_alive = on;
        self
    }

    /// `start_serving`: false binds without accepting until
    /// [`Server::start_serving`] or [`Server::serve_forever`].
    pub fn start_serving(mut self, on: bool) -> Self {
        self.start_serving = Some(on);
        self
    }

    /// `ssl=`: every client's connection is TLS; a client whose handshake
    /// fails is dropped without disturbing the server.
    pub fn tls(mut self, tls: ServerTls) -> Self {
        self.tls = Some(tls);
        self
    }

    fn into_wit(self) -> wit::ServerOptions {
        wit::ServerOptions {
            limit: self.limit,
            family: self.family.into(),
            backlog: self.backlog,
            reuse_address: self.reuse_address,
            reuse_port: self.reuse_port,
            keep_alive: self.keep_alive,
            start_serving: self.start_serving,
            tls: self.tls.map(ServerTls::into_wit),
        }
    }
}

type Handler = Rc<dyn Fn(Reader, Writer) -> std::pin::Pin<Box<dyn Future<Output = ()>>>>;

/// asyncio's `Server`: accepts clients and runs the handler for each, on
/// its own task, concurrently.
pub struct Server {
    inner: Rc<wit::Server>,
    handler: Handler,
    accepting: Rc<std::cell::Cell<bool>>,
}

/// `asyncio.start_server(client_connected_cb, host, port)`.
///
/// ```no_run
/// # async fn demo() -> Result<(), portable_streams::Error> {
/// let server = portable_streams::start_server(
///     |reader, writer| async move {
///         while let Ok(line) = reader.readline().await {
///             if line.is_empty() { break; }
///             let _ = writer.write(&line);
///         }
///         writer.close();
///     },
///     "127.0.0.1",
///     8888,
/// )
/// .await?;
/// server.serve_forever().await;
/// # Ok(()) }
/// ```
pub async fn start_server<F, Fut>(handler: F, host: &str, port: u16) -> Result<Server, Error>
where
    F: Fn(Reader, Writer) -> Fut + 'static,
    Fut: Future<Output = ()> + 'static,
{
    start_server_with(handler, &[host], port, ServerOptions::new()).await
}

/// `asyncio.start_server` with several hosts (none = all interfaces) and
/// options.
///
/// ```no_run
/// # async fn demo() -> Result<(), portable_streams::Error> {
/// use portable_streams::{ServerOptions, start_server_with};
/// let server = start_server_with(|_r, w| async move { w.close() }, &[], 0, ServerOptions::new()).await?;
/// println!("{:?}", server.sockets());
/// # Ok(()) }
/// ```
pub async fn start_server_with<F, Fut>(
    handler: F,
    hosts: &[&str],
    port: u16,
    options: ServerOptions,
) -> Result<Server, Error>
where
    F: Fn(Reader, Writer) -> Fut + 'static,
    Fut: Future<Output = ()> + 'static,
{
    let hosts = hosts.iter().map(|h| h.to_string()).collect();
    let raw = wit::start_server(hosts, port, options.into_wit()).await?;
    Ok(Server::new(raw, handler))
}

/// `asyncio.start_unix_server(client_connected_cb, path)` (host backend).
///
/// ```no_run
/// # async fn demo() -> Result<(), portable_streams::Error> {
/// let server = portable_streams::start_unix_server(|_r, w| async move { w.close() }, "/tmp/s.sock").await?;
/// # Ok(()) }
/// ```
pub async fn start_unix_server<F, Fut>(handler: F, path: &str) -> Result<Server, Error>
where
    F: Fn(Reader, Writer) -> Fut + 'static,
    Fut: Future<Output = ()> + 'static,
{
    let options = wit::UnixServerOptions {
        limit: None,
        backlog: None,
        start_serving: None,
        cleanup_socket: None,
        tls: None,
    };
    let raw = wit::start_unix_server(path.to_owned(), options).await?;
    Ok(Server::new(raw, handler))
}

impl Server {
    fn new<F, Fut>(raw: wit::Server, handler: F) -> Self
    where
        F: Fn(Reader, Writer) -> Fut + 'static,
        Fut: Future<Output = ()> + 'static,
    {
        let handler: Handler = Rc::new(move |r, w| Box::pin(handler(r, w)));
        let server = Self {
            inner: Rc::new(raw),
            handler,
            accepting: Rc::new(std::cell::Cell::new(false)),
        };
        if server.inner.is_serving() {
            server.spawn_accept_loop();
        }
        server
    }

    /// Accepts clients on a task of its own until the server closes.
    fn spawn_accept_loop(&self) {
        if self.accepting.replace(true) {
            return;
        }
        let inner = self.inner.clone();
        let handler = self.handler.clone();
        wit_bindgen::spawn_local(async move {
            while let Ok((r, w)) = inner.accept().await {
                wit_bindgen::spawn_local(handler(Reader::from_raw(r), Writer::opened(w)));
            }
        });
    }

    /// `Server.sockets`: the listening addresses.
    pub fn sockets(&self) -> Vec<SocketAddress> {
        self.inner
            .sockets()
            .into_iter()
            .filter_map(SocketAddress::from_wit)
            .collect()
    }

    /// `is_serving()`.
    pub fn is_serving(&self) -> bool {
        self.inner.is_serving()
    }

    /// `start_serving()`: start accepting (after `start_serving(false)`).
    pub fn start_serving(&self) -> Result<(), Error> {
        self.inner.start_serving()?;
        self.spawn_accept_loop();
        Ok(())
    }

    /// `serve_forever()`: start serving if needed, and wait until the server
    /// is closed.
    pub async fn serve_forever(&self) {
        if self.start_serving().is_ok() {
            self.inner.wait_closed().await;
        }
    }

    /// `close()`: stop listening; connected clients stay up.
    pub fn close(&self) {
        self.inner.close()
    }

    /// `wait_closed()`: until closed and every client connection closed.
    pub async fn wait_closed(&self) {
        self.inner.wait_closed().await
    }

    /// `close_clients()`.
    pub fn close_clients(&self) {
        self.inner.close_clients()
    }

    /// `abort_clients()`.
    pub fn abort_clients(&self) {
        self.inner.abort_clients()
    }
}
