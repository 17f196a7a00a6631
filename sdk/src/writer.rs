//! `Writer`: asyncio's `StreamWriter`.

use std::net::{IpAddr, SocketAddr, SocketAddrV6};
use std::rc::Rc;

use crate::outbox::Outbox;
use crate::{ClientTls, Error, ServerTls, TlsInfo, wit};

/// An end of a connection: `peername` / `sockname`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SocketAddress {
    /// A TCP endpoint.
    Ip(SocketAddr),
    /// A Unix socket path.
    Unix(String),
}

impl SocketAddress {
    pub(crate) fn from_wit(a: wit::SocketAddress) -> Option<Self> {
        match a {
            wit::SocketAddress::Ipv4(e) => {
                let ip: IpAddr = e.host.parse().ok()?;
                Some(Self::Ip(SocketAddr::new(ip, e.port)))
            }
            wit::SocketAddress::Ipv6(e) => {
                let ip = e.host.parse().ok()?;
                Some(Self::Ip(SocketAddr::V6(SocketAddrV6::new(
                    ip,
                    e.port,
                    e.flow_info,
                    e.scope_id,
                ))))
            }
            wit::SocketAddress::Unix(p) => Some(Self::Unix(p)),
        }
    }
}

/// asyncio's `StreamWriter`: buffered, flow-controlled writes. Cloning gives
/// another handle to the same writer.
///
/// ```no_run
/// # async fn demo(writer: portable_streams::Writer) -> Result<(), portable_streams::Error> {
/// writer.write(b"GET / HTTP/1.0\r\n\r\n")?;
/// writer.drain().await?;
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct Writer {
    inner: Rc<Handle>,
}

/// The writer's outbox; when the last handle goes, the writer is closed
/// (asyncio's `StreamWriter.__del__`), after what the outbox holds.
#[derive(Debug)]
struct Handle {
    outbox: Rc<Outbox>,
}

impl Drop for Handle {
    fn drop(&mut self) {
        self.outbox.close();
    }
}

impl Writer {
    /// Wraps a raw binding handle.
    pub fn from_raw(inner: wit::Writer) -> Self {
        Self::over(Outbox::new(inner))
    }

    /// Wraps the handle of a connection just opened or accepted (its
    /// watermarks are the defaults: not asked for).
    pub(crate) fn opened(inner: wit::Writer) -> Self {
        Self::over(Outbox::fresh(inner))
    }

    fn over(outbox: Rc<Outbox>) -> Self {
        Self {
            inner: Rc::new(Handle { outbox }),
        }
    }

    fn outbox(&self) -> &Rc<Outbox> {
        &self.inner.outbox
    }

    /// `write(data)`: buffers `data`; never waits. Call [`drain`](Self::drain)
    /// to respect flow control. The bytes reach the backend through the
    /// writer's stream (`write-from`), in order with every other call.
    pub fn write(&self, data: &[u8]) -> Result<(), Error> {
        self.outbox().write(data)
    }

