//! The two sides a TLS session can take, ready before any socket is
//! touched (as asyncio builds its `SSLContext` first: bad PEM or a bad
//! name fail here), each making one [`Session`] per connection.

use std::sync::Arc;
use std::time::Duration;

use rustls::pki_types::ServerName;
use rustls::{ClientConfig, ServerConfig};

use super::{ClientOptions, Provider, ServerOptions, Session};
use crate::Error;

/// How long a session's handshake and its closing may take.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Timeouts {
    /// `ssl_handshake_timeout`.
    pub handshake: Duration,
    /// `ssl_shutdown_timeout`.
    pub shutdown: Duration,
}

/// A client side: the configuration and the name to verify.
#[derive(Clone, Debug)]
pub struct Client {
    config: Arc<ClientConfig>,
    name: ServerName<'static>,
    timeouts: Timeouts,
}

impl Client {
    /// The client side for `options` under `provider`, verifying the
    /// server as the options' name, else as `host`.
    pub fn new(
        options: &ClientOptions,
        host: Option<&str>,
        provider: Provider,
    ) -> Result<Self, Error> {
        Ok(Self {
            config: options.config(provider)?,
            name: options.verified_name(host)?,
            timeouts: Timeouts {
                handshake: options.handshake_timeout(),
                shutdown: options.shutdown_timeout(),
            },
        })
    }
}

/// A server side: its certificate chain and key, for every client.
#[derive(Clone, Debug)]
pub struct Server {
    config: Arc<ServerConfig>,
    timeouts: Timeouts,
}

impl Server {
    /// The server side for `options` under `provider`.
    pub fn new(options: &ServerOptions, provider: Provider) -> Result<Self, Error> {
        Ok(Self {
            config: options.config(provider)?,
            timeouts: Timeouts {
                handshake: options.handshake_timeout(),
                shutdown: options.shutdown_timeout(),
            },
        })
    }
}

/// Either side, for a handshake.
#[derive(Clone, Debug)]
pub enum Side {
    /// A client, verifying the server.
    Client(Client),
    /// A server.
    Server(Server),
}

impl Side {
    /// The client side for a binding's `client-tls-options` (anything core's
    /// [`ClientOptions`] converts from), verifying the server as the
    /// options' name, else as `host`.
    pub fn client<O>(options: &O, host: Option<&str>, provider: Provider) -> Result<Self, Error>
    where
        for<'a> ClientOptions: From<&'a O>,
    {
        Ok(Client::new(&ClientOptions::from(options), host, provider)?.into())
    }

    /// The client side for `open_connection`'s `ssl=`: none for a plain
    /// connection; see [`client`](Self::client).
    pub fn client_for<O>(
        ssl: Option<&O>,
        host: Option<&str>,
        provider: Provider,
    ) -> Result<Option<Self>, Error>
    where
        for<'a> ClientOptions: From<&'a O>,
    {
        ssl.map(|options| Self::client(options, host, provider))
            .transpose()
    }

    /// The server side for a binding's `server-tls-options`.
    pub fn server<O>(options: &O, provider: Provider) -> Result<Self, Error>
    where
        for<'a> ServerOptions: From<&'a O>,
    {
        Ok(Server::new(&ServerOptions::from(options), provider)?.into())
    }

    /// A new session on this side.
    pub fn session(&self) -> Result<Session, Error> {
        match self {
            Side::Client(client) => Session::client(client.config.clone(), client.name.clone()),
            Side::Server(server) => Session::server(server.config.clone()),
        }
    }

    /// Its handshake and shutdown bounds.
    pub fn timeouts(&self) -> Timeouts {
        match self {
            Side::Client(client) => client.timeouts,
            Side::Server(server) => server.timeouts,
        }
    }
}

impl From<Client> for Side {
    fn from(client: Client) -> Self {
        Side::Client(client)
    }
}

impl From<Server> for Side {
    fn from(server: Server) -> Self {
        Side::Server(server)
    }
}
