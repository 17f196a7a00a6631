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
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use portable_streams_core::Error;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use rustls::{ClientConfig, CommonState, RootCertStore, ServerConfig};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio_rustls::{TlsAcceptor, TlsConnector};

use super::conv::duration;
use super::transport::{Ends, Sink, Source, Transport};
use super::wit;

/// asyncio's `ssl_handshake_timeout` default.
pub(crate) const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(60);
/// asyncio's `ssl_shutdown_timeout` default: how long closing may wait for
/// `close_notify` to be sent.
pub(crate) const SHUTDOWN_TIMEOUT: Duration = Duration::from_secs(30);

/// A stream TLS can run over.
pub(crate) trait Stream: AsyncRead + AsyncWrite + Unpin + Send + 'static {}
impl<S: AsyncRead + AsyncWrite + Unpin + Send + 'static> Stream for S {}

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// Every certificate in `pem`, or `tls` naming what is wrong.
fn certificates(pem: &str, what: &str) -> Result<Vec<CertificateDer<'static>>, Error> {
    let found: Result<Vec<_>, _> = CertificateDer::pem_slice_iter(pem.as_bytes()).collect();
    let found = found.map_err(|e| Error::Tls(format!("bad PEM in {what}: {e}")))?;
    if found.is_empty() {
        return Err(Error::Tls(format!("no PEM certificate in {what}")));
    }
    Ok(found)
}

/// ALPN protocol names as rustls takes them.
fn alpn(protocols: &[String]) -> Vec<Vec<u8>> {
    protocols.iter().map(|p| p.as_bytes().to_vec()).collect()
}

/// The client side's configuration: web PKI roots plus the extra ones,
/// and the ALPN protocols offered.
fn client_config(options: &wit::ClientTlsOptions) -> Result<ClientConfig, Error> {
    let mut roots = RootCertStore::from_iter(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    for pem in &options.extra_root_certificates {
        for cert in certificates(pem, "extra-root-certificates")? {
            roots
                .add(cert)
                .map_err(|e| Error::Tls(format!("unusable root certificate: {e}")))?;
        }
    }
    let mut config = ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(|e| Error::Tls(e.to_string()))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    config.alpn_protocols = alpn(&options.alpn_protocols);
    Ok(config)
}

/// A handshake failure as asyncio reports it: a certificate problem or
/// another TLS alert is `tls` naming it; the socket failing under the
/// handshake keeps its own case.
fn handshake_error(error: io::Error) -> Error {
    let tls = error
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<rustls::Error>());
    match tls {
        Some(rustls::Error::InvalidCertificate(cause)) => {
            Error::Tls(format!("certificate verify failed: {cause:?}"))
        }
        Some(other) => Error::Tls(format!("TLS handshake failed: {other}")),
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
        .map_err(|_| {
            Error::Timeout(format!(
                "SSL handshake is taking longer than {} seconds: aborting the connection",
                timeout.as_secs_f64()
            ))
        })?
        .map_err(handshake_error)
}

/// asyncio's error for a client side with no name to verify.
pub(crate) fn no_server_name() -> Error {
    Error::InvalidArgument("You must set server_hostname when using ssl without a host".into())
}

/// A client's TLS side, ready before any socket is touched (as asyncio
/// makes its `SSLContext` first): bad PEM or a bad name fail here.
pub(crate) struct Connector {
    connector: TlsConnector,
    name: ServerName<'static>,
    timeout: Duration,
}

impl Connector {
    /// The client side for `options`, verifying the server as `name`.
    pub(crate) fn new(options: &wit::ClientTlsOptions, name: &str) -> Result<Self, Error> {
        let config = client_config(options)?;
        let name = ServerName::try_from(name.to_owned())
            .map_err(|_| Error::InvalidArgument(format!("{name:?} is not a valid server name")))?;
        Ok(Self {
            connector: TlsConnector::from(Arc::new(config)),
            name,
            timeout: options
                .handshake_timeout
                .map_or(HANDSHAKE_TIMEOUT, duration),
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
        let info = info(tls.get_ref().1);
        Ok(transport(tls, ends, info))
    }
}

/// A server's TLS side, ready for each accepted client.
#[derive(Clone)]
pub(crate) struct Acceptor {
    acceptor: TlsAcceptor,
    timeout: Duration,
}

impl Acceptor {
    /// The server side for `options`: its certificate chain and key.
    pub(crate) fn new(options: &wit::ServerTlsOptions) -> Result<Self, Error> {
        let chain = certificates(&options.certificate_chain, "certificate-chain")?;
        let key = PrivateKeyDer::from_pem_slice(options.private_key.as_bytes())
            .map_err(|e| Error::Tls(format!("bad PEM in private-key: {e}")))?;
        let mut config = ServerConfig::builder_with_provider(provider())
            .with_safe_default_protocol_versions()
            .map_err(|e| Error::Tls(e.to_string()))?
            .with_no_client_auth()
            .with_single_cert(chain, key)
            .map_err(|e| Error::Tls(format!("the certificate and key do not fit: {e}")))?;
        config.alpn_protocols = alpn(&options.alpn_protocols);
        Ok(Self {
            acceptor: TlsAcceptor::from(Arc::new(config)),
            timeout: options
                .handshake_timeout
                .map_or(HANDSHAKE_TIMEOUT, duration),
        })
    }

    /// The server handshake with one client.
    pub(crate) async fn accept<S: Stream>(
        &self,
        stream: S,
        ends: Ends,
    ) -> Result<Transport, Error> {
        let tls = bounded(self.timeout, self.acceptor.accept(stream)).await?;
        let info = info(tls.get_ref().1);
        Ok(transport(tls, ends, info))
    }
}

/// The plaintext halves of an established TLS stream.
fn transport<T: AsyncRead + AsyncWrite + Send + 'static>(
    tls: T,
    ends: Ends,
    info: wit::TlsInfo,
) -> Transport {
    let (source, sink) = tokio::io::split(tls);
    let source: Source = Box::pin(RaggedEof(source));
    Transport {
        peer: ends.peer,
        local: ends.local,
        tls: Some(info),
        ..Transport::new(source, Box::pin(sink))
    }
}

/// `ssl_object`'s details.
fn info(state: &CommonState) -> wit::TlsInfo {
    let protocol_version = match state.protocol_version() {
        Some(rustls::ProtocolVersion::TLSv1_3) => "TLSv1.3".to_owned(),
        Some(rustls::ProtocolVersion::TLSv1_2) => "TLSv1.2".to_owned(),
        Some(other) => format!("{other:?}"),
        None => String::new(),
    };
    wit::TlsInfo {
        protocol_version,
        cipher: state
            .negotiated_cipher_suite()
            .map(|suite| format!("{:?}", suite.suite()))
            .unwrap_or_default(),
        alpn_protocol: state
            .alpn_protocol()
            .map(|p| String::from_utf8_lossy(p).into_owned()),
        peer_certificates: state
            .peer_certificates()
            .map(|chain| chain.iter().map(|cert| cert.to_vec()).collect())
            .unwrap_or_default(),
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
