//! TLS as a layer over a byte stream (rustls through tokio-rustls, the
//! `ring` provider): a handshake turns a connected socket into a
//! [`Transport`] whose halves carry plaintext, with `ssl_object`'s details.
//!
//! asyncio's rules kept: certificates are verified by default (the server
//! name is `server_hostname`, else the host connected to; an IP address is
//! checked against the certificate's IP addresses), trust is the web PKI
//! roots plus any given; the handshake is bounded (60 s by default) and a
//! failure is the typed `tls` error naming its cause; a peer that closes
//! without `close_notify` reads as EOF (CPython's `suppress_ragged_eofs`).

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use portable_streams_core::Error;
use portable_streams_core::tls::{self as core_tls, ClientOptions, Provider, ServerOptions};
use rustls::CommonState;
use rustls::pki_types::ServerName;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio_rustls::{TlsAcceptor, TlsConnector};

use super::transport::{Ends, Secured, Sink, Source, Transport};
use super::wit;

/// A stream TLS can run over.
pub(crate) trait Stream: AsyncRead + AsyncWrite + Unpin + Send + 'static {}
impl<S: AsyncRead + AsyncWrite + Unpin + Send + 'static> Stream for S {}

fn provider() -> Provider {
    std::sync::Arc::new(rustls::crypto::ring::default_provider())
}

/// A handshake failure: rustls's own is core's `tls` error; the socket
/// failing under the handshake keeps its own case.
fn handshake_error(error: io::Error) -> Error {
    let tls = error
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<rustls::Error>());
    match tls {
        Some(cause) => core_tls::handshake_error(cause),
        None if error.kind() == io::ErrorKind::UnexpectedEof => {
            Error::Tls("TLS handshake failed: the peer closed the connection".into())
        }
        None => Error::from(error).context("TLS handshake"),
    }
}

/// Bounds `handshake` by `timeout`, as asyncio's `ssl_handshake_timeout`.
async fn bounded<T>(
    timeout: Duration,
    handshake: impl Future<Output = io::Result<T>>,
) -> Result<T, Error> {
    tokio::time::timeout(timeout, handshake)
        .await
        .map_err(|_| core_tls::handshake_timed_out(timeout))?
        .map_err(handshake_error)
}

/// A client's TLS side, ready before any socket is touched (as asyncio
/// makes its `SSLContext` first): bad PEM or a bad name fail here.
pub(crate) struct Connector {
    connector: TlsConnector,
    name: ServerName<'static>,
    timeout: Duration,
    shutdown_timeout: Duration,
}

impl Connector {
    /// The client side for `options`, verifying the server as the
    /// options' name, else as `host`.
    pub(crate) fn new(options: &wit::ClientTlsOptions, host: Option<&str>) -> Result<Self, Error> {
        let options = ClientOptions::from(options);
        Ok(Self {
            connector: TlsConnector::from(options.config(provider())?),
            name: options.verified_name(host)?,
            timeout: options.handshake_timeout(),
            shutdown_timeout: options.shutdown_timeout(),
        })
    }

    /// The client handshake over `stream`.
    pub(crate) async fn connect<S: Stream>(
        &self,
        stream: S,
        ends: Ends,
    ) -> Result<Transport, Error> {
        let handshake = self.connector.connect(self.name.clone(), stream);
        let tls = bounded(self.timeout, handshake).await?;
        let secured = secured(tls.get_ref().1, self.shutdown_timeout);
        Ok(transport(tls, ends, secured))
    }
}

/// A server's TLS side, ready for each accepted client.
#[derive(Clone)]
pub(crate) struct Acceptor {
    acceptor: TlsAcceptor,
    timeout: Duration,
    shutdown_timeout: Duration,
}

impl Acceptor {
    /// The server side for `options`: its certificate chain and key.
    pub(crate) fn new(options: &wit::ServerTlsOptions) -> Result<Self, Error> {
        let options = ServerOptions::from(options);
        Ok(Self {
            acceptor: TlsAcceptor::from(options.config(provider())?),
            timeout: options.handshake_timeout(),
            shutdown_timeout: options.shutdown_timeout(),
        })
    }

    /// The server handshake with one client.
    pub(crate) async fn accept<S: Stream>(
        &self,
        stream: S,
        ends: Ends,
    ) -> Result<Transport, Error> {
        let tls = bounded(self.timeout, self.acceptor.accept(stream)).await?;
        let secured = secured(tls.get_ref().1, self.shutdown_timeout);
        Ok(transport(tls, ends, secured))
    }
}

/// The plaintext halves of an established TLS stream.
fn transport<T: AsyncRead + AsyncWrite + Send + 'static>(
    tls: T,
    ends: Ends,
    secured: Secured,
) -> Transport {
    let (source, sink) = tokio::io::split(tls);
    let source: Source = Box::pin(RaggedEof(source));
    Transport {
        peer: ends.peer,
        local: ends.local,
        tls: Some(secured),
        ..Transport::new(source, Box::pin(sink))
    }
}

/// What the handshake established: `ssl_object`'s details, and the
/// connection's shutdown timeout.
fn secured(state: &CommonState, shutdown_timeout: Duration) -> Secured {
    Secured {
        details: core_tls::details(state),
        shutdown_timeout,
    }
}

/// A transport's two halves as one stream, for a handshake over a
/// connection that was plain until now (`start_tls`).
pub(crate) struct Joined {
    source: Source,
    sink: Sink,
}

impl Joined {
    /// The halves, joined.
    pub(crate) fn new(source: Source, sink: Sink) -> Self {
        Self { source, sink }
    }
}

impl AsyncRead for Joined {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        self.source.as_mut().poll_read(cx, buf)
    }
}

impl AsyncWrite for Joined {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.sink.as_mut().poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.sink.as_mut().poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.sink.as_mut().poll_shutdown(cx)
    }
}

/// A TLS source on which a peer's close without `close_notify` reads as
/// EOF, as CPython's default `suppress_ragged_eofs` has it.
struct RaggedEof<R>(R);

impl<R: AsyncRead + Unpin> AsyncRead for RaggedEof<R> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        match Pin::new(&mut self.0).poll_read(cx, buf) {
            Poll::Ready(Err(e)) if e.kind() == io::ErrorKind::UnexpectedEof => Poll::Ready(Ok(())),
            other => other,
        }
    }
}