    /// `writelines(lines)`.
    ///
    /// ```no_run
    /// # fn demo(writer: portable_streams::Writer) -> Result<(), portable_streams::Error> {
    /// writer.writelines([&b"a\n"[..], b"b\n"])?;
    /// # Ok(()) }
    /// ```
    pub fn writelines<'a>(&self, lines: impl IntoIterator<Item = &'a [u8]>) -> Result<(), Error> {
        self.outbox().writelines(lines.into_iter().collect())
    }

    /// `drain()`: waits while the buffer is above the high watermark; fails
    /// once the connection is lost or closed, except that a drain already
    /// waiting returns when this writer's own `close` or `abort` ends the
    /// connection (as asyncio's). Cancellation safe.
    pub async fn drain(&self) -> Result<(), Error> {
        if self.outbox().drain().await? {
            // The synchronous look first: an async call the backend answers
            // at once costs a turn of the host's event loop (see `drain` in
            // the WIT).
            match self.raw().try_drain() {
                Some(answer) => answer?,
                None => self.raw().drain().await?,
            }
        }
        Ok(())
    }

    /// `can_write_eof()`.
    pub fn can_write_eof(&self) -> bool {
        self.raw().can_write_eof()
    }

    /// `write_eof()`: half-close after the buffer is flushed.
    pub fn write_eof(&self) -> Result<(), Error> {
        self.outbox().write_eof()
    }

    /// `close()`: flush, then close.
    pub fn close(&self) {
        self.outbox().close()
    }

    /// `transport.abort()`: close now, discarding buffered data.
    pub fn abort(&self) {
        self.outbox().abort()
    }

    /// `is_closing()`.
    pub fn is_closing(&self) -> bool {
        self.outbox().is_closing()
    }

    /// `wait_closed()`: waits until the connection is closed.
    pub async fn wait_closed(&self) -> Result<(), Error> {
        self.outbox().settled().await;
        // The synchronous look first, as `drain`'s.
        match self.raw().try_wait_closed() {
            Some(answer) => Ok(answer?),
            None => Ok(self.raw().wait_closed().await?),
        }
    }

    /// `get_extra_info('ssl_object')`'s details, on a TLS connection.
    pub fn tls(&self) -> Option<TlsInfo> {
        self.raw().get_extra_info().tls
    }

    /// `start_tls(sslcontext, server_hostname=...)` as the client: once
    /// everything written was sent, the connection goes on over TLS; what
    /// the reader holds stays. A failed handshake loses the connection.
    ///
    /// # Cancel safety
    ///
    /// Not cancel safe: dropped before the handshake ends, the connection
    /// is lost (`connection-aborted`); dropped while waiting for the
    /// buffer to be sent, nothing changes.
    pub async fn start_tls(&self, tls: ClientTls) -> Result<(), Error> {
        self.outbox().settled().await;
        Ok(self
            .raw()
            .start_tls(wit::TlsSide::Client(tls.into_wit()))
            .await?)
    }

    /// `start_tls(...)` as the server (a server `SSLContext`); as
    /// [`start_tls`](Self::start_tls) otherwise.
    ///
    /// # Cancel safety
    ///
    /// Not cancel safe, as [`start_tls`](Self::start_tls).
    pub async fn start_tls_as_server(&self, tls: ServerTls) -> Result<(), Error> {
        self.outbox().settled().await;
        Ok(self
            .raw()
            .start_tls(wit::TlsSide::Server(tls.into_wit()))
            .await?)
    }

    /// `get_extra_info('peername')`.
    pub fn peername(&self) -> Option<SocketAddress> {
        self.raw()
            .get_extra_info()
            .peername
            .and_then(SocketAddress::from_wit)
    }

    /// `get_extra_info('sockname')`.
    pub fn sockname(&self) -> Option<SocketAddress> {
        self.raw()
            .get_extra_info()
            .sockname
            .and_then(SocketAddress::from_wit)
    }

    /// `transport.set_write_buffer_limits(high, low)`.
    pub fn set_write_buffer_limits(
        &self,
        high: Option<u64>,
        low: Option<u64>,
    ) -> Result<(), Error> {
        self.raw().set_write_buffer_limits(high, low)?;
        self.outbox().set_limits(high, low);
        Ok(())
    }

    /// `transport.get_write_buffer_limits()`: `(low, high)`.
    pub fn write_buffer_limits(&self) -> (u64, u64) {
        self.raw().get_write_buffer_limits()
    }

    /// `transport.get_write_buffer_size()`: what the writer's outbox holds
    /// plus what the backend has not sent yet.
    pub fn write_buffer_size(&self) -> u64 {
        self.outbox().size()
    }

    /// Waits until the outbox's pump is done: every written byte reached
    /// the backend and a pending `close` or `write_eof` was carried out.
    #[cfg(feature = "handler")]
    pub(crate) async fn settled(&self) {
        self.outbox().settled().await;
    }

    /// The binding handle underneath (calls on it bypass the writer's
    /// outbox, so they may overtake bytes written before).
    pub fn raw(&self) -> &Rc<wit::Writer> {
        &self.outbox().raw
    }
}
