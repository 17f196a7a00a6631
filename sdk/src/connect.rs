//! Opening connections: `open_connection`, `open_unix_connection`, `wrap`.

use std::time::Duration;

use crate::{ClientTls, Error, Reader, Writer, wit};

/// asyncio's `family=`: core's neutral type, the same on every side.
pub use portable_streams_core::connect::Family;

portable_streams_core::wit_address_conversions!(wit);

/// The keyword arguments of `asyncio.open_connection`, as a builder.
///
/// ```no_run
/// # async fn demo() -> Result<(), portable_streams::Error> {
/// use std::time::Duration;
/// use portable_streams::{ConnectOptions, Family, open_connection_with};
///
/// let options = ConnectOptions::new()
///     .limit(1 << 20)
///     .family(Family::Ipv6)
///     .happy_eyeballs_delay(Duration::from_millis(250))
///     .connect_timeout(Duration::from_secs(5));
/// let (reader, writer) = open_connection_with("localhost", 8888, options).await?;
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, Default)]
pub struct ConnectOptions {
    limit: Option<u32>,
    family: Family,
    local_address: Option<(String, u16)>,
    happy_eyeballs_delay: Option<Duration>,
    interleave: Option<u32>,
    connect_timeout: Option<Duration>,
    tls: Option<ClientTls>,
}

fn nanos(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}

impl ConnectOptions {
    /// asyncio's defaults: 64 KiB limit, any family, no timeout.
    pub fn new() -> Self {
        Self::default()
    }

    /// The reader's `limit` in bytes (zero is rejected by the backend).
    pub fn limit(mut self, limit: u32) -> Self {
        self.limit = Some(limit);
        self
    }

    /// `family=`.
    pub fn family(mut self, family: Family) -> Self {
        self.family = family;
        self
    }

    /// `local_addr=(host, port)`.
    pub fn local_address(mut self, host: impl Into<String>, port: u16) -> Self {
        self.local_address = Some((host.into(), port));
        self
    }

    /// `happy_eyeballs_delay`.
    pub fn happy_eyeballs_delay(mut self, delay: Duration) -> Self {
        self.happy_eyeballs_delay = Some(delay);
        self
    }

    /// `interleave`.
    pub fn interleave(mut self, interleave: u32) -> Self {
        self.interleave = Some(interleave);
        self
    }

    /// A bound on the whole connect.
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = Some(timeout);
        self
    }

    /// `ssl=`: TLS over the connection, verified as `tls` says.
    pub fn tls(mut self, tls: ClientTls) -> Self {
        self.tls = Some(tls);
        self
    }

    fn into_wit(self) -> wit::ConnectOptions {
        wit::ConnectOptions {
            limit: self.limit,
            family: self.family.into(),
            local_address: self.local_address,
            happy_eyeballs_delay: self.happy_eyeballs_delay.map(nanos),
            interleave: self.interleave,
            tls: self.tls.map(ClientTls::into_wit),
            connect_timeout: self.connect_timeout.map(nanos),
        }
    }
}

/// `asyncio.open_connection(host, port)`: resolve, connect, and return the
/// reader and writer.
///
/// ```no_run
/// # async fn demo() -> Result<(), portable_streams::Error> {
/// let (reader, writer) = portable_streams::open_connection("127.0.0.1", 8888).await?;
/// # Ok(()) }
/// ```
pub async fn open_connection(host: &str, port: u16) -> Result<(Reader, Writer), Error> {
    open_connection_with(host, port, ConnectOptions::new()).await
}

/// `asyncio.open_connection` with options.
///
/// ```no_run
/// # async fn demo() -> Result<(), portable_streams::Error> {
/// use portable_streams::{ConnectOptions, open_connection_with};
/// let (r, w) = open_connection_with("::1", 8888, ConnectOptions::new().limit(1024)).await?;
/// # Ok(()) }
/// ```
pub async fn open_connection_with(
    host: &str,
    port: u16,
    options: ConnectOptions,
) -> Result<(Reader, Writer), Error> {
    let (r, w) = wit::open_connection(host.to_owned(), port, options.into_wit()).await?;
    Ok((Reader::from_raw(r), Writer::opened(w)))
}

/// `asyncio.open_unix_connection(path)` (host backend only).
///
/// ```no_run
/// # async fn demo() -> Result<(), portable_streams::Error> {
/// let (reader, writer) = portable_streams::open_unix_connection("/tmp/echo.sock").await?;
/// # Ok(()) }
/// ```
pub async fn open_unix_connection(path: &str) -> Result<(Reader, Writer), Error> {
    open_unix_connection_with(path, None).await
}

/// `asyncio.open_unix_connection(path, limit=...)`.
///
/// ```no_run
/// # async fn demo() -> Result<(), portable_streams::Error> {
/// let (r, w) = portable_streams::open_unix_connection_with("/tmp/echo.sock", Some(1024)).await?;
/// # Ok(()) }
/// ```
pub async fn open_unix_connection_with(
    path: &str,
    limit: Option<u32>,
) -> Result<(Reader, Writer), Error> {
    let options = wit::UnixConnectOptions {
        limit,
        tls: None,
        connect_timeout: None,
    };
    let (r, w) = wit::open_unix_connection(path.to_owned(), options).await?;
    Ok((Reader::from_raw(r), Writer::opened(w)))
}

/// asyncio's `sock=`: a reader over `input` and a writer whose bytes come out
/// of the returned stream.
///
/// ```no_run
/// # fn demo() {
/// use portable_streams::bindings::wit_stream;
/// let (_tx, rx) = wit_stream::new::<u8>();
/// let (reader, writer, output) = portable_streams::wrap(rx, None);
/// # }
/// ```
pub fn wrap(
    input: wit_bindgen::StreamReader<u8>,
    limit: Option<u32>,
) -> (Reader, Writer, wit_bindgen::StreamReader<u8>) {
    let (r, w, out) = wit::wrap(input, wit::WrapOptions { limit });
    (Reader::from_raw(r), Writer::opened(w), out)
}
