//! TLS on the native backend: core's TLS layer (its sides, handshake and
//! [`Layer`](portable_streams_core::tls::Layer), the same as the guest's)
//! with rustls's `ring` provider. This file only picks the provider and
//! moves the handshake's bytes over a transport's halves; the connection
//! holds the layer (`conn/`).
//!
//! asyncio's rules, kept in core: certificates are verified by default
//! (the server name is `server_hostname`, else the host connected to; an
//! IP address is checked against the certificate's IP addresses), trust
//! is the web PKI roots plus any given; the handshake is bounded (60 s by
//! default) and a failure is the typed `tls` error naming its cause; a
//! peer that closes without `close_notify` reads as EOF (CPython's
//! `suppress_ragged_eofs`).

use std::io;
use std::time::Duration;

use portable_streams_core::Error;
use portable_streams_core::tls::{self as core_tls, HandshakeIo, Provider, Side};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::transport::Transport;
use super::wit;

pub(crate) fn provider() -> Provider {
    std::sync::Arc::new(rustls::crypto::ring::default_provider())
}

/// The server side for `options` with this backend's provider.
pub(crate) fn server(options: &wit::ServerTlsOptions) -> Result<Side, Error> {
    Side::server(options, provider())
}

/// `side`'s handshake over `transport`'s halves: the transport then
/// carries the layer, and any plaintext that came with the last flight.
pub(crate) async fn secure(mut transport: Transport, side: &Side) -> Result<Transport, Error> {
    let sleep = |nanos| tokio::time::sleep(Duration::from_nanos(nanos));
    let (layer, early) = core_tls::handshake(&mut Halves(&mut transport), side, sleep).await?;
    transport.tls = Some(layer);
    transport.early = early;
    Ok(transport)
}

/// A transport's halves, for the handshake.
struct Halves<'a>(&'a mut Transport);

/// The socket failing under a handshake, as core reports it.
fn io_error(error: io::Error) -> Error {
    let closed = error.kind() == io::ErrorKind::UnexpectedEof;
    core_tls::transport_failed((!closed).then(|| Error::from(error)))
}

impl HandshakeIo for Halves<'_> {
    async fn send(&mut self, flight: Vec<u8>) -> Result<(), Error> {
        self.0.sink.write_all(&flight).await.map_err(io_error)?;
        self.0.sink.flush().await.map_err(io_error)
    }

    async fn receive(&mut self) -> Result<Vec<u8>, Error> {
        let mut data = vec![0; 16 * 1024];
        let n = self.0.source.read(&mut data).await.map_err(io_error)?;
        data.truncate(n);
        Ok(data)
    }
}
