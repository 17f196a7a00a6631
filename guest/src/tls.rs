//! TLS inside the guest: core's sans-I/O [`Session`] over a socket's
//! streams, with rustls and the pure-Rust RustCrypto provider (no C
//! compiler for wasm32, see the README's TLS section for the choice).
//!
//! The handshake runs over the socket's own streams before the connection
//! exists (bounded by the handshake timeout); afterwards the session is a
//! [`Layer`] (`layer.rs`) the connection holds.

use std::rc::Rc;
use std::sync::Arc;
use std::time::Duration;

use portable_streams_core::tls::{ClientOptions, Provider, Received, ServerOptions, Session};
use portable_streams_core::{Error, tls as core_tls};
use rustls::pki_types::ServerName;
use rustls::{ClientConfig, ServerConfig};
use wasip3::clocks::monotonic_clock::wait_for;
use wit_bindgen::StreamResult;

use crate::bindings::exports::portable::streams::streams as wit;
use crate::layer::Layer;
use crate::signal::{Either, race};
use crate::transport::Transport;

/// The crypto provider: RustCrypto's, pure Rust, with ChaCha20-Poly1305
/// preferred: wasm has no AES instructions, and in software ChaCha20 is
/// 5.5x faster here (193 against 35 MB/s one way, measured in wasm32 on
/// wasmtime 48), as TLS stacks on CPUs without AES hardware prefer it.
fn provider() -> Provider {
    let mut provider = rustls_rustcrypto::provider();
    provider.cipher_suites.sort_by_key(|suite| {
        !matches!(
            suite.suite(),
            rustls::CipherSuite::TLS13_CHACHA20_POLY1305_SHA256
                | rustls::CipherSuite::TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256
                | rustls::CipherSuite::TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256
        )
    });
    Arc::new(provider)
}

/// A client's TLS side, ready before any socket is touched: bad PEM or a
/// bad name fail here, as asyncio builds its `SSLContext` first.
pub(crate) struct Client {
    config: Arc<ClientConfig>,
    name: ServerName<'static>,
    options: ClientOptions,
}

impl Client {
    /// The client side for `options`, verifying the server as the
    /// options' name, else as `host`.
    pub(crate) fn new(options: &wit::ClientTlsOptions, host: Option<&str>) -> Result<Self, Error> {
        let options = ClientOptions::from(options);
        Ok(Self {
            config: options.config(provider())?,
            name: options.verified_name(host)?,
            options,
        })
    }

    /// The client handshake over `transport`.
    pub(crate) async fn connect(&self, transport: Transport) -> Result<Transport, Error> {
        let session = Session::client(self.config.clone(), self.name.clone())?;
        let timeouts = (
            self.options.handshake_timeout(),
            self.options.shutdown_timeout(),
        );
        secure(transport, session, timeouts).await
    }
}

/// A server's TLS side, made once for every client.
#[derive(Clone)]
pub(crate) struct Server {
    config: Arc<ServerConfig>,
    handshake_timeout: Duration,
    shutdown_timeout: Duration,
}

impl Server {
    /// The server side for `options`: its certificate chain and key.
    pub(crate) fn new(options: &wit::ServerTlsOptions) -> Result<Self, Error> {
        let options = ServerOptions::from(options);
        Ok(Self {
            config: options.config(provider())?,
            handshake_timeout: options.handshake_timeout(),
            shutdown_timeout: options.shutdown_timeout(),
        })
    }

    /// The server handshake with one client.
    pub(crate) async fn accept(&self, transport: Transport) -> Result<Transport, Error> {
        let session = Session::server(self.config.clone())?;
        let timeouts = (self.handshake_timeout, self.shutdown_timeout);
        secure(transport, session, timeouts).await
    }
}

/// Runs the handshake over `transport`'s streams, bounded by the first of
/// `timeouts`; the result carries the session and any plaintext that
/// came with the handshake's last flight.
async fn secure(
    mut transport: Transport,
    session: Session,
    (handshake_timeout, shutdown_timeout): (Duration, Duration),
) -> Result<Transport, Error> {
    let mut session = session;
    let mut early = Received::default();
    let nanos = u64::try_from(handshake_timeout.as_nanos()).unwrap_or(u64::MAX);
    let shake = handshake(&mut transport, &mut session, &mut early);
    match race(shake, wait_for(nanos)).await {
        Either::Left(result) => result?,
        Either::Right(()) => return Err(core_tls::handshake_timed_out(handshake_timeout)),
    }
    transport.tls = Some(Rc::new(Layer::new(session, shutdown_timeout)));
    transport.early = early;
    Ok(transport)
}

/// Sends what the session has to send and reads what it needs until the
/// handshake is done (and its last flight sent).
async fn handshake(
    transport: &mut Transport,
    session: &mut Session,
    early: &mut Received,
) -> Result<(), Error> {
    loop {
        if session.wants_write() {
            let flight = session.take_outgoing();
            let refused = transport.sink.stream.write_all(flight).await;
            if !refused.is_empty() {
                return Err(peer_left());
            }
        }
        if !session.is_handshaking() {
            return Ok(());
        }
        let Some(stream) = transport.source.stream.as_mut() else {
            return Err(peer_left());
        };
        let (result, data) = stream.read(Vec::with_capacity(16 * 1024)).await;
        if result == StreamResult::Dropped && data.is_empty() {
            return Err(peer_left());
        }
        match session.receive(&data) {
            Ok(received) => {
                early.plaintext.extend(received.plaintext);
                early.peer_closed |= received.peer_closed;
            }
            Err(error) => {
                // Tell the peer why (its alert), as far as it listens.
                let alert = session.take_outgoing();
                let _ = transport.sink.stream.write_all(alert).await;
                return Err(error);
            }
        }
    }
}

fn peer_left() -> Error {
    Error::Tls("TLS handshake failed: the peer closed the connection".into())
}
